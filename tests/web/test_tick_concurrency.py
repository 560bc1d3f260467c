"""Two copies of the periodic work at once: every note delivered once, every offer moved once."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import CourierRequest, Kindness, OutboxMessage, Participant, utcnow
from app.services import notes, periodic
from tests.helpers import make_facilitator, make_running_game, participants_of


def test_two_ticks_at_once_deliver_and_reroute_exactly_once(app):
    start = utcnow()
    with app.app_context():
        game = make_running_game(make_facilitator(), 8)
        people = participants_of(game)
        for i, angel in enumerate(people):
            for j in range(3):
                notes.send_note(angel, f"note {i}-{j}", now=start, rng=random.Random(i * 10 + j))
            notes.request_in_person(angel, f"errand {i}", "", now=start, rng=random.Random(i))
        ids = [p.id for p in people]
    later = start + timedelta(days=2)
    barrier = threading.Barrier(2)
    reports = []

    def run():
        with app.app_context():
            barrier.wait()
            reports.append(periodic.tick(later, random.Random()))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.delivered for r in reports) == 24
    assert sum(r.rerouted for r in reports) == 8
    with app.app_context():
        states = dict(
            db.session.execute(
                select(Kindness.kind, func.count())
                .where(Kindness.state == "delivered")
                .group_by(Kindness.kind)
            ).all()
        )
        assert states == {"note": 24}
        # Each in-person kindness: exactly one expired offer and exactly one open offer.
        per_kindness = db.session.execute(
            select(CourierRequest.kindness_id, CourierRequest.state, func.count()).group_by(
                CourierRequest.kindness_id, CourierRequest.state
            )
        ).all()
        assert sorted({(s, n) for _, s, n in per_kindness}) == [("expired", 1), ("offered", 1)]
        # One "kindness arrived" email per mortal per delivery run, never a duplicate.
        arrived = db.session.execute(
            select(OutboxMessage.participant_id, func.count())
            .where(OutboxMessage.kind == "kindness-arrived")
            .group_by(OutboxMessage.participant_id)
        ).all()
        assert {pid for pid, _ in arrived} == set(ids)
        assert all(n <= 2 for _, n in arrived)
        assert db.session.execute(select(func.count(Participant.id))).scalar_one() == 8
