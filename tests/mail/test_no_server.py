"""With no MAIL_SERVER nothing leaves the machine: mail stays in the outbox, listed for devs."""

from __future__ import annotations

import logging
import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.mail.outbox import send_due
from app.models import OutboxMessage
from tests.helpers import follow_link, make_facilitator, make_running_game, participants_of
from tests.mail.smtp_support import link_path

PEOPLE = 4


@pytest.fixture
def app_config(app_config):
    """No mail server configured (the embedded default)."""
    return {**app_config, "MAIL_SERVER": None}


@pytest.fixture
def drawn(app, smtp):
    """A drawn game while a real SMTP server listens on the usual port (it must get nothing)."""
    with app.app_context():
        game = make_running_game(make_facilitator(), PEOPLE)
        return [(p.name, p.email) for p in participants_of(game)]


def _rows(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())
        db.session.expunge_all()
    return rows


def test_draw_keeps_messages_queued_and_sends_nothing(app, smtp, drawn):
    """Every invitation stays queued and untried, and send_due sends nothing."""
    rows = _rows(app)
    assert len(rows) == PEOPLE
    assert all(r.status == "queued" and r.attempts == 0 and r.last_error is None for r in rows)
    with app.app_context():
        report = send_due()
    assert (report.sent, report.retrying, report.failed) == (0, 0, 0)
    assert smtp.all_messages == []
    assert all(r.status == "queued" for r in _rows(app))


def test_cli_send_says_no_mail_server(app, smtp, drawn):
    """`flask outbox send` says no MAIL_SERVER is configured and how many are kept."""
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "No MAIL_SERVER configured" in result.output
    assert f"{PEOPLE} messages kept in the outbox" in result.output
    assert smtp.all_messages == []
    assert all(r.status == "queued" for r in _rows(app))


def test_cli_list_prints_messages_with_their_links(app, drawn):
    """`flask outbox list` prints each queued message, its recipient and its private link."""
    result = app.test_cli_runner().invoke(args=["outbox", "list"])
    assert result.exit_code == 0, result.output
    for row in _rows(app):
        assert f"#{row.id} [queued] to {row.to_addr}: {row.subject}" in result.output
        assert f"http://angels.test{link_path(row.body_text)}" in result.output
    assert len(re.findall(r"http://angels\.test/p/\S+", result.output)) == PEOPLE


def test_dev_outbox_lists_messages_and_links_in_testing_mode(app, client, drawn):
    """/dev/outbox lists every message with its recipient and a link that opens their page."""
    page = client.get("/dev/outbox")
    assert page.status_code == 200
    shown = page.get_data(as_text=True)
    for row in _rows(app):
        assert escape(row.to_addr) in shown
        path = link_path(row.body_text)
        assert f'href="http://angels.test{path}"' in shown
        one = client.get(f"/dev/outbox/{row.id}")
        assert one.status_code == 200
    name, _ = drawn[0]
    first = next(r for r in _rows(app) if r.to_addr == drawn[0][1])
    visitor = app.test_client()
    assert follow_link(visitor, link_path(first.body_text)).location == "/me"
    assert f"Hello, {escape(name)}" in visitor.get("/me").get_data(as_text=True)


def test_dev_outbox_is_404_outside_debug_and_testing(tmp_path):
    """An app that is neither debug nor testing answers 404 for /dev/outbox."""
    logger = logging.getLogger("app")
    level = logger.level  # outbox.init_app raises it to INFO outside testing; put it back after
    production = create_app(
        {
            "TESTING": False,
            "DEBUG": False,
            "SECRET_KEY": "another-test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'production.sqlite3'}",
            "MAIL_SERVER": None,
            "AUTO_TICK": False,
        }
    )
    try:
        assert not production.debug and not production.testing
        client = production.test_client()
        assert client.get("/dev/outbox").status_code == 404
        assert client.get("/dev/outbox/1").status_code == 404
    finally:
        logger.setLevel(level)
        with production.app_context():
            db.session.remove()
            db.engine.dispose()
