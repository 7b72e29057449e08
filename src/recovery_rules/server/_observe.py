"""What the service tells its operators: the decision log (JSON lines) and the Prometheus metrics.

Both belong to one app: the metrics live in the app's own ``CollectorRegistry`` (never the global default
one), so two apps in one process (tests, say) count apart.

Several worker processes behind one socket (``serve --workers N``, or a host's gunicorn) answer a scrape from
whichever worker takes it, so a worker's own figures would jump between workers from one scrape to the next.
For them, ``prometheus_client``'s multiprocess mode is used: with ``PROMETHEUS_MULTIPROC_DIR`` set when
``prometheus_client`` is first imported, each worker writes its figures to files in that folder, and a
scrape of any worker reads every worker's (:meth:`Metrics.exposition`): counters and histograms summed over
the workers, the dead ones included (a count never goes back), and the policy each live worker serves, by
``pid``. ``serve`` sets the folder up itself for more than one worker.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import json
import logging
import os
import re
import threading
from typing import IO, Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess, values

from recovery_rules import Resolution

__all__ = ["MULTIPROCESS_FOLDER", "DecisionLog", "Metrics"]

MULTIPROCESS_FOLDER: Final = "PROMETHEUS_MULTIPROC_DIR"
"""The environment variable naming the folder where worker processes write their metrics (prometheus_client's)."""

_LIVE_GAUGE_FILE: Final = re.compile(r"gauge_live[a-z]+_([0-9]+)\.db")

LATENCY_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class DecisionLog:
    """One JSON line per decision: time, policy revision, outcome, level, employee, complaint number.

    Nothing personal is written: no names, no descriptions, no notes, no reasons (the complaint number holds
    the customer number, which the host's own records already key on). ``stream`` is ``None`` for no log.
    """

    __slots__ = ("_lock", "_stream")

    def __init__(self, stream: IO[str] | None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def record(
        self, *, at: dt.datetime, revision: str, resolution: Resolution, employee: str, route: str, recorded: bool
    ) -> None:
        if self._stream is None:
            return
        line = json.dumps(
            {
                "time": at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
                "revision": revision,
                "outcome": resolution.outcome.value,
                "level": resolution.acting_level,
                "employee": employee,
                "complaint_number": str(resolution.complaint_number),
                "route": route,
                "recorded": recorded,
            },
            sort_keys=True,
        )
        try:
            with self._lock:
                self._stream.write(line + "\n")
                self._stream.flush()
        except (OSError, ValueError) as error:  # a full disk, a closed file: the decision stands, said in the log
            logging.getLogger("recovery_rules.server").error(
                "decision log write failed (the decision stands, recorded if a case's step): %s", error
            )


class Metrics:
    """The service's Prometheus metrics, in a registry of its own; every worker's, in multiprocess mode.

    ``folder``: where the workers write their figures, when ``prometheus_client`` runs in multiprocess mode
    (``PROMETHEUS_MULTIPROC_DIR`` was set when it was imported); ``None`` when this process counts alone.
    """

    def __init__(self) -> None:
        folder = os.environ.get(MULTIPROCESS_FOLDER)
        self.folder = folder if folder and values.ValueClass is not values.MutexValue else None
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "recovery_rules_http_requests",
            "HTTP requests answered, by route template, method and status code.",
            ("route", "method", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "recovery_rules_http_request_duration_seconds",
            "Time to answer a request, by route template.",
            ("route",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.decisions = Counter(
            "recovery_rules_decisions",
            "Decisions made, by outcome and acting level.",
            ("outcome", "level"),
            registry=self.registry,
        )
        self.reloads = Counter(
            "recovery_rules_policy_reloads",
            "Policy reloads tried, by result (loaded, refused, unchanged).",
            ("result",),
            registry=self.registry,
        )
        self.policy = Gauge(
            "recovery_rules_policy_info",
            "The policy being served: 1 for its revision (with several workers, each live worker's, by pid).",
            ("revision",),
            registry=self.registry,
            multiprocess_mode="liveall",  # a series per live worker; a dead worker's goes with it
        )
        self._served: str | None = None

    def serving(self, revision: str) -> None:
        """Show ``revision`` as the policy served (and no other)."""
        if self.folder is not None and self._served is not None and self._served != revision:
            # A worker's figures are in its file, which clear() does not reach: the old revision shows 0.
            self.policy.labels(revision=self._served).set(0)
        self.policy.clear()
        self.policy.labels(revision=revision).set(1)
        self._served = revision

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format: this process's, or in multiprocess mode every worker's."""
        if self.folder is None:
            return generate_latest(self.registry)
        _forget_dead_workers(self.folder)
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged, path=self.folder)  # type: ignore[no-untyped-call]  # unannotated
        return generate_latest(merged)


def _forget_dead_workers(folder: str) -> None:
    """Remove the live-only gauges of the workers no longer running (what prometheus_client's
    ``mark_process_dead`` does from a supervisor's hook), tolerating a scrape in another worker or thread that
    removes the same file first."""
    for path in glob.glob(os.path.join(glob.escape(folder), "gauge_live*_*.db")):
        found = _LIVE_GAUGE_FILE.fullmatch(os.path.basename(path))
        if found is not None and not _running(int(found[1])):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process has that number now: our workers all run as this user
        return False
    return True
