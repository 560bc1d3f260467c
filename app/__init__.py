"""Angels & Mortals: a secret-kindness game for a team or a class."""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path

from flask import Flask
from flask.logging import default_handler

ROOT = Path(__file__).resolve().parent.parent
# The state enums templates compare against (app/domain/states.py).
STATE_ENUMS = (
    "GameState",
    "GroupKind",
    "EmailPreference",
    "KindnessKind",
    "KindnessState",
    "CourierState",
    "OutboxStatus",
    "ReportStatus",
)


# The colour codes werkzeug writes into its request lines whatever the output is.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class _PlainFormatter(logging.Formatter):
    """Full level names, and no colour codes unless the output is a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        return line if sys.stderr.isatty() else _ANSI.sub("", line)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the moment (a test runner swaps it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def configure_logging(app: Flask) -> None:
    """One handler, one format, one line per record: the service's own messages, werkzeug's
    requests and Alembic's migrations all go through the root logger's handler.

    Flask's own handler is taken off (it printed the app's records a second time in another
    format), and Alembic's env.py leaves logging alone when a handler is already there.
    The root logger stays at WARNING (SQLAlchemy would log every statement at INFO); the app
    Alembic and werkzeug (its request lines) say their INFO lines.
    """
    root = logging.getLogger()
    if not any(isinstance(h, _StderrHandler) for h in root.handlers):
        handler = _StderrHandler()
        handler.setFormatter(_PlainFormatter("%(asctime)s %(levelname)s [%(name)s] %(message)s"))
        root.addHandler(handler)
    app.logger.removeHandler(default_handler)
    for name in (app.logger.name, "alembic", "werkzeug"):
        if logging.getLogger(name).level == logging.NOTSET:
            logging.getLogger(name).setLevel(logging.INFO)
    # Alembic lists every plugin it loads at INFO; nobody running the service needs that.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: configuration first, then each part's init_app, then blueprints."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
    )
    from app.web.templating import PageEnvironment

    # Set before anything reads `app.jinja_env`, which builds the environment once.
    app.jinja_environment = PageEnvironment

    from app import config

    configure_logging(app)
    config.load(app, test_config)

    from app import cli, database, extensions, i18n, security
    from app.domain import states
    from app.domain.limits import LIMITS
    from app.mail import outbox, smtp
    from app.web import autotick, errors, time_filters
    from app.web.locale import select_locale

    extensions.init_app(app)
    i18n.init_app(app, select_locale)
    database.init_app(app)
    smtp.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    outbox.init_app(app)
    cli.init_app(app)
    autotick.init_app(app)
    time_filters.init_app(app)

    from app.web import dashboard, dev, facilitator, moderation, participant, public, slips
    from app.web.converters import IdConverter

    # Templates read text limits (maxlength, hints) from the one table forms and services use.
    app.jinja_env.globals["limits"] = LIMITS
    # ... and compare states with the enums the models store (`game.state == GameState.ENDED`).
    app.jinja_env.globals.update({name: getattr(states, name) for name in STATE_ENUMS})
    # Every <int:…> in a URL is a row id: a number beyond the id range is simply not found.
    app.url_map.converters["int"] = IdConverter

    app.register_blueprint(facilitator.bp)
    app.register_blueprint(participant.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(moderation.bp)
    app.register_blueprint(dev.bp)
    app.register_blueprint(slips.bp)

    database.prepare_schema(app)

    return app
