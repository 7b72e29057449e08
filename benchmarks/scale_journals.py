"""Large, realistic journals for ``benchmarks/scale.py``, built through the public bulk path only.

A journal here is what a hotel group of about a hundred hotels writes: some
250,000 events a day, one case opening every three seconds or so, each case
recorded the way :class:`~recovery_rules.Case` records it. How it is made:

1. A few *template cases* are recorded with the real ``Case`` class, under the
   Ritz-Carlton preset (``incident`` window), into a ``MemoryJournal``: approved,
   delivered, thanked and closed (three sizes, one of them for a gold guest);
   escalated, then approved by the duty manager within the hour; escalated and
   approved only after the promised callback time had passed; denied, with the
   alternatives explained and one of them accepted.
2. Copies of their events are stamped with a new complaint number, customer
   number and times (inside the ``data`` JSON as well: the complaint, the
   resolution's times and number), and merged into one stream in time order,
   cases overlapping as they do at a front desk.
3. The stream goes to :meth:`Journal.append_many`, which checks, seals and chains
   every event exactly as :meth:`Journal.append` does, with the ledger's running
   totals. No SQL is written around the library.

The guests: most are new, a quarter come back (a guest seen before, chosen at
random), and one *heavy* guest, ``H0000001``, files 0.5% of all cases, so at
10 million events they have about 6,000 earlier grants, some 150 a day. The
heavy guest also has a history before the first day (one approved case a day
for 35 days), so at every size their ledger reads find grants before any
window the benchmark reads, and do the same work. Where
the stream stops, the cases still in progress stay open as they stand (some
escalated, owing a callback), as in a journal read while the hotels work.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import heapq
import json
import os
import pwd
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Final

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # run from a checkout without installing

from recovery_rules import (  # noqa: E402 - after the path
    BulkEntry,
    Case,
    ChainHead,
    Complaint,
    ComplaintNumber,
    Customer,
    Draft,
    Event,
    Journal,
    MemoryJournal,
    Money,
    Policy,
    PostgresJournal,
    Remedy,
    SQLiteJournal,
    presets,
)

__all__ = [
    "HEAVY",
    "JOURNAL_START",
    "SIZES",
    "BuildFacts",
    "Cluster",
    "Template",
    "label",
    "record_templates",
    "stream",
]

SIZES: Final = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}
JOURNAL_START: Final = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
"""The first case of every benchmark journal opens then (a past date: journals refuse steps ahead of their clock)."""
HEAVY: Final = "H0000001"
HEAVY_SHARE: Final = 0.005
RETURNING_SHARE: Final = 0.25
SECONDS_BETWEEN_CASES: Final = (1, 5)  # uniform: 3 s on average, about 29,000 cases and 250,000 events a day
HISTORY_DAYS: Final = 35
"""The heavy guest's history: one approved case a day on the days before the first (longer than a 30-day window)."""
LAYOUT: Final = 2
"""What a journal's build facts say it was built as: 2 with the heavy guest's history (1: without, before it)."""

_TEMPLATE_AT: Final = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)
_TOKEN: Final = re.compile(r'"(\d{8}-TPL\d+|TPL\d+|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"')
_TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"


def label(size: int) -> str:
    """``10k``, ``1M``...: the name of a journal size."""
    for name, count in SIZES.items():
        if count == size:
            return name
    return f"{size / 1000:g}k" if size < 1_000_000 else f"{size / 1_000_000:g}M"


# -- the template cases ----------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Step:
    """One event of a template case, ready to be stamped for another guest at another time."""

    kind: str
    state: str
    actor: str
    offset: dt.timedelta  # after the case's opening
    grant: Money | None
    callback: dt.timedelta | None  # after the case's opening
    pieces: tuple[str, ...]  # the data's JSON text between the slots
    slots: tuple[str | dt.timedelta, ...]  # "number", "customer", or a time (after the opening)

    def draft(self, start: dt.datetime, number: str, customer: str) -> Draft:
        parts = [self.pieces[0]]
        for slot, piece in zip(self.slots, self.pieces[1:], strict=True):
            if slot == "number":
                value = number
            elif slot == "customer":
                value = customer
            else:
                assert isinstance(slot, dt.timedelta)
                value = (start + slot).strftime(_TIME_FORMAT)
            parts.append(f'"{value}"')
            parts.append(piece)
        return Draft(
            kind=self.kind,
            state=self.state,
            actor=self.actor,
            at=start + self.offset,
            data=json.loads("".join(parts)),
            grant=self.grant,
            callback_due=None if self.callback is None else start + self.callback,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class Template:
    name: str
    weight: float
    steps: tuple[Step, ...]


def _steps(events: tuple[Event, ...]) -> tuple[Step, ...]:
    number = str(events[0].number)
    customer = events[0].customer_id
    steps = []
    for event in events:
        text = json.dumps(event.data, ensure_ascii=False, separators=(",", ":"))
        split = _TOKEN.split(text)
        slots: list[str | dt.timedelta] = []
        for token in split[1::2]:
            if token == number:
                slots.append("number")
            elif token == customer:
                slots.append("customer")
            else:
                slots.append(dt.datetime.strptime(token, _TIME_FORMAT).replace(tzinfo=dt.UTC) - _TEMPLATE_AT)
        steps.append(
            Step(
                kind=event.kind,
                state=event.state,
                actor=event.actor,
                offset=event.at - _TEMPLATE_AT,
                grant=event.grant,
                callback=None if event.callback_due is None else event.callback_due - _TEMPLATE_AT,
                pieces=tuple(split[0::2]),
                slots=tuple(slots),
            )
        )
    return tuple(steps)


_Path = Callable[[Case, Callable[[int], dt.datetime]], None]


def _approved(case: Case, at: Callable[[int], dt.datetime]) -> None:
    case.listen(notes="The guest explained what went wrong, start to finish.", now=at(1))
    case.apologize(notes="I understand how frustrating this must be.", now=at(2))
    case.ask_preferred_solution(now=at(3))
    assert case.decide(now=at(4)).approved
    case.deliver(notes="Refund issued to the card on file.", now=at(6))
    case.thank(now=at(7))
    case.close(now=at(8))


def _escalated(approved_after: int) -> _Path:
    def path(case: Case, at: Callable[[int], dt.datetime]) -> None:
        case.listen(notes="The guest explained what went wrong, start to finish.", now=at(1))
        case.apologize(now=at(2))
        case.ask_preferred_solution(now=at(3))
        assert case.decide(now=at(4)).outcome.value == "escalated"
        case.escalate(notes="The duty manager will call back.", now=at(5))
        case.manager_approves(by="manager", notes="Approved after review.", now=at(approved_after))
        case.deliver(now=at(approved_after + 2))
        case.thank(now=at(approved_after + 3))
        case.close(now=at(approved_after + 4))

    return path


def _denied(case: Case, at: Callable[[int], dt.datetime]) -> None:
    case.listen(now=at(1))
    case.apologize(now=at(2))
    case.ask_preferred_solution(now=at(3))
    assert case.decide(now=at(4)).outcome.value == "denied"
    offered = case.explain_denial(notes="Beyond what the hotel grants.", now=at(15))
    alternatives = offered.data["alternatives"]
    assert isinstance(alternatives, list)
    assert isinstance(alternatives[0], dict)
    case.accept_alternative(str(alternatives[0]["id"]), now=at(18))
    case.thank(now=at(19))
    case.close(now=at(20))


# name, share of cases, category, remedy kind, amount, tier, path
_TEMPLATES: Final[tuple[tuple[str, float, str, str, str, str, _Path], ...]] = (
    ("approved, small refund", 0.30, "room_not_ready", "refund", "120.00", "standard", _approved),
    ("approved, dining credit", 0.25, "service_delay", "credit", "250.00", "standard", _approved),
    ("approved, gold guest", 0.15, "billing_error", "refund", "1500.00", "gold", _approved),
    ("escalated, manager approves in 1 h", 0.15, "amenity_broken", "refund", "3500.00", "standard", _escalated(60)),
    ("denied, alternative accepted", 0.10, "noise", "refund", "12000.00", "standard", _denied),
    (
        "escalated, approved after the callback was due",
        0.05,
        "room_not_ready",
        "comp",
        "4200.00",
        "gold",
        _escalated(180),
    ),
)


def record_templates(policy: Policy | None = None) -> tuple[Template, ...]:
    """The template cases, recorded with ``Case`` under the Ritz-Carlton preset, as stampable steps."""
    policy = policy or presets.ritz_carlton()
    journal = MemoryJournal(clock=lambda: _TEMPLATE_AT + dt.timedelta(days=1))
    templates = []
    for index, (name, weight, category, kind, amount, tier, path) in enumerate(_TEMPLATES, start=1):
        complaint = Complaint(
            customer=Customer(id=f"TPL{index}", tier=tier),
            category=category,
            requested=Remedy(kind=kind, amount=Money(amount, policy.currency)),
            received_at=_TEMPLATE_AT,
        )
        case = Case.open(journal, policy, complaint, by="staff", now=_TEMPLATE_AT)
        path(case, lambda minutes: _TEMPLATE_AT + dt.timedelta(minutes=minutes))
        templates.append(Template(name, weight, _steps(journal.events(case.number))))
    return tuple(templates)


# -- the stream of events --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class StreamFacts:
    """What a stream produced so far: its end, and the heavy guest's figures."""

    events: int = 0
    cases: int = 0
    guests: int = 0
    heavy_cases: int = 0
    heavy_grants: int = 0
    first_at: dt.datetime = JOURNAL_START
    last_at: dt.datetime = JOURNAL_START
    per_template: dict[str, int] = dataclasses.field(default_factory=dict)


def stream(
    templates: tuple[Template, ...],
    facts: StreamFacts,
    *,
    seed: int = 14,
    start: dt.datetime = JOURNAL_START,
    history: bool = True,
) -> Iterator[BulkEntry]:
    """An endless stream of events of overlapping cases, in time order (stop it with ``islice``).

    ``start``: when the first case opens; ``history``: whether the heavy guest's history comes first.
    """
    rng = random.Random(seed)  # noqa: S311 - a reproducible mix of cases, not a secret
    weights = [template.weight for template in templates]
    guests: list[str] = []
    days: dict[str, tuple[dt.date, int]] = {}  # each guest's last complaint date and sequence on it
    active: list[tuple[dt.datetime, int, int]] = []  # (time of the next event, case, its index in the case)
    cases: dict[int, tuple[Template, dt.datetime, ComplaintNumber, str]] = {}
    next_start = start
    case_id = 0
    if history:
        yield from _history(templates[0], facts)
    while True:
        if not active or next_start <= active[0][0]:
            case_id += 1
            draw = rng.random()
            if draw < HEAVY_SHARE:
                guest = HEAVY
                facts.heavy_cases += 1
            elif draw < HEAVY_SHARE + RETURNING_SHARE and guests:
                guest = rng.choice(guests)
            else:
                guest = f"G{len(guests) + 1:07d}"
                guests.append(guest)
                facts.guests = len(guests)
            day = next_start.date()
            last_day, sequence = days.get(guest, (day, 0))
            sequence = sequence + 1 if last_day == day else 1
            days[guest] = (day, sequence)
            template = rng.choices(templates, weights)[0]
            facts.per_template[template.name] = facts.per_template.get(template.name, 0) + 1
            number = ComplaintNumber(day, guest, sequence)
            cases[case_id] = (template, next_start, number, str(number))
            heapq.heappush(active, (next_start, case_id, 0))
            facts.cases += 1
            next_start += dt.timedelta(seconds=rng.randint(*SECONDS_BETWEEN_CASES))
            continue
        at, current, index = heapq.heappop(active)
        template, start, number, text = cases[current]
        step = template.steps[index]
        if index + 1 < len(template.steps):
            heapq.heappush(active, (start + template.steps[index + 1].offset, current, index + 1))
        else:
            del cases[current]
        facts.events += 1
        facts.last_at = at
        if step.grant is not None and number.customer_id == HEAVY:
            facts.heavy_grants += 1
        yield BulkEntry(
            number,
            step.draft(start, text, number.customer_id),
            key=f"c{current}.{index + 1}",
            request={"step": step.kind, "number": text},
            expected_version=index,
        )


def _history(template: Template, facts: StreamFacts) -> Iterator[BulkEntry]:
    """The heavy guest's earlier cases, one a day at noon on each of the :data:`HISTORY_DAYS` before the first day.

    So that at every size the heavy guest has grants before any window the benchmark reads (today's, the last
    30 days'), and a ledger read does the same work on a journal of 10 thousand events as on one of 10 million.
    """
    for days_before in range(HISTORY_DAYS, 0, -1):
        start = JOURNAL_START - dt.timedelta(days=days_before) + dt.timedelta(hours=12)
        number = ComplaintNumber(start.date(), HEAVY, 1)
        text = str(number)
        facts.cases += 1
        facts.heavy_cases += 1
        facts.per_template[template.name] = facts.per_template.get(template.name, 0) + 1
        for index, step in enumerate(template.steps):
            facts.events += 1
            if step.grant is not None:
                facts.heavy_grants += 1
            yield BulkEntry(
                number,
                step.draft(start, text, HEAVY),
                key=f"h{days_before}.{index + 1}",
                request={"step": step.kind, "number": text},
                expected_version=index,
            )


# -- building --------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class BuildFacts:
    """What a build made and how long it took; kept beside the journal as JSON."""

    backend: str
    size: int
    events: int
    seconds: float
    per_transaction: int
    head: str
    first_at: str
    last_at: str
    cases: int
    guests: int
    heavy: str
    heavy_cases: int
    heavy_grants: int
    per_template: dict[str, int]
    chunks: list[tuple[int, float]]  # (events so far, seconds so far), to see whether appends slow down
    built: str
    layout: int = 1  # LAYOUT when built; facts saved before it was recorded load as 1

    @property
    def per_second(self) -> float:
        return self.events / self.seconds

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(dataclasses.asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> BuildFacts | None:
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
            return cls(**found)
        except (OSError, ValueError, TypeError):
            return None


def build(
    journal: Journal,
    backend: str,
    size: int,
    *,
    per_transaction: int = 1000,
    chunk: int = 100_000,
    say: Callable[[str], None] = print,
) -> BuildFacts:
    """Fill the empty ``journal`` with ``size`` events through ``append_many``, timing it."""
    if journal.head().count:
        raise SystemExit(f"the {backend} journal to build is not empty; delete it first")
    templates = record_templates()
    facts = StreamFacts()
    events = stream(templates, facts)
    chunks: list[tuple[int, float]] = []
    started = time.perf_counter()
    done = 0
    while done < size:
        part = min(chunk, size - done)
        journal.append_many(islice(events, part), per_transaction=per_transaction)
        done += part
        spent = time.perf_counter() - started
        chunks.append((done, round(spent, 3)))
        if size >= 1_000_000:
            say(f"  {backend} {label(size)}: {done:,} events in {spent:,.0f} s ({done / spent:,.0f}/s)")
    seconds = time.perf_counter() - started
    head = journal.head()
    assert head.count == size, (head, size)
    return BuildFacts(
        backend=backend,
        size=size,
        events=head.count,
        seconds=seconds,
        per_transaction=per_transaction,
        head=str(head),
        first_at=JOURNAL_START.isoformat(),
        last_at=facts.last_at.isoformat(),
        cases=facts.cases,
        guests=facts.guests,
        heavy=HEAVY,
        heavy_cases=facts.heavy_cases,
        heavy_grants=facts.heavy_grants,
        per_template=facts.per_template,
        chunks=chunks,
        built=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        layout=LAYOUT,
    )


def head_of(value: str) -> ChainHead:
    return ChainHead.parse(value)


BENCH_CLOCK: Final = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


def clock() -> dt.datetime:
    """The benchmark journals' clock: after every event they hold (their steps are dated in early 2026)."""
    return BENCH_CLOCK


def sqlite_path(folder: Path, size: int) -> Path:
    return folder / f"sqlite-{label(size)}.sqlite3"


def facts_path(folder: Path, backend: str, size: int) -> Path:
    return folder / f"{backend}-{label(size)}.json"


def pg_schema(size: int) -> str:
    return f"scale_{label(size).lower()}"


def _remove_sqlite(path: Path) -> None:
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        name.unlink(missing_ok=True)


def build_sqlite(folder: Path, size: int, say: Callable[[str], None] = print) -> BuildFacts:
    """Build the SQLite journal of ``size`` events in ``folder`` (under a temporary name, renamed when done)."""
    folder.mkdir(parents=True, exist_ok=True)
    final = sqlite_path(folder, size)
    building = final.with_suffix(".building")
    _remove_sqlite(final)
    _remove_sqlite(building)
    facts_path(folder, "sqlite", size).unlink(missing_ok=True)
    with SQLiteJournal(building, clock=clock) as journal:
        facts = build(journal, "sqlite", size, say=say)
    building.rename(final)
    facts.save(facts_path(folder, "sqlite", size))
    return facts


def build_postgres(dsn: str, folder: Path, size: int, say: Callable[[str], None] = print) -> BuildFacts:
    """Build the PostgreSQL journal of ``size`` events in schema ``scale_<size>`` (renamed into place when done)."""
    import psycopg  # noqa: PLC0415 - the postgres extra, only needed here

    folder.mkdir(parents=True, exist_ok=True)
    schema = pg_schema(size)
    building = f"{schema}_building"
    facts_path(folder, "postgres", size).unlink(missing_ok=True)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        connection.execute(f"DROP SCHEMA IF EXISTS {building} CASCADE")
    with PostgresJournal(dsn, schema=building, clock=clock) as journal:
        facts = build(journal, "postgres", size, say=say)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f"ALTER SCHEMA {building} RENAME TO {schema}")
        for table in ("events", "cases", "ledger_heads", "journal"):
            connection.execute(f"VACUUM ANALYZE {schema}.{table}")  # what autovacuum would do, done now
    facts.save(facts_path(folder, "postgres", size))
    return facts


# -- a PostgreSQL server of our own -----------------------------------------------------------------------------------

PG_SETTINGS: Final = {
    "listen_addresses": "''",  # no TCP at all: only the unix socket
    "max_connections": "50",
    "shared_buffers": "1GB",
    "effective_cache_size": "4GB",
    "work_mem": "16MB",
    "maintenance_work_mem": "256MB",
    "random_page_cost": "1.1",  # a virtual machine's SSD
    "fsync": "on",  # as in production: an acknowledged append is on disk
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "wal_level": "minimal",  # no replicas: less WAL to write (with max_wal_senders = 0)
    "max_wal_senders": "0",
    "max_wal_size": "4GB",  # fewer checkpoints during a build
    "checkpoint_timeout": "15min",
    "autovacuum": "on",  # keeps the visibility map current, so index-only scans stay index-only
    "jit": "off",  # short queries only
    "logging_collector": "off",
}
"""The settings of the benchmark's own PostgreSQL server (durable commits, sized for this machine)."""


def _binaries() -> Path | None:
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]), reverse=True
    )
    return versions[0].parent if versions else None


class Cluster:
    """A PostgreSQL cluster kept in ``root`` (so built journals survive between runs), on a unix socket only.

    As root the server runs as the ``postgres`` user: PostgreSQL refuses to run as root.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        # A unix socket's path has at most 107 bytes: the socket goes in a short folder of its own.
        tag = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:8]
        self.socket = Path(tempfile.gettempdir()) / f"rr-scale-{os.getuid()}-{tag}"
        self.user = None
        if os.geteuid() == 0:
            self.user = "postgres"
            pwd.getpwnam(self.user)  # KeyError: no postgres user to run the server as
        binaries = _binaries()
        if binaries is None:
            raise SystemExit("PostgreSQL's initdb and pg_ctl are not installed (make postgres)")
        self.binaries = binaries

    @property
    def dsn(self) -> str:
        return f"host={self.running_socket() or self.socket} port=5432 user=postgres dbname=postgres"

    def running_socket(self) -> str | None:
        """The socket folder of the running server (the fifth line of postmaster.pid), if it runs."""
        try:
            lines = (self.data / "postmaster.pid").read_text(encoding="utf-8").splitlines()
        except OSError:
            return None
        return lines[4].strip() if len(lines) > 4 and lines[4].strip() else None

    def _run(self, program: str, *arguments: str) -> None:
        command = [str(self.binaries / program), *arguments]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)  # noqa: S603
        if result.returncode != 0:
            raise SystemExit(f"{program} failed: {(result.stderr or result.stdout).strip()[-2000:]}")

    def _own(self, path: Path) -> None:
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def start(self) -> None:
        """Create the cluster if it is not there yet, and start it."""
        self.root.mkdir(parents=True, exist_ok=True)
        self._own(self.root)
        self.socket.mkdir(exist_ok=True)
        self._own(self.socket)
        if not (self.data / "PG_VERSION").exists():
            self._run(
                "initdb",
                "--pgdata",
                str(self.data),
                "--username=postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-instructions",
            )
            with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
                conf.writelines(f"{name} = {value}\n" for name, value in PG_SETTINGS.items())
        if not (self.data / "postmaster.pid").exists():
            with (self.data / "postgresql.auto.conf").open("w", encoding="utf-8") as conf:
                conf.write(f"unix_socket_directories = '{self.socket}'\nport = 5432\n")
            self._own(self.data / "postgresql.auto.conf")
            self._run("pg_ctl", "--pgdata", str(self.data), "--log", str(self.root / "log"), "--wait", "start")

    def stop(self) -> None:
        with contextlib.suppress(SystemExit):
            self._run("pg_ctl", "--pgdata", str(self.data), "--mode", "fast", "--wait", "stop")
