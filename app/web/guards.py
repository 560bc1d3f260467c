"""Who may open a page: the policy that guards many routes, written once.

A facilitator is loaded by Flask-Login and sees only her own games (`owned_game`); a
participant is the one whose server-side session this browser holds (`participant_required`).
"""

from __future__ import annotations

from functools import wraps

from flask import abort, g, render_template, session
from flask_login import current_user

from app.extensions import db, login_manager
from app.models import Facilitator, Game
from app.services import games, pages, questions

# Where the participant's session lives in the signed cookie: its public id and secret.
SESSION_KEY = "participant"


@login_manager.user_loader
def load_facilitator(user_id: str) -> Facilitator | None:
    """The facilitator a login cookie names, or None for a malformed or deleted account."""
    return db.session.get(Facilitator, int(user_id)) if user_id.isdigit() else None


def owned_game(game_id: int) -> Game:
    """The current facilitator's game, or 404 — another facilitator's game does not exist here."""
    game = games.game_for(current_user, game_id)
    if game is None:
        abort(404)
    return game


def bad_link():
    """The friendly page for a link or session that opens nothing (404)."""
    return render_template("participant/bad_link.html"), 404


def participant_required(
    view=None, *, choices: bool = False, counts: bool = False, asked: bool = False
):
    """Load the session's participant into g.me (and the page's visit, see `pages.Visit`, into
    g.visit), or show the friendly bad-link page. `choices=True` also reads the game's
    drop-off points and ideas in the same query, for pages that offer them; `counts=True` the
    home page's counts; `asked=True` the mortal's latest questions to their angel.

    The session must still exist on the server: logging out, "sign out everywhere" and the
    facilitator's revocation delete it, so a replayed cookie opens nothing.
    """
    if view is None:
        return lambda view: participant_required(view, choices=choices, counts=counts, asked=asked)

    @wraps(view)
    def wrapper(*args, **kwargs):
        data = session.get(SESSION_KEY)
        data = data if isinstance(data, dict) else {}
        g.visit = pages.visit_for_session(
            data.get("id"),
            data.get("s"),
            choices=choices,
            counts=counts,
            asked=questions.asked_rows() if asked else 0,
        )
        if g.visit is None:
            session.pop(SESSION_KEY, None)
            return bad_link()
        g.me = g.visit.me
        try:
            return view(*args, **kwargs)
        except LookupError:
            abort(404)  # another participant's kindness or request is not there for you

    return wrapper
