"""recovery-rules: service-recovery policy as typed, tested, explainable rules.

A host app (help desk, hotel, shop, park) asks the library what an employee
may grant for a complaint, what to escalate and to whom, and which
alternatives to offer instead of a bare "no"::

    from datetime import datetime, timezone
    from recovery_rules import Complaint, Customer, Money, Remedy, presets

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

from . import presets
from ._case import Case
from ._case_path import CaseOutcome, CaseState, CaseStep
from ._durable import DurableEngine
from ._engine import RULES
from ._journal import (
    CaseSummary,
    ChainHead,
    Draft,
    Event,
    Journal,
    Ledger,
    MemoryJournal,
    PostgresJournal,
    SQLiteJournal,
    Verification,
)
from ._locale import AlternativeWording, LocaleWording
from ._models import Complaint, ComplaintNumber, Customer, Remedy
from ._money import Money
from ._phrases import forbidden_phrases
from ._policy import Policy
from ._policy_parts import Alternative, AuthorityLevel
from ._resolution import Outcome, Resolution, TraceEntry
from ._step_words import StepWords
from ._time import Window
from ._wording import Wording, say
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

__version__ = "0.1.0"

__all__ = [
    "RULES",
    "Alternative",
    "AlternativeWording",
    "AuthorityError",
    "AuthorityLevel",
    "Case",
    "CaseOutcome",
    "CaseState",
    "CaseStep",
    "CaseSummary",
    "ChainHead",
    "Complaint",
    "ComplaintNumber",
    "CurrencyMismatchError",
    "Customer",
    "Draft",
    "DurableEngine",
    "EngineError",
    "Event",
    "IdempotencyConflictError",
    "InvalidInputError",
    "Journal",
    "JournalError",
    "JournalIntegrityError",
    "Ledger",
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
    "RecoveryRulesError",
    "Remedy",
    "Resolution",
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
    "say",
]
