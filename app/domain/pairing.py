"""Drawing names for Angels & Mortals.

Everyone is the secret *angel* of exactly one *mortal*. A draw is a single
cycle through all participants (A -> B -> C -> ... -> A): nobody is their own
angel, no two people are each other's angel, and the facilitator's exclusions
(pairs ``(angel, mortal)`` that must not happen) are respected.

Pure standard library on purpose: the draw is the heart of the game and must be
testable without Flask or a database.

How a draw is made, cheapest first:

1. Rejection sampling: shuffle everybody into a random cycle and keep it if it
   uses no excluded pair. Every cycle comes from exactly ``n`` orders (its
   rotations), so an accepted cycle is exactly uniform among valid cycles.
2. Once a random cycle has failed, cheap diagnoses, linear in the input, catch
   the common ways a group gets over-constrained ("Priya is excluded from
   being the angel of everyone else").
3. Only when sampling keeps failing: deeper diagnoses (connectivity, Hall's
   condition), then an exact draw where counting is affordable. Groups of at
   most 9 are enumerated completely. Up to ``_EXACT_MAX_N`` people, the valid
   cycles are counted by dynamic programming over subsets (only the states
   reachable from person 0, within ``_EXACT_MAX_STATES``; tight groups, the
   ones that get here, have few) and one is drawn person by person with
   probability proportional to the number of ways to finish it.
4. Larger or denser groups use a local repair of a random cycle and, up to
   ``_DENSE_MAX_N`` people, a randomised backtracking search, followed by a
   random walk over valid cycles (:func:`_walk`) whose moves are proposed
   symmetrically and kept when valid, so its long-run distribution is uniform
   over the cycles it can reach.

Guarantee: a draw made by rejection sampling, enumeration or exact counting is
exactly uniform over all valid cycles; these cover every group of up to 24
people whose exclusions are tight enough to need a fallback, unless counting
would take more than ``_EXACT_MAX_STATES`` states. The random walk (larger
groups up to ``_DENSE_MAX_N``) is uniform only in the limit and only over the
cycles its moves connect: in very tight groups they may not all be connected.
Beyond ``_DENSE_MAX_N`` people, a draw that rejection sampling misses is a
uniformly random cycle with the few people the repair moved re-shuffled by a
short walk: close to uniform, not exactly.

Everything is bounded: an instance that cannot be solved is reported with
:class:`DrawImpossible`, never looped on.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, compress, islice
from operator import itemgetter
from typing import TypeVar

__all__ = [
    "MIN_PARTICIPANTS",
    "DrawImpossible",
    "draw_cycle",
    "is_valid_cycle",
    "prefer_avoiding",
]

MIN_PARTICIPANTS = 3

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
_REPAIR_NOISE = 0.05  # chance of keeping a worsening move, to leave dead ends
# Backtracking budget in steps (one step ~ one pair looked at, ~4 million a
# second on a laptop) and the Luby restart unit in steps per person.
_SEARCH_WORK = 3_000_000
_SEARCH_RESTART_UNIT = 32
# Random-walk lengths: ~n log n swaps mix an unconstrained permutation; the
# cap keeps the walk well under a second. After a repair of a large group only
# the positions the repair touched are re-randomised.
_MIX_PER_PERSON_LOG = 10
_MIX_MAX = 100_000
_MIX_PER_TOUCHED = 20
# Exact counting (dynamic programming over subsets) up to this many people, as
# long as it needs at most this many states (~1 microsecond each; tight groups
# need few, dense ones are sampled by rejection before they get here).
_EXACT_MAX_N = 24
_EXACT_MAX_STATES = 300_000
# Proposals of the random walk after a repair or search (~1.5 µs each, so
# ~0.3 s): about 100 n log n for the largest group it serves (1,500 people),
# far beyond the n log n swaps that mix an unconstrained group. It cannot fix
# a walk whose moves don't connect the valid cycles (see the module docstring).
_WALK_PROPOSALS = 200_000
# Long lists of names are cut so a message stays readable on a web page.
_MAX_NAMES_SHOWN = 5

_Excluded = Callable[[tuple[int, int]], bool]


class DrawImpossible(ValueError):
    """The constraints admit no valid draw; str(exc) is a clear human sentence naming the cause."""


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
) -> dict[int, int]:
    """Return angel_id -> mortal_id forming ONE cycle through all people.

    Promises, when it returns: every person is a key and a value exactly once,
    following angel -> mortal from anyone visits everybody before coming back,
    nobody is their own angel, no two people are each other's angel, and no
    ``(angel, mortal)`` pair from ``forbidden`` is used. Pairs naming unknown ids
    and ``(a, a)`` pairs are ignored.

    The draw is exactly uniform over all valid cycles whenever random sampling
    finds one (the usual case) or the group is small enough to count its
    cycles (up to 24 people, see the module docstring); otherwise it comes from
    a randomised search followed by a random walk over valid cycles, which is
    close to uniform. All randomness comes from ``rng``, so a seeded
    ``random.Random`` gives a reproducible draw.

    Raises ``ValueError`` if ``people`` repeats an id, and
    :class:`DrawImpossible` (with a plain-sentence reason, naming people via
    ``names`` or else their ids) when there are fewer than 3 people, when the
    exclusions provably rule out every draw, or when they are so tight that the
    bounded search gave up. Always returns or raises within a bounded time.
    """
    return _draw(people, forbidden, rng, names).assignment


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


# --------------------------------------------------------------------------
# The draw
# --------------------------------------------------------------------------


def _draw(
    people: Sequence[int],
    forbidden: Iterable[tuple[int, int]],
    rng: random.Random,
    names: Mapping[int, str] | None = None,
) -> _Outcome:
    """:func:`draw_cycle`, also reporting how the draw was obtained."""
    roster = _unique_roster(people)
    n = len(roster)
    label = _Labeller(names)
    if n < MIN_PARTICIPANTS:
        count = {0: "there are none", 1: "there is 1"}.get(n, f"there are {n}")
        raise DrawImpossible(
            f"At least {MIN_PARTICIPANTS} participants are needed to draw names; {count}."
        )
    # Kept raw: pairs with unknown ids or (a, a) can never lie on a cycle
    # through these people, so the rejection check needs no filtering.
    # map(tuple) reuses the caller's tuples instead of allocating new ones.
    arcs: set[tuple[int, int]] = set(map(tuple, forbidden))  # type: ignore[arg-type]

    shuffled = _shuffler(roster, rng)
    limit = _rejection_attempts(n)
    order = roster
    counts: _Counts | None = None
    heavy = _Heavy.none()
    for attempt in range(1, limit + 1):
        order = shuffled()
        if _avoids(order, arcs):
            return _Outcome(_assignment(order), "rejection", attempt)
        if counts is None:
            # Diagnose only once a random draw has failed: a draw that works
            # needs no diagnosis, and at 10**5 people counting costs ~0.07 s.
            counts = _Counts(arcs)
            try:
                _diagnose_cheaply(roster, arcs, counts, label)
            except DrawImpossible as exc:
                if n == MIN_PARTICIPANTS:
                    # Every impossible 3-person draw is caught here.
                    msg = (
                        f"{exc} With only 3 participants there are just two possible arrangements."
                    )
                    raise DrawImpossible(msg) from None
                raise
            if n > _DENSE_MAX_N:
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


# --------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------


class _Labeller:
    """Turns ids into display names for messages (falling back to the id)."""

    def __init__(self, names: Mapping[int, str] | None) -> None:
        self._names = names or {}

    def __call__(self, person: int) -> str:
        return self._names.get(person) or str(person)

    def join(self, people: Sequence[int]) -> str:
        """List names as 'A', 'A and B', 'A, B and C', or 'A, B, C, D, E and 7 others'."""
        shown = [self(p) for p in people[:_MAX_NAMES_SHOWN]]
        hidden = len(people) - len(shown)
        if hidden:
            return f"{', '.join(shown)} and {_count(hidden, 'other')}"
        if len(shown) == 1:
            return shown[0]
        return f"{', '.join(shown[:-1])} and {shown[-1]}"


def _count(k: int, noun: str) -> str:
    return f"{k} {noun}" if k == 1 else f"{k} {noun}s"


def _too_tight(n: int) -> DrawImpossible:
    return DrawImpossible(
        f"The exclusions are too tight to find a draw for these {n} participants. "
        "Try removing some exclusions and drawing again."
    )


def _no_arrangement(n: int) -> DrawImpossible:
    return DrawImpossible(
        f"No arrangement of these {n} participants satisfies all the exclusions. "
        "Try removing some exclusions."
    )


# --------------------------------------------------------------------------
# Diagnoses
# --------------------------------------------------------------------------


class _Counts:
    """How many exclusions each id has as angel and as mortal.

    Counted on the raw pairs, so unknown ids and (a, a) pairs are included: the
    counts are upper bounds, used only to find the few people worth a closer look.
    """

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


def _allowed(
    roster: list[int], arcs: set[tuple[int, int]], candidates: Iterable[int], *, mortals: bool
) -> dict[int, list[int]]:
    """Exact allowed mortals (or angels) of each candidate, in roster order.

    O(n) per candidate, so callers pass only the few people with many
    exclusions. Iterating the roster keeps results (and messages) deterministic.
    """
    wanted = set(candidates)
    if not wanted:
        return {}
    if mortals:
        return {
            u: [p for p in roster if p != u and (u, p) not in arcs] for u in roster if u in wanted
        }
    return {u: [p for p in roster if p != u and (p, u) not in arcs] for u in roster if u in wanted}


def _diagnose_cheaply(
    roster: list[int], arcs: set[tuple[int, int]], counts: _Counts, label: _Labeller
) -> None:
    """Raise DrawImpossible for the obvious dead ends, in time linear in the input.

    Only people with at most one allowed mortal (or angel) can cause these, and
    there are at most len(arcs) / (n - 2) of them, so everyone else is skipped
    after a count.
    """
    n = len(roster)
    tight_out = counts.angels_with_more_than(n - 3)
    tight_in = counts.mortals_with_more_than(n - 3)
    if not tight_out and not tight_in:
        return
    mortals_of = _allowed(roster, arcs, tight_out, mortals=True)
    angels_of = _allowed(roster, arcs, tight_in, mortals=False)

    no_mortal = [a for a, allowed in mortals_of.items() if not allowed]
    if len(no_mortal) == 1:
        who = label(no_mortal[0])
        raise DrawImpossible(
            f"{who} is excluded from being the angel of everyone else, "
            f"so {who} can't be given a mortal."
        )
    if no_mortal:
        raise DrawImpossible(
            f"{label.join(no_mortal)} are each excluded from being the angel of "
            "everyone else, so they can't be given mortals."
        )
    no_angel = [b for b, allowed in angels_of.items() if not allowed]
    if len(no_angel) == 1:
        who = label(no_angel[0])
        raise DrawImpossible(
            f"Everyone else is excluded from being the angel of {who}, "
            f"so {who} can't be given an angel."
        )
    if no_angel:
        raise DrawImpossible(
            f"Everyone else is excluded from being the angel of {label.join(no_angel)}, "
            "so they can't be given angels."
        )

    only_mortal = {a: allowed[0] for a, allowed in mortals_of.items() if len(allowed) == 1}
    only_angel = {b: allowed[0] for b, allowed in angels_of.items() if len(allowed) == 1}
    _diagnose_clashes(only_mortal, only_angel, label)
    _diagnose_short_loop(roster, only_mortal, only_angel, label)


def _diagnose_clashes(
    only_mortal: dict[int, int], only_angel: dict[int, int], label: _Labeller
) -> None:
    """Raise if two pairings forced by single options need the same person."""
    by_mortal: defaultdict[int, list[int]] = defaultdict(list)
    for angel, mortal in only_mortal.items():
        by_mortal[mortal].append(angel)
    for mortal, angels in by_mortal.items():
        if len(angels) > 1:
            raise DrawImpossible(
                f"{label.join(angels)} can each only be the angel of {label(mortal)}, "
                f"but {label(mortal)} can have only one angel."
            )
    by_angel: defaultdict[int, list[int]] = defaultdict(list)
    for mortal, angel in only_angel.items():
        by_angel[angel].append(mortal)
    for angel, mortals in by_angel.items():
        if len(mortals) > 1:
            raise DrawImpossible(
                f"{label.join(mortals)} can each only have {label(angel)} as their angel, "
                f"but {label(angel)} can be the angel of only one person."
            )
    # No mixed clash needs checking: if a's only mortal is m then a may be m's
    # angel, so m's only angel (if m has just one) is a.


def _diagnose_short_loop(
    roster: list[int],
    only_mortal: dict[int, int],
    only_angel: dict[int, int],
    label: _Labeller,
) -> None:
    """Raise if forced pairings close a loop that leaves people out."""
    # Without clashes each person has at most one forced mortal and at most
    # one forced angel, so the forced pairs form disjoint chains and loops.
    forced = dict(only_mortal)
    forced.update((angel, mortal) for mortal, angel in only_angel.items())
    n = len(roster)
    done: set[int] = set()
    for first in roster:
        if first not in forced or first in done:
            continue
        loop = [first]
        seen = {first}
        current = forced[first]
        while current in forced and current not in seen and current not in done:
            loop.append(current)
            seen.add(current)
            current = forced[current]
        done |= seen
        if current == first and len(loop) < n:
            who = [label(p) for p in loop]
            path = " → ".join([*who, who[0]])
            together = "one another's angels" if loop[2:] else "each other's angels"
            others = n - len(loop)
            raise DrawImpossible(
                f"The exclusions leave {label.join(loop)} no choice but to be {together} "
                f"in a closed loop ({path}), which would leave out the other "
                f"{_count(others, 'participant')}."
            )


def _diagnose_connectivity(
    out: list[list[int]], inn: list[list[int]], roster: list[int], label: _Labeller
) -> None:
    """Raise if some group can't be entered or left: a cycle must do both."""
    n = len(roster)
    for adjacency, forward in ((out, True), (inn, False)):
        reached = bytearray(n)
        reached[0] = 1
        frontier = [0]
        while frontier:
            nxt = []
            for u in frontier:
                for w in adjacency[u]:
                    if not reached[w]:
                        reached[w] = 1
                        nxt.append(w)
            frontier = nxt
        if all(reached):
            continue
        inside = [roster[i] for i in range(n) if reached[i]]
        outside = [roster[i] for i in range(n) if not reached[i]]
        # Forward: nobody reached may be the angel of anyone outside.
        # Backward: nobody outside may be the angel of anyone reached.
        closed, shut_out = (inside, outside) if forward else (outside, inside)
        if len(closed) <= len(shut_out):
            raise DrawImpossible(
                f"{label.join(closed)} may only be angels of one another, so the chain "
                "of angels could never leave their group to reach everyone else."
            )
        raise DrawImpossible(
            f"{label.join(shut_out)} may only have angels from among themselves, so the "
            "chain of angels could never reach them from the rest of the group."
        )


def _hall_violation(  # noqa: C901 - Kuhn's algorithm, iterative
    left: list[int], adjacency: Mapping[int, Sequence[int]] | Sequence[Sequence[int]]
) -> tuple[list[int], list[int]] | None:
    """Find people who between them have fewer options than their number.

    Computes a maximum matching of ``left`` into their options (Kuhn's
    augmenting paths). If someone stays unmatched, the people reachable from
    them by alternating paths form a set S whose options N(S) number |S| - 1
    (Hall's theorem). Returns (S, N(S)), or None when everyone can be matched.
    """
    holder_of: dict[int, int] = {}  # option -> left person holding it
    # Greedy first: usually almost everyone is matched without augmenting.
    for u in left:
        for w in adjacency[u]:
            if w not in holder_of:
                holder_of[w] = u
                break
    matched = set(holder_of.values())

    def free_option_of(u: int) -> int | None:
        # Looking for a free option before going deeper keeps augmenting
        # paths short in dense groups, where almost every person has one.
        return next((w for w in adjacency[u] if w not in holder_of), None)

    for root in left:
        if root in matched:
            continue
        # Iterative DFS over alternating paths. Each level is
        # [person, their remaining options, option that led to the next level].
        seen: set[int] = set()
        stack: list[list] = [[root, iter(adjacency[root]), -1]]
        free_option = free_option_of(root)
        while stack and free_option is None:
            level = stack[-1]
            for w in level[1]:
                if w in seen:
                    continue
                seen.add(w)
                level[2] = w
                holder = holder_of[w]
                stack.append([holder, iter(adjacency[holder]), -1])
                free_option = free_option_of(holder)
                break
            else:
                stack.pop()
        if free_option is None:
            return [root, *(holder_of[w] for w in seen)], list(seen)
        # Augment: the deepest person takes the free option, everyone above
        # takes the option through which they reached the next level.
        holder_of[free_option] = stack[-1][0]
        for level in stack[:-1]:
            holder_of[level[2]] = level[0]
        matched.add(root)
    return None


def _raise_hall(
    violation: tuple[list[int], list[int]],
    order: Mapping[int, int],
    label: _Labeller,
    *,
    angels: bool,
) -> None:
    """Explain a Hall violation; order maps each id to its roster position."""
    people = sorted(violation[0], key=order.__getitem__)
    options = sorted(violation[1], key=order.__getitem__)
    k = len(people)
    if angels:
        raise DrawImpossible(
            f"{label.join(people)} can only be angels of {label.join(options)} between "
            f"them: {k} people for {_count(k - 1, 'mortal')}, so someone "
            "would be left without a mortal."
        )
    raise DrawImpossible(
        f"{label.join(people)} can only have angels from among {label.join(options)}: "
        f"{k} people for {_count(k - 1, 'angel')}, so someone would be "
        "left without an angel."
    )


# --------------------------------------------------------------------------
# Fallbacks
# --------------------------------------------------------------------------


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
    _walk(order, excluded, rng, _WALK_PROPOSALS)
    return [roster[i] for i in order], method


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
    """

    def __init__(
        self, roster: list[int], arcs: set[tuple[int, int]], counts: _Counts | None = None
    ) -> None:
        n = len(roster)
        half = n // 2
        self.n = n
        self.mortals_of: dict[int, list[int]] = {}
        self.angels_of: dict[int, list[int]] = {}
        if counts is None:
            return
        tight_out = counts.angels_with_more_than(half)
        tight_in = counts.mortals_with_more_than(half)
        mortals_of = _allowed(roster, arcs, tight_out, mortals=True)
        angels_of = _allowed(roster, arcs, tight_in, mortals=False)
        self.mortals_of = {u: v for u, v in mortals_of.items() if len(v) < half}
        self.angels_of = {u: v for u, v in angels_of.items() if len(v) < half}

    @classmethod
    def none(cls) -> _Heavy:
        return cls([], set())

    @property
    def acceptance_bound(self) -> float:
        """An upper bound on the chance that a random cycle is valid.

        A random cycle gives each person a uniformly random mortal (and angel)
        among the other n - 1, so it can't succeed more often than the person
        with the fewest options allows.
        """
        fewest = min(
            map(len, chain(self.mortals_of.values(), self.angels_of.values())), default=None
        )
        return 1.0 if fewest is None else fewest / (self.n - 1)


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
    mortals_of, angels_of = heavy.mortals_of, heavy.angels_of
    # Hall's condition among just these people is still a proof when it fails.
    if mortals_of or angels_of:
        position = {person: i for i, person in enumerate(roster)}
        violation = _hall_violation(list(mortals_of), mortals_of)
        if violation is not None:
            _raise_hall(violation, position, label, angels=True)
        violation = _hall_violation(list(angels_of), angels_of)
        if violation is not None:
            _raise_hall(violation, position, label, angels=False)

    # A C-level membership test: no Python frame per check.
    excluded = arcs.__contains__
    order = list(start)
    max_moves = max(_REPAIR_MIN_MOVES, _REPAIR_MOVES_PER_PERSON * n)
    touched = _repair(order, excluded, mortals_of, angels_of, rng, max_moves)
    if touched is None:
        raise _too_tight(n)
    # The repaired order is the uniformly random start except where the repair
    # moved people, so re-randomise just those positions.
    focus = sorted(touched)
    _mix(order, excluded, rng, min(_MIX_MAX, _MIX_PER_TOUCHED * len(focus)), focus)
    return order, "repair"


def _repair(  # noqa: C901, PLR0913, PLR0917 - one tight loop, kept together for speed
    order: list[int],
    excluded: _Excluded,
    mortals_of: Mapping[int, list[int]],
    angels_of: Mapping[int, list[int]],
    rng: random.Random,
    max_moves: int,
) -> set[int] | None:
    """Swap people around until order is a valid cycle.

    Min-conflicts local search: pick an excluded pair a -> b on the cycle and
    swap b (or a) with someone who fits better: drawn from the explicit option
    lists when a or b has them, else at random. A swap is kept unless it adds
    excluded pairs (bar a little noise, to walk out of dead ends). Returns the
    positions it changed, or None if max_moves ran out.
    """
    n = len(order)
    position = {person: k for k, person in enumerate(order)}
    following = chain(islice(order, 1, None), order[:1])
    bad = [k for k, arc in enumerate(zip(order, following, strict=True)) if excluded(arc)]
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
