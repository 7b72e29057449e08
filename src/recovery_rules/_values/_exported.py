"""How the package shows what it exports: as ``recovery_rules.X``, wherever its code lives.

Pickles, reprs and the API reference name a class or function by its ``__module__``
(as httpx does), so that moving a file breaks no pickle. The names the package
imports itself are shown so when it loads; those of the modules it loads on first
use (:data:`LOADED_ON_FIRST_USE`) as soon as their module loads, whoever imports
it: an :class:`~recovery_rules.Event` read from a journal pickles as
``recovery_rules.Event`` before anyone has written ``recovery_rules.Event``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import sys
from collections import ChainMap
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


def public(value: object, module: str = PACKAGE, namespace: Mapping[str, object] | None = None) -> object:
    """``value`` shown as ``module.X`` when it is a class or a function (other values have no module).

    A class's annotations are read first where its code lives, and ``namespace`` (:func:`resolve_annotations`):
    once its ``__module__`` is ``module``, ``typing.get_type_hints`` would look their names up there.
    """
    if isinstance(value, type) or inspect.isfunction(value):
        if isinstance(value, type) and value.__module__ != module:
            resolve_annotations(value, namespace or {})
        value.__module__ = module
    return value


def resolve_annotations(cls: type, namespace: Mapping[str, object]) -> None:
    """Replace each of ``cls``'s own annotations written as text (``from __future__ import annotations``) by
    what it names, read as ``typing.get_type_hints`` would, in the module that defines ``cls`` and the class
    body, then in ``namespace`` (a package's, for a name its module cannot import without an import cycle);
    one that names nothing there is left as text. A dataclass's ``__init__`` has the same annotations."""
    home = sys.modules.get(cls.__module__)
    if home is None:
        return
    names = ChainMap(dict(vars(cls)), dict(namespace))
    init = cls.__dict__.get("__init__") if dataclasses.is_dataclass(cls) else None
    own = cls.__dict__.get("__annotations__")  # noqa: RUF063 - the dict itself (get_annotations gives a copy)
    for written in (own, getattr(init, "__annotations__", None)):
        if isinstance(written, dict):
            for name, text in written.items():
                if isinstance(text, str):
                    with contextlib.suppress(NameError):
                        written[name] = eval(text, vars(home), names)  # noqa: S307 - the package's own annotations


def show_loaded(module: str, namespace: Mapping[str, object]) -> None:
    """Show the names the package exports from ``module`` (one of :data:`LOADED_ON_FIRST_USE`'s, just loaded,
    its ``namespace``) as ``recovery_rules.X``; called at the end of each of those modules."""
    inner = module.removeprefix(PACKAGE + ".")
    for name, home in LOADED_ON_FIRST_USE.items():
        if home == inner:
            public(namespace[name], namespace=namespace)
