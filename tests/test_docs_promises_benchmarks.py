"""Promises of docs/explanation/performance.md and the benchmarks' docstrings, checked without timing anything.

The figures depend on the machine; what is checked here is how they are made: a floor decides what the
library decides, the Makefile targets the page names run the scripts it says, and a row's figure is not one
sample taken in one fixed order.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ._helpers import load_script

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"


def _run_script() -> ModuleType:
    return load_script(BENCHMARKS / "run.py", "run_benchmark_promises")


def _scale_script() -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))  # scale.py imports scale_journals beside it
    return load_script(BENCHMARKS / "scale.py", "scale_benchmark_promises")


run: Any = _run_script()
_SHAPES = {shape: run.policy(*shape) for shape in ((3, 10), (10, 100))}
_FLOORS = {shape: run.Floor.of(policy) for shape, policy in _SHAPES.items()}


@pytest.mark.slow
@given(
    shape=st.sampled_from(sorted(_SHAPES)),
    cents=st.one_of(
        st.integers(min_value=1, max_value=2_100_000),
        st.sampled_from([100_000, 100_001, 600_000, 600_001, 2_000_000, 2_000_001]),  # limits and the cap, and past
    ),
)
def test_the_floor_of_run_py_decides_what_the_engine_decides_for_any_amount(shape: tuple[int, int], cents: int) -> None:
    # performance.md: the floor is "the same rules hand-written in plain Python over integers of cents (the same
    # limits, cap, escalation path and Plan B walk)"; run.py checks it at three amounts only.
    policy, floor = _SHAPES[shape], _FLOORS[shape]
    amount = f"{Decimal(cents) / 100:.2f}"
    resolution = policy.decide(run.complaint(amount), by="level_0", now=run.NOW)
    found = floor.decide("room_not_ready", "refund", "standard", "level_0", 0, cents)
    alternatives = [option.id for option in resolution.alternatives]
    expected: tuple[Any, ...] = {
        "approved": ("approved", resolution.authorized_by),
        "escalated": ("escalated", resolution.escalate_to, alternatives),
        "denied": ("denied", alternatives),
    }[resolution.outcome.value]
    assert found == expected


def test_the_make_targets_the_performance_page_and_the_readme_name_run_the_scripts_they_say() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipes = dict(re.findall(r"^([\w-]+):[^\n]*\n\t([^\n]+)", makefile, flags=re.MULTILINE))
    named = set(re.findall(r"\bmake (bench[\w-]*)", (ROOT / "docs/explanation/performance.md").read_text("utf-8")))
    named |= set(re.findall(r"^make (bench[\w-]*)", (ROOT / "README.md").read_text("utf-8"), flags=re.MULTILINE))
    assert named == {"bench", "bench-scale", "bench-load"}
    scripts = {"bench": "benchmarks/run.py", "bench-scale": "benchmarks/scale.py", "bench-load": "benchmarks/load.py"}
    for target in named:
        assert scripts[target] in recipes[target], (target, recipes.get(target))
        assert (ROOT / scripts[target]).is_file()


class _Journal:
    def head(self) -> Any:
        return SimpleNamespace(count=50_000)

    def iter_events(self, start: int) -> Any:
        return iter([SimpleNamespace(hash="a" * 64)])


def test_each_verify_row_is_the_median_of_several_runs_of_each_side_in_alternating_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scale: Any = _scale_script()
    order: list[str] = []

    def fake_run(command: list[str], **_: Any) -> Any:
        mode = "library" if "'library'" in command[-1] else "floor"
        order.append(mode)
        found = {"ok": True, "count": 50_000, "head": "b" * 64, "seconds": 1.0, "rss_before": 0, "rss_peak": 0}
        return SimpleNamespace(stdout=json.dumps(found) + "\n")

    recorded: list[str] = []
    context = SimpleNamespace(
        journal=_Journal(),
        backend=SimpleNamespace(name="sqlite"),
        record=lambda what, *_, **__: recorded.append(what),
    )
    monkeypatch.setattr(scale.subprocess, "run", fake_run)
    scale.bench_verify(context, "journal.sqlite3")

    assert len(recorded) == 2  # the whole journal, and resumed
    per_row = len(order) // 2
    row = order[:per_row]
    assert row.count("floor") >= 3, row
    assert row.count("library") >= 3, row
    assert row[0] != row[2] or row[1] != row[3], row  # not always the same side first


@pytest.mark.slow
def test_cli_report_benchmark_answers_help_with_its_usage() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "cli_report.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage" in result.stdout.lower()
