"""The dashboard's chart of kindnesses per day, as plain numbers for an SVG template.

Presentation only: it draws the days the domain has already counted (`DayCount`), and decides
nothing about what may be shown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal
from flask_babel import get_locale

from app.domain.aggregates import DayCount
from app.i18n import fast_gettext as _


@dataclass(frozen=True)
class Segment:
    """One coloured part of a bar: `y` is its top edge, in SVG units (y grows downwards)."""

    kind: str
    y: float
    height: float
    value: int


@dataclass(frozen=True)
class Bar:
    """One day's stacked bar."""

    day: date
    x: float
    width: float
    segments: tuple[Segment, ...]
    total: int


@dataclass(frozen=True)
class Label:
    """Text on an axis at (x, y)."""

    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    """A stacked bar chart of kindnesses per day, as plain numbers for an SVG template."""

    width: int
    height: int
    plot_left: float
    plot_top: float
    plot_bottom: float
    plot_right: float
    top_value: int
    bars: tuple[Bar, ...]
    x_labels: tuple[Label, ...]
    y_labels: tuple[Label, ...]


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, … that is at least `value` (at least 1).

    A round top for the chart's scale that leaves at most a third of it empty above 3.
    """
    if value <= 1:
        return 1
    magnitude = 10 ** int(math.floor(math.log10(value)))
    for step in (1, 2, 3, 4, 5, 6, 8, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _locale():
    """The reader's language; English where there is no request (as in the pure tests)."""
    return get_locale() or "en"


def _short(day: date) -> str:
    """A day as an axis label: "6 Dec", "6 déc."."""
    return format_date(day, "d MMM", locale=_locale())


def _number(value: int) -> str:
    """A count with the reader's thousands separator: "1,234", "1 234"."""
    return format_decimal(value, locale=_locale())


def chart(
    days: Sequence[DayCount],
    width: int = 320,
    height: int = 180,
    left: int = 34,
    right: int = 6,
    top: int = 8,
    bottom: int = 22,
    max_labels: int = 5,
    max_bar: float = 24,
) -> Chart:
    """Bar geometry for kindnesses per day: notes at the bottom of each bar, in-person above.

    Coordinates are SVG user units rounded to 0.01; the drawing scales to any screen width
    through its viewBox. Each day has an equal slot; its bar is centred in it, four fifths of
    the slot wide and at most `max_bar`.
    """
    plot_width = width - left - right
    plot_height = height - top - bottom
    bottom_y = top + plot_height
    top_value = nice_ceiling(max((d.total for d in days), default=0))
    slot = plot_width / len(days) if days else plot_width
    bar_width = round(min(slot * 0.8, max_bar), 2)
    bars = []
    for i, d in enumerate(days):
        x = round(left + i * slot + (slot - bar_width) / 2, 2)
        y = float(bottom_y)
        segments = []
        for kind, value in (("note", d.notes), ("in_person", d.in_person)):
            if value <= 0:
                continue
            h = plot_height * value / top_value
            y -= h
            segments.append(Segment(kind, round(y, 2), round(h, 2), value))
        bars.append(Bar(d.day, x, bar_width, tuple(segments), d.total))
    every = max(1, math.ceil(len(days) / max_labels))
    x_labels = tuple(
        Label(round(left + (i + 0.5) * slot, 2), float(height - 6), _short(d.day))
        for i, d in enumerate(days)
        if i % every == 0
    )
    y_labels = (
        Label(float(left - 4), float(bottom_y), "0"),
        Label(float(left - 4), float(top + 10), _number(top_value)),
    )
    return Chart(
        width,
        height,
        float(left),
        float(top),
        float(bottom_y),
        float(width - right),
        top_value,
        tuple(bars),
        x_labels,
        y_labels,
    )


def chart_summary(days: Sequence[DayCount]) -> str:
    """A sentence that says what the chart shows, for its aria-label."""
    if not days:
        return _("Kindnesses per day: none yet.")
    total = sum(d.total for d in days)
    busiest = max(days, key=lambda d: (d.total, d.day))
    first, last = _short(days[0].day), _short(days[-1].day)
    if busiest.total:
        return _(
            "Kindnesses per day from %(first)s to %(last)s: %(total)s in all, "
            "most on %(busiest)s (%(most)s).",
            first=first,
            last=last,
            total=_number(total),
            busiest=_short(busiest.day),
            most=_number(busiest.total),
        )
    return _(
        "Kindnesses per day from %(first)s to %(last)s: %(total)s in all.",
        first=first,
        last=last,
        total=_number(total),
    )
