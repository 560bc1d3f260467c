"""Every text limit, in one table: forms, templates and services read it from here.

A limit is the most characters a piece of text may have once its surrounding blanks are
trimmed. Forms declare it (and so render `maxlength`), templates that write a field by hand
read `limits.<name>`, and services check it again for callers that are not forms (the CLI,
the JSON of a future API). Where a column is a String(n), its limit is n.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextLimits:
    """The longest text each field takes, in characters."""

    # People
    person_name: int = 120
    email: int = 320
    # A participant's team or class ("Sales", "5B"): nobody draws a teammate when the game asks.
    team: int = 60
    # A game
    game_name: int = 120
    group_name: int = 120
    welcome: int = 4000
    delivery_times: int = 60
    timezone: int = 60
    # An optional budget for in-person kindnesses, in the organiser's words ("about £5").
    budget: int = 60
    drop_off_name: int = 120
    idea: int = 300
    # A pasted roster or late joiners (a few thousand lines).
    roster_paste: int = 500_000
    # A search of the facilitator's roster: a name or an email, or part of one.
    roster_search: int = 320
    # Kindnesses. The note's limit is the default of the NOTE_MAX_LENGTH setting, which an
    # operator may change; the courier's instruction is its own limit of the same size.
    note: int = 1000
    courier_instruction: int = 1000
    thanks: int = 500
    report_reason: int = 1000
    moderation_text: int = 2000
    # A participant's hints for their angel.
    hint_brightens: int = 2000
    hint_favourite_treat: int = 200
    hint_avoid: int = 200
    hint_appreciated_by: int = 200
    hint_sizes: int = 200
    # A wish list: at most `wishes_lines` wishes, one a line, of `wish` characters each.
    hint_wishes: int = 1000
    wish: int = 120
    wishes_lines: int = 10
    # A mortal's question to their angel, and the answer.
    question: int = 500
    answer: int = 1000
    # A participant's private journal.
    journal_value: int = 120
    journal_entry: int = 4000


LIMITS = TextLimits()


@dataclass(frozen=True)
class CountLimits:
    """The most of each list an organiser makes for a game. Every Give page offers them all,
    so a game's page stays the same size however many are added."""

    # Active pick-up spots (retired ones don't count).
    drop_offs: int = 50
    # The organiser's own ideas for kindnesses.
    ideas: int = 100


COUNTS = CountLimits()
