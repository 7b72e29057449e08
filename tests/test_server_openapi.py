"""The decision service's OpenAPI document: version 3.1, complete, and the reference's copy up to date."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the decision service needs the server extra, which dev installs")

from recovery_rules import Policy, presets
from recovery_rules.server import openapi_document
from recovery_rules.server._api import STEP_BODIES

from ._docs import load_tool
from ._server import SEED_STEPS, Served, complaint, customer, serve, serving, walk

DOCS = Path(__file__).resolve().parents[1] / "docs"
OPENAPI_TOOL = load_tool("openapi")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document()


def test_the_reference_holds_the_apps_document() -> None:
    shipped = (DOCS / "reference" / "openapi.json").read_text(encoding="utf-8")
    assert shipped == OPENAPI_TOOL.render(), "docs/reference/openapi.json is out of date: run `make openapi`"


def test_it_is_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["version"]


def test_every_route_is_described(document: dict[str, Any]) -> None:
    paths = set(document["paths"])
    expected = {
        "/v1/decisions",
        "/v1/cases",
        "/v1/cases/{number}",
        "/v1/callbacks/overdue",
        "/v1/report",
        "/v1/policy",
        "/v1/policy/check",
        "/healthz",
        "/readyz",
        "/metrics",
    } | {f"/v1/cases/{{number}}/{step}" for step in STEP_BODIES}
    assert paths == expected


def test_every_v1_operation_has_its_models_its_problems_and_the_bearer_scheme(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {**schemes["bearerToken"], "type": "http", "scheme": "bearer"}
    for path, operations in document["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert operation["security"] == [{"bearerToken": []}], where
            responses = operation["responses"]
            success = next(status for status in responses if status.startswith("2"))
            assert "schema" in responses[success]["content"]["application/json"], where
            for status in ("401", "403", "422", "500"):  # every route: a token, its level, a body or query
                content = responses[status]["content"]
                assert content == {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
                }, where
            if method == "post":
                assert "requestBody" in operation, where


def test_the_step_bodies_and_the_problem_are_components(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for model in {*STEP_BODIES.values()}:
        assert model.__name__ in schemas
    problem = schemas["ProblemDetails"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance"}
    assert set(schemas["FieldProblem"]["required"]) == {"pointer", "field", "detail"}
    for name in ("DecideRequest", "OpenRequest", "NotesRequest"):
        assert schemas[name]["additionalProperties"] is False, name
        assert "by" not in schemas[name]["properties"], name


def test_the_document_is_json(document: dict[str, Any]) -> None:
    assert json.loads(json.dumps(document)) == document


@pytest.mark.slow
def test_the_statuses_the_service_answers_are_the_documented_ones() -> None:
    """Each answer below is one the service really gives; the document must list its status for the route."""
    served = serve()
    document = served.client.get("/v1/openapi.json").json()

    def documented(method: str, template: str, response: Any, status: int) -> None:
        assert response.status_code == status, response.text
        listed = document["paths"][template][method]["responses"]
        assert str(status) in listed, f"{method.upper()} {template}: {status} is not documented ({sorted(listed)})"

    unread = served.post("/v1/policy/check", content=b"x", headers={"Content-Type": "text/plain"})
    documented("post", "/v1/policy/check", unread, 415)
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    walk(served, number, SEED_STEPS)
    more_than_asked = served.post(f"/v1/cases/{number}/manager_approves", "manager", json={"amount": "9000.00 USD"})
    documented("post", "/v1/cases/{number}/manager_approves", more_than_asked, 422)
    documented("get", "/v1/cases/{number}", served.get("/v1/cases/20261123-404"), 404)
    form = {"Content-Type": "application/x-www-form-urlencoded"}  # what curl -d sends
    body = json.dumps({"complaint": complaint()})
    for template in ("/v1/decisions", "/v1/cases"):
        documented("post", template, served.post(template, content=body, headers=form), 415)
    notes = served.post(f"/v1/cases/{number}/thank", content='{"notes": "x"}', headers=form)
    documented("post", "/v1/cases/{number}/thank", notes, 415)
    deep = served.post("/v1/decisions", content="[" * 100_000, headers={"Content-Type": "application/json"})
    documented("post", "/v1/decisions", deep, 400)

    text = presets.path("ritz-carlton").read_text(encoding="utf-8")
    renamed = Policy.from_text(text.replace('name = "general_manager"', 'name = "director"'), format="toml")
    served.app.state.service._policy = renamed  # a reload: the general manager's token names a level no more
    for template in ("/v1/policy", "/v1/report", "/v1/callbacks/overdue"):
        documented("get", template, served.get(template, "general_manager"), 403)
    served.app.state.service._policy = presets.ritz_carlton()

    served.journal.close()  # the journal cannot be used now
    documented("get", "/v1/cases/{number}", served.get(f"/v1/cases/{number}"), 503)
    documented("get", "/v1/callbacks/overdue", served.get("/v1/callbacks/overdue"), 503)
    documented("post", "/v1/cases/{number}/listen", served.post(f"/v1/cases/{number}/listen"), 503)


def test_the_customers_answers_are_documented_with_their_types_and_bounds(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name in ("AnswersRequest", "NotesAnswersRequest", "AlternativeRequest"):
        properties = schemas[name]["properties"]
        assert {"type": "boolean"} in properties["satisfied"]["anyOf"], name
        score = next(item for item in properties["satisfaction"]["anyOf"] if item.get("type") == "integer")
        assert (score["minimum"], score["maximum"]) == (1, 5), name
    assert {"type": "boolean"} in schemas["PreferredRequest"]["properties"]["customer_agreed"]["anyOf"]


def test_the_idempotency_key_is_documented_in_bytes_as_the_service_counts_it(document: dict[str, Any]) -> None:
    """An audit: the header's schema said ``maxLength`` 200, which JSON Schema counts in characters, while the
    service counts the bytes sent: a key of 101 characters outside ASCII passed the schema and was refused. The
    document now says what the limit counts."""
    served = serve()
    for path in ("/v1/cases", "/v1/cases/{number}/listen"):
        (parameter,) = (item for item in document["paths"][path]["post"]["parameters"] if item["in"] == "header")
        assert parameter["name"] == "Idempotency-Key"
        assert {"type": "string", "maxLength": 200} in parameter["schema"]["anyOf"]
        said = parameter["description"]
        assert "at most 200 bytes as sent" in said
        assert "a character outside ASCII counts as the bytes it is sent in" in said, said
    for key, status in (("k" * 200, 201), ("\u00e9" * 100, 201), ("\u00e9" * 101, 422)):  # the bytes, as said
        sent = {name.encode(): value.encode() for name, value in served.auth().items()}
        sent[b"Idempotency-Key"] = key.encode("utf-8")  # the bytes, as a client sends a key outside ASCII
        answer = served.client.post("/v1/cases", json={"complaint": complaint()}, headers=sent)
        assert answer.status_code == status, answer.text


def test_the_api_page_loads_nothing_from_another_host() -> None:
    """``/v1/docs`` is Swagger UI served by the service itself (fastapi-offline), not loaded from a public CDN."""
    client = serve(reload_on_sighup=False).client
    page = client.get("/v1/docs")
    assert page.status_code == 200
    addresses = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert addresses
    assert all(address.startswith("/v1/docs/static/") for address in addresses), addresses
    assert "http://" not in page.text
    assert "https://" not in page.text
    for address in addresses:
        answer = client.get(address)
        assert answer.status_code == 200, address
        assert len(answer.content) > 1000, address
    assert "SwaggerUIBundle" in client.get("/v1/docs/static/swagger-ui-bundle.js").text


def test_a_step_body_with_a_required_field_is_required_and_the_others_optional(document: dict[str, Any]) -> None:
    """``manager_denies`` needs a reason and ``accept_alternative`` an alternative: their bodies are required in the
    document (no ``null``), as the service requires them; every other step's body may be left out."""
    for step, model in STEP_BODIES.items():
        body = document["paths"][f"/v1/cases/{{number}}/{step}"]["post"]["requestBody"]
        schema = body["content"]["application/json"]["schema"]
        required = any(field.is_required() for field in model.model_fields.values())
        assert body.get("required", False) is required, step
        if required:
            assert schema == {"$ref": f"#/components/schemas/{model.__name__}"}, step
        else:
            assert {"type": "null"} in schema["anyOf"], step
    assert {
        step
        for step, model in STEP_BODIES.items()
        if document["paths"][f"/v1/cases/{{number}}/{step}"]["post"]["requestBody"].get("required")
    } == {"manager_denies", "accept_alternative"}


@pytest.fixture(scope="module")
def steps_served() -> Iterator[Served]:
    """One app for the tests of each step below: each opens cases of a customer of its own (``r-<step>``,
    ``c-<step>``) or none; none reads another's case, counts the journal's events, or reads the log or the metrics."""
    yield from serving()


@pytest.mark.parametrize(("step", "field"), [("manager_denies", "reason"), ("accept_alternative", "alternative_id")])
def test_a_required_step_body_left_out_is_a_422_naming_its_field(steps_served: Served, step: str, field: str) -> None:
    served = steps_served
    opened = served.post("/v1/cases", json={"complaint": complaint("3000.00", customer=customer(f"r-{step}"))})
    number = opened.json()["complaint_number"]
    walk(served, number, SEED_STEPS)
    sending: list[dict[str, Any]] = [
        {},
        {"content": b"null", "headers": {"Content-Type": "application/json"}},
        {"json": {}},
    ]
    for sent in sending:
        answer = served.post(f"/v1/cases/{number}/{step}", "manager", **sent)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"] == [{"pointer": f"/{field}", "field": field, "detail": "is required"}]
    unsigned = served.client.post(f"/v1/cases/{number}/{step}")  # the token first, as on every route
    assert unsigned.status_code == 401


@pytest.mark.slow
def test_every_operation_lists_the_405_of_its_path_with_the_allow_the_service_sends() -> None:
    """A method a path does not take is a 405 problem with ``Allow``: the document lists it on every operation of
    every path (OpenAPI has no place for a path's other methods), with its header and the ``Allow`` it holds, so
    a client generated from the document has a type for it."""
    served = serve()
    document = served.client.get("/v1/openapi.json").json()
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
    for template, operations in document["paths"].items():
        path = template.replace("{number}", "20261123-10442")
        taken = {method.upper() for method in operations}
        refused = next(method for method in ("DELETE", "PUT", "PATCH") if method not in taken)
        answer = served.client.request(refused, path, headers=served.auth())
        assert answer.status_code == 405, (refused, template, answer.text)
        assert answer.headers["content-type"] == "application/problem+json", template
        for method, operation in operations.items():
            listed = operation["responses"].get("405")
            assert listed is not None, f"{method.upper()} {template}: no 405"
            assert listed["content"] == problem, template
            allow = listed["headers"]["Allow"]
            assert allow["required"] is True, template
            assert allow["schema"] == {"type": "string"}, template
            assert allow["example"] == answer.headers["allow"], template


@pytest.mark.parametrize("step", sorted(STEP_BODIES))
def test_an_unknown_case_is_a_404_whatever_the_body_holds(steps_served: Served, step: str) -> None:
    """The case in the path is looked up before the body is checked, on every route with a case number and a
    body: no body (where the step needs one), a body of another media type, a field that is not one, a header
    too long are all a 404 on a case that does not exist. The token comes first (a 401), and a body that is not
    JSON at all is a 400 before anything (FastAPI reads it first)."""
    served = steps_served
    path = f"/v1/cases/20261123-nobody/{step}"
    sent: list[dict[str, Any]] = [
        {},
        {"json": {}},
        {"json": {"by": "general_manager", "no_such_field": 1}},
        {"content": b"x=1", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
        {"headers": {"Idempotency-Key": "k" * 201}},
    ]
    for request in sent:
        answer = served.post(path, "general_manager", **request)
        assert answer.status_code == 404, (request, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["errors"] == [
            {"pointer": "", "field": "number", "detail": "no case has this complaint number"}
        ]
    assert served.client.post(path, json={}).status_code == 401
    unreadable = served.post(path, "general_manager", content=b"{", headers={"Content-Type": "application/json"})
    assert unreadable.status_code == 400, unreadable.text
    opened = served.post("/v1/cases", json={"complaint": complaint(customer=customer(f"c-{step}"))})
    number = opened.json()["complaint_number"]
    on_a_case = served.post(f"/v1/cases/{number}/{step}", "general_manager", json={"no_such_field": 1})
    assert on_a_case.status_code == 422, on_a_case.text  # the body is still checked on a case that exists
