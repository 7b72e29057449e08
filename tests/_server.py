"""What the decision service's tests share: an app of the Ritz-Carlton preset with one token per level."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the decision service needs the server extra, which dev installs")

from fastapi import FastAPI
from fastapi.testclient import TestClient

from recovery_rules import Journal, MemoryJournal, Policy, presets
from recovery_rules.server import Tokens, create_app, mint_token

NOW = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)
LEVELS = ("staff", "manager", "general_manager")


@dataclasses.dataclass
class Served:
    """An app in-process, its client, its journal and decision log, and a token for each level (two for staff:
    ``staff`` and ``staff-2``; employee ids ``e-staff``, ``e-staff-2``, ``e-manager``...)."""

    app: FastAPI
    client: TestClient
    journal: Journal
    log: io.StringIO
    tokens: dict[str, str]

    def auth(self, level: str = "staff", **headers: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[level]}", **headers}

    def post(
        self,
        path: str,
        level: str = "staff",
        *,
        key: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        sent = self.auth(level, **({"Idempotency-Key": key} if key else {}), **(headers or {}))
        return self.client.post(path, headers=sent, **kwargs)

    def get(self, path: str, level: str = "staff", **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.auth(level), **kwargs)


def serve(
    policy: Policy | None = None,
    *,
    journal: Journal | None = None,
    clock: Callable[[], dt.datetime] = lambda: NOW,
    **options: Any,
) -> Served:
    tokens: dict[str, str] = {}
    entries = []
    for name in (*LEVELS, "staff-2"):  # two staff members: one may not decide what the other escalated
        token, digest = mint_token()
        tokens[name] = token
        entries.append({"sha256": digest, "employee": f"e-{name}", "level": name.removesuffix("-2")})
    journal = journal if journal is not None else MemoryJournal(clock=clock)
    log = io.StringIO()
    app = create_app(
        policy or presets.ritz_carlton(),
        journal,
        Tokens.from_entries(entries),
        clock=clock,
        decision_log=log,
        **options,
    )
    return Served(app, TestClient(app), journal, log, tokens)


def serving(policy: Policy | None = None, **options: Any) -> Iterator[Served]:
    """:func:`serve`, its journal closed afterwards: the body of a fixture of a wider scope than a test's (an app is
    costly to build: FastAPI builds its routes' state at its first request), for tests that may share one app.

    Tests share an app only if none changes what another reads: they record nothing, or each records cases of a
    customer of its own, and none counts the journal's events, reads the decision log or the metrics as a whole, nor
    depends on which test ran first (xdist runs a module's tests in any order, on any worker)."""
    served = serve(policy, **options)
    try:
        yield served
    finally:
        served.journal.close()


def customer(name: str) -> dict[str, str]:
    """The customer of :func:`complaint` but numbered ``name``: a customer, and cases, of a test's own."""
    return {"id": name, "tier": "gold", "name": "Ada Guest"}


def complaint(amount: str = "250.00", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer": {"id": "10442", "tier": "gold", "name": "Ada Guest"},
        "category": "room_not_ready",
        "requested": {"kind": "refund", "amount": f"{amount} USD"},
        "received_at": "2026-11-23T09:30:00-05:00",
        "description": "The room was not ready at check-in.",
    }
    body.update(changes)
    return body


SEED_STEPS = [
    ("listen", "staff"),
    ("apologize", "staff"),
    ("ask_preferred_solution", "staff"),
    ("decide", "staff"),
    ("escalate", "staff"),
]
"""The path to an escalation, taken by the employee who opened the case."""


def walk(served: Served, number: str, steps: list[tuple[str, str]], **bodies: Any) -> Any:
    """Take each ``(step, level)`` on case ``number``; every answer must be a 200. The last answer."""
    response = None
    for step, level in steps:
        response = served.post(f"/v1/cases/{number}/{step}", level, json=bodies.get(step))
        assert response.status_code == 200, (step, response.json())
    return response


class Running:
    """uvicorn serving ``app`` on a free loopback port, in a thread: ``with Running(app) as url: ...``."""

    def __init__(self, app: FastAPI) -> None:
        import uvicorn  # noqa: PLC0415 - only the tests that serve on a real socket need it

        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start within 15 s")
            self.thread.join(0.01)  # wait for readiness, a little at a time, up to the deadline
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
