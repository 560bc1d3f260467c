"""Flask extensions, created unbound and attached to an app in init_app."""

from __future__ import annotations

import smtplib
from pathlib import Path

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Connection, Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Base(DeclarativeBase):
    """Declarative base for the typed models."""


class TimeoutConnection(Connection):
    """A Flask-Mail connection with a socket timeout.

    Flask-Mail opens smtplib connections with no timeout, so a server that accepts and never
    answers would hang the request or the worker forever.
    """

    timeout: float = 10.0

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        """Open the SMTP connection like Flask-Mail does, but with a timeout."""
        state = self.mail
        if state.use_ssl:
            host = smtplib.SMTP_SSL(state.server, state.port, timeout=self.timeout)
        else:
            host = smtplib.SMTP(state.server, state.port, timeout=self.timeout)
        host.set_debuglevel(int(state.debug))
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host


class TimeoutMail(Mail):
    """Flask-Mail whose connections time out (see TimeoutConnection)."""

    def connect(self, timeout: float | None = None) -> TimeoutConnection:
        """Open a connection that gives up after `timeout` seconds (MAIL_TIMEOUT by default)."""
        connection = TimeoutConnection(current_app.extensions["mail"])
        connection.timeout = timeout or current_app.config["MAIL_TIMEOUT"]
        return connection


db = SQLAlchemy(model_class=Base)
mail = TimeoutMail()
csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()
limiter = Limiter(key_func=get_remote_address)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:  # noqa: ARG001
    """WAL lets readers work during a write; busy_timeout waits instead of 'database is locked'."""
    module = type(dbapi_connection).__module__
    if "sqlite" not in module:
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app: Flask) -> None:
    """Bind every extension to the app."""
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    mail.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    login_manager.login_view = "facilitator.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"


def prepare_schema(app: Flask) -> None:
    """Bring the database schema up to date where that is safe to do on start.

    The embedded SQLite default migrates itself, so `flask run` needs no extra command. Tests
    on a throwaway database create the tables directly. Anything else (PostgreSQL in
    production) is migrated by the operator with `flask --app app db upgrade`.
    """
    if app.config.get("AUTO_MIGRATE"):
        from flask_migrate import upgrade

        with app.app_context():
            upgrade(directory=str(MIGRATIONS))
    elif app.testing and app.config.get("CREATE_TABLES", True):
        with app.app_context():
            db.create_all()
