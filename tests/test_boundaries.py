"""Boundaries the rest of the suite did not guard: each test here fails with a small, realistic bug that every
other test let pass (hand mutation testing of the engine, the promise checks, the ledger, business hours, Plan B
and the case workflow: 19 of 68 such bugs survived the suite, 2026-12-06).

Each test's docstring names the bug it catches: a limit compared with ``<`` for ``<=``, a window's first instant
left out, a check of the promises that accepts a broken one. The promise checks (``resolution_violations``) are
what ``prove`` and the property tests rely on, so each is fed a forged resolution it must refuse.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zoneinfo
from pathlib import Path

import pytest

from recovery_rules import (
    Case,
    Complaint,
    ComplaintNumber,
    Customer,
    Draft,
    JournalIntegrityError,
    MemoryJournal,
    Outcome,
    Policy,
    Remedy,
    Resolution,
    SQLiteJournal,
    Window,
    presets,
    resolution_violations,
)
from recovery_rules._journal._canonical import canonical_json
from recovery_rules._policy._policy import compiled_policy
from recovery_rules._values._hours import Schedule

from . import _ledger_scenario as scenario
from ._helpers import policy_data, usd
from ._journal_backends import BACKENDS

NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)  # 09:00 in New York


def ask(amount: str, *, tier: str = "standard", kind: str = "refund", at: dt.datetime = NOW) -> Complaint:
    return Complaint(
        customer=Customer(id="10442", tier=tier),
        category="room_not_ready",
        requested=Remedy(kind=kind, amount=usd(amount)),
        received_at=at,
    )


def hotel(**changes: object) -> Policy:
    """The tests' hotel: staff $100 (gold $300), supervisor $500 (gold $800), manager $2,000, owner unlimited;
    $5,000 per incident; denials delivered by the manager; three alternatives."""
    return Policy.model_validate(policy_data(**changes))


# -- the decision -----------------------------------------------------------------------------------------------------


def test_a_gold_guest_is_escalated_to_the_lowest_level_whose_gold_limit_covers_it() -> None:
    """The bug it catches: tier limits ignored when choosing the escalation target. Only test_caps' Hypothesis
    property finds it, and only under the ci profile (not with make check)."""
    resolution = hotel().decide(ask("700.00", tier="gold"), by="staff", now=NOW)
    assert resolution.outcome is Outcome.ESCALATED
    assert resolution.escalate_to == "supervisor"  # $800 for gold guests; $500 for others
    assert resolution.grantable_by == "supervisor"


def test_an_unlimited_level_may_still_grant_only_what_the_hard_cap_leaves() -> None:
    """The bug it catches: room ignores hard_cap for a level without a limit."""
    policy = hotel()
    resolution = policy.decide(ask("200.00"), by="owner", granted=usd("4900.00"), now=NOW)
    assert resolution.outcome is Outcome.DENIED  # $5,100.00 is over the $5,000.00 per incident
    assert resolution.actor_can_grant == usd("100.00")  # not "no limit": the cap leaves $100.00
    assert all(alternative.value.amount <= 100 for alternative in resolution.alternatives)


def test_extra_mile_suggestions_fit_what_is_left_after_the_approved_remedy() -> None:
    """The bug it catches: the extra mile's room counted before the approved remedy."""
    catalog = policy_data()["catalog"]
    for entry in catalog:
        if entry["id"] == "drink":  # $15, for every complaint
            entry["extra_mile"] = True
    policy = hotel(catalog=catalog)
    # staff may grant $100.00; $90.00 asked leaves $10.00: a $15.00 drink no longer fits
    resolution = policy.decide(ask("90.00"), by="staff", now=NOW)
    assert resolution.outcome is Outcome.APPROVED
    assert [suggestion.id for suggestion in resolution.suggestions] == []
    # $80.00 asked leaves $20.00: it fits (the test can fail both ways)
    roomy = policy.decide(ask("80.00"), by="staff", now=NOW)
    assert [suggestion.id for suggestion in roomy.suggestions] == ["drink"]


def test_an_approval_at_exactly_a_stacked_cap_passes_every_cap_entry() -> None:
    """The bug it catches: a total exactly at a stacked cap traced as over it."""
    policy = hotel(
        caps=[{"limit": "800.00", "window": "30d"}, {"limit": "600.00", "window": "day", "label": "daily guest cap"}],
        timezone="America/New_York",
    )
    granted = {"incident": usd("0.00"), "30d": usd("0.00"), "day": usd("0.00")}
    resolution = policy.decide(ask("600.00"), by="manager", granted=granted, now=NOW)
    assert resolution.outcome is Outcome.APPROVED
    caps = [entry for entry in resolution.trace if entry.rule == "cap.hard"]
    assert len(caps) == 3
    assert all(entry.passed for entry in caps), [entry.message for entry in caps]


def test_when_the_levels_room_and_a_caps_are_equal_plan_b_names_the_levels_authority() -> None:
    """The bug it catches: ``binding`` names a cap whose room only equals the level's. Words only: the staff
    member's $100.00 is what bounds it, and the Plan B entry says so without a cap."""
    policy = hotel(
        caps=[{"limit": "800.00", "window": "30d"}, {"limit": "600.00", "window": "day", "label": "daily guest cap"}],
        timezone="America/New_York",
    )
    granted = {"incident": usd("0.00"), "30d": usd("500.00"), "day": usd("500.00")}  # the day cap leaves $100.00
    resolution = policy.decide(ask("150.00"), by="staff", granted=granted, now=NOW)
    assert resolution.actor_can_grant == usd("100.00")
    (offered,) = [entry.message for entry in resolution.trace if entry.rule == "alternatives.offered"]
    assert "cap" not in offered, offered


# -- the promise checks -----------------------------------------------------------------------------------------------


def _escalation() -> tuple[Policy, Complaint, Resolution]:
    policy = hotel()
    request = ask("300.00")
    resolution = policy.decide(request, by="staff", now=NOW)
    assert resolution.escalate_to == "supervisor"
    return policy, request, resolution


def test_violations_see_an_escalation_past_a_lower_level_that_can_grant_it() -> None:
    """The bug it catches: the oracle's check of skipped levels removed."""
    policy, request, resolution = _escalation()
    assert resolution_violations(policy, request, "staff", None, resolution, now=NOW) == []
    skipped = resolution.model_copy(update={"escalate_to": "manager"})
    found = resolution_violations(policy, request, "staff", None, skipped, now=NOW)
    assert "escalated to manager although supervisor is lower and can grant it" in found


def _denial() -> tuple[Policy, Complaint, Resolution]:
    policy = hotel()
    request = ask("6000.00")  # over the $5,000.00 cap
    resolution = policy.decide(request, by="staff", now=NOW)
    assert resolution.outcome is Outcome.DENIED
    assert len(resolution.alternatives) == 3
    assert resolution_violations(policy, request, "staff", None, resolution, now=NOW) == []
    return policy, request, resolution


def test_violations_see_a_plan_b_one_alternative_short() -> None:
    """The bug it catches: the oracle accepts one alternative fewer than promised."""
    policy, request, resolution = _denial()
    short = resolution.model_copy(update={"alternatives": resolution.alternatives[:2]})
    found = resolution_violations(policy, request, "staff", None, short, now=NOW)
    assert "a denied resolution offers 2 alternatives; the policy promises 3" in found


def test_violations_see_a_plan_b_in_the_wrong_order() -> None:
    """The bug it catches: the oracle compares the Plan B as a set."""
    policy, request, resolution = _denial()
    reordered = resolution.model_copy(update={"alternatives": tuple(reversed(resolution.alternatives))})
    found = resolution_violations(policy, request, "staff", None, reordered, now=NOW)
    assert any(problem.startswith("alternatives are not in the order") for problem in found), found


def test_violations_see_a_denial_delivered_by_the_employee() -> None:
    """The bug it catches: the oracle accepts the acting employee delivering a denial."""
    policy, request, resolution = _denial()
    assert resolution.delivered_by == "manager"
    by_staff = resolution.model_copy(update={"delivered_by": "staff"})
    found = resolution_violations(policy, request, "staff", None, by_staff, now=NOW)
    assert "a denial is delivered by manager, not staff" in found


def test_violations_see_a_callback_promised_at_the_next_opening_instead_of_closing_time() -> None:
    """The bug it catches: the oracle accepts a callback at the very instant the business opens. Two hours from
    20:00 with 07:00-22:00 is 22:00 that night; 07:00 the next morning counts the same open time, but is not when
    the promise falls due."""
    policy = Policy.model_validate(policy_data(timezone="America/New_York", business_hours={"default": "07:00-22:00"}))
    at = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)  # 20:00 in New York on the 23rd
    request = ask("300.00", at=at)
    resolution = policy.decide(request, by="staff", now=at)  # the supervisor calls back within 1h
    assert resolution.escalate_to == "supervisor"
    assert resolution.callback_by == at + dt.timedelta(hours=1)
    assert resolution_violations(policy, request, "staff", None, resolution, now=at) == []
    # a supervisor's callback 1h of open time after 21:00 New York is 22:00; 07:00 next day counts the same
    late = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)  # 21:00 New York
    resolution = policy.decide(ask("300.00", at=late), by="staff", now=late)
    assert resolution.callback_by == dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)  # 22:00, closing time
    next_morning = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)  # 07:00 New York on the 24th
    moved = resolution.model_copy(update={"callback_by": next_morning})
    found = resolution_violations(policy, ask("300.00", at=late), "staff", None, moved, now=late)
    assert any("is not in business hours, or not right after open time" in problem for problem in found), found


# -- the ledger -------------------------------------------------------------------------------------------------------


def test_a_days_only_grant_at_local_midnight_counts_in_that_day() -> None:
    """The bug it catches: _before treats a latest grant exactly at the window's start as outside it (the ledger
    tests' own grant at midnight is never the guest's latest, so they missed it)."""
    journal = MemoryJournal()
    midnight = dt.datetime(2026, 11, 24, 5, 0, tzinfo=dt.UTC)  # 00:00 on the 24th in New York
    number = ComplaintNumber.parse("20261124-10442")
    journal.append(
        number,
        Draft(kind="granted", state="granted", actor="staff", at=midnight, grant=usd("7.50")),
        expected_version=0,
        key="midnight",
        request={},
    )
    later = midnight + dt.timedelta(hours=1)
    for window in (Window.day(), Window.rolling(dt.timedelta(hours=2))):
        counted = journal.granted(number, window=window, timezone="America/New_York", currency="USD", now=later)
        assert counted == usd("7.50"), window
    # the rolling window's first instant: exactly 1 h after a grant, a 1 h window no longer counts it; a
    # microsecond earlier it does
    hour = Window.rolling(dt.timedelta(hours=1))
    edge = midnight + dt.timedelta(hours=1) - dt.timedelta(microseconds=1)
    assert journal.granted(number, window=hour, timezone="UTC", currency="USD", now=edge) == usd("7.50")


def test_a_legacy_grant_at_the_first_instant_of_a_rolling_window_counts(tmp_path: Path) -> None:
    """The bug it catches: the old grants' query starts its window exclusively: ``at > since``. Release 0.1.0's
    journal holds grants of guest 10442 at 09:04 ($150.00) and 09:09 ($40.00) on 23 November 2026 (UTC)."""
    path = tmp_path / "journal.sqlite3"
    shutil.copy(Path(__file__).parent / "data" / "journal-0.1.0.sqlite3", path)
    journal = SQLiteJournal(path)
    try:
        number = ComplaintNumber.parse("20261123-10442")
        second = dt.datetime(2026, 11, 23, 9, 9, tzinfo=dt.UTC)
        hour = Window.rolling(dt.timedelta(hours=1))
        # a window counts what is later than now - d: now = 10:09 - 1 us makes 09:09 its very first instant
        now = second + dt.timedelta(hours=1) - dt.timedelta(microseconds=1)
        assert journal.granted(number, window=hour, timezone="UTC", currency="USD", now=now) == usd("40.00")
        assert journal.granted(
            number, window=hour, timezone="UTC", currency="USD", now=now + dt.timedelta(microseconds=1)
        ) == usd("0.00")
    finally:
        journal.close()


def test_a_rewritten_grant_before_the_days_end_is_refused_by_the_next_grants_link(tmp_path: Path) -> None:
    """The bug it catches: ``_last_before`` does not compare the next grant's ``prev_hash`` with the grant it found.
    In a journal without a ledger key, the grant that ends a day is rewritten ($100.00 to $0.01, its running totals
    too) and given the hash of its new content: its row-level check passes, but the guest's next grant still links
    to the hash it had, so the day's ledger refuses."""
    harness = BACKENDS["sqlite"](tmp_path)
    try:
        journal = harness.journal()
        scenario.append(journal, scenario.Grant("first", 0, "100.00"))  # noon on the 20th in New York
        scenario.append(journal, scenario.Grant("second", 1440, "50.00"))  # noon on the 21st: the latest
        now = scenario.T0 + dt.timedelta(hours=1)  # the 20th: its day ends before the guest's latest grant
        assert scenario.ledger(journal, "day", now) == usd("100.00")
        first = next(event for event in journal.iter_events() if event.grant is not None)
        record = harness.record(first.seq)
        body = json.loads(record["ledger"]) if isinstance(record["ledger"], str) else dict(record["ledger"])
        body["guest"]["total"] = body["incident_total"]["total"] = "0.01"
        harness.edit(first.seq, "grant", {"amount": "0.01", "currency": "USD"}, rehashed=True)
        harness.edit(first.seq, "ledger", canonical_json(body).decode(), rehashed=True)
        with pytest.raises(JournalIntegrityError):
            scenario.ledger(harness.journal(), "day", now)
    finally:
        harness.close()


def test_a_grant_before_the_window_with_a_forged_running_count_is_refused(tmp_path: Path) -> None:
    """The bug it catches: ``_before`` does not check that the grant before the window counts fewer grants than the
    latest. The forgery (the count raised, the hash recomputed) does not change the sum, so only this check sees it;
    no test reached it."""
    harness = BACKENDS["sqlite"](tmp_path)
    try:
        journal = harness.journal()
        scenario.append(journal, scenario.Grant("first", 0, "100.00"))  # the 20th in New York
        scenario.append(journal, scenario.Grant("second", 1440, "50.00"))  # the 21st: the latest
        now = scenario.T0 + dt.timedelta(days=1, hours=1)
        assert scenario.ledger(journal, "day", now, "second") == usd("50.00")
        first = next(event for event in journal.iter_events() if event.grant is not None)
        record = harness.record(first.seq)
        body = json.loads(record["ledger"]) if isinstance(record["ledger"], str) else dict(record["ledger"])
        body["guest"].update(count=7, prev_seq=1, prev_hash=record["prev"])  # linked, as a 7th grant is
        harness.edit(first.seq, "ledger", canonical_json(body).decode(), rehashed=True)
        with pytest.raises(JournalIntegrityError, match="its ledger index does not match the event"):
            scenario.ledger(harness.journal(), "day", now, "second")
    finally:
        harness.close()


# -- the case's callbacks ---------------------------------------------------------------------------------------------


def _escalated_case(decided: dt.datetime) -> tuple[Case, Resolution]:
    journal = MemoryJournal()
    ritz = presets.ritz_carlton()
    request = Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=usd("3000.00")),
        received_at=decided,
    )
    case = Case.open(journal, ritz, request, by="staff", now=decided)
    case.listen(now=decided)
    case.apologize(now=decided)
    case.ask_preferred_solution(now=decided)
    resolution = case.decide(now=decided)
    assert resolution.escalate_to == "manager"
    return case, resolution


def test_an_escalation_at_the_very_instant_the_decision_promised_promises_a_later_callback() -> None:
    """The bug it catches: escalate keeps a promise falling due at the very instant of the escalation."""
    case, resolution = _escalated_case(NOW)
    due = resolution.callback_by
    assert due is not None  # an escalation promises a callback
    case.escalate(now=due)
    assert case.callback_by is not None
    assert case.callback_by > due


def test_a_lapsed_promise_is_counted_again_from_the_escalation() -> None:
    """The bug it catches: a lapsed promise counted again from the decision, so still in the past."""
    case, resolution = _escalated_case(NOW)
    assert resolution.callback_by is not None  # an escalation promises a callback
    late = resolution.callback_by + dt.timedelta(minutes=3)  # the decision's promise has lapsed by then
    case.escalate(now=late)
    assert case.callback_by is not None
    assert case.callback_by > late
    assert case.callback_by == compiled_policy(case.policy).promise(late, dt.timedelta(hours=2))  # the manager's 2h


# -- business hours ---------------------------------------------------------------------------------------------------


def test_a_period_ending_in_the_repeated_hour_ends_at_its_second_pass() -> None:
    """The bug it catches: a period's end in the hour a clock repeats taken at its first pass. New York falls back
    at 02:00 on 1 November 2026: 01:00-01:59 is shown twice."""
    zone = zoneinfo.ZoneInfo("America/New_York")
    open_late = ((), (), (), (), (), (), ((0, 90),))  # Sundays 00:00-01:30
    schedule = Schedule(open_late, zone)
    first_one = dt.datetime(2026, 11, 1, 5, 0, tzinfo=dt.UTC)  # 01:00 EDT, the first pass
    # open from 00:00 EDT to the second 01:30 (EST, 06:30 UTC): 2.5 hours of open time that night
    assert schedule.later(first_one, dt.timedelta(hours=1)) == dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC)
    assert schedule.later(first_one, dt.timedelta(hours=1, minutes=30)) == dt.datetime(
        2026, 11, 1, 6, 30, tzinfo=dt.UTC
    )


def test_open_time_left_in_a_period_of_the_day_before_counts_when_midnight_repeats() -> None:
    """The bug it catches: the open intervals start at the local date of ``since``, not the day before. Havana falls
    back at 01:00 on 1 November 2026, to 00:00: midnight is shown twice, and a period of 31 October ending at 24:00
    runs until the second midnight."""
    zone = zoneinfo.ZoneInfo("America/Havana")
    evenings = tuple(((18 * 60, 24 * 60),) for _ in range(7))  # every day 18:00-24:00
    schedule = Schedule(evenings, zone)
    first_midnight = dt.datetime(2026, 11, 1, 4, 0, tzinfo=dt.UTC)  # 00:00 CDT, already 1 November there
    assert first_midnight.astimezone(zone).date() == dt.date(2026, 11, 1)
    second_midnight = dt.datetime(2026, 11, 1, 5, 0, tzinfo=dt.UTC)  # 00:00 CST
    assert second_midnight.astimezone(zone).replace(tzinfo=None) == dt.datetime(2026, 11, 1, 0, 0)  # noqa: DTZ001 - a wall time
    half = first_midnight + dt.timedelta(minutes=30)
    assert schedule.later(half, dt.timedelta(minutes=30)) == second_midnight
    assert schedule.is_open(half)


# -- Plan B selection -------------------------------------------------------------------------------------------------


def test_an_unlisted_category_that_is_also_a_remedy_kind_gets_no_alternatives_written_for_that_kind() -> None:
    """The bug it catches: a category the policy does not list is ranked as the complaint's own. An alternative
    written for the remedy kind ``upgrade`` does not apply to a complaint of the (unlisted) category ``upgrade``
    asking for a refund."""
    catalog = [
        {"id": "callback", "kind": "callback", "description": "We call you", "value": "0", "applies_to": ["*"]},
        {"id": "follow", "kind": "follow_up", "description": "The manager calls", "value": "0", "applies_to": ["*"]},
        {"id": "tips", "kind": "local_tips", "description": "What to do nearby", "value": "0", "applies_to": ["*"]},
        {"id": "suite", "kind": "comp", "description": "A free night", "value": "0", "applies_to": ["upgrade"]},
    ]
    policy = hotel(catalog=catalog)
    request = Complaint(
        customer=Customer(id="10442"),
        category="upgrade",  # not one of the policy's categories (room_not_ready, out_of_stock)
        requested=Remedy(kind="refund", amount=usd("6000.00")),
        received_at=NOW,
    )
    resolution = policy.decide(request, by="staff", now=NOW)
    assert [alternative.id for alternative in resolution.alternatives] == ["callback", "follow", "tips"]
    assert resolution_violations(policy, request, "staff", None, resolution, now=NOW) == []


# -- the final offer --------------------------------------------------------------------------------------------------


def test_a_back_up_worth_exactly_what_is_left_is_the_final_offer_itself() -> None:
    """The bug it catches: the back-up is replaced when it is worth exactly what the level may still grant. The
    event then says it replaced the back-up (``instead_of``) by itself."""
    room = ["room_not_ready"]  # written for the category: ranked before the generic ones, the paid one third
    catalog = [
        {"id": "callback", "kind": "callback", "description": "We call you", "value": "0", "applies_to": room},
        {"id": "follow", "kind": "follow_up", "description": "The manager calls", "value": "0", "applies_to": room},
        {"id": "credit", "kind": "credit", "description": "$50 credit", "value": "50", "applies_to": room},
        {"id": "call", "kind": "callback", "description": "We call you", "value": "0", "applies_to": ["*"]},
        {"id": "visit", "kind": "follow_up", "description": "The manager calls", "value": "0", "applies_to": ["*"]},
        {"id": "tips", "kind": "local_tips", "description": "What to do nearby", "value": "0", "applies_to": ["*"]},
    ]
    policy = hotel(window="30d", catalog=catalog)
    journal = MemoryJournal()

    def opened(amount: str, by: str) -> Case:
        case = Case.open(journal, policy, ask(amount), by=by, now=NOW)
        case.listen(now=NOW)
        case.apologize(now=NOW)
        case.ask_preferred_solution(now=NOW)
        return case

    first = opened("1000.00", "staff")
    assert first.decide(now=NOW).escalate_to == "manager"
    first.escalate(now=NOW)
    first.manager_denies(by="manager", reason="A full refund is more than the stay warrants.", now=NOW)
    first.explain_denial(now=NOW)
    assert [alternative.id for alternative in first.alternatives_offered] == ["callback", "follow"]
    assert first.backup is not None
    assert first.backup.id == "credit"
    second = opened("1950.00", "manager")  # the manager grants $1,950.00 of its $2,000.00 in 30 days
    assert second.decide(now=NOW).outcome is Outcome.APPROVED
    first.decline_alternatives(now=NOW)
    assert [alternative.id for alternative in first.offers(now=NOW)] == ["credit"]
    event = first.make_final_offer(now=NOW)
    assert first.final_offer is not None
    assert first.final_offer.id == "credit"
    assert "instead_of" not in event.data  # the back-up itself ($50.00, exactly what is left), not a replacement
