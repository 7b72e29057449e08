"""The cap under a hammer: many processes and threads approving for the same guests at once.

Processes (each with two journal handles shared by its threads) open cases for
a few guests on one day and decide them, staff and supervisors alike; the
threads of a process decide for the same guest in each round, so their
decisions race for that guest's ledger, and the processes race each other.
The policy stacks its caps (the levels' authority per incident, a cap per guest
per day). Read back from the journal, in the order the grants were committed: no
guest's day ever passes the cap, no staff approval ever takes an incident past the
staff limit, every attempt is recorded exactly once with the answer it got, and
the chain verifies.

The same run against a journal that reads the ledger outside its write
transaction (read, then write) passes the limits: the checks catch a race.

Full size (``make reliability``): 8 processes x 4 threads x 200 attempts over 20
guests; in ``make test``: 3 x 4 x 12 over 3 guests (48 attempts a guest, which drive each to the cap).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from tests._journal_backends import LEDGER_KEY

from ._hammer import Size, assert_the_limits_held, run_hammer
from ._journals import Place, size

SIZE = Size(size(3, 8), 4, size(12, 200), size(3, 20))


def test_no_guest_is_granted_past_a_limit_under_the_hammer(place: Place, figure: Callable[[str], None]) -> None:
    figures = run_hammer(place, SIZE, naive=False)
    figure(figures.line(f"{place}, {SIZE}"))
    assert_the_limits_held(figures)
    # Approvals until the cap, denials after it, in every interleaving; an escalation needs a staff request
    # decided while its guest's total was still under the cap, which the threads' order decides.
    assert {"approved", "denied"} <= set(figures.outcomes) <= {"approved", "escalated", "denied"}


def test_no_guest_is_granted_past_a_limit_with_a_sealed_ledger(place: Place, figure: Callable[[str], None]) -> None:
    """The same hammer with the ledger sealed (``ledger_key=``): every process counts from the sealed heads."""
    sealed = dataclasses.replace(place, ledger_key=LEDGER_KEY)
    figures = run_hammer(sealed, SIZE, naive=False)
    figure(figures.line(f"{place}, its ledger sealed, {SIZE}"))
    assert_the_limits_held(figures)
    assert {"approved", "denied"} <= set(figures.outcomes) <= {"approved", "escalated", "denied"}


def test_the_hammer_catches_a_store_that_reads_then_writes(place: Place, figure: Callable[[str], None]) -> None:
    """Teeth: the same run against a journal that reads the ledger before taking the write lock."""
    figures = run_hammer(place, SIZE, naive=True)
    figure(figures.line(f"{place}, read-then-write store (broken on purpose), {SIZE}"))
    assert figures.violations > 0
