"""Being a courier: the deliveries this participant is asked to carry — never who sent them."""

from __future__ import annotations

from flask import abort, flash, g, render_template

from app.i18n import lazy_gettext as _l
from app.services import ServiceError, couriers, pages
from app.web import kept
from app.web.forms import ActionForm, ReportForm, first_error
from app.web.guards import participant_required
from app.web.participant.blueprint import bp, cursors, done, refused
from app.web.participant.inbox import report_kindness


@bp.route("/me/deliveries")
@participant_required
def deliveries():
    """Kindnesses this participant is asked to carry as a courier — never who sent them."""
    return _deliveries_page(None)


def _deliveries_page(report_form, refused_id=None, status=200):
    """The courier's deliveries; a refused report keeps its text in its box, or its reason is
    said at the top when the page has no box for it any more."""
    shown = pages.deliveries_of(g.me, *cursors())
    if refused_id and (not report_form.reason.errors or not shown.has_box(refused_id)):
        flash(first_error(report_form), "error")
    return render_template(
        "participant/deliveries.html",
        page=g.visit.page,
        requests=shown.requests,
        paged=shown.paged,
        report_form=report_form,
        reported=shown.reported,
        refused_id=refused_id,
    ), status


@bp.get("/me/deliveries/<public_id>/report")
@participant_required
def deliveries_again(public_id: str):
    """The deliveries at a refused report's address, the reason back in its box, once."""
    form = ReportForm()
    return _deliveries_page(form, public_id if kept.refill(form.reason) else None)


@bp.post("/me/deliveries/<public_id>/<step>")
@participant_required
def courier_step(public_id: str, step: str):
    """Accept, decline, mark done, or report a delivery."""
    if step == "report":
        return report_kindness(
            public_id,
            as_courier=True,
            endpoint="participant.deliveries",
            reshow=lambda form: _deliveries_page(form, public_id, 400),
        )
    steps = {  # each answer: the service that records it, and what the courier is told
        "accept": (couriers.accept, _l("Thank you! Deliver it when you can, then mark it done.")),
        "decline": (couriers.decline, _l("No problem — another courier will be asked.")),
        "done": (couriers.mark_done, _l("Delivered. Thank you for keeping the secret!")),
    }
    if step not in steps or not ActionForm().validate_on_submit():
        abort(404 if step not in steps else 400)
    action, message = steps[step]
    try:
        action(g.me, public_id)
    except ServiceError as exc:
        return refused(exc, "participant.deliveries")
    return done(message, "participant.deliveries")
