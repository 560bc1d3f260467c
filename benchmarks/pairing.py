"""Benchmark the Angels & Mortals draw.

Run from the repository root:

    python benchmarks/pairing.py [--runs N]

For 1,000, 10,000 and 100,000 participants with about one random exclusion per
participant, prints the median (and worst) time of a draw with the production
generator (random.SystemRandom) and with a seeded random.Random, plus how many
random shuffles each draw took. Target: 100,000 participants well under 1 s.

Then team draws ("nobody draws someone from their own team") for 100,000 people
in teams of 8 and of 30, each timed with its ratio to the one-random-exclusion
draw of 100,000 in the same run (target: at most 2x), and a chi-square check of
every path the draw can take. ``--slow`` adds teams of 8 given as 700,000
excluded pairs (the teams are detected) and 10,000 people each excluding 30 %
of the others (30 million pairs: building them takes about half a minute, not
counted; the draw's own time is printed against its target, < 10 s).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import math
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from itertools import compress, filterfalse, repeat
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.domain.draw import cycle, is_valid_cycle
from app.domain.draw.cycle import _draw

SIZES = (1_000, 10_000, 100_000)
TARGET_SECONDS = 1.0
DENSE_TARGET_SECONDS = 10.0


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
    parser.add_argument("--slow", action="store_true", help="add the instances slow to build")
    args = parser.parse_args()
    base = {}

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
            base[n, rng_name] = statistics.median(times)
            spread = f"{statistics.median(attempts):g} ({min(attempts)}-{max(attempts)})"
            method = ", ".join(f"{m} x{c}" for m, c in methods.most_common())
            print(
                f"{n:>8,}  {rng_name:<12} {statistics.median(times):>9.3f} "
                f"{max(times):>8.3f} {spread:>10}  {method}"
            )
    print(f"\nTarget: a draw for 100,000 people in well under {TARGET_SECONDS:g} s.")
    structured(base, args.runs, slow=args.slow)
    fairness()


def timed(draw: Callable[[random.Random], object], runs: int) -> tuple[float, Counter]:
    """Median seconds of ``runs`` draws with a seeded generator, and the methods used."""
    times, methods = [], Counter()
    for run in range(runs):
        started = time.perf_counter()
        outcome = draw(random.Random(run))
        times.append(time.perf_counter() - started)
        methods[outcome.method] += 1
    return statistics.median(times), methods


def structured(base: dict[tuple[int, str], float], runs: int, *, slow: bool) -> None:
    """Team draws at 100,000 (and, if slow, 30 % exclusions at 10,000) against the baseline."""
    n = 100_000
    gen = random.Random(n)
    people = gen.sample(range(1, 10 * n), n)
    one = base[n, "Random"]
    print(f"\nStructured exclusions, median of {runs} seeded draws; ratio to the draw above")
    print(f"for {n:,} people with one random exclusion each ({one:.3f} s, target ratio <= 2):")
    for size in (8, 30):
        team = {p: i // size for i, p in enumerate(people)}

        def draw(rng: random.Random, team: dict[int, int] = team) -> object:
            outcome = _draw(people, set(), rng, teams=team)
            assert is_valid_cycle(outcome.assignment, people, set())
            assert all(team[a] != team[b] for a, b in outcome.assignment.items())
            return outcome

        seconds, methods = timed(draw, runs)
        print(f"  teams of {size:<3} {seconds:>7.3f} s  x{seconds / one:.2f}  {dict(methods)}")
    if not slow:
        print("  (--slow adds teams of 8 as excluded pairs and 10,000 with 30 % excluded)")
        return
    team = {p: i // 8 for i, p in enumerate(people)}
    pairs = {(a, b) for a in people for b in people[team[a] * 8 : team[a] * 8 + 8] if a != b}

    def detected(rng: random.Random) -> object:
        outcome = _draw(people, pairs, rng)
        assert is_valid_cycle(outcome.assignment, people, pairs)
        return outcome

    seconds, methods = timed(detected, runs)
    ratio = seconds / one
    print(f"  teams of 8 as {len(pairs):,} pairs {seconds:.3f} s  x{ratio:.2f}  {dict(methods)}")
    thirty_percent(gen)


def each_excluding(people: list[int], share: float, gen: random.Random) -> set[tuple[int, int]]:
    """Each person excludes exactly int(share * (n - 1)) others, a uniformly random set.

    Picking them one by one (random.sample) costs a Python call per pair, 30
    million of them at 10,000 people; here random bytes pick a random subset
    of about the right size in C (a subset of a given size is then equally
    likely to be any of that size), and the few extra or missing people are
    then dropped or added at random: still a uniformly random set of exactly
    that size.
    """
    n = len(people)
    k = int(share * (n - 1))
    # A byte below the threshold keeps its person: a share a little above ``share``.
    threshold = min(256, math.ceil(256 * share * 1.02))
    keep = bytes(v < threshold for v in range(256))
    skip = bytes(v >= threshold for v in range(256))
    pairs: set[tuple[int, int]] = set()
    for i, angel in enumerate(people):
        others = people[:i] + people[i + 1 :]
        picks = gen.randbytes(n - 1)
        chosen = list(compress(others, picks.translate(keep)))
        extra = len(chosen) - k
        if extra > 0:
            dropped = set(gen.sample(chosen, extra))
            pairs.update(zip(repeat(angel), filterfalse(dropped.__contains__, chosen)))
            continue
        if extra < 0:
            chosen += gen.sample(list(compress(others, picks.translate(skip))), -extra)
        pairs.update(zip(repeat(angel), chosen))
    return pairs


def thirty_percent(gen: random.Random) -> None:
    """One draw for 10,000 people who each exclude 30 % of the others (target < 10 s)."""
    m = 10_000
    crowd = gen.sample(range(1, 10 * m), m)
    started = time.perf_counter()
    # Thirty million pairs: the collector would scan them over and over while they
    # are built; one collection at the end untracks them (tuples of ints hold no
    # cycles), so the draw's time is the draw's alone.
    gc.disable()
    try:
        dense = each_excluding(crowd, 0.3, gen)
    finally:
        gc.enable()
    gc.collect()
    built = time.perf_counter() - started
    started = time.perf_counter()
    outcome = _draw(crowd, dense, random.Random(0))
    seconds = time.perf_counter() - started
    assert is_valid_cycle(outcome.assignment, crowd, dense)
    verdict = "met" if seconds < DENSE_TARGET_SECONDS else "MISSED"
    print(
        f"  {m:,} each excluding 30 % ({len(dense):,} pairs, built in {built:.1f} s):"
        f" draw {seconds:.3f} s, target < {DENSE_TARGET_SECONDS:g} s {verdict}"
        f"  {{'{outcome.method}': 1}}"
    )


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


def tight_group(seed: int, n: int, options: int) -> tuple[list[int], set[tuple[int, int]]]:
    """n people who may each be the angel of only ``options`` others, chosen at random."""
    gen = random.Random(seed)
    allowed = {
        (a, b) for a in range(n) for b in gen.sample([p for p in range(n) if p != a], options)
    }
    people = list(range(n))
    return people, {(a, b) for a in people for b in people if a != b and (a, b) not in allowed}


def all_cycles(people: list[int], forbidden: set[tuple[int, int]]) -> set[frozenset]:
    """Every valid draw, by brute force (small groups only)."""
    found = set()
    for perm in itertools.permutations(people[1:]):
        order = [people[0], *perm]
        pairs = frozenset(zip(order, order[1:] + order[:1], strict=True))
        if pairs.isdisjoint(forbidden):
            found.add(pairs)
    return found


_OFF = {"_rejection_attempts": lambda _n: 0}
_TIGHT = {**_OFF, "_EXHAUSTIVE_MAX_N": 0, "_EXACT_MAX_N": 0}
# Each path forced by switching the cheaper ones off.
PATHS = {
    "rejection": {},
    "exhaustive": _OFF,
    "exact": {**_OFF, "_EXHAUSTIVE_MAX_N": 0},
    "repair+walk": _TIGHT,
    "search+walk": {**_TIGHT, "_REPAIR_FIRST_MOVES": 0},
    "large-group": {**_OFF, "_DENSE_MAX_N": 0},
    "teams": {"_DENSE_MAX_N": 0},
}


def fairness(per_cycle: int = 60) -> None:
    """Chi-square p of the cycle frequencies, path by path, on small tight groups.

    6 people who may each be the angel of only 3 others (7 valid cycles, in two
    islands that no move keeping every pair allowed connects); for "teams",
    three teams of 2 (32 valid cycles). p well above 0.001: no detectable bias.
    """
    islands = tight_group(0, 6, 3)
    team = {p: p // 2 for p in range(6)}
    teammates = {(a, b) for a in team for b in team if a != b and team[a] == team[b]}
    print(f"\nFairness: {per_cycle} draws per valid cycle, each path forced")
    for path, patch in PATHS.items():
        people, forbidden = (list(team), teammates) if path == "teams" else islands
        teams = team if path == "teams" else None
        valid = all_cycles(people, forbidden)
        saved = {name: getattr(cycle, name) for name in patch}
        for name, value in patch.items():
            setattr(cycle, name, value)
        rng = random.Random(1)
        counts, methods = Counter(), Counter()
        started = time.perf_counter()
        try:
            for _ in range(per_cycle * len(valid)):
                outcome = _draw(people, forbidden, rng, teams=teams)
                counts[frozenset(outcome.assignment.items())] += 1
                methods[outcome.method] += 1
        finally:
            for name, value in saved.items():
                setattr(cycle, name, value)
        k = len(valid)
        expected = per_cycle
        observed = [*counts.values()] + [0] * (k - len(counts))
        stat = sum((o - expected) ** 2 / expected for o in observed)
        print(
            f"  {path:<12} {k:>2} cycles  p = {chi_square_p(stat, k - 1):<8.3g} "
            f"{time.perf_counter() - started:5.1f} s  {dict(methods)}"
        )


if __name__ == "__main__":
    main()
