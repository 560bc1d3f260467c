"""What a change to a running game's circle must avoid: the exclusions, earlier pairings (a
wish) and, in a game that keeps teams apart, teammates.

The teams are read in one query, everyone's, whoever joins, leaves or moves: a change checks
the few links it makes against that map by lookup (app/domain/teammates.py), and only a re-draw
of the whole circle writes out the pairs of teammates. Reading only the teams a change touches
would be cheaper, but how many it touches depends on where the person sits in the circle, and
an answer whose time depends on the pairing tells a watcher something about it.
"""

from __future__ import annotations

from collections.abc import Collection

from app.extensions import db
from app.models import Game
from app.services import ServiceError
from app.services.draw import avoided_arcs, team_refusal, teams_of


def edit_rules(game: Game, people: Collection[int] | None = None, leaver: str | None = None):
    """What a cycle edit must avoid, as (rule, wish, teams): the game's exclusions, (when it
    asks) the pairings of earlier games, a wish rather than a rule, and each person's team
    (person -> team) when it keeps teams apart. With `people`, the people of the circle after
    the edit: refused in plain words when one team would hold more than half of them (without
    naming a team when the `leaver` named is the one who asks: only the organiser sees
    teams)."""
    rule, wish = avoided_arcs(game)
    teams = teams_of(game)
    if teams is None:
        return rule, wish, None
    if people is not None:
        refusal = team_refusal(teams, people, leaver)
        if refusal:
            db.session.rollback()  # nothing of the refused change is kept
            raise ServiceError(refusal)
    return rule, wish, teams.of
