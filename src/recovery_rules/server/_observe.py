"""What the service tells its operators: the decision log (JSON lines) and the Prometheus metrics.

Both belong to one app: the metrics live in the app's own ``CollectorRegistry`` (never the global default
one), so two apps in one process (tests, say) count apart.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import IO, Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from recovery_rules import Resolution

__all__ = ["DecisionLog", "Metrics"]

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
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


class Metrics:
    """The service's Prometheus metrics, in a registry of its own."""

    def __init__(self) -> None:
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
            "The policy being served: 1 for its revision.",
            ("revision",),
            registry=self.registry,
        )

    def serving(self, revision: str) -> None:
        """Show ``revision`` as the policy served (and no other)."""
        self.policy.clear()
        self.policy.labels(revision=revision).set(1)
