"""Courier routing for in-person kindnesses, and claim codes for drop-off points.

The mortal sees who delivers; if the sender were never picked, each delivery would cross one
suspect off the mortal's list. So the pool for a kindness holds its sender like anyone else
(even one who opted out of carrying), and the courier is chosen from the pool by load alone,
ties broken at random: the sender is deliberately *not* an input to the choice.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping

# No 0/O, 1/I/L: a code read off a phone and written on a sticky note must survive.
CLAIM_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CLAIM_LENGTH = 6


def courier_pool(
    open_loads: Mapping[int, int], opted_out: Collection[int], sender: int, recipient: int
) -> dict[int, int]:
    """Who may carry one sender's kindness, with their open deliveries.

    `open_loads` covers every active participant. Those who opted out of carrying are left
    out — except the sender, who stays in for their own kindnesses. The one exception to that:
    when nobody else but the recipient is in the pool, an opted-out sender would be the
    certain courier, so they are left out too and the kindness cannot be carried.
    """
    pool = {pid: n for pid, n in open_loads.items() if pid not in opted_out or pid == sender}
    if sender in opted_out and not pool.keys() - {sender, recipient}:
        pool.pop(sender, None)
    return pool


def pick_courier(
    open_loads: Mapping[int, int],
    recipient: int,
    already_asked: Iterable[int],
    rng: random.Random,
) -> int | None:
    """The eligible participant with the fewest open deliveries, ties broken at random.

    `open_loads` maps every participant who may carry this kindness (its `courier_pool`) to
    their number of open deliveries. The recipient and anyone already asked for this kindness
    are skipped. Returns None when nobody is left.
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
