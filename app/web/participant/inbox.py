"""Being a mortal: the inbox of kindnesses received, thanking "my angel", reporting one."""

from __future__ import annotations

from flask import flash, g, render_template, request

from app.i18n import fast_gettext as _
from app.services import ServiceError, pages, questions, responses
from app.web import kept
from app.web.forms import ReportForm, ThanksForm, first_error
from app.web.guards import participant_required
from app.web.participant.blueprint import bp, cursors, done, refused


@bp.route("/me/inbox")
@participant_required(asked=True)
def inbox():
    """Kindnesses received, a page at a time. Showing a page is reading it: what it showed, and
    only that, is marked read once it is rendered."""
    return _inbox_page(None, None)


def _inbox_page(thanks_form, report_form, refused_id=None, step=None, status=200):
    """The inbox; a refused form (`step` for kindness `refused_id`) keeps its text in its box,
    or its reason is said at the top when the page has no box for it any more. With nothing
    refused, no form object is needed: the boxes are written empty."""
    shown = pages.inbox_of(g.me, *cursors())
    if step:
        form = thanks_form if step == "thanks" else report_form
        field = form.message if step == "thanks" else form.reason
        if not field.errors or not shown.has_box(refused_id, step):
            flash(first_error(form), "error")
    html = render_template(
        "participant/inbox.html",
        page=g.visit.page,
        items=shown.items,
        paged=shown.paged,
        unread=shown.unread,
        reported=shown.reported,
        thanks_form=thanks_form,
        report_form=report_form,
        refused_id=refused_id,
        asked=questions.asked_by(g.me, rows=g.visit.asked),
    )
    pages.mark_seen(g.me, shown)
    return html, status


@bp.post("/me/inbox/<public_id>/thanks")
@participant_required
def thank(public_id: str):
    """Thank "my angel" for one kindness."""
    form = ThanksForm()
    if not form.validate_on_submit():
        kept.keep_field(form.message)
        return _inbox_page(form, ReportForm(), public_id, "thanks", 400)
    kept.forget()
    try:
        responses.thank(g.me, public_id, form.message.data)
    except ServiceError as exc:
        return refused(exc, "participant.inbox")
    return done(_("Your thanks is on its way to your angel."), "participant.inbox")


@bp.post("/me/inbox/<public_id>/report")
@participant_required
def report(public_id: str):
    """Report a kindness that was hurtful."""
    return report_kindness(
        public_id,
        as_courier=False,
        endpoint="participant.inbox",
        reshow=lambda form: _inbox_page(ThanksForm(), form, public_id, "report", 400),
    )


@bp.get("/me/inbox/<public_id>/thanks")
@bp.get("/me/inbox/<public_id>/report")
@participant_required(asked=True)
def inbox_again(public_id: str):
    """The inbox at a refused thanks or report's address, the text back in its box, once."""
    thanks_form, report_form = ThanksForm(), ReportForm()
    box = thanks_form.message if request.path.endswith("/thanks") else report_form.reason
    return _inbox_page(thanks_form, report_form, public_id if kept.refill(box) else None)


def report_kindness(public_id: str, as_courier: bool, endpoint: str, reshow):
    """Report a kindness received or carried; a refused report is shown again by `reshow`."""
    form = ReportForm()
    if not form.validate_on_submit():
        kept.keep_field(form.reason)
        return reshow(form)
    kept.forget()
    try:
        responses.report(g.me, public_id, form.reason.data, as_courier=as_courier)
    except ServiceError as exc:
        return refused(exc, endpoint)
    return done(_("Thank you for telling us. The organiser will look at it."), endpoint)
