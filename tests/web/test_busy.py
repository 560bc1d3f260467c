"""A database held by another writer: 503 "try again", nothing lost and nothing half-saved."""

from __future__ import annotations

import html
import logging
import re
import sqlite3
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text
from werkzeug.datastructures import MultiDict

from app import create_app
from app.extensions import db
from app.models import Facilitator, Game, Kindness
from app.web.errors import busy_reason, secret_field_names
from tests.helpers import (
    login,
    make_facilitator,
    make_running_game,
    open_as_participant,
    participants_of,
)

NOTE = "Good luck with the exam on Friday, there is tea waiting by the window"


@pytest.fixture
def busy_app(app_config, tmp_path):
    """An app on a SQLite file (also when the suite runs on PostgreSQL) that waits 1 s."""
    path = tmp_path / "busy.sqlite3"
    app = create_app(
        {
            **app_config,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "DATABASE_BUSY_TIMEOUT_SECONDS": 1,
        }
    )
    app.database_path = path
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@contextmanager
def held_exclusively(path):
    """Another process's writer holding the database past the busy timeout."""
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN EXCLUSIVE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def resubmit(client, page: str):
    """Press the busy page's "Try again": post its hidden fields to its form's action."""
    form = re.search(
        r'<form method="post" action="([^"]+)" id="try-again">(.*?)</form>', page, re.S
    )
    data = MultiDict((html.unescape(n), html.unescape(v)) for n, v in _HIDDEN.findall(form[2]))
    return client.post(html.unescape(form[1]), data=data)


def _kindnesses(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Kindness)).scalar_one()


def test_the_busy_timeout_is_a_setting(busy_app, app_config, tmp_path):
    with busy_app.app_context():
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 1000
    default = create_app(
        {
            **app_config,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'default.sqlite3'}",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
        }
    )
    with default.app_context():
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 15000
        db.session.remove()
        db.engine.dispose()


def test_a_note_sent_while_the_database_is_locked_is_kept_for_a_retry(busy_app, caplog):
    with busy_app.app_context():
        game = make_running_game(make_facilitator(), 5)
        angel = participants_of(game)[0]
    client = busy_app.test_client()
    assert open_as_participant(client, busy_app, angel).status_code == 302

    caplog.set_level(logging.WARNING)
    with held_exclusively(busy_app.database_path):
        answer = client.post("/me/angel/note", data={"message": NOTE, "when": "next"})
        page = answer.text
        assert answer.status_code == 503
        assert 1 <= int(answer.headers["Retry-After"]) <= 30
        assert "We're busy — please try again in a moment" in page
        assert NOTE in page
        for leak in ("Traceback", "OperationalError", "sqlite", "INSERT", "database is locked"):
            assert leak not in page
        assert 'name="csrf_token"' in page
        assert _kindnesses(busy_app) == 0  # read while still locked: readers work in WAL

    assert _kindnesses(busy_app) == 0, "a half-sent note was saved"
    warnings = [r for r in caplog.records if "Database busy" in r.getMessage()]
    assert [r.levelno for r in warnings] == [logging.WARNING]
    assert warnings[0].exc_info is None
    assert all(NOTE not in r.getMessage() for r in caplog.records)
    assert "send_note" in warnings[0].getMessage()

    again = resubmit(client, page)
    assert again.status_code == 302
    assert _kindnesses(busy_app) == 1
    with busy_app.app_context():
        assert db.session.execute(select(Kindness.message)).scalar_one() == NOTE


def test_a_game_created_while_the_database_is_locked_is_kept_for_a_retry(busy_app):
    with busy_app.app_context():
        make_facilitator()
    client = busy_app.test_client()
    login(client)
    form = {
        "name": "Winter kindness",
        "group_kind": "class",
        "group_name": "Year 9 <b>B</b>",
        "starts_on": "2026-12-07",
        "ends_on": "2027-01-04",
        "welcome": "Be kind & be sneaky",
        "delivery_times": "09:00, 15:00",
        "timezone": "Europe/London",
        "reveal_at_end": "y",
    }
    with held_exclusively(busy_app.database_path):
        answer = client.post("/games/new", data=form)
    assert answer.status_code == 503
    assert "Retry-After" in answer.headers
    assert "Year 9 &lt;b&gt;B&lt;/b&gt;" in answer.text and "<b>B</b>" not in answer.text
    assert "Be kind &amp; be sneaky" in answer.text
    with busy_app.app_context():
        assert db.session.execute(select(func.count()).select_from(Game)).scalar_one() == 0

    again = resubmit(client, answer.text)
    assert again.status_code == 302
    with busy_app.app_context():
        game = db.session.execute(select(Game)).scalar_one()
        assert (game.name, game.group_name, game.welcome, game.timezone) == (
            "Winter kindness",
            "Year 9 <b>B</b>",
            "Be kind & be sneaky",
            "Europe/London",
        )


def test_passwords_are_never_echoed_on_the_busy_page(busy_app):
    password = "a-secret-passphrase-42"
    client = busy_app.test_client()
    with held_exclusively(busy_app.database_path):
        answer = client.post(
            "/signup",
            data={
                "name": "Nell Newcomer",
                "email": "nell@example.org",
                "password": password,
                "confirm": password,
            },
        )
    assert answer.status_code == 503
    assert password not in answer.text
    assert "nell@example.org" in answer.text
    assert "passwords and uploaded files are not kept" in answer.text
    with busy_app.app_context():
        assert db.session.execute(select(func.count()).select_from(Facilitator)).scalar_one() == 0


def test_only_lock_and_conflict_errors_count_as_busy():
    """Other operational errors (a missing table, a lost server) stay a 500."""

    def failure(original):
        return SimpleNamespace(orig=original)

    assert busy_reason(failure(sqlite3.OperationalError("database is locked")))
    assert busy_reason(failure(sqlite3.OperationalError("no such table: game"))) is None
    for sqlstate in ("55P03", "40001", "40P01"):
        assert busy_reason(failure(SimpleNamespace(sqlstate=sqlstate))) is not None
    lost = SimpleNamespace(sqlstate="08006")
    assert busy_reason(failure(lost)) is None
    assert {"password", "confirm"} <= secret_field_names()
