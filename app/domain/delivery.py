"""Delivery rounds: when a note written now reaches its mortal.

Notes are not delivered when they are sent but in rounds at the game's delivery times, at a
random moment inside the round, and never sooner than a minimum delay after sending. So the only
thing a mortal can learn from a note's arrival is that it was written before that round.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .text import N_, Message

DEFAULT_TIMES = (time(9, 0), time(15, 0))


class DeliveryDays(StrEnum):
    """Which days of the week a game delivers on: a class or an office may rest at weekends."""

    EVERY = "every"
    WEEKDAYS = "weekdays"


DELIVERY_DAY_LABELS = {
    DeliveryDays.EVERY: N_("Every day"),
    DeliveryDays.WEEKDAYS: N_("School or working days only (Monday to Friday)"),
}


@dataclass(frozen=True)
class Schedule:
    """A game's delivery rounds: local times of day, their time zone, and timing rules."""

    times: tuple[time, ...] = DEFAULT_TIMES
    zone: str = "UTC"
    window: timedelta = timedelta(minutes=60)
    min_delay: timedelta = timedelta(minutes=30)
    days: DeliveryDays = DeliveryDays.EVERY

    def tz(self) -> ZoneInfo:
        """The zone as a ZoneInfo (the zone name is checked by parse_zone when it is set)."""
        return ZoneInfo(self.zone)


@dataclass(frozen=True)
class Round:
    """One delivery round: it opens at `start` (naive UTC) and lasts the schedule's window."""

    start: datetime
    local_day: date
    local_time: time


def parse_times(text: str) -> tuple[time, ...]:
    """Read "09:00, 15:30" into sorted distinct times; raise ValueError with a clear reason."""
    found = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            hours, minutes = part.split(":")
            found.add(time(int(hours), int(minutes)))
        except ValueError:
            raise ValueError(
                Message(N_("“%(text)s” is not a time of day like 09:00"), text=part)
            ) from None
    if not found:
        raise ValueError(Message(N_("give at least one delivery time, like 09:00")))
    if len(found) > 6:
        raise ValueError(Message(N_("at most six delivery rounds a day")))
    return tuple(sorted(found))


def format_times(times: tuple[time, ...]) -> str:
    """The inverse of parse_times."""
    return ", ".join(t.strftime("%H:%M") for t in times)


def parse_zone(name: str) -> str:
    """Check an IANA time zone name such as Europe/London; raise ValueError if unknown."""
    try:
        ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            Message(N_("“%(text)s” is not a time zone name like Europe/London"), text=name)
        ) from None
    return name.strip()


def problem_with(parse: Callable[[str], object], text: str) -> str | None:
    """What `parse` (parse_times, parse_zone) refuses in `text`, as a reason (a `Message`,
    "give at least one delivery time, like 09:00"); None if fine."""
    try:
        parse(text)
    except ValueError as exc:
        return exc.args[0]
    return None


def _to_utc(local_day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(local_day, at, tzinfo=tz).astimezone(UTC).replace(tzinfo=None)


def delivers_on(schedule: Schedule, local_day: date) -> bool:
    """Whether the game has delivery rounds on this local date (weekends rest in a
    weekdays-only game, so nothing arrives, and nobody is reminded, on a Saturday)."""
    return schedule.days == DeliveryDays.EVERY or local_day.weekday() < 5


def parse_days(value: str) -> DeliveryDays:
    """Read a DeliveryDays value; raise ValueError for anything else."""
    try:
        return DeliveryDays(value)
    except ValueError:
        raise ValueError(Message(N_("choose every day or weekdays only"))) from None


def rounds_from(schedule: Schedule, local_day: date):
    """Every round from the start of `local_day` onwards, in order (an endless generator),
    skipping the days the game does not deliver on."""
    tz = schedule.tz()
    day = local_day
    while True:
        if not delivers_on(schedule, day):
            day += timedelta(days=1)
            continue
        # Sorted by the moment they open: on a spring-forward day a local time inside the gap
        # opens later than the typed order suggests.
        yield from sorted(
            (Round(_to_utc(day, at, tz), day, at) for at in schedule.times), key=lambda r: r.start
        )
        day += timedelta(days=1)


def local_date(moment: datetime, schedule: Schedule) -> date:
    """The game's local date at a naive-UTC moment."""
    return moment.replace(tzinfo=UTC).astimezone(schedule.tz()).date()


def round_for(schedule: Schedule, sent_at: datetime, on_day: date | None = None) -> Round:
    """The round a note sent at `sent_at` (naive UTC) goes out in.

    The first round opening at least `min_delay` after sending; if `on_day` (a local date) is
    given, the first such round on or after that day.
    """
    earliest = sent_at + schedule.min_delay
    first_day = local_date(sent_at, schedule) - timedelta(days=1)
    if on_day is not None and on_day > first_day:
        first_day = on_day
    for candidate in rounds_from(schedule, first_day):
        if candidate.start >= earliest:
            return candidate
    raise AssertionError("unreachable: rounds_from never ends")


def arrival(round_: Round, schedule: Schedule, rng: random.Random) -> datetime:
    """A uniformly random moment inside the round (naive UTC)."""
    seconds = int(schedule.window.total_seconds())
    return round_.start + timedelta(seconds=rng.randrange(max(seconds, 1)))


def round_label(round_: Round) -> str:
    """Which round a note comes in, as stored: its local day and part of the day
    ("2026-12-06 morning"), never the minute. Kept language-neutral so each reader sees it
    in their own language (`app.i18n.round_name` writes it out at display time)."""
    hour = round_.local_time.hour
    part = "morning" if hour < 12 else "afternoon" if hour < 17 else "evening"
    return f"{round_.local_day.isoformat()} {part}"
