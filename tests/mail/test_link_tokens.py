"""A draw signs both of a participant's links with their claim serialised once: each token must
be exactly what the serializer's own `dumps` gives, and open what it always opened."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import TimestampSigner

from app.tokens import (
    PARTICIPANT_LINK_SALT,
    PREFERENCES_LINK_SALT,
    BadLink,
    _serializer,
    participant_link_token,
    participant_link_tokens,
    read_participant_link,
)

PUBLIC_IDS = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)
VERSIONS = st.integers(min_value=0, max_value=2**40)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(public_id=PUBLIC_IDS, version=VERSIONS)
def test_both_tokens_are_what_dumps_gives_and_open_their_own_link(
    app, monkeypatch, public_id, version
):
    """Same second, same tokens as `dumps`, salt by salt; each opens only its own purpose."""
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_800_000_000)
    with app.app_context():
        link, preferences = participant_link_tokens(public_id, version)
        claim = {"p": public_id, "v": version}
        assert link == _serializer(PARTICIPANT_LINK_SALT).dumps(claim)
        assert preferences == _serializer(PREFERENCES_LINK_SALT).dumps(claim)
        assert link == participant_link_token(public_id, version)
        assert preferences == participant_link_token(public_id, version, PREFERENCES_LINK_SALT)
    monkeypatch.undo()
    with app.app_context():
        link, preferences = participant_link_tokens(public_id, version)
        opened = read_participant_link(link)
        assert (opened.public_id, opened.version) == (public_id, version)
        opened = read_participant_link(preferences, PREFERENCES_LINK_SALT)
        assert (opened.public_id, opened.version) == (public_id, version)
        with pytest.raises(BadLink):
            read_participant_link(preferences)
        with pytest.raises(BadLink):
            read_participant_link(link, PREFERENCES_LINK_SALT)


def test_tokens_signed_before_a_key_rotation_still_open(app):
    """The signer is kept per key set: a token signed with the old key opens once that key is
    a fallback, and new tokens are signed with the new key."""
    with app.app_context():
        old_key = app.config["SECRET_KEY"]
        before = participant_link_tokens("abc", 3)
        app.config["SECRET_KEY_FALLBACKS"] = [old_key]
        app.config["SECRET_KEY"] = "a new key, rotated in"
        after = participant_link_tokens("abc", 3)
        assert after != before
        for token in (before[0], after[0]):
            assert read_participant_link(token).version == 3
        app.config["SECRET_KEY_FALLBACKS"] = []
        with pytest.raises(BadLink):
            read_participant_link(before[0])
        assert read_participant_link(after[0]).public_id == "abc"
