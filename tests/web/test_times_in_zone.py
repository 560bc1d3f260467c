"""Every time a page shows is on the game's own clock; participants read "Paris time", never
"Europe/Paris"."""

from __future__ import annotations

import random
import re
from datetime import datetime

from sqlalchemy import select, update

from app.extensions import db
from app.models import AuditEntry, CourierRequest, Game, Participant
from app.services import moderation, notes
from tests.helpers import (
    login,
    make_facilitator,
    make_running_game,
    open_as_participant,
    pairings_of,
    without_csrf,
)

# 12:00 UTC on a winter day: 13:00 in Paris, 12:00 in a UTC game.
NOON_UTC = datetime(2026, 12, 9, 12, 0)
_WORD_UTC = re.compile(r"(?<![\w.-])UTC(?![\w.-])")


def courier_page(app, client, zone: str) -> str:
    """The deliveries page of the courier asked to carry a kindness, in a game in `zone`."""
    with app.app_context():
        game = make_running_game(make_facilitator(), 5)
        game.timezone = zone
        db.session.commit()
        angel = db.session.get(Participant, next(iter(pairings_of(game))))
        notes.request_in_person(angel, "Leave a tea bag", "", rng=random.Random(2))
        db.session.execute(
            update(CourierRequest).values(released_at=datetime(2026, 1, 1), expires_at=NOON_UTC)
        )
        db.session.commit()
        courier = db.session.get(
            Participant, db.session.execute(select(CourierRequest.courier_id)).scalar_one()
        )
        open_as_participant(client, app, courier)
    return client.get("/me/deliveries").get_data(as_text=True)


def test_the_couriers_deadline_is_on_the_games_clock_and_says_whose(app, client):
    page = courier_page(app, client, "Europe/Paris")
    assert "Please answer by <strong>Wed 9 Dec 13:00 (Paris time)</strong>" in page
    assert "Europe/Paris" not in page
    # As a word: a random token or id on the page may hold those three letters.
    assert not _WORD_UTC.search(without_csrf(page))


def test_in_a_utc_game_the_deadline_carries_no_zone_at_all(app, client):
    page = courier_page(app, client, "UTC")
    assert "Please answer by <strong>Wed 9 Dec 12:00</strong>" in page
    assert "UTC time" not in page


def test_the_moderation_log_is_on_the_games_clock(app, client):
    with app.app_context():
        game = make_running_game(make_facilitator(), 3)
        game.timezone = "America/New_York"
        moderation.record(game, "printed link slips")
        db.session.execute(update(AuditEntry).values(created_at=NOON_UTC))
        db.session.commit()
        game_id = db.session.execute(select(Game.id)).scalar_one()
    login(client)
    page = client.get(f"/games/{game_id}/moderation").get_data(as_text=True)
    assert "9 Dec 2026 07:00 New York (America/New_York)" in page
