"""Write ``journal-format-2.sqlite3``: a journal as the release before event format 3 wrote it (schema 2).

It is ``journal-0.1.0.sqlite3`` (events of format 1) opened and upgraded by that release, with one more case
recorded by it (events of format 2, a grant with its ledger entry): a journal holding both older formats.
Run it with that release on the path (``git worktree add /tmp/format2 d8760ad`` and
``PYTHONPATH=/tmp/format2/src python tests/data/make_journal_format_2.py``); the upgrade tests
(tests/test_journal_upgrade.py) open the file it wrote with the current release.
At the theme park on 23 November 2026: guest 10442's third case, $100 granted by guest relations after
an escalation from a ticket agent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import sqlite3
from pathlib import Path

from recovery_rules import Case, Complaint, Customer, Money, Remedy, SQLiteJournal, presets
from recovery_rules._journal import FORMAT

HERE = Path(__file__).parent
LATER = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


def main() -> None:
    assert int(FORMAT) == 2, "run this with the release that writes event format 2"
    path = HERE / "journal-format-2.sqlite3"
    path.unlink(missing_ok=True)
    shutil.copy(HERE / "journal-0.1.0.sqlite3", path)
    policy = presets.theme_park()
    complaint = Complaint(
        customer=Customer(id="10442"),
        category="food_quality",
        requested=Remedy(kind="refund", amount=Money("100.00", "USD")),
        received_at=LATER,
    )
    minute = dt.timedelta(minutes=1)
    with SQLiteJournal(path) as journal:
        case = Case.open(journal, policy, complaint, by="ticket_agent", now=LATER, key="format-2-open")
        case.listen(now=LATER + minute, key="format-2-listen")
        case.apologize(now=LATER + minute, key="format-2-apologize")
        case.ask_preferred_solution(now=LATER + 2 * minute, key="format-2-ask")
        case.decide(now=LATER + 2 * minute, key="format-2-decide")
        case.escalate(now=LATER + 3 * minute, key="format-2-escalate")
        case.manager_approves(by="guest_relations", now=LATER + 10 * minute, key="format-2-approve")
        print(f"wrote {path.name}: head {journal.head()}")
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("PRAGMA journal_mode = DELETE")  # one file, nothing in a write-ahead log


if __name__ == "__main__":
    main()
