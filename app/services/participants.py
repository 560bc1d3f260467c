"""A participant's own view of the game, reached through their private link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from app.domain import release
from app.extensions import db
from app.models import Game, Pairing, Participant, utcnow
from app.tokens import PARTICIPANT_LINK_SALT, BadLink, read_participant_link


@dataclass(frozen=True)
class ParticipantSession:
    """What the session cookie holds: an opaque id and a link version, nothing about pairings."""

    public_id: str
    version: int


def _current(public_id: str, version: int) -> Participant | None:
    participant = db.session.execute(
        select(Participant).where(Participant.public_id == public_id)
    ).scalar_one_or_none()
    if participant is None or not participant.active or participant.link_version != version:
        return None
    return participant


def open_link(token: str, salt: str = PARTICIPANT_LINK_SALT) -> ParticipantSession:
    """Check a private link and record the first opening; raise BadLink for any bad link.

    Opening the same link again (mail scanners prefetch) changes nothing more.
    """
    claim = read_participant_link(token, salt)
    participant = _current(claim.public_id, claim.version)
    if participant is None:
        raise BadLink
    if participant.first_opened_at is None:
        db.session.execute(
            update(Participant)
            .where(Participant.id == participant.id, Participant.first_opened_at.is_(None))
            .values(first_opened_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    return ParticipantSession(claim.public_id, claim.version)


def from_session(public_id: str | None, version: int | None) -> Participant | None:
    """The participant a session belongs to, if that session's link is still valid."""
    if not public_id or version is None:
        return None
    return _current(public_id, version)


@dataclass(frozen=True)
class ParticipantPage:
    """Everything the participant's own page shows."""

    participant: Participant
    game: Game
    mortal_name: str | None
    # The circle changed and the new mortal shows only from the release of that notice.
    mortal_pending: bool = False


def page_for(participant: Participant, now: datetime | None = None) -> ParticipantPage:
    """The participant's page: their game and the name of their mortal — a new mortal after a
    roster change only from its release moment, as the email telling them goes out then."""
    row = db.session.execute(
        select(Participant.name, Pairing.released_at)
        .join(Pairing, Pairing.mortal_id == Participant.id)
        .where(Pairing.angel_id == participant.id)
    ).one_or_none()
    if row is None:
        return ParticipantPage(participant, participant.game, None)
    name, released_at = row
    if not release.is_released(released_at, now or utcnow()):
        return ParticipantPage(participant, participant.game, None, mortal_pending=True)
    return ParticipantPage(participant, participant.game, name)
