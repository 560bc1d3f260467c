"""What every model module shares: id range, time and public ids."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

# The largest id a row can have: ids are 32-bit integers on PostgreSQL.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    """Naive UTC now: SQLite keeps no time zones, so every stored time is naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_public_id() -> str:
    """An opaque, unguessable id for URLs and links."""
    return secrets.token_urlsafe(16)
