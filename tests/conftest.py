"""Shared fixtures: a fresh file database per test, a client, a CLI runner and builders."""

from __future__ import annotations

import flask_sqlalchemy.extension
import pytest
from hypothesis import settings
from sqlalchemy import event

from app.extensions import db
from app.web import autotick
from tests.helpers import (
    PASSWORD,
    app_settings,
    build_app,
    login,
    open_as_participant,
    under_ci,
)

# On a developer's machine property tests explore new examples on every run (and replay the
# ones that failed before, from .hypothesis/). Under CI they run a fixed set, so a build is
# repeatable: what fails there fails again on a re-run, and print_blob says how to replay it.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if under_ci():
    settings.load_profile("ci")


_ENGINES: list = []
# PostgreSQL connections the test's engines opened: closed at the test's end even when some
# code still held one then (a pool only closes the connections checked in to it).
_OPENED: list = []
_make_engine = flask_sqlalchemy.extension.SQLAlchemy._make_engine


def _recorded_engine(self, bind_key, options, app):
    """Flask-SQLAlchemy's engine factory, noting each engine so the test can close it."""
    engine = _make_engine(self, bind_key, options, app)
    _ENGINES.append(engine)
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", lambda dbapi, _record: _OPENED.append(dbapi))
    return engine


flask_sqlalchemy.extension.SQLAlchemy._make_engine = _recorded_engine


@pytest.fixture(autouse=True)
def _close_engines():
    """Every engine a test's apps made (through a fixture or `create_app` itself) closes its
    pooled connections when the test ends, so none outlives its test. Periodic work a page
    load started in the background finishes first: closing a connection under a thread that
    is using it can crash the process."""
    yield
    assert autotick.settle(), "periodic work started by a page load is still running"
    autotick.forget()
    while _ENGINES:
        _ENGINES.pop().dispose()
    while _OPENED:
        _OPENED.pop().close()


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
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner."""
    return app.test_cli_runner()


class AuthActions:
    """The facilitator's account pages, driven through the real forms (as in Flask's tutorial)."""

    def __init__(self, client) -> None:
        self._client = client

    def signup(
        self, name: str = "Fran Facilitator", email: str = "fran@example.org", password=PASSWORD
    ):
        """Sign up through the form; the new facilitator is logged in."""
        return self._client.post(
            "/signup",
            data={"name": name, "email": email, "password": password, "confirm": password},
        )

    def login(self, email: str = "fran@example.org", password: str = PASSWORD):
        """Log in through the form."""
        return login(self._client, email, password)

    def logout(self):
        """Log out (a POST, as the page's button does)."""
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    """Sign up, log in and log out with the `client`."""
    return AuthActions(client)


@pytest.fixture
def player(app, client):
    """Open a participant's private link in the `client`, as a person does: `player(p)`
    returns the redirect to /me."""

    def open_page(participant):
        return open_as_participant(client, app, participant)

    return open_page
