"""The private journal: a value to live by and dated entries. Only its author reads it."""

from __future__ import annotations

from flask import abort, flash, g, make_response, render_template

from app.domain.limits import LIMITS
from app.i18n import fast_gettext as _
from app.services import ServiceError
from app.services import journal as journal_service
from app.web.forms import ActionForm, JournalEntryForm, JournalValueForm
from app.web.guards import participant_required
from app.web.participant.blueprint import bp, cursors, done, refused


@bp.route("/me/journal", methods=["GET", "POST"])
@participant_required
def journal():
    """A private journal: a value to live by and dated entries. Only its author reads it."""
    value_form, entry_form = JournalValueForm(prefix="value"), JournalEntryForm(prefix="entry")
    if not value_form.is_submitted():
        value_form.value.data = g.me.journal_value
    if entry_form.validate_on_submit():
        try:
            journal_service.add_journal_entry(
                g.me, entry_form.day.data, entry_form.did.data or "", entry_form.felt.data or ""
            )
        except ServiceError as exc:
            flash(str(exc), "error")
        else:
            return done(_("Saved to your journal."), "participant.journal")
    return render_template(
        "participant/journal.html",
        page=g.visit.page,
        value_form=value_form,
        entry_form=entry_form,
        entries=journal_service.journal_page(g.me, *cursors()),
        values=journal_service.VALUES,
    )


@bp.post("/me/journal/value")
@participant_required
def journal_value():
    """Choose the value to live by."""
    form = JournalValueForm(prefix="value")
    if not form.validate_on_submit():
        return refused(
            ServiceError(
                _(
                    "Keep the value short — up to %(max)d characters.",
                    max=LIMITS.journal_value,
                )
            ),
            "participant.journal",
        )
    try:
        journal_service.set_journal_value(g.me, form.value.data or "")
    except ServiceError as exc:
        return refused(exc, "participant.journal")
    return done(_("Saved."), "participant.journal")


@bp.post("/me/journal/<int:entry_id>/delete")
@participant_required
def delete_journal_entry(entry_id: int):
    """Delete one of your own entries."""
    if not ActionForm().validate_on_submit():
        abort(400)
    if not journal_service.delete_journal_entry(g.me, entry_id):
        abort(404)
    return done(_("Entry deleted."), "participant.journal")


@bp.route("/me/journal.<any(md, txt):fmt>")
@participant_required
def download_journal(fmt: str):
    """Download the journal as Markdown or plain text."""
    export = journal_service.export_journal(g.me, markdown=fmt == "md")
    response = make_response(export.body)
    response.headers["Content-Type"] = f"{export.mimetype}; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response
