"""What an operator of the decision service sees, as the docs promise it: the decision log, the Prometheus
metrics at ``/metrics``, the health endpoints and the service's own log lines.

Pages: docs/how-to/run-the-decision-service.md ("Watch it", "Behind a proxy"), docs/cli/serve.md,
docs/reference/http-api.md, and docs/explanation/guarantees-under-failure.md section 9 (no log record carries a
customer number).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

pytest.importorskip("fastapi", reason="the decision service needs the server extra, which dev installs")

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from recovery_rules import ComplaintNumber, MemoryJournal, presets
from recovery_rules.server import Tokens, create_app, mint_token, token_entry

from ._server import NOW, SEED_STEPS, complaint, serve, walk

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _requests(text: str) -> list[dict[str, str]]:
    """The labels of every ``recovery_rules_http_requests_total`` sample of a scrape."""
    families = {family.name: family for family in text_string_to_metric_families(text)}
    return [
        dict(sample.labels)
        for sample in families["recovery_rules_http_requests"].samples
        if sample.name.endswith("_total")
    ]


@pytest.mark.slow
def test_every_metric_the_docs_name_has_its_documented_type_and_labels(tmp_path: Path) -> None:
    """The "Watch it" list: requests by route, method and status (a counter), their latency (a histogram),
    decisions by outcome and level, policy reloads by result (counters), the revision served (a gauge)."""
    path = tmp_path / "policy.toml"
    text = presets.path("ritz-carlton").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    served = serve(policy_source=str(path))
    try:
        assert served.post("/v1/decisions", json={"complaint": complaint()}).status_code == 200
        path.write_text(text.replace('limit = "2000.00"', 'limit = "2500.00"', 1), encoding="utf-8")
        assert served.app.state.service.reload().result == "loaded"
        families = {
            family.name: family for family in text_string_to_metric_families(served.client.get("/metrics").text)
        }
        expected = {
            "recovery_rules_http_requests": ("counter", {"route", "method", "status"}),
            "recovery_rules_http_request_duration_seconds": ("histogram", {"route"}),
            "recovery_rules_decisions": ("counter", {"outcome", "level"}),
            "recovery_rules_policy_reloads": ("counter", {"result"}),
            "recovery_rules_policy_info": ("gauge", {"revision"}),
        }
        for name, (kind, labels) in expected.items():
            assert families[name].type == kind, name
            named = {key for sample in families[name].samples for key in sample.labels if key not in ("le",)}
            assert named == labels, name
    finally:
        served.journal.close()


def test_a_path_a_route_serves_is_never_counted_as_unmatched() -> None:
    """The docs: requests by route, "its template; `unmatched` for a path no route serves". The document at
    /v1/openapi.json, the Swagger UI's files and a body too large for /v1/decisions are all on paths a route
    serves."""
    served = serve(max_body_bytes=1_000)
    try:
        assert served.client.get("/v1/openapi.json").status_code == 200
        assert served.client.get("/v1/docs/static/swagger-ui.css").status_code == 200
        too_large = served.post("/v1/decisions", json={"complaint": complaint(), "padding": "x" * 5_000})
        assert too_large.status_code == 413
        counted = _requests(served.client.get("/metrics").text)
        assert [labels for labels in counted if labels["route"] == "unmatched"] == []
    finally:
        served.journal.close()


def test_a_cors_preflight_is_counted_as_an_options_request() -> None:
    """The docs count requests by method, "`HEAD` and `OPTIONS` too"; with --allow-origin, a browser's preflight
    is an OPTIONS request like any other, answered 200 (or a 400 for an origin not allowed)."""
    served = serve(allow_origins=["https://desk.example.com"])
    try:
        for origin, status in (("https://desk.example.com", 200), ("https://elsewhere.example.com", 400)):
            preflight = served.client.options(
                "/v1/decisions", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
            )
            assert preflight.status_code == status
        counted = _requests(served.client.get("/metrics").text)
        assert {labels["status"] for labels in counted if labels["method"] == "OPTIONS"} == {"200", "400"}
    finally:
        served.journal.close()


class _FullDisk:
    """A decision log on a full disk (what ``serve --decision-log /dev/full`` gives): every write fails."""

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_decision_log_that_cannot_be_written_does_not_fail_a_recorded_decision(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The journal records the case's ``decide``; the decision log on a full disk then fails. The answer was a 500
    "the service failed to answer" (the docs: "a bug"), for a step the journal holds, and its retry with the same
    key is not logged either: the line is lost. The client must learn the step was recorded; the operator, from the
    service's log, that the decision log failed."""
    token, digest = mint_token()
    journal = MemoryJournal(clock=lambda: NOW)
    app = create_app(
        presets.ritz_carlton(),
        journal,
        Tokens.from_entries([{"sha256": digest, "employee": "e-1", "level": "staff"}]),
        clock=lambda: NOW,
        decision_log=_FullDisk(),  # type: ignore[arg-type]  # a stream that fails as a full disk does
    )
    client = TestClient(app, raise_server_exceptions=False)
    auth = {"Authorization": f"Bearer {token}"}
    try:
        number = client.post("/v1/cases", json={"complaint": complaint()}, headers=auth).json()["complaint_number"]
        for step in ("listen", "apologize", "ask_preferred_solution"):
            assert client.post(f"/v1/cases/{number}/{step}", headers=auth).status_code == 200
        with caplog.at_level(logging.ERROR, logger="recovery_rules.server"):
            decided = client.post(f"/v1/cases/{number}/decide", headers={**auth, "Idempotency-Key": "decide-1"})
            asked = client.post("/v1/decisions", json={"complaint": complaint()}, headers=auth)
        assert journal.events(ComplaintNumber.parse(number))[-1].kind == "decided"
        assert (decided.status_code, asked.status_code) == (200, 200), decided.text
        assert "decision log" in caplog.text
    finally:
        journal.close()


def test_a_managers_denial_in_the_console_is_counted_as_the_apis_is() -> None:
    """``recovery_rules_decisions_total`` counts "decisions by outcome and level"; the API counts a manager's
    denial (outcome ``denied``), and the console's ``decide`` and ``manager_approves`` are counted as the API's
    are: its ``manager_denies`` must be too."""
    served = serve()
    try:
        number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
        walk(served, number, SEED_STEPS)
        browser = TestClient(served.app, follow_redirects=False)
        assert browser.post("/console/sign-in", data={"token": served.tokens["manager"]}).status_code == 303
        found = _CSRF.search(browser.get(f"/console/cases/{number}").text)
        assert found is not None
        reason = "a full refund is more than one night's delay calls for"
        denied = browser.post(f"/console/step/manager_denies/{number}", data={"csrf": found.group(1), "reason": reason})
        assert denied.status_code == 303, denied.text
        assert served.get(f"/v1/cases/{number}").json()["case"]["state"] == "denied"
        text = served.client.get("/metrics").text
        assert 'recovery_rules_decisions_total{level="manager",outcome="denied"} 1.0' in text
    finally:
        served.journal.close()


def test_the_log_of_an_unexpected_error_does_not_name_the_customer_number(caplog: pytest.LogCaptureFixture) -> None:
    """guarantees-under-failure.md, 9: "No error message, `repr` or log record carries a customer's name,
    customer number, ...". A case's path holds its complaint number, which holds the customer number."""
    served = serve(policy=presets.ritz_carlton())
    try:
        body = {"complaint": complaint(customer={"id": "cust-73519", "tier": "gold"})}
        number = served.post("/v1/cases", json=body).json()["complaint_number"]

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("the disk is on fire")

        served.journal.events = broken  # type: ignore[method-assign]
        client = TestClient(served.app, raise_server_exceptions=False)
        with caplog.at_level(logging.DEBUG, logger="recovery_rules"):
            failed = client.get(f"/v1/cases/{number}", headers=served.auth())
        assert failed.status_code == 500
        logged = [
            logging.Formatter().format(record) for record in caplog.records if record.name.startswith("recovery_rules")
        ]
        assert any("unexpected error" in text for text in logged)
        assert not [text for text in logged if "cust-73519" in text]
    finally:
        served.journal.close()


class _Serve:
    """``recovery-rules serve`` in a process of its own on a free port; its standard output and error read line by
    line as they come (``out`` keeps the standard output's)."""

    def __init__(self, tmp_path: Path, *options: str) -> None:
        self.token, digest = mint_token()
        (tmp_path / "tokens.toml").write_text(token_entry(digest, "e-1", "staff"), encoding="utf-8")
        self.policy = tmp_path / "policy.toml"
        self.policy.write_text(presets.path("ritz-carlton").read_text(encoding="utf-8"), encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "recovery_rules.cli",
            "serve",
            "--policy",
            str(self.policy),
            "--journal",
            f"sqlite:{tmp_path / 'cases.sqlite3'}",
            "--tokens",
            str(tmp_path / "tokens.toml"),
            "--port",
            "0",
            *options,
        ]
        environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
        environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.process = subprocess.Popen(
            command, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=environment
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.out: list[str] = []
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        self.readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.out), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stderr, None), daemon=True),
        ]
        for reader in self.readers:
            reader.start()
        self.deadline = time.monotonic() + 60
        running = self.wait_for("Uvicorn running on http://127.0.0.1:")
        self.url = "http://127.0.0.1:" + running.rsplit(":", 1)[1].split()[0]

    def _read(self, stream: IO[str], kept: list[str] | None) -> None:
        for line in iter(stream.readline, ""):
            if kept is not None:
                kept.append(line)
            self.lines.put(line)

    def wait_for(self, text: str) -> str:
        while True:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {text!r} in the server's output:\n{''.join(self.seen)}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(line)
            if text in line:
                return line

    def request(self, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        request = urllib.request.Request(self.url + path, data=data, headers=headers)  # noqa: S310 - loopback
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback, our server
            return json.loads(response.read())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for reader in self.readers:
            reader.join(timeout=30)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def running(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[_Serve]:
    server = _Serve(tmp_path, *getattr(request, "param", ()))
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
def test_the_access_log_of_a_real_server_does_not_carry_the_customer_number(running: _Serve) -> None:
    """guarantees-under-failure.md, 9: no log record carries a customer number; the how-to's "Logs" names
    uvicorn's access log as one of the service's logs, which ``serve`` writes to standard error."""
    body = {"complaint": complaint(customer={"id": "cust-73519", "tier": "gold"})}
    number = running.request("/v1/cases", body)["complaint_number"]
    running.request(f"/v1/cases/{number}")
    line = running.wait_for("GET /v1/cases/")
    assert "cust-73519" not in line


@pytest.mark.slow
@pytest.mark.parametrize("running", [("--decision-log", "-")], indirect=True)
def test_the_default_decision_log_on_standard_output_is_json_lines_only(running: _Serve) -> None:
    """serve.md: ``--decision-log`` defaults to ``-`` (standard output), "where the decision log's JSON lines go";
    the how-to: "one JSON line per decision". A program reading the service's standard output reads JSON lines."""
    answer = running.request("/v1/decisions", {"complaint": complaint()})
    assert answer["resolution"]["outcome"] == "approved"
    running.wait_for('"route": "decide"')
    with urllib.request.urlopen(running.url + "/healthz", timeout=10) as response:  # noqa: S310 - loopback
        assert response.status == 200
    running.stop()
    assert running.out
    for line in running.out:
        assert isinstance(json.loads(line), dict), line


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="SIGHUP is a POSIX signal")
@pytest.mark.parametrize("running", [("--workers", "2")], indirect=True)
def test_a_refused_reload_is_counted_with_several_workers_too(running: _Serve) -> None:
    """The docs list "policy reloads by result" among the metrics, and with --workers N "a scrape ... shows every
    worker's figures": a SIGHUP whose policy does not load is a reload refused, whoever refuses it."""
    for _ in range(2):
        running.wait_for("Application startup complete")
    running.policy.write_text("not = [a policy", encoding="utf-8")
    running.process.send_signal(signal.SIGHUP)
    running.wait_for("aborting the restart")
    with urllib.request.urlopen(running.url + "/metrics", timeout=10) as response:  # noqa: S310 - loopback
        text = response.read().decode("utf-8")
    assert 'recovery_rules_policy_reloads_total{result="refused"} 1.0' in text
