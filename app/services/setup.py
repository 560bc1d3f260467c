"""Setting a game up: its roster, exclusions, drop-off points, ideas."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from flask import current_app
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.domain import delivery, ideas, roster
from app.domain.collation import folded, sort_text
from app.domain.limits import COUNTS, LIMITS
from app.extensions import db
from app.i18n import fast_gettext as _
from app.i18n import lazy_gettext as _l
from app.models import (
    MAX_ID,
    DropOffPoint,
    Exclusion,
    Game,
    GameIdea,
    Hint,
    Pairing,
    Participant,
    new_public_id,
    utcnow,
)
from app.services import ServiceError, as_sentence
from app.services.rounds import schedule_of


def roster_keys(game: Game) -> set[str]:
    """Folded emails already on the roster."""
    return set(
        db.session.execute(
            select(Participant.email_key).where(Participant.game_id == game.id)
        ).scalars()
    )


# What a change to the roster is called in the refusal once names are drawn.
_AFTER_THE_DRAW = {
    "adding people": _l("Names have been drawn, so adding people is no longer possible here."),
    "editing people": _l("Names have been drawn, so editing people is no longer possible here."),
    "removing people": _l("Names have been drawn, so removing people is no longer possible here."),
    "changing exclusions": _l(
        "Names have been drawn, so changing exclusions is no longer possible here."
    ),
}


def _require_draft(game: Game, what: str) -> None:
    if not game.is_draft:
        raise ServiceError(str(_AFTER_THE_DRAW[what]))


def check_room(game: Game, newcomers: int) -> None:
    """Refuse to grow a game past MAX_ROSTER_SIZE people (leavers count: they keep a row)."""
    limit = current_app.config["MAX_ROSTER_SIZE"]
    current = db.session.execute(
        select(func.count()).select_from(Participant).where(Participant.game_id == game.id)
    ).scalar_one()
    if current + newcomers > limit:
        raise ServiceError(_("A game can have at most %(max)d participants.", max=limit))


def add_participants(game: Game, reading: roster.RosterReading) -> int:
    """Add the good entries of a roster reading; return how many were added."""
    _require_draft(game, "adding people")
    if not reading.entries:
        return 0
    check_room(game, len(reading.entries))
    try:
        # One INSERT sent with every row (executemany) on the table itself: no ORM object, no
        # per-row query; the rows were checked in Python by roster.read_*.
        db.session.execute(
            insert(Participant.__table__),
            [
                {
                    "game_id": game.id,
                    "public_id": new_public_id(),
                    "name": e.name,
                    "email": e.email,
                    "email_key": e.key,
                    "team": e.team or None,
                    "name_order": sort_text(e.name),
                    "name_folded": folded(e.name),
                }
                for e in reading.entries
            ],
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ServiceError(
            _("Someone else changed this roster at the same moment; please submit again.")
        ) from None
    return len(reading.entries)


def read_and_add(game: Game, text: str, csv_data: bytes | None) -> roster.RosterReading:
    """Read pasted text and/or a CSV upload against the roster and add the good lines."""
    reading = read_roster(game, text, csv_data)
    add_participants(game, reading)
    return reading


def read_roster(game: Game, text: str, csv_data: bytes | None) -> roster.RosterReading:
    """Read pasted text and/or a CSV upload against the game's roster (nothing is added)."""
    known = roster_keys(game)
    readings = []
    if text.strip():
        readings.append(roster.read_lines(text, known))
        known |= {e.key for e in readings[-1].entries}
    if csv_data:
        readings.append(roster.read_csv(csv_data, known))
    return roster.RosterReading(
        tuple(e for r in readings for e in r.entries),
        tuple(p for r in readings for p in r.problems),
    )


def participant_in(game: Game, participant_id: int) -> Participant | None:
    """A participant of this game, or None."""
    if not 0 < participant_id <= MAX_ID:
        return None
    return db.session.execute(
        select(Participant).where(Participant.id == participant_id, Participant.game_id == game.id)
    ).scalar_one_or_none()


def update_participant(
    game: Game, participant: Participant, name: str, email: str, team: str | None = None
) -> None:
    """Fix a participant's name or email, and set or clear their team ("" clears it; None
    leaves it as it is), before the draw."""
    _require_draft(game, "editing people")
    try:
        name = roster.check_name(name)
        email = roster.check_email(email)
        team = participant.team if team is None else roster.check_team(team) or None
    except ValueError as exc:
        raise ServiceError(as_sentence(exc.args[0])) from None
    key = roster.email_key(email)
    if key != participant.email_key and key in roster_keys(game):
        raise ServiceError(_("%(email)s is already on the roster.", email=email))
    participant.name, participant.email, participant.email_key = name, email, key
    participant.team = team
    db.session.commit()


def keep_teams_apart(game: Game, on: bool) -> None:
    """Turn on or off the rule that nobody draws someone from their own team (before the draw:
    the drawn circle already follows the rule it was drawn with)."""
    _require_draft(game, "changing exclusions")
    game.teams_apart = on
    db.session.commit()


def remove_participant(game: Game, participant: Participant) -> None:
    """Take someone off the roster before the draw, with their exclusions."""
    _require_draft(game, "removing people")
    db.session.execute(
        delete(Exclusion).where(
            (Exclusion.angel_id == participant.id) | (Exclusion.mortal_id == participant.id)
        )
    )
    db.session.delete(participant)
    db.session.commit()


def add_exclusion(game: Game, angel: Participant, mortal: Participant, both_ways: bool) -> None:
    """Forbid `angel` from drawing `mortal` (and the reverse when both_ways)."""
    _require_draft(game, "changing exclusions")
    if angel.id == mortal.id:
        raise ServiceError(_("Pick two different people."))
    existing = (
        db.session.execute(
            select(Exclusion).where(
                Exclusion.game_id == game.id,
                ((Exclusion.angel_id == angel.id) & (Exclusion.mortal_id == mortal.id))
                | ((Exclusion.angel_id == mortal.id) & (Exclusion.mortal_id == angel.id)),
            )
        )
        .scalars()
        .all()
    )
    for row in existing:
        if row.both_ways or (row.angel_id == angel.id and not both_ways):
            raise ServiceError(
                _(
                    "%(angel)s and %(mortal)s are already kept apart.",
                    angel=angel.name,
                    mortal=mortal.name,
                )
            )
    for row in existing:
        db.session.delete(row)  # a wider rule replaces a narrower one
    # Delete before inserting: the unit of work would otherwise insert first and trip the
    # unique (game, angel, mortal) constraint when the wider rule keeps the same direction.
    db.session.flush()
    db.session.add(
        Exclusion(game_id=game.id, angel_id=angel.id, mortal_id=mortal.id, both_ways=both_ways)
    )
    db.session.commit()


def remove_exclusion(game: Game, exclusion_id: int) -> bool:
    """Delete one of this game's exclusions; False if there was none."""
    _require_draft(game, "changing exclusions")
    result = db.session.execute(
        delete(Exclusion).where(Exclusion.id == exclusion_id, Exclusion.game_id == game.id)
    )
    db.session.commit()
    return result.rowcount == 1


def exclusions_of(game: Game) -> list[Exclusion]:
    """The game's exclusions with both people loaded."""
    return list(
        db.session.execute(
            select(Exclusion)
            .where(Exclusion.game_id == game.id)
            .options(joinedload(Exclusion.angel), joinedload(Exclusion.mortal))
            .order_by(Exclusion.id)
        ).scalars()
    )


def add_drop_off(game: Game, name: str) -> None:
    """Name a place where angels leave items for couriers."""
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(_("Name the pick-up spot, e.g. “Shelf by the kitchen”."))
    if len(name) > LIMITS.drop_off_name:
        raise ServiceError(_("Keep the name under %(max)d characters.", max=LIMITS.drop_off_name))
    active = db.session.scalar(
        select(func.count())
        .select_from(DropOffPoint)
        .where(DropOffPoint.game_id == game.id, DropOffPoint.active.is_(True))
    )
    if active >= COUNTS.drop_offs:
        raise ServiceError(
            _(
                "A game can have up to %(max)d pick-up spots. Remove one first.",
                max=COUNTS.drop_offs,
            )
        )
    db.session.add(DropOffPoint(game_id=game.id, name=name))
    db.session.commit()


def remove_drop_off(game: Game, point_id: int) -> bool:
    """Retire a drop-off point (kindnesses already using it keep its name)."""
    point = db.session.execute(
        select(DropOffPoint).where(DropOffPoint.id == point_id, DropOffPoint.game_id == game.id)
    ).scalar_one_or_none()
    if point is None:
        return False
    point.active = False
    db.session.commit()
    return True


def drop_off_points(game: Game) -> list[DropOffPoint]:
    """The game's active drop-off points."""
    return list(
        db.session.execute(
            select(DropOffPoint)
            .where(DropOffPoint.game_id == game.id, DropOffPoint.active.is_(True))
            .order_by(DropOffPoint.name, DropOffPoint.id)
        ).scalars()
    )


def ideas_of(game: Game, own: list[tuple[int, str]] | None = None) -> tuple[ideas.Idea, ...]:
    """The built-in library plus the facilitator's own ideas for this game (`own`: their
    (id, text) rows by id, when the caller has read them already)."""
    if own is None:
        own = db.session.execute(
            select(GameIdea.id, GameIdea.text)
            .where(GameIdea.game_id == game.id)
            .order_by(GameIdea.id)
        ).all()
    return ideas.LIBRARY + tuple(ideas.Idea(f"game-{i}", text, False) for i, text in own)


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
        raise ServiceError(_("Write the idea first."))
    if len(text) > LIMITS.idea:
        raise ServiceError(_("Keep an idea under %(max)d characters.", max=LIMITS.idea))
    ideas = db.session.scalar(
        select(func.count()).select_from(GameIdea).where(GameIdea.game_id == game.id)
    )
    if ideas >= COUNTS.ideas:
        raise ServiceError(
            _("A game can have up to %(max)d ideas of its own. Remove one first.", max=COUNTS.ideas)
        )
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
    angel: Participant,
    today: date | None = None,
    hint: Hint | None | bool = False,
    own: list[tuple[int, str]] | None = None,
) -> ideas.Idea:
    """Today's idea for this angel, matched to their mortal's hints where possible (`hint`:
    those hints when the caller has them already, None for none; `own`: see `ideas_of`)."""
    game = angel.game
    today = today or delivery.local_date(utcnow(), schedule_of(game))
    hint = _mortal_hints(angel) if hint is False else hint
    # A blank, never-saved Hint (see preferences.mortal_hints) has None in its fields.
    said = (
        " ".join(filter(None, [hint.brightens, hint.favourite_treat, hint.appreciated_by]))
        if hint
        else ""
    )
    return _in_reader_language(
        ideas.idea_of_the_day(
            ideas_of(game, own),
            said,
            angel.public_id,
            today,
            avoid=(hint.avoid or "") if hint else "",
        )
    )


def _in_reader_language(idea: ideas.Idea) -> ideas.Idea:
    """An idea with its text in the reader's language (matching reads the English words);
    a game's own ideas are the facilitator's words, shown as typed."""
    return idea if idea.key.startswith("game-") else replace(idea, text=_(idea.text))


def idea_by_key(
    game: Game, key: str, own: list[tuple[int, str]] | None = None
) -> ideas.Idea | None:
    """An idea of this game by its key (for "Use this idea"; `own`: see `ideas_of`)."""
    if not key:
        return None
    idea = next((idea for idea in ideas_of(game, own) if idea.key == key), None)
    return idea and _in_reader_language(idea)
