"""Typed models. Pairings live in their own table so nothing else ever carries them."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import tally
from app.extensions import db

# The largest id a row can have: ids are 32-bit integers on PostgreSQL.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    """Naive UTC now: SQLite keeps no time zones, so every stored time is naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_public_id() -> str:
    """An opaque, unguessable id for URLs and links."""
    return secrets.token_urlsafe(16)


class Facilitator(UserMixin, db.Model):
    """Someone who runs games. Logs in with email and password."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    games: Mapped[list[Game]] = relationship(back_populates="facilitator")


GAME_STATES = ("draft", "running", "ended")


class Game(db.Model):
    """One game: a roster, its exclusions, and (once drawn) its secret cycle."""

    __table_args__ = (CheckConstraint("state IN ('draft', 'running', 'ended')", name="game_state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Opaque id for the game's public page (join, lost link); never the numeric id.
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    facilitator_id: Mapped[int] = mapped_column(
        ForeignKey("facilitator.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    group_kind: Mapped[str] = mapped_column(String(10), default="team")
    group_name: Mapped[str] = mapped_column(String(120), default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    welcome: Mapped[str] = mapped_column(Text, default="")
    avoid_repeat_mortals: Mapped[bool] = mapped_column(Boolean, default=False)
    # Anyone with the game's public page may join (brought into the circle once drawn).
    allow_self_join: Mapped[bool] = mapped_column(Boolean, default=False)
    # At the end, everyone sees who their angel was (unless that angel chose to stay secret).
    reveal_at_end: Mapped[bool] = mapped_column(Boolean, default=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Notes arrive in rounds at these local times ("09:00, 15:00") in this IANA time zone.
    delivery_times: Mapped[str] = mapped_column(String(60), default="09:00, 15:00")
    timezone: Mapped[str] = mapped_column(String(60), default="UTC")
    # Which days rounds run on: "every" or "weekdays" (delivery.DeliveryDays).
    delivery_days: Mapped[str] = mapped_column(String(10), default="every", server_default="every")
    state: Mapped[str] = mapped_column(String(10), default="draft")
    drawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    facilitator: Mapped[Facilitator] = relationship(back_populates="games")

    @property
    def is_draft(self) -> bool:
        """True until names are drawn."""
        return self.state == "draft"


class Participant(db.Model):
    """One person in one game, reached by email and a private signed link."""

    __table_args__ = (UniqueConstraint("game_id", "email_key", name="participant_email_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    game_id: Mapped[int] = mapped_column(ForeignKey("game.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(320))
    # Lower-cased email: the roster holds each address once whatever its capitals.
    email_key: Mapped[str] = mapped_column(String(320))
    # Bumped to revoke every link issued before.
    link_version: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    left_at: Mapped[datetime | None] = mapped_column(DateTime)
    courier_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # Moderation acts on "the sender of this note" without showing who that is.
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    # An angel may stay secret even at the reveal.
    stay_secret: Mapped[bool] = mapped_column(Boolean, default=False)
    # Email: "each" kindness as it arrives, a daily "digest", or "none" (the site shows all).
    email_preference: Mapped[str] = mapped_column(String(10), default="each")
    reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    last_reminded_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_nudged_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_digest_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The value they chose to live by during the game (a private journal's heading).
    journal_value: Mapped[str] = mapped_column(String(120), default="")
    # The mortal's guess of who their angel is, recorded before the end.
    guess_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id", ondelete="SET NULL"))
    first_opened_at: Mapped[datetime | None] = mapped_column(DateTime)
    # When the facilitator last changed the address after the draw; the person's page says so.
    address_changed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # "phone", "tablet" or "computer": shown to the participant, so a peek by someone else shows.
    first_opened_device: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    game: Mapped[Game] = relationship()


class Exclusion(db.Model):
    """A pair who must not be matched: `angel` may not draw `mortal` (and back, if both_ways)."""

    __table_args__ = (
        UniqueConstraint("game_id", "angel_id", "mortal_id", name="exclusion_once"),
        CheckConstraint("angel_id <> mortal_id", name="exclusion_two_people"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("game.id", ondelete="CASCADE"), index=True)
    angel_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    mortal_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    both_ways: Mapped[bool] = mapped_column(Boolean, default=True)

    angel: Mapped[Participant] = relationship(foreign_keys=[angel_id])
    mortal: Mapped[Participant] = relationship(foreign_keys=[mortal_id])


class Pairing(db.Model):
    """The secret: angel -> mortal. Unique on both sides, so a game is drawn at most once."""

    __table_args__ = (
        UniqueConstraint("angel_id", name="pairing_one_mortal_each"),
        UniqueConstraint("mortal_id", name="pairing_one_angel_each"),
        CheckConstraint("angel_id <> mortal_id", name="pairing_not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("game.id", ondelete="CASCADE"), index=True)
    angel_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    mortal_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # After a roster change the angel sees their new mortal from this random moment of a later
    # round (None: from the draw).
    released_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Set when the game ends: the reveal withholds this angel's name from their mortal (the
    # angel chose to stay secret, or was drawn to keep them company; see domain.reveal).
    withheld: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


OUTBOX_STATES = ("queued", "sending", "sent", "failed")


class OutboxMessage(db.Model):
    """An email written in the same transaction as the change that causes it; sent after commit."""

    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="outbox_status"),
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
    message_id: Mapped[str] = mapped_column(String(200), unique=True, insert_sentinel=True)
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LinkRequest(db.Model):
    """An "I lost my link" request, kept only until the periodic work answers it.

    The public page writes this one row whatever the address, so neither its answer nor the
    time it takes tells whether the address plays; the tick looks the address up later.
    """

    __tablename__ = "link_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_key: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Hint(db.Model):
    """What brightens a participant's day; only their angel sees it."""

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True
    )
    brightens: Mapped[str] = mapped_column(Text, default="")
    favourite_treat: Mapped[str] = mapped_column(String(200), default="")
    avoid: Mapped[str] = mapped_column(String(200), default="")
    appreciated_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class DropOffPoint(db.Model):
    """A place the facilitator names where angels leave items for couriers to collect."""

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("game.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


KINDNESS_STATES = ("scheduled", "routing", "delivered", "undeliverable", "cancelled")


class Kindness(db.Model):
    """A note or an in-person kindness from an angel to their mortal.

    States: a note is `scheduled` until its delivery moment, then `delivered`; an in-person
    kindness is `routing` while couriers are asked, `delivered` once done, `undeliverable` when
    no courier could take it (the angel is told). Either may be `cancelled` before delivery.
    """

    __table_args__ = (
        CheckConstraint(
            "state IN ('scheduled', 'routing', 'delivered', 'undeliverable', 'cancelled')",
            name="kindness_state",
        ),
        CheckConstraint("kind IN ('note', 'in_person')", name="kindness_kind"),
        # Covers the dashboard's "active angels in the last 7 days" without reading rows.
        Index("ix_kindness_game_created", "game_id", "created_at", "state", "angel_id"),
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


class KindnessTally(db.Model):
    """Kindnesses (not cancelled) per game, 15-minute UTC bucket and kind.

    Kept exact by database triggers on `kindness` (see app/tally.py), so the dashboard reads
    a few thousand rows instead of every kindness. A row may hold n = 0.
    """

    __tablename__ = "kindness_tally"

    game_id: Mapped[int] = mapped_column(
        ForeignKey("game.id", ondelete="CASCADE"), primary_key=True
    )
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class GameTally(db.Model):
    """Per-game counters kept exact by database triggers (see app/tally.py).

    Names: 'thanks', and 'courier_done', 'courier_declined', 'courier_expired' (courier
    requests of the game's kindnesses in that state).
    """

    __tablename__ = "game_tally"

    game_id: Mapped[int] = mapped_column(
        ForeignKey("game.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


COURIER_STATES = ("offered", "accepted", "declined", "expired", "done", "withdrawn")


class CourierRequest(db.Model):
    """One courier asked to carry one in-person kindness. A re-route is a new row."""

    __table_args__ = (
        CheckConstraint(
            "state IN ('offered', 'accepted', 'declined', 'expired', 'done', 'withdrawn')",
            name="courier_state",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    kindness_id: Mapped[int] = mapped_column(
        ForeignKey("kindness.id", ondelete="CASCADE"), index=True
    )
    courier_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(10), default="offered", index=True)
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

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("game.id", ondelete="CASCADE"), index=True)
    kindness_id: Mapped[int] = mapped_column(
        ForeignKey("kindness.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    # open, dismissed or acted (what was done is in the audit list).
    status: Mapped[str] = mapped_column(String(10), default="open")
    # Set only by the deliberate, recorded reveal step; the sender is told.
    revealed_at: Mapped[datetime | None] = mapped_column(DateTime)
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


class JournalEntry(db.Model):
    """A private diary entry: only its author can read it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(Date)
    did: Mapped[str] = mapped_column(Text, default="")
    felt: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class GameIdea(db.Model):
    """A kindness idea the facilitator added for their game."""

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("game.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ParticipantSession(db.Model):
    """One browser signed in to a participant's page. Deleting the row ends that session.

    The cookie holds a random secret; only its SHA-256 is kept here, so a copy of the database
    opens no page.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


tally.attach({model.__tablename__: model.__table__ for model in (Kindness, CourierRequest, Thanks)})
