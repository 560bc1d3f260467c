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
   being the angel of everyone else"). They look at each person's number of
   exclusions: counted pair by pair while there are few per person, else
   probed against the same few others for everyone (:class:`.tally._Probes`),
   which still finds everyone with at most one option; every pair is then
   counted only if the large-group repair below fails.
3. Only when sampling keeps failing: deeper diagnoses (connectivity, Hall's
   condition), then an exact draw where counting is affordable. Groups of at
   most 9 are enumerated completely. Up to ``_EXACT_MAX_N`` people, the valid
   cycles are counted by dynamic programming over subsets (only the states
   reachable from person 0, within ``_EXACT_MAX_STATES``; tight groups, the
   ones that get here, have few) and one is drawn person by person with
   probability proportional to the number of ways to finish it.
4. Larger or denser groups use a local repair of a random cycle and, up to
   ``_DENSE_MAX_N`` people, a randomised backtracking search, followed by a
   Metropolis walk (:func:`.sampling._walk`). The walk runs over *all* cycles,
   valid or not, weighting a cycle by ``penalty ** e`` for its ``e`` excluded
   pairs; its moves (swapping two people; exchanging two stretches of the
   cycle, which also moves one person elsewhere) are proposed symmetrically
   and accepted with probability ``min(1, penalty ** change)``. Its
   stationary distribution restricted to valid cycles is therefore exactly
   uniform, and because swaps connect every arrangement it reaches every
   valid cycle: tight exclusions can't cut it into islands, as they did the
   earlier walk confined to valid cycles. The draw is a valid cycle picked
   uniformly among those the walk visits in its second half.
5. Teams ("nobody draws a teammate", passed as ``teams`` or detected in the
   excluded pairs of a large group) are drawn by :mod:`.teams`: a random
   cycle, a repair of its few neighbouring teammates, and the same walk. A
   team of more than half of everyone is refused with that reason.

Guarantee. Exact: rejection sampling, enumeration and exact counting give
every valid cycle exactly the same chance; they cover every draw of up to 24
people (unless counting would need more than ``_EXACT_MAX_STATES`` states) and
every larger draw that random sampling finds, which is nearly all of them.
Approximate: a walk is uniform only in the limit. Up to about 200 people it
makes 200 n ln n proposals (at least ``_WALK_MIN``), far past the n ln n / 2
swaps that mix a group without exclusions, and tight groups pass chi-square
tests at much shorter lengths; larger groups up to ``_DENSE_MAX_N`` get
``_WALK_PROPOSALS``, which is less per person, so tight large groups may be
visibly non-uniform. Beyond ``_DENSE_MAX_N`` people (and for large team
draws) the walk only re-mixes the few positions the repair moved around an
otherwise uniformly random cycle: close to uniform, not exactly.

Everything is bounded: an instance that cannot be solved is reported with
:class:`DrawImpossible`, never looped on.

The package, by concept: :mod:`.cycle` makes a draw (the order above, and the
budgets), :mod:`.sampling` the uniform draws (random orders, exact counting,
the walk), :mod:`.search` the repair and backtracking search, :mod:`.teams` team draws,
:mod:`.diagnosis` explains why a draw is impossible, and :mod:`.tally` finds the
people with many exclusions, for both.
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
