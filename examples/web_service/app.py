"""A help-desk web service: ``POST /complaints`` decides a complaint and returns the resolution as JSON.

Needs the ``examples`` extra: ``pip install 'recovery-rules[examples]'`` (FastAPI, uvicorn, httpx2).

- ``python examples/web_service/app.py`` sends three complaints through FastAPI's test client and
  prints the answers; ``python examples/web_service/app.py serve`` serves it on http://127.0.0.1:8000
  (the interactive API docs are at ``/docs``).
- The policy comes from configuration: the file named by ``RECOVERY_RULES_POLICY`` (TOML, JSON or
  YAML), or the Ritz-Carlton preset when it is not set. It is loaded and checked once, at start-up:
  a policy that cannot keep its promises stops the service from starting, not a request later on.
- The acting employee's level (``by``) and what the guest was already granted within the policy's
  window (``granted``) come with the request. A real service takes ``by`` from the employee's login
  and ``granted`` from its own records, never from what the client says.
- Input the library refuses becomes a 422 whose ``message`` is the library's own, and whose
  ``detail`` lists each problem with its location in the request body, as FastAPI does. Neither
  repeats personal data: a customer's name never ends up in an error response or a log (a level, remedy
  kind or currency the policy does not have is quoted, to say what to fix).

The request::

    {
      "by": "staff",
      "granted": "150.00 USD",
      "complaint": {
        "customer": {"id": "10442", "tier": "gold"},
        "category": "room_not_ready",
        "requested": {"kind": "refund", "amount": "250.00 USD"},
        "received_at": "2026-11-23T09:30:00-05:00"
      }
    }
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Final

from fastapi import Body, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter

from recovery_rules import Complaint, InvalidInputError, Money, Policy, Problem, Resolution, presets

POLICY_FILE: Final = "RECOVERY_RULES_POLICY"
"""The environment variable naming the policy file."""

Clock = Callable[[], dt.datetime]
"""What the service asks for the time of a decision; tests pass a fixed one."""

_PART: Final = re.compile(r"[^.\[\]]+|\[(\d+)\]")


def load_policy() -> Policy:
    """The configured policy: the file named by ``RECOVERY_RULES_POLICY``, else the Ritz-Carlton preset."""
    path = os.environ.get(POLICY_FILE)
    return Policy.from_file(path) if path else presets.ritz_carlton()


def create_app(policy: Policy | None = None, *, clock: Clock | None = None) -> FastAPI:
    """The service for ``policy`` (the configured one when omitted)."""
    policy = policy if policy is not None else load_policy()
    app = FastAPI(
        title=f"Service recovery: {policy.name}",
        description="Ask what an employee may grant for a complaint, whom to escalate to, and what to offer instead.",
    )

    @app.post(
        "/complaints",
        response_model=Resolution,
        summary="Decide a complaint",
        responses={422: {"description": "The request is not valid; `message` says what to fix."}},
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/json": {"schema": _request_schema(policy)}}}
        },
    )
    def decide(payload: Annotated[Any, Body()]) -> Resolution:
        complaint, by, granted = read_request(payload, policy.currency)
        now = clock() if clock is not None else None
        try:
            return policy.decide(complaint, by=by, granted=granted, now=now)
        except InvalidInputError as error:  # an unknown level or remedy kind, a foreign currency
            raise _in_body(error) from None

    @app.exception_handler(InvalidInputError)
    async def invalid_input(request: Request, error: InvalidInputError) -> JSONResponse:
        return unprocessable(str(error), error.problems)

    @app.exception_handler(RequestValidationError)
    async def not_json(request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's own check: the body is missing or not JSON. Same shape, without echoing the input.
        problems = [Problem(".".join(map(str, e["loc"][1:])), e["msg"]) for e in error.errors()]
        return unprocessable("invalid request: the body must be a JSON object", problems)

    _publish_complaint_schema(app)
    return app


def read_request(payload: object, currency: str) -> tuple[Complaint, str, Money | None]:
    """The complaint, the acting level and the earlier grants of a request body, validated by the library; the
    examples in the messages of a refused amount are in the policy's ``currency``."""
    if not isinstance(payload, dict):
        raise InvalidInputError("request", [Problem("", "must be a JSON object with 'by' and 'complaint'")])
    unknown = sorted(set(payload) - {"by", "granted", "complaint"})
    problems = [Problem(name, "is not a field here; check the spelling") for name in unknown]
    if not isinstance(payload.get("by"), str):
        problems.append(Problem("by", "is required: the acting employee's authority level, such as 'staff'"))
    if "complaint" not in payload:
        problems.append(Problem("complaint", "is required"))
    if problems:
        raise InvalidInputError("request", problems)
    context = {"currency": currency}  # "write an amount and its currency, for example '12.50 EUR'" in a euro shop
    try:
        complaint = Complaint.model_validate(payload["complaint"], context=context)
    except InvalidInputError as error:
        raise _in_body(error, "complaint") from None
    granted = payload.get("granted")
    try:
        return complaint, payload["by"], None if granted is None else Money.validate(granted, context=context)
    except InvalidInputError as error:
        raise _in_body(error, "granted") from None


def unprocessable(message: str, problems: Sequence[Problem]) -> JSONResponse:
    """A 422 response: the library's message, and each problem located in the body the way FastAPI does."""
    detail = [
        {"loc": ["body", *_parts(problem.location)], "msg": problem.message, "type": "invalid_input"}
        for problem in problems
    ]
    return JSONResponse(status_code=422, content={"message": message, "detail": detail})


def _in_body(error: InvalidInputError, prefix: str = "") -> InvalidInputError:
    """``error`` with its locations made relative to the request body."""
    complaint_fields = set(Complaint.model_fields)

    def where(location: str) -> str:
        head = _parts(location)[:1]
        within = prefix or ("complaint" if head and head[0] in complaint_fields else "")
        return ".".join(part for part in (within, location) if part).replace(".[", "[")

    return InvalidInputError(
        error.what, [Problem(where(problem.location), problem.message) for problem in error.problems]
    )


def _parts(location: str) -> list[str | int]:
    """``"catalog[2].value"`` as ``["catalog", 2, "value"]``."""
    return [int(match[1]) if match[1] else match[0] for match in _PART.finditer(location)]


def _request_schema(policy: Policy) -> dict[str, Any]:
    money = TypeAdapter(Money).json_schema()
    return {
        "type": "object",
        "required": ["by", "complaint"],
        "properties": {
            "by": {
                "type": "string",
                "enum": [level.name for level in policy.levels],
                "description": "The acting employee's level.",
            },
            "granted": {**money, "description": "What the guest was already granted within the policy's window."},
            "complaint": {"$ref": "#/components/schemas/Complaint"},
        },
    }


def _publish_complaint_schema(app: FastAPI) -> None:
    """Add ``Complaint`` and its parts to the OpenAPI components the request schema refers to."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        complaint = Complaint.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(complaint.pop("$defs", {}))
        schemas["Complaint"] = complaint
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema


app = create_app()
"""The service for the configured policy, for ``uvicorn app:app --app-dir examples/web_service``."""

EXAMPLES: Final = (
    {
        "by": "staff",
        "complaint": {
            "customer": {"id": "10442", "tier": "gold", "name": "Ada Guest"},
            "category": "room_not_ready",
            "requested": {"kind": "refund", "amount": "250.00 USD"},
            "received_at": "2026-11-23T09:30:00-05:00",
        },
    },
    {
        "by": "staff",
        "granted": "1900.00 USD",
        "complaint": {
            "customer": {"id": "10442", "tier": "gold"},
            "category": "noise",
            "requested": {"kind": "credit", "amount": "150.00 USD"},
            "received_at": "2026-11-23T10:55:00-05:00",
        },
    },
    {
        "by": "staff",
        "complaint": {
            "customer": {"id": "10442", "name": "Ada Guest"},
            "category": "room_not_ready",
            "requested": {"kind": "refund", "amount": 250.0},
            "received_at": "2026-11-23T09:30:00",
        },
    },
)
"""An approval, an escalation and a request the library refuses."""


def main(argv: Sequence[str]) -> None:
    if list(argv) == ["serve"]:
        import uvicorn  # noqa: PLC0415 - only needed to serve

        uvicorn.run(app, host="127.0.0.1", port=8000)
        return
    from fastapi.testclient import TestClient  # noqa: PLC0415 - only needed for the demonstration

    fixed = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)
    client = TestClient(create_app(presets.ritz_carlton(), clock=lambda: fixed))
    for body in EXAMPLES:
        response = client.post("/complaints", json=body)
        answer = response.json()
        print(f"POST /complaints -> {response.status_code}")
        if response.status_code == 200:
            print(f"  {answer['outcome']}: {answer['reason']}")
            for alternative in answer["alternatives"]:
                print(f"  instead: {alternative['description']}")
        else:
            print(json.dumps(answer, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
