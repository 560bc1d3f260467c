"""Why a draw is impossible, in words a facilitator can act on.

Cheap diagnoses (linear in the input) catch the common ways a group gets
over-constrained; deeper ones (connectivity, Hall's condition) run only when
random sampling keeps failing. Each raises :class:`DrawImpossible` with a plain
sentence that names the people involved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from .tally import _Counts, _Probes
from .text import N_, Message, Names, ngettext

# Long lists of names are cut so a message stays readable on a web page.
_MAX_NAMES_SHOWN = 5


class DrawImpossible(ValueError):
    """The constraints admit no valid draw; str(exc) is a clear human sentence naming the cause
    (in English; `exc.message` is the `Message` to translate for the reader)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------


class _Labeller:
    """Turns ids into display names for messages (falling back to the id)."""

    def __init__(self, names: Mapping[int, str] | None) -> None:
        self._names = names or {}

    def __call__(self, person: int) -> str:
        return self._names.get(person) or str(person)

    def join(self, people: Sequence[int]) -> Names:
        """List names as 'A', 'A and B', 'A, B and C', or 'A, B, C, D, E and 7 others'."""
        shown = [self(p) for p in people[:_MAX_NAMES_SHOWN]]
        return Names(shown, len(people) - len(shown))


def _impossible(msgid: str, **params: object) -> DrawImpossible:
    """The refusal with this message (English in str(exc), translatable by the caller)."""
    return DrawImpossible(Message(msgid, **params))


def _too_tight(n: int) -> DrawImpossible:
    return _impossible(
        N_(
            "The exclusions are too tight to find a draw for these %(n)d participants. "
            "Try removing some exclusions and drawing again."
        ),
        n=n,
    )


def _no_arrangement(n: int) -> DrawImpossible:
    return _impossible(
        N_(
            "No arrangement of these %(n)d participants satisfies all the exclusions. "
            "Try removing some exclusions."
        ),
        n=n,
    )


# --------------------------------------------------------------------------
# Diagnoses
# --------------------------------------------------------------------------


def _allowed(
    roster: list[int], arcs: set[tuple[int, int]], candidates: Iterable[int], *, mortals: bool
) -> dict[int, list[int]]:
    """Exact allowed mortals (or angels) of each candidate, in roster order.

    O(n) per candidate, so callers pass only the few people with many
    exclusions. Iterating the roster keeps results (and messages) deterministic.
    """
    wanted = set(candidates)
    if not wanted:
        return {}
    if mortals:
        return {
            u: [p for p in roster if p != u and (u, p) not in arcs] for u in roster if u in wanted
        }
    return {u: [p for p in roster if p != u and (p, u) not in arcs] for u in roster if u in wanted}


def _diagnose_cheaply(
    roster: list[int], arcs: set[tuple[int, int]], counts: _Counts | _Probes, label: _Labeller
) -> None:
    """Raise DrawImpossible for the obvious dead ends, in time linear in the input.

    Only people with at most one allowed mortal (or angel) can cause these, and
    there are at most len(arcs) / (n - 2) of them, so everyone else is skipped
    after a count.
    """
    n = len(roster)
    tight_out = counts.angels_with_more_than(n - 3)
    tight_in = counts.mortals_with_more_than(n - 3)
    if not tight_out and not tight_in:
        return
    mortals_of = _allowed(roster, arcs, tight_out, mortals=True)
    angels_of = _allowed(roster, arcs, tight_in, mortals=False)

    no_mortal = [a for a, allowed in mortals_of.items() if not allowed]
    if len(no_mortal) == 1:
        who = label(no_mortal[0])
        raise _impossible(
            N_(
                "%(who)s is excluded from being the angel of everyone else, "
                "so %(who)s can't be given a mortal."
            ),
            who=who,
        )
    if no_mortal:
        raise _impossible(
            N_(
                "%(names)s are each excluded from being the angel of "
                "everyone else, so they can't be given mortals."
            ),
            names=label.join(no_mortal),
        )
    no_angel = [b for b, allowed in angels_of.items() if not allowed]
    if len(no_angel) == 1:
        who = label(no_angel[0])
        raise _impossible(
            N_(
                "Everyone else is excluded from being the angel of %(who)s, "
                "so %(who)s can't be given an angel."
            ),
            who=who,
        )
    if no_angel:
        raise _impossible(
            N_(
                "Everyone else is excluded from being the angel of %(names)s, "
                "so they can't be given angels."
            ),
            names=label.join(no_angel),
        )

    only_mortal = {a: allowed[0] for a, allowed in mortals_of.items() if len(allowed) == 1}
    only_angel = {b: allowed[0] for b, allowed in angels_of.items() if len(allowed) == 1}
    _diagnose_clashes(only_mortal, only_angel, label)
    _diagnose_short_loop(roster, only_mortal, only_angel, label)


def _diagnose_clashes(
    only_mortal: dict[int, int], only_angel: dict[int, int], label: _Labeller
) -> None:
    """Raise if two pairings forced by single options need the same person."""
    by_mortal: defaultdict[int, list[int]] = defaultdict(list)
    for angel, mortal in only_mortal.items():
        by_mortal[mortal].append(angel)
    for mortal, angels in by_mortal.items():
        if len(angels) > 1:
            raise _impossible(
                N_(
                    "%(names)s can each only be the angel of %(mortal)s, "
                    "but %(mortal)s can have only one angel."
                ),
                names=label.join(angels),
                mortal=label(mortal),
            )
    by_angel: defaultdict[int, list[int]] = defaultdict(list)
    for mortal, angel in only_angel.items():
        by_angel[angel].append(mortal)
    for angel, mortals in by_angel.items():
        if len(mortals) > 1:
            raise _impossible(
                N_(
                    "%(names)s can each only have %(angel)s as their angel, "
                    "but %(angel)s can be the angel of only one person."
                ),
                names=label.join(mortals),
                angel=label(angel),
            )
    # No mixed clash needs checking: if a's only mortal is m then a may be m's
    # angel, so m's only angel (if m has just one) is a.


def _diagnose_short_loop(
    roster: list[int],
    only_mortal: dict[int, int],
    only_angel: dict[int, int],
    label: _Labeller,
) -> None:
    """Raise if forced pairings close a loop that leaves people out."""
    # Without clashes each person has at most one forced mortal and at most
    # one forced angel, so the forced pairs form disjoint chains and loops.
    forced = dict(only_mortal)
    forced.update((angel, mortal) for mortal, angel in only_angel.items())
    n = len(roster)
    done: set[int] = set()
    for first in roster:
        if first not in forced or first in done:
            continue
        loop = [first]
        seen = {first}
        current = forced[first]
        while current in forced and current not in seen and current not in done:
            loop.append(current)
            seen.add(current)
            current = forced[current]
        done |= seen
        if current == first and len(loop) < n:
            who = [label(p) for p in loop]
            path = " → ".join([*who, who[0]])
            others = ngettext("%(num)d participant", "%(num)d participants", n - len(loop))
            message = (
                N_(
                    "The exclusions leave %(names)s no choice but to be one another's angels "
                    "in a closed loop (%(path)s), which would leave out the other %(others)s."
                )
                if loop[2:]
                else N_(
                    "The exclusions leave %(names)s no choice but to be each other's angels "
                    "in a closed loop (%(path)s), which would leave out the other %(others)s."
                )
            )
            raise _impossible(message, names=label.join(loop), path=path, others=others)


def _diagnose_connectivity(
    out: list[list[int]], inn: list[list[int]], roster: list[int], label: _Labeller
) -> None:
    """Raise if some group can't be entered or left: a cycle must do both."""
    n = len(roster)
    for adjacency, forward in ((out, True), (inn, False)):
        reached = bytearray(n)
        reached[0] = 1
        frontier = [0]
        while frontier:
            nxt = []
            for u in frontier:
                for w in adjacency[u]:
                    if not reached[w]:
                        reached[w] = 1
                        nxt.append(w)
            frontier = nxt
        if all(reached):
            continue
        inside = [roster[i] for i in range(n) if reached[i]]
        outside = [roster[i] for i in range(n) if not reached[i]]
        # Forward: nobody reached may be the angel of anyone outside.
        # Backward: nobody outside may be the angel of anyone reached.
        closed, shut_out = (inside, outside) if forward else (outside, inside)
        if len(closed) <= len(shut_out):
            raise _impossible(
                N_(
                    "%(names)s may only be angels of one another, so the chain "
                    "of angels could never leave their group to reach everyone else."
                ),
                names=label.join(closed),
            )
        raise _impossible(
            N_(
                "%(names)s may only have angels from among themselves, so the "
                "chain of angels could never reach them from the rest of the group."
            ),
            names=label.join(shut_out),
        )


def _hall_violation(  # noqa: C901 - Kuhn's algorithm, iterative
    left: list[int], adjacency: Mapping[int, Sequence[int]] | Sequence[Sequence[int]]
) -> tuple[list[int], list[int]] | None:
    """Find people who between them have fewer options than their number.

    Computes a maximum matching of ``left`` into their options (Kuhn's
    augmenting paths). If someone stays unmatched, the people reachable from
    them by alternating paths form a set S whose options N(S) number |S| - 1
    (Hall's theorem). Returns (S, N(S)), or None when everyone can be matched.
    """
    holder_of: dict[int, int] = {}  # option -> left person holding it
    # Greedy first: usually almost everyone is matched without augmenting.
    for u in left:
        for w in adjacency[u]:
            if w not in holder_of:
                holder_of[w] = u
                break
    matched = set(holder_of.values())

    def free_option_of(u: int) -> int | None:
        # Looking for a free option before going deeper keeps augmenting
        # paths short in dense groups, where almost every person has one.
        return next((w for w in adjacency[u] if w not in holder_of), None)

    for root in left:
        if root in matched:
            continue
        # Iterative DFS over alternating paths. Each level is
        # [person, their remaining options, option that led to the next level].
        seen: set[int] = set()
        stack: list[list] = [[root, iter(adjacency[root]), -1]]
        free_option = free_option_of(root)
        while stack and free_option is None:
            level = stack[-1]
            for w in level[1]:
                if w in seen:
                    continue
                seen.add(w)
                level[2] = w
                holder = holder_of[w]
                stack.append([holder, iter(adjacency[holder]), -1])
                free_option = free_option_of(holder)
                break
            else:
                stack.pop()
        if free_option is None:
            return [root, *(holder_of[w] for w in seen)], list(seen)
        # Augment: the deepest person takes the free option, everyone above
        # takes the option through which they reached the next level.
        holder_of[free_option] = stack[-1][0]
        for level in stack[:-1]:
            holder_of[level[2]] = level[0]
        matched.add(root)
    return None


def _raise_hall(
    violation: tuple[list[int], list[int]],
    order: Mapping[int, int],
    label: _Labeller,
    *,
    angels: bool,
) -> None:
    """Explain a Hall violation; order maps each id to its roster position."""
    people = sorted(violation[0], key=order.__getitem__)
    options = sorted(violation[1], key=order.__getitem__)
    k = len(people)
    if angels:
        raise _impossible(
            N_(
                "%(names)s can only be angels of %(options)s between them: "
                "%(k)d people for %(mortals)s, so someone would be left without a mortal."
            ),
            names=label.join(people),
            options=label.join(options),
            k=k,
            mortals=ngettext("%(num)d mortal", "%(num)d mortals", k - 1),
        )
    raise _impossible(
        N_(
            "%(names)s can only have angels from among %(options)s: "
            "%(k)d people for %(angels)s, so someone would be left without an angel."
        ),
        names=label.join(people),
        options=label.join(options),
        k=k,
        angels=ngettext("%(num)d angel", "%(num)d angels", k - 1),
    )
