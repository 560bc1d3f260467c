"""Languages: which ones the service speaks, its message catalogues, and dates, numbers and
lists written in the current language.

English is the source language (the strings in the code and templates); every other language
has a catalogue in `app/translations/<code>/LC_MESSAGES/messages.po`. The compiled `.mo` files
are not kept in the repository: they are built from the `.po` files when the service starts
(and again whenever a `.po` file is newer than its `.mo`), so the two can never disagree.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_datetime as babel_format_datetime
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from flask import Flask, g
from flask_babel import Babel, get_locale, get_translations
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
# The languages a person can choose, source language first. Adding one: see the README.
LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = LANGUAGES[0]
# The name of each language in itself, for the language choosers.
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}

babel = Babel()


def known_language(code: str | None) -> str | None:
    """`code` if the service speaks it, else None (a language removed since it was chosen, or
    anything else a form or a row might hold)."""
    return code if code in LANGUAGES else None


def participant_language(person) -> str:
    """The language of a participant's pages and of every email to them: their own choice,
    else their game's language (the one their invitation came in), else the source language.

    Reads only the participant and their game, both already loaded wherever a participant is
    (the session guard loads the game with them): no query of its own.
    """
    return (
        known_language(person.language) or known_language(person.game.language) or DEFAULT_LANGUAGE
    )


def _kept_for_locale(name: str, work):
    """`work()` for the locale this request is being written in, kept on the request beside
    that locale (under `name`), so a page asks Flask-Babel once, not once per date, label and
    string, each time through several context look-ups.

    Flask-Babel keeps the chosen locale in `g._flask_babel`, and `force_locale` (an email
    written in its recipient's language) changes the same place, so a kept value is used only
    while its locale is the one there. Before Flask-Babel has chosen one (or once
    `force_locale` has left and unset it again), or outside a request, `work()` is done
    afresh: Flask-Babel chooses."""
    try:
        state = g._flask_babel
        locale = state.babel_locale
    except (AttributeError, RuntimeError):  # not chosen yet in this request, or no request
        return work()
    if locale is None:
        return work()
    kept = getattr(state, name, None)
    if kept is not None and kept[0] is locale:
        return kept[1]
    found = work()
    setattr(state, name, (locale, found))
    return found


def current_locale() -> Locale | None:
    """Flask-Babel's `get_locale()`, kept for the request (`_kept_for_locale`)."""
    return _kept_for_locale("page_locale", get_locale)


def catalogue():
    """The catalogue of the current language (the one `force_locale` sets, when it does),
    kept for the request (`_kept_for_locale`): a page has a hundred strings."""
    return _kept_for_locale("page_catalogue", get_translations)


def fast_gettext(string: str, **variables) -> str:
    """Flask-Babel's `gettext`, read from `catalogue()`."""
    text = catalogue().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables) -> LazyString:
    """Flask-Babel's `lazy_gettext` (the same lazy string), translated by `fast_gettext` when
    it is written: a form's labels are written on every visit to its page."""
    return LazyString(fast_gettext, string, **variables)


def current_language() -> str:
    """The code of the language this page or email is being written in (`<html lang>`)."""
    return _kept_for_locale("page_language", _language_code)


def _language_code() -> str:
    locale = get_locale()
    return str(locale) if locale is not None else DEFAULT_LANGUAGE


def compile_catalogues(directory: Path = TRANSLATIONS, into: Path | None = None) -> list[Path]:
    """Compile every `.po` under `directory` whose `.mo` (beside it, or at the same place under
    `into`) is missing or older; return those written. Fuzzy entries are left out, as `pybabel
    compile` does. Each file is written to a temporary name and moved into place, so two
    workers starting together never read half a catalogue."""
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if into is not None:
            mo_path = into / mo_path.relative_to(directory)
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as source:
            catalogue = read_po(source, locale=po_path.parts[-3])
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
        with os.fdopen(handle, "wb") as target:
            write_mo(target, catalogue, use_fuzzy=False)
        os.replace(temporary, mo_path)
        written.append(mo_path)
    return written


# Dates and times are written from strftime-style formats (`'%a %-d %b'`, as templates and
# code always wrote them): each field is read as the same field of Babel's patterns (weekday,
# day, month, year, hour, minute) and written with the current locale's names. English output
# is exactly what strftime gave; another language gets its own names and its own glue between
# a date and a time (the catalogue's "%(date)s %(time)s").
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


@cache
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


def format_moment(moment: datetime | date, fmt: str) -> str:
    """`moment` (already on the wall clock it is to be read on) written with the strftime-style
    `fmt`, in the current language."""
    locale = current_language()
    if isinstance(moment, datetime):
        # Kept by wall clock, zone and fold: two aware moments are equal (and would share a
        # cache entry) when they are the same instant on different clocks.
        wall = moment.replace(tzinfo=None, fold=0)
        return _format_wall(wall, moment.tzinfo, moment.fold, fmt, locale)
    return _format_moment(moment, fmt, locale)


@lru_cache(maxsize=8192)
def _format_wall(wall: datetime, zone, fold: int, fmt: str, locale: str) -> str:
    """`format_moment` of the moment `wall` shows on `zone`'s clock, kept per process."""
    return _write_moment(wall.replace(tzinfo=zone, fold=fold), fmt, locale)


@lru_cache(maxsize=8192)
def _format_moment(day: date, fmt: str, locale: str) -> str:
    """`format_moment` of a day, kept per process. A page writes the same days and moments
    again and again (a note form lists every day left in the game), and Babel takes longer to
    write one than the rest of the page takes per item."""
    return _write_moment(day, fmt, locale)


def _write_moment(moment: datetime | date, fmt: str, locale: str) -> str:
    """`format_moment` in `locale` (the current one: the French path's gettext reads it)."""
    if locale == DEFAULT_LANGUAGE:
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


def number(value: int | float) -> str:
    """`{{ n|number }}`: a number with the reader's digit grouping ("1,234", "1 234")."""
    return format_decimal(value, locale=current_locale() or DEFAULT_LANGUAGE)


def and_list(items: Iterable[str]) -> str:
    """`{{ names|and_list }}`: "Ann, Bob, and Cy" / "Ann, Bob et Cy"."""
    return format_list([str(item) for item in items], locale=current_locale() or DEFAULT_LANGUAGE)


# A delivery round as a note stores it (`app.domain.delivery.round_label`): "2026-12-06 morning".
_ROUND = re.compile(r"(\d{4}-\d{2}-\d{2}) (morning|afternoon|evening)")


def round_name(label: str | None) -> str:
    """`{{ note.round_label|round_name }}`: the round a note comes in, in the reader's language
    ("Sun 6 Dec, morning round"). A label stored before rounds were kept language-neutral (already
    written out in English) is shown as it is."""
    found = _ROUND.fullmatch(label or "")
    if found is None:
        return label or ""
    day = format_moment(date.fromisoformat(found.group(1)), "%a %-d %b")
    part = found.group(2)
    if part == "morning":
        return _("%(day)s, morning round", day=day)
    if part == "afternoon":
        return _("%(day)s, afternoon round", day=day)
    return _("%(day)s, evening round", day=day)


def init_app(app: Flask, locale_selector) -> None:
    """Compile the catalogues if needed and bind Flask-Babel with the given locale selector."""
    compiled = TRANSLATIONS
    if not os.access(TRANSLATIONS, os.W_OK):
        # Installed where the service may not write (a read-only package directory): the
        # compiled catalogues go to the instance folder instead.
        compiled = Path(app.instance_path) / "translations"
    compile_catalogues(TRANSLATIONS, None if compiled == TRANSLATIONS else compiled)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled)
    babel.init_app(app, locale_selector=locale_selector)
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.filters["round_name"] = round_name
