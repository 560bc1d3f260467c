"""The participant's private link and page."""

from __future__ import annotations

from app.extensions import db
from app.models import Game, Participant
from app.services.circle import resend_invitation
from tests.helpers import (
    make_facilitator,
    make_running_game,
    open_as_participant,
    pairings_of,
    reset_database,
)


def _game(app, people=4):
    with app.app_context():
        game = make_running_game(make_facilitator(), people, welcome="Small things count.")
        people = {
            p.id: p
            for p in db.session.execute(
                db.select(Participant).where(Participant.game_id == game.id)
            ).scalars()
        }
        for p in people.values():
            db.session.expunge(p)
        return game.id, people, pairings_of(game)


def test_link_becomes_a_session_and_a_clean_url(app, client, player):
    game_id, people, pairs = _game(app)
    angel = next(iter(people.values()))
    response = player(angel)
    assert response.status_code == 302 and response.location == "/me"
    page = client.get("/me")
    assert page.status_code == 200
    assert f"Hello, {angel.name}" in page.text
    assert people[pairs[angel.id]].name in page.text
    assert "Small things count." in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "same-origin"


def test_opening_twice_is_harmless_and_first_open_is_kept(app, player):
    _, people, _ = _game(app)
    angel = next(iter(people.values()))
    player(angel)
    with app.app_context():
        first = db.session.get(Participant, angel.id).first_opened_at
    assert first is not None
    again = open_as_participant(app.test_client(), app, angel)
    assert again.status_code == 302
    with app.app_context():
        assert db.session.get(Participant, angel.id).first_opened_at == first


def test_revoked_link_and_its_session_stop_working(app, client):
    _, people, _ = _game(app)
    angel = next(iter(people.values()))
    open_as_participant(client, app, angel)
    with app.app_context():
        # The facilitator re-sends the invitation: the old link and whoever used it are out.
        person = db.session.get(Participant, angel.id)
        resend_invitation(person.game, person, person.name, person.email)
    page = client.get("/me")
    assert page.status_code == 404 and "link doesn" in page.text
    old = open_as_participant(app.test_client(), app, angel)
    assert old.status_code == 404 and "link doesn" in old.text
    with app.app_context():
        renewed = db.session.get(Participant, angel.id)
        assert open_as_participant(app.test_client(), app, renewed).status_code == 302


def test_expired_and_tampered_links_get_the_friendly_page(app_config):
    from app import create_app

    app = create_app({**app_config, "PARTICIPANT_LINK_MAX_AGE": -1})
    reset_database(app)
    _, people, _ = _game(app)
    angel = next(iter(people.values()))
    expired = open_as_participant(app.test_client(), app, angel)
    assert expired.status_code == 404 and "link doesn" in expired.text
    tampered = app.test_client().get("/p/eyJwIjoiYWJjIiwidiI6MX0.abc.def")
    assert tampered.status_code == 404 and tampered.text == expired.text
    assert "Traceback" not in tampered.text


def test_me_without_a_session_is_friendly(client):
    response = client.get("/me")
    assert response.status_code == 404 and "link doesn" in response.text


def test_logout_ends_the_session(app, client):
    _, people, _ = _game(app)
    open_as_participant(client, app, next(iter(people.values())))
    assert client.get("/me").status_code == 200
    assert "logged out" in client.post("/me/logout").text
    assert client.get("/me").status_code == 404


def test_logging_out_is_said_in_the_language_one_chose(app, client):
    """An English browser whose player chose French is told in French: the page is the last
    one of their session."""
    _, people, _ = _game(app)
    open_as_participant(client, app, next(iter(people.values())))
    client.post("/me/language", data={"language": "fr"})
    out = client.post("/me/logout", headers={"Accept-Language": "en"}).text
    assert '<html lang="fr">' in out and "logged out" not in out


def test_facilitator_playing_has_an_ordinary_link(app, client):
    with app.app_context():
        fran = make_facilitator()
        game = make_running_game(
            fran,
            [
                ("Fran Facilitator", "fran@example.org"),
                ("Ann", "ann@example.org"),
                ("Ben", "ben@example.org"),
            ],
        )
        me = db.session.execute(
            db.select(Participant).where(
                Participant.game_id == game.id, Participant.email_key == "fran@example.org"
            )
        ).scalar_one()
        db.session.expunge(me)
        game_page_before = db.session.get(Game, game.id).state
    assert game_page_before == "running"
    open_as_participant(client, app, me)
    assert "You are the angel of" in client.get("/me").text
