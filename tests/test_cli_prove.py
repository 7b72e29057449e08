"""``recovery-rules prove``: exhaustive over regions, sound, and with teeth."""

from __future__ import annotations

import datetime as dt
import json
import shlex
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery_rules import Complaint, Customer, Money, Outcome, Policy, Remedy, Resolution, presets
from recovery_rules._engine import _rules as engine_module
from recovery_rules._engine._invariants import RANKING
from recovery_rules._policy import _catalog as catalog_module
from recovery_rules.proof import Slice, default_now, money, prove, slices
from recovery_rules.testing import policies

from ._cli import POLICY, run
from ._helpers import examples, policy_data


def signature(resolution: Resolution) -> tuple[Any, ...]:
    """Everything about a resolution except the amounts written into its sentences."""
    return (
        resolution.outcome,
        resolution.authorized_by,
        resolution.escalate_to,
        resolution.delivered_by,
        resolution.grantable_by,
        tuple(alternative.id for alternative in resolution.alternatives),
        tuple(alternative.id for alternative in resolution.suggestions),
        tuple((entry.rule, entry.passed) for entry in resolution.trace),
    )


def decide(policy: Policy, part: Slice, granted: int, asked: int) -> Resolution:
    now = default_now(policy)
    complaint = Complaint(
        customer=Customer(id="x", tier=part.tier),
        category=part.category,
        requested=Remedy(kind=part.kind, amount=money(asked, policy.currency)),
        received_at=now,
    )
    return policy.decide(complaint, by=part.by, granted=money(granted, policy.currency), now=now)


@st.composite
def points(draw: st.DrawFn, part: Slice) -> tuple[int, int]:
    """Amounts aimed at the slice's thresholds and anywhere between them."""
    edges = sorted({lo for cells in (part.granted, part.asked, part.total) for lo, _ in cells})
    top = edges[-1] * 2 + 100

    def amount() -> int:
        near = draw(st.sampled_from(edges)) + draw(st.integers(-2, 2))
        return max(0, draw(st.one_of(st.just(near), st.integers(0, top))))

    return amount(), amount()


# -- the command ------------------------------------------------------------------


@pytest.mark.slow
def test_prove_json(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "prove", "theme-park", "--json")
    assert result.code == 0
    report = json.loads(result.out)
    assert report["holds"] is True
    assert report["counterexample"] is None
    assert report["regions"] == 17_712
    assert report["shape"]["tiers"] == ["season_pass", "standard"]
    assert report["shape"]["categories"][-1] == "unlisted_category"


def test_prove_a_policy_that_does_not_load_is_an_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "prove", POLICY.replace("policy.toml", "draft-policy.toml"))
    assert result.code == 2
    assert result.err.startswith(
        f"Error: the policy {POLICY.replace('policy.toml', 'draft-policy.toml')} does not load"
    )


def test_every_region_is_counted_once_and_covers_every_slice() -> None:
    policy = Policy.from_file(POLICY)
    planned = slices(policy)
    assert len(planned) == 3 * 2 * 6 * 4
    assert {(part.by, part.tier) for part in planned} == {
        (level, tier) for level in ("front_desk", "supervisor", "manager") for tier in ("gold", "standard")
    }
    for part in planned[:20]:
        found = list(part.points())
        assert len(found) == len(set(found))
        assert all(part.region(*point) == point for point in found), "each point stands for its own region"


# -- soundness: one point per region stands for all of it ----------------------------


@settings(max_examples=examples(60))
@given(policy=policies(max_levels=4, max_catalog=8), data=st.data())
def test_every_point_decides_like_its_regions_point(policy: Policy, data: st.DataObject) -> None:
    planned = slices(policy)
    part = data.draw(st.sampled_from(planned))
    for _ in range(5):
        granted, asked = data.draw(points(part))
        standing = part.region(granted, asked)
        assert standing in set(part.points()), "the enumeration reaches the region of every point"
        assert signature(decide(policy, part, granted, asked)) == signature(decide(policy, part, *standing))


@pytest.mark.parametrize("name", presets.NAMES)
@settings(max_examples=examples(40))
@given(data=st.data())
def test_preset_points_decide_like_their_regions_point(name: str, data: st.DataObject) -> None:
    policy = presets.load(name)
    part = data.draw(st.sampled_from(slices(policy)))
    granted, asked = data.draw(points(part))
    standing = part.region(granted, asked)
    assert signature(decide(policy, part, granted, asked)) == signature(decide(policy, part, *standing))


# -- teeth: a broken engine gives a counterexample --------------------------------------


def test_an_approval_one_cent_beyond_authority_is_found(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    original = engine_module.CompiledLevel.limit_for

    def generous(self: engine_module.CompiledLevel, tier: str) -> Decimal:
        limit = original(self, tier)
        return limit + Decimal("0.01") if limit.is_finite() else limit

    monkeypatch.setattr(engine_module.CompiledLevel, "limit_for", generous)
    saved = tmp_path / "counterexample.json"
    result = run(capsys, "prove", POLICY, "--save", str(saved))
    assert result.code == 1
    assert "counterexample in region" in result.out
    assert "- approved 250.01 for 'refund' beyond front_desk's authority" in result.out
    complaint = json.loads(saved.read_text(encoding="utf-8"))
    assert complaint["requested"] == {"kind": "refund", "amount": "250.01 USD"}
    assert json.loads(result.out[result.out.index("{") : result.out.rindex("}") + 1]) == complaint

    # The printed command re-runs it: the broken engine approves what front_desk may not grant.
    command = result.out.splitlines()[-1].strip()
    assert command.startswith("recovery-rules decide --policy ")
    rerun = run(capsys, *shlex.split(command)[1:], "--json")
    assert rerun.code == 0
    resolution = Resolution.model_validate_json(rerun.out)
    assert (resolution.outcome, resolution.total) == (Outcome.APPROVED, Money("250.01", "USD"))


def test_an_escalation_exactly_at_the_limit_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    original = engine_module.CompiledLevel.limit_for

    def strict(self: engine_module.CompiledLevel, tier: str) -> Decimal:  # as if the rule were total < limit
        limit = original(self, tier)
        return limit - Decimal("0.01") if limit.is_finite() and limit > 0 else limit

    monkeypatch.setattr(engine_module.CompiledLevel, "limit_for", strict)
    found = prove(Policy.from_file(POLICY)).counterexample
    assert found is not None
    assert any(
        "may grant" in violation and "but the outcome is escalated" in violation for violation in found.violations
    )


def test_a_plan_b_short_only_on_one_boundary_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    original = engine_module._Decision.plan_b

    def plan_b(self: engine_module._Decision) -> Any:
        chosen = original(self)
        room = min(self.actor.limit_for(self.tier), self.policy.cap)
        return chosen[:2] if self.before == room else chosen  # wrong only when exactly everything is used up

    monkeypatch.setattr(engine_module._Decision, "plan_b", plan_b)
    found = prove(Policy.from_file(POLICY)).counterexample
    assert found is not None
    assert any("offers 2 alternatives; the policy promises 3" in violation for violation in found.violations)
    assert found.granted == Money("250.00", "USD")  # front_desk's limit for a gold guest: the first slice's room


def test_alternatives_in_the_wrong_order_are_found(monkeypatch: pytest.MonkeyPatch) -> None:
    original = catalog_module.Shelf.select

    def backwards(
        self: catalog_module.Shelf, asked: Decimal, budget: Decimal | None, count: int, without: frozenset[str]
    ) -> Any:
        return tuple(reversed(original(self, asked, budget, count, without)))

    monkeypatch.setattr(catalog_module.Shelf, "select", backwards)
    found = prove(Policy.from_file(POLICY)).counterexample
    assert found is not None
    assert f"alternatives are not in the order {RANKING}" in found.violations


def test_generic_alternatives_before_the_categorys_own_are_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """The old ranking, closest in value first whatever an alternative was written for, breaks the promise."""

    def closest_first(
        self: catalog_module.Shelf, asked: Decimal, budget: Decimal | None, count: int, without: frozenset[str]
    ) -> Any:
        relevant = {
            alternative.id: alternative
            for _, group in self.groups
            for row in group.values()
            for alternative in row.alternatives
            if (budget is None or alternative.value.amount <= budget) and alternative.kind not in without
        }
        chosen: list[Any] = []
        for alternative in sorted(relevant.values(), key=lambda item: (abs(item.value.amount - asked), item.value)):
            if alternative.kind not in {item.kind for item in chosen}:
                chosen.append(alternative)
        return tuple(chosen[:count])

    monkeypatch.setattr(catalog_module.Shelf, "select", closest_first)
    found = prove(Policy.from_file(POLICY)).counterexample
    assert found is not None
    assert any("where the Plan B ranking picks" in violation for violation in found.violations), found.violations


def test_suggestions_beyond_what_is_left_are_found(monkeypatch: pytest.MonkeyPatch) -> None:
    data = policy_data(categories=["room_not_ready"], remedy_kinds=["refund", "credit"])
    data["levels"] = [data["levels"][0], data["levels"][2]]
    data["catalog"] = [entry for entry in data["catalog"] if entry["id"] != "branch"]
    for entry in data["catalog"]:
        if entry["id"] == "dinner":
            entry["extra_mile"] = True
    policy = Policy.model_validate(data)
    assert prove(policy).holds

    def everything(self: engine_module._Decision) -> Any:
        shelf = self.policy.extra_mile.shelf(self.complaint.category, self.kind)
        return shelf.select(self.policy.zero, None, self.policy.min_alternatives)

    monkeypatch.setattr(engine_module._Decision, "extra_mile", everything)
    found = prove(policy).counterexample
    assert found is not None
    assert "suggestion 'dinner' is worth more than staff may still grant after the approval" in found.violations
    assert found.outcome is Outcome.APPROVED


def test_an_exception_while_deciding_is_a_counterexample(monkeypatch: pytest.MonkeyPatch) -> None:
    original = engine_module._Decision.resolve

    def fragile(self: engine_module._Decision) -> Resolution:
        if self.kind == "upgrade" and self.before > 0:
            raise ArithmeticError("boom")
        return original(self)

    monkeypatch.setattr(engine_module._Decision, "resolve", fragile)
    found = prove(Policy.from_file(POLICY)).counterexample
    assert found is not None
    assert found.violations == ("deciding raised ArithmeticError: boom",)
    assert found.outcome is None


def test_the_first_counterexample_is_always_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    original = engine_module._Decision.plan_b
    monkeypatch.setattr(engine_module._Decision, "plan_b", lambda self: original(self)[:1])
    policy = Policy.from_file(POLICY)
    first, second = prove(policy).counterexample, prove(policy).counterexample
    assert first is not None
    assert first == second
    assert first.now == dt.datetime.fromisoformat("2026-11-23T09:30:00-05:00")


def test_alternatives_of_a_kind_the_level_may_not_grant_are_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plan B offers only what the acting level can authorize now: a kind its ``may_grant`` leaves out is not."""
    data = policy_data(categories=["room_not_ready"], remedy_kinds=["refund", "credit"])
    data["catalog"] = [entry for entry in data["catalog"] if entry["id"] != "branch"]
    for entry in data["catalog"]:
        if entry["id"] == "dinner":  # written for the category: it ranks before every generic option
            entry["applies_to"] = ["room_not_ready"]
    data["levels"][0]["may_grant"] = ["refund"]
    policy = Policy.model_validate(data)
    assert prove(policy).holds
    original = catalog_module.Shelf.select

    def ignoring_may_grant(
        self: catalog_module.Shelf, asked: Decimal, budget: Decimal | None, count: int, without: frozenset[str]
    ) -> Any:
        return original(self, asked, budget, count, frozenset())

    monkeypatch.setattr(catalog_module.Shelf, "select", ignoring_may_grant)
    found = prove(policy).counterexample
    assert found is not None
    assert any("which staff may not grant" in violation for violation in found.violations), found.violations
