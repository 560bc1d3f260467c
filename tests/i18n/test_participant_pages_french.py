"""Every page a participant, a visitor or a lost link meets reads in French when the browser
asks for French, and in English when it asks for English.

One running game is filled with what makes each page show most of its text (notes sent and
received, an in-person kindness waiting at a pick-up spot, a courier offer accepted, a question,
a journal entry), then each page is fetched twice, with `Accept-Language: fr` and `en`. The
visible text (tags dropped, plus the words people hear from aria-label, title, alt and
placeholder) is searched for common English words once the world's own names, addresses and
texts are taken out: with French none may be left, with English they must be there (so the
search itself is shown to work on that very page).

Text written by the Python code (form labels, service messages) is its own catalogue's work:
it is taken out too, read from the forms and services themselves, so this test holds the
templates alone.
"""

from __future__ import annotations

import html
import random
import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from flask import render_template
from flask_wtf import FlaskForm
from sqlalchemy import select, update

from app.extensions import db
from app.models import (
    CourierRequest,
    DropOffPoint,
    Game,
    JournalEntry,
    Kindness,
    KindnessKind,
    KindnessState,
    Participant,
    Report,
    utcnow,
)
from app.services import ending, moderation, participants, setup
from app.tokens import PREFERENCES_LINK_SALT, participant_link_token
from app.web import errors, forms
from tests.helpers import World, make_world

FRENCH = {"Accept-Language": "fr"}
ENGLISH = {"Accept-Language": "en"}
# Words any English page is full of and no French sentence uses as a word of its own.
ENGLISH_WORDS = ("the", "your", "you", "and", "Send", "Inbox", "Home", "note", "with", "this")
_WORD = re.compile(r"\b(" + "|".join(ENGLISH_WORDS) + r")\b")
_SPOKEN_ATTRIBUTE = re.compile(r'\b(?:aria-label|title|alt|placeholder)="([^"]*)"')
_HIDDEN_BLOCKS = re.compile(r"<(script|style|head)\b.*?</\1>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")

# What people of the world type, and the product's own name: never translated.
TYPED = (
    "Zaza lulu mimi",
    "Qix pompom",
    "Yuzu glou",
    "Kiki koko",
    "Lala lili",
    "Shelf K7",
    "Be kind!",
    "Angels & Mortals",
    "Kindness month",
)


def visible_text(page: str) -> str:
    """What a person reads or hears on a page: text between tags, and the spoken attributes."""
    spoken = " ".join(_SPOKEN_ATTRIBUTE.findall(page))
    body = _TAG.sub(" ", _HIDDEN_BLOCKS.sub(" ", page))
    return " ".join(html.unescape(f"{body} {spoken}").split())


def _form_texts() -> set[str]:
    """Every label, description and choice the form classes write (in English)."""
    found: set[str] = set()
    for form_class in vars(forms).values():
        if not (isinstance(form_class, type) and issubclass(form_class, FlaskForm)):
            continue
        for field in form_class(meta={"csrf": False}):
            found.add(str(field.label.text))
            if field.description:
                found.add(str(field.description))
            found |= {str(v) for k, v in (field.render_kw or {}).items() if k == "placeholder"}
            for choice in getattr(field, "choices", None) or ():
                label = getattr(choice, "label", None)
                if label is None and isinstance(choice, tuple | list) and len(choice) > 1:
                    label = choice[1]
                if label is not None:
                    found.add(str(label))
    return {text for text in found if text}


def python_texts(app, world: World) -> list[str]:
    """Text the pages show that the Python code writes, longest first: form labels, error
    titles, the round a note arrives in, the line about when a page was first opened, the
    ideas and the statuses' own words."""
    with app.test_request_context("/", headers=ENGLISH):
        found = _form_texts()
        # Once the error handlers speak French these are no longer on a French page at all.
        for title, text in getattr(errors, "MESSAGES", {}).values():
            found |= {str(title), str(text)}
        found |= {
            label for label in db.session.execute(select(Kindness.round_label)).scalars() if label
        }
        for pid in world.ids:
            line = participants.first_opened(db.session.get(Participant, pid))
            if line:
                found.add(str(line))
        found |= {idea.text for idea in setup.ideas_of(db.session.get(Game, world.game_id))}
    return sorted(found | set(TYPED), key=len, reverse=True)


def without(text: str, world: World, owned: list[str]) -> str:
    """The page's text without the world's names, addresses and the Python code's own text."""
    for person in world.people.values():
        owned = [person.name, person.email, *owned]
    for piece in sorted(owned, key=len, reverse=True):
        text = text.replace(piece, " ")
    return text


def english_words(page: str, world: World, owned: list[str]) -> list[str]:
    """The common English words left on a page once the world's own text is taken out."""
    return sorted(set(_WORD.findall(without(visible_text(page), world, owned))))


def _courier_request(app) -> CourierRequest:
    """The one courier request of the world (its in-person kindness without a pick-up spot)."""
    with app.app_context():
        return db.session.execute(select(CourierRequest)).scalar_one()


@pytest.fixture
def world(app):
    """A running game in which every participant page has something to show."""
    world = make_world(app, month_ahead=True)
    angel = world.ids[0]
    mortal = world.mortal_of[angel]
    with app.app_context():
        game = db.session.get(Game, world.game_id)
        game.allow_self_join = True
        setup.add_drop_off(game, "Shelf K7")
        spot = db.session.execute(select(DropOffPoint.id)).scalar_one()
        now = utcnow()
        db.session.add(
            Kindness(
                game_id=world.game_id,
                angel_id=angel,
                mortal_id=mortal,
                kind=KindnessKind.NOTE,
                message="Zaza lulu mimi",
                state=KindnessState.DELIVERED,
                round_label="Lun 7 déc",
                deliver_at=now - timedelta(hours=2),
                delivered_at=now - timedelta(hours=2),
                created_at=now - timedelta(hours=3),
            )
        )
        db.session.add(JournalEntry(participant_id=mortal, day=date.today(), did="Kiki koko"))
        db.session.commit()
    angel_client = world.client(angel)
    sent = [
        angel_client.post("/me/angel/note", data={"message": "Qix pompom", "when": "next"}),
        angel_client.post(
            "/me/angel/in-person",
            data={"instruction": "Yuzu glou", "message": "Lala lili", "drop_off": str(spot)},
        ),
        angel_client.post("/me/angel/in-person", data={"instruction": "Yuzu glou"}),
        world.client(mortal).post("/me/inbox/ask", data={"text": "Lala lili"}),
    ]
    assert [response.status_code for response in sent] == [302] * 4
    for pid in world.ids:  # the flashed confirmations are the services' words: read them now
        world.client(pid).get("/me/hints")
    world.angel, world.mortal = angel, mortal
    return world


def _game_speaks(app, language: str) -> None:
    """Every game's language (the language of participants who have not chosen one)."""
    with app.app_context():
        db.session.execute(update(Game).values(language=language))
        db.session.commit()


def _both(client, path: str, method: str = "get") -> tuple[str, str]:
    """A page in French, then the same page in English: the browser asks for the language
    (public pages follow it) and the game speaks it (participants who have not chosen follow
    their game)."""
    pages = []
    for headers in (FRENCH, ENGLISH):
        _game_speaks(client.application, headers["Accept-Language"])
        response = getattr(client, method)(path, headers=headers)
        assert response.status_code < 500, (path, response.status_code)
        pages.append(response.text)
    return pages[0], pages[1]


def assert_french(world: World, owned: list[str], name: str, french: str, english: str):
    """No English word is left in French, and the English page shows them."""
    assert english_words(french, world, owned) == [], (name, visible_text(french))
    assert english_words(english, world, owned), (name, visible_text(english))


PARTICIPANT_PAGES = (
    "/me",
    "/me/angel",
    "/me/inbox",
    "/me/deliveries",
    "/me/hints",
    "/me/journal",
    "/me/rules",
    "/me/guess",
    "/me/preferences",
    "/me/leave",
)


def test_every_participant_page_is_french_for_a_french_browser(app, world):
    """Home, Give, Inbox, Deliver, Hints, Journal and the smaller pages, for the angel, their
    mortal and the courier (before and after accepting, inside the release round)."""
    offer = _courier_request(app)
    owned = python_texts(app, world)
    with time_machine.travel(offer.released_at + timedelta(minutes=1), tick=False):
        courier = world.client(offer.courier_id)
        assert_french(world, owned, "offered", *_both(courier, "/me/deliveries"))
        assert courier.post(f"/me/deliveries/{offer.public_id}/accept").status_code == 302
        courier.get("/me/hints")
        assert_french(world, owned, "accepted", *_both(courier, "/me/deliveries"))
        for pid in {world.angel, world.mortal}:
            for path in PARTICIPANT_PAGES:
                assert_french(world, owned, (pid, path), *_both(world.client(pid), path))


def test_link_pages_public_pages_and_errors_are_french(app, world):
    """The link's button page, the preferences link, logging out, the public game page, the
    lost-link page, the start page, a page that does not exist and a link that does not open."""
    owned = python_texts(app, world)
    person = world.people[world.angel]
    with app.app_context():
        token = participant_link_token(person.public_id, person.link_version)
        prefs = participant_link_token(person.public_id, person.link_version, PREFERENCES_LINK_SALT)
        public_id = db.session.get(Game, world.game_id).public_id
    visitor = app.test_client()
    for path in (f"/p/{token}", f"/prefs/{prefs}", f"/g/{public_id}", "/lost-link", "/"):
        assert_french(world, owned, path, *_both(visitor, path))
    for path in ("/no/such/page", "/p/not-a-link", "/me"):
        french, english = _both(visitor, path)
        assert_french(world, owned, path, french, english)
    leaving = app.test_client()
    assert leaving.post(f"/p/{token}").status_code == 302
    _game_speaks(app, "fr")
    french = leaving.post("/me/logout", headers=FRENCH).text
    assert english_words(french, world, owned) == [], visible_text(french)
    assert english_words(visitor.post("/me/logout", headers=ENGLISH).text, world, owned)
    mortal = world.client(world.mortal)
    _game_speaks(app, "fr")
    french = mortal.post("/me/sign-out-everywhere", headers=FRENCH).text
    assert english_words(french, world, owned) == [], visible_text(french)


@pytest.mark.parametrize(
    ("template", "context"),
    [
        ("participant/left.html", {"game": SimpleNamespace(name="Kindness month")}),
        ("participant/game_deleted.html", {}),
        ("errors/busy.html", {"fields": [("message", "Zaza lulu mimi")], "dropped": True}),
        ("errors/error.html", {"code": 404, "title": "", "text": ""}),
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_pages_shown_after_an_action_are_french(app, world, template, context, method):
    """Pages only reached once something happened (leaving, a deleted game, a busy database):
    rendered as their views render them, in both languages."""
    owned = python_texts(app, world)
    pages = []
    for headers in (FRENCH, ENGLISH):
        with app.test_request_context("/me/angel/note", method=method, headers=headers):
            pages.append(render_template(template, **context))
    assert_french(world, owned, template, *pages)


def test_the_development_outbox_is_french(app, world):
    """The development outbox and one of its messages (addresses and subjects stay as sent)."""
    owned = python_texts(app, world)
    message = SimpleNamespace(
        id=7,
        to_addr=world.email(world.angel),
        subject="Kiki koko",
        status="sent",
        message_id="<m7@angels.test>",
        body_text="Lala lili http://angels.test/p/x",
    )
    for template, context in (
        ("dev/outbox.html", {"messages": [message]}),
        ("dev/outbox.html", {"messages": []}),
        ("dev/message.html", {"message": message}),
    ):
        pages = []
        for headers in (FRENCH, ENGLISH):
            with app.test_request_context("/outbox", headers=headers):
                pages.append(render_template(template, **context))
        french, english = pages
        assert english_words(french, world, owned) == [], (template, visible_text(french))
        assert "Outbox" in visible_text(english) and "Boîte d'envoi" in visible_text(french)


def test_a_muted_angel_a_reporter_and_an_ended_game_read_in_french(app, world):
    """The organiser's decisions as the angel and the reporter see them, then the reveal and
    the pages of an ended game."""
    mortal = world.client(world.mortal)
    with app.app_context():
        note = db.session.execute(
            select(Kindness).where(Kindness.state == KindnessState.DELIVERED)
        ).scalar_one()
        public_id = note.public_id
    reported = mortal.post(f"/me/inbox/{public_id}/report", data={"reason": "Kiki koko"})
    assert reported.status_code == 302
    mortal.get("/me/hints")  # the flashed thanks is the service's sentence
    with app.app_context():
        game = db.session.get(Game, world.game_id)
        report_id = db.session.execute(select(Report.id)).scalar_one()
        moderation.act(game, report_id, "mute")
    owned = python_texts(app, world)
    with time_machine.travel(utcnow() + timedelta(days=2), tick=False):
        with app.app_context():
            owned += [
                o.words for o in moderation.outcomes_for(db.session.get(Participant, world.mortal))
            ]
        for pid in (world.angel, world.mortal):
            for path in ("/me", "/me/angel", "/me/inbox"):
                assert_french(world, owned, (pid, path), *_both(world.client(pid), path))
        with app.app_context():
            ending.end_game(db.session.get(Game, world.game_id), random.Random(3))
        for pid in (world.angel, world.mortal):
            for path in ("/me", "/me/angel", "/me/guess", "/me/inbox"):
                assert_french(world, owned, ("ended", pid, path), *_both(world.client(pid), path))
