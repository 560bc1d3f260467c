"""A participant's own view of the game, reached through their private link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.domain import devices, release, zones
from app.extensions import db
from app.i18n import fast_gettext as _
from app.i18n import format_moment
from app.models import Game, Pairing, Participant, utcnow
from app.services.couriers import open_request_count_query
from app.services.inbox import unread_count_query


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
    return page_from(participant, row, now)


def page_from(participant: Participant, mortal: tuple | None, now: datetime | None = None):
    """The participant's page from their mortal's (name, pairing release moment), or None for
    no mortal: `page_for` without its query, for a caller that read the row already."""
    if mortal is None:
        return ParticipantPage(participant, participant.game, None)
    name, released_at = mortal
    if not release.is_released(released_at, now or utcnow()):
        return ParticipantPage(participant, participant.game, None, mortal_pending=True)
    return ParticipantPage(participant, participant.game, name)


def first_opened(participant: Participant) -> str | None:
    """When and on what kind of device the page was first opened, in the game's time zone."""
    if participant.first_opened_at is None:
        return None
    # In the reader's language: the domain's line (devices.first_opened_line) is English.
    when = format_moment(
        zones.local_moment(participant.first_opened_at, participant.game.timezone),
        "%A %-d %B %H:%M",
    )
    kind = participant.first_opened_device
    if kind == devices.PHONE:
        return _("Your page was first opened %(when)s, on a phone", when=when)
    if kind == devices.TABLET:
        return _("Your page was first opened %(when)s, on a tablet", when=when)
    if kind == devices.COMPUTER:
        return _("Your page was first opened %(when)s, on a computer", when=when)
    return _("Your page was first opened %(when)s", when=when)


def home_counts(participant: Participant, now: datetime | None = None, extra=None) -> tuple:
    """(unread kindnesses, open courier requests[, extra]) for the home page, in one query;
    `extra(participant, now)` adds a count query of the caller's."""
    now = now or utcnow()
    parts = [
        unread_count_query(participant).scalar_subquery(),
        open_request_count_query(participant, now).scalar_subquery(),
    ]
    if extra is not None:
        parts.append(extra(participant, now).scalar_subquery())
    return tuple(db.session.execute(select(*parts)).one())
