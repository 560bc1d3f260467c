"""The dashboard's pure rules: small counts of people are hidden, days are whole local days,
and the chart's geometry is plain, bounded numbers.

Pure tests of app.domain.aggregates, without an app.
"""

from __future__ import annotations

import ast
import re
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import aggregates
from app.domain.aggregates import (
    BUCKET_SECONDS,
    DayCount,
    bucket_day,
    chart,
    chart_summary,
    csv_rows,
    day_span,
    fold_days,
    nice_ceiling,
    share,
    suppress,
    zone_of,
)

ZONES = [
    "UTC",
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/St_Johns",
]


def bucket_at(moment: datetime) -> int:
    """The 15-minute bucket of a naive UTC moment, as the SQL computes it."""
    return int(moment.replace(tzinfo=UTC).timestamp()) // BUCKET_SECONDS


def numbers_in(text: str) -> list[int]:
    return [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", text)]


# Suppression --------------------------------------------------------------------------------


def test_the_module_imports_only_the_standard_library():
    path = Path(aggregates.__file__)
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import"
            names = [node.module or ""]
        for name in names:
            top = name.split(".")[0]
            assert top == "__future__" or top in sys.stdlib_module_names, name


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


# Whole local days ---------------------------------------------------------------------------


def test_buckets_fold_into_london_days_across_the_spring_change():
    # 29 March 2026: clocks go from 01:00 GMT to 02:00 BST; the local day lasts 23 hours.
    zone = ZoneInfo("Europe/London")
    rows = [
        (bucket_at(datetime(2026, 3, 28, 23, 45)), "note", 1),  # 23:45 GMT, 28 March
        (bucket_at(datetime(2026, 3, 29, 0, 0)), "note", 2),  # 00:00 GMT, 29 March
        (bucket_at(datetime(2026, 3, 29, 22, 45)), "in_person", 4),  # 23:45 BST, 29 March
        (bucket_at(datetime(2026, 3, 29, 23, 0)), "note", 8),  # 00:00 BST, 30 March
    ]
    days = fold_days(rows, zone)
    assert days == [
        DayCount(date(2026, 3, 28), 1, 0),
        DayCount(date(2026, 3, 29), 2, 4),
        DayCount(date(2026, 3, 30), 8, 0),
    ]


def test_buckets_fold_into_london_days_across_the_autumn_change():
    # 25 October 2026: clocks go back from 02:00 BST to 01:00 GMT; the day lasts 25 hours.
    zone = ZoneInfo("Europe/London")
    rows = [
        (bucket_at(datetime(2026, 10, 24, 22, 45)), "note", 1),  # 23:45 BST, 24 Oct
        (bucket_at(datetime(2026, 10, 24, 23, 0)), "note", 2),  # 00:00 BST, 25 Oct
        (bucket_at(datetime(2026, 10, 25, 0, 30)), "note", 4),  # 01:30 BST, 25 Oct
        (bucket_at(datetime(2026, 10, 25, 1, 30)), "note", 8),  # 01:30 GMT, 25 Oct (again)
        (bucket_at(datetime(2026, 10, 25, 23, 45)), "in_person", 16),  # 23:45 GMT, 25 Oct
        (bucket_at(datetime(2026, 10, 26, 0, 0)), "note", 32),  # 00:00 GMT, 26 Oct
    ]
    assert fold_days(rows, zone) == [
        DayCount(date(2026, 10, 24), 1, 0),
        DayCount(date(2026, 10, 25), 14, 16),
        DayCount(date(2026, 10, 26), 32, 0),
    ]


def test_a_quarter_hour_zone_gets_whole_days():
    # Kathmandu is UTC+5:45: local midnight is 18:15 UTC the day before.
    zone = ZoneInfo("Asia/Kathmandu")
    rows = [
        (bucket_at(datetime(2026, 12, 1, 18, 0)), "note", 1),  # 23:45, 1 Dec
        (bucket_at(datetime(2026, 12, 1, 18, 15)), "note", 1),  # 00:00, 2 Dec
    ]
    assert [(d.day, d.total) for d in fold_days(rows, zone)] == [
        (date(2026, 12, 1), 1),
        (date(2026, 12, 2), 1),
    ]


@settings(max_examples=400)
@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31)),
    st.sampled_from(ZONES),
)
def test_every_bucket_lies_inside_one_local_day(moment, name):
    zone = ZoneInfo(name)
    bucket = bucket_at(moment)
    start = datetime.fromtimestamp(bucket * BUCKET_SECONDS, UTC)
    end = start + timedelta(seconds=BUCKET_SECONDS - 1)
    assert bucket_day(bucket, zone) == start.astimezone(zone).date() == end.astimezone(zone).date()
    assert bucket_day(bucket, zone) == moment.replace(tzinfo=UTC).astimezone(zone).date()


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.integers(
                min_value=bucket_at(datetime(2026, 1, 1)), max_value=bucket_at(datetime(2026, 3, 1))
            ),
            st.sampled_from(["note", "in_person"]),
            st.integers(min_value=1, max_value=50),
        ),
        max_size=60,
    ),
    st.sampled_from(ZONES),
)
def test_folding_keeps_every_kindness_and_lists_consecutive_days(rows, name):
    days = fold_days(rows, ZoneInfo(name), first=date(2026, 1, 10), last=date(2026, 1, 20))
    assert sum(d.notes for d in days) == sum(n for _, kind, n in rows if kind == "note")
    assert sum(d.in_person for d in days) == sum(n for _, kind, n in rows if kind == "in_person")
    assert all(b.day - a.day == timedelta(days=1) for a, b in zip(days, days[1:]))
    assert days[0].day <= date(2026, 1, 10) and days[-1].day >= date(2026, 1, 20)


def test_quiet_days_are_listed_with_zeros_and_no_data_no_days():
    zone = ZoneInfo("UTC")
    days = fold_days([], zone, first=date(2026, 12, 1), last=date(2026, 12, 3))
    assert [(d.day, d.total) for d in days] == [
        (date(2026, 12, 1), 0),
        (date(2026, 12, 2), 0),
        (date(2026, 12, 3), 0),
    ]
    assert fold_days([], zone) == []
    with pytest.raises(ValueError):
        fold_days([(0, "letter", 1)], zone)


def test_day_span_and_zone():
    assert day_span(date(2026, 12, 1), date(2026, 12, 28), date(2026, 12, 5)) == (
        date(2026, 12, 1),
        date(2026, 12, 5),
    )
    assert day_span(date(2026, 12, 1), date(2026, 12, 28), date(2027, 1, 9))[1] == date(
        2026, 12, 28
    )
    assert day_span(date(2026, 12, 1), date(2026, 12, 28), date(2026, 11, 22)) == (None, None)
    assert zone_of("Nowhere/Special") == ZoneInfo("UTC")
    assert zone_of(None) == ZoneInfo("UTC")
    assert zone_of("Asia/Kolkata") == ZoneInfo("Asia/Kolkata")


# The chart ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, ceiling",
    [(0, 1), (1, 1), (2, 2), (3, 3), (7, 8), (9, 10), (10, 10), (11, 20), (214, 300), (801, 1000)],
)
def test_nice_ceiling(value, ceiling):
    assert nice_ceiling(value) == ceiling


def test_bars_stack_notes_under_in_person_kindnesses():
    days = [
        DayCount(date(2026, 12, 1), 4, 1),
        DayCount(date(2026, 12, 2), 0, 0),
        DayCount(date(2026, 12, 3), 0, 2),
    ]
    c = chart(days, width=320, height=180, left=34, right=6, top=8, bottom=22)
    assert c.top_value == 5
    assert (c.plot_top, c.plot_bottom) == (8.0, 158.0)
    first, quiet, third = c.bars
    note, in_person = first.segments
    assert (note.kind, note.height, note.y) == ("note", 120.0, 38.0)
    assert (in_person.kind, in_person.height, in_person.y) == ("in_person", 30.0, 8.0)
    assert quiet.segments == ()
    assert third.segments[0].kind == "in_person" and third.segments[0].y + 60 == 158.0
    assert [label.text for label in c.y_labels] == ["0", "5"]


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 10_000)), max_size=400))
def test_bars_stay_inside_the_plot_and_never_overlap(counts):
    start = date(2026, 1, 1)
    days = [DayCount(start + timedelta(days=i), n, p) for i, (n, p) in enumerate(counts)]
    c = chart(days)
    assert len(c.bars) == len(days)
    assert c.top_value >= max((d.total for d in days), default=0)
    previous_right = c.plot_left
    for bar, day in zip(c.bars, days):
        assert bar.x >= previous_right - 0.01
        assert bar.x + bar.width <= c.plot_right + 0.01
        assert bar.width > 0
        previous_right = bar.x + bar.width
        bottom = c.plot_bottom
        for segment in bar.segments:
            assert segment.height > 0 and segment.value > 0
            assert abs(segment.y + segment.height - bottom) < 0.02  # stacked without gaps
            bottom = segment.y
        assert bottom >= c.plot_top - 0.02
        assert sum(s.value for s in bar.segments) == day.total
        if c.top_value and day.total:
            height = c.plot_bottom - bottom
            expected = (c.plot_bottom - c.plot_top) * day.total / c.top_value
            assert abs(height - expected) < 0.05
    assert len(c.x_labels) <= 5
    assert all(c.plot_left <= label.x <= c.plot_right for label in c.x_labels)


def test_summary_and_csv():
    days = [DayCount(date(2026, 12, 1), 2, 1), DayCount(date(2026, 12, 2), 5, 0)]
    assert chart_summary(days) == (
        "Kindnesses per day from 1 Dec to 2 Dec: 8 in all, most on 2 Dec (5)."
    )
    assert chart_summary([]) == "Kindnesses per day: none yet."
    assert csv_rows(days) == [
        ["date", "notes", "in_person", "total"],
        ["2026-12-01", "2", "1", "3"],
        ["2026-12-02", "5", "0", "5"],
    ]


# Whole past days ----------------------------------------------------------------------------

# Zones whose midnight is skipped or repeated by a clock change (Havana and Santiago change at
# midnight; Lord Howe moves by half an hour), besides the quarter-hour ones above.
MIDNIGHT_ZONES = [*ZONES, "America/Havana", "America/Santiago", "Asia/Beirut"]


@settings(max_examples=500)
@given(
    st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2040, 12, 31)),
    st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2040, 12, 31)),
    st.sampled_from(MIDNIGHT_ZONES),
)
def test_a_moment_is_counted_exactly_when_its_local_day_is_over(now, moment, name):
    """Whatever the zone and clock changes: a moment counts iff its local day is before today,
    the window is the last seven counted days, and the cut-off is a bucket edge."""
    zone = ZoneInfo(name)
    period = aggregates.coverage(now, zone)
    today = aggregates.local_date(now, zone)
    assert period.through == today - timedelta(days=1) and period.through_yesterday
    assert (moment < period.until) == (aggregates.local_date(moment, zone) < today)
    in_window = period.active_since <= moment < period.until
    days_back = (period.through - aggregates.local_date(moment, zone)).days
    assert in_window == (0 <= days_back < 7)
    assert period.until <= now
    assert bucket_at(period.until) == period.until_bucket
    assert period.until_bucket * BUCKET_SECONDS == int(period.until.replace(tzinfo=UTC).timestamp())


def test_day_start_across_a_skipped_and_a_repeated_midnight():
    # Havana springs forward at midnight on 8 March 2026: the day starts at 01:00 local.
    havana = ZoneInfo("America/Havana")
    start = aggregates.day_start(date(2026, 3, 8), havana)
    assert start == datetime(2026, 3, 8, 5)  # 01:00 CDT
    assert aggregates.local_date(start - timedelta(microseconds=1), havana) == date(2026, 3, 7)
    # London in autumn: an ordinary midnight, one hour later in UTC than in summer.
    london = ZoneInfo("Europe/London")
    assert aggregates.day_start(date(2026, 10, 25), london) == datetime(2026, 10, 24, 23)
    assert aggregates.day_start(date(2026, 10, 26), london) == datetime(2026, 10, 26, 0)


def test_an_ended_game_is_covered_up_to_its_last_day():
    zone = ZoneInfo("America/New_York")
    ended = datetime(2026, 12, 4, 2)  # 3 December, 21:00 in New York
    later = aggregates.coverage(datetime(2027, 2, 1), zone, ended_at=ended)
    assert later.through == date(2026, 12, 3) and not later.through_yesterday
    assert later.until == datetime(2026, 12, 4, 5)
    assert later.active_since == datetime(2026, 11, 27, 5)
    # Ended today: still only up to yesterday.
    same_day = aggregates.coverage(datetime(2026, 12, 4, 3), zone, ended_at=ended)
    assert same_day.through == date(2026, 12, 2) and same_day.through_yesterday
