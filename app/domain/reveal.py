"""The reveal at the end of a game, as pure rules: whose name is withheld, and what the
facilitator may see of the guesses.

In one cycle everyone is exactly one person's angel. If a single angel stayed secret, the
mortals would compare their reveals and find that angel by elimination: the one name nobody
was given. So staying secret is honoured only in a crowd of at least `k` angels (the same `k`
as the dashboard's smallest count). When fewer than `k` angels chose it, the reveal withholds
the names of a few more angels, drawn at random, so that at least `k` stay secret together.
An angel who asked to stay secret is therefore never revealed; the price is that a few mortals
whose angels did not ask are not told either. Nobody, not even the withheld angels' mortals,
can tell a chosen secret from a random one: every withheld reveal reads the same.

When the game has fewer than `k` angels, a single choice withholds every name.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from .aggregates import Figure, hidden, share, suppress


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
        shown = Figure(None, "not shown")
    return GuessResult(guesses, shown)
