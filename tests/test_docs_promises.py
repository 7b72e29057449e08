"""Promises of the how-to guides and the policy file reference, checked at the edges their examples do not show."""

from __future__ import annotations

from typing import Any

import pytest

from recovery_rules import Policy, PolicyError

from ._helpers import policy_data


def _problem_of(data: dict[str, Any]) -> str:
    with pytest.raises(PolicyError) as caught:
        Policy.model_validate(data)
    (problem,) = caught.value.problems
    return f"{problem.location}: {problem.message}"


@pytest.mark.xfail(
    strict=True,
    reason="bug: an optional text with a length limit of its own (a catalog contact, a cap's label) that is too long "
    "is said to list too many 'items', as a list would, not to be too many characters long",
)
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
