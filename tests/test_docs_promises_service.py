"""Promises of docs/how-to/run-the-decision-service.md, docs/reference/http-api.md and docs/cli/serve.md,
checked on the decision service in-process."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from recovery_rules import SQLiteJournal
from recovery_rules.cli import main

from ._server import NOW, SEED_STEPS, Served, complaint, serve, serving, walk


@pytest.mark.parametrize("path", ["/v1/cases/{number}", "/v1/policy", "/healthz"])
def test_the_openapi_document_lists_the_413_every_operation_answers(path: str) -> None:
    """run-the-decision-service.md: "The OpenAPI document lists every status an operation answers". The body
    limit is checked "before anything else", on every route, so a GET sent with a body over it is a 413 too."""
    served = serve(max_body_bytes=2_000)
    number = served.post("/v1/cases", json={"complaint": complaint()}, key="open-1").json()["complaint_number"]
    target = path.replace("{number}", number)
    answered = served.client.request("GET", target, content=b"x" * 2_001, headers=served.auth())
    assert answered.status_code == 413
    document = served.client.get("/v1/openapi.json").json()
    assert "413" in document["paths"][path]["get"]["responses"]


def test_the_report_route_answers_what_recovery_rules_report_json_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """http-api.md: ``GET /v1/report`` is "the service metrics of the cases opened in the period ... what
    `recovery-rules report --json` prints, read against the policy served"."""
    path = tmp_path / "cases.sqlite3"
    period = {"since": "2026-11-01T00:00:00Z", "until": "2026-12-01T00:00:00Z"}
    with SQLiteJournal(path, clock=lambda: NOW) as journal:
        served = serve(journal=journal)
        escalated = served.post("/v1/cases", json={"complaint": complaint("3000.00")}, key="open-1")
        walk(served, escalated.json()["complaint_number"], SEED_STEPS)
        other = complaint("100.00", customer={"id": "777", "tier": "standard"})
        approved = served.post("/v1/cases", json={"complaint": other}, key="open-2")
        walk(served, approved.json()["complaint_number"], SEED_STEPS[:4])
        answer = served.get("/v1/report", params=period)
        assert answer.status_code == 200, answer.json()
        from_api = answer.json()["report"]
    capsys.readouterr()
    monkeypatch.chdir(tmp_path)  # the service names its journal by the file's name: so does the command, given it
    code = main(
        ["report", path.name, "--json", "--now", NOW.isoformat(), "--policy", "ritz-carlton"]
        + [f"--{name}={value}" for name, value in period.items()]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert from_api == json.loads(printed)
    assert from_api["cases"]["total"] == 2, from_api["cases"]


def test_a_callback_is_overdue_only_once_its_promised_time_has_passed() -> None:
    """http-api.md: ``GET /v1/callbacks/overdue`` lists "open cases whose promised callback time has passed": at
    the promised moment itself the promise is still kept; a microsecond later it is overdue."""
    now = [NOW]
    served = serve(clock=lambda: now[0])
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}, key="open-1").json()
    number = number["complaint_number"]
    promised = dt.datetime.fromisoformat(walk(served, number, SEED_STEPS).json()["case"]["callback_by"])
    now[0] = promised
    assert served.get("/v1/callbacks/overdue").json()["cases"] == []
    now[0] = promised + dt.timedelta(microseconds=1)
    overdue = served.get("/v1/callbacks/overdue").json()["cases"]
    assert [case["complaint_number"] for case in overdue] == [number]


@pytest.fixture(scope="module")
def unchanged() -> Iterator[Served]:
    """One app for the tests of paths it does not have: nothing is recorded, and none reads the journal, the log or
    the metrics."""
    yield from serving()


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/policy/"), ("POST", "/v1/decisions/"), ("GET", "/healthz/")])
def test_a_path_the_service_does_not_have_is_a_404_problem_even_with_a_trailing_slash(
    unchanged: Served, method: str, path: str
) -> None:
    """http-api.md: "A path the service does not have (`/v1/cses`, a misspelt step) is a 404 `not-found`
    problem". ``/v1/policy/`` is not a path of the document; it is not redirected elsewhere either."""
    served = unchanged
    answer = served.client.request(
        method, path, headers=served.auth(), json={"complaint": complaint()}, follow_redirects=False
    )
    assert answer.status_code == 404, answer.headers.get("location")
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith("#not-found")
