"""The states of every state column, and the check constraints built from them.

The enums themselves live in the pure domain (app/domain/states.py) so domain rules can name
states too; they are re-exported here for the models and everything above them.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint

from app.domain.states import (
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
)

__all__ = [
    "OPEN_COURIER_STATES",
    "CourierState",
    "EmailPreference",
    "GameState",
    "GroupKind",
    "KindnessKind",
    "KindnessState",
    "ModerationAction",
    "OutboxStatus",
    "ReportStatus",
    "one_of",
]


def one_of(column: str, states: type[StrEnum], name: str) -> CheckConstraint:
    """A check constraint that `column` holds one of `states`, in the enum's order.

    The SQL is spelt exactly as the migrations spell it ("state IN ('a', 'b')"), so the models
    and the migrated schema agree.
    """
    values = ", ".join(f"'{state.value}'" for state in states)
    return CheckConstraint(f"{column} IN ({values})", name=name)
