"""Promises of docs/how-to/the-front-desk-console.md about what staff type in the console's forms: amounts in
currencies of 0, 2 and 3 decimal places (yen, dollars and euros, Bahraini dinars) and the policy page's times.

"Amounts are read as the API reads them ... so are more decimal places than the currency has. The examples a
refused amount is given are in the policy's currency and its decimal places: ``250.00`` and ``1,500.00`` for
dollars, ``250`` and ``1,500`` for yen, which has none."
"""

from __future__ import annotations

import html
import re
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from recovery_rules import CaseView, Complaint, ComplaintNumber, Money, Policy, presets

from ._server import Served, complaint, serve

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
_FORM_KEY = re.compile(r'name="key" value="([0-9a-f]{32})"')
_PLACES = {"USD": 2, "EUR": 2, "JPY": 0, "BHD": 3}


def _policy_in(currency: str) -> Policy:
    """The Ritz-Carlton preset with every amount in ``currency`` (the same figures, in its decimal places)."""
    unit = Decimal(1).scaleb(-_PLACES[currency])

    def moved(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"amount", "currency"}:
                return {"amount": f"{Decimal(value['amount']).quantize(unit):f}", "currency": currency}
            return {name: moved(item) for name, item in value.items()}
        if isinstance(value, list):
            return [moved(item) for item in value]
        return value

    data = moved(presets.ritz_carlton().model_dump(mode="json", exclude_defaults=True))
    data["currency"] = currency
    return Policy.model_validate(data)


def _signed_in(served: Served, level: str = "staff") -> TestClient:
    client = TestClient(served.app, follow_redirects=False)
    assert client.post("/console/sign-in", data={"token": served.tokens[level]}).status_code == 303
    return client


def _open_form(client: TestClient, amount: str, customer: str) -> dict[str, str]:
    """The open form as the page sends it (its form token and its own key), with ``amount`` typed."""
    page = client.get("/console").text
    csrf, key = _CSRF.search(page), _FORM_KEY.search(page)
    assert csrf is not None
    assert key is not None
    return {
        "csrf": csrf.group(1),
        "key": key.group(1),
        "customer_id": customer,
        "tier": "gold",
        "category": "room_not_ready",
        "kind": "refund",
        "amount": amount,
    }


def _requested(served: Served, number: str) -> Money:
    [opened, *_] = served.journal.events(ComplaintNumber.parse(number))
    return Complaint.model_validate(opened.data["complaint"]).requested.amount


def _field_error(page: str, field: str = "amount") -> str:
    found = re.search(rf'id="{field}-error"[^>]*>(.*?)</span>', page, re.S)
    assert found is not None, page
    return html.unescape(found.group(1))


def _step(client: TestClient, number: str, step: str, **fields: str) -> Any:
    page = client.get(f"/console/cases/{number}").text
    csrf = _CSRF.search(page)
    assert csrf is not None
    data = {"csrf": csrf.group(1), **fields}
    if key := re.search(rf'name="key" value="([0-9a-f]{{32}}-{step})"', page):
        data["key"] = key.group(1)
    return client.post(f"/console/step/{step}/{number}", data=data)


def _state(served: Served, number: str) -> str:
    return CaseView.replay(served.journal.events(ComplaintNumber.parse(number))).state.value


_TYPED_BOTH_WAYS = {
    "USD": ["250", "250.00", "250.5", "0", "00250", "999999999999999.99"],
    "EUR": ["250", "250.5", "0.00", "1500.00"],
    "JPY": ["250", "0", "00250", "999999999999999"],
    "BHD": ["250", "250.00", "250.5", "250.001", "999999999999999.999"],
}


@pytest.mark.slow
@pytest.mark.parametrize("currency", sorted(_TYPED_BOTH_WAYS))
def test_an_amount_the_form_and_the_api_both_take_is_recorded_as_the_same_amount(currency: str) -> None:
    """ "Amounts are read as the API reads them": what a clerk types in the open form opens a case for the amount
    the API records for the same text, in the policy's decimal places (``250.5`` as 250.50 dollars, 250.500
    dinars)."""
    served = serve(_policy_in(currency))
    try:
        clerk = _signed_in(served)
        for index, typed in enumerate(_TYPED_BOTH_WAYS[currency]):
            opened = clerk.post("/console/cases", data=_open_form(clerk, f" {typed} ", f"form{index}"))
            assert opened.status_code == 303, (typed, opened.text)
            form_number = opened.headers["location"].removeprefix("/console/cases/").split("?")[0]
            body = complaint(customer={"id": f"api{index}", "tier": "gold"})
            body["requested"] = {"kind": "refund", "amount": f"{typed} {currency}"}
            answer = served.post("/v1/cases", json={"complaint": body})
            assert answer.status_code == 201, (typed, answer.json())
            from_form, from_api = _requested(served, form_number), _requested(served, answer.json()["complaint_number"])
            assert from_form == from_api == Money(typed, currency), typed
            assert from_form.amount.as_tuple().exponent == -_PLACES[currency]
    finally:
        served.journal.close()


@pytest.mark.parametrize(("currency", "typed", "amount"), [("USD", "1,500.00", "1500.00"), ("JPY", "1,500", "1500")])
def test_the_form_takes_a_comma_between_thousands_which_the_api_refuses(currency: str, typed: str, amount: str) -> None:
    """What the page's "Amounts are read as the API reads them" leaves out: the form reads ``1,500.00`` (its
    comma between thousands) as 1,500, while the API refuses ``"1,500.00 USD"`` ("no thousands separators")."""
    served = serve(_policy_in(currency))
    try:
        clerk = _signed_in(served)
        opened = clerk.post("/console/cases", data=_open_form(clerk, typed, "grouped"))
        assert opened.status_code == 303
        number = opened.headers["location"].removeprefix("/console/cases/").split("?")[0]
        assert _requested(served, number) == Money(amount, currency)
        body = complaint(customer={"id": "grouped-api", "tier": "gold"})
        body["requested"] = {"kind": "refund", "amount": f"{typed} {currency}"}
        refused = served.post("/v1/cases", json={"complaint": body})
        assert refused.status_code == 422
        assert "no thousands separators" in refused.text
    finally:
        served.journal.close()


@pytest.mark.parametrize(
    ("currency", "typed", "example"),
    [
        ("JPY", "250.00", "such as 250 (JPY)"),  # the code's own example of what a yen field refuses
        ("JPY", "1.000", "such as 250 (JPY)"),  # a thousand yen written with a dot between thousands
        ("JPY", "0." + "0" * 120 + "1", "such as 250 (JPY)"),  # said "write the amount to the cent": yen has none
        ("BHD", "250.0001", "such as 250.000 (BHD)"),
        ("USD", "250.001", "such as 250.00 (USD)"),
    ],
)
def test_more_decimal_places_than_the_currency_has_are_refused_with_its_examples(
    currency: str, typed: str, example: str
) -> None:
    served = serve(_policy_in(currency))
    try:
        clerk = _signed_in(served)
        refused = clerk.post("/console/cases", data=_open_form(clerk, typed, "precise"))
        assert refused.status_code == 422
        assert served.journal.cases() == []
        said = _field_error(refused.text)
        assert example in said, said
        assert "round it yourself" not in said
        assert "to the cent" not in said or _PLACES[currency] == 2
    finally:
        served.journal.close()


@pytest.mark.parametrize(
    ("currency", "asked", "below", "above"),
    [("JPY", "3,000", "2,999", "3001"), ("BHD", "3,000.000", "2,999.999", "3000.001")],
)
def test_a_counter_offer_one_minor_unit_below_the_ask_is_an_offer_and_the_ask_itself_approves(
    currency: str, asked: str, below: str, above: str
) -> None:
    """The manager's "Approve less" field, in the currency's smallest unit: the amount asked less one yen (one
    fils) is a counter-offer, granting nothing yet; one unit more than asked is refused at the field, naming the
    most it may be, and records nothing; the amount asked, typed, approves what was asked and grants it
    (docs/how-to/run-a-case.md: "The amount asked, or no ``amount``, approves what was asked")."""
    served = serve(_policy_in(currency))
    try:
        clerk, manager = _signed_in(served), _signed_in(served, "manager")
        numbers = []
        for customer in ("offer", "ask"):
            opened = clerk.post("/console/cases", data=_open_form(clerk, asked, customer))
            number = opened.headers["location"].removeprefix("/console/cases/").split("?")[0]
            for step in ("listen", "apologize", "ask_preferred_solution", "decide", "escalate"):
                fields = {"kind": "refund", "amount": asked} if step == "ask_preferred_solution" else {}
                assert _step(clerk, number, step, **fields).status_code == 303, step
            assert _state(served, number) == "escalated"
            numbers.append(number)
        offer, ask = numbers
        events = len(served.journal.events(ComplaintNumber.parse(offer)))
        refused = _step(manager, offer, "manager_approves", amount=above)
        assert refused.status_code == 422
        most = Money(asked.replace(",", ""), currency)
        assert f"the most it may be is {_money_words(most)}" in _field_error(refused.text)
        assert len(served.journal.events(ComplaintNumber.parse(offer))) == events
        assert _step(manager, offer, "manager_approves", amount=below).status_code == 303
        assert _state(served, offer) == "counter_offered"
        assert _step(manager, ask, "manager_approves", amount=asked).status_code == 303
        assert _state(served, ask) == "approved"
        granted = manager.get(f"/console/cases/{ask}").text
        assert f"<dt>Granted so far</dt><dd>{_money_words(most)}</dd>" in html.unescape(granted)
        assert served.journal.events(ComplaintNumber.parse(ask))[-1].grant == most
    finally:
        served.journal.close()


def _money_words(money: Money) -> str:
    """How the console words an amount: ``¥300,000``, ``3,000.000 BHD``."""
    from recovery_rules import Wording  # noqa: PLC0415 - only this helper words amounts

    return Wording(_policy_in(money.currency)).money(money)


@pytest.mark.parametrize("typed", ["14:30", "2:30 pm", "2026-11-23T14:30", "2026-03-08T02:30:00"])
def test_a_decided_at_without_its_offset_is_refused_saying_how_to_write_it(typed: str) -> None:
    """The policy page's "Decided at" takes "a time with its offset": a clock time, or a date-time without its
    offset (in the skipped hour of the policy's spring-forward night too, which no offset-less reading could
    place), is refused at the field with the form it takes, never read in some zone."""
    served = serve(_policy_in("JPY"))
    try:
        author = _signed_in(served)
        page = author.get("/console/policy").text
        csrf = _CSRF.search(page)
        text = re.search(r'<textarea id="policy"[^>]*>(.*?)</textarea>', page, re.S)
        assert csrf is not None
        assert text is not None
        trial = {
            "csrf": csrf.group(1),
            "policy": html.unescape(text.group(1)),
            "format": "json",
            "action": "try",
            "level": "staff",
            "tier": "gold",
            "category": "room_not_ready",
            "kind": "refund",
            "amount": "3,000",
            "granted": "0",
        }
        refused = author.post("/console/policy", data={**trial, "now": typed})
        assert refused.status_code == 422
        said = _field_error(refused.text, "now")
        assert said == "must be blank (now) or a time with its UTC offset, such as 2026-11-23T21:29:00-05:00"
        assert f'value="{html.escape(typed)}"' in refused.text  # shown back in its field
        with_offset = author.post("/console/policy", data={**trial, "now": "2026-03-08T02:30:00-05:00"})
        assert with_offset.status_code == 200
        assert "¥3,000" in html.unescape(with_offset.text)
    finally:
        served.journal.close()
