"""What a participant tells the game about themselves: email wishes, courier duty, hints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.domain.limits import LIMITS
from app.domain.states import EmailPreference
from app.extensions import db
from app.i18n import fast_gettext as _
from app.i18n import known_language
from app.models import Hint, Pairing, Participant, utcnow
from app.services import ServiceError, clean_text

EMAIL_PREFERENCES = (EmailPreference.EACH, EmailPreference.DIGEST, EmailPreference.NONE)


def set_preferences(participant: Participant, email_preference: str, reminders: bool) -> None:
    """Store how a participant wants to hear from the game."""
    if email_preference not in EMAIL_PREFERENCES:
        raise ServiceError(_("Choose one of the email options."))
    participant.email_preference = email_preference
    participant.reminders = reminders
    db.session.commit()


def set_language(participant: Participant, language: str) -> None:
    """Store the language of a participant's pages and of every email written to them from
    now on (mail already queued keeps the language it was written in)."""
    if known_language(language) is None:
        raise ServiceError(_("Choose one of the languages offered."))
    participant.language = language
    db.session.commit()


def set_courier_opt_out(participant: Participant, opt_out: bool) -> None:
    """Opt in or out of courier duty (open requests stay with the courier)."""
    participant.courier_opt_out = opt_out
    db.session.commit()


def hints_of(participant: Participant) -> Hint:
    """The participant's hints (blank ones if never filled in)."""
    return db.session.get(Hint, participant.id) or Hint(participant_id=participant.id)


def mortal_hints(angel: Participant, now: datetime | None = None) -> Hint | None:
    """The hints of the angel's current mortal (blank ones if never filled in), or None while
    the angel has no mortal they have been told of — as `hints_of(mortal_of(angel))`, in one
    query."""
    row = db.session.execute(
        select(Pairing.mortal_id, Hint)
        .outerjoin(Hint, Hint.participant_id == Pairing.mortal_id)
        .where(
            Pairing.angel_id == angel.id,
            Pairing.released_at.is_(None) | (Pairing.released_at <= (now or utcnow())),
        )
    ).one_or_none()
    if row is None:
        return None
    mortal_id, hint = row
    return hint or Hint(participant_id=mortal_id)


# Each hint with its limit, in the order the form shows them.
HINT_LIMITS = {
    "brightens": LIMITS.hint_brightens,
    "favourite_treat": LIMITS.hint_favourite_treat,
    "avoid": LIMITS.hint_avoid,
    "appreciated_by": LIMITS.hint_appreciated_by,
    "sizes": LIMITS.hint_sizes,
    "wishes": LIMITS.hint_wishes,
}


def clean_wishes(text: str) -> str:
    """A wish list as stored: one wish a line, blank lines dropped; refused (ServiceError) past
    LIMITS.wishes_lines wishes or LIMITS.wish characters for one of them."""
    wishes = [
        line.strip()
        for line in clean_text(text, "wish list", LIMITS.hint_wishes, False).split("\n")
    ]
    wishes = [wish for wish in wishes if wish]
    if len(wishes) > LIMITS.wishes_lines:
        raise ServiceError(
            _(
                "A wish list has up to %(max)d wishes; yours has %(count)d.",
                max=LIMITS.wishes_lines,
                count=len(wishes),
            )
        )
    for wish in wishes:
        if len(wish) > LIMITS.wish:
            raise ServiceError(
                _(
                    "A wish can be up to %(max)d characters; “%(wish)s…” has %(length)d.",
                    max=LIMITS.wish,
                    wish=wish[:30],
                    length=len(wish),
                )
            )
    return "\n".join(wishes)


def wish_list(hint: Hint | None) -> list[str]:
    """The wishes of a hint, one per line as stored."""
    return [line for line in (hint.wishes or "").split("\n") if line] if hint else []


def save_hints(participant: Participant, **fields: str) -> None:
    """Store the participant's hints and wish list (each within its limit in LIMITS)."""
    hint = db.session.get(Hint, participant.id) or Hint(participant_id=participant.id)
    for key, limit in HINT_LIMITS.items():
        setattr(hint, key, clean_text(fields.get(key, ""), "hint", limit, required=False))
    hint.wishes = clean_wishes(fields.get("wishes", ""))
    db.session.add(hint)
    db.session.commit()
