"""The templates' own `url_for` and `csrf_field`: built faster than Flask's, never different."""

from __future__ import annotations

import re

from flask import render_template_string, url_for
from flask_wtf.csrf import generate_csrf, validate_csrf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from tests.helpers import (
    make_facilitator,
    make_running_game,
    open_as_participant,
    participants_of,
)

# Every endpoint of the app that takes exactly one value, with a value of the kind it takes.
PLAIN = st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True)
AWKWARD = st.text(min_size=1, max_size=20).filter(lambda v: not v.startswith("_"))


def _one_value_endpoints(app) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if len(rule.arguments) == 1:
            (name,) = rule.arguments
            found.append((rule.endpoint, name))
    return sorted(set(found))


# The app is only read: the same one serves every example.
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.one_of(
        PLAIN, AWKWARD, st.integers(min_value=0, max_value=10**9), st.none(), st.booleans()
    )
)
def test_a_template_address_is_the_one_flask_builds(app, value):
    """For every one-value endpoint (a public id, a number, a converter that refuses text) and
    any value, the template's address is exactly `url_for`'s, asked twice (built, then from the
    kept shape), under the root and under a mount point."""
    template = "{{ url_for(endpoint, **{name: value}) }}"
    for root in ("", "/angels"):
        with app.test_request_context("/", environ_base={"SCRIPT_NAME": root}):
            for endpoint, name in _one_value_endpoints(app):
                try:
                    expected = url_for(endpoint, **{name: value})
                except Exception as exc:  # noqa: BLE001 - the template must refuse alike
                    refused = type(exc)
                    try:
                        render_template_string(template, endpoint=endpoint, name=name, value=value)
                    except refused:
                        continue
                    raise AssertionError(f"{endpoint} built an address Flask refuses") from None
                for _ in range(2):
                    shown = render_template_string(
                        template, endpoint=endpoint, name=name, value=value
                    )
                    assert shown == str(escape(expected)), (endpoint, value)


def test_every_form_on_a_page_carries_the_sessions_token_once_built(app):
    """`csrf_field()` is the hidden input Flask-WTF checks, with the session's token; with CSRF
    checks off it is empty, as a form's own field would be."""
    app.config["WTF_CSRF_ENABLED"] = True
    with app.test_request_context("/"):
        html = render_template_string("{{ csrf_field() }}{{ csrf_field() }}")
        token = generate_csrf()
        found = re.findall(r'<input type="hidden" name="csrf_token" value="([^"]+)">', html)
        assert found == [token, token]
        validate_csrf(found[0])
    app.config["WTF_CSRF_ENABLED"] = False
    with app.test_request_context("/"):
        assert render_template_string("{{ csrf_field() }}") == ""


PAGES_WITH_FIELDS = ["/me", "/me/angel", "/me/inbox", "/me/hints", "/me/journal", "/me/preferences"]


def test_a_page_written_with_kept_fields_is_the_page_written_without(app, client, monkeypatch):
    """Every participant page with form fields, in both languages and twice over (written,
    then from the kept fields), is byte for byte the page WTForms alone writes; and a refused
    form's typed text is shown back but never kept."""
    from app.web import field_html
    from tests.web.test_pages import _full_world

    _full_world(app, client)
    client.get("/me/inbox")  # marks its first page read: from here on, every page stays put

    def pages() -> dict[str, str]:
        shown = {}
        for language in ("en", "fr"):
            client.post("/me/language", data={"language": language})
            for path in PAGES_WITH_FIELDS:
                page = client.get(path)
                assert page.status_code == 200, path
                shown[f"{language} {path}"] = page.text
        return shown

    field_html._kept.clear()
    kept_first, kept_again = pages(), pages()
    assert field_html._kept, "no field was kept"
    monkeypatch.setattr(field_html, "_key", lambda *_args: None)
    plain = pages()
    for name, html in plain.items():
        # The CSRF token and nothing else may differ between two visits.
        assert _no_token(kept_first[name]) == _no_token(html), name
        assert _no_token(kept_again[name]) == _no_token(html), name

    monkeypatch.undo()
    field_html._kept.clear()
    typed = "Secret words typed " + "x" * 3
    refused = client.post("/me/angel/note", data={"message": typed, "when": "not-a-day"})
    assert typed in refused.text
    assert all(typed not in str(value) for value in field_html._kept.values())
    assert all(typed not in repr(key) for key in field_html._kept)


def _no_token(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    days=st.lists(st.dates(), min_size=1, max_size=5),
    attrs=st.dictionaries(
        st.sampled_from(["maxlength", "data-counter", "rows"]), PLAIN, max_size=2
    ),
    language=st.sampled_from(["en", "fr"]),
)
def test_a_kept_field_is_what_wtforms_writes_for_those_choices_and_attributes(
    app, days, attrs, language
):
    """Fields of one form class with other choices, attributes or language are never taken
    for one another."""
    from flask_babel import force_locale
    from wtforms.fields.choices import SelectChoice

    from app.web import field_html
    from app.web.forms import NoteForm

    with app.test_request_context("/"), force_locale(language):
        form = NoteForm(meta={"csrf": False})
        form.when.choices = [SelectChoice("next", "Next")] + [
            SelectChoice(d.isoformat(), d.strftime("%d %B")) for d in days
        ]
        field_html.may_keep(form.when)
        for field in (form.when, form.message):
            assert field_html._key(field, "widget", ()) is not None, field.name
            for _ in range(2):
                assert field_html.field_widget(field, attrs) == field(**attrs)
                assert field_html.field_label(field) == field.label()
                assert field_html.field_label(field, "Other") == field.label(text="Other")


def test_kept_fields_stay_within_their_size_however_long_an_organisers_lists(app, monkeypatch):
    """A game's pick-up spots are an organiser's to make, as many and as long as they like:
    one field too long is written each time, and all kept fields together stay under their
    budget; a label is kept once whatever its field's choices."""
    from wtforms.fields.choices import SelectChoice

    from app.web import field_html
    from app.web.forms import InPersonForm

    monkeypatch.setattr(field_html, "_kept", {})
    monkeypatch.setattr(field_html, "_kept_chars", 0)
    monkeypatch.setattr(field_html, "KEPT_CHARS_MAX", 200_000)
    with app.test_request_context("/"):
        for round_ in range(40):
            form = InPersonForm(meta={"csrf": False})
            spots = 100 if round_ % 2 else 500  # many (kept), then too many (never)
            form.drop_off.choices = [
                SelectChoice(i, f"Spot {round_}-{i} " + "y" * 100) for i in range(spots)
            ]
            field_html.may_keep(form.drop_off)
            for _ in range(2):
                assert field_html.field_widget(form.drop_off, {}) == form.drop_off()
                assert field_html.field_label(form.drop_off) == form.drop_off.label()
            kept = field_html._kept
            assert all(len(html) <= field_html.KEPT_FIELD_MAX for html in kept.values())
            assert sum(map(len, kept.values())) <= field_html.KEPT_CHARS_MAX
            assert field_html._kept_chars == sum(map(len, kept.values()))
            labels = [key for key in kept if key[0] == "label"]
            assert len(labels) == 1, labels
        # The long lists were kept until their budget was spent, then the kept fields began
        # again: fewer than 20 of them are left.
        assert 0 < len(kept) < 20 and any(len(html) > 10_000 for html in kept.values())


def test_a_list_of_people_is_never_kept(app):
    """The guess page lists everyone but the reader and their mortal: kept, such lists would
    hold, person by person, who was left out of each, and so the pairings. None is kept."""
    from app.web import field_html

    with app.app_context():
        game = make_running_game(make_facilitator(), 6)
        people = participants_of(game)
        names = [p.name for p in people]
    field_html._kept.clear()
    for person in people:
        reader = app.test_client()
        open_as_participant(reader, app, person)
        page = reader.get("/me/guess")
        assert page.status_code == 200
        assert sum(name in page.text for name in names) >= 3  # the list was shown
    kept = repr(list(field_html._kept)) + "".join(map(str, field_html._kept.values()))
    assert not any(name in kept for name in names)
