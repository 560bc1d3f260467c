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
- Rows are claimed with one conditional UPDATE (SQLite ignores FOR UPDATE), so two senders
  running at once never send the same message; a row marked sent is never sent again.
- Speed is SMTP's: a run keeps one connection for all its batches, claims rows a batch at a
  time as plain rows (no ORM objects to expire and reload), and writes each message's bytes
  directly (app/mail/mime.py, not Flask-Mail's Message). Each sent row is still marked and
  committed before the next message goes out, so a sender killed mid-batch sends at most the
  one message it had on the wire again (same Message-ID); never a row already marked sent.
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
from datetime import datetime, timedelta
from email.utils import parseaddr
from functools import lru_cache

from flask import Flask, current_app, render_template
from sqlalchemy import and_, bindparam, case, or_, select, update
from sqlalchemy.engine import Dialect, Row

from app import config
from app.domain.states import OutboxStatus
from app.extensions import db
from app.mail import bulk as bulk_block
from app.mail import smtp
from app.mail.smtp import mail
from app.models import OutboxMessage, utcnow

# How long a claimed row stays reserved for the worker that claimed it.
CLAIM_LEASE = timedelta(minutes=10)


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


def _due_condition(now: datetime):
    """Rows a sender may take: queued and due, or claimed by a sender whose lease ran out."""
    return or_(
        and_(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_until < now),
    )


# What a sender reads of a claimed row: plain rows, not ORM objects, so the commits of a
# batch expire nothing and no row is loaded twice.
_CLAIMED = (
    OutboxMessage.id,
    OutboxMessage.claim_token,
    OutboxMessage.attempts,
    OutboxMessage.to_addr,
    OutboxMessage.subject,
    OutboxMessage.body_text,
    OutboxMessage.body_html,
    OutboxMessage.message_id,
    OutboxMessage.attachment_name,
    OutboxMessage.attachment_type,
    OutboxMessage.attachment_text,
)


def claim(now: datetime, limit: int, ids: list[int] | None = None) -> list[Row]:
    """Claim up to `limit` due rows for this sender and commit the claim; return them in id
    order (id, claim_token, attempts, address, subject, bodies, Message-ID, attachment).

    One conditional UPDATE: a row another sender claimed first no longer matches, so each row
    goes to exactly one sender.
    """
    token = secrets.token_hex(16)
    due = select(OutboxMessage.id).where(_due_condition(now)).order_by(OutboxMessage.id)
    if ids is not None:
        due = due.where(OutboxMessage.id.in_(ids))
    # PostgreSQL: rows another sender is claiming right now are skipped, not waited for, and
    # the ones read stay locked until the claim commits. SQLite has no row locks; the
    # conditional UPDATE below is what keeps claims exclusive there. The ids are read first,
    # in a statement of their own: inside the UPDATE, PostgreSQL may run a LIMITed, SKIP
    # LOCKED subquery again for each row and claim far more than `limit` rows.
    chosen = list(db.session.execute(due.limit(limit).with_for_update(skip_locked=True)).scalars())
    if not chosen:
        db.session.commit()
        return []
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(chosen), _due_condition(now))
        .values(status=OutboxStatus.SENDING, claim_token=token, claimed_until=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return list(
        db.session.execute(
            select(*_CLAIMED).where(OutboxMessage.claim_token == token).order_by(OutboxMessage.id)
        )
    )


def _forget_orphan() -> dict:
    """Values that empty a finished row's attachment and, for a row carrying one (a journal
    sent as its game was deleted, so the row outlives the game), its address and subject too:
    once done, nothing of a deleted game's people stays behind."""
    carried = OutboxMessage.attachment_name.is_not(None)
    return {
        "attachment_text": None,
        "to_addr": case((carried, ""), else_=OutboxMessage.to_addr),
        "subject": case((carried, ""), else_=OutboxMessage.subject),
    }


# Marks the one row just sent (its body cleared at once); built once: the sender runs it
# after every message.
_MARK_ONE_SENT = (
    update(OutboxMessage)
    .where(OutboxMessage.id == bindparam("row_id"), OutboxMessage.claim_token == bindparam("token"))
    .values(
        status=OutboxStatus.SENT,
        sent_at=bindparam("at"),
        claim_token=None,
        claimed_until=None,
        attempts=OutboxMessage.attempts + 1,
        last_error=None,
        body_text="",
        body_html="",
        **_forget_orphan(),
    )
    .execution_options(synchronize_session=False)
)


@lru_cache(maxsize=4)
def _mark_one_sent_sql(dialect: Dialect) -> tuple[str, tuple[str, ...] | None, dict, object]:
    """`_MARK_ONE_SENT` compiled once for this dialect: its SQL, the order of its positional
    parameters (None for named ones), its constant parameters and how `sent_at` is bound."""
    compiled = _MARK_ONE_SENT.compile(dialect=dialect)
    # The constants (status, the emptied body) as plain strings: a driver may write an enum
    # member as its name rather than its value.
    constants = {
        name: str(value) if isinstance(value, str) else value
        for name, value in compiled.construct_params({"row_id": 0, "token": "", "at": None}).items()
        if name not in ("row_id", "token", "at")
    }
    positions = tuple(compiled.positiontup) if compiled.positional else None
    at_type = OutboxMessage.__table__.c.sent_at.type
    return str(compiled), positions, constants, at_type.bind_processor(dialect)


class _SentMarker:
    """Marks each sent row and commits, straight through the session's DBAPI connection.

    The sender does this after every message, so a sender killed mid-batch sends at most the
    one message on the wire again. Through the ORM it cost more than the SMTP exchange of the
    message (building the statement's cache key, the session's transaction bookkeeping): here
    the statement is compiled once and run on one cursor, which sqlite3 and psycopg each
    prepare once. The session's transaction is only ever committed by it, never left open
    with work of its own: whatever it runs next starts from a committed connection.
    """

    def __init__(self) -> None:
        connection = db.session.connection()
        self.sql, self.positions, self.constants, self.at = _mark_one_sent_sql(connection.dialect)
        self.dbapi = connection.connection.driver_connection
        self.cursor = self.dbapi.cursor()

    def mark(self, row: Row) -> None:
        """Mark `row` sent now, its body cleared, and commit."""
        at = utcnow()
        params = {
            **self.constants,
            "row_id": row.id,
            "token": row.claim_token,
            "at": self.at(at) if self.at else at,
        }
        if self.positions is not None:
            self.cursor.execute(self.sql, [params[name] for name in self.positions])
        else:
            self.cursor.execute(self.sql, params)
        self.dbapi.commit()


def _mark_attempt_failed(
    row: Row, now: datetime, error: str, permanent: bool, report: SendReport
) -> None:
    attempts = row.attempts + 1
    give_up = permanent or attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]
    backoff = current_app.config["OUTBOX_BACKOFF_SECONDS"] * 2 ** min(attempts - 1, 10)
    cleared = {"body_text": "", "body_html": "", **_forget_orphan()} if give_up else {}
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id, OutboxMessage.claim_token == row.claim_token)
        .values(
            **cleared,
            status=OutboxStatus.FAILED if give_up else OutboxStatus.QUEUED,
            attempts=attempts,
            last_error=error[:500],
            next_attempt_at=now + timedelta(seconds=backoff),
            claim_token=None,
            claimed_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
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
    # The run commits once per message sent; expiring every object the caller holds at each
    # commit would cost more than the SMTP exchange. The run loads no ORM object of its own,
    # so it expires the caller's once, at the end.
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
    pending = claim(now, limit, ids)
    if not pending:
        return report
    broken: Exception | None = None
    try:
        with mail.connect(timeout=timeout) as connection:
            wire = smtp.Wire(connection.host, current_app.config["MAIL_DEFAULT_SENDER"])
            marker = _SentMarker()
            while pending:
                if time.monotonic() >= deadline:
                    report.out_of_time = True
                    break
                row = pending[0]
                try:
                    wire.send(row)
                except (
                    smtplib.SMTPRecipientsRefused,
                    smtplib.SMTPDataError,
                    smtplib.SMTPSenderRefused,
                ) as exc:
                    if getattr(exc, "smtp_code", None) == 421:
                        # "Service closing": the connection is gone for every message left,
                        # and they should all carry this reason rather than a follow-on error.
                        broken = exc
                        break
                    # The server answered: only this message is affected.
                    pending.pop(0)
                    _mark_attempt_failed(
                        row, now, smtp.describe_failure(exc), smtp.is_permanent(exc), report
                    )
                else:
                    pending.pop(0)
                    # Marked (and committed: cheap in WAL mode) before the next message goes
                    # out, so a sender killed mid-batch sends at most the one on the wire again.
                    marker.mark(row)
                    report.sent += 1
                if not pending:
                    if time.monotonic() >= deadline:
                        report.out_of_time = True  # more may be due: the next run sees
                        break
                    # The batch is done and time is left: take the next one on this connection.
                    pending = claim(now, limit, ids)
            if pending and broken is None:
                # Out of time. Released before the connection closes, so a slow or failed
                # goodbye to the server can't count an attempt against mail never tried.
                report.released += _release(pending)
                pending = []
    except (OSError, smtplib.SMTPException) as exc:
        # The connection itself broke (closing it may fail too: keep the first reason).
        broken = broken or exc
    if broken is not None:
        for row in pending:
            _mark_attempt_failed(row, now, smtp.describe_failure(broken), False, report)
    return report


def _release(rows: list[Row]) -> int:
    """Put claimed rows that were never tried back in the queue as they were: no attempt is
    counted and their release time stands, so the next run (or another sender) takes them at
    once instead of after the claim's lease. Returns how many this sender still held."""
    held = [(row.id, row.claim_token) for row in rows]
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_([row_id for row_id, _ in held]),
            OutboxMessage.claim_token.in_({token for _, token in held}),
            OutboxMessage.status == OutboxStatus.SENDING,
        )
        .values(status=OutboxStatus.QUEUED, claim_token=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount
