"""The roster on the game page, 50 people at a time: in collation order, searched by name or
email, every action still reachable, and the same work per page whatever the roster's size."""

from __future__ import annotations

import io
import random
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import Exclusion, Facilitator, Game, Participant
from app.services import setup
from app.services.draw import draw_names
from app.services.roster import PAGE_SIZE
from app.web.facilitator import blueprint
from tests.helpers import login, make_facilitator, make_game, statements_run


def _fill(app, game_id: int, people: int, name="Person {:05d}") -> None:
    """Add `people` people of equal-length names and emails through the roster service."""
    lines = "\n".join(f"{name.format(i)} <p{i:05d}@example.org>" for i in range(people))
    with app.app_context():
        setup.read_and_add(db.session.get(Game, game_id), lines, None)


@pytest.fixture
def new_game(app, client):
    """Make draft games of the logged-in facilitator: `new_game(people)` gives the game's id."""
    with app.app_context():
        facilitator_id = make_facilitator().id
    login(client)

    def make(people: int = 0, **fill) -> int:
        with app.app_context():
            facilitator = db.session.get(Facilitator, facilitator_id)
            game_id = make_game(facilitator, [], name=f"Game of {people}").id
        _fill(app, game_id, people, **fill)
        return game_id

    return make


@contextmanager
def statements(app):
    """Count the SQL statements run inside the block."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _rows(page: str) -> list[str]:
    """The names in the roster table, in the order shown."""
    if '<table class="roster">' not in page:
        return []
    table = page[page.index('<table class="roster">') :]
    table = table[: table.index("</table>")]
    return re.findall(r"<tr>\s*<td>([^<]*)</td>", table)


def _work(app, client, path: str) -> tuple[int, int]:
    """(SQL statements, bytes) of one GET of `path`, after a first GET to warm up."""
    assert client.get(path).status_code == 200
    with statements(app) as seen:
        response = client.get(path)
    assert response.status_code == 200
    return len(seen), len(response.data)


def test_roster_page_work_is_flat_from_10_to_2000_people(app, client, new_game):
    sizes = (10, 300, 2000)
    work = {n: _work(app, client, f"/games/{new_game(n)}") for n in sizes}
    searched = {n: _work(app, client, f"/games/{new_game(n)}?q=person&page=3") for n in sizes}
    assert len({queries for queries, _ in work.values()}) == 1 and work[10][0] > 3, work
    assert len({queries for queries, _ in searched.values()}) == 1, searched
    # Past one page and past the exclusion menus (200 people), a page weighs the same.
    assert abs(work[300][1] - work[2000][1]) < 0.02 * work[2000][1], work
    assert work[2000][1] < 40_000


def test_running_roster_page_work_is_flat_too(app, client, new_game):
    work = {}
    for people in (10, 400):
        game_id = new_game(people)
        with app.app_context(), app.test_request_context():
            draw_names(db.session.get(Game, game_id), random.Random(people))
        work[people] = _work(app, client, f"/games/{game_id}?page=2")
    assert work[10][0] == work[400][0], work
    page = client.get(f"/games/{game_id}").text
    assert (
        "<strong>0</strong> sent · <strong>400</strong> waiting · <strong>0</strong> failed" in page
    )
    assert "Change address or send a new link" in page


def test_pages_walk_the_roster_in_collation_order(app, client, new_game):
    game_id = new_game()
    names = [f"{first} {i:03d}" for i in range(40) for first in ("Émile", "Zoë", "edith")]
    lines = "\n".join(f"{n} <p{i}@example.org>" for i, n in enumerate(names))
    assert client.post(f"/games/{game_id}/participants", data={"lines": lines}).status_code == 302
    shown, page, number = [], client.get(f"/games/{game_id}").text, 1
    assert f"People 1–{PAGE_SIZE} of 120" in page and "Next →" in page and "Previous" not in page
    while True:
        shown += _rows(page)
        link = re.search(r'<a rel="next" href="([^"]+)"', page)
        if not link:
            break
        page, number = client.get(link.group(1).replace("&amp;", "&")).text, number + 1
    assert number == 3 and "People 101–120 of 120" in page and "← Previous" in page
    assert shown == sorted(names, key=lambda n: (n[0].lower().replace("é", "e"), n))
    assert _rows(client.get(f"/games/{game_id}?page=99").text) == shown[100:]


def test_search_ignores_case_and_accents_and_finds_emails(app, client, new_game):
    game_id = new_game(60)
    lines = "Émile Zola <ez@books.example.org>\nzoë <zoe@example.org>\nAl_Pct <pct@example.org>"
    client.post(f"/games/{game_id}/participants", data={"lines": lines})
    found = client.get(f"/games/{game_id}?q=EMILE").text
    assert _rows(found) == ["Émile Zola"]
    assert "People 1–1 of 1 matching “EMILE”" in found and 'value="EMILE"' in found
    assert _rows(client.get(f"/games/{game_id}?q=zoe").text) == ["zoë"]
    assert _rows(client.get(f"/games/{game_id}?q=books.EXAMPLE").text) == ["Émile Zola"]
    # LIKE's wildcards are taken literally.
    assert _rows(client.get(f"/games/{game_id}?q=l_p").text) == ["Al_Pct"]
    assert _rows(client.get(f"/games/{game_id}?q=%25").text) == []
    nobody = client.get(f"/games/{game_id}?q=nobody+here").text
    assert "Nobody on the roster matches “nobody here”." in nobody and "Show everyone" in nobody


def test_every_roster_action_works_from_a_later_page(app, client, new_game):
    game_id = new_game(120)
    page = client.get(f"/games/{game_id}?page=3").text
    edit = re.search(r'href="(/games/\d+/participants/(\d+))">Edit', page)
    with app.app_context():
        person = db.session.get(Participant, int(edit.group(2)))
        assert person.name == "Person 00100"
    saved = client.post(edit.group(1), data={"name": "Aaron Early", "email": "p00100@example.org"})
    assert saved.status_code == 302
    assert _rows(client.get(f"/games/{game_id}").text)[0] == "Aaron Early"
    removed = client.post(f"{edit.group(1)}/remove")
    assert removed.status_code == 302
    with app.app_context():
        count = select(func.count()).select_from(Participant).where(Participant.game_id == game_id)
        assert db.session.execute(count).scalar_one() == 119
    # Adding people from a later page: bad lines come back in the box, good ones are added.
    added = client.post(
        f"/games/{game_id}/participants?page=2", data={"lines": "New Person <new@example.org>\nbad"}
    )
    assert added.status_code == 200 and "bad</textarea>" in added.text


def test_a_large_roster_keeps_people_apart_by_email(app, client, new_game, monkeypatch):
    monkeypatch.setattr(blueprint, "EXCLUSION_MENU_LIMIT", 50)
    game_id = new_game(60)
    page = client.get(f"/games/{game_id}").text
    exclusions = page.split('id="exclusions"')[1]
    assert 'name="angel" type="email"' in page and not re.search(r'<option value="\d', exclusions)
    refused = client.post(
        f"/games/{game_id}/exclusions",
        data={"angel": "p00001@example.org", "mortal": "nobody@example.org", "direction": "both"},
    )
    assert refused.status_code == 400
    assert 'value="p00001@example.org"' in refused.text
    assert 'value="nobody@example.org"' in refused.text
    assert "Choose two people from the roster." in refused.text
    saved = client.post(
        f"/games/{game_id}/exclusions",
        data={"angel": "P00001@example.org", "mortal": "p00059@example.org", "direction": "one"},
    )
    assert saved.status_code == 302
    with app.app_context():
        rule = db.session.execute(select(Exclusion)).scalar_one()
        assert (rule.angel.name, rule.mortal.name, rule.both_ways) == (
            "Person 00001",
            "Person 00059",
            False,
        )


def test_a_small_roster_still_offers_everyone_in_the_exclusion_menus(client, new_game):
    game_id = new_game(60)
    exclusions = client.get(f"/games/{game_id}").text.split('id="exclusions"')[1]
    assert len(re.findall(r'<option value="\d+"', exclusions)) == 2 * 60  # both menus


def test_a_csv_upload_is_one_insert_whatever_its_size(app, client, new_game):
    counts = {}
    for people in (5, 1500):
        game_id = new_game()
        rows = "\n".join(f"Person {i},p{i}@example.org" for i in range(people))
        data = {"csv_file": (io.BytesIO(f"name,email\n{rows}".encode()), "roster.csv")}
        with statements(app) as seen:
            response = client.post(f"/games/{game_id}/participants", data=data)
        assert response.status_code == 302
        counts[people] = len(seen)
        with app.app_context():
            added = db.session.execute(
                select(Participant.name, Participant.name_order).where(
                    Participant.game_id == game_id
                )
            ).all()
        assert len(added) == people and all(order for _, order in added)
    assert counts[5] == counts[1500], counts


def _link(page: str, rel: str) -> str | None:
    """The address of the pager's `rel` link ("next", "prev"), or None."""
    found = re.search(f'<a rel="{rel}" href="([^"#]+)', page)
    return found.group(1).replace("&amp;", "&") if found else None


def _skipped(app, client, path: str) -> int:
    """The most rows any roster read skipped (its OFFSET) to show the page at `path`."""
    with statements_run(app) as seen:
        assert client.get(path).status_code == 200
    offsets = []
    for statement, parameters in seen:
        if "ORDER BY participant.name_order" not in statement or "LIMIT" not in statement:
            continue
        named = re.search(r"OFFSET %\((\w+)\)s", statement)  # PostgreSQL's psycopg
        if named:
            offsets.append(parameters[named.group(1)])
        elif "OFFSET ?" in statement:  # SQLite: the OFFSET is the last value
            offsets.append(parameters[-1])
        else:
            offsets.append(0)
    assert offsets
    return max(offsets)


def test_next_and_previous_read_on_from_a_row_and_walk_the_whole_roster(app, client, new_game):
    game_id = new_game(6 * PAGE_SIZE + 7)
    everyone = [f"Person {i:05d}" for i in range(6 * PAGE_SIZE + 7)]
    page, path, forwards = client.get(f"/games/{game_id}").text, None, []
    while True:
        forwards.append(_rows(page))
        if not (path := _link(page, "next")):
            break
        assert _skipped(app, client, path) == 0  # deep or not, nothing is skipped
        page = client.get(path).text
    assert [name for rows in forwards for name in rows] == everyone
    assert "People 301–307 of 307" in page and "Page 7 of 7" in page
    backwards = [_rows(page)]
    while path := _link(page, "prev"):
        assert _skipped(app, client, path) == 0
        page = client.get(path).text
        backwards.append(_rows(page))
    assert backwards[::-1] == forwards and "People 1–50 of 307" in page
    # A page in the middle, reached by a link, shows where it is and both ways out.
    middle = client.get(_link(client.get(f"/games/{game_id}?page=3").text, "next")).text
    assert "People 151–200 of 307" in middle and "Page 4 of 7" in middle
    assert _rows(middle) == everyone[150:200]
    assert "« First page" in middle and "Last page »" in middle
    assert "?page=7" in middle  # the last page is one step away


def test_the_last_page_and_late_numbered_pages_read_from_the_end(app, client, new_game):
    game_id = new_game(6 * PAGE_SIZE + 7)
    everyone = [f"Person {i:05d}" for i in range(6 * PAGE_SIZE + 7)]
    for number in (7, 6, 5):
        path = f"/games/{game_id}?page={number}"
        start = (number - 1) * PAGE_SIZE
        assert _rows(client.get(path).text) == everyone[start : start + PAGE_SIZE]
        assert _skipped(app, client, path) < start  # read from the nearer end
    assert _skipped(app, client, f"/games/{game_id}?page=7") == 0
    assert _skipped(app, client, f"/games/{game_id}?page=99") == 0


def test_a_search_pages_by_row_too(app, client, new_game):
    game_id = new_game(5 * PAGE_SIZE)
    lines = "\n".join(f"Zelda {i:05d} <z{i}@example.org>" for i in range(4 * PAGE_SIZE))
    with app.app_context():
        setup.read_and_add(db.session.get(Game, game_id), lines, None)
    page, shown = client.get(f"/games/{game_id}?q=zelda").text, []
    assert "People 1–50 of 200 matching “zelda”" in page
    while True:
        shown += _rows(page)
        if not (path := _link(page, "next")):
            break
        assert "q=zelda" in path
        page = client.get(path).text
    assert shown == [f"Zelda {i:05d}" for i in range(4 * PAGE_SIZE)]
    assert "People 151–200 of 200 matching “zelda”" in page


def test_a_tampered_or_stale_link_opens_the_first_page(app, client, new_game):
    game_id = new_game(5 * PAGE_SIZE)
    first = _rows(client.get(f"/games/{game_id}").text)
    deep = _link(client.get(f"/games/{game_id}?page=2").text, "next")
    assert "at=" in deep and _rows(client.get(deep).text) == [
        f"Person {i:05d}" for i in range(100, 150)
    ]
    token = deep.split("at=")[1]
    other_game = new_game(5 * PAGE_SIZE)
    tampered = {
        "not ours": f"/games/{game_id}?at=nonsense",
        "a changed letter": f"/games/{game_id}?at={token[:-3]}{'B' if token[-3] == 'A' else 'A'}"
        + token[-2:],
        "another search": f"{deep}&q=person",
        "another game": deep.replace(f"/games/{game_id}", f"/games/{other_game}"),
    }
    for what, path in tampered.items():
        response = client.get(path)
        assert response.status_code == 200, what
        assert "People 1–50 of 250" in response.text and "Page 1 of 5" in response.text, what
    assert _rows(client.get(tampered["not ours"]).text) == first
    # Stale: the row the link reads on from has left the roster.
    with app.app_context():
        person = db.session.execute(
            select(Participant).where(
                Participant.game_id == game_id, Participant.name == "Person 00099"
            )
        ).scalar_one()
        setup.remove_participant(db.session.get(Game, game_id), person)
    stale = client.get(deep)
    assert stale.status_code == 200 and _rows(stale.text) == first
    assert "People 1–50 of 249" in stale.text
