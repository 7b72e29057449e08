"""What an append costs, and that its quick paths make exactly what the checked ones make (issue 14, "append cost").

An append checks the caller's draft once, serializes each value once, builds the event and its ledger entry
without validating them again, and checks the guest's previous grant at the row level (its stored columns
hashed as ``verify`` hashes them, its ledger fields read and checked) rather than building the whole event.
Each quick path is held here to the slow one it replaces: the same event, the same bytes, the same hash, the
same refusal with the same message.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from recovery_rules import (
    ComplaintNumber,
    Draft,
    Event,
    InvalidInputError,
    JournalIntegrityError,
    LedgerEntry,
    MemoryJournal,
    Money,
    RunningTotal,
    SQLiteJournal,
)
from recovery_rules._journal import _canonical, _events, _ledger
from recovery_rules._journal._canonical import (
    GENESIS,
    JSONValue,
    canonical_time,
    canonical_time_of,
    check_json,
    dumps,
    dumps_body,
)
from recovery_rules._values import _money, _trusted
from recovery_rules._values._money import canonical_money, valid_amount

from ._helpers import examples

NUMBER = ComplaintNumber.parse("20261123-10442")
T0 = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
USD = "USD"


# -- the trusted builders --------------------------------------------------------------------------------------------


def test_the_fast_builders_are_in_use_with_the_pydantic_this_project_pins() -> None:
    # A pydantic release that lays models out differently turns them off (a slowdown, never a wrong model).
    for builder in (_events._trusted_event, _events._trusted_entry, _events._trusted_running):
        assert builder.__name__ == "fast"


def test_a_pydantic_with_other_slots_turns_the_fast_builders_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BaseModel, "__slots__", (*BaseModel.__slots__, "__pydantic_something_new__"))
    sample: dict[str, Any] = {"count": 1, "total": Money("1.00", USD), "prev_seq": 0, "prev_hash": GENESIS}
    builder = _trusted.trusted_builder(RunningTotal, frozenset(RunningTotal.model_fields), sample)
    assert builder.__name__ == "constructed"
    assert builder(dict(sample)) == RunningTotal(**sample)


def _other_values(setters: tuple[Any, ...]) -> tuple[Any, ...]:  # as if pydantic kept the fields somewhere else
    return (lambda model, values: setters[0](model, {**values, "count": 2}), *setters[1:])


def _other_order(setters: tuple[Any, ...]) -> tuple[Any, ...]:  # the same values, in another order
    return (lambda model, values: setters[0](model, dict(reversed(values.items()))), *setters[1:])


def _other_fields_set(setters: tuple[Any, ...]) -> tuple[Any, ...]:  # as if pydantic kept the field set elsewhere
    return (setters[0], lambda model, names: setters[1](model, set()), *setters[2:])


@pytest.mark.parametrize("differently", [_other_values, _other_order, _other_fields_set])
def test_a_builder_that_makes_something_else_is_not_used(
    monkeypatch: pytest.MonkeyPatch, differently: Callable[[tuple[Any, ...]], tuple[Any, ...]]
) -> None:
    """A fast builder is used only if it makes what model_construct makes: the same values, in the same order,
    reporting the same fields as set."""
    original = _trusted.slot_setters

    def wrong() -> tuple[Any, ...] | None:
        setters = original()
        assert setters is not None
        return differently(setters)

    monkeypatch.setattr(_trusted, "slot_setters", wrong)
    sample = {"count": 1, "total": Money("1.00", USD), "prev_seq": 0, "prev_hash": GENESIS}
    builder = _trusted.trusted_builder(RunningTotal, frozenset(RunningTotal.model_fields), sample)
    assert builder.__name__ == "constructed"


# -- sealing: the quick way makes what validating makes ------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)
zones = st.sampled_from(
    [
        dt.UTC,
        dt.timezone(dt.timedelta(hours=-5)),
        dt.timezone(dt.timedelta(hours=9, minutes=30)),
        ZoneInfo("America/New_York"),
    ]
)
words = st.sampled_from(["decided", "approved", "staff", "a_1"])


@st.composite
def drafts(draw: st.DrawFn) -> Draft:
    zone = draw(zones)
    at = T0.astimezone(zone) + dt.timedelta(microseconds=draw(st.integers(0, 10**9)))
    grant = draw(st.sampled_from([None, "0.00", "1.50", "250.00"]))
    return Draft(
        kind=draw(words),
        state=draw(words),
        actor=draw(words),
        at=at,
        data=draw(st.dictionaries(st.text(max_size=6), json_values, max_size=4)),
        grant=None if grant is None else Money(grant, USD),
        callback_due=draw(st.none() | st.just(at + dt.timedelta(hours=3))),
        employee=draw(st.sampled_from([None, "E-0042"])),
        policy_revision=draw(st.sampled_from([None, "d" * 64])),
    )


def _entry(draft: Draft) -> LedgerEntry | None:
    if draft.grant is None:
        return None
    total = draft.grant + Money("10.00", USD)
    running = RunningTotal(count=2, total=total, prev_seq=1, prev_hash="a" * 64)
    return LedgerEntry(at=draft.at, incident=NUMBER, guest=running, incident_total=running)


def _validated(draft: Draft, ledger: LedgerEntry | None) -> tuple[Event, dict[str, Any]]:
    """What sealing made before the quick path: the validated event, its body with data and ledger as text."""
    event = Event(
        seq=2,
        number=NUMBER,
        version=1,
        kind=draft.kind,
        state=draft.state,
        actor=draft.actor,
        at=draft.at,
        key="k-1",
        request="b" * 64,
        data=dict(draft.data),
        grant=draft.grant,
        callback_due=draft.callback_due,
        ledger=ledger,
        employee=draft.employee,
        policy_revision=draft.policy_revision,
        prev="c" * 64,
        hash=GENESIS,
    )
    record: dict[str, Any] = event.body()
    record["data"] = dumps(event.data).decode("utf-8")
    record["ledger"] = None if ledger is None else dumps(ledger.body()).decode("utf-8")
    return event, record


def _sealed(draft: Draft, ledger: LedgerEntry | None) -> tuple[Event, dict[str, Any]]:
    return Event.sealed(
        draft, seq=2, number=NUMBER, version=1, key="k-1", request="b" * 64, prev="c" * 64, ledger=ledger
    )


@settings(max_examples=examples(150), deadline=None)
@given(draft=drafts())
def test_a_sealed_event_is_the_validated_one_with_the_same_bytes_and_hash(draft: Draft) -> None:
    ledger = _entry(draft)
    event, record = _sealed(draft, ledger)
    validated, expected = _validated(draft, ledger)
    hash_ = hashlib.sha256(dumps(validated.body())).hexdigest()
    assert record == {**expected, "hash": hash_}
    assert list(record) == [*expected, "hash"]
    assert event.hash == hash_ == event.computed_hash()
    assert _trusted.same_model(event, validated.model_copy(update={"hash": hash_}))
    assert hashlib.sha256(dumps_body(record)).hexdigest() == hash_
    assert Event.from_record(record, position=2) == event  # and it reads back, checked whole


class Unsaid(dt.tzinfo):
    """A time zone class whose ``utcoffset`` is ``None``: a time in it names no instant, whatever its tzinfo."""

    def utcoffset(self, moment: dt.datetime | None) -> None:
        return None

    def dst(self, moment: dt.datetime | None) -> None:
        return None

    def tzname(self, moment: dt.datetime | None) -> None:
        return None


UNSAID = dt.datetime(2026, 11, 23, 9, 30, tzinfo=Unsaid())


class Code(str):
    """A currency code that is a subclass of str: Money holds exactly a str, so it is not a currency code."""

    __slots__ = ()


def unchecked(amount: str, currency: str = USD) -> Money:
    """A Money that never went through Money's checks (as ``model_construct`` can make one)."""
    money = object.__new__(Money)
    object.__setattr__(money, "amount", Decimal(amount))
    object.__setattr__(money, "currency", currency)
    return money


BAD_DRAFTS: dict[str, dict[str, Any]] = {
    "a kind that is not a word": {"kind": "Decided!"},
    "a naive time": {"at": dt.datetime(2026, 11, 23, 9, 30)},  # noqa: DTZ001 - the point: naive
    "a float in the data": {"data": {"amount": 1.5}},
    "a key that is not text": {"data": {1: "a"}},
    "an integer too large": {"data": {"n": 2**60}},
    "a lone surrogate": {"data": {"name": "\udc80"}},
    "a negative grant": {"grant": Money("-1.00", USD)},
    "a name for an employee": {"employee": "Jane Doe"},
    "a revision that is not a hash": {"policy_revision": "v2"},
    "a naive callback": {"callback_due": dt.datetime(2026, 11, 23, 12)},  # noqa: DTZ001 - the point: naive
    "a grant without its ledger entry": {"grant": Money("5.00", USD)},
    "a kind that begins as a word": {"kind": "decided!"},
    "a time whose tzinfo gives no offset": {"at": UNSAID},
    "a callback whose tzinfo gives no offset": {"callback_due": UNSAID},
    "a revision one digit short of a hash": {"policy_revision": "d" * 63},
    "a revision in upper case": {"policy_revision": "D" * 64},
    "an employee id of 65 characters": {"employee": "E" * 65},
    "a key in the data that is a lone surrogate": {"data": {"\udc80": 1}},
    "an integer one beyond the safe range": {"data": {"n": 2**53}},
    "a negative integer one beyond the safe range": {"data": {"n": -(2**53)}},
    "a grant of a tenth of a cent": {"grant": unchecked("1.005")},
    "a grant of negative zero": {"grant": unchecked("-0.00")},
    "a grant beyond Money's range": {"grant": unchecked("1000000000000000.00")},
}


@pytest.mark.parametrize("how", list(BAD_DRAFTS))
def test_a_bad_draft_is_refused_as_validation_refuses_it(how: str) -> None:
    draft = dataclasses.replace(Draft(kind="noted", state="noted", actor="staff", at=T0), **BAD_DRAFTS[how])
    with pytest.raises(InvalidInputError) as validated:
        _validated(draft, None)
    with pytest.raises(InvalidInputError) as sealed:
        _sealed(draft, None)
    assert str(sealed.value) == str(validated.value)


def test_a_journal_refuses_a_bad_draft_and_writes_nothing(tmp_path: Path) -> None:
    with SQLiteJournal(tmp_path / "j.sqlite3") as journal:
        for how, change in BAD_DRAFTS.items():
            if how == "a grant without its ledger entry":
                continue  # a journal works the entry out
            draft = dataclasses.replace(Draft(kind="noted", state="noted", actor="staff", at=T0), **change)
            with pytest.raises(InvalidInputError):
                journal.append(NUMBER, draft, expected_version=0, key=f"k-{len(how)}", request={})
        assert journal.head().count == 0


SEALING: dict[str, Any] = {
    "seq": 2,
    "number": NUMBER,
    "version": 1,
    "key": "k-1",
    "request": "b" * 64,
    "prev": "c" * 64,
}
BAD_SEALINGS: dict[str, dict[str, Any]] = {
    "position 0": {"seq": 0},
    "version 0": {"version": 0},
    "an empty key": {"key": ""},
    "a key of 201 characters": {"key": "k" * 201},
    "a request hash one digit short": {"request": "b" * 63},
    "a previous hash in upper case": {"prev": "C" * 64},
}


@pytest.mark.parametrize("how", list(BAD_SEALINGS))
def test_a_bad_position_key_or_hash_is_refused_as_validation_refuses_it(how: str) -> None:
    """What the journal passes to seal a draft is checked as an Event checks it, with the same message."""
    values: dict[str, Any] = SEALING | BAD_SEALINGS[how]
    draft = Draft(kind="noted", state="noted", actor="staff", at=T0)
    with pytest.raises(InvalidInputError) as validated:
        Event(**values, kind="noted", state="noted", actor="staff", at=T0, data={}, hash=GENESIS)
    with pytest.raises(InvalidInputError) as sealed:
        Event.sealed(draft, **values)
    assert str(sealed.value) == str(validated.value)


BAD_RUNNING_TOTALS: dict[str, dict[str, Any]] = {
    "a count of 0": {"count": 0},
    "a previous position before the first": {"prev_seq": -1},
    "a previous hash one digit short": {"prev_hash": "a" * 63},
    "a previous hash in upper case": {"prev_hash": "A" * 64},
    "a total of a tenth of a cent": {"total": unchecked("1.005")},
    "a total of negative zero": {"total": unchecked("-0.00")},
    "a total beyond Money's range": {"total": unchecked("1000000000000000.00")},
    "a total whose currency code is a subclass of str": {"total": unchecked("1.00", Code(USD))},
}


@pytest.mark.parametrize("how", list(BAD_RUNNING_TOTALS))
def test_a_running_total_is_refused_as_validation_refuses_it(how: str) -> None:
    """The quick way to make a running total accepts only what RunningTotal(...) accepts."""
    values: dict[str, Any] = {"count": 1, "total": Money("1.00", USD), "prev_seq": 0, "prev_hash": GENESIS}
    values |= BAD_RUNNING_TOTALS[how]
    with pytest.raises(InvalidInputError) as validated:
        RunningTotal(**values)
    with pytest.raises(InvalidInputError) as quick:
        _events.running_total(**values)
    assert str(quick.value) == str(validated.value)


@pytest.mark.parametrize("at", [UNSAID, dt.datetime(2026, 11, 23, 9, 30)], ids=["no offset", "naive"])  # noqa: DTZ001
def test_a_ledger_entry_at_a_time_without_an_offset_is_refused_as_validation_refuses_it(at: dt.datetime) -> None:
    running = RunningTotal(count=1, total=Money("1.00", USD), prev_seq=0, prev_hash=GENESIS)
    with pytest.raises(InvalidInputError) as validated:
        LedgerEntry(at=at, incident=NUMBER, guest=running, incident_total=running)
    with pytest.raises(InvalidInputError) as quick:
        _events.ledger_entry(at, NUMBER, running, running)
    assert str(quick.value) == str(validated.value)


# -- the canonical helpers: each quick way agrees with the exact one -------------------------------------------------

anything = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(alphabet=st.characters(), max_size=4)
    | st.sampled_from(["\udc80", "\U0001f600", "é"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner)
        | st.dictionaries(st.text(max_size=3) | st.integers(0, 3) | st.booleans(), inner, max_size=3)
    ),
    max_leaves=10,
)


def _exact(value: object) -> str:
    try:
        _canonical._check(value, "data", 0)
    except InvalidInputError as error:
        return str(error)
    return "ok"


def _quick(value: object) -> str:
    try:
        check_json(value)
    except InvalidInputError as error:
        return str(error)
    return "ok"


@settings(max_examples=examples(300), deadline=None)
@given(value=anything)
def test_the_quick_json_check_says_what_the_exact_one_says(value: object) -> None:
    assert _quick(value) == _exact(value)


_HEX_DIGITS = "0123456789abcdef"
_PRINTABLE_ASCII = "".join(chr(code) for code in range(0x21, 0x7F))
_NEAR_HASHES = st.text(alphabet=st.sampled_from([*_HEX_DIGITS, "A", "g", " ", "\n", "\u0660", "\uff10"]), max_size=66)
_NEAR_KEYS = st.text(alphabet=st.sampled_from([*"az09-_~!", " ", "\t", "\x7f", "\x80", "\u00e9", "\n"]), max_size=8)


@settings(max_examples=examples(300), deadline=None)
@given(text=st.one_of(_NEAR_HASHES, st.text(max_size=66), st.just("a" * 64), st.just("a" * 63 + "\n")))
def test_is_hash_accepts_exactly_64_lower_case_hexadecimal_digits(text: str) -> None:
    assert _events.is_hash(text) == (len(text) == 64 and not text.strip(_HEX_DIGITS))


@settings(max_examples=examples(300), deadline=None)
@given(text=st.one_of(_NEAR_KEYS, st.text(max_size=8)), longest=st.integers(1, 6))
def test_a_text_id_is_what_stripping_printable_ascii_leaves_nothing_of(text: str, longest: int) -> None:
    assert _events._is_text_id(text, longest) == (1 <= len(text) <= longest and not text.strip(_PRINTABLE_ASCII))


_AMOUNTS = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(places=2, min_value=-(10**17), max_value=10**17),
    st.decimals(places=3, min_value=-(10**17), max_value=10**17),
    st.builds(
        lambda digits, exponent, negative: Decimal((int(negative), digits, exponent)),
        st.lists(st.integers(0, 9), min_size=1, max_size=20).map(tuple),
        st.integers(-8, 4),
        st.booleans(),
    ),
    st.sampled_from(
        [
            Decimal("-0"),
            Decimal("-0.00"),
            Decimal("-0.000"),
            Decimal("0E+2"),
            Decimal("1E+2"),
            Decimal("-sNaN"),
            Decimal("sNaN"),
            Decimal("-Infinity"),
            Decimal("999999999999999.99"),
            Decimal("1000000000000000.00"),
            Decimal("-999999999999999.999"),
            Decimal("0.001"),
        ]
    ),
)


@settings(max_examples=examples(500), deadline=None)
@given(amount=_AMOUNTS, places=st.sampled_from([None, 0, 2, 3, 1, 4]), non_negative=st.booleans())
def test_valid_amount_reads_the_text_as_the_digits_say(amount: Decimal, places: int | None, non_negative: bool) -> None:
    """valid_amount reads an amount's text; what it says is what the amount's digits say."""
    expected = places is not None and _money._valid_digits(amount, places, non_negative=non_negative)
    assert valid_amount(amount, places, non_negative=non_negative) == expected


def test_the_quick_json_check_knows_the_depth_limit() -> None:
    deep: Any = "x"
    for _ in range(40):
        deep = [deep]
    assert _quick({"a": deep}) == _exact({"a": deep}) != "ok"
    shallow: Any = "x"
    for _ in range(31):
        shallow = {"k": shallow}
    assert _quick(shallow) == _exact(shallow) == "ok"
    for nest in (lambda inner: {"k": inner}, lambda inner: [inner]):
        deepest: Any = "x"
        for _ in range(32):
            deepest = nest(deepest)
        assert _quick(deepest) == _exact(deepest) == "ok"  # 32 levels: the most the journal stores
        assert _quick(nest(deepest)) == _exact(nest(deepest)) != "ok"


@settings(max_examples=examples(200), deadline=None)
@given(value=json_values, astral=st.booleans())
def test_dumps_sorts_as_rfc_8785_with_or_without_characters_beyond_u_ffff(value: Any, astral: bool) -> None:
    value = {"\U0001f600" if astral else "z": value, "\uff61": 1, "a": 2}
    expected = json.dumps(_canonical._ordered(value), separators=(",", ":"), ensure_ascii=False).encode()
    assert dumps(value) == expected


any_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=6) | st.sampled_from(
    ["\x00\x1f\x7f\b\f\n\r\t", '"\\/', "\u2028\u2029", "\U0001f600", "\uffff", "é"]
)
unicode_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | any_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)


def test_the_fast_extra_writes_the_journals_json_in_the_dev_environment() -> None:
    assert _canonical.WRITES_WITH_ORJSON, "dev installs the fast extra: its way of writing is the one tested here"


@settings(max_examples=examples(300), deadline=None)
@given(value=unicode_json_values)
def test_orjson_writes_the_very_bytes_the_standard_library_writes(value: Any) -> None:
    if not _canonical.WRITES_WITH_ORJSON:  # pragma: no cover - dev installs the fast extra
        pytest.skip("the fast extra (orjson) is not installed")
    assert dumps(value) == _canonical._dumps_standard(value)


@pytest.mark.parametrize(
    "value",
    [
        {"at": dt.datetime(2026, 11, 23, tzinfo=dt.UTC)},
        {"on": dt.date(2026, 11, 23)},
        {"money": dataclasses.make_dataclass("Amount", ["cents"])(100)},
        {"tags": {"a", "b"}},
    ],
    ids=["datetime", "date", "dataclass", "set"],
)
def test_dumps_refuses_what_the_standard_library_refuses(value: Any) -> None:
    # (floats never reach dumps: check_json refuses them first, and orjson would write NaN as null)
    with pytest.raises(TypeError):
        _canonical._dumps_standard(value)
    with pytest.raises(TypeError):
        dumps(value)


@settings(max_examples=examples(300), deadline=None)
@given(
    text=st.from_regex(r"-?[0-9]{1,17}(\.[0-9]{0,5})?", fullmatch=True) | st.text(max_size=6),
    currency=st.sampled_from(["USD", "JPY", "KWD", "CLF", "usd", "XXX"]),
)
def test_canonical_money_is_money_written_back_the_same(text: str, currency: str) -> None:
    try:
        money = Money(text, currency)
        expected = money if money.amount >= 0 and str(money.amount) == text else None
    except InvalidInputError:
        expected = None
    found = canonical_money(text, currency)
    assert found == expected
    assert found is None or (str(found.amount) == text and found.currency == currency)


@settings(max_examples=examples(200), deadline=None)
@given(
    text=st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z", fullmatch=True)
    | st.datetimes(timezones=st.just(dt.UTC)).map(canonical_time)
)
@example(text="0999-12-31T23:59:59.000000Z")  # a year before 1000: written back without its leading 0
@example(text="1000-01-01T00:00:00.000000Z")
def test_canonical_time_of_is_the_time_written_back_the_same(text: str) -> None:
    try:
        moment = _canonical.parse_canonical_time(text)
        expected = moment if canonical_time(moment) == text else None
    except (ValueError, InvalidInputError):
        expected = None
    assert canonical_time_of(text) == expected


@settings(max_examples=examples(300), deadline=None)
@given(moment=st.datetimes(timezones=zones | st.just(dt.timezone(dt.timedelta(hours=23, minutes=59)))))
def test_canonical_time_writes_what_strftime_writes(moment: dt.datetime) -> None:
    try:
        expected = moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    except OverflowError:
        with pytest.raises(InvalidInputError):
            canonical_time(moment)
        return
    assert canonical_time(moment) == expected


@settings(max_examples=examples(150), deadline=None)
@given(draft=drafts())
def test_the_ledger_text_is_the_canonical_json_of_the_entry(draft: Draft) -> None:
    entry = _entry(dataclasses.replace(draft, grant=Money("1.00", USD)))
    assert entry is not None
    assert _events.ledger_text(entry) == dumps(entry.body()).decode("utf-8")
    assert _events.ledger_text(entry, canonical_time(entry.at)) == dumps(entry.body()).decode("utf-8")


class Noted(Event):
    """A host's subclass of Event."""


def test_a_subclass_of_event_seals_events_of_its_own_class() -> None:
    """Event.sealed makes an event of the class it is called on, with the values and hash an Event has."""
    draft = Draft(kind="noted", state="noted", actor="staff", at=T0)
    event, record = Noted.sealed(draft, **SEALING)
    assert type(event) is Noted
    assert event.model_dump() == Event.sealed(draft, **SEALING)[0].model_dump()
    assert record["hash"] == event.hash == event.computed_hash()


class Respelt(LedgerEntry):
    """A subclass of LedgerEntry that writes its body otherwise (here: without its time)."""

    def body(self) -> dict[str, JSONValue]:
        return {name: value for name, value in super().body().items() if name != "at"}


def test_the_ledger_text_of_a_subclass_is_its_own_body() -> None:
    """Only exactly a LedgerEntry is written out the quick way: a subclass's text is the JSON of its own body."""
    running = RunningTotal(count=1, total=Money("1.00", USD), prev_seq=0, prev_hash=GENESIS)
    entry = Respelt(at=T0, incident=NUMBER, guest=running, incident_total=running)
    assert _events.ledger_text(entry) == dumps(entry.body()).decode("utf-8")


@settings(max_examples=examples(150), deadline=None)
@given(draft=drafts(), escaped=st.sampled_from([None, "actor", "key", "number"]))
def test_a_body_put_together_in_one_go_is_the_canonical_json_of_the_body(draft: Draft, escaped: str | None) -> None:
    _, record = _sealed(draft, _entry(draft))
    if escaped is not None:
        record[escaped] = 'with "quotes", \\ and \u00e9'  # JSON escapes these: put together the general way
    assert (_canonical._plain_body(record) is None) == (escaped is not None)
    body = {name: value for name, value in record.items() if name != "hash"}
    body["data"] = json.loads(record["data"])
    body["ledger"] = None if record["ledger"] is None else json.loads(record["ledger"])
    assert dumps_body(record) == dumps(body)


# -- the previous grant, checked at the row level -------------------------------------------------------------------


@pytest.fixture
def grants(tmp_path: Path) -> Iterator[tuple[SQLiteJournal, list[dict[str, Any]]]]:
    """A journal with three grants of one guest (the last two linked to the ones before), and their stored rows."""
    with SQLiteJournal(tmp_path / "j.sqlite3") as journal:
        for version, amount in enumerate(["100.00", "50.00", "0.00"]):
            draft = Draft(
                kind="granted",
                state="granted",
                actor="staff",
                at=T0 + dt.timedelta(minutes=version),
                data={"note": "room not ready", "n": version},
                grant=Money(amount, USD),
                employee="E-0042" if version else None,
            )
            journal.append(NUMBER, draft, expected_version=version, key=f"g-{version}", request={})
        with journal._read() as store:
            rows = [dict(store.record_at(seq) or {}) for seq in (1, 2, 3)]
        yield journal, rows


def test_a_stored_grant_reads_back_at_the_row_level_as_the_whole_event_says(
    grants: tuple[SQLiteJournal, list[dict[str, Any]]],
) -> None:
    _, rows = grants
    for row in rows:
        read = _events.grant_row(row)
        event = Event.from_record(row, position=0)
        assert read is not None
        assert (read.seq, read.hash, read.customer_id, read.grant, read.ledger) == (
            event.seq,
            event.hash,
            event.customer_id,
            event.grant,
            event.ledger,
        )


def _rehashed(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "hash": hashlib.sha256(dumps_body(row)).hexdigest()}


COLUMNS = ["seq", "format", "number", "customer_id", "version", "kind", "state", "actor", "at", "key", "request"]
COLUMNS += ["grant", "callback_due", "prev", "hash", "ledger", "ledger_at", "incident", "employee", "policy_revision"]
VALUES = st.sampled_from(
    [
        *(None, 0, 1, 2, -1, True, 2.5, "", "x", "E-0042", "USD", "0.01", "100.00", "100.0"),
        *("2026-11-23T09:30:00.000000Z", "2026-11-23T09:30:00Z", "20261123-10442", "20261123-555"),
        *("0" * 64, "A" * 64, '{"at":"x"}'),
        *({"amount": "0.01", "currency": "USD"}, {"amount": "1.00", "currency": "EUR"}, {"amount": "-1.00"}),
    ]
)


def _ledger_edits(row: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Edits of the stored ledger entry's text: a value in it changed, a key added or dropped, spelt otherwise."""
    entry = json.loads(row["ledger"])
    changes: list[dict[str, Any]] = []
    for scope in ("guest", "incident_total"):
        for name, value in (("total", "1.00"), ("total", "1000.00"), ("total", "99.9"), ("count", 1), ("count", 0)):
            changes.append({**entry, scope: {**entry[scope], name: value}})
        changes.append({**entry, scope: {**entry[scope], "prev_seq": 0, "count": 1}})
        changes.append({**entry, scope: {**entry[scope], "extra": 1}})
    changes += [{**entry, "at": "2026-11-22T09:30:00.000000Z"}, {**entry, "incident": "20261123-555"}]
    texts = [dumps(change).decode() for change in changes]
    texts += [row["ledger"].replace(":", ": "), row["ledger"] + " ", json.dumps(entry)]
    return st.sampled_from(texts).map(lambda text: {**row, "ledger": text})


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), pick=st.integers(0, 2), rehash=st.booleans())  # the fixture's rows are only read
def test_the_row_level_check_accepts_only_rows_the_whole_check_accepts(
    grants: tuple[SQLiteJournal, list[dict[str, Any]]], data: st.DataObject, pick: int, rehash: bool
) -> None:
    """A stored grant with one column changed (re-hashed the way ``verify`` hashes, or not): whatever the row-level
    check accepts, :meth:`Event.from_record` accepts too, and reads the same; what it declines is checked whole."""
    _, rows = grants
    row = rows[pick]
    if data.draw(st.booleans()):
        edited = data.draw(_ledger_edits(row))
    else:
        column = data.draw(st.sampled_from(COLUMNS))
        edited = {**row, column: data.draw(VALUES)}
    if rehash:
        with contextlib.suppress(KeyError, TypeError, ValueError):  # not a body: stored as edited
            edited = _rehashed(edited)
    read = _events.grant_row(edited)
    if read is None:
        return
    event = Event.from_record(edited, position=0)  # raises if the row-level check let a bad row through
    assert (read.seq, read.hash, read.customer_id, read.grant, read.ledger) == (
        event.seq,
        event.hash,
        event.customer_id,
        event.grant,
        event.ledger,
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"count":2,', '"count":02,'),  # a leading zero
        ('"count":2,', '"count":2.0,'),
        ('"prev_seq":1,', '"prev_seq":1 ,'),
        ('"total":"150.00"', '"total":"150.0"'),  # not the currency's two places
        ('"total":"150.00"', '"total":"0150.00"'),
        ('{"at":', '{ "at":'),
        ('"incident":"20261123-10442"', '"incident":"20261123-10442/1"'),  # a sequence of 1 is not written
        ('"incident_total":{', '"incident_total" : {'),
    ],
)
def test_a_ledger_entry_spelt_otherwise_is_not_read_at_the_row_level(
    grants: tuple[SQLiteJournal, list[dict[str, Any]]], old: str, new: str
) -> None:
    """The row-level check reads a ledger entry only in its one spelling; any other, re-hashed, is checked whole."""
    _, rows = grants
    row = rows[1]
    assert old in row["ledger"], row["ledger"]
    edited = _rehashed({**row, "ledger": row["ledger"].replace(old, new, 1)})
    assert _events.grant_row(edited) is None
    with pytest.raises(JournalIntegrityError):
        _ledger.checked_grant(edited, position=2)


def test_the_row_level_check_reads_the_prev_hash_of_each_running_total(
    grants: tuple[SQLiteJournal, list[dict[str, Any]]],
) -> None:
    _, rows = grants
    read = _events.grant_row(rows[2])
    assert read is not None
    assert (read.ledger.guest.prev_seq, read.ledger.guest.prev_hash) == (2, rows[1]["hash"])
    assert (read.ledger.incident_total.count, read.ledger.incident_total.total) == (3, Money("150.00", USD))


def test_a_grant_whose_data_was_edited_is_refused(grants: tuple[SQLiteJournal, list[dict[str, Any]]]) -> None:
    # The row-level check does not parse the data: the hash over the stored text covers it.
    _, rows = grants
    edited = {**rows[2], "data": rows[2]["data"].replace("room", "ROOM")}
    assert _events.grant_row(edited) is None
    with pytest.raises(JournalIntegrityError, match="does not match its hash"):
        _ledger.checked_grant(edited, position=3)


# -- the promises of issue 14, counted -------------------------------------------------------------------------------


class _Counting:
    """Stands in for a model's validator: counts the validations, then validates."""

    def __init__(self, validator: Any, counts: list[str], name: str) -> None:
        self._validator, self._counts, self._name = validator, counts, name

    def validate_python(self, *args: Any, **kwargs: Any) -> Any:
        self._counts.append(self._name)
        return self._validator.validate_python(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._validator, name)


def _grant_draft(at: dt.datetime, amount: str) -> Draft:
    data: dict[str, JSONValue] = {
        "resolution": {"outcome": "approved", "trace": [{"rule": "limit", "passed": True}] * 3}
    }
    return Draft(kind="decided", state="approved", actor="staff", at=at, data=data, grant=Money(amount, USD))


@pytest.fixture(params=["memory", "sqlite"])
def journals(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Two journal objects on one journal (a memory journal has one), the first holding a grant of the guest."""
    if request.param == "memory":
        journal: Any = MemoryJournal()
        journal.append(NUMBER, _grant_draft(T0, "10.00"), expected_version=0, key="first", request={})
        yield journal, journal
        return
    with SQLiteJournal(tmp_path / "j.sqlite3") as first, SQLiteJournal(tmp_path / "j.sqlite3") as other:
        first.append(NUMBER, _grant_draft(T0, "10.00"), expected_version=0, key="first", request={})
        yield first, other


def test_an_append_validates_no_model_the_library_built(journals: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The draft is checked once; the event, its ledger entry and running totals, and the guest's previous grant
    (checked at the row level by a journal object that has not seen it) are not validated again."""
    _, other = journals
    counts: list[str] = []
    for model in (Event, LedgerEntry, RunningTotal):
        monkeypatch.setattr(
            model, "__pydantic_validator__", _Counting(model.__pydantic_validator__, counts, model.__name__)
        )
    event = other.append(NUMBER, _grant_draft(T0, "5.00"), expected_version=1, key="second", request={"step": "x"})
    assert counts == []
    assert event.ledger is not None
    assert event.ledger.guest.total == Money("15.00", USD)


def test_an_append_serializes_each_value_once(journals: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """JSON is written once for the event's data and once for the request, nothing else (the ledger entry's
    text and the body are put together from values already written)."""
    _, other = journals
    dumped: list[object] = []

    class Counting(json.JSONEncoder):
        def encode(self, o: Any) -> str:
            dumped.append(o)
            return super().encode(o)

    def counting(value: object, **kwargs: Any) -> str:
        dumped.append(value)
        return original(value, **kwargs)

    class CountingOrjson:
        """orjson (the fast extra), counting what it writes."""

        def __getattr__(self, name: str) -> Any:
            return getattr(real_orjson, name)

        def dumps(self, value: object, **kwargs: Any) -> bytes:
            dumped.append(value)
            written: bytes = real_orjson.dumps(value, **kwargs)
            return written

    original = json.dumps
    monkeypatch.setattr(json, "dumps", counting)
    settings: dict[str, Any] = {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False, "allow_nan": False}
    assert vars(Counting(**settings, check_circular=False)) == vars(_canonical._ENCODER)
    monkeypatch.setattr(_canonical, "_ENCODER", Counting(**settings, check_circular=False))
    real_orjson = getattr(_canonical, "orjson")  # noqa: B009 - not re-exported: read as the attribute it is
    if real_orjson is not None:
        monkeypatch.setattr(_canonical, "orjson", CountingOrjson())
    draft = _grant_draft(T0, "5.00")
    other.append(NUMBER, draft, expected_version=1, key="second", request={"step": "x"})
    assert dumped == [{"step": "x"}, draft.data]


def test_the_previous_grant_is_checked_without_building_the_whole_event(
    journals: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, other = journals
    built: list[int] = []
    original = Event.from_record.__func__  # type: ignore[attr-defined]  # the function under the classmethod

    def counting(cls: type[Event], record: Any, *, position: int) -> Event:
        built.append(position)
        event: Event = original(cls, record, position=position)
        return event

    monkeypatch.setattr(Event, "from_record", classmethod(counting))
    event = other.append(NUMBER, _grant_draft(T0, "5.00"), expected_version=1, key="second", request={})
    assert built == []
    assert event.ledger is not None
    assert event.ledger.guest.prev_seq == 1
    assert first.verify().ok
