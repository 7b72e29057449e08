"""Promises of docs/how-to/read-the-metrics.md checked against edge cases its examples do not show."""

from __future__ import annotations

import datetime as dt

import pytest

from recovery_rules import Case, Complaint, Customer, MemoryJournal, Money, Remedy, metrics, presets

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


@pytest.mark.xfail(
    strict=True,
    reason="bug: a second iteration of a CaseReplay refuses an intact journal as one whose events "
    "do not follow the case path (the cases read by the first iteration are kept)",
)
def test_a_case_replay_iterated_again_reads_the_same_events_from_an_intact_journal() -> None:
    replay = metrics.CaseReplay(_journal_with_one_open_case(), "the front desk's journal")
    first = [replayed.event.seq for replayed in replay]
    again = [replayed.event.seq for replayed in replay]
    assert again == first == [1, 2, 3]
    assert len(replay.unfinished()) == 1
