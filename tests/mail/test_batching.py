"""Mail at the speed of SMTP: one run sends batch after batch over one connection, claiming a
batch in one statement, and queueing in bulk stores what queueing alone does."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import create_engine, event, func, select, text

from app.database import WAL_CHECKPOINT_PAGES
from app.domain.states import OutboxStatus
from app.extensions import db
from app.mail.bulk import in_bulk
from app.mail.messages import enqueue_invitation
from app.mail.outbox import send_due
from app.models import OutboxMessage, utcnow
from tests.helpers import make_facilitator, make_running_game, participants_of
from tests.mail.smtp_support import Inbox

PEOPLE = 23
BATCH = 5


def _draw(app, people: int = PEOPLE) -> list[str]:
    with app.app_context():
        game = make_running_game(make_facilitator(), people)
        return [p.email for p in participants_of(game)]


class StatementLog:
    """Every UPDATE of the outbox the sender runs, with its parameters."""

    def __init__(self) -> None:
        self.updates: list[tuple[str, object]] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):  # noqa: ARG002
        if statement.lstrip().upper().startswith("UPDATE OUTBOX_MESSAGE"):
            self.updates.append((statement, parameters))

    def marking(self, status: str) -> int:
        """How many UPDATEs set this status."""
        return sum(1 for _, params in self.updates if status in _flat(params))


def _flat(params) -> list:
    if isinstance(params, dict):
        return list(params.values())
    return list(params or ())


def test_one_run_sends_every_batch_over_one_connection_each_row_once(app, smtp):
    """23 invitations claimed 5 at a time: the server sees one connection deliver each
    invitation exactly once; every row is sent, attempted once, its body cleared."""
    addresses = _draw(app)
    with app.app_context():
        report = send_due(limit=BATCH)
    assert report.sent == PEOPLE and report.errors == [] and not report.out_of_time
    received = Counter(r for m in smtp.inbox.messages for r in m.rcpt_tos)
    assert received == Counter(addresses)
    assert smtp.inbox.connections == 1
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage)).scalars().all()
        assert {r.status for r in rows} == {OutboxStatus.SENT}
        assert all(r.attempts == 1 and r.sent_at is not None for r in rows)
        assert all((r.body_text, r.body_html, r.claim_token) == ("", "", None) for r in rows)
        ids = {str(m.message["Message-ID"]).strip() for m in smtp.inbox.messages}
        assert ids == {r.message_id for r in rows}


class CommittedMarks(Inbox):
    """A server that, as each message arrives, counts the rows already marked sent, as another
    process would see them (its own connection: only committed marks count)."""

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.engine = create_engine(database_url)
        self.marked_before: list[int] = []

    async def handle_DATA(self, server, session, envelope):
        """Note how many rows are committed as sent, then accept the message."""
        with self.engine.connect() as connection:
            self.marked_before.append(
                connection.execute(
                    select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT)
                ).scalar_one()
            )
        return await super().handle_DATA(server, session, envelope)


def test_claims_are_one_statement_per_batch_and_each_sent_row_is_marked_before_the_next(
    app, smtp_server
):
    """23 rows in batches of 5: one claiming UPDATE per batch (the last look finds nothing
    and updates nothing), and each sent row marked and committed before the next message goes
    out, so a sender killed mid-batch resends at most the message it had on the wire."""
    _draw(app)
    inbox = CommittedMarks(app.config["SQLALCHEMY_DATABASE_URI"])
    smtp_server.start(inbox)
    log = StatementLog()
    try:
        with app.app_context():
            engine = db.engine
            event.listen(engine, "before_cursor_execute", log)
            try:
                report = send_due(limit=BATCH)
            finally:
                event.remove(engine, "before_cursor_execute", log)
    finally:
        inbox.engine.dispose()
    assert report.sent == PEOPLE
    batches = -(-PEOPLE // BATCH)
    assert log.marking(OutboxStatus.SENDING) == batches, [s[:60] for s, _ in log.updates]
    # The n-th message arrives once the n - 1 before it are committed as sent, not sooner
    # (nor later: every message is marked on its own, as it is sent).
    assert inbox.marked_before == list(range(PEOPLE))


def test_each_call_opens_one_connection_and_a_second_sends_nothing(app, smtp):
    """Calls to the sender: the first sends all over one connection, the next finds nothing
    due and opens none."""
    _draw(app, 7)
    with app.app_context():
        assert send_due(limit=2).sent == 7
        assert send_due(limit=2).sent == 0
    assert len(smtp.inbox.messages) == 7
    assert smtp.inbox.connections == 1


def test_two_senders_with_batches_share_the_queue_and_send_each_row_once(app, smtp_server):
    """Two senders started together on 60 queued rows, batches of 7: each row is received
    exactly once, each sender uses one connection per run, and their counts add up."""
    people = 60
    addresses = _draw(app, people)  # the server is down: everything stays queued
    smtp_server.start()
    later = utcnow() + timedelta(hours=1)
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def sender() -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                reports.append(send_due(now=later, limit=7))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads) and errors == []
    assert sum(r.sent for r in reports) == people
    assert Counter(r for m in smtp_server.inbox.messages for r in m.rcpt_tos) == Counter(addresses)
    assert smtp_server.inbox.connections <= 2
    with app.app_context():
        statuses = db.session.execute(select(OutboxMessage.status)).scalars().all()
    assert statuses == [OutboxStatus.SENT] * people


def test_queued_in_bulk_a_message_is_the_one_queued_alone(app):
    """The draw's bulk queueing renders and stores exactly what queueing one invitation at a
    time does; a bulk block that fails inserts nothing."""
    frozen = time_machine.travel(datetime(2026, 12, 6, 9, 0, tzinfo=UTC), tick=False)
    with app.app_context(), frozen:
        game = make_running_game(make_facilitator(), 4)
        ada = participants_of(game)[0]
        columns = (OutboxMessage.to_addr, OutboxMessage.subject, OutboxMessage.body_text)
        columns += (OutboxMessage.body_html, OutboxMessage.participant_id, OutboxMessage.status)
        bulk = db.session.execute(
            select(*columns).where(OutboxMessage.participant_id == ada.id)
        ).one()
        alone = enqueue_invitation(game, ada, utcnow())
        db.session.flush()
        assert tuple(getattr(alone, c.key) for c in columns) == tuple(bulk)
        db.session.rollback()

        before = db.session.execute(select(func.count(OutboxMessage.id))).scalar_one()
        with pytest.raises(RuntimeError), in_bulk():
            enqueue_invitation(game, ada, utcnow())
            raise RuntimeError("the work that caused the mail failed")
        after = db.session.execute(select(func.count(OutboxMessage.id))).scalar_one()
        assert after == before


def test_a_run_gives_its_connection_back_as_it_found_it(app, smtp):
    """On PostgreSQL the run commits without waiting for the disk, on its own connection
    only: once it is over, every pooled connection waits for the disk again. On SQLite every
    connection keeps checkpointing its WAL (every WAL_CHECKPOINT_PAGES)."""
    _draw(app, 5)
    with app.app_context():
        assert send_due().sent == 5
        db.session.remove()
        engine = db.engine
        held = [engine.connect() for _ in range(max(engine.pool.checkedin(), 1))]
        try:
            for connection in held:
                if engine.dialect.name == "postgresql":
                    setting = connection.execute(text("SHOW synchronous_commit")).scalar_one()
                    assert setting == "on"
                else:
                    pages = connection.execute(text("PRAGMA wal_autocheckpoint")).scalar_one()
                    assert pages == WAL_CHECKPOINT_PAGES
        finally:
            for connection in held:
                connection.close()
