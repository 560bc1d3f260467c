"""Kindnesses through the participant pages: notes in rounds, in-person kindnesses carried by
couriers, thanks, reports and hints — and that none of it shows a sender to a mortal or a
courier.
"""

from __future__ import annotations

import random
import re
import time
from datetime import datetime, timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.i18n import round_name
from app.models import (
    CourierRequest,
    DropOffPoint,
    Game,
    Kindness,
    OutboxMessage,
    Participant,
    Report,
    Thanks,
    utcnow,
)
from app.services import notes, periodic, setup
from tests.helpers import (
    DISTINCT_PEOPLE,
    World,
    make_world,
)

# Names and addresses that are not substrings of each other.
PEOPLE = DISTINCT_PEOPLE
PAGES = ["/me", "/me/angel", "/me/inbox", "/me/deliveries", "/me/hints"]


@pytest.fixture
def app_config(app_config, request):
    """The shared test configuration, with any overrides a test passes indirectly."""
    return {**app_config, **getattr(request, "param", {})}


def config(**overrides):
    """Parametrize a test's app configuration."""
    return pytest.mark.parametrize("app_config", [overrides], indirect=True, ids=["config"])


def mails(app: Flask, kind: str) -> list[OutboxMessage]:
    """Queued mail of one kind, oldest first (detached copies)."""
    with app.app_context():
        rows = list(
            db.session.execute(
                select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
            ).scalars()
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def only_kindness(app: Flask) -> Kindness:
    """The one kindness in the database (detached)."""
    with app.app_context():
        found = db.session.execute(select(Kindness)).scalar_one()
        db.session.expunge(found)
        return found


def requests_of(app: Flask, kindness_id: int) -> list[CourierRequest]:
    """A kindness's courier requests in order (detached)."""
    with app.app_context():
        rows = list(
            db.session.execute(
                select(CourierRequest)
                .where(CourierRequest.kindness_id == kindness_id)
                .order_by(CourierRequest.id)
            ).scalars()
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def items_markup(html: str) -> str:
    """The list of kindnesses or deliveries on a page."""
    match = re.search(r'<ul class="items">.*?</ul>', html, re.S)
    return match.group(0) if match else ""


def normalised(html: str) -> str:
    """A page with public ids and CSRF tokens blanked out, so two pages can be compared."""
    html = re.sub(r"/me/(inbox|deliveries|angel)/[\w-]+/", r"/me/\1/ID/", html)
    html = re.sub(r'"(thanks|report)-[\w-]+"', r'"\1-ID"', html)
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]*"', r'\1TOKEN"', html)


def send_note(world: World, angel: int, message: str, when: str = "next"):
    return world.client(angel).post("/me/angel/note", data={"message": message, "when": when})


def after_release(days: float = 2):
    """Travel past the next delivery round (rounds are at most a day and a half apart)."""
    return time_machine.travel(utcnow() + timedelta(days=days), tick=False)


def tick(app: Flask, now: datetime, seed: int = 0):
    with app.app_context():
        return periodic.tick(now=now, rng=random.Random(seed))


def participant(world: World, pid: int) -> Participant:
    """The live participant row (call inside an app context)."""
    return db.session.get(Participant, pid)


# --- notes -----------------------------------------------------------------------------------


def test_a_note_is_scheduled_then_delivered_escaped_and_then_read(app):
    """A note waits for its round (never sooner than the minimum delay), is invisible to the
    mortal until then, arrives with its line breaks kept and its HTML escaped, mails the mortal
    only, and the angel sees Scheduled → Delivered → Read."""
    world = make_world(app, month_ahead=True)
    angel = next(iter(world.people))
    mortal = world.mortal_of[angel]
    before = utcnow()
    text = "Line one\r\n<script>alert(1)</script>\r\nYou are great"
    response = send_note(world, angel, text)
    assert response.status_code == 302 and response.location == "/me/angel"

    note = only_kindness(app)
    assert (note.kind, note.state, note.angel_id, note.mortal_id) == (
        "note",
        "scheduled",
        angel,
        mortal,
    )
    assert note.deliver_at >= before + timedelta(minutes=30)
    # Stored language-neutral (the day and part of the day), written out for each reader.
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} (morning|afternoon)", note.round_label)
    with app.test_request_context("/"):
        round_ = round_name(note.round_label)
    assert re.fullmatch(r"\w{3} \d{1,2} \w{3}, (morning|afternoon) round", round_)

    page = world.client(angel).get("/me/angel").text
    assert f"Your note is on its way: it arrives in the {round_}." in page
    assert "status-scheduled" in page and ">Scheduled<" in page
    assert f"arrives in the {round_}" in page

    inbox = world.client(mortal).get("/me/inbox").text
    assert "Line one" not in inbox and "Nothing yet" in inbox
    assert tick(app, note.deliver_at - timedelta(seconds=1)).delivered == 0
    assert "Line one" not in world.client(mortal).get("/me/inbox").text
    assert mails(app, "kindness-arrived") == []

    assert tick(app, note.deliver_at).delivered == 1
    assert "status-delivered" in world.client(angel).get("/me/angel").text

    inbox = world.client(mortal).get("/me/inbox").text
    assert "Line one\n&lt;script&gt;alert(1)&lt;/script&gt;\nYou are great" in inbox
    assert "<script>alert(1)" not in inbox
    assert f"A note from your angel · {round_}" in inbox
    assert "badge-new" in inbox
    assert world.name(angel) not in inbox and world.email(angel) not in inbox

    arrived = mails(app, "kindness-arrived")
    assert [m.to_addr for m in arrived] == [world.email(mortal)]
    assert world.name(angel) not in arrived[0].body_text + arrived[0].body_html
    assert "Line one" not in arrived[0].body_text  # the text stays on the site

    angel_page = world.client(angel).get("/me/angel").text
    assert "status-read" in angel_page and ">Read<" in angel_page
    assert "badge-new" not in world.client(mortal).get("/me/inbox").text


def test_a_note_for_a_later_day_goes_out_in_that_days_first_round(app):
    """Choosing a day from the select schedules the note in that day's first round."""
    world = make_world(app, month_ahead=True)
    angel = next(iter(world.people))
    page = world.client(angel).get("/me/angel").text
    days = re.findall(r'<option value="(\d{4}-\d\d-\d\d)"', page)
    assert len(days) == 14
    day = days[2]
    assert send_note(world, angel, "Happy Thursday", when=day).status_code == 302
    note = only_kindness(app)
    start = datetime.fromisoformat(day).replace(hour=9)  # the default 09:00 UTC round
    assert start <= note.deliver_at < start + timedelta(hours=1)


def test_an_unknown_delivery_day_is_refused_and_keeps_the_text(app):
    """A day not offered in the select is refused; the note is not lost."""
    world = make_world(app, month_ahead=True)
    angel = next(iter(world.people))
    response = send_note(world, angel, "Keep me please", when="1999-01-01")
    assert response.status_code == 400
    assert "Keep me please" in response.text
    with app.app_context():
        assert db.session.execute(select(func.count(Kindness.id))).scalar_one() == 0


def test_cancel_before_delivery_and_refused_after(app):
    """A scheduled note can be cancelled and never arrives; a delivered one cannot be, and the
    angel is told why."""
    world = make_world(app, month_ahead=True)
    angel = next(iter(world.people))
    mortal = world.mortal_of[angel]
    send_note(world, angel, "Changed my mind")
    note = only_kindness(app)
    response = world.client(angel).post(f"/me/angel/{note.public_id}/cancel", follow_redirects=True)
    assert response.status_code == 200 and "Cancelled." in response.text
    assert tick(app, note.deliver_at + timedelta(days=3)).delivered == 0
    assert "Changed my mind" not in world.client(mortal).get("/me/inbox").text
    assert mails(app, "kindness-arrived") == []

    send_note(world, angel, "This one stays")
    with app.app_context():
        kept = db.session.execute(
            select(Kindness).where(Kindness.state == "scheduled")
        ).scalar_one()
        kept_id, deliver_at = kept.public_id, kept.deliver_at
    tick(app, deliver_at)
    response = world.client(angel).post(f"/me/angel/{kept_id}/cancel", follow_redirects=True)
    assert "That kindness has already been delivered, so it cannot be cancelled." in response.text
    with app.app_context():
        assert (
            db.session.execute(
                select(Kindness.state).where(Kindness.public_id == kept_id)
            ).scalar_one()
            == "delivered"
        )
    assert "This one stays" in world.client(mortal).get("/me/inbox").text


@config(KINDNESS_DAILY_LIMIT=2)
def test_daily_limit_refuses_the_third_note_and_keeps_the_text(app):
    """The third note of the day is refused with a clear message, the typed text stays in the
    form; cancelled notes don't count."""
    world = make_world(app, month_ahead=True)
    angel = next(iter(world.people))
    assert send_note(world, angel, "first").status_code == 302
    assert send_note(world, angel, "second").status_code == 302
    response = send_note(world, angel, "third, typed with care")
    assert response.status_code == 400
    assert "You have sent 2 kindnesses today, the daily limit." in response.text
    assert "third, typed with care</textarea>" in response.text
    refused = world.client(angel).post(
        "/me/angel/in-person", data={"instruction": "a flower", "drop_off": "0"}
    )
    assert refused.status_code == 400 and "the daily limit" in refused.text
    with app.app_context():
        assert db.session.execute(select(func.count(Kindness.id))).scalar_one() == 2
        first = db.session.execute(select(Kindness).where(Kindness.message == "first")).scalar_one()
        first_id = first.public_id
    world.client(angel).post(f"/me/angel/{first_id}/cancel")
    assert send_note(world, angel, "third, typed with care").status_code == 302


def test_too_long_and_empty_notes_are_refused(app):
    """A note over NOTE_MAX_LENGTH is refused naming the limit (text kept); an empty or
    blank note is refused; nothing is stored."""
    world = make_world(app, month_ahead=True)
    angel = next(iter(world.people))
    limit = app.config["NOTE_MAX_LENGTH"]
    long_text = "x" * (limit + 1)
    response = send_note(world, angel, long_text)
    assert response.status_code == 400
    assert f"The note is {limit + 1} characters; the limit is {limit}." in response.text
    assert long_text in response.text
    for blank in ("", "   \r\n  "):
        response = send_note(world, angel, blank)
        assert response.status_code == 400
        assert "This field is required." in response.text
    assert send_note(world, angel, "y" * limit).status_code == 302
    with app.app_context():
        assert db.session.execute(select(func.count(Kindness.id))).scalar_one() == 1


# --- in person -------------------------------------------------------------------------------


def test_in_person_kindness_through_a_courier_who_never_sees_the_sender(app):
    """The angel first leaves the item and marks it left; only then is a courier drawn, and
    the offer reaches them (page and email) in a later round, its deadline counted from
    there. The offer names the recipient; the place, code and what to do show only once
    accepted — never the sender. Done puts it in the mortal's inbox and mails the mortal."""
    world = make_world(app, month_ahead=True)
    angel = next(iter(world.people))
    mortal = world.mortal_of[angel]
    with app.app_context():
        setup.add_drop_off(db.session.get(Game, world.game_id), "Shelf by the kitchen")
        drop_off = db.session.execute(select(DropOffPoint.id)).scalar_one()
    response = world.client(angel).post(
        "/me/angel/in-person",
        data={
            "instruction": "Leave a tea bag on the desk",
            "message": "Mondays are better with you",
            "drop_off": str(drop_off),
        },
        follow_redirects=True,
    )
    item = only_kindness(app)
    assert (item.kind, item.state, item.drop_off_id) == ("in_person", "routing", drop_off)
    assert re.fullmatch(r"[A-Z2-9]{6}", item.claim_code)
    assert f"Now leave the item at Shelf by the kitchen, marked {item.claim_code}" in response.text
    assert "Waiting for you to leave it" in response.text
    # Nobody is asked before the item is at the shelf: no courier could wait there for it.
    assert requests_of(app, item.id) == [] and mails(app, "courier-request") == []

    left_at = utcnow()
    left = world.client(angel).post(f"/me/angel/{item.public_id}/left", follow_redirects=True)
    assert "A courier will be asked in the next delivery round." in left.text
    assert world.client(angel).post(f"/me/angel/{item.public_id}/left").status_code == 302
    [offer] = requests_of(app, item.id)
    courier = offer.courier_id
    assert offer.state == "offered" and courier != mortal
    assert offer.released_at >= left_at + timedelta(minutes=30)
    assert offer.expires_at == offer.released_at + timedelta(hours=24)

    [asked] = mails(app, "courier-request")
    assert asked.to_addr == world.email(courier)
    assert asked.next_attempt_at == offer.released_at
    body = asked.body_text + asked.body_html + asked.subject
    assert world.name(mortal) not in body and item.claim_code not in body
    if courier != angel:
        assert world.name(angel) not in body and world.email(angel) not in body

    assert items_markup(world.client(courier).get("/me/deliveries").text) == ""
    with time_machine.travel(offer.released_at + timedelta(minutes=1), tick=False):
        page = world.client(courier).get("/me/deliveries").text
        listing = items_markup(page)
        assert world.name(mortal) in listing
        assert (offer.expires_at.strftime("%a %-d %b %H:%M")) in listing
        for hidden in ("Leave a tea bag", "Mondays are better", "Shelf by", item.claim_code):
            assert hidden not in listing
        if courier != angel:
            assert world.name(angel) not in page and world.email(angel) not in page

        client = world.client(courier)
        assert client.post(f"/me/deliveries/{offer.public_id}/accept").status_code == 302
        listing = items_markup(client.get("/me/deliveries").text)
        for shown in (
            world.name(mortal),
            "Leave a tea bag on the desk",
            "Shelf by the kitchen",
            item.claim_code,
        ):
            assert shown in listing
        # The message is the angel's words to the mortal: it reaches the inbox, not the courier.
        assert "Mondays are better with you" not in listing
        assert world.name(angel) not in listing and world.email(angel) not in listing
        assert "Accepted by a courier" in world.client(angel).get("/me/angel").text
        done = client.post(f"/me/deliveries/{offer.public_id}/done", follow_redirects=True)
        assert "Delivered. Thank you for keeping the secret!" in done.text
        assert only_kindness(app).state == "delivered"

        inbox = world.client(mortal).get("/me/inbox").text
    assert "Your angel arranged a kindness for you" in inbox
    assert "Mondays are better with you" in inbox
    assert world.name(angel) not in inbox
    assert [m.to_addr for m in mails(app, "kindness-arrived")] == [world.email(mortal)]


@config(COURIER_MAX_TRIES=2)
def test_declines_reroute_then_undeliverable_then_sent_as_a_note(app):
    """A decline goes to a different courier; after COURIER_MAX_TRIES declines the angel is
    mailed that it's undeliverable and can send it as a note, which then arrives."""
    world = make_world(app, month_ahead=True)
    angel = next(iter(world.people))
    mortal = world.mortal_of[angel]
    world.client(angel).post(
        "/me/angel/in-person",
        data={"instruction": "Sing happy birthday", "message": "", "drop_off": "0"},
    )
    item = only_kindness(app)
    [first] = requests_of(app, item.id)
    with after_release():
        declined = world.client(first.courier_id).post(
            f"/me/deliveries/{first.public_id}/decline", follow_redirects=True
        )
        assert "another courier will be asked" in declined.text
        assert "Sing happy birthday" not in declined.text

        first_again, second = requests_of(app, item.id)
        assert first_again.state == "declined" and second.state == "offered"
        assert second.courier_id not in (first.courier_id, mortal)
        # The re-route, too, reaches its courier in a later round, never at the decline.
        assert second.released_at >= utcnow() + timedelta(minutes=30)
        late = world.client(first.courier_id).post(
            f"/me/deliveries/{first.public_id}/accept", follow_redirects=True
        )
        assert "This request is no longer open." in late.text
        assert [m.to_addr for m in mails(app, "courier-request")] == [
            world.email(first.courier_id),
            world.email(second.courier_id),
        ]
        with after_release():
            world.client(second.courier_id).post(f"/me/deliveries/{second.public_id}/decline")
            assert only_kindness(app).state == "undeliverable"
            assert len(requests_of(app, item.id)) == 2
            assert [m.to_addr for m in mails(app, "undeliverable")] == [world.email(angel)]

            page = world.client(angel).get("/me/angel").text
            assert "No courier could take it" in page and "Send it as a note instead" in page
            converted = world.client(angel).post(
                f"/me/angel/{item.public_id}/as-note", follow_redirects=True
            )
            assert "Sent as a note: it arrives in the" in converted.text
            note = only_kindness(app)
            assert (note.kind, note.state, note.message) == (
                "note",
                "scheduled",
                "Sing happy birthday",
            )
            tick(app, note.deliver_at)
            assert "Sing happy birthday" in world.client(mortal).get("/me/inbox").text


def test_with_everyone_else_opted_out_a_request_is_undeliverable_at_once(app):
    """If nobody but the recipient is in the courier pool, the angel is told at once — by the
    page and by email — and can send it as a note: nothing is silently dropped."""
    world = make_world(app, month_ahead=True)
    angel = next(iter(world.people))
    mortal = world.mortal_of[angel]
    for pid in world.others(mortal):
        response = world.client(pid).post(
            "/me/hints",
            data={
                "brightens": "",
                "favourite_treat": "",
                "avoid": "",
                "appreciated_by": "",
                "courier_opt_out": "y",
            },
        )
        assert response.status_code == 302
    with app.app_context():
        assert {
            p.id for p in db.session.execute(select(Participant)).scalars() if p.courier_opt_out
        } == set(world.others(mortal))
    response = world.client(angel).post(
        "/me/angel/in-person",
        data={"instruction": "Leave a flower", "message": "", "drop_off": "0"},
        follow_redirects=True,
    )
    assert "No courier is available right now. You can send it as a note instead." in response.text
    assert "Send it as a note instead" in response.text
    item = only_kindness(app)
    assert item.state == "undeliverable"
    assert requests_of(app, item.id) == []
    assert mails(app, "courier-request") == []
    assert [m.to_addr for m in mails(app, "undeliverable")] == [world.email(angel)]


def test_stale_offers_are_rerouted_once(app):
    """An offer not answered within COURIER_ACCEPT_HOURS expires at the next tick and goes to
    someone else; a second tick at the same moment changes nothing."""
    world = make_world(app, month_ahead=True)
    angel = next(iter(world.people))
    mortal = world.mortal_of[angel]
    start = datetime(2026, 12, 2, 10, 0)
    with app.app_context():
        item = notes.request_in_person(
            participant(world, angel), "Bring a biscuit", "", now=start, rng=random.Random(3)
        )
        item_id = item.id
    [first] = requests_of(app, item_id)
    hours = app.config["COURIER_ACCEPT_HOURS"]
    assert first.released_at >= start + timedelta(minutes=30)
    assert first.expires_at == first.released_at + timedelta(hours=hours)

    expiry = first.expires_at
    assert tick(app, expiry - timedelta(minutes=1)).rerouted == 0
    assert tick(app, expiry).rerouted == 1
    assert tick(app, expiry).rerouted == 0
    assert tick(app, expiry, seed=9).rerouted == 0

    expired, second = requests_of(app, item_id)
    assert expired.state == "expired" and second.state == "offered"
    assert second.courier_id not in (first.courier_id, mortal)
    assert second.released_at >= expiry + timedelta(minutes=30)
    assert second.expires_at == second.released_at + timedelta(hours=hours)
    assert len(mails(app, "courier-request")) == 2
    with time_machine.travel(second.released_at, tick=False):
        assert "Sing" not in world.client(first.courier_id).get("/me/deliveries").text
        assert world.name(mortal) in items_markup(
            world.client(second.courier_id).get("/me/deliveries").text
        )


def _couriers_asked(world, angel: int, opted_out) -> list[int]:
    """With `opted_out` out of courier duty, the courier first asked for each of 40 seeded
    in-person kindnesses from `angel` (each cancelled before the next)."""
    with world.app.app_context():
        for pid in opted_out:
            participant(world, pid).courier_opt_out = True
        db.session.commit()
        picked = []
        for seed in range(40):
            item = notes.request_in_person(
                participant(world, angel), "Leave a note", "", rng=random.Random(seed)
            )
            picked.append(
                db.session.execute(
                    select(CourierRequest.courier_id).where(CourierRequest.kindness_id == item.id)
                ).scalar_one()
            )
            notes.cancel(participant(world, angel), item.public_id)
    return picked


def test_opted_out_are_never_picked_and_the_sender_sometimes_is(app):
    """Over many seeded requests, opted-out participants never carry; the sender does, as
    often as it's their turn — so a delivery never crosses the sender off the suspects."""
    world = make_world(app, month_ahead=True)
    angel = next(iter(world.people))
    mortal = world.mortal_of[angel]
    opted_out = world.others(angel, mortal)[:2]
    picked = _couriers_asked(world, angel, opted_out)
    eligible = set(world.others(mortal, *opted_out))
    assert angel in eligible and len(eligible) == 2
    assert set(picked) == eligible
    assert 10 <= picked.count(angel) <= 30


def test_a_sender_who_opted_out_of_carrying_never_carries_even_their_own_kindness(app):
    """Opting out of courier duty means carrying nothing, one's own kindnesses included: if an
    opted-out person ever carried, they would be the sender."""
    world = make_world(app, month_ahead=True)
    angel = next(iter(world.people))
    mortal = world.mortal_of[angel]
    other = world.others(angel, mortal)[0]
    picked = _couriers_asked(world, angel, [angel, *world.others(angel, mortal, other)])
    assert set(picked) == {other}


def _first_courier(world: World, angel: int, wanted: int, start: datetime) -> None:
    """Send identical in-person kindnesses from `angel` (cancelling each) until `wanted` is
    the courier drawn, and keep that one."""
    for seed in range(200):
        item = notes.request_in_person(
            participant(world, angel),
            "Leave a card",
            "Well done!",
            now=start,
            rng=random.Random(seed),
        )
        courier = db.session.execute(
            select(CourierRequest.courier_id).where(CourierRequest.kindness_id == item.id)
        ).scalar_one()
        if courier == wanted:
            return
        notes.cancel(participant(world, angel), item.public_id)
    raise AssertionError(f"{wanted} was never drawn")


def test_a_sender_picked_as_courier_sees_the_request_like_anyone(app):
    """When the sender is their own courier, their deliveries page lists the request exactly as
    another courier's page lists an identical one (ids aside)."""
    world = make_world(app, month_ahead=True)
    angel = next(iter(world.people))
    mortal = world.mortal_of[angel]
    other = world.others(angel, mortal)[0]
    start = utcnow().replace(microsecond=0)
    with app.app_context():
        for pid in world.others(angel, mortal, other):
            participant(world, pid).courier_opt_out = True
        db.session.commit()
        _first_courier(world, angel, angel, start)
        _first_courier(world, angel, other, start)
    with after_release():
        own = world.client(angel).get("/me/deliveries").text
        theirs = world.client(other).get("/me/deliveries").text

    assert world.name(mortal) in items_markup(own) and "Accept" in items_markup(own)

    # Each offer's deadline is its own random release moment plus a day.
    def same_shape(html: str) -> str:
        # The deadline is on the game's clock, with "(Paris time)" where the game is not in UTC.
        return re.sub(
            r"\w{3} \d{1,2} \w{3} \d\d:\d\d( \([^)]* time\))?", "DEADLINE", normalised(html)
        )

    assert same_shape(items_markup(own)) == same_shape(items_markup(theirs))
    assert world.name(angel) not in items_markup(theirs)


# --- thanks and reports ----------------------------------------------------------------------


def _delivered_note(world: World, angel: int, text: str) -> Kindness:
    send_note(world, angel, text)
    with world.app.app_context():
        note = db.session.execute(select(Kindness).where(Kindness.message == text)).scalar_one()
        db.session.expunge(note)
    tick(world.app, note.deliver_at)
    return note


def test_thanks_reach_the_angel_once_and_the_mortal_never_sees_who(app):
    """The mortal's thanks shows on the angel's page and mails the angel; a second thanks for
    the same kindness is refused; no page of the mortal's names the angel."""
    world = make_world(app, month_ahead=True)
    angel = next(iter(world.people))
    mortal = world.mortal_of[angel]
    note = _delivered_note(world, angel, "You light up the room")
    client = world.client(mortal)
    response = client.post(
        f"/me/inbox/{note.public_id}/thanks",
        data={"message": "Thank you, this made my week"},
        follow_redirects=True,
    )
    assert "Your thanks is on its way to your angel." in response.text
    assert "You thanked your angel: “Thank you, this made my week”" in response.text
    # The angel sees it, and is emailed, only from a random moment of a later round.
    with app.app_context():
        released_at = db.session.execute(select(Thanks.released_at)).scalar_one()
    assert released_at >= utcnow() + timedelta(minutes=29)
    assert "Thank you, this made my week" not in world.client(angel).get("/me/angel").text
    with time_machine.travel(released_at, tick=False):
        assert "“Thank you, this made my week”" in world.client(angel).get("/me/angel").text
        # Quoted as the page's language quotes.
        reader = world.client(angel)
        reader.post("/me/language", data={"language": "fr"})
        assert "« Thank you, this made my week »" in reader.get("/me/angel").text
        reader.post("/me/language", data={"language": "en"})
    [mail] = mails(app, "thanks")
    assert mail.to_addr == world.email(angel)
    assert mail.next_attempt_at == released_at
    assert "Thank you, this made my week" in mail.body_text

    again = client.post(
        f"/me/inbox/{note.public_id}/thanks",
        data={"message": "Thanks again"},
        follow_redirects=True,
    )
    assert "You have already thanked your angel for this one." in again.text
    empty = client.post(
        f"/me/inbox/{note.public_id}/thanks", data={"message": ""}, follow_redirects=True
    )
    assert "Write a few words of thanks first" in empty.text
    with app.app_context():
        assert db.session.execute(select(func.count(Thanks.id))).scalar_one() == 1
    assert len(mails(app, "thanks")) == 1

    for path in PAGES:
        page = client.get(path).text
        assert world.name(angel) not in page and world.email(angel) not in page, path


def test_mortal_and_courier_can_report(app):
    """A mortal reports a kindness they received; a courier reports one they carry; both are
    stored for the organiser and the page says so."""
    world = make_world(app, month_ahead=True)
    angel = next(iter(world.people))
    mortal = world.mortal_of[angel]
    note = _delivered_note(world, angel, "A hurtful joke")
    response = world.client(mortal).post(
        f"/me/inbox/{note.public_id}/report", data={"reason": "Not funny"}, follow_redirects=True
    )
    assert "Thank you for telling us. The organiser will look at it." in response.text
    assert "You reported this." in response.text

    with app.app_context():
        item = notes.request_in_person(
            participant(world, angel), "Something odd", "", rng=random.Random(1)
        )
        offer = db.session.execute(
            select(CourierRequest).where(CourierRequest.kindness_id == item.id)
        ).scalar_one()
        courier, offer_id, item_id = offer.courier_id, offer.public_id, item.id
    too_long = "It feels unkind and pointed " * 40
    travel = after_release()
    travel.start()
    response = world.client(courier).post(
        f"/me/deliveries/{offer_id}/report", data={"reason": too_long}
    )
    assert response.status_code == 400
    assert f"A report can be up to 1000 characters; yours is {len(too_long)}." in response.text
    assert too_long in response.text  # kept in the box, ready to shorten
    assert world.name(angel) not in response.text and world.email(angel) not in response.text
    response = world.client(courier).post(
        f"/me/deliveries/{offer_id}/report", data={"reason": "Feels unkind"}, follow_redirects=True
    )
    assert "You reported this request." in response.text
    travel.stop()
    with app.app_context():
        reports = {
            (r.kindness_id, r.reporter_id, r.reason)
            for r in db.session.execute(select(Report)).scalars()
        }
    assert reports == {(note.id, mortal, "Not funny"), (item_id, courier, "Feels unkind")}


def test_nobody_can_act_on_someone_elses_kindness_or_request(app):
    """Thanking, reporting, cancelling, converting, accepting, declining or finishing anything
    that isn't yours is a 404 — as is a kindness not yet delivered — and changes nothing."""
    world = make_world(app, month_ahead=True)
    angel = next(iter(world.people))
    mortal = world.mortal_of[angel]
    delivered = _delivered_note(world, angel, "Delivered one")
    send_note(world, angel, "Still waiting")
    with app.app_context():
        waiting = db.session.execute(
            select(Kindness.public_id).where(Kindness.message == "Still waiting")
        ).scalar_one()
        item = notes.request_in_person(
            participant(world, angel), "Carry this", "", rng=random.Random(2)
        )
        offer = db.session.execute(
            select(CourierRequest).where(CourierRequest.kindness_id == item.id)
        ).scalar_one()
        courier, offer_id, item_id = offer.courier_id, offer.public_id, item.public_id
    stranger = next(p for p in world.others(angel, mortal, courier))

    def refused(pid, path, **data):
        response = world.client(pid).post(path, data=data)
        assert response.status_code == 404, (pid, path)
        assert world.name(angel) not in response.text

    for pid in (stranger, angel):
        refused(pid, f"/me/inbox/{delivered.public_id}/thanks", message="hi")
        refused(pid, f"/me/inbox/{delivered.public_id}/report", reason="hm")
    refused(mortal, f"/me/inbox/{waiting}/thanks", message="early")
    refused(mortal, f"/me/inbox/{waiting}/report", reason="early")
    for pid in (stranger, mortal):
        refused(pid, f"/me/angel/{waiting}/cancel")
        refused(pid, f"/me/angel/{item_id}/cancel")
        refused(pid, f"/me/angel/{item_id}/as-note")
    for pid in (stranger, mortal) + ((angel,) if courier != angel else ()):
        for step in ("accept", "decline", "done"):
            refused(pid, f"/me/deliveries/{offer_id}/{step}")
        refused(pid, f"/me/deliveries/{offer_id}/report", reason="nosy")
    refused(stranger, "/me/inbox/not-a-real-id/thanks", message="guess")
    refused(stranger, f"/me/deliveries/{offer_id}/steal")

    with app.app_context():
        assert db.session.execute(select(func.count(Thanks.id))).scalar_one() == 0
        assert db.session.execute(select(func.count(Report.id))).scalar_one() == 0
        states = dict(db.session.execute(select(Kindness.message, Kindness.state)).all())
        assert states == {"Delivered one": "delivered", "Still waiting": "scheduled", "": "routing"}
        assert (
            db.session.execute(
                select(CourierRequest.state).where(CourierRequest.public_id == offer_id)
            ).scalar_one()
            == "offered"
        )


# --- hints -----------------------------------------------------------------------------------


def test_hints_are_shown_only_to_the_angel_next_to_the_mortals_name(app):
    """A participant's hints appear on their angel's Mortal page under their name (escaped),
    and on no page of anyone else."""
    world = make_world(app, month_ahead=True)
    mortal = next(iter(world.people))
    angel = world.angel_of(mortal)
    hints = {
        "brightens": "Sunflowers & <b>jazz</b>\r\nLong walks",
        "favourite_treat": "Chai latte",
        "avoid": "Peanuts",
        "appreciated_by": "A hand-drawn limerick",
    }
    response = world.client(mortal).post("/me/hints", data=hints, follow_redirects=True)
    assert "Saved. Only your angel sees your hints." in response.text
    assert "Chai latte" in response.text  # their own form, filled in

    page = world.client(angel).get("/me/angel").text
    heading = page.index(f"What brightens {world.name(mortal)}")
    section_end = page.index("</section>", heading)
    for shown in (
        "Sunflowers &amp; &lt;b&gt;jazz&lt;/b&gt;\nLong walks",
        "Chai latte",
        "Peanuts",
        "A hand-drawn limerick",
    ):
        assert heading < page.index(shown) < section_end, shown
    assert "<b>jazz</b>" not in page

    for pid in world.people:
        for path in PAGES:
            if (pid, path) in ((angel, "/me/angel"), (mortal, "/me/hints")):
                continue
            text = world.client(pid).get(path).text
            for secret in ("Sunflowers", "Chai latte", "Peanuts", "hand-drawn limerick"):
                assert secret not in text, (world.name(pid), path, secret)


# --- what the mortal sees does not depend on who sent it -------------------------------------


def test_the_mortals_inbox_is_the_same_whoever_their_angel_is(app_config, tmp_path):
    """Two games with the same roster but different draws: the same note, at the same moment,
    to the same mortal gives byte-identical inbox pages and emails (ids and tokens aside)."""
    mortal_name = "Cressida Vance"
    sent_at = datetime(2026, 12, 2, 7, 15)
    seen = []
    for seed in range(1, 12):
        app = create_app(
            {**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / f'{seed}.db'}"}
        )
        try:
            world = make_world(app, seed=seed, month_ahead=True)
            mortal = next(p for p in world.people if world.name(p) == mortal_name)
            angel = world.angel_of(mortal)
            if seen and world.name(angel) in [s[0] for s in seen]:
                continue
            with app.app_context():
                note = notes.send_note(
                    participant(world, angel),
                    "Same words\nfor you",
                    now=sent_at,
                    rng=random.Random(5),
                )
                deliver_at = note.deliver_at
            tick(app, deliver_at)
            inbox = world.client(mortal).get("/me/inbox").text
            [mail] = mails(app, "kindness-arrived")
            body = re.sub(
                r'http://angels\.test/(?:p|prefs)/[^\s"<]+', "LINK", mail.body_text + mail.body_html
            )
            seen.append((world.name(angel), deliver_at, normalised(inbox), body, inbox))
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        if len(seen) == 2:
            break
    (angel_a, at_a, inbox_a, mail_a, raw_a), (angel_b, at_b, inbox_b, mail_b, raw_b) = seen
    assert angel_a != angel_b and at_a == at_b
    assert "Same words\nfor you" in inbox_a
    assert angel_a not in raw_a and angel_b not in raw_b
    assert inbox_a == inbox_b
    assert mail_a == mail_b


# --- periodic work ---------------------------------------------------------------------------


def _due_note(world: World, minutes_ago: int = 1) -> None:
    """A note whose delivery moment has passed, written straight into the database."""
    angel = next(iter(world.people))
    with world.app.app_context():
        db.session.add(
            Kindness(
                game_id=world.game_id,
                angel_id=angel,
                mortal_id=world.mortal_of[angel],
                kind="note",
                message="Arrived by itself",
                state="scheduled",
                deliver_at=utcnow() - timedelta(minutes=minutes_ago),
                round_label="Today, morning round",
            )
        )
        db.session.commit()


def test_flask_tick_prints_what_it_did(app, runner):
    """`flask tick` delivers due notes, re-routes stale offers and prints the counts; a second
    run finds nothing left to do."""
    world = make_world(app, month_ahead=True)
    _due_note(world)
    angel = next(iter(world.people))
    with app.app_context():
        notes.request_in_person(
            participant(world, angel),
            "Stale errand",
            "",
            # Long enough ago that its offer was released and has expired.
            now=utcnow() - timedelta(days=3),
            rng=random.Random(4),
        )
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "delivered 1, re-routed 1, reminders 0, nudges 0, digests 0, mail sent 0\n"
    )
    again = runner.invoke(args=["tick"])
    assert again.output == (
        "delivered 0, re-routed 0, reminders 0, nudges 0, digests 0, mail sent 0\n"
    )
    mortal = world.mortal_of[angel]
    assert "Arrived by itself" in world.client(mortal).get("/me/inbox").text


@config(AUTO_TICK=True, AUTO_TICK_SECONDS=0)
def test_auto_tick_delivers_a_due_note_on_a_page_load(app):
    """With AUTO_TICK on, loading any page does the periodic work: a due note is delivered."""
    world = make_world(app, month_ahead=True)
    angel = next(iter(world.people))
    mortal = world.mortal_of[angel]
    client = world.client(mortal)
    _due_note(world)
    assert only_kindness(app).state == "scheduled"
    # The page load starts the work in the background and does not wait for it.
    deadline = time.monotonic() + 10
    while only_kindness(app).state != "delivered" and time.monotonic() < deadline:
        client.get("/me")
        time.sleep(0.05)
    assert only_kindness(app).state == "delivered"
    assert "Arrived by itself" in client.get("/me/inbox").text
    assert [m.to_addr for m in mails(app, "kindness-arrived")] == [world.email(mortal)]
