"""The end of a game: kindnesses stop, open requests close, the reveal (if chosen).

Also guesses before the end, staying secret at the reveal, deleting an ended game with
all its personal data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import case, delete, func, select, update

from app.domain import disclosure as reveal_rules
from app.domain.collation import sorted_by_name
from app.extensions import db
from app.mail.messages import notify
from app.models import (
    CourierRequest,
    Game,
    Kindness,
    OutboxMessage,
    Pairing,
    Participant,
    utcnow,
)
from app.services import ServiceError
from app.services.dashboard import min_count
from app.services.moderation import record
from app.services.rounds import release_moment


def secret_crowd() -> int:
    """How many angels must stay secret together for any of them to (config
    DASHBOARD_MIN_COUNT, the dashboard's smallest count)."""
    return min_count()


def set_guess(mortal: Participant, guess_id: int | None) -> None:
    """Record the mortal's guess of who their angel is (anyone else on the roster)."""
    if mortal.game.state != "running":
        raise ServiceError("Guesses can be made only while the game is running.")
    if guess_id is not None:
        ok = db.session.execute(
            select(Participant.id).where(
                Participant.id == guess_id,
                Participant.game_id == mortal.game_id,
                Participant.id != mortal.id,
                Participant.active.is_(True),
            )
        ).first()
        if not ok:
            raise ServiceError("Choose someone from the game.")
    mortal.guess_id = guess_id
    db.session.commit()


def set_stay_secret(angel: Participant, stay_secret: bool) -> None:
    """An angel may choose to stay unknown even at the reveal (before the end). The choice is
    always kept; when fewer than `secret_crowd()` angels make it, others are withheld with
    them at the end (see `domain.reveal`)."""
    if angel.game.state != "running":
        raise ServiceError("This can be changed only while the game is running.")
    angel.stay_secret = stay_secret
    db.session.commit()


def guess_choices(mortal: Participant) -> list[tuple[int, str]]:
    """Everyone the mortal may guess: the other active participants, by name."""
    rows = db.session.execute(
        select(Participant.id, Participant.name)
        .where(
            Participant.game_id == mortal.game_id,
            Participant.active.is_(True),
            Participant.id != mortal.id,
        )
        .order_by(Participant.id)
    ).all()
    # Collation order ("Łukasz" beside "Lukas"), which no database sorts the same way.
    return [(pid, name) for pid, name in sorted_by_name(rows, lambda row: row[1])]


@dataclass(frozen=True)
class Reveal:
    """What a participant learns at the end."""

    revealed: bool  # the game reveals at all
    angel_name: str | None  # None when the reveal withholds the angel's name
    guessed: bool  # only ever True beside a name: a right or wrong guess would give it away
    guess_right: bool
    # This participant's own name was withheld from their mortal (chosen or drawn).
    kept_secret: bool = False


def reveal_for(mortal: Participant) -> Reveal | None:
    """The reveal for this participant, once the game has ended (None before, or if off).

    Reads only what `end_game` fixed, so every page and email shows the same reveal.
    """
    game = mortal.game
    if game.state != "ended":
        return None
    if not game.reveal_at_end:
        return Reveal(False, None, False, False)
    row = db.session.execute(
        select(Participant, Pairing.withheld)
        .join(Pairing, Pairing.angel_id == Participant.id)
        .where(Pairing.mortal_id == mortal.id)
    ).one_or_none()
    kept_secret = bool(
        db.session.execute(
            select(Pairing.withheld).where(Pairing.angel_id == mortal.id)
        ).scalar_one_or_none()
    )
    if row is None or row.withheld:
        return Reveal(True, None, False, False, kept_secret)
    angel = row.Participant
    return Reveal(
        True, angel.name, mortal.guess_id is not None, mortal.guess_id == angel.id, kept_secret
    )


def guess_summary(game: Game) -> reveal_rules.GuessResult:
    """How the guesses went, as the facilitator may see it — one query.

    Only pairs the reveal showed count: a guess about a withheld angel is left out, so the
    summary says nothing about who stayed secret. Small counts are suppressed as on the
    dashboard.
    """
    made, right = db.session.execute(
        select(
            func.count(Participant.guess_id),
            func.count(case((Pairing.angel_id == Participant.guess_id, 1))),
        )
        .select_from(Participant)
        .join(Pairing, Pairing.mortal_id == Participant.id)
        .where(
            Participant.game_id == game.id,
            Participant.active.is_(True),
            Pairing.withheld.is_(False),
        )
    ).one()
    return reveal_rules.guess_result(made, right, secret_crowd())


def _withhold(game: Game, rng: random.Random) -> None:
    """Fix, once and for all, whose names the reveal withholds (see `domain.reveal`).

    Done even when the game does not reveal, so that turning the reveal on afterwards
    still keeps every secret.
    """
    angels = dict(
        db.session.execute(
            select(Pairing.angel_id, Participant.stay_secret)
            .join(Participant, Participant.id == Pairing.angel_id)
            .where(Pairing.game_id == game.id)
            .order_by(Pairing.angel_id)
        ).all()
    )
    withheld = reveal_rules.withheld_angels(
        list(angels), {a for a, chose in angels.items() if chose}, secret_crowd(), rng
    )
    if withheld:
        db.session.execute(
            update(Pairing)
            .where(Pairing.game_id == game.id, Pairing.angel_id.in_(sorted(withheld)))
            .values(withheld=True)
            .execution_options(synchronize_session=False)
        )


def end_game(game: Game, rng: random.Random | None = None) -> None:
    """End the game: notes still scheduled arrive now, open courier requests close and their
    angels are told, whose names the reveal withholds is fixed, and everyone gets the ending
    email (with the reveal, if chosen)."""
    now = utcnow()
    claimed = db.session.execute(
        update(Game)
        .where(Game.id == game.id, Game.state == "running")
        .values(state="ended", ended_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise ServiceError("Only a running game can be ended.")
    # Notes already written arrive together, at the end: one moment for all, no timing hint.
    db.session.execute(
        update(Kindness)
        .where(Kindness.game_id == game.id, Kindness.state == "scheduled")
        .values(state="delivered", delivered_at=now)
        .execution_options(synchronize_session=False)
    )
    closed = db.session.execute(
        update(Kindness)
        .where(Kindness.game_id == game.id, Kindness.state.in_(("routing", "undeliverable")))
        .values(state="cancelled")
        .returning(Kindness.id, Kindness.angel_id)
        .execution_options(synchronize_session=False)
    ).all()
    if closed:
        db.session.execute(
            update(CourierRequest)
            .where(
                CourierRequest.kindness_id.in_([k for k, _ in closed]),
                CourierRequest.state.in_(("offered", "accepted")),
            )
            .values(state="withdrawn", responded_at=now)
            .execution_options(synchronize_session=False)
        )
    unfinished = {angel for _, angel in closed}
    _withhold(game, rng or random.SystemRandom())
    record(game, "end", "The game was ended.")
    db.session.expire(game)
    messages: list[OutboxMessage] = []
    for person in db.session.execute(
        select(Participant)
        .where(Participant.game_id == game.id, Participant.active.is_(True))
        .order_by(Participant.id)
    ).scalars():
        messages.append(
            notify(
                person,
                "game-ended",
                f"{game.name} has ended",
                release_at=release_moment(person.game, "game-ended"),
                reveal=reveal_for(person),
                unfinished=person.id in unfinished,
            )
        )
    db.session.commit()


def delete_game(game: Game) -> None:
    """Delete a draft or ended game with every participant, note, hint and email it holds.

    A running game is ended first, so its players are told rather than finding it gone.
    """
    if game.state == "running":
        raise ServiceError("End the game before deleting it.")
    # The database cascades from the game to everything that belongs to it.
    db.session.execute(delete(Game).where(Game.id == game.id))
    db.session.commit()
