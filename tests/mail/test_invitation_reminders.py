"""One reminder of an invitation nobody opened, as a real SMTP server receives it; the
facilitator sees only how many have not opened their page, never who."""

from __future__ import annotations

import random
import re
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.mail.outbox import send_due
from app.models import Game, OutboxMessage, Participant, utcnow
from app.services import dashboard, periodic, rounds
from tests.helpers import (
    follow_link,
    login,
    make_facilitator,
    make_running_game,
    participants_of,
)
from tests.mail.smtp_support import link_path, text_and_html

PEOPLE = [
    ("Ada Lovelace", "ada@example.org"),
    ("Bea Quinn", "bea@example.net"),
    ("Zoë Müller", "zoe@example.com"),
    ("Grace O'Brien", "grace@example.org"),
    ("Tomás Ortega", "tomas@school.example"),
    ("Kofi Mensah", "kofi@example.org"),
]


def _invited(app, smtp):
    """A drawn game whose invitations went out; Ada opened her page, Bea turned reminders off."""
    with app.app_context():
        game = make_running_game(make_facilitator(), PEOPLE, seed=7)
        send_due()
        people = participants_of(game)
        invitations = {m.to: link_path(text_and_html(m.message)[0]) for m in _received(smtp)}
        people[1].reminders = False
        db.session.commit()
        ids = {p.email: p.id for p in people}
        game_id = game.id
    smtp.inbox.messages.clear()
    assert follow_link(app.test_client(), invitations["ada@example.org"]).status_code == 302
    return game_id, ids, invitations


def _without_csrf(page: str) -> str:
    return re.sub(r'value="[^"]*\.[^"]*\.[^"]*"', 'value=""', page)


def _received(smtp):
    for received in smtp.inbox.messages:
        received.to = received.rcpt_tos[0]
    return smtp.inbox.messages


def _reminders(app):
    with app.app_context():
        return (
            db.session.execute(
                select(OutboxMessage).where(OutboxMessage.kind == "invitation-reminder")
            )
            .scalars()
            .all()
        )


def test_an_unopened_invitation_is_reminded_once_a_day_later_in_a_round(app, smtp, client):
    game_id, ids, invitations = _invited(app, smtp)
    login(client)
    roster_before = client.get(f"/games/{game_id}").text
    start = utcnow()
    with app.app_context():
        # Not before a day has passed.
        assert periodic.tick(now=start + timedelta(hours=23)).invitations_reminded == 0
        report = periodic.tick(now=start + timedelta(hours=25), rng=random.Random(1))
    # Ada opened her page, Bea turned reminders off: the other four are reminded.
    assert report.invitations_reminded == 4
    rows = _reminders(app)
    assert sorted(r.to_addr for r in rows) == sorted(
        e for _, e in PEOPLE if e not in ("ada@example.org", "bea@example.net")
    )
    with app.app_context():
        game = db.session.get(Game, game_id)
        schedule = rounds.schedule_of(game)
        for row in rows:
            # Released at a moment of a later delivery round, not when the tick ran.
            assert row.next_attempt_at > start + timedelta(hours=25)
            assert row.next_attempt_at - (start + timedelta(hours=25)) >= schedule.min_delay
        # Never twice, however often the tick runs.
        assert periodic.tick(now=start + timedelta(hours=30)).invitations_reminded == 0
        assert periodic.tick(now=start + timedelta(days=5)).invitations_reminded == 0
        smtp.inbox.messages.clear()
        send_due(now=start + timedelta(days=6))
    assert len(_reminders(app)) == 4
    # The roster's page reads the same: nothing on it tells who was reminded.
    assert _without_csrf(client.get(f"/games/{game_id}").text) == _without_csrf(roster_before)
    reminders = [m for m in _received(smtp) if "is waiting" in m.message["Subject"]]
    assert sorted(m.to for m in reminders) == sorted(r.to_addr for r in rows)
    for received in reminders:
        text, html = text_and_html(received.message)
        assert received.rcpt_tos == [received.to]
        # The private link again: the invitation's person and link version (signed anew).
        assert link_path(text).split(".")[0] == invitations[received.to].split(".")[0]
        assert "hasn't been opened yet" in text
        # Never a mortal's name (nor anyone else's) in it.
        others = [n for n, e in PEOPLE if e != received.to]
        for name in others:
            assert name not in text and name not in html
    zoe = follow_link(app.test_client(), invitations["zoe@example.com"])
    assert zoe.status_code == 302 and zoe.headers["Location"] == "/me"


def test_the_facilitator_sees_how_many_have_not_opened_never_who(app, smtp, client):
    game_id, ids, invitations = _invited(app, smtp)
    with app.app_context():
        # A day later, everybody but Ada and Bea opened theirs (Bea never did).
        for person in db.session.execute(select(Participant)).scalars():
            if person.email != "bea@example.net":
                person.first_opened_at = utcnow() - timedelta(days=3)
                person.created_at = utcnow() - timedelta(days=4)
            else:
                person.created_at = utcnow() - timedelta(days=4)
        db.session.commit()
        figures = dashboard.dashboard_of(db.session.get(Game, game_id), now=utcnow())
    # One of six has not opened: too few to show, and so is the five beside it.
    assert figures.participants.value == 6
    assert figures.not_opened.text == figures.opened.text == "not shown"
    login(client)
    page = client.get(f"/games/{game_id}/dashboard").text
    assert "Have not opened it yet" in page
    for name, email in PEOPLE:
        assert name not in page and email not in page
    # The roster names people, but says nothing of who opened their page.
    roster = client.get(f"/games/{game_id}").text
    assert "opened" not in roster.lower()
