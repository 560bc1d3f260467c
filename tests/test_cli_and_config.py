"""The demo command and configuration rules."""

from __future__ import annotations

import re

import pytest

from app import config, create_app


def test_demo_prints_a_login_and_ten_working_links(app, runner):
    result = runner.invoke(args=["demo", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "facilitator@demo.example.org" in result.output
    links = re.findall(r"http://angels\.test(/p/\S+)", result.output)
    assert len(links) == 10
    client = app.test_client()
    for link in links:
        assert client.get(link).status_code == 302
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
