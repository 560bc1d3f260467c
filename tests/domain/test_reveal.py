"""The reveal's rules: secrets kept in a crowd of at least k, guesses summarised without
small counts."""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from app.domain.aggregates import hidden
from app.domain.reveal import guess_result, withheld_angels


@st.composite
def games(draw):
    """Angels of a game (ids), the ones who chose to stay secret, k and a seed."""
    angels = draw(st.lists(st.integers(1, 500), min_size=3, max_size=30, unique=True))
    chose = draw(st.sets(st.sampled_from(angels)))
    return angels, chose, draw(st.integers(0, 8)), draw(st.integers(0, 2**32))


@given(games())
def test_withheld_is_nobody_or_a_crowd_that_holds_every_chosen_secret(game):
    angels, chose, k, seed = game
    withheld = withheld_angels(angels, chose, k, random.Random(seed))
    assert withheld <= set(angels)
    if not chose:
        assert withheld == set()
        return
    assert chose <= withheld
    assert len(withheld) >= min(k, len(angels))  # a game smaller than k withholds everyone
    # Nobody beyond what the crowd needs loses their reveal.
    assert len(withheld) == max(len(chose), min(k, len(angels)))


@given(games())
def test_the_same_randomness_gives_the_same_reveal(game):
    angels, chose, k, seed = game
    first = withheld_angels(angels, chose, k, random.Random(seed))
    assert withheld_angels(list(reversed(angels)), chose, k, random.Random(seed)) == first


def test_choices_of_people_outside_the_cycle_count_for_nothing():
    """A leaver who had chosen to stay secret is no angel any more."""
    assert withheld_angels([1, 2, 3, 4], {9}, 3, random.Random(1)) == set()
    assert len(withheld_angels([1, 2, 3, 4], {1, 9}, 3, random.Random(1))) == 3


def test_companions_are_drawn_uniformly():
    """Each angel who did not choose is as likely as any other to keep a secret company."""
    angels, chose, k = list(range(10)), {0}, 3
    counts = Counter()
    rng = random.Random(7)
    trials = 9000
    for _ in range(trials):
        counts.update(withheld_angels(angels, chose, k, rng) - chose)
    expected = trials * (k - 1) / (len(angels) - 1)  # 2000 each
    assert set(counts) == set(range(1, 10))
    assert all(abs(c - expected) < 0.1 * expected for c in counts.values()), counts


@given(st.integers(0, 60), st.integers(0, 60), st.integers(1, 8))
def test_the_guess_summary_never_shows_a_small_count(made, right, k):
    right = min(right, made)
    result = guess_result(made, right, k)
    assert result.guesses.suppressed == hidden(made, k)
    if not result.guesses.suppressed:
        assert result.guesses.value == made
    if not result.right.suppressed:
        # A shown share gives back both the right and the wrong guesses: neither is small.
        assert not hidden(made, k) and not hidden(right, k) and not hidden(made - right, k)
        assert made > 0
        assert result.right.text == f"{result.right.value}%"
        assert abs(result.right.value - 100 * right / made) <= 1
    assert result.none == (made == 0)


def test_the_guess_summary_examples():
    assert str(guess_result(10, 7, 3).right) == "70%"
    assert guess_result(10, 9, 3).right.suppressed  # one wrong guess
    assert guess_result(10, 2, 3).right.suppressed  # two right guesses
    assert str(guess_result(10, 10, 3).right) == "100%"
    assert str(guess_result(2, 2, 3).guesses) == "fewer than 3"
    assert str(guess_result(0, 0, 3).guesses) == "0"
