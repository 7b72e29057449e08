"""``SQLiteJournal.backup(target)``: a consistent copy of a journal others are writing, and the head to check it by."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from recovery_rules import ChainHead, ComplaintNumber, Draft, JournalError, SQLiteJournal

from ._journal_backends import LEDGER_KEY, SQLiteHarness
from ._journal_files import copy_journal
from ._ledger_scenario import Grant, append

HEAD = ChainHead.parse("322:c60f77906b516a7a913c2d2c5d6e4cd07c348b651147e97824c5f7a32f7b5d83")
AT = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)


def opened() -> Draft:
    return Draft(kind="opened", state="opened", actor="staff", at=AT)


def test_a_backup_is_the_journal_as_it_stood_and_is_checked_against_the_head_returned(tmp_path: Path) -> None:
    source = copy_journal(tmp_path)
    backups = tmp_path / "backups"
    backups.mkdir()
    with SQLiteJournal(source) as journal:
        head = journal.backup(backups / "cases.sqlite3")
        assert head == journal.head() == HEAD
        events = [(event.seq, event.hash) for event in journal.iter_events()]
    assert sorted(path.name for path in backups.iterdir()) == ["cases.sqlite3"]  # no partial file left
    with SQLiteJournal(backups / "cases.sqlite3", read_only=True) as copy:
        assert copy.verify(expected_head=head).ok
        assert [(event.seq, event.hash) for event in copy.iter_events()] == events


def test_a_backup_holds_the_events_still_in_the_write_ahead_log(tmp_path: Path) -> None:
    """What copying the file would miss: events committed to the log and not yet checkpointed into the file."""
    source = copy_journal(tmp_path)
    with SQLiteJournal(source) as journal:
        journal.append(ComplaintNumber.parse("20261201-99999"), opened(), expected_version=0, key="w-1", request={})
        assert (tmp_path / (source.name + "-wal")).stat().st_size > 0
        head = journal.backup(tmp_path / "backup.sqlite3")
        assert head.count == HEAD.count + 1
    with SQLiteJournal(tmp_path / "backup.sqlite3", read_only=True) as copy:
        assert copy.verify(expected_head=head).ok


def test_a_backup_taken_while_another_thread_writes_is_one_whole_state(tmp_path: Path) -> None:
    source = copy_journal(tmp_path)
    stop = threading.Event()
    written: list[int] = []

    def write() -> None:
        with SQLiteJournal(source) as writer:
            index = 0
            while not stop.is_set() or index < 5:
                number = ComplaintNumber.parse(f"20261201-{90000 + index}")
                writer.append(number, opened(), expected_version=0, key=f"t-{index}", request={})
                written.append(index)
                index += 1

    thread = threading.Thread(target=write)
    thread.start()
    try:
        with SQLiteJournal(source) as journal:
            heads = [journal.backup(tmp_path / f"backup-{index}.sqlite3") for index in range(4)]
    finally:
        stop.set()
        thread.join()
    with SQLiteJournal(source) as journal:
        hashes = {event.seq: event.hash for event in journal.iter_events()}
    for index, head in enumerate(heads):
        with SQLiteJournal(tmp_path / f"backup-{index}.sqlite3", read_only=True) as copy:
            assert copy.verify(expected_head=head).ok  # whole and chained, ending where it says
        assert hashes[head.count] == head.hash  # a state the journal really passed through
    assert written


def test_a_backup_never_overwrites_and_a_failed_one_leaves_nothing(tmp_path: Path) -> None:
    source = copy_journal(tmp_path)
    existing = tmp_path / "existing.sqlite3"
    existing.write_bytes(b"keep me")
    with SQLiteJournal(source) as journal:
        with pytest.raises(JournalError, match="exists already"):
            journal.backup(existing)
        with pytest.raises(JournalError, match="could not be copied"):
            journal.backup(tmp_path / "missing-folder" / "backup.sqlite3")
        with pytest.raises(JournalError, match="path"):
            journal.backup(b"bytes.sqlite3")  # type: ignore[arg-type]  # what the check is for
        with pytest.raises(JournalError, match="valid Unicode text"):  # was a UnicodeEncodeError from SQLite
            journal.backup(str(tmp_path / "\ud800.json"))
    assert existing.read_bytes() == b"keep me"
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([source.name, existing.name])


def test_a_read_only_journal_and_a_sealed_one_back_up_whole(tmp_path: Path) -> None:
    source = copy_journal(tmp_path)
    with SQLiteJournal(source, read_only=True) as journal:
        assert journal.backup(tmp_path / "from-read-only.sqlite3") == HEAD
    harness = SQLiteHarness(tmp_path / "sealed", ledger_key=LEDGER_KEY)
    (tmp_path / "sealed").mkdir()
    append(harness.journal(), Grant("first", 0, "100.00"))
    harness.close()
    with SQLiteJournal(harness.path, ledger_key=LEDGER_KEY) as sealed:
        head = sealed.backup(tmp_path / "sealed-backup.sqlite3")
    with SQLiteJournal(tmp_path / "sealed-backup.sqlite3", ledger_key=LEDGER_KEY, read_only=True) as copy:
        assert copy.ledger_sealed
        assert copy.verify(expected_head=head).ok  # its sealed heads checked with the key too


@pytest.mark.parametrize("suffix", ["-wal", "-shm", "-journal"])
def test_a_backup_is_refused_where_a_file_sqlite_would_read_with_it_is_left(tmp_path: Path, suffix: str) -> None:
    """A log left beside the name (another journal's, or the same one's from before) would be read as the copy's."""
    source = copy_journal(tmp_path)
    left = tmp_path / ("backup.sqlite3" + suffix)
    left.write_bytes(b"an old log")
    with SQLiteJournal(source) as journal, pytest.raises(JournalError, match="SQLite would read it as part of"):
        journal.backup(tmp_path / "backup.sqlite3")
    assert left.read_bytes() == b"an old log"
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([source.name, left.name])


@pytest.mark.parametrize("mode", [0o600, 0o640])
def test_a_backup_is_readable_by_whom_the_journal_is_and_no_one_else(tmp_path: Path, mode: int) -> None:
    source = copy_journal(tmp_path)
    source.chmod(mode)
    with SQLiteJournal(source) as journal:
        journal.backup(tmp_path / "backup.sqlite3")
    assert (tmp_path / "backup.sqlite3").stat().st_mode & 0o777 == mode
