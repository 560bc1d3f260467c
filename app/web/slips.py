"""Hand out links: printable slips, one per participant, for a group without email."""

from __future__ import annotations

import segno
from flask import Blueprint, abort, current_app, render_template
from flask_login import login_required
from markupsafe import Markup

from app import config
from app.models import GameState
from app.services import slips as slip_service
from app.web.guards import owned_game

bp = Blueprint("slips", __name__)


def qr_svg(link: str) -> Markup:
    """The link as an inline SVG QR code: no script, no image request, crisp when printed.

    Error level M survives a crease or a smudge on a folded slip; the size is left to the
    stylesheet (omitsize), which gives it millimetres on paper.
    """
    code = segno.make_qr(link, error="m")
    return Markup(code.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr"))


@bp.app_template_global("links_on_slips")
def links_on_slips() -> bool:
    """True when this service hands out links on slips instead of emailing them."""
    return config.slips_mode(current_app)


@bp.route("/games/<int:game_id>/slips")
@login_required
def hand_out(game_id: int):
    """One slip per active participant: name outside the fold, link and QR code inside.

    Only a running game has slips; another facilitator's game, like a draft, is not found.
    """
    game = owned_game(game_id)
    if game.state != GameState.RUNNING:
        abort(404)
    slips = [(slip, qr_svg(slip.link)) for slip in slip_service.hand_out_links(game)]
    return render_template("facilitator/slips.html", game=game, slips=slips)
