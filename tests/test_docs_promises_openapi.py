"""The decision service against its own OpenAPI document (docs/reference/openapi.json, docs/reference/http-api.md):
what a host app in another language generates a client from must describe the answers the service really gives,
their headers and their problems' members included."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recovery_rules import Policy, presets

from ._helpers import policy_data
from ._server import SEED_STEPS, Served, complaint, customer, serve, serving, walk

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the dev extra; this runs in CI")

SHIPPED = Path(__file__).resolve().parents[1] / "docs" / "reference" / "openapi.json"


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """One app for the tests below: each opens cases of a customer of its own, or none; none counts the journal's
    events, reads the decision log or the metrics, or changes the policy served."""
    yield from serving()


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SHIPPED.read_text(encoding="utf-8"))
    return loaded


def _validate(document: dict[str, Any], method: str, template: str, answer: Any) -> list[str]:
    """What is wrong with ``answer`` against the document: its status, its media type and its body's schema."""
    responses = document["paths"][template][method]["responses"]
    status = str(answer.status_code)
    if status not in responses:
        return [f"{method.upper()} {template}: {status} is not documented"]
    media = answer.headers["content-type"]
    content = responses[status]["content"]
    if media not in content:
        return [f"{method.upper()} {template} {status}: {media} is not documented"]
    schema = {**content[media]["schema"], "components": document["components"]}
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(answer.json())]


def _kind(answer: Any) -> str:
    return str(answer.json().get("type", "")).rsplit("#", 1)[-1]


# -- the headers the service sends ---------------------------------------------------------------------------
def test_the_document_names_the_location_header_of_a_new_case(served: Served, document: dict[str, Any]) -> None:
    opened = served.post("/v1/cases", json={"complaint": complaint(customer=customer("oa-location"))})
    assert opened.status_code == 201
    assert opened.headers["location"] == f"/v1/cases/{opened.json()['complaint_number']}"
    created = document["paths"]["/v1/cases"]["post"]["responses"]["201"]
    assert "Location" in created.get("headers", {})


def test_every_401_of_the_document_names_the_www_authenticate_header_the_service_sends(
    served: Served, document: dict[str, Any]
) -> None:
    unsigned = served.client.get("/v1/policy")
    assert unsigned.status_code == 401
    assert unsigned.headers["www-authenticate"].startswith("Bearer")
    missing = [
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "401" in operation["responses"]
        and "WWW-Authenticate" not in operation["responses"]["401"].get("headers", {})
    ]
    assert missing == []


def test_every_503_of_the_document_names_the_retry_after_header_the_service_sends(document: dict[str, Any]) -> None:
    served = serve()
    served.journal.close()
    unavailable = served.get("/v1/callbacks/overdue")
    assert (unavailable.status_code, unavailable.headers["retry-after"]) == (503, "1")
    missing = [
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        if path.startswith("/v1/")
        for method, operation in operations.items()
        if "503" in operation["responses"] and "Retry-After" not in operation["responses"]["503"].get("headers", {})
    ]
    assert missing == []


# -- the problems' extension members -------------------------------------------------------------------------
def test_the_problem_schema_describes_every_member_a_403_or_a_409_holds(
    served: Served, document: dict[str, Any]
) -> None:
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00", customer=customer("oa-members"))})
    number = number.json()["complaint_number"]
    too_early = served.post(f"/v1/cases/{number}/deliver")
    assert (too_early.status_code, _kind(too_early)) == (409, "step-not-allowed")
    walk(served, number, SEED_STEPS)
    own_escalation = served.post(f"/v1/cases/{number}/manager_approves")
    assert (own_escalation.status_code, _kind(own_escalation)) == (403, "forbidden")
    described = set(document["components"]["schemas"]["ProblemDetails"]["properties"])
    assert set(too_early.json()) - described == set()
    assert set(own_escalation.json()) - described == set()


# -- a report the journal's currency refuses -----------------------------------------------------------------
def test_a_report_refused_for_a_case_in_another_currency_names_no_field_the_request_does_not_have() -> None:
    """The document's ``FieldProblem.field``: "The same place as a dotted path (`complaint.received_at`), or a
    parameter's name". ``GET /v1/report`` has no body and two parameters, ``since`` and ``until``: a problem the
    report finds in the journal (a case in dollars, read against a policy in euros after a reload) is at neither,
    and the client must not be told a field ``20261123-…`` of its request is wrong."""
    served = serve()
    try:
        number = served.post("/v1/cases", json={"complaint": complaint(customer=customer("oa-usd"))})
        assert number.status_code == 201
        text = presets.path("ritz-carlton").read_text(encoding="utf-8")
        euros = text.replace('currency = "USD"', 'currency = "EUR"').replace(' USD"', ' EUR"')
        served.app.state.service._policy = Policy.from_text(euros, format="toml")  # a reload, as SIGHUP does
        answer = served.get("/v1/report")
        assert _validate(served.client.get("/v1/openapi.json").json(), "get", "/v1/report", answer) == []
        assert answer.status_code == 422
        fields = {problem["field"] for problem in answer.json()["errors"]}
        assert fields <= {"", "since", "until"}, fields
    finally:
        served.journal.close()


# -- promises that hold --------------------------------------------------------------------------------------
def test_the_service_serves_the_shipped_document_whatever_its_policy_and_options() -> None:
    """http-api.md: "The service serves this document at `/v1/openapi.json`" and a client generator "reads the
    same file": the file in the reference is what a service of any policy (here in yen, with other levels' limits)
    and any body limit or web origin serves, member for member."""
    data = policy_data(currency="JPY", hard_cap="500000")
    data["levels"] = [
        {"name": "staff", "limit": "10000"},
        {"name": "manager", "limit": "200000", "callback_within": "4h"},
        {"name": "general_manager", "limit": "unlimited", "callback_within": "1d"},
    ]
    shipped = json.loads(SHIPPED.read_text(encoding="utf-8"))
    served = serve(Policy.model_validate(data), max_body_bytes=1_000, allow_origins=("https://desk.example",))
    try:
        answer = served.client.get("/v1/openapi.json")
        assert answer.status_code == 200
        assert answer.json() == shipped
    finally:
        served.journal.close()


def test_a_follow_up_case_number_percent_encoded_as_a_generated_client_sends_it_is_the_case(served: Served) -> None:
    """The document gives ``{number}`` as a plain string; a client generated from it expands the path template as
    RFC 6570 does, so the ``/`` of a follow-up's number (``20261123-oa-follow/2``) is sent as ``%2F``: reading the
    case and taking a step on it reach that case, not another path."""
    body = {"complaint": complaint(customer=customer("oa-follow"))}
    first = served.post("/v1/cases", json=body).json()["complaint_number"]
    second = served.post("/v1/cases", json=body).json()["complaint_number"]
    assert second == f"{first}/2"
    encoded = second.replace("/", "%2F")
    read = served.get(f"/v1/cases/{encoded}")
    assert (read.status_code, read.json()["complaint_number"]) == (200, second)
    listened = served.post(f"/v1/cases/{encoded}/listen")
    assert (listened.status_code, listened.json()["complaint_number"]) == (200, second)
    assert served.get(f"/v1/cases/{first}").json()["case"]["state"] == "opened"


_FIELDS = ("customer", "category", "requested", "received_at", "description", "number")


def _string(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True)
    return st.text(max_size=schema.get("maxLength", 20) if schema.get("maxLength", 20) < 20 else 20)


def _from_schema(schema: dict[str, Any], components: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A value of a JSON schema of the document (the few keywords its request schemas use)."""
    if "$ref" in schema:
        return st.deferred(lambda: _from_schema(components[schema["$ref"].rsplit("/", 1)[-1]], components))
    if "anyOf" in schema:
        return st.one_of([_from_schema(option, components) for option in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema.get("minimum", -(10**6)), schema.get("maximum", 10**6))
    if kind == "string" and schema.get("format") == "date-time":
        return st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat())
    if kind == "string":
        return _string(schema)
    if kind == "array":
        return st.lists(_from_schema(schema.get("items", {}), components), max_size=2)
    properties = schema.get("properties", {})
    if not properties and isinstance(schema.get("additionalProperties"), dict):
        values = _from_schema(schema["additionalProperties"], components)
        return st.dictionaries(st.sampled_from(["incident", "30d", "day"]), values, max_size=2)
    required = set(schema.get("required", ()))
    return st.fixed_dictionaries(
        {name: _from_schema(item, components) for name, item in properties.items() if name in required},
        optional={name: _from_schema(item, components) for name, item in properties.items() if name not in required},
    )


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_answer_to_a_complaint_drawn_from_the_documents_schema_is_one_the_document_describes(
    served: Served, document: dict[str, Any], data: st.DataObject
) -> None:
    """http-api.md: a client generator reads the document; whatever a client builds from its ``Complaint`` schema
    (one field at a time drawn from it, the others those of a valid complaint; an amount in either of the
    document's two forms; ``granted`` drawn from its schema), the answer of ``POST /v1/decisions`` and of
    ``POST /v1/cases`` has a status the document lists for it and a body valid against the schema it gives
    there: never a 500, never a member the schema does not allow."""
    components = document["components"]["schemas"]
    sent = complaint(customer=customer("oa-drawn"))
    field = data.draw(st.sampled_from((None, *_FIELDS)))
    if field is not None:
        sent[field] = data.draw(_from_schema(components["Complaint"]["properties"][field], components))
    if field != "requested":
        amount = data.draw(st.from_regex(r"[0-9]{1,5}(\.[0-9]{1,3})?", fullmatch=True))
        currency = data.draw(st.sampled_from(["USD", "EUR", "JPY"]))
        written = data.draw(st.sampled_from([f"{amount} {currency}", {"amount": amount, "currency": currency}]))
        sent["requested"] = {"kind": data.draw(st.sampled_from(["refund", "credit", "upgrade"])), "amount": written}
    deciding: dict[str, Any] = {"complaint": sent}
    if data.draw(st.booleans()):
        deciding["granted"] = data.draw(_from_schema(components["DecideRequest"]["properties"]["granted"], components))
    level = data.draw(st.sampled_from(["staff", "manager", "general_manager"]))
    for template, body in (("/v1/decisions", deciding), ("/v1/cases", {"complaint": sent})):
        answer = served.post(template, level, json=body)
        assert answer.status_code < 500, answer.text
        assert _validate(document, "post", template, answer) == [], (template, body)
