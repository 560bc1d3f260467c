"""A mail server that accepts connections and never answers must not hold up the draw, nor
the sender for longer than its timeout."""

from __future__ import annotations

import time

from sqlalchemy import select

from app.extensions import db
from app.mail.outbox import send_due
from app.models import Game, OutboxMessage
from tests.helpers import login, make_facilitator, make_game

TIMEOUT_ERROR = "the mail server did not answer in time"


def test_draw_returns_quickly_and_leaves_mail_queued(app, client, hanging_server):
    """The draw answers at once without talking to the mail server; the sender then gives up
    on the silent server after its timeout and leaves the invitations queued with the reason."""
    with app.app_context():
        game_id = make_game(make_facilitator(), 25).id
    assert login(client).status_code == 302

    started = time.monotonic()
    response = client.post(f"/games/{game_id}/draw")
    elapsed = time.monotonic() - started

    assert response.status_code == 302
    # Waiting on the silent server would take the whole MAIL_TIMEOUT (10 s); half of it leaves
    # a loaded machine room.
    assert elapsed < 5.0, f"the draw took {elapsed:.2f}s"
    assert not hanging_server.accepted, "a request talked to the mail server"
    with app.app_context():
        assert db.session.get(Game, game_id).state == "running"
        rows = db.session.execute(select(OutboxMessage)).scalars().all()
        assert len(rows) == 25
        assert all(r.status == "queued" and r.attempts == 0 for r in rows)

        started = time.monotonic()
        report = send_due(timeout=1.0)
        assert time.monotonic() - started < 5.0
        assert report.sent == 0 and report.retrying == 25
        db.session.expire_all()
        rows = db.session.execute(select(OutboxMessage)).scalars().all()
    assert hanging_server.accepted, "the sender did reach the silent server"
    assert all(r.status == "queued" and r.sent_at is None for r in rows)
    assert all(r.last_error == TIMEOUT_ERROR for r in rows), {r.last_error for r in rows}
    page = client.get(f"/games/{game_id}").get_data(as_text=True)
    assert f"retrying: {TIMEOUT_ERROR}" in page


def test_the_page_load_tick_never_holds_up_a_page(app, client, hanging_server):
    """With the embedded server's page-load tick on and a mail server that never answers, the
    facilitator's pages answer at once: the tick sends in a thread of its own, and the page
    does not wait for it (it used to take the 10 s MAIL_TIMEOUT)."""
    app.config.update(AUTO_TICK=True, AUTO_TICK_SECONDS=0, MAIL_TIMEOUT=3.0)
    from app.web import autotick

    autotick.init_app(app)
    with app.app_context():
        game_id = make_game(make_facilitator(), 5).id
    assert login(client).status_code == 302
    assert client.post(f"/games/{game_id}/draw").status_code == 302
    slowest = 0.0
    for _ in range(3):
        started = time.monotonic()
        assert client.get(f"/games/{game_id}").status_code == 200
        slowest = max(slowest, time.monotonic() - started)
    # A page that waited would take the whole MAIL_TIMEOUT (3 s).
    assert slowest < 2.5, f"a page waited {slowest:.2f}s"
    deadline = time.monotonic() + 10
    while not hanging_server.accepted and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hanging_server.accepted, "the background tick did try the mail server"
    # The background tick gives up on the silent server after MAIL_TIMEOUT.
    assert autotick.settle(timeout=10)
