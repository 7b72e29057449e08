"""What ``recovery-rules report`` and ``simulate journal:...`` cost, against reading the journal once.

Run it with ``python benchmarks/cli_report.py [CASES]``. It records CASES cases
(the Harbour Hotel's 36 sample cases over and over, each time for other guests
on later days) and copies them into an SQLite journal in one transaction. The
baseline is ``journal.verify()``: one pass over every event, each checked. The
report checks the same chain and replays every case through the case path as
it reads, in that one pass; the rows after the baseline say what that costs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import runpy
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing, redirect_stdout
from pathlib import Path

from recovery_rules import MemoryJournal, Policy, SQLiteJournal
from recovery_rules._journal._sqlite import _SQLiteStore
from recovery_rules._journal._store import LedgerHead
from recovery_rules.cli import main
from recovery_rules.metrics import CaseReplay, report

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "cli"
SAMPLE = runpy.run_path(str(EXAMPLES / "make_journal.py"))
NOW = dt.datetime(2027, 12, 31, tzinfo=dt.UTC)


def record(cases: int) -> MemoryJournal:
    """``cases`` cases in memory: the sample's rows again and again, for other guests, a year later each round."""
    policy = Policy.from_file(EXAMPLES / "policy.toml")
    journal = MemoryJournal()
    rows = SAMPLE["CASES"]
    for index in range(cases):
        row = rows[index % len(rows)]
        round_ = index // len(rows)
        local = dt.datetime.strptime(row.received, "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)  # the text, moved on
        when = local + dt.timedelta(days=round_ % 300)
        moved = row._replace(received=f"{when:%Y-%m-%d %H:%M}", customer=f"{int(row.customer) + 1000 * round_}")
        SAMPLE["_record"](journal, policy, index + 1, moved)
    return journal


def copy_to_sqlite(source: MemoryJournal, path: Path) -> None:
    """Store every event of ``source`` in a new SQLite journal, in one transaction (a restore, not appends)."""
    SQLiteJournal(path).close()
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("BEGIN IMMEDIATE")
        store = _SQLiteStore(connection, 0, None)
        for event in source.iter_events():
            record = event.record()
            store.insert(record)
            store.set_case_head(record, open_callback=record["callback_due"])  # type: ignore[arg-type]  # a str
            if event.ledger is not None:
                head = LedgerHead(event.seq, event.hash)
                store.set_ledger_head("guest", event.customer_id, head)
                store.set_ledger_head("incident", str(event.ledger.incident), head)
        connection.execute("COMMIT")


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def quietly(*args: str) -> None:
    with redirect_stdout(io.StringIO()):
        assert main(list(args)) == 0


def main_(cases: int) -> None:
    started = time.perf_counter()
    memory = record(cases)
    print(f"recorded {cases} cases in {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.sqlite3"
        copy_to_sqlite(memory, path)
        with SQLiteJournal(path) as journal:
            events = journal.head().count
            rows: list[tuple[str, float]] = [
                ("journal.verify() (baseline: one checked pass)", timed(journal.verify)),
                ("journal.iter_events() (each event's own hash)", timed(lambda: sum(1 for _ in journal.iter_events()))),
                ("CaseReplay: the chain and the case path", timed(lambda: sum(1 for _ in CaseReplay(journal, "b")))),
                ("build_report: the figures", timed(lambda: report(journal, now=NOW, source="b"))),
            ]
        policy, candidate = str(EXAMPLES / "policy.toml"), str(EXAMPLES / "candidate.toml")
        rows.append(("recovery-rules report --json", timed(lambda: quietly("report", str(path), "--json"))))
        rows.append(
            (
                "recovery-rules simulate journal:...",
                timed(lambda: quietly("simulate", "-p", policy, "-c", candidate, f"journal:{path}", "--json")),
            )
        )
    baseline = rows[0][1]
    print(f"\n{events:,} events ({cases:,} cases), SQLite file, Python {sys.version.split()[0]}\n")
    print(f"{'what':52} {'seconds':>8} {'events/s':>10} {'x verify':>9}")
    for name, seconds in rows:
        print(f"{name:52} {seconds:8.2f} {events / seconds:10,.0f} {seconds / baseline:9.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="?", type=int, default=720, help="how many cases to record (default 720)")
    main_(parser.parse_args().cases)
