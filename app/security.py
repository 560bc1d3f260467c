"""Response headers every page gets."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.wrappers import Response


def init_app(app: Flask) -> None:
    """Register the header hook."""
    app.after_request(_headers)


def _headers(response: Response) -> Response:
    """Keep links out of Referer headers and private pages out of caches.

    `same-origin` rather than `no-referrer`: Flask-WTF checks the Referer on HTTPS posts.
    """
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )
    if not request.path.startswith("/static/"):
        # Every non-static page is either private or personalised.
        response.headers["Cache-Control"] = "no-store"
    return response
