"""The facilitator's moderation queue, audit list, ending and deleting a game."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.domain.limits import LIMITS
from app.i18n import fast_gettext as _
from app.i18n import lazy_gettext as _l
from app.models import ModerationAction
from app.services import ServiceError, ending, moderation, questions
from app.web.forms import ConfirmNameForm, first_error
from app.web.guards import owned_game

bp = Blueprint("moderation", __name__)

_TOO_LONG = _l("This can be up to %(max)d characters; yours is %(length)d.")


def _audit_note() -> TextAreaField:
    return TextAreaField(
        _l("A note for the audit list (optional: only you see it)"),
        [Length(max=LIMITS.moderation_text, message=_TOO_LONG)],
        render_kw={"rows": 1},
    )


class DismissForm(FlaskForm):
    """Close a report without changing anything."""

    text = _audit_note()


class HideForm(FlaskForm):
    """Take the kindness out of its recipient's inbox."""

    text = _audit_note()


class WarnForm(FlaskForm):
    """Send the sender a warning, without learning who they are."""

    text = TextAreaField(
        _l("The warning the sender will read"),
        [
            DataRequired(_l("Write the warning the sender will receive.")),
            Length(max=LIMITS.moderation_text, message=_TOO_LONG),
        ],
        render_kw={"rows": 3},
    )


class MuteForm(FlaskForm):
    """Stop the sender sending kindnesses, without learning who they are."""

    text = TextAreaField(
        _l("Why (optional: the sender reads it)"),
        [Length(max=LIMITS.moderation_text, message=_TOO_LONG)],
        render_kw={"rows": 2},
    )


class RevealForm(FlaskForm):
    """Show the organiser who sent the kindness: a recorded step the sender is told of (the
    service asks for a reason of at least a sentence)."""

    text = TextAreaField(
        _l("Your reason (at least a sentence: the sender reads it)"),
        [Length(max=LIMITS.moderation_text, message=_TOO_LONG)],
        render_kw={"rows": 2},
    )


FORMS = {
    ModerationAction.DISMISS: DismissForm,
    ModerationAction.HIDE: HideForm,
    ModerationAction.WARN: WarnForm,
    ModerationAction.MUTE: MuteForm,
    ModerationAction.REVEAL: RevealForm,
}


def action_form(report_id: int, action: str, submitted: bool = False) -> FlaskForm:
    """The form of one action on one report; its fields are named after both, so each box on
    the page is its own and a refused one comes back with what was typed."""
    return FORMS[ModerationAction(action)](
        prefix=f"r{report_id}-{action}", formdata=None if not submitted else request.form
    )


@bp.route("/games/<int:game_id>/moderation")
@login_required
def queue(game_id: int):
    """Reports (text, reason, who reported, when — never the sender) and the audit list."""
    return _queue_page(owned_game(game_id))


def _queue_page(game, refused: FlaskForm | None = None, refused_at: tuple = (), status=200):
    """The queue, each report with one form per action; a refused form (for `refused_at`, a
    (report id, action) pair) is shown again with what was typed and why it was refused."""
    reports = moderation.reports_of(game)
    forms = {
        r.report.id: {a: action_form(r.report.id, a) for a in moderation.ACTIONS} for r in reports
    }
    if refused is not None:
        forms[refused_at[0]][refused_at[1]] = refused
    return render_template(
        "facilitator/moderation.html",
        game=game,
        reports=reports,
        forms=forms,
        refused_at=refused_at,
        audit=moderation.audit_of(game),
        audit_reason=moderation.audit_reason,
        without_kindnesses=moderation.without_kindnesses(game),
        reported_answers=questions.reported_answers(game),
        new_angels_form=FlaskForm(),
    ), status


@bp.route("/games/<int:game_id>/reports/<int:report_id>/<action>", methods=["GET", "POST"])
@login_required
def act(game_id: int, report_id: int, action: str):
    """Dismiss, hide, warn, mute — or, deliberately and recorded, reveal the sender. Opened
    by address (a reload, a bookmark), it leads to that report on the queue."""
    game = owned_game(game_id)
    if action not in moderation.ACTIONS:
        abort(404)
    back = redirect(url_for("moderation.queue", game_id=game.id) + f"#report-{report_id}")
    if request.method == "GET":
        return back
    form = action_form(report_id, action, submitted=True)
    try:
        if not form.validate_on_submit():
            raise ServiceError(first_error(form))
        text = form.text.data if "text" in form else ""
        flash(moderation.act(game, report_id, action, text, current_user.email), "success")
    except LookupError:
        abort(404)
    except ServiceError as exc:
        _refuse(form, str(exc))
        return _queue_page(game, form, (report_id, action), 400)
    return back


def _refuse(form: FlaskForm, reason: str) -> None:
    """Say why an action was refused: under its box when it has one, else at the top."""
    if "text" not in form:
        flash(reason, "error")
    elif reason not in form.text.errors:
        form.text.errors = [*form.text.errors, reason]


@bp.post("/games/<int:game_id>/moderation/new-angels")
@login_required
def new_angels(game_id: int):
    """Give everyone whose angel is muted a new angel; the answer is only a count."""
    game = owned_game(game_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        count = moderation.give_new_angels(game)
    except ServiceError as exc:
        flash(str(exc), "error")
    else:
        flash(
            ngettext(
                "%(num)d person gets a new angel. "
                "Their new angels are told in the next delivery round.",
                "%(num)d people get a new angel. "
                "Their new angels are told in the next delivery round.",
                count,
            ),
            "success",
        )
    return redirect(url_for("moderation.queue", game_id=game.id))


def _confirmed(game, template: str):
    """A confirmation page where the facilitator types the game's name; True once they have."""
    form = ConfirmNameForm()
    if form.validate_on_submit():
        if form.name.data == game.name:
            return True, None
        form.name.errors.append(_("That is not the game's name."))
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
        flash(_("The game has ended. Everyone has been told."), "success")
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
    flash(_("The game and all its personal data are deleted."), "success")
    return redirect(url_for("facilitator.game_list"))
