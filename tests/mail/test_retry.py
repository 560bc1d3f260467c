"""The server goes down mid-send: what was not sent waits, and is sent exactly once later."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.mail.outbox import send_due
from app.models import OutboxMessage, utcnow
from tests.helpers import make_facilitator, make_running_game, participants_of

PEOPLE = 8
ACCEPTED_FIRST = 3


def _rows(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())
        db.session.expunge_all()
    return rows


def _draw_while_server_fails_after(app, smtp_server, accepted: int) -> list[str]:
    """Draw with a server that accepts `accepted` messages then says 421 and goes down."""
    inbox = smtp_server.start()
    inbox.accept_limit = accepted
    with app.app_context():
        game = make_running_game(make_facilitator(), PEOPLE)
        send_due()  # the sender's first pass after the draw queued the invitations
        addresses = [p.email for p in participants_of(game)]
    smtp_server.stop()
    return addresses


def test_unsent_rows_stay_queued_with_error_and_attempt(app, smtp_server):
    """Rows after the server broke are queued with last_error and attempts=1; the rest are sent."""
    _draw_while_server_fails_after(app, smtp_server, ACCEPTED_FIRST)
    rows = _rows(app)
    assert len(smtp_server.all_messages) == ACCEPTED_FIRST
    sent = [r for r in rows if r.status == "sent"]
    queued = [r for r in rows if r.status == "queued"]
    assert len(sent) == ACCEPTED_FIRST and len(queued) == PEOPLE - ACCEPTED_FIRST
    assert all(r.sent_at is not None for r in sent)
    for row in queued:
        assert row.attempts == 1
        assert row.last_error
        assert row.sent_at is None and row.claim_token is None
        assert row.next_attempt_at > utcnow()  # backed off
    assert "421" in queued[0].last_error

    # Still down: another pass refuses the connection and counts a second attempt.
    with app.app_context():
        report = send_due(now=utcnow() + timedelta(hours=1))
    assert report.sent == 0 and report.retrying == PEOPLE - ACCEPTED_FIRST
    for row in (r for r in _rows(app) if r.status != "sent"):
        assert row.status == "queued" and row.attempts == 2
        assert row.last_error == "the mail server refused the connection"


@pytest.mark.parametrize("recover_with", ["send_due", "cli"])
def test_after_recovery_everyone_has_exactly_one_message(app, smtp_server, recover_with):
    """Once the server is back, retries deliver the rest: none lost, none twice, same Message-ID."""
    if recover_with == "cli":
        # `flask outbox send` uses the real clock, so retry with no back-off.
        app.config["OUTBOX_BACKOFF_SECONDS"] = 0
    addresses = _draw_while_server_fails_after(app, smtp_server, ACCEPTED_FIRST)
    before = {r.id: r for r in _rows(app)}
    smtp_server.start()  # a new server on the same port
    runner = app.test_cli_runner()
    for hours in (1, 2, 3):  # more than one pass: the later ones must find nothing to do
        if recover_with == "cli":
            result = runner.invoke(args=["outbox", "send"])
            assert result.exit_code == 0, result.output
            expected = PEOPLE - ACCEPTED_FIRST if hours == 1 else 0
            assert f"sent {expected}, will retry 0, failed 0" in result.output
        else:
            with app.app_context():
                send_due(now=utcnow() + timedelta(hours=hours))

    received = Counter(r for m in smtp_server.all_messages for r in m.rcpt_tos)
    assert received == Counter(addresses)  # exactly one each, across both servers
    assert len(smtp_server.inboxes[0].messages) == ACCEPTED_FIRST
    assert len(smtp_server.inboxes[1].messages) == PEOPLE - ACCEPTED_FIRST

    rows = _rows(app)
    assert all(r.status == "sent" and r.sent_at is not None for r in rows)
    by_id = {str(m.message["Message-ID"]).strip(): m for m in smtp_server.all_messages}
    for row in rows:
        assert row.message_id == before[row.id].message_id  # stable across retries
        assert by_id[row.message_id].rcpt_tos == [row.to_addr]
    for retried in smtp_server.inboxes[1].messages:
        row = next(r for r in rows if r.to_addr == retried.rcpt_tos[0])
        assert before[row.id].status == "queued"
        assert str(retried.message["Message-ID"]).strip() == row.message_id
        assert row.attempts == 2 and row.last_error is None
