"""The output of a decision: ``Outcome``, ``Resolution`` and its ``TraceEntry`` items."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, Final, Self

from pydantic import AwareDatetime, BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from recovery_rules._policy._parts import Alternative
from recovery_rules._values._base import EmployeeId, ReadOnly, ReadOnlyDict, RecoveryModel, read_only
from recovery_rules._values._models import ComplaintNumber, Remedy
from recovery_rules._values._money import Money, money_problems, valid_money
from recovery_rules._values._time import Window, is_aware
from recovery_rules._values._trusted import same_model, slot_setters
from recovery_rules.exceptions import InvalidInputError, Problem

__all__ = [
    "NO_FIGURES",
    "Outcome",
    "Resolution",
    "TraceEntry",
    "checked_resolution",
    "resolution_problems",
    "trusted_resolution",
    "trusted_trace_entry",
]


class Outcome(enum.StrEnum):
    """What the decision is."""

    APPROVED = "approved"
    """The acting employee may grant the remedy now, and delivers the good news."""
    ESCALATED = "escalated"
    """Beyond the acting employee's authority: a higher level decides; the employee promises a callback."""
    DENIED = "denied"
    """Nobody may grant it; a manager delivers the news, with the reason and alternatives."""


class TraceEntry(RecoveryModel):
    """One rule that took part in a decision.

    ``rule`` is a stable id (``cap.hard``, ``limit.authority``...), ``passed``
    whether the request passed that check, ``message`` the finding in words a
    support agent can read out, and ``figures`` the amounts it compared (a
    read-only mapping, as the entry is frozen). ``window``: the window a cap's
    figures count in (``incident``, ``day``, ``30d``), in a policy that counts
    grants in more than one (stacked caps); ``None`` otherwise, and then left out
    of the entry's JSON.
    """

    _what: ClassVar[str] = "trace entry"

    rule: str
    passed: bool
    message: str
    figures: Annotated[Mapping[str, Money], ReadOnly] = Field(default_factory=ReadOnlyDict)
    window: Window | None = Field(default=None, exclude_if=lambda window: window is None)


class Resolution(RecoveryModel):
    """The decision on a complaint, with everything needed to act on it and explain it.

    A ``DENIED`` or ``ESCALATED`` resolution always carries alternatives (Plan B):
    one without them cannot be constructed.

    - ``complaint_number``: the number the case is filed under: the complaint's
      own ``number``, or, when it set none, the business's date (the day it was
      received in the policy's time zone, whatever zone ``received_at`` was given
      in) and the customer number, as ``Case.open`` files it; ``policy``: the
      name of the policy that decided; ``acting_level``: the level that asked
      (``by``); ``decided_at``: when (``now``, in UTC).
    - ``remedy``: what was asked for; ``total``: it plus what the guest was
      already granted within the policy's window (``granted_before``).
    - ``reason``: why, in one sentence an employee can read out (the rule that
      decided; the whole story is in ``trace``).
    - ``authorized_by``: the level that grants it (``APPROVED`` only).
    - ``escalate_to`` and ``callback_by``: who decides next and by when the
      customer hears back (``ESCALATED`` only): the level's ``callback_within``
      after ``decided_at``, in UTC: in real time, or counted in the policy's
      ``business_hours`` when it has them (at a hotel whose callback hours end
      at 22:00, an escalation at 21:30 is called back the next morning).
    - ``delivered_by``: the level that tells the customer; the employee for good
      news and a promised callback, a manager for a denial.
    - ``alternatives``: what the acting employee can authorize right now instead,
      each of a different kind: those written for the complaint's category
      first, then for the remedy kind asked, then the generic ones; within
      each, free before paid; then the closest in value to what was asked.
    - ``suggestions``: with an approval, the policy's "extra mile" ideas for
      this kind of complaint (what to do instead, where else to go).
    - ``actor_can_grant``: the most the acting level can still grant this guest
      now, in the remedy kinds it may grant (``None``: no limit; a kind it may
      not grant does not make it zero); ``grantable_by``: the lowest level that could grant
      what was asked (``None``: none can).
    - ``trace``: every rule that decided, with the figures it compared.
    - ``employee``: the id of the employee who asked (``"E-0042"``, the
      ``employee=`` given to ``decide``), ``None`` when none was given.
    - ``policy_revision``: the revision of the policy that decided
      (:attr:`Policy.revision <recovery_rules.Policy.revision>`); ``None`` only in a
      resolution recorded by a release before revisions.
    """

    _what: ClassVar[str] = "resolution"

    complaint_number: ComplaintNumber
    policy: str
    outcome: Outcome
    remedy: Remedy
    acting_level: str
    granted_before: Money
    total: Money
    authorized_by: str | None = None
    escalate_to: str | None = None
    callback_by: AwareDatetime | None = None
    alternatives: tuple[Alternative, ...] = ()
    suggestions: tuple[Alternative, ...] = ()
    reason: str
    delivered_by: str
    actor_can_grant: Money | None = None
    grantable_by: str | None = None
    trace: tuple[TraceEntry, ...] = ()
    decided_at: AwareDatetime
    employee: EmployeeId | None = None
    policy_revision: Annotated[str, Field(pattern="^[0-9a-f]{64}$")] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = _outcome_problems(self)
        if problems:
            raise PydanticCustomError("resolution", "; ".join(problems))
        return self

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; with ``update``, validated as a new resolution is, so that none can drop its Plan B.

        Raises :class:`~recovery_rules.InvalidInputError` for a copy that breaks a resolution's rules (a
        denial or an escalation without alternatives, an approval with an escalation target...).
        """
        copied = super().model_copy(update=update, deep=deep)
        if not update:
            return copied
        return type(self).model_validate(dict(copied.__dict__))

    @property
    def approved(self) -> bool:
        """Whether the outcome is ``APPROVED``."""
        return self.outcome is Outcome.APPROVED


def _outcome_problems(resolution: Resolution) -> list[str]:
    """What breaks the rules of ``resolution``'s outcome (its fields of the right kinds); empty when nothing."""
    problems = []
    outcome, alternatives = resolution.outcome, resolution.alternatives
    if outcome is not Outcome.APPROVED and not alternatives:
        article = "an" if outcome is Outcome.ESCALATED else "a"
        problems.append(f"{article} {outcome.value} resolution must offer alternatives (Plan B); never a bare no")
    authorized_by, escalate_to = resolution.authorized_by, resolution.escalate_to
    if outcome is Outcome.APPROVED and (authorized_by is None or escalate_to is not None):
        problems.append("an approved resolution names authorized_by and has no escalate_to")
    if outcome is Outcome.ESCALATED and (escalate_to is None or resolution.callback_by is None):
        problems.append("an escalated resolution names escalate_to and callback_by")
    if outcome is Outcome.DENIED and (authorized_by is not None or escalate_to is not None):
        problems.append("a denied resolution has neither authorized_by nor escalate_to")
    kinds = [alternative.kind for alternative in alternatives]
    if len(set(kinds)) != len(kinds):
        problems.append("alternatives must be of distinct kinds")
    return problems


# -- a resolution changed behind its back ------------------------------------------
#
# ``object.__setattr__`` reaches past a frozen model and ``model_construct`` does not validate, so a resolution
# handed back by a host may hold anything in any field. What reads one (the wording, resolution_violations)
# checks it first, field by field, with exact-kind tests: nothing is worded, or judged, from a value that is not
# what a Resolution holds when it is built.

_TEXTS: Final = ("policy", "acting_level", "reason", "delivered_by")
_OPTIONAL_TEXTS: Final = ("authorized_by", "escalate_to", "grantable_by", "employee", "policy_revision")
_AMOUNTS: Final = ("granted_before", "total")
_UNVALIDATED: Final = (
    "object.__setattr__ and model_construct do not validate; use the Resolution Policy.decide returned, or "
    "check a changed one with Resolution.model_validate(resolution.model_dump())"
)


def _amount_problems(money: object, location: str, *, non_negative: bool = False) -> list[Problem]:
    """:func:`money_problems`, after a quick look that finds nothing wrong with exactly a valid Money."""
    if valid_money(money, non_negative=non_negative):
        return []
    return money_problems(money, location, non_negative=non_negative)


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _is_time(value: object) -> bool:
    return isinstance(value, dt.datetime) and is_aware(value)


def _alternative_problems(alternative: object, location: str) -> list[Problem]:
    if not isinstance(alternative, Alternative):
        return [Problem(location, f"must be an Alternative of the policy's catalog, not {type(alternative).__name__}")]
    fields = alternative.__dict__
    if _well_formed_alternative(fields):
        return []  # the careful look below would find nothing: it is only needed to say what is wrong
    problems = [
        Problem(f"{location}.{name}", "must be a str")
        for name in ("id", "kind", "description")
        if not _is_text(fields.get(name))
    ]
    problems += [
        Problem(f"{location}.{name}", "must be a str or None")
        for name in ("contact", "url", "directions")
        if fields.get(name) is not None and not _is_text(fields.get(name))
    ]
    problems += [
        Problem(f"{location}.{name}", "must be True or False")
        for name in ("refers_elsewhere", "extra_mile")
        if type(fields.get(name)) is not bool
    ]
    applies_to = fields.get("applies_to")
    if type(applies_to) is not tuple or not all(_is_text(word) for word in applies_to):
        problems.append(Problem(f"{location}.applies_to", "must be a tuple of str"))
    problems += _amount_problems(fields.get("value"), f"{location}.value", non_negative=True)
    return problems


def _well_formed_alternative(fields: dict[str, Any]) -> bool:
    """Whether an alternative's fields hold what :func:`_alternative_problems` looks for, in one look."""
    applies_to = fields.get("applies_to")
    return (
        isinstance(fields.get("id"), str)
        and isinstance(fields.get("kind"), str)
        and isinstance(fields.get("description"), str)
        and all(fields.get(name) is None or isinstance(fields.get(name), str) for name in _ALTERNATIVE_OPTIONAL)
        and type(fields.get("refers_elsewhere")) is bool
        and type(fields.get("extra_mile")) is bool
        and type(applies_to) is tuple
        and all(isinstance(word, str) for word in applies_to)
        and valid_money(fields.get("value"), non_negative=True)
    )


_ALTERNATIVE_OPTIONAL: Final = ("contact", "url", "directions")


def _well_formed_entry(fields: dict[str, Any]) -> bool:
    """Whether a trace entry's fields hold what :func:`_entry_problems` looks for, in one look."""
    window, figures = fields.get("window"), fields.get("figures")
    return (
        isinstance(fields.get("rule"), str)
        and isinstance(fields.get("message"), str)
        and type(fields.get("passed")) is bool
        and (window is None or type(window) is Window)
        and isinstance(figures, Mapping)
        and all(isinstance(name, str) and valid_money(money) for name, money in figures.items())
    )


def _entry_problems(entry: object, location: str) -> list[Problem]:
    if not isinstance(entry, TraceEntry):
        return [Problem(location, f"must be a TraceEntry, not {type(entry).__name__}")]
    fields = entry.__dict__
    if _well_formed_entry(fields):
        return []  # the careful look below would find nothing: it is only needed to say what is wrong
    problems = [
        Problem(f"{location}.{name}", "must be a str") for name in ("rule", "message") if not _is_text(fields.get(name))
    ]
    if type(fields.get("passed")) is not bool:
        problems.append(Problem(f"{location}.passed", "must be True or False"))
    window = fields.get("window")
    if window is not None and type(window) is not Window:
        problems.append(Problem(f"{location}.window", f"must be a Window or None, not {type(window).__name__}"))
    figures = fields.get("figures")
    if not isinstance(figures, Mapping):
        problems.append(Problem(f"{location}.figures", "must be a mapping of names to Money"))
        return problems
    for name, money in figures.items():
        if not _is_text(name):
            problems.append(Problem(f"{location}.figures", "must be a mapping of names (str) to Money"))
            continue
        problems += _amount_problems(money, f"{location}.figures[{name!r}]")
    return problems


def _sequence_problems(
    value: object, location: str, check: Callable[[object, str], list[Problem]], kind: str
) -> list[Problem]:
    if type(value) is not tuple:
        return [Problem(location, f"must be a tuple of {kind}, not {type(value).__name__}")]
    return [problem for i, item in enumerate(value) for problem in check(item, f"{location}[{i}]")]


def resolution_problems(resolution: Resolution, *, rules: bool = True) -> list[Problem]:
    """What is wrong with ``resolution``, however it was made; empty when nothing is.

    Each field is checked to hold what a :class:`Resolution` holds when it is built: the outcome exactly an
    :class:`Outcome`, the complaint number a :class:`ComplaintNumber`, texts ``str`` (or ``None`` where a
    field may be), amounts :class:`Money` holding a valid amount (:func:`money_problems`), times aware
    ``datetime``, alternatives and suggestions tuples of :class:`Alternative` (each of its fields too), the
    trace a tuple of :class:`TraceEntry` (its figures Money); then, those being right and with ``rules``,
    the rules of its outcome (an escalation names ``escalate_to`` and ``callback_by``, a refusal offers
    alternatives...).
    """
    fields = resolution.__dict__
    problems: list[Problem] = []
    if type(fields.get("outcome")) is not Outcome:
        problems.append(Problem("outcome", "must be an Outcome: Outcome.APPROVED, Outcome.ESCALATED or Outcome.DENIED"))
    if not isinstance(fields.get("complaint_number"), ComplaintNumber):
        problems.append(Problem("complaint_number", "must be a ComplaintNumber"))
    problems += [Problem(name, "must be a str") for name in _TEXTS if not _is_text(fields.get(name))]
    problems += [
        Problem(name, "must be a str or None")
        for name in _OPTIONAL_TEXTS
        if fields.get(name) is not None and not _is_text(fields.get(name))
    ]
    remedy = fields.get("remedy")
    if not isinstance(remedy, Remedy):
        problems.append(Problem("remedy", "must be a Remedy"))
    else:
        asked = remedy.__dict__
        problems += [
            Problem(f"remedy.{name}", "must be a str")
            for name in ("kind", "description")
            if not _is_text(asked.get(name))
        ]
        problems += _amount_problems(asked.get("amount"), "remedy.amount", non_negative=True)
    for name in _AMOUNTS:
        problems += _amount_problems(fields.get(name), name)
    if fields.get("actor_can_grant") is not None:
        problems += _amount_problems(fields.get("actor_can_grant"), "actor_can_grant")
    if not _is_time(fields.get("decided_at")):
        problems.append(Problem("decided_at", "must be a timezone-aware datetime"))
    if fields.get("callback_by") is not None and not _is_time(fields.get("callback_by")):
        problems.append(Problem("callback_by", "must be a timezone-aware datetime or None"))
    for name in ("alternatives", "suggestions"):
        problems += _sequence_problems(fields.get(name), name, _alternative_problems, "Alternative")
    problems += _sequence_problems(fields.get("trace"), "trace", _entry_problems, "TraceEntry")
    if rules and not problems:
        problems += [Problem("outcome", message) for message in _outcome_problems(resolution)]
    return problems


def checked_resolution(
    resolution: object, what: str, location: str = "resolution", *, rules: bool = True
) -> Resolution:
    """``resolution``, refused with :class:`~recovery_rules.InvalidInputError` (``what``) unless it is a
    :class:`Resolution` whose every field holds what one holds when built, and (with ``rules``) that keeps the
    rules of its outcome (see :func:`resolution_problems`)."""
    if not isinstance(resolution, Resolution):
        raise InvalidInputError.at(
            what, location, f"must be a Resolution from Policy.decide, not {type(resolution).__name__}"
        )
    problems = resolution_problems(resolution, rules=rules)
    if problems:
        last = problems[-1]
        problems[-1] = Problem(last.location, f"{last.message}. {_UNVALIDATED}")
        raise InvalidInputError(what, problems)
    return resolution


# -- the engine's fast path ------------------------------------------------------
#
# The engine upholds every invariant the models check (the tests prove it), so it
# builds its outputs without validation. pydantic's public way to do that is
# ``model_construct``, which walks every field looking for aliases and defaults
# on each call: 4.7 us for a Resolution and 2.2 us for a trace entry, where a whole
# decision takes 4 to 9 us. So the engine sets what ``model_construct`` sets (the
# instance's ``__dict__`` and pydantic's three per-instance slots) directly.
#
# That reaches into how pydantic lays out a model, which a pydantic release may
# change. So the fast builders are checked once, at import, against
# ``model_construct`` on a sample of each model: if they are not interchangeable
# (a slot renamed, another one added), the engine uses ``model_construct`` itself,
# slower but correct. tests/test_resolution_builders.py says which one is in use.

_new: Final = object.__new__


NO_FIGURES: Final[ReadOnlyDict[str, Money]] = ReadOnlyDict()
"""The ``figures`` of a trace entry that compares no amounts; safe to share, since nobody can change it."""


def _fast_trace_entry(
    rule: str, passed: bool, message: str, figures: Mapping[str, Money] = NO_FIGURES, window: Window | None = None
) -> TraceEntry:
    if type(figures) is not ReadOnlyDict:
        figures = ReadOnlyDict(figures)
    entry = _new(TraceEntry)
    _set_dict(entry, {"rule": rule, "passed": passed, "message": message, "figures": figures, "window": window})
    _set_fields_set(entry, _ENTRY_FIELDS)
    _set_extra(entry, None)
    _set_private(entry, None)
    return entry


def _fast_resolution(fields: dict[str, Any]) -> Resolution:
    resolution = _new(Resolution)
    _set_dict(resolution, fields)
    _set_fields_set(resolution, _RESOLUTION_FIELDS)
    _set_extra(resolution, None)
    _set_private(resolution, None)
    return resolution


def _constructed_trace_entry(
    rule: str, passed: bool, message: str, figures: Mapping[str, Money] = NO_FIGURES, window: Window | None = None
) -> TraceEntry:
    figures = read_only(figures)
    return TraceEntry.model_construct(
        _ENTRY_FIELDS, rule=rule, passed=passed, message=message, figures=figures, window=window
    )


def _constructed_resolution(fields: dict[str, Any]) -> Resolution:
    return Resolution.model_construct(_RESOLUTION_FIELDS, **fields)


def _same_model(fast: BaseModel, constructed: BaseModel) -> bool:
    return same_model(fast, constructed) and fast.model_dump() == constructed.model_dump()


def _fast_builders_agree() -> bool:
    """Whether the fast builders make what ``model_construct`` makes, on a sample of each model."""
    try:
        money = Money("1.00", "USD")
        sample = {
            "complaint_number": ComplaintNumber(dt.date(2026, 1, 1), "C1"),
            "policy": "sample",
            "outcome": Outcome.APPROVED,
            "remedy": Remedy(kind="refund", amount=money),
            "acting_level": "staff",
            "granted_before": money,
            "total": money,
            "authorized_by": "staff",
            "escalate_to": None,
            "callback_by": None,
            "alternatives": (),
            "suggestions": (),
            "reason": "a sample",
            "delivered_by": "staff",
            "actor_can_grant": None,
            "grantable_by": "staff",
            "trace": (),
            "decided_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            "employee": "E-0042",
            "policy_revision": "0" * 64,
        }
        entry = ("cap.hard", True, "a sample", ReadOnlyDict(total=money), Window.parse("30d"))
        return _same_model(_fast_trace_entry(*entry), _constructed_trace_entry(*entry)) and _same_model(
            _fast_resolution(dict(sample)), _constructed_resolution(dict(sample))
        )
    except Exception:  # any difference in how this pydantic builds a model: use its public constructor
        return False


# Every engine-built model says all its fields were set, as model_construct would; they share one set of
# names per class. pydantic never changes the set of a frozen model (model_copy copies it first).
_ENTRY_FIELDS: Final = set(TraceEntry.model_fields)
_RESOLUTION_FIELDS: Final = set(Resolution.model_fields)
_SETTERS: Final = slot_setters()
if _SETTERS is not None:
    _set_dict, _set_fields_set, _set_extra, _set_private = _SETTERS
    FAST_BUILDERS: bool = _fast_builders_agree()
else:  # pragma: no cover - only under a pydantic that lays models out differently
    FAST_BUILDERS = False
"""Whether the engine builds its outputs with the fast builders (``False``: with ``model_construct``)."""

trusted_trace_entry: Final = _fast_trace_entry if FAST_BUILDERS else _constructed_trace_entry
"""A :class:`TraceEntry` from values known to be valid (``figures`` a mapping, kept read-only: best a
:class:`ReadOnlyDict` already, or :data:`NO_FIGURES`)."""
trusted_resolution: Final = _fast_resolution if FAST_BUILDERS else _constructed_resolution
"""A :class:`Resolution` from a dict holding every field, with values known to keep its invariants."""
