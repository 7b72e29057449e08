"""Upgrading a host from release 0.1.0: its policy files, public names and journal keep working (audit 152).

``data/journal-0.1.0.sqlite3`` was written by release 0.1.0 (``data/make_journal_0_1_0.py``);
``data/journal-0.1.0-late-events.json`` holds the rows a process of release 0.1.0 appends to it
(``data/make_journal_0_1_0_late_events.py``); ``data/presets-0.1.0/`` are the presets as release 0.1.0 shipped them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import recovery_rules
from recovery_rules import (
    Case,
    ChainHead,
    Complaint,
    ComplaintNumber,
    Customer,
    Money,
    Outcome,
    Policy,
    Remedy,
    SQLiteJournal,
    Window,
    Wording,
    presets,
)

DATA = Path(__file__).parent / "data"
LEGACY = DATA / "journal-0.1.0.sqlite3"
LEGACY_HEAD = ChainHead.parse("28:5675f19e0b7758a1ed7c4d0711649810fd4727b58bb1dad58b030022a6bd7dd0")
POLICY = presets.theme_park()
DAY = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
LATER = DAY + dt.timedelta(hours=2)
POLICY_0_1_0_WINDOW = Window.incident()  # the Ritz-Carlton preset's window in release 0.1.0

# recovery_rules.__all__ of release 0.1.0 (git show 163eb5d:src/recovery_rules/__init__.py).
PUBLIC_0_1_0 = (
    *("Alternative", "AlternativeWording", "AuthorityError", "AuthorityLevel", "Case", "CaseOutcome", "CaseState"),
    *("CaseStep", "CaseSummary", "ChainHead", "Complaint", "ComplaintNumber", "CurrencyMismatchError", "Customer"),
    *("Draft", "DurableEngine", "EngineError", "Event", "IdempotencyConflictError", "InvalidInputError", "Journal"),
    *("JournalError", "JournalIntegrityError", "Ledger", "LocaleWording", "MemoryJournal", "MissingDependencyError"),
    *("Money", "Outcome", "Policy", "PolicyCheckError", "PolicyError", "PostgresJournal", "Problem", "RULES"),
    *("RecoveryRulesError", "Remedy", "Resolution", "SQLiteJournal", "StaleCaseError", "StepWords", "TraceEntry"),
    *("UnknownLevelError", "UnknownLocaleError", "UnknownRemedyError", "Verification", "Window", "Wording"),
    *("WorkflowError", "__version__", "forbidden_phrases", "presets", "say"),
)


@pytest.fixture
def legacy_copy(tmp_path: Path) -> Path:
    path = tmp_path / "journal.sqlite3"
    shutil.copy(LEGACY, path)
    return path


@pytest.fixture
def upgraded(legacy_copy: Path) -> Iterator[SQLiteJournal]:
    with SQLiteJournal(legacy_copy) as journal:
        yield journal


def test_every_public_name_of_release_0_1_0_is_still_public() -> None:
    assert [name for name in PUBLIC_0_1_0 if name not in recovery_rules.__all__] == []
    assert [name for name in PUBLIC_0_1_0 if not hasattr(recovery_rules, name)] == []


@pytest.mark.parametrize("preset", ["retail", "ritz_carlton", "theme_park"])
def test_a_preset_file_as_release_0_1_0_shipped_it_still_loads(preset: str) -> None:
    policy = Policy.from_file(DATA / "presets-0.1.0" / f"{preset}.toml")
    assert policy.levels


def test_a_case_begun_under_release_0_1_0_is_carried_to_its_end(upgraded: SQLiteJournal) -> None:
    case = Case.load(upgraded, POLICY, "20261123-777")  # escalated to the park manager by release 0.1.0
    assert case.escalated_to == "park_manager"
    assert case.manager_approves(by="park_manager", now=LATER).outcome is Outcome.APPROVED
    case.deliver(now=LATER)
    case.thank(now=LATER)
    case.close(now=LATER)
    again = Case.load(upgraded, POLICY, "20261123-777")
    assert again.state.value == "closed"
    assert again.granted == Money("900.00", "USD")
    assert [event.format for event in again.history] == [1] * 6 + [3] * 4
    assert len(Wording(POLICY).say_history(again)) == len(again.history)
    result = upgraded.verify(expected_head=LEGACY_HEAD)
    assert result.ok, result.problem
    assert result.count == LEGACY_HEAD.count + 4


def test_a_step_of_release_0_1_0_retried_with_its_key_returns_what_was_recorded(upgraded: SQLiteJournal) -> None:
    complaint = Complaint(
        customer=Customer(id="555"),
        category="ride_closed",
        requested=Remedy(kind="refund", amount=Money("100.00", "USD")),
        received_at=DAY,
    )
    key = upgraded.events(ComplaintNumber.parse("20261123-555"))[0].key  # the opening, as release 0.1.0 recorded it
    case = Case.open(upgraded, POLICY, complaint, by="ticket_agent", key=key, now=LATER)
    assert str(case.number) == "20261123-555"
    assert upgraded.head() == LEGACY_HEAD  # nothing appended


def append_as_release_0_1_0(path: Path) -> None:
    """Appends the events a process of release 0.1.0 wrote next, in one transaction, as its connection did."""
    text = json.loads((DATA / "journal-0.1.0-late-events.json").read_text(encoding="utf-8"))
    columns, rows = text["columns"], text["rows"]
    marks = ", ".join("?" * len(columns))
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:  # commits, or rolls back on an error
        connection.executemany(f"INSERT INTO events ({', '.join(columns)}) VALUES ({marks})", rows)


def test_a_release_0_1_0_process_still_writing_after_the_upgrade_cannot_break_the_journal(legacy_copy: Path) -> None:
    SQLiteJournal(legacy_copy).close()  # the new release opens the journal: upgraded in place
    # The process of release 0.1.0 checked the schema when it connected, before the upgrade, and appends as it did.
    with pytest.raises(sqlite3.DatabaseError, match="upgraded"):
        append_as_release_0_1_0(legacy_copy)
    with SQLiteJournal(legacy_copy) as journal:
        result = journal.verify(expected_head=LEGACY_HEAD)
        assert result.ok, result.problem
        number = Case.load(journal, POLICY, "20261123-555").number
        assert journal.granted(
            number, window=POLICY.window, timezone=POLICY.timezone, currency="USD", now=LATER
        ) == Money("100.00", "USD")
