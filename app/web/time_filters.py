"""Template filters that show every stored moment in the game's own time zone, in the reader's
language: "Tue 2 Dec 2026 09:00" in English, "mar. 2 déc. 2026 à 09:00" in French.

Templates keep writing strftime-style formats (`'%a %-d %b'`); each is read as the same fields
in Babel's patterns (weekday, day, month, year, hour, minute) and written with the current
locale's names. English output is what strftime gave before; another language gets its own
names and its own glue between a date and a time (the catalogue's "%(date)s %(time)s").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache

from babel.dates import format_datetime as babel_format_datetime
from babel.lists import format_list
from babel.numbers import format_decimal
from flask import Flask
from flask_babel import get_locale
from flask_babel import gettext as _

from app.domain import zones
from app.i18n import DEFAULT_LANGUAGE

# The strftime fields the templates use, and the Babel (CLDR) pattern field for each.
_FIELDS = {
    "%a": "EEE",
    "%A": "EEEE",
    "%d": "dd",
    "%-d": "d",
    "%b": "MMM",
    "%B": "MMMM",
    "%m": "MM",
    "%-m": "M",
    "%Y": "y",
    "%y": "yy",
    "%H": "HH",
    "%-H": "H",
    "%M": "mm",
}
_TIME_FIELDS = ("%H", "%-H", "%M")
_FIELD = re.compile(r"%-?[a-zA-Z]")


def _pattern(fmt: str) -> str:
    """The Babel pattern for a strftime format; the text between fields is quoted literally."""
    out, at = [], 0
    for match in _FIELD.finditer(fmt):
        out.append(_literal(fmt[at : match.start()]))
        out.append(_FIELDS.get(match.group(), ""))
        at = match.end()
    out.append(_literal(fmt[at:]))
    return "".join(out)


def _literal(text: str) -> str:
    if not text:
        return ""
    if not re.search(r"[A-Za-z']", text):
        return text
    return "'" + text.replace("'", "''") + "'"


@cache
def _split(fmt: str) -> tuple[str, str]:
    """A format ending in a time of day, as (date part, time part); else (fmt, "")."""
    fields = list(_FIELD.finditer(fmt))
    first_time = next((i for i, f in enumerate(fields) if f.group() in _TIME_FIELDS), None)
    if first_time is None or first_time == 0:
        return fmt, ""
    if any(f.group() not in _TIME_FIELDS for f in fields[first_time:]):
        return fmt, ""
    start = fields[first_time].start()
    date_part, time_part = fmt[:start], fmt[start:]
    if not date_part.endswith(" "):
        return fmt, ""
    return date_part.rstrip(), time_part


def _locale():
    return get_locale() or DEFAULT_LANGUAGE


def format_moment(moment: datetime | date, fmt: str) -> str:
    """`moment` (already on the wall clock it is to be read on) written with the strftime-style
    `fmt`, in the current language."""
    locale = _locale()
    if str(locale) == DEFAULT_LANGUAGE:
        return babel_format_datetime(moment, _pattern(fmt), locale=locale)
    date_part, time_part = _split(fmt)
    if not time_part:
        return babel_format_datetime(moment, _pattern(fmt), locale=locale)
    return _(
        # TRANSLATORS: a date followed by a time of day, e.g. "2 Dec 2026 09:00".
        "%(date)s %(time)s",
        date=babel_format_datetime(moment, _pattern(date_part), locale=locale),
        time=babel_format_datetime(moment, _pattern(time_part), locale=locale),
    )


def in_zone(moment: datetime | None, zone: str, fmt: str = "%-d %b %Y %H:%M") -> str:
    """`{{ moment|in_zone(game.timezone, '%a %-d %b %H:%M') }}`: the moment as the game's clock
    shows it, in the reader's language ("" for no moment)."""
    if moment is None:
        return ""
    return format_moment(zones.local_moment(moment, zone), fmt)


def day(value: date | None, fmt: str = "%-d %b %Y") -> str:
    """`{{ game.starts_on|day('%-d %B') }}`: a calendar day (no time zone: a day is the same
    day everywhere) in the reader's language ("" for no day)."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return format_moment(value, fmt)


def number(value: int | float) -> str:
    """`{{ n|number }}`: a number with the reader's digit grouping ("1,234", "1 234")."""
    return format_decimal(value, locale=_locale())


def and_list(items: Iterable[str]) -> str:
    """`{{ names|and_list }}`: "Ann, Bob, and Cy" / "Ann, Bob et Cy"."""
    return format_list([str(item) for item in items], locale=_locale())


def time_note(zone: str) -> str:
    """What to say beside a time of day on a participant's page: "Paris time" ("heure de
    Paris"), or nothing in a UTC game (see zones.time_note)."""
    if not zones.time_note(zone):
        return ""
    return _("%(city)s time", city=zones.city_of(zone))


def init_app(app: Flask) -> None:
    """Register the filters and the zone helpers templates use."""
    app.add_template_filter(in_zone)
    app.add_template_filter(day)
    app.add_template_filter(number)
    app.add_template_filter(and_list)
    app.add_template_global(time_note)
    app.add_template_global(zones.zone_label)
    app.add_template_global(zones.zone_choices)
