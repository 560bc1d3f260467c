"""A first run as a newcomer has it: quiet commands, one clean log line per record, a demo that
says when it is not the first, and a way back to an empty database."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import func, select

from app import ROOT
from app.extensions import db
from app.models import Facilitator, Game


def _environment(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ANGELS_ENV", "MAIL_SERVER")}
    env.update(
        SECRET_KEY="a-long-random-test-key-0123456789abcdef",
        DATABASE_URL=f"sqlite:///{tmp_path / 'angels.sqlite3'}",
        AUTO_TICK="false",
    )
    return env


def _tick(tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "tick"],
        cwd=ROOT,
        env=_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_commands_print_only_the_migrations_that_run_and_only_once(tmp_path):
    first = _tick(tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("delivered 0")
    # A record per line that starts with its time (a migration's message may run on).
    said = [line for line in first.stderr.splitlines() if line[:4].isdigit()]
    assert said and all(" INFO [alembic.runtime.migration] Running upgrade " in s for s in said)
    assert "Context impl" not in first.stderr and "plugin" not in first.stderr
    # The schema is at its head now: the next command says nothing but its own line.
    second = _tick(tmp_path)
    assert second.returncode == 0 and second.stderr == ""
    assert second.stdout.startswith("delivered 0")


SERVER_LOGS = """
import logging
from app import create_app
app = create_app()
app.logger.warning("The outbox has 3 message(s) kept")
logging.getLogger("werkzeug").info('"\\x1b[33mGET /nope HTTP/1.1\\x1b[0m" 404 -')
"""


def test_each_record_is_one_plain_line_with_its_full_level(tmp_path):
    assert _tick(tmp_path).returncode == 0  # the database made and migrated first
    result = subprocess.run(
        [sys.executable, "-c", SERVER_LOGS],
        cwd=ROOT,
        env=_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2, lines
    warning, request = lines
    assert warning.endswith("WARNING [app] The outbox has 3 message(s) kept")
    assert "WARNI " not in result.stderr and "\x1b" not in result.stderr
    assert request.endswith('INFO [werkzeug] "GET /nope HTTP/1.1" 404 -')


def test_a_second_demo_says_it_makes_another_game(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0 and "already had" not in first.output
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert "already had 1 game (/games/1); this makes another one" in second.output
    assert "flask --app app reset-db" in second.output


def _count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_reset_db_asks_first_then_empties_the_database(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    refused = runner.invoke(args=["reset-db"], input="n\n")
    assert refused.exit_code != 0 and "Delete every account" in refused.output
    assert _count(app, Game) == 1
    done = runner.invoke(args=["reset-db"], input="y\n")
    assert done.exit_code == 0, done.output
    assert "The database is empty" in done.output
    assert _count(app, Game) == 0 and _count(app, Facilitator) == 0
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "already had" not in again.output


def test_reset_db_on_a_migrated_database_builds_it_again_at_the_head(tmp_path):
    env = _environment(tmp_path)
    run = [sys.executable, "-m", "flask", "--app", "app"]
    demo = subprocess.run([*run, "demo"], cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert demo.returncode == 0, demo.stderr
    reset = subprocess.run(
        [*run, "reset-db", "--yes"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert reset.returncode == 0, reset.stderr
    assert "Context impl" not in reset.stderr and "Running upgrade  -> " in reset.stderr
    again = subprocess.run(
        [*run, "demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0 and "already had" not in again.stdout
    assert "/games/1" in again.stdout


def test_the_readme_says_which_python_a_virtualenv_and_how_to_start_again():
    readme = (ROOT / "README.md").read_text()
    assert "Python 3.11" in readme
    assert "python3 -m venv .venv && . .venv/bin/activate" in readme
    assert "flask --app app reset-db" in readme
