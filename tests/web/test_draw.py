"""The draw through the web: once, one cycle, clear refusals, races settled by the database."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from app.extensions import db
from app.models import Exclusion, Game, OutboxMessage, Pairing
from app.services import draw as draw_service
from tests.helpers import (
    login,
    make_facilitator,
    make_game,
    make_running_game,
    pairings_of,
    participants_of,
)


def _single_cycle(pairs: dict[int, int], people: list[int]) -> bool:
    start, seen, here = people[0], set(), people[0]
    while here not in seen:
        seen.add(here)
        here = pairs[here]
    return here == start and seen == set(people) and len(pairs) == len(people)


def test_draw_makes_one_cycle_and_queues_one_invitation_each(client, app):
    with app.app_context():
        game = make_game(make_facilitator(), 7)
        game_id = game.id
    login(client)
    response = client.post(f"/games/{game_id}/draw")
    assert response.status_code == 302
    page = client.get(response.location)
    assert "7 invitations are on their way" in page.text
    assert page.text.count("Queued") == 7
    with app.app_context():
        game = db.session.get(Game, game_id)
        people = [p.id for p in participants_of(game)]
        assert game.state == "running" and game.drawn_at is not None
        assert _single_cycle(pairings_of(game), people)
        recipients = (
            db.session.execute(
                select(OutboxMessage.participant_id).where(OutboxMessage.kind == "invitation")
            )
            .scalars()
            .all()
        )
        assert sorted(recipients) == sorted(people)


def test_second_draw_is_refused_and_changes_nothing(client, app):
    with app.app_context():
        game = make_running_game(make_facilitator(), 5)
        game_id, before = game.id, pairings_of(game)
    login(client)
    again = client.post(f"/games/{game_id}/draw")
    assert again.status_code == 409
    assert "already been drawn" in again.text
    with app.app_context():
        assert pairings_of(db.session.get(Game, game_id)) == before
        assert db.session.execute(select(func.count(OutboxMessage.id))).scalar_one() == 5


def test_impossible_exclusions_explain_and_keep_the_draft(client, app):
    with app.app_context():
        game = make_game(
            make_facilitator(),
            [("Ann", "ann@example.org"), ("Ben", "ben@example.org"), ("Cy", "cy@example.org")],
        )
        ann, ben, _ = participants_of(game)
        db.session.add(
            Exclusion(game_id=game.id, angel_id=ann.id, mortal_id=ben.id, both_ways=True)
        )
        db.session.commit()
        game_id = game.id
    login(client)
    response = client.post(f"/games/{game_id}/draw")
    assert response.status_code == 409
    assert "Traceback" not in response.text
    message = response.text.split('flash-error" role="alert">', 1)[1].split("</p>", 1)[0]
    assert message.strip()
    with app.app_context():
        assert db.session.get(Game, game_id).state == "draft"
        assert db.session.execute(select(Pairing)).first() is None
        assert db.session.execute(select(OutboxMessage)).first() is None


def test_fewer_than_three_cannot_draw(client, app):
    with app.app_context():
        game_id = make_game(make_facilitator(), 2).id
    login(client)
    page = client.get(f"/games/{game_id}")
    assert "At least 3 people are needed" in page.text
    response = client.post(f"/games/{game_id}/draw")
    assert response.status_code == 409 and "3" in response.text
    with app.app_context():
        assert db.session.get(Game, game_id).state == "draft"


def test_no_one_gets_an_earlier_mortal_when_asked(app):
    people = [(f"P{i}", f"p{i}@example.org") for i in range(6)]
    with app.app_context():
        for seed in range(8):
            fran = make_facilitator(email=f"fran{seed}@example.org")
            first = make_running_game(fran, people, seed=seed, name="First")
            first.state = "ended"
            db.session.commit()
            second = make_running_game(
                fran, people, seed=seed + 100, name="Second", avoid_repeat_mortals=True
            )
            assert not set(_by_email(first).items()) & set(_by_email(second).items())


def test_earlier_mortals_that_leave_no_room_are_a_wish_not_a_refusal(client, app):
    """Three people have two possible cycles; two ended games used both. Avoiding their
    mortals is then impossible, and the draw goes ahead without that wish: a refusal would
    tell the facilitator something about earlier pairings."""
    people = [("Ann", "ann@example.org"), ("Ben", "ben@example.org"), ("Cy", "cy@example.org")]
    with app.app_context():
        fran = make_facilitator()
        for seed, name in ((1, "First"), (2, "Second")):
            done = make_running_game(fran, people, seed=seed, name=name, avoid_repeat_mortals=True)
            done.state = "ended"
        db.session.commit()
        third = make_game(fran, people, name="Third", avoid_repeat_mortals=True)
        third_id = third.id
    login(client)
    response = client.post(f"/games/{third_id}/draw")
    assert response.status_code == 302
    page = client.get(response.location)
    assert "3 invitations are on their way" in page.text
    assert "flash-error" not in page.text
    with app.app_context():
        assert db.session.get(Game, third_id).state == "running"


def test_running_games_are_not_earlier_games(app):
    """Only ended games count as earlier ones: a running game's pairing is the live secret."""
    people = [(f"P{i}", f"p{i}@example.org") for i in range(5)]
    with app.app_context():
        fran = make_facilitator()
        running = make_running_game(fran, people, seed=3, name="Running")
        draft = make_game(fran, people, name="Next", avoid_repeat_mortals=True)
        assert draw_service.earlier_arcs(draft) == set()
        running.state = "ended"
        db.session.commit()
        emails = {p.id: p.email for p in participants_of(draft)}
        mapped = {(emails[a], emails[m]) for a, m in draw_service.earlier_arcs(draft)}
        assert mapped == set(_by_email(running).items())


def _by_email(game):
    emails = {p.id: p.email for p in participants_of(game)}
    return {emails[a]: emails[m] for a, m in pairings_of(game).items()}


def test_racing_draws_produce_exactly_one(app):
    """Two browsers press Draw at the same moment on a file database: one draw, no errors."""
    with app.app_context():
        game_id = make_game(make_facilitator(), 30).id
    clients = [app.test_client() for _ in range(4)]
    for c in clients:
        login(c)
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def press(c):
        barrier.wait()
        statuses.append(c.post(f"/games/{game_id}/draw").status_code)

    threads = [threading.Thread(target=press, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [302, 409, 409, 409]
    with app.app_context():
        game = db.session.get(Game, game_id)
        assert _single_cycle(pairings_of(game), [p.id for p in participants_of(game)])
        assert db.session.execute(select(func.count(OutboxMessage.id))).scalar_one() == 30


def test_invitations_are_queued_in_roster_order_not_cycle_order(app):
    """Mail sent in cycle order would let people comparing arrival times rebuild the circle."""
    with app.app_context():
        make_running_game(make_facilitator(), 12, seed=5)
        order = (
            db.session.execute(select(OutboxMessage.participant_id).order_by(OutboxMessage.id))
            .scalars()
            .all()
        )
        assert order == sorted(order)
