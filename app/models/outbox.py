"""The outbox: emails waiting to be sent (see app/mail/outbox.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.common import utcnow
from app.models.states import OutboxStatus, one_of


class OutboxMessage(db.Model):
    """An email written in the same transaction as the change that causes it; sent after commit."""

    __table_args__ = (
        one_of("status", OutboxStatus, name="outbox_status"),
        # Each person's latest invitation and its status, read from the index alone: the
        # roster's invitation totals over 20,000 people never open the large message rows.
        Index("outbox_latest_invitation", "participant_id", "kind", "id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int | None] = mapped_column(
        ForeignKey("game.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    to_addr: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # Stable across retries, so a receiving server can recognise a resend of the same message.
    # Unique and set before insert, so it is the "sentinel" that lets SQLAlchemy write many new
    # rows in one INSERT ... RETURNING on SQLite too (a draw or a tick queues mail in bulk);
    # without one, SQLite gets an INSERT per message. It changes no DDL.
    # One optional text attachment (a journal sent before its game is deleted); cleared with
    # the body once sent or given up.
    attachment_name: Mapped[str | None] = mapped_column(String(100))
    attachment_type: Mapped[str | None] = mapped_column(String(60))
    attachment_text: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200), unique=True, insert_sentinel=True)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
