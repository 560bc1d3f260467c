"""The participant's side: the private link, swapped for a session, and their page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, session, url_for

from app.services import participants
from app.tokens import BadLink
from app.web.forms import ActionForm

bp = Blueprint("participant", __name__)

SESSION_KEY = "participant"


@bp.route("/p/<token>")
def open_link(token: str):
    """Swap the private link for a session cookie and drop the token from the address bar."""
    try:
        claim = participants.open_link(token)
    except BadLink:
        return render_template("participant/bad_link.html"), 404
    session[SESSION_KEY] = {"id": claim.public_id, "v": claim.version}
    session.permanent = True
    return redirect(url_for("participant.me"))


def _current():
    data = session.get(SESSION_KEY) or {}
    return participants.from_session(data.get("id"), data.get("v"))


@bp.route("/me")
def me():
    """The participant's own page."""
    participant = _current()
    if participant is None:
        session.pop(SESSION_KEY, None)
        return render_template("participant/bad_link.html"), 404
    return render_template(
        "participant/me.html", page=participants.page_for(participant), action=ActionForm()
    )


@bp.post("/me/logout")
def logout():
    """End the participant session on a shared computer."""
    if ActionForm().validate_on_submit():
        session.pop(SESSION_KEY, None)
    return render_template("participant/logged_out.html")
