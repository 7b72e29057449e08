"""Helpers shared by the tests."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

from hypothesis import settings

from recovery_rules import Complaint, Customer, Money, Policy, Remedy, presets
from recovery_rules._engine import _rules as engine_module  # misjudge_limits breaks the engine on purpose

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)


def examples(count: int) -> int:
    """``count`` Hypothesis examples, or fewer when the loaded profile runs fewer.

    For a property that needs fewer examples than the CI profile's 400 (each one is slow, or
    ``count`` already explores every case): ``@settings(max_examples=examples(50))`` runs 50
    under ``HYPOTHESIS_PROFILE=ci``, and the ``quick`` profile's few under ``make check``.
    """
    loaded = settings.default
    return count if loaded is None else min(count, loaded.max_examples)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def complaint(
    amount: str,
    *,
    kind: str = "refund",
    category: str = "room_not_ready",
    tier: str = "standard",
    customer: str = "10442",
) -> Complaint:
    return Complaint(
        customer=Customer(id=customer, tier=tier),
        category=category,
        requested=Remedy(kind=kind, amount=usd(amount)),
        received_at=NOW,
    )


def policy_data(**changes: object) -> dict[str, Any]:
    """A small valid policy as a dict, with ``changes`` applied on top."""
    data: dict[str, Any] = {
        "name": "Test hotel",
        "currency": "USD",
        "window": "incident",
        "hard_cap": "5000.00",
        "denials_delivered_by": "manager",
        "categories": ["room_not_ready", "out_of_stock"],
        "levels": [
            {"name": "staff", "limit": "100.00", "tier_limits": {"gold": "300.00"}},
            {"name": "supervisor", "limit": "500.00", "tier_limits": {"gold": "800.00"}, "callback_within": "1h"},
            {"name": "manager", "limit": "2000.00", "callback_within": "4h"},
            {"name": "owner", "limit": "unlimited", "callback_within": "1d"},
        ],
        "catalog": [
            {
                "id": "callback",
                "kind": "callback",
                "description": "Call back by 5 pm",
                "value": "0",
                "applies_to": ["*"],
            },
            {"id": "follow", "kind": "follow_up", "description": "Manager calls", "value": "0", "applies_to": ["*"]},
            {"id": "tips", "kind": "local_tips", "description": "What to do nearby", "value": "0", "applies_to": ["*"]},
            {"id": "drink", "kind": "voucher", "description": "A drink", "value": "15", "applies_to": ["*"]},
            {"id": "dinner", "kind": "credit", "description": "Dinner credit", "value": "80", "applies_to": ["*"]},
            {
                "id": "branch",
                "kind": "other_branch",
                "description": "Our other branch has it",
                "value": "0",
                "applies_to": ["out_of_stock"],
                "contact": "+1 555 0100",
                "url": "https://example.com/branch",
                "directions": "Two blocks north",
            },
        ],
    }
    data.update(changes)
    return data


def priced_catalog() -> list[dict[str, Any]]:
    """Three paid alternatives written for ``room_not_ready`` ($600 suite, $200 dinner, $50 credit: each ranks
    before every generic one) and three free generic ones: a Plan B that differs level by level."""
    return [
        {"id": "suite", "kind": "upgrade", "description": "A suite", "value": "600", "applies_to": ["room_not_ready"]},
        {"id": "dinner", "kind": "comp", "description": "Dinner", "value": "200", "applies_to": ["room_not_ready"]},
        {
            "id": "credit",
            "kind": "credit",
            "description": "$50 credit",
            "value": "50",
            "applies_to": ["room_not_ready"],
        },
        {"id": "callback", "kind": "callback", "description": "We call you", "value": "0", "applies_to": ["*"]},
        {"id": "follow", "kind": "follow_up", "description": "The manager calls", "value": "0", "applies_to": ["*"]},
        {"id": "tips", "kind": "local_tips", "description": "What to do nearby", "value": "0", "applies_to": ["*"]},
    ]


def always_open(policy: Policy) -> Policy:
    """``policy`` without its business hours: always open, every duration added in absolute time."""
    return Policy.model_validate({**policy.model_dump(), "business_hours": None})


def load_script(path: Path, name: str) -> ModuleType:
    """The script at ``path`` (a benchmark, which is no package) imported as module ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the module runs
    spec.loader.exec_module(module)
    return module


def late_at_night(monkeypatch: Any, *, hours: int = 3, after: int = 21) -> None:
    """Break the engine: a callback promised ``hours`` late for a decision from ``after`` o'clock, local time."""
    from recovery_rules._engine import _rules as rules_module  # noqa: PLC0415 - only the broken engine needs it
    from recovery_rules._policy import _policy as policy_module  # noqa: PLC0415 - where Policy.decide finds it

    original = rules_module.decide

    def late(policy: Any, complaint: Any, *args: Any, **kwargs: Any) -> Any:
        resolution = original(policy, complaint, *args, **kwargs)
        local = resolution.decided_at.astimezone(policy.zone)
        if resolution.callback_by is None or local.hour < after:
            return resolution
        return resolution.model_copy(update={"callback_by": resolution.callback_by + dt.timedelta(hours=hours)})

    monkeypatch.setattr(policy_module, "decide", late)


class FailingZone(dt.tzinfo):
    """A host's time zone class whose ``utcoffset`` raises ``error`` (a table it looks up is missing, say)."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error if error is not None else KeyError("zone")

    def utcoffset(self, moment: dt.datetime | None) -> dt.timedelta:
        raise self.error

    def dst(self, moment: dt.datetime | None) -> dt.timedelta | None:
        return None

    def tzname(self, moment: dt.datetime | None) -> str | None:
        return None


def failures_when_run_at_once(call: Callable[[], object], threads: int) -> list[BaseException]:
    """What ``call`` raised, run by ``threads`` threads that start it at the same moment (none: an empty list)."""
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            call()
        except BaseException as error:  # every failure is collected and shown, not lost in its thread
            failures.append(error)

    running = [threading.Thread(target=run) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return failures


def small_policy(data: dict[str, Any]) -> Policy:
    """``data``'s policy cut to its category ``noise``, the remedy kinds refund and credit, and no tiers: a proof of
    a few thousand regions, where the whole policy has tens of thousands (the tests that prove a policy, often
    several times, to find a broken engine)."""
    data = {**data, "categories": ["noise"], "remedy_kinds": ["refund", "credit"]}
    data["levels"] = [{key: value for key, value in level.items() if key != "tier_limits"} for level in data["levels"]]
    data["catalog"] = [
        {**option, "applies_to": [where for where in option["applies_to"] if where in ("*", "noise")]}
        for option in data["catalog"]
        if {"*", "noise"} & set(option["applies_to"])
    ]
    return Policy.model_validate(data)


def small_theme_park(**changes: Any) -> Policy:
    """The theme park preset (business hours, closed dates), with ``changes`` to its fields, cut as
    :func:`small_policy` cuts a policy: 984 regions, where the preset has 17,712."""
    data = presets.load("theme-park").model_dump(mode="json", exclude_defaults=True)
    return small_policy({**data, **changes})


def misjudge_limits(monkeypatch: Any, change: Callable[[Decimal], Decimal]) -> None:
    """Break the engine in one way only: it decides as if each finite limit of a level were ``change(limit)``,
    while what it says the level may still grant (``actor_can_grant``, Plan B's budget) stays the true figure."""
    original_limit, original_binding = engine_module.CompiledLevel.limit_for, engine_module.CompiledPolicy.binding
    honest = threading.local()

    def generous(self: Any, tier: str) -> Decimal:
        limit = original_limit(self, tier)
        return limit if getattr(honest, "on", False) or not limit.is_finite() else change(limit)

    def binding(self: Any, level: Any, tier: str, before: Any) -> Any:
        honest.on = True
        try:
            return original_binding(self, level, tier, before)
        finally:
            honest.on = False

    monkeypatch.setattr(engine_module.CompiledLevel, "limit_for", generous)
    monkeypatch.setattr(engine_module.CompiledPolicy, "binding", binding)
