"""The demo command and configuration rules."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

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
