"""The delivery round a note comes in: stored language-neutral, written out in the reader's
language, English exactly as it always read."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.delivery import Round, round_label
from app.i18n import round_name

PARTS = {"morning": "du matin", "afternoon": "de l’après-midi", "evening": "du soir"}
# Any day of the service's years and any time of it: a round's moment.
DAYS = st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31))
TIMES = st.builds(time, st.integers(0, 23), st.integers(0, 59))
# Hypothesis inside the `request_in` fixture's one request.
IN_A_REQUEST = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}


@pytest.fixture
def request_in(app):
    """A request context whose language a test forces with `force_locale`."""
    with app.test_request_context("/"):
        yield


def _part(at: time) -> str:
    return "morning" if at.hour < 12 else "afternoon" if at.hour < 17 else "evening"


@settings(max_examples=80, **IN_A_REQUEST)
@given(day=DAYS, at=TIMES)
def test_a_stored_round_reads_in_each_language(request_in, day, at):
    """English reads as the label always did ("Sun 6 Dec, morning round"); French names the
    same day and part of the day in French, and neither gives the minute."""
    label = round_label(Round(datetime.combine(day, at), day, at))
    with force_locale("en"):
        assert round_name(label) == f"{day:%a %-d %b}, {_part(at)} round"
    with force_locale("fr"):
        french = round_name(label)
    assert french.startswith(f"tournée {PARTS[_part(at)]} du ")
    assert str(day.day) in french and ":" not in french
    for english in (f"{day:%a}", f"{day:%b}", "round", "morning", "afternoon", "evening"):
        assert english not in french


def test_the_example_rounds(request_in):
    with force_locale("en"):
        assert round_name("2026-12-06 morning") == "Sun 6 Dec, morning round"
        assert round_name("2026-12-07 evening") == "Mon 7 Dec, evening round"
    with force_locale("fr"):
        assert round_name("2026-12-06 morning") == "tournée du matin du dim. 6 déc."
        assert round_name("2026-12-08 afternoon") == "tournée de l’après-midi du mar. 8 déc."


@pytest.mark.parametrize("legacy", ["Sun 6 Dec, morning round", "Today, morning round", "", None])
def test_a_label_stored_in_english_before_is_shown_as_it_is(request_in, legacy):
    with force_locale("fr"):
        assert round_name(legacy) == (legacy or "")


@settings(max_examples=60, **IN_A_REQUEST)
@given(day=DAYS, at=TIMES)
def test_a_sent_notes_confirmation_names_its_round_once_in_plain_french(request_in, day, at):
    """The round's French name starts with "tournée" and may end with an abbreviated month
    ("déc."): the sentences around it say neither "tournée" again nor a second full stop."""
    from app.i18n import fast_gettext

    label = round_label(Round(datetime.combine(day, at), day, at))
    with force_locale("fr"):
        name = round_name(label)
        for sentence in (
            "Your note is on its way: it arrives in the %(round)s.",
            "Sent as a note: it arrives in the %(round)s.",
        ):
            said = fast_gettext(sentence, round=name)
            assert name in said and said != sentence % {"round": name}
            assert said.count("tournée") == 1, said
            assert ".." not in said, said
