"""The participant's settings: hints for their angel, courier duty, email preferences."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for

from app.i18n import fast_gettext as _
from app.services import ServiceError
from app.services import preferences as preferences_service
from app.web.forms import HintsForm, PreferencesForm
from app.web.guards import participant_required
from app.web.language_forms import ParticipantLanguageForm
from app.web.participant.blueprint import bp, done, refused

# The pages the language switcher may send a participant back to (no arguments, all GET).
SWITCHER_PAGES = frozenset(
    "participant." + page
    for page in (
        "me",
        "angel",
        "inbox",
        "deliveries",
        "hints",
        "journal",
        "preferences",
        "guess",
        "rules",
        "leave",
    )
)


def preferences_form(person) -> PreferencesForm:
    """The email preferences form, starting from what the participant chose before."""
    form = PreferencesForm()
    if not form.is_submitted():
        form.email_preference.data = person.email_preference
        form.reminders.data = person.reminders
    return form


@bp.route("/me/hints", methods=["GET", "POST"])
@participant_required
def hints():
    """What brightens my day and my wish list (only my angel sees them), and courier duty."""
    form = HintsForm(obj=preferences_service.hints_of(g.me))
    if not form.is_submitted():
        form.courier_opt_out.data = g.me.courier_opt_out
    if form.validate_on_submit():
        try:
            preferences_service.save_hints(
                g.me,
                brightens=form.brightens.data or "",
                favourite_treat=form.favourite_treat.data or "",
                avoid=form.avoid.data or "",
                appreciated_by=form.appreciated_by.data or "",
                sizes=form.sizes.data or "",
                wishes=form.wishes.data or "",
            )
            preferences_service.set_courier_opt_out(g.me, form.courier_opt_out.data)
        except ServiceError as exc:
            flash(str(exc), "error")
        else:
            return done(_("Saved. Only your angel sees your hints."), "participant.hints")
    return render_template("participant/hints.html", page=g.visit.page, form=form)


@bp.route("/me/preferences", methods=["GET", "POST"])
@participant_required
def preferences():
    """Email preferences and reminders."""
    form = preferences_form(g.me)
    if form.validate_on_submit():
        try:
            preferences_service.set_preferences(
                g.me, form.email_preference.data, form.reminders.data
            )
        except ServiceError as exc:
            return refused(exc, "participant.preferences")
        return done(_("Saved."), "participant.preferences")
    return render_template("participant/preferences.html", page=g.visit.page, form=form)


@bp.post("/me/language")
@participant_required
def language():
    """The language switcher: this participant's pages and emails from now on are in the
    language chosen; back to the page it was pressed on."""
    form = ParticipantLanguageForm()
    if form.validate_on_submit():
        preferences_service.set_language(g.me, form.language.data)
    back = form.back.data if form.back.data in SWITCHER_PAGES else "participant.me"
    return redirect(url_for(back))
