"""Template filters that show every stored moment in the game's own time zone."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from app.domain import zones


def in_zone(moment: datetime | None, zone: str, fmt: str = "%-d %b %Y %H:%M") -> str:
    """`{{ moment|in_zone(game.timezone, '%a %-d %b %H:%M') }}`: the moment as the game's clock
    shows it ("" for no moment)."""
    if moment is None:
        return ""
    return zones.local_moment(moment, zone).strftime(fmt)


def init_app(app: Flask) -> None:
    """Register the filter and the zone helpers templates use."""
    app.add_template_filter(in_zone)
    app.add_template_global(zones.time_note)
    app.add_template_global(zones.zone_label)
    app.add_template_global(zones.zone_choices)
