"""Small kindness ideas, and the one suggested to an angel each day.

The ideas come from the game's source notes: a song, a poem, a flower, a smile, a cuppa, help
with a report, listening, a cutting from a plant. Where the mortal's hints mention something an
idea is about, that idea is preferred.

Every idea must be one the product can carry: a note is text only, and an in-person kindness is
done by a courier from a written instruction. So no idea asks for a photo, a video, a call or a
file, and none has the angel hand anything over themselves (that would unmask them).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date

from .text import N_


@dataclass(frozen=True)
class Idea:
    """One idea: its key, the text shown, how it is done, and words that make it a good match."""

    key: str
    text: str
    in_person: bool
    about: tuple[str, ...] = ()


LIBRARY: tuple[Idea, ...] = (
    Idea(
        "song",
        N_("Write down the name of a song that always lifts your mood, with one line on why."),
        False,
        ("music", "song", "songs", "singing", "playlist", "band"),
    ),
    Idea(
        "poem",
        N_("Write a short poem — four lines is plenty — or copy one you love."),
        False,
        ("poem", "poems", "poetry", "books", "reading", "words"),
    ),
    Idea(
        "flower",
        N_("Leave a single flower on their desk."),
        True,
        ("flower", "flowers", "garden", "gardening", "plants"),
    ),
    Idea(
        "cuppa",
        N_("Have a cup of their favourite tea or coffee waiting for them."),
        True,
        ("tea", "coffee", "cuppa", "latte", "chai", "drink"),
    ),
    Idea(
        "treat",
        N_("Leave a small treat they like, with a note."),
        True,
        ("chocolate", "snack", "snacks", "biscuits", "cookies", "sweets", "cake", "fruit"),
    ),
    Idea(
        "report",
        N_(
            "Offer anonymous help with something they're working on: write them a checklist, "
            "a useful tip or a tidy summary."
        ),
        False,
        ("work", "report", "deadline", "busy", "project"),
    ),
    Idea(
        "listen",
        N_("Tell them what you admire in the way they listen, or help, or lead."),
        False,
        ("listening", "talking", "chat", "people"),
    ),
    Idea(
        "noticed",
        N_(
            "Describe, in a few words, something beautiful you saw today that made you "
            "think of them."
        ),
        False,
        ("photo", "photos", "photography", "nature", "sky", "walks", "walking"),
    ),
    Idea(
        "cutting",
        N_("Leave a cutting from a plant in a little pot."),
        True,
        ("plant", "plants", "garden", "gardening", "green"),
    ),
    Idea(
        "smile",
        N_("Write down a moment they made someone smile — they may not know it."),
        False,
        ("smile", "laugh", "laughing", "funny", "jokes"),
    ),
    Idea(
        "quote",
        N_("Share a quote that made you think of them."),
        False,
        ("quotes", "books", "reading", "philosophy"),
    ),
    Idea(
        "card",
        N_("Leave a handwritten card saying thank you for something specific."),
        True,
        ("cards", "writing", "thanks", "notes"),
    ),
    Idea(
        "joke",
        N_("Send them a gentle joke or a funny animal fact."),
        False,
        ("jokes", "funny", "animals", "cats", "dogs", "laugh"),
    ),
    Idea(
        "recipe",
        N_("Share a favourite easy recipe, with why you love it."),
        False,
        ("cooking", "baking", "food", "recipes", "eating"),
    ),
)

_WORD = re.compile(r"[a-zà-ÿ]+")


def words_of(text: str) -> set[str]:
    """The lower-case words in a text (for matching hints to ideas)."""
    return set(_WORD.findall(text.lower()))


def matching(ideas: tuple[Idea, ...], hints: str, avoid: str = "") -> list[Idea]:
    """Ideas whose subjects appear in the hints, best match first; all ideas if none match.

    Ideas about anything named in `avoid` (allergies, dislikes) are never offered.
    """
    unwanted = words_of(avoid)
    allowed = [idea for idea in ideas if not unwanted & set(idea.about)] or list(ideas)
    said = words_of(hints)
    scored = [(len(said & set(idea.about)), i, idea) for i, idea in enumerate(allowed)]
    good = [idea for score, _, idea in sorted(scored, key=lambda t: (-t[0], t[1])) if score > 0]
    return good or allowed


def idea_of_the_day(
    ideas: tuple[Idea, ...], hints: str, seed: str, day: date, avoid: str = ""
) -> Idea:
    """One idea for this angel today: from the best matches, the same all day, varied by day."""
    pool = matching(ideas, hints, avoid)
    digest = hashlib.sha256(f"{seed}:{day.isoformat()}".encode()).digest()
    return pool[int.from_bytes(digest[:4], "big") % len(pool)]
