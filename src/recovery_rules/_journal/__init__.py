"""The journal: an append-only, hash-chained record of every step of every case.

- ``Journal``: the interface (an abstract base class) every backend has;
- ``MemoryJournal``, ``SQLiteJournal`` and ``PostgresJournal``: the backends;
- ``Event``, ``Draft``, ``ChainHead``, ``Verification``, ``CaseSummary``: what goes in and comes out;
- ``LedgerEntry``, ``RunningTotal``: the running totals a grant event carries;
- ``Ledger``: what a guest was granted within a policy's window, read inside a write;
- ``canonical_json``, ``digest``: the canonical form events are hashed in;
- ``Erasure``, ``ERASED``: the record of a customer's erasure, and what their personal fields read back as.
"""

from __future__ import annotations

from recovery_rules._values._exported import show_loaded

from ._base import CLOSED, MAX_AHEAD, Clock, Journal
from ._canonical import GENESIS, JSONValue, canonical_json, canonical_time, digest
from ._events import (
    FORMAT,
    FORMATS,
    BulkEntry,
    CaseSummary,
    ChainHead,
    Draft,
    Event,
    LedgerEntry,
    RunningTotal,
    Verification,
    well_formed_head,
)
from ._ledger import GrantQuery, Ledger, grant_query
from ._memory import MemoryJournal
from ._postgres import PostgresJournal
from ._privacy import ERASED, Erasure
from ._sqlite import SQLiteJournal
from ._store import Record, Scope, Store

__all__ = [
    "CLOSED",
    "ERASED",
    "FORMAT",
    "FORMATS",
    "GENESIS",
    "MAX_AHEAD",
    "BulkEntry",
    "CaseSummary",
    "ChainHead",
    "Clock",
    "Draft",
    "Erasure",
    "Event",
    "GrantQuery",
    "JSONValue",
    "Journal",
    "Ledger",
    "LedgerEntry",
    "MemoryJournal",
    "PostgresJournal",
    "Record",
    "RunningTotal",
    "SQLiteJournal",
    "Scope",
    "Store",
    "Verification",
    "canonical_json",
    "canonical_time",
    "digest",
    "grant_query",
    "well_formed_head",
]

show_loaded(__name__, globals())  # its exported names are recovery_rules.X from now on
