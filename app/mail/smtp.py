"""SMTP connections that time out: Flask-Mail with a socket timeout on every connection."""

from __future__ import annotations

import smtplib
import socket

from flask import Flask, current_app
from flask_mail import Connection, Mail, sanitize_address

from app.mail import mime


class TimeoutConnection(Connection):
    """A Flask-Mail connection with a socket timeout.

    Flask-Mail opens smtplib connections with no timeout, so a server that accepts and never
    answers would hang the request or the worker forever.
    """

    timeout: float = 10.0

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        """Open the SMTP connection like Flask-Mail does, but with a timeout."""
        state = self.mail
        if state.use_ssl:
            host = smtplib.SMTP_SSL(state.server, state.port, timeout=self.timeout)
        else:
            host = smtplib.SMTP(state.server, state.port, timeout=self.timeout)
        host.set_debuglevel(int(state.debug))
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host


class TimeoutMail(Mail):
    """Flask-Mail whose connections time out (see TimeoutConnection)."""

    def connect(self, timeout: float | None = None) -> TimeoutConnection:
        """Open a connection that gives up after `timeout` seconds (MAIL_TIMEOUT by default)."""
        connection = TimeoutConnection(current_app.extensions["mail"])
        connection.timeout = timeout or current_app.config["MAIL_TIMEOUT"]
        return connection


mail = TimeoutMail()


def init_app(app: Flask) -> None:
    """Bind the mail extension to the app."""
    mail.init_app(app)


class Wire:
    """One open SMTP connection and what every message on it shares: the envelope sender and
    the folded From header. `host` is None when MAIL_SUPPRESS_SEND keeps mail from leaving."""

    def __init__(self, host: smtplib.SMTP | None, sender: str) -> None:
        self.host = host
        self.mail_from = mime.envelope_sender(sender)
        self.from_header = mime.header("From", sender)

    def send(self, row: mime.Row) -> None:
        """Build the row's message, its Date stamped now, and hand it to the server."""
        data = mime.build(row, self.from_header, mime.date_header())
        recipient = row.to_addr
        if not recipient.isascii():
            # SMTP commands are ASCII: an internationalised domain goes as IDNA, as it did
            # through Flask-Mail.
            recipient = sanitize_address(recipient)
        if self.host is not None:
            self.host.sendmail(self.mail_from, [recipient], data)


def is_permanent(exc: Exception) -> bool:
    """A 5xx answer about the recipient will not get better by retrying."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def describe_failure(exc: Exception) -> str:
    """A short reason for a failed send, for the row's last_error and the command's report
    (never a body, link or token)."""
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
