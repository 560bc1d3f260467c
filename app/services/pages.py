"""What a participant's lists show on one page: the inbox (marked read once shown) and a
courier's deliveries, each able to say whether a refused form still has its box there."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import JSON, DateTime, bindparam, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased, contains_eager
from sqlalchemy.sql.functions import FunctionElement

from app.extensions import db
from app.models import (
    CourierState,
    DropOffPoint,
    GameIdea,
    Hint,
    Pairing,
    Participant,
    ParticipantSession,
    Question,
    utcnow,
)
from app.services import (
    couriers,
    links,
    moderation,
    paging,
    participants,
    questions,
    responses,
    setup,
)
from app.services import inbox as inbox_service


class _rows_as_json(FunctionElement):  # noqa: N801 - a SQL function, named like one
    """`json_rows(a, b)`: the rows of a subquery as one JSON list of [a, b] lists."""

    type = JSON()
    name = "json_rows"
    inherit_cache = True


@compiles(_rows_as_json, "sqlite")
def _rows_as_json_sqlite(element, compiler, **kw) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(_rows_as_json, "postgresql")
def _rows_as_json_postgresql(element, compiler, **kw) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


@dataclass(frozen=True)
class Visit:
    """Who opened a participant page, with what every such page shows of them — their game,
    their mortal's name and hints — read with their session in one query. `drop_offs` and
    `own_ideas` ((id, name or text) rows) are there when the page asked for the game's choices;
    `counts` (unread kindnesses, open courier requests, report outcomes that reached them) when
    it asked for the home page's counts; `asked` (the mortal's latest questions, newest first)
    when it asked for them; `waiting` (the questions the angel may answer, oldest first, as
    `questions.waiting_for` finds them) with the choices, which only the Give page asks for.
    """

    me: Participant
    page: participants.ParticipantPage
    hints: Hint | None
    drop_offs: list[tuple[int, str]] | None = None
    own_ideas: list[tuple[int, str]] | None = None
    counts: tuple[int, int, int] | None = None
    asked: list[Question] | None = None
    waiting: list[WaitingQuestion] | None = None


class WaitingQuestion(NamedTuple):
    """A question the angel may answer, as the Give page shows it."""

    public_id: str
    text: str


@cache
def _visit_query(choices: bool, counts: bool, asked: bool):
    """The statement `visit_for_session` runs, built once per process (building a statement
    costs more than SQLite takes to run it)."""
    mortal = aliased(Participant)
    now = bindparam("now", type_=DateTime())
    query = (
        select(Participant)
        .join(Participant.game)
        .options(contains_eager(Participant.game))
        .join(ParticipantSession, ParticipantSession.participant_id == Participant.id)
        .outerjoin(Pairing, Pairing.angel_id == Participant.id)
        .outerjoin(mortal, mortal.id == Pairing.mortal_id)
        .outerjoin(Hint, Hint.participant_id == Pairing.mortal_id)
        .add_columns(mortal.id, mortal.name, Pairing.released_at, Hint)
        .where(
            Participant.public_id == bindparam("public_id"),
            Participant.active.is_(True),
            ParticipantSession.secret_hash == bindparam("secret_hash"),
            ParticipantSession.created_at >= bindparam("oldest"),
        )
    )
    if choices:
        query = query.add_columns(
            select(_rows_as_json(DropOffPoint.id, DropOffPoint.name))
            .where(DropOffPoint.game_id == Participant.game_id, DropOffPoint.active.is_(True))
            .scalar_subquery(),
            select(_rows_as_json(GameIdea.id, GameIdea.text))
            .where(GameIdea.game_id == Participant.game_id)
            .scalar_subquery(),
            # The questions the angel may answer, as `questions.waiting_for` finds them.
            select(_rows_as_json(Question.asked_at, Question.id, Question.public_id, Question.text))
            .where(Question.mortal_id == Pairing.mortal_id, *questions.answerable(now))
            .correlate(Pairing)
            .scalar_subquery(),
        )
    if counts:
        # The count queries take a participant; given the Participant class itself, each one
        # is a subquery correlated with the row this query finds.
        query = query.add_columns(
            inbox_service.unread_count_query(Participant).scalar_subquery(),
            couriers.open_request_count_query(Participant, now).scalar_subquery(),
            moderation.outcome_count_query(Participant, now).scalar_subquery(),
        )
    if asked:
        # One row per question (or one row with none): the latest few, by a correlated id list.
        latest = (
            select(Question.id)
            .where(Question.mortal_id == Participant.id)
            .order_by(Question.asked_at.desc(), Question.id.desc())
            .limit(bindparam("asked_limit"))
            .correlate(Participant)
        )
        query = query.outerjoin(Question, Question.id.in_(latest.scalar_subquery()))
        query = query.add_columns(Question)
    return query


def visit_for_session(
    public_id: object,
    secret: object,
    *,
    choices: bool = False,
    counts: bool = False,
    asked: int = 0,
    now: datetime | None = None,
) -> Visit | None:
    """The visit of the active participant whose live session this is, else None — one query.

    `choices` also reads the game's active drop-off points (by name) and its own ideas (by id),
    which the angel's forms offer; `counts` the home page's counts; `asked` (a number) that
    many of the mortal's latest questions. The mortal and their hints show only from the
    pairing's release moment, as `participants.page_for` and `preferences.mortal_hints` say.
    """
    if not isinstance(public_id, str) or not isinstance(secret, str) or not secret:
        return None
    now = now or utcnow()
    params = {
        "public_id": public_id,
        "secret_hash": links.session_hash(secret),
        "oldest": links.oldest_live_session(),
    }
    if counts or choices:
        params["now"] = now
    if asked:
        params["asked_limit"] = asked
    rows = db.session.execute(_visit_query(choices, counts, bool(asked)), params).all()
    if not rows:
        return None
    row = rows[0]
    me, mortal_id, name, released_at, hint = row[:5]
    page = participants.page_from(me, None if mortal_id is None else (name, released_at), now)
    if page.mortal_name is None:
        hint = None
    elif hint is None:
        hint = Hint(participant_id=mortal_id)  # never filled in: blank hints
    extra = list(row[5:-1] if asked else row[5:])
    drop_offs = own_ideas = waiting = None
    if choices:
        drop_offs = sorted((tuple(r) for r in extra.pop(0) or ()), key=lambda r: (r[1], r[0]))
        own_ideas = sorted(tuple(r) for r in extra.pop(0) or ())
        # Oldest first (a moment as JSON sorts as it reads, in either database).
        waiting = [WaitingQuestion(*r[2:]) for r in sorted(extra.pop(0) or (), key=_by_time)]
    latest = None
    if asked:
        latest = sorted(
            (r[-1] for r in rows if r[-1] is not None), key=lambda q: (q.asked_at, q.id)
        )[::-1]
    counted = tuple(extra) if counts else None
    return Visit(me, page, hint, drop_offs, own_ideas, counted, latest, waiting)


def _by_time(row: list) -> tuple[str, int]:
    return str(row[0]), row[1]


@dataclass(frozen=True)
class InboxPage:
    """One page of the inbox as the mortal saw it: `unread` is what was new before this look."""

    paged: paging.Page
    items: list[tuple[Any, str | None]]
    unread: set[int]
    reported: set[int]

    def has_box(self, public_id: str, step: str) -> bool:
        """Whether the page still offers the `step` ("thanks" or "report") form for a kindness:
        a refused one is shown there again, else its message is shown at the top."""
        for item, thanks in self.items:
            if item.public_id == public_id:
                return thanks is None if step == "thanks" else item.id not in self.reported
        return False


def inbox_of(mortal: Participant, before: str | None = None, after: str | None = None) -> InboxPage:
    """One page of the inbox, newest first; `unread` is what is new to the mortal. Reading
    nothing: the page is marked read by `mark_seen` once it has been shown."""
    page = inbox_service.inbox_of(mortal, before, after)
    items = [(k, thanks) for k, thanks, _ in page.items]
    unread = {k.id for k, _ in items if k.read_at is None}
    reported = {k.id for k, _, was_reported in page.items if was_reported}
    return InboxPage(page, items, unread, reported)


def mark_seen(mortal: Participant, shown: InboxPage, now: datetime | None = None) -> None:
    """The mortal has now seen this page of their inbox: what it showed is read, nothing else.

    Safe on GET: it only ever sets `read_at` on kindnesses delivered to this mortal and shown
    on this page, and a second look changes nothing. Call it after the page is rendered: the
    commit expires the rows the page displays.
    """
    if shown.unread:
        inbox_service.mark_inbox_read(mortal, sorted(shown.unread), now=now)


@dataclass(frozen=True)
class DeliveriesPage:
    """One page of a courier's deliveries, with the kindnesses they have already reported."""

    paged: paging.Page
    reported: set[int]

    @property
    def requests(self) -> list:
        """(request, kindness, recipient name) rows, newest offer first — never the sender."""
        return self.paged.items

    def has_box(self, public_id: str) -> bool:
        """Whether the page still offers the report form for a request (open, not reported)."""
        return any(
            r.public_id == public_id and r.state != CourierState.DONE and k.id not in self.reported
            for r, k, _ in self.requests
        )


def deliveries_of(
    courier: Participant, before: str | None = None, after: str | None = None
) -> DeliveriesPage:
    """One page of the courier's deliveries and which of them they reported (two queries, one
    when the page is empty)."""
    page = couriers.deliveries_page(courier, before, after)
    shown = [k.id for _, k, _ in page.items]
    return DeliveriesPage(page, responses.reported_by(courier, shown) if shown else set())


def plays_in(roster: list[setup.RosterRow], email: str) -> bool:
    """Whether someone with this email is on a roster from `setup.roster_of` (the facilitator
    may play in her own game)."""
    return email.lower() in {row.participant.email_key for row in roster}
