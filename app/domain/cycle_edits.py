"""Changing a drawn cycle mid-game: splicing in a late joiner, cutting out a leaver.

Both keep one valid cycle through the active participants and change as few assignments as
they can, because everyone whose mortal changes has to be told — and every extra person told
is a small leak about where people sit in the circle.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping

from .pairing import MIN_PARTICIPANTS, DrawImpossible


def _names(names: Mapping[int, str] | None, person: int) -> str:
    return (names or {}).get(person, str(person))


def splice_in(
    cycle: Mapping[int, int],
    newcomer: int,
    forbidden: Iterable[tuple[int, int]],
    rng: random.Random,
    names: Mapping[int, str] | None = None,
) -> dict[int, int]:
    """Insert `newcomer` between some angel A and their mortal B (A->B becomes A->N->B).

    The place is chosen uniformly among those the exclusions allow. Only A's mortal changes
    (and the newcomer gets one). Raises DrawImpossible naming the newcomer if no place works.
    """
    if newcomer in cycle:
        raise ValueError(f"{newcomer} is already in the cycle")
    arcs = set(forbidden)
    places = sorted(
        angel
        for angel, mortal in cycle.items()
        if (angel, newcomer) not in arcs and (newcomer, mortal) not in arcs
    )
    if not places:
        raise DrawImpossible(
            f"{_names(names, newcomer)} cannot be fitted into the circle: the exclusions rule "
            "out every place."
        )
    angel = rng.choice(places)
    result = dict(cycle)
    result[newcomer] = cycle[angel]
    result[angel] = newcomer
    return result


def cut_out(
    cycle: Mapping[int, int],
    leaver: int,
    forbidden: Iterable[tuple[int, int]],
    rng: random.Random,
    names: Mapping[int, str] | None = None,
) -> dict[int, int]:
    """Remove `leaver` and repair the cycle.

    A->L->C becomes A->C when allowed: only A's mortal changes. Otherwise the smallest other
    repair: three people get a new mortal, chosen uniformly among the repairs the exclusions
    allow. Refuses (DrawImpossible) below the minimum size or when no such repair fits; the
    message names only the leaver.
    """
    if leaver not in cycle:
        raise ValueError(f"{leaver} is not in the cycle")
    if len(cycle) - 1 < MIN_PARTICIPANTS:
        raise DrawImpossible(
            f"A game needs at least {MIN_PARTICIPANTS} active participants, so "
            f"{_names(names, leaver)} cannot leave."
        )
    arcs = set(forbidden)
    angel_of = {mortal: angel for angel, mortal in cycle.items()}
    a, c = angel_of[leaver], cycle[leaver]
    result = {x: y for x, y in cycle.items() if x != leaver}
    result[a] = c
    if (a, c) not in arcs:
        return result
    # Walk the path C -> ... -> A (everyone but the leaver, A last) and look for the smallest
    # repair that fits: cut two of its links x1->y1 and x2->y2 and reconnect them as
    # x1->y2, A->y1, x2->C. Three people get a new mortal. (Moving A elsewhere is the case
    # y2 = A; moving C is the case x1 = C.)
    path = [c]
    while path[-1] != a:
        path.append(result[path[-1]])
    repairs = _three_link_repairs(path, arcs, rng)
    if repairs:
        x1, y1, x2, y2 = rng.choice(repairs)
        result[x1], result[a], result[x2] = y2, y1, c
        return result
    # Never name anyone else here: which exclusion blocks the repair would point at the
    # leaver's angel.
    raise DrawImpossible(
        f"{_names(names, leaver)} cannot leave without breaking one of the game's exclusions. "
        "Please ask the organiser for help."
    )


# Above this many people, repairs are sampled rather than all listed (the list is n²/2 long).
_LIST_ALL_UP_TO = 1500
_SAMPLES = 200_000


def _three_link_repairs(
    path: list[int], arcs: set[tuple[int, int]], rng: random.Random
) -> list[tuple[int, int, int, int]]:
    """Allowed (x1, y1, x2, y2) for the repair described in cut_out, all of them for a small
    circle, else those found in a bounded random sample."""
    c, a = path[0], path[-1]
    k = len(path) - 1  # links path[i] -> path[i + 1] for i < k

    def fits(i: int, j: int) -> bool:
        x1, y1, x2, y2 = path[i], path[i + 1], path[j], path[j + 1]
        return (x1, y2) not in arcs and (a, y1) not in arcs and (x2, c) not in arcs

    if k < 2:
        return []
    if k <= _LIST_ALL_UP_TO:
        pairs = ((i, j) for i in range(k - 1) for j in range(i + 1, k))
        return [(path[i], path[i + 1], path[j], path[j + 1]) for i, j in pairs if fits(i, j)]
    found = []
    for _ in range(_SAMPLES):
        i, j = sorted(rng.sample(range(k), 2))
        if fits(i, j):
            found.append((path[i], path[i + 1], path[j], path[j + 1]))
            if len(found) >= 32:
                break
    return found


def changed_angels(before: Mapping[int, int], after: Mapping[int, int]) -> set[int]:
    """The people still in the game whose mortal is different now (they must be told)."""
    return {angel for angel, mortal in after.items() if before.get(angel, mortal) != mortal}
