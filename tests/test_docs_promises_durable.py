"""What docs/how-to/use-durable-rules.md promises of ``DurableEngine``, probed where tests/test_durable.py does not.

The page: ``decide`` "returns the same ``Resolution`` as ``policy.decide``", taking "what ``Policy.decide``
takes"; "The ``with`` block deletes the rulesets from durable-rules' memory when it ends; so does ``close()``";
"One engine serves many threads at once"; engines "live side by side in one process".
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

durable_rules_engine = pytest.importorskip(
    "durable_rules_engine", reason="durable-rules is not installed: it builds on Python 3.11 and 3.12 only"
)

from recovery_rules import Complaint, Customer, DurableEngine, Policy  # noqa: E402 - after the importorskip

from ._helpers import NOW, complaint  # noqa: E402


def _with_tier(tier: str, amount: str) -> Complaint:
    """A complaint whose customer tier was set past validation (``model_construct``), as a host's adapter may."""
    return complaint(amount).model_copy(update={"customer": Customer.model_construct(id="10442", tier=tier)})


@pytest.mark.parametrize("tier", ["Gold", "", "göld", 'go"ld'], ids=["capitals", "empty", "unicode", "quote"])
def test_a_customer_tier_that_is_not_a_word_is_decided_as_the_core_decides_it(ritz: Policy, tier: str) -> None:
    """``Policy.decide`` checks the finer rules of words only when a complaint is validated, and decides such a
    tier with the base limits; the page promises the durable engine the same resolution."""
    with DurableEngine(ritz) as engine:
        for amount in ("10.00", "2500.00", "20000.00"):  # approved, escalated, over the cap
            ask = _with_tier(tier, amount)
            core = ritz.decide(ask, by="staff", now=NOW)
            assert engine.decide(ask, by="staff", now=NOW) == core


class _Spy:
    """Records, per ruleset handle, the durable-rules sessions asserted into and the ones deleted."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.used: dict[int, set[str]] = {}
        self.deleted: dict[int, set[str]] = {}
        self.left_behind: dict[int, set[str]] = {}
        real_assert, real_delete_state = durable_rules_engine.assert_events, durable_rules_engine.delete_state
        real_delete_ruleset = durable_rules_engine.delete_ruleset

        def assert_events(handle: int, events: str) -> Any:
            self.used.setdefault(handle, set()).update(event["sid"] for event in json.loads(events))
            return real_assert(handle, events)

        def delete_state(handle: int, sid: str) -> Any:
            self.deleted.setdefault(handle, set()).add(sid)
            return real_delete_state(handle, sid)

        def delete_ruleset(handle: int) -> Any:
            self.left_behind[handle] = self.used.get(handle, set()) - self.deleted.get(handle, set())
            return real_delete_ruleset(handle)

        monkeypatch.setattr(durable_rules_engine, "assert_events", assert_events)
        monkeypatch.setattr(durable_rules_engine, "delete_state", delete_state)
        monkeypatch.setattr(durable_rules_engine, "delete_ruleset", delete_ruleset)


def test_closing_an_engine_frees_every_session_it_decided_in(ritz: Policy, monkeypatch: pytest.MonkeyPatch) -> None:
    """durable-rules' ``delete_ruleset`` leaves a session's state allocated (about 320 kB each, measured with
    durable-rules 2.0.28: 300 engines made, used once and closed grow the process by 95 MB); deleting the
    session first frees it. The page promises that closing deletes what the engine put in durable-rules' memory."""
    spy = _Spy(monkeypatch)
    with DurableEngine(ritz) as engine:
        for kind in ("refund", "credit", "comp"):
            engine.decide(complaint("10.00", kind=kind), by="staff", now=NOW)
    assert spy.used, "the engine decided in no session"
    assert set(spy.left_behind) >= set(spy.used)
    assert {handle: sids for handle, sids in spy.left_behind.items() if sids} == {}


def test_an_engine_made_after_another_was_closed_or_collected_decides_as_the_core(ritz: Policy, retail: Policy) -> None:
    """Rulesets live in durable-rules' global memory: a closed or collected engine must not disturb the next."""
    asks = [complaint(f"{amount}.00", tier=("standard", "gold")[amount % 2]) for amount in range(0, 12_000, 397)]
    DurableEngine(ritz).close()
    forgotten = DurableEngine(ritz)
    forgotten.decide(asks[0], by="staff", now=NOW)
    del forgotten
    gc.collect()  # its finalizer deletes its rulesets
    with DurableEngine(ritz) as hotel, DurableEngine(retail) as shop:
        for ask in asks:
            for level in ("staff", "manager", "general_manager"):
                assert hotel.decide(ask, by=level, now=NOW) == ritz.decide(ask, by=level, now=NOW)
        in_shop = ask.model_copy(update={"category": "out_of_stock"})
        assert shop.decide(in_shop, by="associate", now=NOW) == retail.decide(in_shop, by="associate", now=NOW)


@pytest.fixture
def switch_often() -> Iterator[None]:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


@pytest.mark.usefixtures("switch_often")
def test_two_engines_of_one_policy_share_threads_and_each_gets_the_cores_answers(ritz: Policy) -> None:
    """Two engines of the same policy (two sets of rulesets with the same rules) used at once from eight threads."""
    levels = ("staff", "manager", "general_manager")
    asks = [
        (complaint(f"{amount}.00", tier=("standard", "gold")[amount % 2]), levels[amount % 3])
        for amount in range(0, 12_000, 41)
    ]
    expected = [ritz.decide(ask, by=by, now=NOW) for ask, by in asks]
    with DurableEngine(ritz) as first, DurableEngine(ritz) as second, ThreadPoolExecutor(max_workers=8) as pool:
        engines = (first, second)
        got = list(
            pool.map(
                lambda index: engines[index % 2].decide(asks[index][0], by=asks[index][1], now=NOW), range(len(asks))
            )
        )
    assert got == expected
