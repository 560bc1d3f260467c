"""Questions to "my angel": the mortal asks and reports an answer from the Inbox, the angel
answers on the Give page. Each reply is the same whoever the angel is."""

from __future__ import annotations

from flask import flash, g, redirect, url_for
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.domain.limits import LIMITS
from app.extensions import limiter
from app.i18n import fast_gettext as _
from app.i18n import lazy_gettext as _l
from app.services import ServiceError, questions
from app.web.forms import ReportForm, first_error
from app.web.guards import participant_required
from app.web.participant.blueprint import bp, done, participant_key, refused


def _text_checks(limit: int, empty: str, too_long: str) -> list:
    """Required (`empty` says so), and at most `limit` characters (`too_long` says how many it
    has: `%(max)d` and `%(length)d`)."""
    return [DataRequired(empty), Length(max=limit, message=too_long)]


class QuestionForm(FlaskForm):
    """A question to "my angel"."""

    text = TextAreaField(
        _l("Your question"),
        _text_checks(
            LIMITS.question,
            _l("Write your question first (up to %(max)d characters).", max=LIMITS.question),
            _l("Your question can be up to %(max)d characters; it has %(length)d."),
        ),
    )


class AnswerForm(FlaskForm):
    """An angel's answer to their mortal's question."""

    text = TextAreaField(
        _l("Your answer"),
        _text_checks(
            LIMITS.answer,
            _l("Write your answer first (up to %(max)d characters).", max=LIMITS.answer),
            _l("Your answer can be up to %(max)d characters; it has %(length)d."),
        ),
    )


def _refused_form(form, endpoint: str):
    """Say why a form was refused, on the page it came from."""
    flash(first_error(form), "error")
    return redirect(url_for(endpoint))


@bp.post("/me/inbox/ask")
@limiter.limit("30 per hour", key_func=participant_key)
@participant_required
def ask():
    """Ask "my angel" a question; it reaches them in a later delivery round."""
    form = QuestionForm()
    if not form.validate_on_submit():
        return _refused_form(form, "participant.inbox")
    try:
        questions.ask(g.me, form.text.data)
    except ServiceError as exc:
        return refused(exc, "participant.inbox")
    return done(
        _("Your question is on its way: your angel sees it from the next delivery round."),
        "participant.inbox",
    )


@bp.post("/me/inbox/question/<public_id>/report")
@participant_required
def report_answer(public_id: str):
    """Report an answer that was hurtful."""
    form = ReportForm()
    if not form.validate_on_submit():
        return _refused_form(form, "participant.inbox")
    try:
        questions.report_answer(g.me, public_id, form.reason.data)
    except ServiceError as exc:
        return refused(exc, "participant.inbox")
    return done(_("Thank you for telling us. The organiser will look at it."), "participant.inbox")


@bp.post("/me/angel/question/<public_id>/answer")
@limiter.limit("30 per hour", key_func=participant_key)
@participant_required
def answer(public_id: str):
    """Answer a question from my mortal; it reaches them in a later delivery round."""
    form = AnswerForm()
    if not form.validate_on_submit():
        return _refused_form(form, "participant.angel")
    try:
        questions.answer(g.me, public_id, form.text.data)
    except ServiceError as exc:
        return refused(exc, "participant.angel")
    return done(
        _("Your answer is on its way: your mortal sees it from the next delivery round."),
        "participant.angel",
    )
