"""The rule "nobody draws someone from their own team" in a change to a drawn circle.

A join or a leave changes three or four links, so it checks those few against the teams by
lookup: a game of 20,000 in teams of 30 has 580,000 ordered pairs of teammates, and writing
them out cost a late joiner far more than the join itself. Only a re-draw of the whole circle,
the rare case where no local change fits, still needs them written out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping

# Teams: person -> their team. Two different people with the same team are teammates; someone
# not in the mapping is in no team (anyone may draw them).
Teams = Mapping[int, Hashable]

_NO_TEAM = object()


def allowed(
    arcs: set[tuple[int, int]], teams: Teams | None, links: Iterable[tuple[int, int]]
) -> bool:
    """Whether these angel->mortal links avoid the arcs and pair no teammates."""
    links = tuple(links)
    if not arcs.isdisjoint(links):
        return False
    return teams is None or not any(_teammates(teams, angel, mortal) for angel, mortal in links)


def _teammates(teams: Teams, angel: int, mortal: int) -> bool:
    team = teams.get(angel, _NO_TEAM)
    return team is not _NO_TEAM and angel != mortal and team == teams.get(mortal, _NO_TEAM)


def teammate_pairs(teams: Teams | None) -> set[tuple[int, int]]:
    """Every ordered pair of different teammates, for a re-draw of the whole circle."""
    members: defaultdict[Hashable, list[int]] = defaultdict(list)
    for person, team in teams.items() if teams is not None else ():
        members[team].append(person)
    return {(a, b) for team in members.values() for a in team for b in team if a != b}
