"""Invitations: the email that tells a participant names are drawn and carries their link,
and `notify`, the one way a participant is emailed (released when the release rules say)."""

from __future__ import annotations

import random
from datetime import datetime

from app.domain import release
from app.mail import outbox
from app.mail.outbox import participant_link, preferences_link  # noqa: F401 - used by views
from app.models import Game, OutboxMessage, Participant, utcnow
from app.services.rounds import next_release


def enqueue_invitation(
    game: Game, participant: Participant, at_draw: bool = False
) -> OutboxMessage | None:
    """Queue the invitation in the current transaction.

    It names no mortal (the private page does), so a forwarded or misdirected invitation gives
    nothing away. At the draw everyone's goes out at once; any other (a late joiner, a changed
    address) waits for a delivery round like everything else a participant learns.
    """
    return notify(participant, "invitation", f"Your secret mission in {game.name}", at_once=at_draw)


def resend_invitation(game: Game, participant: Participant, name: str, email: str) -> None:
    """After the draw: fix a name or email and send the invitation again with a fresh link.

    The old link stops working (its version is bumped). Only this participant is emailed.
    """
    from sqlalchemy import select

    from app.domain import roster
    from app.extensions import db
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
    if key != participant.email_key:
        # Redirecting an invitation would show its mortal to whoever reads the new address,
        # so an address that is known to work stays, and the old address hears of any change.
        if participant.first_opened_at is not None:
            raise ServiceError(
                f"{participant.name} has already opened their page, so their address works "
                "and cannot be changed. Re-send to the same address instead."
            )
        # No link: the one this address had stops working with this change.
        notify(
            participant,
            "address-changed",
            f"Your address in {game.name} was changed",
            new_email=email,
            link=None,
            preferences_link=None,
        )
    participant.name, participant.email, participant.email_key = name, email, key
    participant.link_version += 1
    enqueue_invitation(game, participant)
    db.session.commit()


def notify(
    person: Participant,
    kind: str,
    subject: str,
    *,
    now: datetime | None = None,
    release_at: datetime | None = None,
    at_once: bool = False,
    rng: random.Random | None = None,
    **context,
) -> OutboxMessage | None:
    """Queue an email of this kind to one participant, in the current transaction.

    The template is `email/<kind with _>.txt|html`; the participant, their game and their
    private link are always in its context. Only this participant is addressed. It is released
    at `release_at` if given; else at once for the kinds app/domain/release.py lets go at once
    (or when `at_once`), and otherwise at a random moment of the game's next delivery round.
    """
    now = now or utcnow()
    if release_at is None:
        if at_once or not release.waits_for_round(kind):
            release_at = now
        else:
            release_at = next_release(person.game, now, rng).at
    context.setdefault("link", participant_link(person))
    return outbox.enqueue(
        kind=kind,
        to_addr=person.email,
        template=kind.replace("-", "_"),
        subject=subject,
        game_id=person.game_id,
        participant_id=person.id,
        release_at=release_at,
        participant=person,
        game=person.game,
        **context,
    )
