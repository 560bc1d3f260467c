"""Making a draw: the methods in order, cheapest first, and their budgets.

See the package docstring for the order and for how uniform each method is.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress
from typing import TypeVar

from .diagnosis import (
    DrawImpossible,
    _diagnose_cheaply,
    _diagnose_connectivity,
    _hall_violation,
    _Labeller,
    _no_arrangement,
    _raise_hall,
    _too_tight,
)
from .few import _only_three, _too_few
from .sampling import (
    _all_cycles,
    _AllowedBy,
    _assignment,
    _avoids,
    _count_completions,
    _penalty,
    _shuffler,
    _walk,
)
from .search import _Heavy, _repair, _search
from .tally import _Counts, _Probes, _tally
from .teams import _draw_teams, _team_labels, _teammate_pairs

MIN_PARTICIPANTS = 3
# Below this many people a mortal can work out their angel: with four, the guess list holds
# three names, one of them their own mortal, and a few kindnesses narrow it further.
SMALL_GAME = 5

# Rejection sampling budget, in participants shuffled. At 10**5 people with one
# exclusion each an attempt succeeds with probability about 1/e and costs
# ~0.09 s; five attempts (90% success) keep an unlucky draw near 0.6 s before
# the cheaper local repair takes over.
_REJECTION_WORK = 500_000
_REJECTION_MAX_ATTEMPTS = 5_000
# Groups this small are cheaper to enumerate exactly than to sample for long.
_EXHAUSTIVE_MAX_N = 9
_EXHAUSTIVE_ATTEMPTS = 300
# Large groups stop sampling once the remaining attempts' combined chance of
# success is below this.
_HOPELESS = 1e-3
# Up to this size the fallback holds every *allowed* pair in memory (n**2),
# which the backtracking search needs; larger groups rely on local repair.
_DENSE_MAX_N = 1_500
# Local repair budgets, in moves (a few microseconds each).
_REPAIR_FIRST_MOVES = 20_000  # before backtracking: settles easy dense cases
_REPAIR_MIN_MOVES = 100_000
_REPAIR_MOVES_PER_PERSON = 2
# Backtracking budget in steps (one step ~ one pair looked at, ~4 million a
# second on a laptop).
_SEARCH_WORK = 3_000_000
# Exact counting (dynamic programming over subsets) up to this many people, as
# long as it needs at most this many states (~1 microsecond each; tight groups
# need few, dense ones are sampled by rejection before they get here).
_EXACT_MAX_N = 24
_EXACT_MAX_STATES = 300_000
# Walk after a repair or search (.sampling._walk, ~2 µs a proposal): 200 n ln n
# proposals, within [_WALK_MIN, _WALK_PROPOSALS] (~0.4 s, reached near 200
# people). Swaps mix a free group in ~n ln n / 2 steps; tight groups mix slower
# (the walk crosses cycles with excluded pairs), hence the margin; 5,000
# proposals already pass the chi-square tests on tight groups of 10-12. Larger
# groups re-mix only what a repair touched, _WALK_PER_TOUCHED proposals each.
_WALK_PER_PERSON_LOG = 200
_WALK_MIN = 2_000
_WALK_PROPOSALS = 200_000
_WALK_PER_TOUCHED = 20


@dataclass(frozen=True)
class _Outcome:
    """A draw plus how it was obtained (for benchmarks and tests)."""

    assignment: dict[int, int]
    method: str  # "rejection", "exhaustive", "exact", "search" or "repair"
    attempts: int  # rejection-sampling shuffles made


def draw_cycle(
    people: Sequence[int],
    forbidden: Iterable[tuple[int, int]],
    rng: random.Random,
    names: Mapping[int, str] | None = None,
    *,
    teams: Mapping[int, Hashable] | None = None,
) -> dict[int, int]:
    """Return angel_id -> mortal_id forming ONE cycle through all people.

    Promises, when it returns: every person is a key and a value exactly once,
    following angel -> mortal from anyone visits everybody before coming back,
    nobody is their own angel, no two people are each other's angel, and no
    ``(angel, mortal)`` pair from ``forbidden`` is used. Pairs naming unknown ids
    and ``(a, a)`` pairs are ignored. ``teams``, when given, maps every person to
    their team and nobody draws a teammate: the same as excluding every pair of
    teammates, without writing out those pairs (see :mod:`.teams`).

    The draw is exactly uniform over all valid cycles whenever random sampling
    finds one (the usual case) or the group is small enough to count its
    cycles (up to 24 people, see the package docstring); otherwise it comes from
    a repair or randomised search followed by a Metropolis walk whose limit is
    uniform over valid cycles, which is close to uniform (teams likewise). All
    randomness comes from ``rng``, so a seeded ``random.Random`` gives a
    reproducible draw.

    Raises ``ValueError`` if ``people`` repeats an id, and
    :class:`DrawImpossible` (with a plain-sentence reason, naming people via
    ``names`` or else their ids) when there are fewer than 3 people, when the
    exclusions provably rule out every draw, or when they are so tight that the
    bounded search gave up. Always returns or raises within a bounded time.
    """
    return _draw(people, forbidden, rng, names, teams).assignment


def is_valid_cycle(
    assignment: Mapping[int, int],
    people: Sequence[int],
    forbidden: Iterable[tuple[int, int]],
) -> bool:
    """Return True iff ``assignment`` is a draw that :func:`draw_cycle` could return.

    That is: at least 3 people, keys and values are exactly ``people``, it forms
    a single cycle through everyone, nobody is their own angel, no mutual pair
    and no forbidden ``(angel, mortal)`` pair. Raises ``ValueError`` if
    ``people`` repeats an id.
    """
    roster = _unique_roster(people)
    n = len(roster)
    if n < MIN_PARTICIPANTS or len(assignment) != n:
        return False
    members = set(roster)
    if set(assignment) != members or set(assignment.values()) != members:
        return False
    if any(angel == mortal for angel, mortal in assignment.items()):
        return False
    if not {(a, b) for a, b in forbidden}.isdisjoint(assignment.items()):
        return False
    # A bijection is a union of cycles; it is one cycle iff walking from any
    # person takes exactly n steps to return. (n >= 3 also rules out mutual pairs.)
    start = roster[0]
    current = assignment[start]
    steps = 1
    while current != start:
        current = assignment[current]
        steps += 1
    return steps == n


def _draw(
    people: Sequence[int],
    forbidden: Iterable[tuple[int, int]],
    rng: random.Random,
    names: Mapping[int, str] | None = None,
    teams: Mapping[int, Hashable] | None = None,
) -> _Outcome:
    """:func:`draw_cycle`, also reporting how the draw was obtained."""
    roster = _unique_roster(people)
    n = len(roster)
    label = _Labeller(names)
    if n < MIN_PARTICIPANTS:
        raise _too_few(n, MIN_PARTICIPANTS)
    # Kept raw: pairs with unknown ids or (a, a) can never lie on a cycle
    # through these people, so the rejection check needs no filtering.
    # A set the caller built (the usual case) is only read, never copied (that
    # would cost more than the draw); map(tuple) reuses the caller's tuples.
    arcs: set[tuple[int, int]] = (
        forbidden  # type: ignore[assignment]
        if isinstance(forbidden, set | frozenset)
        else set(map(tuple, forbidden))  # type: ignore[arg-type]
    )
    if teams is not None:
        if not all(map(teams.__contains__, roster)):
            msg = "Every participant needs a team when teams are given"
            raise ValueError(msg)
        if n > _DENSE_MAX_N:
            local = random.Random(rng.getrandbits(128))
            order, method = _draw_teams(roster, teams, arcs, local, label, _walk_budget())
            return _Outcome(_assignment(order), method, 0)
        # Few enough people to write the rule out as pairs and draw as usual.
        arcs = arcs | _teammate_pairs(roster, teams)

    shuffled = _shuffler(roster, rng)
    limit = _rejection_attempts(n)
    order = roster
    counts: _Counts | _Probes | None = None
    heavy = _Heavy.none()
    for attempt in range(1, limit + 1):
        order = shuffled()
        if _avoids(order, arcs):
            return _Outcome(_assignment(order), "rejection", attempt)
        if counts is None:
            # Diagnose only once a random draw has failed: a draw that works
            # needs no diagnosis, and at 10**5 people counting costs ~0.07 s.
            # Many pairs per person are probed instead of counted (see _tally):
            # counting 30 million pairs took 17 s of a 20 s draw.
            counts = _tally(roster, arcs)
            try:
                _diagnose_cheaply(roster, arcs, counts, label)
            except DrawImpossible as exc:
                if n == MIN_PARTICIPANTS:
                    # Every impossible 3-person draw is caught here.
                    raise _only_three(exc) from None
                raise
            if n > _DENSE_MAX_N:
                team = None if counts.one_way else _team_labels(roster, arcs, counts.as_angel)
                if team is not None:
                    # Exclusions that say "nobody draws a teammate": drawn by teams.
                    local = random.Random(rng.getrandbits(128))
                    order, method = _draw_teams(roster, team, set(), local, label, _walk_budget())
                    return _Outcome(_assignment(order), method, attempt)
                heavy = _Heavy(roster, arcs, counts)
                if heavy.acceptance_bound * (limit - attempt) < _HOPELESS:
                    # Large attempts are costly; don't spend them when they
                    # would almost surely all fail.
                    limit = attempt
                    break

    # Random sampling keeps failing: the exclusions are dense or concentrated.
    # One seeded generator for the many cheap choices below: SystemRandom costs
    # a system call per number, and seeding from rng keeps rng the only source.
    local = random.Random(rng.getrandbits(128))
    if n <= _DENSE_MAX_N:
        order, method = _dense_fallback(roster, arcs, local, label)
    else:
        order, method = _sparse_fallback(roster, arcs, heavy, order, local, label)
    return _Outcome(_assignment(order), method, limit)


def _unique_roster(people: Sequence[int]) -> list[int]:
    roster = list(people)
    if len(set(roster)) != len(roster):
        repeated = sorted({p for p, c in Counter(roster).items() if c > 1}, key=roster.index)
        msg = f"Duplicate participant ids: {', '.join(map(str, repeated))}"
        raise ValueError(msg)
    return roster


def _rejection_attempts(n: int) -> int:
    if n <= _EXACT_MAX_N:
        # Exact enumeration or counting is cheap here and just as uniform.
        return _EXHAUSTIVE_ATTEMPTS
    return max(3, min(_REJECTION_MAX_ATTEMPTS, _REJECTION_WORK // n))


def _dense_fallback(
    roster: list[int], arcs: set[tuple[int, int]], rng: random.Random, label: _Labeller
) -> tuple[list[int], str]:
    """Up to _DENSE_MAX_N people: diagnose, then enumerate, repair or search."""
    n = len(roster)
    index = {person: i for i, person in enumerate(roster)}
    people = range(n)
    # allowed[a * n + b] is 1 iff index a may be the angel of index b: a flat
    # table is quicker to probe than a set of pairs and allocates nothing.
    allowed = bytearray(b"\x01") * (n * n)
    for u in people:
        allowed[u * n + u] = 0
    for a, b in arcs:
        i, j = index.get(a), index.get(b)
        if i is not None and j is not None:
            allowed[i * n + j] = 0
    # Rows and columns of the table, picked out in C.
    out = [list(compress(people, allowed[u * n : (u + 1) * n])) for u in people]
    inn = [list(compress(people, allowed[v::n])) for v in people]

    _diagnose_connectivity(out, inn, roster, label)
    violation = _hall_violation(list(people), out)
    if violation is not None:
        named = ([roster[i] for i in violation[0]], [roster[i] for i in violation[1]])
        _raise_hall(named, index, label, angels=True)

    def excluded(arc: tuple[int, int]) -> bool:
        return not allowed[arc[0] * n + arc[1]]

    if n <= _EXHAUSTIVE_MAX_N:
        cycles = _all_cycles(out)
        if not cycles:
            raise _no_arrangement(n)
        return [roster[i] for i in rng.choice(cycles)], "exhaustive"
    if n <= _EXACT_MAX_N:
        counts = _count_completions(out, _EXACT_MAX_STATES)
        if counts is not None:
            if not counts.total:
                raise _no_arrangement(n)
            return [roster[i] for i in counts.sample(rng)], "exact"

    # Local repair settles dense groups fast; backtracking handles the tight,
    # sparse ones (and can prove impossibility). Each covers the other's weakness.
    order = list(people)
    rng.shuffle(order)
    mortals_of = dict(enumerate(out))
    angels_of = dict(enumerate(inn))
    method = "repair"
    if _repair(order, excluded, mortals_of, angels_of, rng, _REPAIR_FIRST_MOVES) is None:
        cycle, complete = _search(out, inn, rng, _SEARCH_WORK)
        if cycle is None:
            raise _no_arrangement(n) if complete else _too_tight(n)
        order, method = cycle, "search"
    penalty = _penalty(n * (n - 1) - allowed.count(1), n)
    _walk(order, [set(o) for o in out], rng, _walk_length(n), penalty)
    return [roster[i] for i in order], method


def _walk_budget() -> tuple[int, int, int, int]:
    """The walk's budgets, read when drawing so tests can change them."""
    return _WALK_PER_PERSON_LOG, _WALK_MIN, _WALK_PROPOSALS, _WALK_PER_TOUCHED


def _walk_length(n: int) -> int:
    """Proposals for a walk that mixes a whole group of n (see _WALK_PER_PERSON_LOG)."""
    return int(min(_WALK_PROPOSALS, max(_WALK_MIN, _WALK_PER_PERSON_LOG * n * math.log(n))))


def _sparse_fallback(  # noqa: PLR0913, PLR0917 - what the caller already computed
    roster: list[int],
    arcs: set[tuple[int, int]],
    heavy: _Heavy,
    start: list[int],
    rng: random.Random,
    label: _Labeller,
) -> tuple[list[int], str]:
    """Large groups: check the heavily excluded people, then repair a random cycle."""
    n = len(roster)
    heavy.check(roster, label)
    # A C-level membership test: no Python frame per check.
    excluded = arcs.__contains__
    order = list(start)
    max_moves = max(_REPAIR_MIN_MOVES, _REPAIR_MOVES_PER_PERSON * n)
    touched = _repair(order, excluded, heavy.mortals_of, heavy.angels_of, rng, max_moves)
    if touched is None and not heavy.complete:
        # The heavily excluded people were found by probes, which see only the clear
        # cases, or not looked for: count every pair, check them all and start again.
        heavy = _Heavy(roster, arcs, _Counts(arcs))
        heavy.check(roster, label)
        order = list(start)
        touched = _repair(order, excluded, heavy.mortals_of, heavy.angels_of, rng, max_moves)
    if touched is None:
        raise _too_tight(n)
    penalty = _penalty(len(arcs), n)
    if _WALK_PER_PERSON_LOG * n * math.log(n) <= _WALK_PROPOSALS:
        # Few enough people to hold everyone's allowed mortals: faster lookups.
        rows = {a: {b for b in roster if b != a and (a, b) not in arcs} for a in roster}
        _walk(order, rows, rng, _walk_length(n), penalty)
    else:
        # The repaired order is the uniformly random start except where the
        # repair moved people, so only those positions are re-mixed.
        focus = sorted(touched)
        proposals = min(_WALK_PROPOSALS, _WALK_PER_TOUCHED * len(focus))
        _walk(order, _AllowedBy(arcs), rng, proposals, penalty, focus)
    return order, "repair"


_T = TypeVar("_T")


def prefer_avoiding(
    attempt: Callable[[set[tuple[int, int]]], _T],
    rule: set[tuple[int, int]],
    wish: set[tuple[int, int]],
) -> _T:
    """Run ``attempt`` away from the ``rule`` and ``wish`` pairs, or, when that is impossible,
    away from the ``rule`` pairs alone.

    ``attempt`` takes the pairs to avoid and returns a cycle (a draw, a splice, a cut) or
    raises :class:`DrawImpossible`. A wish (avoid the mortals of earlier games) never makes
    anything fail: whatever ``attempt`` raises comes from the rule alone, so neither whether
    nor why something is refused can depend on the wish's pairs.
    """
    if wish:
        try:
            return attempt(rule | wish)
        except DrawImpossible:
            pass
    return attempt(rule)
