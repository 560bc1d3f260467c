"""The game form puts every error beside its own field, and shows all of them at once."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.models import Game
from tests.helpers import login, make_facilitator, make_game

TODAY = date(2026, 12, 6)


class FieldBlocks(HTMLParser):
    """For each `<div class="field">` block: the names of its controls and its error texts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[dict | None] = []
        self.blocks: list[dict] = []
        self.in_error: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div":
            block = None
            if "field" in (a.get("class") or "").split():
                block = {"names": set(), "errors": []}
                self.blocks.append(block)
            self.stack.append(block)
        current = next((b for b in reversed(self.stack) if b is not None), None)
        if tag in ("input", "select", "textarea") and current is not None and a.get("name"):
            current["names"].add(a["name"])
        if tag == "p" and "error" in (a.get("class") or "").split() and current is not None:
            current["errors"].append("")
            self.in_error = current

    def handle_endtag(self, tag):
        if tag == "div" and self.stack:
            self.stack.pop()
        if tag == "p":
            self.in_error = None

    def handle_data(self, data):
        if self.in_error is not None:
            self.in_error["errors"][-1] += data


def errors_by_field(page: str) -> dict[str, list[str]]:
    """Every error text on the page, keyed by the name of the field whose block holds it."""
    parser = FieldBlocks()
    parser.feed(page)
    found: dict[str, list[str]] = {}
    for block in parser.blocks:
        if block["errors"]:
            (name,) = block["names"] - {"csrf_token"}
            found[name] = [e.strip() for e in block["errors"]]
    return found


GOOD = {
    "name": "Kindness month",
    "group_kind": "team",
    "group_name": "Design team",
    "starts_on": str(TODAY),
    "ends_on": str(TODAY + timedelta(days=28)),
    "welcome": "",
    "delivery_times": "09:00, 15:00",
    "delivery_days": "every",
    "timezone": "Europe/Paris",
}

# A bad value for each field, and a word its error must contain.
BAD = {
    "name": ("\u200b", "name"),
    "ends_on": (str(TODAY - timedelta(days=3)), "end"),
    "delivery_times": ("8.30", "8.30"),
    "timezone": ("Paris", "Paris"),
}


@pytest.fixture(autouse=True)
def fixed_today():
    """Every test here runs at noon on one day, so the date rule cannot move mid-test."""
    with time_machine.travel(datetime(2026, 12, 6, 12, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def facilitator_client(app, client):
    with app.app_context():
        client.game_id = make_game(make_facilitator()).id
    login(client)
    return client


def test_a_bad_time_and_zone_each_show_beside_their_own_field(facilitator_client):
    page = facilitator_client.post(
        "/games/new", data={**GOOD, "delivery_times": "8.30", "timezone": "Paris"}
    ).get_data(as_text=True)
    errors = errors_by_field(page)
    assert set(errors) == {"delivery_times", "timezone"}
    assert "8.30" in errors["delivery_times"][0]
    assert "Paris" in errors["timezone"][0]


def test_the_edit_form_places_errors_the_same_way(facilitator_client):
    game_id = facilitator_client.game_id
    page = facilitator_client.post(
        f"/games/{game_id}/edit", data={**GOOD, "delivery_times": "8.30", "timezone": "Paris"}
    ).get_data(as_text=True)
    assert set(errors_by_field(page)) == {"delivery_times", "timezone"}


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(bad=st.sets(st.sampled_from(sorted(BAD)), min_size=1))
def test_every_bad_field_shows_its_error_beside_itself_at_once(facilitator_client, bad):
    data = {**GOOD, **{field: BAD[field][0] for field in bad}}
    response = facilitator_client.post("/games/new", data=data)
    assert response.status_code == 200
    errors = errors_by_field(response.get_data(as_text=True))
    assert set(errors) == bad
    for field in bad:
        assert any(BAD[field][1] in e.lower() or BAD[field][1] in e for e in errors[field])


# The time zone picker --------------------------------------------------------------------------


def test_without_javascript_the_zone_is_a_searchable_field_that_takes_a_typed_name(
    app, facilitator_client
):
    page = facilitator_client.get("/games/new").get_data(as_text=True)
    assert re.search(r'<input[^>]*list="time-zones"[^>]*name="timezone"[^>]*value="UTC"', page)
    assert '<option value="Europe/Paris">Paris (Europe/Paris)</option>' in page
    assert "data-browser-zone" in page  # the script's cue, on a new form only
    response = facilitator_client.post("/games/new", data={**GOOD, "timezone": "Asia/Tokyo"})
    assert response.status_code == 302
    with app.app_context():
        zones = db.session.execute(select(Game.timezone).order_by(Game.id)).scalars().all()
    assert zones[-1] == "Asia/Tokyo"
    # Editing a game never invites the browser's zone over the one it has.
    edit = facilitator_client.get(f"/games/{facilitator_client.game_id}/edit").get_data(
        as_text=True
    )
    assert "data-browser-zone" not in edit
