"""A facilitator who crawls the whole site finds nothing of another facilitator's game and no
pairing of their own.

Two facilitators each run a game with notes, an in-person kindness through a drop-off point,
thanks, a report and a moderation action. Facilitator A follows every same-site link from
/games, and also requests every GET rule of the app with its URL variables filled from both
games. The same world is built twice with different draws: every page A can reach must be the
same byte for byte (CSRF tokens, random public ids and dates aside), so no page depends on who
drew whom.

The app runs as a server would (not TESTING, not debug), so development-only pages such as
/dev/outbox answer 404 as they do in production.
"""

from __future__ import annotations

import html
import itertools
import random
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from urllib.parse import urljoin, urlsplit

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from app.extensions import db
from app.models import (
    CourierRequest,
    Game,
    Kindness,
    OutboxMessage,
    Participant,
    Report,
    utcnow,
)
from app.services import couriers, moderation, notes, periodic, preferences, responses, setup
from app.tokens import PARTICIPANT_LINK_SALT
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

A_FACILITATOR = ("Fran Facilitator", "fran@example.org")
A_GAME = "Kindness month"
A_PEOPLE = [
    *DISTINCT_PEOPLE,
    ("Florian Gatsby", "fgatsby@example.org"),
]
# Game B: names, addresses and texts that appear nowhere in A's world or in the site's text.
B_FACILITATOR = ("Gertrude Overseer", "gertrude@beta.example.net")
B_GAME = "Quokka Quarterly Circle"
B_DRAFT = "Wombat Winter Draft"
B_PEOPLE = [
    ("Zebulon Marchbanks", "zmarch@beta.example.net"),
    ("Ysolde Thistlewood", "ythistle@beta.example.net"),
    ("Xanthe Culpepper", "xculp@beta.example.net"),
    ("Wilhelmina Oakenshaw", "woaken@beta.example.net"),
    ("Valentin Brackenbury", "vbracken@beta.example.net"),
]
B_DRAFT_PEOPLE = [
    ("Ulrika Nettlefold", "unettle@beta.example.net"),
    ("Tiberius Pennywhistle", "tpenny@beta.example.net"),
    ("Seraphina Holloway", "sholloway@beta.example.net"),
]
STRONG_KEY = "crawl-0123456789abcdef0123456789abcdef"
MAX_PAGES = 300

_DATE = re.compile(r"\b(?:[A-Z][a-z]{2} )?\d{1,2} [A-Z][a-z]{2}(?: \d{4})?\b")
_TIME = re.compile(r"\b\d\d:\d\d\b")
_HREF = re.compile(r'href="([^"]*)"')
# A private link as printed on a link slip (signed, so it differs between worlds), and its QR.
_PRIVATE_LINK = re.compile(r"/p/([\w-]+\.[\w-]+\.[\w-]+)")
_QR_SVG = re.compile(r'<svg[^>]*class="qr".*?</svg>', re.S)


@dataclass
class World:
    """What a crawl needs to know, as plain values."""

    a_game: int
    b_games: list[int]
    b_public: str
    a_people: dict[int, tuple[str, str]]
    b_people: dict[int, tuple[str, str]]
    a_pairs: set[tuple[str, str]]
    forbidden: set[str]
    public_ids: dict[str, str]  # every random public id -> a stable label
    fill: dict[str, list] = field(default_factory=dict)


def _play(game: Game, prefix: str, now: datetime) -> None:
    """Kindnesses of every kind in a running game, done through the services."""
    people = participants_of(game)
    mortal_of = pairings_of(game)
    setup.add_drop_off(game, f"{prefix} shelf by the kitchen")
    point = setup.drop_off_points(game)[0]
    setup.add_game_idea(game, f"{prefix} bring in a board game")
    first = notes.send_note(people[0], f"{prefix} note one", now=now, rng=random.Random(1))
    # The organiser sees who reported (a fixed person), never who sent: the angel of people[1].
    angel_of = {m: a for a, m in mortal_of.items()}
    reporter = people[1]
    sender = next(p for p in people if p.id == angel_of[reporter.id])
    second = notes.send_note(sender, f"{prefix} note two", now=now, rng=random.Random(2))
    carried = notes.request_in_person(
        people[2],
        f"{prefix} leave a tea bag",
        f"{prefix} with love",
        point.id,
        now=now,
        rng=random.Random(3),
    )
    # With a drop-off point, a courier is drawn only once the angel has left the item there.
    notes.mark_left(people[2], carried.public_id, now=now, rng=random.Random(3))
    periodic.tick(now=now + timedelta(hours=12), rng=random.Random(4))
    request = db.session.execute(
        select(CourierRequest).where(CourierRequest.kindness_id == carried.id)
    ).scalar_one()
    courier = db.session.get(Participant, request.courier_id)
    # The offer reaches the courier at its release moment (a later round), not before.
    released = request.released_at
    couriers.accept(courier, request.public_id, now=released + timedelta(hours=1))
    couriers.mark_done(courier, request.public_id, now=released + timedelta(hours=2))
    by_id = {p.id: p for p in people}
    responses.thank(by_id[mortal_of[people[0].id]], first.public_id, f"{prefix} thank you")
    responses.report(reporter, second.public_id, f"{prefix} this hurt")
    preferences.save_hints(people[3], brightens=f"{prefix} sunflowers", favourite_treat="tea")
    report_id = db.session.execute(
        select(Report.id).where(Report.kindness_id == second.id)
    ).scalar_one()
    moderation.act(game, report_id, "warn", f"{prefix} please be gentle")


def _build(app, seed: int) -> World:
    with app.app_context():
        db.create_all()
        today = utcnow().date()
        now = datetime.combine(today - timedelta(days=1), time(7, 15))
        fac_a = make_facilitator(*A_FACILITATOR)
        fac_b = make_facilitator(*B_FACILITATOR)
        game_a = make_running_game(fac_a, A_PEOPLE, seed=seed, name=A_GAME)
        game_b = make_running_game(fac_b, B_PEOPLE, seed=seed, name=B_GAME)
        draft_b = make_game(fac_b, B_DRAFT_PEOPLE, name=B_DRAFT)
        draft_people = participants_of(draft_b)
        setup.add_exclusion(draft_b, draft_people[0], draft_people[1], False)
        for game in (game_a, game_b):  # started last week, so the dashboard has days to show
            game.starts_on, game.ends_on = today - timedelta(days=6), today + timedelta(days=21)
        db.session.commit()
        _play(game_a, "Alpha", now)
        _play(game_b, "Quokka", now)

        a_people = {p.id: (p.name, p.email) for p in participants_of(game_a)}
        b_participants = participants_of(game_b) + participants_of(draft_b)
        b_people = {p.id: (p.name, p.email) for p in b_participants}
        names = {pid: name for pid, (name, _) in a_people.items()}
        a_pairs = {(names[a], names[m]) for a, m in pairings_of(game_a).items()}

        b_kindnesses = (
            db.session.execute(select(Kindness).where(Kindness.game_id == game_b.id))
            .scalars()
            .all()
        )
        forbidden = {B_GAME, B_DRAFT, *B_FACILITATOR}
        forbidden |= {text for pair in b_people.values() for text in pair}
        forbidden |= {p.public_id for p in b_participants}
        forbidden |= {k.public_id for k in b_kindnesses}
        forbidden |= {t for k in b_kindnesses for t in (k.message, k.instruction) if t}
        forbidden |= {"Quokka shelf by the kitchen", "Quokka this hurt", "Quokka sunflowers"}

        public_ids = {}
        for model in (Game, Participant, Kindness, CourierRequest):
            for row_id, public_id in db.session.execute(select(model.id, model.public_id)):
                public_ids[public_id] = f"<{model.__tablename__}:{row_id}>"

        b_messages = (
            db.session.execute(
                select(OutboxMessage.id)
                .where(OutboxMessage.game_id == game_b.id)
                .order_by(OutboxMessage.id)  # PostgreSQL returns rows in no set order without it
                .limit(3)
            )
            .scalars()
            .all()
        )
        world = World(
            a_game=game_a.id,
            b_games=[game_b.id, draft_b.id],
            b_public=game_b.public_id,
            a_people=a_people,
            b_people=b_people,
            a_pairs=a_pairs,
            forbidden=forbidden,
            public_ids=public_ids,
        )
        world.fill = {
            "game_id": [game_a.id, game_b.id, draft_b.id],
            "participant_id": [*a_people, *b_people],
            # Game B's own public page is public by design; it is checked on its own below.
            "public_id": [
                game_a.public_id,
                *(p.public_id for p in b_participants),
                *(k.public_id for k in b_kindnesses),
            ],
            "token": [*(p.public_id for p in b_participants), "not-a-token"],
            "fmt": ["md", "txt"],
            "message_id": b_messages,
            "report_id": list(db.session.execute(select(Report.id)).scalars()),
            "action": ["warn", "unmask"],
        }
        return world


def _same_site(base: str, link: str) -> str | None:
    """The path (and query) of a same-site link worth a GET, else None."""
    target = urlsplit(urljoin("http://localhost" + base, html.unescape(link)))
    if target.scheme not in ("http", "https") or target.hostname not in ("localhost", None):
        return None
    if target.path.startswith("/static/") or target.path == "/logout":
        return None
    return target.path + (f"?{target.query}" if target.query else "")


def _crawl(app, world: World) -> dict[str, tuple[int, str, str]]:
    """Everything facilitator A reaches: url -> (status, body, Location)."""
    client = app.test_client()
    assert login(client, A_FACILITATOR[1]).status_code == 302
    seen: dict[str, tuple[int, str, str]] = {}

    def get(url: str) -> tuple[int, str, str]:
        if url not in seen:
            response = client.get(url)
            seen[url] = (
                response.status_code,
                response.get_data(as_text=True),
                response.headers.get("Location", ""),
            )
            response.close()
        return seen[url]

    queue = deque(["/games"])
    followed: set[str] = set()
    while queue and len(followed) < MAX_PAGES:
        url = queue.popleft()
        if url in followed:
            continue
        followed.add(url)
        status, body, location = get(url)
        for link in _HREF.findall(body) + ([location] if location else []):
            target = _same_site(url, link)
            if target and target not in followed:
                queue.append(target)
    assert len(followed) < MAX_PAGES, "the crawl did not finish"
    assert {
        f"/games/{world.a_game}",
        f"/games/{world.a_game}/dashboard",
        f"/games/{world.a_game}/moderation",
        f"/games/{world.a_game}/slips",
    } <= followed, sorted(followed)

    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        names = sorted(rule.arguments)
        unknown = [n for n in names if n not in world.fill]
        assert not unknown, f"{rule.rule}: fill {unknown} with ids from both games in this test"
        for combination in itertools.product(*(world.fill[n] for n in names)):
            values = dict(zip(names, combination))
            url = adapter.build(rule.endpoint, values)
            status, _, _ = get(url)
            game_id = values.get("game_id")
            if game_id in world.b_games:
                assert status == 404, (url, status)
            elif game_id == world.a_game and values.get("participant_id") in world.b_people:
                assert status == 404, (url, status)
            elif rule.rule.startswith("/dev/"):
                assert status == 404, (url, status)
    return seen


def _link_label(token: str, world: World) -> str:
    """A signed private link read back into whose it is (a stable label) and its version."""
    claim = URLSafeTimedSerializer(STRONG_KEY, salt=PARTICIPANT_LINK_SALT).loads(token)
    return f"{world.public_ids[claim['p']]}:v{claim['v']}"


def _normalise(text: str, world: World) -> str:
    text = without_csrf(text)
    # The slips' QR codes are checked against their links in test_slips; here the printed
    # link says whose slip it is.
    text = _QR_SVG.sub("<qr>", text)
    text = _PRIVATE_LINK.sub(lambda m: "/p/" + _link_label(m.group(1), world), text)
    for public_id in sorted(world.public_ids, key=len, reverse=True):
        text = text.replace(public_id, world.public_ids[public_id])
    return _TIME.sub("HH:MM", _DATE.sub("DATE", text))


def _visit(directory, seed: int):
    directory.mkdir(parents=True, exist_ok=True)
    app = fresh_app(
        directory, TESTING=False, SECRET_KEY=STRONG_KEY, AUTO_MIGRATE=False, CREATE_TABLES=False
    )
    try:
        world = _build(app, seed)
        pages = _crawl(app, world)
        client = app.test_client()
        login(client, A_FACILITATOR[1])
        b_public_page = client.get(f"/g/{world.b_public}").get_data(as_text=True)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return world, pages, b_public_page


def _check_one_world(world: World, pages: dict, b_public_page: str) -> None:
    for url, (status, body, location) in pages.items():
        assert status < 500, (url, status)
        seen = (body + "\n" + location).lower()
        leaked = sorted(s for s in world.forbidden if s.lower() in seen)
        assert not leaked, f"{url} shows game B's {leaked}"
        if status == 200:
            for relation in ("→", "↔", "angel of", "’s angel", "'s angel", "mortal of"):
                assert relation not in seen, (url, relation)
            for angel, mortal in world.a_pairs:
                assert f"{angel} → {mortal}".lower() not in seen
    # Game B's public page (reachable only with its unguessable id) names no one in it.
    assert B_GAME in b_public_page
    for name, email in world.b_people.values():
        assert name not in b_public_page and email not in b_public_page


def test_a_facilitator_crawling_everything_sees_no_other_game_and_no_pairing(tmp_path):
    first, pages_1, public_1 = _visit(tmp_path / "seed1", seed=1)
    _check_one_world(first, pages_1, public_1)
    # Real content was reached: A's roster, report text and the kindnesses-per-day export.
    everything = "\n".join(body for _, body, _ in pages_1.values())
    for name, email in A_PEOPLE:
        assert name in everything and email in everything
    assert "Alpha this hurt" in everything and "Alpha note two" in everything
    csv = pages_1[f"/games/{first.a_game}/dashboard.csv"]
    assert csv[0] == 200 and csv[1].count("\n") >= 2

    second, pages_2, public_2 = _visit(tmp_path / "seed2", seed=2)
    _check_one_world(second, pages_2, public_2)
    assert first.a_pairs != second.a_pairs, "pick seeds that draw differently"

    one = {_normalise(u, first): (s, _normalise(b, first)) for u, (s, b, _) in pages_1.items()}
    two = {_normalise(u, second): (s, _normalise(b, second)) for u, (s, b, _) in pages_2.items()}
    assert one.keys() == two.keys(), sorted(one.keys() ^ two.keys())
    differing = [url for url in one if one[url] != two[url]]
    assert not differing, f"these pages depend on the draw: {differing}"
