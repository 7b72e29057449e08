"""Promises of the values' and the policy's docstrings, checked against edge cases their examples do not show.

``Money`` (its example text, its arithmetic, its round trips), ``Window`` and the policy's round trips and
revision, and ``files.syntax_hint``.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import pickle
from decimal import Decimal

import pytest

from recovery_rules import InvalidInputError, Money, Policy, PolicyError, Window, files

from ._helpers import policy_data

# -- Money ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "currency"),
    [(999_999_999_999_999.5, "JPY"), (Decimal("999999999999999.995"), "USD"), (Decimal("-999999999999999.5"), "JPY")],
)
def test_money_example_of_a_number_just_below_the_largest_amount_is_an_amount(number: object, currency: str) -> None:
    # "The text is always one Money accepts in currency: an example copied back is read. Never raises."
    text = Money.example(number, currency)
    assert abs(Money(text, currency).amount) < Money.MAX_AMOUNT


@pytest.mark.parametrize("currency", ["JPY", "USD", "BHD", "CLF"])
def test_money_pickles_copies_and_reads_back_its_text_in_every_number_of_decimal_places(currency: str) -> None:
    places = -int(Money.zero(currency).amount.as_tuple().exponent)
    largest = Money.from_minor_units(-(int(Money.MAX_AMOUNT) * 10**places - 1), currency)  # the most negative
    for money in (Money.zero(currency), Money.from_minor_units(1, currency), largest):
        assert pickle.loads(pickle.dumps(money)) == money  # noqa: S301 - our own bytes, just made
        assert copy.deepcopy(money) is money  # immutable: a copy is the value itself
        assert Money(str(money)) == money
        assert Money.validate(money.to_json()) == money
        assert hash(Money(str(money.amount), currency)) == hash(money)


def test_money_of_more_decimal_places_than_its_currency_is_refused_even_when_they_are_zeros() -> None:
    # "more decimal places than the currency has [is refused]: nothing is ever rounded silently"
    for amount in ("12.500", Decimal("12.500")):
        with pytest.raises(InvalidInputError, match=r"USD amounts have 2 decimal places and 12\.500 has more"):
            Money(amount, "USD")
    with pytest.raises(InvalidInputError, match="JPY amounts have 0 decimal places"):
        Money("1500.0", "JPY")


# -- Window and the policy's round trips --------------------------------------------------------------------------


def test_a_rolling_window_of_a_fraction_of_a_second_round_trips_or_is_refused() -> None:
    for duration in (dt.timedelta(seconds=90.5), dt.timedelta(milliseconds=500)):
        try:
            window = Window.rolling(duration)
        except InvalidInputError:
            continue
        assert Window.parse(str(window)) == window
        assert pickle.loads(pickle.dumps(window)) == window  # noqa: S301 - our own bytes, just made


@pytest.mark.parametrize("window", ["P30DT0.5S", "PT0.5S"])
def test_a_policy_read_back_from_its_json_form_is_the_same_policy_whatever_its_window(window: str) -> None:
    # "equal policies hash equal, and so does a policy read back from its file or JSON form"
    try:
        policy = Policy.model_validate(policy_data(window=window))
    except PolicyError:
        return  # refusing such a window keeps the promise too
    assert Policy.model_validate_json(policy.model_dump_json()) == policy
    assert pickle.loads(pickle.dumps(policy)) == policy  # noqa: S301 - our own bytes, just made
    whole = Policy.model_validate(policy_data(window="P30D"))
    assert policy == whole or policy.revision != whole.revision  # another window decides otherwise


def test_a_policy_changed_past_validation_is_refused_when_first_hashed() -> None:
    # "A copy changed without validation, with model_copy(update=...), is checked when first hashed"
    policy = Policy.model_validate(policy_data())
    changed = policy.model_copy(update={"min_alternatives": 1})
    with pytest.raises(PolicyError, match="min_alternatives: must be at least 2"):
        hash(changed)
    renamed = policy.model_copy(update={"name": "Another hotel"})
    assert renamed != policy
    assert renamed.revision != policy.revision


# -- files.syntax_hint ---------------------------------------------------------------------------------------------


def test_the_json_hint_for_an_amount_with_its_currency_not_in_quotes_says_to_quote_it() -> None:
    # syntax_hint: "The usual mistakes get a fix ...: ... an amount with its currency not in quotes"
    text = '{"hard_cap": 1500.00 USD}'
    with pytest.raises(json.JSONDecodeError) as raised:
        json.loads(text)
    assert files.syntax_hint(text, raised.value) == 'quote an amount written with its currency: "150.00 USD"'
