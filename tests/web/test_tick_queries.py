"""The periodic tick's cost follows its work: the number of SQL statements one tick runs does
not grow with the number of notes it delivers or courier offers it re-routes."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import event, func, insert, select

from app.extensions import db
from app.models import CourierRequest, Kindness, OutboxMessage, Participant, new_public_id
from app.services import periodic
from tests.helpers import make_facilitator, make_running_game, participants_of

# A moment inside the test games' dates (they start on 2026-12-01).
NOW = datetime(2026, 12, 3, 12, 0)


def _due_work(game_id: int, pids: list[int], notes: int, offers: int, gen: random.Random):
    """`notes` notes due now and `offers` courier offers that expired an hour ago."""
    rows = []
    for i in range(notes + offers):
        angel, mortal = gen.sample(pids, 2)
        note = i < notes
        rows.append(
            {
                "public_id": new_public_id(),
                "game_id": game_id,
                "angel_id": angel,
                "mortal_id": mortal,
                "kind": "note" if note else "in_person",
                "message": "Have a lovely day",
                "state": "scheduled" if note else "routing",
                "deliver_at": NOW - timedelta(minutes=1) if note else None,
                "created_at": NOW - timedelta(days=1),
            }
        )
    ids = db.session.execute(insert(Kindness).returning(Kindness.id, sort_by_parameter_order=True), rows).scalars().all()
    in_person = [(kid, row) for kid, row in zip(ids, rows, strict=True) if row["kind"] != "note"]
    if in_person:
        db.session.execute(
            insert(CourierRequest),
            [
                {
                    "public_id": new_public_id(),
                    "kindness_id": kid,
                    "courier_id": next(p for p in pids if p != row["mortal_id"]),
                    "state": "offered",
                    "offered_at": NOW - timedelta(days=1),
                    "released_at": NOW - timedelta(days=1),
                    "expires_at": NOW - timedelta(hours=1),
                }
                for kid, row in in_person
            ],
        )
    db.session.commit()


def _counted_tick(app: Flask, now: datetime) -> tuple[int, periodic.TickReport]:
    """Run one tick at `now`; the statements it sent to the database, and its report."""
    count = 0

    def counter(*_args):
        nonlocal count
        count += 1

    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", counter)
        try:
            report = periodic.tick(now, random.Random(7))
        finally:
            event.remove(engine, "before_cursor_execute", counter)
    return count, report


def test_a_ticks_queries_do_not_grow_with_the_notes_and_offers_it_handles(app):
    gen = random.Random(11)
    with app.app_context():
        game = make_running_game(make_facilitator(), 40)
        game_id, pids = game.id, [p.id for p in participants_of(game)]
        _due_work(game_id, pids, notes=10, offers=5, gen=gen)
    small, small_report = _counted_tick(app, NOW)
    with app.app_context():
        _due_work(game_id, pids, notes=200, offers=50, gen=gen)
    large, large_report = _counted_tick(app, NOW)

    assert (small_report.delivered, small_report.rerouted) == (10, 5)
    assert (large_report.delivered, large_report.rerouted) == (200, 50)
    assert large <= small + 3, (small, large)
    with app.app_context():
        # The work was really done: every offer went to a new courier, each with an email.
        assert (
            db.session.execute(
                select(func.count()).where(CourierRequest.state == "offered")
            ).scalar_one()
            == 55
        )
        assert (
            db.session.execute(
                select(func.count()).where(OutboxMessage.kind == "courier-request")
            ).scalar_one()
            == 55
        )
        assert (
            db.session.execute(
                select(func.count()).where(OutboxMessage.kind == "kindness-arrived")
            ).scalar_one()
            > 0
        )


def test_offers_rerouted_together_spread_the_load_as_one_at_a_time_would(app):
    """Twenty offers re-routed in one tick: each new courier is neither the mortal, nor anyone
    asked before, nor someone who opted out; and since each pick counts towards the next, no
    one ends up with more than COURIER_MAX_OPEN while others have room."""
    cap = app.config["COURIER_MAX_OPEN"]
    with app.app_context():
        game = make_running_game(make_facilitator(), 10)
        people = participants_of(game)
        opted_out = people[-1].id
        db.session.get(Participant, opted_out).courier_opt_out = True
        db.session.commit()
        pids = [p.id for p in people]
        _due_work(game.id, pids, notes=0, offers=20, gen=random.Random(3))
        assert 20 <= cap * (len(pids) - 1)
    _, report = _counted_tick(app, NOW)
    assert report.rerouted == 20
    with app.app_context():
        rows = db.session.execute(
            select(CourierRequest.kindness_id, CourierRequest.courier_id, CourierRequest.state)
        ).all()
        mortal = dict(db.session.execute(select(Kindness.id, Kindness.mortal_id)).all())
    before = {kid: cid for kid, cid, state in rows if state == "expired"}
    after = {kid: cid for kid, cid, state in rows if state == "offered"}
    assert set(after) == set(before) and len(after) == 20
    for kid, courier in after.items():
        assert courier not in (mortal[kid], before[kid], opted_out)
    loads = {pid: list(after.values()).count(pid) for pid in pids}
    assert max(loads.values()) <= cap, loads
