"""A real SMTP server for the mail tests (aiosmtpd), a silent one, and helpers to read mail."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage
    # The SMTP session (one per client connection) it arrived on.
    session: object = None


class Inbox:
    """aiosmtpd handler that keeps every accepted message; its policy can refuse mail.

    - rcpt_replies: address -> reply to RCPT TO (e.g. "550 5.1.1 No such user"); others accepted.
    - accept_limit: after this many accepted messages, DATA is answered "421" (server going down).
    """

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.rcpt_replies: dict[str, str] = {}
        self.accept_limit: int | None = None
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ARG002
        reply = self.rcpt_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ARG002
        with self._lock:
            if self.accept_limit is not None and len(self.messages) >= self.accept_limit:
                return "421 4.3.2 Service shutting down"
            self.messages.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    raw=envelope.content,
                    message=email.message_from_bytes(envelope.content, policy=email.policy.default),
                    session=session,
                )
            )
        return "250 Message accepted for delivery"

    @property
    def connections(self) -> int:
        """How many client connections delivered the messages (each held, so ids stay apart)."""
        return len({id(m.session) for m in self.messages})

    def to(self, address: str) -> list[Received]:
        """Messages whose envelope recipients include this address."""
        return [m for m in self.messages if address.lower() in (r.lower() for r in m.rcpt_tos)]


class SmtpServer:
    """A real SMTP server on a fixed localhost port that a test can stop and start again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inboxes: list[Inbox] = []
        self._controller: Controller | None = None

    @property
    def inbox(self) -> Inbox:
        """The inbox of the latest start."""
        return self.inboxes[-1]

    @property
    def all_messages(self) -> list[Received]:
        """Every message accepted across every start."""
        return [m for inbox in self.inboxes for m in inbox.messages]

    def start(self, inbox: Inbox | None = None) -> Inbox:
        """Start a new server on the port (a fresh Inbox unless one is given)."""
        assert self._controller is None, "already running"
        inbox = inbox or Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=self.port)
        controller.start()
        self._controller = controller
        self.inboxes.append(inbox)
        return inbox

    def stop(self) -> None:
        """Stop the server: connections to the port are refused until the next start."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class HangingServer:
    """Accepts TCP connections on the port and then never says a word (or only `greeting`)."""

    def __init__(self, port: int, greeting: bytes = b"") -> None:
        self.port = port
        self.greeting = greeting
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port))
        self._listener.listen(50)
        self._listener.settimeout(0.05)
        self._thread = threading.Thread(target=self._run, name="hanging-smtp", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted.append(conn)  # held open, silent, until close()
            if self.greeting:
                conn.sendall(self.greeting)

    def close(self) -> None:
        """Stop accepting and close every connection."""
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self.accepted:
            conn.close()
        self._listener.close()


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    """The decoded plain-text and HTML parts of a received message."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, "expected a plain text and an HTML part"
    return text.get_content(), html.get_content()


def header_values(message: EmailMessage) -> list[str]:
    """Every decoded header value, of the message and of each of its parts."""
    return [str(value) for part in message.walk() for value in part.values()]


LINK = re.compile(r"http://angels\.test(/p/\S+)")


def link_path(text: str) -> str:
    """The path of the private link in an invitation's text (PUBLIC_BASE_URL stripped)."""
    found = LINK.findall(text)
    assert len(found) == 1, f"expected one private link, found {found}"
    return found[0]


class TarpitInbox(Inbox):
    """A real server that takes `delay` seconds to answer each message's DATA, like a tarpit."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        """Wait, then accept the message as Inbox does."""
        import asyncio

        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)
