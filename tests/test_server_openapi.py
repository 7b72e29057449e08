"""The decision service's OpenAPI document: version 3.1, complete, and the reference's copy up to date."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the decision service needs the server extra, which dev installs")

from recovery_rules.server import openapi_document
from recovery_rules.server._api import STEP_BODIES

from ._docs import load_tool

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
            for status in ("401", "422"):
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
