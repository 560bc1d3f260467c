"""Two senders at once (two cron runs, two workers): every message goes out exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.mail.outbox import send_due
from app.models import OutboxMessage, utcnow
from tests.helpers import make_facilitator, make_running_game, participants_of

PEOPLE = 40


def test_two_senders_at_once_send_each_message_exactly_once(app, smtp_server):
    """Two threads run send_due together on one database; each message is received once."""
    with app.app_context():  # the server is down during the draw: everything stays queued
        game = make_running_game(make_facilitator(), PEOPLE)
        addresses = [p.email for p in participants_of(game)]
        queued = db.session.execute(select(OutboxMessage.status)).scalars().all()
    assert queued == ["queued"] * PEOPLE
    smtp_server.start()

    later = utcnow() + timedelta(hours=1)  # past every back-off
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def sender() -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                while True:  # small batches, so the two senders' claims interleave
                    report = send_due(now=later, limit=5)
                    reports.append(report)
                    if report.sent == 0 and not report.errors:
                        break
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []

    assert sum(r.sent for r in reports) == PEOPLE
    assert all(r.errors == [] for r in reports)
    received = Counter(r for m in smtp_server.inbox.messages for r in m.rcpt_tos)
    assert received == Counter(addresses)
    ids = [str(m.message["Message-ID"]).strip() for m in smtp_server.inbox.messages]
    assert len(set(ids)) == PEOPLE
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage)).scalars().all()
        assert all(r.status == "sent" and r.sent_at is not None for r in rows)
        assert {r.message_id for r in rows} == set(ids)
