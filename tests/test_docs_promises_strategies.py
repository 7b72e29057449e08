"""What the strategies of ``recovery_rules.testing`` really generate, measured against what their docstrings and
the how-to (docs/how-to/property-test-your-policy.md) say: a host's property tests are only as strong as them."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import Phase, given, settings

from recovery_rules import Policy
from recovery_rules.testing import UNKNOWN_TIER, DecisionInput, decisions, policies


@functools.cache  # the same 300 policies for every test that looks at them: drawing them costs seconds
def _drawn_policies(count: int, **kwargs: Any) -> tuple[Policy, ...]:
    drawn: list[Policy] = []

    @settings(max_examples=count, database=None, derandomize=True, deadline=None, phases=[Phase.generate])
    @given(policy=policies(**kwargs))
    def collect(policy: Policy) -> None:
        drawn.append(policy)

    collect()
    return tuple(drawn)


def _drawn_decisions(policy: Policy, count: int) -> list[DecisionInput]:
    drawn: list[DecisionInput] = []

    @settings(max_examples=count, database=None, derandomize=True, deadline=None, phases=[Phase.generate])
    @given(decision=decisions(policy))
    def collect(decision: DecisionInput) -> None:
        drawn.append(decision)

    collect()
    return drawn


def _policy(timezone: str, **extra: Any) -> Policy:
    """A two-level policy in ``timezone``, open round the clock, with a limit of 10 at the first level."""
    return Policy.model_validate(
        {
            "name": "host policy",
            "currency": extra.pop("currency", "USD"),
            "timezone": timezone,
            "window": "day",
            "denials_delivered_by": "desk",
            "levels": [
                {"name": "desk", "limit": "10", "tier_limits": {"gold": "20"}},
                {"name": "manager", "limit": "unlimited", "callback_within": "1h"},
            ],
            "catalog": [
                {
                    "id": f"free-{i}",
                    "kind": f"plan_b_{i}",
                    "description": "A free option",
                    "value": "0",
                    "applies_to": ["*"],
                }
                for i in range(3)
            ],
            "business_hours": {"default": "00:00-24:00"},
            **extra,
        }
    )


@pytest.mark.slow
@pytest.mark.parametrize("max_catalog", [2, 3])
def test_policies_keep_the_whole_catalog_within_max_catalog(max_catalog: int) -> None:
    sizes = {len(policy.catalog) for policy in _drawn_policies(100, max_catalog=max_catalog)}
    assert max(sizes) <= max_catalog, sizes


SHAPES: dict[str, Callable[[Policy], bool]] = {
    "strict_categories": lambda policy: policy.strict_categories,
    "delegates": lambda policy: any(level.delegates for level in policy.levels),
    "a locale of its own": lambda policy: bool(policy.wording),
    "personal_call_within": lambda policy: policy.personal_call_within is not None,
}


@pytest.mark.slow
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_policies_generate_every_documented_shape_within_300_examples(shape: str) -> None:
    assert any(SHAPES[shape](policy) for policy in _drawn_policies(300)), f"no policy with {shape} in 300"


@pytest.mark.slow
def test_policies_generate_caps_of_every_window_zero_and_three_decimal_currencies_and_both_closed_date_forms() -> None:
    drawn = _drawn_policies(300)
    cap_windows = {cap.window.kind for policy in drawn for cap in policy.caps}
    currencies = {policy.currency for policy in drawn}
    closed = [day for policy in drawn if policy.business_hours is not None for day in policy.business_hours.closed]
    assert cap_windows == {"incident", "day", "rolling"}
    assert {"JPY", "KWD"} <= currencies  # 0 and 3 decimal places
    assert any(day.startswith("--") for day in closed), "no closed date every year"
    assert any(not day.startswith("--") for day in closed), "no closed date of one year"
    assert any(policy.hard_cap is not None for policy in drawn)
    assert any(level.may_grant is not None for policy in drawn for level in policy.levels)
    assert any(policy.refused_remedies for policy in drawn)


@pytest.mark.slow
@pytest.mark.parametrize(("currency", "unit"), [("JPY", Decimal("1")), ("KWD", Decimal("0.001"))])
def test_decisions_ask_exactly_a_tier_s_limit_and_one_minor_unit_over_for_listed_and_unknown_tiers(
    currency: str, unit: Decimal
) -> None:
    policy = _policy("UTC", currency=currency)
    at_limit: set[str] = set()
    over: set[str] = set()
    for decision in _drawn_decisions(policy, 1000):
        if decision.by != "desk":
            continue
        tier = decision.complaint.customer.tier
        limit = Decimal("20") if tier == "gold" else Decimal("10")
        total = decision.granted.amount + decision.complaint.requested.amount.amount
        if total == limit:
            at_limit.add(tier)
        elif total == limit + unit:
            over.add(tier)
    assert {"gold", UNKNOWN_TIER} <= at_limit
    assert {"gold", UNKNOWN_TIER} <= over


@pytest.mark.slow
def test_decisions_of_a_new_york_policy_include_the_hour_before_its_clock_changes() -> None:
    zone = ZoneInfo("America/New_York")
    changes = [
        dt.datetime(2026, 3, 8, 2, 0, tzinfo=zone).astimezone(dt.UTC),  # 2:00 EST: 7:00 UTC
        dt.datetime(2026, 11, 1, 1, 0, fold=1, tzinfo=zone).astimezone(dt.UTC),  # 2:00 EDT: 6:00 UTC
    ]
    drawn = _drawn_decisions(_policy("America/New_York"), 300)
    assert any(
        dt.timedelta(0) < change - decision.now <= dt.timedelta(hours=1) for decision in drawn for change in changes
    )


@pytest.mark.slow
def test_decisions_include_midnight_in_the_policy_s_own_zone() -> None:
    zone = ZoneInfo("Europe/Paris")
    drawn = _drawn_decisions(_policy("Europe/Paris"), 300)
    assert any(
        decision.now.astimezone(zone).time().replace(second=0, microsecond=0) == dt.time(0) for decision in drawn
    )
