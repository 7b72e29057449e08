"""Many employees approving for one guest at once, against one SQLite file: the limits hold.

Eight threads in one process, and four processes, open cases for the same guest
on the same day (the policy's window is the calendar day) and decide them, staff
and supervisors alike. Whatever the interleaving, the total granted never passes
the supervisor's limit (the per-guest cap), no staff approval makes the day's
total pass the staff limit, and every attempt ends approved, escalated or denied,
recorded once. These are the cap hammer's runs (``tests/reliability/_hammer.py``)
with every attempt for one guest; the hammer's own test shows that its audit
catches a journal that reads the ledger before taking the write lock.
"""

from __future__ import annotations

from pathlib import Path

from .reliability._hammer import ASKS, CAP, Figures, Size, run_hammer
from .reliability._journals import Place

EIGHT_THREADS = Size(processes=1, threads=8, attempts=26, guests=1)
FOUR_PROCESSES = Size(processes=4, threads=2, attempts=26, guests=1)


def run(tmp_path: Path, size: Size) -> Figures:
    figures = run_hammer(Place("sqlite", str(tmp_path / "journal.sqlite3")), size, naive=False)
    print(f"\n{figures.line(f'{size}, one SQLite file')}")
    assert figures.violations == 0
    assert figures.answered == figures.decided == figures.distinct == figures.attempts  # each recorded once
    assert figures.outcomes == figures.recorded  # each answer is the one recorded
    assert figures.ledgers_agree
    assert figures.verified
    assert figures.most > CAP - ASKS[-1]  # the guest was driven to the cap: the limits were really tested
    return figures


def test_eight_threads_approving_for_one_guest(tmp_path: Path) -> None:
    figures = run(tmp_path, EIGHT_THREADS)
    assert set(figures.outcomes) == {"approved", "escalated", "denied"}


def test_four_processes_approving_for_one_guest(tmp_path: Path) -> None:
    run(tmp_path, FOUR_PROCESSES)
