"""The extra mile's promises (docs/how-to/plan-b-catalog.md, docs/reference/policy-file.md, the Resolution docstring):
alternatives marked ``extra_mile`` come with approvals as ``suggestions``, when they fit what the employee may
still grant after the approved remedy; in the CLI's decide output, the console and the trace's words."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import (
    Case,
    Complaint,
    Customer,
    MemoryJournal,
    Money,
    Outcome,
    Policy,
    Remedy,
    presets,
    proof,
    resolution_violations,
)

from ._cli import run
from ._helpers import policy_data

NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)


def _hotel(currency: str, scale: int, places: int) -> Policy:
    """The test hotel in ``currency``, its amounts times ``scale``, written with ``places`` decimals; its $15 drink
    (a voucher, for every complaint) marked extra mile."""
    data = policy_data(currency=currency)

    def amount(text: str) -> str:
        return f"{int(text) * scale:.{places}f}" if text != "unlimited" else text

    data["hard_cap"] = amount("5000")
    for level in data["levels"]:
        level["limit"] = amount(level["limit"].split(".")[0])
        if "tier_limits" in level:
            level["tier_limits"] = {tier: amount(limit.split(".")[0]) for tier, limit in level["tier_limits"].items()}
    for entry in data["catalog"]:
        entry["value"] = amount(entry["value"])
        entry["extra_mile"] = entry["id"] == "drink"
    return Policy.model_validate(data)


def _ask(amount: str, currency: str, *, granted: str | None = None) -> tuple[Complaint, Money | None]:
    complaint = Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, currency)),
        received_at=NOW,
    )
    return complaint, None if granted is None else Money(granted, currency)


@pytest.mark.parametrize(
    ("currency", "scale", "places", "at_room", "one_unit_over"),
    [
        ("USD", 1, 2, "85.00", "85.01"),
        ("JPY", 100, 0, "8500", "8501"),
        ("BHD", 1, 3, "85.000", "85.001"),
    ],
)
def test_a_suggestion_worth_exactly_the_room_left_after_the_approval_is_made_and_one_minor_unit_less_room_is_not(
    currency: str, scale: int, places: int, at_room: str, one_unit_over: str
) -> None:
    """Staff may grant 100 (times the scale); the drink is worth 15: asking 85 leaves exactly the drink's worth."""
    policy = _hotel(currency, scale, places)
    for asked, expected in ((at_room, ["drink"]), (one_unit_over, [])):
        complaint, _ = _ask(asked, currency)
        resolution = policy.decide(complaint, by="staff", now=NOW)
        assert resolution.outcome is Outcome.APPROVED
        assert [suggestion.id for suggestion in resolution.suggestions] == expected, (currency, asked)


def test_a_suggestion_counts_what_was_granted_before_as_well_as_the_approved_remedy() -> None:
    """$50.00 granted before and $35.00 asked leave exactly the $15.00 drink; a cent more asked leaves too little."""
    policy = _hotel("USD", 1, 2)
    for asked, expected in (("35.00", ["drink"]), ("35.01", [])):
        complaint, granted = _ask(asked, "USD", granted="50.00")
        resolution = policy.decide(complaint, by="staff", granted=granted, now=NOW)
        assert resolution.outcome is Outcome.APPROVED
        assert [suggestion.id for suggestion in resolution.suggestions] == expected


def test_a_counter_offer_carries_the_suggestions_that_fit_after_the_offer_not_after_the_amount_asked() -> None:
    """A manager's counter-offer approves less than asked: what is left is counted after the offer. Guest relations
    may grant $600.00: $300.00 asked would leave $300.00, too little for a $400.00 extra-mile idea; $140.00
    offered leaves $460.00, enough."""
    data = presets.theme_park().model_dump(mode="json", exclude_defaults=True)
    for entry in data["catalog"]:
        entry["extra_mile"] = False  # the free ideas would fill the suggestions first
    data["catalog"].append(
        {
            "id": "vip-return",
            "kind": "vip_day",
            "description": "A guided VIP day on the return visit.",
            "value": "400.00",
            "applies_to": ["weather_closure"],
            "extra_mile": True,
        }
    )
    park = Policy.model_validate(data)
    complaint = Complaint(
        customer=Customer(id="10442"),
        category="weather_closure",
        requested=Remedy(kind="rain_check", amount=Money("300.00", "USD")),
        received_at=NOW,
    )
    approved_in_full = park.decide(complaint, by="guest_relations", now=NOW)
    assert approved_in_full.outcome is Outcome.APPROVED
    assert approved_in_full.suggestions == ()
    journal = MemoryJournal()
    try:
        case = Case.open(journal, park, complaint, by="ticket_agent", clock=lambda: NOW)
        case.listen()
        case.apologize()
        case.ask_preferred_solution()
        case.decide()
        case.escalate()
        offer = case.manager_approves(by="guest_relations", amount=Money("140.00", "USD"))
        assert [suggestion.id for suggestion in offer.suggestions] == ["vip-return"]
        # the checks judge the offer's suggestions after the offer too, not after the amount asked
        assert proof.suggestion_violations(park, complaint, "guest_relations", None, offer) == []
        assert resolution_violations(park, complaint, "guest_relations", None, offer) == []
        beyond = offer.model_copy(update={"suggestions": (*offer.suggestions, park.catalog[0])})
        assert resolution_violations(park, complaint, "guest_relations", None, beyond) == [
            f"suggestion {park.catalog[0].id!r} is not one of the policy's extra-mile alternatives"
        ]
    finally:
        journal.close()


def test_the_cli_decide_output_lists_the_extra_mile_suggestions_with_their_details(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body: dict[str, Any] = {
        "customer": {"id": "P-2231", "tier": "season_pass"},
        "category": "weather_closure",
        "requested": {"kind": "rain_check", "amount": {"amount": "129.00", "currency": "USD"}},
        "received_at": "2026-11-23T21:20:00Z",
    }
    path = tmp_path / "complaint.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    result = run(
        capsys, "decide", "-p", "theme-park", "--by", "ticket_agent", "--now", "2026-11-23T21:20:00Z", str(path)
    )
    assert result.code == 0, result.err
    text = result.out
    assert "Extra mile: also suggest" in text
    after = text.split("Extra mile: also suggest", 1)[1]
    assert "1. Seats at the next indoor show" in after
    assert "2. The city aquarium is twenty minutes away" in after
    assert "contact: City Aquarium, +1 213 555 0175" in after
    assert "(another business)" in after
    assert "3. Help pick a dry day" in after
    assert "suggestions.offered" in after


def test_the_trace_says_one_suggestion_in_the_singular() -> None:
    policy = _hotel("USD", 1, 2)
    complaint, _ = _ask("10.00", "USD")
    resolution = policy.decide(complaint, by="staff", now=NOW)
    assert [suggestion.id for suggestion in resolution.suggestions] == ["drink"]
    (entry,) = [entry for entry in resolution.trace if entry.rule == "suggestions.offered"]
    assert entry.message == "1 extra-mile suggestion for what to do instead"


@pytest.mark.slow
def test_the_console_shows_a_managers_approval_with_its_suggestions_not_the_escalations_plan_b() -> None:
    """After a manager approves an escalated case, the employee's page lists what to offer now: the approval's
    extra-mile suggestions (each contact a tel: link), not the Plan B of the escalation, which was what the
    employee could authorize before the approval (the $400.00 suite upgrade staff cannot give on top of $3,000)."""
    pytest.importorskip("fastapi", reason="the console needs the server extra, which dev installs")
    from ._server import serve  # noqa: PLC0415 - the server extra is needed only here

    data = presets.ritz_carlton().model_dump(mode="json")
    for entry in data["catalog"]:
        entry["extra_mile"] = entry["id"] in {"late-checkout", "sister-hotel"}
    served = serve(Policy.model_validate(data))
    try:
        clerk, manager = _signed_in(served, "staff"), _signed_in(served, "manager")
        opened = clerk.post(
            "/console/cases",
            data={
                "csrf": _csrf(clerk, "/console"),
                "customer_id": "10442",
                "customer_name": "Ada Guest",
                "tier": "gold",
                "category": "room_not_ready",
                "kind": "refund",
                "amount": "3000.00",
            },
        )
        assert opened.status_code == 303, opened.text
        number = opened.headers["location"].removeprefix("/console/cases/").split("?")[0]
        for client, step, fields in (
            (clerk, "listen", {}),
            (clerk, "apologize", {}),
            (clerk, "ask_preferred_solution", {"kind": "refund", "amount": "3000.00"}),
            (clerk, "decide", {}),
            (clerk, "escalate", {}),
            (manager, "manager_approves", {}),
        ):
            page = f"/console/cases/{number}"
            answer = client.post(f"/console/step/{step}/{number}", data={"csrf": _csrf(client, page), **fields})
            assert answer.status_code == 303, (step, answer.text)
        page = clerk.get(f"/console/cases/{number}").text
        assert "And if you like, here are a few ideas" in page  # the words say the suggestions
        listed = page.split('id="planb-heading"', 1)[1] if 'id="planb-heading"' in page else ""
        assert "A room tonight at our sister hotel" in listed, "the suggestions, listed with their details"
        assert 'href="tel:+12125550142"' in listed
        assert "An upgrade to a suite" not in listed, "the escalation's Plan B, no longer within staff's authority"
    finally:
        served.journal.close()


_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def _signed_in(served: Any, level: str) -> Any:
    from fastapi.testclient import TestClient  # noqa: PLC0415 - the server extra is needed only here

    client = TestClient(served.app, follow_redirects=False)
    response = client.post("/console/sign-in", data={"token": served.tokens[level]})
    assert response.status_code == 303, response.text
    return client


def _csrf(client: Any, page: str) -> str:
    found = _CSRF.search(client.get(page).text)
    assert found is not None
    return found.group(1)
