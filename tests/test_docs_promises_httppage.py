"""The HTTP API page (docs/reference/http-api.md, docs/how-to/run-the-decision-service.md) against the routes the
app serves: every route is on the page, and what a refused method is told leads to a route that exists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from ._server import NOW, Served, complaint, serve, serving


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    yield from serving()


def test_the_service_serves_no_swagger_page_outside_v1_docs(served: Served) -> None:
    """http-api.md: the service "answers under /v1", its document at /v1/openapi.json, "an interactive page at
    /v1/docs" and Swagger UI's own files "under /v1/docs/static"; nothing of Swagger UI lies outside /v1/docs."""
    answer = served.client.get("/docs/oauth2-redirect")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_the_pages_list_every_api_path_and_operation_the_app_serves(served: Served) -> None:
    """http-api.md's route table names each operation: the app's OpenAPI paths are exactly those routes (each
    step of the case path a route of its own, under POST /v1/cases/{number}/{step})."""
    document = served.client.get("/v1/openapi.json").json()
    operations = {
        (method.upper(), path if not path.startswith("/v1/cases/{number}/") else "/v1/cases/{number}/{step}")
        for path, item in document["paths"].items()
        for method in item
    }
    assert operations == {
        ("POST", "/v1/decisions"),
        ("POST", "/v1/cases"),
        ("GET", "/v1/cases/{number}"),
        ("POST", "/v1/cases/{number}/{step}"),
        ("GET", "/v1/callbacks/overdue"),
        ("GET", "/v1/report"),
        ("GET", "/v1/policy"),
        ("POST", "/v1/policy/check"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
    }


def test_a_405_suggests_only_a_path_that_answers_the_method(served: Served) -> None:
    """http-api.md: "A method a path does not take is a 405 method-not-allowed problem"; a path its detail
    suggests instead must take the request, not refuse it as holding no complaint number."""
    refused = served.client.get("/v1/cases", headers=served.auth())
    assert refused.status_code == 405
    detail = refused.json()["detail"]
    if "did you mean" in detail:
        suggested = detail.rsplit("did you mean GET ", 1)[1].removesuffix("?")
        assert served.client.get(suggested, headers=served.auth()).status_code == 200


def test_a_report_period_takes_a_case_opened_exactly_at_since_and_leaves_one_opened_exactly_at_until() -> None:
    """The report's query parameters (OpenAPI): ``since`` is "Cases opened at or after this time", ``until`` "Cases
    opened before this time"; an offset other than UTC names the same moment."""
    served = serve()  # its own app: the test counts every case of the journal
    try:
        assert served.post("/v1/cases", json={"complaint": complaint()}).status_code == 201  # opened at NOW

        def total(**period: str) -> int:
            answer = served.get("/v1/report", params=period)
            assert answer.status_code == 200
            return int(answer.json()["report"]["cases"]["total"])

        opened = NOW.isoformat()
        assert total(since=opened) == 1
        assert total(since=NOW.astimezone(dt.timezone(dt.timedelta(hours=-5))).isoformat()) == 1
        assert total(since=(NOW + dt.timedelta(microseconds=1)).isoformat()) == 0
        assert total(until=opened) == 0
        assert total(until=(NOW + dt.timedelta(microseconds=1)).isoformat()) == 1
    finally:
        served.journal.close()


def test_a_policy_to_check_that_is_not_json_is_answered_with_the_message_the_page_quotes(served: Served) -> None:
    """run-the-decision-service.md: a syntax error in a policy sent to POST /v1/policy/check is a problem of the
    body as a whole, at the pointer "", "whose line and column are in its detail (`is not valid JSON: Expecting
    property name enclosed in double quotes (at line 1, column 2)`)"."""
    answer = served.client.post(
        "/v1/policy/check", headers=served.auth(**{"Content-Type": "application/json"}), content=b"{"
    )
    assert answer.status_code == 422
    assert answer.json()["type"].endswith("#invalid-policy")
    [problem] = answer.json()["errors"]
    assert problem["pointer"] == ""
    assert problem["detail"] == (
        "is not valid JSON: Expecting property name enclosed in double quotes (at line 1, column 2)"
    )
