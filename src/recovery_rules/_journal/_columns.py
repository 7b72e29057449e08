"""The table layout the SQL backends share: a column per event field, the grant in two, index columns.

SQLite and PostgreSQL store an :meth:`Event.record` the same way: ``data`` and
``ledger`` as their canonical JSON text, ``grant`` as ``grant_amount`` and
``grant_currency``, and beside them the index columns the ledger's queries use:
``customer_id`` (from the complaint number), ``ledger_at`` and ``incident``
(from the ledger entry). ``employee`` and ``policy_revision`` (event format 3) are
columns of their own, ``NULL`` in an event written before. :meth:`Event.from_record` checks every index column
against the event. Times are canonical text, which sorts in time order, so the
ledger compares them as text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

from recovery_rules._values._models import COMPLAINT_NUMBER, ComplaintNumber

from ._canonical import JSONValue, canonical_time, dumps
from ._ledger import GrantQuery
from ._store import CaseEnd

__all__ = [
    "COLUMNS",
    "LEGACY_UNTIL",
    "case_ends",
    "case_filter",
    "case_head_values",
    "case_statements",
    "grant_conditions",
    "ledger_head_statements",
    "record_of",
    "record_of_values",
    "row_of",
    "scan",
    "scan_rows",
]

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
    "employee",
    "policy_revision",
)
"""The events table's columns, in the order :func:`row_of` gives their values (the last two, added with
event format 3, are ``NULL`` for events written before)."""

LEGACY_UNTIL: Final = "legacy_until"
"""The journal setting naming the last event written before the upgrade to format 2 (0 in a journal begun after)."""

_BATCH: Final = 500
_ROW_BATCH: Final = 5000


def row_of(record: Mapping[str, JSONValue]) -> tuple[JSONValue, ...]:
    """The column values of an :meth:`Event.record`, in :data:`COLUMNS` order."""
    grant = record["grant"]
    amount, currency = (grant["amount"], grant["currency"]) if isinstance(grant, dict) else (None, None)
    number = str(record["number"])
    data, ledger = record["data"], record.get("ledger")
    at, incident = _ledger_index(ledger)
    stored: dict[str, JSONValue] = {
        **record,
        "customer_id": _customer_id(number),
        "data": data if isinstance(data, str) else dumps(data).decode("utf-8"),
        "grant_amount": amount,
        "grant_currency": currency,
        "ledger": ledger if isinstance(ledger, str) or ledger is None else dumps(ledger).decode("utf-8"),
        "ledger_at": at,
        "incident": incident,
        "employee": record.get("employee"),
        "policy_revision": record.get("policy_revision"),
    }
    return tuple(stored[name] for name in COLUMNS)


_LEDGER_AT: Final = '{"at":"'
_INCIDENT: Final = '"incident":"'


def _ledger_index(ledger: JSONValue) -> tuple[JSONValue, JSONValue]:
    """The ledger time and incident of a record's ``ledger`` (its canonical text, an object, or ``None``).

    From the canonical text, read where canonical JSON puts them (``at`` first, and no other key or value in
    it holds ``"incident":"``); any other text is parsed.
    """
    if ledger is None:
        return None, None
    if isinstance(ledger, str):
        start = ledger.find(_INCIDENT) + len(_INCIDENT)
        end = ledger.find('"', start)
        if ledger.startswith(_LEDGER_AT) and ledger[34:36] == '",' and start >= len(_INCIDENT) and end > start:
            return ledger[7:34], ledger[start:end]
        ledger = json.loads(ledger)
    if isinstance(ledger, dict):
        return ledger["at"], ledger["incident"]
    return None, None


def _customer_id(number: str) -> str:
    """The customer part of complaint number ``number`` (``20261123-10442/2``: ``10442``).

    A record's number is a :class:`ComplaintNumber`'s text: its shape is checked, and its customer part read
    from it, without making the number again; anything else is read as a complaint number (or refused).
    """
    match = COMPLAINT_NUMBER.fullmatch(number)
    return match["customer"] if match is not None else ComplaintNumber.parse(number).customer_id


def record_of(row: Mapping[str, object]) -> dict[str, object]:
    """A stored row as a record: the grant's two columns back in one ``grant``, the other columns as they are."""
    record = {name: value for name, value in row.items() if name not in ("grant_amount", "grant_currency")}
    amount, currency = row["grant_amount"], row["grant_currency"]
    record["grant"] = None if amount is None and currency is None else {"amount": amount, "currency": currency}
    return record


_RECORD_NAMES: Final = COLUMNS[:12] + COLUMNS[14:]  # every column but the grant's two


def record_of_values(values: Sequence[object]) -> dict[str, object]:
    """:func:`record_of` of a row given as its values in :data:`COLUMNS` order (a row of ``SELECT`` every column).

    The same record, made without naming each column of the row: reading a row back is on every ledger read.
    """
    if len(values) != len(COLUMNS):
        raise ValueError(f"a row of the events table has {len(COLUMNS)} columns, not {len(values)}")
    row = tuple(values)
    record: dict[str, object] = dict(zip(_RECORD_NAMES, row[:12] + row[14:], strict=True))
    amount, currency = row[12], row[13]
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


def case_statements(cases: str, events: str, mark: str, *, differs: str = "IS NOT") -> dict[str, str]:
    """The SQL of the table of cases ``cases`` (over the events table ``events``), with the driver's ``mark``.

    ``differs``: the dialect's null-safe "not equal" (SQLite's ``IS NOT``, PostgreSQL's ``IS DISTINCT FROM``).
    """
    # Built from constants and the backend's own table names only; values are always bound as parameters.
    head = f"SELECT number, version, first_seq, last_seq, last_hash, opened_at FROM {cases}"  # noqa: S608 - as above
    return {
        "all": f"{head} ORDER BY number",
        "due": f"{head} WHERE callback_due IS NOT NULL AND callback_due < {mark} ORDER BY callback_due",
        "opened": f"{head} WHERE opened_at >= {mark} AND opened_at < {mark} ORDER BY opened_at",
        "last": f"SELECT MAX(last_seq) FROM {cases}",  # noqa: S608 - as above
        # Store.unmatched_case: the first entry (by position, within a range) not naming the event stored there,
        # or not copying its state and its callback owed (the poll of overdue callbacks reads them from the table).
        "unmatched": (
            f"SELECT c.last_seq, e.number = c.number FROM {cases} c LEFT JOIN {events} e "  # noqa: S608 - as above
            f"ON e.seq = c.last_seq WHERE c.last_seq > {mark} AND c.last_seq <= {mark} AND (e.seq IS NULL "
            f"OR e.number {differs} c.number OR e.version {differs} c.version OR e.hash {differs} c.last_hash "
            f"OR e.state {differs} c.state OR e.callback_due {differs} c.callback_due) "
            "ORDER BY c.last_seq LIMIT 1"
        ),
        # Store.misopened_case: the first entry (within a range of latest positions) that does not copy its case's
        # opening event: its position (first_seq), its time (opened_at, which listings of a period select by) and
        # its customer. One look-up by position each; of an entry that differs, the case's opening event is found
        # through the events' (number, version) key, not through first_seq, and its position reported (the
        # entry's latest one when the case has no first event left).
        "misopened": (
            f"SELECT COALESCE(CASE WHEN f.number = c.number AND f.version = 1 THEN f.seq ELSE (SELECT o.seq "  # noqa: S608
            f"FROM {events} o WHERE o.number = c.number AND o.version = 1) END, c.last_seq) AS seq "
            f"FROM {cases} c LEFT JOIN {events} f ON f.seq = c.first_seq "
            f"WHERE c.last_seq > {mark} AND c.last_seq <= {mark} AND (f.seq IS NULL OR f.number {differs} c.number "
            f"OR f.version {differs} 1 OR f.at {differs} c.opened_at OR f.customer_id {differs} c.customer_id) "
            "ORDER BY 1 LIMIT 1"
        ),
        # Store.unlisted_case: the case, first by its latest event's position, with events but no entry in the
        # table. A whole check looks at the cases' first events only (version 1: every case has one), read from
        # the events' (number, version) index, which holds seq too (in SQLite; ``+`` keeps it off the seq range);
        # a resumed one at every event after the head, through the seq key. Each is looked up in the table's key.
        "unlisted": _unlisted(cases, events, mark, f"e.version = 1 AND +e.seq <= {mark}"),
        "unlisted_since": _unlisted(cases, events, mark, f"e.seq > {mark} AND e.seq <= {mark}"),
        # Store.version: the case's latest event (0) and its entry in the table of cases (1), one look-up each.
        "end": (
            f"SELECT 0 AS part, version, seq, hash FROM (SELECT version, seq, hash FROM {events} "  # noqa: S608
            f"WHERE number = {mark} ORDER BY version DESC LIMIT 1) latest "
            f"UNION ALL SELECT 1, version, last_seq, last_hash FROM {cases} WHERE number = {mark}"
        ),
        "open": (
            f"INSERT INTO {cases} (number, customer_id, version, state, first_seq, opened_at, last_seq, "  # noqa: S608
            f"last_hash, callback_due) VALUES ({', '.join([mark] * 9)})"
        ),
        "advance": (
            f"UPDATE {cases} SET version = {mark}, state = {mark}, last_seq = {mark}, "  # noqa: S608 - as above
            f"last_hash = {mark}, callback_due = {mark} WHERE number = {mark}"
        ),
        # An upgrade of a journal of release 0.1.0: the table of cases filled from its events, once.
        "fill": (
            f"INSERT INTO {cases} (number, customer_id, version, state, first_seq, opened_at, last_seq, "  # noqa: S608
            "last_hash, callback_due) "
            "SELECT e.number, e.customer_id, e.version, e.state, f.seq, f.at, e.seq, e.hash, "
            f"e.callback_due FROM {events} e "
            f"JOIN (SELECT number, MAX(version) AS last FROM {events} GROUP BY number) l "
            f"ON e.number = l.number AND e.version = l.last JOIN {events} f ON f.number = e.number AND f.version = 1"
        ),
    }


def ledger_head_statements(heads: str, events: str, mark: str, *, differs: str = "IS NOT") -> dict[str, str]:
    """The SQL :meth:`Journal.verify` checks the ledger's heads table ``heads`` with, against the events ``events``.

    ``unheaded`` (no values) and ``unheaded_since`` (values: a position, twice): the first latest grant, of every
    guest and every incident (or of those with a grant after the position), that its head does not name (by
    position and hash), by its position, or the head's when the head names a later one (a grant cut off, or
    another event). The latest grants are read from the ledger's own indexes (``customer_id, ledger_at, seq``
    and ``incident, seq``, whole), each then looked up by position, and its head by its key. Grants release 0.1.0
    wrote have no ledger entry, and no head: they are not among them. ``stray`` (values: a position, three
    times): the first head naming a position after it whose guest or incident has no grant after it (one with a
    grant after it is checked by ``unheaded_since``, or, from the start, by ``unheaded``: so a head for a guest
    with no grant, or moved on past its latest grant), or whose grant (a sealed journal's seal of one grant:
    scope ``grant``) is not at its position with its hash. ``differs``: as for :func:`case_statements`.
    ``unsealed`` (values: a position): the first grant the ledger counts after it with no seal of its own (a head of
    scope ``grant`` keyed by its position), which a sealed ledger refuses a window starting after it for.
    """
    # Built from constants and the backend's own table names only; values are always bound as parameters.
    since = (
        f" AND customer_id IN (SELECT customer_id FROM {events} WHERE seq > {mark} AND ledger_at IS NOT NULL)",  # noqa: S608
        f" AND incident IN (SELECT incident FROM {events} WHERE seq > {mark} AND incident IS NOT NULL)",  # noqa: S608
    )

    def unheaded(guests: str, incidents: str) -> str:
        return (
            "SELECT CASE WHEN h.seq > l.seq THEN h.seq ELSE l.seq END AS seq FROM (SELECT 'guest' AS scope, "  # noqa: S608
            f"customer_id AS key, MAX(seq) AS seq FROM {events} WHERE ledger_at IS NOT NULL{guests} "
            "GROUP BY customer_id UNION ALL "
            f"SELECT 'incident', incident, MAX(seq) FROM {events} WHERE incident IS NOT NULL{incidents} "
            f"GROUP BY incident ORDER BY 3) l JOIN {events} g ON g.seq = l.seq "  # by position: each read near the last
            f"LEFT JOIN {heads} h ON h.scope = l.scope AND h.key = l.key "
            f"WHERE h.seq {differs} g.seq OR h.hash {differs} g.hash ORDER BY 1 LIMIT 1"
        )

    return {
        "unheaded": unheaded("", ""),
        "unheaded_since": unheaded(*since),
        "unsealed": (
            f"SELECT e.seq FROM {events} e WHERE e.seq > {mark} AND e.grant_amount IS NOT NULL "  # noqa: S608 - as above
            f"AND e.ledger IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {heads} h WHERE h.scope = 'grant' "
            "AND h.key = CAST(e.seq AS TEXT)) ORDER BY e.seq LIMIT 1"
        ),
        "stray": (
            f"SELECT h.seq FROM {heads} h WHERE h.seq > {mark} AND CASE h.scope "  # noqa: S608 - as above
            f"WHEN 'guest' THEN NOT EXISTS (SELECT 1 FROM {events} e WHERE e.customer_id = h.key "
            f"AND e.ledger_at IS NOT NULL AND e.seq > {mark}) WHEN 'incident' THEN NOT EXISTS (SELECT 1 FROM "
            f"{events} e WHERE e.incident = h.key AND e.seq > {mark}) WHEN 'grant' THEN NOT EXISTS (SELECT 1 FROM "
            f"{events} e WHERE e.seq = h.seq AND e.hash = h.hash AND e.ledger IS NOT NULL) ELSE TRUE END "
            "ORDER BY h.seq LIMIT 1"
        ),
    }


def _unlisted(cases: str, events: str, mark: str, where: str) -> str:
    """:func:`case_statements`' ``unlisted`` statements: the events ``where`` selects whose case has no entry in
    ``cases``; of the first such case by its latest event up to a position, that event's position and its first's.

    Its values: that position, then those of ``where``. A case the table lists costs one look-up of its key.
    """
    return (
        f"SELECT latest_seq, first_seq FROM (SELECT (SELECT MAX(l.seq) FROM {events} l "  # noqa: S608 - constants
        f"WHERE l.number = e.number AND l.seq <= {mark}) AS latest_seq, (SELECT f.seq FROM {events} f "
        f"WHERE f.number = e.number AND f.version = 1) AS first_seq FROM {events} e WHERE {where} "
        f"AND NOT EXISTS (SELECT 1 FROM {cases} c WHERE c.number = e.number)) unlisted "
        "ORDER BY latest_seq LIMIT 1"
    )


def case_ends(rows: Iterable[Sequence[object]]) -> tuple[CaseEnd | None, CaseEnd | None]:
    """The case's latest event and its entry in the table of cases (each ``None`` when missing), from the rows of
    :func:`case_statements`' ``end`` (each a row's values, in order)."""
    latest: CaseEnd | None = None
    entry: CaseEnd | None = None
    for part, version, seq, hash_ in rows:
        if part == 0:
            latest = (version, seq, hash_)
        else:
            entry = (version, seq, hash_)
    return latest, entry


def case_head_values(record: Mapping[str, object], open_callback: str | None) -> tuple[object, ...]:
    """The values of :func:`case_statements`' ``open`` (a first event) or ``advance`` (a later one) for ``record``."""
    number = str(record["number"])
    if record["version"] == 1:
        customer_id = _customer_id(number)
        at, seq, hash_ = record["at"], record["seq"], record["hash"]
        return (number, customer_id, 1, record["state"], seq, at, seq, hash_, open_callback)
    return (record["version"], record["state"], record["seq"], record["hash"], open_callback, number)


def case_head_runs(
    statements: Mapping[str, str], heads: Sequence[tuple[Mapping[str, object], str | None]]
) -> list[tuple[str, list[tuple[object, ...]]]]:
    """:func:`case_head_values` of each ``(record, open_callback)`` of ``heads``, as runs of one statement each.

    In order: a case's ``open`` comes before its ``advance`` statements, as when each was run on its own.
    """
    runs: list[tuple[str, list[tuple[object, ...]]]] = []
    for record, open_callback in heads:
        statement = statements["open"] if record["version"] == 1 else statements["advance"]
        if not runs or runs[-1][0] != statement:
            runs.append((statement, []))
        runs[-1][1].append(case_head_values(record, open_callback))
    return runs


def case_filter(
    statements: Mapping[str, str],
    *,
    callback_before: str | None,
    opened_since: str | None,
    opened_until: str | None,
) -> tuple[str, tuple[str, ...]]:
    """The statement and values that list the case heads :meth:`Store.case_heads` asks for."""
    if callback_before is not None:
        return statements["due"], (callback_before,)
    if opened_since is not None or opened_until is not None:
        return statements["opened"], (opened_since or "", opened_until or "~")  # "~" sorts after every time
    return statements["all"], ()


def scan_rows(rows_from: Callable[[int, int], Sequence[Sequence[object]]], start: int) -> Iterator[tuple[object, ...]]:
    """Every stored row from position ``start`` on, as tuples in :data:`COLUMNS` order, a batch at a time."""
    position = max(start, 1)
    while True:
        rows = rows_from(position, _ROW_BATCH)
        for row in rows:
            yield tuple(row)
        if len(rows) < _ROW_BATCH:
            return
        position = int(rows[-1][0]) + 1  # type: ignore[call-overload]  # seq, an integer column


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
