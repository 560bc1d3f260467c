"""Template filters that show every stored moment in the game's own time zone, in the reader's
language: "Tue 2 Dec 2026 09:00" in English, "mar. 2 déc. 2026 à 09:00" in French.

Templates keep writing strftime-style formats (`'%a %-d %b'`); `app.i18n.format_moment` writes
them in the current language (English exactly as strftime did). `number` and `and_list` are
registered as filters too.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from flask import Flask, current_app, g, has_request_context, request, url_for
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_eval_context
from markupsafe import Markup
from werkzeug.routing import BuildError

from app.domain import zones
from app.i18n import and_list, catalogue, format_moment, number
from app.i18n import fast_gettext as _
from app.web import field_html


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


def time_note(zone: str) -> str:
    """What to say beside a time of day on a participant's page: "Paris time" ("heure de
    Paris"), or nothing in a UTC game (see zones.time_note)."""
    if not zones.time_note(zone):
        return ""
    return _("%(city)s time", city=zones.city_of(zone))


@pass_eval_context
def template_gettext(eval_ctx, string: str, **variables) -> str:
    """`{{ _("Text %(x)s", x=v) }}` and `{% trans %}`: what Jinja's i18n extension does with
    Flask-Babel's gettext (newstyle: always a format string, escaped in HTML), read straight
    from the current catalogue."""
    text = catalogue().ugettext(string)
    if not variables and "%" not in text:
        return Markup(text) if eval_ctx.autoescape else text  # what `% {}` would give back
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


@pass_eval_context
def template_ngettext(eval_ctx, singular: str, plural: str, num: int, **variables) -> str:
    """`{% trans count=n %}…{% pluralize %}…{% endtrans %}`, as `template_gettext`."""
    variables.setdefault("num", num)
    text = catalogue().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


# A value that needs no quoting in a path or a query: a public id, a number.
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SLOT = "__value__"


# Mount points (SCRIPT_NAME) whose addresses are kept, and the longest kept. Behind a proxy
# trusted with X-Forwarded-Prefix the mount point comes from a header, which a client may set:
# a new one each time must not grow the kept addresses without end.
URL_PREFIXES_KEPT = 4
URL_PREFIX_MAX = 200


def _url_cache():
    """The templates' `url_for`: a page links to the same dozen fixed addresses (the tabs, the
    style sheet) on every load, so an address with no values (or a static file's) is built once
    per process and mount point. An address with one plain value (a list's "thank" or "cancel"
    button per item) is built once with a slot, and the value is put in the slot: twenty items
    would otherwise take as long as the rest of the page. Everything else is built as Flask
    builds it.

    Each mount point's addresses are kept apart, for at most `URL_PREFIXES_KEPT` mount points
    (all are forgotten when one more comes) of at most `URL_PREFIX_MAX` characters; within
    one, what is kept comes from the templates' own calls, so it is bounded by them."""
    by_prefix: dict[str, dict[tuple, str]] = {}

    def kept_for(prefix: str) -> dict[tuple, str] | None:
        built = by_prefix.get(prefix)
        if built is None:
            if len(prefix) > URL_PREFIX_MAX:
                return None
            if len(by_prefix) >= URL_PREFIXES_KEPT:
                by_prefix.clear()
            built = by_prefix[prefix] = {}
        return built

    def template_url_for(endpoint: str, **values) -> str:
        if endpoint.startswith(".") or not has_request_context():
            return url_for(endpoint, **values)
        if values and endpoint != "static" and len(values) != 1:
            return url_for(endpoint, **values)
        built = kept_for(request.environ.get("SCRIPT_NAME", ""))
        if built is None:
            return url_for(endpoint, **values)
        if values and endpoint != "static":
            ((name, value),) = values.items()
            plain = isinstance(value, str | int) and not isinstance(value, bool)
            if name.startswith("_") or not plain or not _PLAIN_VALUE.fullmatch(str(value)):
                return url_for(endpoint, **values)  # None is dropped, True written: Flask's
            key = (endpoint, name)
            shape = built.get(key)
            if shape is None:
                try:
                    shape = url_for(endpoint, **{name: _SLOT})
                except (BuildError, ValueError):  # a converter that takes no slot (`int:`)
                    shape = ""
                built[key] = shape
            if _SLOT not in shape:
                return url_for(endpoint, **values)
            return shape.replace(_SLOT, str(value))
        if any(name.startswith("_") for name in values):
            return url_for(endpoint, **values)
        # With each value's type: False == 0 and True == 1 as keys, not as addresses.
        key = (endpoint, *((name, type(value), value) for name, value in values.items()))
        found = built.get(key)
        if found is None:
            found = built[key] = url_for(endpoint, **values)
        return found

    template_url_for.kept = by_prefix  # for tests: what is kept, by mount point
    return template_url_for


def csrf_token() -> str:
    """`{{ csrf_token() }}`: Flask-WTF's `generate_csrf`, asked once per request (it reads
    its settings through the app's configuration on every call before finding its token)."""
    token = g.get("_csrf_token")
    if token is None:
        token = g._csrf_token = generate_csrf()
    return token


def csrf_field() -> Markup:
    """`{{ csrf_field() }}`: the hidden CSRF input of a form, built once per request. A page
    of twenty forms (an inbox page) would otherwise render a WTForms field for each, a third of
    the page's cost; all of a session's forms carry the same token anyway. Nothing where CSRF
    checks are off (as a form's own field would), so no session is started for it."""
    found = g.get("_csrf_field")
    if found is None:
        found = Markup()
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            found = Markup('<input type="hidden" name="csrf_token" value="%s">') % csrf_token()
        g._csrf_field = found
    return found


_BUTTON = Markup(
    '<form method="post" action="%s" class="inline">\n'
    '  <input type="hidden" name="csrf_token" value="%s">\n'
    '  <button class="%s">%s</button>\n'
    "</form>"
)


def button(action_url: str, label: str, cls: str = "") -> Markup:
    """`{{ button(url, label, 'secondary') }}`: a one-button form that posts to `url` (a
    list's "Cancel" or "Accept" per item). A function, not a macro: a page of twenty items
    called the macro dozens of times, each call a Jinja frame of its own."""
    return _BUTTON % (action_url, csrf_token(), cls, label)


def init_app(app: Flask) -> None:
    """Register the filters and the zone helpers templates use, and the templates' gettext and
    url_for."""
    app.jinja_env.globals.update(
        _=template_gettext,
        gettext=template_gettext,
        ngettext=template_ngettext,
        url_for=_url_cache(),
    )
    app.add_template_filter(in_zone)
    app.add_template_filter(day)
    app.add_template_filter(number)
    app.add_template_filter(and_list)
    app.add_template_global(time_note)
    app.add_template_global(csrf_field)
    app.add_template_global(csrf_token)
    # In place of Flask-WTF's `csrf_token`, which it also puts in every template's context.
    app.context_processor(lambda: {"csrf_token": csrf_token})
    app.add_template_global(button)
    app.add_template_global(field_html.field_widget)
    app.add_template_global(field_html.field_label)
    app.add_template_global(zones.zone_label)
    app.add_template_global(zones.zone_choices)
