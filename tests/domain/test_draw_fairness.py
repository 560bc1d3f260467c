"""Every way the draw can make a cycle is fair: each valid cycle equally likely.

Each path (random sampling, enumeration, exact counting, repair then walk,
search then walk, the large-group repair, the team construction) is forced on
small tight groups by turning the others off, and the draws' frequencies are
compared with uniform by a chi-square test. The groups are chosen so that the
valid cycles fall apart into islands for moves that keep every pair allowed.
The walk used before the current one failed the large-group repair path here
(p = 6e-8 and 1e-6 with 50 draws per cycle); its dense repair and search paths
passed at p = 0.65, 0.24, 0.08 and 0.005, saved by their random starts landing
in every island.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest

from app.domain.draw import DrawImpossible, is_valid_cycle
from app.domain.draw import cycle as drawing
from tests.domain.draw_support import tight_group, uniformity_p


def valid_cycles(people: list[int], forbidden: set[tuple[int, int]]) -> set[frozenset]:
    """Every valid draw, by brute force over orders starting with people[0]."""
    first, rest = people[0], people[1:]
    found = set()
    for perm in itertools.permutations(rest):
        order = [first, *perm]
        pairs = frozenset(zip(order, order[1:] + order[:1], strict=True))
        if pairs.isdisjoint(forbidden):
            found.add(pairs)
    return found


def teams_group(sizes: list[int]) -> tuple[list[int], set[tuple[int, int]], dict[int, int]]:
    """People in teams of the given sizes, nobody drawing a teammate."""
    team = {}
    for label, size in enumerate(sizes):
        for _ in range(size):
            team[len(team)] = label
    people = list(team)
    forbidden = {(a, b) for a in people for b in people if a != b and team[a] == team[b]}
    return people, forbidden, team


# Everything but the path under test is switched off; None leaves a setting as it is.
_OFF = {"_rejection_attempts": lambda _n: 0}
PATHS = {
    "rejection": ({}, {"rejection"}),
    "exhaustive": (_OFF, {"exhaustive"}),
    "exact": ({**_OFF, "_EXHAUSTIVE_MAX_N": 0}, {"exact"}),
    "repair": ({**_OFF, "_EXHAUSTIVE_MAX_N": 0, "_EXACT_MAX_N": 0}, {"repair"}),
    "search": (
        {**_OFF, "_EXHAUSTIVE_MAX_N": 0, "_EXACT_MAX_N": 0, "_REPAIR_FIRST_MOVES": 0},
        {"search", "repair"},  # "repair" when the random start is already valid
    ),
    "large-group repair": ({**_OFF, "_DENSE_MAX_N": 0}, {"repair"}),
    # Team construction (shuffle, repair, walk); a first shuffle may already be valid.
    "teams": ({"_DENSE_MAX_N": 0}, {"teams", "rejection"}),
    "detected teams": (
        {"_DENSE_MAX_N": 0, "_rejection_attempts": lambda _n: 1},
        {"teams", "rejection"},
    ),
}

# (seed, n, options) for tight_group: 6 people with 3 options each. The first
# has 7 valid cycles in islands of 4 and 3, the second 5 in islands of 4 and 1.
ISLANDS = [(0, 6, 3), (9, 6, 3)]


def draw_counts(monkeypatch, path, people, forbidden, draws, seed, teams=None):
    """Draw ``draws`` times along ``path``, checking each draw; count the cycles."""
    settings, methods = PATHS[path]
    for name, value in settings.items():
        monkeypatch.setattr(drawing, name, value)
    # Short walks keep the test quick: 600 proposals is about 50 n ln n for 6 people.
    monkeypatch.setattr(drawing, "_WALK_MIN", 600, raising=False)
    monkeypatch.setattr(drawing, "_WALK_PER_PERSON_LOG", 0, raising=False)
    rng = random.Random(seed)
    counts = Counter()
    seen = Counter()
    for _ in range(draws):
        outcome = drawing._draw(people, forbidden, rng, teams=teams)
        assert is_valid_cycle(outcome.assignment, people, forbidden)
        seen[outcome.method] += 1
        counts[frozenset(outcome.assignment.items())] += 1
    assert set(seen) <= methods, seen
    assert seen[min(methods)], seen  # the path under test was taken
    return counts


@pytest.mark.parametrize("path", [p for p in PATHS if "teams" not in p])
@pytest.mark.parametrize("group", ISLANDS, ids=["islands-4-3", "islands-4-1"])
def test_every_path_draws_every_cycle_equally_often(monkeypatch, path, group):
    people, forbidden = tight_group(*group)
    valid = valid_cycles(people, forbidden)
    draws = 50 * len(valid)
    counts = draw_counts(monkeypatch, path, people, forbidden, draws, seed=group[0])
    assert set(counts) == valid
    p = uniformity_p(counts, len(valid))
    assert p > 0.001, (p, sorted(counts.values()))  # noqa: PLR2004


@pytest.mark.parametrize("path", ["teams", "detected teams"])
def test_team_draws_are_uniform_on_small_teams(monkeypatch, path):
    # Three teams of 2: 32 valid cycles. "teams" passes the teams, "detected
    # teams" only the pairs they exclude; both take the team construction.
    people, forbidden, team = teams_group([2, 2, 2])
    valid = valid_cycles(people, forbidden)
    assert len(valid) == 32  # noqa: PLR2004
    draws = 20 * len(valid)
    given = team if path == "teams" else None
    counts = draw_counts(monkeypatch, path, people, forbidden, draws, seed=5, teams=given)
    assert set(counts) == valid
    p = uniformity_p(counts, len(valid))
    assert p > 0.001, (p, sorted(counts.values()))  # noqa: PLR2004


def test_a_team_of_more_than_half_is_refused_by_name(monkeypatch):
    monkeypatch.setattr(drawing, "_DENSE_MAX_N", 0)
    people, forbidden, team = teams_group([4, 1, 1])
    names = {p: f"P{p}" for p in people}
    with pytest.raises(DrawImpossible, match=r"P0, P1, P2 and P3 are all in one team: 4 of the 6"):
        drawing.draw_cycle(people, set(), random.Random(1), names, teams=team)
