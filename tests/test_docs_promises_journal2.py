"""The journal's bulk path, verification and sealing, a second pass (docs-promise audit 90).

The promises are those of docs/explanation/journal.md, docs/cli/verify.md and docs/cli/seal.md, and of the
docstrings of ``Journal.append_many``, ``verify``, ``head``, ``seal_ledger`` and ``rotate_ledger_key``, checked on
SQLite journals on ``tmp_path`` edited behind the library's back with ``sqlite3``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import secrets
import sqlite3
from pathlib import Path

import pytest

from recovery_rules import (
    BulkEntry,
    ChainHead,
    InvalidInputError,
    JournalError,
    JournalIntegrityError,
    SQLiteJournal,
    StaleCaseError,
    Window,
)

from ._cli import run
from ._journal_events import T0, A, B, C, draft

LAST_HASH_UPPER = "UPDATE events SET hash = upper(hash) WHERE seq = (SELECT MAX(seq) FROM events)"
"""An edit of the last event's stored hash into something that is no SHA-256 of the journal's spelling."""


def _execute(path: Path, sql: str) -> None:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute(sql)
        connection.commit()


def _rows(path: Path) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return connection.execute("SELECT seq, number, version, key FROM events ORDER BY seq").fetchall()


def _two_events(path: Path) -> None:
    with SQLiteJournal(path) as journal:
        journal.append_many([BulkEntry(A, draft(minutes=0), key="a-1"), BulkEntry(C, draft(minutes=1), key="c-1")])


# -- a last event whose stored hash was edited into no SHA-256 --------------------------------------------------------


def test_appending_after_a_last_event_whose_hash_is_no_sha256_is_refused_as_tampering(tmp_path: Path) -> None:
    """ "a plainly edited event is refused on first use" (journal.md), with ``JournalIntegrityError`` (errors.md:
    "treat the record as tampered with"), not ``InvalidInputError`` ("a value the library was given is not
    valid": a service answers 422 and the caller looks for a mistake of theirs)."""
    path = tmp_path / "journal.sqlite3"
    _two_events(path)
    _execute(path, LAST_HASH_UPPER)
    before = _rows(path)
    with SQLiteJournal(path) as journal:
        with pytest.raises(JournalIntegrityError) as single:
            journal.append(B, draft(minutes=2), expected_version=0, key="b-1", request={})
        with pytest.raises(JournalIntegrityError) as bulk:
            journal.append_many([BulkEntry(B, draft(minutes=2), key="b-1")])
        with pytest.raises(JournalIntegrityError) as head:
            journal.head()
    assert single.value.seq == bulk.value.seq == head.value.seq == 2
    assert _rows(path) == before


def test_a_check_resumed_past_the_end_of_a_journal_whose_last_hash_was_edited_reports_it(tmp_path: Path) -> None:
    """ "journal.verify() ... returns a Verification" (journal.md): a resumed check of a damaged journal says
    what is wrong, as the whole check does, rather than raising an error about the head it was given."""
    path = tmp_path / "journal.sqlite3"
    _two_events(path)
    _execute(path, LAST_HASH_UPPER)
    with SQLiteJournal(path) as journal:
        whole = journal.verify()
        resumed = journal.verify(resume_from=ChainHead(count=5, hash="a" * 64))
    assert not whole.ok
    assert whole.first_bad == 2
    assert not resumed.ok
    assert resumed.first_bad is not None
    assert resumed.first_bad <= 3


def test_the_verify_command_names_a_last_event_whose_hash_is_no_sha256_with_exit_code_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """verify.md: "Exit code 0 when the journal is intact; 1 when an event is bad (the first one is named, with
    what is wrong with it); 2 when the journal or the key file cannot be read, or a head is not a COUNT:HASH"."""
    path = tmp_path / "journal.sqlite3"
    _two_events(path)
    _execute(path, LAST_HASH_UPPER)
    result = run(capsys, "verify", str(path), "--json")
    assert result.code == 1, result.err
    document = json.loads(result.out)
    assert document["ok"] is False
    assert document["first_bad"] == 2


# -- a handle opened before the ledger was sealed ------------------------------------------------------------------


def test_a_journal_object_opened_before_its_ledger_was_sealed_records_no_grant_without_the_key(
    tmp_path: Path,
) -> None:
    """journal.md: "opened **without the key**, a sealed journal reads (...) but refuses to record a grant
    (`JournalError`): it could not seal its heads". A writer that opened the file before another sealed it is
    such a journal: a grant it records writes an unsealed head, after which the ledger refuses every decision
    for that guest and ``rotate_ledger_key`` refuses the journal."""
    path = tmp_path / "journal.sqlite3"
    key = secrets.token_bytes(32)
    with SQLiteJournal(path) as journal:
        journal.append_many([BulkEntry(A, draft("granted", grant="10.00"), key="a-1")])
    with SQLiteJournal(path) as writer:  # opened while the ledger was not sealed yet
        with SQLiteJournal(path) as sealer:
            assert sealer.seal_ledger(key) == 2  # the guest's head and the incident's
        before = _rows(path)
        with pytest.raises(JournalError):
            writer.append_many([BulkEntry(A, draft("granted", minutes=1, grant="5.00"), key="a-2")])
        assert _rows(path) == before
    with SQLiteJournal(path, ledger_key=key) as keyed:
        assert keyed.verify().ok


# -- a grant's own seal removed from a sealed journal -----------------------------------------------------------------


def test_verify_with_the_key_finds_a_grant_whose_own_seal_was_deleted_which_the_ledger_refuses(tmp_path: Path) -> None:
    """journal.md: "`seal_ledger` seals every grant already stored, and `verify()` with the key checks these seals
    as it checks the other heads", and of the heads: "the check says what the ledger would refuse". A grant's own
    seal deleted (scope ``grant``) makes the ledger refuse a window that starts after it; ``verify`` must say so."""
    path = tmp_path / "journal.sqlite3"
    key = secrets.token_bytes(32)
    day = dt.timedelta(days=1)
    with SQLiteJournal(path, ledger_key=key) as journal:
        journal.append_many(
            [
                BulkEntry(number, draft("granted", grant="10.00", minutes=minutes), key=f"g-{minutes}")
                for minutes, number in ((-3 * 24 * 60, A), (-2 * 24 * 60, B), (0, C))
            ]
        )
    _execute(path, "DELETE FROM ledger_heads WHERE scope = 'grant' AND key = '1'")
    with SQLiteJournal(path, ledger_key=key) as journal:
        with pytest.raises(JournalIntegrityError, match="no seal of this grant"):  # the window starts after event 1
            journal.granted(
                A, window=Window.rolling(day), timezone="UTC", currency="USD", now=T0 - 2 * day + dt.timedelta(hours=2)
            )
        checked = journal.verify()
    assert not checked.ok
    assert checked.first_bad == 1


# -- promises that hold ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("per_transaction", [2, 1000])
def test_a_stale_entry_after_interleaved_cases_leaves_exactly_the_transactions_before_it(
    tmp_path: Path, per_transaction: int
) -> None:
    """append_many: "Each transaction is all or nothing: when an entry fails, the error is raised, the entries of
    its transaction are not recorded, and those of the transactions before it are" (entries of two cases
    interleaved, the fifth stale)."""
    entries = [
        BulkEntry(A, draft(minutes=0), key="a-1"),
        BulkEntry(C, draft(minutes=1), key="c-1"),
        BulkEntry(A, draft(minutes=2, grant="10.00"), key="a-2"),
        BulkEntry(C, draft(minutes=3), key="c-2", expected_version=1),
        BulkEntry(A, draft(minutes=4), key="a-3", expected_version=5),  # A has two events by then
        BulkEntry(C, draft(minutes=5), key="c-3"),
    ]
    with SQLiteJournal(tmp_path / "journal.sqlite3") as journal:
        with pytest.raises(StaleCaseError):
            journal.append_many(entries, per_transaction=per_transaction)
        recorded = 4 if per_transaction == 2 else 0
        assert journal.head().count == recorded
        assert journal.verify().ok
        granted = journal.granted(A, window=Window.day(), timezone="UTC", currency="USD", now=T0)
        assert str(granted.amount) == ("10.00" if recorded else "0.00")
        head = journal.append_many([*entries[:4], entries[5]], per_transaction=per_transaction)  # sent again
        assert head.count == 5
        assert [(event.key, event.version) for event in journal.events(C)] == [("c-1", 1), ("c-2", 2), ("c-3", 3)]


@pytest.mark.parametrize("per_transaction", [0, -1, 2.0, True, "10", None])
def test_append_many_refuses_a_per_transaction_that_is_no_integer_of_1_or_more_and_writes_nothing(
    tmp_path: Path, per_transaction: object
) -> None:
    with SQLiteJournal(tmp_path / "journal.sqlite3") as journal:
        with pytest.raises(InvalidInputError, match="per_transaction"):
            journal.append_many([BulkEntry(A, draft(), key="a-1")], per_transaction=per_transaction)  # type: ignore[arg-type]
        assert journal.head().count == 0


def test_a_failed_rotation_keeps_the_old_key_and_a_failed_seal_writes_nothing(tmp_path: Path) -> None:
    """rotate_ledger_key: "Raises JournalIntegrityError (nothing written) if any check fails"; seal_ledger:
    "Raises JournalIntegrityError if any check fails (nothing is then written)"."""
    path = tmp_path / "journal.sqlite3"
    old, new = secrets.token_bytes(32), secrets.token_bytes(32)
    with SQLiteJournal(path) as journal:
        journal.append_many([BulkEntry(A, draft("granted", grant="10.00"), key="a-1")])
        wrong = ChainHead(count=1, hash="a" * 64)
        with pytest.raises(JournalIntegrityError):
            journal.seal_ledger(old, expected_head=wrong)
        assert not journal.ledger_sealed
        assert journal.seal_ledger(old) == 2
        with pytest.raises(JournalIntegrityError):
            journal.rotate_ledger_key(new, expected_head=wrong)
    with pytest.raises(JournalError, match="not the key"):
        SQLiteJournal(path, ledger_key=new)
    with SQLiteJournal(path, ledger_key=old) as journal:
        assert journal.verify().ok


# -- a journal object left open across a key rotation ----------------------------------------------------------------


def test_a_journal_object_left_open_across_a_key_rotation_records_no_grant_and_says_why(tmp_path: Path) -> None:
    """journal.md, changing the key: a journal object still open with the old key after another ran
    ``rotate_ledger_key`` is refused a grant, for a guest who has one and for a guest's first alike, and nothing is
    written. A first grant sealed with the old key was recorded before, and that guest's ledger then read as edited
    for good; a repeat guest's grant was refused as if the journal had been edited."""
    path = tmp_path / "journal.sqlite3"
    old, new = secrets.token_bytes(32), secrets.token_bytes(32)
    with SQLiteJournal(path, ledger_key=old) as journal:
        journal.append_many([BulkEntry(A, draft("granted", grant="10.00"), key="a-1")])
    with SQLiteJournal(path, ledger_key=old) as stale:
        with SQLiteJournal(path, ledger_key=old) as rotator:
            assert rotator.rotate_ledger_key(new) == 2
        before = _rows(path)
        for number, key in ((A, "a-2"), (C, "c-1")):  # the guest's second grant, another guest's first
            with pytest.raises(JournalError, match="sealed again with another ledger_key") as refused:
                stale.append_many([BulkEntry(number, draft("granted", minutes=1, grant="5.00"), key=key)])
            assert not isinstance(refused.value, JournalIntegrityError)  # nothing was edited
        assert _rows(path) == before
        stale.append_many([BulkEntry(B, draft("noted", minutes=1), key="b-1")])  # no grant: no seal to write
    with SQLiteJournal(path, ledger_key=new) as keyed:
        keyed.append_many([BulkEntry(C, draft("granted", minutes=2, grant="5.00"), key="c-1")])
        assert keyed.verify().ok
