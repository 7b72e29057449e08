"""What only the SQLite backend has: the file, its settings, and refusing files that are not journals."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from recovery_rules import JournalError, SQLiteJournal, Window
from recovery_rules._journal._columns import COLUMNS, record_of, record_of_values
from recovery_rules._journal._sqlite import _CASES, _HEADS_CHECK

from ._helpers import failures_when_run_at_once
from ._journal_events import T0, A, fill


def test_the_file_uses_write_ahead_logging_and_full_sync(tmp_path: Path) -> None:
    with SQLiteJournal(tmp_path / "journal.sqlite3") as journal:
        connection = journal._connection()
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert connection.execute("PRAGMA application_id").fetchone()[0] == 0x52524A4C
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 5


@pytest.mark.slow
def test_many_threads_opening_a_new_file_together_each_get_the_journal(tmp_path: Path) -> None:
    """The first opening switches a new file to write-ahead logging, which SQLite refuses at once ("database is
    locked") while another connection holds a lock, without waiting: the switch is tried again until it is done.
    Eight threads open each of 30 new files at the same moment; every one gets a usable journal."""

    for attempt in range(30):
        path = tmp_path / f"journal-{attempt}.sqlite3"

        def open_and_read(path: Path = path) -> None:
            with SQLiteJournal(path) as journal:
                assert journal.head().count == 0

        assert failures_when_run_at_once(open_and_read, threads=8) == []


def test_events_survive_closing_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with SQLiteJournal(path) as journal:
        fill(journal, 6)
        head = journal.head()
    with SQLiteJournal(path) as journal:
        assert journal.head() == head
        assert journal.verify(expected_head=head).ok
        assert len(journal.events(A)) == 2


def test_each_thread_gets_its_own_connection(tmp_path: Path) -> None:
    with SQLiteJournal(tmp_path / "journal.sqlite3") as journal:
        fill(journal, 3)
        seen: list[int] = []

        def read() -> None:
            seen.append(journal.head().count)
            assert journal._connection() is not journal._connections[0]

        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
        assert seen == [3]
        assert len(journal._connections) == 1  # the thread ended: its connection was closed with it


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database, just some notes that are long enough to look like a header" * 20)
    with pytest.raises(JournalError, match="not a usable recovery-rules journal"):
        SQLiteJournal(path)


def test_another_applications_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(JournalError, match="SQLite database of something else"):
        SQLiteJournal(path)
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        assert connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 1  # untouched
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not switched to WAL either


def test_a_journal_of_a_newer_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    SQLiteJournal(path).close()
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("PRAGMA user_version = 6")
    with pytest.raises(JournalError, match="newer than this recovery-rules reads"):
        SQLiteJournal(path)


def test_a_path_that_cannot_be_opened_is_refused(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="cannot open the journal file"):
        SQLiteJournal(tmp_path / "no such folder" / "journal.sqlite3")


READS: dict[str, Callable[[SQLiteJournal], object]] = {
    "head": lambda journal: journal.head(),
    "version": lambda journal: journal.version(A),
    "find": lambda journal: journal.find("a-key"),
    "events": lambda journal: journal.events(A),
    "iter_events": lambda journal: list(journal.iter_events()),
    "granted": lambda journal: journal.granted(A, window=Window.day(), timezone="UTC", currency="USD", now=T0),
    "cases": lambda journal: journal.cases(),
    "overdue_callbacks": lambda journal: journal.overdue_callbacks(T0 + dt.timedelta(days=1)),
    "verify": lambda journal: journal.verify(),
}


# What each read needs: the events, or (the case listings) the table of cases. With no callback owed, listing the
# overdue ones reads the table of cases alone.
DAMAGED = [(name, "events") for name in READS if name != "overdue_callbacks"] + [
    ("cases", "cases"),
    ("overdue_callbacks", "cases"),
]


@pytest.mark.parametrize(("name", "table"), DAMAGED)
def test_a_file_that_fails_under_a_read_raises_a_journal_error(tmp_path: Path, name: str, table: str) -> None:
    path = tmp_path / "journal.sqlite3"
    read = READS[name]
    with SQLiteJournal(path) as journal:
        fill(journal, 3)
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
            connection.execute(f"DROP TABLE {table}")  # what an operator's mistake or a damaged file looks like
        with pytest.raises(JournalError, match=f"the journal cannot be read: no such table: {table}"):
            read(journal)


# -- is_journal: looking without opening ---------------------------------------------------------------


def _missing(path: Path) -> Path:
    return path


def _directory(path: Path) -> Path:
    path.mkdir()
    return path


def _fifo(path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("FIFOs are POSIX")
    os.mkfifo(path)
    return path


def _empty_file(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _text_file(path: Path) -> Path:
    path.write_text("no database here\n" * 50)
    return path


def _other_database(path: Path) -> Path:
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER)")
    return path


def _journal(path: Path) -> Path:
    with SQLiteJournal(path) as journal:
        fill(journal, 3)
    return path


def _newer_journal(path: Path) -> Path:
    SQLiteJournal(path).close()
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("PRAGMA user_version = 6")
    return path


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (_missing, False),
        (_directory, False),
        (_fifo, False),
        (_empty_file, False),
        (_text_file, False),
        (_other_database, False),
        (_newer_journal, True),
        (_journal, True),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)).strip("_"),
)
def test_is_journal_looks_without_creating_or_changing_anything(
    tmp_path: Path, make: Callable[[Path], Path], expected: bool
) -> None:
    path = make(tmp_path / "cases.sqlite3")
    before = {entry.name: entry.read_bytes() for entry in tmp_path.iterdir() if entry.is_file()}
    names = sorted(entry.name for entry in tmp_path.iterdir())
    assert SQLiteJournal.is_journal(path) is expected
    assert SQLiteJournal.is_journal(str(path)) is expected
    assert sorted(entry.name for entry in tmp_path.iterdir()) == names, "nothing is created beside it"
    assert {name: (tmp_path / name).read_bytes() for name in before} == before, "nothing is changed"


def test_is_journal_sees_a_journal_while_it_is_written(tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite3"
    with SQLiteJournal(path) as journal:
        fill(journal, 3)
        assert SQLiteJournal.is_journal(path)  # read-only, beside the writer and its write-ahead log
        assert journal.head().count == 3


def test_is_journal_refuses_what_is_not_a_path(tmp_path: Path) -> None:
    assert SQLiteJournal.is_journal(f"{tmp_path}/nul\x00.sqlite3") is False
    assert SQLiteJournal.is_journal("") is False
    for bad in (b"cases.sqlite3", 42, None):
        with pytest.raises(JournalError, match="path"):
            SQLiteJournal.is_journal(bad)  # type: ignore[arg-type]  # what a careless caller passes


def test_a_row_read_by_its_values_is_the_record_read_by_its_names(tmp_path: Path) -> None:
    """The SQLite backend reads a row by position (every column of ``SELECT``, in ``COLUMNS`` order): the same
    record as reading it column by column, name by name; a row of other columns is refused, not misread."""
    with SQLiteJournal(tmp_path / "j.sqlite3") as journal:
        fill(journal)
        count = journal.head().count
        with journal._read() as store:
            records = [store.record_at(seq) for seq in range(1, count + 1)]
        connection = sqlite3.connect(tmp_path / "j.sqlite3")
        connection.row_factory = sqlite3.Row
        rows = connection.execute("SELECT * FROM events ORDER BY seq").fetchall()
        connection.close()
    assert [row.keys() for row in rows[:1]] == [list(COLUMNS)]
    assert any(record is not None and record["grant"] is not None for record in records)
    assert records == [record_of({name: row[name] for name in row.keys()}) for row in rows]  # noqa: SIM118
    assert records == [record_of_values(tuple(row)) for row in rows]
    with pytest.raises(ValueError, match="22 columns, not 21"):
        record_of_values(tuple(rows[0])[:-1])


def test_a_table_of_cases_naming_no_position_fails_the_check_closed(tmp_path: Path) -> None:
    """SQLite compares a text above every integer: a latest event named by a text is refused, not ignored."""
    path = tmp_path / "journal.sqlite3"
    with SQLiteJournal(path) as journal:
        fill(journal, 4)
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("UPDATE cases SET last_seq = 'four' WHERE last_seq = 4")
    with SQLiteJournal(path) as journal:
        result = journal.verify()
    assert (result.ok, result.first_bad, result.count) == (False, 5, 4)
    assert "table of cases is damaged" in (result.problem or "")


_RESUMED_CHECKS = (  # the journal's own statements a check resumed from a saved head runs beside the chain
    ("the table of cases' last position", _CASES["last"], (), "cases_last_seq"),
    ("the entries since the head", _CASES["unmatched"], (9, 10), "cases_last_seq"),
    ("the openings of the entries since", _CASES["misopened"], (9, 10), "cases_last_seq"),
    ("the heads naming a position since", _HEADS_CHECK["stray"], (9, 9, 9), "ledger_heads_seq"),
    ("a sealed head", "SELECT seq FROM ledger_heads WHERE seal IS NOT NULL LIMIT 1", (), "ledger_heads_sealed"),
)


@pytest.mark.parametrize(("what", "statement", "values", "index"), _RESUMED_CHECKS, ids=[c[0] for c in _RESUMED_CHECKS])
def test_a_check_resumed_from_a_saved_head_reads_the_tables_through_indexes(
    tmp_path: Path, what: str, statement: str, values: tuple[object, ...], index: str
) -> None:
    """Without these indexes (schema 4), a resumed verify() scanned the table of cases and the heads whole: 3.5 s
    on the 10M-event journal instead of tens of milliseconds (benchmarks/scale.py, 2026-12-06)."""
    with SQLiteJournal(tmp_path / "journal.sqlite3") as journal:
        fill(journal, 3)
        plan = " ".join(row[-1] for row in journal._connection().execute("EXPLAIN QUERY PLAN " + statement, values))
    assert index in plan, (what, plan)


def test_a_journal_of_schema_4_opens_with_the_indexes_of_schema_5(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with SQLiteJournal(path) as journal:
        fill(journal, 3)
        head = journal.head()
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        for index in ("cases_last_seq", "ledger_heads_seq", "ledger_heads_sealed"):
            connection.execute(f"DROP INDEX {index}")
        connection.execute("PRAGMA user_version = 4")
    with pytest.raises(JournalError, match="open it once to write"):
        SQLiteJournal(path, read_only=True)
    with SQLiteJournal(path) as journal:  # upgraded as it opens: the events untouched
        assert journal.verify(expected_head=head).ok
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 5
    assert {"cases_last_seq", "ledger_heads_seq", "ledger_heads_sealed"} <= names
