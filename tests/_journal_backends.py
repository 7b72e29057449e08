"""The journal backends the journal and case tests run against, and how to tamper with each.

Every backend test takes the ``backend`` fixture (defined in each test module from
:data:`BACKENDS`), so a new backend plugs in by adding a harness here: it opens
journals over one storage and can edit, delete, swap and cut stored events the
way someone with access to the storage could.
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from recovery_rules import ComplaintNumber, Journal, MemoryJournal, PostgresJournal, SQLiteJournal
from recovery_rules._journal import canonical_json
from recovery_rules._journal._store import LedgerHead

from . import _postgres

HEAD_COLUMNS = ("seq", "hash", "grant_amount", "grant_currency", "ledger", "seal")
"""The columns of a ledger head, after its scope and key."""

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
    if record["format"] >= 2:
        body["ledger"] = record.get("ledger")
    if record["format"] >= 3:
        body["employee"] = record.get("employee")
        body["policy_revision"] = record.get("policy_revision")
    for name in ("data", "ledger"):
        if isinstance(body.get(name), str):
            body[name] = json.loads(body[name])
    return hashlib.sha256(canonical_json(body)).hexdigest()


def replaced_columns(record: dict[str, Any]) -> dict[str, Any]:
    """The columns a tamperer overwrites with ``record`` (as :meth:`Harness.record` gives it): all but ``seq``."""
    columns = {name: value for name, value in record.items() if name not in ("grant", "seq")}
    grant = record["grant"]
    columns["grant_amount"] = None if grant is None else grant["amount"]
    columns["grant_currency"] = None if grant is None else grant["currency"]
    _as_text(columns)
    return columns


def _as_text(columns: dict[str, Any]) -> None:
    """``data`` and ``ledger`` as the SQL backends store them: canonical JSON text."""
    if not isinstance(columns["data"], str):
        columns["data"] = canonical_json(columns["data"]).decode()
    ledger = columns.get("ledger")
    if ledger is not None and not isinstance(ledger, str):
        columns["ledger"] = canonical_json(ledger).decode()


def stored_columns(record: dict[str, Any]) -> dict[str, Any]:
    """The table columns of an :meth:`Event.record` (as the SQL backends store it)."""
    columns = {name: value for name, value in record.items() if name != "grant"}
    grant = record["grant"]
    columns["grant_amount"] = None if grant is None else grant["amount"]
    columns["grant_currency"] = None if grant is None else grant["currency"]
    columns["customer_id"] = ComplaintNumber.parse(str(record["number"])).customer_id
    ledger = columns.get("ledger")
    if isinstance(ledger, str):
        ledger = json.loads(ledger)
    columns["ledger_at"] = None if ledger is None else ledger["at"]
    columns["incident"] = None if ledger is None else ledger["incident"]
    _as_text(columns)
    return columns


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

    @abc.abstractmethod
    def insert(self, seq: int, record: dict[str, Any]) -> None:
        """Store ``record`` at position ``seq``, moving the events from ``seq`` on one place further."""

    @abc.abstractmethod
    def rewrite_cases(self, after: int = 0) -> None:
        """What a tamperer does to the table of cases to hide what they did to the events: every entry naming a
        position after ``after`` made to name its case's latest stored event (its version, position, hash, state
        and callback), and deleted if the case has no event left."""

    @abc.abstractmethod
    def edit_case(self, number: str, column: str | None, value: object = None) -> None:
        """Set ``column`` (``version``, ``last_seq``, ``last_hash``, ``state``, ``callback_due``) of case
        ``number``'s entry in the table of cases to ``value``; with ``column`` ``None``, delete the entry."""

    @abc.abstractmethod
    def rewrite_heads(self) -> None:
        """What a tamperer does to the ledger's heads to hide what they did to the grants: every head made to name
        its guest's or incident's latest grant stored (its position and hash; no seal), and deleted if it has none."""

    def hide_cut(self, count: int) -> None:
        """What a tamperer who cut the journal after event ``count`` does to the bookkeeping to hide it: every
        case whose latest event was cut off is said to end at its latest event left (or is no longer listed), and
        every ledger head names the latest grant left (:meth:`rewrite_heads`)."""
        self.rewrite_cases(after=count)
        self.rewrite_heads()

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

    @abc.abstractmethod
    def set_head(self, scope: str, key: str, head: tuple[object, ...] | None) -> None:
        """Overwrite (or, with ``None``, delete) the ledger's head of guest or incident ``key``.

        ``head``: its ``seq`` and ``hash``, then, for a sealed head, its amount, currency, ledger text and seal
        (the columns left out are ``NULL``).
        """

    @abc.abstractmethod
    def head(self, scope: str, key: str) -> tuple[object, ...] | None:
        """The ledger's head of guest or incident ``key`` as stored: its six columns from ``seq`` on."""

    def close(self) -> None:  # noqa: B027 - optional: most harnesses hold nothing
        """Release whatever the harness holds."""


class MemoryHarness(Harness):
    name = "memory"

    def __init__(self, tmp_path: Path, ledger_key: bytes | None = None) -> None:
        self._journal = MemoryJournal(ledger_key=ledger_key)

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

    def insert(self, seq: int, record: dict[str, Any]) -> None:
        stored = dict(record)
        if not isinstance(stored["data"], str):
            stored["data"] = canonical_json(stored["data"]).decode()
        self._records().insert(seq - 1, stored)

    def rewrite_cases(self, after: int = 0) -> None:
        cases = self._journal._cases
        for number, (head, opened_at, _) in list(cases.items()):
            if head.last_seq <= after:
                continue
            left = [record for record in self._records() if record["number"] == number]
            if not left:
                del cases[number]
                continue
            last = max(left, key=lambda record: int(record["version"]))
            changed = dataclasses.replace(
                head, version=int(last["version"]), last_seq=int(last["seq"]), last_hash=str(last["hash"])
            )
            cases[number] = (changed, opened_at, last["callback_due"])

    def edit_case(self, number: str, column: str | None, value: object = None) -> None:
        cases = self._journal._cases
        if column is None:
            del cases[number]
            return
        head, opened_at, callback = cases[number]
        if column == "opened_at":  # kept beside the entry
            cases[number] = (head, value, callback)  # type: ignore[assignment]  # as the test gives it
            return
        cases[number] = (dataclasses.replace(head, **{column: value}), opened_at, callback)  # type: ignore[arg-type]

    def rewrite_heads(self) -> None:
        heads: dict[Any, LedgerHead] = {}
        for record in self._records():
            ledger = record.get("ledger")
            if ledger is None:
                continue
            entry = json.loads(ledger) if isinstance(ledger, str) else ledger
            head = LedgerHead(int(record["seq"]), str(record["hash"]))
            heads[("guest", ComplaintNumber.parse(str(record["number"])).customer_id)] = head
            heads[("incident", str(entry["incident"]))] = head
        self._journal._heads = heads

    def set_head(self, scope: str, key: str, head: tuple[object, ...] | None) -> None:
        heads = self._journal._heads
        if head is None:
            heads.pop((scope, key), None)  # type: ignore[arg-type]  # a scope the test names
        else:
            heads[(scope, key)] = LedgerHead(*head)  # type: ignore[index, arg-type]  # as above, values as given

    def head(self, scope: str, key: str) -> tuple[object, ...] | None:
        found = self._journal._heads.get((scope, key))  # type: ignore[arg-type]  # a scope the test names
        return None if found is None else tuple(found)


class SQLiteHarness(Harness):
    name = "sqlite"

    def __init__(self, tmp_path: Path, ledger_key: bytes | None = None, *, name: str = "journal.sqlite3") -> None:
        self.path = tmp_path / name
        self.ledger_key = ledger_key
        self._journals: list[SQLiteJournal] = []

    def journal(self) -> Journal:
        journal = SQLiteJournal(self.path, ledger_key=self.ledger_key)
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
        columns = replaced_columns(record)
        assignments = ", ".join(f"{name} = ?" for name in columns)
        with self._connect() as connection:
            update = f"UPDATE events SET {assignments} WHERE seq = ?"
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

    def rewrite_cases(self, after: int = 0) -> None:
        with self._connect() as connection:
            connection.execute(
                "DELETE FROM cases WHERE last_seq > ? "
                "AND NOT EXISTS (SELECT 1 FROM events e WHERE e.number = cases.number)",
                (after,),
            )
            connection.execute(
                "UPDATE cases SET (version, state, last_seq, last_hash, callback_due) = (SELECT version, state, seq, "
                "hash, callback_due FROM events e WHERE e.number = cases.number ORDER BY version DESC LIMIT 1) "
                "WHERE last_seq > ?",
                (after,),
            )

    def edit_case(self, number: str, column: str | None, value: object = None) -> None:
        with self._connect() as connection:
            if column is None:
                connection.execute("DELETE FROM cases WHERE number = ?", (number,))
            else:
                connection.execute(f"UPDATE cases SET {column} = ? WHERE number = ?", (value, number))

    def set_head(self, scope: str, key: str, head: tuple[object, ...] | None) -> None:
        with self._connect() as connection:
            connection.execute("DELETE FROM ledger_heads WHERE scope = ? AND key = ?", (scope, key))
            if head is not None:
                values = (scope, key, *head, *[None] * (len(HEAD_COLUMNS) - len(head)))
                names, marks = ", ".join(HEAD_COLUMNS), ", ".join("?" * len(values))
                connection.execute(f"INSERT INTO ledger_heads (scope, key, {names}) VALUES ({marks})", values)

    def remove_key_check(self) -> None:
        """What a tamperer without the key does to make a sealed journal look unsealed."""
        with self._connect() as connection:
            connection.execute("DELETE FROM ledger_seal")

    def rewrite_heads(self) -> None:
        with self._connect() as connection:
            connection.execute("BEGIN")
            connection.execute("DELETE FROM ledger_heads")
            for statement in _rewritten_heads("ledger_heads", "events"):
                connection.execute(statement)
            connection.execute("COMMIT")

    def head(self, scope: str, key: str) -> tuple[object, ...] | None:
        with self._connect() as connection:
            statement = f"SELECT {', '.join(HEAD_COLUMNS)} FROM ledger_heads WHERE scope = ? AND key = ?"
            row = connection.execute(statement, (scope, key)).fetchone()
        return None if row is None else tuple(row)

    def insert(self, seq: int, record: dict[str, Any]) -> None:
        columns = stored_columns(record)
        with self._connect() as connection:
            last = connection.execute("SELECT MAX(seq) FROM events").fetchone()[0] or 0
            for moved in range(last, seq - 1, -1):  # the last first, so no two rows ever share a seq
                connection.execute("UPDATE events SET seq = seq + 1 WHERE seq = ?", (moved,))
            names, marks = ", ".join(columns), ", ".join("?" * len(columns))
            connection.execute(f"INSERT INTO events ({names}) VALUES ({marks})", tuple(columns.values()))

    def close(self) -> None:
        for journal in self._journals:
            journal.close()


class PostgresHarness(Harness):
    """A schema of its own on the test server (``tests/_postgres.py``), dropped afterwards."""

    name = "postgres"

    def __init__(self, tmp_path: Path, ledger_key: bytes | None = None) -> None:
        self.dsn = _postgres.dsn()  # skips (fails in CI) without a server
        self.schema = _postgres.new_schema()
        self.ledger_key = ledger_key
        self._journals: list[PostgresJournal] = []

    def journal(self) -> Journal:
        journal = PostgresJournal(self.dsn, schema=self.schema, ledger_key=self.ledger_key)
        self._journals.append(journal)
        return journal

    @contextlib.contextmanager
    def _connect(self) -> Iterator[Any]:
        import psycopg  # noqa: PLC0415 - the postgres extra; _postgres.dsn() skipped the test without it
        from psycopg.rows import dict_row  # noqa: PLC0415 - as above

        with psycopg.connect(self.dsn, autocommit=True, row_factory=dict_row) as connection:
            yield connection

    def _table(self) -> str:
        return f'"{self.schema}".events'

    def record(self, seq: int) -> dict[str, Any]:
        with self._connect() as connection:
            row = connection.execute(f"SELECT * FROM {self._table()} WHERE seq = %s", (seq,)).fetchone()
        record = dict(row)
        amount, currency = record.pop("grant_amount"), record.pop("grant_currency")
        record["grant"] = None if amount is None else {"amount": amount, "currency": currency}
        return record

    def put(self, seq: int, record: dict[str, Any]) -> None:
        columns = replaced_columns(record)
        assignments = ", ".join(f"{name} = %s" for name in columns)
        with self._connect() as connection:
            update = f"UPDATE {self._table()} SET {assignments} WHERE seq = %s"
            connection.execute(update, (*columns.values(), seq))

    def swap(self, first: int, second: int) -> None:
        a, b = self.record(first), self.record(second)
        with self._connect() as connection:  # out of the way of the unique keys first, as a tamperer would
            connection.execute(
                f"UPDATE {self._table()} SET key = key || '~', number = number || '~' WHERE seq IN (%s, %s)",
                (first, second),
            )
        self.put(first, b)
        self.put(second, a)

    def delete(self, seq: int) -> None:
        with self._connect() as connection:
            connection.execute(f"DELETE FROM {self._table()} WHERE seq = %s", (seq,))

    def rewrite_cases(self, after: int = 0) -> None:
        cases, events = f'"{self.schema}".cases', self._table()
        with self._connect() as connection, connection.transaction():
            connection.execute(
                f"DELETE FROM {cases} c WHERE last_seq > %s "
                f"AND NOT EXISTS (SELECT 1 FROM {events} e WHERE e.number = c.number)",
                (after,),
            )
            connection.execute(
                f"UPDATE {cases} c SET (version, state, last_seq, last_hash, callback_due) = (SELECT version, state, "
                f"seq, hash, callback_due FROM {events} e WHERE e.number = c.number ORDER BY version DESC LIMIT 1) "
                "WHERE last_seq > %s",
                (after,),
            )

    def edit_case(self, number: str, column: str | None, value: object = None) -> None:
        cases = f'"{self.schema}".cases'
        with self._connect() as connection:
            if column is None:
                connection.execute(f"DELETE FROM {cases} WHERE number = %s", (number,))
            else:
                connection.execute(f"UPDATE {cases} SET {column} = %s WHERE number = %s", (value, number))

    def set_head(self, scope: str, key: str, head: tuple[object, ...] | None) -> None:
        heads = f'"{self.schema}".ledger_heads'
        with self._connect() as connection, connection.transaction():
            connection.execute(f"DELETE FROM {heads} WHERE scope = %s AND key = %s", (scope, key))
            if head is not None:
                values = (scope, key, *head, *[None] * (len(HEAD_COLUMNS) - len(head)))
                marks = ", ".join(["%s"] * len(values))
                connection.execute(
                    f"INSERT INTO {heads} (scope, key, {', '.join(HEAD_COLUMNS)}) VALUES ({marks})", values
                )

    def remove_key_check(self) -> None:
        """What a tamperer without the key does to make a sealed journal look unsealed."""
        with self._connect() as connection:
            connection.execute(f'UPDATE "{self.schema}".journal SET ledger_key_check = NULL')

    def rewrite_heads(self) -> None:
        heads = f'"{self.schema}".ledger_heads'
        with self._connect() as connection, connection.transaction():
            connection.execute(f"DELETE FROM {heads}")
            for statement in _rewritten_heads(heads, self._table()):
                connection.execute(statement)

    def head(self, scope: str, key: str) -> tuple[object, ...] | None:
        heads = f'"{self.schema}".ledger_heads'
        with self._connect() as connection:
            statement = f"SELECT {', '.join(HEAD_COLUMNS)} FROM {heads} WHERE scope = %s AND key = %s"
            row = connection.execute(statement, (scope, key)).fetchone()
        return None if row is None else tuple(row.values())

    def insert(self, seq: int, record: dict[str, Any]) -> None:
        columns = stored_columns(record)
        table = self._table()
        with self._connect() as connection, connection.transaction():
            last = connection.execute(f"SELECT MAX(seq) AS last FROM {table}").fetchone()["last"] or 0
            for moved in range(last, seq - 1, -1):  # the last first, so no two rows ever share a seq
                connection.execute(f"UPDATE {table} SET seq = seq + 1 WHERE seq = %s", (moved,))
            names, marks = ", ".join(columns), ", ".join(["%s"] * len(columns))
            connection.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(columns.values()))

    def close(self) -> None:
        for journal in self._journals:
            journal.close()
        _postgres.drop_schema(self.dsn, self.schema)


def _rewritten_heads(heads: str, events: str) -> tuple[str, str]:
    """The statements that make every guest's and incident's head name its latest grant (unsealed)."""
    return (
        f"INSERT INTO {heads} (scope, key, seq, hash) SELECT 'guest', e.customer_id, e.seq, e.hash FROM {events} e "
        f"WHERE e.ledger IS NOT NULL AND e.seq = (SELECT MAX(x.seq) FROM {events} x "
        "WHERE x.customer_id = e.customer_id AND x.grant_amount IS NOT NULL)",
        f"INSERT INTO {heads} (scope, key, seq, hash) SELECT 'incident', e.incident, e.seq, e.hash FROM {events} e "
        f"WHERE e.incident IS NOT NULL AND e.seq = (SELECT MAX(x.seq) FROM {events} x WHERE x.incident = e.incident)",
    )


BACKENDS: dict[str, Callable[[Path], Harness]] = {
    "memory": MemoryHarness,
    "sqlite": SQLiteHarness,
    "postgres": PostgresHarness,
}
"""Every backend, by name. A third backend adds its harness here."""

LEDGER_KEY = bytes(range(32))
"""The ledger key of the sealed backends (a test key: a real one comes from ``secrets.token_bytes(32)``)."""

SEALED: dict[str, Callable[[Path], Harness]] = {
    name: (lambda path, make=make: make(path, ledger_key=LEDGER_KEY))  # type: ignore[misc]  # each takes it
    for name, make in BACKENDS.items()
}
"""Every backend, by name, with its journals opened with :data:`LEDGER_KEY` (their ledger sealed)."""
