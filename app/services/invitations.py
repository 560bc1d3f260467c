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
