"""The table layout the SQL backends share: a column per event field, the grant in two, a customer index.

SQLite and PostgreSQL store an :meth:`Event.record` the same way: ``data`` as
its canonical JSON text, ``grant`` as ``grant_amount`` and ``grant_currency``,
and ``customer_id`` (from the complaint number) beside it, for the ledger's
queries. Times are canonical text, which sorts in time order, so the ledger
compares them as text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final

from recovery_rules._models import ComplaintNumber

from ._canonical import JSONValue, canonical_time, dumps
from ._ledger import GrantQuery

__all__ = ["COLUMNS", "grant_conditions", "latest_statements", "record_of", "row_of", "scan"]

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
)
"""The events table's columns, in the order :func:`row_of` gives their values."""

_BATCH: Final = 500


def row_of(record: Mapping[str, JSONValue]) -> tuple[JSONValue, ...]:
    """The column values of an :meth:`Event.record`, in :data:`COLUMNS` order."""
    grant = record["grant"]
    amount, currency = (grant["amount"], grant["currency"]) if isinstance(grant, dict) else (None, None)
    number = str(record["number"])
    stored: dict[str, JSONValue] = {
        **record,
        "customer_id": ComplaintNumber.parse(number).customer_id,
        "data": dumps(record["data"]).decode("utf-8"),
        "grant_amount": amount,
        "grant_currency": currency,
    }
    return tuple(stored[name] for name in COLUMNS)


def record_of(row: Mapping[str, object]) -> dict[str, object]:
    """A stored row as a record: the grant's two columns back in one ``grant``, the other columns as they are."""
    record = {name: value for name, value in row.items() if name not in ("grant_amount", "grant_currency")}
    amount, currency = row["grant_amount"], row["grant_currency"]
    record["grant"] = None if amount is None and currency is None else {"amount": amount, "currency": currency}
    return record


def grant_conditions(query: GrantQuery, mark: str) -> tuple[str, list[str]]:
    """The ``WHERE`` conditions of a ledger query after the customer's, and their values.

    ``mark`` is the driver's placeholder: ``?`` (sqlite3) or ``%s`` (psycopg).
    """
    conditions, values = "", []
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
    """The latest record of each case in the table ``events``, with its first record's ``at`` (``opened_at``);
    and the same for the cases whose callback is due before a time (``mark`` is the driver's placeholder)."""
    # Built from constants and the backend's own table name only; values are always bound as parameters.
    columns = ", ".join(f"e.{name}" for name in COLUMNS)
    opened = f"(SELECT o.at FROM {events} o WHERE o.number = e.number AND o.version = 1)"  # noqa: S608 - as above
    last = f"(SELECT number, MAX(version) AS last FROM {events} GROUP BY number)"  # noqa: S608 - as above
    latest = (
        f"SELECT {columns}, {opened} AS opened_at "  # noqa: S608 - as above
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
