"""The game form and service hold the date rule: near today, at most a year long."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.domain import game_dates
from app.extensions import db
from app.models import Game
from app.services import ServiceError, games
from tests.helpers import login, make_facilitator, make_game

TODAY = date(2026, 12, 6)
YEAR = timedelta(days=365)


@pytest.fixture(autouse=True)
def fixed_today():
    """Every test here runs at noon on one day, so "today" cannot change mid-test."""
    with time_machine.travel(datetime(2026, 12, 6, 12, tzinfo=UTC), tick=False):
        yield


def game_form(starts_on: date | str, ends_on: date | str, name: str = "Kindness month") -> dict:
    return {
        "name": name,
        "group_kind": "team",
        "group_name": "Design team",
        "starts_on": str(starts_on),
        "ends_on": str(ends_on),
        "welcome": "Be kind, be sneaky",
        "delivery_times": "09:00, 15:00",
        "timezone": "UTC",
    }


def errors_under(page: str, field: str) -> list[str]:
    return [html.unescape(e) for e in re.findall(rf'id="{field}-err">([^<]*)<', page)]


def game_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Game)).scalar_one()


@pytest.fixture
def facilitator_client(app, client):
    with app.app_context():
        make_facilitator()
    login(client)
    return client


def test_the_form_says_the_rule_beside_the_date_fields(facilitator_client):
    page = facilitator_client.get("/games/new").text
    assert game_dates.START_HINT in page and game_dates.END_HINT in page


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [
        (TODAY, TODAY),
        (TODAY - YEAR, TODAY - YEAR + timedelta(days=28)),
        (TODAY + YEAR, TODAY + YEAR + YEAR),
        (date(2026, 12, 1), date(2026, 12, 29)),
    ],
)
def test_dates_within_the_bounds_are_accepted(app, facilitator_client, starts_on, ends_on):
    answer = facilitator_client.post("/games/new", data=game_form(starts_on, ends_on))
    assert answer.status_code == 302
    assert game_count(app) == 1


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "start_error", "end_error"),
    [
        ("0001-01-01", "9999-12-31", True, True),
        ("9999-12-31", "9999-12-31", True, False),
        ("0001-01-01", "0001-01-02", True, False),
        (TODAY - YEAR - timedelta(days=1), TODAY - YEAR + timedelta(days=27), True, False),
        (TODAY + YEAR + timedelta(days=1), TODAY + YEAR + timedelta(days=2), True, False),
        (TODAY, TODAY + YEAR + timedelta(days=1), False, True),
        (TODAY, "9999-12-31", False, True),
        (TODAY, TODAY - timedelta(days=1), False, True),
    ],
)
def test_dates_beyond_the_bounds_are_refused_under_their_own_field_with_the_text_kept(
    app, facilitator_client, starts_on, ends_on, start_error, end_error
):
    answer = facilitator_client.post(
        "/games/new", data=game_form(starts_on, ends_on, name="Spring of small things")
    )
    page = answer.text
    assert answer.status_code == 200
    assert bool(errors_under(page, "starts_on")) == start_error
    assert bool(errors_under(page, "ends_on")) == end_error
    if start_error:
        assert "within a year of today" in errors_under(page, "starts_on")[0]
    # What was typed stays in the form.
    assert 'value="Spring of small things"' in page
    assert f'value="{starts_on}"' in page and f'value="{ends_on}"' in page
    assert "Be kind, be sneaky" in page
    assert game_count(app) == 0


def test_the_service_holds_the_rule_without_the_form(app):
    with app.app_context():
        facilitator = make_facilitator()
        details = games.GameDetails(
            name="Forever",
            group_kind="team",
            group_name="",
            starts_on=TODAY,
            ends_on=date(9999, 12, 31),
            welcome="",
            avoid_repeat_mortals=False,
        )
        with pytest.raises(ServiceError, match="at most a year"):
            games.create_game(facilitator, details)
        far = details.__class__(**{**details.__dict__, "starts_on": date(1, 1, 1)})
        with pytest.raises(ServiceError, match="within a year of today"):
            games.create_game(facilitator, far)
    assert game_count(app) == 0


def test_a_game_begun_long_ago_can_still_be_edited_but_not_moved_far(app, facilitator_client):
    with app.app_context():
        facilitator = db.session.execute(select(games.Facilitator)).scalar_one()
        game_id = make_game(facilitator, 3).id  # starts 1 December 2026
    with time_machine.travel(datetime(2028, 6, 1, 12, tzinfo=UTC), tick=False):
        login(facilitator_client)  # a login does not last a year and a half
        kept = facilitator_client.post(
            f"/games/{game_id}/edit",
            data=game_form(date(2026, 12, 1), date(2026, 12, 29), name="Renamed"),
        )
        assert kept.status_code == 302 and kept.location == f"/games/{game_id}"
        moved = facilitator_client.post(
            f"/games/{game_id}/edit",
            data=game_form(date(2026, 12, 2), date(2026, 12, 29), name="Moved"),
        )
        assert moved.status_code == 200, moved.location
        assert errors_under(moved.text, "starts_on")
    with app.app_context():
        assert db.session.get(Game, game_id).name == "Renamed"


def test_an_end_before_the_start_names_no_impossible_range_for_the_exchange_day(
    app, facilitator_client
):
    start = date(2026, 12, 15)
    data = dict(game_form(start, start - timedelta(days=60)), exchange_on=str(start))
    page = facilitator_client.post("/games/new", data=data).text
    assert errors_under(page, "ends_on")
    assert errors_under(page, "exchange_on") == []
    assert game_count(app) == 0
