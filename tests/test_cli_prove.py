"""``recovery-rules prove``: exhaustive over regions, sound, and with teeth."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shlex
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery_rules import (
    Complaint,
    ComplaintNumber,
    Customer,
    Money,
    Outcome,
    Policy,
    Remedy,
    Resolution,
    Window,
    presets,
)
from recovery_rules._engine import _rules as engine_module
from recovery_rules._engine._invariants import RANKING
from recovery_rules._policy import _catalog as catalog_module
from recovery_rules._policy import _policy as policy_module
from recovery_rules.proof import (
    Slice,
    default_now,
    grant_windows,
    moments,
    money,
    prove,
    slices,
    suggestion_violations,
)
from recovery_rules.testing import policies

from ._cli import POLICY, run
from ._helpers import examples, late_at_night, misjudge_limits, policy_data, small_policy, small_theme_park


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
    return policy.decide(complaint, by=part.by, granted=part.granted_money(granted, policy.currency), now=now)


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
    for part in planned:  # every axis is cut into cells from 0 up, each starting where the one before ends
        for cells in (part.granted, part.asked, part.total):
            assert cells[0][0] == 0
            assert cells[-1][1] is None
            assert all(hi is not None and lo <= hi == after - 1 for (lo, hi), (after, _) in itertools.pairwise(cells))


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


@pytest.mark.slow
@pytest.mark.parametrize("name", presets.NAMES)
@settings(max_examples=examples(40))
@given(data=st.data())
def test_preset_points_decide_like_their_regions_point(name: str, data: st.DataObject) -> None:
    policy = presets.load(name)
    part = data.draw(st.sampled_from(slices(policy)))
    granted, asked = data.draw(points(part))
    standing = part.region(granted, asked)
    assert signature(decide(policy, part, granted, asked)) == signature(decide(policy, part, *standing))


def test_the_midpoint_of_two_values_that_are_not_neighbours_is_a_threshold() -> None:
    """$10 (a voucher), $12 (a credit) and $40 (an upgrade): asked $24.99 for a refused cash refund offers the credit
    and the voucher, asked $25.01 the credit and the upgrade (closest to the midpoint of $10 and $40, which are not
    neighbours): the amounts on either side are in regions of their own, each deciding like its point."""
    policy = Policy.model_validate(
        policy_data(
            hard_cap=None,
            categories=["noise"],
            levels=[{"name": "owner", "limit": "unlimited"}],
            denials_delivered_by="owner",
            min_alternatives=2,
            refused_remedies=["cash"],
            catalog=[
                {"id": "a", "kind": "voucher", "description": "A voucher", "value": "10", "applies_to": ["*"]},
                {"id": "b", "kind": "credit", "description": "A credit", "value": "12", "applies_to": ["*"]},
                {"id": "c", "kind": "upgrade", "description": "An upgrade", "value": "40", "applies_to": ["*"]},
            ],
        )
    )
    part = next(part for part in slices(policy) if part.kind == "cash" and part.category == "noise")
    below, above = decide(policy, part, 0, 2499), decide(policy, part, 0, 2501)
    assert [alternative.id for alternative in below.alternatives] == ["b", "a"]
    assert [alternative.id for alternative in above.alternatives] == ["b", "c"]
    for asked in (2499, 2500, 2501):
        standing = part.region(0, asked)
        assert standing in set(part.points())
        assert signature(decide(policy, part, 0, asked)) == signature(decide(policy, part, *standing)), asked


# -- teeth: a broken engine gives a counterexample --------------------------------------


def test_an_approval_one_cent_beyond_authority_is_found(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    misjudge_limits(monkeypatch, lambda limit: limit + Decimal("0.01"))
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
    # as if the rule were total < limit
    misjudge_limits(monkeypatch, lambda limit: limit - Decimal("0.01") if limit > 0 else limit)
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


@pytest.mark.slow
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


@pytest.mark.parametrize(
    ("suggested", "problem"),
    [
        (["cake", "wine"], "extra-mile suggestions are not of distinct kinds"),
        (["shop"], "suggestion 'shop' does not apply to this complaint"),
        (["spa"], "suggestion 'spa' is a 'credit', which manager may not grant"),
    ],
)
def test_suggestions_that_break_a_promise_about_them_are_found(suggested: list[str], problem: str) -> None:
    """Suggestions with an approval are of distinct kinds, apply to the complaint, and are of kinds the acting level
    may grant: a resolution that suggests otherwise is a violation the proof reports."""
    data = policy_data()
    data["levels"][2]["may_grant"] = ["refund", "voucher"]
    extra = {"description": "A gift", "applies_to": ["*"], "extra_mile": True}
    data["catalog"] += [
        {**extra, "id": "cake", "kind": "voucher", "value": "10"},
        {**extra, "id": "wine", "kind": "voucher", "value": "12"},
        {**extra, "id": "spa", "kind": "credit", "value": "20"},
        {**extra, "id": "shop", "kind": "voucher", "value": "5", "applies_to": ["out_of_stock"]},
    ]
    policy = Policy.model_validate(data)
    now = default_now(policy)
    complaint = Complaint(
        customer=Customer(id="x"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money("10.00", "USD")),
        received_at=now,
    )
    resolution = policy.decide(complaint, by="manager", now=now)
    assert resolution.outcome is Outcome.APPROVED
    by_id = {alternative.id: alternative for alternative in policy.catalog}

    def suggesting(*ids: str) -> Resolution:
        return resolution.model_copy(update={"suggestions": tuple(by_id[id_] for id_ in ids)})

    assert suggestion_violations(policy, complaint, "manager", None, suggesting("cake")) == []
    found = suggestion_violations(policy, complaint, "manager", None, suggesting(*suggested))
    assert found == [problem]


@pytest.mark.slow
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


@pytest.mark.slow
def test_a_strict_categories_policy_is_proved_on_the_categories_it_lists(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A policy with ``strict_categories`` refuses a complaint of a category it does not list, by design: prove
    does not decide one (no counterexample "deciding raised InvalidInputError"), and says so in its shape."""
    data = policy_data(strict_categories=True, remedy_kinds=["refund", "credit"])
    policy = Policy.model_validate(data)
    assert {part.category for part in slices(policy)} == {"room_not_ready", "out_of_stock"}
    file = tmp_path / "policy.json"
    file.write_text(json.dumps(data), encoding="utf-8")
    result = run(capsys, "prove", str(file), "--json")
    report = json.loads(result.out)
    assert report["counterexample"] is None
    assert (result.code, report["holds"]) == (0, True)
    assert report["shape"]["categories"] == ["out_of_stock", "room_not_ready"]
    # The same policy deciding unlisted categories is still proved on one it never heard of.
    loose = Policy.model_validate({**data, "strict_categories": False})
    assert {part.category for part in slices(loose)} == {"room_not_ready", "out_of_stock", "unlisted_category"}


def test_the_first_counterexample_is_always_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    original = engine_module._Decision.plan_b
    monkeypatch.setattr(engine_module._Decision, "plan_b", lambda self: original(self)[:1])
    policy = Policy.from_file(POLICY)
    first, second = prove(policy).counterexample, prove(policy).counterexample
    assert first is not None
    assert first == second
    assert first.now == dt.datetime.fromisoformat("2026-11-23T09:30:00-05:00")


@pytest.mark.slow
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


# -- the windows: an amount granted in one window only ---------------------------------


def _two_windows(cap: str = "3000.00") -> Policy:
    """The example policy with a cap of ``cap`` in any 30 days beside its $3,000 per incident."""
    data = Policy.from_file(POLICY).model_dump(mode="json", exclude_defaults=True)
    data["caps"] = [{"limit": cap, "window": "30d"}]
    return Policy.model_validate(data)


def _small_two_windows() -> Policy:
    """:func:`_two_windows`, cut as :func:`small_policy` cuts a policy (for the tests that prove it several times)."""
    return small_policy(_two_windows().model_dump(mode="json", exclude_defaults=True))


@pytest.mark.slow  # a whole proof, several times: seconds
def test_a_policy_with_a_cap_of_another_window_is_proved_in_that_window_alone_too() -> None:
    one = small_policy(Policy.from_file(POLICY).model_dump(mode="json", exclude_defaults=True))
    two = _small_two_windows()
    assert grant_windows(one) == [None]
    assert grant_windows(two) == [None, Window.parse("incident"), Window.parse("30d")]
    assert two.windows == (Window.parse("incident"), Window.parse("30d"))  # the policy's own first, each once
    assert one.windows == (Window.parse("incident"),)
    planned = slices(two)
    assert len(planned) == 3 * len(slices(one))
    alone = [part for part in planned if part.window == Window.parse("30d")]
    assert len(alone) == len(planned) // 3
    part = alone[0]
    assert part.granted_money(12_345, "USD") == {
        Window.parse("incident"): Money("0.00", "USD"),
        Window.parse("30d"): Money("123.45", "USD"),
    }
    assert planned[0].granted_money(12_345, "USD") == Money("123.45", "USD")
    assert prove(two).holds


def _ignoring_the_30_day_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Break the engine: every cap counts the amount granted in the policy's own window, whatever its window."""
    monkeypatch.setattr(engine_module._Decision, "cap_before", lambda self, cap: self.before_money)


@pytest.mark.slow  # a whole proof, several times: seconds
def test_an_engine_ignoring_a_cap_of_the_same_limit_in_another_window_is_found(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Both caps $3,000: with one amount in every window the broken engine decides every region right."""
    policy = _small_two_windows()
    _ignoring_the_30_day_cap(monkeypatch)
    found = prove(policy).counterexample
    assert found is not None
    assert found.window == Window.parse("30d")
    assert found.outcome is not Outcome.DENIED  # over the 30-day cap, yet approved or escalated
    assert any("is refused or over the cap, but the outcome is" in violation for violation in found.violations)
    assert "already granted in the 30d window only (none in incident)" in found.granted_words()
    given = found.granted_per_window
    assert isinstance(given, dict)
    assert given[Window.parse("incident")] == Money("0.00", "USD")
    assert given[Window.parse("30d")] == found.granted

    # The command line prints it, and the command it prints decides it with the same amounts per window.
    file = tmp_path / "policy.json"
    file.write_text(policy.model_dump_json(), encoding="utf-8")
    saved = tmp_path / "counterexample.json"
    result = run(capsys, "prove", str(file), "--save", str(saved))
    assert result.code == 1
    assert "× 3 grant windows" in result.out
    assert f"{found.granted_words()}, at " in result.out
    command = result.out.splitlines()[-1].strip()
    assert f"--granted incident=0.00 --granted 30d={found.granted.amount}" in command.replace("'", "").replace(
        " USD", ""
    )
    broken = run(capsys, *shlex.split(command)[1:], "--json")
    assert Resolution.model_validate_json(broken.out).outcome is found.outcome
    monkeypatch.undo()
    fixed = run(capsys, *shlex.split(command)[1:], "--json")
    assert fixed.code == 0
    assert Resolution.model_validate_json(fixed.out).outcome is Outcome.DENIED

    _ignoring_the_30_day_cap(monkeypatch)  # the policy holds with the engine fixed: proved in the test above
    broken_proof = run(capsys, "prove", str(file), "--json")
    assert broken_proof.code == 1  # a promise breaks: exit 1, with --json as without
    as_json = json.loads(broken_proof.out)
    assert as_json["holds"] is False
    assert as_json["shape"]["grant_windows"] == ["all", "incident", "30d"]
    assert as_json["counterexample"]["window"] == "30d"
    assert as_json["counterexample"]["granted"] == str(found.granted)


@pytest.mark.slow
def test_a_single_window_policy_shows_no_grant_windows(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    file = tmp_path / "policy.json"
    file.write_text(small_theme_park().model_dump_json(), encoding="utf-8")
    result = run(capsys, "prove", str(file))
    assert result.code == 0
    assert "grant windows" not in result.out
    assert json.loads(run(capsys, "prove", str(file), "--json").out)["shape"]["grant_windows"] == ["all"]


@settings(max_examples=examples(40))
@given(data=st.data())
def test_points_of_one_window_decide_like_their_regions_point(data: st.DataObject) -> None:
    """Soundness in a sweep of one window: the amount asked meets the other windows' caps and the levels' limits."""
    cap = data.draw(st.sampled_from(["3000.00", "600.00", "180.00", "2500.00"]))
    policy = _two_windows(cap)
    part = data.draw(st.sampled_from([part for part in slices(policy) if part.window is not None]))
    granted, asked = data.draw(points(part))
    standing = part.region(granted, asked)
    assert standing in set(part.points())
    assert signature(decide(policy, part, granted, asked)) == signature(decide(policy, part, *standing))


def _decide_files(tmp_path: Path, policy: Policy) -> tuple[Path, Path]:
    """``policy`` and a standard guest's $80 refund complaint, as files for ``recovery-rules decide``."""
    file = tmp_path / "policy.json"
    file.write_text(policy.model_dump_json(), encoding="utf-8")
    complaint = tmp_path / "complaint.json"
    complaint.write_text(
        json.dumps(
            {
                "customer": {"id": "C-1", "tier": "standard"},
                "category": "noise",
                "requested": {"kind": "refund", "amount": "80.00 USD"},
                "received_at": "2026-11-23T09:30:00-05:00",
            }
        ),
        encoding="utf-8",
    )
    return file, complaint


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (["30d=1"], "no amount for the window incident"),
        (["1", "2"], "given 2 times"),
        (["1", "30d=2"], "mixes one amount with WINDOW=AMOUNT"),
        (["week=2", "incident=1"], "'week' is not a window of the policy; its windows are: incident, 30d"),
        (["30d=1", "30d=2", "incident=1"], "gives the window 30d twice"),
        (["30d=-1", "incident=1"], "--granted 30d: must not be negative"),
    ],
)
def test_decide_granted_per_window_is_checked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, given: list[str], message: str
) -> None:
    file, complaint = _decide_files(tmp_path, _two_windows())
    flags = [word for text in given for word in ("--granted", text)]
    result = run(capsys, "decide", "--policy", str(file), str(complaint), "--by", "front_desk", *flags)
    assert result.code == 2
    assert message in result.err


@pytest.mark.parametrize("given", [["incident=1", "incident=2"], ["incident=1 30d=5 incident=2"]])
def test_decide_granted_a_window_twice_says_how_to_fix_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, given: list[str]
) -> None:
    """The same window given twice was refused without saying what to do: give each window once, with the
    total already granted in it."""
    file, complaint = _decide_files(tmp_path, _two_windows())
    flags = [word for text in given for word in ("--granted", text)]
    argv = ["decide", "--policy", str(file), str(complaint), "--by", "front_desk", *flags]
    said = (
        "gives the window incident twice; give each window once, with the total already granted in it "
        "(--granted incident=AMOUNT)"
    )
    result = run(capsys, *argv)
    assert result.code == 2
    assert result.err == f"Error: --granted: {said}\n"
    document = json.loads(run(capsys, *argv, "--json").out)
    assert document["error"]["problems"] == [{"location": "--granted", "line": None, "column": None, "message": said}]


def test_decide_granted_per_window_decides_with_each_windows_amount(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    file, complaint = _decide_files(tmp_path, _two_windows("1000.00"))
    base = ["decide", "--policy", str(file), str(complaint), "--by", "front_desk", "--json"]
    fits = run(capsys, *base, "--granted", "incident=0", "--granted", "30d=900.00")
    assert Resolution.model_validate_json(fits.out).outcome is Outcome.APPROVED
    over = run(capsys, *base, "--granted", "30d=950.00", "--granted", "incident=0")  # in any order
    assert Resolution.model_validate_json(over.out).outcome is Outcome.DENIED
    everywhere = run(capsys, *base, "--granted", "950.00")
    assert Resolution.model_validate_json(everywhere.out).outcome is Outcome.DENIED


# -- the moments: time-dependent promises ----------------------------------------------


def test_the_moments_cover_the_business_hours_and_the_clock_changes() -> None:
    policy = presets.load("ritz-carlton")  # open 07:00-22:00 in New York; callbacks within 2 and 15 hours
    found = moments(policy)
    assert found == sorted(found, key=lambda moment: moment.astimezone(dt.UTC))
    assert len(found) == len({moment.astimezone(dt.UTC) for moment in found})
    assert all(moment.tzinfo == ZoneInfo("America/New_York") for moment in found)
    shown = {moment.strftime("%Y-%m-%d %H:%M") for moment in found}
    assert {"2026-11-23 06:59", "2026-11-23 07:00", "2026-11-23 21:59", "2026-11-23 22:00"} <= shown
    assert {"2026-11-29 00:00", "2026-11-29 23:59", "2026-11-29 20:00"} <= shown  # 22:00 less 2 hours
    # The clock changes of the year after: 14 March 2027 (02:00 is skipped) and 7 November 2027.
    changes = [moment for moment in found if moment.month in (3, 11) and moment.year == 2027]
    assert {"2027-03-14 03:00", "2027-03-14 01:59", "2027-11-07 01:00"} <= {
        moment.strftime("%Y-%m-%d %H:%M") for moment in changes
    }
    for date in ("2027-03-14", "2027-11-07"):  # the day of each change opens and closes as every day does
        assert {f"{date} 06:59", f"{date} 07:00", f"{date} 21:59", f"{date} 22:00"} <= shown, date
    assert default_now(policy) not in found  # the regions were decided there already


def test_the_moments_hold_each_clock_change_and_the_minutes_either_side() -> None:
    """New York's clocks change at 07:00 UTC on 14 March 2027 and at 06:00 UTC on 7 November 2027: the instant of
    each change is a moment, with the minute before it and the minute after it."""
    found = {moment.astimezone(dt.UTC) for moment in moments(presets.load("ritz-carlton"))}
    for change in (dt.datetime(2027, 3, 14, 7, 0, tzinfo=dt.UTC), dt.datetime(2027, 11, 7, 6, 0, tzinfo=dt.UTC)):
        minute = dt.timedelta(minutes=1)
        assert {change - minute, change, change + minute} <= found, change


@pytest.mark.slow
def test_an_engine_late_only_at_night_is_found_at_another_moment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    policy = small_theme_park()
    assert prove(policy).moments == len(moments(policy))
    late_at_night(monkeypatch)
    proof = prove(policy)
    found = proof.counterexample
    assert found is not None
    assert proof.regions == sum(sum(1 for _ in part.points()) for part in slices(policy)), "every region held"
    assert found.now.astimezone(ZoneInfo(policy.timezone)).hour >= 21
    assert found.complaint.received_at == found.now
    assert found.outcome is Outcome.ESCALATED
    assert any("business hours" in violation for violation in found.violations)

    file = tmp_path / "policy.json"
    file.write_text(policy.model_dump_json(), encoding="utf-8")
    saved = tmp_path / "counterexample.json"
    result = run(capsys, "prove", str(file), "--save", str(saved))
    assert result.code == 1
    assert f"all {proof.regions:,} regions hold at the first moment; counterexample at another of the" in result.out
    command = result.out.splitlines()[-1].strip()
    assert f"--now {found.now.isoformat()}" in command
    monkeypatch.undo()
    rerun = run(capsys, *shlex.split(command)[1:], "--json")
    resolution = Resolution.model_validate_json(rerun.out)
    assert resolution.decided_at == found.now
    assert resolution.outcome is Outcome.ESCALATED


@pytest.mark.slow
def test_an_engine_adding_callback_hours_on_the_wall_clock_is_found_at_a_clock_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without business hours a callback is ``callback_within`` after the decision in absolute time: an engine
    that adds it on the wall clock is wrong only across a clock change."""
    policy = small_policy(Policy.from_file(POLICY).model_dump(mode="json", exclude_defaults=True))
    assert policy.business_hours is None
    original = engine_module.decide

    def on_the_wall(compiled: Any, complaint: Complaint, *args: Any, **kwargs: Any) -> Resolution:
        resolution = original(compiled, complaint, *args, **kwargs)
        if resolution.callback_by is None or resolution.escalate_to is None:
            return resolution
        within = policy.level(resolution.escalate_to).callback_within
        assert within is not None
        wall = resolution.decided_at.astimezone(compiled.zone).replace(tzinfo=None) + within
        return resolution.model_copy(update={"callback_by": wall.replace(tzinfo=compiled.zone).astimezone(dt.UTC)})

    monkeypatch.setattr(policy_module, "decide", on_the_wall)
    found = prove(policy).counterexample
    assert found is not None
    assert found.now.year == 2027
    assert any("in absolute time" in violation for violation in found.violations), found.violations


def test_an_engine_numbering_complaints_by_the_utc_date_is_found_in_the_evening(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A complaint is filed under the business's date, in the policy's time zone: in New York after 19:00 in
    winter, the date in UTC is already the next day."""
    policy = small_theme_park()
    original = engine_module.decide

    def by_utc_date(compiled: Any, complaint: Complaint, *args: Any, **kwargs: Any) -> Resolution:
        resolution = original(compiled, complaint, *args, **kwargs)
        day = complaint.received_at.astimezone(dt.UTC).date()
        number = ComplaintNumber(day, complaint.customer.id)
        return resolution.model_copy(update={"complaint_number": number})

    monkeypatch.setattr(policy_module, "decide", by_utc_date)
    found = prove(policy).counterexample
    assert found is not None
    local = found.now.astimezone(ZoneInfo(policy.timezone))
    assert local.date() != found.now.astimezone(dt.UTC).date()
    assert any("complaint_number is" in violation for violation in found.violations), found.violations


@pytest.mark.slow
def test_an_engine_ignoring_the_policys_own_window_in_amounts_per_window_is_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A case decides with an amount per window on a policy with stacked caps: an engine that reads the policy's
    own window as nothing granted then approves beyond authority, and only the sweep of that window alone says so."""
    policy = _small_two_windows()
    original = engine_module.decide

    def forgetting(compiled: Any, complaint: Complaint, by: str, granted: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(granted, dict):
            granted = {**granted, Window.parse("incident"): Money("0.00", "USD")}
        return original(compiled, complaint, by, granted, *args, **kwargs)

    monkeypatch.setattr(policy_module, "decide", forgetting)
    found = prove(policy).counterexample
    assert found is not None
    assert found.window == Window.parse("incident")
    assert found.outcome is Outcome.APPROVED
    assert "already granted in the incident window only (none in 30d)" in found.granted_words()


def test_where_the_room_left_in_the_window_swept_meets_the_others_is_a_threshold() -> None:
    """front_desk may grant $100 a standard guest an incident; the 30-day cap is $1,000: in the 30-day sweep, what
    is left to grant is the cap's room from $900 granted on, the level's before (the Plan B's sentence says which)."""
    policy = _two_windows("1000.00")
    part = next(
        part
        for part in slices(policy)
        if part.window == Window.parse("30d") and part.by == "front_desk" and part.tier == "standard"
    )
    assert (90_000, 90_000) in part.granted
    below, above = decide(policy, part, 80_000, 1_000), decide(policy, part, 95_000, 1_000)
    assert part.region(80_000, 1_000) != part.region(95_000, 1_000)
    assert [entry.message for entry in below.trace] != [entry.message for entry in above.trace]


def test_the_earliest_now_allowed_is_accepted() -> None:
    """``now`` may be as early as 1900-01-03 in UTC, the first moment allowed included."""
    found = moments(Policy.model_validate(policy_data()), dt.datetime(1900, 1, 3, tzinfo=dt.UTC))
    assert found
    assert found[0] > dt.datetime(1900, 1, 2, tzinfo=dt.UTC)


def test_the_moments_are_in_time_order_when_the_clocks_go_back() -> None:
    found = moments(presets.load("ritz-carlton"))
    instants = [moment.astimezone(dt.UTC) for moment in found]
    assert instants == sorted(instants)
    back = [moment for moment in found if moment.date() == dt.date(2027, 11, 7) and moment.hour == 1]
    assert [moment.fold for moment in back] == sorted(moment.fold for moment in back)  # the first 1:00 first
    assert len(back) >= 3


@pytest.mark.slow  # a whole proof, several times: seconds
def test_a_dimension_of_one_is_said_in_the_singular(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = Policy.from_file(POLICY).model_dump(mode="json", exclude_defaults=True)
    for level in data["levels"]:
        level.pop("tier_limits", None)
    data["categories"] = []
    file = tmp_path / "policy.json"
    file.write_text(json.dumps(data), encoding="utf-8")
    result = run(capsys, "prove", str(file))
    assert "3 levels × 1 tier × 6 remedy kinds × " in result.out


def test_decide_takes_several_windows_in_one_granted(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    file, complaint = _decide_files(tmp_path, _two_windows("1000.00"))
    base = ["decide", "--policy", str(file), str(complaint), "--by", "front_desk", "--json"]
    for option in ("incident=0 30d=950.00", "incident=0.00 USD 30d=950.00 USD", "30d=950;incident=0"):
        answer = run(capsys, *base, "--granted", option)
        assert Resolution.model_validate_json(answer.out).outcome is Outcome.DENIED, option


# -- --save: refused before the work when it cannot be written; the counterexample never lost ---------------


def _not_proved(*arguments: object, **options: object) -> None:
    raise AssertionError("the proof ran: --save should have been refused before")


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (
            "no/such/folder/counterexample.json",
            "--save: there is no folder {tmp}/no/such/folder to save the counterexample in; ",
        ),
        ("file.txt/counterexample.json", "--save: {tmp}/file.txt is not a folder; give a file in a folder that "),
        (".", "--save: {tmp}/. is a directory; give the file to write the counterexample to"),
    ],
    ids=["missing-folder", "file-as-folder", "directory"],
)
def test_a_save_that_cannot_be_written_is_refused_before_the_proof(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, where: str, message: str
) -> None:
    """Before, a file in a folder that does not exist was found out only after the whole proof, and the
    counterexample it found was lost (only "Error: --save: cannot write ..." was printed)."""
    (tmp_path / "file.txt").write_text("", encoding="utf-8")
    monkeypatch.setattr("recovery_rules.cli._verbs.prove.prove", _not_proved)
    for extra in ((), ("--json",)):
        result = run(capsys, "prove", POLICY, "--save", f"{tmp_path}/{where}", *extra)
        assert result.code == 2, result.err
        assert result.err.startswith("Error: " + message.format(tmp=tmp_path)), result.err
    assert json.loads(result.out)["error"]["problems"][0]["location"] == "--save"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file.txt"]


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_save_is_refused_as_empty_not_as_a_directory(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, empty: str
) -> None:
    """Before: "--save:  is a directory" (an empty name is the current folder), which did not say what was wrong."""
    monkeypatch.setattr("recovery_rules.cli._verbs.prove.prove", _not_proved)
    result = run(capsys, "prove", POLICY, "--save", empty)
    assert result.code == 2, result.err
    assert result.err.startswith(
        "Error: --save: the file name is empty; give the file to write the counterexample to "
        "(--save counterexample.json)"
    ), result.err


def _one_cent_beyond(monkeypatch: pytest.MonkeyPatch) -> None:
    misjudge_limits(monkeypatch, lambda limit: limit + Decimal("0.01"))


def test_a_counterexample_that_cannot_be_saved_is_shown_before_the_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What only writing tells (here a name too long for the file system; a full disk alike) comes after the
    proof: the counterexample is printed, its command naming counterexample.json, then the error (exit 2)."""
    _one_cent_beyond(monkeypatch)
    save = str(tmp_path / ("c" * 300 + ".json"))
    result = run(capsys, "prove", POLICY, "--save", save)
    assert result.code == 2, result.err
    assert "- approved 250.01 for 'refund' beyond front_desk's authority" in result.out
    assert "the complaint (save it as counterexample.json):" in result.out
    complaint = json.loads(result.out[result.out.index("{") : result.out.rindex("}") + 1])
    assert complaint["requested"] == {"kind": "refund", "amount": "250.01 USD"}
    command = shlex.split(result.out.splitlines()[-1])
    assert command[:5] == ["recovery-rules", "decide", "--policy", POLICY, "counterexample.json"]
    assert result.err.startswith(f"Error: --save: cannot write {save}: File name too long; "), result.err
    assert "the counterexample is shown with this error: save its complaint by hand" in result.err

    as_json = run(capsys, "prove", POLICY, "--save", save, "--json")
    assert as_json.code == 2
    error = json.loads(as_json.out)["error"]  # one object: the error, with the counterexample in it
    assert error["exit_code"] == 2
    assert error["problems"][0]["location"] == "--save"
    assert error["counterexample"]["complaint"] == complaint
    assert error["counterexample"]["command"] == shlex.join(command)
    assert list(tmp_path.iterdir()) == []
