"""The alternatives catalog, indexed when a policy is built.

For every (complaint category, requested remedy kind) pair the index holds the
relevant alternatives sorted by value, so choosing the Plan B for a decision
is a binary search and a short walk outward from the amount asked, whatever
the size of the catalog. Categories the policy has never heard of share one
entry: the alternatives that apply to everything or to the remedy kind.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from ._money import DECIMAL_CONTEXT
from ._policy_parts import ANY, Alternative

__all__ = ["CatalogIndex", "Shelf"]

_UNKNOWN: Final = None


@dataclass(frozen=True, slots=True)
class Shelf:
    """The alternatives relevant to one kind of complaint, cheapest first.

    Equal values keep catalog order. ``run_start[i]``/``run_end[i]`` bound the
    run of entries whose value equals ``values[i]``.
    """

    values: tuple[Decimal, ...]
    alternatives: tuple[Alternative, ...]
    kinds: tuple[str, ...]
    run_start: tuple[int, ...]
    run_end: tuple[int, ...]

    @classmethod
    def of(cls, members: Sequence[tuple[int, Alternative]]) -> Shelf:
        ordered = sorted(members, key=lambda item: (item[1].value.amount, item[0]))
        values = tuple(alternative.value.amount for _, alternative in ordered)
        run_start: list[int] = []
        for i, value in enumerate(values):
            run_start.append(run_start[-1] if i and values[i - 1] == value else i)
        run_end = [0] * len(values)
        for i in range(len(values) - 1, -1, -1):
            run_end[i] = run_end[i + 1] if i + 1 < len(values) and values[i + 1] == values[i] else i + 1
        alternatives = tuple(alternative for _, alternative in ordered)
        kinds = tuple(alternative.kind for alternative in alternatives)
        return cls(values, alternatives, kinds, tuple(run_start), tuple(run_end))

    def select(self, asked: Decimal, budget: Decimal | None, count: int) -> tuple[Alternative, ...]:
        """Up to ``count`` alternatives of distinct kinds worth at most ``budget``.

        The closest in value to ``asked`` come first; of two equally close, the
        cheaper; of equal value, the one listed first in the catalog.
        """
        values = self.values
        end = len(values) if budget is None else bisect_right(values, budget)
        down = bisect_right(values, asked, 0, end) - 1
        up = down + 1
        chosen: list[Alternative] = []
        kinds: set[str] = set()
        alternatives, kind_of, run_start, run_end = self.alternatives, self.kinds, self.run_start, self.run_end
        subtract = DECIMAL_CONTEXT.subtract
        while down >= 0 or up < end:
            if down >= 0 and (up >= end or subtract(asked, values[down]) <= subtract(values[up], asked)):
                first, last = run_start[down], down + 1
                down = first - 1
            else:
                first, last = up, min(run_end[up], end)
                up = last
            for at in range(first, last):
                kind = kind_of[at]
                if kind not in kinds:
                    kinds.add(kind)
                    chosen.append(alternatives[at])
                    if len(chosen) == count:
                        return tuple(chosen)
        return tuple(chosen)

    def kinds_within(self, budget: Decimal | None) -> set[str]:
        """The distinct kinds among alternatives worth at most ``budget``."""
        end = len(self.values) if budget is None else bisect_right(self.values, budget)
        return {alternative.kind for alternative in self.alternatives[:end]}


class CatalogIndex:
    """Every shelf of a catalog, keyed by (category, remedy kind)."""

    __slots__ = ("_any", "_categories", "_shelves")

    def __init__(self, catalog: Sequence[Alternative], categories: Iterable[str], remedy_kinds: Iterable[str]) -> None:
        self._categories = frozenset(categories)
        self._any = bool(catalog)
        for_all: list[int] = []
        by_category: dict[str, list[int]] = {}
        by_kind: dict[str, list[int]] = {}
        for position, alternative in enumerate(catalog):
            if ANY in alternative.applies_to:
                for_all.append(position)
                continue
            for name in alternative.applies_to:
                by_category.setdefault(name, []).append(position)
                by_kind.setdefault(name, []).append(position)
        # Categories without alternatives of their own share the shelves of unknown categories.
        self._shelves: dict[tuple[str | None, str], Shelf] = {}
        for kind in remedy_kinds:
            general = set(for_all).union(by_kind.get(kind, ()))
            self._shelves[_UNKNOWN, kind] = Shelf.of([(i, catalog[i]) for i in sorted(general)])
            for category in self._categories.intersection(by_category):
                members = general.union(by_category[category])
                self._shelves[category, kind] = Shelf.of([(i, catalog[i]) for i in sorted(members)])

    def __bool__(self) -> bool:
        """Whether the catalog has any alternative at all."""
        return self._any

    def shelf(self, category: str | None, remedy_kind: str) -> Shelf:
        """The shelf for a complaint of ``category`` asking for ``remedy_kind`` (a known kind).

        ``None``, like any category the policy does not list, means a category it has never heard of.
        """
        shelves = self._shelves
        return shelves.get((category, remedy_kind)) or shelves[_UNKNOWN, remedy_kind]
