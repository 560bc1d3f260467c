"""The sender's book of the outbox for one run: claiming rows, and marking each one sent,
failed or released, on a database connection of the run's own.

- Rows are claimed with one conditional UPDATE (SQLite ignores FOR UPDATE), so two senders
  running at once never send the same message; a row marked sent is never sent again.
- Each sent row is marked and committed before the next message can be delivered (the
  server reads the next MAIL FROM meanwhile; the next end of data waits for the commit), so a
  sender killed mid-batch sends at most the one message it had on the wire again (same
  Message-ID). That commit comes after every message: it runs one statement compiled once,
  on one cursor of the driver's (sqlite3 and psycopg each prepare it once), not through the
  ORM, whose statement caching and transaction bookkeeping cost more than the SMTP exchange
  itself.
- The connection is the run's from its first claim to its end, never handed back to the pool
  between two commits, so no other thread can be given it while the run still writes on it.
- SQLite (WAL, synchronous=NORMAL): a commit writes to the WAL without waiting for the disk;
  a checkpoint does wait, twice, so they are rare (app/database.py) and a run that sent
  anything checkpoints as it ends: the wait falls on the sender, not on the next request.
- PostgreSQL: the run's connection commits without waiting for the disk either
  (synchronous_commit off, for this connection only, while the run holds it): waiting cost
  more than a millisecond a message, several times the SMTP exchange. The durability is then
  SQLite's in WAL mode: a sender killed at any moment loses no mark (the database server
  holds it); only a crash of the database server itself could lose the marks of its last
  fraction of a second, and those few messages would be sent again, with their Message-IDs.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import and_, bindparam, case, or_, select, update
from sqlalchemy.engine import Dialect, Engine, Row

from app.domain.states import OutboxStatus
from app.models import OutboxMessage, utcnow

# How long a claimed row stays reserved for the worker that claimed it.
CLAIM_LEASE = timedelta(minutes=10)


def due_condition(now: datetime):
    """Rows a sender may take: queued and due, or claimed by a sender whose lease ran out."""
    return or_(
        and_(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_until < now),
    )


# What a sender reads of a claimed row: plain rows, not ORM objects, so nothing is loaded
# twice and nothing the caller holds is expired by the run's commits.
_CLAIMED = (
    OutboxMessage.id,
    OutboxMessage.claim_token,
    OutboxMessage.attempts,
    OutboxMessage.to_addr,
    OutboxMessage.subject,
    OutboxMessage.body_text,
    OutboxMessage.body_html,
    OutboxMessage.message_id,
    OutboxMessage.attachment_name,
    OutboxMessage.attachment_type,
    OutboxMessage.attachment_text,
)


def _forget_orphan() -> dict:
    """Values that empty a finished row's attachment and, for a row carrying one (a journal
    sent as its game was deleted, so the row outlives the game), its address and subject too:
    once done, nothing of a deleted game's people stays behind."""
    carried = OutboxMessage.attachment_name.is_not(None)
    return {
        "attachment_text": None,
        "to_addr": case((carried, ""), else_=OutboxMessage.to_addr),
        "subject": case((carried, ""), else_=OutboxMessage.subject),
    }


# Marks the one row just sent, its body cleared at once.
_MARK_ONE_SENT = (
    update(OutboxMessage)
    .where(OutboxMessage.id == bindparam("row_id"), OutboxMessage.claim_token == bindparam("token"))
    .values(
        status=OutboxStatus.SENT,
        sent_at=bindparam("at"),
        claim_token=None,
        claimed_until=None,
        attempts=OutboxMessage.attempts + 1,
        last_error=None,
        body_text="",
        body_html="",
        **_forget_orphan(),
    )
)


@lru_cache(maxsize=4)
def _mark_one_sent_sql(dialect: Dialect) -> tuple[str, tuple[str, ...] | None, dict, object]:
    """`_MARK_ONE_SENT` compiled once for this dialect: its SQL, the order of its positional
    parameters (None for named ones), its constant parameters and how `sent_at` is bound."""
    compiled = _MARK_ONE_SENT.compile(dialect=dialect)
    placeholders = {"row_id": 0, "token": "", "at": None}
    # The constants (status, the emptied body) as plain strings: a driver may write an enum
    # member as its name rather than its value.
    constants = {
        name: str(value) if isinstance(value, str) else value
        for name, value in compiled.construct_params(placeholders).items()
        if name not in placeholders
    }
    positions = tuple(compiled.positiontup) if compiled.positional else None
    at_type = OutboxMessage.__table__.c.sent_at.type
    return str(compiled), positions, constants, at_type.bind_processor(dialect)


class Ledger:
    """One run's connection to the outbox; `close()` it when the run ends."""

    def __init__(self, engine: Engine) -> None:
        self.connection = engine.connect()
        dialect = self.connection.dialect
        self.sql, self.positions, self.constants, self.bind_at = _mark_one_sent_sql(dialect)
        self.dbapi = self.connection.connection.driver_connection
        self.cursor = self.dbapi.cursor()
        self.dialect = dialect.name
        self.marked = 0
        if self.dialect == "postgresql":
            self.cursor.execute("SET synchronous_commit TO off")
            self.dbapi.commit()

    def close(self) -> None:
        """Give the connection back as it was found; on SQLite, the WAL checkpointed if this
        run wrote."""
        try:
            if self.dialect == "sqlite" and self.marked:
                # Passive: it copies what no reader still needs and never waits for anyone.
                self.cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                self.cursor.fetchall()
            elif self.dialect == "postgresql":
                self.dbapi.rollback()  # whatever a failure left open
                self.cursor.execute("RESET synchronous_commit")
                self.dbapi.commit()
            self.cursor.close()
        except Exception:
            # Never back into the pool with the run's settings: the connection is dropped.
            self.connection.invalidate()
            raise
        finally:
            self.connection.close()

    def claim(self, now: datetime, limit: int, ids: list[int] | None = None) -> list[Row]:
        """Claim up to `limit` due rows for this run and commit the claim; return them in id
        order (id, claim_token, attempts, address, subject, bodies, Message-ID, attachment).

        One conditional UPDATE: a row another sender claimed first no longer matches, so each
        row goes to exactly one sender.
        """
        token = secrets.token_hex(16)
        due = select(OutboxMessage.id).where(due_condition(now)).order_by(OutboxMessage.id)
        if ids is not None:
            due = due.where(OutboxMessage.id.in_(ids))
        # PostgreSQL: rows another sender is claiming right now are skipped, not waited for,
        # and the ones read stay locked until the claim commits. SQLite has no row locks; the
        # conditional UPDATE below is what keeps claims exclusive there. The ids are read
        # first, in a statement of their own: inside the UPDATE, PostgreSQL may run a LIMITed,
        # SKIP LOCKED subquery again for each row and claim far more than `limit` rows.
        connection = self.connection
        chosen = list(connection.execute(due.limit(limit).with_for_update(skip_locked=True)))
        if not chosen:
            connection.commit()
            return []
        connection.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([row_id for (row_id,) in chosen]), due_condition(now))
            .values(status=OutboxStatus.SENDING, claim_token=token, claimed_until=now + CLAIM_LEASE)
        )
        connection.commit()
        claimed = list(
            connection.execute(
                select(*_CLAIMED)
                .where(OutboxMessage.claim_token == token)
                .order_by(OutboxMessage.id)
            )
        )
        connection.commit()
        return claimed

    def mark_sent(self, row: Row) -> None:
        """Mark `row` sent now, its body cleared, and commit."""
        at = utcnow()
        params = {
            **self.constants,
            "row_id": row.id,
            "token": row.claim_token,
            "at": self.bind_at(at) if self.bind_at else at,
        }
        if self.positions is not None:
            self.cursor.execute(self.sql, [params[name] for name in self.positions])
        else:
            self.cursor.execute(self.sql, params)
        self.dbapi.commit()
        self.marked += 1

    def mark_failed(
        self, row: Row, now: datetime, error: str, *, give_up: bool, backoff: float
    ) -> None:
        """Record a failed attempt at `row` and commit: queued again after `backoff` seconds,
        or failed for good (its body cleared) if `give_up`."""
        cleared = {"body_text": "", "body_html": "", **_forget_orphan()} if give_up else {}
        self.connection.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.claim_token == row.claim_token)
            .values(
                **cleared,
                status=OutboxStatus.FAILED if give_up else OutboxStatus.QUEUED,
                attempts=row.attempts + 1,
                last_error=error[:500],
                next_attempt_at=now + timedelta(seconds=backoff),
                claim_token=None,
                claimed_until=None,
            )
        )
        self.connection.commit()

    def release(self, rows: list[Row]) -> int:
        """Put claimed rows that were never tried back in the queue as they were: no attempt
        is counted and their release time stands, so the next run (or another sender) takes
        them at once instead of after the claim's lease. Returns how many this run still
        held."""
        held = [(row.id, row.claim_token) for row in rows]
        result = self.connection.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_([row_id for row_id, _ in held]),
                OutboxMessage.claim_token.in_({token for _, token in held}),
                OutboxMessage.status == OutboxStatus.SENDING,
            )
            .values(status=OutboxStatus.QUEUED, claim_token=None, claimed_until=None)
        )
        self.connection.commit()
        return result.rowcount
