"""Time zones as people read them."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from app.domain import zones


def test_labels_and_notes_name_the_place():
    assert zones.zone_label("Europe/Paris") == "Paris (Europe/Paris)"
    assert (
        zones.zone_label("America/Argentina/Buenos_Aires")
        == "Buenos Aires (America/Argentina/Buenos_Aires)"
    )
    assert zones.zone_label("UTC") == "UTC"
    assert zones.time_note("Europe/Paris") == "Paris time"
    assert zones.time_note("UTC") == ""


def test_a_stored_moment_shows_on_the_games_clock():
    winter = datetime(2026, 12, 6, 12, 0)
    assert zones.local_moment(winter, "Europe/Paris").strftime("%H:%M") == "13:00"
    assert zones.local_moment(winter, "America/New_York").strftime("%H:%M") == "07:00"
    assert zones.local_moment(winter, "Not/AZone").strftime("%H:%M") == "12:00"


@given(st.sampled_from([name for name, _ in zones.zone_choices()]))
def test_every_offered_zone_has_a_label_that_contains_its_name(name):
    label = dict(zones.zone_choices())[name]
    assert name in label
