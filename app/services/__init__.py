"""What every service shares: the refusal a user can act on, the cleaning of typed text, and
the translation of what the domain says.

Services are the only code that touches both the database session and the domain; they commit.
"""

from __future__ import annotations

from datetime import date

from flask_babel import format_date
from flask_babel import ngettext as _n

from app.domain.text import Message, Names, Plural
from app.i18n import fast_gettext as _


class ServiceError(Exception):
    """A refusal the user can act on; str(exc) is shown on the page as it is (already in the
    reader's language)."""


def _value(value: object) -> object:
    """A value of a domain message in the reader's language."""
    if isinstance(value, Plural):
        return _n(value.singular, value.plural, value.n)
    if isinstance(value, Names):
        if value.hidden:
            return _n(
                "%(names)s and %(num)d other",
                "%(names)s and %(num)d others",
                value.hidden,
                names=", ".join(value.shown),
            )
        if len(value.shown) == 1:
            return value.shown[0]
        return _("%(names)s and %(last)s", names=", ".join(value.shown[:-1]), last=value.shown[-1])
    if isinstance(value, Message):
        return translated(value)
    if isinstance(value, date):
        return format_date(value, "d MMMM y")
    return value


def translated(text: str) -> str:
    """A domain `Message` in the reader's language; any other text as it is."""
    if not isinstance(text, Message):
        return text
    params = {key: _value(value) for key, value in text.params.items()}
    return _(text.msgid, **params)


def as_sentence(text: str) -> str:
    """A domain reason ("the name is empty") translated, as a sentence of its own."""
    words = translated(text)
    return words[:1].upper() + words[1:] + "."


# What a text is called in "write … first" and "… is too long", by the `what` of clean_text.
_EMPTY = {
    "thank-you": lambda: _("Write a thank-you first."),
    "reason": lambda: _("Write a reason first."),
    "question": lambda: _("Write a question first."),
    "answer": lambda: _("Write an answer first."),
    "note": lambda: _("Write a note first."),
    "instruction for the courier": lambda: _("Write an instruction for the courier first."),
}
_TOO_LONG = {
    "thank-you": lambda n, limit: _(
        "The thank-you is %(n)d characters; the limit is %(limit)d.", n=n, limit=limit
    ),
    "reason": lambda n, limit: _(
        "The reason is %(n)d characters; the limit is %(limit)d.", n=n, limit=limit
    ),
    "question": lambda n, limit: _(
        "The question is %(n)d characters; the limit is %(limit)d.", n=n, limit=limit
    ),
    "answer": lambda n, limit: _(
        "The answer is %(n)d characters; the limit is %(limit)d.", n=n, limit=limit
    ),
    "note": lambda n, limit: _(
        "The note is %(n)d characters; the limit is %(limit)d.", n=n, limit=limit
    ),
    "instruction for the courier": lambda n, limit: _(
        "The instruction for the courier is %(n)d characters; the limit is %(limit)d.",
        n=n,
        limit=limit,
    ),
    "message": lambda n, limit: _(
        "The message is %(n)d characters; the limit is %(limit)d.", n=n, limit=limit
    ),
    "wish list": lambda n, limit: _(
        "The wish list is %(n)d characters; the limit is %(limit)d.", n=n, limit=limit
    ),
    "hint": lambda n, limit: _(
        "The hint is %(n)d characters; the limit is %(limit)d.", n=n, limit=limit
    ),
}


def clean_text(text: str, what: str, limit: int, required: bool = True) -> str:
    """Plain text with line breaks kept; trailing spaces and NULs dropped. `what` names the
    text in the refusals (one of the keys above: each language words them its own way)."""
    text = "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").split("\n"))
    text = text.replace("\x00", "").strip()
    if required and not text:
        raise ServiceError(_EMPTY[what]())
    if len(text) > limit:
        raise ServiceError(_TOO_LONG[what](len(text), limit))
    return text
