"""The web service example (examples/web_service/app.py), exercised through FastAPI's test client."""

from __future__ import annotations

import datetime as dt
import json
import runpy
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the web service example needs the examples extra, which dev installs")

from fastapi.testclient import TestClient

from recovery_rules import Complaint, Money, Outcome, Policy, Resolution, presets

APP = Path(__file__).resolve().parents[1] / "examples" / "web_service" / "app.py"
NOW = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)
SERVICE: dict[str, Any] = runpy.run_path(str(APP), run_name="web_service")


def complaint(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer": {"id": "10442", "tier": "gold", "name": "Ada Guest"},
        "category": "room_not_ready",
        "requested": {"kind": "refund", "amount": "250.00 USD"},
        "received_at": "2026-11-23T09:30:00-05:00",
    }
    body.update(changes)
    return body


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(SERVICE["create_app"](presets.ritz_carlton(), clock=lambda: NOW))


def test_an_approval_comes_back_as_the_resolution_json(client: TestClient) -> None:
    response = client.post("/complaints", json={"by": "staff", "complaint": complaint()})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["outcome"] == "approved"
    assert answer["complaint_number"] == "20261123-10442"
    assert answer["delivered_by"] == "staff"
    assert [entry["rule"] for entry in answer["trace"]][-1] == "delivery"
    # The JSON is the library's own: it reads back into the very resolution the policy decides.
    expected = presets.ritz_carlton().decide(Complaint.model_validate(complaint()), by="staff", now=NOW)
    assert Resolution.model_validate(answer) == expected


def test_an_escalation_carries_the_callback_and_the_plan_b(client: TestClient) -> None:
    body = {"by": "staff", "granted": "1900.00 USD", "complaint": complaint(category="noise")}
    answer = client.post("/complaints", json=body).json()
    assert answer["outcome"] == "escalated"
    assert answer["escalate_to"] == "manager"
    assert dt.datetime.fromisoformat(answer["callback_by"]) == NOW + dt.timedelta(hours=2)
    assert answer["total"] == {"amount": "2150.00", "currency": "USD"}
    assert len(answer["alternatives"]) == 3
    assert all(Money.validate(option["value"]) <= Money("100.00", "USD") for option in answer["alternatives"])


def test_a_denial_over_the_cap_is_delivered_by_a_manager(client: TestClient) -> None:
    body = {"by": "staff", "complaint": complaint(requested={"kind": "refund", "amount": "10000.01 USD"})}
    answer = client.post("/complaints", json=body).json()
    assert (answer["outcome"], answer["delivered_by"]) == ("denied", "manager")
    assert len(answer["alternatives"]) == 3


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        (
            {"by": "staff", "complaint": complaint(received_at="2026-11-23T09:30:00")},
            ["body", "complaint", "received_at"],
            "must have a time zone: write it with its UTC offset",
        ),
        (
            {"by": "staff", "complaint": complaint(requested={"kind": "refund", "amount": 250.0})},
            ["body", "complaint", "requested", "amount"],
            "is the floating-point number 250.0",
        ),
        (
            {
                "by": "staff",
                "complaint": complaint(requested={"kind": "refund", "amount": {"amount": 2.5, "currency": "USD"}}),
            },
            ["body", "complaint", "requested", "amount"],
            "is the floating-point number 2.5, which cannot hold money exactly; write the amount as text, in quotes: "
            '"2.50"',
        ),
        (
            {"by": "staff", "complaint": complaint(customer={"id": "", "name": "Ada Guest"})},
            ["body", "complaint", "customer", "id"],
            "must not be empty",
        ),
        ({"by": "intern", "complaint": complaint()}, ["body", "by"], "the policy has no level named 'intern'"),
        (
            {"by": "staff", "complaint": complaint(requested={"kind": "cash", "amount": "5.00 USD"})},
            ["body", "complaint", "requested", "kind"],
            "'cash' is not a remedy kind of this policy",
        ),
        (
            {"by": "staff", "complaint": complaint(requested={"kind": "refund", "amount": "5.00 EUR"})},
            ["body", "complaint", "requested", "amount"],
            "is in EUR, but the policy's amounts are in USD",
        ),
        ({"by": "staff", "granted": "12", "complaint": complaint()}, ["body", "granted"], "12.50 USD"),
        (
            {"by": "staff", "granted": "5.00 EUR", "complaint": complaint()},
            ["body", "granted"],
            "is in EUR, but the policy's amounts are in USD",
        ),
        ({"complaint": complaint()}, ["body", "by"], "is required"),
        ({"by": "staff"}, ["body", "complaint"], "is required"),
        ({"by": "staff", "complaint": complaint(), "priority": "high"}, ["body", "priority"], "is not a field here"),
        ([1, 2], ["body"], "must be a JSON object"),
    ],
)
def test_invalid_input_is_a_422_with_the_librarys_message(
    client: TestClient, body: Any, loc: list[str], message: str
) -> None:
    response = client.post("/complaints", json=body)
    assert response.status_code == 422
    answer = response.json()
    assert message in answer["message"]
    located = [problem["msg"] for problem in answer["detail"] if problem["loc"] == loc]
    assert any(message in text for text in located), answer["detail"]
    assert "Ada Guest" not in response.text, "an error response never repeats personal data"


def test_every_problem_is_reported_at_once(client: TestClient) -> None:
    body = {"by": "staff", "complaint": complaint(category="Room Not Ready", received_at="yesterday")}
    answer = client.post("/complaints", json=body).json()
    assert [problem["loc"] for problem in answer["detail"]] == [
        ["body", "complaint", "category"],
        ["body", "complaint", "received_at"],
    ]


def test_a_body_that_is_not_json_is_a_422_of_the_same_shape(client: TestClient) -> None:
    response = client.post("/complaints", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    answer = response.json()
    assert answer["message"].startswith("invalid request")
    assert answer["detail"]
    assert all(problem["loc"][0] == "body" for problem in answer["detail"])
    assert "not json" not in response.text


def test_the_policy_comes_from_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(
        presets.path("retail").read_text(encoding="utf-8").replace('limit = "50.00"', 'limit = "20.00"'),
        encoding="utf-8",
    )
    monkeypatch.setenv(SERVICE["POLICY_FILE"], str(policy_file))
    loaded: Policy = SERVICE["load_policy"]()
    assert loaded.level("associate").limit == Money("20.00", "USD")
    client = TestClient(SERVICE["create_app"](clock=lambda: NOW))
    body = {
        "by": "associate",
        "complaint": complaint(category="out_of_stock", requested={"kind": "discount", "amount": "30.00 USD"}),
    }
    answer = client.post("/complaints", json=body).json()
    assert Outcome(answer["outcome"]) is Outcome.ESCALATED, "30.00 is over the configured 20.00"
    monkeypatch.delenv(SERVICE["POLICY_FILE"])
    assert SERVICE["load_policy"]() == presets.ritz_carlton()


def test_a_policy_that_does_not_load_stops_the_service_from_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "policy.toml"
    broken.write_text(presets.path("retail").read_text(encoding="utf-8").replace('"1000.00"', '"10.00"'))
    monkeypatch.setenv(SERVICE["POLICY_FILE"], str(broken))
    with pytest.raises(ValueError, match=r"policy .*policy.toml does not load"):
        SERVICE["create_app"]()


def test_the_openapi_document_describes_the_request_and_the_resolution(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/complaints"]["post"]
    request = operation["requestBody"]["content"]["application/json"]["schema"]
    assert request["required"] == ["by", "complaint"]
    assert request["properties"]["by"]["enum"] == ["staff", "manager", "general_manager"]
    assert request["properties"]["complaint"] == {"$ref": "#/components/schemas/Complaint"}
    schemas = document["components"]["schemas"]
    assert {"Complaint", "Customer", "Remedy", "Resolution", "Alternative"} <= set(schemas)
    refs = {ref for ref in _refs(document) if ref.startswith("#/components/schemas/")}
    assert {ref.rsplit("/", 1)[1] for ref in refs} <= set(schemas), "every reference resolves"


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_the_demonstration_prints_an_approval_an_escalation_and_a_422(capsys: pytest.CaptureFixture[str]) -> None:
    SERVICE["main"]([])
    out = capsys.readouterr().out
    assert out.count("POST /complaints -> 200") == 2
    assert "POST /complaints -> 422" in out
    assert "approved:" in out
    assert "escalated:" in out
    assert json.loads(out[out.index("{") :])["detail"]
