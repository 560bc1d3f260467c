"""The templates' Jinja environment: Flask's, with globals that answer "is this a global?"
without a generator per question.

Jinja gives each template its globals as a ChainMap (the template's own over the
environment's) and, whenever a page imports a macro file (`{% from "_forms.html" import
field %}`), checks every global of the page against the macro file's. ChainMap answers each
check with a generator over its maps: with about forty globals and four imports a page, that
was a few per cent of a participant page.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterator, MutableMapping
from typing import Any

from flask.templating import Environment


class _Globals(ChainMap):
    """A template's globals, its own over the environment's, as Jinja's ChainMap has them
    (a global added to the environment later is still seen), answering in C what ChainMap
    answers with a generator: Jinja builds each render's context from them, and takes a set
    difference with them on each import."""

    def __contains__(self, key: object) -> bool:
        own, shared = self.maps
        return key in own or key in shared

    def __getitem__(self, key: str) -> Any:
        own, shared = self.maps
        return own[key] if key in own else shared[key]

    def keys(self) -> set[str]:  # type: ignore[override] - Jinja only iterates and subtracts
        own, shared = self.maps
        return shared.keys() | own.keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())


class PageEnvironment(Environment):
    """Flask's environment with `_Globals` for each template."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """The template's globals `d` over the environment's (Jinja's own `make_globals`)."""
        return _Globals({} if d is None else d, self.globals)
