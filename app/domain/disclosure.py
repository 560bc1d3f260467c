"""What the app may show, as pure rules: nothing it shows may single anybody out.

Three rules, each the answer to a way of telling who did what:

* **Small counts.** A figure that counts people and comes out between zero and the minimum
  count `k` is shown as "fewer than k": a count of one or two could single somebody out. A
  share is hidden with the count it comes from, since a percentage of a known total gives the
  count back.
* **Whole past days.** Activity is counted per whole local day, and only days that are over
  (`last_counted_day`), so reloading a page during a day shows nothing new: a figure can never
  move while one person is at a keyboard.
* **Secrets kept in a crowd.** In one cycle everyone is exactly one person's angel. If a single
  angel stayed secret at the reveal, the mortals would compare their reveals and find that
  angel by elimination: the one name nobody was given. So staying secret is honoured only in a
  crowd of at least `k` angels (the same `k` as the smallest count). When fewer than `k`
  angels chose it, the reveal withholds the names of a few more angels, drawn at random, so
  that at least `k` stay secret together (`withheld_angels`). An angel who asked to stay
  secret is therefore never revealed; the price is that a few mortals whose angels did not ask
  are not told either. Nobody, not even the withheld angels' mortals, can tell a chosen secret
  from a random one: every withheld reveal reads the same. When the game has fewer than `k`
  angels, a single choice withholds every name.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from .text import N_, Message

# What a hidden share or part reads as (translated by the page, see app.domain.text).
NOT_SHOWN = Message(N_("not shown"))

# Small counts -------------------------------------------------------------------------------


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
        return Figure(None, Message(N_("fewer than %(k)d"), k=k))
    return Figure(count, f"{count:,}")


def share(part: int, whole: int, k: int) -> Figure:
    """`part` of `whole` people as a whole percentage, hidden whenever either count is.

    The share is hidden with the count it comes from: a percentage of a known total gives
    the count back.
    """
    if part < 0 or whole < 0 or part > whole:
        raise ValueError("a share needs 0 <= part <= whole")
    if hidden(part, k) or hidden(whole, k):
        return Figure(None, NOT_SHOWN)
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


def part_and_rest(part: int, whole: int, k: int) -> tuple[Figure, Figure]:
    """`part` of `whole` people and the rest of them (pages opened, and not yet), for a page
    that shows the whole as well.

    Either one gives the other back by subtraction from the whole, and which one is hidden
    would tell which side is small; so when either is too small to show, both read "not
    shown" (see `hidden`).
    """
    if part < 0 or whole < 0 or part > whole:
        raise ValueError("a part needs 0 <= part <= whole")
    if hidden(part, k) or hidden(whole - part, k):
        return Figure(None, NOT_SHOWN), Figure(None, NOT_SHOWN)
    return suppress(part, k), suppress(whole - part, k)


# Whole past days ----------------------------------------------------------------------------


def last_counted_day(today: date, last_day: date | None = None) -> date:
    """The last local day whose activity may be counted: yesterday, or `last_day` (the last
    day of a game that has ended) if that is earlier. Never today, which is not over."""
    yesterday = today - timedelta(days=1)
    return yesterday if last_day is None else min(yesterday, last_day)


# Secrets kept in a crowd --------------------------------------------------------------------


def withheld_angels(
    angels: Sequence[int], chose_secret: Collection[int], k: int, rng: random.Random
) -> set[int]:
    """The angels whose names the reveal withholds: nobody when no angel chose to stay
    secret; else every angel who chose it, plus angels drawn uniformly at random from the
    others until at least `k` (or everyone, in a game of fewer than `k`) are withheld.

    `angels` are the angels of the final cycle; choices of anyone else are ignored.
    """
    chose = {a for a in angels if a in chose_secret}
    if not chose:
        return set()
    others = sorted(set(angels) - chose)  # sorted: a seeded rng gives a repeatable reveal
    missing = max(0, min(k, len(set(angels))) - len(chose))
    return chose | set(rng.sample(others, missing))


# The reveal's guesses ----------------------------------------------------------------------


@dataclass(frozen=True)
class GuessResult:
    """How the mortals' guesses went, as the facilitator may see it.

    `guesses` is the number of guesses counted ("fewer than k" when small); `right` the share
    of them that were right ("not shown" when it would count fewer than k right or wrong).
    """

    guesses: Figure
    right: Figure

    @property
    def none(self) -> bool:
        """True when nobody's guess counts (no guesses, or every guesser's angel withheld)."""
        return self.guesses.value == 0


def guess_result(made: int, right: int, k: int) -> GuessResult:
    """The guess summary from the counts over revealed pairs only, suppressed like the
    dashboard: a count of people between zero and `k` is never shown, nor a share that would
    give one back. A percentage of a shown total gives back the wrong guesses as well as the
    right ones, so a small number of wrong guesses hides the share too."""
    guesses = suppress(made, k)
    shown = share(right, made, k)
    if not shown.suppressed and hidden(made - right, k):
        shown = Figure(None, NOT_SHOWN)
    return GuessResult(guesses, shown)
