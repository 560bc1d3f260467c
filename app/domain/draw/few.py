"""The draw's refusals for groups too small to draw, as translatable sentences."""

from __future__ import annotations

from .diagnosis import DrawImpossible, _impossible
from .text import N_


def _too_few(n: int, minimum: int) -> DrawImpossible:
    """Fewer than `minimum` people can't draw names (a whole sentence per case, as word order
    differs between languages)."""
    if n == 0:
        return _impossible(
            N_("At least %(min)d participants are needed to draw names; there are none."),
            min=minimum,
        )
    if n == 1:
        return _impossible(
            N_("At least %(min)d participants are needed to draw names; there is %(n)d."),
            min=minimum,
            n=n,
        )
    return _impossible(
        N_("At least %(min)d participants are needed to draw names; there are %(n)d."),
        min=minimum,
        n=n,
    )


def _only_three(exc: DrawImpossible) -> DrawImpossible:
    """An impossible 3-person draw: its cause, and why so few people leave so little room."""
    return _impossible(
        N_("%(reason)s With only 3 participants there are just two possible arrangements."),
        reason=exc.message,
    )
