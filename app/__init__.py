"""Angels & Mortals: a secret-kindness game for a team or a class."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

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


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: configuration first, then each part's init_app, then blueprints."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
    )

    from app import config

    config.load(app, test_config)

    from app import cli, database, extensions, security
    from app.domain import states
    from app.domain.limits import LIMITS
    from app.mail import outbox, smtp
    from app.web import autotick, errors, time_filters

    extensions.init_app(app)
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
