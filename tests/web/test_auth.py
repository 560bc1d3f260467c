"""Facilitator accounts: sign up, log in, log out, and only one's own games."""

from __future__ import annotations

from app import create_app
from app.config import DEFAULTS
from app.extensions import db
from tests.helpers import PASSWORD, login, make_facilitator, make_game


def test_sign_up_logs_in_and_leads_to_a_new_game(client, auth):
    response = auth.signup("Nia", "nia@example.org")
    assert response.status_code == 302 and response.location == "/games/new"
    assert client.get("/games").status_code == 200


def test_sign_up_refuses_a_taken_email_and_short_passwords(client, app):
    with app.app_context():
        make_facilitator(email="taken@example.org")
    taken = client.post(
        "/signup",
        data={
            "name": "X",
            "email": "Taken@Example.org",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert "already exists" in taken.text
    short = client.post(
        "/signup",
        data={
            "name": "X",
            "email": "new@example.org",
            "password": "short",
            "confirm": "short",
        },
    )
    assert "at least 10" in short.text
    assert short.status_code == 200  # the form again, with what was typed
    assert 'value="new@example.org"' in short.text


def test_login_wrong_password_says_so_without_saying_which_part(client, app):
    with app.app_context():
        make_facilitator()
    wrong = login(client, password="nope nope nope")
    unknown = login(client, email="nobody@example.org")
    for response in (wrong, unknown):
        assert "do not match an account" in response.text
    assert client.get("/games").status_code == 302  # still logged out


def test_passwords_are_hashed(app):
    with app.app_context():
        facilitator = make_facilitator()
        assert PASSWORD not in facilitator.password_hash
        assert facilitator.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_passwords_are_hashed_with_the_configured_method_scrypt_unless_told(app_config):
    """Tests choose a cheap hash; the service's own default is scrypt, and a password hashed
    either way logs in."""
    assert DEFAULTS["PASSWORD_HASH_METHOD"] == "scrypt"
    for method, prefix in (("scrypt", "scrypt:"), ("pbkdf2:sha256:1000", "pbkdf2:sha256:1000$")):
        app = create_app({**app_config, "PASSWORD_HASH_METHOD": method})
        with app.app_context():
            db.drop_all()
            db.create_all()
            facilitator = make_facilitator()
            assert facilitator.password_hash.startswith(prefix)
        assert login(app.test_client()).status_code == 302
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_logout_needs_a_post(client, app, auth):
    with app.app_context():
        make_facilitator()
    auth.login()
    assert client.get("/logout").status_code == 405
    auth.logout()
    assert client.get("/games").status_code == 302


def test_games_need_login(client):
    response = client.get("/games")
    assert response.status_code == 302 and "/login" in response.location


def test_another_facilitators_game_is_404_everywhere(client, app):
    with app.app_context():
        make_facilitator()
        other = make_facilitator("Olga", "olga@example.org")
        game = make_game(other, 4)
        game_id = game.id
    login(client)
    for url in (f"/games/{game_id}", f"/games/{game_id}/edit", f"/games/{game_id}/participants/1"):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/games/{game_id}/draw",
        f"/games/{game_id}/participants",
        f"/games/{game_id}/add-me",
        f"/games/{game_id}/exclusions",
        f"/games/{game_id}/participants/1/remove",
    ):
        assert client.post(url, data={"lines": "a@example.org"}).status_code == 404, url
    with app.app_context():
        from app.extensions import db
        from app.models import Game

        assert db.session.get(Game, game_id).state == "draft"


def test_csrf_is_required_on_forms(app_config, tmp_path):
    from app import create_app

    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    response = client.post(
        "/signup",
        data={
            "name": "X",
            "email": "x@example.org",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert response.status_code == 400
    assert "expired" in response.text
    assert "Traceback" not in response.text
