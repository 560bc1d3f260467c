"""Names in the order people expect: the Unicode collation algorithm, not code points.

Sorting by code point puts "Łukasz" after "Zoë" and "émile" after every capital; the Unicode
collation algorithm (its default table, through pyuca) puts each accented letter beside its base
letter and ignores case until everything else is equal.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from functools import cache
from typing import TypeVar

from pyuca import Collator

T = TypeVar("T")


@cache
def _collator() -> Collator:
    """The default collation table, read once (about a third of a second) on first use."""
    return Collator()


def sort_key(name: str) -> tuple[int, ...]:
    """The key that puts names in collation order: `sorted(names, key=sort_key)`.

    Whitespace runs count as one space and the name is decomposed first (NFD), so a name typed
    with a precomposed "é" sorts with the same name typed as "e" plus a combining accent.
    """
    text = unicodedata.normalize("NFD", " ".join(name.split()))
    return tuple(_collator().sort_key(text))


def sorted_by_name(items: Iterable[T], name: Callable[[T], str]) -> list[T]:
    """`items` in collation order of `name(item)`; equal names keep their order (stable)."""
    return sorted(items, key=lambda item: sort_key(name(item)))
