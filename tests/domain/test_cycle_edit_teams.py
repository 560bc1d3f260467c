"""Changes to a drawn circle in a game that keeps teams apart: the edits look each changed
link's teams up (`teams=`) instead of receiving every pair of teammates as an exclusion, and
pick exactly what they picked from the pairs written out."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.cycle_edits import (
    changed_angels,
    cut_out,
    join_outcomes,
    leave_outcomes,
    re_place,
    splice_in,
)
from app.domain.draw import DrawImpossible, draw_cycle, is_valid_cycle
from app.domain.teammates import allowed, teammate_pairs
from tests.domain.test_cycle_edits import NEWCOMER, cycle_of

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def crosses_teams(cycle: dict[int, int], teams: dict[int, object]) -> bool:
    """Nobody's mortal is a teammate (people missing from `teams` are in no team)."""
    return allowed(set(), teams, cycle.items())


@st.composite
def team_games(draw, max_size=40):
    """A circle, teams for some of its people and for a newcomer, a few exclusions."""
    n = draw(st.integers(3, max_size))
    cycle = cycle_of(draw(st.permutations(list(range(n)))))
    labels = st.one_of(st.none(), st.sampled_from("ABCD"))
    teams = {p: t for p in [*cycle, NEWCOMER] if (t := draw(labels)) is not None}
    pairs = st.tuples(st.sampled_from([*cycle, NEWCOMER]), st.sampled_from(list(cycle)))
    forbidden = draw(st.sets(pairs.filter(lambda p: p[0] != p[1]), max_size=n))
    return cycle, teams, forbidden


def outcome(edit, *args, **kwargs):
    """What an edit returns, or that it refused."""
    try:
        return edit(*args, **kwargs)
    except DrawImpossible:
        return "refused"


@PROPERTY
@given(game=team_games(), kind=st.sampled_from(["join", "leave", "move"]), seed=st.integers())
def test_a_team_map_picks_what_the_teammate_pairs_picked(game, kind, seed):
    cycle, teams, forbidden = game
    person = {"join": NEWCOMER, "leave": min(cycle), "move": max(cycle)}[kind]
    edit = {"join": splice_in, "leave": cut_out, "move": re_place}[kind]
    written_out = forbidden | teammate_pairs(teams)
    looked_up = outcome(edit, cycle, person, forbidden, random.Random(seed), teams=teams)
    assert looked_up == outcome(edit, cycle, person, written_out, random.Random(seed))
    if looked_up != "refused":
        # The circle drawn here may already pair teammates: what an edit makes never does.
        made = {(a, m) for a, m in looked_up.items() if cycle.get(a) != m}
        assert crosses_teams(dict(made), teams) and forbidden.isdisjoint(made)


@PROPERTY
@given(game=team_games(max_size=9))
def test_a_small_circle_lists_the_same_outcomes_either_way(game):
    cycle, teams, forbidden = game
    written_out = forbidden | teammate_pairs(teams)
    assert join_outcomes(cycle, NEWCOMER, forbidden, teams=teams) == join_outcomes(
        cycle, NEWCOMER, written_out
    )
    leaver = min(cycle)
    assert leave_outcomes(cycle, leaver, forbidden, teams=teams) == leave_outcomes(
        cycle, leaver, written_out
    )


def test_teams_written_as_pairs_are_every_ordered_pair_of_different_teammates():
    teams = {1: "A", 2: "A", 3: "B", 4: 4, 5: "A"}
    assert teammate_pairs(teams) == {(1, 2), (2, 1), (1, 5), (5, 1), (2, 5), (5, 2)}
    assert teammate_pairs(None) == set()
    assert allowed(set(), teams, [(1, 3), (3, 4), (4, 6)])
    assert not allowed(set(), teams, [(1, 3), (5, 2)])
    assert not allowed({(3, 4)}, teams, [(1, 3), (3, 4)])


@pytest.mark.parametrize("seed", range(3))
def test_a_team_join_in_a_game_of_1200_moves_three_angels_and_pairs_no_teammates(seed):
    """1,200 people in teams of 30 (34,800 pairs of teammates): a join, a leave and a move
    look the teams up and give what the pairs written out give."""
    people = list(range(1, 1201))
    teams = {p: f"Team {p // 30}" for p in people}
    teams[NEWCOMER * 10] = "Team 3"
    rng = random.Random(seed)
    cycle = draw_cycle(people, set(), rng, teams={p: teams[p] for p in people})
    forbidden = {(a, rng.choice(people)) for a in rng.sample(people, 100)} - set(cycle.items())
    written_out = forbidden | teammate_pairs(teams)

    joined = splice_in(cycle, NEWCOMER * 10, forbidden, random.Random(seed), teams=teams)
    assert joined == splice_in(cycle, NEWCOMER * 10, written_out, random.Random(seed))
    assert len(changed_angels(cycle, joined)) == 3
    assert is_valid_cycle(joined, list(joined), written_out)

    left = cut_out(joined, people[7], forbidden, random.Random(seed), teams=teams)
    assert left == cut_out(joined, people[7], written_out, random.Random(seed))
    assert len(changed_angels(joined, left)) == 3
    assert is_valid_cycle(left, list(left), written_out)

    moved = re_place(left, people[9], forbidden, random.Random(seed), teams=teams)
    assert moved == re_place(left, people[9], written_out, random.Random(seed))
    assert moved[people[9]] != left[people[9]]
    assert is_valid_cycle(moved, list(moved), written_out)
