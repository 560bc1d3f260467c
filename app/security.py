"""Response headers, HTTPS behaviour and request sanity checks every page gets."""

from __future__ import annotations

from flask import Flask, abort, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS (or config says so)."""

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
    """Text with a NUL character is refused on every database alike (PostgreSQL rejects it)."""
    values = [*request.args.values(), *request.form.values(), request.path]
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
