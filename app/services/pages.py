"""What a participant's lists show on one page: the inbox (marked read once shown) and a
courier's deliveries, each able to say whether a refused form still has its box there."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.models import CourierState, Participant
from app.services import couriers, paging, responses, setup
from app.services import inbox as inbox_service


@dataclass(frozen=True)
class InboxPage:
    """One page of the inbox as the mortal saw it: `unread` is what was new before this look."""

    paged: paging.Page
    items: list[tuple[Any, str | None]]
    unread: set[int]
    reported: set[int]

    def has_box(self, public_id: str, step: str) -> bool:
        """Whether the page still offers the `step` ("thanks" or "report") form for a kindness:
        a refused one is shown there again, else its message is shown at the top."""
        for item, thanks in self.items:
            if item.public_id == public_id:
                return thanks is None if step == "thanks" else item.id not in self.reported
        return False


def inbox_of(mortal: Participant, before: str | None = None, after: str | None = None) -> InboxPage:
    """One page of the inbox, newest first; `unread` is what is new to the mortal. Reading
    nothing: the page is marked read by `mark_seen` once it has been shown."""
    page = inbox_service.inbox_of(mortal, before, after)
    items = [(k, thanks) for k, thanks, _ in page.items]
    unread = {k.id for k, _ in items if k.read_at is None}
    reported = {k.id for k, _, was_reported in page.items if was_reported}
    return InboxPage(page, items, unread, reported)


def mark_seen(mortal: Participant, shown: InboxPage, now: datetime | None = None) -> None:
    """The mortal has now seen this page of their inbox: what it showed is read, nothing else.

    Safe on GET: it only ever sets `read_at` on kindnesses delivered to this mortal and shown
    on this page, and a second look changes nothing. Call it after the page is rendered: the
    commit expires the rows the page displays.
    """
    if shown.unread:
        inbox_service.mark_inbox_read(mortal, sorted(shown.unread), now=now)


@dataclass(frozen=True)
class DeliveriesPage:
    """One page of a courier's deliveries, with the kindnesses they have already reported."""

    paged: paging.Page
    reported: set[int]

    @property
    def requests(self) -> list:
        """(request, kindness, recipient name) rows, newest offer first — never the sender."""
        return self.paged.items

    def has_box(self, public_id: str) -> bool:
        """Whether the page still offers the report form for a request (open, not reported)."""
        return any(
            r.public_id == public_id and r.state != CourierState.DONE and k.id not in self.reported
            for r, k, _ in self.requests
        )


def deliveries_of(
    courier: Participant, before: str | None = None, after: str | None = None
) -> DeliveriesPage:
    """One page of the courier's deliveries and which of them they reported (two queries)."""
    page = couriers.deliveries_page(courier, before, after)
    return DeliveriesPage(page, responses.reported_by(courier, [k.id for _, k, _ in page.items]))


def plays_in(roster: list[setup.RosterRow], email: str) -> bool:
    """Whether someone with this email is on a roster from `setup.roster_of` (the facilitator
    may play in her own game)."""
    return email.lower() in {row.participant.email_key for row in roster}
