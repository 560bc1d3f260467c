"""People: facilitators who run games, participants who play, and their sessions.

A participant's own things live here too: their hints for their angel, their private
journal, and a lost-link request (which names only an address).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.collation import SORT_TEXT_LENGTH, folded, sort_text
from app.domain.limits import LIMITS
from app.extensions import db
from app.models.common import new_public_id, utcnow
from app.models.states import EmailPreference

if TYPE_CHECKING:
    from app.models.game import Game


class Facilitator(UserMixin, db.Model):
    """Someone who runs games. Logs in with email and password."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The language she chose on her account page (a code of app.i18n.LANGUAGES); None: her
    # pages follow the browser's Accept-Language.
    language: Mapped[str | None] = mapped_column(String(8))

    games: Mapped[list[Game]] = relationship(back_populates="facilitator")


class Participant(db.Model):
    """One person in one game, reached by email and a private signed link."""

    __table_args__ = (
        UniqueConstraint("game_id", "email_key", name="participant_email_once"),
        # The facilitator's roster pages walk this index: a page is a slice of it.
        Index("participant_roster_order", "game_id", "name_order", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    game_id: Mapped[int] = mapped_column(ForeignKey("game.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(320))
    # Lower-cased email: the roster holds each address once whatever its capitals.
    email_key: Mapped[str] = mapped_column(String(320))
    # The name's place in collation order (collation.sort_text) and the name without case or
    # accents, kept in step with the name by the ORM (_name_changed; a bulk insert sets them
    # itself): a roster of 20,000 is paged and searched by the database, not sorted in Python.
    name_order: Mapped[str] = mapped_column(String(SORT_TEXT_LENGTH), server_default="")
    name_folded: Mapped[str] = mapped_column(String(120), server_default="")
    # The team or class the facilitator put them in (None: no team). Only the facilitator sees
    # it; when the game keeps teams apart, nobody draws a teammate.
    team: Mapped[str | None] = mapped_column(String(LIMITS.team))
    # Bumped to revoke every link issued before.
    link_version: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    left_at: Mapped[datetime | None] = mapped_column(DateTime)
    courier_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # Moderation acts on "the sender of this note" without showing who that is.
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    # From when the angel's pages say the organiser warned them: the warning email's release
    # moment, so the page never tells them sooner than the email does.
    warned_at: Mapped[datetime | None] = mapped_column(DateTime)
    # An angel may stay secret even at the reveal.
    stay_secret: Mapped[bool] = mapped_column(Boolean, default=False)
    # Email: "each" kindness as it arrives, a daily "digest", or "none" (the site shows all).
    email_preference: Mapped[str] = mapped_column(String(10), default=EmailPreference.EACH)
    reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    last_reminded_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_nudged_at: Mapped[datetime | None] = mapped_column(DateTime)
    # When the one reminder of an invitation nobody opened was queued (at most one).
    invite_reminded_at: Mapped[datetime | None] = mapped_column(DateTime)
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
    # The language they chose with the switcher on their pages; None: the game's language.
    # Their pages and every email to them are in it.
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    game: Mapped[Game] = relationship()


@event.listens_for(Participant.name, "set")
def _name_changed(person: Participant, name: str, _old, _initiator) -> None:
    """Keep the name's sort and search forms in step with every name the ORM sets."""
    person.name_order = sort_text(name or "")
    person.name_folded = folded(name or "")


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


class Hint(db.Model):
    """What brightens a participant's day; only their angel sees it."""

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True
    )
    brightens: Mapped[str] = mapped_column(Text, default="")
    favourite_treat: Mapped[str] = mapped_column(String(200), default="")
    avoid: Mapped[str] = mapped_column(String(200), default="")
    appreciated_by: Mapped[str] = mapped_column(String(200), default="")
    # A short wish list, one wish a line (see LIMITS.wishes_lines), and clothes or ring sizes.
    wishes: Mapped[str] = mapped_column(Text, default="", server_default="")
    sizes: Mapped[str] = mapped_column(String(200), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class JournalEntry(db.Model):
    """A private diary entry: only its author can read it."""

    # The journal page is a slice of this index, newest day first, however long the journal.
    __table_args__ = (Index("ix_journal_entry_participant_day", "participant_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(Date)
    did: Mapped[str] = mapped_column(Text, default="")
    felt: Mapped[str] = mapped_column(Text, default="")
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


class JoinRequest(db.Model):
    """Someone who asked to join a running game through its public page, waiting for the
    facilitator to approve (they then join the circle as a late joiner) or turn them down.

    Kept apart from Participant on purpose: until approved they play no part anywhere (no
    roster, no courier pool, no guess list), whatever other queries forget to filter.
    """

    __tablename__ = "join_request"
    __table_args__ = (UniqueConstraint("game_id", "email_key", name="join_request_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("game.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
