"""Couriers: who carries an in-person kindness, what they are asked, what they answer."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import joinedload

from app.domain import couriers as courier_rules
from app.domain.states import OPEN_COURIER_STATES, CourierState, KindnessState
from app.extensions import db
from app.i18n import fast_gettext as _
from app.mail.messages import notify
from app.models import (
    CourierRequest,
    Kindness,
    OutboxMessage,
    Participant,
    new_public_id,
    utcnow,
)
from app.services import ServiceError, paging
from app.services.inbox import notify_mortals
from app.services.rounds import next_release, release_moment, rng_or_system


def _open_loads(game_id: int) -> tuple[dict[int, int], set[int]]:
    """Every active participant of the game with their number of open deliveries, and those
    of them who opted out of carrying (one query)."""
    open_requests = (
        select(CourierRequest.courier_id, func.count(CourierRequest.id).label("n"))
        .where(CourierRequest.state.in_(OPEN_COURIER_STATES))
        .group_by(CourierRequest.courier_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Participant.id, Participant.courier_opt_out, func.coalesce(open_requests.c.n, 0))
        .outerjoin(open_requests, open_requests.c.courier_id == Participant.id)
        .where(Participant.game_id == game_id, Participant.active.is_(True))
    ).all()
    return {pid: n for pid, _, n in rows}, {pid for pid, out, _ in rows if out}


def route(kindness: Kindness, now: datetime, rng: random.Random) -> list[OutboxMessage]:
    """Offer the kindness to a courier drawn uniformly from the pool, released at a random
    moment of a later round; or tell the angel (also in a round) that nobody could carry it.

    The draw never looks at who sent the kindness. Runs inside the caller's transaction.
    """
    return route_all([kindness], now, rng)


def route_all(kindnesses: list[Kindness], now: datetime, rng: random.Random) -> list[OutboxMessage]:
    """`route` for many kindnesses at once, in their order, with a fixed number of queries:
    who was already asked is read once, each game's loads once, and the people to email once.

    Each pick adds one to the chosen courier's load in memory, so later picks in the same run
    see it exactly as they would have seen it in the database had each been routed alone.
    """
    if not kindnesses:
        return []
    config = current_app.config
    asked: dict[int, set[int]] = {kindness.id: set() for kindness in kindnesses}
    for kindness_id, courier_id in db.session.execute(
        select(CourierRequest.kindness_id, CourierRequest.courier_id).where(
            CourierRequest.kindness_id.in_(sorted(asked))
        )
    ):
        asked[kindness_id].add(courier_id)
    pools: dict[int, dict[int, int]] = {}
    picks: list[tuple[Kindness, int | None]] = []
    for kindness in kindnesses:
        courier_id = None
        if len(asked[kindness.id]) < config["COURIER_MAX_TRIES"]:
            if kindness.game_id not in pools:
                pools[kindness.game_id] = courier_rules.courier_pool(*_open_loads(kindness.game_id))
            pool = pools[kindness.game_id]
            courier_id = courier_rules.pick_courier(
                pool,
                kindness.mortal_id,
                asked[kindness.id],
                rng,
                max_open=config["COURIER_MAX_OPEN"],
            )
            if courier_id is not None:
                pool[courier_id] += 1
                asked[kindness.id].add(courier_id)
        picks.append((kindness, courier_id))
    # Everyone emailed below, with their game, in one query: notify reads person.game.
    wanted = {courier_id or kindness.angel_id for kindness, courier_id in picks}
    people = {
        person.id: person
        for person in db.session.execute(
            select(Participant)
            .where(Participant.id.in_(sorted(wanted)))
            .options(joinedload(Participant.game))
        ).scalars()
    }
    messages: list[OutboxMessage | None] = []
    hours = config["COURIER_ACCEPT_HOURS"]
    offers: list[dict] = []
    for kindness, courier_id in picks:
        if courier_id is None:
            kindness.state = KindnessState.UNDELIVERABLE
            angel = people[kindness.angel_id]
            messages.append(
                notify(
                    angel,
                    "undeliverable",
                    release_at=release_moment(angel.game, "undeliverable", now, rng),
                )
            )
            continue
        courier = people[courier_id]
        release = next_release(courier.game, now, rng)
        offers.append(
            {
                "public_id": new_public_id(),
                "kindness_id": kindness.id,
                "courier_id": courier_id,
                "state": CourierState.OFFERED,
                "offered_at": now,
                "released_at": release.at,
                # The courier's deadline counts from when they are asked, never from the
                # angel's click.
                "expires_at": release.at + timedelta(hours=hours),
            }
        )
        messages.append(
            notify(
                courier,
                "courier-request",
                release_at=release.at,
                hours=hours,
            )
        )
    if offers:
        # One statement for every offer (the ORM would insert them a row at a time on SQLite).
        db.session.execute(insert(CourierRequest), offers)
    return [message for message in messages if message]


def _courier_query(courier: Participant, now: datetime):
    """Requests offered to or carried by this courier, with the recipient's name — no sender."""
    return (
        select(CourierRequest, Kindness, Participant.name)
        .join(Kindness, Kindness.id == CourierRequest.kindness_id)
        .join(Participant, Participant.id == Kindness.mortal_id)
        .options(joinedload(Kindness.drop_off))
        .where(
            CourierRequest.courier_id == courier.id,
            _state_is_one_of((CourierState.OFFERED, CourierState.ACCEPTED, CourierState.DONE)),
            _released(now),
        )
    )


def courier_requests_of(
    courier: Participant, now: datetime | None = None
) -> list[tuple[CourierRequest, Kindness, str]]:
    """Requests offered to or carried by this courier, with the recipient's name — no sender.

    An offer shows only from its release moment (a random moment of a later round).
    """
    return [
        (request, kindness, recipient)
        for request, kindness, recipient in db.session.execute(
            _courier_query(courier, now or utcnow()).order_by(
                CourierRequest.expires_at.desc(), CourierRequest.id.desc()
            )
        ).all()
    ]


def deliveries_page(
    courier: Participant,
    before: str | None = None,
    after: str | None = None,
    now: datetime | None = None,
) -> paging.Page:
    """One page of `courier_requests_of`, newest offer first (one query).

    Ordered, and paged, by the deadline the courier is shown (its release plus a day), never
    by when the angel acted: the cursor in an Older link must not carry the angel's moment.
    """
    return paging.keyset(
        _courier_query(courier, now or utcnow()),
        CourierRequest.expires_at,
        CourierRequest.id,
        lambda row: (row[0].expires_at, row[0].id),
        before,
        after,
    )


def open_request_count(courier: Participant, now: datetime | None = None) -> int:
    """How many released requests wait for this courier to answer or carry out."""
    return db.session.execute(open_request_count_query(courier, now or utcnow())).scalar_one()


def _state_is_one_of(states):
    """A request's state is one of `states`: a comparison each, not IN (…), whose list
    SQLAlchemy writes into the SQL at every run (its "expanding" parameter); Home counts open
    requests on every visit, and the Deliver page lists them."""
    return or_(*(CourierRequest.state == state for state in states))


def open_request_count_query(courier: Participant, now: datetime):
    """The query behind `open_request_count`, for pages that count several things at once."""
    return select(func.count(CourierRequest.id)).where(
        CourierRequest.courier_id == courier.id,
        _state_is_one_of(OPEN_COURIER_STATES),
        _released(now),
    )


def _released(now: datetime):
    """Courier requests whose offer has reached the courier by `now`."""
    return CourierRequest.released_at.is_(None) | (CourierRequest.released_at <= now)


def courier_request_of(
    courier: Participant, public_id: str, now: datetime | None = None
) -> CourierRequest:
    """One request released to this courier, by its public id (LookupError if none)."""
    request = db.session.execute(
        select(CourierRequest).where(
            CourierRequest.public_id == public_id,
            CourierRequest.courier_id == courier.id,
            _released(now or utcnow()),
        )
    ).scalar_one_or_none()
    if request is None:
        raise LookupError(public_id)
    return request


def _move(request: CourierRequest, from_state: str, **values) -> bool:
    changed = db.session.execute(
        update(CourierRequest)
        .where(CourierRequest.id == request.id, CourierRequest.state == from_state)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return changed.rowcount == 1


def accept(courier: Participant, public_id: str, now: datetime | None = None) -> None:
    """The courier takes the delivery on; only now do they see the place, code and what to do."""
    now = now or utcnow()
    request = courier_request_of(courier, public_id, now)
    # Past its deadline the offer is on its way to someone else (the next tick re-routes it).
    if request.expires_at <= now or not _move(
        request, CourierState.OFFERED, state=CourierState.ACCEPTED, responded_at=now
    ):
        db.session.rollback()
        raise ServiceError(_("This request is no longer open."))
    db.session.commit()


def decline(courier: Participant, public_id: str, now=None, rng=None) -> None:
    """The courier can't do it: the kindness goes to the next courier."""
    now = now or utcnow()
    request = courier_request_of(courier, public_id, now)
    if not (
        _move(request, CourierState.OFFERED, state=CourierState.DECLINED, responded_at=now)
        or _move(request, CourierState.ACCEPTED, state=CourierState.DECLINED, responded_at=now)
    ):
        db.session.rollback()
        raise ServiceError(_("This request is no longer open."))
    route(request.kindness, now, rng_or_system(rng))
    db.session.commit()


def mark_done(courier: Participant, public_id: str, now: datetime | None = None) -> None:
    """The courier delivered it: the mortal's inbox shows that an angel arranged a kindness."""
    now = now or utcnow()
    request = courier_request_of(courier, public_id, now)
    if not _move(request, CourierState.ACCEPTED, state=CourierState.DONE, done_at=now):
        db.session.rollback()
        raise ServiceError(_("Accept the request before marking it done."))
    kindness = request.kindness
    db.session.execute(
        update(Kindness)
        .where(Kindness.id == kindness.id, Kindness.state == KindnessState.ROUTING)
        .values(state=KindnessState.DELIVERED, delivered_at=now)
        .execution_options(synchronize_session=False)
    )
    notify_mortals([kindness.mortal_id], now)
    db.session.commit()


def reroute_stale(now: datetime | None = None, rng: random.Random | None = None) -> int:
    """Offers not accepted in time go to the next courier; safe when two copies run at once."""
    now, rng = now or utcnow(), rng_or_system(rng)
    stale = (
        select(CourierRequest.id)
        .where(CourierRequest.state == CourierState.OFFERED, CourierRequest.expires_at <= now)
        .with_for_update(skip_locked=True)
    )
    expired = (
        db.session.execute(
            update(CourierRequest)
            .where(
                CourierRequest.id.in_(stale.scalar_subquery()),
                CourierRequest.state == CourierState.OFFERED,
            )
            .values(state=CourierState.EXPIRED, responded_at=now)
            .returning(CourierRequest.kindness_id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    # All of them routed together: each game's loads are read once, not once per offer.
    route_all(
        list(
            db.session.execute(
                select(Kindness)
                .where(
                    Kindness.id.in_(sorted(set(expired))), Kindness.state == KindnessState.ROUTING
                )
                .order_by(Kindness.id)
            ).scalars()
        ),
        now,
        rng,
    )
    db.session.commit()
    return len(expired)
