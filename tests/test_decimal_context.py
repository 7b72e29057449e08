"""A host app's decimal context cannot move a limit."""

from __future__ import annotations

import decimal
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery_rules import Outcome, Policy

from ._helpers import NOW, complaint, usd

HOSTILE = [
    decimal.Context(prec=3),
    decimal.Context(prec=1, rounding=decimal.ROUND_DOWN),
    decimal.Context(prec=5, rounding=decimal.ROUND_CEILING, traps=[decimal.Inexact, decimal.Rounded]),
    decimal.Context(prec=28, rounding=decimal.ROUND_FLOOR, Emax=3, Emin=-3),
    decimal.Context(prec=2, traps=[decimal.FloatOperation, decimal.InvalidOperation, decimal.Overflow]),
]


@pytest.mark.parametrize("context", HOSTILE, ids=lambda c: f"prec={c.prec},{c.rounding}")
def test_2000_01_does_not_pass_a_2000_limit_under_a_hostile_context(ritz: Policy, context: decimal.Context) -> None:
    with decimal.localcontext(context):
        over = ritz.decide(complaint("2000.01"), by="staff", now=NOW)
        at = ritz.decide(complaint("2000.00"), by="staff", now=NOW)
        cumulative = ritz.decide(complaint("0.01"), by="staff", granted=usd("2000.00"), now=NOW)
    assert over.outcome is Outcome.ESCALATED
    assert at.outcome is Outcome.APPROVED
    assert cumulative.outcome is Outcome.ESCALATED
    assert cumulative.total == usd("2000.01")


@given(amount=st.integers(0, 10**9), granted=st.integers(0, 10**9), context=st.sampled_from(HOSTILE))
def test_no_decision_changes_under_a_hostile_context(
    ritz: Policy, amount: int, granted: int, context: decimal.Context
) -> None:
    ask = complaint(f"{amount // 100}.{amount % 100:02d}")
    before = usd(f"{granted // 100}.{granted % 100:02d}")
    expected = ritz.decide(ask, by="staff", granted=before, now=NOW)
    with decimal.localcontext(context):
        assert ritz.decide(ask, by="staff", granted=before, now=NOW) == expected


def test_a_context_set_in_another_thread_does_not_leak(ritz: Policy) -> None:
    results: list[Outcome] = []

    def hostile_thread() -> None:
        decimal.getcontext().prec = 2
        results.append(ritz.decide(complaint("2000.01"), by="staff", now=NOW).outcome)

    thread = threading.Thread(target=hostile_thread)
    thread.start()
    thread.join()
    assert results == [Outcome.ESCALATED]
