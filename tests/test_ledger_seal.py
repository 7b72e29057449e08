"""Sealed ledger heads (``ledger_key=``): the ledger counts from heads the key seals, and refuses any other.

The promise of a sealed ledger: whoever can write the journal's database but does not know the key cannot make
the ledger count less than the guest's grants, not even by rewriting a grant row and recomputing its hash (which an
unsealed ledger, checking hashes anyone can compute, takes as written). A head edited, swapped, rewound, copied
from another guest, stripped of its seal or sealed with another key is refused; an edited grant row no longer
changes what is counted, and :meth:`Journal.verify` finds it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from recovery_rules import (
    BulkEntry,
    Case,
    ChainHead,
    ComplaintNumber,
    Draft,
    InvalidInputError,
    Journal,
    JournalError,
    JournalIntegrityError,
    MemoryJournal,
    Money,
    Outcome,
    PostgresJournal,
    SQLiteJournal,
    presets,
)
from recovery_rules._journal import _base

from . import _postgres
from ._helpers import examples
from ._journal_backends import BACKENDS, LEDGER_KEY, SEALED, Harness, PostgresHarness, SQLiteHarness, rehash
from ._journal_layouts import CASE_COLUMNS, COLUMNS_FORMAT_2, TABLES_FORMAT_2
from ._ledger_scenario import (
    CASES,
    GUEST,
    T0,
    WINDOWS,
    Grant,
    append,
    check_no_tampering_counts_less,
    histories,
    ledger,
    naive,
    nows,
    park_case,
    tamper,
)

DATA = Path(__file__).parent / "data"
SCHEMA_3 = DATA / "journal-schema-3.sqlite3"  # written by data/make_journal_schema_3.py, with the release before
SCHEMA_3_HEAD = ChainHead.parse("40:5ef5e798d8f74fdf45f00502360c824052680375e8f79fce8e331a1e40980ecf")
NOW = T0 + dt.timedelta(hours=1)
INCIDENT = str(CASES["first"])
EARLIER = str(CASES["second"])


@pytest.fixture(params=sorted(SEALED))
def sealed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    harness = SEALED[request.param](tmp_path)
    yield harness
    harness.close()


def two_grants(harness: Harness) -> Journal:
    """$100 then $50 for the guest, the first case (one incident); the ledger read once."""
    journal = harness.journal()
    append(journal, Grant("first", 0, "100.00"))
    append(journal, Grant("first", 30, "50.00"))
    assert ledger(journal, "day", NOW) == Money("150.00", "USD")
    return journal


# -- a sealed ledger counts what an unsealed one counts ----------------------------------------------------------


@pytest.mark.slow
@settings(max_examples=examples(40), deadline=None)
@given(history=histories, window=st.sampled_from(list(WINDOWS)), now=nows, case=st.sampled_from(["first", "second"]))
def test_a_sealed_ledger_counts_what_its_window_means(
    history: list[Grant], window: str, now: dt.datetime, case: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name in ("memory", "sqlite"):
            (Path(folder) / name).mkdir()
            harness = SEALED[name](Path(folder) / name)
            try:
                journal = harness.journal()
                for grant in history:
                    append(journal, grant)
                assert journal.ledger_sealed
                assert ledger(journal, window, now, case) == naive(journal, window, now, case)
                assert ledger(harness.journal(), window, now, case) == naive(journal, window, now, case)
            finally:
                harness.close()


def test_every_head_of_a_sealed_journal_carries_its_grant_and_a_seal(sealed: Harness) -> None:
    two_grants(sealed)
    guest, incident = sealed.head("guest", GUEST), sealed.head("incident", INCIDENT)
    assert guest is not None
    assert incident is not None
    seq, hash_, amount, currency, text, seal = guest
    assert (amount, currency) == ("50.00", "USD")
    assert isinstance(text, str)
    assert '"total":"150.00"' in text
    assert isinstance(seal, str)
    assert len(seal) == 64
    assert incident == guest  # the same grant, the same seal: whose heads they are is in the sealed entry
    assert (seq, hash_) == (4, sealed.record(4)["hash"])


# -- tampering: heads refused, rows no longer counted --------------------------------------------------------------

HEAD_TAMPERINGS: dict[str, Callable[[Harness], None]] = {
    "head's totals lowered, seal kept": lambda h: _edit_head(h, 4, lambda t: t.replace('"150.00"', '"0.01"')),
    "head's amount changed, seal kept": lambda h: _edit_head(h, 2, lambda _: "0.01"),
    "head's seal removed": lambda h: _edit_head(h, 5, lambda _: None),
    "head's seal taken from the guest's earlier grant": lambda h: _edit_head(h, 5, lambda _: h.earlier[5]),  # type: ignore[attr-defined]
    "head sealed with another key": lambda h: _reseal(h, secrets.token_bytes(32)),
    "head rewound to the earlier sealed head": lambda h: h.set_head("guest", GUEST, h.earlier),  # type: ignore[attr-defined]
    "head of another guest copied": lambda h: h.set_head("guest", GUEST, _head(h, "guest", "555")),
    "head of an earlier incident copied": lambda h: h.set_head("guest", GUEST, _head(h, "incident", EARLIER)),
    "head's seq moved to the other guest's grant": lambda h: _edit_head(h, 0, lambda _: 6),
}


def _head(harness: Harness, scope: str, key: str) -> tuple[object, ...]:
    head = harness.head(scope, key)
    assert head is not None
    return head


def _edit_head(harness: Harness, column: int, change: Callable[[Any], object]) -> None:
    head = list(_head(harness, "guest", GUEST))
    head[column] = change(head[column])
    harness.set_head("guest", GUEST, tuple(head))


def _reseal(harness: Harness, key: bytes) -> None:
    from recovery_rules._journal._seal import sealed_head  # noqa: PLC0415 - what a tamperer with a key would run
    from recovery_rules._journal._store import LedgerHead  # noqa: PLC0415 - as above

    head = LedgerHead(*_head(harness, "guest", GUEST))  # type: ignore[arg-type]  # the stored columns
    harness.set_head("guest", GUEST, tuple(sealed_head(key, head._replace(seal=None))))


@pytest.mark.parametrize("how", list(HEAD_TAMPERINGS))
def test_a_tampered_sealed_head_is_refused(sealed: Harness, how: str) -> None:
    journal = sealed.journal()
    append(journal, Grant("second", 0, "100.00"))  # the guest's second case: an incident of its own
    sealed.earlier = _head(sealed, "guest", GUEST)  # type: ignore[attr-defined]  # kept for the rewinding
    append(journal, Grant("first", 30, "50.00"))
    append(journal, Grant("other guest", 40, "25.00"))
    assert ledger(journal, "day", NOW) == Money("150.00", "USD")
    HEAD_TAMPERINGS[how](sealed)
    for reader in (sealed.journal(), journal):  # a new journal object, and the one whose memo saw the head
        with pytest.raises(JournalIntegrityError):
            ledger(reader, "day", NOW)


REWRITES = ("amount lowered", "running total lowered", "row deleted", "grant set to NULL", "customer index changed")


@pytest.mark.parametrize("how", REWRITES)
def test_a_rewritten_latest_grant_no_longer_changes_what_a_sealed_ledger_counts(sealed: Harness, how: str) -> None:
    """A grant row rewritten with its hash recomputed, and its heads pointed at it (the unsealed ledger's blind
    spot): the sealed ledger counts from its heads as before, and verify() finds the rewrite."""
    journal = two_grants(sealed)
    head_before = _head(sealed, "guest", GUEST)
    tamper(sealed, journal, how, pick=1)
    if how != "row deleted":
        record = sealed.record(4)
        record["hash"] = rehash(record)
        sealed.put(4, record)
    for reader in (sealed.journal(), journal):
        try:
            counted = ledger(reader, "day", NOW)
        except JournalIntegrityError:
            continue  # refused: a row the ledger reads through its indexes still says something is wrong
        assert counted == Money("150.00", "USD")
    assert _head(sealed, "guest", GUEST) == head_before
    assert not sealed.journal().verify(expected_head=ChainHead(count=4, hash=str(head_before[1]))).ok


def test_an_unsealed_ledger_counts_less_after_a_rewrite_with_recomputed_hashes(tmp_path: Path) -> None:
    """Why a key: without one, a rewritten grant given its new hash (and its heads that hash) counts as written."""
    harness = BACKENDS["sqlite"](tmp_path)
    try:
        two_grants(harness)
        record = harness.record(4)
        body = record["ledger"]
        record["grant"] = {"amount": "0.01", "currency": "USD"}
        record["ledger"] = body.replace('"total":"150.00"', '"total":"100.01"')
        record["hash"] = rehash(record)
        harness.put(4, record)
        for scope, key in (("guest", GUEST), ("incident", INCIDENT)):
            harness.set_head(scope, key, (4, record["hash"]))
        assert ledger(harness.journal(), "day", NOW) == Money("100.01", "USD")  # less than the $150 granted
    finally:
        harness.close()


def _window_start_raised(harness: Harness) -> Journal:
    """$100 at noon, $50 seven hours later, the six-hour window read at 19:10 after noon; then the first grant (the
    last before the window) rewritten to say $140, its running totals too, its own hash computed again (no head,
    no other row touched): the window would count $150 - $140 = $10 of the $50 granted in it."""
    journal = harness.journal()
    append(journal, Grant("first", 0, "100.00"))
    append(journal, Grant("first", 7 * 60, "50.00"))
    assert ledger(journal, "6 hours", T0 + dt.timedelta(hours=7, minutes=10)) == Money("50.00", "USD")
    record = harness.record(2)
    record["grant"] = {"amount": "140.00", "currency": "USD"}
    record["ledger"] = record["ledger"].replace('"total":"100.00"', '"total":"140.00"')
    record["hash"] = rehash(record)
    harness.put(2, record)
    return journal


def test_a_sealed_ledger_refuses_the_grant_before_a_window_rewritten_with_its_hash_computed_again(
    sealed: Harness,
) -> None:
    """The grant a window's total starts from is read through the ledger's time index: on a sealed journal it must
    match its own sealed head (audit of 2026-12-06: it was only checked against its own, recomputed, hash)."""
    journal = _window_start_raised(sealed)
    for reader in (sealed.journal(), journal):
        with pytest.raises(JournalIntegrityError, match="not the grant the ledger sealed"):
            ledger(reader, "6 hours", T0 + dt.timedelta(hours=7, minutes=10))
    assert ledger(sealed.journal(), "incident", NOW) == Money("150.00", "USD")  # read from the sealed head
    assert not sealed.journal().verify().ok  # the chain no longer links


def test_an_unsealed_ledger_counts_less_after_the_grant_before_a_window_is_rewritten(tmp_path: Path) -> None:
    """Why a key, again: without one, the grant before the window rewritten with larger totals and its hash
    computed again counts as written (verify() finds it: the chain no longer links)."""
    harness = BACKENDS["sqlite"](tmp_path)
    try:
        _window_start_raised(harness)
        assert ledger(harness.journal(), "6 hours", T0 + dt.timedelta(hours=7, minutes=10)) == Money("10.00", "USD")
        assert not harness.journal().verify().ok
    finally:
        harness.close()


def test_seal_ledger_seals_every_grant_and_a_sealed_window_start_is_checked_against_it(tmp_path: Path) -> None:
    """A journal sealed after its grants were written gets each grant's own seal too, so the rewrite above is
    refused there as well."""
    harness = BACKENDS["sqlite"](tmp_path)
    try:
        journal = harness.journal()
        append(journal, Grant("first", 0, "100.00"))
        append(journal, Grant("first", 7 * 60, "50.00"))
        journal.seal_ledger(LEDGER_KEY)
        assert {key for scope, key, *_ in _heads(harness) if scope == "grant"} == {"2", "4"}
        record = harness.record(2)
        record["ledger"] = record["ledger"].replace('"total":"100.00"', '"total":"140.00"')
        record["hash"] = rehash(record)
        harness.put(2, record)
        with pytest.raises(JournalIntegrityError):
            ledger(keyed(harness), "6 hours", T0 + dt.timedelta(hours=7, minutes=10))
    finally:
        harness.close()


def _heads(harness: Harness) -> list[tuple[object, ...]]:
    assert isinstance(harness, SQLiteHarness)
    with contextlib.closing(sqlite3.connect(harness.path)) as connection:
        return list(connection.execute("SELECT scope, key, seq FROM ledger_heads"))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["sqlite", "postgres"])
def test_no_tampering_with_one_row_makes_a_sealed_ledger_count_less(name: str) -> None:
    check_no_tampering_counts_less(SEALED[name], examples(40 if name == "sqlite" else 15))


# -- the key: given once, checked at every open -------------------------------------------------------------------


@pytest.mark.parametrize("key", ["a text secret of more than 32 characters", b"short", 42, bytearray(8)])
def test_a_ledger_key_that_is_not_32_bytes_or_more_is_refused_before_anything_is_written(
    tmp_path: Path, key: object
) -> None:
    path = tmp_path / "journal.sqlite3"
    with pytest.raises(InvalidInputError, match="ledger_key"):
        SQLiteJournal(path, ledger_key=key)  # type: ignore[arg-type]  # what a caller might pass
    assert not path.exists()
    with pytest.raises(InvalidInputError, match="ledger_key"):
        MemoryJournal(ledger_key=key)  # type: ignore[arg-type]  # as above


def test_a_sealed_journal_refuses_another_key_and_grants_only_with_its_own(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with SQLiteJournal(path, ledger_key=LEDGER_KEY) as journal:
        append(journal, Grant("first", 0, "100.00"))
    with pytest.raises(JournalError, match="not the key this journal's ledger was sealed with"):
        SQLiteJournal(path, ledger_key=secrets.token_bytes(32))
    with SQLiteJournal(path) as keyless:
        assert keyless.ledger_sealed
        assert ledger(keyless, "day", NOW) == Money("100.00", "USD")  # reading needs no key
        assert keyless.verify().ok
        number = CASES["first"]
        note = Draft(kind="noted", state="noted", actor="staff", at=T0 + dt.timedelta(minutes=5))
        keyless.append(number, note, expected_version=2, key="note", request={})  # no grant: recorded
        grant = Draft(kind="granted", state="granted", actor="staff", at=T0, grant=Money("5.00", "USD"))
        with pytest.raises(JournalError, match="open it with its ledger_key to record a grant"):
            keyless.append(number, grant, expected_version=3, key="grant", request={})
        assert keyless.head().count == 3  # the refused grant left nothing
    with SQLiteJournal(path, ledger_key=LEDGER_KEY) as journal:
        append(journal, Grant("second", 10, "20.00"))
        assert ledger(journal, "day", NOW) == Money("120.00", "USD")


def test_a_new_journal_is_sealed_by_its_first_open_with_a_key_and_an_unsealed_one_is_not(tmp_path: Path) -> None:
    with SQLiteJournal(tmp_path / "plain.sqlite3") as plain:
        assert not plain.ledger_sealed
    with SQLiteJournal(tmp_path / "plain.sqlite3", ledger_key=LEDGER_KEY) as now_sealed:  # no grants yet
        assert now_sealed.ledger_sealed
    with MemoryJournal() as memory:
        assert not memory.ledger_sealed


# -- sealing a journal that already records grants ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_seal_ledger_seals_every_head_after_checking_the_journal(tmp_path: Path, name: str) -> None:
    harness = BACKENDS[name](tmp_path)
    try:
        journal = harness.journal()
        for grant in (Grant("first", 0, "100.00"), Grant("follow-up", 20, "30.00"), Grant("other guest", 5, "9.00")):
            append(journal, grant)
        before = {window: ledger(journal, window, NOW) for window in WINDOWS}
        if name != "memory":
            with pytest.raises(JournalError, match=r"seal_ledger\(ledger_key\)"):
                keyed(harness)
        assert journal.seal_ledger(LEDGER_KEY, expected_head=journal.head()) == 4  # two guests, two incidents
        assert journal.ledger_sealed
        assert journal.seal_ledger(LEDGER_KEY) == 0  # sealed already: nothing to do
        with pytest.raises(JournalError, match="not the key"):
            journal.seal_ledger(secrets.token_bytes(32))
        assert _head(harness, "guest", GUEST)[5] is not None
        assert _head(harness, "guest", "555")[5] is not None
        readers = [journal] if name == "memory" else [journal, keyed(harness), harness.journal()]  # the last: no key
        for reader in readers:
            assert reader.ledger_sealed
            assert {window: ledger(reader, window, NOW) for window in WINDOWS} == before
        append(journal, Grant("first", 40, "1.00"))
        assert ledger(journal, "day", NOW) == before["day"] + Money("1.00", "USD")
    finally:
        harness.close()


def keyed(harness: Harness) -> Journal:
    """A journal over ``harness``'s storage, opened with the ledger key (closed with the harness)."""
    return keyed_with(harness, LEDGER_KEY)


def keyed_with(harness: Harness, key: bytes) -> Journal:
    """A journal over ``harness``'s storage, opened with ``key`` (closed with the harness)."""
    if isinstance(harness, SQLiteHarness):
        journal: Journal = SQLiteJournal(harness.path, ledger_key=key)
    else:
        assert isinstance(harness, PostgresHarness)
        journal = PostgresJournal(harness.dsn, schema=harness.schema, ledger_key=key)
    harness._journals.append(journal)  # type: ignore[arg-type]  # of the harness's own kind
    return journal


def test_seal_ledger_refuses_a_tampered_journal_and_writes_nothing(tmp_path: Path) -> None:
    harness = BACKENDS["sqlite"](tmp_path)
    try:
        journal = two_grants(harness)
        harness.edit(2, "data", '{"note":"edited"}')  # an event before the grants, edited
        with pytest.raises(JournalIntegrityError):
            journal.seal_ledger(LEDGER_KEY)
        assert not journal.ledger_sealed
        assert _head(harness, "guest", GUEST)[5] is None
        with pytest.raises(JournalError, match="not sealed yet"):
            keyed(harness)
    finally:
        harness.close()


@pytest.mark.parametrize("first_unsealed", [False, True], ids=["every-seal-kept", "first-head-unsealed-too"])
@pytest.mark.parametrize("name", ["sqlite", "postgres"])
def test_a_sealed_journal_whose_key_check_was_removed_is_refused_and_never_sealed_again(
    tmp_path: Path, name: str, first_unsealed: bool
) -> None:
    """Removing the key check does not make a sealed journal an unsealed one: its heads still carry seals. It
    records no grant without the key, is refused with it, fails verify(), and seal_ledger() will not bless it.
    Opening looks at the first head only; verify() looks at them all, so it finds the first one unsealed too."""
    harness = SEALED[name](tmp_path)
    try:
        two_grants(harness)
        harness.remove_key_check()  # type: ignore[attr-defined]  # the SQL backends' harnesses have it
        if first_unsealed:  # the first head by scope and key: the first grant's own seal
            harness.set_head("grant", "2", (*_head(harness, "grant", "2")[:5], None))
        heads = _head(harness, "guest", GUEST), _head(harness, "incident", INCIDENT)
        with pytest.raises(JournalIntegrityError, match="no key check"):
            harness.journal()  # with the key
        harness.ledger_key = None  # type: ignore[attr-defined]  # opened without it from now on
        journal = harness.journal()
        assert journal.ledger_sealed != first_unsealed  # the first head tells at once, when it is sealed
        checked = journal.verify()
        assert journal.ledger_sealed  # ... and the check, in any case
        first = 4 if first_unsealed else 2  # the first grant sealed: the second, when the first's seal is gone
        assert (checked.ok, checked.first_bad, checked.count) == (False, first, first - 1)
        assert "no key check" in str(checked.problem)
        assert journal.verify(resume_from=checked.head).first_bad == first
        with pytest.raises(JournalError, match="sealed"):
            append(journal, Grant("first", 40, "10.00"))
        with pytest.raises(JournalIntegrityError, match="no key check"):
            journal.seal_ledger(LEDGER_KEY)
        assert (_head(harness, "guest", GUEST), _head(harness, "incident", INCIDENT)) == heads  # nothing written
        with pytest.raises(JournalIntegrityError):
            harness.journal().seal_ledger(secrets.token_bytes(32))  # nor with another key
    finally:
        harness.close()


def test_seal_ledger_against_a_saved_head_refuses_a_cut_tail(tmp_path: Path) -> None:
    harness = BACKENDS["sqlite"](tmp_path)
    try:
        journal = two_grants(harness)
        saved = journal.head()
        harness.delete(4)
        harness.set_head("guest", GUEST, (2, harness.record(2)["hash"]))
        harness.set_head("incident", INCIDENT, (2, harness.record(2)["hash"]))
        with pytest.raises(JournalIntegrityError):
            journal.seal_ledger(LEDGER_KEY, expected_head=saved)
        assert not journal.ledger_sealed
    finally:
        harness.close()


@pytest.mark.parametrize("rotate", [False, True], ids=["seal", "rotate"])
def test_sealing_resumed_from_a_saved_head_checks_only_what_came_after_it(tmp_path: Path, rotate: bool) -> None:
    """``resume_from``: the events before a head an earlier check saved are taken as it found them (an edit
    there is not looked at again); one after it, or a head the journal no longer holds, is refused."""
    harness = BACKENDS["sqlite"](tmp_path)
    try:
        journal = two_grants(harness)
        if rotate:
            journal.seal_ledger(LEDGER_KEY)
        saved = journal.verify().head  # the 4 events of the two grants' case
        _note(journal, 40)  # event 5, after the saved head
        original = harness.record(5)["actor"]
        call = journal.rotate_ledger_key if rotate else journal.seal_ledger
        key = secrets.token_bytes(32) if rotate else LEDGER_KEY
        harness.edit(1, "actor", "mallory")  # before the saved head: the earlier check vouched for it
        assert not journal.verify().ok
        harness.edit(5, "actor", "mallory")  # after it: checked, and refused
        with pytest.raises(JournalIntegrityError) as caught:
            call(key, resume_from=saved)
        assert caught.value.seq == 5
        with pytest.raises(JournalIntegrityError, match="not the event the saved head names"):
            call(key, resume_from=ChainHead(count=saved.count, hash="f" * 64))
        harness.edit(5, "actor", original)  # put back: only the edit before the head is left
        assert call(key, resume_from=saved) == 2
        assert journal.ledger_sealed
    finally:
        harness.close()


# -- the bulk path, and the case workflow -------------------------------------------------------------------------


def test_append_many_seals_the_heads_of_its_grants(tmp_path: Path) -> None:
    with SQLiteJournal(tmp_path / "journal.sqlite3", ledger_key=LEDGER_KEY) as journal:
        number = CASES["first"]
        entries = [
            BulkEntry(
                number,
                Draft(
                    kind="granted",
                    state="granted",
                    actor="staff",
                    at=T0 + dt.timedelta(minutes=i),
                    grant=Money(amount, "USD"),
                ),
                key=f"bulk-{i}",
                request={},
            )
            for i, amount in enumerate(["10.00", "20.00", "30.00"])
        ]
        journal.append_many(entries, per_transaction=2)
        assert ledger(journal, "day", NOW) == Money("60.00", "USD")
    with SQLiteJournal(tmp_path / "journal.sqlite3", ledger_key=LEDGER_KEY) as reader:
        assert ledger(reader, "day", NOW) == Money("60.00", "USD")
    with contextlib.closing(sqlite3.connect(tmp_path / "journal.sqlite3")) as connection:
        seals = connection.execute(
            "SELECT scope, seq, grant_amount, seal IS NOT NULL FROM ledger_heads ORDER BY 1, 2"
        ).fetchall()
    assert seals == [  # each grant's own seal, and the guest's and the incident's latest
        ("grant", 1, "10.00", 1),
        ("grant", 2, "20.00", 1),
        ("grant", 3, "30.00", 1),
        ("guest", 3, "30.00", 1),
        ("incident", 3, "30.00", 1),
    ]


def test_the_red_teams_edits_leave_a_sealed_journal_counting_the_first_150(sealed: Harness) -> None:
    """The theme park, $150 a guest a day: the approved grant rewritten to $0.01 with its hash recomputed. A
    sealed journal still counts the $150, so the second $150 escalates."""
    now = dt.datetime(2026, 11, 20, 18, 0, tzinfo=dt.UTC)
    journal = sealed.journal()
    first = park_case(journal, "G7", now)
    assert first.decide(now=now).outcome is Outcome.APPROVED
    granted = next(event.seq for event in first.history if event.grant is not None)
    saved = journal.head()  # the grant is the latest event: only a head saved before finds its rewrite
    record = sealed.record(granted)
    record["grant"] = {"amount": "0.01", "currency": "USD"}
    record["hash"] = rehash(record)
    sealed.put(granted, record)
    later = now + dt.timedelta(minutes=10)
    second = park_case(sealed.journal(), "G7", later)
    assert second.decide(now=later).outcome is Outcome.ESCALATED
    assert not sealed.journal().verify(expected_head=saved).ok


# -- a journal written by the release before (schema 3): upgraded, then sealed ---------------------------------------


def schema_3_rows(table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    assert SCHEMA_3.is_file(), f"{SCHEMA_3} is missing: it is committed with the tests"
    with contextlib.closing(sqlite3.connect(f"{SCHEMA_3.as_uri()}?mode=ro&immutable=1", uri=True)) as connection:
        return connection.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()


def test_the_schema_3_fixture_was_written_by_the_release_before() -> None:
    with contextlib.closing(sqlite3.connect(f"{SCHEMA_3.as_uri()}?mode=ro&immutable=1", uri=True)) as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (3,)
        heads = connection.execute("SELECT * FROM ledger_heads").fetchall()
    assert heads
    assert all(len(row) == 4 for row in heads)  # scope, key, seq, hash: no seals


@pytest.fixture(params=["sqlite", "postgres"])
def opened_schema_3(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Journal]]:
    """Opens the journal of schema 3 (upgraded on first open) with the current release, as often as asked."""
    journals: list[Journal] = []
    if request.param == "sqlite":
        path = tmp_path / "journal.sqlite3"
        shutil.copy(SCHEMA_3, path)

        def open_sqlite(**options: Any) -> Journal:
            journals.append(SQLiteJournal(path, **options))
            return journals[-1]

        yield open_sqlite
    else:
        yield from _postgres_schema_3(journals)
    for journal in journals:
        journal.close()


def _postgres_schema_3(journals: list[Journal]) -> Iterator[Callable[..., Journal]]:
    import psycopg  # noqa: PLC0415 - the postgres extra; dsn() skips (fails in CI) without a server

    dsn, schema = _postgres.dsn(), _postgres.new_schema()
    legacy_until = schema_3_rows("journal_settings", ["value"])[0][0]
    columns = {
        "events": [*COLUMNS_FORMAT_2, "employee", "policy_revision"],
        "ledger_heads": ["scope", "key", "seq", "hash"],
    }
    columns["cases"] = CASE_COLUMNS
    with psycopg.connect(dsn, autocommit=True) as connection, connection.transaction():
        connection.execute(f'CREATE SCHEMA "{schema}"')
        for statement in TABLES_FORMAT_2.format(s=f'"{schema}"').split(";"):  # schema 3: schema 2's two columns added
            connection.execute(statement)
        who = 'ADD COLUMN employee text COLLATE "C", ADD COLUMN policy_revision text COLLATE "C"'
        connection.execute(f'ALTER TABLE "{schema}".events {who}')
        connection.execute(
            f'INSERT INTO "{schema}".journal (application, format, legacy_until) VALUES (%s, 3, %s)',
            ("recovery-rules journal", legacy_until),
        )
        for table, names in columns.items():
            marks = ", ".join(["%s"] * len(names))
            for row in schema_3_rows(table, names):
                connection.execute(f'INSERT INTO "{schema}".{table} ({", ".join(names)}) VALUES ({marks})', row)

    def open_postgres(**options: Any) -> Journal:
        journals.append(PostgresJournal(dsn, schema=schema, **options))
        return journals[-1]

    yield open_postgres
    for journal in journals:
        journal.close()
    journals.clear()
    _postgres.drop_schema(dsn, schema)


def test_a_journal_of_schema_3_opens_upgraded_and_is_sealed_by_seal_ledger(
    opened_schema_3: Callable[..., Journal],
) -> None:
    journal = opened_schema_3()
    assert not journal.ledger_sealed
    assert journal.verify(expected_head=SCHEMA_3_HEAD).ok  # the head saved before the upgrade still holds
    number = ComplaintNumber.parse("20261123-10442")
    policy = presets.theme_park()
    later = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)

    def day() -> Money:
        return journal.granted(number, window=policy.window, timezone=policy.timezone, currency="USD", now=later)

    assert day() == Money("340.00", "USD")  # $150 + $40 of format 1, $100 of format 2, $50 of format 3
    with pytest.raises(JournalError, match="not sealed yet"):
        opened_schema_3(ledger_key=LEDGER_KEY)
    assert journal.seal_ledger(LEDGER_KEY, expected_head=SCHEMA_3_HEAD) >= 2
    keyed = opened_schema_3(ledger_key=LEDGER_KEY)
    assert keyed.ledger_sealed
    journal = keyed
    assert day() == Money("340.00", "USD")
    case = Case.load(keyed, policy, "20261123-10442/4")
    assert case.granted == Money("50.00", "USD")
    assert keyed.verify(expected_head=SCHEMA_3_HEAD).ok


# -- verify(): a sealed journal's heads are checked too ----------------------------------------------------------


def _rewrite_tail(harness: Harness, seq: int, last: int, change: Callable[[dict[str, Any]], None]) -> None:
    """Change event ``seq`` and give it and every event after it, to ``last``, the hashes of a chain written so
    (and the table of cases the entries of such a chain: it names each case's latest event by its hash)."""
    prev = harness.record(seq - 1)["hash"] if seq > 1 else "0" * 64
    for position in range(seq, last + 1):
        record = harness.record(position)
        if position == seq:
            change(record)
        record["prev"] = prev
        record["hash"] = prev = rehash(record)
        harness.put(position, record)
    harness.rewrite_cases(after=seq - 1)


def _lower_the_grant(record: dict[str, Any]) -> None:
    record["grant"] = {"amount": "0.01", "currency": "USD"}


def _note(journal: Journal, minutes: int) -> None:
    number = CASES["other guest"]
    version = journal.version(number)
    at = T0 + dt.timedelta(minutes=minutes)
    note = Draft(kind="noted", state="noted", actor="staff", at=at)
    journal.append(number, note, expected_version=version, key=f"note-{version}", request={})


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_verify_finds_a_tail_rewritten_with_its_hashes_computed_again_through_the_sealed_heads(name: str) -> None:
    """The chain alone cannot see a tail rewritten with every hash computed again (without a saved head); a
    sealed head still names the grant as it was, so verify() finds the first one that no longer matches."""
    with tempfile.TemporaryDirectory() as folder:
        plain, sealed = BACKENDS[name](Path(folder) / "plain"), SEALED[name](Path(folder) / "sealed")
        for harness in (plain, sealed):
            (Path(folder) / ("plain" if harness is plain else "sealed")).mkdir(exist_ok=True)
        try:
            for harness in (plain, sealed):
                journal = two_grants(harness)
                _note(journal, 40)
                _note(journal, 50)  # the tail: the guest's latest grant (4), then two notes (5, 6)
                assert journal.verify().ok
                _rewrite_tail(harness, 4, 6, _lower_the_grant)
            unsealed = plain.journal().verify()  # the chain is whole, but the heads name the grant's old hash ...
            assert (unsealed.ok, unsealed.first_bad) == (False, 4)
            assert "the ledger's head of that guest or incident does not name it" in str(unsealed.problem)
            plain.rewrite_heads()  # ... which an unsealed journal's heads let anyone who can write them hide
            assert plain.journal().verify().ok  # then only a saved head would tell
            checked = sealed.journal().verify()
            assert not checked.ok
            assert (checked.first_bad, checked.count) == (4, 3)
            assert checked.head == ChainHead(count=3, hash=str(sealed.record(3)["hash"]))
            assert checked.problem is not None
            assert "sealed ledger head" in checked.problem
            assert sealed.journal().verify(resume_from=checked.head).first_bad == 4  # resumed before it: found too
        finally:
            plain.close()
            sealed.close()


def test_verify_of_a_sealed_journal_finds_a_moved_head_and_a_cut_tail(tmp_path: Path) -> None:
    harness = SEALED["sqlite"](tmp_path)
    try:
        journal = two_grants(harness)
        append(journal, Grant("other guest", 35, "25.00"))  # events 5 and 6
        assert journal.verify().ok
        other = _head(harness, "guest", "555")
        mine = _head(harness, "guest", GUEST)
        harness.set_head("guest", GUEST, other)  # another guest's head in this guest's place
        checked = harness.journal().verify()
        assert (checked.ok, checked.first_bad) == (False, 6)
        assert "names another's grant" in str(checked.problem)
        harness.set_head("guest", GUEST, mine)
        assert harness.journal().verify().ok
        harness.delete(6)
        harness.delete(5)  # the tail cut off: the other guest's heads name a grant no longer there
        checked = harness.journal().verify()
        assert (checked.ok, checked.first_bad, checked.count) == (False, 5, 4)
        assert "tail was cut off" in str(checked.problem)
        assert (
            harness.journal().verify(resume_from=ChainHead(count=4, hash=str(harness.record(4)["hash"]))).first_bad == 5
        )
    finally:
        harness.close()


def test_verify_without_the_key_checks_where_the_heads_point_not_their_seals(tmp_path: Path) -> None:
    harness = SEALED["sqlite"](tmp_path)
    try:
        journal = two_grants(harness)
        sealed = _head(harness, "guest", GUEST)
        harness.set_head("guest", GUEST, (2, "f" * 64))  # a head naming a grant that is not there, unsealed
        assert not journal.verify().ok  # with the key: the head names no such grant
        with SQLiteJournal(harness.path) as keyless:  # type: ignore[attr-defined]  # a SQLiteHarness
            checked = keyless.verify()  # without it too: each head must name its guest's latest grant
            assert (checked.ok, checked.first_bad) == (False, 4)  # the guest's latest grant, its head naming 2
            assert "the ledger refuses every decision for that guest" in str(checked.problem)
        harness.set_head("guest", GUEST, (*sealed[:2], "0.01", *sealed[3:]))  # the sealed amount lowered
        assert not journal.verify().ok  # with the key: its seal no longer matches
        with SQLiteJournal(harness.path) as keyless:  # type: ignore[attr-defined]  # as above
            assert keyless.verify().ok  # the head still names the latest grant; only the key checks its seal
    finally:
        harness.close()


# -- a new key -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SEALED))
def test_rotate_ledger_key_seals_every_head_with_the_new_key(tmp_path: Path, name: str) -> None:
    harness = SEALED[name](tmp_path)
    try:
        journal = two_grants(harness)
        append(journal, Grant("other guest", 35, "25.00"))
        before = {window: ledger(journal, window, NOW) for window in WINDOWS}
        seals = _head(harness, "guest", GUEST)[5]
        new_key = secrets.token_bytes(32)
        assert journal.rotate_ledger_key(new_key, expected_head=journal.head()) == 4  # two guests, two incidents
        assert _head(harness, "guest", GUEST)[5] != seals
        assert {window: ledger(journal, window, NOW) for window in WINDOWS} == before
        assert journal.verify().ok
        append(journal, Grant("first", 40, "1.00"))  # this object grants with the new key
        if name != "memory":
            with pytest.raises(JournalError, match="not the key"):
                keyed(harness)  # the old key
            again = keyed_with(harness, new_key)
            assert ledger(again, "day", NOW) == before["day"] + Money("1.00", "USD")
            assert again.verify().ok
    finally:
        harness.close()


def test_rotate_ledger_key_refuses_a_tampered_head_and_changes_nothing(tmp_path: Path) -> None:
    harness = SEALED["sqlite"](tmp_path)
    try:
        journal = two_grants(harness)
        _edit_head(harness, 4, lambda text: text.replace('"150.00"', '"149.00"'))
        with pytest.raises(JournalIntegrityError):
            journal.rotate_ledger_key(secrets.token_bytes(32))
        keyed(harness)  # still sealed with the old key
        with SQLiteJournal(harness.path) as keyless, pytest.raises(JournalError, match="current ledger_key"):  # type: ignore[attr-defined]
            keyless.rotate_ledger_key(secrets.token_bytes(32))
    finally:
        harness.close()


def test_a_sealed_journal_opens_with_its_key_without_taking_the_write_lock(tmp_path: Path) -> None:
    """Only sealing a journal writes when it opens: a sealed one opens with its key while another writer holds
    the lock (and a reader with no right to write could open it)."""
    path = tmp_path / "journal.sqlite3"
    SQLiteJournal(path, ledger_key=LEDGER_KEY).close()
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")
        with SQLiteJournal(path, ledger_key=LEDGER_KEY, timeout=0.2) as journal:
            assert journal.ledger_sealed
        writer.execute("ROLLBACK")


@pytest.mark.parametrize(
    ("column", "value"),
    [(5, "é" * 64), (5, b"\x00" * 32), (2, b"50.00"), (4, 17), (0, "4x"), (5, 0)],
    ids=["seal not ascii", "seal a blob", "amount a blob", "ledger a number", "seq a text", "seal a number"],
)
def test_a_head_edited_into_any_value_is_refused_with_a_typed_error(tmp_path: Path, column: int, value: object) -> None:
    harness = SEALED["sqlite"](tmp_path)
    try:
        journal = two_grants(harness)
        _edit_head(harness, column, lambda _: value)
        with pytest.raises(JournalIntegrityError):
            ledger(harness.journal(), "day", NOW)
        assert not harness.journal().verify().ok
        with contextlib.closing(sqlite3.connect(harness.path)) as connection:  # type: ignore[attr-defined]
            connection.execute("UPDATE ledger_seal SET key_check = ?", ("ü" * 64,))
            connection.commit()
        with pytest.raises(JournalError, match="not the key"):
            keyed(harness)
        assert journal.ledger_sealed
    finally:
        harness.close()


@pytest.mark.slow
@settings(max_examples=examples(60), deadline=None)
@given(
    column=st.integers(0, 5),
    value=st.one_of(
        st.none(), st.integers(-(2**63), 2**63 - 1), st.text(max_size=80), st.binary(max_size=80), st.floats()
    ),
)
def test_any_value_in_any_column_of_a_sealed_head_ends_in_a_typed_error_or_the_same_count(
    column: int, value: object
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        harness = SEALED["sqlite"](Path(folder))
        try:
            two_grants(harness)
            try:
                _edit_head(harness, column, lambda _: value)
            except sqlite3.IntegrityError:
                assume(False)  # the table refuses it (NULL for a position or a hash): no one can store it
            reader = harness.journal()
            try:
                counted = ledger(reader, "day", NOW)
            except JournalIntegrityError:
                pass
            else:
                assert counted == Money("150.00", "USD")  # a value SQLite stores as the one it was (1 for "1")
            checked = reader.verify()
            assert checked.ok or checked.first_bad is not None
        finally:
            harness.close()


@pytest.mark.parametrize("name", sorted(set(SEALED) - {"postgres"}))
def test_a_sealed_heads_currency_changed_seal_kept_is_refused(tmp_path: Path, name: str) -> None:
    sealed = SEALED[name](tmp_path)
    journal = sealed.journal()
    append(journal, Grant("second", 0, "100.00"))
    append(journal, Grant("first", 30, "50.00"))
    assert ledger(journal, "day", NOW) == Money("150.00", "USD")
    _edit_head(sealed, 3, lambda _: "EUR")
    assert _head(sealed, "guest", GUEST)[3] == "EUR"
    for reader in (sealed.journal(), journal):
        with pytest.raises(JournalIntegrityError):
            ledger(reader, "day", NOW)
    sealed.close()


@pytest.mark.parametrize("name", sorted(set(SEALED) - {"postgres"}))
def test_a_sealed_heads_seal_right_only_in_its_first_characters_is_refused(tmp_path: Path, name: str) -> None:
    sealed = SEALED[name](tmp_path)
    journal = sealed.journal()
    append(journal, Grant("first", 0, "100.00"))
    append(journal, Grant("first", 30, "50.00"))
    assert ledger(journal, "day", NOW) == Money("150.00", "USD")
    # A seal edited in its last digits only (its head's content as sealed) no longer matches: the whole
    # 256-bit HMAC is compared, not a prefix (a prefix of 16 hex digits is a 64-bit MAC).
    _edit_head(sealed, 5, lambda seal: seal[:32] + ("0" if seal[32] != "0" else "1") + seal[33:])
    for reader in (sealed.journal(), journal):
        with pytest.raises(JournalIntegrityError):
            ledger(reader, "day", NOW)
    sealed.close()


# -- more holes found by mutation testing -----------------------------------------------------------------------------


def test_a_window_start_rewritten_and_stripped_of_its_own_seal_is_refused(sealed: Harness) -> None:
    """Deleting the grant's own seal as well as rewriting it does not make a sealed ledger take the row as written."""
    journal = _window_start_raised(sealed)
    sealed.set_head("grant", "2", None)
    for reader in (sealed.journal(), journal):
        with pytest.raises(JournalIntegrityError, match="no seal of this grant"):
            ledger(reader, "6 hours", T0 + dt.timedelta(hours=7, minutes=10))


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_sealing_and_rotating_reach_every_head_and_every_grant_past_the_first_page(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The heads are read a thousand at a time; two here, so that five grants fill three pages. A private constant:
    # no public argument sets the page, and a thousand grants per test would be slow.
    monkeypatch.setattr(_base, "_HEADS_A_PAGE", 2)
    harness = BACKENDS[name](tmp_path)
    try:
        journal = harness.journal()
        for grant in (
            Grant("first", 0, "100.00"),
            Grant("second", 5, "20.00"),
            Grant("follow-up", 10, "3.00"),
            Grant("other guest", 15, "9.00"),
            Grant("first", 20, "1.00"),
        ):
            append(journal, grant)
        grants = [str(event.seq) for event in journal.iter_events() if event.grant is not None]
        owners = [("guest", GUEST), ("guest", "555"), ("incident", INCIDENT), ("incident", EARLIER)]
        owners += [("incident", str(CASES["other guest"]))]
        before = {window: ledger(journal, window, NOW) for window in WINDOWS}
        assert journal.seal_ledger(LEDGER_KEY) == 5  # two guests, three incidents
        sealed_once = {key: _head(harness, scope, key) for scope, key in [*owners, *(("grant", g) for g in grants)]}
        assert all(head[5] is not None for head in sealed_once.values())
        assert journal.verify().ok
        assert {window: ledger(journal, window, NOW) for window in WINDOWS} == before
        assert journal.rotate_ledger_key(secrets.token_bytes(32)) == 5
        for scope, key in [*owners, *(("grant", g) for g in grants)]:
            assert _head(harness, scope, key)[5] != sealed_once[key][5], (scope, key)
        assert journal.verify().ok
        assert {window: ledger(journal, window, NOW) for window in WINDOWS} == before
        last = ("incident", str(CASES["other guest"]))  # the last head by scope and key: on the last page
        head = _head(harness, *last)
        harness.set_head(*last, (*head[:2], "0.01", *head[3:]))  # its sealed amount lowered, its seal kept
        checked = journal.verify()
        assert (checked.ok, checked.first_bad) == (False, head[0])
    finally:
        harness.close()


def test_verify_finds_a_grants_own_seal_moved_under_another_grant(sealed: Harness) -> None:
    journal = two_grants(sealed)
    sealed.set_head("grant", "2", _head(sealed, "grant", "4"))  # the second grant's seal, filed as the first's
    checked = journal.verify()
    assert (checked.ok, checked.first_bad) == (False, 4)
    assert "names another grant" in str(checked.problem)


def test_a_sealed_head_whose_position_only_equals_the_sealed_one_is_refused_with_the_memo_warm(tmp_path: Path) -> None:
    """The memo keeps heads by value, and ``4.0 == 4``: a head edited to hold a position of another type is not
    the head the journal sealed, even for the journal object that sealed it."""
    harness = SEALED["memory"](tmp_path)
    journal = two_grants(harness)  # this object sealed (and read) the guest's head at position 4
    head = _head(harness, "guest", GUEST)
    harness.set_head("guest", GUEST, (4.0, *head[1:]))
    with pytest.raises(JournalIntegrityError):
        ledger(journal, "day", NOW)


def test_verify_resumed_from_a_saved_head_still_checks_the_seals_of_the_heads_after_it(sealed: Harness) -> None:
    journal = two_grants(sealed)
    saved = journal.verify().head
    append(journal, Grant("first", 40, "10.00"))  # events 5 and 6, after the saved head
    _edit_head(sealed, 2, lambda _: "0.01")  # the guest's latest grant's sealed amount lowered, its seal kept
    checked = journal.verify(resume_from=saved)
    assert (checked.ok, checked.first_bad) == (False, 6)
    assert "does not match" in str(checked.problem)


@pytest.mark.parametrize("name", ["sqlite", "postgres"])
def test_a_journal_opened_before_another_sealed_the_ledger_records_no_grant_without_the_key(
    tmp_path: Path, name: str
) -> None:
    harness = BACKENDS[name](tmp_path)
    try:
        stale = harness.journal()  # opened without the key, before the ledger was sealed
        append(stale, Grant("first", 0, "100.00"))
        assert not stale.ledger_sealed
        assert harness.journal().seal_ledger(LEDGER_KEY) == 2  # sealed by another object
        number = CASES["first"]
        version = stale.version(number)
        draft = Draft(kind="granted", state="granted", actor="staff", at=NOW, grant=Money("5.00", "USD"))
        with pytest.raises(JournalError, match="open it with its ledger_key to record a grant"):
            stale.append(number, draft, expected_version=version, key="late-grant", request={})
        assert stale.ledger_sealed  # it saw the seal in the append's transaction
        assert stale.find("late-grant") is None
        assert ledger(keyed(harness), "incident", NOW) == Money("100.00", "USD")
    finally:
        harness.close()
