"""A participant's own view of the game, reached through their private link."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.domain import devices
from app.extensions import db
from app.models import Game, Pairing, Participant


@dataclass(frozen=True)
class ParticipantPage:
    """Everything the participant's own page shows."""

    participant: Participant
    game: Game
    mortal_name: str | None


def page_for(participant: Participant) -> ParticipantPage:
    """The participant's page: their game and the name of their mortal."""
    mortal_name = db.session.execute(
        select(Participant.name)
        .join(Pairing, Pairing.mortal_id == Participant.id)
        .where(Pairing.angel_id == participant.id)
    ).scalar_one_or_none()
    return ParticipantPage(participant, participant.game, mortal_name)


def first_opened(participant: Participant) -> str | None:
    """When and on what kind of device the page was first opened, in the game's time zone."""
    if participant.first_opened_at is None:
        return None
    return devices.first_opened_line(
        participant.first_opened_at, participant.game.timezone, participant.first_opened_device
    )
