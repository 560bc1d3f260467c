"""Changing a drawn cycle mid-game: a late joiner, a leaver, someone moved to a new address.

What a change must not do is teach anybody a pairing. Splicing a newcomer N in as A->N->B
would tell A that N's mortal is B; closing A->L->C into A->C would tell A that L was C's angel.
So in a circle of at least SMALL_CIRCLE people every change is a random rearrangement that
gives at least three angels a new mortal, chosen uniformly among the rearrangements that the
exclusions allow:

- a join cuts three links A1->B1, A2->B2, A3->B3 (in circle order) and reconnects the three
  pieces the other way round, A1->B2, A2->B3, A3->B1, with the newcomer put into one of
  those three new links (so one of A1, A2, A3 gets the newcomer, the newcomer that angel's
  would-be mortal). Those are the only ways to join the pieces and the newcomer into one
  circle in which all three angels change; the other three are plain splices.
- a leave takes L out (leaving the path C ... A), cuts two more links x1->y1 and x2->y2 of
  that path and rotates: A->y1, x1->y2, x2->C.

A smaller circle is re-drawn whole, uniformly among its valid circles: a new circle that does
not depend on the old one teaches nothing about it. When no local rearrangement fits the
exclusions, the whole circle is re-drawn as well, so whether a change succeeds depends only on
who plays and on the exclusions, never on where someone sits in the circle.

`join_outcomes` and `leave_outcomes` list, for a small circle, every result the edits pick
from; the edits use the same option builders, so the tests and the code agree on them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from itertools import combinations, permutations

from .draw import MIN_PARTICIPANTS, DrawImpossible, draw_cycle
from .teammates import Teams, allowed, teammate_pairs
from .text import N_, Message

# From this many people on, a join or a leave is a local rearrangement of three links; below
# it, the circle is re-drawn whole.
SMALL_CIRCLE = 5

# Up to this many options they are all listed and one is picked; past it (about 20 people for
# a join, 100 for a leave) options are drawn at random and kept when the exclusions allow them,
# which is just as uniform and costs nothing like n³.
_LIST_ALL = 5_000
_SAMPLES = 5_000

# The new arcs of one option: the angels listed get these mortals, everyone else keeps theirs.
_Change = tuple[tuple[int, int], ...]


def _name(names: Mapping[int, str] | None, person: int) -> str:
    return (names or {}).get(person, str(person))


def _walk(cycle: Mapping[int, int], start: int) -> list[int]:
    """Everyone in circle order, beginning with `start`."""
    order = [start]
    current = cycle[start]
    while current != start:
        order.append(current)
        current = cycle[current]
    return order


def _apply(cycle: Mapping[int, int], change: _Change, leaver: int | None = None) -> dict[int, int]:
    result = {angel: mortal for angel, mortal in cycle.items() if angel != leaver}
    result.update(change)
    return result


# Joining ---------------------------------------------------------------------------------


def _join_change(order: list[int], i: int, j: int, k: int, r: int, newcomer: int) -> _Change:
    """Cut the links after order[i], order[j], order[k] (i < j < k), reconnect the three
    pieces the other way round, and put the newcomer into the r-th new link."""
    n = len(order)
    angels = (order[i], order[j], order[k])
    mortals = (order[(j + 1) % n], order[(k + 1) % n], order[(i + 1) % n])
    arcs = list(zip(angels, mortals, strict=True))
    angel, mortal = arcs[r]
    arcs[r] = (angel, newcomer)
    arcs.append((newcomer, mortal))
    return tuple(arcs)


def _join_changes(order: list[int], newcomer: int) -> Iterator[_Change]:
    for i, j, k in combinations(range(len(order)), 3):
        for r in range(3):
            yield _join_change(order, i, j, k, r, newcomer)


def _random_join_change(order: list[int], newcomer: int, rng: random.Random) -> _Change:
    i, j, k = sorted(rng.sample(range(len(order)), 3))
    return _join_change(order, i, j, k, rng.randrange(3), newcomer)


def _join_option_count(n: int) -> int:
    return 3 * n * (n - 1) * (n - 2) // 6


def join_outcomes(
    cycle: Mapping[int, int],
    newcomer: int,
    forbidden: Iterable[tuple[int, int]] = (),
    *,
    teams: Teams | None = None,
) -> list[dict[int, int]]:
    """Every circle `splice_in` picks from, uniformly, for this newcomer (small circles only:
    the list has about n³/2 entries). Empty when the exclusions rule out every local option,
    in which case splice_in re-draws the whole circle instead."""
    arcs = set(forbidden)
    if len(cycle) < SMALL_CIRCLE:
        return _valid_circles([*cycle, newcomer], arcs, teams)
    order = _walk(cycle, min(cycle))
    fits = partial(allowed, arcs, teams)
    return [_apply(cycle, c) for c in _join_changes(order, newcomer) if fits(c)]


def splice_in(
    cycle: Mapping[int, int],
    newcomer: int,
    forbidden: Iterable[tuple[int, int]],
    rng: random.Random,
    names: Mapping[int, str] | None = None,
    avoid: Iterable[tuple[int, int]] = (),
    *,
    teams: Teams | None = None,
) -> dict[int, int]:
    """Bring `newcomer` into the circle: three angels get a new mortal (one of them the
    newcomer), chosen uniformly among the options the exclusions allow; a circle under
    SMALL_CIRCLE, or one where no option fits, is re-drawn whole.

    `forbidden` arcs never appear, nor does an angel drawing a teammate (`teams`: person ->
    team, looked up for the few links a change makes); `avoid` arcs (a wish) give way only
    when nothing else fits. Raises DrawImpossible, naming only the newcomer, when no valid
    circle with them exists.
    """
    if newcomer in cycle:
        raise ValueError(f"{newcomer} is already in the cycle")
    people = [*cycle, newcomer]
    order = _walk(cycle, min(cycle)) if len(cycle) >= SMALL_CIRCLE else []

    def local(arcs: set[tuple[int, int]]) -> dict[int, int] | None:
        if len(cycle) < SMALL_CIRCLE:
            return _any_circle(people, arcs, rng, teams)
        change = _pick(
            _join_option_count(len(order)),
            lambda: _join_changes(order, newcomer),
            lambda: _random_join_change(order, newcomer, rng),
            partial(allowed, arcs, teams),
            rng,
        )
        return None if change is None else _apply(cycle, change)

    return _edit(
        local,
        people,
        (forbidden, avoid, teams),
        rng,
        Message(
            N_("%(name)s cannot join: with them, the game's exclusions leave no valid circle."),
            name=_name(names, newcomer),
        ),
    )


# Leaving ---------------------------------------------------------------------------------


def _leave_change(path: list[int], i: int, j: int) -> _Change:
    """On the path C ... A left by the leaver, cut the links after path[i] and path[j]
    (i < j) and rotate: A->y1, x1->y2, x2->C."""
    c, a = path[0], path[-1]
    x1, y1, x2, y2 = path[i], path[i + 1], path[j], path[j + 1]
    return ((a, y1), (x1, y2), (x2, c))


def _leave_changes(path: list[int]) -> Iterator[_Change]:
    for i, j in combinations(range(len(path) - 1), 2):
        yield _leave_change(path, i, j)


def _random_leave_change(path: list[int], rng: random.Random) -> _Change:
    i, j = sorted(rng.sample(range(len(path) - 1), 2))
    return _leave_change(path, i, j)


def _path_without(cycle: Mapping[int, int], leaver: int) -> list[int]:
    """The path C ... A that is left when the leaver goes (C their mortal, A their angel)."""
    return _walk(cycle, leaver)[1:]


def leave_outcomes(
    cycle: Mapping[int, int],
    leaver: int,
    forbidden: Iterable[tuple[int, int]] = (),
    *,
    teams: Teams | None = None,
) -> list[dict[int, int]]:
    """Every circle `cut_out` picks from, uniformly, when `leaver` goes (small circles only:
    the list has about n²/2 entries). Empty when the exclusions rule out every local option,
    in which case cut_out re-draws the whole circle instead."""
    arcs = set(forbidden)
    if len(cycle) < SMALL_CIRCLE:
        return _valid_circles([p for p in cycle if p != leaver], arcs, teams)
    path = _path_without(cycle, leaver)
    fits = partial(allowed, arcs, teams)
    return [_apply(cycle, c, leaver) for c in _leave_changes(path) if fits(c)]


def cut_out(
    cycle: Mapping[int, int],
    leaver: int,
    forbidden: Iterable[tuple[int, int]],
    rng: random.Random,
    names: Mapping[int, str] | None = None,
    avoid: Iterable[tuple[int, int]] = (),
    *,
    teams: Teams | None = None,
) -> dict[int, int]:
    """Take `leaver` out of the circle: three angels get a new mortal (the leaver's angel
    among them), chosen uniformly among the options the exclusions (and `teams`, as for
    `splice_in`) allow; a circle under SMALL_CIRCLE, or one where no option fits, is re-drawn
    whole.

    Refuses (DrawImpossible, naming only the leaver) below the minimum size or when no valid
    circle without them exists: both depend on the roster and the exclusions alone.
    """
    if leaver not in cycle:
        raise ValueError(f"{leaver} is not in the cycle")
    if len(cycle) - 1 < MIN_PARTICIPANTS:
        raise DrawImpossible(
            Message(
                N_("A game needs at least %(min)d active participants, so %(name)s cannot leave."),
                min=MIN_PARTICIPANTS,
                name=_name(names, leaver),
            )
        )
    people = [p for p in cycle if p != leaver]
    path = _path_without(cycle, leaver) if len(cycle) >= SMALL_CIRCLE else []

    def local(arcs: set[tuple[int, int]]) -> dict[int, int] | None:
        if len(cycle) < SMALL_CIRCLE:
            return _any_circle(people, arcs, rng, teams)
        k = len(path) - 1
        change = _pick(
            k * (k - 1) // 2,
            lambda: _leave_changes(path),
            lambda: _random_leave_change(path, rng),
            partial(allowed, arcs, teams),
            rng,
        )
        return None if change is None else _apply(cycle, change, leaver)

    return _edit(
        local,
        people,
        (forbidden, avoid, teams),
        rng,
        Message(
            N_(
                "%(name)s cannot leave: without them, the game's exclusions leave no "
                "valid circle. Please ask the organiser for help."
            ),
            name=_name(names, leaver),
        ),
    )


# Moving someone (a changed address) --------------------------------------------------------


def re_place(
    cycle: Mapping[int, int],
    person: int,
    forbidden: Iterable[tuple[int, int]],
    rng: random.Random,
    names: Mapping[int, str] | None = None,
    avoid: Iterable[tuple[int, int]] = (),
    *,
    teams: Teams | None = None,
) -> dict[int, int]:
    """Give `person` a new place in the circle, as a leave followed by a join, so that
    whoever reads their new invitation learns a new mortal and nothing about the old one.

    Their new mortal differs from the old one unless the exclusions allow nothing else.
    A circle of at most SMALL_CIRCLE people (where the join would be a re-draw anyway), or
    one the person cannot leave, is re-drawn whole. Refuses only when the exclusions leave no
    valid circle at all. `teams` as for `splice_in`.
    """
    hard = set(forbidden)
    moved = hard | {(person, cycle[person])}
    if len(cycle) > SMALL_CIRCLE:
        try:
            rest = cut_out(cycle, person, hard, rng, names, avoid, teams=teams)
        except DrawImpossible:
            rest = None  # they could not leave: re-draw the whole circle instead
        if rest is not None:
            try:
                return splice_in(rest, person, moved, rng, names, avoid, teams=teams)
            except DrawImpossible:
                return splice_in(rest, person, hard, rng, names, avoid, teams=teams)
    people = list(cycle)

    def local(arcs: set[tuple[int, int]]) -> dict[int, int] | None:
        return _any_circle(people, arcs, rng, teams) if len(cycle) <= SMALL_CIRCLE else None

    refusal = Message(
        N_("%(name)s cannot be moved: the game's exclusions leave no valid circle."),
        name=_name(names, person),
    )
    try:
        return _edit(local, people, (moved, avoid, teams), rng, refusal)
    except DrawImpossible:
        return _edit(local, people, (hard, avoid, teams), rng, refusal)


# Shared machinery --------------------------------------------------------------------------


def _pick(
    count: int,
    every: Callable[[], Iterable[_Change]],
    one: Callable[[], _Change],
    allowed: Callable[[_Change], bool],
    rng: random.Random,
) -> _Change | None:
    """One option uniformly among the allowed ones: all listed when there are few, else
    drawn uniformly and kept if allowed (rejection keeps it uniform). None if none is found."""
    if count <= _LIST_ALL:
        options = [change for change in every() if allowed(change)]
        return rng.choice(options) if options else None
    for _ in range(_SAMPLES):
        change = one()
        if allowed(change):
            return change
    return None


def _edit(
    local: Callable[[set[tuple[int, int]]], dict[int, int] | None],
    people: Sequence[int],
    rules: tuple[Iterable[tuple[int, int]], Iterable[tuple[int, int]], Teams | None],
    rng: random.Random,
    refusal: str,
) -> dict[int, int]:
    """A local change away from the exclusions (and the wished-avoided arcs when possible),
    else a re-draw of the whole circle; DrawImpossible(refusal) when no circle exists.

    `rules` are (forbidden, avoid, teams); `local` checks the teams itself, and only a re-draw
    writes the teammates out as arcs."""
    forbidden, avoid, teams = rules
    hard = set(forbidden)
    layers = [hard | set(avoid), hard] if avoid else [hard]
    for arcs in layers:
        result = local(arcs)
        if result is not None:
            return result
    mates = teammate_pairs(teams)
    for arcs in layers:
        try:
            return draw_cycle(people, arcs | mates if mates else arcs, rng)
        except DrawImpossible:
            continue
    raise DrawImpossible(refusal)


def _any_circle(
    people: Sequence[int], arcs: set[tuple[int, int]], rng: random.Random, teams: Teams | None
) -> dict[int, int] | None:
    """A circle through these few people, uniformly among those that avoid `arcs` and pair no
    teammates."""
    options = _valid_circles(people, arcs, teams)
    return rng.choice(options) if options else None


def _valid_circles(
    people: Sequence[int], arcs: set[tuple[int, int]], teams: Teams | None = None
) -> list[dict[int, int]]:
    """Every single circle through these few people that avoids `arcs` and pairs no
    teammates, in a fixed order."""
    if len(people) < MIN_PARTICIPANTS:
        return []
    first, *rest = sorted(people)
    circles = []
    for order in permutations(rest):
        ring = (first, *order)
        circle = {a: ring[(i + 1) % len(ring)] for i, a in enumerate(ring)}
        if allowed(arcs, teams, circle.items()):
            circles.append(circle)
    return circles


def changed_angels(before: Mapping[int, int], after: Mapping[int, int]) -> set[int]:
    """The people still in the game whose mortal is different now (they must be told)."""
    return {angel for angel, mortal in after.items() if before.get(angel, mortal) != mortal}
