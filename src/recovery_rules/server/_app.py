"""The app factory: the FastAPI app of a policy, a journal and a token file, with its error handlers,
its metrics, its reload on SIGHUP, and the operational routes (``/healthz``, ``/readyz``, ``/metrics``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import signal
import sys
import time
import typing
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import IO, Any, Final

from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.models import Schema
from fastapi_offline import FastAPIOffline
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic.json_schema import GenerateJsonSchema
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recovery_rules import (
    AuthorityError,
    IdempotencyConflictError,
    InvalidInputError,
    Journal,
    JournalError,
    JournalIntegrityError,
    Policy,
    PolicyError,
    Problem,
    RecoveryModel,
    StaleCaseError,
    WorkflowError,
    __version__,
)

from ._auth import Tokens
from ._body import DuplicateKeyError, read_body
from ._extra import without_extra
from ._guards import DEFAULT_MAX_BODY_BYTES, BodyLimit, SecurityHeaders, answer_headers, check_body_limit
from ._methods import PROBED, Methods, _matched, allow, declared_methods
from ._observe import DecisionLog, Metrics
from ._problems import (
    ApiProblem,
    FieldProblem,
    ProblemDetails,
    field_problem,
    for_http,
    problem_response,
    summary,
)
from ._service import LOG, MIN_SESSION_KEY, SESSION_LIFETIME, Clock, Service
from ._settings import (
    MAX_SESSION_HOURS,
    SESSION_KEY,
    Settings,
    load_ledger_key,
    load_policy,
    load_session_key,
    open_journal,
)

__all__ = ["app_from_environment", "create_app", "openapi_document"]

WATCH_EVERY: Final = 1.0
"""How often, in seconds, a watched policy file is looked at."""
DOCS_FILES: Final = "/v1/docs/static"
"""Where the service serves the Swagger UI files its ``/v1/docs`` page loads (shipped with fastapi-offline)."""


def create_app(
    policy: Policy,
    journal: Journal,
    tokens: Tokens,
    *,
    clock: Clock | None = None,
    policy_source: str | None = None,
    tokens_source: str | None = None,
    decision_log: IO[str] | None = None,
    watch_policy: bool = False,
    reload_on_sighup: bool = True,
    allow_origins: tuple[str, ...] = (),
    logger: logging.Logger | None = None,
    session_key: bytes | None = None,
    session_lifetime: dt.timedelta = SESSION_LIFETIME,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """The decision service: ``policy`` decides, ``journal`` records the cases, ``tokens`` say who may act.

    ``clock`` gives the time of each decision and step (the system clock by default; tests pass a fixed
    one): a timezone-aware ``datetime`` (a subclass, such as pendulum's, is read as the datetime it holds). A time
    it gives that is naive, or not a datetime, is the service's fault: the request is answered 500 ``internal``
    and logged, and nothing is recorded. ``policy_source`` (a file or a preset's name) is where a reload reads
    the policy again: on SIGHUP (with ``reload_on_sighup``, while the app runs under a server) and, with
    ``watch_policy``, when the file changes; ``tokens_source``, the token file, is read again at each reload.
    ``decision_log`` receives one JSON line per decision (none when ``None``). ``allow_origins`` are the web
    origins whose pages may call the API from a browser (CORS: the bearer token, ``Content-Type`` and
    ``Idempotency-Key`` headers; no cookies). Every route that answers ``GET`` answers ``HEAD`` too, and every
    route ``OPTIONS`` (a 204 with ``Allow``), as RFC 9110 asks; a CORS preflight is the CORS rules' to answer.

    ``session_key`` (at least 32 bytes) signs the console's sessions, and ``session_lifetime`` is how long one
    lasts (12 hours by default, at most 30 days). Every worker serving one console needs the same key
    (``recovery-rules serve`` makes one per run, or reads ``--session-key-file``); without one, this app makes
    its own, so its sessions end when it stops and no other process accepts them.

    ``max_body_bytes`` is the largest request body the service reads (5,000,000 by default: a policy to check
    is at most that, a complaint a few hundred bytes); a larger one is refused with a 413 ``body-too-large``
    problem before anything reads it, a token included (the console's forms, under ``/console``, bound their
    own fields). Every ``/v1`` answer carries ``Cache-Control: no-store`` and ``X-Content-Type-Options:
    nosniff``, the ``/v1/docs`` page a Content-Security-Policy, and every answer to a request that came over
    https ``Strict-Transport-Security``.

    Raises :class:`~recovery_rules.InvalidInputError` for a shorter key, a lifetime out of range or a body
    limit that is not a whole number of bytes from 1 up.
    """
    max_body_bytes = check_body_limit(max_body_bytes)
    if session_key is not None and (not isinstance(session_key, bytes) or len(session_key) < MIN_SESSION_KEY):
        raise InvalidInputError.at(
            "service settings",
            "session_key",
            f"must be at least {MIN_SESSION_KEY} random bytes (secrets.token_bytes({MIN_SESSION_KEY}))",
        )
    if not isinstance(session_lifetime, dt.timedelta) or not (
        dt.timedelta(minutes=1) <= session_lifetime <= dt.timedelta(hours=MAX_SESSION_HOURS)
    ):
        raise InvalidInputError.at(
            "service settings",
            "session_lifetime",
            f"must be a timedelta from 1 minute to {MAX_SESSION_HOURS // 24} days (12 hours by default)",
        )
    try:
        from ._api import router  # noqa: PLC0415 - the routes import this module's siblings only when an app is made
        from ._console import router as console_router  # noqa: PLC0415 - as the API's routes
    except ModuleNotFoundError as error:  # the console's Jinja2 not installed: say which extra to install
        raise without_extra(error) from None

    service = Service(
        policy,
        journal,
        tokens,
        clock=clock,
        policy_source=policy_source,
        tokens_source=tokens_source,
        decision_log=DecisionLog(decision_log),
        logger=logger,
        session_key=session_key,
        session_lifetime=session_lifetime,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        hooked = False
        if reload_on_sighup and hasattr(signal, "SIGHUP"):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
                loop.add_signal_handler(signal.SIGHUP, service.reload)
                hooked = True
        watcher = asyncio.create_task(_watch(service)) if watch_policy else None
        try:
            yield
        finally:
            if watcher is not None:
                watcher.cancel()
            if hooked:
                loop.remove_signal_handler(signal.SIGHUP)

    # FastAPIOffline is FastAPI whose /v1/docs page loads Swagger UI from files shipped in its package, not from a
    # public CDN: the page works on a network without internet access, as the rest of the service does.
    app = FastAPIOffline(
        title="recovery-rules decision service",
        version=__version__,
        summary="What an employee may grant for a complaint, whom to escalate to, and what to offer instead.",
        description=(
            "Decide complaints against the served policy, and walk each case along its path, every step "
            "recorded in the journal. Authenticate with a bearer token; its employee and level act. Errors "
            'are RFC 9457 problem details (`application/problem+json`). Amounts are strings (`"150.00 USD"` or '
            '`{"amount": "150.00", "currency": "USD"}`); a JSON number is refused. Outside the operations listed '
            "here, the server answers on its own: a path it does not have is a 404 `not-found` problem (OpenAPI "
            "has no place to list what a path that does not exist answers); a method a path does not take is a 405 "
            "`method-not-allowed` problem whose `Allow` header names those it does (listed on each operation of "
            "the path); `HEAD` (where there is a `GET`) and `OPTIONS` are answered on every path and are not "
            "listed as operations."
        ),
        lifespan=lifespan,
        openapi_url="/v1/openapi.json",
        docs_url="/v1/docs",
        redoc_url=None,
        static_url=DOCS_FILES,
        # A path with a slash too many is a path the service does not have: a 404 problem (a console page's: a
        # 404 page), never a bare redirect that neither the document nor the console describes.
        redirect_slashes=False,
    )
    # FastAPI serves Swagger UI's OAuth2 redirect page at its own default, /docs/oauth2-redirect, outside /v1/docs:
    # the service's tokens are bearer tokens, with no OAuth2 flow to redirect, so the page is not served at all.
    app.router.routes[:] = [
        route for route in app.router.routes if getattr(route, "path", None) != app.swagger_ui_oauth2_redirect_url
    ]
    app.state.service = service
    _handle_errors(app)
    _console_pages(app)
    app.add_middleware(Methods)  # HEAD and OPTIONS on every route; the first added is the innermost
    app.add_middleware(BodyLimit, limit=max_body_bytes)  # counted by the metrics, answered with CORS headers
    if allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(allow_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
            expose_headers=["Location", "WWW-Authenticate", "Retry-After", "Allow"],
            allow_credentials=False,
        )
    _measure(app, service)  # outside CORS: a preflight it answers is a request counted too
    app.add_middleware(SecurityHeaders)  # the outermost: every answer, a CORS preflight's and a 413 included
    app.include_router(router)
    app.include_router(console_router)  # the front-desk console's HTML pages, under /console
    _operations(app, service)
    _problems_in_openapi(app)
    return app


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the service (the same for every policy): what ``/v1/openapi.json`` serves."""
    from recovery_rules import MemoryJournal, presets  # noqa: PLC0415 - only to build an app to describe

    with MemoryJournal() as journal:
        return create_app(presets.ritz_carlton(), journal, Tokens({}), reload_on_sighup=False).openapi()


def _problems_in_openapi(app: FastAPI) -> None:
    """Describe every error response of the API as ``application/problem+json`` with the ProblemDetails schema,
    and, on every operation of every path, the 405 the server answers to a method the path does not take.

    OpenAPI lists responses per operation only (there is no place for what a path answers to a method it has no
    operation for), so the 405 of a path is listed on each of its operations, with its ``Allow`` header: a client
    generated from the document has a type for it. A path the service does not have has no place at all in the
    document; its 404 is said in the document's description and in the reference."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        problem = {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(_problem_schemas())  # the routes name no model for their problems: see _api._PROBLEM
        document["components"]["schemas"] = {name: schemas[name] for name in sorted(schemas)}
        for path, operations in document.get("paths", {}).items():
            for operation in operations.values():  # BodyLimit refuses a body too large on every route, first
                operation.setdefault("responses", {})["413"] = {
                    **_BODY_TOO_LARGE,
                    "content": {"application/problem+json": problem},
                }
            if path.startswith("/v1/"):
                for operation in operations.values():
                    for status, response in operation.get("responses", {}).items():
                        if status.isdigit() and int(status) >= 400:
                            response["content"] = {"application/problem+json": problem}
                        if status in _HEADERS:
                            response["headers"] = {**response.get("headers", {}), **_HEADERS[status]}
            allowed = allow([method for method in PROBED if method.lower() in operations])
            for operation in operations.values():
                operation.setdefault("responses", {})["405"] = _method_not_allowed(allowed, problem)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the document


def _problem_schemas() -> dict[str, Any]:
    """The JSON schemas of :class:`ProblemDetails` and of the :class:`FieldProblem` it holds, by name, as FastAPI
    lists a response model's in the document's components: generated as it does, then read by its ``Schema`` (which
    gives the keys their order in the document)."""
    generator = GenerateJsonSchema(ref_template="#/components/schemas/{model}")
    _, definitions = generator.generate_definitions(
        [(ProblemDetails, "serialization", ProblemDetails.__pydantic_core_schema__)]
    )
    return {
        name: jsonable_encoder(Schema(**definition), by_alias=True, exclude_none=True)
        for name, definition in definitions.items()
    }


_BODY_TOO_LARGE: Final = {
    "description": (
        "The body is larger than the service reads (`--max-body-bytes`, 5,000,000 bytes by default: a policy "
        "to check is at most that): a `body-too-large` problem, answered before anything is parsed or checked, the "
        "token included (the rest of the body is read and thrown away first, so that the client reads this "
        "answer); the connection is closed."
    )
}


_HEADERS: Final = {
    "201": {
        "Location": {
            "description": "The new case's address: `/v1/cases/{number}`.",
            "required": True,
            "schema": {"type": "string"},
            "example": "/v1/cases/20261123-10442",
        }
    },
    "401": {
        "WWW-Authenticate": {
            "description": 'The bearer challenge (RFC 6750), with `error="invalid_token"` for a token the service '
            "does not know.",
            "required": True,
            "schema": {"type": "string"},
            "example": 'Bearer realm="recovery-rules"',
        }
    },
    "503": {
        "Retry-After": {
            "description": "Seconds to wait before retrying (with the same Idempotency-Key).",
            "required": True,
            "schema": {"type": "string"},
            "example": "1",
        }
    },
}
"""The headers the service sends with these statuses on every ``/v1`` operation that lists them."""


def _method_not_allowed(allowed: str, problem: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI response of a 405 on a path whose ``Allow`` header is ``allowed``."""
    return {
        "description": (
            "The path does not take the request's method (nor `HEAD` where it takes no `GET`): a "
            "`method-not-allowed` problem, with no body for a `HEAD`. `Allow` names the methods the path takes."
        ),
        "headers": {
            "Allow": {
                "description": "The methods the path takes, with `HEAD` where it takes `GET`, and `OPTIONS`.",
                "required": True,
                "schema": {"type": "string"},
                "example": allowed,
            }
        },
        "content": {"application/problem+json": problem},
    }


def app_from_environment() -> FastAPI:
    """The app of the settings in the environment (``RECOVERY_RULES_*``): the factory each uvicorn worker runs."""
    settings = Settings.from_environment()
    log: IO[str] | None
    if not settings.decision_log:
        log = None
    elif settings.decision_log == "-":
        log = sys.stdout
    else:
        log = open(settings.decision_log, "a", encoding="utf-8")  # noqa: SIM115 - open for the app's lifetime
    try:
        policy = load_policy(settings.policy)
    except PolicyError as error:
        # A new worker (uvicorn replaces every worker on SIGHUP) of a policy that does not load: it does not
        # start, so uvicorn keeps the old workers, which keep serving the old policy.
        logging.getLogger(LOG).error("policy reload refused; this worker does not start: %s", error)
        refused = Metrics()
        if refused.folder is not None:  # several workers: counted with theirs (a dead worker's counts stay)
            refused.reloads.labels(result="refused").inc()
        raise SystemExit(3) from None
    ledger_key = load_ledger_key(settings.ledger_key_file) if settings.ledger_key_file else None
    session_key = load_session_key(settings.session_key_file) if settings.session_key_file else _handed_key()
    return create_app(
        policy,
        open_journal(settings.journal, ledger_key=ledger_key),
        Tokens.from_file(settings.tokens),
        policy_source=settings.policy,
        tokens_source=settings.tokens,
        decision_log=log,
        watch_policy=settings.watch_policy,
        allow_origins=settings.allow_origins,
        session_key=session_key,
        session_lifetime=dt.timedelta(hours=settings.session_hours),
        max_body_bytes=settings.max_body_bytes,
    )


def _handed_key() -> bytes | None:
    """The session key ``recovery-rules serve`` made for this run, if it handed one over (else this app makes
    its own). One that does not read is refused: each worker would make its own, and sessions would work on
    some workers only."""
    text = os.environ.get(SESSION_KEY, "")
    if not text:
        return None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < MIN_SESSION_KEY:
        raise InvalidInputError.at(
            "service settings",
            SESSION_KEY,
            f"must be a session key as hexadecimal text, {MIN_SESSION_KEY * 2} digits or more (recovery-rules "
            "serve sets it; unset it, or give a session_key_file)",
        )
    return key


async def _watch(service: Service) -> None:
    """Reload the policy whenever its file changes, until cancelled."""
    while True:
        await asyncio.sleep(WATCH_EVERY)
        service.reload_if_changed()


def _measure(app: FastAPI, service: Service) -> None:
    app.add_middleware(Measured, metrics=service.metrics)


COUNTED_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})
"""The methods the request metrics count by name; any other a client sends is counted as ``other``: a label per
method a client makes up would grow the metrics (and every worker's memory) without bound."""


class Measured:
    """Counts every request by its route's template, method and status, and times it to its answer's last byte.

    A plain ASGI middleware, not ``@app.middleware("http")``: Starlette's ``BaseHTTPMiddleware`` keeps a route
    from seeing its client leave (``Request.is_disconnected`` waits for ever behind it), which the console's
    proof relies on. A request whose route raised is counted with the status 500 it is answered with.
    """

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        asked = {**scope}  # the request as it came: a mount changes the scope's root_path

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            route = scope.get("route")
            if getattr(route, "path", None) is None and status != 404:  # a plain route, a mount, a middleware (413)
                route = _matched(asked)[1]
            template = getattr(route, "path", "unmatched")
            method = scope["method"] if scope["method"] in COUNTED_METHODS else "other"
            metrics = self.metrics
            metrics.requests.labels(route=template, method=method, status=str(status)).inc()
            metrics.latency.labels(route=template).observe(time.perf_counter() - started)


def _operations(app: FastAPI, service: Service) -> None:
    @app.get("/healthz", tags=["operations"], summary="Liveness: the process answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Readiness: the policy is loaded and the journal answers",
        responses={503: {"description": "The journal does not answer.", "model": dict[str, str]}},
    )
    def readyz(response: Response) -> dict[str, str]:
        policy = service.policy
        try:
            service.journal.head()
        except JournalError:
            response.status_code = 503
            return {"status": "journal unavailable", "revision": policy.revision}
        return {"status": "ready", "revision": policy.revision}

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics of the service (every worker's)",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "The metrics in text format."}},
    )
    def metrics() -> Response:
        return Response(service.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def _body_model(request: Request) -> type[RecoveryModel] | None:
    """The request model of the route that refused the body, if it is one of the service's own."""
    route = request.scope.get("route")
    field = getattr(route, "body_field", None)
    annotation = getattr(getattr(field, "field_info", None), "annotation", None)
    for model in (annotation, *typing.get_args(annotation)):  # a step's body is ``Model | None``
        if isinstance(model, type) and issubclass(model, RecoveryModel):
            return model
    return None


def _not_json(request: Request) -> Response:
    """The 415 of a body sent without a JSON ``Content-Type``: the route reads JSON only."""
    sent = request.headers.get("content-type", "").split(";")[0].strip()
    named = f"this request's Content-Type is {sent[:100]}" if sent else "this request has no Content-Type"
    return problem_response(
        "unsupported-media-type",
        f"send the body as JSON with the header Content-Type: application/json ({named})",
        request.url.path,
        [FieldProblem(pointer="", field="Content-Type", detail="must be application/json")],
    )


class _LongNumber:
    """A whole number in a body longer than Python reads (``sys.get_int_max_str_digits()``): its digits."""

    def __init__(self, text: str) -> None:
        self.digits = len(text.lstrip("-"))


def _long_number(text: str) -> int | _LongNumber:
    try:
        return int(text)
    except ValueError:
        return _LongNumber(text)


def _long_numbers(body: bytes) -> list[FieldProblem]:
    """Each whole number in ``body`` (JSON) that is too long to read, at its place; none if it cannot be read."""
    try:
        document = json.loads(body, parse_int=_long_number)
    except (RecursionError, ValueError):  # nested too deep as well, or not JSON after all
        return []
    limit = sys.get_int_max_str_digits()
    found: list[FieldProblem] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(document, ())]
    while stack:  # not recursive: the document may be nested nearly as deep as the parser goes
        value, place = stack.pop()
        if isinstance(value, _LongNumber):
            location = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in place).lstrip(".")
            detail = (
                f"is a whole number of {value.digits:,} digits; the service reads numbers of at most {limit:,} digits"
            )
            found.append(field_problem(location, detail))
        elif isinstance(value, dict):
            stack.extend((item, (*place, key)) for key, item in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((item, (*place, index)) for index, item in reversed(list(enumerate(value))))
    return found


async def _unreadable(request: Request, cause: Exception) -> Response:
    """The problem of a body FastAPI could not parse though it is no syntax error: what is wrong with it."""
    path = request.url.path
    whole = FieldProblem(pointer="", field="", detail="cannot be read as JSON")
    if isinstance(cause, RecursionError):
        return problem_response(
            "malformed-request",
            "the body nests arrays and objects inside one another too deeply to be read; no request of this API "
            "nests them more than a few levels deep",
            path,
            [whole.model_copy(update={"detail": "is nested too deeply"})],
        )
    if isinstance(cause, UnicodeDecodeError):
        return problem_response(
            "malformed-request",
            "the body is not UTF-8 text; send JSON encoded as UTF-8",
            path,
            [whole.model_copy(update={"detail": "is not UTF-8 text"})],
        )
    if isinstance(cause, DuplicateKeyError):  # a parser differential: a proxy or a log may read the other value
        return problem_response(
            "malformed-request",
            f"the body is not valid JSON for this service: it {cause}, which JSON readers take differently (the "
            "first value, the last, or neither); send each key of an object once",
            path,
            [whole.model_copy(update={"detail": str(cause)})],
        )
    if isinstance(cause, ValueError) and "integer string conversion" in str(cause):
        body = read_body(request)  # read already, and kept: the route read it to parse it
        if body is None:
            try:
                body = await request.body()
            except RuntimeError:  # the stream was read another way: the places of the numbers are not named
                body = b""
        problems = _long_numbers(body) or [
            whole.model_copy(update={"detail": "holds a whole number too long to be read"})
        ]
        return problem_response("invalid-input", summary(problems), path, problems)
    return problem_response("malformed-request", "the body cannot be read as JSON", path, [whole])


def _allowing(request: Request, headers: dict[str, str]) -> dict[str, str]:
    """A 405's headers, its ``Allow`` naming every method the path takes: those of every route it matches, not
    only the first (a console page and its form share a path), with ``HEAD`` and ``OPTIONS``, which the server
    answers on every route (RFC 9110: ``Allow`` lists the methods the target resource supports)."""
    declared = declared_methods(request.scope)
    given = next((value for name, value in headers.items() if name.lower() == "allow"), "")
    if not declared:  # a mount answered (the Swagger UI's static files: GET, HEAD): OPTIONS is answered there too
        declared = [method.strip() for method in given.split(",") if method.strip() not in ("", "HEAD", "OPTIONS")]
    if not declared:
        return headers
    return {**{name: value for name, value in headers.items() if name.lower() != "allow"}, "Allow": allow(declared)}


def _not_this_method(request: Request, headers: dict[str, str]) -> str:
    """A 405's detail: the route exists, and the methods it takes (its ``Allow`` header)."""
    given = next((value for name, value in headers.items() if name.lower() == "allow"), "")
    allowed = [method.strip() for method in given.split(",") if method.strip() not in ("", "HEAD", "OPTIONS")]
    path = request.url.path
    said = f"{path} does not take {request.method}" + (f": it takes {' or '.join(allowed)}" if allowed else "")
    # Only a slash too many is suggested away: a path with one added (GET /v1/cases/) leaves a case's number empty,
    # which matches the route's template but is no resource (a 422).
    other = path.removesuffix("/") if path.endswith("/") else ""
    if other and _takes(request, other):  # POST /v1/cases/ for POST /v1/cases: the slash is the mistake
        said += f"; did you mean {request.method} {other}?"
    return said


def _takes(request: Request, path: str) -> bool:
    """Whether a route of the app takes ``request``'s method at ``path``."""
    scope = {**request.scope, "path": path, "raw_path": path.encode("latin-1")}
    return any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes)


_CONFLICT: Final = (
    "this Idempotency-Key was already used for a different request; use a new key for a new request, "
    "and the same key only to repeat the same request",
    "was used for another request",
)
_CONFLICT_ERASED: Final = (  # the journal can no longer tell a repeat from another request: said so, not "different"
    "this Idempotency-Key was already used for a customer whose personal data was erased: a repeat of "
    "a request made before the erasure can no longer be told from a different request; use a new key",
    "was used before the customer's personal data was erased",
)


def _where(request: Request) -> str:
    """The request as a log line names it: its method and its route's template, never the path (a case's path
    holds its complaint number, and so the customer number, which no log line carries)."""
    return f"{request.method} {getattr(request.scope.get('route'), 'path', 'a path no route serves')}"


def _handle_errors(app: FastAPI) -> None:
    from ._api import no_such_step  # noqa: PLC0415 - as the routes: imported only when an app is made

    @app.exception_handler(ApiProblem)
    async def api_problem(request: Request, error: ApiProblem) -> Response:
        return problem_response(
            error.kind, error.detail, request.url.path, error.errors, headers=error.headers, extra=error.extra
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        raw = error.errors()
        if isinstance(error.body, bytes | bytearray) and any(item.get("loc", ("",))[0] == "body" for item in raw):
            # A body of another media type than JSON (curl -d sends application/x-www-form-urlencoded): not
            # read, so it is no question of its fields (the route reads a body as JSON only when it says so).
            return _not_json(request)
        if any(item.get("type") == "json_invalid" for item in raw):
            return problem_response(
                "malformed-request",
                "the body is not valid JSON; send a JSON object with Content-Type: application/json",
                request.url.path,
                [FieldProblem(pointer="", field="", detail="is not valid JSON")],
            )
        problems: list[FieldProblem] = []
        body_errors = [item for item in raw if item.get("loc", ("",))[0] == "body"]
        model = _body_model(request)
        if body_errors and model is not None:
            try:  # a required body left out (or null) is answered as {} is: each required field named
                # The examples of an amount's problems in the policy's currency (the library's validation context).
                context = {"currency": request.app.state.service.policy.currency}
                model.model_validate({} if error.body is None else error.body, context=context)
            except InvalidInputError as invalid:
                problems.extend(field_problem(problem.location, problem.message) for problem in invalid.problems)
        if not problems:
            for item in raw:
                where = [str(part) for part in item.get("loc", ())]
                if where and where[0] == "body":
                    location = ".".join(where[1:])
                    problems.append(field_problem(location, _pydantic_message(item)))
                else:  # a query parameter or a header: no place in the body, named by ``field``
                    name = where[-1] if where else ""
                    problems.append(FieldProblem(pointer="", field=name, detail=_pydantic_message(item, name)))
        problems = [_by_refused(problem) for problem in problems]
        return problem_response("invalid-input", summary(problems), request.url.path, problems)

    @app.exception_handler(AuthorityError)
    async def authority(request: Request, error: AuthorityError) -> Response:
        extra: dict[str, Any] = {"allowed_steps": list(error.allowed), "needed_level": error.needed}
        return problem_response("forbidden", str(error), request.url.path, extra=extra)

    @app.exception_handler(StaleCaseError)
    async def stale(request: Request, error: StaleCaseError) -> Response:
        return problem_response("stale-case", str(error), request.url.path)

    @app.exception_handler(WorkflowError)
    async def workflow(request: Request, error: WorkflowError) -> Response:
        extra = {"state": str(error.state), "allowed_steps": list(error.allowed)}
        return problem_response("step-not-allowed", str(error), request.url.path, extra=extra)

    @app.exception_handler(IdempotencyConflictError)
    async def conflict(request: Request, error: IdempotencyConflictError) -> Response:
        detail, said = _CONFLICT_ERASED if error.erased else _CONFLICT
        return problem_response(
            "idempotency-conflict",
            detail,
            request.url.path,
            [FieldProblem(pointer="", field="Idempotency-Key", detail=said)],
        )

    @app.exception_handler(PolicyError)
    async def policy_error(request: Request, error: PolicyError) -> Response:
        problems = [_policy_problem(problem) for problem in error.problems]
        return problem_response(
            "invalid-policy", summary(problems, "the policy does not load"), request.url.path, problems
        )

    @app.exception_handler(InvalidInputError)
    async def invalid_input(request: Request, error: InvalidInputError) -> Response:
        problems = [field_problem(problem.location, problem.message) for problem in error.problems]
        return problem_response("invalid-input", summary(problems, f"invalid {error.what}"), request.url.path, problems)

    @app.exception_handler(JournalIntegrityError)
    async def integrity(request: Request, error: JournalIntegrityError) -> Response:
        return problem_response("journal-integrity", str(error), request.url.path)

    @app.exception_handler(JournalError)
    async def journal(request: Request, error: JournalError) -> Response:
        return problem_response("journal-unavailable", str(error), request.url.path, headers={"Retry-After": "1"})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 400 and isinstance(error.__cause__, Exception):
            # FastAPI read the body and could not parse it, for another reason than a syntax error (a 400
            # it words "There was an error parsing the body"): say which.
            return await _unreadable(request, error.__cause__)
        kinds = {404: "not-found", 405: "method-not-allowed", 415: "unsupported-media-type", 401: "unauthenticated"}
        kind = kinds.get(error.status_code, "invalid-input" if error.status_code < 500 else "internal")
        detail = error.detail if isinstance(error.detail, str) else "the request cannot be answered"
        headers = dict(error.headers or {})
        if error.status_code == 404:
            detail = no_such_step(request.url.path) or (
                f"there is no {request.method} {request.url.path}; the API is under /v1 (see /v1/openapi.json)"
            )
        elif error.status_code == 405:
            headers = _allowing(request, headers)
            detail = _not_this_method(request, headers)
        return problem_response(kind, detail, request.url.path, headers=headers)

    @app.exception_handler(Exception)
    async def internal(request: Request, error: Exception) -> Response:
        logging.getLogger("recovery_rules.server").exception("unexpected error answering %s", _where(request))
        return problem_response(
            "internal",
            "the service failed to answer; it was logged",
            request.url.path,
            headers=answer_headers(request.scope),  # sent from outside SecurityHeaders: its headers set here
        )


def _console_pages(app: FastAPI) -> None:
    """Every error handler of ``app`` answers a console path (under ``/console``) with an HTML page, not the
    API's ``application/problem+json``: a browser shows the page (a 404, a 405, a failure), never raw JSON."""
    from ._console import is_console, problem_page  # noqa: PLC0415 - as the routes: imported only when an app is made

    def in_pages(
        handler: Callable[[Request, Any], Response | Awaitable[Response]],
    ) -> Callable[[Request, Exception], Awaitable[Response]]:
        async def answer(request: Request, error: Exception) -> Response:
            response = handler(request, error)
            if not isinstance(response, Response):
                response = await response
            return problem_page(request, response) if is_console(request.url.path) else response

        return answer

    for kind, handler in list(app.exception_handlers.items()):
        app.exception_handlers[kind] = in_pages(handler)


def _policy_problem(problem: Problem) -> FieldProblem:
    """A problem of a policy sent to be checked, at its place in the body: a field of the policy
    (``/levels/1/limit``), or, for a syntax error (located by its line and column, not by a field), the body as a
    whole (pointer ``''``) with the line and column in ``detail``, as every syntax error is (JSON, TOML, YAML)."""
    if problem.line is None or problem.location != f"line {problem.line}, column {problem.column}":
        return field_problem(problem.location, problem.message)
    place = f"line {problem.line}, column {problem.column}"
    detail = problem.message if place in problem.message else f"{problem.message} (at {place})"
    return FieldProblem(pointer="", field="", detail=for_http(detail))


def _by_refused(problem: FieldProblem) -> FieldProblem:
    """A ``by`` in the body is refused in words that say why: the level acting is the bearer token's."""
    if problem.field != "by":
        return problem
    return problem.model_copy(
        update={"detail": "is not accepted: the level acting is the bearer token's, never the body's; leave by out"}
    )


_PYDANTIC_WORDS: Final = {
    "missing": "is required",
    "extra_forbidden": "is not a field here; check the spelling",
    "string_type": "must be a string",
    "int_parsing": "must be an integer",
    "int_type": "must be an integer",
    "bool_type": "must be true or false",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "list_type": "must be a JSON array",
    "datetime_parsing": 'must be a date and time with its UTC offset, such as "2026-11-23T09:30:00-05:00"',
    "datetime_type": 'must be a date and time with its UTC offset, such as "2026-11-23T09:30:00-05:00"',
    "datetime_from_date_parsing": 'must be a date and time with its UTC offset, such as "2026-11-23T09:30:00-05:00"',
    "timezone_aware": 'must have a time zone: write it with its UTC offset, such as "2026-11-23T09:30:00-05:00"',
}


_PARAMETER_EXAMPLES: Final = {
    "Idempotency-Key": 'a key of yours naming this request, such as a UUID ("0b7e3c5e-8f1d-4c1a-9e0a-2f6d1c9b7a41")',
}
"""What a header or query parameter holds, for the words of a problem with it."""


def _length(value: object) -> str:
    return f"{len(value):,} " if isinstance(value, str | list | tuple | dict) else ""


def _pydantic_message(item: Any, name: str = "") -> str:
    """pydantic's error ``item`` in words for an HTTP client: what is wrong, and what to send instead.

    A length names the limit and what was sent (``is 201 characters long; the most is 200``); a
    header or query parameter ``name`` of :data:`_PARAMETER_EXAMPLES` says what it holds. Any other kind of
    error keeps pydantic's message."""
    kind = str(item.get("type"))
    if kind in _PYDANTIC_WORDS:
        return _PYDANTIC_WORDS[kind]
    context: dict[str, Any] = item.get("ctx") or {}
    given = item.get("input")
    example = _PARAMETER_EXAMPLES.get(name)
    send = f"; send {example}" if example else ""
    if kind in ("string_too_long", "too_long"):
        unit = "characters" if kind == "string_too_long" else "items"
        if item.get("loc", ("",))[0] == "header":  # a header is read as Latin-1: one character a byte
            unit = "bytes"
        most = context.get("max_length")
        return f"is {_length(given)}{unit} long; the most is {most:,}{send or '; send a shorter one'}"
    if kind in ("string_too_short", "too_short"):
        unit = "characters" if kind == "string_too_short" else "items"
        least = context.get("min_length")
        return f"is {_length(given)}{unit} long; the least is {least:,}{send or '; send a longer one'}"
    if kind == "string_pattern_mismatch":
        return f"does not have the form it must have (the pattern {context.get('pattern')}){send}"
    return str(item.get("msg", "is not valid")) + send
