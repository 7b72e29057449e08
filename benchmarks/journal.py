"""What the journal costs: a case's decision with and without it, appends, reads and ``verify``.

Run it with ``python benchmarks/journal.py``. The baseline is ``Policy.decide``
alone; the rows after it add the case path and a journal (in memory, then an
SQLite file with ``synchronous=FULL``, where each append waits for the disk).
"""

from __future__ import annotations

import datetime as dt
import functools
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from recovery_rules import Case, Complaint, Customer, Journal, MemoryJournal, Money, Remedy, SQLiteJournal, presets

POLICY = presets.ritz_carlton()
NOW = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC)
CASES = 200


def complaint(i: int) -> Complaint:
    return Complaint(
        customer=Customer(id=f"guest{i % 50}"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(f"{100 + i % 3000}.00", "USD")),
        received_at=NOW,
    )


def decide_only() -> None:
    for i in range(CASES):
        POLICY.decide(complaint(i), by="staff", now=NOW)


def whole_cases(journal: Journal) -> None:
    for i in range(CASES):
        case = Case.open(journal, POLICY, complaint(i), by="staff", now=NOW)
        case.listen(now=NOW)
        case.apologize(now=NOW)
        case.ask_preferred_solution(now=NOW)
        if case.decide(now=NOW).approved:
            case.deliver(now=NOW)
        else:
            case.escalate(now=NOW)


def load_all(journal: Journal) -> None:
    for summary in journal.cases():
        Case.load(journal, POLICY, summary.number)


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    print(f"{'what':<52}{'seconds':>9}{'per case ms':>13}{'events/s':>10}")
    baseline = timed(decide_only)
    print(f"{'Policy.decide alone (baseline)':<52}{baseline:>9.3f}{baseline / CASES * 1000:>13.2f}{'':>10}")
    with tempfile.TemporaryDirectory() as folder:
        for name, journal in (
            ("memory", MemoryJournal()),
            ("SQLite, synchronous=FULL", SQLiteJournal(Path(folder) / "journal.sqlite3")),
        ):
            with journal:
                spent = timed(functools.partial(whole_cases, journal))
                events = journal.head().count
                print(
                    f"{'6 steps a case, ' + name:<52}{spent:>9.3f}{spent / CASES * 1000:>13.2f}{events / spent:>10,.0f}"
                )
                checked = timed(journal.verify)
                print(f"{'  verify(), ' + name:<52}{checked:>9.3f}{'':>13}{events / checked:>10,.0f}")
                reads = timed(functools.partial(load_all, journal))
                print(f"{'  Case.load of every case, ' + name:<52}{reads:>9.3f}{reads / CASES * 1000:>13.2f}{'':>10}")


if __name__ == "__main__":
    main()
