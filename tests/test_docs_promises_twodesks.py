"""Two desks on one case: docs/how-to/run-the-decision-service.md, docs/reference/http-api.md and
docs/how-to/the-front-desk-console.md, checked with staff and managers acting on the same case at the same moment.

Requests sent "at once" are lined up deterministically, never with sleeps: the journal below holds every thread at
its first idempotency-key look-up (``find``) until all of them have reached it, so each has read the case and found
no step under its key before any of them records one: the interleaving of a retry sent while the first request is
still waiting for the journal's lock.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from fastapi.testclient import TestClient

from recovery_rules import (
    ERASED,
    Case,
    Complaint,
    ComplaintNumber,
    Customer,
    Event,
    MemoryJournal,
    Money,
    Remedy,
    presets,
)

from ._server import NOW, SEED_STEPS, Served, complaint, serve, walk

T = TypeVar("T")
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
_REASON = {"reason": "The suite is booked for a wedding this week."}


class _LinedUp(MemoryJournal):
    """A memory journal that, once :meth:`line_up` is called, holds each thread at its first ``find`` until
    ``count`` threads are there."""

    def __init__(self) -> None:
        super().__init__(clock=lambda: NOW)
        self._barrier: threading.Barrier | None = None
        self._held: set[int] = set()

    def line_up(self, count: int) -> None:
        self._barrier = threading.Barrier(count, timeout=30)
        self._held = set()

    def find(self, key: str) -> Event | None:
        found = super().find(key)
        barrier = self._barrier
        if barrier is not None and threading.get_ident() not in self._held:
            self._held.add(threading.get_ident())
            barrier.wait()
        return found


def _at_once(journal: _LinedUp, count: int, work: Callable[[int], T]) -> list[T]:
    journal.line_up(count)
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(work, range(count)))


def _opened(served: Served, amount: str, steps: list[tuple[str, str]]) -> str:
    opened = served.post("/v1/cases", json={"complaint": complaint(amount)}, key="open-1")
    assert opened.status_code == 201, opened.json()
    number: str = opened.json()["complaint_number"]
    walk(served, number, steps)
    return number


def _logged(served: Served) -> list[dict[str, Any]]:
    return [json.loads(line) for line in served.log.getvalue().splitlines()]


def _kinds(served: Served, number: str) -> list[str]:
    return [event.kind for event in served.journal.events(ComplaintNumber.parse(number))]


# -- the API: two employees, one case ----------------------------------------------------------------------------
def test_two_employees_deciding_one_case_at_once_one_decides_and_the_other_is_told_the_step_is_not_allowed() -> None:
    """run-the-decision-service.md: a step the case does not allow now is a 409 ``step-not-allowed`` whose
    ``allowed_steps`` lists those it does; the journal holds one decision, the decision log one line."""
    journal = _LinedUp()
    served = serve(journal=journal)
    try:
        number = _opened(served, "250.00", SEED_STEPS[:3])
        answers = _at_once(
            journal,
            2,
            lambda index: served.post(f"/v1/cases/{number}/decide", ("staff", "staff-2")[index], key=f"desk-{index}"),
        )
        assert sorted(answer.status_code for answer in answers) == [200, 409]
        refused = next(answer.json() for answer in answers if answer.status_code == 409)
        assert refused["type"].endswith("#step-not-allowed")
        assert refused["allowed_steps"] == ["deliver"]
        assert _kinds(served, number).count("decided") == 1
        assert len(_logged(served)) == 1
    finally:
        served.journal.close()


def test_a_manager_approving_while_another_denies_leaves_one_decision_and_a_409_for_the_other() -> None:
    """The case escalated, a manager approves while a general manager denies: one of them is recorded; the other is
    a 409 ``step-not-allowed`` naming the step the case allows now. Never both, never a 500."""
    journal = _LinedUp()
    served = serve(journal=journal)
    try:
        number = _opened(served, "3000.00", SEED_STEPS)

        def act(index: int) -> Any:
            if index == 0:
                return served.post(f"/v1/cases/{number}/manager_approves", "manager", key="approve")
            return served.post(f"/v1/cases/{number}/manager_denies", "general_manager", key="deny", json=_REASON)

        answers = _at_once(journal, 2, act)
        assert sorted(answer.status_code for answer in answers) == [200, 409]
        refused = next(answer.json() for answer in answers if answer.status_code == 409)
        assert refused["type"].endswith("#step-not-allowed")
        decided = [kind for kind in _kinds(served, number) if kind in ("manager_approved", "manager_denied")]
        assert len(decided) == 1
        assert refused["allowed_steps"] == (["deliver"] if decided == ["manager_approved"] else ["explain_denial"])
    finally:
        served.journal.close()


def test_a_decision_retried_with_its_key_while_the_first_is_in_flight_is_logged_and_counted_once() -> None:
    """run-the-decision-service.md: "A retry with the same key, on any worker, records nothing new and returns the
    first answer"; the decision log is "one JSON line per decision", and the metrics count decisions by outcome.
    A client that timed out retries at once, while its first request is still waiting for the journal."""
    journal = _LinedUp()
    served = serve(journal=journal)
    try:
        number = _opened(served, "3000.00", SEED_STEPS[:3])
        answers = _at_once(journal, 2, lambda _: served.post(f"/v1/cases/{number}/decide", key="decide-1"))
        assert [answer.status_code for answer in answers] == [200, 200]
        assert answers[0].json() == answers[1].json()
        assert _kinds(served, number).count("decided") == 1
        assert len(_logged(served)) == 1, _logged(served)
        counted = served.client.get("/metrics").text
        assert 'recovery_rules_decisions_total{level="staff",outcome="escalated"} 1.0' in counted
    finally:
        served.journal.close()


# -- the console: a form sent twice at once ----------------------------------------------------------------------
def _signed_in(served: Served, level: str) -> TestClient:
    """A browser of its own (its own cookies), signed in at ``level``."""
    client = TestClient(served.app, follow_redirects=False)
    response = client.post("/console/sign-in", data={"token": served.tokens[level]})
    assert response.status_code == 303, response.text
    return client


def _form(client: TestClient, number: str, step: str) -> dict[str, str]:
    """The form of ``step``'s button on the case page as loaded now: its form token and its own key."""
    page = client.get(f"/console/cases/{number}").text
    csrf, key = _CSRF.search(page), re.search(rf'name="key" value="([0-9a-f]{{32}}-{step})"', page)
    assert csrf is not None
    assert key is not None
    return {"csrf": csrf.group(1), "key": key.group(1)}


def test_a_decide_form_double_clicked_is_one_decision_in_the_journal_the_log_and_the_metrics() -> None:
    """the-front-desk-console.md: "A form sent twice (a double click, a reload) records its step ... once: each
    form carries its own idempotency key. Copies sent at once are answered alike"; run-the-decision-service.md: the
    decision log is one line per decision, through the console too (``console-decide``)."""
    journal = _LinedUp()
    served = serve(journal=journal)
    try:
        number = _opened(served, "3000.00", SEED_STEPS[:3])
        clerk = _signed_in(served, "staff")
        form = _form(clerk, number, "decide")
        answers = _at_once(journal, 2, lambda _: clerk.post(f"/console/step/decide/{number}", data=form))
        assert [answer.status_code for answer in answers] == [303, 303]
        assert answers[0].headers["location"] == answers[1].headers["location"]
        assert _kinds(served, number).count("decided") == 1
        assert [line["route"] for line in _logged(served)] == ["console-decide"]
        counted = served.client.get("/metrics").text
        assert 'recovery_rules_decisions_total{level="staff",outcome="escalated"} 1.0' in counted
    finally:
        served.journal.close()


def test_a_step_form_from_a_tab_loaded_before_another_desk_took_it_says_the_case_moved_on_and_records_nothing() -> None:
    """the-front-desk-console.md: a form the case has moved past (another desk took the step from its own tab) is
    refused with the case as it stands, and the step is recorded once, by the desk that took it first."""
    served = serve()
    try:
        number = _opened(served, "3000.00", SEED_STEPS)
        tab = _signed_in(served, "manager")
        stale = _form(tab, number, "manager_approves")
        other_desk = _signed_in(served, "general_manager")
        taken = other_desk.post(
            f"/console/step/manager_approves/{number}", data=_form(other_desk, number, "manager_approves")
        )
        assert taken.status_code == 303
        refused = tab.post(f"/console/step/manager_approves/{number}", data=stale)
        assert refused.status_code == 409
        assert "not allowed now" in refused.text
        assert "the steps allowed next are: deliver" in refused.text
        assert _kinds(served, number).count("manager_approved") == 1
        assert [line["employee"] for line in _logged(served) if line["route"] == "console-manager_approves"] == [
            "e-general_manager"
        ]
    finally:
        served.journal.close()


# -- an erasure while a step is in flight ------------------------------------------------------------------------
class _ErasedAsTheStepWaits(MemoryJournal):
    """An encrypting memory journal on which the customer's personal data is erased (``erase_customer``, as an
    operator runs it) while the next step waits for the journal's lock: just before that append is written."""

    def __init__(self) -> None:
        super().__init__(clock=lambda: NOW, encrypt_personal_data=True)
        self.erase_before_next_append = False

    def append(self, number: ComplaintNumber, build: Any, **options: Any) -> Event:
        if self.erase_before_next_append:
            self.erase_before_next_append = False
            self.erase_customer(number.customer_id, now=NOW)
        return super().append(number, build, **options)


def test_a_report_written_while_the_customer_is_erased_holds_no_readable_copy_of_the_denial_reason() -> None:
    """erase-customer-data.md: erased are "a manager's reason for a denial, a written report's summary and its copy
    of the denial's reason"; a step taken after the erasure copies nothing erased back. An operator's erasure that
    commits while a desk's ``write_report`` waits for the journal must not leave the reason readable either."""
    journal = _ErasedAsTheStepWaits()
    served = serve(journal=journal)
    try:
        number = _opened(served, "3000.00", SEED_STEPS)
        steps = ["manager_denies", "explain_denial", "decline_alternatives", "make_final_offer", "decline_final_offer"]
        walk(served, number, [(step, "manager") for step in steps], manager_denies=_REASON)
        journal.erase_before_next_append = True
        written = served.post(f"/v1/cases/{number}/write_report", "manager", json={"summary": "Declined all."})
        assert written.status_code == 200, written.json()
        assert journal.erasure("10442") is not None
        report = journal.events(ComplaintNumber.parse(number))[-1]
        assert report.kind == "report_written"
        assert _REASON["reason"] not in json.dumps(report.data)
    finally:
        served.journal.close()


def test_a_report_written_while_a_returning_customer_is_erased_again_holds_no_readable_copy_of_the_reason() -> None:
    """The same, for a customer erased before, who came back: the desk read the case under the first erasure, and
    the second one, committed while ``write_report`` waits, must be seen too (not only "erased or not")."""
    journal = _ErasedAsTheStepWaits()
    served = serve(journal=journal)
    try:
        _opened(served, "250.00", [])  # the customer's earlier case
        first = journal.erase_customer("10442", now=NOW - dt.timedelta(hours=1))
        opened = served.post("/v1/cases", json={"complaint": complaint("3000.00")}, key="open-2")
        assert opened.status_code == 201, opened.json()
        number: str = opened.json()["complaint_number"]
        walk(served, number, SEED_STEPS)
        steps = ["manager_denies", "explain_denial", "decline_alternatives", "make_final_offer", "decline_final_offer"]
        walk(served, number, [(step, "manager") for step in steps], manager_denies=_REASON)
        journal.erase_before_next_append = True
        written = served.post(f"/v1/cases/{number}/write_report", "manager", json={"summary": "Declined all."})
        assert written.status_code == 200, written.json()
        assert journal.erasure("10442") not in (None, first)
        report = journal.events(ComplaintNumber.parse(number))[-1]
        assert report.kind == "report_written"
        assert _REASON["reason"] not in json.dumps(report.data)
    finally:
        served.journal.close()


def test_the_thanks_and_the_personal_call_after_a_report_taken_at_once_are_each_recorded_once() -> None:
    """http-api.md: ``manager_calls`` is a step "after a written report", and the call stays owed while the case
    is thanked and closed; the clerk thanking the customer and two managers making the call at the same moment
    record the thanks once and the call once (the second manager is told the call is no longer a step)."""
    journal = _LinedUp()
    served = serve(journal=journal)
    try:
        number = _opened(served, "3000.00", SEED_STEPS)
        steps = ["manager_denies", "explain_denial", "decline_alternatives", "make_final_offer", "decline_final_offer"]
        walk(served, number, [(step, "manager") for step in steps], manager_denies=_REASON)
        walk(served, number, [("write_report", "manager")], write_report={"summary": "Declined every offer."})
        desks = [("thank", "staff"), ("manager_calls", "manager"), ("manager_calls", "general_manager")]
        answers = _at_once(
            journal, 3, lambda index: served.post(f"/v1/cases/{number}/{desks[index][0]}", desks[index][1])
        )
        statuses = [answer.status_code for answer in answers]
        assert statuses[0] == 200
        assert sorted(statuses[1:]) == [200, 409]
        refused = next(answer.json() for answer in answers if answer.status_code == 409)
        assert refused["type"].endswith("#step-not-allowed")
        assert "manager_calls" not in refused["allowed_steps"]
        kinds = _kinds(served, number)
        assert (kinds.count("thanked"), kinds.count("manager_called")) == (1, 1)
        assert served.get(f"/v1/cases/{number}").json()["case"]["allowed_steps"] == ["close"]
        assert served.journal.verify().ok
    finally:
        served.journal.close()


def test_a_case_says_whether_its_last_step_recorded_its_event_or_returned_one_recorded_before() -> None:
    """``Case.last_step_recorded``: what a host counts once per step (a decision) it counts when it is true; a
    retry with the same key returns the event recorded the first time, and says so."""
    journal = MemoryJournal(clock=lambda: NOW)
    try:
        case = Case.open(journal, presets.ritz_carlton(), _library_complaint(), by="staff", now=NOW)
        assert not case.last_step_recorded  # no step taken through this object yet
        case.listen(now=NOW, key="listen-1")
        assert case.last_step_recorded
        again = Case.load(journal, presets.ritz_carlton(), case.number)
        again.listen(now=NOW, key="listen-1")
        assert not again.last_step_recorded
        assert [event.kind for event in journal.events(case.number)] == ["opened", "listened"]
    finally:
        journal.close()


def _library_complaint() -> Complaint:
    return Complaint(
        customer=Customer(id="20442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money("300.00", "USD")),
        received_at=NOW,
    )


def test_the_request_restated_while_the_customer_is_erased_holds_no_readable_copy_of_it() -> None:
    """erase-customer-data.md: a step taken after the erasure copies nothing erased back. ``ask_preferred_solution``
    without a remedy restates the complaint's request: an erasure that commits while the step waits for the journal
    must not leave the request's words readable in the step's event (nor its request's digest match them)."""
    journal = _ErasedAsTheStepWaits()
    try:
        words = "Refund the nights of the suite we never slept in."
        asked = Remedy(kind="refund", amount=Money("300.00", "USD"), description=words)
        case = Case.open(
            journal,
            presets.ritz_carlton(),
            _library_complaint().model_copy(update={"requested": asked}),
            by="staff",
            now=NOW,
        )
        case.listen(now=NOW)
        case.apologize(now=NOW)
        journal.erase_before_next_append = True
        event = case.ask_preferred_solution(now=NOW, key="ask-1")
        assert journal.erasure("20442") is not None
        assert event.kind == "solution_asked"
        assert words not in json.dumps(event.data)
        assert event.data["remedy"]["description"] == ERASED  # type: ignore[index,call-overload]
        # a retry with the key, by a desk that read the case after the erasure, is the same request: the step's
        # request was taken as the case reads now, not with the erased words
        again = Case.load(journal, presets.ritz_carlton(), case.number).ask_preferred_solution(now=NOW, key="ask-1")
        assert again == event
    finally:
        journal.close()


def test_a_second_erasure_equal_to_the_first_under_a_fixed_clock_is_seen_by_a_step_waiting_as_it_commits() -> None:
    """The same, for a returning customer erased twice at the same moment (a fixed clock), by the same employee,
    each erasure destroying one key: the two records are equal values, and the step that read the case under the
    first must still see the second, committed while it waits, and restate the request as erased."""
    journal = _ErasedAsTheStepWaits()
    try:
        words = "Refund the nights of the suite we never slept in."
        asked = Remedy(kind="refund", amount=Money("300.00", "USD"), description=words)
        complaint = _library_complaint().model_copy(update={"requested": asked})
        Case.open(journal, presets.ritz_carlton(), complaint, by="staff", now=NOW)  # the customer's earlier case
        first = journal.erase_customer("20442", now=NOW)
        case = Case.open(journal, presets.ritz_carlton(), complaint, by="staff", now=NOW)
        case.listen(now=NOW)
        case.apologize(now=NOW)
        journal.erase_before_next_append = True
        event = case.ask_preferred_solution(now=NOW)
        assert journal.erasure("20442") == first  # a second erasure, recorded as an equal value
        assert words not in json.dumps(event.data)
        assert event.data["remedy"]["description"] == ERASED  # type: ignore[index,call-overload]
    finally:
        journal.close()


def test_a_step_returned_from_its_key_by_the_same_object_says_it_recorded_nothing() -> None:
    """``Case.last_step_recorded`` is about this object's latest step call: after one that recorded its event,
    the same call repeated with its key returns that event and records nothing, and says so."""
    journal = MemoryJournal(clock=lambda: NOW)
    try:
        case = Case.open(journal, presets.ritz_carlton(), _library_complaint(), by="staff", now=NOW)
        first = case.listen(now=NOW, key="listen-1")
        assert case.last_step_recorded
        again = case.listen(now=NOW, key="listen-1")
        assert again == first
        assert not case.last_step_recorded
    finally:
        journal.close()
