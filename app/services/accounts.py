"""Facilitator accounts: sign up, log in, delete."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.domain.states import GameState
from app.extensions import db
from app.models import Facilitator, Game
from app.services import ServiceError, ending

# Checked against when the email is unknown, so both paths cost one hash check.
_DUMMY_HASH = generate_password_hash("not a real password")


def find_by_email(email: str) -> Facilitator | None:
    """The facilitator with this email, compared without regard to capitals."""
    return db.session.execute(
        select(Facilitator).where(func.lower(Facilitator.email) == email.strip().lower())
    ).scalar_one_or_none()


def sign_up(name: str, email: str, password: str) -> Facilitator:
    """Create a facilitator account; refuse an email that already has one."""
    if find_by_email(email) is not None:
        raise ServiceError("An account with that email already exists. Log in instead.")
    facilitator = Facilitator(
        name=" ".join(name.split()),
        email=email.strip(),
        password_hash=generate_password_hash(
            password, method=current_app.config["PASSWORD_HASH_METHOD"]
        ),
    )
    db.session.add(facilitator)
    db.session.commit()
    return facilitator


def authenticate(email: str, password: str) -> Facilitator | None:
    """The facilitator if the password matches, else None (same work either way)."""
    facilitator = find_by_email(email)
    if facilitator is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(facilitator.password_hash, password):
        return None
    return facilitator


def delete_account(facilitator: Facilitator) -> None:
    """Delete a facilitator's account with all their games and everything in them.

    Refused while a game is running: ending it first tells its players, where deleting it
    would leave them with links that just stop working.
    """
    running = (
        db.session.execute(
            select(Game.name)
            .where(Game.facilitator_id == facilitator.id, Game.state == GameState.RUNNING)
            .order_by(Game.id)
        )
        .scalars()
        .all()
    )
    if running:
        raise ServiceError(
            "End your running games before deleting your account: " + ", ".join(running) + "."
        )
    # Each game goes as `ending.delete_game` takes one: journals to their owners, tombstones.
    for game in db.session.execute(
        select(Game).where(Game.facilitator_id == facilitator.id).order_by(Game.id)
    ).scalars():
        ending.forget_game(game)
    # The database cascades from the account to its games and from each game to its data.
    db.session.execute(delete(Facilitator).where(Facilitator.id == facilitator.id))
    db.session.commit()
