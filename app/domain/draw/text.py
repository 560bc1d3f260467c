"""Sentences the domain hands to people, translatable without the domain knowing a language.

The domain speaks English (the source language) and imports nothing from the web, so it
cannot translate. Instead a message it returns or raises is a `Message`: a `str` holding the
English sentence (so logs, tests and English pages read it as before) that also remembers its
message id and the values put into it. The service or page translates it into the reader's
language with `app.services.translated`. The values can be `Plural`s (a count and its noun),
`Names` (a list of people) or dates, which the translation formats in the reader's language.

`N_` and `ngettext` here only mark message ids for `pybabel extract` (scripts/
update_catalogues.sh); neither translates anything.

It lives in the draw package because the draw imports nothing beyond its own package and the
standard library; the rest of the domain imports it as `app.domain.text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date


def N_(msgid: str) -> str:
    """Mark `msgid` as a message to translate later; returns it unchanged."""
    return msgid


class Plural(str):
    """A count with its words in English ("1 mortal", "3 mortals"), and both forms for
    translating. The forms use `%(num)d` for the count."""

    singular: str
    plural: str
    n: int

    def __new__(cls, singular: str, plural: str, n: int) -> Plural:
        """The English form for `n`, remembering both forms."""
        made = super().__new__(cls, (singular if n == 1 else plural) % {"num": n})
        made.singular, made.plural, made.n = singular, plural, n
        return made


def ngettext(singular: str, plural: str, n: int) -> Plural:
    """Mark a pair of forms for extraction as a plural message and choose the English one."""
    return Plural(singular, plural, n)


class Names(str):
    """People's names listed in a sentence: 'A', 'A and B', 'A, B and C', or
    'A, B, C, D, E and 7 others' when `hidden` more are left out."""

    shown: tuple[str, ...]
    hidden: int

    def __new__(cls, shown: Sequence[str], hidden: int = 0) -> Names:
        """The English list, remembering the names and how many were left out."""
        shown = tuple(shown)
        if hidden:
            others = "other" if hidden == 1 else "others"
            text = f"{', '.join(shown)} and {hidden} {others}"
        elif len(shown) == 1:
            text = shown[0]
        else:
            text = f"{', '.join(shown[:-1])} and {shown[-1]}"
        made = super().__new__(cls, text)
        made.shown, made.hidden = shown, hidden
        return made


def english(value: object) -> object:
    """A value as the English sentence shows it (dates as "6 December 2026")."""
    if isinstance(value, date):
        return f"{value:%-d %B %Y}"
    return value


class Message(str):
    """An English sentence that remembers its message id and values, for translating."""

    msgid: str
    params: dict[str, object]

    def __new__(cls, msgid: str, **params: object) -> Message:
        """`msgid` with `params` put in (`%(name)s` placeholders), in English."""
        text = msgid % {k: english(v) for k, v in params.items()} if params else msgid
        made = super().__new__(cls, text)
        made.msgid, made.params = msgid, params
        return made
