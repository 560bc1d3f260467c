"""The roster as the facilitator reads it: in collation order, a page at a time, searched by
name or email, with each invitation's delivery; a constant number of queries at any size, and
the same work on page 400 of 20,000 as on page 2 (next and previous links read on from a row)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select, tuple_

from app.domain import roster
from app.domain.collation import folded
from app.domain.limits import LIMITS
from app.extensions import db
from app.models import MAX_ID, Game, OutboxMessage, OutboxStatus, Participant
from app.tokens import read_roster_cursor, roster_cursor

# People on one roster page: a page of 20,000 renders as fast as a page of 50.
PAGE_SIZE = 50


@dataclass(frozen=True)
class RosterRow:
    """One line of the facilitator's roster: the person and their invitation's delivery."""

    participant: Participant
    invitation: str | None  # None before the draw; else queued, sending, sent or failed
    error: str | None


@dataclass(frozen=True)
class RosterPage:
    """One page of the roster in collation order, among those a search matches."""

    rows: list[RosterRow]
    total: int  # everyone on the roster (who has not left)
    matching: int  # those the search matches: `total` without a search
    page: int  # from 1, within 1..pages
    query: str
    invitations: dict[str, int]  # after the draw: sent, failed, waiting over the whole roster
    # Cursors for the next and previous links (None: link to the page number, as quick).
    next_at: str | None = None
    previous_at: str | None = None

    @property
    def pages(self) -> int:
        """How many pages the matching people fill (at least one, if empty)."""
        return max(1, -(-self.matching // PAGE_SIZE))

    @property
    def first(self) -> int:
        """The position (from 1) of this page's first person among the matching ones."""
        return (self.page - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        """The position of this page's last person."""
        return self.first + len(self.rows) - 1 if self.rows else 0


def _like(text: str) -> str:
    """A LIKE pattern finding `text` anywhere, its wildcards taken literally."""
    for special in ("\\", "%", "_"):
        text = text.replace(special, "\\" + special)
    return f"%{text}%"


def _matches(query: str):
    """The SQL condition a search sets: part of a name without case or accents, or of an email."""
    return Participant.name_folded.like(_like(folded(query)), escape="\\") | (
        Participant.email_key.like(_like(query.lower()), escape="\\")
    )


def roster_of(game: Game, page: int = 1, query: str = "", at: str | None = None) -> RosterPage:
    """A page of the roster (people who have not left) in collation order, searched by name or
    email, with each latest invitation's status: a handful of queries, whatever its size.

    `at` is a next or previous link's cursor (`RosterPage.next_at`, `previous_at`): the page
    reads on from the row it names by the roster index, so page 400 costs what page 2 does. A
    numbered page is read from whichever end of the roster is nearer. A cursor that is not
    ours, too old, for another search, or whose row is gone opens the first page instead."""
    on_roster = (Participant.game_id == game.id) & Participant.active.is_(True)
    query = " ".join((query or "").split())[: LIMITS.roster_search]
    wanted = on_roster & _matches(query) if query else on_roster
    total, matching = db.session.execute(
        select(func.count(), func.count(case((wanted, 1)))).where(on_roster)
    ).one()
    pages = max(1, -(-matching // PAGE_SIZE))
    cursor = _cursor(game, query, pages, at) if at else None
    people = _after(wanted, *cursor[1:]) if cursor else []
    if people:
        page = cursor[0]
    else:
        page = 1 if at else min(max(page, 1), pages)
        people = _numbered(wanted, page, matching)
    status = _invitations([person.id for person in people])
    rows = [RosterRow(p, *status.get(p.id, (None, None))) for p in people]
    counts = {} if game.is_draft else _invitation_counts(game, total)
    links = _links(game, query, page, pages, people)
    return RosterPage(rows, total, matching, page, query, counts, *links)


_ORDER = (Participant.name_order, Participant.id)
_BACKWARDS = (Participant.name_order.desc(), Participant.id.desc())


def _numbered(wanted, page: int, matching: int) -> list[Participant]:
    """Page `page` by position, skipping rows from the nearer end: the last page is as quick
    as the first, and only a jump into the middle skips many."""
    skip = (page - 1) * PAGE_SIZE
    size = max(0, min(PAGE_SIZE, matching - skip))
    from_end = matching - skip - size
    if from_end >= skip:
        chosen = select(Participant).where(wanted).order_by(*_ORDER).offset(skip).limit(PAGE_SIZE)
        return list(db.session.execute(chosen).scalars())
    chosen = select(Participant).where(wanted).order_by(*_BACKWARDS).offset(from_end).limit(size)
    return list(db.session.execute(chosen).scalars())[::-1]


def _after(wanted, name_order: str, person_id: int, forward: bool) -> list[Participant]:
    """The page after (or, not `forward`, before) the row at (name_order, id) in collation
    order: one range read of the roster index, however deep."""
    key, boundary = tuple_(*_ORDER), tuple_(name_order, person_id)
    where = wanted & (key > boundary if forward else key < boundary)
    order = _ORDER if forward else _BACKWARDS
    people = db.session.execute(select(Participant).where(where).order_by(*order).limit(PAGE_SIZE))
    found = list(people.scalars())
    return found if forward else found[::-1]


def _cursor(game: Game, query: str, pages: int, at: str) -> tuple | None:
    """(page, name_order, id, forward) from a signed cursor made for this game and search,
    or None when it is not one, is too old, or its row has gone from the game."""
    claim = read_roster_cursor(at)
    try:
        page, person_id, forward = int(claim["p"]), int(claim["k"]), bool(claim["f"])
        fits = claim["g"] == game.id and claim["q"] == query and 1 <= page <= pages
    except (KeyError, TypeError, ValueError):
        return None
    if not fits or person_id > MAX_ID:
        return None
    name_order = db.session.execute(
        select(Participant.name_order).where(
            Participant.id == person_id, Participant.game_id == game.id
        )
    ).scalar_one_or_none()
    return None if name_order is None else (page, name_order, person_id, forward)


def _links(
    game: Game, query: str, page: int, pages: int, people: list[Participant]
) -> tuple[str | None, str | None]:
    """Cursors of the next and previous pages, read on from this page's last and first rows;
    None where the page number reads as fast (the first and the last page) or there is none."""

    def cursor(to: int, row: Participant, forward: bool) -> str:
        return roster_cursor({"g": game.id, "q": query, "p": to, "k": row.id, "f": forward})

    after = cursor(page + 1, people[-1], True) if people and 1 < page + 1 < pages else None
    before = cursor(page - 1, people[0], False) if people and 1 < page - 1 < pages else None
    return after, before


def _invitations(ids: list[int]) -> dict[int, tuple[str, str | None]]:
    """Each of these participants' latest invitation: (status, last error). A person has one
    or two, so reading them all in id order by the participant index beats grouping."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(OutboxMessage.participant_id, OutboxMessage.status, OutboxMessage.last_error)
        .where(OutboxMessage.participant_id.in_(ids), OutboxMessage.kind == "invitation")
        .order_by(OutboxMessage.id)
    )
    return {pid: (state, error) for pid, state, error in rows}  # the latest is written last


def _invitation_counts(game: Game, total: int) -> dict[str, int]:
    """Invitations sent, failed and waiting over the whole roster, counted by the database:
    each person's latest invitation is one probe of the outbox_latest_invitation index."""
    latest = (
        select(OutboxMessage.status)
        .where(OutboxMessage.participant_id == Participant.id, OutboxMessage.kind == "invitation")
        .order_by(OutboxMessage.id.desc())
        .limit(1)
        .correlate(Participant)
        .scalar_subquery()
        .label("status")
    )
    statuses = (
        select(latest)
        .where(Participant.game_id == game.id, Participant.active.is_(True))
        .subquery()
    )
    counted = dict(
        db.session.execute(
            select(statuses.c.status, func.count()).group_by(statuses.c.status)
        ).all()
    )
    sent, failed = counted.get(OutboxStatus.SENT, 0), counted.get(OutboxStatus.FAILED, 0)
    return {"sent": sent, "failed": failed, "waiting": total - sent - failed}


def on_roster(game: Game, email: str) -> bool:
    """Whether someone with this email plays in the game (the facilitator may play too)."""
    return (
        db.session.execute(
            select(Participant.id).where(
                Participant.game_id == game.id, Participant.email_key == roster.email_key(email)
            )
        ).first()
        is not None
    )


def names_in_order(game: Game, limit: int) -> list[tuple[int, str]]:
    """(id, name) of the first `limit` people on the roster in collation order: the menus of a
    small roster's exclusion form."""
    return [
        (pid, name)
        for pid, name in db.session.execute(
            select(Participant.id, Participant.name)
            .where(Participant.game_id == game.id, Participant.active.is_(True))
            .order_by(Participant.name_order, Participant.id)
            .limit(limit)
        )
    ]


def person_named(game: Game, typed: str) -> Participant | None:
    """The person an exclusion form names: by id (a menu's choice) or by email (typed)."""
    typed = (typed or "").strip()
    if typed.isdigit():
        condition = Participant.id == int(typed) if int(typed) <= MAX_ID else None
    else:
        condition = Participant.email_key == roster.email_key(typed) if typed else None
    if condition is None:
        return None
    return db.session.execute(
        select(Participant).where(condition, Participant.game_id == game.id)
    ).scalar_one_or_none()
