"""resolution_violations and proof.suggestion_violations over a resolution's extra-mile suggestions, and the
outcome a complaint nobody may grant must have.

Suggestions come only with approvals, from the policy's extra-mile alternatives, each worth
at most what the acting level may still grant after the approval, of kinds it may grant (a kind outside the
policy's remedy kinds is no remedy anyone grants: any level may suggest it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from recovery_rules import (
    Complaint,
    Customer,
    Money,
    Outcome,
    Policy,
    Remedy,
    Resolution,
    proof,
    resolution_violations,
)

from ._helpers import policy_data

NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)


def _policy(**changes: Any) -> Policy:
    """The test hotel (staff may grant $100.00) with its $15.00 drink, and its free local tips, extra mile."""
    data = policy_data(**changes)
    for entry in data["catalog"]:
        entry["extra_mile"] = entry["id"] in {"drink", "tips"}
    return Policy.model_validate(data)


def _complaint(amount: str, kind: str = "refund") -> Complaint:
    return Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind=kind, amount=Money(amount, "USD")),
        received_at=NOW,
    )


def _with_suggestions(resolution: Resolution, *ids: str, policy: Policy) -> Resolution:
    catalog = {alternative.id: alternative for alternative in policy.catalog}
    return resolution.model_copy(update={"suggestions": tuple(catalog[id_] for id_ in ids)})


def test_a_suggestion_worth_more_than_the_room_left_after_the_approval_is_a_violation() -> None:
    """Staff may grant $100.00: $90.00 approved leaves $10.00, too little for the $15.00 drink (though the $100.00
    staff could grant before the approval would hold it)."""
    policy = _policy()
    complaint = _complaint("90.00")
    resolution = policy.decide(complaint, by="staff", now=NOW)
    assert resolution.outcome is Outcome.APPROVED
    assert [suggestion.id for suggestion in resolution.suggestions] == ["tips"]
    forged = _with_suggestions(resolution, "tips", "drink", policy=policy)
    expected = ["suggestion 'drink' is worth more than staff may still grant after the approval"]
    assert proof.suggestion_violations(policy, complaint, "staff", None, forged) == expected
    assert resolution_violations(policy, complaint, "staff", None, forged, now=NOW) == expected


def test_an_escalation_carrying_suggestions_is_a_violation() -> None:
    policy = _policy()
    complaint = _complaint("300.00")
    resolution = policy.decide(complaint, by="staff", now=NOW)
    assert resolution.outcome is Outcome.ESCALATED
    forged = _with_suggestions(resolution, "tips", policy=policy)
    expected = ["an escalated resolution carries extra-mile suggestions"]
    assert proof.suggestion_violations(policy, complaint, "staff", None, forged) == expected
    assert resolution_violations(policy, complaint, "staff", None, forged, now=NOW) == expected


def test_a_suggestion_of_a_kind_outside_the_remedy_kinds_may_come_from_a_level_with_may_grant() -> None:
    """Staff may grant refunds only; the local tips are no remedy kind of the policy, so staff may suggest them,
    and the drink, a voucher, which is one, staff may not."""
    data = policy_data(remedy_kinds=["refund", "voucher"])
    data["levels"][0]["may_grant"] = ["refund"]
    policy = _policy(remedy_kinds=data["remedy_kinds"], levels=data["levels"])
    complaint = _complaint("50.00")
    resolution = policy.decide(complaint, by="staff", now=NOW)
    assert resolution.outcome is Outcome.APPROVED
    assert [suggestion.id for suggestion in resolution.suggestions] == ["tips"]
    assert resolution_violations(policy, complaint, "staff", None, resolution, now=NOW) == []
    forged = _with_suggestions(resolution, "tips", "drink", policy=policy)
    assert proof.suggestion_violations(policy, complaint, "staff", None, forged) == [
        "suggestion 'drink' is a 'voucher', which staff may not grant"
    ]


def test_an_escalation_of_a_refused_remedy_is_a_violation() -> None:
    """A refused remedy kind is denied, whoever asks: escalating it promises what nobody may grant."""
    policy = _policy(refused_remedies=["cash"])
    complaint = _complaint("50.00", kind="cash")
    denial = policy.decide(complaint, by="staff", now=NOW)
    assert denial.outcome is Outcome.DENIED
    escalation = policy.decide(_complaint("300.00"), by="staff", now=NOW)
    assert escalation.outcome is Outcome.ESCALATED
    forged = escalation.model_copy(update={"remedy": complaint.requested, "total": complaint.requested.amount})
    problems = resolution_violations(policy, complaint, "staff", None, forged, now=NOW)
    assert "'cash' for 50.00 is refused or over the cap, but the outcome is escalated" in problems
