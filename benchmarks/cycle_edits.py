"""Benchmark roster changes in a running circle: a join, a leave, a move to a new address.

Run from the repository root:

    python benchmarks/cycle_edits.py [--runs N] [--team-size S]

For 1,000, 20,000 and 100,000 people with about one random exclusion each, prints the median
time of each edit (every kind in turn in each run, after a garbage collection) and how many
angels got a new mortal. Every edit reads the whole circle once (a walk and a copy), so the
time grows linearly; the three-link options are sampled, not listed, past a few dozen people.

Then the same circle in teams of S (default 30) that keeps teammates apart: each edit given
the teams (looked up for the links it changes), the same join given every pair of teammates
written out as exclusions (as it once was, building them included), and the ratio of the team
join to the plain join.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.domain.cycle_edits import changed_angels, cut_out, re_place, splice_in  # noqa: E402
from app.domain.teammates import teammate_pairs  # noqa: E402

SIZES = (1_000, 20_000, 100_000)


def one_size(n: int, team_size: int, runs: int) -> None:
    """Print the figures of a circle of `n` people."""
    gen = random.Random(n)
    order = gen.sample(range(1, 10 * n), n)
    circle = {a: order[(i + 1) % n] for i, a in enumerate(order)}
    forbidden = {(a, order[gen.randrange(n)]) for a in order} - set(circle.items())
    # Teams of every other person along the circle, so that no two teammates are neighbours:
    # the circle already keeps them apart, as a drawn one would. 0 is the newcomer.
    teams = {a: (i % 2, i // (2 * team_size)) for i, a in enumerate(order)} | {0: (0, 0)}
    edits = (
        ("join", splice_in, 0, {}),
        ("leave", cut_out, order[n // 2], {}),
        ("move", re_place, order[n // 3], {}),
        ("join, teams", splice_in, 0, {"teams": teams}),
        ("leave, teams", cut_out, order[n // 2], {"teams": teams}),
        ("move, teams", re_place, order[n // 3], {"teams": teams}),
        ("join, teammate pairs", splice_in_pairs, 0, {"teams": teams}),
    )
    times: dict[str, list[float]] = {name: [] for name, *_ in edits}
    changed: dict[str, list[int]] = {name: [] for name, *_ in edits}
    for run in range(runs):  # every edit in turn in each run: a busy moment weighs on all
        for name, edit, person, more in edits:
            gc.collect()
            started = time.perf_counter()
            after = edit(circle, person, forbidden, random.Random(run), **more)
            times[name].append(1000 * (time.perf_counter() - started))
            changed[name].append(len(changed_angels(circle, after)))
    for name in times:
        median, worst = statistics.median(times[name]), max(times[name])
        moved = statistics.median(changed[name])
        print(f"{n:>8,}  {name:<26} {median:>10.1f} {worst:>9.1f} {moved:>8g}")
    ratio = statistics.median(times["join, teams"]) / statistics.median(times["join"])
    print(f"{n:>8,}  {'ratio team join / join':<26} {ratio:>10.2f}", flush=True)


def splice_in_pairs(circle, person, forbidden, rng, *, teams):
    """A join given every pair of teammates as exclusions, writing them out included."""
    return splice_in(circle, person, forbidden | teammate_pairs(teams), rng)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="edits per size and kind")
    parser.add_argument("--team-size", type=int, default=30)
    args = parser.parse_args()
    print(f"{'people':>8}  {'edit':<26} {'median ms':>10} {'worst ms':>9} {'changed':>8}")
    for n in SIZES:
        one_size(n, args.team_size, args.runs)


if __name__ == "__main__":
    main()
