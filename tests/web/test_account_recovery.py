"""Reset links that do not work, the request's rate limit, and "Remember me" on the login."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from itsdangerous import URLSafeTimedSerializer

from app.extensions import db
from app.models import Facilitator
from app.services import accounts
from app.tokens import PASSWORD_RESET_SALT, password_reset_token
from tests.helpers import PASSWORD, fresh_app, make_facilitator


def _token(app, email="fran@example.org") -> str:
    with app.app_context():
        fran = accounts.find_by_email(email)
        return password_reset_token(fran.id, accounts.password_fingerprint(fran))


def test_a_tampered_expired_or_foreign_link_gets_the_friendly_page(app, client):
    with app.app_context():
        make_facilitator()
    good = _token(app)
    forged = URLSafeTimedSerializer("not our key", salt=PASSWORD_RESET_SALT).dumps(
        {"f": 1, "h": good}
    )
    # A participant link's salt is not a reset link's.
    other_salt = URLSafeTimedSerializer("test-secret", salt="participant-link").dumps(
        {"f": 1, "h": "x"}
    )
    for token in (good[:-2] + "xx", forged, other_salt, "nonsense"):
        page = client.get(f"/login/reset/{token}")
        assert page.status_code == 404 and "doesn't work any more" in page.text
    with time_machine.travel(timedelta(hours=1, minutes=1), tick=False):
        late = client.get(f"/login/reset/{good}")
    assert late.status_code == 404 and "Email me a new link" in late.text
    assert client.get(f"/login/reset/{good}").status_code == 200


def test_a_link_dies_when_the_password_changes_another_way_or_the_account_goes(app, client):
    with app.app_context():
        make_facilitator()
    token = _token(app)
    with app.app_context():
        accounts.reset_password(_token(app), "changed elsewhere!")
    assert client.get(f"/login/reset/{token}").status_code == 404
    token = _token(app)
    with app.app_context():
        accounts.delete_account(accounts.find_by_email("fran@example.org"))
    assert client.get(f"/login/reset/{token}").status_code == 404


def test_the_login_page_offers_the_way_back_in(client):
    page = client.get("/login").text
    assert 'href="/login/forgot"' in page and "Forgot your password?" in page
    assert "Remember me" in page


def test_asking_for_links_is_rate_limited_per_address(app, client):
    with app.app_context():
        make_facilitator()
    codes = [
        client.post("/login/forgot", data={"email": "fran@example.org"}).status_code
        for _ in range(6)
    ]
    assert codes == [200] * 5 + [429]


def _remember_cookie(client):
    return client.get_cookie("remember_token")


def test_remember_me_keeps_the_login_past_the_browser_session(tmp_path):
    app = fresh_app(tmp_path, SESSION_COOKIE_SECURE=True)
    with app.app_context():
        make_facilitator()
    client = app.test_client()
    client.post("/login", data={"email": "fran@example.org", "password": PASSWORD})
    assert _remember_cookie(client) is None  # not asked: the session cookie only
    remembering = app.test_client()
    remembering.post(
        "/login", data={"email": "fran@example.org", "password": PASSWORD, "remember": "y"}
    )
    cookie = _remember_cookie(remembering)
    assert cookie is not None
    assert cookie.secure and cookie.http_only and cookie.same_site == "Lax"
    days = (cookie.expires - cookie.expires.now(cookie.expires.tzinfo)).days
    assert 28 <= days <= 30
    # The browser is closed (its session cookie gone): the remembered login still opens.
    remembering.delete_cookie("session")
    assert remembering.get("/games").status_code == 200
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_remember_duration_is_a_setting_in_days(tmp_path):
    from app import config

    assert config.SETTINGS["REMEMBER_COOKIE_DURATION"].read("7") == timedelta(days=7)
    assert config.SETTINGS["REMEMBER_COOKIE_DURATION"].read("") is None
    app = fresh_app(tmp_path)
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)
    assert app.config["REMEMBER_COOKIE_SECURE"] is False  # like SESSION_COOKIE_SECURE
    with app.app_context():
        assert db.session.query(Facilitator).count() == 0
        db.session.remove()
        db.engine.dispose()
