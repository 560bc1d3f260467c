"""The participant's experience: ideas, gentle reminders, digests, preferences, the journal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, func, or_, select, update

from app.domain import delivery, ideas
from app.extensions import db
from app.models import (
    Game,
    GameIdea,
    Hint,
    JournalEntry,
    Kindness,
    Pairing,
    Participant,
    Thanks,
    utcnow,
)
from app.services import ServiceError, paging
from app.services.invitations import notify

EMAIL_PREFERENCES = ("each", "digest", "none")
VALUES = (
    "Kindness",
    "Patience",
    "Gratitude",
    "Courage",
    "Curiosity",
    "Generosity",
    "Honesty",
    "Presence",
    "Playfulness",
    "Compassion for myself",
)


# Ideas --------------------------------------------------------------------------------------


def ideas_of(game: Game) -> tuple[ideas.Idea, ...]:
    """The built-in library plus the facilitator's own ideas for this game."""
    own = db.session.execute(
        select(GameIdea).where(GameIdea.game_id == game.id).order_by(GameIdea.id)
    ).scalars()
    return ideas.LIBRARY + tuple(ideas.Idea(f"game-{idea.id}", idea.text, False) for idea in own)


def game_ideas(game: Game) -> list[GameIdea]:
    """The facilitator's own ideas."""
    return list(
        db.session.execute(
            select(GameIdea).where(GameIdea.game_id == game.id).order_by(GameIdea.id)
        ).scalars()
    )


def add_game_idea(game: Game, text: str) -> None:
    """Add an idea of the facilitator's for this game."""
    text = " ".join((text or "").split())
    if not text:
        raise ServiceError("Write the idea first.")
    if len(text) > 300:
        raise ServiceError("Keep an idea under 300 characters.")
    db.session.add(GameIdea(game_id=game.id, text=text))
    db.session.commit()


def remove_game_idea(game: Game, idea_id: int) -> bool:
    """Remove one of the game's own ideas."""
    idea = db.session.execute(
        select(GameIdea).where(GameIdea.id == idea_id, GameIdea.game_id == game.id)
    ).scalar_one_or_none()
    if idea is None:
        return False
    db.session.delete(idea)
    db.session.commit()
    return True


def _mortal_hints(angel: Participant) -> Hint | None:
    return db.session.execute(
        select(Hint)
        .join(Pairing, Pairing.mortal_id == Hint.participant_id)
        .where(Pairing.angel_id == angel.id)
    ).scalar_one_or_none()


def suggestion_for(
    angel: Participant, today: date | None = None, hint: Hint | None | bool = False
) -> ideas.Idea:
    """Today's idea for this angel, matched to their mortal's hints where possible (`hint`:
    those hints when the caller has them already, None for none)."""
    game = angel.game
    today = today or delivery.local_date(utcnow(), _schedule(game))
    hint = _mortal_hints(angel) if hint is False else hint
    # A blank, never-saved Hint (see kindness.mortal_hints) has None in its fields.
    said = (
        " ".join(filter(None, [hint.brightens, hint.favourite_treat, hint.appreciated_by]))
        if hint
        else ""
    )
    return ideas.idea_of_the_day(
        ideas_of(game), said, angel.public_id, today, avoid=(hint.avoid or "") if hint else ""
    )


def idea_by_key(game: Game, key: str) -> ideas.Idea | None:
    """An idea of this game by its key (for "Use this idea")."""
    if not key:
        return None
    return next((idea for idea in ideas_of(game) if idea.key == key), None)


def _schedule(game: Game) -> delivery.Schedule:
    from app.services.kindness import schedule_of

    return schedule_of(game)


# Preferences --------------------------------------------------------------------------------


def set_preferences(participant: Participant, email_preference: str, reminders: bool) -> None:
    """Store how a participant wants to hear from the game."""
    if email_preference not in EMAIL_PREFERENCES:
        raise ServiceError("Choose one of the email options.")
    participant.email_preference = email_preference
    participant.reminders = reminders
    db.session.commit()


# Periodic: reminders, nudges, digests ---------------------------------------------------------


def _resting_games(now: datetime) -> list[int]:
    """Running games that deliver on weekdays only and where it is the weekend now: nobody in
    them is reminded or nudged today."""
    return [
        game.id
        for game in db.session.execute(
            select(Game).where(
                Game.state == "running", Game.delivery_days == delivery.DeliveryDays.WEEKDAYS
            )
        ).scalars()
        if not delivery.delivers_on(_schedule(game), delivery.local_date(now, _schedule(game)))
    ]


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
            Game.state == "running",
            Game.id.not_in(_resting_games(now)),
            Game.drawn_at <= quiet_since,
            Participant.active.is_(True),
            Participant.reminders.is_(True),
            Participant.email_preference != "none",
            Participant.muted.is_(False),
            # A late joiner has had no chance to be quiet for long yet.
            or_(Participant.created_at <= Game.drawn_at, Participant.created_at <= quiet_since),
            or_(last_sent.c.at.is_(None), last_sent.c.at <= quiet_since),
            or_(Participant.last_reminded_at.is_(None), Participant.last_reminded_at <= gap),
        )
    )
    claimed = (
        db.session.execute(
            update(Participant)
            .where(
                Participant.id.in_(due.scalar_subquery()),
                or_(Participant.last_reminded_at.is_(None), Participant.last_reminded_at <= gap),
            )
            .values(last_reminded_at=now)
            .returning(Participant.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
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
                f"A small idea for {person.game.name}",
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
            Kindness.state == "delivered", Kindness.read_at.is_(None), Kindness.hidden.is_(False)
        )
        .group_by(Kindness.mortal_id)
        .subquery()
    )
    due = (
        select(Participant.id)
        .join(oldest_unread, oldest_unread.c.mortal_id == Participant.id)
        .join(Game, Game.id == Participant.game_id)
        .where(
            Game.state == "running",
            Game.id.not_in(_resting_games(now)),
            Participant.active.is_(True),
            Participant.email_preference != "none",
            oldest_unread.c.at <= since,
            or_(
                Participant.last_nudged_at.is_(None),
                Participant.last_nudged_at < oldest_unread.c.at,
            ),
        )
    )
    claimed = (
        db.session.execute(
            update(Participant)
            .where(Participant.id.in_(due.scalar_subquery()))
            .values(last_nudged_at=now)
            .returning(Participant.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    messages = [
        notify(person, "nudge", f"Something is waiting for you in {person.game.name}")
        for person in db.session.execute(
            select(Participant).where(Participant.id.in_(claimed)).order_by(Participant.id)
        ).scalars()
    ]
    db.session.commit()
    return len(messages)


def _last_digest_moment(game_zone: str, now: datetime) -> datetime:
    """The most recent DIGEST_HOUR in the game's time zone at or before now (naive UTC)."""
    from zoneinfo import ZoneInfo

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
            Game.state == "running",
            Game.id.in_(
                select(Participant.game_id).where(Participant.email_preference == "digest")
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
            Kindness.state == "delivered",
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
        Participant.email_preference == "digest",
        Participant.game_id.in_([game_id for game_id, _ in zones]),
        since < moment,
    )
    rows = db.session.execute(select(Participant.id, arrived, thanked).where(due)).all()
    wanted = {pid: (a, t) for pid, a, t in rows if a or t}
    if not wanted:
        return 0
    claimed = (
        db.session.execute(
            update(Participant)
            .where(Participant.id.in_(list(wanted)), due)
            .values(last_digest_at=moment)
            .returning(Participant.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    messages = [
        notify(
            person,
            "digest",
            f"Today in {person.game.name}",
            arrived=wanted[person.id][0],
            thanked=wanted[person.id][1],
        )
        for person in db.session.execute(
            select(Participant).where(Participant.id.in_(claimed)).order_by(Participant.id)
        ).scalars()
    ]
    db.session.commit()
    return len(messages)


# Journal ------------------------------------------------------------------------------------


def set_journal_value(participant: Participant, value: str) -> None:
    """The value the participant wants to live by during the game."""
    value = " ".join((value or "").split())
    if len(value) > 120:
        raise ServiceError("Keep the value short — a word or a few.")
    participant.journal_value = value
    db.session.commit()


def add_journal_entry(participant: Participant, day: date, did: str, felt: str) -> None:
    """A dated entry: what they did and how it felt. Only they can ever read it."""
    did, felt = (did or "").replace("\x00", "").strip(), (felt or "").replace("\x00", "").strip()
    if not did and not felt:
        raise ServiceError("Write something first — even a line is enough.")
    if len(did) > 4000 or len(felt) > 4000:
        raise ServiceError("Each part of an entry can be up to 4000 characters.")
    db.session.add(JournalEntry(participant_id=participant.id, day=day, did=did, felt=felt))
    db.session.commit()


def journal_of(participant: Participant) -> list[JournalEntry]:
    """The participant's own entries, newest day first."""
    return list(
        db.session.execute(
            select(JournalEntry)
            .where(JournalEntry.participant_id == participant.id)
            .order_by(JournalEntry.day.desc(), JournalEntry.id.desc())
        ).scalars()
    )


def journal_page(
    participant: Participant, before: str | None = None, after: str | None = None
) -> paging.Page:
    """One page of the participant's own entries, newest day first (one query)."""
    page = paging.keyset(
        select(JournalEntry).where(JournalEntry.participant_id == participant.id),
        JournalEntry.day,
        JournalEntry.id,
        lambda row: (row[0].day, row[0].id),
        before,
        after,
        kind=date,
    )
    return paging.Page([entry for (entry,) in page.items], page.older, page.newer)


def delete_journal_entry(participant: Participant, entry_id: int) -> bool:
    """Delete one of the participant's own entries."""
    entry = db.session.execute(
        select(JournalEntry).where(
            and_(JournalEntry.id == entry_id, JournalEntry.participant_id == participant.id)
        )
    ).scalar_one_or_none()
    if entry is None:
        return False
    db.session.delete(entry)
    db.session.commit()
    return True


@dataclass(frozen=True)
class JournalExport:
    """A download of the journal."""

    filename: str
    mimetype: str
    body: str


def export_journal(participant: Participant, markdown: bool) -> JournalExport:
    """The journal as Markdown or plain text, oldest entry first."""
    entries = list(reversed(journal_of(participant)))
    title = f"My journal — {participant.game.name}"
    lines = [f"# {title}" if markdown else title, ""]
    if participant.journal_value:
        lines += [f"Value I chose: {participant.journal_value}", ""]
    for entry in entries:
        heading = entry.day.strftime("%A %-d %B %Y")
        lines.append(f"## {heading}" if markdown else heading)
        if entry.did:
            lines += ["", ("**What I did:** " if markdown else "What I did: ") + entry.did]
        if entry.felt:
            lines += ["", ("**How it felt:** " if markdown else "How it felt: ") + entry.felt]
        lines.append("")
    ext = "md" if markdown else "txt"
    return JournalExport(
        f"journal.{ext}", "text/markdown" if markdown else "text/plain", "\n".join(lines)
    )
