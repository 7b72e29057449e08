"""The journal backends the journal and case tests run against, and how to tamper with each.

Every backend test takes the ``backend`` fixture (defined in each test module from
:data:`BACKENDS`), so a new backend plugs in by adding a harness here: it opens
journals over one storage and can edit, delete, swap and cut stored events the
way someone with access to the storage could.
"""

from __future__ import annotations

import abc
import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from recovery_rules import Journal, MemoryJournal, SQLiteJournal
from recovery_rules._journal import canonical_json

BODY = (
    "format",
    "seq",
    "number",
    "version",
    "kind",
    "state",
    "actor",
    "at",
    "key",
    "request",
    "data",
    "grant",
    "callback_due",
    "prev",
)


def rehash(record: dict[str, Any]) -> str:
    """The hash ``record`` would have if it had been written as it is now."""
    body = {name: record[name] for name in BODY}
    if isinstance(body["data"], str):
        body["data"] = json.loads(body["data"])
    return hashlib.sha256(canonical_json(body)).hexdigest()


class Harness(abc.ABC):
    """One backend's storage: journals over it, and tampering with what it stores."""

    name: str

    @abc.abstractmethod
    def journal(self) -> Journal:
        """A journal over this storage (for a file backend, a new handle each time)."""

    @abc.abstractmethod
    def record(self, seq: int) -> dict[str, Any]:
        """The stored record of event ``seq`` (grant as a mapping, data as stored)."""

    @abc.abstractmethod
    def put(self, seq: int, record: dict[str, Any]) -> None:
        """Overwrite the stored record at ``seq`` with ``record`` (its position stays ``seq``)."""

    @abc.abstractmethod
    def delete(self, seq: int) -> None:
        """Remove the stored event ``seq``."""

    def edit(self, seq: int, field: str, value: object, *, rehashed: bool = False) -> None:
        """Change one field of event ``seq``; with ``rehashed``, give it the hash of its new content."""
        record = self.record(seq)
        record[field] = value
        if rehashed:
            record["hash"] = rehash(record)
        self.put(seq, record)

    def swap(self, first: int, second: int) -> None:
        """Exchange the stored content of two events; each position keeps its own place."""
        a, b = self.record(first), self.record(second)
        self.put(first, b)
        self.put(second, a)

    def close(self) -> None:  # noqa: B027 - optional: most harnesses hold nothing
        """Release whatever the harness holds."""


class MemoryHarness(Harness):
    name = "memory"

    def __init__(self, tmp_path: Path) -> None:
        self._journal = MemoryJournal()

    def journal(self) -> Journal:
        return self._journal

    def _records(self) -> list[dict[str, Any]]:
        return self._journal._records

    def record(self, seq: int) -> dict[str, Any]:
        return dict(self._records()[seq - 1])

    def put(self, seq: int, record: dict[str, Any]) -> None:
        self._records()[seq - 1] = dict(record)

    def delete(self, seq: int) -> None:
        del self._records()[seq - 1]


class SQLiteHarness(Harness):
    name = "sqlite"

    def __init__(self, tmp_path: Path) -> None:
        self.path = tmp_path / "journal.sqlite3"
        self._journals: list[SQLiteJournal] = []

    def journal(self) -> Journal:
        journal = SQLiteJournal(self.path)
        self._journals.append(journal)
        return journal

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, isolation_level=None)
        connection.row_factory = sqlite3.Row
        try:
            yield connection
        finally:
            connection.close()

    def record(self, seq: int) -> dict[str, Any]:
        with self._connect() as connection:
            row = connection.execute("SELECT * FROM events WHERE seq = ?", (seq,)).fetchone()
        names = row.keys()  # a sqlite3.Row iterates its values; keys() gives the names
        record = {name: row[name] for name in names}
        amount, currency = record.pop("grant_amount"), record.pop("grant_currency")
        record["grant"] = None if amount is None else {"amount": amount, "currency": currency}
        return record

    def put(self, seq: int, record: dict[str, Any]) -> None:
        columns = {name: value for name, value in record.items() if name not in ("grant", "seq")}
        grant = record["grant"]
        columns["grant_amount"] = None if grant is None else grant["amount"]
        columns["grant_currency"] = None if grant is None else grant["currency"]
        if not isinstance(columns["data"], str):
            columns["data"] = canonical_json(columns["data"]).decode()
        assignments = ", ".join(f"{name} = ?" for name in columns)
        with self._connect() as connection:
            update = f"UPDATE events SET {assignments} WHERE seq = ?"  # noqa: S608 - the test's own column names
            connection.execute(update, (*columns.values(), seq))

    def swap(self, first: int, second: int) -> None:
        a, b = self.record(first), self.record(second)
        with self._connect() as connection:  # out of the way of the unique keys first, as a tamperer would
            connection.execute(
                "UPDATE events SET key = key || '~', number = number || '~' WHERE seq IN (?, ?)", (first, second)
            )
        self.put(first, b)
        self.put(second, a)

    def delete(self, seq: int) -> None:
        with self._connect() as connection:
            connection.execute("DELETE FROM events WHERE seq = ?", (seq,))

    def close(self) -> None:
        for journal in self._journals:
            journal.close()


BACKENDS: dict[str, Callable[[Path], Harness]] = {"memory": MemoryHarness, "sqlite": SQLiteHarness}
"""Every backend, by name. A third backend adds its harness here."""
