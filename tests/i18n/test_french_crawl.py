"""Every page of a whole game, read in French from the first link to the reveal: the organiser's
pages (followed link by link), every participant's pages and their downloads, before and after
the end. No common English word is left in the visible text once people's names, addresses
and what they typed are taken out."""

from __future__ import annotations

import html
import re
from collections import deque

from sqlalchemy import select, update

from app.extensions import db
from app.models import Game, Participant
from app.services import ending
from tests.helpers import login, open_as_participant
from tests.web.test_crawl import A_FACILITATOR, B_DRAFT, B_FACILITATOR, _build, _same_site

FR = {"Accept-Language": "fr"}
_HREF = re.compile(r'href="([^"]*)"')
_HIDDEN = re.compile(r"<(script|style|svg|textarea)\b.*?</\1>", re.S | re.I)
# Common English words a French page has no reason to show.
ENGLISH = re.compile(
    r"\b(the|your|you|and|with|this|that|was|were|has|have|are|is|of|for|from|to|at|"
    r"sent|send|notes|game|games|people|person|round|morning|afternoon|evening|line|"
    r"given|slips?|angel|mortal|courier|kindness|thanks|report|inbox|hints|waiting|"
    r"failed|delivered|scheduled|yes|no|none|open|opened|never|day|days|week|today|yesterday)\b"
)
PARTICIPANT_PAGES = (
    "/me",
    "/me/angel",
    "/me/inbox",
    "/me/deliveries",
    "/me/hints",
    "/me/journal",
    "/me/rules",
    "/me/preferences",
    "/me/guess",
    "/me/leave",
    "/me/journal.md",
    "/me/journal.txt",
)


def visible(body: str) -> str:
    """The text a reader sees (and attributes they hear), tags taken out."""
    text = _HIDDEN.sub(" ", body)
    said = " ".join(re.findall(r'(?:aria-label|title|placeholder|alt)="([^"]*)"', text))
    text = re.sub(r"<[^>]+>", " ", text)
    return html.unescape(f"{text} {said}")


# What the crawl's world typed (in English, as people may): "Alpha shelf by the kitchen", ...
_TYPED = re.compile(r"\b(?:Alpha|Quokka)(?: [a-z]+)+")
# The time zone picker's places are the zone names' own (Isle of Man, Port of Spain).
_ZONE_OPTION = re.compile(r'<option value="[^"]*/[^"]*"[^>]*>.*?</option>', re.S)


def english_words(body: str, owned: list[str]) -> list[str]:
    """The common English words left on a page once what is never translated is taken out."""
    text = _TYPED.sub(" ", visible(_ZONE_OPTION.sub(" ", body)))
    for piece in sorted(owned, key=len, reverse=True):
        text = text.replace(piece, " ")
    return sorted(set(ENGLISH.findall(text)))


def _owned(app) -> list[str]:
    """Names, addresses, game names and typed text (the crawl's world types in English)."""
    with app.app_context():
        owned = [*db.session.execute(select(Game.name)).scalars()]
        for name, email in db.session.execute(select(Participant.name, Participant.email)):
            owned += [name, email]
    return [*owned, *A_FACILITATOR, "Alpha", "Quokka", "Angels & Mortals", "tea", "Kindness month"]


def _organiser_pages(app) -> dict[str, str]:
    client = app.test_client()
    login(client, A_FACILITATOR[1])
    seen: dict[str, str] = {}
    queue = deque(["/games"])
    while queue and len(seen) < 200:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url, headers=FR)
        seen[url] = response.get_data(as_text=True) if response.status_code == 200 else ""
        for link in _HREF.findall(seen[url]):
            target = _same_site(url, link)
            if target and target not in seen and "/dev/" not in target:
                queue.append(target)
    return seen


def _participant_pages(app) -> dict[str, str]:
    seen = {}
    with app.app_context():
        people = db.session.execute(select(Participant).order_by(Participant.id)).scalars().all()
        people = [p for p in people if p.game.name == "Kindness month"]
    for person in people:
        client = app.test_client()
        with app.app_context():
            open_as_participant(client, app, db.session.merge(person))
        for url in PARTICIPANT_PAGES:
            response = client.get(url)  # the browser asks for nothing: the game's language
            if response.status_code == 200:
                seen[f"{person.name} {url}"] = response.get_data(as_text=True)
    return seen


def test_a_whole_game_reads_in_french(app):
    _build(app, seed=1)
    with app.app_context():
        db.session.execute(update(Game).values(language="fr"))
        db.session.commit()
    owned = _owned(app)
    found = {}
    for stage in ("running", "ended"):
        if stage == "ended":
            with app.app_context():
                game = db.session.execute(select(Game).where(Game.name == "Kindness month"))
                ending.end_game(game.scalar_one())
        organiser, participant = _organiser_pages(app), _participant_pages(app)
        assert {"/games/1/dashboard.csv", "/games/1/moderation"} <= set(organiser)
        assert len(participant) >= 6 * 10
        assert all(
            '<html lang="fr">' in page for url, page in organiser.items() if page and "." not in url
        )
        pages = {**organiser, **participant}
        for url, body in pages.items():
            words = english_words(body, owned)
            if words:
                found[f"{stage} {url}"] = words
    assert not found, "\n".join(f"{url}: {words}" for url, words in found.items())


def test_roster_problems_name_their_line_in_french(app):
    _build(app, seed=1)
    client = app.test_client()
    login(client, B_FACILITATOR[1])
    with app.app_context():
        draft = db.session.execute(select(Game.id).where(Game.name == B_DRAFT)).scalar_one()
    response = client.post(
        f"/games/{draft}/participants",
        data={"lines": "Ann <ann@example.org>\nnot a person at all"},
        headers=FR,
    )
    text = " ".join(visible(response.get_data(as_text=True)).split())
    assert "Ligne 2 : not a person at all —" in text
    assert not re.search(r"\bLine \d", text)
