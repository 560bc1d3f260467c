"""Everything a participant learns after someone acts reaches them in a later delivery round,
on their pages and by email, never at the moment of the act (a real SMTP server receives it).

Property: over random games and random sequences of acts (in-person kindnesses with and without
a drop-off point, declines, thanks, warnings, mutes, lost links), every message an act causes
is released at a moment of a round at least the minimum delay later, the page shows the same
thing only from that moment, and the mail server receives nothing of it before then.
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, datetime, timedelta

import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.domain import release
from app.extensions import db
from app.mail.outbox import send_due
from app.models import (
    CourierRequest,
    DropOffPoint,
    Game,
    Kindness,
    LinkRequest,
    OutboxMessage,
    Pairing,
    Participant,
    Report,
    Thanks,
    utcnow,
)
from app.services import ServiceError, couriers, links, moderation, notes, responses, setup
from app.services import inbox as inbox_service
from app.services.rounds import schedule_of
from tests.helpers import (
    fresh_app,
    make_running_game,
    participants_of,
    quick_facilitator,
)
from tests.mail.smtp_support import SmtpServer, free_port

ACTS = ["in_person", "in_person_left", "decline", "thanks", "warn", "mute", "lost_link"]


def _in_a_round(moment: datetime, game: Game) -> bool:
    """Whether a naive-UTC moment falls inside one of the game's delivery rounds."""
    schedule = schedule_of(game)
    day = moment.replace(tzinfo=UTC).astimezone(schedule.tz()).date() - timedelta(days=1)
    for opening in release.delivery.rounds_from(schedule, day):
        if opening.start > moment:
            return False
        if moment < opening.start + schedule.window:
            return True
    return False


def _act(act: str, game: Game, people: list[Participant], rng: random.Random) -> None:
    """Carry out one act as the service does for a request, at the real clock (an act the
    service refuses, such as a muted angel's kindness, changes nothing)."""
    try:
        _try(act, game, people, rng)
    except ServiceError:
        db.session.rollback()


def _try(act: str, game: Game, people: list[Participant], rng: random.Random) -> None:
    mortal_of = dict(db.session.execute(select(Pairing.angel_id, Pairing.mortal_id)).all())
    angel = rng.choice(people)
    if act in ("in_person", "in_person_left"):
        point = db.session.execute(select(DropOffPoint.id)).scalar_one()
        item = notes.request_in_person(
            angel,
            "Leave a biscuit",
            "",
            drop_off_id=point if act == "in_person_left" else None,
            rng=rng,
        )
        if act == "in_person_left":
            notes.mark_left(angel, item.public_id, rng=rng)
    elif act == "decline":
        offer = db.session.execute(
            select(CourierRequest)
            .where(CourierRequest.state == "offered")
            .order_by(CourierRequest.id)
            .limit(1)
        ).scalar_one_or_none()
        if offer is not None:
            courier = db.session.get(Participant, offer.courier_id)
            # The courier answers once the offer has reached them.
            with time_machine.travel(offer.released_at.replace(tzinfo=UTC), tick=False):
                couriers.decline(courier, offer.public_id, rng=rng)
    elif act == "thanks":
        note = db.session.execute(
            select(Kindness)
            .outerjoin(Thanks, Thanks.kindness_id == Kindness.id)
            .where(Kindness.state == "delivered", Thanks.id.is_(None))
            .order_by(Kindness.id)
            .limit(1)
        ).scalar_one_or_none()
        if note is not None:
            mortal = db.session.get(Participant, note.mortal_id)
            responses.thank(mortal, note.public_id, "Thank you!", rng=rng)
    elif act in ("warn", "mute"):
        note = db.session.execute(
            select(Kindness).where(Kindness.state == "delivered").order_by(Kindness.id)
        ).first()
        if note is not None:
            note = note[0]
            report = Report(
                game_id=game.id,
                kindness_id=note.id,
                reporter_id=mortal_of[note.angel_id],
                reason="Unkind",
            )
            db.session.add(report)
            db.session.commit()
            moderation.act(game, report.id, act, "Please be kind.")
    else:
        links.ask_for_fresh_link(angel.email)
        links.answer_link_requests()


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    size=st.integers(5, 7),
    acts=st.lists(st.sampled_from(ACTS), min_size=3, max_size=8),
    seed=st.integers(0, 2**32 - 1),
    zone=st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kathmandu"]),
)
def test_no_participant_learns_anything_before_its_release(size, acts, seed, zone):
    rng = random.Random(seed)
    port = free_port()
    server = SmtpServer(port)
    inbox = server.start()
    directory = tempfile.mkdtemp()
    app = fresh_app(directory, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False)
    try:
        with app.app_context():
            game = make_running_game(quick_facilitator(), size, seed=seed)
            game.timezone = zone
            setup.add_drop_off(game, "Shelf")
            people = participants_of(game)
            # A few notes delivered already, so that there is something to thank and report.
            for person in people[:3]:
                notes.send_note(person, "Hello!", now=utcnow() - timedelta(days=3), rng=rng)
            inbox_service.deliver_due(utcnow())
            send_due()  # everyone's invitation, sent at once at the draw
            already = len(inbox.messages)
            mark = db.session.execute(select(func.max(OutboxMessage.id))).scalar_one()
            start = utcnow()
            for act in acts:
                _act(act, game, people, rng)

            caused = list(
                db.session.execute(select(OutboxMessage).where(OutboxMessage.id > mark)).scalars()
            )
            for row in caused:
                assert release.waits_for_round(row.kind), row.kind
                assert row.next_attempt_at >= start + timedelta(minutes=30), row.kind
                assert _in_a_round(row.next_attempt_at, game), (row.kind, row.next_attempt_at)

            # Pages show what the mail tells, and only from the same moment.
            for offer in db.session.execute(select(CourierRequest)).scalars():
                courier = db.session.get(Participant, offer.courier_id)
                seen = {r.id for r, _, _ in couriers.courier_requests_of(courier, now=start)}
                assert offer.id not in seen
                if offer.state in ("offered", "accepted"):
                    later = couriers.courier_requests_of(courier, now=offer.released_at)
                    assert offer.id in {r.id for r, _, _ in later}
                    assert offer.expires_at == offer.released_at + timedelta(
                        hours=app.config["COURIER_ACCEPT_HOURS"]
                    )
            for thanks, angel_id in db.session.execute(
                select(Thanks, Kindness.angel_id).join(Kindness, Kindness.id == Thanks.kindness_id)
            ):
                angel = db.session.get(Participant, angel_id)
                shown = {s.kindness.id: s.thanks for s in notes.sent_by(angel, now=start)}
                assert shown[thanks.kindness_id] is None
                shown = {
                    s.kindness.id: s.thanks for s in notes.sent_by(angel, now=thanks.released_at)
                }
                assert shown[thanks.kindness_id] == "Thank you!"

            # The mail server hears of none of it before its release...
            report = send_due(now=start + timedelta(minutes=29))
            assert report.sent == 0
            assert len(inbox.messages) == already
            # ...and of each of it exactly once after.
            if caused:
                latest = max(row.next_attempt_at for row in caused)
                with time_machine.travel(latest.replace(tzinfo=UTC), tick=False):
                    send_due()
            ids = [str(m.message["Message-ID"]).strip() for m in inbox.messages[already:]]
            assert sorted(ids) == sorted(row.message_id for row in caused), [
                (r.kind, r.status, r.last_error) for r in caused
            ]
    finally:
        server.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_public_pages_only_queue_mail_so_their_timing_tells_nothing(app, hanging_server):
    """ "I lost my link" and self-join talk no SMTP inside the request, even with a mail
    server that never answers: a known address answers as fast as an unknown one, with the
    same page, and the fresh link waits in the outbox for its round."""
    with app.app_context():
        game = make_running_game(quick_facilitator(), 5)
        game.allow_self_join = True
        db.session.commit()
        known = participants_of(game)[0].email
        join_path = f"/g/{game.public_id}"
    client = app.test_client()
    timings = {}
    pages = {}
    for label, address in (("known", known), ("unknown", "nobody.here@example.org")):
        started = time.monotonic()
        response = client.post("/lost-link", data={"email": address}, follow_redirects=True)
        timings[label] = time.monotonic() - started
        assert response.status_code == 200
        pages[label] = response.text
    assert not hanging_server.accepted, "a public page talked to the mail server"
    # Talking to the silent server would take the whole MAIL_TIMEOUT (10 s).
    assert max(timings.values()) < 5.0, timings
    assert pages["known"].replace(known, "X") == pages["unknown"].replace(
        "nobody.here@example.org", "X"
    )
    with app.app_context():
        assert db.session.execute(select(func.count(LinkRequest.id))).scalar_one() == 2
        assert links.answer_link_requests() == 2  # the periodic work, not the page
        (row,) = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "fresh-link")
        ).scalars()
        assert row.status == "queued" and row.next_attempt_at > utcnow() + timedelta(minutes=29)
    joined = client.post(
        join_path + "/join", data={"name": "Late Comer", "email": "late@example.org"}
    )
    assert joined.status_code in (200, 302)
    assert not hanging_server.accepted
