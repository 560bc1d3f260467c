"""Invitations: the email that tells a participant who their mortal is and carries their link."""

from __future__ import annotations

from app.mail import outbox
from app.models import Game, OutboxMessage, Participant
from app.tokens import PREFERENCES_LINK_SALT, participant_link_token


def participant_link(participant: Participant) -> str:
    """The absolute private link of a participant (current link version)."""
    token = participant_link_token(participant.public_id, participant.link_version)
    return outbox.external_url("participant.open_link", token=token)


def preferences_link(participant: Participant) -> str:
    """The one-click link to a participant's email preferences, put in every email to them."""
    token = participant_link_token(
        participant.public_id, participant.link_version, PREFERENCES_LINK_SALT
    )
    return outbox.external_url("participant.open_preferences", token=token)


def enqueue_invitation(game: Game, participant: Participant, mortal_name: str) -> OutboxMessage:
    """Queue the invitation in the current transaction.

    Only the participant is addressed; the mortal's name is in the body alone, never in a header.
    """
    return notify(
        participant, "invitation", f"Your secret mission in {game.name}", mortal_name=mortal_name
    )


def notify(person: Participant, kind: str, subject: str, **context) -> OutboxMessage:
    """Queue an email of this kind to one participant, in the current transaction.

    The template is `email/<kind with _>.txt|html`; the participant, their game and their
    private link are always in its context. Only this participant is addressed.
    """
    context.setdefault("link", participant_link(person))
    return outbox.enqueue(
        kind=kind,
        to_addr=person.email,
        template=kind.replace("-", "_"),
        subject=subject,
        game_id=person.game_id,
        participant_id=person.id,
        participant=person,
        game=person.game,
        **context,
    )
