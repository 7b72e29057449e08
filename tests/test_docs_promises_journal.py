"""What the docstrings of the journal's public API promise, checked on every backend (docs-promise audit 78).

The promises are those of ``Journal.append``, ``append_many``, ``cases``, ``granted``, ``erase_customer``,
``rotate_ledger_key``, ``Draft`` and ``SQLiteJournal`` (and so of docs/reference/api/cases.md, built from them).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from recovery_rules import (
    BulkEntry,
    Draft,
    InvalidInputError,
    Journal,
    JournalError,
    Ledger,
    MemoryJournal,
    Money,
    SQLiteJournal,
    Window,
)

from ._journal_backends import BACKENDS, Harness
from ._journal_events import T0, A, add, draft

EARLY = dt.datetime(500, 6, 1, 12, 0, tzinfo=dt.UTC)
"""A time before the year 1000: aware, and a datetime like any other."""


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    harness = BACKENDS[request.param](tmp_path)
    yield harness
    harness.close()


def _step(**changes: object) -> Draft:
    """A plain step of case ``A`` at ``T0``, with ``changes`` (possibly of the wrong type) in place."""
    fields: dict[str, object] = {"kind": "noted", "state": "noted", "actor": "staff", "at": T0, **changes}
    return Draft(**fields)  # type: ignore[arg-type]  # a wrong type on purpose, as a caller might pass it


# -- append: "An argument of the wrong type raises InvalidInputError naming it" -------------------------------


@pytest.mark.parametrize("data", [["notes"], "notes", None], ids=["list", "text", "none"])
def test_a_draft_whose_data_is_not_a_json_object_is_refused_as_invalid_input(backend: Harness, data: object) -> None:
    journal = backend.journal()
    add(journal, A)
    with pytest.raises(InvalidInputError, match="data"):
        journal.append(A, _step(data=data), expected_version=1, key="bad-data", request={})
    assert journal.head().count == 1
    assert journal.verify().ok


@pytest.mark.parametrize("incident", [str(A), 10442], ids=["text", "number"])
def test_a_grant_whose_incident_is_not_a_complaint_number_is_refused_as_invalid_input(
    backend: Harness, incident: object
) -> None:
    journal = backend.journal()
    add(journal, A)
    step = _step(grant=Money("5.00", "USD"), incident=incident)
    with pytest.raises(InvalidInputError, match="incident"):
        journal.append(A, step, expected_version=1, key="bad-incident", request={})
    assert journal.head().count == 1


def test_append_many_refuses_a_draft_whose_data_is_not_a_json_object_and_records_none_of_its_transaction(
    backend: Harness,
) -> None:
    journal = backend.journal()
    entries = [BulkEntry(A, draft(), "first"), BulkEntry(A, _step(data=["notes"]), "second")]
    with pytest.raises(InvalidInputError, match="data"):
        journal.append_many(entries)
    assert journal.head().count == 0


@pytest.mark.parametrize(("version", "key"), [(5, "new-key"), (0, "A-1")], ids=["stale version", "key recorded"])
def test_append_refuses_a_build_that_is_no_draft_nor_function_whatever_the_journal_holds(
    backend: Harness, version: int, key: str
) -> None:
    journal = backend.journal()
    journal.append(A, draft(), expected_version=0, key="A-1", request={})
    with pytest.raises(InvalidInputError, match="build"):
        journal.append(A, "listened", expected_version=version, key=key, request={})  # type: ignore[arg-type]


# -- times before the year 1000: the journal compares times as text --------------------------------------------


def test_cases_since_a_time_before_the_year_1000_lists_every_case_and_until_it_none(backend: Harness) -> None:
    journal = backend.journal()
    add(journal, A)
    assert [str(summary.number) for summary in journal.cases(since=EARLY)] == [str(A)]
    assert journal.cases(until=EARLY) == []


def test_granted_as_of_a_time_before_the_year_1000_is_no_false_tampering_alarm(backend: Harness) -> None:
    journal = backend.journal()
    add(journal, A, grant="10.00")
    assert journal.verify().ok
    with contextlib.suppress(InvalidInputError):  # refusing a time outside the input range would keep the promise too
        assert journal.granted(A, window=Window.day(), timezone="UTC", currency="USD", now=EARLY) == Money("0", "USD")


def test_granted_within_the_last_day_there_is_counts_no_grant_of_another_day(backend: Harness) -> None:
    journal = backend.journal()
    add(journal, A, grant="10.00")
    last_day = dt.datetime(9999, 12, 31, 12, 0, tzinfo=dt.UTC)
    with contextlib.suppress(InvalidInputError):  # refusing a time outside the input range would keep the promise too
        assert journal.granted(A, window=Window.day(), timezone="UTC", currency="USD", now=last_day) == Money(
            "0", "USD"
        )


def _encrypting_memory(tmp_path: Path) -> Journal:
    return MemoryJournal(encrypt_personal_data=True)


def _encrypting_sqlite(tmp_path: Path) -> Journal:
    return SQLiteJournal(tmp_path / "journal.sqlite3", encrypt_personal_data=True)


@pytest.mark.parametrize("make", [_encrypting_memory, _encrypting_sqlite], ids=["memory", "sqlite"])
def test_an_erasure_is_either_refused_or_read_back_whatever_its_time(
    tmp_path: Path, make: Callable[[Path], Journal]
) -> None:
    with make(tmp_path) as journal:
        add(journal, A)
        try:
            erasure = journal.erase_customer(A.customer_id, employee="E-0042", now=EARLY)
        except InvalidInputError:  # refused: nothing erased
            assert journal.erasure(A.customer_id) is None
            assert journal.events(A)[0].data["notes"] == "step at +0 minutes"
        else:
            assert journal.erasure(A.customer_id) == erasure
            assert journal.erase_customer(A.customer_id) == erasure  # "Erasing again is harmless"


# -- rotate_ledger_key ----------------------------------------------------------------------------------------------


def test_rotate_ledger_key_names_new_key_when_the_new_key_is_too_short() -> None:
    with MemoryJournal(ledger_key=bytes(range(32))) as journal:
        with pytest.raises(InvalidInputError) as raised:
            journal.rotate_ledger_key(b"too short")
        assert [problem.location for problem in raised.value.problems] == ["new_key"]
        assert journal.rotate_ledger_key(bytes(range(1, 33))) == 0  # the journal still has its key, and no heads


# -- promises that hold ---------------------------------------------------------------------------------------------


def test_append_many_records_a_key_used_twice_in_one_batch_once(backend: Harness) -> None:
    """ "Each entry is checked ... exactly as append does it (idempotency key ...)": a repeat within the batch
    is the same request, so it returns the first event and records nothing."""
    journal = backend.journal()
    entries = [BulkEntry(A, draft(), "same"), BulkEntry(A, draft(minutes=1), "same"), BulkEntry(A, draft(), "next")]
    head = journal.append_many(entries)
    assert head.count == 2
    assert [(event.key, event.version) for event in journal.events(A)] == [("same", 1), ("next", 2)]


def test_an_sqlite_writer_gives_up_after_its_timeout_while_another_handle_writes(tmp_path: Path) -> None:
    """SQLiteJournal: ``timeout`` is how many seconds a writer waits for another one to finish before giving up
    with a JournalError; the other's write is recorded as if nothing had happened."""
    path = tmp_path / "journal.sqlite3"
    refusals: list[str] = []
    with SQLiteJournal(path) as first, SQLiteJournal(path, timeout=0.05) as second:

        def build(ledger: Ledger) -> Draft:
            try:
                second.append(A, draft(), expected_version=0, key="second", request={})
            except JournalError as error:
                refusals.append(str(error))
            return draft()

        first.append(A, build, expected_version=0, key="first", request={})
        assert len(refusals) == 1
        assert "busy" in refusals[0]
        assert [event.key for event in second.events(A)] == ["first"]
        assert second.verify().ok
