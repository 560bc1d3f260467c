"""Uniform draws: random orders, exact draws for tight groups, and the walk.

A random order is a uniformly random cycle; exact counting (dynamic programming
over subsets) draws a cycle of a tight group with probability exactly one over
the number of valid cycles; the Metropolis walk moves over all cycles with a
long-run distribution uniform on the valid ones, to wash out the bias of a
repair or search.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Container, Sequence
from itertools import chain, islice

_Excluded = Callable[[tuple[int, int]], bool]


def _avoids(order: list[int], arcs: set[tuple[int, int]]) -> bool:
    """Tell whether the cycle order[0] -> order[1] -> ... -> order[0] avoids every pair in arcs."""
    # isdisjoint over a zip runs in C and stops at the first excluded pair.
    pairs = zip(order, islice(order, 1, None), strict=False)
    return (order[-1], order[0]) not in arcs and arcs.isdisjoint(pairs)


def _assignment(order: list[int]) -> dict[int, int]:
    return dict(zip(order, chain(islice(order, 1, None), order[:1]), strict=True))


def _shuffler(roster: list[int], rng: random.Random) -> Callable[[], list[int]]:
    """Return a function producing uniformly random orderings of roster using rng."""
    if not isinstance(rng, random.SystemRandom):

        def shuffle_in_place() -> list[int]:
            order = roster.copy()
            rng.shuffle(order)
            return order

        return shuffle_in_place

    # SystemRandom.shuffle makes one system call per element (~0.2 s for 10**5
    # people). Sorting by random keys needs one call per attempt. Keys are
    # doubles in [1, 2) with 52 random mantissa bits, built in bulk from one big
    # random integer; orders with a tied key are redrawn, so every order is
    # exactly equally likely.
    n = len(roster)
    mantissa = int.from_bytes(b"\xff\xff\xff\xff\xff\xff\x0f\x00" * n, "little")
    one = int.from_bytes(b"\x00\x00\x00\x00\x00\x00\xf0\x3f" * n, "little")
    pick = roster.__getitem__

    def sort_by_random_keys() -> list[int]:
        while True:
            bits = (rng.getrandbits(64 * n) & mantissa) | one
            keys = memoryview(bits.to_bytes(8 * n, "little")).cast("d").tolist()
            if len(set(keys)) == n:
                return list(map(pick, sorted(range(n), key=keys.__getitem__)))

    return sort_by_random_keys


class _Completions:
    """How many ways each partial path can be finished into a valid cycle.

    ``ways[(mask, v)]`` counts the paths that start at v, visit exactly the
    people not in ``mask`` and then close the cycle back to person 0; mask
    holds everybody already on the path (always person 0 and v).
    """

    def __init__(self, out: list[list[int]], ways: dict[tuple[int, int], int]) -> None:
        self._out = out
        self._ways = ways
        self.total = ways.get((1, 0), 0)

    def sample(self, rng: random.Random) -> list[int]:
        """Draw one valid cycle, each with probability exactly 1 / total.

        Walking from person 0, the next person is picked with probability
        proportional to the number of ways to finish from there, so the chance
        of a whole cycle telescopes to 1 / total. randrange on the exact integer
        counts keeps it exact (no floating-point rounding).
        """
        path = [0]
        mask = 1
        v = 0
        n = len(self._out)
        while len(path) < n:
            pick = rng.randrange(self._ways[(mask, v)])
            for w in self._out[v]:
                if mask >> w & 1:
                    continue
                here = self._ways.get((mask | 1 << w, w), 0)
                if pick < here:
                    break
                pick -= here
            mask |= 1 << w
            path.append(w)
            v = w
        return path


class _OverBudget(Exception):
    """Counting would need more states than allowed."""


def _count_completions(out: list[list[int]], max_states: int) -> _Completions | None:
    """Count the valid cycles through everyone by dynamic programming over subsets.

    Every cycle passes through person 0, so counting Hamiltonian paths from 0
    that can close back to 0 counts cycles exactly once each. Only states
    reachable from 0 are visited (tight groups have few), in the worst case
    O(2**n * n) states and O(2**n * n**2) work. Returns None once more than
    ``max_states`` states would be needed, leaving the draw to the walk.
    """
    n = len(out)
    full = (1 << n) - 1
    closes = [0 in o for o in out]
    steps = [[(w, 1 << w) for w in o if w] for o in out]
    ways: dict[tuple[int, int], int] = {}

    def count(mask: int, v: int) -> int:
        key = (mask, v)
        known = ways.get(key)
        if known is not None:
            return known
        if mask == full:
            total = int(closes[v])
        else:
            total = 0
            for w, bit in steps[v]:
                if not mask & bit:
                    total += count(mask | bit, w)
        if len(ways) >= max_states:
            raise _OverBudget
        ways[key] = total
        return total

    try:
        count(1, 0)
    except _OverBudget:
        return None
    return _Completions(out, ways)


def _all_cycles(out: list[list[int]]) -> list[tuple[int, ...]]:
    """Every valid cycle, as the order starting from index 0 (small n only)."""
    n = len(out)
    closes = {u for u in range(n) if 0 in out[u]}
    cycles: list[tuple[int, ...]] = []
    path = [0]
    used = [False] * n
    used[0] = True

    def extend(u: int) -> None:
        if len(path) == n:
            if u in closes:
                cycles.append(tuple(path))
            return
        for w in out[u]:
            if not used[w]:
                used[w] = True
                path.append(w)
                extend(w)
                path.pop()
                used[w] = False

    extend(0)
    return cycles


class _AllowedBy(dict[int, "_Mortals"]):
    """``allowed[a]`` for :func:`_walk` from a set of excluded pairs: ``b in allowed[a]``.

    A check costs a call, so this suits large groups, whose walks are short.
    Each angel's row is made once and kept, so looking it up again is a plain
    dictionary hit: the walk looks up eight rows a proposal.
    """

    def __init__(self, arcs: set[tuple[int, int]]) -> None:
        super().__init__()
        self._arcs = arcs

    def __missing__(self, angel: int) -> _Mortals:
        row = self[angel] = _Mortals(self._arcs, angel)
        return row


class _Mortals:
    __slots__ = ("_angel", "_arcs")

    def __init__(self, arcs: set[tuple[int, int]], angel: int) -> None:
        self._arcs = arcs
        self._angel = angel

    def __contains__(self, mortal: object) -> bool:
        return mortal != self._angel and (self._angel, mortal) not in self._arcs


def _penalty(exclusions: int, n: int) -> float:
    """The walk's weight per excluded pair on a cycle: about 1 / (expected number).

    A uniformly random cycle uses each pair with chance 1 / (n - 1), so it
    holds about ``mu = exclusions / (n - 1)`` excluded pairs, roughly Poisson.
    Weighting each by ``1 / (1 + mu)`` leaves about ``mu / (1 + mu) < 1`` of
    them on a typical cycle of the walk: it is on a valid cycle a good share of
    the time, yet steps off one freely to reach the others.
    """
    return 1 / (1 + exclusions / (n - 1))


def _walk(  # noqa: C901, PLR0912 - one tight loop, kept together for speed
    order: list[int],
    allowed: Sequence[Container[int]],
    rng: random.Random,
    proposals: int,
    penalty: float,
    focus: Sequence[int] | None = None,
) -> None:
    """Metropolis walk over cycles, in place, ending on a valid cycle close to uniform.

    ``order`` starts valid, ``allowed[a]`` holds the people ``a`` may be the
    angel of (looked up with ``in``: no call per pair, the walk's main cost),
    and ``order[0]`` never moves, so an order is one cycle (no rotations to
    double-count). The walk runs over *all* cycles, valid or not, with target
    weight ``penalty ** e`` for a cycle using ``e`` excluded pairs: every
    valid cycle has weight 1, so the target restricted to valid cycles is
    exactly uniform. Allowing excluded pairs on the way
    (each costing a factor ``penalty``) is what connects the valid cycles:
    swaps alone connect every arrangement, so the walk is irreducible, while a
    walk confined to valid cycles can be cut into islands by tight exclusions
    (the old walk was: it favoured the cycles near its start).

    Each step proposes, with equal chance, one of two moves, each chosen
    uniformly from a fixed set and undone by a move of the same set:

    * swap the people at positions ``1 <= i, j < n`` (``i`` from ``focus``
      when given: a swap and its reverse are still equally likely);
    * pick three of the cycle's pairs at positions ``i < j < k`` and exchange
      the two stretches between them (``a->b .. c->d .. e->f`` becomes
      ``a->d .. e->b .. c->f``; directions kept, as exclusions are one-way;
      with a stretch of one person this re-inserts that person elsewhere).
      The same move at ``i, i + k - j, k`` gives back the original cycle.

    Proposals are symmetric, so accepting with probability
    ``min(1, penalty ** (change in e))`` makes the target stationary. The
    valid cycles visited in the second half of the walk (counting a cycle
    once per step spent on it) are sampled uniformly by reservoir sampling,
    which by the ergodic theorem converges to the uniform distribution over
    valid cycles. If the second half visits none, the walk goes on until it
    reaches one (or, past another ``proposals`` steps, keeps its start).
    """
    n = len(order)
    if n < 4:  # noqa: PLR2004 - three people have only two cycles, both fixed by order[0]
        return
    rand = rng.random
    start = order.copy()
    accept = [1.0] + [penalty**d for d in range(1, 7)]
    pool = [t for t in focus if t] if focus else None
    size = len(pool) if pool else n - 1
    chosen: list[int] | None = None
    valid_seen = 0
    energy = 0
    half = proposals // 2
    step = 0
    while step < proposals or (chosen is None and step < 2 * proposals):
        step += 1
        if pool is not None or rand() < 0.5:  # noqa: PLR2004 - a fair coin between the two moves
            i = pool[int(rand() * size)] if pool else 1 + int(rand() * size)
            j = 1 + int(rand() * (n - 1))
            if i != j:
                if i > j:
                    i, j = j, i
                spots = (i - 1, i, j) if j == i + 1 else (i - 1, i, j - 1, j)
                before = 0
                for t in spots:
                    before += order[(t + 1) % n] not in allowed[order[t]]
                order[i], order[j] = order[j], order[i]
                after = 0
                for t in spots:
                    after += order[(t + 1) % n] not in allowed[order[t]]
                change = after - before
                if change <= 0 or rand() < accept[change]:
                    energy += change
                else:
                    order[i], order[j] = order[j], order[i]
        else:
            i, j, k = sorted((int(rand() * n), int(rand() * n), int(rand() * n)))
            if i != j and j != k:
                a, b, c, d, e = order[i], order[i + 1], order[j], order[j + 1], order[k]
                f = order[(k + 1) % n]
                change = (
                    (d not in allowed[a])
                    + (b not in allowed[e])
                    + (f not in allowed[c])
                    - (b not in allowed[a])
                    - (d not in allowed[c])
                    - (f not in allowed[e])
                )
                if change <= 0 or rand() < accept[change]:
                    energy += change
                    order[i + 1 : k + 1] = order[j + 1 : k + 1] + order[i + 1 : j + 1]
        if energy == 0 and step > half:
            valid_seen += 1
            if rand() * valid_seen < 1:
                chosen = order.copy()
    order[:] = chosen if chosen is not None else start
