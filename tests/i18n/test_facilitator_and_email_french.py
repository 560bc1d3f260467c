"""The organiser's pages and every email read in French when French is asked for, and in English
otherwise: no English word is left in the text the templates write, and every sentence of those
templates has a French translation in the catalogue.

What other parts write into these pages (form labels, flash messages, the layout around the
page) is translated elsewhere, so only the text these templates own is read here: the page's
<main> and <title>, without form fields, flashes and errors. People's names, addresses, the game's
name and what people wrote are left out too, since they are never translated.
"""

from __future__ import annotations

import html
import random
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from flask import render_template
from flask_babel import force_locale
from jinja2.ext import babel_extract
from sqlalchemy import select
from wtforms.fields.core import UnboundField

from app.extensions import db
from app.models import Facilitator, OutboxMessage, Participant, Report
from app.services import notes as notes_service
from app.services import periodic
from app.web.game_form import GameForm
from tests.helpers import DISTINCT_PEOPLE, login, make_game, make_world, participants_of
from tests.i18n.email_contexts import (
    GAME_NAME,
    GROUP_NAME,
    LINK,
    NAMES,
    NEW_EMAIL,
    PEOPLE_TEXTS,
    PREFERENCES,
    contexts,
)

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "app" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
OWN_TEMPLATES = sorted(
    [
        *(ROOT / "templates" / "facilitator").glob("*.html"),
        *(ROOT / "templates" / "email").glob("*"),
    ]
)

# Typical English words: none may be left in French text, and English text has them.
ENGLISH = re.compile(r"\b(the|your|games?|send|people)\b", re.IGNORECASE)
FR = {"Accept-Language": "fr"}
EN = {"Accept-Language": "en"}
GAME = "Kindness month"
NOTE = "Zorblax wibble frobnicate."
REASON = "Grumbleflux quiznak."
NEVER_TRANSLATED = [
    GAME,
    GAME_NAME,
    GROUP_NAME,
    "Angels & Mortals",
    "Fran Facilitator",
    "fran@example.org",
    NOTE,
    REASON,
    NEW_EMAIL,
    LINK,
    PREFERENCES,
    *NAMES,
    *PEOPLE_TEXTS,
    *(name for name, _ in DISTINCT_PEOPLE),
    *(email for _, email in DISTINCT_PEOPLE),
]


def _form_descriptions() -> list[str]:
    """The hints the game form's fields carry (written and translated with the form)."""
    return [
        str(value.kwargs["description"])
        for value in vars(GameForm).values()
        if isinstance(value, UnboundField) and value.kwargs.get("description")
    ]


class _OwnText(HTMLParser):
    """Collects the text and translated attributes a page's own template writes (see the
    module's docstring for what is left out)."""

    SKIPPED = {"label", "legend", "option", "datalist", "select", "textarea", "script", "style"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
    ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.in_title = False

    def _skipping(self) -> bool:
        return any(skipped for _, skipped in self.stack)

    def _inside(self, tag: str) -> bool:
        return any(t == tag for t, _ in self.stack)

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self.in_title = True
        classes = (dict(attrs).get("class") or "").split()
        skipped = tag in self.SKIPPED or "flash" in classes or "error" in classes
        # The chart's label is written by the view, an input's placeholder by its form.
        own = tag not in ("svg", "input")
        if own and self._inside("main") and not self._skipping() and not skipped:
            self.parts += [value for name, value in attrs if name in self.ATTRIBUTES and value]
        if tag not in self.VOID:
            self.stack.append((tag, skipped))

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if self.in_title or (self._inside("main") and not self._skipping()):
            self.parts.append(data)


def own_text(page: str) -> str:
    """The text of a page that its template wrote, names and people's words taken out."""
    parser = _OwnText()
    parser.feed(page)
    return without_names(" ".join(parser.parts))


def english_in(text: str) -> list[str]:
    """Each English word found, with the words around it (to say where it is)."""
    return [text[max(0, m.start() - 60) : m.end() + 30] for m in ENGLISH.finditer(text)]


def without_names(text: str) -> str:
    """The text without anything that is never translated, whitespace squeezed."""
    for fixed in sorted([*NEVER_TRANSLATED, *_form_descriptions()], key=len, reverse=True):
        text = text.replace(fixed, " ")
    return " ".join(text.split())


def email_text(body: str, is_html: bool) -> str:
    """An email's words: tags dropped and entities decoded for its HTML version."""
    if is_html:
        body = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return without_names(body)


def _report(world, angel: int) -> None:
    """A note from this angel, delivered and reported by their mortal."""
    with world.app.app_context():
        note = notes_service.send_note(
            db.session.get(Participant, angel),
            NOTE,
            now=world.drawn_at,
            rng=random.Random(3),
        )
        public_id, deliver_at = note.public_id, note.deliver_at
        periodic.tick(now=deliver_at, rng=random.Random(0))
    mortal = world.client(world.mortal_of[angel])
    mortal.post(f"/me/inbox/{public_id}/report", data={"reason": REASON})
    with world.app.app_context():
        assert db.session.execute(select(Report)).scalars().first() is not None


def facilitator_pages(app, client) -> dict[str, str]:
    """url of every organiser page (each in the state that shows most of its text) -> how to
    ask for it. Builds the games the pages show and logs `client` in."""
    world = make_world(app, DISTINCT_PEOPLE, seed=2, name=GAME)
    _report(world, sorted(world.people)[0])
    with app.app_context():
        fran = db.session.execute(select(Facilitator)).scalar_one()
        game = make_game(fran, DISTINCT_PEOPLE[:3], name=GAME_NAME)
        draft, draft_people = game.id, [p.id for p in participants_of(game)]
    assert login(client).status_code == 302
    client.post(f"/games/{draft}/ideas", data={"text": PEOPLE_TEXTS[2]})
    client.post(f"/games/{draft}/drop-offs", data={"name": PEOPLE_TEXTS[3]})
    for direction in ("both", "one"):
        client.post(
            f"/games/{draft}/exclusions",
            data={"angel": draft_people[0], "direction": direction, "mortal": draft_people[1]},
        )
    draft_person = draft_people[0]
    running, person = world.game_id, sorted(world.people)[1]
    return {
        "/login": "anonymous",
        "/signup": "anonymous",
        "/login/forgot": "anonymous",
        "/login/reset/not-a-token": "anonymous",
        "/games": "facilitator",
        "/games/new": "facilitator",
        f"/games/{draft}": "facilitator",
        f"/games/{draft}/edit": "facilitator",
        f"/games/{draft}/draw": "facilitator",
        f"/games/{draft}/delete": "facilitator",
        f"/games/{draft}/participants/{draft_person}": "facilitator",
        f"/games/{running}": "facilitator",
        f"/games/{running}/dashboard": "facilitator",
        f"/games/{running}/moderation": "facilitator",
        f"/games/{running}/slips": "facilitator",
        f"/games/{running}/end": "facilitator",
        f"/games/{running}/participants/{person}": "facilitator",
        "/account/delete": "facilitator",
    }


def _pages(app, client, headers) -> dict[str, str]:
    """Every organiser page in one language, plus the password pages reached by email and the
    page of an ended game."""
    pages = {}
    anonymous = app.test_client()
    for url, who in facilitator_pages(app, client).items():
        response = (anonymous if who == "anonymous" else client).get(url, headers=headers)
        assert response.status_code in (200, 404), (url, response.status_code)
        pages[url] = response.text
    sent = anonymous.post("/login/forgot", data={"email": "fran@example.org"}, headers=headers)
    pages["forgot sent"] = sent.text
    with app.app_context():
        mail = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.to_addr == "fran@example.org")
        ).scalar_one()
        reset = re.search(r"http://angels\.test(/login/reset/\S+)", mail.body_text).group(1)
    pages["reset"] = anonymous.get(reset, headers=headers).text
    running = next(url for url in pages if url.endswith("/end"))[: -len("/end")]
    client.post(f"{running}/end", data={"name": GAME})
    pages["ended"] = client.get(running, headers=headers).text
    return pages


def test_every_organiser_page_reads_in_french(app, client):
    """Asked in French, the organiser's pages keep no English word in their own text."""
    pages = _pages(app, client, FR)
    assert len(pages) == 21
    for url, page in pages.items():
        text = own_text(page)
        assert text, url
        assert not english_in(text), (url, english_in(text))
    assert "Tirer au sort" in own_text(pages[next(u for u in pages if u.endswith("/draw"))])
    assert "Modération" in own_text(pages["ended"])


def test_the_same_pages_stay_in_english(app, client):
    """Asked in English (the source language), the same pages are in English, as written."""
    pages = _pages(app, client, EN)
    words = set()
    for url, page in pages.items():
        found = {w.lower() for w in ENGLISH.findall(own_text(page))}
        # A few short pages happen to use none of these words.
        assert found or url in ("/login/forgot", "/login/reset/not-a-token", "reset"), url
        words |= found
    assert {"the", "your", "game", "send", "people"} <= words


def _emails(app, locale: str) -> dict[str, str]:
    """Every email template rendered in this language, each with every context it is shown
    with: "name.index.ext" -> its words."""
    rendered = {}
    with app.app_context(), force_locale(locale):
        for name, cases in contexts().items():
            for index, context in enumerate(cases):
                for ext in ("txt", "html"):
                    body = render_template(f"email/{name}.{ext}", **context)
                    rendered[f"{name}.{index}.{ext}"] = email_text(body, ext == "html")
    return rendered


def test_every_email_reads_in_french_and_in_english(app):
    """Each email, in both its versions, has no English word left in French, starts with the
    French greeting, and is unchanged English when rendered in English."""
    french, english = _emails(app, "fr"), _emails(app, "en")
    templates = {p.name.split(".")[0] for p in (ROOT / "templates" / "email").glob("[!_]*.txt")}
    assert {key.split(".")[0] for key in french} == templates
    for key, text in french.items():
        assert not english_in(text), (key, english_in(text))
        assert text.startswith("Bonjour"), key
        assert ENGLISH.findall(english[key]), key
        assert english[key].startswith("Hello"), key


def test_both_versions_of_an_email_share_their_sentences():
    """The plain-text and HTML versions of an email use the same sentences, so one translation
    serves both: what one version says, the other says too (the text version only adds the
    link's own line and leaves out the HTML's button)."""
    by_template: dict[str, dict[str, set]] = {}
    for path in (ROOT / "templates" / "email").glob("[!_]*.*"):
        name, ext = path.name.split(".")
        by_template.setdefault(name, {})[ext] = set(_msgids(path))
    for name, versions in by_template.items():
        shared = versions["txt"] & versions["html"]
        assert len(shared) >= len(versions["html"]) // 2, (name, versions)


def _msgids(path: Path) -> list:
    """The message ids a template marks for translation."""
    return [message[1] for message in extract_from_file(babel_extract, str(path))]


def _catalogue():
    with CATALOGUE.open("rb") as source:
        return read_po(source, locale="fr")


@pytest.mark.parametrize("path", OWN_TEMPLATES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sentence_of_these_templates_has_a_french_translation(path):
    """Every string the organiser's pages and the emails mark has a French translation that is
    not fuzzy, with the same placeholders (and each plural form filled)."""
    catalogue = _catalogue()
    placeholders = re.compile(r"%\(\w+\)s")
    for msgid in _msgids(path):
        entry = catalogue.get(msgid)
        assert entry is not None and not entry.fuzzy, msgid
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        source = msgid[-1] if isinstance(msgid, tuple) else msgid
        for string in strings:
            assert string, msgid
            assert set(placeholders.findall(string)) == set(placeholders.findall(source)), msgid


def test_no_count_in_these_templates_is_written_with_a_bracketed_plural():
    """Counts use real plurals: no "(s)" is left in these templates."""
    for path in OWN_TEMPLATES:
        assert "(s)" not in path.read_text(encoding="utf-8"), path
