"""A form field's label and widget as HTML, kept per process when nobody typed into it.

WTForms writes a field's HTML attribute by attribute, escaping each: the Give page's four
fields (a day picker with every day left in the game among them) took a fifth of the page's
time, on every visit, to write the same HTML again. A field nobody has typed into (no errors,
no submitted text, its value the default) is written once per process for what makes it
differ: its kind, id, name, value, choices, attributes, validators' flags and the language.

Never kept: anything a person typed, and any list of choices the view did not mark with
`may_keep`. Only game-wide lists are marked (the days left, the pick-up spots). A list made of
people (a guess among everyone but oneself and one's mortal, an exclusion's two people) would
keep in memory, person by person, who was left out of it: a pairing.
"""

from __future__ import annotations

from datetime import date

from markupsafe import Markup
from wtforms.fields import SelectFieldBase

from app.i18n import current_language

# Distinct fields kept at most (one entry per field per language and day list: a few hundred).
KEPT_MAX = 4096
# The longest field kept, in characters of HTML (a year's day picker is about 20,000), and all
# the kept fields together: a game's own lists (its pick-up spots) are an organiser's to make,
# and must not fill the memory. A key holds about as much text again as its HTML.
KEPT_FIELD_MAX = 32_000
KEPT_CHARS_MAX = 4_000_000
_kept: dict[tuple, Markup] = {}
_kept_chars = 0
_PLAIN = (str, int, float, bool, date, type(None))


def may_keep(*fields) -> None:
    """Mark fields whose choices are the same for everyone in a game (never made of people),
    so that their HTML may be kept while nobody has chosen anything else."""
    for field in fields:
        field.kept_choices = True


def _key(field, kind: str, extra: tuple) -> tuple | None:
    """What the field's HTML depends on, or None when it must not be kept."""
    if field.errors or field.raw_data:
        return None  # refused, or something typed or chosen
    choice = isinstance(field, SelectFieldBase)
    if choice and not getattr(field, "kept_choices", False):
        return None
    data = field.data
    if not isinstance(data, _PLAIN) or data not in (None, "", field.default):
        return None
    choices = ()
    if choice:
        choices = tuple(
            tuple(map(str, c)) if isinstance(c, tuple) else str(c) for c in field.choices or ()
        )
    key = (
        kind,
        type(field),
        field.id,
        field.name,
        data,
        tuple(map(str, field.raw_data or ())),
        choices,
        tuple(sorted((field.render_kw or {}).items())),
        tuple(sorted(vars(field.flags).items())),
        str(field.label.text),
        current_language(),
        extra,
    )
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _label_key(field, extra: tuple) -> tuple:
    """What a label's HTML depends on: the field's id and the label's text (in the page's
    language, as it is written), not its value or choices."""
    return ("label", field.id, str(field.label.text), extra)


def _kept_or(key: tuple | None, write) -> Markup:
    global _kept_chars  # noqa: PLW0603 - the kept fields' size, beside them
    if key is None:
        return write()
    found = _kept.get(key)
    if found is None:
        found = write()
        if len(found) > KEPT_FIELD_MAX:
            return found
        if len(_kept) >= KEPT_MAX or _kept_chars + len(found) > KEPT_CHARS_MAX:
            _kept.clear()
            _kept_chars = 0
        _kept[key] = found
        _kept_chars += len(found)
    return found


def field_widget(field, attrs: dict) -> Markup:
    """`{{ field_widget(f, attrs) }}`: what `f(**attrs)` writes."""
    try:
        extra = tuple(sorted(attrs.items()))
    except TypeError:
        return field(**attrs)
    return _kept_or(_key(field, "widget", extra), lambda: field(**attrs))


def field_label(field, text: str | None = None) -> Markup:
    """`{{ field_label(f, text) }}`: what `f.label(text=text)` (or `f.label`) writes."""
    if text:
        return _kept_or(_label_key(field, (str(text),)), lambda: field.label(text=text))
    return _kept_or(_label_key(field, ()), field.label)
