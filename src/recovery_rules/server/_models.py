"""The request and response bodies of the ``/v1`` API.

Requests are :class:`ServiceRequest` subclasses (a :class:`~recovery_rules.RecoveryModel`), so they refuse
unknown fields and report problems in the library's words, and refuse an amount written as a JSON number where
the OpenAPI document says a string (``{"amount": 150, ...}``: write ``"150.00"``). None has a ``by`` field: the
acting level is the bearer token's, and a body that sends ``by`` is refused (422), so a client cannot believe it
chose a level.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, ClassVar, Final, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    StrictInt,
    TypeAdapter,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from recovery_rules import (
    Alternative,
    CaseSummary,
    CaseView,
    Complaint,
    Event,
    InvalidInputError,
    Money,
    Problem,
    RecoveryModel,
    Remedy,
    Resolution,
)
from recovery_rules.metrics import Report

__all__ = [
    "AlternativeRequest",
    "AnswersRequest",
    "ApproveRequest",
    "CaseBody",
    "CaseList",
    "CaseResponse",
    "DecideRequest",
    "DecisionResponse",
    "DenyRequest",
    "EmptyRequest",
    "EscalateRequest",
    "EventBody",
    "NotesAnswersRequest",
    "NotesRequest",
    "OpenRequest",
    "PolicyCheckResponse",
    "PolicyResponse",
    "PreferredRequest",
    "ReportRequest",
    "ReportResponse",
    "ServiceRequest",
    "ServiceTime",
    "StepResponse",
    "json_number_amounts",
]


def _most_characters() -> JsonDict:
    """What the library's text fields take (it checks them, with its own message): said in the OpenAPI document."""
    return {"maxLength": 10_000}


_Notes = Field(
    default="",
    description="What was said or done, for the record (kept in the journal, never logged).",
    json_schema_extra=_most_characters(),
)

LOWEST_SCORE: Final = 1
HIGHEST_SCORE: Final = 5


def _score(value: object) -> object:
    """A JSON integer from 1 to 5; ``true``, ``3.0`` and ``"3"`` are not scores."""
    if type(value) is not int or not LOWEST_SCORE <= value <= HIGHEST_SCORE:
        raise PydanticCustomError(
            "satisfaction_score", "must be a whole number from 1 (not at all satisfied) to 5 (fully satisfied)"
        )
    return value


Score = Annotated[
    StrictInt,
    BeforeValidator(_score),
    Field(
        json_schema_extra={"minimum": LOWEST_SCORE, "maximum": HIGHEST_SCORE},
        description="The customer's satisfaction: a whole number from 1 (not at all satisfied) to 5 (fully "
        "satisfied); left out when not asked.",
    ),
]
"""A satisfaction score as JSON gives it: an integer from 1 to 5, never ``true`` or ``"3"`` (the library refuses
them; the API refuses them in its own words, with the bounds in the OpenAPI document)."""


TIME_EXAMPLE: Final = '"2026-11-23T09:30:00-05:00"'
_NUMBER_TEXT: Final = re.compile(r"\s*[-+]?[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?\s*")


def _not_a_number(value: object) -> object:
    """A time as JSON or a query string gives it: ISO 8601 text, never a number. pydantic would read ``1`` or
    ``"1700000000"`` as seconds since 1970 (or milliseconds, when large): a count that could mean either is not
    a time. The library refuses numbers for ``received_at`` in the same words."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER_TEXT.fullmatch(value)):
        raise PydanticCustomError(
            "time_number",
            f"must be a date and time with its UTC offset, such as {TIME_EXAMPLE} (a number is refused: seconds "
            "and milliseconds cannot be told apart)",
        )
    return value


ServiceTime = Annotated[dt.datetime, BeforeValidator(_not_a_number)]
"""A time in a request: ISO 8601 text, never a number (the OpenAPI document says ``date-time``)."""


_MONEY_SCHEMA: Final = TypeAdapter(Money).json_schema()


def _granted(value: object, info: ValidationInfo) -> Money | dict[str, object] | None:
    """One amount (``"150.00 USD"`` or ``{"amount": ..., "currency": ...}``), or an object of amounts by window,
    told apart by their keys. The amounts of an object are read by :func:`granted_amounts`, which places a problem
    at its window (``/granted/30d``); pydantic's errors cannot be placed inside a value read whole."""
    if value is None:
        return None
    if not isinstance(value, dict) or (value and set(value) <= {"amount", "currency"}):
        return _one_amount(value, info.context)  # an empty object is one with no window given: each is then required
    if {"amount", "currency"} & set(value):
        currency = context_currency(info.context)
        one, zero, most = (
            Money.from_minor_units(1250, currency).amount,
            Money.example(0, currency),
            Money.example(900, currency),
        )
        raise PydanticCustomError(
            "money",
            f'must be one amount ({{"amount": "{one}", "currency": "{currency}"}} or "{one} {currency}") or an object '
            f'of an amount for each of the policy\'s windows ({{"incident": "{zero} {currency}", "30d": "{most} '
            f'{currency}"}}), not both',
        )
    return dict(value)


def context_currency(context: object, written: object = None) -> str:
    """The currency of the examples in a message about an amount: ``written`` (the amount's own) when it is a
    currency code, else that of the validation ``context`` (``{"currency": "EUR"}``: the policy's, as the
    service validates a request), else dollars, as the library's messages."""
    for currency in (written, context.get("currency") if isinstance(context, dict) else None):
        if isinstance(currency, str):
            try:
                return Money.zero(currency).currency
            except InvalidInputError:  # not a currency code
                continue
    return "USD"


def _one_amount(value: object, context: object) -> Money:
    try:
        return Money.validate(value, context=context)
    except InvalidInputError as error:
        raise PydanticCustomError("money", "{message}", {"message": error.problems[0].message}) from None


def granted_amounts(
    granted: Money | dict[str, object] | None, currency: str | None = None
) -> Money | dict[str, Money] | None:
    """A request's ``granted``, its amounts per window read: :class:`~recovery_rules.InvalidInputError` placing
    each one that is not an amount at its window (``granted['30d']``, answered at ``/granted/30d``). ``currency``:
    the policy's, that of the examples in the problems."""
    if not isinstance(granted, dict):
        return granted
    amounts: dict[str, Money] = {}
    problems: list[Problem] = []
    for window, value in granted.items():
        try:
            amounts[window] = Money.validate(value, context={"currency": currency})
        except InvalidInputError as error:
            problems.append(Problem(f"granted[{window!r}]", error.problems[0].message))
    if problems:
        raise InvalidInputError("amount", problems)
    return amounts


_GRANTED_SCHEMA: Final[dict[str, Any]] = {
    "anyOf": [
        _MONEY_SCHEMA,
        {
            "type": "object",
            "description": "What was granted in each window of the policy, every window given: "
            '{"incident": "0.00 USD", "30d": "900.00 USD"}.',
            "additionalProperties": _MONEY_SCHEMA,
        },
        {"type": "null"},
    ]
}
Granted = Annotated[
    Money | dict[str, object] | None, PlainValidator(_granted), WithJsonSchema(_GRANTED_SCHEMA, mode="validation")
]
"""What a customer was already granted: one amount for every window, or an amount per window."""


JsonPlace = tuple[str | int, ...]
"""A place in a JSON document: the keys and indexes from its root (``("granted", "30d", "amount")``)."""

_MONEY_FORMS: Final = _MONEY_SCHEMA["anyOf"]
"""The forms of an amount the OpenAPI document gives: an object whose ``amount`` is a string, or a string."""
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _is_json_number(value: object) -> bool:
    return type(value) is int or type(value) is float  # not true or false, which Python counts as numbers


def _numbers_in(
    schema: Mapping[str, Any], defs: Mapping[str, Any], value: object, place: JsonPlace
) -> Iterator[tuple[JsonPlace, Mapping[str, Any]]]:
    """Each amount of ``value`` (read from JSON) written as a number where ``schema`` takes Money: its place, and
    the amount's object. Only the places the schema describes are read, so its depth bounds the walk."""
    while "$ref" in schema:
        schema = defs[str(schema["$ref"]).rsplit("/", 1)[-1]]
    if schema.get("anyOf") == _MONEY_FORMS:
        if isinstance(value, dict) and _is_json_number(value.get("amount")):
            yield (*place, "amount"), value
        return
    for branch in (*schema.get("anyOf", ()), *schema.get("oneOf", ()), *schema.get("allOf", ())):
        yield from _numbers_in(branch, defs, value, place)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        others = schema.get("additionalProperties")
        for key, item in value.items():
            inner = properties.get(key, others)
            if isinstance(inner, dict):
                yield from _numbers_in(inner, defs, item, (*place, key))
    elif isinstance(value, list):
        first = schema.get("prefixItems", ())
        rest = schema.get("items")
        for index, item in enumerate(value):
            inner = first[index] if index < len(first) else rest
            if isinstance(inner, dict):
                yield from _numbers_in(inner, defs, item, (*place, index))


def _location(place: JsonPlace) -> str:
    """A place as the library locates a problem: ``complaint.requested.amount``, ``granted['30d'].amount``."""
    parts = [
        f"[{part}]" if isinstance(part, int) else f".{part}" if _NAME.fullmatch(str(part)) else f"[{part!r}]"
        for part in place
    ]
    return "".join(parts).removeprefix(".")


def json_number_amounts(model: type[ServiceRequest], body: object, context: object = None) -> list[Problem]:
    """Each amount in ``body`` (a request for ``model``, read from JSON) written as a JSON number, not a string,
    where the OpenAPI document takes Money (``{"amount": 150, "currency": "USD"}``): a problem at the number's
    place saying to write it as a string, such as ``"150.00"``: in the amount's currency, else that of the
    validation ``context`` (see :func:`context_currency`).

    A client that sends numbers works on whole dollars and fails on the first amount with cents (a JSON number
    may reach the service as ``150.09999999999999``), so every number is refused, whole or not, as the document's
    pattern says. The library's own :class:`~recovery_rules.Money` takes ``int`` amounts from Python callers."""
    return list(_number_places(model, body, context).values())


def _number_places(model: type[ServiceRequest], body: object, context: object) -> dict[JsonPlace, Problem]:
    """:func:`json_number_amounts`, each problem by its place."""
    schema = model.request_schema
    found: dict[JsonPlace, Problem] = {}
    for place, money in _numbers_in(schema, schema.get("$defs", {}), body, ()):
        number = money["amount"]
        example = Money.example(number, context_currency(context, money.get("currency")))
        found.setdefault(
            place,
            Problem(
                _location(place),
                f'is the JSON number {number!r}; write the amount as a string, such as "{example}": a JSON number '
                "may not hold an amount exactly",
            ),
        )
    return found


def _amounts_as_text(value: object, places: set[JsonPlace], place: JsonPlace = ()) -> object:
    """``value`` with the numbers at ``places`` replaced by ``"0"``: to find the request's other problems."""
    if place in places:
        return "0"
    if not any(len(found) > len(place) and found[: len(place)] == place for found in places):
        return value
    if isinstance(value, dict):
        return {key: _amounts_as_text(item, places, (*place, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [_amounts_as_text(item, places, (*place, index)) for index, item in enumerate(value)]
    return value


class ServiceRequest(RecoveryModel):
    """The base of the API's request bodies: an amount written as a JSON number is refused wherever the body takes
    Money (see :func:`json_number_amounts`), as the OpenAPI document says (a string with a pattern).

    :meth:`model_validate` places each such number at its place in the body with the body's other problems;
    validating the model another way (FastAPI's) refuses it as a whole, naming the places."""

    request_schema: ClassVar[dict[str, Any]] = {}
    """The model's JSON schema (validation mode): where its bodies take Money."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.request_schema = cls.model_json_schema()

    @model_validator(mode="before")
    @classmethod
    def _amounts_are_text(cls, data: Any, info: ValidationInfo) -> Any:
        numbers = json_number_amounts(cls, data, info.context)
        if numbers:
            raise PydanticCustomError(
                "json_number_amount", "{problems}", {"problems": "; ".join(str(problem) for problem in numbers)}
            )
        return data

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:
        """As the library's: :class:`~recovery_rules.InvalidInputError` listing every problem at its place, each
        amount written as a JSON number included."""
        numbers = _number_places(cls, obj, kwargs.get("context"))
        if not numbers:
            return super().model_validate(obj, **kwargs)
        problems = list(numbers.values())
        try:
            super().model_validate(_amounts_as_text(obj, set(numbers)), **kwargs)
        except InvalidInputError as error:
            problems += error.problems
        raise InvalidInputError(cls.__name__, problems)


class DecideRequest(ServiceRequest):
    """A complaint to decide with the token's authority."""

    complaint: Complaint
    granted: Granted = Field(
        default=None,
        description="What the customer was already granted within the policy's window (zero when left out): "
        "a decision outside a case reads no journal. One amount counts in every window of the policy (its "
        "`window` and each cap's); an object gives each window its own, with every window of the policy as a key: "
        '`{"incident": "0.00 USD", "30d": "900.00 USD"}`.',
    )


class OpenRequest(ServiceRequest):
    """A complaint to open a case for; the token's employee handles it."""

    complaint: Complaint
    incident: str | None = Field(
        default=None,
        description="The complaint number of an earlier case of the same customer that this one follows up: "
        "its grants count against that incident's authority.",
    )


class EmptyRequest(ServiceRequest):
    """A step that takes nothing but the token (the body may be left out, or ``{}``)."""


class NotesRequest(ServiceRequest):
    """A step that records what was said."""

    notes: str = _Notes


class EscalateRequest(ServiceRequest):
    """The escalation: what was said, and the callback time the customer chose, if they chose one."""

    notes: str = _Notes
    callback_at: ServiceTime | None = Field(
        default=None,
        description="A callback time the customer chose, with its UTC offset; it must lie within the policy's bounds "
        "(business hours, the level's callback_within). Left out: the decision's callback_by.",
    )


class PreferredRequest(ServiceRequest):
    """The remedy the customer would prefer (the complaint's request when left out)."""

    remedy: Remedy | None = None
    notes: str = _Notes
    customer_agreed: StrictBool | None = Field(
        default=None,
        description="The customer's answer to the restatement, true or false (false: ask again); left out when not "
        "asked.",
    )


class AnswersRequest(ServiceRequest):
    """The customer's answers, when they gave them: satisfied or not, and a score from 1 to 5."""

    satisfied: StrictBool | None = Field(
        default=None, description="Whether the customer is satisfied, true or false; left out when not asked."
    )
    satisfaction: Score | None = None


class NotesAnswersRequest(AnswersRequest):
    """What was said, and the customer's answers, when they gave them."""

    notes: str = _Notes


class ApproveRequest(ServiceRequest):
    """An approval: of the remedy asked, or, with ``amount``, of less (a counter-offer the customer then accepts
    or declines)."""

    notes: str = _Notes
    amount: Money | None = Field(
        default=None, description='Approve this much instead of what was asked (a counter-offer), such as "150.00 USD".'
    )


class DenyRequest(ServiceRequest):
    """Why the escalated remedy is denied: what the customer will be told (the phrase check reads it)."""

    reason: str = Field(json_schema_extra=_most_characters())


class AlternativeRequest(AnswersRequest):
    """The alternative the customer accepts, by its ``id``, and their answers."""

    alternative_id: str


class ReportRequest(ServiceRequest):
    """The written report to a manager."""

    summary: str = Field(default="", json_schema_extra=_most_characters())
    to: str | None = Field(default=None, description="The level the report goes to (the policy's default if left out).")


class DecisionResponse(BaseModel):
    """A decision: the resolution, with the policy revision that made it and the complaint number."""

    policy_revision: str = Field(description="The SHA-256 revision of the policy that decided.")
    complaint_number: str = Field(description="The complaint number, such as 20261123-10442.")
    resolution: Resolution


class EventBody(BaseModel):
    """One recorded step of a case (its notes and data are in the case's fields)."""

    seq: int = Field(description="The event's position in the journal.")
    version: int = Field(description="The event's position in its case, from 1.")
    kind: str
    state: str
    actor: str = Field(description="The level that acted.")
    acting_for: str | None = Field(
        default=None, description="The absent level a delegate acted for, with its authority (the policy's delegates)."
    )
    employee: str | None = Field(default=None, description="The id of the employee who acted (the token's).")
    policy_revision: str | None = Field(default=None, description="The revision of the policy that recorded it.")
    at: dt.datetime
    grant: Money | None = None
    callback_due: dt.datetime | None = None

    @classmethod
    def of(cls, event: Event) -> EventBody:
        return cls(
            seq=event.seq,
            version=event.version,
            kind=event.kind,
            state=event.state,
            actor=event.actor,
            acting_for=_acting_for(event),
            employee=event.employee,
            policy_revision=event.policy_revision,
            at=event.at,
            grant=event.grant,
            callback_due=event.callback_due,
        )


def _acting_for(event: Event) -> str | None:
    """The absent level the event's delegate acted for (its data's ``acting_for``), if one did."""
    acting_for = event.data.get("acting_for")
    return acting_for if isinstance(acting_for, str) else None


class CaseBody(BaseModel):
    """A case as its recorded events say it stands."""

    model_config = ConfigDict(arbitrary_types_allowed=False)

    complaint_number: str
    state: str
    version: int = Field(description="How many events the case has.")
    allowed_steps: list[str] = Field(description="The steps allowed next: each is POST /v1/cases/{number}/{step}.")
    level: str = Field(description="The level of the employee who opened the case (who delivers good news).")
    employee: str | None = Field(default=None, description="The id of the employee who opened the case.")
    escalating_employee: str | None = Field(
        default=None, description="The id of the employee who escalated the case: they may not decide it."
    )
    complaint: Complaint
    incident: str | None = None
    granted: Money = Field(description="What this case granted the customer so far.")
    preferred: Remedy | None = None
    decision: Resolution | None = Field(default=None, description="The employee's decision, with its Plan B.")
    resolution: Resolution | None = Field(default=None, description="The latest decision (a manager's approval).")
    escalated_to: str | None = None
    callback_by: dt.datetime | None = Field(default=None, description="When the customer must hear back.")
    denied_by: str | None = None
    denial_reason: str | None = None
    offered_by: str | None = None
    alternatives_offered: list[Alternative] = Field(default_factory=list)
    offers: list[Alternative] = Field(
        default_factory=list,
        description=(
            "What the next step offering alternatives would offer, with the ledger as it stands, at the time of "
            "the step answered (a step's answer, a retry's too) or now (reading the case): before "
            "explain_denial, the two alternatives and the back-up (explained by the caller's level if it may "
            "explain a denial, else by the manager the case would choose); before make_final_offer, the final "
            "offer. Empty at any other point. The step chooses again when it is taken."
        ),
    )
    backup: Alternative | None = None
    final_offer: Alternative | None = None
    accepted: Alternative | None = None
    outcome: str | None = None
    report: dict[str, Any] | None = None
    counter_offer: Remedy | None = Field(default=None, description="What a manager approved instead of the remedy.")
    customer_agreed: bool | None = None
    satisfied: StrictBool | None = Field(
        default=None, description="Whether the customer is satisfied, true or false; left out when not asked."
    )
    satisfaction: Score | None = None
    events: list[EventBody]

    @classmethod
    def of(cls, view: CaseView, allowed: tuple[str, ...], offers: tuple[Alternative, ...] = ()) -> CaseBody:
        return cls(
            complaint_number=str(view.number),
            state=view.state.value,
            version=view.version,
            allowed_steps=list(allowed),
            level=view.level,
            employee=view.employee,
            escalating_employee=view.escalating_employee,
            complaint=view.complaint,
            incident=None if view.incident is None else str(view.incident),
            granted=view.granted,
            preferred=view.preferred,
            decision=view.decision,
            resolution=view.resolution,
            escalated_to=view.escalated_to,
            callback_by=view.callback_by,
            denied_by=view.denied_by,
            denial_reason=view.denial_reason,
            offered_by=view.offered_by,
            alternatives_offered=list(view.alternatives_offered),
            offers=list(offers),
            backup=view.backup,
            final_offer=view.final_offer,
            accepted=view.accepted,
            outcome=None if view.outcome is None else view.outcome.value,
            report=None if view.report is None else dict(view.report),
            counter_offer=view.counter_offer,
            customer_agreed=view.customer_agreed,
            satisfied=view.satisfied,
            satisfaction=view.satisfaction,
            events=[EventBody.of(event) for event in view.history],
        )


class CaseResponse(BaseModel):
    """A case, with the revision of the policy serving it now."""

    policy_revision: str
    complaint_number: str
    case: CaseBody


class StepResponse(BaseModel):
    """A step taken: the event it recorded, and the case as that event left it."""

    policy_revision: str
    complaint_number: str
    step: str
    event: EventBody
    case: CaseBody


class CaseSummaryBody(BaseModel):
    complaint_number: str
    state: str
    version: int
    opened_at: dt.datetime
    last_at: dt.datetime
    callback_by: dt.datetime | None = None

    @classmethod
    def of(cls, summary: CaseSummary) -> CaseSummaryBody:
        return cls(
            complaint_number=str(summary.number),
            state=summary.state,
            version=summary.version,
            opened_at=summary.opened_at,
            last_at=summary.last_at,
            callback_by=summary.callback_by,
        )


class CaseList(BaseModel):
    """Cases, most urgent first."""

    policy_revision: str
    now: dt.datetime
    cases: list[CaseSummaryBody]


class ReportResponse(BaseModel):
    """The service metrics of a period's cases: the document ``recovery-rules report --json`` prints."""

    policy_revision: str = Field(description="The revision of the policy the figures were read against.")
    report: Report


class PolicyResponse(BaseModel):
    """The policy being served."""

    policy_revision: str = Field(description="The SHA-256 revision of the policy being served, as every answer has.")
    name: str
    revision: str = Field(description="The same revision (this answer's subject).")
    currency: str
    timezone: str
    levels: list[str] = Field(description="The authority levels, lowest first: what a token's level may be.")


class PolicyCheckResponse(BaseModel):
    """A policy that loads: its name, revision and levels (one that does not is a 422 problem)."""

    policy_revision: str = Field(
        description="The revision of the policy the service serves (unchanged by a check), as every answer has."
    )
    valid: bool
    name: str
    revision: str = Field(description="The SHA-256 revision of the policy checked.")
    levels: list[str]
