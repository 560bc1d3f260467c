"""How people answer a kindness: a mortal's thanks, a report of a hurtful one."""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import select

from app.domain.limits import LIMITS
from app.domain.states import EmailPreference
from app.extensions import db
from app.i18n import fast_gettext as _
from app.mail.messages import notify
from app.models import Participant, Report, Thanks, utcnow
from app.services import ServiceError, clean_text
from app.services.couriers import courier_request_of
from app.services.inbox import received_by
from app.services.rounds import next_release


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
    kindness = received_by(mortal, public_id)
    if kindness.hidden:
        # The organiser took it out of the inbox after a report: there is nothing to thank for.
        raise ServiceError(_("Your organiser hid this kindness, so there is no thanks to send."))
    message = clean_text(message, "thank-you", LIMITS.thanks)
    if db.session.execute(select(Thanks.id).where(Thanks.kindness_id == kindness.id)).first():
        raise ServiceError(_("You have already thanked your angel for this one."))
    release = next_release(mortal.game, now, rng)
    db.session.add(
        Thanks(kindness_id=kindness.id, message=message, created_at=now, released_at=release.at)
    )
    angel = db.session.get(Participant, kindness.angel_id)
    if angel.email_preference == EmailPreference.EACH:
        notify(
            angel,
            "thanks",
            release_at=release.at,
            message=message,
        )
    db.session.commit()


def report(reporter: Participant, public_id: str, reason: str, as_courier: bool = False) -> None:
    """Report a kindness as hurtful: the mortal for one they received, a courier for one they
    carry. Stored for the facilitator's moderation."""
    reason = clean_text(reason, "reason", LIMITS.report_reason)
    if as_courier:
        request = courier_request_of(reporter, public_id)
        kindness = request.kindness
    else:
        kindness = received_by(reporter, public_id)
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
