"""Several server processes starting together on a fresh database: one migrates, all serve."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from app import ROOT
from app.database import MIGRATIONS, migration_lock, migration_lock_path
from tests.helpers import TEST_DATABASE_URL

BOOT_DEADLINE_SECONDS = 30


def _head_revision() -> str:
    heads = ScriptDirectory(str(MIGRATIONS)).get_heads()
    assert len(heads) == 1, f"the migrations have several heads: {heads}"
    return heads[0]


def _server_environment(database) -> dict[str, str]:
    """What an operator sets for gunicorn on the embedded defaults: a key and the database."""
    env = {k: v for k, v in os.environ.items() if k not in ("ANGELS_ENV", "MAIL_SERVER")}
    env.update(
        SECRET_KEY="a-long-random-test-key-0123456789abcdef",
        DATABASE_URL=f"sqlite:///{database}",
        PYTHONUNBUFFERED="1",
    )
    return env


def _wait_for_home_page(port: int, server: subprocess.Popen) -> int | None:
    """The status of GET / once the server answers (None if it died or never answered)."""
    deadline = time.monotonic() + BOOT_DEADLINE_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            time.sleep(0.2)
    return None


@pytest.mark.slow
def test_four_gunicorn_workers_start_together_on_a_fresh_sqlite_database(tmp_path):
    """Each worker migrates on start; the lock makes one do it while the others wait.

    Without the lock the workers race ("table alembic_version already exists") and
    gunicorn gives up with "Worker failed to boot". No --preload is needed.
    """
    database = tmp_path / "angels.sqlite3"
    log_path = tmp_path / "gunicorn.log"
    # The test binds the listening socket and hands it to gunicorn, so no other process can
    # take the free port in between.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    listener.set_inheritable(True)
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "4",
                "--bind",
                f"fd://{listener.fileno()}",
                "app:create_app()",
            ],
            cwd=ROOT,
            env=_server_environment(database),
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=(listener.fileno(),),
        )
    listener.close()
    try:
        status = _wait_for_home_page(port, server)
        # Every worker has booted (or failed to) once four of them said so.
        deadline = time.monotonic() + BOOT_DEADLINE_SECONDS
        while log_path.read_text().count("Booting worker") < 4 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)
        alive = server.poll() is None
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    log_text = log_path.read_text()

    assert status == 200, log_text[-3000:]
    assert alive, log_text[-3000:]
    assert "Worker failed to boot" not in log_text
    assert "already exists" not in log_text
    assert "Traceback" not in log_text
    assert log_text.count("Booting worker") == 4, log_text[-3000:]
    # Exactly one worker ran the first migration; the others found nothing to do.
    assert log_text.count("Running upgrade  -> c7480edb8232") == 1, log_text[-3000:]
    with sqlite3.connect(database) as connection:
        versions = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    assert versions == [(_head_revision(),)]


def test_the_sqlite_migration_lock_lets_one_process_in_at_a_time(tmp_path):
    """A second holder waits on the lock file beside the database until the first lets go."""
    engine = create_engine(f"sqlite:///{tmp_path / 'angels.sqlite3'}")
    assert migration_lock_path(engine) == tmp_path / "angels.sqlite3.migrate.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            "f = open(sys.argv[1], 'a+b'); fcntl.flock(f, fcntl.LOCK_EX)\n"
            "print('held', flush=True); time.sleep(1.5)\n"
            # The moment it lets go, on the clock every process shares.
            "print(time.monotonic(), flush=True)\n",
            str(migration_lock_path(engine)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with migration_lock(engine):
            got = time.monotonic()
        released = float(holder.stdout.readline())
    finally:
        holder.wait(timeout=10)
        holder.stdout.close()
    # This process got the lock only once the holder let go of it.
    assert got >= released, f"got the lock {released - got:.2f} s before the holder let go"
    engine.dispose()


def test_an_in_memory_database_needs_no_lock_file():
    engine = create_engine("sqlite://")
    assert migration_lock_path(engine) is None
    with migration_lock(engine):
        pass
    engine.dispose()


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="set TEST_DATABASE_URL to a PostgreSQL database")
def test_postgresql_migrations_on_start_take_an_advisory_lock():
    """If migrate-on-start is ever turned on for PostgreSQL, workers take turns there too."""
    from sqlalchemy import text

    from app.database import MIGRATION_ADVISORY_LOCK

    engine = create_engine(TEST_DATABASE_URL)
    entered = threading.Event()
    try:
        with migration_lock(engine):
            worker = threading.Thread(
                target=lambda: (migration_lock(engine).__enter__(), entered.set())
            )
            with engine.connect() as other:
                taken = other.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_ADVISORY_LOCK}
                ).scalar()
            assert taken is False
            worker.start()
            assert not entered.wait(0.5), "a second process got the lock while it was held"
        assert entered.wait(10), "the lock was not released"
    finally:
        engine.dispose()
