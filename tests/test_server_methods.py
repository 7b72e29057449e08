"""``HEAD`` wherever ``GET`` is answered, and ``OPTIONS`` on every route (RFC 9110, 9.3.2 and 9.3.7).

``HEAD`` is answered as ``GET`` is, with the same authentication, status and headers but no body; ``OPTIONS``
with a 204 and ``Allow``. CORS preflights, the 405s and the OpenAPI document stay as they were.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the decision service needs the server extra, which dev installs")

from fastapi.testclient import TestClient

from ._server import Served, complaint, serve


@pytest.fixture(scope="module")
def served() -> Served:
    """An app with two cases of the same customer: ``20261123-10442`` and ``20261123-10442/2``."""
    served = serve()
    for _ in range(2):
        assert served.post("/v1/cases", json={"complaint": complaint()}).status_code == 201
    return served


def _signed_in(served: Served) -> TestClient:
    """A browser of the console of its own, signed in as staff (it follows no redirect)."""
    client = TestClient(served.app, follow_redirects=False)
    assert client.post("/console/sign-in", data={"token": served.tokens["staff"]}).status_code == 303
    return client


_GET_ROUTES = [
    "/healthz",
    "/readyz",
    "/v1/openapi.json",
    "/v1/docs",
    "/v1/cases/20261123-10442",
    "/v1/cases/20261123-10442/2",
    "/v1/cases/20261123-404",  # a 404, answered alike
    "/v1/callbacks/overdue",
    "/v1/report",
    "/v1/report?since=2026-11-01T00:00:00",  # a 422, answered alike
    "/v1/policy",
    "/console/sign-in",
    "/console",
    "/console/",
    "/console/queue",
    "/console/policy",
    "/console/find?number=20261123-10442",
    "/console/cases/20261123-10442/2",
    "/console/console.css",
]


@pytest.mark.parametrize("path", _GET_ROUTES)
def test_head_is_answered_as_get_without_the_body(served: Served, path: str) -> None:
    client = _signed_in(served)
    headers = served.auth()
    got = client.get(path, headers=headers)
    head = client.head(path, headers=headers)
    assert head.status_code == got.status_code
    assert head.status_code != 405
    assert dict(head.headers) == dict(got.headers)  # Content-Length included: what GET would send
    assert int(head.headers["content-length"]) == len(got.content)
    assert head.content == b""


def test_head_needs_the_same_token_as_get(served: Served) -> None:
    path = "/v1/cases/20261123-10442"
    for headers in ({}, {"Authorization": "Bearer rr_not-a-token"}):
        got = served.client.get(path, headers=headers)
        head = served.client.head(path, headers=headers)
        assert (got.status_code, head.status_code) == (401, 401)
        assert head.headers["www-authenticate"] == got.headers["www-authenticate"]
    unsigned = TestClient(served.app, follow_redirects=False).head("/console/queue")
    assert (unsigned.status_code, unsigned.headers["location"]) == (303, "/console/sign-in")


def test_head_on_a_route_without_get_is_a_405_with_its_allow(served: Served) -> None:
    for path, allow in (("/v1/decisions", "POST, OPTIONS"), ("/v1/cases/20261123-10442/2/listen", "POST, OPTIONS")):
        head = served.client.head(path, headers=served.auth())
        assert head.status_code == 405
        assert head.headers["allow"] == allow
        assert head.headers["content-type"] == "application/problem+json"
    count = served.journal.head().count
    served.client.head("/v1/cases/20261123-10442/listen", headers=served.auth())
    assert served.journal.head().count == count  # no step taken


def _asgi(served: Served, method: str, path: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """What the app sends for one request, message by message, as a server receives them."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    asyncio.run(served.app(scope, receive, send))
    return sent


def test_head_sends_no_body_bytes_to_the_server(served: Served) -> None:
    """The server gets no body to send, whatever it does with a HEAD (TestClient drops one anyway)."""
    headers = {"Authorization": f"Bearer {served.tokens['staff']}", "host": "testserver"}
    got = _asgi(served, "GET", "/v1/cases/20261123-10442", headers)
    head = _asgi(served, "HEAD", "/v1/cases/20261123-10442", headers)
    assert head[0] == got[0]  # the same status and headers
    assert head[0]["status"] == 200
    assert b"".join(message.get("body", b"") for message in got[1:])
    assert [message.get("body", b"") for message in head[1:]] == [b""]
    assert b"".join(message.get("body", b"") for message in _asgi(served, "HEAD", "/nowhere", headers)[1:]) == b""


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/healthz", "GET, HEAD, OPTIONS"),
        ("/metrics", "GET, HEAD, OPTIONS"),
        ("/v1/openapi.json", "GET, HEAD, OPTIONS"),
        ("/v1/decisions", "POST, OPTIONS"),
        ("/v1/cases", "POST, OPTIONS"),
        ("/v1/cases/20261123-10442", "GET, HEAD, OPTIONS"),
        ("/v1/cases/20261123-10442/2", "GET, HEAD, OPTIONS"),
        ("/v1/cases/20261123-10442/2/listen", "POST, OPTIONS"),
        ("/v1/policy", "GET, HEAD, OPTIONS"),
        ("/v1/policy/check", "POST, OPTIONS"),
        ("/console/sign-in", "GET, HEAD, POST, OPTIONS"),  # two routes, one path: both methods
        ("/console/policy", "GET, HEAD, POST, OPTIONS"),
        ("/console/step/listen/20261123-10442/2", "POST, OPTIONS"),
    ],
)
def test_options_is_a_204_naming_the_methods_of_the_route(served: Served, path: str, allow: str) -> None:
    answer = served.client.options(path)  # no token needed: it says what the route takes, nothing of a case
    assert answer.status_code == 204
    assert answer.headers["allow"] == allow
    assert answer.content == b""


def test_options_where_no_route_is_the_usual_404(served: Served) -> None:
    assert served.client.options("/v1/complaints").json()["type"].endswith("#not-found")
    misspelt = served.client.options("/v1/cases/20261123-10442/2/frobnicate")
    assert misspelt.status_code == 404
    assert misspelt.json()["detail"].startswith("there is no step 'frobnicate' of a case: the steps are listen, ")


def test_the_405s_allow_every_method_the_path_takes_and_their_message_names_the_declared_ones(
    served: Served,
) -> None:
    """RFC 9110: a 405's ``Allow`` lists the methods the target takes: every route of the path (a console page
    and its form share one), with ``HEAD`` and ``OPTIONS``, which the server answers on every route."""
    for method, path, allow, declared in (
        ("DELETE", "/v1/decisions", "POST, OPTIONS", "POST"),
        ("PUT", "/v1/cases/20261123-10442", "GET, HEAD, OPTIONS", "GET"),
        ("GET", "/v1/cases/20261123-10442/2/listen", "POST, OPTIONS", "POST"),
        ("PATCH", "/healthz", "GET, HEAD, OPTIONS", "GET"),
        ("DELETE", "/console/sign-in", "GET, HEAD, POST, OPTIONS", "GET or POST"),
    ):
        answer = served.client.request(method, path, headers=served.auth())
        assert answer.status_code == 405
        assert answer.headers["allow"] == allow
        said = f"{path} does not take {method}: it takes {declared}"
        if path.startswith("/console/"):  # the console's answer is a page, never the API's JSON
            assert answer.headers["content-type"].startswith("text/html")
            assert f"<p>{said}.</p>" in answer.text
        else:
            assert answer.json()["detail"] == said
        assert served.client.options(path).headers["allow"] == allow  # the same list OPTIONS gives


def test_a_405_whose_method_the_path_takes_with_or_without_its_last_slash_says_so(served: Served) -> None:
    """The list of cases is ``GET /v1/cases/`` and opening one ``POST /v1/cases``: a slash one way or the other
    is the usual mistake, and the 405 names the path that takes the method."""
    opened = served.client.post("/v1/cases/", headers=served.auth(), json={})
    assert opened.status_code == 405
    assert opened.json()["detail"] == "/v1/cases/ does not take POST: it takes GET; did you mean POST /v1/cases?"
    listed = served.client.get("/v1/cases", headers=served.auth())
    assert listed.json()["detail"] == "/v1/cases does not take GET: it takes POST"
    deleted = served.client.delete("/v1/cases/", headers=served.auth())
    assert deleted.json()["detail"] == "/v1/cases/ does not take DELETE: it takes GET"  # no path takes DELETE


def test_a_cors_preflight_is_still_the_cors_middlewares() -> None:
    served = serve(allow_origins=("https://desk.example.com",))
    preflight = {
        "Origin": "https://desk.example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    allowed = served.client.options("/v1/cases", headers=preflight)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://desk.example.com"
    assert allowed.headers["access-control-allow-methods"] == "GET, POST"
    assert "allow" not in allowed.headers
    refused = served.client.options("/v1/cases", headers={**preflight, "Origin": "https://evil.example"})
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    plain = served.client.options("/v1/cases")  # no preflight: the route's methods
    assert (plain.status_code, plain.headers["allow"]) == (204, "POST, OPTIONS")
    head = served.client.head("/healthz", headers={"Origin": "https://desk.example.com"})
    assert (head.status_code, head.headers["access-control-allow-origin"]) == (200, "https://desk.example.com")


def test_the_openapi_document_has_no_head_or_options_operations(served: Served) -> None:
    document = served.client.get("/v1/openapi.json").json()
    methods = {method for operations in document["paths"].values() for method in operations}
    assert methods == {"get", "post"}


def test_the_metrics_count_head_and_options_by_their_method() -> None:
    served = serve()
    served.client.head("/v1/policy", headers=served.auth())
    served.client.options("/v1/policy")
    metrics = served.client.get("/metrics").text
    assert 'recovery_rules_http_requests_total{method="HEAD",route="/v1/policy",status="200"} 1.0' in metrics
    assert 'recovery_rules_http_requests_total{method="OPTIONS",route="/v1/policy",status="204"} 1.0' in metrics
    assert 'method="GET",route="/v1/policy"' not in metrics
    served.client.options("/v1/cases/20261123-10442/listen")
    metrics = served.client.get("/metrics").text
    assert '{method="OPTIONS",route="/v1/cases/{number:path}/listen",status="204"} 1.0' in metrics
    assert 'route="unmatched"' not in metrics  # the label of a path no route serves


def test_the_swagger_ui_files_answer_options_and_their_405s_allow_it() -> None:
    served = serve()
    path = "/v1/docs/static/swagger-ui.css"
    options = served.client.options(path)
    assert (options.status_code, options.headers["allow"]) == (204, "GET, HEAD, OPTIONS")
    refused = served.client.delete(path)
    assert (refused.status_code, refused.headers["allow"]) == (405, "GET, HEAD, OPTIONS")
    assert served.client.head(path).status_code == 200


def test_a_method_a_client_makes_up_is_counted_as_other() -> None:
    """A label per method name a client sends would grow the metrics, and every worker's memory, without bound:
    the standard methods are counted by name, any other as ``other``."""
    served = serve()
    for number in range(20):
        assert served.client.request(f"MADEUP{number}", "/v1/policy").status_code == 405
    metrics = served.client.get("/metrics").text
    assert "MADEUP" not in metrics
    assert 'recovery_rules_http_requests_total{method="other",route="/v1/policy",status="405"} 20.0' in metrics


def test_requests_to_addresses_no_route_has_are_counted_as_unmatched() -> None:
    """A label per path a client makes up (a scanner probing addresses) would grow the metrics without bound as
    well: a request no route matched is counted under the route ``unmatched``, never its path."""
    served = serve()
    for number in range(20):
        assert served.client.get(f"/wp-admin/probe-{number}.php").status_code == 404
    metrics = served.client.get("/metrics").text
    assert "probe-" not in metrics
    assert 'recovery_rules_http_requests_total{method="GET",route="unmatched",status="404"} 20.0' in metrics
