"""Promises about the manager's desk: callbacks promised and overdue, the queue, the personal call.

Pages: docs/how-to/the-front-desk-console.md (the queue), docs/explanation/case-path.md (the callback, the personal
call), docs/how-to/run-a-case.md (escalate, overdue callbacks, what the employee says), docs/reference/http-api.md
(``GET /v1/callbacks/overdue``) and docs/how-to/read-the-metrics.md (the overdue figures).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from recovery_rules import Case, Complaint, ComplaintNumber, Customer, MemoryJournal, Money, Remedy, Wording, presets

from ._server import NOW, SEED_STEPS, Served, customer, serve, walk
from ._server import complaint as served_complaint

_NEW_YORK = ZoneInfo("America/New_York")
_MORNING = dt.datetime(2026, 11, 23, 11, 0, tzinfo=_NEW_YORK)
_REASON = "a full refund is more than one night's delay calls for"
_OVERDUE_CARD = re.compile(r'<li class="card overdue">\s*<p><a href="/console/cases/([^"]+)"')


def _beyond_authority(journal: MemoryJournal, amount: str = "3000.00", customer: str = "10442") -> Case:
    """A Ritz-Carlton case decided at 11:00 in New York, above the staff's authority: waiting to escalate."""
    complaint = Complaint(
        customer=Customer(id=customer),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=_MORNING,
    )
    case = Case.open(journal, presets.ritz_carlton(), complaint, by="staff", now=_MORNING)
    for step in (case.listen, case.apologize, case.ask_preferred_solution, case.decide):
        step(now=_MORNING)
    return case


# -- what the employee says about the callback --------------------------------------------------------------------
def test_the_promise_said_before_escalating_late_is_the_time_escalate_records() -> None:
    """run-a-case.md: ``say_next(case)`` is "what the employee says now (... the promise with its callback time
    before escalating ...)", ``now`` being "when the words are said ..., for the callback time"; case-path.md: the
    escalation promises the decision's ``callback_by``, counted again from the escalation once it has passed. An
    employee who escalates three hours after the decision must say the time the escalation records, not one
    already past (the console shows these words on the case page)."""
    journal = MemoryJournal()
    case = _beyond_authority(journal)
    assert case.decision is not None
    assert case.decision.callback_by is not None
    later = _MORNING + dt.timedelta(hours=3)  # 14:00: the decision's 13:00 has passed
    assert case.decision.callback_by < later
    wording = Wording(presets.ritz_carlton())
    (promise,) = wording.say_next(case, now=later)
    case.escalate(now=later)
    assert case.callback_by is not None
    said = wording.time(case.callback_by, now=later)  # "4:00 this afternoon"
    assert f"call you back by {said}." in promise.text
    journal.close()


# -- the four views of what is overdue ----------------------------------------------------------------------------
def _opened(served: Served, customer_id: str, amount: str = "3000.00") -> str:
    body = {"complaint": served_complaint(amount, customer=customer(customer_id))}
    response = served.post("/v1/cases", json=body)
    assert response.status_code == 201, response.json()
    number: str = response.json()["complaint_number"]
    return number


def _reported_and_closed(served: Served, number: str) -> None:
    """Escalated, denied by the manager, every offer declined, reported, thanked and closed: the call still owed."""
    walk(served, number, SEED_STEPS)
    walk(served, number, [("manager_denies", "manager")], manager_denies={"reason": _REASON})
    steps = ("explain_denial", "decline_alternatives", "make_final_offer", "decline_final_offer", "write_report")
    walk(served, number, [(step, "manager") for step in steps])
    walk(served, number, [("thank", "staff"), ("close", "staff")])


def _overdue_everywhere(served: Served, at: dt.datetime) -> dict[str, list[str]]:
    """What each view lists as overdue at ``at``: the journal, ``GET /v1/callbacks/overdue``, the report's two
    lists (the escalation callbacks and the personal calls) and the general manager's queue (its overdue cards)."""
    figures = served.get("/v1/report").json()["report"]
    reported = [owed["number"] for owed in figures["overdue_callbacks"]]
    reported += [owed["number"] for owed in figures["personal_calls"]["overdue_calls"]]
    browser = TestClient(served.app, follow_redirects=False)
    assert browser.post("/console/sign-in", data={"token": served.tokens["general_manager"]}).status_code == 303
    return {
        "journal": [str(summary.number) for summary in served.journal.overdue_callbacks(at)],
        "api": [case["complaint_number"] for case in served.get("/v1/callbacks/overdue").json()["cases"]],
        "report": sorted(reported),
        "queue": _OVERDUE_CARD.findall(browser.get("/console/queue").text),
    }


@pytest.mark.slow
def test_the_journal_the_api_the_report_and_the_queue_agree_on_what_is_overdue_at_its_very_instant() -> None:
    """case-path.md: the journal lists a case "once it has passed"; http-api.md: ``GET /v1/callbacks/overdue``
    lists the overdue callbacks and personal calls, "a closed case too, while its personal call is owed";
    read-the-metrics.md: the report counts calls "overdue"; the console: the queue lists "the overdue callbacks".
    At the promised instant itself none of the four says overdue; a microsecond later all four do, for an
    escalation's callback and for a closed case's personal call, and again after the customer's data is erased."""
    now = [NOW]
    journal = MemoryJournal(clock=lambda: now[0], encrypt_personal_data=True)
    served = serve(journal=journal, clock=lambda: now[0])
    try:
        waiting = _opened(served, "501")
        walk(served, waiting, SEED_STEPS)
        closed = _opened(served, "502")
        _reported_and_closed(served, closed)
        owed = {number: journal.events(ComplaintNumber.parse(number))[-1].callback_due for number in (waiting, closed)}
        for number, due in owed.items():
            assert due is not None
            now[0] = due
            seen = _overdue_everywhere(served, due)
            assert number not in {listed for lists in seen.values() for listed in lists}, seen
            now[0] = due + dt.timedelta(microseconds=1)
            seen = _overdue_everywhere(served, now[0])
            assert all(number in listed for listed in seen.values()), seen
        journal.erase_customer("502", now=now[0])
        seen = _overdue_everywhere(served, now[0])
        assert all(closed in listed for listed in seen.values()), seen
        walk(served, closed, [("manager_calls", "manager")])  # the call made, on the erased customer's case
        seen = _overdue_everywhere(served, now[0])
        assert all(closed not in listed and waiting in listed for listed in seen.values()), seen
    finally:
        journal.close()


# -- who sees which escalation ------------------------------------------------------------------------------------
def test_the_queue_lists_the_escalations_to_the_managers_level_or_a_lower_one() -> None:
    """the-front-desk-console.md: "A manager has a queue: the escalations waiting for their level or a lower one".
    $3,000 escalates to the manager, $8,000 (above a gold guest's $7,500) to the general manager: the manager
    sees the first only, the general manager both."""
    served = serve()
    try:
        to_manager, to_general_manager = _opened(served, "601", "3000.00"), _opened(served, "602", "8000.00")
        for number in (to_manager, to_general_manager):
            walk(served, number, SEED_STEPS)
        queues = {}
        for level in ("manager", "general_manager"):
            browser = TestClient(served.app, follow_redirects=False)
            assert browser.post("/console/sign-in", data={"token": served.tokens[level]}).status_code == 303
            queues[level] = browser.get("/console/queue").text
        assert f'href="/console/cases/{to_manager}"' in queues["manager"]
        assert f'href="/console/cases/{to_general_manager}"' not in queues["manager"]
        assert f'href="/console/cases/{to_manager}"' in queues["general_manager"]
        assert f'href="/console/cases/{to_general_manager}"' in queues["general_manager"]
    finally:
        served.journal.close()


def test_a_report_to_a_higher_level_is_on_that_level_s_queue_not_a_lower_manager_s() -> None:
    """the-front-desk-console.md: a manager's queue holds what waits for "their level or a lower one": a report
    written to the general manager, whose personal call a manager may not make (a 403), is on the general
    manager's queue only; one written to the manager is on both."""
    served = serve()
    try:
        to_manager, to_general_manager = _opened(served, "701"), _opened(served, "702")
        for number, to in ((to_manager, "manager"), (to_general_manager, "general_manager")):
            walk(served, number, SEED_STEPS)
            walk(served, number, [("manager_denies", "manager")], manager_denies={"reason": _REASON})
            steps = ("explain_denial", "decline_alternatives", "make_final_offer", "decline_final_offer")
            walk(served, number, [(step, "manager") for step in steps])
            walk(served, number, [("write_report", "manager")], write_report={"to": to})
        queues = {}
        for level in ("manager", "general_manager"):
            browser = TestClient(served.app, follow_redirects=False)
            assert browser.post("/console/sign-in", data={"token": served.tokens[level]}).status_code == 303
            queues[level] = browser.get("/console/queue").text
        assert f'href="/console/cases/{to_manager}"' in queues["manager"]
        assert f'href="/console/cases/{to_general_manager}"' not in queues["manager"]
        assert f'href="/console/cases/{to_manager}"' in queues["general_manager"]
        assert f'href="/console/cases/{to_general_manager}"' in queues["general_manager"]
        refused = served.post(f"/v1/cases/{to_general_manager}/manager_calls", "manager")
        assert refused.status_code == 403, refused.json()
    finally:
        served.journal.close()
