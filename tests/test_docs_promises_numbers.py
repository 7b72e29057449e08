"""Promises about complaint numbers, incidents and follow-ups (``ComplaintNumber``, ``Case.open``, the journal's
``cases``, the HTTP service), checked where a docs audit found them untested or broken, on a memory and an SQLite
journal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from recovery_rules import (
    Case,
    Complaint,
    Customer,
    Journal,
    MemoryJournal,
    Money,
    Outcome,
    Remedy,
    SQLiteJournal,
    presets,
)

from ._cli import run

NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York, the preset's zone
RITZ = presets.ritz_carlton()  # staff may grant up to $2,000 for a guest's incident
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(params=["memory", "sqlite"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journal]:
    opened: Journal = MemoryJournal() if request.param == "memory" else SQLiteJournal(tmp_path / "journal.sqlite3")
    yield opened
    opened.close()


def _complaint(received_at: dt.datetime, amount: str = "1500.00", *, category: str = "room_not_ready") -> Complaint:
    return Complaint(
        customer=Customer(id="10442"),
        category=category,
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=received_at,
    )


def _decided(case: Case) -> Outcome:
    case.listen(now=NOW)
    case.apologize(now=NOW)
    case.ask_preferred_solution(now=NOW)
    return case.decide(now=NOW).outcome


# -- one complaint, one incident ------------------------------------------------------------------------------


def test_the_same_complaint_opened_again_with_its_time_in_another_zone_joins_the_first_incident(
    journal: Journal,
) -> None:
    """Case.open: "A complaint opened again while its first case exists (the same complaint, filed each time with
    its number left out) joins the first case's incident by itself, so opening it twice never gives it two caps."
    The instant is what the complaint was received at; the zone it is written in numbers it the same way."""
    first = Case.open(journal, RITZ, _complaint(dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)), by="staff", now=NOW)
    assert _decided(first) is Outcome.APPROVED  # $1,500 of staff's $2,000 for the incident
    first.deliver(now=NOW)
    same_instant = dt.datetime(2026, 11, 23, 9, 0, tzinfo=NEW_YORK)  # 14:00 UTC, as another desk writes it
    again = Case.open(journal, RITZ, _complaint(same_instant), by="staff", now=NOW)
    assert str(again.number) == "20261123-10442/2"
    assert again.history[0].data.get("incident") == "20261123-10442"
    assert _decided(again) is Outcome.ESCALATED  # not a second $1,500 on the spot: the same incident


# -- listing and naming cases by number -------------------------------------------------------------------------


def test_the_journal_lists_a_customers_tenth_case_after_the_ninth_and_the_customers_cases_together(
    journal: Journal,
) -> None:
    """Journal.cases: "in the order of their complaint numbers' text (date, customer number, sequence; customer
    numbers compared as text)": the sequence as a number (/10 after /9, which text would put first), and every
    case of one customer before the next customer's (``7-1`` after ``7/11``)."""
    for amount in range(1, 12):
        Case.open(
            journal,
            RITZ,
            _complaint(NOW, f"{amount}.00").model_copy(update={"customer": Customer(id="7")}),
            by="staff",
            now=NOW,
        )
    for customer in ("7-1", "70"):
        opened = _complaint(NOW).model_copy(update={"customer": Customer(id=customer)})
        Case.open(journal, RITZ, opened, by="staff", now=NOW)
    listed = [str(summary.number) for summary in journal.cases()]
    assert listed == [
        "20261123-7",
        *(f"20261123-7/{sequence}" for sequence in range(2, 12)),
        "20261123-7-1",
        "20261123-70",
    ]


def test_the_report_names_an_overdue_case_by_its_whole_complaint_number(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """docs/cli/report.md: overdue callbacks "are named by complaint number, so someone can pick up the phone": a
    customer id may be 64 characters, and a UUID (36) is a common one."""
    path = tmp_path / "journal.sqlite3"
    with SQLiteJournal(path) as journal:
        asked = _complaint(NOW, "3000.00").model_copy(
            update={"customer": Customer(id="3f2504e0-4f89-41d3-9a0c-0305e82c3301")}
        )
        case = Case.open(journal, RITZ, asked, by="staff", now=NOW)
        assert _decided(case) is Outcome.ESCALATED
        case.escalate(now=NOW)
    result = run(capsys, "report", str(path), "--policy", "ritz-carlton", "--now", "2026-11-24T15:00:00Z")
    assert result.code == 0, result.err
    assert "20261123-3f2504e0-4f89-41d3-9a0c-0305e82c3301 " in result.out
