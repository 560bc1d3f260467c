"""Soak test: a game played hard under gunicorn while the mail server fails, on loopback only.

Run from the repository root:

    python benchmarks/soak.py [--participants 50] [--duration 120] [--silence 30]
                              [--database-url URL | --sqlite]

What it does, bounded in time and in threads, talking only to 127.0.0.1:

1. Creates a throwaway database (a new one on the PostgreSQL server of --database-url, dropped
   at the end; or a SQLite file with --sqlite), migrates it with `flask db upgrade` as production
   does, and builds a drawn game of N participants with the app's own services.
2. Starts a real SMTP server (aiosmtpd, in this process) and
   `gunicorn --workers 4 "app:create_app()"` with AUTO_TICK and rate limits off.
3. Logs each participant in through their private link (the "Open my page" button), then N
   threads play for --duration seconds: they open their pages, send notes, ask for in-person
   kindnesses without a drop-off point, accept and complete the deliveries offered to them,
   and thank for what reached their inbox.
4. Meanwhile a background loop runs the periodic work in a pretend future
   (`flask tick --ahead 24`, then `flask outbox send --ahead 24`) every few seconds, and plays
   the clock for courier offers: an offer reaches its courier at a random moment of a later
   round, which a two-minute run never sees, so the loop brings that moment forward to now
   (the offer's email still waits for its round; the sender's pretend future covers it).
5. The mail server goes silent for --silence seconds (a listener that never answers takes its
   port) and comes back; then a `flask outbox send` is killed with SIGKILL mid-batch.
6. At the end `flask outbox send --ahead 72` runs to completion, so everything queued is due,
   and the soak checks that nothing is lost and nothing is sent twice: every outbox row is
   `sent`, the SMTP server received each row's Message-ID, and only a message the killed
   sender had on the wire may have arrived twice — under the same Message-ID.

It prints requests per second, p95 latency and the error count (5xx answers and connection
errors), and the p95 as a ratio against a bare Flask "hello" app under the same gunicorn
settings and the same number of threads, measured in the same run. It exits non-zero when a
check fails. tests/test_soak.py runs a short version of it in the test suite.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import create_engine, func, make_url, select, text, update  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from tests.mail.smtp_support import HangingServer, SmtpServer, TarpitInbox  # noqa: E402

DEFAULT_DATABASE_URL = (
    os.environ.get("TEST_DATABASE_URL")
    or "postgresql+psycopg://angels:angels@127.0.0.1:5432/angels_test"
)
SENDER = "Angels & Mortals <angels@soak.example.org>"
# Seconds a participant's request may take before it counts as a connection error.
REQUEST_TIMEOUT = 30.0
# The longest the mail server stays silent waiting for a sender to meet it.
SILENT_AT_MOST = 60.0
# The periodic work pretends this many hours have passed (notes due, rounds come).
TICK_AHEAD_HOURS = 24
# The killed sender's pretend future, and the final one: past every release and back-off, and
# past the lease (10 min) the killed sender left on the rows it had claimed.
KILLED_AHEAD_HOURS = 48
DRAIN_AHEAD_HOURS = 72

_CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]*)"')
_THANKS = re.compile(r'action="(/me/inbox/[^/"]+/thanks)"')
_COURIER = re.compile(r'action="(/me/deliveries/[^/"]+/(?:accept|done))"')


@dataclass
class Settings:
    """One soak run's size and its database (None: a SQLite file in workdir)."""

    workdir: Path
    participants: int = 50
    duration: float = 120.0
    silence: float = 30.0
    database_url: str | None = DEFAULT_DATABASE_URL
    tick_every: float = 3.0
    baseline_seconds: float = 10.0  # 0: no hello baseline
    workers: int = 4


@dataclass
class Traffic:
    """What the simulated participants saw: latencies, answers and what they did."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    actions: Counter = field(default_factory=Counter)
    connection_errors: int = 0
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seconds: float, status: int | None, action: str | None = None) -> None:
        """Count one request (status None: a connection error or time-out)."""
        with self._lock:
            self.latencies.append(seconds)
            if status is None:
                self.connection_errors += 1
            else:
                self.statuses[status] += 1
                if action and status < 400:
                    self.actions[action] += 1

    @property
    def requests(self) -> int:
        """Requests made, answered or not."""
        return len(self.latencies)

    @property
    def errors(self) -> int:
        """5xx answers plus connection errors: what the soak must never see."""
        return self.connection_errors + sum(n for s, n in self.statuses.items() if s >= 500)

    @property
    def refused(self) -> int:
        """4xx answers (a stale CSRF token, a page not found): none are expected."""
        return sum(n for s, n in self.statuses.items() if 400 <= s < 500)

    def percentile(self, q: float) -> float:
        """The q-th percentile latency in seconds."""
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[round(q) - 1]

    @property
    def rate(self) -> float:
        """Requests per second over the measured period."""
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class MailCheck:
    """The outbox against what the SMTP server received."""

    rows: int = 0
    not_sent: list[str] = field(default_factory=list)  # "status message-id"
    missing: list[str] = field(default_factory=list)  # rows whose message never arrived
    unknown: list[str] = field(default_factory=list)  # arrivals no row accounts for
    duplicates: dict[str, int] = field(default_factory=dict)  # message-id -> copies
    received: int = 0
    killed_claimed: set[str] = field(default_factory=set)  # on the killed sender's hands
    killed_after: int = 0  # messages the killed sender had got through
    refused_while_silent: int = 0  # connections the silent listener held

    def problems(self) -> list[str]:
        """Every way the mail is wrong; empty when nothing was lost or sent twice."""
        found = []
        if self.not_sent:
            found.append(f"{len(self.not_sent)} outbox row(s) not sent: {self.not_sent[:5]}")
        if self.missing:
            found.append(f"{len(self.missing)} message(s) never received: {self.missing[:5]}")
        if self.unknown:
            found.append(f"{len(self.unknown)} received message(s) match no row")
        for message_id, copies in self.duplicates.items():
            if copies > 2 or message_id not in self.killed_claimed:
                found.append(f"{message_id} received {copies} times, not from the killed sender")
        if len(self.duplicates) > 1:
            found.append("more than one duplicate: the killed sender had one message on the wire")
        if not self.killed_claimed:
            found.append("the killed sender held no claimed rows: it was not killed mid-batch")
        return found


@dataclass
class Result:
    """A soak run's figures."""

    settings: Settings
    database: str
    traffic: Traffic
    mail: MailCheck
    ticks: int = 0
    tick_failures: list[str] = field(default_factory=list)
    offers_brought_forward: int = 0
    baseline: Traffic | None = None

    def problems(self) -> list[str]:
        """Everything that makes the run a failure."""
        found = list(self.mail.problems())
        if self.traffic.errors:
            found.append(f"{self.traffic.errors} error(s): {dict(self.traffic.statuses)}")
        if self.traffic.refused:
            found.append(
                f"{self.traffic.refused} refused request(s): {dict(self.traffic.statuses)}"
            )
        found += [f"periodic work failed: {failure}" for failure in self.tick_failures]
        return found


# Processes and servers -----------------------------------------------------------------------


def free_port() -> int:
    """A free loopback port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def throwaway_database(url: str | None, workdir: Path) -> Iterator[str]:
    """A new empty database for the run: created on url's server and dropped after, or a
    SQLite file in workdir when url is None."""
    if not url or url.startswith("sqlite"):
        yield f"sqlite:///{workdir / 'soak.sqlite3'}"
        return
    base = make_url(url)
    name = f"{base.database}_soak_{secrets.token_hex(4)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def server_env(database_url: str, smtp_port: int, base_url: str, secret: str) -> dict[str, str]:
    """The environment of gunicorn and every `flask` command of the run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "ANGELS_ENV"))}
    env.update(
        SECRET_KEY=secret,
        DATABASE_URL=database_url,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp_port),
        MAIL_DEFAULT_SENDER=SENDER,
        # A silent server costs a sender this long per try.
        MAIL_TIMEOUT="5",
        AUTO_TICK="false",
        RATELIMIT_ENABLED="false",
        # The soak sends far more than a person would in a day.
        KINDNESS_DAILY_LIMIT="1000000",
        PUBLIC_BASE_URL=base_url,
        PYTHONUNBUFFERED="1",
    )
    return env


def flask_command(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    """Run `flask --app app ARGS` to completion; its output, or RuntimeError if it failed."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"flask {' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}"
        )
    return done.stdout


@contextmanager
def gunicorn(
    app_spec: str, port: int, env: dict[str, str], workers: int, log: Path, *extra: str
) -> Iterator[str]:
    """gunicorn with sync workers on 127.0.0.1:port until the block ends; yields its base URL."""
    with open(log, "ab") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                *extra,
                app_spec,
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=log_file,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited {process.returncode}: see {log}")
            try:
                requests.get(base + "/", timeout=5).close()
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not answer: see {log}") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# The game ------------------------------------------------------------------------------------


def build_game(database_url: str, secret: str, base_url: str, size: int) -> list[str]:
    """A drawn game of `size` people, built with the app's own services; their link paths."""
    from app import create_app
    from app.extensions import db
    from app.models import Participant
    from app.services import accounts, games, setup
    from app.services.draw import draw_names
    from app.tokens import participant_link_token

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"poolclass": NullPool},
            "SECRET_KEY": secret,
            "AUTO_TICK": False,
            "AUTO_MIGRATE": False,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_DEFAULT_SENDER": SENDER,
            "PUBLIC_BASE_URL": base_url,
        }
    )
    with app.app_context():
        facilitator = accounts.sign_up(
            "Soak Facilitator", "facilitator@soak.example.org", secret[:24]
        )
        today = date.today()
        game = games.create_game(
            facilitator,
            games.GameDetails(
                name="Soak month",
                group_kind="team",
                group_name="Soak team",
                starts_on=today,
                ends_on=today + timedelta(days=28),
                welcome="Be kind, quickly.",
                avoid_repeat_mortals=False,
            ),
        )
        roster = "\n".join(f"Player {i} <player{i}@soak.example.org>" for i in range(size))
        reading = setup.read_and_add(game, roster, None)
        if reading.problems:
            raise RuntimeError(f"roster refused: {reading.problems}")
        draw_names(game, random.Random(1))
        links = [
            "/p/" + participant_link_token(p.public_id, p.link_version)
            for p in db.session.execute(
                select(Participant).where(Participant.game_id == game.id)
            ).scalars()
        ]
        db.session.remove()
        db.engine.dispose()
    return links


# Participants --------------------------------------------------------------------------------


class Player:
    """One participant's browser: a requests session logged in through their link."""

    def __init__(self, base: str, traffic: Traffic, rng: random.Random) -> None:
        self.base = base
        self.traffic = traffic
        self.rng = rng
        self.session = requests.Session()
        self.csrf = ""
        self.sent = 0

    def call(self, method: str, path: str, action: str | None = None, **kwargs):
        """One timed request (no redirects followed); None when it never got an answer."""
        started = time.perf_counter()
        try:
            response = self.session.request(
                method,
                self.base + path,
                timeout=REQUEST_TIMEOUT,
                allow_redirects=False,
                **kwargs,
            )
        except requests.RequestException:
            self.traffic.record(time.perf_counter() - started, None)
            return None
        self.traffic.record(time.perf_counter() - started, response.status_code, action)
        return response

    def log_in(self, link: str) -> None:
        """Open the private link and press "Open my page", as a person does."""
        page = self.session.get(self.base + link, timeout=REQUEST_TIMEOUT)
        token = _CSRF.search(page.text)
        opened = self.session.post(
            self.base + link,
            data={"csrf_token": token.group(1) if token else ""},
            timeout=REQUEST_TIMEOUT,
            allow_redirects=False,
        )
        angel = self.session.get(self.base + "/me/angel", timeout=REQUEST_TIMEOUT)
        found = _CSRF.search(angel.text)
        if opened.status_code != 302 or angel.status_code != 200 or not found:
            raise RuntimeError(f"could not open a participant's page ({opened.status_code})")
        self.csrf = found.group(1)

    def step(self) -> None:
        """One thing a participant does, chosen at random."""
        choice = self.rng.choices(
            ["me", "angel", "inbox", "deliveries", "note", "in_person"],
            weights=[2, 2, 3, 3, 3, 1],
        )[0]
        if choice in ("me", "angel"):
            self.call("GET", "/me" if choice == "me" else "/me/angel", action="page")
        elif choice == "note":
            self.sent += 1
            self.call(
                "POST",
                "/me/angel/note",
                action="note",
                data={"csrf_token": self.csrf, "message": f"Note {self.sent}: you shine!"},
            )
        elif choice == "in_person":
            self.sent += 1
            self.call(
                "POST",
                "/me/angel/in-person",
                action="in_person",
                data={
                    "csrf_token": self.csrf,
                    "instruction": f"Leave a biscuit on their desk ({self.sent}).",
                    "message": "",
                    "drop_off": "0",
                },
            )
        elif choice == "inbox":
            page = self.call("GET", "/me/inbox", action="page")
            for path in _THANKS.findall(page.text if page is not None else "")[:2]:
                self.call(
                    "POST",
                    path,
                    action="thanks",
                    data={"csrf_token": self.csrf, "message": "Thank you, angel!"},
                )
        else:
            page = self.call("GET", "/me/deliveries", action="page")
            for path in _COURIER.findall(page.text if page is not None else ""):
                self.call(
                    "POST", path, action=path.rsplit("/", 1)[1], data={"csrf_token": self.csrf}
                )

    def play(self, until: float) -> None:
        """Act until the monotonic clock reaches `until`."""
        while time.monotonic() < until:
            self.step()

    def close(self) -> None:
        """Close the session's connections."""
        self.session.close()


def log_in_all(base: str, links: list[str], traffic: Traffic) -> list[Player]:
    """A logged-in Player per link (eight at a time)."""
    players = [Player(base, traffic, random.Random(i)) for i in range(len(links))]
    failures: list[BaseException] = []

    def work(chunk: list[tuple[Player, str]]) -> None:
        for player, link in chunk:
            try:
                player.log_in(link)
            except Exception as exc:  # noqa: BLE001 - reported below, in the main thread
                failures.append(exc)

    pairs = list(zip(players, links))
    threads = [threading.Thread(target=work, args=(pairs[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        for player in players:
            player.close()
        raise RuntimeError(f"{len(failures)} participant(s) could not log in: {failures[0]}")
    return players


def play_all(players: list[Player], seconds: float) -> float:
    """Every player acts in a thread of its own for `seconds`; the time it took."""
    started = time.monotonic()
    until = started + seconds
    errors: list[BaseException] = []

    def work(player: Player) -> None:
        try:
            player.play(until)
        except Exception as exc:  # noqa: BLE001 - a bug in the soak itself, raised below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(p,), name="player") for p in players]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 2 * REQUEST_TIMEOUT)
    if errors:
        raise errors[0]
    return time.monotonic() - started


# Periodic work and the mail server's trouble -------------------------------------------------


class Periodic(threading.Thread):
    """The cron of the run: periodic work and the sender in a pretend future, every few s."""

    def __init__(self, env: dict[str, str], database_url: str, every: float) -> None:
        super().__init__(name="periodic", daemon=True)
        self.env = env
        self.engine = create_engine(database_url, poolclass=NullPool)
        self.every = every
        self.runs = 0
        self.offers = 0
        self.failures: list[str] = []
        self._busy = threading.Lock()
        self._allowed = threading.Event()
        self._allowed.set()
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._clock = threading.Thread(target=self._offer_clock, name="offers", daemon=True)

    def run(self) -> None:
        """Tick until stopped, skipping turns while paused."""
        self._clock.start()
        while not self._stopping.is_set():
            with self._busy:
                if self._allowed.is_set() and not self._stopping.is_set():
                    self.once()
            self._wake.wait(self.every)
            self._wake.clear()
        self._clock.join()

    def _offer_clock(self) -> None:
        """Every half second, offers made since reach their couriers (see the docstring)."""
        while not self._stopping.wait(0.5):
            try:
                self.offers += bring_offers_forward(self.engine)
            except Exception as exc:  # noqa: BLE001 - reported with the run's figures
                self.failures.append(f"bringing offers forward failed: {exc}"[:500])

    def once(self) -> None:
        """`flask outbox send` and `flask tick`, both in the pretend future."""
        try:
            ahead = str(TICK_AHEAD_HOURS)
            # The sender first, so a turn begun as the server falls silent meets the silence.
            flask_command(self.env, "outbox", "send", "--ahead", ahead)
            flask_command(self.env, "tick", "--ahead", ahead)
            self.runs += 1
        except Exception as exc:  # noqa: BLE001 - reported with the run's figures
            self.failures.append(str(exc)[:500])

    def pause(self) -> None:
        """Wait for the turn under way to finish, and take no more until resume()."""
        self._allowed.clear()
        with self._busy:
            pass

    def resume(self) -> None:
        """Take turns again, starting one now."""
        self._allowed.set()
        self._wake.set()

    def stop(self) -> None:
        """Finish the turn under way and stop."""
        self._stopping.set()
        self._wake.set()
        self.join()
        self.engine.dispose()


def bring_offers_forward(engine) -> int:
    """Courier offers whose round has not come yet reach their courier now (the soak's clock).

    Only the moment the page shows the offer moves; its deadline and its email stay as drawn.
    """
    from app.models import CourierRequest, utcnow

    now = utcnow()
    with engine.begin() as connection:
        moved = connection.execute(
            update(CourierRequest)
            .where(CourierRequest.state == "offered", CourierRequest.released_at > now)
            .values(released_at=now)
        )
    return moved.rowcount


def outbox_rows(engine) -> list[tuple[str, str]]:
    """(status, message id) of every outbox row."""
    from app.models import OutboxMessage

    with engine.connect() as connection:
        return [
            (status, message_id)
            for status, message_id in connection.execute(
                select(OutboxMessage.status, OutboxMessage.message_id)
            )
        ]


def silence(smtp: SmtpServer, periodic: Periodic, seconds: float, check: MailCheck) -> TarpitInbox:
    """The mail server goes silent: a listener that never answers holds its port for `seconds`,
    then the real server comes back (between two turns of the periodic work, so a message is
    never cut off by the swap itself). Returns the new server's inbox, paced at will."""
    periodic.pause()
    smtp.stop()
    hanging = HangingServer(smtp.port)
    periodic.resume()
    time.sleep(seconds)
    # On a loaded machine a periodic turn may not have reached the server yet: stay silent
    # until a sender has met the silence (or a minute has passed, which the check reports).
    deadline = time.monotonic() + SILENT_AT_MOST
    while not hanging.accepted and time.monotonic() < deadline:
        time.sleep(0.1)
    hanging.close()  # a sender waiting on it fails now
    periodic.pause()
    check.refused_while_silent = len(hanging.accepted)
    inbox = TarpitInbox(delay=0.0)
    smtp.start(inbox)
    return inbox


def kill_mid_batch(
    env: dict[str, str], engine, smtp: SmtpServer, inbox: TarpitInbox, check: MailCheck
) -> None:
    """Start `flask outbox send` on a pile of due mail and SIGKILL it once it has sent a few.

    The server takes 20 ms per message meanwhile, so the kill lands inside the batch. Records
    the Message-IDs the dead sender still held: one of them may have reached the server."""
    from app.models import OutboxMessage

    for attempt in range(5):
        time.sleep(0.5 + attempt)  # the periodic work is paused: let mail pile up
        before = len(smtp.all_messages)
        inbox.delay = 0.02
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "app",
                "outbox",
                "send",
                "--ahead",
                str(KILLED_AHEAD_HOURS),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            if len(smtp.all_messages) >= before + 3:
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002)
        process.wait()
        inbox.delay = 0.0
        if process.returncode == -signal.SIGKILL:
            check.killed_after = len(smtp.all_messages) - before
            with engine.connect() as connection:
                check.killed_claimed = set(
                    connection.execute(
                        select(OutboxMessage.message_id).where(OutboxMessage.status == "sending")
                    ).scalars()
                )
            return


def drain(env: dict[str, str], engine) -> None:
    """`flask outbox send` in a pretend future past every release, until nothing is left."""
    from app.models import OutboxMessage

    for _ in range(20):
        flask_command(env, "outbox", "send", "--ahead", str(DRAIN_AHEAD_HOURS), "--limit", "500")
        with engine.connect() as connection:
            left = connection.execute(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status.in_(("queued", "sending")))
            ).scalar_one()
        if not left:
            return


def check_mail(engine, smtp: SmtpServer, check: MailCheck) -> None:
    """Compare every outbox row with what the server received (by Message-ID)."""
    rows = outbox_rows(engine)
    received = Counter(str(m.message["Message-ID"]).strip() for m in smtp.all_messages)
    ids = {message_id for _, message_id in rows}
    check.rows = len(rows)
    check.received = sum(received.values())
    check.not_sent = [f"{status} {mid}" for status, mid in rows if status != "sent"]
    check.missing = [mid for mid in ids if not received[mid]]
    check.unknown = [mid for mid in received if mid not in ids]
    check.duplicates = {mid: n for mid, n in received.items() if n > 1}


# The run -------------------------------------------------------------------------------------


def measure_hello(settings: Settings, env: dict[str, str]) -> Traffic:
    """The same threads against a bare Flask app under the same gunicorn settings."""
    traffic = Traffic()
    port = free_port()
    log = settings.workdir / "gunicorn-hello.log"
    with gunicorn(
        "hello_app:create_app()", port, env, settings.workers, log, "--pythonpath", "benchmarks"
    ) as base:
        players = [Player(base, traffic, random.Random(i)) for i in range(settings.participants)]
        started = time.monotonic()
        until = started + settings.baseline_seconds

        def work(player: Player) -> None:
            while time.monotonic() < until:
                player.call("GET", "/")

        threads = [threading.Thread(target=work, args=(p,)) for p in players]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        traffic.seconds = time.monotonic() - started
        for player in players:
            player.close()
    return traffic


def _say(message: str) -> None:
    """Progress on stderr when SOAK_VERBOSE is set."""
    if os.environ.get("SOAK_VERBOSE"):
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(settings: Settings) -> Result:
    """One soak run; see the module docstring."""
    secret = secrets.token_hex(32)
    smtp = SmtpServer(free_port())
    smtp.start(TarpitInbox(delay=0.0))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    traffic = Traffic()
    check = MailCheck()
    try:
        with throwaway_database(settings.database_url, settings.workdir) as database_url:
            env = server_env(database_url, smtp.port, base_url, secret)
            _say("migrating")
            flask_command(env, "db", "upgrade")
            _say("building the game")
            links = build_game(database_url, secret, base_url, settings.participants)
            engine = create_engine(database_url, poolclass=NullPool)
            log = settings.workdir / "gunicorn.log"
            periodic = Periodic(env, database_url, settings.tick_every)
            try:
                with gunicorn("app:create_app()", port, env, settings.workers, log):
                    _say("logging in")
                    players = log_in_all(base_url, links, traffic)
                    _say("playing")
                    periodic.start()
                    trouble = threading.Thread(
                        target=_trouble,
                        args=(settings, env, engine, smtp, periodic, check),
                        name="trouble",
                    )
                    trouble.start()
                    try:
                        traffic.seconds = play_all(players, settings.duration)
                    finally:
                        trouble.join()
                        for player in players:
                            player.close()
                        periodic.stop()
                _say("draining the outbox")
                drain(env, engine)
                check_mail(engine, smtp, check)
            finally:
                engine.dispose()
            database = make_url(database_url).get_backend_name()
        result = Result(
            settings=settings,
            database=database,
            traffic=traffic,
            mail=check,
            ticks=periodic.runs,
            tick_failures=periodic.failures,
            offers_brought_forward=periodic.offers,
        )
    finally:
        smtp.stop()
    if settings.baseline_seconds > 0:
        _say("hello baseline")
        result.baseline = measure_hello(settings, server_env("sqlite://", 25, base_url, secret))
    return result


def _trouble(settings, env, engine, smtp, periodic, check) -> None:
    """The mail server's bad minute: silence a fifth of the way in, then the killed sender."""
    try:
        time.sleep(settings.duration * 0.15)
        inbox = silence(smtp, periodic, settings.silence, check)
        try:
            kill_mid_batch(env, engine, smtp, inbox, check)
        finally:
            periodic.resume()
    except Exception as exc:  # noqa: BLE001 - reported with the run's figures
        periodic.failures.append(f"the mail server's trouble failed: {exc}")


def report(result: Result) -> str:
    """The figures, one per line."""
    t, m, s = result.traffic, result.mail, result.settings
    ms = 1000
    lines = [
        f"soak: {s.participants} participants, {t.seconds:.0f} s, {result.database}, "
        f"gunicorn --workers {s.workers}",
        f"requests {t.requests}, {t.rate:.1f} req/s, p50 {t.percentile(50) * ms:.0f} ms, "
        f"p95 {t.percentile(95) * ms:.0f} ms, errors {t.errors} "
        f"(5xx {t.errors - t.connection_errors}, connection {t.connection_errors}), "
        f"refused (4xx) {t.refused}",
        "done: " + ", ".join(f"{k} {v}" for k, v in sorted(t.actions.items())),
        f"periodic work: {result.ticks} turns, {result.offers_brought_forward} offers brought "
        f"forward, {len(result.tick_failures)} failures",
        f"mail: {m.rows} outbox rows, {len(m.not_sent)} not sent, {m.received} received, "
        f"{len(m.missing)} missing, {len(m.duplicates)} duplicate(s) (same Message-ID), "
        f"{m.refused_while_silent} connection(s) held by the silent server",
        f"killed sender: SIGKILL after {m.killed_after} message(s), "
        f"{len(m.killed_claimed)} claimed row(s) left for the next run",
    ]
    if result.baseline is not None:
        b = result.baseline
        lines.append(
            f"hello baseline: {b.rate:.1f} req/s, p95 {b.percentile(95) * ms:.1f} ms; "
            f"soak/hello p95 ratio {t.percentile(95) / b.percentile(95):.1f}x, "
            f"req/s ratio {t.rate / b.rate:.2f}"
        )
    problems = result.problems()
    lines.append("checks: " + ("all passed" if not problems else "; ".join(problems)))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: run one soak and print its figures; non-zero exit when a check fails."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=50)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of play")
    parser.add_argument("--silence", type=float, default=30.0, help="seconds the mail is silent")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead")
    parser.add_argument("--baseline-seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="angels-soak-") as workdir:
        result = run(
            Settings(
                workdir=Path(workdir),
                participants=args.participants,
                duration=args.duration,
                silence=args.silence,
                database_url=None if args.sqlite else args.database_url,
                baseline_seconds=args.baseline_seconds,
            )
        )
        print(report(result))
    return 1 if result.problems() else 0


if __name__ == "__main__":
    sys.exit(main())
