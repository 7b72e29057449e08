"""Promises of docs/how-to/read-the-metrics.md checked against edge cases its examples do not show."""

from __future__ import annotations

import datetime as dt

import pytest

from recovery_rules import (
    Case,
    CaseView,
    Complaint,
    CurrencyMismatchError,
    Customer,
    MemoryJournal,
    Money,
    Policy,
    Remedy,
    metrics,
    presets,
)

NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)


def _journal_with_one_open_case() -> MemoryJournal:
    journal = MemoryJournal()
    complaint = Complaint(
        customer=Customer(id="10442"),
        category="noise",
        requested=Remedy(kind="refund", amount=Money("50.00", "USD")),
        received_at=NOW,
    )
    case = Case.open(journal, presets.ritz_carlton(), complaint, by="staff", clock=lambda: NOW)
    case.listen()
    case.apologize()
    return journal


def test_a_case_replay_iterated_again_reads_the_same_events_from_an_intact_journal() -> None:
    replay = metrics.CaseReplay(_journal_with_one_open_case(), "the front desk's journal")
    first = [replayed.event.seq for replayed in replay]
    again = [replayed.event.seq for replayed in replay]
    assert again == first == [1, 2, 3]
    assert len(replay.unfinished()) == 1


def _granted_case(journal: MemoryJournal, policy: Policy, customer: str, amount: Money) -> CaseView:
    complaint = Complaint(
        customer=Customer(id=customer),
        category="noise",
        requested=Remedy(kind="refund", amount=amount),
        received_at=NOW,
    )
    case = Case.open(journal, policy, complaint, by="staff", clock=lambda: NOW)
    case.listen()
    case.apologize()
    case.ask_preferred_solution()
    assert case.decide().approved
    return CaseView.replay(journal.events(case.number))


def test_group_figures_refuses_a_grant_in_another_currency_rather_than_leave_it_out() -> None:
    dollars = presets.ritz_carlton()
    euros = Policy.model_validate_json(dollars.model_dump_json().replace('"USD"', '"EUR"'))
    journal = MemoryJournal()
    views = [
        _granted_case(journal, dollars, "10442", Money("100.00", "USD")),
        _granted_case(journal, euros, "10518", Money("100.00", "EUR")),
    ]
    with pytest.raises(CurrencyMismatchError):
        metrics.group_figures(views, lambda view, event: "all", currency="USD")
