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


def _sql_record(journal: Journal) -> dict[str, Any]:
    return next(dict(record) for _, record in journal._scan(1) if record.get("ledger") is not None)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("seq", "float"),  # 3.0 equals 3: the same value, of another type
        ("version", "bool"),  # True equals 1
        ("grant", {"amount": "100.00", "currency": "USD", "extra": None}),
        ("grant", {"amount": 100, "currency": "USD"}),
        ("grant", None),
        ("data", {"note": "a text become an object"}),
        ("kind", None),
    ],
)
def test_a_row_that_differs_from_the_kept_one_in_type_or_value_is_checked_again(
    tmp_path: Path, checks: list[int], column: str, value: Any
) -> None:
    """The memo's comparison of a SQL row (one dict, the grant, beside plain values) is exact: equal values of
    other types (``1.0``, ``True``) count as changes, as do a nested mapping's keys and values."""
    harness = BACKENDS["sqlite"](tmp_path)
    try:
        journal = harness.journal()
        _warm(journal)
        record = _sql_record(journal)
        memo = VerifiedGrants()
        memo.event(record)
        checks.clear()
        memo.event(dict(record))  # the same row read again: a hit
        assert checks == []
        if value == "float":
            value = float(record[column])
        elif value == "bool":
            value = bool(record[column])
        changed = {**record, column: value}
        with pytest.raises(JournalIntegrityError):  # checked again, whole: not the row that was verified
            memo.event(changed)
    finally:
        harness.close()


@pytest.mark.parametrize("other", [1.0, True, "1"])
def test_a_nested_value_equal_but_of_another_type_is_a_change(other: object) -> None:
    """A row whose nested mappings hold more than texts (not a SQL row) is compared value by value, type by type."""
    kept: dict[str, Any] = {
        "seq": 1,
        "data": {"n": 1, "deeper": {"m": 1}},
        "grant": {"amount": "1.00", "currency": "USD"},
    }
    snapshot = _ledger._snapshot(kept)
    assert _ledger._same(snapshot, {"seq": 1, "data": {"n": 1, "deeper": {"m": 1}}, "grant": dict(kept["grant"])})
    assert not _ledger._same(snapshot, {**kept, "data": {"n": other, "deeper": {"m": 1}}})
    assert not _ledger._same(snapshot, {**kept, "data": {"n": 1, "deeper": {"m": other}}})
    kept["data"]["n"] = 2  # the snapshot is a copy: changing the row read does not change it
    assert not _ledger._same(snapshot, kept)
