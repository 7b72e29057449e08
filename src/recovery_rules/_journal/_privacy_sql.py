"""The data keys and erasure records of a journal kept in SQL (SQLite and PostgreSQL), outside the chain.

Two tables beside the events: ``data_keys`` (one key per customer at a time: its id, the customer, the
256-bit key) and ``erasures`` (one record per erased customer, without personal data). A journal that
has a ``data_keys`` table encrypts personal data: the table is created when a journal is opened with
``encrypt_personal_data=True``, and from then on every handle of the journal encrypts, whatever it was
opened with. The events' table is not touched, so the chain and the schema's format stay as they were.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ._privacy import new_key, new_key_id
from ._store import Record

__all__ = ["KeyStatements", "SQLKeys"]


class KeyStatements:
    """The statements of the two tables, for a table prefix (``""`` or ``"schema".``) and a parameter mark."""

    def __init__(self, prefix: str, mark: str, *, blob: str) -> None:
        p, m = prefix, mark
        self.create = [
            f"CREATE TABLE IF NOT EXISTS {p}data_keys (key_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL UNIQUE, "
            f"key {blob} NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {p}erasures (customer_id TEXT PRIMARY KEY, erased_at TEXT NOT NULL, "
            "employee TEXT, keys_destroyed INTEGER NOT NULL)",
        ]
        self.create_erasures = self.create[1]
        self.current = f"SELECT key_id, key FROM {p}data_keys WHERE customer_id = {m}"  # noqa: S608 - constants
        self.add = f"INSERT INTO {p}data_keys (key_id, customer_id, key) VALUES ({m}, {m}, {m})"  # noqa: S608
        self.keys = f"SELECT key_id, key FROM {p}data_keys WHERE key_id IN "  # noqa: S608 - marks appended
        self.destroy = f"DELETE FROM {p}data_keys WHERE customer_id = {m}"  # noqa: S608 - constants
        self.erasure = (
            f"SELECT customer_id, erased_at, employee, keys_destroyed FROM {p}erasures "  # noqa: S608 - constants
            f"WHERE customer_id = {m}"
        )
        self.forget_erasure = f"DELETE FROM {p}erasures WHERE customer_id = {m}"  # noqa: S608 - constants
        self.record_erasure = (
            f"INSERT INTO {p}erasures (customer_id, erased_at, employee, keys_destroyed) "  # noqa: S608 - constants
            f"VALUES ({m}, {m}, {m}, {m})"
        )
        self.customer = ""  # the backend's select of a customer's events, set by it
        self.mark = m


class _Rows(Protocol):
    def fetchall(self) -> list[Any]: ...
    def fetchone(self) -> Any: ...


class SQLKeys(abc.ABC):
    """The personal-data primitives of a :class:`Store` in SQL; the backend's store provides the four hooks."""

    __slots__ = ()

    @abc.abstractmethod
    def _keys_sql(self) -> KeyStatements:
        """The backend's statements of the keys and erasures tables."""

    @abc.abstractmethod
    def _run_keys(self, statement: str, parameters: Sequence[object]) -> _Rows:
        """Run ``statement`` in the store's transaction."""

    @abc.abstractmethod
    def _has_table(self, name: str) -> bool:
        """Whether the journal has table ``name``."""

    @abc.abstractmethod
    def _record_of(self, row: Any) -> Record:
        """A stored row as the record :meth:`Event.from_record` reads."""

    def _before_destroy(self) -> None:  # noqa: B027 - a hook with a default: only SQLite needs one
        """Make the coming delete overwrite what it frees (SQLite's ``secure_delete``); nothing by default."""

    def data_key(self, customer_id: str, *, create: bool) -> tuple[str, bytes] | None:
        sql = self._keys_sql()
        row = self._run_keys(sql.current, (customer_id,)).fetchone()
        if row is not None:
            return str(row["key_id"]), bytes(row["key"])
        if not create:
            return None
        key_id, key = new_key_id(), new_key()
        self._run_keys(sql.add, (key_id, customer_id, key))
        return key_id, key

    def data_keys(self, key_ids: Sequence[str]) -> dict[str, bytes]:
        if not key_ids or not self._has_table("data_keys"):
            return {}
        sql = self._keys_sql()
        marks = ", ".join([sql.mark] * len(key_ids))
        rows = self._run_keys(sql.keys + "(" + marks + ")", tuple(key_ids)).fetchall()
        return {str(row["key_id"]): bytes(row["key"]) for row in rows}

    def customer_records(self, customer_id: str) -> list[Record]:
        rows = self._run_keys(self._keys_sql().customer, (customer_id,)).fetchall()
        return [self._record_of(row) for row in rows]

    def destroy_keys(self, customer_id: str) -> int:
        if not self._has_table("data_keys"):
            return 0
        sql = self._keys_sql()
        count = len(self._run_keys(sql.current, (customer_id,)).fetchall())
        if count:
            self._before_destroy()
            self._run_keys(sql.destroy, (customer_id,))
        return count

    def erasure(self, customer_id: str) -> Mapping[str, object] | None:
        if not self._has_table("erasures"):
            return None
        row = self._run_keys(self._keys_sql().erasure, (customer_id,)).fetchone()
        return (
            None
            if row is None
            else {name: row[name] for name in ("customer_id", "erased_at", "employee", "keys_destroyed")}
        )

    def record_erasure(self, customer_id: str, erased_at: str, employee: str | None, keys_destroyed: int) -> None:
        sql = self._keys_sql()
        self._run_keys(sql.create_erasures, ())
        self._run_keys(sql.forget_erasure, (customer_id,))
        self._run_keys(sql.record_erasure, (customer_id, erased_at, employee, keys_destroyed))
