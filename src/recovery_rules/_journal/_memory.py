"""``MemoryJournal``: the journal in a Python list, for tests and single-process tools.

Every operation holds one lock, so many threads may use one journal; a write
either happens whole or not at all. Nothing survives the process.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import heapq
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from recovery_rules._values._models import ComplaintNumber
from recovery_rules.exceptions import JournalError

from ._base import MAX_AHEAD, MEMORY_CLOSED_REFUSAL, Clock, Journal
from ._canonical import GENESIS, JSONValue, dumps
from ._ledger import GrantQuery
from ._privacy import check_encrypt_flag, new_key, new_key_id
from ._store import CaseEnd, CaseHead, LedgerHead, Record, Scope, Store, checked_version

__all__ = ["MemoryJournal"]


class MemoryJournal(Journal):
    """A journal kept in memory: fast, thread-safe, gone when the process ends.

    ``clock``, ``max_ahead``, ``encrypt_personal_data`` and ``ledger_key``: as for
    :class:`~recovery_rules.SQLiteJournal` (a ledger key seals its ledger's heads,
    so a host's tests can run with the key their production journal has).

    >>> from recovery_rules import MemoryJournal
    >>> with MemoryJournal() as journal:
    ...     journal.head().count
    0
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        max_ahead: dt.timedelta = MAX_AHEAD,
        encrypt_personal_data: bool = False,
        ledger_key: bytes | None = None,
    ) -> None:
        self._set_clock(clock, max_ahead)
        self._encrypts = check_encrypt_flag(encrypt_personal_data)
        self._key_check = self._open_ledger_seal(ledger_key, None, has_heads=False)  # sealed from the start
        self._data_keys: dict[str, tuple[str, bytes]] = {}  # key id: the customer and the key
        self._current_key: dict[str, str] = {}  # customer: the key id new events are sealed with
        self._erasures: dict[str, dict[str, object]] = {}
        self._lock = threading.RLock()
        # The storage: records in journal order, data kept as canonical JSON text (no shared mutable state).
        self._records: list[dict[str, object]] = []
        # Indexes into _records (positions), maintained on insert.
        self._by_key: dict[str, int] = {}
        self._by_case: dict[str, list[int]] = {}
        self._grants_of: dict[tuple[Scope, str], list[int]] = {}  # a guest's or an incident's grants
        self._counted: dict[str, tuple[list[str], list[int]]] = {}  # a guest's grants' ledger times, in order
        self._heads: dict[tuple[Scope, str], LedgerHead] = {}
        self._cases: dict[str, tuple[CaseHead, str, str | None]] = {}  # a case's head, its opening time and callback
        self._closed = False

    def close(self) -> None:
        with self._lock:
            self._closed = True

    @contextmanager
    def _session(self) -> Iterator[Store]:
        with self._lock:
            if self._closed:
                raise JournalError(MEMORY_CLOSED_REFUSAL)
            yield _MemoryStore(self)

    @contextmanager
    def _writing(self) -> Iterator[Store]:
        """A write that fails leaves nothing: what it stored is taken out again, and the indexes rebuilt."""
        with self._session() as store:
            before, heads, key_check = len(self._records), dict(self._heads), self._key_check
            keys, current, erasures = dict(self._data_keys), dict(self._current_key), dict(self._erasures)
            try:
                yield store
            except BaseException:
                if len(self._records) > before:
                    self._rebuild(self._records[:before])
                self._heads, self._key_check = heads, key_check  # as they were (sealed or not)
                # a data key made (or destroyed) by the failed write, as SQL's rollback undoes it
                self._data_keys, self._current_key, self._erasures = keys, current, erasures
                raise

    def _rebuild(self, records: list[dict[str, object]]) -> None:
        """Keep only ``records``, with every index made again from them (a failed bulk write's undo)."""
        self._records, self._by_key, self._by_case, self._grants_of = [], {}, {}, {}
        self._counted, self._heads, self._cases = {}, {}, {}
        store = _MemoryStore(self)
        for record in records:
            store.insert(record)  # type: ignore[arg-type]  # a record this journal stored
            open_callback = record.get("callback_due")
            store.set_case_head(record, open_callback=open_callback)  # type: ignore[arg-type]  # a str or None
            ledger = record.get("ledger")
            if ledger is not None:
                entry: Any = json.loads(ledger) if isinstance(ledger, str) else ledger
                number, seq, hash_ = str(record["number"]), int(str(record["seq"])), str(record["hash"])
                head = LedgerHead(seq, hash_)
                store.set_ledger_head("guest", ComplaintNumber.parse(number).customer_id, head)
                store.set_ledger_head("incident", str(entry["incident"]), head)

    def _write(self) -> AbstractContextManager[Store]:
        return self._writing()

    def _read(self) -> AbstractContextManager[Store]:
        return self._session()

    def _scan(self, start: int) -> Iterator[tuple[int, Record]]:
        with self._session():
            records = list(self._records[max(start, 1) - 1 :])
        yield from enumerate(records, start=max(start, 1))

    def _case_records(self, number: str) -> tuple[list[Record], CaseEnd | None]:
        with self._session() as store:
            assert isinstance(store, _MemoryStore)  # noqa: S101 - this backend's store, for mypy
            return [self._records[position] for position in self._by_case.get(number, ())], store.case_entry(number)


class _MemoryStore(Store):
    __slots__ = ("_journal",)

    def __init__(self, journal: MemoryJournal) -> None:
        self._journal = journal

    def find(self, key: str) -> Record | None:
        position = self._journal._by_key.get(key)
        return None if position is None else self._journal._records[position]

    def version(self, number: str) -> int:
        records, positions = self._journal._records, self._journal._by_case.get(number)
        latest = None
        if positions and positions[-1] < len(records):
            record = records[positions[-1]]
            latest = (record["version"], record["seq"], record["hash"])
        return checked_version(latest, self.case_entry(number))

    def case_entry(self, number: str) -> CaseEnd | None:
        """The case's entry in the table of cases: its version, ``last_seq`` and ``last_hash`` (``None``: none)."""
        found = self._journal._cases.get(number)
        return None if found is None else (found[0].version, found[0].last_seq, found[0].last_hash)

    def openings(self, numbers: Sequence[str]) -> list[Record]:
        cases = self._journal._by_case
        return [self._journal._records[cases[number][0]] for number in numbers if cases.get(number)]

    def head(self) -> tuple[int, str]:
        records = self._journal._records
        if not records:
            return 0, GENESIS
        last = records[-1]
        return int(str(last["seq"])), str(last["hash"])

    def record_at(self, seq: int) -> Record | None:
        records = self._journal._records
        return records[seq - 1] if 1 <= seq <= len(records) else None

    def ledger_head(self, scope: Scope, key: str) -> LedgerHead | None:
        return self._journal._heads.get((scope, key))

    def later_grant(self, scope: Scope, key: str, after: int) -> int | None:
        positions = self._journal._grants_of.get((scope, key), ())
        if positions and positions[-1] + 1 > after:
            return positions[-1] + 1
        return None

    def grant_before(self, customer_id: str, before: str) -> Record | None:
        counted = self._journal._counted.get(customer_id)
        if counted is None:
            return None
        times, positions = counted
        index = bisect.bisect_left(times, before)  # ledger times never fall within a guest's grants
        return self._journal._records[positions[index - 1]] if index else None

    def next_grant(self, customer_id: str, after: int) -> Record | None:
        positions = self._journal._grants_of.get(("guest", customer_id), [])
        index = bisect.bisect_right(positions, after - 1)  # positions are seq - 1
        return self._journal._records[positions[index]] if index < len(positions) else None

    def legacy_grants(self, query: GrantQuery) -> list[Record]:
        return []  # a memory journal is always begun by this release

    def stored_form(self, record: Mapping[str, object]) -> Record | None:
        records = self._journal._records
        return records[-1] if records and records[-1]["seq"] == record["seq"] else None

    def insert(self, record: dict[str, JSONValue]) -> None:
        journal = self._journal
        data = record["data"]
        stored: dict[str, object] = {**record, "data": data if isinstance(data, str) else dumps(data).decode("utf-8")}
        position = len(journal._records)
        number = str(record["number"])
        journal._records.append(stored)
        journal._by_key[str(record["key"])] = position
        journal._by_case.setdefault(number, []).append(position)
        ledger = record.get("ledger")
        if isinstance(ledger, str):
            ledger = json.loads(ledger)
        if isinstance(ledger, dict):
            customer_id = ComplaintNumber.parse(number).customer_id
            journal._grants_of.setdefault(("guest", customer_id), []).append(position)
            journal._grants_of.setdefault(("incident", str(ledger["incident"])), []).append(position)
            times, positions = journal._counted.setdefault(customer_id, ([], []))
            times.append(str(ledger["at"]))
            positions.append(position)

    def set_ledger_head(self, scope: Scope, key: str, head: LedgerHead) -> None:
        self._journal._heads[(scope, key)] = head

    def ledger_key_check(self) -> str | None:
        return self._journal._key_check

    def set_ledger_key_check(self, check: str) -> None:
        self._journal._key_check = check

    def ledger_heads_page(
        self, after: tuple[Scope, str] | None, limit: int
    ) -> list[tuple[Scope, str, LedgerHead, str | None]]:
        heads, records = self._journal._heads, self._journal._records
        keys = heapq.nsmallest(limit, (where for where in heads if after is None or where > after))  # in order
        page = []
        for scope, key in keys:
            head = heads[(scope, key)]
            stored = records[head.seq - 1] if type(head.seq) is int and 1 <= head.seq <= len(records) else None
            page.append((scope, key, head, None if stored is None else str(stored["hash"])))
        return page

    def grants_page(self, after: int, limit: int) -> list[LedgerHead]:
        page = []
        for record in self._journal._records[max(after, 0) :]:
            grant, ledger = record.get("grant"), record.get("ledger")
            if isinstance(grant, Mapping) and ledger is not None:
                text = ledger if isinstance(ledger, str) else dumps(ledger).decode("utf-8")  # type: ignore[arg-type]
                amount, currency = grant.get("amount"), grant.get("currency")
                page.append(LedgerHead(record["seq"], record["hash"], amount, currency, text))  # type: ignore[arg-type]
                if len(page) == limit:
                    break
        return page

    def case_heads(
        self, *, callback_before: str | None = None, opened_since: str | None = None, opened_until: str | None = None
    ) -> list[CaseHead]:
        heads = []
        for head, opened_at, callback in self._journal._cases.values():
            if callback_before is not None and not (callback is not None and callback < callback_before):
                continue
            if opened_since is not None and opened_at < opened_since:
                continue
            if opened_until is not None and opened_at >= opened_until:
                continue
            heads.append(dataclasses.replace(head, opened_at=opened_at))
        return heads

    def set_case_head(self, record: Mapping[str, object], *, open_callback: str | None) -> None:
        number, seq, hash_ = str(record["number"]), int(str(record["seq"])), str(record["hash"])
        version = int(str(record["version"]))
        cases = self._journal._cases
        if version == 1:
            cases[number] = (CaseHead(number, 1, seq, seq, hash_), str(record["at"]), open_callback)
            return
        head, opened_at, _ = cases[number]
        cases[number] = (CaseHead(number, version, head.first_seq, seq, hash_), opened_at, open_callback)

    def data_key(self, customer_id: str, *, create: bool) -> tuple[str, bytes] | None:
        journal = self._journal
        key_id = journal._current_key.get(customer_id)
        if key_id is None:
            if not create:
                return None
            key_id = new_key_id()
            journal._data_keys[key_id] = (customer_id, new_key())
            journal._current_key[customer_id] = key_id
        return key_id, journal._data_keys[key_id][1]

    def data_keys(self, key_ids: Sequence[str]) -> dict[str, bytes]:
        keys = self._journal._data_keys
        return {key_id: keys[key_id][1] for key_id in key_ids if key_id in keys}

    def customer_records(self, customer_id: str) -> list[Record]:
        journal = self._journal
        return [
            journal._records[position]
            for number, positions in journal._by_case.items()
            if ComplaintNumber.parse(number).customer_id == customer_id
            for position in positions
        ]

    def destroy_keys(self, customer_id: str) -> int:
        journal = self._journal
        doomed = [key_id for key_id, (owner, _) in journal._data_keys.items() if owner == customer_id]
        for key_id in doomed:
            del journal._data_keys[key_id]  # the only reference: the bytes go with the garbage collector
        journal._current_key.pop(customer_id, None)
        return len(doomed)

    def erasure(self, customer_id: str) -> Mapping[str, object] | None:
        return self._journal._erasures.get(customer_id)

    def record_erasure(self, customer_id: str, erased_at: str, employee: str | None, keys_destroyed: int) -> None:
        self._journal._erasures[customer_id] = {
            "customer_id": customer_id,
            "erased_at": erased_at,
            "employee": employee,
            "keys_destroyed": keys_destroyed,
        }
