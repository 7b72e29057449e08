"""Promises of the docstrings of ``recovery_rules.metrics``, ``recovery_rules.testing`` and ``recovery_rules.proof``
checked against edge cases their examples do not show."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from recovery_rules import (
    Case,
    CaseView,
    Complaint,
    Customer,
    InvalidInputError,
    MemoryJournal,
    Money,
    Remedy,
    metrics,
    presets,
    proof,
    testing,
)

NOW = dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC)
RITZ = presets.ritz_carlton()


def two_case_views() -> list[CaseView]:
    """Two decided cases of the Ritz, as they stand: one approved ($100.00), one escalated ($3,000.00)."""
    journal = MemoryJournal()
    for number, amount in enumerate(("100.00", "3000.00"), start=1):
        complaint = Complaint(
            customer=Customer(id=f"C-{number}"),
            category="room_not_ready",
            requested=Remedy(kind="refund", amount=Money(amount, "USD")),
            received_at=NOW,
        )
        case = Case.open(journal, RITZ, complaint, by="staff", clock=lambda: NOW)
        case.listen()
        case.apologize()
        case.ask_preferred_solution()
        case.decide()
    last: dict[str, CaseView] = {}
    for replayed in metrics.CaseReplay(journal):
        last[str(replayed.event.number)] = replayed.case
    return list(last.values())


@pytest.mark.parametrize(
    "wrong",
    [
        {"seeds": "manager"},  # not a function
        {"names": 5},  # not a sequence of names
        {"names": "manager"},  # a string: one group per letter, in silence
    ],
    ids=["seeds", "names", "names-as-a-string"],
)
def test_group_figures_refuses_seeds_or_names_of_the_wrong_kind_with_a_library_error(wrong: dict[str, Any]) -> None:
    """``group_figures`` checks ``views`` and ``key`` (a string for ``views`` is refused: not an iterable of
    views); ``seeds`` (a function of a view) and ``names`` (group names, in order) get no such check."""
    views = two_case_views()
    with pytest.raises(InvalidInputError):
        metrics.group_figures(views, metrics.by_level, currency="USD", **wrong)


def test_group_figures_refuses_a_key_that_names_no_group_with_a_library_error() -> None:
    """``key(view, event)`` "names the group a step of a case counts in (None: none)"; a key returning a list
    escapes as ``TypeError: unhashable type``."""
    views = two_case_views()
    with pytest.raises(InvalidInputError, match="key"):
        metrics.group_figures(views, lambda view, event: [view.level], currency="USD")  # type: ignore[arg-type,return-value]


def test_group_figures_names_come_first_in_their_order_even_without_a_step() -> None:
    """``names`` come first, in their order, even without a step; the other groups follow as they first appear."""
    views = two_case_views()
    figures = metrics.group_figures(
        views, metrics.by_level, currency="USD", names=["general_manager", "manager"], seeds=lambda view: ["owner"]
    )
    assert list(figures) == ["general_manager", "manager", "owner", "staff"]
    assert figures["general_manager"].cases == 0
    assert figures["owner"].cases == 0  # a seed is a group, with no step in it
    staff = figures["staff"]
    assert (staff.cases, staff.decisions, staff.approved, staff.escalated) == (2, 2, 1, 1)
    assert staff.granted == Money("100.00", "USD")


def test_prove_refuses_planned_slices_of_another_policy_rather_than_report_a_broken_promise() -> None:
    """``prove``: "``planned`` reuses slices already computed with :func:`slices`" (its refusal says "from
    slices(policy)"). Slices of another policy are taken, and their levels make ``Policy.decide`` raise
    ``UnknownLevelError``: the Ritz is reported as breaking a promise it keeps."""
    planned = proof.slices(presets.retail())[:1]
    with pytest.raises(InvalidInputError, match="planned"):
        proof.prove(RITZ, planned=planned)


def over_the_cap() -> testing.DecisionInput:
    """A $20,000.00 refund asked of the Ritz's staff: over its $10,000.00 cap, so denied."""
    complaint = Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money("20000.00", "USD")),
        received_at=NOW,
    )
    return testing.DecisionInput(complaint=complaint, by="staff", granted=Money("0", "USD"), now=NOW)


def test_decision_violations_finds_none_in_a_denial_over_the_cap_asked_more() -> None:
    """``decision_violations``: asking ``raise_by`` more never gives a better outcome; a denial stays one."""
    assert testing.decision_violations(RITZ, over_the_cap(), raise_by=Money("1.00", "USD")) == []


def test_decision_violations_refuses_a_negative_raise_by_rather_than_report_a_broken_promise() -> None:
    """``decision_violations``: "asking ``raise_by`` more never gives a better outcome". A negative ``raise_by``
    asks less, and a smaller refund approved is then reported as "asking -19000.00 USD more turned denied into
    approved", a promise the policy never made."""
    with pytest.raises(InvalidInputError, match="raise_by"):
        testing.decision_violations(RITZ, over_the_cap(), raise_by=Money("-19000.00", "USD"))


def test_decision_violations_refuses_a_decision_input_without_a_complaint_with_a_library_error() -> None:
    """``decision_violations`` refuses what is not a ``DecisionInput`` with ``InvalidInputError``; a
    ``DecisionInput`` (a plain dataclass, unchecked) holding a string for its complaint escapes as
    ``AttributeError: 'str' object has no attribute 'model_dump'``."""
    wrong = dataclasses.replace(over_the_cap(), complaint="a complaint")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="complaint"):
        testing.decision_violations(RITZ, wrong)
