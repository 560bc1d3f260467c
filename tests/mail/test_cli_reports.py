"""`flask outbox send` and `flask tick` report what actually reached the mail server, counted
over every batch of the run."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage
from tests.helpers import make_facilitator, make_running_game, participants_of


def test_outbox_send_counts_every_batch_it_sent(app, smtp, runner):
    """Twelve invitations claimed five at a time: one run sends all three batches over its
    connection and says "sent 12", as many as the server received."""
    with app.app_context():
        make_running_game(make_facilitator(), 12)
    result = runner.invoke(args=["outbox", "send", "--limit", "5"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("sent 12, will retry 0, failed 0\n"), result.output
    assert len(smtp.inbox.messages) == 12
    with app.app_context():
        assert set(db.session.execute(select(OutboxMessage.status)).scalars()) == {"sent"}


def test_tick_counts_the_mail_it_sent(app, smtp, runner):
    """`flask tick` after a draw of seven says "mail sent 7"; a second tick sends nothing."""
    with app.app_context():
        make_running_game(make_facilitator(), 7)
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    assert result.output.endswith("mail sent 7\n"), result.output
    assert len(smtp.inbox.messages) == 7
    again = runner.invoke(args=["tick"])
    assert again.output.endswith("mail sent 0\n"), again.output
    assert len(smtp.inbox.messages) == 7


def test_outbox_send_counts_what_was_sent_and_what_was_refused_across_batches(app, smtp, runner):
    """Twelve invitations in batches of five, one address refused for good by the server:
    the run goes on past it to the end of the queue and says "sent 11, ... failed 1", as many
    as the server accepted, over one connection."""
    with app.app_context():
        game = make_running_game(make_facilitator(), 12)
        refused = participants_of(game)[6].email
    smtp.inbox.rcpt_replies[refused.lower()] = "550 5.1.1 No such user"
    result = runner.invoke(args=["outbox", "send", "--limit", "5"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("sent 11, will retry 0, failed 1\n"), result.output
    assert "error: SMTPRecipientsRefused" in result.output
    assert len(smtp.inbox.messages) == 11 and smtp.inbox.to(refused) == []
    assert smtp.inbox.connections == 1
    with app.app_context():
        statuses = db.session.execute(select(OutboxMessage.status)).scalars().all()
    assert sorted(statuses) == ["failed"] + ["sent"] * 11
