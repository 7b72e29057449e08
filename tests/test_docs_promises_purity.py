"""The cross-cutting promises of docs/explanation/architecture.md and guarantees.md, tried against the code.

- "No global mutable state [...] every computation on money passes the library's decimal context explicitly
  instead of installing it" (architecture), and "a host application that changed the decimal context of its
  thread, for its own reasons, cannot move a limit" (guarantees, section 3).
- "Its inputs and outputs are frozen" (guarantees, section 4), and "The mappings inside the library's frozen
  models [...] are read-only, as the models are" (reference/api/inputs.md).
- A policy "is hashable [...] equal policies hash equal" (``Policy``'s docstring).
- Values that lie about themselves are read as what they hold, never as what they answer (tests/_hostile.py).
"""

from __future__ import annotations

import datetime as dt
import decimal
import locale
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from recovery_rules import (
    Case,
    Complaint,
    Customer,
    DurableEngine,
    InvalidInputError,
    MemoryJournal,
    Money,
    Outcome,
    Policy,
    PolicyError,
    Remedy,
    SQLiteJournal,
    Wording,
    metrics,
    presets,
)

from ._server import serve

NOW = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC)

HOSTILE = decimal.Context(prec=3, rounding=decimal.ROUND_UP, traps=[decimal.Inexact, decimal.Rounded])
"""A host's context: three digits, rounding up, and a trap on any rounding."""

NARROW = decimal.Context(prec=28, Emin=-1, Emax=99, traps=[decimal.Subnormal, decimal.Underflow])
"""A host's context whose exponents stop at -1: a cent is subnormal in it."""


def _complaint(amount: str, *, customer: str = "10442", category: str = "room_not_ready") -> Complaint:
    return Complaint(
        customer=Customer(id=customer),
        category=category,
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=NOW,
    )


# -- the caller's decimal context -----------------------------------------------------------------------------


def test_money_example_is_the_same_under_a_host_decimal_context() -> None:
    expected = Money.example(float("nan"), "EUR")
    assert expected == "12.50"
    with decimal.localcontext(decimal.Context(prec=3)):
        assert Money.example(float("nan"), "EUR") == expected


def test_a_policy_refused_under_a_trapping_host_context_is_refused_with_the_same_policy_error() -> None:
    data = {**presets.ritz_carlton().model_dump(mode="json"), "currency": "EUR", "hard_cap": 1.5}
    with pytest.raises(PolicyError) as plain:
        Policy.model_validate(data)
    with decimal.localcontext(HOSTILE), pytest.raises(PolicyError) as hostile:
        Policy.model_validate(data)
    assert str(hostile.value) == str(plain.value)


def test_a_complaint_refused_under_a_trapping_host_context_gets_the_same_message() -> None:
    data = {
        "customer": {"id": "10442"},
        "category": "room_not_ready",
        "requested": {"kind": "refund", "amount": 1.5},
        "received_at": "2026-11-23T20:00:00Z",
    }
    with pytest.raises(InvalidInputError) as plain:
        Complaint.model_validate(data, context={"currency": "EUR"})
    with decimal.localcontext(HOSTILE), pytest.raises(InvalidInputError) as hostile:
        Complaint.model_validate(data, context={"currency": "EUR"})
    assert type(hostile.value) is type(plain.value)
    assert str(hostile.value) == str(plain.value)


def test_a_policy_loads_and_decides_alike_under_a_host_context_with_a_narrow_exponent_range() -> None:
    complaint = _complaint("150.00")
    expected = presets.ritz_carlton().decide(complaint, by="staff", now=NOW)
    with decimal.localcontext(NARROW):
        policy = presets.ritz_carlton()
    assert policy.decide(complaint, by="staff", now=NOW) == expected


@pytest.mark.slow
def test_the_library_imports_under_a_trapping_host_decimal_context() -> None:
    script = (
        "import decimal\n"
        "context = decimal.getcontext()\n"
        "context.prec = 3\n"
        "context.traps[decimal.Rounded] = True\n"
        "context.traps[decimal.Inexact] = True\n"
        "import recovery_rules\n"
        "print(recovery_rules.Money('2000.01', 'USD'))\n"
    )
    source = Path(__file__).resolve().parents[1] / "src"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(source), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run(
        [sys.executable, "-c", script], check=False, capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr[-500:]
    assert result.stdout == "2000.01 USD\n"


# -- values that lie about themselves --------------------------------------------------------------------------


class _QuantizesToACent(Decimal):
    """An amount whose methods answer one cent, whatever it holds."""

    def quantize(self, *args: object, **kwargs: object) -> Decimal:
        return Decimal("0.01")

    def __str__(self) -> str:
        return "0.01"


def test_a_decimal_subclass_amount_is_read_as_the_number_it_holds() -> None:
    amount = _QuantizesToACent("12000.00")
    assert Decimal(amount) == Decimal("12000.00")  # what it holds
    money = Money(amount, "USD")
    assert type(money.amount) is Decimal
    assert money == Money("12000.00", "USD")
    complaint = _complaint("12000.00").model_copy(update={"requested": Remedy(kind="refund", amount=money)})
    assert presets.ritz_carlton().decide(complaint, by="staff", now=NOW).outcome is not Outcome.APPROVED


# -- frozen values ---------------------------------------------------------------------------------------------


def test_equal_policies_hash_equal_even_when_one_was_changed_past_validation() -> None:
    changed = presets.ritz_carlton()
    changed.decide(_complaint("150.00"), by="staff", now=NOW)  # checked and compiled
    object.__setattr__(changed, "hard_cap", Money("9000.00", "USD"))
    loaded = Policy.model_validate(changed.model_dump())  # the policy its fields now say
    assert changed != loaded or hash(changed) == hash(loaded)


def test_a_complaint_number_changed_past_validation_changes_no_other_decision() -> None:
    policy = presets.ritz_carlton()
    customer = "77001"  # a guest no other test decides for: the cache is the process's
    mine = policy.decide(_complaint("1.00", customer=customer, category="noise"), by="staff", now=NOW)
    object.__setattr__(mine.complaint_number, "_text", "20261123-99999")  # the caller's own value, past validation
    object.__setattr__(mine.complaint_number, "customer_id", "99999")
    theirs = policy.decide(_complaint("5.00", customer=customer), by="staff", now=NOW)  # another caller's complaint
    assert str(theirs.complaint_number) == f"20261123-{customer}"
    assert theirs.complaint_number.customer_id == customer


def test_a_resolution_changed_past_validation_changes_no_later_decision() -> None:
    policy = presets.ritz_carlton()
    mine = policy.decide(_complaint("150.00", customer="77002"), by="staff", now=NOW)
    assert mine.granted_before == Money("0.00", "USD")
    object.__setattr__(mine.granted_before, "amount", Decimal("-5000.00"))  # the caller's own value, past validation
    object.__setattr__(mine.granted_before, "_json", None)
    theirs = policy.decide(_complaint("6000.00", customer="77003"), by="staff", now=NOW)  # another guest
    assert theirs.outcome is Outcome.ESCALATED  # $6,000 is above the staff member's $2,000
    assert theirs.granted_before == Money("0.00", "USD")


@pytest.fixture
def case_at_decision() -> Iterator[Case]:
    journal = MemoryJournal()
    case = Case.open(journal, presets.ritz_carlton(), _complaint("3000.00"), by="staff", now=NOW)
    case.listen(now=NOW)
    case.apologize(now=NOW)
    case.ask_preferred_solution(now=NOW)
    yield case
    journal.close()


def test_the_mappings_of_a_metrics_report_are_read_only(case_at_decision: Case) -> None:
    report = metrics.report(case_at_decision.journal, now=NOW)
    for mapping in (report.outcomes, report.policies, report.cap_share.bands):
        writable: Any = mapping  # a Mapping to mypy: changing it is the point
        with pytest.raises(TypeError):
            writable["forged"] = 1


# -- the process locale -----------------------------------------------------------------------------------------


@pytest.fixture
def german_times() -> Iterator[None]:
    """The process's LC_TIME set to German, as a host application may set it; put back afterwards."""
    before = locale.setlocale(locale.LC_TIME)
    try:
        locale.setlocale(locale.LC_TIME, "de_DE.UTF-8")
    except locale.Error:
        pytest.skip("this machine has no de_DE.UTF-8 locale")
    try:
        yield
    finally:
        locale.setlocale(locale.LC_TIME, before)


@pytest.mark.usefixtures("german_times")
def test_the_console_queue_page_is_in_english_whatever_the_process_locale() -> None:
    served = serve()
    client = TestClient(served.app, follow_redirects=False)
    assert client.post("/console/sign-in", data={"token": served.tokens["manager"]}).status_code == 303
    page = client.get("/console/queue").text
    served.journal.close()
    days = "Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag"
    assert not re.search(rf"\b({days})\b", page)
    assert "As of Monday 23 November 2026, 11:00 EST" in page


# -- promises that hold ----------------------------------------------------------------------------------------


def _asks() -> list[tuple[Complaint, str]]:
    levels = ("staff", "manager", "general_manager")
    return [(_complaint(f"{(i * 977) % 13000}.{i % 100:02d}"), levels[i % 3]) for i in range(120)]


def test_a_wording_shared_by_eight_threads_gives_the_sequential_results() -> None:
    policy = presets.ritz_carlton()
    wording = Wording(policy)

    def run(ask: tuple[Complaint, str]) -> tuple[str, str]:
        complaint, by = ask
        resolution = policy.decide(complaint, by=by, now=NOW)
        return wording.say(resolution), wording.say(resolution, format="html")

    asks = _asks()
    expected = [run(ask) for ask in asks]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(run, asks, chunksize=3)) == expected


def test_the_durable_engine_shared_by_eight_threads_gives_the_sequential_results() -> None:
    pytest.importorskip("durable_rules_engine")
    policy = presets.ritz_carlton()
    with DurableEngine(policy) as engine:

        def run(ask: tuple[Complaint, str]) -> object:
            complaint, by = ask
            return engine.decide(complaint, by=by, now=NOW)

        asks = _asks()
        expected = [policy.decide(complaint, by=by, now=NOW) for complaint, by in asks]
        assert [run(ask) for ask in asks] == expected
        with ThreadPoolExecutor(max_workers=8) as pool:
            assert list(pool.map(run, asks, chunksize=3)) == expected


def _case_words(journal: MemoryJournal | SQLiteJournal) -> list[object]:
    policy = presets.ritz_carlton()
    case = Case.open(journal, policy, _complaint("3000.00"), by="staff", now=NOW)
    case.listen(now=NOW)
    case.apologize(now=NOW)
    case.ask_preferred_solution(now=NOW)
    resolution = case.decide(now=NOW)
    case.escalate(now=NOW)
    return [resolution, case.callback_by, Wording(policy).say_history(case), journal.verify().ok]


def test_a_case_is_worded_and_recorded_alike_whatever_the_process_time_zone(tmp_path: Path) -> None:
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is Unix only")
    with MemoryJournal() as journal:
        expected = _case_words(journal)
    before = os.environ.get("TZ")
    try:
        for zone in ("Pacific/Kiritimati", "America/St_Johns"):
            os.environ["TZ"] = zone
            time.tzset()
            with SQLiteJournal(tmp_path / f"{zone.replace('/', '-')}.sqlite3") as journal:
                assert _case_words(journal) == expected
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()
