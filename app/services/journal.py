"""A participant's private journal: the value they chose, their entries, its download."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import and_, bindparam, select

from app.domain.limits import LIMITS
from app.extensions import db
from app.i18n import fast_gettext as _
from app.i18n import format_moment
from app.i18n import lazy_gettext as _l
from app.models import JournalEntry, Participant
from app.services import ServiceError, paging

VALUES = (
    _l("Kindness"),
    _l("Patience"),
    _l("Gratitude"),
    _l("Courage"),
    _l("Curiosity"),
    _l("Generosity"),
    _l("Honesty"),
    _l("Presence"),
    _l("Playfulness"),
    _l("Compassion for myself"),
)


def set_journal_value(participant: Participant, value: str) -> None:
    """The value the participant wants to live by during the game."""
    value = " ".join((value or "").split())
    if len(value) > LIMITS.journal_value:
        raise ServiceError(_("Keep the value short — a word or a few."))
    participant.journal_value = value
    db.session.commit()


def add_journal_entry(participant: Participant, day: date, did: str, felt: str) -> None:
    """A dated entry: what they did and how it felt. Only they can ever read it."""
    did, felt = (did or "").replace("\x00", "").strip(), (felt or "").replace("\x00", "").strip()
    if not did and not felt:
        raise ServiceError(_("Write something first — even a line is enough."))
    if len(did) > LIMITS.journal_entry or len(felt) > LIMITS.journal_entry:
        raise ServiceError(
            _("Each part of an entry can be up to %(max)d characters.", max=LIMITS.journal_entry)
        )
    db.session.add(JournalEntry(participant_id=participant.id, day=day, did=did, felt=felt))
    db.session.commit()


def journal_of(participant: Participant) -> list[JournalEntry]:
    """The participant's own entries, newest day first."""
    return list(
        db.session.execute(
            select(JournalEntry)
            .where(JournalEntry.participant_id == participant.id)
            .order_by(JournalEntry.day.desc(), JournalEntry.id.desc())
        ).scalars()
    )


def journal_page(
    participant: Participant, before: str | None = None, after: str | None = None
) -> paging.Page:
    """One page of the participant's own entries, newest day first (one query)."""
    page = paging.keyset(
        _journal_statement(),
        JournalEntry.day,
        JournalEntry.id,
        lambda row: (row[0].day, row[0].id),
        before,
        after,
        kind=date,
        params={"participant_id": participant.id},
    )
    return paging.Page([entry for (entry,) in page.items], page.older, page.newer)


@cache
def _journal_statement():
    """`journal_page`'s statement for `:participant_id`, built once per process."""
    return select(JournalEntry).where(JournalEntry.participant_id == bindparam("participant_id"))


def delete_journal_entry(participant: Participant, entry_id: int) -> bool:
    """Delete one of the participant's own entries."""
    entry = db.session.execute(
        select(JournalEntry).where(
            and_(JournalEntry.id == entry_id, JournalEntry.participant_id == participant.id)
        )
    ).scalar_one_or_none()
    if entry is None:
        return False
    db.session.delete(entry)
    db.session.commit()
    return True


@dataclass(frozen=True)
class JournalExport:
    """A download of the journal."""

    filename: str
    mimetype: str
    body: str


def export_journal(participant: Participant, markdown: bool) -> JournalExport:
    """The journal as Markdown or plain text, oldest entry first."""
    entries = list(reversed(journal_of(participant)))
    title = _("My journal — %(game)s", game=participant.game.name)
    lines = [f"# {title}" if markdown else title, ""]
    if participant.journal_value:
        lines += [_("Value I chose: %(value)s", value=participant.journal_value), ""]
    did, felt = _("What I did:"), _("How it felt:")
    for entry in entries:
        heading = format_moment(entry.day, "%A %-d %B %Y")  # in the current language
        lines.append(f"## {heading}" if markdown else heading)
        if entry.did:
            lines += ["", (f"**{did}** " if markdown else f"{did} ") + entry.did]
        if entry.felt:
            lines += ["", (f"**{felt}** " if markdown else f"{felt} ") + entry.felt]
        lines.append("")
    ext = "md" if markdown else "txt"
    return JournalExport(
        f"journal.{ext}", "text/markdown" if markdown else "text/plain", "\n".join(lines)
    )
