"""The facilitator's blueprint, and the game page that several of its areas show again."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.domain.draw import SMALL_GAME
from app.models import Game, GameState
from app.services import ending, joins, moderation, roster, setup
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


# Above this many people the exclusion form asks for two email addresses instead of offering
# every name twice in a menu (20,000 names would be two megabytes of options).
EXCLUSION_MENU_LIMIT = 200


def render_game(
    game: Game,
    roster_form: RosterForm | None = None,
    problems=(),
    status=200,
    late_form=None,
    typed_exclusion: dict | None = None,
    drop_off_form: DropOffForm | None = None,
    idea_form: IdeaForm | None = None,
):
    """The game page with one page of the roster (`?page=`, or a next/previous link's `?at=`;
    searched by `?q=`); a refused roster, late-joiner, exclusion, pick-up spot or idea form is
    shown again with what was typed and why."""
    args = request.args
    people = roster.roster_of(game, args.get("page", 1, type=int), args.get("q"), args.get("at"))
    return render_template(
        "facilitator/game.html",
        game=game,
        people=people,
        problems=problems,
        roster_form=roster_form or RosterForm(),
        exclusion_form=_exclusion_form(game),
        typed_exclusion=typed_exclusion or {},
        exclusions=setup.exclusions_of(game) if game.is_draft else [],
        drop_offs=setup.drop_off_points(game),
        drop_off_form=drop_off_form or DropOffForm(),
        late_form=late_form or LateJoinerForm(),
        game_ideas=setup.game_ideas(game),
        idea_form=idea_form or IdeaForm(),
        open_reports=moderation.open_report_count(game),
        guesses=ending.guess_summary(game) if game.state == GameState.ENDED else None,
        min_count=ending.secret_crowd(),
        action=ActionForm(),
        me_on_roster=roster.on_roster(game, current_user.email),
        small_game=SMALL_GAME,
        pending=joins.pending_joins(game) if game.state == GameState.RUNNING else [],
        join_qr=_join_qr(game),
    ), status


def _exclusion_form(game: Game) -> ExclusionForm:
    """The exclusion form: two menus of everyone on a small roster, two email boxes (its
    `by_email`) on a large one; one query either way."""
    form = ExclusionForm()
    everyone = roster.names_in_order(game, EXCLUSION_MENU_LIMIT + 1) if game.is_draft else []
    form.by_email = len(everyone) > EXCLUSION_MENU_LIMIT
    choices = [] if form.by_email else [SelectChoice(pid, name) for pid, name in everyone]
    form.angel.choices = form.mortal.choices = choices
    return form


def _join_qr(game: Game):
    """The join page's address as a QR code, shown only while self-join is on."""
    if not game.allow_self_join or game.state == GameState.ENDED:
        return None
    return qr_svg(url_for("public.game_page", public_id=game.public_id, _external=True))
