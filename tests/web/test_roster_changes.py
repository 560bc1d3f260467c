"""Roster changes after the draw: late joiners, leavers, self-join, re-send, new addresses.

The Pairing rows are the truth about the circle (tests only). After every change the active
people form one valid circle, at least three angels got a new mortal (in a circle of five or
more), only the people affected are emailed, no email names a mortal it need not, and nothing
the facilitator sees depends on the pairing.
"""

from __future__ import annotations

import html
import io
import random
import re
import shutil
import tempfile
from contextlib import contextmanager
from datetime import timedelta
from itertools import permutations
from types import SimpleNamespace

import pytest
import time_machine
from flask import Flask
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, insert, select

from app.domain.cycle_edits import changed_angels, leave_outcomes
from app.domain.draw import is_valid_cycle
from app.extensions import db, limiter
from app.models import (
    CourierRequest,
    Exclusion,
    Game,
    Kindness,
    OutboxMessage,
    Pairing,
    Participant,
    utcnow,
)
from app.services import ServiceError, joins, links, notes, periodic, setup
from app.services import circle as circle_service
from app.services.draw import draw_names
from tests.helpers import (
    DISTINCT_PEOPLE,
    emptied,
    follow_link,
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

# Names and addresses that are not substrings of each other.
PEOPLE = [
    *DISTINCT_PEOPLE,
    ("Florian Gage", "fgage@example.org"),
]
BAD_LINK = "link doesn"


# Helpers ---------------------------------------------------------------------------------


def build(app: Flask, people=PEOPLE, seed: int = 3, running: bool = True) -> SimpleNamespace:
    """A game (drawn unless running=False) seen from outside: ids, people by id."""
    with app.app_context():
        facilitator = make_facilitator()
        maker = make_running_game if running else make_game
        game = maker(facilitator, list(people), **({"seed": seed} if running else {}))
        return SimpleNamespace(
            id=game.id,
            public_id=game.public_id,
            people={p.id: _person(p) for p in participants_of(game)},
        )


def _person(p: Participant) -> SimpleNamespace:
    return SimpleNamespace(
        id=p.id, name=p.name, email=p.email, public_id=p.public_id, link_version=p.link_version
    )


def cycle(app: Flask, game_id: int) -> dict[int, int]:
    with app.app_context():
        return pairings_of(db.session.get(Game, game_id))


def active_ids(app: Flask, game_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.execute(
                select(Participant.id).where(
                    Participant.game_id == game_id, Participant.active.is_(True)
                )
            ).scalars()
        )


def mail_mark(app: Flask) -> int:
    with app.app_context():
        return db.session.execute(select(func.coalesce(func.max(OutboxMessage.id), 0))).scalar()


def mails_since(app: Flask, mark: int) -> list[SimpleNamespace]:
    with app.app_context():
        return [
            SimpleNamespace(kind=m.kind, pid=m.participant_id, to=m.to_addr, body=m.body_text)
            for m in db.session.execute(
                select(OutboxMessage).where(OutboxMessage.id > mark).order_by(OutboxMessage.id)
            ).scalars()
        ]


def recipients(mails, kind: str) -> list[int]:
    return sorted(m.pid for m in mails if m.kind == kind)


def angel_of(circle: dict[int, int], person: int) -> int:
    return next(a for a, m in circle.items() if m == person)


def participant_client(app: Flask, person: SimpleNamespace):
    client = app.test_client()
    assert open_as_participant(client, app, person).status_code == 302
    assert client.get("/me").status_code == 200
    return client


def flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [text for _, text in session.get("_flashes", [])]


def link_in(body: str) -> str:
    return re.search(r"http://angels\.test(/p/\S+)", body).group(1)


# Late joiners ------------------------------------------------------------------------------


def assert_names_nobody(body: str, world, *also: str) -> None:
    """A mortal-changed email names no participant but its reader (in the greeting)."""
    names = [p.name for p in world.people.values()] + list(also)
    assert [name for name in names if name in body.split("\n", 1)[-1]] == []


def test_late_joiners_move_three_angels_and_only_they_are_told(app, client):
    world = build(app)
    before = cycle(app, world.id)
    now = utcnow()
    with app.app_context():
        for pid in world.people:
            notes.send_note(db.session.get(Participant, pid), f"Note from {pid}", now=now)
        periodic.tick(now + timedelta(days=2), random.Random(1))
        delivered = dict(
            db.session.execute(
                select(Kindness.id, Kindness.mortal_id).where(Kindness.state == "delivered")
            ).all()
        )
    assert len(delivered) == len(world.people)
    login(client)
    mark = mail_mark(app)

    lines = (
        "Nadia Newman <nadia.n@example.org>\nnot an address at all\nAurora F <AURORA.F@example.org>"
    )
    response = client.post(f"/games/{world.id}/late-joiners", data={"lines": lines})

    assert response.status_code == 200
    assert "Added 1 person" in response.text
    assert "Line 2" in response.text and "Line 3" in response.text
    box = response.text.split('name="lines"', 1)[1].split("</textarea>", 1)[0]
    assert "not an address at all" in box and "AURORA.F@example.org" in box
    assert "Nadia" not in box
    with app.app_context():
        newcomer = db.session.execute(
            select(Participant).where(Participant.email_key == "nadia.n@example.org")
        ).scalar_one()
        newcomer_id = newcomer.id
    after = cycle(app, world.id)
    assert is_valid_cycle(after, [*world.people, newcomer_id], ())
    changed = changed_angels(before, after)
    assert len(changed) == 3
    (a,) = [x for x in changed if after[x] == newcomer_id]
    # Not a plain splice: A's old mortal is not the newcomer's mortal, so A learns nothing.
    assert after[newcomer_id] != before[a]

    mails = mails_since(app, mark)
    assert sorted((m.kind, m.pid) for m in mails) == sorted(
        [("invitation", newcomer_id)] + [("mortal-changed", x) for x in changed]
    )
    for told in (m for m in mails if m.kind == "mortal-changed"):
        assert told.to == world.people[told.pid].email
        assert_names_nobody(told.body, world, "Nadia Newman")
        assert "/p/" in told.body  # the link to the page that says who
    invitation = next(m for m in mails if m.kind == "invitation")
    assert_names_nobody(invitation.body, world)
    # Told in a later round, and shown on their pages only from then.
    with app.app_context():
        releases = dict(
            db.session.execute(
                select(Pairing.angel_id, Pairing.released_at).where(Pairing.angel_id.in_(changed))
            ).all()
        )
        queued = dict(
            db.session.execute(
                select(OutboxMessage.participant_id, OutboxMessage.next_attempt_at).where(
                    OutboxMessage.id > mark, OutboxMessage.kind == "mortal-changed"
                )
            ).all()
        )
    assert queued == releases
    assert all(moment >= now + timedelta(minutes=30) for moment in releases.values())
    for angel in changed - {newcomer_id}:
        browser = participant_client(app, world.people[angel])
        new_mortal = world.people.get(after[angel])
        pending = browser.get("/me/angel").text
        assert "Your mortal is changing" in pending
        # The game is running: the page says only when kindnesses can be sent again.
        assert "has not started yet" not in pending
        guess = browser.get("/me/guess").text
        assert "None" not in guess and "your mortal will learn" in guess
        if new_mortal is not None:
            assert new_mortal.name not in browser.get("/me").text.split("Hello", 1)[1]
        with time_machine.travel(releases[angel], tick=False):
            shown = browser.get("/me/angel").text
        assert "Your mortal is changing" not in shown
        assert (new_mortal.name if new_mortal else "Nadia Newman") in shown

    # What A already delivered to their old mortal B stays delivered, in B's inbox.
    with app.app_context():
        still = dict(
            db.session.execute(
                select(Kindness.id, Kindness.mortal_id).where(Kindness.state == "delivered")
            ).all()
        )
    assert still == delivered
    b_inbox = participant_client(app, world.people[before[a]]).get("/me/inbox")
    assert f"Note from {a}" in b_inbox.text


def test_late_joiners_with_only_bad_lines_change_nothing(app, client):
    world = build(app)
    before = cycle(app, world.id)
    login(client)
    mark = mail_mark(app)
    response = client.post(f"/games/{world.id}/late-joiners", data={"lines": "x@\ny@"})
    assert response.status_code == 400
    assert "x@\ny@" in response.text
    assert cycle(app, world.id) == before and mails_since(app, mark) == []


def test_late_joiners_take_the_same_input_as_the_roster(app, client):
    """A CSV upload works after the draw too, the roster's size limit holds and keeps what was
    typed, and an empty submission says what is missing."""
    world = build(app)
    login(client)
    csv = "name,email\nNadia Newman,nadia.n@example.org\nOrla Oak,not-an-email\n"
    response = client.post(
        f"/games/{world.id}/late-joiners",
        data={"lines": "", "csv_file": (io.BytesIO(csv.encode()), "late.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200  # one added, one bad line shown
    assert "not-an-email" in response.text
    assert len(active_ids(app, world.id)) == len(PEOPLE) + 1

    app.config["MAX_ROSTER_SIZE"] = len(PEOPLE) + 1
    mark = mail_mark(app)
    response = client.post(
        f"/games/{world.id}/late-joiners", data={"lines": "Pia Pine <pia@example.org>"}
    )
    assert response.status_code == 409
    assert f"A game can have at most {len(PEOPLE) + 1} participants." in response.text
    assert "Pia Pine &lt;pia@example.org&gt;" in response.text
    assert mails_since(app, mark) == []

    response = client.post(f"/games/{world.id}/late-joiners", data={"lines": "  "})
    assert response.status_code == 400
    assert "Paste some lines or choose a CSV file first." in response.text
    assert len(active_ids(app, world.id)) == len(PEOPLE) + 1


def test_late_joiners_are_refused_before_the_draw(app, client):
    world = build(app, running=False)
    login(client)
    response = client.post(
        f"/games/{world.id}/late-joiners", data={"lines": "Nadia Newman <nadia.n@example.org>"}
    )
    assert response.status_code == 409
    assert "only while the game is running" in response.text
    assert len(active_ids(app, world.id)) == len(PEOPLE)


# Leaving -----------------------------------------------------------------------------------


def _leave(app: Flask, client, world, leaver: int, how: str, leaver_client=None):
    """Withdraw `leaver` by the facilitator (client logged in) or by themself."""
    if how == "facilitator":
        return client.post(f"/games/{world.id}/participants/{leaver}/withdraw")
    leaver_client = leaver_client or participant_client(app, world.people[leaver])
    page = leaver_client.get("/me/leave")
    assert page.status_code == 200 and "Leave" in page.text
    return leaver_client.post("/me/leave")


@pytest.mark.parametrize("how", ["facilitator", "self"])
def test_leaving_repairs_the_circle_and_tidies_kindnesses(app, client, how):
    world = build(app, seed=5)
    ids = list(world.people)
    before = cycle(app, world.id)
    leaver = ids[2]
    a, c = angel_of(before, leaver), before[leaver]
    carrier_angel = next(p for p in ids if p not in (leaver, a))  # their mortal is not the leaver
    now = utcnow()
    with app.app_context():
        get = lambda pid: db.session.get(Participant, pid)  # noqa: E731
        own_note = notes.send_note(get(leaver), "From the leaver", now=now).id
        own_visit = notes.request_in_person(get(leaver), "Leave a tea bag", "", now=now).id
        note_to_leaver = notes.send_note(get(a), "For the leaver", now=now).id
        visit_to_leaver = notes.request_in_person(get(a), "A flower on the desk", "", now=now).id
        carried = notes.request_in_person(get(carrier_angel), "A cuppa", "", now=now).id
        # The leaver is the courier of `carried` (test setup: make it so).
        request = db.session.execute(
            select(CourierRequest).where(CourierRequest.kindness_id == carried)
        ).scalar_one()
        request.courier_id = leaver
        db.session.commit()
        carried_request = request.id
    leaver_client = participant_client(app, world.people[leaver])
    login(client)
    mark = mail_mark(app)

    response = _leave(app, client, world, leaver, how, leaver_client)

    if how == "facilitator":
        assert response.status_code == 302
        assert any("has left the game" in f for f in flashes(client))
    else:
        assert response.status_code == 200 and "You have left" in response.text
    after = cycle(app, world.id)
    remaining = [p for p in ids if p != leaver]
    assert sorted(active_ids(app, world.id)) == sorted(remaining)
    assert leaver not in after and leaver not in after.values()
    assert is_valid_cycle(after, remaining, ())
    changed = changed_angels(before, after)
    # Not A -> C, which would tell A who the leaver's mortal was.
    assert len(changed) == 3 and a in changed and after[a] != c

    mails = mails_since(app, mark)
    assert recipients(mails, "mortal-changed") == sorted(changed)
    for told in (m for m in mails if m.kind == "mortal-changed"):
        assert_names_nobody(told.body, world)
    assert recipients(mails, "kindness-cancelled") == [a]
    assert leaver not in {m.pid for m in mails}
    assert not {m.kind for m in mails} - {"mortal-changed", "kindness-cancelled", "courier-request"}

    with app.app_context():
        state = lambda kid: db.session.get(Kindness, kid).state  # noqa: E731
        assert state(own_note) == "cancelled"
        assert state(own_visit) == "cancelled"
        assert state(note_to_leaver) == "cancelled"
        assert state(visit_to_leaver) == "cancelled"
        open_for = lambda kid: list(  # noqa: E731
            db.session.execute(
                select(CourierRequest).where(
                    CourierRequest.kindness_id == kid,
                    CourierRequest.state.in_(("offered", "accepted")),
                )
            ).scalars()
        )
        assert open_for(own_visit) == [] and open_for(visit_to_leaver) == []
        # The delivery the leaver carried goes to somebody else.
        assert db.session.get(CourierRequest, carried_request).state == "withdrawn"
        assert state(carried) == "routing"
        (offer,) = open_for(carried)
        assert offer.state == "offered" and offer.id != carried_request
        assert offer.courier_id not in (leaver, before[carrier_angel])
        new_courier = offer.courier_id
    assert recipients(mails, "courier-request") == [new_courier]

    # The leaver's session and link stop working, with the friendly page.
    gone = leaver_client.get("/me")
    assert gone.status_code == 404 and BAD_LINK in gone.text
    relink = open_as_participant(app.test_client(), app, world.people[leaver])
    assert relink.status_code == 404 and BAD_LINK in relink.text


@pytest.mark.parametrize("how", ["facilitator", "self"])
def test_leaving_is_refused_with_three_people(app, client, how):
    world = build(app, people=PEOPLE[:3])
    leaver = list(world.people)[0]
    before = cycle(app, world.id)
    leaver_client = participant_client(app, world.people[leaver])
    login(client)
    mark = mail_mark(app)

    response = _leave(app, client, world, leaver, how, leaver_client)

    assert response.status_code == 302
    shown = flashes(client if how == "facilitator" else leaver_client)
    assert any("at least 3" in text for text in shown), shown
    page = (client if how == "facilitator" else leaver_client).get(response.location)
    assert "at least 3" in page.text
    assert cycle(app, world.id) == before
    assert len(active_ids(app, world.id)) == 3
    assert mails_since(app, mark) == []
    assert leaver_client.get("/me").status_code == 200


@pytest.mark.parametrize("how", ["facilitator", "self"])
def test_a_refused_leave_never_names_the_leavers_angel(app, client, how):
    """A -> L -> C -> X -> P -> A with A -> C and P -> C excluded: the easy repairs are out.

    Whatever happens, neither the leaver (A's mortal) nor the facilitator may learn A.
    """
    world = build(app, people=PEOPLE[:5], seed=2)
    before = cycle(app, world.id)
    leaver = list(world.people)[0]
    a, c = angel_of(before, leaver), before[leaver]
    p = angel_of(before, a)
    with app.app_context():
        db.session.add_all(
            [
                Exclusion(game_id=world.id, angel_id=a, mortal_id=c, both_ways=False),
                Exclusion(game_id=world.id, angel_id=p, mortal_id=c, both_ways=False),
            ]
        )
        db.session.commit()
    leaver_client = participant_client(app, world.people[leaver])
    login(client)

    response = _leave(app, client, world, leaver, how, leaver_client)

    viewer = client if how == "facilitator" else leaver_client
    shown = flashes(viewer)
    angel_name = world.people[a].name
    assert not [text for text in shown if angel_name in text], shown
    if how == "self" and response.status_code == 302:
        assert angel_name not in viewer.get(response.location).text
    after = cycle(app, world.id)
    if leaver in active_ids(app, world.id):
        assert after == before
    else:
        assert is_valid_cycle(after, [q for q in world.people if q != leaver], {(a, c), (p, c)})


# Self-join ---------------------------------------------------------------------------------


def _allow_self_join(app: Flask, game_id: int, allowed: bool = True) -> None:
    with app.app_context():
        db.session.get(Game, game_id).allow_self_join = allowed
        db.session.commit()


def _pending_names(app: Flask, game_id: int) -> list[str]:
    with app.app_context():
        return [r.name for r in joins.pending_joins(db.session.get(Game, game_id))]


def test_self_join_while_running_waits_for_approval_then_is_spliced_in(app, client):
    """After the draw a self-join changes nothing until the facilitator approves it; approval
    splices the newcomer in like a late joiner, told through the release rounds."""
    limiter.reset()
    world = build(app)
    _allow_self_join(app, world.id)
    before = cycle(app, world.id)
    mark = mail_mark(app)
    assert "Join the game" in client.get(f"/g/{world.public_id}").text

    response = client.post(
        f"/g/{world.public_id}/join", data={"name": "Juniper Late", "email": "juniper@example.org"}
    )

    assert response.status_code == 302
    assert "your request is with the organiser" in client.get(response.location).text
    assert cycle(app, world.id) == before
    assert len(active_ids(app, world.id)) == len(PEOPLE)
    assert mails_since(app, mark) == []
    assert _pending_names(app, world.id) == ["Juniper Late"]

    fac = app.test_client()
    login(fac)
    page = fac.get(f"/games/{world.id}").text
    assert "Waiting to join" in page and "Juniper Late" in page
    request_id = int(re.search(r"/join-requests/(\d+)/approve", page).group(1))
    approved = fac.post(f"/games/{world.id}/join-requests/{request_id}/approve")
    assert approved.status_code == 302
    assert "Added Juniper Late" in fac.get(approved.location).text
    assert _pending_names(app, world.id) == []
    with app.app_context():
        joiner = db.session.execute(
            select(Participant.id).where(Participant.email_key == "juniper@example.org")
        ).scalar_one()
    after = cycle(app, world.id)
    assert is_valid_cycle(after, [*world.people, joiner], ())
    changed = changed_angels(before, after)
    assert len(changed) == 3
    mails = mails_since(app, mark)
    assert sorted((m.kind, m.pid) for m in mails) == sorted(
        [("invitation", joiner)] + [("mortal-changed", x) for x in changed]
    )
    with app.app_context():
        # Nothing is released at the moment of approval: the notices wait for a later round.
        now = utcnow()
        assert all(
            m.next_attempt_at > now
            for m in db.session.execute(
                select(OutboxMessage).where(
                    OutboxMessage.id > mark, OutboxMessage.kind == "mortal-changed"
                )
            ).scalars()
        )


def test_turning_a_join_request_down_tells_nobody(app, client):
    limiter.reset()
    world = build(app)
    _allow_self_join(app, world.id)
    before = cycle(app, world.id)
    joining = {"name": "Juniper Late", "email": "j@example.org"}
    client.post(f"/g/{world.public_id}/join", data=joining)
    mark = mail_mark(app)
    fac = app.test_client()
    login(fac)
    page = fac.get(f"/games/{world.id}").text
    request_id = int(re.search(r"/join-requests/(\d+)/turn-down", page).group(1))
    # A game that is not hers does not have this request.
    other = f"/games/{world.id + 999}/join-requests/{request_id}/turn-down"
    assert fac.post(other).status_code == 404
    assert fac.post(f"/games/{world.id}/join-requests/{request_id}/turn-down").status_code == 302
    assert _pending_names(app, world.id) == []
    assert "Waiting to join" not in fac.get(f"/games/{world.id}").text
    assert cycle(app, world.id) == before and mails_since(app, mark) == []
    assert fac.post(f"/games/{world.id}/join-requests/{request_id}/approve").status_code == 404


@pytest.mark.parametrize("running", [True, False])
def test_self_join_answers_a_player_as_it_answers_a_stranger(app, client, running):
    """The public page must not tell anyone who plays: joining with an address already on the
    roster gets word for word the newcomer's answer, changes nothing, and (once names are
    drawn) emails that player their own link instead, as "I lost my link" would."""
    limiter.reset()
    world = build(app, running=running)
    _allow_self_join(app, world.id)
    player = PEOPLE[1]
    before, count = cycle(app, world.id), len(active_ids(app, world.id))
    mark = mail_mark(app)

    response = client.post(
        f"/g/{world.public_id}/join", data={"name": "Someone Else", "email": player[1].upper()}
    )

    assert response.status_code == 302
    page = client.get(response.location).text
    stranger = app.test_client().post(
        f"/g/{world.public_id}/join",
        data={"name": "Someone Else", "email": "nobody.here@example.org"},
        follow_redirects=True,
    )
    assert without_csrf(page) == without_csrf(stranger.text)
    assert "check your email" in page.lower() or "comes by email" in page
    assert cycle(app, world.id) == before
    with app.app_context():
        names = {p.email_key: p.name for p in participants_of(db.session.get(Game, world.id))}
    assert names[player[1]] == player[0]  # the player's row is untouched
    with app.app_context():
        links.answer_link_requests()  # the periodic work, as for "I lost my link"
    mails = mails_since(app, mark)
    if running:
        assert [(m.kind, m.to) for m in mails] == [("fresh-link", player[1])]
        assert _pending_names(app, world.id) == ["Someone Else"]  # only the stranger waits
        assert len(active_ids(app, world.id)) == count
    else:
        assert mails == []
        assert len(active_ids(app, world.id)) == count + 1  # the stranger, before the draw


def test_self_join_is_refused_when_not_allowed(app, client):
    limiter.reset()
    world = build(app)
    before = cycle(app, world.id)
    mark = mail_mark(app)
    assert "Join the game" not in client.get(f"/g/{world.public_id}").text
    response = client.post(
        f"/g/{world.public_id}/join", data={"name": "Juniper Late", "email": "juniper@example.org"}
    )
    assert response.status_code == 400
    assert "not open for joining" in response.text
    assert cycle(app, world.id) == before
    assert len(active_ids(app, world.id)) == len(PEOPLE)
    assert mails_since(app, mark) == []


def test_self_join_in_draft_just_adds_to_the_roster(app, client):
    limiter.reset()
    world = build(app, running=False)
    _allow_self_join(app, world.id)
    mark = mail_mark(app)
    response = client.post(
        f"/g/{world.public_id}/join", data={"name": "Juniper Late", "email": "juniper@example.org"}
    )
    assert response.status_code == 302
    assert "when names are drawn" in client.get(response.location).text
    with app.app_context():
        game = db.session.get(Game, world.id)
        assert game.state == "draft"
        assert "Juniper Late" in [p.name for p in participants_of(game)]
        assert db.session.execute(select(func.count(Pairing.id))).scalar() == 0
    assert mails_since(app, mark) == []


def test_self_join_via_the_edit_form_setting(app, client):
    limiter.reset()
    world = build(app)
    login(client)
    with app.app_context():
        game = db.session.get(Game, world.id)
        form = {
            "name": game.name,
            "group_kind": game.group_kind,
            "group_name": game.group_name,
            "starts_on": game.starts_on.isoformat(),
            "ends_on": game.ends_on.isoformat(),
            "welcome": game.welcome,
            "delivery_times": game.delivery_times,
            "timezone": game.timezone,
            "reveal_at_end": "y",
            "allow_self_join": "y",
        }
    assert client.post(f"/games/{world.id}/edit", data=form).status_code == 302
    with app.app_context():
        assert db.session.get(Game, world.id).allow_self_join is True
    response = app.test_client().post(
        f"/g/{world.public_id}/join", data={"name": "Juniper Late", "email": "juniper@example.org"}
    )
    assert response.status_code == 302
    assert _pending_names(app, world.id) == ["Juniper Late"]
    (request,) = [r.id for r in _requests(app, world.id)]
    assert client.post(f"/games/{world.id}/join-requests/{request}/approve").status_code == 302
    assert len(active_ids(app, world.id)) == len(PEOPLE) + 1
    assert is_valid_cycle(cycle(app, world.id), active_ids(app, world.id), ())


def _requests(app: Flask, game_id: int):
    with app.app_context():
        return [
            SimpleNamespace(id=r.id) for r in joins.pending_joins(db.session.get(Game, game_id))
        ]


# Re-send ----------------------------------------------------------------------------------


def test_a_leaver_is_cut_out_away_from_earlier_games_mortals_when_asked(app):
    """A game that avoids earlier games' pairings keeps avoiding them when someone leaves.

    A -> Leaver -> C: the leaver's angel A may get anyone on the path but C and A; when A was
    the angel of all of them but one in the facilitator's earlier games, A gets that one."""
    people = [(f"Person {i}", f"person{i}@example.org") for i in range(6)]
    with app.app_context():
        fac = make_facilitator()
        game = make_running_game(fac, people, seed=5, avoid_repeat_mortals=True)
        circle = pairings_of(game)
        leaver = participants_of(game)[0]
        a = angel_of(circle, leaver.id)
        path = [circle[leaver.id]]
        while path[-1] != a:
            path.append(circle[path[-1]])
        keep, *avoided = path[1:-1]
        email_of = {p.id: p.email for p in participants_of(game)}
        for year, mortal in enumerate(avoided):
            earlier = make_game(fac, people, name=f"Year {year}")
            earlier.state = "ended"  # only ended games' pairings count as earlier ones
            then = {p.email: p.id for p in participants_of(earlier)}
            db.session.add(
                Pairing(
                    game_id=earlier.id,
                    angel_id=then[email_of[a]],
                    mortal_id=then[email_of[mortal]],
                )
            )
        db.session.commit()
        circle_service.withdraw(game, leaver, rng=random.Random(1))
        after = pairings_of(game)
        stayed = [p for p in circle if p != leaver.id]
    assert after[a] == keep
    assert is_valid_cycle(after, stayed, ())


def test_no_invitation_is_resent_to_someone_who_left(app, client):
    world = build(app)
    person = world.people[list(world.people)[1]]
    login(client)
    assert client.post(f"/games/{world.id}/participants/{person.id}/withdraw").status_code == 302
    mark = mail_mark(app)

    response = client.post(
        f"/games/{world.id}/participants/{person.id}",
        data={"name": person.name, "email": person.email},
    )

    assert response.status_code == 200
    assert f"{person.name} has left the game, so there is no new link to send." in (
        html.unescape(response.text)
    )
    assert mails_since(app, mark) == []


def test_resending_an_invitation_issues_a_new_link_and_kills_the_old_one(app, client):
    world = build(app)
    person = world.people[list(world.people)[1]]
    before = cycle(app, world.id)
    old_session = participant_client(app, person)
    login(client)
    mark = mail_mark(app)

    response = client.post(
        f"/games/{world.id}/participants/{person.id}",
        data={"name": person.name, "email": person.email},
    )

    assert response.status_code == 302
    assert any("old link no longer works" in f for f in flashes(client))
    with app.app_context():
        assert db.session.get(Participant, person.id).link_version == person.link_version + 1
    old = open_as_participant(app.test_client(), app, person)
    assert old.status_code == 404 and BAD_LINK in old.text
    assert old_session.get("/me").status_code == 404
    (mail,) = mails_since(app, mark)
    assert (mail.kind, mail.pid, mail.to) == ("invitation", person.id, person.email)
    fresh = app.test_client()
    assert follow_link(fresh, link_in(mail.body)).status_code == 302
    assert person.name in fresh.get("/me").text
    assert cycle(app, world.id) == before


# A new address after the draw --------------------------------------------------------------


def test_a_new_address_gets_a_new_place_in_the_circle(app, client):
    """Whoever reads the new address learns a new mortal, not the old one; the old address is
    told without a link; the angels whose mortal changed are told, naming nobody."""
    world = build(app)
    ids = list(world.people)
    person = world.people[ids[1]]
    before = cycle(app, world.id)
    old_session = participant_client(app, person)
    login(client)
    mark = mail_mark(app)

    response = client.post(
        f"/games/{world.id}/participants/{person.id}",
        data={"name": person.name, "email": "fran@example.org"},
    )

    assert response.status_code == 302
    after = cycle(app, world.id)
    assert is_valid_cycle(after, ids, ())
    assert after[person.id] != before[person.id]
    changed = changed_angels(before, after) - {person.id}
    assert changed
    mails = mails_since(app, mark)
    assert recipients(mails, "mortal-changed") == sorted(changed)
    for told in (m for m in mails if m.kind == "mortal-changed"):
        assert_names_nobody(told.body, world)
    (moved,) = [m for m in mails if m.kind == "address-changed"]
    assert (moved.pid, moved.to) == (person.id, person.email)
    assert "/p/" not in moved.body and "fran@example.org" in moved.body
    (invitation,) = [m for m in mails if m.kind == "invitation"]
    assert (invitation.pid, invitation.to) == (person.id, "fran@example.org")
    assert_names_nobody(invitation.body, world)
    assert len(mails) == len(changed) + 2

    assert open_as_participant(app.test_client(), app, person).status_code == 404
    assert old_session.get("/me").status_code == 404
    reader = app.test_client()
    assert follow_link(reader, link_in(invitation.body)).status_code == 302
    page = reader.get("/me").text
    assert "Your address was changed on" in page
    assert world.people[after[person.id]].name in page
    with app.app_context():
        assert db.session.get(Participant, person.id).address_changed_at is not None


def test_resending_to_the_same_address_keeps_the_circle(app, client):
    """Same address (whatever its capitals): a fresh link, the same mortal, nobody else told,
    and the page does not say the address changed."""
    world = build(app)
    person = world.people[list(world.people)[2]]
    before = cycle(app, world.id)
    login(client)
    mark = mail_mark(app)
    response = client.post(
        f"/games/{world.id}/participants/{person.id}",
        data={"name": person.name, "email": person.email.upper()},
    )
    assert response.status_code == 302
    assert cycle(app, world.id) == before
    (mail,) = mails_since(app, mark)
    assert mail.kind == "invitation"
    reader = app.test_client()
    assert follow_link(reader, link_in(mail.body)).status_code == 302
    assert "Your address was changed" not in reader.get("/me").text


@contextmanager
def separate_app():
    """An app with a database of its own, so two worlds get the same ids and pages."""
    directory = tempfile.mkdtemp()
    app = fresh_app(directory)
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        shutil.rmtree(directory, ignore_errors=True)


def _game_with_circle(app: Flask, exclusions, order: list[int] | None) -> SimpleNamespace:
    """Five people with these two-way exclusions (pairs of indexes) and, when given, this
    circle (indexes in circle order) in place of the drawn one."""
    with app.app_context():
        game = make_game(make_facilitator(), PEOPLE[:5])
        people = participants_of(game)
        for i, j in exclusions:
            setup.add_exclusion(game, people[i], people[j], True)
        draw_names(game, random.Random(1))
        if order is not None:
            db.session.execute(delete(Pairing).where(Pairing.game_id == game.id))
            db.session.execute(
                insert(Pairing),
                [
                    {
                        "game_id": game.id,
                        "angel_id": people[i].id,
                        "mortal_id": people[order[(k + 1) % len(order)]].id,
                    }
                    for k, i in enumerate(order)
                ],
            )
            db.session.commit()
        return SimpleNamespace(id=game.id, people=[_person(p) for p in people])


def _facilitator_sees(app: Flask, world, post: str, data=None) -> list:
    """Everything the facilitator sees of one action: the answer, the page it leads to, the
    game page and the dashboard."""
    client = app.test_client()
    login(client)
    response = client.post(post, data=data or {})
    seen = [response.status_code, response.location]
    if response.location:
        seen.append(without_csrf(client.get(response.location).text))
    else:
        seen.append(without_csrf(response.text))
    seen.append(without_csrf(client.get(f"/games/{world.id}").text))
    seen.append(without_csrf(client.get(f"/games/{world.id}/dashboard").text))
    return seen


def _circles(n: int, exclusions) -> list[list[int]]:
    """Every circle through 0..n-1 that keeps these two-way exclusions, as orders from 0."""
    banned = {frozenset(pair) for pair in exclusions}
    found = []
    for rest in permutations(range(1, n)):
        order = [0, *rest]
        if all(frozenset((order[k], order[(k + 1) % n])) not in banned for k in range(n)):
            found.append(order)
    return found


@pytest.mark.parametrize(
    ("exclusions", "leaver", "outcome"),
    [([(1, 2)], 0, "leaves"), ([(1, 2), (1, 3)], 0, "refused")],
)
def test_what_the_facilitator_sees_of_a_leave_does_not_depend_on_the_pairing(
    exclusions, leaver, outcome
):
    """Two or more games that differ only in their circle: the leave is accepted or refused
    alike, and every page the facilitator sees is byte for byte the same (in some of these
    circles a three-link change fits, in others the circle is drawn again)."""
    circles = _circles(5, exclusions)
    local = [
        order
        for order in circles
        if leave_outcomes(cycle_of_order(order), leaver, _arcs_of(exclusions))
    ]
    redrawn = [order for order in circles if order not in local]
    chosen = (local[:2] + redrawn[:2]) if outcome == "leaves" else circles[:3]
    assert len(chosen) >= 3
    if outcome == "leaves":
        assert local and redrawn
    seen = []
    for order in chosen:
        with separate_app() as app:
            world = _game_with_circle(app, exclusions, order)
            target = world.people[leaver]
            withdraw = f"/games/{world.id}/participants/{target.id}/withdraw"
            seen.append(_facilitator_sees(app, world, withdraw))
            still_there = target.id in active_ids(app, world.id)
            assert still_there == (outcome == "refused")
            if outcome == "leaves":
                remaining = [p.id for p in world.people if p.id != target.id]
                assert is_valid_cycle(cycle(app, world.id), remaining, ())
    assert all(s == seen[0] for s in seen[1:])
    flash_page = seen[0][2]
    if outcome == "refused":
        assert "cannot leave" in html.unescape(flash_page)
        assert not [p for p, _ in PEOPLE[1:5] if f"{p} cannot" in flash_page]
    else:
        assert "has left the game" in flash_page


def test_an_address_change_answers_the_same_whether_or_not_the_page_was_opened():
    """Refusing to move an opened page's address told the facilitator who had opened theirs;
    now the answer and every page after it are the same."""
    seen = []
    for opened in (False, True):
        with separate_app() as app:
            world = _game_with_circle(app, [], None)
            person = world.people[2]
            if opened:
                participant_client(app, person)
            seen.append(
                _facilitator_sees(
                    app,
                    world,
                    f"/games/{world.id}/participants/{person.id}",
                    {"name": person.name, "email": "fran@example.org"},
                )[:3]
            )
            with app.app_context():
                moved = db.session.get(Participant, person.id)
                assert moved.email == "fran@example.org" and moved.address_changed_at
    assert seen[0] == seen[1]
    assert seen[0][0] == 302 and "new invitation is on its way" in seen[0][2]


def cycle_of_order(order: list[int]) -> dict[int, int]:
    return {a: order[(k + 1) % len(order)] for k, a in enumerate(order)}


def _arcs_of(exclusions) -> set[tuple[int, int]]:
    return {arc for i, j in exclusions for arc in ((i, j), (j, i))}


# Property: random roster changes -----------------------------------------------------------

STEPS = st.one_of(
    st.tuples(st.just("join"), st.integers(1, 2)),
    st.tuples(st.just("withdraw"), st.integers(0, 10**6)),
    st.tuples(st.just("leave"), st.integers(0, 10**6)),
    st.tuples(st.just("note"), st.integers(0, 10**6)),
    st.tuples(st.just("tick"), st.integers(1, 40)),
)


def _forbidden(game_id: int) -> set[tuple[int, int]]:
    arcs = set()
    for row in db.session.execute(select(Exclusion).where(Exclusion.game_id == game_id)).scalars():
        arcs.add((row.angel_id, row.mortal_id))
        if row.both_ways:
            arcs.add((row.mortal_id, row.angel_id))
    return arcs


def _setup(app: Flask, exclusions, seed: int) -> tuple[int, set[tuple[int, int]]]:
    with app.app_context():
        game = make_game(make_facilitator(), 6)
        people = participants_of(game)
        for i, j, both in exclusions:
            if i != j:
                try:
                    setup.add_exclusion(game, people[i], people[j], both)
                except ServiceError:
                    pass
        try:
            draw_names(game, random.Random(seed))
        except ServiceError:
            reject()
        return game.id, _forbidden(game.id)


def _check(app: Flask, game_id: int, forbidden, before, mark) -> dict[int, int]:
    """The invariants after one step; returns the circle now."""
    with app.app_context():
        rows = {p.id: p.active for p in participants_of(db.session.get(Game, game_id))}
        after = pairings_of(db.session.get(Game, game_id))
        emailed = set(
            db.session.execute(
                select(OutboxMessage.participant_id).where(
                    OutboxMessage.id > mark,
                    OutboxMessage.kind.in_(("invitation", "mortal-changed")),
                )
            ).scalars()
        )
    active = [p for p, is_active in rows.items() if is_active]
    inactive = {p for p, is_active in rows.items() if not is_active}
    assert not inactive & (set(after) | set(after.values()))
    assert {a: m for a, m in after.items() if a in active} == after
    assert is_valid_cycle(after, active, forbidden)
    assert forbidden.isdisjoint(after.items())
    expected = {a for a, m in after.items() if before.get(a) != m}
    assert emailed == expected
    return after


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    exclusions=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.booleans()), max_size=4),
    steps=st.lists(STEPS, min_size=1, max_size=8),
    seed=st.integers(0, 2**32),
)
def test_random_roster_changes_keep_one_circle_and_tell_only_the_affected(
    app, exclusions, steps, seed
):
    with emptied(app):
        game_id, forbidden = _setup(app, exclusions, seed)
        rng = random.Random(seed)
        now = utcnow()
        facilitator = app.test_client()
        login(facilitator)
        newcomers = 0
        circle = cycle(app, game_id)
        for action, arg in steps:
            mark = mail_mark(app)
            active = sorted(active_ids(app, game_id))
            if action == "join":
                lines = []
                for _ in range(arg):
                    newcomers += 1
                    lines.append(f"Newcomer {newcomers} <newcomer{newcomers}@example.org>")
                response = facilitator.post(
                    f"/games/{game_id}/late-joiners", data={"lines": "\n".join(lines)}
                )
                assert response.status_code == 302
            elif action == "withdraw":
                leaver = active[arg % len(active)]
                response = facilitator.post(f"/games/{game_id}/participants/{leaver}/withdraw")
                assert response.status_code == 302
            elif action == "leave":
                leaver = active[arg % len(active)]
                with app.app_context():
                    person = _person(db.session.get(Participant, leaver))
                client = participant_client(app, person)
                response = client.post("/me/leave")
                assert response.status_code in (200, 302)
            elif action == "note":
                with app.app_context():
                    angel = db.session.get(Participant, active[arg % len(active)])
                    try:
                        notes.send_note(angel, "A little note", now=now, rng=rng)
                    except ServiceError:
                        pass
            else:
                now += timedelta(hours=arg)
                with app.app_context():
                    periodic.tick(now, rng)
            circle = _check(app, game_id, forbidden, circle, mark)
