"""The JSON bodies of the API's routes, read with each key of an object once.

JSON leaves an object that names a key twice (``{"reason": "a", "reason": "b"}``) to the reader: Python's
``json`` keeps the last value, other parsers the first or refuse it. A proxy, a web application firewall or a
log that reads the body one way while the service acts on it the other is a parser differential, so a body
with a key twice is refused as one that is not valid JSON (a 400 ``malformed-request``), before anything else
reads it: :class:`OneValuePerKeyRoute` is the route class of the ``/v1`` router.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any, Final

from fastapi import Request, Response
from fastapi.routing import APIRoute

__all__ = ["DuplicateKeyError", "OneValuePerKeyRoute", "read_body"]

_SHOWN: Final = 64
"""The most characters of a key a message shows."""


class DuplicateKeyError(ValueError):
    """An object of a JSON body names ``key`` twice."""

    def __init__(self, key: str) -> None:
        self.key = key
        shown = key if len(key) <= _SHOWN else key[:_SHOWN] + "..."
        self.shown = json.dumps(shown)
        super().__init__(f"names the key {self.shown} twice in one object")


def _one_value_per_key(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise DuplicateKeyError(key)
        found[key] = value
    return found


class _OneValuePerKeyRequest(Request):
    """A request whose JSON body is read as Starlette reads it, refusing a key named twice in one object."""

    async def json(self) -> Any:
        body = await self.body()
        self.state.body = body  # for the exception handlers, which are given the request as the server made it
        return json.loads(body, object_pairs_hook=_one_value_per_key)


def read_body(request: Request) -> bytes | None:
    """The body a route of the ``/v1`` router read as JSON, or ``None`` when it read none."""
    body = getattr(request.state, "body", None)
    return body if isinstance(body, bytes) else None


class OneValuePerKeyRoute(APIRoute):
    """A route whose JSON body is refused when an object of it names a key twice (:class:`DuplicateKeyError`,
    raised from the parsing, as FastAPI's 400 for a body it could not parse)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def read_once_per_key(request: Request) -> Response:
            return await handler(_OneValuePerKeyRequest(request.scope, request.receive))

        return read_once_per_key
