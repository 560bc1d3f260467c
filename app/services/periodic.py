"""The periodic tick: every piece of work that falls due with time, run in turn."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from app.mail import outbox
from app.models import utcnow
from app.services import couriers, inbox, links, nudges


@dataclass(frozen=True)
class TickReport:
    """What one run of the periodic work did."""

    delivered: int
    rerouted: int
    mail_sent: int
    reminded: int = 0
    nudged: int = 0
    digests: int = 0
    # Invitations reminded once because their page was never opened.
    invitations_reminded: int = 0
    # The sender's own report: retries, failures and what it had no time for.
    mail: outbox.SendReport = field(default_factory=outbox.SendReport)


def tick(now: datetime | None = None, rng: random.Random | None = None) -> TickReport:
    """All periodic work, idempotent: deliveries that fall due, stale courier offers, mail."""
    now = now or utcnow()
    links.answer_link_requests()
    delivered = inbox.deliver_due(now)
    rerouted = couriers.reroute_stale(now, rng)
    invitations_reminded = nudges.remind_unopened_invitations(now)
    reminded = nudges.send_reminders(now)
    nudged = nudges.send_nudges(now)
    digests = nudges.send_digests(now)
    report = outbox.send_due()
    return TickReport(
        delivered,
        rerouted,
        report.sent,
        reminded,
        nudged,
        digests,
        mail=report,
        invitations_reminded=invitations_reminded,
    )
