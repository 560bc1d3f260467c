"""A game: its details, its secret pairings, the pairs never matched, drop-off points and
the facilitator's ideas. Pairings live in their own table so nothing else ever carries them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.common import new_public_id, utcnow
from app.models.states import GameState, GroupKind, one_of

if TYPE_CHECKING:
    from app.models.people import Facilitator, Participant


class Game(db.Model):
    """One game: a roster, its exclusions, and (once drawn) its secret cycle."""

    __table_args__ = (one_of("state", GameState, name="game_state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Opaque id for the game's public page (join, lost link); never the numeric id.
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    facilitator_id: Mapped[int] = mapped_column(
        ForeignKey("facilitator.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    group_kind: Mapped[str] = mapped_column(String(10), default=GroupKind.TEAM)
    group_name: Mapped[str] = mapped_column(String(120), default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    welcome: Mapped[str] = mapped_column(Text, default="")
    avoid_repeat_mortals: Mapped[bool] = mapped_column(Boolean, default=False)
    # Nobody draws someone from their own team (Participant.team): a rule, like an exclusion.
    teams_apart: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
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
    # Optional, shown to everyone: a spending guide in the organiser's words ("about £5") and
    # the day gifts are exchanged (within the game or shortly after).
    budget: Mapped[str] = mapped_column(String(60), default="", server_default="")
    exchange_on: Mapped[date | None] = mapped_column(Date)
    # The language of its invitations, and of the pages and emails of every participant who
    # has not chosen one (a code of app.i18n.LANGUAGES).
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    state: Mapped[str] = mapped_column(String(10), default=GameState.DRAFT)
    drawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    facilitator: Mapped[Facilitator] = relationship(back_populates="games")

    @property
    def is_draft(self) -> bool:
        """True until names are drawn."""
        return self.state == GameState.DRAFT


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
    # angel chose to stay secret, or was drawn to keep them company; see domain.disclosure).
    withheld: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class DropOffPoint(db.Model):
    """A place the facilitator names where angels leave items for couriers to collect."""

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("game.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class GameIdea(db.Model):
    """A kindness idea the facilitator added for their game."""

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("game.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class GameTombstone(db.Model):
    """What is left of a deleted game: enough to recognise its links, nothing personal.

    One row per opaque id that a link of the game carried (each participant's, the game's
    public page's), stored only as a SHA-256 hash, with the day it went. No name, address,
    game name or count: the row says only "a link like this belonged to a deleted game", so a
    pupil opening an old link is told the game was deleted rather than that the link is bad.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    deleted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
