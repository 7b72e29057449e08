"""The table layout the SQL backends share: a column per event field, the grant in two, index columns.

SQLite and PostgreSQL store an :meth:`Event.record` the same way: ``data`` and
``ledger`` as their canonical JSON text, ``grant`` as ``grant_amount`` and
``grant_currency``, and beside them the index columns the ledger's queries use:
``customer_id`` (from the complaint number), ``ledger_at`` and ``incident``
(from the ledger entry). :meth:`Event.from_record` checks every index column
against the event. Times are canonical text, which sorts in time order, so the
ledger compares them as text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final

from recovery_rules._models import ComplaintNumber

from ._canonical import JSONValue, canonical_time, dumps
from ._ledger import GrantQuery

__all__ = ["COLUMNS", "LEGACY_UNTIL", "grant_conditions", "latest_statements", "record_of", "row_of", "scan"]

COLUMNS: Final = (
    "seq",
    "format",
    "number",
    "customer_id",
    "version",
    "kind",
    "state",
    "actor",
    "at",
    "key",
    "request",
    "data",
    "grant_amount",
    "grant_currency",
    "callback_due",
    "prev",
    "hash",
    "ledger",
    "ledger_at",
    "incident",
)
"""The events table's columns, in the order :func:`row_of` gives their values."""

LEGACY_UNTIL: Final = "legacy_until"
"""The journal setting naming the last event written before the upgrade to format 2 (0 in a journal begun after)."""

_BATCH: Final = 500


def row_of(record: Mapping[str, JSONValue]) -> tuple[JSONValue, ...]:
    """The column values of an :meth:`Event.record`, in :data:`COLUMNS` order."""
    grant = record["grant"]
    amount, currency = (grant["amount"], grant["currency"]) if isinstance(grant, dict) else (None, None)
    number = str(record["number"])
    ledger = record.get("ledger")
    stored: dict[str, JSONValue] = {
        **record,
        "customer_id": ComplaintNumber.parse(number).customer_id,
        "data": dumps(record["data"]).decode("utf-8"),
        "grant_amount": amount,
        "grant_currency": currency,
        "ledger": None if ledger is None else dumps(ledger).decode("utf-8"),
        "ledger_at": ledger["at"] if isinstance(ledger, dict) else None,
        "incident": ledger["incident"] if isinstance(ledger, dict) else None,
    }
    return tuple(stored[name] for name in COLUMNS)


def record_of(row: Mapping[str, object]) -> dict[str, object]:
    """A stored row as a record: the grant's two columns back in one ``grant``, the other columns as they are."""
    record = {name: value for name, value in row.items() if name not in ("grant_amount", "grant_currency")}
    amount, currency = row["grant_amount"], row["grant_currency"]
    record["grant"] = None if amount is None and currency is None else {"amount": amount, "currency": currency}
    return record


def grant_conditions(query: GrantQuery, mark: str) -> tuple[str, list[object]]:
    """The ``WHERE`` conditions of a query for old grants after the customer's, and their values.

    ``mark`` is the driver's placeholder: ``?`` (sqlite3) or ``%s`` (psycopg).
    """
    conditions, values = "", list[object]()
    if query.number is not None:
        conditions += f" AND number = {mark}"
        values.append(str(query.number))
    if query.since is not None:
        conditions += f" AND at >= {mark}"
        values.append(canonical_time(query.since))
    if query.until is not None:
        conditions += f" AND at < {mark}"
        values.append(canonical_time(query.until))
    return conditions, values


def latest_statements(events: str, mark: str) -> tuple[str, str]:
    """The latest record of each case in the table ``events``, with its first record's ``at`` and ``seq``
    (``opened_at``, ``opened_seq``); and the same for the cases whose callback is due before a time (``mark``
    is the driver's placeholder)."""
    # Built from constants and the backend's own table name only; values are always bound as parameters.
    columns = ", ".join(f"e.{name}" for name in COLUMNS)
    first = f"FROM {events} o WHERE o.number = e.number AND o.version = 1"
    opened = f"(SELECT o.at {first}) AS opened_at, (SELECT o.seq {first}) AS opened_seq"
    last = f"(SELECT number, MAX(version) AS last FROM {events} GROUP BY number)"  # noqa: S608 - as above
    latest = (
        f"SELECT {columns}, {opened} "  # noqa: S608 - as above
        f"FROM {events} e JOIN {last} l ON e.number = l.number AND e.version = l.last"
    )
    return latest, f"{latest} WHERE e.callback_due IS NOT NULL AND e.callback_due < {mark}"


def scan(
    rows_from: Callable[[int, int], Sequence[Mapping[str, Any]]], start: int
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every stored record from position ``start`` on, in journal order, with its position.

    ``rows_from(seq, limit)`` reads the rows from ``seq`` on, at most ``limit`` of
    them: a batch at a time, so no statement stays open while the caller works.
    """
    position = max(start, 1)
    while True:
        rows = rows_from(position, _BATCH)
        for row in rows:
            yield row["seq"], record_of(row)
        if len(rows) < _BATCH:
            return
        position = rows[-1]["seq"] + 1
