"""Errors as RFC 9457 problem details (``application/problem+json``), written for an HTTP client.

Every error response has ``type`` (a URI naming the kind of problem), ``title``, ``status``, ``detail``,
``instance`` (the request's path) and ``errors``: each problem's ``pointer`` (a JSON pointer into the request
body, ``/complaint/requested/amount``; ``''`` for the body as a whole, and for a query parameter or a header,
which are not in the body), ``field`` (the same place as a dotted path, or the parameter's or header's name)
and ``detail``. The library's messages are for Python callers and sometimes advise Python
(``Decimal('250.00')``, ``tzinfo=``); here they are rewritten with an example JSON value instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse

__all__ = [
    "PROBLEM_TYPES",
    "ApiProblem",
    "FieldProblem",
    "ProblemDetails",
    "for_http",
    "pointer",
    "problem_response",
    "query_problems",
    "summary",
]

MEDIA_TYPE: Final = "application/problem+json"
TYPE_BASE: Final = "https://recovery-rules.example.org/how-to/run-the-decision-service/#"

PROBLEM_TYPES: Final = {
    "malformed-request": ("The request body cannot be read", 400),
    "invalid-input": ("The request is not valid", 422),
    "unauthenticated": ("A valid bearer token is needed", 401),
    "forbidden": ("The token's level may not do this", 403),
    "not-found": ("There is no such resource", 404),
    "method-not-allowed": ("The method is not allowed here", 405),
    "body-too-large": ("The request body is larger than the service reads", 413),
    "unsupported-media-type": ("The body is not of a media type this route reads", 415),
    "step-not-allowed": ("The case does not allow this step now", 409),
    "grant-refused": ("The policy does not allow this grant now", 409),
    "stale-case": ("The case moved on while this step was checked", 409),
    "idempotency-conflict": ("The idempotency key was used for another request", 409),
    "invalid-policy": ("The policy does not load", 422),
    "journal-unavailable": ("The journal cannot be used now", 503),
    "journal-integrity": ("The journal's record does not verify", 500),
    "internal": ("The service failed", 500),
}
"""Each kind of problem: its title and HTTP status. The ``type`` is ``TYPE_BASE`` and the kind."""


class FieldProblem(BaseModel):
    """One thing wrong with the request, and where."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pointer: str = Field(
        description="A JSON pointer into the request body (`/complaint/received_at`), or '' for the body as a whole "
        "and for a query parameter or header (`field` names it)."
    )
    field: str = Field(description="The same place as a dotted path (`complaint.received_at`), or a parameter's name.")
    detail: str = Field(description="What is wrong there and how to fix it.")


def _extension_members(schema: dict[str, Any]) -> None:
    """The extension members some problems hold, in the schema only: a problem that has none leaves them out."""
    schema["properties"].update(
        {
            "needed_level": {
                "anyOf": [{"type": "string"}, {"type": "null"}],
                "description": "`forbidden` (403): the level that may take the step.",
            },
            "allowed_steps": {
                "type": "array",
                "items": {"type": "string"},
                "description": "`forbidden` (403), `step-not-allowed` and `grant-refused` (409): the steps the case "
                "allows now.",
            },
            "state": {"type": "string", "description": "`step-not-allowed` (409): the state the case is in."},
        }
    )


class ProblemDetails(BaseModel):
    """An RFC 9457 problem details object."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_extension_members)

    type: str = Field(description="A URI naming the kind of problem; its page says what to do.")
    title: str = Field(description="The kind of problem, in words; the same for every problem of the type.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong with this request.")
    instance: str = Field(description="The path of the request that failed.")
    errors: list[FieldProblem] = Field(default_factory=list, description="Each problem with its place.")


class ApiProblem(Exception):  # noqa: N818 - it is a problem response, raised to end a request early
    """Raised in a route to answer with a problem; :func:`problem_response` writes it."""

    def __init__(
        self,
        kind: str,
        detail: str,
        errors: Iterable[FieldProblem] = (),
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.errors = tuple(errors)
        self.headers = headers or {}
        self.extra = extra or {}


def problem_response(
    kind: str,
    detail: str,
    instance: str,
    errors: Sequence[FieldProblem] = (),
    *,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    title, status = PROBLEM_TYPES[kind]
    body = ProblemDetails(
        type=TYPE_BASE + kind,
        title=title,
        status=status,
        detail=for_http(detail),
        instance=instance,
        errors=list(errors),
    ).model_dump(mode="json")
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def summary(problems: Sequence[FieldProblem], headline: str = "the request is not valid") -> str:
    """A problem response's ``detail``: ``headline`` and the one problem (its field first), or how many."""
    if len(problems) == 1:
        where = problems[0].field
        return f"{headline}: {where + ': ' if where else ''}{problems[0].detail}"
    return f"{headline} ({len(problems)} problems; see errors)"


def query_problems(problems: Iterable[tuple[str, str]]) -> ApiProblem:
    """A 422 for problems with query parameters, each ``(name, message)``: they have no place in the body, so
    each problem's ``pointer`` is ``''`` and its ``field`` the parameter's name, as for any query parameter."""
    found = [FieldProblem(pointer="", field=name, detail=for_http(message)) for name, message in problems]
    return ApiProblem("invalid-input", summary(found), found)


_PART: Final = re.compile(r"[^.\[\]]+|\[(\d+)\]|\['([^']*)'\]")


def pointer(location: str) -> str:
    """``complaint.requested.amount`` as the JSON pointer ``/complaint/requested/amount``; ``a[2]`` as ``/a/2``,
    and ``granted['30d']`` (a key the library names as Python writes it) as ``/granted/30d``."""
    parts = [match[1] or (match[2] if match[2] is not None else match[0]) for match in _PART.finditer(location)]
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def dotted(location: str) -> str:
    """``granted['30d']`` (a key the library names as Python writes it) as the API's dotted path ``granted.30d``;
    ``a[2].b`` stays as it is."""
    parts = [
        f"[{match[1]}]" if match[1] else "." + (match[2] if match[2] is not None else match[0])
        for match in _PART.finditer(location)
    ]
    return "".join(parts).removeprefix(".")


_LEADING_FIELD: Final = re.compile(r"([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*): (.+)", re.DOTALL)
"""A message that names the field it is about first (``number: does not match customer.id``): a check of a
whole object (a complaint) about one of its fields."""


def field_problem(location: str, message: str, *, prefix: str = "") -> FieldProblem:
    """A problem at ``location`` in the body, under ``prefix`` (``complaint``) when it is relative to a part.

    A message that begins with the name of the field it concerns (``number: ...``, from a check of the whole
    complaint) is placed at that field."""
    if named := _LEADING_FIELD.fullmatch(message):
        location = ".".join(part for part in (location, named[1]) if part)
        message = named[2]
    field = ".".join(part for part in (prefix, location) if part).replace(".[", "[")
    return FieldProblem(pointer=pointer(field), field=dotted(field), detail=for_http(message))


_EXAMPLE_TIME: Final = '"2026-11-23T09:30:00-05:00" or "2026-11-23T14:30:00Z"'
_FLOAT_MONEY: Final = re.compile(
    r"a float cannot hold money exactly(?: \(([^)]*)\))?; pass a Decimal or a string"
    r"(?:, for example Decimal\('([^']*)'\) or '[^']*'| such as '([^']*)')"
)
_NAIVE: Final = re.compile(
    r"must be (?:a )?timezone-aware(?: datetime)?; pass tzinfo, for example datetime\(\.\.\., tzinfo=timezone\.utc\)"
)


_JSON_TYPES: Final = {
    "bool": "true or false",
    "NoneType": "null",
    "list": "an array",
    "tuple": "an array",
    "dict": "an object",
    "int": "a number",
    "float": "a number",
    "Decimal": "a number",
    "str": "a string",
}
_JSON_ANSWER: Final = {"True": "true", "False": "false", "None": "null"}
_PYTHON_TYPE: Final = re.compile(r"(, not )(?:an? )?(" + "|".join(_JSON_TYPES) + r")\b")


def _float_money(match: re.Match[str]) -> str:
    amount = match[2] or match[3] or "12.50"
    return (
        "a JSON number cannot hold money exactly; write the amount as a string with its currency, "
        f'for example "{amount} USD" or {{"amount": "{amount}", "currency": "USD"}}'
    )


_REWRITES: Final[tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...]] = (
    # Money: the library advises Decimal('250.00'); a JSON client writes a string.
    (_FLOAT_MONEY, _float_money),
    (
        re.compile(r"must (?:be a Decimal, int or string|hold a Decimal amount), not (?:an? )?[A-Za-z_]+"),
        lambda m: 'must be a string with its currency, such as "12.50 USD"',
    ),
    # A Python type named as what was sent: the JSON type instead.
    (_PYTHON_TYPE, lambda m: f"{m[1]}{_JSON_TYPES[m[2]]}"),
    # The customer's answers: the library names Python's True, False and None, and the value's repr.
    (
        re.compile(r"must be True, False or None \(not asked\), not .*"),
        lambda m: "must be true or false (or left out when not asked)",
    ),
    (
        re.compile(r"(must be a whole number from 1 \([^)]*\) to 5 \([^)]*\)), or None \(not given\), not .*"),
        lambda m: m[1],
    ),
    (
        re.compile(r"must be True \(([^)]*)\), False \(([^)]*)\) or None, not .*"),
        lambda m: f"must be true ({m[1]}), false ({m[2]}) or left out",
    ),
    # A second answer of the customer's: the library names the answers recorded as Python values and advises
    # leaving out keyword arguments; a JSON client leaves out members.
    (
        re.compile(
            r"\(satisfied=(True|False|None), satisfaction=(\d|None)\); "
            r"call (\w+) without satisfied= and satisfaction="
        ),
        lambda m: (
            f'("satisfied": {_JSON_ANSWER[m[1]]}, "satisfaction": {_JSON_ANSWER.get(m[2], m[2])}); '
            f'send {m[3]} without "satisfied" and "satisfaction"'
        ),
    ),
    # Keys named as a Python list: a JSON array.
    (re.compile(r"unknown keys \[([^\]]*)\]"), lambda m: "unknown keys [" + m[1].replace("'", '"') + "]"),
    # Times: the library advises tzinfo=...; a JSON client writes an offset.
    (_NAIVE, lambda m: f"must have a time zone: write it with its UTC offset, for example {_EXAMPLE_TIME}"),
    (re.compile(r"\btimedelta\(([a-z]+)=(\d+)\)"), lambda m: f'"{m[2]}{m[1][0]}"'),
    (re.compile(r"\bdatetime\.date\b"), lambda m: 'a date such as "2026-11-23"'),
    (re.compile(r"\bdatetime\b"), lambda m: "date and time"),
    (re.compile(r"\bDecimal\('([^']*)'\)"), lambda m: f'"{m[1]}"'),
    (re.compile(r"\bDecimal\b"), lambda m: "string"),
    (re.compile(r"\bmust be a table\b"), lambda m: "must be a JSON object"),
    (re.compile(r"\bmust be a Complaint\b"), lambda m: "must be a JSON object of a complaint"),
    (
        re.compile(r"\bmust be a Remedy\b"),
        lambda m: 'must be a JSON object such as {"kind": "refund", "amount": "25.00 USD"}',
    ),
)


def for_http(message: str) -> str:
    """A library message with its Python advice (``Decimal('2.50')``, ``tzinfo=``) written for a JSON client."""
    for pattern, replace in _REWRITES:
        message = pattern.sub(replace, message)
    return message
