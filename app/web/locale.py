"""Which language a request is answered in."""

from __future__ import annotations

from functools import lru_cache

from flask import request
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from app.i18n import DEFAULT_LANGUAGE, LANGUAGES


def select_locale() -> str:
    """The browser's preferred language among those the service speaks, else English."""
    return _best_language(request.headers.get("Accept-Language", ""))


@lru_cache(maxsize=256)
def _best_language(header: str) -> str:
    """The language for one Accept-Language header: browsers send a handful of distinct
    values, so each is parsed once per process rather than on every request."""
    offered = parse_accept_header(header, LanguageAccept)
    return offered.best_match(LANGUAGES) or DEFAULT_LANGUAGE
