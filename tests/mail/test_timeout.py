"""A mail server that accepts connections and never answers must not hold up the draw."""

from __future__ import annotations

import time

from sqlalchemy import select

from app.extensions import db
from app.models import Game, OutboxMessage
from tests.helpers import login, make_facilitator, make_game

TIMEOUT_ERROR = "the mail server did not answer in time"


def test_draw_returns_quickly_and_leaves_mail_queued(app, client, hanging_server):
    """The draw answers within 2 s, the game runs, and invitations wait with a timeout error."""
    assert app.config["MAIL_REQUEST_TIMEOUT"] == 1.0
    with app.app_context():
        game_id = make_game(make_facilitator(), 25).id  # more than one batch of 20
    assert login(client).status_code == 302

    started = time.monotonic()
    response = client.post(f"/games/{game_id}/draw")
    elapsed = time.monotonic() - started

    assert response.status_code == 302
    assert elapsed < 2.0, f"the draw took {elapsed:.2f}s"
    assert hanging_server.accepted, "the sender did reach the silent server"
    with app.app_context():
        assert db.session.get(Game, game_id).state == "running"
        rows = db.session.execute(select(OutboxMessage)).scalars().all()
    assert len(rows) == 25
    assert all(r.status == "queued" and r.sent_at is None for r in rows)
    tried = [r for r in rows if r.attempts]
    assert tried, "the first batch was tried"
    assert all(r.last_error == TIMEOUT_ERROR for r in tried), {r.last_error for r in tried}
    page = client.get(f"/games/{game_id}").get_data(as_text=True)
    assert f"retrying: {TIMEOUT_ERROR}" in page
