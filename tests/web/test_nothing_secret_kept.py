"""Nothing secret in logs or kept after use: no email body, link, token or pairing is logged at
any level (SQL errors included), and a sent email's body is not kept in the database."""

from __future__ import annotations

import logging
import random
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.mail.outbox import send_due
from app.models import OutboxMessage, Pairing, Participant, utcnow
from app.services import notes, periodic
from tests.helpers import (
    DISTINCT_PEOPLE,
    make_facilitator,
    make_running_game,
    open_as_participant,
    participants_of,
)


@pytest.fixture
def app_config(app_config):
    """Log SQL too, as an operator chasing a problem might."""
    return {**app_config, "SQLALCHEMY_ECHO": True}


def test_a_whole_round_of_play_logs_no_link_token_or_pairing(app, caplog):
    """Draw, open links, send notes and in-person kindnesses, deliver, thank, and queue mail,
    with every logger at DEBUG: the log holds no private link, no token and no name."""
    caplog.set_level(logging.DEBUG)
    with app.app_context():
        game = make_running_game(make_facilitator(), DISTINCT_PEOPLE, seed=4)
        found = participants_of(game)
        people = [
            SimpleNamespace(name=p.name, public_id=p.public_id, link_version=p.link_version)
            for p in found
        ]
        names = [p.name for p in found] + [p.email for p in found]
        now = utcnow() - timedelta(days=2)
        for person in found:
            notes.send_note(person, f"Note from {person.name}", now=now)
        notes.request_in_person(found[0], "Leave a flower", "", rng=random.Random(1))
        periodic.tick(now=utcnow())
        tokens = [row.body_text for row in db.session.execute(select(OutboxMessage)).scalars()]
    links = {match for body in tokens for match in re.findall(r"/(?:p|prefs)/([\w.-]+)", body)}
    assert links, "the outbox holds links to look for"
    for person in people:
        client = app.test_client()
        assert open_as_participant(client, app, person).status_code == 302
        client.get("/me/inbox")
        client.get("/me/angel")
    logged = caplog.text
    assert logged, "something was logged (SQL echo is on)"
    for link in links:
        assert link not in logged
    for secret in names:
        assert secret not in logged


def test_a_failed_statement_never_logs_its_values(app, client, caplog, monkeypatch):
    """SQLAlchemy runs with hide_parameters, so an error carries the SQL but not the values
    bound to it; and since the database's own message may quote the refused row (PostgreSQL's
    DETAIL), a request that fails on the database logs neither."""
    with app.app_context():
        game = make_running_game(make_facilitator(), 5, seed=1)
        angel = participants_of(game)[0]
        angel_id, email, key, public_id = angel.id, angel.email, angel.email_key, angel.public_id
        person = SimpleNamespace(public_id=public_id, link_version=angel.link_version)
        game_id = game.id
        secret_mortal = 987654
        with pytest.raises(IntegrityError) as caught:
            db.session.execute(
                insert(Pairing).values(game_id=game_id, angel_id=angel_id, mortal_id=secret_mortal)
            )
        db.session.rollback()
    assert "parameters hidden" in str(caught.value)

    def duplicate_participant(*args, **kwargs):
        """A real constraint failure inside a request, quoting a participant's address."""
        db.session.execute(
            insert(Participant).values(
                game_id=game_id,
                name="Zebedee Secretname",
                email=email,
                email_key=key,
                public_id="another-public-id",
            )
        )

    monkeypatch.setattr(notes, "send_note", duplicate_participant)
    assert open_as_participant(client, app, person).status_code == 302
    caplog.set_level(logging.DEBUG)
    response = client.post("/me/angel/note", data={"message": "Hello", "when": "next"})
    assert response.status_code == 500
    assert "Traceback" not in response.text and email not in response.text
    logged = r"Database error \w+ \(SQLSTATE [\w-]+\) during POST participant.send_note"
    assert re.search(logged, caplog.text)
    for secret in (email, "Zebedee", str(game_id) + ", " + key):
        assert secret not in caplog.text


def test_a_sent_email_keeps_no_body(app):
    """Once sent, a message's body (with its live link) is cleared; its envelope stays, so the
    facilitator still sees that an invitation went out."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_SUPPRESS_SEND=True)
    with app.app_context():
        make_running_game(make_facilitator(), 5, seed=2)
        assert send_due().sent == 5
        rows = list(db.session.execute(select(OutboxMessage)).scalars())
    assert {r.status for r in rows} == {"sent"}
    assert all(r.body_text == "" and r.body_html == "" for r in rows)
    assert all(r.to_addr and r.subject for r in rows)
