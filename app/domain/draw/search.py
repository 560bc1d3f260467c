"""Finding some valid cycle when random sampling keeps failing: repair and search.

Local repair (min-conflicts swaps) settles dense groups fast; randomised
backtracking handles the tight, sparse ones and can prove that no draw exists.
Either result is then re-randomised by a walk (see :mod:`.sampling`).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from itertools import chain, islice

from .diagnosis import _allowed, _hall_violation, _Labeller, _raise_hall
from .sampling import _Excluded
from .tally import _Counts, _Probes

_REPAIR_NOISE = 0.05  # chance of keeping a worsening move, to leave dead ends
# The backtracking's Luby restart unit, in steps per person (one step ~ one pair
# looked at); the whole search's budget is the caller's.
_SEARCH_RESTART_UNIT = 32


def _search(
    out: list[list[int]], inn: list[list[int]], rng: random.Random, max_steps: int
) -> tuple[list[int] | None, bool]:
    """Randomised backtracking search for a cycle through all n people.

    Returns (cycle, complete). ``complete`` is True when some run explored its
    whole search tree, so a None cycle then proves no draw exists. Search times
    are heavy-tailed (an unlucky early choice can trap a run), so runs restart
    with fresh random tie-breaks on the Luby schedule of budgets, which was
    clearly the best of the schedules tried; max_steps bounds the total.
    """
    # One unit affords a few complete descents: a descent looks at every
    # allowed pair about twice.
    arcs = sum(map(len, out))
    unit = _SEARCH_RESTART_UNIT * len(out) + 4 * arcs
    spent = 0
    run = 1
    while spent < max_steps:
        budget = min(_luby(run) * unit, max_steps - spent)
        cycle, used, complete = _search_once(out, inn, rng, budget)
        spent += used
        if cycle is not None or complete:
            return cycle, complete
        run += 1
    return None, False


def _luby(i: int) -> int:
    """Return the i-th term (from 1) of the Luby sequence 1, 1, 2, 1, 1, 2, 4, 1, ..."""
    while True:
        k = i.bit_length()
        if i == (1 << k) - 1:
            return 1 << (k - 1)
        i -= (1 << (k - 1)) - 1


def _search_once(  # noqa: C901, PLR0912, PLR0915 - one tight loop, kept together for speed
    out: list[list[int]], inn: list[list[int]], rng: random.Random, budget: int
) -> tuple[list[int] | None, int, bool]:
    """One depth-first run. Returns (cycle or None, steps used, tree exhausted)."""
    n = len(out)
    tiebreak = [rng.random() for _ in range(n)]
    # Start at the most constrained person; every cycle passes through them.
    start = min(range(n), key=lambda v: (min(len(out[v]), len(inn[v])), tiebreak[v]))
    free = bytearray(b"\x01") * n
    free[start] = 0
    closes = bytearray(n)  # 1 where u -> start is allowed
    for u in inn[start]:
        closes[u] = 1
    # Forward checking by counts: succ[u] = allowed mortals of u among the
    # free people and start; pred[u] = allowed angels of u among the free
    # people and the path's current end. A free person whose count reaches 0
    # can never be fitted in, so that branch is cut at once.
    succ = [len(o) for o in out]
    pred = [len(i) for i in inn]
    start_pred = len(inn[start])  # free people who could close the cycle
    remaining = n - 1
    steps = 0

    def candidates(c: int) -> list[int]:
        options = [w for w in out[c] if free[w]]
        # Someone whose only possible angel is c must come next.
        forced = [w for w in options if pred[w] == 1]
        if forced:
            return forced[:1]
        # Most constrained first (Warnsdorff's rule), ties broken at random.
        options.sort(key=lambda w: succ[w] + tiebreak[w])
        return options

    path = [start]
    frames = [iter(candidates(start))]
    while frames:
        v = next(frames[-1], None)
        c = path[-1]
        if v is None:
            # Every option from c failed: undo the move that brought us to c.
            frames.pop()
            if len(path) == 1:
                break
            path.pop()
            v, c = c, path[-1]
            _undo_move(c, v, out, inn, free, succ, pred)
            remaining += 1
            start_pred += closes[v]
            continue
        if steps >= budget:
            return None, steps, False
        steps += len(inn[v]) + len(out[c])
        # Move c -> v, updating counts; finish the loops even once dead so
        # that _undo_move reverses exactly what was done.
        free[v] = 0
        dead = False
        for u in inn[v]:
            if free[u]:
                succ[u] -= 1
                if not succ[u]:
                    dead = True
        for u in out[c]:
            if free[u]:
                pred[u] -= 1
                if not pred[u]:
                    dead = True
        remaining -= 1
        start_pred -= closes[v]
        if remaining == 0:
            if closes[v]:
                path.append(v)
                return path, steps, True
            dead = True
        elif start_pred == 0 or succ[v] == closes[v]:
            # Nobody free can close the cycle, or v has no free mortal left.
            dead = True
        if dead:
            _undo_move(c, v, out, inn, free, succ, pred)
            remaining += 1
            start_pred += closes[v]
            continue
        path.append(v)
        frames.append(iter(candidates(v)))
    return None, steps, True


def _undo_move(  # noqa: PLR0913, PLR0917 - the search's state, passed flat for speed
    c: int,
    v: int,
    out: list[list[int]],
    inn: list[list[int]],
    free: bytearray,
    succ: list[int],
    pred: list[int],
) -> None:
    """Reverse the count updates of the move c -> v (v still marked not free)."""
    for u in inn[v]:
        if free[u]:
            succ[u] += 1
    for u in out[c]:
        if free[u]:
            pred[u] += 1
    free[v] = 1


class _Heavy:
    """Exact option lists of the people excluded from more than half the group.

    There are at most 2 * len(arcs) / n such people and each list costs O(n),
    so this stays linear. The repair picks from these lists instead of guessing.
    ``complete`` is False when some may be missing: found from probes (which
    see only the clear cases), or not looked for at all.
    """

    def __init__(
        self,
        roster: list[int],
        arcs: set[tuple[int, int]],
        counts: _Counts | _Probes | None = None,
    ) -> None:
        n = len(roster)
        half = n // 2
        self.n = n
        self.mortals_of: dict[int, list[int]] = {}
        self.angels_of: dict[int, list[int]] = {}
        self.complete = counts is not None and counts.complete
        if counts is None:
            return
        tight_out, tight_in = counts.heavy(half)
        mortals_of = _allowed(roster, arcs, tight_out, mortals=True)
        angels_of = _allowed(roster, arcs, tight_in, mortals=False)
        self.mortals_of = {u: v for u, v in mortals_of.items() if len(v) < half}
        self.angels_of = {u: v for u, v in angels_of.items() if len(v) < half}

    def check(self, roster: list[int], label: _Labeller) -> None:
        """Raise if some of these people have too few options between them.

        Hall's condition among just these people is still a proof when it fails.
        """
        if self.mortals_of or self.angels_of:
            position = {person: i for i, person in enumerate(roster)}
            violation = _hall_violation(list(self.mortals_of), self.mortals_of)
            if violation is not None:
                _raise_hall(violation, position, label, angels=True)
            violation = _hall_violation(list(self.angels_of), self.angels_of)
            if violation is not None:
                _raise_hall(violation, position, label, angels=False)

    @classmethod
    def none(cls) -> _Heavy:
        return cls([], set())

    @property
    def acceptance_bound(self) -> float:
        """An upper bound on the chance that a random cycle is valid.

        A random cycle gives each person a uniformly random mortal (and angel)
        among the other n - 1, so it can't succeed more often than the person
        with the fewest options allows. Still a bound when the lists miss
        someone (``complete`` False): the fewest over fewer people is no smaller.
        """
        fewest = min(
            map(len, chain(self.mortals_of.values(), self.angels_of.values())), default=None
        )
        return 1.0 if fewest is None else fewest / (self.n - 1)


def _repair(  # noqa: C901, PLR0913, PLR0917 - one tight loop, kept together for speed
    order: list[int],
    excluded: _Excluded,
    mortals_of: Mapping[int, list[int]],
    angels_of: Mapping[int, list[int]],
    rng: random.Random,
    max_moves: int,
    conflicts: list[int] | None = None,
) -> set[int] | None:
    """Swap people around until order is a valid cycle.

    Min-conflicts local search: pick an excluded pair a -> b on the cycle and
    swap b (or a) with someone who fits better: drawn from the explicit option
    lists when a or b has them, else at random. A swap is kept unless it adds
    excluded pairs (bar a little noise, to walk out of dead ends). Returns the
    positions it changed, or None if max_moves ran out. ``conflicts``, when
    given, are the positions of the excluded pairs, already found.
    """
    n = len(order)
    position = {person: k for k, person in enumerate(order)}
    if conflicts is None:
        following = chain(islice(order, 1, None), order[:1])
        bad = [k for k, arc in enumerate(zip(order, following, strict=True)) if excluded(arc)]
    else:
        bad = list(conflicts)
    where = {k: i for i, k in enumerate(bad)}  # position -> index in bad
    touched: set[int] = set()
    rand = rng.random

    for _ in range(max_moves):
        if not bad:
            return touched
        k = bad[int(rand() * len(bad))]
        a, b = order[k], order[(k + 1) % n]
        coin = rand() < 0.5  # noqa: PLR2004 - a fair coin
        if a in mortals_of and (b not in angels_of or coin):
            x, y = (k + 1) % n, position[rng.choice(mortals_of[a])]
        elif b in angels_of:
            x, y = k, position[rng.choice(angels_of[b])]
        else:
            x = (k + 1) % n if coin else k
            y = int(rand() * n)
        if x == y:
            continue
        # Swapping x and y changes only the pairs starting at these positions.
        affected = list({(x - 1) % n, x, (y - 1) % n, y})
        before = sum(t in where for t in affected)
        order[x], order[y] = order[y], order[x]
        after = [excluded((order[t], order[(t + 1) % n])) for t in affected]
        if sum(after) > before and rand() >= _REPAIR_NOISE:
            order[x], order[y] = order[y], order[x]
            continue
        position[order[x]], position[order[y]] = x, y
        touched.update((x, y))
        for t, is_bad in zip(affected, after, strict=True):
            if is_bad and t not in where:
                where[t] = len(bad)
                bad.append(t)
            elif not is_bad and t in where:
                i = where.pop(t)
                last = bad.pop()
                if i < len(bad):
                    bad[i] = last
                    where[last] = i
    return touched if not bad else None
