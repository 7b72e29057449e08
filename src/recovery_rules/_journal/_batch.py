"""``BatchStore``: the store :meth:`Journal.append_many` appends through, with fewer round trips to the database.

A single append asks the database five to eight questions (is the idempotency
key taken, the case's version, the chain's head, then the writes) and waits
for each answer: on PostgreSQL, one round trip each. In a batch of a thousand
events most of those answers are already known:

- whether the batch's keys are taken, and its cases' versions, are read for the
  whole batch in one query each, when the batch begins;
- the chain's head is read once, then follows the events the batch inserts;
- the writes (the event rows, the table of cases, the ledger's heads) wait in
  order and are sent together (``executemany``: one pipeline on PostgreSQL).

Everything else (the ledger's reads for a grant, the personal-data keys, an
idempotency key used twice in one batch) first sends the waiting writes, then
asks the database, so every read sees exactly what it would have seen had each
event been written at once. The events are checked, sealed and chained by the
same code as a single append (``Journal._append_in``), inside the batch's one
transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ._canonical import JSONValue
from ._store import CaseHead, LedgerHead, Record, Scope, Store

if TYPE_CHECKING:
    from ._ledger import GrantQuery

__all__ = ["BatchStore"]


class BatchStore(Store):
    """A write transaction's ``store`` for a batch of appends of cases ``numbers`` under idempotency ``keys``."""

    __slots__ = ("_case_heads", "_head", "_ledger_heads", "_new_keys", "_records", "_store", "_taken", "_versions")

    def __init__(self, store: Store, *, keys: Sequence[str], numbers: Sequence[str]) -> None:
        self._store = store
        self._taken = store.keys_taken(keys)
        self._versions = store.versions(numbers)
        self._head: tuple[int, str] | None = None
        self._new_keys: set[str] = set()
        self._records: list[dict[str, JSONValue]] = []
        self._case_heads: list[tuple[Mapping[str, object], str | None]] = []
        self._ledger_heads: dict[tuple[Scope, str], LedgerHead] = {}

    def flush(self) -> None:
        """Send the writes waiting, in order: the events, then the table of cases, then the ledger's heads."""
        if self._records:
            self._store.insert_many(self._records)
            self._records = []
        if self._case_heads:
            self._store.set_case_heads(self._case_heads)
            self._case_heads = []
        if self._ledger_heads:
            self._store.set_ledger_heads([(*where, head) for where, head in self._ledger_heads.items()])
            self._ledger_heads = {}

    # -- answered from what the batch knows --------------------------------------------------------------------------
    def find(self, key: str) -> Record | None:
        if key in self._new_keys or key in self._taken:  # recorded: its record comes from the database
            self.flush()
            return self._store.find(key)
        return None

    def version(self, number: str) -> int:
        known = self._versions.get(number)
        if known is None:  # a case the batch did not announce: ask
            self.flush()
            known = self._versions[number] = self._store.version(number)
        return known

    def head(self) -> tuple[int, str]:
        if self._head is None:
            self._head = self._store.head()
        return self._head

    def insert(self, record: dict[str, JSONValue]) -> None:
        self._records.append(record)
        self._head = (int(record["seq"]), str(record["hash"]))  # type: ignore[arg-type]  # an Event.record
        self._versions[str(record["number"])] = int(record["version"])  # type: ignore[arg-type]  # as above
        self._new_keys.add(str(record["key"]))

    def ledger_key_check(self) -> str | None:
        return self._store.ledger_key_check()  # a table the batch does not write: nothing to send first

    def stored_form(self, record: Mapping[str, object]) -> Record | None:
        return self._store.stored_form(record)

    def set_case_head(self, record: Mapping[str, object], *, open_callback: str | None) -> None:
        self._case_heads.append((record, open_callback))

    def set_ledger_head(self, scope: Scope, key: str, head: LedgerHead) -> None:
        self._ledger_heads.pop((scope, key), None)  # the latest last: the order they were set in
        self._ledger_heads[(scope, key)] = head

    # -- asked of the database, after the writes waiting ---------------------------------------------------------------
    def openings(self, numbers: Sequence[str]) -> list[Record]:
        self.flush()
        return self._store.openings(numbers)

    def record_at(self, seq: int) -> Record | None:
        self.flush()
        return self._store.record_at(seq)

    def ledger_head(self, scope: Scope, key: str) -> LedgerHead | None:
        self.flush()
        return self._store.ledger_head(scope, key)

    def later_grant(self, scope: Scope, key: str, after: int) -> int | None:
        self.flush()
        return self._store.later_grant(scope, key, after)

    def grant_before(self, customer_id: str, before: str) -> Record | None:
        self.flush()
        return self._store.grant_before(customer_id, before)

    def next_grant(self, customer_id: str, after: int) -> Record | None:
        self.flush()
        return self._store.next_grant(customer_id, after)

    def legacy_grants(self, query: GrantQuery) -> list[Record]:
        self.flush()
        return self._store.legacy_grants(query)

    def case_heads(
        self, *, callback_before: str | None = None, opened_since: str | None = None, opened_until: str | None = None
    ) -> list[CaseHead]:
        self.flush()
        return self._store.case_heads(
            callback_before=callback_before, opened_since=opened_since, opened_until=opened_until
        )

    def data_key(self, customer_id: str, *, create: bool) -> tuple[str, bytes] | None:
        self.flush()
        return self._store.data_key(customer_id, create=create)

    def data_keys(self, key_ids: Sequence[str]) -> dict[str, bytes]:
        self.flush()
        return self._store.data_keys(key_ids)

    def customer_records(self, customer_id: str) -> list[Record]:
        self.flush()
        return self._store.customer_records(customer_id)

    def destroy_keys(self, customer_id: str) -> int:
        self.flush()
        return self._store.destroy_keys(customer_id)

    def erasure(self, customer_id: str) -> Mapping[str, object] | None:
        self.flush()
        return self._store.erasure(customer_id)

    def record_erasure(self, customer_id: str, erased_at: str, employee: str | None, keys_destroyed: int) -> None:
        self.flush()
        self._store.record_erasure(customer_id, erased_at, employee, keys_destroyed)
