"""The output of a decision: ``Outcome``, ``Resolution`` and its ``TraceEntry`` items."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Final, Self

from pydantic import AwareDatetime, BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from recovery_rules._policy._parts import Alternative
from recovery_rules._values._base import EmployeeId, ReadOnly, ReadOnlyDict, RecoveryModel, read_only
from recovery_rules._values._models import ComplaintNumber, Remedy
from recovery_rules._values._money import Money
from recovery_rules._values._trusted import same_model, slot_setters

__all__ = ["NO_FIGURES", "Outcome", "Resolution", "TraceEntry", "trusted_resolution", "trusted_trace_entry"]


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
    read-only mapping, as the entry is frozen).
    """

    _what: ClassVar[str] = "trace entry"

    rule: str
    passed: bool
    message: str
    figures: Annotated[Mapping[str, Money], ReadOnly] = Field(default_factory=ReadOnlyDict)


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
      after ``decided_at`` in real time, in UTC.
    - ``delivered_by``: the level that tells the customer; the employee for good
      news and a promised callback, a manager for a denial.
    - ``alternatives``: what the acting employee can authorize right now instead,
      each of a different kind: those written for the complaint's category
      first, then for the remedy kind asked, then the generic ones; within
      each, free before paid; then the closest in value to what was asked.
    - ``suggestions``: with an approval, the policy's "extra mile" ideas for
      this kind of complaint (what to do instead, where else to go).
    - ``actor_can_grant``: the most the acting level can still grant this guest
      now (``None``: no limit); ``grantable_by``: the lowest level that could grant
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
        problems = []
        if self.outcome is not Outcome.APPROVED and not self.alternatives:
            article = "an" if self.outcome is Outcome.ESCALATED else "a"
            problems.append(
                f"{article} {self.outcome.value} resolution must offer alternatives (Plan B); never a bare no"
            )
        if self.outcome is Outcome.APPROVED and (self.authorized_by is None or self.escalate_to is not None):
            problems.append("an approved resolution names authorized_by and has no escalate_to")
        if self.outcome is Outcome.ESCALATED and (self.escalate_to is None or self.callback_by is None):
            problems.append("an escalated resolution names escalate_to and callback_by")
        if self.outcome is Outcome.DENIED and (self.authorized_by is not None or self.escalate_to is not None):
            problems.append("a denied resolution has neither authorized_by nor escalate_to")
        kinds = [alternative.kind for alternative in self.alternatives]
        if len(set(kinds)) != len(kinds):
            problems.append("alternatives must be of distinct kinds")
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


def _fast_trace_entry(rule: str, passed: bool, message: str, figures: Mapping[str, Money] = NO_FIGURES) -> TraceEntry:
    if type(figures) is not ReadOnlyDict:
        figures = ReadOnlyDict(figures)
    entry = _new(TraceEntry)
    _set_dict(entry, {"rule": rule, "passed": passed, "message": message, "figures": figures})
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
    rule: str, passed: bool, message: str, figures: Mapping[str, Money] = NO_FIGURES
) -> TraceEntry:
    figures = read_only(figures)
    return TraceEntry.model_construct(_ENTRY_FIELDS, rule=rule, passed=passed, message=message, figures=figures)


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
        entry = ("limit.authority", True, "a sample", ReadOnlyDict(total=money))
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
