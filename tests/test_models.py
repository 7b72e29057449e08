"""Customer, Remedy, Complaint and ComplaintNumber: validated once, at the boundary."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery_rules import (
    Complaint,
    ComplaintNumber,
    Customer,
    InvalidInputError,
    Money,
    Policy,
    RecoveryModel,
    Remedy,
)
from recovery_rules._values._models import canonical_number

from ._helpers import NOW, complaint


def test_complaint_number_is_date_then_customer_number() -> None:
    assert str(complaint("1").number) == "20261123-10442"
    assert not complaint("1").number_set  # made, not set: a policy numbers it by the business's date


def test_complaint_number_uses_the_local_date_of_received_at() -> None:
    tokyo = dt.timezone(dt.timedelta(hours=9))
    late = Complaint(
        customer=Customer(id="7"),
        category="noise",
        requested=Remedy(kind="refund", amount=Money("1", "USD")),
        received_at=dt.datetime(2026, 11, 23, 23, 30, tzinfo=tokyo),
    )
    assert str(late.number) == "20261123-7"


def test_the_business_number_is_the_date_in_the_policys_zone_whatever_zone_received_at_is_in() -> None:
    instant = dt.datetime(2026, 11, 23, 2, 30, tzinfo=dt.UTC)  # 21:30 on 22 November in New York
    for zone in ("UTC", "America/New_York", "Asia/Tokyo", "Pacific/Kiritimati", "Pacific/Pago_Pago"):
        received = instant.astimezone(ZoneInfo(zone))
        number = ComplaintNumber.for_complaint("10442", received, timezone="America/New_York")
        assert str(number) == "20261122-10442", zone
    assert str(ComplaintNumber.for_complaint("10442", instant, timezone="Asia/Tokyo")) == "20261123-10442"
    assert str(ComplaintNumber.for_complaint("10442", instant, 2, timezone="UTC")) == "20261123-10442/2"
    with pytest.raises(InvalidInputError, match="timezone: must be an IANA time zone name"):
        ComplaintNumber.for_complaint("10442", instant, timezone="Mars/Olympus")


def test_the_repeated_hour_of_the_complaints_zone_is_numbered_by_each_instant_it_names(ritz: Policy) -> None:
    """01:00 on 1 November 2026 in St. John's comes twice: at 03:30 UTC (23:30 on 31 October in New York) and at
    04:30 UTC (00:30 on 1 November). The two readings compare equal, but each is numbered by its own instant."""
    first = dt.datetime(2026, 11, 1, 1, 0, tzinfo=ZoneInfo("America/St_Johns"))
    second = first.replace(fold=1)
    assert first == second  # the same wall time of one zone: equal, whatever instant each names
    for received, day in ((first, "20261031"), (second, "20261101"), (first, "20261031")):
        resolution = ritz.decide(complaint("10.00").model_copy(update={"received_at": received}), by="staff", now=NOW)
        assert str(resolution.complaint_number) == f"{day}-10442"


def test_complaint_number_parses_back() -> None:
    number = ComplaintNumber.parse("20261123-10442")
    assert number.date == dt.date(2026, 11, 23)
    assert number.customer_id == "10442"
    assert number.sequence == 1
    second = ComplaintNumber.parse("20261123-C-7/2")
    assert (second.customer_id, second.sequence, str(second)) == ("C-7", 2, "20261123-C-7/2")
    assert ComplaintNumber.parse(str(second)) == second


def test_a_complaint_number_is_made_from_a_timezone_aware_time_only() -> None:
    evening = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert str(ComplaintNumber.for_complaint("10442", evening)) == "20261123-10442"  # its own local date
    for naive in (evening.replace(tzinfo=None), dt.date(2026, 11, 23), "2026-11-23"):
        with pytest.raises(InvalidInputError, match="received_at: must be a timezone-aware datetime"):
            ComplaintNumber.for_complaint("10442", naive)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text", ["", "2026-11-23-1", "20261323-1", "20261123", "20261123-", "20261123-a b", "20261123-1/0", "x" * 10_000]
)
def test_bad_complaint_numbers_are_refused(text: str) -> None:
    with pytest.raises(InvalidInputError, match="YYYYMMDD"):
        ComplaintNumber.parse(text)


def test_given_number_must_match_the_customer() -> None:
    good = complaint("1").model_copy()
    kept = Complaint.model_validate({**good.model_dump(), "number": "20261120-10442/3"}).number
    assert kept == ComplaintNumber.parse("20261120-10442/3")  # a number the host chose is kept as given
    assert Complaint.model_validate({**good.model_dump(), "number": "20261120-10442/3"}).number_set
    with pytest.raises(InvalidInputError, match=r"does not match customer\.id"):
        Complaint.model_validate({**good.model_dump(), "number": "20261123-99999"})


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="received_at: must have a time zone: write it with its UTC offset"):
        Complaint(
            customer=Customer(id="1"),
            category="noise",
            requested=Remedy(kind="refund", amount=Money("1", "USD")),
            received_at=dt.datetime(2026, 11, 23, 9, 30),  # noqa: DTZ001 - the point of the test
        )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("customer", {"id": ""}, "customer.id: must not be empty"),
        ("customer", {"id": "x" * 65}, "customer.id: is 65 characters long"),
        ("customer", {"id": "ｌ0442"}, "customer.id: must be ASCII letters"),
        ("customer", {"id": "10442\u200b"}, "customer.id: must be ASCII letters"),
        ("customer", {"id": "1", "tier": "Gold"}, "customer.tier: must be a lower-case word"),
        ("category", "", "category: must not be empty"),
        ("category", "Room Not Ready", "category: must be a lower-case word"),
        ("requested", {"kind": "refund", "amount": "-1.00 USD"}, "requested.amount: must not be negative"),
        ("requested", {"kind": "refund", "amount": 1.5}, "requested.amount: is the floating-point number 1.5"),
        ("requested", {"kind": "refund", "amount": 150}, "requested.amount: needs a currency"),
        ("requested", {"kind": "refund", "amount": {"amount": 1.5, "currency": "USD"}}, "float"),
        ("description", "x" * 10_001, "description: is 10,001 characters long"),
        ("description", "a\x00b", "description: must not contain NUL"),
        ("received_at", "yesterday", "received_at: must be a date and time"),
    ],
)
def test_bad_fields_get_typed_errors_naming_the_field(field: str, value: object, message: str) -> None:
    data = complaint("1").model_dump()
    data.pop("number")
    data[field] = value
    with pytest.raises(InvalidInputError) as caught:
        Complaint.model_validate(data)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(InvalidInputError) as caught:
        Complaint.model_validate(
            {"customer": {"id": ""}, "category": "?", "requested": {"kind": "refund", "amount": 1}, "received_at": "x"}
        )
    locations = [problem.location for problem in caught.value.problems]
    assert locations == ["customer.id", "category", "requested.amount", "received_at"]


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="colour: is not a field here"):
        Customer.model_validate({"id": "1", "colour": "blue"})


def test_an_unknown_nested_field_names_the_closest_field_of_its_own_model() -> None:
    data = {
        "customer": {"id": "1", "teir": "gold"},
        "category": "room_not_ready",
        "requested": {"kind": "refund", "amount": "5.00 USD", "amont": "5.00"},
        "received_at": "2026-11-23T09:30:00+00:00",
    }
    with pytest.raises(InvalidInputError) as caught:
        Complaint.model_validate(data)
    assert [(problem.location, problem.message) for problem in caught.value.problems] == [
        ("customer.teir", "is not a field here; did you mean 'tier'?"),
        ("requested.amont", "is not a field here; did you mean 'amount'?"),
    ]


def test_errors_do_not_repeat_personal_data() -> None:
    personal = "Jane Q. Guest, room 1204, card 4111111111111111"
    with pytest.raises(InvalidInputError) as caught:
        Complaint.model_validate(
            {
                "customer": {"id": personal, "name": personal},
                "category": "noise",
                "requested": {"kind": "refund", "amount": "1.00 USD"},
                "received_at": NOW.isoformat(),
                "description": personal * 1000,
            }
        )
    assert personal not in str(caught.value)
    assert "4111" not in repr(caught.value.problems)


def test_models_are_frozen_values() -> None:
    value = complaint("1")
    with pytest.raises(AttributeError, match=r"Complaint is immutable; make a changed copy with model_copy"):
        value.category = "noise"  # type: ignore[misc]
    assert value == complaint("1")
    assert Complaint.model_validate_json(value.model_dump_json()) == value


def test_a_huge_unknown_key_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidInputError) as caught:
        Customer.model_validate({"id": "1", "k" * 1_000_000: "v"})
    (problem,) = caught.value.problems
    assert problem.location == "k" * 32 + "...(1,000,000 characters)"
    assert len(str(caught.value)) < 200


# -- input models of a host application's own ---------------------------------------------------------


class DecideRequest(RecoveryModel):
    """What a web service might take: the acting level, earlier grants and the complaint."""

    by: str
    granted: Money | None = None
    complaint: Complaint


def test_a_host_apps_own_model_reports_errors_the_librarys_way() -> None:
    body = {
        "by": "staff",
        "granted": 12.5,
        "complaint": {
            "customer": {"id": "10442", "name": "Ada Lovelace", "tierr": "gold"},
            "category": "Room not ready",
            "requested": {"kind": "refund", "amount": "12.505 USD"},
            "received_at": 1790000000,
        },
    }
    with pytest.raises(InvalidInputError) as caught:
        DecideRequest.model_validate(body)
    error = caught.value
    assert error.what == "DecideRequest"
    assert [problem.location for problem in error.problems] == [
        "granted",
        "complaint.customer.tierr",
        "complaint.category",
        "complaint.requested.amount",
        "complaint.received_at",
    ]
    messages = {problem.location: problem.message for problem in error.problems}
    assert "cannot hold an exact amount" in messages["granted"]
    assert messages["complaint.customer.tierr"] == "is not a field here; did you mean 'tier'?"
    assert "lower-case word" in messages["complaint.category"]
    assert "decimal places" in messages["complaint.requested.amount"]
    assert "a number is refused" in messages["complaint.received_at"]
    assert "Ada" not in str(error)
    assert "10442" not in str(error)
    with pytest.raises(InvalidInputError) as built:
        DecideRequest(**body)  # type: ignore[arg-type]  # the raw body, as a caller would pass it
    with pytest.raises(InvalidInputError) as from_json:
        DecideRequest.model_validate_json(json.dumps(body))
    assert built.value.problems == from_json.value.problems == error.problems


def test_a_host_apps_own_model_is_a_frozen_value() -> None:
    request = DecideRequest(by="staff", complaint=complaint("40.00"))
    with pytest.raises(AttributeError, match=r"immutable; make a changed copy with model_copy"):
        request.by = "manager"  # type: ignore[misc]  # what a careless caller tries
    assert request.model_copy(update={"by": "manager"}).by == "manager"
    assert DecideRequest.model_validate(request.model_dump(mode="json")) == request
    assert issubclass(Complaint, RecoveryModel)


_NUMBER_PARTS = st.sampled_from(["20261123", "00010101", "20260229", "20241231", "2026112", "abcdefgh", ""])
_CUSTOMERS = st.sampled_from(["10442", "C-7", "a", "_x", "ä", "", "x" * 64, "x" * 65, "G.8"])
_SEQUENCES = st.sampled_from(["", "/1", "/2", "/02", "/999999", "/1000000", "/0", "/"])


@given(date=_NUMBER_PARTS, customer=_CUSTOMERS, sequence=_SEQUENCES)
def test_canonical_number_reads_exactly_the_numbers_written_that_way(date: str, customer: str, sequence: str) -> None:
    """``canonical_number`` accepts a text only when it is a number's one spelling, and reads what parse reads."""
    text = f"{date}-{customer}{sequence}"
    read = canonical_number(text)
    try:
        parsed: ComplaintNumber | None = ComplaintNumber.parse(text)
    except InvalidInputError:
        parsed = None
    if parsed is not None and str(parsed) == text:
        assert read is not None
        assert (read, read.date, read.customer_id, read.sequence, str(read)) == (
            parsed,
            parsed.date,
            parsed.customer_id,
            parsed.sequence,
            text,
        )
        assert hash(read) == hash(parsed)
    else:
        assert read is None


def test_canonical_number_refuses_what_is_not_a_text() -> None:
    assert canonical_number(20261123) is None
    assert canonical_number(None) is None
