"""Queueing many messages at once: `in_bulk()` gathers what `outbox.enqueue` queues inside it
and inserts it all in one multi-row INSERT, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import current_app
from jinja2 import Template
from sqlalchemy import insert

from app.extensions import db
from app.models import OutboxMessage


class Bulk:
    """The rows enqueued inside an `in_bulk()` block, and what their rendering shares."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        # What Flask's context processors add to every template's context: the same for
        # every message of the block, so worked out once rather than once per body.
        self.shared: dict = {}
        current_app.update_template_context(self.shared)
        self.templates: dict[str, Template] = {}

    def render(self, template: str, context: dict) -> tuple[str, str]:
        """The text and HTML bodies, as `render_template` would render them."""
        context = {**self.shared, **context}
        return self._get(f"email/{template}.txt").render(context), self._get(
            f"email/{template}.html"
        ).render(context)

    def _get(self, name: str) -> Template:
        if name not in self.templates:
            self.templates[name] = current_app.jinja_env.get_template(name)
        return self.templates[name]


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
