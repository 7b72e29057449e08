"""Promises of the guarantees pages and of the errors reference, checked where a docs audit found them untested.

``docs/reference/errors.md``: an argument of the wrong kind, given to any public function or class (``Case``
among them), raises an ``InvalidInputError`` naming the argument, never a ``TypeError``, a ``KeyError``...
``docs/explanation/guarantees-under-failure.md`` (8. Bad input ends in a typed error): whatever a host passes
in, a call either works or raises a ``RecoveryRulesError``, and a refused step writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import (
    Case,
    ComplaintNumber,
    Draft,
    InvalidInputError,
    Journal,
    MemoryJournal,
    Money,
    SQLiteJournal,
    presets,
)
from recovery_rules.exceptions import (
    AuthorityError,
    CurrencyMismatchError,
    EngineError,
    IdempotencyConflictError,
    JournalError,
    JournalIntegrityError,
    MissingDependencyError,
    PolicyCheckError,
    PolicyError,
    RecoveryRulesError,
    StaleCaseError,
    UnknownLevelError,
    UnknownLocaleError,
    UnknownRemedyError,
    WorkflowError,
)

from ._helpers import complaint

NOW = dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)
NUMBER = ComplaintNumber.parse("20261123-10442")
POLICY = presets.ritz_carlton()


@pytest.fixture(params=["memory", "sqlite"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journal]:
    opened: Journal = (
        MemoryJournal(clock=lambda: NOW)
        if request.param == "memory"
        else SQLiteJournal(tmp_path / "journal.db", clock=lambda: NOW)
    )
    try:
        yield opened
    finally:
        opened.close()


def test_the_exception_tree_is_the_one_the_errors_page_draws() -> None:
    drawn: dict[type[BaseException], tuple[type[BaseException], ...]] = {
        InvalidInputError: (RecoveryRulesError, ValueError),
        CurrencyMismatchError: (InvalidInputError,),
        UnknownLevelError: (InvalidInputError,),
        UnknownRemedyError: (InvalidInputError,),
        UnknownLocaleError: (InvalidInputError,),
        IdempotencyConflictError: (InvalidInputError,),
        PolicyError: (RecoveryRulesError, ValueError),
        PolicyCheckError: (RecoveryRulesError, AssertionError),
        MissingDependencyError: (RecoveryRulesError, ImportError),
        WorkflowError: (RecoveryRulesError, RuntimeError),
        AuthorityError: (WorkflowError,),
        StaleCaseError: (WorkflowError,),
        JournalError: (RecoveryRulesError, RuntimeError),
        JournalIntegrityError: (JournalError,),
        EngineError: (RecoveryRulesError, RuntimeError),
    }
    for error, bases in drawn.items():
        assert error.__bases__ == bases, error.__name__
    assert RecoveryRulesError.__bases__ == (Exception,)


def _draft(**fields: Any) -> Draft:
    return Draft(kind="opened", state="opened", actor="staff", at=NOW, **fields)


def test_a_draft_whose_incident_is_not_a_complaint_number_is_refused_and_nothing_is_written(journal: Journal) -> None:
    draft = _draft(incident="20261123-10442", grant=Money("10.00", "USD"))
    with pytest.raises(InvalidInputError) as raised:
        journal.append(NUMBER, draft, expected_version=0, key="step-1", request={})
    assert raised.value.problems[0].location == "incident"
    assert journal.head().count == 0


def test_a_draft_whose_data_is_not_a_mapping_is_refused_and_nothing_is_written(journal: Journal) -> None:
    draft = _draft(data=None)
    with pytest.raises(InvalidInputError) as raised:
        journal.append(NUMBER, draft, expected_version=0, key="step-1", request={})
    assert raised.value.problems[0].location == "data"
    assert journal.head().count == 0


@pytest.mark.parametrize("clock", ["now", 5, object()], ids=["text", "number", "object"])
def test_a_case_clock_that_is_not_a_function_is_refused_naming_clock(clock: object) -> None:
    with MemoryJournal(clock=lambda: NOW) as journal:
        with pytest.raises(InvalidInputError) as opening:
            Case.open(journal, POLICY, complaint("10.00"), by="staff", clock=clock)  # type: ignore[arg-type]
        assert opening.value.problems[0].location == "clock"
        assert journal.head().count == 0
        Case.open(journal, POLICY, complaint("10.00"), by="staff", now=NOW)
        with pytest.raises(InvalidInputError) as loading:
            Case.load(journal, POLICY, NUMBER, clock=clock)  # type: ignore[arg-type]
        assert loading.value.problems[0].location == "clock"
