"""Promises of the policy pages (the policy file reference, writing a policy file, caps and escalation, limits per
tier, business hours, the Plan B catalog) and of the policy's docstrings, at the edges their examples do not show."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery_rules import Complaint, Customer, Money, Outcome, Policy, Remedy

from ._helpers import NOW, complaint, examples, policy_data

# -- the revision -------------------------------------------------------------------------------------------------


def test_a_level_title_written_as_its_default_keeps_the_policy_revision() -> None:
    """The reference: a level's ``title`` defaults to "the name, with spaces"; ``Policy.revision``: the same policy has
    the same revision "whether settings at their defaults are written out or left out". A level ``general_manager``
    titled ``"general manager"`` decides and says exactly what one left untitled does."""
    untitled = policy_data()
    untitled["levels"][3] = {"name": "general_manager", "limit": "unlimited", "callback_within": "1d"}
    titled = policy_data()
    titled["levels"][3] = {**untitled["levels"][3], "title": "general manager"}
    left_out, written = Policy.model_validate(untitled), Policy.model_validate(titled)
    assert [level.display_name for level in written.levels] == [level.display_name for level in left_out.levels]
    request = complaint("9000.00")
    assert written.decide(request, by="general_manager", now=NOW) == left_out.decide(
        request, by="general_manager", now=NOW
    ).model_copy(update={"policy_revision": written.revision})  # the same decision, but for the revision it records
    assert written.revision == left_out.revision


def test_a_policy_with_caps_hours_closed_dates_and_a_personal_call_reads_back_from_its_json_text() -> None:
    """``Policy``: "equal policies hash equal, and so does a policy read back from its file or JSON form"; the JSON
    it dumps is a policy file ``from_text(format="json")`` reads, closed dates (kept sorted) and all."""
    policy = Policy.model_validate(
        policy_data(
            timezone="Europe/Berlin",
            caps=[
                {"limit": "4000.00", "window": "30d", "label": "30-day guest cap"},
                {"limit": "3000", "window": "day"},
            ],
            business_hours={"default": "07:00-22:00", "sunday": "closed", "closed": ["2026-12-24", "--12-25"]},
            personal_call_within="4h",
        )
    )
    assert policy.business_hours is not None
    assert policy.business_hours.closed == ("--12-25", "2026-12-24")
    again = Policy.from_text(policy.model_dump_json(), format="json")
    assert again == policy
    assert again.revision == policy.revision
    assert hash(again) == hash(policy)


# -- caps ---------------------------------------------------------------------------------------------------------


def test_an_unlimited_level_of_a_policy_without_any_cap_is_not_said_to_be_bounded_by_one() -> None:
    """The reference: ``hard_cap`` is optional ("no cap" by default) and ``caps`` too. A policy with neither has no
    cap at all, so the reason of its unlimited level's approval must not name one ("only the per-guest cap
    applies", which is what a policy with a hard cap is told)."""
    data = policy_data()
    del data["hard_cap"]
    policy = Policy.model_validate(data)
    resolution = policy.decide(complaint("9000.00"), by="owner", now=NOW)
    assert resolution.outcome is Outcome.APPROVED
    assert resolution.actor_can_grant is None  # no limit, and no cap: nothing bounds it
    assert "per-guest cap" not in resolution.reason


def test_every_cap_is_checked_and_the_one_that_failed_is_traced_last_whichever_window_it_counts() -> None:
    """The reference: a denial's reason and its trace name the cap that bound it; "the trace has a ``cap.hard`` entry
    for each cap, with the figures of its own window, the one that failed last". Checked for each of three caps."""
    policy = Policy.model_validate(
        policy_data(caps=[{"limit": "4000.00", "window": "30d"}, {"limit": "3000.00", "window": "day"}])
    )
    zero = Money("0", "USD")
    cases = {  # the window whose cap alone fails: (asked, granted per window)
        "incident": ("2500.00", {"incident": Money("3000", "USD"), "30d": zero, "day": zero}),
        "30d": ("2000.00", {"incident": zero, "30d": Money("2500", "USD"), "day": zero}),
        "day": ("3500.00", {"incident": zero, "30d": zero, "day": zero}),
    }
    for window, (asked, granted) in cases.items():
        resolution = policy.decide(complaint(asked), by="owner", now=NOW, granted=granted)
        caps = [entry for entry in resolution.trace if entry.rule == "cap.hard"]
        assert resolution.outcome is Outcome.DENIED
        assert sorted(str(entry.window) for entry in caps) == ["30d", "day", "incident"]
        assert [entry.passed for entry in caps] == [True, True, False]
        assert str(caps[-1].window) == window
        assert resolution.reason == caps[-1].message
        assert caps[-1].figures["granted"] == granted[window]


# -- the Plan B ---------------------------------------------------------------------------------------------------

_KINDS = ("k1", "k2", "k3", "credit", "upgrade")
_NAMES = ("noise", "room", "refund", "credit", "*")
_VOCABULARY = ("refund", "credit", "upgrade")


def _ranked_as_documented(
    policy: Policy, category: str, kind: str, *, asked: Decimal, budget: Decimal, may_grant: tuple[str, ...] | None
) -> list[str]:
    """The plan-b-catalog page's rule, the slow way: the alternatives that apply (category, remedy kind or "*"), fit
    the budget and are of a kind the level may grant; ranked written for the category, then for the remedy kind,
    then generic; free before paid; closest in value to what was asked, the cheaper, the first listed; one a kind."""
    ranked = []
    for place, item in enumerate(policy.catalog):
        names = set(item.applies_to)
        if not ("*" in names or category in names or kind in names) or item.value.amount > budget:
            continue
        if may_grant is not None and item.kind in _VOCABULARY and item.kind not in may_grant:
            continue
        relevance = 0 if category in names and category in policy.categories else 1 if kind in names else 2
        value = item.value.amount
        ranked.append(((relevance, value > 0, abs(value - asked), value, place), item))
    ranked.sort(key=lambda pair: pair[0])
    chosen: list[str] = []
    seen: set[str] = set()
    for _, item in ranked:
        if item.kind not in seen:
            seen.add(item.kind)
            chosen.append(item.id)
    return chosen[: policy.min_alternatives]


@settings(max_examples=examples(150), deadline=None)
@given(
    alternatives=st.lists(
        st.tuples(
            st.sampled_from(_KINDS),
            st.integers(0, 12),
            st.lists(st.sampled_from(_NAMES), min_size=1, max_size=3, unique=True),
        ),
        max_size=45,  # past the 32 a shelf lays out as lists: the large catalog's search too
    ),
    category=st.sampled_from(["noise", "room", "other"]),
    kind=st.sampled_from(["refund", "credit"]),
    asked=st.integers(1, 80),
    limit=st.integers(0, 60),
    granted=st.integers(0, 30),
    restricted=st.booleans(),
)
@pytest.mark.slow
def test_the_plan_b_of_any_catalog_is_the_one_the_ranking_rules_choose(  # noqa: PLR0917 - hypothesis draws
    alternatives: list[tuple[str, int, list[str]]],
    category: str,
    kind: str,
    asked: int,
    limit: int,
    granted: int,
    restricted: bool,
) -> None:
    catalog: list[dict[str, Any]] = [
        {"id": f"g{i}", "kind": f"g{i}", "description": "Free for all.", "value": "0", "applies_to": ["*"]}
        for i in range(3)
    ]
    catalog += [
        {"id": f"a{i}", "kind": own, "description": "An option.", "value": str(value * 5), "applies_to": names}
        for i, (own, value, names) in enumerate(alternatives)
    ]
    may_grant = ("refund", "upgrade") if restricted else None
    staff: dict[str, Any] = {"name": "staff", "limit": str(limit)}
    if may_grant is not None:
        staff["may_grant"] = list(may_grant)
    policy = Policy.model_validate(
        {
            "name": "Ranked",
            "currency": "USD",
            "window": "incident",
            "denials_delivered_by": "manager",
            "categories": ["noise", "room"],
            "remedy_kinds": list(_VOCABULARY),
            "levels": [staff, {"name": "manager", "limit": "unlimited", "callback_within": "1h"}],
            "catalog": catalog,
        }
    )
    request = Complaint(
        customer=Customer(id="10442"),
        category=category,
        requested=Remedy(kind=kind, amount=Money(str(asked), "USD")),
        received_at=NOW,
    )
    resolution = policy.decide(request, by="staff", now=NOW, granted=Money(str(granted), "USD"))
    if resolution.outcome is Outcome.APPROVED:
        return
    budget = max(Decimal(0), Decimal(limit - granted))
    assert resolution.actor_can_grant == Money(budget, "USD")
    expected = _ranked_as_documented(policy, category, kind, asked=Decimal(asked), budget=budget, may_grant=may_grant)
    assert [item.id for item in resolution.alternatives] == expected
