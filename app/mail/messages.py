"""Every email to a participant (and the few to a facilitator): what its context carries,
queued through the outbox."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_request_context, request

from app import config
from app.mail import outbox
from app.models import Facilitator, Game, OutboxMessage, Participant
from app.tokens import PREFERENCES_LINK_SALT, participant_link_token


def external_url(endpoint: str, **values) -> str:
    """An absolute URL for an email: PUBLIC_BASE_URL, else the current request's host."""
    adapter = current_app.url_map.bind("localhost")
    path = adapter.build(endpoint, values)
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        base = request.host_url if has_request_context() else "http://127.0.0.1:5000/"
    return base.rstrip("/") + path


def participant_link(participant: Participant) -> str:
    """The absolute private link of a participant (current link version)."""
    token = participant_link_token(participant.public_id, participant.link_version)
    return external_url("participant.open_link", token=token)


def preferences_link(participant: Participant) -> str:
    """The one-click link to a participant's email preferences, put in every email to them."""
    token = participant_link_token(
        participant.public_id, participant.link_version, PREFERENCES_LINK_SALT
    )
    return external_url("participant.open_preferences", token=token)


def notify(
    person: Participant,
    kind: str,
    subject: str,
    *,
    release_at: datetime,
    **context,
) -> OutboxMessage | None:
    """Queue an email of this kind to one participant, in the current transaction, to be sent
    no sooner than `release_at` (the caller asks the game's rounds for that moment).

    The template is `email/<kind with _>.txt|html`; the participant, their game, their private
    link and their preferences link are always in its context. Only this participant is
    addressed.
    """
    context.setdefault("link", participant_link(person))
    # Every email to a participant carries a one-click link to their email preferences.
    context.setdefault("preferences_link", preferences_link(person))
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


def enqueue_invitation(
    game: Game, participant: Participant, release_at: datetime
) -> OutboxMessage | None:
    """Queue the invitation in the current transaction, released at `release_at`.

    It names no mortal (the private page does), so a forwarded or misdirected invitation gives
    nothing away.
    """
    return notify(
        participant, "invitation", f"Your secret mission in {game.name}", release_at=release_at
    )


def enqueue_journal_before_deletion(
    person: Participant, attachment: tuple[str, str, str], release_at: datetime
) -> OutboxMessage | None:
    """Queue a participant's own journal, attached, to them alone, as their game is deleted.

    The row belongs to neither the game nor the participant (both are about to go, and the
    database would take the row with them), so it carries everything it needs: address,
    rendered body and attachment. It holds no link (the game's links die with it), and its
    body and attachment are cleared once sent, as every other body is. None in slips mode,
    where no participant mail is kept.
    """
    if not config.mail_kept(current_app):
        return None
    return outbox.enqueue(
        kind="journal-before-deletion",
        to_addr=person.email,
        template="journal_before_deletion",
        subject=f"Your journal from {person.game.name}",
        release_at=release_at,
        attachment=attachment,
        participant=person,
        game=person.game,
    )


def notify_facilitator(
    facilitator: Facilitator, kind: str, subject: str, **context
) -> OutboxMessage | None:
    """Queue an email to a facilitator about their account, in the current transaction.

    Released at once (account mail waits for no delivery round) and sent by the periodic send
    like all mail. The template is `email/<kind with _>.txt|html`, with `facilitator` in its
    context; no game and no participant is attached to the row.
    """
    return outbox.enqueue(
        kind=kind,
        to_addr=facilitator.email,
        template=kind.replace("-", "_"),
        subject=subject,
        facilitator=facilitator,
        **context,
    )
