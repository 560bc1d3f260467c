"""A game's delivery rounds, which decide the release moment of what its participants are told."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from flask import current_app

from app.domain import delivery, release
from app.models import Game, utcnow


def schedule_of(game: Game) -> delivery.Schedule:
    """The game's delivery schedule, with the timing rules from configuration."""
    config = current_app.config
    try:
        times = delivery.parse_times(game.delivery_times)
    except ValueError:
        times = delivery.DEFAULT_TIMES
    return delivery.Schedule(
        times=times,
        zone=game.timezone or "UTC",
        window=timedelta(minutes=config["DELIVERY_WINDOW_MINUTES"]),
        min_delay=timedelta(minutes=config["DELIVERY_MIN_DELAY_MINUTES"]),
        days=delivery.DeliveryDays(game.delivery_days or delivery.DeliveryDays.EVERY),
    )


def rng_or_system(rng: random.Random | None) -> random.Random:
    """The given random source, or the system's unseeded one."""
    return rng or random.SystemRandom()


def next_release(
    game: Game,
    now: datetime,
    rng: random.Random | None = None,
    on_day: date | None = None,
) -> release.Release:
    """A random moment of the game's next round (see app/domain/release.py)."""
    return release.next_release(schedule_of(game), now, rng_or_system(rng), on_day)


def release_moment(
    game: Game,
    kind: str,
    now: datetime | None = None,
    rng: random.Random | None = None,
    at_once: bool = False,
) -> datetime:
    """When an email of this kind to a participant of the game may be sent: at once for the
    kinds app/domain/release.py lets go at once (or when `at_once`), otherwise at a random
    moment of the game's next delivery round."""
    now = now or utcnow()
    if at_once or not release.waits_for_round(kind):
        return now
    return next_release(game, now, rng).at
