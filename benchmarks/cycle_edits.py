"""Benchmark roster changes in a running circle: a join, a leave, a move to a new address.

Run from the repository root:

    python benchmarks/cycle_edits.py [--runs N]

For 1,000, 20,000 and 100,000 people with about one random exclusion each, prints the median
time of each edit and how many angels got a new mortal. Every edit reads the whole circle
once (a walk and a copy), so the time grows linearly; the three-link options are sampled, not
listed, past a few dozen people.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.domain.cycle_edits import changed_angels, cut_out, re_place, splice_in

SIZES = (1_000, 20_000, 100_000)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="edits per size and kind")
    args = parser.parse_args()
    print(f"{'people':>8}  {'edit':<10} {'median ms':>10} {'worst ms':>9} {'changed':>8}")
    for n in SIZES:
        gen = random.Random(n)
        order = gen.sample(range(1, 10 * n), n)
        circle = {a: order[(i + 1) % n] for i, a in enumerate(order)}
        forbidden = {(a, order[gen.randrange(n)]) for a in order} - set(circle.items())
        edits = {
            "join": (splice_in, 0),
            "leave": (cut_out, order[n // 2]),
            "move": (re_place, order[n // 3]),
        }
        for name, (edit, person) in edits.items():
            times, changed = [], []
            for run in range(args.runs):
                started = time.perf_counter()
                after = edit(circle, person, forbidden, random.Random(run))
                times.append(time.perf_counter() - started)
                changed.append(len(changed_angels(circle, after)))
            print(
                f"{n:>8,}  {name:<10} {1000 * statistics.median(times):>10.1f} "
                f"{1000 * max(times):>9.1f} {statistics.median(changed):>8g}"
            )


if __name__ == "__main__":
    main()
