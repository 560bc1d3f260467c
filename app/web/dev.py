"""A developer's window on the outbox: exists only in debug or testing mode."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.before_request
def _only_in_development():
    """Production servers answer 404, as if the page did not exist."""
    if not (current_app.debug or current_app.testing):
        abort(404)


@bp.route("/outbox")
def outbox():
    """Every message in the outbox, newest first, with its links, to play a game locally."""
    messages = (
        db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(500))
        .scalars()
        .all()
    )
    return render_template("dev/outbox.html", messages=messages)


@bp.route("/outbox/<int:message_id>")
def message(message_id: int):
    """One message as the recipient would see it (its HTML part)."""
    row = db.get_or_404(OutboxMessage, message_id)
    return render_template("dev/message.html", message=row)
