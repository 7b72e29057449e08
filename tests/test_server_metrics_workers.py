"""Metrics of several worker processes (``PROMETHEUS_MULTIPROC_DIR``): a scrape of any worker sees every worker's.

prometheus_client chooses its multiprocess mode when it is imported, so each check runs in a new interpreter
with the folder set; workers are forked from it (each writes its own file, as uvicorn's workers do). The real
``serve --workers 2`` is scraped in ``test_server_reload.py``.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from recovery_rules.server import _observe

WORKERS = textwrap.dedent(
    """
    import json, os, sys
    from prometheus_client.parser import text_string_to_metric_families
    from recovery_rules.server._observe import Metrics

    def worker(decisions, revisions):
        metrics = Metrics()
        for revision in revisions:
            metrics.serving(revision)
        for _ in range(decisions):
            metrics.decisions.labels(outcome="approved", level="staff").inc()
        return metrics

    for decisions in (3, 4):  # two workers that served and stopped
        pid = os.fork()
        if pid == 0:
            worker(decisions, ["r1"])
            os._exit(0)
        os.waitpid(pid, 0)
    this = worker(5, json.loads(sys.argv[1]))  # the worker answering the scrape
    found = {"folder": this.folder, "pid": os.getpid(), "decisions": 0, "served": []}
    for family in text_string_to_metric_families(this.exposition().decode("utf-8")):
        for sample in family.samples:
            if sample.name == "recovery_rules_decisions_total":
                found["decisions"] += sample.value
            if sample.name == "recovery_rules_policy_info":
                found["served"].append([sample.labels.get("pid"), sample.labels["revision"], sample.value])
    print(json.dumps(found))
    """
)


def _scraped(folder: Path | None, revisions: list[str]) -> dict[str, Any]:
    environment = {key: value for key, value in os.environ.items() if key != _observe.MULTIPROCESS_FOLDER}
    if folder is not None:
        environment[_observe.MULTIPROCESS_FOLDER] = str(folder)
    done = subprocess.run(
        [sys.executable, "-c", WORKERS, json.dumps(revisions)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found


needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="the workers are forked (POSIX)")


@pytest.mark.slow
@needs_fork
def test_a_scrape_counts_every_worker_and_shows_the_live_ones(tmp_path: Path) -> None:
    found = _scraped(tmp_path, ["r1"])
    assert found["folder"] == str(tmp_path)
    assert found["decisions"] == 3 + 4 + 5  # the stopped workers' decisions still count
    assert found["served"] == [[str(found["pid"]), "r1", 1.0]]  # only the live worker's policy
    live = [path for path in os.listdir(tmp_path) if path.startswith("gauge_live")]
    assert live == [f"gauge_liveall_{found['pid']}.db"]  # the stopped workers' live gauges removed


@pytest.mark.slow
@needs_fork
def test_a_worker_that_reloads_shows_its_old_revision_as_0(tmp_path: Path) -> None:
    found = _scraped(tmp_path, ["r1", "r2"])
    pid = str(found["pid"])
    assert sorted(found["served"]) == [[pid, "r1", 0.0], [pid, "r2", 1.0]]


@pytest.mark.slow
@needs_fork
def test_without_the_folder_each_process_counts_alone(tmp_path: Path) -> None:
    found = _scraped(None, ["r1"])
    assert found["folder"] is None
    assert found["decisions"] == 5
    assert found["served"] == [[None, "r1", 1.0]]


def test_a_worker_number_now_taken_by_another_user_is_not_running(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _observe._running(os.getpid())

    def taken(pid: int, signal: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "kill", taken)
    assert not _observe._running(12345)


def test_a_dead_workers_file_removed_by_another_scrape_first_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two scrapes (two workers, or two threads of one) may both find a dead worker's file; one removes it."""
    gone = str(tmp_path / "gauge_liveall_4000000.db")  # listed, then removed by the other scrape
    monkeypatch.setattr(glob, "glob", lambda pattern: [gone])
    monkeypatch.setattr(_observe, "_running", lambda pid: False)
    _observe._forget_dead_workers(str(tmp_path))  # no FileNotFoundError (a 500 for the scrape)
