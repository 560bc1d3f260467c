"""The session cookie's serializer is made once per set of keys and derives each signing key
once (app/security.py): its cookies are exactly Flask's own, both ways, under key rotation."""

from __future__ import annotations

import hashlib

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import BadSignature, TimestampSigner

from app.security import HttpsAwareSessionInterface, KeptKeySigner

_keys = st.text(min_size=1, max_size=40)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _flask(secret: str, fallbacks: list[str] | None = None) -> Flask:
    app = Flask(__name__)
    app.secret_key = secret
    app.config["SECRET_KEY_FALLBACKS"] = fallbacks or []
    return app


@settings(max_examples=60, deadline=None)
@given(key=_keys, salt=st.binary(max_size=30), derivation=st.sampled_from(["hmac", "concat"]))
def test_a_kept_key_is_the_key_itsdangerous_derives(key, salt, derivation):
    for digest in (hashlib.sha1, hashlib.sha256):
        kept = KeptKeySigner(key, salt=salt, key_derivation=derivation, digest_method=digest)
        plain = TimestampSigner(key, salt=salt, key_derivation=derivation, digest_method=digest)
        assert kept.derive_key() == plain.derive_key()
        # A second derivation (kept) is still the same key.
        assert kept.derive_key(key) == plain.derive_key(key)


@settings(max_examples=60, deadline=None)
@given(data=st.dictionaries(st.text(max_size=10), _json, max_size=4), secret=_keys)
def test_session_cookies_are_flasks_own_both_ways(data, secret):
    app = _flask(secret)
    ours, flasks = HttpsAwareSessionInterface(), SecureCookieSessionInterface()
    ours_signer = ours.get_signing_serializer(app)
    flask_signer = flasks.get_signing_serializer(app)
    assert ours_signer.loads(flask_signer.dumps(data)) == data
    assert flask_signer.loads(ours_signer.dumps(data)) == data
    # Made once for these keys: the next request's is the same object.
    assert ours.get_signing_serializer(app) is ours_signer


def test_a_rotated_key_reads_old_cookies_only_through_its_fallback():
    old, new = "an-old-secret-key-0123456789", "a-new-secret-key-9876543210"
    cookie = SecureCookieSessionInterface().get_signing_serializer(_flask(old)).dumps({"a": 1})
    ours = HttpsAwareSessionInterface()
    assert ours.get_signing_serializer(_flask(new, [old])).loads(cookie) == {"a": 1}
    rotated_alone = ours.get_signing_serializer(_flask(new))
    with pytest.raises(BadSignature):
        rotated_alone.loads(cookie)
    # Signed with the new key, whatever the fallbacks.
    fresh = ours.get_signing_serializer(_flask(new, [old])).dumps({"b": 2})
    assert SecureCookieSessionInterface().get_signing_serializer(_flask(new)).loads(fresh) == {
        "b": 2
    }


def test_no_secret_key_means_no_session_serializer():
    app = Flask(__name__)
    assert HttpsAwareSessionInterface().get_signing_serializer(app) is None
