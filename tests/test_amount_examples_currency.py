"""The examples in an amount's messages are in the currency the amount should be in (audit 42).

A Paris restaurant (EUR) and a Tokyo one (JPY) were told, for a complaint's amount refused before the policy
was known to the validation, to write ``{"amount": "12.50", "currency": "USD"}`` or ``'150.50 USD'``: dollars,
and for yen two decimal places the yen does not have. Where the currency is known (the command line's
``decide``, ``test`` and ``simulate`` have the policy; so has the service), every example is in it, in its
decimal places; the library alone (no validation context) keeps its documented dollars. Every example is an
amount that is accepted when copied back.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery_rules import Complaint, InvalidInputError, Money, Policy, Remedy
from recovery_rules._values._currencies import MINOR_UNITS
from tests._cli import run
from tests._helpers import policy_data
from tests._server import serve

BASE: dict[str, Any] = {
    "customer": {"id": "C1"},
    "category": "room_not_ready",
    "received_at": "2026-12-04T20:00:00+01:00",
}

REFUSED: dict[str, object] = {
    "both keys": {"amount": "150"},
    "no currency": 150,
    "a float": 150.5,
    "a whole float": 1500.0,
    "not an amount": "abc",
    "null": None,
    "true": True,
    "a list": [],
    "a currency that is not a string": {"amount": "150", "currency": 5},
}
"""A complaint's requested amount written each way the library refuses before the policy is consulted."""

SHAPES: dict[str, str] = {
    "both keys": "needs both keys: {",
    "no currency": "needs a currency: write {",
    "a float": "is the floating-point number 150.5",
    "a whole float": "is the floating-point number 1500.0",
    "not an amount": "write an amount and its currency, for example '",
    "null": "not null",
    "true": "not true or false",
    "a list": "not a",
    "a currency that is not a string": "must be an ISO 4217 code such as",
}

_WITH_CODE = re.compile(r"""(["'])(-?[0-9]+(?:\.[0-9]+)?) ([A-Z]{3})\1""")
_OBJECT = re.compile(r"""\{"amount": "([^"]*)", "currency": "([^"]*)"\}""")
_CODE = re.compile(r"""code such as '([A-Z]{3})' \(a string\)""")
_BARE = re.compile(r"""(?:in quotes|such as),? (["'])(-?[0-9]+(?:\.[0-9]+)?)\1""")


def examples(message: str) -> list[tuple[str, str | None]]:
    """Each example amount in ``message``: its text and its currency (``None`` for a bare amount's)."""
    found: list[tuple[str, str | None]] = [(amount, code) for _, amount, code in _WITH_CODE.findall(message)]
    found += [(amount, code) for amount, code in _OBJECT.findall(message)]
    found += [(amount, None) for _, amount in _BARE.findall(message)]
    return found


def assert_examples_in(message: str, currency: str) -> None:
    """Every example in ``message`` is an amount in ``currency`` that :class:`Money` accepts as written (or, for a
    currency code refused, the code ``currency``)."""
    found = examples(message)
    codes = _CODE.findall(message)
    assert found or codes, f"no example in {message!r}"
    assert "USD" not in message or currency == "USD", message
    assert set(codes) <= {currency}, message
    for amount, code in found:
        assert code in (None, currency), message
        money = Money(amount, currency)  # copied back, it is read: the currency's decimal places
        assert str(money.amount) == amount, message


def euro_policy() -> dict[str, Any]:
    return policy_data(currency="EUR")


def yen_policy() -> dict[str, Any]:
    data = policy_data(currency="JPY", hard_cap="500000")
    for level, limit in zip(data["levels"], ("10000", "50000", "200000", "unlimited"), strict=True):
        level["limit"] = limit
        if "tier_limits" in level:
            level["tier_limits"] = {"gold": limit}
    return data


POLICIES = {"EUR": euro_policy, "JPY": yen_policy}


def _requested(amount: object) -> dict[str, Any]:
    return {**BASE, "requested": {"kind": "refund", "amount": amount}}


# -- the library ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", REFUSED)
def test_without_a_context_the_examples_stay_in_dollars(shape: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        Complaint.model_validate(_requested(REFUSED[shape]))
    message = caught.value.problems[0].message
    assert SHAPES[shape] in message
    assert_examples_in(message, "USD")


@pytest.mark.parametrize("currency", ["EUR", "JPY", "KWD"])
@pytest.mark.parametrize("shape", REFUSED)
def test_a_validation_context_gives_the_examples_its_currency(shape: str, currency: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        Complaint.model_validate(_requested(REFUSED[shape]), context={"currency": currency})
    message = caught.value.problems[0].message
    assert SHAPES[shape] in message
    assert_examples_in(message, currency)
    with pytest.raises(InvalidInputError) as again:  # Money.validate takes the same context
        Money.validate(REFUSED[shape], context={"currency": currency})
    assert message.endswith(again.value.problems[0].message)  # the model's may lead with the place: "currency: "


def test_the_example_of_a_float_is_in_the_currencys_places() -> None:
    said = {}
    for currency in ("EUR", "JPY"):
        with pytest.raises(InvalidInputError) as caught:
            Remedy.model_validate({"kind": "refund", "amount": 150.5}, context={"currency": currency})
        said[currency] = caught.value.problems[0].message
    assert said["EUR"].endswith('such as "150.50 EUR"')
    assert said["JPY"].endswith('such as "150 JPY"')  # no .00: the yen has no decimal places


@pytest.mark.parametrize("context", [None, {}, {"currency": "eur"}, {"currency": 3}, "EUR", {"other": "EUR"}])
def test_a_context_without_a_currency_code_leaves_the_dollars(context: object) -> None:
    with pytest.raises(InvalidInputError, match=re.escape("for example '12.50 USD'")):
        Complaint.model_validate(_requested("abc"), context=context)


def test_the_context_changes_only_the_messages() -> None:
    """An amount in another currency than the context's is read as ever: decide refuses it, naming both."""
    complaint = Complaint.model_validate(_requested("150.00 USD"), context={"currency": "JPY"})
    assert complaint.requested.amount == Money("150.00", "USD")


# -- the command line ----------------------------------------------------------------------------------------


def _decide_problems(capsys: pytest.CaptureFixture[str], tmp_path: Path, currency: str, amount: object) -> list[str]:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(POLICIES[currency]()), encoding="utf-8")
    complaint = tmp_path / "complaint.json"
    complaint.write_text(json.dumps(_requested(amount)), encoding="utf-8")
    result = run(capsys, "decide", "--policy", str(policy), str(complaint), "--by", "staff", "--json")
    assert result.code == 2, result
    return [problem["message"] for problem in json.loads(result.out)["error"]["problems"]]


@pytest.mark.parametrize("currency", ["EUR", "JPY"])
@pytest.mark.parametrize("shape", REFUSED)
def test_decide_gives_the_examples_in_the_policys_currency(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, shape: str, currency: str
) -> None:
    (message,) = _decide_problems(capsys, tmp_path, currency, REFUSED[shape])
    assert SHAPES[shape] in message
    assert_examples_in(message, currency)


@pytest.mark.parametrize(("currency", "example"), [("EUR", "'150.50'"), ("JPY", "'150'")])
def test_test_cases_give_a_floats_example_in_the_policys_currency(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, currency: str, example: str
) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(POLICIES[currency]()), encoding="utf-8")
    case = {"name": "x", "complaint": _requested("100"), "by": "staff", "granted": 150.5, "expect": {}}
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps({"cases": [case]}), encoding="utf-8")
    result = run(capsys, "test", str(policy), str(cases))
    assert result.code == 2, result
    assert f"a float cannot hold money exactly; write the amount as a string such as {example}" in result.err


@pytest.mark.parametrize(("currency", "example"), [("EUR", "'12.50 EUR'"), ("JPY", "'1250 JPY'")])
def test_simulate_gives_a_records_examples_in_the_policys_currency(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, currency: str, example: str
) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(POLICIES[currency]()), encoding="utf-8")
    records = tmp_path / "records.jsonl"
    records.write_text(json.dumps({"complaint": _requested("nope"), "by": "staff"}) + "\n", encoding="utf-8")
    result = run(capsys, "simulate", "--policy", str(policy), "--candidate", str(policy), str(records))
    assert result.code == 2, result
    assert f"write an amount and its currency, for example {example}" in result.err
    assert "USD" not in result.err


# -- the service ---------------------------------------------------------------------------------------------


def _service_details(currency: str, body: dict[str, Any]) -> list[str]:
    served = serve(Policy.model_validate(POLICIES[currency]()))
    response = served.post("/v1/decisions", json=body)
    assert response.status_code == 422, response.json()
    return [error["detail"] for error in response.json()["errors"]]


@pytest.mark.slow
@pytest.mark.parametrize("currency", ["EUR", "JPY"])
def test_the_service_gives_the_examples_in_its_policys_currency(currency: str) -> None:
    for shape, amount in REFUSED.items():
        (detail,) = _service_details(currency, {"complaint": _requested(amount)})
        assert SHAPES[shape] in detail, shape
        assert_examples_in(detail, currency)


@pytest.mark.parametrize(("currency", "example"), [("EUR", '"150.50"'), ("JPY", '"150"')])
def test_the_service_writes_a_json_number_without_a_currency_in_its_policys(currency: str, example: str) -> None:
    number, keys = _service_details(currency, {"complaint": _requested({"amount": 150.5})})
    assert number.startswith(f"is the JSON number 150.5; write the amount as a string, such as {example}")
    assert keys.startswith("needs both keys")
    for detail in (number, keys):
        assert_examples_in(detail, currency)


@pytest.mark.parametrize("currency", ["EUR", "JPY"])
def test_the_services_granted_gives_its_examples_in_the_policys_currency(currency: str) -> None:
    for granted in ({"amount": "0", "30d": "0"}, "abc"):
        (detail,) = _service_details(currency, {"complaint": _requested(f"100 {currency}"), "granted": granted})
        assert_examples_in(detail, currency)


# -- every example is an amount -------------------------------------------------------------------------------

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.decimals(allow_nan=True, allow_infinity=True),
)


@pytest.mark.slow
@given(number=NUMBERS, currency=st.sampled_from(sorted(MINOR_UNITS)))
def test_money_example_is_always_an_amount_in_its_currency(number: object, currency: str) -> None:
    text = Money.example(number, currency)
    money = Money(text, currency)
    assert str(money.amount) == text
    if isinstance(number, float) and math.isfinite(number) and abs(number) < 1e15:
        assert abs(money.amount - Decimal(repr(number))) <= Decimal(1).scaleb(-MINOR_UNITS[currency])


@given(number=NUMBERS)
def test_money_example_without_a_currency_is_an_amount_in_dollars_and_whole_in_any(number: object) -> None:
    text = Money.example(number)
    Money(text, "USD")
    if "." not in text:
        Money(text, "JPY")


@given(
    value=st.one_of(
        st.floats(),
        st.integers(),
        st.decimals(),
        st.text(max_size=12),
        st.none(),
        st.booleans(),
        st.dictionaries(st.sampled_from(["amount", "currency"]), st.one_of(st.floats(), st.text(max_size=4))),
    ),
    currency=st.sampled_from(sorted(MINOR_UNITS)),
)
def test_every_example_in_a_refusal_is_an_amount_in_the_contexts_currency(value: object, currency: str) -> None:
    try:
        Money.validate(value, context={"currency": currency})
    except InvalidInputError as error:
        for problem in error.problems:
            for amount, code in examples(problem.message):
                written = value.get("currency") if isinstance(value, dict) else None
                own = written if isinstance(written, str) and written in MINOR_UNITS else None
                assert code in (None, currency), problem.message
                Money(amount, code or own or currency)  # a bare amount is in the value's own currency, if it has one
