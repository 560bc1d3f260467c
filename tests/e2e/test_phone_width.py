"""On a phone (360 px wide) no page scrolls sideways and the participant's tabs stay on one line.

Long email addresses in the roster, the game's public link and an email in the outbox are the
things that used to widen pages; a courier's accepted delivery shows numbered steps without the
angel's private message; the note box counts what is left, in the page's language, and stops
at the limit.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CourierRequest, Game, Kindness, OutboxMessage, utcnow
from app.services import couriers, notes, setup
from app.tokens import participant_link_token
from tests.helpers import PASSWORD, make_facilitator, make_running_game, participants_of

PHONE = {"width": 360, "height": 740}
LONG = "alexandra.konstantinopoulou-vandenberghe@department-of-kindness.example.org"
SECRET_MESSAGE = "Only for your eyes, Bo"

# The number of distinct rows the participant's tabs sit on.
TAB_ROWS = """() => new Set([...document.querySelectorAll('nav.tabs a')]
    .map(a => Math.round(a.getBoundingClientRect().top))).size"""
WIDTH = "document.documentElement.scrollWidth"


@pytest.fixture
def phone_game(app):
    """A running, self-join game with a very long address, and one accepted courier delivery."""
    with app.app_context():
        game = make_running_game(
            make_facilitator(),
            [
                ("Alexandra Konstantinopoulou", LONG),
                ("Bo Li", "bo@example.org"),
                ("Chiara Rossi", "chiara@example.org"),
                ("Dev Patel", "dev@example.org"),
            ],
            seed=5,
        )
        db.session.execute(db.update(Game).where(Game.id == game.id).values(allow_self_join=True))
        db.session.commit()
        setup.add_drop_off(game, "Shelf by the kitchen")
        people = participants_of(game)
        angel = people[0]
        item = notes.request_in_person(
            angel,
            "Leave the card on their desk",
            SECRET_MESSAGE,
            setup.drop_off_points(game)[0].id,
            rng=random.Random(3),
        )
        notes.mark_left(angel, item.public_id, rng=random.Random(4))
        offer = db.session.execute(
            select(CourierRequest).where(CourierRequest.kindness_id == item.id)
        ).scalar_one()
        now = utcnow()
        # Released an hour ago, so the courier sees it now (rounds are tested elsewhere).
        db.session.execute(
            db.update(CourierRequest)
            .where(CourierRequest.id == offer.id)
            .values(released_at=now - timedelta(hours=1), expires_at=now + timedelta(hours=23))
        )
        db.session.commit()
        courier = next(p for p in people if p.id == offer.courier_id)
        couriers.accept(courier, offer.public_id)
        message_id = db.session.execute(
            select(OutboxMessage.id)
            .where(OutboxMessage.to_addr == LONG)
            .order_by(OutboxMessage.id)
            .limit(1)
        ).scalar_one()
        code = db.session.get(Kindness, item.id).claim_code
        return {
            "game_id": game.id,
            "message_id": message_id,
            "code": code,
            "courier": participant_link_token(courier.public_id, courier.link_version),
            "angel": participant_link_token(angel.public_id, angel.link_version),
        }


def _open(page, base: str, token: str) -> None:
    page.goto(f"{base}/p/{token}")
    with page.expect_navigation():
        page.get_by_role("button", name="Open my page").click()


def _give_page(browser, base: str, token: str, **options):
    """A phone that opened this angel's link and is on their Give page: (context, page)."""
    context = browser.new_context(viewport=PHONE, **options)
    page = context.new_page()
    _open(page, base, token)
    page.goto(base + "/me/angel")
    return context, page


def test_no_page_scrolls_sideways_at_360_px_and_tabs_stay_on_one_line(
    live_server, browser, phone_game
):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    wide: list[str] = []

    def measure(path: str) -> None:
        page.goto(live_server.url + path)
        width = page.evaluate(WIDTH)
        if width > PHONE["width"]:
            wide.append(f"{path}: {width} px")

    page.goto(live_server.url + "/login")
    page.fill("#email", "fran@example.org")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main button:has-text('Log in')")
    game = phone_game["game_id"]
    measure(f"/games/{game}")
    # The roster's long address and the public join link are on the page that was measured.
    assert LONG in page.content() and "/g/" in page.content()
    # One divider per person: every row of the roster is exactly as wide as the table.
    widths = page.evaluate(
        "() => [...document.querySelectorAll('table.roster tbody tr')]"
        ".map(r => Math.round(r.getBoundingClientRect().width))"
    )
    assert len(widths) == 4 and len(set(widths)) == 1, widths
    # The address breaks only where it must: on its own line, in at most two pieces.
    email_height = page.evaluate(
        "() => [...document.querySelectorAll('table.roster td.email')]"
        ".map(td => td.getBoundingClientRect().height"
        " / parseFloat(getComputedStyle(td).lineHeight))"
    )
    assert max(email_height) <= 3.5 and min(email_height) <= 1.5, email_height
    measure("/dev/outbox")
    measure(f"/dev/outbox/{phone_game['message_id']}")

    participant = context.new_page()
    _open(participant, live_server.url, phone_game["courier"])
    for path in ("/me", "/me/angel", "/me/inbox", "/me/deliveries", "/me/hints", "/me/journal"):
        participant.goto(live_server.url + path)
        width = participant.evaluate(WIDTH)
        if width > PHONE["width"]:
            wide.append(f"{path}: {width} px")
        assert participant.evaluate(TAB_ROWS) == 1, f"{path}: the tabs wrap"
    context.close()
    assert not wide, wide


def test_an_accepted_delivery_is_numbered_steps_without_the_angels_message(
    live_server, browser, phone_game
):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    _open(page, live_server.url, phone_game["courier"])
    page.goto(live_server.url + "/me/deliveries")
    steps = page.locator("ol.steps li").all_inner_texts()
    assert len(steps) == 4, steps
    assert "Shelf by the kitchen" in steps[0] and phone_game["code"] in steps[0]
    assert "Leave the card on their desk" in steps[1]
    assert SECRET_MESSAGE not in page.content()
    context.close()


def test_the_note_box_counts_down_stops_at_the_limit_and_is_empty_once_sent(
    live_server, browser, phone_game, app
):
    limit = app.config["NOTE_MAX_LENGTH"]
    context, page = _give_page(browser, live_server.url, phone_game["angel"])
    box = page.get_by_label("Your note")
    assert box.get_attribute("maxlength") == str(limit)
    box.fill("Hello")
    assert page.locator("#note-count").inner_text() == f"{limit - 5} characters left"
    box.fill("x" * (limit + 50))
    assert len(box.input_value()) == limit
    box.fill("You brighten every Monday.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send note").click()
    assert "Your note is on its way" in page.content()
    assert page.get_by_label("Your note").input_value() == ""
    # Back returns to the page the note was typed on: the box comes back empty.
    page.go_back()
    assert page.get_by_label("Your note").input_value() == ""
    context.close()


def test_the_note_box_counts_in_the_pages_language(live_server, browser, phone_game, app):
    limit = app.config["NOTE_MAX_LENGTH"]
    context, page = _give_page(browser, live_server.url, phone_game["angel"])
    with page.expect_navigation():
        page.locator("button[name=language][value=fr]").click()
    page.goto(live_server.url + "/me/angel")
    box = page.get_by_label("Votre mot")
    box.fill("Bonjour")
    assert page.locator("#note-count").inner_text() == f"{limit - 7} caractères restants"
    box.fill("x" * (limit - 1))
    assert page.locator("#note-count").inner_text() == "1 caractère restant"
    context.close()


def test_using_an_idea_keeps_a_half_written_note_unless_the_angel_agrees(
    live_server, browser, phone_game
):
    context, page = _give_page(browser, live_server.url, phone_game["angel"])
    idea = page.locator("a[data-idea-box]")
    box = page.locator("#" + idea.get_attribute("data-idea-box"))
    text = idea.get_attribute("data-idea-text")
    box.fill("Half a note I am still writing")
    page.once("dialog", lambda dialog: dialog.dismiss())
    idea.click()
    assert box.input_value() == "Half a note I am still writing"
    assert page.url.endswith("/me/angel")  # no reload
    page.once("dialog", lambda dialog: dialog.accept())
    idea.click()
    assert box.input_value() == text
    box.fill("")
    idea.click()  # nothing typed: no question asked
    assert box.input_value() == text
    context.close()


def test_the_note_box_works_without_javascript(live_server, browser, phone_game, app):
    context, page = _give_page(
        browser, live_server.url, phone_game["angel"], java_script_enabled=False
    )
    assert page.locator("#note-count").is_hidden()
    page.get_by_label("Your note").fill("Sent without any script.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send note").click()
    assert "Your note is on its way" in page.content()
    context.close()
