"""When a game may run: it starts within a year of today and lasts at most a year.

Dates far from today are typing slips (0001-01-01, 9999-12-31), and every page that walks a
game's days (the dashboard, the delivery days) would walk all of them. The form, the
service and the hints beside the fields all read these limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .text import N_, Message

# How far from today a game may start, either way, and how long it may last.
MAX_START_DISTANCE = timedelta(days=365)
MAX_LENGTH = timedelta(days=365)

# How long after its last day a game's exchange day may fall (a class swaps gifts on the
# Monday after a game that ends on a Friday).
EXCHANGE_GRACE = timedelta(days=14)

START_HINT = N_("Within a year of today.")
EXCHANGE_HINT = N_("Optional: a day within the game's dates, or up to two weeks after it ends.")
END_HINT = N_("On or after the start, and at most a year after it.")


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
        start_problem = Message(
            N_("A game starts within a year of today: between %(earliest)s and %(latest)s."),
            earliest=earliest_start(today),
            latest=latest_start(today),
        )
    if ends_on < starts_on:
        end_problem = Message(N_("The game must end on or after the day it starts."))
    elif ends_on - starts_on > MAX_LENGTH and (was is None or (starts_on, ends_on) != was):
        end_problem = (
            Message(
                N_("A game lasts at most a year: end it by %(last)s."),
                last=starts_on + MAX_LENGTH,
            )
            if start_problem is None and starts_on <= date.max - MAX_LENGTH
            else Message(N_("A game lasts at most a year."))
        )
    return DateProblems(start_problem, end_problem)


def exchange_problem(exchange_on: date | None, starts_on: date, ends_on: date) -> str | None:
    """What is wrong with an exchange day (None when there is none, or it is fine): it falls
    within the game's dates or at most EXCHANGE_GRACE after its end."""
    if exchange_on is None:
        return None
    last = ends_on + EXCHANGE_GRACE if ends_on <= date.max - EXCHANGE_GRACE else date.max
    if not starts_on <= exchange_on <= last:
        return Message(
            N_(
                "The exchange day falls within the game or shortly after: "
                "between %(first)s and %(last)s."
            ),
            first=starts_on,
            last=last,
        )
    return None
