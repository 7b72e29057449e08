"""The journal's memo of verified grants: a grant row is checked once, and a row changed since is checked again.

The ledger reads a guest's latest grant inside every decision; a journal object keeps each grant it checked (or
sealed) with a snapshot of its stored row, and uses the kept event only while the row is identical. These tests hold
the promise that the memo never weakens the ledger's: with the memo warm (the very journal object that wrote and read
the grants reads again), every way of tampering with the latest grant is still refused, on every backend.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import Journal, JournalIntegrityError, Money
from recovery_rules._journal import _ledger
from recovery_rules._journal._ledger import VerifiedGrants

from . import _ledger_scenario as scenario
from ._journal_backends import BACKENDS, Harness

GRANTS = (scenario.Grant("first", 0, "100.00"), scenario.Grant("first", 30, "50.00"))
NOW = scenario.T0 + dt.timedelta(hours=1)


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    harness = BACKENDS[request.param](tmp_path)
    yield harness
    harness.close()


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The positions of the grant events the ledger checks (:func:`checked_grant`), as they are checked."""
    checked: list[int] = []
    original = _ledger.checked_grant

    def counting(record: Any, *, position: int = 0) -> _ledger.Grant:
        event = original(record, position=position)
        if event.ledger is not None:
            checked.append(event.seq)
        return event

    monkeypatch.setattr(_ledger, "checked_grant", counting)
    return checked


def _warm(journal: Journal) -> None:
    for grant in GRANTS:
        scenario.append(journal, grant)
    assert scenario.ledger(journal, "day", NOW) == Money("150.00", "USD")


def test_a_grant_the_journal_sealed_or_checked_is_not_checked_again(backend: Harness, checks: list[int]) -> None:
    journal = backend.journal()
    _warm(journal)
    checks.clear()
    for window in ("day", "6 hours", "incident"):
        scenario.ledger(journal, window, NOW)
    scenario.append(journal, scenario.Grant("first", 40, "5.00"))  # reads the latest grant, seals the next
    assert scenario.ledger(journal, "day", NOW) == Money("155.00", "USD")
    assert checks == []  # every grant read was one this journal object sealed, its row unchanged
    if backend.name == "memory":
        return  # one journal object is all a memory journal has
    other = backend.journal()  # another journal object (another process, say) checks each grant once
    assert scenario.ledger(other, "day", NOW) == Money("155.00", "USD")
    assert len(checks) == 1
    assert scenario.ledger(other, "day", NOW) == Money("155.00", "USD")
    assert len(checks) == 1


SQL = ["sqlite", "postgres"]
REPLACEMENTS = ("edited and given its new hash", "replaced by the guest's earlier grant")


@pytest.mark.parametrize("backend", SQL, indirect=True)
@pytest.mark.parametrize("how", [*scenario.TAMPERINGS, *REPLACEMENTS])
def test_tampering_with_the_latest_grant_is_refused_with_the_memo_warm(backend: Harness, how: str) -> None:
    """The same journal object that wrote and read the grants reads again after the tampering: refused."""
    journal = backend.journal()
    _warm(journal)
    first, latest = [event.seq for event in journal.iter_events() if event.grant is not None]
    if how == "edited and given its new hash":
        backend.edit(latest, "grant", {"amount": "0.01", "currency": "USD"}, rehashed=True)
    elif how == "replaced by the guest's earlier grant":
        backend.swap(first, latest)
    else:
        scenario.tamper(backend, journal, how, pick=1)
    window = "incident" if how.startswith("incident") else "day"
    with pytest.raises(JournalIntegrityError):
        scenario.ledger(journal, window, NOW)
    with pytest.raises(JournalIntegrityError):  # and the next grant, which counts on the latest one's total
        scenario.append(journal, scenario.Grant("first", 45, "1.00"))


def test_the_memo_keeps_the_most_recently_used_grants(checks: list[int]) -> None:
    journal = BACKENDS["memory"](Path()).journal()
    _warm(journal)
    records = [record for _, record in journal._scan(1) if record.get("ledger") is not None]
    memo = VerifiedGrants(limit=1)
    checks.clear()
    memo.event(records[0])
    memo.event(records[0])
    memo.event(records[1])  # pushes the first one out
    memo.event(records[0])
    assert checks == [records[0]["seq"], records[1]["seq"], records[0]["seq"]]


def test_a_forked_child_starts_with_an_empty_memo(checks: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    journal = BACKENDS["memory"](Path()).journal()
    _warm(journal)
    record = next(record for _, record in journal._scan(1) if record.get("ledger") is not None)
    memo = VerifiedGrants()
    memo.event(record)
    checks.clear()
    monkeypatch.setattr(os, "getpid", lambda: -1)  # as a forked child sees it: another process
    memo.event(record)
    assert checks == [record["seq"]]
