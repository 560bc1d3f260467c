"""The end of a game: guesses and staying secret beforehand, ending (kindnesses stop, scheduled
notes arrive, courier requests close, everyone is told, the reveal if chosen), the facilitator's
aggregate of guesses, and deleting an ended game with every trace of its people.
"""

from __future__ import annotations

import html
import random
import re
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, inspect, or_, select, text, tuple_

from app.extensions import db
from app.models import (
    AuditEntry,
    CourierRequest,
    Exclusion,
    Facilitator,
    Game,
    Kindness,
    OutboxMessage,
    Participant,
)
from app.services import (
    couriers,
    journal,
    moderation,
    notes,
    periodic,
    preferences,
    responses,
    setup,
)
from tests import helpers
from tests.helpers import (
    DISTINCT_PEOPLE,
    make_world,
    open_as_participant,
)

PEOPLE = DISTINCT_PEOPLE
OTHERS = [
    ("Fiona Grant", "fgrant@example.org"),
    ("Gideon Hart", "ghart@example.org"),
    ("Helena Ives", "hives@example.org"),
    ("Ignatius Jolley", "ijolley@example.org"),
]
PAGES = (
    "/me",
    "/me/angel",
    "/me/inbox",
    "/me/deliveries",
    "/me/hints",
    "/me/guess",
    "/me/rules",
    "/me/journal",
)
NOT_RUNNING = "This game is not running, so kindnesses cannot be sent now."


class World(helpers.World):
    """The shared World, with ending the game and everything a participant can read."""

    def end(self, name: str | None = None):
        return self.fac.post(
            f"/games/{self.game_id}/end", data={"name": self.game_name if name is None else name}
        )

    def pages_of(self, pid: int) -> str:
        """Everything this participant can read on the site, concatenated."""
        client = self.client(pid)
        pages = []
        for path in PAGES:
            response = client.get(path)
            assert response.status_code == 200, path
            pages.append(response.text)
        return "\n".join(pages)


def build(app: Flask, people=PEOPLE, seed: int = 1, name: str = "Kindness month") -> World:
    """A running game of these people, seen through this module's World."""
    return make_world(app, people, seed, name, world=World)


def participant(app: Flask, pid: int) -> SimpleNamespace:
    with app.app_context():
        p = db.session.get(Participant, pid)
        return SimpleNamespace(guess_id=p.guess_id, stay_secret=p.stay_secret, active=p.active)


def game_row(app: Flask, game_id: int) -> SimpleNamespace:
    with app.app_context():
        g = db.session.get(Game, game_id)
        return SimpleNamespace(state=g.state, ended_at=g.ended_at)


def ended_mails(app: Flask) -> list[SimpleNamespace]:
    with app.app_context():
        return [
            SimpleNamespace(
                to_addr=m.to_addr,
                participant_id=m.participant_id,
                subject=m.subject,
                body=m.subject + "\n" + m.body_text + "\n" + m.body_html,
                body_text=m.body_text,
            )
            for m in db.session.execute(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "game-ended")
                .order_by(OutboxMessage.id)
            ).scalars()
        ]


def page_at(world: World, pid: int, path: str, moment: datetime) -> str:
    """A participant's page as it is at a later moment (naive UTC), e.g. once something has
    been released to them. A client of its own: a session cookie signed in the future would
    not open anything back in the present."""
    with time_machine.travel(moment.replace(tzinfo=UTC), tick=False):
        client = world.app.test_client()
        assert open_as_participant(client, world.app, world.people[pid]).status_code == 302
        response = client.get(path)
    assert response.status_code == 200, path
    return response.text


def guess(world: World, pid: int, guess_id: int):
    return world.client(pid).post("/me/guess", data={"guess": str(guess_id)})


# --- guesses and staying secret --------------------------------------------------------------


def test_a_guess_is_another_active_participant_of_the_same_game(app):
    world = build(app)
    second = build(app, OTHERS, name="Other game")
    mortal = world.by_name("Aurora Finch")
    friend = world.by_name("Cressida Vance")
    leaver = world.by_name("Evangeline Pike")
    assert world.client(leaver).post("/me/leave").status_code == 200
    assert participant(app, leaver).active is False

    page = world.client(mortal).get("/me/guess").text
    options = re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]*)</option>', page)
    assert options[0] == ("0", "I&#39;d rather not guess")
    reader = world.client(mortal)
    reader.post("/me/language", data={"language": "fr"})
    assert ">Je préfère ne pas deviner</option>" in reader.get("/me/guess").text
    reader.post("/me/language", data={"language": "en"})
    active = {pid for pid in world.people if pid not in (mortal, leaver)}
    # One's own mortal, as one's page shows them, is left out: they cannot be one's angel.
    # While one's mortal is changing (the leave may have moved it), nobody is left out, so
    # the list gives no change away early.
    left_out = active - {int(v) for v, _ in options[1:]}
    assert {int(v) for v, _ in options[1:]} <= active and len(left_out) <= 1
    angel_page = world.client(mortal).get("/me/angel").text
    if left_out:
        assert world.people[left_out.pop()].name in angel_page
    else:
        assert "Your mortal is changing" in angel_page

    response = guess(world, mortal, friend)
    assert response.status_code == 302
    assert "Your guess is saved." in world.client(mortal).get("/me/guess").text
    assert participant(app, mortal).guess_id == friend

    for refused in (mortal, leaver, second.by_name("Gideon Hart"), 999_999):
        guess(world, mortal, refused)
        assert participant(app, mortal).guess_id == friend, refused

    assert guess(world, mortal, 0).status_code == 302
    assert participant(app, mortal).guess_id is None

    # Only active participants are told the game has ended.
    guess(world, mortal, friend)
    assert world.end().status_code == 302
    assert sorted(m.participant_id for m in ended_mails(app)) == sorted(active | {mortal})
    # After the end a guess can no longer change.
    response = world.client(mortal).post(
        "/me/guess", data={"guess": str(world.by_name("Desmond Yates"))}, follow_redirects=True
    )
    assert "Guesses can be made only while the game is running." in response.text
    assert participant(app, mortal).guess_id == friend
    # No delivery round comes after the end: nobody's home promises a new mortal "from the
    # next delivery round" (the leave above may have changed some).
    for pid in active | {mortal}:
        assert "from the next delivery round" not in world.client(pid).get("/me").text


def test_stay_secret_toggles(app):
    world = build(app)
    angel = world.by_name("Bartholomew Quill")
    mortal_name = world.people[world.mortal_of[angel]].name
    client = world.client(angel)
    assert participant(app, angel).stay_secret is False
    page = html.unescape(client.get("/me/guess").text)
    assert f"At the end, {mortal_name} will learn that you were their angel, unless" in page
    # The crowd rule is explained before the choice is made.
    assert "at least 3 angels stay secret together" in page
    assert page.index("at least 3 angels") < page.index("Stay secret, even at the reveal")

    response = client.post("/me/stay-secret", follow_redirects=True)
    assert "You will stay secret, even at the reveal." in response.text
    assert participant(app, angel).stay_secret is True
    assert f"You have chosen to stay unknown to {mortal_name}" in response.text

    response = client.post("/me/stay-secret", follow_redirects=True)
    assert "Your mortal will learn it was you" in response.text
    assert participant(app, angel).stay_secret is False
    # Nobody else's choice changed.
    assert not any(participant(app, pid).stay_secret for pid in world.people)


# --- ending ----------------------------------------------------------------------------------


def _end_section(page: str) -> str:
    match = re.search(
        r'<section class="card ended-note"[^>]*>\s*<h2[^>]*>This game has ended</h2>.*?</section>',
        page,
        re.S,
    )
    assert match
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(0)).split())


def test_ending_stops_kindnesses_delivers_notes_closes_requests_and_reveals(app):
    # A crowd of one, so that exactly the angel who chose it stays secret (the crowd rule has
    # its own tests in test_reveal_crowd.py).
    app.config["DASHBOARD_MIN_COUNT"] = 1
    world = build(app)
    a, b, c, d, e = (world.by_name(n) for n, _ in PEOPLE)
    angel = {pid: world.angel_of(pid) for pid in world.people}

    # A note still scheduled, an in-person kindness offered and one accepted by its courier
    # (once the offer has reached them, in a later round).
    response = world.client(a).post(
        "/me/angel/note", data={"message": "Waiting for the round", "when": "next"}
    )
    assert response.status_code == 302
    with app.app_context():
        offered = notes.request_in_person(
            db.session.get(Participant, b), "Leave a tulip", "", rng=random.Random(1)
        )
        accepted = notes.request_in_person(
            db.session.get(Participant, c), "Leave a biscuit", "", rng=random.Random(2)
        )
        accepted_request = db.session.execute(
            select(CourierRequest).where(CourierRequest.kindness_id == accepted.id)
        ).scalar_one()
        couriers.accept(
            db.session.get(Participant, accepted_request.courier_id),
            accepted_request.public_id,
            now=accepted_request.released_at,
        )
        unfinished_ids = {offered.id, accepted.id}
        accepted_courier = accepted_request.courier_id
        courier_sees = accepted_request.released_at
    deliveries = page_at(world, accepted_courier, "/me/deliveries", courier_sees)
    assert "Leave a biscuit" in deliveries

    # Guesses: a right, b wrong, c right (but c's angel stays secret); d and e don't guess.
    # Not b's own mortal either: the guess list leaves them out (they cannot be b's angel).
    wrong = next(p for p in world.people if p not in (b, angel[b]) and angel[p] != b)
    assert guess(world, a, angel[a]).status_code == 302
    assert guess(world, b, wrong).status_code == 302
    assert guess(world, c, angel[c]).status_code == 302
    assert world.client(angel[c]).post("/me/stay-secret").status_code == 302

    # The confirmation, and a wrong name refused.
    confirm = world.fac.get(f"/games/{world.game_id}/end")
    assert confirm.status_code == 200
    assert "End Kindness month?" in confirm.text
    assert "Everyone learns who their angel was" in confirm.text
    for wrong_name in ("", "kindness month", "Kindness"):
        refused = world.end(wrong_name)
        assert refused.status_code == 200, wrong_name
        assert game_row(app, world.game_id).state == "running"
    assert "That is not the game&#39;s name." in world.end("Kindness mont").text
    assert ended_mails(app) == []

    response = world.end()
    assert response.status_code == 302
    assert response.location.endswith(f"/games/{world.game_id}")
    ended = game_row(app, world.game_id)
    assert ended.state == "ended" and ended.ended_at is not None

    # Kindnesses stop.
    with app.app_context():
        count = db.session.execute(select(func.count(Kindness.id))).scalar_one()
    response = world.client(d).post("/me/angel/note", data={"message": "Too late", "when": "next"})
    assert response.status_code == 400 and NOT_RUNNING in response.text
    response = world.client(d).post(
        "/me/angel/in-person", data={"instruction": "Too late", "message": "", "drop_off": "0"}
    )
    assert NOT_RUNNING in response.text
    with app.app_context():
        assert db.session.execute(select(func.count(Kindness.id))).scalar_one() == count
        states = dict(db.session.execute(select(Kindness.id, Kindness.state)).all())
        requests = dict(
            db.session.execute(select(CourierRequest.kindness_id, CourierRequest.state)).all()
        )
    # The scheduled note arrives; the in-person kindnesses are cancelled, requests withdrawn.
    assert "Waiting for the round" in world.client(world.mortal_of[a]).get("/me/inbox").text
    assert sorted(states.values()) == ["cancelled", "cancelled", "delivered"]
    assert {k for k, s in states.items() if s == "cancelled"} == unfinished_ids
    assert requests == {k: "withdrawn" for k in unfinished_ids}
    deliveries = page_at(world, accepted_courier, "/me/deliveries", courier_sees)
    assert "Leave a biscuit" not in deliveries

    # One ending email each, with the reveal.
    mails = ended_mails(app)
    assert sorted(m.participant_id for m in mails) == sorted(world.people)
    mail_of = {m.participant_id: m for m in mails}
    for pid, mail in mail_of.items():
        assert mail.to_addr == world.people[pid].email
        assert mail.subject == "Kindness month has ended"
        cancelled_note = "could not be delivered before the end" in mail.body_text
        assert cancelled_note == (pid in (b, c)), world.people[pid].name

    for pid in (a, b, d, e):
        name = world.people[angel[pid]].name
        home = world.client(pid).get("/me").text
        assert "Your angel was" in home and name in home
        assert f"Your angel was: {name}" in mail_of[pid].body_text
    assert "Your guess was right!" in world.client(a).get("/me").text
    assert "Your guess was right!" in mail_of[a].body_text
    assert "Your guess was not right this time." in world.client(b).get("/me").text
    assert "Your guess was not right this time." in mail_of[b].body_text
    for pid in (d, e):
        assert "Your guess" not in world.client(pid).get("/me").text
        assert "Your guess" not in mail_of[pid].body_text

    # c's angel chose to stay secret: c is told so, and their name is nowhere c can read.
    secret = world.people[angel[c]]
    home = world.client(c).get("/me").text
    assert "Your angel stays unknown" in home
    assert "Your angel stays unknown" in mail_of[c].body_text
    assert "As you chose, your mortal was not told" in mail_of[angel[c]].body_text
    assert "As you chose" in world.client(angel[c]).get("/me").text
    everything = (world.pages_of(c) + mail_of[c].body).lower()
    assert secret.name.lower() not in everything
    assert secret.email.lower() not in everything
    assert "your guess was right" not in everything

    # The facilitator sees only the share of right guesses.
    page = world.fac.get(f"/games/{world.game_id}").text
    section = _end_section(page)
    # c's guess is about an angel who stayed secret, so it is left out.
    assert "50% of the 2 guesses were right." in section
    assert page.lower().count("guess") == section.lower().count("guess")

    # Ending twice is refused and changes nothing.
    again = world.end()
    assert again.status_code == 302
    assert "Only a running game can be ended." in world.fac.get(f"/games/{world.game_id}").text
    assert len(ended_mails(app)) == len(world.people)
    with app.app_context():
        ends = db.session.execute(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "end")
        ).scalar_one()
    assert ends == 1


def test_without_the_reveal_nobody_learns_their_angel(app):
    world = build(app)
    with app.app_context():
        db.session.get(Game, world.game_id).reveal_at_end = False
        db.session.commit()
    a, b, c, *_ = (world.by_name(n) for n, _ in PEOPLE)
    guess(world, a, world.angel_of(a))
    guess(world, b, world.angel_of(b))
    guess(world, c, world.angel_of(c))
    assert "Nobody learns who their angel was" in world.fac.get(f"/games/{world.game_id}/end").text
    assert world.end().status_code == 302

    mail_of = {m.participant_id: m for m in ended_mails(app)}
    assert sorted(mail_of) == sorted(world.people)
    for pid in world.people:
        angel = world.people[world.angel_of(pid)]
        assert "This game keeps its secrets" in world.client(pid).get("/me").text
        everything = (world.pages_of(pid) + mail_of[pid].body).lower()
        assert angel.name.lower() not in everything, world.people[pid].name
        assert angel.email.lower() not in everything
        assert "your angel was" not in everything and "your guess was" not in everything
    section = _end_section(world.fac.get(f"/games/{world.game_id}").text)
    assert "The reveal was off" in section and "%" not in section


@pytest.mark.parametrize(
    ("guessers", "shown"),
    [
        (0, "No guesses to count."),
        (1, "Fewer than 3 guesses can be counted"),
        (2, "Fewer than 3 guesses can be counted"),
    ],
)
def test_few_guesses_are_not_shown_to_the_facilitator(app, guessers, shown):
    world = build(app)
    for pid in sorted(world.people)[:guessers]:
        guess(world, pid, world.angel_of(pid))
    world.end()
    section = _end_section(world.fac.get(f"/games/{world.game_id}").text)
    assert shown in section
    assert "%" not in section and "right" not in section


# --- deleting --------------------------------------------------------------------------------


def _key(table):
    """A table's primary key as one SQL expression: a row value when it has several columns."""
    columns = list(table.primary_key.columns)
    return columns[0] if len(columns) == 1 else tuple_(*columns)


def _keys(table, condition) -> set:
    """The primary keys of the rows where `condition` holds (tuples for a composite key)."""
    columns = list(table.primary_key.columns)
    rows = db.session.execute(select(*columns).where(condition)).all()
    return {row[0] if len(columns) == 1 else tuple(row) for row in rows}


def _linked_rows(game_id: int) -> dict[str, set]:
    """Primary keys of every row that belongs to the game, following foreign keys from it
    (rows pointing at the game, its participants, its kindnesses, …), table by table."""
    known: dict[str, set] = {"game": {game_id}}
    changed = True
    while changed:
        changed = False
        for table in db.metadata.sorted_tables:
            conditions = [
                fk.parent.in_(known[fk.column.table.name])
                for fk in table.foreign_keys
                if known.get(fk.column.table.name)
            ]
            if not conditions:
                continue
            found = _keys(table, or_(*conditions))
            if not found <= known.get(table.name, set()):
                known.setdefault(table.name, set()).update(found)
                changed = True
    return known


def _snapshot(game_id: int) -> dict[str, list]:
    """Every row of the game, in full."""
    rows = {}
    for table in db.metadata.sorted_tables:
        ids = _linked_rows(game_id).get(table.name)
        if ids:
            rows[table.name] = sorted(
                tuple(map(str, r))
                for r in db.session.execute(select(table).where(_key(table).in_(ids)))
            )
    return rows


def _dump(skip_outbox: set[int] = frozenset()) -> str:
    """Every value of every table in the database, as text (but the outbox rows skipped)."""
    parts = []
    for name in inspect(db.engine).get_table_names():
        for row in db.session.execute(text(f'SELECT * FROM "{name}"')):
            if name == "outbox_message" and row.id in skip_outbox:
                continue
            parts.append(" | ".join(map(str, row)))
    return "\n".join(parts).lower()


def _fill(world: World, drop_off: str, seed: int) -> None:
    """Put something of the game in every table."""
    app = world.app
    ids = sorted(world.people)
    first, second, third = ids[:3]
    with app.app_context():
        game = db.session.get(Game, world.game_id)
        setup.add_drop_off(game, drop_off)
        setup.add_game_idea(game, f"Bring {drop_off} flowers")
        db.session.add(Exclusion(game_id=game.id, angel_id=first, mortal_id=second))
        db.session.commit()
        angel = db.session.get(Participant, first)
        preferences.save_hints(db.session.get(Participant, second), brightens="Sunny days")
        journal.add_journal_entry(angel, date(2026, 12, 2), "Left a note", "Happy")
        note = notes.send_note(
            angel, "A secret note", now=datetime(2026, 12, 2, 7), rng=random.Random(seed)
        )
        periodic.tick(now=note.deliver_at, rng=random.Random(0))
        mortal = db.session.get(Participant, note.mortal_id)
        public_id = note.public_id
        responses.thank(mortal, public_id, "Thank you so much")
        responses.report(mortal, public_id, "Hmm, odd")
        point = setup.drop_off_points(game)[0].id
        carried = notes.request_in_person(
            db.session.get(Participant, third), "Collect it", "", point, rng=random.Random(seed)
        )
        # A courier is drawn once the angel has left the item at the drop-off point.
        notes.mark_left(
            db.session.get(Participant, third), carried.public_id, rng=random.Random(seed)
        )
        report_id = moderation.reports_of(game)[0].report.id
        moderation.act(game, report_id, "warn", "Be gentle")
    guess(world, second, first)
    assert world.end().status_code == 302


TABLES = (
    "participant",
    "pairing",
    "kindness",
    "courier_request",
    "thanks",
    "report",
    "hint",
    "outbox_message",
    "audit_entry",
    "drop_off_point",
    "exclusion",
    "game",
    "journal_entry",
    "game_idea",
    "kindness_tally",
    "game_tally",
)


def test_deleting_an_ended_game_removes_every_row_and_every_name(app):
    world = build(app)
    other = build(app, OTHERS, name="Other game")
    _fill(world, "Kitchen shelf", seed=3)
    with app.app_context():
        other_note = notes.send_note(
            db.session.get(Participant, sorted(other.people)[0]),
            "Another game's note",
            rng=random.Random(1),
        )
        assert other_note.state == "scheduled"

    # Only after the end.
    running = other.fac.post(f"/games/{other.game_id}/delete", data={"name": "Other game"})
    assert running.status_code == 302
    assert "End the game before deleting it." in other.fac.get(f"/games/{other.game_id}").text
    assert game_row(app, other.game_id).state == "running"

    with app.app_context():
        doomed = _linked_rows(world.game_id)
        for table in TABLES:
            assert doomed.get(table), f"the test should put a row in {table}"
        other_before = _snapshot(other.game_id)
        facilitators = db.session.execute(select(func.count(Facilitator.id))).scalar_one()
        dump = _dump()
    for name, email in PEOPLE + OTHERS:
        assert name.lower() in dump and email in dump  # the dump does see them

    confirm = world.fac.get(f"/games/{world.game_id}/delete")
    assert confirm.status_code == 200 and "Delete Kindness month?" in confirm.text
    wrong = world.fac.post(f"/games/{world.game_id}/delete", data={"name": "Other game"})
    assert wrong.status_code == 200 and "That is not the game&#39;s name." in wrong.text
    assert game_row(app, world.game_id).state == "ended"

    response = world.fac.post(f"/games/{world.game_id}/delete", data={"name": "Kindness month"})
    assert response.status_code == 302 and response.location.endswith("/games")
    assert "The game and all its personal data are deleted." in world.fac.get("/games").text
    assert world.fac.get(f"/games/{world.game_id}").status_code == 404

    with app.app_context():
        for table in db.metadata.sorted_tables:
            ids = doomed.get(table.name)
            if ids:
                left = db.session.execute(
                    select(func.count()).select_from(table).where(_key(table).in_(ids))
                ).scalar_one()
                assert left == 0, table.name
        assert _linked_rows(world.game_id) == {"game": {world.game_id}}
        # Only the journal's owner is written to, with their own journal, until it is sent
        # (tests/mail/test_game_deletion.py shows the row is emptied then).
        journals = (
            db.session.execute(
                select(OutboxMessage).where(OutboxMessage.kind == "journal-before-deletion")
            )
            .scalars()
            .all()
        )
        owner = world.people[sorted(world.people)[0]]
        assert [(m.to_addr, m.game_id, m.participant_id) for m in journals] == [
            (owner.email, None, None)
        ]
        assert "Left a note" in journals[0].attachment_text
        dump = _dump(skip_outbox={m.id for m in journals})
        assert _snapshot(other.game_id) == other_before
        assert db.session.execute(select(func.count(Facilitator.id))).scalar_one() == facilitators
    for name, email in PEOPLE:
        assert name.lower() not in dump and email not in dump, name
    assert "kitchen shelf" not in dump and "a secret note" not in dump
    for name, email in OTHERS:
        assert name.lower() in dump and email in dump
    assert other.fac.get(f"/games/{other.game_id}").status_code == 200
