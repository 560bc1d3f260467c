"""Hardening: CSRF on every state-changing request, security headers, request size limits, NUL
characters, escaping of hostile text in pages and emails, friendly error pages, the SECRET_KEY
rules and rate limits.

Tests that need their own settings build an app with tests.helpers.fresh_app, so they run on
PostgreSQL too when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import random
import re
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from flask import Flask, abort
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from app import config as app_config_module
from app import create_app
from app.extensions import db
from app.models import (
    CourierRequest,
    Exclusion,
    Facilitator,
    Game,
    JournalEntry,
    Kindness,
    OutboxMessage,
    Participant,
    Report,
    Thanks,
    utcnow,
)
from app.services import accounts, ending, joins, journal, notes, periodic, preferences, setup
from app.services import responses as responses_service
from app.tokens import PREFERENCES_LINK_SALT, participant_link_token, password_reset_token
from app.web import time_filters
from tests.helpers import (
    DISTINCT_PEOPLE,
    PASSWORD,
    database_uri,
    engine_options,
    follow_link,
    fresh_app,
    login,
    make_facilitator,
    make_game,
    make_running_game,
    open_as_participant,
    pairings_of,
    participants_of,
)

BRAND = "Angels &amp; Mortals"
STYLESHEET = 'href="/static/style.css"'
EXPIRED = "This form has expired"

PEOPLE = DISTINCT_PEOPLE
# After make_game's start day (1 Dec 2026), so kindnesses may be sent.
SENT_AT = datetime(2026, 12, 2, 7, 15)
STRONG_KEY = "0123456789abcdef0123456789abcdef-hardening"

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
TEMPLATE = "{{7*7}}"
PAYLOAD = SCRIPT + IMG + JS_URL + TEMPLATE


# --------------------------------------------------------------------------------------------
# Helpers


@contextmanager
def own_app(directory, **config):
    """A fresh app of its own (its own database), disposed afterwards."""
    directory.mkdir(parents=True, exist_ok=True)
    app = fresh_app(directory, **config)
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def assert_friendly(response, code: int, *words: str) -> str:
    """A friendly page in the site's layout with this status; nothing technical in it."""
    text = response.get_data(as_text=True)
    assert response.status_code == code, (response.status_code, text[:500])
    assert BRAND in text, text[:500]
    assert STYLESHEET in text
    for word in ("Traceback", "Werkzeug", "sqlalchemy", 'File "'):
        assert word not in text
    for word in words:
        assert word in text, (word, text[:800])
    return text


def snapshot(app: Flask) -> dict[str, list]:
    """Every row of every table, so 'nothing changed' can be checked exactly."""
    with app.app_context():
        return {
            table.name: sorted(repr(tuple(row)) for row in db.session.execute(select(table)).all())
            for table in db.metadata.sorted_tables
        }


def count(app: Flask, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def csrf_token_in(text: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text)
    assert match, "no CSRF token on the page"
    return match.group(1)


def game_form(name: str, **extra) -> dict:
    data = {
        "name": name,
        "group_kind": "team",
        "group_name": "Team",
        "starts_on": "2026-12-01",
        "ends_on": "2026-12-29",
        "welcome": "Be kind!",
        "delivery_times": "09:00, 15:00",
        "timezone": "UTC",
        "reveal_at_end": "y",
    }
    data.update(extra)
    return data


def log_in_session(client, facilitator_id: int) -> None:
    """Log a facilitator in without a form (for apps where CSRF is on)."""
    with client.session_transaction() as session:
        session["_user_id"] = str(facilitator_id)
        session["_fresh"] = True


def plain(participant) -> SimpleNamespace:
    """A detached summary of a participant, usable after the app context closes."""
    return SimpleNamespace(
        id=participant.id,
        name=participant.name,
        email=participant.email,
        public_id=participant.public_id,
        link_version=participant.link_version,
    )


def people_of(game) -> list[SimpleNamespace]:
    return [plain(p) for p in participants_of(game)]


def participant_client(app: Flask, participant) -> object:
    client = app.test_client()
    assert open_as_participant(client, app, participant).status_code == 302
    return client


def session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    return cookies[-1]


# --------------------------------------------------------------------------------------------
# 1. CSRF on every state-changing request


def _csrf_world(app: Flask) -> dict:
    """A facilitator with a draft, a running and an ended game, and a participant of the running
    game who has sent, received, carries, reported and written things. Returns plain ids."""
    with app.app_context():
        fac = make_facilitator()
        running = make_running_game(fac, PEOPLE, seed=1, name="Running month")
        draft = make_game(fac, 4, name="Draft month")
        draft.allow_self_join = True
        ended = make_running_game(
            fac, [(f"Old {i}", f"old{i}@example.org") for i in range(3)], name="Old month"
        )
        ending.end_game(ended)
        db.session.commit()

        people = participants_of(running)
        mortal_of = pairings_of(running)
        angel_of = {m: a for a, m in mortal_of.items()}
        me = people[0]
        my_angel = db.session.get(Participant, angel_of[me.id])

        setup.add_drop_off(running, "Shelf by the kitchen")
        setup.add_game_idea(running, "Bring in a board game")

        # Something I received (delivered by a tick), then something I sent (still scheduled).
        received = notes.send_note(my_angel, "For you", now=SENT_AT, rng=random.Random(1))
        periodic.tick(now=received.deliver_at, rng=random.Random(2))
        sent = notes.send_note(me, "From me", now=SENT_AT, rng=random.Random(3))
        responses_service.report(me, received.public_id, "It hurt")

        # An in-person kindness that I am asked to carry: everybody else opts out of courier duty.
        sender = next(p for p in people if p.id != me.id and mortal_of[p.id] != me.id)
        for p in people:
            preferences.set_courier_opt_out(p, p.id != me.id)
        notes.request_in_person(sender, "Leave a tea bag", "", now=SENT_AT, rng=random.Random(4))
        for p in people:
            preferences.set_courier_opt_out(p, False)
        request = db.session.execute(
            select(CourierRequest).where(CourierRequest.courier_id == me.id)
        ).scalar_one()

        # An in-person kindness of mine through a drop-off point, waiting for "I've left it".
        to_leave = notes.request_in_person(
            me,
            "Leave a flower",
            "",
            setup.drop_off_points(running)[0].id,
            now=SENT_AT,
            rng=random.Random(5),
        )
        assert to_leave.state == "routing" and to_leave.left_at is None

        journal.add_journal_entry(me, date(2026, 12, 2), "Smiled", "Good")
        draft_people = participants_of(draft)
        setup.add_exclusion(draft, draft_people[0], draft_people[1], True)
        running.allow_self_join = True
        db.session.commit()
        joins.join(running, "Wendy Waiting", "wendy@example.org")
        (waiting,) = joins.pending_joins(running)

        return {
            "fac": fac.id,
            "running": running.id,
            "running_name": running.name,
            "draft": draft.id,
            "draft_public": draft.public_id,
            "ended": ended.id,
            "ended_name": ended.name,
            "me": plain(me),
            "link": participant_link_token(me.public_id, me.link_version),
            "prefs": participant_link_token(me.public_id, me.link_version, PREFERENCES_LINK_SALT),
            "other": people[1].id,
            "withdrawable": people[3].id,
            "draft_people": [p.id for p in draft_people],
            "exclusion": db.session.execute(select(func.max(Exclusion.id))).scalar_one(),
            "point": setup.drop_off_points(running)[0].id,
            "idea": setup.game_ideas(running)[0].id,
            "sent": sent.public_id,
            "to_leave": to_leave.public_id,
            "received": received.public_id,
            "request": request.public_id,
            "report": db.session.execute(select(Report.id)).scalar_one(),
            "entry": db.session.execute(select(JournalEntry.id)).scalar_one(),
            "waiting": waiting.id,
            "reset": password_reset_token(fac.id, accounts.password_fingerprint(fac)),
        }


def _post_requests(w: dict) -> dict[str, list[tuple[str, str, dict]]]:
    """endpoint -> [(client, path, data that would succeed with a token)]."""
    r, d = w["running"], w["draft"]
    d0, d1, d2, d3 = w["draft_people"]
    return {
        "facilitator.signup": [
            (
                "anon",
                "/signup",
                {
                    "name": "New Person",
                    "email": "new@example.org",
                    "password": PASSWORD,
                    "confirm": PASSWORD,
                },
            )
        ],
        "facilitator.login": [
            ("anon", "/login", {"email": "fran@example.org", "password": PASSWORD})
        ],
        "facilitator.logout": [("fac", "/logout", {})],
        "facilitator.forgot_password": [("anon", "/login/forgot", {"email": "fran@example.org"})],
        "facilitator.reset_password": [
            (
                "anon",
                f"/login/reset/{w['reset']}",
                {"password": PASSWORD * 2, "confirm": PASSWORD * 2},
            )
        ],
        "facilitator.delete_account": [("fac", "/account/delete", {"name": "Fran Facilitator"})],
        "facilitator.new_game": [("fac", "/games/new", game_form("Brand new"))],
        "facilitator.edit_game": [("fac", f"/games/{r}/edit", game_form("Renamed"))],
        "facilitator.add_participants": [
            ("fac", f"/games/{d}/participants", {"lines": "Nia New <nia@example.org>"})
        ],
        "facilitator.account": [("fac", "/account", {"language": "fr"})],
        "facilitator.add_me": [("fac", f"/games/{d}/add-me", {})],
        "facilitator.edit_participant": [
            (
                "fac",
                f"/games/{d}/participants/{d0}",
                {"name": "Changed Name", "email": "changed@example.org"},
            )
        ],
        "facilitator.remove_participant": [("fac", f"/games/{d}/participants/{d3}/remove", {})],
        "facilitator.add_exclusion": [
            ("fac", f"/games/{d}/exclusions", {"angel": d2, "mortal": d3, "direction": "both"})
        ],
        "facilitator.keep_teams_apart": [("fac", f"/games/{d}/teams-apart", {"teams_apart": "y"})],
        "facilitator.remove_exclusion": [
            ("fac", f"/games/{d}/exclusions/{w['exclusion']}/remove", {})
        ],
        "facilitator.draw": [("fac", f"/games/{d}/draw", {})],
        "facilitator.add_drop_off": [("fac", f"/games/{r}/drop-offs", {"name": "Front desk"})],
        "facilitator.remove_drop_off": [("fac", f"/games/{r}/drop-offs/{w['point']}/remove", {})],
        "facilitator.add_late_joiners": [
            ("fac", f"/games/{r}/late-joiners", {"lines": "Lou Late <lou@example.org>"})
        ],
        "facilitator.withdraw": [
            ("fac", f"/games/{r}/participants/{w['withdrawable']}/withdraw", {})
        ],
        "facilitator.add_idea": [("fac", f"/games/{r}/ideas", {"text": "Sing a song"})],
        "facilitator.approve_join": [
            ("fac", f"/games/{r}/join-requests/{w['waiting']}/approve", {})
        ],
        "facilitator.turn_down_join": [
            ("fac", f"/games/{r}/join-requests/{w['waiting']}/turn-down", {})
        ],
        "facilitator.remove_idea": [("fac", f"/games/{r}/ideas/{w['idea']}/remove", {})],
        "moderation.act": [
            ("fac", f"/games/{r}/reports/{w['report']}/{action}", {"text": "Serious reason"})
            for action in ("dismiss", "hide", "warn", "mute", "reveal")
        ],
        "moderation.new_angels": [("fac", f"/games/{r}/moderation/new-angels", {})],
        "moderation.end": [("fac", f"/games/{r}/end", {"name": w["running_name"]})],
        "moderation.delete": [("fac", f"/games/{w['ended']}/delete", {"name": w["ended_name"]})],
        "public.join": [
            ("anon", f"/g/{w['draft_public']}/join", {"name": "Jo", "email": "jo@example.org"})
        ],
        "public.lost_link": [("anon", "/lost-link", {"email": PEOPLE[0][1]})],
        "participant.send_note": [("part", "/me/angel/note", {"message": "Hi", "when": "next"})],
        "participant.request_in_person": [
            ("part", "/me/angel/in-person", {"instruction": "A flower", "drop_off": "0"})
        ],
        "participant.cancel": [("part", f"/me/angel/{w['sent']}/cancel", {})],
        "participant.mark_left": [("part", f"/me/angel/{w['to_leave']}/left", {})],
        "participant.as_note": [("part", f"/me/angel/{w['sent']}/as-note", {})],
        "participant.thank": [("part", f"/me/inbox/{w['received']}/thanks", {"message": "Ta"})],
        "participant.report": [("part", f"/me/inbox/{w['received']}/report", {"reason": "Mean"})],
        "participant.ask": [("part", "/me/inbox/ask", {"text": "Tea?"})],
        "participant.report_answer": [("part", "/me/inbox/question/q1/report", {"reason": "Mean"})],
        "participant.answer": [("part", "/me/angel/question/q1/answer", {"text": "Yes"})],
        "participant.courier_step": [
            ("part", f"/me/deliveries/{w['request']}/{step}", {"reason": "Odd"})
            for step in ("accept", "decline", "done", "report")
        ],
        "participant.hints": [("part", "/me/hints", {"brightens": "Tea", "courier_opt_out": "y"})],
        "participant.guess": [("part", "/me/guess", {"guess": str(w["other"])})],
        "participant.stay_secret": [("part", "/me/stay-secret", {})],
        "participant.leave": [("part", "/me/leave", {})],
        "participant.preferences": [
            ("part", "/me/preferences", {"email_preference": "none", "reminders": ""})
        ],
        "participant.journal": [
            (
                "part",
                "/me/journal",
                {"entry-day": "2026-12-03", "entry-did": "Helped", "entry-felt": "Warm"},
            )
        ],
        "participant.journal_value": [("part", "/me/journal/value", {"value-value": "Courage"})],
        "participant.delete_journal_entry": [("part", f"/me/journal/{w['entry']}/delete", {})],
        "participant.language": [("part", "/me/language", {"language": "fr", "back": "x"})],
        "participant.logout": [("part", "/me/logout", {})],
        "participant.sign_out_everywhere": [("part", "/me/sign-out-everywhere", {})],
        "participant.open_link": [("anon", f"/p/{w['link']}", {})],
        "participant.open_preferences": [
            ("anon", f"/prefs/{w['prefs']}", {"email_preference": "none", "reminders": ""})
        ],
    }


def test_every_post_route_refuses_a_request_without_a_csrf_token(tmp_path):
    with own_app(tmp_path / "csrf", WTF_CSRF_ENABLED=True) as app:
        world = _csrf_world(app)
        clients = {"anon": app.test_client(), "fac": app.test_client()}
        log_in_session(clients["fac"], world["fac"])
        clients["part"] = participant_client(app, world["me"])
        # The sessions work: a page of each kind opens.
        assert clients["fac"].get(f"/games/{world['running']}").status_code == 200
        assert clients["part"].get("/me/angel").status_code == 200

        requests = _post_requests(world)
        # Only GET and POST anywhere: no other method that could change state unnoticed.
        for rule in app.url_map.iter_rules():
            assert rule.methods <= {"GET", "HEAD", "OPTIONS", "POST"}, rule
        post_endpoints = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods}
        assert post_endpoints == set(requests), (
            f"POST routes not covered here: {sorted(post_endpoints - set(requests))}; "
            f"gone: {sorted(set(requests) - post_endpoints)}"
        )

        adapter = app.url_map.bind("localhost")
        for endpoint, calls in requests.items():
            for who, path, data in calls:
                assert adapter.match(path, method="POST")[0] == endpoint, path
                before = snapshot(app)
                response = clients[who].post(path, data=data)
                assert_friendly(response, 400, EXPIRED)
                assert snapshot(app) == before, f"{endpoint} {path} changed the database"

        # Refused log-in and log-outs changed no session either.
        assert clients["anon"].get("/games").status_code == 302
        assert clients["fac"].get("/games").status_code == 200
        assert clients["part"].get("/me").status_code == 200

        # The same request with the page's token goes through: the refusals above were CSRF.
        token = csrf_token_in(clients["part"].get("/me/angel").text)
        before = count(app, Kindness)
        response = clients["part"].post(
            "/me/angel/note", data={"message": "Hello", "when": "next", "csrf_token": token}
        )
        assert response.status_code == 302
        assert count(app, Kindness) == before + 1
        # "I've left it" with the page's token goes through too, and only then is a courier asked.
        token = csrf_token_in(clients["part"].get("/me/angel").text)
        before = count(app, CourierRequest)
        response = clients["part"].post(
            f"/me/angel/{world['to_leave']}/left", data={"csrf_token": token}
        )
        assert response.status_code == 302
        with app.app_context():
            left = db.session.execute(
                select(Kindness).where(Kindness.public_id == world["to_leave"])
            ).scalar_one()
            assert left.left_at is not None
        assert count(app, CourierRequest) == before + 1
        token = csrf_token_in(clients["fac"].get(f"/games/{world['running']}").text)
        response = clients["fac"].post(
            f"/games/{world['running']}/ideas", data={"text": "Sing", "csrf_token": token}
        )
        assert response.status_code == 302
        with app.app_context():
            assert len(setup.game_ideas(db.session.get(Game, world["running"]))) == 2


# --------------------------------------------------------------------------------------------
# 2. Headers


def _csp(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def _four_responses(client, base_url: str):
    """A page, an error page, a static file and a redirect."""
    responses = {
        "page": client.get("/", base_url=base_url),
        "error": client.get("/no-such-page", base_url=base_url),
        "static": client.get("/static/style.css", base_url=base_url),
        "redirect": client.get("/games", base_url=base_url),
    }
    for response in responses.values():
        response.close()
    assert [r.status_code for r in responses.values()] == [200, 404, 200, 302]
    return responses


def test_security_headers_on_every_kind_of_response(app, client):
    for base_url in ("http://localhost", "https://localhost"):
        for kind, response in _four_responses(client, base_url).items():
            csp = _csp(response)
            assert csp.get("object-src") == ["'none'"], (kind, csp)
            assert csp.get("base-uri") == ["'none'"], (kind, csp)
            assert csp.get("frame-ancestors") == ["'none'"], (kind, csp)
            scripts = csp.get("script-src", csp.get("default-src"))
            assert scripts and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
            assert response.headers.get("X-Content-Type-Options") == "nosniff", kind
            assert response.headers.get("Referrer-Policy") == "same-origin", kind
            hsts = response.headers.get("Strict-Transport-Security")
            if base_url.startswith("https"):
                assert (
                    hsts
                    and "max-age=" in hsts
                    and int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 15_552_000
                ), kind
            else:
                assert hsts is None, kind


def test_session_cookie_is_httponly_lax_and_secure_over_https(app):
    with app.app_context():
        make_facilitator()
    plain = login(app.test_client())
    cookie = session_cookie(plain)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie

    secure = app.test_client().post(
        "/login",
        data={"email": "fran@example.org", "password": PASSWORD},
        base_url="https://localhost",
    )
    assert secure.status_code == 302
    cookie = session_cookie(secure)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert secure.headers.get("Strict-Transport-Security")


@pytest.mark.parametrize("proxies", [1, 0])
def test_forwarded_proto_is_trusted_only_behind_a_configured_proxy(tmp_path, proxies):
    with own_app(tmp_path / f"proxy{proxies}", PROXY_FIX=proxies) as app:
        with app.app_context():
            make_facilitator()
        client = app.test_client()
        forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
        page = client.get("/", headers=forwarded)
        response = client.post(
            "/login", data={"email": "fran@example.org", "password": PASSWORD}, headers=forwarded
        )
        assert response.status_code == 302
        if proxies:
            assert page.headers.get("Strict-Transport-Security")
            assert "Secure" in session_cookie(response)
        else:
            assert page.headers.get("Strict-Transport-Security") is None
            assert "Secure" not in session_cookie(response)


def test_forwarded_prefixes_keep_no_more_addresses_than_a_few_mount_points(tmp_path):
    """Behind a proxy trusted with X-Forwarded-Prefix a client chooses the mount point: each
    new one (long ones above all) must not grow the templates' kept addresses without end,
    and every page still links under its own prefix."""
    with own_app(tmp_path / "prefixes", PROXY_FIX=1) as app:
        client = app.test_client()
        kept = app.jinja_env.globals["url_for"].kept
        for i in range(60):
            prefix = f"/p{i}" + ("x" * 5000 if i % 2 else "")
            page = client.get("/", headers={"X-Forwarded-Prefix": prefix})
            assert page.status_code == 200
            assert f'href="{prefix}/static/style.css' in page.get_data(as_text=True)
            assert len(kept) <= time_filters.URL_PREFIXES_KEPT
            assert all(len(name) <= time_filters.URL_PREFIX_MAX for name in kept)
        # The usual mount point is kept again (and used) once it comes back.
        assert client.get("/").status_code == 200
        assert "" in kept and kept[""]


# --------------------------------------------------------------------------------------------
# 3. Request size


def test_an_upload_over_max_content_length_gets_a_friendly_413(tmp_path):
    with own_app(tmp_path / "big", MAX_CONTENT_LENGTH=10_000) as app:
        with app.app_context():
            game_id = make_game(make_facilitator(), 3).id
        client = app.test_client()
        assert login(client).status_code == 302
        rows = "name,email\n" + "".join(f"P {i},p{i}@example.org\n" for i in range(1000))
        assert len(rows) > 10_000
        import io

        before = count(app, Participant)
        response = client.post(
            f"/games/{game_id}/participants",
            data={"lines": "", "csv_file": (io.BytesIO(rows.encode()), "people.csv")},
            content_type="multipart/form-data",
        )
        assert_friendly(response, 413, "Too large")
        assert count(app, Participant) == before
        # A small file still goes through.
        response = client.post(
            f"/games/{game_id}/participants",
            data={"csv_file": (io.BytesIO(b"name,email\nSam,sam@example.org\n"), "p.csv")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
        assert count(app, Participant) == before + 1


def test_a_note_over_the_limit_is_refused_clearly_and_kept_in_the_form(app):
    with app.app_context():
        game = make_running_game(make_facilitator(), PEOPLE)
        angel = people_of(game)[0]
    client = participant_client(app, angel)
    limit = app.config["NOTE_MAX_LENGTH"]
    text = ("Thank you for the tea " * 100)[: limit + 1]
    response = client.post("/me/angel/note", data={"message": text, "when": "next"})
    assert response.status_code == 400
    page = response.text
    assert f"The note is {limit + 1} characters; the limit is {limit}." in page
    assert text in page  # still in the box
    assert count(app, Kindness) == 0


@pytest.mark.parametrize(
    ("step", "field", "limit"), [("thanks", "message", 500), ("report", "reason", 1000)]
)
def test_a_too_long_thanks_or_report_is_refused_and_kept_in_the_form(app, step, field, limit):
    """Bad input gets a clear message and loses nothing (PRODUCT.md), as a long note does."""
    with app.app_context():
        game = make_running_game(make_facilitator(), PEOPLE)
        people = people_of(game)
        angel = db.session.get(Participant, people[0].id)
        note = notes.send_note(angel, "Hello", now=SENT_AT, rng=random.Random(1))
        periodic.tick(now=note.deliver_at, rng=random.Random(2))
        note_id, mortal_id = note.public_id, pairings_of(game)[angel.id]
    mortal = next(p for p in people if p.id == mortal_id)
    client = participant_client(app, mortal)
    text = ("You made my whole week brighter " * 40)[: limit + 1]
    response = client.post(f"/me/inbox/{note_id}/{step}", data={field: text})
    assert response.status_code == 400, "the text was thrown away with a redirect"
    assert f"up to {limit} characters" in response.text
    assert text in response.text
    assert count(app, Thanks) == 0 and count(app, Report) == 0


# --------------------------------------------------------------------------------------------
# 4. NUL characters


def test_nul_characters_are_refused_everywhere_and_nothing_is_stored(app):
    with app.app_context():
        fac = make_facilitator()
        draft = make_game(fac, 3, name="Draft month")
        running = make_running_game(fac, PEOPLE, name="Running month")
        draft_id, running_id = draft.id, running.id
        angel = people_of(running)[0]
    anon = app.test_client()
    fac_client = app.test_client()
    assert login(fac_client).status_code == 302
    part = participant_client(app, angel)
    before = snapshot(app)

    cases = [
        anon.post(
            "/signup",
            data={
                "name": "Eve\x00",
                "email": "eve@example.org",
                "password": PASSWORD,
                "confirm": PASSWORD,
            },
        ),
        anon.get("/lost-link?email=a%00b@example.org"),
        anon.get("/?q=%00"),
        anon.get("/g/abc%00def"),
        anon.post("/lost-link", data={"email": "aurora.f@example.org\x00"}),
        fac_client.post(
            f"/games/{draft_id}/participants", data={"lines": "Nul\x00 Person <nul@example.org>"}
        ),
        fac_client.post("/games/new", data=game_form("Nul\x00 game")),
        fac_client.post(f"/games/{running_id}/ideas", data={"text": "Idea\x00"}),
        fac_client.get(f"/games/{running_id}?tab=%00"),
        part.post("/me/angel/note", data={"message": "Hi\x00 there", "when": "next"}),
        part.post("/me/hints", data={"brightens": "Tea\x00"}),
        part.post("/me/journal/value", data={"value-value": "Kind\x00ness"}),
    ]
    for response in cases:
        assert_friendly(response, 400, "Something was wrong with that request")
    assert snapshot(app) == before

    # An uploaded file is not a form field: a NUL inside it never reaches the database either.
    import io

    response = fac_client.post(
        f"/games/{draft_id}/participants",
        data={"csv_file": (io.BytesIO(b"name,email\nNu\x00la,nula@example.org\n"), "p.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (200, 302, 400)
    with app.app_context():
        names = db.session.execute(select(Participant.name)).scalars().all()
    assert not [n for n in names if "\x00" in n]


# --------------------------------------------------------------------------------------------
# 5. Hostile text comes out inert; no header injection through line breaks


def _assert_inert(text: str, where: str) -> None:
    low = text.lower()
    assert "<script>alert" not in low, where
    assert "<img src=x" not in low, where
    assert "onerror=alert(1)>" not in low.replace("&gt;", ""), where
    assert not re.search(r"""(href|src|action|formaction)\s*=\s*["']?\s*javascript:""", low), where
    assert "alert(1)49" not in low, where  # {{7*7}} was not evaluated


def test_hostile_text_is_escaped_in_pages_and_emails(app):
    with app.app_context():
        make_facilitator()
    fac = app.test_client()
    assert login(fac).status_code == 302
    response = fac.post("/games/new", data=game_form(PAYLOAD, welcome=PAYLOAD, allow_self_join="y"))
    assert response.status_code == 302, response.text
    game_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    roster = "\n".join(
        [
            f"{PAYLOAD}, xss1@example.org",
            f"{SCRIPT}, xss2@example.org",
            f"{JS_URL}, xss3@example.org",
            f"{TEMPLATE}, xss4@example.org",
            "Plain Person, plain@example.org",
        ]
    )
    assert fac.post(f"/games/{game_id}/participants", data={"lines": roster}).status_code == 302
    roster_page = fac.get(f"/games/{game_id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in roster_page
    assert TEMPLATE in roster_page
    assert fac.post(f"/games/{game_id}/drop-offs", data={"name": PAYLOAD}).status_code == 302
    assert fac.post(f"/games/{game_id}/ideas", data={"text": PAYLOAD}).status_code == 302
    assert fac.post(f"/games/{game_id}/draw").status_code == 302

    with app.app_context():
        game = db.session.get(Game, game_id)
        public_id = game.public_id
        people = people_of(game)
        mortal_of = pairings_of(game)
    by_id = {p.id: p for p in people}
    angel_of = {m: a for a, m in mortal_of.items()}
    clients = {p.id: participant_client(app, p) for p in people}
    target = people[0].id  # the payload-named person
    angel = angel_of[target]

    # Hints, a note, an in-person kindness, journal: all the payload.
    assert (
        clients[target]
        .post(
            "/me/hints",
            data={
                "brightens": PAYLOAD,
                "favourite_treat": PAYLOAD,
                "avoid": PAYLOAD,
                "appreciated_by": PAYLOAD,
            },
        )
        .status_code
        == 302
    )
    assert (
        clients[angel].post("/me/angel/note", data={"message": PAYLOAD, "when": "next"}).status_code
        == 302
    )
    other = next(p for p in people if p.id not in (target, angel))
    assert (
        clients[other.id]
        .post("/me/angel/in-person", data={"instruction": PAYLOAD, "message": PAYLOAD})
        .status_code
        == 302
    )
    assert (
        clients[target]
        .post(
            "/me/journal",
            data={"entry-day": "2026-12-03", "entry-did": PAYLOAD, "entry-felt": PAYLOAD},
        )
        .status_code
        == 302
    )
    with app.app_context():
        note = db.session.execute(
            select(Kindness).where(Kindness.angel_id == angel, Kindness.kind == "note")
        ).scalar_one()
        note_id = note.public_id
        periodic.tick(now=note.deliver_at, rng=random.Random(1))
        offer = db.session.execute(
            select(CourierRequest)
            .join(Kindness, Kindness.id == CourierRequest.kindness_id)
            .where(Kindness.angel_id == other.id, CourierRequest.state == "offered")
        ).scalar_one()
        offer_id, courier, offer_released = offer.public_id, offer.courier_id, offer.released_at
    inbox = clients[target].get("/me/inbox").text
    assert TEMPLATE in inbox and "&lt;img src=x" in inbox
    assert (
        clients[target].post(f"/me/inbox/{note_id}/thanks", data={"message": PAYLOAD}).status_code
        == 302
    )
    assert (
        clients[target].post(f"/me/inbox/{note_id}/report", data={"reason": PAYLOAD}).status_code
        == 302
    )
    with app.app_context():
        report_id = db.session.execute(select(Report.id)).scalar_one()
    assert (
        fac.post(
            f"/games/{game_id}/reports/{report_id}/warn",
            data={f"r{report_id}-warn-text": PAYLOAD},
        ).status_code
        == 302
    )

    # The thanks reaches the angel only at a random moment of a later round.
    with app.app_context():
        thanks_released = db.session.execute(select(Thanks.released_at)).scalar_one()
    assert thanks_released > utcnow()
    before_release = clients[angel].get("/me/angel")
    assert before_release.status_code == 200
    assert "Thanks from your mortal" not in before_release.text
    _assert_inert(before_release.text, "/me/angel before the thanks is released")

    # The courier sees the offer from its release moment; once accepted, the page shows the
    # hostile instruction and message.
    with time_machine.travel(offer_released + timedelta(minutes=1), tick=False):
        accepted = clients[courier].post(f"/me/deliveries/{offer_id}/accept")
        assert accepted.status_code == 302, accepted.text

    later = max(thanks_released, offer_released) + timedelta(minutes=1)
    travel = time_machine.travel(later, tick=False)
    travel.start()
    try:
        pages = _hostile_pages(fac, clients, by_id, game_id, target, public_id)
    finally:
        travel.stop()
    assert "Thanks from your mortal" in pages[f"/me/angel as {by_id[angel].email}"].text
    carried = pages[f"/me/deliveries as {by_id[courier].email}"].text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in carried, "the instruction is shown escaped"
    for where, response in pages.items():
        assert response.status_code == 200, where
        _assert_inert(response.text, where)

    with app.app_context():
        mails = db.session.execute(select(OutboxMessage)).scalars().all()
        assert any("&lt;script&gt;alert(1)" in m.body_html for m in mails)
        assert {m.kind for m in mails} >= {"invitation", "kindness-arrived", "thanks"}
        for m in mails:
            _assert_inert(m.body_html, f"{m.kind} to {m.to_addr}")
            assert "\r" not in m.subject + m.to_addr and "\n" not in m.subject + m.to_addr


def _hostile_pages(fac, clients, by_id, game_id: int, target: int, public_id: str) -> dict:
    """Every page of the facilitator and of each participant, by a label."""
    pages = {
        url: fac.get(url)
        for url in [
            "/games",
            f"/games/{game_id}",
            f"/games/{game_id}/edit",
            f"/games/{game_id}/participants/{target}",
            f"/games/{game_id}/dashboard",
            f"/games/{game_id}/moderation",
            f"/games/{game_id}/end",
            f"/g/{public_id}",
        ]
    }
    for pid, c in clients.items():
        for url in [
            "/me",
            "/me/angel",
            "/me/inbox",
            "/me/hints",
            "/me/guess",
            "/me/deliveries",
            "/me/journal",
            "/me/preferences",
            "/me/rules",
        ]:
            pages[f"{url} as {by_id[pid].email}"] = c.get(url)
    return pages


def test_line_breaks_cannot_inject_mail_headers(app):
    with app.app_context():
        make_facilitator()
    fac = app.test_client()
    assert login(fac).status_code == 302
    response = fac.post(
        "/games/new", data=game_form("Kindness\r\nBcc: x@evil.test", allow_self_join="y")
    )
    assert response.status_code == 302
    game_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    pasted = (
        "Eve\r\nBcc: x@evil.test <eve@example.org>\n"
        "Al, al@example.org\nBo <bo@example.org>\nCy, cy@example.org"
    )
    fac.post(f"/games/{game_id}/participants", data={"lines": pasted})
    assert fac.post(f"/games/{game_id}/draw").status_code == 302
    with app.app_context():
        game = db.session.get(Game, game_id)
        public_id = game.public_id
        cy = next(p for p in people_of(game) if p.email == "cy@example.org")
    # After the draw: a name with a line break (the invitation is re-sent), an address with one.
    fac.post(
        f"/games/{game_id}/participants/{cy.id}",
        data={"name": "Cy\r\nBcc: x@evil.test", "email": "cy@example.org"},
    )
    fac.post(
        f"/games/{game_id}/participants/{cy.id}",
        data={"name": "Cy", "email": "cy@example.org\r\nBcc: x@evil.test"},
    )
    fac.post(f"/games/{game_id}/edit", data=game_form("Renamed\nBcc: y@evil.test"))
    app.test_client().post(
        f"/g/{public_id}/join", data={"name": "Jo\r\nBcc: x@evil.test", "email": "jo@example.org"}
    )
    app.test_client().post("/lost-link", data={"email": "al@example.org\r\nBcc: x@evil.test"})
    app.test_client().post("/lost-link", data={"email": "al@example.org"})

    with app.app_context():
        mails = db.session.execute(select(OutboxMessage)).scalars().all()
        assert len(mails) >= 5
        for m in mails:
            assert not re.search(r"[\r\n]", m.subject), m.subject
            assert not re.search(r"[\r\n]", m.to_addr), m.to_addr
            assert "evil.test" not in m.to_addr
        names = db.session.execute(select(Participant.name)).scalars().all()
        assert not [n for n in names if re.search(r"[\r\n]", n)]
        assert not re.search(r"[\r\n]", db.session.get(Game, game_id).name)


# --------------------------------------------------------------------------------------------
# 6. Error pages


def test_error_pages_are_friendly_and_reveal_nothing(app):
    @app.route("/test-only/forbidden")
    def _forbidden():
        abort(403)

    @app.route("/test-only/boom")
    def _boom():
        raise RuntimeError(f"kaboom {PEOPLE[0][0]} {PEOPLE[0][1]}")

    with app.app_context():
        game = make_running_game(make_facilitator(), PEOPLE)
        game_id = game.id
    client = app.test_client()
    fac = app.test_client()
    assert login(fac).status_code == 302

    responses = {
        400: client.get("/?q=%00"),
        403: client.get("/test-only/forbidden"),
        404: client.get("/no-such-page"),
        405: client.get("/logout"),
    }
    responses["404 other game"] = fac.get(f"/games/{game_id + 1000}")
    app.config["MAX_CONTENT_LENGTH"] = 1_000
    responses[413] = client.post("/signup", data={"name": "x" * 5_000})
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    for _ in range(3):
        assert client.post("/lost-link", data={"email": "who@example.org"}).status_code == 302
    responses[429] = client.post("/lost-link", data={"email": "who@example.org"})
    responses[500] = fac.get("/test-only/boom")

    titles = {
        400: "Something was wrong with that request",
        403: "Not allowed",
        404: "Page not found",
        405: "Not allowed",
        413: "Too large",
        429: "Slow down",
        500: "Something went wrong on our side",
    }
    for key, response in responses.items():
        code = key if isinstance(key, int) else 404
        text = assert_friendly(response, code, titles[code])
        assert "kaboom" not in text and "RuntimeError" not in text
        for name, email in PEOPLE:
            assert name not in text and email not in text


@pytest.mark.parametrize("number", [2**31, 10**25])
def test_an_id_too_large_for_the_database_is_not_found(app, number):
    """Every route with a number in it, and the exclusion form's people, answer an id beyond
    the database's integer range as an unknown one — never with a server error."""
    with app.app_context():
        game = make_running_game(make_facilitator(), PEOPLE)
        draft = make_game(make_facilitator("Fay", "fay@example.org"), 3)
        draft_id = draft.id
        angel = people_of(game)[0]
    fac = app.test_client()
    assert login(fac).status_code == 302
    part = participant_client(app, angel)
    checked = 0
    for rule in app.url_map.iter_rules():
        numbers = [n for n, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]
        if not numbers or rule.rule.startswith("/test-only"):
            continue
        path = rule.rule
        for name in rule.arguments:
            value = number if name in numbers else "x"
            path = re.sub(rf"<[^>]*\b{name}>", str(value), path)
        client = part if path.startswith("/me/") else fac
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = client.open(path, method=method)
            assert response.status_code == 404, f"{method} {path}"
            checked += 1
    assert checked >= 20
    login(fac, "fay@example.org")
    response = fac.post(
        f"/games/{draft_id}/exclusions",
        data={"angel": number, "mortal": number + 1, "direction": "both"},
        follow_redirects=True,
    )
    assert response.status_code == 200 and "Choose two people from the roster." in response.text


# --------------------------------------------------------------------------------------------
# 7. SECRET_KEY rules


def _server_config(tmp_path, **extra) -> dict:
    config = {
        "SQLALCHEMY_DATABASE_URI": database_uri(tmp_path),
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(),
        "AUTO_MIGRATE": False,
    }
    config.update(extra)
    return config


def test_a_server_refuses_to_start_without_a_real_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("ANGELS_ENV", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app(_server_config(tmp_path))
    for weak in ("dev", "DEV", "changeme", "short-key"):
        with pytest.raises(RuntimeError, match="SECRET_KEY is too weak"):
            create_app(_server_config(tmp_path, SECRET_KEY=weak))
    app = create_app(_server_config(tmp_path, SECRET_KEY=STRONG_KEY))
    assert app.secret_key == STRONG_KEY
    with app.app_context():
        db.session.remove()
        db.engine.dispose()

    monkeypatch.setenv("ANGELS_ENV", "production")
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app(_server_config(tmp_path, TESTING=True))
    with pytest.raises(RuntimeError, match="SECRET_KEY is too weak"):
        create_app(_server_config(tmp_path, TESTING=True, SECRET_KEY="dev"))


def test_a_server_refuses_a_weak_fallback_key(tmp_path, monkeypatch):
    """A fallback key still verifies sessions and links: "dev" there is as forgeable as "dev"
    as SECRET_KEY (and is what someone moving off a refused "dev" key would put there)."""
    monkeypatch.delenv("ANGELS_ENV", raising=False)
    with pytest.raises(RuntimeError, match="weak"):
        app = create_app(
            _server_config(tmp_path, SECRET_KEY=STRONG_KEY, SECRET_KEY_FALLBACKS=["dev"])
        )
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_secret_key_fallbacks_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", " old-key-one-0123456789 , old-key-two-0123456789,")
    flask_app = Flask(__name__)
    app_config_module._from_environment(flask_app)
    assert flask_app.config["SECRET_KEY"] == STRONG_KEY
    assert flask_app.config["SECRET_KEY_FALLBACKS"] == [
        "old-key-one-0123456789",
        "old-key-two-0123456789",
    ]


def test_links_and_sessions_survive_key_rotation_only_with_the_fallback(tmp_path):
    old, new = "old-" + STRONG_KEY, "new-" + STRONG_KEY
    directory = tmp_path / "rotate"
    with own_app(directory, SECRET_KEY=old) as first:
        with first.app_context():
            person = people_of(make_running_game(make_facilitator(), PEOPLE))[0]
            token = participant_link_token(person.public_id, person.link_version)
        before = first.test_client()
        assert follow_link(before, f"/p/{token}").status_code == 302
        settings = {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": first.config["SQLALCHEMY_DATABASE_URI"],
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options(),
            "AUTO_TICK": False,
            "PUBLIC_BASE_URL": "http://angels.test",
        }
        rotated = create_app({**settings, "SECRET_KEY": new, "SECRET_KEY_FALLBACKS": [old]})
        dropped = create_app({**settings, "SECRET_KEY": new})
        try:
            client = rotated.test_client()
            response = follow_link(client, f"/p/{token}")
            assert response.status_code == 302 and response.headers["Location"].endswith("/me")
            assert person.name in client.get("/me").text
            # A session cookie made with the old key keeps working too.
            before_cookie = before.get_cookie("session").value
            client = rotated.test_client()
            client.set_cookie("session", before_cookie)
            assert client.get("/me").status_code == 200

            client = dropped.test_client()
            assert follow_link(client, f"/p/{token}").status_code == 404
            client.set_cookie("session", before_cookie)
            assert client.get("/me").status_code == 404
        finally:
            for other in (rotated, dropped):
                with other.app_context():
                    db.session.remove()
                    db.engine.dispose()


# --------------------------------------------------------------------------------------------
# 8. Rate limits (each test has a new app, so the limiter's memory starts empty)


def test_login_is_rate_limited_per_client(app, client):
    with app.app_context():
        make_facilitator()
    for _ in range(10):
        response = client.post("/login", data={"email": "fran@example.org", "password": "wrong!"})
        assert response.status_code == 200
    response = client.post("/login", data={"email": "fran@example.org", "password": PASSWORD})
    assert_friendly(response, 429, "Slow down")
    assert client.get("/games").status_code == 302  # not logged in


def test_signup_is_rate_limited(app, client):
    for i in range(10):
        response = client.post(
            "/signup",
            data={"name": "N", "email": f"n{i}@example.org", "password": "x", "confirm": "y"},
        )
        assert response.status_code == 200
    response = client.post(
        "/signup",
        data={
            "name": "Late",
            "email": "late@example.org",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert_friendly(response, 429, "Slow down")
    assert count(app, Facilitator) == 0


def test_notes_are_rate_limited_per_participant(tmp_path):
    with own_app(tmp_path / "notes", KINDNESS_DAILY_LIMIT=100) as app:
        with app.app_context():
            people = people_of(make_running_game(make_facilitator(), PEOPLE))
        busy, calm = participant_client(app, people[0]), participant_client(app, people[1])
        for i in range(30):
            response = busy.post("/me/angel/note", data={"message": f"Note {i}", "when": "next"})
            assert response.status_code == 302, (i, response.status_code)
        response = busy.post("/me/angel/note", data={"message": "One more", "when": "next"})
        assert_friendly(response, 429, "Slow down")
        assert count(app, Kindness) == 30
        # The limit is per participant, not per address.
        response = calm.post("/me/angel/note", data={"message": "Hi", "when": "next"})
        assert response.status_code == 302
