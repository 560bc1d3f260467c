"""A mortal's questions to "my angel", and the angel's answers, each released in a later round.

Who answers is never stored: a question names only the mortal who asked, and whoever is their
angel when it is read (through the pairing) sees it. So after a roster change the new angel
finds the open question waiting, and no row ties an answer to an angel. What the mortal is told
— that they may ask, that the question waits, the answer — depends only on what they did and
on release moments of later rounds, never on who the angel is, whether they are muted or gone,
or when they pressed Answer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time
from functools import cache

from flask import current_app
from flask_babel import ngettext
from sqlalchemy import DateTime, bindparam, func, select, update

from app.domain import delivery, release
from app.domain.limits import LIMITS
from app.extensions import db
from app.i18n import fast_gettext as _
from app.i18n import lazy_gettext as _l
from app.mail.messages import notify
from app.models import EmailPreference, Game, GameState, Pairing, Participant, Question, utcnow
from app.services import ServiceError, clean_text
from app.services.rounds import next_release, schedule_of

GONE = _l("This question is no longer waiting for an answer.")


@dataclass(frozen=True)
class AskedQuestion:
    """A question as the mortal who asked sees it: the answer only once it is released."""

    public_id: str
    text: str
    asked_at: datetime
    answer: str | None
    answer_released_at: datetime | None
    reported: bool


def _start_of_today(game: Game, now: datetime) -> datetime:
    """The naive-UTC moment today began on the game's clock."""
    schedule = schedule_of(game)
    today = delivery.local_date(now, schedule)
    start = datetime.combine(today, time(0), tzinfo=schedule.tz())
    return start.astimezone(delivery.UTC).replace(tzinfo=None)


def asked_today(mortal: Participant, now: datetime | None = None) -> int:
    """How many questions the mortal has asked today, on the game's clock."""
    now = now or utcnow()
    return db.session.execute(
        select(func.count(Question.id)).where(
            Question.mortal_id == mortal.id,
            Question.asked_at >= _start_of_today(mortal.game, now),
        )
    ).scalar_one()


def ask(
    mortal: Participant,
    text: str,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> Question:
    """Ask "my angel" a question. The angel sees it (and is emailed) from a random moment of a
    later round; the mortal is answered the same way whoever their angel is, or whether they
    have one right now (a muted angel, one who left and the circle being repaired)."""
    now = now or utcnow()
    if mortal.game.state != GameState.RUNNING:
        raise ServiceError(_("This game is not running, so questions cannot be asked now."))
    text = clean_text(text, "question", LIMITS.question)
    limit = current_app.config["QUESTION_DAILY_LIMIT"]
    if asked_today(mortal, now) >= limit:
        raise ServiceError(
            ngettext(
                "You can ask your angel %(num)d question a day. Ask the next one tomorrow.",
                "You can ask your angel %(num)d questions a day. Ask the next one tomorrow.",
                limit,
            )
        )
    at = next_release(mortal.game, now, rng).at
    question = Question(
        game_id=mortal.game_id, mortal_id=mortal.id, text=text, asked_at=now, released_at=at
    )
    db.session.add(question)
    _tell_angel(mortal, at)
    db.session.commit()
    return question


def _tell_angel(mortal: Participant, at: datetime) -> None:
    """Email the mortal's angel, at the question's release moment, that their mortal asked
    something — if the angel will by then know who their mortal is and can answer."""
    row = db.session.execute(
        select(Participant, Pairing.released_at)
        .join(Pairing, Pairing.angel_id == Participant.id)
        .where(Pairing.mortal_id == mortal.id)
    ).one_or_none()
    if row is None:
        return
    angel, paired_at = row
    if angel.muted or angel.email_preference != EmailPreference.EACH:
        return
    if release.is_released(paired_at, at):
        notify(angel, "question-asked", release_at=at)


def waiting_for(angel: Participant, now: datetime | None = None) -> list[Question]:
    """The questions the angel's current mortal (once the angel has been told of them) has
    asked and the angel may answer: released to the angel, not answered yet; oldest first.
    One query: the mortal is found through the pairing, as it stands now."""
    params = {"angel_id": angel.id, "now": now or utcnow()}
    return list(db.session.execute(_waiting_statement(), params).scalars())


def answerable(now):
    """Where a question of the pairing's mortal (Question joined to Pairing on the mortal) is
    one its angel may answer at `now`: the pairing released, the question released to the
    angel, not answered yet. `waiting_for` and the Give page's visit (`pages._visit_query`)
    both read it."""
    return (
        Pairing.released_at.is_(None) | (Pairing.released_at <= now),
        Question.released_at <= now,
        Question.answer.is_(None),
    )


@cache
def _waiting_statement():
    """`waiting_for`'s statement, built once per process (the Give page runs it on every
    visit; building it costs more than SQLite takes to run it)."""
    now = bindparam("now", type_=DateTime())
    return (
        select(Question)
        .join(Pairing, Pairing.mortal_id == Question.mortal_id)
        .where(Pairing.angel_id == bindparam("angel_id"), *answerable(now))
        .order_by(Question.asked_at, Question.id)
    )


def answer(
    angel: Participant,
    public_id: str,
    text: str,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> datetime:
    """Answer a question from the angel's mortal; the mortal sees it (and is emailed) from a
    random moment of a later round, which is returned."""
    now = now or utcnow()
    if angel.game.state != GameState.RUNNING:
        raise ServiceError(_("This game is not running, so questions cannot be answered now."))
    if angel.muted:
        raise ServiceError(_("The organiser has stopped you from sending kindnesses in this game."))
    question = next((q for q in waiting_for(angel, now) if q.public_id == public_id), None)
    if question is None:
        raise ServiceError(str(GONE))
    text = clean_text(text, "answer", LIMITS.answer)
    at = next_release(angel.game, now, rng).at
    # Claim it: of two answers at once (an old and a new angel), one is kept.
    claimed = db.session.execute(
        update(Question)
        .where(Question.id == question.id, Question.answer.is_(None))
        .values(answer=text, answered_at=now, answer_released_at=at)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise ServiceError(str(GONE))
    mortal = db.session.get(Participant, question.mortal_id)
    if mortal.email_preference == EmailPreference.EACH:
        notify(mortal, "question-answered", release_at=at)
    db.session.commit()
    return at


@dataclass(frozen=True)
class MortalQuestions:
    """The mortal's latest questions, newest first, and whether they may ask one now."""

    questions: list[AskedQuestion]
    may_ask: bool


def asked_rows() -> int:
    """How many of a mortal's latest questions `asked_by` reads: enough to count today's too."""
    return max(20, current_app.config["QUESTION_DAILY_LIMIT"])


def asked_by(
    mortal: Participant, now: datetime | None = None, rows: list[Question] | None = None
) -> MortalQuestions:
    """The mortal's latest questions (one query, or none when the caller read the latest
    `asked_rows()` already, newest first), each answered only once the answer is released
    to them: before that it is waiting, exactly as if nobody had answered yet."""
    now = now or utcnow()
    limit = current_app.config["QUESTION_DAILY_LIMIT"]
    if rows is None:
        rows = db.session.execute(
            select(Question)
            .where(Question.mortal_id == mortal.id)
            .order_by(Question.asked_at.desc(), Question.id.desc())
            .limit(asked_rows())
        ).scalars()
    shown = []
    for q in rows:
        released = q.answer is not None and release.is_released(q.answer_released_at, now)
        shown.append(
            AskedQuestion(
                q.public_id,
                q.text,
                q.asked_at,
                q.answer if released else None,
                q.answer_released_at if released else None,
                q.reported_at is not None,
            )
        )
    start = _start_of_today(mortal.game, now)
    today = sum(1 for q in shown if q.asked_at >= start)
    running = mortal.game.state == GameState.RUNNING
    return MortalQuestions(shown[:20], running and today < limit)


def report_answer(
    mortal: Participant, public_id: str, reason: str, now: datetime | None = None
) -> None:
    """Report an answer the mortal found hurtful; kept on the question for the organiser."""
    now = now or utcnow()
    reason = clean_text(reason, "reason", LIMITS.report_reason)
    question = db.session.execute(
        select(Question).where(Question.public_id == public_id, Question.mortal_id == mortal.id)
    ).scalar_one_or_none()
    if question is None or question.answer is None:
        raise ServiceError(_("There is no answer to report here."))
    if not release.is_released(question.answer_released_at, now):
        raise ServiceError(_("There is no answer to report here."))
    if question.reported_at is not None:
        raise ServiceError(_("You have already reported this answer."))
    question.reported_at, question.report_reason = now, reason
    db.session.commit()


@dataclass(frozen=True)
class ReportedAnswer:
    """A reported answer as the organiser sees it: the question, the answer, why and by whom
    (the mortal who asked). Who answered is never stored, so it is never shown."""

    question: str
    answer: str
    reason: str
    reported_at: datetime
    reporter: str


def reported_answers(game: Game) -> list[ReportedAnswer]:
    """The game's reported answers, newest report first, for the moderation page."""
    rows = db.session.execute(
        select(Question, Participant.name)
        .join(Participant, Participant.id == Question.mortal_id)
        .where(Question.game_id == game.id, Question.reported_at.is_not(None))
        .order_by(Question.reported_at.desc(), Question.id.desc())
        .limit(50)
    ).all()
    return [
        ReportedAnswer(q.text, q.answer or "", q.report_reason or "", q.reported_at, name)
        for q, name in rows
    ]


def counts_for(game: Game) -> tuple[int, int, int]:
    """(asked, answered, reported answers) in a game: the only figures an organiser may see."""
    return tuple(
        db.session.execute(
            select(
                func.count(Question.id),
                func.count(Question.answer),
                func.count(Question.reported_at),
            ).where(Question.game_id == game.id)
        ).one()
    )
