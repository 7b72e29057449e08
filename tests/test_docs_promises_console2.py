"""Promises of docs/how-to/the-front-desk-console.md, second pass: the flows a member of staff runs.

Signing in, the queue, a case walked step by step (a denial by a higher level, a report's personal call, a stale
form after the case moved on, an erased customer), amounts in other currencies and the time zone shown.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import zoneinfo
from typing import Any

from fastapi.testclient import TestClient

from recovery_rules import CaseView, ComplaintNumber, MemoryJournal, Money, Policy

from ._helpers import policy_data
from ._server import NOW, Served, serve

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
_FORM_KEY = re.compile(r'name="key" value="([0-9a-f]{32})"')
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
_ALERT = re.compile(r'role="alert"[^>]*>(.*?)</div>', re.S)
_NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
_GOOD_REASON = "a full refund is more than one night's delay calls for"


def _signed_in(served: Served, level: str) -> TestClient:
    """A browser of its own (its own cookies), signed in at ``level``."""
    client = TestClient(served.app, follow_redirects=False)
    response = client.post("/console/sign-in", data={"token": served.tokens[level]})
    assert response.status_code == 303, response.text
    return client


def _open(client: TestClient, amount: str = "3000.00", **fields: str) -> str:
    """Open a case from the form as the page sends it (its own form key); the case's number."""
    page = client.get("/console").text
    csrf, key = _CSRF.search(page), _FORM_KEY.search(page)
    assert csrf is not None
    assert key is not None
    data = {"csrf": csrf.group(1), "key": key.group(1), "customer_id": "10442", "customer_name": "Ada Guest"}
    data |= {"tier": "gold", "category": "room_not_ready", "kind": "refund", "amount": amount, **fields}
    response = client.post("/console/cases", data=data)
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    return location.removeprefix("/console/cases/").split("?")[0]


def _step(client: TestClient, number: str, step: str, expect: int | None = 303, **fields: str) -> Any:
    """Press ``step``'s button on the case page as loaded now (its form token and its form's key)."""
    page = client.get(f"/console/cases/{number}").text
    csrf = _CSRF.search(page)
    assert csrf is not None
    data = {"csrf": csrf.group(1), **fields}
    if key := re.search(rf'name="key" value="([0-9a-f]{{32}}-{step})"', page):
        data.setdefault("key", key.group(1))
    response = client.post(f"/console/step/{step}/{number}", data=data)
    if expect is not None:
        assert response.status_code == expect, (step, response.text)
    return response


def _state(served: Served, number: str) -> str:
    return CaseView.replay(served.journal.events(ComplaintNumber.parse(number))).state.value


def _escalated(served: Served, clerk: TestClient, amount: str = "3000.00") -> str:
    number = _open(clerk, amount)
    for step in ("listen", "apologize"):
        _step(clerk, number, step)
    _step(clerk, number, "ask_preferred_solution", kind="refund", amount=amount)
    _step(clerk, number, "decide")
    _step(clerk, number, "escalate")
    assert _state(served, number) == "escalated"
    return number


def _buttons(page: str) -> list[str]:
    return re.findall(r'action="/console/step/(\w+)/', page)


def _title(page: str) -> str:
    found = _TITLE.search(page)
    assert found is not None
    return html.unescape(found.group(1))


# -- a refused form announced: its title -------------------------------------------------------------------------
def test_a_refused_step_says_error_in_the_page_title_and_focuses_its_field() -> None:
    """The page: "A refused form says so as the sign-in and the steps do: an alert sums it up ..., the first wrong
    field has the focus, and the page's title begins with "Error"."""
    served = serve()
    number = _escalated(served, _signed_in(served, "staff"))
    manager = _signed_in(served, "manager")
    refused = _step(manager, number, "manager_denies", 422, reason="No, that's our policy.")
    assert _ALERT.search(refused.text) is not None  # the alert is there
    assert _title(refused.text).startswith("Error")
    assert re.search(r'<textarea id="reason"[^>]*\sautofocus', refused.text)
    assert _state(served, number) == "escalated"


def test_a_refused_sign_in_says_error_in_the_page_title_and_focuses_the_token() -> None:
    served = serve()
    refused = TestClient(served.app).post("/console/sign-in", data={"token": "not-a-token"})
    assert refused.status_code == 401
    assert 'role="alert"' in refused.text
    assert _title(refused.text).startswith("Error")
    assert re.search(r'<input id="token"[^>]*\sautofocus', refused.text)


# -- the queue: the reports owed a personal call -----------------------------------------------------------------
def _reported(served: Served) -> tuple[str, TestClient]:
    clerk = _signed_in(served, "staff")
    number = _escalated(served, clerk)
    manager = _signed_in(served, "manager")
    _step(manager, number, "manager_denies", reason=_GOOD_REASON)
    for step in ("explain_denial", "decline_alternatives", "make_final_offer", "decline_final_offer"):
        _step(manager, number, step)
    _step(manager, number, "write_report", summary="Declined both alternatives and the final offer.")
    assert _state(served, number) == "reported"
    return number, manager


def test_the_queue_no_longer_lists_a_report_whose_personal_call_was_made() -> None:
    """The page: a manager's queue lists "the reports that are owed a personal call" ... "until the call is
    made". The call may be made while the case still waits at ``reported`` (before the thanks): it is then
    owed no more, and listing it sends a second manager to call the customer again."""
    served = serve()
    number, manager = _reported(served)
    assert number in manager.get("/console/queue").text  # owed the call: listed
    _step(manager, number, "manager_calls", notes="Called the guest; they accepted the apology.")
    assert _state(served, number) == "reported"  # the thanks still to come
    assert "manager_calls" not in _buttons(manager.get(f"/console/cases/{number}").text)  # the call is made
    queue = manager.get("/console/queue").text
    assert number not in queue, "the queue still says a manager calls the customer personally"


# -- who delivers a denial ----------------------------------------------------------------------------------------
def test_the_level_that_delivers_denials_gets_the_button_after_a_higher_levels_denial() -> None:
    """The page: each page shows "the steps allowed next as buttons". A denial is delivered by "at least the
    policy's ``denials_delivered_by``" (docs/explanation/case-path.md), the manager in the preset, and the
    server takes the manager's explanation of the general manager's denial; the manager's page must offer it,
    not say "waiting for general_manager"."""
    served = serve()
    clerk = _signed_in(served, "staff")
    number = _escalated(served, clerk, "8000.00")  # beyond the manager: escalated to the general manager
    _step(_signed_in(served, "general_manager"), number, "manager_denies", reason=_GOOD_REASON)
    manager = _signed_in(served, "manager")
    page = manager.get(f"/console/cases/{number}").text
    assert "explain_denial" in _buttons(page), "the manager who delivers denials is told to wait"
    assert "waiting for general_manager" not in page
    _step(manager, number, "explain_denial")  # and the server takes it
    assert _state(served, number) == "alternatives_offered"


def test_the_manager_explains_a_higher_levels_denial_when_sent_the_form() -> None:
    """What the server does (the page aside): the manager, the policy's ``denials_delivered_by``, may explain the
    general manager's denial, and the clerk may not."""
    served = serve()
    clerk = _signed_in(served, "staff")
    number = _escalated(served, clerk, "8000.00")
    _step(_signed_in(served, "general_manager"), number, "manager_denies", reason=_GOOD_REASON)
    assert "explain_denial" not in _buttons(clerk.get(f"/console/cases/{number}").text)
    _step(clerk, number, "explain_denial", 403)
    assert _state(served, number) == "denied"
    _step(_signed_in(served, "manager"), number, "explain_denial")
    events = served.journal.events(ComplaintNumber.parse(number))
    assert (events[-1].kind, events[-1].actor, events[-1].employee) == ("denial_explained", "manager", "e-manager")


# -- the back button: a stale form ---------------------------------------------------------------------------------
def test_a_stale_denial_form_after_the_case_moved_on_says_the_case_moved_on() -> None:
    """The page: a refused reason is "shown back in the form with the positive phrasing to use instead". A denial
    form loaded before another manager approved the case (Back, a second tab) has no form to be shown back in:
    what the manager must hear is that the case moved on, as for any other stale step (409), not to reword a
    denial that can no longer be recorded."""
    served = serve()
    number = _escalated(served, _signed_in(served, "staff"))
    manager = _signed_in(served, "manager")
    stale = manager.get(f"/console/cases/{number}").text
    _step(_signed_in(served, "general_manager"), number, "manager_approves")
    assert _state(served, number) == "approved"
    csrf = _CSRF.search(stale)
    key = re.search(r'name="key" value="([0-9a-f]{32}-manager_denies)"', stale)
    assert csrf is not None
    assert key is not None
    form = {"csrf": csrf.group(1), "key": key.group(1), "reason": "No, that's our policy."}
    refused = manager.post(f"/console/step/manager_denies/{number}", data=form)
    assert _state(served, number) == "approved"
    alert = _ALERT.search(refused.text)
    assert alert is not None
    assert refused.status_code == 409, html.unescape(alert.group(1))
    assert "not allowed now" in alert.group(1)


def test_a_stale_step_form_sent_again_after_the_case_moved_on_records_nothing() -> None:
    """Back to an earlier page of the case, and its button pressed: refused (409) with the steps allowed now,
    whatever the step; the same form sent twice before that is still answered as the first."""
    served = serve()
    clerk = _signed_in(served, "staff")
    number = _open(clerk, "40.00")
    stale = clerk.get(f"/console/cases/{number}").text  # the page with the Listened button
    csrf, key = _CSRF.search(stale), re.search(r'name="key" value="([0-9a-f]{32}-listen)"', stale)
    assert csrf is not None
    assert key is not None
    form = {"csrf": csrf.group(1), "key": key.group(1)}
    assert clerk.post(f"/console/step/listen/{number}", data=form).status_code == 303
    _step(clerk, number, "apologize")
    again = clerk.post(f"/console/step/listen/{number}", data=form)  # the same form: the step it recorded
    assert again.status_code == 303
    reloaded = clerk.post(f"/console/step/listen/{number}", data={"csrf": csrf.group(1), "key": "another"})
    assert reloaded.status_code == 409
    assert "the steps allowed next are: ask_preferred_solution" in html.unescape(reloaded.text)
    assert [event.kind for event in served.journal.events(ComplaintNumber.parse(number))][1:] == [
        "listened",
        "apologized",
    ]


# -- an erased customer ------------------------------------------------------------------------------------------
def test_a_second_case_opened_after_an_erasure_records_no_erased_placeholder() -> None:
    """The page: the case page "has a button to open a second case of the same details all the same". Once the
    customer's personal data is erased, their name and words read back as a placeholder; a new case must not
    record the placeholder as what the customer is called and said."""
    served = serve(journal=MemoryJournal(clock=lambda: NOW, encrypt_personal_data=True))
    clerk = _signed_in(served, "staff")
    first = _open(clerk, "40.00", description="The room smelled of smoke.")
    back = clerk.get("/console").text  # Back, and the button pressed again: the same complaint
    csrf, key = _CSRF.search(back), _FORM_KEY.search(back)
    assert csrf is not None
    assert key is not None
    form = {"csrf": csrf.group(1), "key": key.group(1), "customer_id": "10442", "tier": "gold"}
    form |= {"category": "room_not_ready", "kind": "refund", "amount": "40.00"}
    form |= {"description": "The room smelled of smoke."}
    again = clerk.post("/console/cases", data=form)
    assert again.headers["location"] == f"/console/cases/{first}?done=again"
    served.journal.erase_customer("10442", now=NOW)
    placeholder = CaseView.replay(served.journal.events(ComplaintNumber.parse(first))).complaint.customer.name
    page = clerk.get(again.headers["location"]).text
    second_form = re.search(r'<form method="post" action="/console/cases" class="card inline">(.*?)</form>', page, re.S)
    assert second_form is not None
    sent = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', second_form.group(1)))
    opened = clerk.post("/console/cases", data={name: html.unescape(value) for name, value in sent.items()})
    assert opened.status_code in {303, 422}
    for summary in served.journal.cases():
        complaint = CaseView.replay(served.journal.events(summary.number)).complaint
        if summary.number != ComplaintNumber.parse(first):
            assert complaint.customer.name != placeholder
            assert complaint.description != placeholder


# -- error pages ---------------------------------------------------------------------------------------------------
def test_a_form_too_large_is_said_in_a_sentence_with_one_full_stop() -> None:
    served = serve()
    clerk = _signed_in(served, "staff")
    number = _open(clerk, "40.00")
    csrf = _CSRF.search(clerk.get(f"/console/cases/{number}").text)
    assert csrf is not None
    for extra in ({"notes": "x" * 70_000}, {f"field{index}": "1" for index in range(50)}):
        refused = clerk.post(f"/console/step/listen/{number}", data={"csrf": csrf.group(1), **extra})
        assert refused.headers["content-type"].startswith("text/html")
        assert "Traceback" not in refused.text
        assert ".." not in refused.text
    assert _state(served, number) == "opened"


# -- the time zone and the currency shown ------------------------------------------------------------------------
def test_a_callback_promised_across_the_change_from_summer_time_is_shown_in_the_new_offset() -> None:
    """The page: the callback promised is shown "in the policy's time zone". Escalated at 00:30 EDT on the night
    New York leaves summer time (1 November 2026), the callback at 09:00 that morning is 09:00 EST, on the case
    page and in the queue, whose own "as of" is still EDT."""
    now = [dt.datetime(2026, 11, 1, 0, 30, tzinfo=_NEW_YORK).astimezone(dt.UTC)]
    served = serve(clock=lambda: now[0])
    clerk = _signed_in(served, "staff")
    number = _escalated(served, clerk)
    due = served.journal.events(ComplaintNumber.parse(number))[-1].callback_due
    assert due == dt.datetime(2026, 11, 1, 9, 0, tzinfo=_NEW_YORK)  # business hours open at 07:00, plus 2 hours
    page = clerk.get(f"/console/cases/{number}").text
    said = 'By <time datetime="2026-11-01T09:00-05:00">Sunday 01 November 2026, 09:00 EST</time> (9:00 this morning)'
    assert said in page
    queue = _signed_in(served, "manager").get("/console/queue").text
    assert "callback by Sunday 01 November 2026, 09:00 EST (9:00 this morning)" in queue
    assert "As of Sunday 01 November 2026, 00:30 EDT." in queue


def _yen_policy() -> Policy:
    data = policy_data(currency="JPY", hard_cap="500000")
    data["levels"] = [
        {"name": "staff", "limit": "10000", "tier_limits": {"gold": "30000"}},
        {"name": "manager", "limit": "200000", "callback_within": "4h"},
        {"name": "general_manager", "limit": "unlimited", "callback_within": "1d"},
    ]
    for item in data["catalog"]:
        item["value"] = str(int(item["value"]))
    return Policy.model_validate(data)


def test_a_yen_case_is_walked_to_a_counter_offer_in_whole_yen() -> None:
    """The page: amounts in the policy's currency and its decimal places (yen has none), a comma only between
    thousands; the preferred solution is prefilled with what was asked, and a manager approves less."""
    served = serve(_yen_policy())
    clerk = _signed_in(served, "staff")
    number = _open(clerk, "250,000", customer_name="山田 花子")
    for step in ("listen", "apologize"):
        _step(clerk, number, step)
    page = clerk.get(f"/console/cases/{number}").text
    assert 'id="amount" name="amount" value="250000"' in page  # prefilled, in whole yen
    assert "refund, ¥250,000" in page
    _step(clerk, number, "ask_preferred_solution", kind="refund", amount="250000")
    _step(clerk, number, "decide")
    _step(clerk, number, "escalate")
    manager = _signed_in(served, "general_manager")
    refused = _step(manager, number, "manager_approves", 422, amount="100000.50")  # yen has no decimal places
    assert _state(served, number) == "escalated"
    assert 'id="amount-error"' in refused.text
    _step(manager, number, "manager_approves", amount="100,000")
    assert _state(served, number) == "counter_offered"
    words = html.unescape(clerk.get(f"/console/cases/{number}").text)
    assert "We can offer you the ¥100,000 refund" in words
    _step(clerk, number, "deliver")
    _step(clerk, number, "accept_offer")
    assert served.journal.events(ComplaintNumber.parse(number))[-1].grant == Money("100000", "JPY")
