"""The facilitator's games: the list, a game's details and page, the draw, drop-off points and
kindness ideas."""

from __future__ import annotations

from flask import abort, current_app, flash, render_template, request
from flask_babel import ngettext
from flask_login import current_user, login_required

from app import config
from app.domain.draw import SMALL_GAME
from app.i18n import fast_gettext as _
from app.services import ServiceError, games, setup
from app.services.draw import ALREADY_DRAWN, draw_names, draw_preview
from app.web.facilitator.blueprint import bp, render_game, to_game
from app.web.forms import ActionForm, DropOffForm, IdeaForm
from app.web.game_form import GameForm
from app.web.guards import owned_game


def _details(form: GameForm) -> games.GameDetails:
    """A game's details as the form gives them."""
    return games.GameDetails(
        name=form.name.data,
        group_kind=form.group_kind.data,
        group_name=form.group_name.data or "",
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        welcome=form.welcome.data or "",
        avoid_repeat_mortals=form.avoid_repeat_mortals.data,
        delivery_times=form.delivery_times.data,
        timezone=form.timezone.data,
        delivery_days=form.delivery_days.data or "every",
        allow_self_join=form.allow_self_join.data,
        reveal_at_end=form.reveal_at_end.data,
        budget=form.budget.data or "",
        exchange_on=form.exchange_on.data,
        language=form.language.data,
    )


@bp.route("/games")
@login_required
def game_list():
    """The facilitator's games."""
    return render_template("facilitator/games.html", games=games.games_of(current_user))


@bp.route("/games/new", methods=["GET", "POST"])
@login_required
def new_game():
    """Create a game."""
    form = GameForm()
    if form.validate_on_submit():
        try:
            game = games.create_game(current_user, _details(form))
        except ServiceError as exc:
            form.ends_on.errors.append(str(exc))
        else:
            flash(_("Game created. Now add the people who will play."), "success")
            return to_game(game)
    return render_template("facilitator/game_form.html", form=form, game=None)


@bp.route("/games/<int:game_id>/edit", methods=["GET", "POST"])
@login_required
def edit_game(game_id: int):
    """Change a game's details."""
    game = owned_game(game_id)
    form = GameForm(obj=game)
    form.current_dates = (game.starts_on, game.ends_on)
    if form.validate_on_submit():
        try:
            games.update_game(game, _details(form))
        except ServiceError as exc:
            form.ends_on.errors.append(str(exc))
        else:
            flash(_("Saved."), "success")
            return to_game(game)
    return render_template("facilitator/game_form.html", form=form, game=game)


@bp.route("/games/<int:game_id>")
@login_required
def game(game_id: int):
    """The game page: roster, exclusions and the draw button (before); delivery status (after)."""
    return render_game(owned_game(game_id))


@bp.route("/games/<int:game_id>/draw", methods=["GET", "POST"])
@login_required
def draw(game_id: int):
    """The draw: GET shows what will happen and asks to confirm; only this page's POST draws.

    A second press, tab or worker gets a clear message and changes nothing.
    """
    game = owned_game(game_id)
    if request.method == "GET":
        if not game.is_draft:
            flash(str(ALREADY_DRAWN), "info")
            return to_game(game)
        return render_template(
            "facilitator/draw.html",
            game=game,
            preview=draw_preview(game),
            action=ActionForm(),
            small_game=SMALL_GAME,
        )
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        count = draw_names(game)
    except ServiceError as exc:
        flash(str(exc), "error")
        return render_game(game, status=409)
    flash(_drawn_message(count), "success")
    return to_game(game)


def _drawn_message(count: int) -> str:
    """What the facilitator is told once names are drawn (in slips mode nothing is emailed)."""
    if config.slips_mode(current_app):
        return ngettext(
            "Names drawn! %(num)d private link to hand out on a printed slip.",
            "Names drawn! %(num)d private links to hand out on printed slips.",
            count,
        )
    return ngettext(
        "Names drawn! %(num)d invitation is on its way.",
        "Names drawn! %(num)d invitations are on their way.",
        count,
    )


@bp.route("/games/<int:game_id>/drop-offs", methods=["GET", "POST"])
@login_required
def add_drop_off(game_id: int):
    """Name a drop-off point for items couriers collect. Asked again after a refusal (Enter in
    the address bar), the address shows the game page at its pick-up spots."""
    game = owned_game(game_id)
    if request.method == "GET":
        return to_game(game, "#drop-offs")
    form = DropOffForm()
    if not form.validate_on_submit() and "csrf_token" in form.errors:
        abort(400)
    try:
        setup.add_drop_off(game, form.name.data or "")
    except ServiceError as exc:
        # Shown beside the box, which keeps what was typed (and takes the focus).
        form.name.errors = [str(exc)]
        return render_game(game, status=400, drop_off_form=form)
    flash(_("Pick-up spot added."), "success")
    return to_game(game, "#drop-offs")


@bp.post("/games/<int:game_id>/drop-offs/<int:point_id>/remove")
@login_required
def remove_drop_off(game_id: int, point_id: int):
    """Retire a drop-off point."""
    game = owned_game(game_id)
    if ActionForm().validate_on_submit() and not setup.remove_drop_off(game, point_id):
        abort(404)
    return to_game(game, "#drop-offs")


@bp.route("/games/<int:game_id>/ideas", methods=["GET", "POST"])
@login_required
def add_idea(game_id: int):
    """Add a kindness idea for this game's angels (asked again: the game page at its ideas)."""
    game = owned_game(game_id)
    if request.method == "GET":
        return to_game(game, "#ideas")
    form = IdeaForm()
    if not form.validate_on_submit() and "csrf_token" in form.errors:
        abort(400)
    try:
        setup.add_game_idea(game, form.text.data or "")
    except ServiceError as exc:
        # Shown beside the box, which keeps what was typed (and takes the focus).
        form.text.errors = [str(exc)]
        return render_game(game, status=400, idea_form=form)
    flash(_("Idea added. Angels see it among their suggestions."), "success")
    return to_game(game, "#ideas")


@bp.post("/games/<int:game_id>/ideas/<int:idea_id>/remove")
@login_required
def remove_idea(game_id: int, idea_id: int):
    """Remove one of the game's own ideas."""
    game = owned_game(game_id)
    if ActionForm().validate_on_submit() and not setup.remove_game_idea(game, idea_id):
        abort(404)
    return to_game(game, "#ideas")
