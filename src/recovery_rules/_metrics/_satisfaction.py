"""Counting the customers' satisfaction answers, case by case, into :class:`~recovery_rules.metrics.Satisfaction`.

A customer service plan "must include a method for measuring and tracking
customer satisfaction", and the case path asks the customer: "Does that
resolve this to your satisfaction?". :class:`SatisfactionTally` counts what each
case recorded (``CaseView.satisfied`` and ``CaseView.satisfaction``), in all
and per outcome, level, complaint category and employee, one case at a time
(none is kept), as the report reads the journal in one pass.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from recovery_rules._case._path import CaseView

from ._figures import SATISFACTION_GROUPS, Satisfaction, SatisfactionFigures

__all__ = ["UNNAMED", "UNRESOLVED", "SatisfactionTally"]

UNNAMED: Final = "(unnamed)"
"""The employee group of the cases whose opening named no employee."""
UNRESOLVED: Final = "unresolved"
"""The outcome group of the cases not resolved yet (as the report's ``outcomes`` names them)."""


@dataclasses.dataclass
class _Counts:
    cases: int = 0
    answered: int = 0
    satisfied: int = 0
    scored: int = 0
    score_total: int = 0

    def add(self, view: CaseView) -> None:
        self.cases += 1
        self.answered += view.satisfied is not None
        self.satisfied += view.satisfied is True
        self.scored += view.satisfaction is not None
        self.score_total += view.satisfaction or 0

    def figures(self) -> SatisfactionFigures:
        return SatisfactionFigures.of_counts(
            cases=self.cases,
            answered=self.answered,
            satisfied=self.satisfied,
            scored=self.scored,
            score_total=self.score_total,
        )


class SatisfactionTally:
    """The satisfaction answers of the cases counted so far: :meth:`add` each case, then :meth:`figures`."""

    __slots__ = ("_groups", "_overall")

    def __init__(self) -> None:
        self._overall = _Counts()
        self._groups: dict[str, dict[str, _Counts]] = {name: {} for name in SATISFACTION_GROUPS}

    def add(self, view: CaseView) -> None:
        """Count one case, as it stands."""
        self._overall.add(view)
        keys = {
            "per_outcome": UNRESOLVED if view.outcome is None else view.outcome.value,
            "per_level": view.level,
            "per_category": view.complaint.category,
            "per_employee": view.employee or UNNAMED,
        }
        for grouping, key in keys.items():
            self._groups[grouping].setdefault(key, _Counts()).add(view)

    def figures(self) -> Satisfaction:
        """The figures, each grouping's groups sorted by name."""
        return Satisfaction(
            overall=self._overall.figures(),
            **{
                grouping: {name: groups[name].figures() for name in sorted(groups)}
                for grouping, groups in self._groups.items()
            },
        )
