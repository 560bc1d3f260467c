"""Delivery rounds: a note's arrival tells its mortal only which round it came in.

Pure tests of app.domain.delivery: parsing of the facilitator's settings, the choice of round
(first eligible one, never sooner than the minimum delay, across DST changes), and the promise
that the arrival moment carries no information about when the note was written.
"""

from __future__ import annotations

import inspect
import random
import re
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.domain import delivery
from app.domain.delivery import (
    Round,
    Schedule,
    arrival,
    format_times,
    local_date,
    parse_times,
    parse_zone,
    round_for,
    round_label,
    rounds_from,
)

ZONES = [
    "UTC",
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Pacific/Chatham",
]

# --- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00, 15:30", (time(9, 0), time(15, 30))),
        ("15:30,09:00", (time(9, 0), time(15, 30))),
        ("15:30; 09:00 ;", (time(9, 0), time(15, 30))),
        ("  7:05 ", (time(7, 5),)),
        ("09:00, 09:00, 9:00", (time(9, 0),)),
        ("00:00, 23:59", (time(0, 0), time(23, 59))),
    ],
)
def test_parse_times_reads_sorted_distinct_times(text, expected):
    """Times may be separated by commas or semicolons, in any order; duplicates collapse."""
    assert parse_times(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("25:00", "“25:00” is not a time of day like 09:00"),
        ("09:60", "“09:60” is not a time of day like 09:00"),
        ("9am", "“9am” is not a time of day like 09:00"),
        ("09:00, noon", "“noon” is not a time of day like 09:00"),
        ("09:00:00", "“09:00:00” is not a time of day like 09:00"),
        ("-1:00", "“-1:00” is not a time of day like 09:00"),
        ("", "give at least one delivery time, like 09:00"),
        (" , ; ", "give at least one delivery time, like 09:00"),
        ("01:00,02:00,03:00,04:00,05:00,06:00,07:00", "at most six delivery rounds a day"),
    ],
)
def test_parse_times_explains_what_is_wrong(text, message):
    """A bad entry is named in the message, so the facilitator knows what to fix."""
    with pytest.raises(ValueError) as caught:
        parse_times(text)
    assert str(caught.value) == message


def test_six_rounds_are_allowed():
    """Six is the maximum, not one past it."""
    assert len(parse_times("01:00,02:00,03:00,04:00,05:00,06:00")) == 6


@given(
    st.sets(st.builds(time, st.integers(0, 23), st.integers(0, 59)), min_size=1, max_size=6).map(
        lambda s: tuple(sorted(s))
    )
)
@settings(max_examples=100, deadline=None)
def test_format_times_is_the_inverse_of_parse_times(times):
    """What is shown in the settings form reads back as the same schedule."""
    text = format_times(times)
    assert re.fullmatch(r"\d\d:\d\d(, \d\d:\d\d)*", text)
    assert parse_times(text) == times
    assert format_times(parse_times(text)) == text


@pytest.mark.parametrize("name", ZONES + ["  Europe/London  ", "Asia/Kathmandu"])
def test_parse_zone_accepts_iana_names(name):
    """Known IANA zones are accepted, surrounding spaces dropped."""
    assert parse_zone(name) == name.strip()


@pytest.mark.parametrize("name", ["", "Mars/Olympus_Mons", "Europe/Londn", "../etc/passwd", "utc"])
def test_parse_zone_explains_unknown_names(name):
    """Unknown or malformed names get a message naming what was typed and an example."""
    with pytest.raises(ValueError) as caught:
        parse_zone(name)
    assert str(caught.value) == f"“{name}” is not a time zone name like Europe/London"


# --- choosing the round ----------------------------------------------------------------------


def _eligible_rounds(schedule: Schedule, sent_at: datetime, horizon: date, on_day=None):
    """Every round from two local days before sending up to `horizon` that a note sent at
    `sent_at` may go out in, enumerated independently of round_for."""
    earliest = sent_at + schedule.min_delay
    found = []
    for candidate in rounds_from(schedule, local_date(sent_at, schedule) - timedelta(days=2)):
        if candidate.local_day > horizon:
            break
        if candidate.start >= earliest and (on_day is None or candidate.local_day >= on_day):
            found.append(candidate)
    return found


# Moments around the DST changes of 2026 for the zones in ZONES.
DST_MOMENTS = [
    datetime(2026, 3, 29, 0, 50),  # Europe/London springs forward at 01:00 UTC
    datetime(2026, 10, 25, 0, 30),  # Europe/London falls back at 01:00 UTC
    datetime(2026, 3, 8, 6, 45),  # America/New_York springs forward at 07:00 UTC
    datetime(2026, 11, 1, 5, 30),  # America/New_York falls back at 06:00 UTC
    datetime(2026, 4, 4, 15, 30),  # Australia/Sydney falls back at 16:00 UTC
    datetime(2026, 10, 3, 15, 30),  # Australia/Sydney springs forward at 16:00 UTC
    datetime(2026, 4, 4, 13, 50),  # Pacific/Chatham falls back at 14:00 UTC
    datetime(2026, 9, 26, 13, 50),  # Pacific/Chatham springs forward at 14:00 UTC
]

times_strategy = st.lists(
    st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45, 59])),
    min_size=1,
    max_size=4,
    unique=True,
).map(lambda ts: tuple(sorted(ts)))

schedules = st.builds(
    Schedule,
    times=times_strategy,
    zone=st.sampled_from(ZONES),
    window=st.integers(1, 180).map(lambda m: timedelta(minutes=m)),
    min_delay=st.integers(0, 240).map(lambda m: timedelta(minutes=m)),
)

moments = st.one_of(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)),
    st.sampled_from(DST_MOMENTS).flatmap(
        lambda m: st.integers(-180, 180).map(lambda d: m + timedelta(minutes=d))
    ),
)


@given(schedule=schedules, sent_at=moments, seed=st.integers(0, 2**32 - 1))
@settings(max_examples=300, deadline=None)
# Sent 00:50 UTC on the day London springs forward, with rounds at 01:30 and 02:00 local:
# local 01:30 does not exist that day; the 02:00 BST round opens at 01:00 UTC.
@example(
    schedule=Schedule(
        times=(time(1, 30), time(2, 0)),
        zone="Europe/London",
        window=timedelta(minutes=60),
        min_delay=timedelta(0),
    ),
    sent_at=datetime(2026, 3, 29, 0, 50),
    seed=0,
)
@example(
    schedule=Schedule(times=(time(1, 0), time(1, 30)), zone="Europe/London"),
    sent_at=datetime(2026, 10, 25, 0, 20),
    seed=1,
)
def test_the_note_goes_out_in_the_first_round_after_the_minimum_delay(schedule, sent_at, seed):
    """The chosen round opens no sooner than min_delay after sending, the arrival lies inside
    that round's window, and no round that opens between sent_at + min_delay and the chosen
    round is skipped — in every zone, on DST days too."""
    chosen = round_for(schedule, sent_at)
    earliest = sent_at + schedule.min_delay
    assert chosen.start >= earliest

    moment = arrival(chosen, schedule, random.Random(seed))
    assert chosen.start <= moment < chosen.start + schedule.window
    assert moment >= earliest

    eligible = _eligible_rounds(schedule, sent_at, chosen.local_day + timedelta(days=1))
    assert chosen in eligible
    skipped = [r for r in eligible if r.start < chosen.start]
    assert skipped == [], f"chose the round at {chosen.start} but {skipped[0].start} was open"


@given(
    schedule=schedules,
    sent_at=moments,
    days_ahead=st.integers(-3, 20),
)
@settings(max_examples=200, deadline=None)
@example(  # the spring-forward gap, as in the test above
    schedule=Schedule(
        times=(time(1, 30), time(2, 0)), zone="Europe/London", min_delay=timedelta(0)
    ),
    sent_at=datetime(2026, 3, 28, 12, 0),
    days_ahead=1,
)
def test_a_chosen_day_gets_its_first_round_and_never_an_earlier_day(schedule, sent_at, days_ahead):
    """With on_day, the note goes out on that local day or later (never sooner than the
    minimum delay), in the first eligible round."""
    on_day = local_date(sent_at, schedule) + timedelta(days=days_ahead)
    chosen = round_for(schedule, sent_at, on_day)
    assert chosen.local_day >= on_day
    assert chosen.start >= sent_at + schedule.min_delay
    eligible = _eligible_rounds(schedule, sent_at, chosen.local_day + timedelta(days=1), on_day)
    assert chosen in eligible
    assert min(r.start for r in eligible) == chosen.start


def test_later_day_gets_that_days_first_round():
    """A note for Friday goes out in Friday's first round, whatever time it was written."""
    schedule = Schedule(times=(time(9), time(15)), zone="Europe/London")
    chosen = round_for(schedule, datetime(2026, 6, 1, 7, 0), on_day=date(2026, 6, 5))
    # 09:00 BST is 08:00 UTC.
    assert chosen == Round(datetime(2026, 6, 5, 8, 0), date(2026, 6, 5), time(9))


def test_a_round_too_close_to_sending_is_passed_over():
    """Written at 08:45 for a 09:00 round with a 30-minute minimum delay: the 15:00 round."""
    schedule = Schedule(times=(time(9), time(15)), zone="UTC", min_delay=timedelta(minutes=30))
    assert round_for(schedule, datetime(2026, 6, 1, 8, 45)).start == datetime(2026, 6, 1, 15)
    assert round_for(schedule, datetime(2026, 6, 1, 8, 30)).start == datetime(2026, 6, 1, 9)
    assert round_for(schedule, datetime(2026, 6, 1, 14, 31)).start == datetime(2026, 6, 2, 9)


def test_a_delivery_time_inside_the_spring_forward_gap_does_not_delay_an_earlier_round():
    """London, 29 March 2026: clocks jump from 01:00 to 02:00. With rounds at 01:30 and 02:00
    local, a note sent at 00:50 UTC must go out in the round that opens first after sending.
    The 02:00 BST round opens at 01:00 UTC; the nonexistent 01:30 is read as 01:30 UTC."""
    schedule = Schedule(
        times=(time(1, 30), time(2, 0)), zone="Europe/London", min_delay=timedelta(0)
    )
    chosen = round_for(schedule, datetime(2026, 3, 29, 0, 50))
    assert chosen.start == datetime(2026, 3, 29, 1, 0)


def test_rounds_follow_local_time_across_dst():
    """The 09:00 London round is 09:00 UTC in winter and 08:00 UTC in summer."""
    schedule = Schedule(times=(time(9),), zone="Europe/London")
    starts = [r.start for r, _ in zip(rounds_from(schedule, date(2026, 3, 28)), range(3))]
    assert starts == [
        datetime(2026, 3, 28, 9),
        datetime(2026, 3, 29, 8),
        datetime(2026, 3, 30, 8),
    ]


# --- timing carries no information -----------------------------------------------------------


def test_arrival_does_not_take_the_sending_moment():
    """arrival() is given only the round, the schedule and randomness: it cannot depend on
    when the note was written."""
    assert list(inspect.signature(arrival).parameters) == ["round_", "schedule", "rng"]


@given(
    schedule=schedules,
    sent_at=moments,
    later_minutes=st.integers(0, 24 * 60),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=200, deadline=None)
def test_notes_for_the_same_round_are_indistinguishable(schedule, sent_at, later_minutes, seed):
    """Two notes written at different moments that go out in the same round get the same
    round, the same label and — with the same random state — the same arrival moment: the
    arrival is drawn from one distribution per round, whatever the sending time."""
    other = sent_at + timedelta(minutes=later_minutes)
    first, second = round_for(schedule, sent_at), round_for(schedule, other)
    if first != second:
        return  # different rounds: nothing to compare (the property is about one round)
    assert round_label(first) == round_label(second)
    assert arrival(first, schedule, random.Random(seed)) == arrival(
        second, schedule, random.Random(seed)
    )


def test_arrival_is_spread_over_the_whole_window():
    """Arrival moments cover the window evenly (a fixed seed, so it can't flake): early and
    late sending within the round's catchment give the same spread."""
    schedule = Schedule(times=(time(9),), zone="UTC", window=timedelta(minutes=60))
    rng = random.Random(2024)
    round_ = round_for(schedule, datetime(2026, 6, 1, 0, 0))
    assert round_ == round_for(schedule, datetime(2026, 6, 1, 8, 30))
    buckets = [0] * 6
    for _ in range(6000):
        offset = arrival(round_, schedule, rng) - round_.start
        assert timedelta(0) <= offset < timedelta(minutes=60)
        buckets[int(offset.total_seconds() // 600)] += 1
    assert all(900 <= b <= 1100 for b in buckets), buckets


def test_arrival_with_a_tiny_window_is_the_round_start():
    """A window under a second still gives a valid moment (the round's start)."""
    schedule = Schedule(times=(time(9),), zone="UTC", window=timedelta(0))
    round_ = Round(datetime(2026, 6, 1, 9), date(2026, 6, 1), time(9))
    assert arrival(round_, schedule, random.Random(1)) == round_.start


# --- labels ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "part"),
    [
        (time(0, 0), "morning"),
        (time(9, 0), "morning"),
        (time(11, 59), "morning"),
        (time(12, 0), "afternoon"),
        (time(16, 59), "afternoon"),
        (time(17, 0), "evening"),
        (time(23, 59), "evening"),
    ],
)
def test_round_label_names_the_part_of_day(at, part):
    """The label says the day and morning/afternoon/evening, language-neutral (each reader
    sees it written out in their language: tests/i18n/test_formats.py)."""
    label = round_label(Round(datetime(2026, 6, 5, 8), date(2026, 6, 5), at))
    assert label == f"2026-06-05 {part}"


@given(
    day=st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)),
    at=st.builds(time, st.integers(0, 23), st.integers(0, 59)),
)
@settings(max_examples=100, deadline=None)
def test_round_label_never_gives_the_minute(day, at):
    """The label is the same for every round time within a part of the day and contains no
    clock time, so it never narrows arrival down further than the round."""
    label = round_label(Round(datetime.combine(day, at), day, at))
    assert not re.search(r"\d:\d", label)
    assert not re.search(r"\d", label.split(" ")[1])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} (morning|afternoon|evening)", label)
    assert label.startswith(day.isoformat())
    same_part = time(at.hour, 0)
    assert round_label(Round(datetime.combine(day, same_part), day, same_part)) == label


def test_default_schedule_is_nine_and_three_utc():
    """The defaults documented for a new game."""
    schedule = Schedule()
    assert schedule.times == delivery.DEFAULT_TIMES == (time(9), time(15))
    assert schedule.zone == "UTC"
    assert schedule.min_delay == timedelta(minutes=30)


# Weekdays only -------------------------------------------------------------------------------

weekday_zones = st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Pacific/Auckland"])


@settings(max_examples=200)
@given(
    sent_at=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)),
    zone=weekday_zones,
    times=st.lists(st.times(), min_size=1, max_size=6, unique=True).map(
        lambda ts: tuple(sorted(t.replace(second=0, microsecond=0) for t in ts))
    ),
)
def test_a_weekdays_only_game_never_delivers_at_the_weekend(sent_at, zone, times):
    every = Schedule(times=times, zone=zone)
    weekdays = Schedule(times=times, zone=zone, days=delivery.DeliveryDays.WEEKDAYS)
    chosen = round_for(weekdays, sent_at)
    assert chosen.local_day.weekday() < 5
    assert chosen.start >= sent_at + weekdays.min_delay
    # The first weekday round on or after the round every day would have used: no later.
    usual = round_for(every, sent_at)
    assert chosen.start >= usual.start
    if usual.local_day.weekday() < 5:
        assert chosen == usual
    else:
        assert (chosen.local_day - usual.local_day).days <= 2
    arrived = arrival(chosen, weekdays, random.Random(0))
    assert local_date(arrived - timedelta(seconds=0), weekdays).weekday() < 5 or (
        # a round opening just before midnight may run past it; the round's day is a weekday
        chosen.local_time >= time(23, 0)
    )


def test_a_note_written_on_friday_evening_arrives_on_monday():
    schedule = Schedule(times=(time(9), time(15)), days=delivery.DeliveryDays.WEEKDAYS)
    friday_evening = datetime(2026, 12, 4, 20, 0)
    chosen = round_for(schedule, friday_evening)
    assert chosen.local_day == date(2026, 12, 7) and chosen.local_time == time(9)
    # A note asked for a Saturday goes out on the Monday.
    assert round_for(schedule, friday_evening, date(2026, 12, 5)).local_day == date(2026, 12, 7)


def test_delivery_days_are_read_or_refused():
    assert delivery.parse_days("weekdays") is delivery.DeliveryDays.WEEKDAYS
    assert delivery.parse_days("every") is delivery.DeliveryDays.EVERY
    with pytest.raises(ValueError):
        delivery.parse_days("sundays")
