"""Stacked caps (issue 12.2): several hard caps, each counted in a window of its own, held by every level.

The levels' authority counts the policy's ``window`` (one incident, for a hotel); each of ``caps`` counts its
own window (a rolling 30 days, a calendar day). What a level may still grant is the least of its room and every
cap's room; the ledger reads every window in the transaction that appends the grant, on every backend.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tempfile
import zoneinfo
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from recovery_rules import (
    AuthorityError,
    Case,
    Complaint,
    Customer,
    InvalidInputError,
    Journal,
    MemoryJournal,
    Money,
    Outcome,
    Policy,
    PolicyError,
    Remedy,
    SQLiteJournal,
    Window,
    presets,
    resolution_violations,
)
from recovery_rules._engine._rules import compile_policy

from ._cli import run
from ._helpers import examples, policy_data, usd
from ._journal_backends import BACKENDS, Harness

NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
EARLIER = dt.datetime(2025, 1, 6, 14, 0, tzinfo=dt.UTC)
"""Where runs that span months start: journals refuse steps dated ahead of their clock."""
RITZ = presets.ritz_carlton()


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    harness = BACKENDS[request.param](tmp_path)
    yield harness
    harness.close()


def complaint(amount: str, *, at: dt.datetime = NOW, customer: str = "10442", category: str = "noise") -> Complaint:
    return Complaint(
        customer=Customer(id=customer),
        category=category,
        requested=Remedy(kind="refund", amount=usd(amount)),
        received_at=at,
    )


def at_decision(case: Case, now: dt.datetime) -> Case:
    case.listen(now=now)
    case.apologize(now=now)
    case.ask_preferred_solution(now=now)
    return case


def stacked(**changes: object) -> Policy:
    """The test hotel (staff $100, supervisor $500, manager $2,000, owner unlimited; $5,000 per incident) with
    a cap of $800 per guest in any 30 days and $600 a day."""
    data = policy_data(
        caps=[{"limit": "800.00", "window": "30d"}, {"limit": "600.00", "window": "day", "label": "daily guest cap"}],
        timezone="America/New_York",
    )
    data.update(changes)
    return Policy.model_validate(data)


# -- the policy file -----------------------------------------------------------------------------------------


def test_a_policy_without_caps_loads_and_decides_as_before() -> None:
    policy = Policy.model_validate(policy_data())
    assert policy.caps == ()
    compiled = compile_policy(policy)
    assert compiled.windows == (Window.incident(),)
    resolution = policy.decide(complaint("6000.00"), by="staff", now=NOW)
    assert resolution.reason == "$6,000.00 asked is over the per-guest cap of $5,000.00"  # hard_cap: its old words


def test_caps_are_read_from_a_toml_file_with_bare_amounts_in_the_policy_currency() -> None:
    text = presets.path("ritz-carlton").read_text(encoding="utf-8")
    assert "[[caps]]" in text
    (cap,) = Policy.from_text(text).caps
    assert cap.limit == usd("10000.00")
    assert cap.window == Window.rolling(dt.timedelta(days=30))
    assert cap.label is None


@pytest.mark.parametrize(
    ("caps", "location", "message"),
    [
        ([{"limit": "800", "window": "incident"}], "caps[0].window", "also the window of hard_cap"),
        (
            [{"limit": "800", "window": "30d"}, {"limit": "900", "window": "P30D"}],
            "caps[1].window",
            "also the window of caps[0]",
        ),
        ([{"limit": "800", "window": "fortnight"}], "caps[0].window", "must be 'incident', 'day' or a duration"),
        ([{"limit": "-1", "window": "30d"}], "caps[0].limit", "must not be negative"),
        ([{"limit": "800.00 EUR", "window": "30d"}], "caps[0].limit", "is in EUR but the policy's currency is USD"),
        ([{"limit": "800", "window": "30d", "label": ""}], "caps[0].label", ""),
        ([{"limit": "800", "window": "30d", "cap": "1"}], "caps[0].cap", "not a field"),
        ([{"window": "30d"}], "caps[0].limit", "required"),
    ],
)
def test_a_mistaken_cap_is_refused_where_it_is(caps: list[dict[str, str]], location: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.model_validate(policy_data(caps=caps))
    problems = {problem.location: problem.message for problem in caught.value.problems}
    assert location in problems, problems
    assert message in problems[location]


def test_a_catalog_value_above_any_cap_is_refused() -> None:
    data = policy_data(caps=[{"limit": "40.00", "window": "30d"}])
    data["catalog"] = [*data["catalog"], {**data["catalog"][0], "id": "dear", "kind": "dear", "value": "50.00"}]
    with pytest.raises(PolicyError, match=r"catalog\[\d+\]\.value: is above the cap of caps\[0\]"):
        Policy.model_validate(data)


def test_an_alternative_worth_exactly_the_lowest_cap_loads() -> None:
    """Only a catalog value above a cap is refused: an alternative worth exactly the hard cap, or exactly a cap of
    another window, may be offered."""
    upgrade = {"id": "stay", "kind": "upgrade", "description": "A free stay", "applies_to": ["*"]}
    data = policy_data()
    data["catalog"] = [*data["catalog"], {**upgrade, "value": "5000"}]
    assert Policy.model_validate(data).catalog[-1].value == usd("5000.00")
    data = policy_data(caps=[{"limit": "900.00", "window": "30d"}])
    data["catalog"] = [*data["catalog"], {**upgrade, "value": "900"}]
    assert Policy.model_validate(data).catalog[-1].value == usd("900.00")


def test_a_cap_below_a_level_limit_is_allowed_and_binds_that_level() -> None:
    policy = Policy.model_validate(policy_data(caps=[{"limit": "300.00", "window": "day"}]))
    resolution = policy.decide(complaint("400.00"), by="supervisor", now=NOW)  # within the supervisor's $500
    assert resolution.outcome is Outcome.DENIED
    assert resolution.reason == "$400.00 asked is over the per-guest cap of $300.00 per day"
    assert resolution.actor_can_grant == usd("300.00")


def test_the_json_schema_describes_caps() -> None:
    schema = json.loads(Path("docs/policy.schema.json").read_text(encoding="utf-8"))
    assert schema["properties"]["caps"]["items"] == {"$ref": "#/$defs/Cap"}
    assert set(schema["$defs"]["Cap"]["properties"]) == {"limit", "window", "label"}
    assert schema["$defs"]["Cap"]["required"] == ["limit", "window"]


def test_check_names_the_line_of_a_mistaken_cap_and_lists_the_caps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = presets.path("ritz-carlton").read_text(encoding="utf-8")
    broken = text.replace('limit = "10000.00"\nwindow = "30d"', 'limit = "10000.00"\nwindow = "incident"')
    path = tmp_path / "policy.toml"
    path.write_text(broken, encoding="utf-8")
    line = broken.splitlines().index('window = "incident"', broken.splitlines().index("[[caps]]")) + 1
    result = run(capsys, "check", str(path))
    assert result.code == 1
    assert f"policy.toml:{line}:1: caps[0].window: 'incident' is also the window of hard_cap" in result.out
    summary = run(capsys, "check", "ritz-carlton").out
    assert "cap: $10,000.00 in any 30d; below the limit of general_manager" in summary


# -- the decision --------------------------------------------------------------------------------------------


def test_what_a_level_may_still_grant_is_the_least_room_of_all() -> None:
    policy = stacked()
    granted = {"incident": usd("0"), "30d": usd("700.00"), "day": usd("0")}
    resolution = policy.decide(complaint("150.00"), by="supervisor", granted=granted, now=NOW)
    assert resolution.outcome is Outcome.DENIED  # $850 in 30 days is over $800, though within $500 for the incident
    assert resolution.reason.endswith("is over the per-guest cap of $800.00 in any 30 days")
    assert resolution.actor_can_grant == usd("100.00")
    caps = [
        (entry.passed, entry.figures["total"], entry.figures["cap"])
        for entry in resolution.trace
        if entry.rule == "cap.hard"
    ]
    assert caps == [
        (True, usd("150.00"), usd("5000.00")),
        (True, usd("150.00"), usd("600.00")),
        (False, usd("850.00"), usd("800.00")),  # the cap that bound it, last
    ]
    approved = policy.decide(complaint("100.00"), by="supervisor", granted=granted, now=NOW)
    assert approved.outcome is Outcome.APPROVED
    assert approved.actor_can_grant == usd("100.00")


def test_the_label_names_the_cap_and_plan_b_names_the_cap_that_bounds_it() -> None:
    policy = stacked()
    granted = {"incident": usd("0"), "30d": usd("100.00"), "day": usd("550.00")}
    escalated = policy.decide(complaint("50.00", category="out_of_stock"), by="staff", granted=granted, now=NOW)
    assert escalated.outcome is Outcome.APPROVED
    denied = policy.decide(complaint("60.00"), by="staff", granted=granted, now=NOW)
    assert denied.reason.endswith("is over the daily guest cap of $600.00")
    (offered,) = [entry.message for entry in denied.trace if entry.rule == "alternatives.offered"]
    assert "($50.00 left to grant under the daily guest cap of $600.00)" in offered


def test_extra_mile_suggestions_fit_what_every_cap_leaves_after_the_approved_remedy() -> None:
    """Suggestions are what the acting level may still grant once the approved remedy is granted too, under
    every cap: $500 granted today and $90 approved leave $10 of the $600 daily cap, so a $15 drink does not fit;
    $80 approved leaves $20, and it does."""
    catalog = policy_data()["catalog"]
    for entry in catalog:
        if entry["id"] == "drink":  # $15, for every complaint
            entry["extra_mile"] = True
    policy = stacked(catalog=catalog)
    granted = {"incident": usd("0.00"), "30d": usd("500.00"), "day": usd("500.00")}
    tight = policy.decide(complaint("90.00"), by="manager", granted=granted, now=NOW)
    assert tight.outcome is Outcome.APPROVED
    assert [suggestion.id for suggestion in tight.suggestions] == []
    roomy = policy.decide(complaint("80.00"), by="manager", granted=granted, now=NOW)
    assert [suggestion.id for suggestion in roomy.suggestions] == ["drink"]


def test_one_amount_counts_in_every_window() -> None:
    policy = stacked()
    resolution = policy.decide(complaint("100.00"), by="supervisor", granted=usd("750.00"), now=NOW)
    assert resolution.outcome is Outcome.DENIED
    assert resolution.reason.endswith("is over the daily guest cap of $600.00")  # the least room: $600 - $750


@pytest.mark.parametrize(
    ("granted", "message"),
    [
        ({"incident": usd("0"), "30d": usd("0")}, "granted['day']: is required: give what was granted in each"),
        ({"incident": usd("0"), "30d": usd("0"), "day": usd("0"), "7d": usd("0")}, "is not a window the policy"),
        ({"incident": usd("0"), "30d": usd("0"), "P30D": usd("0"), "day": usd("0")}, "a second time"),
        ({"incident": usd("0"), "30d": Money("0", "EUR"), "day": usd("0")}, "granted['30d']"),
        ({"incident": usd("0"), "30d": usd("0"), "day": "10.00"}, "granted['day']"),
    ],
)
def test_amounts_per_window_must_name_each_window_once(granted: Any, message: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        stacked().decide(complaint("10.00"), by="staff", granted=granted, now=NOW)
    assert message in str(caught.value)


cents = st.integers(0, 100_000).map(lambda minor: Money(Decimal(minor).scaleb(-2), "USD"))


@settings(max_examples=examples(200))
@given(
    asked=cents,
    incident=cents,
    thirty=cents,
    day=cents,
    by=st.sampled_from(("staff", "supervisor", "manager", "owner")),
    tier=st.sampled_from(("standard", "gold")),
)
def test_any_amounts_per_window_keep_every_promise(
    *, asked: Money, incident: Money, thirty: Money, day: Money, by: str, tier: str
) -> None:
    policy = stacked()
    request = Complaint(
        customer=Customer(id="10442", tier=tier),
        category="out_of_stock",
        requested=Remedy(kind="refund", amount=asked),
        received_at=NOW,
    )
    granted = {"incident": incident, "30d": thirty, "day": day}
    resolution = policy.decide(request, by=by, granted=granted, now=NOW)
    assert resolution_violations(policy, request, by, granted, resolution, now=NOW) == []
    rooms = [usd("5000.00") - incident, usd("800.00") - thirty, usd("600.00") - day]
    over = any(room < asked for room in rooms)
    assert (resolution.outcome is Outcome.DENIED and "cap" in resolution.reason) is over
    if resolution.outcome is Outcome.APPROVED:
        assert all(asked <= room for room in rooms)


def test_windows_may_be_given_as_window_objects() -> None:
    policy = stacked()
    granted = {Window.incident(): usd("0"), Window.rolling(dt.timedelta(days=30)): usd("790"), Window.day(): usd("0")}
    assert policy.decide(complaint("20.00"), by="staff", granted=granted, now=NOW).outcome is Outcome.DENIED


def test_durable_rules_decide_stacked_caps_as_the_core_engine() -> None:
    durable = pytest.importorskip("durable_rules_engine")
    del durable
    from recovery_rules import DurableEngine  # noqa: PLC0415 - only with the durable extra

    policy = stacked()
    with DurableEngine(policy) as engine:
        for day, thirty, asked in [
            ("0", "0", "50.00"),
            ("550", "100", "60.00"),
            ("0", "750", "60.00"),
            ("0", "0", "700"),
        ]:
            granted = {"incident": usd("0"), "30d": usd(thirty), "day": usd(day)}
            for by in ("staff", "supervisor", "owner"):
                expected = policy.decide(complaint(asked), by=by, granted=granted, now=NOW)
                assert engine.decide(complaint(asked), by=by, granted=granted, now=NOW) == expected


# -- the Ritz-Carlton: six $2,000 complaints in one hour --------------------------------------------------------


def test_six_2000_complaints_in_an_hour_never_total_more_than_the_cap(backend: Harness) -> None:
    journal = backend.journal()
    outcomes, granted = [], Money("0", "USD")
    for minute in range(0, 60, 10):
        now = NOW + dt.timedelta(minutes=minute)
        case = at_decision(Case.open(journal, RITZ, complaint("2000.00", at=now), by="staff", now=now), now)
        resolution = case.decide(now=now)
        outcomes.append(resolution.outcome)
        granted += case.granted
    assert outcomes == [Outcome.APPROVED] * 5 + [Outcome.DENIED]
    assert granted == usd("10000.00")  # $2,000 staff authority per incident, $10,000 per guest in 30 days
    assert resolution.reason == (
        "$12,000.00 in total ($10,000.00 already granted + $2,000.00 asked) "
        "is over the per-guest cap of $10,000.00 in any 30 days"
    )
    assert resolution.delivered_by == "manager"
    assert len(resolution.alternatives) == 3


def test_the_30_day_cap_makes_room_again_after_30_days(backend: Harness) -> None:
    journal = backend.journal()
    for day in range(5):
        now = EARLIER + dt.timedelta(days=day)
        case = at_decision(Case.open(journal, RITZ, complaint("2000.00", at=now), by="staff", now=now), now)
        assert case.decide(now=now).outcome is Outcome.APPROVED
    almost = EARLIER + dt.timedelta(days=30) - dt.timedelta(seconds=1)
    case = at_decision(Case.open(journal, RITZ, complaint("2000.00", at=almost), by="staff", now=almost), almost)
    assert case.decide(now=almost).outcome is Outcome.DENIED
    later = EARLIER + dt.timedelta(days=30)  # the first $2,000 is now 30 days old: out of the window
    case = at_decision(Case.open(journal, RITZ, complaint("2000.00", at=later), by="staff", now=later), later)
    assert case.decide(now=later).outcome is Outcome.APPROVED


# -- linked incidents ----------------------------------------------------------------------------------------


def test_a_follow_up_counts_against_its_incident_and_every_cap(backend: Harness) -> None:
    journal = backend.journal()
    first = at_decision(Case.open(journal, RITZ, complaint("1500.00"), by="staff", now=NOW), NOW)
    assert first.decide(now=NOW).outcome is Outcome.APPROVED
    other = at_decision(
        Case.open(journal, RITZ, complaint("2000.00", category="billing_error"), by="staff", now=NOW), NOW
    )
    assert other.decide(now=NOW).outcome is Outcome.APPROVED  # an incident of its own: staff's $2,000 again
    later = NOW + dt.timedelta(hours=3)
    follow_up = Case.open(journal, RITZ, complaint("600.00", at=later), by="staff", now=later, incident=first.number)
    escalated = at_decision(follow_up, later).decide(now=later)
    assert escalated.outcome is Outcome.ESCALATED  # $1,500 + $600 for the incident: beyond staff's $2,000
    assert escalated.granted_before == usd("1500.00")
    assert escalated.escalate_to == "manager"
    follow_up.escalate(now=later)
    approved = follow_up.manager_approves(by="manager", now=later)
    assert approved.total == usd("2100.00")
    # The incident now holds $2,100 and the guest $4,100 in 30 days; a second follow-up of $6,000 is over the
    # $10,000 per guest cap (not over the $10,000 per incident cap: $8,100 for the incident).
    last = NOW + dt.timedelta(hours=4)
    again = Case.open(journal, RITZ, complaint("6000.00", at=last), by="staff", now=last, incident=first.number)
    denied = at_decision(again, last).decide(now=last)
    assert denied.outcome is Outcome.DENIED
    assert denied.granted_before == usd("2100.00")
    assert denied.reason.endswith("is over the per-guest cap of $10,000.00 in any 30 days")
    assert "$10,100.00 in total ($4,100.00 already granted + $6,000.00 asked)" in denied.reason


def test_an_alternative_accepted_after_the_room_shrank_is_refused_naming_the_cap(backend: Harness) -> None:
    # The paid dinner and drink are written for room_not_ready here, so the Plan B ranking offers them first.
    catalog = [
        {**entry, "applies_to": ["room_not_ready", "*"]} if entry["id"] in {"dinner", "drink"} else entry
        for entry in policy_data()["catalog"]
    ]
    policy = stacked(catalog=catalog)
    journal = backend.journal()
    denied = at_decision(
        Case.open(journal, policy, complaint("700.00", category="room_not_ready"), by="staff", now=NOW), NOW
    )
    assert denied.decide(now=NOW).outcome is Outcome.DENIED  # over the $600 daily cap at once
    denied.explain_denial(now=NOW)
    assert [alternative.id for alternative in denied.alternatives_offered] == ["dinner", "drink"]  # $80, $15
    # Meanwhile another incident of the same guest takes $550 of the day's $600.
    rival = Case.open(journal, policy, complaint("550.00", category="out_of_stock"), by="staff", now=NOW)
    assert at_decision(rival, NOW).decide(by="manager", now=NOW).outcome is Outcome.APPROVED
    with pytest.raises(AuthorityError, match=r"may grant this guest only \$50.00 more now under the daily guest cap"):
        denied.accept_alternative("dinner", now=NOW)
    denied.accept_alternative("drink", now=NOW)  # $15 still fits
    assert denied.granted == usd("15.00")


# -- any interleaving of incidents and levels ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Step:
    customer: str
    follow_up: int | None  # an earlier case of this run to file under, when it is the same customer's
    amount: int  # dollars
    level: str
    approve: bool  # if escalated: the level it went to approves
    hours: int  # since the step before
    behind: int = 0  # hours this step's clock is behind (a back-dated step): its grant counts after the latest


POLICY = stacked()
ZONE = zoneinfo.ZoneInfo(POLICY.timezone)
LEVELS = [level.name for level in POLICY.levels]

steps = st.builds(
    Step,
    customer=st.sampled_from(("10442", "77")),
    follow_up=st.none() | st.integers(0, 20),
    amount=st.sampled_from((0, 25, 50, 100, 150, 200, 300, 450, 500, 600, 650, 800, 900)),
    level=st.sampled_from(LEVELS),
    approve=st.booleans(),
    hours=st.sampled_from((0, 0, 1, 5, 20, 24 * 7, 24 * 29, 24 * 31)),
    behind=st.sampled_from((0, 0, 0, 0, 2, 24, 24 * 3)),
)


@dataclasses.dataclass(frozen=True)
class Grant:
    customer: str
    incident: str
    at: dt.datetime
    amount: Decimal


def independent(grants: list[Grant], customer: str, incident: str, now: dt.datetime) -> dict[str, Money]:
    """What the guest was granted in each window, summed from the run's own record, not the journal's."""
    day = now.astimezone(ZONE).date()

    def total(chosen: list[Grant]) -> Money:
        return usd(str(sum((grant.amount for grant in chosen), Decimal("0.00"))))

    mine = [grant for grant in grants if grant.customer == customer]
    return {
        "incident": total([grant for grant in mine if grant.incident == incident]),
        "30d": total([grant for grant in mine if grant.at > now - dt.timedelta(days=30)]),
        "day": total([grant for grant in mine if grant.at.astimezone(ZONE).date() == day]),
    }


def run_steps(journal: Journal, plan: list[Step]) -> None:
    grants: list[Grant] = []
    cases: list[tuple[str, str, Case]] = []  # customer, incident, case
    now = EARLIER
    for step in plan:
        now += dt.timedelta(hours=step.hours)
        at = now - dt.timedelta(hours=step.behind)
        # A grant is counted no earlier than the guest's latest: a back-dated one at that grant's time.
        counted = max([at, *(grant.at for grant in grants if grant.customer == step.customer)])
        earlier = cases[step.follow_up] if step.follow_up is not None and step.follow_up < len(cases) else None
        if earlier is not None and earlier[0] != step.customer:
            earlier = None
        asked = complaint(f"{step.amount}.00", at=at, customer=step.customer, category="out_of_stock")
        case = Case.open(
            journal, POLICY, asked, by="staff", now=at, incident=None if earlier is None else earlier[2].number
        )
        # A follow-up's incident is the earlier case's; the same complaint opened twice joins its first case's.
        incident = str(case.history[0].data.get("incident", case.number))
        assert earlier is None or incident == earlier[1]
        cases.append((step.customer, incident, case))
        at_decision(case, at)
        before = independent(grants, step.customer, incident, counted)
        resolution = case.decide(by=step.level, now=at)
        assert resolution.granted_before == before["incident"]
        assert resolution_violations(POLICY, asked, step.level, before, resolution, now=at) == []
        if resolution.outcome is Outcome.ESCALATED and step.approve:
            case.escalate(now=at)
            target = resolution.escalate_to
            assert target is not None
            approved = case.manager_approves(by=target, now=at)
            assert approved.delivered_by == case.level  # the case's employee delivers it (seed 002)
            as_decided = approved.model_copy(update={"delivered_by": target})  # as Policy.decide delivers its own
            assert resolution_violations(POLICY, asked, target, before, as_decided, now=at) == []
        if any(event.grant is not None for event in case.history):  # $0 too: later grants count after it
            grants.append(Grant(step.customer, incident, counted, case.granted.amount))
        # Every cap holds in every window, counted independently, whatever was decided.
        after = independent(grants, step.customer, incident, counted)
        assert after["incident"] <= usd("5000.00")
        assert after["30d"] <= usd("800.00")
        assert after["day"] <= usd("600.00")


ZERO_THEN_BEHIND = [
    *[Step("10442", None, 0, "staff", False, 0)] * 7,  # $0 approvals: grants, which later grants count after
    Step("10442", None, 450, "staff", True, 0, behind=24),  # a day behind: counted at the $0 grants' time
    Step("10442", None, 450, "staff", False, 24 * 29),  # 29 days on: the first 450 still counts in the 30 days
]


@settings(max_examples=examples(100))
@example(ZERO_THEN_BEHIND)
@given(st.lists(steps, min_size=1, max_size=12))
def test_caps_hold_for_any_interleaving_of_incidents_and_levels_in_memory(plan: list[Step]) -> None:
    run_steps(MemoryJournal(), plan)


@pytest.mark.slow
@settings(max_examples=examples(25))
@given(st.lists(steps, min_size=1, max_size=10))
def test_caps_hold_for_any_interleaving_of_incidents_and_levels_in_sqlite(plan: list[Step]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        journal = SQLiteJournal(Path(folder) / "journal.sqlite3")
        try:
            run_steps(journal, plan)
        finally:
            journal.close()


FIXED_PLAN = [
    Step("10442", None, 450, "supervisor", False, 0),
    Step("10442", 0, 100, "staff", True, 1),
    Step("77", None, 600, "staff", True, 0),
    Step("10442", None, 300, "manager", False, 1),
    Step("10442", 1, 50, "staff", False, 24),
    Step("10442", None, 300, "owner", False, 24 * 29),
    Step("10442", 3, 650, "staff", True, 24),
    Step("77", 2, 200, "supervisor", True, 24 * 31),
    Step("77", None, 600, "staff", True, 1, behind=24 * 3),  # a clock 3 days behind: today's day cap still holds
]


def test_caps_hold_for_an_interleaving_on_every_backend(backend: Harness) -> None:
    run_steps(backend.journal(), FIXED_PLAN)


def test_a_cap_of_its_own_window_bounds_an_unlimited_level_s_plan_b() -> None:
    """Without a hard cap, a cap in ``caps`` alone bounds an unlimited level: with that cap used up it can offer
    only free alternatives, so paid ones do not fill its Plan B (with no cap at all they do)."""
    paid = [
        {"id": kind, "kind": kind, "description": f"A {kind}", "value": "10", "applies_to": ["*"]}
        for kind in ("voucher", "credit", "upgrade")
    ]
    data = policy_data(hard_cap=None, levels=[{"name": "manager", "limit": "unlimited"}], catalog=paid)
    assert Policy.model_validate(data).caps == ()
    with pytest.raises(PolicyError) as caught:
        Policy.model_validate({**data, "caps": [{"limit": "1000.00", "window": "30d"}]})
    problems = [str(problem) for problem in caught.value.problems]
    assert problems, problems
    assert all("fewer than 3 free (value 0) alternatives" in problem for problem in problems), problems
