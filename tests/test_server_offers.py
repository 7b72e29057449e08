"""What the service shows before an offering step is what that step, taken by the viewer, would offer.

The API's case body (``offers``), the console's case page and the words to say name the Plan B of the level
that will explain the denial: the caller's own when it may explain one (the step takes the token's level),
else the manager the case would choose.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from fastapi.testclient import TestClient

from recovery_rules import Case, Complaint, Customer, Journal, MemoryJournal, Policy, Remedy

from ._helpers import priced_catalog, usd
from ._server import NOW, serve

REASON = "The stay itself went ahead as booked."


def policy_data(**changes: Any) -> dict[str, Any]:
    """The served levels' names; a $1,000 cap per guest in any 30 days; paid options written for the category."""
    data: dict[str, Any] = {
        "name": "Offers hotel",
        "currency": "USD",
        "window": "30d",
        "hard_cap": "1000.00",
        "denials_delivered_by": "manager",
        "categories": ["room_not_ready"],
        "levels": [
            {"name": "staff", "limit": "100.00"},
            {"name": "manager", "limit": "500.00", "callback_within": "1h"},
            {"name": "general_manager", "limit": "1000.00", "callback_within": "4h"},
        ],
        "catalog": priced_catalog(),
    }
    data.update(changes)
    return data


POLICY = Policy.model_validate(policy_data())


def denied_by_the_general_manager(journal: Journal, policy: Policy = POLICY) -> Case:
    complaint = Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=usd("800.00")),
        received_at=NOW,
    )
    case = Case.open(journal, policy, complaint, by="staff", clock=lambda: NOW)
    case.listen()
    case.apologize()
    case.ask_preferred_solution()
    case.decide()
    case.escalate()
    assert case.escalated_to == "general_manager"
    case.manager_denies(by="general_manager", reason=REASON)
    return case


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def test_the_api_names_the_callers_plan_b_when_they_may_explain_the_denial() -> None:
    journal = MemoryJournal(clock=lambda: NOW)
    number = str(denied_by_the_general_manager(journal).number)
    served = serve(POLICY, journal=journal)
    for level, expected in [
        ("general_manager", ["suite", "dinner", "credit"]),
        ("manager", ["dinner", "credit", "callback"]),  # a manager may grant $500: no suite
        ("staff", ["suite", "dinner", "credit"]),  # staff may not explain: the manager the case would choose
    ]:
        body = served.get(f"/v1/cases/{number}", level).json()["case"]
        assert ids(body["offers"]) == expected, level
    explained = served.post(f"/v1/cases/{number}/explain_denial", "manager").json()["case"]
    assert ids(explained["alternatives_offered"]) == ["dinner", "credit"]
    assert explained["backup"]["id"] == "callback"


def test_the_console_shows_and_words_what_the_signed_in_manager_would_offer() -> None:
    journal = MemoryJournal(clock=lambda: NOW)
    number = denied_by_the_general_manager(journal).number
    served = serve(POLICY, journal=journal)
    manager = TestClient(served.app, follow_redirects=False)
    assert manager.post("/console/sign-in", data={"token": served.tokens["manager"]}).status_code == 303
    page = manager.get(f"/console/cases/{number}").text
    assert "The alternatives to offer" in page
    assert html.escape("$50 credit") in page
    assert "A suite" not in page  # neither in the Plan B shown nor in the words to say


def test_the_console_page_of_a_case_whose_level_a_reload_removed_still_shows() -> None:
    journal = MemoryJournal(clock=lambda: NOW)
    number = denied_by_the_general_manager(journal).number
    levels = policy_data()["levels"][:2]  # the general manager who denied the case is gone
    reloaded = Policy.model_validate(policy_data(levels=levels))
    served = serve(reloaded, journal=journal)
    manager = TestClient(served.app, follow_redirects=False)
    assert manager.post("/console/sign-in", data={"token": served.tokens["manager"]}).status_code == 303
    page = manager.get(f"/console/cases/{number}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert served.get(f"/v1/cases/{number}", "manager").status_code == 200


def test_a_retried_steps_offers_are_those_of_the_steps_time_not_the_retrys() -> None:
    """A grant to the guest 29 days before the step fills the cap then, and has left the window two days later:
    the step's answer, and its retry's, name the offers as they stood when the step was taken."""
    moment = [NOW - dt.timedelta(days=29)]
    journal = MemoryJournal(clock=lambda: moment[0])
    earlier = Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=usd("600.00")),
        received_at=moment[0],
    )
    granted = Case.open(journal, POLICY, earlier, by="general_manager", clock=lambda: moment[0])
    for step in ("listen", "apologize", "ask_preferred_solution", "decide", "deliver"):
        getattr(granted, step)()
    moment[0] = NOW
    now = earlier.model_copy(update={"requested": Remedy(kind="refund", amount=usd("800.00")), "received_at": NOW})
    case = Case.open(journal, POLICY, now, by="staff", clock=lambda: moment[0])
    for step in ("listen", "apologize", "ask_preferred_solution"):
        getattr(case, step)()
    served = serve(POLICY, journal=journal, clock=lambda: moment[0])
    first = served.post(f"/v1/cases/{case.number}/decide", key="decide-1")
    assert first.status_code == 200, first.json()
    moment[0] = NOW + dt.timedelta(days=2)
    read_now = served.get(f"/v1/cases/{case.number}").json()["case"]
    assert ids(read_now["offers"]) != ids(first.json()["case"]["offers"])  # the cap has room again
    again = served.post(f"/v1/cases/{case.number}/decide", key="decide-1")
    assert again.content == first.content
    journal.close()
