"""A mortal's inbox: the kindnesses delivered to them, what they have read."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import joinedload

from app.domain.states import EmailPreference, GameState, KindnessState
from app.extensions import db
from app.mail.messages import notify
from app.models import Game, Kindness, OutboxMessage, Participant, Report, Thanks, utcnow
from app.services import paging
from app.services.rounds import release_moment


def unread_count(mortal: Participant) -> int:
    """How many delivered kindnesses the mortal has not seen yet."""
    return db.session.execute(unread_count_query(mortal)).scalar_one()


def unread_count_query(mortal: Participant):
    """The query behind `unread_count`, for pages that count several things at once."""
    return select(func.count(Kindness.id)).where(
        Kindness.mortal_id == mortal.id,
        Kindness.state == KindnessState.DELIVERED,
        Kindness.hidden.is_(False),
        Kindness.read_at.is_(None),
    )


def received_by(mortal: Participant, public_id: str) -> Kindness:
    """A kindness delivered to this mortal, by its public id (LookupError if none)."""
    kindness = db.session.execute(
        select(Kindness).where(
            Kindness.public_id == public_id,
            Kindness.mortal_id == mortal.id,
            Kindness.state == KindnessState.DELIVERED,
        )
    ).scalar_one_or_none()
    if kindness is None:
        raise LookupError(public_id)
    return kindness


def inbox_of(
    mortal: Participant, before: str | None = None, after: str | None = None
) -> paging.Page:
    """One page of kindnesses delivered to the mortal, newest first: each with any thanks they
    sent and whether they reported it (one query)."""
    return paging.keyset(
        _inbox_statement(),
        Kindness.delivered_at,
        Kindness.id,
        lambda row: (row[0].delivered_at, row[0].id),
        before,
        after,
        params={"mortal_id": mortal.id},
    )


@cache
def _inbox_statement():
    """`inbox_of`'s statement for `:mortal_id`, built once per process (building it costs more
    than SQLite takes to run it)."""
    mortal_id = bindparam("mortal_id")
    reported = (
        select(Report.id)
        .where(Report.kindness_id == Kindness.id, Report.reporter_id == mortal_id)
        .exists()
    )
    return (
        select(Kindness, Thanks.message, reported)
        .outerjoin(Thanks, Thanks.kindness_id == Kindness.id)
        .where(
            Kindness.mortal_id == mortal_id,
            Kindness.state == KindnessState.DELIVERED,
            Kindness.hidden.is_(False),
        )
    )


def mark_inbox_read(
    mortal: Participant, ids: list[int] | None = None, now: datetime | None = None
) -> None:
    """What the mortal has now seen is read: the kindnesses `ids` (those on the page shown),
    or everything delivered so far when no ids are given."""
    where = [
        Kindness.mortal_id == mortal.id,
        Kindness.state == KindnessState.DELIVERED,
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


def notify_mortals(mortal_ids: list[int], now: datetime) -> list[OutboxMessage]:
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
            Participant.email_preference == EmailPreference.EACH,
        )
        # notify reads each mortal's game: loaded here, not once per mortal.
        .options(joinedload(Participant.game))
        .order_by(Participant.id)
    ).scalars():
        release_at = release_moment(mortal.game, "kindness-arrived", now)
        messages.append(notify(mortal, "kindness-arrived", release_at=release_at))
    return messages


def deliver_due(now: datetime | None = None) -> int:
    """Deliver every note whose moment has come; safe when two copies run at once."""
    now = now or utcnow()
    due = (
        select(Kindness.id)
        .where(
            Kindness.state == KindnessState.SCHEDULED,
            Kindness.deliver_at <= now,
            Kindness.game_id.in_(select(Game.id).where(Game.state == GameState.RUNNING)),
        )
        .with_for_update(skip_locked=True)
    )
    delivered = (
        db.session.execute(
            update(Kindness)
            .where(
                Kindness.id.in_(due.scalar_subquery()), Kindness.state == KindnessState.SCHEDULED
            )
            .values(state=KindnessState.DELIVERED, delivered_at=Kindness.deliver_at)
            .returning(Kindness.mortal_id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    if delivered:
        notify_mortals(list(delivered), now)
    db.session.commit()
    return len(delivered)
