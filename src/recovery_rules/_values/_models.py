"""The inputs of a decision: ``Customer``, ``Remedy``, ``Complaint``, ``ComplaintNumber``."""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Annotated, Any, ClassVar, Final, NamedTuple, Self
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, TzInfo, core_schema

from recovery_rules.exceptions import InvalidInputError, Problem

from ._base import CONSEQUENTIAL, Identifier, RecoveryModel, Text, Word
from ._money import Money, read_money
from ._time import EARLIEST_INPUT_TIME, LATEST_INPUT_TIME, InputTime, is_aware, known_zone
from ._trusted import trusted_builder

__all__ = [
    "COMPLAINT_NUMBER",
    "MAX_SEQUENCE",
    "Complaint",
    "ComplaintNumber",
    "Customer",
    "NonNegativeMoney",
    "Remedy",
    "canonical_number",
    "check_complaint",
]

MAX_SEQUENCE: Final = 999_999
"""The highest sequence a complaint number has (a customer's complaints of one day)."""

_NUMBER_TEXT: Final = re.compile(
    r"(?P<date>[0-9]{8})-(?P<customer>[A-Za-z0-9][A-Za-z0-9_.-]{0,63})(?:/(?P<sequence>[1-9][0-9]{0,5}))?"
)
COMPLAINT_NUMBER: Final = _NUMBER_TEXT
"""The shape of a complaint number's text (groups ``date``, ``customer`` and ``sequence``); the date is not checked."""


def _non_negative(value: Money) -> Money:
    if value.amount < 0:
        raise PydanticCustomError("negative", "must not be negative")
    return value


NonNegativeMoney = Annotated[Money, AfterValidator(_non_negative)]
"""A :class:`Money` of zero or more."""


_iso_date: Final = dt.date.isoformat


class ComplaintNumber:
    """The number a case is filed under: the date followed by the customer number.

    ``20261123-10442`` is customer ``10442``'s complaint of 23 November 2026.
    A second complaint by the same customer on the same day carries a sequence
    number: ``20261123-10442/2``.

    >>> n = ComplaintNumber.parse("20261123-10442")
    >>> n.date, n.customer_id, n.sequence
    (datetime.date(2026, 11, 23), '10442', 1)
    >>> str(n)
    '20261123-10442'
    """

    __slots__ = ("_text", "customer_id", "date", "sequence")

    date: dt.date
    customer_id: str
    sequence: int
    _text: str

    def __init__(self, date: dt.date, customer_id: str, sequence: int = 1) -> None:
        if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
            raise InvalidInputError.at("complaint number", "date", "must be a datetime.date")
        # the number it holds (int's own conversion): a subclass's comparisons are its own
        sequence = int.__int__(sequence) if isinstance(sequence, int) and not isinstance(sequence, bool) else 0
        if not 1 <= sequence <= MAX_SEQUENCE:
            raise InvalidInputError.at("complaint number", "sequence", "must be an integer from 1 to 999999")
        # the type first: formatting a caller's value into the text calls its own code (a nested dict recurses)
        # YYYYMMDD from the date's own value (datetime.date.isoformat itself, not a method a subclass could
        # redefine): formatting each field with a format spec costs three times more.
        text = (
            _iso_date(date).replace("-", "") + "-" + str.__str__(customer_id) + (f"/{sequence}" if sequence > 1 else "")
            if isinstance(customer_id, str)
            else ""
        )
        matched = _NUMBER_TEXT.fullmatch(text)
        # its text must read back as this customer's: an id holding '/' ("10/442") reads as customer 10's 442nd
        if matched is None or matched["customer"] != str.__str__(customer_id):
            raise InvalidInputError.at(
                "complaint number",
                "customer_id",
                "must be a customer number of ASCII letters, digits, '_', '.' or '-', such as '10442'",
            )
        # kept as exactly a date and a str: a subclass's own comparisons and hash (the journal compares customer
        # ids when it counts a guest's grants) could say anything; its text was read by str's and date's own code
        _set_date(self, date if type(date) is dt.date else dt.date.fromordinal(dt.date.toordinal(date)))
        _set_customer_id(self, customer_id if type(customer_id) is str else str.__str__(customer_id))
        _set_sequence(self, sequence)
        _set_text(self, text)  # the text form, made once: it is written into every record

    @classmethod
    def parse(cls, text: str) -> Self:
        """Read a complaint number such as ``20261123-10442`` or ``20261123-10442/2``."""
        match = _NUMBER_TEXT.fullmatch(text) if isinstance(text, str) else None
        date = None
        if match is not None:
            try:
                digits = match["date"]
                date = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
            except ValueError:
                date = None
        if match is None or date is None:
            raise InvalidInputError.at(
                "complaint number",
                "number",
                "must be the date as YYYYMMDD, '-', and the customer number, "
                "optionally '/' and a sequence number: for example 20261123-10442",
            )
        return cls(date, match["customer"], int(match["sequence"] or 1))

    @classmethod
    def for_complaint(
        cls, customer_id: str, received_at: dt.datetime, sequence: int = 1, *, timezone: str | None = None
    ) -> Self:
        """The number of customer ``customer_id``'s complaint received at ``received_at``.

        With ``timezone`` (a policy's :attr:`~recovery_rules.Policy.timezone`, such as
        ``"America/New_York"``), the date is the business's date: the day
        ``received_at`` falls on in that zone, whatever zone it was given in. That
        is the number :meth:`Policy.decide <recovery_rules.Policy.decide>` and
        :meth:`Case.open <recovery_rules.Case.open>` give a complaint that does not
        set its own: a New York hotel numbers a complaint received at 02:30 UTC on
        23 November ``20261122-...``. Without ``timezone``, the date is that of
        ``received_at`` in its own time zone.

        ``received_at`` must be timezone-aware, as in a :class:`Complaint`: the date
        of a naive time depends on the machine that reads it.
        """
        if not isinstance(received_at, dt.datetime) or not is_aware(received_at):
            raise InvalidInputError.at(
                "complaint number",
                "received_at",
                "must be a timezone-aware datetime; pass tzinfo, for example datetime(..., tzinfo=timezone.utc)",
            )
        if timezone is None:
            return cls(received_at.date(), customer_id, sequence)
        return cls(business_date(received_at, zone(timezone)), customer_id, sequence)

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"ComplaintNumber.parse({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ComplaintNumber):
            return NotImplemented
        return self._text == other._text

    def __hash__(self) -> int:
        return hash(self._text)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("ComplaintNumber is immutable")

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (ComplaintNumber.parse, (str(self),))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: type[Any], handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _validate_number,
            serialization=core_schema.plain_serializer_function_ser_schema(str, when_used="json-unless-none"),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "title": "ComplaintNumber",
            "pattern": "^" + re.sub(r"\(\?P<\w+>", "(", _NUMBER_TEXT.pattern) + "$",  # no Python-only named groups
            "examples": ["20261123-10442"],
        }


_new_number: Final = object.__new__
# ComplaintNumber's own slots, set directly: what object.__setattr__ does by name, in half the time.
_set_date: Final = ComplaintNumber.__dict__["date"].__set__
_set_customer_id: Final = ComplaintNumber.__dict__["customer_id"].__set__
_set_sequence: Final = ComplaintNumber.__dict__["sequence"].__set__
_set_text: Final = ComplaintNumber.__dict__["_text"].__set__


def canonical_number(text: object) -> ComplaintNumber | None:
    """The :class:`ComplaintNumber` whose text is exactly ``text``, if there is one; else ``None``.

    The same as ``ComplaintNumber.parse(text)`` when its ``str`` gives ``text`` back (no ``/1``), made without
    checking the text twice: for reading back numbers stored in their one spelling.
    """
    match = _NUMBER_TEXT.fullmatch(text) if type(text) is str else None
    if match is None:
        return None
    digits, customer, sequence_text = match.group("date", "customer", "sequence")
    if sequence_text == "1":  # written without its sequence: "/1" is not the number's spelling
        return None
    try:
        date = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None
    number = _new_number(ComplaintNumber)
    _set_date(number, date)
    _set_customer_id(number, customer)
    _set_sequence(number, 1 if sequence_text is None else int(sequence_text))
    _set_text(number, text)
    return number


def zone(name: object) -> ZoneInfo:
    """The time zone named ``name`` (an IANA name such as ``"America/New_York"``), or :class:`InvalidInputError`."""
    known = known_zone(str.__str__(name) if isinstance(name, str) else name)
    if known is not None:
        return ZoneInfo(known)
    raise InvalidInputError.at("time zone", "timezone", "must be an IANA time zone name such as 'America/New_York'")


def business_date(received_at: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """The business's date of a complaint received at ``received_at``: the day it falls on in ``zone``.

    The same instant gives the same date whatever zone ``received_at`` was given in. Refuses an aware
    time that cannot be shown in ``zone`` (the first or last hours of the calendar).
    """
    try:
        return received_at.astimezone(zone).date()
    except (OverflowError, ValueError):
        raise InvalidInputError.at(
            "complaint", "received_at", "is out of range: a time must be from the year 1900 to 8999 (in UTC)"
        ) from None


_Parts = tuple[dt.date, str, int, str]


@functools.lru_cache(maxsize=4096)
def _number_parts(day: dt.date, customer_id: str) -> _Parts:
    # Remembered as its parts, which nobody can change: a shared ComplaintNumber could be changed past validation
    # (object.__setattr__) by one caller, and every later complaint of that guest that day would carry it.
    number = ComplaintNumber(day, customer_id)
    return (number.date, number.customer_id, number.sequence, number._text)


def _from_parts(parts: _Parts) -> ComplaintNumber:
    number = object.__new__(ComplaintNumber)
    day, customer_id, sequence, text = parts
    _set_date(number, day)
    _set_customer_id(number, customer_id)
    _set_sequence(number, sequence)
    _set_text(number, text)
    return number


def numbered(day: dt.date, customer_id: str) -> ComplaintNumber:
    """``ComplaintNumber(day, customer_id)``, its parts remembered: a customer's complaints of one day share them.

    Only for exactly a ``date`` and a ``str`` (a subclass could answer anything to the look-up).
    """
    return _from_parts(_number_parts(day, customer_id))


@functools.lru_cache(maxsize=4096)
def _received(zone: dt.tzinfo, received_at: dt.datetime, fold: int, customer_id: str) -> _Parts:
    # Remembered by the instant: a complaint is decided again at each step of its case. ``fold`` is part of
    # the key because two times of one zone that differ only by it (the repeated hour) compare equal.
    return _number_parts(business_date(received_at, zone), customer_id)


_HONEST_ZONES: Final = frozenset({dt.timezone, ZoneInfo, TzInfo})
"""The ``tzinfo`` classes whose offsets are the same at every call: the standard library's and pydantic's."""


def business_number(customer_id: str, received_at: dt.datetime, zone: dt.tzinfo) -> ComplaintNumber:
    """The first number of customer ``customer_id``'s complaints on the business's date (see :func:`business_date`).

    What a complaint that does not set its own number is numbered: in ``Policy.decide``'s resolution and,
    with the next free sequence, by ``Case.open``. An id a number cannot hold is refused at ``customer.id``.
    """
    honest = type(received_at) is dt.datetime and type(received_at.tzinfo) in _HONEST_ZONES
    if honest and type(customer_id) is str:
        try:
            day, known_id, sequence, text = _received(zone, received_at, received_at.fold, customer_id)
        except InvalidInputError:
            pass  # worked out again below, to say which part is wrong
        else:  # _from_parts, written out: a decision makes one
            number = _new_number(ComplaintNumber)
            _set_date(number, day)
            _set_customer_id(number, known_id)
            _set_sequence(number, sequence)
            _set_text(number, text)
            return number
    day = business_date(received_at, zone)
    try:
        return numbered(day, customer_id) if type(customer_id) is str else ComplaintNumber(day, customer_id)
    except InvalidInputError:
        raise InvalidInputError.at(
            "complaint", "customer.id", "must be a customer number of ASCII letters, digits, '_', '.' or '-'"
        ) from None


def _validate_number(value: object) -> ComplaintNumber:
    if isinstance(value, ComplaintNumber):
        return value
    if isinstance(value, str):
        try:
            return ComplaintNumber.parse(value)
        except InvalidInputError as error:
            raise PydanticCustomError("complaint_number", error.problems[0].message) from None
    raise PydanticCustomError("complaint_number", "must be a complaint number such as '20261123-10442'")


class Customer(RecoveryModel):
    """The guest or customer who complains.

    ``tier`` is a word of the policy (``standard``, ``silver``, ``gold``...);
    levels may grant more to better tiers. ``name`` is personal data: it is used
    in wording and never appears in error messages.
    """

    _what: ClassVar[str] = "customer"

    id: Identifier
    tier: Word = "standard"
    name: Text = ""


class Remedy(RecoveryModel):
    """What is asked for or granted: a kind (``refund``, ``credit``...) and an amount."""

    _what: ClassVar[str] = "remedy"

    kind: Word
    amount: NonNegativeMoney
    description: Text = ""


class Complaint(RecoveryModel):
    """A customer's complaint, as the host app received it.

    ``category`` is what the complaint is about, a word such as
    ``room_not_ready`` (one the policy does not list still gets the
    alternatives that apply to everything); ``requested`` is what the customer
    asks for. ``received_at`` must be timezone-aware, a ``datetime`` or ISO 8601
    text (never a number: seconds and milliseconds since 1970 cannot be told
    apart), from the year 1900 to 8999 in UTC. ``description`` is the
    customer's account in their own words: personal data, never in error
    messages.

    ``number`` is the complaint number the paper trail is filed under: the
    date followed by the customer number (``"20261123-10442"``; its customer
    part must be ``customer.id``). Left out (or ``None``, JSON ``null``), it is made from the date of
    ``received_at`` in the zone it was given in. But a complaint has no policy,
    so it cannot know the business's date: where the policy is known, a
    complaint that did not *set* its number is numbered the same way
    everywhere, by the business's date (the day ``received_at`` falls on in
    the policy's ``timezone``, whatever zone it was given in) followed by the
    customer number. That is
    :attr:`Resolution.complaint_number <recovery_rules.Resolution.complaint_number>`
    of :meth:`Policy.decide <recovery_rules.Policy.decide>`, and the number
    :meth:`Case.open <recovery_rules.Case.open>` files the case under (with a
    sequence, ``/2``, for the customer's next complaint that day);
    ``ComplaintNumber.for_complaint(customer.id, received_at, timezone=policy.timezone)``
    gives it too. A number the host sets is kept as given.

    A dump writes the made number like any other (:attr:`number_set` tells them apart), so a complaint read back
    from ``model_dump()`` or its JSON has set it; read back from ``model_dump(exclude_unset=True)`` (or
    ``model_dump_json(exclude_unset=True)``) it has not, and is numbered by the business's date as before.
    """

    _what: ClassVar[str] = "complaint"

    customer: Customer
    category: Word
    requested: Remedy
    received_at: InputTime
    description: Text = ""
    number: ComplaintNumber = Field(default=None, validate_default=True)  # filled in by _fill_number

    @model_validator(mode="before")
    @classmethod
    def _number_none_is_left_out(cls, data: Any) -> Any:
        # ``number=None`` (JSON ``"number": null``) is the default said out loud: the complaint did not set its
        # number, and a policy numbers it by the business's date. Kept, pydantic would count the field as set.
        if type(data) is dict and "number" in data and data["number"] is None:
            return {name: value for name, value in data.items() if name != "number"}
        return data

    @field_validator("number", mode="before")
    @classmethod
    def _fill_number(cls, value: object, info: ValidationInfo) -> object:
        if value is not None:
            return value
        customer = info.data.get("customer")
        received_at = info.data.get("received_at")
        if customer is None or received_at is None:
            # customer or received_at is itself invalid and reported; nothing to derive from.
            raise PydanticCustomError(CONSEQUENTIAL, "cannot be made without a valid customer and received_at")
        customer_id = customer.id
        if type(received_at) is dt.datetime and type(customer_id) is str:  # validated, so aware
            return numbered(received_at.date(), customer_id)  # what for_complaint makes, shared by the day's others
        return ComplaintNumber.for_complaint(customer_id, received_at)

    @property
    def number_set(self) -> bool:
        """Whether the host set :attr:`number` (else it was made, and a policy numbers the complaint itself)."""
        return "number" in self.model_fields_set

    @field_validator("number", mode="after")
    @classmethod
    def _number_matches_customer(cls, number: ComplaintNumber, info: ValidationInfo) -> ComplaintNumber:
        # A field validator, so the problem is placed at ``number`` (a file's line and column, a form's field).
        customer = info.data.get("customer")
        if customer is not None and number.customer_id != customer.id:
            raise PydanticCustomError(
                "complaint_number",
                "the complaint number's customer part does not match customer.id; "
                "leave number out to have it made for you",
            )
        return number


_UNVALIDATED: Final = (
    "model_copy(update=...) and model_construct do not validate; build the complaint with Complaint(...) "
    "or check a changed one with Complaint.model_validate(complaint.model_dump(exclude_unset=True))"
)


class CheckedComplaint(NamedTuple):
    """The parts of a complaint a decision reads, each read once and checked (see :func:`check_complaint`)."""

    customer_id: str
    tier: str
    category: str
    requested: Remedy
    """Exactly a :class:`Remedy` of ``kind`` and ``amount``: the complaint's own when it is one."""
    kind: str
    amount: Money
    """Exactly a :class:`Money`, valid and not negative."""
    received_at: dt.datetime
    number: ComplaintNumber | None


def _text(value: object, location: str, problems: list[Problem]) -> str:
    """``value`` as exactly a ``str`` (a subclass's own characters), or ``""`` with a problem when it is none."""
    if type(value) is str:
        return value
    if isinstance(value, str):
        return str.__str__(value)  # the characters themselves: a subclass cannot answer otherwise
    problems.append(Problem(location, "must be a str"))
    return ""


def check_complaint(complaint: Complaint) -> CheckedComplaint:
    """Refuse a complaint that breaks the models' invariants, whichever way it was built; else its parts.

    Raises :class:`~recovery_rules.InvalidInputError` naming every field that is
    wrong. The checks are those a decision relies on, the same the engine makes
    on its fast path: the parts are a ``Customer``, a ``Remedy`` and, when set, a
    ``ComplaintNumber`` of the customer; the words (``category``, the tier, the
    remedy kind) and the customer number are strings; the amount asked is a
    valid, non-negative :class:`Money`; ``received_at`` is a timezone-aware
    ``datetime`` from the year 1900 to 8999 in UTC. (The finer rules of the
    models, such as the spelling of words and the lengths of texts, are checked
    when a complaint is validated, as :meth:`Case.open <recovery_rules.Case.open>` does.)

    Each part is read once, and what is returned is what was checked: the words
    as exactly ``str``, the amount as exactly a :class:`Money` (a subclass's amount
    read from Money's own slots), so nothing can answer one thing to the check and
    another to the decision.
    """
    problems: list[Problem] = []
    customer = getattr(complaint, "customer", None)
    customer_id = tier = ""
    if not isinstance(customer, Customer):
        problems.append(Problem("customer", "must be a Customer, such as Customer(id='10442')"))
    else:
        customer_id = _text(getattr(customer, "id", None), "customer.id", problems)
        tier = _text(getattr(customer, "tier", None), "customer.tier", problems)
    category = _text(getattr(complaint, "category", None), "category", problems)
    requested = getattr(complaint, "requested", None)
    kind, description, amount = "", "", None
    if not isinstance(requested, Remedy):
        problems.append(Problem("requested", "must be a Remedy, such as Remedy(kind='refund', amount=Money(...))"))
    else:
        kind = _text(getattr(requested, "kind", None), "requested.kind", problems)
        amount, found = read_money(getattr(requested, "amount", None), "requested.amount", non_negative=True)
        problems += found
        description = _text(getattr(requested, "description", ""), "requested.description", problems)
    received_at = getattr(complaint, "received_at", None)
    if not isinstance(received_at, dt.datetime) or not is_aware(received_at):
        problems.append(Problem("received_at", "must be a timezone-aware datetime"))
    else:
        received_at = _input_instant(received_at)  # the instant, in UTC: the host's tzinfo is not asked again
        if received_at is None:
            problems.append(
                Problem("received_at", "is out of range: a time must be from the year 1900 to 8999 (in UTC)")
            )
    # A number the complaint made itself (not set) is not the business's: the decision numbers it.
    number = getattr(complaint, "number", None) if "number" in getattr(complaint, "model_fields_set", ()) else None
    if number is not None and type(number) is not ComplaintNumber:
        number = _exact_number(number)
        if number is None:
            problems.append(Problem("number", "must be a ComplaintNumber such as '20261123-10442', or None"))
    if number is not None and customer_id and number.customer_id != customer_id:
        problems.append(Problem("number", "the complaint number's customer part does not match customer.id"))
    if problems:
        last = problems[-1]
        problems[-1] = Problem(last.location, f"{last.message}. {_UNVALIDATED}")
        raise InvalidInputError("complaint", problems)
    if amount is None or not isinstance(requested, Remedy) or not isinstance(received_at, dt.datetime):
        raise AssertionError("a complaint passed its checks without its parts")  # each missing one is a problem
    money: Money = amount
    fields = requested.__dict__
    if not (
        type(requested) is Remedy
        and fields.get("kind") is kind
        and fields.get("amount") is money
        and fields.get("description") is description
    ):
        requested = _trusted_remedy({"kind": kind, "amount": money, "description": description})
    return CheckedComplaint(customer_id, tier, category, requested, kind, money, received_at, number)


def _input_instant(moment: dt.datetime) -> dt.datetime | None:
    """``moment`` (aware) as the same instant in UTC, if it is within the years 1900 to 8999 once in UTC, as
    :data:`InputTime` requires; ``None`` when it is not, or its ``tzinfo`` fails to say (whatever it raises)."""
    try:
        instant = moment.astimezone(dt.UTC)
        return instant if EARLIEST_INPUT_TIME <= instant < LATEST_INPUT_TIME else None
    except Exception:  # beyond the calendar once in UTC, or a host's tzinfo that fails
        return None


def _exact_number(number: object) -> ComplaintNumber | None:
    """``number`` as exactly a :class:`ComplaintNumber`, from its own text, or ``None`` when it is none."""
    if not isinstance(number, ComplaintNumber):
        return None
    try:
        text = _number_text(number, ComplaintNumber)
    except AttributeError:
        return None
    try:
        return ComplaintNumber.parse(str.__str__(text)) if isinstance(text, str) else None
    except InvalidInputError:
        return None


_number_text: Final = ComplaintNumber.__dict__["_text"].__get__
_trusted_remedy: Final = trusted_builder(
    Remedy,
    frozenset({"kind", "amount", "description"}),
    {"kind": "refund", "amount": Money("1.00", "USD"), "description": ""},
)
