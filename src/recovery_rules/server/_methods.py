"""``HEAD`` and ``OPTIONS`` on every route, as RFC 9110 asks of a general-purpose server.

FastAPI's routes take the methods they are declared with only, so ``HEAD /v1/cases/{number}`` and ``OPTIONS``
on any route were 405s. This middleware, the innermost of the app's own (inside the metrics and CORS):

- answers ``HEAD`` as ``GET`` (RFC 9110, 9.3.2): the request goes through the routes as a ``GET``, with the same
  authentication, and the answer has the same status and headers (``Content-Length`` included) but no body. A
  route that takes no ``GET`` is a 405 whose ``Allow`` names the methods it takes, as for any other method.
- answers ``OPTIONS`` (RFC 9110, 9.3.7) with a 204 whose ``Allow`` lists the methods the route takes: those it is
  declared with, ``HEAD`` where it takes ``GET``, and ``OPTIONS`` (static files: ``GET, HEAD, OPTIONS``). A path no
  route serves is the usual 404. A CORS preflight never gets here when origins are allowed: the CORS middleware,
  outside, answers it. The metrics count it by the route's template.

The OpenAPI document is not changed: ``HEAD`` and ``OPTIONS`` are the server's, not operations of the API.
"""

from __future__ import annotations

from typing import Final

from starlette.routing import BaseRoute, Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["PROBED", "Methods", "allow", "declared_methods"]

PROBED: Final = ("GET", "POST", "PUT", "PATCH", "DELETE")
"""The methods a route may be declared with, in the order ``Allow`` lists them (``HEAD`` after ``GET``)."""


class Methods:
    """The ASGI middleware that answers ``HEAD`` and ``OPTIONS`` on every route (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
        elif scope["method"] == "HEAD":
            await self._head(scope, receive, send)
        else:
            await self._options(scope, receive, send)

    async def _head(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The scope itself is changed, not a copy: the metrics, outside, read the route the router puts in it.
        # They read the method too, once the answer starts: it is HEAD again by then.
        scope["method"] = "GET"

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.start":
                scope["method"] = "HEAD"
            elif message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        try:
            await self.app(scope, receive, headers_only)
        finally:
            scope["method"] = "HEAD"

    async def _options(self, scope: Scope, receive: Receive, send: Send) -> None:
        allowed, route = _matched(scope)
        if not allowed:  # no route here: a 404
            await self.app(scope, receive, send)
            return
        scope["route"] = route  # for the metrics, outside: counted by the route's template, as the router would
        await send({"type": "http.response.start", "status": 204, "headers": [(b"allow", allow(allowed).encode())]})
        await send({"type": "http.response.body", "body": b""})


def allow(declared: list[str]) -> str:
    """The ``Allow`` header of a route declared with ``declared`` methods: those, ``HEAD`` after ``GET``, and
    ``OPTIONS``, which this middleware answers on every route."""
    methods = [*declared[:1], "HEAD", *declared[1:]] if declared[:1] == ["GET"] else declared
    return ", ".join([*methods, "OPTIONS"])


def declared_methods(scope: Scope) -> list[str]:
    """The methods the app's routes are declared with at the scope's path (see :func:`_matched`)."""
    return _matched(scope)[0]


def _matched(scope: Scope) -> tuple[list[str], BaseRoute | None]:
    """The methods (of :data:`PROBED`) the app's routes take at the scope's path, and the first route that
    matched; a mount of static files takes ``GET`` (and so ``HEAD``).

    Each method is matched as the router matches a request, on a scope of its own: nothing is run.
    """
    routes = scope["app"].router.routes
    allowed: list[str] = []
    first: BaseRoute | None = None
    for method in PROBED:
        probe = {key: scope[key] for key in ("type", "path", "root_path", "headers", "query_string") if key in scope}
        probe["method"] = method
        for route in routes:
            match, _ = route.matches(probe)
            if match is Match.FULL:
                if isinstance(route, Mount):  # the Swagger UI's files: read only
                    return (["GET"] if isinstance(route.app, StaticFiles) else []), route
                allowed.append(method)
                first = first or _leaf(route, probe)
                break
    return allowed, first


def _leaf(route: BaseRoute, probe: Scope) -> BaseRoute:
    """The route itself, or the route of an included router (FastAPI 0.16x) that ``probe`` matches in it: the one
    the router would put in the scope, whose template the metrics count requests by."""
    included = getattr(route, "original_router", None)
    if included is None or getattr(getattr(route, "include_context", None), "prefix", None) != "":
        return route
    for inner in getattr(included, "routes", ()):
        if isinstance(inner, BaseRoute) and inner.matches(probe)[0] is Match.FULL:
            return inner
    return route
