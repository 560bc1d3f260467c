"""The sender marks each message sent while the server reads the next one's MAIL FROM: never
before the server accepted it, always before the next message can be delivered; and whatever
goes wrong, the rows end as they did when each message was marked before the next began."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import create_engine, func, select

from app.domain.states import OutboxStatus
from app.extensions import db
from app.mail.ledger import Ledger
from app.mail.outbox import send_due
from app.models import OutboxMessage
from tests.helpers import make_facilitator, make_running_game, participants_of
from tests.mail.smtp_support import Inbox

PEOPLE = 9
BATCH = 4


def _draw(app, people: int = PEOPLE) -> list[str]:
    """A running game's invitations, queued in roster order; their addresses in that order."""
    with app.app_context():
        game = make_running_game(make_facilitator(), people)
        return [p.email for p in participants_of(game)]


def _statuses(app) -> list[tuple[str, str, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(OutboxMessage.to_addr, OutboxMessage.status, OutboxMessage.attempts).order_by(
                OutboxMessage.id
            )
        ).all()
        return [tuple(row) for row in rows]


class WatchedMarks(Inbox):
    """A server that, at each RCPT TO and each end of data, counts the rows committed as sent,
    as another process sees them; it may refuse one address's data."""

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.engine = create_engine(database_url)
        self.at_rcpt: list[int] = []
        self.at_data: list[int] = []
        self.data_replies: dict[str, str] = {}

    def _committed(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(
                select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT)
            ).scalar_one()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        """Note the committed marks, then answer as Inbox does."""
        self.at_rcpt.append(self._committed())
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server, session, envelope):
        """Note the committed marks, then refuse or accept the message."""
        self.at_data.append(self._committed())
        reply = self.data_replies.get(envelope.rcpt_tos[0].lower())
        if reply:
            return reply
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def watched(app, smtp_server):
    """The SMTP server, watching the marks in the app's database."""
    inbox = WatchedMarks(app.config["SQLALCHEMY_DATABASE_URI"])
    smtp_server.start(inbox)
    yield inbox
    inbox.engine.dispose()


def test_a_message_is_marked_after_the_server_accepts_it_and_before_the_next_rcpt(app, watched):
    """Message n reaches the server's RCPT TO and its end of data with exactly the n - 1
    before it committed as sent: the mark of the previous one is done while the server reads
    MAIL FROM, and none is marked before the server accepted it. Batches change nothing."""
    _draw(app)
    with app.app_context():
        report = send_due(limit=BATCH)
    assert report.sent == PEOPLE and report.errors == []
    assert watched.at_rcpt == list(range(PEOPLE))
    assert watched.at_data == list(range(PEOPLE))
    assert {status for _, status, _ in _statuses(app)} == {OutboxStatus.SENT}


def test_refusals_between_deliveries_leave_each_row_as_the_server_answered_it(app, watched):
    """A refused recipient, then a message refused after its data, between accepted ones:
    each accepted message is marked before the next one's data, each refused one is retried
    or failed on its own answer, and no refusal delays or loses a neighbour's mark."""
    addresses = _draw(app)
    watched.rcpt_replies[addresses[1].lower()] = "550 5.1.1 No such user"
    watched.data_replies[addresses[2].lower()] = "451 4.3.0 Try again later"
    watched.data_replies[addresses[5].lower()] = "554 5.7.1 Rejected"
    with app.app_context():
        report = send_due(limit=BATCH)
    assert (report.sent, report.failed, report.retrying) == (PEOPLE - 3, 2, 1)
    expected = [(a, OutboxStatus.SENT, 1) for a in addresses]
    expected[1] = (addresses[1], OutboxStatus.FAILED, 1)
    expected[2] = (addresses[2], OutboxStatus.QUEUED, 1)
    expected[5] = (addresses[5], OutboxStatus.FAILED, 1)
    assert _statuses(app) == expected
    received = Counter(r for m in watched.messages for r in m.rcpt_tos)
    assert received == Counter(a for i, a in enumerate(addresses) if i not in (1, 2, 5))
    # Each end of data found every message accepted before it already committed as sent.
    # The data ends, all but the refused RCPT's: messages 0, 2 (refused), 3, 4, 5 (refused)...
    accepted_before = [0, 1, 1, 2, 3, 3, 4, 5]
    assert watched.at_data == accepted_before


def test_a_server_closing_mid_run_leaves_the_accepted_marked_and_the_rest_retried(app, watched):
    """The server accepts the first batch's four messages, then answers "421 closing" to the
    next one: the four are marked sent (the fourth while the fifth's MAIL FROM was read), the
    rest of the second batch is queued again with one attempt and the 421 as its reason, and
    the row no batch had claimed yet is untouched."""
    addresses = _draw(app)
    watched.accept_limit = 4
    with app.app_context():
        report = send_due(limit=BATCH)
    assert (report.sent, report.retrying, report.failed) == (4, BATCH, 0)
    statuses = _statuses(app)
    assert statuses[:4] == [(a, OutboxStatus.SENT, 1) for a in addresses[:4]]
    assert statuses[4:8] == [(a, OutboxStatus.QUEUED, 1) for a in addresses[4:8]]
    assert statuses[8:] == [(addresses[8], OutboxStatus.QUEUED, 0)]
    assert report.errors and all("421" in error for error in report.errors)


def test_a_sender_dying_as_it_marks_resends_only_the_message_it_was_marking(app, smtp, monkeypatch):
    """The sender dies (here: its database fails) while marking the third message, as it
    would be killed then: the fourth message's data never went out, so only the third was
    received and left unmarked; the next run sends it once more, with its Message-ID, and
    everything else exactly once."""
    addresses = _draw(app, 6)
    marks = {"done": 0}
    real_mark = Ledger.mark_sent

    def dying_mark(self, row):
        if marks["done"] == 2:
            raise RuntimeError("the sender died here")
        marks["done"] += 1
        real_mark(self, row)

    monkeypatch.setattr(Ledger, "mark_sent", dying_mark)
    with app.app_context(), pytest.raises(RuntimeError, match="died"):
        send_due(limit=BATCH)
    assert [m.rcpt_tos[0] for m in smtp.inbox.messages] == addresses[:3]
    statuses = [status for _, status, _ in _statuses(app)]
    assert statuses[:2] == [OutboxStatus.SENT] * 2
    assert statuses[2] == OutboxStatus.SENDING  # claimed, its lease runs out
    monkeypatch.undo()
    with app.app_context():
        db.session.execute(
            OutboxMessage.__table__.update()
            .where(OutboxMessage.status == OutboxStatus.SENDING)
            .values(status=OutboxStatus.QUEUED, claim_token=None, claimed_until=None)
        )
        db.session.commit()
        assert send_due(limit=BATCH).sent == 4
    received = Counter(str(m.message["Message-ID"]) for m in smtp.inbox.messages)
    assert sorted(received.values()) == [1] * 5 + [2]
    twice = next(mid for mid, copies in received.items() if copies == 2)
    third = [m for m in smtp.inbox.messages if m.rcpt_tos[0] == addresses[2]]
    assert {str(m.message["Message-ID"]) for m in third} == {twice}
    assert {status for _, status, _ in _statuses(app)} == {OutboxStatus.SENT}
