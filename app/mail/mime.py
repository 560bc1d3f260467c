"""The bytes of one outbox email, built directly rather than through Flask-Mail's Message.

Flask-Mail builds each message as a tree of `email` objects and serialises it through the
generic generator, which costs several times what the SMTP exchange itself costs on a local
server. An outbox row always has the same shape (a plain text and an HTML part, and rarely one
text attachment), so the message is written as bytes around the two bodies:

- headers that may hold anything (the From display name, the subject, an unusual address) are
  folded and, when not ASCII, RFC 2047-encoded by the stdlib; the sender's header and each
  distinct subject are encoded once and remembered (a draw's invitations share one subject);
- bodies are UTF-8, sent as they are (7bit or 8bit, as Flask-Mail did) unless a line is longer
  than SMTP allows, then quoted-printable; every line ends in CRLF;
- the MIME boundary is random digits, checked against the bodies;
- the one attachment part, rare, is built by the stdlib.

Headers carry what they always did: From, To (the one recipient), Subject, a Date stamped by the
caller as the message is sent, and the row's random Message-ID. Nothing else, so no header can
name anyone but the recipient.
"""

from __future__ import annotations

import binascii
import re
import secrets
import time
from datetime import UTC, datetime
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from typing import Protocol

SMTP_POLICY = policy.SMTP
CRLF = b"\r\n"
# RFC 5321 allows 998 characters per line before the CRLF.
MAX_LINE = 998
# An address that needs no folding, quoting or encoding in a To header.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


class Row(Protocol):
    """What the builder reads from an outbox row."""

    to_addr: str
    subject: str
    body_text: str
    body_html: str
    message_id: str
    attachment_name: str | None
    attachment_type: str | None
    attachment_text: str | None


@lru_cache(maxsize=256)
def header(name: str, value: str) -> bytes:
    """One header line ending in CRLF: folded and, when not ASCII, RFC 2047-encoded.

    Line breaks in the value are dropped, so no value can add a header of its own. Address
    headers (From, To) are written by `email.utils.formataddr`; others, such as the Subject,
    by `email.header.Header` (the stdlib's newer folder can drop a space between encoded
    words, and a subject must read back exactly)."""
    value = "".join(value.splitlines())
    if name in ("From", "To"):
        display, address = parseaddr(value)
        if address.isascii():
            return f"{name}: {formataddr((display, address), charset='utf-8')}".encode() + CRLF
        # A non-ASCII address: the policy's own address folding copes with it.
        parsed = SMTP_POLICY.header_factory(name, value)
        return parsed.fold(policy=SMTP_POLICY).encode("ascii")
    charset = "us-ascii" if value.isascii() else "utf-8"
    encoded = Header(value, charset, header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}".encode("ascii") + CRLF


def envelope_sender(sender: str) -> str:
    """The bare address of the configured sender, for SMTP's MAIL FROM."""
    return parseaddr(sender)[1]


def date_header(moment: datetime | None = None) -> bytes:
    """The Date header for a message sent now (or at `moment`)."""
    if moment is None:
        # A Date has whole seconds: made once a second, not once a message.
        second = int(time.time())
        cached_second, cached = _latest_date[0]
        if cached_second == second:
            return cached
        made = _date_line(datetime.fromtimestamp(second, UTC))
        _latest_date[0] = (second, made)  # one tuple, swapped whole: safe across threads
        return made
    return _date_line(moment)


def _date_line(moment: datetime) -> bytes:
    return b"Date: " + format_datetime(moment).encode("ascii") + CRLF


# The latest Date line made and its second.
_latest_date: list[tuple[int, bytes]] = [(0, b"")]


def _to_header(address: str) -> bytes:
    if len(address) < 70 and _PLAIN_ADDRESS.fullmatch(address):
        return b"To: " + address.encode("ascii") + CRLF
    local, _, domain = address.rpartition("@")
    if not address.isascii() and local.isascii():
        # An internationalised domain is written as IDNA, as SMTP's RCPT TO gives it.
        try:
            address = f"{local}@{domain.encode('idna').decode('ascii')}"
        except UnicodeError:
            pass
    return header("To", address)


def _body(text: str) -> tuple[bytes, bytes]:
    """(Content-Transfer-Encoding, encoded body with CRLF line ends) of one text body."""
    data = text.encode("utf-8")
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if len(data) > MAX_LINE and any(len(line) > MAX_LINE for line in data.split(b"\n")):
        encoding, data = b"quoted-printable", binascii.b2a_qp(data, istext=True)
    else:
        encoding = b"7bit" if data.isascii() else b"8bit"
    return encoding, data.replace(b"\n", CRLF)


def _text_part(subtype: bytes, text: str) -> bytes:
    encoding, data = _body(text)
    return (
        b"Content-Type: text/"
        + subtype
        + b'; charset="utf-8"\r\nContent-Transfer-Encoding: '
        + encoding
        + CRLF
        + CRLF
        + data
    )


def _boundary() -> bytes:
    # Digits only, like the Message-ID: no run of a header's characters may spell part of a
    # name or address (random letters could, and a reader of headers would wonder why).
    return f"=={secrets.randbelow(10**32):032d}==".encode("ascii")


def _multipart(subtype: bytes, parts: list[bytes]) -> bytes:
    """Content-Type header and body of a multipart of these parts (each headers + body)."""
    boundary = _boundary()
    while any(boundary in part for part in parts):  # practically never
        boundary = _boundary()
    delimiter = CRLF + b"--" + boundary
    return (
        b"Content-Type: multipart/"
        + subtype
        + b'; boundary="'
        + boundary
        + b'"'
        + CRLF
        + CRLF
        + b"".join(delimiter + CRLF + part for part in parts)
        + delimiter
        + b"--"
        + CRLF
    )


def _attachment(row: Row) -> bytes:
    part = EmailMessage(policy=SMTP_POLICY)
    maintype, _, subtype = (row.attachment_type or "text/plain").partition("/")
    if maintype != "text":
        maintype, subtype = "text", "plain"
    part.set_content(
        row.attachment_text or "",
        subtype=subtype or "plain",
        charset="utf-8",
        disposition="attachment",
        filename=row.attachment_name,
    )
    return part.as_bytes()


def build(row: Row, from_header: bytes, date: bytes) -> bytes:
    """The whole message for one row: `from_header` is `header("From", sender)` and `date`
    is `date_header()` taken as the message is sent."""
    body = _multipart(
        b"alternative", [_text_part(b"plain", row.body_text), _text_part(b"html", row.body_html)]
    )
    if row.attachment_name and row.attachment_text is not None:
        # The alternative's own Content-Type header and body become the first part.
        body = _multipart(b"mixed", [body, _attachment(row)])
    return (
        from_header
        + _to_header(row.to_addr)
        + header("Subject", row.subject)
        + date
        + b"Message-ID: "
        + row.message_id.encode("ascii")
        + CRLF
        + b"MIME-Version: 1.0"
        + CRLF
        + body
    )
