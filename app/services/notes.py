"""What an angel sends: notes, in-person kindnesses, their status. Never shows a sender."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache

from flask import current_app
from flask_babel import ngettext
from sqlalchemy import DateTime, bindparam, func, select, update
from sqlalchemy.orm import joinedload

from app.domain import couriers as courier_rules
from app.domain import delivery
from app.domain.limits import LIMITS
from app.domain.states import CourierState, GameState, KindnessKind, KindnessState
from app.extensions import db
from app.i18n import fast_gettext as _
from app.i18n import lazy_gettext as _l
from app.models import (
    CourierRequest,
    DropOffPoint,
    Game,
    Kindness,
    Pairing,
    Participant,
    Thanks,
    utcnow,
)
from app.services import ServiceError, clean_text, paging
from app.services.couriers import OPEN_COURIER_STATES, route
from app.services.rounds import rng_or_system, schedule_of

NO_MORTAL_YET = _l(
    "You have no mortal to send to right now. If the circle has just changed, your new "
    "mortal shows on your page from the next delivery round."
)


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
    if game.state != GameState.RUNNING:
        raise ServiceError(_("This game is not running, so kindnesses cannot be sent now."))
    if angel is not None and angel.muted:
        raise ServiceError(_("The organiser has stopped you from sending kindnesses in this game."))


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
            Kindness.state != KindnessState.CANCELLED,
        )
    ).scalar_one()
    limit = current_app.config["KINDNESS_DAILY_LIMIT"]
    if sent_today >= limit:
        raise ServiceError(
            ngettext(
                "You have sent %(num)d kindness today, the daily limit. "
                "Save the next one for tomorrow — it will mean just as much.",
                "You have sent %(num)d kindnesses today, the daily limit. "
                "Save the next one for tomorrow — it will mean just as much.",
                limit,
            )
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
        raise ServiceError(str(NO_MORTAL_YET))
    message = clean_text(message, "note", current_app.config["NOTE_MAX_LENGTH"])
    _check_daily_limit(angel, now)
    schedule = schedule_of(game)
    round_ = delivery.round_for(schedule, now, on_day)
    kindness = Kindness(
        game_id=game.id,
        angel_id=angel.id,
        mortal_id=mortal.id,
        kind=KindnessKind.NOTE,
        message=message,
        state=KindnessState.SCHEDULED,
        deliver_at=delivery.arrival(round_, schedule, rng_or_system(rng)),
        round_label=delivery.round_label(round_),
        created_at=now,
    )
    db.session.add(kindness)
    db.session.commit()
    return kindness


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
    now, rng = now or utcnow(), rng_or_system(rng)
    game = angel.game
    _require_running(game, angel)
    mortal = mortal_of(angel, now)
    if mortal is None:
        raise ServiceError(str(NO_MORTAL_YET))
    limit = LIMITS.courier_instruction
    instruction = clean_text(instruction, "instruction for the courier", limit)
    message = clean_text(message, "message", limit, required=False)
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
            raise ServiceError(_("Choose one of the game's pick-up spots."))
    _check_daily_limit(angel, now)
    kindness = Kindness(
        game_id=game.id,
        angel_id=angel.id,
        mortal_id=mortal.id,
        kind=KindnessKind.IN_PERSON,
        instruction=instruction,
        message=message,
        state=KindnessState.ROUTING,
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
            Kindness.state == KindnessState.ROUTING,
            Kindness.drop_off_id.is_not(None),
            Kindness.left_at.is_(None),
        )
        .values(left_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        db.session.rollback()
        raise ServiceError(_("That kindness is not waiting to be left at a pick-up spot."))
    route(kindness, now, rng_or_system(rng))
    db.session.commit()


@dataclass(frozen=True)
class SentKindness:
    """One of an angel's kindnesses as they see it."""

    kindness: Kindness
    status: str
    thanks: str | None


def _sent_query(angel_id, now):
    """The angel's kindnesses with any thanks already released to them and the latest courier
    answer (for the status), drop-off point loaded. `angel_id` and `now` are values or bound
    parameters (see `_sent_statement`)."""
    released_thanks = (Thanks.kindness_id == Kindness.id) & (
        Thanks.released_at.is_(None) | (Thanks.released_at <= now)
    )
    latest_courier_state = (
        select(CourierRequest.state)
        .where(CourierRequest.kindness_id == Kindness.id)
        .order_by(CourierRequest.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(Kindness, Thanks.message, latest_courier_state)
        .outerjoin(Thanks, released_thanks)
        .options(joinedload(Kindness.drop_off))
        .where(Kindness.angel_id == angel_id)
    )


@cache
def _sent_statement():
    """`_sent_query` built once per process, for `:angel_id` at `:now` (the Give page runs it
    on every visit; building it costs more than SQLite takes to run it)."""
    return _sent_query(bindparam("angel_id"), bindparam("now", type_=DateTime()))


def _with_status(rows) -> list[SentKindness]:
    """Each sent kindness with its status, from the row's latest courier answer."""
    return [
        SentKindness(kindness, _status(kindness, {kindness.id: state} if state else {}), thanks)
        for kindness, thanks, state in rows
    ]


def sent_by(angel: Participant, now: datetime | None = None) -> list[SentKindness]:
    """All the angel's kindnesses, newest first, with a status and any thanks already released
    to them (one query)."""
    query = _sent_query(angel.id, now or utcnow())
    rows = db.session.execute(query.order_by(Kindness.created_at.desc(), Kindness.id.desc())).all()
    return _with_status(rows)


def sent_page(
    angel: Participant,
    before: str | None = None,
    after: str | None = None,
    now: datetime | None = None,
) -> paging.Page:
    """One page of what the angel has sent, as in `sent_by` (one query)."""
    page = paging.keyset(
        _sent_statement(),
        Kindness.created_at,
        Kindness.id,
        lambda row: (row[0].created_at, row[0].id),
        before,
        after,
        params={"angel_id": angel.id, "now": now or utcnow()},
    )
    return paging.Page(_with_status(page.items), page.older, page.newer)


def _status(kindness: Kindness, courier_state: dict[int, str]) -> str:
    if kindness.state == KindnessState.DELIVERED:
        return "read" if kindness.read_at else "delivered"
    if kindness.state == KindnessState.ROUTING:
        if kindness.drop_off_id is not None and kindness.left_at is None:
            return "waiting for you to leave it"
        return (
            "accepted by a courier"
            if courier_state.get(kindness.id) == CourierState.ACCEPTED
            else ("waiting for a courier")
        )
    if kindness.state == KindnessState.UNDELIVERABLE:
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
            Kindness.state.in_(
                (KindnessState.SCHEDULED, KindnessState.ROUTING, KindnessState.UNDELIVERABLE)
            ),
        )
        .values(state=KindnessState.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        db.session.rollback()
        raise ServiceError(
            _("That kindness has already been delivered, so it cannot be cancelled.")
        )
    db.session.execute(
        update(CourierRequest)
        .where(
            CourierRequest.kindness_id == kindness.id,
            CourierRequest.state.in_(OPEN_COURIER_STATES),
        )
        .values(state=CourierState.WITHDRAWN, responded_at=utcnow())
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
    if kindness.state != KindnessState.UNDELIVERABLE:
        raise ServiceError(_("Only a kindness no courier could carry can become a note."))
    text = kindness.message or kindness.instruction
    schedule = schedule_of(angel.game)
    round_ = delivery.round_for(schedule, now)
    changed = db.session.execute(
        update(Kindness)
        .where(Kindness.id == kindness.id, Kindness.state == KindnessState.UNDELIVERABLE)
        .values(
            kind=KindnessKind.NOTE,
            state=KindnessState.SCHEDULED,
            message=text,
            deliver_at=delivery.arrival(round_, schedule, rng_or_system(rng)),
            round_label=delivery.round_label(round_),
        )
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        db.session.rollback()
        raise ServiceError(_("That kindness has changed in the meantime; please look again."))
    db.session.commit()
    db.session.refresh(kindness)
    return kindness
