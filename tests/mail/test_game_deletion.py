"""Deleting a game: each journal goes to its owner alone, queued (never sent by the request),
survives the game's rows, and leaves nothing behind once sent."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.mail.outbox import send_due
from app.models import Game, GameTombstone, JournalEntry, OutboxMessage, Participant
from app.services import ending
from tests.helpers import make_world

PEOPLE = [
    ("Ada Lovelace", "ada@example.org"),
    ("Bea Quinn", "bea@example.net"),
    ("Zoë Müller", "zoe@example.com"),
    ("Grace O'Brien", "grace@example.org"),
    ("Tomás Ortega", "tomas@school.example"),
]


def _journal(world, pid, text):
    client = world.client(pid)
    assert client.post("/me/journal/value", data={"value-value": "Patience"}).status_code == 302
    response = client.post(
        "/me/journal", data={"entry-day": "2026-12-03", "entry-did": text, "entry-felt": ""}
    )
    assert response.status_code == 302, response.text


def _end_and_delete_through_the_page(app, world, smtp):
    with app.app_context():
        ending.end_game(db.session.get(Game, world.game_id))
    send_due_in(app)
    smtp.inbox.messages.clear()
    response = world.fac.post(
        f"/games/{world.game_id}/delete",
        data={"name": world.game_name},
    )
    assert response.status_code == 302, response.text


def send_due_in(app):
    with app.app_context():
        return send_due()


def test_each_journal_goes_to_its_owner_alone_and_nothing_is_sent_by_the_request(app, smtp):
    world = make_world(app, PEOPLE)
    writer, other = world.ids[0], world.ids[2]
    _journal(world, writer, "Left a plant on a desk")
    _journal(world, other, "Smiled at the bus driver")
    _end_and_delete_through_the_page(app, world, smtp)
    # The request only queued: no SMTP conversation happened during it.
    assert smtp.inbox.messages == []
    with app.app_context():
        assert db.session.execute(select(func.count(Participant.id))).scalar_one() == 0
        assert db.session.execute(select(func.count(JournalEntry.id))).scalar_one() == 0
        queued = (
            db.session.execute(
                select(OutboxMessage).where(OutboxMessage.kind == "journal-before-deletion")
            )
            .scalars()
            .all()
        )
        assert sorted(m.to_addr for m in queued) == sorted(
            [world.email(writer), world.email(other)]
        )
    assert send_due_in(app).sent == 2
    for pid, own, theirs in (
        (writer, "Left a plant on a desk", "Smiled at the bus driver"),
        (other, "Smiled at the bus driver", "Left a plant on a desk"),
    ):
        (received,) = smtp.inbox.to(world.email(pid))
        assert received.rcpt_tos == [world.email(pid)]
        attachments = list(received.message.iter_attachments())
        assert len(attachments) == 1
        body = attachments[0].get_content()
        assert own in body and theirs not in body
        assert "deleted by its organiser" in received.message.get_body(("plain",)).get_content()
    # Nobody without a journal is written to.
    for pid in world.others(writer, other):
        assert smtp.inbox.to(world.email(pid)) == []
    with app.app_context():
        rows = (
            db.session.execute(
                select(OutboxMessage).where(OutboxMessage.kind == "journal-before-deletion")
            )
            .scalars()
            .all()
        )
        for row in rows:
            assert row.status == "sent"
            assert (row.body_text, row.body_html, row.attachment_text) == ("", "", None)
            assert row.to_addr == "" and row.subject == ""


def test_the_tombstone_keeps_nothing_personal(app, smtp):
    world = make_world(app, PEOPLE)
    _journal(world, world.ids[1], "Wrote a poem")
    _end_and_delete_through_the_page(app, world, smtp)
    with app.app_context():
        stones = db.session.execute(select(GameTombstone)).scalars().all()
        # One per opaque id a link of the game carried: each participant's and the game's.
        assert len(stones) == len(PEOPLE) + 1
        stored = " ".join(f"{s.id_hash} {s.deleted_at}" for s in stones)
    for name, email in PEOPLE:
        assert name not in stored and email not in stored
    assert world.game_name not in stored and "poem" not in stored
