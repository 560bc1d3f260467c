"""The database engine's own setup: SQLite pragmas on every connection, and the schema brought
up to date on start (under a lock every process shares)."""

from __future__ import annotations

import fcntl
import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from app.extensions import db, migrate

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# SQLite WAL pages between two automatic checkpoints (see _sqlite_pragmas).
WAL_CHECKPOINT_PAGES = 10_000


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:  # noqa: ARG001
    """WAL lets readers work during a write; foreign keys are off in SQLite unless asked for.

    In WAL mode with synchronous=NORMAL a commit does not wait for the disk; a checkpoint
    waits twice. By default one comes every 1,000 pages (4 MB), which a draw of 1,000 people
    writes by itself, so the facilitator's request waited on it, and a sender committing once
    per message met one every couple of hundred messages. Every WAL_CHECKPOINT_PAGES (40 MB)
    instead; a sending run also checkpoints as it ends (app/mail/ledger.py).

    How long a writer waits for another one (the busy timeout) is the driver's `timeout`
    connect argument, set from DATABASE_BUSY_TIMEOUT_SECONDS in config.load.
    """
    module = type(dbapi_connection).__module__
    if "sqlite" not in module:
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
    cursor.close()


def init_app(app: Flask) -> None:
    """Point Flask-Migrate at the migrations (`flask db ...`)."""
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)


def prepare_schema(app: Flask) -> None:
    """Bring the database schema up to date where that is safe to do on start.

    The embedded SQLite default migrates itself, so `flask run` needs no extra command. Tests
    on a throwaway database create the tables directly. Anything else (PostgreSQL in
    production) is migrated by the operator with `flask --app app db upgrade`.

    Every gunicorn worker builds its own app, so several run this at the same moment on a
    fresh database. The upgrade runs under a lock that all of them share: one migrates, the
    others wait for it and then find the schema already at head.
    """
    if app.config.get("AUTO_MIGRATE"):
        with app.app_context(), migration_lock(db.engine):
            upgrade_quietly()
    elif app.testing and app.config["CREATE_TABLES"]:
        with app.app_context():
            db.create_all()


def _not_context_chatter(record: logging.LogRecord) -> bool:
    """Alembic's "Context impl SQLiteImpl." and "Will assume non-transactional DDL." lines."""
    return not record.getMessage().startswith(("Context impl", "Will assume"))


def upgrade_quietly() -> None:
    """Bring the schema to the head revision (in an app context), saying only what changed.

    Every command and server start on SQLite migrates on start, and Alembic opened each one's
    output with lines about its own set-up. Those are dropped; a "Running upgrade" line still
    says each migration that actually runs (so a fresh database, or a new version, says so
    once, and which worker did it). Plugin loading is quiet too (see configure_logging).
    """
    migration_log = logging.getLogger("alembic.runtime.migration")
    migration_log.addFilter(_not_context_chatter)
    try:
        from flask_migrate import upgrade  # imports Alembic, which logs as it loads

        upgrade(directory=str(MIGRATIONS))
    finally:
        migration_log.removeFilter(_not_context_chatter)


# The key of the PostgreSQL advisory lock that migrations on start take: a fixed number, so
# every process of this service (and no other application) asks for the same lock.
MIGRATION_ADVISORY_LOCK = zlib.crc32(b"angels-and-mortals: migrate on start")


def migration_lock_path(engine: Engine) -> Path | None:
    """The lock file beside a SQLite database file (None for an in-memory database)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).with_name(Path(database).name + ".migrate.lock")


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Hold a lock that only one process at a time can hold, for as long as the block runs.

    SQLite: an exclusive `flock` on a file beside the database. The kernel releases it when
    the process dies, so a crashed migration never leaves a lock behind. The file itself is
    left in place: deleting it could let a late process lock a new file while another still
    holds the old one.
    PostgreSQL: a session advisory lock, which the server likewise drops with the connection.
    """
    if engine.dialect.name == "sqlite":
        path = migration_lock_path(engine)
        if path is None:
            yield
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    elif engine.dialect.name == "postgresql":
        # Its own connection, outside the migration's transaction: the lock must outlast
        # each of Alembic's commits and be released only when the upgrade is over.
        with engine.connect() as connection:
            connection.execute(
                text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_ADVISORY_LOCK}
            )
            connection.commit()
            try:
                yield
            finally:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_ADVISORY_LOCK}
                )
                connection.commit()
    else:
        yield
