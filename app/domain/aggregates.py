"""Kindnesses per whole local day: folding counts into days, and the days a figure covers.

Kindnesses are counted per whole local day of the game, never finer, and only over days that
are over (`coverage`, after the rule in `disclosure`): what may be shown is decided there;
this module does the calendar work.

Counts arrive from SQL in 15-minute UTC buckets. Every time zone in use today is offset from
UTC by a whole number of quarter hours, so each bucket lies inside one local day and folding
buckets into days is exact, across daylight-saving changes too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .disclosure import last_counted_day

BUCKET_SECONDS = 900
KINDS = ("note", "in_person")


# Days ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayCount:
    """Kindnesses created on one local day of the game."""

    day: date
    notes: int = 0
    in_person: int = 0

    @property
    def total(self) -> int:
        """Notes and in-person kindnesses together."""
        return self.notes + self.in_person


def zone_of(name: str | None) -> ZoneInfo:
    """The game's time zone, or UTC if the name is missing or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def bucket_day(bucket: int, zone: ZoneInfo, bucket_seconds: int = BUCKET_SECONDS) -> date:
    """The local date on which a UTC bucket (seconds since 1970 // bucket_seconds) falls."""
    return datetime.fromtimestamp(bucket * bucket_seconds, UTC).astimezone(zone).date()


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The local date of a naive UTC moment."""
    return moment.replace(tzinfo=UTC).astimezone(zone).date()


def fold_days(
    buckets: Iterable[tuple[int, str, int]],
    zone: ZoneInfo,
    first: date | None = None,
    last: date | None = None,
    bucket_seconds: int = BUCKET_SECONDS,
) -> list[DayCount]:
    """Fold (UTC bucket, kind, count) rows into whole local days, oldest first.

    Every day from `first` to `last` is listed, quiet days with zeros, widened to take in
    any day that has kindnesses; with no `first`/`last` only the span of the data is listed.
    """
    notes: dict[date, int] = {}
    in_person: dict[date, int] = {}
    # Rows in bucket order share a bucket (one per kind): its day is worked out once.
    last_bucket, day = None, None
    for bucket, kind, count in buckets:
        if kind not in KINDS:
            raise ValueError(f"unknown kind of kindness: {kind!r}")
        if bucket != last_bucket:
            last_bucket, day = bucket, bucket_day(bucket, zone, bucket_seconds)
        target = notes if kind == "note" else in_person
        target[day] = target.get(day, 0) + count
    seen = set(notes) | set(in_person)
    starts = [d for d in (first, *seen) if d is not None]
    ends = [d for d in (last, *seen) if d is not None]
    if not starts or not ends:
        return []
    start, end = min(starts), max(ends)
    return [
        DayCount(day, notes.get(day, 0), in_person.get(day, 0))
        for day in (start + timedelta(days=i) for i in range((end - start).days + 1))
    ]


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first moment of a local day, as a naive UTC datetime.

    A day whose midnight is skipped by a clock change starts at the change itself; one whose
    midnight happens twice starts at the first of them.
    """
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
    # Where the offset changes around midnight, walk to the true first moment of `day`, one
    # quarter hour at a time (every offset in use is whole quarter hours).
    step = timedelta(seconds=BUCKET_SECONDS)
    while local_date(start, zone) < day:
        start += step
    while local_date(start - step, zone) >= day:
        start -= step
    return start


@dataclass(frozen=True)
class Coverage:
    """The whole past days the dashboard's figures cover.

    Nothing that happened on the current local day is counted, so a reload of the dashboard
    can never line up a change in a figure with who was at a keyboard a minute ago: today's
    activity appears tomorrow, all at once.
    """

    through: date  # the last local day counted
    until: datetime  # naive UTC: the first moment after `through`; nothing from then counts
    active_since: datetime  # naive UTC: the first moment of the active window
    through_yesterday: bool  # whether `through` is the day before today

    @property
    def until_bucket(self) -> int:
        """The first 15-minute UTC bucket that is not counted (buckets never straddle it)."""
        return -(-int(self.until.replace(tzinfo=UTC).timestamp()) // BUCKET_SECONDS)


def coverage(
    now: datetime, zone: ZoneInfo, ended_at: datetime | None = None, active_days: int = 7
) -> Coverage:
    """Whole local days up to yesterday (or up to the last day of a game that has ended).

    `now` and `ended_at` are naive UTC. The active window is the last `active_days` counted
    days, `through` included.
    """
    today = local_date(now, zone)
    through = last_counted_day(today, None if ended_at is None else local_date(ended_at, zone))
    return Coverage(
        through=through,
        until=day_start(through + timedelta(days=1), zone),
        active_since=day_start(through - timedelta(days=active_days - 1), zone),
        through_yesterday=through == today - timedelta(days=1),
    )


def day_span(starts_on: date, ends_on: date, today: date) -> tuple[date | None, date | None]:
    """The days of the game that have begun: from its first day to today or its last day."""
    last = min(ends_on, today)
    if last < starts_on:
        return None, None
    return starts_on, last


def csv_rows(days: Sequence[DayCount]) -> list[list[str]]:
    """The daily figures as CSV rows with a header: date, notes, in-person, total."""
    rows = [["date", "notes", "in_person", "total"]]
    rows += [[d.day.isoformat(), str(d.notes), str(d.in_person), str(d.total)] for d in days]
    return rows
