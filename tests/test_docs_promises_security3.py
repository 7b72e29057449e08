"""The security promises of the decision service and its console, a third pass, as an attacker would try them:
forms posted from another origin, the console's cookies and headers on every page, what an unauthenticated
client reads of the service, and what the logs keep of what a browser sends.

Pages: docs/how-to/the-front-desk-console.md ("What keeps it safe"), docs/how-to/run-the-decision-service.md
("Behind a proxy", "Watch it"), docs/reference/http-api.md and docs/explanation/guarantees-under-failure.md
section 9 (no log record carries a customer number).
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

pytest.importorskip("fastapi", reason="the decision service needs the server extra, which dev installs")

from fastapi.testclient import TestClient

from recovery_rules import presets
from recovery_rules.server import Tokens, mint_token, token_entry

from ._server import Served, serve, serving

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the 303 itself is the answer


class _Serve:
    """``recovery-rules serve`` in a process of its own on a free port, its standard error read line by line."""

    def __init__(self, tmp_path: Path) -> None:
        _token, digest = mint_token()
        (tmp_path / "tokens.toml").write_text(token_entry(digest, "e-1", "staff"), encoding="utf-8")
        policy = tmp_path / "policy.toml"
        policy.write_text(presets.path("ritz-carlton").read_text(encoding="utf-8"), encoding="utf-8")
        command = [
            *(sys.executable, "-m", "recovery_rules.cli", "serve", "--policy", str(policy)),
            *("--journal", f"sqlite:{tmp_path / 'cases.sqlite3'}", "--tokens", str(tmp_path / "tokens.toml")),
            *("--port", "0"),
        ]
        environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
        environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=environment
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert self.process.stderr is not None
        self.reader = threading.Thread(target=self._read, args=(self.process.stderr,), daemon=True)
        self.reader.start()
        self.deadline = time.monotonic() + 60
        running = self.wait_for("Uvicorn running on http://127.0.0.1:")
        self.url = "http://127.0.0.1:" + running.rsplit(":", 1)[1].split()[0]

    def _read(self, stream: IO[str]) -> None:
        for line in iter(stream.readline, ""):
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

    def get(self, path: str) -> int:
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(self.url + path, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:  # the 303 to the sign-in page, not followed
            error.close()
            return int(error.code)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=30)
        if self.process.stderr is not None:
            self.process.stderr.close()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[_Serve]:
    server = _Serve(tmp_path)
    try:
        yield server
    finally:
        server.stop()


# -- the access log ----------------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("typed", ["cust-73519", "2026-11-23-cust-73519", "20261123%20cust-73519"])
def test_a_customer_number_typed_in_the_consoles_find_field_is_not_in_the_access_log(
    running: _Serve, typed: str
) -> None:
    """guarantees-under-failure.md, 9: "No error message, repr or log record carries a customer's ... customer
    number"; the how-to's "Logs" names uvicorn's access log. The Find form is a GET: what the employee typed is the
    query string, which the access log writes, whether the browser is signed in or not (here: not, a 303)."""
    assert running.get(f"/console/find?number={typed}") == 303
    line = running.wait_for("GET /console/find")
    assert "cust-73519" not in line


# -- the policy page's fields ------------------------------------------------------------------------------------
def _signed_in(served: Served, level: str = "staff") -> tuple[TestClient, str]:
    """A browser of its own, signed in at ``level``, and its form token."""
    client = TestClient(served.app, follow_redirects=False, raise_server_exceptions=False)
    assert client.post("/console/sign-in", data={"token": served.tokens[level]}).status_code == 303
    found = _CSRF.search(client.get("/console").text)
    assert found is not None
    return client, found.group(1)


@pytest.fixture(scope="module")
def shared() -> Iterator[Served]:
    yield from serving()


@pytest.mark.parametrize("field", ["format", "level", "amount", "unlisted"])
def test_the_policy_pages_fields_but_the_policy_are_read_up_to_64_kb_each(shared: Served, field: str) -> None:
    """the-front-desk-console.md, "Work off the request loop": "every other form up to 64 KB a field as sent,
    URL-encoded (the pasted policy: 5,000,000 bytes of UTF-8 text, however the browser encodes it) and 40 fields".
    The policy is the one field read up to 5,000,000 bytes; another field of the same form is a field of 64 KB."""
    client, csrf = _signed_in(shared)
    policy = presets.path("ritz-carlton").read_text(encoding="utf-8")
    fields = {"csrf": csrf, "action": "check", "format": "toml", "policy": policy, field: "A" * 100_000}
    response = client.post("/console/policy", data=fields)
    assert response.status_code >= 400
    assert "Field exceeded maximum size of 64KB" in response.text


# -- the token check -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("presented", ["\ud800", "rr_\udcff" + "A" * 40, 1042, b"rr_token"])
def test_a_presented_token_that_is_no_token_text_names_no_employee(presented: object) -> None:
    """``Tokens.employee``: "The employee whose token this is, or ``None``". A host app hands it what a client
    sent (a JSON string may hold a lone surrogate, ``"\\ud800"``); no token of the file is one of these."""
    token, digest = mint_token()
    tokens = Tokens.from_entries([{"sha256": digest, "employee": "e-1042", "level": "staff"}])
    assert tokens.employee(token) is not None
    assert tokens.employee(presented) is None  # type: ignore[arg-type]  # what a client sent, unchecked


# -- every console answer: no script, no frame, no cache ------------------------------------------------------
_PAGE_HEADERS = {
    "x-frame-options": "DENY",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
}


def _assert_a_console_page(response: Any, status: int) -> None:
    assert response.status_code == status, response.text
    for name, value in _PAGE_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers)
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "script-src" not in policy  # nothing allows a script: default-src 'none' holds for scripts


def test_every_refused_or_failed_console_answer_allows_no_script_no_frame_and_no_cache() -> None:
    """the-front-desk-console.md: "Every console page is sent with Cache-Control: no-store"; "the pages send a
    Content-Security-Policy that allows no script at all, and cannot be framed by another site"; "Every address
    under /console answers with a page ... a 404 page, a method a page does not take a 405 page, a failure a 500
    page". The refusals a browser meets too: another media type (415), a sign-in larger than one (413), a form token
    out of date (403), a form from another site (403)."""
    served = serve()
    try:
        client, csrf = _signed_in(served, "manager")
        _assert_a_console_page(client.get("/console/no-such-page"), 404)
        _assert_a_console_page(client.put("/console/queue"), 405)
        _assert_a_console_page(
            client.post("/console/cases", content=b"{}", headers={"content-type": "text/plain"}), 415
        )
        _assert_a_console_page(client.post("/console/sign-in", data={"token": "A" * 30_000}), 413)
        _assert_a_console_page(client.post("/console/cases", data={"csrf": "0" * 64}), 403)
        foreign = client.post("/console/cases", data={"csrf": csrf}, headers={"Origin": "https://evil.example"})
        _assert_a_console_page(foreign, 403)

        def broken(now: dt.datetime) -> list[Any]:
            raise RuntimeError("the disk is on fire")

        served.journal.overdue_callbacks = broken  # type: ignore[method-assign]
        _assert_a_console_page(client.get("/console/queue"), 500)
    finally:
        served.journal.close()


@pytest.mark.parametrize(
    "origin", ["http://desk.testserver", "http://testserver.evil.example", "http://testserver:8443"]
)
@pytest.mark.parametrize("form", ["/console/sign-in", "/console/cases", "/console/policy", "/console/sign-out"])
def test_a_form_from_a_same_site_subdomain_or_another_port_is_refused(shared: Served, form: str, origin: str) -> None:
    """ "a form posted from another site (its Origin header names another host) is refused too": the session
    cookie is SameSite=Strict, which a browser sends with a form posted from a subdomain of the same site or from
    another port of the same host; the Origin check is what refuses those."""
    client, csrf = _signed_in(shared)
    data = {"csrf": csrf, "token": shared.tokens["staff"], "customer_id": "c-security3-subdomain", "amount": "40"}
    response = client.post(form, data=data, headers={"Origin": origin})
    assert response.status_code == 403
    assert "This form came from another site." in response.text
    assert "set-cookie" not in response.headers


def test_a_form_through_a_proxy_on_another_port_is_accepted_when_the_host_is_passed_on_with_its_port(
    shared: Served,
) -> None:
    """Behind a proxy, "pass the Host header on": a browser's Origin names the port the proxy listens on when it is
    not the scheme's default (``https://desk.example.com:8443``), so the Host passed on must keep it (nginx's
    ``$http_host``; its ``$host`` drops the port, and every form would be refused as from another site)."""
    client, csrf = _signed_in(shared)
    data = {"csrf": csrf, "action": "check", "format": "toml", "policy": "name = 1"}
    origin = {"Origin": "https://desk.example.com:8443"}
    assert (
        client.post("/console/policy", data=data, headers={**origin, "Host": "desk.example.com:8443"}).status_code
        == 422
    )
    port_dropped = client.post("/console/policy", data=data, headers={**origin, "Host": "desk.example.com"})
    assert port_dropped.status_code == 403


@pytest.mark.parametrize("path", ["/", "/metrics", "/healthz", "/readyz", "/v1/openapi.json"])
def test_every_answer_tells_the_browser_not_to_sniff_its_type(path: str) -> None:
    served = serve()
    try:
        answer = TestClient(served.app).get(path)
        assert answer.headers.get("x-content-type-options") == "nosniff", (path, answer.status_code)
    finally:
        served.journal.close()
