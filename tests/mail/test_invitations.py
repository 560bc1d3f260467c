"""Invitations after a draw, as a real SMTP server receives them."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime

import time_machine
from markupsafe import escape
from sqlalchemy import select

from app.extensions import db
from app.mail.messages import notify
from app.mail.outbox import send_due
from app.models import OutboxMessage, Participant, utcnow
from tests.helpers import (
    follow_link,
    make_facilitator,
    make_running_game,
    pairings_of,
    participants_of,
)
from tests.mail.smtp_support import header_values, link_path, text_and_html

PEOPLE = [
    ("Ada Lovelace", "ada@example.org"),
    ("Bea Quinn", "bea@example.net"),
    ("Zoë Müller", "zoe@example.com"),
    ("Grace O'Brien", "grace@example.org"),
    ("Tomás Ortega", "tomas@school.example"),
    ("Kofi Mensah", "kofi@example.org"),
]


def _draw(app):
    """Draw a game of PEOPLE; return (people by id, angel id -> mortal id, outbox rows by pid)."""
    with app.app_context():
        game = make_running_game(make_facilitator(), PEOPLE, seed=7)
        # The draw only queues; the sender (cron's `flask tick`, or the embedded server's
        # background tick) sends.
        send_due()
        people = {p.id: (p.name, p.email) for p in participants_of(game)}
        pairs = pairings_of(game)
        rows = {
            r.participant_id: r
            for r in db.session.execute(
                select(OutboxMessage).where(OutboxMessage.game_id == game.id)
            ).scalars()
        }
        db.session.expunge_all()
    return people, pairs, rows


def test_each_participant_gets_exactly_one_private_invitation(app, smtp):
    """One multipart mail each, from the service, to that person only; no header names others."""
    people, pairs, _ = _draw(app)
    received = smtp.inbox.messages
    assert len(received) == len(PEOPLE)
    sender = app.config["MAIL_DEFAULT_SENDER"]
    for pid, (_, address) in people.items():
        mine = smtp.inbox.to(address)
        assert len(mine) == 1, f"{address} got {len(mine)} messages"
        got = mine[0]
        assert got.rcpt_tos == [address]
        assert got.mail_from == "angels@angels.test"
        message = got.message
        assert str(message["From"]) == sender
        assert message["To"].addresses[0].addr_spec == address
        assert len(message["To"].addresses) == 1
        assert message["Cc"] is None and message["Bcc"] is None
        assert message.is_multipart()
        text_and_html(message)  # both parts present
        headers = " ".join(header_values(message)).lower()
        for other_pid, (other_name, other_address) in people.items():
            if other_pid == pid:
                continue
            assert other_name.lower() not in headers, f"{other_name} in {address}'s headers"
            assert other_address.lower() not in headers
            assert other_address.split("@")[0] not in headers.replace("angels@", "")
        assert pairs[pid] != pid


def test_invitation_names_no_mortal_and_its_link_opens_the_page_that_does(app, smtp):
    """No email names a mortal (a forwarded or misdirected invitation gives nothing away); the
    link leads to /me, which shows the drawn mortal."""
    people, pairs, _ = _draw(app)
    for pid, (name, address) in people.items():
        mortal_name = people[pairs[pid]][0]
        (got,) = smtp.inbox.to(address)
        text, body_html = text_and_html(got.message)
        assert "You are someone's secret angel!" in text
        others = [n for p, (n, _) in people.items() if p != pid]
        for other in others:
            assert other not in text and str(escape(other)) not in body_html
        path = link_path(text)
        assert f'href="http://angels.test{path}"' in body_html

        client = app.test_client()  # a fresh browser per participant
        response = follow_link(client, path)
        assert response.status_code == 302 and response.location == "/me"
        page = client.get("/me")
        assert page.status_code == 200
        shown = page.get_data(as_text=True)
        assert escape(mortal_name) in shown
        assert f"Hello, {escape(name)}" in shown


def test_message_ids_are_random_and_dates_say_when_it_was_sent(app, smtp):
    """A Message-ID carries no timestamp or process id, and the Date header is stamped when
    the message is sent (its release), not when the change that caused it was made."""
    people, _, rows = _draw(app)
    for row in rows.values():
        assert re.fullmatch(r"<[0-9]{32}@angels\.test>", row.message_id)
    with app.app_context():
        ada = db.session.get(Participant, next(iter(people)))
        queued_at = utcnow()
        release_at = queued_at + timedelta(hours=7)
        notify(ada, "fresh-link", release_at=release_at)
        db.session.commit()
        assert send_due(now=queued_at).sent == 0  # not before its release
        with time_machine.travel(release_at.replace(tzinfo=UTC), tick=False):
            assert send_due().sent == 1
    fresh = [
        m for m in smtp.inbox.messages if str(m.message["Subject"]).startswith("Your link for ")
    ]
    (got,) = fresh
    stamped = parsedate_to_datetime(str(got.message["Date"])).astimezone(UTC)
    assert abs(stamped.replace(tzinfo=None) - release_at) < timedelta(seconds=5)


def test_outbox_rows_are_sent_and_carry_the_received_message_id(app, smtp):
    """Each row is `sent` with sent_at, and the Message-ID received is the row's message_id."""
    people, _, rows = _draw(app)
    assert set(rows) == set(people)
    for pid, row in rows.items():
        assert row.status == "sent"
        assert row.sent_at is not None
        assert row.attempts == 1 and row.last_error is None
        (got,) = smtp.inbox.to(people[pid][1])
        assert str(got.message["Message-ID"]).strip() == row.message_id
    assert len({r.message_id for r in rows.values()}) == len(rows)


def test_sent_message_is_never_sent_again(app, smtp):
    """Running the sender again, even far in the future and with expired leases, sends nothing."""
    _draw(app)
    assert len(smtp.inbox.messages) == len(PEOPLE)
    with app.app_context():
        for hours in (0, 1, 24, 24 * 365):
            report = send_due(now=utcnow() + timedelta(hours=hours))
            assert report.sent == 0 and report.errors == []
        statuses = db.session.execute(select(OutboxMessage.status)).scalars().all()
    assert statuses == ["sent"] * len(PEOPLE)
    assert len(smtp.inbox.messages) == len(PEOPLE)


def test_cli_send_after_success_sends_nothing(app, smtp):
    """`flask outbox send` after every invitation went out reports nothing sent."""
    _draw(app)
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 0, will retry 0, failed 0" in result.output
    assert len(smtp.inbox.messages) == len(PEOPLE)
