"""The service against what a client may send it, and what caches and browsers may keep of its answers: a body
limit before anything reads a body (a token included), ``no-store`` and ``nosniff`` on the API, a
Content-Security-Policy for ``/v1/docs``, and HSTS over https (issue 15, the security audit)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the decision service needs the server extra, which dev installs")

from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from recovery_rules import InvalidInputError, MemoryJournal, presets
from recovery_rules.server import Settings, Tokens, create_app
from recovery_rules.server._guards import BodyLimit

from ._server import Running, Served, complaint, serve, serving

_JSON = {"Content-Type": "application/json"}


def _problem_of(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"].endswith("#" + kind)
    assert body["status"] == status
    return body


def test_a_body_over_the_limit_is_refused_before_the_token_is_checked() -> None:
    """A client without a token made a worker read and parse a body of any size before its 401: now a body
    whose Content-Length is over the limit is a 413, answered at once, and the connection is closed."""
    served = serve(max_body_bytes=1_000)
    body = b'{"complaint": "' + b"a" * 2_000 + b'"}'
    response = served.client.post("/v1/decisions", content=body, headers=_JSON)  # no token
    problem = _problem_of(response, 413, "body-too-large")
    assert "its Content-Length is 2,017 bytes" in problem["detail"]
    assert "reads at most 1,000 bytes" in problem["detail"]
    assert response.headers["connection"] == "close"
    assert served.client.post("/v1/decisions", json={"complaint": complaint()}).status_code == 401  # within


def test_a_body_sent_without_a_length_is_counted_and_refused_past_the_limit() -> None:
    served = serve(max_body_bytes=1_000)
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:  # chunked: no Content-Length
        for index in range(100):
            sent.append(index)
            yield b"a" * 300

    response = served.client.post("/v1/decisions", content=chunks(), headers=_JSON)
    problem = _problem_of(response, 413, "body-too-large")
    assert "more than 1,000 bytes were sent" in problem["detail"]


def test_the_limit_reads_no_more_than_it_must() -> None:
    """At the ASGI level: a Content-Length over the limit is answered without the route running; a chunked body
    is given to the route until it passes the limit, and not a chunk more, and what the route answers after is
    dropped. What is left of the body is read and thrown away first, up to the drain's bound, so that a client
    sending its whole body before reading reads the 413 rather than a connection reset."""
    calls: list[str] = []

    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append("route")
        status = 200
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":  # FastAPI answers a 400 then ("error parsing the body")
                status = 400
                break
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"ROUTE-ANSWER"})

    def exchange(headers: list[tuple[bytes, bytes]], chunks: int, drain: int = 10_000) -> tuple[int, list[Message]]:
        received = 0
        answered: list[Message] = []

        async def receive() -> Message:
            nonlocal received
            received += 1
            return {"type": "http.request", "body": b"x" * 400, "more_body": received < chunks}

        async def send(message: Message) -> None:
            answered.append(message)

        scope = {"type": "http", "method": "POST", "path": "/v1/decisions", "headers": headers}
        asyncio.run(BodyLimit(route, limit=1_000, drain=drain)(scope, receive, send))
        return received, answered

    received, answered = exchange([(b"content-length", b"4000")], 10)
    assert (received, calls) == (10, [])  # read to its end, and thrown away
    assert [message.get("status") for message in answered if message["type"] == "http.response.start"] == [413]
    received, answered = exchange([(b"content-length", b"40000")], 100, drain=2_000)
    assert (received, calls) == (6, [])  # past the drain's bound the body is cut off: 2,400 bytes read, no more
    assert [message.get("status") for message in answered if message["type"] == "http.response.start"] == [413]
    seen: list[int] = []
    original = route

    async def counting(scope: Scope, receive: Receive, send: Send) -> None:
        async def counted() -> Message:
            message = await receive()
            seen.append(len(message.get("body", b"")))
            return message

        await original(scope, counted, send)

    route = counting
    received, answered = exchange([], 10)
    route = original
    assert seen == [400, 400, 0]  # the route gets 800 bytes, then "the client left": never the chunk past 1,000
    assert received == 10  # the rest drained before the 413
    assert calls == ["route"]
    assert [message.get("status") for message in answered if message["type"] == "http.response.start"] == [413]
    assert b"ROUTE-ANSWER" not in b"".join(message.get("body", b"") for message in answered)
    calls.clear()
    received, answered = exchange([], 2)  # 800 bytes: within the limit, read whole
    assert (received, calls) == (2, ["route"])
    assert answered[0]["status"] == 200


@pytest.fixture(scope="module")
def unchanged() -> Iterator[Served]:
    """One app for the tests that record nothing (policies checked, bodies refused, pages and headers read); none
    reads the journal, the log or the metrics."""
    yield from serving()


def test_the_default_limit_takes_the_largest_policy_and_no_more(unchanged: Served) -> None:
    served = unchanged
    largest = b"#" * 5_000_000  # the most a policy is: read by the route (a policy of comments only)
    response = served.post("/v1/policy/check", content=largest, headers={"Content-Type": "application/toml"})
    assert response.status_code != 413
    assert response.json()["type"].endswith("#invalid-policy"), response.json()  # read as a policy, not refused
    over = served.client.post("/v1/decisions", content=b" " * 5_000_001, headers=_JSON)
    _problem_of(over, 413, "body-too-large")


def test_the_console_bounds_its_own_forms() -> None:
    """The console's forms are not limited by the API's body limit: a policy pasted whole in a form,
    percent-encoded, is larger than the policy; its fields are bounded after the session is checked."""
    served = serve(max_body_bytes=100)
    browser = TestClient(served.app, base_url="http://testserver")
    signed_in = browser.post("/console/sign-in", data={"token": served.tokens["staff"], "padding": "x" * 200})
    assert signed_in.status_code == 200
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', browser.get("/console/policy").text)
    assert csrf is not None
    text = presets.path("theme_park").read_text(encoding="utf-8")
    checked = browser.post("/console/policy", data={"csrf": csrf[1], "format": "toml", "policy": text})
    assert checked.status_code == 200
    for path in ("/consoles", "/console-admin/policy"):  # beginning with the console's name is not being under it
        _problem_of(browser.post(path, content=b" " * 101, headers=_JSON), 413, "body-too-large")


def test_the_body_limit_is_a_setting_of_the_app_and_of_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    for wrong in (0, -1, True, 1.5, "5000"):
        with pytest.raises(InvalidInputError, match="max_body_bytes: must be a whole number of bytes"):
            create_app(presets.ritz_carlton(), MemoryJournal(), Tokens({}), max_body_bytes=wrong)  # type: ignore[arg-type]
    settings = Settings(policy="ritz-carlton", journal="sqlite:x", tokens="t", max_body_bytes=20_000)
    environment = settings.to_environment()
    assert environment["RECOVERY_RULES_MAX_BODY_BYTES"] == "20000"
    assert Settings.from_environment(environment) == settings
    assert Settings.from_environment({**environment, "RECOVERY_RULES_MAX_BODY_BYTES": ""}).max_body_bytes == 5_000_000
    for bound in ("1", "1000000000"):  # the least and the most it may be set to
        assert Settings.from_environment({**environment, "RECOVERY_RULES_MAX_BODY_BYTES": bound}).max_body_bytes == int(
            bound
        )
    for wrong_text in ("0", "lots", "-5", "1000000001", "9" * 5000):
        with pytest.raises(InvalidInputError, match="RECOVERY_RULES_MAX_BODY_BYTES"):
            Settings.from_environment({**environment, "RECOVERY_RULES_MAX_BODY_BYTES": wrong_text})


def test_api_answers_are_not_kept_by_caches_nor_sniffed() -> None:
    """A case holds a customer's name and description: no cache or browser keeps an answer of the API."""
    served = serve()
    body = complaint()
    body["customer"]["name"] = "Alice Example"
    opened = served.post("/v1/cases", json={"complaint": body})
    assert opened.status_code == 201, opened.text
    number = opened.json()["complaint_number"]
    answers = [
        served.get(f"/v1/cases/{number}"),
        served.post("/v1/decisions", json={"complaint": complaint()}),
        served.client.get(f"/v1/cases/{number}"),  # a 401
        served.get("/v1/cases/20261123-404"),  # a 404
        served.client.get("/v1/openapi.json"),
        served.client.get("/v1/docs"),
    ]
    assert "Alice Example" in answers[0].text
    for response in answers:
        assert response.headers["cache-control"] == "no-store", response.url
        assert response.headers["x-content-type-options"] == "nosniff", response.url
    static = served.client.get("/v1/docs/static/swagger-ui.css")
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("cache-control", "")  # Swagger UI's own files may be cached
    assert static.headers["x-content-type-options"] == "nosniff"


def test_the_docs_page_has_a_content_security_policy_allowing_its_own_script_only(unchanged: Served) -> None:
    served = unchanged
    page = served.client.get("/v1/docs")
    policy = page.headers["content-security-policy"]
    scripts = re.findall(r"<script>(.*?)</script>", page.text, flags=re.DOTALL)
    assert len(scripts) == 1  # Swagger UI's setup; the bundle itself is a file of the service
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode("utf-8")).digest()).decode("ascii")
    assert f"script-src 'self' 'sha256-{digest}';" in policy
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "http" not in policy  # no other site: Swagger UI is served from /v1/docs/static
    head = served.client.head("/v1/docs")
    assert head.headers["content-security-policy"] == policy
    assert head.content == b""


def test_hsts_is_sent_over_https_only(unchanged: Served) -> None:
    """Over https (the scheme the server reports: uvicorn reads X-Forwarded-Proto from a trusted proxy, as the
    console's Secure cookies are decided), every answer says to use https only; over plain http, none does."""
    served = unchanged
    secure = TestClient(served.app, base_url="https://testserver")
    browser = TestClient(served.app, base_url="https://testserver")
    browser.post("/console/sign-in", data={"token": served.tokens["staff"]})
    auth = {"Authorization": f"Bearer {served.tokens['staff']}"}
    for response in (
        browser.get("/console"),
        secure.get("/v1/policy", headers=auth),
        secure.get("/healthz"),
        secure.post("/v1/decisions", content=b" " * 5_000_001, headers=_JSON),  # a 413 too
    ):
        assert response.headers["strict-transport-security"] == "max-age=31536000", response.url
    for response in (served.client.get("/healthz"), served.get("/v1/policy"), served.client.get("/console/sign-in")):
        assert "strict-transport-security" not in response.headers


def test_a_client_sending_a_body_over_the_limit_whole_reads_the_413() -> None:
    """On a real socket: a client that sends its whole body before reading the answer (urllib, most clients) gets
    the 413 problem, not a connection reset (the rest of the body is read and thrown away before the answer)."""
    app = create_app(presets.ritz_carlton(), MemoryJournal(), Tokens.from_entries([]), max_body_bytes=1_000)
    with Running(app) as url:
        request = urllib.request.Request(  # noqa: S310 - a loopback URL the test made
            url + "/v1/policy/check", data=b"a" * 8_000_000, headers={"Content-Type": "application/toml"}, method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)  # noqa: S310 - a loopback URL the test made
    assert refused.value.code == 413
    assert refused.value.headers["content-type"] == "application/problem+json"
    assert b"body-too-large" in refused.value.read()


def test_an_unexpected_error_is_answered_with_the_same_headers() -> None:
    """Starlette answers an unexpected error from outside every middleware: the API's 500 and the console's error
    page carry the headers all other answers carry all the same (no cache keeps it, https only)."""
    served = serve()

    def broken(now: Any) -> list[Any]:
        raise RuntimeError("the disk is on fire")

    served.journal.overdue_callbacks = broken  # type: ignore[method-assign]
    token = {"Authorization": f"Bearer {served.tokens['manager']}"}
    for base in ("http://testserver", "https://testserver"):
        client = TestClient(served.app, base_url=base, raise_server_exceptions=False)
        failed = client.get("/v1/callbacks/overdue", headers=token)
        assert failed.status_code == 500
        assert failed.json()["detail"] == "the service failed to answer; it was logged"
        assert failed.headers["cache-control"] == "no-store"
        assert failed.headers["x-content-type-options"] == "nosniff"
        assert client.post("/console/sign-in", data={"token": served.tokens["manager"]}).status_code == 200
        page = client.get("/console/queue")
        assert page.status_code == 500
        assert "no-store" in page.headers["cache-control"]
        for response in (failed, page):
            if base.startswith("https"):
                assert response.headers["strict-transport-security"] == "max-age=31536000", response.url
            else:
                assert "strict-transport-security" not in response.headers, response.url
    counted = served.client.get("/metrics").text  # counted as answered, by the route's template
    assert 'recovery_rules_http_requests_total{method="GET",route="/v1/callbacks/overdue",status="500"} 2.0' in counted
