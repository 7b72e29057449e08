"""The output of a decision: ``Outcome``, ``Resolution`` and its ``TraceEntry`` items."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, ClassVar, Final, NoReturn, Self

from pydantic import AwareDatetime, BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from ._base import RecoveryModel
from ._models import ComplaintNumber, Remedy
from ._money import Money
from ._policy_parts import Alternative

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
    support agent can read out, and ``figures`` the amounts it compared.
    """

    _what: ClassVar[str] = "trace entry"

    rule: str
    passed: bool
    message: str
    figures: dict[str, Money] = Field(default_factory=dict)


class Resolution(RecoveryModel):
    """The decision on a complaint, with everything needed to act on it and explain it.

    A ``DENIED`` or ``ESCALATED`` resolution always carries alternatives (Plan B):
    one without them cannot be constructed.

    - ``complaint_number``: the number the case is filed under; ``policy``: the
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
      closest in value to what was asked first, each of a different kind.
    - ``suggestions``: with an approval, the policy's "extra mile" ideas for
      this kind of complaint (what to do instead, where else to go).
    - ``actor_can_grant``: the most the acting level can still grant this guest
      now (``None``: no limit); ``grantable_by``: the lowest level that could grant
      what was asked (``None``: none can).
    - ``trace``: every rule that decided, with the figures it compared.
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

    @property
    def approved(self) -> bool:
        """Whether the outcome is ``APPROVED``."""
        return self.outcome is Outcome.APPROVED


# -- the engine's fast path ------------------------------------------------------
#
# The engine upholds every invariant the models check (the tests prove it), so it
# builds its outputs without validation. ``model_construct`` would do the same, but
# it walks every field looking for aliases and defaults on each call; these set
# exactly what it sets, from values the engine already has, in a fraction of the time.

_new: Final = object.__new__
# The slots every pydantic model has, set directly: what model_construct does, without its per-field walk.
_set_dict: Final = BaseModel.__dict__["__dict__"].__set__
_set_fields_set: Final = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra: Final = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private: Final = BaseModel.__dict__["__pydantic_private__"].__set__
# Every engine-built model says all its fields were set, as model_construct would; they share one set
# of names per class. pydantic never changes the set of a frozen model (model_copy copies it first).
_ENTRY_FIELDS: Final = set(TraceEntry.model_fields)
_RESOLUTION_FIELDS: Final = set(Resolution.model_fields)


class _ReadOnlyDict(dict[str, Money]):
    """An empty ``figures`` that trace entries shared between resolutions can safely hold."""

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("the figures of a trace entry are read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self

    def __reduce__(self) -> tuple[type[dict[str, Money]], tuple[dict[str, Money]]]:
        return (dict, (dict(self),))


NO_FIGURES: Final[dict[str, Money]] = _ReadOnlyDict()
"""The ``figures`` of a trace entry that compares no amounts; safe to share, since nobody can change it."""


def trusted_trace_entry(rule: str, passed: bool, message: str, figures: Mapping[str, Money] = NO_FIGURES) -> TraceEntry:
    """A :class:`TraceEntry` from values known to be valid (``figures`` a dict, or :data:`NO_FIGURES`)."""
    entry = _new(TraceEntry)
    _set_dict(entry, {"rule": rule, "passed": passed, "message": message, "figures": figures})
    _set_fields_set(entry, _ENTRY_FIELDS)
    _set_extra(entry, None)
    _set_private(entry, None)
    return entry


def trusted_resolution(fields: dict[str, Any]) -> Resolution:
    """A :class:`Resolution` from a dict holding every field, with values known to keep its invariants."""
    resolution = _new(Resolution)
    _set_dict(resolution, fields)
    _set_fields_set(resolution, _RESOLUTION_FIELDS)
    _set_extra(resolution, None)
    _set_private(resolution, None)
    return resolution
