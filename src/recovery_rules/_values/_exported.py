"""How the package shows what it exports: as ``recovery_rules.X``, wherever its code lives.

Pickles, reprs and the API reference name a class or function by its ``__module__``
(as httpx does), so that moving a file breaks no pickle. The names the package
imports itself are shown so when it loads; those of the modules it loads on first
use (:data:`LOADED_ON_FIRST_USE`) as soon as their module loads, whoever imports
it: an :class:`~recovery_rules.Event` read from a journal pickles as
``recovery_rules.Event`` before anyone has written ``recovery_rules.Event``.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Final

PACKAGE: Final = "recovery_rules"

LOADED_ON_FIRST_USE: Final = {
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
    "ERASED": "_journal",
    "Erasure": "_journal",
    "Event": "_journal",
    "JSONValue": "_journal",
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
"""Each name the package exports but loads on first use (so that a host app that only decides does not pay
for cases, journals, wording and the durable-rules engine when it imports the library), and its module."""


def public(value: object, module: str = PACKAGE) -> object:
    """``value`` shown as ``module.X`` when it is a class or a function (other values have no module)."""
    if isinstance(value, type) or inspect.isfunction(value):
        value.__module__ = module
    return value


def show_loaded(module: str, namespace: Mapping[str, object]) -> None:
    """Show the names the package exports from ``module`` (one of :data:`LOADED_ON_FIRST_USE`'s, just loaded,
    its ``namespace``) as ``recovery_rules.X``; called at the end of each of those modules."""
    inner = module.removeprefix(PACKAGE + ".")
    for name, home in LOADED_ON_FIRST_USE.items():
        if home == inner:
            public(namespace[name])
