"""decide refuses inputs that break the models' invariants, however they were built.

``model_copy(update=...)`` and ``model_construct`` do not validate: a complaint changed that way can hold a
negative amount, a float, a naive time or a dict where a ``Remedy`` belongs. Such an input is refused with an
``InvalidInputError`` naming the field, by ``Policy.decide``, the durable-rules engine and ``Case``, and is never
approved. The engine checks with exact-type tests and compares first, and sends anything unusual to a careful
check: what that lets through is only the unusual but valid (a subclass of Money, a time zone class of the host's).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from recovery_rules import (
    Case,
    Complaint,
    ComplaintNumber,
    CurrencyMismatchError,
    Customer,
    InvalidInputError,
    MemoryJournal,
    Money,
    Outcome,
    Policy,
    RecoveryRulesError,
    Remedy,
    presets,
)
from recovery_rules._engine import _rules as _engine
from recovery_rules._values._money import MAX_AMOUNT

from ._helpers import NOW, FailingZone, complaint, examples, usd
from ._hostile import EqualToAnything, SmallerThanAnything

_Model = TypeVar("_Model", bound=BaseModel)


def construct(model: type[_Model], **fields: Any) -> _Model:
    """``model.model_construct(**fields)``: a model built without validation, holding whatever it is given."""
    return model.model_construct(**fields)


def changed(amount: object) -> Money:
    """A Money its constructor checked, whose amount was then changed behind its back (``object.__setattr__``)."""
    money = Money("1.00", "USD")
    object.__setattr__(money, "amount", amount)
    return money


def _set(model: _Model, **fields: object) -> _Model:
    """``model`` with ``fields`` changed behind its back (``object.__setattr__`` reaches past frozen)."""
    for name, value in fields.items():
        object.__setattr__(model, name, value)
    return model


class Shifty(Money):
    """A subclass of Money whose amount answers $100 at first, then $900,000."""

    __slots__ = ("_reads",)
    _reads: int

    def __init__(self, amount: str, currency: str) -> None:
        super().__init__(amount, currency)
        object.__setattr__(self, "_reads", 0)

    @property
    def amount(self) -> Decimal:  # the point: a property where Money has a slot
        reads = self._reads
        object.__setattr__(self, "_reads", reads + 1)
        return Decimal("100.00") if reads < 4 else Decimal("900000.00")

    @amount.setter
    def amount(self, value: Decimal) -> None:
        Money.__dict__["amount"].__set__(self, value)


class Code(str):
    """A currency code that is a subclass of str: Money holds exactly a str, so it is not a currency code."""

    __slots__ = ()


def trusted(amount: object, currency: object = "USD") -> Money:
    """A Money that never went through Money's checks (as a model_construct'ed remedy can hold)."""
    money = object.__new__(Money)
    object.__setattr__(money, "amount", amount)
    object.__setattr__(money, "currency", currency)
    return money


def asking(amount: object, base: Complaint | None = None) -> Complaint:
    """``base`` asking for ``amount`` (anything at all), changed without validation."""
    base = base or complaint("100.00")
    return base.model_copy(update={"requested": construct(Remedy, kind="refund", amount=amount)})


# -- the red team's example -----------------------------------------------------------------------------------


def test_a_negative_remedy_on_top_of_earlier_grants_is_refused_not_approved(ritz: Policy) -> None:
    changed = complaint("100.00").model_copy(
        update={"requested": construct(Remedy, kind="refund", amount=usd("-8000.00"))}
    )
    with pytest.raises(InvalidInputError, match=r"requested\.amount: must not be negative") as refused:
        ritz.decide(changed, by="general_manager", granted=usd("9000.00"), now=NOW)
    assert isinstance(refused.value, RecoveryRulesError)
    assert isinstance(refused.value, ValueError)
    assert "model_copy(update=...) and model_construct do not validate" in str(refused.value)


def test_a_remedy_copied_with_a_negative_amount_is_refused(ritz: Policy) -> None:
    base = complaint("100.00")
    negative = base.requested.model_copy(update={"amount": usd("-8000.00")})
    with pytest.raises(InvalidInputError, match=r"requested\.amount: must not be negative"):
        ritz.decide(base.model_copy(update={"requested": negative}), by="staff", granted=usd("9000.00"), now=NOW)


# -- every part of the complaint ---------------------------------------------------------------------------------

BASE = complaint("100.00")
NAIVE = dt.datetime(2026, 11, 23, 9, 30)  # noqa: DTZ001 - a naive time is the point


def _changed(**update: object) -> Complaint:
    return BASE.model_copy(update=update)


BAD_COMPLAINTS: dict[str, tuple[Callable[[], Complaint], str]] = {
    "customer as a dict": (lambda: _changed(customer={"id": "10442"}), "customer: must be a Customer"),
    "customer missing": (
        lambda: construct(Complaint, category="noise", requested=BASE.requested, received_at=NOW),
        "customer: must be a Customer",
    ),
    "tier as a list": (
        lambda: _changed(customer=construct(Customer, id="10442", tier=["gold"], name="")),
        "customer.tier: must be a str",
    ),
    "category as None": (lambda: _changed(category=None), "category: must be a str"),
    "requested as a dict": (
        lambda: _changed(requested={"kind": "refund", "amount": "100.00 USD"}),
        "requested: must be a Remedy",
    ),
    "requested missing": (
        lambda: construct(Complaint, customer=BASE.customer, category="noise", received_at=NOW),
        "requested: must be a Remedy",
    ),
    "kind as a list": (
        lambda: _changed(requested=construct(Remedy, kind=["refund"], amount=usd("1.00"))),
        r"requested\.kind: must be a str",
    ),
    "amount missing": (
        lambda: _changed(requested=construct(Remedy, kind="refund")),
        r"requested\.amount: must be a Money, such as Money\('12.50', 'USD'\), not NoneType",
    ),
    "a float for the money": (lambda: asking(12.5), r"requested\.amount: must be a Money.*not float"),
    "a Decimal for the money": (lambda: asking(Decimal("12.50")), r"requested\.amount: must be a Money.*not Decimal"),
    "a float inside the money": (
        lambda: asking(trusted(12.5)),
        r"requested\.amount: must hold a Decimal amount, not float",
    ),
    "NaN": (lambda: asking(trusted(Decimal("NaN"))), r"requested\.amount: must be a finite number"),
    "signalling NaN": (lambda: asking(trusted(Decimal("sNaN"))), r"requested\.amount: must be a finite number"),
    "infinity": (lambda: asking(trusted(Decimal("Infinity"))), r"requested\.amount: must be a finite number"),
    "negative zero": (lambda: asking(trusted(Decimal("-0.00"))), r"requested\.amount: negative zero is not an amount"),
    "too large": (lambda: asking(trusted(Decimal("1E+20"))), r"requested\.amount: must be smaller than"),
    "a tenth of a cent": (
        lambda: asking(trusted(Decimal("10.001"))),
        r"requested\.amount: USD amounts have exactly 2 decimal places",
    ),
    "no cents": (lambda: asking(trusted(Decimal(10))), r"requested\.amount: USD amounts have exactly 2 decimal places"),
    "a tiny exponent": (
        lambda: asking(trusted(Decimal("1E-60"))),
        r"requested\.amount: USD amounts have exactly 2 decimal places",
    ),
    "beyond Money's range, by arithmetic": (
        lambda: asking(Money("999999999999999.99", "USD") + usd("0.01")),
        r"requested\.amount: must be smaller than",
    ),
    "a currency in lower case": (
        lambda: asking(trusted(Decimal("10.00"), "usd")),
        r"requested\.amount\.currency: is not an ISO 4217 currency code",
    ),
    "no currency": (
        lambda: asking(trusted(Decimal("10.00"), None)),
        r"requested\.amount\.currency: is not an ISO 4217 currency code",
    ),
    "naive received_at": (lambda: _changed(received_at=NAIVE), "received_at: must be a timezone-aware datetime"),
    "received_at as text": (
        lambda: _changed(received_at="2026-11-23T09:30:00Z"),
        "received_at: must be a timezone-aware datetime",
    ),
    "received_at as a date": (
        lambda: _changed(received_at=dt.date(2026, 11, 23)),
        "received_at: must be a timezone-aware datetime",
    ),
    "received_at whose tzinfo raises a KeyError": (
        lambda: _changed(received_at=dt.datetime(2026, 11, 23, 9, 30, tzinfo=FailingZone(KeyError("zone")))),
        "received_at: must be a timezone-aware datetime",
    ),
    "received_at whose tzinfo raises a RuntimeError": (
        lambda: _changed(received_at=dt.datetime(2026, 11, 23, 9, 30, tzinfo=FailingZone(RuntimeError("zone")))),
        "received_at: must be a timezone-aware datetime",
    ),
    "number as text": (lambda: _changed(number="20261123-10442"), "number: must be a ComplaintNumber"),
    "number of another customer": (
        lambda: _changed(number=ComplaintNumber.parse("20261123-77")),
        r"number: the complaint number's customer part does not match customer\.id",
    ),
    "customer id changed behind the model's back": (
        lambda: _changed(customer=_set(Customer(id="10442"), id="../../x")),
        r"customer\.id: must be a customer number",
    ),
    "received_at in the year 1": (
        lambda: _changed(received_at=dt.datetime(1, 1, 1, tzinfo=dt.UTC)),
        "received_at: is out of range",
    ),
    "received_at in the year 9500": (
        lambda: _changed(received_at=dt.datetime(9500, 1, 1, tzinfo=dt.UTC)),
        "received_at: is out of range",
    ),
    "received_at at the first instant of the year 9000": (
        lambda: _changed(received_at=dt.datetime(9000, 1, 1, tzinfo=dt.UTC)),
        "received_at: is out of range",
    ),
    "a currency code that is a subclass of str": (
        lambda: asking(trusted(Decimal("10.00"), Code("USD"))),
        r"requested\.amount\.currency: is not an ISO 4217 currency code",
    ),
    "an amount changed to NaN after it was checked": (
        lambda: asking(changed(Decimal("NaN"))),
        r"requested\.amount: must be a finite number",
    ),
    "an amount changed to a tenth of a cent after it was checked": (
        lambda: asking(changed(Decimal("10.001"))),
        r"requested\.amount: USD amounts have exactly 2 decimal places",
    ),
    "an amount changed to text after it was checked": (
        lambda: asking(changed("12")),
        r"requested\.amount: must hold a Decimal amount, not str",
    ),
    "an amount changed to None after it was checked": (
        lambda: asking(changed(None)),
        r"requested\.amount: must hold a Decimal amount, not NoneType",
    ),
    "a Decimal subclass with lying compares": (
        lambda: asking(changed(SmallerThanAnything("9000000.00"))),
        r"requested\.amount: must hold a Decimal amount, not a subclass of Decimal",
    ),
    "a subclass of Money that redefines its amount": (
        lambda: asking(Shifty("100.00", "USD")),
        r"requested\.amount: is a Shifty, a subclass of Money that redefines its amount or currency",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_COMPLAINTS))
def test_a_complaint_changed_without_validation_is_refused_naming_the_field(ritz: Policy, name: str) -> None:
    build, message = BAD_COMPLAINTS[name]
    with pytest.raises(InvalidInputError, match=message):
        ritz.decide(build(), by="general_manager", now=NOW)


@pytest.mark.parametrize("error", [KeyError("zone"), RuntimeError("zone"), ZeroDivisionError()])
def test_a_now_whose_tzinfo_raises_is_refused_at_now(ritz: Policy, error: Exception) -> None:
    """issue 11: the host's own exception never leaves decide; Complaint(...) refuses such a received_at too."""
    broken = dt.datetime(2026, 11, 23, 17, tzinfo=FailingZone(error))
    with pytest.raises(InvalidInputError, match=r"^invalid time: now: .*its tzinfo failed") as refused:
        ritz.decide(complaint("100.00"), by="staff", now=broken)
    assert [problem.location for problem in refused.value.problems] == ["now"]
    with pytest.raises(InvalidInputError) as refused:
        Complaint(
            customer=Customer(id="10442"),
            category="noise",
            requested=Remedy(kind="refund", amount=usd("1.00")),
            received_at=broken,
        )
    assert [problem.location for problem in refused.value.problems] == ["received_at"]
    copied = complaint("100.00").model_copy(update={"received_at": broken})
    with pytest.raises(InvalidInputError, match=r"^invalid complaint: received_at: ") as refused:
        ritz.decide(copied, by="staff", now=NOW)
    assert [problem.location for problem in refused.value.problems] == ["received_at"]


def test_every_wrong_part_is_named_at_once(ritz: Policy) -> None:
    bad = _changed(category=7, received_at=NAIVE, requested=construct(Remedy, kind="refund", amount=usd("-1.00")))
    with pytest.raises(InvalidInputError) as refused:
        ritz.decide(bad, by="staff", now=NOW)
    assert [problem.location for problem in refused.value.problems] == ["category", "requested.amount", "received_at"]


def test_an_amount_in_another_currency_is_still_a_currency_mismatch(ritz: Policy) -> None:
    with pytest.raises(CurrencyMismatchError, match=r"requested\.amount: is in EUR"):
        ritz.decide(asking(Money("10.00", "EUR")), by="staff", now=NOW)


# -- what was granted before ---------------------------------------------------------------------------------------

BAD_GRANTED: dict[str, tuple[object, type[InvalidInputError], str]] = {
    "negative": (usd("-1.00"), InvalidInputError, "granted: must not be negative"),
    "negative zero": (trusted(Decimal("-0.00")), InvalidInputError, "granted: negative zero is not an amount"),
    "NaN": (trusted(Decimal("NaN")), InvalidInputError, "granted: must be a finite number"),
    "infinity": (trusted(Decimal("Infinity")), InvalidInputError, "granted: must be a finite number"),
    "a float inside": (trusted(0.5), InvalidInputError, "granted: must hold a Decimal amount, not float"),
    "a tenth of a cent": (trusted(Decimal("0.001")), InvalidInputError, "granted: USD amounts have exactly 2"),
    "too large": (trusted(MAX_AMOUNT), InvalidInputError, "granted: must be smaller than"),
    "too large, in cents": (
        trusted(MAX_AMOUNT.quantize(Decimal("0.01"))),
        InvalidInputError,
        "granted: must be smaller than",
    ),
    "no currency code": (trusted(Decimal("1.00"), "XYZ"), InvalidInputError, r"granted\.currency: is not an ISO 4217"),
    "a code that is a str subclass": (
        trusted(Decimal("1.00"), Code("USD")),
        InvalidInputError,
        r"granted\.currency: is not an ISO 4217",
    ),
    "a code that says it equals any other": (
        trusted(Decimal("1.00"), EqualToAnything("EUR")),  # euros counted as the policy's dollars, were it believed
        InvalidInputError,
        r"granted\.currency: is not an ISO 4217",
    ),
    "another currency": (Money("1.00", "EUR"), CurrencyMismatchError, "granted: is in EUR"),
    "a float": (0.5, InvalidInputError, "granted: must be a Money"),
    "a Decimal": (Decimal("0.50"), InvalidInputError, "granted: must be a Money"),
}


@pytest.mark.parametrize("name", sorted(BAD_GRANTED))
def test_a_granted_amount_outside_the_invariants_is_refused(ritz: Policy, name: str) -> None:
    granted, error, message = BAD_GRANTED[name]
    with pytest.raises(error, match=message):
        ritz.decide(complaint("100.00"), by="staff", granted=granted, now=NOW)  # type: ignore[arg-type]  # the point


# -- under the host's decimal context, through every engine ---------------------------------------------------


@pytest.mark.parametrize("trap", [True, False])
def test_nan_is_refused_whatever_the_host_decimal_context_traps(ritz: Policy, trap: bool) -> None:
    with decimal.localcontext() as context:
        context.traps[decimal.InvalidOperation] = trap
        with pytest.raises(InvalidInputError, match="must be a finite number"):
            ritz.decide(asking(trusted(Decimal("NaN"))), by="staff", now=NOW)
        with pytest.raises(InvalidInputError, match="must be a finite number"):
            ritz.decide(complaint("10.00"), by="staff", granted=trusted(Decimal("NaN")), now=NOW)


def test_the_durable_rules_engine_refuses_them_too(ritz: Policy) -> None:
    durable = pytest.importorskip("durable", reason="durable-rules is not installed (extra 'durable')")
    assert durable is not None
    from recovery_rules import DurableEngine  # noqa: PLC0415 - only with the extra

    engine = DurableEngine(ritz)
    try:
        with pytest.raises(InvalidInputError, match=r"requested\.amount: must not be negative"):
            engine.decide(asking(usd("-8000.00")), by="general_manager", granted=usd("9000.00"), now=NOW)
        with pytest.raises(InvalidInputError, match="received_at: must be a timezone-aware datetime"):
            engine.decide(_changed(received_at=NAIVE), by="staff", now=NOW)
    finally:
        engine.close()


def test_a_case_refuses_a_preferred_remedy_built_without_validation(ritz: Policy) -> None:
    case = Case.open(MemoryJournal(), ritz, complaint("100.00"), by="staff", now=NOW)
    case.listen(now=NOW)
    case.apologize(now=NOW)
    recorded = len(case.history)
    with pytest.raises(InvalidInputError, match=r"requested\.amount: must not be negative"):
        case.ask_preferred_solution(construct(Remedy, kind="refund", amount=usd("-8000.00")), now=NOW)
    assert len(case.history) == recorded  # nothing was recorded


@pytest.mark.parametrize("amount", [Decimal("NaN"), Decimal("Infinity"), 12.5, Decimal("10.001")])
def test_validating_a_model_checks_a_money_its_constructor_did_not_make(ritz: Policy, amount: object) -> None:
    forged = trusted(amount)
    with pytest.raises(InvalidInputError, match="amount"):
        Remedy(kind="refund", amount=forged)
    with pytest.raises(InvalidInputError, match=r"requested\.amount"):  # Case.open validates the complaint again
        Case.open(MemoryJournal(), ritz, asking(forged), by="staff", now=NOW)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("NaN"), "must be a finite number"),
        (Decimal("sNaN"), "must be a finite number"),
        ("12", "must hold a Decimal amount, not str"),
        (None, "must hold a Decimal amount, not NoneType"),
        (SmallerThanAnything("9000000.00"), "must hold a Decimal amount, not a subclass of Decimal"),
    ],
    ids=repr,
)
def test_a_case_refuses_a_money_changed_after_it_was_checked_saying_what_is_wrong(
    ritz: Policy, amount: object, message: str
) -> None:
    """Only the library's errors leave Case.open and ask_preferred_solution (never decimal.InvalidOperation or a
    TypeError), and nothing is recorded."""
    journal = MemoryJournal()
    with pytest.raises(InvalidInputError, match=rf"requested\.amount: {message}"):
        Case.open(journal, ritz, asking(changed(amount)), by="staff", now=NOW)
    assert journal.head().count == 0
    case = Case.open(journal, ritz, complaint("100.00"), by="staff", now=NOW)
    case.listen(now=NOW)
    case.apologize(now=NOW)
    recorded = len(case.history)
    with pytest.raises(InvalidInputError, match=rf"requested\.amount: {message}"):
        case.ask_preferred_solution(construct(Remedy, kind="refund", amount=changed(amount)), now=NOW)
    assert len(case.history) == recorded


# -- what the fast path lets through: the unusual but valid --------------------------------------------------


class Coins(Money):
    """A subclass of Money: unusual, but its amounts keep Money's rules."""


class Eastern(dt.tzinfo):
    """A time zone class of the host's own: UTC-5, always."""

    def utcoffset(self, moment: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(hours=-5)

    def dst(self, moment: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(0)

    def tzname(self, moment: dt.datetime | None) -> str:
        return "EST"


def test_valid_but_unusual_inputs_are_decided_as_usual(ritz: Policy) -> None:
    usual = ritz.decide(complaint("100.00"), by="staff", granted=usd("10.00"), now=NOW)
    coins = Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Coins("100.00", "USD")),
        received_at=NOW,
    )
    assert ritz.decide(coins, by="staff", granted=Coins("10.00", "USD"), now=NOW) == usual
    eastern = dt.datetime(2026, 11, 23, 4, 30, tzinfo=Eastern())
    own_zone = complaint("100.00").model_copy(update={"received_at": eastern})
    assert ritz.decide(own_zone, by="staff", granted=usd("10.00"), now=NOW) == usual
    copied = complaint("50.00").model_copy(update={"requested": Remedy(kind="refund", amount=usd("100.00"))})
    assert ritz.decide(copied, by="staff", granted=usd("10.00"), now=NOW) == usual
    zero = ritz.decide(complaint("0.00"), by="staff", now=NOW)  # asking for nothing is valid: zero is an amount
    assert zero.outcome is Outcome.APPROVED


def test_a_valid_complaint_takes_the_fast_path(ritz: Policy, monkeypatch: pytest.MonkeyPatch) -> None:
    """Complaints built the usual ways are checked with compares only, never with the careful check."""

    def careful(*args: object) -> None:
        raise AssertionError("the careful check ran for a valid complaint")

    monkeypatch.setattr(_engine, "check_complaint", careful)
    monkeypatch.setattr(_engine, "checked_money", careful)
    built = complaint("100.00")
    parsed = Complaint.model_validate_json(built.model_dump_json())  # received_at in pydantic's own UTC class
    local = built.model_copy(
        update={"received_at": dt.datetime(2026, 11, 23, 4, 30, tzinfo=ZoneInfo("America/New_York"))}
    )
    copied = built.model_copy(update={"requested": Remedy(kind="refund", amount=usd("40.00") + usd("60.00"))})
    for same in (built, parsed, local, copied):
        resolution = ritz.decide(same, by="staff", granted=usd("10.00") + usd("0.50"), now=NOW)
        assert resolution.approved


class Sly(Money):
    """A subclass of Money whose attribute look-up answers $1.00 for the amount, whatever it holds."""

    def __getattribute__(self, name: str) -> Any:
        return Decimal("1.00") if name == "amount" else object.__getattribute__(self, name)


class Wordy(str):
    """A word that says it equals anything, and hashes as another word."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return hash("apology")


def test_a_subclass_is_decided_on_what_its_money_holds_and_the_resolution_shows_exactly_that(ritz: Policy) -> None:
    """The amount is read once, from Money's own storage, and the decision and its resolution use that value."""
    sly = asking(Sly("900000.00", "USD"))
    resolution = ritz.decide(sly, by="staff", now=NOW)
    assert resolution.outcome is Outcome.DENIED  # $900,000.00 is over the $10,000.00 cap, whatever it answers
    assert type(resolution.remedy.amount) is Money
    assert resolution.remedy.amount == usd("900000.00") == resolution.total
    with pytest.raises(InvalidInputError, match=r"granted: must hold a Decimal amount, not a subclass of Decimal"):
        ritz.decide(complaint("100.00"), by="staff", granted=changed(SmallerThanAnything("0.00")), now=NOW)
    with pytest.raises(InvalidInputError, match=r"granted: is a Shifty, a subclass of Money that redefines"):
        ritz.decide(complaint("100.00"), by="staff", granted=Shifty("0.00", "USD"), now=NOW)


def test_words_that_are_subclasses_of_str_are_decided_as_the_words_they_hold(ritz: Policy) -> None:
    usual = ritz.decide(complaint("100.00"), by="staff", now=NOW)
    base = complaint("100.00")
    wordy = base.model_copy(
        update={
            "category": Wordy("room_not_ready"),
            "customer": base.customer.model_copy(update={"tier": Wordy("standard"), "id": Wordy("10442")}),
            "requested": base.requested.model_copy(update={"kind": Wordy("refund")}),
        }
    )
    resolution = ritz.decide(wordy, by="staff", now=NOW)
    assert resolution == usual
    assert type(resolution.remedy.kind) is str
    assert type(resolution.complaint_number.customer_id) is str
    assert str(resolution.complaint_number) == "20261123-10442"


class Numbered(ComplaintNumber):
    """A subclass of ComplaintNumber: unusual, but it holds a complaint number."""

    __slots__ = ()


def test_a_number_of_a_subclass_is_decided_as_the_complaint_number_it_holds(ritz: Policy) -> None:
    """The resolution is filed under exactly a ComplaintNumber, whatever class the complaint's number was."""
    usual = ritz.decide(_changed(number=ComplaintNumber.parse("20261123-10442/2")), by="staff", now=NOW)
    resolution = ritz.decide(_changed(number=Numbered(dt.date(2026, 11, 23), "10442", 2)), by="staff", now=NOW)
    assert type(resolution.complaint_number) is ComplaintNumber
    assert resolution == usual


class Wavering(dt.tzinfo):
    """A host's time zone class that gives UTC-5 ``answers`` times, then raises (a table it reads went away)."""

    def __init__(self, answers: int) -> None:
        self.answers = answers

    def utcoffset(self, moment: dt.datetime | None) -> dt.timedelta:
        if self.answers <= 0:
            raise RuntimeError("zone")
        self.answers -= 1
        return dt.timedelta(hours=-5)

    def dst(self, moment: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(0)

    def tzname(self, moment: dt.datetime | None) -> str:
        return "EST"


@pytest.mark.parametrize("answers", range(6))
def test_a_received_at_whose_tzinfo_fails_later_is_read_once_and_never_lets_its_error_out(
    ritz: Policy, answers: int
) -> None:
    """issue 11: a host's time zone is asked for received_at's instant while the complaint is checked, never
    again; however many times it answers before it fails, decide refuses at received_at or decides on what it
    answered, and the host's own exception never leaves decide."""
    wavering = _changed(received_at=dt.datetime(2026, 11, 23, 4, 30, tzinfo=Wavering(answers)))
    usual = ritz.decide(complaint("100.00"), by="staff", granted=usd("10.00"), now=NOW)
    try:
        outcome: object = ritz.decide(wavering, by="staff", granted=usd("10.00"), now=NOW)
    except InvalidInputError as refused:
        outcome = [problem.location for problem in refused.problems]
    assert outcome in (["received_at"], usual)


def test_a_complaint_built_without_a_number_is_numbered_by_the_businesss_date(ritz: Policy) -> None:
    late = dt.datetime(2026, 11, 23, 2, 30, tzinfo=dt.UTC)  # 21:30 on 22 November in New York
    built = construct(Complaint, customer=BASE.customer, category="noise", requested=BASE.requested, received_at=late)
    assert str(ritz.decide(built, by="staff", now=NOW).complaint_number) == "20261122-10442"


# -- the property: no approval for an input outside the models' invariants ---------------------------------------

_bad_decimals = st.one_of(
    st.decimals(max_value=Decimal("-0.01"), places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from([Decimal("-0.00"), Decimal("NaN"), Decimal("-NaN"), Decimal("sNaN"), Decimal("Infinity")]),
    st.sampled_from([Decimal("-Infinity"), Decimal("1E+15"), Decimal("1E+40"), Decimal("1E-45")]),
    st.decimals(min_value=0, max_value=10**6, places=3).filter(lambda value: value.as_tuple().exponent == -3),
    st.integers(0, 10**6).map(Decimal),  # no cents
)
_not_decimals = st.one_of(st.floats(), st.integers(-(10**6), 10**6), st.text(max_size=5), st.none())
_bad_currencies = st.one_of(
    st.text(max_size=5).filter(lambda code: code not in ("USD", "EUR", "JPY", "GBP", "CHF", "KWD")),
    st.none(),
    st.integers(),
)
_valid_amounts = st.integers(0, 10**8).map(lambda cents: Decimal(cents).scaleb(-2))


@st.composite
def bad_money(draw: st.DrawFn) -> object:
    """Something in place of a valid, non-negative Money in USD."""
    choice = draw(st.sampled_from(["amount", "inside", "currency", "not money", "negative money"]))
    if choice == "amount":
        return trusted(draw(_bad_decimals))
    if choice == "inside":
        return trusted(draw(_not_decimals))
    if choice == "currency":
        return trusted(draw(_valid_amounts), draw(_bad_currencies))
    if choice == "not money":
        return draw(st.one_of(_not_decimals, _bad_decimals, st.builds(dict)))
    return Money(-draw(_valid_amounts) - Decimal("0.01"), "USD")  # a valid Money, but not a valid remedy


_not_text = st.one_of(st.none(), st.integers(), st.floats(), st.lists(st.text(max_size=3), max_size=2))
_not_times = st.one_of(
    st.datetimes(),  # naive
    st.dates(),
    st.text(max_size=25),
    st.none(),
    st.datetimes(timezones=st.timezones()).map(lambda moment: moment.timetz()),  # a time of day with a zone
)


@st.composite
def untrusted(draw: st.DrawFn) -> tuple[Policy, Complaint, str, Any]:
    """A preset, a complaint and ``granted`` with at least one part outside the models' invariants."""
    policy = presets.load(draw(st.sampled_from(presets.NAMES)))
    base = Complaint(
        customer=Customer(id="10442", tier=draw(st.sampled_from(["standard", "gold", "season_pass"]))),
        category=draw(st.sampled_from([*policy.categories, "never_heard_of"])),
        requested=Remedy(kind=draw(st.sampled_from(policy.vocabulary)), amount=Money(draw(_valid_amounts), "USD")),
        received_at=NOW,
    )
    granted: Any = draw(st.one_of(st.none(), st.builds(lambda amount: Money(amount, "USD"), _valid_amounts)))
    corruptions = draw(
        st.lists(
            st.sampled_from(
                ["amount", "remedy", "customer", "tier", "kind", "category", "received_at", "number", "granted"]
            ),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    update: dict[str, Any] = {}
    for part in corruptions:
        if part == "amount":
            build = draw(st.sampled_from(["construct", "copy"]))
            amount = draw(bad_money())
            update["requested"] = (
                construct(Remedy, kind=base.requested.kind, amount=amount)
                if build == "construct"
                else base.requested.model_copy(update={"amount": amount})
            )
        elif part == "remedy":
            update["requested"] = draw(st.one_of(_not_text, st.builds(dict), st.just(base.customer)))
        elif part == "customer":
            update["customer"] = draw(st.one_of(_not_text, st.builds(dict), st.just(base.requested)))
        elif part == "tier":
            update["customer"] = base.customer.model_copy(update={"tier": draw(_not_text)})
        elif part == "kind":
            update["requested"] = base.requested.model_copy(update={"kind": draw(_not_text)})
        elif part == "category":
            update["category"] = draw(_not_text)
        elif part == "received_at":
            update["received_at"] = draw(_not_times)
        elif part == "number":  # None is no corruption: a complaint without a number is numbered by the policy
            update["number"] = draw(st.one_of(_not_text.filter(lambda value: value is not None), st.text(max_size=20)))
        else:
            granted = draw(bad_money().filter(lambda value: value is not None))  # None: nothing granted, valid
    build = draw(st.sampled_from(["copy", "construct"]))
    if build == "copy":
        changed = base.model_copy(update=update)
    else:
        fields = {name: getattr(base, name) for name in type(base).model_fields}
        changed = construct(Complaint, **(fields | update))
    return policy, changed, draw(st.sampled_from([level.name for level in policy.levels])), granted


@settings(max_examples=examples(300))
@given(untrusted(), st.booleans())
def test_no_approval_for_an_input_outside_the_models_invariants(
    case: tuple[Policy, Complaint, str, Any], trap_nan: bool
) -> None:
    policy, changed, by, granted = case
    note(f"by={by!r} granted={granted!r}")
    with decimal.localcontext() as context:
        context.traps[decimal.InvalidOperation] = trap_nan
        try:
            resolution = policy.decide(changed, by=by, granted=granted, now=NOW)
        except InvalidInputError:
            return
    pytest.fail(f"decided instead of refusing: {resolution.outcome.value}: {resolution.reason}")
