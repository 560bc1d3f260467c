"""States are named once: the check constraints are built from the enums, and spelt exactly as
the migrations spell them (autogenerate compares no check constraints, so this test does)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import CheckConstraint

from app.domain import states as domain_states
from app.extensions import db
from app.models import Game, Kindness, states

MIGRATIONS = Path(__file__).resolve().parents[1] / "app" / "migrations" / "versions"


def _check_constraints():
    for table in db.metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint):
                yield table.name, constraint


def test_every_check_constraint_is_written_by_the_migrations_word_for_word():
    migrations = "".join(path.read_text() for path in MIGRATIONS.glob("*.py"))
    missing = [
        f"{table}.{constraint.name}: {constraint.sqltext.text}"
        for table, constraint in _check_constraints()
        if f'"{constraint.sqltext.text}"' not in migrations
        or f'name="{constraint.name}"' not in migrations
    ]
    assert missing == []


def test_state_constraints_list_every_member_of_their_enum():
    game = {c.name: c.sqltext.text for c in Game.__table__.constraints if c.name == "game_state"}
    assert game == {"game_state": "state IN ('draft', 'running', 'ended')"}
    kinds = [c.sqltext.text for c in Kindness.__table__.constraints if c.name == "kindness_kind"]
    assert kinds == ["kind IN ('note', 'in_person')"]


def test_the_models_states_are_the_domains():
    assert states.KindnessState is domain_states.KindnessState
    assert states.CourierState.DONE == "done"
    assert f"{states.GameState.RUNNING}" == "running"
