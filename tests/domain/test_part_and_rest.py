"""A part and the rest of a shown whole: neither gives a small count back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.domain.disclosure import hidden, part_and_rest


@st.composite
def splits(draw):
    k = draw(st.integers(1, 10))
    whole = draw(st.integers(0, 300))
    return k, whole, draw(st.integers(0, whole)), draw(st.integers(0, whole))


@given(splits())
def test_no_small_count_is_shown_or_can_be_worked_out(case):
    k, whole, part, other = case
    shown, rest = part_and_rest(part, whole, k)
    for figure in (shown, rest):
        assert figure.suppressed or not hidden(figure.value, k)
    if not shown.suppressed and not rest.suppressed:
        assert shown.value + rest.value == whole
    # Two different splits that read the same are both wholly hidden: the page never tells
    # which side was small, or by how much.
    if part != other and (str(shown), str(rest)) == tuple(map(str, part_and_rest(other, whole, k))):
        assert shown.suppressed and rest.suppressed
    # Whenever a side is too small to show, neither side is shown.
    if hidden(part, k) or hidden(whole - part, k):
        assert shown.suppressed and rest.suppressed


def test_large_parts_are_shown_as_they_are():
    assert [str(f) for f in part_and_rest(20, 30, 3)] == ["20", "10"]
    assert [str(f) for f in part_and_rest(29, 30, 3)] == ["not shown", "not shown"]
    assert [str(f) for f in part_and_rest(30, 30, 3)] == ["30", "0"]
