"""Every email to a participant (and the few to a facilitator): its subject, what its context
carries, and the language it is written in, queued through the outbox.

Each email is written in its recipient's language, whoever's request or tick caused it: a
participant's choice, else their game's (`participant_language`); a facilitator's account
choice, else the language of the page she is on. Subject, text and html are all rendered under
that language (dates too: the time filters read it), so one email never mixes two languages.
Callers pass values, never words: each kind's subject lives once, in SUBJECTS.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from itertools import groupby

from flask import current_app, has_request_context, request
from flask_babel import force_locale, get_locale
from werkzeug.routing import Map

from app import config
from app.i18n import DEFAULT_LANGUAGE, known_language, participant_language
from app.i18n import lazy_gettext as _l
from app.mail import outbox
from app.models import Facilitator, Game, OutboxMessage, Participant
from app.tokens import PREFERENCES_LINK_SALT, participant_link_token, participant_link_tokens

# The subject of each kind of email, translated when the email is written; `%(game)s` is the
# game's name. A subject never names a person (a forwarded or glanced-at email tells nothing).
SUBJECTS = {
    "address-changed": _l("Your address in %(game)s was changed"),
    "courier-request": _l("Can you deliver a kindness in %(game)s?"),
    "digest": _l("Today in %(game)s"),
    "fresh-link": _l("Your link for %(game)s"),
    "game-ended": _l("%(game)s has ended"),
    "invitation": _l("Your secret mission in %(game)s"),
    "invitation-reminder": _l("Your secret mission in %(game)s is waiting"),
    "journal-before-deletion": _l("Your journal from %(game)s"),
    "kindness-arrived": _l("An angel left you a kindness in %(game)s"),
    "kindness-cancelled": _l("A kindness you sent in %(game)s was cancelled"),
    "moderation-muted": _l("You can no longer send kindnesses in %(game)s"),
    "moderation-revealed": _l("The organiser of %(game)s was shown that you sent a kindness"),
    "moderation-warning": _l("A message from the organiser of %(game)s"),
    "mortal-changed": _l("Your mortal in %(game)s has changed"),
    "nudge": _l("Something is waiting for you in %(game)s"),
    "password-reset": _l("Set a new password for Angels & Mortals"),
    "question-answered": _l("Your angel answered your question in %(game)s"),
    "question-asked": _l("Your mortal in %(game)s asked you something"),
    "reminder": _l("A small idea for %(game)s"),
    "thanks": _l("Your mortal in %(game)s says thank you"),
    "undeliverable": _l("Your in-person kindness in %(game)s needs a new plan"),
}


def subject_of(kind: str, game_name: str = "") -> str:
    """The subject of an email of this kind, in the current language."""
    return str(SUBJECTS[kind]) % {"game": game_name}


def facilitator_language(facilitator: Facilitator) -> str:
    """The language of email to a facilitator: her account's choice, else the language she is
    reading the site in (she asked for it from a page), else the source language."""
    current = get_locale()
    return (
        known_language(facilitator.language)
        or known_language(str(current) if current else None)
        or DEFAULT_LANGUAGE
    )


def external_url(endpoint: str, **values) -> str:
    """An absolute URL for an email: PUBLIC_BASE_URL, else the current request's host."""
    adapter = current_app.url_map.bind("localhost")
    return external_url_base() + adapter.build(endpoint, values)


# A stand-in token, URL-safe as every signed token is, so the URL map writes it as it is.
_TOKEN_SLOT = "TOKEN0SLOT"


@lru_cache(maxsize=16)
def _around_token(url_map: Map, endpoint: str) -> tuple[str, str] | None:
    """The path of `endpoint` before and after its token: a draw writes two links for each of
    thousands of people, and building each through the URL map cost more than signing it."""
    path = url_map.bind("localhost").build(endpoint, {"token": _TOKEN_SLOT})
    before, found, after = path.partition(_TOKEN_SLOT)
    return (before, after) if found else None


def token_url(endpoint: str, token: str) -> str:
    """`external_url(endpoint, token=token)` for a signed (URL-safe) token."""
    around = _around_token(current_app.url_map, endpoint)
    if around is None:  # a rule that writes its token other than as it is
        return external_url(endpoint, token=token)
    return external_url_base() + around[0] + token + around[1]


def external_url_base() -> str:
    """PUBLIC_BASE_URL, else the current request's host, without a trailing slash."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        base = request.host_url if has_request_context() else "http://127.0.0.1:5000/"
    return base.rstrip("/")


def participant_link(participant: Participant) -> str:
    """The absolute private link of a participant (current link version)."""
    token = participant_link_token(participant.public_id, participant.link_version)
    return token_url("participant.open_link", token)


def preferences_link(participant: Participant) -> str:
    """The one-click link to a participant's email preferences, put in every email to them."""
    token = participant_link_token(
        participant.public_id, participant.link_version, PREFERENCES_LINK_SALT
    )
    return token_url("participant.open_preferences", token)


def both_links(participant: Participant) -> tuple[str, str]:
    """`participant_link` and `preferences_link` together, their claim serialised once."""
    link, preferences = participant_link_tokens(participant.public_id, participant.link_version)
    return (
        token_url("participant.open_link", link),
        token_url("participant.open_preferences", preferences),
    )


def notify(
    person: Participant,
    kind: str,
    *,
    release_at: datetime,
    **context,
) -> OutboxMessage | None:
    """Queue an email of this kind to one participant, in the current transaction, to be sent
    no sooner than `release_at` (the caller asks the game's rounds for that moment).

    Subject (SUBJECTS[kind]) and body are written in the participant's language. The template
    is `email/<kind with _>.txt|html`; the participant, their game, their private link and
    their preferences link are always in its context. Only this participant is addressed.
    """
    with force_locale(participant_language(person)):
        return _queue(person, kind, subject_of(kind, person.game.name), release_at, context)


def _queue(
    person: Participant, kind: str, subject: str, release_at: datetime, context: dict
) -> OutboxMessage | None:
    """`notify`'s work once its locale is in force and its subject written in it."""
    if "link" not in context or "preferences_link" not in context:
        link, preferences = both_links(person)
        context.setdefault("link", link)
        # Every email to a participant carries a one-click link to their email preferences.
        context.setdefault("preferences_link", preferences)
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
    return notify(participant, "invitation", release_at=release_at)


def enqueue_invitations(game: Game, people: Iterable[Participant], release_at: datetime) -> None:
    """`enqueue_invitation` for each of the game's `people`, queued in the order given.

    For a draw (inside `in_bulk()`): people who follow one another in the same language are
    written under one locale and one translated subject, not one each; every invitation is
    what `enqueue_invitation` queues for that person alone.
    """
    for language, run in groupby(people, key=participant_language):
        with force_locale(language):
            subject = subject_of("invitation", game.name)
            for person in run:
                _queue(person, "invitation", subject, release_at, {})


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
    with force_locale(participant_language(person)):
        return outbox.enqueue(
            kind="journal-before-deletion",
            to_addr=person.email,
            template="journal_before_deletion",
            subject=subject_of("journal-before-deletion", person.game.name),
            release_at=release_at,
            attachment=attachment,
            participant=person,
            game=person.game,
        )


def notify_facilitator(facilitator: Facilitator, kind: str, **context) -> OutboxMessage | None:
    """Queue an email to a facilitator about their account, in the current transaction.

    Released at once (account mail waits for no delivery round) and sent by the periodic send
    like all mail; written in `facilitator_language`. The template is
    `email/<kind with _>.txt|html`, with `facilitator` in its context; no game and no
    participant is attached to the row.
    """
    with force_locale(facilitator_language(facilitator)):
        return outbox.enqueue(
            kind=kind,
            to_addr=facilitator.email,
            template=kind.replace("-", "_"),
            subject=subject_of(kind),
            facilitator=facilitator,
            **context,
        )
