"""Journal files for the report and journal-source tests: copies of the sample journal, and ways to damage them."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from recovery_rules import Case, ChainHead, Complaint, Customer, Money, Remedy, SQLiteJournal, presets

from ._cli import EXAMPLES, NOW
from ._journal_backends import SQLiteHarness, rehash

JOURNAL = str(EXAMPLES / "journal.sqlite3")
"""The Harbour Hotel's autumn: 36 cases, built by examples/cli/make_journal.py."""
REPORT_NOW = NOW


def copy_journal(folder: Path, name: str = "cases.sqlite3") -> Path:
    """A copy of the sample journal to damage (the original stays as it is)."""
    target = folder / name
    shutil.copyfile(JOURNAL, target)
    return target


def tamper(folder: Path) -> SQLiteHarness:
    """The journal tests' tampering harness, over a copy of the sample journal (``folder/journal.sqlite3``)."""
    harness = SQLiteHarness(folder)
    copy_journal(folder, harness.path.name)
    return harness


def execute(path: Path, sql: str, *parameters: Any) -> list[tuple[Any, ...]]:
    """Run one statement on the journal file directly, behind the library's back."""
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute(sql, parameters).fetchall()
        connection.commit()
    return rows


def rewrite_from(harness: SQLiteHarness, seq: int, grant: dict[str, str]) -> None:
    """Forge event ``seq``'s grant and re-chain every event after it: a journal rewritten whole from there (its
    table of cases too, and its ledger heads: each names the new hash of its grant, its seal, if any, left as it
    was, since a seal cannot be made again without the key)."""
    harness.edit(seq, "grant", grant, rehashed=True)
    previous = harness.record(seq)["hash"]
    position = seq + 1
    while execute(harness.path, "SELECT 1 FROM events WHERE seq = ?", position):
        record = harness.record(position)
        record["prev"] = previous
        record["hash"] = previous = rehash(record)
        harness.put(position, record)
        position += 1
    harness.rewrite_cases(after=seq - 1)  # the table of cases names each case's latest event by its hash: rewritten too
    execute(
        harness.path,
        "UPDATE ledger_heads SET hash = (SELECT e.hash FROM events e WHERE e.seq = ledger_heads.seq) WHERE seq >= ?",
        seq,
    )


def one_case_journal(path: Path, steps: int) -> ChainHead:
    """A new SQLite journal at ``path`` of one case's first ``steps`` events (1 or 2: opened, listened to).

    Returns its head."""
    start = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
    policy = presets.retail()
    complaint = Complaint(
        customer=Customer(id="c-1"),
        category="defective_item",
        requested=Remedy(kind="refund", amount=Money("20.00", "USD")),
        received_at=start,
    )
    with SQLiteJournal(path) as journal:
        case = Case.open(journal, policy, complaint, by=policy.levels[0].name, now=start)
        if steps > 1:
            case.listen(now=start)
        return journal.head()
