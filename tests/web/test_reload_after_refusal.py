"""A refused form leaves the address bar on the address it was posted to. Asking that address
again (Enter in the address bar, coming back later) shows the same page, not "not allowed",
and what was typed is in the box once more, once."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from app.extensions import db
from app.models import CourierRequest, Kindness, Participant
from app.services import notes
from app.web.kept import KEPT_MAX_BYTES
from tests.helpers import login, make_facilitator, make_game, make_running_game, make_world
from tests.web.test_kindness import _delivered_note, after_release


def _textarea(page: str, name: str) -> str:
    """The text inside the textarea called `name`."""
    return page.split(f'name="{name}"', 1)[1].split(">", 1)[1].split("</textarea>", 1)[0]


def test_a_refused_roster_paste_survives_a_reload(app, client):
    """Bad lines refused, then GET of the same address: the game page, the bad lines in the
    box with their reasons; a second GET shows an empty box (kept once)."""
    with app.app_context():
        game_id = make_game(make_facilitator(), []).id
    login(client)
    url = f"/games/{game_id}/participants"
    assert client.post(url, data={"lines": "Ann Able\nnot an email"}).status_code == 400
    again = client.get(url)
    assert again.status_code == 200
    assert "Ann Able\nnot an email" in _textarea(again.text, "lines")
    assert "Line 1" in again.text and "Line 2" in again.text
    later = client.get(url)
    assert later.status_code == 200
    assert _textarea(later.text, "lines").strip() == ""
    # A paste that goes through leaves nothing to come back.
    assert client.post(url, data={"lines": "bad line"}).status_code == 400
    assert client.post(url, data={"lines": "Bo Brave <bo@example.org>"}).status_code == 302
    assert "bad line" not in client.get(url).text


def test_a_refused_late_joiner_paste_survives_a_reload(app, client):
    with app.app_context():
        game_id = make_running_game(make_facilitator(), 5).id
    login(client)
    url = f"/games/{game_id}/late-joiners"
    assert client.post(url, data={"lines": "x@\ny@"}).status_code == 400
    again = client.get(url)
    assert again.status_code == 200
    assert "x@\ny@" in _textarea(again.text, "lines")


def test_a_paste_too_long_to_keep_is_shown_by_the_refusal_only(app, client):
    """The session cookie must stay small: a long paste is not kept, the page still opens."""
    with app.app_context():
        game_id = make_game(make_facilitator(), []).id
    login(client)
    url = f"/games/{game_id}/participants"
    lines = "\n".join(f"nobody number {n}" for n in range(KEPT_MAX_BYTES // 10))
    refused = client.post(url, data={"lines": lines})
    assert refused.status_code == 400 and "nobody number 7" in refused.text
    again = client.get(url)
    assert again.status_code == 200 and "nobody number 7" not in again.text


def test_a_refused_note_survives_a_reload_and_nothing_is_sent(app):
    world = make_world(app, month_ahead=True)
    angel = next(iter(world.people))
    browser = world.client(angel)
    limit = app.config["NOTE_MAX_LENGTH"]
    typed = "You made Monday better " + "x" * limit
    assert (
        browser.post("/me/angel/note", data={"message": typed, "when": "next"}).status_code == 400
    )
    again = browser.get("/me/angel/note")
    assert again.status_code == 200
    assert typed in _textarea(again.text, "message")
    assert typed not in browser.get("/me/angel/note").text
    with app.app_context():
        assert db.session.execute(select(func.count(Kindness.id))).scalar_one() == 0


def test_a_refused_in_person_kindness_survives_a_reload(app):
    world = make_world(app, month_ahead=True)
    browser = world.client(next(iter(world.people)))
    data = {"instruction": "", "message": "Mondays are better with you", "drop_off": "0"}
    assert browser.post("/me/angel/in-person", data=data).status_code == 400
    again = browser.get("/me/angel/in-person")
    assert again.status_code == 200
    # In the in-person form's box only, not in the note's.
    assert again.text.count("Mondays are better with you") == 1
    assert "Mondays are better with you" not in browser.get("/me/angel/in-person").text


def _box(page: str, box_id: str) -> str:
    """The text inside the textarea with this id."""
    return page.split(f'id="{box_id}"', 1)[1].split(">", 1)[1].split("</textarea>", 1)[0]


def test_a_refused_form_keeps_its_text_in_its_own_box_not_the_other_forms(app):
    """The note form and the in-person form both have a `message` box: what was typed in the
    refused form is shown in that form only, and the other form's box stays empty."""
    world = make_world(app, month_ahead=True)
    browser = world.client(next(iter(world.people)))
    typed = "Un petit mot pour toi, avec le thé."
    data = {"instruction": "", "message": typed, "drop_off": "0"}
    refused = browser.post("/me/angel/in-person", data=data)
    assert refused.status_code == 400
    assert typed in _box(refused.text, "in_person_message")
    assert _box(refused.text, "message").strip() == ""
    limit = app.config["NOTE_MAX_LENGTH"]
    note = "A note too long " + "x" * limit
    refused = browser.post("/me/angel/note", data={"message": note, "when": "next"})
    assert refused.status_code == 400
    assert note in _box(refused.text, "message")
    assert _box(refused.text, "in_person_message").strip() == ""


def test_refused_thanks_and_reports_survive_a_reload_in_their_own_box(app):
    """A thank-you or report refused for its length comes back, with its reason, in the box of
    the kindness it was for, when its address is asked again; the mortal's inbox still names
    nobody."""
    world = make_world(app, month_ahead=True)
    angel = next(iter(world.people))
    mortal = world.mortal_of[angel]
    note = _delivered_note(world, angel, "A bright note")
    browser = world.client(mortal)
    for step, field, limit in (("thanks", "message", 500), ("report", "reason", 1000)):
        typed = "Thank you, truly " * (limit // 16)
        url = f"/me/inbox/{note.public_id}/{step}"
        assert browser.post(url, data={field: typed}).status_code == 400
        again = browser.get(url)
        assert again.status_code == 200
        assert typed in again.text and 'aria-invalid="true"' in again.text
        assert world.name(angel) not in again.text and world.email(angel) not in again.text
        assert typed not in browser.get(url).text


def test_a_refused_courier_report_survives_a_reload(app):
    world = make_world(app, month_ahead=True)
    angel = next(iter(world.people))
    with app.app_context():
        item = notes.request_in_person(
            db.session.get(Participant, angel), "Something odd", "", rng=random.Random(1)
        )
        offer = db.session.execute(
            select(CourierRequest).where(CourierRequest.kindness_id == item.id)
        ).scalar_one()
        courier, offer_id = offer.courier_id, offer.public_id
    too_long = "It feels unkind and pointed " * 40
    url = f"/me/deliveries/{offer_id}/report"
    with after_release():
        browser = world.client(courier)
        assert browser.post(url, data={"reason": too_long}).status_code == 400
        again = browser.get(url)
        assert again.status_code == 200 and too_long in again.text
        assert world.name(angel) not in again.text
        # The other steps stay POST only.
        assert browser.get(f"/me/deliveries/{offer_id}/accept").status_code == 405
