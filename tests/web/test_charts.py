"""The dashboard's chart: its geometry is plain, bounded numbers, and its summary a sentence.

Pure tests of app.web.charts, without an app.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.aggregates import DayCount
from app.web.charts import chart, chart_summary, nice_ceiling


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


def test_summary():
    days = [DayCount(date(2026, 12, 1), 2, 1), DayCount(date(2026, 12, 2), 5, 0)]
    assert chart_summary(days) == (
        "Kindnesses per day from 1 Dec to 2 Dec: 8 in all, most on 2 Dec (5)."
    )
    assert chart_summary([]) == "Kindnesses per day: none yet."
