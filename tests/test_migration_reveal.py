"""The migration that gives pairings their `withheld` flag keeps the secrets of games that
ended before it: an angel who had chosen to stay secret stays withheld."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from app import create_app
from app.database import MIGRATIONS
from app.extensions import db
from app.models import Pairing
from tests.helpers import make_running_game, participants_of, quick_facilitator


def test_secrets_chosen_before_the_migration_stay_withheld(tmp_path):
    app = create_app(
        {
            "SECRET_KEY": "a-long-enough-test-secret-key",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite3'}",
            "AUTO_TICK": False,
        }
    )
    with app.app_context():
        game = make_running_game(quick_facilitator(), 4, seed=2)
        secret = participants_of(game)[1]
        secret.stay_secret = True
        game.state = "ended"
        db.session.commit()
        game_id, secret_id = game.id, secret.id
        db.session.remove()
        # Back to before the flag, then forward again: the data step runs on these rows.
        downgrade(directory=str(MIGRATIONS), revision="9b3e1f6a2c41")  # before the flag
        upgrade(directory=str(MIGRATIONS))
        withheld = set(
            db.session.execute(
                select(Pairing.angel_id).where(Pairing.game_id == game_id, Pairing.withheld)
            ).scalars()
        )
        assert withheld == {secret_id}
        db.session.remove()
        db.engine.dispose()
