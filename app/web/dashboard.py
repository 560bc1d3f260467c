"""Placeholder replaced by the dashboard blueprint."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)


@bp.route("/games/<int:game_id>/dashboard")
def view(game_id: int):
    """Placeholder until the dashboard lands."""
    return "", 404
