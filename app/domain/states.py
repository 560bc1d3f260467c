"""Every state a row can be in, named once.

Each is a `StrEnum`, so a member is the very string stored in the database and compares equal
to it. The models build their check constraints from these (app/models/states.py), so a state
added here is a state the database accepts; the order of members is the order the
constraints list them in, which the migrations repeat.
"""

from __future__ import annotations

from enum import StrEnum


class GameState(StrEnum):
    """A game is a draft until names are drawn, runs, then ends."""

    DRAFT = "draft"
    RUNNING = "running"
    ENDED = "ended"


class GroupKind(StrEnum):
    """Who a game is for (only changes the wording)."""

    TEAM = "team"
    CLASS = "class"


class EmailPreference(StrEnum):
    """How often a participant hears from the game by email."""

    EACH = "each"  # every kindness as it arrives
    DIGEST = "digest"  # once a day
    NONE = "none"  # never: the site shows everything


class KindnessKind(StrEnum):
    """A note, or something done in person and carried by a courier."""

    NOTE = "note"
    IN_PERSON = "in_person"


class KindnessState(StrEnum):
    """A note is `scheduled` until its delivery moment, then `delivered`; an in-person kindness
    is `routing` while couriers are asked, `delivered` once done, `undeliverable` when no
    courier could take it. Either may be `cancelled` before delivery."""

    SCHEDULED = "scheduled"
    ROUTING = "routing"
    DELIVERED = "delivered"
    UNDELIVERABLE = "undeliverable"
    CANCELLED = "cancelled"


class CourierState(StrEnum):
    """One courier's request to carry one in-person kindness."""

    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    DONE = "done"
    WITHDRAWN = "withdrawn"


# A request still waiting on its courier: it counts towards their load.
OPEN_COURIER_STATES = (CourierState.OFFERED, CourierState.ACCEPTED)


class OutboxStatus(StrEnum):
    """An email's way out: queued, claimed by a sender, sent, or given up on."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class ReportStatus(StrEnum):
    """A report is open until the facilitator dismisses it or acts on it."""

    OPEN = "open"
    DISMISSED = "dismissed"
    ACTED = "acted"


class ModerationAction(StrEnum):
    """What the organiser can do about a report; the reporter is told the first three kinds of
    outcome in words that never name the sender."""

    DISMISS = "dismiss"
    HIDE = "hide"
    WARN = "warn"
    MUTE = "mute"
    REVEAL = "reveal"
