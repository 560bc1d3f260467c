"""Link slips: private links handed out on paper, for a group without email (a class).

A slip carries a name and that person's private link, never a mortal: the participant's own
page says who their mortal is once they open it. Looking at the slips is a deliberate step for
the facilitator, so each time is recorded in the game's audit list.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from app.domain.collation import sorted_by_name
from app.domain.states import GameState
from app.extensions import db
from app.mail.messages import participant_link
from app.models import Game, Participant
from app.services import ServiceError
from app.services.moderation import record

# The audit list's action for "the facilitator printed (or looked at) the link slips".
AUDIT_ACTION = "printed link slips"


@dataclass(frozen=True)
class Slip:
    """One person's slip: the name written outside the fold and the link inside it."""

    name: str
    link: str


def hand_out_links(game: Game) -> list[Slip]:
    """A slip for every active participant of a running game, in name order; recorded.

    The links are everyone's current ones: nothing is revoked, so a second printing gives
    slips that work alongside the first. The order and the content depend only on the roster,
    never on the draw. The audit entry is committed with nothing else.
    """
    if game.state != GameState.RUNNING:
        raise ServiceError(_("Link slips exist only while the game is running."))
    people = db.session.execute(
        select(Participant)
        .where(Participant.game_id == game.id, Participant.active.is_(True))
        .order_by(Participant.id)
    ).scalars()
    slips = [
        Slip(name=person.name, link=participant_link(person))
        for person in sorted_by_name(people, lambda p: p.name)
    ]
    record(game, AUDIT_ACTION, f"{len(slips)} {'slip' if len(slips) == 1 else 'slips'}")
    db.session.commit()
    return slips
