"""Anonymity while kindnesses flow: notes, in-person kindnesses, couriers, ticks, thanks and
reports, driven through the real participant views with one test client per person.

After a random sequence of actions every page a participant can reach, every email in the
outbox and every facilitator page is checked against what that reader may know:

- a participant sees their own name, their mortal's name (on /me and /me/angel only) and, on
  /me/deliveries, the recipient of each delivery they carry — never their angel, never a sender,
  never anybody else's email;
- an email names only its recipient — never a mortal (a courier request says "open your page
  to see who it is for", an invitation "open your page to see whose"), never a sender;
- the facilitator's pages do not change at all while kindnesses flow.

Everything a participant learns after someone acts (a courier offer, a thanks) is released at a
random moment of a later delivery round, so the whole world runs on a simulated clock: every
request is made with the clock frozen at the world's moment (time-machine), and a "tick" moves
that moment on before running the periodic work.

Every example starts from an empty database (the test's one application, emptied).
"""

from __future__ import annotations

import random
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, timedelta

import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    CourierRequest,
    DropOffPoint,
    Kindness,
    OutboxMessage,
    Report,
    Thanks,
    utcnow,
)
from app.services import periodic, setup
from tests.helpers import (
    emptied,
    login,
    make_facilitator,
    make_running_game,
    open_as_participant,
    pairings_of,
    participants_of,
    without_csrf,
)

PROPERTY = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

PAGES = ("/me", "/me/angel", "/me/inbox", "/me/deliveries", "/me/hints", "/me/rules", "/me/guess")

# Names are "Qz" + letters + index + "x" with no q, z or x among the letters: "qz" occurs only
# at the start and "x" only at the end, so no name is inside another (or inside its email's
# domain), and none is shorter than 8 characters (claim codes are 6). Free text uses no digits,
# so it can never contain a name either. Checks compare lower-cased, which also catches the
# email, whose local part is the lower-cased name.
_NAME_LETTERS = "abcdefghijklmnoprstuvwy"
_TEXT = st.text("abcdefghij klmnop<>&\"'éü\n", min_size=1, max_size=30).filter(str.strip)

_DELIVERY_ITEM = re.compile(r'<li class="item card">(.*?)</li>', re.S)
_RECIPIENT = re.compile(r"For <strong>(.*?)</strong>")


def _normalise(page: str) -> str:
    return without_csrf(page)


_OPEN_REPORTS = re.compile(r' <span class="badge badge-bad">(\d+) open</span>')


def _open_reports_badge(page: str) -> tuple[str, int]:
    """The page without the moderation badge, and the number of open reports it showed."""
    found = _OPEN_REPORTS.findall(page)
    return _OPEN_REPORTS.sub("", page), int(found[0]) if found else 0


@dataclass(frozen=True)
class Person:
    id: int
    public_id: str
    link_version: int
    name: str
    email: str

    @property
    def key(self) -> str:
        """What must not appear: lower-cased name (also the email's local part)."""
        return self.name.lower()


@dataclass
class World:
    app: object
    game_id: int
    people: dict[int, Person]
    order: list[int]  # participant ids, by roster order
    mortal: dict[int, int]  # angel id -> mortal id
    angel: dict[int, int]  # mortal id -> angel id
    clients: dict[int, object]
    drop_offs: list[int]
    clock: object  # the world's moment (naive UTC): every request is made at it
    rng: random.Random

    def at_clock(self):
        """Freeze the real clock (what the views use) at the world's moment."""
        return time_machine.travel(self.clock.replace(tzinfo=UTC), tick=False)

    def names_in(self, text: str) -> set[int]:
        low = text.lower()
        return {pid for pid, p in self.people.items() if p.key in low}

    def emails_in(self, text: str) -> set[int]:
        low = text.lower()
        return {pid for pid, p in self.people.items() if p.email.lower() in low}


@st.composite
def rosters(draw):
    n = draw(st.integers(4, 9))
    people = []
    for i in range(n):
        letters = draw(st.text(_NAME_LETTERS, min_size=4, max_size=6))
        name = f"Qz{letters}{i}x"
        people.append((name, f"{name.lower()}@ex{i}.org"))
    return people


def _actions():
    who = st.integers(0, 8)
    pick = st.integers(0, 50)
    courier = st.tuples(
        st.just("courier"), who, st.sampled_from(["accept", "decline", "done", "done"]), pick
    )
    tick = st.tuples(st.just("tick"), st.integers(1, 12))
    thanks = st.tuples(st.just("thanks"), who, pick, _TEXT)
    return st.lists(
        st.one_of(
            st.tuples(st.just("note"), who, _TEXT),
            st.tuples(st.just("in_person"), who, _TEXT, st.one_of(st.just(""), _TEXT), pick),
            st.tuples(st.just("in_person"), who, _TEXT, st.one_of(st.just(""), _TEXT), pick),
            st.tuples(st.just("left"), who, pick),
            st.tuples(st.just("left"), who, pick),
            courier,
            courier,
            courier,
            tick,
            tick,
            thanks,
            thanks,
            st.tuples(st.just("report"), who, pick, _TEXT),
            st.tuples(st.just("courier_report"), who, pick, _TEXT),
            st.tuples(st.just("cancel"), who, pick),
            st.tuples(st.just("as_note"), who, pick),
            st.tuples(st.just("view"), who, st.sampled_from(PAGES)),
        ),
        min_size=5,
        max_size=25,
    )


# --------------------------------------------------------------------------------------------
# Building the game and driving it


def build_world(app, people, seed: int, drop_offs: int) -> World:
    with app.app_context():
        facilitator = make_facilitator()
        game = make_running_game(facilitator, people, seed=seed)
        for i in range(drop_offs):
            setup.add_drop_off(game, f"Shelf number {'one two'.split()[i]}")
        stored = participants_of(game)
        persons = {p.id: Person(p.id, p.public_id, p.link_version, p.name, p.email) for p in stored}
        mortal = pairings_of(game)
        points = list(
            db.session.execute(
                select(DropOffPoint.id)
                .where(DropOffPoint.game_id == game.id)
                .order_by(DropOffPoint.id)
            ).scalars()
        )
        game_id = game.id
    assert sorted(p.name for p in persons.values()) == sorted(n for n, _ in people)
    clients = {}
    for pid, person in persons.items():
        client = app.test_client()
        assert open_as_participant(client, app, person).status_code == 302
        clients[pid] = client
    return World(
        app=app,
        game_id=game_id,
        people=persons,
        order=sorted(persons),
        mortal=mortal,
        angel={m: a for a, m in mortal.items()},
        clients=clients,
        drop_offs=points,
        clock=utcnow(),
        rng=random.Random(seed),
    )


def _ids(world: World, query) -> list[str]:
    with world.app.app_context():
        return list(db.session.execute(query).scalars())


def _choose(ids: list[str], pick: int) -> str | None:
    return ids[pick % len(ids)] if ids else None


def _inbox_ids(kind: str, column):
    """Delivered kindnesses, for thanks only those not thanked yet."""
    query = select(column).where(Kindness.state == "delivered").order_by(column)
    if kind == "thanks":
        query = query.outerjoin(Thanks, Thanks.kindness_id == Kindness.id).where(
            Thanks.id.is_(None)
        )
    return query


def _released(world: World):
    """Courier requests whose offer has reached the courier by the world's moment."""
    return CourierRequest.released_at.is_(None) | (CourierRequest.released_at <= world.clock)


def _waiting_to_be_left():
    """In-person kindnesses whose item the angel has not yet marked as left."""
    return (
        Kindness.state == "routing",
        Kindness.drop_off_id.is_not(None),
        Kindness.left_at.is_(None),
    )


def _actor(world: World, kind: str, index: int) -> int:
    """Who acts: for courier steps someone with a released delivery to answer, for "left"
    someone with an item to leave, for thanks and reports someone with something in their
    inbox (when there is such a person), else anybody."""
    if kind in ("courier", "courier_report"):
        busy = _ids(
            world,
            select(CourierRequest.courier_id)
            .where(CourierRequest.state.in_(("offered", "accepted")), _released(world))
            .distinct(),
        )
    elif kind == "left":
        busy = _ids(world, select(Kindness.angel_id).where(*_waiting_to_be_left()).distinct())
    elif kind in ("thanks", "report"):
        busy = _ids(world, _inbox_ids(kind, Kindness.mortal_id).distinct())
    else:
        busy = []
    people = sorted(busy) or world.order
    return people[index % len(people)]


def _wait_for_an_offer(world: World) -> None:
    """When open courier requests exist but none has reached its courier yet, move the clock
    on to the first release (and run the periodic work there), as a courier would wait."""
    with world.app.app_context():
        open_requests = CourierRequest.state.in_(("offered", "accepted"))
        if db.session.execute(
            select(CourierRequest.id).where(open_requests, _released(world))
        ).first():
            return
        first = db.session.execute(
            select(func.min(CourierRequest.released_at)).where(open_requests)
        ).scalar_one()
    if first is not None:
        world.clock = first
        with world.at_clock(), world.app.app_context():
            periodic.tick(now=world.clock, rng=world.rng)


def run_action(world: World, action: tuple) -> None:
    """One step, made with the real clock frozen at the world's moment; a tick first moves
    that moment on by some hours, a courier step first waits for an offer to arrive."""
    if action[0] == "tick":
        world.clock = world.clock + timedelta(hours=action[1])
    elif action[0] in ("courier", "courier_report"):
        _wait_for_an_offer(world)
    with world.at_clock():
        _run_action(world, action)


def _run_action(world: World, action: tuple) -> None:
    kind = action[0]
    if kind == "tick":
        with world.app.app_context():
            periodic.tick(now=world.clock, rng=world.rng)
        return
    pid = _actor(world, kind, action[1])
    client = world.clients[pid]
    if kind == "note":
        response = client.post("/me/angel/note", data={"message": action[2], "when": "next"})
        # 400 only when the daily limit is reached (a friendly message, the text kept).
        assert response.status_code in (302, 400)
    elif kind == "in_person":
        points = [0, *world.drop_offs]
        response = client.post(
            "/me/angel/in-person",
            data={
                "instruction": action[2],
                "message": action[3],
                "drop_off": str(points[action[4] % len(points)]),
            },
        )
        assert response.status_code in (302, 400)
    elif kind == "left":
        # An item waiting at a drop-off point, else any of their kindnesses (a friendly refusal).
        ids = _ids(
            world,
            select(Kindness.public_id)
            .where(Kindness.angel_id == pid, *_waiting_to_be_left())
            .order_by(Kindness.id),
        ) or _ids(
            world,
            select(Kindness.public_id).where(Kindness.angel_id == pid).order_by(Kindness.id),
        )
        kindness_id = _choose(ids, action[2])
        if kindness_id is not None:
            assert client.post(f"/me/angel/{kindness_id}/left").status_code == 302
    elif kind == "courier":
        step, pick = action[2], action[3]
        page = client.get("/me/deliveries").get_data(as_text=True)
        check_page(world, pid, "/me/deliveries", page)
        ids = re.findall(rf"/me/deliveries/([A-Za-z0-9_-]+)/{step}\"", page)
        offered = re.findall(r"/me/deliveries/([A-Za-z0-9_-]+)/accept\"", page)
        if step == "done" and not ids and offered:  # accept one, then deliver it
            ids = [_choose(offered, pick)]
            assert client.post(f"/me/deliveries/{ids[0]}/accept").status_code == 302
        if ids:
            request_id = _choose(ids, pick)
            assert client.post(f"/me/deliveries/{request_id}/{step}").status_code == 302
        else:
            # One that is no longer open gets a friendly refusal; one offered to them but not
            # released yet is not theirs to see: the same 404 as anybody else's.
            with world.app.app_context():
                mine = db.session.execute(
                    select(CourierRequest.public_id, CourierRequest.released_at)
                    .where(CourierRequest.courier_id == pid)
                    .order_by(CourierRequest.id)
                ).all()
            if mine:
                request_id, released_at = mine[pick % len(mine)]
                released = released_at is None or released_at <= world.clock
                response = client.post(f"/me/deliveries/{request_id}/{step}")
                assert response.status_code == (302 if released else 404), (released, step)
    elif kind in ("thanks", "report"):
        ids = _ids(world, _inbox_ids(kind, Kindness.public_id).where(Kindness.mortal_id == pid))
        kindness_id = _choose(ids, action[2])
        if kindness_id is not None:
            field = "message" if kind == "thanks" else "reason"
            response = client.post(f"/me/inbox/{kindness_id}/{kind}", data={field: action[3]})
            assert response.status_code == 302
    elif kind == "courier_report":
        ids = _ids(
            world,
            select(CourierRequest.public_id)
            .where(
                CourierRequest.courier_id == pid,
                CourierRequest.state.in_(("offered", "accepted")),
                _released(world),
            )
            .order_by(CourierRequest.id),
        )
        request_id = _choose(ids, action[2])
        if request_id is not None:
            response = client.post(
                f"/me/deliveries/{request_id}/report", data={"reason": action[3]}
            )
            assert response.status_code == 302
    elif kind in ("cancel", "as_note"):
        ids = _ids(
            world,
            select(Kindness.public_id).where(Kindness.angel_id == pid).order_by(Kindness.id),
        )
        kindness_id = _choose(ids, action[2])
        if kindness_id is not None:
            path = "cancel" if kind == "cancel" else "as-note"
            assert client.post(f"/me/angel/{kindness_id}/{path}").status_code == 302
    elif kind == "view":
        path = action[2]
        response = client.get(path)
        assert response.status_code == 200
        check_page(world, pid, path, response.get_data(as_text=True))
    else:  # pragma: no cover
        raise AssertionError(kind)


# --------------------------------------------------------------------------------------------
# What each reader may see


def _visible_requests(world: World, courier_id: int) -> list[tuple[int, int]]:
    """(sender id, recipient id) of the courier's listed deliveries, in the page's order."""
    with world.app.app_context():
        return [
            (angel_id, mortal_id)
            for angel_id, mortal_id in db.session.execute(
                select(Kindness.angel_id, Kindness.mortal_id)
                .join(CourierRequest, CourierRequest.kindness_id == Kindness.id)
                .where(
                    CourierRequest.courier_id == courier_id,
                    CourierRequest.state.in_(("offered", "accepted", "done")),
                    _released(world),
                )
                .order_by(CourierRequest.expires_at.desc(), CourierRequest.id.desc())
            ).all()
        ]


def check_page(world: World, viewer: int, path: str, page: str) -> None:
    """The names and emails on one of the viewer's pages are exactly what they may know."""
    me, mortal, angel = viewer, world.mortal[viewer], world.angel[viewer]
    who = world.people[viewer].name
    others_emails = world.emails_in(page) - {me}
    assert not others_emails, (
        f"{path} of {who} shows the email of {[world.people[p].name for p in others_emails]}"
    )
    if path == "/me/guess":
        # Everyone may be guessed, so the list names exactly everyone: it rules nobody out.
        assert world.names_in(page) == set(world.people), f"{who}'s guess list is not everyone"
        return
    allowed = {me}
    if path in ("/me", "/me/angel"):
        allowed.add(mortal)
    if path == "/me/deliveries":
        listed = _visible_requests(world, viewer)
        items = _DELIVERY_ITEM.findall(page)
        assert len(items) == len(listed), (path, who, len(items), len(listed))
        for item, (sender, recipient) in zip(items, listed):
            shown = _RECIPIENT.search(item)
            assert shown and shown.group(1) == world.people[recipient].name, item
            in_item = world.names_in(item)
            assert in_item <= {recipient, me}, (
                f"a delivery on {who}'s courier page names "
                f"{[world.people[p].name for p in in_item - {recipient, me}]}"
            )
            assert sender == me or sender not in in_item, (
                f"{who} can read the sender of a delivery they carry"
            )
            allowed.add(recipient)
    shown = world.names_in(page)
    assert shown <= allowed, (
        f"{path} of {who} names {[world.people[p].name for p in shown - allowed]} "
        f"(their angel is {world.people[angel].name})"
    )
    if angel not in allowed:
        assert angel not in shown, f"{path} of {who} names their angel"


def check_outbox(world: World) -> None:
    """Every queued email names only its recipient and who it is allowed to mention."""
    with world.app.app_context():
        mails = list(db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())
        requests = list(
            db.session.execute(
                select(CourierRequest.courier_id, Kindness.angel_id, Kindness.mortal_id)
                .join(Kindness, Kindness.id == CourierRequest.kindness_id)
                .order_by(CourierRequest.id)
            ).all()
        )
        by_courier: dict[int, list[tuple[int, int]]] = {}
        for courier, sender, recipient in requests:
            by_courier.setdefault(courier, []).append((sender, recipient))
        courier_mails: dict[int, int] = {}
        for mail in mails:
            to = mail.participant_id
            assert to in world.people, (mail.kind, mail.to_addr)
            person = world.people[to]
            assert mail.to_addr == person.email, (mail.kind, mail.to_addr, person.email)
            assert world.emails_in(mail.to_addr) == {to}
            assert not world.names_in(mail.subject), (mail.kind, mail.subject)
            body = f"{mail.body_text}\n{mail.body_html}"
            # Emails never name a mortal (their own mortal is on their page only) or a sender.
            allowed = {to}
            if mail.kind == "courier-request":
                # The n-th request offered to a courier and the n-th such email go together.
                n = courier_mails.get(to, 0)
                courier_mails[to] = n + 1
                sender, recipient = by_courier[to][n]
                in_body = world.names_in(body)
                assert recipient not in in_body, "the courier's email names the recipient"
                assert sender == to or sender not in in_body, (
                    f"courier request to {person.name} names the sender"
                )
                # Their own name only as "Hello <name>", even when the kindness is their own.
                stripped = body.replace(f"Hello {person.name}", "")
                assert person.key not in stripped.lower(), (mail.kind, person.name)
            elif mail.kind in ("invitation", "reminder"):
                assert world.mortal[to] not in world.names_in(body), (mail.kind, person.name)
            else:
                assert mail.kind in (
                    "kindness-arrived",
                    "thanks",
                    "undeliverable",
                    "nudge",
                    "digest",
                ), mail.kind
            shown = world.names_in(body)
            assert shown <= allowed, (
                f"{mail.kind} email to {person.name} names "
                f"{[world.people[p].name for p in shown - allowed]}"
            )
            assert world.emails_in(body) <= {to}, (mail.kind, person.name)
        assert courier_mails == {c: len(r) for c, r in by_courier.items()}


def facilitator_pages(world: World, client) -> dict[str, str]:
    paths = [
        "/games",
        f"/games/{world.game_id}",
        f"/games/{world.game_id}/edit",
        f"/games/{world.game_id}/moderation",
    ] + [f"/games/{world.game_id}/participants/{pid}" for pid in world.order]
    pages = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        pages[path] = _normalise(response.get_data(as_text=True))
    return pages


# --------------------------------------------------------------------------------------------
# The properties


@PROPERTY
@given(
    people=rosters(),
    seed=st.integers(0, 2**32 - 1),
    drop_offs=st.integers(1, 2),
    actions=_actions(),
    later=_actions(),
    replies=st.lists(
        st.tuples(
            st.sampled_from(["thanks", "thanks", "report"]),
            st.integers(0, 8),
            st.integers(0, 50),
            _TEXT,
        ),
        max_size=8,
    ),
)
def test_kindnesses_never_unmask_an_angel(app, people, seed, drop_offs, actions, later, replies):
    with emptied(app):
        world = build_world(app, people, seed, drop_offs)
        facilitator = app.test_client()
        assert login(facilitator).status_code == 302
        before = facilitator_pages(world, facilitator)

        # A first round of sending, a day for notes to arrive, then thanks, reports and more.
        for action in [*actions, ("tick", 24), *later]:
            run_action(world, action)
        # Let every note fall due and every stale offer move on; mortals answer what arrived,
        # and a last round releases their thanks (at most a day and a half between rounds).
        for action in [("tick", 49), *replies, ("tick", 37)]:
            run_action(world, action)

        with world.at_clock():
            for pid in world.order:
                client = world.clients[pid]
                for path in PAGES:
                    response = client.get(path)
                    assert response.status_code == 200, (path, response.status_code)
                    check_page(world, pid, path, response.get_data(as_text=True))
        check_outbox(world)
        # The facilitator's pages are compared at the real clock, as they were first read.
        after = facilitator_pages(world, facilitator)
        game_page = f"/games/{world.game_id}"
        with app.app_context():
            open_reports = db.session.execute(
                select(func.count(Report.id)).where(Report.status == "open")
            ).scalar_one()
        # The one change allowed: the aggregate count of reports waiting for moderation.
        before[game_page], zero = _open_reports_badge(before[game_page])
        after[game_page], shown = _open_reports_badge(after[game_page])
        assert (zero, shown) == (0, open_reports)
        # The moderation queue shows reports (reason, text) and who reported them (so the
        # organiser can check on them), never who sent: no name but a reporter's, no address.
        moderation = after.pop(f"/games/{world.game_id}/moderation")
        before.pop(f"/games/{world.game_id}/moderation")
        with app.app_context():
            reporters = set(db.session.execute(select(Report.reporter_id)).scalars())
        assert world.names_in(moderation) <= reporters and not world.emails_in(moderation)
        for path in before:
            assert after[path] == before[path], f"facilitator page {path} changed"


def _kindness_world(app):
    """Five people; everyone sends a note and an in-person kindness through the drop-off point
    and marks the item left, notes are delivered, every courier accepts what they were offered.

    Rounds (09:00 and 15:00 UTC, an hour long) are at most 19.5 hours after an action, and an
    offer expires 24 hours after its release: 22 hours on, every note has arrived and every
    offer has reached its courier, none expired."""
    people = [(f"Qzabcd{i}x", f"qzabcd{i}x@ex{i}.org") for i in range(5)]
    world = build_world(app, people, seed=7, drop_offs=1)
    for i in range(5):
        run_action(world, ("note", i, "a little note"))
        run_action(world, ("in_person", i, "leave a flower", "for you", 1))
    for _ in range(5):
        run_action(world, ("left", 0, 0))
    with app.app_context():
        assert not db.session.execute(select(Kindness.id).where(*_waiting_to_be_left())).first()
    run_action(world, ("tick", 22))
    for i in range(5):
        for _ in range(3):
            run_action(world, ("courier", i, "accept", 0))
    return world


def test_guessed_ids_of_others_get_one_and_the_same_404(app):
    with emptied(app):
        world = _kindness_world(app)
        with app.app_context():
            kindnesses = list(
                db.session.execute(
                    select(
                        Kindness.public_id, Kindness.angel_id, Kindness.mortal_id, Kindness.state
                    )
                ).all()
            )
            requests = list(
                db.session.execute(
                    select(CourierRequest.public_id, CourierRequest.courier_id)
                ).all()
            )
            request_states = sorted(
                db.session.execute(select(CourierRequest.public_id, CourierRequest.state)).all()
            )
            released = set(db.session.execute(select(CourierRequest.released_at)).scalars())
        assert any(state == "delivered" for *_, state in kindnesses)
        assert requests and all(at is not None and at <= world.clock for at in released)
        assert "accepted" in {state for _, state in request_states}
        random_id = secrets.token_urlsafe(16)
        reference = None
        checked = 0
        # Others' offers have been released by now: only "not yours" hides them.
        with world.at_clock():
            for pid in world.order:
                client = world.clients[pid]
                client.get("/me")  # shows (and so clears) any message left from the setup
                not_mine_as_angel = [k for k, a, _, _ in kindnesses if a != pid] + [random_id]
                not_mine_as_mortal = [k for k, _, m, s in kindnesses if m != pid] + [random_id]
                not_mine_as_courier = [r for r, c in requests if c != pid] + [random_id]
                posts = (
                    [(f"/me/angel/{k}/cancel", {}) for k in not_mine_as_angel]
                    + [(f"/me/angel/{k}/as-note", {}) for k in not_mine_as_angel]
                    + [(f"/me/angel/{k}/left", {}) for k in not_mine_as_angel]
                    + [(f"/me/inbox/{k}/thanks", {"message": "thanks"}) for k in not_mine_as_mortal]
                    + [(f"/me/inbox/{k}/report", {"reason": "unkind"}) for k in not_mine_as_mortal]
                    + [
                        (f"/me/deliveries/{r}/{step}", {"reason": "not nice"})
                        for r in not_mine_as_courier
                        for step in ("accept", "decline", "done", "report")
                    ]
                    # A kindness id where a request id belongs, and the other way round.
                    + [(f"/me/deliveries/{k}/accept", {}) for k, *_ in kindnesses]
                    + [(f"/me/angel/{r}/cancel", {}) for r, _ in requests]
                )
                for path, data in posts:
                    response = client.post(path, data=data)
                    assert response.status_code == 404, (path, response.status_code)
                    body = _normalise(response.get_data(as_text=True))
                    if reference is None:
                        reference = body
                    assert body == reference, f"{path} answers differently from other 404s"
                    assert not world.names_in(body) and not world.emails_in(body), path
                    checked += 1
        assert checked > 100
        # Nothing changed hands: no thanks, reports, cancellations or courier steps went through.
        with app.app_context():
            after = list(
                db.session.execute(
                    select(
                        Kindness.public_id, Kindness.angel_id, Kindness.mortal_id, Kindness.state
                    )
                ).all()
            )
            assert (
                sorted(
                    db.session.execute(select(CourierRequest.public_id, CourierRequest.state)).all()
                )
                == request_states
            )
            assert db.session.execute(select(func.count(Thanks.id))).scalar_one() == 0
            assert db.session.execute(select(func.count(Report.id))).scalar_one() == 0
        assert sorted(after) == sorted(kindnesses)
