"""Participant pages whose cost is flat in a game's history: lists page through their items
(newest first, a keyset cursor), and a page runs the same few queries whatever came before."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import JournalEntry, Kindness, Participant, utcnow
from app.services.paging import PAGE_SIZE
from tests.helpers import (
    make_facilitator,
    make_running_game,
    open_as_participant,
    pairings_of,
    statements_run,
)

START = datetime(2026, 12, 2, 9, 0)


def _world(app, client, notes: int, entries: int = 0):
    """A running game of five; one mortal received `notes` notes from their angel (every third
    pair sharing a delivery moment, to exercise the id tie-break) and wrote `entries` journal
    entries; the client is the mortal, and the angel's id is returned too."""
    with app.app_context():
        game = make_running_game(make_facilitator(), 5)
        angel_id, mortal_id = next(iter(pairings_of(game).items()))
        rows = [
            Kindness(
                game_id=game.id,
                angel_id=angel_id,
                mortal_id=mortal_id,
                kind="note",
                message=f"Note number {i:04d}",
                state="delivered",
                round_label="morning round",
                delivered_at=START + timedelta(minutes=i - i % 3),
                created_at=START + timedelta(minutes=i - i % 3),
            )
            for i in range(notes)
        ]
        db.session.add_all(rows)
        db.session.add_all(
            JournalEntry(
                participant_id=mortal_id,
                day=date(2026, 12, 1) + timedelta(i // 4),
                did=f"Entry number {i:04d}",
            )
            for i in range(entries)
        )
        db.session.commit()
        mortal = db.session.get(Participant, mortal_id)
        angel = db.session.get(Participant, angel_id)
    open_as_participant(client, app, mortal)
    return mortal, angel


def _walk(client, path: str, pattern: str, link: str = "Older") -> list[list[str]]:
    """Follow a list's `link` ("Older" or "Newer") links from `path`; the items matched per page."""
    pages, seen = [], set()
    while path and path not in seen:
        seen.add(path)
        html = client.get(path).text
        pages.append(re.findall(pattern, html))
        found = re.search(rf'<a href="([^"]+)" rel="\w+">{link}</a>', html)
        path = found.group(1).replace("&amp;", "&") if found else None
    return pages


@pytest.mark.parametrize("notes", [0, 1, PAGE_SIZE, PAGE_SIZE + 1, 3 * PAGE_SIZE - 1, 95])
def test_paging_through_the_inbox_reaches_every_note_once_and_back(app, client, notes):
    """Older links reach every note exactly once, newest first; Newer links retrace the pages."""
    _world(app, client, notes)
    pages = _walk(client, "/me/inbox", r"Note number (\d{4})")
    shown = [n for page in pages for n in page]
    assert shown == [f"{i:04d}" for i in reversed(range(notes))]
    assert all(len(page) == PAGE_SIZE for page in pages[:-1]) and len(pages[-1]) <= PAGE_SIZE
    # From the oldest page, Newer links lead back through the same pages to the newest.
    last = client.get("/me/inbox").text
    path = "/me/inbox"
    while found := re.search(r'<a href="([^"]+)" rel="next">Older</a>', last):
        path = found.group(1)
        last = client.get(path).text
    back = _walk(client, path, r"Note number (\d{4})", "Newer")
    assert back == list(reversed(pages))
    if notes <= PAGE_SIZE:
        assert 'class="pager"' not in client.get("/me/inbox").text


def test_opening_a_page_of_the_inbox_marks_only_that_page_read(app, client):
    """The newest page is read once shown; older notes stay unread until their page is opened."""
    mortal, _ = _world(app, client, PAGE_SIZE + 3)
    assert "<strong>13</strong> new kindnesses" in client.get("/me").text
    client.get("/me/inbox")
    assert "<strong>3</strong> new kindnesses" in client.get("/me").text
    older = re.search(r'href="([^"]+)" rel="next">Older', client.get("/me/inbox").text).group(1)
    assert client.get(older).text.count("badge-new") == 3
    assert "<strong>0</strong> new kindnesses" in client.get("/me").text
    with app.app_context():
        unread = db.session.execute(
            select(Kindness.id).where(Kindness.mortal_id == mortal.id, Kindness.read_at.is_(None))
        ).all()
    assert unread == []


def test_the_sent_list_and_the_journal_page_through_everything(app, client):
    """The angel's sent list and the journal reach every item once, newest first."""
    mortal, angel = _world(app, client, 2 * PAGE_SIZE + 5, entries=2 * PAGE_SIZE + 7)
    entries = [n for p in _walk(client, "/me/journal", r"Entry number (\d{4})") for n in p]
    # Newest day first; entries of one day newest first (the id breaks the tie).
    assert entries == [f"{i:04d}" for i in reversed(range(2 * PAGE_SIZE + 7))]
    angel_client = app.test_client()
    open_as_participant(angel_client, app, angel)
    sent = [n for p in _walk(angel_client, "/me/angel", r"Note number (\d{4})") for n in p]
    assert sent == [f"{i:04d}" for i in reversed(range(2 * PAGE_SIZE + 5))]


@pytest.mark.parametrize("cursor", ["nonsense", "2026-13-01T00:00:00_1", "_", "2026-12-01_x"])
def test_a_malformed_cursor_shows_the_newest_page(app, client, cursor):
    """A cursor that cannot be read is the first page, not an error."""
    _world(app, client, PAGE_SIZE + 2)
    for key in ("before", "after"):
        page = client.get(f"/me/inbox?{key}={cursor}")
        assert page.status_code == 200
        assert re.findall(r"Note number (\d{4})", page.text)[0] == f"{PAGE_SIZE + 1:04d}"


def _cost(app, client, path: str) -> tuple[int, int]:
    """(queries, bytes) of one GET of `path`."""
    with statements_run(app) as seen:
        response = client.get(path)
    assert response.status_code == 200
    return len(seen), len(response.data)


@pytest.mark.parametrize("path", ["/me", "/me/angel", "/me/inbox", "/me/deliveries", "/me/journal"])
def test_a_page_costs_the_same_with_10_or_1000_notes(app_config, tmp_path, path):
    """Query count and page size with 1,000 notes received and sent stay within 1.2× of 10."""
    from app import create_app
    from tests.helpers import reset_database

    costs = []
    for notes in (10, 1000):
        app = create_app(
            {**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/n{notes}.db"}
        )
        reset_database(app)
        client = app.test_client()
        _, angel = _world(app, client, notes, entries=notes)
        if path == "/me/angel":
            open_as_participant(client, app, angel)
        costs.append(_cost(app, client, path))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    (q10, b10), (q1000, b1000) = costs
    print(path, costs)
    assert q1000 <= q10 * 1.2 and b1000 <= b10 * 1.2, costs


# A page reads its session, participant, game, mortal and hints (and the Home counts, the Give
# page's choices, the Inbox's questions) in one query, then one query per list it shows; the
# Inbox's first look also marks that page read. Never more than three statements.
QUERY_BUDGET = {"/me": 1, "/me/angel": 3, "/me/inbox": 3, "/me/deliveries": 3, "/me/journal": 2}


@pytest.mark.parametrize("path", sorted(QUERY_BUDGET))
def test_a_participant_page_runs_few_queries(app, client, path):
    """Each page runs a small fixed number of queries (eager loading, one query per list)."""
    _world(app, client, 3 * PAGE_SIZE, entries=5)
    queries, _ = _cost(app, client, path)
    print(path, queries)
    assert queries <= QUERY_BUDGET[path] <= 3


def _full_world(app, client):
    """A running game in which every participant page has everything on it: drop-off points
    and ideas (Give), a question each way (Give, Inbox), unread notes (Home, Inbox), a courier
    request (Deliver) and journal entries; the client is a mortal who is also the courier and
    whose report has an outcome. Returns (mortal, angel, names of the drop-off points)."""
    from app.models import CourierRequest, ModerationAction, Question, Report
    from app.services import setup

    mortal, angel = _world(app, client, PAGE_SIZE + 2, entries=3)
    with app.app_context():
        game = db.session.get(Participant, mortal.id).game
        for name in ("Shelf by the kitchen", "Front desk", "Blue cupboard"):
            setup.add_drop_off(game, name)
        setup.add_game_idea(game, "Leave a paper crane on their desk.")
        other = (
            db.session.execute(
                select(Participant).where(
                    Participant.game_id == game.id, Participant.id.not_in([mortal.id, angel.id])
                )
            )
            .scalars()
            .first()
        )
        item = Kindness(
            game_id=game.id,
            angel_id=other.id,
            mortal_id=angel.id,
            kind="in_person",
            message="",
            instruction="Wave",
            state="routing",
        )
        db.session.add(item)
        db.session.flush()
        db.session.add(
            CourierRequest(
                kindness_id=item.id,
                courier_id=mortal.id,
                state="offered",
                offered_at=utcnow() - timedelta(hours=2),
                released_at=utcnow() - timedelta(hours=1),
                expires_at=utcnow() + timedelta(hours=23),
            )
        )
        # One in-person kindness of the angel's, accepted by a courier (its status on Give).
        carried = Kindness(
            game_id=game.id,
            angel_id=angel.id,
            mortal_id=mortal.id,
            kind="in_person",
            message="",
            instruction="Bring a cup of tea",
            state="routing",
            created_at=utcnow(),
        )
        db.session.add(carried)
        db.session.flush()
        for state in ("declined", "accepted"):
            db.session.add(
                CourierRequest(
                    kindness_id=carried.id,
                    courier_id=other.id,
                    state=state,
                    offered_at=START,
                    released_at=START,
                    expires_at=START + timedelta(hours=24),
                )
            )
        first = db.session.execute(
            select(Kindness)
            .where(Kindness.mortal_id == mortal.id)
            .order_by(Kindness.id)
            .limit(1)
        ).scalar_one()
        db.session.add(
            Report(
                game_id=game.id,
                kindness_id=first.id,
                reporter_id=mortal.id,
                reason="Unkind",
                outcome=ModerationAction.WARN,
                outcome_at=START,
            )
        )
        for asker in (mortal.id, angel.id):
            db.session.add(
                Question(
                    game_id=game.id,
                    mortal_id=asker,
                    text=f"Question of {asker}?",
                    asked_at=START,
                    released_at=START,
                )
            )
        db.session.commit()
    return mortal, angel


@pytest.mark.parametrize("path", ["/me", "/me/angel", "/me/inbox", "/me/deliveries", "/me/journal"])
def test_a_full_participant_page_runs_at_most_three_statements(app, client, path):
    """With every list on it filled and a report outcome to show, a page still runs at most
    three statements, session lookup included (the Inbox's first look marks notes read)."""
    mortal, angel = _full_world(app, client)
    if path == "/me/angel":
        # The mortal's angel, for whom the mortal's question waits there.
        client = app.test_client()
        open_as_participant(client, app, angel)
    with statements_run(app) as seen:
        page = client.get(path)
    assert page.status_code == 200
    assert len(seen) <= 3, seen
    expected = {
        "/me": [f"<strong>{PAGE_SIZE + 2}</strong> new kindnesses", "Your report"],
        "/me/angel": [
            "Blue cupboard",
            "Front desk",
            "Shelf by the kitchen",
            f"Question of {mortal.id}?",
            "Bring a cup of tea",
            "Accepted by a courier",
        ],
        "/me/inbox": [f"Question of {mortal.id}?", "Note number"],
        "/me/deliveries": ["Waiting for your answer"],
        "/me/journal": ["Entry number"],
    }[path]
    for text in expected:
        assert text in page.text, text


# Tables whose rows pile up over a game: a page may read a slice of their indexes, never
# all of a person's rows (a sort of them all, or a scan).
HISTORY = ("kindness", "courier_request", "thanks", "report", "journal_entry", "outbox_message")


@pytest.mark.parametrize("path", ["/me", "/me/angel", "/me/inbox", "/me/deliveries", "/me/journal"])
def test_a_participant_page_reads_index_slices_never_a_whole_history(app, client, path):
    """On SQLite, the plan of every statement a full page runs: no table scanned, and no
    history table sorted in memory, so a page costs the same after a thousand notes."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("EXPLAIN QUERY PLAN is SQLite's")  # before building a world for nothing
    mortal, angel = _full_world(app, client)
    if path == "/me/angel":
        client = app.test_client()
        open_as_participant(client, app, angel)
    with statements_run(app) as seen:
        assert client.get(path).status_code == 200
    with app.app_context():
        plans = [
            [
                row[3]
                for row in db.session.connection().exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + s, tuple(p)
                )
            ]
            for s, p in seen
            if s.lstrip().upper().startswith("SELECT")
        ]
    assert plans
    for plan in plans:
        for step in plan:
            assert not step.startswith("SCAN") or step.startswith("SCAN CONSTANT"), (step, plan)
        searched = " ".join(plan)
        if "USE TEMP B-TREE FOR ORDER BY" in plan:
            # Only a list that cannot grow long may be sorted whole (questions: one a day).
            assert not any(f"SEARCH {table} " in searched for table in HISTORY), plan


def test_the_give_page_offers_the_pick_up_spots_by_name_and_the_games_own_ideas(app, client):
    """The choices read with the session are the game's active spots, by name, and its ideas:
    "Use this idea" finds the game's own one."""
    from app.models import GameIdea

    mortal, angel = _full_world(app, client)
    angel_client = app.test_client()
    open_as_participant(angel_client, app, angel)
    page = angel_client.get("/me/angel").text
    spots = re.findall(r'<option value="\d+">([^<]+)</option>', page)
    assert spots == ["Blue cupboard", "Front desk", "Shelf by the kitchen"]
    with app.app_context():
        idea_id = db.session.execute(select(GameIdea.id)).scalar_one()
    used = angel_client.get(f"/me/angel?idea=game-{idea_id}").text
    assert "Leave a paper crane on their desk." in used


def test_a_revoked_session_opens_no_page_on_its_next_request(app, client):
    """The session is still looked up on every request: once ended on the server, the very
    next page is the bad-link page, whatever the cookie says."""
    from sqlalchemy import delete

    from app.models import ParticipantSession

    mortal, _ = _world(app, client, 2)
    assert client.get("/me").status_code == 200
    with app.app_context():
        db.session.execute(
            delete(ParticipantSession).where(ParticipantSession.participant_id == mortal.id)
        )
        db.session.commit()
    for path in QUERY_BUDGET:
        assert client.get(path).status_code == 404


def test_the_couriers_pages_never_carry_the_moment_an_angel_acted(app, client):
    """Deliveries are ordered and paged by the deadline the courier is shown (release plus a
    day), so no Older link carries the time an angel pressed Send or "I've left it"."""
    from app.models import CourierRequest
    from app.services import couriers

    with app.app_context():
        game = make_running_game(make_facilitator(), 5, seed=2)
        people = (
            db.session.execute(
                select(Participant).where(Participant.game_id == game.id).order_by(Participant.id)
            )
            .scalars()
            .all()
        )
        courier, mortal_of = people[0], pairings_of(game)
        acted = []
        for i in range(PAGE_SIZE + 3):
            angel = next(p for p in people if p.id != courier.id and mortal_of[p.id] != courier.id)
            item = Kindness(
                game_id=game.id,
                angel_id=angel.id,
                mortal_id=mortal_of[angel.id],
                kind="in_person",
                message="",
                instruction="Wave",
                state="routing",
            )
            db.session.add(item)
            db.session.flush()
            clicked = datetime(2026, 11, 20, 3, 17, 41) + timedelta(minutes=7 * i)
            released = datetime(2026, 12, 2, 9, 0) + timedelta(minutes=i)
            db.session.add(
                CourierRequest(
                    kindness_id=item.id,
                    courier_id=courier.id,
                    state="offered",
                    offered_at=clicked,
                    released_at=released,
                    expires_at=released + timedelta(hours=24),
                )
            )
            acted.append(clicked)
        db.session.commit()
        assert len(couriers.deliveries_page(courier).items) == PAGE_SIZE
    assert open_as_participant(client, app, courier).status_code == 302
    pages = client.get("/me/deliveries").text
    older = re.search(r'href="(/me/deliveries\?before=[^"]+)"', pages)
    assert older, "more than a page of deliveries shows an Older link"
    pages += client.get(older.group(1).replace("&amp;", "&")).text
    for moment in acted:
        for shown in (moment.isoformat(), moment.strftime("%Y-%m-%dT%H"), "20 Nov", "Nov 20"):
            assert shown not in pages
