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
import math
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.domain.draw import cycle, is_valid_cycle
from app.domain.draw.cycle import _draw

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
    fairness()


def chi_square_p(statistic: float, df: int) -> float:
    """Upper tail of the chi-square distribution (regularised gamma series)."""
    a, x = df / 2, statistic / 2
    term = total = 1 / a
    k = 1
    while term > 1e-15 * total:
        term *= x / (a + k)
        total += term
        k += 1
    return max(0.0, 1 - total * math.exp(-x + a * math.log(x) - math.lgamma(a)))


def fairness(draws: int = 1200) -> None:
    """Chi-square p of the cycle frequencies per path on one tight group.

    10 people who may each be the angel of only 3 others: 12 valid cycles.
    p well above 0.001 means no detectable bias.
    """
    gen = random.Random(27)
    n = 10
    allowed = {(a, b) for a in range(n) for b in gen.sample([p for p in range(n) if p != a], 3)}
    people = list(range(n))
    forbidden = {(a, b) for a in people for b in people if a != b and (a, b) not in allowed}
    paths = {
        "public": {},
        "exact": {"_rejection_attempts": lambda _n: 0},
        "repair+walk": {"_rejection_attempts": lambda _n: 0, "_EXACT_MAX_N": 0},
    }
    print(f"\nFairness: {n} people, 3 options each, {draws} draws per path")
    for path, patch in paths.items():
        saved = {name: getattr(cycle, name) for name in patch}
        for name, value in patch.items():
            setattr(cycle, name, value)
        try:
            rng = random.Random(1)
            counts = Counter(
                frozenset(_draw(people, forbidden, rng).assignment.items()) for _ in range(draws)
            )
        finally:
            for name, value in saved.items():
                setattr(cycle, name, value)
        k = 12
        expected = draws / k
        observed = [*counts.values()] + [0] * (k - len(counts))
        stat = sum((o - expected) ** 2 / expected for o in observed)
        print(f"  {path:<12} p = {chi_square_p(stat, k - 1):.3g}  counts {sorted(observed)}")


if __name__ == "__main__":
    main()
