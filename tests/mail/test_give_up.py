"""Giving up: a permanent refusal fails at once; transient trouble after OUTBOX_MAX_ATTEMPTS."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.mail.outbox import send_due
from app.models import OutboxMessage, utcnow
from app.services.draw import draw_names
from tests.helpers import login, make_facilitator, make_game
from tests.mail.smtp_support import Inbox

PEOPLE = [
    ("Ada Lovelace", "ada@example.org"),
    ("Bea Quinn", "bea@example.org"),
    ("Cai Wen", "cai@example.org"),
    ("Dev Patel", "dev@example.org"),
]
UNLUCKY = "bea@example.org"


@pytest.fixture
def app_config(app_config):
    """Give up after two tries."""
    return {**app_config, "OUTBOX_MAX_ATTEMPTS": 2}


def _draw(app) -> int:
    with app.app_context():
        game = make_game(make_facilitator(), PEOPLE)
        draw_names(game)
        send_due()  # what cron's `flask tick` does after the draw queued the invitations
        return game.id


def _row(app, address: str) -> OutboxMessage:
    with app.app_context():
        row = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.to_addr == address)
        ).scalar_one()
        db.session.expunge(row)
    return row


def _invitation_cells(client, game_id: int) -> dict[str, str]:
    """The facilitator's game page: email -> text of that roster row."""
    assert login(client).status_code == 302
    page = client.get(f"/games/{game_id}")
    assert page.status_code == 200
    rows = re.findall(r"<tr>(.*?)</tr>", page.get_data(as_text=True), flags=re.S)
    cells = {}
    for row in rows:
        email = re.search(r'<td class="email">([^<]+)</td>', row)
        if email:
            cells[email.group(1)] = row
    assert set(cells) == {e for _, e in PEOPLE}
    return cells


def test_permanent_refusal_fails_at_once_and_shows_failed(app, client, smtp_server):
    """A 550 for a recipient marks that row failed on the first try; the page shows Failed."""
    inbox = Inbox()
    inbox.rcpt_replies[UNLUCKY] = "550 5.1.1 No such user here"
    smtp_server.start(inbox)
    game_id = _draw(app)

    row = _row(app, UNLUCKY)
    assert row.status == "failed" and row.attempts == 1 and row.sent_at is None
    assert "550" in row.last_error and "No such user" in row.last_error
    assert len(inbox.messages) == len(PEOPLE) - 1 and not inbox.to(UNLUCKY)
    for _, other in PEOPLE:
        if other != UNLUCKY:
            assert _row(app, other).status == "sent"

    with app.app_context():  # a failed row is never tried again
        assert send_due(now=utcnow() + timedelta(days=30)).sent == 0
    assert _row(app, UNLUCKY).attempts == 1

    cells = _invitation_cells(client, game_id)
    assert "Failed" in cells[UNLUCKY] and "No such user" in cells[UNLUCKY]
    assert all("Sent" in cells[e] for _, e in PEOPLE if e != UNLUCKY)


@pytest.mark.parametrize("trouble", ["451 for the recipient", "server down"])
def test_transient_failures_beyond_max_attempts_fail(app, client, smtp_server, trouble):
    """Transient trouble keeps a row queued until OUTBOX_MAX_ATTEMPTS (2), then fails it."""
    if trouble == "server down":
        unlucky = [e for _, e in PEOPLE]
    else:
        inbox = Inbox()
        inbox.rcpt_replies[UNLUCKY] = "451 4.3.0 Mailbox busy, try later"
        smtp_server.start(inbox)
        unlucky = [UNLUCKY]
    game_id = _draw(app)

    for address in unlucky:
        row = _row(app, address)
        assert row.status == "queued" and row.attempts == 1 and row.last_error
    with app.app_context():
        report = send_due(now=utcnow() + timedelta(hours=1))
    assert report.failed == len(unlucky) and report.sent == 0
    for address in unlucky:
        row = _row(app, address)
        assert row.status == "failed" and row.attempts == 2 and row.sent_at is None
        assert row.last_error
    if trouble == "server down":
        assert _row(app, UNLUCKY).last_error == "the mail server refused the connection"
    else:
        assert "451" in _row(app, UNLUCKY).last_error

    with app.app_context():  # given up: never tried again
        assert send_due(now=utcnow() + timedelta(days=30)).failed == 0
    assert all(_row(app, a).attempts == 2 for a in unlucky)

    cells = _invitation_cells(client, game_id)
    for _, address in PEOPLE:
        expected = "Failed" if address in unlucky else "Sent"
        assert expected in cells[address], cells[address]


def test_any_5xx_answer_is_permanent_and_4xx_is_not():
    """A 5xx to MAIL FROM or DATA will not get better by retrying; a 4xx may."""
    import smtplib

    from app.mail.smtp import is_permanent

    assert is_permanent(smtplib.SMTPDataError(554, b"rejected as spam"))
    assert is_permanent(smtplib.SMTPSenderRefused(550, b"no", "angels@angels.test"))
    assert not is_permanent(smtplib.SMTPDataError(451, b"try later"))
    assert not is_permanent(smtplib.SMTPRecipientsRefused({"a@x.org": (450, b"busy")}))
