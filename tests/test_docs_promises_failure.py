"""Guarantees under failure, a second pass (docs-promise audit 101).

The promises are those of docs/explanation/guarantees-under-failure.md, docs/explanation/guarantees.md,
docs/cli/backup.md, docs/cli/seal.md and docs/cli/verify.md: nothing half-written, a refusal is a clear library
error, a retry with the same idempotency key records once, and ``verify`` finds what it should. The journals are
SQLite files on ``tmp_path``; a full disk's effect on a file is made by hand (the state SQLite leaves when a
checkpoint cannot extend the file), and tampering is done with ``sqlite3`` behind the library's back.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from recovery_rules import (
    BulkEntry,
    ChainHead,
    ComplaintNumber,
    Draft,
    JournalError,
    JournalIntegrityError,
    SQLiteJournal,
)

from ._cli import run
from ._journal_backends import BACKENDS, Harness
from ._journal_events import T0, A, B, C, draft, fill


def _note(index: int) -> Draft:
    return Draft(kind="noted", state="noted", actor="staff", at=T0, data={"notes": f"{index}: " + "x" * 200})


def _checkpoint_cut_off_by_a_full_disk(path: Path) -> ChainHead:
    """A journal left as a checkpoint cut off by a full disk leaves it; returns its head.

    Its write-ahead log holds every committed event, and the file itself is short: the checkpoint wrote the
    file's first page (which gives the database's new size) and could not extend the file past its old size and
    a few bytes. SQLite reads such a journal whole, from its log. (The same state, made for real: run
    ``recovery-rules seal`` in a process whose files may not grow past the journal's size plus a few kilobytes,
    ``ulimit -f``; it exits 0, and its checkpoint on closing cuts off.)
    """
    with SQLiteJournal(path) as journal:
        fill(journal, 5)
    size_before = path.stat().st_size
    journal = SQLiteJournal(path)
    try:
        for index in range(60):  # new pages, past the file's old end: all in the write-ahead log
            number = ComplaintNumber.parse(f"20261123-{500 + index}")
            journal.append(number, _note(index), expected_version=0, key=f"note-{index}", request={})
        head = journal.head()
        log = Path(f"{path}-wal").read_bytes()
        index_file = Path(f"{path}-shm").read_bytes()
    finally:
        journal.close()  # checkpoints the log into the file and removes it: then cut short, the log put back
    with path.open("r+b") as file:
        file.truncate(size_before + 100)
    Path(f"{path}-wal").write_bytes(log)
    Path(f"{path}-shm").write_bytes(index_file)
    return head


def test_a_journal_whose_checkpoint_a_full_disk_cut_off_is_read_whole_from_its_log(tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite3"
    head = _checkpoint_cut_off_by_a_full_disk(path)
    with SQLiteJournal(path) as journal:
        assert journal.verify(expected_head=head).ok  # every acknowledged event is there


def test_is_journal_sees_a_journal_whose_checkpoint_a_full_disk_cut_off(tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite3"
    _checkpoint_cut_off_by_a_full_disk(path)
    assert SQLiteJournal.is_journal(path)


def test_the_verify_command_finds_intact_a_journal_whose_checkpoint_a_full_disk_cut_off(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "cases.sqlite3"
    head = _checkpoint_cut_off_by_a_full_disk(path)
    result = run(capsys, "verify", str(path), "--expected-head", str(head))
    assert "restore it from a backup" not in result.err
    assert (result.code, result.err) == (0, "")
    assert f"{head.count} events, chain intact" in result.out


def _forge_a_case_before_the_chain(path: Path, seq: int) -> None:
    """Store a copy of the first event at position ``seq`` (0 or below: before the chain) as a case of its own,
    which the journal's table of cases does not list."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        names = [row[1] for row in connection.execute("PRAGMA table_info(events)")]
        row = dict(zip(names, connection.execute("SELECT * FROM events WHERE seq = 1").fetchone(), strict=True))
        row.update(seq=seq, number="20261123-999", customer_id="999", key="forged")
        marks = ", ".join("?" * len(row))
        connection.execute(f"INSERT INTO events ({', '.join(row)}) VALUES ({marks})", list(row.values()))
        connection.commit()


@pytest.mark.parametrize("seq", [0, -3])
def test_verify_reports_a_case_forged_before_the_chain_as_a_bad_journal(tmp_path: Path, seq: int) -> None:
    path = tmp_path / "cases.sqlite3"
    with SQLiteJournal(path) as journal:
        fill(journal, 6)
    _forge_a_case_before_the_chain(path, seq)
    with SQLiteJournal(path) as journal:
        result = journal.verify()
    assert not result.ok
    assert result.first_bad is not None
    assert result.problem


def test_the_verify_command_finds_a_case_forged_before_the_chain_with_exit_code_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "cases.sqlite3"
    with SQLiteJournal(path) as journal:
        fill(journal, 6)
    _forge_a_case_before_the_chain(path, 0)
    result = run(capsys, "verify", str(path))
    assert "chain head" not in result.err
    assert result.code == 1
    assert "is bad" in result.out


def test_a_batch_cut_off_in_its_third_transaction_and_sent_again_records_every_entry_once(tmp_path: Path) -> None:
    """append_many: the transactions before the failure are recorded, and sending the whole batch again with the
    same keys records each entry once (those recorded are found by their keys), grants counted once."""

    def entries(failing: int | None) -> list[BulkEntry]:
        made = []
        for index in range(10):
            step: object = draft(minutes=index, grant="10.00" if index % 2 else None)
            if index == failing:

                def step(_ledger: object) -> Draft:  # the process dies here, as far as the batch can tell
                    raise RuntimeError("cut off")

            number = (A, B, C)[index % 3]
            made.append(BulkEntry(number, step, key=f"k{index}", request={"i": index}))  # type: ignore[arg-type]
        return made

    with SQLiteJournal(tmp_path / "cases.sqlite3") as journal:
        with pytest.raises(RuntimeError, match="cut off"):
            journal.append_many(entries(failing=7), per_transaction=3)
        assert journal.head().count == 6  # two whole transactions; the third left nothing
        head = journal.append_many(entries(failing=None), per_transaction=3)
        assert head.count == 10
        assert [event.key for event in journal.iter_events()] == [f"k{index}" for index in range(10)]
        assert sum(event.grant.amount for event in journal.iter_events() if event.grant is not None) == 50
        assert journal.verify(expected_head=head).ok


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    """The durable backends: a table of cases someone with access to the database can edit."""
    harness = BACKENDS[request.param](tmp_path)
    yield harness
    harness.close()


@pytest.mark.parametrize("position", [0, -1])
def test_verify_finds_an_entry_of_the_table_of_cases_rewound_before_the_chain(backend: Harness, position: int) -> None:
    with backend.journal() as journal:
        fill(journal, 6)
    backend.edit_case(str(A), "last_seq", position)
    with backend.journal() as journal:
        with pytest.raises(JournalIntegrityError):
            journal.events(A)  # what every reader of the case finds
        assert not journal.verify().ok


def test_the_verify_command_finds_an_entry_of_the_table_of_cases_rewound_to_position_0(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "cases.sqlite3"
    with SQLiteJournal(path) as journal:
        fill(journal, 6)
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("UPDATE cases SET last_seq = 0 WHERE number = ?", (str(A),))
        connection.commit()
    result = run(capsys, "verify", str(path))
    assert result.code == 1
    assert "is bad" in result.out


def test_a_step_under_way_when_another_thread_closes_the_journal_ends_in_a_journal_error_and_records_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cases.sqlite3"
    journal = SQLiteJournal(path)
    inside, closed = threading.Event(), threading.Event()
    outcome: list[object] = []

    def build(_ledger: object) -> Draft:  # inside the write transaction: the service is shutting down meanwhile
        inside.set()
        closed.wait()
        return draft()

    def step() -> None:
        try:
            outcome.append(journal.append(A, build, expected_version=0, key="k", request={}))
        except Exception as error:  # what escapes is what is checked
            outcome.append(error)

    worker = threading.Thread(target=step)
    worker.start()
    try:
        assert inside.wait(timeout=30)
        journal.close()
    finally:
        closed.set()
        worker.join()
    assert isinstance(outcome[0], JournalError), repr(outcome[0])
    with SQLiteJournal(path) as reopened:
        assert reopened.head().count == 0
        assert reopened.verify().ok
