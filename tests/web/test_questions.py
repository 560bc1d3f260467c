"""A wish list beside the hints, and questions to "my angel", driven through the real views.

A question reaches the angel, and its answer the mortal, only from a random moment of a later
delivery round; what the mortal sees never depends on who the angel is, on whether they are
muted or gone, or on when they answered; no page or email the mortal can reach names the angel.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta

import time_machine
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.domain.limits import LIMITS
from app.extensions import db
from app.models import OutboxMessage, Pairing, Participant, Question, utcnow
from app.services import circle, questions
from tests.helpers import emptied, make_world

# Every page a participant can open from their own page, but the guess page: it lists everyone
# who could be their angel, whoever that is.
PAGES = [
    "/me",
    "/me/inbox",
    "/me/angel",
    "/me/hints",
    "/me/rules",
    "/me/deliveries",
    "/me/preferences",
    "/me/journal",
]


def at(moment: datetime):
    """Freeze the clock at a naive-UTC moment."""
    return time_machine.travel(moment.replace(tzinfo=UTC), tick=False)


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


def the_question(app: Flask) -> Question:
    """The one question asked (a detached copy)."""
    with app.app_context():
        question = db.session.execute(select(Question)).scalar_one()
        db.session.expunge(question)
        return question


def test_the_wish_list_and_sizes_show_to_the_angel_only(app):
    world = make_world(app)
    mortal = world.ids[0]
    angel = world.angel_of(mortal)
    saved = world.client(mortal).post(
        "/me/hints",
        data={"wishes": "A yellow notebook\n\n  Lavender tea  \nA cactus", "sizes": "Gloves: M"},
        follow_redirects=True,
    )
    assert "Saved. Only your angel sees your hints." in saved.text
    give = world.client(angel).get("/me/angel").text
    for wish in ("A yellow notebook", "Lavender tea", "A cactus"):
        assert f"<li>{wish}</li>" in give
    assert "Gloves: M" in give
    for other in world.others(mortal, angel):
        assert "A yellow notebook" not in world.client(other).get("/me/angel").text


def test_a_wish_list_past_its_limits_is_refused_and_nothing_is_lost(app):
    world = make_world(app)
    mortal = world.ids[0]
    too_many = "\n".join(f"Wish {i}" for i in range(LIMITS.wishes_lines + 1))
    refused = world.client(mortal).post(
        "/me/hints", data={"wishes": too_many, "brightens": "Sunny days"}, follow_redirects=True
    )
    assert f"A wish list has up to {LIMITS.wishes_lines} wishes" in refused.text
    assert "Sunny days" in refused.text
    too_long = world.client(mortal).post(
        "/me/hints", data={"wishes": "x" * (LIMITS.wish + 1)}, follow_redirects=True
    )
    assert f"A wish can be up to {LIMITS.wish} characters" in too_long.text
    assert "<li>Wish 0</li>" not in world.client(world.angel_of(mortal)).get("/me/angel").text


def test_ask_a_round_answer_a_round_and_read_it(app):
    """The whole exchange: ask -> a later round -> the angel sees and answers -> a later round
    -> the mortal reads the answer; each side is emailed at that moment, and only then."""
    world = make_world(app, month_ahead=True)
    mortal = world.ids[0]
    angel = world.angel_of(mortal)
    asked = world.client(mortal).post(
        "/me/inbox/ask", data={"text": "Tea or coffee for you?"}, follow_redirects=True
    )
    assert "Your question is on its way" in asked.text
    assert "Waiting for your angel's answer." in asked.text
    question = the_question(app)
    assert question.released_at >= utcnow() + timedelta(minutes=29)
    assert "Tea or coffee for you?" not in world.client(angel).get("/me/angel").text
    [asked_mail] = mails(app, "question-asked")
    assert asked_mail.to_addr == world.email(angel)
    assert asked_mail.next_attempt_at == question.released_at
    assert world.name(mortal) not in asked_mail.body_text + asked_mail.subject

    with at(question.released_at):
        give = world.client(angel).get("/me/angel").text
        assert "Tea or coffee for you?" in give
        for other in world.others(angel):
            assert "Tea or coffee for you?" not in world.client(other).get("/me/angel").text
        answered = world.client(angel).post(
            f"/me/angel/question/{question.public_id}/answer",
            data={"text": "Coffee, always"},
            follow_redirects=True,
        )
        assert "Your answer is on its way" in answered.text
        assert "Tea or coffee for you?" not in answered.text
        assert "Coffee, always" not in world.client(mortal).get("/me/inbox").text

    question = the_question(app)
    assert question.answer_released_at >= question.released_at + timedelta(minutes=29)
    [answered_mail] = mails(app, "question-answered")
    assert answered_mail.to_addr == world.email(mortal)
    assert answered_mail.next_attempt_at == question.answer_released_at
    assert world.name(angel) not in answered_mail.body_text + answered_mail.subject
    with at(question.answer_released_at - timedelta(seconds=1)):
        assert "Coffee, always" not in world.client(mortal).get("/me/inbox").text
    with at(question.answer_released_at):
        inbox = world.client(mortal).get("/me/inbox").text
        assert "Coffee, always" in inbox
        assert "Your angel answered" in inbox


def test_one_question_a_day_whoever_the_angel_is(app):
    """The daily limit counts only the mortal's own questions; a muted angel changes nothing
    the mortal sees, and a second question the same day is refused."""
    world = make_world(app, month_ahead=True)
    mortal = world.ids[0]
    angel = world.angel_of(mortal)
    with app.app_context():
        db.session.get(Participant, angel).muted = True
        db.session.commit()
    first = world.client(mortal).post(
        "/me/inbox/ask", data={"text": "Favourite colour?"}, follow_redirects=True
    )
    assert "Your question is on its way" in first.text
    second = world.client(mortal).post(
        "/me/inbox/ask", data={"text": "And your favourite song?"}, follow_redirects=True
    )
    assert "You can ask your angel 1 question a day." in second.text
    assert "You have asked your angel a question today." in second.text
    # The muted angel is not emailed (they could not answer) and cannot answer.
    assert mails(app, "question-asked") == []
    question = the_question(app)
    with at(question.released_at):
        refused = world.client(angel).post(
            f"/me/angel/question/{question.public_id}/answer",
            data={"text": "Blue"},
            follow_redirects=True,
        )
        assert "The organiser has stopped you" in refused.text
    assert the_question(app).answer is None
    tomorrow = utcnow() + timedelta(days=1)
    with at(tomorrow):
        again = world.client(mortal).post(
            "/me/inbox/ask", data={"text": "And your favourite song?"}, follow_redirects=True
        )
        assert "Your question is on its way" in again.text


def test_an_answer_on_its_way_changes_nothing_the_mortal_sees(app):
    """Between the angel's answer and its release the mortal's inbox is byte for byte what it
    was before the angel answered: no page tells when the angel acted."""
    world = make_world(app, month_ahead=True)
    mortal = world.ids[0]
    angel = world.angel_of(mortal)
    world.client(mortal).post("/me/inbox/ask", data={"text": "Cats or dogs?"})
    question = the_question(app)
    moment = question.released_at + timedelta(minutes=5)
    with at(moment):
        world.client(mortal).get("/me/inbox")  # shows and clears any message first
        before = world.client(mortal).get("/me/inbox").text
        world.client(angel).post(
            f"/me/angel/question/{question.public_id}/answer", data={"text": "Cats"}
        )
        world.client(angel).get("/me/angel")
        after = world.client(mortal).get("/me/inbox").text
    assert after == before


def test_a_new_angel_after_a_roster_change_finds_the_open_question(app):
    world = make_world(app, month_ahead=True)
    mortal = world.ids[0]
    old_angel = world.angel_of(mortal)
    world.client(mortal).post("/me/inbox/ask", data={"text": "Sweet or salty?"})
    question = the_question(app)
    with app.app_context():
        game_participant = db.session.get(Participant, old_angel)
        circle.withdraw(game_participant.game, game_participant)
        new_angel, paired_at = db.session.execute(
            select(Pairing.angel_id, Pairing.released_at).where(Pairing.mortal_id == mortal)
        ).one()
    assert new_angel != old_angel
    later = max(question.released_at, paired_at or question.released_at) + timedelta(minutes=1)
    with at(later):
        give = world.client(new_angel).get("/me/angel").text
        assert "Sweet or salty?" in give
        answered = world.client(new_angel).post(
            f"/me/angel/question/{question.public_id}/answer",
            data={"text": "Salty"},
            follow_redirects=True,
        )
        assert "Your answer is on its way" in answered.text
    # Only the mortal is named on the question: no column holds an angel.
    assert not {"angel_id", "answered_by", "answered_by_id"} & set(
        Question.__table__.columns.keys()
    )


def test_the_mortal_reports_an_answer_and_the_organiser_counts_only(app):
    world = make_world(app, month_ahead=True)
    mortal = world.ids[0]
    angel = world.angel_of(mortal)
    world.client(mortal).post("/me/inbox/ask", data={"text": "What should I bring?"})
    question = the_question(app)
    with at(question.released_at):
        world.client(angel).post(
            f"/me/angel/question/{question.public_id}/answer", data={"text": "Something rude"}
        )
    question = the_question(app)
    with at(question.answer_released_at):
        early = world.client(mortal).post(
            f"/me/inbox/question/{question.public_id}/report",
            data={"reason": ""},
            follow_redirects=True,
        )
        assert "Say briefly what was wrong" in early.text
        reported = world.client(mortal).post(
            f"/me/inbox/question/{question.public_id}/report",
            data={"reason": "That was unkind"},
            follow_redirects=True,
        )
        assert "Thank you for telling us." in reported.text
        assert "You reported this answer." in reported.text
        # Nobody else can report the mortal's answer.
        other = world.others(mortal)[0]
        stranger = world.client(other).post(
            f"/me/inbox/question/{question.public_id}/report",
            data={"reason": "Not mine"},
            follow_redirects=True,
        )
        assert "There is no answer to report here." in stranger.text
    with app.app_context():
        game = db.session.get(Participant, mortal).game
        assert questions.counts_for(game) == (1, 1, 1)
        game_id = game.id
    # The organiser's moderation page shows the reported answer and who reported it, never
    # who answered.
    page = world.fac.get(f"/games/{game_id}/moderation").text
    assert "Reported answers to questions" in page
    assert "What should I bring?" in page and "Something rude" in page
    assert "That was unkind" in page and world.people[mortal].name in page
    assert world.people[angel].name not in page and world.people[angel].email not in page


def test_a_question_cannot_be_answered_before_its_round_or_by_anyone_else(app):
    world = make_world(app, month_ahead=True)
    mortal = world.ids[0]
    angel = world.angel_of(mortal)
    world.client(mortal).post("/me/inbox/ask", data={"text": "Early bird?"})
    question = the_question(app)
    url = f"/me/angel/question/{question.public_id}/answer"
    early = world.client(angel).post(url, data={"text": "Yes"}, follow_redirects=True)
    assert "This question is no longer waiting for an answer." in early.text
    with at(question.released_at):
        for other in world.others(angel):
            refused = world.client(other).post(url, data={"text": "Me"}, follow_redirects=True)
            assert "This question is no longer waiting for an answer." in refused.text
    assert the_question(app).answer is None


# Names of one length from letters that no template word is made of, so that a name found on a
# page is that person (and not a longer name that starts with it).
_NAME = st.text(alphabet="QXZJKV" + string.digits, min_size=6, max_size=6).map(lambda s: "Zq" + s)


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(names=st.lists(_NAME, min_size=4, max_size=6, unique=True), seed=st.integers(1, 10_000))
def test_no_page_or_email_the_mortal_reaches_names_their_angel(app, names, seed):
    """Whatever the names, through a whole ask-answer-report exchange the mortal's pages and
    emails never hold their angel's name or address."""
    people = [(name, f"{name.lower()}@example.org") for name in names]
    with emptied(app):
        world = make_world(app, people, seed=seed, month_ahead=True)
        mortal = world.ids[0]
        angel = world.angel_of(mortal)
        secret = (world.name(angel), world.email(angel))
        seen = []
        client = world.client(mortal)
        seen.append(
            client.post("/me/inbox/ask", data={"text": "Any hobbies?"}, follow_redirects=True).text
        )
        question = the_question(app)
        with at(question.released_at):
            world.client(angel).post(
                f"/me/angel/question/{question.public_id}/answer",
                data={"text": "Knitting and chess"},
            )
        question = the_question(app)
        with at(question.answer_released_at):
            seen += [client.get(path).text for path in PAGES]
            seen.append(
                client.post(
                    f"/me/inbox/question/{question.public_id}/report",
                    data={"reason": "Just checking"},
                    follow_redirects=True,
                ).text
            )
        assert "Knitting and chess" in seen[-1]
        with app.app_context():
            for row in db.session.execute(
                select(OutboxMessage).where(OutboxMessage.to_addr == world.email(mortal))
            ).scalars():
                seen += [row.subject, row.body_text or "", row.body_html or ""]
        for text in seen:
            for word in secret:
                assert word not in text


def test_the_give_page_shows_the_questions_waiting_for_finds(app):
    """The Give page reads the questions an angel may answer with its visit (one query less);
    at each moment, for every angel, it lists exactly those `questions.waiting_for` finds,
    oldest first: none before their round, an answered one no more."""
    world = make_world(app, month_ahead=True)
    for number, mortal in enumerate(world.ids[:3]):
        world.client(mortal).post("/me/inbox/ask", data={"text": f"Question number {number}?"})
    with app.app_context():
        released = sorted(q.released_at for q in db.session.execute(select(Question)).scalars())
    answered = None
    listed = 0
    moments = [utcnow(), *(moment + timedelta(seconds=1) for moment in released)]
    for moment in [*moments, moments[-1] + timedelta(seconds=1)]:
        with at(moment):
            if moment == moments[-1] + timedelta(seconds=1):
                with app.app_context():
                    the_first = db.session.execute(select(Question).order_by(Question.id)).scalar()
                    answered = the_first.text
                    angel = db.session.get(Participant, world.angel_of(the_first.mortal_id))
                    questions.answer(angel, the_first.public_id, "Soon!", now=moment)
            for angel in world.ids:
                page = world.client(angel).get("/me/angel").text
                with app.app_context():
                    person = db.session.get(Participant, angel)
                    expected = [q.text for q in questions.waiting_for(person, now=moment)]
                shown = sorted(
                    (page.index(text), text)
                    for text in (f"Question number {n}?" for n in range(3))
                    if text in page
                )
                assert [text for _, text in shown] == expected, (moment, angel)
                listed += len(shown)
    # Each of the three shown to its angel at the three moments after its round, but one.
    assert listed >= 3
    assert answered is not None and all(
        answered not in world.client(a).get("/me/angel").text for a in world.ids
    )
