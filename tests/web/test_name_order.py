"""Name lists follow the Unicode collation order: "Łukasz" among the Ls, not after "Zoë"."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import Game, Pairing, Participant
from app.services import ending, slips
from tests.helpers import login, make_facilitator, make_running_game, participants_of

PEOPLE = [
    ("Zoë Quill", "zq@example.org"),
    ("Łukasz Nowak", "ln@example.org"),
    ("Émile Roux", "er@example.org"),
    ("Lena Park", "lp@example.org"),
    ("edith Vale", "ev@example.org"),
    ("Mark Owens", "mo@example.org"),
]
IN_ORDER = ["edith Vale", "Émile Roux", "Lena Park", "Łukasz Nowak", "Mark Owens", "Zoë Quill"]


def _running(app) -> int:
    with app.app_context():
        return make_running_game(make_facilitator(), PEOPLE).id


def _guessable_by(mark) -> list[str]:
    """Everyone Mark may guess, in collation order: neither Mark nor Mark's own mortal."""
    own_mortal = db.session.execute(
        select(Participant.name)
        .join(Pairing, Pairing.mortal_id == Participant.id)
        .where(Pairing.angel_id == mark.id)
    ).scalar_one()
    return [n for n in IN_ORDER if n not in ("Mark Owens", own_mortal)]


def _order_on_page(page: str, names: list[str]) -> list[str]:
    """The names in the order the page shows them first."""
    return sorted(names, key=page.index)


def test_the_roster_on_the_game_page_is_in_collation_order(app, client):
    game_id = _running(app)
    login(client)
    page = client.get(f"/games/{game_id}").text
    assert _order_on_page(page, IN_ORDER) == IN_ORDER


def test_the_guess_list_and_the_slips_are_in_collation_order(app, client):
    game_id = _running(app)
    with app.app_context():
        game = db.session.get(Game, game_id)
        mark = next(p for p in participants_of(game) if p.name == "Mark Owens")
        guesses = [name for _, name in ending.guess_choices(mark)]
        printed = [slip.name for slip in slips.slip_batch(game).slips]
        expected = _guessable_by(mark)
    assert guesses == expected and len(expected) == 4
    assert printed == IN_ORDER


def test_the_guess_page_offers_names_in_collation_order(app, client, player):
    game_id = _running(app)
    with app.app_context():
        game = db.session.get(Game, game_id)
        mark = next(p for p in participants_of(game) if p.name == "Mark Owens")
        expected = _guessable_by(mark)
    player(mark)
    page = client.get("/me/guess").text
    options = re.findall(r"<option[^>]*>([^<]+)</option>", page)
    shown = [o.strip() for o in options if o.strip() in IN_ORDER]
    assert shown == expected
