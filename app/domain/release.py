"""When does someone learn this? The release schedule for everything a participant is told.

Anything that follows from one person's action — a note, a courier offer, a re-route, a thanks,
a moderation warning or mute, "your mortal changed", a cancelled kindness, a fresh link asked for
on a public page — would point at that person if it arrived the moment they acted: whoever
watches the clock (or whose phone buzzes) could read the sender off it. So each one is released
at a uniformly random moment of a *later* delivery round, at least the schedule's minimum delay
after the action, and it is shown on a page and emailed only from that moment on.

A few messages carry no such clock: the game's end (all participants at once, caused by the
facilitator), and what the periodic work sends inside a round (a note's arrival email,
reminders, nudges, digests). Those go out when they are made, and so do everyone's invitations
at the draw, which the draw asks for explicitly (a late joiner's invitation waits for a round).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime

from . import delivery

# Messages that go out as soon as they are made: see the module docstring for why each is safe.
AT_ONCE = frozenset(
    {
        "game-ended",
        "kindness-arrived",
        "reminder",
        "nudge",
        "digest",
    }
)


@dataclass(frozen=True)
class Release:
    """When a participant-visible event becomes visible: a moment (naive UTC) and its round."""

    at: datetime
    label: str


def next_release(
    schedule: delivery.Schedule,
    now: datetime,
    rng: random.Random,
    on_day: date | None = None,
) -> Release:
    """A uniformly random moment of the first round opening at least the minimum delay after
    `now` (or of the first round of `on_day`, a later local date), with that round's label."""
    round_ = delivery.round_for(schedule, now, on_day)
    return Release(delivery.arrival(round_, schedule, rng), delivery.round_label(round_))


def waits_for_round(kind: str) -> bool:
    """True when a message of this kind must wait for a delivery round (the default)."""
    return kind not in AT_ONCE


def is_released(release_at: datetime | None, now: datetime) -> bool:
    """Whether something released at `release_at` (None: from the start) is visible at `now`."""
    return release_at is None or release_at <= now
