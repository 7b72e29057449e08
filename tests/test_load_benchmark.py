"""The load benchmark (``benchmarks/load.py``): its smoke run on PostgreSQL, and its audit, which must not be vacuous.

The smoke run starts ``recovery-rules serve --workers 2`` on a database of the
test server, runs 10 clients for a few seconds (half the cases for one guest),
kills a worker with SIGKILL halfway, and audits the journal. What is asserted is
what the run proves, never a speed: no cap broken, the chain verifies, every
acknowledged step is in the journal as answered, none recorded twice.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the decision service needs the server extra, which dev installs")
pytest.importorskip("httpx2", reason="the load benchmark's clients use httpx2, which dev installs")

from recovery_rules import Cap, Case, Complaint, Customer, Journal, MemoryJournal, Money, Remedy, Window, presets

from ._helpers import load_script

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "load.py"
NOW = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)


def _load() -> ModuleType:
    return load_script(SCRIPT, "load_benchmark")


load: Any = _load()


def _grant_three(journal: Journal, amount: str = "1900.00") -> list[str]:
    """Three incidents of one guest (a day apart), each approved by staff: three grants of ``amount``; their numbers."""
    policy = presets.ritz_carlton()
    numbers = []
    for day in range(3):
        complaint = Complaint(
            customer=Customer(id="10442"),
            category="room_not_ready",
            requested=Remedy(kind="refund", amount=Money(amount, "USD")),
            received_at=NOW - dt.timedelta(days=day, minutes=5),
        )
        case = Case.open(journal, policy, complaint, by="staff", now=NOW)
        case.listen(now=NOW)
        case.apologize(now=NOW)
        case.ask_preferred_solution(now=NOW)
        assert case.decide(now=NOW).outcome.value == "approved"
        numbers.append(str(case.number))
    return numbers


def test_the_audit_sums_each_cap_window_and_flags_a_grant_past_it() -> None:
    journal = MemoryJournal(clock=lambda: NOW)
    _grant_three(journal)
    events = list(journal.iter_events())
    held = load.sum_caps(events, presets.ritz_carlton())
    assert (held.grants, held.violations) == (3, [])
    assert held.totals == {"10442": Money("5700.00", "USD")}
    assert load.ledger_disagreements(journal, events, presets.ritz_carlton(), held) == []
    # The same grants against a policy whose 30-day cap is $5,000.00: the third grant is past it.
    stricter = presets.ritz_carlton().model_copy(
        update={"caps": (Cap(limit=Money("5000.00", "USD"), window=Window.parse("30d")),)}
    )
    broken = load.sum_caps(events, stricter)
    assert len(broken.violations) == 1
    assert "5700.00" in broken.violations[0]
    assert "5000.00" in broken.violations[0]


def test_the_audit_finds_an_acknowledged_step_the_journal_does_not_hold_and_a_step_recorded_twice() -> None:
    journal = MemoryJournal(clock=lambda: NOW)
    number = _grant_three(journal)[0]
    events = list(journal.iter_events())
    decided = next(event for event in events if event.kind == "decided" and str(event.number) == number)
    grant = {"amount": "1900.00", "currency": "USD"}
    held = load.Acknowledged(number, "decide", decided.seq, decided.version, "decided", grant)
    assert load.lost_steps(events, [held]) == []
    for wrong in (
        load.Acknowledged(number, "decide", 10_000, decided.version, "decided", grant),  # no such event
        load.Acknowledged(number, "decide", decided.seq, decided.version, "decided", None),  # another grant
        load.Acknowledged(number, "decide", decided.seq - 1, decided.version, "decided", grant),  # another event
    ):
        assert len(load.lost_steps(events, [wrong])) == 1, wrong
    assert load.recorded_twice(events) == []
    assert load.recorded_twice([*events, decided]) == [f"{number}: decided recorded 2 times"]


@pytest.mark.slow
def test_the_smoke_run_breaks_no_cap_and_loses_no_acknowledged_step(postgres_dsn: str, tmp_path: Path) -> None:
    output = tmp_path / "load.json"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--smoke", "--dsn", postgres_dsn, "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = json.loads(output.read_text(encoding="utf-8"))
    audit, faults = figures["audit"], figures["faults"]
    assert audit["chain_verifies"], audit
    assert audit["cap_violations"] == 0, audit
    assert audit["ledger_disagreements"] == [], audit
    assert audit["acknowledged_steps_lost"] == 0, audit
    assert audit["cases_opened_missing"] == 0, audit
    assert audit["steps_recorded_twice"] == 0, audit
    # The run did what it claims: cases decided and granted, many for the heavy guests, a worker killed.
    assert audit["acknowledged_steps"] > 0, figures
    assert audit["grants"] > 0, figures
    assert figures["cases"]["for_the_heavy_guest"] > 0, figures
    assert faults["killed"] in faults["workers_before"], faults
    assert any(route["route"] == "floor GET /healthz" for route in figures["routes"]), figures
