"""Courier routing for in-person kindnesses, and claim codes for drop-off points.

The sender is deliberately *not* an input here. The mortal sees who delivers; if the sender
were never picked, each delivery would cross one suspect off the mortal's list. So the courier
is chosen from everyone eligible — sender included — by load alone, ties broken at random.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping

# No 0/O, 1/I/L: a code read off a phone and written on a sticky note must survive.
CLAIM_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CLAIM_LENGTH = 6


def pick_courier(
    open_loads: Mapping[int, int],
    recipient: int,
    already_asked: Iterable[int],
    rng: random.Random,
) -> int | None:
    """The eligible participant with the fewest open deliveries, ties broken at random.

    `open_loads` maps every participant who may carry (active, not opted out) to their number of
    open deliveries. The recipient and anyone already asked for this kindness are skipped.
    Returns None when nobody is left.
    """
    skip = set(already_asked) | {recipient}
    eligible = [(load, pid) for pid, load in open_loads.items() if pid not in skip]
    if not eligible:
        return None
    lightest = min(load for load, _ in eligible)
    return rng.choice(sorted(pid for load, pid in eligible if load == lightest))


def claim_code(rng: random.Random) -> str:
    """A short code the angel writes on the item they leave at a drop-off point."""
    return "".join(rng.choice(CLAIM_ALPHABET) for _ in range(CLAIM_LENGTH))
