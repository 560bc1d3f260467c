"""The promise of anonymity: nobody but an angel learns who their mortal is, and nobody learns
their own angel — not the facilitator from any page or error, not a participant from an email,
their page, their cookie, their link or someone else's link.

Every property test builds its own application on a fresh SQLite file per example, drives it
through the real web routes, and reads the outbox and the pairings straight from the database.
"""

from __future__ import annotations

import html
import json
import random
import re
import shutil
import tempfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from unittest import mock

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode
from sqlalchemy import select, update

from app.domain.draw import DrawImpossible, draw_cycle
from app.extensions import db
from app.models import Exclusion, Game, OutboxMessage, Pairing, Participant
from app.services import draw as draw_service
from app.services import links as links_service
from app.services import roster as roster_service
from app.tokens import PARTICIPANT_LINK_SALT
from tests.helpers import app_settings, build_app, emptied, follow_link, without_csrf

SECRET = "test-secret"
BASE_URL = "http://angels.test"
FACILITATOR = ("Fran Facilitator", "fran@example.org")
GAME_NAME = "Kindness month"
GROUP_NAME = "Design team"
WELCOME = "Be kind!"

PROPERTY = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --------------------------------------------------------------------------------------------
# Apps, rosters and games


@contextmanager
def fresh_app(**overrides):
    """An application on its own new SQLite file, removed afterwards."""
    folder = tempfile.mkdtemp(prefix="anonymity-")
    # A second app on the same data keeps it.
    app = build_app(
        app_settings(folder, **overrides), empty="SQLALCHEMY_DATABASE_URI" not in overrides
    )
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class Roster:
    """People as (name, email) and exclusions as (angel index, mortal index, both ways)."""

    people: tuple[tuple[str, str], ...]
    exclusions: tuple[tuple[int, int, bool], ...]


@dataclass(frozen=True)
class Person:
    """A participant as stored (names and emails as the app normalised them)."""

    id: int
    public_id: str
    name: str
    email: str
    link_version: int


# Suffix letters leave out Z, q, x, m and digits: every name is "Zq<i>x…" and every email
# "m<i>q…@…", so no name or email can be a substring of another one (checked anyway).
_NAME_LETTERS = "abcdefghijklnoprstuvwyéüñçøåßÅÉЖжлиδλ李王"
_EMAIL_LETTERS = "abcdefghijklnoprstuvwyéñü"
_DOMAINS = ("example.org", "example.com", "beispiel.de", "müller.de")


@st.composite
def rosters(draw, min_size: int = 3, max_size: int = 12) -> Roster:
    """A feasible roster: unicode-ish unique names and emails, exclusions kept clear of a hidden
    valid cycle (so a draw always exists)."""
    n = draw(st.integers(min_size, max_size))
    people = []
    for i in range(n):
        first = draw(st.text(_NAME_LETTERS, max_size=6))
        last = draw(st.text(_NAME_LETTERS, max_size=6))
        name = " ".join(part for part in (f"Zq{i}x{first}", last) if part)
        local = draw(st.text(_EMAIL_LETTERS, max_size=6))
        people.append((name, f"m{i}q{local}@{draw(st.sampled_from(_DOMAINS))}"))
    witness = draw(st.permutations(range(n)))
    used = {(witness[k], witness[(k + 1) % n]) for k in range(n)}
    wanted = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.booleans()), max_size=n // 2
        )
    )
    exclusions, seen = [], set()
    for a, m, both in wanted:
        pair = frozenset((a, m))
        if a == m or pair in seen or (a, m) in used or (both and (m, a) in used):
            continue
        seen.add(pair)
        exclusions.append((a, m, both))
    return Roster(tuple(people), tuple(exclusions))


def build_game(app, roster: Roster):
    """Sign up, create a game, paste the roster and add exclusions, all through the web.

    Returns the facilitator's logged-in client, the game id and the people in id order.
    """
    client = app.test_client()
    name, email = FACILITATOR
    response = client.post(
        "/signup",
        data={
            "name": name,
            "email": email,
            "password": "correct horse battery",
            "confirm": "correct horse battery",
        },
    )
    assert response.status_code == 302, response.text
    response = client.post(
        "/games/new",
        data={
            "name": GAME_NAME,
            "group_kind": "team",
            "group_name": GROUP_NAME,
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-29",
            "welcome": WELCOME,
        },
    )
    assert response.status_code == 302, response.text
    game_id = int(response.location.rstrip("/").rsplit("/", 1)[1])
    lines = "\n".join(f"{n} <{e}>" for n, e in roster.people)
    response = client.post(f"/games/{game_id}/participants", data={"lines": lines})
    assert response.status_code == 302, response.text
    people = people_of(app, game_id)
    assert len(people) == len(roster.people)
    for a, m, both in roster.exclusions:
        client.post(
            f"/games/{game_id}/exclusions",
            data={
                "angel": people[a].id,
                "mortal": people[m].id,
                "direction": "both" if both else "one",
            },
        )
    with app.app_context():
        assert db.session.execute(
            select(db.func.count()).select_from(Exclusion).where(Exclusion.game_id == game_id)
        ).scalar_one() == len(roster.exclusions)
    return client, game_id, people


def people_of(app, game_id: int) -> list[Person]:
    """The game's participants as stored, in id (roster) order."""
    with app.app_context():
        rows = db.session.execute(
            select(Participant).where(Participant.game_id == game_id).order_by(Participant.id)
        ).scalars()
        people = [Person(p.id, p.public_id, p.name, p.email, p.link_version) for p in rows]
    texts = [p.name for p in people] + [p.email for p in people]
    for i, a in enumerate(texts):  # the substring checks below rely on this
        for j, b in enumerate(texts):
            assert i == j or a not in b, (a, b)
    return people


def forbidden_arcs(app, game_id: int) -> set[tuple[int, int]]:
    """The exclusions as angel -> mortal arcs (as the draw reads them)."""
    with app.app_context():
        arcs = set()
        rows = db.session.execute(select(Exclusion).where(Exclusion.game_id == game_id))
        for e in rows.scalars():
            arcs.add((e.angel_id, e.mortal_id))
            if e.both_ways:
                arcs.add((e.mortal_id, e.angel_id))
        return arcs


def pairings(app, game_id: int) -> dict[int, int]:
    """angel id -> mortal id (tests only)."""
    with app.app_context():
        return dict(
            db.session.execute(
                select(Pairing.angel_id, Pairing.mortal_id).where(Pairing.game_id == game_id)
            ).all()
        )


def web_draw(client, game_id: int, seed: int):
    """Press the draw button, with the draw's randomness seeded."""
    seeded = SimpleNamespace(SystemRandom=lambda: random.Random(seed), Random=random.Random)
    with mock.patch.object(draw_service, "random", seeded):
        return client.post(f"/games/{game_id}/draw", follow_redirects=True)


def drawn_game(app, roster: Roster, seed: int = 0):
    """A game built and drawn through the web; returns client, game id, people, pairings."""
    client, game_id, people = build_game(app, roster)
    response = web_draw(client, game_id, seed)
    assert response.status_code == 200, response.text
    pairs = pairings(app, game_id)
    assert sorted(pairs) == sorted(p.id for p in people)
    return client, game_id, people, pairs


def angel_of(pairs: dict[int, int]) -> dict[int, int]:
    """mortal id -> angel id."""
    return {m: a for a, m in pairs.items()}


def leaked(text: str, people: list[Person], allowed: set[int] = frozenset()) -> list[str]:
    """The names and emails of people not in `allowed` that occur in the text (HTML unescaped)."""
    plain = html.unescape(text)
    return [
        value
        for p in people
        if p.id not in allowed
        for value in (p.name, p.email)
        if value in plain
    ]


def token_payload(token: str):
    """Read what a signed link carries, without checking its signature (anyone can do this)."""
    payload = token.rsplit(".", 2)[0]
    compressed = payload.startswith(".")
    raw = base64_decode(payload[1:] if compressed else payload)
    return json.loads(zlib.decompress(raw) if compressed else raw)


def session_of(app, client) -> dict:
    """The client's session cookie, decoded with the app's own serializer."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


_LINK = re.compile(re.escape(BASE_URL) + r"/p/([A-Za-z0-9_.\-]+)")


# --------------------------------------------------------------------------------------------
# 1 + 2. The facilitator's pages do not depend on the pairing


def facilitator_pages(client, game_id: int, people: list[Person]) -> list[tuple[str, int, str]]:
    """Every page a facilitator can reach for a drawn game, as (what, status, body), with
    CSRF tokens blanked."""
    first = people[0]
    requests = [
        ("game list", "get", "/games", {}),
        ("home", "get", "/", {}),
        ("game", "get", f"/games/{game_id}", {}),
        ("edit game", "get", f"/games/{game_id}/edit", {}),
        *[
            (f"edit participant {p.id}", "get", f"/games/{game_id}/participants/{p.id}", {})
            for p in people
        ],
        ("second draw (409)", "post", f"/games/{game_id}/draw", {}),
        (
            "edit participant after draw",
            "post",
            f"/games/{game_id}/participants/{first.id}",
            {"name": first.name + " B", "email": first.email},
        ),
        (
            "add people after draw",
            "post",
            f"/games/{game_id}/participants",
            {"lines": "Late Comer <late@example.org>"},
        ),
        (
            "remove participant after draw",
            "post",
            f"/games/{game_id}/participants/{first.id}/remove",
            {},
        ),
        (
            "exclusion after draw",
            "post",
            f"/games/{game_id}/exclusions",
            {"angel": people[0].id, "mortal": people[1].id, "direction": "both"},
        ),
        ("remove exclusion after draw", "post", f"/games/{game_id}/exclusions/1/remove", {}),
        ("missing participant", "get", f"/games/{game_id}/participants/99999", {}),
        ("missing game", "get", "/games/99999", {}),
        ("draw page after the draw (back to the game)", "get", f"/games/{game_id}/draw", {}),
        ("unknown page", "get", "/no/such/page", {}),
    ]
    pages = []
    for what, method, url, data in requests:
        response = getattr(client, method)(url, data=data, follow_redirects=True)
        pages.append((what, response.status_code, without_csrf(response.text)))
    return pages


def assert_no_pairing_shown(pages, people: list[Person], pairs: dict[int, int]) -> None:
    """Invariant 2 by hand: no "angel of", no arrow between names, no mortal next to its angel."""
    by_id = {p.id: p for p in people}
    for what, _, body in pages:
        text = html.unescape(body)
        assert "angel of" not in text.lower(), what
        assert "→" not in text and "↔" not in text and "-&gt;" not in body, what
        for angel, mortal in pairs.items():
            pattern = (
                re.escape(by_id[angel].name)
                + r"\s*(?:->|→|:|=>)\s*"
                + re.escape(by_id[mortal].name)
            )
            assert not re.search(pattern, text), what


@PROPERTY
@given(roster=rosters())
def test_facilitator_pages_are_identical_whatever_the_draw(app, roster):
    with emptied(app) as app_a:
        client_a, game_a, people_a = build_game(app_a, roster)
        ids = [p.id for p in people_a]
        arcs = forbidden_arcs(app_a, game_a)

        def predicted(seed):
            try:
                return draw_cycle(ids, arcs, random.Random(seed), {})
            except DrawImpossible:  # pragma: no cover - the roster strategy keeps it feasible
                raise AssertionError("the generated roster should be drawable") from None

        first = predicted(0)
        other_seeds = [s for s in range(1, 80) if predicted(s) != first]
        assume(other_seeds)  # only when exclusions leave exactly one valid cycle
        assert web_draw(client_a, game_a, 0).status_code == 200
        pairs_a = pairings(app_a, game_a)
        pages_a = facilitator_pages(client_a, game_a, people_a)

        for seed in other_seeds[:5]:
            with emptied(app) as app_b:
                client_b, game_b, people_b = build_game(app_b, roster)
                assert game_b == game_a and [p.id for p in people_b] == ids
                assert [(p.name, p.email) for p in people_b] == [
                    (p.name, p.email) for p in people_a
                ]
                assert web_draw(client_b, game_b, seed).status_code == 200
                pairs_b = pairings(app_b, game_b)
                if pairs_b == pairs_a:
                    continue
                pages_b = facilitator_pages(client_b, game_b, people_b)
                break
        else:  # pragma: no cover
            raise AssertionError("could not draw a different cycle")

    assert pairs_a != pairs_b
    assert [what for what, _, _ in pages_a] == [what for what, _, _ in pages_b]
    for (what, status_a, body_a), (_, status_b, body_b) in zip(pages_a, pages_b, strict=True):
        assert status_a == status_b, what
        assert body_a == body_b, f"{what} differs between two draws of the same roster"
    # The pages checked are what they claim to be (so the equality above means something).
    statuses = {what: status for what, status, _ in pages_a}
    assert statuses["game"] == 200 and statuses["second draw (409)"] == 409
    assert statuses["missing participant"] == statuses["missing game"] == 404
    assert statuses["draw page after the draw (back to the game)"] == 200
    bodies = dict((what, body) for what, _, body in pages_a)
    assert "already been drawn" in bodies["draw page after the draw (back to the game)"]
    game_page = dict((what, body) for what, _, body in pages_a)["game"]
    assert not leaked(game_page, people_a, allowed=set(ids))  # sanity
    assert all(p.name in html.unescape(game_page) for p in people_a)
    assert_no_pairing_shown(pages_a, people_a, pairs_a)
    assert_no_pairing_shown(pages_b, people_b, pairs_b)


def test_arrows_between_names_show_only_exclusions_before_the_draw():
    """The hand check of invariant 2 can see an arrow: a draft's one-way exclusion shows one,
    and after the draw no arrow and no "angel of" remain on any facilitator page."""
    roster = Roster(
        tuple((f"Zq{i}x Person", f"m{i}q@example.org") for i in range(5)),
        ((0, 1, False), (2, 3, True)),
    )
    with fresh_app() as app:
        client, game_id, people = build_game(app, roster)
        draft = html.unescape(client.get(f"/games/{game_id}").text)
        assert f"{people[0].name} → {people[1].name}" in draft
        assert f"{people[2].name} ↔ {people[3].name}" in draft
        assert web_draw(client, game_id, 3).status_code == 200
        pairs = pairings(app, game_id)
        assert pairs[people[0].id] != people[1].id
        assert {pairs[people[2].id], pairs[people[3].id]}.isdisjoint({people[2].id, people[3].id})
        pages = facilitator_pages(client, game_id, people)
        assert_no_pairing_shown(pages, people, pairs)


def test_the_developer_outbox_does_not_exist_outside_debug_and_testing():
    """/dev/outbox shows every mortal's name; a production server answers 404 for it."""
    roster = Roster(tuple((f"Zq{i}x Person", f"m{i}q@example.org") for i in range(4)), ())
    with fresh_app(TESTING=False, SECRET_KEY="a-long-enough-production-key") as app:
        client, game_id, people, _ = drawn_game(app, roster)
        with app.app_context():
            message_id = db.session.execute(select(OutboxMessage.id)).scalars().first()
        for url in ("/dev/outbox", f"/dev/outbox/{message_id}"):
            response = client.get(url)
            assert response.status_code == 404, url
            assert not leaked(response.text, people)


# --------------------------------------------------------------------------------------------
# 3. Invitations name nobody but their recipient; their link opens the page naming the mortal


@PROPERTY
@given(roster=rosters())
def test_each_invitation_names_only_its_recipient_and_its_link_shows_the_mortal(app, roster):
    with emptied(app):
        _, game_id, people, pairs = drawn_game(app, roster)
        with app.app_context():
            messages = (
                db.session.execute(select(OutboxMessage).where(OutboxMessage.game_id == game_id))
                .scalars()
                .all()
            )
            messages = [
                (
                    m.participant_id,
                    m.kind,
                    m.to_addr,
                    m.subject,
                    m.body_text,
                    m.body_html,
                    m.message_id,
                )
                for m in messages
            ]
        by_id = {p.id: p for p in people}
        angels = angel_of(pairs)
        assert sorted(m[0] for m in messages) == sorted(by_id)
        for pid, kind, to_addr, subject, text, body_html, message_id in messages:
            me, mortal, angel = by_id[pid], by_id[pairs[pid]], by_id[angels[pid]]
            assert kind == "invitation"
            assert to_addr == me.email, "an invitation is addressed to its recipient alone"
            assert not leaked(subject, people), subject
            assert not leaked(message_id, people) and me.public_id not in message_id
            for body in (text, html.unescape(body_html)):
                assert me.name in body
                # An email never names a mortal (nor anyone else): the private page does.
                assert mortal.name not in body and mortal.email not in body, "the mortal is named"
                assert angel.name not in body and angel.email not in body, "the angel is named"
                assert not leaked(body, people, allowed={me.id})
                assert not any(p.public_id in body for p in people if p.id != me.id)
            tokens = {*_LINK.findall(text), *_LINK.findall(html.unescape(body_html))}
            assert len(tokens) == 1
            token = tokens.pop()
            assert token_payload(token) == {"p": me.public_id, "v": me.link_version}

            # The link opens the recipient's own page, and that page names their mortal.
            client = app.test_client()
            opened = follow_link(client, f"/p/{token}")
            assert opened.status_code == 302 and opened.headers["Location"] == "/me"
            page = client.get("/me")
            assert page.status_code == 200
            assert mortal.name in html.unescape(page.text)
            assert not leaked(page.text, people, allowed={me.id, mortal.id})


# --------------------------------------------------------------------------------------------
# 4. A participant's link, cookie and page carry only themselves and their mortal's name


@PROPERTY
@given(roster=rosters(max_size=8))
def test_participant_page_link_and_cookie_reveal_only_the_mortal(app, roster):
    with emptied(app):
        _, game_id, people, pairs = drawn_game(app, roster)
        by_id = {p.id: p for p in people}
        angels = angel_of(pairs)
        with app.app_context():
            links = {
                pid: _LINK.findall(text)[0]
                for pid, text in db.session.execute(
                    select(OutboxMessage.participant_id, OutboxMessage.body_text).where(
                        OutboxMessage.game_id == game_id
                    )
                )
            }
        for me in people:
            mortal, angel = by_id[pairs[me.id]], by_id[angels[me.id]]
            token = links[me.id]
            assert token_payload(token) == {"p": me.public_id, "v": me.link_version}

            client = app.test_client()
            button = client.get(f"/p/{token}")
            assert button.status_code == 200 and "Open my page" in button.text
            assert not leaked(button.text, people, allowed={me.id}), "the link's page names"
            assert mortal.name not in html.unescape(button.text)
            assert client.get_cookie(app.config["SESSION_COOKIE_NAME"]) is None
            response = client.post(f"/p/{token}")
            assert response.status_code == 302
            assert response.headers["Location"] == "/me", "the token leaves the address bar"
            assert not leaked(response.text, people)
            session = session_of(app, client)
            assert session["participant"]["id"] == me.public_id
            assert set(session["participant"]) == {"id", "s"}
            assert set(session) <= {"participant", "_permanent"}

            page = client.get("/me")
            assert page.status_code == 200
            text = html.unescape(page.text)
            assert f"Hello, {me.name}" in text and mortal.name in text
            assert angel.name not in text and angel.email not in text, "the angel is named"
            assert not leaked(page.text, people, allowed={me.id, mortal.id})
            assert mortal.email not in text
            assert not any(p.public_id in page.text for p in people)
            session = session_of(app, client)
            assert session["participant"]["id"] == me.public_id
            # Flask-Login's "_fresh" flag and a CSRF token may join; nothing else.
            assert set(session) <= {"participant", "_permanent", "_fresh", "csrf_token"}
            assert not any(
                value in json.dumps(session, ensure_ascii=False)
                for p in people
                if p.id != me.id
                for value in (p.public_id, p.name, p.email)
            )


# --------------------------------------------------------------------------------------------
# 5. Only your own link opens your page; every bad link gets the same anonymous page


def _signed(payload, secret: str = SECRET, salt: str = PARTICIPANT_LINK_SALT) -> str:
    return URLSafeTimedSerializer(secret, salt=salt).dumps(payload)


def _flip(token: str, index: int) -> str:
    replacement = "A" if token[index] != "A" else "B"
    return token[:index] + replacement + token[index + 1 :]


SMALL = Roster(tuple((f"Zq{i}x Person", f"m{i}q@example.org") for i in range(5)), ())


def test_every_bad_link_gets_the_same_page_naming_nobody():
    with fresh_app() as app:
        _, game_id, people, pairs = drawn_game(app, SMALL)
        me, other, third = people[0], people[1], people[2]
        good = _signed({"p": me.public_id, "v": me.link_version})
        payload_end = good.index(".")
        signature_start = good.rindex(".") + 1
        garbage = app.test_client().get("/p/garbage")
        assert garbage.status_code == 404
        assert "link doesn" in garbage.text

        bad_tokens = {
            "tampered payload": _flip(good, 0),
            "tampered payload middle": _flip(good, payload_end // 2),
            "tampered signature": _flip(good, signature_start + 3),
            "truncated": good[:-4],
            "other salt": _signed({"p": me.public_id, "v": 1}, salt="other-purpose"),
            "default salt": _signed({"p": me.public_id, "v": 1}, salt="itsdangerous"),
            "other secret": _signed({"p": me.public_id, "v": 1}, secret="not-our-secret"),
            "unknown person": _signed({"p": "nobody-at-all", "v": 1}),
            "wrong version": _signed({"p": me.public_id, "v": me.link_version + 1}),
            "malformed payload": _signed({"x": 1}),
            "list payload": _signed([me.public_id, 1]),
            "bad version": _signed({"p": me.public_id, "v": "one"}),
            "public id as token": other.public_id,
            "numeric id as token": str(other.id),
            "empty-ish": ".",
        }
        responses = {
            what: app.test_client().get(f"/p/{token}") for what, token in bad_tokens.items()
        }

        # Expired: the same database and key, but links older than -1 seconds.
        with fresh_app(
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            PARTICIPANT_LINK_MAX_AGE=-1,
        ) as strict:
            responses["expired"] = strict.test_client().get(f"/p/{good}")
            assert follow_link(app.test_client(), f"/p/{good}").status_code == 302  # not here

        # Revoked: a session opened before, then the link version bumped.
        holder = app.test_client()
        assert follow_link(holder, f"/p/{good}").status_code == 302
        assert holder.get("/me").status_code == 200
        # And a deactivated participant's link.
        third_link = _signed({"p": third.public_id, "v": third.link_version})
        with app.app_context():
            links_service.sign_out_everywhere(db.session.get(Participant, me.id))
            db.session.execute(
                update(Participant).where(Participant.id == third.id).values(active=False)
            )
            db.session.commit()
        responses["revoked link"] = app.test_client().get(f"/p/{good}")
        responses["revoked link, pressed"] = app.test_client().post(f"/p/{good}")
        responses["revoked session"] = holder.get("/me")
        responses["inactive participant"] = app.test_client().get(f"/p/{third_link}")
        responses["no session"] = app.test_client().get("/me")

        with app.app_context():
            game_name = db.session.get(Game, game_id).name
        for what, response in responses.items():
            assert response.status_code == 404, what
            assert response.text == garbage.text, what
            assert not leaked(response.text, people), what
            assert game_name not in response.text and GROUP_NAME not in response.text, what
            assert "Set-Cookie" not in response.headers or what == "revoked session", what
        assert session_of(app, holder).get("participant") is None  # the dead session is dropped
        assert not leaked(garbage.text, people) and game_name not in garbage.text
        assert pairs  # the game was drawn: there was something to leak


def test_no_address_with_someone_elses_id_opens_their_page():
    with fresh_app() as app:
        _, game_id, people, pairs = drawn_game(app, SMALL)
        by_id = {p.id: p for p in people}
        me = people[0]
        client = app.test_client()
        assert follow_link(client, f"/p/{_signed({'p': me.public_id, 'v': 1})}").status_code == 302
        mine = client.get("/me")
        assert mine.status_code == 200
        allowed = {me.id, pairs[me.id]}
        for other in people[1:]:
            for url in (
                f"/me?id={other.public_id}",
                f"/me?p={other.public_id}",
                f"/me?participant={other.id}",
                f"/me/{other.public_id}",
                f"/me/{other.id}",
                f"/p/{other.public_id}",
                f"/p/{other.id}",
                f"/participants/{other.id}",
                f"/participant/{other.public_id}",
                f"/games/{game_id}/participants/{other.id}",
                f"/games/{game_id}",
                "/games",
                "/dev/outbox/999",
            ):
                response = client.get(url)
                assert response.status_code in (200, 302, 404), url
                if response.status_code == 302:
                    assert response.location.startswith("/login"), url
                    continue
                assert not leaked(response.text, people, allowed=allowed), url
                if response.status_code == 200:  # only /me with ignored query strings
                    assert url.startswith("/me?"), url
                    assert without_csrf(response.text) == without_csrf(mine.text), url
        # The participant is still themselves, and saw their mortal, never anyone's angel.
        assert f"Hello, {me.name}" in client.get("/me").text
        assert by_id[pairs[me.id]].name in mine.text


def test_any_forged_token_gets_the_same_page():
    with fresh_app() as app:
        _, _, people, _ = drawn_game(app, SMALL)
        reference = app.test_client().get("/p/garbage").text

        @settings(max_examples=60, deadline=None)
        @given(
            token=st.text(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.",
                min_size=1,
                max_size=120,
            )
        )
        def check(token):
            response = app.test_client().get(f"/p/{token}")
            assert response.status_code == 404
            assert response.text == reference
            assert "Set-Cookie" not in response.headers
            assert not leaked(response.text, people)

        check()


# --------------------------------------------------------------------------------------------
# 6. Error pages name nobody and show no stack trace


def _assert_friendly(response, status: int, people: list[Person], what: str) -> None:
    assert response.status_code == status, what
    assert "Traceback" not in response.text and 'File "' not in response.text, what
    assert not leaked(response.text, people), what
    assert "angel of" not in response.text.lower(), what


def test_error_pages_name_nobody_and_show_no_trace():
    with fresh_app() as app:
        client, game_id, people, _ = drawn_game(app, SMALL)
        cases = [
            ("unknown page", client.get("/no/such/page"), 404),
            ("other game", client.get("/games/99999"), 404),
            ("other participant", client.get(f"/games/{game_id}/participants/99999"), 404),
            # The draw's confirmation page, once names are drawn, leads back to the game.
            ("draw page after the draw", client.get(f"/games/{game_id}/draw"), 302),
            ("exclusions by GET", client.get(f"/games/{game_id}/exclusions"), 405),
            ("unknown exclusion", client.post(f"/games/{game_id}/exclusions/999/remove"), 302),
        ]
        boom = RuntimeError(f"boom for {people[0].name} <{people[0].email}>")
        with mock.patch.object(roster_service, "roster_of", side_effect=boom):
            cases.append(("unexpected error", client.get(f"/games/{game_id}"), 500))
        for what, response, status in cases:
            _assert_friendly(response, status, people, what)

    with fresh_app() as setup:
        facilitator, game_id, people = build_game(setup, SMALL)
        session_cookie = facilitator.get_cookie(setup.config["SESSION_COOKIE_NAME"]).value
        database = setup.config["SQLALCHEMY_DATABASE_URI"]
        # The same database and key, now with CSRF protection on, and the same logged-in session.
        with fresh_app(SQLALCHEMY_DATABASE_URI=database, WTF_CSRF_ENABLED=True) as app:
            client = app.test_client()
            client.set_cookie(app.config["SESSION_COOKIE_NAME"], session_cookie)
            assert client.get(f"/games/{game_id}").status_code == 200
            _csrf_failures(app, client, game_id, people)


def _csrf_failures(app, client, game_id: int, people: list[Person]) -> None:
    participant = app.test_client()
    opened = follow_link(participant, f"/p/{_signed({'p': people[0].public_id, 'v': 1})}")
    assert opened.status_code == 302
    cases = [
        ("draw without token", client.post(f"/games/{game_id}/draw"), 400),
        (
            "roster without token",
            client.post(f"/games/{game_id}/participants", data={"lines": "a@example.org"}),
            400,
        ),
        ("bad token", client.post(f"/games/{game_id}/draw", data={"csrf_token": "forged"}), 400),
        ("participant logout without token", participant.post("/me/logout"), 400),
    ]
    for what, response, status in cases:
        _assert_friendly(response, status, people, what)
        assert "This form has expired" in response.text, what
    with app.app_context():  # nothing was drawn or added by the refused posts
        assert db.session.get(Game, game_id).state == "draft"
    assert len(people_of(app, game_id)) == len(people)


def test_add_me_after_the_draw_is_a_friendly_refusal_not_a_500():
    """A stale tab's "Add me to the roster" after the draw must not crash the page."""
    with fresh_app() as app:
        client, game_id, people, _ = drawn_game(app, SMALL)
        response = client.post(f"/games/{game_id}/add-me")
        assert response.status_code == 302, response.status_code
        page = client.get(response.location)
        assert "no longer possible" in page.text
        assert len(people_of(app, game_id)) == len(people)
