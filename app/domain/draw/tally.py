"""How many exclusions each person has: counted pair by pair, or probed.

The dead-end checks (:mod:`.diagnosis`) and the large-group repair
(:class:`.search._Heavy`) look closely only at the few people with many
exclusions; these find them. Counting is one pass over every pair, cheap
while there are few per person; probing costs the same few checks per person
however many pairs there are.
"""

from __future__ import annotations

from collections import Counter
from itertools import chain
from operator import add, itemgetter

# Above this many pairs per person, probing (see _Probes) is cheaper than counting them.
_COUNT_MAX_PER_PERSON = 64
_PROBE_ROUNDS = 32
# _Probes.heavy's margin over the share that counts as heavy.
_PROBE_MARGIN = 1 / 8


class _Counts:
    """How many exclusions each id has as angel and as mortal.

    Counted on the raw pairs, so unknown ids and (a, a) pairs are included: the
    counts are upper bounds, used only to find the few people worth a closer look.
    One pass over every pair: cheap while there are few per person (see
    :func:`_tally`), seconds at tens of millions.
    """

    # Every person over a threshold is found (see _Probes for when some may be missed).
    complete = True
    # Counts can't tell one-way exclusions apart: the team check looks at the pairs.
    one_way = False

    def __init__(self, arcs: set[tuple[int, int]]) -> None:
        self.as_angel = Counter(map(itemgetter(0), arcs))
        self.as_mortal = Counter(map(itemgetter(1), arcs))
        # Usually nobody is anywhere near the thresholds, and max() runs in C.
        self._most = max(chain(self.as_angel.values(), self.as_mortal.values()), default=0)

    def angels_with_more_than(self, k: int) -> list[int]:
        """Ids excluded (by raw count) as angel from more than k people."""
        if self._most <= k:
            return []
        return [a for a, c in self.as_angel.items() if c > k]

    def mortals_with_more_than(self, k: int) -> list[int]:
        """Ids excluded (by raw count) as mortal from more than k angels."""
        if self._most <= k:
            return []
        return [b for b, c in self.as_mortal.items() if c > k]

    def heavy(self, k: int) -> tuple[list[int], list[int]]:
        """(angels, mortals) excluded from more than k people: all of them."""
        return self.angels_with_more_than(k), self.mortals_with_more_than(k)


class _Probes:
    """Each person's exclusions among the same few others, for groups with many pairs.

    Person i of the roster is checked against the people ``s`` places after them
    (round the roster) for ``rounds`` shifts ``s`` spread evenly over the roster:
    a pass over the roster per shift, in C, instead of a pass over every pair
    (17 s of a 20 s draw for 10,000 people who each exclude 30 % of the others).
    Someone with at most ``m`` allowed mortals shows at most ``m`` among the
    people checked, so :meth:`angels_with_more_than` still finds everyone the
    dead-end checks need (a few more, whom the exact look rules out); only
    :meth:`heavy`, which goes by the share seen, may miss someone.
    """

    complete = False
    as_angel = None

    def __init__(self, roster: list[int], arcs: set[tuple[int, int]], rounds: int) -> None:
        n = len(roster)
        self._roster = roster
        # With n - 1 or fewer shifts, everyone is checked against everyone: exact.
        self.rounds = k = min(rounds, n - 1)
        # Steps of (n - 1) / k >= 1 keep the shifts distinct, within 1 .. n - 1.
        shifts = [1 + r * (n - 1) // k for r in range(k)]
        excluded = arcs.__contains__
        out = [0] * n
        inn = [0] * n
        for s in shifts:
            other = roster[s:] + roster[:s]
            out = list(map(add, out, map(excluded, zip(roster, other))))
            inn = list(map(add, inn, map(excluded, zip(other, roster))))
        self._out = out
        self._in = inn
        # out[i] and inn[i] look at the same pairs, each way round: when they differ,
        # some exclusion is one-way, which proves these aren't teams (those go both ways).
        self.one_way = out != inn

    def _over(self, seen: list[int], k: int) -> list[int]:
        # More than k exclusions leave at most n - 2 - k allowed, so at most that many
        # show among the people checked.
        most = len(self._roster) - 2 - k
        least = self.rounds - most  # exclusions seen by such a person
        return [p for p, c in zip(self._roster, seen, strict=True) if c >= least]

    def angels_with_more_than(self, k: int) -> list[int]:
        """Everyone excluded as angel from more than k people (and possibly a few others)."""
        return self._over(self._out, k)

    def mortals_with_more_than(self, k: int) -> list[int]:
        """Everyone excluded as mortal from more than k angels (and possibly a few others)."""
        return self._over(self._in, k)

    def heavy(self, k: int) -> tuple[list[int], list[int]]:
        """(angels, mortals) whose checks suggest more than k exclusions: the clear cases.

        Those excluded from a share of the people checked at least 1/8 above k's share,
        so someone just over k may be missed (the caller recounts when it matters).
        """
        n = len(self._roster)
        if self.rounds == n - 1:
            # Everyone checked against everyone: the counts are exact.
            return self.angels_with_more_than(k), self.mortals_with_more_than(k)
        least = self.rounds * (k / (n - 1) + _PROBE_MARGIN)
        roster = self._roster
        return (
            [p for p, c in zip(roster, self._out, strict=True) if c >= least],
            [p for p, c in zip(roster, self._in, strict=True) if c >= least],
        )


def _tally(roster: list[int], arcs: set[tuple[int, int]]) -> _Counts | _Probes:
    """Exact counts while there are few pairs per person, else probes (see :class:`_Probes`).

    A probe costs about 1.5 times counting one pair, and probing looks at 2 *
    _PROBE_ROUNDS pairs per person where counting looks at 2 * len(arcs) / n.
    """
    if len(arcs) <= _COUNT_MAX_PER_PERSON * len(roster):
        return _Counts(arcs)
    return _Probes(roster, arcs, _PROBE_ROUNDS)
