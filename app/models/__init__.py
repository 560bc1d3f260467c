"""Typed models, one module per concept of the game; every public name is importable from here.

- states: the state enums and the check constraints built from them
- people: facilitators, participants, their sessions, hints, journals, lost-link requests
- game: games, pairings, exclusions, drop-off points, ideas, deleted games' tombstones
- kindness: kindnesses, courier requests, thanks, reports, the moderation audit
- outbox: emails waiting to be sent
- questions: a mortal's questions to their angel, and the answers
- tallies: dashboard counters kept by triggers
"""

from __future__ import annotations

from app.models.common import MAX_ID, new_public_id, utcnow
from app.models.game import DropOffPoint, Exclusion, Game, GameIdea, GameTombstone, Pairing
from app.models.kindness import AuditEntry, CourierRequest, Kindness, Report, Thanks
from app.models.outbox import OutboxMessage
from app.models.people import (
    Facilitator,
    Hint,
    JoinRequest,
    JournalEntry,
    LinkRequest,
    Participant,
    ParticipantSession,
)
from app.models.questions import Question
from app.models.states import (
    OPEN_COURIER_STATES,
    CourierState,
    EmailPreference,
    GameState,
    GroupKind,
    KindnessKind,
    KindnessState,
    ModerationAction,
    OutboxStatus,
    ReportStatus,
    one_of,
)
from app.models.tallies import GameTally, KindnessTally, OutcomeTally

# The states as tuples, in the order the check constraints list them.
GAME_STATES = tuple(GameState)
OUTBOX_STATES = tuple(OutboxStatus)
KINDNESS_STATES = tuple(KindnessState)
COURIER_STATES = tuple(CourierState)

__all__ = [
    "COURIER_STATES",
    "GAME_STATES",
    "KINDNESS_STATES",
    "MAX_ID",
    "OPEN_COURIER_STATES",
    "OUTBOX_STATES",
    "AuditEntry",
    "CourierRequest",
    "CourierState",
    "DropOffPoint",
    "EmailPreference",
    "Exclusion",
    "Facilitator",
    "Game",
    "GameIdea",
    "GameState",
    "GameTally",
    "GameTombstone",
    "GroupKind",
    "Hint",
    "JoinRequest",
    "JournalEntry",
    "Kindness",
    "KindnessKind",
    "KindnessState",
    "KindnessTally",
    "LinkRequest",
    "ModerationAction",
    "OutboxMessage",
    "OutboxStatus",
    "OutcomeTally",
    "Pairing",
    "Participant",
    "ParticipantSession",
    "Question",
    "Report",
    "ReportStatus",
    "Thanks",
    "one_of",
    "new_public_id",
    "utcnow",
]
