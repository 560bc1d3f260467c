"""The game form preselects the facilitator's own time zone in a real browser."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Game
from tests.helpers import PASSWORD, make_facilitator


def log_in(page, url: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=email]", "fran@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")


def test_a_new_game_starts_in_the_browsers_zone_and_is_created_in_it(app, live_server, browser):
    with app.app_context():
        make_facilitator()
    context = browser.new_context(timezone_id="Europe/Paris")
    page = context.new_page()
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/games/new")
    assert page.input_value("input[name=timezone]") == "Europe/Paris"
    page.fill("input[name=name]", "Kindness month")
    page.click("button:has-text('Create game')")
    page.wait_for_url(f"{live_server.url}/games/*")
    with app.app_context():
        assert db.session.execute(select(Game.timezone)).scalar_one() == "Europe/Paris"
    context.close()


def test_the_browsers_zone_never_replaces_one_already_chosen(app, live_server, browser):
    with app.app_context():
        make_facilitator()
    context = browser.new_context(timezone_id="Asia/Tokyo")
    page = context.new_page()
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/games/new")
    assert page.input_value("input[name=timezone]") == "Asia/Tokyo"
    # A refused submit comes back with what was typed, untouched by the script.
    page.fill("input[name=timezone]", "America/New_York")
    page.fill("input[name=name]", "")
    page.click("button:has-text('Create game')")
    assert page.input_value("input[name=timezone]") == "America/New_York"
    context.close()
