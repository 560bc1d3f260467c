"""The facilitator's participation dashboard: aggregate figures only, never per person."""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace

from flask import Blueprint, Response, abort, render_template
from flask_login import login_required

from app.domain.disclosure import Figure
from app.services import dashboard, translated
from app.web import charts
from app.web.guards import owned_game

bp = Blueprint("dashboard", __name__)


@bp.route("/games/<int:game_id>/dashboard")
@login_required
def view(game_id: int):
    """Participation at a glance; before the draw, a note to draw names first."""
    game = owned_game(game_id)
    figures = None if game.is_draft else _in_reader_language(dashboard.dashboard_of(game))
    days = figures.days if figures else ()
    return render_template(
        "facilitator/dashboard.html",
        game=game,
        figures=figures,
        chart=charts.chart(days),
        chart_label=charts.chart_summary(days),
        min_count=dashboard.min_count(),
    )


def _in_reader_language(figures):
    """The figures with the words of hidden ones ("fewer than 5") in the reader's language
    (the cached figures stay in English, shared by every reader)."""
    if not is_dataclass(figures):
        return figures
    changes = {
        f.name: replace(value, text=translated(value.text))
        for f in fields(figures)
        if isinstance(value := getattr(figures, f.name), Figure)
    }
    return replace(figures, **changes)


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
