"""An independent oracle of a decision, written from the docs pages alone, compared with the library.

The oracle below reads only what these pages say (not the engine's code):
``docs/explanation/service-recovery.md``, ``docs/explanation/guarantees.md``,
``docs/how-to/cap-and-escalation.md``, ``docs/how-to/limits-per-tier.md`` and
``docs/reference/policy-file.md``:

- a level's limit for a customer is its ``tier_limits`` entry for their tier, else its ``limit``
  (``None``: "unlimited", bounded by the caps alone);
- a level's room is its limit less what was granted in the policy's ``window``; each cap's room
  (``hard_cap`` in the policy's ``window``, every ``[[caps]]`` entry in its own) is its limit less what
  was granted in the cap's window; ``actor_can_grant`` is the least of the acting level's rooms
  (never below zero; ``None`` when nothing bounds it);
- a refused remedy, or a request beyond any cap's room, is denied whoever acts ("no level may grant it");
- the acting level approves when it may grant the kind (``may_grant``) and the total (granted in the
  policy's ``window`` plus asked) is within its limit for the tier;
- otherwise the case escalates to the *lowest higher* level that may grant the kind and whose limit for
  the tier covers the total, with ``callback_by`` that level's ``callback_within`` later in real time;
  and when none can, it is denied. ``grantable_by`` is the lowest level of the ladder that could grant it;
- the ledger: ``incident`` counts the complaint's own case and the follow-ups filed under it (a follow-up of
  a follow-up joins the first incident) and a complaint opened again (journal page); ``day`` the calendar
  day in the policy's ``timezone``, from local midnight to local midnight on clock-change days too;
  a rolling duration the grants later than ``now`` less the duration (journal page: "later than
  ``now - 30 days``"); a new case dated before the guest's latest grant is counted at that grant's time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from recovery_rules import Case, Complaint, Customer, MemoryJournal, Money, Policy, Remedy, Resolution, Window
from recovery_rules.testing import decisions, money, policies

NAMES = ("staff", "supervisor", "manager", "owner")
KINDS = ("refund", "credit")
FREE = [
    {"id": f"free-{kind}", "kind": kind, "description": "We help.", "value": "0", "applies_to": ["*"]}
    for kind in ("callback", "follow_up", "concierge")
]
# A night the clocks change in each zone, from local midnight: the day windows are 23 or 25 hours (or
# 23.5 and 24.5 at Lord Howe), and in Santiago and Havana local midnight itself is skipped or repeated.
ANCHORS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "America/New_York": ((2026, 11, 1), (2026, 3, 8)),
    "Europe/London": ((2026, 10, 25), (2026, 3, 29)),
    "Australia/Lord_Howe": ((2026, 4, 5), (2026, 10, 4)),
    "America/Santiago": ((2026, 9, 6), (2026, 4, 5)),
    "America/Havana": ((2026, 3, 8), (2026, 11, 1)),
    "UTC": ((2026, 11, 1),),
}
# Offsets of the first complaint from the anchor, and gaps between complaints: exactly a window's length
# (1 hour, 1 day, 7 days), one second either side, the day's length on a clock change (23 and 25 hours),
# the same instant, and a clock behind (a new case dated before the guest's latest grant).
FIRST = (-86400, -3600, -1, 0, 1, 1800, 3600, 82800, 86399, 86400, 90000)
GAPS = (-3600, -120, 0, 1, 1800, 3599, 3600, 3601, 82800, 86399, 86400, 86401, 90000, 7 * 86400)
WINDOWS = ("incident", "day", "1h", "1d", "7d", "30d")


# ---------------------------------------------------------------- the oracle (docs only)


@dataclass(frozen=True)
class Grant:
    at: dt.datetime
    amount: Decimal
    incident: str


@dataclass(frozen=True)
class Verdict:
    outcome: str
    level: str | None  # authorized_by or escalate_to
    callback_by: dt.datetime | None
    actor_can_grant: Decimal | None
    grantable_by: str | None
    total: Decimal


def midnight(date: tuple[int, int, int], zone: ZoneInfo) -> dt.datetime:
    """The local midnight of ``date`` (where the clock skips it, the instant the clock jumps)."""
    year, month, day = date
    return dt.datetime(year, month, day, tzinfo=zone)


def windows_of(policy: Policy) -> list[Window]:
    return list(dict.fromkeys([policy.window, *(cap.window for cap in policy.caps)]))


def counts(window: Window, zone: str, grant: Grant, now: dt.datetime, incident: str) -> bool:
    if window.kind == "incident":
        return grant.incident == incident
    if window.kind == "day":
        local = ZoneInfo(zone)
        return grant.at.astimezone(local).date() == now.astimezone(local).date()
    assert window.duration is not None
    return grant.at > now - window.duration


def granted_in(policy: Policy, history: list[Grant], now: dt.datetime, incident: str) -> dict[Window, Decimal]:
    return {
        window: sum(
            (grant.amount for grant in history if counts(window, policy.timezone, grant, now, incident)), Decimal(0)
        )
        for window in windows_of(policy)
    }


def oracle(
    policy: Policy,
    *,
    kind: str,
    asked: Decimal,
    by: str,
    tier: str,
    now: dt.datetime,
    granted: Mapping[Window, Decimal],
) -> Verdict:
    levels = list(policy.levels)
    acting = next(i for i, level in enumerate(levels) if level.name == by)
    before = granted[policy.window]
    total = before + asked
    cap_rooms = [] if policy.hard_cap is None else [policy.hard_cap.amount - before]
    cap_rooms += [cap.limit.amount - granted[cap.window] for cap in policy.caps]

    def limit(index: int) -> Decimal | None:
        level = levels[index]
        found = level.tier_limits.get(tier, level.limit)
        return None if found is None else found.amount

    def can(index: int) -> bool:
        grants = levels[index].may_grant
        most = limit(index)
        return (grants is None or kind in grants) and (most is None or total <= most)

    own = limit(acting)
    rooms = cap_rooms + ([] if own is None else [own - before])
    can_grant = max(Decimal(0), min(rooms)) if rooms else None
    if kind in policy.refused_remedies or any(asked > room for room in cap_rooms):
        return Verdict("denied", None, None, can_grant, None, total)
    lowest = next((levels[i].name for i in range(len(levels)) if can(i)), None)
    if can(acting):
        return Verdict("approved", by, None, can_grant, lowest, total)
    for index in range(acting + 1, len(levels)):
        if can(index):
            within = levels[index].callback_within
            assert within is not None
            # in real time: from the instant, never on the wall clock
            return Verdict("escalated", levels[index].name, now.astimezone(dt.UTC) + within, can_grant, lowest, total)
    return Verdict("denied", None, None, can_grant, lowest, total)


def disagreement(resolution: Resolution, verdict: Verdict, *, callback: bool = True) -> str | None:
    got = (
        resolution.outcome.value,
        resolution.authorized_by or resolution.escalate_to,
        resolution.callback_by if callback else None,
        None if resolution.actor_can_grant is None else resolution.actor_can_grant.amount,
        resolution.grantable_by,
        resolution.total.amount,
    )
    wanted = (
        verdict.outcome,
        verdict.level,
        verdict.callback_by if callback else None,
        verdict.actor_can_grant,
        verdict.grantable_by,
        verdict.total,
    )
    return None if got == wanted else f"library {got}\n oracle {wanted}\n reason: {resolution.reason}"


# ---------------------------------------------------------------- small random policies


@st.composite
def small_policies(draw: st.DrawFn) -> Policy:
    """2 to 4 levels with base and gold limits (gold above or below the base), 0 to 3 caps of distinct
    windows, a hard cap or not, an unlimited top level or not, a lowest level that may grant credits only."""
    count = draw(st.integers(2, 4))
    grid = st.sampled_from([0, 100, 200, 300, 500])
    base = sorted(draw(st.lists(grid, min_size=count, max_size=count)))
    gold = sorted(draw(st.lists(grid, min_size=count, max_size=count)))
    unlimited = draw(st.booleans())
    window = draw(st.sampled_from(WINDOWS))
    highest = max(base + gold)
    hard_cap = draw(st.sampled_from([None, highest, highest + 100]))
    levels: list[dict[str, Any]] = []
    for index in range(count):
        level: dict[str, Any] = {"name": NAMES[index], "limit": str(base[index])}
        if gold[index] != base[index]:
            level["tier_limits"] = {"gold": str(gold[index])}
        if index:
            level["callback_within"] = draw(st.sampled_from(["30m", "2h", "1d"]))
        levels.append(level)
    if draw(st.booleans()):
        levels[0]["may_grant"] = ["credit"]
    if unlimited:
        levels[-1]["limit"] = "unlimited"
        levels[-1].pop("tier_limits", None)
    cap_windows = [name for name in WINDOWS if hard_cap is None or name != window]
    chosen = draw(st.lists(st.sampled_from(cap_windows), max_size=3, unique=True))
    caps = [{"limit": str(draw(st.sampled_from([100, 200, 300, 400, 600]))), "window": name} for name in chosen]
    data: dict[str, Any] = {
        "name": "Oracle hotel",
        "currency": "USD",
        "timezone": draw(st.sampled_from(sorted(ANCHORS))),
        "window": window,
        "denials_delivered_by": NAMES[count - 1],
        "levels": levels,
        "catalog": FREE,
        "remedy_kinds": list(KINDS),
    }
    if hard_cap is not None:
        data["hard_cap"] = str(hard_cap)
    if caps:
        data["caps"] = caps
    return Policy.model_validate(data)


@dataclass(frozen=True)
class Step:
    gap: int
    asked: int
    kind: str
    tier: str
    by: int
    follow_up: int | None  # index of an earlier case to file it under
    approve_escalation: bool


steps = st.builds(
    Step,
    gap=st.sampled_from(GAPS),
    asked=st.sampled_from([0, 50, 100, 100, 200, 300]),
    kind=st.sampled_from(KINDS),
    tier=st.sampled_from(["standard", "gold", "platinum"]),
    by=st.integers(0, 3),
    follow_up=st.none() | st.integers(0, 5),
    approve_escalation=st.booleans(),
)


def _complaint(step: Step, at: dt.datetime) -> Complaint:
    return Complaint(
        customer=Customer(id="10442", tier=step.tier),
        category="noise",
        requested=Remedy(kind=step.kind, amount=Money(step.asked, "USD")),
        received_at=at,
    )


# ---------------------------------------------------------------- the comparisons


@given(policy=small_policies(), data=st.data())
def test_policy_decide_with_an_amount_per_window_agrees_with_the_docs_oracle(policy: Policy, data: Any) -> None:
    windows = windows_of(policy)
    amounts = st.sampled_from([Decimal(0), Decimal(50), Decimal(100), Decimal(200), Decimal(300)])
    granted = {window: data.draw(amounts) for window in windows}
    if data.draw(st.booleans()):  # one amount, "counted in every window"
        one = data.draw(amounts)
        granted = dict.fromkeys(windows, one)
        given_granted: Money | dict[Window, Money] = Money(one, "USD")
    else:
        given_granted = {window: Money(amount, "USD") for window, amount in granted.items()}
    asked = data.draw(st.sampled_from([0, 1, 50, 100, 200, 300, 400, 500]) | money("USD", max_minor_units=60000))
    asked_money = asked if isinstance(asked, Money) else Money(asked, "USD")
    kind = data.draw(st.sampled_from(KINDS))
    tier = data.draw(st.sampled_from(["standard", "gold", "platinum"]))
    by = data.draw(st.sampled_from([level.name for level in policy.levels]))
    zone = ZoneInfo(policy.timezone)
    anchor = midnight(data.draw(st.sampled_from(ANCHORS[policy.timezone])), zone).astimezone(dt.UTC)
    now = (anchor + dt.timedelta(seconds=data.draw(st.sampled_from(FIRST)))).astimezone(zone)  # given on the wall clock
    complaint = Complaint(
        customer=Customer(id="10442", tier=tier),
        category="noise",
        requested=Remedy(kind=kind, amount=asked_money),
        received_at=now,
    )
    resolution = policy.decide(complaint, by=by, granted=given_granted, now=now)
    verdict = oracle(policy, kind=kind, asked=asked_money.amount, by=by, tier=tier, now=now, granted=granted)
    problem = disagreement(resolution, verdict)
    assert problem is None, problem


@given(policy=policies(currencies=("USD", "JPY", "KWD")), data=st.data())
def test_the_suites_own_policies_and_decisions_agree_with_the_docs_oracle(policy: Policy, data: Any) -> None:
    decision = data.draw(decisions(policy, per_window=True))
    per_window = decision.granted_per_window
    granted = (
        {window: amount.amount for window, amount in per_window.items()}
        if isinstance(per_window, dict)
        else dict.fromkeys(windows_of(policy), per_window.amount)
    )
    requested = decision.complaint.requested
    if requested.kind not in policy.remedy_kinds and requested.kind not in policy.refused_remedies:
        return  # refused as invalid input, not decided
    resolution = decision.run(policy)
    verdict = oracle(
        policy,
        kind=requested.kind,
        asked=requested.amount.amount,
        by=decision.by,
        tier=decision.complaint.customer.tier,
        now=decision.now,
        granted=granted,
    )
    # with business hours the callback is counted in open time, which this oracle does not model
    problem = disagreement(resolution, verdict, callback=policy.business_hours is None)
    assert problem is None, problem


@given(
    policy=small_policies(), first=st.sampled_from(FIRST), plan=st.lists(steps, min_size=2, max_size=5), data=st.data()
)
def test_a_case_reads_its_ledger_as_the_docs_oracle_counts_it(
    policy: Policy, first: int, plan: list[Step], data: Any
) -> None:
    """Cases of one guest at a window's edge, at local midnight, across a clock change, follow-ups of
    follow-ups, a complaint opened again, a clock behind, escalations approved: each decision is the oracle's."""
    zone = ZoneInfo(policy.timezone)
    anchor = midnight(data.draw(st.sampled_from(ANCHORS[policy.timezone])), zone)
    at = anchor.astimezone(dt.UTC) + dt.timedelta(seconds=first)
    names = [level.name for level in policy.levels]
    history: list[Grant] = []
    cases: list[tuple[Case, str]] = []
    first_incident: dict[tuple[object, ...], str] = {}
    with MemoryJournal() as journal:
        for index, step in enumerate(plan):
            if index:
                at += dt.timedelta(seconds=step.gap)
            by = names[step.by % len(names)]
            parent = None if step.follow_up is None or step.follow_up >= len(cases) else cases[step.follow_up]
            case = Case.open(
                journal,
                policy,
                _complaint(step, at),
                by=by,
                now=at,
                incident=None if parent is None else parent[0].number,
            )
            case.listen(now=at)
            case.apologize(now=at)
            case.ask_preferred_solution(now=at)
            resolution = case.decide(now=at)
            same = (step.tier, step.kind, step.asked, at)  # the same complaint opened again joins its incident
            incident = parent[1] if parent is not None else first_incident.get(same, str(case.number))
            first_incident.setdefault(same, incident)
            counted_at = max([at, *(grant.at for grant in history)])  # a clock behind counts at the latest grant
            granted = granted_in(policy, history, counted_at, incident)
            asked = Decimal(step.asked)
            verdict = oracle(policy, kind=step.kind, asked=asked, by=by, tier=step.tier, now=at, granted=granted)
            problem = disagreement(resolution, verdict)
            assert problem is None, f"step {index} at {at.astimezone(zone)}: {problem}"
            if verdict.outcome == "approved":
                history.append(Grant(counted_at, asked, incident))
                assert case.granted == Money(asked, "USD")
            elif verdict.outcome == "escalated" and step.approve_escalation and verdict.level is not None:
                case.escalate(now=at)
                approved = case.manager_approves(by=verdict.level, now=at)
                again = oracle(
                    policy, kind=step.kind, asked=asked, by=verdict.level, tier=step.tier, now=at, granted=granted
                )
                assert (
                    (approved.outcome.value, approved.authorized_by)
                    == ("approved", verdict.level)
                    == (
                        again.outcome,
                        again.level,
                    )
                )
                history.append(Grant(counted_at, asked, incident))
                assert case.granted == Money(asked, "USD")
            cases.append((case, incident))


def test_a_day_cap_counts_a_grant_on_the_day_it_is_decided_not_the_day_the_complaint_came_in() -> None:
    """The oracle pages say only "the calendar day"; the journal page says "the same calendar day as the
    decision". A complaint received at 23:50 in New York and decided at 00:10 is filed under the evening's date
    but counts against the new day's cap: the evening's $200 does not count, its own $300 counts tomorrow."""
    zone = ZoneInfo("America/New_York")
    policy = Policy.model_validate(
        {
            "name": "Oracle hotel",
            "currency": "USD",
            "timezone": "America/New_York",
            "window": "incident",
            "caps": [{"limit": "400", "window": "day"}],
            "denials_delivered_by": "manager",
            "levels": [{"name": "staff", "limit": "100"}, {"name": "manager", "limit": "300", "callback_within": "1d"}],
            "catalog": FREE,
            "remedy_kinds": list(KINDS),
        }
    )
    evening = dt.datetime(2026, 11, 1, 23, 40, tzinfo=zone)  # the night after the clocks went back
    came_in = dt.datetime(2026, 11, 1, 23, 50, tzinfo=zone)
    decided = came_in + dt.timedelta(minutes=20)
    with MemoryJournal() as journal:
        first = Case.open(
            journal,
            policy,
            Complaint(
                customer=Customer(id="10442"),
                category="noise",
                requested=Remedy(kind="refund", amount=Money("200", "USD")),
                received_at=evening,
            ),
            by="manager",
            now=evening,
        )
        first.listen(now=evening)
        first.apologize(now=evening)
        first.ask_preferred_solution(now=evening)
        assert first.decide(now=evening).outcome.value == "approved"
        late = Complaint(
            customer=Customer(id="10442"),
            category="late_check_in",
            requested=Remedy(kind="credit", amount=Money("300", "USD")),
            received_at=came_in,
        )
        case = Case.open(journal, policy, late, by="manager", now=came_in)
        case.listen(now=came_in)
        case.apologize(now=came_in)
        case.ask_preferred_solution(now=came_in)
        resolution = case.decide(now=decided)
        assert str(case.number) == "20261101-10442/2"  # filed under the day it came in
        assert (resolution.outcome.value, resolution.actor_can_grant) == ("approved", Money("300", "USD"))
        tomorrow = decided + dt.timedelta(minutes=5)
        assert journal.granted(
            case.number, window=Window.day(), timezone=policy.timezone, currency="USD", now=tomorrow
        ) == Money("300", "USD")
