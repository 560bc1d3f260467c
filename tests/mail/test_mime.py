"""The bytes the outbox writes for each email read back, in any mail reader's parser, as the
row they came from: same bodies, subject, addresses and Message-ID, valid SMTP lines."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from app.mail import mime

SENDER = "Angels & Mortals <angels@angels.test>"
# Any text a template could produce (no lone surrogates: they are not text).
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
# Lines longer than SMTP allows, which must be re-encoded rather than sent as they are.
LONG = st.builds(
    lambda piece, times, tail: piece * times + tail,
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=9),
    st.integers(min_value=120, max_value=250),
    TEXT,
)
WORD = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd")), min_size=1, max_size=14
)
SUBJECT = st.lists(WORD, min_size=1, max_size=14).map(" ".join)


def _row(**values) -> SimpleNamespace:
    row = {
        "to_addr": "ada@example.org",
        "subject": "Your secret mission",
        "body_text": "Hello",
        "body_html": "<p>Hello</p>",
        "message_id": "<12345678901234567890123456789012@angels.test>",
        "attachment_name": None,
        "attachment_type": None,
        "attachment_text": None,
    }
    row.update(values)
    return SimpleNamespace(**row)


def _build(row, moment: datetime | None = None) -> bytes:
    return mime.build(row, mime.header("From", SENDER), mime.date_header(moment))


def _parse(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def _lines_are_smtp_lines(data: bytes) -> None:
    assert re.search(rb"(?<!\r)\n|\r(?!\n)", data) is None, "a line not ended by CRLF"
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))


def _normal(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@settings(max_examples=40, deadline=None)
@given(text=st.one_of(TEXT, LONG), html=st.one_of(TEXT, LONG), subject=SUBJECT)
def test_bodies_and_subject_read_back_as_written(text, html, subject):
    """Whatever the bodies hold (any script, long lines, stray CRs), the parsed message gives
    them back, line ends aside; the subject reads back exactly; every line is an SMTP line."""
    data = _build(_row(body_text=text, body_html=html, subject=subject))
    _lines_are_smtp_lines(data)
    message = _parse(data)
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    rich = message.get_body(preferencelist=("html",))
    assert _normal(plain.get_content()) == _normal(text)
    assert _normal(rich.get_content()) == _normal(html)
    assert str(message["Subject"]) == subject


def test_headers_name_the_recipient_alone_and_the_date_is_the_one_given():
    """From, To, Subject, Date, Message-ID and the MIME headers, nothing else; the sender and
    a non-ASCII subject are encoded and read back."""
    moment = datetime(2026, 12, 6, 7, 30, 5, tzinfo=UTC)
    row = _row(subject="Ta mission secrète — équipe Été")
    message = _parse(_build(row, moment))
    assert sorted(message.keys()) == sorted(
        ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"]
    )
    assert str(message["From"]) == SENDER
    assert [a.addr_spec for a in message["To"].addresses] == ["ada@example.org"]
    assert str(message["Subject"]) == row.subject
    assert str(message["Message-ID"]).strip() == row.message_id
    assert parsedate_to_datetime(str(message["Date"])) == moment
    assert mime.envelope_sender(SENDER) == "angels@angels.test"
    # Random parts of headers are digits only, so none can spell part of a name or address.
    assert re.fullmatch(r"==[0-9]{32}==", message.get_boundary())


def test_a_plain_body_goes_as_it_is_and_a_long_line_is_re_encoded():
    """Short lines go as they are (7bit or 8bit, readable in the raw message); a line over
    998 characters is sent quoted-printable instead."""
    data = _build(_row(body_text="Hello Zoë\nline two", body_html="<p>x</p>"))
    assert "Hello Zoë\r\nline two".encode() in data
    assert b"Content-Transfer-Encoding: 8bit" in data
    assert b"Content-Transfer-Encoding: 7bit" in data
    long = _build(_row(body_text="é" * 2000))
    assert b"Content-Transfer-Encoding: quoted-printable" in long
    _lines_are_smtp_lines(long)


def test_an_attachment_reads_back_with_its_name_and_text():
    """A journal attached to its email: the reader finds both bodies and the one attachment,
    its name and text intact."""
    row = _row(
        attachment_name="journal-été.txt",
        attachment_type="text/plain",
        attachment_text="Left a plant on a desk\nSmiled — twice\n",
    )
    data = _build(row)
    _lines_are_smtp_lines(data)
    message = _parse(data)
    assert message.get_content_type() == "multipart/mixed"
    assert message.get_body(preferencelist=("plain",)).get_content() == "Hello"
    (attached,) = message.iter_attachments()
    assert attached.get_filename() == row.attachment_name
    assert _normal(attached.get_content()) == row.attachment_text


def test_a_line_break_in_a_subject_cannot_add_a_header():
    """A subject holding a line break stays one Subject header."""
    message = _parse(_build(_row(subject="Hello\r\nBcc: eve@example.org")))
    assert message["Bcc"] is None
    assert str(message["Subject"]) == "HelloBcc: eve@example.org"


def test_an_internationalised_domain_is_addressed_as_idna():
    """A recipient at a non-ASCII domain gets a To header SMTP can carry: the domain in IDNA."""
    message = _parse(_build(_row(to_addr="zoe@exämple.org")))
    assert [a.addr_spec for a in message["To"].addresses] == ["zoe@xn--exmple-cua.org"]
