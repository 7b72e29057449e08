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
import inspect
from typing import TYPE_CHECKING, Final

from recovery_rules._engine._invariants import resolution_violations
from recovery_rules._engine._resolution import Outcome, Resolution, TraceEntry
from recovery_rules._engine._rules import RULES
from recovery_rules._policy._parts import Alternative, AuthorityLevel, Cap
from recovery_rules._policy._policy import Policy
from recovery_rules._values._base import ReadOnlyDict, RecoveryModel
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

__version__ = "0.1.0"

# Cases, journals, wording and the durable-rules engine are loaded on first use, so that a host app
# that only decides does not pay for them when it imports the library (see benchmarks/run.py).
_LOADED_ON_FIRST_USE: Final = {
    "Case": "_case._case",
    "CaseOutcome": "_case._path",
    "CaseState": "_case._path",
    "CaseStep": "_case._path",
    "CaseView": "_case._path",
    "BulkEntry": "_journal",
    "CaseSummary": "_journal",
    "ChainHead": "_journal",
    "Draft": "_journal",
    "DurableEngine": "_engine._durable",
    "Erasure": "_journal",
    "Event": "_journal",
    "Journal": "_journal",
    "Ledger": "_journal",
    "LedgerEntry": "_journal",
    "MemoryJournal": "_journal",
    "PostgresJournal": "_journal",
    "RunningTotal": "_journal",
    "SQLiteJournal": "_journal",
    "StepWords": "_wording._step_words",
    "Verification": "_journal",
    "Wording": "_wording._say",
    "say": "_wording._say",
}


def _public(value: object) -> object:
    """``value`` shown as ``recovery_rules.X``: where it lives inside the package may change, its name does not.

    Pickles, reprs and the API reference name the class by the module it is exported from (as httpx does).
    """
    if isinstance(value, type) or inspect.isfunction(value):
        value.__module__ = __name__
    return value


def __getattr__(name: str) -> object:
    module = _LOADED_ON_FIRST_USE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = _public(getattr(importlib.import_module(f"{__name__}.{module}"), name))
    globals()[name] = value  # later look-ups find it directly, like any imported name
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "RULES",
    "Alternative",
    "AlternativeWording",
    "AuthorityError",
    "AuthorityLevel",
    "BulkEntry",
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
        _public(globals()[_name])
