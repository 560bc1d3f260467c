"""A game's optional budget and exchange day: set on the game form, shown to everyone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from app.domain import game_dates
from app.extensions import db
from app.models import Game, OutboxMessage
from app.services import setup
from app.services.draw import draw_names
from app.tokens import participant_link_token
from tests.helpers import follow_link, login, make_facilitator, participants_of
from tests.web.test_game_form import GOOD, errors_by_field

TODAY = date(2026, 12, 6)


@pytest.fixture(autouse=True)
def fixed_today():
    with time_machine.travel(datetime(2026, 12, 6, 12, tzinfo=UTC), tick=False):
        yield


def _new_game(app, client, **fields):
    with app.app_context():
        make_facilitator()
    login(client)
    return client.post("/games/new", data={**GOOD, **fields})


def test_budget_and_exchange_day_reach_the_game_page_home_and_invitation(app, client):
    exchange = TODAY + timedelta(days=30)  # two days after the last day
    response = _new_game(app, client, budget="  About £5  ", exchange_on=str(exchange))
    assert response.status_code == 302, response.text
    with app.app_context():
        game = db.session.execute(select(Game)).scalar_one()
        assert (game.budget, game.exchange_on) == ("About £5", exchange)
        game_id = game.id
    page = client.get(f"/games/{game_id}").text
    assert "About £5" in page and "Tuesday 5 January 2027" in page
    assert client.get(f"/games/{game_id}/edit").text.count('value="About £5"') == 1
    with app.app_context():
        game = db.session.get(Game, game_id)
        setup.read_and_add(game, "Ada <ada@example.org>\nBea <bea@example.org>\nCy <c@x.org>", None)
        draw_names(game)
        invitations = (
            db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "invitation"))
            .scalars()
            .all()
        )
        assert len(invitations) == 3
        for mail in invitations:
            for body in (mail.body_text, mail.body_html):
                assert "About £5" in body and "Tuesday 5 January 2027" in body
        people = participants_of(game)
        token = participant_link_token(people[0].public_id, people[0].link_version)
    player = app.test_client()
    assert follow_link(player, f"/p/{token}").status_code == 302
    home = player.get("/me").text
    assert "Budget for in-person kindnesses:" in home and "About £5" in home
    assert "Exchange day:" in home and "Tuesday 5 January 2027" in home


def test_no_budget_and_no_day_say_nothing(app, client):
    assert _new_game(app, client).status_code == 302
    with app.app_context():
        game = db.session.execute(select(Game)).scalar_one()
        assert (game.budget, game.exchange_on) == ("", None)
    assert "Budget for" not in client.get(f"/games/{game.id}").text


def test_a_far_exchange_day_and_a_long_budget_show_beside_their_fields(app, client):
    page = _new_game(app, client, budget="£" * 61, exchange_on=str(TODAY + timedelta(days=60))).text
    errors = errors_by_field(page)
    assert set(errors) == {"budget", "exchange_on"}
    assert "60 characters" in errors["budget"][0]
    assert "exchange day" in errors["exchange_on"][0].lower()
    # Nothing typed is lost.
    assert "£" * 61 in page and str(TODAY + timedelta(days=60)) in page
    with app.app_context():
        assert db.session.execute(select(Game)).first() is None


@given(
    start=st.dates(date(2000, 1, 1), date(2100, 1, 1)),
    length=st.integers(0, 400),
    offset=st.integers(-60, 460),
)
def test_an_exchange_day_is_accepted_exactly_within_the_game_or_two_weeks_after(
    start, length, offset
):
    end = start + timedelta(days=length)
    day = start + timedelta(days=offset)
    problem = game_dates.exchange_problem(day, start, end)
    assert (problem is None) == (start <= day <= end + game_dates.EXCHANGE_GRACE)
    assert game_dates.exchange_problem(None, start, end) is None
