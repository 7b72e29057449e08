"""``Money``: an exact amount in an ISO 4217 currency.

Amounts are :class:`decimal.Decimal`, never ``float``. All arithmetic runs in
the library's own decimal context (:data:`DECIMAL_CONTEXT`), which traps any
rounding, so a host app that changed its thread's precision or rounding mode
cannot move a limit, and an inexact result raises instead of passing quietly.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar, Final, Self

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from recovery_rules.exceptions import CurrencyMismatchError, InvalidInputError, Problem

from ._currencies import MINOR_UNITS, SYMBOLS

__all__ = [
    "CURRENCY_CONTEXT",
    "DECIMAL_CONTEXT",
    "MAX_AMOUNT",
    "Money",
    "canonical_money",
    "checked_money",
    "in_currency",
    "money_problems",
    "read_money",
    "trusted_money",
    "valid_amount",
    "valid_money",
]

DECIMAL_CONTEXT: Final = decimal.Context(
    prec=40,
    rounding=decimal.ROUND_HALF_EVEN,
    Emin=-40,
    Emax=40,
    traps=[
        decimal.InvalidOperation,
        decimal.DivisionByZero,
        decimal.Overflow,
        decimal.Underflow,
        decimal.Inexact,
        decimal.Rounded,
        decimal.Subnormal,
        decimal.Clamped,
    ],
)
"""The decimal context of every computation on money: exact or an exception."""

MAX_AMOUNT: Final = Decimal("1000000000000000")
"""Amounts must be smaller than this (10**15) in absolute value."""

_AMOUNT_TEXT: Final = re.compile(r"-?[0-9]{1,16}(?:\.[0-9]{1,8})?")
_PLAIN_NUMBER: Final = re.compile(r"-?([0-9]+)(?:\.[0-9]+)?")
"""A number written in plain digits, of any length: one ``_AMOUNT_TEXT`` refuses is too large or too precise."""
_LONGEST_NUMBER: Final = 100
"""A plain number longer than this, but not too large, has too many decimal places to be read at all."""
TOO_LARGE: Final = f"is too large: it must be smaller than {MAX_AMOUNT:,} in absolute value"
_MONEY_TEXT: Final = re.compile(r"(?P<amount>\S{1,40}) (?P<currency>\S{1,8})")
_QUANTA: Final = {places: Decimal(1).scaleb(-places, context=DECIMAL_CONTEXT) for places in range(5)}


def _amount_problem(message: str) -> InvalidInputError:
    return InvalidInputError.at("amount", "amount", message)


def _parse_currency(currency: object) -> str:
    if not isinstance(currency, str):
        raise InvalidInputError.at("amount", "currency", "must be an ISO 4217 code such as 'USD' (a string)")
    currency = str.__str__(currency)  # its text: a subclass's hash or equality is never asked
    if currency not in MINOR_UNITS:
        hint = (
            f"write it in capitals: {currency.upper()!r}"
            if currency.upper() in MINOR_UNITS
            else "use an ISO 4217 code such as 'USD', 'EUR' or 'JPY'"
        )
        shown = currency if len(currency) <= 8 and currency.isprintable() else currency[:8] + "..."
        raise InvalidInputError.at("amount", "currency", f"{shown!r} is not an ISO 4217 currency; {hint}")
    return currency


_DECIMAL_COMMA: Final = re.compile(r"(-?\d+),(\d{1,2})")
"""An amount written with a decimal comma, ``15,00`` or ``15,5`` (never ``1,000``, a thousands separator)."""
_CURRENCY_SIGNS: Final = "$€£¥₹"


def _meant_amount(written: str) -> str | None:
    """The plain amount a text written with a currency sign or a decimal comma means (``€15,00``: ``15.00``)."""
    text = written.strip().strip(_CURRENCY_SIGNS).strip()
    comma = _DECIMAL_COMMA.fullmatch(text)
    if comma is not None:
        text = f"{comma[1]}.{comma[2]}"
    return text if text != written and _AMOUNT_TEXT.fullmatch(text) else None


def _parse_amount(amount: object, currency: str) -> Decimal:
    if isinstance(amount, bool):
        raise _amount_problem("must be a Decimal, int or string, not a bool")
    if isinstance(amount, float):
        example = _as_text(amount, currency)
        raise _amount_problem(
            f"a float cannot hold money exactly ({float.__repr__(amount)}); pass a Decimal or a string, "
            f"for example Decimal('{example}') or '{example}'"
        )
    if isinstance(amount, int):
        if abs(amount) >= MAX_AMOUNT:
            raise _amount_problem(TOO_LARGE)
        value = Decimal(amount)
    elif isinstance(amount, str):
        if not _AMOUNT_TEXT.fullmatch(amount):
            plain = _PLAIN_NUMBER.fullmatch(amount)
            if plain is not None and len(plain[1].lstrip("0")) > len(str(MAX_AMOUNT)) - 1:
                raise _amount_problem(TOO_LARGE)  # digits it is, but too many of them
            if plain is None or len(amount) > _LONGEST_NUMBER:
                shown = amount if len(amount) <= 24 and amount.isprintable() else amount[:24] + "..."
                meant = _meant_amount(amount)
                raise _amount_problem(
                    f"{shown!r} is not a plain decimal number; write {meant!r}"
                    if plain is None and meant is not None
                    else f"{shown!r} is not a plain decimal number; write digits with an optional '.' and sign, "
                    f"no thousands separators or exponent, for example '{_in_places(1000, MINOR_UNITS[currency])}'"
                    if plain is None
                    else f"{shown!r} has more decimal places than any currency; write the amount to the cent"
                )
        value = Decimal(amount)
    elif isinstance(amount, Decimal):
        value = amount if type(amount) is Decimal else Decimal(amount)  # a subclass: the number it holds
        if not value.is_finite():
            raise _amount_problem("must be a finite number, not NaN or infinity")
    else:
        raise _amount_problem(f"must be a Decimal, int or string, not {type(amount).__name__}")
    if value.is_zero() and value.is_signed():
        raise _amount_problem("negative zero is not an amount; write 0")
    if value.copy_abs() >= MAX_AMOUNT:
        raise _amount_problem(TOO_LARGE)
    places = MINOR_UNITS[currency]
    # Quantizing refuses more places than the currency has (the context traps rounding), but not of a zero:
    # "0.000" has as many places as "1.000", so a zero's are counted (only a zero's: as_tuple costs).
    if not value.is_zero() or value.as_tuple().exponent >= -places:  # type: ignore[operator]  # finite: an int
        try:
            return value.quantize(_QUANTA[places], context=DECIMAL_CONTEXT)
        except decimal.DecimalException:
            pass
    written = str.__str__(amount) if isinstance(amount, str) else value  # as written: 0.00000001, never 1E-8
    raise _amount_problem(
        f"{currency} amounts have {places} decimal places and {written} has more; "
        "recovery-rules never rounds silently, so round it yourself first"
    )


_WRITTEN_TYPES: Final = {
    "list": "a list",
    "tuple": "a list",
    "dict": "a table",
    "NoneType": "null",
    "bool": "true or false",
}


def _check_written_amount(amount: object, currency: object = None) -> None:
    """Refuse an amount that cannot be one, in words for whoever wrote it: as data (JSON, a file) or in Python.

    The ``{"amount": ..., "currency": ...}`` form is how files and JSON write an amount; its messages give
    no Python advice (a Python caller writes the amount as text as well). ``currency``: the amount's, when
    it is a currency code, for an example in its decimal places.
    """
    if isinstance(amount, float):
        raise InvalidInputError.at(
            "amount",
            "",
            f"is the floating-point number {float.__repr__(amount)}, which cannot hold money exactly; "
            f'write the amount as text, in quotes: "{_as_text(amount, currency)}"',
        )
    if isinstance(amount, bool) or not isinstance(amount, (str, int, Decimal)):
        kind = _WRITTEN_TYPES.get(type(amount).__name__, type(amount).__name__)
        places = MINOR_UNITS.get(currency) if isinstance(currency, str) else None
        example = _in_places(1250, places, scale=True)
        raise InvalidInputError.at("amount", "", f'must be an amount written as text, such as "{example}", not {kind}')


def _as_text(value: object, currency: object = None) -> str:
    """A number as the amount text a person probably meant, for an example in a message (what
    :meth:`Money.example` gives): in the decimal places of ``currency`` when it is a currency code (``100.5`` as
    ``100.50`` in dollars, ``1500.0`` as ``1500`` in yen), rounded as it was probably meant (``0.1 + 0.2`` as
    ``0.30``).

    Without a currency, a whole number is written without decimals, which every currency takes (``1500.0`` as
    ``1500``), and another in two places (``100.5`` as ``100.50``). A value no amount is (NaN, an infinity, too
    large, not a number at all) gives a usual example instead: 12.50 in the currency's places. Zero is written
    without a sign (``-0.0`` as ``0.00``): an amount is never negative zero. So the text is always an amount
    :class:`Money` takes in ``currency``.
    """
    places = MINOR_UNITS.get(currency) if isinstance(currency, str) else None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return _in_places(1250, places, scale=True)
    # float.__repr__: the shortest text of the number itself, whatever a subclass (numpy's float64) says it is
    exact = Decimal(float.__repr__(value)) if isinstance(value, float) else Decimal(value)
    if not exact.is_finite() or exact.copy_abs() >= MAX_AMOUNT:
        return _in_places(1250, places, scale=True)  # any example will do
    if exact.is_zero():
        exact = exact.copy_abs()
    if places is None:
        places = 0 if exact == exact.to_integral_value() else 2
    # Rounded to the currency's places, as the number was probably meant (0.1 + 0.2 as 0.30): only an example.
    # A context of its own: the caller's (or the library's, which traps rounding) must not make an example raise.
    rounding = decimal.Context(prec=40, rounding=decimal.ROUND_HALF_EVEN)
    value = exact.quantize(_QUANTA[places], context=rounding)
    if value.copy_abs() >= MAX_AMOUNT:  # rounded up to the bound no amount reaches: the largest amount below it
        value = exact.quantize(_QUANTA[places], rounding=decimal.ROUND_DOWN, context=rounding)
    text = f"{value:f}"
    return text.removeprefix("-") if Decimal(text).is_zero() else text  # -0.004 rounds to 0.00, never -0.00


def _in_places(units: int, places: int | None, *, scale: bool = False) -> str:
    """An example amount in a currency's decimal ``places`` (``None``: two, as dollars): ``units`` itself
    written in them (``1000`` as ``1000.00``), or with ``scale``, ``units`` of its smallest unit (``1250`` as
    ``12.50``, or ``1250`` yen)."""
    places = 2 if places is None else places
    value = Decimal(units)
    value = (
        value.scaleb(-places, context=DECIMAL_CONTEXT)
        if scale
        else value.quantize(_QUANTA[places], context=DECIMAL_CONTEXT)
    )
    return f"{value:f}"


_EXAMPLE_CURRENCY: Final = "USD"
"""The currency of the examples this module's messages give (``"12.50 USD"``), where no other is known."""

CURRENCY_CONTEXT: Final = "currency"
"""The key of a pydantic validation context that names the currency amounts should be in: the examples of
:class:`Money`'s messages are then in it (``Complaint.model_validate(data, context={"currency": "EUR"})``)."""


def context_currency(context: object) -> str | None:
    """The currency a validation ``context`` says amounts should be in: its :data:`CURRENCY_CONTEXT` entry when
    that is a currency code, else ``None``."""
    if isinstance(context, Mapping):
        currency = context.get(CURRENCY_CONTEXT)
        if isinstance(currency, str) and currency in MINOR_UNITS:
            return currency
    return None


def _example_forms(currency: str) -> tuple[str, ...]:
    """The examples this module's messages give, in ``currency`` (12.50 in its decimal places: 1250 yen)."""
    amount = f"{Decimal(1250).scaleb(-MINOR_UNITS[currency], context=DECIMAL_CONTEXT):f}"
    return (
        f'{{"amount": "{amount}", "currency": "{currency}"}}',
        f'"{amount} {currency}"',
        f"'{amount} {currency}'",
        f"Money('{amount}', '{currency}')",
        f"currency code such as '{currency}'",
        f"ISO 4217 code such as '{currency}' (a string)",
    )


_USUAL_EXAMPLES: Final = _example_forms(_EXAMPLE_CURRENCY)


def in_currency(message: str, currency: object) -> str:
    """``message`` with the examples of an amount that this module's messages give (``"12.50 USD"``,
    ``{"amount": "12.50", "currency": "USD"}``, ``Money('12.50', 'USD')``, a currency code such as ``'USD'``)
    in ``currency``: for a message about an amount of a policy whose currency is known, so that a euro
    policy's author is shown euros. ``message`` as it is when ``currency`` is no currency code."""
    if not isinstance(currency, str) or currency not in MINOR_UNITS or currency == _EXAMPLE_CURRENCY:
        return message
    for usual, example in zip(_USUAL_EXAMPLES, _example_forms(currency), strict=True):
        message = message.replace(usual, example)
    return message


class Money:
    """An exact amount of money in one currency.

    >>> Money("12.50", "USD")
    Money('12.50', 'USD')
    >>> Money("12.50 USD") + Money(1, "USD")
    Money('13.50', 'USD')

    ``amount`` may be a :class:`~decimal.Decimal`, an ``int`` or a string of
    digits. A ``float`` is refused, as are NaN, infinities, negative zero and
    more decimal places than the currency has: nothing is ever rounded
    silently. ``+``, ``-`` and ordering work only between amounts of the same
    currency: between two currencies they raise :class:`~recovery_rules.CurrencyMismatchError`, and with
    anything but a :class:`Money`, :class:`TypeError`.
    ``==`` between different currencies is simply ``False``.

    In JSON an amount is ``{"amount": "12.50", "currency": "USD"}``; the string
    ``"12.50 USD"`` is accepted as input too.
    """

    __slots__ = ("_json", "amount", "currency")

    MAX_AMOUNT: ClassVar[Decimal] = MAX_AMOUNT
    """Every amount made is smaller than this in absolute value: 10**15, a million billion in any currency.

    :class:`Money` refuses a larger amount, and so does every model with an amount in it. A sum may reach it
    (``Money(10**15 - 1, "USD") + Money(1, "USD")``); such a sum is refused by every later use that
    carries it on (an ordering comparison such as ``<``, its JSON form, ``Money(str(...))``, unpickling, a model);
    only ``==`` and ``hash`` still take it, so that it can be found and reported.
    """

    amount: Decimal
    currency: str
    _json: dict[str, str]  # the JSON form, made on first use (see _json_form)

    def __init__(self, amount: Decimal | int | str, currency: str | None = None) -> None:
        if currency is None:
            if not isinstance(amount, str):
                raise InvalidInputError.at("amount", "currency", "is missing; write Money('12.50', 'USD')")
            amount, currency = _split_text(amount)
        code = _parse_currency(currency)
        object.__setattr__(self, "currency", code)
        object.__setattr__(self, "amount", _parse_amount(amount, code))

    @classmethod
    def _trusted(cls, amount: Decimal, currency: str) -> Self:
        """Build from values already known to be valid (internal fast path)."""
        money = object.__new__(cls)
        object.__setattr__(money, "amount", amount)
        object.__setattr__(money, "currency", currency)
        return money

    @classmethod
    def zero(cls, currency: str) -> Self:
        """Zero in ``currency``."""
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str) -> Self:
        """Read the ``"12.50 USD"`` form."""
        return cls(text)

    @classmethod
    def from_minor_units(cls, units: int, currency: str) -> Self:
        """``units`` of the currency's smallest unit (cents for USD, yen for JPY, fils for KWD) as Money.

        >>> Money.from_minor_units(1250, "USD")
        Money('12.50', 'USD')
        >>> Money.from_minor_units(1250, "JPY")
        Money('1250', 'JPY')

        The inverse of :meth:`to_minor_units`. ``units`` must be an ``int`` (not a
        ``bool``), and the amount smaller than :attr:`MAX_AMOUNT` in absolute value;
        else :class:`~recovery_rules.InvalidInputError`.
        """
        code = _parse_currency(currency)
        if isinstance(units, bool) or not isinstance(units, int):
            raise _amount_problem(f"a count of minor units must be an int, not {type(units).__name__}")
        places = MINOR_UNITS[code]
        most = int(MAX_AMOUNT) * 10**places
        if not -most < units < most:  # checked first: a longer count does not fit the decimal context exactly
            raise _amount_problem(
                f"is too large: amounts must be smaller than {MAX_AMOUNT:,} in absolute value "
                f"({most:,} minor units of {code})"
            )
        return cls(Decimal(units).scaleb(-places, context=DECIMAL_CONTEXT), code)

    def to_minor_units(self) -> int:
        """The amount counted in the currency's smallest unit: ``1250`` for ``Money("12.50", "USD")``.

        Exact: an amount has exactly as many decimal places as its currency. The
        inverse of :meth:`from_minor_units`.
        """
        return int(self._amount().scaleb(MINOR_UNITS[self.currency], context=DECIMAL_CONTEXT))

    @staticmethod
    def decimal_context() -> decimal.Context:
        """A copy of the decimal context every computation on money runs in: exact, or an exception.

        40 digits of precision, and every signal trapped (``Inexact``, ``Rounded``,
        ``Overflow``...). The library passes it to each operation and never installs
        it, so a thread's own context changes nothing; use the copy for arithmetic
        of your own on amounts, such as ``with decimal.localcontext(Money.decimal_context()):``.
        Changing the copy changes nothing in the library.
        """
        return DECIMAL_CONTEXT.copy()

    # -- immutability --------------------------------------------------------
    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Money is immutable; build a new Money instead")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Money is immutable")

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self

    def __reduce__(self) -> tuple[type[Money], tuple[str, str]]:
        return (Money, (str(self.amount), self.currency))

    # -- arithmetic and comparison ------------------------------------------
    # An amount changed behind Money's back (``object.__setattr__``: NaN, text, None, a Decimal subclass) is
    # refused by every operation with the InvalidInputError saying what is wrong, never let out as a
    # TypeError or a decimal signal, nor carried on quietly (NaN + 1 is NaN without a signal).
    def _amounts(self, other: Money) -> tuple[Decimal, Decimal]:
        """Both amounts, each checked (see :func:`valid_amount`), in one currency: else the error."""
        (mine, currency), (theirs, other_currency) = _stored(self), _stored(other)  # None for a slot never set
        if not (_valid(mine, currency) and _valid(theirs, other_currency)):  # each code exactly a str
            raise _unusable(self, other)
        if other_currency != currency:
            raise CurrencyMismatchError(currency, other_currency)  # type: ignore[arg-type]  # str: checked just above
        return mine, theirs  # type: ignore[return-value]  # Decimals: checked just above

    def _amount(self) -> Decimal:
        """The amount, checked (see :func:`valid_amount`): else the error saying what is wrong."""
        amount = self.amount
        if not _valid(amount, self.currency):
            raise _unusable(self)
        return amount

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        mine, theirs = self._amounts(other)
        return Money._trusted(DECIMAL_CONTEXT.add(mine, theirs), self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        mine, theirs = self._amounts(other)
        return Money._trusted(DECIMAL_CONTEXT.subtract(mine, theirs), self.currency)

    def __neg__(self) -> Money:
        amount = self._amount()
        if amount.is_zero():
            return self
        return Money._trusted(DECIMAL_CONTEXT.minus(amount), self.currency)

    def __abs__(self) -> Money:
        return Money._trusted(self._amount().copy_abs(), self.currency)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        mine: object
        currency: object
        theirs: object
        other_currency: object
        try:
            if type(self) is Money and type(other) is Money:  # Money's own slots: plain reads say what they hold
                try:
                    mine, currency, theirs, other_currency = self.amount, self.currency, other.amount, other.currency
                except AttributeError:  # a slot never set (model_construct past the constructor)
                    (mine, currency), (theirs, other_currency) = _stored(self), _stored(other)
            else:
                (mine, currency), (theirs, other_currency) = _stored(self), _stored(other)
            if type(currency) is not str or type(other_currency) is not str:  # a code that says it equals any
                raise _unusable(self, other)
            return currency == other_currency and mine == theirs
        except _BROKEN:  # a signalling NaN, say
            raise _unusable(self, other) from None

    def __hash__(self) -> int:
        try:
            return hash((self.amount, self.currency))
        except _BROKEN:  # a signalling NaN cannot be hashed
            raise _unusable(self) from None

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        mine, theirs = self._amounts(other)
        return mine < theirs

    def __le__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        mine, theirs = self._amounts(other)
        return mine <= theirs

    def __gt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        mine, theirs = self._amounts(other)
        return mine > theirs

    def __ge__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        mine, theirs = self._amounts(other)
        return mine >= theirs

    @property
    def is_zero(self) -> bool:
        """Whether the amount is zero."""
        return self._amount().is_zero()

    # -- text ---------------------------------------------------------------
    def __repr__(self) -> str:
        amount, currency = _stored(self)
        return f"Money({str(amount)!r}, {currency!r})"

    def __str__(self) -> str:
        """The ``"12.50 USD"`` form, which :class:`Money` reads back."""
        return f"{self.amount} {self.currency}"

    def display(self) -> str:
        """The amount written for people: ``$2,000.00``, ``€12.50``, ``¥1,500``, ``1,500.00 CHF``."""
        amount, currency = self._amount(), self.currency
        places = MINOR_UNITS[currency]
        sign = "-" if amount.is_signed() else ""
        digits = f"{amount.copy_abs():,.{places}f}"
        symbol = SYMBOLS.get(currency)
        return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency}"

    def to_json(self) -> dict[str, str]:
        """The JSON form: ``{"amount": "12.50", "currency": "USD"}``.

        Only of a valid amount: a sum that reached :attr:`MAX_AMOUNT` is refused, as by every later use.
        """
        self._amount()  # the InvalidInputError saying what is wrong, never a form Money refuses to read back
        return dict(self._json_form())

    def _json_form(self) -> dict[str, str]:
        # Made once per Money and shared with the serializer, which only reads it: a resolution's
        # amounts are mostly the policy's own (limits, the cap, catalog values), written again and again.
        try:
            return self._json
        except AttributeError:
            form = {"amount": str(self.amount), "currency": self.currency}
            object.__setattr__(self, "_json", form)
            return form

    # -- pydantic -----------------------------------------------------------
    @classmethod
    def validate(cls, value: object, *, context: object = None) -> Money:
        """Build a :class:`Money` from any accepted form (used by pydantic models).

        A Money is checked as it is, whichever way it was made: one whose amount or
        currency was changed behind its back (``object.__setattr__``), or built with
        ``object.__new__``, is refused unless it holds a valid amount. What comes
        back is always exactly a :class:`Money` (a subclass's amount and currency,
        read once, in a Money of their own), so a model never holds anything else.

        ``context`` is a pydantic validation context, as a model passes it on
        (``Complaint.model_validate(data, context={"currency": "EUR"})``): its
        ``"currency"`` entry, a currency code, is the currency the examples of the
        error's messages are written in (``write an amount and its currency, for
        example '12.50 EUR'``). Without one they are in dollars. It changes nothing
        else: an amount in another currency is accepted here, as ever, and refused
        where amounts are compared with a policy's (``decide``).

        >>> Money.validate({"amount": "1500"}, context={"currency": "JPY"})
        Traceback (most recent call last):
        ...
        recovery_rules.InvalidInputError: invalid amount: needs both keys: {"amount": "1250", "currency": "JPY"}
        """
        return _validate(value, None, context)

    @classmethod
    def example(cls, number: object, currency: str | None = None) -> str:
        """The text of the amount a refused ``number`` probably means, in ``currency``, for a message that asks
        for the amount written as text: ``"150.50"`` for ``150.5`` in dollars or euros, ``"1500"`` for
        ``1500.0`` in yen, ``"0.30"`` for ``0.1 + 0.2`` in dollars (rounded to the currency's places, as the
        number was probably meant).

        >>> Money.example(150.5, "EUR"), Money.example(1500.0, "JPY"), Money.example(150, "USD")
        ('150.50', '1500', '150.00')

        ``currency`` is the ISO 4217 code the amount is, or should be, in; without one (``None``, or a text
        that is no currency code), a whole number is written without decimals, which every currency takes,
        and another in two places. A number no amount is (NaN, an infinity, too large) gives 1,250 of the
        currency's smallest unit: ``12.50`` in dollars, ``1250`` in yen, ``1.250`` in dinars. The text is always
        one :class:`Money` accepts in ``currency``: an example copied back is read. Never raises.
        """
        return _as_text(number, currency)

    @classmethod
    def _checked(cls, value: object, info: ValidationInfo | None, context: object) -> Money:
        """:meth:`validate`; its messages' examples in dollars but those made from a float, in the currency of
        the validation context (``info``'s, else ``context``), which :func:`_validate` gives the others."""
        if type(value) is Money:
            if _valid(value.amount, value.currency):
                return value
            return checked_money(value, "amount")
        if isinstance(value, Money):
            return checked_money(value, "amount")
        if isinstance(value, str):
            return cls(value)
        if isinstance(value, dict):
            unknown = set(value) - {"amount", "currency"}
            if unknown:
                raise InvalidInputError.at(
                    "amount", "", f"unknown keys {sorted(map(str, unknown))}; use amount and currency"
                )
            if "amount" not in value or "currency" not in value:
                raise InvalidInputError.at("amount", "", 'needs both keys: {"amount": "12.50", "currency": "USD"}')
            amount, written = value["amount"], value["currency"]
            if isinstance(amount, bool) or not isinstance(amount, (str, int, Decimal)):
                known = isinstance(written, str) and written in MINOR_UNITS  # its example in it, else the context's
                _check_written_amount(amount, written if known else _context_code(info, context))
            return cls(amount, written)
        if isinstance(value, float):  # both problems at once: a float rounds, and an amount needs its currency
            currency = _example_currency(info, context)
            raise InvalidInputError.at(
                "amount",
                "",
                f"is the floating-point number {float.__repr__(value)}, which cannot hold an exact amount, and has "
                f'no currency: write it as text with its currency, such as "{_as_text(value, currency)} {currency}"',
            )
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            raise InvalidInputError.at(
                "amount", "", 'needs a currency: write {"amount": "12.50", "currency": "USD"} or "12.50 USD"'
            )
        kind = _WRITTEN_TYPES.get(type(value).__name__, type(value).__name__)
        raise InvalidInputError.at(
            "amount", "", f'must be {{"amount": "12.50", "currency": "USD"}} or "12.50 USD", not {kind}'
        )

    @classmethod
    def __get_pydantic_core_schema__(cls, source: type[Any], handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(
            _validate_for_pydantic,
            serialization=core_schema.plain_serializer_function_ser_schema(
                Money._json_form, when_used="json-unless-none"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return MONEY_JSON_SCHEMA


MONEY_JSON_SCHEMA: Final[dict[str, Any]] = {
    "title": "Money",
    "description": 'An exact amount: {"amount": "12.50", "currency": "USD"} or "12.50 USD".',
    "anyOf": [
        {
            "type": "object",
            "properties": {
                "amount": {"type": "string", "pattern": r"^-?[0-9]{1,16}(\.[0-9]{1,8})?$"},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            },
            "required": ["amount", "currency"],
            "additionalProperties": False,
        },
        {"type": "string", "pattern": r"^-?[0-9]{1,16}(\.[0-9]{1,8})? [A-Z]{3}$"},
    ],
}


# Money's own slots, set directly: what ``Money._trusted`` does, in half the time (a decision builds a few).
_new: Final = object.__new__
_AMOUNT_SLOT: Final = Money.__dict__["amount"]
_CURRENCY_SLOT: Final = Money.__dict__["currency"]
_set_amount: Final = _AMOUNT_SLOT.__set__
_set_currency: Final = _CURRENCY_SLOT.__set__
_get_amount: Final = _AMOUNT_SLOT.__get__
_get_currency: Final = _CURRENCY_SLOT.__get__
_RANGE_DIGITS: Final = len(str(int(MAX_AMOUNT))) - 1
"""How many digits an amount may have before its decimal point: 15, as it is smaller than :data:`MAX_AMOUNT`."""

_BROKEN: Final = (decimal.DecimalException, TypeError, AttributeError, KeyError)
"""What an operation on a Money whose amount or currency was changed behind its back raises."""


def trusted_money(amount: Decimal, currency: str) -> Money:
    """A :class:`Money` of ``amount`` in ``currency``, both known to be valid (sums and differences of valid ones).

    The engine's fast path: no check at all, so only for values that already passed one.
    """
    money = _new(Money)
    _set_amount(money, amount)
    _set_currency(money, currency)
    return money


def valid_amount(amount: object, places: int | None, *, non_negative: bool = False) -> bool:
    """Whether ``amount`` is a valid amount of a currency with ``places`` decimal places (``None``: no currency).

    Exactly a :class:`~decimal.Decimal` (a subclass can answer anything to a compare), finite, not negative
    zero (nor negative at all with ``non_negative``), smaller than :data:`MAX_AMOUNT` in absolute value, with
    exactly ``places`` decimal places: what :class:`Money`'s constructor makes. One look at the amount's
    digits, so cheap enough for every decision.
    """
    if type(amount) is not Decimal or places is None:
        return False
    spelling = _CANONICAL_AMOUNT.get(places)
    if spelling is None:  # pragma: no cover - every currency's places have a spelling
        return _valid_digits(amount, places, non_negative=non_negative)
    # Read from the amount's text, which costs a third less than its digits (as_tuple builds a named tuple):
    # with an exponent of -places (0, 2 or 3) Decimal writes the amount plainly, "-" then the digits before
    # the point (a single 0 when there are none) and exactly -exponent after it; any other exponent, NaN or
    # an infinity is written otherwise (1E+2, 1.5, NaN, Infinity), so the pattern says what _valid_digits says.
    text = str(amount)
    if text[0] == "-":
        if non_negative or amount.is_zero():  # negative, or negative zero
            return False
        text = text[1:]
    return spelling.fullmatch(text) is not None


def _valid_digits(amount: Decimal, places: int, *, non_negative: bool) -> bool:
    """:func:`valid_amount` read from the amount's digits (for ``places`` no currency has)."""
    sign, digits, exponent = amount.as_tuple()  # NaN and infinities have a letter for an exponent
    return (
        exponent == -places
        and len(digits) + exponent <= _RANGE_DIGITS
        and (not sign or (not non_negative and digits != (0,)))
    )


def _valid(amount: object, currency: object) -> bool:
    """Whether ``amount`` and ``currency`` make a valid :class:`Money` (see :func:`valid_amount`)."""
    return type(currency) is str and valid_amount(amount, MINOR_UNITS.get(currency))


def valid_money(money: object, *, non_negative: bool = False) -> bool:
    """Whether ``money`` is exactly a :class:`Money` holding a valid amount (see :func:`valid_amount`)."""
    if type(money) is not Money:
        return False
    currency = money.currency
    return type(currency) is str and valid_amount(money.amount, MINOR_UNITS.get(currency), non_negative=non_negative)


def _stored(money: Money) -> tuple[object, object]:
    """``money``'s amount and currency as its own slots hold them, ``None`` for one never set.

    Read through :class:`Money`'s slots themselves: a subclass cannot answer something else.
    """
    try:
        amount = _get_amount(money, Money)
    except AttributeError:
        amount = None
    try:
        currency = _get_currency(money, Money)
    except AttributeError:
        currency = None
    return amount, currency


def _redefines(kind: type) -> bool:
    """Whether ``kind``, a subclass of :class:`Money`, redefines its amount or its currency."""
    for klass in kind.__mro__:
        if klass is Money:
            return False
        if "amount" in vars(klass) or "currency" in vars(klass):
            return True
    return True


def read_money(money: object, location: str, *, non_negative: bool = False) -> tuple[Money | None, list[Problem]]:
    """``money`` as exactly a :class:`Money` of its amount and currency, each read once, or what is wrong."""
    kind = type(money)
    if not issubclass(kind, Money):
        return None, [Problem(location, f"must be a Money, such as Money('12.50', 'USD'), not {kind.__name__}")]
    if kind is not Money and _redefines(kind):
        return None, [
            Problem(location, f"is a {kind.__name__}, a subclass of Money that redefines its amount or currency")
        ]
    amount, currency = _stored(money)  # type: ignore[arg-type]  # a Money: its type was just checked
    problems = []
    places = MINOR_UNITS.get(currency) if type(currency) is str else None
    if places is None:
        problems.append(Problem(f"{location}.currency", "is not an ISO 4217 currency code such as 'USD'"))
    if type(amount) is not Decimal:
        what = "a subclass of Decimal" if isinstance(amount, Decimal) else type(amount).__name__
        problems.append(Problem(location, f"must hold a Decimal amount, not {what}"))
    elif not amount.is_finite():
        problems.append(Problem(location, "must be a finite number, not NaN or infinity"))
    elif amount.is_signed() and amount.is_zero():
        problems.append(Problem(location, "negative zero is not an amount; write 0"))
    elif amount.is_signed() and non_negative:
        problems.append(Problem(location, "must not be negative"))
    elif amount.copy_abs() >= MAX_AMOUNT:
        problems.append(Problem(location, f"must be smaller than {MAX_AMOUNT:,} in absolute value"))
    elif places is not None and amount.as_tuple().exponent != -places:
        problems.append(Problem(location, f"{currency} amounts have exactly {places} decimal places"))
    if problems:
        return None, problems
    if kind is Money and money.amount is amount and money.currency is currency:  # type: ignore[attr-defined]
        return money, problems  # type: ignore[return-value]  # exactly a Money, as checked
    return trusted_money(amount, currency), problems  # type: ignore[arg-type]  # both checked just now


def money_problems(money: object, location: str, *, non_negative: bool = False) -> list[Problem]:
    """What is wrong with ``money`` as a :class:`Money`, located at ``location``; empty when nothing is.

    For values that did not go through :class:`Money`'s own checks: a model changed
    with ``model_copy(update=...)`` or built with ``model_construct`` holds whatever
    it was given. ``non_negative=True`` refuses amounts below zero too.
    """
    return read_money(money, location, non_negative=non_negative)[1]


def checked_money(money: object, location: str, *, non_negative: bool = False, what: str = "amount") -> Money:
    """``money``, checked however it was made: exactly a :class:`Money` holding the amount and currency checked.

    A subclass's amount and currency are read once, from Money's own slots, and returned in a Money of
    their own, so what the caller goes on to use is what was checked. Raises
    :class:`~recovery_rules.InvalidInputError` (``what`` is its ``what``) naming what is wrong at ``location``.
    """
    checked, problems = read_money(money, location, non_negative=non_negative)
    if checked is None:
        raise InvalidInputError(what, problems)
    return checked


def _unusable(*moneys: Money) -> InvalidInputError:
    """The error of an operation on amounts one of which is not valid, saying what is wrong with each."""
    problems = [
        problem
        for money, location in zip(moneys, ("amount", "other"), strict=False)
        for problem in money_problems(money, location)
    ]
    return InvalidInputError("amount", problems or [Problem("amount", "is not a valid amount")])


_CANONICAL_AMOUNT: Final = {
    places: re.compile(r"(?:0|[1-9][0-9]{0,14})" + (rf"\.[0-9]{{{places}}}" if places else ""))
    for places in set(MINOR_UNITS.values())
}


def canonical_money(text: object, currency: object) -> Money | None:
    """The :class:`Money` of zero or more in ``currency`` whose amount's text (``str(money.amount)``) is ``text``.

    ``None`` when there is none: ``text`` is not an amount ``Money(text, currency)`` accepts, or is negative,
    or is not written the one way ``str`` writes it back (no leading zeros, exactly the currency's decimal
    places). For reading back amounts stored in that spelling without parsing them twice.
    """
    if type(text) is not str or type(currency) is not str:
        return None
    places = MINOR_UNITS.get(currency)
    if places is None or _CANONICAL_AMOUNT[places].fullmatch(text) is None:
        return None
    return trusted_money(Decimal(text), currency)


def _split_text(text: str) -> tuple[str, str]:
    match = _MONEY_TEXT.fullmatch(text)
    if match is None:
        raise InvalidInputError.at("amount", "", "write an amount and its currency, for example '12.50 USD'")
    return match["amount"], match["currency"]


def _context_code(info: ValidationInfo | None, context: object) -> str | None:
    """The currency of the validation context, ``info``'s (a model's validation) else ``context``, if it names
    one (see :func:`context_currency`)."""
    return context_currency(info.context if info is not None else context)


def _example_currency(info: ValidationInfo | None, context: object) -> str:
    """The currency of the examples in a message: the validation context's (:func:`_context_code`), else
    dollars."""
    return _context_code(info, context) or _EXAMPLE_CURRENCY


def _validate(value: object, info: ValidationInfo | None, context: object = None) -> Money:
    """:meth:`Money.validate`, the examples of its messages in the currency of the validation context: ``info``'s
    (a model's validation), else ``context``. The context is read only when the value is refused: validating
    an amount costs no more with one than without."""
    try:
        return Money._checked(value, info, context)
    except InvalidInputError as error:
        raise _in_context_currency(error, info, context) from None


def _in_context_currency(error: InvalidInputError, info: ValidationInfo | None, context: object) -> InvalidInputError:
    """``error``, its examples in the currency of the validation context (see :func:`_example_currency`)."""
    currency = _example_currency(info, context)
    if currency == _EXAMPLE_CURRENCY:
        return error
    shown = [Problem(problem.location, in_currency(problem.message, currency)) for problem in error.problems]
    return InvalidInputError(error.what, shown)


def _validate_for_pydantic(value: object, info: ValidationInfo) -> Money:
    try:
        return Money._checked(value, info, None)  # not through _validate: one call fewer, on the hottest path
    except InvalidInputError as caught:
        error = _in_context_currency(caught, info, None)
        message = "; ".join(
            problem.message if problem.location in ("", "amount") else str(problem) for problem in error.problems
        )
        raise PydanticCustomError("money", message) from None
