"""Courier routing and claim codes (app.domain.couriers), pure.

The promise tested here: who carries a kindness tells the mortal nothing about who sent it.
"""

from __future__ import annotations

import inspect
import math
import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.couriers import (
    CLAIM_ALPHABET,
    CLAIM_LENGTH,
    claim_code,
    courier_pool,
    pick_courier,
)

load_maps = st.dictionaries(st.integers(1, 40), st.integers(0, 4), max_size=15)


@given(
    loads=st.dictionaries(st.integers(1, 12), st.integers(0, 4), min_size=2, max_size=12),
    data=st.data(),
)
@settings(max_examples=300, deadline=None)
def test_the_pool_is_everyone_who_carries_and_nobody_who_opted_out(loads, data):
    """Opted-out people never carry anything, their own kindnesses included; everyone else,
    the sender included, is in the pool with their load. The pool has no sender input."""
    people = sorted(loads)
    opted_out = data.draw(st.sets(st.sampled_from(people)))
    pool = courier_pool(loads, opted_out)
    assert set(pool) == set(people) - opted_out
    assert all(pool[p] == loads[p] for p in pool)
    assert set(inspect.signature(courier_pool).parameters) == {"open_loads", "opted_out"}


@given(
    loads=load_maps,
    recipient=st.integers(1, 40),
    asked=st.sets(st.integers(1, 40), max_size=10),
    cap=st.none() | st.integers(0, 5),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=300, deadline=None)
def test_pick_courier_is_an_eligible_participant(loads, recipient, asked, cap, seed):
    """Never the recipient, never someone already asked, under the cap when anyone is, and
    None exactly when nobody is left."""
    picked = pick_courier(loads, recipient, asked, random.Random(seed), max_open=cap)
    eligible = {pid: load for pid, load in loads.items() if pid != recipient and pid not in asked}
    if not eligible:
        assert picked is None
        return
    assert picked in eligible
    if cap is not None and any(load < cap for load in eligible.values()):
        assert eligible[picked] < cap


@given(loads=load_maps, recipient=st.integers(1, 40), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=100, deadline=None)
def test_pick_courier_does_not_depend_on_the_order_of_the_load_map(loads, recipient, seed):
    """Same seed, same choice, however the participants happen to be listed (the order rows
    come back from the database must not leak into the choice)."""
    shuffled = list(loads.items())
    random.Random(seed ^ 0xABCDEF).shuffle(shuffled)
    first = pick_courier(loads, recipient, [], random.Random(seed))
    assert pick_courier(dict(shuffled), recipient, [], random.Random(seed)) == first
    assert pick_courier(loads, recipient, iter([]), random.Random(seed)) == first


def test_nobody_left_gives_none():
    """Only the recipient, or everyone already asked: nobody can carry it."""
    rng = random.Random(1)
    assert pick_courier({}, 1, [], rng) is None
    assert pick_courier({1: 0}, 1, [], rng) is None
    assert pick_courier({1: 0, 2: 0, 3: 5}, 1, [2, 3], rng) is None
    assert pick_courier({1: 0, 2: 0, 3: 5}, 1, [2], rng) == 3


def test_the_pick_is_uniform_whatever_the_loads_under_the_cap():
    """A newcomer with nothing to carry is asked no more often than a busy colleague: load
    does not steer the pick (below the cap), so the zero-load are not asked first."""
    loads = {1: 0, 2: 1, 3: 0, 4: 0, 5: 2, 6: 0}
    rng = random.Random(7)
    picks = Counter(pick_courier(loads, 6, [4], rng, max_open=3) for _ in range(4000))
    assert set(picks) == {1, 2, 3, 5}
    critical = _chi_square_critical(3)
    chi2 = sum((n - 1000) ** 2 / 1000 for n in picks.values())
    assert chi2 < critical, picks


def test_everyone_at_the_cap_still_gets_the_kindness_carried():
    """The cap spreads the work; when everyone left is at it, the pick is uniform over them."""
    rng = random.Random(3)
    picks = Counter(pick_courier({1: 3, 2: 3, 3: 4}, 9, [], rng, max_open=3) for _ in range(600))
    assert set(picks) == {1, 2, 3}


def test_pick_courier_is_not_told_the_sender():
    """The sender is not an input, so the choice cannot depend on it."""
    params = set(inspect.signature(pick_courier).parameters)
    assert params == {"open_loads", "recipient", "already_asked", "rng", "max_open"}


@given(
    loads=st.dictionaries(st.integers(1, 10), st.integers(0, 4), min_size=3, max_size=10),
    data=st.data(),
)
@settings(max_examples=100, deadline=None)
def test_the_courier_is_independent_of_the_sender(loads, data):
    """For every game state, the courier's distribution is the same whoever sent it: the
    whole route (pool, then pick) gives the same courier for any two senders, seed by seed."""
    people = sorted(loads)
    recipient = data.draw(st.sampled_from(people))
    opted_out = data.draw(st.sets(st.sampled_from(people)))
    seed = data.draw(st.integers(0, 2**32 - 1))

    def route(sender: int) -> int | None:
        del sender  # nothing in the route may take it
        pool = courier_pool(loads, opted_out)
        return pick_courier(pool, recipient, [], random.Random(seed), max_open=3)

    couriers = {route(sender) for sender in people if sender != recipient}
    assert len(couriers) == 1
    (courier,) = couriers
    assert courier is None or courier not in opted_out


def _chi_square_critical(df: int, z: float = 3.09) -> float:
    """Upper critical value of chi-square at about p = 0.001 (Wilson–Hilferty)."""
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


def test_the_mortal_seeing_the_courier_cannot_do_better_than_guessing_uniformly():
    """A mortal who knows who delivered learns nothing about their angel.

    Many simulated games (n = 4..8, everyone equally loaded; the angel is any non-recipient,
    uniformly, as the mortal's prior). Then:
    - "the courier is my angel" is right about 1/(n-1) of the time, no more;
    - given the courier, the angel is still uniform over the non-recipients (chi-square);
    - the best guessing rule learnt from half the games does no better than 1/(n-1) on the
      other half.
    Fixed seed, so the outcome is the same every run.
    """
    rng = random.Random(20260401)
    for n in range(4, 9):
        people = list(range(1, n + 1))
        games = []
        for _ in range(3000):
            recipient = rng.choice(people)
            others = [p for p in people if p != recipient]
            sender = rng.choice(others)
            courier = pick_courier({p: 0 for p in people}, recipient, [], rng)
            # Relabel so the recipient is always "0" and others are 1..n-1 in a fixed order.
            label = {p: i for i, p in enumerate(others, start=1)}
            games.append((label[courier], label[sender]))

        chance = 1 / (n - 1)
        hits = sum(courier == sender for courier, sender in games)
        spread = 3.5 * math.sqrt(chance * (1 - chance) / len(games))
        assert abs(hits / len(games) - chance) < spread, (n, hits / len(games), chance)

        joint = Counter(games)
        chi2, df = 0.0, 0
        for courier in range(1, n):
            row = [joint[courier, sender] for sender in range(1, n)]
            expected = sum(row) / (n - 1)
            assert expected > 50
            chi2 += sum((seen - expected) ** 2 / expected for seen in row)
            df += n - 2
        assert chi2 < _chi_square_critical(df), (n, chi2, df)

        train, test = games[: len(games) // 2], games[len(games) // 2 :]
        seen = Counter(train)
        guess = {
            courier: max(range(1, n), key=lambda s, c=courier: seen[c, s])
            for courier in range(1, n)
        }
        right = sum(guess[courier] == sender for courier, sender in test)
        spread = 3.5 * math.sqrt(chance * (1 - chance) / len(test))
        assert right / len(test) < chance + spread, (n, right / len(test), chance)


# --- claim codes -----------------------------------------------------------------------------


def test_claim_alphabet_has_no_ambiguous_characters():
    """No 0/O, 1/I/L: a code copied onto a sticky note must survive."""
    assert not set("0O1IL") & set(CLAIM_ALPHABET)
    assert len(set(CLAIM_ALPHABET)) == len(CLAIM_ALPHABET)
    assert CLAIM_ALPHABET == CLAIM_ALPHABET.upper()


@given(seed=st.integers(0, 2**64))
@settings(max_examples=200, deadline=None)
def test_claim_code_shape_and_determinism(seed):
    """Six characters from the unambiguous alphabet; the same seed gives the same code."""
    code = claim_code(random.Random(seed))
    assert len(code) == CLAIM_LENGTH == 6
    assert set(code) <= set(CLAIM_ALPHABET)
    assert not set(code) & set("0O1IL")
    assert claim_code(random.Random(seed)) == code


def test_claim_codes_vary_and_use_the_whole_alphabet():
    """Codes are not predictable from one another: many draws are (almost) all distinct and
    every letter of the alphabet turns up."""
    rng = random.Random(99)
    codes = [claim_code(rng) for _ in range(2000)]
    assert len(set(codes)) >= 1995
    assert set("".join(codes)) == set(CLAIM_ALPHABET)
