"""The participant's home: their mission, the rules, the guess at the end, and leaving."""

from __future__ import annotations

from flask import abort, g, render_template, session
from wtforms.fields.choices import SelectChoice

from app.i18n import fast_gettext as _
from app.services import (
    ServiceError,
    circle,
    ending,
    moderation,
    participants,
)
from app.web.forms import ActionForm, GuessForm
from app.web.guards import SESSION_KEY, participant_required
from app.web.participant.blueprint import bp, done, refused


@bp.route("/me")
@participant_required(counts=True)
def me():
    """The participant's home: their mission and what is waiting for them."""
    counts = g.visit.counts
    return render_template(
        "participant/me.html",
        page=g.visit.page,
        first_opened=participants.first_opened(g.me),
        reveal=ending.reveal_for(g.me),
        crowd=ending.secret_crowd(),
        hints=g.visit.hints,
        counts=counts[:2],
        standing=moderation.standing_of(g.me),
        warnings=moderation.warnings_for(g.me),
        # Read only when one has reached them: most homes cost no query for it.
        outcomes=moderation.outcomes_for(g.me) if counts[2] else [],
    )


def _guess_form() -> GuessForm:
    """The guess form: everyone who could be my angel, and "I'd rather not guess"."""
    form = GuessForm()
    form.guess.choices = [SelectChoice(0, _("I'd rather not guess"))] + [
        SelectChoice(pid, name) for pid, name in ending.guess_choices(g.me)
    ]
    if not form.is_submitted():
        form.guess.data = g.me.guess_id or 0
    return form


@bp.route("/me/guess", methods=["GET", "POST"])
@participant_required
def guess():
    """Guess who your angel is (before the end), and choose whether to stay secret yourself."""
    form = _guess_form()
    if form.validate_on_submit():
        try:
            ending.set_guess(g.me, form.guess.data or None)
        except ServiceError as exc:
            return refused(exc, "participant.guess")
        return done(
            _("Your guess is saved. Only you will see whether it was right."), "participant.guess"
        )
    return render_template(
        "participant/guess.html",
        page=g.visit.page,
        form=form,
        crowd=ending.secret_crowd(),
    )


@bp.post("/me/stay-secret")
@participant_required
def stay_secret():
    """Toggle staying unknown to your mortal even at the reveal."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        ending.set_stay_secret(g.me, not g.me.stay_secret)
    except ServiceError as exc:
        return refused(exc, "participant.guess")
    return done(
        _("You will stay secret, even at the reveal.")
        if g.me.stay_secret
        else _(
            "Your mortal will learn it was you, if the game reveals angels at the end "
            "and you are not drawn to stay secret with those who chose it."
        ),
        "participant.guess",
    )


@bp.route("/me/rules")
@participant_required
def rules():
    """How the game works and what stays secret, with how many senders the organiser has
    revealed so far."""
    return render_template(
        "participant/rules.html",
        page=g.visit.page,
        reveals=moderation.reveal_count(g.me.game),
        crowd=ending.secret_crowd(),
    )


@bp.route("/me/leave", methods=["GET", "POST"])
@participant_required
def leave():
    """Leave the game, after a confirmation page; when leaving is not possible the page says
    why up front instead of asking."""
    form = ActionForm()
    if form.validate_on_submit():
        try:
            circle.withdraw(g.me.game, g.me)
        except ServiceError as exc:
            return refused(exc, "participant.me")
        session.pop(SESSION_KEY, None)
        return render_template("participant/left.html", game=g.me.game)
    return render_template(
        "participant/leave.html",
        page=g.visit.page,
        form=form,
        refusal=circle.leave_refusal(g.me.game, g.me),
    )
