"""The durable-rules backend decides exactly what the core engine decides, from many threads at once."""

from __future__ import annotations

import copy
import datetime as dt
import json
import pickle
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as fixed_seed
from hypothesis import strategies as st

pytest.importorskip(
    "durable", reason="durable-rules is not installed: it builds on Python 3.11 and 3.12 only (extra 'durable')"
)

from recovery_rules import (
    Complaint,
    CurrencyMismatchError,
    Customer,
    DurableEngine,
    EngineError,
    InvalidInputError,
    Money,
    Outcome,
    Policy,
    PolicyError,
    Remedy,
    Resolution,
    UnknownLevelError,
    UnknownRemedyError,
)
from recovery_rules._engine import _durable
from recovery_rules.testing import DecisionInput, decisions, policies

from ._helpers import NOW, complaint, examples, policy_data, usd

DIFFERENTIAL = settings(
    max_examples=examples(50),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    print_blob=True,
)
"""A thousand decisions and more: each example is a policy and up to 40 decisions (building the rules is slow).

A rule one cent off is found within ten examples (``test_the_differential_test_catches_a_rule_one_cent_off``)."""


def run(engine: DurableEngine, decision: DecisionInput) -> Resolution:
    return engine.decide(decision.complaint, by=decision.by, granted=decision.granted_per_window, now=decision.now)


def assert_same(policy: Policy, engine: DurableEngine, decision: DecisionInput) -> None:
    core, durable = decision.run(policy), run(engine, decision)
    assert durable == core, f"{decision}\n core:    {core.model_dump_json()}\n durable: {durable.model_dump_json()}"
    assert durable.model_dump_json() == core.model_dump_json()


@st.composite
def policy_and_decisions(draw: st.DrawFn, *, max_levels: int, max_catalog: int) -> tuple[Policy, list[DecisionInput]]:
    policy = draw(policies(max_levels=max_levels, max_catalog=max_catalog))
    return policy, draw(st.lists(decisions(policy, per_window=True), min_size=15, max_size=40))


# -- the differential test ---------------------------------------------------------------------------------------


def decide_both_ways(case: tuple[Policy, list[DecisionInput]]) -> None:
    policy, inputs = case
    with DurableEngine(policy) as engine:
        for decision in inputs:
            assert_same(policy, engine, decision)


@pytest.mark.slow  # each example builds durable-rules rulesets for a new policy
@DIFFERENTIAL
@given(policy_and_decisions(max_levels=100, max_catalog=40))
def test_durable_rules_decide_what_the_core_decides(case: tuple[Policy, list[DecisionInput]]) -> None:
    decide_both_ways(case)


@pytest.mark.slow
@settings(DIFFERENTIAL, max_examples=examples(10))  # each decision searches up to 1,000 alternatives
@given(policy_and_decisions(max_levels=12, max_catalog=1000))
def test_durable_rules_decide_what_the_core_decides_with_large_catalogs(
    case: tuple[Policy, list[DecisionInput]],
) -> None:
    decide_both_ways(case)


def big_policy(levels: int = 100, alternatives: int = 1000, **changes: Any) -> Policy:
    """A ladder of ``levels`` levels (tier limits, restricted kinds, ties) and a catalog of ``alternatives``."""
    ladder: list[dict[str, Any]] = []
    for rank in range(levels):
        level: dict[str, Any] = {
            "name": f"level_{rank}",
            "limit": "unlimited" if rank == levels - 1 else f"{(rank // 2 + 1) * 100}.00",
            "tier_limits": {} if rank == levels - 1 else {"gold": f"{(rank // 2 + 1) * 150}.00"},
        }
        if rank:
            level["callback_within"] = ("30m", "2h", "1d")[rank % 3]
        if rank % 7 == 3:
            level["may_grant"] = ["credit", "voucher"]
        ladder.append(level)
    kinds = ("callback", "other_branch", "referral", "voucher_offer", "upgrade_offer", "follow_up")
    categories = ["room_not_ready", "out_of_stock"]
    catalog: list[dict[str, Any]] = [
        {"id": f"free-{i}", "kind": kinds[i], "description": "Free", "value": "0", "applies_to": ["*"]}
        for i in range(3)
    ]
    for i in range(alternatives - 3):
        catalog.append(
            {
                "id": f"alt-{i}",
                "kind": kinds[i % len(kinds)],
                "description": f"Option {i}",
                "value": f"{(i * 37) % 9000}.{i % 100:02d}",
                "applies_to": [["*"], ["room_not_ready"], ["refund"], ["out_of_stock", "credit"]][i % 4],
                "extra_mile": i % 5 == 0,
            }
        )
    data = policy_data(
        levels=ladder,
        hard_cap="100000.00",
        denials_delivered_by="level_4",
        catalog=catalog,
        categories=categories,
        refused_remedies=["cash"],
    )
    data.update(changes)
    return Policy.model_validate(data)


@pytest.fixture(scope="module")
def big() -> Policy:
    return big_policy()


@pytest.fixture(scope="module")
def big_engine(big: Policy) -> Iterator[DurableEngine]:
    with DurableEngine(big) as engine:
        yield engine


@pytest.mark.slow
@settings(DIFFERENTIAL, max_examples=examples(30))  # every limit to the cent is checked below, one by one
@given(data=st.data())
def test_a_hundred_levels_and_a_thousand_alternatives(
    big: Policy, big_engine: DurableEngine, data: st.DataObject
) -> None:
    for decision in data.draw(st.lists(decisions(big), min_size=10, max_size=20)):
        assert_same(big, big_engine, decision)


@pytest.mark.slow
def test_every_limit_to_the_cent_for_every_acting_level(big: Policy, big_engine: DurableEngine) -> None:
    limits = sorted({level.limit.amount for level in big.levels if level.limit is not None})
    amounts = [Decimal(0), *(limit + step for limit in limits[::5] for step in (Decimal("-0.01"), 0, Decimal("0.01")))]
    count = 0
    for amount in amounts:
        for tier in ("standard", "gold"):
            for level in big.levels[::3]:
                for kind in ("refund", "credit", "cash"):
                    ask = Complaint(
                        customer=Customer(id="10442", tier=tier),
                        category="room_not_ready",
                        requested=Remedy(kind=kind, amount=Money(amount, "USD")),
                        received_at=NOW,
                    )
                    decision = DecisionInput(ask, level.name, usd("0"), NOW)
                    assert_same(big, big_engine, decision)
                    count += 1
    assert count > 1000


@pytest.mark.slow
def test_the_presets_decide_the_same(ritz: Policy, retail: Policy, theme_park: Policy) -> None:
    for policy in (ritz, retail, theme_park):
        with DurableEngine(policy) as engine:
            for decision in _sample(policy, 300):
                assert_same(policy, engine, decision)


def _sample(policy: Policy, count: int, seed: int = 0) -> list[DecisionInput]:
    """``count`` decisions for ``policy``, the same every run."""
    found: list[DecisionInput] = []

    @fixed_seed(seed)
    @settings(max_examples=count, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(decisions(policy))
    def collect(decision: DecisionInput) -> None:
        found.append(decision)

    collect()
    return found


def test_amounts_near_the_largest_money_compare_exactly() -> None:
    # 10**15 KWD is 10**18 fils: far beyond the 2**53 a double holds exactly.
    data = policy_data(
        currency="KWD",
        hard_cap="999999999999999.999",
        levels=[
            {"name": "staff", "limit": "999999999999998.998"},
            {"name": "manager", "limit": "999999999999998.999", "callback_within": "1h"},
            {"name": "owner", "limit": "unlimited", "callback_within": "1d"},
        ],
        catalog=[
            {"id": f"free-{i}", "kind": f"plan_{i}", "description": "Free", "value": "0", "applies_to": ["*"]}
            for i in range(3)
        ],
    )
    policy = Policy.model_validate(data)
    with DurableEngine(policy) as engine:
        for amount in ("999999999999998.998", "999999999999998.999", "999999999999999.000", "999999999999999.999"):
            for granted in ("0", "0.001", "999999999999999.999"):
                ask = Complaint(
                    customer=Customer(id="1"),
                    category="room_not_ready",
                    requested=Remedy(kind="refund", amount=Money(amount, "KWD")),
                    received_at=NOW,
                )
                decision = DecisionInput(ask, "staff", Money(granted, "KWD"), NOW)
                if Decimal(amount) + Decimal(granted) < Decimal(10**15):
                    assert_same(policy, engine, decision)
                    continue
                # A total beyond the largest amount is no resolution: both refuse it alike.
                with pytest.raises(InvalidInputError, match="granted: plus the amount asked") as by_core:
                    decision.run(policy)
                with pytest.raises(InvalidInputError, match="granted: plus the amount asked") as by_durable:
                    run(engine, decision)
                assert str(by_core.value) == str(by_durable.value)
        outcomes = {
            amount: run(engine, DecisionInput(_ask_kwd(amount), "staff", Money("0", "KWD"), NOW)).outcome
            for amount in ("999999999999998.998", "999999999999998.999")
        }
    assert outcomes == {"999999999999998.998": Outcome.APPROVED, "999999999999998.999": Outcome.ESCALATED}


def _ask_kwd(amount: str) -> Complaint:
    return Complaint(
        customer=Customer(id="1"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, "KWD")),
        received_at=NOW,
    )


# -- misuse, lifetime, limits ----------------------------------------------------------------------------------


def test_misuse_raises_what_the_core_raises(ritz: Policy) -> None:
    cases: list[dict[str, Any]] = [
        {"complaint": complaint("10"), "by": "janitor"},
        {"complaint": complaint("10"), "by": "staff", "granted": Money("1", "EUR")},
        {"complaint": complaint("10", kind="teleport"), "by": "staff"},
        {"complaint": complaint("10"), "by": "staff", "now": dt.datetime(2026, 1, 1)},  # noqa: DTZ001 - naive on purpose
        {"complaint": {"not": "a complaint"}, "by": "staff"},
    ]
    expected = (UnknownLevelError, CurrencyMismatchError, UnknownRemedyError, InvalidInputError, InvalidInputError)
    with DurableEngine(ritz) as engine:
        for arguments, error in zip(cases, expected, strict=True):
            with pytest.raises(error) as core:
                ritz.decide(**arguments)
            with pytest.raises(error) as durable:
                engine.decide(**arguments)
            assert str(durable.value) == str(core.value)


def test_the_employee_and_the_revision_are_the_cores_too(ritz: Policy) -> None:
    with DurableEngine(ritz) as engine:
        for amount in ("10", "3000", "20000"):  # approved, escalated, denied
            core = ritz.decide(complaint(amount), by="staff", now=NOW, employee="E-0042")
            durable = engine.decide(complaint(amount), by="staff", now=NOW, employee="E-0042")
            assert durable == core
            assert (durable.employee, durable.policy_revision) == ("E-0042", ritz.revision)
        with pytest.raises(InvalidInputError, match="E-0042") as core_error:
            ritz.decide(complaint("10"), by="staff", now=NOW, employee="Jane Smith")
        with pytest.raises(InvalidInputError, match="E-0042") as durable_error:
            engine.decide(complaint("10"), by="staff", now=NOW, employee="Jane Smith")
        assert str(durable_error.value) == str(core_error.value)


def test_a_closed_engine_refuses_to_decide(ritz: Policy) -> None:
    engine = DurableEngine(ritz)
    assert "open" in repr(engine)
    with engine:
        assert engine.decide(complaint("10"), by="staff", now=NOW).outcome is Outcome.APPROVED
    assert "closed" in repr(engine)
    with pytest.raises(EngineError, match="closed"):
        engine.decide(complaint("10"), by="staff", now=NOW)
    engine.close()  # closing twice is harmless


@pytest.mark.slow
def test_the_rulesets_are_chains_of_shared_prefixes(big: Policy, big_engine: DurableEngine) -> None:
    rulesets = big_engine.rulesets
    assert set(rulesets) == set(big.vocabulary)
    refund = rulesets["refund"]
    assert len(refund) < _durable.MAX_RULES
    depth = max(len(rule["all"][0]["m"].get("$and", [None])) for rule in refund.values())
    assert depth <= 20  # a binary search over 100 levels, not a list of them
    assert json.loads(json.dumps(rulesets)) == rulesets
    rulesets["refund"].clear()  # a copy: the engine keeps its own
    assert big_engine.rulesets["refund"]


def test_a_limit_beyond_durable_rules_integers_says_so() -> None:
    # 999,999,999,999,999.9999 CLF is 9,999,999,999,999,999,999 ten-thousandths: more than 2**63 - 1.
    data = policy_data(
        currency="CLF",
        hard_cap=None,
        levels=[
            {"name": "staff", "limit": "999999999999999.9999"},
            {"name": "owner", "limit": "unlimited", "callback_within": "1d"},
        ],
        denials_delivered_by="owner",
        catalog=[
            {"id": f"free-{i}", "kind": f"plan_{i}", "description": "Free", "value": "0", "applies_to": ["*"]}
            for i in range(3)
        ],
    )
    with pytest.raises(EngineError, match="64-bit integers"):
        DurableEngine(Policy.model_validate(data))


@pytest.mark.slow
def test_a_policy_too_large_for_durable_rules_says_so() -> None:
    # A thousand levels, each with a limit of its own and one for gold guests: over 4,096 rules per remedy kind.
    ladder = [
        {"name": f"level_{rank}", "limit": f"{rank + 1}00", "tier_limits": {"gold": f"{rank + 2}00"}}
        | ({"callback_within": "1h"} if rank else {})
        for rank in range(1000)
    ]
    policy = Policy.model_validate(policy_data(levels=ladder, hard_cap="1000000", denials_delivered_by="level_9"))
    with pytest.raises(EngineError, match=r"at most 4,096 rules .* decide with Policy\.decide"):
        DurableEngine(policy)


# -- threads ---------------------------------------------------------------------------------------------------


def _thread_cases(policy: Policy, count: int, seed: int) -> list[tuple[Policy, DecisionInput]]:
    return [(policy, decision) for decision in _sample(policy, count, seed)]


@pytest.fixture
def switch_often() -> Iterator[None]:
    """Make threads switch every few microseconds, so that decisions interleave inside durable-rules."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def _decide_in_threads(engines: dict[int, DurableEngine], cases: list[tuple[Policy, DecisionInput]]) -> list[object]:
    def decide(case: tuple[Policy, DecisionInput]) -> object:
        policy, decision = case
        try:
            return run(engines[id(policy)], decision)
        except EngineError as error:
            return error

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(decide, cases, chunksize=3))


@pytest.mark.slow
@pytest.mark.usefixtures("switch_often")
def test_eight_threads_get_the_sequential_results_with_two_policies(ritz: Policy, big: Policy) -> None:
    """Real threads, switching every microsecond: a smoke test (the lockstep tests below force the worst order)."""
    cases = _thread_cases(ritz, 300, 1) + _thread_cases(big, 300, 2)
    cases = cases[::2] + cases[1::2]  # interleave the two policies
    expected = [decision.run(policy) for policy, decision in cases]
    with DurableEngine(ritz) as hotel, DurableEngine(big) as ladder:
        engines = {id(ritz): hotel, id(big): ladder}
        assert [run(engines[id(policy)], decision) for policy, decision in cases] == expected
        for _ in range(2):
            assert _decide_in_threads(engines, cases) == expected


LOCKSTEP_WAIT = 60.0
"""Seconds a thread of the lockstep waits for its turn before the test fails (it never should)."""

ORDER = ("first", "second")
STEPS = ("first", "first", "second", "second")
"""The lockstep's first calls into durable-rules, by thread: ``first`` posts its complaint's events and takes
its first fired rules; ``second`` posts its events and asks for its fired rules while ``first`` still holds
its own (the order that lost answers when the engine shared one session between threads)."""


class Lockstep:
    """durable-rules' engine, its calls from two threads made in one order, one call at a time.

    The threads are named by :data:`ORDER`. Their first calls go as :data:`STEPS` says; then
    ``first`` makes all its remaining calls (to no more fired rules, or its session deleted), then
    ``second``. Every run makes the same calls in the same order: whether the sessions are shared
    decides the results, never the scheduler.
    """

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self._turn = threading.Condition()
        self._calls = 0
        self._done: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def _may_call(self, me: str) -> bool:
        if self._calls < len(STEPS):
            return STEPS[self._calls] == me
        return self._done.issuperset(ORDER[: ORDER.index(me)])

    def _call(self, name: str, *arguments: Any) -> Any:
        me = threading.current_thread().name
        with self._turn:
            if not self._turn.wait_for(lambda: self._may_call(me), timeout=LOCKSTEP_WAIT):
                raise TimeoutError(f"{me} waited in vain to call {name} (call {self._calls + 1})")
            self._calls += 1
            result = None
            try:
                result = getattr(self._engine, name)(*arguments)
            finally:
                if name == "delete_state" or (name != "assert_events" and not result):
                    self._done.add(me)  # no more fired rules, or its session given up: this thread is done
                self._turn.notify_all()
            return result

    def assert_events(self, handle: int, events: str) -> Any:
        return self._call("assert_events", handle, events)

    def start_action_for_state(self, handle: int, state: int) -> Any:
        return self._call("start_action_for_state", handle, state)

    def complete_and_start_action(self, handle: int, state: int) -> Any:
        return self._call("complete_and_start_action", handle, state)

    def delete_state(self, handle: int, sid: str) -> Any:
        return self._call("delete_state", handle, sid)


def _decide_in_lockstep(engine: DurableEngine, pair: tuple[DecisionInput, DecisionInput]) -> list[object]:
    """The two decisions in two threads, named by :data:`ORDER`, with ``engine``'s calls in lockstep."""
    real = engine._engine  # the engine's own handle on durable-rules
    results: list[object] = [None, None]

    def decide(index: int) -> None:
        try:
            results[index] = run(engine, pair[index])
        except EngineError as error:
            results[index] = error

    engine._engine = Lockstep(real)
    try:
        threads = [threading.Thread(target=decide, args=(index,), name=ORDER[index]) for index in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        engine._engine = real
    return results


def _pairs(policy: Policy) -> list[tuple[DecisionInput, DecisionInput]]:
    """Pairs of decisions asking for the same kind of remedy (one ruleset) with different outcomes."""
    by_kind: dict[str, list[DecisionInput]] = {}
    for decision in _sample(policy, 200, 3):
        by_kind.setdefault(decision.complaint.requested.kind, []).append(decision)
    pairs = [
        (first, second)
        for decisions in by_kind.values()
        for first, second in zip(decisions[::2], decisions[1::2], strict=False)
        if first.run(policy).outcome is not second.run(policy).outcome
    ]
    assert len(pairs) >= 10
    return pairs[:10]


@pytest.mark.slow
def test_two_threads_in_the_worst_order_get_their_own_answers(ritz: Policy) -> None:
    with DurableEngine(ritz) as engine:
        for first, second in _pairs(ritz):
            assert _decide_in_lockstep(engine, (first, second)) == [first.run(ritz), second.run(ritz)]


@pytest.mark.slow
def test_the_lockstep_catches_a_session_shared_between_threads(monkeypatch: pytest.MonkeyPatch, ritz: Policy) -> None:
    class OneSession:
        """The broken design: every caller uses the same durable-rules session."""

        def get_nowait(self) -> str:
            return "shared"

        def put(self, sid: str) -> None:
            pass

    with DurableEngine(ritz) as engine:
        monkeypatch.setattr(engine, "_sessions", OneSession())
        for first, second in _pairs(ritz):
            assert [run(engine, first), run(engine, second)] == [first.run(ritz), second.run(ritz)]  # one at a time
            results = _decide_in_lockstep(engine, (first, second))
            assert all(isinstance(result, EngineError) for result in results), results


# -- the differential test has teeth ---------------------------------------------------------------------------


# The failing example is not shrunk (that takes long), so Hypothesis warns that it prints a large policy.
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning")
def test_the_differential_test_catches_a_rule_one_cent_off(monkeypatch: pytest.MonkeyPatch, ritz: Policy) -> None:
    original = _durable._threshold
    monkeypatch.setattr(_durable, "_threshold", lambda amount, places: original(amount, places) - 1)
    # Exactly the staff member's $2,000.00: the core approves, the broken rules escalate.
    with DurableEngine(ritz) as engine, pytest.raises(AssertionError, match="core:"):
        assert_same(ritz, engine, DecisionInput(complaint("2000.00"), "staff", usd("0"), NOW))
    # And the property finds such a difference by itself, in generated policies.
    search = settings(DIFFERENTIAL, database=None, max_examples=300, phases=[Phase.generate])(
        given(policy_and_decisions(max_levels=100, max_catalog=40))(decide_both_ways)
    )
    # Found either as a decision unlike the core's, or (a total exactly at a cap) as the core refusing to
    # conclude OVER_CAP for a total within every cap: both are the broken threshold.
    with pytest.raises(AssertionError, match=r"core:|OVER_CAP for a total within every cap"):
        search()


@pytest.mark.parametrize(
    "change",
    [
        {"timezone": "Mars/Base"},
        {"levels": ()},
        {"hard_cap": Money("-1.00", "USD")},
    ],
    ids=["unknown time zone", "no levels", "negative cap"],
)
def test_the_backend_refuses_a_policy_changed_past_validation_as_decide_does(
    ritz: Policy, change: dict[str, Any]
) -> None:
    """A policy copied with ``model_copy(update=...)`` (which skips validation) is checked before any rule is
    built: the backend refuses it with the PolicyError ``Policy.decide`` raises, never loads rules nobody
    checked, and never lets an untyped error out."""
    changed = ritz.model_copy(update=change)
    complaint = Complaint(
        customer=Customer(id="10442", tier="gold"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money("50.00", "USD")),
        received_at=dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC),
    )
    with pytest.raises(PolicyError) as decided:
        changed.decide(complaint, by="staff", now=complaint.received_at)
    with pytest.raises(PolicyError) as built:
        DurableEngine(changed)
    assert [problem.location for problem in built.value.problems] == [
        problem.location for problem in decided.value.problems
    ]


def test_an_engine_is_not_copied_or_pickled_and_says_to_build_another(ritz: Policy) -> None:
    with DurableEngine(ritz) as engine:
        for how, attempt in (
            ("copied", lambda: copy.copy(engine)),
            ("copied", lambda: copy.deepcopy(engine)),
            ("copied", lambda: copy.deepcopy({"engine": engine})),
            ("pickled", lambda: pickle.dumps(engine)),
            ("pickled", lambda: pickle.dumps(engine, protocol=0)),
        ):
            with pytest.raises(EngineError, match=rf"cannot be {how}.*build another DurableEngine\(policy\)"):
                attempt()
        # The engine refused rather than sharing its clean-up: it still decides, and closes only when it ends.
        asked = complaint("50.00")
        assert engine.decide(asked, by="staff", now=NOW) == ritz.decide(asked, by="staff", now=NOW)
    assert "closed" in repr(engine)
