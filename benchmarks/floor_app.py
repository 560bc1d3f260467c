"""The service with two extra addresses that show the floor under every participant page: what
a page costs before it shows anything.

- `/floor/flask`: the service's Flask app answering an empty page to a participant's browser:
  the request, the signed session cookie, every hook (security headers, CSRF, Flask-Login,
  the database session's teardown), and no query.
- `/floor/visit`: the same, plus the participant guard every participant page runs: the one
  query that checks the session on the server and reads the participant, their game, their
  mortal and hints, and the home page's counts (as `/me` asks for them). Then an empty page.

A page's figure can come no closer to bare Flask than these. benchmarks/pages.py (`--floors`)
loads them under gunicorn beside the pages; benchmarks/page_instructions.py (`--floors`)
counts their instructions.
"""

from __future__ import annotations

from flask import Flask

# (label, who, path), as the benchmarks' PAGES: who is one of the links `pages.build` returns.
FLOORS = [
    ("floor: Flask + session", "mortal10", "/floor/flask"),
    ("floor: + the visit query", "mortal10", "/floor/visit"),
]


def add_floors(app: Flask) -> Flask:
    """Add the two floor addresses to the service's app (before its first request)."""
    from app.web.guards import participant_required

    def flask_floor() -> str:
        return ""

    @participant_required(counts=True)
    def visit_floor() -> str:
        return ""

    app.add_url_rule("/floor/flask", "floor_flask", flask_floor)
    app.add_url_rule("/floor/visit", "floor_visit", visit_floor)
    return app


def create_app() -> Flask:
    """The service, configured from the environment as `app:create_app()` is, with the floors."""
    from app import create_app as create_service

    return add_floors(create_service())
