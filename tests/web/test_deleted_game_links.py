"""A link from a deleted game says so; every other link that opens nothing keeps the one
bad-link page, word for word."""

from __future__ import annotations

import string

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import Game
from app.services import ending
from app.tokens import PREFERENCES_LINK_SALT, participant_link_token
from tests.helpers import make_world

DELETED = "This game was deleted by its organiser"
BAD = "Open your page with your private link"


def _deleted_world(app):
    world = make_world(app, 4)
    with app.app_context():
        tokens = {
            pid: participant_link_token(p.public_id, p.link_version)
            for pid, p in world.people.items()
        }
        prefs = {
            pid: participant_link_token(p.public_id, p.link_version, PREFERENCES_LINK_SALT)
            for pid, p in world.people.items()
        }
        ending.end_game(db.session.get(Game, world.game_id))
        ending.delete_game(db.session.get(Game, world.game_id))
    return world, tokens, prefs


def test_a_deleted_games_links_say_it_was_deleted(app, client):
    _, tokens, prefs = _deleted_world(app)
    for token in tokens.values():
        for response in (client.get(f"/p/{token}"), client.post(f"/p/{token}")):
            assert response.status_code == 410
            assert DELETED in response.text and BAD not in response.text
    for token in prefs.values():
        response = client.get(f"/prefs/{token}")
        assert response.status_code == 410 and DELETED in response.text


def test_tampered_links_and_dead_sessions_keep_the_bad_link_page(app, client):
    world, tokens, _ = _deleted_world(app)
    reference = client.get("/p/not-a-token")
    assert reference.status_code == 404 and BAD in reference.text
    token = next(iter(tokens.values()))
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert client.get(f"/p/{tampered}").text == reference.text
    # A browser that had a session in the deleted game sees the bad-link page, unchanged.
    pid = world.ids[0]
    with app.test_client() as other:
        with other.session_transaction() as session:
            session["participant"] = {"id": world.people[pid].public_id, "s": "x"}
        page = other.get("/me")
        assert DELETED not in page.text


def test_a_live_games_old_link_is_a_bad_link_not_a_deleted_game(app, client):
    world = make_world(app, 4)
    with app.app_context():
        person = world.people[world.ids[0]]
        old = participant_link_token(person.public_id, person.link_version + 5)
    response = client.get(f"/p/{old}")
    assert response.status_code == 404 and DELETED not in response.text


def test_no_altered_link_of_a_deleted_game_reads_as_deleted(app, client):
    """Only a link we signed reaches the deleted-game page: any change to a deleted game's
    link (its signed part) gives the bad-link page, word for word."""
    _, tokens, _ = _deleted_world(app)
    token = next(iter(tokens.values()))
    reference = client.get("/p/not-a-token").text
    payload_end = token.index(".")
    alphabet = string.ascii_letters + string.digits + "-_"

    @settings(max_examples=60, deadline=None)
    @given(pos=st.integers(0, payload_end - 2), char=st.sampled_from(alphabet))
    def altered(pos, char):
        assume(token[pos] != char)
        response = client.get(f"/p/{token[:pos]}{char}{token[pos + 1 :]}")
        assert response.status_code == 404
        assert response.text == reference

    altered()
