"""Shared fixtures: a fresh file database per test, a client, a CLI runner and builders."""

from __future__ import annotations

import pytest
from hypothesis import settings

from app import create_app
from app.extensions import db
from tests.helpers import database_uri, engine_options, reset_database, under_ci

# On a developer's machine property tests explore new examples on every run (and replay the
# ones that failed before, from .hypothesis/). Under CI they run a fixed set, so a build is
# repeatable: what fails there fails again on a re-run, and print_blob says how to replay it.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if under_ci():
    settings.load_profile("ci")


@pytest.fixture
def app_config(tmp_path):
    """The test configuration; tests may change it before the `app` fixture is built."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        # A real file so WAL, busy timeouts and concurrent connections behave as in use;
        # TEST_DATABASE_URL runs the same tests on PostgreSQL instead.
        "SQLALCHEMY_DATABASE_URI": database_uri(tmp_path),
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(),
        "WTF_CSRF_ENABLED": False,
        "PUBLIC_BASE_URL": "http://angels.test",
        "MAIL_DEFAULT_SENDER": "Angels & Mortals <angels@angels.test>",
        # Tests run periodic work themselves, at the moments they choose.
        "AUTO_TICK": False,
    }


@pytest.fixture
def app(app_config):
    """A fresh application with its own database."""
    app = create_app(app_config)
    reset_database(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner."""
    return app.test_cli_runner()
