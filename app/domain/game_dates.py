"""When a game may run: it starts within a year of today and lasts at most a year.

Dates far from today are typing slips (0001-01-01, 9999-12-31), and every page that walks a
game's days (the dashboard, the delivery days) would walk all of them. The form, the
service and the hints beside the fields all read these limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# How far from today a game may start, either way, and how long it may last.
MAX_START_DISTANCE = timedelta(days=365)
MAX_LENGTH = timedelta(days=365)

START_HINT = "Within a year of today."
END_HINT = "On or after the start, and at most a year after it."


@dataclass(frozen=True)
class DateProblems:
    """What is wrong with a game's dates, field by field (None where a field is fine)."""

    starts_on: str | None = None
    ends_on: str | None = None

    def __bool__(self) -> bool:
        """True when either date is refused."""
        return bool(self.starts_on or self.ends_on)


def earliest_start(today: date) -> date:
    """The first day a game may start on."""
    return today - MAX_START_DISTANCE if today > date.min + MAX_START_DISTANCE else date.min


def latest_start(today: date) -> date:
    """The last day a game may start on."""
    return today + MAX_START_DISTANCE if today < date.max - MAX_START_DISTANCE else date.max


def check(
    starts_on: date,
    ends_on: date,
    today: date,
    was: tuple[date, date] | None = None,
) -> DateProblems:
    """Which of a game's dates break the rule, as of `today`.

    `was` is the game's current (start, end) when it is being edited: a start it already has
    stays allowed, so a game begun a long time ago can still have its text changed.
    """
    start_problem = end_problem = None
    unchanged_start = was is not None and starts_on == was[0]
    if not unchanged_start and not earliest_start(today) <= starts_on <= latest_start(today):
        start_problem = (
            f"A game starts within a year of today: between {earliest_start(today):%-d %B %Y} "
            f"and {latest_start(today):%-d %B %Y}."
        )
    if ends_on < starts_on:
        end_problem = "The game must end on or after the day it starts."
    elif ends_on - starts_on > MAX_LENGTH and (was is None or (starts_on, ends_on) != was):
        end_problem = (
            f"A game lasts at most a year: end it by {starts_on + MAX_LENGTH:%-d %B %Y}."
            if start_problem is None and starts_on <= date.max - MAX_LENGTH
            else "A game lasts at most a year."
        )
    return DateProblems(start_problem, end_problem)
