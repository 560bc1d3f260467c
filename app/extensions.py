"""Flask extensions, created unbound and attached to an app in init_app."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base for the typed models."""


db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()
limiter = Limiter(key_func=get_remote_address)


def init_app(app: Flask) -> None:
    """Bind every extension to the app (Flask-Migrate is bound by app.database, with the
    migrations it owns; Flask-Mail by app.mail.smtp)."""
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    login_manager.login_view = "facilitator.login"
    login_manager.login_message = _l("Please log in to see that page.")
    login_manager.login_message_category = "info"
    # The message is lazy (translated when shown); the flash stores it as the plain text.
    login_manager.localize_callback = str
