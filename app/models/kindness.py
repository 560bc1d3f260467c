"""Kindnesses and what follows them: courier requests, thanks, reports and the moderation
audit."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.common import new_public_id, utcnow
from app.models.states import CourierState, KindnessKind, KindnessState, ReportStatus, one_of

if TYPE_CHECKING:
    from app.models.game import DropOffPoint


class Kindness(db.Model):
    """A note or an in-person kindness from an angel to their mortal.

    States: a note is `scheduled` until its delivery moment, then `delivered`; an in-person
    kindness is `routing` while couriers are asked, `delivered` once done, `undeliverable` when
    no courier could take it (the angel is told). Either may be `cancelled` before delivery.
    """

    __table_args__ = (
        one_of("state", KindnessState, name="kindness_state"),
        one_of("kind", KindnessKind, name="kindness_kind"),
        # Covers the dashboard's "active angels in the last 7 days" without reading rows.
        Index("ix_kindness_game_created", "game_id", "created_at", "state", "angel_id"),
        # A mortal's inbox page is a slice of this index, newest first, however long the
        # inbox; and their unread count reads only the unread entries.
        Index("ix_kindness_mortal_delivered", "mortal_id", "delivered_at"),
        Index("ix_kindness_mortal_unread", "mortal_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    game_id: Mapped[int] = mapped_column(ForeignKey("game.id", ondelete="CASCADE"), index=True)
    angel_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    mortal_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    instruction: Mapped[str] = mapped_column(Text, default="")
    drop_off_id: Mapped[int | None] = mapped_column(
        ForeignKey("drop_off_point.id", ondelete="SET NULL")
    )
    claim_code: Mapped[str | None] = mapped_column(String(12))
    # When the angel marked the item left at the drop-off point; a courier is drawn only then.
    left_at: Mapped[datetime | None] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(15), index=True)
    deliver_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    round_label: Mapped[str] = mapped_column(String(60), default="")
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    drop_off: Mapped[DropOffPoint | None] = relationship()


class CourierRequest(db.Model):
    """One courier asked to carry one in-person kindness. A re-route is a new row."""

    __table_args__ = (
        one_of("state", CourierState, name="courier_state"),
        # A courier's Deliver page is a slice of this index, however many requests they had.
        Index("ix_courier_request_courier_expires", "courier_id", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    kindness_id: Mapped[int] = mapped_column(
        ForeignKey("kindness.id", ondelete="CASCADE"), index=True
    )
    courier_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(10), default=CourierState.OFFERED, index=True)
    offered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The offer reaches the courier (page and email) at this random moment of a later round.
    released_at: Mapped[datetime | None] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)

    kindness: Mapped[Kindness] = relationship()


class Thanks(db.Model):
    """A mortal's thank-you to "my angel" for one kindness."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kindness_id: Mapped[int] = mapped_column(
        ForeignKey("kindness.id", ondelete="CASCADE"), unique=True
    )
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The angel sees it from this random moment of a later round, not when the mortal sent it.
    released_at: Mapped[datetime | None] = mapped_column(DateTime)


class Report(db.Model):
    """A report that a kindness was hurtful or inappropriate, kept for moderation."""

    # A reporter's Home reads their newest reports' outcomes from a slice of this index.
    __table_args__ = (Index("ix_report_reporter_created", "reporter_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("game.id", ondelete="CASCADE"), index=True)
    kindness_id: Mapped[int] = mapped_column(
        ForeignKey("kindness.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    # open, dismissed or acted (what was done is in the audit list).
    status: Mapped[str] = mapped_column(String(10), default=ReportStatus.OPEN)
    # Set only by the deliberate, recorded reveal step; the sender is told.
    revealed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # What the organiser did (a ModerationAction, "" while open), told to the reporter on their
    # page from `outcome_at`, a random moment of a later round, in words that name no sender.
    outcome: Mapped[str] = mapped_column(String(10), default="", server_default="")
    outcome_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    kindness: Mapped[Kindness] = relationship()


class AuditEntry(db.Model):
    """A facilitator's moderation or game action: what, when, why. Never names a sender,
    except the deliberate reveal step, which records that it happened."""

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("game.id", ondelete="CASCADE"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
