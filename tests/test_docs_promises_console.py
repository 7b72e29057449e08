"""Promises of docs/how-to/the-front-desk-console.md, checked on the console in-process."""

from __future__ import annotations

import html
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from recovery_rules import Policy

from ._helpers import policy_data
from ._server import serve

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
_AMOUNT_ERROR = re.compile(r'id="amount-error"[^>]*>(.*?)<', re.S)


def _dinar_policy() -> Policy:
    """A policy in Bahraini dinars: three decimal places, so that ``0,500`` is half a dinar written with a
    decimal comma."""
    data = policy_data(currency="BHD")
    data["levels"] = [
        {"name": "staff", "limit": "100.000"},
        {"name": "manager", "limit": "2000.000", "callback_within": "4h"},
        {"name": "general_manager", "limit": "unlimited", "callback_within": "1d"},
    ]
    return Policy.model_validate(data)


def _signed_in(app: FastAPI, token: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    assert client.post("/console/sign-in", data={"token": token}).status_code == 303
    return client


@pytest.mark.parametrize(
    ("currency", "amount"),
    [("BHD", "0,500"), ("USD", "0,001"), ("USD", "00,500")],
)
def test_a_decimal_comma_after_a_leading_zero_is_refused_never_read_as_thousands(currency: str, amount: str) -> None:
    """The page: "A decimal comma (`1,50`) ... [is] refused at the field, never read as another amount", and a
    comma is read "only between thousands". ``0,500`` has no thousands to separate: it is half a dinar written
    with a decimal comma, and must not be opened as a case for 500 dinars."""
    served = serve(_dinar_policy() if currency == "BHD" else None)
    client = _signed_in(served.app, served.tokens["staff"])
    found = _CSRF.search(client.get("/console").text)
    assert found is not None
    form = {
        "csrf": found.group(1),
        "customer_id": "10442",
        "category": "room_not_ready",
        "kind": "refund",
        "amount": amount,
    }
    response = client.post("/console/cases", data=form)
    assert served.journal.cases() == [], "a case was opened for an amount the form misread"
    assert response.status_code == 422
    error = _AMOUNT_ERROR.search(response.text)
    assert error is not None
    assert "a comma only between thousands" in html.unescape(error.group(1))
