"""Being an angel: write a note, arrange an in-person kindness, see and change what was sent."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from app.domain.text import N_
from app.extensions import limiter
from app.i18n import fast_gettext as _
from app.i18n import format_moment, round_name
from app.i18n import lazy_gettext as _l
from app.models import GameState, KindnessState
from app.services import ServiceError, moderation, notes, setup
from app.services import preferences as preferences_service
from app.web import field_html, kept
from app.web.forms import ActionForm, InPersonForm, NoteForm
from app.web.guards import participant_required
from app.web.participant.blueprint import bp, cursors, done, participant_key, refused

# What the angel is told once an in-person kindness is asked for, by what happens next.
SENT_IN_PERSON = {
    "no_courier": _l("No courier is available right now. You can send it as a note instead."),
    "leave_item": N_(
        "Now leave the item at %(where)s, marked %(code)s, and press “I've left it” "
        "below. A courier is asked only after that."
    ),
    "courier_asked": _l(
        "A courier will be asked in the next delivery round. You'll see here when it's delivered."
    ),
}


# The page's other form, after one was posted: both have a `message` box, and the posted text
# belongs only to the form it was typed in.
UNPOSTED = {"formdata": None}


def _note_form(**unposted) -> NoteForm:
    """The note form, with "the next round" and each day left in the game to choose from."""
    form = NoteForm(**unposted)
    form.when.choices = [SelectChoice("next", _("The next delivery round"))] + [
        SelectChoice(day.isoformat(), format_moment(day, "%A %-d %B"))
        for day in notes.delivery_days(g.me.game)
    ]
    field_html.may_keep(form.when)  # the game's days: the same for everyone in it
    return form


def _in_person_form(**unposted) -> InPersonForm:
    """The in-person form, with the game's drop-off points to choose from."""
    form = InPersonForm(**unposted)
    form.drop_off.choices = [SelectChoice(0, _("No item to leave"))] + [
        SelectChoice(point_id, name) for point_id, name in g.visit.drop_offs
    ]
    field_html.may_keep(form.drop_off)  # the game's pick-up spots
    return form


def _angel_page(note_form, in_person_form, status=200):
    """The angel's page with these two forms (a refused one keeps what was typed)."""
    page, hints = g.visit.page, g.visit.hints
    return render_template(
        "participant/angel.html",
        suggestion=setup.suggestion_for(g.me, hint=hints, own=g.visit.own_ideas),
        page=page,
        hints=hints,
        wishes=preferences_service.wish_list(hints),
        questions=g.visit.waiting,
        note_form=note_form,
        in_person_form=in_person_form,
        sent=notes.sent_page(g.me, *cursors()),
        running=g.me.game.state == GameState.RUNNING and page.mortal_name is not None,
        standing=moderation.standing_of(g.me),
        warnings=moderation.warnings_for(g.me),
    ), status


@bp.route("/me/angel")
@participant_required(choices=True)
def angel():
    """Being an angel: write a note, arrange an in-person kindness, see what was sent.

    `?idea=<key>` ("Use this idea") pre-fills the matching form.
    """
    note_form, in_person_form = _note_form(), _in_person_form()
    idea = setup.idea_by_key(g.me.game, request.args.get("idea", ""), g.visit.own_ideas)
    if idea is not None:
        (in_person_form.instruction if idea.in_person else note_form.message).data = idea.text
    return _angel_page(note_form, in_person_form)


@bp.post("/me/angel/note")
@limiter.limit("30 per hour", key_func=participant_key)
@participant_required(choices=True)
def send_note():
    """Schedule a note; what was typed stays in the form if it cannot be sent."""
    form = _note_form()
    if form.validate_on_submit():
        on_day = None if form.when.data == "next" else date.fromisoformat(form.when.data)
        try:
            note = notes.send_note(g.me, form.message.data, on_day)
        except ServiceError as exc:
            flash(str(exc), "error")
        else:
            kept.forget()
            return done(
                _(
                    "Your note is on its way: it arrives in the %(round)s.",
                    round=round_name(note.round_label),
                ),
                "participant.angel",
            )
    kept.keep(message=form.message.data or "", when=form.when.data)
    return _angel_page(form, _in_person_form(**UNPOSTED), 400)


@bp.post("/me/angel/in-person")
@limiter.limit("30 per hour", key_func=participant_key)
@participant_required(choices=True)
def request_in_person():
    """Ask for an in-person kindness, carried by a courier."""
    form = _in_person_form()
    if form.validate_on_submit():
        try:
            item = notes.request_in_person(
                g.me, form.instruction.data, form.message.data or "", form.drop_off.data or None
            )
        except ServiceError as exc:
            flash(str(exc), "error")
        else:
            kept.forget()
            return _in_person_sent(item)
    kept.keep(instruction=form.instruction.data or "", message=form.message.data or "")
    return _angel_page(_note_form(**UNPOSTED), form, 400)


@bp.get("/me/angel/note")
@bp.get("/me/angel/in-person")
@participant_required(choices=True)
def angel_again():
    """The angel's page at a form's address (a reload after a refusal), with what the refused
    form held, once."""
    note_form, in_person_form = _note_form(), _in_person_form()
    typed = kept.take()
    form = in_person_form if request.path.endswith("in-person") else note_form
    for name, value in typed.items():
        if name in form and value is not None:
            form[name].data = value
    return _angel_page(note_form, in_person_form)


def _in_person_sent(item):
    """What happens next for an in-person kindness just asked for, said on the angel's page."""
    if item.state == KindnessState.UNDELIVERABLE:
        flash(str(SENT_IN_PERSON["no_courier"]), "error")
        return redirect(url_for("participant.angel"))
    if item.claim_code:
        where, code = item.drop_off.name, item.claim_code
        message = _(SENT_IN_PERSON["leave_item"], where=where, code=code)
        return done(message, "participant.angel")
    return done(str(SENT_IN_PERSON["courier_asked"]), "participant.angel")


@bp.post("/me/angel/<public_id>/cancel")
@participant_required
def cancel(public_id: str):
    """Cancel a kindness that has not been delivered yet."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        notes.cancel(g.me, public_id)
    except ServiceError as exc:
        return refused(exc, "participant.angel")
    return done(_("Cancelled."), "participant.angel")


@bp.post("/me/angel/<public_id>/left")
@participant_required
def mark_left(public_id: str):
    """The angel has left the item at the drop-off point: now a courier may be asked."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        notes.mark_left(g.me, public_id)
    except ServiceError as exc:
        return refused(exc, "participant.angel")
    return done(
        _("Thank you! A courier will be asked in the next delivery round."), "participant.angel"
    )


@bp.post("/me/angel/<public_id>/as-note")
@participant_required
def as_note(public_id: str):
    """Turn an in-person kindness nobody could carry into a note."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        note = notes.convert_to_note(g.me, public_id)
    except ServiceError as exc:
        return refused(exc, "participant.angel")
    return done(
        _("Sent as a note: it arrives in the %(round)s.", round=round_name(note.round_label)),
        "participant.angel",
    )
