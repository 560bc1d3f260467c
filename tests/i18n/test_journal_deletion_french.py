"""The journal mailed as a game is deleted is written in its owner's language, whatever
language the organiser who deletes it reads the site in."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from app.extensions import db
from app.models import Game, OutboxMessage
from app.services import ending
from tests.helpers import make_world

ENGLISH = re.compile(r"\b(the|your|you|what|did|felt|journal from|written|values?|day)\b", re.I)


def test_a_french_players_journal_comes_in_french(app):
    world = make_world(app)
    with app.app_context():
        db.session.execute(update(Game).values(language="fr"))
        db.session.commit()
    writer = world.ids[0]
    client = world.client(writer)
    assert client.post("/me/journal/value", data={"value-value": "Patience"}).status_code == 302
    response = client.post(
        "/me/journal", data={"entry-day": "2026-12-03", "entry-did": "Zorblax", "entry-felt": ""}
    )
    assert response.status_code == 302, response.text
    with app.app_context():
        ending.end_game(db.session.get(Game, world.game_id))
    # The organiser reads the site in English.
    response = world.fac.post(
        f"/games/{world.game_id}/delete",
        data={"name": world.game_name},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 302, response.text
    with app.app_context():
        (queued,) = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "journal-before-deletion")
        ).scalars()
        assert queued.subject == f"Votre journal de {world.game_name}"
        journal = queued.attachment_text
    assert "Zorblax" in journal and "Patience" in journal
    assert "3 décembre 2026" in journal or "3 déc." in journal, journal
    leftover = ENGLISH.findall(
        journal.replace(world.game_name, " ").replace(world.name(writer), " ")
    )
    assert not leftover, journal
    assert not ENGLISH.findall(queued.body_text.replace(world.game_name, " ")), queued.body_text
