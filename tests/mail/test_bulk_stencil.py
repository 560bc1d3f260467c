"""A draw renders each invitation once per language and fills in each person's name and links:
what it stores must be exactly what rendering each person's invitation alone stores, whatever
the names, languages and game are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import time_machine
from flask import render_template
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.mail.bulk import Bulk, in_bulk
from app.mail.messages import enqueue_invitation, external_url, token_url
from app.models import OutboxMessage, utcnow
from tests.helpers import make_facilitator, make_running_game, participants_of

# Names as a roster might hold them, and as no roster should: markup, quotes, template syntax,
# format placeholders, accents and scripts, and the private-use marks a stencil is built with.
NAMES = st.text(
    st.one_of(
        st.sampled_from("<>&\"'{}%()s\\\ue000\ue001 éøßЖ漢🙂"),
        st.characters(blacklist_categories=("Cs", "Cc")),
    ),
    min_size=1,
    max_size=30,
)
COLUMNS = (OutboxMessage.participant_id, OutboxMessage.subject, OutboxMessage.body_text)
COLUMNS += (OutboxMessage.body_html,)


def _stored(ids: list[int]) -> dict[int, tuple]:
    rows = db.session.execute(
        select(*COLUMNS).where(OutboxMessage.participant_id.in_(ids), OutboxMessage.id > 0)
    ).all()
    return {row[0]: tuple(row) for row in rows}


def test_invitations_queued_in_bulk_are_the_ones_rendered_one_by_one(app):
    """For any names, languages and game name: the bulk block's stencilled bodies equal the
    bodies each invitation gets when queued on its own."""
    # Links carry the second they were signed in: both ways sign them in the same second.
    frozen = time_machine.travel(datetime(2026, 12, 6, 9, 0, tzinfo=UTC), tick=False)
    with app.app_context(), frozen:
        game = make_running_game(make_facilitator(), 3)
        people = participants_of(game)
        ids = [p.id for p in people]
        db.session.execute(db.delete(OutboxMessage))
        db.session.commit()

        @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(
            names=st.lists(NAMES, min_size=3, max_size=3),
            languages=st.lists(st.sampled_from([None, "en", "fr"]), min_size=3, max_size=3),
            game_name=st.one_of(st.just("Kindness month"), NAMES),
            game_language=st.sampled_from(["en", "fr"]),
        )
        def check(names, languages, game_name, game_language):
            try:
                game.name, game.language = game_name, game_language
                for person, name, language in zip(people, names, languages, strict=True):
                    person.name, person.language = name, language
                with in_bulk():
                    for person in people:
                        enqueue_invitation(game, person, utcnow())
                bulk = _stored(ids)
                db.session.execute(db.delete(OutboxMessage))
                for person in people:
                    enqueue_invitation(game, person, utcnow())
                db.session.flush()
                assert bulk == _stored(ids)
                assert len(bulk) == len(people)
            finally:
                db.session.rollback()

        check()


@dataclass(frozen=True)
class Reveal:
    """What the end-of-game email says about the reveal."""

    revealed: bool = True
    kept_secret: bool = True
    angel_name: str | None = None
    guessed: bool = False
    guess_right: bool = False


def test_a_template_reading_more_of_the_participant_is_rendered_for_each(app):
    """The end-of-game email reads whether the participant chose to stay secret: two people who
    chose differently get different bodies from a bulk block, each what rendering gives."""
    with app.app_context():
        game = make_running_game(make_facilitator(), 3)
        first, second, _ = participants_of(game)
        first.stay_secret, second.stay_secret = True, False
        bulk = Bulk()
        bodies = []
        for person in (first, second):
            context = {
                "participant": person,
                "game": game,
                "link": f"http://angels.test/p/{person.id}",
                "preferences_link": f"http://angels.test/prefs/{person.id}",
                "reveal": Reveal(),
                "subject": "The end",
            }
            rendered = bulk.render("game_ended", context)
            assert rendered == (
                render_template("email/game_ended.txt", **context),
                render_template("email/game_ended.html", **context),
            )
            bodies.append(rendered[0])
        assert "As you chose" in bodies[0] and "As you chose" not in bodies[1]


def test_a_link_written_around_its_token_is_the_one_the_url_map_builds(app):
    """Links are written as the path before and after the token, worked out once: for any
    URL-safe token (what a signed token is made of), the URL the map builds."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."

    @settings(max_examples=50, deadline=None)
    @given(token=st.text(alphabet, min_size=1))
    def check(token):
        for endpoint in ("participant.open_link", "participant.open_preferences"):
            assert token_url(endpoint, token) == external_url(endpoint, token=token)

    with app.app_context():
        check()
