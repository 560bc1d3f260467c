"""Building a roster on the game page: paste, CSV, fix, remove, exclusions, adding oneself."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Exclusion, Game, Participant
from tests.helpers import login, make_facilitator, make_game, participants_of


@pytest.fixture
def game_id(app, client):
    """A draft game of the logged-in facilitator with no one on it yet."""
    with app.app_context():
        facilitator = make_facilitator()
        game = make_game(facilitator, [])
        game_id = game.id
    login(client)
    return game_id


def names(app, game_id):
    with app.app_context():
        return [p.name for p in participants_of(db.session.get(Game, game_id))]


def test_create_game_validates_dates(client, app):
    with app.app_context():
        make_facilitator()
    login(client)
    response = client.post(
        "/games/new",
        data={
            "name": "Kindness month",
            "group_kind": "class",
            "group_name": "7B",
            "starts_on": "2026-12-10",
            "ends_on": "2026-12-01",
            "welcome": "Hello",
        },
    )
    assert "end on or after" in response.text
    assert 'value="Kindness month"' in response.text  # nothing typed is lost
    ok = client.post(
        "/games/new",
        data={
            "name": "Kindness month",
            "group_kind": "class",
            "group_name": "7B",
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-20",
            "welcome": "Hello",
        },
    )
    assert ok.status_code == 302
    page = client.get(ok.location)
    assert "Kindness month" in page.text and "7B" in page.text and "Draft" in page.text


def test_pasted_lines_good_added_bad_kept_in_the_box(client, app, game_id):
    text = "Zoë Ørsted <zoe@example.org>\nnonsense here\nSam Lee, sam@example.org\nsam@EXAMPLE.org"
    response = client.post(f"/games/{game_id}/participants", data={"lines": text})
    assert response.status_code == 200
    assert "Added 2 people" in response.text
    assert "Line 2" in response.text and "Line 4" in response.text
    assert "already appears on line 3" in response.text
    textarea = response.text.split('name="lines"', 1)[1].split("</textarea>", 1)[0]
    assert "nonsense here" in textarea and "sam@EXAMPLE.org" in textarea
    assert "Zoë" not in textarea
    assert names(app, game_id) == ["Zoë Ørsted", "Sam Lee"]


def test_only_bad_lines_is_a_400_that_keeps_them(client, app, game_id):
    response = client.post(f"/games/{game_id}/participants", data={"lines": "x@\ny@"})
    assert response.status_code == 400
    assert "x@\ny@" in response.text
    assert names(app, game_id) == []


def test_csv_upload(client, app, game_id):
    data = {"csv_file": (io.BytesIO(b"name,email\nAiko,aiko@example.org\nBad,bad\n"), "people.csv")}
    response = client.post(
        f"/games/{game_id}/participants", data=data, content_type="multipart/form-data"
    )
    assert "Added 1 person" in response.text
    assert "File, row 3" in response.text and "Bad, bad" in response.text
    assert names(app, game_id) == ["Aiko"]


def test_duplicate_against_roster_is_reported(client, app, game_id):
    client.post(f"/games/{game_id}/participants", data={"lines": "Ann <ann@example.org>"})
    again = client.post(f"/games/{game_id}/participants", data={"lines": "Annie <ANN@example.org>"})
    assert "already on the roster" in again.text
    assert names(app, game_id) == ["Ann"]


def test_edit_and_remove_before_the_draw(client, app, game_id):
    client.post(
        f"/games/{game_id}/participants",
        data={"lines": "Ann <ann@example.org>\nBen <ben@example.org>"},
    )
    with app.app_context():
        ann, ben = participants_of(db.session.get(Game, game_id))
        ann_id, ben_id = ann.id, ben.id
    clash = client.post(
        f"/games/{game_id}/participants/{ann_id}", data={"name": "Ann", "email": "BEN@example.org"}
    )
    assert "already on the roster" in clash.text
    bad = client.post(
        f"/games/{game_id}/participants/{ann_id}", data={"name": "Ann", "email": "not-an-email"}
    )
    assert "not a valid email" in bad.text.lower()
    ok = client.post(
        f"/games/{game_id}/participants/{ann_id}",
        data={"name": "Ann Smith", "email": "ann.smith@example.org"},
    )
    assert ok.status_code == 302
    client.post(f"/games/{game_id}/participants/{ben_id}/remove")
    assert names(app, game_id) == ["Ann Smith"]


def test_add_me_puts_the_facilitator_on_the_roster_once(client, app, game_id):
    client.post(f"/games/{game_id}/add-me")
    page = client.post(f"/games/{game_id}/add-me", follow_redirects=True)
    assert "already on the roster" in page.text
    assert names(app, game_id) == ["Fran Facilitator"]
    assert "Add me to the roster" not in page.text


def test_exclusions_both_ways_and_one_way(client, app, game_id):
    client.post(
        f"/games/{game_id}/participants",
        data={"lines": "Ann <ann@example.org>\nBen <ben@example.org>\nCy <cy@example.org>"},
    )
    with app.app_context():
        ann, ben, cy = (p.id for p in participants_of(db.session.get(Game, game_id)))
    client.post(
        f"/games/{game_id}/exclusions", data={"angel": ann, "mortal": ben, "direction": "both"}
    )
    client.post(
        f"/games/{game_id}/exclusions", data={"angel": cy, "mortal": ann, "direction": "one"}
    )
    page = client.get(f"/games/{game_id}")
    assert "Ann ↔ Ben" in page.text
    assert "Cy → Ann" in page.text and "must not be Ann’s angel" in page.text
    same = client.post(
        f"/games/{game_id}/exclusions",
        data={"angel": ben, "mortal": ann, "direction": "one"},
        follow_redirects=True,
    )
    assert "already kept apart" in same.text
    self_pair = client.post(
        f"/games/{game_id}/exclusions",
        data={"angel": ben, "mortal": ben, "direction": "both"},
        follow_redirects=True,
    )
    assert "two different people" in self_pair.text
    with app.app_context():
        rows = db.session.execute(select(Exclusion).order_by(Exclusion.id)).scalars().all()
        assert [(r.angel_id, r.mortal_id, r.both_ways) for r in rows] == [
            (ann, ben, True),
            (cy, ann, False),
        ]
        first = rows[0].id
    client.post(f"/games/{game_id}/exclusions/{first}/remove")
    assert "Ann ↔ Ben" not in client.get(f"/games/{game_id}").text


def test_a_one_way_exclusion_widens_to_both_ways(client, app, game_id):
    """Cy must not be Ann's angel, then Cy and Ann are kept apart: the wider rule replaces
    the narrower one (same pair, same direction first), and nothing else is touched."""
    client.post(
        f"/games/{game_id}/participants",
        data={"lines": "Ann <ann@example.org>\nBen <ben@example.org>\nCy <cy@example.org>"},
    )
    with app.app_context():
        ann, ben, cy = (p.id for p in participants_of(db.session.get(Game, game_id)))
    for angel, mortal, direction in ((cy, ann, "one"), (cy, ann, "both"), (ben, ann, "one")):
        response = client.post(
            f"/games/{game_id}/exclusions",
            data={"angel": angel, "mortal": mortal, "direction": direction},
        )
        assert response.status_code == 302
    page = client.get(f"/games/{game_id}").text
    assert "Cy ↔ Ann" in page and "Ben → Ann" in page and "Cy → Ann" not in page
    with app.app_context():
        rows = db.session.execute(select(Exclusion)).scalars().all()
        assert sorted((r.angel_id, r.mortal_id, r.both_ways) for r in rows) == sorted(
            [(cy, ann, True), (ben, ann, False)]
        )


def test_exclusion_with_someone_from_another_game_is_refused(client, app, game_id):
    client.post(f"/games/{game_id}/participants", data={"lines": "Ann <ann@example.org>"})
    with app.app_context():
        other = make_game(make_facilitator("O", "o@example.org"), 3)
        stranger = participants_of(other)[0].id
        ann = participants_of(db.session.get(Game, game_id))[0].id
    page = client.post(
        f"/games/{game_id}/exclusions",
        data={"angel": ann, "mortal": stranger, "direction": "both"},
        follow_redirects=True,
    )
    assert "Choose two people from the roster" in page.text
    with app.app_context():
        assert db.session.execute(select(Exclusion)).first() is None


def test_roster_is_frozen_after_the_draw(client, app, game_id):
    client.post(
        f"/games/{game_id}/participants",
        data={"lines": "A <a@example.org>\nB <b@example.org>\nC <c@example.org>"},
    )
    client.post(f"/games/{game_id}/draw")
    page = client.post(f"/games/{game_id}/participants", data={"lines": "D <d@example.org>"})
    assert "no longer possible" in page.text
    with app.app_context():
        count = db.session.execute(select(Participant).where(Participant.game_id == game_id)).all()
        assert len(count) == 3
