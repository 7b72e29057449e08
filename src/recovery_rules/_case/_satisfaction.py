"""The customer's satisfaction, counted over cases: per complaint category, level, employee and outcome.

A customer service plan "must include a method for measuring and tracking
customer satisfaction", and the customer is asked at the end of the path:
"Does that resolve this to your satisfaction?" (:meth:`Case.deliver
<recovery_rules.Case.deliver>`, the accepting steps, or :meth:`Case.thank
<recovery_rules.Case.thank>`). :func:`satisfaction_figures` counts those answers
over any cases, read as :class:`~recovery_rules.CaseView` (a report's period,
a pilot's journal):

- ``answered``: the cases whose customer said whether they were satisfied;
- ``satisfied``: of those, how many said yes; ``satisfied_share`` is their share;
- ``scored``: the cases with a satisfaction score (1 to 5); ``mean_score`` is their mean.

Each group is keyed by the case's complaint category, its level (the level of
the employee who opened it and delivers the good news), its employee (the id
the opening named, ``"(unnamed)"`` when none) and its outcome (``"open"`` while
it is not resolved). A group lists every case of it (``cases``), answered or not,
so a group with no answers shows that nobody was asked. Shares and means are
exact ratios rounded to 12 significant digits, whatever the calling thread's
decimal context; ``None`` where there is nothing to divide by.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Any, Final

from ._path import CaseView

__all__ = ["OPEN", "UNNAMED", "SatisfactionFigures", "SatisfactionReport", "SatisfactionTally", "satisfaction_figures"]

UNNAMED: Final = "(unnamed)"
"""The employee group of cases whose opening named no employee."""
OPEN: Final = "open"
"""The outcome group of cases not resolved yet."""
_RATIOS: Final = Context(
    prec=12,
    rounding=ROUND_HALF_EVEN,
    Emin=-999_999,
    Emax=999_999,
    capitals=1,
    clamp=0,
    flags=[],
    traps=[InvalidOperation, DivisionByZero, Overflow],
)


@dataclasses.dataclass(frozen=True, slots=True)
class SatisfactionFigures:
    """The satisfaction answers of one group of cases."""

    cases: int = 0
    """How many cases the group has, answered or not."""
    answered: int = 0
    """How many customers said whether they were satisfied."""
    satisfied: int = 0
    """How many of them said they were."""
    scored: int = 0
    """How many customers gave a satisfaction score."""
    score_total: int = 0
    """The sum of their scores."""

    @property
    def satisfied_share(self) -> Decimal | None:
        """``satisfied / answered``; ``None`` when nobody answered."""
        return _RATIOS.divide(Decimal(self.satisfied), Decimal(self.answered)) if self.answered else None

    @property
    def mean_score(self) -> Decimal | None:
        """The mean of the scores given; ``None`` when nobody gave one."""
        return _RATIOS.divide(Decimal(self.score_total), Decimal(self.scored)) if self.scored else None

    def plus(self, view: CaseView) -> SatisfactionFigures:
        """These figures with one more case."""
        return SatisfactionFigures(
            cases=self.cases + 1,
            answered=self.answered + (view.satisfied is not None),
            satisfied=self.satisfied + (view.satisfied is True),
            scored=self.scored + (view.satisfaction is not None),
            score_total=self.score_total + (view.satisfaction or 0),
        )

    def to_json(self) -> dict[str, Any]:
        """The figures as JSON: counts, and the share and mean as numbers rounded to 4 decimals (or null)."""
        share, mean = self.satisfied_share, self.mean_score
        return {
            "cases": self.cases,
            "answered": self.answered,
            "satisfied": self.satisfied,
            "satisfied_share": None if share is None else round(float(share), 4),
            "scored": self.scored,
            "mean_score": None if mean is None else round(float(mean), 4),
        }


@dataclasses.dataclass(frozen=True, slots=True)
class SatisfactionReport:
    """The satisfaction figures of some cases, in all and per group."""

    overall: SatisfactionFigures = SatisfactionFigures()
    per_category: Mapping[str, SatisfactionFigures] = dataclasses.field(default_factory=dict)
    per_level: Mapping[str, SatisfactionFigures] = dataclasses.field(default_factory=dict)
    per_employee: Mapping[str, SatisfactionFigures] = dataclasses.field(default_factory=dict)
    per_outcome: Mapping[str, SatisfactionFigures] = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON, groups sorted by name."""
        return {
            "overall": self.overall.to_json(),
            **{
                name: {key: groups[key].to_json() for key in sorted(groups)}
                for name, groups in (
                    ("per_category", self.per_category),
                    ("per_level", self.per_level),
                    ("per_employee", self.per_employee),
                    ("per_outcome", self.per_outcome),
                )
            },
        }


class SatisfactionTally:
    """Counts the answers case by case, for a report that reads a journal in one pass (:meth:`add` each
    case's final view, then :meth:`report`); :func:`satisfaction_figures` does both at once."""

    __slots__ = ("_groups", "_overall")

    def __init__(self) -> None:
        self._overall = SatisfactionFigures()
        self._groups: dict[str, dict[str, SatisfactionFigures]] = {name: {} for name in _GROUPS}

    def add(self, view: CaseView) -> None:
        """Count one case, as ``view`` stands."""
        self._overall = self._overall.plus(view)
        keys = {
            "category": view.complaint.category,
            "level": view.level,
            "employee": view.employee or UNNAMED,
            "outcome": OPEN if view.outcome is None else view.outcome.value,
        }
        for group, key in keys.items():
            figures = self._groups[group]
            figures[key] = figures.get(key, SatisfactionFigures()).plus(view)

    def report(self) -> SatisfactionReport:
        """The figures of the cases counted so far."""
        return SatisfactionReport(
            overall=self._overall,
            per_category=dict(self._groups["category"]),
            per_level=dict(self._groups["level"]),
            per_employee=dict(self._groups["employee"]),
            per_outcome=dict(self._groups["outcome"]),
        )


_GROUPS: Final = ("category", "level", "employee", "outcome")


def satisfaction_figures(views: Iterable[CaseView]) -> SatisfactionReport:
    """The customers' satisfaction answers in ``views`` (one view per case), in all and per group."""
    tally = SatisfactionTally()
    for view in views:
        tally.add(view)
    return tally.report()
