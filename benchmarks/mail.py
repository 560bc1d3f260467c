"""Benchmark invitation mail: from the draw to the last invitation received, against raw SMTP.

Run from the repository root:

    python benchmarks/mail.py [--people N]

Starts a local SMTP server (aiosmtpd) and, in a temporary SQLite file, a draft game of N people
(default 1,000). Then, in one run:

1. the draw (`draw_names`, the service the facilitator's button calls) is timed on its own: it
   writes the pairings and queues every invitation, and must send nothing;
2. `send_due()` is called, as `flask outbox send` and `flask tick` call it, until the server has
   received every invitation (each call sends batch after batch over one SMTP connection);
3. the same N messages, rendered beforehand, are sent with plain `smtplib` over one connection
   to the same server: the floor any sender could reach.

It prints the three times and the ratio of (2) to (3). Targets: the draw well under a second;
the ratio at most 1.5.
"""

from __future__ import annotations

import argparse
import random
import secrets
import smtplib
import socket
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiosmtpd.controller import Controller
from flask import current_app
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.mail import mime, outbox
from app.models import Game, OutboxMessage
from app.services import accounts, games, setup
from app.services.draw import draw_names

TARGET_RATIO = 1.5
TARGET_DRAW_SECONDS = 1.0


class Counter:
    """aiosmtpd handler that accepts everything and only counts, so the server costs both
    senders the same and as little as it can."""

    def __init__(self) -> None:
        self.received = 0
        self.reached = threading.Event()
        self.target = 0
        self._lock = threading.Lock()

    def expect(self, n: int) -> None:
        """Set the event once `n` more messages have arrived."""
        with self._lock:
            self.target = self.received + n
            self.reached.clear()

    async def handle_DATA(self, server, session, envelope):  # noqa: ARG002
        with self._lock:
            self.received += 1
            if self.received >= self.target:
                self.reached.set()
        return "250 Message accepted for delivery"


def build_game(people: int) -> int:
    """A draft game of `people` participants, added as a pasted roster (setup, not timed)."""
    facilitator = accounts.sign_up("Bench Facilitator", "bench@example.org", "bench password")
    today = date.today()
    game = games.create_game(
        facilitator,
        games.GameDetails(
            name="Benchmark month",
            group_kind="team",
            group_name="Bench team",
            starts_on=today,
            ends_on=today + timedelta(days=28),
            welcome="Be kind!",
            avoid_repeat_mortals=False,
        ),
    )
    roster = "\n".join(f"Person {i} <person{i}@example.org>" for i in range(people))
    reading = setup.read_and_add(game, roster, None)
    assert not reading.problems, reading.problems
    return game.id


def rendered(ids: list[int]) -> list[tuple[str, str, bytes]]:
    """(sender, recipient, bytes) of each queued message, rendered as the outbox would."""
    rows = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
    ).scalars()
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    from_header = mime.header("From", sender)
    return [
        (mime.envelope_sender(sender), row.to_addr, mime.build(row, from_header, mime.date_header()))
        for row in rows
    ]


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000)
    args = parser.parse_args()

    counter = Counter()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app(
                {
                    "SECRET_KEY": secrets.token_hex(32),
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
                    "AUTO_TICK": False,
                    "RATELIMIT_ENABLED": False,
                    "PUBLIC_BASE_URL": "http://angels.bench",
                    "MAIL_SERVER": "127.0.0.1",
                    "MAIL_PORT": port,
                    "MAIL_SUPPRESS_SEND": False,
                }
            )
            app.logger.setLevel("WARNING")
            with app.app_context():
                game_id = build_game(args.people)
                game = db.session.get(Game, game_id)

                started = time.perf_counter()
                drawn = draw_names(game, random.Random(1))
                draw_seconds = time.perf_counter() - started
                assert counter.received == 0, "the draw sent mail"
                ids = list(
                    db.session.execute(
                        select(OutboxMessage.id).where(OutboxMessage.kind == "invitation")
                    ).scalars()
                )
                assert len(ids) == drawn == args.people, (len(ids), drawn)
                # For the raw run below; timed apart, as the part of the app's cost that is
                # building each MIME message (the outbox does it as it sends, to stamp the Date).
                started = time.perf_counter()
                messages = rendered(ids)
                mime_seconds = time.perf_counter() - started
                db.session.expire_all()

                counter.expect(args.people)
                started = time.perf_counter()
                runs = 0
                while not counter.reached.is_set():
                    report = outbox.send_due()
                    runs += 1
                    if report.failed or report.retrying:
                        raise SystemExit(f"sending failed: {report}")
                    if report.sent == 0:
                        counter.reached.wait(5)
                        break
                counter.reached.wait(30)
                app_seconds = time.perf_counter() - started
                left = db.session.execute(
                    select(func.count()).where(OutboxMessage.status != "sent")
                ).scalar_one()
                assert counter.reached.is_set() and left == 0, (counter.received, left)

        counter.expect(len(messages))
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as connection:
            for sender, recipient, data in messages:
                connection.sendmail(sender, [recipient], data)
        counter.reached.wait(30)
        raw_seconds = time.perf_counter() - started
        assert counter.reached.is_set()
    finally:
        controller.stop()

    ratio = app_seconds / raw_seconds
    total = draw_seconds + app_seconds
    print(f"{args.people:,} people")
    print(
        f"  draw (draw_names, sends nothing): {draw_seconds * 1000:8.0f} ms  "
        f"(target < {TARGET_DRAW_SECONDS:g} s)"
    )
    print(f"  send_due until the last arrives:  {app_seconds * 1000:8.0f} ms  ({runs} call(s))")
    print(f"  draw to last invitation:          {total * 1000:8.0f} ms")
    print(f"  raw smtplib, one connection:      {raw_seconds * 1000:8.0f} ms")
    print(f"  (building the MIME messages alone: {mime_seconds * 1000:7.0f} ms, part of send_due)")
    print(f"  ratio send_due / raw:             {ratio:8.2f}   (target <= {TARGET_RATIO:g})")


if __name__ == "__main__":
    main()
