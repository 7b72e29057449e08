"""The security promises of the decision service and its console, tried as an adversary would: forged or odd form
tokens, bodies that are not the forms the console sends, another session's or another employee's credentials,
hostile policy text, cross-site reads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from recovery_rules import CaseView, ComplaintNumber, Policy, presets

from ._server import SEED_STEPS, Served, complaint, serve, serving, walk

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
_COOKIE = "rr_console"
_HOSTILE = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"


def _browser(served: Served, level: str | None = None) -> TestClient:
    """A browser of its own (its own cookies), signed in at ``level``; a failing page is answered, not raised."""
    client = TestClient(served.app, follow_redirects=False, raise_server_exceptions=False)
    if level is not None:
        assert client.post("/console/sign-in", data={"token": served.tokens[level]}).status_code == 303
    return client


def _csrf(client: TestClient, page: str = "/console") -> str:
    found = _CSRF.search(client.get(page).text)
    assert found is not None
    return found.group(1)


def _open_fields(csrf: str) -> dict[str, str]:
    return {
        "csrf": csrf,
        "customer_id": "10442",
        "category": "room_not_ready",
        "kind": "refund",
        "amount": "40.00",
    }


# -- forged form tokens ----------------------------------------------------------------------------------------
_FORMS = ["/console/cases", "/console/step/listen/20261123-10442", "/console/policy"]


@pytest.mark.parametrize("form", _FORMS)
def test_a_form_token_outside_ascii_is_refused_as_out_of_date_not_a_failure(form: str) -> None:
    served = serve()
    client = _browser(served, "staff")
    response = client.post(form, data={"csrf": "\u00e9" * 64})
    assert response.status_code == 403
    assert "out of date" in response.text
    assert served.journal.cases() == []


def test_the_form_token_of_another_session_is_refused_even_the_same_employees() -> None:
    served = serve()
    earlier = _browser(served, "staff")
    earlier_csrf = _csrf(earlier)
    manager_csrf = _csrf(_browser(served, "manager"))
    later = _browser(served, "staff")  # the same employee signed in again: a session of its own
    for csrf in (earlier_csrf, manager_csrf):
        refused = later.post("/console/cases", data=_open_fields(csrf))
        assert refused.status_code == 403
        assert "out of date" in refused.text
    assert served.journal.cases() == []
    assert later.post("/console/cases", data=_open_fields(_csrf(later))).status_code == 303


# -- what the console reads of a body --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def unchanged() -> Iterator[Served]:
    """One app for the sign-ins refused below: nothing is recorded, and neither test reads the journal."""
    yield from serving()


def test_a_sign_in_carrying_a_large_file_part_signs_nobody_in(unchanged: Served) -> None:
    served = unchanged
    client = _browser(served)
    response = client.post(
        "/console/sign-in", data={"token": served.tokens["staff"]}, files={"junk": ("junk.bin", b"A" * 300_000)}
    )
    assert response.status_code != 303
    assert _COOKIE not in response.headers.get("set-cookie", "")


def test_sign_in_reads_no_more_than_a_few_kb_from_someone_not_yet_known(unchanged: Served) -> None:
    served = unchanged
    client = _browser(served)
    body = b"&" * 100_000 + b"token=" + served.tokens["staff"].encode("ascii")
    response = client.post(
        "/console/sign-in", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code != 303
    assert _COOKIE not in response.headers.get("set-cookie", "")


def test_a_signed_in_form_of_more_parts_or_larger_parts_than_it_reads_opens_nothing() -> None:
    served = serve()
    client = _browser(served, "staff")
    files: dict[str, Any] = {f"part{index}": ("part.bin", b"A") for index in range(40)}
    files["large"] = ("large.bin", b"A" * 100_000)
    response = client.post("/console/cases", data=_open_fields(_csrf(client)), files=files)
    assert response.status_code != 303
    assert served.journal.cases() == []


# -- another employee's idempotency key ------------------------------------------------------------------------
def test_the_key_of_a_managers_approval_replays_nothing_for_another_employee() -> None:
    served = serve()
    opened = served.post("/v1/cases", json={"complaint": complaint("3000.00")})
    number = opened.json()["complaint_number"]
    walk(served, number, SEED_STEPS)
    approved = served.post(f"/v1/cases/{number}/manager_approves", "manager", key="approve-1")
    assert approved.status_code == 200
    for level in ("staff-2", "general_manager"):  # neither gets the manager's answer back: a request of its own
        replayed = served.post(f"/v1/cases/{number}/manager_approves", level, key="approve-1")
        assert replayed.status_code == 409, level
        assert replayed.json()["type"].endswith("#step-not-allowed")
    assert served.post(f"/v1/cases/{number}/manager_approves", "manager", key="approve-1").json() == approved.json()
    events = served.journal.events(ComplaintNumber.parse(number))
    assert [event.kind for event in events].count("manager_approved") == 1
    assert CaseView.replay(events).history[-1].employee == "e-manager"


def test_no_body_field_names_a_delegation_or_another_employee() -> None:
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    walk(served, number, SEED_STEPS)
    for field, value in (("acting_for", "general_manager"), ("employee", "e-manager"), ("level", "manager")):
        refused = served.post(f"/v1/cases/{number}/manager_approves", "staff-2", json={field: value})
        assert refused.status_code == 422, field
        assert [error["field"] for error in refused.json()["errors"]] == [field]
    assert CaseView.replay(served.journal.events(ComplaintNumber.parse(number))).state.value == "escalated"


# -- hostile text, cross-site reads ----------------------------------------------------------------------------
def test_hostile_text_of_the_policy_is_escaped_on_every_console_page() -> None:
    data = presets.ritz_carlton().model_dump(mode="json", exclude_defaults=True)
    data["name"] = f"Hotel {_HOSTILE}"
    for level in data["levels"]:
        level["title"] = level["name"] + _HOSTILE
    for alternative in data["catalog"]:
        for field in ("description", "contact", "directions"):
            if alternative.get(field):
                alternative[field] += _HOSTILE
    served = serve(Policy.model_validate(data))
    hostile = {"id": "10442", "tier": "gold", "name": f"Ada {_HOSTILE}"}
    body = {"complaint": complaint("3000.00", customer=hostile, description=_HOSTILE)}
    number = served.post("/v1/cases", json=body).json()["complaint_number"]
    walk(served, number, SEED_STEPS)
    staff, manager = _browser(served, "staff"), _browser(served, "manager")
    pages = [
        staff.get(f"/console/cases/{number}"),
        staff.get("/console"),
        staff.get("/console/policy"),
        manager.get("/console/queue"),
        manager.get(f"/console/cases/{number}"),
    ]
    for page in pages:
        assert page.status_code == 200, page.url
        assert "<script" not in page.text, page.url
        assert "<img" not in page.text, page.url
        assert "&lt;script&gt;" in page.text, page.url  # shown, as text


def test_no_page_of_another_origin_may_read_an_answer_with_the_browsers_credentials() -> None:
    origin = "https://desk.example.com"
    served = serve(allow_origins=(origin,))
    preflight = served.client.options("/v1/cases", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
    answers = [
        preflight,
        served.post("/v1/decisions", json={"complaint": complaint()}, headers={"Origin": origin}),
        _browser(served, "staff").get("/console", headers={"Origin": origin}),
    ]
    for answer in answers:
        assert "access-control-allow-credentials" not in answer.headers, answer.url
