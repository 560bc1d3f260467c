"""Queueing many messages at once: `in_bulk()` gathers what `outbox.enqueue` queues inside it
and inserts it all in one multi-row INSERT, in the caller's transaction."""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from flask import current_app
from flask_babel import get_locale, get_timezone
from jinja2 import Template
from markupsafe import escape
from sqlalchemy import insert

from app.extensions import db
from app.models import OutboxMessage

# The per-person values a stencil leaves open, each written into it as a mark no template
# text contains (characters of Unicode's private use area).
PERSONAL = ("name", "link", "preferences_link")
_SLOT = re.compile("\ue000(" + "|".join(PERSONAL) + ")\ue001")


def _mark(slot: str) -> str:
    return f"\ue000{slot}\ue001"


class NotStencilled(Exception):
    """A template read something of the participant other than their name."""


class _StandIn:
    """The participant as a stencil renders them: a name that is a slot, and nothing else
    (anything else a template reads of them would differ from person to person)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attribute: str):
        raise NotStencilled(attribute)


@dataclass(frozen=True)
class Stencil:
    """A body rendered once with its per-person values left as slots: the text between the
    slots, and the slot between each two pieces."""

    pieces: tuple[str, ...]
    slots: tuple[str, ...]
    escaped: bool

    @classmethod
    def of(cls, rendered: str, escaped: bool) -> Stencil:
        """The stencil of a body rendered with marks in place of the personal values."""
        parts = _SLOT.split(rendered)
        return cls(tuple(parts[0::2]), tuple(parts[1::2]), escaped)

    def fill(self, values: dict[str, str]) -> str:
        """The body for these personal values (escaped here when the template escapes)."""
        if self.escaped:
            values = {slot: str(escape(value)) for slot, value in values.items()}
        out = [self.pieces[0]]
        for slot, piece in zip(self.slots, self.pieces[1:], strict=True):
            out.append(values[slot])
            out.append(piece)
        return "".join(out)


# Personal values that a template escapes or not, whichever way it might: a stencil whose
# filling gives back what rendering gives for these is one the template treats as plain text.
_PROBE = {
    "name": 'Zoë <O\'Brien> & "Al" {{ x }} %(y)s',
    "link": "http://probe.test/p/a.b-c_d?e=<f>&g='h'",
    "preferences_link": 'http://probe.test/p/i.j?k="l"&m',
}


class Bulk:
    """The rows enqueued inside an `in_bulk()` block, and what their rendering shares."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        # What Flask's context processors add to every template's context: the same for
        # every message of the block, so worked out once rather than once per body.
        self.shared: dict = {}
        current_app.update_template_context(self.shared)
        self.templates: dict[str, Template] = {}
        # The stencils of each template, language and shared context (None: not stencilled).
        self.stencils: dict[Hashable, tuple[Stencil, Stencil] | None] = {}

    def render(self, template: str, context: dict) -> tuple[str, str]:
        """The text and HTML bodies, as `render_template` would render them.

        A draw renders the same invitation for thousands of people, who differ only in their
        name and links: each template is rendered once per language with those left as slots
        (a stencil), then filled for each person. A stencil is used only once filling it gave
        exactly what rendering gives, for awkward values and for the block's first person; a
        template that reads anything else of the participant is rendered for each person.
        """
        values = _personal(context)
        key = _stencil_key(template, context) if values is not None else None
        if key is None:
            return self._render(template, context)
        if key not in self.stencils:
            self.stencils[key] = self._stencils(template, context)
            bodies = self._render(template, context)
            if self.stencils[key] is not None and bodies != self._fill(key, values):
                self.stencils[key] = None
            return bodies
        if self.stencils[key] is None:
            return self._render(template, context)
        return self._fill(key, values)

    def _fill(self, key: Hashable, values: dict[str, str]) -> tuple[str, str]:
        text, html = self.stencils[key]
        return text.fill(values), html.fill(values)

    def _stencils(self, template: str, context: dict) -> tuple[Stencil, Stencil] | None:
        """The template's text and HTML stencils, or None when filling them would not give
        what rendering gives."""
        names = (f"email/{template}.txt", f"email/{template}.html")
        escaped = tuple(self._escapes(name) for name in names)
        try:
            marked = self._render(template, _with_personal(context, _mark))
            probed = self._render(template, _with_personal(context, _PROBE.__getitem__))
        except NotStencilled:
            return None
        stencils = (Stencil.of(marked[0], escaped[0]), Stencil.of(marked[1], escaped[1]))
        values = {slot: _PROBE[slot] for slot in PERSONAL}
        if (stencils[0].fill(values), stencils[1].fill(values)) != probed:
            return None
        return stencils

    def _escapes(self, name: str) -> bool:
        autoescape = current_app.jinja_env.autoescape
        return bool(autoescape(name) if callable(autoescape) else autoescape)

    def _render(self, template: str, context: dict) -> tuple[str, str]:
        context = {**self.shared, **context}
        return self._get(f"email/{template}.txt").render(context), self._get(
            f"email/{template}.html"
        ).render(context)

    def _get(self, name: str) -> Template:
        if name not in self.templates:
            self.templates[name] = current_app.jinja_env.get_template(name)
        return self.templates[name]


def _personal(context: dict) -> dict[str, str] | None:
    """The personal values of a message's context, or None if it has others (or lacks one)."""
    participant = context.get("participant")
    values = {
        "name": getattr(participant, "name", None),
        "link": context.get("link"),
        "preferences_link": context.get("preferences_link"),
    }
    if not all(isinstance(value, str) and value for value in values.values()):
        return None
    return values


def _with_personal(context: dict, value_of) -> dict:
    """The context with each personal value replaced by `value_of(slot)`."""
    return {
        **context,
        "participant": _StandIn(value_of("name")),
        "link": value_of("link"),
        "preferences_link": value_of("preferences_link"),
    }


def _stencil_key(template: str, context: dict) -> Hashable | None:
    """What a stencil depends on: the template, the language and time zone it is written in,
    and everything in its context but the personal values (None if one can't be compared)."""
    shared = tuple(
        sorted(
            (name, value)
            for name, value in context.items()
            if name not in ("participant", "link", "preferences_link")
        )
    )
    key = (template, str(get_locale()), str(get_timezone()), shared)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def current() -> Bulk | None:
    """The innermost `in_bulk()` block running here, if any."""
    return _gathered.get()


_gathered: ContextVar[Bulk | None] = ContextVar("outbox_gathered", default=None)


@contextmanager
def in_bulk() -> Iterator[None]:
    """Within the block, `enqueue` gathers its rows and the block's end inserts them all in
    one multi-row INSERT, still in the caller's transaction (nothing is committed).

    For the draw (and any work that queues a message per participant): an ORM object per
    message costs about as much as rendering its bodies. Inside the block `enqueue` builds
    no object and returns None, and renders each template found once. If the block raises,
    nothing is inserted.
    """
    bulk = Bulk()
    reset = _gathered.set(bulk)
    try:
        yield
    finally:
        _gathered.reset(reset)
    if bulk.rows:
        # Core, not the ORM's bulk path: the rows need no identity, only their defaults.
        db.session.execute(insert(OutboxMessage.__table__), bulk.rows)
