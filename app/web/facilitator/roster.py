"""Who plays in a game: adding, fixing and removing people, exclusions, late joiners and
withdrawals from a running game, requests to join it."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user, login_required

from app import config
from app.domain.limits import LIMITS
from app.domain.roster import RosterProblem
from app.i18n import fast_gettext as _
from app.services import ServiceError, circle, joins, roster, setup, translated
from app.web import kept
from app.web.facilitator.blueprint import bp, render_game, to_game
from app.web.forms import ActionForm, ExclusionForm, LateJoinerForm, ParticipantForm, RosterForm
from app.web.guards import owned_game


def _added(count: int, late: bool = False) -> None:
    """Say how many people were added (nothing when none were); to late joiners, who was told
    what, so the facilitator knows nobody else learnt it."""
    if count and late:
        flash(
            ngettext(
                "Added %(num)d person to the circle. Only they and the people whose mortal "
                "changed were told.",
                "Added %(num)d people to the circle. Only they and the people whose mortal "
                "changed were told.",
                count,
            ),
            "success",
        )
    elif count:
        flash(ngettext("Added %(num)d person.", "Added %(num)d people.", count), "success")


def _upload(form) -> bytes | None:
    """The CSV file a roster form carries, if one was chosen."""
    return form.csv_file.data.read() if form.csv_file.data else None


def _shown_again(game, *, problems=(), status=400, **forms):
    """The game page with a refused roster or late-joiner form, what it held kept for a GET of
    the same address (see app.web.kept)."""
    form = forms.get("roster_form") or forms.get("late_form")
    problems = [RosterProblem(p.line, p.text, translated(p.reason), p.in_file) for p in problems]
    kept.keep(
        lines=form.lines.data or "",
        problems=[[p.line, p.text, p.reason, p.in_file] for p in problems],
    )
    return render_game(game, problems=problems, status=status, **forms)


def _kept_lines(form):
    """`form` with the lines a refused post to this address held (once), and their problems."""
    typed = kept.take()
    form.lines.data = typed.get("lines", "")
    return form, [RosterProblem(*problem) for problem in typed.get("problems", [])]


# GET too: the address a refused form leaves in the address bar answers with the same page.
@bp.route("/games/<int:game_id>/participants", methods=["GET", "POST"])
@login_required
def add_participants(game_id: int):
    """Add pasted lines and/or a CSV; bad lines come back in the box with their reasons."""
    game = owned_game(game_id)
    if request.method == "GET":
        return _roster_again(game)
    form = RosterForm()
    if not form.validate_on_submit():
        return _shown_again(game, roster_form=form)
    try:
        reading = setup.read_and_add(game, form.lines.data or "", _upload(form))
    except ServiceError as exc:
        flash(str(exc), "error")
        return _shown_again(game, roster_form=form)
    _added(len(reading.entries))
    if reading.problems:
        form.lines.data = reading.leftover_text
        status = 200 if reading.entries else 400
        return _shown_again(game, roster_form=form, problems=reading.problems, status=status)
    kept.forget()
    if not reading.entries:
        flash(_("Paste some lines or choose a CSV file first."), "error")
    return to_game(game)


def _roster_again(game):
    """The game page at the roster form's address (a reload after a refusal), with what the
    refused form held, once."""
    form, problems = _kept_lines(RosterForm())
    return render_game(game, form, problems)


@bp.post("/games/<int:game_id>/add-me")
@login_required
def add_me(game_id: int):
    """Put the facilitator on the roster: they then play like everyone else."""
    game = owned_game(game_id)
    if ActionForm().validate_on_submit():
        try:
            reading = setup.read_and_add(game, f"{current_user.name} <{current_user.email}>", None)
        except ServiceError as exc:  # e.g. a tab left open from before the draw
            flash(str(exc), "error")
            return to_game(game)
        for problem in reading.problems:
            flash(_("Could not add you: %(reason)s.", reason=translated(problem.reason)), "error")
        if reading.entries:
            flash(_("You are on the roster. Your link arrives by email after the draw."), "success")
    return to_game(game)


@bp.route("/games/<int:game_id>/participants/<int:participant_id>", methods=["GET", "POST"])
@login_required
def edit_participant(game_id: int, participant_id: int):
    """Fix someone's name or email: before the draw in place; after it, with a new invitation."""
    game = owned_game(game_id)
    person = setup.participant_in(game, participant_id) or abort(404)
    form = ParticipantForm(obj=person)
    if form.validate_on_submit():
        try:
            if game.is_draft:
                setup.update_participant(
                    game, person, form.name.data, form.email.data, form.team.data or ""
                )
            else:
                circle.resend_invitation(game, person, form.name.data, form.email.data)
        except ServiceError as exc:
            form.email.errors.append(str(exc))
        else:
            flash(_saved_message(game, person), "success")
            return to_game(game)
    return render_template("facilitator/participant.html", form=form, game=game, person=person)


def _saved_message(game, person) -> str:
    """What the facilitator is told once someone's name or email is saved."""
    if game.is_draft:
        return _("Saved.")
    if config.slips_mode(current_app):
        return _(
            "Saved. %(name)s has a new private link and the old one no longer works: print "
            "their slip again.",
            name=person.name,
        )
    return _(
        "A new invitation is on its way to %(email)s; the old link no longer works.",
        email=person.email,
    )


@bp.post("/games/<int:game_id>/participants/<int:participant_id>/remove")
@login_required
def remove_participant(game_id: int, participant_id: int):
    """Take someone off the roster before the draw."""
    game = owned_game(game_id)
    person = setup.participant_in(game, participant_id) or abort(404)
    if ActionForm().validate_on_submit():
        try:
            setup.remove_participant(game, person)
            flash(_("Removed %(name)s.", name=person.name), "success")
        except ServiceError as exc:
            flash(str(exc), "error")
    return to_game(game)


@bp.post("/games/<int:game_id>/teams-apart")
@login_required
def keep_teams_apart(game_id: int):
    """Turn on or off "Nobody draws someone from their own team"."""
    game = owned_game(game_id)
    if ActionForm().validate_on_submit():
        try:
            setup.keep_teams_apart(game, request.form.get("teams_apart") == "y")
        except ServiceError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Saved."), "success")
    return to_game(game, "#draw")


@bp.post("/games/<int:game_id>/exclusions")
@login_required
def add_exclusion(game_id: int):
    """Keep two people apart: chosen from two menus, or typed as two emails on a large roster
    (a refused pair of emails comes back in the boxes)."""
    game = owned_game(game_id)
    form = ExclusionForm()
    typed = {side: request.form.get(side, "")[: LIMITS.email] for side in ("angel", "mortal")}
    angel, mortal = (roster.person_named(game, typed[side]) for side in ("angel", "mortal"))
    try:
        if not ActionForm().validate_on_submit() or angel is None or mortal is None:
            raise ServiceError(_("Choose two people from the roster."))
        setup.add_exclusion(game, angel, mortal, form.direction.data != "one")
        flash(_("Exclusion saved."), "success")
    except ServiceError as exc:
        flash(str(exc), "error")
        if any(value and not value.isdigit() for value in typed.values()):
            return render_game(game, status=400, typed_exclusion=typed)
    return to_game(game, "#exclusions")


@bp.post("/games/<int:game_id>/exclusions/<int:exclusion_id>/remove")
@login_required
def remove_exclusion(game_id: int, exclusion_id: int):
    """Drop an exclusion."""
    game = owned_game(game_id)
    if ActionForm().validate_on_submit():
        try:
            if not setup.remove_exclusion(game, exclusion_id):
                abort(404)
        except ServiceError as exc:
            flash(str(exc), "error")
    return to_game(game, "#exclusions")


@bp.route("/games/<int:game_id>/late-joiners", methods=["GET", "POST"])
@login_required
def add_late_joiners(game_id: int):
    """Bring people into a running game; bad lines come back in the box."""
    game = owned_game(game_id)
    if request.method == "GET":
        return _late_joiners_again(game)
    form = LateJoinerForm()
    if not form.validate_on_submit():
        return _shown_again(game, late_form=form)
    upload = _upload(form)
    if not (form.lines.data or "").strip() and not upload:
        flash(_("Paste some lines or choose a CSV file first."), "error")
        return _shown_again(game, late_form=form)
    try:
        reading = circle.add_late_joiners(game, form.lines.data or "", csv_data=upload)
    except ServiceError as exc:
        flash(str(exc), "error")
        return _shown_again(game, late_form=form, status=409)
    _added(len(reading.entries), late=True)
    if reading.problems:
        form.lines.data = reading.leftover_text
        status = 200 if reading.entries else 400
        return _shown_again(game, problems=reading.problems, late_form=form, status=status)
    kept.forget()
    return to_game(game)


def _late_joiners_again(game):
    """The game page at the late-joiner form's address, with what a refused form held, once."""
    form, problems = _kept_lines(LateJoinerForm())
    return render_game(game, problems=problems, late_form=form)


@bp.post("/games/<int:game_id>/participants/<int:participant_id>/withdraw")
@login_required
def withdraw(game_id: int, participant_id: int):
    """Take someone out of a running game; the circle is rearranged around them."""
    game = owned_game(game_id)
    person = setup.participant_in(game, participant_id) or abort(404)
    if ActionForm().validate_on_submit():
        try:
            circle.withdraw(game, person, organiser=True)
        except ServiceError as exc:
            flash(str(exc), "error")
            return redirect(
                url_for("facilitator.edit_participant", game_id=game.id, participant_id=person.id)
            )
        flash(
            _(
                "%(name)s has left the game. The circle was repaired and only the people "
                "whose mortal changed were told.",
                name=person.name,
            ),
            "success",
        )
    return to_game(game)


@bp.post("/games/<int:game_id>/join-requests/<int:request_id>/approve")
@login_required
def approve_join(game_id: int, request_id: int):
    """Let someone who asked on the public page join the running circle."""
    game = owned_game(game_id)
    if ActionForm().validate_on_submit():
        try:
            request_ = joins.approve(game, request_id)
        except LookupError:
            abort(404)
        except ServiceError as exc:
            flash(str(exc), "error")
        else:
            flash(
                _(
                    "Added %(name)s to the circle. Only they and the people whose mortal "
                    "changed were told.",
                    name=request_.name,
                ),
                "success",
            )
    return to_game(game, "#pending")


@bp.post("/games/<int:game_id>/join-requests/<int:request_id>/turn-down")
@login_required
def turn_down_join(game_id: int, request_id: int):
    """Forget a request to join; nobody is told."""
    game = owned_game(game_id)
    if ActionForm().validate_on_submit():
        try:
            request_ = joins.turn_down(game, request_id)
        except LookupError:
            abort(404)
        flash(_("%(name)s was turned down and will not join.", name=request_.name), "success")
    return to_game(game, "#pending")
