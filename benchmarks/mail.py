"""Benchmark invitation mail: from the draw to the last invitation received, against raw SMTP.

Run from the repository root:

    python benchmarks/mail.py [--people N ...] [--draw-only N ...] [--repeat R]

Starts a local SMTP server (aiosmtpd) and, for each size, in a temporary SQLite file, a draft
game of N people (default 1,000; MAX_ROSTER_SIZE is raised to 20,000 for the run). Then:

1. the draw (`draw_names`, the service the facilitator's button calls) is timed on its own: it
   writes the pairings and queues every invitation, and must send nothing;
2. `send_due()` is called, as `flask outbox send` and `flask tick` call it, until the server has
   received every invitation (each call sends batch after batch over one SMTP connection);
3. the same N messages, built beforehand, are sent with plain `smtplib` over one connection
   to the same server: the floor any sender could reach.

It prints the three times and the ratios to (3) of (2) and of (1)+(2), for each of `--repeat`
runs (default 3), then the medians and whether the targets were met. Targets: the draw well
under a second at 1,000, sending nothing; from the draw to the last invitation received, at
most 1.5 times raw smtplib on one connection in the same run ((1)+(2) <= 1.5 x (3)). The
machine's load sways the times: the ratios, and their medians over runs, are what to compare.
`--draw-only` sizes (default 20,000) time only the draw and its queueing: nothing is sent.
"""

from __future__ import annotations

import argparse
import random
import secrets
import smtplib
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
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
        # The SMTP sessions that delivered since the last `expect`: one per connection.
        self.sessions: list[object] = []
        self.reached = threading.Event()
        self.target = 0
        self._lock = threading.Lock()

    def expect(self, n: int) -> None:
        """Set the event once `n` more messages have arrived."""
        with self._lock:
            self.target = self.received + n
            self.reached.clear()
            self.sessions = []

    def connections(self) -> int:
        """How many SMTP connections delivered since the last `expect`."""
        with self._lock:
            return len({id(session) for session in self.sessions})

    async def handle_DATA(self, server, session, envelope):  # noqa: ARG002
        with self._lock:
            self.received += 1
            if not any(known is session for known in self.sessions[-1:]):
                self.sessions.append(session)
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
        (
            mime.envelope_sender(sender),
            row.to_addr,
            mime.build(row, from_header, mime.date_header()),
        )
        for row in rows
    ]


@dataclass
class Figures:
    """One size's measurements, in seconds (send figures are None for a draw-only run)."""

    people: int
    draw: float
    draw_cpu: float
    send: float | None = None
    raw: float | None = None
    # CPU seconds of the whole process (sender and the in-process server) over each phase:
    # what the work costs, much less swayed than wall time by other load on the machine.
    send_cpu: float | None = None
    raw_cpu: float | None = None
    mime: float | None = None
    calls: int = 0
    connections: int = 0


def measure(people: int, port: int, counter: Counter, *, send: bool) -> Figures:
    """Build a game of `people`, time its draw and, if `send`, the sending against raw SMTP."""
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
                "MAX_ROSTER_SIZE": 20_000,
            }
        )
        app.logger.setLevel("WARNING")
        with app.app_context():
            game_id = build_game(people)
            game = db.session.get(Game, game_id)
            before = counter.received
            started, cpu = time.perf_counter(), time.process_time()
            drawn = draw_names(game, random.Random(1))
            figures = Figures(people, time.perf_counter() - started, time.process_time() - cpu)
            assert counter.received == before, "the draw sent mail"
            ids = list(
                db.session.execute(
                    select(OutboxMessage.id).where(OutboxMessage.kind == "invitation")
                ).scalars()
            )
            assert len(ids) == drawn == people, (len(ids), drawn)
            if not send:
                return figures
            # For the raw run below; timed apart, as the part of the app's cost that is
            # building each MIME message (the outbox does it as it sends, to stamp the Date).
            started = time.perf_counter()
            messages = rendered(ids)
            figures.mime = time.perf_counter() - started
            db.session.expire_all()

            counter.expect(people)
            started, cpu = time.perf_counter(), time.process_time()
            while not counter.reached.is_set():
                report = outbox.send_due()
                figures.calls += 1
                if report.failed or report.retrying:
                    raise SystemExit(f"sending failed: {report}")
                if report.sent == 0:
                    counter.reached.wait(5)
                    break
            counter.reached.wait(30)
            figures.send = time.perf_counter() - started
            figures.send_cpu = time.process_time() - cpu
            figures.connections = counter.connections()
            left = db.session.execute(
                select(func.count()).where(OutboxMessage.status != "sent")
            ).scalar_one()
            assert counter.reached.is_set() and left == 0, (counter.received, left)

    counter.expect(len(messages))
    started, cpu = time.perf_counter(), time.process_time()
    with smtplib.SMTP("127.0.0.1", port) as connection:
        for sender, recipient, data in messages:
            connection.sendmail(sender, [recipient], data)
    counter.reached.wait(30)
    figures.raw = time.perf_counter() - started
    figures.raw_cpu = time.process_time() - cpu
    assert counter.reached.is_set()
    return figures


def show(f: Figures) -> None:
    """Print one size's figures."""
    print(f"{f.people:,} people")
    print(
        f"  draw (draw_names, sends nothing):  {f.draw * 1000:8.0f} ms  "
        f"(CPU {f.draw_cpu * 1000:.0f} ms; target < {TARGET_DRAW_SECONDS:g} s at 1,000)"
    )
    if f.send is None or f.raw is None or f.mime is None:
        return
    print(
        f"  send_due until the last arrives:   {f.send * 1000:8.0f} ms  "
        f"({f.calls} call(s), {f.connections} SMTP connection(s))"
    )
    print(f"  draw to last invitation:           {(f.draw + f.send) * 1000:8.0f} ms")
    print(f"  raw smtplib, one connection:       {f.raw * 1000:8.0f} ms")
    print(f"  (building the MIME messages alone: {f.mime * 1000:7.0f} ms, part of send_due)")
    print(f"  ratio send_due / raw:              {f.send / f.raw:8.2f}")
    print(
        f"  ratio draw + send_due / raw:       {(f.draw + f.send) / f.raw:8.2f}   "
        f"(target <= {TARGET_RATIO:g})"
    )
    if f.send_cpu and f.raw_cpu:
        print(
            f"  CPU (sender + server) send / raw:  {f.send_cpu / f.raw_cpu:8.2f}   "
            f"({f.send_cpu * 1000:.0f} ms / {f.raw_cpu * 1000:.0f} ms; draw + send / raw "
            f"{(f.draw_cpu + f.send_cpu) / f.raw_cpu:.2f})"
        )


def summarise(people: int, runs: list[Figures]) -> None:
    """Print the medians of the runs of one size and whether the issue's targets were met."""
    runs = [f for f in runs if f.send and f.raw and f.send_cpu and f.raw_cpu]
    if not runs:
        return

    def median(values) -> float:
        return statistics.median(values)

    ratios = sorted(f.send / f.raw for f in runs)
    totals = sorted((f.draw + f.send) / f.raw for f in runs)
    cpus = sorted((f.draw_cpu + f.send_cpu) / f.raw_cpu for f in runs)
    draw = median(f.draw for f in runs)
    print(
        f"{people:,} people, {len(runs)} run(s), medians: (1) draw {draw * 1000:.0f} ms, "
        f"(2) send_due {median(f.send for f in runs) * 1000:.0f} ms, "
        f"(3) raw smtplib {median(f.raw for f in runs) * 1000:.0f} ms"
    )
    print(
        f"  (2)/(3) send_due / raw: {median(ratios):.2f} (runs: "
        + ", ".join(f"{r:.2f}" for r in ratios)
        + ")"
    )
    print(
        f"  ((1)+(2))/(3) draw to last invitation / raw: {median(totals):.2f} (runs: "
        + ", ".join(f"{r:.2f}" for r in totals)
        + f"); in CPU seconds {median(cpus):.2f}"
    )
    met = median(totals) <= TARGET_RATIO
    print(
        f"  END-TO-END TARGET (draw to last invitation <= {TARGET_RATIO:g} x raw smtplib): "
        + ("MET" if met else "NOT MET")
        + f" ({median(totals):.2f})"
    )
    print(
        f"  DRAW TARGET (< {TARGET_DRAW_SECONDS:g} s, sending nothing): "
        + ("MET" if draw < TARGET_DRAW_SECONDS else "NOT MET")
        + f" ({draw * 1000:.0f} ms)"
    )


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[1_000])
    parser.add_argument(
        "--draw-only",
        type=int,
        nargs="*",
        default=[20_000],
        help="Sizes whose draw and queueing alone are timed (none: give the flag no value).",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="Full runs per size (a fresh game each); the median ratio damps a busy machine.",
    )
    args = parser.parse_args()

    counter = Counter()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        for people in args.people:
            runs = [measure(people, port, counter, send=True) for _ in range(args.repeat)]
            for figures in runs:
                show(figures)
            summarise(people, runs)
        for people in args.draw_only:
            show(measure(people, port, counter, send=False))
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
