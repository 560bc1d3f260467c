"""The facilitator's participation dashboard: aggregate figures for one game.

Everything comes from two aggregate queries, whatever the size of the game: one row of
counts, and kindnesses per 15-minute UTC bucket and kind, which the domain folds into whole
local days. Both read mostly from tallies the database keeps exact (app/tally.py). No query
here returns a participant, and nothing is grouped by a person.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, func, select, true

from app.domain import aggregates
from app.domain.aggregates import Chart, DayCount, Figure
from app.extensions import db
from app.models import (
    Game,
    GameTally,
    Kindness,
    KindnessTally,
    OutboxMessage,
    Participant,
    utcnow,
)

ACTIVE_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Dashboard:
    """What the facilitator may see about a drawn game: aggregates only."""

    min_count: int
    participants: Figure
    invitations_sent: Figure
    invitations_failed: Figure
    opened: Figure
    active_angels: Figure
    active_share: Figure
    notes: int
    in_person: int
    courier_done: int
    courier_declined: int
    courier_rerouted: int
    thanks: int
    days: tuple[DayCount, ...]
    chart: Chart
    chart_label: str

    @property
    def kindnesses(self) -> int:
        """Notes and in-person kindnesses together (cancelled ones are not counted)."""
        return self.notes + self.in_person


def min_count() -> int:
    """The smallest count of people the dashboard shows (config DASHBOARD_MIN_COUNT)."""
    return int(current_app.config.get("DASHBOARD_MIN_COUNT", 3))


def _tally(condition, value=1):
    """SQL that adds up `value` over the rows of an aggregate where `condition` holds (0 when
    none): by default, counts those rows."""
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def _counter(*names: str):
    """SQL that adds up the game's counters of these names (see app/tally.py)."""
    return _tally(GameTally.name.in_(names), GameTally.n)


def _counts(game: Game, since: datetime) -> dict[str, int]:
    """Every single-number figure of the game, in one query of one-row aggregates.

    Each part reads one game's rows through the game's indexes, never row by row from
    Python: invitations through each participant's latest one, active angels as the active
    participants among the senders of recent kindnesses (through a covering index), courier
    outcomes and thank-yous from the game's counters, which triggers keep exact.
    """
    active = and_(Participant.game_id == game.id, Participant.active.is_(True))
    people = select(
        func.count().label("participants"),
        func.count(Participant.first_opened_at).label("opened"),
    ).where(active)
    latest = (
        select(
            OutboxMessage.participant_id.label("participant_id"),
            func.max(OutboxMessage.id).label("message_id"),
        )
        .where(OutboxMessage.game_id == game.id, OutboxMessage.kind == "invitation")
        .group_by(OutboxMessage.participant_id)
        .subquery()
    )
    invitations = (
        select(
            _tally(OutboxMessage.status == "sent").label("sent"),
            _tally(OutboxMessage.status == "failed").label("failed"),
        )
        .select_from(latest)
        .join(OutboxMessage, OutboxMessage.id == latest.c.message_id)
        .join(Participant, Participant.id == latest.c.participant_id)
        .where(Participant.active.is_(True))
    )
    counters = select(
        _counter("courier_done").label("courier_done"),
        _counter("courier_declined").label("courier_declined"),
        # A declined or unanswered request moved the kindness on to the next courier.
        _counter("courier_declined", "courier_expired").label("courier_rerouted"),
        _counter("thanks").label("thanks"),
    ).where(GameTally.game_id == game.id)
    recent_angels = select(Kindness.angel_id).where(
        Kindness.game_id == game.id,
        Kindness.created_at >= since,
        Kindness.state != "cancelled",
    )
    active_angels = select(func.count().label("active_angels")).where(
        active, Participant.id.in_(recent_angels)
    )
    parts = [q.subquery() for q in (people, invitations, active_angels, counters)]
    query = select(*(c for part in parts for c in part.c)).select_from(parts[0])
    for part in parts[1:]:
        query = query.join(part, true())
    row = db.session.execute(query).one()
    return {name: int(value or 0) for name, value in row._mapping.items()}


def _buckets(game: Game) -> Iterator[tuple[int, str, int]]:
    """Kindnesses (not cancelled) per 15-minute UTC bucket and kind, in one query.

    Read from the kindness tally, which triggers keep equal to counting the game's kindness
    rows by bucket (app/tally.py) and kind: a few thousand rows at most, in bucket order.
    The rows stream from the cursor to whoever folds them, so they never pile up in memory.
    """
    yield from db.session.connection().execute(
        select(KindnessTally.bucket, KindnessTally.kind, KindnessTally.n)
        .where(KindnessTally.game_id == game.id, KindnessTally.n > 0)
        .order_by(KindnessTally.bucket, KindnessTally.kind)
    )


def _reference_time(game: Game, now: datetime) -> datetime:
    """The moment figures are taken at: now, or the end of an ended game."""
    if game.state == "ended" and game.ended_at is not None:
        return min(now, game.ended_at)
    return now


def daily_counts(game: Game, now: datetime | None = None) -> list[DayCount]:
    """Kindnesses per whole local day of the game, every day so far (quiet days too)."""
    zone = aggregates.zone_of(game.timezone)
    today = aggregates.local_date(_reference_time(game, now or utcnow()), zone)
    first, last = aggregates.day_span(game.starts_on, game.ends_on, today)
    return aggregates.fold_days(_buckets(game), zone, first, last)


def dashboard_of(game: Game, now: datetime | None = None) -> Dashboard:
    """The dashboard of a drawn game: two queries, people-counting figures suppressed."""
    k = min_count()
    since = _reference_time(game, now or utcnow()) - ACTIVE_WINDOW
    counts = _counts(game, since)
    days = daily_counts(game, now)
    return Dashboard(
        min_count=k,
        participants=aggregates.suppress(counts["participants"], k),
        invitations_sent=aggregates.suppress(counts["sent"], k),
        invitations_failed=aggregates.suppress(counts["failed"], k),
        opened=aggregates.suppress(counts["opened"], k),
        active_angels=aggregates.suppress(counts["active_angels"], k),
        active_share=aggregates.share(counts["active_angels"], counts["participants"], k),
        notes=sum(d.notes for d in days),
        in_person=sum(d.in_person for d in days),
        courier_done=counts["courier_done"],
        courier_declined=counts["courier_declined"],
        courier_rerouted=counts["courier_rerouted"],
        thanks=counts["thanks"],
        days=tuple(days),
        chart=aggregates.chart(days),
        chart_label=aggregates.chart_summary(days),
    )


def daily_csv(game: Game, now: datetime | None = None) -> str:
    """The daily figures as CSV text (date, notes, in_person, total)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(aggregates.csv_rows(daily_counts(game, now)))
    return out.getvalue()
