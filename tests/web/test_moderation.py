"""Moderation without unmasking: the facilitator sees a report's text, reason and date and acts
on "the sender of this kindness" (dismiss, hide, warn, mute) without learning who they are;
revealing a sender is a deliberate step with a reason, recorded and told to the sender.
"""

from __future__ import annotations

import html
import random
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import time_machine
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AuditEntry,
    CourierRequest,
    Kindness,
    OutboxMessage,
    Participant,
    Report,
    utcnow,
)
from app.services import couriers, periodic, preferences
from app.services import notes as notes_service
from tests import helpers
from tests.helpers import (
    DISTINCT_PEOPLE,
    emptied,
    login,
    make_facilitator,
    make_world,
    without_csrf,
)

# Names and addresses that are not substrings of each other nor of any page's fixed text.
PEOPLE = DISTINCT_PEOPLE
SENT_AT = datetime(2026, 12, 2, 7, 15)
MODERATION_MAIL = ("moderation-warning", "moderation-muted", "moderation-revealed")
NOT_SERIOUS = "Revealing a sender is a serious step"

_BADGE = re.compile(r' <span class="badge badge-bad">\d+ open</span>')
_DATE = re.compile(r"\d{1,2} [A-Z][a-z]{2} \d{4}( \d\d:\d\d)?")


class World(helpers.World):
    """The shared World, with the facilitator's moderation pages."""

    def moderation(self) -> str:
        response = self.fac.get(f"/games/{self.game_id}/moderation")
        assert response.status_code == 200
        return response.text

    def game_pages(self) -> list[str]:
        """The facilitator's other pages of the game (its open-reports badge and CSRF tokens
        aside): the roster names everybody, so they must not change with an action."""
        pages = [self.fac.get(f"/games/{self.game_id}"), self.fac.get("/games")]
        assert [p.status_code for p in pages] == [200, 200]
        return [without_csrf(_BADGE.sub("", p.text)) for p in pages]

    def act(self, report_id: int, action: str, text: str = "", client=None):
        client = client or self.fac
        return client.post(
            f"/games/{self.game_id}/reports/{report_id}/{action}",
            data={f"r{report_id}-{action}-text": text},
        )

    def reporters(self) -> set[str]:
        """The names of everyone who reported something in this game: the queue shows them."""
        with self.app.app_context():
            ids = set(db.session.execute(select(Report.reporter_id)).scalars())
        return {self.people[i].name for i in ids if i in self.people}

    def unmasked(self, text: str) -> set[str]:
        """Every participant name or email in a text but those of the people who reported."""
        return self.names_in(text) - self.reporters()

    def names_in(self, text: str) -> set[str]:
        """Every participant name or email found in a text (case-insensitive)."""
        low = text.lower()
        return {
            p.name for p in self.people.values() if p.name.lower() in low or p.email.lower() in low
        }


def build(app: Flask, people=PEOPLE, seed: int = 1, name: str = "Kindness month") -> World:
    """A running game of these people, seen through this module's World."""
    return make_world(app, people, seed, name, world=World)


def delivered_note(world: World, angel: int, text: str, seed: int = 5) -> SimpleNamespace:
    """A note from this angel, delivered by a tick (detached summary)."""
    with world.app.app_context():
        note = notes_service.send_note(
            db.session.get(Participant, angel), text, now=SENT_AT, rng=random.Random(seed)
        )
        found = SimpleNamespace(id=note.id, public_id=note.public_id, deliver_at=note.deliver_at)
        periodic.tick(now=note.deliver_at, rng=random.Random(0))
    return found


def report_note(world: World, mortal: int, note: SimpleNamespace, reason: str) -> int:
    """The mortal reports the note through their inbox; returns the report id."""
    response = world.client(mortal).post(
        f"/me/inbox/{note.public_id}/report", data={"reason": reason}, follow_redirects=True
    )
    assert "Thank you for telling us. The organiser will look at it." in response.text
    with world.app.app_context():
        return db.session.execute(
            select(Report.id).where(Report.kindness_id == note.id, Report.reporter_id == mortal)
        ).scalar_one()


def reported(world: World, angel: int, text: str, reason: str) -> tuple[int, SimpleNamespace]:
    """The angel's note, delivered and reported by their mortal: (report id, note)."""
    note = delivered_note(world, angel, text)
    return report_note(world, world.mortal_of[angel], note, reason), note


def mails(app: Flask, *kinds: str) -> list[SimpleNamespace]:
    with app.app_context():
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kinds:
            query = query.where(OutboxMessage.kind.in_(kinds))
        return [
            SimpleNamespace(
                kind=m.kind,
                to_addr=m.to_addr,
                participant_id=m.participant_id,
                subject=m.subject,
                body_text=m.body_text,
                body_html=m.body_html,
            )
            for m in db.session.execute(query).scalars()
        ]


def report_row(app: Flask, report_id: int) -> SimpleNamespace:
    with app.app_context():
        r = db.session.get(Report, report_id)
        return SimpleNamespace(status=r.status, revealed_at=r.revealed_at, created_at=r.created_at)


def audit(app: Flask) -> list[tuple[str, int | None, str]]:
    with app.app_context():
        return [
            (a.action, a.report_id, a.reason)
            for a in db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
        ]


def report_item(page: str, report_id: int) -> str:
    """One report's <li> on the moderation page."""
    match = re.search(rf'<li class="item card" id="report-{report_id}">.*?</li>', page, re.S)
    assert match, report_id
    return match.group(0)


def audit_rows(page: str) -> list[str]:
    table = re.search(r'<section class="card" aria-labelledby="audit-h">.*?</section>', page, re.S)
    assert table
    return re.findall(r"<tr><td>.*?</tr>", table.group(0), re.S)


# --- what the facilitator sees -------------------------------------------------------------


def test_a_reported_note_shows_text_reason_date_and_reporter_but_not_the_sender(app):
    """The queue shows the note, the reason, the report's date and who reported it (so the
    organiser can check on them) — no other participant's name or email anywhere."""
    world = build(app)
    angel = world.by_name("Desmond Yates")
    report_id, _ = reported(world, angel, "Roses are red,\nyour desk is a mess", "That was mean")
    created = report_row(app, report_id).created_at

    page = world.moderation()
    item = report_item(page, report_id)
    assert "Roses are red,\nyour desk is a mess" in item
    assert "That was mean" in item
    assert created.strftime("%-d %b %Y") in item
    assert f"Report #{report_id}" in item and "Note" in item and "Open" in item
    assert world.names_in(page) == {world.people[world.mortal_of[angel]].name}
    assert world.unmasked(page) == set()
    assert "Revealed a sender" not in page and "Sender revealed" not in page


def _normalise(page: str) -> str:
    return _DATE.sub("DATE", without_csrf(page))


_WORDS = st.text("abcdefghij klmnop<>&\"'é\n", min_size=1, max_size=40).filter(str.strip)


@st.composite
def rosters(draw):
    n = draw(st.integers(3, 7))
    people = []
    for i in range(n):
        letters = draw(st.text("abcdefghijklmnoprstuvwy", min_size=4, max_size=6))
        name = f"Qz{letters}{i}x"
        people.append((name, f"{name.lower()}@ex{i}.org"))
    return people


def _scenario(app, people, seed, mortal_index, notes, actions):
    """Play one scenario in the emptied app: the mortal's angel sends these notes, the mortal
    reports some, the facilitator acts; return the sender's name and the moderation pages seen."""
    with emptied(app):
        world = build(app, people, seed=seed)
        order = sorted(world.people)
        mortal = order[mortal_index % len(order)]
        angel = world.angel_of(mortal)
        report_ids = []
        for i, (text, reason) in enumerate(notes):
            note = delivered_note(world, angel, text, seed=i)
            if reason is not None:
                report_ids.append(report_note(world, mortal, note, reason))
        pages = [_normalise(world.moderation())]
        for action, pick, text in actions:
            if report_ids:
                world.act(report_ids[pick % len(report_ids)], action, text)
            pages.append(_normalise(world.moderation()))
        names = {p.name for p in world.people.values()} - {world.people[mortal].name}
        return world.people[angel].name, pages, names


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    people=rosters(),
    seed=st.integers(1, 10_000),
    mortal_index=st.integers(0, 6),
    notes=st.lists(st.tuples(_WORDS, st.one_of(st.none(), _WORDS)), min_size=1, max_size=2),
    actions=st.lists(
        st.tuples(
            st.sampled_from(["dismiss", "hide", "warn", "mute"]),
            st.integers(0, 3),
            st.one_of(st.just(""), _WORDS),
        ),
        max_size=3,
    ),
)
def test_the_moderation_page_is_the_same_whoever_sent_the_note(
    app, people, seed, mortal_index, notes, actions
):
    """Same roster, two draws in which the mortal has different angels, the same notes and
    reports and the same actions: the facilitator's moderation pages are identical (CSRF
    tokens and dates aside) and name nobody but the mortal who reported."""
    first = _scenario(app, people, seed, mortal_index, notes, actions)
    # Another draw of the same roster in which the same mortal has a different angel.
    for other_seed in range(seed + 1, seed + 60):
        with emptied(app):
            world = build(app, people, seed=other_seed)
            mortal = sorted(world.people)[mortal_index % len(world.people)]
            if world.people[world.angel_of(mortal)].name != first[0]:
                break
    else:
        raise AssertionError("no other draw found")
    second = _scenario(app, people, other_seed, mortal_index, notes, actions)
    assert first[0] != second[0]
    assert first[1] == second[1]
    for page in first[1] + second[1]:
        low = page.lower()
        assert not [n for n in first[2] if n.lower() in low]


# --- the actions -----------------------------------------------------------------------------


def test_dismiss_closes_the_report_and_is_audited(app):
    world = build(app)
    report_id, note = reported(world, world.by_name("Aurora Finch"), "Just a joke", "Unkind")
    response = world.act(report_id, "dismiss", "Looks harmless")
    assert response.status_code == 302
    assert response.location.endswith(f"/games/{world.game_id}/moderation#report-{report_id}")
    assert report_row(app, report_id).status == "dismissed"
    assert audit(app) == [("dismiss", report_id, "Looks harmless")]
    page = world.moderation()
    assert "Report dismissed." in page
    assert "Dismissed" in report_item(page, report_id)
    assert mails(app, *MODERATION_MAIL) == []
    # The kindness stays in the recipient's inbox.
    assert (
        "Just a joke"
        in world.client(world.mortal_of[note_angel(world, note)]).get("/me/inbox").text
    )


def note_angel(world: World, note) -> int:
    with world.app.app_context():
        return db.session.get(Kindness, note.id).angel_id


def test_hide_takes_the_kindness_out_of_the_inbox(app):
    world = build(app)
    angel = world.by_name("Bartholomew Quill")
    mortal = world.mortal_of[angel]
    report_id, _ = reported(world, angel, "Something cruel here", "Hurtful")
    kept, _ = reported(world, angel, "Something lovely here", "Mistake")
    assert "Something cruel here" in world.client(mortal).get("/me/inbox").text

    assert world.act(report_id, "hide").status_code == 302
    inbox = world.client(mortal).get("/me/inbox").text
    assert "Something cruel here" not in inbox
    assert "Something lovely here" in inbox
    assert report_row(app, report_id).status == "acted"
    page = world.moderation()
    assert "Hidden from recipient" in report_item(page, report_id)
    assert "Hidden from recipient" not in report_item(page, kept)
    assert [a[:2] for a in audit(app)] == [("hide", report_id)]
    assert world.unmasked(page) == set()


def test_a_too_long_warning_is_refused_and_kept_in_the_box(app):
    world = build(app)
    angel = world.by_name("Cressida Vance")
    report_id, _ = reported(world, angel, "You never smile", "Felt judged")
    before = len(mails(app))
    text = "Please be kinder in what you write to people. " * 50
    response = world.act(report_id, "warn", text)
    assert response.status_code == 400
    assert f"This can be up to 2000 characters; yours is {len(text)}." in response.text
    assert text in html.unescape(response.text)
    assert world.unmasked(response.text) == set()
    assert report_row(app, report_id).status == "open"
    assert audit(app) == [] and len(mails(app)) == before


def test_warn_needs_text_and_mails_only_the_sender(app):
    world = build(app)
    angel = world.by_name("Cressida Vance")
    sender = world.people[angel]
    report_id, _ = reported(world, angel, "You never smile", "Felt judged")
    before = len(mails(app))
    game_pages = world.game_pages()

    refused = world.act(report_id, "warn", "   ")
    assert refused.status_code == 400
    assert "Write the warning the sender will receive." in refused.text
    assert report_row(app, report_id).status == "open"
    assert audit(app) == [] and len(mails(app)) == before

    response = world.act(report_id, "warn", "Please keep notes kind and light.")
    assert response.status_code == 302
    [warning] = mails(app, *MODERATION_MAIL)
    assert warning.kind == "moderation-warning"
    assert (warning.to_addr, warning.participant_id) == (sender.email, angel)
    assert "Please keep notes kind and light." in warning.body_text
    assert "Please keep notes kind and light." in warning.body_html
    assert "You never smile" in warning.body_text
    assert len(mails(app)) == before + 1
    assert report_row(app, report_id).status == "acted"
    assert audit(app) == [("warn", report_id, "Please keep notes kind and light.")]

    page = world.moderation()
    assert "Your warning reaches the sender in the next delivery round." in page
    assert "You have not been told who they are." in page
    assert "Please keep notes kind and light." in page  # in the audit list
    assert world.unmasked(page) == set()
    assert world.game_pages() == game_pages


def test_mute_stops_the_sender_and_tells_only_them(app):
    world = build(app)
    angel = world.by_name("Evangeline Pike")
    sender = world.people[angel]
    report_id, _ = reported(world, angel, "Ugly words", "Nasty")
    with app.app_context():
        stored = db.session.execute(select(func.count(Kindness.id))).scalar_one()
    game_pages = world.game_pages()

    assert world.act(report_id, "mute", "Repeated unkind notes").status_code == 302
    page = world.moderation()
    assert world.game_pages() == game_pages
    assert "The sender can no longer send kindnesses in this game; they are told in the" in page
    assert world.unmasked(page) == set()
    [muted] = mails(app, *MODERATION_MAIL)
    assert muted.kind == "moderation-muted"
    assert (muted.to_addr, muted.participant_id) == (sender.email, angel)
    assert "Repeated unkind notes" in muted.body_text
    assert audit(app) == [("mute", report_id, "Repeated unkind notes")]

    client = world.client(angel)
    response = client.post("/me/angel/note", data={"message": "One more", "when": "next"})
    assert response.status_code == 400
    assert "The organiser has stopped you from sending kindnesses in this game." in response.text
    assert "One more" in response.text  # what was typed is kept
    response = client.post(
        "/me/angel/in-person",
        data={"instruction": "Leave a flower", "message": "", "drop_off": "0"},
    )
    assert "The organiser has stopped you from sending kindnesses in this game." in response.text
    with app.app_context():
        assert db.session.execute(select(func.count(Kindness.id))).scalar_one() == stored
    # Others still send.
    other = world.by_name("Aurora Finch")
    ok = world.client(other).post("/me/angel/note", data={"message": "Hi!", "when": "next"})
    assert ok.status_code == 302


def test_a_muted_sender_cannot_send_by_turning_an_undeliverable_kindness_into_a_note(app):
    """Turning an in-person kindness nobody could carry into a note is sending too: once the
    sender is muted it is refused and nothing is scheduled."""
    world = build(app)
    angel = world.by_name("Evangeline Pike")
    mortal = world.mortal_of[angel]
    with app.app_context():
        for p in db.session.execute(select(Participant)).scalars():
            p.courier_opt_out = p.id != mortal  # only the recipient left: no courier
        db.session.commit()
        item = notes_service.request_in_person(
            db.session.get(Participant, angel),
            "Leave a card",
            "A card for you",
            rng=random.Random(1),
        )
        assert item.state == "undeliverable"
        item_id = item.public_id
    report_id, _ = reported(world, angel, "Ugly words", "Nasty")
    assert world.act(report_id, "mute", "Stop please").status_code == 302

    response = world.client(angel).post(f"/me/angel/{item_id}/as-note", follow_redirects=True)
    with app.app_context():
        state = db.session.execute(
            select(Kindness.state).where(Kindness.public_id == item_id)
        ).scalar_one()
    refused = "The organiser has stopped you from sending kindnesses in this game." in response.text
    # Today the conversion goes through: the muted sender's note is scheduled for the mortal.
    assert (state, refused) == ("undeliverable", True)


def test_reveal_needs_a_reason_and_then_names_the_sender_of_that_report_only(app):
    world = build(app)
    angel = world.by_name("Aurora Finch")
    other_angel = world.by_name("Desmond Yates")
    sender = world.people[angel]
    report_id, _ = reported(world, angel, "A threat, really", "I feel unsafe")
    same_sender, _ = reported(world, angel, "A second note", "Also odd")
    other, _ = reported(world, other_angel, "Another note", "Weird")

    for short in ("", "Because", "   short   "):
        response = world.act(report_id, "reveal", short)
        assert response.status_code == 400
        page = response.text
        assert NOT_SERIOUS in page
        # Kept in the box, beside its report.
        assert re.search(
            rf"<textarea[^>]*r{report_id}-reveal-text[^>]*>\s*{short}</textarea>", page
        )
        assert world.unmasked(page) == set()
        assert report_row(app, report_id).revealed_at is None
        assert report_row(app, report_id).status == "open"
    assert mails(app, *MODERATION_MAIL) == [] and audit(app) == []

    reason = "A threat to a colleague must be followed up in person."
    response = world.act(report_id, "reveal", reason)
    assert response.status_code == 302
    page = world.moderation()
    item = report_item(page, report_id)
    assert f"Sender revealed: <strong>{sender.name}</strong>" in item
    assert "The sender stays unknown." not in item
    assert "The sender stays unknown." in report_item(page, other)
    # Only that report: not the other report of the same sender, not another sender's report.
    assert world.unmasked(report_item(page, same_sender)) == set()
    assert world.unmasked(report_item(page, other)) == set()
    assert world.people[other_angel].name not in page
    assert report_row(app, report_id).revealed_at is not None
    assert audit(app) == [("reveal", report_id, reason)]
    [told] = mails(app, *MODERATION_MAIL)
    assert told.kind == "moderation-revealed"
    assert (told.to_addr, told.participant_id) == (sender.email, angel)
    assert reason in told.body_text and "A threat, really" in told.body_text

    # Revealing again sends no second email.
    world.act(report_id, "reveal", reason)
    assert len(mails(app, *MODERATION_MAIL)) == 1


def test_every_action_is_in_the_audit_list_with_what_when_and_why(app):
    world = build(app)
    ids = {}
    for name, action in zip(
        ("Aurora Finch", "Bartholomew Quill", "Cressida Vance", "Desmond Yates", "Evangeline Pike"),
        ("dismiss", "hide", "warn", "mute", "reveal"),
        strict=True,
    ):
        ids[action], _ = reported(world, world.by_name(name), f"Note for {action}", "Bad")
    reasons = {
        "dismiss": "Nothing wrong here",
        "hide": "Better not seen",
        "warn": "Please be gentle",
        "mute": "Too many complaints",
        "reveal": "Serious enough to need a conversation",
    }
    for action, reason in reasons.items():
        assert world.act(ids[action], action, reason).status_code == 302

    rows = audit_rows(world.moderation())
    labels = {
        "dismiss": "Dismissed a report",
        "hide": "Hid a kindness",
        "warn": "Warned a sender",
        "mute": "Muted a sender",
        "reveal": "Revealed a sender",
    }
    assert len(rows) == 5
    for row, action in zip(rows, reversed(list(reasons)), strict=True):  # newest first
        assert re.search(r"<td>\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d UTC</td>", row), row
        assert f"{labels[action]} (report #{ids[action]})" in row
        assert reasons[action] in row
    assert [a[0] for a in audit(app)] == list(reasons)


# --- who may see and do what -----------------------------------------------------------------


def test_other_facilitators_unknown_actions_and_foreign_reports_get_404(app):
    world = build(app)
    report_id, _ = reported(world, world.by_name("Aurora Finch"), "Hmm", "Odd")
    with app.app_context():
        make_facilitator("Olga Other", "olga@example.org")
    second = build(
        app,
        [
            ("Fiona Grant", "fgrant@example.org"),
            ("Gideon Hart", "ghart@example.org"),
            ("Helena Ives", "hives@example.org"),
        ],
        name="Other game",
    )
    foreign, _ = reported(second, second.by_name("Gideon Hart"), "Elsewhere", "There")

    olga = app.test_client()
    assert login(olga, "olga@example.org").status_code == 302
    assert olga.get(f"/games/{world.game_id}/moderation").status_code == 404
    for action in ("dismiss", "hide", "warn", "mute", "reveal"):
        response = world.act(report_id, action, "A long enough reason to act", client=olga)
        assert response.status_code == 404, action
    assert world.act(report_id, "unmask", "A long enough reason").status_code == 404
    assert world.act(report_id, "delete", "A long enough reason").status_code == 404
    for action in ("dismiss", "hide", "warn", "mute", "reveal"):
        assert world.act(foreign, action, "A long enough reason").status_code == 404, action
    assert world.act(999_999, "dismiss").status_code == 404

    assert report_row(app, report_id).status == "open"
    assert report_row(app, foreign).status == "open"
    assert report_row(app, foreign).revealed_at is None
    assert audit(app) == [] and mails(app, *MODERATION_MAIL) == []
    assert "Elsewhere" not in world.moderation()


def released(moment: datetime):
    """Freeze the clock (naive UTC) at a moment when something has been released."""
    return time_machine.travel(moment.replace(tzinfo=UTC), tick=False)


def test_a_couriers_report_is_in_the_queue(app):
    """The courier can report an offer once it has reached them (a later round), not before."""
    world = build(app)
    angel = world.by_name("Bartholomew Quill")
    with app.app_context():
        item = notes_service.request_in_person(
            db.session.get(Participant, angel),
            "Leave a mug of cocoa on the desk",
            "From your angel",
            rng=random.Random(3),
        )
        offer = db.session.execute(
            select(CourierRequest).where(CourierRequest.kindness_id == item.id)
        ).scalar_one()
        courier, offer_id, release_at = offer.courier_id, offer.public_id, offer.released_at
    assert release_at > utcnow()
    reason = {"reason": "The instruction feels like a prank"}
    early = world.client(courier).post(f"/me/deliveries/{offer_id}/report", data=reason)
    assert early.status_code == 404  # not released yet: not theirs to see
    with app.app_context():
        assert db.session.execute(select(func.count(Report.id))).scalar_one() == 0
    with released(release_at + timedelta(seconds=1)):
        response = world.client(courier).post(
            f"/me/deliveries/{offer_id}/report", data=reason, follow_redirects=True
        )
    assert "Thank you for telling us. The organiser will look at it." in response.text
    page = world.moderation()
    with app.app_context():
        report_id = db.session.execute(select(Report.id)).scalar_one()
    item_html = report_item(page, report_id)
    assert "In-person kindness" in item_html
    assert "Leave a mug of cocoa on the desk" in item_html
    assert "The instruction feels like a prank" in item_html
    assert world.unmasked(page) == set()


def test_the_rules_say_a_sender_may_be_revealed_and_is_told(app):
    world = build(app)
    page = world.client(world.by_name("Aurora Finch")).get("/me/rules").text
    assert "warn or stop “the sender of that kindness” without learning who it is" in page
    assert (
        "Only for a serious report may the organiser choose to see who sent it. "
        "That step is recorded, and the sender is told, with the reason."
    ) in page


# --- a facilitator who also plays ------------------------------------------------------------

# Fran runs the game and plays in it, under her account's address (in other letters' case).
FRAN_PLAYS = ("Francesca Hale", "Fran@Example.ORG")
OWN_REPORT = "You made this report yourself, as a player in this game"


def _fran(world: World) -> int:
    return world.by_name(FRAN_PLAYS[0])


def _carried_by(
    world: World, courier: int, angel: int, instruction: str
) -> tuple[int, str, datetime]:
    """An in-person kindness from `angel` that `courier` is asked to carry: everyone else has
    opted out of carrying, and the angel (who stays in the pool for their own kindnesses)
    declines if asked first, once the offer has reached them. Returns (kindness id, the
    courier's offer id, the moment the offer reaches the courier)."""
    with world.app.app_context():
        for pid in world.people:
            if pid not in (courier, angel):
                preferences.set_courier_opt_out(db.session.get(Participant, pid), True)
        item = notes_service.request_in_person(
            db.session.get(Participant, angel), instruction, "", rng=random.Random(3)
        )
        offers = select(CourierRequest).where(CourierRequest.kindness_id == item.id)
        first = db.session.execute(offers).scalar_one()
        if first.courier_id == angel:
            couriers.decline(
                db.session.get(Participant, angel),
                first.public_id,
                now=first.released_at,
                rng=random.Random(4),
            )
        offer = db.session.execute(offers.where(CourierRequest.state == "offered")).scalar_one()
        assert offer.courier_id == courier
        return item.id, offer.public_id, offer.released_at


def _refused_reveal(world: World, report_id: int) -> str:
    """Try to reveal the sender of a report; assert it is refused and changes nothing."""
    before = (mails(world.app, *MODERATION_MAIL), audit(world.app))
    response = world.act(report_id, "reveal", "I need to know who sent this to me, seriously.")
    assert response.status_code == 400
    assert OWN_REPORT in response.text
    row = report_row(world.app, report_id)
    assert (row.revealed_at, row.status) == (None, "open")
    assert (mails(world.app, *MODERATION_MAIL), audit(world.app)) == before
    return response.text


def test_a_facilitator_cannot_reveal_the_sender_of_a_note_she_reported(app):
    """Fran reports the note her angel sent her, then tries "reveal the sender" on her own
    report: refused, nobody named, nothing recorded or mailed. She may still hide it."""
    world = build(app, [*PEOPLE, FRAN_PLAYS])
    fran = _fran(world)
    angel = world.angel_of(fran)
    note = delivered_note(world, angel, "Guess who")
    report_id = report_note(world, fran, note, "I want to know who this is")

    page = _refused_reveal(world, report_id)
    assert world.unmasked(page) == set()
    assert "Sender revealed" not in world.moderation()
    assert world.act(report_id, "hide").status_code == 302
    assert audit(app) == [("hide", report_id, "")]


def test_a_facilitator_cannot_reveal_the_sender_of_a_kindness_she_carried(app):
    """As a courier she never learns whose kindness she carries: her courier report cannot
    be revealed either."""
    world = build(app, [*PEOPLE, FRAN_PLAYS])
    fran = _fran(world)
    angel = next(a for a, m in world.mortal_of.items() if fran not in (a, m))
    _, offer_id, release_at = _carried_by(world, fran, angel, "Leave a lemon on the desk")
    with released(release_at):
        response = world.client(fran).post(
            f"/me/deliveries/{offer_id}/report", data={"reason": "Who asks for a lemon?"}
        )
    assert response.status_code == 302
    with app.app_context():
        report_id = db.session.execute(select(Report.id)).scalar_one()
    page = _refused_reveal(world, report_id)
    assert world.unmasked(page) == set()


def test_the_refusal_depends_on_who_reported_never_on_who_sent(app):
    """Reports from other players are revealed as before — even the one on a note Fran sent
    herself — while hers are refused with the same words whoever her angel is."""
    world = build(app, [*PEOPLE, FRAN_PLAYS])
    fran = _fran(world)
    # Someone else reports Fran's own note: revealing it names Fran, as for anyone.
    on_hers, _ = reported(world, fran, "From Fran's pen", "Odd")
    reason = "A serious complaint that needs a conversation."
    assert world.act(on_hers, "reveal", reason).status_code == 302
    assert f"Sender revealed: <strong>{FRAN_PLAYS[0]}</strong>" in report_item(
        world.moderation(), on_hers
    )
    # Another player's report on another note: revealed.
    other_angel = next(a for a in world.mortal_of if fran not in (a, world.mortal_of[a]))
    other, _ = reported(world, other_angel, "Plain note", "Unkind")
    assert world.act(other, "reveal", reason).status_code == 302


def _own_refusal_page(app, seed: int) -> tuple[str, str]:
    """In the emptied app drawn with `seed`: Fran reports a note from her angel and is refused the
    reveal; (her angel's name, the refusal page with CSRF tokens and dates blanked)."""
    with emptied(app):
        world = build(app, [*PEOPLE, FRAN_PLAYS], seed=seed)
        fran = _fran(world)
        angel = world.angel_of(fran)
        report_id = report_note(world, fran, delivered_note(world, angel, "Hello"), "Who?")
        return world.people[angel].name, _normalise(_refused_reveal(world, report_id))


def test_the_refusal_page_is_the_same_whoever_her_angel_is(app):
    first_angel, first = _own_refusal_page(app, 1)
    for seed in range(2, 60):
        angel, page = _own_refusal_page(app, seed)
        if angel != first_angel:
            break
    else:
        raise AssertionError("no draw gave Fran another angel")
    assert page == first
    assert first_angel not in page and angel not in page


def test_the_rules_page_counts_the_organisers_reveals(app):
    """Every player sees how many senders the organiser has revealed; a repeated reveal of the
    same report counts once and a refused one not at all."""
    world = build(app, [*PEOPLE, FRAN_PLAYS])
    fran = _fran(world)
    reader = world.client(world.by_name("Aurora Finch"))
    assert "the organiser has not revealed any sender" in reader.get("/me/rules").text

    own = report_note(world, fran, delivered_note(world, world.angel_of(fran), "Hi"), "Who?")
    _refused_reveal(world, own)
    assert "the organiser has not revealed any sender" in reader.get("/me/rules").text

    angels = [a for a in world.mortal_of if fran not in (a, world.mortal_of[a])]
    first, _ = reported(world, angels[0], "One", "Mean")
    second, _ = reported(world, angels[1], "Two", "Mean")
    reason = "Serious enough to need a conversation."
    world.act(first, "reveal", reason)
    world.act(first, "reveal", reason)
    assert "revealed the sender of 1 report." in reader.get("/me/rules").text
    world.act(second, "reveal", reason)
    page = world.client(fran).get("/me/rules").text
    assert "revealed the senders of 2 reports." in page
    assert "can never reveal the sender of something she reported herself" in page
    assert world.names_in(page) - {FRAN_PLAYS[0]} == set()  # her own page may greet her
