"""What a change to a running game's circle must avoid: the exclusions, earlier pairings (a
wish) and, in a game that keeps teams apart, teammates.

A join in a game of 20,000 changes four links, so it needs the teams of a handful of people:
they are read by id as the change asks, and the team sizes that decide whether any circle can
keep teams apart come from one grouped count. Reading all 20,000 teams (and writing out their
pairs) cost a late joiner more than the join itself; only a re-draw of the whole circle, the
rare case where no local change fits, still reads them all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Hashable, Iterator, Mapping

from sqlalchemy import func, select

from app.domain import roster
from app.extensions import db
from app.models import Game, Pairing, Participant
from app.services import ServiceError
from app.services.draw import avoided_arcs, team_refusal, teams_of

# Past this many people looked up one by one (a change whose options keep failing), everyone's
# team is read at once: a bound on the queries, whatever the edit tries.
_ONE_BY_ONE = 64


class CircleTeams(Mapping[int, Hashable]):
    """Each active participant's folded team (their own id without one, a team of one), as
    `draw.Teams.of` gives it, read from the database only for the people a change asks about."""

    def __init__(self, game: Game) -> None:
        self._game = game
        self._known: dict[int, Hashable] = {}
        self._everyone: dict[int, Hashable] | None = None

    def __getitem__(self, person: int) -> Hashable:
        if self._everyone is not None:
            return self._everyone[person]
        if person not in self._known:
            if len(self._known) >= _ONE_BY_ONE:
                return self._all()[person]
            row = db.session.execute(
                select(Participant.team).where(
                    Participant.id == person,
                    Participant.game_id == self._game.id,
                    Participant.active.is_(True),
                )
            ).one_or_none()
            if row is None:
                raise KeyError(person)
            self._known[person] = roster.team_key(row.team) or person
        return self._known[person]

    def __iter__(self) -> Iterator[int]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def _all(self) -> dict[int, Hashable]:
        if self._everyone is None:
            teams = teams_of(self._game)
            self._everyone = teams.of if teams else {}
        return self._everyone


def edit_rules(
    game: Game,
    circle: Collection[int] = (),
    people: set[int] | None = None,
    leaver: str | None = None,
):
    """What a cycle edit must avoid, as (rule, wish, teams): the game's exclusions, (when it
    asks) the pairings of earlier games, a wish rather than a rule, and each person's team
    when it keeps teams apart (a `CircleTeams`, looked up by the edit). With `people`, the
    people of `circle` after the edit: refused in plain words when one team would hold more
    than half of them (without naming a team when the `leaver` named is the one who asks:
    only the organiser sees teams)."""
    rule, wish = avoided_arcs(game)
    if not game.teams_apart:
        return rule, wish, None
    teams = CircleTeams(game)
    if people is not None and _over_half(game, teams, circle, people):
        refusal = team_refusal(teams_of(game), people, leaver)  # worded from every team
        if refusal:
            db.session.rollback()  # nothing of the refused change is kept
            raise ServiceError(refusal)
    return rule, wish, teams


def _over_half(game: Game, teams: CircleTeams, circle: Collection[int], people: set[int]) -> bool:
    """Whether one named team would hold more than half of `people` (the circle's people after
    the change): the circle's team sizes counted by the database, plus who joins, minus who
    leaves."""
    sizes: Counter = Counter()
    for team, count in db.session.execute(
        select(Participant.team, func.count())
        .join(Pairing, Pairing.angel_id == Participant.id)
        .where(Pairing.game_id == game.id, Participant.active.is_(True))
        .group_by(Participant.team)
    ):
        sizes[roster.team_key(team)] += count
    circle = set(circle)
    for person in people - circle:
        sizes[teams.get(person)] += 1
    for person in circle - people:
        sizes[teams.get(person)] -= 1
    named = [size for team, size in sizes.items() if isinstance(team, str) and team]
    return bool(named) and 2 * max(named) > len(people)
