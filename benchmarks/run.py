"""Benchmarks of recovery-rules: how fast it decides, against a hand-written floor in the same run.

Run it with ``make bench`` or ``python benchmarks/run.py`` (``--quick`` for a
shorter run, ``--output PATH`` for the JSON file, default
``benchmarks/results/latest.json``). It prints a table and writes the same figures as
JSON. It is not part of the test suite: the machine it runs on decides the
numbers, so every row is measured next to the floor, a hand-written
plain-Python decision of the same rules, and shown as a ratio to it.

What it measures, on one core (the process pins itself to one CPU):

- ``decide``: the core engine (``Policy.decide``), the durable-rules backend
  (``DurableEngine.decide``) and the floor, for an approval, an escalation and
  a denial (both with three alternatives), on ladders of 3, 10 and 100 levels
  and catalogs of 10, 100 and 1,000 alternatives: median and 99th-percentile
  latency of single calls, and decisions per second in a loop.
- ``json``: from a complaint as JSON text to the resolution as JSON text.
- ``import``: ``import recovery_rules`` in a fresh interpreter.
- ``memory``: resident memory and Python's allocated blocks after 10,000 and
  after 100,000 decisions, in a fresh interpreter.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # run from a checkout without installing

from recovery_rules import Complaint, Customer, Money, Outcome, Policy, Remedy  # noqa: E402 - after the path

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
LADDERS = (3, 10, 100)
CATALOGS = (10, 100, 1000)
OUTCOMES = ("approve", "escalate", "deny")
KINDS = ("callback", "other_branch", "referral", "voucher_offer", "upgrade_offer", "follow_up")

TARGETS = {
    "decide approve median (us)": 5.0,
    "decide escalate/deny median (us)": 10.0,
    "largest / smallest policy (median)": 1.5,
    "json in to json out median (us)": 30.0,
    "import recovery_rules (ms)": 150.0,
    "memory growth 10k -> 100k decisions (MB)": 1.0,
}


# -- the policies and complaints ---------------------------------------------------------------------------------


def policy(levels: int, alternatives: int) -> Policy:
    """A ladder of ``levels`` ($1,000 per level, more for gold guests, the top one unlimited) and a catalog."""
    ladder: list[dict[str, Any]] = []
    for rank in range(levels):
        top = rank == levels - 1
        level: dict[str, Any] = {
            "name": f"level_{rank}",
            "limit": "unlimited" if top else f"{(rank + 1) * 1000}.00",
            "tier_limits": {} if top else {"gold": f"{(rank + 1) * 1500}.00"},
        }
        if rank:
            level["callback_within"] = "2h"
        ladder.append(level)
    catalog: list[dict[str, Any]] = [
        {"id": f"free-{i}", "kind": KINDS[i], "description": "A free option", "value": "0", "applies_to": ["*"]}
        for i in range(3)
    ]
    catalog += [
        {
            "id": f"alt-{i}",
            "kind": KINDS[i % len(KINDS)],
            "description": f"Option {i}",
            "value": f"{(i * 7919) % 900}.{i % 100:02d}",
            "applies_to": ["*"] if i % 2 else ["room_not_ready"],
        }
        for i in range(alternatives - 3)
    ]
    return Policy.model_validate(
        {
            "name": f"{levels} levels, {alternatives} alternatives",
            "currency": "USD",
            "window": "incident",
            "hard_cap": f"{levels * 2000}.00",
            "denials_delivered_by": f"level_{min(1, levels - 1)}",
            "categories": ["room_not_ready", "noise"],
            "levels": ladder,
            "catalog": catalog,
        }
    )


def asked(outcome: str, levels: int) -> str:
    """What the lowest level's employee is asked for: within its limit, what a middle level grants, over the cap."""
    return {"approve": "250.00", "escalate": f"{(levels // 2) * 1000 + 500}.00", "deny": f"{levels * 2000 + 1}.00"}[
        outcome
    ]


def complaint(amount: str, customer: str = "10442") -> Complaint:
    return Complaint(
        customer=Customer(id=customer),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=NOW,
    )


# -- the floor: the same rules, hand-written in plain Python --------------------------------------------------------


@dataclass(frozen=True)
class Floor:
    """A policy digested into plain Python: integers of cents, tuples and dicts."""

    refused: frozenset[str]
    cap: int | None
    ranks: dict[str, int]
    names: tuple[str, ...]
    limits: dict[tuple[str | None, str], tuple[tuple[int, ...], tuple[float, ...]]]
    actor_limits: tuple[dict[str, float], ...]
    may_grant: tuple[frozenset[str] | None, ...]
    shelves: dict[str | None, tuple[tuple[tuple[int, ...], tuple[tuple[str, str], ...]], ...]]
    count: int

    @classmethod
    def of(cls, policy: Policy) -> Floor:
        def cents(money: Money | None) -> float:
            return float("inf") if money is None else int(money.amount * 100)

        tiers = {tier for level in policy.levels for tier in level.tier_limits}
        limits = {}
        for tier in (None, *tiers):
            for kind in policy.vocabulary:
                granting = [
                    (rank, level)
                    for rank, level in enumerate(policy.levels)
                    if level.may_grant is None or kind in level.may_grant
                ]
                limits[tier, kind] = (
                    tuple(rank for rank, _ in granting),
                    tuple(
                        cents(level.limit if tier is None else level.tier_limits.get(tier, level.limit))
                        for _, level in granting
                    ),
                )
        shelves = {}
        for category in (*policy.categories, None):
            # The Plan B ranking: the category's own first, then generic; free before paid; closest last.
            segments = []
            for own in (True, False):
                for free in (True, False):
                    relevant = sorted(  # cheapest first, equal values in catalog order
                        (int(alternative.value.amount * 100), position, alternative.kind, alternative.id)
                        for position, alternative in enumerate(policy.catalog)
                        if (category in alternative.applies_to if own else "*" in alternative.applies_to)
                        and (own or category not in alternative.applies_to)
                        and (alternative.value.amount == 0) is free
                    )
                    if relevant:
                        segments.append((tuple(v for v, _, _, _ in relevant), tuple((k, i) for _, _, k, i in relevant)))
            shelves[category] = tuple(segments)
        return cls(
            refused=frozenset(policy.refused_remedies),
            cap=None if policy.hard_cap is None else int(policy.hard_cap.amount * 100),
            ranks={level.name: rank for rank, level in enumerate(policy.levels)},
            names=tuple(level.name for level in policy.levels),
            limits=limits,
            actor_limits=tuple(
                {tier: cents(level.tier_limits.get(tier, level.limit)) for tier in (*tiers, "standard")}
                for level in policy.levels
            ),
            may_grant=tuple(None if level.may_grant is None else frozenset(level.may_grant) for level in policy.levels),
            shelves=shelves,
            count=policy.min_alternatives,
        )

    def plan_b(self, category: str, asked: int, budget: float) -> list[str]:
        chosen: list[str] = []
        kinds: set[str] = set()
        for values, items in self.shelves.get(category) or self.shelves[None]:
            if not values[-1]:  # the free ones, in catalog order
                for kind, ident in items:
                    if kind not in kinds and len(chosen) < self.count:
                        kinds.add(kind)
                        chosen.append(ident)
                continue
            end = bisect.bisect_right(values, budget)
            down = bisect.bisect_right(values, asked, 0, end) - 1
            up = down + 1
            while len(chosen) < self.count and (down >= 0 or up < end):
                if down >= 0 and (up >= end or asked - values[down] <= values[up] - asked):
                    kind, ident = items[down]
                    down -= 1
                else:
                    kind, ident = items[up]
                    up += 1
                if kind not in kinds:
                    kinds.add(kind)
                    chosen.append(ident)
            if len(chosen) >= self.count:
                break
        return chosen

    def decide(  # noqa: PLR0917 - plain positional values, as a hand-written decision would take them
        self, category: str, kind: str, tier: str, by: str, granted: int, asked: int
    ) -> tuple[Any, ...]:
        total = granted + asked
        rank = self.ranks[by]
        limit = self.actor_limits[rank].get(tier, self.actor_limits[rank]["standard"])
        room = min(limit, float("inf") if self.cap is None else self.cap)
        budget = max(room - granted, 0)
        if kind in self.refused or (self.cap is not None and total > self.cap):
            return ("denied", self.plan_b(category, asked, budget))
        may = self.may_grant[rank]
        if (may is None or kind in may) and total <= limit:
            return ("approved", by)
        ranks, limits = self.limits.get((tier, kind)) or self.limits[None, kind]
        at = bisect.bisect_left(limits, total)
        if at < len(ranks) and ranks[at] <= rank:
            at = bisect.bisect_left(ranks, rank + 1)
        if at >= len(ranks):
            return ("denied", self.plan_b(category, asked, budget))
        return ("escalated", self.names[ranks[at]], self.plan_b(category, asked, budget))


# -- measuring -----------------------------------------------------------------------------------------------------


def timer_overhead() -> float:
    samples = []
    clock = time.perf_counter_ns
    for _ in range(20_000):
        start = clock()
        samples.append(clock() - start)
    return statistics.median(samples)


@dataclass
class Figures:
    median_us: float
    p99_us: float
    per_second: float


def measure(call: Callable[[], object], samples: int, overhead: float) -> Figures:
    """Single-call latencies (timer cost taken off) and a loop's throughput."""
    clock = time.perf_counter_ns
    for _ in range(max(samples // 20, 50)):  # warm up
        call()
    latencies = []
    for _ in range(samples):
        start = clock()
        call()
        latencies.append(clock() - start - overhead)
    latencies.sort()
    loops = max(samples // 2, 100)
    start = clock()
    for _ in range(loops):
        call()
    elapsed = clock() - start
    return Figures(
        median_us=max(statistics.median(latencies), 1.0) / 1000,
        p99_us=latencies[int(len(latencies) * 0.99) - 1] / 1000,
        per_second=loops / (elapsed / 1e9),
    )


def interleaved(
    subject: Callable[[], object], floor: Callable[[], object], samples: int, overhead: float, rounds: int = 3
) -> tuple[Figures, Figures]:
    """The subject and the floor, measured in alternating rounds so that both see the same machine."""
    found: dict[str, list[Figures]] = {"subject": [], "floor": []}
    for _ in range(rounds):
        found["floor"].append(measure(floor, samples // rounds, overhead))
        found["subject"].append(measure(subject, samples // rounds, overhead))

    def combine(figures: list[Figures]) -> Figures:
        return Figures(
            median_us=statistics.median(f.median_us for f in figures),
            p99_us=max(f.p99_us for f in figures),
            per_second=statistics.median(f.per_second for f in figures),
        )

    return combine(found["subject"]), combine(found["floor"])


def durable_engine(policy: Policy) -> Any:
    try:
        from recovery_rules import DurableEngine  # noqa: PLC0415 - optional

        return DurableEngine(policy)
    except ImportError:
        return None


EXPECTED = {"approve": Outcome.APPROVED, "escalate": Outcome.ESCALATED, "deny": Outcome.DENIED}


def record(
    rows: list[dict[str, Any]], what: str, engine: str, shape: tuple[int, int, str], found: tuple[Figures, Figures]
) -> None:
    (levels, alternatives, outcome), (subject, floor) = shape, found
    rows.append(
        {
            "what": what,
            "engine": engine,
            "levels": levels,
            "alternatives": alternatives,
            "outcome": outcome,
            "median_us": subject.median_us,
            "p99_us": subject.p99_us,
            "per_second": subject.per_second,
            "floor_median_us": floor.median_us,
            "ratio": subject.median_us / floor.median_us,
        }
    )
    report(rows[-1])


def bench_decide(rows: list[dict[str, Any]], samples: int, overhead: float) -> None:
    for levels in LADDERS:
        for alternatives in CATALOGS:
            rules = policy(levels, alternatives)
            floor = Floor.of(rules)
            durable = durable_engine(rules)
            for outcome in OUTCOMES:
                amount = asked(outcome, levels)
                ask = complaint(amount)
                resolution = rules.decide(ask, by="level_0", now=NOW)
                assert resolution.outcome is EXPECTED[outcome], (levels, alternatives, outcome)
                cents = int(Decimal(amount) * 100)

                def floor_call(floor: Floor = floor, cents: int = cents) -> tuple[Any, ...]:
                    return floor.decide("room_not_ready", "refund", "standard", "level_0", 0, cents)

                # The floor decides the same: the same outcome, the same level, the same alternatives.
                found = floor_call()
                assert found[0] == resolution.outcome.value, (found, resolution.outcome)
                same = "level_0" if outcome == "approve" else [option.id for option in resolution.alternatives]
                assert found[-1] == same, (found, resolution.alternatives)

                def core(rules: Policy = rules, ask: Complaint = ask) -> object:
                    return rules.decide(ask, by="level_0", now=NOW)

                shape = (levels, alternatives, outcome)
                record(rows, "decide", "core", shape, interleaved(core, floor_call, samples, overhead))
                if durable is not None:

                    def backend(durable: Any = durable, ask: Complaint = ask) -> object:
                        return durable.decide(ask, by="level_0", now=NOW)

                    assert backend() == resolution
                    found_durable = interleaved(backend, floor_call, max(samples // 4, 300), overhead)
                    record(rows, "decide", "durable", shape, found_durable)
            if durable is not None:
                durable.close()


def bench_json(rows: list[dict[str, Any]], samples: int, overhead: float) -> None:
    rules = policy(3, 10)
    floor = Floor.of(rules)
    durable = durable_engine(rules)
    for outcome in OUTCOMES:
        amount = asked(outcome, 3)
        text = json.dumps(
            {
                "customer": {"id": "10442"},
                "category": "room_not_ready",
                "requested": {"kind": "refund", "amount": f"{amount} USD"},
                "received_at": "2026-11-23T09:30:00Z",
            }
        )

        def floor_call(text: str = text) -> str:
            data = json.loads(text)
            amount, _ = data["requested"]["amount"].split()
            whole, _, cents = amount.partition(".")
            result = floor.decide(
                data["category"], data["requested"]["kind"], "standard", "level_0", 0, int(whole) * 100 + int(cents)
            )
            return json.dumps({"outcome": result[0], "detail": result[1:]})

        def core(text: str = text) -> str:
            return rules.decide(Complaint.model_validate_json(text), by="level_0", now=NOW).model_dump_json()

        assert json.loads(core())["outcome"] == json.loads(floor_call())["outcome"]
        shape = (3, 10, outcome)
        record(rows, "json", "core", shape, interleaved(core, floor_call, samples // 2, overhead))
        if durable is not None:

            def backend(text: str = text) -> str:
                return str(durable.decide(Complaint.model_validate_json(text), by="level_0", now=NOW).model_dump_json())

            assert backend() == core()
            record(rows, "json", "durable", shape, interleaved(backend, floor_call, max(samples // 8, 300), overhead))
    if durable is not None:
        durable.close()


def fresh(code: str) -> str:
    """What ``code`` prints, run in a new interpreter, with bytecode cached as in an installed package."""
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**environment, "PYTHONPATH": str(ROOT / "src")},
    )
    return result.stdout.strip()


IMPORT_CODE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def bench_import(rows: list[dict[str, Any]], repeat: int) -> None:
    found: dict[str, list[float]] = {"recovery_rules": [], "pydantic": []}
    fresh("import recovery_rules")  # writes the bytecode, as installing the package does
    for _ in range(repeat):
        for module, times in found.items():  # alternate, so both see the same machine
            times.append(float(fresh(IMPORT_CODE.format(module=module))) * 1000)
    ours, floor = statistics.median(found["recovery_rules"]), statistics.median(found["pydantic"])
    rows.append(
        {
            "what": "import",
            "engine": "core",
            "median_ms": ours,
            "min_ms": min(found["recovery_rules"]),
            "floor": "import pydantic",
            "floor_median_ms": floor,
            "ratio": ours / floor,
        }
    )
    report(rows[-1])


MEMORY_CODE = """
import gc, json, os, sys
sys.path.insert(0, {benchmarks!r})
from run import policy, complaint, Floor, NOW, durable_engine
engine = {engine!r}
rules = policy(3, 10)
subject = durable_engine(rules) if engine == "durable" else rules
floor = Floor.of(rules)
asks = [complaint(f"{{(i * 37) % 5000}}.{{i % 100:02d}}", customer=f"C{{i}}") for i in range(1000)]
def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
def run(count):
    for i in range(count):
        if engine == "floor":
            floor.decide("room_not_ready", "refund", "standard", "level_0", 0, (i * 3701) % 500000)
        else:
            subject.decide(asks[i % 1000], by="level_0", now=NOW)
out = {{}}
run(10_000); gc.collect(); out["after_10k"] = [rss(), sys.getallocatedblocks()]
run(90_000); gc.collect(); out["after_100k"] = [rss(), sys.getallocatedblocks()]
print(json.dumps(out))
"""


def durable_available() -> bool:
    engine = durable_engine(policy(3, 10))
    if engine is None:
        return False
    engine.close()
    return True


def bench_memory(rows: list[dict[str, Any]]) -> None:
    engines = ["floor", "core"] + (["durable"] if durable_available() else [])
    for engine in engines:
        found = json.loads(fresh(MEMORY_CODE.format(benchmarks=str(ROOT / "benchmarks"), engine=engine)))
        (rss_10k, blocks_10k), (rss_100k, blocks_100k) = found["after_10k"], found["after_100k"]
        rows.append(
            {
                "what": "memory",
                "engine": engine,
                "rss_after_10k_mb": rss_10k / 2**20,
                "rss_after_100k_mb": rss_100k / 2**20,
                "growth_mb": (rss_100k - rss_10k) / 2**20,
                "python_blocks_growth": blocks_100k - blocks_10k,
            }
        )
        report(rows[-1])


# -- reporting -------------------------------------------------------------------------------------------------------


def report(row: dict[str, Any]) -> None:
    what = row["what"]
    if what in {"decide", "json"}:
        print(
            f"{what:7} {row['engine']:8} {row['levels']:>4} {row['alternatives']:>5} {row['outcome']:9}"
            f" {row['median_us']:9.2f} {row['p99_us']:9.2f} {row['per_second']:>11,.0f}"
            f" {row['floor_median_us']:9.2f} {row['ratio']:7.1f}x",
            flush=True,
        )
    elif what == "import":
        print(
            f"import  recovery_rules: median {row['median_ms']:.1f} ms (min {row['min_ms']:.1f});"
            f" import pydantic {row['floor_median_ms']:.1f} ms; ratio {row['ratio']:.2f}x",
            flush=True,
        )
    else:
        print(
            f"memory  {row['engine']:8} RSS {row['rss_after_10k_mb']:.1f} MB after 10k,"
            f" {row['rss_after_100k_mb']:.1f} MB after 100k: {row['growth_mb']:+.2f} MB;"
            f" Python blocks {row['python_blocks_growth']:+,}",
            flush=True,
        )


def targets(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    def row(levels: int, alternatives: int, outcome: str) -> dict[str, Any]:
        key = ("decide", "core", levels, alternatives, outcome)
        return next(
            row
            for row in rows
            if (row["what"], row["engine"], row.get("levels"), row.get("alternatives"), row.get("outcome")) == key
        )

    small = {outcome: row(3, 10, outcome) for outcome in OUTCOMES}
    largest = {outcome: row(100, 1000, outcome) for outcome in OUTCOMES}
    # Each row is divided by the floor measured next to it, so that the machine speeding up or
    # slowing down between the two rows does not count as the cost of the policy's size.
    flatness = max(largest[outcome]["ratio"] / small[outcome]["ratio"] for outcome in OUTCOMES)
    json_rows = [row["median_us"] for row in rows if row["what"] == "json" and row["engine"] == "core"]
    memory = next(row for row in rows if row["what"] == "memory" and row["engine"] == "core")
    imported = next(row for row in rows if row["what"] == "import")
    reached = {
        "decide approve median (us)": small["approve"]["median_us"],
        "decide escalate/deny median (us)": max(small["escalate"]["median_us"], small["deny"]["median_us"]),
        "largest / smallest policy (median)": flatness,
        "json in to json out median (us)": max(json_rows),
        "import recovery_rules (ms)": imported["median_ms"],
        "memory growth 10k -> 100k decisions (MB)": memory["growth_mb"],
    }
    return {
        name: {"target": TARGETS[name], "measured": round(value, 3), "met": value <= TARGETS[name]}
        for name, value in reached.items()
    }


def warm_up(seconds: float) -> None:
    """Decide for a few seconds first: a CPU that has been idle runs slower until its clock goes up."""
    rules, ask = policy(3, 10), complaint("250.00")
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        rules.decide(ask, by="level_0", now=NOW)


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = max(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to CPU {core}"
    return "not pinned (no sched_setaffinity here)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples: a rough picture in under a minute")
    parser.add_argument(
        "--output", type=Path, default=ROOT / "benchmarks" / "results" / "latest.json", help="where to write the JSON"
    )
    args = parser.parse_args()
    samples = 3_000 if args.quick else 20_000
    pinned = pin_to_one_core()
    warm_up(1 if args.quick else 3)
    gc.collect()
    overhead = timer_overhead()
    environment = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "core": pinned,
        "load_average_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "timer_overhead_ns": overhead,
        "samples": samples,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    print(f"recovery-rules benchmarks: Python {environment['python']}, {pinned}, {samples:,} samples per row")
    print(
        f"{'what':7} {'engine':8} {'lvls':>4} {'alts':>5} {'outcome':9} {'median us':>9} {'p99 us':>9}"
        f" {'decisions/s':>11} {'floor us':>9} {'ratio':>8}"
    )
    rows: list[dict[str, Any]] = []
    bench_decide(rows, samples, overhead)
    bench_json(rows, samples, overhead)
    bench_import(rows, 5 if args.quick else 15)
    bench_memory(rows)
    environment["load_average_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    reached = targets(rows)
    print("\ntargets")
    for name, result in reached.items():
        verdict = "met" if result["met"] else "MISSED"
        print(f"  {name:42} {result['measured']:>10.2f}   target <= {result['target']:<6}  {verdict}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"environment": environment, "rows": rows, "targets": reached}, indent=2) + "\n")
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
