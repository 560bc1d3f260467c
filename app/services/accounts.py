"""Facilitator accounts: sign up, log in, a forgotten password, delete."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.domain.states import GameState
from app.extensions import db
from app.i18n import fast_gettext as _
from app.i18n import known_language
from app.mail.messages import external_url, notify_facilitator
from app.models import Facilitator, Game
from app.services import ServiceError, ending
from app.tokens import BadLink, password_reset_token, read_password_reset

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
        raise ServiceError(_("An account with that email already exists. Log in instead."))
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


def password_fingerprint(facilitator: Facilitator) -> str:
    """A short digest of the facilitator's current password hash, carried in a reset link so
    the link dies once the password changes (so it works once). A digest, not the hash: a
    signed link is readable by whoever holds it."""
    return hashlib.sha256(facilitator.password_hash.encode()).hexdigest()[:24]


def request_password_reset(email: str) -> None:
    """Queue an email with a password-reset link to the account using `email`, if there is one.

    The caller answers the same whether or not there is: the work is the same too (a link
    and a message are made either way, and only an unknown address's are thrown away), and
    nothing waits for a mail server, since the outbox's periodic send delivers it.
    """
    facilitator = find_by_email(email)
    # Stands in for an unknown address; never added to the session.
    target = facilitator or Facilitator(id=0, name="", email=email.strip(), password_hash="-")
    token = password_reset_token(target.id, password_fingerprint(target))
    notify_facilitator(
        target,
        "password-reset",
        link=external_url("facilitator.reset_password", token=token),
        minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
    )
    if facilitator is None:
        db.session.rollback()
    else:
        db.session.commit()


def facilitator_for_reset(token: str) -> Facilitator:
    """The facilitator a reset link is for; raise BadLink if it is tampered with, too old,
    already used (the password changed since) or for an account deleted since."""
    claim = read_password_reset(token)
    facilitator = db.session.get(Facilitator, claim.facilitator_id)
    if facilitator is None or not hmac.compare_digest(
        claim.fingerprint, password_fingerprint(facilitator)
    ):
        raise BadLink
    return facilitator


def reset_password(token: str, password: str) -> Facilitator:
    """Set a new password through a reset link, which stops working at once; raise BadLink
    for a link that no longer works."""
    facilitator = facilitator_for_reset(token)
    facilitator.password_hash = generate_password_hash(
        password, method=current_app.config["PASSWORD_HASH_METHOD"]
    )
    db.session.commit()
    return facilitator


def set_language(facilitator: Facilitator, language: str | None) -> None:
    """Store the language of a facilitator's pages and emails; None (or a language the service
    does not speak) lets them follow her browser again."""
    facilitator.language = known_language(language)
    db.session.commit()


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
            _(
                "End your running games before deleting your account: %(games)s.",
                games=", ".join(running),
            )
        )
    # Each game goes as `ending.delete_game` takes one: journals to their owners, tombstones.
    for game in db.session.execute(
        select(Game).where(Game.facilitator_id == facilitator.id).order_by(Game.id)
    ).scalars():
        ending.forget_game(game)
    # The database cascades from the account to its games and from each game to its data.
    db.session.execute(delete(Facilitator).where(Facilitator.id == facilitator.id))
    db.session.commit()
