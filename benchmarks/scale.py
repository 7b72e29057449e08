"""Scale benchmarks (issue 14): every journal operation at 10k to 10M events, next to a raw-database floor.

Run it with ``make bench-scale`` or ``python benchmarks/scale.py``. It builds the
journals it lacks (``benchmarks/scale_journals.py``: realistic cases, recorded
through ``Journal.append_many`` only; cached in ``benchmarks/journals/``), then
measures each operation at each size on SQLite and PostgreSQL, each next to its
*floor*: the very SQL statements the library issued for it, with the same
parameters, replayed raw (on SQLite through a plain cursor of the journal's own
connection, on PostgreSQL on a connection of its own), fetching the same rows
and doing the same arithmetic, without the library's checks. It prints
a table and writes the same figures as JSON (``benchmarks/results/scale.json``).

How the floor is made, per operation:

- a read (a ledger read, an ``overdue_callbacks`` poll, ``Case.load``, a listing):
  the library's statements are recorded once (a stand-in for the journal's
  connection records every statement and its parameters), then replayed;
- a write (an append, a whole case): the library does it in a *dry run* first
  (its statements recorded, its transactions held open and rolled back at the
  end), and the floor then replays those statements for real: it writes the very
  events the library would have written, so the journal stays valid (checked
  with ``verify(resume_from=...)`` after each series). The library then does the
  same operation for the next case, timed, right after a dry run of it (as the
  floor comes right after its own): both start alike. Each pair is measured in
  alternation.

Writes are measured on a scratch copy of each journal (a copy of the SQLite
file, a copy of the PostgreSQL schema), made after the reads and deleted after
the writes, so the cached journals stay exactly as built from run to run. The
writes are dated before the journals' first day (fresh days for the heavy
guest) or filed for new guests. ``--quick`` takes fewer samples; ``--tiny`` runs everything on journals
of 2,000 events (a check of the script, in about a minute).

A measuring run pins itself to one CPU (``--no-pin`` not to), and so the
PostgreSQL server it starts, which inherits it (a server already running, or one
``RECOVERY_RULES_BENCH_DSN`` names, is not pinned). On a machine of two cores,
unpinned, the floor of one ledger read (six round trips to the server) took
390 µs in one series and 650 µs in the next, turning medians into coin tosses;
pinned, client and server take turns on one core, and every series cost the same
(340 to 360 µs on that machine). ``--build-only`` does not pin,
so two builds (``--backends sqlite`` and ``--backends postgres``) can run side by side.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import gc
import hashlib
import json
import logging
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any, Final, Protocol

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_journals as sj

from recovery_rules import (
    BulkEntry,
    Case,
    ChainHead,
    Complaint,
    ComplaintNumber,
    Customer,
    Journal,
    MemoryJournal,
    Money,
    Policy,
    PostgresJournal,
    Remedy,
    SQLiteJournal,
    Window,
    presets,
)
from recovery_rules._journal import canonical_time

ROOT = Path(__file__).resolve().parents[1]
DSN_VARIABLE: Final = "RECOVERY_RULES_BENCH_DSN"
DIR_VARIABLE: Final = "RECOVERY_RULES_BENCH_DIR"
TIMEZONE: Final = "America/New_York"  # the Ritz-Carlton preset's
CURRENCY: Final = "USD"
OVERDUE_FOUND: Final = 20  # a poll finds this many overdue callbacks at every size
RESUME_BEHIND: Final = 10_000  # verify(resume_from=...) starts this many events before the end
BULK_EVENTS: Final = 1000  # the bulk path's probe: one transaction of append_many, as the builds use
BREAKDOWN: Final = 20  # an append's probe takes this many more pairs, to tell its statements from its own work
BULK_START: Final = dt.datetime(2012, 1, 2, 9, tzinfo=dt.UTC)  # long before the fresh days of the other writes

Trace = list[tuple[str, Any]]


class Many(list[Any]):
    """The rows of one ``executemany`` in a trace (in place of one statement's parameters): replayed the same way."""


# -- recording the library's statements -------------------------------------------------------------------------------


class SQLiteTap:
    """Stands in for a journal's ``sqlite3`` connection: records every statement; in a dry run commits nothing."""

    def __init__(self, real: sqlite3.Connection) -> None:
        self.real = real
        self.trace: Trace = []
        self.dry = False

    @property
    def in_transaction(self) -> bool:
        return self.real.in_transaction

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> sqlite3.Cursor:
        self.trace.append((sql, tuple(parameters)))
        if self.dry and (sql.startswith("BEGIN") or sql == "COMMIT"):
            return self.real.execute("SELECT 1")  # the dry run's one transaction stays open
        return self.real.execute(sql, parameters)

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> sqlite3.Cursor:
        many = Many(rows)
        self.trace.append((sql, many))
        return self.real.executemany(sql, many)

    def cursor(self) -> sqlite3.Cursor:
        return self.real.cursor()

    def close(self) -> None:
        self.real.close()


class SQLiteStopwatch:
    """Stands in for a journal's ``sqlite3`` connection: times every statement (its ``execute`` and ``fetch``es
    are one call into SQLite each; the time a statement takes is counted from its ``execute`` to its result)."""

    def __init__(self, real: sqlite3.Connection) -> None:
        self.real = real
        self.spent_ns = 0

    @property
    def in_transaction(self) -> bool:
        return self.real.in_transaction

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> sqlite3.Cursor:
        start = time.perf_counter_ns()
        try:
            return self.real.execute(sql, parameters)
        finally:
            self.spent_ns += time.perf_counter_ns() - start

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> sqlite3.Cursor:
        start = time.perf_counter_ns()
        try:
            return self.real.executemany(sql, rows)
        finally:
            self.spent_ns += time.perf_counter_ns() - start

    def cursor(self) -> sqlite3.Cursor:
        return self.real.cursor()


@dataclasses.dataclass(frozen=True)
class _Idle:
    transaction_status: object


class PostgresTap:
    """Stands in for a journal's ``psycopg`` connection: records every statement; in a dry run commits nothing."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.trace: Trace = []
        self.dry = False
        import psycopg  # noqa: PLC0415 - the postgres extra

        self._idle = _Idle(psycopg.pq.TransactionStatus.IDLE)

    @property
    def closed(self) -> bool:
        return bool(self.real.closed)

    @property
    def info(self) -> Any:
        return self._idle if self.dry else self.real.info  # in a dry run the connection looks idle between steps

    def execute(self, query: str, parameters: Any = None) -> Any:
        self.trace.append((query, parameters))
        if self.dry and query == "COMMIT":
            return self.real.execute("SELECT 1")
        if self.dry and query.startswith("BEGIN"):
            # A nested BEGIN is only a warning, but its options (READ ONLY) would apply to the dry run's
            # transaction: run what follows it alone, keeping the results in the same places.
            _, _, rest = query.partition(";")
            return self.real.execute("SELECT 1;" + rest if rest else "SELECT 1", parameters)
        return self.real.execute(query, parameters)

    def cursor(self, *args: Any, **kwargs: Any) -> Any:
        return _TappedCursor(self.real.cursor(*args, **kwargs), self.trace)

    def close(self) -> None:
        self.real.close()


class _TappedCursor:
    """A ``psycopg`` cursor whose ``executemany`` calls are recorded in ``trace`` (the journal writes a batch so)."""

    def __init__(self, real: Any, trace: Trace) -> None:
        self.real = real
        self.trace = trace

    def __enter__(self) -> _TappedCursor:
        self.real.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.real.__exit__(*exc)

    def executemany(self, query: str, rows: Iterable[Any]) -> None:
        many = Many(rows)
        self.trace.append((query, many))
        self.real.executemany(query, many)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class Backend(Protocol):
    name: str

    @property
    def journal(self) -> Journal: ...

    def recorded(self, call: Callable[[], object]) -> Trace: ...

    def dry(self, call: Callable[[], object]) -> Trace: ...

    def replay(self, trace: Trace) -> list[list[tuple[Any, ...]]]: ...

    def raw(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]: ...

    def close(self) -> None: ...


class SQLiteBackend:
    """An SQLite journal whose statements can be recorded, and a raw cursor on its connection for the floor.

    The recording stand-in takes the place of the journal's connection only while recording: what is timed
    runs on the journal's own connection.
    """

    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.journal = SQLiteJournal(path, clock=sj.clock)
        self.tap = SQLiteTap(self.journal._connection())
        # The floor's statements run on the journal's own connection (its settings, its page cache), through a
        # cursor of plain tuples: a second connection would find its page cache emptied by every write of the
        # other one (SQLite empties it when another connection changed the file), and pay for reading it again.
        self.cursor = self.tap.real.cursor()
        self.cursor.row_factory = None

    @contextlib.contextmanager
    def _tapped(self) -> Iterator[SQLiteTap]:
        local: Any = self.journal._local
        local.connection = self.tap
        self.tap.trace = []
        try:
            yield self.tap
        finally:
            local.connection = self.tap.real

    def recorded(self, call: Callable[[], object]) -> Trace:
        with self._tapped() as tap:
            call()
            return tap.trace

    def dry(self, call: Callable[[], object]) -> Trace:
        with self._tapped() as tap:
            tap.real.execute("BEGIN IMMEDIATE")
            tap.dry = True
            try:
                call()
            finally:
                tap.dry = False
                tap.real.execute("ROLLBACK")
            return tap.trace

    def stopwatch(self, call: Callable[[], object]) -> tuple[float, float]:
        """``call()`` timed: how long it took in all, and how much of it its statements took (µs)."""
        local: Any = self.journal._local
        watch = local.connection = SQLiteStopwatch(self.tap.real)
        try:
            start = time.perf_counter_ns()
            call()
            total = time.perf_counter_ns() - start
        finally:
            local.connection = self.tap.real
        return total / 1000, watch.spent_ns / 1000

    def replay(self, trace: Trace) -> list[list[tuple[Any, ...]]]:
        execute, many = self.cursor.execute, self.cursor.executemany
        return [
            many(sql, parameters).fetchall() if isinstance(parameters, Many) else execute(sql, parameters).fetchall()
            for sql, parameters in trace
        ]

    def raw(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return self.cursor.execute(sql.replace("{s}.", ""), parameters).fetchall()

    def close(self) -> None:
        self.cursor.close()
        self.journal.close()


class PostgresBackend:
    """A PostgreSQL journal whose statements can be recorded, and a raw connection to the same database."""

    name = "postgres"

    def __init__(self, dsn: str, schema: str) -> None:
        import psycopg  # noqa: PLC0415 - the postgres extra

        logging.getLogger("psycopg").setLevel(logging.ERROR)  # a dry run's nested BEGIN draws a warning
        self.dsn = dsn
        self.schema = schema
        self.journal = PostgresJournal(dsn, schema=schema, clock=sj.clock)
        journal: Any = self.journal
        with journal._lock:
            idle = journal._idle
            self.real = idle.pop() if idle else journal._open()
            for spare in idle:
                spare.close()
            journal._idle = [self.real]
        self.tap = PostgresTap(self.real)
        self.connection = psycopg.connect(dsn, autocommit=True)
        self.connection.execute("SET synchronous_commit = on")  # as the journal's own connections

    @contextlib.contextmanager
    def _tapped(self) -> Iterator[PostgresTap]:
        journal: Any = self.journal
        journal._idle = [self.tap]
        self.tap.trace = []
        try:
            yield self.tap
        finally:
            journal._idle = [self.real]

    def recorded(self, call: Callable[[], object]) -> Trace:
        with self._tapped() as tap:
            call()
            return tap.trace

    def dry(self, call: Callable[[], object]) -> Trace:
        with self._tapped() as tap:
            tap.real.execute("BEGIN")
            tap.dry = True
            try:
                call()
            finally:
                tap.dry = False
                tap.real.execute("ROLLBACK")
            return tap.trace

    def replay(self, trace: Trace) -> list[list[tuple[Any, ...]]]:
        execute = self.connection.execute
        results: list[list[tuple[Any, ...]]] = []
        for query, parameters in trace:
            if isinstance(parameters, Many):
                with self.connection.cursor() as writer:
                    writer.executemany(query, parameters)
                results.append([])
                continue
            cursor = execute(query, parameters)
            rows: list[tuple[Any, ...]] = []
            while True:
                if cursor.description is not None:
                    rows.extend(cursor.fetchall())
                if not cursor.nextset():
                    break
            results.append(rows)
        return results

    def raw(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self.connection.execute(sql.replace("{s}", self.schema), parameters).fetchall()
        return rows

    def close(self) -> None:
        self.journal.close()
        self.connection.close()


# -- the columns of an event row, as the journal's tables store them -------------------------------------------------

SEQ, NUMBER, STATE, AT, DATA, CALLBACK, HASH, LEDGER = 0, 2, 6, 8, 11, 14, 16, 17


def _is_record_at(sql: str) -> bool:
    return sql.rstrip().endswith(("WHERE seq = ?", "WHERE seq = %s"))


# -- measuring -------------------------------------------------------------------------------------------------------


def _us(call: Callable[[], object]) -> float:
    start = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - start) / 1000


@dataclasses.dataclass
class Probe:
    """One operation on one journal, ready to be timed next to its floor.

    ``prepare`` (writes only) runs untimed just before each ``floor``: the dry run whose statements the
    floor replays; ``rehearse`` (writes only) runs untimed just before each ``subject``: a dry run of the
    subject's own write, so that both start alike. ``finish`` runs after the timing: checks, and figures to
    show beside the times.
    """

    what: str
    subject: Callable[[], object]
    floor: Callable[[], object]
    samples: int
    prepare: Callable[[], object] | None = None
    rehearse: Callable[[], object] | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    finish: Callable[[], dict[str, Any]] | None = None


@dataclasses.dataclass
class Settings:
    reads: int
    writes: int
    cases: int
    listings: int
    rounds: int


@dataclasses.dataclass
class Context:
    """One journal being measured."""

    backend: Backend
    size: int
    facts: sj.BuildFacts
    settings: Settings
    rows: list[dict[str, Any]]
    ritz: Policy
    park: Policy
    run: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex[:6])
    fresh: list[dt.date] = dataclasses.field(default_factory=list)
    later: int = 0

    @property
    def journal(self) -> Journal:
        return self.backend.journal

    @property
    def end(self) -> dt.datetime:
        """The time of the journal's last built event."""
        return dt.datetime.fromisoformat(self.facts.last_at)

    def record(self, what: str, subject_us: float, floor_us: float | None, **extra: Any) -> None:
        row = {
            "what": what,
            "backend": self.backend.name,
            "size": self.size,
            "events": self.journal.head().count,
            "median_us": round(subject_us, 2),
            "floor_us": None if floor_us is None else round(floor_us, 2),
            "ratio": None if not floor_us else round(subject_us / floor_us, 3),
            **extra,
        }
        self.rows.append(row)
        floor_text = "" if floor_us is None else f"   floor {_shown(floor_us):>10}  x{subject_us / floor_us:5.2f}"
        notes = "  " + ", ".join(f"{name} {value}" for name, value in extra.items()) if extra else ""
        print(f"  {sj.label(self.size):>5} {what:60} {_shown(subject_us):>10}{floor_text}{notes}", flush=True)

    def later_day(self) -> dt.date:
        """A day after the journal's last event (a new one each call), on which the heavy guest has no grant.

        For a window counted by time (the theme park's day): a step dated before the guest's latest grant is
        checked against the window that grant is counted in (the ledger is never read back in time), so a
        first case of its day must come after the journal's events, not before them.
        """
        self.later += 1
        return self.end.date() + dt.timedelta(days=self.later)

    def fresh_day(self) -> dt.date:
        """A day before the journal's first one on which the heavy guest has no case yet (a new one each call).

        Not the day a case is numbered under only: every day from the day before it opened to the day after
        its last step, so that no time zone's day (the theme park's, in Los Angeles) holds one of its grants.
        """
        if not self.fresh:
            used = set()
            for summary in self.journal.cases(until=sj.JOURNAL_START):
                if summary.number.customer_id == sj.HEAVY:
                    day = min(summary.number.date, summary.opened_at.date()) - dt.timedelta(days=1)
                    while day <= summary.last_at.date() + dt.timedelta(days=1):
                        used.add(day)
                        day += dt.timedelta(days=1)
            day = sj.JOURNAL_START.date() - dt.timedelta(days=1)
            while len(self.fresh) < 2000:
                if day not in used:
                    self.fresh.append(day)
                day -= dt.timedelta(days=1)
        return self.fresh.pop(0)


def run_probes(contexts: dict[int, Context], make: Callable[[Context], list[Probe]]) -> None:
    """Time one kind of operation on every journal, the sizes taking turns, each next to its floor.

    The samples of each size are taken in rounds, the sizes one after another in each round, so that a
    machine speeding up or slowing down (a busy one does, from minute to minute) is seen by every size.
    """
    made = {size: make(context) for size, context in contexts.items()}
    names = list(dict.fromkeys(probe.what for probes in made.values() for probe in probes))
    for name in names:
        present = {size: probe for size, probes in made.items() for probe in probes if probe.what == name}
        found: dict[int, tuple[list[float], list[float]]] = {size: ([], []) for size in present}
        for probe in present.values():  # warm up
            for _ in range(2 if probe.samples > 3 else 0):
                _sample(probe, 0)
        rounds = max(1, min(contexts[next(iter(present))].settings.rounds, *(p.samples for p in present.values())))
        for turn in range(rounds):
            for size, probe in present.items():
                for index in range(probe.samples // rounds + (1 if turn < probe.samples % rounds else 0)):
                    subject_us, floor_us = _sample(probe, index)
                    found[size][0].append(subject_us)
                    found[size][1].append(floor_us)
        for size, probe in present.items():
            extra = {**probe.extra, **(probe.finish() if probe.finish is not None else {})}
            subjects, floors = found[size]
            contexts[size].record(name, statistics.median(subjects), statistics.median(floors), **extra)


def _sample(probe: Probe, index: int) -> tuple[float, float]:
    """One timing of the subject and one of the floor (a write's each right after a dry run of the same write)."""
    if probe.prepare is not None:
        probe.prepare()
        floor_us = _us(probe.floor)
        if probe.rehearse is not None:
            probe.rehearse()
        return _us(probe.subject), floor_us
    if index % 2:
        floor_us = _us(probe.floor)
        return _us(probe.subject), floor_us
    subject_us = _us(probe.subject)
    return subject_us, _us(probe.floor)


def _shown(us: float) -> str:
    if us >= 1_000_000:
        return f"{us / 1_000_000:.2f} s"
    if us >= 1000:
        return f"{us / 1000:.2f} ms"
    return f"{us:.1f} us"


def _write_probe(
    what: str,
    backend: Backend,
    dry: Callable[[int], object],
    subject: Callable[[int], object],
    *,
    samples: int,
    finish: Callable[[], dict[str, Any]] | None = None,
    breakdown: int = 0,
) -> Probe:
    """A write's probe: each floor replays the statements of a dry run of ``dry(n)``; the subject does ``subject(n)``.

    ``n`` counts from 0 for each; the figure ``statements`` is how many the last dry run recorded. With
    ``breakdown`` (SQLite only), that many more pairs are taken after the timing, the library's with a
    stopwatch on its connection: the figures ``statements_us`` (the median time its statements took inside
    it, to set beside the floor) and ``own_us`` (the median of the rest: the library's own work). The
    subject is timed right after a dry run of its own write too (rolled back; it leaves nothing behind, the
    same event is then written for real), as the floor is right after the dry run it replays. Timed right
    after the floor's commit instead (the process having just waited for the disk, while the floor starts
    with its very statements just run), an append without a grant measured 1.36x its floor on the 10k
    journal, and 1.07x to 1.18x timed alike.
    """
    state: dict[str, Any] = {"dry": 0, "done": 0, "trace": []}

    def prepare() -> None:
        number = state["dry"]
        state["dry"] += 1
        state["trace"] = backend.dry(lambda: dry(number))

    def floor() -> object:
        return backend.replay(state["trace"])

    def timed() -> object:
        number = state["done"]
        state["done"] += 1
        return subject(number)

    def rehearse() -> None:
        backend.dry(lambda: subject(state["done"]))

    def parts() -> dict[str, Any]:
        stopwatch = getattr(backend, "stopwatch", None)
        if not breakdown or stopwatch is None:
            return {}
        spent: list[float] = []
        own: list[float] = []
        for _ in range(breakdown):
            prepare()
            floor()
            rehearse()
            total_us, statements_us = stopwatch(timed)
            spent.append(statements_us)
            own.append(total_us - statements_us)
        return {"statements_us": round(statistics.median(spent), 1), "own_us": round(statistics.median(own), 1)}

    def finished() -> dict[str, Any]:
        return {"statements": len(state["trace"]), **parts(), **(finish() if finish is not None else {})}

    return Probe(what, timed, floor, samples, prepare=prepare, rehearse=rehearse, finish=finished)


# -- b. the ledger ---------------------------------------------------------------------------------------------------


def _ledger_total(row: tuple[Any, ...], scope: str) -> tuple[Decimal, str]:
    entry = json.loads(row[LEDGER])
    return Decimal(entry[scope]["total"]), entry["at"]


def ledger_floor(
    backend: Backend, trace: Trace, *, scope: str, since: str | None, until: str | None
) -> Callable[[], Decimal]:
    """The raw replay of a ledger read, and the same arithmetic on the running totals it fetched."""
    positions = {"latest": -1, "last": -1, "before": -1}
    for index, (sql, parameters) in enumerate(trace):
        if _is_record_at(sql) and positions["latest"] < 0:
            positions["latest"] = index
        elif "ledger_at <" in sql:
            positions["last" if parameters[1] == until else "before"] = index

    def floor() -> Decimal:
        results = backend.replay(trace)
        found = results[positions["latest"]] if positions["latest"] >= 0 else []
        if not found:
            return Decimal("0.00")
        row = found[0]
        if until is not None and positions["last"] >= 0:  # the window ends before the latest grant
            last = results[positions["last"]]
            if not last:
                return Decimal("0.00")
            row = last[0]
        total, at = _ledger_total(row, scope)
        if since is None:
            return total
        if at < since:
            return Decimal("0.00")
        before = results[positions["before"]] if positions["before"] >= 0 else []
        return total - _ledger_total(before[0], scope)[0] if before else total

    return floor


def ledger_probes(context: Context) -> list[Probe]:
    journal, backend = context.journal, context.backend
    mark = "%s" if backend.name == "postgres" else "?"
    heavy_grant = backend.raw(
        f"SELECT number, ledger_at FROM {{s}}.events WHERE customer_id = {mark} AND ledger IS NOT NULL "  # noqa: S608 - a constant
        "ORDER BY seq DESC LIMIT 1",
        (sj.HEAVY,),
    )
    latest_number, latest_at = ComplaintNumber.parse(heavy_grant[0][0]), heavy_grant[0][1]
    now = dt.datetime.fromisoformat(latest_at.replace("Z", "+00:00")) + dt.timedelta(minutes=1)
    number = ComplaintNumber(now.date(), sj.HEAVY, 1)
    reads: list[tuple[str, Window, dt.datetime, ComplaintNumber | None]] = [
        ("ledger: heavy guest, day window", Window("day"), now, None),
        ("ledger: heavy guest, 30-day rolling window", Window("rolling", dt.timedelta(days=30)), now, None),
        ("ledger: heavy guest, incident window", Window("incident"), now, latest_number),
    ]
    if context.end - sj.JOURNAL_START > dt.timedelta(days=2):
        reads.append(("ledger: heavy guest, day window, a past day", Window("day"), now - dt.timedelta(days=1), None))
    probes = []
    for what, window, moment, incident in reads:

        def subject(window: Window = window, moment: dt.datetime = moment, incident: Any = incident) -> Decimal:
            return journal.granted(
                number, window=window, timezone=TIMEZONE, currency=CURRENCY, now=moment, incident=incident
            ).amount

        trace = backend.recorded(subject)
        since = until = None
        if window.kind == "day":
            start = dt.datetime.combine(moment.astimezone(_zone()).date(), dt.time(0), tzinfo=_zone())
            since = canonical_time(start)
            until = canonical_time(start + dt.timedelta(days=1))
        elif window.kind == "rolling":
            assert window.duration is not None
            since = canonical_time(moment - window.duration + dt.timedelta(microseconds=1))
        scope = "incident_total" if window.kind == "incident" else "guest"
        floor = ledger_floor(backend, trace, scope=scope, since=since, until=until)
        found = subject()
        assert floor() == found, (what, floor(), found)
        read = backend.replay(trace)  # how many events the read fetched (each one hash-checked by the library)
        events = sum(1 for (sql, _), rows in zip(trace, read, strict=True) if "SELECT seq, format" in sql and rows)
        extra = {"statements": len(trace), "events_read": events}
        probes.append(Probe(what, subject, floor, context.settings.reads, extra={**extra, "granted": str(found)}))
    return probes


def _zone() -> Any:
    import zoneinfo  # noqa: PLC0415 - only the ledger's day windows need it

    return zoneinfo.ZoneInfo(TIMEZONE)


# -- c. overdue callbacks, f. reading cases back ---------------------------------------------------------------------


def _pairs(trace: Trace, results: list[list[tuple[Any, ...]]]) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """The (first event, latest event) rows of each case a listing read, in the order it read them."""
    rows = [result[0] for (sql, _), result in zip(trace, results, strict=True) if _is_record_at(sql) and result]
    return list(zip(rows[0::2], rows[1::2], strict=True))


def overdue_probes(context: Context) -> list[Probe]:
    backend = context.backend
    mark = "%s" if backend.name == "postgres" else "?"
    due = backend.raw(
        f"SELECT callback_due FROM {{s}}.cases WHERE callback_due IS NOT NULL ORDER BY callback_due "  # noqa: S608 - a constant
        f"LIMIT 1 OFFSET {mark}",
        (OVERDUE_FOUND - 1,),
    )
    probes = []
    polls = (
        ("overdue_callbacks(now): one poll", dt.datetime.fromisoformat(due[0][0].replace("Z", "+00:00"))),
        ("overdue_callbacks(end of journal)", context.end),
    )
    for what, moment in polls:
        now = moment + dt.timedelta(microseconds=1)

        def subject(now: dt.datetime = now) -> list[tuple[str, str]]:
            overdue = context.journal.overdue_callbacks(now)
            return [(str(s.number), canonical_time(s.callback_by)) for s in overdue if s.callback_by is not None]

        trace = backend.recorded(subject)

        def floor(trace: Trace = trace, cutoff: str = canonical_time(now)) -> list[tuple[str, str]]:
            results = backend.replay(trace)
            found = [
                (last[NUMBER], last[CALLBACK])
                for _, last in _pairs(trace, results)
                if last[STATE] != "closed" and last[CALLBACK] is not None and last[CALLBACK] < cutoff
            ]
            return sorted(found, key=lambda item: (item[1], item[0]))

        found = subject()
        assert floor() == found
        probes.append(Probe(what, subject, floor, context.settings.reads, extra={"found": len(found)}))
    return probes


def load_probes(context: Context) -> list[Probe]:
    backend, journal = context.backend, context.journal
    mark = "%s" if backend.name == "postgres" else "?"
    middle = max(1, context.facts.events // 2)
    statement = f"SELECT number FROM {{s}}.events WHERE seq >= {mark} AND kind = {mark} ORDER BY seq LIMIT 1"  # noqa: S608 - a constant
    # A case escalated and approved by the manager (10 events), or in a journal too short for one, a closed case.
    found = backend.raw(statement, (middle, "manager_approved")) or backend.raw(statement, (1, "closed"))
    number = ComplaintNumber.parse(found[0][0])

    def load() -> tuple[int, str]:
        case = Case.load(journal, context.ritz, number)
        return len(case.history), case.state.value

    trace = backend.recorded(load)

    # The events are read by the statement that orders them by version; the case's entry in the table of
    # cases is read after them (it must name the latest), and the floor replays that statement too.
    (events_at,) = [index for index, (sql, _) in enumerate(trace) if "ORDER BY version" in sql]

    def load_floor() -> tuple[int, str]:
        rows = backend.replay(trace)[events_at]
        views = [json.loads(row[DATA]) for row in rows]
        return len(views), rows[-1][STATE]

    assert load_floor() == load()
    return [Probe("Case.load: one case", load, load_floor, context.settings.reads, extra={"events": load()[0]})]


def listing_probes(context: Context) -> list[Probe]:
    backend, journal = context.backend, context.journal
    since, until = _first_day(context)

    def listing() -> list[str]:
        return [str(summary.number) for summary in journal.cases(since=since, until=until)]

    trace = backend.recorded(listing)

    def listing_floor() -> list[str]:
        results = backend.replay(trace)
        return sorted((last[NUMBER] for _, last in _pairs(trace, results)), key=_number_key)

    listed = listing()
    assert listing_floor() == listed
    cases = len(listed)
    return [
        Probe(
            "cases(since=, until=): one day",
            listing,
            listing_floor,
            context.settings.listings,
            extra={"found": cases},
        )
    ]


def report_probes(context: Context) -> list[Probe]:
    from recovery_rules.metrics import report as metrics  # noqa: PLC0415 - what report --since/--until runs

    backend, journal = context.backend, context.journal
    since, until = _first_day(context)
    report_now = context.end + dt.timedelta(hours=1)
    cutoff = canonical_time(report_now)

    def report() -> int:
        return metrics(journal, since=since, until=until, now=report_now, source="bench").cases.total

    trace = backend.recorded(report)

    def report_floor() -> int:
        results = backend.replay(trace)
        numbers = set()
        for (sql, parameters), rows in zip(trace, results, strict=True):
            if "ORDER BY version" in sql and rows and rows[0][AT] <= cutoff:  # a case as it stood at now
                numbers.add(parameters[0])
                for row in rows:
                    json.loads(row[DATA])
        return len(numbers)

    cases = report()
    assert report_floor() == cases, (report_floor(), cases)
    samples = 1 if cases > 5000 else max(1, context.settings.listings // 2)  # a day of a hotel group takes minutes
    return [
        Probe("report --since/--until: one day (build_report)", report, report_floor, samples, extra={"found": cases})
    ]


def _first_day(context: Context) -> tuple[dt.datetime, dt.datetime]:
    """The journal's first day, or the whole journal when it is shorter (events written while measuring left out)."""
    end = min(sj.JOURNAL_START + dt.timedelta(days=1), context.end + dt.timedelta(seconds=1))
    return sj.JOURNAL_START, end


def _number_key(text: str) -> tuple[str, str, int]:
    """How ``cases`` orders complaint numbers (date, customer, sequence), from the text alone."""
    date, _, rest = text.partition("-")
    customer, _, sequence = rest.partition("/")
    return (date, customer, int(sequence) if sequence else 1)


# -- d. one append, a. whole cases -----------------------------------------------------------------------------------


def _stamped(context: Context, template: int, customer: str, day: dt.date, steps: slice) -> list[BulkEntry]:
    """The events ``steps`` of template case ``template``, stamped for ``customer`` on ``day`` at 10:00 UTC."""
    chosen = TEMPLATES[template]
    start = dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)
    number = ComplaintNumber(day, customer, 1)
    text = str(number)
    return [
        BulkEntry(
            number,
            step.draft(start, text, customer),
            key=f"bench-{context.run}-{uuid.uuid4().hex[:12]}",
            request={"step": step.kind, "number": text},
            expected_version=version,
        )
        for version, step in enumerate(chosen.steps[steps], start=steps.start or 0)
    ]


def _append(journal: Journal, entry: BulkEntry) -> object:
    assert entry.expected_version is not None
    return journal.append(
        entry.number, entry.build, expected_version=entry.expected_version, key=entry.key, request=entry.request
    )


def _forgetting(journal: Journal, entry: BulkEntry) -> object:
    """:func:`_append` by a journal object that has checked no grant yet (as one in another process)."""
    journal.__dict__.pop("_verified", None)  # the memo of verified grants, made again on first use
    return _append(journal, entry)


def _still_valid(context: Context, head: ChainHead, what: str) -> Callable[[], dict[str, Any]]:
    """A check, after a series of writes: every event written since ``head`` (the floor's too) is intact and chained."""

    def check() -> dict[str, Any]:
        checked = context.journal.verify(resume_from=head)
        assert checked.ok, (what, checked)
        return {}

    return check


def append_probes(context: Context) -> list[Probe]:
    journal, backend = context.journal, context.backend
    count = context.settings.writes + 8 + BREAKDOWN  # the samples, the warm-up, the breakdown and a few more
    head = journal.head()
    # An append without a grant: the first event of a new guest's case.
    opened = [
        _stamped(context, 0, f"N{context.run}{i:05d}", context.fresh_day(), slice(0, 1))[0] for i in range(2 * count)
    ]
    return [
        _write_probe(
            "append: one event, no grant",
            backend,
            lambda n: _append(journal, opened[2 * n]),
            lambda n: _append(journal, opened[2 * n + 1]),
            samples=context.settings.writes,
            finish=_still_valid(context, head, "append"),
            breakdown=BREAKDOWN,
        ),
        _denial_probe(context, count, head),
        *_grant_probes(context, "append: one grant, ", other=f"F{context.run}"),
    ]


def _denial_probe(context: Context, count: int, head: ChainHead) -> Probe:
    """An append of a decision that grants nothing: a denial, its Plan B and its wording (the largest event data).

    Each sample is a new guest's case, its first four steps written beforehand; no ledger is read or written.
    Set beside the opening (a few hundred bytes of data) it shows what the size of an event's data costs.
    """
    journal = context.journal
    template = next(
        index
        for index, chosen in enumerate(TEMPLATES)
        if any(step.kind == "decided" and step.grant is None for step in chosen.steps)
    )
    decided = next(i for i, step in enumerate(TEMPLATES[template].steps) if step.kind == "decided")
    cases = [
        _stamped(context, template, f"D{context.run}{i:05d}", context.fresh_day(), slice(0, decided + 1))
        for i in range(2 * count)
    ]
    journal.append_many(entry for entries in cases for entry in entries[:decided])
    size = len(json.dumps(cases[0][decided].build.data, separators=(",", ":")))  # type: ignore[union-attr]  # a Draft
    return _write_probe(
        f"append: a decision without a grant ({size / 1000:.1f} KB of data)",
        context.backend,
        lambda n: _append(journal, cases[2 * n][decided]),
        lambda n: _append(journal, cases[2 * n + 1][decided]),
        samples=context.settings.writes,
        finish=_still_valid(context, head, "append a denial"),
        breakdown=BREAKDOWN,
    )


LEDGER_KEY: Final = bytes(range(32))
"""The ledger key :func:`sealed_probes` seals the scratch journals with (a real one: ``secrets.token_bytes(32)``)."""


def sealed_probes(context: Context) -> list[Probe]:
    """The grant appends of :func:`append_probes` once the journal's ledger is sealed (``ledger_key=``).

    The scratch journal is sealed first (``seal_ledger``: the whole chain verified, every head checked and
    sealed; its time is printed). A grant's previous grant is then read from its sealed head, one HMAC checked,
    whoever wrote it.
    """
    started = time.perf_counter()
    heads = context.journal.seal_ledger(LEDGER_KEY)
    spent = time.perf_counter() - started
    print(f"  {sj.label(context.size):>5} (its ledger sealed: {heads:,} heads in {spent:,.1f} s)", flush=True)
    return _grant_probes(context, "append: one grant, sealed ledger, ", other=f"S{context.run}")


def _grant_probes(context: Context, label: str, *, other: str) -> list[Probe]:
    """An append of a grant: the decision of a heavy guest's case (the ledger's running totals read and written).

    Its previous grant is one this journal object has not checked yet (another process wrote it; the memo of
    verified grants is emptied before each append, since the floor's row is the very one the dry run sealed),
    so it is checked whole; or one this journal object wrote itself (the floor writes another guest's grants),
    so the memo recognizes the row and does not check it again. ``other``: the guest whose grants the floor
    writes.
    """
    journal, backend = context.journal, context.backend
    count = context.settings.writes + 8 + BREAKDOWN  # the samples, the warm-up, the breakdown and a few more
    head = journal.head()
    prepared = [_stamped(context, 0, sj.HEAVY, context.fresh_day(), slice(0, 5)) for _ in range(2 * count)]
    own = [_stamped(context, 0, sj.HEAVY, context.fresh_day(), slice(0, 5)) for _ in range(count)]
    others = [_stamped(context, 0, other, context.fresh_day(), slice(0, 5)) for _ in range(count)]
    journal.append_many(entry for entries in (*prepared, *own, *others) for entry in entries[:4])
    return [
        _write_probe(
            label + "the guest's previous grant not yet checked by this journal object",
            backend,
            lambda n: _append(journal, prepared[2 * n][4]),
            lambda n: _forgetting(journal, prepared[2 * n + 1][4]),
            samples=context.settings.writes,
            finish=_still_valid(context, head, "append a grant"),
            breakdown=BREAKDOWN,
        ),
        _write_probe(
            label + "the guest's previous grant written by this journal object",
            backend,
            lambda n: _append(journal, others[n][4]),
            lambda n: _append(journal, own[n][4]),
            samples=context.settings.writes,
            finish=_still_valid(context, head, "append a grant"),
            breakdown=BREAKDOWN,
        ),
    ]


def bulk_probes(context: Context) -> list[Probe]:
    """``append_many`` of 1,000 events (one transaction), on a day of its own long before the journal's."""
    journal, backend = context.journal, context.backend
    head = journal.head()
    batches = []
    for index in range(2 * (context.settings.cases + 3)):
        start = BULK_START + dt.timedelta(days=index)
        facts = sj.StreamFacts()
        entries = islice(sj.stream(TEMPLATES, facts, seed=1000 + index, start=start, history=False), BULK_EVENTS)
        key = f"bulk-{context.run}-{index}-"
        batches.append([dataclasses.replace(entry, key=key + entry.key) for entry in entries])
    return [
        _write_probe(
            f"append_many: {BULK_EVENTS:,} events in one transaction",
            backend,
            lambda n: journal.append_many(batches[2 * n]),
            lambda n: journal.append_many(batches[2 * n + 1]),
            samples=context.settings.cases,
            finish=_still_valid(context, head, "append_many"),
        )
    ]


def _whole_case(journal: Journal, policy: Policy, customer: str, at: dt.datetime, amount: str) -> tuple[str, int]:
    complaint = Complaint(
        customer=Customer(id=customer),
        category="room_not_ready" if policy.window.kind == "incident" else "ride_closed",
        requested=Remedy(kind="refund", amount=Money(amount, CURRENCY)),
        received_at=at,
    )
    second = dt.timedelta(seconds=1)
    case = Case.open(journal, policy, complaint, by=policy.levels[0].name, now=at)
    case.listen(now=at + second)
    case.apologize(now=at + 2 * second)
    case.ask_preferred_solution(now=at + 3 * second)
    resolution = case.decide(now=at + 4 * second)
    assert resolution.approved, resolution.reason
    case.deliver(now=at + 5 * second)
    return resolution.outcome.value, case.number.sequence


def case_probes(context: Context) -> list[Probe]:
    journal, backend = context.journal, context.backend
    head = journal.head()
    same_day = context.end + dt.timedelta(minutes=1)

    def fresh(_: int) -> tuple[str, dt.datetime]:
        return sj.HEAVY, dt.datetime.combine(context.fresh_day(), dt.time(15), tzinfo=dt.UTC)

    def later(_: int) -> tuple[str, dt.datetime]:
        return sj.HEAVY, dt.datetime.combine(context.later_day(), dt.time(15), tzinfo=dt.UTC)

    def new_guest(index: int) -> tuple[str, dt.datetime]:
        return f"N{context.run}c{index:05d}", dt.datetime.combine(context.fresh_day(), dt.time(15), tzinfo=dt.UTC)

    def busy_day(index: int) -> tuple[str, dt.datetime]:
        return sj.HEAVY, same_day + dt.timedelta(seconds=10 * index)  # another complaint each time

    variants: list[tuple[str, Policy, Callable[[int], tuple[str, dt.datetime]], str]] = [
        ("case: heavy guest, incident window, first case of its day", context.ritz, fresh, "250.00"),
        ("case: new guest, incident window", context.ritz, new_guest, "250.00"),
        ("case: heavy guest, day window (theme park), first case of its day", context.park, later, "100.00"),
        ("case: heavy guest, incident window, on a day of many cases", context.ritz, busy_day, "250.00"),
    ]
    probes = []
    for what, policy, who, amount in variants:
        sequences: list[int] = []

        def dry(n: int, policy: Policy = policy, who: Any = who, amount: str = amount) -> object:
            customer, at = who(2 * n)
            return _whole_case(journal, policy, customer, at, amount)

        def subject(
            n: int, policy: Policy = policy, who: Any = who, amount: str = amount, sequences: list[int] = sequences
        ) -> None:
            customer, at = who(2 * n + 1)
            sequences.append(_whole_case(journal, policy, customer, at, amount)[1])

        check = _still_valid(context, head, what)

        def finish(
            what: str = what, sequences: list[int] = sequences, check: Callable[[], dict[str, Any]] = check
        ) -> dict[str, Any]:
            check()
            if "many cases" not in what:
                return {}
            return {"earlier_cases_that_day": f"{sequences[0] - 1}-{sequences[-1] - 1}"}

        probes.append(_write_probe(what, backend, dry, subject, samples=context.settings.cases, finish=finish))
    return probes


READS: Final = (ledger_probes, overdue_probes, load_probes, listing_probes, report_probes)
WRITES: Final = (append_probes, bulk_probes, case_probes, sealed_probes)
"""Measured on a scratch copy of each journal (made after the reads, deleted after the writes)."""


# -- e. verify, in a process of its own --------------------------------------------------------------------------------

VERIFY_RUNS: Final = 3
"""How many times ``bench_verify`` runs each side of a row (the floor and the library taking turns)."""

_VERIFY_CODE = """
import json, sys
sys.path.insert(0, {benchmarks!r})
import scale
print(json.dumps(scale.verify_child({backend!r}, {target!r}, {mode!r}, {resume!r})))
"""


def _rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss() -> int:
    """The process's peak resident size (VmHWM: unlike ``ru_maxrss``, not inherited from the parent across exec)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def verify_child(backend: str, target: str, mode: str, resume: str | None) -> dict[str, Any]:
    """In a fresh process: one check of the whole chain (or from ``resume`` on), its time and memory."""
    head = None if resume is None else ChainHead.parse(resume)
    gc.collect()
    before = _rss()
    if mode == "library":
        journal: Journal
        if backend == "sqlite":
            journal = SQLiteJournal(target, clock=sj.clock)
        else:
            dsn, schema = target.rsplit("|", 1)
            journal = PostgresJournal(dsn, schema=schema, clock=sj.clock)
        with journal:
            start = time.perf_counter()
            result = journal.verify(resume_from=head)
            seconds = time.perf_counter() - start
        ok, count, last = result.ok, result.count, result.head.hash
    else:
        connection, statement = _floor_connection(backend, target)
        start = time.perf_counter()
        ok, count, last = _floor_verify(connection, statement, head)
        seconds = time.perf_counter() - start
        connection.close()
    peak = _peak_rss()
    return {"ok": ok, "count": count, "head": last, "seconds": seconds, "rss_before": before, "rss_peak": peak}


def _floor_connection(backend: str, target: str) -> tuple[Any, str]:
    columns = (
        "seq, format, number, customer_id, version, kind, state, actor, at, key, request, data, grant_amount, "
        "grant_currency, callback_due, prev, hash, ledger, ledger_at, incident, employee, policy_revision"
    )
    if backend == "sqlite":
        connection: Any = sqlite3.connect(target, isolation_level=None)
        return connection, f"SELECT {columns} FROM events WHERE seq >= ? ORDER BY seq LIMIT ?"  # noqa: S608 - constants
    import psycopg  # noqa: PLC0415 - the postgres extra

    dsn, schema = target.rsplit("|", 1)
    connection = psycopg.connect(dsn, autocommit=True)
    return connection, f"SELECT {columns} FROM {schema}.events WHERE seq >= %s ORDER BY seq LIMIT %s"  # noqa: S608


def _floor_verify(connection: Any, statement: str, head: ChainHead | None) -> tuple[bool, int, str]:
    """The same scan as ``verify``'s (5,000 rows a statement), each row's body hashed and chained, no other check."""
    count, previous = (0, "0" * 64) if head is None else (head.count, head.hash)
    ok = True
    sha256 = hashlib.sha256
    while ok:
        rows = connection.execute(statement, (count + 1, 5000)).fetchall()
        for row in rows:
            (seq, format_, number, _, version, kind, state, actor, at, key, request, data) = row[:12]
            (amount, currency, callback, prev, hash_, ledger, _, _, employee, revision) = row[12:22]
            grant = "null" if amount is None else f'{{"amount":"{amount}","currency":"{currency}"}}'
            due = "null" if callback is None else f'"{callback}"'
            who = which = ""
            if format_ >= 3:  # event format 3: the employee and the policy revision, in their canonical places
                who = ',"employee":' + ("null" if employee is None else f'"{employee}"')
                which = ',"policy_revision":' + ("null" if revision is None else f'"{revision}"')
            body = (
                f'{{"actor":"{actor}","at":"{at}","callback_due":{due},"data":{data}{who},"format":{format_},'
                f'"grant":{grant},"key":"{key}","kind":"{kind}","ledger":{ledger or "null"},"number":"{number}"'
                f'{which},"prev":"{prev}","request":"{request}","seq":{seq},"state":"{state}","version":{version}}}'
            )
            if seq != count + 1 or prev != previous or sha256(body.encode()).hexdigest() != hash_:
                ok = False
                break
            count, previous = seq, hash_
        if len(rows) < 5000:
            break
    return ok, count, previous


def bench_verify(context: Context, target: str) -> None:
    events = context.journal.head().count
    resume_at = max(1, events - RESUME_BEHIND)
    first = next(context.journal.iter_events(resume_at))
    resume = str(ChainHead(count=resume_at, hash=first.hash))
    for what, start in (
        ("verify(): the whole journal", None),
        (f"verify(resume_from=head {RESUME_BEHIND:,} back)", resume),
    ):
        found: dict[str, list[dict[str, Any]]] = {"floor": [], "library": []}
        # Each side VERIFY_RUNS times, taking turns and each going first in turn (the first run of a pair may
        # read the file from disk, the second from the cache the first filled): the medians are recorded.
        for turn in range(VERIFY_RUNS):
            for mode in ("floor", "library") if turn % 2 == 0 else ("library", "floor"):
                code = _VERIFY_CODE.format(
                    benchmarks=str(ROOT / "benchmarks"),
                    backend=context.backend.name,
                    target=target,
                    mode=mode,
                    resume=start,
                )
                result = subprocess.run(  # noqa: S603 - our own interpreter and code
                    [sys.executable, "-c", code], capture_output=True, text=True, check=True
                )
                found[mode].append(json.loads(result.stdout.strip().splitlines()[-1]))
        for run in found["library"] + found["floor"]:
            assert run["ok"], run
            assert run["head"] == found["floor"][0]["head"], (run, found["floor"][0])
        library = found["library"][0]
        seconds = statistics.median(run["seconds"] for run in found["library"])
        floor_seconds = statistics.median(run["seconds"] for run in found["floor"])
        checked = library["count"] - (0 if start is None else resume_at)
        context.record(
            what,
            seconds * 1e6,
            floor_seconds * 1e6,
            events_per_s=round(checked / seconds),
            memory_growth_mb=round(max(run["rss_peak"] - run["rss_before"] for run in found["library"]) / 2**20, 1),
        )


# -- the catalog (the engine), and MemoryJournal's memory -------------------------------------------------------------

_CATALOG_CODE = """
import json, sys
sys.path.insert(0, {benchmarks!r})
import scale
print(json.dumps(scale.catalog_child({path!r})))
"""

CATALOG_KINDS: Final = ("voucher", "callback", "upgrade", "other_branch", "follow_up", "dinner")


def big_policy(categories: int, alternatives: int) -> dict[str, Any]:
    """A policy of ``categories`` categories and ``alternatives`` general alternatives (they apply to everything)."""
    return {
        "name": f"{categories} categories, {alternatives} alternatives",
        "currency": CURRENCY,
        "window": "incident",
        "hard_cap": "10000.00",
        "denials_delivered_by": "manager",
        "categories": [f"category_{i}" for i in range(categories)],
        "levels": [
            {"name": "staff", "limit": "1000.00"},
            {"name": "manager", "limit": "5000.00", "callback_within": "2h"},
            {"name": "director", "limit": "unlimited", "callback_within": "1d"},
        ],
        "catalog": [
            {"id": f"free-{kind}", "kind": kind, "description": "A free option", "value": "0", "applies_to": ["*"]}
            for kind in ("callback", "referral", "follow_up")
        ]
        + [
            {
                "id": f"alt-{i}",
                "kind": CATALOG_KINDS[i % len(CATALOG_KINDS)],
                "description": f"Option {i}",
                "value": f"{(i * 7919) % 900}.{i % 100:02d}",
                "applies_to": ["*"],
            }
            for i in range(alternatives - 3)
        ],
    }


def catalog_child(path: str) -> dict[str, Any]:
    """In a fresh process: load the policy file at ``path``; the time, and the memory it took at its peak and kept."""
    gc.collect()
    before = _rss()
    start = time.perf_counter()
    policy = Policy.from_file(path)
    seconds = time.perf_counter() - start
    gc.collect()
    after = _rss()
    peak = _peak_rss()
    return {
        "seconds": seconds,
        "rss_growth": after - before,
        "peak_growth": peak - before,
        "alternatives": len(policy.catalog),
    }


def incident_window_only(policy: Policy) -> Policy:
    """``policy`` without its stacked caps: the benchmark's heavy guest holds more than the Ritz preset's
    $10,000 in any 30 days, so whole cases under the preset itself would be denied; the rows measure the
    incident-window ledger the journals were built for (the preset's 30-day cap adds one more ledger read)."""
    return Policy.model_validate({**policy.model_dump(), "caps": ()})


def clustered_policy(alternatives: int) -> Policy:
    """A catalog whose options nearest to the amount asked share one kind; three free ones of other kinds lie far."""
    cluster = alternatives - 3
    catalog = [
        {
            "id": f"voucher-{i}",
            "kind": "voucher",
            "description": "A voucher.",
            "value": f"{900 + i * 99.99 / cluster:.2f}",
            "applies_to": ["*"],
        }
        for i in range(cluster)
    ]
    catalog += [
        {"id": f"far-{kind}", "kind": kind, "description": "Something else.", "value": value, "applies_to": ["*"]}
        for kind, value in (("callback", "0.00"), ("follow_up", "0.00"), ("referral", "0.00"))
    ]
    return Policy.model_validate(
        {
            "name": f"clustered, {alternatives} alternatives",
            "currency": CURRENCY,
            "window": "incident",
            "hard_cap": "10000.00",
            "denials_delivered_by": "manager",
            "categories": ["room_not_ready"],
            "levels": [
                {"name": "staff", "limit": "1000.00"},
                {"name": "manager", "limit": "unlimited", "callback_within": "2h"},
            ],
            "catalog": catalog,
        }
    )


def bench_catalog(rows: list[dict[str, Any]], quick: bool) -> None:
    print("\ncatalog (the engine, on main as it is now)", flush=True)
    for categories, alternatives in ((1000, 1000), (1000, 5000)):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "policy.json"
            path.write_text(json.dumps(big_policy(categories, alternatives)), encoding="utf-8")
            code = _CATALOG_CODE.format(benchmarks=str(ROOT / "benchmarks"), path=str(path))
            result = subprocess.run(  # noqa: S603 - our own interpreter and code
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            )
        found = json.loads(result.stdout.strip().splitlines()[-1])
        assert found["alternatives"] == alternatives
        rows.append(
            {
                "what": "policy load",
                "categories": categories,
                "alternatives": alternatives,
                "seconds": round(found["seconds"], 3),
                "memory_mb": round(found["peak_growth"] / 2**20, 1),
                "retained_mb": round(found["rss_growth"] / 2**20, 1),
            }
        )
        print(
            f"  load {categories:,} categories x {alternatives:,} general alternatives: {found['seconds']:.2f} s,"
            f" peak +{found['peak_growth'] / 2**20:.0f} MB, kept +{found['rss_growth'] / 2**20:.0f} MB",
            flush=True,
        )
    complaint = Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money("1500.00", CURRENCY)),
        received_at=dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC),
    )
    figures = {}
    for alternatives in (10, 10_000):
        policy = clustered_policy(alternatives)
        resolution = policy.decide(complaint, by="staff", now=complaint.received_at)
        assert resolution.outcome.value == "escalated", resolution
        assert len(resolution.alternatives) == 3, resolution
        samples = 3000 if quick else 20_000
        for _ in range(samples // 10):
            policy.decide(complaint, by="staff", now=complaint.received_at)
        spent = []
        for _ in range(samples):
            start = time.perf_counter_ns()
            policy.decide(complaint, by="staff", now=complaint.received_at)
            spent.append((time.perf_counter_ns() - start) / 1000)
        figures[alternatives] = statistics.median(spent)
        print(f"  Plan B, clustered catalog of {alternatives:,}: {figures[alternatives]:.2f} us a decision", flush=True)
    rows.append(
        {
            "what": "plan b clustered",
            "small_us": round(figures[10], 2),
            "large_us": round(figures[10_000], 2),
            "ratio": round(figures[10_000] / figures[10], 3),
        }
    )


_MEMORY_CODE = """
import json, sys
sys.path.insert(0, {benchmarks!r})
import scale
print(json.dumps(scale.memory_child({events})))
"""


def memory_child(events: int) -> dict[str, Any]:
    """MemoryJournal's memory: resident size before and after ``events`` events (the case mix of the journals)."""
    templates = sj.record_templates()
    journal = MemoryJournal(clock=sj.clock)
    gc.collect()
    before = _rss()
    journal.append_many(islice(sj.stream(templates, sj.StreamFacts()), events))
    gc.collect()
    after = _rss()
    return {"events": journal.head().count, "bytes": after - before}


def bench_memory_journal(rows: list[dict[str, Any]], events: int) -> None:
    code = _MEMORY_CODE.format(benchmarks=str(ROOT / "benchmarks"), events=events)
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    found = json.loads(result.stdout.strip().splitlines()[-1])
    per_event = found["bytes"] / found["events"]
    rows.append({"what": "MemoryJournal memory", "events": found["events"], "bytes_per_event": round(per_event)})
    megabytes = found["bytes"] / 2**20
    print(f"\nMemoryJournal: {found['events']:,} events take {megabytes:.0f} MB, {per_event:,.0f} bytes an event")


# -- the journals ------------------------------------------------------------------------------------------------------

TEMPLATES: tuple[sj.Template, ...] = ()


@contextlib.contextmanager
def postgres_server(folder: Path, wanted: bool) -> Iterator[str | None]:
    """The server's address: ``RECOVERY_RULES_BENCH_DSN``, or our own cluster (started now, stopped after)."""
    if not wanted:
        yield None
        return
    given = os.environ.get(DSN_VARIABLE)
    if given:
        yield given
        return
    cluster = sj.Cluster(folder / "postgres")
    running = (cluster.data / "postmaster.pid").exists()
    cluster.start()
    try:
        yield cluster.dsn
    finally:
        if not running:  # another run started it: that one stops it
            cluster.stop()


def ensure(backend: str, size: int, folder: Path, dsn: str | None, rebuild: bool) -> sj.BuildFacts:
    """The facts of the journal of ``size`` events, built now unless a finished build is cached."""
    facts = None if rebuild else sj.BuildFacts.load(sj.facts_path(folder, backend, size))
    if facts is not None and (backend != "sqlite" or sj.sqlite_path(folder, size).exists()):
        if facts.layout < sj.LAYOUT:
            print(
                f"note: the cached {backend} journal of {sj.label(size)} events was built without the heavy guest's"
                " history before the first day: at small sizes its ledger reads find no grant before the window"
                " (--rebuild builds it again)",
                flush=True,
            )
        return facts
    print(f"building the {backend} journal of {sj.label(size)} events...", flush=True)
    if backend == "sqlite":
        facts = sj.build_sqlite(folder, size)
    else:
        assert dsn is not None
        facts = sj.build_postgres(dsn, folder, size)
    print(
        f"  built {facts.events:,} events in {facts.seconds:,.1f} s: {facts.per_second:,.0f} events/s,"
        f" {facts.seconds / facts.events * 1e6:.0f} us an event",
        flush=True,
    )
    return facts


def measure(
    backends: dict[int, Backend],
    facts: dict[int, sj.BuildFacts],
    targets: dict[int, str],
    settings: Settings,
    operations: set[str],
) -> list[dict[str, Any]]:
    """Every operation on the journals of one backend, the sizes side by side; the rows of figures."""
    rows: list[dict[str, Any]] = []
    ritz, park = incident_window_only(presets.ritz_carlton()), presets.load("theme_park")
    contexts = {
        size: Context(backend=backend, size=size, facts=facts[size], settings=settings, rows=rows, ritz=ritz, park=park)
        for size, backend in backends.items()
    }
    name = next(iter(backends.values())).name
    counts = ", ".join(f"{sj.label(size)}: {context.journal.head().count:,}" for size, context in contexts.items())
    print(f"\n{name} (events now: {counts})", flush=True)
    for make in READS:
        if make.__name__.removesuffix("_probes") in operations:
            run_probes(contexts, make)
    writes = [make for make in WRITES if make.__name__.removesuffix("_probes") in operations]
    if writes:
        with scratch_copies(backends, targets) as scratch:
            writing = {size: dataclasses.replace(context, backend=scratch[size]) for size, context in contexts.items()}
            for make in writes:
                run_probes(writing, make)
    if "verify" in operations:
        for size, context in contexts.items():
            bench_verify(context, targets[size])
    return rows


@contextlib.contextmanager
def scratch_copies(backends: dict[int, Backend], targets: dict[int, str]) -> Iterator[dict[int, Backend]]:
    """A copy of each journal for the writes, so that the cached journals stay as built from run to run.

    SQLite: a copy of the file through SQLite's backup (its write-ahead log included) beside it; PostgreSQL: a
    schema of its own, made by the library and filled with the tables' rows. Deleted afterwards.
    """
    copies: dict[int, Backend] = {}
    try:
        for size, backend in backends.items():
            started = time.perf_counter()
            if isinstance(backend, SQLiteBackend):
                copies[size] = _sqlite_scratch(backend.path)
            else:
                assert isinstance(backend, PostgresBackend)
                copies[size] = _postgres_scratch(targets[size].partition("|")[0], backend.schema)
            spent = time.perf_counter() - started
            print(f"  {sj.label(size):>5} (writes go to a scratch copy, made in {spent:,.1f} s)", flush=True)
        yield copies
    finally:
        for copy in copies.values():
            copy.close()
            if isinstance(copy, SQLiteBackend):
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{copy.path}{suffix}").unlink(missing_ok=True)
            else:
                import psycopg  # noqa: PLC0415 - the postgres extra

                assert isinstance(copy, PostgresBackend)
                with psycopg.connect(copy.dsn, autocommit=True) as connection:
                    connection.execute(f"DROP SCHEMA IF EXISTS {copy.schema} CASCADE")


def _sqlite_scratch(path: Path) -> SQLiteBackend:
    scratch = path.with_name(f"{path.stem}.scratch-{uuid.uuid4().hex[:6]}.sqlite3")
    with contextlib.closing(sqlite3.connect(path)) as source, contextlib.closing(sqlite3.connect(scratch)) as target:
        source.backup(target)
    return SQLiteBackend(scratch)


def _postgres_scratch(dsn: str, schema: str) -> PostgresBackend:
    import psycopg  # noqa: PLC0415 - the postgres extra

    scratch = f"{schema}_scratch"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {scratch} CASCADE")
        PostgresJournal(dsn, schema=scratch).close()  # the library makes the tables, indexes and marker
        with connection.transaction():
            for table in ("events", "cases", "ledger_heads"):
                connection.execute(f"INSERT INTO {scratch}.{table} SELECT * FROM {schema}.{table}")  # noqa: S608
            connection.execute(
                f"UPDATE {scratch}.journal SET legacy_until = (SELECT legacy_until FROM {schema}.journal)"  # noqa: S608
            )
        for table in ("events", "cases", "ledger_heads", "journal"):
            connection.execute(f"VACUUM ANALYZE {scratch}.{table}")
    return PostgresBackend(dsn, scratch)


# -- the table ---------------------------------------------------------------------------------------------------------


def table(rows: list[dict[str, Any]], sizes: list[int], backends: list[str]) -> None:
    journal_rows = [row for row in rows if "backend" in row]
    operations = list(dict.fromkeys(row["what"] for row in journal_rows))
    print("\nthe figures: library / raw floor (median), and how the library's cost grows from the smallest size")
    header = f"{'operation':58} {'backend':8}" + "".join(f" {sj.label(size):>20}" for size in sizes) + "   growth"
    print(header)
    for what in operations:
        for backend in backends:
            cells = {row["size"]: row for row in journal_rows if row["what"] == what and row["backend"] == backend}
            if not cells:
                continue
            line = f"{what:58} {backend:8}"
            for size in sizes:
                row = cells.get(size)
                if row is None:
                    line += f" {'-':>20}"
                    continue
                floor = "" if row["floor_us"] is None else f" / {_shown(row['floor_us'])}"
                line += f" {_shown(row['median_us']) + floor:>20}"
            present = [cells[size] for size in sizes if size in cells]
            growth = present[-1]["median_us"] / present[0]["median_us"] if len(present) > 1 else 1.0
            print(line + f"   {growth:5.2f}x")


def markdown(results: dict[str, Any]) -> str:
    """The figures of a results file as Markdown tables, one per backend (for docs/explanation/performance.md)."""
    rows = [row for row in results["rows"] if "backend" in row]
    sizes = sorted({row["size"] for row in rows})
    lines = []
    for backend in dict.fromkeys(row["backend"] for row in rows):
        lines += [
            "",
            f"**{'SQLite' if backend == 'sqlite' else 'PostgreSQL'}**: library / floor, median",
            "",
            "| operation | "
            + " | ".join(sj.label(size) for size in sizes)
            + f" | {sj.label(sizes[-1])} / {sj.label(sizes[0])} |",
            "| --- |" + " ---: |" * (len(sizes) + 1),
        ]
        for what in dict.fromkeys(row["what"] for row in rows):
            cells = {row["size"]: row for row in rows if row["what"] == what and row["backend"] == backend}
            if not cells:
                continue
            shown = []
            for size in sizes:
                row = cells.get(size)
                if row is None:
                    shown.append("")
                    continue
                text = _shown(row["median_us"]).replace(" us", " µs")
                if row["floor_us"] is not None:
                    text += " / " + _shown(row["floor_us"]).replace(" us", " µs")
                if "found" in row and what.startswith(("cases", "report", "overdue")):
                    text += f" ({row['found']:,})"
                if "events_per_s" in row:
                    text += f" ({row['events_per_s']:,}/s, +{row['memory_growth_mb']:.0f} MB)"
                shown.append(text)
            present = [cells[size] for size in sizes if size in cells]
            growth = f"{present[-1]['median_us'] / present[0]['median_us']:.2f}×" if len(present) > 1 else ""
            lines.append(f"| {what} | " + " | ".join(shown) + f" | {growth} |")
    return "\n".join(lines) + "\n"


def targets(rows: list[dict[str, Any]], sizes: list[int]) -> dict[str, dict[str, Any]]:
    """The issue's targets, each with what was measured."""
    found: dict[str, dict[str, Any]] = {}
    journal_rows = [row for row in rows if "backend" in row]
    smallest, largest = min(sizes), max(sizes)

    def cost(what: str, backend: str, size: int) -> float | None:
        for row in journal_rows:
            if row["what"] == what and row["backend"] == backend and row["size"] == size:
                return float(row["median_us"])
        return None

    flat = [
        what
        for what in dict.fromkeys(row["what"] for row in journal_rows)
        if what.startswith(("ledger:", "append:", "append_many:", "overdue_callbacks(now)"))
    ]
    for backend in dict.fromkeys(row["backend"] for row in journal_rows):
        for what in flat:
            small, large = cost(what, backend, smallest), cost(what, backend, largest)
            if small is None or large is None:
                continue
            growth = large / small
            found[f"{backend}: {what}, {sj.label(largest)} / {sj.label(smallest)}"] = {
                "target": 1.5,
                "measured": round(growth, 2),
                "met": growth <= 1.5,
            }
        for row in journal_rows:
            if row["backend"] == backend and row["what"].startswith("append:") and row["size"] == largest:
                found[f"{backend}: {row['what']} / raw floor, {sj.label(largest)}"] = {
                    "target": 1.3,
                    "measured": row["ratio"],
                    "met": row["ratio"] <= 1.3,
                }
    for row in journal_rows:
        if row["backend"] == "sqlite" and row["what"] == "verify(): the whole journal":
            found[f"sqlite: verify() events/s, {sj.label(row['size'])}"] = {
                "target": ">= 100000",
                "measured": row["events_per_s"],
                "met": row["events_per_s"] >= 100_000,
            }
    growths = [row["memory_growth_mb"] for row in journal_rows if row["what"] == "verify(): the whole journal"]
    if growths:
        found["verify() memory growth, largest journal (MB)"] = {
            "target": "flat",
            "measured": max(growths),
            "met": max(growths) < 64,
        }
    for row in rows:
        if row["what"] == "policy load" and row["alternatives"] == 5000:
            found["policy load, 1,000 categories x 5,000 alternatives (s)"] = {
                "target": "< 3",
                "measured": row["seconds"],
                "met": row["seconds"] < 3,
            }
            found["policy load, 1,000 categories x 5,000 alternatives (MB)"] = {
                "target": "< 300",
                "measured": row["memory_mb"],
                "met": row["memory_mb"] < 300,
            }
        if row["what"] == "plan b clustered":
            found["Plan B, 10,000 clustered / 10 alternatives"] = {
                "target": "<= 2",
                "measured": row["ratio"],
                "met": row["ratio"] <= 2,
            }
    return found


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default=os.environ.get("RECOVERY_RULES_BENCH_SIZES", "10k,100k,1M,10M"),
        help="journal sizes, comma-separated: 10k, 100k, 1M, 10M or a number of events",
    )
    parser.add_argument(
        "--backends", default=os.environ.get("RECOVERY_RULES_BENCH_BACKENDS", "sqlite,postgres"), help="sqlite,postgres"
    )
    parser.add_argument(
        "--folder",
        type=Path,
        default=Path(os.environ.get(DIR_VARIABLE, ROOT / "benchmarks" / "journals")),
        help="where the built journals are kept (and the PostgreSQL cluster's data)",
    )
    parser.add_argument("--build-only", action="store_true", help="build the missing journals, measure nothing")
    parser.add_argument("--rebuild", action="store_true", help="build the journals again even when cached")
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    parser.add_argument("--tiny", action="store_true", help="journals of 2,000 events, few samples: checks the script")
    parser.add_argument("--no-catalog", action="store_true", help="leave out the catalog and MemoryJournal figures")
    parser.add_argument(
        "--no-pin", action="store_true", help="do not pin this run (and the PostgreSQL server it starts) to one CPU"
    )
    parser.add_argument(
        "--operations",
        help="only these journal operations, comma-separated: "
        + ", ".join(make.__name__.removesuffix("_probes") for make in (*READS, *WRITES))
        + ", verify (all by default)",
    )
    parser.add_argument(
        "--output", type=Path, default=ROOT / "benchmarks" / "results" / "scale.json", help="where to write the JSON"
    )
    parser.add_argument(
        "--markdown", type=Path, nargs="+", help="print the figures of these results files as Markdown, and stop"
    )
    args = parser.parse_args()
    args.sizes = [sj.SIZES[name] if name in sj.SIZES else int(name) for name in args.sizes.split(",")]
    args.backends = args.backends.split(",")
    known = {make.__name__.removesuffix("_probes") for make in (*READS, *WRITES)} | {"verify"}
    args.operations = known if args.operations is None else set(args.operations.split(","))
    if args.operations - known:
        parser.error(f"unknown operations: {', '.join(sorted(args.operations - known))}")
    if args.tiny:
        args.sizes, args.quick, args.rebuild = [2000], True, True
    return args


def pin_to_one_core() -> str:
    """Pin this process, and what it starts from now on, to its last CPU; says what it did."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity here)"
    core = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to CPU {core}"


def describe(settings: Settings, pinned: str) -> dict[str, Any]:
    """The machine and the settings the figures come from."""
    return {
        "core": pinned,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "sqlite": sqlite3.sqlite_version,
        "load_average_start": os.getloadavg(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "settings": dataclasses.asdict(settings),
        "postgres_settings": "given by " + DSN_VARIABLE if os.environ.get(DSN_VARIABLE) else sj.PG_SETTINGS,
    }


def run_journals(
    args: argparse.Namespace, settings: Settings, environment: dict[str, Any], rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Build what is missing, then measure every journal; the builds' facts."""
    builds: list[dict[str, Any]] = []
    with postgres_server(args.folder, "postgres" in args.backends) as dsn:
        if dsn is not None:
            import psycopg  # noqa: PLC0415 - the postgres extra

            with psycopg.connect(dsn) as connection:
                version = connection.execute("SHOW server_version").fetchone()
                environment["postgres"] = None if version is None else version[0]
        facts = {}
        for name in args.backends:
            for size in args.sizes:
                facts[name, size] = ensure(name, size, args.folder, dsn, args.rebuild)
                builds.append(dataclasses.asdict(facts[name, size]))
        print("\nbuilds (Journal.append_many, 1,000 events a transaction)")
        for found in builds:
            per_event = found["seconds"] / found["events"] * 1e6
            print(
                f"  {found['backend']:8} {sj.label(found['size']):>5}: {found['seconds']:9,.1f} s,"
                f" {found['events'] / found['seconds']:7,.0f} events/s, {per_event:5.0f} us an event"
            )
        if args.build_only:
            return builds
        for name in args.backends:
            backends: dict[int, Backend] = {}
            targets: dict[int, str] = {}
            try:
                for size in args.sizes:
                    if name == "sqlite":
                        path = sj.sqlite_path(args.folder, size)
                        backends[size], targets[size] = SQLiteBackend(path), str(path)
                    else:
                        assert dsn is not None
                        backends[size] = PostgresBackend(dsn, sj.pg_schema(size))
                        targets[size] = f"{dsn}|{sj.pg_schema(size)}"
                built = {size: facts[name, size] for size in args.sizes}
                rows += measure(backends, built, targets, settings, args.operations)
            finally:
                for backend in backends.values():
                    backend.close()
    return builds


def main() -> None:
    global TEMPLATES  # noqa: PLW0603 - recorded once per run, read by the stamping helpers
    args = arguments()
    if args.markdown:
        found = [json.loads(path.read_text(encoding="utf-8")) for path in args.markdown]
        print(markdown({"rows": [row for results in found for row in results["rows"]]}), end="")
        return
    settings = (
        Settings(reads=40, writes=10, cases=4, listings=2, rounds=2)
        if args.quick
        else Settings(reads=200, writes=40, cases=15, listings=5, rounds=5)
    )
    pinned = "not pinned" if args.no_pin or args.build_only else pin_to_one_core()
    print(f"scale benchmarks: {pinned}", flush=True)
    TEMPLATES = sj.record_templates()
    environment = describe(settings, pinned)
    rows: list[dict[str, Any]] = []
    builds = run_journals(args, settings, environment, rows)
    if args.build_only:
        return
    if not args.no_catalog:
        bench_catalog(rows, args.quick)
        bench_memory_journal(rows, 10_000 if args.tiny else 100_000)
    table(rows, args.sizes, args.backends)
    reached = targets(rows, args.sizes)
    print("\ntargets")
    for name, result in reached.items():
        verdict = "met" if result["met"] else "MISSED"
        print(f"  {name:100} {result['measured']!s:>10}   target {result['target']!s:<10} {verdict}")
    environment["load_average_end"] = os.getloadavg()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps({"environment": environment, "builds": builds, "rows": rows, "targets": reached}, indent=2) + "\n"
    )
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
