"""Drawing names for Angels & Mortals.

Everyone is the secret *angel* of exactly one *mortal*. A draw is a single
cycle through all participants (A -> B -> C -> ... -> A): nobody is their own
angel, no two people are each other's angel, and the facilitator's exclusions
(pairs ``(angel, mortal)`` that must not happen) are respected.

Pure standard library on purpose: the draw is the heart of the game and must be
testable without Flask or a database.

How a draw is made, cheapest first:

1. Rejection sampling: shuffle everybody into a random cycle and keep it if it
   uses no excluded pair. Every cycle comes from exactly ``n`` orders (its
   rotations), so an accepted cycle is exactly uniform among valid cycles.
2. Once a random cycle has failed, cheap diagnoses, linear in the input, catch
   the common ways a group gets over-constrained ("Priya is excluded from
   being the angel of everyone else").
3. Only when sampling keeps failing: deeper diagnoses (connectivity, Hall's
   condition), then an exact draw where counting is affordable. Groups of at
   most 9 are enumerated completely. Up to ``_EXACT_MAX_N`` people, the valid
   cycles are counted by dynamic programming over subsets (only the states
   reachable from person 0, within ``_EXACT_MAX_STATES``; tight groups, the
   ones that get here, have few) and one is drawn person by person with
   probability proportional to the number of ways to finish it.
4. Larger or denser groups use a local repair of a random cycle and, up to
   ``_DENSE_MAX_N`` people, a randomised backtracking search, followed by a
   random walk over valid cycles (:func:`_walk`) whose moves are proposed
   symmetrically and kept when valid, so its long-run distribution is uniform
   over the cycles it can reach.

Guarantee: a draw made by rejection sampling, enumeration or exact counting is
exactly uniform over all valid cycles; these cover every group of up to 24
people whose exclusions are tight enough to need a fallback, unless counting
would take more than ``_EXACT_MAX_STATES`` states. The random walk (larger
groups up to ``_DENSE_MAX_N``) is uniform only in the limit and only over the
cycles its moves connect: in very tight groups they may not all be connected.
Beyond ``_DENSE_MAX_N`` people, a draw that rejection sampling misses is a
uniformly random cycle with the few people the repair moved re-shuffled by a
short walk: close to uniform, not exactly.

Everything is bounded: an instance that cannot be solved is reported with
:class:`DrawImpossible`, never looped on.

The package, by concept: :mod:`.cycle` makes a draw (the order above, and the
budgets), :mod:`.sampling` the uniform draws (random orders, exact counting,
the walk), :mod:`.search` the repair and backtracking search, and
:mod:`.diagnosis` explains why a draw is impossible.
"""

from .cycle import MIN_PARTICIPANTS, SMALL_GAME, draw_cycle, is_valid_cycle, prefer_avoiding
from .diagnosis import DrawImpossible

__all__ = [
    "MIN_PARTICIPANTS",
    "SMALL_GAME",
    "DrawImpossible",
    "draw_cycle",
    "is_valid_cycle",
    "prefer_avoiding",
]
