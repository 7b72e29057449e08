"""What encrypting personal data costs: appends of whole cases with and without ``encrypt_personal_data``.

Run it with ``python benchmarks/erasure.py`` (``--cases N`` for more or fewer). Each case is opened with
a customer's name and description and walked through listen, apologize, ask, decide, deliver, thank and
close, with notes at most steps: eight events, seven of them with personal text (the name and description
when opened, the notes, and the remedy's description in the question and the decision). The rows are the
time per event on a memory journal and on an SQLite file (``synchronous=FULL``), plain and encrypting; the
last row is one ``erase_customer`` on the SQLite file (the key deleted with ``secure_delete``, the log checkpointed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from recovery_rules import Case, Complaint, Customer, Journal, MemoryJournal, Money, Remedy, SQLiteJournal, presets

POLICY = presets.ritz_carlton()
AT = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
EVENTS_A_CASE = 8


def _clock() -> dt.datetime:
    return AT + dt.timedelta(days=1)


def run_cases(journal: Journal, cases: int) -> None:
    for i in range(cases):
        complaint = Complaint(
            customer=Customer(id=f"guest{i}", name=f"Guest number {i}"),
            category="room_not_ready",
            requested=Remedy(kind="refund", amount=Money("150.00", "USD"), description="The night"),
            received_at=AT,
            description="The room was not ready when the guest arrived at three in the afternoon.",
        )
        case = Case.open(journal, POLICY, complaint, by="staff", now=AT)
        case.listen(notes="Waited two hours in the lobby.", now=AT)
        case.apologize(notes="I am sorry about the wait.", now=AT)
        case.ask_preferred_solution(now=AT)
        case.decide(now=AT)
        case.deliver(notes="Refunded the night.", now=AT)
        case.thank(notes="Thank you for telling us.", now=AT)
        case.close(now=AT)


def per_event(make: Callable[[], Journal], cases: int) -> float:
    """Milliseconds per event, the best of three runs."""
    best = float("inf")
    for _ in range(3):
        journal = make()
        try:
            started = time.perf_counter()
            run_cases(journal, cases)
            best = min(best, time.perf_counter() - started)
        finally:
            journal.close()
    return best / (cases * EVENTS_A_CASE) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=50, help="cases per run (8 events each)")
    cases = parser.parse_args().cases
    with tempfile.TemporaryDirectory() as folder:
        counter = iter(range(1_000_000))

        def sqlite(encrypt: bool) -> Callable[[], Journal]:
            return lambda: SQLiteJournal(
                Path(folder) / f"j{next(counter)}.sqlite3", clock=_clock, encrypt_personal_data=encrypt
            )

        rows = {
            "memory, plain": per_event(lambda: MemoryJournal(clock=_clock), cases),
            "memory, encrypting": per_event(lambda: MemoryJournal(clock=_clock, encrypt_personal_data=True), cases),
            "sqlite, plain": per_event(sqlite(False), cases),
            "sqlite, encrypting": per_event(sqlite(True), cases),
        }
        for name, value in rows.items():
            print(f"{name:22} {value:7.3f} ms per event")
        journal = SQLiteJournal(Path(folder) / "erase.sqlite3", clock=_clock, encrypt_personal_data=True)
        run_cases(journal, cases)
        started = time.perf_counter()
        journal.erase_customer("guest0")
        print(f"{'erase_customer':22} {(time.perf_counter() - started) * 1000:7.3f} ms ({cases * 8} events)")
        journal.close()


if __name__ == "__main__":
    main()
