"""Which language a request is answered in.

- A participant's pages (the session guard has put them in `g.me`; a private link's page and
  the preferences link put the person the link is for in `g.reader`): their own choice, else
  their game's language — the one their invitation came in, so page and email agree.
- A facilitator's pages (Flask-Login has loaded her): her account's choice, else the browser.
- Everything else, public pages included (join, lost link, log in): the browser's
  Accept-Language among the languages the service speaks, else English.

Everything is read off objects the request loads anyway: choosing costs no query. A public
page never consults a logged-in facilitator's choice.
"""

from __future__ import annotations

from functools import lru_cache

from flask import g, has_request_context, request, session
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from app.i18n import DEFAULT_LANGUAGE, LANGUAGES, known_language, participant_language

# Pages anyone may open, and a participant's pages before their session is known (the link
# being opened, the bad-link page): they follow the browser whoever is signed in.
_BROWSER_BLUEPRINTS = frozenset({"public", "participant"})


def browser_language() -> str:
    """The browser's preferred language among those the service speaks, else English."""
    return _best_language(request.headers.get("Accept-Language", ""))


@lru_cache(maxsize=256)
def _best_language(header: str) -> str:
    """The language for one Accept-Language header: browsers send a handful of distinct
    values, so each is parsed once per process rather than on every request."""
    offered = parse_accept_header(header, LanguageAccept)
    return offered.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def select_locale() -> str:
    """The language of this request (see the module docstring); English outside a request
    (the CLI and the periodic tick render mail under the recipient's language explicitly)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    me = g.get("me") or g.get("reader")
    if me is not None:
        return participant_language(me)
    # Only with a login cookie is the facilitator read: the page loads her anyway (guard or
    # navigation bar), and Flask-Login keeps her for the request, so this adds no query.
    if request.blueprint not in _BROWSER_BLUEPRINTS and "_user_id" in session:
        chosen = known_language(getattr(current_user, "language", None))
        if chosen:
            return chosen
    return browser_language()
