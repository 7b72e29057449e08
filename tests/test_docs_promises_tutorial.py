"""Promises of a reader's first hour (the tutorial, the README, the reference pages on inputs, resolutions,
policies, presets and files), checked one step beyond the examples the pages show."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from pydantic import Field

from recovery_rules import (
    Complaint,
    ComplaintNumber,
    Customer,
    InvalidInputError,
    Money,
    Outcome,
    Policy,
    RecoveryModel,
    Remedy,
    presets,
)

from ._docs import DOCS, blocks

NEW_YORK = ZoneInfo("America/New_York")
TUTORIAL = DOCS / "tutorial"


class Float64(float):
    """A float as numpy's ``float64`` is one (a subclass of ``float``), with numpy 2's ``repr``."""

    def __repr__(self) -> str:
        return f"np.float64({float.__repr__(self)})"


def _complaint_data(amount: object) -> dict[str, object]:
    return {
        "customer": {"id": "10442"},
        "category": "noise",
        "requested": {"kind": "refund", "amount": amount},
        "received_at": "2026-11-23T10:00:00+00:00",
    }


NUMPY_FLOAT = {
    "Money(amount, currency)": lambda: Money(Float64(1500.5), "USD"),  # type: ignore[arg-type]
    "Complaint.model_validate, the amount alone": lambda: Complaint.model_validate(_complaint_data(Float64(1500.5))),
    "Complaint.model_validate, amount and currency": lambda: Complaint.model_validate(
        _complaint_data({"amount": Float64(1500.5), "currency": "USD"})
    ),
}


@pytest.mark.parametrize("build", list(NUMPY_FLOAT.values()), ids=list(NUMPY_FLOAT))
def test_a_numpy_style_float_amount_is_refused_as_a_float_with_the_librarys_error(build: Callable[[], object]) -> None:
    """Money: "A float is refused"; RecoveryModel: pydantic's errors never leave a model, InvalidInputError
    instead. A host reading amounts with pandas hands numpy's float64, a float, whose repr is np.float64(...)."""
    with pytest.raises(InvalidInputError) as caught:
        build()
    assert "1500.5" in str(caught.value)
    assert "np.float64" not in str(caught.value)


def test_money_example_of_a_numpy_style_float_never_raises() -> None:
    """Money.example: "Never raises"; 1500.5 in dollars is written 1500.50, whatever float type holds it."""
    assert Money.example(Float64(1500.5), "USD") == "1500.50"


class _AliasedRequest(RecoveryModel):
    """A host's request whose JSON names are camelCase, as many web APIs write them."""

    limit_amount: Money = Field(alias="limitAmount")


def test_a_misspelt_aliased_field_is_suggested_by_the_name_the_model_accepts_and_not_also_missing() -> None:
    """inputs.md, RecoveryModel: "a field it does not have is refused, with the closest name it does have
    ("did you mean 'limit'?"); that field is then not also reported missing"."""
    with pytest.raises(InvalidInputError) as caught:
        _AliasedRequest.model_validate({"limitAmont": "1.00 USD"})
    said = [(problem.location, problem.message) for problem in caught.value.problems]
    assert said == [("limitAmont", "is not a field here; did you mean 'limitAmount'?")]


def _late_complaint() -> Complaint:
    """Received at 21:30 in New York on 23 November: 24 November in UTC, the zone it is given in."""
    return Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money("250.00", "USD")),
        received_at=dt.datetime(2026, 11, 24, 2, 30, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize("read_back", ["json", "python"])
def test_a_complaint_read_back_from_its_dump_without_unset_fields_is_numbered_by_the_businesss_date(
    read_back: str,
) -> None:
    """Complaint: "a complaint that did not set its number is numbered the same way everywhere, by the
    business's date"; read back from a dump with ``exclude_unset=True`` (as the Complaint docstring and the
    library's message for a changed complaint say), it still has not set it. A plain dump writes the made number,
    which is then set: the docstring says so."""
    policy = presets.ritz_carlton()
    original = _late_complaint()
    back = (
        Complaint.model_validate_json(original.model_dump_json(exclude_unset=True))
        if read_back == "json"
        else Complaint.model_validate(original.model_dump(exclude_unset=True))
    )
    assert back == original
    assert not back.number_set
    now = original.received_at
    numbers = {str(policy.decide(each, by="staff", now=now).complaint_number) for each in (original, back)}
    assert numbers == {"20261123-10442"}
    plain = Complaint.model_validate(original.model_dump())
    assert plain.number_set
    assert str(policy.decide(plain, by="staff", now=now).complaint_number) == "20261124-10442"


@pytest.mark.parametrize("customer_id", ["10/442", "10442/2"])
def test_a_complaint_number_refuses_a_customer_id_that_its_own_text_would_read_back_differently(
    customer_id: str,
) -> None:
    """ComplaintNumber.for_complaint's own error: a customer number is "ASCII letters, digits, '_', '.' or '-'"
    (a Customer refuses '/'); "20261123-10/442" reads back as customer 10's 442nd complaint of the day."""
    received = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
    with pytest.raises(InvalidInputError, match="customer_id"):
        ComplaintNumber.for_complaint(customer_id, received)


def test_a_complaint_number_text_made_from_a_valid_customer_id_reads_back_as_the_same_number() -> None:
    """The number is "the date followed by the customer number" (a '/' and a sequence after a first complaint);
    ids with '-' and '.' included, the text is read back into the same date, customer and sequence."""
    received = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
    for customer_id in ("10442", "C-881", "a.b_c-9"):
        for sequence in (1, 2, 999_999):
            number = ComplaintNumber.for_complaint(customer_id, received, sequence, timezone="America/New_York")
            back = ComplaintNumber.parse(str(number))
            assert (back.date, back.customer_id, back.sequence) == (dt.date(2026, 11, 23), customer_id, sequence)


def test_the_tutorials_late_escalation_is_promised_a_callback_after_two_hours_of_open_time() -> None:
    """first-decision.md: at 21:30 in New York, the duty manager's two hours are "half an hour tonight and an
    hour and a half from 7:00", so the callback is at 8:30 the next morning."""
    policy = presets.ritz_carlton()
    at = dt.datetime(2026, 11, 23, 21, 30, tzinfo=NEW_YORK).astimezone(dt.UTC)
    bigger = _late_complaint().model_copy(update={"requested": Remedy(kind="refund", amount=Money("2400.00", "USD"))})
    escalated = policy.decide(bigger, by="staff", now=at)
    assert escalated.outcome is Outcome.ESCALATED
    assert escalated.callback_by is not None
    assert escalated.callback_by.astimezone(NEW_YORK) == dt.datetime(2026, 11, 24, 8, 30, tzinfo=NEW_YORK)


def test_the_tutorial_says_the_callback_time_a_late_escalation_is_promised() -> None:
    """first-decision.md: "at 21:30 it would promise 8:00 the next morning, half an hour tonight and an hour and a
    half from 7:00": the time it names must be the one the policy promises (and the sum it gives)."""
    text = " ".join((TUTORIAL / "first-decision.md").read_text(encoding="utf-8").split())
    said = re.search(r"at 21:30 it would promise (\d{1,2}):(\d{2}) the next morning", text)
    assert said is not None
    policy = presets.ritz_carlton()
    at = dt.datetime(2026, 11, 23, 21, 30, tzinfo=NEW_YORK).astimezone(dt.UTC)
    bigger = _late_complaint().model_copy(update={"requested": Remedy(kind="refund", amount=Money("2400.00", "USD"))})
    callback_by = policy.decide(bigger, by="staff", now=at).callback_by
    assert callback_by is not None
    promised = callback_by.astimezone(NEW_YORK)
    assert (promised.hour, promised.minute) == (int(said[1]), int(said[2]))


def _bike_shop_in(currency: str, places: int) -> Policy:
    """The tutorial's finished bike shop, its amounts written in ``currency``'s decimal ``places``."""
    page = blocks(TUTORIAL / "your-own-policy.md")
    (toml,) = [block.code for block in page if block.file_name == "bike_shop.toml" and "service-discount" in block.code]
    zeros = "." + "0" * places if places else ""
    text = re.sub(r'"(\d+)\.00"', lambda match: f'"{match[1]}{zeros}"', toml.replace('"EUR"', f'"{currency}"'))
    return Policy.from_text(text)


@pytest.mark.parametrize(
    ("currency", "places", "at_limit", "over", "said_over"),
    [
        ("JPY", 0, "40", "41", "¥41 asked is above Mechanic's authority of ¥40; Owner can approve it"),
        (
            "BHD",
            3,
            "40.000",
            "40.001",
            "40.001 BHD asked is above Mechanic's authority of 40.000 BHD; Owner can approve it",
        ),
    ],
)
def test_the_tutorials_bike_shop_in_a_currency_of_zero_or_three_places_decides_at_the_mechanics_limit(
    currency: str, places: int, at_limit: str, over: str, said_over: str
) -> None:
    """your-own-policy.md, one step beyond: the same shop in yen or dinars; the smallest unit over the mechanic's
    limit escalates to the owner, with the reason in the currency's own places."""
    policy = _bike_shop_in(currency, places)
    now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)

    def asking(amount: str) -> Complaint:
        return Complaint(
            customer=Customer(id="C-881"),
            category="repair_late",
            requested=Remedy(kind="refund", amount=Money(amount, currency)),
            received_at=now,
        )

    assert policy.decide(asking(at_limit), by="mechanic", now=now).outcome is Outcome.APPROVED
    escalated = policy.decide(asking(over), by="mechanic", now=now)
    assert (escalated.outcome, escalated.escalate_to, escalated.reason) == (Outcome.ESCALATED, "owner", said_over)
    assert [alternative.id for alternative in escalated.alternatives] == [
        "loan-bike",
        "call-when-ready",
        "partner-shop",
    ]
