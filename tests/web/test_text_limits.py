"""Text limits live in one table: forms and templates read it, and a game's name says its limit
and refuses a longer one instead of being cut without a word."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.domain.limits import COUNTS, LIMITS
from app.extensions import db
from app.models import DropOffPoint, Game, GameIdea
from tests.helpers import login, make_facilitator

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture
def facilitator_client(app, client):
    with app.app_context():
        make_facilitator()
    login(client)
    return client


def game_form(name: str) -> dict:
    today = date.today()
    return {
        "name": name,
        "group_kind": "team",
        "group_name": "",
        "starts_on": str(today),
        "ends_on": str(today + timedelta(days=28)),
        "welcome": "",
        "delivery_times": "09:00, 15:00",
        "timezone": "UTC",
    }


def names_of_games(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(select(Game.name)).scalars())


def test_the_name_field_carries_its_limit_and_says_it(facilitator_client):
    page = facilitator_client.get("/games/new").text
    field = re.search(r'<input[^>]*id="name"[^>]*>', page).group(0)
    assert f'maxlength="{LIMITS.game_name}"' in field
    assert f"Up to {LIMITS.game_name} characters." in page


@pytest.mark.parametrize("length", [1, LIMITS.game_name])
def test_a_name_within_the_limit_is_kept_whole(app, facilitator_client, length):
    name = ("Kindness month " * 20)[: length - 1] + "!"
    answer = facilitator_client.post("/games/new", data=game_form(name))
    assert answer.status_code == 302
    assert names_of_games(app) == [name]


@pytest.mark.parametrize("extra", [1, 200])
def test_a_longer_name_is_refused_with_the_limit_and_its_length_not_cut(
    app, facilitator_client, extra
):
    name = "K" * (LIMITS.game_name + extra)
    answer = facilitator_client.post("/games/new", data=game_form(name))
    errors = [html.unescape(e) for e in re.findall(r'id="name-err">([^<]*)<', answer.text)]
    assert errors == [
        f"A game's name can be up to {LIMITS.game_name} characters; "
        f"this one has {LIMITS.game_name + extra}."
    ]
    assert names_of_games(app) == []


def test_no_template_writes_a_limit_of_its_own():
    numbers = [
        f"{path.relative_to(TEMPLATES)}: {m.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        for m in re.finditer(r'maxlength="\d+"', path.read_text())
    ]
    assert numbers == []


def test_pages_read_the_limits_from_the_table(app):
    with app.test_request_context():
        rendered = app.jinja_env.from_string('<textarea maxlength="{{ limits.thanks }}">').render()
    assert rendered == f'<textarea maxlength="{LIMITS.thanks}">'


@pytest.mark.parametrize(
    ("kind", "path", "field", "most"),
    [
        ("pick-up spots", "drop-offs", "name", COUNTS.drop_offs),
        ("ideas of its own", "ideas", "text", COUNTS.ideas),
    ],
)
def test_a_games_lists_stop_at_their_limit_with_a_clear_message(
    app, facilitator_client, kind, path, field, most
):
    """Every Give page offers all of a game's pick-up spots and ideas: past the limit one more
    is refused, said in plain words, and removing one makes room again."""
    facilitator_client.post("/games/new", data=game_form("Listed month"))
    with app.app_context():
        game_id = db.session.scalar(select(Game.id))
    for i in range(most):
        facilitator_client.post(f"/games/{game_id}/{path}", data={field: f"Entry {i}"})
    refused = facilitator_client.post(f"/games/{game_id}/{path}", data={field: "One too many"})
    assert refused.status_code == 400
    shown = html.unescape(refused.text)
    assert f"A game can have up to {most} {kind}. Remove one first." in shown
    # Said beside the box, which keeps what was typed and takes the focus.
    box = re.search(rf'<input[^>]*name="{field}"[^>]*>', refused.text).group(0)
    assert 'value="One too many"' in box and "autofocus" in box and 'aria-invalid="true"' in box
    # Asked again at that address (Enter in the address bar): the game page, at the list.
    again = facilitator_client.get(f"/games/{game_id}/{path}")
    assert again.status_code == 302 and again.location.endswith(f"/games/{game_id}#{path}")
    model = DropOffPoint if path == "drop-offs" else GameIdea
    column = DropOffPoint.name if path == "drop-offs" else GameIdea.text
    with app.app_context():
        shown = list(db.session.execute(select(column).where(model.game_id == game_id)).scalars())
        first = db.session.scalar(select(model.id).order_by(model.id))
    assert len(shown) == most and "One too many" not in shown
    facilitator_client.post(f"/games/{game_id}/{path}/{first}/remove")
    facilitator_client.post(f"/games/{game_id}/{path}", data={field: "Room again"})
    with app.app_context():
        active = select(column).where(model.game_id == game_id)
        if model is DropOffPoint:
            active = active.where(DropOffPoint.active.is_(True))
        assert "Room again" in db.session.execute(active).scalars().all()
