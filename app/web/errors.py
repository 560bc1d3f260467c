"""Friendly error pages: a person never sees a stack trace."""

from __future__ import annotations

import traceback

from flask import Flask, current_app, g, render_template, request, session
from flask_babel import refresh
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException
from wtforms import PasswordField

from app.extensions import db
from app.i18n import fast_gettext as _
from app.i18n import lazy_gettext as _l
from app.services import pages
from app.web import forms
from app.web.guards import SESSION_KEY

# Seconds a busy page asks browsers and clients to wait before trying again.
BUSY_RETRY_AFTER_SECONDS = 5

# SQLSTATEs of PostgreSQL errors that mean "someone else holds what this needed; try again".
_BUSY_SQLSTATES = {
    "55P03": "lock timeout",  # lock_not_available: lock_timeout, NOWAIT
    "40001": "serialization failure",
    "40P01": "deadlock",
}
# SQLite's primary result codes for the same: SQLITE_BUSY and SQLITE_LOCKED.
_BUSY_SQLITE_CODES = {5: "database is locked", 6: "database table is locked"}
_BUSY_WORDS = ("database is locked", "database table is locked", "could not obtain lock")

MESSAGES = {
    400: (_l("Something was wrong with that request"), _l("Please go back and try again.")),
    403: (_l("Not allowed"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("This page does not exist, or it is not yours to see.")),
    405: (_l("Not allowed"), _l("That action cannot be done this way.")),
    413: (_l("Too large"), _l("That upload is too large. Split it into smaller files.")),
    429: (_l("Slow down"), _l("Too many requests. Please wait a minute and try again.")),
}


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_error)
    app.register_error_handler(Exception, _unexpected)


def _as_participant() -> None:
    """On a participant's page refused before its view ran (an expired form, too many
    requests), answer in that participant's language: the session guard never loaded them, so
    the page would otherwise follow the browser."""
    if request.blueprint != "participant" or g.get("me") is not None:
        return
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return
    visit = pages.visit_for_session(data.get("id"), data.get("s"))
    if visit is not None:
        g.reader = visit.me
        refresh()  # the language may already have been chosen for this request


def _csrf_error(error: CSRFError):
    _as_participant()
    return render_template(
        "errors/error.html",
        code=400,
        title=_("This form has expired"),
        text=_("For your safety forms expire. Go back, reload the page and submit again."),
    ), 400


def _http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    if error.code == 429:
        _as_participant()
    title, text = MESSAGES.get(error.code, (error.name, _("Please go back and try again.")))
    return render_template("errors/error.html", code=error.code, title=title, text=text), error.code


def busy_reason(error: OperationalError) -> str | None:
    """Why the database turned this statement away, when waiting and retrying would help.

    None for every other operational error (a missing table, a lost server, a full disk),
    which stays a 500.
    """
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate in _BUSY_SQLSTATES:
        return _BUSY_SQLSTATES[sqlstate]
    code = getattr(original, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in _BUSY_SQLITE_CODES:
        return _BUSY_SQLITE_CODES[code & 0xFF]
    message = str(original).lower()
    return next((words for words in _BUSY_WORDS if words in message), None)


def secret_field_names() -> frozenset[str]:
    """Names of the form fields that hold passwords, read from the forms themselves."""
    names = set()
    for form in vars(forms).values():
        if isinstance(form, type) and issubclass(form, FlaskForm):
            for name in dir(form):
                unbound = getattr(form, name, None)
                if getattr(unbound, "field_class", None) is not None and issubclass(
                    unbound.field_class, PasswordField
                ):
                    names.add(name)
    return frozenset(names)


def _database_error(error: OperationalError):
    """A busy database is a 503 "try again", keeping what the person typed; else a 500."""
    reason = busy_reason(error)
    if reason is None:
        return _unexpected(error)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the page must still be answered
        current_app.logger.warning("Rolling back after a busy database failed too")
    # The endpoint, never the path: private links carry their token in the path. Neither the
    # statement nor its values are logged (hide_parameters keeps them out of the error too).
    current_app.logger.warning(
        "Database busy (%s) during %s %s; answered 503",
        reason,
        request.method,
        request.endpoint or "an unknown page",
    )
    kept, dropped = [], False
    if request.method == "POST":
        secret = secret_field_names()
        for name, value in request.form.items(multi=True):
            if name == "csrf_token":
                continue  # the page puts in a fresh one
            if name in secret or "password" in name.lower():
                dropped = True
            else:
                kept.append((name, value))
        dropped = dropped or bool(request.files)
    page = render_template(
        "errors/busy.html",
        fields=kept,
        dropped=dropped,
        retry_after=BUSY_RETRY_AFTER_SECONDS,
    )
    return page, 503, {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)}


def _unexpected(error: Exception):
    db.session.rollback()
    if isinstance(error, DBAPIError):
        # The database's own message can quote the row it refused (PostgreSQL's "DETAIL: Key
        # (game_id, email_key)=(1, sam@example.org) already exists"): log where it happened and
        # the kind of error, with the stack but never the message.
        current_app.logger.error(
            "Database error %s (SQLSTATE %s) during %s %s\n%s",
            type(error.orig).__name__,
            getattr(error.orig, "sqlstate", None) or "-",
            request.method,
            request.endpoint or "an unknown page",
            "".join(traceback.format_tb(error.__traceback__)),
        )
    else:
        current_app.logger.exception("Unhandled error")
    return render_template(
        "errors/error.html",
        code=500,
        title=_("Something went wrong on our side"),
        text=_("Nothing you did caused this. Please try again in a moment."),
    ), 500
