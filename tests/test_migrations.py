"""The migrations build the schema the models describe, on a fresh database."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from app import create_app, tally
from app.database import MIGRATIONS
from app.extensions import db
from tests.helpers import TEST_DATABASE_URL


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
        db.session.remove()
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
            db.session.remove()
            db.engine.dispose()


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="set TEST_DATABASE_URL to a PostgreSQL database")
def test_postgresql_migrates_to_the_models_with_every_tally_trigger():
    """Production runs `flask db upgrade` on PostgreSQL: the migrations, trigger functions
    included, must build exactly what the models describe there too."""
    app = create_app(
        {
            "TESTING": True,
            "CREATE_TABLES": False,
            "SECRET_KEY": "a-long-enough-test-secret-key",
            "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL,
            "AUTO_TICK": False,
        }
    )

    def empty() -> None:
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))

    with app.app_context():
        empty()
        try:
            upgrade(directory=str(MIGRATIONS))
            with db.engine.connect() as connection:
                diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
                triggers = set(
                    connection.execute(
                        text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
                    ).scalars()
                )
            assert diff == [], f"models and migrations disagree: {diff}"
            assert {t.name for t in tally.TRIGGERS} <= triggers
        finally:
            empty()
            db.create_all()
            db.session.remove()
            db.engine.dispose()
