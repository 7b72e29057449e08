"""Write ``journal-schema-3.sqlite3``: a journal as the release before sealed ledger heads wrote it (schema 3).

It is ``journal-format-2.sqlite3`` (events of formats 1 and 2) opened and upgraded by that release, with one
more case recorded by it (events of format 3, a grant with its ledger entry, heads without seals). Run it with
that release on the path (``git worktree add /tmp/prev3 f362b88`` and
``PYTHONPATH=/tmp/prev3/src python tests/data/make_journal_schema_3.py``); the upgrade tests
(tests/test_ledger_seal.py) open the file it wrote with the current release.
At the theme park on 23 November 2026: guest 10442's fourth case, $50 granted by guest relations.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import sqlite3
from pathlib import Path

from recovery_rules import Case, Complaint, Customer, Money, Remedy, SQLiteJournal, presets
from recovery_rules._journal import _sqlite

HERE = Path(__file__).parent
LATER = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC)


def main() -> None:
    assert int(_sqlite.SCHEMA_VERSION) == 3, "run this with the release that writes schema 3"
    path = HERE / "journal-schema-3.sqlite3"
    path.unlink(missing_ok=True)
    shutil.copy(HERE / "journal-format-2.sqlite3", path)
    policy = presets.theme_park()
    complaint = Complaint(
        customer=Customer(id="10442"),
        category="long_wait",
        requested=Remedy(kind="refund", amount=Money("50.00", "USD")),
        received_at=LATER,
    )
    with SQLiteJournal(path) as journal:
        case = Case.open(journal, policy, complaint, by="guest_relations", now=LATER, key="schema-3-open")
        case.listen(now=LATER, key="schema-3-listen", employee="E-0042")
        case.apologize(now=LATER, key="schema-3-apologize", employee="E-0042")
        case.ask_preferred_solution(now=LATER, key="schema-3-ask", employee="E-0042")
        case.decide(now=LATER, key="schema-3-decide", employee="E-0042")
        print(f"wrote {path.name}: head {journal.head()}")
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("PRAGMA journal_mode = DELETE")  # one file, nothing in a write-ahead log


if __name__ == "__main__":
    main()
