"""The participant's side: one blueprint, "participant", with a module per area.

`links` swaps the private link for a session; `home` is the mission, the rules, the guess and
leaving; `angel` sends kindnesses; `inbox` is being a mortal; `questions` carries questions to
"my angel" and their answers; `courier` carries kindnesses; `settings` holds hints, the wish
list and email preferences; `journal` is the private diary.
"""

from app.web.participant import (
    angel,
    courier,
    home,
    inbox,
    journal,
    links,
    questions,
    settings,
)
from app.web.participant.blueprint import bp

__all__ = ["angel", "bp", "courier", "home", "inbox", "journal", "links", "questions", "settings"]
