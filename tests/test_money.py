"""Money: exact amounts, never floats, never rounded silently."""

from __future__ import annotations

import decimal
import pickle
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from recovery_rules import CurrencyMismatchError, InvalidInputError, Money, RecoveryRulesError, Remedy


def test_built_from_str_int_and_decimal() -> None:
    assert Money("250.00", "USD").amount == Decimal("250.00")
    assert Money(250, "USD").amount == Decimal("250.00")
    assert Money(Decimal("250.5"), "USD").amount == Decimal("250.50")
    assert str(Money(7, "USD").amount) == "7.00"


def test_amount_is_kept_with_the_currencys_places() -> None:
    assert str(Money("5", "JPY").amount) == "5"
    assert str(Money("1.5", "KWD").amount) == "1.500"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (12.5, "float cannot hold money exactly"),
        (0.1 + 0.2, "Decimal('0.30') or '0.30'"),
        (float("nan"), "float cannot hold money exactly"),
        (float("inf"), "float cannot hold money exactly"),
        (Decimal("NaN"), "finite number"),
        (Decimal("sNaN"), "finite number"),
        (Decimal("Infinity"), "finite number"),
        (Decimal("-Infinity"), "finite number"),
        ("NaN", "not a plain decimal number"),
        ("Infinity", "not a plain decimal number"),
        (Decimal("-0"), "negative zero"),
        ("-0", "negative zero"),
        ("-0.00", "negative zero"),
        ("1,000.00", "no thousands separators"),
        ("1e3", "not a plain decimal number"),
        (" 12", "not a plain decimal number"),
        ("+5", "not a plain decimal number"),
        ("", "not a plain decimal number"),
        ("١٢", "not a plain decimal number"),
        ("12.345", "2 decimal places"),
        ("12.500", "2 decimal places"),
        (True, "not a bool"),
        (None, "not NoneType"),
        ([1], "not list"),
        (10**15, "smaller than"),
        ("1" * 17, "is too large: it must be smaller than 1,000,000,000,000,000"),
        ("1" + "0" * 20, "is too large"),
        ("-" + "9" * 200_000, "is too large"),
        ("0" * 30 + "1.5", None),
        ("1.123456789", "2 decimal places"),
        ("1.000", "2 decimal places and 1.000 has more"),  # exact, but more places than the currency has
        ("0.000", "2 decimal places and 0.000 has more"),  # zero alike
        (Decimal("0E-10"), "2 decimal places and 0E-10 has more"),
        ("1." + "5" * 200, "more decimal places than any currency"),
    ],
)
def test_bad_amounts_are_refused_with_a_clear_message(amount: object, expected: str | None) -> None:
    if expected is None:  # leading zeros only: a plain number of the right size
        assert Money(amount, "USD") == Money("1.50", "USD")  # type: ignore[arg-type]
        return
    with pytest.raises(InvalidInputError, match="amount") as caught:
        Money(amount, "USD")  # type: ignore[arg-type]
    assert expected in str(caught.value)
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize(
    ("amount", "currency", "example"),
    [
        (1500.0, "JPY", "Decimal('1500') or '1500'"),
        (12.5, "USD", "Decimal('12.50') or '12.50'"),
        (0.1 + 0.2, "USD", "Decimal('0.30') or '0.30'"),
        (1.5, "KWD", "Decimal('1.500') or '1.500'"),
        ("1,500", "JPY", "for example '1000'"),
        ("1,500", "EUR", "for example '1000.00'"),
        ("¥1500", "JPY", "write '1500'"),
    ],
)
def test_the_example_of_a_refused_amount_is_in_its_currencys_decimal_places(
    amount: object, currency: str, example: str
) -> None:
    """An audit of a Tokyo business: the examples were in dollars' two places, so following the advice for yen
    ("pass '1500.00'") was refused again; and a whole float read as the same whole number in any currency."""
    with pytest.raises(InvalidInputError) as caught:
        Money(amount, currency)  # type: ignore[arg-type]
    assert example in str(caught.value)
    data = {"amount": 1500.0, "currency": "JPY"}
    with pytest.raises(InvalidInputError, match='in quotes: "1500"'):
        Money.validate(data)
    with pytest.raises(InvalidInputError, match='in quotes: "2000"'):
        Money.validate({"amount": 2000.0, "currency": "no code"})  # no currency to follow: whole, as every one takes


def test_an_example_is_made_whatever_decimal_context_the_caller_runs_in() -> None:
    """An audit: under a context that traps rounding (the library's own, which the command line runs in), making
    the example of a refused float raised decimal.Rounded, and ``recovery-rules check`` said it was a bug (exit 3)."""
    with decimal.localcontext(Money.decimal_context()):
        with pytest.raises(InvalidInputError, match="'1500'"):
            Money(1500.0, "JPY")  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError, match='"1500"'):
            Money.validate({"amount": 1500.0, "currency": "JPY"})
        with pytest.raises(InvalidInputError, match=r"'0\.30'"):
            Money(0.1 + 0.2, "USD")  # type: ignore[arg-type]


def test_float_message_says_what_to_pass_instead() -> None:
    with pytest.raises(ValueError, match=r"pass a Decimal or a string"):
        Money(12.5, "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (
            300.5,
            "is the floating-point number 300.5, which cannot hold money exactly; write the amount as text, "
            'in quotes: "300.50"',
        ),
        ([1], 'must be an amount written as text, such as "12.50", not a list'),
        (None, 'must be an amount written as text, such as "12.50", not null'),
        (True, 'must be an amount written as text, such as "12.50", not true or false'),
    ],
)
def test_an_amount_written_as_data_is_explained_without_python(amount: object, expected: str) -> None:
    """The {"amount": ..., "currency": ...} form is how files and JSON write an amount: no Decimal(...) advice."""
    with pytest.raises(InvalidInputError) as caught:
        Money.validate({"amount": amount, "currency": "USD"})
    assert str(caught.value) == f"invalid amount: {expected}"


@pytest.mark.parametrize("currency", ["usd", "US", "XXX1", "", "Dollar", 840, None])
def test_unknown_currencies_are_refused(currency: object) -> None:
    with pytest.raises(InvalidInputError, match="currency"):
        Money("1.00", currency)  # type: ignore[arg-type]


def test_lower_case_currency_gets_a_hint() -> None:
    with pytest.raises(InvalidInputError, match="'USD'"):
        Money("1.00", "usd")


def test_text_form_parses() -> None:
    assert Money("12.50 USD") == Money("12.50", "USD")
    assert Money.parse("3 JPY") == Money(3, "JPY")
    with pytest.raises(InvalidInputError):
        Money("12.50")
    with pytest.raises(InvalidInputError):
        Money("12.50  USD")


def test_arithmetic_and_ordering_within_one_currency() -> None:
    assert Money("1.10", "USD") + Money("2.20", "USD") == Money("3.30", "USD")
    assert Money("5", "USD") - Money("7.5", "USD") == Money("-2.50", "USD")
    assert -Money("2", "USD") == Money("-2", "USD")
    assert abs(Money("-2", "USD")) == Money("2", "USD")
    assert Money("1.00", "USD") < Money("1.01", "USD") <= Money("1.01", "USD")
    assert Money("2", "USD") > Money("1", "USD") >= Money("1", "USD")
    assert Money("0", "USD").is_zero


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
)
def test_mixing_currencies_raises(operation: object) -> None:
    with pytest.raises(CurrencyMismatchError, match="cannot combine USD with EUR") as caught:
        operation(Money("1", "USD"), Money("1", "EUR"))  # type: ignore[operator]
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, RecoveryRulesError)


def test_equality_across_currencies_is_false_not_an_error() -> None:
    assert Money("1", "USD") != Money("1", "EUR")
    assert Money("1", "USD") != Decimal(1)
    assert len({Money("1", "USD"), Money("1.00", "USD"), Money("1", "EUR")}) == 2


def test_money_is_immutable() -> None:
    money = Money("1", "USD")
    with pytest.raises(AttributeError):
        money.amount = Decimal(2)
    assert pickle.loads(pickle.dumps(money)) == money  # noqa: S301 - our own bytes, made one line above


def test_display_for_people() -> None:
    assert Money("2000", "USD").display() == "$2,000.00"
    assert Money("-12.5", "EUR").display() == "-€12.50"
    assert Money("1500", "CHF").display() == "1,500.00 CHF"
    assert Money("1500", "JPY").display() == "¥1,500"


# -- a Money changed behind its back -------------------------------------------------------------------


def _changed(amount: object, currency: object = "USD") -> Money:
    """A Money its constructor checked, then changed with ``object.__setattr__`` (which reaches past immutable)."""
    money = Money("1.00", "USD")
    object.__setattr__(money, "amount", amount)
    object.__setattr__(money, "currency", currency)
    return money


_BROKEN = [
    (Decimal("NaN"), "must be a finite number"),
    (Decimal("sNaN"), "must be a finite number"),
    (Decimal("-0.00"), "negative zero is not an amount"),
    (Decimal("1E+40"), "must be smaller than 1,000,000,000,000,000"),
    (Decimal("1.001"), "USD amounts have exactly 2 decimal places"),
    ("12", "must hold a Decimal amount, not str"),
    (None, "must hold a Decimal amount, not NoneType"),
    (12.5, "must hold a Decimal amount, not float"),
]


@pytest.mark.parametrize(("amount", "message"), _BROKEN, ids=repr)
def test_every_operation_on_a_changed_money_raises_the_error_saying_what_is_wrong(amount: object, message: str) -> None:
    """Only the library's errors leave it: never a TypeError or a decimal signal, nor a NaN carried on quietly."""
    bad, good = _changed(amount), Money("1.00", "USD")
    operations: dict[str, Callable[[], object]] = {
        "bad + good": lambda: bad + good,
        "good + bad": lambda: good + bad,
        "good - bad": lambda: good - bad,
        "-bad": lambda: -bad,
        "abs": lambda: abs(bad),
        "bad < good": lambda: bad < good,
        "good <= bad": lambda: good <= bad,
        "bad > good": lambda: bad > good,
        "bad >= good": lambda: bad >= good,
        "is_zero": lambda: bad.is_zero,
        "display": bad.display,
        "minor units": bad.to_minor_units,
        "in a model": lambda: Remedy(kind="refund", amount=bad),  # a model checks a Money however it was made
    }
    for name, operation in operations.items():
        with pytest.raises(InvalidInputError, match=message) as refused:
            operation()
        assert isinstance(refused.value, RecoveryRulesError), name
    assert str(bad) == f"{amount} USD"  # its text still says what it holds: for a log, never for a decision


def test_a_changed_currency_is_refused_by_operations_and_by_models() -> None:
    bad = _changed(Decimal("1.00"), "usd")
    with pytest.raises(InvalidInputError, match=r"amount\.currency: is not an ISO 4217 currency code"):
        bad.display()
    with pytest.raises(InvalidInputError, match=r"other\.currency: is not an ISO 4217 currency code"):
        Money("1.00", "USD") + bad
    with pytest.raises(InvalidInputError, match="is not an ISO 4217 currency code"):
        Remedy(kind="refund", amount=bad)
    dollars_as_yen = _changed(Decimal("1.00"), "JPY")
    with pytest.raises(InvalidInputError, match="JPY amounts have exactly 0 decimal places"):
        Remedy(kind="refund", amount=dollars_as_yen)


class _Coins(Money):
    """A subclass of Money that changes nothing."""


class _Sticky(Money):
    """A subclass of Money that redefines its amount: what it answers is not what it holds."""

    @property
    def amount(self) -> Decimal:  # type: ignore[override]  # the point: a property where Money has a slot
        return Decimal("1.00")


def test_a_model_holds_exactly_a_money_of_what_a_subclass_holds() -> None:
    held = Remedy(kind="refund", amount=_Coins("12.50", "USD")).amount
    assert type(held) is Money
    assert held == Money("12.50", "USD")
    same = Money("12.50", "USD")
    assert Remedy(kind="refund", amount=same).amount is same  # a valid Money is kept as it is
    with pytest.raises(InvalidInputError, match="is a _Sticky, a subclass of Money that redefines its amount"):
        Remedy(kind="refund", amount=object.__new__(_Sticky))


class _Holder(BaseModel):
    price: Money


def test_json_form_round_trips_inside_models() -> None:
    holder = _Holder(price=Money("12.50", "USD"))
    assert holder.model_dump(mode="json") == {"price": {"amount": "12.50", "currency": "USD"}}
    assert _Holder.model_validate_json(holder.model_dump_json()) == holder
    assert _Holder.model_validate({"price": "12.50 USD"}) == holder
    assert Money("12.50", "USD").to_json() == {"amount": "12.50", "currency": "USD"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"price": {"amount": 12.5, "currency": "USD"}}, "float"),
        ({"price": {"amount": "12.50"}}, "needs both keys"),
        ({"price": {"amount": "1", "currency": "USD", "rate": 1}}, "unknown keys"),
        ({"price": 12}, "needs a currency"),
        ({"price": "12.50"}, "write an amount and its currency"),
    ],
)
def test_json_input_errors_name_the_problem(raw: dict[str, object], expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        _Holder.model_validate(raw)


@given(
    st.integers(-(10**14), 10**14),
    st.integers(-(10**14), 10**14),
    st.sampled_from([1, 2, 3, 28]),
)
def test_sums_are_exact_under_any_thread_context(a: int, b: int, precision: int) -> None:
    with decimal.localcontext() as hostile:
        hostile.prec = precision
        hostile.rounding = decimal.ROUND_FLOOR
        total = Money(Decimal(a).scaleb(-2, context=decimal.Context(prec=40)), "USD") + Money(
            Decimal(b).scaleb(-2, context=decimal.Context(prec=40)), "USD"
        )
    assert total.amount * 100 == a + b


# -- minor units, the largest amount, the decimal context ------------------------------------------

PLACES = {"USD": 2, "JPY": 0, "KWD": 3, "CLF": 4, "EUR": 2}
"""Currencies and their decimal places (ISO 4217's minor units)."""
CURRENCIES = st.sampled_from(sorted(PLACES))


@given(currency=CURRENCIES, units=st.integers(-(10**19), 10**19))
def test_minor_units_round_trip_exactly_up_to_the_largest_amount(currency: str, units: int) -> None:
    most = 10**15 * 10 ** PLACES[currency]
    if -most < units < most:
        money = Money.from_minor_units(units, currency)
        assert money.amount == Decimal(units).scaleb(-PLACES[currency], context=decimal.Context(prec=50))
        assert money.to_minor_units() == units
    else:
        with pytest.raises(InvalidInputError, match="must be smaller than 1,000,000,000,000,000"):
            Money.from_minor_units(units, currency)


def test_minor_units_are_the_currencys_smallest_unit() -> None:
    assert Money.from_minor_units(1250, "USD") == Money("12.50", "USD")
    assert Money.from_minor_units(1250, "JPY") == Money("1250", "JPY")
    assert Money.from_minor_units(-5, "KWD") == Money("-0.005", "KWD")
    assert Money("0.0001", "CLF").to_minor_units() == 1
    assert Money(1, "USD").to_minor_units() == 100


@pytest.mark.parametrize(
    ("units", "currency", "expected"),
    [
        (True, "USD", "must be an int, not bool"),
        (12.5, "USD", "must be an int, not float"),
        ("1250", "USD", "must be an int, not str"),
        (Decimal(1250), "USD", "must be an int, not Decimal"),
        pytest.param(10**5000, "USD", "must be smaller than", id="5001-digits"),  # no decimal signal escapes
        (1250, "usd", "write it in capitals: 'USD'"),
        (1250, "XYZ", "is not an ISO 4217 currency"),
    ],
)
def test_minor_units_refuse_what_is_not_a_count_in_a_currency(units: object, currency: str, expected: str) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(expected)):
        Money.from_minor_units(units, currency)  # type: ignore[arg-type]  # what a careless caller passes


def test_the_largest_amount_is_the_one_money_refuses() -> None:
    largest = Money.MAX_AMOUNT - Decimal("0.01")
    assert Money(largest, "USD").amount == largest
    for amount in (Money.MAX_AMOUNT, -Money.MAX_AMOUNT):
        with pytest.raises(InvalidInputError, match="must be smaller than 1,000,000,000,000,000"):
            Money(amount, "USD")


def test_the_decimal_context_is_a_copy_the_library_does_not_share() -> None:
    context = Money.decimal_context()
    assert context.prec == 40
    assert all(context.traps[signal] for signal in (decimal.Inexact, decimal.Rounded, decimal.Overflow))
    context.prec = 1
    context.traps[decimal.Inexact] = False
    assert Money.decimal_context().prec == 40  # a new copy each time: changing one changes nothing
    assert Money("1234.56", "USD") + Money("0.01", "USD") == Money("1234.57", "USD")
    with decimal.localcontext(Money.decimal_context()), pytest.raises(decimal.Inexact):
        Decimal(1) / Decimal(3)
