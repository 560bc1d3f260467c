"""No oracle in the draw: what the facilitator sees when she draws names never depends on the
pairing of a running game, nor on whether earlier games' mortals could be avoided.

The attack this guards against: a facilitator makes a draft game with Bob, Sam and a spare
address of her own, ticks "avoid earlier games' mortals" and excludes Bob -> spare one way.
The only possible cycle is then Bob -> Sam -> spare -> Bob. If running games counted as
earlier ones, or if an unmet wish refused the draw, the draw would fail exactly when Bob is
Sam's angel in the running game.

Each example builds two worlds, each on its own database, that differ only in the pairing of
a running game (and, for refusals, in an ended game's pairing), then compares every response
the facilitator gets byte for byte (CSRF tokens blanked).
"""

from __future__ import annotations

import itertools
import random
from types import SimpleNamespace
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.domain.draw import is_valid_cycle
from app.extensions import db
from app.models import Exclusion, Game, OutboxMessage, Pairing, utcnow
from app.services import draw as draw_service
from tests.helpers import (
    empty_database,
    logged_in_as,
    make_game,
    participants_of,
    quick_facilitator,
    without_csrf,
)

# Bob, Sam, the facilitator's spare address, and two more; no name or address is a substring
# of another.
PEOPLE = [
    ("Bob Okafor", "bob.okafor@example.org"),
    ("Sam Lindqvist", "sam.lindqvist@example.org"),
    ("Spare Inbox", "fran.spare@example.net"),
    ("Wren Delacroix", "wren.d@example.org"),
    ("Yusuf Marlowe", "ymarlowe@example.org"),
]
BOB, SAM, SPARE = 0, 1, 2

TWO_WORLDS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _cycle_of(order: list[int]) -> dict[int, int]:
    """angel index -> mortal index for the cycle order[0] -> order[1] -> ... -> order[0]."""
    return {order[i]: order[(i + 1) % len(order)] for i in range(len(order))}


def _played(facilitator, n: int, name: str, state: str, cycle: dict[int, int]) -> Game:
    """Another game of this facilitator with the same people, in `state`, with this cycle."""
    game = make_game(facilitator, PEOPLE[:n], name=name)
    ids = [p.id for p in participants_of(game)]
    db.session.add_all(
        Pairing(game_id=game.id, angel_id=ids[a], mortal_id=ids[m]) for a, m in cycle.items()
    )
    game.state, game.drawn_at = state, utcnow()
    if state == "ended":
        game.ended_at = utcnow()
    db.session.commit()
    return game


def _world(app, case) -> SimpleNamespace:
    """One world: a running game with `case.running`, maybe an ended game with `case.ended`,
    and the draft game to draw, with `case.exclusions` and the box ticked or not."""
    empty_database(app)  # both worlds number their rows from 1
    with app.app_context():
        fran = quick_facilitator()
        _played(fran, case.n, "Running now", "running", case.running)
        # Always a second game, so both worlds number their rows alike: an ended game, or a
        # draft never drawn when this world has no ended pairing.
        if case.ended is not None:
            _played(fran, case.n, "Last year", "ended", case.ended)
        else:
            make_game(fran, PEOPLE[: case.n], name="Last year")
        draft = make_game(
            fran, PEOPLE[: case.n], name="Next round", avoid_repeat_mortals=case.avoid
        )
        ids = [p.id for p in participants_of(draft)]
        db.session.add_all(
            Exclusion(game_id=draft.id, angel_id=ids[a], mortal_id=ids[m], both_ways=both)
            for a, m, both in case.exclusions
        )
        db.session.commit()
        world = SimpleNamespace(app=app, game_id=draft.id, ids=ids, fran_id=fran.id)
    world.client = logged_in_as(app.test_client(), world.fran_id)
    return world


def _press_draw(world, seed: int) -> list[tuple[str, int, str]]:
    """Everything the facilitator sees around a draw: the game page before, the answer to the
    button (status, where it sends her, the page), and the game page after."""
    seeded = SimpleNamespace(SystemRandom=lambda: random.Random(seed), Random=random.Random)
    url = f"/games/{world.game_id}"
    seen = []
    before = world.client.get(url)
    seen.append(("before", before.status_code, without_csrf(before.text)))
    with mock.patch.object(draw_service, "random", seeded):
        answer = world.client.post(f"{url}/draw")
    seen.append(("answer", answer.status_code, answer.location or without_csrf(answer.text)))
    after = world.client.get(url)
    seen.append(("after", after.status_code, without_csrf(after.text)))
    return seen


def _drawn(world) -> tuple[dict[int, int] | None, list[tuple[str, str]]]:
    """The draft game's cycle as roster indexes (None if not drawn) and its mail."""
    with world.app.app_context():
        index = {pid: i for i, pid in enumerate(world.ids)}
        rows = db.session.execute(
            select(Pairing.angel_id, Pairing.mortal_id).where(Pairing.game_id == world.game_id)
        ).all()
        mail = db.session.execute(
            select(OutboxMessage.kind, OutboxMessage.to_addr)
            .where(OutboxMessage.game_id == world.game_id)
            .order_by(OutboxMessage.id)
        ).all()
        db.session.remove()
        db.engine.dispose()
    cycle = {index[a]: index[m] for a, m in rows} or None
    return cycle, [tuple(m) for m in mail]


def _drawable(n: int, exclusions) -> bool:
    """Whether the exclusions alone leave any valid cycle (by enumeration; n is small)."""
    arcs = {(a, m) for a, m, _ in exclusions} | {(m, a) for a, m, both in exclusions if both}
    return any(
        is_valid_cycle(_cycle_of([0, *rest]), range(n), arcs)
        for rest in itertools.permutations(range(1, n))
    )


@st.composite
def cases(draw) -> SimpleNamespace:
    """A small roster, any exclusions (impossible ones too), two different running pairings,
    and an ended game's pairing that is the same in both worlds, or differs between them."""
    n = draw(st.integers(3, 5))
    cycles = st.permutations(range(n)).map(_cycle_of)
    exclusions = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.booleans()).filter(
                lambda e: e[0] != e[1]
            ),
            max_size=n,
            unique_by=lambda e: (e[0], e[1]),
        )
    )
    running = draw(
        st.lists(cycles, min_size=2, max_size=2, unique_by=lambda c: tuple(sorted(c.items())))
    )
    ended = draw(st.none() | cycles)
    other_ended = draw(st.just(ended) | st.none() | cycles)
    return SimpleNamespace(
        n=n,
        exclusions=exclusions,
        running=running,
        ended=(ended, other_ended),
        avoid=draw(st.booleans()),
        seed=draw(st.integers(0, 2**16)),
    )


@TWO_WORLDS
@given(case=cases())
def test_what_the_facilitator_sees_of_a_draw_ignores_other_games_pairings(app, case):
    seen, drawn = [], []
    for side in (0, 1):
        world_case = SimpleNamespace(
            n=case.n,
            exclusions=case.exclusions,
            running=case.running[side],
            ended=case.ended[side],
            avoid=case.avoid,
        )
        world = _world(app, world_case)
        seen.append(_press_draw(world, case.seed))
        drawn.append(_drawn(world))
    assert seen[0] == seen[1]
    drawable = _drawable(case.n, case.exclusions)
    for cycle, mail in drawn:
        # Refused exactly when the exclusions alone allow no cycle; a refusal sends nothing.
        assert (cycle is not None) == drawable
        assert (mail == []) == (not drawable)
        assert seen[0][1][1] == (302 if drawable else 409)
    if case.ended[0] == case.ended[1]:
        # With the same randomness, even the cycle drawn (and so each invitation, the spare
        # address's included) is the same: the running game is not read at all.
        assert drawn[0] == drawn[1]


def test_the_bob_sam_spare_trap_finds_nothing(app):
    """The attack by hand: Bob is Sam's angel in the running game in one world and not in the
    other; the draw goes ahead in both, with the same pages and the same invitations."""
    bob_to_sam = _cycle_of([BOB, SAM, SPARE])
    sam_to_bob = _cycle_of([SAM, BOB, SPARE])
    seen, drawn = [], []
    for running in (bob_to_sam, sam_to_bob):
        case = SimpleNamespace(
            n=3, exclusions=[(BOB, SPARE, False)], running=running, ended=None, avoid=True
        )
        world = _world(app, case)
        seen.append(_press_draw(world, seed=7))
        drawn.append(_drawn(world))
    assert seen[0] == seen[1]
    assert seen[0][1][1] == 302
    assert drawn[0] == drawn[1] == (_cycle_of([BOB, SAM, SPARE]), drawn[0][1])
    assert len(drawn[0][1]) == 3


def test_an_ended_game_that_forces_a_repeat_does_not_refuse(app):
    """Bob was Sam's angel in an ended game and the exclusions leave only Bob -> Sam: the wish
    gives way, and the pages are those of a world without that ended game."""
    seen = []
    for ended in (_cycle_of([BOB, SAM, SPARE]), None):
        case = SimpleNamespace(
            n=3,
            exclusions=[(BOB, SPARE, False)],
            running=_cycle_of([SAM, BOB, SPARE]),
            ended=ended,
            avoid=True,
        )
        world = _world(app, case)
        seen.append(_press_draw(world, seed=3))
        assert _drawn(world)[0] == _cycle_of([BOB, SAM, SPARE])
    assert seen[0] == seen[1]
