"""What a draw looks at: every pair is counted only when that is cheap or really needed.

A draw that works at once looks at no counts. With many pairs per person the
dead-end checks probe each person against a few others instead of counting
every pair (30 million of them for 10,000 people who each exclude 30 % of the
others), and probing changes neither a draw nor a refusal. None of this is
timed: the tests check which work is done, not how long it takes.
"""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.draw import DrawImpossible, draw_cycle, is_valid_cycle, tally
from app.domain.draw import cycle as drawing


def each_excluding(people: list[int], share: float, seed: int) -> set[tuple[int, int]]:
    """Each person excludes the same share of the others, picked at random."""
    gen = random.Random(seed)
    k = int(share * (len(people) - 1))
    return {
        (angel, mortal)
        for angel in people
        for mortal in gen.sample([p for p in people if p != angel], k)
    }


@pytest.fixture
def counted(monkeypatch) -> list[int]:
    """Records each time every pair is counted (tally._Counts built)."""
    calls: list[int] = []
    build = tally._Counts.__init__

    def spy(self, arcs):
        calls.append(len(arcs))
        build(self, arcs)

    monkeypatch.setattr(tally._Counts, "__init__", spy)
    return calls


def test_a_draw_that_works_at_once_counts_nothing(counted, monkeypatch):
    tallied = []
    monkeypatch.setattr(drawing, "_tally", lambda *args: tallied.append(args))
    people = list(range(2000))
    outcome = drawing._draw(people, set(), random.Random(0))
    assert outcome.method == "rejection"
    assert outcome.attempts == 1
    assert tallied == []
    assert counted == []


def test_a_few_pairs_per_person_are_counted(counted):
    # About two exclusions each: counting them is the cheap way.
    people = list(range(50))
    forbidden = {(a, (a + 1) % 50) for a in people} | {(a, (a + 7) % 50) for a in people}
    outcome = drawing._draw(people, forbidden, random.Random(3))
    assert is_valid_cycle(outcome.assignment, people, forbidden)
    assert outcome.attempts > 1, "a random draw failed, so the group was diagnosed"
    assert counted == [len(forbidden)]


def test_many_pairs_per_person_are_probed_not_counted(counted, monkeypatch):
    # 120 exclusions each, and the large-group path from 100 people on.
    monkeypatch.setattr(drawing, "_DENSE_MAX_N", 100)
    people = list(range(400))
    forbidden = each_excluding(people, 0.3, seed=1)
    outcome = drawing._draw(people, forbidden, random.Random(1))
    assert outcome.method == "repair"
    assert is_valid_cycle(outcome.assignment, people, forbidden)
    assert counted == []


def test_large_teams_given_as_pairs_are_still_detected(counted, monkeypatch):
    monkeypatch.setattr(drawing, "_DENSE_MAX_N", 100)
    people = list(range(400))
    team = {p: p // 80 for p in people}  # 79 teammates each: probed, then counted once
    forbidden = {(a, b) for a in people for b in people if a != b and team[a] == team[b]}
    outcome = drawing._draw(people, forbidden, random.Random(2))
    assert outcome.method in {"teams", "rejection"}
    assert is_valid_cycle(outcome.assignment, people, forbidden)
    assert counted == []


def too_few_mortals_among_many_exclusions() -> tuple[list[int], set[tuple[int, int]]]:
    """400 people excluding 30 % each, of whom 0, 1 and 2 may only draw 10 and 11."""
    people = list(range(400))
    forbidden = each_excluding(people, 0.3, seed=4)
    forbidden = {(a, b) for a, b in forbidden if a not in (0, 1, 2)}
    forbidden |= {(a, b) for a in (0, 1, 2) for b in people if b not in (a, 10, 11)}
    forbidden -= {(a, b) for a in (0, 1, 2) for b in (10, 11)}
    return people, forbidden


HALL = (
    "0, 1 and 2 can only be angels of 10 and 11 between them: "
    "3 people for 2 mortals, so someone would be left without a mortal."
)


def test_probes_find_the_people_with_too_few_mortals(counted, monkeypatch):
    monkeypatch.setattr(drawing, "_DENSE_MAX_N", 100)
    people, forbidden = too_few_mortals_among_many_exclusions()
    with pytest.raises(DrawImpossible) as caught:
        draw_cycle(people, forbidden, random.Random(0))
    assert str(caught.value) == HALL
    assert counted == [], "the probes saw them: nothing was counted"


def test_a_refusal_the_probes_miss_is_found_by_counting(counted, monkeypatch):
    # Probes that never report anyone as heavily excluded: the repair fails,
    # then every pair is counted and the same refusal is given.
    monkeypatch.setattr(drawing, "_DENSE_MAX_N", 100)
    monkeypatch.setattr(tally, "_PROBE_MARGIN", 2.0)
    people, forbidden = too_few_mortals_among_many_exclusions()
    with pytest.raises(DrawImpossible) as caught:
        draw_cycle(people, forbidden, random.Random(0))
    assert str(caught.value) == HALL
    assert counted == [len(forbidden)]


def test_probes_name_someone_excluded_from_everyone(counted):
    people = list(range(300))
    names = {p: f"Person {p}" for p in people}
    forbidden = each_excluding(people, 0.5, seed=6)
    forbidden |= {(7, b) for b in people if b != 7}  # noqa: PLR2004
    with pytest.raises(DrawImpossible, match="Person 7 is excluded from being the angel"):
        draw_cycle(people, forbidden, random.Random(0), names)
    with pytest.raises(DrawImpossible, match="can't be given an angel"):
        draw_cycle(people, {(b, a) for a, b in forbidden}, random.Random(0), names)
    assert counted == []


@st.composite
def groups(draw: st.DrawFn) -> tuple[list[int], set[tuple[int, int]]]:
    """Up to 30 people, exclusions from none to nearly all, some junk pairs."""
    n = draw(st.integers(min_value=3, max_value=30))
    gen = random.Random(draw(st.integers(min_value=0, max_value=2**32 - 1)))
    people = gen.sample(range(1, 10**6), n) if gen.random() < 0.5 else list(range(n))  # noqa: PLR2004
    density = gen.choice([0.05, 0.3, 0.6, 0.8, 0.9, 0.95])
    forbidden = {(a, b) for a, b in itertools.permutations(people, 2) if gen.random() < density}
    if gen.random() < 0.3:  # noqa: PLR2004 - someone excluded from everyone
        forbidden |= {(people[1], b) for b in people}
    forbidden |= {(people[0], people[0]), (people[1], -1)}
    return people, forbidden


@settings(max_examples=150, deadline=None)
@given(groups(), st.integers(min_value=1, max_value=40), st.data())
def test_probes_find_everyone_a_count_finds(group, rounds, data):
    people, forbidden = group
    n = len(people)
    k = data.draw(st.integers(min_value=0, max_value=n), label="k")
    probes = tally._Probes(people, forbidden, rounds)
    as_angel = {a: sum((a, b) in forbidden for b in people if b != a) for a in people}
    as_mortal = {b: sum((a, b) in forbidden for a in people if a != b) for b in people}
    assert {a for a, c in as_angel.items() if c > k} <= set(probes.angels_with_more_than(k))
    assert {b for b, c in as_mortal.items() if c > k} <= set(probes.mortals_with_more_than(k))
    if probes.one_way:
        assert any((b, a) not in forbidden for a, b in forbidden if a in people and b in people)


@settings(max_examples=50, deadline=None)
@given(groups(), st.integers(min_value=0, max_value=1000))
def test_probing_instead_of_counting_changes_no_draw_and_no_refusal(group, seed):
    people, forbidden = group

    def draw() -> object:
        try:
            outcome = drawing._draw(people, forbidden, random.Random(seed))
        except DrawImpossible as exc:
            return str(exc)
        return outcome.assignment, outcome.method, outcome.attempts

    counting = draw()
    saved = tally._COUNT_MAX_PER_PERSON
    tally._COUNT_MAX_PER_PERSON = -1  # probe whatever the number of pairs
    try:
        probing = draw()
    finally:
        tally._COUNT_MAX_PER_PERSON = saved
    assert probing == counting
