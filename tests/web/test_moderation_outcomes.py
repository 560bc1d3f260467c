"""Moderation that a class can follow: one explained form per action, the reporter shown to
the organiser (never the sender), the outcome told to the reporter in a later round, warned
and muted angels told on their own pages, and a new angel for whoever lost theirs to a mute.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.models import Kindness, OutboxMessage, Pairing, Participant, Report, utcnow
from tests.helpers import emptied, without_csrf
from tests.web.test_moderation import (
    MODERATION_MAIL,
    PEOPLE,
    build,
    delivered_note,
    mails,
    released,
    report_item,
    report_note,
    reported,
)

ACTIONS = ("dismiss", "hide", "warn", "mute", "reveal")


def outcome_at(app, report_id: int):
    with app.app_context():
        return db.session.get(Report, report_id).outcome_at


def warned_at(app, pid: int):
    with app.app_context():
        return db.session.get(Participant, pid).warned_at


def assert_no_sender(world, angel: int, *texts: str) -> None:
    """Neither the sender's name nor their address is in any of these texts."""
    for text in texts:
        low = html.unescape(text).lower()
        assert world.name(angel).lower() not in low
        assert world.email(angel).lower() not in low


# --- one form per action, each explained ----------------------------------------------------


def test_each_action_has_its_own_explained_form_and_box(app):
    world = build(app)
    angel = world.by_name("Desmond Yates")
    report_id, _ = reported(world, angel, "You are slow", "Hurtful")
    item = report_item(world.moderation(), report_id)
    for action in ACTIONS:
        path = f"/games/{world.game_id}/reports/{report_id}/{action}"
        assert f'action="{path}"' in item, action
        assert f'name="r{report_id}-{action}-text"' in item, action
    assert "Warning to send, or your reason" not in item
    # Each says what it does and who learns what; muting is explained.
    assert "Muting stops the sender sending any more notes or in-person kindnesses" in item
    assert "The sender is emailed your warning in the next delivery round" in item
    assert "The kindness disappears from its recipient's inbox" in item
    assert "Nothing changes." in item and "took no action" in item
    assert "You see the sender's name." in item
    assert_no_sender(world, angel, item)


def test_a_refused_warning_keeps_its_text_in_its_own_box_and_the_address_answers_get(app):
    world = build(app)
    angel = world.by_name("Cressida Vance")
    report_id, _ = reported(world, angel, "You never smile", "Felt judged")
    text = "Please be kinder. " * 200
    refused = world.act(report_id, "warn", text)
    assert refused.status_code == 400
    box = re.search(
        rf'<textarea[^>]*name="r{report_id}-warn-text"[^>]*>(.*?)</textarea>', refused.text, re.S
    )
    assert box and html.unescape(box.group(1)).strip() == text.strip()
    # The mute box beside it stays empty: each action has its own.
    mute = re.search(
        rf'<textarea[^>]*name="r{report_id}-mute-text"[^>]*>(.*?)</textarea>', refused.text, re.S
    )
    assert mute and mute.group(1).strip() == ""
    assert_no_sender(world, angel, refused.text)
    # Reloading the address (a GET) leads back to the report, never to a 405 page.
    for action in ACTIONS:
        again = world.fac.get(f"/games/{world.game_id}/reports/{report_id}/{action}")
        assert again.status_code == 302, action
        assert again.headers["Location"].endswith(
            f"/games/{world.game_id}/moderation#report-{report_id}"
        )
    assert world.fac.get(f"/games/{world.game_id}/reports/{report_id}/unmask").status_code == 404
    with app.app_context():
        assert db.session.get(Report, report_id).status == "open"


# --- the reporter, shown to the organiser; the sender, never -------------------------------


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    angel_index=st.integers(0, 4),
    reason=st.text("abcdefgh xyz<>&'\"", min_size=1, max_size=30).filter(str.strip),
    action=st.sampled_from(["dismiss", "hide", "warn", "mute"]),
    text=st.text("abcdefgh xyz", min_size=0, max_size=30),
)
def test_the_reporter_is_shown_and_the_sender_never_whatever_the_report(
    app, angel_index, reason, action, text
):
    """Whatever the report and whatever is done about it, the queue names the mortal who
    reported and neither the sender's name nor address appears on any moderation page or in
    any moderation email (to the sender, which names no mortal either)."""
    with emptied(app):
        world = build(app)
        angel = world.ids[angel_index]
        mortal = world.mortal_of[angel]
        report_id, _ = reported(world, angel, "A note", reason)
        before = world.moderation()
        assert f"<strong>Reported by:</strong> {world.name(mortal)}" in report_item(
            before, report_id
        )
        response = world.act(report_id, action, text or "Please be kind")
        pages = [before, response.text, world.moderation()]
        assert_no_sender(world, angel, *pages)
        for mail in mails(app, *MODERATION_MAIL):
            assert mail.participant_id == angel
            assert world.name(mortal) not in mail.body_text + mail.body_html + mail.subject


# --- the reporter hears the outcome, in a later round ----------------------------------------


def test_the_reporter_reads_the_outcome_only_from_its_release_moment(app):
    world = build(app)
    angel = world.by_name("Aurora Finch")
    mortal = world.mortal_of[angel]
    report_id, _ = reported(world, angel, "Mean words", "It hurt")
    assert world.act(report_id, "warn", "Please be gentle.").status_code == 302
    moment = outcome_at(app, report_id)
    assert moment is not None and moment > utcnow()
    home = world.client(mortal).get("/me").text
    assert "Your organiser looked at your report" not in home
    with released(moment - timedelta(seconds=1)):
        assert "Your organiser looked at your report" not in world.client(mortal).get("/me").text
    with released(moment + timedelta(seconds=1)):
        home = world.client(mortal).get("/me").text
    assert "Your organiser looked at your report of a note" in home
    assert "its sender was warned" in home
    assert_no_sender(world, angel, home)
    assert "Please be gentle." not in home  # the warning itself is for the sender only


def test_each_outcome_has_its_words_and_names_nobody(app):
    words = {
        "dismiss": "they took no action",
        "hide": "the kindness is hidden",
        "mute": "its sender can no longer send kindnesses",
        "reveal": "they took it further",
    }
    for action, said in words.items():
        with emptied(app):
            world = build(app)
            angel = world.by_name("Bartholomew Quill")
            mortal = world.mortal_of[angel]
            report_id, _ = reported(world, angel, "Mean words", "It hurt")
            text = "A serious matter that needs a talk." if action == "reveal" else ""
            assert world.act(report_id, action, text).status_code == 302
            with released(outcome_at(app, report_id) + timedelta(seconds=1)):
                home = world.client(mortal).get("/me").text
                others = [world.client(p).get("/me").text for p in world.others(mortal)]
            assert said in home, action
            assert_no_sender(world, angel, home)
            assert not [p for p in others if "Your organiser looked at your report" in p]


def test_a_hidden_note_can_no_longer_be_thanked(app):
    world = build(app)
    angel = world.by_name("Evangeline Pike")
    mortal = world.mortal_of[angel]
    report_id, note = reported(world, angel, "Unkind", "Hurt")
    assert world.act(report_id, "hide").status_code == 302
    inbox = world.client(mortal).get("/me/inbox").text
    assert note.public_id not in inbox
    response = world.client(mortal).post(
        f"/me/inbox/{note.public_id}/thanks", data={"message": "Thanks!"}, follow_redirects=True
    )
    assert "Your organiser hid this kindness, so there is no thanks to send." in response.text
    with app.app_context():
        assert (
            db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "thanks")).first()
            is None
        )


# --- warned and muted angels see it on their pages ------------------------------------------


def test_a_warned_angel_sees_a_calm_notice_on_home_and_give_from_the_release(app):
    world = build(app)
    angel = world.by_name("Desmond Yates")
    report_id, _ = reported(world, angel, "Grr", "Rude")
    assert world.act(report_id, "warn", "Keep notes friendly, please.").status_code == 302
    moment = warned_at(app, angel)
    assert moment is not None and moment > utcnow()
    assert "A word from your organiser" not in world.client(angel).get("/me").text
    with released(moment + timedelta(seconds=1)):
        home = world.client(angel).get("/me").text
        give = world.client(angel).get("/me/angel").text
    for page in (home, give):
        assert "A word from your organiser" in page
        assert "Keep notes friendly, please." in page
    assert 'name="message"' in give  # a warned angel goes on sending
    others = [world.client(p).get("/me").text for p in world.others(angel)]
    assert not [p for p in others if "A word from your organiser" in p]


def test_a_muted_angel_sees_the_mute_before_writing_with_no_form_and_no_idea(app):
    world = build(app)
    angel = world.by_name("Cressida Vance")
    report_id, _ = reported(world, angel, "Grr", "Rude")
    assert "Today's idea" in world.client(angel).get("/me/angel").text
    assert world.act(report_id, "mute", "").status_code == 302
    give = world.client(angel).get("/me/angel").text
    home = world.client(angel).get("/me").text
    assert "You can't send kindnesses any more" in give and "You can't send kindnesses" in home
    assert "Today's idea" not in give
    assert 'action="/me/angel/note"' not in give and 'action="/me/angel/in-person"' not in give
    assert "Send a kindness" not in home
    assert "You can still read your inbox" in give


# --- a new angel for whoever lost theirs -----------------------------------------------------


def _muted_world(app, seed: int = 1, sender: int = 0):
    world = build(app, seed=seed)
    angel = world.ids[sender]
    report_id, _ = reported(world, angel, "Grr", "Rude")
    assert world.act(report_id, "mute", "Stop").status_code == 302
    return world, angel


def test_the_organiser_is_told_how_many_lost_their_angel_and_can_give_a_new_one(app):
    world, angel = _muted_world(app)
    mortal = world.mortal_of[angel]
    page = world.moderation()
    assert "1 person has lost their angel's kindnesses" in page
    assert_no_sender(world, angel, page)
    game_pages = world.game_pages()
    response = world.fac.post(
        f"/games/{world.game_id}/moderation/new-angels", follow_redirects=True
    )
    assert "1 person gets a new angel." in response.text
    assert "lost their angel's kindnesses" not in response.text
    assert_no_sender(world, angel, response.text)
    # The roster and the game's page read the same as before: nobody is singled out.
    assert world.game_pages() == game_pages
    with app.app_context():
        cycle = dict(db.session.execute(select(Pairing.angel_id, Pairing.mortal_id)).all())
        changed = (
            db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "mortal-changed"))
            .scalars()
            .all()
        )
        muted = db.session.get(Participant, angel)
        assert muted.active and muted.muted
        now = utcnow()
        assert all(m.next_attempt_at > now for m in changed)  # told in a later round
        released_at = {
            a: r for a, r in db.session.execute(select(Pairing.angel_id, Pairing.released_at))
        }
    assert angel not in cycle and angel not in cycle.values()
    new_angel = next(a for a, m in cycle.items() if m == mortal)
    assert new_angel != angel
    assert sorted(cycle) == sorted(cycle.values())  # still one circle of the others
    assert len(changed) >= 2 and all(m.participant_id != angel for m in changed)
    assert released_at[new_angel] > utcnow()
    # The muted angel's pages say they are muted, not that names are yet to be drawn.
    home = world.client(angel).get("/me").text
    assert "Names have not been drawn yet" not in home
    assert "You can't send kindnesses any more" in home
    # Nothing more to do.
    again = world.fac.post(f"/games/{world.game_id}/moderation/new-angels", follow_redirects=True)
    assert "nothing to do" in again.text


def _after_new_angels(app, seed: int, sender: int) -> tuple[str, list[str]]:
    with emptied(app):
        world, angel = _muted_world(app, seed, sender)
        before = world.moderation()
        after = world.fac.post(
            f"/games/{world.game_id}/moderation/new-angels", follow_redirects=True
        ).text
        pages = [before, after, *world.game_pages()]
        return world.name(angel), [
            re.sub(
                r"\d{1,2} [A-Z][a-z]{2} \d{4}( \d\d:\d\d)?|report #\d+|report-\d+|r\d+-",
                "X",
                without_csrf(p),
            )
            for p in pages
        ]


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(1, 10_000))
def test_the_new_angel_offer_and_result_read_the_same_whoever_was_muted(app, seed):
    """The same roster and draw, a different muted sender: the organiser's offer, its answer
    and the game's pages read the same (names of reporters aside), so they tell her nothing
    about who was muted nor whose angel they were."""
    first_name, first = _after_new_angels(app, seed, 0)
    second_name, second = _after_new_angels(app, seed, 1)
    assert first_name != second_name
    names = {n for n, _ in PEOPLE}

    def masked(page: str) -> str:
        for n in names:
            page = page.replace(n, "NAME")
        return page

    # The reporter (the muted sender's mortal) differs, so names are masked on the queue.
    assert [masked(p) for p in first[:2]] == [masked(p) for p in second[:2]]
    assert first[2:] == second[2:]


def test_a_taken_out_angel_can_still_leave_and_the_circle_holds(app):
    world, angel = _muted_world(app)
    world.fac.post(f"/games/{world.game_id}/moderation/new-angels")
    response = world.client(angel).post("/me/leave", data={}, follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        assert not db.session.get(Participant, angel).active
        cycle = dict(db.session.execute(select(Pairing.angel_id, Pairing.mortal_id)).all())
        assert sorted(cycle) == sorted(cycle.values()) and angel not in cycle
        assert db.session.execute(select(Kindness.id)).first() is not None


def test_the_mortal_learns_nothing_of_the_mute_at_the_click(app):
    """The muted sender's mortal learns nothing from the organiser's click: beyond the usual
    "the circle has changed" (which, as for any leave, reaches at least three angels, not
    necessarily them), their pages read the same, and say nothing of mutes or new angels."""
    world, angel = _muted_world(app)
    mortal = world.mortal_of[angel]
    mission = re.compile(r'<section class="card mission".*?</section>', re.S)

    def seen() -> list[str]:
        pages = [world.client(mortal).get(p).text for p in ("/me", "/me/inbox")]
        return [mission.sub("", without_csrf(p)) for p in pages]

    before = seen()
    world.fac.post(f"/games/{world.game_id}/moderation/new-angels")
    after = seen()
    assert after == before
    for page in after:
        assert "mute" not in page.lower() and "new angel" not in page.lower()
        assert_no_sender(world, angel, page)


def test_another_note_after_the_report_is_unaffected_for_the_others(app):
    world = build(app)
    angel = world.by_name("Aurora Finch")
    other = world.by_name("Desmond Yates")
    report_id, _ = reported(world, angel, "Grr", "Rude")
    assert world.act(report_id, "mute", "").status_code == 302
    note = delivered_note(world, other, "A lovely day to you", seed=9)
    assert report_note(world, world.mortal_of[other], note, "Testing") > report_id
