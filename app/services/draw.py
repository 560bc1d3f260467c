"""The draw: one secret cycle through the roster, saved exactly once, invitations in the outbox."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection, Hashable
from dataclasses import dataclass

from flask_babel import ngettext
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from app.domain import roster
from app.domain.draw import SMALL_GAME, DrawImpossible, draw_cycle, prefer_avoiding
from app.domain.states import GameState
from app.extensions import db
from app.i18n import fast_gettext as _
from app.i18n import lazy_gettext as _l
from app.mail.bulk import in_bulk
from app.mail.messages import enqueue_invitations
from app.models import Exclusion, Game, Pairing, Participant, utcnow
from app.services import ServiceError, translated
from app.services.rounds import release_moment

ALREADY_DRAWN = _l("Names have already been drawn for this game; nothing was changed.")


class AlreadyDrawn(ServiceError):
    """A second draw of the same game (double click, two tabs, two workers)."""


def forbidden_arcs(game: Game) -> set[tuple[int, int]]:
    """Exclusions as angel->mortal arcs; a two-way exclusion gives both arcs."""
    arcs: set[tuple[int, int]] = set()
    for angel_id, mortal_id, both_ways in db.session.execute(
        select(Exclusion.angel_id, Exclusion.mortal_id, Exclusion.both_ways).where(
            Exclusion.game_id == game.id
        )
    ):
        arcs.add((angel_id, mortal_id))
        if both_ways:
            arcs.add((mortal_id, angel_id))
    return arcs


def earlier_arcs(game: Game) -> set[tuple[int, int]]:
    """Angel->mortal arcs used in this facilitator's ENDED earlier games, mapped onto this roster.

    Matched by email. Only ended games count: a running game's pairing is the live secret,
    and no answer the facilitator sees may depend on it. Even these arcs are only ever a wish
    (see `avoided_arcs`), never shown to anyone.
    """
    here_angel = aliased(Participant)
    here_mortal = aliased(Participant)
    then_angel = aliased(Participant)
    then_mortal = aliased(Participant)
    rows = db.session.execute(
        select(here_angel.id, here_mortal.id)
        .select_from(Pairing)
        .join(Game, Game.id == Pairing.game_id)
        .join(then_angel, then_angel.id == Pairing.angel_id)
        .join(then_mortal, then_mortal.id == Pairing.mortal_id)
        .join(
            here_angel,
            (here_angel.email_key == then_angel.email_key) & (here_angel.game_id == game.id),
        )
        .join(
            here_mortal,
            (here_mortal.email_key == then_mortal.email_key) & (here_mortal.game_id == game.id),
        )
        .where(
            Game.facilitator_id == game.facilitator_id,
            Game.id != game.id,
            Game.state == GameState.ENDED,
        )
    )
    return {(a, m) for a, m in rows}


def avoided_arcs(game: Game) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """The arcs a draw or a cycle edit of this game avoids, as (rule, wish).

    The rule is the game's exclusions and always holds. The wish is the pairings of the
    facilitator's ended games, when the game asks to avoid them; it gives way whenever it
    cannot be met (`draw.prefer_avoiding`), so it can never cause a refusal: a refusal
    that depended on earlier pairings would tell the facilitator something about them.
    """
    rule = forbidden_arcs(game)
    return rule, earlier_arcs(game) - rule if game.avoid_repeat_mortals else set()


@dataclass(frozen=True)
class Teams:
    """Who is in which team, for a game that keeps teammates apart.

    `of` maps each active participant to their team's folded name, or to their own id when
    they have no team (so they are a team of one: anyone may draw them); `shown` gives each
    folded name as the facilitator typed it.
    """

    of: dict[int, Hashable]
    shown: dict[str, str]

    def sizes(self, people: Collection[int] | None = None) -> Counter:
        """People per named team, among `people` (everyone when None)."""
        return Counter(
            t for p, t in self.of.items() if isinstance(t, str) and (people is None or p in people)
        )


def teams_of(game: Game) -> Teams | None:
    """The game's teams when it keeps teammates apart and someone has a team; else None."""
    if not game.teams_apart:
        return None
    rows = db.session.execute(
        select(Participant.id, Participant.team)
        .where(Participant.game_id == game.id, Participant.active.is_(True))
        .order_by(Participant.id)
    ).all()
    shown = {roster.team_key(team): team for _pid, team in reversed(rows) if team}
    if not shown:
        return None
    return Teams({pid: roster.team_key(team) or pid for pid, team in rows}, shown)


def team_refusal(
    teams: Teams | None, people: Collection[int], leaver: str | None = None
) -> str | None:
    """Why no circle of `people` can keep teammates apart, or None when one can.

    The only team rule that rules out every circle: one team holding more than half of the
    people (each member needs a mortal from outside it, and no two can share one). It reads
    the teams alone, so a refusal says nothing about any pairing. With `leaver` (the name of
    a participant asking to leave) it names no team: only the organiser sees teams, so the
    participant reads what a refusal by the exclusions says.
    """
    sizes = teams.sizes(people) if teams else Counter()
    if not sizes:
        return None
    team, size = sizes.most_common(1)[0]
    if 2 * size <= len(people):
        return None
    if leaver is not None:
        return _(
            "%(name)s cannot leave: without them, the game's exclusions leave no "
            "valid circle. Please ask the organiser for help.",
            name=leaver,
        )
    return ngettext(
        "“%(team)s” has %(size)d of the %(n)d people. Nobody may draw someone from their own "
        "team, so each of them needs a mortal from another team, but only %(num)d person is "
        "not in “%(team)s”. Move some people to another team, add people from other teams, "
        "or turn off “Nobody draws someone from their own team”.",
        "“%(team)s” has %(size)d of the %(n)d people. Nobody may draw someone from their own "
        "team, so each of them needs a mortal from another team, but only %(num)d people "
        "are not in “%(team)s”. Move some people to another team, add people from other "
        "teams, or turn off “Nobody draws someone from their own team”.",
        len(people) - size,
        team=teams.shown[team],
        size=size,
        n=len(people),
    )


@dataclass(frozen=True)
class DrawPreview:
    """What the draw's confirmation page says before anything happens."""

    people: int
    exclusions: int
    # With teams kept apart: how many named teams, and why no draw can keep them apart.
    teams: int = 0
    team_problem: str | None = None

    @property
    def small(self) -> bool:
        """Below SMALL_GAME people a mortal can work out their angel from the guess list."""
        return self.people < SMALL_GAME


def draw_preview(game: Game) -> DrawPreview:
    """How many people the draw takes in and how many exclusions it must respect."""
    people, exclusions = db.session.execute(
        select(
            select(func.count())
            .select_from(Participant)
            .where(Participant.game_id == game.id, Participant.active.is_(True))
            .scalar_subquery(),
            select(func.count())
            .select_from(Exclusion)
            .where(Exclusion.game_id == game.id)
            .scalar_subquery(),
        )
    ).one()
    teams = teams_of(game)
    if teams is None:
        return DrawPreview(people, exclusions)
    return DrawPreview(people, exclusions, len(teams.shown), team_refusal(teams, teams.of))


def draw_names(game: Game, rng: random.Random | None = None) -> int:
    """Draw the game's cycle once and queue every invitation; return the number of people.

    The state change, the pairings and the invitations are one transaction. The first write is
    a conditional UPDATE of the game's state, so of two racing draws exactly one proceeds; the
    unique constraints on Pairing back that up. Impossible constraints raise DrawImpossible and
    leave the game in draft; avoiding earlier games' mortals is a wish and never refuses.
    """
    if game.state != GameState.DRAFT:
        raise AlreadyDrawn(str(ALREADY_DRAWN))
    people = db.session.execute(
        select(Participant.id, Participant.name)
        .where(Participant.game_id == game.id, Participant.active.is_(True))
        .order_by(Participant.id)
    ).all()
    names = {pid: name for pid, name in people}
    rng = rng or random.SystemRandom()
    rule, wish = avoided_arcs(game)
    teams = teams_of(game)
    if refusal := team_refusal(teams, names):
        db.session.rollback()
        raise ServiceError(refusal)
    team = teams.of if teams else None
    try:
        cycle = prefer_avoiding(
            lambda avoid: draw_cycle(list(names), avoid, rng, names, teams=team), rule, wish
        )
    except DrawImpossible as exc:
        # The message comes from the exclusions alone (the wish gave way first), so it names
        # only what the facilitator set herself.
        db.session.rollback()
        raise ServiceError(translated(exc.args[0])) from None
    game_id = game.id
    claimed = db.session.execute(
        update(Game)
        .where(Game.id == game_id, Game.state == GameState.DRAFT)
        .values(state=GameState.RUNNING, drawn_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise AlreadyDrawn(str(ALREADY_DRAWN))
    db.session.execute(
        insert(Pairing),
        [{"game_id": game_id, "angel_id": a, "mortal_id": cycle[a]} for a in sorted(cycle)],
    )
    # The same people as `names`, by the same condition: an IN list of 20,000 ids would pass
    # SQLite's and PostgreSQL's limits on bound parameters.
    everyone = {
        p.id: p
        for p in db.session.execute(
            select(Participant)
            .where(Participant.game_id == game_id, Participant.active.is_(True))
            # Each invitation reads its person's game: the one already loaded, not a lookup
            # per person.
            .options(joinedload(Participant.game))
        ).scalars()
    }
    # Roster order, never cycle order: mail sent one after another in cycle order would let
    # people who compare arrival times work out who is next to whom in the circle.
    # One multi-row INSERT for all of them (a roster can be thousands of people).
    with in_bulk():
        enqueue_invitations(
            game,
            [everyone[angel] for angel in sorted(cycle)],
            release_moment(game, "invitation", at_once=True),
        )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AlreadyDrawn(str(ALREADY_DRAWN)) from None
    db.session.expire(game)
    return len(cycle)
