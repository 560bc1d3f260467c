"""Hand out links: printable slips for a group without email, and the mail modes around them.

A slip names one person and carries their private link (as text and as a QR code); it never
names a mortal, so the page is the same byte for byte whatever the draw.
"""

from __future__ import annotations

import html
import random
import re

import pytest
import segno
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous.timed import TimestampSigner
from sqlalchemy import delete, event, select

from app import config, create_app
from app.extensions import db
from app.models import AuditEntry, Facilitator, Game, OutboxMessage, Pairing, Participant
from app.services import circle, setup
from app.services import slips as slip_service
from app.services.draw import draw_names
from app.tokens import LinkClaim, read_participant_link
from app.web.slips import QR_MASK, qr_svg
from tests.helpers import (
    DISTINCT_PEOPLE,
    fresh_app,
    login,
    make_facilitator,
    make_game,
    make_running_game,
    open_as_participant,
    pairings_of,
    participants_of,
    without_csrf,
)

PEOPLE = [*DISTINCT_PEOPLE, ("Florian Gatsby", "fgatsby@example.org")]
_LINK_TEXT = re.compile(r'<p class="slip-link">([^<]*)</p>')
_QR = re.compile(r'<div class="slip-qr"[^>]*>(<svg.*?</svg>)</div>', re.S)
_PERSON = re.compile(r'<p class="slip-person">([^<]*)</p>')


@pytest.fixture
def frozen_links(monkeypatch):
    """Sign every link at the same second, so two renderings may be compared byte for byte
    (a link carries the second it was signed; a real second printing differs only there)."""
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_900_000_000)


@pytest.fixture
def running(app):
    """A running game of six, as (game id, {name: participant id})."""
    with app.app_context():
        game = make_running_game(make_facilitator(), PEOPLE, seed=4)
        return game.id, {p.name: p.id for p in participants_of(game)}


def _slips(client, game_id: int):
    response = client.get(f"/games/{game_id}/slips")
    assert response.status_code == 200
    page = response.text
    return page, _PERSON.findall(page), _LINK_TEXT.findall(page), _QR.findall(page)


def _modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules an SVG QR code draws, read back from its path (as a printer would):
    each stroke `h` is a run of modules on the row through whose middle it passes."""
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    dark, x, y = set(), 0, 0.0
    for command, a, b in re.findall(r"([Mmh])(\d+(?:\.5)?)(?: (\d+(?:\.5)?))?", svg):
        if command == "M":
            x, y = int(a), float(b)
        elif command == "m":
            x, y = x + int(a), y + float(b)
        else:
            dark.update((x + i, int(y)) for i in range(int(a)))
            x += int(a)
    assert all(0 <= px < size and 0 <= py < size for px, py in dark)
    return dark


def _dark(code) -> set[tuple[int, int]]:
    """The dark modules of a segno QR code, with its quiet zone of four modules."""
    return {(x + 4, y + 4) for y, row in enumerate(code.matrix) for x, bit in enumerate(row) if bit}


def _set_cycle(game_id: int, cycle: dict[int, int]) -> None:
    """Replace the game's pairings with this angel -> mortal cycle (a second world)."""
    db.session.execute(delete(Pairing).where(Pairing.game_id == game_id))
    db.session.add_all(
        Pairing(game_id=game_id, angel_id=angel, mortal_id=mortal)
        for angel, mortal in cycle.items()
    )
    db.session.commit()


def test_every_active_participant_has_a_slip_with_their_link_and_its_qr(app, client, running):
    game_id, ids = running
    with app.app_context():
        game = db.session.get(Game, game_id)
        circle.withdraw(game, db.session.get(Participant, ids["Florian Gatsby"]))
        people = {p.id: p for p in participants_of(game) if p.active}
        versions = {pid: (p.public_id, p.link_version) for pid, p in people.items()}
    login(client)
    page, names, links, codes = _slips(client, game_id)

    assert names == sorted(html.escape(p.name) for p in people.values())
    assert "Florian Gatsby" not in page  # left the game: no slip
    assert len(links) == len(codes) == len(people)
    by_name = {p.name: p for p in people.values()}
    for name, link, code in zip(names, links, codes, strict=True):
        person = by_name[html.unescape(name)]
        assert link.startswith("http://angels.test/p/")
        with app.app_context():
            claim = read_participant_link(link.rsplit("/", 1)[1])
        assert claim == LinkClaim(person.public_id, person.link_version)
        # The QR code is made from exactly this link (segno cannot decode, so regenerate).
        assert _modules(code) == _dark(segno.make_qr(link, error="m", mask=QR_MASK))
    # The page shows the link as text, but never as a link the facilitator might click.
    assert 'href="http://angels.test/p/' not in page
    # Printing changes nobody's link, however often.
    _slips(client, game_id)
    with app.app_context():
        after = {p.id: (p.public_id, p.link_version) for p in participants_of(game) if p.active}
    assert after == versions


def test_a_printed_link_opens_that_persons_own_page(app, client, running):
    game_id, _ = running
    login(client)
    _, names, links, _ = _slips(client, game_id)
    with app.app_context():
        mortal_of = pairings_of(db.session.get(Game, game_id))
        name_of = {p.id: p.name for p in participants_of(db.session.get(Game, game_id))}
        id_of = {v: k for k, v in name_of.items()}
    person = html.unescape(names[0])
    reader = app.test_client()
    reader.get(links[0].removeprefix("http://angels.test"))
    reader.post(links[0].removeprefix("http://angels.test"))  # whichever opens the page
    me = reader.get("/me")
    assert me.status_code == 200
    assert name_of[mortal_of[id_of[person]]] in me.text


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(order=st.permutations(range(len(PEOPLE))))
def test_the_slips_are_the_same_whatever_the_draw(app, client, running, frozen_links, order):
    """Two worlds that differ only in who drew whom give byte-identical slips, and no page
    puts a mortal next to an angel."""
    game_id, ids = running
    people = sorted(ids.values())
    login(client)
    with app.app_context():
        drawn = pairings_of(db.session.get(Game, game_id))
    other = {people[order[i]]: people[order[(i + 1) % len(order)]] for i in range(len(order))}
    pages = []
    for cycle in (drawn, other):
        with app.app_context():
            _set_cycle(game_id, cycle)
        pages.append(without_csrf(_slips(client, game_id)[0]))
    assert pages[0] == pages[1]
    text = html.unescape(pages[0])
    names = [n for n, _ in PEOPLE]
    for phrase in ("angel of", "mortal is:", "→", "↔"):
        assert phrase not in text
    # Each slip holds exactly one name: its own.
    for slip in text.split('<li class="slip">')[1:]:
        assert sum(name in slip for name in names) == 1
    for _, email in PEOPLE:
        assert email not in text


def test_looking_at_the_slips_is_recorded_in_the_audit_list(app, client, running):
    game_id, _ = running
    login(client)
    _slips(client, game_id)
    _slips(client, game_id)
    with app.app_context():
        entries = db.session.execute(
            select(AuditEntry.action, AuditEntry.reason).where(AuditEntry.game_id == game_id)
        ).all()
    assert entries == [("printed link slips", "6 slips")] * 2
    moderation = client.get(f"/games/{game_id}/moderation").text
    assert moderation.count("Printed link slips") == 2


def test_another_facilitator_and_a_draft_have_no_slips(app, client, running):
    game_id, _ = running
    with app.app_context():
        make_facilitator("Gertrude Overseer", "gertrude@example.net")
        draft = make_game(
            db.session.execute(select(Game)).scalar_one().facilitator,
            [("Ulrika Nettlefold", "u@example.net"), ("Tiberius Penny", "t@example.net")],
            name="Draft",
        )
        draft_id = draft.id
    login(client, "gertrude@example.net")
    assert client.get(f"/games/{game_id}/slips").status_code == 404
    login(client)
    assert client.get(f"/games/{draft_id}/slips").status_code == 404
    assert "Hand out links" not in client.get(f"/games/{draft_id}").text
    with app.app_context():
        assert db.session.execute(select(AuditEntry)).first() is None


def test_the_game_page_links_to_the_slips_with_a_word_on_what_they_are(app, client, running):
    game_id, _ = running
    login(client)
    page = client.get(f"/games/{game_id}").text
    assert f'href="/games/{game_id}/slips"' in page
    assert "Hand out links" in page and "none names a mortal" in page


def test_an_ended_game_has_no_slips(app, client, running):
    from app.services import ending

    game_id, _ = running
    with app.app_context():
        ending.end_game(db.session.get(Game, game_id))
    login(client)
    assert client.get(f"/games/{game_id}/slips").status_code == 404


# --------------------------------------------------------------------------------------------
# Mail modes


@pytest.fixture
def slips_app(tmp_path):
    """The service in slips mode (a class without email)."""
    app = fresh_app(tmp_path, MAIL_MODE="slips")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_slips_mode_keeps_no_mail_and_the_game_page_says_so(slips_app):
    assert config.slips_mode(slips_app) and not config.mail_kept(slips_app)
    with slips_app.app_context():
        draft = make_game(make_facilitator(), 4)
        draft_id = draft.id
        game_id = make_running_game(db.session.get(Game, draft_id).facilitator, 4, name="B").id
    client = slips_app.test_client()
    login(client)
    before = client.get(f"/games/{draft_id}").text
    assert "print a slip with each person" in before and "send invitations" not in before
    page = client.get(f"/games/{game_id}").text
    assert "Links are handed out on slips: nobody is emailed." in page
    assert f'href="/games/{game_id}/slips"' in page
    assert "Invitations:" not in page
    # No link is emailed here, so the page sends nobody to the lost-link page.
    assert "lost their private link" not in page


def test_email_mode_keeps_mail(app):
    assert not config.slips_mode(app) and config.mail_kept(app)
    with app.app_context():
        make_running_game(make_facilitator(), 3)
        assert db.session.execute(select(OutboxMessage)).first() is not None


def _production_config(tmp_path, **extra) -> dict:
    return {
        "SECRET_KEY": "production-0123456789abcdef0123456789",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}",
        "AUTO_MIGRATE": False,
        **extra,
    }


def test_production_refuses_to_start_without_a_mail_server_unless_slips(tmp_path, monkeypatch):
    monkeypatch.setenv("ANGELS_ENV", "production")
    with pytest.raises(RuntimeError, match="MAIL_SERVER is not set.*MAIL_MODE=slips"):
        create_app(_production_config(tmp_path))
    with pytest.raises(RuntimeError, match="MAIL_SERVER is not set"):
        create_app(_production_config(tmp_path, MAIL_MODE="email"))
    for settings_ in ({"MAIL_MODE": "slips"}, {"MAIL_SERVER": "smtp.example.org"}):
        app = create_app(_production_config(tmp_path, **settings_))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    monkeypatch.delenv("ANGELS_ENV")
    app = create_app(_production_config(tmp_path))  # a laptop: the outbox is enough
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_an_unknown_mail_mode_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="MAIL_MODE='paper' is not known"):
        create_app(_production_config(tmp_path, MAIL_MODE="paper"))


def test_mail_mode_is_read_from_the_environment(monkeypatch):
    from flask import Flask

    monkeypatch.setenv("MAIL_MODE", "slips")
    flask_app = Flask(__name__)
    config._from_environment(flask_app)
    assert flask_app.config["MAIL_MODE"] == "slips"


# --------------------------------------------------------------------------------------------
# The developer's outbox


def test_the_outbox_warns_it_shows_every_pairing(app, client, running):
    page = client.get("/dev/outbox").text
    assert (
        "Developer tool: shows every email, including who is whose angel. Never use this to run "
        "a real game; use Hand out links instead."
    ) in page
    assert page.index("Developer tool") < page.index("<h1>")


def test_the_outbox_is_absent_outside_debug(app, app_config):
    """A server on the same database as `app` (which made its tables)."""
    server = create_app(
        {
            **app_config,
            "TESTING": False,
            "SECRET_KEY": "server-0123456789abcdef0123456789",
            "AUTO_MIGRATE": False,
        }
    )
    try:
        assert server.test_client().get("/dev/outbox").status_code == 404
        server.debug = True
        assert "Developer tool" in server.test_client().get("/dev/outbox").text
    finally:
        with server.app_context():
            db.session.remove()
            db.engine.dispose()


@settings(max_examples=60, deadline=None)
@given(link=st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=300))
def test_a_qr_code_draws_exactly_the_modules_of_its_link(link):
    """The SVG path draws every dark module of the link's QR code and nothing else."""
    assert _modules(str(qr_svg(link))) == _dark(segno.make_qr(link, error="m", mask=QR_MASK))


# --------------------------------------------------------------------------------------------
# Batches and search


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of two slips, so six people fill three."""
    monkeypatch.setattr(slip_service, "BATCH_SIZE", 2)


def _audit(app, game_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        return db.session.execute(
            select(AuditEntry.action, AuditEntry.reason)
            .where(AuditEntry.game_id == game_id)
            .order_by(AuditEntry.id)
        ).all()


def test_batches_give_everyone_one_slip_in_name_order(app, client, running, small_batches):
    game_id, ids = running
    login(client)
    seen, links = [], []
    for batch in (1, 2, 3):
        page = client.get(f"/games/{game_id}/slips?batch={batch}").text
        seen += [html.unescape(n) for n in _PERSON.findall(page)]
        links += _LINK_TEXT.findall(page)
        assert len(_PERSON.findall(page)) == len(_QR.findall(page)) == 2
        assert f"Slips {2 * batch - 1}–{2 * batch} of 6" in page
        assert f"Batch {batch} of 3" in page
        assert (f"slips?batch={batch - 1}" in page) == (batch > 1)
        assert (f"slips?batch={batch + 1}" in page) == (batch < 3)
    assert seen == sorted(ids) and len(set(links)) == 6
    # Out of range: the nearest batch, never an error.
    assert _PERSON.findall(client.get(f"/games/{game_id}/slips?batch=99").text) == _PERSON.findall(
        client.get(f"/games/{game_id}/slips?batch=3").text
    )
    assert _slips(client, game_id)[1] == _PERSON.findall(
        client.get(f"/games/{game_id}/slips?batch=-4").text
    )
    # One audit entry per batch shown, saying which.
    assert _audit(app, game_id)[:3] == [
        ("printed link slips", "2 slips: 1–2 of 6"),
        ("printed link slips", "2 slips: 3–4 of 6"),
        ("printed link slips", "2 slips: 5–6 of 6"),
    ]
    assert len(_audit(app, game_id)) == 7


def test_a_search_finds_one_persons_slip_by_name(app, client, running, small_batches):
    game_id, ids = running
    login(client)
    page = client.get(f"/games/{game_id}/slips?q=GATSBY").text
    assert [html.unescape(n) for n in _PERSON.findall(page)] == ["Florian Gatsby"]
    assert len(_QR.findall(page)) == 1
    assert "Slips 1–1 of 1 matching “GATSBY”" in page
    assert "Batch " not in page  # one batch: no pager
    with app.app_context():
        person = db.session.get(Participant, ids["Florian Gatsby"])
        claim = read_participant_link(_LINK_TEXT.findall(page)[0].rsplit("/", 1)[1])
        assert claim == LinkClaim(person.public_id, person.link_version)
    # A search reads names only: an email finds nobody, and nothing is recorded for it.
    email = dict(PEOPLE)["Florian Gatsby"]
    nobody = client.get(f"/games/{game_id}/slips", query_string={"q": email}).text
    assert _PERSON.findall(nobody) == [] and _LINK_TEXT.findall(nobody) == []
    assert "Nobody’s name matches" in html.unescape(nobody)
    # Wildcards are taken literally.
    assert _PERSON.findall(client.get(f"/games/{game_id}/slips?q=%25").text) == []
    assert _audit(app, game_id) == [("printed link slips", "1 slip: 1–1 of 1 matching “GATSBY”")]


def test_a_search_ignores_accents_and_case(app, client):
    with app.app_context():
        game_id = make_running_game(
            make_facilitator(),
            [
                ("Émile Roux", "e@example.org"),
                ("Emil Stone", "s@example.org"),
                ("Ada Li", "a@x.io"),
            ],
        ).id
    login(client)
    page = client.get(f"/games/{game_id}/slips?q=emil").text
    assert [html.unescape(n) for n in _PERSON.findall(page)] == ["Emil Stone", "Émile Roux"]


def test_the_batch_page_speaks_french(app, client, running, small_batches):
    game_id, _ = running
    login(client)
    page = html.unescape(
        client.get(f"/games/{game_id}/slips?batch=2", headers={"Accept-Language": "fr"}).text
    )
    for english in (
        "Batch 2 of 3",
        "Slips 3–4 of 6",
        "Next batch",
        "Previous batch",
        "Go to batch",
    ):
        assert english not in page
    assert "Lot 2 sur 3" in page


def _statements_and_bytes(app, client, path: str) -> tuple[int, int]:
    """(SQL statements, bytes) of one GET of `path`, after a first GET to warm up."""
    assert client.get(path).status_code == 200
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(seen), len(response.data)


def test_a_batch_page_does_the_same_work_from_10_to_2000_people(app, client):
    """Same statements at any size; past one batch, the same bytes too."""
    with app.app_context():
        facilitator_id = make_facilitator().id
    login(client)
    work, searched = {}, {}
    for people in (10, 300, 2000):
        with app.app_context(), app.test_request_context():
            facilitator = db.session.get(Facilitator, facilitator_id)
            game = make_game(facilitator, [], name=f"Game of {people}")
            lines = "\n".join(f"Person {i:05d} <p{i:05d}@example.org>" for i in range(people))
            setup.read_and_add(game, lines, None)
            draw_names(game, random.Random(people))
            game_id = game.id
        work[people] = _statements_and_bytes(app, client, f"/games/{game_id}/slips?batch=2")
        searched[people] = _statements_and_bytes(
            app, client, f"/games/{game_id}/slips?q=person%200000"
        )
    assert len({queries for queries, _ in work.values()}) == 1, work
    assert len({queries for queries, _ in searched.values()}) == 1, searched
    assert abs(work[300][1] - work[2000][1]) < 0.02 * work[2000][1], work
    assert work[2000][1] < 600_000, work


def test_ordering_ignores_case_and_draw(app, client):
    """Slips come in name order (as a teacher calls a register), whatever the case."""
    with app.app_context():
        make_running_game(
            make_facilitator(),
            [("zoë Ames", "z@example.org"), ("Adam Bell", "a@example.org"), ("mia Cole", "m@x.io")],
            seed=2,
        )
    login(client)
    _, names, _, _ = _slips(client, 1)
    assert [html.unescape(n) for n in names] == ["Adam Bell", "mia Cole", "zoë Ames"]


def test_slips_mode_never_says_an_email_is_on_its_way(slips_app):
    """Where links go out on slips, nothing is emailed: the draw, a new link, a lost link and
    "sign out everywhere" say what really happens, and nobody's slip is stopped by a stranger
    asking for a fresh link."""
    from app.models import LinkRequest
    from app.services import links

    with slips_app.app_context():
        draft_id = make_game(make_facilitator(), 4).id
    client = slips_app.test_client()
    login(client)
    drawn = client.post(f"/games/{draft_id}/draw", follow_redirects=True).text
    assert "4 private links to hand out on printed slips." in drawn
    assert "on its way" not in drawn and "on their way" not in drawn
    with slips_app.app_context():
        people = participants_of(db.session.get(Game, draft_id))
        first, second = people[0], people[1]
        versions = {p.id: p.link_version for p in people}
    editor = client.get(f"/games/{draft_id}/participants/{first.id}").text
    assert "to hand out on a printed slip" in editor and "by email" not in editor
    saved = client.post(
        f"/games/{draft_id}/participants/{first.id}",
        data={"name": first.name, "email": first.email},
        follow_redirects=True,
    ).text
    assert "print their slip again" in html.unescape(saved) and "on its way" not in saved

    stranger = slips_app.test_client()
    lost = stranger.get("/lost-link").text
    assert (
        "Ask your organiser to print your slip again" in lost
        and "<form" not in lost.split("<main", 1)[1].split("</main>", 1)[0]
    )
    stranger.post("/lost-link", data={"email": second.email})
    with slips_app.app_context():
        # Even a request left from before the service ran on slips changes no link.
        db.session.add(LinkRequest(email_key=second.email_key))
        db.session.commit()
        links.answer_link_requests()
        assert db.session.get(Participant, second.id).link_version == versions[second.id]
        assert db.session.scalar(select(LinkRequest.id)) is None
        pupil = db.session.get(Participant, second.id)
    reader = slips_app.test_client()
    open_as_participant(reader, slips_app, pupil)
    home = html.unescape(reader.get("/me").text)
    assert "ask your organiser to print you a new slip" in home and "emails you" not in home
    assert reader.post("/me/sign-out-everywhere").status_code == 200
