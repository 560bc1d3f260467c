"""Which language a request is answered in."""

from __future__ import annotations

from flask import request

from app.i18n import DEFAULT_LANGUAGE, LANGUAGES


def select_locale() -> str:
    """The browser's preferred language among those the service speaks, else English."""
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE
