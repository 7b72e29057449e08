"""Erasing a customer's personal data without breaking the chain (issue 13 §6), on every backend.

A journal made with ``encrypt_personal_data=True`` stores every personal field of an event sealed with the
customer's data key (AES-256-GCM, keys in a table beside the events); ``erase_customer`` destroys the key.
The tests grep the raw bytes of the SQLite file and its write-ahead log, read the PostgreSQL keys table,
and check that the chain, the ledger and the case's amounts are unchanged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recovery_rules import (
    Case,
    Complaint,
    ComplaintNumber,
    Customer,
    Draft,
    Event,
    IdempotencyConflictError,
    InvalidInputError,
    Journal,
    JournalError,
    JournalIntegrityError,
    JSONValue,
    MemoryJournal,
    Money,
    Policy,
    PostgresJournal,
    Remedy,
    SQLiteJournal,
    StaleCaseError,
    Window,
    Wording,
    metrics,
    presets,
    say,
)
from recovery_rules._journal import canonical_json
from recovery_rules._journal._privacy import ERASED, is_personal
from tests import _postgres
from tests._journal_backends import BACKENDS, MemoryHarness, PostgresHarness, SQLiteHarness

AT = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
CLOCK = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
NAME = "Ms. Okafor-Zwelithini"
DESCRIPTION = "Arrived at three; the room was still being cleaned at five."
WISH = "The whole stay, every night of it"
NOTES = "Two hours in the lobby after a long flight, with a meeting at six."
APOLOGY = "I am so sorry about the wait in the lobby today."
THANKS = "Thank you for telling us about the Quetzalcoatl suite."
PERSONAL = (NAME, DESCRIPTION, WISH, NOTES, APOLOGY, THANKS)


def _clock() -> dt.datetime:
    return CLOCK


def _complaint(customer_id: str = "10442", name: str = NAME) -> Complaint:
    return Complaint(
        customer=Customer(id=customer_id, tier="gold", name=name),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money("250.00", "USD"), description=WISH),
        received_at=AT,
        description=DESCRIPTION,
    )


def _run_case(journal: Journal, customer_id: str = "10442", *, notes: str = NOTES) -> Case:
    """A case from the complaint to the close, granting $250 (within the front desk's authority)."""
    policy = presets.ritz_carlton()
    case = Case.open(journal, policy, _complaint(customer_id), by="staff", now=AT, employee="E-0042")
    case.listen(notes=notes, now=AT + dt.timedelta(minutes=1))
    case.apologize(notes=APOLOGY, now=AT + dt.timedelta(minutes=2))
    case.ask_preferred_solution(now=AT + dt.timedelta(minutes=3))
    case.decide(now=AT + dt.timedelta(minutes=4))
    case.deliver(notes="Refund of the night", now=AT + dt.timedelta(minutes=5))
    case.thank(notes=THANKS, now=AT + dt.timedelta(minutes=6))
    case.close(now=AT + dt.timedelta(minutes=7))
    return case


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[object, Any]]:
    """A factory of encrypting journals on one backend (several handles share one journal)."""
    journals: list[Journal] = []
    if request.param == "memory":
        memory = MemoryJournal(clock=_clock, encrypt_personal_data=True)
        journals.append(memory)

        def make() -> Journal:
            return memory

        yield "memory", make
    elif request.param == "sqlite":
        path = tmp_path / "journal.sqlite3"

        def make() -> Journal:
            journal = SQLiteJournal(path, clock=_clock, encrypt_personal_data=True)
            journals.append(journal)
            return journal

        yield path, make
    else:
        dsn = _postgres.dsn()  # skips (fails in CI) without a server
        schema = _postgres.new_schema()

        def make() -> Journal:
            journal = PostgresJournal(dsn, schema=schema, clock=_clock, encrypt_personal_data=True)
            journals.append(journal)
            return journal

        yield (dsn, schema), make
        for journal in journals:
            journal.close()
        _postgres.drop_schema(dsn, schema)
        return
    for journal in journals:
        journal.close()


def _raw(path: Path) -> bytes:
    """The bytes of an SQLite journal's file and its write-ahead log (and shared memory), as on disk."""
    return b"".join(part.read_bytes() for part in path.parent.iterdir() if part.name.startswith(path.name))


def _personal_values(journal: Journal, number: Any) -> list[str]:
    found: list[str] = []

    def walk(value: object, path: tuple[str, ...]) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                walk(item, (*path, name))
        elif isinstance(value, list):
            for item in value:
                walk(item, (*path, "*"))
        elif isinstance(value, str) and value and is_personal(path):
            found.append(value)

    for event in journal.events(number):
        walk(event.data, ())
    return found


def test_erasure_keeps_the_chain_the_ledger_and_the_amounts(backend: tuple[Any, Any]) -> None:
    _, make = backend
    journal = make()
    case = _run_case(journal)
    other = _run_case(journal, "20001")
    policy = presets.ritz_carlton()
    head, verified = journal.head(), journal.verify()
    granted = journal.granted(case.number, window=Window.parse("30d"), timezone="UTC", currency="USD", now=CLOCK)
    assert verified.ok
    assert set(PERSONAL) <= set(_personal_values(journal, case.number))  # read back in the clear before

    erasure = journal.erase_customer("10442", employee="E-0007", now=CLOCK)

    assert (erasure.customer_id, erasure.employee, erasure.keys_destroyed) == ("10442", "E-0007", 1)
    assert erasure.erased_at == CLOCK
    reader = make()  # another handle reads the same
    for each in (journal, reader):
        after = each.verify(expected_head=head)
        assert after.ok, after.problem
        assert after.head == verified.head  # not one byte of the chain changed
        assert (
            each.granted(case.number, window=Window.parse("30d"), timezone="UTC", currency="USD", now=CLOCK) == granted
        )
        loaded = Case.load(each, policy, case.number)
        assert loaded.granted == case.granted == Money("250.00", "USD")
        assert (loaded.state, loaded.outcome) == (case.state, case.outcome)
        assert loaded.complaint.customer.name == ERASED
        assert loaded.complaint.description == ERASED
        assert set(_personal_values(each, case.number)) == {ERASED}
        assert [event.data for event in each.events(other.number)] == [event.data for event in other.history]
        assert each.erasure("10442") == erasure
    assert journal.erasure("20001") is None


def test_erasing_twice_is_harmless_and_an_unknown_customer_is_invalid(backend: tuple[Any, Any]) -> None:
    _, make = backend
    journal = make()
    _run_case(journal)
    first = journal.erase_customer("10442", employee="E-0007", now=CLOCK)
    again = journal.erase_customer("10442", employee="E-0008", now=CLOCK + dt.timedelta(hours=1))
    assert again == first
    assert journal.verify().ok
    with pytest.raises(InvalidInputError, match="no case of this customer"):
        journal.erase_customer("99999")
    with pytest.raises(InvalidInputError):
        journal.erase_customer("not a customer number!")


def test_a_returning_customer_gets_a_new_key_and_can_be_erased_again(backend: tuple[Any, Any]) -> None:
    _, make = backend
    journal = make()
    first = _run_case(journal)
    journal.erase_customer("10442", now=CLOCK)
    policy = presets.ritz_carlton()
    later = Case.open(journal, policy, _complaint(), by="staff", now=AT + dt.timedelta(hours=2))
    assert later.number != first.number
    assert Case.load(journal, policy, later.number).complaint.customer.name == NAME
    second = journal.erase_customer("10442", now=CLOCK + dt.timedelta(hours=1))
    assert second.keys_destroyed == 1
    assert Case.load(journal, policy, later.number).complaint.customer.name == ERASED
    assert journal.verify().ok


def test_sqlite_file_and_log_hold_no_personal_text_and_no_key_after_erasure(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with SQLiteJournal(path, clock=_clock, encrypt_personal_data=True) as journal:
        _run_case(journal)
        with contextlib.closing(sqlite3.connect(path)) as connection:
            (key,) = connection.execute("SELECT key FROM data_keys").fetchone()
        before = _raw(path)
        assert key in before  # the key is stored (here, or in the write-ahead log)
        for text in PERSONAL:
            assert text.encode() not in before, text  # encrypted from the first write
        journal.erase_customer("10442", employee="E-0007", now=CLOCK)
        after = _raw(path)
        assert key not in after
        for text in PERSONAL:
            assert text.encode() not in after, text
        assert (path.parent / f"{path.name}-wal").stat().st_size == 0  # the log was emptied
        assert journal.verify().ok


def test_postgres_keys_row_is_gone_after_erasure(tmp_path: Path) -> None:
    dsn = _postgres.dsn()
    schema = _postgres.new_schema()
    try:
        import psycopg  # noqa: PLC0415 - the postgres extra; dsn() skipped the test without it

        with PostgresJournal(dsn, schema=schema, clock=_clock, encrypt_personal_data=True) as journal:
            case = _run_case(journal)
            with psycopg.connect(dsn, autocommit=True) as connection:
                rows = connection.execute(f'SELECT customer_id FROM "{schema}".data_keys').fetchall()
                assert rows == [("10442",)]
                stored = connection.execute(f'SELECT data FROM "{schema}".events').fetchall()
                assert not any(text in row[0] for row in stored for text in PERSONAL)
                journal.erase_customer("10442", now=CLOCK)
                rows = connection.execute(f'SELECT customer_id FROM "{schema}".data_keys').fetchall()
                assert rows == []
            assert set(_personal_values(journal, case.number)) == {ERASED}
            assert journal.verify().ok
    finally:
        _postgres.drop_schema(dsn, schema)


def test_a_changed_ciphertext_is_found_by_verify_and_refused_on_reading(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with SQLiteJournal(path, clock=_clock, encrypt_personal_data=True) as journal:
        case = _run_case(journal)
        with contextlib.closing(sqlite3.connect(path)) as connection:
            (data,) = connection.execute("SELECT data FROM events WHERE seq = 2").fetchone()
            body = json.loads(data)
            box = body["notes"]["box"]
            body["notes"]["box"] = box[:20] + ("A" if box[20] != "A" else "B") + box[21:]
            changed = json.dumps(body, separators=(",", ":"), sort_keys=True)
            connection.execute("UPDATE events SET data = ? WHERE seq = 2", (changed,))
            connection.commit()
        verification = journal.verify()
        assert not verification.ok
        assert verification.first_bad == 2
        with pytest.raises(JournalIntegrityError):
            journal.events(case.number)


def test_a_sealed_value_moved_to_another_field_does_not_open() -> None:
    journal = MemoryJournal(clock=_clock, encrypt_personal_data=True)
    case = _run_case(journal)
    from recovery_rules._journal._privacy import KeyRing, open_data  # noqa: PLC0415 - the module under test

    opened = journal._records[0]["data"]
    sealed = json.loads(str(opened))
    customer = sealed["complaint"]["customer"]
    sealed["complaint"]["description"], customer["name"] = customer["name"], sealed["complaint"]["description"]
    keys = journal._data_keys
    ring = KeyRing({key_id: key for key_id, (_, key) in keys.items()})
    with pytest.raises(JournalIntegrityError, match="does not open"):
        open_data(sealed, ring, seq=1)
    assert case.complaint.customer.name == NAME


def test_a_journal_that_does_not_encrypt_refuses_to_erase(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with SQLiteJournal(path, clock=_clock) as journal:
        assert not journal.encrypts_personal_data
        case = _run_case(journal)
        with pytest.raises(JournalError, match=r"in the clear.*cannot be erased"):
            journal.erase_customer("10442")
        assert journal.erasure("10442") is None
        assert Case.load(journal, presets.ritz_carlton(), case.number).complaint.customer.name == NAME
    # Opened once with encryption, the journal encrypts from then on; the older events still refuse.
    with SQLiteJournal(path, clock=_clock, encrypt_personal_data=True) as journal:
        assert journal.encrypts_personal_data
        with pytest.raises(JournalError, match="in the clear"):
            journal.erase_customer("10442")
    with SQLiteJournal(path, clock=_clock) as journal:
        assert journal.encrypts_personal_data
        _run_case(journal, "20001")
        journal.erase_customer("20001")
        assert journal.verify().ok
    assert b"lobby" in _raw(path)  # the first customer's, written in the clear before


def test_a_step_recorded_before_the_journal_encrypted_is_replayed_not_refused(tmp_path: Path) -> None:
    """Its request digest is the plain SHA-256 of its request, not keyed: a retry of it still returns it."""
    path = tmp_path / "journal.sqlite3"
    case = ComplaintNumber.parse("20261123-10442")
    draft = Draft(kind="noted", state="noted", actor="staff", at=AT)
    request: dict[str, JSONValue] = {"step": "note", "args": {"text": "the lobby was cold"}}
    with SQLiteJournal(path, clock=_clock) as journal:
        recorded = journal.append(case, draft, expected_version=0, key="note-1", request=request)
    with SQLiteJournal(path, clock=_clock, encrypt_personal_data=True) as journal:
        assert journal.append(case, draft, expected_version=0, key="note-1", request=request) == recorded
        assert journal.head().count == 1  # nothing written
        with pytest.raises(IdempotencyConflictError):  # another request under the same key is still refused
            journal.append(case, draft, expected_version=1, key="note-1", request={"step": "other"})


def test_a_handle_opened_before_the_journal_encrypted_says_to_open_it_again(tmp_path: Path) -> None:
    """A handle opened before another turned encryption on reads the sealed values as they are stored. An audit:
    Case.load and the report said "its data cannot be read (invalid complaint (3 problems):)", the problems cut
    off and nothing about encryption; they now name the first problem and say to open the journal again."""
    path = tmp_path / "journal.sqlite3"
    with SQLiteJournal(path, clock=_clock) as old:
        assert not old.encrypts_personal_data
        with SQLiteJournal(path, clock=_clock, encrypt_personal_data=True) as new:
            case = _run_case(new)
        expected = (
            r"^journal event 1 is bad: its data cannot be read \(invalid complaint: customer\.name: .+, and 2 more "
            r"problems\); it holds personal data sealed by a journal that encrypts it \(encrypt_personal_data\), "
            r"which this handle does not open: .+ open the journal again$"
        )
        with pytest.raises(JournalIntegrityError, match=expected):
            Case.load(old, presets.ritz_carlton(), case.number)
        with pytest.raises(JournalIntegrityError, match=r"encrypt_personal_data.+open the journal again"):
            metrics.report(old, now=CLOCK)
    with SQLiteJournal(path, clock=_clock) as again:  # opened again: it reads the case
        assert Case.load(again, presets.ritz_carlton(), case.number).complaint.customer.name == NAME


def test_erasing_a_customer_whose_only_key_was_given_to_another_is_refused_and_erases_nothing(
    tmp_path: Path,
) -> None:
    """The table of data keys is outside the chain: a customer's key recorded as another customer's (not swapped:
    the customer is left with no key of their own) would have the erasure destroy nothing of theirs."""
    path = tmp_path / "journal.sqlite3"
    with SQLiteJournal(path, clock=_clock, encrypt_personal_data=True) as journal:
        case = _run_case(journal)
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("UPDATE data_keys SET customer_id = '20001' WHERE customer_id = '10442'")
    with SQLiteJournal(path, clock=_clock) as journal:
        with pytest.raises(JournalIntegrityError, match="recorded as another customer's"):
            journal.erase_customer("10442", now=CLOCK)
        assert journal.erasure("10442") is None
        assert journal.events(case.number)[1].data["notes"] == NOTES


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    notes=st.text(
        alphabet=st.characters(categories=["L", "N", "Zs", "P"], max_codepoint=0x2FF), min_size=12, max_size=60
    ).filter(lambda text: text.strip() and len(text.strip()) >= 12)
)
def test_no_personal_text_is_stored_in_the_clear(notes: str) -> None:
    journal = MemoryJournal(clock=_clock, encrypt_personal_data=True)
    said = f"~~{notes.strip()}~~"  # marked, so that it cannot be a part of other stored text by chance
    case = _run_case(journal, notes=said)
    stored = "".join(str(record["data"]) for record in journal._records)
    for text in (*PERSONAL, said):
        assert json.dumps(text, ensure_ascii=False)[1:-1] not in stored
    assert case.history[1].data["notes"] == said
    journal.erase_customer("10442", now=CLOCK)
    assert journal.events(case.number)[1].data["notes"] == ERASED
    assert journal.verify().ok


def test_request_digests_are_keyed_and_replays_still_work(backend: tuple[Any, Any]) -> None:
    _, make = backend
    journal = make()
    policy = presets.ritz_carlton()
    case = Case.open(journal, policy, _complaint(), by="staff", now=AT, key="open-10442")
    event = case.listen(notes=NOTES, now=AT + dt.timedelta(minutes=1), key="listen-10442")
    clear = MemoryJournal(clock=_clock)  # the same steps in a journal that does not encrypt
    clear_case = Case.open(clear, policy, _complaint(), by="staff", now=AT, key="open-10442")
    clear_event = clear_case.listen(notes=NOTES, now=AT + dt.timedelta(minutes=1), key="listen-10442")
    assert clear.same_request(clear_event, {"step": "listen", "number": str(case.number), "args": {"notes": NOTES}})
    # A guess of the notes cannot be confirmed against the stored digest: it is not the plain SHA-256.
    assert event.request != clear_event.request
    assert journal.events(case.number)[0].request != clear.events(clear_case.number)[0].request
    # The same requests again return what was recorded, through the journal's keyed comparison.
    again = Case.open(journal, policy, _complaint(), by="staff", now=AT, key="open-10442")
    assert again.number == case.number
    assert case.listen(notes=NOTES, now=AT + dt.timedelta(minutes=1), key="listen-10442") == event
    assert journal.same_request(journal.events(case.number)[0], {"step": "other"}) is False
    journal.erase_customer("10442", now=CLOCK)
    erased = journal.events(case.number)[1]
    assert not journal.same_request(erased, {"step": "listen", "notes": NOTES})


def test_a_replay_after_an_erasure_is_refused_saying_the_erasure_not_another_request(
    backend: tuple[Any, Any],
) -> None:
    """After an erasure the journal cannot tell a repeat of an earlier request from another one: it says so."""
    _, make = backend
    journal = make()
    policy = presets.ritz_carlton()
    case = Case.open(journal, policy, _complaint(), by="staff", now=AT, key="open-10442")
    listened = case.listen(notes=NOTES, now=AT + dt.timedelta(minutes=1), key="listen-10442")
    other = Case.open(journal, policy, _complaint("20001"), by="staff", now=AT, key="open-20001")
    with pytest.raises(IdempotencyConflictError, match="was already used for a different request") as before:
        other.listen(notes=NOTES, now=AT + dt.timedelta(minutes=1), key="open-20001")
    assert before.value.erased is False
    journal.erase_customer("10442", now=CLOCK)
    version = journal.version(case.number)
    replays: dict[str, Callable[[], object]] = {
        "open": lambda: Case.open(journal, policy, _complaint(), by="staff", now=AT, key="open-10442"),
        "listen": lambda: case.listen(notes=NOTES, now=AT + dt.timedelta(minutes=1), key="listen-10442"),
        "append": lambda: journal.append(
            case.number,
            Draft(kind="noted", state="listened", actor="staff", at=AT + dt.timedelta(minutes=1)),
            expected_version=version,
            key="listen-10442",
            request={"step": "note"},
        ),
    }
    for name, replay in replays.items():
        with pytest.raises(IdempotencyConflictError, match="for a customer whose personal data was erased") as refused:
            replay()
        assert refused.value.erased is True, name
        assert refused.value.seq == (1 if name == "open" else listened.seq), name
        assert "different request (" not in str(refused.value), name
    assert journal.version(case.number) == version  # nothing written
    # The other customer's keys are whole: their replays and conflicts are told as before.
    with pytest.raises(IdempotencyConflictError, match="was already used for a different request"):
        other.listen(notes=NOTES, now=AT + dt.timedelta(minutes=1), key="open-20001")
    # A key of the erased customer's used for another case is a different request, erased or not.
    with pytest.raises(IdempotencyConflictError, match="was already used for a different request") as another:
        other.listen(notes=NOTES, now=AT + dt.timedelta(minutes=1), key="listen-10442")
    assert another.value.erased is False
    with pytest.raises(IdempotencyConflictError, match="was already used for a different request"):
        journal.append(
            other.number,
            Draft(kind="noted", state="listened", actor="staff", at=AT + dt.timedelta(minutes=1)),
            expected_version=journal.version(other.number),
            key="listen-10442",
            request={"step": "note"},
        )


def test_the_report_is_the_same_after_erasure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests._cli import run  # noqa: PLC0415 - the CLI in this process

    path = tmp_path / "journal.sqlite3"
    with SQLiteJournal(path, clock=_clock, encrypt_personal_data=True) as journal:
        _run_case(journal)
        _run_case(journal, "20001")
    before = run(capsys, "report", str(path), "--now", CLOCK.isoformat(), "--json")
    assert before.code == 0, before.err
    with SQLiteJournal(path, clock=_clock) as journal:
        journal.erase_customer("10442", employee="E-0007", now=CLOCK)
    after = run(capsys, "report", str(path), "--now", CLOCK.isoformat(), "--json")
    assert after.code == 0, after.err
    assert json.loads(after.out) == json.loads(before.out)
    assert json.loads(before.out)["granted"] == "500.00 USD"
    assert json.loads(after.out)["journal"]["verified"] is True


def test_a_reader_holding_the_log_delays_its_emptying_until_erasing_again(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    # A short timeout: erasing waits that long for the reader to let the log be emptied, then says so.
    with SQLiteJournal(path, clock=_clock, encrypt_personal_data=True, timeout=0.5) as journal:
        _run_case(journal)
        with contextlib.closing(sqlite3.connect(path)) as connection:
            (key,) = connection.execute("SELECT key FROM data_keys").fetchone()
        reader = sqlite3.connect(path, isolation_level=None)
        try:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM events").fetchone()  # a snapshot the log must keep
            with pytest.raises(JournalError, match="write-ahead log could not be emptied"):
                journal.erase_customer("10442", now=CLOCK)
            assert journal.erasure("10442") is not None  # recorded; the key is gone from the table
            reader.execute("COMMIT")
        finally:
            reader.close()
        again = journal.erase_customer("10442", now=CLOCK)
        assert again.keys_destroyed == 1
        assert key not in _raw(path)
        assert journal.verify().ok


def test_without_the_privacy_extra_an_encrypting_journal_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recovery_rules import MissingDependencyError  # noqa: PLC0415 - the error under test

    path = tmp_path / "journal.sqlite3"
    SQLiteJournal(path, encrypt_personal_data=True).close()
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.ciphers.aead", None)  # not installed
    with pytest.raises(MissingDependencyError, match=r"recovery-rules\[privacy\]"):
        MemoryJournal(encrypt_personal_data=True)
    with pytest.raises(MissingDependencyError, match="privacy"):
        SQLiteJournal(path)  # the journal encrypts: it cannot be written without the package
    with SQLiteJournal(tmp_path / "plain.sqlite3") as plain:  # a journal that does not encrypt needs nothing
        assert not plain.encrypts_personal_data


_NAMES = st.sampled_from(["notes", "name", "customer", "complaint", "description", "reason", "remedy", "amount", "x"])


def _branches(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Lists and tables of ``inner`` (a function, not a lambda: Hypothesis reads a lambda's source to see that it
    uses its argument, and warned, once in a while, that it could not)."""
    return st.lists(inner, max_size=3) | st.dictionaries(_NAMES, inner, max_size=4)


_TREES = st.recursive(st.text(max_size=12) | st.integers() | st.none(), _branches, max_leaves=12)


@settings(max_examples=40, deadline=None)
@given(data=st.dictionaries(_NAMES, _TREES, max_size=4))
def test_sealing_leaves_no_personal_text_and_opens_back_to_the_same(data: dict[str, Any]) -> None:
    from recovery_rules._journal._privacy import (  # noqa: PLC0415 - the module under test
        KeyRing,
        new_key,
        open_data,
        personal_texts,
        seal_data,
    )

    key = new_key()
    sealed = seal_data(data, "k1", key)
    if sealed is None:
        assert personal_texts(data) == []
        return
    assert personal_texts(sealed) == []
    assert open_data(sealed, KeyRing({"k1": key}), seq=1) == data
    erased = open_data(sealed, KeyRing({"k1": None}), seq=1)
    assert personal_texts(erased) == []  # every personal text is now ERASED


@pytest.mark.parametrize("rehashed", [False, True], ids=["edited", "edited-and-rehashed"])
@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_a_changed_ciphertext_is_caught_on_every_backend(name: str, rehashed: bool, tmp_path: Path) -> None:
    harness = BACKENDS[name](tmp_path)
    try:
        if isinstance(harness, MemoryHarness):
            harness._journal = MemoryJournal(encrypt_personal_data=True)
        elif isinstance(harness, SQLiteHarness):
            SQLiteJournal(harness.path, encrypt_personal_data=True).close()
        elif isinstance(harness, PostgresHarness):
            PostgresJournal(harness.dsn, schema=harness.schema, encrypt_personal_data=True).close()
        journal = harness.journal()
        assert journal.encrypts_personal_data
        case = _run_case(journal)
        stored = harness.record(2)["data"]
        data = json.loads(stored) if isinstance(stored, str) else dict(stored)
        box = data["notes"]["box"]
        data["notes"] = {**data["notes"], "box": box[:20] + ("A" if box[20] != "A" else "B") + box[21:]}
        harness.edit(2, "data", canonical_json(data).decode() if isinstance(stored, str) else data, rehashed=rehashed)
        verification = journal.verify()
        assert not verification.ok
        assert verification.first_bad == 2
        assert ("re-hashed" in str(verification.problem)) is rehashed  # the next event's link gives it away
        with pytest.raises(JournalIntegrityError) as raised:
            journal.events(case.number)  # refused on reading too: the hash, or the cipher's own tag
        assert raised.value.seq == 2
    finally:
        harness.close()


def test_a_counter_offer_keeps_the_customer_s_words_sealed_and_erasable(tmp_path: Path) -> None:
    """A counter-offer is the preferred remedy, for less: its description (and the report's copy) is personal."""
    path = tmp_path / "journal.sqlite3"
    policy = presets.ritz_carlton()
    asked = _complaint().model_copy(
        update={"requested": Remedy(kind="refund", amount=Money("3000.00", "USD"), description=WISH)}
    )
    with SQLiteJournal(path, clock=_clock, encrypt_personal_data=True) as journal:
        case = Case.open(journal, policy, asked, by="staff", now=AT)
        case.listen(now=AT + dt.timedelta(minutes=1))
        case.apologize(now=AT + dt.timedelta(minutes=2))
        case.ask_preferred_solution(now=AT + dt.timedelta(minutes=3))
        case.decide(now=AT + dt.timedelta(minutes=4))
        case.escalate(now=AT + dt.timedelta(minutes=5))
        at = AT + dt.timedelta(minutes=10)
        case.manager_approves(by="manager", amount=Money("1000.00", "USD"), now=at)
        case.deliver(now=at)
        case.decline_offer(now=at)
        case.explain_denial(by="manager", now=at)
        case.decline_alternatives(now=at)
        case.make_final_offer(now=at)
        case.decline_final_offer(now=at)
        case.write_report(now=at)
        assert case.counter_offer is not None
        assert case.counter_offer.description == WISH  # opened for the reader
        assert WISH.encode() not in _raw(path)  # sealed from the first write: the offer and the report's copy
        journal.erase_customer("10442", employee="E-0007", now=CLOCK)
        assert WISH.encode() not in _raw(path)
        erased = Case.load(journal, policy, case.number)
        assert erased.counter_offer is not None
        assert erased.counter_offer.description == ERASED
        assert erased.report is not None
        declined = erased.report["counter_offer_declined"]
        assert isinstance(declined, dict)
        assert declined["description"] == ERASED


REASON = "The suite was already promised to a wedding party for the whole weekend."


def test_the_words_to_the_customer_never_say_the_erasure_marker() -> None:
    """After erasure, the name, a manager's reason and the customer's own words read back as "[erased]" for the
    record; the words to the customer leave them out, as they leave out what was never given."""
    data = presets.ritz_carlton().model_dump(mode="json")
    data["wording"] = {"en": {"messages": {"step_restate": "So: {request} - the {remedy}. Is that correct?"}}}
    policy = Policy.model_validate(data)
    wording = Wording(policy)
    journal = MemoryJournal(clock=_clock, encrypt_personal_data=True)
    asked = _complaint().model_copy(
        update={"requested": Remedy(kind="refund", amount=Money("3000.00", "USD"), description=WISH)}
    )
    case = Case.open(journal, policy, asked, by="staff", now=AT)
    case.listen(notes=NOTES, now=AT)
    case.apologize(now=AT)
    case.ask_preferred_solution(now=AT)
    decision = case.decide(now=AT)
    case.escalate(now=AT)
    case.manager_denies(by="manager", reason=REASON, now=AT)
    before = [words.text for words in wording.say_history(case)]
    assert f"I'm so sorry, {NAME} - let's figure this out!" in before[1]
    assert f"So: {WISH} - the $3,000.00 refund." in before[3]
    assert REASON in wording.say_next(case)[0].text
    journal.erase_customer("10442", employee="E-0007", now=CLOCK)
    erased = Case.load(journal, policy, case.number)
    assert (erased.complaint.customer.name, erased.denial_reason) == (ERASED, ERASED)  # the record says so

    history = wording.say_history(erased)
    (explained,) = wording.say_next(erased)  # the manager is about to give the reason: it is gone
    erased.explain_denial(by="manager", now=CLOCK)
    said = [words.text for words in (*history, explained, *wording.say_history(erased))]
    assert not [text for text in said if ERASED in text]
    assert history[1].text.startswith("I'm so sorry - let's figure this out!\n\n")  # as with customer_name=""
    assert history[1] == wording.say_history(erased, customer_name="")[1]
    assert "So: - the $3,000.00 refund. Is that correct?" in history[3].text  # the slot left empty
    assert explained.text.startswith("I'm sorry, but we can't give you the $3,000.00 refund.\n\nBut here is")
    assert wording.say_history(erased)[-1].text == explained.text  # the reason recorded after erasure, left out
    for format in ("markdown", "html"):
        assert not [words for words in wording.say_history(erased, format=format) if ERASED in words.text]
    # The decision recorded the customer's words too; said with the erased name, neither is spoken.
    recorded = erased.decision
    assert recorded is not None
    assert recorded.remedy.description == ERASED
    assert decision.remedy.description == WISH
    told = say(recorded, policy, customer_name=erased.complaint.customer.name)
    assert ERASED not in told
    assert told.startswith("I'm so sorry - let's figure this out!")


def _resolution(events: Sequence[Event]) -> dict[str, Any]:
    """The resolution the case's decision recorded."""
    resolution = next(event for event in events if event.kind == "decided").data["resolution"]
    assert isinstance(resolution, dict)
    return resolution


def test_personal_texts_in_a_list_open_in_their_own_place_only() -> None:
    # private: no public route seals data with a known key, nor puts personal text in a list
    from recovery_rules._journal._privacy import KeyRing, new_key, open_data, seal_data  # noqa: PLC0415

    key = new_key()
    data: dict[str, Any] = {"steps": [{"notes": "the first thing said"}, {"notes": "the second thing said"}]}
    sealed = seal_data(data, "k1", key)
    assert sealed is not None
    ring = KeyRing({"k1": key})
    assert open_data(sealed, ring, seq=1) == data
    steps = sealed["steps"]
    assert isinstance(steps, list)
    steps[0], steps[1] = steps[1], steps[0]  # each sealed value moved to the other's place in the list
    with pytest.raises(JournalIntegrityError, match="does not open"):
        open_data(sealed, ring, seq=1)


def test_a_sealed_value_moved_where_no_personal_data_goes_is_refused_also_after_the_erasure() -> None:
    from recovery_rules._journal._privacy import KeyRing, open_data  # noqa: PLC0415 - the module under test

    journal = MemoryJournal(clock=_clock, encrypt_personal_data=True)
    _run_case(journal)
    sealed = json.loads(str(journal._records[0]["data"]))
    sealed["complaint"]["category"] = sealed["complaint"]["customer"]["name"]  # the sealed name, as the category
    keys = {key_id: key for key_id, (_, key) in journal._data_keys.items()}
    for ring in (KeyRing(keys), KeyRing(dict.fromkeys(keys))):  # with the key, and with it destroyed
        with pytest.raises(JournalIntegrityError, match="where no personal data goes"):
            open_data(sealed, ring, seq=1)


def test_a_second_erasure_of_a_returning_customer_is_recorded_as_its_own(backend: tuple[Any, Any]) -> None:
    _, make = backend
    journal = make()
    _run_case(journal)
    first = journal.erase_customer("10442", employee="E-0007", now=CLOCK)
    Case.open(journal, presets.ritz_carlton(), _complaint(), by="staff", now=AT + dt.timedelta(hours=2))
    later = CLOCK + dt.timedelta(hours=1)
    second = journal.erase_customer("10442", employee="E-0008", now=later)
    assert (second.erased_at, second.employee, second.keys_destroyed) == (later, "E-0008", 1)
    assert second != first
    assert make().erasure("10442") == second


def test_a_customer_with_personal_text_in_the_clear_only_after_the_first_event_is_not_erased(tmp_path: Path) -> None:
    """Every event of the customer is looked at, not the first one: here the complaint names nobody and describes
    nothing, and only the notes of the conversation, two steps later, are in the clear."""
    path = tmp_path / "journal.sqlite3"
    with SQLiteJournal(path, clock=_clock) as journal:
        complaint = Complaint(
            customer=Customer(id="10442", tier="gold"),
            category="room_not_ready",
            requested=Remedy(kind="refund", amount=Money("250.00", "USD")),
            received_at=AT,
        )
        case = Case.open(journal, presets.ritz_carlton(), complaint, by="staff", now=AT)
        case.listen(notes=NOTES, now=AT + dt.timedelta(minutes=1))
        with pytest.raises(JournalError, match="1 event"):
            journal.erase_customer("10442", now=CLOCK)
        assert journal.erasure("10442") is None
        assert journal.events(case.number)[1].data["notes"] == NOTES


def test_the_plan_b_alternatives_of_a_decision_stay_readable_after_the_erasure() -> None:
    """An alternative's description is the business's catalog wording, not the customer's: only a description
    under the complaint, the request, the remedy or an offer is personal."""
    journal = MemoryJournal(clock=_clock, encrypt_personal_data=True)
    complaint = _complaint().model_copy(
        update={"requested": Remedy(kind="refund", amount=Money("9000.00", "USD"), description=WISH)}
    )
    case = Case.open(journal, presets.ritz_carlton(), complaint, by="staff", now=AT)
    case.listen(notes=NOTES, now=AT + dt.timedelta(minutes=1))
    case.apologize(notes=APOLOGY, now=AT + dt.timedelta(minutes=2))
    case.ask_preferred_solution(now=AT + dt.timedelta(minutes=3))
    case.decide(now=AT + dt.timedelta(minutes=4))
    alternatives = _resolution(case.history)["alternatives"]
    assert isinstance(alternatives, list)
    assert alternatives
    assert all(WISH not in json.dumps(item) for item in alternatives)
    journal.erase_customer("10442", now=CLOCK)
    after = _resolution(journal.events(case.number))
    assert after["alternatives"] == alternatives
    assert after["remedy"]["description"] == ERASED  # the customer's words, erased


@pytest.mark.parametrize("name", ["memory", "sqlite"])
def test_a_failed_step_after_an_erasure_leaves_nothing_new_to_erase(name: str, tmp_path: Path) -> None:
    """A step of an erased customer that is refused (here: another writer was first) writes nothing, not even the
    data key it would have sealed with: erasing again returns the earlier record."""
    journal: Journal = (
        MemoryJournal(clock=_clock, encrypt_personal_data=True)
        if name == "memory"
        else SQLiteJournal(tmp_path / "journal.sqlite3", clock=_clock, encrypt_personal_data=True)
    )
    with journal:
        case = _run_case(journal)
        first = journal.erase_customer("10442", employee="E-0007", now=CLOCK)
        late = Draft(kind="noted", state="noted", actor="staff", at=CLOCK, data={"notes": NOTES})
        with pytest.raises(StaleCaseError):
            journal.append(case.number, late, expected_version=3, key="late-note", request={})
        assert journal.version(case.number) == 8
        assert journal.erase_customer("10442", employee="E-0008", now=CLOCK + dt.timedelta(hours=1)) == first


def test_a_request_digest_is_keyed_with_a_subkey_of_its_own_use() -> None:
    """The stored digest of a request is HMAC-SHA256 under a subkey derived from the data key for this use alone
    (never the data key itself), and stays so: journals written before compare their replays with it. Private:
    no public route reaches it with a known data key (each journal draws its own)."""
    from recovery_rules._journal._privacy import keyed_digest  # noqa: PLC0415 - the module under test

    key = bytes(range(32))
    plain = hashlib.sha256(b'{"step":"listen"}').hexdigest()
    subkey = hmac.new(key, b"recovery-rules request digest", hashlib.sha256).digest()
    expected = hmac.new(subkey, bytes.fromhex(plain), hashlib.sha256).hexdigest()
    assert keyed_digest(key, plain) == expected
    assert expected == "e54bfaa3be5389af352ffb70d1627ded2de2dc081508af801de6bae31f2ba809"
    assert keyed_digest(key, plain) != hmac.new(key, bytes.fromhex(plain), hashlib.sha256).hexdigest()


def test_a_case_held_across_an_erasure_does_not_write_the_erased_words_back() -> None:
    journal = MemoryJournal(encrypt_personal_data=True, clock=_clock)
    case = Case.open(journal, presets.ritz_carlton(), _complaint(), by="staff", now=AT)
    case.listen(now=AT)
    case.apologize(now=AT)
    journal.erase_customer("10442", employee="E-0042")
    case.ask_preferred_solution(now=AT)  # the handle a request loaded before the erasure
    case.decide(now=AT)
    stored = repr([event.data for event in journal.events(case.number)])
    assert WISH not in stored
