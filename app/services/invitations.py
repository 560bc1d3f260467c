"""Invitations: the email that tells a participant who their mortal is and carries their link."""

from __future__ import annotations

from app.mail import outbox
from app.models import Game, OutboxMessage, Participant
from app.tokens import participant_link_token


def participant_link(participant: Participant) -> str:
    """The absolute private link of a participant (current link version)."""
    token = participant_link_token(participant.public_id, participant.link_version)
    return outbox.external_url("participant.open_link", token=token)


def enqueue_invitation(game: Game, participant: Participant, mortal_name: str) -> OutboxMessage:
    """Queue the invitation in the current transaction.

    Only the participant is addressed; the mortal's name is in the body alone, never in a header.
    """
    return outbox.enqueue(
        kind="invitation",
        to_addr=participant.email,
        template="invitation",
        subject=f"Your secret mission in {game.name}",
        game_id=game.id,
        participant_id=participant.id,
        game=game,
        participant=participant,
        mortal_name=mortal_name,
        link=participant_link(participant),
    )
