"""The templates' own `url_for` and `csrf_field`: built faster than Flask's, never different."""

from __future__ import annotations

import re

from flask import render_template_string, url_for
from flask_wtf.csrf import generate_csrf, validate_csrf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
@given(value=st.one_of(PLAIN, AWKWARD, st.integers(min_value=0, max_value=10**9)))
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
                    assert shown == str(expected).replace("&", "&amp;"), (endpoint, value)


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
