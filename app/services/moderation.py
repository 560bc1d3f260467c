"""Moderation without unmasking: act on "the sender of this kindness" without showing who.

Dismiss, hide, warn and mute all keep the secret. Revealing a sender is a separate, deliberate
step with a typed reason; it is recorded in the audit list and the sender is told.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import ngettext
from sqlalchemy import func, or_, select

from app.domain import release, roster
from app.domain.states import GameState, ReportStatus
from app.extensions import db
from app.i18n import fast_gettext as _
from app.i18n import lazy_gettext as _l
from app.mail.messages import notify
from app.models import (
    AuditEntry,
    Game,
    Kindness,
    ModerationAction,
    Pairing,
    Participant,
    Report,
    utcnow,
)
from app.services import ServiceError, circle
from app.services.rounds import release_moment

ACTIONS = tuple(ModerationAction)
# How many of their reports' outcomes a reporter's Home shows, newest first.
OUTCOMES_SHOWN = 10

# What the reporter reads once the organiser acted, by action: never who sent the kindness.
OUTCOME_WORDS = {
    ModerationAction.DISMISS: "they took no action",
    ModerationAction.HIDE: "the kindness is hidden",
    ModerationAction.WARN: "its sender was warned",
    ModerationAction.MUTE: "its sender can no longer send kindnesses",
    ModerationAction.REVEAL: "they took it further",
}


@dataclass(frozen=True)
class ReportView:
    """What the facilitator sees of a report: the text, the reason, when — never the sender."""

    report: Report
    kind: str
    message: str
    instruction: str
    hidden: bool
    # Who reported (the one who may be hurt, so the organiser can check on them): the mortal
    # or a courier, whom the organiser may see; never the sender.
    reporter: str
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
    wanted = {k.angel_id for r, k in rows if r.revealed_at is not None}
    wanted |= {r.reporter_id for r, _ in rows}
    names = (
        dict(
            db.session.execute(
                select(Participant.id, Participant.name).where(Participant.id.in_(wanted))
            ).all()
        )
        if wanted
        else {}
    )
    return [
        ReportView(
            report=r,
            kind=k.kind,
            message=k.message,
            instruction=k.instruction,
            hidden=k.hidden,
            reporter=names.get(r.reporter_id, ""),
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


# The reasons the service writes itself (the organiser types the others), by action. They are
# stored in English, as they always were, and written out in the reader's language when the
# audit list is shown, so entries recorded before read in the reader's language too.
_WRITTEN_REASONS = {
    "end": (re.compile(r"The game was ended\."), lambda found: _("The game was ended.")),
    "new angels": (
        re.compile(r"(\d+) given a new angel"),
        lambda found: ngettext(
            "%(num)d given a new angel", "%(num)d given a new angel", int(found[1])
        ),
    ),
    # slips.AUDIT_ACTION (slips records through this module, so it can't be imported here).
    "printed link slips": (
        re.compile(r"(\d+) slips?"),
        lambda found: ngettext("%(num)d slip", "%(num)d slips", int(found[1])),
    ),
}


def audit_reason(entry: AuditEntry) -> str:
    """The "reason or message" of an audit entry in the reader's language: a reason the service
    wrote ("The game was ended.", "3 given a new angel", "12 slips") is translated; what the
    organiser typed is shown as typed."""
    pattern, words = _WRITTEN_REASONS.get(entry.action, (None, None))
    found = pattern.fullmatch(entry.reason or "") if pattern is not None else None
    return words(found) if found is not None else entry.reason


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


OWN_REPORT = _l(
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
        raise ServiceError(_("Unknown action."))
    report = _report_in(game, report_id)
    if action == "reveal" and reported_by_facilitator(report, facilitator_email):
        raise ServiceError(str(OWN_REPORT))
    kindness = db.session.get(Kindness, report.kindness_id)
    sender = db.session.get(Participant, kindness.angel_id)
    text = (text or "").replace("\x00", "").strip()
    messages = []
    if action == "dismiss":
        report.status = ReportStatus.DISMISSED
        done = _("Report dismissed.")
    elif action == "hide":
        kindness.hidden = True
        report.status = ReportStatus.ACTED
        done = _("The kindness is hidden from its recipient.")
    elif action == "warn":
        if not text:
            raise ServiceError(_("Write the warning the sender will receive."))
        moment = release_moment(sender.game, "moderation-warning")
        messages.append(
            notify(
                sender,
                "moderation-warning",
                release_at=moment,
                warning=text,
                kindness=kindness,
            )
        )
        report.status = ReportStatus.ACTED
        sender.warned_at = sender.warned_at or moment
        done = _(
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
                release_at=release_moment(sender.game, "moderation-muted"),
                reason=text,
            )
        )
        done = _(
            "The sender can no longer send kindnesses in this game; they are told in the "
            "next delivery round."
        )
    else:
        if len(text) < 10:
            raise ServiceError(
                _(
                    "Revealing a sender is a serious step: type the reason (at least a sentence). "
                    "The sender will be told that you saw their name and why."
                )
            )
        if report.revealed_at is None:
            report.revealed_at = utcnow()
            report.status = ReportStatus.ACTED
            messages.append(
                notify(
                    sender,
                    "moderation-revealed",
                    release_at=release_moment(sender.game, "moderation-revealed"),
                    reason=text,
                    kindness=kindness,
                )
            )
        done = _(
            "The sender of this kindness is %(name)s. They have been told, and why.",
            name=sender.name,
        )
    # The reporter hears the outcome in a later round, like any news, never at the click.
    report.outcome = action
    report.outcome_at = release_moment(game, "report-outcome")
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


@dataclass(frozen=True)
class Outcome:
    """What a reporter is told about one report: when they reported, and what was done."""

    reported_at: datetime
    kind: str
    words: str


def outcomes_for(reporter: Participant, now: datetime | None = None) -> list[Outcome]:
    """The outcomes of this person's reports that have reached them (released), newest first:
    the newest OUTCOMES_SHOWN, so Home costs the same however many they made.

    Told in words that never name the sender, from a random moment of a round after the
    organiser acted, so the moment the news shows says nothing about who was acted on."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Report, Kindness.kind)
        .join(Kindness, Kindness.id == Report.kindness_id)
        .where(
            Report.reporter_id == reporter.id,
            Report.outcome != "",
            or_(Report.outcome_at.is_(None), Report.outcome_at <= now),  # release.is_released
        )
        .order_by(Report.created_at.desc(), Report.id.desc())
        .limit(OUTCOMES_SHOWN)
    ).all()
    return [
        Outcome(r.created_at, kind, OUTCOME_WORDS[ModerationAction(r.outcome)]) for r, kind in rows
    ]


def outcome_count_query(reporter: Participant, now: datetime):
    """How many outcomes of this person's reports have reached them (for one combined query)."""
    return select(func.count(Report.id)).where(
        Report.reporter_id == reporter.id, Report.outcome != "", Report.outcome_at <= now
    )


def standing_of(angel: Participant, now: datetime | None = None) -> str | None:
    """ "muted", "warned" or None: what the angel's own pages tell them. A mute shows at once,
    since sending is refused from that moment; a warning from its email's release moment."""
    if angel.muted:
        return ModerationAction.MUTE
    if angel.warned_at is not None and release.is_released(angel.warned_at, now or utcnow()):
        return ModerationAction.WARN
    return None


def warnings_for(angel: Participant, now: datetime | None = None) -> list[str]:
    """The warnings the organiser wrote to this angel, oldest first, shown on their pages once
    the first one's email is released (a child without email reads them there)."""
    if standing_of(angel, now) != ModerationAction.WARN:
        return []
    return list(
        db.session.execute(
            select(AuditEntry.reason)
            .join(Report, Report.id == AuditEntry.report_id)
            .join(Kindness, Kindness.id == Report.kindness_id)
            .where(Kindness.angel_id == angel.id, AuditEntry.action == ModerationAction.WARN)
            .order_by(AuditEntry.created_at, AuditEntry.id)
        ).scalars()
    )


def _muted_in_circle(game: Game):
    return (
        select(Participant)
        .join(Pairing, Pairing.angel_id == Participant.id)
        .where(
            Participant.game_id == game.id,
            Participant.muted.is_(True),
            Participant.active.is_(True),
        )
        .order_by(Participant.id)
    )


def without_kindnesses(game: Game) -> int:
    """How many people get no kindnesses because their angel is muted: a count the organiser
    may see (she muted as many senders), never who they are."""
    if game.state != GameState.RUNNING:
        return 0
    return db.session.execute(
        select(func.count()).select_from(_muted_in_circle(game).subquery())
    ).scalar_one()


def give_new_angels(game: Game, rng: random.Random | None = None) -> int:
    """Give everyone whose angel is muted a new angel, by taking each muted angel out of the
    circle; return how many.

    The answer and the pages after it are the same whoever was muted: the organiser learns
    the count she was shown, nothing more; the angels whose mortal changed are told in a
    later round, as for any change of the circle, so nobody learns it from the timing.
    """
    muted = list(db.session.execute(_muted_in_circle(game)).scalars())
    if not muted:
        raise ServiceError(_("Everyone has an angel who can send kindnesses: nothing to do."))
    try:
        for angel in muted:
            circle.take_out_of_circle(game, angel, rng)
    except ServiceError:
        db.session.rollback()
        raise
    record(game, "new angels", f"{len(muted)} given a new angel")
    db.session.commit()
    return len(muted)
