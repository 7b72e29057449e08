"""The alternatives catalog, indexed when a policy is built.

An alternative applies to everything (``"*"``), or to the categories and remedy
kinds it names. The index keeps one *group* per name (and one for everything):
the alternatives that apply to it, split by their own kind, each kind's sorted
by value. A complaint of category ``c`` asking for remedy kind ``r`` draws on
three groups, everything's, ``c``'s (when the policy lists ``c``) and ``r``'s,
never copied into a shelf of their own: the index's size and the time to build
it grow with the catalog and the names it uses, not with their product.

Choosing the Plan B is then, for each kind of alternative in those groups, a
binary search for the one closest in value to the amount asked (within the
budget), and the closest of those kinds first: the work grows with the number
of kinds, not with the number of alternatives, however they cluster in value.

Most policies have a few dozen alternatives. For them the shelf of every listed
category and named remedy kind is also laid out once, as one list by value (at
most :data:`SMALL` entries each, so the index stays linear in the catalog), and
choosing walks outwards from the amount asked, taking the first alternative of
each kind it meets: a handful of steps, where a binary search per kind costs
several times more.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from recovery_rules._values._money import DECIMAL_CONTEXT

from ._parts import ANY, Alternative

__all__ = ["SMALL", "CatalogIndex", "Shelf"]

SMALL = 32
"""The most alternatives a shelf laid out as one list holds; a larger one is searched kind by kind."""

_Candidate = tuple[Decimal, Decimal, int, Alternative]
"""How close an alternative is to the amount asked, its value and its place in the catalog: the order offered."""


@dataclass(frozen=True, slots=True)
class _Row:
    """The alternatives of one kind in one group, cheapest first (equal values in catalog order).

    ``run_start[i]`` is where the run of entries whose value equals ``values[i]`` starts.
    """

    values: tuple[Decimal, ...]
    positions: tuple[int, ...]
    alternatives: tuple[Alternative, ...]
    run_start: tuple[int, ...]

    @classmethod
    def of(cls, members: Sequence[tuple[int, Alternative]]) -> _Row:
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

    def closest(self, asked: Decimal, budget: Decimal | None) -> _Candidate | None:
        """This kind's alternative closest in value to ``asked``, worth at most ``budget``.

        Of two equally close, the cheaper; of equal value, the one listed first in the catalog.
        """
        values = self.values
        end = len(values) if budget is None else bisect_right(values, budget)
        if not end:
            return None
        below = bisect_right(values, asked, 0, end) - 1
        subtract = DECIMAL_CONTEXT.subtract
        best: _Candidate | None = None
        if below >= 0:
            at = self.run_start[below]
            best = (subtract(asked, values[at]), values[at], self.positions[at], self.alternatives[at])
        if below + 1 < end:
            at = below + 1  # the first of its run: every value before it is at most what was asked
            above = (subtract(values[at], asked), values[at], self.positions[at], self.alternatives[at])
            if best is None or above[:3] < best[:3]:
                best = above
        return best


@dataclass(frozen=True, slots=True)
class _Walk:
    """A small shelf as one list, cheapest first (equal values in catalog order); ``run_start`` as in a row."""

    values: tuple[Decimal, ...]
    kinds: tuple[str, ...]
    alternatives: tuple[Alternative, ...]
    run_start: tuple[int, ...]

    @classmethod
    def of(cls, members: Iterable[tuple[int, Alternative]]) -> _Walk:
        row = _Row.of(list(dict(members).items()))  # each alternative once, though it applies twice
        return cls(
            row.values, tuple(alternative.kind for alternative in row.alternatives), row.alternatives, row.run_start
        )

    def select(self, asked: Decimal, budget: Decimal | None, count: int) -> tuple[Alternative, ...]:
        """:meth:`Shelf.select`, walking outwards from ``asked``: the closer side first, the cheaper on a tie."""
        values, kinds, alternatives, run_start = self.values, self.kinds, self.alternatives, self.run_start
        end = len(values) if budget is None else bisect_right(values, budget)
        above = bisect_right(values, asked, 0, end)  # the first worth more than what was asked
        below = above - 1  # the last worth at most that
        subtract = DECIMAL_CONTEXT.subtract
        chosen: list[Alternative] = []
        seen: set[str] = set()
        while len(chosen) < count and (below >= 0 or above < end):
            if below >= 0 and (above >= end or subtract(asked, values[below]) <= subtract(values[above], asked)):
                start = run_start[below]  # equal values go in catalog order
                for at in range(start, below + 1):
                    if kinds[at] not in seen and len(chosen) < count:
                        seen.add(kinds[at])
                        chosen.append(alternatives[at])
                below = start - 1
            else:
                if kinds[above] not in seen:
                    seen.add(kinds[above])
                    chosen.append(alternatives[above])
                above += 1
        return tuple(chosen)


_Group = Mapping[str, _Row]
"""The alternatives that apply to one name (or to everything), by their own kind."""


@dataclass(frozen=True, slots=True)
class Shelf:
    """The alternatives relevant to one kind of complaint: the groups it draws on."""

    groups: tuple[_Group, ...]
    walk: _Walk | None = None
    """The same alternatives as one list, when there are few of them (see :data:`SMALL`)."""

    def __bool__(self) -> bool:
        """Whether any alternative is relevant at all."""
        return any(self.groups)

    def select(self, asked: Decimal, budget: Decimal | None, count: int) -> tuple[Alternative, ...]:
        """Up to ``count`` alternatives of distinct kinds worth at most ``budget``.

        The closest in value to ``asked`` come first; of two equally close, the
        cheaper; of equal value, the one listed first in the catalog.
        """
        if self.walk is not None:
            return self.walk.select(asked, budget, count)
        best: dict[str, _Candidate] = {}
        for group in self.groups:
            for kind, row in group.items():
                candidate = row.closest(asked, budget)
                if candidate is not None:
                    known = best.get(kind)
                    if known is None or candidate[:3] < known[:3]:
                        best[kind] = candidate
        ranked = sorted(best.values(), key=lambda candidate: candidate[:3])
        return tuple(candidate[3] for candidate in ranked[:count])

    def kinds_within(self, budget: Decimal | None) -> set[str]:
        """The distinct kinds among alternatives worth at most ``budget``."""
        return {
            kind for group in self.groups for kind, row in group.items() if budget is None or row.values[0] <= budget
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
            if ANY in alternative.applies_to:
                everything.setdefault(alternative.kind, []).append((position, alternative))
                continue
            for name in dict.fromkeys(alternative.applies_to):
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
                    size = sum(len(row.values) for group in shelf.groups for row in group.values())
                    if size <= SMALL:
                        members = [
                            (position, alternative)
                            for group in shelf.groups
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
        groups = [self._everything, named.get(remedy_kind, {}) if remedy_kind is not None else {}]
        if category is not None:
            groups.append(named.get(category, {}))
        return Shelf(tuple(group for group in groups if group))
