"""Benchmark invitation mail: from the draw to the last invitation received, against raw SMTP.

Run from the repository root:

    python benchmarks/mail.py [--people N ...] [--draw-only N ...] [--repeat R]
                              [--server process|thread]

Starts a local SMTP server (aiosmtpd) and, for each size, in a temporary SQLite file, a draft
game of N people (default 1,000; MAX_ROSTER_SIZE is raised to 20,000 for the run). Then:

1. the draw (`draw_names`, the service the facilitator's button calls) is timed on its own: it
   writes the pairings and queues every invitation, and must send nothing;
2. `send_due()` is called, as `flask outbox send` and `flask tick` call it, until the server has
   received every invitation (each call sends batch after batch over one SMTP connection);
3. the same N messages, built beforehand, are sent with plain `smtplib` over one connection
   to the same server: the floor any lock-step sender could reach.

(2) and (3) run from the start of sending to the moment the server received the last message
(its handler notes the time on `time.monotonic`, one clock for every process): "to the last
invitation received", as the target is stated. What each sender does after that (its goodbye
to the server; for send_due its last marks, closing its database connection and checkpointing
the WAL) is printed too, as "returned at", with the ratio it would give.

The server runs in a process of its own by default, as any real SMTP server does (postfix, a
relay: another process, usually another machine): sender and server then work at the same
time, and the sender does its own work (marking the previous message sent, building the next
one) while it waits for the server's answers. `--server thread` runs it in a thread of the
benchmark's process instead, as the benchmark first did: with the GIL, the sender's and the
server's CPU take turns. The CPU figures add the server process's CPU time (noted by its
handler at each message) to the benchmark's own, so they count sender and server in both modes.

It prints the three times and the ratios to (3) of (2) and of (1)+(2), for each of `--repeat`
runs (default 3), then the medians and whether the targets were met. Targets: the draw well
under a second at 1,000, sending nothing; from the draw to the last invitation received, at
most 1.5 times raw smtplib on one connection in the same run ((1)+(2) <= 1.5 x (3)). The
machine's load sways the times: the ratios, and their medians over runs, are what to compare.
`--draw-only` sizes (default 20,000) time only the draw and its queueing: nothing is sent.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import secrets
import smtplib
import socket
import statistics
import sys
import tempfile
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
SERVER_MODES = {
    "process": "a process of its own",
    "thread": "a thread of the benchmark's process (sharing its GIL)",
}


class Counter:
    """aiosmtpd handler that accepts everything and only counts, so the server costs both
    senders the same and as little as it can. The counts live in shared memory, so the
    handler may run in another process; `cpu` holds that process's CPU seconds and `last_at`
    the moment the latest message arrived (time.monotonic: one clock for every process)."""

    def __init__(self, received, connections, cpu, last_at) -> None:
        self.received = received
        self.connections = connections
        self.cpu = cpu
        self.last_at = last_at
        self._session: object | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: ARG002
        if session is not self._session:
            # One SMTP session per connection: a new one that delivers is a new connection.
            self._session = session
            self.connections.value += 1
        self.received.value += 1
        self.cpu.value = time.process_time()
        self.last_at.value = time.monotonic()
        return "250 Message accepted for delivery"


def _serve(port: int, shared: tuple, ready, stop) -> None:
    """The SMTP server's own process: serve until `stop` is set."""
    controller = Controller(Counter(*shared), hostname="127.0.0.1", port=port)
    controller.start()
    shared[2].value = time.process_time()  # what starting cost is none of the senders'
    ready.set()
    stop.wait()
    controller.stop()


class Server:
    """The local SMTP server both senders talk to, and what it has received.

    mode "process" (the default) runs it in a process of its own, as every real SMTP server
    is: the sender and the server then work at the same time, on two cores. mode "thread"
    runs it in a thread of this process, as the benchmark first did: with the GIL, sender and
    server take turns, and this process's CPU time holds both."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        context = multiprocessing.get_context("spawn")
        # No locks: only the handler writes them, and the reader waits for the count.
        self.received = context.RawValue("q", 0)
        self.connections_seen = context.RawValue("q", 0)
        self.cpu_seconds = context.RawValue("d", 0.0)
        self.last_at = context.RawValue("d", 0.0)
        shared = (self.received, self.connections_seen, self.cpu_seconds, self.last_at)
        self.target = 0
        self.connections_before = 0
        if mode == "thread":
            counter = Counter(*shared)
            self._controller = Controller(counter, hostname="127.0.0.1", port=self.port)
            self._controller.start()
            return
        ready, self._stop = context.Event(), context.Event()
        self._process = context.Process(
            target=_serve,
            args=(self.port, shared, ready, self._stop),
            daemon=True,
        )
        self._process.start()
        if not ready.wait(60):
            raise SystemExit("the SMTP server process did not start")

    def count(self) -> int:
        """Messages received so far."""
        return self.received.value

    def expect(self, n: int) -> None:
        """Wait for `n` more messages from now on (see `wait`)."""
        self.target = self.count() + n
        self.connections_before = self.connections_seen.value

    def reached(self) -> bool:
        """Whether the expected messages have all arrived."""
        return self.count() >= self.target

    def wait(self, timeout: float) -> bool:
        """Wait until the expected messages have arrived, at most `timeout` seconds.

        Called once a sender has returned: each message was counted before the server
        answered it, so this returns at once unless something went wrong."""
        give_up = time.perf_counter() + timeout
        while not self.reached() and time.perf_counter() < give_up:
            time.sleep(0.0005)
        return self.reached()

    def last_arrival(self) -> float:
        """When the latest message arrived, on time.monotonic's clock."""
        return self.last_at.value

    def connections(self) -> int:
        """SMTP connections that delivered since the last `expect`."""
        return self.connections_seen.value - self.connections_before

    def cpu(self) -> float:
        """The server process's CPU seconds so far, as of its latest message (0 in thread
        mode: the server's CPU is this process's then)."""
        return self.cpu_seconds.value if self.mode == "process" else 0.0

    def stop(self) -> None:
        """Stop the server."""
        if self.mode == "thread":
            self._controller.stop()
            return
        self._stop.set()
        self._process.join(10)


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
    # From the start of sending to the moment the server received the last message: what
    # the issue measures ("to the last invitation received").
    send: float | None = None
    raw: float | None = None
    # From the start of sending until the sender returned (its goodbye to the server and, for
    # send_due, its last commits and the WAL checkpoint, after the last message arrived).
    send_returned: float | None = None
    raw_returned: float | None = None
    # CPU seconds of the sender and the server (this process's, plus the server process's
    # when it has its own) over each phase: what the work costs, much less swayed than wall
    # time by other load on the machine.
    send_cpu: float | None = None
    raw_cpu: float | None = None
    mime: float | None = None
    calls: int = 0
    connections: int = 0


def measure(people: int, server: Server, *, send: bool) -> Figures:
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
                "MAIL_PORT": server.port,
                "MAIL_SUPPRESS_SEND": False,
                "MAX_ROSTER_SIZE": 20_000,
            }
        )
        app.logger.setLevel("WARNING")
        with app.app_context():
            game_id = build_game(people)
            game = db.session.get(Game, game_id)
            before = server.count()
            started, cpu = time.perf_counter(), time.process_time()
            drawn = draw_names(game, random.Random(1))
            figures = Figures(people, time.perf_counter() - started, time.process_time() - cpu)
            assert server.count() == before, "the draw sent mail"
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

            server.expect(people)
            started, cpu, server_cpu = time.monotonic(), time.process_time(), server.cpu()
            while not server.reached():
                report = outbox.send_due()
                figures.calls += 1
                if report.failed or report.retrying:
                    raise SystemExit(f"sending failed: {report}")
                if report.sent == 0:
                    server.wait(5)
                    break
            server.wait(30)
            figures.send_returned = time.monotonic() - started
            figures.send = server.last_arrival() - started
            figures.send_cpu = time.process_time() - cpu + server.cpu() - server_cpu
            figures.connections = server.connections()
            left = db.session.execute(
                select(func.count()).where(OutboxMessage.status != "sent")
            ).scalar_one()
            assert server.reached() and left == 0, (server.count(), left)

    server.expect(len(messages))
    started, cpu, server_cpu = time.monotonic(), time.process_time(), server.cpu()
    with smtplib.SMTP("127.0.0.1", server.port) as connection:
        for sender, recipient, data in messages:
            connection.sendmail(sender, [recipient], data)
    server.wait(30)
    figures.raw_returned = time.monotonic() - started
    figures.raw = server.last_arrival() - started
    figures.raw_cpu = time.process_time() - cpu + server.cpu() - server_cpu
    assert server.reached()
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
        f"({f.calls} call(s), {f.connections} SMTP connection(s); returned at "
        f"{f.send_returned * 1000:.0f} ms)"
    )
    print(f"  draw to last invitation:           {(f.draw + f.send) * 1000:8.0f} ms")
    print(
        f"  raw smtplib, one connection:       {f.raw * 1000:8.0f} ms  "
        f"(returned at {f.raw_returned * 1000:.0f} ms)"
    )
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
    runs = [
        f
        for f in runs
        if f.send and f.raw and f.send_cpu and f.raw_cpu and f.send_returned and f.raw_returned
    ]
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
    returned = sorted((f.draw + f.send_returned) / f.raw_returned for f in runs)
    print(
        f"  the same, until each sender returned: {median(returned):.2f} (runs: "
        + ", ".join(f"{r:.2f}" for r in returned)
        + ")"
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
    parser.add_argument(
        "--server",
        choices=tuple(SERVER_MODES),
        default="process",
        help="Where the SMTP server runs: its own process (as any real one), or a thread here.",
    )
    args = parser.parse_args()

    server = Server(args.server)
    print(f"SMTP server: aiosmtpd in {SERVER_MODES[args.server]}")
    try:
        for people in args.people:
            runs = [measure(people, server, send=True) for _ in range(args.repeat)]
            for figures in runs:
                show(figures)
            summarise(people, runs)
        for people in args.draw_only:
            show(measure(people, server, send=False))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
