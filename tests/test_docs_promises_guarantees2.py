"""Sentences of docs/explanation/guarantees.md that no test checked, tried against the code.

- section 1: "no alternative is [...] worth more than the cap" (the hard cap; ``tests/test_caps.py`` checks a
  ``[[caps]]`` cap only).
- section 2: "Should the engine ever come up short anyway, it raises instead of answering".
- section 4: "a `Complaint`, a `Policy`, a `Resolution` cannot be changed after they are built" (only a
  `Complaint` was tried).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from recovery_rules import (
    Complaint,
    Customer,
    Money,
    Outcome,
    Policy,
    PolicyError,
    Remedy,
    Resolution,
    presets,
)
from recovery_rules._policy import _catalog

from ._helpers import policy_data

NOW = dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)


def _complaint(amount: str) -> Complaint:
    return Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=NOW,
    )


def _with_extra_alternative(value: str) -> dict[str, Any]:
    data = policy_data()
    extra = {"id": "stay", "kind": "upgrade", "description": "A free stay", "applies_to": ["*"], "value": value}
    data["catalog"] = [*data["catalog"], extra]
    return data


def test_an_alternative_worth_more_than_the_hard_cap_does_not_load() -> None:
    hard_cap = Policy.model_validate(policy_data()).hard_cap
    assert hard_cap == Money("5000.00", "USD")
    with pytest.raises(PolicyError) as refused:
        Policy.model_validate(_with_extra_alternative("5000.01"))
    problems = [str(problem) for problem in refused.value.problems]
    assert problems == [
        f"catalog[{len(policy_data()['catalog'])}].value: is above the hard cap, so no one could ever offer it"
    ]
    # Exactly the cap is not more than it.
    assert Policy.model_validate(_with_extra_alternative("5000.00")).catalog[-1].value == hard_cap


def test_the_engine_raises_instead_of_answering_when_its_plan_b_comes_up_short(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The load-time check makes a short Plan B unreachable; should the engine's catalog walk come up short
    anyway, ``decide`` raises: it neither denies nor escalates with fewer alternatives than promised."""
    policy = presets.ritz_carlton()
    assert policy.decide(_complaint("12000.00"), by="staff", now=NOW).outcome is Outcome.DENIED
    real = _catalog.Shelf.select

    def one_short(self: _catalog.Shelf, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        return tuple(real(self, *args, **kwargs))[:-1]

    monkeypatch.setattr(_catalog.Shelf, "select", one_short)
    for amount in ("12000.00", "2000.01"):  # a denial and an escalation
        with pytest.raises(AssertionError, match="alternatives for a 'room_not_ready' complaint"):
            policy.decide(_complaint(amount), by="staff", now=NOW)


def test_a_policy_and_a_resolution_cannot_be_changed_after_they_are_built() -> None:
    policy = presets.ritz_carlton()
    resolution = policy.decide(_complaint("2000.01"), by="staff", now=NOW)
    before = (policy.model_dump(), resolution.model_dump())
    changes: list[tuple[object, str, object]] = [
        (policy, "hard_cap", None),
        (policy, "levels", ()),
        (policy.levels[0], "limit", None),
        (resolution, "outcome", Outcome.APPROVED),
        (resolution, "callback_by", None),
        (resolution.alternatives[0], "value", Money("0", "USD")),
    ]
    for model, field, value in changes:
        with pytest.raises(AttributeError, match=rf"{type(model).__name__} is immutable"):
            setattr(model, field, value)
        with pytest.raises(AttributeError, match=rf"{type(model).__name__} is immutable"):
            delattr(model, field)
    assert isinstance(policy.levels, tuple)
    assert isinstance(resolution.alternatives, tuple)
    assert (policy.model_dump(), resolution.model_dump()) == before
    assert isinstance(resolution, Resolution)
