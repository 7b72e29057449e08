"""Shared fixtures and Hypothesis profiles.

``HYPOTHESIS_PROFILE=ci`` (set by ``make test``) runs more examples, derandomized so that
the same commit always gets the same verdict (CI must not be flaky); the default profile keeps a
local run quick and random, so each local run explores new examples. Neither uses a deadline:
the machine is shared.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from recovery_rules import Policy, presets

settings.register_profile(
    "ci",
    max_examples=400,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "dev",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def ritz() -> Policy:
    return presets.ritz_carlton()


@pytest.fixture(scope="session")
def retail() -> Policy:
    return presets.retail()


@pytest.fixture(scope="session")
def theme_park() -> Policy:
    return presets.theme_park()
