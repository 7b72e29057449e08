"""Two ASGI middlewares of the service against what a client may send it and what a cache or browser may keep.

:class:`BodyLimit` refuses a request body over a size before anything reads it (a token is checked only once the
body was read and parsed: without a limit, a client with no token could make a worker hold several times a body
of any size). :class:`SecurityHeaders` adds the headers an answer of personal data needs (``Cache-Control:
no-store``, ``X-Content-Type-Options: nosniff`` on ``/v1``), a Content-Security-Policy for the ``/v1/docs``
page, and ``Strict-Transport-Security`` on every answer to a request that came over https.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recovery_rules import InvalidInputError

from ._problems import problem_response
from ._settings import DEFAULT_MAX_BODY_BYTES

__all__ = [
    "CONSOLE",
    "DEFAULT_MAX_BODY_BYTES",
    "DRAINED_AT_MOST",
    "HSTS",
    "BodyLimit",
    "SecurityHeaders",
    "answer_headers",
    "check_body_limit",
    "docs_policy",
]

CONSOLE: Final = "/console"
"""The console's pages, whose forms bound each field themselves, after the session is checked; not limited
here (a policy pasted whole in a form, percent-encoded, takes up to three times its size)."""
HSTS: Final = "max-age=31536000"
"""``Strict-Transport-Security`` on an answer over https: a year of https only for this host."""

_DOCS: Final = "/v1/docs"
_INLINE_SCRIPT: Final = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


DRAINED_AT_MOST: Final = 64_000_000
"""How many bytes of a body over the limit are read and thrown away before the 413 is sent: most clients send
the whole body before they read an answer, and a server that closes the connection on a body not yet read makes
theirs fail with a connection reset, not the 413. Nothing is kept; a larger body is cut off unread."""


class BodyLimit:
    """Refuses a request body over ``limit`` bytes with a 413 ``body-too-large`` problem, without keeping it.

    A ``Content-Length`` over the limit is refused without the route running (so no token is checked and
    nothing is parsed); a body sent without one (chunked) is counted as the route reads it, and refused as soon
    as it passes the limit: the route is told the client left, and what it answers is dropped. Either way what
    is left of the body, up to ``drain`` bytes, is read and thrown away first, so that a client that sends its
    whole body before reading reads the 413 (see :data:`DRAINED_AT_MOST`); the 413 closes the connection.
    Paths under ``/console`` are left alone (see :data:`CONSOLE`).
    """

    def __init__(self, app: ASGIApp, *, limit: int = DEFAULT_MAX_BODY_BYTES, drain: int = DRAINED_AT_MOST) -> None:
        self.app = app
        self.limit = limit
        self.drain = drain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _under(scope["path"], CONSOLE):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await _drain(receive, self.drain)
            said = f"{declared:,} bytes" if declared < _LONGEST_LENGTH else "a number of more than 18 digits"
            await self._refuse(scope, send, f"its Content-Length is {said}")
            return
        received = 0
        started = False
        refused = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    refused = True
                    if not started:
                        if message.get("more_body", False):
                            await _drain(receive, self.drain)
                        await self._refuse(scope, send, f"more than {self.limit:,} bytes were sent")
                    return {"type": "http.disconnect"}  # the route stops reading: the client is gone, to it
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:  # answered already: whatever the route says about the body it could not read is dropped
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not refused:
                raise
            # The route failed to read the body this middleware cut short: the 413 has been answered.

    async def _refuse(self, scope: Scope, send: Send, why: str) -> None:
        response = problem_response(
            "body-too-large",
            f"the request body is too large: {why}, and this service reads at most {self.limit:,} bytes of a body "
            "(a complaint or a step is a few hundred bytes, a policy to check at most 5,000,000); send a smaller "
            "body",
            scope["path"],
            headers={"Connection": "close"},
        )
        await response(scope, _nothing, send)


async def _drain(receive: Receive, most: int) -> None:
    """Read what is left of the request's body, up to about ``most`` bytes, keeping none of it."""
    drained = 0
    while drained <= most:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        drained += len(message.get("body", b""))


async def _nothing() -> Message:
    return {"type": "http.disconnect"}


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


_LONGEST_LENGTH: Final = 10**18
"""A ``Content-Length`` of more digits than this one's 18 is read as this: over any limit, and never given to
``int()``, which refuses more than 4,300 digits."""


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            if not (text.isascii() and text.isdigit()):
                return None
            digits = text.lstrip("0") or "0"
            return int(digits) if len(digits) <= 18 else _LONGEST_LENGTH
    return None


def check_body_limit(limit: object) -> int:
    """``limit``, checked to be a whole number of bytes from 1 up; raises
    :class:`~recovery_rules.InvalidInputError` otherwise."""
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise InvalidInputError.at(
            "service settings",
            "max_body_bytes",
            f"must be a whole number of bytes from 1 up ({DEFAULT_MAX_BODY_BYTES:,} by default: a policy to check "
            f"is at most that), not {limit!r}"[:300],
        )
    return limit


class SecurityHeaders:
    """Adds the headers every answer of the API and its documentation page should carry.

    - Every answer: ``X-Content-Type-Options: nosniff`` (the root, ``/metrics`` and the health checks too).
    - ``/v1``: ``Cache-Control: no-store`` (answers hold names, descriptions and notes: no cache or browser
      keeps them; the Swagger UI's own files under ``/v1/docs/static`` excepted).
    - ``/v1/docs``: a Content-Security-Policy that lets the page load its scripts, styles and images from the
      service only (Swagger UI is served locally), run its one inline script (allowed by its SHA-256 hash,
      computed from the page itself), and fetch ``/v1/openapi.json``; no frames, no other site.
    - Every answer to a request that came over https (the scheme uvicorn reports, from ``X-Forwarded-Proto``
      when the proxy is trusted, as the console's ``Secure`` cookies decide it): ``Strict-Transport-Security``
      (:data:`HSTS`).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = answer_headers(scope)
        docs = scope["path"] == _DOCS
        if not added:
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = bytearray()
        head = docs and scope["method"] == "HEAD"
        if head:  # answered as GET, for the hash of the page's script, and sent without the body
            scope = {**scope, "method": "GET"}

        async def with_headers(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(added)
                if docs:  # the page is held until its body is known: its inline script's hash goes in the header
                    start = message
                    return
            elif start is not None and message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if message.get("more_body", False):
                    return
                MutableHeaders(scope=start)["Content-Security-Policy"] = docs_policy(bytes(body))
                await send(start)
                start = None
                message = {**message, "body": b"" if head else bytes(body)}
            await send(message)

        await self.app(scope, receive, with_headers)


def answer_headers(scope: Scope) -> dict[str, str]:
    """The headers :class:`SecurityHeaders` adds to the answer of the request ``scope`` (but the ``/v1/docs``
    page's Content-Security-Policy, which depends on the page): also set by the app's answer to an unexpected
    error, which Starlette sends from outside every middleware."""
    path: str = scope["path"]
    headers = {"X-Content-Type-Options": "nosniff"}  # every answer: a browser reads each as its type says
    if _under(path, "/v1") and not _under(path, _DOCS + "/static"):
        headers["Cache-Control"] = "no-store"
    if scope.get("scheme") == "https":
        headers["Strict-Transport-Security"] = HSTS
    return headers


def docs_policy(page: bytes) -> str:
    """The Content-Security-Policy of the ``/v1/docs`` page ``page``: its own files, and its inline scripts by
    their hashes."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode('ascii')}'"
        for script in _INLINE_SCRIPT.findall(page)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ).replace("  ", " ")
