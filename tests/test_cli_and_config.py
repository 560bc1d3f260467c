"""The demo command and configuration rules."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from flask import Flask

from app import config, create_app
from tests.helpers import follow_link


def test_demo_prints_a_login_and_ten_working_links(app, runner):
    result = runner.invoke(args=["demo", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "facilitator@demo.example.org" in result.output
    links = re.findall(r"http://angels\.test(/p/\S+)", result.output)
    assert len(links) == 10
    client = app.test_client()
    for link in links:
        assert follow_link(client, link).status_code == 302
        assert "You are the angel of" in client.get("/me").text
    login = app.test_client().post(
        "/login", data={"email": "facilitator@demo.example.org", "password": "kindness-demo"}
    )
    assert login.status_code == 302


def test_demo_twice_makes_a_second_game_for_the_same_facilitator(runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and "/games/2" in second.output


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("ANGELS_ENV", "production")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"})


def test_secret_key_is_generated_once_in_the_instance_folder(tmp_path):
    path = tmp_path / "secret_key"
    first = config._instance_secret(path)
    assert len(first) == 64 and config._instance_secret(path) == first


def test_database_url_spellings():
    assert config.normalise_database_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert config.normalise_database_url("postgresql://h/db") == "postgresql+psycopg://h/db"
    assert config.normalise_database_url("sqlite:///x") == "sqlite:///x"


def test_sqlite_runs_in_wal_with_foreign_keys(app_config, tmp_path):
    """SQLite specifically (also when the suite runs on PostgreSQL)."""
    from sqlalchemy import text

    from app.extensions import db

    app = create_app(
        {
            **app_config,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'w.db'}",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
        }
    )
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def _secret_from_another_process(path: str, start, results) -> None:
    """One process's start-up: wait for the others, then read (or make) the instance key."""
    start.wait()
    results.put(config._instance_secret(Path(path)))


def test_processes_starting_together_share_one_complete_secret_key(tmp_path):
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    path = tmp_path / "secret_key"
    start, results = context.Barrier(6), context.Queue()
    workers = [
        context.Process(target=_secret_from_another_process, args=(str(path), start, results))
        for _ in range(6)
    ]
    for worker in workers:
        worker.start()
    keys = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert len(set(keys)) == 1 and len(keys[0]) == 64
    assert path.read_text() == keys[0]
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"], "no temporary file is left"


def test_the_key_file_appears_only_once_completely_written(tmp_path, monkeypatch):
    path = tmp_path / "secret_key"
    seen_while_writing = []
    real_fsync = os.fsync

    def fsync(fd):
        # The moment a second process could read a half-written file, with the old code.
        seen_while_writing.append(path.exists())
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    key = config._instance_secret(path)
    assert seen_while_writing == [False]
    assert path.read_text() == key and len(key) == 64
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_an_empty_key_file_is_refused_never_used(tmp_path):
    path = tmp_path / "secret_key"
    path.write_text("  \n")
    with pytest.raises(RuntimeError, match="empty"):
        config._instance_secret(path)
    assert path.read_text() == "  \n", "the file is left for the operator to look at"


def test_every_setting_has_its_default_from_the_one_table(tmp_path):
    given = {"TESTING": True, "SECRET_KEY": "a-long-enough-test-secret-key", "CREATE_TABLES": False}
    app = create_app(given | {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.sqlite3'}"})
    for name, setting in config.SETTINGS.items():
        # The engine options gain what config.load derives (busy timeout, hidden parameters).
        if name not in given and name != "SQLALCHEMY_ENGINE_OPTIONS":
            assert app.config[name] == setting.default, name
    assert app.config["DASHBOARD_MIN_COUNT"] == 3
    assert config.DEFAULTS["NOTE_MAX_LENGTH"] == config.LIMITS.note


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("MAIL_USE_TLS", "yes", True),
        ("MAIL_USE_TLS", "On", True),
        ("MAIL_USE_TLS", "0", False),
        ("MAIL_USE_TLS", "", False),
        ("RATELIMIT_ENABLED", "false", False),
        ("MAIL_PORT", "587", 587),
        ("COURIER_ACCEPT_HOURS", "1.5", 1.5),
        ("NOTE_MAX_LENGTH", "280", 280),
        ("PASSWORD_HASH_METHOD", "pbkdf2:sha256", "pbkdf2:sha256"),
        ("MAIL_SERVER", "1", "1"),
        ("PUBLIC_BASE_URL", "https://angels.example.org", "https://angels.example.org"),
    ],
)
def test_the_environment_is_read_by_name_and_type(monkeypatch, name, value, expected):
    monkeypatch.setenv(name, value)
    flask_app = Flask(__name__)
    config._from_environment(flask_app)
    assert flask_app.config[name] == expected
    assert type(flask_app.config[name]) is type(expected)


@pytest.mark.parametrize("name", ["MAIL_SERVER", "MAIL_PORT", "SECRET_KEY", "NOTE_MAX_LENGTH"])
def test_an_empty_variable_leaves_the_setting_alone(monkeypatch, name):
    monkeypatch.setenv(name, "")
    flask_app = Flask(__name__)
    flask_app.config[name] = "before"
    config._from_environment(flask_app)
    assert flask_app.config[name] == "before"


def test_database_url_is_read_and_normalised(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@h/db")
    flask_app = Flask(__name__)
    config._from_environment(flask_app)
    assert flask_app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@h/db"
