"""The policy reloads between requests: a valid one replaces the old one whole, an invalid one is refused
and logged while the old one keeps serving; once with a real SIGHUP to a real uvicorn process on loopback (whose
workers, old and new, all accept one console session)."""

from __future__ import annotations

import http.client
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from recovery_rules import Complaint, presets
from recovery_rules.server import mint_token, token_entry
from recovery_rules.server._console import COOKIE

from ._server import complaint, serve

RAISED = ('limit = "2000.00"', 'limit = "2500.00"')
"""The staff member's limit in the Ritz-Carlton preset, and a higher one."""


def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.toml"
    text = presets.path("ritz-carlton").read_text(encoding="utf-8")
    assert RAISED[0] in text
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_new_policy_replaces_the_old_one(tmp_path: Path) -> None:
    path = policy_file(tmp_path)
    served = serve(policy_source=str(path))
    service = served.app.state.service
    old = service.policy.revision
    assert served.post("/v1/decisions", json={"complaint": complaint("2400.00")}).json()["resolution"]["outcome"] == (
        "escalated"
    )
    path.write_text(path.read_text(encoding="utf-8").replace(*RAISED, 1), encoding="utf-8")
    assert service.policy_changed()
    result = service.reload()
    assert result.result == "loaded"
    assert result.revision != old
    answer = served.post("/v1/decisions", json={"complaint": complaint("2400.00")}).json()
    assert answer["resolution"]["outcome"] == "approved"
    assert answer["policy_revision"] == result.revision
    assert served.client.get("/readyz").json()["revision"] == result.revision
    metrics = served.client.get("/metrics").text
    assert 'recovery_rules_policy_reloads_total{result="loaded"} 1.0' in metrics
    assert f'recovery_rules_policy_info{{revision="{old}"}}' not in metrics
    assert not service.policy_changed()


def test_an_invalid_policy_is_refused_logged_and_the_old_one_keeps_serving(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = policy_file(tmp_path)
    served = serve(policy_source=str(path))
    service = served.app.state.service
    old = service.policy.revision
    path.write_text(path.read_text(encoding="utf-8").replace('currency = "USD"', 'currency = "usd"'), encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="recovery_rules.server"):
        result = service.reload()
    assert result.result == "refused"
    assert result.revision == old
    assert any("currency" in problem for problem in result.problems)
    assert "policy reload refused" in caplog.text
    assert "currency" in caplog.text
    assert served.get("/v1/policy").json()["revision"] == old
    assert served.post("/v1/decisions", json={"complaint": complaint()}).status_code == 200
    path.unlink()
    assert service.reload().result == "refused"  # a file gone is refused the same way
    assert served.get("/v1/policy").json()["revision"] == old


def test_a_request_decides_with_one_policy_throughout(tmp_path: Path) -> None:
    """The policy is read once per request: a reload in the middle of one changes nothing for it."""
    path = policy_file(tmp_path)
    served = serve(policy_source=str(path))
    service = served.app.state.service
    before = service.policy
    path.write_text(path.read_text(encoding="utf-8").replace(*RAISED, 1), encoding="utf-8")
    service.reload()
    assert before.revision != service.policy.revision
    assert before.decide(Complaint.model_validate(complaint("2400.00")), by="staff").outcome.value == "escalated"


def test_an_unchanged_file_reloads_as_unchanged(tmp_path: Path) -> None:
    path = policy_file(tmp_path)
    service = serve(policy_source=str(path)).app.state.service
    assert service.reload().result == "unchanged"


def _lines(stream: object, into: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]  # a text pipe
        into.put(line)


def _wait_for(lines: queue.Queue[str], text: str, seen: list[str], deadline: float) -> str:
    """The first line of the server's log holding ``text``, read as the lines come (no sleeping)."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {text!r} in the server's log:\n{''.join(seen)}")
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            continue
        seen.append(line)
        if text in line:
            return line


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="SIGHUP is a POSIX signal")
@pytest.mark.parametrize("workers", [1, 2])
def test_sighup_reloads_a_real_server(tmp_path: Path, workers: int) -> None:
    """One worker reloads in its process; with two, uvicorn starts new workers and retires the old ones only
    once the new ones are ready, so a policy that does not load leaves the old workers serving.

    Whichever worker answers a scrape, ``/metrics`` counts every worker's requests (the retired ones' too)
    and shows the policy each live worker serves; the folder the workers write them to goes with the server.
    """
    path = policy_file(tmp_path)
    token, digest = mint_token()
    tokens = tmp_path / "tokens.toml"
    tokens.write_text(token_entry(digest, "e-1", "staff"), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "recovery_rules.cli",
        "serve",
        "--policy",
        str(path),
        "--journal",
        f"sqlite:{tmp_path / 'cases.sqlite3'}",
        "--tokens",
        str(tokens),
        "--port",
        "0",
        "--decision-log",
        "",
        "--workers",
        str(workers),
    ]
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(scratch)}
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=environment)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_lines, args=(server.stderr, lines), daemon=True)
    reader.start()
    seen: list[str] = []
    deadline = time.monotonic() + 60
    try:
        running = _wait_for(lines, "Uvicorn running on http://127.0.0.1:", seen, deadline)
        port = int(running.rsplit(":", 1)[1].split()[0])
        if workers > 1:  # the supervisor listens first, then its workers start
            for _ in range(workers):
                _wait_for(lines, "Application startup complete", seen, deadline)

        def revision() -> str:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/v1/policy", headers={"Authorization": f"Bearer {token}"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback, our server
                answer: str = json.loads(response.read())["revision"]
                return answer

        def metrics() -> tuple[float, dict[str, str]]:
            """The requests for the policy counted, and the revision served by each live worker's pid."""
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
                text = response.read().decode("utf-8")
            families = {family.name: family for family in text_string_to_metric_families(text)}
            asked = [
                sample.value
                for sample in families["recovery_rules_http_requests"].samples
                if sample.name.endswith("_total") and sample.labels["route"] == "/v1/policy"
            ]
            served = {
                sample.labels.get("pid", "this process"): sample.labels["revision"]
                for sample in families["recovery_rules_policy_info"].samples
                if sample.value == 1
            }
            return sum(asked), served

        def console(*, sign_in: str | None = None, cookie: str = "") -> tuple[int, str]:
            """The console's answer: signing in (the session cookie set), or its front page with ``cookie``."""
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                if sign_in is not None:
                    form = urllib.parse.urlencode({"token": sign_in})
                    kind = {"Content-Type": "application/x-www-form-urlencoded"}
                    connection.request("POST", "/console/sign-in", form, kind)
                else:
                    connection.request("GET", "/console", headers={"Cookie": f"{COOKIE}={cookie}"})
                response = connection.getresponse()
                response.read()
                set_cookie = response.getheader("set-cookie") or ""
                return response.status, set_cookie.split(";")[0].removeprefix(f"{COOKIE}=")
            finally:
                connection.close()

        status, session = console(sign_in=token)
        assert status == 303
        assert token not in session
        assert {console(cookie=session)[0] for _ in range(6)} == {200}  # every worker knows the session
        old = revision()
        assert old == presets.ritz_carlton().revision
        for _ in range(9):
            assert revision() == old
        scrapes = [metrics() for _ in range(4)]  # each answered by one worker or the other
        assert {asked for asked, _ in scrapes} == {10}
        first_workers = scrapes[0][1]
        assert len(first_workers) == workers
        assert all(served == first_workers for _, served in scrapes)
        assert set(first_workers.values()) == {old}
        folders = list(scratch.glob("recovery-rules-metrics-*"))
        assert len(folders) == (1 if workers > 1 else 0)
        path.write_text(path.read_text(encoding="utf-8").replace(*RAISED, 1), encoding="utf-8")
        server.send_signal(signal.SIGHUP)
        if workers == 1:
            _wait_for(lines, "policy reloaded", seen, deadline)
        else:
            for _ in range(workers):  # each old worker is retired once its replacement is ready, and says so
                _wait_for(lines, "Finished server process", seen, deadline)
        new = revision()
        assert new != old
        assert {console(cookie=session)[0] for _ in range(4)} == {200}  # the new workers know it too
        asked, now_serving = metrics()
        assert asked == 11  # the retired workers' requests still count
        assert set(now_serving.values()) == {new}
        assert len(now_serving) == workers
        if workers > 1:  # new workers, and the retired ones no longer shown
            assert not set(now_serving) & set(first_workers)
        path.write_text("not = [a policy", encoding="utf-8")
        server.send_signal(signal.SIGHUP)
        _wait_for(lines, "policy reload refused", seen, deadline)
        if workers > 1:
            _wait_for(lines, "aborting the restart", seen, deadline)
        assert revision() == new
        assert server.poll() is None
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        reader.join(timeout=30)
        if server.stderr is not None:
            server.stderr.close()
    assert not list(scratch.glob("recovery-rules-metrics-*"))  # removed when the server stopped


def test_a_reload_reads_the_token_file_again(tmp_path: Path) -> None:
    path = policy_file(tmp_path)
    kept, kept_hash = mint_token()
    gone, gone_hash = mint_token()
    tokens = tmp_path / "tokens.toml"
    tokens.write_text(token_entry(kept_hash, "e-1", "staff") + "\n" + token_entry(gone_hash, "e-2", "staff"))
    served = serve(policy_source=str(path), tokens_source=str(tokens))
    service = served.app.state.service
    service.reload()
    bearer = {"Authorization": f"Bearer {gone}"}
    assert served.client.get("/v1/policy", headers=bearer).status_code == 200
    tokens.write_text(token_entry(kept_hash, "e-1", "staff"))
    service.reload()
    assert served.client.get("/v1/policy", headers=bearer).status_code == 401
    assert served.client.get("/v1/policy", headers={"Authorization": f"Bearer {kept}"}).status_code == 200
    tokens.write_text("tokens = 1")
    service.reload()  # a token file that does not read keeps the tokens read before
    assert served.client.get("/v1/policy", headers={"Authorization": f"Bearer {kept}"}).status_code == 200


def test_watching_the_file_reloads_when_it_changes_and_only_then(tmp_path: Path) -> None:
    path = policy_file(tmp_path)
    service = serve(policy_source=str(path), watch_policy=True).app.state.service
    assert service.reload_if_changed() is None
    path.write_text(path.read_text(encoding="utf-8").replace(*RAISED, 1), encoding="utf-8")
    result = service.reload_if_changed()
    assert result is not None
    assert result.result == "loaded"
    assert service.reload_if_changed() is None
    path.write_text("broken = [", encoding="utf-8")
    refused = service.reload_if_changed()
    assert refused is not None
    assert refused.result == "refused"
    assert service.reload_if_changed() is None  # a refused file is not read again until it changes again
    assert service.policy.revision == result.revision
