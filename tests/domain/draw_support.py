"""What the draw's fairness tests share: a chi-square test of equal frequencies, and tight
groups of people who may each draw only a few others."""

from __future__ import annotations

import math
import random
from collections import Counter


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


def uniformity_p(counts: Counter, categories: int) -> float:
    """Chi-square p-value of counts against equal frequencies over ``categories``."""
    draws = sum(counts.values())
    expected = draws / categories
    observed = list(counts.values()) + [0] * (categories - len(counts))
    statistic = sum((o - expected) ** 2 / expected for o in observed)
    return chi_square_p(statistic, categories - 1)


def tight_group(seed: int, n: int, options: int) -> tuple[list[int], set[tuple[int, int]]]:
    """n people who may each be the angel of only ``options`` others, chosen at random."""
    gen = random.Random(seed)
    allowed = {
        (a, b) for a in range(n) for b in gen.sample([p for p in range(n) if p != a], options)
    }
    people = list(range(n))
    return people, {(a, b) for a in people for b in people if a != b and (a, b) not in allowed}
