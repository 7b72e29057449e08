"""Money where it enters and leaves: a cross-cutting audit of the promise that money is an exact Decimal with a
currency, never a float, and is shown as it was written.

``Money``'s docstrings (its JSON form, its largest amount, its messages), ``Wording.money`` against
``Money.display``, and caps met exactly by grants in a currency of three decimal places.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from recovery_rules import (
    Case,
    Complaint,
    Customer,
    InvalidInputError,
    MemoryJournal,
    Money,
    Outcome,
    Policy,
    PolicyError,
    Remedy,
    SQLiteJournal,
    Wording,
    metrics,
    presets,
)

from ._cli import run
from ._helpers import policy_data

RITZ = "ritz-carlton"


# -- Wording.money and Money.display --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency"), [("-5.00", "USD"), ("-1234567.89", "USD"), ("-1500", "JPY"), ("-12.50", "EUR")]
)
def test_wording_says_a_negative_amount_with_its_sign_before_the_symbol_as_display_writes_it(
    amount: str, currency: str
) -> None:
    # Money.display: "The amount written for people": -$5.00. Wording.money: "amount as this locale writes it",
    # and the built-in English writes amounts as display does ($2,000.00): a sign between the symbol and the
    # digits ($-5.00) is written by no one.
    money = Money(amount, currency)
    assert Wording(presets.load(RITZ)).money(money) == money.display()


def test_wording_says_zero_and_three_decimal_amounts_as_display_writes_them() -> None:
    wording = Wording(presets.load(RITZ))
    for money in (Money("0", "USD"), Money("1234.567", "BHD"), Money("-0.001", "KWD"), Money("0", "JPY")):
        assert wording.money(money) == money.display()
    assert wording.money(Money("1234.567", "BHD")) == "1,234.567 BHD"


# -- A refused amount's message ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "currency"), [("0.00000001", "USD"), ("0.00000000", "USD"), ("0.0000001", "JPY"), ("0.00000001", "BHD")]
)
def test_an_amount_of_too_many_decimal_places_is_shown_as_it_was_written(written: str, currency: str) -> None:
    # The message tells the writer to write "no thousands separators or exponent"; it must not show their amount
    # in an exponent form they never wrote ("USD amounts have 2 decimal places and 1E-8 has more").
    with pytest.raises(InvalidInputError) as raised:
        Money(written, currency)
    assert f"and {written} has more" in str(raised.value)
    assert "E-" not in str(raised.value)


def test_a_policy_amount_of_too_many_decimal_places_is_shown_as_the_file_writes_it() -> None:
    with pytest.raises(PolicyError) as raised:
        Policy.model_validate(policy_data(hard_cap="0.00000001"))
    assert "0.00000001 has more" in str(raised.value)


# -- The largest amount -----------------------------------------------------------------------------------------------


def _at_the_largest_amount() -> Money:
    return Money("999999999999999.99", "USD") + Money("0.01", "USD")


def test_the_json_form_of_a_sum_that_reached_the_largest_amount_is_refused_not_written() -> None:
    # Money.MAX_AMOUNT: "A sum may reach it; such a sum is refused by every later use (a comparison,
    # Money(str(...)), unpickling), never carried on." to_json carries it on, into a form Money refuses.
    total = _at_the_largest_amount()
    with pytest.raises(InvalidInputError, match="smaller than 1,000,000,000,000,000"):
        total.to_json()


def test_a_sum_that_reached_the_largest_amount_is_refused_by_ordering_display_and_a_model() -> None:
    total = _at_the_largest_amount()
    uses: tuple[Callable[[], object], ...] = (
        lambda: total < Money("1.00", "USD"),
        total.display,
        total.to_minor_units,
        lambda: Remedy(kind="refund", amount=total),
        lambda: Money.validate({"amount": str(total.amount), "currency": "USD"}),
    )
    for use in uses:
        with pytest.raises(InvalidInputError, match="smaller than 1,000,000,000,000,000"):
            use()


# -- Caps met exactly, in a currency of three decimal places ----------------------------------------------------------


def _at(now: dt.datetime) -> Callable[[], dt.datetime]:
    return lambda: now


def _dinar_policy() -> Policy:
    data = policy_data(currency="BHD", window="30d", hard_cap="10.000")
    data["levels"] = [
        {"name": "staff", "limit": "10.000"},
        {"name": "manager", "limit": "10.000", "callback_within": "4h"},
    ]
    data["catalog"] = [{**option, "value": "0"} for option in data["catalog"]]
    return Policy.model_validate(data)


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_grants_of_fils_that_meet_a_dinar_cap_exactly_are_approved_and_one_fils_more_is_denied(
    backend: str, tmp_path: Path
) -> None:
    policy = _dinar_policy()
    start = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
    journal = MemoryJournal() if backend == "memory" else SQLiteJournal(tmp_path / "journal.sqlite3")
    try:
        outcomes = []
        for hour, amount in enumerate(("3.333", "3.333", "3.334", "0.001")):
            now = start + dt.timedelta(hours=hour)
            complaint = Complaint(
                customer=Customer(id="10442"),
                category="room_not_ready",
                requested=Remedy(kind="refund", amount=Money(amount, "BHD")),
                received_at=now,
            )
            case = Case.open(journal, policy, complaint, by="staff", clock=_at(now))
            case.listen()
            case.apologize()
            case.ask_preferred_solution()
            outcome = case.decide().outcome
            outcomes.append(outcome)
            if outcome is Outcome.APPROVED:
                case.deliver()
        figures = metrics.report(journal, policy=policy, now=start + dt.timedelta(days=1))
    finally:
        journal.close()
    assert outcomes == [Outcome.APPROVED, Outcome.APPROVED, Outcome.APPROVED, Outcome.DENIED]
    assert figures.granted == Money("10.000", "BHD")
    assert str(figures.granted) == "10.000 BHD"


# -- simulate's sums ----------------------------------------------------------------------------------------------

_UNLIMITED = """\
name = "No ceiling"
currency = "USD"
window = "incident"
denials_delivered_by = "owner"
categories = ["noise"]

[[levels]]
name = "owner"
limit = "unlimited"
""" + "".join(
    f'\n[[catalog]]\nid = "{kind}"\nkind = "{kind}"\ndescription = "We {kind}"\nvalue = "0"\napplies_to = ["*"]\n'
    for kind in ("callback", "follow_up", "local_tips")
)


def _records(path: Path, count: int) -> str:
    record = (
        '{"complaint": {"customer": {"id": "%d"}, "category": "noise", "requested": {"kind": "refund", '
        '"amount": "600000000000000.00 USD"}, "received_at": "2026-09-04T20:55:00-04:00"}, "by": "owner"}'
    )
    path.write_text("".join(record % number + "\n" for number in range(count)), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "text"])
def test_simulate_refuses_amounts_that_add_up_beyond_the_largest_before_printing_a_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, as_json: bool
) -> None:
    # Two approvals of $600,000,000,000,000.00 each: their sum, 1,200,000,000,000,000.00, is no amount (Money
    # refuses it), so simulate can print neither it nor a report of it. --json printed it, exit 0; the text
    # report stopped halfway with "Error: invalid amount: amount: must be smaller than ...", exit 2, which the
    # page keeps for a record that cannot be replayed.
    policy = tmp_path / "policy.toml"
    policy.write_text(_UNLIMITED, encoding="utf-8")
    records = _records(tmp_path / "records.jsonl", 2)
    result = run(
        capsys,
        "simulate",
        "--policy",
        str(policy),
        "--candidate",
        str(policy),
        records,
        *(["--json"] if as_json else []),
    )
    assert result.code != 0
    assert "1200000000000000" not in result.out
    assert "outcomes" not in result.out  # no half report
    assert "largest amount" in result.err


def test_a_report_whose_grants_add_up_beyond_the_largest_amount_says_so() -> None:
    """Before, the report raised "invalid GroupFigures", naming a model of its own, not what to do."""
    policy = Policy.model_validate(policy_data(hard_cap=None))  # the owner may grant any amount
    now = dt.datetime(2026, 11, 23, 14, tzinfo=dt.UTC)
    with MemoryJournal() as journal:
        for customer in ("c1", "c2"):
            complaint = Complaint(
                customer=Customer(id=customer),
                category="room_not_ready",
                requested=Remedy(kind="refund", amount=Money("600000000000000.00", "USD")),
                received_at=now,
            )
            case = Case.open(journal, policy, complaint, by="owner", now=now)
            case.listen(now=now)
            case.apologize(now=now)
            case.ask_preferred_solution(now=now)
            case.decide(now=now)
        with pytest.raises(InvalidInputError, match=r"granted: adds up to 1,200,000,000,000,000\.00 USD, beyond"):
            metrics.report(journal, policy=policy, now=now)
