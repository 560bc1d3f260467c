"""Self-join through a game's public page, and the requests that wait for approval.

Before the draw, joining puts the newcomer on the roster as the facilitator's own list would.
After it, a newcomer waits for the facilitator: nobody takes a place in a running circle (and
so over someone's mortal) on their own say-so. Approving places them with the circle's own
machinery (`circle.add_late_joiners`), so who is told, and when, goes through the release
rounds exactly as for a late joiner the facilitator typed in.

The public page's answer is the same whatever the address (a stranger, a pending request, a
player, a leaver), so it tells nobody who plays; what differs is only the email that follows,
released in a later round like every other.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import delete, select

from app.domain import roster
from app.extensions import db
from app.i18n import fast_gettext as _
from app.models import GameState, JoinRequest, Participant
from app.models.game import Game
from app.services import ServiceError, as_sentence, circle, links, translated
from app.services.setup import add_participants


@dataclass(frozen=True)
class JoinAnswer:
    """What the public page says after a join: the same words whatever the address."""

    drawn: bool  # names were drawn: a newcomer waits for the facilitator's approval


def _read(name: str, email: str) -> roster.RosterReading:
    """One join form as a roster reading of one entry; a bad name or address is refused with
    its reason."""
    reading = roster.read_lines(f"{name} <{email}>" if name.strip() else email, set())
    if reading.problems:
        raise ServiceError(as_sentence(reading.problems[0].reason))
    return reading


def join(game: Game, name: str, email: str) -> JoinAnswer:
    """Self-join, while the game allows it.

    Draft: a new address goes on the roster. Running: a new address waits for approval (one
    request per address). An address already playing gets no change, and while the game runs a
    fresh link to its own page instead, through the "I lost my link" flow (a leaver gets
    nothing).
    """
    if not game.allow_self_join or game.state == GameState.ENDED:
        raise ServiceError(_("This game is not open for joining."))
    reading = _read(name, email)
    entry = reading.entries[0]
    player = db.session.execute(
        select(Participant).where(
            Participant.game_id == game.id, Participant.email_key == entry.key
        )
    ).scalar_one_or_none()
    drawn = game.state == GameState.RUNNING
    if player is not None:
        if player.active and drawn:
            # Exactly the lost-link flow: one row now, the fresh link from the periodic work.
            links.ask_for_fresh_link(entry.email)
    elif not drawn:
        add_participants(game, reading)
    elif not _pending(game, entry.key):
        db.session.add(
            JoinRequest(game_id=game.id, name=entry.name, email=entry.email, email_key=entry.key)
        )
        db.session.commit()
    return JoinAnswer(drawn=drawn)


def _pending(game: Game, key: str) -> JoinRequest | None:
    return db.session.execute(
        select(JoinRequest).where(JoinRequest.game_id == game.id, JoinRequest.email_key == key)
    ).scalar_one_or_none()


def pending_joins(game: Game) -> list[JoinRequest]:
    """The requests waiting for the facilitator, oldest first (only she sees them)."""
    return list(
        db.session.execute(
            select(JoinRequest).where(JoinRequest.game_id == game.id).order_by(JoinRequest.id)
        ).scalars()
    )


def _request(game: Game, request_id: int) -> JoinRequest:
    found = db.session.execute(
        select(JoinRequest).where(JoinRequest.id == request_id, JoinRequest.game_id == game.id)
    ).scalar_one_or_none()
    if found is None:
        raise LookupError(request_id)
    return found


def approve(game: Game, request_id: int, rng: random.Random | None = None) -> JoinRequest:
    """Place a waiting newcomer in the circle as a late joiner, and forget the request.

    Raises LookupError for a request not of this game. A request whose address is meanwhile
    on the roster is dropped with a message saying so; any other refusal (a full game, the
    exclusions) leaves it waiting.
    """
    request = _request(game, request_id)
    if game.state != GameState.RUNNING:
        raise ServiceError(_("Requests to join can be approved only while the game is running."))
    db.session.delete(request)
    try:
        reading = circle.add_late_joiners(game, f"{request.name} <{request.email}>", rng)
    except ServiceError:
        db.session.rollback()
        raise
    if reading.problems:
        db.session.commit()
        raise ServiceError(
            _(
                "%(name)s was not added: %(reason)s. The request was removed.",
                name=request.name,
                reason=translated(reading.problems[0].reason),
            )
        )
    return request


def turn_down(game: Game, request_id: int) -> JoinRequest:
    """Forget a waiting request; nobody is told. Raises LookupError for another game's."""
    request = _request(game, request_id)
    db.session.execute(delete(JoinRequest).where(JoinRequest.id == request.id))
    db.session.commit()
    return request
