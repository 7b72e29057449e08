"""The durable-rules backend is optional: without it, a clear error that says what to install."""

from __future__ import annotations

import sys

import pytest

from recovery_rules import DurableEngine, InvalidInputError, MissingDependencyError, Policy


def test_without_durable_rules_the_backend_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, ritz: Policy
) -> None:
    monkeypatch.setitem(sys.modules, "durable_rules_engine", None)  # what importing it finds on Python 3.13
    with pytest.raises(MissingDependencyError, match=r"pip install 'recovery-rules\[durable\]'") as caught:
        DurableEngine(ritz)
    assert caught.value.extra == "durable"
    assert "Python 3.11 and 3.12" in str(caught.value)
    assert isinstance(caught.value, ImportError)


def test_the_backend_needs_a_policy() -> None:
    with pytest.raises(InvalidInputError, match="must be a Policy"):
        DurableEngine({"name": "not a policy"})  # type: ignore[arg-type]
