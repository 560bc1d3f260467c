"""Private links do one job each, and participant sessions can be ended on the server.

- Loading /p/<token> (a mail scanner's prefetch, a link planted in a page) signs nobody in;
  only pressing "Open my page" (a POST with CSRF) does, and the token leaves the address bar.
- The preferences link changes email preferences and opens nothing else.
- Logging out ends the session on the server: a replayed cookie opens nothing.
- "I lost my link" revokes the old link; "sign out everywhere" also ends every session.
- The first opening is recorded with the kind of device, and shown to the participant.
- A stranger typing wrong passwords no longer locks a facilitator out.
- Draft games and whole facilitator accounts can be deleted.
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from app.domain.devices import first_opened_line
from app.extensions import db, limiter
from app.models import Facilitator, Game, OutboxMessage, Participant, ParticipantSession
from app.services import links
from app.tokens import PREFERENCES_LINK_SALT, participant_link_token
from tests.helpers import (
    PASSWORD,
    fresh_app,
    make_facilitator,
    make_game,
    make_running_game,
    pairings_of,
    participants_of,
)

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
LAPTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"
PEOPLE = [
    ("Aurora Finch", "aurora.f@example.org"),
    ("Bartholomew Quill", "bquill@example.org"),
    ("Cressida Vance", "cvance@example.org"),
    ("Desmond Yates", "dyates@example.org"),
]
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*?value="([^"]*)"')
FRESH_LINK = re.compile(r"http://angels\.test(/p/[\w.\-]+)")


@pytest.fixture
def world(app):
    """A running game of four in Auckland time; returns what the tests need, detached."""
    limiter.reset()
    with app.app_context():
        game = make_running_game(make_facilitator(), PEOPLE)
        game.timezone = "Pacific/Auckland"
        db.session.commit()
        people = participants_of(game)
        pairs = pairings_of(game)
        me = people[0]
        names = {p.id: p.name for p in people}
        return {
            "game_id": game.id,
            "me": me.id,
            "name": me.name,
            "email": me.email,
            "mortal": names[pairs[me.id]],
            "angel": next(names[a] for a, m in pairs.items() if m == me.id),
            "link": f"/p/{participant_link_token(me.public_id, me.link_version)}",
            "prefs": "/prefs/"
            + participant_link_token(me.public_id, me.link_version, PREFERENCES_LINK_SALT),
        }


def sessions_of(app, pid: int) -> int:
    with app.app_context():
        return db.session.execute(
            select(func.count())
            .select_from(ParticipantSession)
            .where(ParticipantSession.participant_id == pid)
        ).scalar_one()


def person(app, pid: int) -> Participant:
    with app.app_context():
        row = db.session.get(Participant, pid)
        db.session.expunge(row)
        return row


def press_open(client, link: str, **kwargs):
    """GET the link's page, then press its button (with the page's CSRF token if there is one)."""
    page = client.get(link, **kwargs)
    assert page.status_code == 200, page.status_code
    token = CSRF_INPUT.search(page.text)
    return client.post(link, data={"csrf_token": token.group(1)} if token else {}, **kwargs)


def cookie(app, client) -> str:
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def replay(app, value: str):
    """A new browser carrying a copied session cookie."""
    other = app.test_client()
    other.set_cookie(app.config["SESSION_COOKIE_NAME"], value)
    return other


# Opening a link ------------------------------------------------------------------------------


def test_loading_the_link_signs_nobody_in_and_names_nobody(app, world):
    scanner = app.test_client()
    for _ in range(3):  # a mail scanner prefetches, perhaps more than once
        page = scanner.get(world["link"], headers={"User-Agent": "LinkScanner/1.0"})
        assert page.status_code == 200
        assert "Open my page" in page.text and 'method="post"' in page.text
        text = html.unescape(page.text)
        assert world["mortal"] not in text and world["angel"] not in text
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert '<meta name="referrer" content="no-referrer">' in page.text
        assert page.headers["Cache-Control"] == "no-store"
        assert 'name="viewport"' in page.text
    assert scanner.head(world["link"]).status_code == 200
    assert scanner.get("/me").status_code == 404
    assert sessions_of(app, world["me"]) == 0
    assert person(app, world["me"]).first_opened_at is None, "a prefetch is not an opening"


def test_pressing_the_button_opens_a_session_and_drops_the_token(app, world):
    client = app.test_client()
    response = press_open(client, world["link"])
    assert response.status_code == 302 and response.location == "/me"
    page = client.get("/me")
    assert page.status_code == 200 and f"Hello, {world['name']}" in html.unescape(page.text)
    assert sessions_of(app, world["me"]) == 1
    # Pressing again in another browser gives that browser its own session.
    assert press_open(app.test_client(), world["link"]).status_code == 302
    assert sessions_of(app, world["me"]) == 2


def test_bad_links_keep_their_friendly_page_on_get_and_post(app, world):
    garbage = app.test_client().get("/p/garbage")
    assert garbage.status_code == 404 and "link doesn" in garbage.text
    prefs_as_link = "/p/" + world["prefs"].removeprefix("/prefs/")
    for path in ("/p/garbage", world["link"] + "x", prefs_as_link):
        for method in ("get", "post"):
            client = app.test_client()
            response = getattr(client, method)(path)
            assert response.status_code == 404, (path, method)
            assert response.text == garbage.text
            assert "Set-Cookie" not in response.headers
    assert sessions_of(app, world["me"]) == 0


def test_the_button_needs_its_csrf_token_and_works_over_https_without_a_referer(tmp_path):
    app = fresh_app(tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        me = participants_of(make_running_game(make_facilitator(), PEOPLE))[0]
        link = f"/p/{participant_link_token(me.public_id, me.link_version)}"
        pid = me.id
    # A forged POST (no token: another site's form) signs nobody in.
    forged = app.test_client()
    refused = forged.post(link, base_url="https://angels.test")
    assert refused.status_code == 400 and "expired" in refused.text
    assert forged.get("/me").status_code == 404
    assert sessions_of(app, pid) == 0
    # The real page's button goes through over HTTPS, though the page sends no Referer.
    browser = app.test_client()
    opened = press_open(browser, link, base_url="https://angels.test")
    assert opened.status_code == 302 and opened.location == "/me"
    assert browser.get("/me", base_url="https://angels.test").status_code == 200
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# First opening -------------------------------------------------------------------------------


def test_the_first_opening_is_recorded_with_its_device_and_shown_in_the_games_time(app, world):
    phone = app.test_client()
    press_open(phone, world["link"], headers={"User-Agent": IPHONE})
    first = person(app, world["me"])
    assert first.first_opened_at is not None and first.first_opened_device == "phone"
    page = html.unescape(phone.get("/me").text)
    expected = first_opened_line(first.first_opened_at, "Pacific/Auckland", "phone")
    assert expected in page and expected.endswith(", on a phone")
    # Auckland is never at UTC: the time shown is the game's, not the server's.
    assert first.first_opened_at.strftime("%H:%M") not in expected
    # A later opening on a laptop changes nothing.
    laptop = app.test_client()
    press_open(laptop, world["link"], headers={"User-Agent": LAPTOP})
    again = person(app, world["me"])
    assert (again.first_opened_at, again.first_opened_device) == (first.first_opened_at, "phone")
    assert expected in html.unescape(laptop.get("/me").text)


# The preferences link ------------------------------------------------------------------------


def test_the_preferences_link_changes_preferences_and_opens_nothing_else(app, world):
    reader = app.test_client()  # someone the email was forwarded to
    page = reader.get(world["prefs"])
    assert page.status_code == 200 and "Email preferences" in page.text
    text = html.unescape(page.text)
    assert world["mortal"] not in text and world["angel"] not in text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert not re.search(r'href="/(me|p/)', page.text), "the page leads nowhere else"
    saved = reader.post(world["prefs"], data={"email_preference": "digest", "reminders": ""})
    assert saved.status_code == 302 and saved.location == world["prefs"]
    assert "Saved." in reader.get(saved.location).text
    stored = person(app, world["me"])
    assert (stored.email_preference, stored.reminders) == ("digest", False)
    for path in ("/me", "/me/angel", "/me/preferences", "/me/inbox"):
        assert reader.get(path).status_code == 404, path
    with reader.session_transaction() as session:
        assert "participant" not in session
    assert sessions_of(app, world["me"]) == 0
    assert person(app, world["me"]).first_opened_at is None


def test_the_preferences_form_needs_its_csrf_token(tmp_path):
    app = fresh_app(tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        me = participants_of(make_running_game(make_facilitator(), PEOPLE))[0]
        path = "/prefs/" + participant_link_token(
            me.public_id, me.link_version, PREFERENCES_LINK_SALT
        )
        pid = me.id
    client = app.test_client()
    refused = client.post(path, data={"email_preference": "none"}, base_url="https://angels.test")
    assert refused.status_code == 400 and "expired" in refused.text
    assert person(app, pid).email_preference == "each"
    page = client.get(path, base_url="https://angels.test")
    token = CSRF_INPUT.search(page.text).group(1)
    saved = client.post(
        path,
        data={"email_preference": "none", "csrf_token": token},
        base_url="https://angels.test",
    )
    assert saved.status_code == 302
    assert person(app, pid).email_preference == "none"
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# Logging out, losing a link, signing out everywhere ------------------------------------------


def test_a_cookie_replayed_after_logout_is_refused_and_other_browsers_stay_in(app, world):
    laptop, phone = app.test_client(), app.test_client()
    press_open(laptop, world["link"])
    press_open(phone, world["link"])
    copied = cookie(app, laptop)
    assert replay(app, copied).get("/me").status_code == 200  # the copy works while signed in

    assert laptop.post("/me/logout").status_code == 200
    assert laptop.get("/me").status_code == 404
    refused = replay(app, copied).get("/me")
    assert refused.status_code == 404 and "link doesn" in refused.text
    assert phone.get("/me").status_code == 200, "logging out of one browser leaves the others"
    assert sessions_of(app, world["me"]) == 1
    # The link itself still works.
    assert press_open(app.test_client(), world["link"]).status_code == 302


def test_lost_link_revokes_the_old_link_and_mails_a_working_one(app, world):
    browser = app.test_client()
    press_open(browser, world["link"])
    asked = app.test_client().post("/lost-link", data={"email": world["email"]})
    unknown = app.test_client().post("/lost-link", data={"email": "nobody@example.org"})
    assert (asked.status_code, asked.location) == (unknown.status_code, unknown.location)
    with app.app_context():
        assert links.answer_link_requests() == 2  # the periodic work answers both

    old = app.test_client().get(world["link"])
    assert old.status_code == 404 and "link doesn" in old.text
    assert app.test_client().get(world["prefs"]).status_code == 404
    with app.app_context():
        (mail,) = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "fresh-link")
        ).scalars()
        body = mail.body_text
    fresh = FRESH_LINK.search(body).group(1)
    assert fresh != world["link"]
    assert "no longer work" in body
    assert press_open(app.test_client(), fresh).status_code == 302
    # The form needs no login, so it signs nobody out: anyone may type an address.
    assert browser.get("/me").status_code == 200


def test_sign_out_everywhere_ends_every_session_and_link_and_mails_a_fresh_one(app, world):
    laptop, phone = app.test_client(), app.test_client()
    press_open(laptop, world["link"])
    press_open(phone, world["link"])
    copied = cookie(app, phone)
    assert "Sign out everywhere" in laptop.get("/me").text

    response = laptop.post("/me/sign-out-everywhere")
    assert response.status_code == 200 and "signed out everywhere" in response.text
    for client in (laptop, phone, replay(app, copied)):
        assert client.get("/me").status_code == 404
    assert sessions_of(app, world["me"]) == 0
    assert app.test_client().get(world["link"]).status_code == 404
    assert app.test_client().get(world["prefs"]).status_code == 404

    with app.app_context():
        (mail,) = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "fresh-link")
        ).scalars()
        assert mail.to_addr == world["email"]
        assert mail.status == "queued", "only queued, released with the other mail"
        assert world["mortal"] not in mail.body_text and world["mortal"] not in mail.subject
        body = mail.body_text
    back = app.test_client()
    assert press_open(back, FRESH_LINK.search(body).group(1)).status_code == 302
    assert back.get("/me").status_code == 200


def test_sign_out_everywhere_is_a_post_with_csrf(app, world):
    client = app.test_client()
    press_open(client, world["link"])
    assert client.get("/me/sign-out-everywhere").status_code == 405
    assert client.get("/me").status_code == 200


# Facilitators --------------------------------------------------------------------------------


def test_a_stranger_typing_wrong_passwords_cannot_lock_a_facilitator_out(app):
    limiter.reset()
    with app.app_context():
        make_facilitator()
    # Thirty wrong passwords for Fran's address, from three places (ten a minute each).
    for address in ("203.0.113.5", "203.0.113.6", "203.0.113.7"):
        stranger = app.test_client()
        for _ in range(10):
            wrong = stranger.post(
                "/login",
                data={"email": "fran@example.org", "password": "guess!"},
                environ_base={"REMOTE_ADDR": address},
            )
            assert wrong.status_code == 200
        blocked = stranger.post(
            "/login",
            data={"email": "fran@example.org", "password": "guess!"},
            environ_base={"REMOTE_ADDR": address},
        )
        assert blocked.status_code == 429, "each stranger is still slowed down"
    fran = app.test_client()
    response = fran.post(
        "/login",
        data={"email": "fran@example.org", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.20"},
    )
    assert response.status_code == 302 and response.location.endswith("/games")


def _count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_draft_game_can_be_deleted_after_typing_its_name(app, client):
    with app.app_context():
        game = make_game(make_facilitator(), PEOPLE, name="Spring circle")
        game_id = game.id
    client.post("/login", data={"email": "fran@example.org", "password": PASSWORD})
    page = client.get(f"/games/{game_id}")
    assert f'href="/games/{game_id}/delete"' in page.text
    wrong = client.post(f"/games/{game_id}/delete", data={"name": "Spring"})
    assert wrong.status_code == 200 and "not the game" in wrong.text
    assert _count(app, Game) == 1
    done = client.post(f"/games/{game_id}/delete", data={"name": "Spring circle"})
    assert done.status_code == 302
    assert (_count(app, Game), _count(app, Participant)) == (0, 0)


def test_an_account_is_deleted_with_all_its_games_but_not_while_one_runs(app, client, world):
    with app.app_context():
        fran = db.session.execute(select(Facilitator)).scalar_one()
        make_game(fran, 3, name="Draft one")
        other = make_facilitator("Olga Other", "olga@example.org")
        make_game(other, 3, name="Olga's game")
    phone = app.test_client()
    press_open(phone, world["link"])
    client.post("/login", data={"email": "fran@example.org", "password": PASSWORD})
    assert 'href="/account/delete"' in client.get("/games").text
    assert client.get("/account/delete").status_code == 200

    wrong = client.post("/account/delete", data={"name": "Fran"})
    assert wrong.status_code == 200 and "not the name" in wrong.text
    refused = client.post("/account/delete", data={"name": "Fran Facilitator"})
    assert refused.status_code == 302
    assert "End your running games" in client.get("/games").text
    assert _count(app, Facilitator) == 2

    with app.app_context():
        from app.services import ending

        ending.end_game(db.session.get(Game, world["game_id"]))
    done = client.post("/account/delete", data={"name": "Fran Facilitator"})
    assert done.status_code == 302
    assert client.get("/games").status_code == 302, "logged out"
    with app.app_context():
        assert db.session.execute(select(Facilitator.email)).scalars().all() == ["olga@example.org"]
        assert db.session.execute(select(Game.name)).scalars().all() == ["Olga's game"]
    assert sessions_of(app, world["me"]) == 0
    assert phone.get("/me").status_code == 404
