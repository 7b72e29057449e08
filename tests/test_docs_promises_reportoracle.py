"""An independent oracle of ``metrics.report``, written from the docs pages alone, compared with the library.

The oracle below reads only what ``docs/how-to/read-the-metrics.md`` and ``docs/cli/report.md`` say
(not ``recovery_rules.metrics`` or its helpers), and computes every figure from the journal's public
events (``Journal.cases``, ``Journal.events`` and the fields of ``Event``):

- the cases counted are those opened (their first event's ``at``) at or after ``since`` and before
  ``until``; a date is its midnight in the policy's time zone, or in UTC without a policy. ``now``: an
  event later than it is left out, "and so is the rest of their case" (the docstring of ``report``);
- open and closed: the case's state after its last event read; a first decision is the ``decided``
  event (approved, escalated when ``beyond_authority``, denied); escalations are the first decisions
  escalated, approved (``manager_approved``, a counter-offer too) or denied (``manager_denied``) by the
  higher level, the rest waiting;
- the escalation rate is first decisions escalated of those decided; the denial rate the cases denied
  by the first decision or by the higher level, of those decided; alternatives accepted of those
  answered (accepted one, or declined both), the final offer accepted of those answered;
- a callback (the ``callback_due`` of the ``escalated`` event) is kept when the customer heard back
  (``delivered`` or ``denial_explained``) at or before it, late after it, overdue when not heard and its
  time passed before ``now``, pending otherwise; callbacks kept are of the kept, late and overdue ones;
  ``overdue_callbacks`` lists the overdue ones, ``now`` less the time promised;
- a case's outcome is its first resolving step (a ``delivered`` that resolves it, an alternative, the
  final offer or a counter-offer accepted, a report written), with the time from its opening; median and
  90th percentile are nearest-rank;
- ``granted`` sums every ``Event.grant``; ``per_category`` counts each category's cases, open ones,
  first decisions and grants; ``per_level`` every decision a level made (``decided``,
  ``manager_approved``, ``manager_denied``, by ``Event.actor``) and the grants of its steps;
- satisfaction: the ``satisfied`` and ``satisfaction`` a step records, per outcome (``unresolved``),
  level and employee of who opened the case (``(unnamed)``), category; ``per_employee`` every step for
  the employee who took it (``(not recorded)``), listed with the most cases first, ties by id;
- the personal call a written report promises (its ``callback_due``): kept at or before it (the
  ``manager_called`` step), late after, overdue when not made and due before ``now``, or pending;
- ``per_revision``: each revision's first decisions, the first and last step under it; a level's and a
  revision's ``cases`` (and ``open``) are the cases it took a step in (``group_figures``: "puts each step of
  each case in the group its key names");
- ``cap_share``: every guest of the cases counted has a share (0% without a grant).

Two findings of this comparison (fixed) are tests of their own below (a step dated a few minutes before the one
before it, which the case path allows): a period's report calls the journal changed when ``now`` falls
between the two, and a case resolved before the time it was opened makes ``report`` raise about its own
``Spread`` model. The property keeps clear of both so that it checks everything else.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recovery_rules import (
    AuthorityError,
    Case,
    Complaint,
    ComplaintNumber,
    Customer,
    Draft,
    Event,
    InvalidInputError,
    JournalIntegrityError,
    MemoryJournal,
    Money,
    Policy,
    RecoveryRulesError,
    Remedy,
    metrics,
    presets,
)

from ._helpers import examples

T = TypeVar("T")
Draw = Callable[[str, Sequence[T]], T]

ZONE = ZoneInfo("America/New_York")
POLICY_A = presets.ritz_carlton()
_SETTINGS = POLICY_A.model_dump(mode="json")
# A reload-like second revision of the same policy: the staff may grant $1,500.00, not $2,000.00.
POLICY_B = Policy.model_validate(
    {**_SETTINGS, "levels": [{**_SETTINGS["levels"][0], "limit": "1500.00"}, *_SETTINGS["levels"][1:]]}
)
# 20:00 in New York the night before the clocks go back (06:00 UTC on 1 November 2026): openings fall
# around local midnight before and after the change, and steps cross it.
BASE = dt.datetime(2026, 11, 1, 0, 0, tzinfo=dt.UTC)
OPENING_MINUTES = (0, 239, 240, 241, 359, 360, 361, 1500, 1739, 1740, 3000)
STEP_MINUTES = (0, 1, 7, 60, 150, 600, 1440)
EMPLOYEES = (None, "E-1", "E-2", "M-1", "M-2")
ANSWERED_AT = ("deliver", "accept_offer", "accept_alternative", "accept_final_offer", "thank")
REASON = "A full refund is more than we grant for this."
BACK = dt.timedelta(minutes=3)  # a step dated three minutes before the one before it: allowed


def run_case(draw: Draw[Any], journal: MemoryJournal, numbers: list[ComplaintNumber]) -> None:
    """Open one case and walk it along steps its state allows, each drawn."""
    policy = {"A": POLICY_A, "B": POLICY_B}[draw("revision", ("A", "B"))]
    customer = draw("customer", ("10442", "10518", "10611"))
    opened = BASE + dt.timedelta(minutes=draw("opening", OPENING_MINUTES))
    earlier = tuple(number for number in numbers if number.customer_id == customer)
    complaint = Complaint(
        customer=Customer(id=customer, tier=draw("tier", ("standard", "gold"))),
        category=draw("category", ("noise", "room_not_ready", "billing_error")),
        requested=Remedy(
            kind="refund", amount=Money(draw("amount", ("50.00", "1800.00", "3000.00", "12000.00")), "USD")
        ),
        received_at=opened,
    )
    case = Case.open(
        journal,
        policy,
        complaint,
        by="staff",
        now=opened,
        incident=draw("incident", (None, *earlier[:2])),  # a follow-up, and a follow-up of a follow-up
        employee=draw("employee", EMPLOYEES),
    )
    numbers.append(case.number)
    clock = opened
    went_back = False
    for _ in range(draw("steps", (3, 6, 10, 20))):
        allowed = case.allowed_steps()
        if not allowed:
            break
        step = draw("step", allowed)
        promised = case.callback_by  # a callback or a personal call answered exactly when promised, or just after
        if promised is not None and promised >= clock and draw("at the promise", (False, True)):
            clock = promised + dt.timedelta(seconds=draw("seconds after", (0, 1)))
        # One step a case may be dated a little before the one before it, once the case is ten minutes
        # old (earlier, it could be resolved before its opening: a test of its own below).
        elif not went_back and clock - opened >= dt.timedelta(minutes=10) and draw("back", (False, True)):
            clock, went_back = clock - BACK, True
        else:
            clock += dt.timedelta(minutes=draw("minutes", STEP_MINUTES))
        options: dict[str, Any] = {"now": clock, "employee": draw("employee", EMPLOYEES)}
        if (
            step in ANSWERED_AT
            and case.satisfied is None
            and case.satisfaction is None
            and not (step == "deliver" and case.state == "counter_offered")
        ):
            satisfied = draw("satisfied", (None, True, False))
            score = draw("score", (None, 1, 3, 5))
            options |= {} if satisfied is None else {"satisfied": satisfied}
            options |= {} if score is None else {"satisfaction": score}
        if step == "manager_approves":
            counter = draw("counter-offer", (None, Money("1000.00", "USD")))
            try:
                case.manager_approves(
                    by=draw("approver", (case.escalated_to, "general_manager")),
                    **options,
                    **({} if counter is None else {"amount": counter}),
                )
            except RecoveryRulesError:  # a level that cannot grant it, an offer above the ask: nothing recorded
                continue
        elif step == "manager_denies":
            try:
                case.manager_denies(by=draw("denier", (case.escalated_to, "general_manager")), reason=REASON, **options)
            except RecoveryRulesError:  # one's own escalation: nothing recorded
                continue
        elif step == "accept_alternative":  # the decision's alternatives before an escalation, else the two offered
            beyond = case.state.value == "beyond_authority" and case.decision is not None
            offered = case.decision.alternatives if beyond and case.decision is not None else case.alternatives_offered
            try:
                case.accept_alternative(offered[draw("alternative", range(len(offered)))].id, **options)
            except AuthorityError:  # another case's grants since the decision left no room for it: nothing recorded
                if not beyond:
                    raise
                continue
        else:
            getattr(case, step)(**options)


# The oracle


RESOLVING = {
    "delivered": "remedy_delivered",
    "alternative_accepted": "alternative_accepted",
    "final_offer_accepted": "final_offer_accepted",
    "report_written": "reported",
    "offer_accepted": "counter_offer_accepted",
}
OUTCOMES = tuple(RESOLVING.values())
ANSWERING = {"delivered", "offer_accepted", "alternative_accepted", "final_offer_accepted", "thanked"}
FIRST = {"approved": "approved", "beyond_authority": "escalated", "denied": "denied"}
NOT_RECORDED = "(not recorded)"


def ratio(count: int, of: int) -> Decimal | None:
    return None if of == 0 else (Decimal(count) / Decimal(of)).quantize(Decimal("0.0001"), ROUND_HALF_EVEN)


def nearest_rank(values: list[int], share: str) -> int | None:
    if not values:
        return None
    return sorted(values)[max(1, math.ceil(Decimal(share) * len(values))) - 1]


def mean(scores: list[int]) -> Decimal | None:
    return None if not scores else (Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.0001"), ROUND_HALF_EVEN)


def category_of(opening: Event) -> str:
    complaint = opening.data["complaint"]
    assert isinstance(complaint, dict)
    return str(complaint["category"])


def amount(money: Money | None) -> Decimal:
    return Decimal(0) if money is None else money.amount


class Oracle:
    """Every figure of the report, from the journal's public events and the two pages."""

    def __init__(self, journal: MemoryJournal, now: dt.datetime, since: dt.datetime | None, until: dt.datetime | None):
        self.now = now
        self.cases: dict[str, list[Event]] = {}
        for summary in journal.cases():
            events: list[Event] = []
            for event in journal.events(summary.number):
                if event.at > now:
                    break  # "events recorded later are left out, and so is the rest of their case"
                events.append(event)
            if events and (since is None or events[0].at >= since) and (until is None or events[0].at < until):
                self.cases[str(summary.number)] = events

    def figures(self) -> dict[str, Any]:
        now = self.now
        f: dict[str, Any] = {}
        first: Counter[str] = Counter()
        escalations: Counter[str] = Counter()
        plan_b: Counter[str] = Counter()
        callbacks: Counter[str] = Counter()
        calls: Counter[str] = Counter()
        overdue: dict[str, tuple[dt.datetime, int, str]] = {}
        outcome: dict[str, str] = {}
        seconds: dict[str, int] = {}
        answers: dict[str, tuple[Any, Any]] = {}
        category: dict[str, Counter[str]] = defaultdict(Counter)
        category_granted: dict[str, Decimal] = defaultdict(Decimal)
        level: dict[str, Counter[str]] = defaultdict(Counter)
        level_granted: dict[str, Decimal] = defaultdict(Decimal)
        employee: dict[str, Counter[str]] = defaultdict(Counter)
        employee_cases: dict[str, set[str]] = defaultdict(set)
        employee_granted: dict[str, Decimal] = defaultdict(Decimal)
        revision: dict[str, Counter[str]] = defaultdict(Counter)
        revision_at: dict[str, list[dt.datetime]] = defaultdict(list)
        denials = 0
        granted = Decimal(0)
        for number, events in self.cases.items():
            opened = events[0]
            kind_of = category_of(opened)
            category[kind_of]["cases"] += 1
            category[kind_of]["open"] += events[-1].state != "closed"
            escalated = next((e for e in events if e.kind == "escalated"), None)
            heard = None
            if escalated is not None and escalated.callback_due is not None:
                after = events[events.index(escalated) + 1 :]
                heard = next((e for e in after if e.kind in ("delivered", "denial_explained")), None)
                if heard is not None:
                    callbacks["kept" if heard.at <= escalated.callback_due else "late"] += 1
                elif escalated.callback_due < now:
                    callbacks["overdue"] += 1
                    promised = escalated.callback_due
                    overdue[number] = (promised, int((now - promised).total_seconds()), events[-1].state)
                else:
                    callbacks["pending"] += 1
            report = next((e for e in events if e.kind == "report_written"), None)
            call = next((e for e in events if e.kind == "manager_called"), None)
            if report is not None:
                calls["reports"] += 1
                if report.callback_due is not None:
                    calls["promised"] += 1
                    if call is not None:
                        calls["kept" if call.at <= report.callback_due else "late"] += 1
                    else:
                        calls["overdue" if report.callback_due < now else "pending"] += 1
            calls["made"] += call is not None
            for e in events:
                who = e.employee or NOT_RECORDED
                employee_cases[who].add(number)
                revision_at[e.policy_revision or NOT_RECORDED].append(e.at)
                if e.grant is not None:
                    granted += e.grant.amount
                    category_granted[kind_of] += e.grant.amount
                    level[e.actor]["grants"] += 1
                    level_granted[e.actor] += e.grant.amount
                    employee[who]["grants"] += 1
                    employee_granted[who] += e.grant.amount
                if e.kind == "decided":
                    decision = FIRST[e.state]
                    first[decision] += 1
                    category[kind_of]["decisions"] += 1
                    category[kind_of][decision] += 1
                    level[e.actor]["decisions"] += 1
                    level[e.actor][decision] += 1
                    employee[who]["first_decisions"] += 1
                    employee[who]["escalated"] += decision == "escalated"
                    revision[e.policy_revision or NOT_RECORDED]["decisions"] += 1
                    revision[e.policy_revision or NOT_RECORDED][decision] += 1
                    denials += decision == "denied"
                elif e.kind in ("manager_approved", "manager_denied"):
                    decision = "approved" if e.kind == "manager_approved" else "denied"
                    escalations[decision] += 1
                    level[e.actor]["decisions"] += 1
                    level[e.actor][decision] += 1
                    denials += decision == "denied"
                elif e.kind == "denial_explained":
                    plan_b["offered"] += 1
                    employee[who]["alternatives_offered"] += 1
                elif e.kind == "alternative_accepted":
                    # the Plan B of a denial only: not one of the decision's, taken instead of the escalation
                    denied = any(earlier.kind == "denial_explained" for earlier in events)
                    plan_b["accepted"] += denied
                    escalations["instead"] += not denied
                    employee[who]["alternatives_accepted"] += 1
                elif e.kind == "manager_called":
                    employee[who]["calls_made"] += 1
                    if report is not None and report.callback_due is not None:
                        employee[who]["calls_kept" if e.at <= report.callback_due else "calls_late"] += 1
                plan_b[e.kind] += 1
                if heard is not None and escalated is not None and e is heard:
                    employee[who]["callbacks_kept" if e.at <= escalated.callback_due else "callbacks_late"] += 1  # type: ignore[operator]
                if e.kind in ANSWERING and ("satisfied" in e.data or "satisfaction" in e.data):
                    answers[number] = (e.data.get("satisfied"), e.data.get("satisfaction"))
                resolves = e.kind in RESOLVING and not (e.kind == "delivered" and e.state != "resolved")
                if resolves and number not in outcome:
                    outcome[number] = RESOLVING[e.kind]
                    seconds[number] = int((e.at - opened.at).total_seconds())
        stepped: dict[str, dict[str, set[str]]] = {"level": defaultdict(set), "revision": defaultdict(set)}
        for number, events in self.cases.items():
            for e in events:
                stepped["level"][e.actor].add(number)
                stepped["revision"][e.policy_revision or NOT_RECORDED].add(number)
        for group, named in stepped.items():  # a level's or revision's cases: those it took any step in
            f[f"{group}_cases"] = {
                name: (len(numbers), sum(self.cases[n][-1].state != "closed" for n in numbers))
                for name, numbers in named.items()
            }
        f["guests"] = len({events[0].number.customer_id for events in self.cases.values()})
        total = len(self.cases)
        closed = sum(events[-1].state == "closed" for events in self.cases.values())
        decided = sum(first.values())
        f["cases"] = (total, total - closed, closed)
        f["first_decisions"] = (decided, total - decided, first["approved"], first["escalated"], first["denied"])
        waiting = first["escalated"] - escalations["approved"] - escalations["denied"] - escalations["instead"]
        f["escalations"] = (first["escalated"], escalations["approved"], escalations["denied"], waiting)
        answered = plan_b["accepted"] + plan_b["alternatives_declined"]
        final = plan_b["final_offer_accepted"] + plan_b["final_offer_declined"]
        due = callbacks["kept"] + callbacks["late"] + callbacks["overdue"]
        f["rates"] = {
            "escalation": (first["escalated"], decided, ratio(first["escalated"], decided)),
            "denial": (denials, decided, ratio(denials, decided)),
            "alternative_accepted": (plan_b["accepted"], answered, ratio(plan_b["accepted"], answered)),
            "final_offer_accepted": (
                plan_b["final_offer_accepted"],
                final,
                ratio(plan_b["final_offer_accepted"], final),
            ),
            "callback_kept": (callbacks["kept"], due, ratio(callbacks["kept"], due)),
        }
        f["plan_b"] = (
            (plan_b["offered"], plan_b["accepted"], plan_b["alternatives_declined"]),
            (plan_b["final_offer_made"], plan_b["final_offer_accepted"], plan_b["final_offer_declined"]),
        )
        f["callbacks"] = tuple(callbacks[k] for k in ("kept", "late", "overdue", "pending"))
        f["overdue_callbacks"] = overdue
        counted = Counter(outcome.values())
        f["outcomes"] = {**{name: counted[name] for name in OUTCOMES}, "unresolved": total - len(outcome)}
        spreads = {"all": list(seconds.values())}
        spreads |= {name: [seconds[n] for n, o in outcome.items() if o == name] for name in OUTCOMES}
        f["time_to_resolution"] = {
            name: (len(times), nearest_rank(times, "0.5"), nearest_rank(times, "0.9"))
            for name, times in spreads.items()
        }
        f["granted"] = granted
        group_keys = ("cases", "open", "decisions", "approved", "escalated", "denied")
        f["per_category"] = {
            name: (*(counts[k] for k in group_keys), category_granted[name]) for name, counts in category.items()
        }
        level_keys = ("decisions", "approved", "escalated", "denied", "grants")
        f["per_level"] = {
            name: (*(counts[k] for k in level_keys), level_granted[name]) for name, counts in level.items()
        }
        f["personal_calls"] = tuple(
            calls[k] for k in ("reports", "promised", "made", "kept", "late", "overdue", "pending")
        )
        groups: dict[str, dict[str, list[str]]] = {
            name: defaultdict(list) for name in ("per_outcome", "per_level", "per_category", "per_employee")
        }
        for number, events in self.cases.items():
            groups["per_outcome"][outcome.get(number, "unresolved")].append(number)
            groups["per_level"][events[0].actor].append(number)
            groups["per_category"][category_of(events[0])].append(number)
            groups["per_employee"][events[0].employee or "(unnamed)"].append(number)
        groups["overall"] = {"": list(self.cases)}
        satisfaction: dict[str, dict[str, tuple[Any, ...]]] = {}
        for field, grouped in groups.items():
            satisfaction[field] = {}
            for name, numbers in grouped.items():
                given = [answers[n] for n in numbers if n in answers]
                said = [yes for yes, _ in given if yes is not None]
                scores = [score for _, score in given if score is not None]
                shown = (len(numbers), len(said), sum(said), ratio(sum(said), len(said)), len(scores), mean(scores))
                satisfaction[field][name] = shown
        f["satisfaction"] = satisfaction
        employee_keys = (
            "first_decisions",
            "escalated",
            "alternatives_offered",
            "alternatives_accepted",
            "callbacks_kept",
            "callbacks_late",
            "calls_made",
            "calls_kept",
            "calls_late",
            "grants",
        )
        f["per_employee"] = {
            name: (len(employee_cases[name]), *(employee[name][k] for k in employee_keys), employee_granted[name])
            for name in sorted(employee_cases, key=lambda name: (-len(employee_cases[name]), name))
        }
        f["per_revision"] = {
            name: (
                *(counts[k] for k in ("decisions", "approved", "escalated", "denied")),
                min(revision_at[name]),
                max(revision_at[name]),
            )
            for name, counts in revision.items()
        }
        return f


def reported(report: metrics.Report) -> dict[str, Any]:
    """The same figures, read from the report."""
    f: dict[str, Any] = {}
    f["cases"] = (report.cases.total, report.cases.open, report.cases.closed)
    fd = report.first_decisions
    f["first_decisions"] = (fd.decided, fd.undecided, fd.approved, fd.escalated, fd.denied)
    es = report.escalations
    f["escalations"] = (es.total, es.approved, es.denied, es.waiting)
    f["rates"] = {
        name: (rate.count, rate.of, rate.rate)
        for name in ("escalation", "denial", "alternative_accepted", "final_offer_accepted", "callback_kept")
        for rate in [getattr(report.rates, name)]
    }
    alternatives, finals = report.plan_b.alternatives, report.plan_b.final_offers
    f["plan_b"] = (
        (alternatives.offered, alternatives.accepted, alternatives.declined),
        (finals.made, finals.accepted, finals.declined),
    )
    cb = report.callbacks
    f["callbacks"] = (cb.kept, cb.late, cb.overdue, cb.pending)
    f["overdue_callbacks"] = {
        str(o.number): (o.callback_by, o.overdue_seconds, o.state) for o in report.overdue_callbacks
    }
    f["outcomes"] = dict(report.outcomes)
    f["time_to_resolution"] = {
        name: (spread.cases, spread.median_seconds, spread.p90_seconds)
        for name, spread in report.time_to_resolution.items()
    }
    f["granted"] = amount(report.granted)
    group_keys = ("cases", "open", "decisions", "approved", "escalated", "denied")
    f["per_category"] = {
        name: (*(getattr(group, k) for k in group_keys), amount(group.granted))
        for name, group in report.per_category.items()
        if group.cases  # a category the policy lists but no case of the period has
    }
    level_keys = ("decisions", "approved", "escalated", "denied", "grants")
    f["per_level"] = {
        name: (*(getattr(group, k) for k in level_keys), amount(group.granted))
        for name, group in report.per_level.items()
        if group.decisions or group.grants  # a level that did nothing is listed all the same
    }
    pc = report.personal_calls
    f["personal_calls"] = (pc.reports, pc.promised, pc.made, pc.kept, pc.late, pc.overdue, pc.pending)
    sat = report.satisfaction
    f["satisfaction"] = {
        field: {
            name: (g.cases, g.answered, g.satisfied, g.satisfied_share, g.scored, g.mean_score)
            for name, g in ({"": sat.overall} if field == "overall" else getattr(sat, field)).items()
        }
        for field in ("per_outcome", "per_level", "per_category", "per_employee", "overall")
    }
    f["per_employee"] = {
        name: (
            g.cases,
            g.first_decisions,
            g.escalation.count,
            g.alternatives_offered,
            g.alternatives_accepted,
            g.callbacks_kept,
            g.callbacks_late,
            g.calls_made,
            g.calls_kept,
            g.calls_late,
            g.grants,
            amount(g.granted),
        )
        for name, g in report.per_employee.items()
    }
    f["per_revision"] = {
        name: (g.decisions, g.approved, g.escalated, g.denied, g.first_at, g.last_at)
        for name, g in report.per_revision.items()
        if g.decisions  # a revision whose cases of the period made no first decision yet
    }
    f["level_cases"] = {name: (g.cases, g.open) for name, g in report.per_level.items() if g.cases}
    f["revision_cases"] = {name: (g.cases, g.open) for name, g in report.per_revision.items() if g.cases}
    f["guests"] = report.cap_share.guests + report.cap_share.without_cap  # each guest of the cases counted
    return f


def _without_empty(figures: dict[str, Any]) -> dict[str, Any]:
    """The oracle's groups the report may leave out, or list empty (a level, a revision without decisions)."""
    figures["per_level"] = {n: v for n, v in figures["per_level"].items() if v[0] or v[4]}
    figures["per_revision"] = {n: v for n, v in figures["per_revision"].items() if v[0]}
    return figures


def straddles(journal: MemoryJournal, now: dt.datetime) -> bool:
    """Whether ``now`` falls between a step and the one after it dated before it (a test of its own below)."""
    for summary in journal.cases():
        events = journal.events(summary.number)
        for before, after in itertools.pairwise(events):
            if after.at <= now < before.at:
                return True
    return False


def midnight(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


@pytest.mark.slow
@settings(max_examples=examples(60), suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_every_figure_of_the_report_is_what_the_pages_define_it_to_be(data: st.DataObject) -> None:
    def draw(label: str, options: Sequence[T]) -> T:
        return data.draw(st.sampled_from(options), label=label)

    journal = MemoryJournal(encrypt_personal_data=True)
    numbers: list[ComplaintNumber] = []
    for _ in range(draw("cases", (1, 3, 7))):
        run_case(draw, journal, numbers)
    if draw("erase a customer", (False, True)):
        journal.erase_customer(
            draw("erased", sorted({n.customer_id for n in numbers})), now=BASE + dt.timedelta(days=5)
        )
    times = sorted({event.at for summary in journal.cases() for event in journal.events(summary.number)})
    instants = (*times, *(t + dt.timedelta(seconds=1) for t in times), *(t - dt.timedelta(seconds=1) for t in times))
    now = draw("now", (BASE + dt.timedelta(days=6), *instants))
    policy = {"the policy": POLICY_A, "none": None}[draw("report's policy", ("the policy", "none"))]
    zone: dt.tzinfo = ZONE if policy is not None else dt.UTC
    days = (None, dt.date(2026, 11, 1), dt.date(2026, 11, 2), dt.date(2026, 11, 3))
    since = draw("since", (None, *days[1:], *instants))
    until = draw("until", (None, *days[1:], *instants))
    start = midnight(since, zone) if isinstance(since, dt.date) and not isinstance(since, dt.datetime) else since
    end = midnight(until, zone) if isinstance(until, dt.date) and not isinstance(until, dt.datetime) else until
    if start is not None and end is not None and start >= end:
        until = end = None
    if (start is not None or end is not None) and straddles(journal, now):
        now = BASE + dt.timedelta(days=6)  # clear of the period bug (test below)
    report = metrics.report(journal, policy=policy, now=now, since=since, until=until)
    ours = _without_empty(Oracle(journal, now, start, end).figures())
    theirs = reported(report)
    if not ours["granted"] and report.granted is None:
        assert report.cases.total == 0  # "null only when there is no case and no policy"
        assert policy is None
    for figure, value in ours.items():
        assert theirs[figure] == value, figure
    assert report.journal.verified is (start is None and end is None)
    assert metrics.Report.model_validate(report.model_dump(mode="json")) == report  # "reads back into it"


# The findings


def _a_case_with_a_step_back(journal: MemoryJournal, at: dt.datetime) -> Case:
    complaint = Complaint(
        customer=Customer(id="10442"),
        category="noise",
        requested=Remedy(kind="voucher", amount=Money("50.00", "USD")),
        received_at=at,
    )
    case = Case.open(journal, POLICY_A, complaint, by="staff", now=at)
    case.listen(now=at + dt.timedelta(minutes=10))
    case.apologize(now=at + dt.timedelta(minutes=7))  # three minutes before the step before it: allowed
    return case


def test_a_periods_report_leaves_out_the_rest_of_a_case_after_an_event_later_than_now() -> None:
    journal = MemoryJournal()
    at = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
    _a_case_with_a_step_back(journal, at)
    assert journal.verify().ok
    now = at + dt.timedelta(minutes=8)  # after the apology (14:07), before the listening (14:10)
    whole = metrics.report(journal, policy=POLICY_A, now=now)
    assert (whole.cases.total, whole.journal.later_than_now) == (1, 2)
    period = metrics.report(journal, policy=POLICY_A, now=now, since=dt.date(2026, 11, 23))
    assert period.cases == whole.cases
    assert period.first_decisions == whole.first_decisions


def test_a_case_resolved_before_the_time_it_was_opened_is_reported() -> None:
    journal = MemoryJournal()
    at = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
    complaint = Complaint(
        customer=Customer(id="10442"),
        category="noise",
        requested=Remedy(kind="voucher", amount=Money("50.00", "USD")),
        received_at=at,
    )
    case = Case.open(journal, POLICY_A, complaint, by="staff", now=at)
    # Each step a minute before the one before it, the last five minutes before the opening: all within the five
    # minutes a case allows before its latest step (steps cannot walk further back: each is refused then).
    case.listen(now=at - dt.timedelta(minutes=1))
    case.apologize(now=at - dt.timedelta(minutes=2))
    case.ask_preferred_solution(now=at - dt.timedelta(minutes=3))
    case.decide(now=at - dt.timedelta(minutes=4))
    with pytest.raises(InvalidInputError, match="before the case's latest step"):
        case.deliver(now=at - dt.timedelta(minutes=6))
    case.deliver(now=at - dt.timedelta(minutes=5))
    assert journal.verify().ok
    report = metrics.report(journal, policy=POLICY_A, now=at + dt.timedelta(hours=1))
    assert report.outcomes["remedy_delivered"] == 1
    spread = report.time_to_resolution["all"]
    assert spread.cases == 1
    assert spread.median_seconds is not None
    assert spread.median_seconds >= 0


def _raw_journal() -> MemoryJournal:
    """Two cases of events appended through ``Journal.append``, not through ``Case``."""
    journal = MemoryJournal()
    at = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
    for index, text in enumerate(("20261123-10442", "20261124-10518")):
        number = ComplaintNumber.parse(text)
        moment = at + dt.timedelta(days=index)
        opening = Draft(kind="opened", state="opened", actor="staff", at=moment)
        journal.append(number, opening, expected_version=0, key=f"open-{index}", request={})
        grant = Draft(kind="granted", state="granted", actor="staff", at=moment, grant=Money("40.00", "USD"))
        journal.append(number, grant, expected_version=1, key=f"grant-{index}", request={})
    return journal


def test_a_report_of_a_whole_journal_of_raw_events_says_they_do_not_follow_the_case_path() -> None:
    journal = _raw_journal()
    assert journal.verify().ok
    with pytest.raises(JournalIntegrityError) as raised:
        metrics.report(journal, now=dt.datetime(2026, 11, 26, tzinfo=dt.UTC))
    assert "do not follow the case path" in str(raised.value)
    assert "changed" not in str(raised.value)


def test_a_periods_report_of_raw_events_does_not_say_the_journal_was_changed() -> None:
    journal = _raw_journal()
    assert journal.verify().ok
    with pytest.raises(JournalIntegrityError) as raised:
        metrics.report(journal, now=dt.datetime(2026, 11, 26, tzinfo=dt.UTC), since=dt.date(2026, 11, 23))
    assert "do not follow the case path" in str(raised.value)
    assert "changed" not in str(raised.value)


def test_a_whole_reports_progress_counts_the_events_later_than_now_it_read() -> None:
    """report's docstring: ``progress`` is "called with how much further through the journal the read got". A
    report of the whole journal walks the whole chain (``journal.events`` is the head's count), later events too."""
    journal = MemoryJournal()
    at = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
    _a_case_with_a_step_back(journal, at)  # events at 14:00, 14:10, 14:07
    seen: list[int] = []
    report = metrics.report(journal, now=at + dt.timedelta(minutes=5), progress=seen.append)
    assert (report.journal.events, report.journal.later_than_now, report.journal.verified) == (3, 2, True)
    assert sum(seen) == journal.head().count
