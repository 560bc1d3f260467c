"""The facilitator's blueprint, and the game page that several of its areas show again."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.domain.draw import SMALL_GAME
from app.models import Game, GameState
from app.services import ending, joins, moderation, pages, setup
from app.web.forms import (
    ActionForm,
    DropOffForm,
    ExclusionForm,
    IdeaForm,
    LateJoinerForm,
    RosterForm,
)
from app.web.slips import qr_svg

bp = Blueprint("facilitator", __name__)


def to_game(game: Game, section: str = ""):
    """Back to the game page, at one of its sections (`#exclusions`) when given."""
    return redirect(url_for("facilitator.game", game_id=game.id) + section)


def render_game(
    game: Game, roster_form: RosterForm | None = None, problems=(), status=200, late_form=None
):
    """The game page; a refused roster or late-joiner form is shown again with what was typed
    and the reason for each bad line."""
    people = setup.roster_of(game)
    exclusion_form = ExclusionForm()
    choices = [SelectChoice(row.participant.id, row.participant.name) for row in people]
    exclusion_form.angel.choices = exclusion_form.mortal.choices = choices
    return render_template(
        "facilitator/game.html",
        game=game,
        people=people,
        problems=problems,
        roster_form=roster_form or RosterForm(),
        exclusion_form=exclusion_form,
        exclusions=setup.exclusions_of(game) if game.is_draft else [],
        drop_offs=setup.drop_off_points(game),
        drop_off_form=DropOffForm(),
        late_form=late_form or LateJoinerForm(),
        game_ideas=setup.game_ideas(game),
        idea_form=IdeaForm(),
        open_reports=moderation.open_report_count(game),
        guesses=ending.guess_summary(game) if game.state == GameState.ENDED else None,
        min_count=ending.secret_crowd(),
        action=ActionForm(),
        me_on_roster=pages.plays_in(people, current_user.email),
        small_game=SMALL_GAME,
        pending=joins.pending_joins(game) if game.state == GameState.RUNNING else [],
        join_qr=_join_qr(game),
    ), status


def _join_qr(game: Game):
    """The join page's address as a QR code, shown only while self-join is on."""
    if not game.allow_self_join or game.state == GameState.ENDED:
        return None
    return qr_svg(url_for("public.game_page", public_id=game.public_id, _external=True))
