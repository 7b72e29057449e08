"""``SQLiteJournal(path, read_only=True)``: a journal nothing is writing, read and verified as it is.

Nothing is created or written beside the file (no write-ahead log, no shared-memory file, no schema upgrade),
every write is refused, and a file that may not hold the whole journal (a write-ahead log beside it, an earlier
schema) is refused rather than read in part.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from recovery_rules import (
    BulkEntry,
    ChainHead,
    ComplaintNumber,
    Draft,
    JournalError,
    Money,
    SQLiteJournal,
    Window,
)

from ._journal_backends import LEDGER_KEY, SQLiteHarness
from ._journal_files import JOURNAL, copy_journal, execute
from ._ledger_scenario import CASES, GUEST, T0, Grant, append

SCHEMA_3 = Path(__file__).parent / "data" / "journal-schema-3.sqlite3"
HEAD = ChainHead.parse("322:c60f77906b516a7a913c2d2c5d6e4cd07c348b651147e97824c5f7a32f7b5d83")


def state(folder: Path) -> dict[str, str]:
    """Every file in ``folder`` and the SHA-256 of its bytes."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


def test_a_read_only_journal_reads_and_verifies_and_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    copy = copy_journal(tmp_path)
    before = state(tmp_path)
    with SQLiteJournal(copy, read_only=True) as journal:
        assert journal.verify(expected_head=HEAD).ok
        assert journal.head() == HEAD
        events = list(journal.iter_events())
        assert len(events) == HEAD.count
        number = events[-1].number
        assert journal.events(number)[-1] == events[-1]
        assert journal.cases()
        granted = journal.granted(number, window=Window.day(), timezone="UTC", currency="USD", now=events[-1].at)
        assert granted.currency == "USD"
    assert state(tmp_path) == before  # no -wal, no -shm, not a byte changed


def test_a_read_only_journal_sees_what_a_writable_one_sees(tmp_path: Path) -> None:
    copy = copy_journal(tmp_path)
    with SQLiteJournal(copy, read_only=True) as read_only:
        seen = [(event.seq, event.hash) for event in read_only.iter_events()]
        cases = read_only.cases()
    with SQLiteJournal(copy) as writable:
        assert [(event.seq, event.hash) for event in writable.iter_events()] == seen
        assert writable.cases() == cases


def _writes(journal: SQLiteJournal) -> dict[str, Callable[[], object]]:
    number = ComplaintNumber.parse("20261201-99999")
    at = dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)
    draft = Draft(kind="noted", state="noted", actor="staff", at=at)
    grant = Draft(kind="granted", state="granted", actor="staff", at=at, grant=Money("10.00", "USD"))
    return {
        "append": lambda: journal.append(number, draft, expected_version=0, key="w-1", request={}),
        "append a grant": lambda: journal.append(number, grant, expected_version=0, key="w-2", request={}),
        "append_many": lambda: journal.append_many([BulkEntry(number, draft, key="w-3", request={})]),
        "seal_ledger": lambda: journal.seal_ledger(LEDGER_KEY),
        "erase_customer": lambda: journal.erase_customer("11024"),
    }


@pytest.mark.parametrize("write", ["append", "append a grant", "append_many", "seal_ledger", "erase_customer"])
def test_every_write_is_refused_and_nothing_is_written(tmp_path: Path, write: str) -> None:
    copy = copy_journal(tmp_path)
    before = state(tmp_path)
    with SQLiteJournal(copy, read_only=True) as journal:
        with pytest.raises(JournalError, match=r"opened read-only \(read_only=True\): it records nothing"):
            _writes(journal)[write]()
        assert journal.head() == HEAD
    assert state(tmp_path) == before


def test_a_missing_file_or_a_folder_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="no journal file"):
        SQLiteJournal(tmp_path / "none.sqlite3", read_only=True)
    with pytest.raises(JournalError, match="not a file"):
        SQLiteJournal(tmp_path, read_only=True)
    assert list(tmp_path.iterdir()) == []


def test_a_journal_a_process_is_writing_is_read_with_its_log_and_its_latest_events(tmp_path: Path) -> None:
    """An auditor's check of a live journal: the latest events, still in the write-ahead log, are seen too."""
    copy = copy_journal(tmp_path)
    with SQLiteJournal(copy) as writer:
        number = ComplaintNumber.parse("20261201-99999")
        opened = Draft(kind="opened", state="opened", actor="staff", at=dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC))
        writer.append(number, opened, expected_version=0, key="live-1", request={})
        assert (tmp_path / (copy.name + "-wal")).stat().st_size > 0  # the event is in the log, not yet in the file
        before = sorted(path.name for path in tmp_path.iterdir())
        with SQLiteJournal(copy, read_only=True) as reader:
            assert reader.head() == writer.head()
            assert reader.head().count == HEAD.count + 1
            assert reader.verify(expected_head=HEAD).ok
            with pytest.raises(JournalError, match="opened read-only"):
                _writes(reader)["append"]()
        assert sorted(path.name for path in tmp_path.iterdir()) == before


def _open_case(writer: SQLiteJournal, n: int) -> None:
    number = ComplaintNumber.parse(f"20261201-{90000 + n}")
    opened = Draft(kind="opened", state="opened", actor="staff", at=dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC))
    writer.append(number, opened, expected_version=0, key=f"live-{n}", request={"pad": "x" * 2000})


def test_a_journal_read_through_a_link_is_read_with_the_log_beside_the_file(tmp_path: Path) -> None:
    """SQLite reads the file a link points to, with that file's log: the log is looked for there too."""
    (tmp_path / "real").mkdir()
    copy = copy_journal(tmp_path / "real")
    link = tmp_path / "link.sqlite3"
    link.symlink_to(copy)
    with SQLiteJournal(copy) as writer:
        _open_case(writer, 1)
        with SQLiteJournal(link, read_only=True) as reader:
            assert reader.head() == writer.head()
            assert reader.verify(expected_head=writer.head()).ok
    for suffix in ("-wal", "-shm"):  # what a crash leaves beside the real file is found through the link too
        (copy.parent / (copy.name + suffix)).write_bytes(b"")
    (copy.parent / (copy.name + "-shm")).unlink()
    with pytest.raises(JournalError, match="a write was cut off"):
        SQLiteJournal(link, read_only=True)


@pytest.mark.slow
def test_a_reader_opened_before_a_writer_reads_what_the_writer_writes(tmp_path: Path) -> None:
    """Opened while nothing had the file open, a reader reads it as immutable; once a writer has it open, each
    thread's next read follows the log, before and after the writer copies it into the file."""
    copy = copy_journal(tmp_path)
    with SQLiteJournal(copy, read_only=True) as reader:
        assert reader.head() == HEAD
        with SQLiteJournal(copy) as writer:
            for n in range(60):  # more than the log holds before SQLite copies it into the file
                _open_case(writer, n)
            assert reader.head() == writer.head()
            found: list[ChainHead] = []
            thread = threading.Thread(target=lambda: found.append(reader.head()))
            thread.start()
            thread.join()
            assert found == [writer.head()]
            assert reader.verify(expected_head=writer.head()).ok
            writer._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            assert reader.verify(expected_head=writer.head()).ok
            assert len(reader.cases()) == len(writer.cases())
            last = writer.head()
        assert reader.verify(expected_head=last).ok  # the writer gone, its log still in use by the reader


def test_a_reader_reads_again_a_file_a_writer_changed_between_two_of_its_reads(tmp_path: Path) -> None:
    """A writer that opened, wrote and closed the file between two reads leaves nothing beside it: the file itself
    changed, and an immutable reading of it is made again."""
    copy = copy_journal(tmp_path)
    with SQLiteJournal(copy, read_only=True) as reader:
        assert reader.head() == HEAD
        with SQLiteJournal(copy) as writer:
            for n in range(3):
                _open_case(writer, n)
            written = writer.head()
        assert sorted(path.name for path in tmp_path.iterdir()) == [copy.name]  # the writer's log is gone
        assert reader.head() == written
        assert reader.verify(expected_head=written).ok


def test_a_reader_closed_while_it_reopens_keeps_no_connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """close() from another thread while a read replaces its connection: the read is refused, nothing stays open."""
    copy = copy_journal(tmp_path)
    reader = SQLiteJournal(copy, read_only=True)
    reader.head()
    with SQLiteJournal(copy) as writer:
        _open_case(writer, 1)  # the reader's next read opens a new connection, with the log
        opening = SQLiteJournal._open_read_only

        def closed_meanwhile(journal: SQLiteJournal) -> sqlite3.Connection:
            connection = opening(journal)
            thread = threading.Thread(target=reader.close)
            thread.start()
            thread.join()
            return connection

        monkeypatch.setattr(SQLiteJournal, "_open_read_only", closed_meanwhile)
        with pytest.raises(JournalError, match="closed"):
            reader.head()
        assert reader._connections == []


@pytest.mark.parametrize("left", [("-wal",), ("-shm",), ("-journal",), ("-wal", "-shm", "-journal")])
def test_what_a_crash_leaves_beside_a_journal_is_refused_untouched(tmp_path: Path, left: tuple[str, ...]) -> None:
    """A log without its index, or a rollback journal: only a writer can recover it, and the file alone may not hold
    the whole journal."""
    copy = copy_journal(tmp_path)
    for suffix in left:
        (tmp_path / (copy.name + suffix)).write_bytes(b"")
    before = state(tmp_path)
    with pytest.raises(JournalError, match="a write was cut off"):
        SQLiteJournal(copy, read_only=True)
    assert state(tmp_path) == before


def test_a_journal_of_an_earlier_schema_is_refused_untouched(tmp_path: Path) -> None:
    old = tmp_path / "schema-3.sqlite3"
    shutil.copyfile(SCHEMA_3, old)
    before = state(tmp_path)
    with pytest.raises(JournalError, match=r"earlier release \(format 3\).*without read_only"):
        SQLiteJournal(old, read_only=True)
    assert state(tmp_path) == before
    SQLiteJournal(old).close()  # brought up to date once, with write access
    with SQLiteJournal(old, read_only=True) as journal:
        assert journal.verify().ok


def test_other_files_and_options_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE t (x)")
        connection.commit()
    with pytest.raises(JournalError, match="not a recovery-rules journal"):
        SQLiteJournal(other, read_only=True)
    text = tmp_path / "notes.txt"
    text.write_text("not a database", encoding="utf-8")
    with pytest.raises(JournalError, match="not a usable recovery-rules journal: file is not a database"):
        SQLiteJournal(text, read_only=True)
    with pytest.raises(JournalError, match="read_only must be True or False"):
        SQLiteJournal(JOURNAL, read_only=1)  # type: ignore[arg-type]  # what the check is for
    with pytest.raises(JournalError, match="encrypt"):
        SQLiteJournal(JOURNAL, read_only=True, encrypt_personal_data=True)


# -- a sealed ledger --------------------------------------------------------------------------------------------------


def test_a_sealed_journal_read_only_checks_its_heads_with_the_key(tmp_path: Path) -> None:
    harness = SQLiteHarness(tmp_path, ledger_key=LEDGER_KEY)
    journal = harness.journal()
    append(journal, Grant("first", 0, "100.00"))
    append(journal, Grant("first", 30, "50.00"))
    harness.close()
    before = state(tmp_path)
    with SQLiteJournal(harness.path, ledger_key=LEDGER_KEY, read_only=True) as sealed:
        assert sealed.ledger_sealed
        assert sealed.verify().ok
        number = CASES["first"]
        now = T0 + dt.timedelta(hours=1)
        assert sealed.granted(number, window=Window.day(), timezone="UTC", currency="USD", now=now) == Money(
            "150.00", "USD"
        )
    with pytest.raises(JournalError, match="key"):
        SQLiteJournal(harness.path, ledger_key=bytes(range(1, 33)), read_only=True)
    assert state(tmp_path) == before
    execute(harness.path, "UPDATE ledger_heads SET seal = ? WHERE scope = 'guest' AND key = ?", "0" * 64, GUEST)
    with SQLiteJournal(harness.path, ledger_key=LEDGER_KEY, read_only=True) as sealed:
        assert not sealed.verify().ok


def test_a_key_for_an_unsealed_journal_read_only_is_refused_without_sealing_it(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite3"
    SQLiteJournal(empty).close()
    before = state(tmp_path)
    with pytest.raises(JournalError, match="cannot be sealed"):
        SQLiteJournal(empty, ledger_key=LEDGER_KEY, read_only=True)
    assert state(tmp_path) == before
    with SQLiteJournal(empty) as journal:
        assert not journal.ledger_sealed
