"""Dashboard counters that database triggers keep exact (see app/tally.py)."""

from __future__ import annotations

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from app import tally
from app.extensions import db
from app.models.kindness import CourierRequest, Kindness, Thanks
from app.models.outbox import OutboxMessage
from app.models.people import Participant


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


class OutcomeTally(db.Model):
    """Thank-yous and courier outcomes per game, 15-minute UTC bucket of when they happened,
    and name, kept exact by database triggers (see app/tally.py).

    Names as in GameTally: 'thanks' (bucket of when it was sent) and 'courier_done',
    'courier_declined', 'courier_expired' (bucket of when the request reached that outcome).
    The dashboard adds up the buckets before its last counted day ends, so it reads a few
    rows per day of the game, however many kindnesses there are. A row may hold n = 0.
    """

    __tablename__ = "outcome_tally"

    game_id: Mapped[int] = mapped_column(
        ForeignKey("game.id", ondelete="CASCADE"), primary_key=True
    )
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


# The triggers are attached to the tables they watch, so `create_all()` builds them too.
tally.attach({model.__tablename__: model.__table__ for model in (Kindness, CourierRequest, Thanks)})

# The dashboard's other figures read one game's people and invitations, and whether each
# person sent a kindness in the last 7 days, from these indexes alone: reads that grow with
# the people in the game, never with its kindnesses (app/services/dashboard.py). They are
# declared here, beside the tallies, as they serve the same page.
Index(
    "ix_participant_game_present",
    Participant.game_id,
    Participant.created_at,
    Participant.active,
    Participant.left_at,
    Participant.first_opened_at,
)
Index(
    "ix_outbox_message_game_kind_participant",
    OutboxMessage.game_id,
    OutboxMessage.kind,
    OutboxMessage.participant_id,
    OutboxMessage.created_at,
)
# One look-up per person: their kindnesses from the window's first moment on.
Index(
    "ix_kindness_angel_created",
    Kindness.angel_id,
    Kindness.created_at,
    Kindness.state,
    Kindness.game_id,
)
