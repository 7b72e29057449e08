"""Who may grant what, who is named, and what a resolution may hold: holes hand mutation testing of the decision's
authority rules found (2026-12-07).

Each test's docstring names the small, realistic bug it catches, which every other (non-slow) test let pass: a
tier's limit ignored in one place, the lowest level that could grant it confused with the level escalated to, a
cap's figures counted in the policy's window, a resolution's rule left unchecked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from recovery_rules import (
    InvalidInputError,
    Outcome,
    Policy,
    Resolution,
    TraceEntry,
    resolution_violations,
    say,
)

from ._helpers import NOW, complaint, policy_data, usd


def hotel(**changes: object) -> Policy:
    """The tests' hotel: staff $100 (gold $300), supervisor $500 (gold $800), manager $2,000, owner unlimited;
    $5,000 per incident; denials delivered by the manager."""
    return Policy.model_validate(policy_data(**changes))


def entries(resolution: Resolution, rule: str) -> list[TraceEntry]:
    return [entry for entry in resolution.trace if entry.rule == rule]


# -- who could grant it ----------------------------------------------------------------------------------------------


def test_an_approval_names_the_lowest_level_that_could_have_granted_it() -> None:
    """The bug it catches: an approval's ``grantable_by`` set to the level that approved it, not the lowest that
    could have."""
    resolution = hotel().decide(complaint("50.00"), by="manager", now=NOW)
    assert resolution.outcome is Outcome.APPROVED
    assert resolution.authorized_by == "manager"
    assert resolution.grantable_by == "staff"  # $50.00 is within staff's $100.00


def test_an_escalation_past_a_level_that_may_not_grant_the_kind_names_the_lower_level_that_could() -> None:
    """The bug it catches: an escalation's ``grantable_by`` set to the level it goes to. A supervisor who may
    not grant refunds escalates a $50.00 refund to the manager, but staff could grant it."""
    data = policy_data()
    data["levels"][1]["may_grant"] = ["voucher"]
    resolution = Policy.model_validate(data).decide(complaint("50.00"), by="supervisor", now=NOW)
    assert resolution.outcome is Outcome.ESCALATED
    assert resolution.escalate_to == "manager"  # escalation goes up, never down
    assert resolution.grantable_by == "staff"


# -- a tier's limits, everywhere they are named ----------------------------------------------------------------------


def test_an_escalations_trace_names_the_targets_limit_for_the_guests_tier() -> None:
    """The bug it catches: the escalation entry's ``limit`` figure is the target's default limit ($500.00), not
    its limit for the guest's tier ($800.00 for gold), though the decision went by the latter. (The rest of the
    suite caught it only through a stored journal's hash, which any change of any stored word breaks.)"""
    resolution = hotel().decide(complaint("400.00", tier="gold"), by="staff", now=NOW)
    assert resolution.escalate_to == "supervisor"
    (escalation,) = entries(resolution, "escalation.path")
    assert dict(escalation.figures) == {"total": usd("400.00"), "limit": usd("800.00")}


def test_a_denial_names_the_most_any_level_may_grant_a_guest_of_that_tier() -> None:
    """The bug it catches: the "most any level may grant" in a denial's reason is the top level's default limit,
    not its limit for the guest's tier."""
    data = policy_data()
    data["levels"] = data["levels"][:3]  # the manager is the top: $2,000, $3,000 for gold guests
    data["levels"][2]["tier_limits"] = {"gold": "3000.00"}
    policy = Policy.model_validate(data)
    gold = policy.decide(complaint("4000.00", tier="gold"), by="staff", now=NOW)
    assert gold.outcome is Outcome.DENIED
    assert gold.reason.endswith("the most any level may grant this guest is $3,000.00")
    standard = policy.decide(complaint("4000.00"), by="staff", now=NOW)
    assert standard.reason.endswith("the most any level may grant this guest is $2,000.00")


def test_a_denial_names_the_most_when_one_level_alone_may_grant_the_kind() -> None:
    """The bug it catches: the "most any level may grant" left out when a single level may grant the kind (the
    ladder of one was taken for no ladder)."""
    data = policy_data(denials_delivered_by="supervisor")
    data["levels"] = data["levels"][:2]
    data["levels"][1]["may_grant"] = ["voucher"]  # refunds: staff alone, up to $100.00
    resolution = Policy.model_validate(data).decide(complaint("200.00"), by="staff", now=NOW)
    assert resolution.outcome is Outcome.DENIED
    assert resolution.reason == (
        "no one here can grant $200.00 for 'refund'; the most any level may grant this guest is $100.00"
    )


def owner_barred_from_refunds() -> Policy:
    """The tests' hotel without a cap, an unlimited manager, and an owner who may not grant refunds."""
    data = policy_data(hard_cap=None)
    data["levels"][2]["limit"] = "unlimited"
    data["levels"][3]["may_grant"] = ["voucher", "credit"]
    return Policy.model_validate(data)


def test_a_denial_by_a_level_barred_from_the_kind_says_a_level_below_may_grant_it() -> None:
    """The owner may not grant refunds, the manager and staff below may, and no level above the owner can: the
    refund is denied (escalation goes up only), and the reason says so. It used to say "no one here can grant
    $100.00", which the resolution's own ``grantable_by`` contradicted."""
    resolution = owner_barred_from_refunds().decide(complaint("100.00"), by="owner", now=NOW)
    assert resolution.outcome is Outcome.DENIED
    assert resolution.grantable_by == "staff"
    assert resolution.reason == "owner may not grant 'refund', and no level above may; staff can grant $100.00"
    assert [(entry.rule, entry.passed) for entry in resolution.trace if not entry.passed] == [
        ("authority.kind", False),
        ("escalation.path", False),
    ]


def test_a_level_barred_from_the_kind_tells_the_customer_no_one_above_it_can_approve_it() -> None:
    """Not "more than anyone here is able to approve": staff could."""
    policy = owner_barred_from_refunds()
    resolution = policy.decide(complaint("100.00"), by="owner", now=NOW)
    said = say(resolution, policy)
    assert "because I'm not able to approve it, and neither is anyone above me." in said
    assert "anyone here" not in said


def test_a_denial_beyond_every_level_that_may_grant_the_kind_still_says_no_one_here_can() -> None:
    """The same barred owner, asked for more than any level may grant a guest: then no one here can, truly, and
    the reason names the most any level may grant."""
    data = policy_data(hard_cap=None)
    data["levels"][3]["may_grant"] = ["voucher", "credit"]  # refunds: up to the manager's $2,000.00
    policy = Policy.model_validate(data)
    resolution = policy.decide(complaint("2500.00"), by="owner", now=NOW)
    assert resolution.outcome is Outcome.DENIED
    assert resolution.grantable_by is None
    assert resolution.reason == (
        "no one here can grant $2,500.00 for 'refund'; the most any level may grant this guest is $2,000.00"
    )
    assert "more than anyone here is able to approve" in say(resolution, policy)


def test_a_denial_by_a_level_above_every_one_that_may_grant_the_kind_names_no_most_figure() -> None:
    """The bug it catches: the reason names a "most any level may grant" even when a level that may grant the kind
    has no limit (it then shows an infinite amount). Here the owner may not grant refunds, the unlimited manager
    below may, and no level above the owner can."""
    resolution = owner_barred_from_refunds().decide(complaint("2500.00"), by="owner", now=NOW)
    assert resolution.outcome is Outcome.DENIED
    assert "the most any level may grant" not in resolution.reason  # the manager's authority has no most
    assert resolution.grantable_by == "manager"


def test_a_tier_named_with_underscores_is_written_with_spaces_in_the_reasons() -> None:
    """The bug it catches: a level's authority for a tier, written once when the policy is compiled, naming the
    tier as it is spelled in the policy file ("gold_plus guest")."""
    data = policy_data()
    data["levels"][0]["tier_limits"] = {"gold_plus": "300.00"}
    data["levels"][1]["tier_limits"] = {"gold_plus": "800.00"}
    policy = Policy.model_validate(data)
    approved = policy.decide(complaint("250.00", tier="gold_plus"), by="staff", now=NOW)
    assert approved.reason == "$250.00 asked is within staff's authority of $300.00 for a guest of the gold plus tier"
    escalated = policy.decide(complaint("400.00", tier="gold_plus"), by="staff", now=NOW)
    assert escalated.reason == (
        "$400.00 asked is above staff's authority of $300.00 for a guest of the gold plus tier; "
        "supervisor can approve it"
    )


def test_a_verdict_whose_finding_and_escalation_target_disagree_is_never_explained() -> None:
    """The bug it catches: another engine's verdict "no level may grant it" that names an escalation target
    explained as an escalation to that target (the check kept only for an escalation without a target).

    Private imports: the verdict of another engine (``rules=``) is reachable only through the engine's own
    ``decide``; the durable-rules backend always gives a consistent one."""
    from recovery_rules._engine._rules import Finding, Verdict, decide  # noqa: PLC0415 - private, see above
    from recovery_rules._policy._policy import compiled_policy  # noqa: PLC0415 - private, see above

    compiled = compiled_policy(hotel())
    asked = complaint("600.00")

    def engine(verdict: Verdict) -> Callable[[object], Verdict]:
        return lambda _: verdict

    for verdict in (Verdict(Finding.NO_LEVEL, 2, 2), Verdict(Finding.ESCALATED, 2, None)):
        with pytest.raises(AssertionError, match="escalation target"):
            decide(compiled, asked, "staff", now=NOW, rules=engine(verdict))
    agreed = decide(compiled, asked, "staff", now=NOW, rules=engine(Verdict(Finding.ESCALATED, 2, 2)))
    assert agreed == hotel().decide(asked, by="staff", now=NOW)


def test_the_durable_engine_approves_within_the_acting_levels_limit_for_the_guests_tier() -> None:
    """The bug it catches: another engine's approval explained with the acting level's default limit, not its
    limit for the guest's tier (only the slow differential tests met it)."""
    pytest.importorskip("durable_rules_engine")
    from recovery_rules import DurableEngine  # noqa: PLC0415 - needs durable-rules, imported after the skip

    policy = hotel()
    gold = complaint("250.00", tier="gold")  # within staff's $300.00 for gold guests, over their $100.00
    with DurableEngine(policy) as engine:
        durable = engine.decide(gold, by="staff", now=NOW)
    core = policy.decide(gold, by="staff", now=NOW)
    assert durable.outcome is Outcome.APPROVED
    said = "$250.00 asked is within staff's authority of $300.00 for a guest of the gold tier"
    assert durable.reason == core.reason == said
    assert durable == core


# -- the trace: every rule that decided ------------------------------------------------------------------------------


def rules_of(resolution: Resolution) -> list[tuple[str, bool]]:
    return [(entry.rule, entry.passed) for entry in resolution.trace]


def test_an_escalation_and_a_denial_trace_every_rule_that_decided_in_order() -> None:
    """The bugs it catches: a decision beyond the acting level's authority leaving the cap it passed out of its
    trace, a denial over the cap leaving out that the remedy kind is one the policy grants, and a denial's
    delivery entry naming the employee who asked rather than the manager who delivers it."""
    over_cap = hotel().decide(complaint("6000.00"), by="staff", now=NOW)
    assert rules_of(over_cap) == [
        ("remedy.refused", True),
        ("cap.hard", False),
        ("alternatives.offered", True),
        ("delivery", True),
    ]
    assert over_cap.delivered_by == "manager"  # staff asked; the manager tells the guest, and the trace says so
    assert over_cap.trace[-1].message == "manager delivers the news, with the reason and the alternatives"
    escalated = hotel().decide(complaint("600.00"), by="staff", now=NOW)
    assert rules_of(escalated) == [
        ("remedy.refused", True),
        ("cap.hard", True),
        ("limit.authority", False),
        ("escalation.path", True),
        ("delivery", True),
        ("alternatives.offered", True),
    ]
    data = policy_data()
    data["levels"] = data["levels"][:3]  # the manager's $2,000.00 is the most
    denied = Policy.model_validate(data).decide(complaint("3000.00"), by="staff", now=NOW)
    assert rules_of(denied) == [
        ("remedy.refused", True),
        ("cap.hard", True),
        ("limit.authority", False),
        ("escalation.path", False),
        ("alternatives.offered", True),
        ("delivery", True),
    ]


# -- a cap in a window of its own ------------------------------------------------------------------------------------


def test_the_one_cap_in_another_window_than_the_policys_counts_its_figures_in_its_own_window() -> None:
    """The bug it catches: a policy's only cap, counted in another window than the policy's (no ``hard_cap``, one
    of ``caps``), traced the old way: with the totals of the policy's window, and no window named. The decision
    was right; its trace said $300.00 asked was over a cap of $800.00."""
    policy = hotel(hard_cap=None, caps=[{"limit": "800.00", "window": "30d"}])
    granted = {"incident": usd("0.00"), "30d": usd("700.00")}
    within = policy.decide(complaint("50.00"), by="manager", granted=granted, now=NOW)
    over = policy.decide(complaint("300.00"), by="manager", granted=granted, now=NOW)
    assert within.outcome is Outcome.APPROVED
    assert over.outcome is Outcome.DENIED
    for resolution, total, passed, words in (
        (within, "750.00", True, "$750.00 in total ($700.00 already granted + $50.00 asked) is within"),
        (over, "1000.00", False, "$1,000.00 in total ($700.00 already granted + $300.00 asked) is over"),
    ):
        (cap,) = entries(resolution, "cap.hard")
        assert cap.passed is passed
        assert str(cap.window) == "30d"
        assert cap.figures["granted"] == usd("700.00")
        assert cap.figures["total"] == usd(total)
        assert cap.message == f"{words} the per-guest cap of $800.00 in any 30 days"


def test_a_policy_whose_one_cap_is_listed_in_caps_in_its_own_window_holds_the_cap() -> None:
    """The bug it catches: a policy taken as stacked only when its caps count in more than one window, so the only
    cap of a policy without ``hard_cap``, listed in ``caps`` in the policy's own window, was never compared: $900.00
    approved over a cap of $800.00 per incident."""
    policy = hotel(hard_cap=None, caps=[{"limit": "800.00", "window": "incident"}])
    over = policy.decide(complaint("900.00"), by="manager", now=NOW)
    assert over.outcome is Outcome.DENIED
    assert over.reason == "$900.00 asked is over the per-guest cap of $800.00 per incident"
    cumulative = policy.decide(complaint("300.00"), by="supervisor", granted=usd("600.00"), now=NOW)
    assert cumulative.outcome is Outcome.DENIED
    assert cumulative.actor_can_grant == usd("0.00")
    within = policy.decide(complaint("200.00"), by="manager", granted=usd("600.00"), now=NOW)
    assert within.outcome is Outcome.APPROVED  # exactly the cap


# -- the inputs a resolution is judged against ----------------------------------------------------------------------


def test_a_resolution_is_not_judged_against_a_category_a_strict_policy_does_not_list() -> None:
    """The bug it catches: ``resolution_violations`` (``check_inputs``) accepting a category a policy with
    ``strict_categories`` refuses, where ``Policy.decide`` raises; a decision that could not be made was judged."""
    policy = hotel(strict_categories=True)
    resolution = policy.decide(complaint("50.00"), by="staff", now=NOW)
    unlisted = complaint("50.00", category="parking")
    with pytest.raises(InvalidInputError, match="is not one of the policy's categories"):
        policy.decide(unlisted, by="staff", now=NOW)
    with pytest.raises(InvalidInputError, match="is not one of the policy's categories"):
        resolution_violations(policy, unlisted, "staff", None, resolution)
    assert resolution_violations(policy, complaint("50.00"), "staff", None, resolution) == []


def test_a_policy_that_lists_no_categories_decides_any_category_without_a_warning() -> None:
    """The bug it catches: the category check run for a policy that lists none, so every complaint it decides
    carries an "unlisted category" warning (a policy without categories takes any category as its own)."""
    data = policy_data()
    del data["categories"]
    data["catalog"] = [alternative for alternative in data["catalog"] if alternative["applies_to"] == ["*"]]
    policy = Policy.model_validate(data)
    assert policy.categories == ()
    resolution = policy.decide(complaint("50.00", category="anything_at_all"), by="staff", now=NOW)
    assert resolution.outcome is Outcome.APPROVED
    assert "category.listed" not in [entry.rule for entry in resolution.trace]


# -- what a resolution may hold ----------------------------------------------------------------------------------------


def _fields(resolution: Resolution) -> dict[str, Any]:
    return resolution.model_dump()


def test_an_approval_with_an_escalation_target_cannot_be_constructed() -> None:
    """The bug it catches: the approval rule checking only ``authorized_by``, so an approval that also escalates
    was valid."""
    approved = hotel().decide(complaint("50.00"), by="staff", now=NOW)
    with pytest.raises(InvalidInputError, match="an approved resolution names authorized_by and has no escalate_to"):
        Resolution.model_validate({**_fields(approved), "escalate_to": "manager"})
    with pytest.raises(InvalidInputError, match="an approved resolution names authorized_by"):
        approved.model_copy(update={"escalate_to": "manager"})


def test_a_denial_with_an_escalation_target_cannot_be_constructed() -> None:
    """The bug it catches: the denial rule checking only ``authorized_by``, so a denial that also escalates was
    valid."""
    denied = hotel().decide(complaint("6000.00"), by="staff", now=NOW)
    assert denied.outcome is Outcome.DENIED
    with pytest.raises(InvalidInputError, match="a denied resolution has neither authorized_by nor escalate_to"):
        Resolution.model_validate({**_fields(denied), "escalate_to": "owner"})


def test_two_alternatives_of_one_kind_among_others_cannot_be_constructed() -> None:
    """The bug it catches: the distinct-kinds rule counting only a kind repeated more than once over (one pair of
    the same kind among three passed)."""
    denied = hotel().decide(complaint("6000.00"), by="staff", now=NOW)
    first, second, *_ = _fields(denied)["alternatives"]
    assert first["kind"] != second["kind"]
    with pytest.raises(InvalidInputError, match="alternatives must be of distinct kinds"):
        Resolution.model_validate({**_fields(denied), "alternatives": [first, second, first]})


def _changed(model: Any, **fields: object) -> Any:
    """A copy of the frozen ``model`` with ``fields`` set behind its back (``object.__setattr__`` reaches past
    frozen)."""
    copy = model.model_copy()
    for name, value in fields.items():
        object.__setattr__(copy, name, value)
    return copy


def _dollars(amount: str) -> Any:
    """A Money in USD holding ``amount``, set behind its checks' back."""
    money = usd("1.00")
    object.__setattr__(money, "amount", Decimal(amount))
    return money


CHANGED: dict[str, tuple[str, Callable[[Resolution], Resolution], str]] = {
    "a deliverer of None": ("50.00", lambda r: _changed(r, delivered_by=None), "delivered_by: must be a str"),
    "what the actor can grant of NaN": (
        "600.00",
        lambda r: _changed(r, actor_can_grant=_dollars("NaN")),
        "actor_can_grant: must be a finite number",
    ),
    "a naive callback time": (
        "600.00",
        lambda r: _changed(r, callback_by=NOW.replace(tzinfo=None)),
        "callback_by: must be a timezone-aware datetime or None",
    ),
    "an amount asked below zero": (
        "600.00",
        lambda r: _changed(r, remedy=_changed(r.remedy, amount=_dollars("-600.00"))),
        r"remedy\.amount: must not be negative",
    ),
    "alternatives in a list": (
        "600.00",
        lambda r: _changed(r, alternatives=list(r.alternatives)),
        "alternatives: must be a tuple of Alternative, not list",
    ),
}


@pytest.mark.parametrize(("amount", "change", "problem"), CHANGED.values(), ids=CHANGED.keys())
def test_a_resolution_changed_behind_its_back_is_refused_not_worded(
    amount: str, change: Callable[[Resolution], Resolution], problem: str
) -> None:
    """The bug it catches: ``resolution_problems`` leaving out a check of a field that is worded (``delivered_by``,
    ``actor_can_grant``, ``callback_by``, the amount asked, the alternatives), so ``say`` words a value no
    resolution holds, or fails on it. (tests/test_wording_say.py checks the other fields.)"""
    policy = hotel()
    resolution = policy.decide(complaint(amount), by="staff", now=NOW)
    assert say(resolution, policy)  # as decided, it is worded
    with pytest.raises(InvalidInputError, match=problem):
        say(change(resolution), policy)


# -- holes hand mutation testing of the decision engine found (mut183, 2026-12-07) -----------------------------------


def test_an_escalation_promises_the_callback_of_the_level_it_goes_to_not_the_acting_levels() -> None:
    """The bug it catches: the callback promised within the acting level's ``callback_within`` (the supervisor's
    hour), not that of the level the case goes to (the manager's four hours)."""
    resolution = hotel().decide(complaint("900.00"), by="supervisor", now=NOW)
    assert resolution.escalate_to == "manager"
    assert resolution.callback_by == NOW + dt.timedelta(hours=4)


def test_with_the_hard_cap_alone_the_plan_b_line_keeps_its_words_and_names_no_cap() -> None:
    """A policy whose one cap is ``hard_cap`` words the Plan B line as every release before stacked caps did, even
    when the cap, not the level's own authority, bounds what is left (the unlimited owner). The bug it catches:
    the stacked caps' wording ("left to grant under the per-guest cap of ...") used for a lone hard cap."""
    denied = hotel().decide(complaint("600.00"), by="owner", granted=usd("4900.00"), now=NOW)
    assert denied.outcome is Outcome.DENIED
    assert denied.actor_can_grant == usd("100.00")
    (offered,) = entries(denied, "alternatives.offered")
    assert "owner can authorize now ($100.00 left to grant):" in offered.message
