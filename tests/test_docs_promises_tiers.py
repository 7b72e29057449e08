"""Customer tiers, against what docs/how-to/limits-per-tier.md and docs/reference/policy-file.md promise: a tier
given less than the base, a misspelt tier, a tier limit written "unlimited", and the console's open form, which must
send back the tier it was sent."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from recovery_rules import Outcome, Policy, PolicyError

from ._helpers import NOW, complaint, policy_data
from ._server import serve

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
_TIER_SELECT = re.compile(r'<select id="tier" name="tier"[^>]*>(.*?)</select>', re.S)
_SELECTED = re.compile(r"<option selected>([^<]*)</option>")


def test_a_tier_given_less_than_the_base_is_held_to_it_and_a_misspelt_one_gets_the_base() -> None:
    """limits-per-tier.md: "a tier given *less* than the base (`tier_limits = { probation = "50.00" }`) gets the
    base when its name is misspelt"; and the tier's own limit decides, named in the reason, at its very edge."""
    data = policy_data()
    data["levels"][0]["tier_limits"] = {"probation": "50.00"}
    policy = Policy.model_validate(data)

    at_the_limit = policy.decide(complaint("50.00", tier="probation"), by="staff", now=NOW)
    assert at_the_limit.outcome is Outcome.APPROVED
    assert at_the_limit.reason == "$50.00 asked is within staff's authority of $50.00 for a guest of the probation tier"

    a_cent_over = policy.decide(complaint("50.01", tier="probation"), by="staff", now=NOW)
    assert a_cent_over.outcome is Outcome.ESCALATED
    assert a_cent_over.escalate_to == "supervisor"
    assert "staff's authority of $50.00 for a guest of the probation tier" in a_cent_over.reason

    misspelt = policy.decide(complaint("100.00", tier="probaton"), by="staff", now=NOW)
    assert misspelt.outcome is Outcome.APPROVED  # the base $100.00: more than the probation tier was meant to get
    assert misspelt.reason == "$100.00 asked is within staff's authority of $100.00"


def test_a_tier_limit_written_unlimited_is_refused_at_the_tier_when_the_policy_loads() -> None:
    """policy-file.md: ``limit`` may be "unlimited"; ``tier_limits`` holds amounts (its schema allows no other
    value). A tier limit written "unlimited" is a PolicyError placed at that tier, never a crash nor a policy that
    reads it as no limit."""
    data = policy_data()
    data["levels"][1]["tier_limits"] = {"gold": "unlimited"}
    with pytest.raises(PolicyError) as raised:
        Policy.model_validate(data)
    assert [problem.location for problem in raised.value.problems] == ["levels[1].tier_limits.gold"]


@pytest.mark.slow
def test_a_refused_open_form_comes_back_with_the_tier_it_was_sent_even_one_the_policy_does_not_list() -> None:
    """limits-per-tier.md: a tier is "a word your application chooses", and one the policy does not mention gets
    the base limits. The console's open form, refused for its amount, must come back as typed (as
    test_console's forms do): a tier the policy's select does not list (a policy reloaded since the page was
    shown, a form sent by a script) must stay selected, never turn silently into the first option, ``gold``,
    which grants the guest more."""
    served = serve()  # the Ritz-Carlton preset: its tier select lists gold and standard
    try:
        client = TestClient(served.app, follow_redirects=False)
        assert client.post("/console/sign-in", data={"token": served.tokens["staff"]}).status_code == 303
        found = _CSRF.search(client.get("/console").text)
        assert found is not None
        data = {
            "csrf": found.group(1),
            "customer_id": "10442",
            "customer_name": "Ada Guest",
            "tier": "platinum",
            "category": "room_not_ready",
            "kind": "refund",
            "amount": "lots",
        }
        response = client.post("/console/cases", data=data)
        assert response.status_code == 422
        select = _TIER_SELECT.search(response.text)
        assert select is not None
        assert _SELECTED.findall(select.group(1)) == ["platinum"]
        assert served.journal.cases() == []
    finally:
        served.journal.close()
