"""Every problem type of the decision service (docs/how-to/run-the-decision-service.md's errors table,
docs/reference/http-api.md) and every exception of the library (docs/reference/errors.md, the tree in
``recovery_rules.exceptions``) is produced by a test, in the situation the docs describe: here those that no
other test produced that way."""

from __future__ import annotations

import importlib
import json
import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import MissingDependencyError, Policy, SQLiteJournal, StaleCaseError, presets


def _kind(answer: Any) -> str:
    return str(answer.json().get("type", "")).rsplit("#", 1)[-1]


def test_a_yaml_policy_without_pyyaml_raises_missing_dependency_error_naming_the_yaml_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """errors.md: ``MissingDependencyError`` when "an optional feature is used without its extra (YAML files
    without ``yaml``...)": "install the extra the message names"."""
    monkeypatch.setitem(sys.modules, "yaml", None)  # importing it now fails, as without the extra
    with pytest.raises(MissingDependencyError) as caught:
        Policy.from_text("name: x\n", format="yaml")
    assert caught.value.extra == "yaml"
    assert "pip install 'recovery-rules[yaml]'" in str(caught.value)
    assert isinstance(caught.value, ImportError)


def test_recovery_rules_testing_without_hypothesis_raises_missing_dependency_error_naming_the_testing_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """errors.md: ``MissingDependencyError`` for "``recovery_rules.testing`` without ``testing``" (the class
    itself, not only the ``ImportError`` another test catches)."""
    monkeypatch.setitem(sys.modules, "hypothesis", None)  # importing it now fails, as without the extra
    monkeypatch.delitem(sys.modules, "recovery_rules.testing", raising=False)  # imported afresh; put back after
    with pytest.raises(MissingDependencyError) as caught:
        importlib.import_module("recovery_rules.testing")
    assert caught.value.extra == "testing"
    assert "pip install 'recovery-rules[testing]'" in str(caught.value)


@pytest.mark.slow
def test_a_journal_edited_behind_the_services_back_is_a_500_journal_integrity_for_the_case_and_its_steps(
    tmp_path: Path,
) -> None:
    """run-the-decision-service.md: ``journal-integrity`` (500) when "the journal's hash chain does not verify
    for this case", told apart from ``journal-unavailable`` (no ``Retry-After``: no retry mends it). Here an event
    of a real SQLite journal is edited in the file, as a tamperer would, not a journal method replaced."""
    pytest.importorskip("fastapi", reason="the decision service needs the server extra, which dev installs")
    from ._server import NOW, SEED_STEPS, complaint, serve, walk  # noqa: PLC0415 - only with the server extra

    path = tmp_path / "cases.sqlite3"
    with SQLiteJournal(path, clock=lambda: NOW) as journal:
        served = serve(journal=journal)
        number = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]
        walk(served, number, SEED_STEPS[:2])  # events 1 (opened), 2 (listened) and 3 (apologized)
        with closing(sqlite3.connect(path)) as connection:
            connection.execute("UPDATE events SET data = ? WHERE seq = 2", (json.dumps({"notes": "forged"}),))
            connection.commit()
        report = served.get("/v1/report", "manager")
        assert report.status_code == 500, report.text
        assert _kind(report) == "journal-integrity"
        assert str(tmp_path) not in report.text  # the journal named by its file, never the server's folder
        for answer in (
            served.get(f"/v1/cases/{number}"),
            served.post(f"/v1/cases/{number}/ask_preferred_solution"),
        ):
            assert answer.status_code == 500, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            assert _kind(answer) == "journal-integrity"
            assert answer.json()["title"] == "The journal's record does not verify"
            assert "journal event 2 is bad" in answer.json()["detail"]
            assert "retry-after" not in answer.headers
    with closing(sqlite3.connect(path)) as connection:  # the refused step recorded nothing
        assert connection.execute("SELECT count(*) FROM events").fetchone() == (3,)


def test_a_step_that_could_not_be_checked_again_as_other_writers_came_first_is_a_409_stale_case() -> None:
    """run-the-decision-service.md: ``stale-case`` (409) when "another writer moved the case on while the step was
    written, and the step could not be checked again; read it again". Every append of this step finds another
    writer first (the journal answers ``StaleCaseError`` each time, as under writers that never stop): the step
    cannot be checked again, and the answer must be that problem, not ``step-not-allowed`` naming the very step
    refused as the one allowed."""
    pytest.importorskip("fastapi", reason="the decision service needs the server extra, which dev installs")
    from ._server import complaint, serve  # noqa: PLC0415 - only with the server extra

    served = serve()
    try:
        number = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]

        def always_overtaken(*_: Any, expected_version: int, **__: Any) -> Any:
            raise StaleCaseError(expected=expected_version, found=expected_version + 1)

        served.journal.append = always_overtaken  # type: ignore[method-assign]
        answer = served.post(f"/v1/cases/{number}/listen")
        assert answer.status_code == 409, answer.text
        assert _kind(answer) == "stale-case"
    finally:
        served.journal.close()


def test_a_policy_sent_to_check_without_a_content_type_is_a_415_as_a_body_without_one_is_on_every_route() -> None:
    """run-the-decision-service.md: ``unsupported-media-type`` (415) for "a body sent without ``Content-Type:
    application/json``"; ``POST /v1/policy/check`` reads JSON, TOML or YAML "by ``Content-Type``" (http-api.md).
    A policy sent with no Content-Type names no format: a 415 saying the request has none, as
    ``/v1/decisions`` answers, not a TOML policy judged as JSON."""
    pytest.importorskip("fastapi", reason="the decision service needs the server extra, which dev installs")
    from ._server import serve  # noqa: PLC0415 - only with the server extra

    served = serve()
    try:
        toml = presets.path("ritz-carlton").read_text(encoding="utf-8").encode("utf-8")
        answer = served.client.post("/v1/policy/check", content=toml, headers=served.auth())
        assert "content-type" not in answer.request.headers  # sent with none
        assert answer.status_code == 415, answer.text
        assert _kind(answer) == "unsupported-media-type"
        assert "no Content-Type" in answer.json()["detail"]
    finally:
        served.journal.close()
