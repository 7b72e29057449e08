"""recovery_rules.testing: the checks host apps run have teeth."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery_rules import (
    Complaint,
    Customer,
    Money,
    Outcome,
    Policy,
    PolicyCheckError,
    Remedy,
    Resolution,
    presets,
)
from recovery_rules._engine import _rules as engine_module
from recovery_rules.testing import check_policy, complaints, decisions, resolution_violations

from ._helpers import examples

NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("name", presets.NAMES)
def test_presets_pass_check_policy(name: str) -> None:
    """Every shipped preset keeps every promise, checked the way a host app checks its own policy."""
    check_policy(presets.load(name), max_examples=examples(150))


@pytest.mark.slow
def test_check_policy_catches_a_missing_plan_b(monkeypatch: pytest.MonkeyPatch, ritz: Policy) -> None:
    original = engine_module._Decision.plan_b
    monkeypatch.setattr(engine_module._Decision, "plan_b", lambda self: original(self)[:1])
    with pytest.raises(PolicyCheckError, match="offers 1 alternative; the policy promises 3") as caught:
        check_policy(ritz, max_examples=200, seed=1)
    assert "policy.decide(Complaint.model_validate_json(" in caught.value.example


@pytest.mark.slow
def test_check_policy_catches_an_approval_beyond_authority(monkeypatch: pytest.MonkeyPatch, ritz: Policy) -> None:
    original = engine_module.CompiledLevel.limit_for

    def generous(self: engine_module.CompiledLevel, tier: str) -> object:
        limit = original(self, tier)
        return limit * 2 + 1 if limit.is_finite() else limit  # wide enough that generated amounts land in it

    monkeypatch.setattr(engine_module.CompiledLevel, "limit_for", generous)
    with pytest.raises(PolicyCheckError, match=r"beyond (staff|manager)'s authority"):
        check_policy(ritz, max_examples=300, seed=1)


@pytest.mark.slow
def test_check_policy_catches_a_manager_delivering_good_news(monkeypatch: pytest.MonkeyPatch, ritz: Policy) -> None:
    original = engine_module._Decision.build

    def build(self: engine_module._Decision, outcome: Outcome, **kwargs: object) -> object:
        if outcome is Outcome.APPROVED:
            kwargs["delivered_by"] = "general_manager"
        return original(self, outcome, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine_module._Decision, "build", build)
    with pytest.raises(PolicyCheckError, match="an approval is delivered by the employee who grants it"):
        check_policy(ritz, max_examples=100, seed=1)


@pytest.mark.slow
def test_check_policy_catches_an_engine_ignoring_a_cap_of_another_window(
    monkeypatch: pytest.MonkeyPatch, ritz: Policy
) -> None:
    """The Ritz preset's two caps are both $10,000, an incident and in any 30 days: only amounts that differ from
    window to window tell an engine that counts the incident's grants against the 30-day cap."""
    check_policy(ritz, max_examples=300, seed=1)
    monkeypatch.setattr(engine_module._Decision, "cap_before", lambda self, cap: self.before_money)
    with pytest.raises(PolicyCheckError, match="over the cap, but the outcome is approved") as caught:
        check_policy(ritz, max_examples=300, seed=1)
    assert "granted={'incident': Money(" in caught.value.example


@settings(max_examples=examples(50))
@given(data=st.data())
def test_decisions_give_each_window_its_own_amount_on_a_policy_with_stacked_caps(data: st.DataObject) -> None:
    ritz, single = presets.ritz_carlton(), presets.theme_park()
    decision = data.draw(decisions(ritz))
    if decision.windows is not None:
        assert [str(window) for window, _ in decision.windows] == ["incident", "30d"]
        assert decision.windows[0][1] == decision.granted  # the policy's own window's amount
        assert decision.granted_per_window == dict(decision.windows)
        assert decision.run(ritz) == ritz.decide(
            decision.complaint, by=decision.by, granted=dict(decision.windows), now=decision.now
        )
    else:
        assert decision.granted_per_window == decision.granted
    assert data.draw(decisions(single)).windows is None  # one window: one amount


@settings(max_examples=examples(50))
@given(data=st.data())
def test_complaints_are_valid_complaints_of_the_policy_s_currency_and_vocabulary(data: st.DataObject) -> None:
    policy = presets.retail()
    complaint = data.draw(complaints(policy))
    assert Complaint.model_validate(complaint.model_dump()) == complaint  # a validated complaint, not a bypass
    assert complaint.requested.amount.currency == policy.currency
    assert complaint.requested.kind in policy.vocabulary
    assert policy.decide(complaint, by=policy.levels[0].name).outcome in set(Outcome)


@pytest.mark.parametrize(("amount", "said"), [("3000.00", "an escalated"), ("20000.00", "a denied")])
def test_a_broken_promise_is_said_in_plain_english(ritz: Policy, amount: str, said: str) -> None:
    complaint = Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=NOW,
    )
    resolution = ritz.decide(complaint, by="staff", now=NOW)
    bare = Resolution.model_construct(**{**resolution.__dict__, "alternatives": ()})  # past validation
    assert f"{said} resolution offers 0 alternatives; the policy promises 3" in resolution_violations(
        ritz, complaint, "staff", None, bare
    )
