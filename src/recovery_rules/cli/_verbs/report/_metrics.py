"""``report``: the service metrics of the cases recorded in a journal.

A service-recovery plan is judged by what it measures: which metrics show it
works, and benchmarks to measure its effectiveness against.
The answers come from the journal, where every step of every case is recorded:

- how the first decisions went, and the escalation and denial rates;
- how often the Plan B worked: an alternative accepted, the final offer accepted;
- callbacks kept, late, and overdue now (open cases whose promised time passed);
- time to resolution (median and 90th percentile), per way the case was resolved;
- what was granted, per level (whoever granted it: the front desk on the
  spot, the manager approving an escalation, the manager whose alternative
  was accepted);
- how much of the per-guest cap guests' grants used, within the policy's window;
- all of it per complaint category too.

A case counts when it was opened within the period (``since`` inclusive,
``until`` exclusive), as it stood at ``now``: events later than ``now`` are
left out. Percentiles are nearest-rank: the median is a time at least half of
the cases were resolved within, the 90th percentile one at least 90% were.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Any, Final, TypeVar

from recovery_rules import CaseOutcome, CaseState, CaseView, ChainHead, Money, Outcome, Resolution
from recovery_rules.cli._journal_reader import CaseReplay

_NOUN: Final = re.compile(r"\bthe per-([a-z][a-z0-9_]*) cap\b")
"""How a decision's trace names the customer in its cap: "the per-guest cap of $2,000.00"."""

__all__ = [
    "CAP_BANDS",
    "Amounts",
    "CallbackOwed",
    "CategoryFigures",
    "LevelActivity",
    "Rate",
    "Report",
    "build_report",
    "nearest_rank",
    "percent",
]

_T = TypeVar("_T")

OUTCOMES: Final = tuple(Outcome)
CASE_OUTCOMES: Final = tuple(CaseOutcome)
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
"""Rates and shares are ratios, not money: rounded to 12 digits (money's own context refuses any rounding).

Every figure of it is written out, none copied from :data:`decimal.DefaultContext`, which a host app
may have changed; every computation on a ratio names it, so the thread's own context changes nothing."""
_TENTH: Final = Decimal("0.1")
_RESOLVING: Final = frozenset({"delivered", "alternative_accepted", "final_offer_accepted", "report_written"})
"""The kinds of event that resolve a case: the moment its outcome is known."""

_ALTERNATIVES: Final = {
    "denial_explained": "offered",
    "alternative_accepted": "accepted",
    "alternatives_declined": "declined",
}
_FINAL_OFFERS: Final = {
    "final_offer_made": "made",
    "final_offer_accepted": "accepted",
    "final_offer_declined": "declined",
}

CAP_BANDS: Final = (
    ("0%", Decimal(0)),
    ("up to 10%", Decimal("0.10")),
    ("10-25%", Decimal("0.25")),
    ("25-50%", Decimal("0.50")),
    ("50-75%", Decimal("0.75")),
    ("75-100%", Decimal(1)),
)
"""Bands of the share of the cap a guest used, each with its upper bound (inclusive)."""


def percent(ratio: Decimal) -> str:
    """A ratio as a percentage with one decimal, ``33.3%``, the same whatever the calling thread's decimal context."""
    return f"{_RATIOS.multiply(ratio, 100).quantize(_TENTH, context=_RATIOS):f}%"


def nearest_rank(values: Sequence[_T], percent: int) -> _T:
    """The nearest-rank ``percent`` percentile of sorted ``values``: at least that share of them is at or below it."""
    if not values:
        raise ValueError("no values")
    rank = -(-percent * len(values) // 100)  # ceil(percent / 100 * n), in integers
    return values[max(rank, 1) - 1]


class Amounts:
    """Sums of money, one per currency (a journal normally holds one)."""

    __slots__ = ("_sums",)

    def __init__(self) -> None:
        self._sums: dict[str, Money] = {}

    def add(self, money: Money) -> None:
        previous = self._sums.get(money.currency)
        self._sums[money.currency] = money if previous is None else previous + money

    def of(self, currency: str | None) -> list[Money]:
        """Every sum, or zero in ``currency`` when there is none."""
        if self._sums:
            return [self._sums[name] for name in sorted(self._sums)]
        return [Money.zero(currency)] if currency else []

    def text(self, currency: str | None) -> str:
        """``$1,500.00`` (``$1,500.00 + €20.00`` for two currencies)."""
        return " + ".join(money.display() for money in self.of(currency)) or "0"

    def json(self, currency: str | None) -> str:
        """``1500.00 USD`` (``1500.00 USD + 20.00 EUR`` for two currencies)."""
        return " + ".join(str(money) for money in self.of(currency)) or "0"

    def largest(self) -> Decimal:
        """The largest sum's amount, for a chart's scale (0 when there is none)."""
        return max((money.amount for money in self._sums.values()), default=Decimal(0))


@dataclass(frozen=True, slots=True)
class Rate:
    """``count`` of ``of``: 12 escalations of 36 decided cases."""

    count: int
    of: int

    @property
    def value(self) -> Decimal | None:
        return None if not self.of else _RATIOS.divide(Decimal(self.count), Decimal(self.of))

    def percent(self) -> str:
        value = self.value
        return "-" if value is None else percent(value)

    def to_json(self) -> dict[str, Any]:
        value = self.value
        return {"count": self.count, "of": self.of, "rate": None if value is None else round(float(value), 4)}


@dataclass
class LevelActivity:
    """What one authority level decided and granted."""

    decisions: int = 0
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    grants: int = 0
    granted: Amounts = field(default_factory=Amounts)


@dataclass
class CategoryFigures:
    """The cases of one complaint category."""

    cases: int = 0
    first: Counter[Outcome] = field(default_factory=Counter)
    open: int = 0
    granted: Amounts = field(default_factory=Amounts)


@dataclass(frozen=True, slots=True)
class CallbackOwed:
    """An open case whose customer is still owed a callback past its time."""

    number: str
    due: dt.datetime
    state: str
    escalated_to: str | None


@dataclass
class Report:
    """The metrics of the cases opened within the period, as they stood at ``now``."""

    source: str
    now: dt.datetime
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    head: ChainHead | None = None
    walked: bool = True  # the whole chain walked and checked (a period's report reads only its cases)
    expected_head: ChainHead | None = None
    later: int = 0
    currency: str | None = None
    cases: int = 0
    open: int = 0
    undecided: int = 0
    policies: Counter[str] = field(default_factory=Counter)
    first: Counter[Outcome] = field(default_factory=Counter)
    escalations: Counter[str] = field(default_factory=Counter)
    """``approved`` and ``denied`` by the higher level; the rest are still waiting."""
    alternatives: Counter[str] = field(default_factory=Counter)
    """``offered``, ``accepted``, ``declined``."""
    final_offers: Counter[str] = field(default_factory=Counter)
    """``made``, ``accepted``, ``declined``."""
    callbacks: Counter[str] = field(default_factory=Counter)
    """``kept``, ``late`` (the customer heard back after the promised time), ``overdue``, ``pending``."""
    overdue: list[CallbackOwed] = field(default_factory=list)
    resolved: dict[CaseOutcome, list[dt.timedelta]] = field(default_factory=dict)
    per_level: dict[str, LevelActivity] = field(default_factory=dict)
    per_category: dict[str, CategoryFigures] = field(default_factory=dict)
    granted: Amounts = field(default_factory=Amounts)
    caps: dict[str, Money] = field(default_factory=dict)
    """The per-guest cap of each policy, as the decisions' traces state it."""
    nouns: dict[str, str] = field(default_factory=dict)
    """What each policy calls its customers ("guest", "customer"), as its decisions' traces say it."""
    _guests: dict[str, tuple[str, list[tuple[str, Money]]]] = field(default_factory=dict)
    """Each guest's policy and, for each grant, the policy and the guest's total within the window after it."""

    # -- counting ---------------------------------------------------------------
    def add(self, view: CaseView) -> None:
        """Count one case (in the period, as it stood at ``now``)."""
        complaint = view.complaint
        currency = complaint.requested.amount.currency
        self.currency = self.currency or currency
        self.cases += 1
        self.policies[view.policy] += 1
        self._level(view.level)
        category = self.per_category.setdefault(complaint.category, CategoryFigures())
        category.cases += 1
        if view.state is not CaseState.CLOSED:
            self.open += 1
            category.open += 1
        decision = view.decision
        if decision is None:
            self.undecided += 1
        else:
            self.first[decision.outcome] += 1
            category.first[decision.outcome] += 1
            if decision.escalate_to is not None:
                self._level(decision.escalate_to)
        self._walk(view, category, self._guests.setdefault(complaint.customer.id, (view.policy, []))[1])

    def _walk(self, view: CaseView, category: CategoryFigures, totals: list[tuple[str, Money]]) -> None:
        """Count the steps of one case: decisions, the Plan B, resolution, grants and callbacks."""
        decision = view.decision
        opened_at = view.history[0].at
        owed: dt.datetime | None = None
        for event in view.history:
            resolution = self._step(event.kind, event.actor, view)
            if event.kind in _RESOLVING and view.outcome is not None:
                self.resolved.setdefault(view.outcome, []).append(event.at - opened_at)
            if event.grant is not None:
                self._grant(event.actor, event.grant, category)
                before = decision.granted_before if decision is not None else Money.zero(event.grant.currency)
                totals.append((view.policy, resolution.total if resolution is not None else before + event.grant))
            if owed is not None and event.callback_due is None:
                self.callbacks["kept" if event.at <= owed else "late"] += 1
            owed = event.callback_due
        if owed is not None:
            if owed < self.now:
                self.callbacks["overdue"] += 1
                self.overdue.append(CallbackOwed(str(view.complaint.number), owed, view.state, view.escalated_to))
            else:
                self.callbacks["pending"] += 1

    def _step(self, kind: str, level: str, view: CaseView) -> Resolution | None:
        """Count one step; a decision's step returns its resolution."""
        if kind == "decided":
            return self._decided(level, view.decision)
        if kind == "manager_approved":
            self.escalations["approved"] += 1
            return self._decided(level, view.resolution)
        if kind == "manager_denied":
            self._level(level).decisions += 1
            self._level(level).outcomes[Outcome.DENIED] += 1
            self.escalations["denied"] += 1
        elif kind in _ALTERNATIVES:
            self.alternatives[_ALTERNATIVES[kind]] += 1
        elif kind in _FINAL_OFFERS:
            self.final_offers[_FINAL_OFFERS[kind]] += 1
        return None

    def _level(self, name: str) -> LevelActivity:
        return self.per_level.setdefault(name, LevelActivity())

    def _decided(self, level: str, resolution: Resolution | None) -> Resolution:
        if resolution is None:  # the case path guarantees it; reaching this is a bug
            raise AssertionError("a decision event without its resolution")
        figures = self._level(level)
        figures.decisions += 1
        figures.outcomes[resolution.outcome] += 1
        for entry in resolution.trace:
            cap = entry.figures.get("cap") if entry.rule == "cap.hard" else None
            if cap is not None:
                self.caps[resolution.policy] = cap
                noun = _NOUN.search(entry.message)
                if noun is not None:
                    self.nouns[resolution.policy] = noun[1]
        return resolution

    def _grant(self, level: str, grant: Money, category: CategoryFigures) -> None:
        figures = self._level(level)
        figures.grants += 1
        figures.granted.add(grant)
        category.granted.add(grant)
        self.granted.add(grant)

    # -- figures ------------------------------------------------------------------
    @property
    def decided(self) -> int:
        return self.cases - self.undecided

    def escalation_rate(self) -> Rate:
        return Rate(self.first[Outcome.ESCALATED], self.decided)

    def denial_rate(self) -> Rate:
        """Denied by the decision, or by the higher level after an escalation."""
        return Rate(self.first[Outcome.DENIED] + self.escalations["denied"], self.decided)

    def alternative_rate(self) -> Rate:
        """Of the customers who answered the two alternatives, those who accepted one."""
        answered = self.alternatives["accepted"] + self.alternatives["declined"]
        return Rate(self.alternatives["accepted"], answered)

    def final_offer_rate(self) -> Rate:
        """Of the customers who answered the final offer, those who accepted it."""
        return Rate(self.final_offers["accepted"], self.final_offers["accepted"] + self.final_offers["declined"])

    def callback_rate(self) -> Rate:
        """Of the callbacks whose time has come, those kept in time (overdue ones count as not kept)."""
        due = self.callbacks["kept"] + self.callbacks["late"] + self.callbacks["overdue"]
        return Rate(self.callbacks["kept"], due)

    def rates(self) -> list[tuple[str, str, Rate]]:
        """Every rate: its key, its name in words, and the figures."""
        return [
            ("escalation", "escalation rate", self.escalation_rate()),
            ("denial", "denial rate", self.denial_rate()),
            ("alternative_accepted", "alternative accepted", self.alternative_rate()),
            ("final_offer_accepted", "final offer accepted", self.final_offer_rate()),
            ("callback_kept", "callbacks kept", self.callback_rate()),
        ]

    def resolution_times(self, outcome: CaseOutcome | None = None) -> list[dt.timedelta]:
        """The times from opening to resolution, sorted: of one outcome, or of all."""
        groups = self.resolved.values() if outcome is None else [self.resolved.get(outcome, [])]
        return sorted(time for group in groups for time in group)

    def cap_shares(self) -> list[Decimal]:
        """For each guest of a policy with a cap: the most of it their grants reached within one window, sorted.

        A grant's total is the guest's total within the policy's window after
        it, as the decision saw it (``total`` of the resolution; for an accepted
        alternative, what was granted before the decision plus its value).
        """
        shares = []
        for policy, totals in self._guests.values():
            cap = self.caps.get(policy)
            if cap is None:
                continue
            share = Decimal(0)
            for grant_policy, total in totals:
                grant_cap = self.caps.get(grant_policy)
                if grant_cap is not None and grant_cap.amount > 0:
                    share = max(share, _RATIOS.divide(total.amount, grant_cap.amount))
            shares.append(share)
        return sorted(shares)

    @property
    def guests(self) -> int:
        return len(self._guests)

    @property
    def customer_noun(self) -> str:
        """What the policies call a customer, when they agree ("guest"); "customer" when they differ or say nothing."""
        nouns = set(self.nouns.values())
        return nouns.pop() if len(nouns) == 1 else "customer"

    def cap_bands(self, shares: Iterable[Decimal]) -> dict[str, int]:
        bands = dict.fromkeys((name for name, _ in CAP_BANDS), 0)
        for share in shares:
            name = next((name for name, bound in CAP_BANDS if share <= bound), CAP_BANDS[-1][0])
            bands[name] += 1
        return bands

    def overdue_sorted(self) -> list[CallbackOwed]:
        return sorted(self.overdue, key=lambda owed: (owed.due, owed.number))

    def categories(self) -> list[tuple[str, CategoryFigures]]:
        """The categories, most cases first."""
        return sorted(self.per_category.items(), key=lambda item: (-item[1].cases, item[0]))

    # -- JSON -----------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        currency = self.currency
        shares = self.cap_shares()
        times = self.resolution_times()
        return {
            "source": self.source,
            "journal": {
                "events": self.head.count if self.head else 0,
                "head": str(self.head) if self.head else None,
                "verified": self.walked,
                "expected_head": str(self.expected_head) if self.expected_head else None,
                "later_than_now": self.later,
            },
            "period": {
                "since": _time(self.since),
                "until": _time(self.until),
                "now": _time(self.now),
            },
            "policies": dict(sorted(self.policies.items())),
            "cases": {"total": self.cases, "open": self.open, "closed": self.cases - self.open},
            "first_decisions": {
                "decided": self.decided,
                "undecided": self.undecided,
                **{outcome.value: self.first[outcome] for outcome in OUTCOMES},
            },
            "escalations": {
                "total": self.first[Outcome.ESCALATED],
                "approved": self.escalations["approved"],
                "denied": self.escalations["denied"],
                "waiting": self.first[Outcome.ESCALATED] - self.escalations["approved"] - self.escalations["denied"],
            },
            "rates": {key: rate.to_json() for key, _, rate in self.rates()},
            "plan_b": {
                "alternatives": {name: self.alternatives[name] for name in ("offered", "accepted", "declined")},
                "final_offers": {name: self.final_offers[name] for name in ("made", "accepted", "declined")},
            },
            "callbacks": {name: self.callbacks[name] for name in ("kept", "late", "overdue", "pending")},
            "overdue_callbacks": [
                {
                    "number": owed.number,
                    "callback_by": _time(owed.due),
                    "overdue_seconds": _seconds(self.now - owed.due),
                    "state": owed.state,
                    "escalated_to": owed.escalated_to,
                }
                for owed in self.overdue_sorted()
            ],
            "time_to_resolution": {
                "all": _spread(times),
                **{outcome.value: _spread(self.resolution_times(outcome)) for outcome in CASE_OUTCOMES},
            },
            "outcomes": {
                **{outcome.value: len(self.resolved.get(outcome, [])) for outcome in CASE_OUTCOMES},
                "unresolved": self.cases - len(times),
            },
            "granted": self.granted.json(currency),
            "per_level": {
                name: {
                    "decisions": figures.decisions,
                    **{outcome.value: figures.outcomes[outcome] for outcome in OUTCOMES},
                    "grants": figures.grants,
                    "granted": figures.granted.json(currency),
                }
                for name, figures in self.per_level.items()
            },
            "per_category": {
                name: {
                    "cases": figures.cases,
                    **{outcome.value: figures.first[outcome] for outcome in OUTCOMES},
                    "open": figures.open,
                    "granted": figures.granted.json(currency),
                }
                for name, figures in self.categories()
            },
            "cap_share": {
                "caps": {policy: str(cap) for policy, cap in sorted(self.caps.items())},
                "guests": len(shares),
                "without_cap": self.guests - len(shares),
                "median": _share(nearest_rank(shares, 50)) if shares else None,
                "p90": _share(nearest_rank(shares, 90)) if shares else None,
                "max": _share(shares[-1]) if shares else None,
                "bands": self.cap_bands(shares),
            },
        }


def _time(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _seconds(delta: dt.timedelta) -> int:
    return int(delta.total_seconds())


def _share(value: Decimal) -> float:
    return round(float(value), 4)


def _spread(times: list[dt.timedelta]) -> dict[str, int | None]:
    return {
        "cases": len(times),
        "median_seconds": _seconds(nearest_rank(times, 50)) if times else None,
        "p90_seconds": _seconds(nearest_rank(times, 90)) if times else None,
    }


def build_report(
    replay: CaseReplay,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    advance: Callable[[int], None] | None = None,
) -> Report:
    """Read every event of ``replay`` and count the cases opened within ``[since, until)``."""
    if replay.now is None:
        raise ValueError("a report is as of a moment: give the replay a now")
    report = Report(replay.name, replay.now, since, until)

    def counted(view: CaseView) -> bool:
        opened = view.history[0].at
        return (since is None or opened >= since) and (until is None or opened < until)

    reached = 0
    for replayed in replay:
        seq = replayed.event.seq
        if advance is not None and seq > reached:
            advance(seq - reached)
            reached = seq
        if replayed.case.state is CaseState.CLOSED and counted(replayed.case):
            report.add(replayed.case)
    for view in replay.unfinished():
        if counted(view):
            report.add(view)
    report.head = replay.head
    report.walked = replay.walked
    report.expected_head = replay.expected_head
    report.later = replay.later
    return report
