"""A slow mail server (a tarpit) can't keep the sender, or the rows it claimed, for long.

Each run sends for at most its time budget; what it claimed but had no time to try goes back
to the queue at once, untried and unclaimed, and the next run carries on. In the end every
message is received exactly once.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import select

from app.extensions import db
from app.mail.outbox import send_due
from app.models import OutboxMessage
from tests.helpers import make_facilitator, make_running_game
from tests.mail.smtp_support import TarpitInbox

PEOPLE = 30
DELAY = 0.3  # seconds the server takes over each message
BUDGET = 2.0
TIMEOUT = 5.0


@pytest.fixture
def app_config(app_config):
    """A budget for the CLI runs: the same as the direct calls below."""
    return {**app_config, "OUTBOX_SEND_BUDGET_SECONDS": BUDGET}


def _rows(app) -> dict[int, OutboxMessage]:
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()
        found = {row.id: row for row in rows}
        db.session.expunge_all()
    return found


def _received_ids(inbox) -> Counter:
    return Counter(str(m.message["Message-ID"]).strip() for m in inbox.messages)


def test_a_tarpit_gets_the_budget_and_the_rest_waits_untried(app, smtp_server, runner):
    """30 messages at 0.3 s each against a 2 s budget: each run stops in time, sends some,
    puts the rest back untried; runs carry on until each message arrived exactly once."""
    with app.app_context():  # the draw queues one invitation each; no request sends them
        make_running_game(make_facilitator(), PEOPLE)
    before = _rows(app)
    assert len(before) == PEOPLE
    assert all(r.status == "queued" and r.attempts == 0 for r in before.values())
    inbox = smtp_server.start(TarpitInbox(DELAY))

    with app.app_context():
        started = time.monotonic()
        first = send_due(budget=BUDGET, timeout=TIMEOUT)
        elapsed = time.monotonic() - started
    # The budget, plus the message on the wire when it ran out, plus connecting and goodbye.
    # Sending all 30 would take 9 s; the budget, the message on the wire and some slack do not.
    assert elapsed < BUDGET + DELAY + 3.0, f"the run took {elapsed:.2f}s"
    assert 0 < first.sent < PEOPLE
    assert first.out_of_time and first.errors == [] and first.retrying == 0
    assert first.released == PEOPLE - first.sent  # one claim took every due row

    after = _rows(app)
    sent = {i for i, r in after.items() if r.status == "sent"}
    assert len(sent) == first.sent
    assert _received_ids(inbox) == Counter({after[i].message_id: 1 for i in sent})
    for row_id, row in after.items():
        if row_id in sent:
            assert row.attempts == 1 and row.sent_at is not None
            continue
        # Back in the queue as it was: no attempt counted, no error, nobody's claim, and due
        # now (not after the ten-minute lease), so the next run takes it at once.
        assert row.status == "queued" and row.attempts == 0 and row.last_error is None
        assert row.claim_token is None and row.claimed_until is None and row.sent_at is None
        assert row.next_attempt_at == before[row_id].next_attempt_at

    # The next run (cron's next minute) carries on where this one stopped.
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    first_and_second = {i for i, r in _rows(app).items() if r.status == "sent"}
    assert first_and_second > sent
    more = len(first_and_second) - len(sent)
    assert result.output.startswith(f"sent {more}, will retry 0, failed 0; time budget of 2 s")
    left = PEOPLE - len(first_and_second)
    assert f"{left} claimed {'message' if left == 1 else 'messages'} put back" in result.output

    # A run with time enough claims small batches one after another until none is due.
    with app.app_context():
        last = send_due(limit=4, budget=60, timeout=TIMEOUT)
    assert last.sent == PEOPLE - len(first_and_second)
    assert not last.out_of_time and last.released == 0 and last.errors == []

    final = _rows(app)
    assert all(r.status == "sent" and r.attempts == 1 for r in final.values())
    received = _received_ids(inbox)
    assert received == Counter({r.message_id: 1 for r in final.values()})
    assert sum(received.values()) == PEOPLE


def test_tick_reports_what_the_sender_left_for_the_next_run(app, smtp_server, runner):
    """`flask tick` says how much mail it sent and that the rest waits for the next run."""
    with app.app_context():
        make_running_game(make_facilitator(), 12)
    smtp_server.start(TarpitInbox(DELAY))
    app.config["OUTBOX_SEND_BUDGET_SECONDS"] = 1.0
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    rows = _rows(app).values()
    sent = sum(r.status == "sent" for r in rows)
    assert 0 < sent < 12
    assert f"mail sent {sent}; time budget of 1 s spent" in result.output
    left = 12 - sent
    words = "message" if left == 1 else "messages"
    assert f"{left} claimed {words} put back in the queue" in result.output
    assert all(r.status in ("sent", "queued") and r.claim_token is None for r in rows)
