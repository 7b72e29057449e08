"""The scale benchmark (``benchmarks/scale.py``): how it times a write, and its smoke run on SQLite.

What is asserted is how the figures are made, never a speed: a write and its
floor each start right after a dry run of the same write, and an SQLite append's
row tells its statements from the library's own work.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ._helpers import load_script

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "scale.py"


def _load() -> ModuleType:
    sys.path.insert(0, str(SCRIPT.parent))  # scale.py imports scale_journals beside it
    return load_script(SCRIPT, "scale_benchmark")


scale: Any = _load()


class _Recorder:
    """A backend whose dry runs and replays only say that they happened, in one log with the writes."""

    name = "recorder"

    def __init__(self) -> None:
        self.log: list[str] = []

    def dry(self, call: Any) -> list[tuple[str, Any]]:
        self.log.append("dry run of:")
        call()
        return [("INSERT", ())]

    def replay(self, trace: list[tuple[str, Any]]) -> list[list[tuple[Any, ...]]]:
        self.log.append("floor, timed")
        return [[] for _ in trace]


def test_a_write_and_its_floor_each_start_right_after_a_dry_run_of_the_same_write() -> None:
    backend = _Recorder()
    probe = scale._write_probe(
        "a write",
        backend,
        lambda n: backend.log.append(f"the floor's write {n}"),
        lambda n: backend.log.append(f"the library's write {n}"),
        samples=2,
    )
    for index in range(2):
        scale._sample(probe, index)

    assert backend.log == [
        "dry run of:",
        "the floor's write 0",
        "floor, timed",
        "dry run of:",
        "the library's write 0",
        "the library's write 0",  # timed
        "dry run of:",
        "the floor's write 1",
        "floor, timed",
        "dry run of:",
        "the library's write 1",
        "the library's write 1",  # timed
    ]


@pytest.mark.slow
def test_the_tiny_run_times_appends_against_their_floor_and_tells_statements_from_own_work(tmp_path: Path) -> None:
    output = tmp_path / "scale.json"
    run = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--tiny",
            "--no-pin",
            "--no-catalog",
            "--backends",
            "sqlite",
            "--operations",
            "append,sealed,ledger,load,case",
            "--folder",
            str(tmp_path / "journals"),
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    rows = [row for row in json.loads(output.read_text())["rows"] if row.get("backend") == "sqlite"]
    appends = {row["what"]: row for row in rows if row["what"].startswith("append: ")}
    # an opening; a decision without a grant; a grant, two ways; the same two, the ledger sealed
    assert len(appends) == 6, sorted(appends)
    # A grant's statements: the idempotency key, the case's version, the ledger's sealed mark (sealed since this
    # object opened?), the guest's and the incident's heads and the check for a later grant of each, the chain's
    # head, the insert, the table of cases, the two heads in one statement (and the transaction's own); a sealed
    # ledger reads the heads only, not the grant's row, and its key check (a key rotated since this object opened
    # is refused, not written with: journal.md, changing the key).
    statements = {"no grant": 9, "without a grant": 9, "sealed ledger": 15}
    for what, row in appends.items():
        assert row["median_us"] > 0, what
        assert row["floor_us"] > 0, what
        expected = next((count for words, count in statements.items() if words in what), 16)
        assert row["statements"] == expected, (what, row["statements"])
        # the breakdown: the library's statements took some of its time, its own work the rest
        assert row["statements_us"] > 0, (what, row)
        assert row["own_us"] > 0, (what, row)
    ledger = [row for row in rows if row["what"].startswith("ledger: ")]
    assert ledger, "the reads are measured too"
    # Case.load reads the table of cases after the events, and each whole case (the theme park's day window
    # too: its first case of a day after the journal's last event) is approved, next to its floor.
    measured = {row["what"] for row in rows}
    assert "Case.load: one case" in measured
    assert len([what for what in measured if what.startswith("case: ")]) == 4, sorted(measured)
    assert all("statements_us" not in row for row in ledger), "only appends take the breakdown"
