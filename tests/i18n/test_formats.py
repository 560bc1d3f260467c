"""Dates, numbers, lists and name order in the reader's language; English as before."""

from __future__ import annotations

import string
from datetime import date, datetime, timedelta

import pytest
from babel.dates import format_date
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from app.domain import zones
from app.domain.collation import collator_for, sort_key, sorted_by_name
from app.extensions import db
from app.models import Game, Participant
from app.web.time_filters import and_list, day, in_zone, number, time_note
from tests.helpers import emptied, make_world

# Every strftime format the templates pass to the filters.
FORMATS = (
    "%-d %b %Y %H:%M",
    "%a %-d %b",
    "%a %-d %b %H:%M",
    "%-d %B %Y",
    "%-d %B",
    "%-d %b",
    "%-d %b %Y",
    "%A %-d %B",
    "%A %-d %B %Y",
)
ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Pacific/Auckland")
ENGLISH_MONTHS = [date(2026, m, 1).strftime("%B") for m in range(1, 13)]


@pytest.fixture
def request_in(app):
    """A request context whose language a test forces with `force_locale`."""
    with app.test_request_context("/"):
        yield


def test_french_dates_numbers_and_lists(request_in):
    moment = datetime(2026, 12, 2, 8, 0)  # 09:00 in Paris
    with force_locale("fr"):
        assert in_zone(moment, "Europe/Paris", "%A %-d %B") == "mercredi 2 décembre"
        assert in_zone(moment, "Europe/Paris") == "2 déc. 2026 à 09:00"
        assert in_zone(moment, "Europe/Paris", "%a %-d %b") == "mer. 2 déc."
        assert day(date(2026, 12, 2), "%-d %B %Y") == "2 décembre 2026"
        assert number(1234).replace("\u202f", " ").replace("\xa0", " ") == "1 234"
        assert and_list(["Ann", "Bob", "Cy"]) == "Ann, Bob et Cy"
        assert time_note("Europe/Paris") == "heure de Paris"
        assert time_note("UTC") == ""
    with force_locale("en"):
        assert in_zone(moment, "Europe/Paris") == "2 Dec 2026 09:00"
        assert number(1234) == "1,234"
        assert time_note("Europe/Paris") == "Paris time"
        assert in_zone(None, "Europe/Paris") == "" and day(None) == ""


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    moment=st.datetimes(datetime(1990, 1, 1), datetime(2090, 12, 31)),
    zone=st.sampled_from(ZONES),
    fmt=st.sampled_from(FORMATS),
)
def test_english_dates_read_exactly_as_before(request_in, moment, zone, fmt):
    """The filters changed nothing an English reader sees: strftime's output, to the letter."""
    with force_locale("en"):
        assert in_zone(moment, zone, fmt) == zones.local_moment(moment, zone).strftime(fmt)
        assert day(moment.date(), fmt) == moment.date().strftime(fmt)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    moment=st.datetimes(datetime(1990, 1, 1), datetime(2090, 12, 31)),
    zone=st.sampled_from(ZONES),
    fmt=st.sampled_from(FORMATS),
)
def test_french_dates_name_no_english_month_or_day(request_in, moment, zone, fmt):
    with force_locale("fr"):
        shown = in_zone(moment, zone, fmt)
    local = zones.local_moment(moment, zone)
    assert str(local.day) in shown and shown == shown.strip()
    for english in (local.strftime("%B"), local.strftime("%A")):
        assert english not in shown
    if "%Y" in fmt:
        assert str(local.year) in shown
    if "%H" in fmt:
        assert local.strftime("%H:%M") in shown and " à " in shown


def test_collation_takes_the_reader_language_and_uses_the_root_order_for_both():
    names = ["Zoë", "émile", "Émile", "Łukasz", "Lukas", "Ana", "Ängel", "Chloé", "Cécile"]
    english = sorted_by_name(names, str, "en")
    assert sorted_by_name(names, str, "fr") == english == sorted_by_name(names, str)
    assert english.index("Lukas") < english.index("Łukasz") < english.index("Zoë")
    assert english.index("Cécile") < english.index("Chloé")
    assert collator_for("fr") is collator_for("en") is collator_for("fr_FR") is collator_for(None)
    assert sort_key("Émile", "fr") == sort_key("E\u0301mile", "fr")


# Names from letters no English month or weekday is spelt with, with accents French uses.
_NAME = st.text(alphabet="QXZJKVéèçàøÉÈ" + string.digits, min_size=3, max_size=8).map(
    lambda s: "Zq" + s
)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    names=st.lists(_NAME, min_size=3, max_size=5, unique=True),
    start=st.dates(date(2001, 1, 1), date(2090, 12, 1)),
    length=st.integers(1, 60),
)
def test_a_french_participant_page_shows_names_and_dates_in_french(app, names, start, length):
    people = [(name, f"p{i}@example.org") for i, name in enumerate(names)]
    with emptied(app):
        world = make_world(app, people, seed=3)
        end = start + timedelta(days=length)
        with app.app_context():
            game = db.session.get(Game, world.game_id)
            game.language, game.starts_on, game.ends_on = "fr", start, end
            db.session.commit()
        me = world.ids[0]
        page = world.client(me).get("/me", headers={"Accept-Language": "en"})
        assert page.status_code == 200
        shown = page.text
        assert '<html lang="fr">' in shown
        assert str(escape(world.name(me))) in shown
        assert format_date(start, "d MMMM", locale="fr") in shown
        assert format_date(end, "d MMMM y", locale="fr") in shown
        for month in ENGLISH_MONTHS:
            assert month not in shown, month
        with app.app_context():
            assert db.session.get(Participant, me).language is None


def test_the_same_instant_on_two_clocks_is_written_twice(app):
    """Written moments are kept per process: one instant read on Paris's clock and on UTC's (equal
    as aware datetimes) still gives each clock its own time, in each language."""
    from zoneinfo import ZoneInfo

    from app.i18n import format_moment

    paris = datetime(2026, 12, 9, 13, 0, tzinfo=ZoneInfo("Europe/Paris"))
    utc = datetime(2026, 12, 9, 12, 0, tzinfo=ZoneInfo("UTC"))
    assert paris == utc
    with app.test_request_context("/"):
        for language in ("en", "fr"):
            with force_locale(language):
                for _ in range(2):  # written, then kept
                    assert format_moment(paris, "%-d %b %H:%M").endswith("13:00")
                    assert format_moment(utc, "%-d %b %H:%M").endswith("12:00")
        with force_locale("fr"):
            assert format_moment(date(2026, 12, 9), "%A %-d %B") == "mercredi 9 décembre"
        assert format_moment(date(2026, 12, 9), "%A %-d %B") == "Wednesday 9 December"
