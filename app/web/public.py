"""Public pages of a game: join (when allowed) and "I lost my link", both rate-limited."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from app.extensions import limiter
from app.services import ServiceError, circle, games, links
from app.web.forms import JoinForm, LostLinkForm

bp = Blueprint("public", __name__)

LOST_LINK_SENT = (
    "If that address belongs to a running game, a fresh link is on its way. "
    "Check your inbox (and the spam folder) in a few minutes."
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


@bp.post("/g/<public_id>/join")
@limiter.limit("20 per hour")
@limiter.limit("3 per hour", key_func=_email_key)
def join(public_id: str):
    """Join the game; once names are drawn the newcomer joins the circle."""
    game = games.game_by_public_id(public_id) or abort(404)
    form = JoinForm()
    if form.validate_on_submit():
        try:
            circle.join(game, form.name.data, form.email.data)
        except ServiceError as exc:
            # Flashed, not attached to the form: a closed game shows no join form at all.
            flash(str(exc), "error")
        else:
            flash(
                "You're in! "
                + (
                    "Your invitation is on its way by email."
                    if not game.is_draft
                    else "You'll get an email when names are drawn."
                ),
                "success",
            )
            return redirect(url_for("public.game_page", public_id=public_id))
    return render_template(
        "public/game.html", game=game, join_form=form, lost_form=LostLinkForm()
    ), 400


@bp.route("/lost-link", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
@limiter.limit("3 per hour", key_func=_email_key, methods=["POST"])
def lost_link():
    """Email a fresh link; the answer is the same whether or not the address is known."""
    form = LostLinkForm()
    if form.validate_on_submit():
        links.ask_for_fresh_link(form.email.data)
        flash(LOST_LINK_SENT, "success")
        return redirect(url_for("public.lost_link"))
    return render_template("public/lost_link.html", form=form)
