"""``Policy``: a business's service-recovery rules, checked when they load."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Final, Literal, Self

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictBool,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic_core import PydanticCustomError

from recovery_rules._engine._resolution import Resolution
from recovery_rules._engine._rules import INFINITY, CompiledPolicy, compile_policy, decide
from recovery_rules._values._base import (
    ReadOnly,
    ReadOnlyDict,
    RecoveryModel,
    Suggestions,
    Text,
    Word,
    located_problems,
    non_empty,
    problems_from,
)
from recovery_rules._values._currencies import MINOR_UNITS
from recovery_rules._values._models import Complaint, NonNegativeMoney
from recovery_rules._values._money import Money, in_currency
from recovery_rules._values._shown import shown
from recovery_rules._values._time import Duration, TimeZoneName, Window, format_duration
from recovery_rules._wording._locale import LocaleTag, LocaleWording, wording_problems
from recovery_rules._wording._phrases import forbidden_phrases
from recovery_rules.exceptions import InvalidInputError, PolicyError, Problem, UnknownLevelError
from recovery_rules.files import SourceMap

from ._catalog import CatalogIndex
from ._file import MAX_POLICY_BYTES, parse_policy_text, read_policy_text
from ._parts import (
    ANY,
    DEFAULT_REMEDY_KINDS,
    Alternative,
    AuthorityLevel,
    BusinessHours,
    Cap,
    WordSet,
    _sorted_unique,
    no_unlimited_cap,
)
from ._schema import for_validation, with_file_shorthands

__all__ = ["Policy"]

_MOST_CATEGORIES: Final = 1000
_TEXT_FORMATS: Final = ("toml", "json", "yaml")


def _currency_code(value: str) -> str:
    if value not in MINOR_UNITS:
        if isinstance(value, str) and value.strip().upper() in MINOR_UNITS:
            raise PydanticCustomError(
                "currency",
                "must be an ISO 4217 currency code in capitals: {meant}",
                {"meant": repr(value.strip().upper())},
            )
        raise PydanticCustomError("currency", "must be an ISO 4217 currency code in capitals, such as 'USD'")
    return value


def _with_currency(value: object, currency: str) -> object:
    """A bare amount in a policy (``"2000.00"``, ``2000``) is in the policy's currency."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return {"amount": value, "currency": currency}
    if isinstance(value, str) and " " not in value and value != "unlimited":
        return {"amount": value, "currency": currency}
    return value


MIN_ALTERNATIVES: Final = 2
"""The fewest alternatives a policy may promise: "attempt to offer two alternative solutions" with a denial."""


def _each_once(value: tuple[str, ...]) -> tuple[str, ...]:
    twice = sorted({word for word in value if value.count(word) > 1})
    if twice:
        raise PydanticCustomError(
            "remedy_kinds", "lists {words} more than once; list each remedy kind once", {"words": ", ".join(twice)}
        )
    return value


def _at_least_two(value: int) -> int:
    if value < MIN_ALTERNATIVES:
        raise PydanticCustomError(
            "min_alternatives",
            "must be at least {least}, not {value}: a denial always offers the customer at least two "
            'alternatives ("attempt to offer two alternative solutions"); set min_alternatives = {least} or more '
            "(the default, 3, also keeps a final back-up offer)",
            {"least": MIN_ALTERNATIVES, "value": value},
        )
    return value


class Policy(RecoveryModel):
    """A business's service-recovery policy: who may grant what, and the Plan B catalog.

    - ``levels``: the authority ladder, lowest first.
    - ``window``: how far back a guest's earlier grants count against the levels'
      limits (and ``hard_cap``): ``"incident"``, ``"day"`` or a rolling ``"30d"``.
    - ``hard_cap``: the most any guest may be granted within ``window``, by anyone.
    - ``caps``: more hard caps, each counted in a window of its own
      (:class:`~recovery_rules.Cap`): with ``window = "incident"``, a cap per
      rolling 30 days bounds what a guest filing one complaint after another
      gets in all. One cap per window; every cap holds for every level.
    - ``min_alternatives``: how many alternatives every denial and escalation
      offers, at least 2 (3 by default: two to offer and a final back-up offer).
    - ``denials_delivered_by``: the level that delivers denials (a manager).
    - ``catalog``: the alternatives employees can offer instead of a bare "no".
    - ``refused_remedies``: remedy kinds never granted.
    - ``remedy_kinds``: the remedy vocabulary; ``categories``: the complaint
      categories the catalog speaks of (complaints of other categories still
      get the alternatives that apply to everything). Left out, they are the
      names in the catalog's ``applies_to`` that are not remedy kinds (listed,
      a name in ``applies_to`` that is neither is refused as a typo).
    - ``strict_categories``: with ``categories``, a complaint of a category the
      policy does not list is refused (``InvalidInputError`` naming the closest
      listed one) instead of decided as one the policy never heard of, with a
      warning in its trace (the default).
    - ``customer_noun``: what the business calls its customers in the reasons a
      decision gives: "the per-guest cap" by default, "the per-customer cap"
      for a shop that says ``customer``.
    - ``wording``: the policy's own wording per locale (``en``, ``es``...),
      overriding the built-in templates; see :class:`~recovery_rules.Wording`.
    - ``require_employee``: every step of a :class:`~recovery_rules.Case`
      (opening it too) must name the employee who takes it (``employee="E-0042"``);
      a step without one is refused and nothing is recorded. Off by default.
    - ``business_hours``: when the business calls customers back, per day of
      the week in ``timezone`` (``monday = "07:00-22:00"``, ``sunday = "closed"``,
      a ``default`` for the days left out, ``closed`` for the dates it is
      closed all day); a callback is promised
      only within them, ``callback_within`` counted in open time. Left out, the
      business is always open and durations are added in absolute time.
    - ``personal_call_within``: after a written report, the manager's personal
      call is promised this long after the report, counted in business hours
      (left out: no call is promised by a time).

    A policy that cannot keep its promises does not load: every problem is
    reported at once in a :class:`~recovery_rules.PolicyError`.

    A policy is a frozen value: ``==`` compares its fields, and it is hashable,
    so it can be a dict key, a member of a set, or an argument of a function
    cached with :func:`functools.cache` or :func:`functools.lru_cache`. Its hash
    is that of its :attr:`revision`, computed once when it is checked: equal
    policies hash equal, and so does a policy read back from its file or JSON
    form. (A copy changed without validation, with ``model_copy(update=...)``,
    is checked when first hashed, as when it first decides.)
    """

    _what: ClassVar[str] = "policy"

    name: Annotated[Text, Field(max_length=200), AfterValidator(non_empty)]
    description: Text = ""
    currency: Annotated[str, AfterValidator(_currency_code)]
    timezone: TimeZoneName = "UTC"
    window: Window
    levels: Annotated[tuple[AuthorityLevel, ...], Field(min_length=1, max_length=1000)]
    hard_cap: Annotated[NonNegativeMoney | None, BeforeValidator(no_unlimited_cap)] = None
    caps: Annotated[
        tuple[Cap, ...],
        Field(
            max_length=20,
            description="More hard caps, each counted in a window of its own ([[caps]] with limit and window, "
            "such as a cap per customer in any 30 days); one cap per window, and every cap holds for every level.",
        ),
    ] = ()
    min_alternatives: Annotated[
        int,
        Field(le=20, strict=True, json_schema_extra={"minimum": MIN_ALTERNATIVES}),  # strict: true is not 1
        AfterValidator(_at_least_two),
    ] = 3
    denials_delivered_by: Word
    catalog: Annotated[tuple[Alternative, ...], Field(max_length=10_000)] = ()
    refused_remedies: WordSet = ()
    remedy_kinds: Annotated[tuple[Word, ...], Field(min_length=1, max_length=100), AfterValidator(_each_once)] = (
        DEFAULT_REMEDY_KINDS
    )
    categories: Annotated[tuple[Word, ...], Field(max_length=_MOST_CATEGORIES), AfterValidator(_sorted_unique)] = ()
    strict_categories: StrictBool = False
    customer_noun: Word = "guest"
    require_employee: Annotated[
        StrictBool,
        Field(
            description="Every step of a case (opening it too) must name the employee who takes it, by an "
            "employee id such as 'E-0042'; a step without one is refused and nothing is recorded."
        ),
    ] = False
    wording: Annotated[Mapping[LocaleTag, LocaleWording], Field(max_length=100), ReadOnly] = Field(
        default_factory=ReadOnlyDict
    )
    business_hours: Annotated[
        BusinessHours | None,
        Field(
            description="When the business calls customers back, per day of the week in the policy's timezone "
            '(monday = "07:00-22:00", sunday = "closed", a default for the days left out), and the dates it is '
            'closed all day (closed = ["2026-12-25", "--01-01"]): a callback is promised only within these '
            "hours, callback_within counted in open time. Left out: always open."
        ),
    ] = None
    personal_call_within: Annotated[
        Duration | None,
        Field(
            description="After a written report, the manager's personal call is promised this long after the "
            "report (such as '4h'), counted in business hours. Left out: no call is promised by a time."
        ),
    ] = None

    # The compiled indexes live in a slot of the instance's own, outside pydantic's fields and private
    # attributes: a copy made with model_copy (which skips validation) has none, so it cannot decide with the
    # indexes of the policy it was copied from.
    __slots__ = ("_compiled_policy",)

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The JSON Schema of a policy as written in a file: every shorthand ``from_file`` reads included.

        Bare amounts in the policy's currency (``"2000.00"``), ``"unlimited"`` limits, short durations
        (``"2h"``) and a ``"$schema"`` key are described, so an editor using it flags no valid file.
        """
        schema = super().model_json_schema(*args, **kwargs)
        return with_file_shorthands(schema) if for_validation(args, kwargs) else schema

    @classmethod
    def _invalid(cls, error: ValidationError) -> Exception:
        return PolicyError([_moved(problem) for problem in problems_from(error, model=cls)])

    # -- reading ------------------------------------------------------------
    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Self:
        """Load a policy from a TOML, JSON or YAML file (YAML needs the ``yaml`` extra).

        A :class:`PolicyError` names the file (``source``) and gives each problem
        its ``line`` and ``column`` in it, where they can be found.
        """
        text, format, source = read_policy_text(path)
        return cls._from_text(text, format, source)

    @classmethod
    def from_text(cls, text: str, *, format: Literal["toml", "json", "yaml"] = "toml") -> Self:
        """Load a policy from the text of a policy file.

        A :class:`PolicyError` gives each problem its ``line`` and ``column`` in
        ``text``, where they can be found.
        """
        if not isinstance(text, str):  # the type first: bytes, None or a dict would fail deep in a parser
            decode = "; decode it first: text.decode('utf-8')" if isinstance(text, bytes | bytearray) else ""
            said = f"the text must be a str, the policy file's text, not {shown(text)}{decode}"
            raise PolicyError([Problem("", said)])
        if type(format) is not str or format not in _TEXT_FORMATS:
            raise PolicyError([Problem("", f"unknown format {shown(format)}; use toml, json or yaml")])
        return cls._from_text(text, format, None)

    @classmethod
    def _from_text(cls, text: str, format: Literal["toml", "json", "yaml"], source: str | None) -> Self:
        try:
            return cls.model_validate(parse_policy_text(text, format, source=source or f"<{format} text>"))
        except PolicyError as error:
            if len(text) > MAX_POLICY_BYTES:  # refused for its length: nothing to place, and nothing to parse
                raise
            # Only a policy that does not load pays for placing its problems in the text; they are listed in
            # the order of the text, as a reader fixes them (those with no place in it last).
            located = sorted(SourceMap(text, format).locate(error.problems), key=_in_text_order)
            raise PolicyError(located, source=error.source or source) from None

    # -- checks -------------------------------------------------------------
    @model_validator(mode="before")
    @classmethod
    def _as_written(cls, data: Any) -> Any:
        return _file_shorthands(data)

    @model_validator(mode="after")
    def _keeps_its_promises(self) -> Self:
        crowded: list[Problem] = []
        if not self.categories:  # none listed: the catalog's own names that are not remedy kinds are categories
            vocabulary = set(self.vocabulary)
            named = {name for item in self.catalog for name in item.applies_to if name != ANY}
            derived = named - vocabulary
            if len(derived) > _MOST_CATEGORIES:  # none would be a category: their own alternatives never offered
                crowded.append(
                    Problem(
                        "catalog",
                        f"applies_to names {len(derived)} categories, more than the {_MOST_CATEGORIES} a policy may "
                        'have; write alternatives for fewer categories (or for remedy kinds, or "*")',
                    )
                )
            elif derived:
                object.__setattr__(self, "categories", tuple(sorted(derived)))  # still being built
        parts = _Parts.of(self)
        problems = [*crowded, *_problems(parts)]
        if not problems:
            compiled = compile_policy(self)
            problems = list(_plan_b_gaps(parts, compiled.catalog))
        elif _plan_b_checkable(parts, problems):
            problems.extend(_plan_b_gaps(parts, CatalogIndex(self.catalog, self.categories)))
        if problems:
            raise located_problems(problems)
        object.__setattr__(self, "_compiled_policy", compiled)  # the policy's own slot, set once, when checked
        return self

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        # When a field is not valid, pydantic stops before the checks that compare fields: run them here on the
        # fields (and the levels and alternatives) that are valid, so that one PolicyError lists every problem.
        try:
            return handler(data)
        except ValidationError as error:
            found = _problems_beside(cls, data, error)
            given = problems_from(error, model=cls)
            # An amount's problem gives its example in the policy's currency, when the policy has a valid one.
            currency = data.get("currency") if isinstance(data, dict) else None
            said = [replace(problem, message=in_currency(problem.message, currency)) for problem in given]
            if not found and said == given:
                raise
            raise located_problems([*said, *found]) from None

    def __eq__(self, other: object) -> bool:
        # Two policies are equal when their fields are; the compiled indexes follow from them.
        if not isinstance(other, Policy):
            return NotImplemented
        # ... and when they decide alike: one changed past validation (object.__setattr__) still decides with the
        # indexes it was compiled into, and hashes by their revision, so it equals only a policy of that revision.
        return (
            type(self) is type(other)
            and self.__dict__ == other.__dict__
            and compiled_policy(self).revision == compiled_policy(other).revision
        )

    def __hash__(self) -> int:
        # Equal policies have equal fields, and the revision is a hash of the fields as validated (every value
        # in one spelling: amounts in their currency's places, durations in ISO 8601), so equal policies have
        # one revision. It was computed when the policy was checked: hashing costs a lookup, not a dump.
        return hash(compiled_policy(self).revision)

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        # A policy travels (to a worker process, say) as its fields, and is checked and compiled again there.
        return (type(self).model_validate, (self.model_dump(),))

    # -- use ----------------------------------------------------------------
    @property
    def vocabulary(self) -> tuple[str, ...]:
        """Every remedy kind a complaint may ask for: ``remedy_kinds`` plus ``refused_remedies``."""
        kinds, refused = self.remedy_kinds, self.refused_remedies
        if not (isinstance(kinds, tuple) and isinstance(refused, tuple)):  # a copy changed past validation
            compiled_policy(self)  # checked now: PolicyError with its problems, not a TypeError from here
            kinds, refused = tuple(kinds), tuple(refused)
        return kinds + tuple(kind for kind in refused if kind not in kinds)

    @property
    def windows(self) -> tuple[Window, ...]:
        """Every window this policy counts grants in, each once: its ``window`` first, then each cap's. What
        :meth:`decide` takes an amount for, one per window, when ``granted`` is given apart."""
        return compiled_policy(self).windows

    @property
    def revision(self) -> str:
        """A stable hash of this policy's content (SHA-256, 64 lower-case hexadecimal digits).

        The same policy has the same revision whatever the file format (TOML,
        JSON, YAML), key order or spelling of its values (``"2000"`` and
        ``"2000.00"``; ``"2h"`` and ``"120m"``), whether settings at their
        defaults are written out or left out, and whether business hours are
        written day by day or with a ``default`` (they count as the week they
        mean: each day's periods, touching ones joined), a locale tag's case
        (``en-gb`` is ``en-GB``), an empty ``contact`` or ``directions``
        (never said, as one left out), or a level's ``may_grant`` listing
        every remedy kind, refused ones included (as one left out); any change to what it decides or
        says changes it. Texts are hashed as written: the same word in
        another Unicode normalization (NFC, NFD), another name of one time
        zone (``UTC``, ``Etc/UTC``) or a built-in setting written out in a
        locale (``clock = "12h"`` in English) gives another revision. Every
        :class:`~recovery_rules.Resolution` and journal event records the
        revision that decided it, so a pilot can compare revisions of a policy.
        """
        return compiled_policy(self).revision

    def level(self, name: str) -> AuthorityLevel:
        """The level called ``name``; :class:`~recovery_rules.UnknownLevelError` if there is none."""
        for level in self.levels:
            if isinstance(name, str) and level.name == str.__str__(name):
                return level
        raise UnknownLevelError(name, [level.name for level in self.levels], location="name")

    def decide(
        self,
        complaint: Complaint,
        *,
        by: str,
        granted: Money | Mapping[str, Money] | Mapping[Window, Money] | None = None,
        now: dt.datetime | None = None,
        employee: str | None = None,
    ) -> Resolution:
        """Decide what an employee of level ``by`` may do about ``complaint``.

        ``granted`` is what this guest was already granted (zero when omitted):
        one amount, counted in every window the policy has (its ``window`` and
        each cap's), or a mapping with an amount per window, such as
        ``{"incident": Money("500.00", "USD"), "30d": Money("8000.00", "USD")}``
        (a :class:`~recovery_rules.Case` reads them from the journal); ``now`` is the time of the decision (the
        current time when omitted; pass it for reproducible results). Only the
        instant counts: the resolution's ``decided_at`` and ``callback_by`` are
        in UTC, the callback ``callback_within`` after ``now``: in real time, or
        counted in open time when the policy has ``business_hours``.

        Returns a :class:`~recovery_rules.Resolution`; raises
        :class:`~recovery_rules.InvalidInputError` only for misuse: an unknown
        level, a foreign currency, a remedy kind outside the vocabulary, a
        naive ``now`` (or one whose ``tzinfo`` fails to give its offset: whatever
        it raises, the error is an ``InvalidInputError`` at ``now``) or one too far
        in the future to promise a callback, and a complaint or ``granted`` that
        breaks the models' rules (changed with ``model_copy(update=...)`` or built
        with ``model_construct``, which do not validate: a negative amount, a
        float, a naive time or one whose ``tzinfo`` fails...), and an
        ``employee`` that is not an employee id. Pure and thread-safe.

        ``employee`` is the id of the employee who asks (``"E-0042"``: an id,
        never a name), carried into the resolution's ``employee``; the
        resolution's ``policy_revision`` is this policy's :attr:`revision`. Its
        ``complaint_number`` is the complaint's own ``number``, or, when it set
        none, the business's date (the day ``received_at`` falls on in this
        policy's ``timezone``, whatever zone it was given in) and the customer
        number: the number :meth:`Case.open <recovery_rules.Case.open>` files the
        complaint's first case of that day under.

        The complaint is checked however it was built: an amount is exactly a
        ``Decimal`` (a subclass is refused, as is a subclass of ``Money`` that
        redefines its amount), and the decision uses the values checked, read once.
        """
        return decide(compiled_policy(self), complaint, by, granted, now, employee=employee)


def compiled_policy(policy: Policy) -> CompiledPolicy:
    """The indexes ``policy`` was compiled into when it was checked.

    A policy copied or changed without validation (``copy.deepcopy``, ``model_copy(update=...)``,
    ``model_construct``) has none: it is checked now, as if loaded, and refused with its problems
    (:class:`PolicyError`) if it no longer keeps its promises, so no decision is ever made with the
    indexes of another policy, or with promises nobody checked.
    """
    try:
        compiled: CompiledPolicy = policy._compiled_policy  # type: ignore[attr-defined]  # the slot, set when checked
    except AttributeError:
        if not isinstance(policy, Policy):
            raise InvalidInputError.at("policy", "", "must be a Policy, such as Policy.from_file(path)") from None
        checked = type(policy).model_validate(policy.model_dump())  # raises PolicyError, with every problem
        compiled = checked._compiled_policy  # type: ignore[attr-defined]  # set by the validation just done
        object.__setattr__(policy, "_compiled_policy", compiled)  # the same fields: the same indexes
    return compiled


# -- reading a policy as written ------------------------------------------------


def _in_text_order(problem: Problem) -> tuple[bool, int, int]:
    return (problem.line is None, problem.line or 0, problem.column or 0)


def _file_shorthands(data: Any) -> Any:
    """``data`` with what a policy file may write for short read as the fields it stands for.

    A JSON or YAML policy may name its JSON Schema (``"$schema": ".../policy.schema.json"``) so that editors
    complete and check it; the key is for editors, not part of the policy. A bare amount (``"2000.00"``,
    ``2000``) is in the policy's currency.
    """
    if not isinstance(data, dict):
        return data
    if isinstance(data.get("$schema"), str):
        data = {key: value for key, value in data.items() if key != "$schema"}
    # With a missing or invalid currency, the currency field's own error is the one to report: reading the
    # bare amounts in a stand-in currency keeps each amount's other problems without repeating it.
    given = data.get("currency")
    currency = given if isinstance(given, str) and given in MINOR_UNITS else "USD"
    data = dict(data)
    if "hard_cap" in data:
        data["hard_cap"] = _with_currency(data["hard_cap"], currency)
    if isinstance(data.get("caps"), (list, tuple)):
        data["caps"] = [
            {**cap, "limit": _with_currency(cap["limit"], currency)}
            if isinstance(cap, dict) and "limit" in cap
            else cap
            for cap in data["caps"]
        ]
    if isinstance(data.get("levels"), (list, tuple)):
        levels = []
        for raw in data["levels"]:
            level = dict(raw) if isinstance(raw, dict) else raw
            if isinstance(level, dict):
                if "limit" in level:
                    level["limit"] = _with_currency(level["limit"], currency)
                if isinstance(level.get("tier_limits"), dict):
                    level["tier_limits"] = {
                        tier: _with_currency(amount, currency) for tier, amount in level["tier_limits"].items()
                    }
            levels.append(level)
        data["levels"] = levels
    if isinstance(data.get("catalog"), (list, tuple)):
        data["catalog"] = [
            {**entry, "value": _with_currency(entry["value"], currency)}
            if isinstance(entry, dict) and "value" in entry
            else entry
            for entry in data["catalog"]
        ]
    return data


_CLOSED_DATES_KEYS: Final = frozenset({"closed", "holidays", "closed_dates", "closed_days"})
"""Names a policy author may give closed dates at the top of the file, where they are not read."""


def _moved(problem: Problem) -> Problem:
    """``problem``, saying where closed dates go when it is closed dates written outside ``[business_hours]``."""
    if problem.location in _CLOSED_DATES_KEYS and problem.message.startswith("is not a field"):
        return replace(
            problem,
            message="is not a field of the policy: closed dates (holidays) go in the [business_hours] table, "
            'beside the opening hours they close (closed = ["2026-12-25"] under default = "09:00-17:00")',
        )
    return problem


# -- load-time guarantees ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Parts:
    """The parts of a policy the checks below compare, and which of them are known to be valid.

    For a policy whose fields are all valid, every part is known. When some are not, pydantic stops before
    any check that compares fields; the parts that are valid (a field, or one level or alternative of a list
    with others that are not) are still checked, each check only on parts it can trust: one
    :class:`PolicyError` then lists every problem, and none that only follows from another.
    ``levels`` and ``catalog`` hold the valid entries with their place in the list.
    """

    known: frozenset[str]
    """The fields whose values below are valid (the others hold a stand-in that no check reads)."""
    levels: tuple[tuple[int, AuthorityLevel], ...]
    every_level: bool
    catalog: tuple[tuple[int, Alternative], ...]
    every_alternative: bool
    currency: str = ""
    timezone: str = "UTC"
    window: Window | None = None
    hard_cap: Money | None = None
    caps: tuple[Cap, ...] = ()
    min_alternatives: int = 3
    denials_delivered_by: str = ""
    refused_remedies: tuple[str, ...] = ()
    remedy_kinds: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    strict_categories: bool = False
    wording: Mapping[str, LocaleWording] = field(default_factory=dict)
    business_hours: BusinessHours | None = None
    personal_call_within: dt.timedelta | None = None
    level_names: tuple[str, ...] | None = None
    """The name of every level, valid or not, when each has a valid one (a level whose ``callback_within`` is
    not valid still has its name); ``None`` when some name cannot be read. Only set when not every level is."""
    levels_written: int = 0
    """How many levels the policy lists, valid or not, when the list itself is valid (it may have too many, or be
    no list at all); only set when not every level is."""

    @property
    def every_name(self) -> list[str] | None:
        """The names of all the levels, in order; ``None`` when a level that is not valid may have any name."""
        if self.every_level:
            return [level.name for _, level in self.levels]
        return None if self.level_names is None else list(self.level_names)

    @classmethod
    def of(cls, policy: Policy) -> _Parts:
        """Every part of ``policy``, all of them valid."""
        return cls(
            known=_CHECKED_FIELDS,
            levels=tuple(enumerate(policy.levels)),
            every_level=True,
            catalog=tuple(enumerate(policy.catalog)),
            every_alternative=True,
            **{name: getattr(policy, name) for name in _CHECKED_FIELDS - _LISTED},
        )

    def has(self, *names: str) -> bool:
        """Whether every field in ``names`` is valid."""
        return self.known.issuperset(names)

    @property
    def vocabulary(self) -> tuple[str, ...] | None:
        """The policy's remedy kinds, as :attr:`Policy.vocabulary`; ``None`` when they are not known."""
        if not self.has("remedy_kinds", "refused_remedies"):
            return None
        return self.remedy_kinds + tuple(kind for kind in self.refused_remedies if kind not in self.remedy_kinds)


_LISTED: Final = frozenset({"levels", "catalog"})
"""The list fields whose entries are checked one by one."""
_CHECKED_FIELDS: Final = frozenset(name for name in _Parts.__dataclass_fields__ if name not in {"known"}) - {
    "every_level",
    "every_alternative",
    "level_names",
    "levels_written",
}
"""The fields of a policy the load-time checks compare."""

_ADAPTERS: dict[str, TypeAdapter[Any]] = {}
"""A validator per field of Policy, made the first time a policy with an invalid field needs it."""


def _field_value(model: type[Policy], name: str, value: object) -> object:
    """``value`` validated as ``model``'s field ``name``; :class:`ValidationError` if it is not valid."""
    adapter = _ADAPTERS.get(name)
    if adapter is None:
        info = model.model_fields[name]
        annotation: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        adapter = _ADAPTERS[name] = TypeAdapter(annotation)
    return adapter.validate_python(value)


def _problems_beside(model: type[Policy], data: Any, error: ValidationError) -> list[Problem]:
    """The problems the load-time checks find in the valid parts of ``data``, whose fields ``error`` refused."""
    details = error.errors(include_url=False, include_input=False)
    if not isinstance(data, dict) or any(not detail["loc"] for detail in details):
        return []  # not a table at all; or every field is valid and the checks have run
    data = _file_shorthands(data)
    refused = {detail["loc"][0] for detail in details}
    # A list whose items were refused is also "too short" when none is left: that refuses no item of it whole.
    items_refused = {detail["loc"][0] for detail in details if len(detail["loc"]) > 1}
    locations = {
        tuple(detail["loc"])
        for detail in details
        if not (detail["type"] == "too_short" and detail["loc"][0] in items_refused and len(detail["loc"]) == 1)
    }
    values: dict[str, Any] = {}
    level_names: tuple[str, ...] | None = None
    levels_written = 0
    entries: dict[str, tuple[tuple[int, Any], ...]] = {}
    whole: dict[str, bool] = {}
    for name in _CHECKED_FIELDS:
        info = model.model_fields[name]
        if name not in data:
            if not info.is_required():
                values[name] = info.get_default(call_default_factory=True)
        elif name not in refused:
            try:
                values[name] = _field_value(model, name, data[name])
            except ValidationError:
                continue
        if name in _LISTED:
            if name in values:
                entries[name], whole[name] = tuple(enumerate(values.pop(name))), True
                continue
            raw = data.get(name)
            item = AuthorityLevel if name == "levels" else Alternative
            valid = []
            for i, entry in enumerate(raw if isinstance(raw, (list, tuple)) else ()):
                with contextlib.suppress(ValidationError):  # its own problems are listed already
                    valid.append((i, item.__pydantic_validator__.validate_python(entry)))
            entries[name], whole[name] = tuple(valid), False
            if name == "levels" and isinstance(raw, (list, tuple)) and (name,) not in locations:
                level_names = _level_names(raw, dict(valid))  # a list refused as a whole names no level
                levels_written = len(raw)
    parts = _Parts(
        known=frozenset(values),
        levels=entries.get("levels", ()),
        every_level=whole.get("levels", False),
        catalog=entries.get("catalog", ()),
        every_alternative=whole.get("catalog", False),
        level_names=level_names,
        levels_written=levels_written,
        **values,
    )
    problems = list(_problems(parts))
    if _plan_b_checkable(parts, problems):
        problems.extend(_plan_b_gaps(parts, CatalogIndex([entry for _, entry in parts.catalog], parts.categories)))
    return problems


def _level_names(raw: Sequence[Any], valid: Mapping[int, AuthorityLevel]) -> tuple[str, ...] | None:
    """The names of the levels ``raw`` lists, the valid ones (``valid``, by place) and the others alike, when
    each of the others has a valid name; ``None`` when one has none (it may be meant as any level)."""
    names = []
    for i, entry in enumerate(raw):
        level = valid.get(i)
        if level is not None:
            names.append(level.name)
            continue
        try:
            names.append(_LEVEL_NAME.validate_python(entry.get("name") if isinstance(entry, Mapping) else None))
        except ValidationError:
            return None
    return tuple(names)


_LEVEL_NAME: Final[TypeAdapter[str]] = TypeAdapter(Word)
"""What a level's name must be, to read the name of a level whose other fields are not valid."""


def _read_as(title: str) -> str:
    """A level's title as a reader tells it from another: case, width, spacing and invisible characters aside."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    return " ".join("".join(c for c in folded if unicodedata.category(c) != "Cf").split())


def _problems(parts: _Parts) -> Iterator[Problem]:
    every_name = parts.every_name  # None: a level that is not valid may have any name
    names = every_name or [level.name for _, level in parts.levels]
    kinds = parts.vocabulary
    vocabulary = None if kinds is None else set(kinds)
    categories = set(parts.categories) if parts.has("categories") else None
    seen: set[str] = set()
    titles: dict[str, str] = {}
    kind_names = Suggestions(kinds or ())
    level_names = Suggestions(names)
    for i, level in parts.levels:
        at = f"levels[{i}]"
        if level.name in seen:
            yield Problem(f"{at}.name", f"{level.name!r} is used by more than one level; level names are unique")
        seen.add(level.name)
        read_as = _read_as(level.display_name)
        if read_as in titles:
            yield Problem(
                f"{at}.title",
                f"reads as the title of level {titles[read_as]!r}; give each level a title of its own, "
                "so that staff can tell which level a case went to",
            )
        titles.setdefault(read_as, level.name)
        if i > 0 and level.callback_within is None:
            yield Problem(
                f"{at}.callback_within",
                "is required: it is the callback promised when a case escalates to this level (for example '4h')",
            )
        for kind in level.may_grant or ():
            if vocabulary is not None and kind not in vocabulary:
                hint = kind_names.did_you_mean(kind, "; ")
                yield Problem(f"{at}.may_grant", f"{kind!r} is not a remedy kind of the policy{hint}")
        for delegate in level.delegates:
            if delegate == level.name:
                yield Problem(f"{at}.delegates", f"{level.name!r} cannot delegate to itself; name other levels")
            elif every_name is not None and delegate not in every_name:
                hint = level_names.did_you_mean(delegate, " (", ")")
                yield Problem(f"{at}.delegates", f"{delegate!r} names no level{hint}; use one of: {', '.join(names)}")
    for i, alternative in parts.catalog:
        for message in forbidden_phrases(alternative.description):
            yield Problem(f"catalog[{i}].description", message)
    if parts.has("wording"):
        yield from wording_problems(
            parts.wording,
            None if every_name is None or vocabulary is None else {*every_name, *vocabulary},
            {alternative.id for _, alternative in parts.catalog} if parts.every_alternative else None,
        )
    yield from _hours_problems(parts)
    if parts.has("denials_delivered_by") and every_name is not None and parts.denials_delivered_by not in names:
        hint = level_names.did_you_mean(parts.denials_delivered_by, " (", ")")
        yield Problem("denials_delivered_by", f"names no level{hint}; use one of: {', '.join(names)}")
    if parts.has("strict_categories", "categories") and parts.strict_categories and not categories:
        yield Problem("strict_categories", "needs the policy's categories: list them in categories, or leave it out")
    overlap = categories & vocabulary if categories is not None and vocabulary is not None else set()
    if overlap:
        yield Problem(
            "categories", f"{', '.join(sorted(overlap))} is both a category and a remedy kind; rename one of them"
        )
    yield from _currency_problems(parts)
    # The checks below compare amounts: only those in one currency (the others' currency is the problem).
    currency = _currency_of(parts)
    yield from _limit_problems(parts, currency)
    yield from _cap_problems(parts)
    yield from _catalog_problems(parts, vocabulary, categories, currency)


_LONGEST_PROMISE: Final = dt.timedelta(days=3660)
"""The furthest a promise counted in business hours may reach, by the calendar (about ten years)."""


def _hours_problems(parts: _Parts) -> Iterator[Problem]:
    """Every promise counted in business hours must come due within :data:`_LONGEST_PROMISE`.

    Open time is counted a week at a time: ``within`` needs ``within / weekly`` weeks, give or take a clock
    change, and one more for the week it starts in. The closed dates take open time away: each date at most
    its weekday's hours, each month-day every year at most the longest day's hours in each year the promise
    may span; the weeks that lost time is worth are added, so a promise that is refused never depends on
    where it starts.
    """
    hours = parts.business_hours
    if hours is None or not parts.has("business_hours", "timezone"):
        return
    weekly = dt.timedelta(minutes=hours.schedule(parts.timezone).weekly_minutes)
    day_minutes = [sum(end - start for start, end in hours.periods(day)) for day in range(7)]
    years = _LONGEST_PROMISE.days // 365 + 1
    lost = dt.timedelta(
        minutes=sum(
            max(day_minutes) * years if day.startswith("--") else day_minutes[dt.date.fromisoformat(day).weekday()]
            for day in hours.closed
        )
    )
    closed = f", less up to {format_duration(lost)} on the closed dates" if lost else ""
    promises = [(f"levels[{i}].callback_within", level.callback_within) for i, level in parts.levels]
    if parts.has("personal_call_within"):
        promises.append(("personal_call_within", parts.personal_call_within))
    for location, within in promises:
        if within is None:
            continue
        weeks = (within + lost) / weekly  # open time is counted a week at a time, give or take a clock change
        if (weeks + 1) * 7 > _LONGEST_PROMISE.days:
            yield Problem(
                location,
                f"{format_duration(within)} counted in business hours ({format_duration(weekly)} open a week"
                f"{closed}) would come due about {int(weeks) + 1} weeks later, beyond the ten years a promise may "
                f"reach; shorten it{', close fewer dates' if lost else ''} or open longer",
            )


_UNSETTLING: Final = re.compile(r"levels\[\d+\]\.may_grant|catalog\[\d+\]\.(?:kind|applies_to)")
"""Where a problem changes what the Plan B check would find: a level's kinds, an alternative's kind or reach."""


def _plan_b_checkable(parts: _Parts, problems: list[Problem]) -> bool:
    """Whether the Plan B check can tell anything about ``parts``: every part it reads is known, and no
    problem found so far changes what it would find (a gap it found would only follow from that problem).

    Every alternative must be valid: one that is not might fill a gap. The levels need not all be: each valid
    level's Plan B is checked on its own (its limit, its ``may_grant``, the caps and the catalog), so a gap
    found at one is there whatever the levels that are not valid turn out to be; those are checked once fixed.
    """
    return (
        parts.every_alternative
        and parts.has("remedy_kinds", "refused_remedies", "categories", "hard_cap", "caps", "min_alternatives")
        and not any(_UNSETTLING.fullmatch(problem.location) for problem in problems)
    )


def _plan_b_gaps(parts: _Parts, index: CatalogIndex) -> Iterator[Problem]:
    """Every denial must be able to offer ``min_alternatives`` options, whatever is left to grant.

    The worst case for a level is having nothing left to grant: then only free alternatives (value zero) fit,
    unless the level has no limit and there is no cap; and it offers no alternative of a remedy kind it may not
    grant (``may_grant``). Levels alike in both are checked once, under the lowest's name. Only the valid
    levels (``parts.levels``) are checked: a policy with a level that is not valid has its gaps at the others
    reported beside that level's problem. When no level is valid (the only one has a bad limit, say), the gap is
    checked once as the most any level could offer: no limit unless a cap bounds it, every remedy kind allowed.
    A gap found so is there whatever the levels turn out to be once fixed (a limit or ``may_grant`` only ever
    narrows what fits), so it is reported beside their problems; one that depends on them is not.

    Every listed category is checked, and one the policy does not list, unless ``strict_categories`` refuses
    such complaints (never deciding them): then that part is left out. When ``strict_categories`` is not
    valid, the listed categories alone are checked: whether the other part applies is not known.
    """
    capped = parts.hard_cap is not None or bool(parts.caps)
    kinds = parts.vocabulary or ()
    vocabulary = frozenset(kinds)
    need = parts.min_alternatives
    checked: set[tuple[bool, frozenset[str]]] = set()
    # The lowest level, when it is valid (the first valid one is not the lowest when the lowest is not valid).
    lowest = parts.levels[0][1] if parts.levels and parts.levels[0][0] == 0 else None
    # A complaint of a category the policy does not list is decided, and must get its Plan B too; unless the
    # policy refuses it (strict_categories with the categories listed; without them that is a problem of its own).
    unlisted = not (parts.categories and (parts.strict_categories or not parts.has("strict_categories")))
    categories: tuple[str | None, ...] = (*parts.categories, None) if unlisted else parts.categories
    levels: list[tuple[bool, frozenset[str], str]] = []  # each level's Plan B: unbounded, barred kinds, who
    for _, level in parts.levels:
        unbounded = not capped and level.limit is None and not level.tier_limits
        barred = frozenset() if level.may_grant is None else vocabulary.difference(level.may_grant)
        levels.append((unbounded, barred, f"the lowest level, {level.name}," if level is lowest else level.name))
    if not parts.levels and parts.levels_written:  # none is valid: the most any of them could offer
        names = parts.level_names
        levels.append((not capped, frozenset(), "the lowest level" + (f", {names[0]}," if names else "")))
    for unbounded, barred, who in levels:
        if (unbounded, barred) in checked:
            continue
        checked.add((unbounded, barred))
        budget = None if unbounded else Decimal(0)
        for category in categories:
            short: dict[int, list[str]] = {}  # the kinds asked for that would get too few, by how many they get
            for kind in kinds:
                found = index.shelf(category, kind).kinds_within(budget, barred)
                if len(found) < need:
                    short.setdefault(len(found), []).append(kind)
            if short:
                what = "a category the policy does not list" if category is None else f"category {category!r}"
                free = "" if unbounded else "free (value 0) "
                where = '"*"' if category is None else f'{category!r} or "*"'
                may = "" if not barred else f" of kinds it may grant (not {', '.join(sorted(barred))})"
                yield Problem(
                    "catalog",
                    f"a complaint of {what} asking for {_short_kinds(short, len(kinds))} would get fewer than "
                    f"{need} {free}"
                    f"alternatives of distinct kinds, which is what {who} must be able to offer with "
                    f"nothing left to grant; add {free}alternatives{may} whose applies_to includes {where}",
                )


def _short_kinds(short: dict[int, list[str]], every: int) -> str:
    """The remedy kinds a Plan B gap is found for, grouped by how many alternatives each would get: ``refund,
    credit or repair (1 found for each), voucher (0 found)``, or ``any remedy (0 found)`` when that is all
    ``every`` kind the policy knows (a policy without a catalog would otherwise list ten kinds)."""
    if len(short) == 1 and every > 1:
        ((count, kinds),) = short.items()
        if len(kinds) == every:
            return f"any remedy ({count} found)"
    groups = []
    for count, kinds in short.items():
        named = kinds[0] if len(kinds) == 1 else f"{', '.join(kinds[:-1])} or {kinds[-1]}"
        groups.append(f"{named} ({count} found{'' if len(kinds) == 1 else ' for each'})")
    return ", ".join(groups)


def _amounts(parts: _Parts) -> Iterator[tuple[str, Money]]:
    """Every amount of the policy's known parts, with its location."""
    if parts.has("hard_cap") and parts.hard_cap is not None:
        yield "hard_cap", parts.hard_cap
    if parts.has("caps"):
        yield from ((f"caps[{i}].limit", cap.limit) for i, cap in enumerate(parts.caps))
    for i, level in parts.levels:
        if level.limit is not None:
            yield f"levels[{i}].limit", level.limit
        yield from ((f"levels[{i}].tier_limits.{tier}", money) for tier, money in level.tier_limits.items())
    yield from ((f"catalog[{i}].value", alternative.value) for i, alternative in parts.catalog)


def _currency_problems(parts: _Parts) -> Iterator[Problem]:
    if not parts.has("currency"):
        return
    for location, money in _amounts(parts):
        if money.currency != parts.currency:
            yield Problem(location, f"is in {money.currency} but the policy's currency is {parts.currency}")


def _currency_of(parts: _Parts) -> str | None:
    """The currency whose amounts can be compared: the policy's; without a valid one, the one every amount is
    in (bare amounts are read in a stand-in), and ``None`` when they are in several."""
    if parts.has("currency"):
        return parts.currency
    currencies = {money.currency for _, money in _amounts(parts)}
    return currencies.pop() if len(currencies) == 1 else None


def _limit_problems(parts: _Parts, currency: str | None) -> Iterator[Problem]:
    if currency is None:
        return

    def show(amount: Decimal) -> str:
        return "unlimited" if amount is INFINITY else Money._trusted(amount, currency).display()

    def comparable(money: Money | None) -> bool:
        return money is None or money.currency == currency

    cap: Decimal | None = None  # None: not known, so nothing is compared with it
    if parts.has("hard_cap") and comparable(parts.hard_cap):
        cap = INFINITY if parts.hard_cap is None else parts.hard_cap.amount
    tiers = sorted({tier for _, level in parts.levels for tier in level.tier_limits})

    def limit(level: AuthorityLevel, tier: str | None) -> Money | None:
        return level.tier_limits.get(tier, level.limit) if tier is not None else level.limit

    def amount(money: Money | None) -> Decimal:
        return INFINITY if money is None else money.amount

    previous: tuple[int, AuthorityLevel] | None = None
    for i, level in parts.levels:
        at = f"levels[{i}]"
        if cap is not None and level.limit is not None and comparable(level.limit) and level.limit.amount > cap:
            yield Problem(f"{at}.limit", f"{show(level.limit.amount)} is above the hard cap of {show(cap)}")
        for tier_name, money in level.tier_limits.items():
            if cap is not None and comparable(money) and money.amount > cap:
                yield Problem(
                    f"{at}.tier_limits.{tier_name}", f"{show(money.amount)} is above the hard cap of {show(cap)}"
                )
        below = previous[1] if previous is not None and previous[0] == i - 1 else None
        previous = (i, level)
        if below is None:
            continue  # the lowest level, or the one below is not valid
        for tier in (None, *tiers):
            mine, theirs = limit(level, tier), limit(below, tier)
            if comparable(mine) and comparable(theirs) and amount(mine) < amount(theirs):
                whose = "limit" if tier is None else f"limit for the {tier} tier"
                field = f"{at}.limit" if tier is None or tier not in level.tier_limits else f"{at}.tier_limits.{tier}"
                yield Problem(
                    field,
                    f"{level.name}'s {whose} ({show(amount(mine))}) is below {below.name}'s "
                    f"({show(amount(theirs))}); levels are listed lowest first and a higher level "
                    "may grant at least what a lower one may",
                )


def _cap_problems(parts: _Parts) -> Iterator[Problem]:
    """One cap per window: two caps counting the same grants would be one cap, the lower, written twice.

    A cap below a level's limit is allowed (unlike ``hard_cap``, counted in the levels' own window): it bounds
    that level's grants across incidents, so the level's full authority is there only while the guest's total in
    the cap's window leaves room for it.
    """
    if not parts.has("caps"):
        return
    seen: dict[Window, str] = {}
    if parts.has("hard_cap", "window") and parts.hard_cap is not None and parts.window is not None:
        seen[parts.window] = f"hard_cap (which counts in the policy's window, {parts.window})"
    for i, cap in enumerate(parts.caps):
        other = seen.get(cap.window)
        if other is not None:
            yield Problem(
                f"caps[{i}].window",
                f"{str(cap.window)!r} is also the window of {other}; a window has one cap (the lower of two "
                "would always bind): keep one, or give this cap another window",
            )
        else:
            seen[cap.window] = f"caps[{i}]"


def _catalog_problems(
    parts: _Parts, vocabulary: set[str] | None, categories: set[str] | None, currency: str | None
) -> Iterator[Problem]:
    ids: set[str] = set()
    which, cap = "", INFINITY
    if parts.has("hard_cap", "caps"):
        bounds = [
            ("the hard cap", parts.hard_cap),
            *((f"the cap of caps[{i}]", c.limit) for i, c in enumerate(parts.caps)),
        ]
        which, cap = min(
            ((name, money.amount) for name, money in bounds if money is not None and money.currency == currency),
            key=lambda pair: pair[1],
            default=("", INFINITY),
        )
    refused = set(parts.refused_remedies) if parts.has("refused_remedies") else set()
    # A policy that lists no categories speaks of them only in its catalog: any name there is one of them.
    known = None if vocabulary is None or not categories else vocabulary | categories
    names = Suggestions(sorted(categories or ()) + sorted(vocabulary or ()))  # a category's name first
    for i, alternative in parts.catalog:
        at = f"catalog[{i}]"
        if alternative.id in ids:
            yield Problem(f"{at}.id", f"{alternative.id!r} is used by more than one alternative; ids are unique")
        ids.add(alternative.id)
        if alternative.kind in refused:
            yield Problem(f"{at}.kind", f"{alternative.kind!r} is a refused remedy, so it cannot be offered instead")
        if alternative.value.currency == currency and alternative.value.amount > cap:
            yield Problem(f"{at}.value", f"is above {which}, so no one could ever offer it")
        unknown = [name for name in alternative.applies_to if name != ANY and known is not None and name not in known]
        if unknown:
            if len(unknown) == 1:  # the closest name after what is wrong with it; with several, after each
                said, hint = repr(unknown[0]), names.did_you_mean(unknown[0], " (", ")")
            else:
                said, hint = ", ".join(f"{name!r}{names.did_you_mean(name, ' (', ')')}" for name in unknown), ""
            yield Problem(
                f"{at}.applies_to",
                f"{said} is neither a category of the policy nor a remedy kind{hint}; "
                "add it to categories or remedy_kinds, or fix the spelling",
            )
