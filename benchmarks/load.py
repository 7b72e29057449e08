"""The decision service under load and faults: 2 workers on one PostgreSQL journal, 50 clients, 30 seconds.

Run it with ``make bench-load`` or ``python benchmarks/load.py`` (``--seconds``
and ``--clients`` for a shorter run, ``--smoke`` for a few seconds with 10
clients, ``--output PATH`` for the JSON file, default
``benchmarks/results/load.json``). It is not a timed test: the machine decides
the numbers, so the service's routes are shown beside a no-op route measured in
the same run, under the same load (the floor: ``GET /healthz``, which answers
from the process alone, with no token, no policy and no journal).

What it does, all on this machine (loopback and a unix socket only):

1. Starts a throwaway PostgreSQL cluster (``initdb`` into a temporary folder,
   no TCP listener, fsync on), unless ``--dsn`` names a server, in which case a
   new database is made on it for the run (and dropped after).
2. Writes a token file with a staff and a manager token, and starts
   ``recovery-rules serve --policy ritz-carlton --journal postgresql://...
   --workers 2`` on a free loopback port, as a subprocess.
3. Runs ``--clients`` concurrent clients (asyncio, one keep-alive httpx2
   connection pool each) for ``--seconds``. Each loop of a client is one of:
   the floor (``GET /healthz``, 30%); a pure decision (``POST /v1/decisions``,
   10%); or a case taken from opening to its decision (60%): open, listen,
   apologize, ask for the preferred remedy, decide, and when the decision is
   an escalation, escalate and the duty manager approves (the manager token).
   Half the cases are for the *heavy guest* of the moment (a new one every
   ``--seconds / 6``), so every worker races for the same guest's ledger until
   the 30-day cap of $10,000.00 is reached, and past it. Every case request
   carries an ``Idempotency-Key``; a request that fails in transit (a worker
   killed under it) or answers 503 is retried with the same key.
4. Halfway through, kills one uvicorn worker with SIGKILL (the supervisor
   starts a new one; the other serves meanwhile), unless ``--no-kill``.
5. Afterwards reads the journal through the library and checks: the hash
   chain verifies; every window of every cap (and ``hard_cap`` per incident)
   holds for every guest, summing the grants themselves in the order they were
   committed (not trusting the ledger's running totals, which are compared to
   the sums as well); and every step the clients saw acknowledged (a 2xx with
   its event's ``seq``) is in the journal, the same event: none was lost.

It prints a table and writes the figures as JSON. The exit status is 1 when a
cap was broken, an acknowledged step is missing or the chain does not verify.
``tests/test_load_benchmark.py`` runs ``--smoke`` (marked slow and postgres).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import pwd
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # run from a checkout without installing

import httpx2 as httpx  # noqa: E402 - after the path; the maintained httpx, which the dev extra installs

from recovery_rules import ComplaintNumber, Event, Journal, Money, Policy, Window, presets  # noqa: E402 - after the path
from recovery_rules.server import add_token, open_journal  # noqa: E402 - after the path

PRESET: Final = "ritz-carlton"
ASKS: Final = ("400.00", "900.00", "1500.00", "1900.00", "2600.00", "3800.00")
"""Refunds asked for, in USD: up to $2,000.00 a staff member approves; above it the duty manager does."""
FLOOR_SHARE: Final = 0.30
DECIDE_SHARE: Final = 0.10
HEAVY_SHARE: Final = 0.50
RETRIES: Final = 20
"""How often a request that failed in transit (or answered 503) is sent again, with the same key."""


# -- PostgreSQL ------------------------------------------------------------------------------------------------
def _binaries() -> Path:
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]))
    if not versions:
        raise SystemExit("PostgreSQL's initdb and pg_ctl are not installed (make postgres), and no --dsn was given")
    return versions[-1].parent


class Cluster:
    """A throwaway PostgreSQL cluster in a temporary folder, listening on a unix socket there only."""

    def __init__(self) -> None:
        self.bin_dir = _binaries()
        self.user = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self.user = "postgres" if _user_exists("postgres") else "nobody"
        self.root = Path(tempfile.mkdtemp(prefix="rr-load-"))  # short: a socket path has at most 107 bytes
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@/postgres?host={quote(str(self.root), safe='')}&port=5432"

    def _run(self, program: str, *arguments: str) -> None:
        command = [str(self.bin_dir / program), *arguments]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
        if result.returncode != 0:
            raise SystemExit(f"{program} failed: {(result.stderr or result.stdout).strip()[-2000:]}")

    def start(self) -> None:
        data = str(self.root / "data")
        self._run("initdb", "--pgdata", data, "--username=postgres", "--auth=trust", "--encoding=UTF8")
        settings = {
            "listen_addresses": "''",
            "unix_socket_directories": f"'{self.root}'",
            "port": "5432",
            "max_connections": "200",
            "fsync": "on",  # an acknowledged step must survive as in production
            "synchronous_commit": "on",
        }
        with (self.root / "data" / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        self._run("pg_ctl", "--pgdata", data, "--log", str(self.root / "log"), "--wait", "start")

    def remove(self) -> None:
        if (self.root / "data" / "postmaster.pid").exists():
            with contextlib.suppress(SystemExit):
                self._run("pg_ctl", "--pgdata", str(self.root / "data"), "--mode", "fast", "--wait", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@contextlib.contextmanager
def journal_address(dsn: str | None) -> Iterator[str]:
    """A ``postgresql://`` URL of an empty database: a throwaway cluster's, or a new database on ``dsn``."""
    if dsn is None:
        cluster = Cluster()
        try:
            cluster.start()
            yield cluster.url
        finally:
            cluster.remove()
        return
    import psycopg  # noqa: PLC0415 - the postgres extra, which the dev extra installs

    name = f"load_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    parts = psycopg.conninfo.conninfo_to_dict(psycopg.conninfo.make_conninfo(dsn, dbname=name))
    host = str(parts.get("host", "localhost"))
    user = quote(str(parts.get("user", "postgres")), safe="")
    password = f":{quote(str(parts['password']), safe='')}" if parts.get("password") else ""
    query = f"host={quote(host, safe='')}&port={parts.get('port', 5432)}"
    try:
        yield f"postgresql://{user}{password}@/{name}?{query}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- the service -----------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve_command() -> list[str]:
    script = Path(sys.executable).parent / "recovery-rules"
    if script.exists():
        return [str(script)]
    found = shutil.which("recovery-rules")
    if found is None:
        raise SystemExit("recovery-rules is not installed: pip install -e '.[dev]' (or make lint) first")
    return [found]


@dataclass
class Service:
    process: subprocess.Popen[bytes]
    port: int
    folder: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        """The uvicorn worker processes: the serve process's children started by multiprocessing's spawn."""
        found = []
        for child in _children(self.process.pid):
            with contextlib.suppress(OSError):
                command = Path(f"/proc/{child}/cmdline").read_bytes()
                if b"spawn_main" in command:
                    found.append(child)
        return sorted(found)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                for child in _children(self.process.pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(child, signal.SIGKILL)
                self.process.kill()
                self.process.wait()


def _connections(pid: int, port: int) -> int:
    """How many established TCP connections to ``port`` the process ``pid`` holds (from /proc)."""
    inodes = set()
    with contextlib.suppress(OSError):
        for descriptor in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(descriptor)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] == "01" and fields[9] in inodes:
                    count += 1
    return count


def _children(pid: int) -> list[int]:
    children: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                children += [int(part) for part in (task / "children").read_text().split()]
    return children


def start_service(journal: str, folder: Path, workers: int) -> tuple[Service, dict[str, str]]:
    """``recovery-rules serve`` on a free loopback port, with a staff and a manager token; when it is ready."""
    tokens_file = folder / "tokens.toml"
    tokens = {level: add_token(tokens_file, f"load-{level}", level) for level in ("staff", "manager")}
    port = _free_port()
    command = [
        *_serve_command(),
        "serve",
        "--policy",
        PRESET,
        "--journal",
        journal,
        "--tokens",
        str(tokens_file),
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--decision-log",
        str(folder / "decisions.jsonl"),
    ]
    log = (folder / "serve.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder)  # noqa: S603
    service = Service(process, port, folder)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"recovery-rules serve stopped: {(folder / 'serve.log').read_text()[-3000:]}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{service.base}/readyz", timeout=2).status_code == 200 and len(service.workers()) == workers:
                return service, tokens
        time.sleep(0.2)
    service.stop()
    raise SystemExit(f"recovery-rules serve was not ready in 120 s: {(folder / 'serve.log').read_text()[-3000:]}")


# -- the clients -----------------------------------------------------------------------------------------------
@dataclass
class Acknowledged:
    """A step the service acknowledged (a 2xx): what the journal must hold."""

    number: str
    step: str
    seq: int
    version: int
    kind: str
    grant: Any


def _amount(money: Any) -> Any:
    """The amount of a Money as the API answers it (``{"amount": "400.00", "currency": "USD"}`` or text)."""
    if isinstance(money, dict):
        return Money(str(money["amount"]), str(money["currency"])).amount
    return Money.parse(str(money)).amount


@dataclass
class Tally:
    latencies: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[str] = field(default_factory=Counter)
    acknowledged: list[Acknowledged] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    problems: dict[str, list[str]] = field(default_factory=dict)
    transport_errors: int = 0
    retried: int = 0
    given_up: int = 0
    cases: int = 0
    heavy_cases: int = 0


class Client:
    """One front desk: its own keep-alive connection, a staff and a manager token."""

    def __init__(self, base: str, tokens: dict[str, str], tally: Tally, seed: int, run_tag: str) -> None:
        self.http = httpx.AsyncClient(
            base_url=base, timeout=60.0, limits=httpx.Limits(max_connections=1, max_keepalive_connections=1)
        )
        self.tokens = tokens
        self.tally = tally
        self.random = random.Random(seed)  # noqa: S311 - a workload mix, not a secret
        self.run_tag = run_tag
        self.seed = seed

    async def request(
        self, route: str, method: str, path: str, *, level: str | None = None, json_body: Any = None, keyed: bool
    ) -> httpx.Response | None:
        """Send, retrying with the same Idempotency-Key after a transport error or a 503; the last answer."""
        headers = {}
        if level is not None:
            headers["Authorization"] = f"Bearer {self.tokens[level]}"
        if keyed:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        for attempt in range(RETRIES):
            started = time.perf_counter()
            try:
                response = await self.http.request(method, path, headers=headers, json=json_body)
            except httpx.TransportError:
                self.tally.transport_errors += 1
                self.tally.retried += attempt == 0
                await asyncio.sleep(0.05 * (attempt + 1))
                continue
            elapsed = time.perf_counter() - started
            self.tally.statuses[f"{route} {response.status_code}"] += 1
            if response.status_code == 503 and keyed:
                self.tally.retried += attempt == 0
                await asyncio.sleep(0.05 * (attempt + 1))
                continue
            if response.is_success:
                self.tally.latencies[route].append(elapsed)
            else:
                shown = self.tally.problems.setdefault(f"{route} {response.status_code}", [])
                if len(shown) < 3:
                    shown.append(response.text[:300])
            return response
        self.tally.given_up += 1
        return None

    def complaint(self, customer: str, amount: str) -> dict[str, Any]:
        received = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        return {
            "customer": {"id": customer, "tier": "regular"},
            "category": "room_not_ready",
            "requested": {"kind": "refund", "amount": f"{amount} USD"},
            "received_at": received.isoformat(),
            "description": "The room was not ready at check-in.",
        }

    async def run(self, deadline: float, heavy: Any) -> None:
        loop = 0
        while time.monotonic() < deadline:
            loop += 1
            draw = self.random.random()
            if draw < FLOOR_SHARE:
                await self.request("floor GET /healthz", "GET", "/healthz", keyed=False)
            elif draw < FLOOR_SHARE + DECIDE_SHARE:
                body = {"complaint": self.complaint(f"D{self.seed}", self.random.choice(ASKS))}
                await self.request(
                    "POST /v1/decisions", "POST", "/v1/decisions", level="staff", json_body=body, keyed=False
                )
            else:
                is_heavy = self.random.random() < HEAVY_SHARE
                customer = heavy() if is_heavy else f"{self.run_tag}-C{self.seed}-{loop}"
                await self.case(customer, self.random.choice(ASKS), heavy=is_heavy)
        await self.http.aclose()

    async def step(self, number: str, step: str, level: str, body: Any = None) -> dict[str, Any] | None:
        response = await self.request(
            f"POST /v1/cases/{{n}}/{step}",
            "POST",
            f"/v1/cases/{number}/{step}",
            level=level,
            json_body=body,
            keyed=True,
        )
        if response is None or not response.is_success:
            return None
        answer: dict[str, Any] = response.json()
        event = answer["event"]
        grant = event.get("grant")
        self.tally.acknowledged.append(
            Acknowledged(number, step, int(event["seq"]), int(event["version"]), str(event["kind"]), grant)
        )
        return answer

    async def case(self, customer: str, amount: str, *, heavy: bool) -> None:
        response = await self.request(
            "POST /v1/cases (heavy guest)" if heavy else "POST /v1/cases",
            "POST",
            "/v1/cases",
            level="staff",
            json_body={"complaint": self.complaint(customer, amount)},
            keyed=True,
        )
        if response is None or not response.is_success:
            return
        self.tally.cases += 1
        self.tally.heavy_cases += heavy
        number = str(response.json()["complaint_number"])
        self.tally.opened.append(number)
        for step, body in (
            ("listen", {"notes": "Heard the whole story."}),
            ("apologize", {"notes": "Apologized."}),
            ("ask_preferred_solution", {"notes": "A refund, as asked."}),
        ):
            if await self.step(number, step, "staff", body) is None:
                return
        decided = await self.step(number, "decide", "staff")
        if decided is None:
            return
        decision = decided["case"].get("decision") or {}
        self.tally.outcomes[f"decide: {decision.get('outcome', '?')}"] += 1
        if "escalate" not in decided["case"]["allowed_steps"]:
            return
        if await self.step(number, "escalate", "staff", {"notes": "The duty manager will call back."}) is None:
            return
        approved = await self.step(number, "manager_approves", "manager", {"notes": "Approved."})
        if approved is not None:
            resolution = approved["case"].get("resolution") or {}
            self.tally.outcomes[f"manager_approves: {resolution.get('outcome', '?')}"] += 1


async def drive(
    service: Service, tokens: dict[str, str], *, clients: int, seconds: float, kill_at: float | None
) -> tuple[Tally, dict[str, Any]]:
    tally = Tally()
    run_tag = uuid.uuid4().hex[:6].upper()
    started = time.monotonic()
    period = max(seconds / 6, 1.0)

    def heavy() -> str:
        return f"{run_tag}-H{int((time.monotonic() - started) / period)}"

    desks = [Client(service.base, tokens, tally, seed, run_tag) for seed in range(clients)]
    deadline = started + seconds
    kill: dict[str, Any] = {"killed": None}

    async def killer() -> None:
        if kill_at is None:
            return
        await asyncio.sleep(kill_at)
        before = service.workers()
        if not before:
            kill["error"] = "no worker process found to kill"
            return
        held = {pid: _connections(pid, service.port) for pid in before}
        victim = max(before, key=lambda pid: held[pid])  # the worker serving the most clients: requests in flight
        os.kill(victim, signal.SIGKILL)
        kill.update(
            killed=victim,
            at_seconds=round(time.monotonic() - started, 2),
            workers_before=before,
            client_connections_per_worker={str(pid): count for pid, count in held.items()},
        )
        acknowledged = len(tally.acknowledged)
        kill["acknowledged_before_kill"] = acknowledged
        while time.monotonic() < deadline:
            await asyncio.sleep(0.25)
            now = [pid for pid in service.workers() if pid != victim]
            if len(now) == len(before) and "restarted_after_seconds" not in kill:
                kill["restarted_after_seconds"] = round(time.monotonic() - started - kill["at_seconds"], 2)
                kill["workers_after"] = now

    await asyncio.gather(killer(), *(desk.run(deadline, heavy) for desk in desks))
    kill["elapsed_seconds"] = round(time.monotonic() - started, 2)
    return tally, kill


# -- the audit -------------------------------------------------------------------------------------------------
@dataclass
class Audit:
    events: int
    grants: int
    verified: bool
    verify_problem: str | None
    cap_checks: int
    violations: list[str]
    ledger_disagreements: list[str]
    most_granted: dict[str, str]
    acknowledged: int
    lost: list[str]
    opened: int
    opened_missing: list[str]
    duplicated: list[str]


@dataclass
class CapSums:
    """Every cap's every window, summed from the grant events themselves in the order they were committed."""

    checks: int = 0
    grants: int = 0
    violations: list[str] = field(default_factory=list)
    totals: dict[str, Money] = field(default_factory=dict)
    last_at: dict[str, dt.datetime] = field(default_factory=dict)


def sum_caps(events: list[Event], policy: Policy) -> CapSums:
    """Check that no grant took a guest past ``hard_cap`` (in the policy's window) or past any of ``caps``."""
    zone = ZoneInfo(policy.timezone)
    limits: list[tuple[str, Money, Window]] = [(f"cap {cap.window}", cap.limit, cap.window) for cap in policy.caps]
    if policy.hard_cap is not None:
        limits.append(("hard_cap", policy.hard_cap, policy.window))
    earlier: defaultdict[str, list[tuple[dt.datetime, str, Money]]] = defaultdict(list)
    sums = CapSums()
    for event in events:  # in commit order: what each grant saw before it
        if event.grant is None:
            continue
        sums.grants += 1
        customer = event.customer_id
        at = event.ledger.at if event.ledger is not None else event.at
        incident = str(event.ledger.incident if event.ledger is not None else event.number)
        earlier[customer].append((at, incident, event.grant))
        sums.totals[customer] = sums.totals.get(customer, Money.zero(policy.currency)) + event.grant
        sums.last_at[customer] = at
        for name, limit, window in limits:
            if window.kind == "incident":
                counted = [grant for _, other, grant in earlier[customer] if other == incident]
            elif window.kind == "day":
                day = at.astimezone(zone).date()
                counted = [grant for when, _, grant in earlier[customer] if when.astimezone(zone).date() == day]
            else:
                assert window.duration is not None
                counted = [grant for when, _, grant in earlier[customer] if at - window.duration < when <= at]
            total = sum(counted, Money.zero(policy.currency))
            sums.checks += 1
            if total > limit:
                sums.violations.append(f"seq {event.seq}: {customer} at {total} within the {name} of {limit}")
    return sums


def ledger_disagreements(journal: Journal, events: list[Event], policy: Policy, sums: CapSums) -> list[str]:
    """Where the journal's ledger (its running totals) says another total than the grants sum to."""
    found = []
    for customer, total in sums.totals.items():
        sample = next(event for event in reversed(events) if event.grant is not None and event.customer_id == customer)
        for cap in policy.caps:
            if cap.window.kind != "rolling":
                continue
            at = sums.last_at[customer]
            ledger = journal.granted(
                sample.number, window=cap.window, timezone=policy.timezone, currency=policy.currency, now=at
            )
            if ledger != total:
                found.append(f"{customer}: the ledger says {ledger}, the grants sum to {total}")
    return found


def lost_steps(events: list[Event], acknowledged: list[Acknowledged]) -> list[str]:
    """The acknowledged steps the journal does not hold as they were answered (same seq, case, version, kind)."""
    by_seq = {event.seq: event for event in events}
    lost = []
    for ack in acknowledged:
        found = by_seq.get(ack.seq)
        grant = None if found is None or found.grant is None else found.grant.amount
        expected = None if ack.grant is None else _amount(ack.grant)
        if (
            found is None
            or str(found.number) != ack.number
            or found.version != ack.version
            or found.kind != ack.kind
            or grant != expected
        ):
            lost.append(f"{ack.step} of {ack.number} (seq {ack.seq}, {ack.kind}): not in the journal as answered")
    return lost


def recorded_twice(events: list[Event]) -> list[str]:
    """Each step of the clients' path is taken once a case: a retry must not have recorded one twice."""
    kinds: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for event in events:
        kinds[str(event.number)][event.kind] += 1
    return [
        f"{number}: {kind} recorded {count} times"
        for number, counted in kinds.items()
        for kind, count in counted.items()
        if count > 1
    ]


def audit(journal_url: str, policy: Policy, tally: Tally) -> Audit:
    """Read the journal back through the library: the chain, every cap's every window, every acknowledged step."""
    with open_journal(journal_url) as journal:
        verification = journal.verify()
        events: list[Event] = list(journal.iter_events())
        sums = sum_caps(events, policy)
        disagreements = ledger_disagreements(journal, events, policy, sums)
        missing = [number for number in tally.opened if not journal.version(ComplaintNumber.parse(number))]
    ranked = sorted(sums.totals.items(), key=lambda item: item[1].amount, reverse=True)[:3]
    return Audit(
        events=len(events),
        grants=sums.grants,
        verified=verification.ok,
        verify_problem=None if verification.ok else str(verification),
        cap_checks=sums.checks,
        violations=sums.violations,
        ledger_disagreements=disagreements,
        most_granted={customer: str(total) for customer, total in ranked},
        acknowledged=len(tally.acknowledged),
        lost=lost_steps(events, tally.acknowledged),
        opened=len(tally.opened),
        opened_missing=missing,
        duplicated=recorded_twice(events),
    )


# -- the report ------------------------------------------------------------------------------------------------
def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def figures(tally: Tally, seconds: float) -> list[dict[str, Any]]:
    rows = []
    for route in sorted(tally.latencies, key=lambda name: (not name.startswith("floor"), name)):
        values = tally.latencies[route]
        rows.append(
            {
                "route": route,
                "answered_2xx": len(values),
                "per_second": round(len(values) / seconds, 1),
                "p50_ms": round(_percentile(values, 0.50) * 1000, 2),
                "p99_ms": round(_percentile(values, 0.99) * 1000, 2),
            }
        )
    service = [value for route, values in tally.latencies.items() if not route.startswith("floor") for value in values]
    if service:
        rows.append(
            {
                "route": "all /v1 requests",
                "answered_2xx": len(service),
                "per_second": round(len(service) / seconds, 1),
                "p50_ms": round(_percentile(service, 0.50) * 1000, 2),
                "p99_ms": round(_percentile(service, 0.99) * 1000, 2),
            }
        )
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    print(f"{'route':<44} {'2xx':>7} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for row in rows:
        print(
            f"{row['route']:<44} {row['answered_2xx']:>7} {row['per_second']:>8} {row['p50_ms']:>8} {row['p99_ms']:>8}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the clients run (default 30)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    parser.add_argument("--smoke", action="store_true", help="a few seconds with 10 clients: checks, not speed")
    parser.add_argument("--no-kill", action="store_true", help="do not kill a worker halfway through")
    parser.add_argument(
        "--dsn", help="a PostgreSQL server to make the run's database on (default: a cluster of its own)"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "load.json")
    arguments = parser.parse_args(argv)
    seconds = 3.0 if arguments.smoke else arguments.seconds
    clients = 10 if arguments.smoke else arguments.clients
    policy = presets.ritz_carlton()
    with tempfile.TemporaryDirectory(prefix="rr-load-") as scratch, journal_address(arguments.dsn) as journal_url:
        folder = Path(scratch)
        service, tokens = start_service(journal_url, folder, arguments.workers)
        try:
            kill_at = None if arguments.no_kill else seconds / 2
            tally, kill = asyncio.run(drive(service, tokens, clients=clients, seconds=seconds, kill_at=kill_at))
        finally:
            service.stop()
            arguments.output.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / "serve.log", arguments.output.with_suffix(".serve.log"))
        checked = audit(journal_url, policy, tally)
    rows = figures(tally, kill["elapsed_seconds"])
    ok = checked.verified and not checked.violations and not checked.lost and not checked.opened_missing
    ok = ok and not checked.ledger_disagreements and not checked.duplicated and kill.get("error") is None
    result = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_after": [round(value, 2) for value in os.getloadavg()],
        },
        "run": {
            "seconds": seconds,
            "clients": clients,
            "workers": arguments.workers,
            "policy": PRESET,
            "journal": "PostgreSQL (a throwaway cluster, unix socket, fsync on)" if arguments.dsn is None else "--dsn",
            "floor": "GET /healthz",
        },
        "routes": rows,
        "cases": {"opened": tally.cases, "for_the_heavy_guest": tally.heavy_cases, "outcomes": dict(tally.outcomes)},
        "statuses": dict(sorted(tally.statuses.items())),
        "problems": tally.problems,
        "faults": {
            **kill,
            "transport_errors": tally.transport_errors,
            "requests_retried": tally.retried,
            "requests_given_up": tally.given_up,
        },
        "audit": {
            "events": checked.events,
            "grants": checked.grants,
            "chain_verifies": checked.verified,
            "verify_problem": checked.verify_problem,
            "cap_window_checks": checked.cap_checks,
            "cap_violations": len(checked.violations),
            "violations": checked.violations[:20],
            "ledger_disagreements": checked.ledger_disagreements[:20],
            "most_granted": checked.most_granted,
            "acknowledged_steps": checked.acknowledged,
            "acknowledged_steps_lost": len(checked.lost),
            "lost": checked.lost[:20],
            "cases_opened_acknowledged": checked.opened,
            "cases_opened_missing": len(checked.opened_missing),
            "steps_recorded_twice": len(checked.duplicated),
            "duplicated": checked.duplicated[:20],
        },
        "ok": ok,
    }
    print_table(rows)
    outcomes = dict(sorted(tally.outcomes.items()))
    print(f"cases {tally.cases} ({tally.heavy_cases} for the heavy guests), outcomes {outcomes}")
    print(
        f"killed worker {kill.get('killed')} at {kill.get('at_seconds')} s, restarted after "
        f"{kill.get('restarted_after_seconds')} s; transport errors {tally.transport_errors}, "
        f"requests retried {tally.retried}, given up {tally.given_up}"
    )
    print(
        f"journal: {checked.events} events, {checked.grants} grants, "
        f"chain {'verifies' if checked.verified else 'BROKEN'}; "
        f"cap violations {len(checked.violations)} in {checked.cap_checks} window checks; ledger disagreements "
        f"{len(checked.ledger_disagreements)}; acknowledged steps {checked.acknowledged}, lost {len(checked.lost)}; "
        f"cases acknowledged {checked.opened}, missing {len(checked.opened_missing)}; steps recorded twice "
        f"{len(checked.duplicated)}; most granted {checked.most_granted}"
    )
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {arguments.output}")
    if not ok:
        print(
            "FAILED: "
            + "; ".join(
                [*checked.violations[:3], *checked.lost[:3], *checked.ledger_disagreements[:3], *checked.duplicated[:3]]
            )
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
