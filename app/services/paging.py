"""Keyset paging for a participant's lists: newest first, a fixed page size, no OFFSET scans.

A page is cut by a cursor on (timestamp, id) — the sort key of the list — so the cost of a page
does not grow with how much a participant has received, sent, carried or written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_

from app.extensions import db

# Items on one page of a participant's list (inbox, sent, deliveries, journal).
PAGE_SIZE = 10


@dataclass(frozen=True)
class Page:
    """One page of a list, newest first, with cursors for the older and newer pages (or None)."""

    items: list[Any]
    older: str | None
    newer: str | None


def encode(when: date | datetime, row_id: int) -> str:
    """A cursor for the position just past one row: its sort time and id."""
    return f"{when.isoformat()}_{row_id}"


def decode(cursor: str | None, kind: type) -> tuple[Any, int] | None:
    """The (time, id) in a cursor, or None for a missing or malformed one (the first page)."""
    if not cursor or "_" not in cursor:
        return None
    when, _, row_id = cursor.rpartition("_")
    try:
        parsed = datetime.fromisoformat(when) if kind is datetime else date.fromisoformat(when)
        return parsed, int(row_id)
    except ValueError:
        return None


# A shared statement's three page statements (newest, older than, newer than a cursor), by the
# shared statement's id; the statement is kept with them so its id stays its own.
_VARIANTS: dict[tuple[int, str, int], tuple[Select, Select]] = {}


def _variant(stmt: Select, time_col, id_col, way: str, size: int) -> Select:
    """The page statement `way` ("newest", "older", "newer") of a statement built once per
    process, with the cursor as the bound parameters `cursor_time` and `cursor_id`: built the
    first time, then only run (building a statement costs more than SQLite takes to run it)."""
    key = (id(stmt), way, size)
    kept = _VARIANTS.get(key)
    if kept is not None and kept[0] is stmt:
        return kept[1]
    when = bindparam("cursor_time", type_=time_col.type)
    row_id = bindparam("cursor_id", type_=id_col.type)
    if way == "newer":
        page = stmt.where(or_(time_col > when, and_(time_col == when, id_col > row_id)))
        page = page.order_by(time_col.asc(), id_col.asc())
    else:
        page = stmt
        if way == "older":
            page = page.where(or_(time_col < when, and_(time_col == when, id_col < row_id)))
        page = page.order_by(time_col.desc(), id_col.desc())
    page = page.limit(size + 1)
    _VARIANTS[key] = (stmt, page)
    return page


def keyset(
    stmt: Select,
    time_col,
    id_col,
    key,
    before: str | None = None,
    after: str | None = None,
    size: int = PAGE_SIZE,
    kind: type = datetime,
    params: dict[str, Any] | None = None,
) -> Page:
    """Run `stmt` for one page: rows older than `before`, else newer than `after`, else newest.

    `key(row)` gives a row's (time, id). One query: a row past the page size says another
    page exists; a page reached by a cursor has the other direction to go back to (an empty
    page, after deletions, offers neither: the tabs lead back to the newest).

    With `params`, `stmt` is a statement built once per process with bound parameters (the
    participant, the moment): its page statements are built once too, and run with `params`.
    """
    newer_than = decode(after, kind) if before is None else None
    older_than = decode(before, kind)
    if params is not None:
        way = "newer" if newer_than is not None else "older" if older_than is not None else "newest"
        cursor = newer_than or older_than
        if cursor is not None:
            params = {**params, "cursor_time": cursor[0], "cursor_id": cursor[1]}
        page = _variant(stmt, time_col, id_col, way, size)
        rows = list(db.session.execute(page, params).all())
    else:
        rows = _run(stmt, time_col, id_col, newer_than, older_than, size)
    more, rows = len(rows) > size, rows[:size]
    if newer_than is not None:
        rows.reverse()
        newer = encode(*key(rows[0])) if more else None
        return Page(rows, encode(*key(rows[-1])) if rows else None, newer)
    older = encode(*key(rows[-1])) if more else None
    newer = encode(*key(rows[0])) if rows and older_than is not None else None
    return Page(rows, older, newer)


def _run(stmt: Select, time_col, id_col, newer_than, older_than, size: int) -> list:
    """One page's rows (one more than `size`, if there are) of a statement built for it."""
    if newer_than is not None:
        when, row_id = newer_than
        stmt = stmt.where(or_(time_col > when, and_(time_col == when, id_col > row_id))).order_by(
            time_col.asc(), id_col.asc()
        )
    else:
        if older_than is not None:
            when, row_id = older_than
            stmt = stmt.where(or_(time_col < when, and_(time_col == when, id_col < row_id)))
        stmt = stmt.order_by(time_col.desc(), id_col.desc())
    return list(db.session.execute(stmt.limit(size + 1)).all())
