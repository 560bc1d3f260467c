"""Machine instructions per request of each participant page, against a bare Flask endpoint:
the page figure that does not move with the machine's load.

Run from the repository root (needs valgrind, Debian's package):

    python benchmarks/page_instructions.py [--requests N] [--jobs J] [--floors]

Builds the same drawn game as benchmarks/pages.py in a temporary SQLite file, then, for the
bare "hello" app and each page, starts one Python under `valgrind --tool=callgrind` that
loads the app, warms the page up and serves it N times through the WSGI app (as
benchmarks/page_cpu.py does). Only those N requests are counted: they run inside one
`functools.reduce` call, and callgrind counts only inside that C function
(`--toggle-collect`). Instructions are not time (a cache miss costs more than an add), but
they are the same from one run to the next whatever else the machine is doing, so a change
of a few per cent shows, where CPU time on a shared machine sways by more than that.
Each page takes about a minute under valgrind; `--jobs` runs that many at once. `--floors`
also counts the two floors of benchmarks/floor_app.py, what any page costs before it shows
anything.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BARE = "bare Flask hello"
_COLLECTED = re.compile(r"Collected : (\d+)")


def _serve(state_path: str, label: str, requests: int) -> None:
    """Inside valgrind: serve `label` `requests` times inside one counted C call."""
    import logging

    logging.disable(logging.INFO)
    from hello_app import create_app as create_hello
    from page_cpu import PAGES, _app, caller

    state = json.loads(Path(state_path).read_text())
    if label == BARE:
        call = caller(create_hello(), "/")
    else:
        from floor_app import FLOORS, add_floors

        app = add_floors(_app(state["database_url"], state["secret"]))
        _, who, path = next(page for page in PAGES + FLOORS if page[0] == label)
        call = caller(app, path, state["cookies"][who])
    for _ in range(30):
        call()
    functools.reduce(lambda _, __: call(), range(requests), None)


def _count(state_path: str, label: str, requests: int) -> float:
    """Instructions per request of `label`, counted by callgrind in a process of its own."""
    with tempfile.TemporaryDirectory() as out:
        run = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--collect-atstart=no",
                "--toggle-collect=functools_reduce",
                f"--callgrind-out-file={Path(out) / 'callgrind.out'}",
                sys.executable,
                __file__,
                "--serve",
                state_path,
                label,
                str(requests),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    found = _COLLECTED.search(run.stderr)
    if run.returncode != 0 or found is None:
        raise SystemExit(f"{label}: valgrind failed\n{run.stderr[-2000:]}")
    return int(found.group(1)) / requests


def main(argv: list[str] | None = None) -> int:
    """Build the game, count every page and the bare endpoint, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--floors", action="store_true", help="also count benchmarks/floor_app.py's floors"
    )
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        _serve(args.serve[0], args.serve[1], int(args.serve[2]))
        return 0
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")

    from floor_app import FLOORS
    from page_cpu import PAGES, built_game

    with tempfile.TemporaryDirectory() as workdir:
        app, database_url, secret, cookies = built_game(workdir)
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()
        state_path = Path(workdir) / "state.json"
        state = {"database_url": database_url, "secret": secret, "cookies": cookies}
        state_path.write_text(json.dumps(state))
        pages = PAGES + FLOORS if args.floors else PAGES
        labels = [BARE, *(label for label, _, _ in pages)]
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            counts = dict(
                zip(
                    labels,
                    pool.map(lambda label: _count(str(state_path), label, args.requests), labels),
                    strict=True,
                )
            )
    bare = counts.pop(BARE)
    print(f"Instructions per request in-process (callgrind, {args.requests} requests each)")
    print(f"{BARE:28} {bare / 1000:9,.0f} k")
    for label, count in counts.items():
        print(f"{label:28} {count / 1000:9,.0f} k   {count / bare:5.1f} x bare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
