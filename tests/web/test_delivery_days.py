"""A game that delivers on weekdays only: nothing arrives, and nobody is reminded, at weekends."""

from __future__ import annotations

import random
import re
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.models import Game, Kindness, Participant
from app.services import notes, periodic
from tests.helpers import login, make_facilitator, make_running_game, pairings_of

FRIDAY = date(2026, 12, 4)
SATURDAY = FRIDAY + timedelta(days=1)
MONDAY = FRIDAY + timedelta(days=3)


def weekday_game(app, days: str = "weekdays") -> int:
    """A running game of five that delivers on `days`, drawn long before Friday."""
    with app.app_context():
        game = make_running_game(make_facilitator(), 5)
        game.delivery_days = days
        game.drawn_at = datetime(2026, 11, 20)
        db.session.execute(
            update(Participant)
            .where(Participant.game_id == game.id)
            .values(created_at=datetime(2026, 11, 19))
        )
        db.session.commit()
        return game.id


def test_the_days_an_angel_may_choose_skip_the_weekend(app):
    game_id = weekday_game(app)
    with app.app_context():
        days = notes.delivery_days(db.session.get(Game, game_id), datetime(2026, 12, 3, 12))
    assert days and all(day.weekday() < 5 for day in days)
    assert FRIDAY in days and MONDAY in days and SATURDAY not in days


def test_a_note_sent_on_friday_evening_arrives_on_monday(app):
    game_id = weekday_game(app)
    with app.app_context():
        game = db.session.get(Game, game_id)
        angel_id = next(iter(pairings_of(game)))
        angel = db.session.get(Participant, angel_id)
        note = notes.send_note(
            angel, "You are great", now=datetime(2026, 12, 4, 20), rng=random.Random(1)
        )
        assert note.deliver_at.date() == MONDAY
        assert note.deliver_at.time() >= time(9)


def test_nobody_is_reminded_at_the_weekend_and_everyone_is_on_monday(app):
    game_id = weekday_game(app)
    with app.app_context():
        assert periodic.tick(now=datetime(2026, 12, 5, 10), rng=random.Random(0)).reminded == 0
        assert periodic.tick(now=datetime(2026, 12, 6, 10), rng=random.Random(0)).reminded == 0
        assert periodic.tick(now=datetime(2026, 12, 7, 10), rng=random.Random(0)).reminded == 5
        assert not db.session.execute(select(Kindness).where(Kindness.game_id == game_id)).first()


def test_an_every_day_game_still_reminds_on_saturday(app):
    weekday_game(app, "every")
    with app.app_context():
        assert periodic.tick(now=datetime(2026, 12, 5, 10), rng=random.Random(0)).reminded == 5


def test_the_facilitator_chooses_weekdays_on_the_game_form(app, client):
    with app.app_context():
        make_facilitator()
    login(client)
    response = client.post(
        "/games/new",
        data={
            "name": "Class 7B",
            "group_kind": "class",
            "starts_on": "2026-12-07",
            "ends_on": "2026-12-20",
            "delivery_times": "09:00",
            "delivery_days": "weekdays",
            "timezone": "Europe/Paris",
        },
    )
    assert response.status_code == 302, response.text
    with app.app_context():
        game = db.session.execute(select(Game)).scalar_one()
        assert game.delivery_days == "weekdays"
        game_id = game.id
    page = client.get(f"/games/{game_id}/edit").text
    [weekdays] = re.findall(r'<input[^>]*value="weekdays"[^>]*>', page)
    assert "checked" in weekdays
