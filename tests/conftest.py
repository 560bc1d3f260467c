"""Shared fixtures: a fresh file database per test, a client, a CLI runner and builders."""

from __future__ import annotations

import pytest
from hypothesis import settings

from app.extensions import db
from tests.helpers import app_settings, build_app, under_ci

# On a developer's machine property tests explore new examples on every run (and replay the
# ones that failed before, from .hypothesis/). Under CI they run a fixed set, so a build is
# repeatable: what fails there fails again on a re-run, and print_blob says how to replay it.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if under_ci():
    settings.load_profile("ci")


@pytest.fixture
def app_config(tmp_path):
    """The test configuration; tests may change it before the `app` fixture is built."""
    return app_settings(tmp_path)


@pytest.fixture
def app(app_config):
    """A fresh application with its own database."""
    app = build_app(app_config)
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
