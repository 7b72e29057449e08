"""The journal's backends agree: one sequence of public operations, every result and every error the same.

docs/explanation/journal.md: "Everything that must behave the same on every backend (the chain, idempotency,
versions, the ledger, ``verify``) is implemented once in it"; docs/how-to/run-with-postgresql.md: "Cases work
exactly as with SQLite ... only the journal you hand them changes". The machine below runs the same steps on a
MemoryJournal, an SQLiteJournal and a PostgresJournal and compares what each returns or raises (the error's type
and message), step by step (docs-promise audit 126).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from recovery_rules import (
    BulkEntry,
    Case,
    ChainHead,
    Complaint,
    ComplaintNumber,
    Customer,
    Draft,
    Event,
    Journal,
    JournalError,
    MemoryJournal,
    Money,
    Policy,
    PostgresJournal,
    RecoveryRulesError,
    Remedy,
    SQLiteJournal,
    metrics,
)

from . import _postgres
from ._helpers import examples

T0 = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
CLOCK = T0 + dt.timedelta(days=30)
"""Every journal's clock: later than every step the machine dates, so none is refused as ahead of it."""
CUSTOMERS = ("10442", "10443", "77")
KEYS = tuple(f"k{i}" for i in range(6))
"""Few keys, so that appends repeat a key (the same request) and conflict on one (another request)."""
LEDGER_KEY = bytes(range(32))
LEVELS = ("staff", "manager", "general_manager", "owner")
"""The Ritz-Carlton preset's levels, and one it does not have."""
STEPS = 20
GENESIS = ChainHead(count=0, hash="0" * 64)
_HASH = re.compile(r"[0-9a-f]{64}")
BACKEND_NAMES = ("memory", "sqlite", "postgres")


def _clock() -> dt.datetime:
    return CLOCK


def _plain(value: object, encrypted: bool) -> object:
    """``value`` as plain data, compared across backends: models dumped, events as their records with their data
    read back; in a journal that encrypts, without the hashes (each backend draws its own data keys)."""
    if isinstance(value, Event):
        record = value.record()
        record["data"] = value.data  # opened (or "[erased]"), whatever the ciphertext
        value = record
    elif isinstance(value, ChainHead):
        value = str(value)
    elif hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [_plain(item, encrypted) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item, encrypted) for key, item in value.items()}
    if encrypted and isinstance(value, str):
        return _HASH.sub("#", value)
    return value


def _outcome(call: Callable[[], Any], encrypted: bool) -> tuple[str, object]:
    """What ``call`` gave: its value, or its error's type and message (a non-library error marked as such)."""
    try:
        return ("value", _plain(call(), encrypted))
    except RecoveryRulesError as error:
        return ("error", _plain(f"{type(error).__name__}: {error}", encrypted))
    except Exception as error:  # a non-library exception is a finding too: compared, then refused
        return ("escaped", f"{type(error).__name__}: {error}")


class Agree(RuleBasedStateMachine):
    """The same operations on every backend; every outcome compared with the memory journal's."""

    tmp_path: Path
    dsn: str
    policy: Policy
    encrypted: bool = False

    def __init__(self) -> None:
        super().__init__()
        self.schema = _postgres.new_schema()
        self.path = self.tmp_path / f"{self.schema}.sqlite3"
        self.memory = MemoryJournal(clock=_clock, encrypt_personal_data=self.encrypted)
        self.opened: list[Journal] = []
        self.journals: dict[str, Journal] = {}
        self.sealed = False
        self._open()
        self.elapsed = dt.timedelta(0)
        self.cases: dict[str, dict[str, Case]] = {}  # complaint number: each backend's Case object
        self.numbers: list[ComplaintNumber] = []
        self.heads: list[dict[str, ChainHead]] = [dict.fromkeys(BACKEND_NAMES, GENESIS)]
        self.opened_at: list[dt.datetime] = [T0 - dt.timedelta(days=1)]
        self.callbacks: list[dt.datetime] = [T0]

    def _open(self) -> None:
        """New SQLite and PostgreSQL journal objects over the same storage (the memory journal cannot reopen)."""
        for journal in self.opened:
            journal.close()
        key = LEDGER_KEY if self.sealed else None
        options: dict[str, Any] = {"clock": _clock, "ledger_key": key, "encrypt_personal_data": self.encrypted}
        self.opened = [
            SQLiteJournal(self.path, **options),
            PostgresJournal(self.dsn, schema=self.schema, **options),
        ]
        self.journals = dict(zip(BACKEND_NAMES, (self.memory, *self.opened), strict=True))

    def teardown(self) -> None:
        for journal in (self.memory, *self.opened):
            journal.close()
        _postgres.drop_schema(self.dsn, self.schema)

    def now(self) -> dt.datetime:
        return T0 + self.elapsed

    def stamp(self) -> int:
        """The machine's time, in microseconds since T0: for idempotency keys and requests."""
        return self.elapsed // dt.timedelta(microseconds=1)

    def same(self, what: str, call: Callable[[Journal, str], Any]) -> tuple[str, object]:
        """Run ``call`` on every backend; fail unless all gave the same value or the same library error."""
        results: dict[str, tuple[str, object]] = {}
        for name, journal in self.journals.items():

            def run(journal: Journal = journal, name: str = name) -> object:
                return call(journal, name)

            results[name] = _outcome(run, self.encrypted)
        first = results["memory"]
        for name, result in results.items():
            assert result == first, f"{what}: {name} gave {result!r}, the memory journal {first!r}"
        assert first[0] != "escaped", f"{what}: a non-library exception escaped: {first!r}"
        return first

    # -- time

    @rule(step=st.sampled_from([dt.timedelta(microseconds=1), dt.timedelta(minutes=59), dt.timedelta(hours=10)]))
    def time_passes(self, step: dt.timedelta) -> None:
        self.elapsed += step

    # -- raw appends: keys repeated and conflicting, versions stale, grants, callbacks

    @rule(
        customer=st.sampled_from(CUSTOMERS),
        follow_up=st.booleans(),
        key=st.sampled_from(KEYS),
        grant=st.sampled_from([None, None, "0.00", "10.00", "25.50", "1000 JPY"]),
        due=st.sampled_from([None, 0, 1]),
        off=st.sampled_from([0, 0, 0, -1, 1]),
        state=st.sampled_from(["noted", "closed"]),
    )
    def append(
        self, *, customer: str, follow_up: bool, key: str, grant: str | None, due: int | None, off: int, state: str
    ) -> None:
        number = ComplaintNumber.parse(f"20261123-{customer}" + ("/2" if follow_up else ""))
        version = self.same(f"version {number}", lambda journal, _: journal.version(number))[1]
        expected = max(0, (version if isinstance(version, int) else 0) + off)
        at = self.now()
        callback = None if due is None else at + dt.timedelta(hours=due)
        amount, _, currency = (grant or "").partition(" ")
        draft = Draft(
            kind="opened" if expected == 0 else "noted",
            state=state,
            actor="staff",
            at=at,
            data={"notes": f"step at {self.stamp()} µs"},
            grant=None if grant is None else Money(amount, currency or "USD"),
            callback_due=callback,
        )
        request = {"customer": customer, "grant": grant, "due": due, "state": state, "at": self.stamp()}
        got = self.same(
            f"append {number} at version {expected} under {key}",
            lambda journal, _: journal.append(number, draft, expected_version=expected, key=key, request=request),
        )
        if got[0] == "value":
            self.numbers.append(number)
            self.opened_at.append(at)
            if callback is not None:
                self.callbacks.append(callback)

    @rule(customer=st.sampled_from(CUSTOMERS), key=st.sampled_from(KEYS))
    def append_many(self, customer: str, key: str) -> None:
        number = ComplaintNumber.parse(f"20261123-{customer}/3")
        at = self.now()
        entries = [
            BulkEntry(number, Draft(kind="noted", state="noted", actor="staff", at=at), key=f"bulk-{key}"),
            BulkEntry(number, Draft(kind="noted", state="noted", actor="staff", at=at), key=key),
        ]
        if self.same(f"append_many {number}", lambda journal, _: journal.append_many(entries))[0] == "value":
            self.numbers.append(number)

    # -- cases through Case, by several levels, follow-ups

    @rule(
        customer=st.sampled_from(CUSTOMERS),
        amount=st.sampled_from(["50.00", "250.00", "2000.00", "2000.01"]),
        by=st.sampled_from(LEVELS),
        follow_up=st.booleans(),
        steps=st.integers(min_value=0, max_value=5),
    )
    def run_case(self, customer: str, amount: str, by: str, follow_up: bool, steps: int) -> None:
        at = self.now()
        incident = min(self.cases) if follow_up and self.cases else None
        complaint = Complaint(
            customer=Customer(id=customer, name="Zoë"),
            category="room_not_ready",
            description="the room was not ready ☃",
            requested=Remedy(kind="refund", amount=Money(amount, "USD")),
            received_at=at,
        )
        opened: dict[str, Case] = {}

        def open_case(journal: Journal, name: str) -> str:
            key = f"open-{self.stamp()}-{customer}"
            opened[name] = Case.open(journal, self.policy, complaint, by=by, now=at, incident=incident, key=key)
            return str(opened[name].number)

        got = self.same(f"open a case of {customer} by {by}", open_case)
        if got[0] != "value":
            return
        number = str(got[1])
        self.cases[number] = opened
        self.numbers.append(ComplaintNumber.parse(number))
        self.opened_at.append(at)
        walk: list[tuple[str, Callable[[Case], object]]] = [
            ("listen", lambda case: case.listen(now=at, key=f"listen-{number}", notes="heard")),
            ("apologize", lambda case: case.apologize(now=at, key=f"apologize-{number}")),
            ("ask", lambda case: case.ask_preferred_solution(now=at, key=f"ask-{number}")),
            ("decide", lambda case: case.decide(now=at, key=f"decide-{number}")),
            ("decide again", lambda case: case.decide(now=at, key=f"decide-{number}")),
        ]
        for what, step in walk[:steps]:

            def take(_: Journal, name: str, step: Callable[[Case], object] = step) -> object:
                return step(self.cases[number][name])

            self.same(f"{what} {number}", take)

    @precondition(lambda self: bool(self.cases))
    @rule(data=st.data())
    def load_case(self, data: st.DataObject) -> None:
        number = data.draw(st.sampled_from(sorted(self.cases)))

        def load(journal: Journal, _: str) -> object:
            case = Case.load(journal, self.policy, number)
            return (case.state, case.version, case.complaint)

        self.same(f"load {number}", load)

    # -- other handles, erasure, sealing

    @rule()
    def reopen(self) -> None:
        self._open()

    @rule(customer=st.sampled_from((*CUSTOMERS, "999")))
    def erase(self, customer: str) -> None:
        self.same(f"erase {customer}", lambda journal, _: journal.erase_customer(customer, employee="E-1", now=CLOCK))
        self.same(f"erasure of {customer}", lambda journal, _: journal.erasure(customer))

    @rule()
    def seal(self) -> None:
        if self.same("seal", lambda journal, _: journal.seal_ledger(LEDGER_KEY))[0] == "value":
            self.sealed = True
        self.same("sealed", lambda journal, _: journal.ledger_sealed)

    # -- reads

    @precondition(lambda self: bool(self.numbers))
    @rule(data=st.data())
    def read_case(self, data: st.DataObject) -> None:
        number = data.draw(st.sampled_from(self.numbers))
        self.same(f"events {number}", lambda journal, _: journal.events(number))
        self.same(f"version {number}", lambda journal, _: journal.version(number))

    @rule(key=st.sampled_from((*KEYS, "bulk-k0", "nothing")), start=st.sampled_from([0, 1, 2, 5, 50]))
    def read_journal(self, key: str, start: int) -> None:
        self.same(f"find {key}", lambda journal, _: journal.find(key))
        self.same(f"iter_events from {start}", lambda journal, _: list(journal.iter_events(start)))
        self.same("head", lambda journal, _: journal.head())

    @rule(data=st.data(), open_only=st.booleans())
    def listing(self, data: st.DataObject, open_only: bool) -> None:
        """``cases(since, until)`` at the exact opening times, and a microsecond either side."""
        nudge = st.sampled_from([dt.timedelta(0), dt.timedelta(microseconds=1), -dt.timedelta(microseconds=1)])
        since = data.draw(st.none() | st.sampled_from(self.opened_at))
        until = data.draw(st.none() | st.sampled_from(self.opened_at))
        since = None if since is None else since + data.draw(nudge)
        until = None if until is None else until + data.draw(nudge)
        self.same(
            f"cases(open_only={open_only}, since={since}, until={until})",
            lambda journal, _: journal.cases(open_only=open_only, since=since, until=until),
        )

    @rule(data=st.data())
    def overdue(self, data: st.DataObject) -> None:
        """``overdue_callbacks(now)`` at the exact callback times, and a microsecond either side."""
        now = data.draw(st.sampled_from(self.callbacks)) + data.draw(
            st.sampled_from([dt.timedelta(0), dt.timedelta(microseconds=1), -dt.timedelta(microseconds=1)])
        )
        self.same(f"overdue_callbacks({now})", lambda journal, _: journal.overdue_callbacks(now))

    @rule(data=st.data())
    def check(self, data: st.DataObject) -> None:
        heads = data.draw(st.sampled_from(self.heads))
        self.same("verify", lambda journal, _: journal.verify())
        self.same("verify resumed", lambda journal, name: journal.verify(resume_from=heads[name]))
        self.same("verify against a head", lambda journal, name: journal.verify(expected_head=heads[name]))
        now = {name: journal.head() for name, journal in self.journals.items()}
        self.heads.append(now)

    @rule()
    def report(self) -> None:
        self.same(
            "metrics.report", lambda journal, _: metrics.report(journal, policy=self.policy, now=CLOCK, source="j")
        )


def _run(tmp_path: Path, dsn: str, policy: Policy, *, encrypted: bool) -> None:
    machine = type("AgreeHere", (Agree,), {"tmp_path": tmp_path, "dsn": dsn, "policy": policy, "encrypted": encrypted})
    run_state_machine_as_test(
        machine, settings=settings(max_examples=examples(6), stateful_step_count=STEPS, deadline=None)
    )


@pytest.mark.slow
def test_memory_sqlite_and_postgresql_journals_give_the_same_results_and_errors_for_one_sequence_of_steps(
    tmp_path: Path, postgres_dsn: str, ritz: Policy
) -> None:
    """journal.md, "The interface, for another backend": the chain, idempotency, versions, the ledger and
    verify behave the same on every backend; run-with-postgresql.md: "Cases work exactly as with SQLite"."""
    _run(tmp_path, postgres_dsn, ritz, encrypted=False)


@pytest.mark.slow
def test_encrypting_journals_of_every_backend_agree_on_what_they_read_back_and_erase(
    tmp_path: Path, postgres_dsn: str, ritz: Policy
) -> None:
    """The same in journals made with encrypt_personal_data=True, with erase_customer among the steps (hashes
    aside: each backend draws its own data keys, so its ciphertexts and hashes are its own)."""
    pytest.importorskip("cryptography")
    _run(tmp_path, postgres_dsn, ritz, encrypted=True)


# -- what the machine found: PostgreSQL differs


def _opening(minutes: int = 0) -> Draft:
    return Draft(kind="opened", state="opened", actor="staff", at=T0 + dt.timedelta(minutes=minutes))


def test_erasing_a_customer_without_personal_data_from_a_journal_that_does_not_encrypt_returns_its_record_on_sqlite(
    tmp_path: Path,
) -> None:
    """journal.md: erase_customer "records the erasure, without personal data" (a customer whose events hold no
    personal data in the clear is not refused): on SQLite and in memory, the record, with no key destroyed."""
    number = ComplaintNumber.parse("20261123-10442")
    with SQLiteJournal(tmp_path / "journal.sqlite3", clock=_clock) as journal:
        journal.append(number, _opening(), expected_version=0, key="k1", request={})
        erased = journal.erase_customer("10442", employee="E-1", now=CLOCK)
        assert (erased.customer_id, erased.keys_destroyed, erased.employee) == ("10442", 0, "E-1")
        assert journal.erasure("10442") == erased


def test_erasing_a_customer_without_personal_data_from_a_journal_that_does_not_encrypt_returns_its_record_on_postgresql(
    postgres_dsn: str,
) -> None:
    """The same on PostgreSQL (run-with-postgresql.md: "Cases work exactly as with SQLite"): the erasure returned,
    not a JournalError saying the schema's tables are missing and the keys table could not be vacuumed."""
    number = ComplaintNumber.parse("20261123-10442")
    schema = _postgres.new_schema()
    try:
        with PostgresJournal(postgres_dsn, schema=schema, clock=_clock) as journal:
            journal.append(number, _opening(), expected_version=0, key="k1", request={})
            erased = journal.erase_customer("10442", employee="E-1", now=CLOCK)
            assert (erased.customer_id, erased.keys_destroyed, erased.employee) == ("10442", 0, "E-1")
            assert journal.erasure("10442") == erased
    finally:
        _postgres.drop_schema(postgres_dsn, schema)


def test_a_closed_postgresql_journal_says_how_to_open_a_postgresql_journal_again(postgres_dsn: str) -> None:
    """Journal.close: "every method that reads or writes raises JournalError"; its message says how to open the
    journal again, and for a PostgreSQL journal that is PostgresJournal(conninfo), not an SQLite file."""
    schema = _postgres.new_schema()
    try:
        journal = PostgresJournal(postgres_dsn, schema=schema)
        journal.close()
        with pytest.raises(JournalError, match="closed") as refused:
            journal.head()
        assert "SQLiteJournal" not in str(refused.value)
        assert "PostgresJournal" in str(refused.value)
    finally:
        _postgres.drop_schema(postgres_dsn, schema)
