"""Which language a request is answered in."""

from __future__ import annotations

from flask import has_request_context, request

from app.i18n import DEFAULT_LANGUAGE, LANGUAGES


def select_locale() -> str:
    """The browser's preferred language among those the service speaks, else English (also
    outside a request, e.g. mail rendered by the periodic tick or a command)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE
