"""The facilitator's participation dashboard: aggregate figures only, never per person."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from flask_login import login_required

from app.services import dashboard
from app.web import charts
from app.web.guards import owned_game

bp = Blueprint("dashboard", __name__)


@bp.route("/games/<int:game_id>/dashboard")
@login_required
def view(game_id: int):
    """Participation at a glance; before the draw, a note to draw names first."""
    game = owned_game(game_id)
    figures = None if game.is_draft else dashboard.dashboard_of(game)
    days = figures.days if figures else ()
    return render_template(
        "facilitator/dashboard.html",
        game=game,
        figures=figures,
        chart=charts.chart(days),
        chart_label=charts.chart_summary(days),
        min_count=dashboard.min_count(),
    )


@bp.route("/games/<int:game_id>/dashboard.csv")
@login_required
def daily_csv(game_id: int):
    """The kindnesses-per-day table as a CSV download."""
    game = owned_game(game_id)
    if game.is_draft:
        abort(404)
    return Response(
        dashboard.daily_csv(game),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="game-{game.id}-kindnesses-per-day.csv"'
        },
    )
