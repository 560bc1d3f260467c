"""The date rule: a game starts within a year of today and lasts at most a year."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.domain import game_dates

TODAY = date(2026, 12, 6)
YEAR = timedelta(days=365)

todays = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
any_date = st.dates()  # 0001-01-01 to 9999-12-31, as a form would accept them


@given(today=todays, starts_on=any_date, ends_on=any_date)
def test_dates_are_accepted_exactly_when_the_game_is_near_and_short(today, starts_on, ends_on):
    problems = game_dates.check(starts_on, ends_on, today)
    near = abs(starts_on - today) <= YEAR
    assert (problems.starts_on is None) == near
    assert (problems.ends_on is None) == (starts_on <= ends_on <= starts_on + YEAR)
    assert bool(problems) == (problems.starts_on is not None or problems.ends_on is not None)


@given(today=todays, was=st.tuples(any_date, any_date))
def test_an_edited_game_may_keep_the_dates_it_has(today, was):
    """A game begun long ago can still have its text changed."""
    starts_on, ends_on = sorted(was)
    problems = game_dates.check(starts_on, ends_on, today, was=(starts_on, ends_on))
    assert problems.starts_on is None and problems.ends_on is None


@given(today=todays, was_start=any_date, starts_on=any_date)
def test_a_changed_start_meets_the_rule_whatever_the_game_had(today, was_start, starts_on):
    if starts_on == was_start:
        return
    problems = game_dates.check(starts_on, starts_on, today, was=(was_start, was_start))
    assert (problems.starts_on is None) == (abs(starts_on - today) <= YEAR)


def test_the_bounds_are_a_year_either_way_and_a_year_long():
    assert not game_dates.check(TODAY - YEAR, TODAY - YEAR, TODAY)
    assert not game_dates.check(TODAY + YEAR, TODAY + YEAR + YEAR, TODAY)
    assert game_dates.check(TODAY - YEAR - timedelta(days=1), TODAY, TODAY).starts_on
    assert game_dates.check(TODAY + YEAR + timedelta(days=1), TODAY + 2 * YEAR, TODAY).starts_on
    too_long = game_dates.check(TODAY, TODAY + YEAR + timedelta(days=1), TODAY)
    assert too_long.starts_on is None and "6 December 2027" in too_long.ends_on
    absurd = game_dates.check(date(1, 1, 1), TODAY, TODAY)
    assert "6 December 2025 and 6 December 2027" in absurd.starts_on
    assert absurd.ends_on == "A game lasts at most a year."
