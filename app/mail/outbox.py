"""The outbox: mail is written in the caller's transaction and sent later, never in a request.

- `enqueue` adds a row to the current session; the caller's commit makes it real, so a change
  and the mail it causes are saved together or not at all. A row carries the moment it may be
  released (the release schedule in app/domain/release.py): nothing is sent before it.
- No request talks SMTP: `flask outbox send` and `flask tick` (cron), or the embedded server's
  background tick, send what is due; they retry with back-off and give up after
  OUTBOX_MAX_ATTEMPTS, marking the row failed for the facilitator to see.
- One run sends for at most OUTBOX_SEND_BUDGET_SECONDS (each SMTP command waits at most
  MAIL_TIMEOUT), so a slow server never keeps rows claimed for long: whatever the run had no
  time for goes straight back to the queue for the next run.
- Speed is SMTP's: a run keeps one SMTP connection for all its batches, and one database
  connection of its own (app/mail/ledger.py) on which it claims rows a batch at a time as
  plain rows, so two senders never send the same message. A message is delivered once the
  server answers its end of data ("."); its row is marked sent and committed while the server
  reads the next message's MAIL FROM, and always before the next message's "." goes out, so a
  sender killed mid-batch sends at most the one message it had on the wire again (same
  Message-ID); never a row already marked sent. SMTP is lock-step, so the sender's own work
  (that mark, building the next message's bytes) is done while it waits on the server, not
  between two exchanges (app/mail/smtp.py `Wire`). Each message's bytes are written directly
  (app/mail/mime.py, not Flask-Mail's Message).
- A draw queues thousands of messages inside `bulk.in_bulk()`: one INSERT for all of them.
- Headers date nothing: the Message-ID is random (not a timestamp) and the Date is stamped
  when the message is actually sent. Once sent or given up, a row's body is cleared, so the
  database keeps no history of links (and no log line ever holds a body, link or token).
- With no MAIL_SERVER (the embedded default) nothing leaves the machine: messages stay queued
  and the debug-only /dev/outbox page lists them for the developer.
"""

from __future__ import annotations

import secrets
import smtplib
import time
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr
from functools import lru_cache

from flask import Flask, current_app, render_template
from sqlalchemy.engine import Row

from app import config
from app.extensions import db
from app.mail import bulk as bulk_block
from app.mail import smtp
from app.mail.ledger import Ledger
from app.mail.smtp import mail
from app.models import OutboxMessage, utcnow


def init_app(app: Flask) -> None:
    """Nothing to set up: the outbox needs only the database and the mail extension."""


def _sender_domain() -> str:
    return _domain_of(current_app.config["MAIL_DEFAULT_SENDER"])


@lru_cache(maxsize=8)
def _domain_of(sender: str) -> str:
    # Parsed once per configured sender, not once per message (a draw queues thousands).
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


def new_message_id() -> str:
    """A Message-ID that dates nothing: random, unlike make_msgid's timestamp and process id.

    Digits only, so no run of its characters can ever spell part of a name or address."""
    return f"<{secrets.randbelow(10**32):032d}@{_sender_domain()}>"


def enqueue(
    *,
    kind: str,
    to_addr: str,
    template: str,
    subject: str,
    game_id: int | None = None,
    participant_id: int | None = None,
    release_at: datetime | None = None,
    attachment: tuple[str, str, str] | None = None,
    **context,
) -> OutboxMessage | None:
    """Render `email/<template>.txt` and `.html` and add the message to the current session.

    Nothing is sent and nothing is committed here: the caller's commit saves the message along
    with the change that caused it. It is sent no sooner than `release_at` (default: now).
    `attachment` is one text file as (filename, mimetype, text), kept in the row until sent.
    In slips-only mode participant mail is not kept at all, and None is returned; inside an
    `in_bulk()` block the row is inserted at the block's end and None is returned too.
    """
    if participant_id is not None and not config.mail_kept(current_app):
        return None
    context.setdefault("subject", subject)
    bulk = bulk_block.current()
    if bulk is None:
        body_text = render_template(f"email/{template}.txt", **context)
        body_html = render_template(f"email/{template}.html", **context)
    else:
        body_text, body_html = bulk.render(template, context)
    name, mimetype, text = attachment or (None, None, None)
    values = {
        "kind": kind,
        "to_addr": to_addr,
        "subject": subject,
        "body_text": body_text,
        "body_html": body_html,
        "message_id": new_message_id(),
        "game_id": game_id,
        "participant_id": participant_id,
        "next_attempt_at": release_at or utcnow(),
        "attachment_name": name,
        "attachment_type": mimetype,
        "attachment_text": text,
    }
    if bulk is not None:
        bulk.rows.append(values)
        return None
    message = OutboxMessage(**values)
    db.session.add(message)
    return message


@dataclass
class SendReport:
    """What one pass over the outbox did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    # Claimed but not tried before the time budget ran out: back in the queue, untouched.
    released: int = 0
    out_of_time: bool = False
    errors: list[str] = field(default_factory=list)


def _mark_attempt_failed(
    ledger: Ledger, row: Row, now: datetime, error: str, permanent: bool, report: SendReport
) -> None:
    attempts = row.attempts + 1
    give_up = permanent or attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]
    backoff = current_app.config["OUTBOX_BACKOFF_SECONDS"] * 2 ** min(attempts - 1, 10)
    ledger.mark_failed(row, now, error, give_up=give_up, backoff=backoff)
    if give_up:
        report.failed += 1
    else:
        report.retrying += 1
    report.errors.append(error)


def send_due(
    now: datetime | None = None,
    limit: int = 200,
    ids: list[int] | None = None,
    timeout: float | None = None,
    budget: float | None = None,
) -> SendReport:
    """Send what is due, batch after batch, for at most `budget` seconds. Never raises for
    mail trouble.

    Rows are claimed `limit` at a time and sent over one SMTP connection, until nothing due is
    left, the connection breaks, or the budget (OUTBOX_SEND_BUDGET_SECONDS by default) is
    spent. A message already on the wire when the budget runs out is finished (cutting it off
    could leave the server holding a copy we would send again), so a run lasts at most the
    budget plus one message under the per-command `timeout`. Rows claimed but not tried go
    back to the queue at once, untouched, rather than waiting out the claim's lease.

    A message marked sent is never sent again; one that fails is retried later with back-off.
    """
    session = db.session()
    expiring = session.expire_on_commit
    # The run commits the caller's session once, then works on a connection of its own and
    # loads no ORM object: what the caller holds is expired once, at the end (the run may have
    # changed some of it), not at that first commit too.
    session.expire_on_commit = False
    try:
        return _send_due(now, limit, ids, timeout, budget)
    finally:
        session.expire_on_commit = expiring
        if expiring:
            session.expire_all()


def _send_due(
    now: datetime | None,
    limit: int,
    ids: list[int] | None,
    timeout: float | None,
    budget: float | None,
) -> SendReport:
    report = SendReport()
    if not current_app.config.get("MAIL_SERVER"):
        return report
    now = now or utcnow()
    if budget is None:
        budget = current_app.config["OUTBOX_SEND_BUDGET_SECONDS"]
    deadline = time.monotonic() + budget
    # What the caller wrote is committed first, as it always was by the first claim: on
    # SQLite, the run's own connection could not write while the caller's transaction did.
    db.session.commit()
    ledger = Ledger(db.engine)
    try:
        _send_claimed(ledger, now, limit, ids, timeout, deadline, report)
    finally:
        ledger.close()
    return report


def _send_claimed(
    ledger: Ledger,
    now: datetime,
    limit: int,
    ids: list[int] | None,
    timeout: float | None,
    deadline: float,
    report: SendReport,
) -> None:
    pending = ledger.claim(now, limit, ids)
    if not pending:
        return
    run = _Run(ledger, now, limit, ids, deadline, report, pending)
    broken: Exception | None = None
    try:
        with mail.connect(timeout=timeout) as connection:
            try:
                broken = run.send(
                    smtp.Wire(connection.host, current_app.config["MAIL_DEFAULT_SENDER"])
                )
            finally:
                # The last message delivered is marked before the goodbye to the server,
                # which may be slow or fail.
                run.settle()
    except (OSError, smtplib.SMTPException) as exc:
        # The connection itself broke (closing it may fail too: keep the first reason).
        broken = broken or exc
    if broken is not None:
        run.settle()
        for row in run.pending:
            _mark_attempt_failed(ledger, row, now, smtp.describe_failure(broken), False, report)


@dataclass
class _Run:
    """One run's sending over one connection: the rows it holds and the one message the
    server accepted that is not yet marked sent."""

    ledger: Ledger
    now: datetime
    limit: int
    ids: list[int] | None
    deadline: float
    report: SendReport
    pending: list[Row]
    delivered: Row | None = None

    def settle(self) -> None:
        """Mark and commit the message the server last accepted, if not done yet."""
        row, self.delivered = self.delivered, None
        if row is not None:
            self.ledger.mark_sent(row)
            self.report.sent += 1

    def send(self, wire: smtp.Wire) -> Exception | None:
        """Send batch after batch until none is left or time is up; the 421 that closed the
        connection, if one did. A row is taken off `pending` once the server answered it."""
        report = self.report
        while self.pending:
            if time.monotonic() >= self.deadline:
                report.out_of_time = True
                break
            row = self.pending[0]
            upcoming = self.pending[1] if len(self.pending) > 1 else None
            try:
                # The previous message is marked and committed while the server reads this
                # one's MAIL FROM, and always before this one's end of data goes out, so a
                # sender killed mid-batch sends at most the one on the wire again.
                wire.send(row, meanwhile=self.settle, upcoming=upcoming)
            except (
                smtplib.SMTPRecipientsRefused,
                smtplib.SMTPDataError,
                smtplib.SMTPSenderRefused,
            ) as exc:
                if getattr(exc, "smtp_code", None) == 421:
                    # "Service closing": the connection is gone for every message left,
                    # and they should all carry this reason rather than a follow-on error.
                    return exc
                # The server answered: only this message is affected.
                self.pending.pop(0)
                _mark_attempt_failed(
                    self.ledger,
                    row,
                    self.now,
                    smtp.describe_failure(exc),
                    smtp.is_permanent(exc),
                    report,
                )
            else:
                self.pending.pop(0)
                self.delivered = row
            if not self.pending:
                self.settle()
                if time.monotonic() >= self.deadline:
                    report.out_of_time = True  # more may be due: the next run sees
                    break
                # The batch is done and time is left: take the next one on this connection.
                self.pending = self.ledger.claim(self.now, self.limit, self.ids)
        if self.pending:
            # Out of time. Released before the connection closes, so a slow or failed
            # goodbye to the server can't count an attempt against mail never tried.
            self.settle()
            report.released += self.ledger.release(self.pending)
            self.pending = []
        return None
