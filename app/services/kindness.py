"""Kindnesses: notes delivered in rounds, in-person kindnesses carried by couriers, thanks,
reports and hints. Nothing here ever shows a sender to a mortal, a courier or a facilitator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import joinedload

from app.domain import couriers as courier_rules
from app.domain import delivery
from app.extensions import db
from app.mail import outbox
from app.models import (
    CourierRequest,
    DropOffPoint,
    Game,
    Hint,
    Kindness,
    OutboxMessage,
    Pairing,
    Participant,
    Report,
    Thanks,
    new_public_id,
    utcnow,
)
from app.services import ServiceError, paging
from app.services.invitations import notify
from app.services.rounds import next_release, schedule_of  # noqa: F401 - schedule_of re-exported

OPEN_COURIER_STATES = ("offered", "accepted")
NO_MORTAL_YET = (
    "You have no mortal to send to right now. If the circle has just changed, your new "
    "mortal shows on your page from the next delivery round."
)


def _rng(rng: random.Random | None) -> random.Random:
    return rng or random.SystemRandom()


def mortal_of(angel: Participant, now: datetime | None = None) -> Participant | None:
    """The angel's current mortal, once the angel has been told of them (see page_for)."""
    now = now or utcnow()
    return db.session.execute(
        select(Participant)
        .join(Pairing, Pairing.mortal_id == Participant.id)
        .where(
            Pairing.angel_id == angel.id,
            Pairing.released_at.is_(None) | (Pairing.released_at <= now),
        )
    ).scalar_one_or_none()


def _require_running(game: Game, angel: Participant | None = None) -> None:
    if game.state != "running":
        raise ServiceError("This game is not running, so kindnesses cannot be sent now.")
    if angel is not None and angel.muted:
        raise ServiceError("The organiser has stopped you from sending kindnesses in this game.")


def _clean_text(text: str, what: str, limit: int, required: bool = True) -> str:
    """Plain text with line breaks kept; trailing spaces and NULs dropped."""
    text = "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").split("\n"))
    text = text.replace("\x00", "").strip()
    if required and not text:
        raise ServiceError(f"Write a {what} first.")
    if len(text) > limit:
        raise ServiceError(f"The {what} is {len(text)} characters; the limit is {limit}.")
    return text


def _check_daily_limit(angel: Participant, now: datetime) -> None:
    schedule = schedule_of(angel.game)
    today = delivery.local_date(now, schedule)
    tz = schedule.tz()
    start = (
        datetime.combine(today, time(0), tzinfo=tz).astimezone(delivery.UTC).replace(tzinfo=None)
    )
    sent_today = db.session.execute(
        select(func.count(Kindness.id)).where(
            Kindness.angel_id == angel.id,
            Kindness.created_at >= start,
            Kindness.state != "cancelled",
        )
    ).scalar_one()
    limit = current_app.config["KINDNESS_DAILY_LIMIT"]
    if sent_today >= limit:
        raise ServiceError(
            f"You have sent {limit} kindnesses today, the daily limit. "
            "Save the next one for tomorrow — it will mean just as much."
        )


def delivery_days(game: Game, now: datetime | None = None) -> list[date]:
    """Later days an angel may choose for a note: the delivery days from tomorrow up to the
    game's end (at most 14 days ahead)."""
    schedule = schedule_of(game)
    today = delivery.local_date(now or utcnow(), schedule)
    last = min(game.ends_on, today + timedelta(days=14))
    days = (today + timedelta(days=i) for i in range(1, (last - today).days + 1))
    return [day for day in days if delivery.delivers_on(schedule, day)]


def send_note(
    angel: Participant,
    message: str,
    on_day: date | None = None,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> Kindness:
    """Schedule a note for the angel's mortal in the next round (or the first round of a later
    day), at a random moment inside that round."""
    now = now or utcnow()
    game = angel.game
    _require_running(game, angel)
    mortal = mortal_of(angel, now)
    if mortal is None:
        raise ServiceError(NO_MORTAL_YET)
    message = _clean_text(message, "note", current_app.config["NOTE_MAX_LENGTH"])
    _check_daily_limit(angel, now)
    schedule = schedule_of(game)
    round_ = delivery.round_for(schedule, now, on_day)
    kindness = Kindness(
        game_id=game.id,
        angel_id=angel.id,
        mortal_id=mortal.id,
        kind="note",
        message=message,
        state="scheduled",
        deliver_at=delivery.arrival(round_, schedule, _rng(rng)),
        round_label=delivery.round_label(round_),
        created_at=now,
    )
    db.session.add(kindness)
    db.session.commit()
    return kindness


def drop_off_points(game: Game) -> list[DropOffPoint]:
    """The game's active drop-off points."""
    return list(
        db.session.execute(
            select(DropOffPoint)
            .where(DropOffPoint.game_id == game.id, DropOffPoint.active.is_(True))
            .order_by(DropOffPoint.name)
        ).scalars()
    )


def request_in_person(
    angel: Participant,
    instruction: str,
    message: str,
    drop_off_id: int | None = None,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> Kindness:
    """Ask for an in-person kindness; a courier is picked and asked at once.

    With a drop-off point, the angel gets a claim code to put on the item they leave there; the
    courier collects it by that code and never learns who left it.
    """
    now, rng = now or utcnow(), _rng(rng)
    game = angel.game
    _require_running(game, angel)
    mortal = mortal_of(angel, now)
    if mortal is None:
        raise ServiceError(NO_MORTAL_YET)
    limit = current_app.config["NOTE_MAX_LENGTH"]
    instruction = _clean_text(instruction, "instruction for the courier", limit)
    message = _clean_text(message, "message", limit, required=False)
    drop_off = None
    if drop_off_id:
        drop_off = db.session.execute(
            select(DropOffPoint).where(
                DropOffPoint.id == drop_off_id,
                DropOffPoint.game_id == game.id,
                DropOffPoint.active.is_(True),
            )
        ).scalar_one_or_none()
        if drop_off is None:
            raise ServiceError("Choose one of the game's drop-off points.")
    _check_daily_limit(angel, now)
    kindness = Kindness(
        game_id=game.id,
        angel_id=angel.id,
        mortal_id=mortal.id,
        kind="in_person",
        instruction=instruction,
        message=message,
        state="routing",
        drop_off_id=drop_off.id if drop_off else None,
        claim_code=courier_rules.claim_code(rng) if drop_off else None,
        created_at=now,
    )
    db.session.add(kindness)
    db.session.flush()
    if drop_off is None:
        # Nothing to leave anywhere: a courier is asked in a later round.
        route(kindness, now, rng)
    # With an item, nobody is asked until the angel has left it at the drop-off point (see
    # mark_left): an offer made at once would let a courier wait by the shelf for the sender.
    db.session.commit()
    return kindness


def mark_left(
    angel: Participant,
    public_id: str,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> None:
    """The angel has left the item at the drop-off point: only now is a courier drawn, and the
    offer reaches them at a random moment of a later round."""
    now = now or utcnow()
    _require_running(angel.game, angel)
    kindness = _own_kindness(angel, public_id)
    changed = db.session.execute(
        update(Kindness)
        .where(
            Kindness.id == kindness.id,
            Kindness.state == "routing",
            Kindness.drop_off_id.is_not(None),
            Kindness.left_at.is_(None),
        )
        .values(left_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        db.session.rollback()
        raise ServiceError("That kindness is not waiting to be left at a drop-off point.")
    route(kindness, now, _rng(rng))
    db.session.commit()


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
            kindness.state = "undeliverable"
            angel = people[kindness.angel_id]
            messages.append(
                notify(
                    angel,
                    "undeliverable",
                    f"Your in-person kindness in {angel.game.name} needs a new plan",
                    now=now,
                    rng=rng,
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
                "state": "offered",
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
                f"Can you deliver a kindness in {courier.game.name}?",
                release_at=release.at,
                hours=hours,
            )
        )
    if offers:
        # One statement for every offer (the ORM would insert them a row at a time on SQLite).
        db.session.execute(insert(CourierRequest), offers)
    return [message for message in messages if message]


@dataclass(frozen=True)
class SentKindness:
    """One of an angel's kindnesses as they see it."""

    kindness: Kindness
    status: str
    thanks: str | None


def _sent_query(angel: Participant, now: datetime):
    """The angel's kindnesses with any thanks already released to them, drop-off point loaded."""
    released_thanks = (Thanks.kindness_id == Kindness.id) & (
        Thanks.released_at.is_(None) | (Thanks.released_at <= now)
    )
    return (
        select(Kindness, Thanks.message)
        .outerjoin(Thanks, released_thanks)
        .options(joinedload(Kindness.drop_off))
        .where(Kindness.angel_id == angel.id)
    )


def _with_status(rows) -> list[SentKindness]:
    """Each sent kindness with its status: one query for the couriers' latest answers."""
    ids = [kindness.id for kindness, _ in rows]
    latest_courier_state = (
        dict(
            db.session.execute(
                select(CourierRequest.kindness_id, CourierRequest.state).where(
                    CourierRequest.id.in_(
                        select(func.max(CourierRequest.id))
                        .where(CourierRequest.kindness_id.in_(ids))
                        .group_by(CourierRequest.kindness_id)
                    )
                )
            ).all()
        )
        if any(kindness.kind == "in_person" for kindness, _ in rows)
        else {}
    )
    return [
        SentKindness(kindness, _status(kindness, latest_courier_state), thanks)
        for kindness, thanks in rows
    ]


def sent_by(angel: Participant, now: datetime | None = None) -> list[SentKindness]:
    """All the angel's kindnesses, newest first, with a status and any thanks already released
    to them (two queries)."""
    rows = db.session.execute(
        _sent_query(angel, now or utcnow()).order_by(Kindness.created_at.desc(), Kindness.id.desc())
    ).all()
    return _with_status(rows)


def sent_page(
    angel: Participant,
    before: str | None = None,
    after: str | None = None,
    now: datetime | None = None,
) -> paging.Page:
    """One page of what the angel has sent, as in `sent_by` (at most two queries)."""
    page = paging.keyset(
        _sent_query(angel, now or utcnow()),
        Kindness.created_at,
        Kindness.id,
        lambda row: (row[0].created_at, row[0].id),
        before,
        after,
    )
    return paging.Page(_with_status(page.items), page.older, page.newer)


def _status(kindness: Kindness, courier_state: dict[int, str]) -> str:
    if kindness.state == "delivered":
        return "read" if kindness.read_at else "delivered"
    if kindness.state == "routing":
        if kindness.drop_off_id is not None and kindness.left_at is None:
            return "waiting for you to leave it"
        return (
            "accepted by a courier"
            if courier_state.get(kindness.id) == "accepted"
            else ("waiting for a courier")
        )
    if kindness.state == "undeliverable":
        return "no courier could take it"
    return kindness.state


def _own_kindness(angel: Participant, public_id: str) -> Kindness:
    kindness = db.session.execute(
        select(Kindness).where(Kindness.public_id == public_id, Kindness.angel_id == angel.id)
    ).scalar_one_or_none()
    if kindness is None:
        raise LookupError(public_id)
    return kindness


def cancel(angel: Participant, public_id: str) -> None:
    """Cancel a kindness that has not been delivered; an open courier request is withdrawn."""
    kindness = _own_kindness(angel, public_id)
    changed = db.session.execute(
        update(Kindness)
        .where(
            Kindness.id == kindness.id,
            Kindness.state.in_(("scheduled", "routing", "undeliverable")),
        )
        .values(state="cancelled")
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        db.session.rollback()
        raise ServiceError("That kindness has already been delivered, so it cannot be cancelled.")
    db.session.execute(
        update(CourierRequest)
        .where(
            CourierRequest.kindness_id == kindness.id,
            CourierRequest.state.in_(OPEN_COURIER_STATES),
        )
        .values(state="withdrawn", responded_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def convert_to_note(
    angel: Participant, public_id: str, now: datetime | None = None, rng=None
) -> Kindness:
    """Turn an in-person kindness no courier could take into a note for the next round."""
    now = now or utcnow()
    _require_running(angel.game, angel)
    kindness = _own_kindness(angel, public_id)
    if kindness.state != "undeliverable":
        raise ServiceError("Only a kindness no courier could carry can become a note.")
    text = kindness.message or kindness.instruction
    schedule = schedule_of(angel.game)
    round_ = delivery.round_for(schedule, now)
    changed = db.session.execute(
        update(Kindness)
        .where(Kindness.id == kindness.id, Kindness.state == "undeliverable")
        .values(
            kind="note",
            state="scheduled",
            message=text,
            deliver_at=delivery.arrival(round_, schedule, _rng(rng)),
            round_label=delivery.round_label(round_),
        )
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        db.session.rollback()
        raise ServiceError("That kindness has changed in the meantime; please look again.")
    db.session.commit()
    db.session.refresh(kindness)
    return kindness


def inbox_of(
    mortal: Participant, before: str | None = None, after: str | None = None
) -> paging.Page:
    """One page of kindnesses delivered to the mortal, newest first: each with any thanks they
    sent and whether they reported it (one query)."""
    reported = (
        select(Report.id)
        .where(Report.kindness_id == Kindness.id, Report.reporter_id == mortal.id)
        .exists()
    )
    return paging.keyset(
        select(Kindness, Thanks.message, reported)
        .outerjoin(Thanks, Thanks.kindness_id == Kindness.id)
        .where(
            Kindness.mortal_id == mortal.id,
            Kindness.state == "delivered",
            Kindness.hidden.is_(False),
        ),
        Kindness.delivered_at,
        Kindness.id,
        lambda row: (row[0].delivered_at, row[0].id),
        before,
        after,
    )


def mark_inbox_read(
    mortal: Participant, ids: list[int] | None = None, now: datetime | None = None
) -> None:
    """What the mortal has now seen is read: the kindnesses `ids` (those on the page shown),
    or everything delivered so far when no ids are given."""
    where = [
        Kindness.mortal_id == mortal.id,
        Kindness.state == "delivered",
        Kindness.read_at.is_(None),
    ]
    if ids is not None:
        where.append(Kindness.id.in_(ids))
    db.session.execute(
        update(Kindness)
        .where(*where)
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def home_counts(participant: Participant, now: datetime | None = None) -> tuple[int, int]:
    """(unread kindnesses, open courier requests) for the home page's tiles, in one query."""
    return tuple(
        db.session.execute(
            select(
                _unread_count_query(participant).scalar_subquery(),
                _open_request_count_query(participant, now or utcnow()).scalar_subquery(),
            )
        ).one()
    )


def unread_count(mortal: Participant) -> int:
    """How many delivered kindnesses the mortal has not seen yet."""
    return db.session.execute(_unread_count_query(mortal)).scalar_one()


def _unread_count_query(mortal: Participant):
    return select(func.count(Kindness.id)).where(
        Kindness.mortal_id == mortal.id,
        Kindness.state == "delivered",
        Kindness.hidden.is_(False),
        Kindness.read_at.is_(None),
    )


def _received(mortal: Participant, public_id: str) -> Kindness:
    kindness = db.session.execute(
        select(Kindness).where(
            Kindness.public_id == public_id,
            Kindness.mortal_id == mortal.id,
            Kindness.state == "delivered",
        )
    ).scalar_one_or_none()
    if kindness is None:
        raise LookupError(public_id)
    return kindness


def thank(
    mortal: Participant,
    public_id: str,
    message: str,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> None:
    """Send a thank-you to "my angel" for one kindness.

    The angel sees it (and gets an email) from a random moment of a later round, so nobody
    watching whose phone buzzes when the mortal presses Send learns who the angel is.
    """
    now = now or utcnow()
    kindness = _received(mortal, public_id)
    message = _clean_text(message, "thank-you", 500)
    if db.session.execute(select(Thanks.id).where(Thanks.kindness_id == kindness.id)).first():
        raise ServiceError("You have already thanked your angel for this one.")
    release = next_release(mortal.game, now, rng)
    db.session.add(
        Thanks(kindness_id=kindness.id, message=message, created_at=now, released_at=release.at)
    )
    angel = db.session.get(Participant, kindness.angel_id)
    if angel.email_preference == "each":
        notify(
            angel,
            "thanks",
            f"Your mortal in {angel.game.name} says thank you",
            release_at=release.at,
            message=message,
        )
    db.session.commit()


def report(reporter: Participant, public_id: str, reason: str, as_courier: bool = False) -> None:
    """Report a kindness as hurtful: the mortal for one they received, a courier for one they
    carry. Stored for the facilitator's moderation."""
    reason = _clean_text(reason, "reason", 1000)
    if as_courier:
        request = _courier_request(reporter, public_id)
        kindness = request.kindness
    else:
        kindness = _received(reporter, public_id)
    db.session.add(
        Report(
            game_id=kindness.game_id,
            kindness_id=kindness.id,
            reporter_id=reporter.id,
            reason=reason,
        )
    )
    db.session.commit()


def reported_by(participant: Participant, among: list[int] | None = None) -> set[int]:
    """Ids of kindnesses this participant has reported (only among `among`, when given)."""
    stmt = select(Report.kindness_id).where(Report.reporter_id == participant.id)
    if among is not None:
        stmt = stmt.where(Report.kindness_id.in_(among))
    return set(db.session.execute(stmt).scalars())


def hints_of(participant: Participant) -> Hint:
    """The participant's hints (blank ones if never filled in)."""
    return db.session.get(Hint, participant.id) or Hint(participant_id=participant.id)


def mortal_hints(angel: Participant, now: datetime | None = None) -> Hint | None:
    """The hints of the angel's current mortal (blank ones if never filled in), or None while
    the angel has no mortal they have been told of — as `hints_of(mortal_of(angel))`, in one
    query."""
    row = db.session.execute(
        select(Pairing.mortal_id, Hint)
        .outerjoin(Hint, Hint.participant_id == Pairing.mortal_id)
        .where(
            Pairing.angel_id == angel.id,
            Pairing.released_at.is_(None) | (Pairing.released_at <= (now or utcnow())),
        )
    ).one_or_none()
    if row is None:
        return None
    mortal_id, hint = row
    return hint or Hint(participant_id=mortal_id)


def save_hints(participant: Participant, **fields: str) -> None:
    """Store the participant's hints."""
    hint = db.session.get(Hint, participant.id) or Hint(participant_id=participant.id)
    limits = {"brightens": 2000, "favourite_treat": 200, "avoid": 200, "appreciated_by": 200}
    for key, limit in limits.items():
        setattr(hint, key, _clean_text(fields.get(key, ""), "hint", limit, required=False))
    db.session.add(hint)
    db.session.commit()


def set_courier_opt_out(participant: Participant, opt_out: bool) -> None:
    """Opt in or out of courier duty (open requests stay with the courier)."""
    participant.courier_opt_out = opt_out
    db.session.commit()


# Couriers -----------------------------------------------------------------------------------


def _courier_query(courier: Participant, now: datetime):
    """Requests offered to or carried by this courier, with the recipient's name — no sender."""
    return (
        select(CourierRequest, Kindness, Participant.name)
        .join(Kindness, Kindness.id == CourierRequest.kindness_id)
        .join(Participant, Participant.id == Kindness.mortal_id)
        .options(joinedload(Kindness.drop_off))
        .where(
            CourierRequest.courier_id == courier.id,
            CourierRequest.state.in_(("offered", "accepted", "done")),
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
    return db.session.execute(_open_request_count_query(courier, now or utcnow())).scalar_one()


def _open_request_count_query(courier: Participant, now: datetime):
    return select(func.count(CourierRequest.id)).where(
        CourierRequest.courier_id == courier.id,
        CourierRequest.state.in_(OPEN_COURIER_STATES),
        _released(now),
    )


def _released(now: datetime):
    """Courier requests whose offer has reached the courier by `now`."""
    return CourierRequest.released_at.is_(None) | (CourierRequest.released_at <= now)


def _courier_request(
    courier: Participant, public_id: str, now: datetime | None = None
) -> CourierRequest:
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
    request = _courier_request(courier, public_id, now)
    # Past its deadline the offer is on its way to someone else (the next tick re-routes it).
    if request.expires_at <= now or not _move(
        request, "offered", state="accepted", responded_at=now
    ):
        db.session.rollback()
        raise ServiceError("This request is no longer open.")
    db.session.commit()


def decline(courier: Participant, public_id: str, now=None, rng=None) -> None:
    """The courier can't do it: the kindness goes to the next courier."""
    now = now or utcnow()
    request = _courier_request(courier, public_id, now)
    if not (
        _move(request, "offered", state="declined", responded_at=now)
        or _move(request, "accepted", state="declined", responded_at=now)
    ):
        db.session.rollback()
        raise ServiceError("This request is no longer open.")
    route(request.kindness, now, _rng(rng))
    db.session.commit()


def mark_done(courier: Participant, public_id: str, now: datetime | None = None) -> None:
    """The courier delivered it: the mortal's inbox shows that an angel arranged a kindness."""
    now = now or utcnow()
    request = _courier_request(courier, public_id, now)
    if not _move(request, "accepted", state="done", done_at=now):
        db.session.rollback()
        raise ServiceError("Accept the request before marking it done.")
    kindness = request.kindness
    db.session.execute(
        update(Kindness)
        .where(Kindness.id == kindness.id, Kindness.state == "routing")
        .values(state="delivered", delivered_at=now)
        .execution_options(synchronize_session=False)
    )
    _notify_mortals([kindness.mortal_id], now)
    db.session.commit()


# Periodic work ------------------------------------------------------------------------------


def _notify_mortals(mortal_ids: list[int], now: datetime) -> list[OutboxMessage]:
    """One email per mortal saying an angel left them something (the text stays on the site).

    Sent as it is made: a note's delivery moment is already a random moment of its round, and a
    courier's "done" follows a hand-over the mortal sees in person anyway, which tells of the
    courier, never of the angel.
    """
    messages = []
    for mortal in db.session.execute(
        select(Participant)
        .where(
            Participant.id.in_(set(mortal_ids)),
            # Digest readers hear once a day; "none" means the site only.
            Participant.email_preference == "each",
        )
        # notify reads each mortal's game: loaded here, not once per mortal.
        .options(joinedload(Participant.game))
    ).scalars():
        subject = f"An angel left you a kindness in {mortal.game.name}"
        messages.append(notify(mortal, "kindness-arrived", subject, now=now))
    return messages


def deliver_due(now: datetime | None = None) -> int:
    """Deliver every note whose moment has come; safe when two copies run at once."""
    now = now or utcnow()
    due = (
        select(Kindness.id)
        .where(
            Kindness.state == "scheduled",
            Kindness.deliver_at <= now,
            Kindness.game_id.in_(select(Game.id).where(Game.state == "running")),
        )
        .with_for_update(skip_locked=True)
    )
    delivered = (
        db.session.execute(
            update(Kindness)
            .where(Kindness.id.in_(due.scalar_subquery()), Kindness.state == "scheduled")
            .values(state="delivered", delivered_at=Kindness.deliver_at)
            .returning(Kindness.mortal_id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    if delivered:
        _notify_mortals(list(delivered), now)
    db.session.commit()
    return len(delivered)


def reroute_stale(now: datetime | None = None, rng: random.Random | None = None) -> int:
    """Offers not accepted in time go to the next courier; safe when two copies run at once."""
    now, rng = now or utcnow(), _rng(rng)
    stale = (
        select(CourierRequest.id)
        .where(CourierRequest.state == "offered", CourierRequest.expires_at <= now)
        .with_for_update(skip_locked=True)
    )
    expired = (
        db.session.execute(
            update(CourierRequest)
            .where(
                CourierRequest.id.in_(stale.scalar_subquery()), CourierRequest.state == "offered"
            )
            .values(state="expired", responded_at=now)
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
                .where(Kindness.id.in_(sorted(set(expired))), Kindness.state == "routing")
                .order_by(Kindness.id)
            ).scalars()
        ),
        now,
        rng,
    )
    db.session.commit()
    return len(expired)


@dataclass(frozen=True)
class TickReport:
    """What one run of the periodic work did."""

    delivered: int
    rerouted: int
    mail_sent: int
    reminded: int = 0
    nudged: int = 0
    digests: int = 0
    # The sender's own report: retries, failures and what it had no time for.
    mail: outbox.SendReport = field(default_factory=outbox.SendReport)


def tick(now: datetime | None = None, rng: random.Random | None = None) -> TickReport:
    """All periodic work, idempotent: deliveries that fall due, stale courier offers, mail."""
    from app.services import experience, links

    now = now or utcnow()
    links.answer_link_requests()
    delivered = deliver_due(now)
    rerouted = reroute_stale(now, rng)
    reminded = experience.send_reminders(now)
    nudged = experience.send_nudges(now)
    digests = experience.send_digests(now)
    report = outbox.send_due()
    return TickReport(delivered, rerouted, report.sent, reminded, nudged, digests, report)
