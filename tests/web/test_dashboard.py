"""The facilitator's participation dashboard: right figures, small counts of people hidden,
whole local days, a constant number of queries — and never a participant's name or address.
"""

from __future__ import annotations

import csv
import io
import random
import re
import string
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import event, insert, select, update

from app.extensions import db
from app.models import (
    CourierRequest,
    Game,
    Kindness,
    KindnessTally,
    OutboxMessage,
    Participant,
    Thanks,
    new_public_id,
)
from app.services import couriers, dashboard, notes, periodic, responses
from tests.helpers import (
    DISTINCT_PEOPLE,
    fresh_app,
    login,
    make_facilitator,
    make_game,
    make_running_game,
    pairings_of,
    participants_of,
    without_csrf,
)

# Names and addresses that are not substrings of each other or of the page's own words.
PEOPLE = [
    *DISTINCT_PEOPLE,
    ("Fitzgerald Orme", "forme@example.org"),
]
RNG_SEED = 11
DASHBOARD_NOW = datetime(2026, 12, 9, 23, 0)  # 18:00 on 9 December in New York
JOINED = datetime(2026, 12, 1, 8)  # when everyone in the small game joined


@pytest.fixture
def app_config(app_config, request):
    """The shared test configuration, with any overrides a test passes indirectly."""
    return {**app_config, **getattr(request, "param", {})}


def config(**overrides):
    """Parametrize a test's app configuration."""
    return pytest.mark.parametrize("app_config", [overrides], indirect=True, ids=["config"])


@pytest.fixture
def frozen_now(monkeypatch):
    """The dashboard's "now", fixed so the last-7-days figure does not depend on the clock."""
    monkeypatch.setattr(dashboard, "utcnow", lambda: DASHBOARD_NOW)
    return DASHBOARD_NOW


def _invitation(game_id: int, participant_id: int, status: str) -> None:
    db.session.execute(
        insert(OutboxMessage).values(
            game_id=game_id,
            participant_id=participant_id,
            kind="invitation",
            to_addr="someone@example.org",
            subject="Your invitation",
            body_text="…",
            body_html="…",
            message_id=f"<{new_public_id()}@test>",
            status=status,
        )
    )


def _set_invitations(game: Game, statuses: dict[int, str]) -> None:
    """Give each participant's latest invitation this status."""
    for pid, status in statuses.items():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.participant_id == pid, OutboxMessage.kind == "invitation")
            .values(status=status)
        )
    db.session.commit()


def _courier_request(kindness_id: int, state: str = "offered") -> CourierRequest:
    return db.session.execute(
        select(CourierRequest)
        .where(CourierRequest.kindness_id == kindness_id, CourierRequest.state == state)
        .order_by(CourierRequest.id.desc())
    ).scalar_one()


def build_small_game(app: Flask) -> int:
    """A game in New York time, played through the services at chosen moments.

    Five active people (a sixth leaves at the end); notes on 2 and 3 December local time,
    two in-person kindnesses (one done, one declined and then left unanswered), one
    cancelled note, one thanks; four invitations delivered, one failed, two pages opened.
    """
    rng = random.Random(RNG_SEED)
    with app.app_context():
        game = make_running_game(make_facilitator(), PEOPLE, seed=3)
        game.timezone = "America/New_York"
        db.session.commit()
        a, b, c, d, e, f = participants_of(game)
        mortal_of = pairings_of(game)
        by_id = {p.id: p for p in (a, b, c, d, e, f)}

        first = notes.send_note(a, "A song for you", now=datetime(2026, 12, 2, 10), rng=rng)
        extra = notes.send_note(a, "Second thoughts", now=datetime(2026, 12, 2, 11), rng=rng)
        notes.cancel(a, extra.public_id)
        notes.send_note(b, "A poem", now=datetime(2026, 12, 3, 3), rng=rng)  # 2 Dec, NY
        notes.send_note(c, "A smile", now=datetime(2026, 12, 3, 15), rng=rng)
        tea = notes.request_in_person(
            d, "Leave a tea bag on the desk", "Tea time", now=datetime(2026, 12, 3, 15), rng=rng
        )
        request = _courier_request(tea.id)
        courier = by_id[request.courier_id]
        # The offer reaches the courier in the 15:00 New York round (20:00 UTC).
        couriers.accept(courier, request.public_id, now=datetime(2026, 12, 4, 2))
        couriers.mark_done(courier, request.public_id, now=datetime(2026, 12, 4, 3))
        flower = notes.request_in_person(
            e, "Put a flower on the shelf", "", now=datetime(2026, 12, 3, 16), rng=rng
        )
        request = _courier_request(flower.id)
        couriers.decline(
            by_id[request.courier_id], request.public_id, datetime(2026, 12, 4, 2), rng
        )
        # The second courier never answers: the offer expires and moves on again.
        periodic.tick(now=datetime(2026, 12, 5, 22), rng=rng)
        responses.thank(by_id[mortal_of[a.id]], first.public_id, "Thank you, angel!")

        _set_invitations(game, {a.id: "sent", b.id: "sent", c.id: "sent", d.id: "failed"})
        _set_invitations(game, {e.id: "failed", f.id: "sent"})
        _invitation(game.id, e.id, "sent")  # re-sent after a fix: the latest one counts
        for p in (a, b, f):
            p.first_opened_at = datetime(2026, 12, 1, 9)
        f.active = False  # f has left: nothing of theirs is counted among people
        _set_past_times(game)
        db.session.commit()
        return game.id


def _set_past_times(game: Game) -> None:
    """Date what the services stamped with the real clock into the game's story: everyone
    joined and was invited on 1 December, and the thank-you was sent on 4 December."""
    db.session.execute(
        update(Participant).where(Participant.game_id == game.id).values(created_at=JOINED)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.game_id == game.id, OutboxMessage.kind == "invitation")
        .values(created_at=JOINED)
    )
    kindness_ids = select(Kindness.id).where(Kindness.game_id == game.id)
    db.session.execute(
        update(Thanks)
        .where(Thanks.kindness_id.in_(kindness_ids))
        .values(created_at=datetime(2026, 12, 4, 12))
    )


def test_the_figures_of_a_small_game(app):
    game_id = build_small_game(app)
    with app.app_context():
        figures = dashboard.dashboard_of(db.session.get(Game, game_id), now=DASHBOARD_NOW)
    assert figures.participants.value == 5
    assert figures.invitations_sent.value == 4  # a, b, c and e's re-sent one
    assert figures.invitations_failed.text == "fewer than 3"  # d
    # a and b (f left): two is too few to show, and then the three who haven't opened are not
    # shown either, or five minus three would give the two back.
    assert figures.opened.text == figures.not_opened.text == "not shown"
    # The last 7 whole days are 2 to 8 December in New York: all five sent in them.
    assert figures.active_angels.value == 5
    assert figures.active_share.text == "100%"
    assert (figures.notes, figures.in_person, figures.kindnesses) == (3, 2, 5)
    assert (figures.courier_done, figures.courier_declined, figures.courier_rerouted) == (1, 1, 2)
    assert figures.thanks == 1
    days = {d.day.isoformat(): (d.notes, d.in_person) for d in figures.days}
    # Whole days up to yesterday: 9 December (today in New York) is not shown yet.
    assert list(days) == [f"2026-12-0{i}" for i in range(1, 9)]
    assert (figures.through.isoformat(), figures.through_yesterday) == ("2026-12-08", True)
    assert days["2026-12-02"] == (2, 0)  # 10:00 UTC and 03:00 UTC the next day, in New York
    assert days["2026-12-03"] == (1, 2)
    assert sum(n + p for n, p in days.values()) == 5


def test_an_ended_game_counts_its_last_week(app):
    game_id = build_small_game(app)
    with app.app_context():
        game = db.session.get(Game, game_id)
        game.state, game.ended_at = "ended", datetime(2026, 12, 4)
        db.session.commit()
        figures = dashboard.dashboard_of(game, now=datetime(2027, 2, 1))
        assert figures.active_angels.value == 5  # all five sent in the week before the end
        assert figures.days[-1].day.isoformat() == "2026-12-03"  # 4 Dec 00:00 UTC, NY time


def test_the_page_shows_the_figures_and_hides_small_counts(app, client, frozen_now):
    game_id = build_small_game(app)
    login(client)
    page = client.get(f"/games/{game_id}/dashboard")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("<dd>fewer than 3</dd>") == 1  # failed invitations
    assert html.count("<dd>not shown</dd>") == 2  # opened pages, and the rest
    assert re.search(r"Angels who sent a kindness in the last 7 whole days</dt>\s*<dd>5 ", html)
    assert "(100%)" in html
    assert "Figures cover whole days up to yesterday (Tue 8 Dec)" in html
    assert re.search(r"<svg[^>]*role=\"img\"[^>]*aria-label=\"Kindnesses per day from 1 Dec", html)
    assert "<table" in html and "Wed 2 Dec" in html
    assert f'href="/games/{game_id}"' in html
    assert "nothing shows who is whose angel" in html
    # The Content-Security-Policy allows no inline styles.
    assert "style=" not in html and "<style" not in html


@config(DASHBOARD_MIN_COUNT=6)
def test_the_minimum_count_comes_from_configuration(app, client, frozen_now):
    game_id = build_small_game(app)
    login(client)
    html = client.get(f"/games/{game_id}/dashboard").get_data(as_text=True)
    assert "fewer than 6" in html
    assert "(100%)" not in html  # the share of five angels would give the five back
    assert re.search(r"last 7 whole days</dt>\s*<dd>fewer than 6", html)


def test_the_csv_has_the_daily_figures(app, client, frozen_now):
    game_id = build_small_game(app)
    login(client)
    response = client.get(f"/games/{game_id}/dashboard.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["date", "notes", "in_person", "total"]
    assert rows[2] == ["2026-12-02", "2", "0", "2"]
    assert rows[3] == ["2026-12-03", "1", "2", "3"]
    assert len(rows) == 1 + 8  # 1 to 8 December: today, the 9th, appears tomorrow


def test_another_facilitator_and_strangers_get_nothing(app, client):
    game_id = build_small_game(app)
    with app.app_context():
        make_facilitator("Oscar Other", "oscar@example.org")
    assert client.get(f"/games/{game_id}/dashboard").status_code == 302  # to the login page
    login(client, "oscar@example.org")
    assert client.get(f"/games/{game_id}/dashboard").status_code == 404
    assert client.get(f"/games/{game_id}/dashboard.csv").status_code == 404
    assert client.get("/games/999/dashboard").status_code == 404


def test_a_draft_game_asks_for_the_draw_first(app, client):
    with app.app_context():
        game_id = make_game(make_facilitator(), PEOPLE).id
    login(client)
    page = client.get(f"/games/{game_id}/dashboard")
    assert page.status_code == 200
    assert "Draw names first" in page.get_data(as_text=True)
    assert client.get(f"/games/{game_id}/dashboard.csv").status_code == 404


# Nothing per person -------------------------------------------------------------------------


def _random_people(gen: random.Random, n: int) -> list[tuple[str, str]]:
    people = []
    for i in range(n):
        first = "".join(gen.choices(string.ascii_lowercase, k=7)).capitalize()
        last = "".join(gen.choices(string.ascii_lowercase, k=8)).capitalize()
        people.append((f"Zq{first} Xv{last}", f"zq{first.lower()}{i}@mail{i}.example.net"))
    return people


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_participant_name_or_address_on_the_page_or_in_the_csv(app, client, seed):
    gen = random.Random(seed)
    people = _random_people(gen, gen.randint(3, 9))
    with app.app_context():
        game = make_running_game(make_facilitator(), people, seed=seed)
        game.timezone = gen.choice(["UTC", "Europe/London", "Asia/Kathmandu"])
        db.session.commit()
        everyone = participants_of(game)
        for p in everyone:
            p.first_opened_at = datetime(2026, 12, 1, 8)
        db.session.commit()
        for _ in range(gen.randint(0, 15)):
            angel = gen.choice(everyone)
            moment = datetime(2026, 12, 1) + timedelta(minutes=gen.randrange(8 * 24 * 60))
            if gen.random() < 0.7:
                notes.send_note(angel, "Hello", now=moment, rng=gen)
            else:
                notes.request_in_person(angel, "Leave a card", "", now=moment, rng=gen)
        periodic.tick(now=datetime(2026, 12, 10), rng=gen)
        game_id = game.id
        secrets = {p.public_id for p in everyone}
    login(client)
    text = client.get(f"/games/{game_id}/dashboard").get_data(as_text=True)
    text += client.get(f"/games/{game_id}/dashboard.csv").get_data(as_text=True)
    for name, email in people:
        for part in [name, email, *name.split(), email.split("@")[0]]:
            assert part.lower() not in text.lower(), part
    for public_id in secrets:
        assert public_id not in text


# Queries ------------------------------------------------------------------------------------


def _bulk_activity(game: Game, gen: random.Random, per_person: int) -> None:
    """Many kindnesses, courier requests and thanks, inserted in bulk."""
    pids = [p.id for p in participants_of(game)]
    rows = []
    for _ in range(per_person * len(pids)):
        angel, mortal = gen.sample(pids, 2)
        rows.append(
            {
                "public_id": new_public_id(),
                "game_id": game.id,
                "angel_id": angel,
                "mortal_id": mortal,
                "kind": gen.choice(["note", "note", "in_person"]),
                "message": "Hi",
                "state": gen.choice(["delivered", "scheduled", "cancelled", "routing"]),
                "created_at": datetime(2026, 12, 1) + timedelta(seconds=gen.randrange(9 * 86400)),
            }
        )
    db.session.execute(insert(Kindness), rows)
    ids = db.session.execute(select(Kindness.id).where(Kindness.game_id == game.id)).scalars()
    ids = list(ids)
    db.session.execute(
        insert(CourierRequest),
        [
            {
                "public_id": new_public_id(),
                "kindness_id": kid,
                "courier_id": gen.choice(pids),
                "state": gen.choice(["done", "declined", "expired", "offered"]),
                "expires_at": datetime(2026, 12, 11),
            }
            for kid in ids[::3]
        ],
    )
    db.session.execute(
        insert(Thanks), [{"kindness_id": kid, "message": "Thanks"} for kid in ids[::4]]
    )
    db.session.commit()


def _queries(app: Flask, client, url: str) -> int:
    count = 0

    def counter(*_args):
        nonlocal count
        count += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return count


def test_the_number_of_queries_does_not_grow_with_the_game(app, client):
    gen = random.Random(5)
    with app.app_context():
        facilitator = make_facilitator()
        small = make_running_game(facilitator, 5, name="Small")
        large = make_running_game(
            facilitator,
            [(f"Person {i}", f"person{i}@example.org") for i in range(60)],
            name="Large",
        )
        _bulk_activity(small, gen, per_person=1)
        _bulk_activity(large, gen, per_person=20)
        ids = small.id, large.id
    login(client)
    for suffix in ("dashboard", "dashboard.csv"):
        small_count, large_count = (_queries(app, client, f"/games/{i}/{suffix}") for i in ids)
        assert small_count == large_count <= 6, (suffix, small_count, large_count)


def test_the_tally_files_each_moment_in_the_bucket_its_time_says(app):
    """Moments on and beside 15-minute edges land in the bucket of their whole UTC seconds, as
    the database keeps time: SQLite to the millisecond (rounding), PostgreSQL to the
    microsecond."""
    moments = [
        datetime(2026, 12, 1, 0, 0),
        datetime(2026, 12, 1, 0, 14, 59, 999999),
        datetime(2026, 12, 1, 0, 15),
        datetime(2026, 3, 29, 0, 59, 59, 500000),
        datetime(1999, 12, 31, 23, 45, 1),
    ]
    with app.app_context():
        game = make_running_game(make_facilitator(), 3)
        pid = participants_of(game)[0].id
        db.session.execute(
            insert(Kindness),
            [
                {
                    "public_id": new_public_id(),
                    "game_id": game.id,
                    "angel_id": pid,
                    "mortal_id": pid,
                    "kind": "note",
                    "message": "x",
                    "state": "delivered",
                    "created_at": moment,
                }
                for moment in moments
            ],
        )
        stored = dict(
            db.session.execute(
                select(KindnessTally.bucket, KindnessTally.n).where(
                    KindnessTally.game_id == game.id
                )
            ).all()
        )
        precision = (
            timedelta(milliseconds=1)
            if db.engine.dialect.name == "sqlite"
            else timedelta(microseconds=1)
        )
    expected: dict[int, int] = {}
    for moment in moments:
        kept = round((moment - datetime(1970, 1, 1)) / precision) * precision
        bucket = kept // timedelta(seconds=1) // 900
        expected[bucket] = expected.get(bucket, 0) + 1
    assert stored == expected


# Whole past days only -----------------------------------------------------------------------


def _pages(client, game_id: int) -> tuple[str, str]:
    """The dashboard page (CSRF tokens blanked) and its CSV, as the facilitator gets them."""
    page = client.get(f"/games/{game_id}/dashboard")
    data = client.get(f"/games/{game_id}/dashboard.csv")
    assert page.status_code == data.status_code == 200
    return without_csrf(page.get_data(as_text=True)), data.get_data(as_text=True)


def _at(monkeypatch, moment: datetime) -> None:
    """Set the dashboard's clock."""
    monkeypatch.setattr(dashboard, "utcnow", lambda: moment)


def _today_activity(app: Flask, game_id: int, moment: datetime) -> None:
    """What one person might do at a keyboard today: send a note, ask for an in-person
    kindness, open their page for the first time, thank their angel."""
    rng = random.Random(2)
    with app.app_context():
        a, b, c, *_ = participants_of(db.session.get(Game, game_id))
        notes.send_note(a, "A note sent today", now=moment, rng=rng)
        notes.request_in_person(b, "A card on the desk", "", now=moment, rng=rng)
        c.first_opened_at = moment
        db.session.commit()


@pytest.mark.parametrize("cached", [True, False], ids=["cached", "computed afresh"])
def test_nothing_sent_today_changes_a_byte_until_the_local_day_turns(
    app, client, monkeypatch, cached
):
    """A facilitator who also plays reloads the page after one person sent a kindness: the
    page and the CSV are the same to the byte, cache or no cache, until midnight in New
    York; then the kindness appears on its own day."""
    game_id = build_small_game(app)
    login(client)
    morning = datetime(2026, 12, 9, 15, 41)  # 10:41 in New York
    _at(monkeypatch, morning)
    before = _pages(client, game_id)
    assert "2026-12-09" not in before[1]

    _today_activity(app, game_id, datetime(2026, 12, 9, 15, 42))
    for moment in (datetime(2026, 12, 9, 15, 43), datetime(2026, 12, 10, 4, 59, 59)):
        if not cached:
            with app.app_context():
                dashboard.figures_cache().clear()
        _at(monkeypatch, moment)
        assert _pages(client, game_id) == before, moment

    _at(monkeypatch, datetime(2026, 12, 10, 5, 0))  # midnight in New York
    page, data = _pages(client, game_id)
    assert page != before[0]
    assert "2026-12-09,1,1,2" in data.splitlines()
    assert "Figures cover whole days up to yesterday (Wed 9 Dec)" in page


def test_the_day_turns_at_midnight_in_the_games_zone_not_in_utc(app, client, monkeypatch):
    """Kathmandu is 5:45 ahead of UTC: its day turns at 18:15 UTC, not at 00:00 UTC."""
    with app.app_context():
        game = make_running_game(make_facilitator(), PEOPLE, seed=4, timezone="Asia/Kathmandu")
        game.timezone = "Asia/Kathmandu"
        db.session.commit()
        game_id = game.id
        _set_past_times(game)
        db.session.commit()
    login(client)
    _at(monkeypatch, datetime(2026, 12, 9, 12))  # 17:45 on 9 December in Kathmandu
    before = _pages(client, game_id)
    _today_activity(app, game_id, datetime(2026, 12, 9, 12, 1))

    _at(monkeypatch, datetime(2026, 12, 9, 18, 14))  # 23:59 in Kathmandu
    assert _pages(client, game_id) == before
    _at(monkeypatch, datetime(2026, 12, 9, 18, 15))  # midnight in Kathmandu
    page, data = _pages(client, game_id)
    assert "2026-12-09,1,1,2" in data.splitlines()
    assert "Figures cover whole days up to yesterday (Wed 9 Dec)" in page
    # Midnight UTC comes later and changes nothing more.
    _at(monkeypatch, datetime(2026, 12, 10, 0, 1))
    assert _pages(client, game_id) == (page, data)


def test_the_last_seven_days_are_whole_past_days(app):
    """An angel whose only kindness is today is not among the active angels, and one whose
    only kindness is eight local days back has dropped out of the window."""
    with app.app_context():
        game = make_running_game(make_facilitator(), 6, seed=2)
        game.timezone = "America/New_York"
        db.session.commit()
        _set_past_times(game)
        people = participants_of(game)
        rng = random.Random(4)
        # The window is 3 to 9 December in New York. 2 December 23:59 is just outside it.
        notes.send_note(people[0], "Old", now=datetime(2026, 12, 3, 4, 59), rng=rng)
        for p in people[1:4]:  # 3 December 00:00 in New York: the window's first moment
            notes.send_note(p, "In time", now=datetime(2026, 12, 3, 5, 0), rng=rng)
        notes.send_note(people[4], "Today", now=datetime(2026, 12, 10, 6), rng=rng)
        figures = dashboard.dashboard_of(game, now=datetime(2026, 12, 10, 12))
        assert figures.through.isoformat() == "2026-12-09"
        assert figures.active_angels.value == 3
        assert figures.notes == 4


# The cache ----------------------------------------------------------------------------------


def test_the_cache_serves_the_same_figures_until_the_day_turns(app, client):
    """Within a day the figures are computed once (no figure query on a reload); the next
    day they are computed again; two games never share figures."""
    with app.app_context():
        facilitator = make_facilitator()
        first = make_running_game(facilitator, 5, name="First")
        second = make_running_game(facilitator, 7, name="Second")
        _set_past_times(first)
        _set_past_times(second)
        db.session.commit()
        notes.send_note(
            participants_of(first)[0], "Hi", now=datetime(2026, 12, 3, 9), rng=random.Random(1)
        )
        figures = dashboard.dashboard_of(first, now=datetime(2026, 12, 9, 9))
        again = dashboard.dashboard_of(first, now=datetime(2026, 12, 9, 23, 59))
        other = dashboard.dashboard_of(second, now=datetime(2026, 12, 9, 9))
        assert again is figures
        assert (figures.game_id, figures.notes, figures.participants.value) == (first.id, 1, 5)
        assert (other.game_id, other.notes, other.participants.value) == (second.id, 0, 7)
        tomorrow = dashboard.dashboard_of(first, now=datetime(2026, 12, 10, 0))
        assert tomorrow is not figures
        assert tomorrow.through.isoformat() == "2026-12-09" != figures.through.isoformat()
        assert tomorrow.days[:-1] == figures.days
        # Ending the game is a new key too, the same day.
        first.state, first.ended_at = "ended", datetime(2026, 12, 10, 0, 30)
        db.session.commit()
        assert dashboard.dashboard_of(first, now=datetime(2026, 12, 10, 1)) is not tomorrow
        first_id = first.id
    login(client)
    cold = _queries(app, client, f"/games/{first_id}/dashboard")
    warm = _queries(app, client, f"/games/{first_id}/dashboard")
    csv_warm = _queries(app, client, f"/games/{first_id}/dashboard.csv")
    assert warm == csv_warm == cold - 2  # the two figure queries are skipped


def test_the_cache_is_per_app_and_keyed_by_the_games_public_id(app, tmp_path):
    """A second app (another database) has its own cache; and a figure kept for a game never
    serves another game that got the same id."""
    with app.app_context():
        game = make_running_game(make_facilitator(), 5)
        dashboard.dashboard_of(game, now=datetime(2026, 12, 9, 9))
        assert len(dashboard.figures_cache()) == 1
        game_id, public_id = game.id, game.public_id
        game.public_id = new_public_id()  # as if the game was deleted and its id reused
        db.session.commit()
        fresh = dashboard.dashboard_of(game, now=datetime(2026, 12, 9, 9))
        assert fresh.game_id == game_id and game.public_id != public_id
        assert len(dashboard.figures_cache()) == 2
    (tmp_path / "other").mkdir()
    other = fresh_app(tmp_path / "other")
    with other.app_context():
        assert len(dashboard.figures_cache()) == 0
        db.session.remove()
        db.engine.dispose()
