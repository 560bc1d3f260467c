"""The dashboard's days: counts fold into whole local days, and only whole past days are
covered. (What may be shown is tested with app.domain.disclosure; the chart with the web.)

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
    csv_rows,
    day_span,
    fold_days,
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


# Purity -------------------------------------------------------------------------------------


def test_the_module_imports_only_the_standard_library():
    path = Path(aggregates.__file__)
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            # Only a sibling of the domain (the disclosure rules it counts days by).
            assert node.level <= 1, "relative import beyond the domain"
            if node.level:
                continue
            names = [node.module or ""]
        for name in names:
            top = name.split(".")[0]
            assert top == "__future__" or top in sys.stdlib_module_names, name


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


def test_csv_rows():
    days = [DayCount(date(2026, 12, 1), 2, 1), DayCount(date(2026, 12, 2), 5, 0)]
    assert csv_rows(days) == [
        ["date", "notes", "in_person", "total"],
        ["2026-12-01", "2", "1", "3"],
        ["2026-12-02", "5", "0", "5"],
    ]


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
