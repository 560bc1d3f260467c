"""The facilitator's moderation queue, audit list, ending and deleting a game."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.services import ServiceError, ending, moderation
from app.web.forms import ConfirmNameForm, ModerationForm, max_length
from app.web.guards import owned_game

bp = Blueprint("moderation", __name__)


@bp.route("/games/<int:game_id>/moderation")
@login_required
def queue(game_id: int):
    """Reports (text, reason, when — never the sender) and the audit list."""
    return _queue_page(owned_game(game_id))


def _queue_page(game, kept: dict | None = None, status: int = 200):
    """The queue; `kept` holds a refused action's text and why, shown beside its report."""
    return render_template(
        "facilitator/moderation.html",
        game=game,
        reports=moderation.reports_of(game),
        audit=moderation.audit_of(game),
        form=ModerationForm(),
        kept=kept or {},
    ), status


@bp.post("/games/<int:game_id>/reports/<int:report_id>/<action>")
@login_required
def act(game_id: int, report_id: int, action: str):
    """Dismiss, hide, warn, mute — or, deliberately and recorded, reveal the sender."""
    game = owned_game(game_id)
    form = ModerationForm()
    if action not in moderation.ACTIONS:
        abort(404)
    text = form.text.data or ""
    if not form.validate_on_submit():
        limit = max_length(form.text)
        error = f"This can be up to {limit} characters; yours is {len(text)}. Shorten it a little."
        return _queue_page(game, {"report_id": report_id, "text": text, "error": error}, 400)
    try:
        message = moderation.act(game, report_id, action, text, current_user.email)
    except LookupError:
        abort(404)
    except ServiceError as exc:
        return _queue_page(game, {"report_id": report_id, "text": text, "error": str(exc)}, 400)
    flash(message, "success")
    return redirect(url_for("moderation.queue", game_id=game.id) + f"#report-{report_id}")


def _confirmed(game, template: str):
    """A confirmation page where the facilitator types the game's name; True once they have."""
    form = ConfirmNameForm()
    if form.validate_on_submit():
        if form.name.data == game.name:
            return True, None
        form.name.errors.append("That is not the game's name.")
    return False, render_template(template, game=game, form=form, min_count=ending.secret_crowd())


@bp.route("/games/<int:game_id>/end", methods=["GET", "POST"])
@login_required
def end(game_id: int):
    """End the game after a confirmation that names what will happen."""
    game = owned_game(game_id)
    confirmed, page = _confirmed(game, "facilitator/end.html")
    if not confirmed:
        return page
    try:
        ending.end_game(game)
        flash("The game has ended. Everyone has been told.", "success")
    except ServiceError as exc:
        flash(str(exc), "error")
    return redirect(url_for("facilitator.game", game_id=game.id))


@bp.route("/games/<int:game_id>/delete", methods=["GET", "POST"])
@login_required
def delete(game_id: int):
    """Delete a draft or ended game with all its personal data."""
    game = owned_game(game_id)
    confirmed, page = _confirmed(game, "facilitator/delete.html")
    if not confirmed:
        return page
    try:
        ending.delete_game(game)
    except ServiceError as exc:
        flash(str(exc), "error")
        return redirect(url_for("facilitator.game", game_id=game_id))
    flash("The game and all its personal data are deleted.", "success")
    return redirect(url_for("facilitator.game_list"))
