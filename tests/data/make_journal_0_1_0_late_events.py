"""Write ``journal-0.1.0-late-events.json``: the events a process of release 0.1.0 appends to ``journal-0.1.0.sqlite3``.

A host that upgrades while a process of release 0.1.0 still has the journal open (a worker not yet restarted)
gets these rows from it after the current release has upgraded the file: release 0.1.0 does not look at the
schema again once it has opened the journal. The upgrade tests (tests/test_docs_promises_upgrade.py) insert them
as that process would. Run it with release 0.1.0 on the path (``git worktree add /tmp/old 163eb5d`` and
``PYTHONPATH=/tmp/old/src python tests/data/make_journal_0_1_0_late_events.py``): it works on a copy.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
import sqlite3
import tempfile
from pathlib import Path

from recovery_rules import Case, Complaint, Customer, Money, Remedy, SQLiteJournal, presets

HERE = Path(__file__).parent
COLUMNS = [
    *("seq", "format", "number", "customer_id", "version", "kind", "state", "actor", "at", "key", "request"),
    *("data", "grant_amount", "grant_currency", "callback_due", "prev", "hash"),
]
LATER = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "journal.sqlite3"
        shutil.copy(HERE / "journal-0.1.0.sqlite3", path)
        complaint = Complaint(
            customer=Customer(id="555"),
            category="ride_closed",
            requested=Remedy(kind="refund", amount=Money("20.00", "USD")),
            received_at=LATER,
        )
        with SQLiteJournal(path) as journal:
            first = journal.head().count + 1
            case = Case.open(journal, presets.theme_park(), complaint, by="ticket_agent", now=LATER)
            case.listen(now=LATER)
            case.apologize(now=LATER)
            case.ask_preferred_solution(now=LATER)
            case.decide(now=LATER)  # approved: a grant of $20.00
        with contextlib.closing(sqlite3.connect(path)) as connection:
            rows = connection.execute(
                f"SELECT {', '.join(COLUMNS)} FROM events WHERE seq >= ? ORDER BY seq", (first,)
            ).fetchall()
    text = json.dumps({"columns": COLUMNS, "rows": rows}, indent=1)
    (HERE / "journal-0.1.0-late-events.json").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
