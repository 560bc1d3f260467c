"""Benchmark the participant pages under gunicorn, against a bare Flask app in the same run.

Run from the repository root:

    python benchmarks/pages.py [--seconds S] [--rounds R] [--threads N] [--workers W]
                               [--client wrk|python] [--floors]

Migrates a SQLite file with `flask db upgrade`, builds a drawn game of five in which one
mortal has received 10 notes and another 1,000 (the angel of the second has sent 1,000), starts
gunicorn (sync workers, loopback only) and loads `/me`, `/me/angel`, `/me/inbox` with 10 and
with 1,000 notes, each for a fixed time with a fixed number of client threads (and at most
--max-requests requests each). Then the same load against the bare "hello" app
(benchmarks/hello_app.py) under the same gunicorn settings, loaded just before each page, for
--rounds rounds. Prints the median req/s and the median ratio to bare with its range.
`--floors` also loads the two floor addresses of benchmarks/floor_app.py (the service's
Flask and session alone; then with the visit query every participant page runs), the
ceiling any page's ratio can reach.

The load comes from `wrk` (Debian's package) when it is installed, with --threads connections
on two threads: it is written in C, so it can drive the bare app at its own speed. Otherwise
(or with `--client python`) from a bounded Python client with --threads threads, which spends
more CPU per request than the bare app does on this 2-core machine and so caps the bare
figure: its ratios read higher than wrk's.
"""

from __future__ import annotations

import argparse
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests  # noqa: E402
from floor_app import FLOORS  # noqa: E402
from soak import ROOT, flask_command, free_port, gunicorn, server_env  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

# A participant page's throughput, as a share of the bare app's, that the pages must reach.
TARGET_RATIO = 0.20
PAGES = [
    ("/me", "mortal10", "/me"),
    ("/me/angel (1,000 sent)", "angel1000", "/me/angel"),
    ("/me/inbox (10 notes)", "mortal10", "/me/inbox"),
    ("/me/inbox (1,000 notes)", "mortal1000", "/me/inbox"),
]
_CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]*)"')


def build(database_url: str, secret: str) -> dict[str, str]:
    """A drawn game of five; the link paths of the mortals with 10 and 1,000 notes and of the
    angel who sent the 1,000."""
    from app import create_app
    from app.extensions import db
    from app.models import Kindness, Pairing, Participant
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
            "PUBLIC_BASE_URL": "http://127.0.0.1",
        }
    )
    with app.app_context():
        facilitator = accounts.sign_up("Bench", "bench@pages.example.org", secret[:24])
        today = datetime.now().date()
        game = games.create_game(
            facilitator,
            games.GameDetails(
                name="Pages month",
                group_kind="team",
                group_name="Bench team",
                starts_on=today,
                ends_on=today + timedelta(days=28),
                welcome="Be kind.",
                avoid_repeat_mortals=False,
            ),
        )
        roster = "\n".join(f"Player {i} <player{i}@pages.example.org>" for i in range(5))
        setup.read_and_add(game, roster, None)
        import random

        draw_names(game, random.Random(1))
        pairs = db.session.execute(
            select(Pairing.angel_id, Pairing.mortal_id).where(Pairing.game_id == game.id)
        ).all()
        start = datetime.now() - timedelta(days=20)
        for (angel_id, mortal_id), count in zip(pairs, (10, 1000), strict=False):
            db.session.add_all(
                Kindness(
                    game_id=game.id,
                    angel_id=angel_id,
                    mortal_id=mortal_id,
                    kind="note",
                    message=f"A little note, number {i}. Have a lovely day!",
                    state="delivered",
                    round_label="morning round",
                    delivered_at=start + timedelta(minutes=i),
                    created_at=start + timedelta(minutes=i),
                    read_at=start + timedelta(minutes=i + 1),
                )
                for i in range(count)
            )
        db.session.commit()

        def link(pid: int) -> str:
            person = db.session.get(Participant, pid)
            return "/p/" + participant_link_token(person.public_id, person.link_version)

        links = {"mortal10": link(pairs[0][1]), "mortal1000": link(pairs[1][1])}
        links["angel1000"] = link(pairs[1][0])
        db.session.remove()
        db.engine.dispose()
    return links


def log_in(base: str, link: str) -> dict[str, str]:
    """Open a private link as a person does; the session cookies."""
    with requests.Session() as session:
        page = session.get(base + link, timeout=10)
        token = _CSRF.search(page.text)
        session.post(
            base + link,
            data={"csrf_token": token.group(1) if token else ""},
            timeout=10,
            allow_redirects=False,
        )
        return session.cookies.get_dict()


def load(url: str, cookies: dict[str, str], threads: int, seconds: float, cap: int) -> float:
    """GET url from `threads` threads for `seconds` (at most `cap` requests each); req/s of
    the 200 answers. Any other answer stops the run: a figure of errors is no figure."""
    done = [0] * threads
    failed: list[str] = []
    until = time.monotonic() + seconds

    def work(i: int) -> None:
        with requests.Session() as session:
            session.cookies.update(cookies)
            while time.monotonic() < until and done[i] < cap and not failed:
                response = session.get(url, timeout=30)
                if response.status_code != 200:
                    failed.append(f"{url}: {response.status_code}")
                    return
                done[i] += 1

    started = time.monotonic()
    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failed:
        raise RuntimeError(failed[0])
    return sum(done) / (time.monotonic() - started)


_WRK_RATE = re.compile(r"Requests/sec:\s*([0-9.]+)")
_WRK_ERRORS = re.compile(r"Non-2xx or 3xx responses:\s*(\d+)|Socket errors:[^\n]*")


def load_wrk(url: str, cookies: dict[str, str], connections: int, seconds: float) -> float:
    """GET url with wrk (two threads, `connections` connections) for `seconds`; req/s. Any
    non-2xx answer or socket error stops the run, as in the Python client."""
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds:g}s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    errors = _WRK_ERRORS.search(output)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(0)}")
    rate = _WRK_RATE.search(output)
    if rate is None:
        raise RuntimeError(f"wrk printed no rate for {url}:\n{output}")
    return float(rate.group(1))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-requests", type=int, default=20_000)
    parser.add_argument(
        "--client", choices=("wrk", "python"), default="wrk" if shutil.which("wrk") else "python"
    )
    parser.add_argument(
        "--floors", action="store_true", help="also load benchmarks/floor_app.py's floors"
    )
    args = parser.parse_args(argv)
    loaded = PAGES + FLOORS if args.floors else PAGES

    def measure(url: str, cookies: dict[str, str]) -> float:
        if args.client == "wrk":
            return load_wrk(url, cookies, args.threads, args.seconds)
        return load(url, cookies, args.threads, args.seconds, args.max_requests)

    secret = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory() as workdir:
        database_url = f"sqlite:///{Path(workdir) / 'pages.sqlite3'}"
        env = server_env(database_url, free_port(), "http://127.0.0.1", secret)
        flask_command(env, "db", "upgrade")
        links = build(database_url, secret)
        # The service with the floor addresses added (which change nothing else).
        served = (args.workers, Path(workdir) / "gunicorn.log", "--worker-class", "sync")
        served += ("--pythonpath", str(ROOT / "benchmarks"))
        hello = (args.workers, Path(workdir) / "hello.log", "--worker-class", "sync")
        hello_app = ("hello_app:create_app()", free_port(), env, *hello, "--pythonpath")
        rates: dict[str, list[float]] = {label: [] for label, _, _ in loaded}
        ratios: dict[str, list[float]] = {label: [] for label, _, _ in loaded}
        bares: list[float] = []
        with (
            gunicorn("floor_app:create_app()", free_port(), env, *served) as base,
            gunicorn(*hello_app, str(ROOT / "benchmarks")) as bare_base,
        ):
            cookies = {who: log_in(base, links[who]) for who in sorted({w for _, w, _ in loaded})}
            for _ in range(args.rounds):
                for label, who, path in loaded:
                    # The bare app just before each page: a ratio of two loads a few seconds
                    # apart, so the machine's other work sways both alike.
                    bare = measure(bare_base + "/", {})
                    rate = measure(base + path, cookies[who])
                    bares.append(bare)
                    rates[label].append(rate)
                    ratios[label].append(rate / bare)
    print(
        f"gunicorn {args.workers} sync workers, client {args.client} with {args.threads} "
        f"{'connections' if args.client == 'wrk' else 'threads'}, {args.seconds:g} s each, "
        f"{args.rounds} round(s), each page right after the bare app; SQLite file migrated "
        "with flask db upgrade"
    )
    print(f"{'bare Flask hello':28} {statistics.median(bares):8.0f} req/s (median)")
    floors = {label for label, _, _ in FLOORS}
    for label in rates:
        low, high = min(ratios[label]), max(ratios[label])
        target = "a page's ceiling" if label in floors else f"target ≥ {TARGET_RATIO:.2f}"
        print(
            f"{label:28} {statistics.median(rates[label]):8.0f} req/s   "
            f"{statistics.median(ratios[label]):5.2f}× bare (rounds {low:.2f}–{high:.2f}; "
            f"{target})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
