"""Promises of the how-to guides and the policy file reference, checked at the edges their examples do not show."""

from __future__ import annotations

from typing import Any

import pytest

from recovery_rules import Money, Outcome, Policy, PolicyError, say

from ._helpers import NOW, complaint, policy_data, usd


def _problem_of(data: dict[str, Any]) -> str:
    with pytest.raises(PolicyError) as caught:
        Policy.model_validate(data)
    (problem,) = caught.value.problems
    return f"{problem.location}: {problem.message}"


def test_a_contact_or_cap_label_too_long_is_said_to_be_too_many_characters_long() -> None:
    """The reference: contacts are at most 500 characters, a cap's label at most 100; said as for a title."""
    data = policy_data()
    data["levels"][0]["title"] = "t" * 201
    assert _problem_of(data) == "levels[0].title: must be at most 200 characters long"  # holds today
    data = policy_data()
    data["catalog"][0]["contact"] = "x" * 501
    assert _problem_of(data) == "catalog[0].contact: must be at most 500 characters long"
    data = policy_data(caps=[{"limit": "1000.00", "window": "30d", "label": "y" * 101}])
    assert _problem_of(data) == "caps[0].label: must be at most 100 characters long"


@pytest.mark.parametrize("granted", [None, usd("0")], ids=["no granted", "one amount"])
def test_a_cap_of_its_own_window_is_said_with_its_window_however_granted_is_given(granted: Money | None) -> None:
    """customize-wording: a policy with caps of several windows says reason_over_cap_window; the reference: "with
    caps, every cap's reason names its window"; cap-and-escalation: granted may be one amount, counted in every
    window. A single 30-day cap beside the levels' incident window is such a policy, however granted is given."""
    data = policy_data(caps=[{"limit": "250.00", "window": "30d"}])
    del data["hard_cap"]
    policy = Policy.model_validate(data)
    assert [str(window) for window in policy.windows] == ["incident", "30d"]
    by_window = policy.decide(complaint("300.00"), by="staff", now=NOW, granted={"incident": usd("0"), "30d": usd("0")})
    one_amount = policy.decide(complaint("300.00"), by="staff", now=NOW, granted=granted)
    assert by_window.outcome is one_amount.outcome is Outcome.DENIED
    assert one_amount.reason == by_window.reason == "$300.00 asked is over the per-guest cap of $250.00 in any 30 days"
    assert "more than the $250.00 we can offer any one guest in any 30 days." in say(by_window, policy)  # holds
    assert say(one_amount, policy) == say(by_window, policy)
    assert [entry.window for entry in one_amount.trace] == [entry.window for entry in by_window.trace]
