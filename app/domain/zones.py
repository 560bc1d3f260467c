"""Time zones as people read them: "Paris (Europe/Paris)" in a picker, "Paris time" beside a
time, and every stored moment (naive UTC) shown in the game's own zone."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

# Zone names that say nothing of a place: shown whole, never as "… time".
_PLACELESS = ("UTC", "Etc/", "GMT", "UCT", "Universal", "Zulu", "Greenwich")


def is_utc(zone: str) -> bool:
    """True for the zones that are plain UTC (the default of a game nobody set a zone for)."""
    return zone in ("UTC", "Etc/UTC", "Etc/UCT", "UCT", "Universal", "Zulu", "Etc/Zulu", "")


def city_of(zone: str) -> str:
    """The place a zone is named after: Europe/Paris -> Paris, America/Argentina/Buenos_Aires ->
    Buenos Aires; a zone named after no place keeps its name."""
    if zone.startswith(_PLACELESS) or "/" not in zone:
        return zone
    return zone.rsplit("/", 1)[1].replace("_", " ")


def zone_label(zone: str) -> str:
    """How a zone is offered in the picker: "Paris (Europe/Paris)"."""
    city = city_of(zone)
    return zone if city == zone else f"{city} ({zone})"


@cache
def zone_choices() -> tuple[tuple[str, str], ...]:
    """Every zone the system knows, as (name, label), sorted by label so a city is found
    by its first letters."""
    names = {z for z in available_timezones() if not z.startswith(("posix/", "right/"))}
    return tuple(sorted(((z, zone_label(z)) for z in names), key=lambda c: c[1].casefold()))


def time_note(zone: str) -> str:
    """What to say beside a time of day on a participant's page: "Paris time", or nothing in a
    UTC game (the facilitator set no zone, and "UTC" means nothing to a child)."""
    return "" if is_utc(zone) else f"{city_of(zone)} time"


def local_moment(moment: datetime, zone: str) -> datetime:
    """A stored moment (naive UTC) as the wall-clock time in `zone` (UTC if the zone is unknown
    to this machine, so a page never fails on it)."""
    try:
        tz = ZoneInfo(zone or "UTC")
    except (KeyError, ValueError):
        tz = ZoneInfo("UTC")
    return moment.replace(tzinfo=UTC).astimezone(tz)
