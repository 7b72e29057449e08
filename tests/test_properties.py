"""Invariants of decide, over generated policies and decisions (Hypothesis)."""

from __future__ import annotations

import copy
from decimal import Decimal

from hypothesis import given, note
from hypothesis import strategies as st

from recovery_rules import Money, Outcome, Policy
from recovery_rules._values._currencies import MINOR_UNITS
from recovery_rules._values._money import DECIMAL_CONTEXT
from recovery_rules.testing import DecisionInput, decision_violations, decisions, policies, resolution_violations


@st.composite
def policy_and_decision(draw: st.DrawFn) -> tuple[Policy, DecisionInput]:
    policy = draw(policies())
    return policy, draw(decisions(policy, per_window=True))


@given(policy_and_decision())
def test_every_resolution_keeps_the_policys_promises(case: tuple[Policy, DecisionInput]) -> None:
    policy, decision = case
    resolution = decision.run(policy)
    note(str(decision))
    assert (
        resolution_violations(
            policy, decision.complaint, decision.by, decision.granted_per_window, resolution, now=decision.now
        )
        == []
    )


@given(policy_and_decision())
def test_every_denial_and_escalation_has_a_plan_b(case: tuple[Policy, DecisionInput]) -> None:
    policy, decision = case
    resolution = decision.run(policy)
    if resolution.outcome is not Outcome.APPROVED:
        assert len(resolution.alternatives) >= policy.min_alternatives
        assert len({alternative.kind for alternative in resolution.alternatives}) == len(resolution.alternatives)
        budget = resolution.actor_can_grant
        assert budget is None or all(alternative.value <= budget for alternative in resolution.alternatives)


@given(policy_and_decision())
def test_no_approval_beyond_authority_or_cap(case: tuple[Policy, DecisionInput]) -> None:
    policy, decision = case
    resolution = decision.run(policy)
    if resolution.outcome is Outcome.APPROVED:
        level = policy.level(decision.by)
        limit = level.tier_limits.get(decision.complaint.customer.tier, level.limit)
        assert limit is None or resolution.total <= limit
        assert policy.hard_cap is None or resolution.total <= policy.hard_cap


@given(policy_and_decision())
def test_an_escalation_goes_to_a_level_that_can_grant_the_total(case: tuple[Policy, DecisionInput]) -> None:
    policy, decision = case
    resolution = decision.run(policy)
    if resolution.outcome is Outcome.ESCALATED:
        assert resolution.escalate_to is not None
        target = policy.level(resolution.escalate_to)
        limit = target.tier_limits.get(decision.complaint.customer.tier, target.limit)
        assert limit is None or resolution.total <= limit
        assert target.may_grant is None or decision.complaint.requested.kind in target.may_grant


_RANK = {Outcome.APPROVED: 0, Outcome.ESCALATED: 1, Outcome.DENIED: 2}


@given(policy_and_decision(), st.integers(1, 10**8))
def test_asking_more_never_improves_the_outcome(case: tuple[Policy, DecisionInput], more: int) -> None:
    policy, decision = case
    places = MINOR_UNITS[policy.currency]
    extra = Money(Decimal(more).scaleb(-places, context=DECIMAL_CONTEXT), policy.currency)
    before = decision.run(policy)
    after = decision.with_asked(decision.complaint.requested.amount + extra).run(policy)
    assert _RANK[after.outcome] >= _RANK[before.outcome]


@given(policy_and_decision())
def test_decide_is_deterministic_and_leaves_its_inputs_alone(case: tuple[Policy, DecisionInput]) -> None:
    policy, decision = case
    policy_before = copy.deepcopy(policy.model_dump())
    assert decision_violations(policy, decision) == []
    assert policy.model_dump() == policy_before
