"""Games: a facilitator creates, edits, finds them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import func, select

from app.domain import delivery, game_dates, roster
from app.domain.limits import LIMITS
from app.extensions import db
from app.i18n import DEFAULT_LANGUAGE, known_language
from app.i18n import fast_gettext as _
from app.models import Facilitator, Game, Participant
from app.services import ServiceError, as_sentence, translated


@dataclass(frozen=True)
class GameDetails:
    """What the facilitator types about a game."""

    name: str
    group_kind: str
    group_name: str
    starts_on: date
    ends_on: date
    welcome: str
    avoid_repeat_mortals: bool
    delivery_times: str = "09:00, 15:00"
    timezone: str = "UTC"
    delivery_days: str = "every"
    allow_self_join: bool = False
    reveal_at_end: bool = True
    # Optional, shown to everyone: a spending guide in the organiser's words, an exchange day.
    budget: str = ""
    exchange_on: date | None = None
    # The language of the invitations (and of each participant who has not chosen one).
    language: str = DEFAULT_LANGUAGE


def games_of(facilitator: Facilitator) -> list[tuple[Game, int]]:
    """The facilitator's games, newest first, each with its number of active participants."""
    counts = (
        select(Participant.game_id, func.count().label("n"))
        .where(Participant.active.is_(True))
        .group_by(Participant.game_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Game, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.game_id == Game.id)
        .where(Game.facilitator_id == facilitator.id)
        .order_by(Game.created_at.desc(), Game.id.desc())
    ).all()
    return [(game, n) for game, n in rows]


def game_for(facilitator: Facilitator, game_id: int) -> Game | None:
    """The game if this facilitator runs it; None otherwise (the view turns that into 404)."""
    return db.session.execute(
        select(Game).where(Game.id == game_id, Game.facilitator_id == facilitator.id)
    ).scalar_one_or_none()


def _check_details(details: GameDetails, was: tuple[date, date] | None = None) -> GameDetails:
    """Refuse impossible details; return them with times and zone in their canonical form.

    `was` is an edited game's current (start, end), which the date rule lets it keep.
    """
    name = roster.clean_name(details.name)  # no line breaks: the name goes into mail subjects
    if not name:
        raise ServiceError(_("Give the game a name."))
    budget = roster.clean_name(details.budget or "")  # one line: it goes into emails
    if len(budget) > LIMITS.budget:
        raise ServiceError(_("A budget can be up to %(max)d characters.", max=LIMITS.budget))
    details = replace(
        details,
        name=name,
        group_name=roster.clean_name(details.group_name or ""),
        budget=budget,
    )
    problems = game_dates.check(details.starts_on, details.ends_on, date.today(), was)
    if problems:
        raise ServiceError(translated(problems.starts_on or problems.ends_on))
    exchange = game_dates.exchange_problem(details.exchange_on, details.starts_on, details.ends_on)
    if exchange:
        raise ServiceError(translated(exchange))
    try:
        times = delivery.format_times(delivery.parse_times(details.delivery_times))
        zone = delivery.parse_zone(details.timezone)
        days = delivery.parse_days(details.delivery_days)
    except ValueError as exc:
        raise ServiceError(as_sentence(exc.args[0])) from None
    language = known_language(details.language)
    if language is None:
        raise ServiceError(_("Choose one of the languages offered."))
    return replace(
        details, delivery_times=times, timezone=zone, delivery_days=days.value, language=language
    )


def create_game(facilitator: Facilitator, details: GameDetails) -> Game:
    """Create a draft game for this facilitator."""
    details = _check_details(details)
    game = Game(facilitator_id=facilitator.id, **details.__dict__)
    db.session.add(game)
    db.session.commit()
    return game


def update_game(game: Game, details: GameDetails) -> None:
    """Change a game's details. Dates and text may change after the draw too."""
    details = _check_details(details, was=(game.starts_on, game.ends_on))
    for key, value in details.__dict__.items():
        setattr(game, key, value)
    db.session.commit()


def game_by_public_id(public_id: str) -> Game | None:
    """A game by its public page id."""
    return db.session.execute(select(Game).where(Game.public_id == public_id)).scalar_one_or_none()
