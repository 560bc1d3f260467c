"""The gentle emails of the periodic work: one reminder of an unopened invitation, reminders
to angels, nudges to mortals, digests."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, case, exists, func, or_, select, update

from app.domain import delivery
from app.domain.states import EmailPreference, GameState, KindnessState
from app.extensions import db
from app.mail.messages import notify
from app.models import (
    Game,
    Kindness,
    OutboxMessage,
    OutboxStatus,
    Pairing,
    Participant,
    Thanks,
)
from app.services.rounds import release_moment, schedule_of
from app.services.setup import suggestion_for


def _resting_games(now: datetime) -> list[int]:
    """Running games that deliver on weekdays only and where it is the weekend now: nobody in
    them is reminded or nudged today."""
    return [
        game.id
        for game in db.session.execute(
            select(Game).where(
                Game.state == GameState.RUNNING,
                Game.delivery_days == delivery.DeliveryDays.WEEKDAYS,
            )
        ).scalars()
        if not delivery.delivers_on(
            schedule := schedule_of(game), delivery.local_date(now, schedule)
        )
    ]


def _claim(*conditions, **stamp) -> list[int]:
    """Stamp the participants matching `conditions` in one UPDATE and return their ids: a
    second tick running at once finds them stamped and sends nothing twice."""
    return list(
        db.session.execute(
            update(Participant)
            .where(*conditions)
            .values(**stamp)
            .returning(Participant.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )


def _people(ids: list[int]):
    """The claimed participants, in id order, read in one query."""
    return db.session.execute(
        select(Participant).where(Participant.id.in_(ids)).order_by(Participant.id)
    ).scalars()


def remind_unopened_invitations(now: datetime) -> int:
    """Once, to each player of a running game whose invitation was sent a while ago
    (INVITATION_REMINDER_AFTER_HOURS) and whose page has never been opened: their private
    link again, released in a delivery round like every other email.

    Never twice (the claim is one conditional UPDATE), never on a resting weekend, never to
    someone who turned reminders or email off. The facilitator is never told who was reminded;
    she sees only how many have not opened their page (the dashboard).
    """
    sent_before = now - timedelta(hours=current_app.config["INVITATION_REMINDER_AFTER_HOURS"])
    invited = exists().where(
        OutboxMessage.participant_id == Participant.id,
        OutboxMessage.kind == "invitation",
        OutboxMessage.status == OutboxStatus.SENT,
        OutboxMessage.sent_at <= sent_before,
    )
    due = (
        select(Participant.id)
        .join(Game, Game.id == Participant.game_id)
        .where(
            Game.state == GameState.RUNNING,
            Game.id.not_in(_resting_games(now)),
            Participant.active.is_(True),
            Participant.first_opened_at.is_(None),
            Participant.invite_reminded_at.is_(None),
            Participant.reminders.is_(True),
            Participant.email_preference != EmailPreference.NONE,
            invited,
        )
    )
    claimed = _claim(
        Participant.id.in_(due.scalar_subquery()),
        Participant.invite_reminded_at.is_(None),
        invite_reminded_at=now,
    )
    messages = [
        notify(
            person,
            "invitation-reminder",
            release_at=release_moment(person.game, "invitation-reminder", now=now),
        )
        for person in _people(claimed)
    ]
    db.session.commit()
    return len(messages)


def send_reminders(now: datetime) -> int:
    """One warm email to angels who have sent nothing for a while, with an idea.

    Never more than one every REMINDER_GAP_DAYS; only for people who keep reminders on.
    """
    config = current_app.config
    quiet_since = now - timedelta(days=config["REMINDER_AFTER_DAYS"])
    gap = now - timedelta(days=config["REMINDER_GAP_DAYS"])
    last_sent = (
        select(Kindness.angel_id, func.max(Kindness.created_at).label("at"))
        .group_by(Kindness.angel_id)
        .subquery()
    )
    due = (
        select(Participant.id)
        .join(Game, Game.id == Participant.game_id)
        .outerjoin(last_sent, last_sent.c.angel_id == Participant.id)
        .where(
            Game.state == GameState.RUNNING,
            Game.id.not_in(_resting_games(now)),
            Game.drawn_at <= quiet_since,
            Participant.active.is_(True),
            Participant.reminders.is_(True),
            Participant.email_preference != EmailPreference.NONE,
            Participant.muted.is_(False),
            # A late joiner has had no chance to be quiet for long yet.
            or_(Participant.created_at <= Game.drawn_at, Participant.created_at <= quiet_since),
            or_(last_sent.c.at.is_(None), last_sent.c.at <= quiet_since),
            or_(Participant.last_reminded_at.is_(None), Participant.last_reminded_at <= gap),
        )
    )
    claimed = _claim(
        Participant.id.in_(due.scalar_subquery()),
        or_(Participant.last_reminded_at.is_(None), Participant.last_reminded_at <= gap),
        last_reminded_at=now,
    )
    messages = []
    # Only angels who have a mortal; the email never names them (the page does).
    for person in db.session.execute(
        select(Participant)
        .join(Pairing, Pairing.angel_id == Participant.id)
        .where(Participant.id.in_(claimed))
        .order_by(Participant.id)
    ).scalars():
        messages.append(
            notify(
                person,
                "reminder",
                release_at=release_moment(person.game, "reminder"),
                idea=suggestion_for(person),
            )
        )
    db.session.commit()
    return len(messages)


def send_nudges(now: datetime) -> int:
    """A mortal with a kindness unread for NUDGE_AFTER_DAYS gets one nudge to look."""
    since = now - timedelta(days=current_app.config["NUDGE_AFTER_DAYS"])
    oldest_unread = (
        select(Kindness.mortal_id, func.min(Kindness.delivered_at).label("at"))
        .where(
            Kindness.state == KindnessState.DELIVERED,
            Kindness.read_at.is_(None),
            Kindness.hidden.is_(False),
        )
        .group_by(Kindness.mortal_id)
        .subquery()
    )
    due = (
        select(Participant.id)
        .join(oldest_unread, oldest_unread.c.mortal_id == Participant.id)
        .join(Game, Game.id == Participant.game_id)
        .where(
            Game.state == GameState.RUNNING,
            Game.id.not_in(_resting_games(now)),
            Participant.active.is_(True),
            Participant.email_preference != EmailPreference.NONE,
            oldest_unread.c.at <= since,
            or_(
                Participant.last_nudged_at.is_(None),
                Participant.last_nudged_at < oldest_unread.c.at,
            ),
        )
    )
    claimed = _claim(Participant.id.in_(due.scalar_subquery()), last_nudged_at=now)
    messages = [
        notify(
            person,
            "nudge",
            release_at=release_moment(person.game, "nudge"),
        )
        for person in _people(claimed)
    ]
    db.session.commit()
    return len(messages)


def _last_digest_moment(game_zone: str, now: datetime) -> datetime:
    """The most recent DIGEST_HOUR in the game's time zone at or before now (naive UTC)."""
    zone = ZoneInfo(game_zone or "UTC")
    local_now = now.replace(tzinfo=delivery.UTC).astimezone(zone)
    moment = local_now.replace(
        hour=current_app.config["DIGEST_HOUR"], minute=0, second=0, microsecond=0
    )
    if moment > local_now:
        moment -= timedelta(days=1)
    return moment.astimezone(delivery.UTC).replace(tzinfo=None)


def send_digests(now: datetime) -> int:
    """Once a day, at DIGEST_HOUR in the game's time zone, one email to each digest reader with
    what arrived for them up to that hour since their last digest (nothing new, no email)."""
    zones = db.session.execute(
        select(Game.id, Game.timezone).where(
            Game.state == GameState.RUNNING,
            Game.id.in_(
                select(Participant.game_id).where(
                    Participant.email_preference == EmailPreference.DIGEST
                )
            ),
        )
    ).all()
    if not zones:
        return 0
    # The latest digest moment of each game, as one SQL expression keyed by the game.
    moment = case(
        {game_id: _last_digest_moment(zone, now) for game_id, zone in zones},
        value=Participant.game_id,
    )
    since = func.coalesce(Participant.last_digest_at, Participant.created_at)
    arrived = (
        select(func.count(Kindness.id))
        .where(
            Kindness.mortal_id == Participant.id,
            Kindness.state == KindnessState.DELIVERED,
            Kindness.hidden.is_(False),
            Kindness.delivered_at > since,
            Kindness.delivered_at <= moment,
        )
        .correlate(Participant)
        .scalar_subquery()
    )
    thanked = (
        select(func.count(Thanks.id))
        .join(Kindness, Kindness.id == Thanks.kindness_id)
        .where(
            Kindness.angel_id == Participant.id,
            Thanks.created_at > since,
            Thanks.created_at <= moment,
        )
        .correlate(Participant)
        .scalar_subquery()
    )
    due = and_(
        Participant.active.is_(True),
        Participant.email_preference == EmailPreference.DIGEST,
        Participant.game_id.in_([game_id for game_id, _ in zones]),
        since < moment,
    )
    rows = db.session.execute(select(Participant.id, arrived, thanked).where(due)).all()
    wanted = {pid: (a, t) for pid, a, t in rows if a or t}
    if not wanted:
        return 0
    claimed = _claim(Participant.id.in_(list(wanted)), due, last_digest_at=moment)
    messages = [
        notify(
            person,
            "digest",
            release_at=release_moment(person.game, "digest"),
            arrived=wanted[person.id][0],
            thanked=wanted[person.id][1],
        )
        for person in _people(claimed)
    ]
    db.session.commit()
    return len(messages)
