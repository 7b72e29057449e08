"""The alternatives catalog, indexed when a policy is built.

An alternative applies to everything (``"*"``), or to the categories and remedy
kinds it names, or both. The index keeps one *group* per name (and one for
everything): the alternatives that apply to it, split by their own kind, each
kind's sorted by value. A complaint of category ``c`` asking for remedy kind
``r`` draws on three groups, ``c``'s (when the policy lists ``c``), ``r``'s and
everything's, never copied into a shelf of their own: the index's size and the
time to build it grow with the catalog and the names it uses, not with their
product.

**The ranking.** Of the alternatives that apply to the complaint and that the
acting level can authorize now (worth at most what it may still grant this
customer, and of a kind it may grant: ``without`` names the remedy kinds its
``may_grant`` leaves out), the Plan B offers, one per kind:

1. those written for the complaint's category first (``c`` in ``applies_to``),
   then those written for the remedy kind asked (``r`` in ``applies_to``), then
   the generic ones (``applies_to = ["*"]`` only); an alternative that names the
   category *and* ``"*"`` ranks as written for the category;
2. within each of those, the free ones (value zero) before the paid ones;
3. then the closest in value to the amount asked; of two equally close, the
   cheaper; of equal value, the one listed first in the catalog.

Each kind appears once, at the place of its best-ranked alternative (distinct
kinds); the first ``count`` kinds are offered.

Choosing is then, for each kind of alternative in those groups, a binary search
for its best-ranked one (within the budget), and the best of those kinds first:
the work grows with the number of kinds, not with the number of alternatives,
however they cluster in value.

Most policies have a few dozen alternatives. For them the shelf of every listed
category and named remedy kind is also laid out once, as a few lists by value
(one per rank of relevance, free and paid apart; at most :data:`SMALL` entries
in all, so the index stays linear in the catalog), and choosing walks them in
order, outwards from the amount asked in each, taking the first alternative of
each kind it meets: a handful of steps, where a binary search per kind costs
several times more.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from recovery_rules._values._money import DECIMAL_CONTEXT

from ._parts import ANY, Alternative

__all__ = ["FOR_CATEGORY", "FOR_REMEDY", "GENERIC", "SMALL", "CatalogIndex", "Shelf"]

SMALL = 32
"""The most alternatives a shelf laid out as lists holds; a larger one is searched kind by kind."""

FOR_CATEGORY: Final = 0
"""The rank of an alternative written for the complaint's category."""
FOR_REMEDY: Final = 1
"""The rank of an alternative written for the remedy kind asked."""
GENERIC: Final = 2
"""The rank of an alternative written for every complaint (``applies_to = ["*"]``)."""

_Candidate = tuple[int, int, Decimal, Decimal, int, Alternative]
"""An alternative's place in the ranking: how relevant (:data:`FOR_CATEGORY`...), whether it is paid (0: free),
how close its value is to the amount asked, its value, its place in the catalog; then the alternative."""


@dataclass(frozen=True, slots=True)
class _Row:
    """The alternatives of one kind in one group (or one segment of a laid-out shelf), cheapest first.

    Equal values are in catalog order; ``run_start[i]`` is where the run of entries whose value equals
    ``values[i]`` starts.
    """

    values: tuple[Decimal, ...]
    positions: tuple[int, ...]
    alternatives: tuple[Alternative, ...]
    run_start: tuple[int, ...]

    @classmethod
    def of(cls, members: Iterable[tuple[int, Alternative]]) -> _Row:
        ordered = sorted(members, key=lambda item: (item[1].value.amount, item[0]))
        values = tuple(alternative.value.amount for _, alternative in ordered)
        run_start: list[int] = []
        for i, value in enumerate(values):
            run_start.append(run_start[-1] if i and values[i - 1] == value else i)
        return cls(
            values,
            tuple(position for position, _ in ordered),
            tuple(alternative for _, alternative in ordered),
            tuple(run_start),
        )

    def best(self, rank: int, asked: Decimal, budget: Decimal | None) -> _Candidate | None:
        """This kind's best-ranked alternative in this group, worth at most ``budget``: a free one (the first
        listed), or else the closest in value to ``asked`` (of two equally close, the cheaper)."""
        values = self.values
        end = len(values) if budget is None else bisect_right(values, budget)
        if not end:
            return None
        subtract = DECIMAL_CONTEXT.subtract
        if not values[0]:  # free: the run of zeros starts at 0, in catalog order
            return (rank, 0, asked, values[0], self.positions[0], self.alternatives[0])
        below = bisect_right(values, asked, 0, end) - 1
        best: _Candidate | None = None
        if below >= 0:
            at = self.run_start[below]
            best = (rank, 1, subtract(asked, values[at]), values[at], self.positions[at], self.alternatives[at])
        if below + 1 < end:
            at = below + 1  # the first of its run: every value before it is at most what was asked
            above = (rank, 1, subtract(values[at], asked), values[at], self.positions[at], self.alternatives[at])
            if best is None or above[:5] < best[:5]:
                best = above
        return best

    def walk(
        self, asked: Decimal, budget: Decimal | None, count: int, chosen: list[Alternative], seen: set[str]
    ) -> None:
        """Add to ``chosen`` the first alternative of each kind not ``seen`` yet, walking outwards from ``asked``
        (the closer side first, the cheaper on a tie), until there are ``count``."""
        values, alternatives, run_start = self.values, self.alternatives, self.run_start
        end = len(values) if budget is None else bisect_right(values, budget)
        above = bisect_right(values, asked, 0, end)  # the first worth more than what was asked
        below = above - 1  # the last worth at most that
        subtract = DECIMAL_CONTEXT.subtract
        while below >= 0 or above < end:
            if below >= 0 and (above >= end or subtract(asked, values[below]) <= subtract(values[above], asked)):
                start = run_start[below]  # equal values go in catalog order
                for at in range(start, below + 1):
                    alternative = alternatives[at]
                    if alternative.kind not in seen:
                        seen.add(alternative.kind)
                        chosen.append(alternative)
                        if len(chosen) >= count:
                            return
                below = start - 1
            else:
                alternative = alternatives[above]
                if alternative.kind not in seen:
                    seen.add(alternative.kind)
                    chosen.append(alternative)
                    if len(chosen) >= count:
                        return
                above += 1


@dataclass(frozen=True, slots=True)
class _Walk:
    """A small shelf as a few lists in the order of the ranking: per rank of relevance, the free ones (in catalog
    order), then the paid ones (cheapest first). Each alternative is in one list, at its best rank."""

    segments: tuple[_Row, ...]
    free: tuple[bool, ...]
    """Whether each segment holds the free alternatives of its rank."""

    @classmethod
    def of(cls, members: Iterable[tuple[int, int, Alternative]]) -> _Walk:
        rank_of: dict[int, tuple[int, Alternative]] = {}
        for rank, position, alternative in members:  # each alternative once, at its best rank
            known = rank_of.get(position)
            if known is None or rank < known[0]:
                rank_of[position] = (rank, alternative)
        segments: list[_Row] = []
        free_flags: list[bool] = []
        for rank in (FOR_CATEGORY, FOR_REMEDY, GENERIC):
            for free in (True, False):
                segment = [
                    (position, alternative)
                    for position, (at, alternative) in rank_of.items()
                    if at == rank and (not alternative.value.amount) is free
                ]
                if segment:
                    segments.append(_Row.of(segment))
                    free_flags.append(free)
        return cls(tuple(segments), tuple(free_flags))

    def select(
        self, asked: Decimal, budget: Decimal | None, count: int, without: frozenset[str]
    ) -> tuple[Alternative, ...]:
        """:meth:`Shelf.select`, walking the lists in order."""
        chosen: list[Alternative] = []
        seen: set[str] = set(without)
        for free, segment in zip(self.free, self.segments, strict=True):
            if free:  # always within the budget, and all as close: in catalog order
                for alternative in segment.alternatives:
                    kind = alternative.kind
                    if kind not in seen:
                        seen.add(kind)
                        chosen.append(alternative)
                        if len(chosen) >= count:
                            return tuple(chosen)
            else:
                segment.walk(asked, budget, count, chosen, seen)
                if len(chosen) >= count:
                    break
        return tuple(chosen)


_Group = Mapping[str, _Row]
"""The alternatives that apply to one name (or to everything), by their own kind."""


@dataclass(frozen=True, slots=True)
class Shelf:
    """The alternatives relevant to one kind of complaint: the groups it draws on, each with its rank."""

    groups: tuple[tuple[int, _Group], ...]
    walk: _Walk | None = None
    """The same alternatives as a few lists, when there are few of them (see :data:`SMALL`)."""

    def __bool__(self) -> bool:
        """Whether any alternative is relevant at all."""
        return any(group for _, group in self.groups)

    def select(
        self, asked: Decimal, budget: Decimal | None, count: int, without: frozenset[str] = frozenset()
    ) -> tuple[Alternative, ...]:
        """Up to ``count`` alternatives of distinct kinds worth at most ``budget``, best-ranked first.

        Written for the complaint's category first, then for the remedy kind asked, then generic; within each,
        free before paid; then the closest in value to ``asked``; of two equally close, the cheaper; of equal
        value, the one listed first in the catalog (see the module's documentation). No alternative of a kind in
        ``without`` (a remedy kind the acting level may not grant, a kind already offered) is chosen.
        """
        if self.walk is not None:
            return self.walk.select(asked, budget, count, without)
        # The groups come in the order of their rank, the first thing a candidate is ranked by: every kind
        # a group offers (within the budget) outranks every kind only a later group offers. So the groups are
        # taken in turn, each kind's best of a group ranked against the others', and the first ``count`` end
        # the search; a later group is looked at only for what the earlier ones could not fill.
        chosen: list[Alternative] = []
        taken = set(without)
        for rank, group in self.groups:
            found = []
            for kind, row in group.items():
                if kind not in taken:
                    candidate = row.best(rank, asked, budget)
                    if candidate is not None:
                        found.append(candidate)
            # Whole candidates compare as their first five parts do: two of one group differ by the last of
            # those at least (the place in the catalog), so the alternative itself is never compared.
            found.sort()
            for candidate in found:
                alternative = candidate[5]
                chosen.append(alternative)
                taken.add(alternative.kind)
                if len(chosen) >= count:
                    return tuple(chosen)
        return tuple(chosen)

    def kinds_within(self, budget: Decimal | None, without: frozenset[str] = frozenset()) -> set[str]:
        """The distinct kinds among alternatives worth at most ``budget``, but for those in ``without``."""
        return {
            kind
            for _, group in self.groups
            for kind, row in group.items()
            if (budget is None or row.values[0] <= budget) and kind not in without
        }


class CatalogIndex:
    """A catalog's alternatives, grouped by the names they apply to and by their own kind."""

    __slots__ = ("_any", "_categories", "_everything", "_kinds", "_laid_out", "_named")

    def __init__(self, catalog: Sequence[Alternative], categories: Iterable[str]) -> None:
        self._categories = frozenset(categories)
        self._any = bool(catalog)
        everything: dict[str, list[tuple[int, Alternative]]] = {}
        named: dict[str, dict[str, list[tuple[int, Alternative]]]] = {}
        for position, alternative in enumerate(catalog):
            for name in dict.fromkeys(alternative.applies_to):
                if name == ANY:
                    everything.setdefault(alternative.kind, []).append((position, alternative))
                else:
                    named.setdefault(name, {}).setdefault(alternative.kind, []).append((position, alternative))
        self._everything: _Group = {kind: _Row.of(members) for kind, members in everything.items()}
        self._named: dict[str, _Group] = {
            name: {kind: _Row.of(members) for kind, members in by_kind.items()} for name, by_kind in named.items()
        }
        # The small shelves, laid out once: every listed category (or none) with every remedy kind an
        # alternative names (or none). Only while everything's group is small, so this stays linear.
        self._kinds = frozenset(named) - self._categories
        self._laid_out: dict[tuple[str | None, str | None], Shelf] = {}
        if sum(len(members) for members in everything.values()) <= SMALL:
            for category in (None, *sorted(self._categories)):
                for kind in (None, *sorted(self._kinds)):
                    shelf = self._shelf(category, kind)
                    size = sum(len(row.values) for _, group in shelf.groups for row in group.values())
                    if size <= SMALL:
                        members = [
                            (rank, position, alternative)
                            for rank, group in shelf.groups
                            for row in group.values()
                            for position, alternative in zip(row.positions, row.alternatives, strict=True)
                        ]
                        self._laid_out[category, kind] = Shelf(shelf.groups, _Walk.of(members))

    def __bool__(self) -> bool:
        """Whether the catalog has any alternative at all."""
        return self._any

    def shelf(self, category: str | None, remedy_kind: str) -> Shelf:
        """The shelf for a complaint of ``category`` asking for ``remedy_kind``.

        ``None``, like any category the policy does not list, means a category it has never heard of.
        """
        listed = category if category is not None and category in self._categories else None
        if remedy_kind in self._kinds or remedy_kind not in self._named:  # not also a category's name
            laid_out = self._laid_out.get((listed, remedy_kind if remedy_kind in self._kinds else None))
            if laid_out is not None:
                return laid_out
        return self._shelf(listed, remedy_kind)

    def _shelf(self, category: str | None, remedy_kind: str | None) -> Shelf:
        named = self._named
        groups: list[tuple[int, _Group]] = []
        if category is not None:
            groups.append((FOR_CATEGORY, named.get(category, {})))
        if remedy_kind is not None:
            groups.append((FOR_REMEDY, named.get(remedy_kind, {})))
        groups.append((GENERIC, self._everything))
        return Shelf(tuple((rank, group) for rank, group in groups if group))
