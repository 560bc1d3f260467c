"""A representative context for every email template, so each can be rendered on its own (in
any language) without building the game that would send it."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

GAME_NAME = "Zanzibar Quokka Club"
GROUP_NAME = "Quokka Crew"
NAMES = ("Aurora Finch", "Bartholomew Quill", "Fran Facilitator")
LINK = "http://angels.test/p/abc123"
PREFERENCES = "http://angels.test/preferences/xyz789"
NEW_EMAIL = "new.address@example.org"

# Texts people wrote themselves: never translated, so left out when looking for English.
PEOPLE_TEXTS = (
    "Zorblax wibble frobnicate.",
    "Grumbleflux quiznak.",
    "Snorkelwhip blorptastic.",
    "Flibbertigibbet zoom.",
    "Wuggle the wuggle.",
)


def _game():
    """A game with every optional detail filled in."""
    return SimpleNamespace(
        name=GAME_NAME,
        group_name=GROUP_NAME,
        budget="10 €",
        exchange_on=date(2026, 12, 18),
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 29),
        welcome=PEOPLE_TEXTS[4],
    )


def _participant(stay_secret: bool = False):
    """The recipient."""
    return SimpleNamespace(name=NAMES[0], stay_secret=stay_secret, journal_value="7")


def contexts() -> dict[str, list[dict]]:
    """template name -> contexts that together show every sentence of it."""
    base = {
        "game": _game(),
        "participant": _participant(),
        "link": LINK,
        "preferences_link": PREFERENCES,
        "subject": "Angels & Mortals",
    }
    kindness = SimpleNamespace(message=PEOPLE_TEXTS[0], instruction=PEOPLE_TEXTS[1])
    reveal = SimpleNamespace(
        revealed=True, angel_name=NAMES[1], guessed=True, guess_right=True, kept_secret=True
    )
    hidden = SimpleNamespace(
        revealed=True, angel_name=None, guessed=False, guess_right=False, kept_secret=True
    )
    wrong = SimpleNamespace(
        revealed=True, angel_name=NAMES[1], guessed=True, guess_right=False, kept_secret=False
    )
    one = {
        "address_changed": [{"new_email": NEW_EMAIL}],
        "courier_request": [{"hours": 24.0}, {"hours": 1}],
        "digest": [{"arrived": 3, "thanked": 2}, {"arrived": 1, "thanked": 1}],
        "fresh_link": [{}],
        "game_ended": [
            {"unfinished": True, "reveal": reveal},
            {"unfinished": False, "reveal": hidden, "participant": _participant(True)},
            {"unfinished": False, "reveal": wrong},
        ],
        "invitation": [{}],
        "invitation_reminder": [{}],
        "journal_before_deletion": [{}],
        "kindness_arrived": [{}],
        "kindness_cancelled": [{}],
        "moderation_muted": [{"reason": PEOPLE_TEXTS[2]}],
        "moderation_revealed": [{"reason": PEOPLE_TEXTS[2], "kindness": kindness}],
        "moderation_warning": [{"warning": PEOPLE_TEXTS[3], "kindness": kindness}],
        "mortal_changed": [{}],
        "nudge": [{}],
        "password_reset": [
            {"facilitator": SimpleNamespace(name=NAMES[2]), "minutes": 60, "participant": None}
        ],
        "question_answered": [{}],
        "question_asked": [{}],
        "reminder": [{"idea": SimpleNamespace(text=PEOPLE_TEXTS[4])}],
        "thanks": [{"message": PEOPLE_TEXTS[3]}],
        "undeliverable": [{}],
    }
    return {name: [base | extra for extra in extras] for name, extras in one.items()}
