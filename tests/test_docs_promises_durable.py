"""What docs/how-to/use-durable-rules.md promises of ``DurableEngine``, probed where tests/test_durable.py does not.

The page: ``decide`` "returns the same ``Resolution`` as ``policy.decide``", taking "what ``Policy.decide``
takes"; "The ``with`` block deletes the rulesets from durable-rules' memory when it ends; so does ``close()``";
"One engine serves many threads at once"; engines "live side by side in one process".
"""

from __future__ import annotations

import gc
import inspect
import json
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

durable_rules_engine = pytest.importorskip(
    "durable_rules_engine", reason="durable-rules is not installed: it builds on Python 3.11 and 3.12 only"
)

from recovery_rules import (  # noqa: E402 - after the importorskip
    Complaint,
    Customer,
    DurableEngine,
    EngineError,
    InvalidInputError,
    Money,
    Outcome,
    Policy,
    Remedy,
    Resolution,
)
from recovery_rules.testing import DecisionInput, decisions, policies  # noqa: E402

from ._helpers import NOW, complaint, examples, policy_data  # noqa: E402


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


# -- audit 151: the differential promise field by field, misuse, a reloaded policy, sessions over many decisions --

_CURRENCIES = ("USD", "JPY", "BHD", "CLF")
"""Two, zero, three and four decimal places: amounts reach durable-rules as whole numbers of minor units."""


@st.composite
def _policy_and_decisions(draw: st.DrawFn) -> tuple[Policy, list[DecisionInput]]:
    policy = draw(policies(max_levels=8, max_catalog=10, currencies=_CURRENCIES))
    return policy, draw(st.lists(decisions(policy, per_window=True), min_size=5, max_size=15))


@pytest.mark.slow  # each example builds the rulesets of a new policy
@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(_policy_and_decisions())
def test_every_field_of_the_durable_resolution_is_the_cores_in_currencies_of_zero_to_four_decimals(
    case: tuple[Policy, list[DecisionInput]],
) -> None:
    """The page: ``decide`` "returns the same ``Resolution`` as ``policy.decide``, trace, reason and Plan B
    included". Compared field by field (so a difference names its field), then as a whole and as JSON."""
    policy, inputs = case
    with DurableEngine(policy) as engine:
        for decision in inputs:
            core = decision.run(policy)
            durable = engine.decide(
                decision.complaint, by=decision.by, granted=decision.granted_per_window, now=decision.now
            )
            for field in type(core).model_fields:
                assert getattr(durable, field) == getattr(core, field), f"{field} differs for {decision}"
            assert durable == core
            assert durable.model_dump_json() == core.model_dump_json()


def _misuse() -> list[tuple[str, dict[str, Any]]]:
    asked = complaint("10.00")
    remedy = Remedy.model_construct(kind="refund", amount=Money._trusted(Decimal("10.005"), "USD"))
    return [
        ("negative granted", {"granted": Money("-1.00", "USD")}),
        ("a window left out", {"granted": {"incident": Money("1.00", "USD")}}),
        ("an unknown window", {"granted": {"incident": Money("1.00", "USD"), "7d": Money("1.00", "USD")}}),
        ("granted as a string", {"granted": "1.00"}),
        ("by not a string", {"by": 3}),
        ("granted plus asked beyond Money", {"granted": Money("999999999999999.00", "USD")}),
        ("an amount with three places", {"complaint": asked.model_copy(update={"requested": remedy})}),
        ("a customer that is not one", {"complaint": asked.model_copy(update={"customer": None})}),
        ("an employee name", {"employee": "Jane Smith"}),
    ]


def test_misuse_the_core_refuses_is_refused_with_the_same_error_and_words(ritz: Policy) -> None:
    """``DurableEngine.decide`` "takes what ``Policy.decide`` takes": what the core refuses, it refuses alike,
    with a library error (never a KeyError or a durable-rules failure from deep inside)."""
    assert (
        inspect.signature(DurableEngine.decide).parameters.keys() == inspect.signature(Policy.decide).parameters.keys()
    )
    with DurableEngine(ritz) as engine:
        for what, change in _misuse():
            arguments: dict[str, Any] = {"complaint": complaint("10.00"), "by": "staff", "now": NOW, **change}
            with pytest.raises(InvalidInputError) as core:
                ritz.decide(**arguments)
            with pytest.raises(InvalidInputError) as durable:
                engine.decide(**arguments)
            assert (type(durable.value), str(durable.value)) == (type(core.value), str(core.value)), what
        assert engine.decide(complaint("10.00"), by="staff", now=NOW) == ritz.decide(
            complaint("10.00"), by="staff", now=NOW
        )


def test_an_engine_decides_with_the_policy_it_was_built_for_after_a_new_revision_is_loaded(ritz: Policy) -> None:
    """ "Build one engine per policy": an engine keeps deciding, and naming the revision of, the policy it was built
    for; the new revision's own engine decides as the new revision does."""
    data = ritz.model_dump(mode="json")
    data["levels"][0]["limit"] = "50.00"  # staff may now grant less
    data["levels"][0]["tier_limits"] = {}
    reloaded = Policy.model_validate(data)
    assert reloaded.revision != ritz.revision
    ask = complaint("100.00")
    with DurableEngine(ritz) as old, DurableEngine(reloaded) as new:
        before, after = old.decide(ask, by="staff", now=NOW), new.decide(ask, by="staff", now=NOW)
    assert before == ritz.decide(ask, by="staff", now=NOW)
    assert after == reloaded.decide(ask, by="staff", now=NOW)
    assert (before.outcome, after.outcome) == (Outcome.APPROVED, Outcome.ESCALATED)
    assert (before.policy_revision, after.policy_revision) == (ritz.revision, reloaded.revision)


@pytest.mark.slow  # ten thousand decisions
def test_ten_thousand_decisions_in_a_row_use_one_session_and_closing_deletes_it(
    ritz: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sessions are reused, not made per decision: durable-rules' memory does not grow with the decisions made
    (measured: no growth of the process over 20,000 decisions), and closing deletes the one session used."""
    spy = _Spy(monkeypatch)
    levels = ("staff", "manager", "general_manager")
    with DurableEngine(ritz) as engine:
        for index in range(10_000):
            ask = complaint(f"{index % 12_000}.00", kind=("refund", "credit", "comp")[index % 3])
            engine.decide(ask, by=levels[index % 3], now=NOW)
    assert set().union(*spy.used.values()) == {"1"}
    assert {handle: sids for handle, sids in spy.left_behind.items() if sids} == {}


def _decide_from_four_threads(engine: DurableEngine, asks: list[Complaint]) -> list[Resolution]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda ask: engine.decide(ask, by="staff", now=NOW), asks))


@pytest.mark.usefixtures("switch_often")
def test_collecting_an_engine_never_closed_frees_every_session_it_decided_in(
    ritz: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "so does garbage collection of an engine that was never closed": its rulesets and, as ``close()`` does,
    the state of every session (here several, made by threads deciding at once)."""
    spy = _Spy(monkeypatch)
    engine = DurableEngine(ritz)
    asks = [complaint(f"{amount}.00") for amount in range(0, 12_000, 97)]
    got = _decide_from_four_threads(engine, asks)
    assert got == [ritz.decide(ask, by="staff", now=NOW) for ask in asks]
    del engine  # never closed
    gc.collect()
    assert spy.used
    assert set(spy.left_behind) >= set(spy.used)
    assert {handle: sids for handle, sids in spy.left_behind.items() if sids} == {}


@pytest.mark.slow
def test_a_ladder_too_large_for_durable_rules_because_of_its_tiers_says_so() -> None:
    """use-durable-rules.md: three rules a level, and three more a level for each tier with limits of its own;
    beyond 4,096 ``EngineError`` says so. Levels of 1,400 tiers each are too many: the message names the tiers,
    not only the levels."""
    data = policy_data()
    for rank, level in enumerate(data["levels"][:3]):  # a limit of each tier's own at each level, rising
        level["tier_limits"] = {f"tier_{i:04}": f"{(rank + 1) * 100 + i / 100:.2f}" for i in range(1400)}
    with pytest.raises(EngineError, match="4 levels, 1,400 customer tiers with limits of their own"):
        DurableEngine(Policy.model_validate(data))
