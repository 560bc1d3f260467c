"""The outbox: mail is written in the caller's transaction, sent after commit, retried.

- `enqueue` adds a row to the current session; the caller's commit makes it real, so a change
  and the mail it causes are saved together or not at all.
- `send_after_commit` tries those rows at once with a short timeout; anything that fails stays
  queued for `flask outbox send` (cron), which retries with back-off and gives up after
  OUTBOX_MAX_ATTEMPTS, marking the row failed for the facilitator to see.
- Rows are claimed with one conditional UPDATE (SQLite ignores FOR UPDATE), so two senders
  running at once never send the same message; a row marked sent is never sent again.
- With no MAIL_SERVER (the embedded default) nothing leaves the machine: messages stay queued
  and are written to the log, and the debug-only /dev/outbox page lists them.
"""

from __future__ import annotations

import secrets
import smtplib
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr

from flask import Flask, current_app, has_request_context, render_template, request
from flask_mail import Message
from sqlalchemy import and_, or_, select, update

from app.extensions import db, mail
from app.models import OutboxMessage, utcnow

# How long a claimed row stays reserved for the worker that claimed it.
CLAIM_LEASE = timedelta(minutes=10)


def init_app(app: Flask) -> None:
    """Make the log show kept messages when there is no mail server."""
    if not app.config.get("MAIL_SERVER") and not app.testing:
        if app.logger.level == 0 or app.logger.level > 20:
            app.logger.setLevel("INFO")


def external_url(endpoint: str, **values) -> str:
    """An absolute URL for an email: PUBLIC_BASE_URL, else the current request's host."""
    adapter = current_app.url_map.bind("localhost")
    path = adapter.build(endpoint, values)
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        base = request.host_url if has_request_context() else "http://127.0.0.1:5000/"
    return base.rstrip("/") + path


def _sender_domain() -> str:
    address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    return address.rpartition("@")[2] or "localhost"


def enqueue(
    *,
    kind: str,
    to_addr: str,
    template: str,
    subject: str,
    game_id: int | None = None,
    participant_id: int | None = None,
    **context,
) -> OutboxMessage:
    """Render `email/<template>.txt` and `.html` and add the message to the current session.

    Nothing is sent and nothing is committed here: the caller's commit saves the message along
    with the change that caused it.
    """
    context.setdefault("subject", subject)
    if "participant" in context and "preferences_link" not in context:
        # Every email to a participant carries a one-click link to their email preferences.
        from app.services.invitations import preferences_link

        context.setdefault("preferences_link", preferences_link(context["participant"]))
    message = OutboxMessage(
        kind=kind,
        to_addr=to_addr,
        subject=subject,
        body_text=render_template(f"email/{template}.txt", **context),
        body_html=render_template(f"email/{template}.html", **context),
        message_id=make_msgid(domain=_sender_domain()),
        game_id=game_id,
        participant_id=participant_id,
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    return message


@dataclass
class SendReport:
    """What one pass over the outbox did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _due_condition(now: datetime):
    """Rows a sender may take: queued and due, or claimed by a sender whose lease ran out."""
    return or_(
        and_(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now),
    )


def claim(now: datetime, limit: int, ids: list[int] | None = None) -> list[OutboxMessage]:
    """Claim up to `limit` due rows for this sender and commit the claim.

    One conditional UPDATE: a row another sender claimed first no longer matches, so each row
    goes to exactly one sender.
    """
    token = secrets.token_hex(16)
    due = select(OutboxMessage.id).where(_due_condition(now)).order_by(OutboxMessage.id)
    if ids is not None:
        due = due.where(OutboxMessage.id.in_(ids))
    # PostgreSQL: rows another sender is claiming right now are skipped, not waited for.
    # SQLite has no row locks; the conditional UPDATE below is what keeps claims exclusive.
    due = due.limit(limit).with_for_update(skip_locked=True)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()), _due_condition(now))
        .values(status="sending", claim_token=token, claimed_until=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return list(
        db.session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.claim_token == token)
            .order_by(OutboxMessage.id)
        ).scalars()
    )


def _as_mail(row: OutboxMessage) -> Message:
    message = Message(
        subject=row.subject,
        recipients=[row.to_addr],
        body=row.body_text,
        html=row.body_html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
    )
    message.msgId = row.message_id
    return message


def _mark_sent(row: OutboxMessage, now: datetime) -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id, OutboxMessage.claim_token == row.claim_token)
        .values(
            status="sent",
            sent_at=now,
            claim_token=None,
            claimed_until=None,
            attempts=OutboxMessage.attempts + 1,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _mark_attempt_failed(
    row: OutboxMessage, now: datetime, error: str, permanent: bool, report: SendReport
) -> None:
    attempts = row.attempts + 1
    give_up = permanent or attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]
    backoff = current_app.config["OUTBOX_BACKOFF_SECONDS"] * 2 ** min(attempts - 1, 10)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id, OutboxMessage.claim_token == row.claim_token)
        .values(
            status="failed" if give_up else "queued",
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


def _is_permanent(exc: Exception) -> bool:
    """A 5xx answer about the recipient will not get better by retrying."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def send_due(
    now: datetime | None = None,
    limit: int = 200,
    ids: list[int] | None = None,
    timeout: float | None = None,
) -> SendReport:
    """Send what is due over one SMTP connection. Never raises for mail trouble.

    A message marked sent is never sent again; one that fails is retried later with back-off.
    """
    report = SendReport()
    if not current_app.config.get("MAIL_SERVER"):
        return report
    now = now or utcnow()
    rows = claim(now, limit, ids)
    if not rows:
        return report
    pending = list(rows)
    broken: Exception | None = None
    try:
        with mail.connect(timeout=timeout) as connection:
            while pending:
                row = pending[0]
                try:
                    connection.send(_as_mail(row))
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
                    _mark_attempt_failed(row, now, _describe(exc), _is_permanent(exc), report)
                    continue
                pending.pop(0)
                _mark_sent(row, utcnow())
                report.sent += 1
    except (OSError, smtplib.SMTPException) as exc:
        # The connection itself broke (closing it may fail too: keep the first reason).
        broken = broken or exc
    if broken is not None:
        for row in pending:
            _mark_attempt_failed(row, now, _describe(broken), False, report)
    return report


def _describe(exc: Exception) -> str:
    # smtplib reports a read that timed out as SMTPServerDisconnected("... timed out"), with
    # the TimeoutError only as its context: look along the chain.
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, socket.timeout | TimeoutError):
            return "the mail server did not answer in time"
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, ConnectionRefusedError):
        return "the mail server refused the connection"
    return f"{type(exc).__name__}: {exc}"


def send_after_commit(messages: list[OutboxMessage]) -> None:
    """Called by a service right after it committed: send these now, or log them if mail is off.

    Runs inside the request with a short timeout, so a slow mail server delays the page by at
    most MAIL_REQUEST_TIMEOUT; whatever fails is left for `flask outbox send`.
    """
    ids = [m.id for m in messages]
    if not ids:
        return
    if not current_app.config.get("MAIL_SERVER"):
        for m in messages:
            current_app.logger.info(
                "Mail kept in the outbox (no MAIL_SERVER): to %s, %r\n%s",
                m.to_addr,
                m.subject,
                m.body_text,
            )
        return
    deadline = time.monotonic() + current_app.config["MAIL_REQUEST_BUDGET"]
    try:
        # Small batches until the time budget is spent; the rest waits for the periodic sender.
        for start in range(0, len(ids), 20):
            report = send_due(
                ids=ids[start : start + 20], timeout=current_app.config["MAIL_REQUEST_TIMEOUT"]
            )
            if report.errors or time.monotonic() > deadline:
                break
    except Exception:  # noqa: BLE001 - the change is committed; mail must not undo the page
        db.session.rollback()
        current_app.logger.exception("Sending after commit failed; the outbox will retry")
