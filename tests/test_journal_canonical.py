"""The canonical form events are hashed in: one spelling per value, RFC 8785 for what the journal stores."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from recovery_rules import (
    ComplaintNumber,
    Draft,
    Event,
    InvalidInputError,
    JournalIntegrityError,
    LedgerEntry,
    Money,
    RunningTotal,
)
from recovery_rules._journal import JSONValue, canonical_json, canonical_time, digest
from recovery_rules._journal._canonical import parse_canonical_time

DRAFT = Draft(
    kind="decided",
    state="approved",
    actor="staff",
    at=dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC),
    data={"résumé": "Zimmer nicht fertig", "n": 3, "ok": True, "none": None, "list": ["a", {"b": "2"}]},
    grant=Money("250.00", "USD"),
    callback_due=dt.datetime(2026, 11, 23, 6, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    employee="E-0042",
    policy_revision="d" * 64,
)
NUMBER = ComplaintNumber.parse("20261123-10442")
EVENT = Event.seal(
    DRAFT,
    seq=2,
    number=NUMBER,
    version=2,
    key="req-7",
    request="a" * 64,
    prev="b" * 64,
    ledger=LedgerEntry(
        at=dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC),
        incident=NUMBER,
        guest=RunningTotal(count=2, total=Money("300.00", "USD"), prev_seq=1, prev_hash="c" * 64),
        incident_total=RunningTotal(count=1, total=Money("250.00", "USD"), prev_seq=0, prev_hash="0" * 64),
    ),
)

# An event as the first release wrote it (format 1, no ledger entry): journals hold such events for good.
FORMAT_1_RECORD: dict[str, object] = {
    "actor": "staff",
    "at": "2026-11-23T09:30:00.000000Z",
    "callback_due": "2026-11-23T11:30:00.000000Z",
    "data": {"list": ["a", {"b": "2"}], "n": 3, "none": None, "ok": True, "résumé": "Zimmer nicht fertig"},
    "format": 1,
    "grant": {"amount": "250.00", "currency": "USD"},
    "key": "req-7",
    "kind": "decided",
    "number": "20261123-10442",
    "prev": "b" * 64,
    "request": "a" * 64,
    "seq": 2,
    "state": "approved",
    "version": 2,
    "hash": "1588a91d52f49c07435f88495caf7b2bfecf9b5bbeee3784656728c6cd883bbb",
}


def _format_2(event: Event) -> Event:
    """``event`` as release 0.2 wrote it: format 2, no employee, no policy revision, hashed as such."""
    older = Event.model_validate({**dict(event), "format": 2, "employee": None, "policy_revision": None})
    return older.model_copy(update={"hash": older.computed_hash()})


def test_the_canonical_form_of_an_event_of_format_2_is_fixed() -> None:
    # Changing any of this would make every journal already written fail to verify: it is the format.
    event = _format_2(EVENT)
    assert canonical_json(event.body()).decode() == (
        '{"actor":"staff","at":"2026-11-23T09:30:00.000000Z","callback_due":"2026-11-23T11:30:00.000000Z",'
        '"data":{"list":["a",{"b":"2"}],"n":3,"none":null,"ok":true,"résumé":"Zimmer nicht fertig"},'
        '"format":2,"grant":{"amount":"250.00","currency":"USD"},"key":"req-7","kind":"decided",'
        '"ledger":{"at":"2026-11-23T09:30:00.000000Z","guest":{"count":2,"prev_hash":"' + "c" * 64 + '",'
        '"prev_seq":1,"total":"300.00"},"incident":"20261123-10442","incident_total":{"count":1,'
        '"prev_hash":"' + "0" * 64 + '","prev_seq":0,"total":"250.00"}},'
        '"number":"20261123-10442","prev":"' + "b" * 64 + '","request":"' + "a" * 64 + '","seq":2,'
        '"state":"approved","version":2}'
    )
    assert event.hash == "513d73e614060b2e857fe16fe10738f88737552d91af53d8b21891850a928e94"
    assert Event.from_record(event.record(), position=2) == event
    with pytest.raises(JournalIntegrityError, match="cannot be read"):  # no employee in a format-2 event
        Event.from_record({**event.record(), "employee": "E-0042"}, position=2)


def test_the_canonical_form_of_an_event_is_fixed() -> None:
    # Format 3: the employee and the policy revision are in the hashed body, in their canonical places.
    assert EVENT.format == 3
    assert canonical_json(EVENT.body()).decode() == (
        '{"actor":"staff","at":"2026-11-23T09:30:00.000000Z","callback_due":"2026-11-23T11:30:00.000000Z",'
        '"data":{"list":["a",{"b":"2"}],"n":3,"none":null,"ok":true,"résumé":"Zimmer nicht fertig"},'
        '"employee":"E-0042","format":3,"grant":{"amount":"250.00","currency":"USD"},"key":"req-7",'
        '"kind":"decided",'
        '"ledger":{"at":"2026-11-23T09:30:00.000000Z","guest":{"count":2,"prev_hash":"' + "c" * 64 + '",'
        '"prev_seq":1,"total":"300.00"},"incident":"20261123-10442","incident_total":{"count":1,'
        '"prev_hash":"' + "0" * 64 + '","prev_seq":0,"total":"250.00"}},'
        '"number":"20261123-10442","policy_revision":"' + "d" * 64 + '","prev":"' + "b" * 64 + '",'
        '"request":"' + "a" * 64 + '","seq":2,"state":"approved","version":2}'
    )
    assert EVENT.hash == hashlib.sha256(canonical_json(EVENT.body())).hexdigest() == EVENT.computed_hash()
    assert (EVENT.employee, EVENT.policy_revision) == ("E-0042", "d" * 64)


def test_an_event_of_the_first_format_reads_back_as_written() -> None:
    event = Event.from_record(FORMAT_1_RECORD, position=2)
    assert event.format == 1
    assert event.ledger is None
    assert event.record() == FORMAT_1_RECORD
    assert event.computed_hash() == FORMAT_1_RECORD["hash"]
    with pytest.raises(JournalIntegrityError, match="ledger"):
        Event.from_record({**FORMAT_1_RECORD, "ledger": "{}"}, position=2)


def test_an_event_reads_back_from_its_record() -> None:
    assert Event.from_record(EVENT.record(), position=2) == EVENT
    stored = {
        **EVENT.record(),
        "data": canonical_json(EVENT.data).decode(),
        "ledger": canonical_json(EVENT.body()["ledger"]).decode(),
        "customer_id": "10442",
        "ledger_at": "2026-11-23T09:30:00.000000Z",
        "incident": "20261123-10442",
    }
    assert Event.from_record(stored, position=2) == EVENT


def test_a_grant_needs_its_ledger_entry_and_only_a_grant_has_one() -> None:
    with pytest.raises(InvalidInputError, match="a grant event, and only a grant event, has a ledger entry"):
        Event.seal(DRAFT, seq=2, number=NUMBER, version=2, key="k", request="a" * 64, prev="b" * 64)
    without_grant = Draft(kind="noted", state="noted", actor="staff", at=DRAFT.at)
    with pytest.raises(InvalidInputError, match="a grant event, and only a grant event, has a ledger entry"):
        Event.seal(
            without_grant,
            seq=2,
            number=NUMBER,
            version=2,
            key="k",
            request="a" * 64,
            prev="b" * 64,
            ledger=EVENT.ledger,
        )


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"format": 4}, "its format is 4"),
        ({"employee": "E-0043"}, "does not match its hash"),
        ({"employee": None}, "does not match its hash"),
        ({"policy_revision": "e" * 64}, "does not match its hash"),
        ({"policy_revision": None}, "does not match its hash"),
        ({"employee": "Jane Smith"}, "cannot be read"),
        ({"format": True}, "its format is True"),
        ({"at": "2026-11-23T09:30:00Z"}, "cannot be read"),
        ({"at": "2026-11-23T09:30:00.000000+00:00"}, "cannot be read"),
        ({"grant": {"amount": "250.0", "currency": "USD"}}, "grant is not stored in its one canonical spelling"),
        ({"grant": {"amount": 250, "currency": "USD"}}, "grant is not stored in its one canonical spelling"),
        ({"grant": None}, "cannot be read"),
        ({"data": "{not json"}, "cannot be read"),
        ({"data": "[" * 100_000 + "]" * 100_000}, "cannot be read"),
        ({"number": "20261123-10442/1"}, "number is not stored in its one canonical spelling"),
        ({"data": '{"n": 3}'}, "does not match its hash"),
        ({"data": canonical_json(EVENT.data).decode().replace(":", ": ")}, "data is not stored in its one"),
        ({"customer_id": "10443"}, "customer index does not match"),
        ({"ledger_at": "2026-11-22T09:30:00.000000Z"}, "ledger time index does not match"),
        ({"ledger_at": None}, "ledger time index does not match"),
        ({"incident": "20261123-10442/2"}, "incident index does not match"),
        ({"ledger": None}, "cannot be read"),
        ({"hash": None}, "cannot be read"),
    ],
)
def test_a_record_spelt_otherwise_is_refused(change: dict[str, object], problem: str) -> None:
    with pytest.raises(JournalIntegrityError, match=problem) as caught:
        Event.from_record({**EVENT.record(), **change}, position=5)
    assert caught.value.seq == 2


def test_times_are_utc_with_microseconds() -> None:
    moment = dt.datetime(2026, 3, 8, 1, 59, 59, 123, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert canonical_time(moment) == "2026-03-08T06:59:59.000123Z"
    assert parse_canonical_time("2026-03-08T06:59:59.000123Z") == moment
    for text in ("2026-03-08T06:59:59Z", "2026-03-08 06:59:59.000123Z", "2026-03-08T06:59:59.000123+00:00"):
        with pytest.raises(ValueError, match="not a canonical UTC time"):
            parse_canonical_time(text)
    with pytest.raises(InvalidInputError, match="timezone-aware"):
        canonical_time(dt.datetime(2026, 3, 8))  # noqa: DTZ001 - naive on purpose


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"amount": 12.5}, "float is not a value"),
        ({"n": 2**53}, "too large for JSON"),
        ({"s": "\ud800"}, "lone surrogate"),
        ({1: "x"}, "key that is not a string"),
        ({"x": object()}, "object is not a value"),
        ({"x": ("a", "b")}, "tuple is not a value"),
    ],
)
def test_values_without_one_spelling_are_refused(value: object, problem: str) -> None:
    with pytest.raises(InvalidInputError, match=problem):
        canonical_json(value)  # type: ignore[arg-type]


def test_deep_nesting_is_refused() -> None:
    value: JSONValue = "x"
    for _ in range(40):
        value = [value]
    with pytest.raises(InvalidInputError, match="nested more than"):
        canonical_json(value)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.text(st.characters(exclude_categories=["Cs"])),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(st.characters(exclude_categories=["Cs"]), max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


@given(json_values)
def test_the_canonical_form_is_rfc_8785(value: JSONValue) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@given(st.dictionaries(st.text(max_size=5), st.integers(0, 9), max_size=6))
def test_key_order_does_not_change_the_digest(mapping: dict[str, JSONValue]) -> None:
    assert digest(mapping) == digest(dict(reversed(list(mapping.items()))))
