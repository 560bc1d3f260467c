"""The private link: swapped for a session of this browser, and ended again."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, session, url_for

from app.i18n import fast_gettext as _
from app.services import ServiceError, links, pages
from app.services import preferences as preferences_service
from app.tokens import PREFERENCES_LINK_SALT, BadLink
from app.web.forms import ActionForm
from app.web.guards import SESSION_KEY, bad_link, participant_required
from app.web.participant.blueprint import bp, token_in_address
from app.web.participant.settings import preferences_form


def game_deleted():
    """The page for a link we issued whose game its organiser has since deleted."""
    return render_template("participant/game_deleted.html"), 410


@bp.route("/p/<token>", methods=["GET", "POST"])
@token_in_address
def open_link(token: str):
    """GET: an "Open my page" button, and nothing else happens (mail scanners prefetch links).

    POST: swap the link for a session of this browser, and drop the token from the address bar.
    """
    form = ActionForm()
    try:
        if not form.validate_on_submit():
            # The page is in the language of the person the link is for.
            g.reader = links.check_link(token)
            status = 400 if form.is_submitted() else 200
            return render_template("participant/open.html", form=form), status
        key = links.open_session(token, request.user_agent.string)
    except BadLink:
        return game_deleted() if links.from_deleted_game(token) else bad_link()
    old = session.get(SESSION_KEY)
    if isinstance(old, dict):
        links.end_session(old.get("s"))  # someone else's page was open in this browser
    session[SESSION_KEY] = {"id": key.public_id, "s": key.secret}
    session.permanent = True
    return redirect(url_for("participant.me"))


@bp.route("/prefs/<token>", methods=["GET", "POST"])
@token_in_address
def open_preferences(token: str):
    """The one-click link in every email: email preferences only, from the token itself.

    It opens no session and leads nowhere else, so a forwarded email shows no mortal.
    """
    try:
        person = links.check_link(token, PREFERENCES_LINK_SALT)
    except BadLink:
        if links.from_deleted_game(token, PREFERENCES_LINK_SALT):
            return game_deleted()
        return bad_link()
    g.reader = person  # the page is in their language
    form = preferences_form(person)
    if form.validate_on_submit():
        try:
            preferences_service.set_preferences(
                person, form.email_preference.data, form.reminders.data
            )
        except ServiceError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("participant.open_preferences", token=token))
    status = 400 if form.is_submitted() else 200
    return render_template("participant/preferences_link.html", person=person, form=form), status


@bp.post("/me/logout")
def logout():
    """End this browser's session, on the server too: a copy of the cookie opens nothing.

    Other browsers stay signed in (a phone is not signed out by logging out of a shared
    computer); "sign out everywhere" ends them all.
    """
    if ActionForm().validate_on_submit():
        data = session.pop(SESSION_KEY, None)
        data = data if isinstance(data, dict) else {}
        visit = pages.visit_for_session(data.get("id"), data.get("s"))
        if visit is not None:
            g.reader = visit.me  # "You are logged out" in the language they chose
        links.end_session(data.get("s"))
    return render_template("participant/logged_out.html")


@bp.post("/me/sign-out-everywhere")
@participant_required
def sign_out_everywhere():
    """End every session, revoke every link, and email a fresh link to get back in."""
    if not ActionForm().validate_on_submit():
        abort(400)
    links.sign_out_everywhere(g.me)
    session.pop(SESSION_KEY, None)
    return render_template("participant/signed_out_everywhere.html")
