"""Signed links. One salt per purpose; every load has a max_age.

Signed is not encrypted: a token carries only the holder's opaque public id and link version,
never anything about their angel or mortal.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from itsdangerous import BadData, Signer, URLSafeTimedSerializer, want_bytes

PARTICIPANT_LINK_SALT = "participant-link"
PREFERENCES_LINK_SALT = "preferences-link"
PASSWORD_RESET_SALT = "facilitator-password-reset"


@dataclass(frozen=True)
class LinkClaim:
    """What a valid participant link says: whose it is and which version of their link."""

    public_id: str
    version: int


class BadLink(Exception):
    """The link is tampered with, expired or malformed (callers never say which)."""


def _keys() -> tuple:
    """SECRET_KEY_FALLBACKS then SECRET_KEY (the signing key last), as itsdangerous takes them:
    rotating keys keeps links."""
    fallbacks = current_app.config.get("SECRET_KEY_FALLBACKS") or []
    return (*fallbacks, current_app.config["SECRET_KEY"])


def _serializer(salt: str) -> URLSafeTimedSerializer:
    """Signs with SECRET_KEY; also accepts SECRET_KEY_FALLBACKS, so rotating keys keeps links."""
    return _made_serializer(_keys(), salt)


@lru_cache(maxsize=32)
def _made_serializer(keys: tuple, salt: str) -> URLSafeTimedSerializer:
    """One serializer per keys and salt: a draw signs two links for each of thousands of
    people, and building the serializer each time was a fifth of the draw's time."""
    return URLSafeTimedSerializer(list(keys), salt=salt)


def participant_link_token(public_id: str, version: int, salt: str = PARTICIPANT_LINK_SALT) -> str:
    """Sign a participant's private link (or, with its own salt, their preferences link)."""
    return participant_link_tokens(public_id, version, (salt,))[0]


def participant_link_tokens(
    public_id: str,
    version: int,
    salts: tuple[str, ...] = (PARTICIPANT_LINK_SALT, PREFERENCES_LINK_SALT),
) -> tuple[str, ...]:
    """A participant's link tokens for each salt (default: private link, preferences link),
    each exactly what the serializer's `dumps` gives.

    Every email to a participant carries both links, and a draw writes thousands of emails:
    the claim is serialised once for all salts (the payload does not depend on the salt, and
    serialising it was half the signing), and each salt's signer is made once, not per token.
    """
    keys = _keys()
    payload = want_bytes(
        _made_serializer(keys, salts[0]).dump_payload({"p": public_id, "v": version})
    )
    return tuple(_made_signer(keys, salt).sign(payload).decode("utf-8") for salt in salts)


@lru_cache(maxsize=32)
def _made_signer(keys: tuple, salt: str) -> Signer:
    """The signer `dumps` would make for these keys and salt (it makes a new one each time)."""
    return _made_serializer(keys, salt).make_signer(salt)


def read_participant_link(token: str, salt: str = PARTICIPANT_LINK_SALT) -> LinkClaim:
    """Verify a participant link; raise BadLink for anything not signed by us or too old."""
    try:
        data = _serializer(salt).loads(
            token, max_age=current_app.config["PARTICIPANT_LINK_MAX_AGE"]
        )
        return LinkClaim(public_id=str(data["p"]), version=int(data["v"]))
    except (BadData, KeyError, TypeError, ValueError) as exc:
        raise BadLink from exc


@dataclass(frozen=True)
class ResetClaim:
    """What a valid password-reset link says: whose account, and which password it replaces."""

    facilitator_id: int
    fingerprint: str


def password_reset_token(facilitator_id: int, fingerprint: str) -> str:
    """Sign a facilitator's password-reset link.

    `fingerprint` is drawn from the password hash the link replaces: once the password is
    set, the hash changes and the link (and any other sent before it) stops working.
    """
    return _serializer(PASSWORD_RESET_SALT).dumps({"f": facilitator_id, "h": fingerprint})


def read_password_reset(token: str) -> ResetClaim:
    """Verify a password-reset link; raise BadLink for anything tampered with or too old."""
    try:
        data = _serializer(PASSWORD_RESET_SALT).loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
        return ResetClaim(facilitator_id=int(data["f"]), fingerprint=str(data["h"]))
    except (BadData, KeyError, TypeError, ValueError) as exc:
        raise BadLink from exc


ROSTER_CURSOR_SALT = "roster-cursor"
# A roster page's next/previous link older than this opens the first page instead.
ROSTER_CURSOR_MAX_AGE = 24 * 3600


def roster_cursor(claim: dict) -> str:
    """Sign where a roster page starts, for the facilitator's next and previous links."""
    return _serializer(ROSTER_CURSOR_SALT).dumps(claim)


def read_roster_cursor(token: str) -> dict | None:
    """What a roster cursor we signed (within a day) says; None for anything else."""
    try:
        data = _serializer(ROSTER_CURSOR_SALT).loads(token, max_age=ROSTER_CURSOR_MAX_AGE)
    except BadData:
        return None
    return data if isinstance(data, dict) else None
