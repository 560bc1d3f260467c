"""Links: "I lost my link" (same answer for everyone, rate-limited), the game's public page,
and logging out of a participant session.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db, limiter
from app.models import OutboxMessage
from app.services import links
from tests.helpers import (
    follow_link,
    make_facilitator,
    make_game,
    make_running_game,
    open_as_participant,
)

RUNNING = ("Aurora Finch", "aurora.f@example.org")
DRAFT = ("Bartholomew Quill", "bquill@example.org")
NOBODY = "nobody.here@example.org"


@pytest.fixture
def games(app):
    """A running game with Aurora in it and a draft game with Bartholomew in it."""
    limiter.reset()
    with app.app_context():
        facilitator = make_facilitator()
        running = make_running_game(
            facilitator,
            [
                RUNNING,
                ("Cressida Vance", "cvance@example.org"),
                ("Desmond Yates", "dy@example.org"),
            ],
        )
        make_game(
            facilitator,
            [DRAFT, ("Evangeline Pike", "epike@example.org"), ("Florian Gage", "fg@example.org")],
            name="Next month",
        )
        return running.public_id


def fresh_links(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(
            db.session.execute(
                select(OutboxMessage).where(OutboxMessage.kind == "fresh-link")
            ).scalars()
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def ask(client, email: str):
    return client.post("/lost-link", data={"email": email})


def answer_requests(app) -> int:
    """The periodic work answers lost-link requests (the public page only records them)."""
    with app.app_context():
        return links.answer_link_requests()


def test_lost_link_answers_the_same_for_everyone_and_mails_only_a_running_player(
    app, client, games
):
    answers = []
    for email in (RUNNING[1], NOBODY, DRAFT[1]):
        first = ask(client, email)
        assert first.status_code == 302
        page = client.get(first.location)
        answers.append((first.status_code, first.location, page.status_code, page.text))
    assert answers[0] == answers[1] == answers[2]
    assert "If that address belongs to a running game" in answers[0][3]
    # The page looked nothing up: every request waits, the same, for the periodic work.
    assert fresh_links(app) == []
    assert answer_requests(app) == 3

    (mail,) = fresh_links(app)
    assert mail.to_addr == RUNNING[1]
    link = re.search(r"http://angels\.test(/p/\S+)", mail.body_text).group(1)
    browser = app.test_client()
    opened = follow_link(browser, link)
    assert opened.status_code == 302
    me = browser.get(opened.location)
    assert me.status_code == 200 and f"Hello, {RUNNING[0]}" in me.text


def test_game_page_offers_the_lost_link_form(client, games):
    page = client.get(f"/g/{games}")
    assert page.status_code == 200
    form = page.text.split('action="/lost-link"', 1)[1].split("</form>", 1)[0]
    assert 'name="email"' in form
    missing = client.get("/g/no-such-game")
    assert missing.status_code == 404
    assert "Page not found" in missing.text and "Traceback" not in missing.text


def test_lost_link_limits_one_address_to_three_an_hour(app, client, games):
    limiter.reset()
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("memory://")
    for _ in range(3):
        assert ask(client, RUNNING[1]).status_code == 302
    blocked = ask(client, RUNNING[1].upper())  # the same address in other capitals
    assert blocked.status_code == 429
    assert "Slow down" in blocked.text
    assert "Traceback" not in blocked.text and "flask_limiter" not in blocked.text.lower()
    assert answer_requests(app) == 3
    # Answered together, three requests for one address renew the link once.
    assert len(fresh_links(app)) == 1
    # Another address from the same client is still fine; the form itself still shows.
    assert ask(client, NOBODY).status_code == 302
    assert client.get("/lost-link").status_code == 200
    # reset() clears the memory storage.
    limiter.reset()
    assert ask(client, RUNNING[1]).status_code == 302


def test_lost_link_limits_one_client_to_twenty_an_hour(app, client, games):
    limiter.reset()
    for i in range(20):
        assert ask(client, f"someone{i}@example.org").status_code == 302, i
    blocked = ask(client, "someone-else@example.org")
    assert blocked.status_code == 429 and "Slow down" in blocked.text
    assert "Traceback" not in blocked.text
    # Another client is counted on its own.
    other = app.test_client()
    response = other.post(
        "/lost-link",
        data={"email": "someone-else@example.org"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert response.status_code == 302


def test_participant_logout_ends_the_session_but_not_the_link(app, client, games):
    with app.app_context():
        from app.models import Participant

        person = db.session.execute(
            select(Participant).where(Participant.email_key == RUNNING[1])
        ).scalar_one()
        db.session.expunge(person)
    assert open_as_participant(client, app, person).status_code == 302
    assert client.get("/me").status_code == 200

    out = client.post("/me/logout")
    assert out.status_code == 200 and "logged out" in out.text

    after = client.get("/me")
    assert after.status_code == 404 and "link doesn" in after.text
    assert open_as_participant(client, app, person).status_code == 302
    assert client.get("/me").status_code == 200
