"""The kind of device a page was first opened on, and how the participant is told.

Only the rough kind is kept ("a phone", "a tablet", "a computer"), never the User-Agent itself:
enough for a participant to notice that someone else opened their page first, too little to
identify anyone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

PHONE, TABLET, COMPUTER = "phone", "tablet", "computer"
DEVICE_KINDS = (PHONE, TABLET, COMPUTER)

# Markers are checked in this order; the first that matches decides.
_TABLET_MARKERS = ("ipad", "tablet", "kindle", "silk/", "playbook")
_PHONE_MARKERS = ("iphone", "ipod", "windows phone", "blackberry", "opera mini", "mobi")


def device_kind(user_agent: str | None) -> str:
    """ "phone", "tablet" or "computer" for a User-Agent header (anything unknown: "computer").

    Android phones say "Mobile" and Android tablets do not, which is the whole trick. An iPad
    in desktop mode says "Macintosh" and is taken for a computer: that is what it asked for.
    """
    agent = (user_agent or "").lower()
    if any(marker in agent for marker in _TABLET_MARKERS):
        return TABLET
    if any(marker in agent for marker in _PHONE_MARKERS):
        return PHONE
    if "android" in agent:
        return TABLET
    return COMPUTER


def first_opened_line(opened_at: datetime, zone: str, kind: str | None) -> str:
    """ "Your page was first opened Tuesday 3 March 14:05, on a phone" — in the game's zone.

    `opened_at` is naive UTC, as every stored time.
    """
    local = opened_at.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
    when = f"{local.strftime('%A')} {local.day} {local.strftime('%B %H:%M')}"
    device = f", on a {kind}" if kind in DEVICE_KINDS else ""
    return f"Your page was first opened {when}{device}"
