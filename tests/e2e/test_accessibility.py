"""Accessibility of the main pages in a real browser: axe-core finds no serious or critical
violations, at phone width (360 px) and on a laptop, in every language the service speaks
(each page declaring its language on <html>), and the pages work without JavaScript."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest

from app.extensions import db
from app.i18n import LANGUAGES
from app.models import Game, Kindness, utcnow
from app.services import journal, notes, periodic, preferences, setup
from app.tokens import participant_link_token
from tests.helpers import (
    PASSWORD,
    make_facilitator,
    make_running_game,
    pairings_of,
    participants_of,
    unavailable,
)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / "a11y"
SERIOUS = {"serious", "critical"}
PARTICIPANT_PAGES = (
    "/me",
    "/me/angel",
    "/me/inbox",
    "/me/deliveries",
    "/me/hints",
    "/me/journal",
    "/me/preferences",
    "/me/guess",
    "/me/rules",
)


@pytest.fixture
def played_game(app):
    """A running game with a delivered note, a courier request, hints and a journal entry."""
    with app.app_context():
        facilitator = make_facilitator()
        game = make_running_game(
            facilitator,
            [
                ("Amara Okafor", "amara@example.org"),
                ("Bjørn Lund", "bjorn@example.org"),
                ("Chiara Rossi", "chiara@example.org"),
                ("Dev Patel", "dev@example.org"),
            ],
            seed=3,
        )
        setup.add_drop_off(game, "Shelf by the kitchen")
        people = participants_of(game)
        pairs = pairings_of(game)
        angel = people[0]
        mortal = next(p for p in people if p.id == pairs[angel.id])
        preferences.save_hints(
            mortal,
            brightens="Jazz, rainy days and tea",
            favourite_treat="Chai latte",
            avoid="Peanuts",
            appreciated_by="A handwritten note",
        )
        past = utcnow() - timedelta(days=1)
        note = notes.send_note(
            angel, "You made my Monday!\nThank you.", now=past, rng=random.Random(1)
        )
        notes.request_in_person(
            angel, "Leave a tea bag on their desk", "Enjoy!", now=past, rng=random.Random(2)
        )
        db.session.execute(
            db.update(Kindness).where(Kindness.id == note.id).values(deliver_at=past)
        )
        db.session.commit()
        periodic.tick(utcnow())
        journal.add_journal_entry(
            mortal, past.date(), "Held the door, in secret.", "Lighter all day."
        )
        links = {p.name: participant_link_token(p.public_id, p.link_version) for p in people}
        return {"game_id": game.id, "angel": angel.name, "mortal": mortal.name, "links": links}


def _check(page, label: str, width_name: str, language: str = "en") -> list[str]:
    # Screen readers pick their voice from it: every page says which language it is in.
    assert page.locator("html").get_attribute("lang") == language, label
    # axe-core is already in the page: the context adds it to every page it loads.
    violations = page.evaluate("axe.run({resultTypes: ['violations']}).then(r => r.violations)")
    problems = [
        f"{label} ({width_name}): {v['id']} [{v['impact']}] {v['help']} — "
        f"{', '.join(str(n['target']) for n in v['nodes'][:3])}"
        for v in violations
        if v.get("impact") in SERIOUS
    ]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(
            SCREENSHOTS
            / f"{label.strip('/').replace('/', '-') or 'home'}-{width_name}-{language}.png"
        ),
        full_page=True,
    )
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_main_pages_have_no_serious_accessibility_violations(
    app, live_server, browser, played_game, language
):
    # The participants' pages follow their game's language; the facilitator's, her browser's.
    with app.app_context():
        db.session.get(Game, played_game["game_id"]).language = language
        db.session.commit()
    try:
        from axe_playwright_python.base import AXE_SCRIPT
    except ImportError:
        unavailable("the axe-playwright-python package is missing (pip install -e '.[test]')")
    problems: list[str] = []
    for width_name, viewport in (
        ("phone", {"width": 360, "height": 740}),
        ("laptop", {"width": 1280, "height": 800}),
    ):
        context = browser.new_context(
            viewport=viewport, locale=language, extra_http_headers={"Accept-Language": language}
        )
        # Once per context, not once per check: the script is half a megabyte.
        context.add_init_script(AXE_SCRIPT)
        participant = context.new_page()
        for name in (played_game["angel"], played_game["mortal"]):
            participant.goto(f"{live_server.url}/p/{played_game['links'][name]}")
            problems += _check(participant, f"{name.split()[0]}/p", width_name, language)
            with participant.expect_navigation():
                # The link page's one button ("Open my page"), found in any language.
                participant.locator("main form button").click()
            for path in PARTICIPANT_PAGES:
                participant.goto(live_server.url + path)
                assert participant.locator("h1").count() == 1, path
                problems += _check(participant, f"{name.split()[0]}{path}", width_name, language)
        facilitator = context.new_page()
        for path in ("/", "/login", "/signup", "/lost-link"):
            facilitator.goto(live_server.url + path)
            problems += _check(facilitator, path, width_name, language)
        facilitator.goto(live_server.url + "/login")
        facilitator.fill("#email", "fran@example.org")
        facilitator.fill("#password", PASSWORD)
        with facilitator.expect_navigation():
            facilitator.locator("main form button").click()
        game = played_game["game_id"]
        for path in (
            "/games",
            f"/games/{game}",
            f"/games/{game}/edit",
            f"/games/{game}/dashboard",
            f"/games/{game}/moderation",
            f"/games/{game}/slips",
            "/games/new",
            "/account",
        ):
            facilitator.goto(live_server.url + path)
            problems += _check(facilitator, path, width_name, language)
        context.close()
    assert not problems, "\n".join(problems)


def test_pages_work_without_javascript(live_server, browser, played_game):
    """Forms are plain HTML: with JavaScript off a mortal can still read and thank."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{live_server.url}/p/{played_game['links'][played_game['mortal']]}")
    page.click("button:has-text('Open my page')")  # the link's one button, no script needed
    assert page.url == live_server.url + "/me"
    page.goto(live_server.url + "/me/inbox")
    assert "You made my Monday!" in page.content()
    page.fill("textarea[name=message]", "Thank you, angel!")
    page.click("button:has-text('Send thanks')")
    assert "Your thanks is on its way" in page.content()
    context.close()
