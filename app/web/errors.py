"""Friendly error pages: a person never sees a stack trace."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.extensions import db

MESSAGES = {
    400: ("Something was wrong with that request", "Please go back and try again."),
    403: ("Not allowed", "You do not have access to this page."),
    404: ("Page not found", "This page does not exist, or it is not yours to see."),
    405: ("Not allowed", "That action cannot be done this way."),
    413: ("Too large", "That upload is too large. Split it into smaller files."),
    429: ("Slow down", "Too many requests. Please wait a minute and try again."),
}


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _csrf_error(error: CSRFError):
    return render_template(
        "errors/error.html",
        code=400,
        title="This form has expired",
        text="For your safety forms expire. Go back, reload the page and submit again.",
    ), 400


def _http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    title, text = MESSAGES.get(error.code, (error.name, "Please go back and try again."))
    return render_template("errors/error.html", code=error.code, title=title, text=text), error.code


def _unexpected(error: Exception):
    db.session.rollback()
    from flask import current_app

    current_app.logger.exception("Unhandled error")
    return render_template(
        "errors/error.html",
        code=500,
        title="Something went wrong on our side",
        text="Nothing you did caused this. Please try again in a moment.",
    ), 500
