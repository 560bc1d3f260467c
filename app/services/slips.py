"""Link slips: private links handed out on paper, for a group without email (a class).

A slip carries a name and that person's private link, never a mortal: the participant's own
page says who their mortal is once they open it. Slips come a batch at a time in name order
(or as the people a name search finds), so a game of 20,000 prints as 200 batches of 100, each
as quick to make as the last. Looking at a batch is a deliberate step for the facilitator, so
each batch shown is recorded in the game's audit list, as one entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from app.domain.collation import folded
from app.domain.limits import LIMITS
from app.domain.states import GameState
from app.extensions import db
from app.i18n import fast_gettext as _
from app.mail.messages import participant_link
from app.models import Game, Participant
from app.services import ServiceError
from app.services.moderation import record

# The audit list's action for "the facilitator printed (or looked at) the link slips".
AUDIT_ACTION = "printed link slips"

# Slips in one batch: twenty A4 pages of five, and a page as quick at 20,000 people as at 100.
BATCH_SIZE = 100


@dataclass(frozen=True)
class Slip:
    """One person's slip: the name written outside the fold and the link inside it."""

    name: str
    link: str


@dataclass(frozen=True)
class SlipBatch:
    """One batch of slips in name order, among the people a name search finds (or everyone)."""

    slips: list[Slip]
    total: int  # everyone still in the game
    matching: int  # those the search finds: `total` without a search
    batch: int  # from 1, within 1..batches
    query: str

    @property
    def batches(self) -> int:
        """How many batches the matching people fill (at least one, if empty)."""
        return max(1, -(-self.matching // BATCH_SIZE))

    @property
    def first(self) -> int:
        """The position (from 1) of this batch's first slip among the matching people."""
        return (self.batch - 1) * BATCH_SIZE + 1 if self.slips else 0

    @property
    def last(self) -> int:
        """The position of this batch's last slip."""
        return self.first + len(self.slips) - 1 if self.slips else 0

    def audit_reason(self) -> str:
        """What the audit list says was shown (stored in English, like every audit reason)."""
        count = f"{len(self.slips)} {'slip' if len(self.slips) == 1 else 'slips'}"
        if self.query:
            return f"{count}: {self.first}–{self.last} of {self.matching} matching “{self.query}”"
        if self.batches == 1:
            return count  # the whole game at once, as before batches
        return f"{count}: {self.first}–{self.last} of {self.total}"


def _like(text: str) -> str:
    """A LIKE pattern finding `text` anywhere, its wildcards taken literally (as the roster)."""
    for special in ("\\", "%", "_"):
        text = text.replace(special, "\\" + special)
    return f"%{text}%"


def slip_batch(game: Game, batch: int = 1, query: str = "") -> SlipBatch:
    """One batch of slips of a running game's active participants, in name order, among those
    whose name contains `query` (without case or accents); recorded in the audit list when it
    shows any slip. Two queries and one insert, whatever the game's size.

    The links are everyone's current ones: nothing is revoked, so a second printing gives
    slips that work alongside the first. The order and the content depend only on the roster,
    never on the draw. The audit entry is committed with nothing else.
    """
    if game.state != GameState.RUNNING:
        raise ServiceError(_("Link slips exist only while the game is running."))
    in_game = (Participant.game_id == game.id) & Participant.active.is_(True)
    query = " ".join((query or "").split())[: LIMITS.roster_search]
    wanted = in_game
    if query:
        wanted = in_game & Participant.name_folded.like(_like(folded(query)), escape="\\")
    total, matching = db.session.execute(
        select(func.count(), func.count(case((wanted, 1)))).where(in_game)
    ).one()
    batch = min(max(batch, 1), max(1, -(-matching // BATCH_SIZE)))
    people = db.session.execute(
        select(Participant)
        .where(wanted)
        .order_by(Participant.name_order, Participant.id)
        .offset((batch - 1) * BATCH_SIZE)
        .limit(BATCH_SIZE)
    ).scalars()
    slips = [Slip(name=person.name, link=participant_link(person)) for person in people]
    shown = SlipBatch(slips, total, matching, batch, query)
    if slips:
        record(game, AUDIT_ACTION, shown.audit_reason())
        db.session.commit()
    return shown
