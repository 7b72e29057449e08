"""recovery-rules: service-recovery policy as typed, tested, explainable rules.

A host app (help desk, hotel, shop, park) asks the library what an employee
may grant for a complaint, what to escalate and to whom, and which
alternatives to offer instead of a bare "no"::

    from datetime import datetime, timezone
    from . import Complaint, Customer, Money, Remedy, presets

    policy = presets.ritz_carlton()
    complaint = Complaint(
        customer=Customer(id="10442", tier="gold"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money("250.00", "USD")),
        received_at=datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc),
    )
    resolution = policy.decide(complaint, by="staff")
    resolution.outcome  # Outcome.APPROVED

The public API is what this module exports; everything in a ``_module`` is
private and may change without notice.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from recovery_rules._engine._invariants import resolution_violations
from recovery_rules._engine._resolution import Outcome, Resolution, TraceEntry
from recovery_rules._engine._rules import RULES
from recovery_rules._policy._parts import Alternative, AuthorityLevel, BusinessHours, Cap
from recovery_rules._policy._policy import Policy
from recovery_rules._values._base import ReadOnlyDict, RecoveryModel
from recovery_rules._values._exported import LOADED_ON_FIRST_USE, public
from recovery_rules._values._json import JSONValue
from recovery_rules._values._models import Complaint, ComplaintNumber, Customer, Remedy
from recovery_rules._values._money import Money
from recovery_rules._values._time import Window
from recovery_rules._wording._locale import AlternativeWording, LocaleWording
from recovery_rules._wording._phrases import forbidden_phrases

from . import presets
from .exceptions import (
    AuthorityError,
    CurrencyMismatchError,
    EngineError,
    IdempotencyConflictError,
    InvalidInputError,
    JournalError,
    JournalIntegrityError,
    MissingDependencyError,
    PolicyCheckError,
    PolicyError,
    Problem,
    RecoveryRulesError,
    StaleCaseError,
    UnknownLevelError,
    UnknownLocaleError,
    UnknownRemedyError,
    WorkflowError,
)

if TYPE_CHECKING:
    from recovery_rules._case._case import Case
    from recovery_rules._case._path import CaseOutcome, CaseState, CaseStep, CaseView
    from recovery_rules._engine._durable import DurableEngine
    from recovery_rules._wording._say import Wording, say
    from recovery_rules._wording._step_words import StepWords

    from ._journal import (
        ERASED,
        BulkEntry,
        CaseSummary,
        ChainHead,
        Draft,
        Erasure,
        Event,
        Journal,
        Ledger,
        LedgerEntry,
        MemoryJournal,
        PostgresJournal,
        RunningTotal,
        SQLiteJournal,
        Verification,
    )

__version__ = "0.2.0.dev0"


# Cases, journals, wording and the durable-rules engine are loaded on first use (LOADED_ON_FIRST_USE), so that
# a host app that only decides does not pay for them when it imports the library (see benchmarks/run.py).
def __getattr__(name: str) -> object:
    module = LOADED_ON_FIRST_USE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)  # shown as ours as its module loads
    globals()[name] = value  # later look-ups find it directly, like any imported name
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "ERASED",
    "RULES",
    "Alternative",
    "AlternativeWording",
    "AuthorityError",
    "AuthorityLevel",
    "BulkEntry",
    "BusinessHours",
    "Cap",
    "Case",
    "CaseOutcome",
    "CaseState",
    "CaseStep",
    "CaseSummary",
    "CaseView",
    "ChainHead",
    "Complaint",
    "ComplaintNumber",
    "CurrencyMismatchError",
    "Customer",
    "Draft",
    "DurableEngine",
    "EngineError",
    "Erasure",
    "Event",
    "IdempotencyConflictError",
    "InvalidInputError",
    "JSONValue",
    "Journal",
    "JournalError",
    "JournalIntegrityError",
    "Ledger",
    "LedgerEntry",
    "LocaleWording",
    "MemoryJournal",
    "MissingDependencyError",
    "Money",
    "Outcome",
    "Policy",
    "PolicyCheckError",
    "PolicyError",
    "PostgresJournal",
    "Problem",
    "ReadOnlyDict",
    "RecoveryModel",
    "RecoveryRulesError",
    "Remedy",
    "Resolution",
    "RunningTotal",
    "SQLiteJournal",
    "StaleCaseError",
    "StepWords",
    "TraceEntry",
    "UnknownLevelError",
    "UnknownLocaleError",
    "UnknownRemedyError",
    "Verification",
    "Window",
    "Wording",
    "WorkflowError",
    "__version__",
    "forbidden_phrases",
    "presets",
    "resolution_violations",
    "say",
]

for _name in __all__:
    if _name in globals():
        public(globals()[_name])
