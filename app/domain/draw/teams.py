"""Team draws: nobody draws someone from their own team, at any size.

With teams of ``s`` people a random cycle puts about ``s - 1`` teammates next to
each other, so random sampling alone succeeds with chance about ``e**-(s-1)``
(1 in 1,100 for teams of 8, hopeless for teams of 30). Writing the rule out as
pairs costs ``n * (s - 1)`` of them (2.9 million for 100,000 people in teams of
30), so the draw takes the teams directly and never builds those pairs.

Method: a uniformly random cycle, then a local repair of its few neighbouring
teammates (each moved next to someone from another team), then the Metropolis
walk of :mod:`.sampling` over the positions the repair touched (over everyone,
for groups small enough to mix completely). The walk's target is uniform over
valid cycles, but a short walk started from the repaired cycle is only close to
it: the draw is close to uniform, not exact. A few plain random cycles are tried
first when teams are small enough for them to succeed often; those are exact.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Container, Hashable, Mapping
from itertools import compress, count, islice
from operator import eq, itemgetter

from .diagnosis import DrawImpossible, _Labeller, _too_tight
from .sampling import _avoids, _penalty, _walk
from .search import _repair

# Plain random cycles are tried first while a cycle avoids every teammate with
# chance at least e**-_TEAM_REJECTION_MAX_MEAN (about 13 %), at most this often.
_TEAM_REJECTION_MAX_MEAN = 2.0
_TEAM_REJECTION_ATTEMPTS = 4
_TEAM_REPAIR_MOVES_PER_PERSON = 2
_TEAM_REPAIR_MIN_MOVES = 100_000


def _team_labels(
    roster: list[int], arcs: set[tuple[int, int]], as_angel: Mapping[int, int] | None
) -> dict[int, int] | None:
    """Team number of each person if the exclusions are exactly "nobody draws a teammate".

    That is: the people fall into teams, and the excluded pairs are exactly
    the ordered pairs of different teammates. Returns None otherwise (also when
    a pair names someone outside the roster). Linear in the number of pairs,
    with a count check first that rejects most other exclusions at once.
    ``as_angel`` counts each id's pairs as angel; None has them counted here.
    """
    members = set(roster)
    if as_angel is None:
        as_angel = Counter(map(itemgetter(0), arcs))
    # Each person excluded as angel from exactly their teammates: sum of s*(s-1).
    sizes = Counter(as_angel.get(p, 0) + 1 for p in roster)
    if any(people % size for size, people in sizes.items()):
        return None
    if sum(people * (size - 1) for size, people in sizes.items()) != len(arcs):
        return None
    mortals_of: defaultdict[int, list[int]] = defaultdict(list)
    for a, b in arcs:
        mortals_of[a].append(b)
    team: dict[int, int] = {}
    for p in roster:
        if p in team:
            continue
        mates = {p, *mortals_of[p]}
        if not mates <= members:
            return None
        number = len(team)
        for q in mates:
            if q in team or {q, *mortals_of[q]} != mates:
                return None
            team[q] = number
    return team


def _teammate_pairs(roster: list[int], team: Mapping[int, Hashable]) -> set[tuple[int, int]]:
    """Every ordered pair of different teammates (for groups small enough to list them)."""
    return {(a, b) for a in roster for b in roster if a != b and team[a] == team[b]}


def _check_team_sizes(roster: list[int], team: Mapping[int, Hashable], label: _Labeller) -> None:
    """Refuse, with the reason, when one team holds more than half of everyone.

    Each of its members needs a mortal from outside the team, and no two of them
    can share one, so a team larger than everyone else together rules out a draw.
    """
    n = len(roster)
    sizes = Counter(map(team.__getitem__, roster))
    biggest, size = max(sizes.items(), key=lambda item: item[1])
    if 2 * size <= n:
        return
    named = [p for p in roster if team[p] == biggest]
    shown = label.join(named) if size <= 4 else f"{label.join(named[:3])} and {size - 3} others"  # noqa: PLR2004
    raise DrawImpossible(
        f"{shown} are all in one team: {size} of the {n} participants. Nobody may draw "
        f"a teammate, so each of them needs a mortal from outside the team, but only "
        f"{n - size} people are outside it."
    )


class _TeamAllowed:
    """``allowed[a]`` for the walk: people of another team, minus excluded pairs."""

    def __init__(self, team: Mapping[int, Hashable], arcs: set[tuple[int, int]]) -> None:
        self._team = team
        self._arcs = arcs

    def __getitem__(self, angel: int) -> Container[int]:
        return _TeamMortals(self, angel)


class _TeamMortals:
    def __init__(self, allowed: _TeamAllowed, angel: int) -> None:
        self._allowed = allowed
        self._angel = angel

    def __contains__(self, mortal: object) -> bool:
        team = self._allowed._team  # noqa: SLF001 - its own helper
        return (
            team[self._angel] != team[mortal]
            and (  # type: ignore[index]
                self._angel,
                mortal,
            )
            not in self._allowed._arcs
        )  # noqa: SLF001


def _conflicts(
    order: list[int], team: Mapping[int, Hashable], arcs: set[tuple[int, int]]
) -> list[int]:
    """Positions k whose pair order[k] -> order[k + 1] joins teammates or is excluded."""
    labels = list(map(team.__getitem__, order))
    shifted = [*islice(labels, 1, None), labels[0]]
    bad = set(compress(count(), map(eq, labels, shifted)))
    if arcs:
        following = [*islice(order, 1, None), order[0]]
        bad.update(compress(count(), map(arcs.__contains__, zip(order, following, strict=True))))
    return sorted(bad)


def _draw_teams(  # noqa: PLR0913, PLR0917 - the draw's inputs and budgets
    roster: list[int],
    team: Mapping[int, Hashable],
    arcs: set[tuple[int, int]],
    rng: random.Random,
    label: _Labeller,
    walk: tuple[int, int, int, int],
) -> tuple[list[int], str]:
    """A cycle through roster with no two teammates in a row and no excluded pair.

    ``walk`` is (proposals per person log, minimum, maximum, per touched
    position), the draw's walk budgets. Returns (order, method), method
    "rejection" for an exact random cycle, else "teams".
    """
    _check_team_sizes(roster, team, label)
    n = len(roster)
    sizes = Counter(map(team.__getitem__, roster))
    pairs = sum(s * (s - 1) for s in sizes.values())
    mean = (pairs + len(arcs)) / (n - 1)  # teammates or excluded pairs on a random cycle
    order = roster.copy()
    attempts = _TEAM_REJECTION_ATTEMPTS if mean <= _TEAM_REJECTION_MAX_MEAN else 1
    for _ in range(attempts):
        rng.shuffle(order)
        bad = _conflicts(order, team, arcs)
        if not bad:
            return order, "rejection"

    def excluded(arc: tuple[int, int]) -> bool:
        return team[arc[0]] == team[arc[1]] or arc in arcs

    moves = max(_TEAM_REPAIR_MIN_MOVES, _TEAM_REPAIR_MOVES_PER_PERSON * n)
    touched = _repair(order, excluded, {}, {}, rng, moves, bad)
    if touched is None or not _avoids(order, arcs):
        raise _too_tight(n)
    per_log, least, most, per_touched = walk
    penalty = _penalty(pairs + len(arcs), n)
    if per_log * n * math.log(n) <= most:
        # Few enough people to list everyone's allowed mortals: faster lookups.
        allowed = {
            a: {b for b in roster if team[a] != team[b] and (a, b) not in arcs} for a in roster
        }
        _walk(order, allowed, rng, int(max(least, per_log * n * math.log(n))), penalty)
    else:
        focus = sorted(touched)
        proposals = min(most, per_touched * len(focus))
        _walk(order, _TeamAllowed(team, arcs), rng, proposals, penalty, focus)
    return order, "teams"
