"""``append_many`` sends a batch's writes together, and records exactly what appending each event on its own records."""

from __future__ import annotations

import dataclasses
import itertools
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recovery_rules import (
    BulkEntry,
    ComplaintNumber,
    Draft,
    IdempotencyConflictError,
    Journal,
    Ledger,
    MemoryJournal,
    SQLiteJournal,
    StaleCaseError,
    Window,
)
from recovery_rules._journal import JSONValue

from ._journal_backends import BACKENDS, Harness
from ._journal_events import T0, A, B, C, draft

GUESTS = itertools.count(20_000, 2)  # each example's own guests: a database keeps the examples before it


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    harness = BACKENDS[request.param](tmp_path)
    yield harness
    harness.close()


def _reading(number: ComplaintNumber, minutes: int, grant: str | None) -> object:
    """A build that writes into the event what the ledger shows it: the grants before it, in this very batch too."""

    def build(ledger: Ledger) -> Draft:
        made = draft(minutes=minutes, grant=grant)
        seen = ledger.granted(number, window=Window.day(), timezone="UTC", currency="USD", now=made.at)
        return dataclasses.replace(made, data={**made.data, "seen": str(seen.amount)})

    return build


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[BulkEntry], int]:
    """Entries for three cases of two guests: grants, builds that read the ledger, keys sent again."""
    guest = next(GUESTS)
    texts = (f"20261123-{guest}", f"20261123-{guest}/2", f"20261123-{guest + 1}")  # two guests, three cases
    numbers = [ComplaintNumber.parse(text) for text in texts]
    entries: list[BulkEntry] = []
    for index in range(draw(st.integers(1, 14))):
        if entries and draw(st.integers(0, 5)) == 0:  # a request sent again: the same key, the same request
            entries.append(draw(st.sampled_from(entries)))
            continue
        number = draw(st.sampled_from(numbers))
        grant = draw(st.sampled_from([None, None, "10.00", "25.50"]))
        build = _reading(number, index, grant) if draw(st.booleans()) else draft(minutes=index, grant=grant)
        key = f"k{guest}-{index}"
        entries.append(BulkEntry(number, build, key=key, request={"i": index}))  # type: ignore[arg-type]
    return entries, draw(st.integers(1, 5))


def _one_at_a_time(entries: list[BulkEntry]) -> MemoryJournal:
    journal = MemoryJournal()
    for entry in entries:
        journal.append(
            entry.number,
            entry.build,
            expected_version=journal.version(entry.number),
            key=entry.key,
            request=entry.request,
        )
    return journal


def _records(journal: Journal) -> list[dict[str, JSONValue]]:
    return [event.record() for event in journal.iter_events()]


def _totals(ledger: object) -> object:
    """A ledger entry without its links to earlier events (positions differ when the journal held others before)."""
    if isinstance(ledger, dict):
        return {name: _totals(value) for name, value in ledger.items() if name not in ("prev_seq", "prev_hash")}
    return ledger


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=batches())
def test_a_batch_records_what_appending_each_event_records(
    backend: Harness, batch: tuple[list[BulkEntry], int]
) -> None:
    entries, per_transaction = batch
    journal = backend.journal()
    start = journal.head().count
    head = journal.append_many(entries, per_transaction=per_transaction)
    expected = _one_at_a_time(entries)
    # The events this example added (a file or database backend keeps those of earlier examples before them).
    added = _records(journal)[start:]
    assert len(added) == expected.head().count
    for mine, theirs in zip(added, _records(expected), strict=True):
        for name in ("number", "version", "kind", "key", "request", "data", "grant", "callback_due"):
            assert mine[name] == theirs[name], name
        assert _totals(mine["ledger"]) == _totals(theirs["ledger"])
    assert head == journal.head()
    assert journal.verify().ok


def test_a_key_taken_by_another_request_in_the_same_batch_is_refused_and_the_batch_rolled_back(
    backend: Harness,
) -> None:
    journal = backend.journal()
    entries = [
        BulkEntry(A, draft(minutes=0, grant="10.00"), key="x0", request={"i": 0}),
        BulkEntry(B, draft(minutes=1), key="x1", request={"i": 1}),
        BulkEntry(C, draft(minutes=2), key="x0", request={"i": 2}),  # x0 again, for another request
    ]
    with pytest.raises(IdempotencyConflictError):
        journal.append_many(entries)
    assert journal.head().count == 0
    assert journal.verify().ok
    assert journal.granted(A, window=Window.day(), timezone="UTC", currency="USD", now=T0).amount == 0


def test_a_stale_version_in_the_middle_of_a_batch_leaves_nothing_of_it(backend: Harness) -> None:
    journal = backend.journal()
    journal.append_many([BulkEntry(A, draft(minutes=0), key="y0")])
    entries = [
        BulkEntry(A, draft(minutes=1, grant="40.00"), key="y1"),
        BulkEntry(B, draft(minutes=2, grant="15.00"), key="y2"),
        BulkEntry(A, draft(minutes=3), key="y3", expected_version=1),  # A has two events by then
    ]
    with pytest.raises(StaleCaseError):
        journal.append_many(entries)
    assert journal.head().count == 1
    assert journal.version(A) == 1
    assert journal.overdue_callbacks(T0) == []
    assert journal.granted(A, window=Window.day(), timezone="UTC", currency="USD", now=T0).amount == 0
    head = journal.append_many(entries[:2])  # the same entries, without the stale one, are recorded afterwards
    assert head.count == 3
    assert journal.verify().ok


def test_a_batch_of_new_cases_asks_the_database_a_few_questions_not_a_few_per_event(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    events = 300
    entries = [
        BulkEntry(ComplaintNumber.parse(f"20261123-{9000 + i}"), draft(minutes=i), key=f"n{i}") for i in range(events)
    ]
    with SQLiteJournal(path) as journal:
        journal.append_many(entries[:1])  # opens the file and makes its tables
        statements: list[str] = []
        connection = journal._connection()  # the connection this thread writes through
        assert isinstance(connection, sqlite3.Connection)
        connection.set_trace_callback(statements.append)
        try:
            journal.append_many(entries[1:], per_transaction=events)
        finally:
            connection.set_trace_callback(None)
        assert journal.head().count == events
        assert journal.verify().ok
    written = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    asked = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(asked) <= 5, asked  # the keys, the versions, the head (and the write lock's own reads)
    # executemany traces each row it runs, so the writes are still one per event and table, in order
    assert sum("INTO events" in s for s in written) == events - 1
