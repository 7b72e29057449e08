"""Promises of the proof and the property-testing tools (``recovery_rules.proof``, ``recovery_rules.testing``, their
pages and ``recovery-rules prove``), checked with an adversary's eye: a resolution or an engine that breaks a promise
must be blamed, a good policy never."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import find, settings

from recovery_rules import (
    Complaint,
    ComplaintNumber,
    Customer,
    InvalidInputError,
    Money,
    Outcome,
    Policy,
    PolicyCheckError,
    Remedy,
    Resolution,
    presets,
    proof,
    testing,
)
from recovery_rules._engine import _rules as engine_module
from recovery_rules._policy import _policy as policy_module
from recovery_rules._values import _hours as hours_module
from recovery_rules.testing import resolution_violations

NOW = dt.datetime(2026, 11, 23, 14, 30, tzinfo=dt.UTC)
RITZ = presets.ritz_carlton()
NOTHING = Money("0.00", "USD")


def _complaint(amount: str) -> Complaint:
    return Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=NOW,
    )


def _altered(resolution: Resolution, **changes: Any) -> Resolution:
    """``resolution`` with ``changes``, past validation, as a broken engine or a host could hand it back."""
    return Resolution.model_construct(**{**resolution.__dict__, **changes})


# The Ritz: staff may grant $2,000, a manager $5,000; the hard cap is $10,000 an incident.
_DECIDED = {
    Outcome.APPROVED: "150.00",
    Outcome.ESCALATED: "3000.00",
    Outcome.DENIED: "20000.00",
}


def test_the_resolutions_altered_below_are_kept_as_they_are_decided() -> None:
    for outcome, amount in _DECIDED.items():
        resolution = RITZ.decide(_complaint(amount), by="staff", now=NOW)
        assert resolution.outcome is outcome
        assert resolution_violations(RITZ, _complaint(amount), "staff", NOTHING, resolution, now=NOW) == []


@pytest.mark.parametrize(
    ("outcome", "field", "value"),
    [
        (Outcome.APPROVED, "escalate_to", "manager"),
        (Outcome.APPROVED, "callback_by", NOW + dt.timedelta(hours=2)),
        (Outcome.DENIED, "authorized_by", "staff"),
        (Outcome.DENIED, "escalate_to", "general_manager"),
        (Outcome.DENIED, "callback_by", NOW + dt.timedelta(hours=2)),
        (Outcome.ESCALATED, "authorized_by", "staff"),
    ],
    ids=[
        "approval-escalated-to",
        "approval-with-a-callback",
        "denial-authorized",
        "denial-escalated-to",
        "denial-with-a-callback",
        "escalation-authorized",
    ],
)
def test_a_field_the_outcome_does_not_have_is_a_broken_promise(outcome: Outcome, field: str, value: object) -> None:
    amount = _DECIDED[outcome]
    decided = RITZ.decide(_complaint(amount), by="staff", now=NOW)
    assert getattr(decided, field) is None
    altered = _altered(decided, **{field: value})
    assert resolution_violations(RITZ, _complaint(amount), "staff", NOTHING, altered, now=NOW) != []


@pytest.mark.parametrize(
    ("field", "value"),
    [("acting_level", "general_manager"), ("granted_before", Money("100.00", "USD"))],
    ids=["acting-level", "granted-before"],
)
@pytest.mark.parametrize("outcome", list(_DECIDED), ids=[outcome.value for outcome in _DECIDED])
def test_a_resolution_that_misstates_who_asked_or_what_was_granted_is_a_broken_promise(
    outcome: Outcome, field: str, value: object
) -> None:
    amount = _DECIDED[outcome]
    altered = _altered(RITZ.decide(_complaint(amount), by="staff", now=NOW), **{field: value})
    assert resolution_violations(RITZ, _complaint(amount), "staff", NOTHING, altered, now=NOW) != []


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("actor_can_grant", Money("2500.00", "USD"), "actor_can_grant is 2500.00 USD, not 2000.00"),
        ("actor_can_grant", None, "actor_can_grant is None, not 2000.00"),
        ("grantable_by", "general_manager", "grantable_by is 'general_manager', not "),
    ],
    ids=["budget-too-high", "budget-unlimited", "grantable-by-too-high"],
)
@pytest.mark.parametrize("outcome", [Outcome.APPROVED, Outcome.ESCALATED], ids=["approved", "escalated"])
def test_a_resolution_that_misstates_what_the_level_may_still_grant_or_who_could_grant_it_is_a_broken_promise(
    outcome: Outcome, field: str, value: object, says: str
) -> None:
    """``actor_can_grant`` and ``grantable_by`` are what a host shows staff ("you may still grant...", "a
    supervisor could grant this"): a resolution that says otherwise breaks a promise."""
    amount = _DECIDED[outcome]
    decided = RITZ.decide(_complaint(amount), by="staff", now=NOW)
    assert (decided.actor_can_grant, decided.grantable_by) == (
        Money("2000.00", "USD"),
        "staff" if outcome is Outcome.APPROVED else "manager",
    )
    problems = resolution_violations(RITZ, _complaint(amount), "staff", NOTHING, _altered(decided, **{field: value}))
    assert any(says in problem for problem in problems), problems


def test_a_denial_over_the_cap_names_no_level_that_could_grant_it() -> None:
    decided = RITZ.decide(_complaint(_DECIDED[Outcome.DENIED]), by="staff", now=NOW)
    assert decided.grantable_by is None
    altered = _altered(decided, grantable_by="manager")
    problems = resolution_violations(RITZ, _complaint(_DECIDED[Outcome.DENIED]), "staff", NOTHING, altered, now=NOW)
    assert problems == ["grantable_by is 'manager', not None, the lowest level that may grant what was asked"], problems


# -- a good policy whose figures reach the largest amounts -------------------------------------------------------

LARGEST = "999999999999999.99"
"""The largest amount a USD Money holds (just under ``Money.MAX_AMOUNT``)."""


def _policy_near_the_largest_amount(**figures: str) -> Policy:
    """A good policy whose cap or top limit is ``figures``; everything else small."""
    return Policy.model_validate(
        {
            "name": "Figures near the largest amount",
            "currency": "USD",
            "window": "incident",
            "levels": [
                {"name": "staff", "limit": "10.00"},
                {"name": "owner", "limit": figures.get("limit", "unlimited"), "callback_within": "1h"},
            ],
            "denials_delivered_by": "owner",
            "catalog": [
                {"id": "call", "kind": "callback", "description": "A call", "value": "0", "applies_to": ["*"]},
                {"id": "refer", "kind": "referral", "description": "Next door", "value": "0", "applies_to": ["*"]},
            ],
            "min_alternatives": 2,
            **({"hard_cap": figures["hard_cap"]} if "hard_cap" in figures else {}),
        }
    )


@pytest.mark.parametrize("figures", [{"hard_cap": LARGEST}, {"limit": LARGEST}], ids=["hard-cap", "top-limit"])
def test_a_policy_whose_cap_or_limit_is_the_largest_amount_is_proved(figures: dict[str, str]) -> None:
    found = proof.prove(_policy_near_the_largest_amount(**figures))
    assert found.holds, found.counterexample


@pytest.mark.slow
def test_check_policy_passes_a_good_policy_whose_cap_is_the_largest_amount() -> None:
    testing.check_policy(_policy_near_the_largest_amount(hard_cap=LARGEST), max_examples=100, seed=93)


# -- closed dates: an engine that promises a callback on a holiday is found --------------------------------------


def _closed_on(closed: str) -> Policy:
    """Open 09:00-17:00 on weekdays in Paris, closed on ``closed``; the owner calls back within 1h30m of open time."""
    return Policy.model_validate(
        {
            "name": "Closed on a holiday",
            "currency": "EUR",
            "timezone": "Europe/Paris",
            "window": "incident",
            "business_hours": {
                "default": "09:00-17:00",
                "saturday": "closed",
                "sunday": "closed",
                "closed": [closed],
            },
            "levels": [
                {"name": "staff", "limit": "10.00"},
                {"name": "owner", "limit": "unlimited", "callback_within": "1h30m"},
            ],
            "denials_delivered_by": "owner",
            "catalog": [
                {"id": "call", "kind": "callback", "description": "A call", "value": "0", "applies_to": ["*"]},
                {"id": "refer", "kind": "referral", "description": "Next door", "value": "0", "applies_to": ["*"]},
            ],
            "min_alternatives": 2,
        }
    )


def _open_every_weekday(schedule: hours_module.Schedule, day: dt.date, zone: dt.tzinfo) -> Any:
    """A broken engine's day: the week's periods, whatever the closed dates say (and nothing kept)."""
    return tuple(
        (
            hours_module.wall_instant(day, start, zone, last=False),
            hours_module.wall_instant(day, end, zone, last=True),
        )
        for start, end in schedule.week[day.weekday()]
    )


@pytest.mark.parametrize(
    ("closed", "evening_before"),
    [
        ("2026-11-24", dt.datetime(2026, 11, 23, 16, 59, tzinfo=ZoneInfo("Europe/Paris"))),  # the day after now
        ("--07-14", dt.datetime(2027, 7, 13, 16, 59, tzinfo=ZoneInfo("Europe/Paris"))),  # every year, next July
    ],
    ids=["a-date", "a-day-every-year"],
)
def test_prove_finds_an_engine_that_promises_a_callback_on_a_closed_date(
    monkeypatch: pytest.MonkeyPatch, closed: str, evening_before: dt.datetime
) -> None:
    policy = _closed_on(closed)
    assert proof.prove(policy).holds
    monkeypatch.setattr(hours_module.Schedule, "_day", _open_every_weekday)
    found = proof.prove(policy).counterexample
    assert found is not None
    assert found.now == evening_before  # the minute before closing, the day before the holiday
    assert any("is not in business hours" in violation for violation in found.violations)
    rerun, _ = proof.check(policy, found.complaint, found.by, found.granted_per_window, found.now)
    assert list(found.violations) == rerun  # the counterexample reproduces


# -- decisions per window: a calendar day is not always held by the last 24 hours --------------------------------


@pytest.mark.slow
def test_decisions_per_window_draw_more_granted_today_than_in_the_last_24_hours() -> None:
    # A grant at 00:30 on 25 October 2026 in London (clocks go back at 02:00) counts in that day's window at 23:45,
    # 24 h 15 min later, but no longer in the last 24 hours: such a guest has more granted today.
    policy = Policy.model_validate(
        {
            "name": "A day and the last 24 hours",
            "currency": "GBP",
            "timezone": "Europe/London",
            "window": "day",
            "caps": [{"limit": "100.00", "window": "24h"}],
            "levels": [
                {"name": "staff", "limit": "50.00"},
                {"name": "owner", "limit": "unlimited", "callback_within": "1h"},
            ],
            "denials_delivered_by": "owner",
            "catalog": [
                {"id": "call", "kind": "callback", "description": "A call", "value": "0", "applies_to": ["*"]},
                {"id": "refer", "kind": "referral", "description": "Next door", "value": "0", "applies_to": ["*"]},
            ],
            "min_alternatives": 2,
        }
    )
    day, last_24_hours = policy.windows

    def more_today(decision: testing.DecisionInput) -> bool:
        amounts = dict(decision.windows or ())
        return bool(amounts) and amounts[day] > amounts[last_24_hours]

    find(testing.decisions(policy, per_window=True), more_today, settings=settings(max_examples=2000, database=None))


# -- check_policy: the complaint's number, by the date it was received in the policy's time zone ------------------


@pytest.mark.slow
def test_check_policy_finds_an_engine_that_files_complaints_under_the_utc_date(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = engine_module.decide

    def by_utc_date(compiled: Any, complaint: Complaint, *args: Any, **kwargs: Any) -> Resolution:
        resolution = original(compiled, complaint, *args, **kwargs)
        number = ComplaintNumber(complaint.received_at.astimezone(dt.UTC).date(), complaint.customer.id)
        return resolution.model_copy(update={"complaint_number": number})

    monkeypatch.setattr(policy_module, "decide", by_utc_date)
    with pytest.raises(PolicyCheckError, match="complaint_number is"):
        testing.check_policy(RITZ, max_examples=300, seed=93)


@pytest.mark.parametrize("engine", ["core", "durable"])
def test_a_decision_whose_total_is_beyond_the_largest_amount_is_refused_not_returned_unreadable(engine: str) -> None:
    """``Policy.decide``: a resolution holds its total, an amount; granted plus asked at 10**15 or more is none, so
    it is refused at ``granted`` (it was returned, and could not be read back from its own JSON)."""
    policy = presets.ritz_carlton()
    if engine == "durable":
        pytest.importorskip("durable_rules_engine")
        from recovery_rules import DurableEngine  # noqa: PLC0415 - durable-rules is optional (none on 3.13)

        decide: Any = DurableEngine(policy).decide
    else:
        decide = policy.decide
    now = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
    most = Money("999999999999999.00", "USD")
    complaint = Complaint(
        customer=Customer(id="10442"), category="noise", requested=Remedy(kind="refund", amount=most), received_at=now
    )
    with pytest.raises(InvalidInputError, match=r"granted: plus the amount asked is 1,999,999,999,999,998\.00"):
        decide(complaint, by="staff", granted=most, now=now)
    assert decide(complaint, by="staff", now=now).outcome is Outcome.DENIED  # the amount alone is one
