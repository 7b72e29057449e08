"""``test``: policy test cases written as data, so a business can pin the behaviour it relies on.

A cases file (TOML or JSON) has optional ``defaults`` and a list of
``cases``. Each case is a decision (complaint, acting level, amount already
granted, time) and what the business expects of it::

    [defaults]
    by = "staff"
    now = 2026-11-23T15:00:00Z
    [defaults.complaint]
    customer = { id = "10442" }
    category = "room_not_ready"
    requested = { kind = "refund", amount = "100.00 USD" }
    received_at = 2026-11-23T09:30:00-05:00

    [[cases]]
    name = "one cent over the limit goes to the duty manager"
    complaint.requested.amount = "2000.01 USD"
    expect = { outcome = "escalated", escalate_to = "manager" }

A case's fields are merged over the defaults (tables key by key), so each case
writes only what differs.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Final, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from recovery_rules import (
    RULES,
    InvalidInputError,
    Money,
    Outcome,
    Policy,
    Problem,
    RecoveryModel,
    Resolution,
    Window,
)

from ._fields import WORD, FreeText, InputTime, Word
from ._records import Amount, DecisionRecord, amount_or_money

__all__ = [
    "CaseResult",
    "CaseValue",
    "CasesFile",
    "Expectation",
    "Mismatch",
    "PolicyTestCase",
    "case_problems",
    "case_problems_beside",
    "duplicate_names",
    "run_case",
]


def _level_or_false(value: object) -> object:
    if value is None or value is False:
        return value
    if isinstance(value, str) and WORD.fullmatch(value):
        return value
    raise PydanticCustomError("level", "must be the name of a level of the policy, or false for none")


def _amount_or_false(value: object, info: ValidationInfo) -> object:
    return value if value is False else amount_or_money(value, info)


LevelOrNone = Annotated[str | Literal[False] | None, BeforeValidator(_level_or_false)]
"""A level name, or ``false`` in a cases file: the field must be empty (no escalation, no level can grant it)."""

AmountOrNone = Annotated[Money | str | Literal[False] | None, BeforeValidator(_amount_or_false)]
"""An amount, or ``false``: no limit."""


_FALSE_FOR_NONE: Final = frozenset({"authorized_by", "escalate_to", "grantable_by", "actor_can_grant"})
"""The fields of :class:`Expectation` that take ``false`` for none."""


class Expectation(RecoveryModel):
    """What a case expects; every field left out is not checked.

    - ``outcome``: ``approved``, ``escalated`` or ``denied``.
    - ``authorized_by``, ``escalate_to``, ``delivered_by``, ``grantable_by``:
      level names, or ``false`` for none.
    - ``callback_by``: the promised callback time.
    - ``alternatives``: the ids of the alternatives offered, in order;
      ``alternatives_include``: ids that must be among them.
    - ``suggestions``: the ids of the extra-mile suggestions, in order.
    - ``total``, ``actor_can_grant``: amounts (``actor_can_grant = false``: no limit).
    - ``reason_contains``: words the reason must contain (at least one character, at most 10,000, as any free
      text of a policy file).
    - ``failed_rules``: the ids of the rules that did not pass, in trace order.
    """

    outcome: Outcome | None = None
    authorized_by: LevelOrNone = None
    escalate_to: LevelOrNone = None
    delivered_by: Word | None = None
    grantable_by: LevelOrNone = None
    callback_by: InputTime | None = None
    alternatives: tuple[str, ...] | None = None
    alternatives_include: tuple[str, ...] | None = None
    suggestions: tuple[str, ...] | None = None
    total: Amount = None
    actor_can_grant: AmountOrNone = None
    reason_contains: Annotated[FreeText, Field(min_length=1)] | None = None
    failed_rules: tuple[str, ...] | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: object, info: ValidationInfo) -> object:
        """A field written as ``null`` would check nothing, silently: it is refused, saying what to write."""
        if value is None:
            none = ", or false for none" if info.field_name in _FALSE_FOR_NONE else ""
            raise PydanticCustomError(
                "null", f"is null, which checks nothing; leave the field out not to check it{none}"
            )
        if info.field_name == "reason_contains" and value == "":  # every reason contains the empty text
            raise PydanticCustomError(
                "empty", "is empty, which checks nothing; write the words the reason must contain, or leave it out"
            )
        return value

    @model_validator(mode="after")
    def _expects_something(self) -> Expectation:
        if not self.model_fields_set:
            raise ValueError('expects nothing; add at least one field, such as outcome = "approved"')
        return self


NAME_LONGEST: Final = 500
"""The most characters of a test case's name (as a policy's contacts: more is a paragraph, not a name)."""


class PolicyTestCase(DecisionRecord):
    """One policy test case: a decision and what is expected of it."""

    _what: ClassVar[str] = "test case"

    name: Annotated[
        FreeText,
        Field(
            min_length=1,
            max_length=NAME_LONGEST,
            description="What the case pins, in words: at most 500 characters, and each case's own (a name two "
            "cases of a file share is refused: the report tells the cases apart by name).",
        ),
    ]
    expect: Expectation


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return override


class CasesFile(RecoveryModel):
    """A file of policy test cases: ``defaults`` merged under each of ``cases``."""

    defaults: dict[str, Any] = Field(default_factory=dict)
    cases: Annotated[tuple[PolicyTestCase, ...], Field(min_length=1, max_length=100_000)]

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The JSON Schema of a test-cases file as written: what ``defaults`` gives, a case may leave out."""
        schema = super().model_json_schema(*args, **kwargs)
        return _as_written(schema) if _for_validation(args, kwargs) else schema

    @field_validator("defaults")
    @classmethod
    def _no_name(cls, defaults: dict[str, Any]) -> dict[str, Any]:
        """A name is each case's own (the schema's ``Defaults`` has none): a default one would name every case
        that leaves its name out alike."""
        if "name" in defaults:
            raise PydanticCustomError(
                "name_default", "gives 'name', which is each case's own; give every case its name"
            )
        return defaults

    @model_validator(mode="before")
    @classmethod
    def _apply_defaults(cls, data: Any) -> Any:
        return _with_defaults(data)


def _with_defaults(data: Any) -> Any:
    """A test-cases file's ``data`` with its ``defaults`` merged under each of its cases."""
    if not isinstance(data, dict) or not isinstance(data.get("defaults", {}), dict):
        return data
    defaults = data.get("defaults", {})
    cases = data.get("cases")
    if defaults and isinstance(cases, list):
        data = {**data, "cases": [_merged_case(defaults, case) if isinstance(case, dict) else case for case in cases]}
    return data


_MONEY_KEYS: Final = frozenset({"amount", "currency"})


def _merged_case(defaults: dict[str, Any], case: dict[str, Any]) -> Any:
    """``case`` merged over ``defaults``; its ``granted`` over theirs as amounts are: one amount replaces a table
    of windows (and the other way round), and a window replaces the same window by any name (``720h``, ``30d``)."""
    merged = _merge(defaults, case)
    base, override = defaults.get("granted"), case.get("granted")
    if isinstance(base, dict) and isinstance(override, dict) and isinstance(merged, dict):
        one_amount = [bool(table) and set(table) <= _MONEY_KEYS for table in (base, override)]
        if one_amount[0] != one_amount[1]:
            merged["granted"] = override
        elif not one_amount[1]:
            given = {_window(name) for name in override} - {None}
            kept = {name: value for name, value in base.items() if _window(name) not in given}
            merged["granted"] = {**kept, **override}
    return merged


def _window(name: object) -> Window | None:
    try:
        return Window.parse(name) if isinstance(name, str) else None
    except InvalidInputError:
        return None


def _for_validation(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether a ``model_json_schema(*args, **kwargs)`` call asks for the input (validation) schema."""
    mode: object = kwargs.get("mode", args[3] if len(args) > 3 else "validation")
    return mode == "validation"


def _as_written(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` of a merged test-cases file turned into one of the file as written.

    Each case may leave out what ``defaults`` gives (any field but ``name``), and
    a case's complaint may give only the fields that differ from the default one.
    """
    schema = copy.deepcopy(schema)
    # A case of the file, as the published schema names it (the class is PolicyTestCase, beside the library's
    # Case), among the others in pydantic's order (by name).
    renamed = {"Case" if name == "PolicyTestCase" else name: value for name, value in schema["$defs"].items()}
    defs = schema["$defs"] = dict(sorted(renamed.items()))
    parts = {f"#/$defs/{name}": f"#/$defs/{name}Part" for name in ("Complaint", "Customer", "Remedy")}
    for ref, part_ref in parts.items():
        whole = defs[ref.rsplit("/", 1)[1]]
        part = {key: value for key, value in copy.deepcopy(whole).items() if key != "required"}
        for field in part["properties"].values():
            if field.get("$ref") in parts:
                field["$ref"] = parts[field["$ref"]]
        part["title"] = f"{whole['title']} (part)"
        part["description"] = f"Part of a {whole['title'].lower()}, merged over the one in defaults."
        defs[part_ref.rsplit("/", 1)[1]] = part
    case = defs["Case"]
    case["title"] = "Case"
    cases = schema["properties"]["cases"]
    cases["items"]["$ref"] = "#/$defs/Case"
    case["properties"]["complaint"] = {"$ref": parts["#/$defs/Complaint"]}
    case["required"] = ["name"]
    case["description"] = "One policy test case, merged over defaults: it writes only what differs."
    defs["Defaults"] = {
        "title": "Defaults",
        "description": "What every case has unless it says otherwise.",
        "type": "object",
        "additionalProperties": False,
        "properties": {name: field for name, field in case["properties"].items() if name != "name"},
    }
    schema["properties"]["defaults"] = {"$ref": "#/$defs/Defaults"}
    _without_null(defs["Expectation"])
    written: dict[str, Any] = _with_bare_amounts(schema)
    return written


def _without_null(expectation: dict[str, Any]) -> None:
    """``expectation``'s schema without ``null`` in its fields, which ``test`` refuses (it would check nothing):
    a field left out is not checked, so none has a default to write."""
    for name, field in expectation["properties"].items():
        field.pop("default", None)
        choices = [choice for choice in field.get("anyOf", ()) if choice != {"type": "null"}]
        if len(choices) == 1:
            del field["anyOf"]
            expectation["properties"][name] = {**choices[0], **field}
        elif choices:
            field["anyOf"] = choices


_BARE_AMOUNTS: Final[list[dict[str, Any]]] = [
    {"type": "string", "pattern": r"^-?[0-9]{1,16}(\.[0-9]{1,8})?$"},
    {"type": "integer"},
]
"""An amount in the policy's currency, as a test case may write it beside the forms of ``Money``: ``"60.00"``,
``60``."""


def _with_bare_amounts(node: Any) -> Any:
    """``node`` with each bare amount beside a ``Money`` (any text, in pydantic's schema) as a case writes it."""
    if isinstance(node, list):
        return [_with_bare_amounts(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _with_bare_amounts(value) for key, value in node.items()}
    choices = out.get("anyOf")
    if isinstance(choices, list) and any(isinstance(c, dict) and c.get("title") == "Money" for c in choices):
        bare = [choice for choice in choices if choice == {"type": "string"}]
        if bare:
            at = choices.index(bare[0])
            out["anyOf"] = [*choices[:at], *copy.deepcopy(_BARE_AMOUNTS), *choices[at + 1 :]]
    return out


# -- running --------------------------------------------------------------------


CaseValue = str | tuple[str, ...] | None
"""A value as a test-cases file writes it, for JSON: an outcome, a level name, a time (ISO 8601), an amount
in the policy's currency (``"150.00"``), a reason, a list of ids; ``None`` (``null``) where there is none."""


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A field whose value differs from what the case expects.

    ``expected`` and ``actual`` are written for people (``$40.00``, ``[a, b]``, ``none``);
    ``expected_value`` and ``actual_value`` are the same values as a test-cases file holds them
    (:data:`CaseValue`). For ``alternatives_include``, ``expected`` names only the ids that are missing,
    ``expected_value`` every id the case lists.
    """

    field: str
    expected: str
    actual: str
    expected_value: CaseValue
    actual_value: CaseValue


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One case's result: it passed when there are no mismatches."""

    name: str
    mismatches: tuple[Mismatch, ...]
    resolution: Resolution

    @property
    def passed(self) -> bool:
        return not self.mismatches


def duplicate_names(data: object) -> Iterator[Problem]:
    """A problem at the name of each case of a test-cases file's ``data`` (as read, valid or not) that an earlier
    case has already: the report would show both under one name, the second hiding the first."""
    cases = data.get("cases") if isinstance(data, dict) else None
    first: dict[str, int] = {}
    for i, case in enumerate(cases if isinstance(cases, list) else ()):
        name = case.get("name") if isinstance(case, dict) else None
        if not isinstance(name, str):
            continue
        if name in first:
            yield Problem(
                f"cases[{i}].name",
                f"is the name of cases[{first[name]}] too; give each case a name of its own, so that the report "
                "tells them apart",
            )
        else:
            first[name] = i


def case_problems(policy: Policy, cases: CasesFile) -> Iterator[Problem]:
    """What in ``cases`` cannot be decided with ``policy`` at all: unknown levels, currencies, remedy kinds, and
    (with ``strict_categories``) categories the policy does not list."""
    return _problems_of(policy, enumerate(cases.cases))


def case_problems_beside(policy: Policy, data: object) -> Iterator[Problem]:
    """:func:`case_problems` of the cases of ``data`` that are valid on their own (``defaults`` merged), when the
    file as a whole is not: so that one run lists the problems of every case, not those of its shape first."""
    merged = _with_defaults(data)
    raw = merged.get("cases") if isinstance(merged, dict) else None
    valid = []
    for i, case in enumerate(raw if isinstance(raw, list) else ()):
        try:
            valid.append((i, PolicyTestCase.model_validate(case)))
        except InvalidInputError:
            continue  # its own problems are listed already
    return _problems_of(policy, valid)


def _problems_of(policy: Policy, cases: Iterable[tuple[int, PolicyTestCase]]) -> Iterator[Problem]:
    levels = [level.name for level in policy.levels]
    for i, case in cases:
        at = f"cases[{i}]"
        if case.by not in levels:
            yield Problem(f"{at}.by", f"the policy has no level {case.by!r}; use one of: {', '.join(levels)}")
        for name in ("authorized_by", "escalate_to", "delivered_by", "grantable_by"):
            value = getattr(case.expect, name)
            if isinstance(value, str) and value not in levels:
                yield Problem(
                    f"{at}.expect.{name}", f"the policy has no level {value!r}; use one of: {', '.join(levels)}"
                )
        yield from _unknown_ids(policy, case.expect, f"{at}.expect")
        try:
            case.granted_under(policy)
        except InvalidInputError as error:
            yield from (Problem(f"{at}.{problem.location}", problem.message) for problem in error.problems)
        try:
            for name in ("total", "actor_can_grant"):
                _amount_in(getattr(case.expect, name), policy.currency, f"expect.{name}")
        except InvalidInputError as error:
            yield from (Problem(f"{at}.{problem.location}", problem.message) for problem in error.problems)
        requested = case.complaint.requested
        if requested.amount.currency != policy.currency:
            yield Problem(
                f"{at}.complaint.requested.amount",
                f"is in {requested.amount.currency} but the policy's currency is {policy.currency}",
            )
        if requested.kind not in policy.vocabulary:
            yield Problem(
                f"{at}.complaint.requested.kind",
                f"{requested.kind!r} is not a remedy kind of the policy; use one of: {', '.join(policy.vocabulary)}",
            )
        category = case.complaint.category
        if policy.strict_categories and category not in policy.categories:
            yield Problem(f"{at}.complaint.category", _unlisted_category(category, list(policy.categories)))


def _unlisted_category(category: str, listed: list[str]) -> str:
    """Why a complaint of ``category`` cannot be decided by a policy with ``strict_categories`` listing ``listed``."""
    return (
        f"{category!r} is not one of the policy's categories, and with strict_categories it refuses a complaint of "
        f"any other; {_use_one_of(category, listed)} (or add it to the policy's categories)"
    )


_SHOWN_IDS: Final = 12
"""How many known ids an unknown one's message lists; a catalog may hold thousands."""


def _unknown_ids(policy: Policy, expect: Expectation, at: str) -> Iterator[Problem]:
    """Alternative and rule ids ``expect`` names that ``policy`` can never give: a case that could never pass (a
    typo in an id) is refused, naming the ids it may use, not run to fail."""
    catalog = [alternative.id for alternative in policy.catalog]
    checks = (
        ("alternatives", catalog, "the policy's catalog has no alternative"),
        ("alternatives_include", catalog, "the policy's catalog has no alternative"),
        ("suggestions", catalog, "the policy's catalog has no alternative"),
        ("failed_rules", list(RULES), "there is no rule"),
    )
    for name, known, no_such in checks:
        for index, value in enumerate(getattr(expect, name) or ()):
            if value not in known:
                yield Problem(f"{at}.{name}[{index}]", f"{no_such} {value!r}; {_use_one_of(value, known)}")


def _use_one_of(value: str, known: list[str]) -> str:
    if not known:
        return "it has none, so expect none ([])"
    close = difflib.get_close_matches(value, known, n=1)
    guess = f"did you mean {close[0]!r}? " if close else ""
    if len(known) <= _SHOWN_IDS:
        return f"{guess}use one of: {', '.join(known)}"
    return f"{guess}use one of the {len(known):,}: {', '.join(known[:_SHOWN_IDS])}, ..."


def _amount_in(value: Money | str | bool | None, currency: str, location: str) -> Money | None:
    if value is None or value is False or value is True:
        return None
    if isinstance(value, str):
        try:
            return Money(value, currency)
        except InvalidInputError as error:
            raise InvalidInputError.at("amount", location, error.problems[0].message) from None
    if value.currency != currency:
        raise InvalidInputError.at(
            "amount", location, f"is in {value.currency} but the policy's currency is {currency}"
        )
    return value


def run_case(policy: Policy, case: PolicyTestCase) -> CaseResult:
    """Decide ``case`` with ``policy`` and compare with what it expects."""
    granted = case.granted_under(policy)
    resolution = policy.decide(case.complaint, by=case.by, granted=granted, now=case.decided_at)
    expect = case.expect
    mismatches: list[Mismatch] = []

    def compare(name: str, expected: object, actual: object) -> None:
        if expected != actual:
            mismatches.append(Mismatch(name, _show(expected), _show(actual), _value(expected), _value(actual)))

    if expect.outcome is not None:
        compare("outcome", expect.outcome, resolution.outcome)
    for name in ("authorized_by", "escalate_to", "delivered_by", "grantable_by"):
        expected = getattr(expect, name)
        if expected is not None:
            compare(name, None if expected is False else expected, getattr(resolution, name))
    if expect.callback_by is not None:
        compare("callback_by", expect.callback_by, resolution.callback_by)
    offered = tuple(alternative.id for alternative in resolution.alternatives)
    if expect.alternatives is not None:
        compare("alternatives", expect.alternatives, offered)
    if expect.alternatives_include is not None:
        missing = [wanted for wanted in expect.alternatives_include if wanted not in offered]
        if missing:
            mismatches.append(
                Mismatch(
                    "alternatives_include",
                    _show(tuple(missing)),
                    _show(offered),
                    expect.alternatives_include,
                    offered,
                )
            )
    if expect.suggestions is not None:
        compare("suggestions", expect.suggestions, tuple(alternative.id for alternative in resolution.suggestions))
    if expect.total is not None:
        compare("total", _amount_in(expect.total, policy.currency, "expect.total"), resolution.total)
    if expect.actor_can_grant is not None:
        compare(
            "actor_can_grant",
            _amount_in(expect.actor_can_grant, policy.currency, "expect.actor_can_grant"),
            resolution.actor_can_grant,
        )
    if expect.reason_contains is not None and expect.reason_contains not in resolution.reason:
        mismatches.append(
            Mismatch(
                "reason_contains",
                repr(expect.reason_contains),
                repr(resolution.reason),
                expect.reason_contains,
                resolution.reason,
            )
        )
    if expect.failed_rules is not None:
        compare(
            "failed_rules", expect.failed_rules, tuple(entry.rule for entry in resolution.trace if not entry.passed)
        )
    return CaseResult(case.name, tuple(mismatches), resolution)


def _show(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, Outcome):
        return value.value
    if isinstance(value, Money):
        return value.display()
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def _value(value: object) -> CaseValue:
    """``value`` as a test-cases file writes it: see :data:`CaseValue`."""
    if value is None:
        return None
    if isinstance(value, Outcome):
        return value.value
    if isinstance(value, Money):
        return str(value.amount)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return tuple(map(str, value))
    return str(value)
