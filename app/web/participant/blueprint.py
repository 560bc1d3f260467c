"""The participant's blueprint, and the small replies its pages share."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, flash, make_response, redirect, request, session, url_for

from app.extensions import csrf
from app.services import ServiceError
from app.web.guards import SESSION_KEY

bp = Blueprint("participant", __name__)


def token_in_address(view):
    """For pages whose address holds a token: no Referer at all leaves them (not even to us).

    Their POSTs are exempt from Flask-WTF's global check, whose HTTPS Referer test would refuse
    a form on a no-referrer page; each such view checks the CSRF token through its form.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return csrf.exempt(wrapper)


def done(message: str, endpoint: str):
    """Say it worked and go back to the page (post/redirect/get); `message` is already in the
    reader's language (a lazy one is made plain text for the session)."""
    flash(str(message), "success")
    return redirect(url_for(endpoint))


def refused(exc: ServiceError, endpoint: str):
    """Say why a service refused, on the page the participant came from."""
    flash(str(exc), "error")
    return redirect(url_for(endpoint))


def cursors() -> tuple[str | None, str | None]:
    """The page of a list asked for: `?before=<cursor>` (older) or `?after=<cursor>` (newer)."""
    return request.args.get("before"), request.args.get("after")


def participant_key() -> str:
    """Rate-limit key: the participant in the session (their link), else the client address."""
    data = session.get(SESSION_KEY) or {}
    return "participant:" + str(data.get("id") or request.remote_addr)
