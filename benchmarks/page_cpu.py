"""CPU per request of each participant page, against a bare Flask endpoint in the same process.

Run from the repository root:

    python benchmarks/page_cpu.py [--requests N] [--rounds R] [--profile PATH]

Builds the same drawn game as benchmarks/pages.py (a SQLite file migrated on start), opens
participant sessions as a person does, then calls the WSGI app directly (no server, no test
client) N times per page and per round. Each figure is process CPU time (not wall time, so
other work on the machine barely moves it), the best round's mean: ms/request and the page's
cost as a multiple of the bare endpoint's. `--profile /me/angel` (a path, or a label such as
"/me/inbox (1,000 notes)") prints cProfile's top functions for that page instead.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hello_app import create_app as create_hello  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

# (label, who, path): who is one of the links `pages.build` returns.
PAGES = [
    ("/me", "mortal10", "/me"),
    ("/me/angel (1,000 sent)", "angel1000", "/me/angel"),
    ("/me/inbox (10 notes)", "mortal10", "/me/inbox"),
    ("/me/inbox (1,000 notes)", "mortal1000", "/me/inbox"),
    ("/me/deliveries", "mortal10", "/me/deliveries"),
    ("/me/journal", "angel1000", "/me/journal"),
]


def _app(database_url: str, secret: str):
    """The service as gunicorn runs it in benchmarks/pages.py: no tick, no rate limits."""
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": secret,
            "AUTO_TICK": False,
            "AUTO_MIGRATE": True,
            "RATELIMIT_ENABLED": False,
            "PUBLIC_BASE_URL": "http://127.0.0.1",
        }
    )


def session_cookie(app, link: str) -> str:
    """The Cookie header of a browser that has opened this private link."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from helpers import follow_link

    client = app.test_client()
    follow_link(client, link)
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    return f"{cookie.key}={cookie.value}"


def built_game(workdir: str):
    """The drawn game of benchmarks/pages.py in a SQLite file under `workdir`: the app (no
    tick, no rate limits), its database URL, its secret key and each player's session cookie."""
    from pages import build

    secret = secrets.token_urlsafe(32)
    database_url = f"sqlite:///{Path(workdir) / 'pages.sqlite3'}"
    app = _app(database_url, secret)  # migrates the empty file
    links = build(database_url, secret)
    cookies = {who: session_cookie(app, link) for who, link in links.items()}
    return app, database_url, secret, cookies


def caller(app, path: str, cookie: str = ""):
    """A function that serves one GET of `path` through the WSGI app and reads the body."""
    builder = EnvironBuilder(path=path, base_url="http://127.0.0.1/")
    environ = builder.get_environ()
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    status = []

    def start_response(code, headers, exc_info=None):
        status.append(code)

    def call() -> None:
        status.clear()
        body = app(dict(environ, **{"wsgi.input": io.BytesIO()}), start_response)
        try:
            for _chunk in body:
                pass
        finally:
            if hasattr(body, "close"):
                body.close()
        if not status[0].startswith("200"):
            raise RuntimeError(f"{path}: {status[0]}")

    return call


def cpu_ms(call, requests: int, rounds: int) -> float:
    """CPU milliseconds per call: the best round's mean (after one warm-up round)."""
    for _ in range(max(3, requests // 10)):
        call()
    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        start = time.process_time()
        for _ in range(requests):
            call()
        best = min(best, (time.process_time() - start) / requests)
    return best * 1000


def main(argv: list[str] | None = None) -> int:
    """Build the game, time every page and the bare endpoint, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", help="a page path to profile instead of timing")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as workdir:
        app, _, _, cookies = built_game(workdir)
        calls = {label: caller(app, path, cookies[who]) for label, who, path in PAGES}
        bare_call = caller(create_hello(), "/")

        if args.profile:
            label = next(label for label, _, path in PAGES if args.profile in (path, label))
            for _ in range(20):
                calls[label]()
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.requests):
                calls[label]()
            profiler.disable()
            stats = pstats.Stats(profiler).sort_stats("cumulative")
            stats.print_stats(45)
            stats.sort_stats("tottime").print_stats(30)
            return 0

        bare = cpu_ms(bare_call, args.requests * 5, args.rounds)
        figures = {label: cpu_ms(call, args.requests, args.rounds) for label, call in calls.items()}
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()
    print(
        f"CPU per request in-process (best of {args.rounds} rounds of {args.requests}), "
        f"process CPU time"
    )
    print(f"{'bare Flask hello':28} {bare:7.3f} ms")
    for label, ms in figures.items():
        print(f"{label:28} {ms:7.3f} ms   {bare / ms:6.1%} of bare's rate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
