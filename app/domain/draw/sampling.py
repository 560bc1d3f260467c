"""Uniform draws: random orders, exact draws for tight groups, and the walk.

A random order is a uniformly random cycle; exact counting (dynamic programming
over subsets) draws a cycle of a tight group with probability exactly one over
the number of valid cycles; the random walks move over valid cycles with a
uniform long-run distribution, to wash out the bias of a repair or search.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
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


def _walk(order: list[int], excluded: _Excluded, rng: random.Random, proposals: int) -> None:
    """Random walk over valid cycles, in place, whose long-run distribution is uniform.

    ``order[0]`` never moves, so an order is one cycle (no rotations to
    double-count). Each step proposes, with equal chance, one of two moves,
    each chosen uniformly from a fixed set and each its own inverse's mirror:

    * swap two people at positions ``1 <= i < j < n``;
    * pick three of the cycle's pairs at positions ``i < j < k`` and exchange
      the two stretches between them (``a->b .. c->d .. e->f`` becomes
      ``a->d .. e->b .. c->f``). Directions are kept, which matters because
      exclusions are one-way. Applied to the three new pairs (at ``i``,
      ``i + k - j``, ``k``) the same move gives back the original cycle.

    So the chance of proposing cycle X from Y equals that of Y from X, and a
    move is kept exactly when the new cycle is valid (Metropolis acceptance
    is 1 or 0). The walk is therefore symmetric and its stationary
    distribution is uniform over the valid cycles it can reach; stretch
    exchanges reach every arrangement of an unconstrained group, and in
    practice tight groups too (tests check the resulting frequencies).
    """
    n = len(order)
    rand = rng.random
    for _ in range(proposals):
        if rand() < 0.5:  # noqa: PLR2004 - a fair coin between the two moves
            i = 1 + int(rand() * (n - 1))
            j = 1 + int(rand() * (n - 1))
            if i == j:
                continue
            order[i], order[j] = order[j], order[i]
            for t in (i - 1, i, j - 1, j):
                if excluded((order[t], order[(t + 1) % n])):
                    order[i], order[j] = order[j], order[i]
                    break
            continue
        i, j, k = sorted((int(rand() * n), int(rand() * n), int(rand() * n)))
        if i == j or j == k:
            continue
        a, b, c, d, e = order[i], order[i + 1], order[j], order[j + 1], order[k]
        f = order[(k + 1) % n]
        if excluded((a, d)) or excluded((e, b)) or excluded((c, f)):
            continue
        order[i + 1 : k + 1] = order[j + 1 : k + 1] + order[i + 1 : j + 1]


def _mix(
    order: list[int],
    excluded: _Excluded,
    rng: random.Random,
    proposals: int,
    focus: Sequence[int] | None = None,
) -> None:
    """Random walk over valid cycles, in place, to wash out a search's bias.

    Each step swaps two positions and keeps the swap only if the cycle stays
    valid. Positions are drawn uniformly (or one from ``focus``, a fixed set),
    so a swap and its reverse are equally likely: the walk's long-run
    distribution is uniform over the valid cycles it can reach.
    """
    n = len(order)
    rand = rng.random
    pool = focus or None
    size = len(pool) if pool else n
    for _ in range(proposals):
        i = pool[int(rand() * size)] if pool else int(rand() * n)
        j = int(rand() * n)
        if i == j:
            continue
        order[i], order[j] = order[j], order[i]
        # Only pairs starting just before or at a swapped position changed.
        for k in (i - 1, i, j - 1, j):
            if excluded((order[k], order[(k + 1) % n])):
                order[i], order[j] = order[j], order[i]
                break
