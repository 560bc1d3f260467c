"""The templates' Jinja environment: Flask's, compiled once per language with each fixed
string already translated, and with globals that answer "is this a global?" in C.

- **Per language.** A page says `{{ _("Give") }}` dozens of times; each was a call at every
  render (Jinja's call wrapper, the catalogue look-up, a Markup). A template is now compiled
  once for each language it is shown in, with every `_("…")` / `gettext("…")` of a fixed
  string and no values (and every `{% trans %}` without variables) replaced by its
  translation, which Jinja then joins into the text around it. What it writes is what the
  call wrote: the same catalogue (`app.i18n.catalogue`, the page's or `force_locale`'s),
  marked safe exactly when the call's result was (in an escaping template), and `%%` read as
  `%` as the call did. Anything with values (`_("Hi %(name)s", name=…)`, plurals) is still a
  call. A template compiled outside any language (`from_string`) is left as written.
- **Globals.** Jinja gives each template its globals as a ChainMap (the template's own over
  the environment's), builds each render's context from them and, whenever a page imports a
  macro file, takes a set difference with them. ChainMap answers each question with a
  generator over its maps: with about forty globals and four imports a page, a few per cent
  of a participant page.
"""

from __future__ import annotations

import weakref
from collections import ChainMap
from collections.abc import Iterator, MutableMapping
from contextvars import ContextVar
from typing import Any

from flask.templating import Environment
from jinja2 import BytecodeCache, Template, nodes
from jinja2.bccache import Bucket
from jinja2.visitor import NodeTransformer

from app.i18n import catalogue, current_language

# The gettext names templates call (app/web/time_filters.py installs them).
_GETTEXT_NAMES = frozenset({"_", "gettext"})
# The language a template is being compiled for, while `_load_template` compiles one.
_compiling: ContextVar[str | None] = ContextVar("template_language", default=None)


class _Globals(ChainMap):
    """A template's globals, its own over the environment's, as Jinja's ChainMap has them
    (a global added to the environment later is still seen), answering in C what ChainMap
    answers with a generator. Always two maps (`PageEnvironment.make_globals`)."""

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


class _Translate(NodeTransformer):
    """Replaces each call of gettext on a fixed string, with no values, by its translation."""

    def __init__(self, translations) -> None:
        self.translations = translations

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:  # noqa: N802 - Jinja's names
        """A `~` join keeps its gettext calls as calls. Translated in, Jinja would fold the join
        into one plain string (`Concat.as_const` writes each part with str()), losing the
        translation's Markup, and the text would be escaped again where it is written
        ("&amp;lt;"). As calls, the join is made when the page is written, keeping it."""
        node.nodes = [part if self._fixed_call(part) else self.visit(part) for part in node.nodes]
        return node

    @staticmethod
    def _fixed_call(node: nodes.Node) -> bool:
        """Whether `node` calls gettext on a fixed string alone."""
        return (
            isinstance(node, nodes.Call)
            and isinstance(node.node, nodes.Name)
            and node.node.name in _GETTEXT_NAMES
            and len(node.args) == 1
            and isinstance(node.args[0], nodes.Const)
            and isinstance(node.args[0].value, str)
            and not node.kwargs
            and node.dyn_args is None
            and node.dyn_kwargs is None
        )

    def visit_Call(self, node: nodes.Call) -> nodes.Node:  # noqa: N802 - Jinja's visitor names
        """The call's translation, if it is a gettext call on a fixed string alone."""
        node = self.generic_visit(node)
        if not self._fixed_call(node):
            return node
        text = self.translations.ugettext(node.args[0].value)
        if "%" in text:
            try:
                text = text % {}  # as the call formats it with no values ("%%" is "%")
            except (KeyError, TypeError, ValueError):
                return node  # the call would fail: let it, as it always did
        # The call's result: safe (Markup) in an escaping template, plain text otherwise.
        return nodes.MarkSafeIfAutoescape(nodes.Const(text), lineno=node.lineno)


class _LanguageBytecode:
    """A bytecode cache (if one is set) seen through one language: each language's compiled
    template is kept apart, as the source alone no longer says what it compiles to."""

    def __init__(self, cache: BytecodeCache, language: str) -> None:
        self.cache = cache
        self.language = language

    def get_bucket(self, environment, name: str, filename: str | None, source: str) -> Bucket:
        """The cache's bucket for this template in this language."""
        return self.cache.get_bucket(environment, f"{name}#{self.language}", filename, source)

    def set_bucket(self, bucket: Bucket) -> None:
        """Keep a freshly compiled template."""
        self.cache.set_bucket(bucket)


class PageEnvironment(Environment):
    """Flask's environment, compiling each template once per language (see the module)."""

    @property
    def bytecode_cache(self) -> BytecodeCache | _LanguageBytecode | None:
        """The configured bytecode cache, keyed by language while a template compiles."""
        cache, language = self._bytecode_cache, _compiling.get()
        if cache is None or language is None:
            return cache
        return _LanguageBytecode(cache, language)

    @bytecode_cache.setter
    def bytecode_cache(self, cache: BytecodeCache | None) -> None:
        self._bytecode_cache = cache

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """The template's globals `d` over the environment's (Jinja's own `make_globals`)."""
        return _Globals({} if d is None else d, self.globals)

    def _load_template(self, name: str, globals: MutableMapping[str, Any] | None) -> Template:  # noqa: A002
        # Jinja's own `_load_template`, with the language in the cache key and set while
        # the template compiles (imports and `extends` come back here at render time, so a
        # page's layout and macros are the same language's too).
        if self.loader is None:
            raise TypeError("no loader for this environment specified")
        language = current_language()
        cache_key = (weakref.ref(self.loader), name, language)
        if self.cache is not None:
            template = self.cache.get(cache_key)
            if template is not None and (not self.auto_reload or template.is_up_to_date):
                if globals:
                    template.globals.update(globals)
                return template
        reset = _compiling.set(language)
        try:
            template = self.loader.load(self, name, self.make_globals(globals))
        finally:
            _compiling.reset(reset)
        if self.cache is not None:
            self.cache[cache_key] = template
        return template

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        if _compiling.get() is not None:
            tree = _Translate(catalogue()).visit(tree)
        return tree
