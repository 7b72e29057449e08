"""The Plan B fits the situation: the category's own alternatives first, then free ones, then the closest in value.

Issue 13 §2. The ranking, for the alternatives that apply to a complaint and that the acting level can
authorize now: written for the complaint's category, then for the remedy kind asked, then generic
(``applies_to = ["*"]``); within each, free before paid; value closeness last. And a policy may not promise
fewer than two alternatives with a denial (seed 003: "attempt to offer two alternative solutions").
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery_rules import Outcome, Policy, PolicyError, presets, resolution_violations

from ._cli import POLICY, run
from ._helpers import NOW, complaint, examples, policy_data, usd


def ids(policy: Policy, amount: str, **options: Any) -> list[str]:
    by = options.pop("by", "staff")
    granted = options.pop("granted", None)
    resolution = policy.decide(complaint(amount, **options), by=by, granted=granted, now=NOW)
    assert resolution.outcome is not Outcome.APPROVED, resolution
    assert resolution_violations(policy, complaint(amount, **options), by, granted, resolution, now=NOW) == []
    return [alternative.id for alternative in resolution.alternatives]


def entry(ident: str, kind: str, value: str, applies_to: list[str]) -> dict[str, Any]:
    return {"id": ident, "kind": kind, "description": f"Option {ident}", "value": value, "applies_to": applies_to}


GENERIC_FREE = [
    entry("callback", "callback", "0", ["*"]),
    entry("follow", "follow_up", "0", ["*"]),
    entry("tips", "local_tips", "0", ["*"]),
]


def ranked_policy(*extra: dict[str, Any], **changes: Any) -> Policy:
    """The test policy with these alternatives; its staff may grant credits only, so a refund always escalates."""
    data = policy_data(catalog=[*GENERIC_FREE, *extra], **changes)
    data["levels"][0]["may_grant"] = ["credit"]
    return Policy.model_validate(data)


# -- the retail preset: the out-of-stock Plan B it promises ---------------------------------------------------------


@pytest.mark.parametrize("asked", ["30.00", "49.99", "120.00", "400.00"])
@pytest.mark.parametrize("granted", ["0.00", "45.00", "50.00"])
def test_an_out_of_stock_refund_gets_the_other_branch_the_backorder_callback_and_the_referral(
    retail: Policy, asked: str, granted: str
) -> None:
    """Before: credit, discount and delivery (closest in value), never what the preset promises for the case."""
    assert ids(retail, asked, category="out_of_stock", by="associate", granted=usd(granted)) == [
        "other-branch",
        "backorder-callback",
        "competitor-referral",
    ]


def test_other_categories_of_the_retail_preset_get_their_own_options_first(retail: Policy) -> None:
    # a defective item: the other branch is written for it; then the generic free options, in catalog order
    assert ids(retail, "300.00", category="defective_item", by="associate") == [
        "other-branch",
        "backorder-callback",
        "comparable-item",
    ]
    # a late delivery: free delivery is written for it (paid, and the associate can grant $15 now)
    assert ids(retail, "300.00", category="late_delivery", by="associate") == [
        "free-delivery",
        "backorder-callback",
        "comparable-item",
    ]
    # with nothing left to grant, only the free ones
    late = ids(retail, "300.00", category="late_delivery", by="associate", granted=usd("50.00"))
    assert late == ["backorder-callback", "comparable-item", "follow-up-call"]


def test_the_ritz_offers_the_noisy_rooms_own_options(ritz: Policy) -> None:
    assert ids(ritz, "2500.00", category="noise") == ["late-checkout", "quiet-room-move", "sister-hotel"]
    assert ids(ritz, "2500.00", category="lost_item") == [
        "callback-with-answer",
        "concierge-arranges",
        "guest-relations-follow-up",
    ]


# -- each step of the ranking ----------------------------------------------------------------------------------------


def test_the_categorys_own_alternatives_rank_before_generic_ones_even_when_they_cost_something() -> None:
    policy = ranked_policy(entry("lounge", "lounge", "60", ["room_not_ready"]))
    assert ids(policy, "500.00") == ["lounge", "callback", "follow"]
    # another category does not get it
    assert ids(policy, "500.00", category="out_of_stock") == ["callback", "follow", "tips"]


def test_the_remedy_kinds_own_alternatives_come_between_the_categorys_and_the_generic_ones() -> None:
    policy = ranked_policy(
        entry("cheque", "cheque", "0", ["refund"]),
        entry("lounge", "lounge", "0", ["room_not_ready"]),
    )
    assert ids(policy, "500.00") == ["lounge", "cheque", "callback"]
    assert ids(policy, "500.00", kind="credit") == ["lounge", "callback", "follow"]
    assert ids(policy, "500.00", category="out_of_stock") == ["cheque", "callback", "follow"]


def test_free_alternatives_come_before_paid_ones_within_a_rank() -> None:
    policy = ranked_policy(
        entry("dinner", "dinner", "80", ["room_not_ready"]),
        entry("lounge", "lounge", "0", ["room_not_ready"]),
        entry("spa", "spa", "90", ["*"]),
    )
    # the $80 dinner is the closest to the $90 asked, and the lounge is free: the lounge first
    assert ids(policy, "90.00") == ["lounge", "dinner", "callback"]


def test_value_closeness_decides_last() -> None:
    policy = ranked_policy(
        entry("drink", "drink", "15", ["room_not_ready"]),
        entry("dinner", "dinner", "80", ["room_not_ready"]),
        entry("spa", "spa", "60", ["room_not_ready"]),
        min_alternatives=2,
    )
    assert ids(policy, "90.00") == ["dinner", "spa"]
    assert ids(policy, "20.00") == ["drink", "spa"]
    # of two equally close, the cheaper
    assert ids(policy, "70.00") == ["spa", "dinner"]
    assert ids(policy, "37.50") == ["drink", "spa"]
    # within what the staff may still grant: $30 of its $100
    assert ids(policy, "90.00", granted=usd("70.00")) == ["drink", "callback"]


def test_only_what_the_acting_level_can_authorize_now_is_offered() -> None:
    policy = ranked_policy(entry("suite", "upgrade", "400", ["room_not_ready"]))
    assert ids(policy, "500.00") == ["callback", "follow", "tips"]  # staff may grant $100
    assert ids(policy, "5000.00", by="manager") == ["suite", "callback", "follow"]  # the manager may grant $2,000


def test_an_employee_already_past_their_limit_has_nothing_left_to_grant_not_less_than_nothing() -> None:
    """$150 granted this incident (by a manager) is past the staff's $100: the staff may still offer the free
    alternatives, with $0.00 left to grant, never a negative amount said to the employee."""
    policy = Policy.model_validate(policy_data())
    request = complaint("20.00")
    resolution = policy.decide(request, by="staff", granted=usd("150.00"), now=NOW)
    assert resolution.escalate_to == "supervisor"
    assert [alternative.id for alternative in resolution.alternatives] == ["callback", "follow", "tips"]
    (offered,) = [entry for entry in resolution.trace if entry.rule == "alternatives.offered"]
    assert offered.figures == {"budget": usd("0.00")}
    assert "($0.00 left to grant)" in offered.message
    assert resolution_violations(policy, request, "staff", usd("150.00"), resolution, now=NOW) == []


def test_extra_mile_suggestions_are_the_cheapest_first_not_the_closest_to_what_was_approved() -> None:
    """Suggestions come on top of an approval, so they are ranked as a Plan B for nothing asked: free before paid,
    then the cheapest. With $100 approved, the $15 drink and the $40 spa hour, not the $80 dinner."""
    data = policy_data(min_alternatives=2)
    for option in data["catalog"]:
        if option["id"] in ("drink", "dinner"):  # $15 and $80, for every complaint
            option["extra_mile"] = True
    data["catalog"].append({**entry("spa", "spa", "40", ["*"]), "extra_mile": True})
    policy = Policy.model_validate(data)
    resolution = policy.decide(complaint("100.00"), by="manager", now=NOW)
    assert resolution.approved
    assert [suggestion.id for suggestion in resolution.suggestions] == ["drink", "spa"]


def test_an_alternative_written_for_a_category_and_for_everything_ranks_as_the_categorys() -> None:
    policy = ranked_policy(entry("backorder", "backorder", "0", ["out_of_stock", "*"]))
    assert ids(policy, "500.00", category="out_of_stock") == ["backorder", "callback", "follow"]
    assert ids(policy, "500.00", category="room_not_ready") == ["callback", "follow", "tips"]
    assert ids(policy, "500.00", category="room_not_ready", by="manager", granted=usd("4900.00"))[:3] == [
        "callback",
        "follow",
        "tips",
    ]


def test_distinct_kinds_keep_the_best_ranked_of_each_kind() -> None:
    policy = ranked_policy(entry("branch-callback", "callback", "0", ["room_not_ready"]))
    assert ids(policy, "500.00") == ["branch-callback", "follow", "tips"]


@settings(max_examples=examples(60), deadline=None)
@given(
    asked=st.integers(1, 400).map(lambda cents: f"{cents * 5}.00"),
    granted=st.integers(0, 30).map(lambda cents: f"{cents * 5}.00"),
    category=st.sampled_from(["out_of_stock", "defective_item", "late_delivery", "billing_error", "unheard_of"]),
    kind=st.sampled_from(["refund", "exchange", "discount", "price_match"]),
    by=st.sampled_from(["associate", "supervisor", "store_manager"]),
)
def test_the_retail_plan_b_always_puts_the_categorys_free_options_first(  # noqa: PLR0917 - hypothesis passes what it draws by keyword
    retail: Policy, asked: str, granted: str, category: str, kind: str, by: str
) -> None:
    ask = complaint(asked, category=category, kind=kind)
    resolution = retail.decide(ask, by=by, granted=usd(granted), now=NOW)
    if resolution.outcome is Outcome.APPROVED:
        return
    assert resolution_violations(retail, ask, by, usd(granted), resolution, now=NOW) == []
    own_free = [
        alternative.id
        for alternative in retail.catalog
        if category in alternative.applies_to and alternative.value.amount == Decimal(0)
    ]
    offered = [alternative.id for alternative in resolution.alternatives]
    assert offered[: len(own_free)] == own_free[: retail.min_alternatives]


# -- at least two alternatives -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [1, 0, -2])
def test_fewer_than_two_alternatives_does_not_load(value: int) -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.model_validate(policy_data(min_alternatives=value))
    (problem,) = caught.value.problems
    assert problem.location == "min_alternatives"
    assert problem.message.startswith(f"must be at least 2, not {value}: a denial always offers the customer")
    assert "set min_alternatives = 2 or more" in problem.message


def test_fewer_than_two_alternatives_in_a_policy_file_does_not_load(tmp_path: Path) -> None:
    text = presets.path("retail").read_text(encoding="utf-8")
    written = tmp_path / "policy.toml"
    written.write_text(text.replace("min_alternatives = 3", "min_alternatives = 1"), encoding="utf-8")
    with pytest.raises(PolicyError, match="min_alternatives: must be at least 2, not 1"):
        Policy.from_file(written)
    written.write_text(text.replace("min_alternatives = 3", "min_alternatives = 2"), encoding="utf-8")
    assert Policy.from_file(written).min_alternatives == 2


def test_the_json_schema_says_at_least_two() -> None:
    schema = Policy.model_json_schema()["properties"]["min_alternatives"]
    assert schema["minimum"] == 2
    assert schema["maximum"] == 20


def test_two_alternatives_is_the_least_and_a_denial_carries_both() -> None:
    policy = ranked_policy(min_alternatives=2)
    assert ids(policy, "9000.00") == ["callback", "follow"]


def test_check_says_where_and_why_fewer_than_two_alternatives_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = Path(POLICY).read_text(encoding="utf-8")
    written = tmp_path / "policy.toml"
    written.write_text(text.replace("min_alternatives = 3", "min_alternatives = 1"), encoding="utf-8")
    result = run(capsys, "check", str(written))
    assert result.code == 1
    assert result.out.splitlines() == [
        f"{written}:12:1: min_alternatives: must be at least 2, not 1: a denial always offers the customer at least "
        'two alternatives ("attempt to offer two alternative solutions"); set min_alternatives = 2 or more (the '
        "default, 3, also keeps a final back-up offer)",
        f"{written}: 1 problem; the policy does not load",
    ]


@pytest.mark.parametrize("name", presets.NAMES)
def test_the_presets_promise_at_least_two(name: str) -> None:
    assert presets.load(name).min_alternatives >= 2


# -- holes hand mutation testing of the decision engine found (mut183, 2026-12-07) -----------------------------------


def test_closeness_is_to_the_amount_asked_not_to_the_total_with_what_was_granted_before() -> None:
    """$30 asked with $20 already granted ($50 in total): the $30 drink is the closest to what was asked, before
    the $50 spa hour. The bug it catches: closeness measured to the total (granted + asked)."""
    policy = ranked_policy(
        entry("spa", "spa", "50", ["room_not_ready"]),
        entry("drink", "drink", "30", ["room_not_ready"]),
        min_alternatives=2,
    )
    assert ids(policy, "30.00", granted=usd("20.00")) == ["drink", "spa"]
    assert ids(policy, "50.00") == ["spa", "drink"]
