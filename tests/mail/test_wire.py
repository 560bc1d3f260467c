"""The sender speaks SMTP as smtplib's `sendmail` does, only split so its own work fits in the
server's waits: the same envelope addresses, the same dot-quoted data, the same message."""

from __future__ import annotations

import re
import smtplib

from hypothesis import given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.mail.outbox import new_message_id, send_due
from app.mail.smtp import quoted_address, quoted_data
from app.models import OutboxMessage, utcnow
from tests.mail.smtp_support import text_and_html

ATOM = "A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
PLAIN = re.compile(rf"[{ATOM}]+(?:\.[{ATOM}]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
# Addresses as they come, plain or not: quotes, spaces, brackets, dots in odd places, scripts.
ANY_ADDRESS = st.one_of(
    st.from_regex(PLAIN, fullmatch=True),
    st.text(st.sampled_from('ab.@<>"() ,;:\\é-+'), max_size=20),
    st.text(max_size=20),
)


@settings(max_examples=200)
@given(ANY_ADDRESS)
def test_envelope_addresses_are_written_as_smtplib_writes_them(address):
    """MAIL FROM and RCPT TO carry exactly what smtplib.quoteaddr makes of an address."""
    assert quoted_address(address) == smtplib.quoteaddr(address)


# Message bytes with periods where dot-quoting matters: at the start, after line ends, alone.
PIECES = st.sampled_from([b".", b"..", b"\r\n", b"\n", b"\r", b"a", b" .", b"\r\n.\r\n"])
DATA = st.one_of(st.binary(max_size=80), st.lists(PIECES, max_size=25).map(b"".join))


@settings(max_examples=200)
@given(DATA)
def test_data_is_dot_quoted_and_ended_as_smtplib_sends_it(data):
    """What goes after DATA is what `smtplib.SMTP.data` sends for the same bytes."""
    expected = smtplib._quote_periods(data)  # noqa: SLF001 (smtplib's own, as reference)
    if expected[-2:] != smtplib.bCRLF:
        expected += smtplib.bCRLF
    assert quoted_data(data) == expected + b".\r\n"


def test_lines_that_begin_with_a_period_arrive_as_written(app, smtp):
    """A body whose lines begin with periods (a lone "." among them, which would end the data
    if it were not quoted) reaches the reader exactly as it was queued."""
    body = ".\n..\n.hidden\nnot at the start.\n.\nend"
    with app.app_context():
        db.session.add(
            OutboxMessage(
                kind="digest",
                to_addr="dots@example.org",
                subject="Dots",
                body_text=body,
                body_html=f"<pre>{body}</pre>",
                message_id=new_message_id(),
                next_attempt_at=utcnow(),
            )
        )
        db.session.commit()
        assert send_due().sent == 1
    received = smtp.inbox.to("dots@example.org")
    assert len(received) == 1
    text, html = text_and_html(received[0].message)
    assert text.replace("\r\n", "\n").rstrip("\n") == body
    assert html.replace("\r\n", "\n").rstrip("\n") == f"<pre>{body}</pre>"
