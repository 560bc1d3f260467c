"""Response headers, HTTPS behaviour and request sanity checks every page gets."""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, abort, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import TimestampSigner, URLSafeTimedSerializer, want_bytes
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@lru_cache(maxsize=32)
def _derived_key(secret_key: bytes, salt: bytes, key_derivation: str, digest_method) -> bytes:
    """itsdangerous's signing key for this secret and salt: a pure function of them."""
    signer = TimestampSigner(
        secret_key, salt=salt, key_derivation=key_derivation, digest_method=digest_method
    )
    return signer.derive_key()


class KeptKeySigner(TimestampSigner):
    """itsdangerous's timestamp signer, deriving each key once per process rather than once
    per check: the derivation (an HMAC of the salt) was a tenth of reading a session cookie,
    which every page does. Signatures are exactly TimestampSigner's."""

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        """The derived key of `secret_key` (default: the newest), as TimestampSigner's."""
        key = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        return _derived_key(key, self.salt, self.key_derivation, self.digest_method)


@lru_cache(maxsize=32)
def _session_serializer(keys: tuple, salt, serializer, key_derivation, digest_method):
    """Flask's session serializer for these keys (oldest first, the signing key last), made
    once: Flask makes a new one, with its signer, for every request."""
    return URLSafeTimedSerializer(
        list(keys),
        salt=salt,
        serializer=serializer,
        signer=KeptKeySigner,
        signer_kwargs={"key_derivation": key_derivation, "digest_method": digest_method},
    )


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS (or config says so);
    its serializer is made once per set of keys (`_session_serializer`)."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's serializer (the same keys, salt, tags and signatures), kept."""
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        return _session_serializer(
            keys, self.salt, self.serializer, self.key_derivation, self.digest_method
        )

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure over HTTPS even if SESSION_COOKIE_SECURE was left off."""
        return bool(app.config["SESSION_COOKIE_SECURE"] or (request and request.is_secure))

    def should_set_cookie(self, app: Flask, session) -> bool:  # noqa: ARG002
        """Only when the session changed. The one permanent session, a participant's, ends on
        the server a fixed time after it was opened, so sliding the cookie's expiry on every
        page (SESSION_REFRESH_EACH_REQUEST) would keep nothing alive longer: it would only
        sign and send a new cookie with each page."""
        return session.modified


def init_app(app: Flask) -> None:
    """Register the hooks; trust X-Forwarded-* only from as many proxies as PROXY_FIX says."""
    app.session_interface = HttpsAwareSessionInterface()
    proxies = int(app.config.get("PROXY_FIX") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )
    app.before_request(_refuse_nul)
    app.after_request(_headers)


def _refuse_nul() -> None:
    """Text with a NUL character is refused on every database alike (PostgreSQL rejects it).
    A GET or HEAD has no form to read (no view reads one), so its body is not parsed."""
    values = [*request.args.values(), request.path]
    if request.method not in ("GET", "HEAD"):
        values += request.form.values()
    if any("\x00" in value for value in values):
        abort(400)


def _headers(response: Response) -> Response:
    """Keep links out of Referer headers and private pages out of caches.

    `same-origin` rather than `no-referrer`: Flask-WTF checks the Referer on HTTPS posts. Pages
    whose address holds a token set `no-referrer` themselves and check their forms otherwise.
    """
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if not request.path.startswith("/static/"):
        # Every non-static page is either private or personalised.
        response.headers["Cache-Control"] = "no-store"
    return response
