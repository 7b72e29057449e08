"""Promises about Plan B (the alternatives), second pass with an adversary's eye.

docs/how-to/plan-b-catalog.md, docs/explanation/service-recovery.md, docs/explanation/guarantees.md (Plan B parts),
docs/reference/policy-file.md (catalog) and docs/how-to/the-front-desk-console.md (the Plan B it shows): the
alternatives offered are the ones the ranking chooses, whatever the catalog's size, and every surface shows
them as the Case records them, each made easy to act on.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from recovery_rules import (
    Case,
    Complaint,
    Customer,
    MemoryJournal,
    Money,
    Policy,
    PolicyError,
    Remedy,
    presets,
)

NOW = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)


def _free(identifier: str, kind: str, applies_to: list[str]) -> dict[str, Any]:
    return {
        "id": identifier,
        "kind": kind,
        "description": f"The {identifier} option.",
        "value": "0",
        "applies_to": applies_to,
    }


def _shop(catalog: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Plan B shop",
        "currency": "USD",
        "window": "30d",
        "denials_delivered_by": "manager",
        "remedy_kinds": ["refund", "credit"],
        "levels": [
            {"name": "clerk", "limit": "50.00"},
            {"name": "manager", "limit": "500.00", "callback_within": "4h"},
        ],
        "catalog": [
            _free("call", "callback", ["*"]),
            _free("visit", "follow_up", ["*"]),
            _free("elsewhere", "referral", ["*"]),
            *catalog,
        ],
    }
    data.update(changes)
    return data


def _complaint(category: str, amount: Money, customer: str = "C-1") -> Complaint:
    return Complaint(
        customer=Customer(id=customer),
        category=category,
        requested=Remedy(kind="refund", amount=amount),
        received_at=NOW,
    )


# -- the ranking, whatever the catalog's size ---------------------------------------------------------------


def test_a_catalog_naming_over_a_thousand_categories_offers_each_categorys_own_first_or_does_not_load() -> None:
    # "Left out, [categories] are the names in the catalog's applies_to that are not remedy kinds", and "the
    # alternatives written for the complaint's category" rank first. A chain with one free option per store.
    stores = [_free(f"store-{i}", "other_branch", [f"store_{i}"]) for i in range(1001)]
    try:
        policy = Policy.model_validate(_shop(stores))
    except PolicyError:
        return  # refusing a catalog the policy cannot honour keeps the promise too
    resolution = policy.decide(_complaint("store_7", Money("100.00", "USD")), by="clerk", now=NOW)
    assert resolution.alternatives[0].id == "store-7"


def test_a_catalog_naming_a_thousand_categories_offers_each_categorys_own_first() -> None:
    stores = [_free(f"store-{i}", "other_branch", [f"store_{i}"]) for i in range(1000)]
    policy = Policy.model_validate(_shop(stores))
    resolution = policy.decide(_complaint("store_7", Money("100.00", "USD")), by="clerk", now=NOW)
    assert [alternative.id for alternative in resolution.alternatives] == ["store-7", "call", "visit"]


# -- boundaries the guide's examples do not show ------------------------------------------------------------


def test_an_alternative_worth_exactly_what_is_left_in_a_three_decimal_currency_is_offered() -> None:
    data = _shop(
        [
            {**_free("dinner", "dinner", ["late"]), "value": "1.250"},
            {**_free("dinner-plus", "gift", ["late"]), "value": "1.251"},
        ],
        currency="BHD",
        levels=[
            {"name": "clerk", "limit": "5.000"},
            {"name": "manager", "limit": "50.000", "callback_within": "4h"},
        ],
    )
    policy = Policy.model_validate(data)
    resolution = policy.decide(
        _complaint("late", Money("6.000", "BHD")), by="clerk", granted=Money("3.750", "BHD"), now=NOW
    )
    assert resolution.actor_can_grant == Money("1.250", "BHD")
    assert [alternative.id for alternative in resolution.alternatives] == ["dinner", "call", "visit"]
    (offered,) = [entry for entry in resolution.trace if entry.rule == "alternatives.offered"]
    assert "(1.250 BHD left to grant)" in offered.message


def test_a_follow_ups_plan_b_fits_what_is_left_of_the_incidents_authority() -> None:
    # window = "incident": a follow-up's grants count against its incident, and so does its Plan B.
    policy = Policy.model_validate(
        _shop(
            [
                {**_free("voucher-20", "voucher", ["late"]), "value": "20.00"},
                {**_free("gift-10", "gift", ["late"]), "value": "10.00"},
            ],
            window="incident",
        )
    )
    journal = MemoryJournal()
    try:
        first = Case.open(journal, policy, _complaint("late", Money("40.00", "USD")), by="clerk", now=NOW)
        first.listen(now=NOW)
        first.apologize(now=NOW)
        first.ask_preferred_solution(now=NOW)
        assert first.decide(now=NOW).approved
        first.deliver(now=NOW)
        follow_up = Case.open(
            journal, policy, _complaint("late", Money("100.00", "USD")), by="clerk", incident=first.number, now=NOW
        )
        follow_up.listen(now=NOW)
        follow_up.apologize(now=NOW)
        follow_up.ask_preferred_solution(now=NOW)
        resolution = follow_up.decide(now=NOW)
    finally:
        journal.close()
    assert resolution.actor_can_grant == Money("10.00", "USD")
    assert [alternative.id for alternative in resolution.alternatives] == ["gift-10", "call", "visit"]


# -- the console shows the Plan B as the Case records it ----------------------------------------------------

_PLAN_B = re.compile(r'<section aria-labelledby="planb-heading">(.*?)</section>', re.S)


def _served(policy: Policy) -> Any:
    pytest.importorskip("fastapi", reason="the decision service needs the server extra, which dev installs")
    from ._server import serve  # noqa: PLC0415 - only with the server extra

    return serve(policy)


def _plan_b_section(served: Any, level: str, number: str) -> str:
    from fastapi.testclient import TestClient  # noqa: PLC0415 - only with the server extra

    client = TestClient(served.app, follow_redirects=False)
    assert client.post("/console/sign-in", data={"token": served.tokens[level]}).status_code == 303
    found = _PLAN_B.search(client.get(f"/console/cases/{number}").text)
    assert found is not None
    return found.group(1)


def _escalated(served: Any, policy: Policy) -> Case:
    """A $3,000 refund asked of the Ritz-Carlton's staff ($2,000 of authority): escalated to the manager."""
    case = Case.open(
        served.journal,
        policy,
        _complaint("room_not_ready", Money("3000.00", "USD"), customer="10442"),
        by="staff",
        employee="e-staff",
        now=NOW,
    )
    case.listen(now=NOW)
    case.apologize(now=NOW)
    case.ask_preferred_solution(now=NOW)
    assert not case.decide(now=NOW).approved
    case.escalate(now=NOW)
    return case


def test_the_alternatives_the_console_lists_to_offer_are_the_ones_explaining_the_denial_offers() -> None:
    policy = presets.ritz_carlton()
    served = _served(policy)
    case = _escalated(served, policy)
    case.manager_denies(by="manager", reason="The stay itself went ahead as booked.", employee="e-manager", now=NOW)
    section = _plan_b_section(served, "manager", str(case.number))
    assert "The alternatives to offer" in section
    listed = re.findall(r'<p class="option">(.*?) <span', section)
    case.explain_denial(employee="e-manager", now=NOW)
    assert case.backup is not None  # min_alternatives = 3: the third is kept back, not offered
    assert listed == [alternative.description for alternative in case.alternatives_offered]


def test_the_console_shows_every_alternatives_web_address() -> None:
    data = presets.ritz_carlton().model_dump(mode="json")
    for alternative in data["catalog"]:
        alternative["url"] = "https://en.wikipedia.org/wiki/Macy's"
    policy = Policy.model_validate(data)
    served = _served(policy)
    case = _escalated(served, policy)
    assert case.decision is not None
    offered = case.decision.alternatives
    section = _plan_b_section(served, "staff", str(case.number))
    # "its web address": one "Web:" line for each alternative that has one, as the CLI and Wording show it
    assert section.count("Web:") == len(offered)
    assert "Macy&#39;s" in section


def test_the_console_says_when_an_alternative_sends_the_customer_to_another_business() -> None:
    policy = presets.ritz_carlton()
    served = _served(policy)
    case = _escalated(served, policy)
    assert case.decision is not None
    elsewhere = [alternative for alternative in case.decision.alternatives if alternative.refers_elsewhere]
    assert elsewhere  # the sister hotel
    section = _plan_b_section(served, "staff", str(case.number))
    assert "another business" in section


# -- a bad alternative is refused where it is wrong ---------------------------------------------------------


def test_a_lone_surrogate_in_an_alternatives_url_is_refused_at_the_field() -> None:
    data = _shop([])
    data["catalog"][0]["url"] = "https://example.com/\ud800"
    with pytest.raises(PolicyError) as refused:
        Policy.model_validate(data)
    assert [problem.location for problem in refused.value.problems] == ["catalog[0].url"]
    assert "codec" not in str(refused.value)


def test_a_too_long_url_is_refused_as_too_long() -> None:
    data = _shop([])
    data["catalog"][0]["url"] = "https://example.com/" + "a" * 1981  # 2,001 characters
    with pytest.raises(PolicyError) as refused:
        Policy.model_validate(data)
    (problem,) = refused.value.problems
    assert problem.location == "catalog[0].url"
    assert "2,001 characters long; the most is 2,000" in problem.message
