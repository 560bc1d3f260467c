"""The migrations build the schema the models describe, on a fresh database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app import create_app
from app.extensions import db


def test_embedded_sqlite_migrates_itself_and_matches_the_models(tmp_path):
    app = create_app(
        {
            "SECRET_KEY": "a-long-enough-test-secret-key",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
            "AUTO_TICK": False,
        }
    )
    assert app.config["AUTO_MIGRATE"] is True
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {"game", "participant", "pairing", "kindness", "alembic_version"} <= tables
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        db.engine.dispose()


def test_migrating_twice_changes_nothing(tmp_path):
    config = {
        "SECRET_KEY": "a-long-enough-test-secret-key",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'again.sqlite3'}",
        "AUTO_TICK": False,
    }
    for _ in range(2):
        app = create_app(config)
        with app.app_context():
            assert "alembic_version" in inspect(db.engine).get_table_names()
            db.engine.dispose()
