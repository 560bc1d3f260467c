"""The facilitator's participation dashboard: aggregate figures for one game.

Every figure covers whole past days in the game's time zone, up to yesterday (the domain's
`coverage`): a facilitator who also plays and reloads the page cannot watch a count move
while one person is at a keyboard, because nothing of today is counted until tomorrow.

The figures therefore change once a day, so they are computed once per game and local day
and kept in a small in-process cache (`FiguresCache`). The cache keeps figures, never words:
a hidden figure's text is an untranslated `Message`, which each page translates for its
reader, so a figure computed for a French reader serves an English one unchanged.

Computing them takes two aggregate queries whose work does not grow with the game's
history: one row of counts (people and invitations through composite indexes, active angels
by one index look-up per person, courier outcomes and thank-yous from a per-bucket tally),
and kindnesses per local day and kind, added up by the database from the per-bucket tally
(app/tally.py) and dated by the domain. No query here returns a participant, and nothing is
grouped by a person.
"""

from __future__ import annotations

import csv
import io
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, case, func, or_, select, true

from app.domain import aggregates, disclosure
from app.domain.aggregates import BUCKET_SECONDS, Coverage, DayCount
from app.domain.disclosure import Figure
from app.domain.states import GameState, KindnessState, OutboxStatus
from app.extensions import db
from app.i18n import fast_gettext as _
from app.models import (
    Game,
    Kindness,
    KindnessTally,
    OutboxMessage,
    OutcomeTally,
    Participant,
    utcnow,
)

ACTIVE_DAYS = 7
BUCKETS_PER_DAY = 86400 // BUCKET_SECONDS
# How far apart (in buckets: 12 hours) the zone's offset is looked up for clock changes.
OFFSET_STEP = 48
CACHE_SIZE = 256


@dataclass(frozen=True)
class Dashboard:
    """What the facilitator may see about a drawn game: aggregates only, over whole past
    days (through `through`, in the game's time zone)."""

    game_id: int
    through: date
    through_yesterday: bool
    min_count: int
    participants: Figure
    invitations_sent: Figure
    invitations_failed: Figure
    opened: Figure
    # Pages never opened: how many, never who.
    not_opened: Figure
    active_angels: Figure
    active_share: Figure
    notes: int
    in_person: int
    courier_done: int
    courier_declined: int
    courier_rerouted: int
    thanks: int
    days: tuple[DayCount, ...]

    @property
    def kindnesses(self) -> int:
        """Notes and in-person kindnesses together (cancelled ones are not counted)."""
        return self.notes + self.in_person


def min_count() -> int:
    """The smallest count of people the dashboard shows (config DASHBOARD_MIN_COUNT)."""
    return int(current_app.config["DASHBOARD_MIN_COUNT"])


def _tally(condition, value=1):
    """SQL that adds up `value` over the rows of an aggregate where `condition` holds (0 when
    none): by default, counts those rows."""
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def _taking_part(game: Game, until: datetime):
    """SQL that holds for the game's participants who were taking part when `until` came:
    added before it, and not gone before it (a leaver without a time left long ago)."""
    return and_(
        Participant.game_id == game.id,
        Participant.created_at < until,
        or_(Participant.active.is_(True), Participant.left_at >= until),
    )


def _counts(game: Game, period: Coverage) -> dict[str, int]:
    """Every single-number figure of the game as it stood when `period.until` came, in one
    query of one-row aggregates.

    Each part reads one game's rows through the game's indexes, never row by row from
    Python, and counts only what happened before `period.until`: people who had joined and
    not left, invitations written (and delivered) by then, pages first opened by then, angels
    who sent a kindness in the active window, courier outcomes and thank-yous by then.
    """
    until = period.until
    present = _taking_part(game, until)
    people = select(
        func.count().label("participants"),
        _tally(Participant.first_opened_at < until).label("opened"),
    ).where(present)
    latest = (
        select(
            OutboxMessage.participant_id.label("participant_id"),
            func.max(OutboxMessage.id).label("message_id"),
        )
        .where(
            OutboxMessage.game_id == game.id,
            OutboxMessage.kind == "invitation",
            OutboxMessage.created_at < until,
        )
        .group_by(OutboxMessage.participant_id)
        .subquery()
    )
    sent_at = func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at)
    invitations = (
        select(
            _tally(and_(OutboxMessage.status == OutboxStatus.SENT, sent_at < until)).label("sent"),
            _tally(OutboxMessage.status == OutboxStatus.FAILED).label("failed"),
        )
        .select_from(latest)
        .join(OutboxMessage, OutboxMessage.id == latest.c.message_id)
        .join(Participant, Participant.id == latest.c.participant_id)
        .where(present)
    )
    # Courier outcomes and thank-yous, each in the bucket of when it happened: a few rows per
    # day of the game, however many kindnesses it had (the triggers keep them, app/tally.py).
    outcome = OutcomeTally.name
    outcomes = select(
        _tally(outcome == "courier_done", OutcomeTally.n).label("courier_done"),
        _tally(outcome == "courier_declined", OutcomeTally.n).label("courier_declined"),
        # A declined or unanswered request moved the kindness on to the next courier.
        _tally(outcome.in_(("courier_declined", "courier_expired")), OutcomeTally.n).label(
            "courier_rerouted"
        ),
        _tally(outcome == "thanks", OutcomeTally.n).label("thanks"),
    ).where(OutcomeTally.game_id == game.id, OutcomeTally.bucket < period.until_bucket)
    # Whether each person sent a kindness in the window: one index look-up per person
    # (ix_kindness_angel_created), however many kindnesses the game has had. The person is
    # already of this game; naming the game again let SQLite's planner range over the
    # game's kindnesses instead.
    sent_recently = (
        select(Kindness.id)
        .where(
            Kindness.angel_id == Participant.id,
            Kindness.created_at >= period.active_since,
            Kindness.created_at < until,
            Kindness.state != KindnessState.CANCELLED,
        )
        .exists()
    )
    active_angels = select(func.count().label("active_angels")).where(present, sent_recently)
    parts = [q.subquery() for q in (people, invitations, active_angels, outcomes)]
    query = select(*(c for part in parts for c in part.c)).select_from(parts[0])
    for part in parts[1:]:
        query = query.join(part, true())
    row = db.session.execute(query).one()
    return {name: int(value or 0) for name, value in row._mapping.items()}


def _buckets(game: Game, until_bucket: int | None = None) -> Iterator[tuple[int, str, int]]:
    """Kindnesses (not cancelled) per 15-minute UTC bucket and kind, in one query; only the
    buckets before `until_bucket` when it is given.

    Read from the kindness tally, which triggers keep equal to counting the game's kindness
    rows by bucket (app/tally.py) and kind: a few thousand rows at most, in bucket order.
    The rows stream from the cursor to whoever folds them, so they never pile up in memory.
    """
    query = select(KindnessTally.bucket, KindnessTally.kind, KindnessTally.n).where(
        KindnessTally.game_id == game.id, KindnessTally.n > 0
    )
    if until_bucket is not None:
        query = query.where(KindnessTally.bucket < until_bucket)
    yield from db.session.connection().execute(
        query.order_by(KindnessTally.bucket, KindnessTally.kind)
    )


def coverage_of(game: Game, now: datetime | None = None) -> Coverage:
    """The whole past days the game's figures cover at `now` (naive UTC, default the clock):
    up to yesterday in the game's time zone, or up to the last day of a game that ended."""
    ended_at = game.ended_at if game.state == GameState.ENDED else None
    return aggregates.coverage(
        now or utcnow(), aggregates.zone_of(game.timezone), ended_at, ACTIVE_DAYS
    )


def _offsets(zone: ZoneInfo, lo: int, hi: int) -> list[tuple[int, int]]:
    """The zone's UTC offsets over buckets `lo` to `hi`, in buckets: (first bucket, offset),
    one pair per stretch of the same offset, oldest first (a new pair at each clock change)."""

    def offset(bucket: int) -> int:
        moment = datetime.fromtimestamp(bucket * BUCKET_SECONDS, UTC).astimezone(zone)
        return int(moment.utcoffset().total_seconds()) // BUCKET_SECONDS

    stretches = [(lo, offset(lo))]
    for start in range(lo, hi, OFFSET_STEP):
        end = min(start + OFFSET_STEP, hi)
        if offset(end - 1) == stretches[-1][1]:
            continue
        # The clock changed in this step: find the first bucket of the new offset.
        low, high = start, end - 1
        while low < high:
            middle = (low + high) // 2
            low, high = (middle + 1, high) if offset(middle) == stretches[-1][1] else (low, middle)
        stretches.append((low, offset(low)))
    return stretches


def _day_rows(game: Game, period: Coverage, first: date | None) -> Iterator[tuple[int, str, int]]:
    """Kindnesses (not cancelled) per local day and kind, in one query over the kindness
    tally: (a bucket of that day, kind, count), a few rows per day.

    The database adds up each day's buckets: a bucket's local day is its number plus the
    zone's offset at that time (both in quarter hours), divided by the buckets in a day, and
    the offsets come from the zone in Python (`_offsets`). Buckets before the game's first
    day (none, normally) come one by one. `aggregates.fold_days` then dates each row from
    its bucket, as it would the buckets one by one.
    """
    if first is None:
        yield from _buckets(game, period.until_bucket)
        return
    zone = aggregates.zone_of(game.timezone)
    lo = int(aggregates.day_start(first, zone).replace(tzinfo=UTC).timestamp()) // BUCKET_SECONDS
    stretches = _offsets(zone, lo, max(period.until_bucket, lo + 1))
    bucket = KindnessTally.bucket
    changes = [(bucket < start, q) for (_, q), (start, _) in zip(stretches, stretches[1:])]
    shift = case(*changes, else_=stretches[-1][1]) if changes else stretches[0][1]
    day = case((bucket < lo, -1 - bucket), else_=(bucket + shift) // BUCKETS_PER_DAY)
    query = (
        select(func.min(bucket), KindnessTally.kind, func.sum(KindnessTally.n))
        .where(
            KindnessTally.game_id == game.id,
            KindnessTally.n > 0,
            bucket < period.until_bucket,
        )
        .group_by(day, KindnessTally.kind)
        .order_by(func.min(bucket), KindnessTally.kind)
    )
    yield from db.session.execute(query)


def _daily_counts(game: Game, period: Coverage) -> list[DayCount]:
    """Kindnesses per whole local day of the game, every covered day (quiet days too)."""
    first, last = aggregates.day_span(game.starts_on, game.ends_on, period.through)
    return aggregates.fold_days(
        _day_rows(game, period, first), aggregates.zone_of(game.timezone), first, last
    )


def daily_counts(game: Game, now: datetime | None = None) -> list[DayCount]:
    """Kindnesses per whole local day of the game, every day up to yesterday (quiet days too)."""
    return _daily_counts(game, coverage_of(game, now))


def _compute(game: Game, period: Coverage, k: int) -> Dashboard:
    """The dashboard over `period`, from the database: two queries."""
    counts = _counts(game, period)
    days = _daily_counts(game, period)
    opened, not_opened = disclosure.part_and_rest(counts["opened"], counts["participants"], k)
    return Dashboard(
        game_id=game.id,
        through=period.through,
        through_yesterday=period.through_yesterday,
        min_count=k,
        participants=disclosure.suppress(counts["participants"], k),
        invitations_sent=disclosure.suppress(counts["sent"], k),
        invitations_failed=disclosure.suppress(counts["failed"], k),
        opened=opened,
        not_opened=not_opened,
        active_angels=disclosure.suppress(counts["active_angels"], k),
        active_share=disclosure.share(counts["active_angels"], counts["participants"], k),
        notes=sum(d.notes for d in days),
        in_person=sum(d.in_person for d in days),
        courier_done=counts["courier_done"],
        courier_declined=counts["courier_declined"],
        courier_rerouted=counts["courier_rerouted"],
        thanks=counts["thanks"],
        days=tuple(days),
    )


class FiguresCache:
    """Dashboards already computed, by a key that names everything they depend on.

    One per app, kept in this process's memory: each worker process has its own, so after
    the day turns each worker computes the new figures once on its first request. Every
    worker computes the same figures for the same day, since they count only whole past days.
    A small LRU: games whose facilitators stop looking drop out.
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, Dashboard] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Dashboard | None:
        """The dashboard kept under `key`, or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, figures: Dashboard) -> None:
        """Keep `figures` under `key`, dropping the least recently used beyond the size."""
        with self._lock:
            self._entries[key] = figures
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (for benchmarks and tests that measure the uncached path)."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def figures_cache() -> FiguresCache:
    """The current app's cache of dashboards (a test app, with its own database, has its own)."""
    return current_app.extensions.setdefault("dashboard_figures", FiguresCache())


def _cache_key(game: Game, period: Coverage, k: int) -> tuple:
    """Everything the figures depend on besides the rows before `period.until`: the game
    (its id and its random public id, so a new game that reuses a deleted game's id never
    gets its figures), the days covered, the game's state, end, days and zone, and the
    minimum count."""
    return (
        game.id,
        game.public_id,
        period.through,
        period.through_yesterday,
        game.state,
        game.ended_at,
        game.starts_on,
        game.ends_on,
        game.timezone,
        k,
    )


def dashboard_of(game: Game, now: datetime | None = None) -> Dashboard:
    """The dashboard of a drawn game over whole past days, people-counting figures suppressed.

    Computed once per game and local day (two queries), then served from the cache.
    """
    k = min_count()
    period = coverage_of(game, now)
    cache = figures_cache()
    key = _cache_key(game, period, k)
    figures = cache.get(key)
    if figures is None or figures.game_id != game.id:
        figures = _compute(game, period, k)
        cache.put(key, figures)
    return figures


def daily_csv(game: Game, now: datetime | None = None) -> str:
    """The daily figures as CSV text (date, notes, in_person, total), the page's days."""
    out = io.StringIO()
    days = dashboard_of(game, now).days
    header, *rows = aggregates.csv_rows(days)
    # The column names in the reader's language (a spreadsheet shows them as they are).
    words = {
        "date": _("date"),
        "notes": _("notes"),
        "in_person": _("in_person"),
        "total": _("total"),
    }
    csv.writer(out, lineterminator="\r\n").writerows([[words[h] for h in header], *rows])
    return out.getvalue()
