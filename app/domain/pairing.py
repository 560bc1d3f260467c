"""Drawing names for Angels & Mortals.

Everyone is the secret *angel* of exactly one *mortal*. A draw is a single
cycle through all participants (A -> B -> C -> ... -> A): nobody is their own
angel, no two people are each other's angel, and the facilitator's exclusions
(pairs of ``(angel, mortal)`` that must not happen) are respected.

Pure standard library on purpose: the draw is the heart of the game and must be
testable without Flask or a database.

How a draw is made, cheapest first:

1. Cheap diagnoses that are linear in the input and catch the common ways a
   facilitator over-constrains a group ("Priya is excluded from everyone").
2. Rejection sampling: shuffle everybody into a random cycle and keep it if it
   uses no excluded arc. Every cycle comes from exactly ``n`` orders (its
   rotations), so an accepted cycle is exactly uniform among valid cycles.
3. Only when that keeps failing: deeper diagnoses (connectivity, Hall's
   condition), then a search. Small groups (at most 9) are enumerated
   completely, which is exact and uniform. Larger groups use a randomised
   backtracking search (up to ``_DENSE_MAX_N`` people) or a local repair of a
   random cycle (beyond that), followed by a random walk over valid cycles to
   wash out the search's bias.

Everything is bounded: an instance that cannot be solved is reported with
:class:`DrawImpossible`, never looped on.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from operator import itemgetter

__all__ = ["MIN_PARTICIPANTS", "DrawImpossible", "draw_cycle", "is_valid_cycle"]

MIN_PARTICIPANTS = 3

# Rejection sampling budget, in participants shuffled. Around 10**5 people with
# one exclusion each, an attempt succeeds with probability about 1/e and costs
# ~0.1 s; six attempts keep the rare unlucky draw under a second before the
# (much cheaper) local repair takes over.
_REJECTION_WORK = 600_000
_REJECTION_MAX_ATTEMPTS = 5_000
# Groups this small are cheaper to enumerate exactly than to sample for long.
_EXHAUSTIVE_MAX_N = 9
_EXHAUSTIVE_ATTEMPTS = 300
# Above this the per-person adjacency lists of the backtracking search get too
# big (they hold every *allowed* arc), so larger groups use local repair.
_DENSE_MAX_N = 1_500
# Backtracking budget in steps (one step ~ one arc looked at; ~4 million a
# second here), and the restart unit in steps per person.
_SEARCH_WORK = 3_000_000
_SEARCH_RESTART_UNIT = 32
# Local repair budget in moves, for the large sparse case.
_REPAIR_MIN_MOVES = 50_000
_REPAIR_MOVES_PER_PERSON = 2
# Random-walk length after a search: ~n log n swaps mixes an unconstrained
# permutation; the cap keeps the walk well under a second.
_MIX_PER_PERSON_LOG = 10
_MIX_MAX = 200_000
_MIX_MAX_AFTER_REPAIR = 50_000
# Long lists of names are cut so a message stays readable on a web page.
_MAX_NAMES_SHOWN = 5


class DrawImpossible(ValueError):
    """The constraints admit no valid draw; str(exc) is a clear human sentence naming the cause."""


@dataclass(frozen=True)
class _Outcome:
    """A draw plus how it was obtained (for benchmarks and tests)."""

    assignment: dict[int, int]
    method: str  # "rejection", "exhaustive", "search" or "repair"
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

    The draw is uniformly random over all valid cycles whenever random sampling
    finds one (the usual case) or the group has at most 9 people; otherwise it
    comes from a randomised search followed by a random walk over valid cycles,
    which is close to uniform. All randomness comes from ``rng``, so a seeded
    ``random.Random`` gives a reproducible draw.

    Raises ``ValueError`` if ``people`` repeats an id, and
    :class:`DrawImpossible` (with a plain-sentence reason, naming people via
    ``names`` or else their ids) when there are fewer than 3 people, when the
    exclusions provably rule out every draw, or when they are so tight that the
    bounded search gave up.
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
    # Kept raw for the rejection check: arcs with unknown ids or (a, a) can
    # never lie on a cycle through these people, so they need no filtering.
    arcs = {(a, b) for a, b in forbidden}
    _diagnose_cheaply(roster, arcs, label)

    shuffled = _shuffler(roster, rng)
    limit = _rejection_attempts(n)
    order = roster
    for attempt in range(1, limit + 1):
        order = shuffled()
        if _avoids(order, arcs):
            return _Outcome(_assignment(order), "rejection", attempt)

    # Random sampling keeps failing: the exclusions are dense or concentrated.
    # From here on work with indices 0..n-1 and only the arcs that matter.
    index = {person: i for i, person in enumerate(roster)}
    pairs = {
        (index[a], index[b])
        for a, b in arcs
        if a != b and a in index and b in index
    }
    # One seeded generator for the many cheap choices below: SystemRandom costs
    # a system call per number, and seeding from rng keeps rng the only source.
    local = random.Random(rng.getrandbits(128))
    if n <= _DENSE_MAX_N:
        cycle, method = _dense_fallback(n, pairs, local, roster, label)
    else:
        start = [index[person] for person in order]
        cycle, method = _sparse_fallback(n, pairs, start, local, roster, label)
    return _Outcome(_assignment([roster[i] for i in cycle]), method, limit)


def _unique_roster(people: Sequence[int]) -> list[int]:
    roster = list(people)
    if len(set(roster)) != len(roster):
        repeated = sorted({p for p, c in Counter(roster).items() if c > 1}, key=roster.index)
        raise ValueError(f"Duplicate participant ids: {', '.join(map(str, repeated))}")
    return roster


def _rejection_attempts(n: int) -> int:
    if n <= _EXHAUSTIVE_MAX_N:
        # Exact enumeration is cheap here and just as uniform.
        return _EXHAUSTIVE_ATTEMPTS
    return max(3, min(_REJECTION_MAX_ATTEMPTS, _REJECTION_WORK // n))


def _avoids(order: list[int], arcs: set[tuple[int, int]]) -> bool:
    """True iff the cycle order[0] -> order[1] -> ... -> order[0] uses no arc in arcs."""
    # isdisjoint over a zip runs in C and stops at the first excluded arc.
    return (order[-1], order[0]) not in arcs and arcs.isdisjoint(
        zip(order, islice(order, 1, None))
    )


def _assignment(order: list[int]) -> dict[int, int]:
    return dict(zip(order, chain(islice(order, 1, None), order[:1])))


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
        """'A', 'A and B', 'A, B and C', or 'A, B, C, D, E and 7 others'."""
        shown = [self(p) for p in people[:_MAX_NAMES_SHOWN]]
        hidden = len(people) - len(shown)
        if hidden:
            return f"{', '.join(shown)} and {hidden} other{'s' if hidden > 1 else ''}"
        if len(shown) == 1:
            return shown[0]
        return f"{', '.join(shown[:-1])} and {shown[-1]}"


def _too_tight(n: int) -> DrawImpossible:
    return DrawImpossible(
        f"The exclusions are too tight to find a draw for these {n} participants. "
        "Try removing some exclusions and drawing again."
    )


def _no_arrangement(roster: list[int], label: _Labeller) -> DrawImpossible:
    if len(roster) == 3:
        a, b, c = (label(p) for p in roster)
        return DrawImpossible(
            "With only 3 participants there are just two possible arrangements "
            f"({a} → {b} → {c} → {a}, or {a} → {c} → {b} → {a}), "
            "and the exclusions rule out both. Try removing some exclusions."
        )
    return DrawImpossible(
        f"No arrangement of these {len(roster)} participants satisfies all the exclusions. "
        "Try removing some exclusions."
    )


# --------------------------------------------------------------------------
# Diagnoses
# --------------------------------------------------------------------------


def _diagnose_cheaply(roster: list[int], arcs: set[tuple[int, int]], label: _Labeller) -> None:
    """Raise DrawImpossible for the obvious dead ends, in time linear in the input.

    Only people with at most one allowed mortal (or angel) can cause these, and
    there are at most len(arcs) / (n - 2) of them, so everyone else is skipped
    after a count.
    """
    n = len(roster)
    # Raw counts include ignored arcs, so they are upper bounds: fine as a filter.
    out_raw = Counter(map(itemgetter(0), arcs))
    in_raw = Counter(map(itemgetter(1), arcs))
    tight_out = {a for a, c in out_raw.items() if c >= n - 2}
    tight_in = {b for b, c in in_raw.items() if c >= n - 2}
    if not tight_out and not tight_in:
        return
    excluded_out: defaultdict[int, set[int]] = defaultdict(set)
    excluded_in: defaultdict[int, set[int]] = defaultdict(set)
    for a, b in arcs:
        if a in tight_out:
            excluded_out[a].add(b)
        if b in tight_in:
            excluded_in[b].add(a)
    # Exact allowed sets, in roster order so messages are deterministic.
    mortals_of = {
        a: [p for p in roster if p != a and p not in excluded_out[a]]
        for a in roster
        if a in tight_out
    }
    angels_of = {
        b: [p for p in roster if p != b and p not in excluded_in[b]]
        for b in roster
        if b in tight_in
    }

    no_mortal = [a for a, allowed in mortals_of.items() if not allowed]
    if no_mortal:
        if len(no_mortal) == 1:
            who = label(no_mortal[0])
            raise DrawImpossible(
                f"{who} is excluded from being the angel of everyone else, "
                f"so {who} can't be given a mortal."
            )
        raise DrawImpossible(
            f"{label.join(no_mortal)} are each excluded from being the angel of "
            "everyone else, so they can't be given mortals."
        )
    no_angel = [b for b, allowed in angels_of.items() if not allowed]
    if no_angel:
        if len(no_angel) == 1:
            who = label(no_angel[0])
            raise DrawImpossible(
                f"Everyone else is excluded from being the angel of {who}, "
                f"so {who} can't be given an angel."
            )
        raise DrawImpossible(
            f"Everyone else is excluded from being the angel of {label.join(no_angel)}, "
            "so they can't be given angels."
        )

    only_mortal = {a: allowed[0] for a, allowed in mortals_of.items() if len(allowed) == 1}
    only_angel = {b: allowed[0] for b, allowed in angels_of.items() if len(allowed) == 1}
    _diagnose_forced(roster, only_mortal, only_angel, label)


def _diagnose_forced(
    roster: list[int],
    only_mortal: dict[int, int],
    only_angel: dict[int, int],
    label: _Labeller,
) -> None:
    """Raise if the pairings forced by single options clash or close a short loop."""
    # Two people who can each only be the angel of the same person.
    by_mortal: defaultdict[int, list[int]] = defaultdict(list)
    for angel, mortal in only_mortal.items():
        by_mortal[mortal].append(angel)
    for mortal, angels in by_mortal.items():
        if len(angels) > 1:
            raise DrawImpossible(
                f"{label.join(angels)} can each only be the angel of {label(mortal)}, "
                f"but {label(mortal)} can have only one angel."
            )
    # Two people who can each only have the same person as their angel.
    by_angel: defaultdict[int, list[int]] = defaultdict(list)
    for mortal, angel in only_angel.items():
        by_angel[angel].append(mortal)
    for angel, mortals in by_angel.items():
        if len(mortals) > 1:
            raise DrawImpossible(
                f"{label.join(mortals)} can each only have {label(angel)} as their angel, "
                f"but {label(angel)} can be the angel of only one person."
            )
    # Mixed clashes: someone's only mortal is someone whose only angel is another.
    for angel, mortal in only_mortal.items():
        other = only_angel.get(mortal)
        if other is not None and other != angel:
            raise DrawImpossible(
                f"{label(angel)} can only be the angel of {label(mortal)}, "
                f"but {label(mortal)} can only have {label(other)} as an angel."
            )
    for mortal, angel in only_angel.items():
        other = only_mortal.get(angel)
        if other is not None and other != mortal:
            raise DrawImpossible(
                f"{label(mortal)} can only have {label(angel)} as an angel, "
                f"but {label(angel)} can only be the angel of {label(other)}."
            )

    # No clashes left, so each person has at most one forced mortal. Following
    # forced links must not close a loop before it has gone through everyone.
    forced = dict(only_mortal)
    for mortal, angel in only_angel.items():
        forced[angel] = mortal
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
            together = "each other's angels" if len(loop) == 2 else "one another's angels"
            others = n - len(loop)
            raise DrawImpossible(
                f"The exclusions leave {label.join(loop)} no choice but to be {together} "
                f"in a closed loop ({path}), which would leave out the other "
                f"{others} participant{'s' if others > 1 else ''}."
            )


def _diagnose_connectivity(
    out: list[list[int]], inn: list[list[int]], roster: list[int], label: _Labeller
) -> None:
    """Raise if some group can't be entered or left: a cycle must do both."""
    n = len(roster)
    for adjacency, leaving in ((out, True), (inn, False)):
        reached = bytearray(n)
        reached[0] = 1
        frontier = [0]
        count = 1
        while frontier:
            nxt = []
            for u in frontier:
                for w in adjacency[u]:
                    if not reached[w]:
                        reached[w] = 1
                        nxt.append(w)
            count += len(nxt)
            frontier = nxt
        if count == n:
            continue
        inside = [roster[i] for i in range(n) if reached[i]]
        outside = [roster[i] for i in range(n) if not reached[i]]
        # Going forward: nobody reached may be the angel of anyone outside.
        # Going backward: nobody outside may be the angel of anyone reached.
        closed, shut_out = (inside, outside) if leaving else (outside, inside)
        if len(closed) <= len(shut_out):
            raise DrawImpossible(
                f"{label.join(closed)} may only be angels of one another, so the chain "
                "of angels could never leave their group to reach everyone else."
            )
        raise DrawImpossible(
            f"{label.join(shut_out)} may only have angels from among themselves, so the "
            "chain of angels could never reach them from the rest of the group."
        )


def _hall_violation(
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
    for root in left:
        if root in matched:
            continue
        # Iterative DFS over alternating paths. Each level is
        # [person, their remaining options, option that led to the next level].
        seen: set[int] = set()
        stack: list[list] = [[root, iter(adjacency[root]), -1]]
        free_option = None
        while stack and free_option is None:
            level = stack[-1]
            for w in level[1]:
                if w in seen:
                    continue
                seen.add(w)
                if w not in holder_of:
                    free_option = w
                else:
                    level[2] = w
                    holder = holder_of[w]
                    stack.append([holder, iter(adjacency[holder]), -1])
                break
            else:
                stack.pop()
        if free_option is None:
            return [root, *(holder_of[w] for w in seen)], sorted(seen)
        # Augment: the deepest person takes the free option, every person
        # above takes the option they reached the next level through.
        holder_of[free_option] = stack[-1][0]
        for level in stack[:-1]:
            holder_of[level[2]] = level[0]
        matched.add(root)
    return None


def _raise_hall(
    violation: tuple[list[int], list[int]], roster: list[int], label: _Labeller, *, angels: bool
) -> None:
    people = [roster[i] for i in sorted(violation[0])]
    options = [roster[i] for i in violation[1]]
    k = len(people)
    if angels:
        raise DrawImpossible(
            f"{label.join(people)} can only be angels of {label.join(options)} between "
            f"them: {k} people for {k - 1} mortal{'s' if k > 2 else ''}, so someone "
            "would be left without a mortal."
        )
    raise DrawImpossible(
        f"{label.join(people)} can only have angels from among {label.join(options)}: "
        f"{k} people for {k - 1} angel{'s' if k > 2 else ''}, so someone would be "
        "left without an angel."
    )


# --------------------------------------------------------------------------
# Fallbacks
# --------------------------------------------------------------------------


def _dense_fallback(
    n: int,
    pairs: set[tuple[int, int]],
    rng: random.Random,
    roster: list[int],
    label: _Labeller,
) -> tuple[list[int], str]:
    """Diagnose, then enumerate (n <= 9) or search; return a cycle of indices."""
    excluded: list[set[int]] = [set() for _ in range(n)]
    for a, b in pairs:
        excluded[a].add(b)
    people = range(n)
    out = [[w for w in people if w != u and w not in excluded[u]] for u in people]
    inn: list[list[int]] = [[] for _ in people]
    for u in people:
        for w in out[u]:
            inn[w].append(u)

    _diagnose_connectivity(out, inn, roster, label)
    violation = _hall_violation(list(people), out)
    if violation is not None:
        _raise_hall(violation, roster, label, angels=True)

    if n <= _EXHAUSTIVE_MAX_N:
        cycles = _all_cycles(out, n)
        if not cycles:
            raise _no_arrangement(roster, label)
        return list(rng.choice(cycles)), "exhaustive"

    cycle, complete = _search(out, inn, rng, _SEARCH_WORK)
    if cycle is None:
        raise _no_arrangement(roster, label) if complete else _too_tight(n)
    proposals = min(_MIX_MAX, int(_MIX_PER_PERSON_LOG * n * math.log(n)))
    _mix(cycle, pairs, rng, proposals)
    return cycle, "search"


def _all_cycles(out: list[list[int]], n: int) -> list[tuple[int, ...]]:
    """Every valid cycle, as the order starting from person 0 (small n only)."""
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
    unit = _SEARCH_RESTART_UNIT * len(out)
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
    """The i-th term (from 1) of the Luby sequence 1, 1, 2, 1, 1, 2, 4, 1, ..."""
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
    closes = bytearray(n)  # u -> start allowed
    for u in inn[start]:
        closes[u] = 1
    # Forward checking via counts: succ[u] = allowed mortals of u among
    # free people and start; pred[u] = allowed angels of u among free people
    # and the path's current end. A free person whose count hits 0 can never
    # be fitted in, so that branch is cut at once.
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
            # All options from c tried: undo the move that brought us to c.
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
        # Move c -> v.
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
        elif start_pred == 0 or succ[v] - closes[v] == 0:
            dead = True
        if dead:
            _undo_move(c, v, out, inn, free, succ, pred)
            remaining += 1
            start_pred += closes[v]
            continue
        path.append(v)
        frames.append(iter(candidates(v)))
    return None, steps, True


def _undo_move(
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


def _mix(order: list[int], pairs: set[tuple[int, int]], rng: random.Random, proposals: int) -> None:
    """Random walk over valid cycles, in place, to wash out a search's bias.

    Each step swaps two random positions and keeps the swap only if the cycle
    stays valid. The proposal is symmetric, so the walk's long-run distribution
    is uniform over the valid cycles it can reach.
    """
    n = len(order)
    rand = rng.random
    for _ in range(proposals):
        i = int(rand() * n)
        j = int(rand() * n)
        if i == j:
            continue
        order[i], order[j] = order[j], order[i]
        # Only arcs starting just before or at a swapped position changed.
        for k in {i - 1, i, j - 1, j}:
            if (order[k], order[(k + 1) % n]) in pairs:
                order[i], order[j] = order[j], order[i]
                break


def _sparse_fallback(
    n: int,
    pairs: set[tuple[int, int]],
    start: list[int],
    rng: random.Random,
    roster: list[int],
    label: _Labeller,
) -> tuple[list[int], str]:
    """Large groups: check the heavily excluded people, then repair a random cycle."""
    excluded_out: defaultdict[int, set[int]] = defaultdict(set)
    excluded_in: defaultdict[int, set[int]] = defaultdict(set)
    for a, b in pairs:
        excluded_out[a].add(b)
        excluded_in[b].add(a)
    # People excluded from more than half the group get explicit option lists:
    # the repair picks from those instead of guessing. There are at most
    # 2 * len(pairs) / n of them, so building the lists stays linear.
    half = n // 2
    mortals_of = {
        u: [w for w in range(n) if w != u and w not in excluded_out[u]]
        for u, ex in excluded_out.items()
        if len(ex) > half
    }
    angels_of = {
        u: [w for w in range(n) if w != u and w not in excluded_in[u]]
        for u, ex in excluded_in.items()
        if len(ex) > half
    }
    # Hall's condition restricted to them is still a proof when it fails.
    violation = _hall_violation(sorted(mortals_of), mortals_of)
    if violation is not None:
        _raise_hall(violation, roster, label, angels=True)
    violation = _hall_violation(sorted(angels_of), angels_of)
    if violation is not None:
        _raise_hall(violation, roster, label, angels=False)

    order = list(start)
    max_moves = max(_REPAIR_MIN_MOVES, _REPAIR_MOVES_PER_PERSON * n)
    if not _repair(order, pairs, mortals_of, angels_of, rng, max_moves):
        raise _too_tight(n)
    _mix(order, pairs, rng, _MIX_MAX_AFTER_REPAIR)
    return order, "repair"


def _repair(  # noqa: C901, PLR0912 - one tight loop, kept together for speed
    order: list[int],
    pairs: set[tuple[int, int]],
    mortals_of: Mapping[int, list[int]],
    angels_of: Mapping[int, list[int]],
    rng: random.Random,
    max_moves: int,
) -> bool:
    """Swap people around until order is a valid cycle; False if out of moves.

    Min-conflicts local search: pick an excluded arc a -> b, swap b (or a) with
    someone who fits better, keep the swap unless it adds excluded arcs (with a
    little noise to walk out of dead ends).
    """
    n = len(order)
    position = [0] * n
    for k, person in enumerate(order):
        position[person] = k
    nxt = chain(islice(order, 1, None), order[:1])
    bad = [k for k, arc in enumerate(zip(order, nxt)) if arc in pairs]
    where = {k: i for i, k in enumerate(bad)}  # position -> index in bad

    def set_bad(k: int, is_bad: bool) -> None:
        if is_bad and k not in where:
            where[k] = len(bad)
            bad.append(k)
        elif not is_bad and k in where:
            i = where.pop(k)
            last = bad.pop()
            if i < len(bad):
                bad[i] = last
                where[last] = i

    rand = rng.random
    for _ in range(max_moves):
        if not bad:
            return True
        k = bad[int(rand() * len(bad))]
        a, b = order[k], order[(k + 1) % n]
        # Choose which end of the excluded arc to replace, and with whom.
        if a in mortals_of and (b not in angels_of or rand() < 0.5):
            x, y = (k + 1) % n, position[rng.choice(mortals_of[a])]
        elif b in angels_of:
            x, y = k, position[rng.choice(angels_of[b])]
        else:
            x = (k + 1) % n if rand() < 0.5 else k
            y = int(rand() * n)
        if x == y:
            continue
        touched = {(x - 1) % n, x, (y - 1) % n, y}
        before = sum(t in where for t in touched)
        order[x], order[y] = order[y], order[x]
        after = [(order[t], order[(t + 1) % n]) in pairs for t in touched]
        if sum(after) > before and rand() >= 0.05:
            order[x], order[y] = order[y], order[x]
            continue
        position[order[x]], position[order[y]] = x, y
        for t, is_bad in zip(touched, after):
            set_bad(t, is_bad)
    return not bad
