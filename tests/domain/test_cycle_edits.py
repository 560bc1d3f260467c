"""Changing a drawn cycle mid-game: splice_in (late joiner) and cut_out (leaver).

Pure: no Flask, no database. Cycles are dicts angel -> mortal.
"""

from __future__ import annotations

import random
from collections import Counter
from itertools import combinations, permutations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.cycle_edits import changed_angels, cut_out, splice_in
from app.domain.pairing import DrawImpossible, is_valid_cycle

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def cycle_of(order: list[int]) -> dict[int, int]:
    return {a: order[(i + 1) % len(order)] for i, a in enumerate(order)}


def angel_of(cycle: dict[int, int], person: int) -> int:
    return next(a for a, m in cycle.items() if m == person)


@st.composite
def cycles_with_exclusions(draw, min_size=3, max_size=30, extra_ids=()):
    """A random cycle and a random set of exclusions that the cycle itself satisfies.

    Exclusions may also mention `extra_ids` (people not in the cycle yet).
    """
    n = draw(st.integers(min_size, max_size))
    order = draw(st.permutations(list(range(n))))
    cycle = cycle_of(order)
    ids = list(range(n)) + list(extra_ids)
    pairs = st.tuples(st.sampled_from(ids), st.sampled_from(ids)).filter(
        lambda p: p[0] != p[1] and cycle.get(p[0]) != p[1]
    )
    density = draw(st.sampled_from([0, 2, n, 3 * n]))
    forbidden = draw(st.sets(pairs, max_size=density))
    return cycle, forbidden


@st.composite
def cut_cases(draw, min_size=4, max_size=30):
    """A cycle, a leaver, and exclusions the cycle satisfies, often blocking the easy repairs.

    Besides random exclusions, A -> C (the direct repair around the leaver A -> L -> C),
    P -> C (P the angel of A) and arcs into A are often excluded, so refusals and the
    three-change repair are exercised and not just the one-change case.
    """
    cycle, forbidden = draw(cycles_with_exclusions(min_size, max_size))
    leaver = draw(st.sampled_from(sorted(cycle)))
    a, c = angel_of(cycle, leaver), cycle[leaver]
    p = angel_of(cycle, a)
    forbidden = set(forbidden)
    if draw(st.booleans()):
        forbidden.add((a, c))
        if draw(st.booleans()):
            forbidden.add((p, c))
        others = [x for x in cycle if x not in (a, leaver) and cycle[x] != a]
        if others:
            forbidden |= {
                (x, a) for x in draw(st.lists(st.sampled_from(others), max_size=len(others)))
            }
    return cycle, leaver, forbidden


def small_repairs(cycle, leaver, forbidden):
    """Every valid cycle without `leaver` in which at most 3 people get a new mortal.

    Brute force, independent of cut_out: the leaver's angel must change; try every set of at
    most two other angels and every way to hand out the freed mortals among them.
    """
    a, c = angel_of(cycle, leaver), cycle[leaver]
    base = {x: y for x, y in cycle.items() if x != leaver}
    base[a] = c
    people = list(base)
    others = [p for p in people if p != a]
    for k in (0, 1, 2):
        for group in combinations(others, k):
            angels = (a, *group)
            for mortals in permutations([base[x] for x in angels]):
                candidate = dict(base)
                candidate.update(zip(angels, mortals, strict=True))
                if is_valid_cycle(candidate, people, forbidden):
                    yield candidate


# splice_in -------------------------------------------------------------------------------


@PROPERTY
@given(cycles_with_exclusions(extra_ids=(1000,)), st.integers(0, 2**32))
def test_splice_in_changes_exactly_one_angel(case, seed):
    cycle, forbidden = case
    newcomer = 1000
    allowed = {
        a
        for a, m in cycle.items()
        if (a, newcomer) not in forbidden and (newcomer, m) not in forbidden
    }
    if not allowed:
        with pytest.raises(DrawImpossible):
            splice_in(cycle, newcomer, forbidden, random.Random(seed))
        return
    before = dict(cycle)
    after = splice_in(cycle, newcomer, forbidden, random.Random(seed))
    assert cycle == before  # the input is not modified
    assert is_valid_cycle(after, [*cycle, newcomer], forbidden)
    (a,) = changed_angels(cycle, after)
    assert a in allowed
    assert after[a] == newcomer and after[newcomer] == cycle[a]
    assert {x: y for x, y in after.items() if x not in (a, newcomer)} == {
        x: y for x, y in cycle.items() if x != a
    }


def test_splice_in_names_the_newcomer_when_every_place_is_excluded():
    cycle = cycle_of([1, 2, 3, 4])
    names = {1: "Ann", 2: "Bo", 3: "Cy", 4: "Di", 9: "Zed Newcomer"}
    # Each place A -> B is ruled out, either on the A -> N side or on the N -> B side.
    forbidden = {(1, 9), (9, 3), (3, 9), (9, 1)}
    with pytest.raises(DrawImpossible) as caught:
        splice_in(cycle, 9, forbidden, random.Random(1), names)
    assert "Zed Newcomer" in str(caught.value)
    for other in ("Ann", "Bo", "Cy", "Di"):
        assert other not in str(caught.value)


def test_splice_in_refuses_someone_already_in_the_cycle():
    with pytest.raises(ValueError, match="already"):
        splice_in(cycle_of([1, 2, 3]), 2, set(), random.Random(1))


def test_splice_in_chooses_uniformly_among_allowed_places():
    cycle = cycle_of([1, 2, 3, 4, 5, 6])
    forbidden = {(2, 99), (99, 5)}  # rules out the places after 2 and after 4
    rng = random.Random(20240601)
    trials = 6000
    chosen = Counter()
    for _ in range(trials):
        after = splice_in(cycle, 99, forbidden, rng)
        chosen[angel_of(after, 99)] += 1
    assert set(chosen) == {1, 3, 5, 6}
    expected = trials / 4
    for count in chosen.values():
        assert abs(count - expected) < 0.1 * expected, chosen


# cut_out ---------------------------------------------------------------------------------


@PROPERTY
@given(cut_cases(), st.integers(0, 2**32))
def test_cut_out_repairs_the_cycle_with_few_changes(case, seed):
    cycle, leaver, forbidden = case
    names = {p: f"Person-{p}-" for p in cycle}
    a, c = angel_of(cycle, leaver), cycle[leaver]
    before = dict(cycle)
    try:
        after = cut_out(cycle, leaver, forbidden, random.Random(seed), names)
    except DrawImpossible:
        assert (a, c) in forbidden  # the simple repair was available yet refused otherwise
        assert cycle == before
        return
    assert cycle == before  # the input is not modified
    remaining = [p for p in cycle if p != leaver]
    assert is_valid_cycle(after, remaining, forbidden)
    assert leaver not in after and leaver not in after.values()
    changed = changed_angels(cycle, after)
    if (a, c) not in forbidden:
        assert changed == {a}
        assert after[a] == c
    else:
        assert a in changed
        assert len(changed) <= 3


@PROPERTY
@given(cut_cases())
def test_cut_out_refusal_never_names_the_leavers_angel(case):
    """The refusal is shown to the leaver (the angel's mortal) and to the facilitator."""
    cycle, leaver, forbidden = case
    names = {p: f"Person-{p}-" for p in cycle}
    try:
        cut_out(cycle, leaver, forbidden, random.Random(1), names)
    except DrawImpossible as exc:
        assert names[angel_of(cycle, leaver)] not in str(exc)


@PROPERTY
@given(cut_cases(max_size=12))
def test_cut_out_refuses_only_when_no_small_repair_exists(case):
    """ "No repair fits" means no valid cycle with at most 3 changed mortals exists."""
    cycle, leaver, forbidden = case
    try:
        cut_out(cycle, leaver, forbidden, random.Random(1))
    except DrawImpossible:
        found = next(small_repairs(cycle, leaver, forbidden), None)
        assert found is None, f"cut_out refused, but this repair exists: {found}"


def test_cut_out_simple_case_changes_only_the_leavers_angel():
    cycle = cycle_of([1, 2, 3, 4, 5])
    after = cut_out(cycle, 3, set(), random.Random(1))
    assert after == {1: 2, 2: 4, 4: 5, 5: 1}
    assert changed_angels(cycle, after) == {2}


def test_cut_out_moves_the_angel_when_the_direct_repair_is_excluded():
    cycle = cycle_of([1, 2, 3, 4, 5, 6])
    forbidden = {(2, 4)}  # 2 -> 3 -> 4: with 3 gone, 2 may not take 4
    after = cut_out(cycle, 3, forbidden, random.Random(7))
    assert is_valid_cycle(after, [1, 2, 4, 5, 6], forbidden)
    changed = changed_angels(cycle, after)
    assert 2 in changed and len(changed) == 3


def test_cut_out_refuses_below_three_with_a_clear_message():
    cycle = cycle_of([1, 2, 3])
    with pytest.raises(DrawImpossible, match="at least 3") as caught:
        cut_out(cycle, 2, set(), random.Random(1), {1: "Ann", 2: "Bo", 3: "Cy"})
    assert "Bo" in str(caught.value) and "Ann" not in str(caught.value)


def test_cut_out_refuses_someone_not_in_the_cycle():
    with pytest.raises(ValueError, match="not in the cycle"):
        cut_out(cycle_of([1, 2, 3, 4]), 9, set(), random.Random(1))


def test_cut_out_raises_when_no_cycle_is_left():
    # 0 -> 1 -> 2 -> 3 -> 0 without 1: the only 3-cycles on {0, 2, 3} use 0 -> 2 or 3 -> 2.
    cycle = cycle_of([0, 1, 2, 3])
    forbidden = {(0, 2), (3, 2)}
    assert next(small_repairs(cycle, 1, forbidden), None) is None
    with pytest.raises(DrawImpossible):
        cut_out(cycle, 1, forbidden, random.Random(1))


def test_cut_out_finds_the_repair_that_moves_the_leavers_mortal():
    """A -> L -> C -> X -> P -> A, with A -> C and P -> C excluded (one way).

    Moving A elsewhere cannot work (P must not take C), but X -> C -> P -> A -> X is a valid
    repair that changes three mortals (A, C, X). cut_out refuses instead, and the refusal
    names A, the leaver's secret angel.
    """
    a, leaver, c, x, p = 1, 2, 3, 4, 5
    cycle = cycle_of([a, leaver, c, x, p])
    forbidden = {(a, c), (p, c)}
    names = {a: "Angela", leaver: "Leo", c: "Cora", x: "Xavi", p: "Pia"}
    assert {x: c, c: p, p: a, a: x} in list(small_repairs(cycle, leaver, forbidden))
    try:
        after = cut_out(cycle, leaver, forbidden, random.Random(1), names)
    except DrawImpossible as exc:
        assert "Angela" not in str(exc), "the refusal tells the leaver who their angel is"
        pytest.fail(f"cut_out refused although a three-change repair exists: {exc}")
    assert is_valid_cycle(after, [a, c, x, p], forbidden)
    assert len(changed_angels(cycle, after)) <= 3


# sequences -------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cycles_with_exclusions(min_size=3, max_size=12, extra_ids=range(100, 110)),
    st.lists(st.tuples(st.booleans(), st.integers(0, 10**6)), max_size=25),
    st.integers(0, 2**32),
)
def test_random_splices_and_cuts_keep_one_valid_cycle(case, steps, seed):
    cycle, forbidden = case
    rng = random.Random(seed)
    waiting = list(range(100, 110))
    for join, pick in steps:
        before = dict(cycle)
        if join and waiting:
            newcomer = waiting.pop(pick % len(waiting))
            try:
                cycle = splice_in(cycle, newcomer, forbidden, rng)
            except DrawImpossible:
                assert all(
                    (a, newcomer) in forbidden or (newcomer, m) in forbidden
                    for a, m in before.items()
                )
            else:
                assert len(changed_angels(before, cycle)) == 1
        else:
            leaver = sorted(cycle)[pick % len(cycle)]
            try:
                cycle = cut_out(cycle, leaver, forbidden, rng)
            except DrawImpossible:
                assert cycle == before
            else:
                assert len(changed_angels(before, cycle)) <= 3
        assert is_valid_cycle(cycle, list(cycle), forbidden)
