"""Counting a journal's cases into a :class:`~recovery_rules.metrics.Report`.

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
- how much of the per-customer cap customers' grants used, within the policy's window;
- all of it per complaint category too;
- per employee (every step counts for the employee who took it: the cases in which they took any
  step, their first decisions and escalations, the Plan B they offered, the callbacks their step
  answered, the personal calls they made) and per policy revision (the first decisions under each);
- the manager's personal calls promised by written reports: kept, late, overdue, pending, apart
  from the escalation callbacks.

A case counts when it was opened within the period (``since`` inclusive,
``until`` exclusive), as it stood at ``now``: events later than ``now`` are
left out. Percentiles are nearest-rank: the median is a time at least half of
the cases were resolved within, the 90th percentile one at least 90% were.

Groupings (per level, per category, and more to come) are one function of a key,
:func:`group_figures`, each group the same :class:`GroupFigures`.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from recovery_rules._case._path import CaseOutcome, CaseState, CaseView
from recovery_rules._engine._resolution import Outcome, Resolution, TraceEntry
from recovery_rules._journal import ChainHead, Event, Journal, well_formed_head
from recovery_rules._policy._policy import Policy, compiled_policy
from recovery_rules._values._money import Money
from recovery_rules._values._shown import shown
from recovery_rules._values._time import Window, exact_datetime, is_aware
from recovery_rules.exceptions import CurrencyMismatchError, InvalidInputError, Problem

from ._figures import (
    CAP_BANDS,
    NOT_RECORDED,
    RATIOS,
    AlternativeFigures,
    CallbackFigures,
    CapShare,
    CaseCounts,
    EmployeeFigures,
    Escalations,
    FinalOffers,
    FirstDecisions,
    GroupFigures,
    JournalRead,
    OverdueCallback,
    Period,
    PersonalCallFigures,
    PlanB,
    Rate,
    Rates,
    Report,
    RevisionFigures,
    Spread,
    nearest_rank,
    rounded,
)
from ._replay import CaseReplay, PeriodReplay, is_finished
from ._satisfaction import SatisfactionTally

__all__ = [
    "GroupKey",
    "Grouping",
    "build",
    "by_category",
    "by_employee",
    "by_level",
    "by_revision",
    "group_figures",
]

_NOUN: Final = re.compile(r"\bthe per-([a-z][a-z0-9_]*) cap\b")
"""How a decision's trace names the customer in its cap: "the per-guest cap of $2,000.00"."""
_RESOLVING: Final = frozenset({CaseState.RESOLVED.value, CaseState.REPORTED.value})
"""The states an event that resolves a case leads to: the first such event is the moment its outcome is
known (a delivered counter-offer is not resolved yet: the customer accepts or declines it; a manager's
personal call after the report keeps the state, and resolves nothing again)."""
_DECISIONS: Final = frozenset({"decided", "manager_approved", "manager_denied"})
"""The kinds of event that decide: the first decision, and the higher level's answer to an escalation."""
_HIGHER: Final = frozenset({"manager_approved", "manager_denied"})
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

GroupKey = Callable[[CaseView, Event], "str | None"]
"""The group a step of a case counts in (``None``: in none), given the case as it stands at the end of the period."""


def by_level(view: CaseView, event: Event) -> str | None:
    """Each step counts for the level that took it: its decisions, and what it granted."""
    return event.actor


def by_category(view: CaseView, event: Event) -> str | None:
    """Every step of a case counts in its complaint's category."""
    return view.complaint.category


def by_employee(view: CaseView, event: Event) -> str:
    """Each step counts for the employee who took it (its ``employee``); a step that named none, under
    :data:`NOT_RECORDED`."""
    return event.employee if event.employee is not None else NOT_RECORDED


def by_revision(view: CaseView, event: Event) -> str:
    """Each step counts under the policy revision it followed (its ``policy_revision``); a step of a journal
    written before revisions were recorded (event format 3), under :data:`NOT_RECORDED`."""
    return event.policy_revision if event.policy_revision is not None else NOT_RECORDED


def _outcome(view: CaseView, event: Event) -> Outcome:
    if event.kind == "manager_denied":
        return Outcome.DENIED
    resolution = view.decision if event.kind == "decided" else view.resolution
    if resolution is None:  # the case path guarantees it; reaching this is a bug
        raise AssertionError("a decision event without its resolution")
    return resolution.outcome


@dataclass
class _Group:
    cases: int = 0
    open: int = 0
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    grants: int = 0
    granted: dict[str, Money] = field(default_factory=dict)

    def figures(self, currency: str | None) -> GroupFigures:
        return GroupFigures(
            cases=self.cases,
            open=self.open,
            decisions=sum(self.outcomes.values()),
            approved=self.outcomes[Outcome.APPROVED],
            escalated=self.outcomes[Outcome.ESCALATED],
            denied=self.outcomes[Outcome.DENIED],
            grants=self.grants,
            granted=_sum(self.granted, currency),
        )


class Grouping:
    """The cases counted into the groups ``key`` puts their steps in, one case at a time (none is kept).

    A case counts in each group one of its steps is in; a decision and a grant, in
    the group of their step. With ``first_decisions``, only the cases' first
    decisions count (not the higher level's answers to escalations). ``names``
    come first, in their order, even without a step (a policy's levels); the other
    groups follow in the order they first appear (``seeds`` names groups a case
    brings in before its steps: the level an escalation goes to).
    """

    def __init__(
        self,
        key: GroupKey,
        *,
        first_decisions: bool = False,
        names: Sequence[str] = (),
        seeds: Callable[[CaseView], Iterable[str]] | None = None,
    ) -> None:
        self._key = key
        self._first_decisions = first_decisions
        self._seeds = seeds
        self._groups: dict[str, _Group] = {name: _Group() for name in names}

    def add(self, view: CaseView) -> None:
        """Count one case, as it stands."""
        groups = self._groups
        for seed in self._seeds(view) if self._seeds is not None else ():
            groups.setdefault(seed, _Group())
        touched: dict[str, _Group] = {}
        for event in view.history:
            name = self._key(view, event)
            if name is None:
                continue
            group = touched.get(name)
            if group is None:
                group = touched[name] = groups.setdefault(name, _Group())
            if event.kind in _DECISIONS and not (self._first_decisions and event.kind in _HIGHER):
                group.outcomes[_outcome(view, event)] += 1
            if event.grant is not None:
                group.grants += 1
                _add(group.granted, event.grant)
        still_open = view.state is not CaseState.CLOSED
        for group in touched.values():
            group.cases += 1
            group.open += still_open

    def figures(self, currency: str | None) -> dict[str, GroupFigures]:
        """Each group's figures, amounts in ``currency``."""
        return {name: group.figures(currency) for name, group in self._groups.items()}


def group_figures(
    views: Iterable[CaseView],
    key: GroupKey,
    *,
    currency: str | None,
    first_decisions: bool = False,
    names: Sequence[str] = (),
    seeds: Callable[[CaseView], Iterable[str]] | None = None,
) -> dict[str, GroupFigures]:
    """The figures of each group ``key`` puts the cases' steps in, one :class:`GroupFigures` per group.

    ``key(view, event)`` names the group a step of a case counts in (``None``: none):
    :func:`by_level` (who took the step), :func:`by_category` (the complaint's
    category), or a key of your own (the customer's tier...). A case counts in each
    group one of its steps is in, a decision and a grant in the group of their step.
    With ``first_decisions``, only the cases' first decisions count, not the higher
    level's answers to escalations (``per_category`` counts so). ``names`` come
    first, in their order, even without a step (a policy's levels); the other groups
    follow in the order they first appear (``seeds(view)`` names groups a case
    brings in before its steps: the level an escalation goes to). Amounts are summed
    in ``currency`` (``None``: no amounts, every ``granted`` is ``None``); a grant in another currency raises
    :class:`~recovery_rules.CurrencyMismatchError`, never left out of the sum nor converted.
    """
    if isinstance(views, str | bytes) or not isinstance(views, Iterable):
        raise InvalidInputError.at(
            "grouping",
            "views",
            f"must be an iterable of CaseView, such as [CaseView.replay(journal.events(number))], not {shown(views)}",
        )
    if not callable(key):
        raise InvalidInputError.at("grouping", "key", f"must be a function such as metrics.by_level, not {shown(key)}")
    if isinstance(names, str | bytes) or not isinstance(names, Sequence) or not all(isinstance(n, str) for n in names):
        raise InvalidInputError.at(
            "grouping", "names", f"must be a sequence of group names, such as ['staff', 'manager'], not {shown(names)}"
        )
    if seeds is not None and not callable(seeds):
        raise InvalidInputError.at(
            "grouping", "seeds", f"must be a function of a CaseView giving group names, or None, not {shown(seeds)}"
        )

    def named(view: CaseView, event: Event) -> str | None:
        name = key(view, event)
        if name is not None and not isinstance(name, str):
            raise InvalidInputError.at(
                "grouping", "key", f"must name a group with a string, or None for none, not {shown(name)}"
            )
        return name

    def seeded(view: CaseView) -> Iterable[str]:
        given = seeds(view) if seeds is not None else ()
        if isinstance(given, str | bytes) or not isinstance(given, Iterable):
            raise InvalidInputError.at(
                "grouping", "seeds", f"must give an iterable of group names, such as ['manager'], not {shown(given)}"
            )
        given = list(given)
        if not all(isinstance(name, str) for name in given):
            raise InvalidInputError.at("grouping", "seeds", f"must name groups with strings, not {shown(given)}")
        return given

    grouping = Grouping(named, first_decisions=first_decisions, names=names, seeds=seeded)
    for view in views:
        if not isinstance(view, CaseView):
            raise InvalidInputError.at("grouping", "views", f"must hold CaseView values only, not {shown(view)}")
        grouping.add(view)
    return grouping.figures(currency)


def _add(sums: dict[str, Money], money: Money) -> None:
    previous = sums.get(money.currency)
    total = money if previous is None else previous + money
    if total.amount.copy_abs() >= Money.MAX_AMOUNT:  # a sum no figure can hold: said so, never carried on
        raise InvalidInputError.at(
            "report",
            "granted",
            f"adds up to {total.amount:,} {total.currency}, beyond the largest amount a figure holds (it must be "
            f"smaller than {Money.MAX_AMOUNT:,}); report a shorter period (since and until)",
        )
    sums[money.currency] = total


def _sum(sums: dict[str, Money], currency: str | None) -> Money | None:
    if currency is None:
        return None
    zero = Money.zero(currency)  # a currency that is not one is refused as such first
    for other in sums:
        if other != currency:  # never dropped from the sum in silence, nor converted
            raise CurrencyMismatchError(
                currency, other, location="currency", message=f"a grant is in {other}, but the figures sum {currency}"
            )
    return sums.get(currency, zero)


@dataclass
class _Tally:
    """The counts of the cases opened within the period, as they stood at ``now``."""

    now: dt.datetime
    policy: Policy | None
    currency: str | None = None
    cases: int = 0
    open: int = 0
    per_level: Grouping = field(init=False)
    per_category: Grouping = field(init=False)
    policies: Counter[str] = field(default_factory=Counter)
    first: Counter[Outcome] = field(default_factory=Counter)
    escalations: Counter[str] = field(default_factory=Counter)
    alternatives: Counter[str] = field(default_factory=Counter)
    final_offers: Counter[str] = field(default_factory=Counter)
    callbacks: Counter[str] = field(default_factory=Counter)
    overdue: list[OverdueCallback] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    """The manager's personal calls after written reports, apart from the escalation callbacks."""
    overdue_calls: list[OverdueCallback] = field(default_factory=list)
    per_employee: _People = field(init=False)
    per_revision: _Revisions = field(init=False)
    resolved: dict[CaseOutcome, list[dt.timedelta]] = field(default_factory=dict)
    granted: dict[str, Money] = field(default_factory=dict)
    caps: dict[str, Money] = field(default_factory=dict)
    nouns: dict[str, str] = field(default_factory=dict)
    guests: dict[str, tuple[str, list[tuple[str, Money | None, Money]]]] = field(default_factory=dict)
    """Each customer's policy and, for each grant, the policy, the cap its decision saw (``None``: none in its trace)
    and the customer's total within the window after it."""
    satisfaction: SatisfactionTally = field(default_factory=SatisfactionTally)

    def __post_init__(self) -> None:
        names = [level.name for level in self.policy.levels] if self.policy is not None else []
        self.per_level = Grouping(by_level, names=names, seeds=_level_seeds)
        self.per_category = Grouping(by_category, first_decisions=True)
        self.per_employee = _People()
        self.per_revision = _Revisions()

    def add(self, view: CaseView) -> None:
        """Count one case (in the period, as it stood at ``now``)."""
        complaint = view.complaint
        currency = complaint.requested.amount.currency
        if self.currency is None:
            self.currency = currency
        elif currency != self.currency:
            whose = "the policy's currency" if self.policy is not None else "the currency of the cases before it"
            raise CurrencyMismatchError(
                self.currency,
                currency,
                location=str(view.number),
                message=f"the case is in {currency}, but {whose} is {self.currency}; a report sums one currency",
            )
        self.cases += 1
        self.open += view.state is not CaseState.CLOSED
        self.per_level.add(view)
        self.per_category.add(view)
        self.satisfaction.add(view)
        self.policies[view.policy] += 1
        if view.decision is not None:
            self.first[view.decision.outcome] += 1
        totals = self.guests.setdefault(complaint.customer.id, (view.policy, []))[1]
        decision = view.decision
        opened_at = view.history[0].at
        resolved = False
        for event in view.history:
            resolution = self._step(event.kind, view)
            if not resolved and event.state in _RESOLVING and view.outcome is not None:
                resolved = True
                self.resolved.setdefault(view.outcome, []).append(
                    # a step may be dated up to five minutes before the one before it (clocks differ), so a case
                    # can be resolved at a time before its opening: at once, never in a negative time
                    max(event.at - opened_at, dt.timedelta(0))
                )
            if event.grant is not None:
                _add(self.granted, event.grant)
                before = decision.granted_before if decision is not None else Money.zero(event.grant.currency)
                seen = resolution if resolution is not None else decision
                total = resolution.total if resolution is not None else before + event.grant
                totals.append((view.policy, _cap_in(seen, self._window(seen)) if seen is not None else None, total))
            if event.kind == "report_written":
                self.calls["reports"] += 1
                self.calls["promised"] += event.callback_due is not None
            elif event.kind == "manager_called":
                self.calls["made"] += 1
        answers, owed = _promises(view)
        for answer in answers:
            (self.calls if answer.personal else self.callbacks)["kept" if answer.kept else "late"] += 1
        if owed is not None:
            counts, listed = (self.calls, self.overdue_calls) if owed.personal else (self.callbacks, self.overdue)
            if owed.due < self.now:
                counts["overdue"] += 1
                listed.append(
                    OverdueCallback(
                        number=str(view.number),
                        callback_by=owed.due,
                        overdue_seconds=_seconds(self.now - owed.due),
                        state=view.state,
                        escalated_to=_reported_to(view) if owed.personal else view.escalated_to,
                    )
                )
            else:
                counts["pending"] += 1
        self.per_employee.add(view, answers)
        self.per_revision.add(view)

    def _step(self, kind: str, view: CaseView) -> Resolution | None:
        """Count one step; a decision's step returns its resolution."""
        if kind == "decided":
            return self._decided(view.decision)
        if kind == "manager_approved":
            self.escalations["approved"] += 1
            return self._decided(view.resolution)
        if kind == "offer_accepted":  # decided again against the ledger when accepted: its total is the guest's
            return view.resolution
        if kind == "manager_denied":
            self.escalations["denied"] += 1
        elif kind == "alternative_accepted" and not view.alternatives_offered:
            # one of the decision's alternatives, taken instead of the escalation: offered with no denial, so not
            # among a denial's Plan B (its grant counts in what was granted), and no escalation waits for it
            self.escalations["instead"] += 1
        elif kind in _ALTERNATIVES:
            self.alternatives[_ALTERNATIVES[kind]] += 1
        elif kind in _FINAL_OFFERS:
            self.final_offers[_FINAL_OFFERS[kind]] += 1
        return None

    def _decided(self, resolution: Resolution | None) -> Resolution:
        if resolution is None:  # the case path guarantees it; reaching this is a bug
            raise AssertionError("a decision event without its resolution")
        entry = _window_cap(resolution, self._window(resolution))
        cap = entry.figures.get("cap") if entry is not None else None
        if entry is not None and isinstance(cap, Money):
            self.caps[resolution.policy] = cap
            noun = _NOUN.search(entry.message)
            if noun is not None:
                self.nouns[resolution.policy] = noun[1]
        return resolution

    def _window(self, resolution: Resolution) -> Window | None:
        """The window of the policy that decided ``resolution``, when it is the policy the report is read against."""
        policy = self.policy
        return policy.window if policy is not None and policy.name == resolution.policy else None

    # -- figures ------------------------------------------------------------------
    def rates(self, decided: int) -> Rates:
        answered = self.alternatives["accepted"] + self.alternatives["declined"]
        final = self.final_offers["accepted"] + self.final_offers["declined"]
        due = self.callbacks["kept"] + self.callbacks["late"] + self.callbacks["overdue"]
        return Rates(
            escalation=Rate.of_counts(self.first[Outcome.ESCALATED], decided),
            denial=Rate.of_counts(self.first[Outcome.DENIED] + self.escalations["denied"], decided),
            alternative_accepted=Rate.of_counts(self.alternatives["accepted"], answered),
            final_offer_accepted=Rate.of_counts(self.final_offers["accepted"], final),
            callback_kept=Rate.of_counts(self.callbacks["kept"], due),
        )

    def resolution_times(self, outcome: CaseOutcome | None = None) -> list[dt.timedelta]:
        groups = self.resolved.values() if outcome is None else [self.resolved.get(outcome, [])]
        return sorted(time for group in groups for time in group)

    def cap_share(self) -> CapShare:
        """For each customer of a policy with a cap: the most of it their grants reached within one window.

        A grant's total is the customer's total within the policy's window after
        it, as the decision saw it (``total`` of the resolution; for an accepted
        alternative, what was granted before the decision plus its value).
        """
        if self.policy is not None and self.policy.hard_cap is not None:
            self.caps.setdefault(self.policy.name, self.policy.hard_cap)
        shares = []
        for policy, totals in self.guests.values():
            if self.caps.get(policy) is None:
                continue
            share = Decimal(0)
            for grant_policy, seen, total in totals:
                grant_cap = seen if seen is not None else self.caps.get(grant_policy)
                if grant_cap is not None and grant_cap.amount > 0:
                    share = max(share, RATIOS.divide(total.amount, grant_cap.amount))
            shares.append(share)
        shares.sort()
        bands = dict.fromkeys((name for name, _ in CAP_BANDS), 0)
        for share in shares:
            bands[next((name for name, bound in CAP_BANDS if share <= bound), CAP_BANDS[-1][0])] += 1
        nouns = set(self.nouns.values())
        noun = nouns.pop() if len(nouns) == 1 else "customer"
        if self.policy is not None:
            noun = self.policy.customer_noun
        return CapShare(
            caps=dict(sorted(self.caps.items())),
            guests=len(shares),
            without_cap=len(self.guests) - len(shares),
            median=rounded(nearest_rank(shares, 50)) if shares else None,
            p90=rounded(nearest_rank(shares, 90)) if shares else None,
            max=rounded(shares[-1]) if shares else None,
            bands=bands,
            customer_noun=noun,
        )

    def personal_calls(self) -> PersonalCallFigures:
        calls = self.calls
        return PersonalCallFigures(
            **{key: calls[key] for key in ("reports", "promised", "made", "kept", "late", "overdue", "pending")},
            kept_rate=Rate.of_counts(calls["kept"], calls["kept"] + calls["late"] + calls["overdue"]),
            overdue_calls=tuple(sorted(self.overdue_calls, key=lambda owed: (owed.callback_by, owed.number))),
        )

    def categories(self) -> dict[str, GroupFigures]:
        groups = self.per_category.figures(self.currency)
        return dict(sorted(groups.items(), key=lambda item: (-item[1].cases, item[0])))


def _window_cap(resolution: Resolution, window: Window | None) -> TraceEntry | None:
    """The ``cap.hard`` entry of the cap counted in the policy's own window (``hard_cap``), or ``None``.

    With stacked caps the trace holds one entry per cap (the one that bound last), each naming its window: the
    policy's ``window`` when known, else the one whose figures are the resolution's own (``granted_before`` and
    ``total``); of equals, the first in the trace.
    """
    entries = [entry for entry in resolution.trace if entry.rule == "cap.hard"]
    if len(entries) == 1 and entries[0].window is None:
        return entries[0]
    if window is not None:
        return next((entry for entry in entries if entry.window == window), None)
    for entry in entries:
        figures = entry.figures
        if figures.get("granted") == resolution.granted_before and figures.get("total") == resolution.total:
            return entry
    return None


def _cap_in(resolution: Resolution, window: Window | None) -> Money | None:
    """The per-customer cap a decision saw, as its trace states it (``None``: its trace names none)."""
    entry = _window_cap(resolution, window)
    cap = entry.figures.get("cap") if entry is not None else None
    return cap if isinstance(cap, Money) else None


@dataclass(frozen=True, slots=True)
class _Answer:
    """A promise to call the customer back, and the step that answered it."""

    event: Event
    due: dt.datetime
    personal: bool
    """The manager's personal call after a written report (else an escalation's callback)."""

    @property
    def kept(self) -> bool:
        return self.event.at <= self.due


@dataclass(frozen=True, slots=True)
class _Owed:
    due: dt.datetime
    personal: bool


def _promises(view: CaseView) -> tuple[list[_Answer], _Owed | None]:
    """The case's callback promises that were answered, and the one still owed.

    A promise is made by the step that records a ``callback_due`` (an escalation, or a written
    report: the manager's personal call) and answered by the first step after it that records
    none (the remedy delivered or the denial explained, or the manager's call).
    """
    answers: list[_Answer] = []
    owed: _Owed | None = None
    for event in view.history:
        due = event.callback_due
        if owed is not None and due is None:
            answers.append(_Answer(event, owed.due, owed.personal))
            owed = None
        elif due is not None and (owed is None or due != owed.due):
            owed = _Owed(due, personal=event.kind == "report_written")
    return answers, owed


def _reported_to(view: CaseView) -> str | None:
    """The level the written report went to: the manager who owes the personal call."""
    to = view.report.get("to") if view.report is not None else None
    return str(to) if to is not None else None


_PEOPLE_COUNTS: Final = (
    "first_decisions",
    "alternatives_offered",
    "alternatives_accepted",
    "callbacks_kept",
    "callbacks_late",
    "calls_made",
    "calls_kept",
    "calls_late",
)


class _People:
    """The per-employee figures: every step counts for the employee who took it (see :class:`EmployeeFigures`)."""

    def __init__(self) -> None:
        self._grouping = Grouping(by_employee)
        self._counts: dict[str, Counter[str]] = {}

    def add(self, view: CaseView, answers: list[_Answer]) -> None:
        self._grouping.add(view)
        for event in view.history:
            counts = self._counts.setdefault(by_employee(view, event), Counter())
            if event.kind == "decided":
                counts["first_decisions"] += 1
                counts["escalated_first"] += _outcome(view, event) is Outcome.ESCALATED
            elif event.kind == "denial_explained":
                counts["alternatives_offered"] += 1
            elif event.kind == "alternative_accepted":
                counts["alternatives_accepted"] += 1
            elif event.kind == "manager_called":
                counts["calls_made"] += 1
        for answer in answers:
            which = ("calls_" if answer.personal else "callbacks_") + ("kept" if answer.kept else "late")
            self._counts.setdefault(by_employee(view, answer.event), Counter())[which] += 1

    def figures(self, currency: str | None) -> dict[str, EmployeeFigures]:
        people = {}
        for name, base in self._grouping.figures(currency).items():
            counts = self._counts.get(name, Counter())
            people[name] = EmployeeFigures.model_validate(
                {
                    **dict(base),  # whatever GroupFigures holds, as the other groupings count it
                    "escalation": Rate.of_counts(counts["escalated_first"], counts["first_decisions"]),
                    **{key: counts[key] for key in _PEOPLE_COUNTS},
                }
            )
        return dict(sorted(people.items(), key=lambda item: (item[0] == NOT_RECORDED, -item[1].cases, item[0])))


class _Revisions:
    """The per-revision figures: each step under the policy revision it followed, first decisions only."""

    def __init__(self) -> None:
        self._grouping = Grouping(by_revision, first_decisions=True)
        self._spans: dict[str, tuple[dt.datetime, dt.datetime]] = {}

    def add(self, view: CaseView) -> None:
        self._grouping.add(view)
        for event in view.history:
            name = by_revision(view, event)
            span = self._spans.get(name)
            self._spans[name] = (
                (event.at, event.at) if span is None else (min(span[0], event.at), max(span[1], event.at))
            )

    def figures(self, currency: str | None) -> dict[str, RevisionFigures]:
        revisions = {}
        for name, base in self._grouping.figures(currency).items():
            first, last = self._spans.get(name, (None, None))
            revisions[name] = RevisionFigures(
                **dict(base),
                first_at=first,
                last_at=last,
                escalation=Rate.of_counts(base.escalated, base.decisions),
            )
        return dict(
            sorted(
                revisions.items(),
                key=lambda item: (
                    item[0] == NOT_RECORDED,
                    item[1].first_at or dt.datetime.max.replace(tzinfo=dt.UTC),
                    item[0],
                ),
            )
        )


def _level_seeds(view: CaseView) -> list[str]:
    """The levels a case brings in: who opened it, and the level it was escalated to (even before it answers)."""
    decision = view.decision
    escalated = [decision.escalate_to] if decision is not None and decision.escalate_to is not None else []
    return [view.level, *escalated]


def _seconds(delta: dt.timedelta) -> int:
    return int(delta.total_seconds())


def _spread(times: list[dt.timedelta]) -> Spread:
    return Spread(
        cases=len(times),
        median_seconds=_seconds(nearest_rank(times, 50)) if times else None,
        p90_seconds=_seconds(nearest_rank(times, 90)) if times else None,
    )


def _aware(moment: dt.datetime | dt.date | None, name: str, zone: dt.tzinfo = dt.UTC) -> dt.datetime | None:
    """An aware time; a date is its midnight in ``zone``; a naive time is refused."""
    if moment is None:
        return None
    if not isinstance(moment, dt.datetime):
        if isinstance(moment, dt.date) and name != "now":
            return _fixed(dt.datetime(moment.year, moment.month, moment.day, tzinfo=zone))
        kind = "an aware datetime or a date" if name != "now" else "an aware datetime"
        raise InvalidInputError.at("report", name, f"must be {kind}, not {type(moment).__name__}")
    if not is_aware(moment):  # naive, or a tzinfo whose utcoffset fails: the instant is unknown
        raise InvalidInputError.at("report", name, "needs a time zone: give an aware datetime, such as one in UTC")
    return _fixed(exact_datetime(moment))  # a subclass's comparisons are its own: compared as the time it holds


def _fixed(moment: dt.datetime) -> dt.datetime:
    """``moment`` at its own offset, as a fixed one: the instant and wall time JSON writes and reads back. A time in
    a zone's DST gap or fold never compares equal to one in another tzinfo, so a report would not equal its JSON."""
    offset = moment.utcoffset()
    return moment if offset is None else moment.replace(tzinfo=dt.timezone(offset), fold=0)


def build(
    journal: Journal,
    *,
    since: dt.datetime | dt.date | None = None,
    until: dt.datetime | dt.date | None = None,
    policy: Policy | None = None,
    now: dt.datetime | None = None,
    expected_head: ChainHead | None = None,
    source: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """The report of ``journal``'s cases opened within ``[since, until)``, as they stood at ``now``."""
    _check_kinds(journal, policy, expected_head, source, progress)
    if policy is not None:  # one changed past validation is checked now, as deciding checks it: PolicyError
        compiled_policy(policy)
    zone = zoneinfo.ZoneInfo(policy.timezone) if policy is not None else dt.UTC
    since, until = _aware(since, "since", zone), _aware(until, "until", zone)
    moment = _aware(now, "now") or dt.datetime.now(dt.UTC)
    name = source if source is not None else _name(journal)
    if since is not None and until is not None and since >= until:
        raise InvalidInputError.at("report", "since", "must be earlier than until")
    replay: CaseReplay
    if since is None and until is None:
        replay = CaseReplay(journal, name, now=moment, expected_head=expected_head)
    else:  # only the period's cases, found through the journal's index of opening times
        replay = PeriodReplay(journal, name, now=moment, since=since, until=until, expected_head=expected_head)
    tally = _Tally(moment, policy, policy.currency if policy is not None else None)

    def counted(view: CaseView) -> bool:
        opened = view.history[0].at
        return (since is None or opened >= since) and (until is None or opened < until)

    reached = 0
    for replayed in replay:
        seq = replayed.event.seq
        if progress is not None and seq > reached:
            progress(seq - reached)
            reached = seq
        if is_finished(replayed.case) and counted(replayed.case):
            tally.add(replayed.case)
    if progress is not None and replay.walked and replay.head.count > reached:
        progress(replay.head.count - reached)  # the events later than now, read and checked all the same
    for view in replay.unfinished():
        if counted(view):
            tally.add(view)
    return _report(tally, replay, name, since, until)


def _report(
    tally: _Tally, replay: CaseReplay, name: str, since: dt.datetime | None, until: dt.datetime | None
) -> Report:
    cases, open_ = tally.cases, tally.open
    decided = sum(tally.first.values())
    escalated = tally.first[Outcome.ESCALATED]
    times = tally.resolution_times()
    return Report(
        source=name,
        journal=JournalRead(
            events=replay.head.count,
            head=replay.head,
            verified=replay.walked,
            expected_head=replay.expected_head,
            later_than_now=replay.later,
        ),
        period=Period(since=since, until=until, now=tally.now),
        policies=dict(sorted(tally.policies.items())),
        cases=CaseCounts(total=cases, open=open_, closed=cases - open_),
        first_decisions=FirstDecisions(
            decided=decided,
            undecided=cases - decided,
            approved=tally.first[Outcome.APPROVED],
            escalated=escalated,
            denied=tally.first[Outcome.DENIED],
        ),
        escalations=Escalations(
            total=escalated,
            approved=tally.escalations["approved"],
            denied=tally.escalations["denied"],
            waiting=escalated
            - tally.escalations["approved"]
            - tally.escalations["denied"]
            - tally.escalations["instead"],
        ),
        rates=tally.rates(decided),
        plan_b=PlanB(
            alternatives=AlternativeFigures(
                **{key: tally.alternatives[key] for key in ("offered", "accepted", "declined")}
            ),
            final_offers=FinalOffers(**{key: tally.final_offers[key] for key in ("made", "accepted", "declined")}),
        ),
        callbacks=CallbackFigures(**{key: tally.callbacks[key] for key in ("kept", "late", "overdue", "pending")}),
        overdue_callbacks=tuple(sorted(tally.overdue, key=lambda owed: (owed.callback_by, owed.number))),
        time_to_resolution={
            "all": _spread(times),
            **{outcome.value: _spread(tally.resolution_times(outcome)) for outcome in CaseOutcome},
        },
        outcomes={
            **{outcome.value: len(tally.resolved.get(outcome, [])) for outcome in CaseOutcome},
            "unresolved": cases - len(times),
        },
        currency=tally.currency,
        granted=_sum(tally.granted, tally.currency),
        per_level=tally.per_level.figures(tally.currency),
        per_category=tally.categories(),
        cap_share=tally.cap_share(),
        satisfaction=tally.satisfaction.figures(),
        per_employee=tally.per_employee.figures(tally.currency),
        per_revision=tally.per_revision.figures(tally.currency),
        personal_calls=tally.personal_calls(),
    )


def _check_kinds(journal: object, policy: object, head: object, source: object, progress: object) -> None:
    """Each argument of the kind it must be, or an :class:`InvalidInputError` saying which and what to give."""
    checks = (
        ("journal", isinstance(journal, Journal), "a Journal (MemoryJournal, SQLiteJournal, PostgresJournal)"),
        ("policy", policy is None or isinstance(policy, Policy), "a Policy, such as Policy.from_file(...)"),
        (
            "expected_head",
            head is None or (isinstance(head, ChainHead) and well_formed_head(head)),
            "a ChainHead, such as ChainHead.parse(...)",
        ),
        ("source", source is None or isinstance(source, str), "a str"),
        ("progress", progress is None or callable(progress), "a function of one int"),
    )
    problems = [Problem(name, f"must be {expected}") for name, right, expected in checks if not right]
    if problems:
        raise InvalidInputError("report", problems)


def _name(journal: Journal) -> str:
    """How a report names a journal it was not told the name of: an SQLite journal by its file."""
    path = getattr(journal, "path", None)
    return str(path) if path is not None else type(journal).__name__
