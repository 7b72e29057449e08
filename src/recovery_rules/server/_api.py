"""The ``/v1`` routes: decide, open a case, take each step of its path, read it, list overdue callbacks, the
report, the policy and its check. Every route needs a bearer token; the level acting is the token's.

Idempotency: a case's routes take an ``Idempotency-Key`` header. The journal keeps keys, so a retried request
(on any worker) finds the step it recorded and answers as the first time: the case as that step left it. The
key the journal stores is a hash of the route, the employee and the client's key, so two routes or two
employees never collide. ``POST /v1/decisions`` records nothing and needs no key (a key is accepted and
changes nothing): it is a pure function of its input and the policy.
"""

# No ``from __future__ import annotations`` here: the step routes are made in a loop, and FastAPI reads each
# one's body model from its annotations, which must be the model classes themselves.

import contextlib
import dataclasses
import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor

from recovery_rules import (
    Alternative,
    AuthorityError,
    Case,
    CaseState,
    CaseView,
    Complaint,
    ComplaintNumber,
    Event,
    InvalidInputError,
    Journal,
    MissingDependencyError,
    Outcome,
    Policy,
    Resolution,
    UnknownLevelError,
    metrics,
)

from ._auth import Employee
from ._body import OneValuePerKeyRoute
from ._deps import CurrentEmployee, CurrentService
from ._models import (
    TIME_EXAMPLE,
    AlternativeRequest,
    AnswersRequest,
    ApproveRequest,
    CaseBody,
    CaseList,
    CaseResponse,
    CaseSummaryBody,
    DecideRequest,
    DecisionResponse,
    DenyRequest,
    EmptyRequest,
    EscalateRequest,
    EventBody,
    NotesAnswersRequest,
    NotesRequest,
    OpenRequest,
    PolicyCheckResponse,
    PolicyResponse,
    PreferredRequest,
    ReportRequest,
    ReportResponse,
    ServiceTime,
    StepResponse,
    granted_amounts,
)
from ._problems import ApiProblem, FieldProblem, query_problems
from ._service import Service
from ._settings import DEFAULT_MAX_BODY_BYTES

__all__ = ["STEP_BODIES", "no_such_step", "router"]

_PROBLEM: Final[dict[str, Any]] = {}
"""What an error response of a route declares besides its description: nothing. Its content (``application/
problem+json``, the ``ProblemDetails`` schema) is written into the OpenAPI document by the app, which adds the
schema to the components (``_problems_in_openapi``): a ``model`` here would make FastAPI build a serializer of the
problem for each error status of each route of each app (about 200 an app), which only the document reads."""


def _problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    words = {
        400: "The body cannot be read: it is not JSON, not UTF-8 text, nests arrays and objects too deeply, or names "
        "a key twice in one object (which JSON readers take differently).",
        401: "No valid bearer token.",
        403: "The token's level may not take this step, or is not a level of the policy served.",
        404: "No case has this complaint number. The case is looked up before the request's headers and body are "
        "checked, so an unknown case is a 404 whatever they hold; only a body too large (a 413), a body that is "
        "not JSON at all (a 400) and the bearer token (a 401, or a 403 for a level the policy does not have) are "
        "answered before.",
        409: "The case does not allow this step now, the policy does not allow its grant now (a cap), or the "
        "Idempotency-Key was used for another request.",
        415: "The body is not in a media type this route reads: JSON, sent with Content-Type: application/json "
        "(a policy to check: JSON, TOML or YAML).",
        422: "The request is not valid: `errors` lists each problem with its place.",
        500: "The service failed (it was logged), or the journal's record of the case does not verify.",
        503: "The journal cannot be used now; retry.",
    }
    return {code: {**_PROBLEM, "description": words[code]} for code in codes}


router = APIRouter(prefix="/v1", responses=_problems(401, 403, 422, 500), route_class=OneValuePerKeyRoute)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Any string of yours naming this request (a UUID), at most 200 bytes as sent. `maxLength` counts "
        "characters, which is the same for ASCII; a character outside ASCII counts as the bytes it is sent in (2 to 4 "
        "in UTF-8), so a key of 101 such characters is refused: keep keys to ASCII. A retry with the same key returns "
        "the first answer; the same key with another body is a 409.",
    ),
]


# -- deciding ------------------------------------------------------------------------------------------------
@router.post(
    "/decisions",
    tags=["decisions"],
    summary="Decide a complaint with the token's authority (pure: nothing is recorded)",
    responses=_problems(400, 415),
)
def decide(body: DecideRequest, employee: CurrentEmployee, service: CurrentService) -> DecisionResponse:
    policy = service.policy
    now = service.now()
    with _placed(_in_complaint):
        granted = granted_amounts(body.granted, policy.currency)
        resolution = policy.decide(body.complaint, by=employee.level, granted=granted, now=now, employee=employee.id)
    _count(service, policy, resolution, employee, "decide", recorded=False)
    return DecisionResponse(
        policy_revision=policy.revision, complaint_number=str(resolution.complaint_number), resolution=resolution
    )


# -- cases ---------------------------------------------------------------------------------------------------
@router.post(
    "/cases",
    tags=["cases"],
    status_code=201,
    summary="Open a case for a complaint; the token's employee handles it",
    responses=_problems(400, 409, 415, 503),
)
def open_case(
    body: OpenRequest,
    employee: CurrentEmployee,
    service: CurrentService,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> CaseResponse:
    policy = service.policy
    key = _journal_key(employee, "open", "", idempotency_key)
    incident = (
        None if body.incident is None else _number(body.incident, "incident", "incident is not a complaint number")
    )
    with _placed(_in_complaint):
        case = Case.open(
            service.journal,
            policy,
            body.complaint,
            by=employee.level,
            employee=employee.id,
            key=key,
            now=service.now(),
            clock=service.clock,
            incident=incident,
        )
    view = CaseView.replay(service.journal.events(case.number)[:1])  # the case as opened, on a retry too
    response.headers["Location"] = f"/v1/cases/{case.number}"
    return CaseResponse(
        policy_revision=policy.revision,
        complaint_number=str(case.number),
        case=_body(view, policy, service, employee.level, view.history[-1].at),
    )


class _CaseNumberInPath(Convertor[str]):
    """The complaint number at the end of a path: any text (``20261123-10442``, ``20261123-10442/2``) but one
    whose last ``/``-separated part (trailing slashes aside) holds anything but digits: that part names a step,
    not a sequence.

    ``/v1/cases/20261123-10442/listen`` is the step ``listen`` of a case, never the number
    ``20261123-10442/listen``, so a GET of a step's route is a 405 (it takes POST) and a misspelt step a 404, not
    a case to read. Anything else that is not a complaint number (``/v1/cases/not-a-number``, ``/v1/cases/``)
    still reaches the route, which says what a number is (a 422). Only for a parameter that ends the path: the
    lookahead reads to its end."""

    regex = r"(?!.*/[^/]*[^/0-9][^/]*/*$).*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("case_number", _CaseNumberInPath())
_CASE_PATH: Final = re.compile(r"/v1/cases/(?P<number>.*)/(?P<step>[^/]*[^/0-9][^/]*)/*")
"""A path naming a step of a case: the last part is not a sequence (not all digits)."""


def known_case(number: str, service: CurrentService) -> ComplaintNumber:
    """The complaint number in the path, of a case the journal holds; else a 422 (not a complaint number) or a
    404 (no such case).

    The dependency of every route with a case number in its path, after the token's (a 401 comes first: who has
    no token learns nothing of the cases). FastAPI solves dependencies before it validates the headers and the
    body, so a case that does not exist is a 404 whatever the request holds (a body left out, of another media
    type, with a field wrong): the resource is looked up before the request to it is checked. Only a body that
    cannot be read at all (a 400: not JSON, not UTF-8) is refused before, as FastAPI reads it before anything."""
    parsed = _number(number, "number", "the path does not hold a complaint number")
    if not service.journal.version(parsed):
        raise ApiProblem(
            "not-found",
            f"the journal has no case {parsed}; open one with POST /v1/cases",
            [FieldProblem(pointer="", field="number", detail="no case has this complaint number")],
        )
    return parsed


KnownCase = Annotated[ComplaintNumber, Depends(known_case)]


@router.get(
    "/cases/{number:case_number}",
    tags=["cases"],
    summary="Read a case: its state, the steps allowed next, its decisions and every event",
    responses=_problems(404, 503),
)
def read_case(employee: CurrentEmployee, number: KnownCase, service: CurrentService) -> CaseResponse:
    policy = service.policy
    case = Case.load(service.journal, policy, number, clock=service.clock)
    view = CaseView.replay(case.history)
    return CaseResponse(
        policy_revision=policy.revision,
        complaint_number=str(case.number),
        case=_body(view, policy, service, employee.level, service.now()),
    )


STEP_BODIES: Final[dict[str, type[Any]]] = {
    "listen": NotesRequest,
    "apologize": NotesRequest,
    "ask_preferred_solution": PreferredRequest,
    "decide": EmptyRequest,
    "escalate": EscalateRequest,
    "manager_approves": ApproveRequest,
    "manager_denies": DenyRequest,
    "deliver": NotesAnswersRequest,
    "explain_denial": NotesRequest,
    "accept_alternative": AlternativeRequest,
    "decline_alternatives": NotesRequest,
    "make_final_offer": NotesRequest,
    "accept_final_offer": AnswersRequest,
    "decline_final_offer": NotesRequest,
    "write_report": ReportRequest,
    "thank": NotesAnswersRequest,
    "close": EmptyRequest,
    "manager_calls": NotesRequest,
    "accept_offer": NotesAnswersRequest,
    "decline_offer": NotesRequest,
}
"""Every step of the case path (a :class:`~recovery_rules.Case` method of the same name) and its body."""

_BY_TOKEN: Final = frozenset({"decide", "manager_approves", "manager_denies", "explain_denial", "manager_calls"})
"""Steps the library checks against the acting level itself: the token's level is passed as ``by``."""
_BY_OFFERER: Final = frozenset(
    {"accept_alternative", "decline_alternatives", "make_final_offer", "accept_final_offer", "decline_final_offer"}
)
"""Steps recorded as taken by the level that offered the alternatives (the manager who explained the denial; for
``accept_alternative`` beyond the employee's authority, instead of the escalation, the level that decided)."""

_SUMMARIES: Final = {
    "listen": "Listen to the grievance in its entirety",
    "apologize": "Apologize and validate the customer's feelings",
    "ask_preferred_solution": "Ask what the customer would prefer, and restate it",
    "decide": "Decide the preferred remedy with the token's authority (the ledger read in the same transaction)",
    "escalate": "Explain that more authority is needed, promise the callback, pass the case up",
    "manager_approves": "A higher level (the token's) approves the escalated remedy",
    "manager_denies": "The level the case was escalated to (or higher) denies it, saying why",
    "deliver": "The employee delivers the approved remedy",
    "explain_denial": "A manager gives the reason and offers two alternatives",
    "accept_alternative": (
        "The customer accepts one of the alternatives: of the two offered with a denial, or, beyond the employee's "
        "authority, of the decision's instead of the escalation"
    ),
    "decline_alternatives": "The customer declines both alternatives",
    "make_final_offer": "Make the final back-up offer",
    "accept_final_offer": "The customer accepts the final offer",
    "decline_final_offer": "The customer declines the final offer",
    "write_report": "Write the report to a manager, who calls the customer personally",
    "thank": "Thank the customer",
    "close": "Close the case",
    "manager_calls": "The manager the report went to (the token's level or above) makes the personal call",
    "accept_offer": "The customer accepts the counter-offer the employee delivered: it is granted now",
    "decline_offer": "The customer declines the counter-offer: a manager explains and offers the alternatives",
}


def _step_route(step: str, model: type[Any]) -> None:
    """The route of ``step``, whose body is a ``model``: required (so the OpenAPI document says so) when the model
    has a required field (``manager_denies``'s ``reason``), else optional (``{}`` when left out). A required body
    left out is answered as ``{}`` is: a 422 naming each required field, on a case the journal holds (the case
    is looked up first: see :func:`known_case`)."""
    if any(field.is_required() for field in model.model_fields.values()):

        def take_step(
            employee: CurrentEmployee,
            number: KnownCase,
            service: CurrentService,
            body: Annotated[model, Body()],  # type: ignore[valid-type]  # a model class, chosen per step
            idempotency_key: IdempotencyKey = None,
        ) -> StepResponse:
            return _take_step(step, number, employee, service, body, client_key=idempotency_key)

    else:

        def take_step(  # type: ignore[misc]  # the same route, its body optional
            employee: CurrentEmployee,
            number: KnownCase,
            service: CurrentService,
            idempotency_key: IdempotencyKey = None,
            body: Annotated[model | None, Body()] = None,  # type: ignore[valid-type]  # a model class, chosen per step
        ) -> StepResponse:
            return _take_step(
                step, number, employee, service, model() if body is None else body, client_key=idempotency_key
            )

    take_step.__name__ = f"step_{step}"
    router.add_api_route(
        f"/cases/{{number:path}}/{step}",
        take_step,
        methods=["POST"],
        tags=["case steps"],
        summary=_SUMMARIES[step],
        operation_id=f"case_{step}",
        responses=_problems(400, 404, 409, 415, 503),
    )


def _take_step(
    step: str, number: ComplaintNumber, employee: Employee, service: Service, body: Any, *, client_key: str | None
) -> StepResponse:
    """Take ``step`` on case ``number`` (one the journal holds) with its ``body``, as the token's ``employee``,
    under the client's Idempotency-Key ``client_key``: the answer of its route."""
    policy = service.policy
    case = Case.load(service.journal, policy, number, clock=service.clock)
    _check_actor(case, step, employee, policy)
    key = _journal_key(employee, step, str(case.number), client_key)
    try:
        result = _take(case, step, body, employee=employee, key=key, now=service.now())
    except AuthorityError as error:
        raise _refused(error) from None
    event = service.journal.find(key)
    if event is None:  # recorded just now under this key: the journal must find it
        raise ApiProblem("internal", "the step was recorded but cannot be read back; read the case")
    written = case.last_step_recorded  # a retry's decision was logged the first time, if sent at once too
    if isinstance(result, Resolution) and written:
        _count(service, policy, result, employee, step, recorded=True)
    elif step == "manager_denies" and written:  # a decision too, though it returns its event
        service.metrics.decisions.labels(outcome=Outcome.DENIED.value, level=employee.level).inc()
    events = service.journal.events(case.number)[: event.version]
    view = CaseView.replay(events)
    return StepResponse(
        policy_revision=policy.revision,
        complaint_number=str(case.number),
        step=step,
        event=EventBody.of(event),
        case=_body(view, policy, service, employee.level, event.at),  # the offers at the step's time
    )


def _token_level_refused(error: AuthorityError) -> bool:
    """Whether ``error`` refuses the token's level (another level may take the step), not the grant itself."""
    return error.needed is not None and error.step in _BY_TOKEN


def _refused(error: AuthorityError) -> Exception:
    """An :class:`AuthorityError` as the problem it is for the client.

    A 403 ``forbidden`` (the app's handler) when the token's level was checked and another level may take the
    step (``needed_level``). Otherwise the level is not the question: a cap, a kind of remedy the authority may
    not grant, or the authority the case records (the manager who counter-offered or offered the alternatives)
    that the ledger no longer leaves room for. No token would be allowed it, so it is a 409 ``grant-refused``:
    the case does not allow this grant now, and its other steps (``allowed_steps``) are still open.
    """
    if _token_level_refused(error):
        return error
    return ApiProblem("grant-refused", str(error), extra={"allowed_steps": list(error.allowed)})


def _take(case: Case, step: str, body: Any, *, employee: Employee, key: str, now: dt.datetime) -> Event | Resolution:
    """Take ``step`` on ``case`` as the token's employee, with the token's level where the step has a ``by``."""
    who = employee.id
    level = employee.level
    if step == "ask_preferred_solution":
        # The library checks the remedy as the complaint's request (``requested.kind``): in the body it is ``remedy``,
        # or, left out, the complaint's own request (a reload may have removed its kind), which the body does not hold.
        with _placed(_in_remedy if body.remedy is not None else _whole_body):
            return case.ask_preferred_solution(
                body.remedy, notes=body.notes, customer_agreed=body.customer_agreed, key=key, now=now, employee=who
            )
    answers: dict[str, Any] = {}
    if isinstance(body, AnswersRequest):
        answers = {"satisfied": body.satisfied, "satisfaction": body.satisfaction}
    if step in ("deliver", "thank", "accept_offer"):
        method: Callable[..., Event] = getattr(case, step)
        return method(notes=body.notes, key=key, now=now, employee=who, **answers)
    if step == "accept_final_offer":
        return case.accept_final_offer(key=key, now=now, employee=who, **answers)
    if step == "decide":
        return case.decide(by=level, key=key, now=now, employee=who)
    if step == "manager_approves":
        return case.manager_approves(by=level, notes=body.notes, amount=body.amount, key=key, now=now, employee=who)
    if step == "manager_denies":
        return case.manager_denies(by=level, reason=body.reason, key=key, now=now, employee=who)
    if step == "explain_denial":
        return case.explain_denial(by=level, notes=body.notes, key=key, now=now, employee=who)
    if step == "accept_alternative":
        return case.accept_alternative(body.alternative_id, key=key, now=now, employee=who, **answers)
    if step == "escalate":
        return case.escalate(notes=body.notes, callback_at=body.callback_at, key=key, now=now, employee=who)
    if step == "manager_calls":
        return case.manager_calls(by=level, notes=body.notes, key=key, now=now, employee=who)
    if step == "write_report":
        return case.write_report(summary=body.summary, to=body.to, key=key, now=now, employee=who)
    simple: Callable[..., Event] = getattr(case, step)
    if isinstance(body, NotesRequest):
        return simple(notes=body.notes, key=key, now=now, employee=who)
    return simple(key=key, now=now, employee=who)


for _step, _model in STEP_BODIES.items():
    _step_route(_step, _model)


def no_such_step(path: str) -> str | None:
    """What is wrong with ``path`` when it names a step of a case that no route takes (a misspelt step), else
    ``None``: the 404's detail, naming the steps there are."""
    found = _CASE_PATH.fullmatch(path)
    if found is None or found["step"] in STEP_BODIES:
        return None
    return (
        f"there is no step '{found['step']}' of a case: the steps are {', '.join(STEP_BODIES)}; take one with "
        "POST /v1/cases/{number}/{step}"
    )


@router.get(
    "/callbacks/overdue",
    tags=["cases"],
    summary="Cases whose promised callback or personal call is overdue, most overdue first",
    responses=_problems(503),
)
def overdue_callbacks(employee: CurrentEmployee, service: CurrentService) -> CaseList:
    now = service.now()
    summaries = service.journal.overdue_callbacks(now)
    return CaseList(
        policy_revision=service.policy.revision, now=now, cases=[CaseSummaryBody.of(item) for item in summaries]
    )


_PERIOD_TIME: Final = f", with its UTC offset (such as {TIME_EXAMPLE}); never a number of seconds"


@router.get(
    "/report",
    tags=["report"],
    summary="The service metrics of the cases opened in a period (what `recovery-rules report --json` prints)",
    responses=_problems(503),
)
def report(
    employee: CurrentEmployee,
    service: CurrentService,
    since: Annotated[
        ServiceTime | None, Query(description=f"Cases opened at or after this time{_PERIOD_TIME}.")
    ] = None,
    until: Annotated[ServiceTime | None, Query(description=f"Cases opened before this time{_PERIOD_TIME}.")] = None,
) -> ReportResponse:
    given = {name: value for name, value in (("since", since), ("until", until)) if value is not None}
    naive = [name for name, value in given.items() if value.utcoffset() is None]
    out_of_range = [name for name, value in given.items() if name not in naive and not _in_utc_range(value)]
    if naive or out_of_range:
        raise query_problems(
            [(name, f"must have a time zone: write it with its UTC offset, such as {TIME_EXAMPLE}") for name in naive]
            + [
                (name, "is out of range: in UTC it must fall within the years 1 to 9999; check the date")
                for name in out_of_range
            ]
        )
    policy = service.policy
    try:
        figures = metrics.report(
            service.journal, since=since, until=until, policy=policy, now=service.now(), source=_named(service.journal)
        )
    except InvalidInputError as invalid:  # since not before until: a query parameter's problem, not the body's
        # A problem the report found in the journal (a case in another currency than the policy's) is at no
        # parameter: named by its case in the detail, with no field the request does not have.
        raise query_problems(
            (problem.location, problem.message)
            if problem.location in ("since", "until", "")
            else ("", f"case {problem.location}: {problem.message}")
            for problem in invalid.problems
        ) from None
    return ReportResponse(policy_revision=policy.revision, report=figures)


def _in_utc_range(moment: dt.datetime) -> bool:
    """Whether an aware ``moment`` is a time in UTC too: ``0001-01-01T00:00:00+05:00`` is before the first."""
    try:
        moment.astimezone(dt.UTC)
    except OverflowError:
        return False
    return True


# -- the policy ----------------------------------------------------------------------------------------------
@router.get("/policy", tags=["policy"], summary="The policy being served: its name, revision and levels")
def current_policy(employee: CurrentEmployee, service: CurrentService) -> PolicyResponse:
    policy = service.policy
    return PolicyResponse(
        policy_revision=policy.revision,
        name=policy.name,
        revision=policy.revision,
        currency=policy.currency,
        timezone=policy.timezone,
        levels=[level.name for level in policy.levels],
    )


_POLICY_FORMATS: Final = {
    "application/json": "json",
    "application/toml": "toml",
    "application/yaml": "yaml",
    "application/x-yaml": "yaml",
    "text/yaml": "yaml",
    "text/toml": "toml",
}
MAX_POLICY_BYTES: Final = DEFAULT_MAX_BODY_BYTES


def _named(journal: object) -> str:
    """How the report names the service's journal to a client: its file's name, never the folder it is in on the
    server (an SQLite journal), else its kind."""
    path = getattr(journal, "path", None)
    return Path(str(path)).name if path is not None else type(journal).__name__


@router.post(
    "/policy/check",
    tags=["policy"],
    summary="Check a policy: does it load (every promise kept)? Nothing is changed on the service",
    responses={
        **_problems(400, 415),
        400: {
            **_PROBLEM,
            "description": "The body is not UTF-8 text. (A policy that is not valid JSON, TOML or YAML, or that nests "
            "arrays and tables too deeply, does not load: a 422 `invalid-policy`, its line and column in `detail`.)",
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A policy file's content: JSON, TOML or YAML, named by Content-Type.",
            "content": {
                "application/json": {"schema": {"type": "object", "description": "docs/policy.schema.json"}},
                "application/toml": {"schema": {"type": "string"}},
                "application/yaml": {"schema": {"type": "string"}},
            },
        }
    },
)
async def check_policy(request: Request, employee: CurrentEmployee, service: CurrentService) -> PolicyCheckResponse:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    form = _POLICY_FORMATS.get(media)
    if form is None:  # no Content-Type names no format: refused as on every other route, not read as JSON
        named = f"this request's Content-Type is {media[:100]}" if media else "this request has no Content-Type"
        raise ApiProblem(
            "unsupported-media-type",
            f"send the policy as application/json, application/toml or application/yaml ({named})",
            [FieldProblem(pointer="", field="Content-Type", detail=f"must be one of: {', '.join(_POLICY_FORMATS)}")],
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():  # read at most the limit, whatever Content-Length says
        size += len(chunk)
        if size > MAX_POLICY_BYTES:
            raise ApiProblem("invalid-input", f"the policy is over {MAX_POLICY_BYTES:,} bytes, the most a policy is")
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiProblem("malformed-request", "the policy must be UTF-8 text") from None
    # Reading a policy of megabytes is work of seconds: in a worker thread, never on the event loop.
    try:
        policy = await run_in_threadpool(Policy.from_text, text, format=form)  # type: ignore[arg-type]  # one of the three
    except MissingDependencyError as error:  # YAML without the yaml extra (the server extra does not bring it)
        raise ApiProblem(
            "unsupported-media-type",
            f"this service cannot read {media}: {error}",
            [FieldProblem(pointer="", field="Content-Type", detail=f"must be one of: {', '.join(_POLICY_FORMATS)}")],
        ) from None
    return PolicyCheckResponse(
        policy_revision=service.policy.revision,
        valid=True,
        name=policy.name,
        revision=policy.revision,
        levels=[level.name for level in policy.levels],
    )


# -- machinery -----------------------------------------------------------------------------------------------
def _journal_key(employee: Employee, route: str, number: str, client_key: str | None) -> str:
    """The idempotency key the journal stores: the client's, scoped to the route, the case and the employee."""
    if client_key is None:
        return uuid.uuid4().hex
    scope = "\n".join(("recovery-rules http", route, number, employee.id, client_key))
    return "http-" + hashlib.sha256(scope.encode("utf-8")).hexdigest()


_COMPLAINT_FIELDS: Final = frozenset(Complaint.model_fields)


@contextlib.contextmanager
def _placed(place: Callable[[str], str]) -> Iterator[None]:
    """Place the problems of an :class:`InvalidInputError` the library raises in the request body.

    The library locates a problem in the value it was given (``requested.amount`` of a complaint); the client
    needs its place in the body it sent (``complaint.requested.amount``). ``place`` maps one to the other.
    """
    try:
        yield
    except InvalidInputError as error:
        placed = [dataclasses.replace(problem, location=place(problem.location)) for problem in error.problems]
        if placed == list(error.problems):
            raise
        raise InvalidInputError(error.what, placed) from None


def _in_complaint(location: str) -> str:
    """A location in the complaint (``requested.kind``) as one in a body holding it as ``complaint``."""
    head = location.split(".", 1)[0].split("[", 1)[0]
    return f"complaint.{location}" if head in _COMPLAINT_FIELDS else location


def _in_remedy(location: str) -> str:
    """A location in the complaint's request (``requested.kind``) as one in the body's ``remedy``."""
    if location == "requested" or location.startswith("requested."):
        return "remedy" + location.removeprefix("requested")
    return location


def _whole_body(location: str) -> str:
    """A problem of the case's own complaint (not in the body): placed at the body as a whole."""
    return "" if location.split(".", 1)[0] in _COMPLAINT_FIELDS else location


def _number(text: str, field: str, detail: str) -> ComplaintNumber:
    """``text`` as a complaint number; else a 422 at ``field``: a body field, or the path's ``number``."""
    try:
        return ComplaintNumber.parse(text)
    except InvalidInputError as error:
        where = "" if field == "number" else "/" + field  # the path is not in the body
        raise ApiProblem(
            "invalid-input", detail, [FieldProblem(pointer=where, field=field, detail=error.problems[0].message)]
        ) from None


def _rank(policy: Policy, level: str) -> int:
    return [known.name for known in policy.levels].index(level)


def _check_actor(case: Case, step: str, employee: Employee, policy: Policy) -> None:
    """Refuse a step the journal would record as taken by a level above the token's (a clerk acting as a manager)."""
    if step in _BY_TOKEN:
        return  # the library checks the token's level itself
    if step not in case.allowed_steps():
        return  # the step is not allowed now: the library's 409 step-not-allowed comes first
    view = CaseView.replay(case.history)
    actor: str | None
    if step == "accept_alternative" and view.state is CaseState.BEYOND_AUTHORITY and view.decision is not None:
        actor = view.decision.acting_level  # instead of the escalation: granted by the level that decided
    elif step in _BY_OFFERER:
        actor = view.offered_by
    elif step == "write_report":
        actor = view.offered_by or view.level
    else:
        actor = view.level
    if actor is None or actor not in {known.name for known in policy.levels}:
        return  # the step is not allowed now: the case says so
    if _rank(policy, employee.level) < _rank(policy, actor):
        raise ApiProblem(
            "forbidden",
            f"{step} is recorded as taken by {actor}, and the token's level is {employee.level}; "
            f"an employee at {actor} or above takes it",
            extra={"needed_level": actor, "allowed_steps": list(case.allowed_steps())},
        )


def _body(view: CaseView, policy: Policy, service: Service, level: str | None, now: dt.datetime) -> CaseBody:
    """The case as ``view`` shows it, with the steps allowed after it (as a ``Case`` in that state allows) and
    what the next step offering alternatives would offer at ``now`` (``Case.offers``): a denial explained by
    ``level``, the caller's (the step takes the token's level), if it may explain one, else by the manager the
    case would choose.

    Both describe the case as ``view`` shows it, even when the journal holds later steps of it (a retried step
    answers with the case as that step left it): the offers are those of the step allowed after ``view``,
    read with the ledger as it stands."""
    case = Case(_CaseAsOf(service.journal, view), policy, view, _no_clock)  # type: ignore[arg-type]  # see _CaseAsOf
    allowed = case.allowed_steps()
    offers: tuple[Alternative, ...] = ()
    if "explain_denial" in allowed or "make_final_offer" in allowed:
        by = _explaining_level(policy, level) if "explain_denial" in allowed else None
        try:
            offers = case.offers(by=by, now=now)
        except UnknownLevelError:  # a level a reload removed: its step says so; reading the case still works
            offers = ()
    return CaseBody.of(view, allowed, offers)


class _CaseAsOf:
    """The journal, with one case as a view shows it: the case's later events, if any, are not read.

    ``Case.offers`` reads the case again from its journal first (so that it describes the step the case is at);
    a step's answer describes the case as that step left it, retried after the case moved on or not. Everything
    else, the ledger above all, is the journal's own, read as it stands.
    """

    def __init__(self, journal: Journal, view: CaseView) -> None:
        self._journal = journal
        self._number = view.complaint.number
        self._version = view.version

    def events(self, number: ComplaintNumber) -> tuple[Event, ...]:
        events = self._journal.events(number)
        return events[: self._version] if number == self._number else events

    def version(self, number: ComplaintNumber) -> int:
        found = self._journal.version(number)
        return min(found, self._version) if number == self._number else found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._journal, name)


def _explaining_level(policy: Policy, level: str | None) -> str | None:
    """``level``, if it may explain a denial (the step takes the caller's level); else ``None``: the manager
    the case would choose explains it."""
    names = [known.name for known in policy.levels]
    if level not in names or policy.denials_delivered_by not in names:
        return None
    return level if names.index(level) >= names.index(policy.denials_delivered_by) else None


def _no_clock() -> dt.datetime:
    raise AssertionError("a case made to list its allowed steps takes no step")


def _count(
    service: Service, policy: Policy, resolution: Resolution, employee: Employee, route: str, *, recorded: bool
) -> None:
    service.metrics.decisions.labels(outcome=resolution.outcome.value, level=employee.level).inc()
    service.decisions.record(
        at=resolution.decided_at,
        revision=policy.revision,
        resolution=resolution,
        employee=employee.id,
        route=route,
        recorded=recorded,
    )
