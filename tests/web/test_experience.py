"""The participant's experience: ideas, gentle reminders and nudges, email preferences with
their one-click link, the private journal, and accessibility basics of every page.
"""

from __future__ import annotations

import html
import random
import re
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import (
    Game,
    GameIdea,
    JournalEntry,
    Kindness,
    OutboxMessage,
    Participant,
    utcnow,
)
from app.services import circle, ending, notes, periodic, setup
from tests.helpers import (
    DISTINCT_PEOPLE,
    World,
    follow_link,
    login,
    make_facilitator,
    make_game,
    make_running_game,
    make_world,
    without_csrf,
)

# Names and addresses that are not substrings of each other.
PEOPLE = DISTINCT_PEOPLE
PARTICIPANT_PAGES = [
    "/me",
    "/me/angel",
    "/me/inbox",
    "/me/deliveries",
    "/me/hints",
    "/me/journal",
    "/me/preferences",
    "/me/guess",
    "/me/rules",
]
PREFS_LINK = re.compile(r"http://angels\.test/prefs/([\w.\-]+)")
PRIVATE_LINK = re.compile(r"http://angels\.test(/p/[\w.\-]+)")


@pytest.fixture
def world(app) -> World:
    return make_world(app, seed=3, month_ahead=True)


def tick(app: Flask, now: datetime):
    with app.app_context():
        return periodic.tick(now=now, rng=random.Random(0))


def mails(app: Flask, kind: str | None = None, pid: int | None = None) -> list[SimpleNamespace]:
    """Outbox rows (plain copies), oldest first."""
    with app.app_context():
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        if pid:
            query = query.where(OutboxMessage.participant_id == pid)
        return [
            SimpleNamespace(
                kind=m.kind,
                to_addr=m.to_addr,
                participant_id=m.participant_id,
                text=m.body_text,
                html=html.unescape(m.body_html),
                raw_html=m.body_html,
                subject=m.subject,
            )
            for m in db.session.execute(query).scalars()
        ]


def note(app: Flask, angel: int, text: str, now: datetime) -> datetime:
    """An angel schedules a note at `now`; returns its delivery moment."""
    with app.app_context():
        sent = notes.send_note(
            db.session.get(Participant, angel), text, now=now, rng=random.Random(1)
        )
        return sent.deliver_at


def set_participant(app: Flask, pid: int, **values) -> None:
    with app.app_context():
        person = db.session.get(Participant, pid)
        for key, value in values.items():
            setattr(person, key, value)
        db.session.commit()


def prefs(world: World, pid: int, email_preference: str, reminders: bool = True):
    data = {"email_preference": email_preference}
    if reminders:
        data["reminders"] = "y"
    response = world.client(pid).post("/me/preferences", data=data)
    assert response.status_code == 302, response.text
    return response


def text_of(page: str) -> str:
    return html.unescape(page)


# Ideas ----------------------------------------------------------------------------------------


def textarea(page: str, name_or_id: str) -> str:
    """The content of the textarea with this id."""
    match = re.search(rf'<textarea[^>]*\bid="{name_or_id}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, f"no textarea #{name_or_id}"
    return html.unescape(match.group(1)).strip()


def test_the_angel_page_shows_todays_idea_with_a_use_this_idea_link(app, world):
    angel = world.ids[0]
    page = world.client(angel).get("/me/angel").text
    assert "Today's idea" in text_of(page)
    with app.app_context():
        suggestion = setup.suggestion_for(db.session.get(Participant, angel))
    assert suggestion.text in text_of(page)
    assert f"/me/angel?idea={suggestion.key}" in page
    # Stable all day: the page shows the same idea again.
    assert suggestion.text in text_of(world.client(angel).get("/me/angel").text)


def test_use_this_idea_fills_the_note_or_the_courier_instruction(app, world):
    angel = world.client(world.ids[0])
    with app.app_context():
        library = {idea.key: idea for idea in setup.ideas.LIBRARY}
    page = angel.get("/me/angel?idea=song").text
    assert textarea(page, "message") == library["song"].text
    assert textarea(page, "instruction") == ""

    page = angel.get("/me/angel?idea=flower").text
    assert textarea(page, "instruction") == library["flower"].text
    assert textarea(page, "message") == ""

    plain = without_csrf(angel.get("/me/angel").text)
    assert textarea(plain, "message") == "" and textarea(plain, "instruction") == ""
    for unknown in ("no-such-idea", "", "game-999999", "<script>"):
        response = angel.get("/me/angel", query_string={"idea": unknown})
        assert response.status_code == 200
        assert without_csrf(response.text) == plain


def test_the_facilitators_ideas_can_be_added_suggested_used_and_removed(app, world):
    fac = world.facilitator()
    text = "Bring in a board game for the Friday lunch break"
    response = fac.post(f"/games/{world.game_id}/ideas", data={"text": text})
    assert response.status_code == 302
    assert text in text_of(fac.get(f"/games/{world.game_id}").text)
    with app.app_context():
        idea_id = db.session.execute(select(GameIdea.id)).scalar_one()
        game = db.session.get(Game, world.game_id)
        assert f"game-{idea_id}" in {idea.key for idea in setup.ideas_of(game)}
        angel = db.session.get(Participant, world.ids[0])
        start = date(2026, 12, 1)
        suggested = {setup.suggestion_for(angel, start + timedelta(days=n)).key for n in range(300)}
        assert f"game-{idea_id}" in suggested

    page = world.client(world.ids[0]).get(f"/me/angel?idea=game-{idea_id}").text
    assert textarea(page, "message") == text

    # Empty ideas are refused with a message.
    response = fac.post(
        f"/games/{world.game_id}/ideas", data={"text": "   "}, follow_redirects=True
    )
    assert "Write the idea first" in text_of(response.text)
    with app.app_context():
        assert db.session.execute(select(func.count(GameIdea.id))).scalar_one() == 1

    # Another facilitator can neither add to nor remove from this game.
    other = app.test_client()
    with app.app_context():
        make_facilitator("Olga Other", "olga@example.org")
    login(other, "olga@example.org")
    assert other.post(f"/games/{world.game_id}/ideas", data={"text": "Mine"}).status_code == 404
    assert other.post(f"/games/{world.game_id}/ideas/{idea_id}/remove").status_code == 404
    with app.app_context():
        assert db.session.execute(select(func.count(GameIdea.id))).scalar_one() == 1

    assert fac.post(f"/games/{world.game_id}/ideas/{idea_id}/remove").status_code == 302
    with app.app_context():
        game = db.session.get(Game, world.game_id)
        assert f"game-{idea_id}" not in {idea.key for idea in setup.ideas_of(game)}
    assert text not in text_of(fac.get(f"/games/{world.game_id}").text)
    page = world.client(world.ids[0]).get(f"/me/angel?idea=game-{idea_id}").text
    assert textarea(page, "message") == ""
    assert fac.post(f"/games/{world.game_id}/ideas/{idea_id}/remove").status_code == 404


def test_an_idea_that_is_too_long_gets_a_message_about_its_length(app, world):
    response = world.facilitator().post(
        f"/games/{world.game_id}/ideas", data={"text": "x" * 301}, follow_redirects=True
    )
    page = text_of(response.text)
    assert "Write the idea first" not in page, "a 301-character idea is called empty"
    assert "300" in page


def test_an_idea_of_another_game_cannot_be_used(app, world):
    with app.app_context():
        other_fac = make_facilitator("Olga Other", "olga@example.org")
        other = make_running_game(other_fac, 3, seed=1)
        setup.add_game_idea(other, "Secret idea of another game")
        idea_id = db.session.execute(select(GameIdea.id)).scalar_one()
    page = world.client(world.ids[0]).get(f"/me/angel?idea=game-{idea_id}").text
    assert "Secret idea of another game" not in text_of(page)


def test_a_suggestion_respects_what_the_mortal_asked_to_avoid(app, world):
    angel = world.ids[0]
    mortal = world.mortal_of[angel]
    response = world.client(mortal).post(
        "/me/hints",
        data={"brightens": "I love flowers and gardening", "avoid": "pollen, flowers, garden"},
    )
    assert response.status_code == 302
    with app.app_context():
        person = db.session.get(Participant, angel)
        for n in range(60):
            idea = setup.suggestion_for(person, date(2026, 12, 1) + timedelta(days=n))
            assert idea.key not in {"flower", "cutting"}, idea


# Reminders ------------------------------------------------------------------------------------


def test_a_quiet_angel_gets_one_reminder_with_an_idea_and_then_another_after_the_gap(app, world):
    t0 = world.drawn_at
    assert tick(app, t0 + timedelta(days=2, hours=23)).reminded == 0
    assert mails(app, "reminder") == []

    first = t0 + timedelta(days=3, minutes=1)
    assert tick(app, first).reminded == 5
    reminders = mails(app, "reminder")
    assert sorted(m.participant_id for m in reminders) == world.ids
    with app.app_context():
        texts = {idea.text for idea in setup.ideas_of(db.session.get(Game, world.game_id))}
    for mail in reminders:
        angel = mail.participant_id
        assert mail.to_addr == world.people[angel].email
        mortal_name = world.name(world.mortal_of[angel])
        for body in (mail.text, mail.html):
            # A reminder never names the mortal (nor anyone else): the private page does.
            assert "your mortal" in body
            assert mortal_name not in body
            assert any(text in body for text in texts), body
            for other in world.others(angel):
                assert world.name(other) not in body, (angel, other)
                assert world.people[other].email not in body, (angel, other)
        assert world.name(world.angel_of(angel)) not in mail.text + mail.html
        # Its link opens the angel's own page, which names the mortal.
        [link] = set(PRIVATE_LINK.findall(mail.text))
        browser = app.test_client()
        assert follow_link(browser, link).status_code == 302
        assert mortal_name in html.unescape(browser.get("/me").text)

    # Again soon: nothing more.
    for later in (first + timedelta(minutes=5), first + timedelta(days=2, hours=23)):
        assert tick(app, later).reminded == 0
    assert len(mails(app, "reminder")) == 5

    # After REMINDER_GAP_DAYS more without sending: one more each.
    assert tick(app, first + timedelta(days=3, minutes=1)).reminded == 5
    assert tick(app, first + timedelta(days=3, minutes=2)).reminded == 0
    assert len(mails(app, "reminder")) == 10
    # The facilitator is not a participant and gets none.
    assert all(m.to_addr != "fran@example.org" for m in mails(app))


def test_an_angel_who_sent_recently_is_not_reminded(app, world):
    t0 = world.drawn_at
    busy = world.ids[1]
    note(app, busy, "You are wonderful", t0 + timedelta(days=2))
    tick(app, t0 + timedelta(days=3, minutes=1))
    reminded = {m.participant_id for m in mails(app, "reminder")}
    assert busy not in reminded
    assert reminded == set(world.ids) - {busy}
    # Three quiet days after that note, they get one too.
    tick(app, t0 + timedelta(days=5, hours=1))
    assert [m.participant_id for m in mails(app, "reminder")].count(busy) == 1


def test_reminders_turned_off_or_a_muted_angel_get_none(app, world):
    off, muted = world.ids[0], world.ids[2]
    page = world.client(off).get("/me/preferences").text
    assert re.search(
        r'<input[^>]*checked[^>]*name="reminders"|<input[^>]*name="reminders"[^>]*checked', page
    )
    prefs(world, off, "each", reminders=False)
    with app.app_context():
        assert db.session.get(Participant, off).reminders is False
    set_participant(app, muted, muted=True)
    tick(app, world.drawn_at + timedelta(days=3, minutes=1))
    tick(app, world.drawn_at + timedelta(days=9))
    reminded = [m.participant_id for m in mails(app, "reminder")]
    assert off not in reminded and muted not in reminded
    assert set(reminded) == set(world.ids) - {off, muted}

    # Turned back on: reminded at the next due moment.
    prefs(world, off, "each", reminders=True)
    tick(app, world.drawn_at + timedelta(days=9, minutes=5))
    assert [m.participant_id for m in mails(app, "reminder")].count(off) == 1


def test_a_late_joiner_is_not_reminded_as_soon_as_they_join(app, world):
    """A newcomer spliced into a game drawn days ago has not been quiet for three days."""

    with app.app_context():
        game = db.session.get(Game, world.game_id)
        game.drawn_at = utcnow() - timedelta(days=5)
        # The roster was built before that draw.
        db.session.execute(
            update(Participant)
            .where(Participant.game_id == world.game_id)
            .values(created_at=utcnow() - timedelta(days=6))
        )
        db.session.commit()
        reading = circle.add_late_joiners(
            game, "Zebedee Late <zlate@example.org>", random.Random(2)
        )
        assert reading.entries
        late = db.session.execute(
            select(Participant.id).where(Participant.email == "zlate@example.org")
        ).scalar_one()
    tick(app, utcnow() + timedelta(hours=1))
    reminded = {m.participant_id for m in mails(app, "reminder")}
    assert set(world.ids) <= reminded  # drawn five days ago, quiet since
    assert late not in reminded


def facilitator_pages(world: World) -> dict[str, str]:
    """The facilitator's pages, with CSRF tokens blanked (see without_csrf)."""
    fac = world.facilitator()
    pages = {}
    for path in (
        "/games",
        f"/games/{world.game_id}",
        f"/games/{world.game_id}/moderation",
        f"/games/{world.game_id}/dashboard",
    ):
        response = fac.get(path)
        if response.status_code == 404 and path.endswith("dashboard"):
            continue
        assert response.status_code == 200, path
        pages[path] = without_csrf(response.text)
    return pages


def test_facilitator_pages_do_not_show_who_was_reminded_or_nudged(app, world):
    angel = world.ids[0]
    deliver_at = note(app, angel, "Hello there", world.drawn_at)
    tick(app, deliver_at + timedelta(minutes=1))
    before = facilitator_pages(world)
    tick(app, world.drawn_at + timedelta(days=3, minutes=1))
    assert mails(app, "reminder") and mails(app, "nudge")
    after = facilitator_pages(world)
    assert before == after
    for page in after.values():
        assert "remind" not in page.lower() and "nudge" not in page.lower()


# Nudges ---------------------------------------------------------------------------------------


def test_an_unread_kindness_brings_one_nudge_until_the_inbox_is_opened(app, world):
    angel = world.ids[0]
    mortal = world.mortal_of[angel]
    deliver_at = note(app, angel, "A little something", world.drawn_at)
    tick(app, deliver_at + timedelta(minutes=1))
    tick(app, deliver_at + timedelta(days=1, hours=23))
    assert mails(app, "nudge") == []

    tick(app, deliver_at + timedelta(days=2, minutes=1))
    nudges = mails(app, "nudge")
    assert [m.participant_id for m in nudges] == [mortal]
    assert nudges[0].to_addr == world.people[mortal].email
    assert world.name(angel) not in nudges[0].text + nudges[0].html
    tick(app, deliver_at + timedelta(days=4))
    assert len(mails(app, "nudge")) == 1

    # Reading the inbox marks it read: no more nudges.
    assert "A little something" in world.client(mortal).get("/me/inbox").text
    tick(app, deliver_at + timedelta(days=8))
    assert len(mails(app, "nudge")) == 1


def test_no_nudge_for_someone_who_wants_no_email(app, world):
    angel = world.ids[0]
    mortal = world.mortal_of[angel]
    prefs(world, mortal, "none")
    deliver_at = note(app, angel, "A little something", world.drawn_at)
    tick(app, deliver_at + timedelta(minutes=1))
    tick(app, deliver_at + timedelta(days=3))
    assert mails(app, "nudge") == []


def test_no_nudge_once_read_before_the_nudge_was_due(app, world):
    angel = world.ids[0]
    mortal = world.mortal_of[angel]
    deliver_at = note(app, angel, "Read me early", world.drawn_at)
    tick(app, deliver_at + timedelta(minutes=1))
    world.client(mortal).get("/me/inbox")
    tick(app, deliver_at + timedelta(days=3))
    assert mails(app, "nudge") == []


# Email preferences ----------------------------------------------------------------------------


def test_preferences_page_saves_the_choice(app, world):
    pid = world.ids[0]
    page = world.client(pid).get("/me/preferences")
    assert page.status_code == 200
    for value in ("each", "digest", "none"):
        assert f'value="{value}"' in page.text
    prefs(world, pid, "digest", reminders=False)
    with app.app_context():
        person = db.session.get(Participant, pid)
        assert (person.email_preference, person.reminders) == ("digest", False)
    response = world.client(pid).post("/me/preferences", data={"email_preference": "loud"})
    assert response.status_code in (200, 302, 400)
    with app.app_context():
        assert db.session.get(Participant, pid).email_preference == "digest"


def test_each_means_one_email_per_delivery_round(app, world):
    angel = world.ids[0]
    mortal = world.mortal_of[angel]
    first = note(app, angel, "One", world.drawn_at)
    second = note(app, angel, "Two", world.drawn_at)
    tick(app, max(first, second) + timedelta(minutes=1))
    arrived = mails(app, "kindness-arrived")
    assert [m.participant_id for m in arrived] == [mortal]
    assert "One" not in arrived[0].text and "Two" not in arrived[0].text
    # The next round: another.
    third = note(app, angel, "Three", max(first, second) + timedelta(minutes=2))
    tick(app, third + timedelta(minutes=1))
    assert [m.participant_id for m in mails(app, "kindness-arrived")] == [mortal, mortal]


def _next_digest_hour(after: datetime) -> datetime:
    """The first 18:00 (DIGEST_HOUR, UTC games) strictly after `after`."""
    moment = after.replace(hour=18, minute=0, second=0, microsecond=0)
    return moment if moment > after else moment + timedelta(days=1)


def test_digest_readers_get_one_summary_a_day_and_only_when_something_new_came(app, world):
    """Digests go out at 18:00 in the game's zone with what arrived up to then — not at once."""
    angel = world.ids[0]
    mortal = world.mortal_of[angel]
    prefs(world, mortal, "digest")
    first = note(app, angel, "One", world.drawn_at)
    evening = _next_digest_hour(first)
    tick(app, first + timedelta(minutes=1))
    assert mails(app, "kindness-arrived") == []
    assert mails(app, "digest") == []  # arrived after the last 18:00: waits for the next
    tick(app, evening + timedelta(minutes=1))
    digests = mails(app, "digest")
    assert [m.participant_id for m in digests] == [mortal]
    assert "1 new kindness" in digests[0].text and "1 new kindness" in digests[0].html
    assert world.name(angel) not in digests[0].text + digests[0].html

    # Another kindness after that: nothing more until the next evening.
    second = note(app, angel, "Two", evening + timedelta(minutes=2))
    tick(app, second + timedelta(minutes=1))
    assert len(mails(app, "digest")) == 1
    assert mails(app, "kindness-arrived") == []
    next_evening = _next_digest_hour(second)
    tick(app, next_evening + timedelta(minutes=1))
    digests = mails(app, "digest")
    assert len(digests) == 2 and "1 new kindness" in digests[1].text

    # Nothing new: no digest the evening after.
    tick(app, next_evening + timedelta(days=1, minutes=1))
    assert len(mails(app, "digest")) == 2


def test_a_digest_reader_hears_of_thanks_in_the_digest_not_at_once(app, world):
    angel = world.ids[0]
    mortal = world.mortal_of[angel]
    prefs(world, angel, "digest")
    deliver_at = note(app, angel, "For you", world.drawn_at)
    tick(app, deliver_at + timedelta(minutes=1))
    with app.app_context():
        public_id = db.session.execute(select(Kindness.public_id)).scalar_one()
    response = world.client(mortal).post(
        f"/me/inbox/{public_id}/thanks", data={"message": "Thank you so much!"}
    )
    assert response.status_code == 302
    assert mails(app, "thanks") == []
    tick(app, _next_digest_hour(utcnow()) + timedelta(minutes=1))
    digests = mails(app, "digest", angel)
    assert len(digests) == 1
    assert "1 thank-you from your mortal" in digests[0].text
    assert "1 thank-you from your mortal" in digests[0].html


def test_none_means_no_kindness_thanks_or_digest_email_but_courier_requests_still_come(app, world):
    angel = world.ids[0]
    mortal = world.mortal_of[angel]
    prefs(world, angel, "none")
    prefs(world, mortal, "none")
    deliver_at = note(app, angel, "For you", world.drawn_at)
    tick(app, deliver_at + timedelta(minutes=1))
    with app.app_context():
        public_id = db.session.execute(select(Kindness.public_id)).scalar_one()
    world.client(mortal).post(f"/me/inbox/{public_id}/thanks", data={"message": "Thanks!"})
    tick(app, deliver_at + timedelta(days=1, minutes=2))
    for kind in ("kindness-arrived", "thanks", "digest", "nudge"):
        assert [m for m in mails(app, kind) if m.participant_id in (angel, mortal)] == [], kind

    # A courier who wants no email still gets asked by email. The only other possible courier
    # is the sender (who stays in the pool for their own kindnesses): with two requests, the
    # least-loaded choice gives the courier at least one.
    sender = world.angel_of(mortal)
    courier = next(p for p in world.ids if p not in (sender, mortal))
    prefs(world, courier, "none")
    for pid in world.ids:
        if pid != courier:
            set_participant(app, pid, courier_opt_out=True)
    for instruction in ("Leave a tea bag on the desk", "Leave a biscuit by the kettle"):
        response = world.client(sender).post(
            "/me/angel/in-person", data={"instruction": instruction}
        )
        assert response.status_code == 302
    requests = [m.participant_id for m in mails(app, "courier-request")]
    assert courier in requests and set(requests) <= {courier, sender}


def run_a_busy_game(app: Flask, world: World) -> None:
    """Invitations, arrivals, thanks, a digest, a courier request, reminders, nudges, the end."""
    a = world.ids[0]
    b = next(p for p in world.ids if p != a and world.mortal_of[p] != a)
    prefs(world, world.mortal_of[b], "digest")
    t = world.drawn_at
    da = note(app, a, "From a", t)
    db_ = note(app, b, "From b", t)
    tick(app, max(da, db_) + timedelta(minutes=1))
    with app.app_context():
        kid = db.session.execute(
            select(Kindness.public_id).where(Kindness.angel_id == a)
        ).scalar_one()
    thanked = world.client(world.mortal_of[a]).post(
        f"/me/inbox/{kid}/thanks", data={"message": "Ta!"}
    )
    assert thanked.status_code == 302
    asked = world.client(a).post("/me/angel/in-person", data={"instruction": "Leave a flower"})
    assert asked.status_code == 302
    tick(app, t + timedelta(days=3, minutes=5))
    with app.app_context():
        ending.end_game(db.session.get(Game, world.game_id))


def test_every_email_to_a_participant_carries_a_one_click_preferences_link(app, world):
    run_a_busy_game(app, world)
    rows = [m for m in mails(app) if m.participant_id is not None]
    kinds = {m.kind for m in rows}
    for kind in (
        "invitation",
        "kindness-arrived",
        "thanks",
        "digest",
        "courier-request",
        "reminder",
        "nudge",
        "game-ended",
    ):
        assert kind in kinds, kinds
    opened: dict[str, int] = {}
    for mail in rows:
        in_text = PREFS_LINK.findall(mail.text)
        in_html = PREFS_LINK.findall(mail.raw_html)
        assert in_text and in_html, (mail.kind, mail.text)
        assert set(in_text) == set(in_html), mail.kind
        opened[in_text[0]] = mail.participant_id
    for token, pid in opened.items():
        fresh = app.test_client()
        page = fresh.get(f"/prefs/{token}")
        assert page.status_code == 200
        assert "Email preferences" in page.text
        assert world.name(pid) in text_of(page.text)
        # Only the preferences: no mortal, no session, no way on to the participant's pages.
        assert world.name(world.mortal_of[pid]) not in text_of(page.text)
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert 'href="/me' not in page.text
        assert fresh.get("/me").status_code == 404
        assert fresh.get("/me/angel").status_code == 404


def test_the_preferences_link_opens_only_preferences_and_tampering_gets_the_friendly_page(
    app, world
):
    invitation = mails(app, "invitation", world.ids[0])[0]
    token = PREFS_LINK.search(invitation.text).group(1)
    page_link = re.search(r"http://angels\.test/p/([\w.\-]+)", invitation.text).group(1)
    # A preferences token is not a page link, and the other way round.
    assert app.test_client().get(f"/p/{token}").status_code == 404
    assert app.test_client().get(f"/prefs/{page_link}").status_code == 404
    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    for bad in (flipped, token[:-3], token + "x", "nonsense"):
        fresh = app.test_client()
        response = fresh.get(f"/prefs/{bad}")
        assert response.status_code == 404
        assert "This link doesn" in text_of(response.text)
        assert "Traceback" not in response.text
        for person in world.people.values():
            assert person.name not in text_of(response.text)
        assert fresh.get("/me/preferences").status_code == 404
    # A revoked link (new invitation) stops the old preferences link too.
    set_participant(app, world.ids[0], link_version=2)
    assert app.test_client().get(f"/prefs/{token}").status_code == 404


# Journal --------------------------------------------------------------------------------------

SECRET_VALUE = "Quixotic gentleness"
SECRET_DID = "Left zephyrine biscuits for the night shift"
SECRET_FELT = "Felt marmorescent and calm"


def write_journal(world: World, pid: int) -> None:
    client = world.client(pid)
    assert client.post("/me/journal/value", data={"value-value": SECRET_VALUE}).status_code == 302
    for day, did, felt in (
        ("2026-12-03", "Oldest entry text", ""),
        ("2026-12-05", SECRET_DID, SECRET_FELT),
        ("2026-12-04", "", "Middle entry feeling"),
    ):
        response = client.post(
            "/me/journal", data={"entry-day": day, "entry-did": did, "entry-felt": felt}
        )
        assert response.status_code == 302, response.text


def test_the_journal_keeps_a_value_and_dated_entries_newest_day_first(app, world):
    pid = world.ids[0]
    write_journal(world, pid)
    page = text_of(world.client(pid).get("/me/journal").text)
    assert SECRET_VALUE in page
    positions = [page.index(t) for t in (SECRET_DID, "Middle entry feeling", "Oldest entry text")]
    assert positions == sorted(positions)
    assert "Saturday 5 December" in page


def test_the_journal_downloads_as_markdown_and_text(app, world):
    pid = world.ids[0]
    write_journal(world, pid)
    for fmt, mimetype in (("md", "text/markdown"), ("txt", "text/plain")):
        response = world.client(pid).get(f"/me/journal.{fmt}")
        assert response.status_code == 200
        assert response.mimetype == mimetype
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert f"journal.{fmt}" in response.headers["Content-Disposition"]
        body = response.get_data(as_text=True)
        for text in (SECRET_VALUE, SECRET_DID, SECRET_FELT, "Oldest entry text"):
            assert text in body, (fmt, text)
    assert world.client(pid).get("/me/journal.md").text.startswith("# ")


def test_an_entry_can_be_deleted_and_an_empty_one_is_refused(app, world):
    pid = world.ids[0]
    write_journal(world, pid)
    client = world.client(pid)
    response = client.post(
        "/me/journal",
        data={"entry-day": "2026-12-06", "entry-did": "  ", "entry-felt": "\n"},
        follow_redirects=True,
    )
    assert "Write something first" in text_of(response.text)
    with app.app_context():
        assert db.session.execute(select(func.count(JournalEntry.id))).scalar_one() == 3
        entry_id = db.session.execute(
            select(JournalEntry.id).where(JournalEntry.did == SECRET_DID)
        ).scalar_one()
    assert client.post(f"/me/journal/{entry_id}/delete").status_code == 302
    assert SECRET_DID not in text_of(client.get("/me/journal").text)
    assert client.post(f"/me/journal/{entry_id}/delete").status_code == 404
    with app.app_context():
        assert db.session.execute(select(func.count(JournalEntry.id))).scalar_one() == 2


def test_a_value_that_is_too_long_is_refused_with_a_message(app, world):
    pid = world.ids[0]
    client = world.client(pid)
    assert client.post("/me/journal/value", data={"value-value": "Patience"}).status_code == 302
    assert "Patience" in client.get("/me/journal").text  # shows (and uses up) the first flash
    response = client.post(
        "/me/journal/value", data={"value-value": "Kindness " * 20}, follow_redirects=True
    )
    with app.app_context():
        assert db.session.get(Participant, pid).journal_value == "Patience"
    assert "flash-success" not in response.text, "a value that was not saved is reported Saved."
    assert "120" in response.text or "short" in response.text


def test_nobody_else_ever_sees_the_journal(app, world):
    author = world.ids[0]
    write_journal(world, author)
    with app.app_context():
        entry_ids = list(db.session.execute(select(JournalEntry.id)).scalars())
    secrets = (SECRET_VALUE, SECRET_DID, SECRET_FELT, "Oldest entry text")
    others = [world.angel_of(author), world.mortal_of[author]] + world.others(
        author, world.angel_of(author), world.mortal_of[author]
    )
    for pid in others:
        client = world.client(pid)
        for path in PARTICIPANT_PAGES + ["/me/journal.md", "/me/journal.txt"]:
            body = text_of(client.get(path).get_data(as_text=True))
            for secret in secrets:
                assert secret not in body, (pid, path)
        for entry_id in entry_ids:
            assert client.post(f"/me/journal/{entry_id}/delete").status_code == 404
    with app.app_context():
        assert db.session.execute(select(func.count(JournalEntry.id))).scalar_one() == 3
    for path, page in facilitator_pages(world).items():
        for secret in secrets:
            assert secret not in text_of(page), path
    for mail in mails(app):
        for secret in secrets:
            assert secret not in mail.text + mail.html


def test_ending_and_deleting_the_game_removes_every_journal_entry(app, world):
    write_journal(world, world.ids[0])
    write_journal(world, world.ids[3])
    with app.app_context():
        game = db.session.get(Game, world.game_id)
        ending.end_game(game)
        for mail in db.session.execute(select(OutboxMessage)).scalars():
            assert SECRET_DID not in mail.body_text
        ending.delete_game(db.session.get(Game, world.game_id))
    with app.app_context():
        assert db.session.execute(select(func.count(JournalEntry.id))).scalar_one() == 0
        assert db.session.execute(select(func.count(Participant.id))).scalar_one() == 0


# Accessibility basics -------------------------------------------------------------------------

VOID_INPUTS = {"hidden", "submit", "button", "reset", "image"}


# Scripts a page may load: small deferred files that only add to a page that works without
# them (the note box's "characters left" line, whose limit is the box's maxlength; the time
# zone picker preselecting the browser's zone, without which the field keeps its default).
# No inline script, nothing a page needs.
ENHANCEMENTS = {
    "/static/counter.js",
    "/static/timezone.js",
    "/static/copy_link.js",
    "/static/idea.js",
}


class PageCheck(HTMLParser):
    """Collects what the accessibility checks need from one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.viewport = False
        self.h1 = 0
        self.scripts = 0
        self.label_depth = 0
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, str | None, bool]] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "meta" and a.get("name") == "viewport":
            self.viewport = True
        elif tag == "h1":
            self.h1 += 1
        elif tag == "script" and not (
            a.get("src") in ENHANCEMENTS and "defer" in a and len(a) == 2
        ):
            self.scripts += 1
        elif tag == "label":
            self.label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea"):
            if tag == "input" and (a.get("type") or "text") in VOID_INPUTS:
                return
            if "hidden" in a:
                return
            self.controls.append((tag, a.get("id"), self.label_depth > 0))

    def handle_endtag(self, tag):
        if tag == "label" and self.label_depth:
            self.label_depth -= 1

    def problems(self) -> list[str]:
        found = []
        if not self.lang:
            found.append("no lang")
        if not self.viewport:
            found.append("no viewport")
        if self.h1 != 1:
            found.append(f"{self.h1} h1")
        if self.scripts:
            found.append("script tag")
        for tag, ident, wrapped in self.controls:
            if not wrapped and (not ident or ident not in self.label_for):
                found.append(f"unlabelled {tag}#{ident}")
        duplicates = {i for i in self.ids if self.ids.count(i) > 1}
        if duplicates:
            found.append(f"duplicate ids {sorted(duplicates)}")
        return found


def check_page(client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    parser = PageCheck()
    parser.feed(response.text)
    return [f"{path}: {problem}" for problem in parser.problems()]


def test_every_page_has_the_accessibility_basics_and_needs_no_javascript(app, world):
    # Content on the pages: an arrival, a courier request, a journal entry, a game idea.
    angel = world.ids[0]
    mortal = world.mortal_of[angel]
    deliver_at = note(app, angel, "Something to read", world.drawn_at)
    tick(app, deliver_at + timedelta(minutes=1))
    for pid in world.ids:
        if pid != world.ids[2]:
            set_participant(app, pid, courier_opt_out=True)
    # Two requests: the sender stays in the pool for their own, so the least-loaded choice
    # gives ids[2] at least one.
    for instruction in ("Leave a card", "Leave a flower"):
        world.client(world.angel_of(world.ids[2])).post(
            "/me/angel/in-person", data={"instruction": instruction}
        )
    write_journal(world, mortal)
    fac = world.facilitator()
    fac.post(f"/games/{world.game_id}/ideas", data={"text": "Bring in a board game"})

    problems = []
    for pid in (angel, mortal, world.ids[2]):
        client = world.client(pid)
        for path in PARTICIPANT_PAGES + ["/me/leave"]:
            problems += check_page(client, path)
    with app.app_context():
        other = make_running_game(db.session.get(Game, world.game_id).facilitator, 3, seed=2)
        second_running = other.id
        draft = make_game(db.session.get(Game, world.game_id).facilitator, 3, name="Draft")
        draft_id = draft.id
        first_person = (
            db.session.execute(select(Participant.id).where(Participant.game_id == draft_id))
            .scalars()
            .first()
        )
        ended = make_running_game(
            db.session.get(Game, world.game_id).facilitator, 3, seed=4, name="Ended"
        )
        ending.end_game(ended)
        ended_id = ended.id
    paths = [
        "/games",
        "/games/new",
        f"/games/{world.game_id}",
        f"/games/{world.game_id}/edit",
        f"/games/{world.game_id}/participants/{angel}",
        f"/games/{world.game_id}/moderation",
        f"/games/{world.game_id}/end",
        f"/games/{second_running}",
        f"/games/{draft_id}",
        f"/games/{draft_id}/participants/{first_person}",
        f"/games/{ended_id}",
        f"/games/{ended_id}/delete",
    ]
    if fac.get(f"/games/{world.game_id}/dashboard").status_code != 404:
        paths.append(f"/games/{world.game_id}/dashboard")
    for path in paths:
        problems += check_page(fac, path)
    anonymous = app.test_client()
    for path in ("/", "/login", "/signup"):
        problems += check_page(anonymous, path)
    assert problems == []
