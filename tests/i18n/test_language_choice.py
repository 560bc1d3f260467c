"""Who chooses the language of a page: a facilitator's browser until she chooses on her
account page; a participant's own choice, else their game's; the browser on public pages."""

from __future__ import annotations

import re

from sqlalchemy import event, select

from app.extensions import db
from app.mail.messages import notify
from app.models import Facilitator, Game, OutboxMessage, Participant
from app.services.rounds import release_moment
from tests.helpers import (
    logged_in_as,
    make_facilitator,
    make_running_game,
    open_as_participant,
    participants_of,
)

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.8"}


def lang_of(page) -> str:
    """The language the page declares on its <html> element."""
    found = re.search(r'<html lang="([^"]*)"', page.get_data(as_text=True))
    assert found, "the page declares no language"
    return found.group(1)


def _game(app, language: str = "en", people: int = 4):
    """A running game in `language`; returns (facilitator id, game id, participant ids)."""
    with app.app_context():
        facilitator = make_facilitator()
        game = make_running_game(facilitator, people)
        game.language = language
        db.session.commit()
        return facilitator.id, game.id, [p.id for p in participants_of(game)]


def _participant_client(app, pid: int):
    client = app.test_client()
    with app.app_context():
        assert open_as_participant(client, app, db.session.get(Participant, pid)).status_code == 302
    return client


def test_a_facilitator_follows_her_browser_until_she_chooses_on_her_account_page(app, client):
    facilitator_id, _, _ = _game(app)
    logged_in_as(client, facilitator_id)
    assert lang_of(client.get("/games", headers=FRENCH)) == "fr"
    assert lang_of(client.get("/games", headers=ENGLISH)) == "en"
    # No header at all: the source language.
    assert lang_of(client.get("/games")) == "en"

    account = client.get("/account", headers=FRENCH)
    assert account.status_code == 200 and 'name="language"' in account.text
    response = client.post("/account", data={"language": "en"}, headers=FRENCH)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Facilitator, facilitator_id).language == "en"
    # Her choice wins over the French browser, on every page of hers.
    for path in ("/games", "/account", "/games/new"):
        assert lang_of(client.get(path, headers=FRENCH)) == "en", path

    client.post("/account", data={"language": "fr"})
    assert lang_of(client.get("/games", headers=ENGLISH)) == "fr"
    # Back to "my browser's language".
    client.post("/account", data={"language": ""})
    with app.app_context():
        assert db.session.get(Facilitator, facilitator_id).language is None
    assert lang_of(client.get("/games", headers=ENGLISH)) == "en"
    assert lang_of(client.get("/games", headers=FRENCH)) == "fr"


def test_an_unknown_language_is_not_stored_for_a_facilitator(app, client):
    facilitator_id, _, _ = _game(app)
    logged_in_as(client, facilitator_id)
    page = client.post("/account", data={"language": "xx"}, headers=FRENCH)
    assert page.status_code == 200  # the form says what is wrong; nothing is kept
    with app.app_context():
        assert db.session.get(Facilitator, facilitator_id).language is None


def test_public_pages_follow_the_browser_even_for_a_facilitator_who_chose(app, client):
    facilitator_id, game_id, _ = _game(app)
    with app.app_context():
        db.session.get(Facilitator, facilitator_id).language = "en"
        public_id = db.session.get(Game, game_id).public_id
        db.session.commit()
    logged_in_as(client, facilitator_id)
    for path in ("/lost-link", f"/g/{public_id}"):
        assert lang_of(client.get(path, headers=FRENCH)) == "fr", path
        assert lang_of(client.get(path, headers=ENGLISH)) == "en", path
    anonymous = app.test_client()
    assert lang_of(anonymous.get("/lost-link", headers=FRENCH)) == "fr"
    assert lang_of(anonymous.get("/login", headers=FRENCH)) == "fr"
    # A language the service does not speak: English.
    assert lang_of(anonymous.get("/lost-link", headers={"Accept-Language": "de"})) == "en"


def test_a_participant_page_follows_the_game_until_they_switch(app):
    _, _, ids = _game(app, language="fr")
    client = _participant_client(app, ids[0])
    # Before any choice: the game's language, whatever the browser says.
    assert lang_of(client.get("/me", headers=ENGLISH)) == "fr"
    assert lang_of(client.get("/me/inbox")) == "fr"
    page = client.get("/me/hints", headers=ENGLISH).text
    assert 'action="/me/language"' in page and 'value="en"' in page

    switched = client.post("/me/language", data={"language": "en", "back": "participant.hints"})
    assert switched.status_code == 302 and switched.location.endswith("/me/hints")
    with app.app_context():
        assert db.session.get(Participant, ids[0]).language == "en"
    for path in ("/me", "/me/angel", "/me/inbox", "/me/deliveries", "/me/hints", "/me/journal"):
        assert lang_of(client.get(path, headers=FRENCH)) == "en", path
    # Another participant of the same game still follows the game.
    assert lang_of(_participant_client(app, ids[1]).get("/me", headers=ENGLISH)) == "fr"


def test_the_switcher_comes_back_to_the_page_and_tab_it_was_pressed_on(app):
    """From the smaller pages, back to them; from a refused form's own address (its text is
    not kept by a switch), back to that form's tab, which the menu shows as the current one."""
    _, _, ids = _game(app)
    client = _participant_client(app, ids[0])
    back = re.compile(r'name="back" value="([^"]*)"')
    for path in ("/me/guess", "/me/rules", "/me/leave", "/me/preferences"):
        page = client.get(path).text
        [where] = back.findall(page)
        switched = client.post("/me/language", data={"language": "en", "back": where})
        assert switched.location.endswith(path), path
    refused = client.post("/me/angel/note", data={"message": "", "when": "next"}).text
    assert back.findall(refused) == ["participant.angel"]
    current = re.findall(r'<a href="([^"]*)" aria-current="page"', refused)
    assert current == ["/me/angel"]


def test_the_switcher_refuses_a_language_it_does_not_offer_and_goes_back_only_home(app):
    _, _, ids = _game(app)
    client = _participant_client(app, ids[0])
    response = client.post("/me/language", data={"language": "xx", "back": "participant.me"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Participant, ids[0]).language is None
    # `back` names a page of theirs, never an address: anything else goes to their home page.
    for back in ("https://evil.example/", "facilitator.game_list", "participant.open_link"):
        response = client.post("/me/language", data={"language": "fr", "back": back})
        assert response.location.endswith("/me"), back


def test_a_participant_switch_applies_to_every_email_written_after_it(app):
    _, game_id, ids = _game(app, language="en")
    client = _participant_client(app, ids[0])
    client.post("/me/language", data={"language": "fr", "back": "participant.me"})
    with app.app_context():
        game = db.session.get(Game, game_id)
        switched, other = db.session.get(Participant, ids[0]), db.session.get(Participant, ids[1])
        for person in (switched, other):
            notify(person, "fresh-link", release_at=release_moment(game, "fresh-link"))
        db.session.commit()
        rows = {
            row.participant_id: row
            for row in db.session.execute(
                select(OutboxMessage).where(OutboxMessage.kind == "fresh-link")
            ).scalars()
        }
    assert rows[ids[0]].subject == "Votre lien personnel pour Kindness month"
    assert '<html lang="fr">' in rows[ids[0]].body_html
    assert rows[ids[1]].subject == "Your link for Kindness month"
    assert '<html lang="en">' in rows[ids[1]].body_html


def test_the_game_language_is_chosen_on_its_form_and_kept(app, client):
    facilitator_id, game_id, _ = _game(app)
    logged_in_as(client, facilitator_id)
    form = client.get(f"/games/{game_id}/edit", headers=ENGLISH).text
    assert 'name="language"' in form and '<option selected value="en">' in form
    with app.app_context():
        game = db.session.get(Game, game_id)
        data = {
            "name": game.name,
            "group_kind": game.group_kind,
            "group_name": game.group_name,
            "starts_on": game.starts_on.isoformat(),
            "ends_on": game.ends_on.isoformat(),
            "delivery_times": game.delivery_times,
            "delivery_days": game.delivery_days,
            "timezone": game.timezone,
            "reveal_at_end": "y",
        }
    assert client.post(f"/games/{game_id}/edit", data={**data, "language": "xx"}).status_code == 200
    with app.app_context():
        assert db.session.get(Game, game_id).language == "en"
    assert client.post(f"/games/{game_id}/edit", data={**data, "language": "fr"}).status_code == 302
    with app.app_context():
        assert db.session.get(Game, game_id).language == "fr"


def test_a_new_game_starts_in_the_language_its_organiser_reads(app, client):
    facilitator_id, _, _ = _game(app)
    logged_in_as(client, facilitator_id)
    assert '<option selected value="fr">' in client.get("/games/new", headers=FRENCH).text
    assert '<option selected value="en">' in client.get("/games/new", headers=ENGLISH).text


def test_choosing_the_language_costs_a_participant_page_no_query(app):
    """The language is read off the participant and game the guard already loaded: a page
    makes as many queries with a choice as without one, and as many in either language."""
    _, _, ids = _game(app, language="fr")
    client = _participant_client(app, ids[0])

    def queries(path: str, headers: dict) -> int:
        seen: list[str] = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get(path, headers=headers).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    before = queries("/me/hints", ENGLISH)
    client.post("/me/language", data={"language": "en", "back": "participant.me"})
    assert queries("/me/hints", FRENCH) == before
