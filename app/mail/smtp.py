"""SMTP for the outbox: Flask-Mail connections with a socket timeout, and `Wire`, which sends
one message after another on such a connection as smtplib's `sendmail` would, but does the
sender's own work (marking the previous message, building the next) while the server reads,
never after the message it depends on could be delivered."""

from __future__ import annotations

import re
import smtplib
import socket
from collections.abc import Callable

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


def _nothing() -> None:
    """What a send does meanwhile when the caller has nothing to do."""


class Wire:
    """One open SMTP connection and what every message on it shares: the envelope sender and
    the folded From header. `host` is None when MAIL_SUPPRESS_SEND keeps mail from leaving.

    SMTP is lock-step: each command waits for the server's answer. A send does the sender's
    own work in those waits rather than between them: `meanwhile()` (the caller marks the
    previous message sent) runs while the server reads MAIL FROM, and the next message's
    bytes are built while the server reads this one's end of data. A message is delivered
    only once the server answers its end of data ("."), and `meanwhile()` has returned before
    that "." goes out: whatever `meanwhile()` commits is committed before this message can
    be delivered.
    """

    def __init__(self, host: smtplib.SMTP | None, sender: str) -> None:
        self.host = host
        self.mail_from = mime.envelope_sender(sender)
        self.from_header = mime.header("From", sender)
        self.quoted_from = quoted_address(self.mail_from)
        # The next message's bytes, built ahead while the server read the previous one.
        self.ahead: tuple[str, bytes] | None = None

    def send(
        self,
        row: mime.Row,
        meanwhile: Callable[[], None] = _nothing,
        upcoming: mime.Row | None = None,
    ) -> None:
        """Hand the row's message, its Date stamped now, to the server, as smtplib's
        `sendmail` does and raising what it raises; `meanwhile()` runs once, whatever
        happens, before the end of data goes out. `upcoming` is the message likely sent
        next: its bytes are built while the server reads this one's."""
        try:
            data = self._bytes(row)
            recipient = row.to_addr
            if not recipient.isascii():
                # SMTP commands are ASCII: an internationalised domain goes as IDNA, as it
                # did through Flask-Mail.
                recipient = sanitize_address(recipient)
            host = self.host
            if host is None:
                return
            host.ehlo_or_helo_if_needed()
            options = f" size={len(data)}" if host.does_esmtp and host.has_extn("size") else ""
            host.putcmd("mail", f"FROM:{self.quoted_from}{options}")
        finally:
            meanwhile()
        self._envelope(host, recipient)
        _expect(host, "data", 354)
        host.send(quoted_data(data))
        if upcoming is not None:
            self.ahead = (upcoming.message_id, self._bytes(upcoming))
        code, reply = host.getreply()
        if code != 250:
            _give_up(host, code)
            raise smtplib.SMTPDataError(code, reply)

    def _bytes(self, row: mime.Row) -> bytes:
        ahead, self.ahead = self.ahead, None
        if ahead is not None and ahead[0] == row.message_id:
            return ahead[1]
        return mime.build(row, self.from_header, mime.date_header())

    def _envelope(self, host: smtplib.SMTP, recipient: str) -> None:
        """The answer to MAIL FROM (already sent), then RCPT TO, as `sendmail` reads them."""
        code, reply = host.getreply()
        if code != 250:
            _give_up(host, code)
            raise smtplib.SMTPSenderRefused(code, reply, self.mail_from)
        host.putcmd("rcpt", f"TO:{quoted_address(recipient)}")
        code, reply = host.getreply()
        if code not in (250, 251):
            _give_up(host, code)
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})


# An address `smtplib.quoteaddr` gives back as it is, in angle brackets: a dot-atom local part
# and a plain domain, as almost every address is.
_PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
)


def quoted_address(address: str) -> str:
    """What `smtplib.quoteaddr` gives for this address (as MAIL FROM and RCPT TO write it);
    a plain address is not parsed, which cost as much as the rest of the envelope."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


def _expect(host: smtplib.SMTP, command: str, wanted: int) -> None:
    """Send a bare command and read its answer; anything but `wanted` raises as
    `smtplib.SMTP.data` does (no reset: the server refused the command itself)."""
    host.putcmd(command)
    code, reply = host.getreply()
    if code != wanted:
        raise smtplib.SMTPDataError(code, reply)


def _give_up(host: smtplib.SMTP, code: int) -> None:
    """After a refusal, as `sendmail` does: a 421 closes the connection, anything else resets
    the transaction for the next message."""
    if code == 421:
        host.close()
    else:
        host._rset()  # noqa: SLF001 (what sendmail itself calls)


def quoted_data(data: bytes) -> bytes:
    """A message's bytes as DATA sends them, as `smtplib.SMTP.data` writes them: lines that
    begin with a period doubled, ending in CRLF, then the lone "." that ends the data."""
    if data.startswith(b".") or b"\n." in data:
        quoted = smtplib._quote_periods(data)  # noqa: SLF001 (smtplib's own quoting)
    else:
        quoted = data  # no line begins with a period: nothing to quote, and no need to look
    if quoted[-2:] != smtplib.bCRLF:
        quoted += smtplib.bCRLF
    return quoted + b"." + smtplib.bCRLF


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
