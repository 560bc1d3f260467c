"""Benchmark the Angels & Mortals draw.

Run from the repository root:

    python benchmarks/pairing.py [--runs N]

For 1,000, 10,000 and 100,000 participants with about one random exclusion per
participant, prints the median (and worst) time of a draw with the production
generator (random.SystemRandom) and with a seeded random.Random, plus how many
random shuffles each draw took. Target: 100,000 participants well under 1 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.domain.pairing import _draw, is_valid_cycle

SIZES = (1_000, 10_000, 100_000)
TARGET_SECONDS = 1.0


def exclusions(people: list[int], gen: random.Random) -> list[tuple[int, int]]:
    """About one random (angel, mortal) exclusion per participant."""
    n = len(people)
    pairs = []
    for angel in people:
        mortal = people[gen.randrange(n)]
        if mortal != angel:
            pairs.append((angel, mortal))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="draws per size and generator")
    args = parser.parse_args()

    header = f"{'people':>8}  {'rng':<12} {'median s':>9} {'worst s':>8} {'attempts':>10}  method"
    print(header)
    print("-" * len(header))
    for n in SIZES:
        gen = random.Random(n)
        # Ids as a web app would have them: distinct but not 0..n-1.
        people = gen.sample(range(1, 10 * n), n)
        forbidden = exclusions(people, gen)
        for rng_name in ("SystemRandom", "Random"):
            times, attempts, methods = [], [], Counter()
            for run in range(args.runs):
                rng = random.SystemRandom() if rng_name == "SystemRandom" else random.Random(run)
                started = time.perf_counter()
                outcome = _draw(people, forbidden, rng)
                times.append(time.perf_counter() - started)
                attempts.append(outcome.attempts)
                methods[outcome.method] += 1
                assert is_valid_cycle(outcome.assignment, people, forbidden)
            spread = f"{statistics.median(attempts):g} ({min(attempts)}-{max(attempts)})"
            method = ", ".join(f"{m} x{c}" for m, c in methods.most_common())
            print(
                f"{n:>8,}  {rng_name:<12} {statistics.median(times):>9.3f} "
                f"{max(times):>8.3f} {spread:>10}  {method}"
            )
    print(f"\nTarget: a draw for 100,000 people in well under {TARGET_SECONDS:g} s.")


if __name__ == "__main__":
    main()
