"""Many employees approving for one guest at once, against one SQLite file: the limits hold.

Eight threads in one process, and four processes, open cases for the same guest
on the same day and decide them, staff and supervisors alike. The policy stacks
its caps: the levels' authority counts one incident, a cap counts the guest's day.
Whatever the interleaving, the day's total never passes the cap, no staff approval
takes an incident past the staff limit, and every attempt ends approved,
escalated or denied, recorded once. These are the cap hammer's runs (``tests/reliability/_hammer.py``)
with every attempt for one guest; the hammer's own test shows that its audit
catches a journal that reads the ledger before taking the write lock.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ._journal_backends import LEDGER_KEY
from .reliability._hammer import Figures, Size, assert_the_limits_held, run_hammer
from .reliability._journals import Place

pytestmark = pytest.mark.slow  # processes and threads: seconds a test

EIGHT_THREADS = Size(processes=1, threads=8, attempts=26, guests=1)
FOUR_PROCESSES = Size(processes=4, threads=2, attempts=26, guests=1)


def run(tmp_path: Path, size: Size, *, ledger_key: bytes | None = None) -> Figures:
    place = Place("sqlite", str(tmp_path / "journal.sqlite3"), ledger_key=ledger_key)
    figures = run_hammer(place, size, naive=False)
    sealed = ", its ledger sealed" if ledger_key else ""
    print(f"\n{figures.line(f'{size}, one SQLite file{sealed}')}")
    assert_the_limits_held(figures)
    return figures


def test_eight_threads_approving_for_one_guest(tmp_path: Path) -> None:
    figures = run(tmp_path, EIGHT_THREADS)
    # Approvals until the cap, denials after it, in every interleaving. Whether a staff request is escalated
    # (asked while the total was still under the cap) or denied depends on how far the other threads had
    # brought the total when it was decided: both are right, and some runs have no escalation at all.
    assert {"approved", "denied"} <= set(figures.outcomes) <= {"approved", "escalated", "denied"}


def test_four_processes_approving_for_one_guest(tmp_path: Path) -> None:
    run(tmp_path, FOUR_PROCESSES)


def test_four_processes_approving_for_one_guest_with_a_sealed_ledger(tmp_path: Path) -> None:
    """The same race with the ledger sealed: each process reads the guest's totals from the sealed heads the
    others wrote (its memo of heads, per process, never stands in for a head another process replaced)."""
    figures = run(tmp_path, FOUR_PROCESSES, ledger_key=LEDGER_KEY)
    assert "approved" in figures.outcomes
