"""Public pages of a game: join (when allowed) and "I lost my link", both rate-limited."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from app import config
from app.extensions import limiter
from app.i18n import fast_gettext as _
from app.i18n import lazy_gettext as _l
from app.services import ServiceError, games, joins, links
from app.web.forms import JoinForm, LostLinkForm

bp = Blueprint("public", __name__)

# What the join form last held, so a reload of a refused join keeps it (the visitor's own words).
TYPED_KEY = "join_typed"

LOST_LINK_SENT = _l(
    "If that address belongs to a running game, a fresh link comes by email with the game's "
    "next delivery round. Look in your inbox (and the spam folder) after that round."
)


def _email_key() -> str:
    """Rate-limit key: the address asked about, so one inbox can't be flooded from many places."""
    return "addr:" + (request.form.get("email") or "").strip().lower()


@bp.route("/g/<public_id>")
def game_page(public_id: str):
    """A game's public page: join it (if the facilitator allows) or get a lost link again."""
    game = games.game_by_public_id(public_id) or abort(404)
    return render_template(
        "public/game.html", game=game, join_form=JoinForm(), lost_form=LostLinkForm()
    )


def _joined_message(drawn: bool) -> str:
    """The answer to a join: the same words whether or not the address already plays, so the
    page tells no stranger who is in the game; the email that follows is the right one."""
    if not drawn:
        return _(
            "Thanks! If this address wasn't in the game yet, it is now. Either way, your "
            "private link comes by email when names are drawn."
        )
    return _(
        "Thanks! If this address isn't in the game yet, your request is with the organiser, "
        "and your invitation comes by email once they approve it. If it is already in the "
        "game, a fresh link to your page is on its way instead. Either way, check your email "
        "(and the spam folder) in a little while."
    )


def _join_page(game, form: JoinForm, status: int = 200):
    """The public page with this join form (what was typed, and why it was refused)."""
    return render_template(
        "public/game.html", game=game, join_form=form, lost_form=LostLinkForm()
    ), status


@bp.route("/g/<public_id>/join", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
@limiter.limit("3 per hour", key_func=_email_key, methods=["POST"])
def join(public_id: str):
    """Join the game; once names are drawn the newcomer waits for the facilitator's approval.

    A GET (a reload, a language switch) shows the page again with what was last typed."""
    game = games.game_by_public_id(public_id) or abort(404)
    if request.method == "GET":
        return _join_page(game, _typed_form())
    form = JoinForm()
    session[TYPED_KEY] = {"name": form.name.data or "", "email": form.email.data or ""}
    if form.validate_on_submit():
        try:
            answer = joins.join(game, form.name.data, form.email.data)
        except ServiceError as exc:
            # Flashed, not attached to the form: a closed game shows no join form at all.
            flash(str(exc), "error")
        else:
            session.pop(TYPED_KEY, None)
            flash(_joined_message(answer.drawn), "success")
            return redirect(url_for("public.game_page", public_id=public_id))
    return _join_page(game, form, 400)


def _typed_form() -> JoinForm:
    """A join form holding what was typed in the last refused attempt, checked again so its
    reasons show too (nothing is joined by a GET)."""
    typed = session.get(TYPED_KEY)
    form = JoinForm(formdata=None, data=typed if isinstance(typed, dict) else {})
    if typed:
        for field in (form.name, form.email):
            field.validate(form)
    return form


@bp.route("/lost-link", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
@limiter.limit("3 per hour", key_func=_email_key, methods=["POST"])
def lost_link():
    """Email a fresh link; the answer is the same whether or not the address is known. Where
    links are handed out on slips nothing can be emailed: the page says to ask for the slip
    again, and nothing is asked for (a fresh link would only stop the printed one)."""
    form = LostLinkForm()
    if config.slips_mode(current_app):
        return render_template("public/lost_link.html", form=form)
    if form.validate_on_submit():
        links.ask_for_fresh_link(form.email.data)
        flash(str(LOST_LINK_SENT), "success")
        return redirect(url_for("public.lost_link"))
    return render_template("public/lost_link.html", form=form)
