"""Changing a drawn cycle mid-game: splice_in (late joiner), cut_out (leaver), re_place (a
changed address).

Pure: no Flask, no database. Cycles are dicts angel -> mortal. Besides the shape of the
result (one valid circle, exclusions kept, at least three angels moved), a possible-worlds
checker shows that what a participant is told teaches them nobody else's mortal.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from functools import cache
from itertools import permutations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.cycle_edits import (
    SMALL_CIRCLE,
    changed_angels,
    cut_out,
    join_outcomes,
    leave_outcomes,
    re_place,
    splice_in,
)
from app.domain.draw import DrawImpossible, is_valid_cycle

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NEWCOMER = 1000


def cycle_of(order: list[int]) -> dict[int, int]:
    return {a: order[(i + 1) % len(order)] for i, a in enumerate(order)}


def angel_of(cycle: dict[int, int], person: int) -> int:
    return next(a for a, m in cycle.items() if m == person)


def every_circle(people: list[int], forbidden=frozenset()) -> list[dict[int, int]]:
    """Brute force, independent of the code under test: every valid circle through people."""
    first, *rest = people
    found = []
    for order in permutations(rest):
        circle = cycle_of([first, *order])
        if is_valid_cycle(circle, people, forbidden):
            found.append(circle)
    return found


def assert_sound(after: dict[int, int], people: list[int], forbidden) -> None:
    """One circle through exactly these people: no self-loop, no two people each other's
    angel (the draw's rule), no excluded arc."""
    assert is_valid_cycle(after, people, forbidden)
    assert all(a != m for a, m in after.items())
    assert not any(after.get(m) == a for a, m in after.items())
    assert set(forbidden).isdisjoint(after.items())


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
    """A cycle, a leaver, and exclusions the cycle satisfies, often blocking the easy repairs
    (A -> C around the leaver A -> L -> C, P -> C for P the angel of A, arcs into A)."""
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


# splice_in -------------------------------------------------------------------------------


@PROPERTY
@given(cycles_with_exclusions(extra_ids=(NEWCOMER,)), st.integers(0, 2**32))
def test_splice_in_moves_three_angels_and_keeps_one_valid_circle(case, seed):
    cycle, forbidden = case
    before = dict(cycle)
    people = [*cycle, NEWCOMER]
    try:
        after = splice_in(cycle, NEWCOMER, forbidden, random.Random(seed))
    except DrawImpossible:
        # Only when no circle with the newcomer exists at all (checked where that is cheap).
        assert len(people) > 8 or every_circle(people, forbidden) == []
        return
    assert cycle == before  # the input is not modified
    assert_sound(after, people, forbidden)
    options = join_outcomes(cycle, NEWCOMER, forbidden) if len(cycle) <= 20 else None
    if len(cycle) >= SMALL_CIRCLE and options != []:
        assert len(changed_angels(cycle, after)) == 3
        assert options is None or after in options


def test_splice_in_touches_three_links_in_the_way_described():
    """A1->B1, A2->B2, A3->B3 become A1->B2, A2->B3, A3->B1, the newcomer in one of them."""
    cycle = cycle_of([1, 2, 3, 4, 5, 6])
    for after in join_outcomes(cycle, 9):
        angels = changed_angels(cycle, after)
        assert len(angels) == 3 and 9 not in angels
        (a,) = [x for x in angels if after[x] == 9]
        mortals = {after[x] for x in angels - {a}} | {after[9]}
        assert mortals == {cycle[x] for x in angels}
        assert all(after[x] != cycle[x] for x in angels)
    assert len(join_outcomes(cycle, 9)) == 3 * 20


def test_splice_in_chooses_uniformly_among_allowed_options():
    cycle = cycle_of([1, 2, 3, 4, 5])
    forbidden = {(2, 99), (99, 5)}
    options = join_outcomes(cycle, 99, forbidden)
    assert 0 < len(options) < 30
    keys = [tuple(sorted(o.items())) for o in options]
    assert len(set(keys)) == len(keys)  # distinct options are distinct circles
    rng = random.Random(20240601)
    trials = 400 * len(options)
    chosen = Counter(
        tuple(sorted(splice_in(cycle, 99, forbidden, rng).items())) for _ in range(trials)
    )
    assert set(chosen) == set(keys)
    for count in chosen.values():
        assert abs(count - 400) < 0.25 * 400, chosen


def test_a_large_circle_samples_from_the_same_options_it_would_list():
    """Past the listing threshold options are drawn at random: still from the same set."""
    cycle = cycle_of(list(range(40)))  # 3 * C(40, 3) options: sampled, not listed
    forbidden = {(NEWCOMER, m) for m in range(0, 40, 3)}
    listed = {tuple(sorted(o.items())) for o in join_outcomes(cycle, NEWCOMER, forbidden)}
    rng = random.Random(5)
    for _ in range(200):
        after = splice_in(cycle, NEWCOMER, forbidden, rng)
        assert tuple(sorted(after.items())) in listed


def test_splice_in_redraws_when_no_local_option_fits():
    """The newcomer may stand only between 4 and 5, who are next to each other: a three-link
    option never puts anyone between an angel and their old mortal, so none fits, and the
    circle is drawn again (4 -> 9 -> 5 elsewhere in it)."""
    cycle = cycle_of([1, 2, 3, 4, 5, 6])
    people = [*cycle, 9]
    forbidden = {(9, m) for m in cycle if m != 5} | {(a, 9) for a in cycle if a != 4}
    assert join_outcomes(cycle, 9, forbidden) == []
    assert every_circle(people, forbidden)
    after = splice_in(cycle, 9, forbidden, random.Random(3))
    assert_sound(after, people, forbidden)


def test_splice_in_names_only_the_newcomer_when_nothing_fits():
    cycle = cycle_of([1, 2, 3, 4])
    names = {1: "Ann", 2: "Bo", 3: "Cy", 4: "Di", 9: "Zed Newcomer"}
    forbidden = {(9, m) for m in cycle}  # the newcomer may be nobody's angel
    with pytest.raises(DrawImpossible) as caught:
        splice_in(cycle, 9, forbidden, random.Random(1), names)
    assert "Zed Newcomer" in str(caught.value)
    for other in ("Ann", "Bo", "Cy", "Di"):
        assert other not in str(caught.value)


def test_splice_in_refuses_someone_already_in_the_cycle():
    with pytest.raises(ValueError, match="already"):
        splice_in(cycle_of([1, 2, 3]), 2, set(), random.Random(1))


def test_avoided_arcs_give_way_only_when_nothing_else_fits():
    cycle = cycle_of([1, 2, 3, 4, 5, 6])
    wish = {(9, 2)}
    for seed in range(50):
        assert splice_in(cycle, 9, set(), random.Random(seed), avoid=wish)[9] != 2
    everything = {(9, m) for m in cycle}
    after = splice_in(cycle, 9, set(), random.Random(1), avoid=everything)
    assert_sound(after, [*cycle, 9], set())


# cut_out ---------------------------------------------------------------------------------


@PROPERTY
@given(cut_cases(), st.integers(0, 2**32))
def test_cut_out_moves_three_angels_and_keeps_one_valid_circle(case, seed):
    cycle, leaver, forbidden = case
    names = {p: f"Person-{p}-" for p in cycle}
    before = dict(cycle)
    remaining = [p for p in cycle if p != leaver]
    try:
        after = cut_out(cycle, leaver, forbidden, random.Random(seed), names)
    except DrawImpossible as exc:
        assert cycle == before
        assert len(remaining) > 8 or every_circle(remaining, forbidden) == []
        assert names[angel_of(cycle, leaver)] not in str(exc)
        return
    assert cycle == before
    assert_sound(after, remaining, forbidden)
    options = leave_outcomes(cycle, leaver, forbidden)
    if len(cycle) >= SMALL_CIRCLE and options:
        assert after in options
        changed = changed_angels(cycle, after)
        assert len(changed) == 3 and angel_of(cycle, leaver) in changed


@settings(max_examples=200, deadline=None)
@given(cut_cases(max_size=8))
def test_cut_out_refuses_exactly_when_no_circle_is_left(case):
    """A refusal depends on who stays and on the exclusions, never on the pairing."""
    cycle, leaver, forbidden = case
    remaining = [p for p in cycle if p != leaver]
    possible = len(remaining) >= 3 and bool(every_circle(remaining, forbidden))
    try:
        cut_out(cycle, leaver, forbidden, random.Random(1))
    except DrawImpossible:
        assert not possible
    else:
        assert possible


def test_cut_out_rotates_three_links():
    """A -> L -> C: with x1 -> y1 and x2 -> y2 on the path C ... A: A->y1, x1->y2, x2->C."""
    cycle = cycle_of([1, 2, 3, 4, 5, 6])  # 2 leaves: A = 1, C = 3, path 3 4 5 6 1
    options = leave_outcomes(cycle, 2)
    assert len(options) == 6  # C(4, 2) pairs of links on the path
    for after in options:
        changed = changed_angels(cycle, after)
        assert len(changed) == 3 and 1 in changed and after[1] != 3
        x2 = angel_of(after, 3)
        assert x2 in changed and x2 != 1


def test_cut_out_chooses_uniformly_among_allowed_options():
    cycle = cycle_of([1, 2, 3, 4, 5, 6, 7])
    forbidden = {(1, 4)}
    options = leave_outcomes(cycle, 2, forbidden)
    rng = random.Random(11)
    trials = 500 * len(options)
    chosen = Counter(
        tuple(sorted(cut_out(cycle, 2, forbidden, rng).items())) for _ in range(trials)
    )
    assert set(chosen) == {tuple(sorted(o.items())) for o in options}
    for count in chosen.values():
        assert abs(count - 500) < 0.25 * 500, chosen


def test_cut_out_redraws_when_no_local_option_fits():
    """A -> L -> C where A may take nobody but C: a rotation never gives A the leaver's
    mortal, so none fits, and the circle is drawn again (a circle without L exists)."""
    a, leaver = 1, 2
    cycle = cycle_of([a, leaver, 3, 4, 5, 6])
    forbidden = {(a, 4), (a, 5), (a, 6)}
    remaining = [q for q in cycle if q != leaver]
    assert leave_outcomes(cycle, leaver, forbidden) == []
    assert every_circle(remaining, forbidden)
    after = cut_out(cycle, leaver, forbidden, random.Random(1))
    assert_sound(after, remaining, forbidden)


def test_cut_out_refuses_below_three_with_a_clear_message():
    cycle = cycle_of([1, 2, 3])
    with pytest.raises(DrawImpossible, match="at least 3") as caught:
        cut_out(cycle, 2, set(), random.Random(1), {1: "Ann", 2: "Bo", 3: "Cy"})
    assert "Bo" in str(caught.value) and "Ann" not in str(caught.value)


def test_cut_out_refuses_someone_not_in_the_cycle():
    with pytest.raises(ValueError, match="not in the cycle"):
        cut_out(cycle_of([1, 2, 3, 4]), 9, set(), random.Random(1))


def test_cut_out_refuses_whatever_the_pairing_when_no_circle_is_left():
    """1 may stand only between 4 and the leaver 0: without 0, no circle exists. Every valid
    circle through all five gets the same refusal, naming only the leaver."""
    people = [0, 1, 2, 3, 4]
    forbidden = {(1, 2), (2, 1), (1, 3), (3, 1)}
    circles = every_circle(people, forbidden)
    assert len(circles) == 4
    names = {p: f"Person-{p}-" for p in people}
    messages = set()
    for circle in circles:
        with pytest.raises(DrawImpossible) as caught:
            cut_out(circle, 0, forbidden, random.Random(1), names)
        messages.add(str(caught.value))
    (message,) = messages
    assert "Person-0-" in message and not any(f"Person-{p}-" in message for p in people[1:])


# re_place --------------------------------------------------------------------------------


@PROPERTY
@given(cycles_with_exclusions(min_size=3, max_size=12), st.data(), st.integers(0, 2**32))
def test_re_place_gives_a_new_mortal_whenever_one_is_possible(case, data, seed):
    cycle, forbidden = case
    person = data.draw(st.sampled_from(sorted(cycle)))
    people = list(cycle)
    after = re_place(cycle, person, forbidden, random.Random(seed))
    assert_sound(after, people, forbidden)
    if len(people) <= 8:
        others = {c[person] for c in every_circle(people, forbidden)} - {cycle[person]}
        assert (after[person] != cycle[person]) == bool(others)
    elif after[person] == cycle[person]:
        pytest.fail("re_place kept the old mortal in a large circle")


def test_re_place_in_a_large_circle_is_a_leave_and_a_join():
    cycle = cycle_of(list(range(30)))
    for seed in range(30):
        after = re_place(cycle, 7, set(), random.Random(seed))
        assert after[7] != cycle[7]
        assert 3 <= len(changed_angels(cycle, after)) <= 7


# What a change can teach -------------------------------------------------------------------


@cache
def worlds(kind: str, n: int, subject: int, person: int, old: int | None):
    """Every (circle before, circle after) the edit can produce, among the circles through
    0..n-1 in which `person` is the angel of `old` (what they knew before the change)."""
    people = list(range(n))
    found = []
    for circle in every_circle(people):
        if old is not None and circle[person] != old:
            continue
        outcomes = (
            join_outcomes(circle, subject) if kind == "join" else leave_outcomes(circle, subject)
        )
        found += [(circle, after) for after in outcomes]
    return found


def what_can_be_named(kind: str, n: int, subject: int, person: int, old, new):
    """The people whose mortal (before or after) `person` can name, knowing their own old
    mortal, the joiner or leaver, and their mortal now (which also says whether they were
    told). Empty means: nobody."""
    known = [(b, a) for b, a in worlds(kind, n, subject, person, old) if a.get(person) == new]
    assert known  # what really happened is one of the worlds
    named = set()
    everyone = set(range(n)) | {subject}
    for q in everyone - {person}:
        before = {b[q] for b, _ in known if q in b}
        after = {a[q] for _, a in known if q in a}
        if len(before) == 1 or len(after) == 1:
            named.add(q)
    return named


@pytest.mark.parametrize("kind", ["join", "leave"])
@pytest.mark.parametrize("n", [5, 6])
def test_nobody_can_name_another_mortal_after_a_change_exhaustively(kind, n):
    """Every circle of n, every outcome, every participant, told or not: group the worlds by
    what that participant knows, and in each group everybody else keeps two candidates."""
    subject = n if kind == "join" else 0
    pairs = worlds(kind, n, subject, 1, None)
    everyone = set(range(n)) | {subject}
    for person in everyone - ({subject} if kind == "leave" else set()):
        groups = defaultdict(list)
        for b, a in pairs:
            groups[b.get(person), a.get(person)].append((b, a))
        for known in groups.values():
            for q in everyone - {person}:
                before = {b[q] for b, _ in known if q in b}
                after = {a[q] for _, a in known if q in a}
                assert len(before) != 1 and len(after) != 1, (person, known[0], q)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["join", "leave"]),
    st.integers(5, 7),
    st.data(),
    st.integers(0, 2**32),
)
def test_nobody_can_name_another_mortal_after_a_change(kind, n, data, seed):
    """A random circle, subject and change as the code makes it; then, for one person told
    (or not), every world consistent with what they know keeps two candidates at least for
    everybody else's mortal, before and after."""
    order = data.draw(st.permutations(list(range(n))))
    circle = cycle_of(order)
    rng = random.Random(seed)
    if kind == "join":
        subject = n
        after = splice_in(circle, subject, set(), rng)
    else:
        subject = data.draw(st.sampled_from(order))
        after = cut_out(circle, subject, set(), rng)
    told = sorted(changed_angels(circle, after) | ({subject} if kind == "join" else set()))
    person = data.draw(st.sampled_from(told if data.draw(st.booleans()) else sorted(after)))
    # Relabel so the subject is n (join) or 0 (leave), as worlds() enumerates.
    relabel = {subject: subject if kind == "join" else 0}
    rest = iter(p for p in range(n) if p not in relabel.values())
    for p in sorted(set(circle) - {subject}):
        relabel[p] = next(rest)
    old = circle.get(person)
    named = what_can_be_named(
        kind,
        n,
        relabel[subject],
        relabel[person],
        None if old is None else relabel[old],
        relabel[after[person]],
    )
    assert named == set(), (circle, after, person)


@pytest.mark.parametrize(("kind", "n"), [("join", 3), ("join", 4), ("leave", 4)])
def test_a_small_circle_is_redrawn_and_teaches_nothing_about_the_old_one(kind, n):
    """Under SMALL_CIRCLE people the new circle is drawn afresh: what anyone learns about the
    old circle is what they knew before (in a circle of 3, that is everything already)."""
    subject = n if kind == "join" else 0
    pairs = worlds(kind, n, subject, 1, None)
    for person in range(n):
        if person == subject:
            continue
        by_old = defaultdict(set)
        for b, _ in pairs:
            by_old[b[person]].add(tuple(sorted(b.items())))
        for b, a in pairs:
            known = {
                tuple(sorted(x.items()))
                for x, y in pairs
                if x[person] == b[person] and y[person] == a[person]
            }
            assert known == by_old[b[person]]


# sequences and size ----------------------------------------------------------------------


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
                assert len(cycle) > 7 or not every_circle([*cycle, newcomer], forbidden)
        else:
            leaver = sorted(cycle)[pick % len(cycle)]
            try:
                cycle = cut_out(cycle, leaver, forbidden, rng)
            except DrawImpossible:
                assert cycle == before
        assert_sound(cycle, list(cycle), forbidden)


def test_changes_in_a_circle_of_twenty_thousand_stay_local():
    n = 20_000
    rng = random.Random(7)
    order = list(range(n))
    rng.shuffle(order)
    cycle = cycle_of(order)
    forbidden = {(a, rng.randrange(n)) for a in range(n)} - set(cycle.items())
    joined = splice_in(cycle, n, forbidden, rng)
    assert len(changed_angels(cycle, joined)) == 3
    left = cut_out(joined, order[10], forbidden, rng)
    assert len(changed_angels(joined, left)) == 3
    moved = re_place(left, order[20], forbidden, rng)
    assert moved[order[20]] != left[order[20]]
    assert is_valid_cycle(moved, list(moved), forbidden)
