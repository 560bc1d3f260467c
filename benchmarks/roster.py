"""Benchmark a game as big as a large employer: upload, draw and roster pages at 20,000 people.

Run from the repository root:

    python benchmarks/roster.py [--people N] [--runs R] [--team-size S] [--teams-only]

On a throwaway SQLite file, one process, Flask's test client (no server, no network): uploads a
CSV of N people (default 20,000) through the roster form, draws names through the draw service
(pairings and every invitation queued), and loads the game page (its roster's first page, a
search, a middle page, the last page, the pages the next and previous links open deep in the
roster) before and after the draw, plus the facilitator's other pages of the game; the ratio of
each deep page to the first page is printed (near 1: flat in the roster's size). Each page is
asked once to warm up, then R times (the game's pages in turn); the median is printed, with
its size and its ratio to a bare Flask endpoint asked the same way in the same process.

Then teams: two more games of N people, one in teams of S (default 30) that keeps teammates
apart, one without teams, each drawn through the draw service; the times and their ratio are
printed, then R late joiners brought into each game in turn, the medians and their ratio
(`--teams-only` runs just this part).
"""

from __future__ import annotations

import argparse
import gc
import html
import io
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import segno  # noqa: E402
from flask import Flask  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Facilitator, Game  # noqa: E402
from app.services import circle, games, setup  # noqa: E402
from app.services import roster as roster_service  # noqa: E402
from app.services import slips as slip_service  # noqa: E402
from app.services.draw import draw_names  # noqa: E402
from app.web.slips import qr_svg  # noqa: E402

FIRST = "Anna Émile Łukasz Zoë Priya Mohammed Sofía José Chloé Björn Ana Noah Olivia Jürgen Aisha"
LAST = "Sharma Müller Nguyễn O'Brien García Dubois Kowalski Smith Johansson Rossi Öztürk Lee"


def roster_csv(people: int, team_size: int = 0) -> bytes:
    """A CSV of `people` distinct people with accented, repeating first names and surnames
    (and, with a team size, a team column: consecutive people in teams of that size)."""
    rng = random.Random(people)
    first, last = FIRST.split(), LAST.split()
    lines = ["name,email,team" if team_size else "name,email"]
    for i in range(people):
        line = f"{rng.choice(first)} {rng.choice(last)}-{i % 97},person{i}@corp.example.org"
        lines.append(f"{line},Team {i // team_size}" if team_size else line)
    return "\n".join(lines).encode()


def timed(client, path: str, runs: int) -> tuple[float, int]:
    """Median milliseconds of GET `path` after one warm-up, and the page's size in bytes."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times), len(response.data)


def timed_together(client, pages: dict[str, str], runs: int) -> dict[str, tuple[float, int]]:
    """`timed` for several pages, asked in turn in each run, so that a busy moment of the
    machine weighs on all of them alike and their ratios hold."""
    sizes = {what: len(client.get(path).data) for what, path in pages.items()}
    times: dict[str, list[float]] = {what: [] for what in pages}
    for _ in range(runs):
        for what, path in pages.items():
            started = time.perf_counter()
            response = client.get(path)
            times[what].append(time.perf_counter() - started)
            assert response.status_code == 200, (path, response.status_code)
    return {what: (1000 * statistics.median(times[what]), sizes[what]) for what in pages}


def linked(client, path: str, rel: str) -> str:
    """The address of the `rel` ("next", "prev") link on the page at `path`."""
    page = client.get(path).text
    return html.unescape(re.search(f'<a rel="{rel}" href="([^"#]+)', page).group(1))


def roster_pages(client, game: str, people: int) -> dict[str, str]:
    """The roster's pages to time: first, a search, middle, last, and the pages the next and
    previous links open deep in the roster (a keyset read from a row)."""
    last = -(-people // roster_service.PAGE_SIZE)
    return {
        "game page: roster's first page": game,
        "game page: search 'emile'": f"{game}?q=emile",
        "game page: middle page": f"{game}?page={people // 100}",
        "game page: last page": f"{game}?page={last}",
        "game page: next from the middle": linked(client, f"{game}?page={people // 100}", "next"),
        "game page: previous from the last": linked(client, f"{game}?page={last}", "prev"),
    }


def deep_ratios(measured: dict) -> None:
    """Print the deep pages against the first page: flat when near 1."""
    first = measured["game page: roster's first page"][0]
    for what in ("last page", "next from the middle", "previous from the last"):
        ratio = measured[f"game page: {what}"][0] / first
        print(f"{'ratio ' + what + ' / first page':<44} {ratio:>9.2f}", flush=True)


def bare_client():
    """A Flask app with one route that answers a short text: the baseline."""
    bare = Flask("bare")
    bare.get("/")(lambda: "hello")
    return bare.test_client()


def slip_pages(client, game_id: int, people: int, runs: int, row) -> None:
    """Time the "Hand out links" pages of the running game (a batch of slips each: first,
    middle, last, found by a name search) and one QR code made as a slip makes it and as
    segno makes it by default; print each with `row`."""
    batches = -(-people // slip_service.BATCH_SIZE)
    pages = {
        "slips: first batch": f"/games/{game_id}/slips",
        "slips: middle batch": f"/games/{game_id}/slips?batch={max(1, batches // 2)}",
        "slips: last batch": f"/games/{game_id}/slips?batch={batches}",
        "slips: a name search (1 in 97)": f"/games/{game_id}/slips?q=-42",
    }
    for what, path in pages.items():
        row(f"running {what}", *timed(client, path, runs))
    link = "https://angels.example.org/p/" + secrets.token_urlsafe(72)
    for what, make in {
        "one QR code on a slip (fixed mask, path)": lambda: qr_svg(link),
        "one QR code, segno's default (best mask)": lambda: segno.make_qr(
            link, error="m"
        ).svg_inline(scale=1, border=4, omitsize=True, svgclass="qr"),
    }.items():
        started = time.perf_counter()
        for _ in range(50):
            make()
        row(what, 1000 * (time.perf_counter() - started) / 50)


def drawn_in(fac: Facilitator, details, people: int, team_size: int) -> tuple[Game, float]:
    """A game of `people` (in teams of `team_size`, kept apart, when it is not 0) and the
    seconds its draw took through the draw service."""
    game = games.create_game(fac, details)
    reading = setup.read_and_add(game, "", roster_csv(people, team_size))
    assert len(reading.entries) == people and not reading.problems
    if team_size:
        setup.keep_teams_apart(game, True)
    started = time.perf_counter()
    draw_names(game, random.Random(2))
    return game, time.perf_counter() - started


def compare_teams(app, fac_id: int, details, people: int, team_size: int, runs: int) -> None:
    """Print the draw with teams against the same draw without, and late joiners brought into
    each game in turn (the median of `runs` each) with their ratio."""
    with app.app_context():
        fac = db.session.get(Facilitator, fac_id)
        plain, plain_s = drawn_in(fac, details, people, 0)
        teamed, teamed_s = drawn_in(fac, details, people, team_size)
        print(f"draw service, {people:,} people, no teams        {1000 * plain_s:>9.1f} ms")
        print(
            f"draw service, {people:,} people, teams of {team_size:<5} {1000 * teamed_s:>9.1f} ms"
        )
        print(
            f"ratio teams / no teams                        {teamed_s / plain_s:>9.2f}", flush=True
        )
        joins: dict[str, list[float]] = {"plain": [], "teams": []}
        for run in range(runs):
            for kind, game, team in (("plain", plain, ""), ("teams", teamed, ", Team 0")):
                gc.collect()  # a collection owed by earlier work lands on neither join
                started = time.perf_counter()
                circle.add_late_joiners(game, f"Late {run}, late{run}@corp.example.org{team}")
                joins[kind].append(time.perf_counter() - started)
    plain_join, team_join = (statistics.median(joins[kind]) for kind in ("plain", "teams"))
    print(f"late joiner into the game without teams       {1000 * plain_join:>9.1f} ms")
    print(f"late joiner into the team game (teams apart)  {1000 * team_join:>9.1f} ms")
    print(f"ratio team join / plain join                  {team_join / plain_join:>9.2f}")


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--team-size", type=int, default=30)
    parser.add_argument("--teams-only", action="store_true")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder.name}/roster.sqlite3",
            "SECRET_KEY": secrets.token_hex(32),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "AUTO_TICK": False,
            "PUBLIC_BASE_URL": "http://127.0.0.1",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            # Room for the late joiners the team comparison brings in.
            "MAX_ROSTER_SIZE": max(20_000, args.people + args.runs),
        }
    )
    bare_ms, _ = timed(bare_client(), "/", max(args.runs, 50))
    client = app.test_client()
    with app.app_context():
        fac = Facilitator(name="Bench", email="bench@corp.example.org", password_hash="x")
        db.session.add(fac)
        db.session.commit()
        today = date.today()
        details = games.GameDetails(
            name="Big employer month",
            group_kind="team",
            group_name="Everyone",
            starts_on=today,
            ends_on=today + timedelta(days=28),
            welcome="Be kind.",
            avoid_repeat_mortals=False,
        )
        game_id, fac_id = games.create_game(fac, details).id, fac.id
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = str(fac_id), True
    if args.teams_only:
        compare_teams(app, fac_id, details, args.people, args.team_size, args.runs)
        folder.cleanup()
        return

    print(f"{args.people:,} people, SQLite, Flask test client; bare endpoint {bare_ms:.2f} ms")
    print(f"{'step':<44} {'ms':>9} {'KB':>7} {'x bare':>8}")

    def row(what: str, ms: float, size: int | None = None) -> None:
        kb = f"{size / 1024:.0f}" if size is not None else ""
        print(f"{what:<44} {ms:>9.1f} {kb:>7} {ms / bare_ms:>8.0f}")

    data = roster_csv(args.people)
    started = time.perf_counter()
    response = client.post(
        f"/games/{game_id}/participants",
        data={"lines": "", "csv_file": (io.BytesIO(data), "roster.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.status_code
    upload_ms = 1000 * (time.perf_counter() - started)
    row(f"upload {len(data) / 1024:.0f} KB CSV (one request)", upload_ms)

    game = f"/games/{game_id}"
    pages = {**roster_pages(client, game, args.people), "draw preview": f"{game}/draw"}
    measured = timed_together(client, pages, args.runs)
    for what, figures in measured.items():
        row(f"draft {what}", *figures)
    deep_ratios(measured)

    with app.app_context():
        started = time.perf_counter()
        drawn = draw_names(db.session.get(Game, game_id), random.Random(1))
        row(f"draw service ({drawn:,} invitations queued)", 1000 * (time.perf_counter() - started))

    pages = {
        **roster_pages(client, game, args.people),
        "participation dashboard": f"/games/{game_id}/dashboard",
        "moderation": f"/games/{game_id}/moderation",
        "end the game (confirmation)": f"/games/{game_id}/end",
    }
    measured = timed_together(client, pages, args.runs)
    for what, figures in measured.items():
        row(f"running {what}", *figures)
    deep_ratios(measured)
    slip_pages(client, game_id, args.people, args.runs, row)
    compare_teams(app, fac_id, details, args.people, args.team_size, args.runs)
    folder.cleanup()


if __name__ == "__main__":
    main()
