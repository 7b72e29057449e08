"""``simulate``: replay recorded decisions under the current policy and a candidate, and compare.

A change to a policy is best piloted, and what it does tracked. Before the
pilot, the recorded complaints of the last months answer most of it: how
many escalations a higher limit avoids, how much more is granted on the spot,
which levels it touches. Every record is decided twice, at the time it was
decided, and the two resolutions are compared.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from recovery_rules import Complaint, InvalidInputError, Money, Outcome, Policy, Problem, Resolution, Window
from recovery_rules.metrics import NOT_RECORDED

from ._records import DecisionRecord, RecordSource

__all__ = ["NOT_RECORDED", "Change", "Invalid", "LevelComparison", "Side", "Simulation", "simulate"]

OUTCOMES = tuple(Outcome)


@dataclass
class Side:
    """The figures of one policy over the replayed decisions."""

    currency: str
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    escalations_to: Counter[str] = field(default_factory=Counter)
    amounts: dict[Outcome, Money] = field(default_factory=dict)

    def add(self, resolution: Resolution) -> None:
        outcome = resolution.outcome
        self.outcomes[outcome] += 1
        if resolution.escalate_to is not None:
            self.escalations_to[resolution.escalate_to] += 1
        total = self.amount(outcome) + resolution.remedy.amount
        if total.amount.copy_abs() >= Money.MAX_AMOUNT:  # a sum no amount is: refused here, before any report
            raise InvalidInputError.at(
                "records",
                "amounts",
                f"what was asked in the {outcome.value} decisions adds up to {total.amount:,}, beyond the largest "
                f"amount (it must be smaller than {Money.MAX_AMOUNT:,}); simulate fewer records at once",
            )
        self.amounts[outcome] = total

    def amount(self, outcome: Outcome) -> Money:
        """The sum of what was asked in decisions with ``outcome`` (for approvals: granted on the spot)."""
        return self.amounts.get(outcome) or Money.zero(self.currency)

    def to_json(self) -> dict[str, Any]:
        return {
            "outcomes": {outcome.value: self.outcomes[outcome] for outcome in OUTCOMES},
            "amounts": {outcome.value: str(self.amount(outcome)) for outcome in OUTCOMES},
            "escalations_to": dict(sorted(self.escalations_to.items())),
        }


@dataclass
class LevelComparison:
    """The decisions one acting level made, under both policies."""

    current: Side
    candidate: Side
    decisions: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"decisions": self.decisions, "current": self.current.to_json(), "candidate": self.candidate.to_json()}


@dataclass(frozen=True)
class Change:
    """A recorded decision that comes out differently under the candidate."""

    where: str
    by: str
    current: Outcome
    candidate: Outcome
    current_to: str | None
    candidate_to: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "by": self.by,
            "current": {"outcome": self.current.value, "escalate_to": self.current_to},
            "candidate": {"outcome": self.candidate.value, "escalate_to": self.candidate_to},
        }


@dataclass(frozen=True)
class Invalid:
    """A record that could not be replayed, and why."""

    where: str
    problems: tuple[Problem, ...]

    def __str__(self) -> str:
        return f"{self.where}: " + "; ".join(str(problem) for problem in self.problems)


@dataclass
class Simulation:
    """What changes when the recorded decisions are decided under the candidate instead."""

    source: str
    currency: str
    current: Side
    candidate: Side
    matrix: Counter[tuple[Outcome, Outcome]] = field(default_factory=Counter)
    per_level: dict[str, LevelComparison] = field(default_factory=dict)
    per_revision: dict[str, LevelComparison] = field(default_factory=dict)
    """The decisions per revision of the policy that recorded them (a journal's), :data:`NOT_RECORDED` for records
    that name none (a JSON Lines file, a journal written before event format 3); in the order first met."""
    revisions: dict[str, str] = field(default_factory=dict)
    """The revision of each side's policy: ``current``, ``candidate``."""
    changes: list[Change] = field(default_factory=list)
    invalid: list[Invalid] = field(default_factory=list)
    decisions: int = 0

    @property
    def escalations_avoided(self) -> int:
        return sum(n for (old, new), n in self.matrix.items() if old is Outcome.ESCALATED and new is not old)

    @property
    def escalations_added(self) -> int:
        return sum(n for (old, new), n in self.matrix.items() if new is Outcome.ESCALATED and new is not old)

    @property
    def rerouted(self) -> int:
        """Escalated under both policies, but to a different level."""
        return sum(
            1
            for change in self.changes
            if change.current is change.candidate is Outcome.ESCALATED and change.current_to != change.candidate_to
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "decisions": self.decisions,
            "skipped": [str(invalid) for invalid in self.invalid],
            "current": self.current.to_json(),
            "candidate": self.candidate.to_json(),
            "moved": [
                {"from": old.value, "to": new.value, "count": self.matrix[old, new]}
                for old in OUTCOMES
                for new in OUTCOMES
                if old is not new and self.matrix[old, new]
            ],
            "matrix": {old.value: {new.value: self.matrix[old, new] for new in OUTCOMES} for old in OUTCOMES},
            "escalations": {
                "current": self.current.outcomes[Outcome.ESCALATED],
                "candidate": self.candidate.outcomes[Outcome.ESCALATED],
                "avoided": self.escalations_avoided,
                "added": self.escalations_added,
                "rerouted": self.rerouted,
            },
            "per_level": {name: figures.to_json() for name, figures in self.per_level.items()},
            "per_revision": {name: figures.to_json() for name, figures in self.per_revision.items()},
            "changes": [change.to_json() for change in self.changes],
        }


def simulate(
    current: Policy,
    candidate: Policy,
    source: RecordSource,
    *,
    advance: Callable[[int], None] | None = None,
) -> Simulation:
    """Decide every record of ``source`` under both policies and compare.

    A record that is not valid, or that one of the policies cannot decide
    (a level it does not have, a remedy kind outside its vocabulary), is
    collected in :attr:`Simulation.invalid` and left out of the figures.
    """
    currency = current.currency
    result = Simulation(source.name, currency, Side(currency), Side(currency))
    result.revisions = {"current": current.revision, "candidate": candidate.revision}
    for name in dict.fromkeys(level.name for level in (*current.levels, *candidate.levels)):
        result.per_level[name] = LevelComparison(Side(currency), Side(currency))
    reached = 0
    for recorded in source:
        if advance is not None and recorded.progress > reached:
            advance(recorded.progress - reached)
            reached = recorded.progress
        record = recorded.record
        if record is None:
            result.invalid.append(Invalid(recorded.where, recorded.problems))
            continue
        try:
            counted = recorded.granted_for  # a journal's ledger, per window of each policy
            before = _decide(current, "current", record, counted, also=candidate)
            after = _decide(candidate, "candidate", record, counted, also=current)
        except InvalidInputError as error:
            result.invalid.append(Invalid(recorded.where, error.problems))
            continue
        result.decisions += 1
        result.current.add(before)
        result.candidate.add(after)
        result.matrix[before.outcome, after.outcome] += 1
        level = result.per_level[record.by]
        level.decisions += 1
        level.current.add(before)
        level.candidate.add(after)
        recorded_under = recorded.revision or NOT_RECORDED
        revision = result.per_revision.get(recorded_under)
        if revision is None:
            revision = result.per_revision[recorded_under] = LevelComparison(Side(currency), Side(currency))
        revision.decisions += 1
        revision.current.add(before)
        revision.candidate.add(after)
        if (before.outcome, before.escalate_to) != (after.outcome, after.escalate_to):
            result.changes.append(
                Change(recorded.where, record.by, before.outcome, after.outcome, before.escalate_to, after.escalate_to)
            )
    result.per_level = {name: figures for name, figures in result.per_level.items() if figures.decisions}
    return result


def _decide(
    policy: Policy,
    which: str,
    record: DecisionRecord,
    counted: Callable[[Policy], dict[Window, Money]] | None,
    *,
    also: Policy,
) -> Resolution:
    """``record`` decided with ``policy``; what was granted before from the journal's ledger (``counted``) or the
    record, whose amounts per window may name the windows of the other policy (``also``) too."""
    try:
        granted = record.granted_under(policy, also=also.windows) if counted is None else counted(policy)
        return policy.decide(record.complaint, by=record.by, granted=granted, now=record.decided_at)
    except InvalidInputError as error:
        raise InvalidInputError(
            "recorded decision",
            [
                Problem(_in_record(problem.location), f"{problem.message} (in the {which} policy)")
                for problem in error.problems
            ],
        ) from None


_COMPLAINT_FIELDS = frozenset(Complaint.model_fields)


def _in_record(location: str) -> str:
    """A problem's location in the recorded complaint: one ``decide`` placed in the complaint
    (``requested.kind``) is under the record's ``complaint`` (``complaint.requested.kind``)."""
    head = location.split(".", 1)[0].split("[", 1)[0]
    return f"complaint.{location}" if head in _COMPLAINT_FIELDS else location
