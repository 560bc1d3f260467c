"""Hand out links: printable slips, a batch at a time, for a group without email."""

from __future__ import annotations

import re

import segno
from flask import Blueprint, abort, current_app, render_template, request
from flask_login import login_required
from markupsafe import Markup

from app import config
from app.models import GameState
from app.services import slips as slip_service
from app.web.guards import owned_game

bp = Blueprint("slips", __name__)

# The QR mask pattern, fixed: choosing the best of eight costs segno four times the rest of
# the code (about 28 of 36 ms a slip), and every mask is valid and reads the same with a
# phone camera, since a signed link already looks random.
QR_MASK = 4
QR_BORDER = 4  # the quiet zone scanners need, in modules
_DARK_RUNS = re.compile(rb"\x01+")


def qr_path(matrix) -> str:
    """The dark modules of a QR matrix as one SVG path of horizontal strokes, one per run of
    dark modules in a row (a unit-wide line through each row's middle)."""
    parts = []
    for y, row in enumerate(matrix, start=QR_BORDER):
        x = 0  # the column where the last stroke of this row ended
        for i, run in enumerate(_DARK_RUNS.finditer(bytes(row))):
            start, width = run.start(), run.end() - run.start()
            move = f"M{start + QR_BORDER} {y}.5" if i == 0 else f"m{start - x} 0"
            parts.append(f"{move}h{width}")
            x = run.end()
    return "".join(parts)


def qr_svg(link: str) -> Markup:
    """The link as an inline SVG QR code: no script, no image request, crisp when printed.

    Error level M survives a crease or a smudge on a folded slip; the size is left to the
    stylesheet, which gives it millimetres on paper. Made afresh for each slip (a link is
    secret: nothing is kept between requests), in about a quarter of segno's default time.
    """
    code = segno.make_qr(link, error="m", mask=QR_MASK)
    size = code.symbol_size(scale=1, border=QR_BORDER)[0]
    return Markup(
        f'<svg viewBox="0 0 {size} {size}" class="qr"><path stroke="#000" '
        f'd="{qr_path(code.matrix)}"/></svg>'
    )


@bp.app_template_global("links_on_slips")
def links_on_slips() -> bool:
    """True when this service hands out links on slips instead of emailing them."""
    return config.slips_mode(current_app)


@bp.route("/games/<int:game_id>/slips")
@login_required
def hand_out(game_id: int):
    """One batch of slips (`?batch=`, in name order, or the people `?q=` finds by name): name
    outside the fold, link and QR code inside.

    Only a running game has slips; another facilitator's game, like a draft, is not found.
    """
    game = owned_game(game_id)
    if game.state != GameState.RUNNING:
        abort(404)
    shown = slip_service.slip_batch(
        game, request.args.get("batch", 1, type=int), request.args.get("q", "")
    )
    slips = [(slip, qr_svg(slip.link)) for slip in shown.slips]
    return render_template(
        "facilitator/slips.html",
        game=game,
        shown=shown,
        slips=slips,
        batch_size=slip_service.BATCH_SIZE,
    )
