"""Staying secret at the reveal works in a crowd: over random games, choices and guesses, the
set of withheld pairs is empty or holds at least k (every pair, in a game smaller than k), it
holds every angel who chose it, no mortal's page or email names a withheld angel, every page
and email tells the same reveal, and the facilitator's guess summary counts revealed pairs
only, with small counts suppressed.

Each example is a game on its own database, ended through the service with seeded randomness,
then read through the real pages and the outbox.
"""

from __future__ import annotations

import html
import random
import re
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.domain.disclosure import guess_result
from app.extensions import db
from app.models import Game, OutboxMessage, Pairing, Participant
from app.services import ending
from tests.helpers import (
    DISTINCT_PEOPLE,
    empty_database,
    fresh_app,
    logged_in_as,
    make_running_game,
    open_as_participant,
    pairings_of,
    participants_of,
    quick_facilitator,
    without_csrf,
)

PEOPLE = [
    *DISTINCT_PEOPLE,
    ("Florian Gage", "fgage@example.org"),
    ("Gwendolyn Hart", "ghart@example.org"),
]

GAMES = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def endings(draw) -> SimpleNamespace:
    """A game of 3 to 7 people, k from 1 to 5 (sometimes more than the game), who chose to
    stay secret, who guessed whom, and whether the game reveals."""
    n = draw(st.integers(3, len(PEOPLE)))
    return SimpleNamespace(
        n=n,
        k=draw(st.integers(1, 5)),
        chose=draw(st.sets(st.integers(0, n - 1))),
        guesses=draw(st.lists(st.none() | st.integers(0, n - 1), min_size=n, max_size=n)),
        reveal=draw(st.booleans()),
        seed=draw(st.integers(0, 2**16)),
    )


def _reveal_text(page: str) -> str:
    """The reveal card of a participant's home page, as plain text."""
    match = re.search(
        r'<section class="card mission" aria-labelledby="reveal-h">.*?</section>', page, re.S
    )
    assert match, "the ended game shows a reveal card"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(0))).split())


def _end_section(page: str) -> str:
    match = re.search(
        r'<section class="card ended-note"[^>]*>\s*<h2[^>]*>This game has ended</h2>.*?</section>',
        page,
        re.S,
    )
    assert match
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(0))).split())


def _expected_summary(made: int, right: int, k: int) -> str:
    """The sentence the facilitator should read, from the counts over revealed pairs."""
    result = guess_result(made, right, k)
    if result.none:
        return "No guesses to count."
    if result.guesses.suppressed:
        return f"Fewer than {k} guesses can be counted"
    if result.right.suppressed:
        return f"{made} guesses were made; how many were right is not shown"
    return f"{result.right} of the {made} guesses were right."


@GAMES
@given(case=endings())
def test_secrets_are_kept_in_a_crowd_and_every_page_agrees(app, case):
    empty_database(app)
    app.config["DASHBOARD_MIN_COUNT"] = case.k
    with app.app_context():
        fran = quick_facilitator()
        game = make_running_game(fran, PEOPLE[: case.n], seed=case.seed)
        game.reveal_at_end = case.reveal
        people = participants_of(game)
        for i in case.chose:
            ending.set_stay_secret(people[i], True)
        mortal_of = pairings_of(game)
        for i, g in enumerate(case.guesses):
            # Anyone but oneself and one's own mortal (the guess list leaves both out).
            if g is not None and g != i and mortal_of[people[i].id] != people[g].id:
                ending.set_guess(people[i], people[g].id)
        ending.end_game(db.session.get(Game, game.id), random.Random(case.seed))
        game_id, fran_id = game.id, fran.id
        angel_of = {
            m: a
            for a, m in db.session.execute(
                select(Pairing.angel_id, Pairing.mortal_id).where(Pairing.game_id == game_id)
            ).all()
        }
        withheld = set(
            db.session.execute(
                select(Pairing.angel_id).where(Pairing.game_id == game_id, Pairing.withheld)
            ).scalars()
        )
        by_id = {
            p.id: SimpleNamespace(
                id=p.id,
                name=p.name,
                email=p.email,
                public_id=p.public_id,
                link_version=p.link_version,
                guess_id=p.guess_id,
            )
            for p in db.session.execute(
                select(Participant).where(Participant.game_id == game_id)
            ).scalars()
        }
        mail = {
            m.participant_id: html.unescape(m.body_text + "\n" + m.body_html)
            for m in db.session.execute(
                select(OutboxMessage).where(OutboxMessage.kind == "game-ended")
            ).scalars()
        }
    ids = [p.id for p in people]
    chose = {ids[i] for i in case.chose}

    # The crowd: nobody, or at least k (everyone, when the game is smaller than k), always
    # holding every angel who chose it.
    assert chose <= withheld
    assert (not withheld) == (not chose)
    if withheld:
        assert len(withheld) >= min(case.k, case.n)
        assert len(withheld) >= case.k or len(withheld) == case.n

    for mortal in ids:
        angel = by_id[angel_of[mortal]]
        client = app.test_client()
        assert open_as_participant(client, app, by_id[mortal]).status_code == 302
        page = client.get("/me").text
        assert without_csrf(client.get("/me").text) == without_csrf(page)  # a stable reveal
        card, letter = _reveal_text(page), mail[mortal]
        everything = (html.unescape(page) + letter).lower()
        if not case.reveal:
            assert "keeps its secrets" in card
            assert angel.name.lower() not in everything
        elif angel.id in withheld:
            # Withheld: named nowhere the mortal can read, and the same words whatever the cause.
            assert angel.name.lower() not in everything
            assert angel.email.lower() not in everything
            assert "Your angel stays unknown" in card and "Your angel stays unknown" in letter
            assert "your guess" not in everything
        else:
            assert f"Your angel was {angel.name}" in card
            assert f"Your angel was: {angel.name}" in letter
        # The angel's own side: told that their mortal was not told, exactly when withheld.
        kept = "was not told that you were their angel"
        told = case.reveal and mortal in withheld
        assert (kept in card) == told and (kept in letter) == told
        if told:
            assert ("As you chose" in card) == (mortal in chose)

    facilitator = logged_in_as(app.test_client(), fran_id)
    section = _end_section(facilitator.get(f"/games/{game_id}").text)
    if case.reveal:
        counted = [m for m in ids if angel_of[m] not in withheld and by_id[m].guess_id]
        right = sum(by_id[m].guess_id == angel_of[m] for m in counted)
        assert _expected_summary(len(counted), right, case.k) in section
    else:
        assert "The reveal was off" in section
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _of_angel(reveal: ending.Reveal) -> tuple:
    """What a reveal tells a mortal about their angel."""
    return reveal.revealed, reveal.angel_name, reveal.guessed, reveal.guess_right


def test_a_lone_secret_is_kept_company(tmp_path_factory):
    """One angel of five chooses to stay secret, k = 3: three angels are withheld, and the
    three mortals concerned read the very same words."""
    app = fresh_app(tmp_path_factory.mktemp("lone"), DASHBOARD_MIN_COUNT=3)
    with app.app_context():
        game = make_running_game(quick_facilitator(), PEOPLE[:5], seed=4)
        people = participants_of(game)
        ending.set_stay_secret(people[0], True)
        ending.end_game(db.session.get(Game, game.id), random.Random(4))
        rows = db.session.execute(
            select(Pairing.angel_id, Pairing.mortal_id).where(
                Pairing.game_id == game.id, Pairing.withheld
            )
        ).all()
        mortals = [db.session.get(Participant, m) for _, m in rows]
        # What each mortal learns of their angel (kept_secret is about their own side).
        cards = {_of_angel(ending.reveal_for(m)) for m in mortals}
    assert len(rows) == 3 and people[0].id in {a for a, _ in rows}
    assert len(cards) == 1  # nothing tells a chosen secret from a drawn one
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
