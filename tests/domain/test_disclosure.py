"""What may be shown: small counts of people are hidden (and shares with them), only whole
past days are counted, secrets are kept in a crowd of at least k, and guesses are summarised
without small counts."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.disclosure import (
    guess_result,
    hidden,
    last_counted_day,
    share,
    suppress,
    withheld_angels,
)


def numbers_in(text: str) -> list[int]:
    return [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", text)]


# Small counts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "count, k, text, value",
    [
        (0, 3, "0", 0),
        (1, 3, "fewer than 3", None),
        (2, 3, "fewer than 3", None),
        (3, 3, "3", 3),
        (4, 5, "fewer than 5", None),
        (1234, 3, "1,234", 1234),
        (1, 1, "1", 1),
    ],
)
def test_suppress_hides_counts_between_zero_and_k(count, k, text, value):
    figure = suppress(count, k)
    assert figure.text == str(figure) == text
    assert figure.value == value
    assert figure.suppressed == (value is None)


def test_a_negative_count_is_a_bug():
    with pytest.raises(ValueError):
        suppress(-1, 3)


@settings(max_examples=500)
@given(st.integers(min_value=0, max_value=10**7), st.integers(min_value=1, max_value=50))
def test_suppress_never_shows_a_number_strictly_between_zero_and_k(count, k):
    figure = suppress(count, k)
    for shown in numbers_in(figure.text):
        assert shown == 0 or shown >= k
    if figure.value is not None:
        assert figure.value == count
        assert not 0 < figure.value < k


@settings(max_examples=500)
@given(
    st.integers(min_value=0, max_value=5000).flatmap(
        lambda whole: st.tuples(st.integers(min_value=0, max_value=whole), st.just(whole))
    ),
    st.integers(min_value=1, max_value=20),
)
def test_a_share_is_shown_only_when_neither_count_is_hidden(counts, k):
    part, whole = counts
    figure = share(part, whole, k)
    if 0 < part < k or 0 < whole < k:
        assert figure.suppressed
        assert figure.text == "not shown"
    if figure.value is not None:
        assert not 0 < part < k and not 0 < whole < k
        assert figure.text == f"{figure.value}%"
        assert 0 <= figure.value <= 100
        # Nobody is rounded away: 100% means everyone, 0% means no one.
        assert (figure.value == 100) == (part == whole)
        assert (figure.value == 0) == (part == 0)


def test_share_examples():
    assert share(5, 10, 3).text == "50%"
    assert share(2, 10, 3).text == "not shown"
    assert share(0, 0, 3).text == "—"
    assert share(0, 10, 3).text == "0%"
    assert share(299, 300, 3).text == "99%"
    assert share(3, 1000, 3).text == "1%"
    with pytest.raises(ValueError):
        share(5, 2, 1)


# Whole past days ----------------------------------------------------------------------------


# A real today always has a yesterday: only 1 January of year 1 has none.
@given(st.dates(min_value=date.min + timedelta(days=1)), st.none() | st.dates())
def test_the_last_counted_day_is_never_today_nor_after_the_game(today, last_day):
    through = last_counted_day(today, last_day)
    assert through == today - timedelta(days=1) if last_day is None else through <= last_day
    assert through < today
    assert through in (today - timedelta(days=1), last_day)


# Secrets kept in a crowd --------------------------------------------------------------------


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
