"""``MemoryJournal``: the journal in a Python list, for tests and single-process tools.

Every operation holds one lock, so many threads may use one journal; a write
either happens whole or not at all. Nothing survives the process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from recovery_rules._models import ComplaintNumber
from recovery_rules.exceptions import JournalError

from ._base import Journal, Record, Store
from ._canonical import GENESIS, JSONValue, canonical_time, dumps
from ._ledger import GrantQuery

__all__ = ["MemoryJournal"]


class MemoryJournal(Journal):
    """A journal kept in memory: fast, thread-safe, gone when the process ends.

    >>> from recovery_rules import MemoryJournal
    >>> with MemoryJournal() as journal:
    ...     journal.head().count
    0
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        # The storage: records in journal order, data kept as canonical JSON text (no shared mutable state).
        self._records: list[dict[str, object]] = []
        # Indexes into _records (positions), maintained on insert.
        self._by_key: dict[str, int] = {}
        self._by_case: dict[str, list[int]] = {}
        self._grants_of: dict[str, list[int]] = {}
        self._closed = False

    def close(self) -> None:
        with self._lock:
            self._closed = True

    @contextmanager
    def _session(self) -> Iterator[Store]:
        with self._lock:
            if self._closed:
                raise JournalError("the journal is closed")
            yield _MemoryStore(self)

    def _write(self) -> AbstractContextManager[Store]:
        return self._session()

    def _read(self) -> AbstractContextManager[Store]:
        return self._session()

    def _scan(self, start: int) -> Iterator[tuple[int, Record]]:
        with self._session():
            records = list(self._records[max(start, 1) - 1 :])
        yield from enumerate(records, start=max(start, 1))

    def _case_records(self, number: str) -> list[Record]:
        with self._session():
            return [self._records[position] for position in self._by_case.get(number, ())]

    def _latest_records(self, *, callback_before: str | None) -> list[tuple[Record, str]]:
        with self._session():
            out: list[tuple[Record, str]] = []
            for positions in self._by_case.values():
                latest = self._records[positions[-1]]
                due = latest.get("callback_due")
                if callback_before is not None and not (isinstance(due, str) and due < callback_before):
                    continue
                out.append((latest, str(self._records[positions[0]]["at"])))
            return out


class _MemoryStore(Store):
    __slots__ = ("_journal",)

    def __init__(self, journal: MemoryJournal) -> None:
        self._journal = journal

    def find(self, key: str) -> Record | None:
        position = self._journal._by_key.get(key)
        return None if position is None else self._journal._records[position]

    def version(self, number: str) -> int:
        return len(self._journal._by_case.get(number, ()))

    def head(self) -> tuple[int, str]:
        records = self._journal._records
        if not records:
            return 0, GENESIS
        last = records[-1]
        return int(str(last["seq"])), str(last["hash"])

    def grants(self, query: GrantQuery) -> list[Record]:
        journal = self._journal
        out: list[Record] = []
        number = None if query.number is None else str(query.number)
        since = None if query.since is None else canonical_time(query.since)
        until = None if query.until is None else canonical_time(query.until)
        for position in journal._grants_of.get(query.customer_id, ()):
            record = journal._records[position]
            at = str(record["at"])
            if number is not None and record["number"] != number:
                continue
            if (since is not None and at < since) or (until is not None and at >= until):
                continue
            out.append(record)
        return out

    def insert(self, record: dict[str, JSONValue]) -> None:
        journal = self._journal
        stored: dict[str, object] = {**record, "data": dumps(record["data"]).decode("utf-8")}
        position = len(journal._records)
        number = str(record["number"])
        journal._records.append(stored)
        journal._by_key[str(record["key"])] = position
        journal._by_case.setdefault(number, []).append(position)
        if record["grant"] is not None:
            journal._grants_of.setdefault(ComplaintNumber.parse(number).customer_id, []).append(position)
