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


def resend_invitation(game: Game, participant: Participant, name: str, email: str) -> None:
    """After the draw: fix a name or email and send the invitation again with a fresh link.

    The old link stops working (its version is bumped). Only this participant is emailed.
    """
    from sqlalchemy import delete, select

    from app.domain import roster
    from app.extensions import db
    from app.models import Pairing, ParticipantSession
    from app.services import ServiceError

    if game.state != "running":
        raise ServiceError("Invitations can be re-sent only while the game is running.")
    if not participant.active:
        raise ServiceError(
            f"{participant.name} has left the game, so there is no invitation to re-send."
        )
    try:
        name, email = roster.check_name(name), roster.check_email(email)
    except ValueError as exc:
        raise ServiceError(str(exc)[:1].upper() + str(exc)[1:] + ".") from None
    key = roster.email_key(email)
    taken = db.session.execute(
        select(Participant.id).where(
            Participant.game_id == game.id,
            Participant.email_key == key,
            Participant.id != participant.id,
        )
    ).first()
    if taken:
        raise ServiceError(f"{email} is already on the roster.")
    mortal_name = db.session.execute(
        select(Participant.name)
        .join(Pairing, Pairing.mortal_id == Participant.id)
        .where(Pairing.angel_id == participant.id)
    ).scalar_one()
    messages = []
    if key != participant.email_key:
        # Redirecting an invitation would show its mortal to whoever reads the new address,
        # so an address that is known to work stays, and the old address hears of any change.
        if participant.first_opened_at is not None:
            raise ServiceError(
                f"{participant.name} has already opened their page, so their address works "
                "and cannot be changed. Re-send to the same address instead."
            )
        # No link: the one this address had stops working with this change.
        messages.append(
            notify(
                participant,
                "address-changed",
                f"Your address in {game.name} was changed",
                new_email=email,
                link=None,
                preferences_link=None,
            )
        )
    participant.name, participant.email, participant.email_key = name, email, key
    participant.link_version += 1
    # The facilitator revokes a link that went astray: whoever used it is signed out too.
    db.session.execute(
        delete(ParticipantSession).where(ParticipantSession.participant_id == participant.id)
    )
    messages.append(enqueue_invitation(game, participant, mortal_name))
    db.session.commit()
    outbox.send_after_commit(messages)


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
