"""Moderation without unmasking: act on "the sender of this kindness" without showing who.

Dismiss, hide, warn and mute all keep the secret. Revealing a sender is a separate, deliberate
step with a typed reason; it is recorded in the audit list and the sender is told.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.domain import roster
from app.domain.states import ReportStatus
from app.extensions import db
from app.mail.messages import notify
from app.models import AuditEntry, Game, Kindness, Participant, Report, utcnow
from app.services import ServiceError
from app.services.rounds import release_moment

ACTIONS = ("dismiss", "hide", "warn", "mute", "reveal")


@dataclass(frozen=True)
class ReportView:
    """What the facilitator sees of a report: the text, the reason, when — never the sender."""

    report: Report
    kind: str
    message: str
    instruction: str
    hidden: bool
    revealed_sender: str | None  # only after the recorded reveal step


def reports_of(game: Game) -> list[ReportView]:
    """The game's reports, open ones first, newest first (one query, plus one for reveals)."""
    rows = db.session.execute(
        select(Report, Kindness)
        .join(Kindness, Kindness.id == Report.kindness_id)
        .where(Report.game_id == game.id)
        .order_by(
            (Report.status == ReportStatus.OPEN).desc(), Report.created_at.desc(), Report.id.desc()
        )
    ).all()
    revealed_ids = {k.angel_id for r, k in rows if r.revealed_at is not None}
    names = (
        dict(
            db.session.execute(
                select(Participant.id, Participant.name).where(Participant.id.in_(revealed_ids))
            ).all()
        )
        if revealed_ids
        else {}
    )
    return [
        ReportView(
            report=r,
            kind=k.kind,
            message=k.message,
            instruction=k.instruction,
            hidden=k.hidden,
            revealed_sender=names.get(k.angel_id) if r.revealed_at else None,
        )
        for r, k in rows
    ]


def audit_of(game: Game) -> list[AuditEntry]:
    """Every recorded action of the game, newest first."""
    return list(
        db.session.execute(
            select(AuditEntry)
            .where(AuditEntry.game_id == game.id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        ).scalars()
    )


def record(game: Game, action: str, reason: str = "", report: Report | None = None) -> None:
    """Add an audit entry to the current transaction."""
    db.session.add(
        AuditEntry(
            game_id=game.id, report_id=report.id if report else None, action=action, reason=reason
        )
    )


def reported_by_facilitator(report: Report, facilitator_email: str) -> bool:
    """True when the report was made from the facilitator's own participant record (one whose
    address is her account's): she plays in her own game and reported this herself."""
    reporter = db.session.get(Participant, report.reporter_id)
    return reporter is not None and reporter.email_key == roster.email_key(facilitator_email or "")


def reveal_count(game: Game) -> int:
    """How many reports' senders the facilitator has revealed in this game, from the audit
    list (a report revealed twice counts once)."""
    return db.session.execute(
        select(func.count(func.distinct(AuditEntry.report_id))).where(
            AuditEntry.game_id == game.id, AuditEntry.action == "reveal"
        )
    ).scalar_one()


def _report_in(game: Game, report_id: int) -> Report:
    report = db.session.execute(
        select(Report).where(Report.id == report_id, Report.game_id == game.id)
    ).scalar_one_or_none()
    if report is None:
        raise LookupError(report_id)
    return report


OWN_REPORT = (
    "You made this report yourself, as a player in this game, so you cannot reveal who sent "
    "the kindness: that would unmask an angel to you. You can still dismiss it, hide the "
    "kindness, or warn or mute its sender without learning who they are."
)


def act(
    game: Game, report_id: int, action: str, text: str = "", facilitator_email: str = ""
) -> str:
    """Carry out a moderation action on a report; return a sentence for the facilitator.

    A facilitator who also plays may never reveal the sender of a report she made herself
    (as a mortal or as a courier): that would unmask her own angel, or the angel whose
    kindness she carried. The refusal depends only on who reported, which she knows anyway
    (she made the report; the queue names no reporter), never on who sent the kindness, so
    it tells her nothing about the pairing. It comes before anything else and changes nothing.
    """
    if action not in ACTIONS:
        raise ServiceError("Unknown action.")
    report = _report_in(game, report_id)
    if action == "reveal" and reported_by_facilitator(report, facilitator_email):
        raise ServiceError(OWN_REPORT)
    kindness = db.session.get(Kindness, report.kindness_id)
    sender = db.session.get(Participant, kindness.angel_id)
    text = (text or "").replace("\x00", "").strip()
    messages = []
    if action == "dismiss":
        report.status = ReportStatus.DISMISSED
        done = "Report dismissed."
    elif action == "hide":
        kindness.hidden = True
        report.status = ReportStatus.ACTED
        done = "The kindness is hidden from its recipient."
    elif action == "warn":
        if not text:
            raise ServiceError("Write the warning the sender will receive.")
        messages.append(
            notify(
                sender,
                "moderation-warning",
                f"A message from the organiser of {game.name}",
                release_at=release_moment(sender.game, "moderation-warning"),
                warning=text,
                kindness=kindness,
            )
        )
        report.status = ReportStatus.ACTED
        done = (
            "Your warning reaches the sender in the next delivery round. "
            "You have not been told who they are."
        )
    elif action == "mute":
        sender.muted = True
        report.status = ReportStatus.ACTED
        messages.append(
            notify(
                sender,
                "moderation-muted",
                f"You can no longer send kindnesses in {game.name}",
                release_at=release_moment(sender.game, "moderation-muted"),
                reason=text,
            )
        )
        done = (
            "The sender can no longer send kindnesses in this game; they are told in the "
            "next delivery round."
        )
    else:
        if len(text) < 10:
            raise ServiceError(
                "Revealing a sender is a serious step: type the reason (at least a sentence). "
                "The sender will be told that you saw their name and why."
            )
        if report.revealed_at is None:
            report.revealed_at = utcnow()
            report.status = ReportStatus.ACTED
            messages.append(
                notify(
                    sender,
                    "moderation-revealed",
                    f"The organiser of {game.name} was shown that you sent a kindness",
                    release_at=release_moment(sender.game, "moderation-revealed"),
                    reason=text,
                    kindness=kindness,
                )
            )
        done = f"The sender of this kindness is {sender.name}. They have been told, and why."
    record(game, action, text, report)
    db.session.commit()
    return done


def open_report_count(game: Game) -> int:
    """How many reports wait for the facilitator."""
    return db.session.execute(
        select(func.count(Report.id)).where(
            Report.game_id == game.id, Report.status == ReportStatus.OPEN
        )
    ).scalar_one()
