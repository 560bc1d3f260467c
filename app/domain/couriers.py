"""Courier routing for in-person kindnesses, and claim codes for drop-off points.

The mortal sees who delivers. If the sender were never picked, each delivery would cross one
suspect off the mortal's list; if the sender were picked more or less often than anyone else,
the person who keeps delivering to Sam would be his likely angel. So the pool is symmetric:
everyone who carries stays in it, the sender included, and everyone who opted out of carrying
never carries anything, their own kindnesses included, so opting out singles nobody out. The
courier is drawn uniformly from the pool; the sender is not an input to any of it.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping

# No 0/O, 1/I/L: a code read off a phone and written on a sticky note must survive.
CLAIM_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CLAIM_LENGTH = 6


def courier_pool(open_loads: Mapping[int, int], opted_out: Collection[int]) -> dict[int, int]:
    """Who may carry a kindness, with their open deliveries: every active participant who has
    not opted out of carrying (`open_loads` covers every active participant)."""
    return {pid: n for pid, n in open_loads.items() if pid not in opted_out}


def pick_courier(
    open_loads: Mapping[int, int],
    recipient: int,
    already_asked: Iterable[int],
    rng: random.Random,
    max_open: int | None = None,
) -> int | None:
    """A participant drawn uniformly from the pool, or None when nobody is left.

    `open_loads` is the kindness's `courier_pool`. The recipient and anyone already asked for
    this kindness are skipped. With `max_open`, people already carrying that many are skipped
    too, unless everyone left is: the cap spreads the work, and like the rest it never looks at
    who sent the kindness.
    """
    skip = set(already_asked) | {recipient}
    eligible = sorted(pid for pid in open_loads if pid not in skip)
    if not eligible:
        return None
    if max_open is not None:
        under_cap = [pid for pid in eligible if open_loads[pid] < max_open]
        eligible = under_cap or eligible
    return rng.choice(eligible)


def claim_code(rng: random.Random) -> str:
    """A short code the angel writes on the item they leave at a drop-off point."""
    return "".join(rng.choice(CLAIM_ALPHABET) for _ in range(CLAIM_LENGTH))
