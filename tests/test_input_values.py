"""Values in policies and complaints that used to load wrongly or escape untyped.

A time zone name that is a folder of the time zone database, a boolean where a
number belongs (or a number where a boolean belongs), a number where a time
belongs, and a time Python cannot convert to UTC: each is a typed error that
names the field and says what is wrong.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
import zoneinfo
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery_rules import (
    Complaint,
    ComplaintNumber,
    InvalidInputError,
    MemoryJournal,
    Policy,
    PolicyError,
    RecoveryRulesError,
    Window,
    presets,
)
from recovery_rules._values import _time

from ._helpers import NOW, examples, policy_data

RITZ_TEXT = presets.path("ritz-carlton").read_text(encoding="utf-8")
RITZ_DATA = tomllib.loads(RITZ_TEXT)
COMPLAINT: dict[str, Any] = {
    "customer": {"id": "10442", "tier": "gold"},
    "category": "room_not_ready",
    "requested": {"kind": "refund", "amount": "250.00 USD"},
    "received_at": "2026-11-23T09:30:00+00:00",
}
FOLDERS = ["America", "Etc", "US", "America/Argentina", "Europe", "America/", "Etc/../America"]


# -- time zone names --------------------------------------------------------------------------


@pytest.mark.parametrize("name", FOLDERS)
def test_a_folder_of_the_time_zone_database_is_not_a_time_zone(name: str) -> None:
    with pytest.raises(PolicyError, match="timezone: is not a known IANA time zone") as caught:
        Policy.model_validate(policy_data(timezone=name))
    assert caught.value.problems[0].location == "timezone"


@pytest.mark.parametrize("name", ["America", "Etc", "US", "America/Argentina"])
def test_the_journal_ledger_refuses_a_folder_as_a_time_zone(name: str) -> None:
    number = ComplaintNumber.parse("20261123-10442")
    with MemoryJournal() as journal, pytest.raises(InvalidInputError, match="timezone: is not a known IANA time zone"):
        journal.granted(number, window=Window.day(), timezone=name, currency="USD", now=NOW)


HOST_FILES = ["localtime", "posixrules", "right/America/New_York", "posix/America/New_York", "right/UTC"]


@pytest.mark.parametrize("name", HOST_FILES)
def test_a_file_of_the_time_zone_folder_that_is_not_an_iana_zone_is_refused(name: str) -> None:
    # "localtime" follows the host's /etc/localtime: one policy file would give other business dates elsewhere
    with pytest.raises(PolicyError, match="timezone: is not a known IANA time zone") as caught:
        Policy.model_validate(policy_data(timezone=name))
    assert caught.value.problems[0].location == "timezone"
    with pytest.raises(PolicyError, match="timezone: is not a known IANA time zone"):
        Policy.from_text(RITZ_TEXT.replace('timezone = "America/New_York"', f'timezone = "{name}"'))
    number = ComplaintNumber.parse("20261123-10442")
    with MemoryJournal() as journal, pytest.raises(InvalidInputError, match="timezone: is not a known IANA time zone"):
        journal.granted(number, window=Window.day(), timezone=name, currency="USD", now=NOW)
    with pytest.raises(InvalidInputError, match="timezone: must be an IANA time zone name"):
        ComplaintNumber.for_complaint("10442", NOW, timezone=name)


def test_the_list_of_zones_is_read_from_disk_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[None] = []
    real = zoneinfo.available_timezones

    def counted() -> set[str]:
        calls.append(None)
        return real()

    monkeypatch.setattr(zoneinfo, "available_timezones", counted)
    _time._iana_names.cache_clear()  # as a new process
    for name in ("America/New_York", "UTC", "Europe/Paris", "localtime", "America/New_York"):
        try:
            Policy.model_validate(policy_data(timezone=name))
        except PolicyError:
            assert name == "localtime"
    assert len(calls) == 1


def test_real_time_zones_still_load() -> None:
    for name in ("America/Argentina/Buenos_Aires", "Etc/UTC", "US/Eastern", "UTC"):
        assert Policy.model_validate(policy_data(timezone=name)).timezone == name


# -- booleans are not numbers, numbers are not booleans ----------------------------------------


@pytest.mark.parametrize("value", [True, False, 3.0, "3"])
def test_min_alternatives_is_an_integer_only(value: object) -> None:
    with pytest.raises(PolicyError, match="min_alternatives: must be an integer"):
        Policy.model_validate({**RITZ_DATA, "min_alternatives": value})


def test_min_alternatives_true_in_every_file_format_is_refused() -> None:
    toml = (
        presets.path("ritz-carlton")
        .read_text(encoding="utf-8")
        .replace("min_alternatives = 3", "min_alternatives = true")
    )
    with pytest.raises(PolicyError, match="min_alternatives: must be an integer"):
        Policy.from_text(toml)
    data = json.dumps({**RITZ_DATA, "min_alternatives": True})
    for format in ("json", "yaml"):
        with pytest.raises(PolicyError, match="min_alternatives: must be an integer"):
            Policy.from_text(data, format=format)
    assert Policy.model_validate({**RITZ_DATA, "min_alternatives": 2}).min_alternatives == 2


@pytest.mark.parametrize("field", ["extra_mile", "refers_elsewhere"])
@pytest.mark.parametrize("value", [1, 0, "yes", "true", 1.0])
def test_the_flags_of_an_alternative_are_true_or_false_only(field: str, value: object) -> None:
    data = json.loads(json.dumps(RITZ_DATA))
    data["catalog"][0][field] = value
    with pytest.raises(PolicyError, match=rf"catalog\[0\]\.{field}: must be true or false"):
        Policy.model_validate(data)


# -- times ------------------------------------------------------------------------------------


def complaint_with(received_at: object) -> dict[str, Any]:
    return {**COMPLAINT, "received_at": received_at}


@pytest.mark.parametrize(
    "received_at",
    [
        "0001-01-01T00:00:00+05:00",  # before the first time Python can hold in UTC
        "0001-01-01T00:00:00+00:00",
        "1899-12-31T23:59:59+00:00",
        "9999-12-31T23:59:59-05:00",  # after the last one
        "9000-01-01T00:00:00+00:00",
        dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5))),
    ],
)
def test_a_time_out_of_range_is_refused_naming_received_at(received_at: object) -> None:
    for validate in (Complaint.model_validate, lambda data: Complaint.model_validate_json(json.dumps(data))):
        if not isinstance(received_at, str) and validate is not Complaint.model_validate:
            continue
        with pytest.raises(InvalidInputError) as caught:
            validate(complaint_with(received_at))
        assert [problem.location for problem in caught.value.problems] == ["received_at"]
        assert "is out of range: a time must be from the year 1900 to 8999 (in UTC)" in str(caught.value)
        assert "customer" not in str(caught.value)


def test_the_range_of_times_is_inclusive_at_its_start() -> None:
    assert Complaint.model_validate(complaint_with("1900-01-01T00:00:00+00:00")).received_at.year == 1900
    assert Complaint.model_validate(complaint_with("8999-12-31T23:59:59+00:00")).received_at.year == 8999


@pytest.mark.parametrize("received_at", [True, 1_700_000_000, 1_700_000_000_000, 1.5, "1700000000", " 17.5 "])
def test_a_number_is_not_a_time(received_at: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        Complaint.model_validate(complaint_with(received_at))
    assert [problem.location for problem in caught.value.problems] == ["received_at"]
    assert "must be a date and time with a time zone" in str(caught.value)
    with pytest.raises(InvalidInputError, match="received_at: must be a date and time"):
        Complaint.model_validate_json(json.dumps(complaint_with(received_at)))


def test_a_complaint_number_of_a_year_before_1000_is_written_with_four_digits() -> None:
    number = ComplaintNumber(dt.date(1, 1, 1), "10442")
    assert str(number) == "00010101-10442"
    assert ComplaintNumber.parse(str(number)) == number


# -- the promise: any input gives a typed error or a result ----------------------------------

HOSTILE = [
    "9" * 5000,
    "-" + "9" * 4301,
    "1" + "_0" * 4400,
    "true",
    "false",
    "1e400",
    "nan",
    "{[a, b]: 1}",
    '"America"',
    '"Etc"',
    '"0001-01-01T00:00:00+05:00"',
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "2026-02-30",
    "[" * 2000,
]
json_leaves = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers().map(str),
    st.text(max_size=20).map(json.dumps),
    st.sampled_from(["null", "0", "3", '"2000.00"', '"USD"', '"2h"', '"day"']),
)
json_texts = st.recursive(
    json_leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        st.dictionaries(st.text(max_size=12), inner, max_size=4).map(
            lambda pairs: "{" + ", ".join(f"{json.dumps(key)}: {value}" for key, value in pairs.items()) + "}"
        ),
    ),
    max_leaves=10,
)
POLICY_KEYS = list(RITZ_DATA)
COMPLAINT_KEYS = [*COMPLAINT, "customer.id", "requested.amount", "number", "description"]


@st.composite
def policy_texts(draw: st.DrawFn) -> tuple[str, str]:
    """A policy's text in any format: arbitrary text, or a valid policy with one value replaced by anything."""
    format = draw(st.sampled_from(["toml", "json", "yaml"]))
    if draw(st.booleans()):
        return draw(st.text(max_size=200)), format
    key = draw(st.sampled_from(POLICY_KEYS))
    text = json.dumps({**RITZ_DATA, key: "@@"}).replace('"@@"', draw(json_texts))
    if format == "toml":  # the key's line of the preset, with the value replaced (JSON values are mostly TOML)
        line = re.compile(rf"^{key} = .*$", re.MULTILINE)
        value = draw(json_texts)
        text = line.sub(lambda _: f"{key} = {value}", RITZ_TEXT, count=1)
        if text == RITZ_TEXT:  # an array of tables ([[levels]]): written once more, as a key
            text = f"{key} = {value}\n" + RITZ_TEXT
    if format == "yaml" and draw(st.booleans()):
        text = "? [a, b]\n: 1\n" + text
    return text, format


@given(policy_texts())
@settings(max_examples=examples(100))
def test_any_policy_text_gives_a_typed_error_or_a_policy(case: tuple[str, str]) -> None:
    text, format = case
    try:
        policy = Policy.from_text(text, format=format)  # type: ignore[arg-type]  # one of the three
    except RecoveryRulesError:
        return
    assert isinstance(policy, Policy)


@st.composite
def complaint_texts(draw: st.DrawFn) -> str:
    """A complaint's JSON: arbitrary text, or a valid complaint with one value replaced by anything."""
    if draw(st.booleans()):
        return draw(st.text(max_size=200) | json_texts)
    data: dict[str, Any] = json.loads(json.dumps(COMPLAINT))
    key = draw(st.sampled_from(COMPLAINT_KEYS))
    outer, _, inner = key.partition(".")
    if inner:
        data[outer] = {**data[outer], inner: "@@"} if isinstance(data[outer], dict) else {inner: "@@"}
    else:
        data[outer] = "@@"
    return json.dumps(data).replace('"@@"', draw(json_texts))


@given(complaint_texts())
@settings(max_examples=examples(200))
def test_any_complaint_json_gives_a_typed_error_or_a_complaint(text: str) -> None:
    try:
        complaint = Complaint.model_validate_json(text)
    except RecoveryRulesError:
        return
    assert isinstance(complaint, Complaint)
    assert complaint.received_at.utcoffset() is not None
