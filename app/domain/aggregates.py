"""The facilitator's dashboard, as pure rules: which figures may be shown, and how.

The facilitator sees only aggregates. A figure that counts people and comes out between zero
and the minimum count `k` is shown as "fewer than k": a count of one or two could single
somebody out. Kindnesses are counted per whole local day of the game, never finer, so the
dashboard cannot line up a burst of activity with one person's day; and only days that are
over are counted (`coverage`), so reloading the page during a day shows nothing new.

Counts arrive from SQL in 15-minute UTC buckets. Every time zone in use today is offset from
UTC by a whole number of quarter hours, so each bucket lies inside one local day and folding
buckets into days is exact, across daylight-saving changes too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

BUCKET_SECONDS = 900
KINDS = ("note", "in_person")


@dataclass(frozen=True)
class Figure:
    """A figure as the dashboard may show it: `value` is None when it is suppressed."""

    value: int | None
    text: str

    @property
    def suppressed(self) -> bool:
        """True when the real figure is hidden."""
        return self.value is None

    def __str__(self) -> str:
        return self.text


def hidden(count: int, k: int) -> bool:
    """True when a count of people is too small to show: more than zero but fewer than k."""
    return 0 < count < k


def suppress(count: int, k: int) -> Figure:
    """A count of people, or "fewer than k" when it is between zero and k."""
    if count < 0:
        raise ValueError("a count cannot be negative")
    if hidden(count, k):
        return Figure(None, f"fewer than {k}")
    return Figure(count, f"{count:,}")


def share(part: int, whole: int, k: int) -> Figure:
    """`part` of `whole` people as a whole percentage, hidden whenever either count is.

    The share is hidden with the count it comes from: a percentage of a known total gives
    the count back.
    """
    if part < 0 or whole < 0 or part > whole:
        raise ValueError("a share needs 0 <= part <= whole")
    if hidden(part, k) or hidden(whole, k):
        return Figure(None, "not shown")
    if whole == 0:
        return Figure(None, "—")
    percent = round(100 * part / whole)
    # Never round a small minority up to "100%" or down to "0%": both would read as everyone
    # or no one.
    if part < whole:
        percent = min(percent, 99)
    if part > 0:
        percent = max(percent, 1)
    return Figure(percent, f"{percent}%")


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
    yesterday = local_date(now, zone) - timedelta(days=1)
    through = yesterday
    if ended_at is not None:
        through = min(through, local_date(ended_at, zone))
    return Coverage(
        through=through,
        until=day_start(through + timedelta(days=1), zone),
        active_since=day_start(through - timedelta(days=active_days - 1), zone),
        through_yesterday=through == yesterday,
    )


def day_span(starts_on: date, ends_on: date, today: date) -> tuple[date | None, date | None]:
    """The days of the game that have begun: from its first day to today or its last day."""
    last = min(ends_on, today)
    if last < starts_on:
        return None, None
    return starts_on, last


# The chart ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One coloured part of a bar: `y` is its top edge, in SVG units (y grows downwards)."""

    kind: str
    y: float
    height: float
    value: int


@dataclass(frozen=True)
class Bar:
    """One day's stacked bar."""

    day: date
    x: float
    width: float
    segments: tuple[Segment, ...]
    total: int


@dataclass(frozen=True)
class Label:
    """Text on an axis at (x, y)."""

    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    """A stacked bar chart of kindnesses per day, as plain numbers for an SVG template."""

    width: int
    height: int
    plot_left: float
    plot_top: float
    plot_bottom: float
    plot_right: float
    top_value: int
    bars: tuple[Bar, ...]
    x_labels: tuple[Label, ...]
    y_labels: tuple[Label, ...]


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, … that is at least `value` (at least 1).

    A round top for the chart's scale that leaves at most a third of it empty above 3.
    """
    if value <= 1:
        return 1
    magnitude = 10 ** int(math.floor(math.log10(value)))
    for step in (1, 2, 3, 4, 5, 6, 8, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _short(day: date) -> str:
    return f"{day.day} {day.strftime('%b')}"


def chart(
    days: Sequence[DayCount],
    width: int = 320,
    height: int = 180,
    left: int = 34,
    right: int = 6,
    top: int = 8,
    bottom: int = 22,
    max_labels: int = 5,
    max_bar: float = 24,
) -> Chart:
    """Bar geometry for kindnesses per day: notes at the bottom of each bar, in-person above.

    Coordinates are SVG user units rounded to 0.01; the drawing scales to any screen width
    through its viewBox. Each day has an equal slot; its bar is centred in it, four fifths of
    the slot wide and at most `max_bar`.
    """
    plot_width = width - left - right
    plot_height = height - top - bottom
    bottom_y = top + plot_height
    top_value = nice_ceiling(max((d.total for d in days), default=0))
    slot = plot_width / len(days) if days else plot_width
    bar_width = round(min(slot * 0.8, max_bar), 2)
    bars = []
    for i, d in enumerate(days):
        x = round(left + i * slot + (slot - bar_width) / 2, 2)
        y = float(bottom_y)
        segments = []
        for kind, value in (("note", d.notes), ("in_person", d.in_person)):
            if value <= 0:
                continue
            h = plot_height * value / top_value
            y -= h
            segments.append(Segment(kind, round(y, 2), round(h, 2), value))
        bars.append(Bar(d.day, x, bar_width, tuple(segments), d.total))
    every = max(1, math.ceil(len(days) / max_labels))
    x_labels = tuple(
        Label(round(left + (i + 0.5) * slot, 2), float(height - 6), _short(d.day))
        for i, d in enumerate(days)
        if i % every == 0
    )
    y_labels = (
        Label(float(left - 4), float(bottom_y), "0"),
        Label(float(left - 4), float(top + 10), f"{top_value:,}"),
    )
    return Chart(
        width,
        height,
        float(left),
        float(top),
        float(bottom_y),
        float(width - right),
        top_value,
        tuple(bars),
        x_labels,
        y_labels,
    )


def chart_summary(days: Sequence[DayCount]) -> str:
    """A sentence that says what the chart shows, for its aria-label."""
    if not days:
        return "Kindnesses per day: none yet."
    total = sum(d.total for d in days)
    busiest = max(days, key=lambda d: (d.total, d.day))
    text = (
        f"Kindnesses per day from {_short(days[0].day)} to {_short(days[-1].day)}: {total:,} in all"
    )
    if busiest.total:
        text += f", most on {_short(busiest.day)} ({busiest.total:,})"
    return text + "."


def csv_rows(days: Sequence[DayCount]) -> list[list[str]]:
    """The daily figures as CSV rows with a header: date, notes, in-person, total."""
    rows = [["date", "notes", "in_person", "total"]]
    rows += [[d.day.isoformat(), str(d.notes), str(d.in_person), str(d.total)] for d in days]
    return rows
