"""The end of a game: kindnesses stop, open requests close, the reveal (if chosen).

Also guesses before the end, staying secret at the reveal, deleting an ended game with
all its personal data (each journal mailed to its owner first, a tombstone kept so that the
game's old links say it was deleted).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from flask_babel import force_locale
from sqlalchemy import case, delete, func, or_, select, update

from app.domain import disclosure as reveal_rules
from app.domain.collation import sorted_by_name
from app.domain.states import CourierState, GameState, KindnessState
from app.extensions import db
from app.i18n import fast_gettext as _
from app.i18n import participant_language
from app.mail.messages import enqueue_journal_before_deletion, notify
from app.models import (
    CourierRequest,
    Game,
    GameTombstone,
    JournalEntry,
    Kindness,
    OutboxMessage,
    Pairing,
    Participant,
    utcnow,
)
from app.services import ServiceError, links
from app.services.dashboard import min_count
from app.services.journal import export_journal
from app.services.moderation import record
from app.services.rounds import release_moment


def secret_crowd() -> int:
    """How many angels must stay secret together for any of them to (config
    DASHBOARD_MIN_COUNT, the dashboard's smallest count)."""
    return min_count()


def set_guess(mortal: Participant, guess_id: int | None) -> None:
    """Record the mortal's guess of who their angel is (anyone in `guess_choices`)."""
    if mortal.game.state != GameState.RUNNING:
        raise ServiceError(_("Guesses can be made only while the game is running."))
    if guess_id is not None:
        ok = db.session.execute(
            select(Participant.id).where(Participant.id == guess_id, *_guessable(mortal))
        ).first()
        if not ok:
            raise ServiceError(_("Choose someone from the game."))
    mortal.guess_id = guess_id
    db.session.commit()


def set_stay_secret(angel: Participant, stay_secret: bool) -> None:
    """An angel may choose to stay unknown even at the reveal (before the end). The choice is
    always kept; when fewer than `secret_crowd()` angels make it, others are withheld with
    them at the end (see `domain.disclosure`)."""
    if angel.game.state != GameState.RUNNING:
        raise ServiceError(_("This can be changed only while the game is running."))
    angel.stay_secret = stay_secret
    db.session.commit()


def _guessable(mortal: Participant, now=None) -> tuple:
    """Conditions on Participant for who could be this mortal's angel: another active player
    of the game who is not their own mortal as their page shows it. Their mortal cannot be
    their angel (no two people are each other's angels), and listing them would only make a
    small game's answer easier; a new mortal not yet released stays listed, as the page does
    not show them yet either."""
    shown_mortal = select(Pairing.mortal_id).where(
        Pairing.angel_id == mortal.id,
        or_(Pairing.released_at.is_(None), Pairing.released_at <= (now or utcnow())),
    )
    return (
        Participant.game_id == mortal.game_id,
        Participant.active.is_(True),
        Participant.id != mortal.id,
        Participant.id.not_in(shown_mortal),
    )


def guess_choices(mortal: Participant, now=None) -> list[tuple[int, str]]:
    """Everyone the mortal may guess, by name: neither themselves nor their own mortal."""
    rows = db.session.execute(
        select(Participant.id, Participant.name)
        .where(*_guessable(mortal, now))
        .order_by(Participant.id)
    ).all()
    # Collation order ("Łukasz" beside "Lukas"), which no database sorts the same way.
    language = participant_language(mortal)
    return [(pid, name) for pid, name in sorted_by_name(rows, lambda row: row[1], language)]


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
    if game.state != GameState.ENDED:
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
    """Fix, once and for all, whose names the reveal withholds (see `domain.disclosure`).

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
        .where(Game.id == game.id, Game.state == GameState.RUNNING)
        .values(state=GameState.ENDED, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise ServiceError(_("Only a running game can be ended."))
    # Notes already written arrive together, at the end: one moment for all, no timing hint.
    db.session.execute(
        update(Kindness)
        .where(Kindness.game_id == game.id, Kindness.state == KindnessState.SCHEDULED)
        .values(state=KindnessState.DELIVERED, delivered_at=now)
        .execution_options(synchronize_session=False)
    )
    closed = db.session.execute(
        update(Kindness)
        .where(
            Kindness.game_id == game.id,
            Kindness.state.in_((KindnessState.ROUTING, KindnessState.UNDELIVERABLE)),
        )
        .values(state=KindnessState.CANCELLED)
        .returning(Kindness.id, Kindness.angel_id)
        .execution_options(synchronize_session=False)
    ).all()
    if closed:
        db.session.execute(
            update(CourierRequest)
            .where(
                CourierRequest.kindness_id.in_([k for k, _ in closed]),
                CourierRequest.state.in_((CourierState.OFFERED, CourierState.ACCEPTED)),
            )
            .values(state=CourierState.WITHDRAWN, responded_at=now)
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
                release_at=release_moment(person.game, "game-ended"),
                reveal=reveal_for(person),
                unfinished=person.id in unfinished,
            )
        )
    db.session.commit()


def forget_game(game: Game) -> None:
    """Everything a game's deletion does before the rows go, in the caller's transaction:
    each participant with a journal is mailed it (only to them; queued, never sent here),
    and a tombstone keeps the hashes of the game's opaque ids so its old links can say the
    game was deleted. The tombstone keeps no name, address, text or count of anything."""
    people = (
        db.session.execute(
            select(Participant).where(Participant.game_id == game.id).order_by(Participant.id)
        )
        .scalars()
        .all()
    )
    writers = set(
        db.session.execute(
            select(JournalEntry.participant_id)
            .join(Participant, Participant.id == JournalEntry.participant_id)
            .where(Participant.game_id == game.id)
        ).scalars()
    )
    now = utcnow()
    for person in people:
        if person.id in writers:
            # Written in their language, as the email that carries it.
            with force_locale(participant_language(person)):
                journal = export_journal(person, markdown=False)
            enqueue_journal_before_deletion(
                person,
                (journal.filename, journal.mimetype, journal.body),
                release_moment(game, "journal-before-deletion", now=now, at_once=True),
            )
    opaque_ids = {game.public_id, *(person.public_id for person in people)}
    db.session.add_all(
        GameTombstone(id_hash=links.tombstone_hash(opaque_id), deleted_at=now)
        for opaque_id in sorted(opaque_ids)
    )


def delete_game(game: Game) -> None:
    """Delete a draft or ended game with every participant, note, hint and email it holds.

    A running game is ended first, so its players are told rather than finding it gone.
    Before it goes, each journal is queued to its owner and a tombstone is kept (see
    `forget_game`); nothing here waits on the mail server.
    """
    if game.state == GameState.RUNNING:
        raise ServiceError(_("End the game before deleting it."))
    forget_game(game)
    # The database cascades from the game to everything that belongs to it; the journals
    # queued above belong to neither the game nor a participant, so they stay.
    db.session.execute(delete(Game).where(Game.id == game.id))
    db.session.commit()
