"""Private links, with the sessions they are swapped for.

A link (signed, carrying the participant's opaque id and link version) is revoked by raising
the link version. A session is a row here: the browser holds a random secret, the server holds
its hash, and deleting the row ends that session whatever the cookie says. The two are revoked
separately on purpose: "I lost my link" needs no login, so it may stop old links but must never
sign anyone out, or anybody who knows an address could log its owner out at will.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import joinedload

from app import config
from app.domain import devices, roster
from app.domain.states import GameState
from app.extensions import db
from app.mail.messages import notify
from app.models import (
    Game,
    GameTombstone,
    LinkRequest,
    OutboxMessage,
    Participant,
    ParticipantSession,
    utcnow,
)
from app.services.rounds import release_moment
from app.tokens import PARTICIPANT_LINK_SALT, BadLink, read_participant_link


@dataclass(frozen=True)
class SessionKey:
    """What the session cookie holds: an opaque id and a random secret, nothing about pairings."""

    public_id: str
    secret: str


def session_hash(secret: str) -> str:
    """What the server keeps of a session's secret: its SHA-256, never the secret itself."""
    return hashlib.sha256(secret.encode()).hexdigest()


def oldest_live_session():
    """Sessions older than the cookie's own lifetime are dead even if a cookie is replayed."""
    return utcnow() - current_app.permanent_session_lifetime


def check_link(token: str, salt: str = PARTICIPANT_LINK_SALT) -> Participant:
    """The active participant a link belongs to; raise BadLink for any bad, old or revoked link.

    Reads only: a prefetch or a planted link that merely loads the page changes nothing.
    """
    claim = read_participant_link(token, salt)
    participant = db.session.execute(
        select(Participant).where(Participant.public_id == claim.public_id)
    ).scalar_one_or_none()
    if participant is None or not participant.active or participant.link_version != claim.version:
        raise BadLink
    return participant


def tombstone_hash(opaque_id: str) -> str:
    """How a deleted game's tombstone keeps an opaque id: its SHA-256, nothing readable."""
    return hashlib.sha256(opaque_id.encode()).hexdigest()


def from_deleted_game(token: str, salt: str = PARTICIPANT_LINK_SALT) -> bool:
    """True when a link we signed belonged to a game since deleted (its tombstone says so).

    A tampered, malformed or expired link is False, like any other bad link: only a link we
    really issued can be told apart, and it tells only that its game was deleted.
    """
    try:
        claim = read_participant_link(token, salt)
    except BadLink:
        return False
    return (
        db.session.execute(
            select(GameTombstone.id).where(GameTombstone.id_hash == tombstone_hash(claim.public_id))
        ).first()
        is not None
    )


def open_session(token: str, user_agent: str | None) -> SessionKey:
    """Swap a private link for a new session; the first swap records when and on what device.

    Raise BadLink for any bad link. Each browser gets its own session, so logging out on one
    leaves the others signed in.
    """
    participant = check_link(token)
    # Conditional, so of two first openings at once only one is recorded.
    db.session.execute(
        update(Participant)
        .where(Participant.id == participant.id, Participant.first_opened_at.is_(None))
        .values(first_opened_at=utcnow(), first_opened_device=devices.device_kind(user_agent))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(ParticipantSession).where(
            ParticipantSession.participant_id == participant.id,
            ParticipantSession.created_at < oldest_live_session(),
        )
    )
    secret = secrets.token_urlsafe(32)
    db.session.execute(
        insert(ParticipantSession).values(
            participant_id=participant.id, secret_hash=session_hash(secret), created_at=utcnow()
        )
    )
    db.session.commit()
    return SessionKey(participant.public_id, secret)


def participant_for_session(public_id: object, secret: object) -> Participant | None:
    """The active participant whose live session this is, else None (one query, which loads
    their game too: every participant page shows it)."""
    if not isinstance(public_id, str) or not isinstance(secret, str) or not secret:
        return None
    return db.session.execute(
        select(Participant)
        .options(joinedload(Participant.game))
        .join(ParticipantSession, ParticipantSession.participant_id == Participant.id)
        .where(
            Participant.public_id == public_id,
            Participant.active.is_(True),
            ParticipantSession.secret_hash == session_hash(secret),
            ParticipantSession.created_at >= oldest_live_session(),
        )
    ).scalar_one_or_none()


def end_session(secret: object) -> None:
    """End one session (logging out): a copy of its cookie no longer opens anything."""
    if isinstance(secret, str) and secret:
        db.session.execute(
            delete(ParticipantSession).where(ParticipantSession.secret_hash == session_hash(secret))
        )
        db.session.commit()


def end_sessions_of(participant: Participant) -> None:
    """End every session of this participant, in the caller's transaction."""
    db.session.execute(
        delete(ParticipantSession).where(ParticipantSession.participant_id == participant.id)
    )


def renew_links(people: list[Participant]) -> list[OutboxMessage]:
    """Revoke each person's links and queue a fresh one to them, in the caller's transaction.

    Their sessions are left alone (see the module docstring).
    """
    messages = []
    for person in people:
        # Raised in SQL, so two renewals at once both count; the new value is read back.
        person.link_version = Participant.link_version + 1
        db.session.flush()
        messages.append(
            notify(
                person,
                "fresh-link",
                release_at=release_moment(person.game, "fresh-link"),
            )
        )
    return messages


def sign_out_everywhere(participant: Participant) -> None:
    """End every session of this participant, revoke their links and queue a fresh link.

    The mail is only queued: it is released with the other mail, never at this moment.
    """
    end_sessions_of(participant)
    renew_links([participant])
    db.session.commit()


def ask_for_fresh_link(email: str) -> None:
    """ "I lost my link": note the request, to be answered by the periodic work.

    One row whatever the address, so the public page's answer and response time are the same
    for a player and a stranger; nothing here reads the roster.
    """
    db.session.add(LinkRequest(email_key=roster.email_key(email)))
    db.session.commit()


def answer_link_requests(limit: int = 500) -> int:
    """Renew the links of everyone playing a running game under the addresses asked for, and
    queue each a fresh link (released in a delivery round); the requests are then forgotten.
    Returns how many requests were answered."""
    requests = db.session.execute(
        select(LinkRequest.id, LinkRequest.email_key).order_by(LinkRequest.id).limit(limit)
    ).all()
    if not requests:
        return 0
    # With links on slips nothing can be emailed: renewing would only stop the printed slips,
    # so the requests are forgotten and nobody's link changes.
    people: list[Participant] = []
    if not config.slips_mode(current_app):
        people = (
            db.session.execute(
                select(Participant)
                .join(Game, Game.id == Participant.game_id)
                .where(
                    Participant.email_key.in_({key for _, key in requests}),
                    Participant.active.is_(True),
                    Game.state == GameState.RUNNING,
                )
                .order_by(Participant.id)
            )
            .scalars()
            .all()
        )
    renew_links(people)
    db.session.execute(delete(LinkRequest).where(LinkRequest.id.in_([i for i, _ in requests])))
    db.session.commit()
    return len(requests)
