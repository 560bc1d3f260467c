"""Moderation without unmasking: act on "the sender of this kindness" without showing who.

Dismiss, hide, warn and mute all keep the secret. Revealing a sender is a separate, deliberate
step with a typed reason; it is recorded in the audit list and the sender is told.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Game, Kindness, Participant, Report, utcnow
from app.services import ServiceError
from app.services.invitations import notify

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
        .order_by((Report.status == "open").desc(), Report.created_at.desc(), Report.id.desc())
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


def _report_in(game: Game, report_id: int) -> Report:
    report = db.session.execute(
        select(Report).where(Report.id == report_id, Report.game_id == game.id)
    ).scalar_one_or_none()
    if report is None:
        raise LookupError(report_id)
    return report


def act(game: Game, report_id: int, action: str, text: str = "") -> str:
    """Carry out a moderation action on a report; return a sentence for the facilitator."""
    if action not in ACTIONS:
        raise ServiceError("Unknown action.")
    report = _report_in(game, report_id)
    kindness = db.session.get(Kindness, report.kindness_id)
    sender = db.session.get(Participant, kindness.angel_id)
    text = (text or "").replace("\x00", "").strip()
    messages = []
    if action == "dismiss":
        report.status = "dismissed"
        done = "Report dismissed."
    elif action == "hide":
        kindness.hidden = True
        report.status = "acted"
        done = "The kindness is hidden from its recipient."
    elif action == "warn":
        if not text:
            raise ServiceError("Write the warning the sender will receive.")
        messages.append(
            notify(
                sender,
                "moderation-warning",
                f"A message from the organiser of {game.name}",
                warning=text,
                kindness=kindness,
            )
        )
        report.status = "acted"
        done = "The sender has been sent your warning. You have not been told who they are."
    elif action == "mute":
        sender.muted = True
        report.status = "acted"
        messages.append(
            notify(
                sender,
                "moderation-muted",
                f"You can no longer send kindnesses in {game.name}",
                reason=text,
            )
        )
        done = "The sender can no longer send kindnesses in this game."
    else:
        if len(text) < 10:
            raise ServiceError(
                "Revealing a sender is a serious step: type the reason (at least a sentence). "
                "The sender will be told that you saw their name and why."
            )
        if report.revealed_at is None:
            report.revealed_at = utcnow()
            report.status = "acted"
            messages.append(
                notify(
                    sender,
                    "moderation-revealed",
                    f"The organiser of {game.name} was shown that you sent a kindness",
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
    from sqlalchemy import func

    return db.session.execute(
        select(func.count(Report.id)).where(Report.game_id == game.id, Report.status == "open")
    ).scalar_one()
