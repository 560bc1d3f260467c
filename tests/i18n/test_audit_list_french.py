"""The audit list reads in the organiser's language: the reasons the service wrote (stored in
English, before and now) are translated; what the organiser typed is shown as typed."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import Game
from app.services import moderation
from tests.helpers import login, make_facilitator, make_running_game

FRENCH = {"Accept-Language": "fr"}


def _audit_rows(client, game_id: int, headers: dict) -> list[str]:
    page = client.get(f"/games/{game_id}/moderation", headers=headers).get_data(as_text=True)
    table = re.search(r'aria-labelledby="audit-h">.*?</section>', page, re.S).group()
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in table.split("<tr>")[2:]
    ]


def test_written_reasons_read_in_french_and_typed_ones_as_typed(app, client):
    with app.app_context():
        game = make_running_game(make_facilitator(), 3)
        moderation.record(game, "printed link slips", "1 slip")
        moderation.record(game, "printed link slips", "12 slips")
        moderation.record(game, "new angels", "2 given a new angel")
        moderation.record(game, "dismiss", "Looks harmless")
        moderation.record(game, "end", "The game was ended.")
        db.session.commit()
        game_id = db.session.execute(select(Game.id)).scalar_one()
    login(client)
    french = " | ".join(_audit_rows(client, game_id, FRENCH))
    for words in (
        "1 billet",
        "12 billets",
        "2 participants ont reçu un nouvel ange",
        "La partie a été terminée.",
        "Looks harmless",  # typed by the organiser: never translated
    ):
        assert words in french
    for english in ("slip", "given a new angel", "The game was ended"):
        assert english not in french
    english = " | ".join(_audit_rows(client, game_id, {"Accept-Language": "en"}))
    for words in (
        "1 slip",
        "12 slips",
        "2 given a new angel",
        "The game was ended.",
        "Looks harmless",
    ):
        assert words in english
