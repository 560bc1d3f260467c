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

    A->L->C becomes A->C when allowed: only A's mortal changes. Otherwise a nearby change: A
    moves to another place in the circle (X->A->Y, and A's old angel P takes C), chosen
    uniformly among allowed places — three people get a new mortal. Refuses (DrawImpossible)
    below the minimum size or when no repair fits the exclusions.
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
    # Walk the path C -> ... -> P -> A (everyone but the leaver, A last).
    path = [c]
    while path[-1] != a:
        path.append(result[path[-1]])
    p = path[-2]
    if (p, c) not in arcs:
        # Take A out of the path (P -> C) and put it between some X -> Y on it.
        candidates = [
            (x, y)
            for x, y in zip(path[:-2], path[1:-1], strict=True)
            if (x, a) not in arcs and (a, y) not in arcs
        ]
        if candidates:
            x, y = rng.choice(candidates)
            result[p] = c
            result[x] = a
            result[a] = y
            return result
    raise DrawImpossible(
        f"{_names(names, leaver)} cannot leave without breaking an exclusion around "
        f"{_names(names, a)}. Remove that exclusion first, or ask the organiser for help."
    )


def changed_angels(before: Mapping[int, int], after: Mapping[int, int]) -> set[int]:
    """The people still in the game whose mortal is different now (they must be told)."""
    return {angel for angel, mortal in after.items() if before.get(angel, mortal) != mortal}
