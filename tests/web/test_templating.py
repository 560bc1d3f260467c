"""Templates compiled once per language, their fixed strings already translated
(app/web/templating.py): every page and email reads exactly as when each string was a call.
"""

from __future__ import annotations

import re
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from flask_babel import force_locale
from jinja2 import Environment, nodes
from jinja2.runtime import EvalContext
from sqlalchemy import select, update

from app.extensions import db
from app.i18n import LANGUAGES, catalogue, current_language
from app.models import Game, Participant
from app.web import templating
from app.web.time_filters import template_gettext
from tests.helpers import login, make_facilitator, make_game, open_as_participant, without_csrf
from tests.i18n.test_french_crawl import PARTICIPANT_PAGES
from tests.web.test_crawl import A_FACILITATOR, _build, _same_site

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
_HREF = re.compile(r'href="([^"]*)"')


def _fixed_calls(tree: nodes.Template) -> list[str]:
    """The fixed strings a template passes, alone, to gettext."""
    return [
        call.args[0].value
        for call in tree.find_all(nodes.Call)
        if isinstance(call.node, nodes.Name)
        and call.node.name in ("_", "gettext")
        and len(call.args) == 1
        and isinstance(call.args[0], nodes.Const)
        and not call.kwargs
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_fixed_string_compiles_to_what_its_call_writes(app, language):
    """In every template, each `_("…")` and variable-free `{% trans %}` is compiled to
    exactly what the call returns in that language, escaped or not as the template is."""
    env = app.jinja_env
    checked = 0
    with app.test_request_context("/"), force_locale(language):
        translate = templating._Translate(catalogue())
        for path in sorted(TEMPLATES.rglob("*.*")):
            name = path.relative_to(TEMPLATES).as_posix()
            tree = Environment._parse(env, path.read_text(), name, str(path))
            eval_ctx = EvalContext(env, name)
            for text in _fixed_calls(tree):
                call = nodes.Call(nodes.Name("_", "load"), [nodes.Const(text)], [], None, None)
                folded = translate.visit(call)
                written = template_gettext(eval_ctx, text)
                assert isinstance(folded, nodes.MarkSafeIfAutoescape), (name, text)
                value = folded.as_const(eval_ctx)
                assert value == written and type(value) is type(written), (name, text)
                checked += 1
    assert checked > 500


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_translation_joined_with_tilde_is_never_folded_into_plain_text(app, language):
    """Jinja folds a `~` join of constants into one plain string (losing a translation's
    Markup, so the text is escaped twice where it is written). No template's join holds a
    compiled-in translation, and the roster hint that joins two reads escaped once."""
    env = app.jinja_env
    joins = 0
    with app.test_request_context("/"), force_locale(language):
        reset = templating._compiling.set(language)
        try:
            for path in sorted(TEMPLATES.rglob("*.*")):
                name = path.relative_to(TEMPLATES).as_posix()
                tree = env._parse(path.read_text(), name, str(path))
                for join in tree.find_all(nodes.Concat):
                    joins += 1
                    assert not [
                        part for part in join.nodes if isinstance(part, nodes.MarkSafeIfAutoescape)
                    ], (name, join)
        finally:
            templating._compiling.reset(reset)
    assert joins > 0
    with app.app_context():
        game_id = make_game(make_facilitator(*A_FACILITATOR), 3).id
    organiser = app.test_client()
    login(organiser, A_FACILITATOR[1])
    page = organiser.get(f"/games/{game_id}", headers={"Accept-Language": language}).text
    assert "&amp;lt;" not in page and "&amp;gt;" not in page
    assert ("Name &lt;email&gt;" if language == "en" else "Nom &lt;e-mail&gt;") in page


def _pages(app, language: str) -> dict[str, str]:
    """Each organiser page reachable by links and each player's pages, in `language`, each
    fetched twice with the templates compiled afresh before each fetch: first with their
    strings compiled in, then with every string a call (plain Jinja). Reading a page may
    change what it shows next (an inbox marks its notes read): it is read once before."""
    with app.app_context():
        db.session.execute(update(Game).values(language=language))
        db.session.commit()
        people = db.session.execute(select(Participant).order_by(Participant.id)).scalars().all()
        people = [p for p in people if p.game.name == "Kindness month"][:3]
    headers = {"Accept-Language": language}
    organiser = app.test_client()
    login(organiser, A_FACILITATOR[1])
    clients = [("organiser", organiser, ["/games"])]
    for person in people:
        client = app.test_client()
        with app.app_context():
            open_as_participant(client, app, db.session.merge(person))
        clients.append((person.name, client, list(PARTICIPANT_PAGES)))
    differ = {}
    for who, client, start in clients:
        queue, seen = deque(start), set()
        while queue and len(seen) < 40:
            url = queue.popleft()
            if url in seen:
                continue
            seen.add(url)
            client.get(url, headers=headers)
            bodies = []
            for plain in (False, True):
                app.jinja_env.cache.clear()
                parse = Environment._parse if plain else templating.PageEnvironment._parse
                templating.PageEnvironment._parse = parse
                try:
                    response = client.get(url, headers=headers)
                finally:
                    templating.PageEnvironment._parse = _FOLDING_PARSE
                bodies.append(without_csrf(response.get_data(as_text=True)))
            if bodies[0] != bodies[1]:
                differ[f"{who} {url}"] = bodies
            if who == "organiser":
                for link in _HREF.findall(bodies[0]):
                    target = _same_site(url, link)
                    if target and target not in seen and "/dev/" not in target:
                        queue.append(target)
    return differ


_FOLDING_PARSE = templating.PageEnvironment._parse


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_read_the_same_with_their_strings_compiled_in(app, monkeypatch, language):
    """An organiser's and three players' pages, in each language, byte for byte the same
    whether each fixed string is compiled in or called at each render."""
    _build(app, seed=3)
    monkeypatch.setattr(app.jinja_env, "_bytecode_cache", None)
    # One frozen clock: a page with signed links (the slips) signs them with the second.
    with time_machine.travel(datetime.now(UTC), tick=False):
        differ = _pages(app, language)
    assert not differ, sorted(differ)


@pytest.mark.parametrize(("page", "email"), [("fr", "en"), ("en", "fr")])
def test_a_page_written_after_an_email_in_another_language_keeps_its_own(app, page, email):
    """A request that writes an email in its recipient's language (`force_locale`) before
    its own page has chosen a language: the page is still in the reader's language, its
    fixed strings and its calls alike (signing out everywhere emails a fresh link first)."""
    logged_in = {"fr": "Se connecter", "en": "Log in"}
    with app.test_request_context("/login", headers={"Accept-Language": page}):
        with force_locale(email):
            assert current_language() == email
            assert catalogue().ugettext("Log in") == logged_in[email]
        assert current_language() == page
        assert catalogue().ugettext("Log in") == logged_in[page]
        title = app.jinja_env.from_string("{{ _('Log in') }}").render()
        assert logged_in[page] == title
        signed_out = {"fr": "Vous êtes déconnecté", "en": "You are signed out everywhere"}
        compiled = app.jinja_env.get_template("participant/signed_out_everywhere.html")
        written = compiled.render()
        assert f'lang="{page}"' in written and signed_out[page] in written
