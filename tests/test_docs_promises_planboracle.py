"""An oracle for Plan B, written from the pages alone, compared with the library over random catalogs.

The oracle reads only docs/how-to/plan-b-catalog.md ("How the alternatives are chosen", "Go the extra mile on
approvals too"), docs/reference/policy-file.md (Catalog, Levels, Caps) and docs/explanation/service-recovery.md:

- an alternative **applies** when the complaint's category, or the remedy kind asked, is in ``applies_to``, or
  ``applies_to`` has ``"*"``;
- it **fits** when its value is at most what the acting level may still grant this customer: its limit for the
  customer's tier, or the cap if lower, minus what was already granted (never below nothing; no limit and no cap:
  anything fits);
- a kind that is a remedy kind is offered only by a level whose ``may_grant`` lists it (or that has none);
- ranked: written for the category, then for the remedy kind asked, then generic; free before paid; closest in
  value to what was asked; of two equally close the cheaper; of equal value the one listed first;
- one per kind, at its best-ranked place; the first ``min_alternatives`` kinds.

Suggestions (approvals): the extra-mile alternatives that apply and fit what is left after the approved remedy.
The pages do not say their order or how many; tests/test_plan_b_ranking.py pins "ranked as a Plan B for
nothing asked", at most ``min_alternatives`` of distinct kinds, which the oracle follows (see the report).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery_rules import Case, Complaint, Customer, Money, Outcome, Policy, Remedy

from ._cli import run
from ._helpers import examples

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
REMEDY_KINDS = ["refund", "credit", "upgrade", "voucher"]
CATEGORIES = ["late_delivery", "broken_item", "lost_item"]
OTHER_KINDS = ["callback", "other_branch", "referral", "follow_up", "delivery", "day_plan"]
EXPONENT = {"USD": 2, "JPY": 0, "BHD": 3}


@dataclass(frozen=True)
class Option:
    id: str
    kind: str
    value: Decimal
    applies_to: tuple[str, ...]
    extra_mile: bool
    refers_elsewhere: bool


@dataclass(frozen=True)
class Level:
    name: str
    limit: Decimal | None
    gold: Decimal | None
    may_grant: tuple[str, ...] | None


def text(amount: Decimal, currency: str) -> str:
    return f"{amount:.{EXPONENT[currency]}f}"


def room(level: Level, tier: str | None, cap: Decimal | None, granted: Decimal) -> Decimal | None:
    """What ``level`` may still grant this customer: its limit (for the tier) or the cap if lower, less granted."""
    limit = level.gold if tier == "gold" and level.gold is not None else level.limit
    bounds = [bound for bound in (limit, cap) if bound is not None]
    if not bounds:
        return None
    return max(min(bounds) - granted, Decimal(0))


def oracle(  # noqa: PLR0917 - the situation, spelt out
    catalog: list[Option],
    level: Level,
    category: str,
    kind: str,
    asked: Decimal,
    budget: Decimal | None,
    count: int,
    *,
    extra_mile_only: bool = False,
) -> list[str]:
    ranked: list[tuple[tuple[int, int, Decimal, Decimal, int], Option]] = []
    for position, option in enumerate(catalog):
        if extra_mile_only and not option.extra_mile:
            continue
        if category in option.applies_to:
            written_for = 0
        elif kind in option.applies_to:
            written_for = 1
        elif "*" in option.applies_to:
            written_for = 2
        else:
            continue
        if budget is not None and option.value > budget:
            continue
        if option.kind in REMEDY_KINDS and level.may_grant is not None and option.kind not in level.may_grant:
            continue
        key = (written_for, 0 if option.value == 0 else 1, abs(option.value - asked), option.value, position)
        ranked.append((key, option))
    ranked.sort(key=lambda pair: pair[0])
    kinds: set[str] = set()
    chosen: list[str] = []
    for _, option in ranked:
        if option.kind in kinds:
            continue
        kinds.add(option.kind)
        chosen.append(option.id)
    return chosen[:count]


@st.composite
def situations(draw: st.DrawFn) -> dict[str, Any]:
    currency = draw(st.sampled_from(sorted(EXPONENT)))
    unit = Decimal(1).scaleb(-EXPONENT[currency])
    minimum = draw(st.integers(2, 4))
    # the levels: limits in whole units, rising; the top one may be unlimited
    limits = sorted(draw(st.lists(st.integers(0, 300), min_size=1, max_size=3)))
    unlimited_top = draw(st.booleans())
    levels: list[Level] = []
    for index, limit in enumerate(limits):
        is_top = index == len(limits) - 1
        amount = None if is_top and unlimited_top else Decimal(limit)
        gold = None if amount is None or not draw(st.booleans()) else amount + draw(st.integers(0, 50))
        may_grant = None
        if draw(st.booleans()):
            may_grant = tuple(sorted(draw(st.sets(st.sampled_from(REMEDY_KINDS), min_size=1))))
        levels.append(Level(f"level_{index}", amount, gold, may_grant))
    # a higher level's tier limit is at least the one below
    fixed: list[Level] = []
    floor: Decimal | None = None  # the tier limit of the level below
    for level in levels:
        gold = level.gold
        if floor is not None and level.limit is not None:
            gold = max(level.limit if gold is None else gold, floor)
        fixed.append(Level(level.name, level.limit, gold, level.may_grant))
        floor = gold if gold is not None else floor
    levels = fixed
    top = max((value for level in levels for value in (level.limit, level.gold) if value is not None), default=0)
    cap = Decimal(top + draw(st.integers(0, 100))) if draw(st.booleans()) else None
    most = cap if cap is not None else Decimal(400)
    # the catalog: the free generic ones the Plan B check needs, among random others
    generic_kinds = draw(st.permutations(OTHER_KINDS))[:minimum]
    catalog = [Option(f"g-{kind}", kind, Decimal(0), ("*",), draw(st.booleans()), False) for kind in generic_kinds]
    names = [*CATEGORIES, *REMEDY_KINDS, "cash_payment"]
    for index in range(draw(st.integers(0, 57))):
        free = most == 0 or draw(st.booleans())
        if free:
            value = Decimal(0)
        elif draw(st.booleans()):  # whole amounts, so that ties of closeness and of value happen
            value = Decimal(draw(st.sampled_from([n for n in (1, 5, 10, 15, 20, 30) if n <= most] or [0])))
        else:
            value = draw(st.integers(1, int(most / unit))) * unit
        if draw(st.integers(0, 4)) == 0:
            applies: tuple[str, ...] = ("*",)
        else:
            applies = tuple(draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)))
            if draw(st.integers(0, 4)) == 0:
                applies = (*applies, "*")
        catalog.insert(
            draw(st.integers(0, len(catalog))),
            Option(
                f"a{index}",
                draw(st.sampled_from([*OTHER_KINDS, *REMEDY_KINDS])),
                value,
                applies,
                draw(st.booleans()),
                draw(st.booleans()),
            ),
        )
    listed = draw(st.booleans())
    return {
        "currency": currency,
        "unit": unit,
        "minimum": minimum,
        "levels": levels,
        "cap": cap,
        "catalog": catalog,
        "listed": listed,
    }


def load(situation: dict[str, Any]) -> Policy:
    currency = situation["currency"]
    data: dict[str, Any] = {
        "name": "Oracle",
        "currency": currency,
        "window": "incident",
        "min_alternatives": situation["minimum"],
        "denials_delivered_by": situation["levels"][-1].name,
        "remedy_kinds": REMEDY_KINDS,
        "refused_remedies": ["cash_payment"],
        "levels": [],
        "catalog": [],
    }
    if situation["listed"]:
        data["categories"] = CATEGORIES
    if situation["cap"] is not None:
        data["hard_cap"] = text(situation["cap"], currency)
    for index, level in enumerate(situation["levels"]):
        entry: dict[str, Any] = {
            "name": level.name,
            "limit": "unlimited" if level.limit is None else text(level.limit, currency),
        }
        if index:
            entry["callback_within"] = "1h"
        if level.gold is not None:
            entry["tier_limits"] = {"gold": text(level.gold, currency)}
        if level.may_grant is not None:
            entry["may_grant"] = list(level.may_grant)
        data["levels"].append(entry)
    for option in situation["catalog"]:
        data["catalog"].append(
            {
                "id": option.id,
                "kind": option.kind,
                "description": f"Option {option.id}.",
                "value": text(option.value, currency),
                "applies_to": list(option.applies_to),
                "extra_mile": option.extra_mile,
                "refers_elsewhere": option.refers_elsewhere,
            }
        )
    return Policy.from_text(json.dumps(data), format="json")


@pytest.mark.slow
@settings(max_examples=examples(60), deadline=None)
@given(
    situation=situations(),
    requests=st.lists(
        st.tuples(
            st.sampled_from([*CATEGORIES, "unheard_of"]),
            st.sampled_from([*REMEDY_KINDS, "cash_payment"]),
            st.one_of(st.integers(0, 500), st.sampled_from([0, 5, 10, 15, 20, 30])),
            st.integers(0, 2),
            st.sampled_from([None, "gold"]),
            st.integers(0, 400),
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_the_plan_b_and_the_suggestions_are_the_ones_the_pages_describe(
    situation: dict[str, Any], requests: list[tuple[str, str, int, int, str | None, int]]
) -> None:
    policy = load(situation)
    currency, unit, levels = situation["currency"], situation["unit"], situation["levels"]
    for category, kind, asked_units, level_index, tier, granted_units in requests:
        level = levels[min(level_index, len(levels) - 1)]
        asked = Decimal(asked_units) if asked_units % 7 or not asked_units else Decimal(asked_units) + unit
        granted = Decimal(granted_units)
        complaint = Complaint(
            customer=Customer(id="C-1") if tier is None else Customer(id="C-1", tier=tier),
            category=category,
            requested=Remedy(kind=kind, amount=Money(text(asked, currency), currency)),
            received_at=NOW,
        )
        resolution = policy.decide(complaint, by=level.name, granted=Money(text(granted, currency), currency), now=NOW)
        budget = room(level, tier, situation["cap"], granted)
        if budget is None:
            assert resolution.actor_can_grant is None
        else:
            assert resolution.actor_can_grant == Money(text(budget, currency), currency)
        got = [alternative.id for alternative in resolution.alternatives]
        suggested = [suggestion.id for suggestion in resolution.suggestions]
        if resolution.outcome is Outcome.APPROVED:
            assert got == []
            left = None if budget is None else budget - asked
            expected = oracle(
                situation["catalog"],
                level,
                category,
                kind,
                Decimal(0),
                left,
                situation["minimum"],
                extra_mile_only=True,
            )
            assert suggested == expected, (resolution.outcome, category, kind, asked, level, tier, granted)
        else:
            expected = oracle(situation["catalog"], level, category, kind, asked, budget, situation["minimum"])
            assert got == expected, (resolution.outcome, category, kind, asked, level, tier, granted)
            assert suggested == []


# -- ties, and the same order on every surface: the resolution, the CLI, the console -------------------------------

TIE_SHOP: dict[str, Any] = {
    "name": "Tie shop",
    "currency": "JPY",
    "window": "incident",
    "min_alternatives": 3,
    "denials_delivered_by": "manager",
    "remedy_kinds": ["refund", "credit"],
    "levels": [
        {"name": "staff", "limit": "5000"},
        {"name": "manager", "limit": "50000", "callback_within": "1h"},
        {"name": "general_manager", "limit": "unlimited", "callback_within": "4h"},
    ],
    "catalog": [
        {"id": "call", "kind": "callback", "description": "We call you back today.", "value": "0", "applies_to": ["*"]},
        {
            "id": "visit",
            "kind": "follow_up",
            "description": "A manager visits you.",
            "value": "0",
            "applies_to": ["*"],
            "extra_mile": True,
        },
        {
            "id": "elsewhere",
            "kind": "referral",
            "description": "The shop next door has it.",
            "value": "0",
            "applies_to": ["*"],
            "extra_mile": True,
            "refers_elsewhere": True,
        },
        {
            "id": "gift",
            "kind": "gift",
            "description": "A gift worth ¥1,500.",
            "value": "1500",
            "applies_to": ["late"],
            "extra_mile": True,
        },
        {
            "id": "coupon",
            "kind": "coupon",
            "description": "A coupon worth ¥500.",
            "value": "500",
            "applies_to": ["late"],
            "extra_mile": True,
        },
        {
            "id": "voucher",
            "kind": "voucher",
            "description": "A voucher worth ¥500.",
            "value": "500",
            "applies_to": ["late"],
            "extra_mile": True,
        },
    ],
}
LISTED = re.compile(r"^ {4}\d+\. (.*) \[[a-z_]+, [^\]]+\]$", re.M)


def tie_complaint(amount: str) -> Complaint:
    return Complaint(
        customer=Customer(id="C-1"),
        category="late",
        requested=Remedy(kind="refund", amount=Money(amount, "JPY")),
        received_at=NOW,
    )


def test_two_alternatives_of_equal_value_and_rank_come_in_catalog_order() -> None:
    """ "of equal value (all the free ones), the one listed first in the catalog": paid ones too."""
    policy = Policy.model_validate(TIE_SHOP)
    resolution = policy.decide(tie_complaint("1000"), by="staff", granted=Money("4500", "JPY"), now=NOW)
    assert [alternative.id for alternative in resolution.alternatives] == ["coupon", "voucher", "call"]
    data = json.loads(json.dumps(TIE_SHOP))
    data["catalog"][4], data["catalog"][5] = data["catalog"][5], data["catalog"][4]
    swapped = Policy.model_validate(data).decide(
        tie_complaint("1000"), by="staff", granted=Money("4500", "JPY"), now=NOW
    )
    assert [alternative.id for alternative in swapped.alternatives] == ["voucher", "coupon", "call"]


@pytest.mark.parametrize(
    ("by", "granted", "asked"),
    [("staff", "4500", "1000"), ("staff", "0", "6000"), ("staff", "0", "1000"), ("manager", "0", "1000")],
)
def test_the_cli_decide_output_lists_the_plan_b_and_the_suggestions_in_the_resolutions_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], by: str, granted: str, asked: str
) -> None:
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps(TIE_SHOP), encoding="utf-8")
    complaint_file = tmp_path / "complaint.json"
    complaint_file.write_text(tie_complaint(asked).model_dump_json(), encoding="utf-8")
    resolution = Policy.model_validate(TIE_SHOP).decide(
        tie_complaint(asked), by=by, granted=Money(granted, "JPY"), now=NOW
    )
    shown = run(
        capsys,
        "decide",
        "--policy",
        str(policy_file),
        str(complaint_file),
        "--by",
        by,
        "--granted",
        granted,
        "--now",
        NOW.isoformat(),
    )
    assert shown.code == 0, shown.err
    listed = [*resolution.alternatives, *resolution.suggestions]
    assert listed
    assert LISTED.findall(shown.out) == [alternative.description for alternative in listed]


@pytest.mark.slow
def test_the_console_lists_a_paid_plan_b_in_the_order_the_decision_offers_it() -> None:
    pytest.importorskip("fastapi", reason="the decision service needs the server extra, which dev installs")
    from fastapi.testclient import TestClient  # noqa: PLC0415 - only with the server extra

    from ._server import serve  # noqa: PLC0415 - only with the server extra

    policy = Policy.model_validate(TIE_SHOP)
    served = serve(policy)
    try:
        case = Case.open(served.journal, policy, tie_complaint("6000"), by="staff", employee="e-staff", now=NOW)
        case.listen(now=NOW)
        case.apologize(now=NOW)
        case.ask_preferred_solution(now=NOW)
        decision = case.decide(now=NOW)
        assert [alternative.id for alternative in decision.alternatives] == ["gift", "coupon", "voucher"]
        client = TestClient(served.app, follow_redirects=False)
        assert client.post("/console/sign-in", data={"token": served.tokens["staff"]}).status_code == 303
        page = client.get(f"/console/cases/{case.number}").text
    finally:
        served.journal.close()
    found = re.search(r'<section aria-labelledby="planb-heading">(.*?)</section>', page, re.S)
    assert found is not None
    listed = re.findall(r'<p class="option">(.*?) <span', found.group(1))
    assert [html.unescape(text) for text in listed] == [
        alternative.description for alternative in decision.alternatives
    ]
