"""Names in the order people expect: the Unicode collation algorithm, not code points.

Sorting by code point puts "Łukasz" after "Zoë" and "émile" after every capital; the Unicode
collation algorithm (its default table, through pyuca) puts each accented letter beside its base
letter and ignores case until everything else is equal.

Each function takes the reader's language (a code such as "en" or "fr"). English and French
both sort by the root collation (the default table): CLDR has no tailoring for either (French
in France no longer reads accents backwards; only Canadian French did), so both get the same
order. A language that needs its own order (Swedish puts "Å" after "Z") maps to its own table
in `_TAILORED` when it is added.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from typing import TypeVar

from pyuca import Collator

T = TypeVar("T")


# Languages whose names sort by a table of their own (a pyuca allkeys file); every other
# language, English and French included, uses the root collation.
_TAILORED: dict[str, str] = {}


@cache
def _collator(table: str | None = None) -> Collator:
    """A collation table, read once (about a third of a second) on first use; the default
    (root) table when `table` is None."""
    return Collator(table) if table else Collator()


def collator_for(language: str | None = None) -> Collator:
    """The collator for readers of `language` (root for English, French and any language
    without a tailoring)."""
    return _collator(_TAILORED.get((language or "").split("_")[0].split("-")[0].lower()))


def sort_key(name: str, language: str | None = None) -> tuple[int, ...]:
    """The key that puts names in collation order for readers of `language`:
    `sorted(names, key=sort_key)`.

    Whitespace runs count as one space and the name is decomposed first (NFD), so a name typed
    with a precomposed "é" sorts with the same name typed as "e" plus a combining accent.
    """
    text = unicodedata.normalize("NFD", " ".join(name.split()))
    return tuple(collator_for(language).sort_key(text))


def sorted_by_name(
    items: Iterable[T], name: Callable[[T], str], language: str | None = None
) -> list[T]:
    """`items` in the collation order of `name(item)` for readers of `language`; equal names
    keep their order (stable)."""
    return sorted(items, key=lambda item: sort_key(name(item), language))


# Longest stored sort text: a 120-character name needs about 1,500 characters; past this the
# order is settled by the first characters already (and ties fall back to the row's id).
SORT_TEXT_LENGTH = 2000


@lru_cache(maxsize=1 << 16)
def _word_levels(word: str) -> tuple[str, str, str, str]:
    """One decomposed word's weights at each of the four levels, as sort text. No contraction
    of the table spans a space, so a name's key is, level by level, its words' weights joined
    by a space's; first names and surnames repeat across a roster, so this cache makes 20,000
    names cheap to key."""
    elements = _collator().collation_elements(word)
    return tuple(  # type: ignore[return-value]
        "".join(f"{e[level]:04x}" for e in elements if len(e) > level and e[level])
        for level in range(4)
    )


def sort_text(name: str) -> str:
    """`sort_key(name)` written as text, four hex digits per weight: two such texts compare as
    their keys do, so a database column holding it, indexed, pages a roster in collation order."""
    text = unicodedata.normalize("NFD", " ".join(name.split()))
    words = [_word_levels(word) for word in text.split(" ")] if text else []
    space = _word_levels(" ")
    levels = (space[level].join(word[level] for word in words) for level in range(4))
    return "0000".join(levels)[:SORT_TEXT_LENGTH]


def folded(text: str) -> str:
    """`text` for a search that ignores case and accents: "Émile" and "emile" fold alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())
