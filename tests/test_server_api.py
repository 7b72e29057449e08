"""The decision service's /v1 API, in-process: decide, a case walked along its path, reading, overdue callbacks."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery_rules import Complaint, ComplaintNumber, MemoryJournal, Money, Policy, Resolution, presets

from ._helpers import examples
from ._server import NOW, SEED_STEPS, Served, complaint, serve, serving, walk

SEED_003 = [
    ("listen", "staff"),
    ("apologize", "staff"),
    ("ask_preferred_solution", "staff"),
    ("decide", "staff"),
    ("escalate", "staff"),
]


@pytest.fixture(scope="module")
def shared() -> Iterator[Served]:
    """One app for the tests that record nothing: decisions (pure: the journal is not written), policies checked
    (the policy served is unchanged), problems and the policy read. None reads the decision log or the metrics."""
    yield from serving()


def test_a_decision_carries_the_policy_revision_and_the_complaint_number(shared: Served) -> None:
    served = shared
    response = served.post("/v1/decisions", json={"complaint": complaint()})
    assert response.status_code == 200, response.json()
    answer = response.json()
    policy = presets.ritz_carlton()
    assert answer["policy_revision"] == policy.revision
    assert answer["complaint_number"] == "20261123-10442"
    expected = policy.decide(Complaint.model_validate(complaint()), by="staff", now=NOW, employee="e-staff")
    assert Resolution.model_validate(answer["resolution"]) == expected
    assert answer["resolution"]["employee"] == "e-staff"  # the token's employee, never the body's


def test_a_number_sent_as_null_is_numbered_by_the_businesss_date() -> None:
    """An audit: ``"number": null`` counted as a number the client set, so a complaint received at 02:30 UTC
    was numbered by the UTC date, not the New York hotel's (the day before), as when the number is left out."""
    served = serve()
    late = complaint(received_at="2026-11-22T02:30:00Z", number=None)
    decided = served.post("/v1/decisions", json={"complaint": late})
    assert decided.status_code == 200, decided.json()
    assert decided.json()["complaint_number"] == "20261121-10442"
    opened = served.post("/v1/cases", json={"complaint": late})
    assert opened.status_code == 201, opened.json()
    assert opened.json()["complaint_number"] == "20261121-10442"


def test_the_level_that_decides_is_the_tokens(shared: Served) -> None:
    served = shared
    body = {"complaint": complaint("3000.00")}
    assert served.post("/v1/decisions", "staff", json=body).json()["resolution"]["outcome"] == "escalated"
    assert served.post("/v1/decisions", "manager", json=body).json()["resolution"]["outcome"] == "approved"


def test_granted_counts_in_a_decision_outside_a_case(shared: Served) -> None:
    served = shared
    body = {"complaint": complaint("150.00"), "granted": "1900.00 USD"}
    answer = served.post("/v1/decisions", json=body).json()["resolution"]
    assert (answer["outcome"], answer["escalate_to"]) == ("escalated", "manager")


def test_granted_per_window_counts_each_window_apart(shared: Served) -> None:
    """The Ritz preset caps $10,000 an incident and $10,000 in any 30 days: $9,000 granted in the 30 days (none
    in this incident) leaves $1,000 to grant, which one amount for every window cannot say."""
    served = shared
    policy = presets.ritz_carlton()
    body = {"complaint": complaint("1500.00"), "granted": {"incident": "0.00 USD", "30d": "9000.00 USD"}}
    answer = served.post("/v1/decisions", "manager", json=body).json()["resolution"]
    assert answer["outcome"] == "denied"
    expected = policy.decide(
        Complaint.model_validate(complaint("1500.00")),
        by="manager",
        granted={"incident": Money("0.00", "USD"), "30d": Money("9000.00", "USD")},
        now=NOW,
        employee="e-manager",
    )
    assert Resolution.model_validate(answer) == expected
    one = {"complaint": complaint("1500.00"), "granted": {"amount": "0.00", "currency": "USD"}}  # still one amount
    assert served.post("/v1/decisions", "manager", json=one).json()["resolution"]["outcome"] == "approved"


@pytest.mark.parametrize(
    ("granted", "pointer", "detail"),
    [
        ({"incident": "0.00 USD"}, "/granted/30d", "is required: give what was granted in each of the policy"),
        ({"incident": "0.00 USD", "30x": "1.00 USD"}, "/granted/30x", "is not a window the policy counts grants in"),
        ({"incident": "0.00 USD", "30d": "1.00 EUR"}, "/granted/30d", "is in EUR, but the policy's amounts are in USD"),
        ({"incident": "x", "30d": "1.00 USD"}, "/granted/incident", "write an amount and its currency"),
        ({"incident": "0.00 USD", "30d": None}, "/granted/30d", "not null"),
        ({"amount": "0.00", "currency": "USD", "30d": "9.00 USD"}, "/granted", "or an object of an amount for each"),
        (["1.00 USD"], "/granted", 'must be {"amount": "12.50", "currency": "USD"} or "12.50 USD", not an array'),
    ],
)
def test_granted_per_window_is_checked(shared: Served, granted: object, pointer: str, detail: str) -> None:
    served = shared
    response = served.post("/v1/decisions", json={"complaint": complaint(), "granted": granted})
    assert response.status_code == 422
    [problem] = response.json()["errors"]
    assert problem["pointer"] == pointer
    assert detail in problem["detail"]


def test_a_denial_by_another_windows_cap_carries_that_windows_figures_in_its_trace(shared: Served) -> None:
    """``granted_before`` and ``total`` are the policy's own window's; the 30-day cap's are in its trace entry."""
    served = shared
    body = {"complaint": complaint("1500.00"), "granted": {"incident": "0.00 USD", "30d": "9000.00 USD"}}
    resolution = served.post("/v1/decisions", "manager", json=body).json()["resolution"]
    assert (resolution["granted_before"]["amount"], resolution["total"]["amount"]) == ("0.00", "1500.00")
    [failed] = [entry for entry in resolution["trace"] if not entry["passed"]]
    assert {name: money["amount"] for name, money in failed["figures"].items()} == {
        "granted": "9000.00",
        "asked": "1500.00",
        "total": "10500.00",
        "cap": "10000.00",
    }
    assert "($9,000.00 already granted + $1,500.00 asked)" in resolution["reason"]


def test_a_problem_per_window_names_its_field_as_a_dotted_path(shared: Served) -> None:
    served = shared
    body = {"complaint": complaint(), "granted": {"incident": "0.00 USD", "30d": 12.5}}
    [problem] = served.post("/v1/decisions", json=body).json()["errors"]
    assert (problem["pointer"], problem["field"]) == ("/granted/30d", "granted.30d")


def test_an_empty_granted_object_asks_for_each_window(shared: Served) -> None:
    served = shared
    errors = served.post("/v1/decisions", json={"complaint": complaint(), "granted": {}}).json()["errors"]
    assert [(error["pointer"], error["field"]) for error in errors] == [
        ("/granted/incident", "granted.incident"),
        ("/granted/30d", "granted.30d"),
    ]
    assert all(error["detail"].startswith("is required: give what was granted in each") for error in errors)


def test_every_amount_per_window_that_is_not_one_is_placed_at_its_window(shared: Served) -> None:
    served = shared
    body = {"complaint": complaint(), "granted": {"incident": 0.5, "30d": "1.001 USD"}}
    errors = served.post("/v1/decisions", json=body).json()["errors"]
    assert [(error["pointer"], error["detail"][:40]) for error in errors] == [
        ("/granted/incident", "is the floating-point number 0.5, which "),
        ("/granted/30d", "USD amounts have 2 decimal places and 1."),
    ]


def test_the_decision_log_is_one_json_line_per_decision_without_personal_data() -> None:
    served = serve()
    served.post("/v1/decisions", "manager", json={"complaint": complaint()})
    lines = served.log.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry == {
        "time": "2026-11-23T16:00:00Z",
        "revision": presets.ritz_carlton().revision,
        "outcome": "approved",
        "level": "manager",
        "employee": "e-manager",
        "complaint_number": "20261123-10442",
        "route": "decide",
        "recorded": False,
    }
    assert "Ada" not in lines[0]
    assert "check-in" not in lines[0]


def test_opening_a_case_answers_201_with_its_location_and_number() -> None:
    served = serve()
    response = served.post("/v1/cases", json={"complaint": complaint()})
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["complaint_number"] == "20261123-10442"
    assert response.headers["location"] == "/v1/cases/20261123-10442"
    assert answer["case"]["state"] == "opened"
    assert answer["case"]["allowed_steps"] == ["listen"]
    assert (answer["case"]["level"], answer["case"]["employee"]) == ("staff", "e-staff")
    assert answer["case"]["events"][0]["employee"] == "e-staff"
    assert answer["policy_revision"] == presets.ritz_carlton().revision


def test_a_second_case_of_the_day_is_read_by_its_number_with_a_slash() -> None:
    served = serve()
    served.post("/v1/cases", json={"complaint": complaint()})
    second = served.post("/v1/cases", json={"complaint": complaint(category="noise")}).json()
    assert second["complaint_number"] == "20261123-10442/2"
    read = served.get("/v1/cases/20261123-10442/2")
    assert read.status_code == 200, read.json()
    assert read.json()["case"]["complaint"]["category"] == "noise"
    listened = served.post("/v1/cases/20261123-10442/2/listen", json={"notes": "heard it all"})
    assert listened.json()["case"]["state"] == "listened"


def test_an_approval_is_delivered_by_the_employee_and_the_case_closes() -> None:
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]
    answer = walk(
        served,
        number,
        [*SEED_003[:4], ("deliver", "staff"), ("thank", "staff"), ("close", "staff")],
    ).json()
    assert answer["case"]["state"] == "closed"
    assert answer["case"]["outcome"] == "remedy_delivered"
    assert answer["case"]["granted"] == {"amount": "250.00", "currency": "USD"}
    assert [event["kind"] for event in answer["case"]["events"]][-3:] == ["delivered", "thanked", "closed"]


def test_seed_003_escalation_denial_two_alternatives_final_offer_and_report() -> None:
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    escalated = walk(served, number, SEED_003).json()
    assert escalated["case"]["state"] == "escalated"
    assert escalated["case"]["escalated_to"] == "manager"
    assert escalated["case"]["callback_by"] == "2026-11-23T18:00:00Z"
    denied = walk(
        served,
        number,
        [("manager_denies", "manager"), ("explain_denial", "manager")],
        manager_denies={"reason": "a refund that size is beyond what one night's delay calls for"},
    ).json()
    assert len(denied["case"]["alternatives_offered"]) == 2
    assert denied["case"]["offered_by"] == "manager"
    reported = walk(
        served,
        number,
        [
            ("decline_alternatives", "manager"),
            ("make_final_offer", "manager"),
            ("decline_final_offer", "manager"),
            ("write_report", "manager"),
            ("thank", "staff"),
            ("close", "staff"),
        ],
        write_report={"summary": "Guest wants the full refund; call tomorrow."},
    ).json()
    assert reported["case"]["state"] == "closed"
    assert reported["case"]["outcome"] == "reported"
    assert reported["case"]["report"]["to"] == "manager"


def test_the_ledger_keeps_the_authority_limit_across_cases_of_one_incident() -> None:
    served = serve()
    first = served.post("/v1/cases", json={"complaint": complaint("1900.00")}).json()["complaint_number"]
    walk(served, first, SEED_003[:4])
    body = {"complaint": complaint("200.00", category="noise"), "incident": first}
    second = served.post("/v1/cases", json=body).json()["complaint_number"]
    decided = walk(served, second, SEED_003[:4]).json()
    assert decided["case"]["decision"]["granted_before"] == {"amount": "1900.00", "currency": "USD"}
    assert decided["case"]["state"] == "beyond_authority"


def test_a_step_response_is_the_case_as_that_step_left_it() -> None:
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]
    answer = served.post(f"/v1/cases/{number}/listen", json={"notes": "long story"}).json()
    assert answer["step"] == "listen"
    assert answer["event"]["kind"] == "listened"
    assert answer["event"]["version"] == 2
    assert answer["case"]["version"] == 2
    assert answer["case"]["allowed_steps"] == ["apologize"]


def test_overdue_callbacks_are_listed_once_the_promised_time_passes() -> None:
    moment = [NOW]
    served = serve(clock=lambda: moment[0])
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    walk(served, number, SEED_003)
    assert served.get("/v1/callbacks/overdue").json()["cases"] == []
    moment[0] = NOW + dt.timedelta(hours=2, minutes=1)
    overdue = served.get("/v1/callbacks/overdue").json()
    assert [case["complaint_number"] for case in overdue["cases"]] == [number]
    assert overdue["cases"][0]["callback_by"] == "2026-11-23T18:00:00Z"


def test_the_policy_route_names_the_levels_a_token_may_have(shared: Served) -> None:
    answer = shared.get("/v1/policy").json()
    assert answer["levels"] == ["staff", "manager", "general_manager"]
    assert answer["revision"] == answer["policy_revision"] == presets.ritz_carlton().revision


def test_a_valid_policy_checks_with_its_revision_in_every_format(shared: Served) -> None:
    served = shared
    text = presets.path("retail").read_text(encoding="utf-8")
    answer = served.post("/v1/policy/check", content=text, headers={"Content-Type": "application/toml"})
    assert answer.status_code == 200, answer.json()
    assert answer.json()["revision"] == presets.retail().revision
    assert answer.json()["policy_revision"] == presets.ritz_carlton().revision  # the policy served: unchanged
    as_json = served.post("/v1/policy/check", json=presets.retail().model_dump(mode="json"))
    assert as_json.status_code == 200, as_json.json()
    assert as_json.json()["revision"] == presets.retail().revision


def test_the_report_is_the_metrics_of_the_period_read_against_the_policy_served() -> None:
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]
    walk(served, number, [*SEED_003[:4], ("deliver", "staff"), ("thank", "staff"), ("close", "staff")])
    later = served.post("/v1/cases", json={"complaint": complaint("3000.00", category="noise")}).json()
    walk(served, later["complaint_number"], SEED_003)
    answer = served.get("/v1/report", params={"since": "2026-11-01T00:00:00Z"})
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["policy_revision"] == presets.ritz_carlton().revision
    assert body["report"]["cases"] == {"total": 2, "open": 1, "closed": 1}
    assert body["report"]["first_decisions"]["escalated"] == 1
    empty = served.get("/v1/report", params={"since": "2026-12-01T00:00:00Z"}).json()
    assert empty["report"]["cases"]["total"] == 0


@pytest.mark.slow
def test_the_customer_may_choose_the_callback_time_and_the_manager_calls_after_a_report() -> None:
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00", category="noise")}).json()
    number = number["complaint_number"]
    walk(served, number, SEED_003[:4])
    chosen = "2026-11-23T12:30:00-05:00"  # within the manager's two hours, while the hotel is open
    escalated = served.post(f"/v1/cases/{number}/escalate", json={"callback_at": chosen}).json()
    assert escalated["case"]["callback_by"] == "2026-11-23T17:30:00Z"
    walk(
        served,
        number,
        [
            ("manager_denies", "manager"),
            ("explain_denial", "manager"),
            ("decline_alternatives", "manager"),
            ("make_final_offer", "manager"),
            ("decline_final_offer", "manager"),
            ("write_report", "manager"),
        ],
        manager_denies={"reason": "a refund that size is beyond what one night's noise calls for"},
    )
    refused = served.post(f"/v1/cases/{number}/manager_calls", "staff-2", json={"notes": "called"})
    assert refused.status_code == 403
    called = served.post(f"/v1/cases/{number}/manager_calls", "manager", json={"notes": "called, all well"}).json()
    assert called["event"]["kind"] == "manager_called"
    assert called["event"]["employee"] == "e-manager"


@pytest.mark.slow
def test_the_report_goes_to_the_level_the_body_names_and_the_call_is_recorded_as_the_callers() -> None:
    """``write_report``'s ``to`` decides who owes the personal call: a report to the general manager is not the
    manager's to call (403); and a call made by a level above the one the report went to is recorded as that
    level's, the token's, not the report's."""
    served = serve()
    steps = [
        ("manager_denies", "manager"),
        ("explain_denial", "manager"),
        ("decline_alternatives", "manager"),
        ("make_final_offer", "manager"),
        ("decline_final_offer", "manager"),
    ]
    reason = {"reason": "a refund that size is beyond what one night's noise calls for"}
    up = served.post("/v1/cases", json={"complaint": complaint("3000.00", category="noise")}).json()
    up = up["complaint_number"]
    walk(served, up, [*SEED_003, *steps], manager_denies=reason)
    reported = walk(served, up, [("write_report", "manager")], write_report={"to": "general_manager"}).json()
    assert reported["case"]["report"]["to"] == "general_manager"
    assert served.post(f"/v1/cases/{up}/manager_calls", "manager", json={"notes": "called"}).status_code == 403
    called = walk(served, up, [("manager_calls", "general_manager")]).json()
    assert (called["event"]["actor"], called["event"]["employee"]) == ("general_manager", "e-general_manager")

    guest = {"id": "77", "tier": "gold"}
    other = served.post("/v1/cases", json={"complaint": complaint("3000.00", category="noise", customer=guest)})
    other = other.json()["complaint_number"]
    walk(served, other, [*SEED_003, *steps, ("write_report", "manager")], manager_denies=reason)
    above = walk(served, other, [("manager_calls", "general_manager")]).json()  # the report went to the manager
    assert above["event"]["actor"] == "general_manager"


def test_health_readiness_and_metrics() -> None:
    served = serve()
    assert served.client.get("/healthz").json() == {"status": "ok"}
    ready = served.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["revision"] == presets.ritz_carlton().revision
    served.post("/v1/decisions", json={"complaint": complaint()})
    text = served.client.get("/metrics").text
    assert 'recovery_rules_decisions_total{level="staff",outcome="approved"} 1.0' in text
    assert 'recovery_rules_http_requests_total{method="POST",route="/v1/decisions",status="200"} 1.0' in text
    assert f'recovery_rules_policy_info{{revision="{presets.ritz_carlton().revision}"}} 1.0' in text


def test_a_managers_denial_is_a_decision_in_the_metrics_once() -> None:
    """``recovery_rules_decisions_total`` counts decisions by outcome and level: a manager's denial too (it was
    left out, as it answers with its event), once for a retry with the same key."""
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    assert walk(served, number, SEED_STEPS).json()["case"]["state"] == "escalated"
    for _ in range(2):
        denied = served.post(
            f"/v1/cases/{number}/manager_denies", "manager", key="deny-1", json={"reason": "more than we can offer"}
        )
        assert denied.status_code == 200, denied.text
    text = served.client.get("/metrics").text
    assert 'recovery_rules_decisions_total{level="manager",outcome="denied"} 1.0' in text
    assert 'recovery_rules_decisions_total{level="staff",outcome="escalated"} 1.0' in text


def test_each_app_counts_in_a_registry_of_its_own() -> None:
    one, two = serve(), serve()
    one.post("/v1/decisions", json={"complaint": complaint()})
    assert "recovery_rules_decisions_total{" not in two.client.get("/metrics").text


def test_readiness_fails_when_the_journal_cannot_be_used() -> None:
    served = serve()
    served.journal.close()
    ready = served.client.get("/readyz")
    assert ready.status_code == 503
    assert served.client.get("/healthz").status_code == 200


@settings(max_examples=examples(40))
@given(
    cents=st.integers(min_value=0, max_value=1_200_000),
    granted=st.integers(min_value=0, max_value=1_200_000),
    level=st.sampled_from(["staff", "manager", "general_manager"]),
    category=st.sampled_from(["room_not_ready", "noise", "billing_error", "something_new"]),
)
def test_the_service_decides_as_the_library_does(
    shared: Served, cents: int, granted: int, level: str, category: str
) -> None:
    """Whatever the amount, what was granted, the level and the category: the API's resolution is the library's."""
    amount, before = f"{cents // 100}.{cents % 100:02d}", f"{granted // 100}.{granted % 100:02d}"
    body = {"complaint": complaint(amount, category=category), "granted": f"{before} USD"}
    answer = shared.post("/v1/decisions", level, json=body).json()
    expected = presets.ritz_carlton().decide(
        Complaint.model_validate(body["complaint"]),
        by=level,
        granted=Money(before, "USD"),
        now=NOW,
        employee=f"e-{level}",
    )
    assert Resolution.model_validate(answer["resolution"]) == expected


def test_a_browser_page_of_an_allowed_origin_may_call_the_api() -> None:
    served = serve(allow_origins=("https://desk.example.com",))
    preflight = {
        "Origin": "https://desk.example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
    }
    allowed = served.client.options("/v1/cases", headers=preflight)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://desk.example.com"
    refused = served.client.options("/v1/cases", headers={**preflight, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in refused.headers
    answer = served.post(
        "/v1/decisions", json={"complaint": complaint()}, headers={"Origin": "https://desk.example.com"}
    )
    assert answer.headers["access-control-allow-origin"] == "https://desk.example.com"
    assert "access-control-allow-origin" not in serve().post("/v1/decisions", json={"complaint": complaint()}).headers


def test_the_customers_answers_are_recorded() -> None:
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]
    walk(served, number, SEED_003[:2])
    asked = served.post(f"/v1/cases/{number}/ask_preferred_solution", json={"customer_agreed": True}).json()
    assert asked["case"]["customer_agreed"] is True
    walk(served, number, [("decide", "staff")])
    delivered = served.post(f"/v1/cases/{number}/deliver", json={"satisfied": True, "satisfaction": 5}).json()
    assert (delivered["case"]["satisfied"], delivered["case"]["satisfaction"]) == (True, 5)
    wrong = served.post(f"/v1/cases/{number}/thank", json={"satisfaction": 9})
    assert wrong.status_code == 422


def test_a_manager_counter_offers_and_the_customer_accepts() -> None:
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    walk(served, number, SEED_003)
    offered = served.post(f"/v1/cases/{number}/manager_approves", "manager", json={"amount": "2500.00 USD"}).json()
    assert offered["case"]["counter_offer"]["amount"] == {"amount": "2500.00", "currency": "USD"}
    walk(served, number, [("deliver", "staff")])
    accepted = served.post(f"/v1/cases/{number}/accept_offer", json={"satisfied": True}).json()
    assert accepted["case"]["granted"] == {"amount": "2500.00", "currency": "USD"}
    assert accepted["case"]["satisfied"] is True


def test_a_case_escalated_to_a_level_a_reload_renamed_is_refused_with_its_reason_not_a_500() -> None:
    """Reloaded between two steps, a policy without the level the case waits for: the step is refused (422),
    saying which level is gone and which the policy has, and nothing is recorded."""
    served = serve(journal=MemoryJournal())
    number = served.post("/v1/cases", json={"complaint": complaint("9000.00")}).json()["complaint_number"]
    assert walk(served, number, SEED_STEPS).json()["case"]["escalated_to"] == "general_manager"
    text = presets.path("ritz-carlton").read_text(encoding="utf-8")
    renamed = Policy.from_text(text.replace('name = "general_manager"', 'name = "director"'), format="toml")
    served.app.state.service._policy = renamed  # what a reload of the edited file does
    before = len(served.journal.events(ComplaintNumber.parse(number)))
    body = {"reason": "It is more than one stay warrants."}
    refused = served.client.post(f"/v1/cases/{number}/manager_denies", headers=served.auth("manager"), json=body)
    assert refused.status_code == 422, refused.text
    assert "the policy has no level named 'general_manager'" in refused.json()["detail"]
    assert len(served.journal.events(ComplaintNumber.parse(number))) == before


def test_a_retried_decision_is_logged_and_counted_once() -> None:
    """The same ``decide`` sent twice (the same idempotency key) is recorded once, so it is one decision in the
    decision log and the metrics, not two."""
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    walk(served, number, SEED_STEPS[:3])
    first = served.post(f"/v1/cases/{number}/decide", key="decide-1")
    lines = len(served.log.getvalue().splitlines())
    again = served.post(f"/v1/cases/{number}/decide", key="decide-1")
    assert again.status_code == first.status_code == 200
    assert again.json()["event"] == first.json()["event"]
    assert len(served.log.getvalue().splitlines()) == lines
    metrics = served.client.get("/metrics").text
    assert 'recovery_rules_decisions_total{level="staff",outcome="escalated"} 1.0' in metrics


def test_an_escalation_long_after_its_decision_promises_a_callback_still_to_come() -> None:
    """The decision promised a callback two hours from 16:00; escalated at 19:00, that time has passed: the
    promise is counted again from the escalation, never made in the past (nor overdue as soon as made)."""
    now = {"at": dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)}
    served = serve(clock=lambda: now["at"])
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    decided = walk(served, number, SEED_STEPS[:4]).json()["case"]
    assert decided["decision"]["callback_by"] == "2026-11-23T18:00:00Z"
    now["at"] = dt.datetime(2026, 11, 23, 19, 0, tzinfo=dt.UTC)
    escalated = served.post(f"/v1/cases/{number}/escalate").json()["case"]
    assert escalated["callback_by"] == "2026-11-23T21:00:00Z"
    assert served.get("/v1/callbacks/overdue").json()["cases"] == []
    now["at"] = dt.datetime(2026, 11, 23, 21, 1, tzinfo=dt.UTC)
    assert [case["complaint_number"] for case in served.get("/v1/callbacks/overdue").json()["cases"]] == [number]


def test_a_case_says_what_the_next_offering_step_would_offer() -> None:
    """``offers``: before explain_denial the manager's Plan B now (two and the back-up), then nothing to offer."""
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    walk(served, number, SEED_STEPS)
    reason = {"reason": "a refund that size is beyond what one night's delay calls for"}
    walk(served, number, [("manager_denies", "manager")], manager_denies=reason)
    body = served.get(f"/v1/cases/{number}", "manager").json()["case"]
    assert body["allowed_steps"] == ["explain_denial"]
    offers = [item["id"] for item in body["offers"]]
    assert len(offers) == 3
    explained = served.post(f"/v1/cases/{number}/explain_denial", "manager").json()["case"]
    assert [item["id"] for item in explained["alternatives_offered"]] == offers[:2]
    assert explained["backup"]["id"] == offers[2]
    assert explained["offers"] == []
    declined = served.post(f"/v1/cases/{number}/decline_alternatives", "manager").json()["case"]
    assert [item["id"] for item in declined["offers"]] == [offers[2]]


def _granted_on_an_earlier_day(served: Served, customer: str, amount: str, days: int) -> None:
    """A case of ``customer`` ``days`` before NOW whose ``amount`` staff grants and delivers at once."""
    received = (NOW - dt.timedelta(days=days)).isoformat()
    body = {"complaint": complaint(amount, customer={"id": customer}, category="noise", received_at=received)}
    number = served.post("/v1/cases", "staff-2", json=body).json()["complaint_number"]
    walk(served, number, [(step, "staff-2") for step in ("listen", "apologize", "ask_preferred_solution")])
    walk(served, number, [("decide", "staff-2"), ("deliver", "staff-2")])


@pytest.mark.parametrize("level", ["staff", "general_manager"])
def test_a_counter_offer_the_cap_no_longer_allows_is_a_409_naming_the_cap_for_any_token(level: str) -> None:
    """The ledger filled up between the counter-offer and its acceptance: no token's level would change that,
    so it is not a 403. It is a 409 (the case does not allow this grant now) that names the cap, and the
    customer may still decline the offer."""
    served = serve()
    body = {"complaint": complaint("3000.00", customer={"id": "556", "tier": "standard"})}
    number = served.post("/v1/cases", json=body).json()["complaint_number"]
    walk(served, number, SEED_STEPS)
    countered = served.post(f"/v1/cases/{number}/manager_approves", "manager", json={"amount": "2500.00 USD"})
    assert countered.status_code == 200, countered.json()
    walk(served, number, [("deliver", "staff")])
    for days, amount in enumerate(("2000.00", "2000.00", "2000.00", "1500.01"), 1):
        _granted_on_an_earlier_day(served, "556", amount, days)
    before = len(served.journal.events(ComplaintNumber.parse(number)))
    refused = served.post(f"/v1/cases/{number}/accept_offer", level)
    assert refused.status_code == 409, refused.json()
    assert refused.headers["content-type"] == "application/problem+json"
    found = refused.json()
    assert found["type"].endswith("#grant-refused")
    assert found["title"] == "The policy does not allow this grant now"
    assert "the per-guest cap of $10,000.00 in any 30 days" in found["detail"]
    assert found["allowed_steps"] == ["accept_offer", "decline_offer"]
    assert "needed_level" not in found
    assert len(served.journal.events(ComplaintNumber.parse(number))) == before
    walk(served, number, [("decline_offer", "staff")])


@pytest.mark.slow
def test_an_approval_over_the_cap_is_a_409_and_one_over_the_managers_authority_a_403() -> None:
    served = serve()
    body = {"complaint": complaint("3000.00", customer={"id": "557", "tier": "standard"})}
    number = served.post("/v1/cases", json=body).json()["complaint_number"]
    walk(served, number, SEED_STEPS)
    for days in (1, 2, 3, 4):
        _granted_on_an_earlier_day(served, "557", "2000.00", days)
    over_cap = served.post(f"/v1/cases/{number}/manager_approves", "general_manager")
    assert over_cap.status_code == 409, over_cap.json()
    assert over_cap.json()["type"].endswith("#grant-refused")
    assert "cap" in over_cap.json()["detail"]

    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint("9000.00")}).json()["complaint_number"]
    walk(served, number, SEED_STEPS)
    above = served.post(f"/v1/cases/{number}/manager_approves", "manager")
    assert above.status_code == 403, above.json()
    assert above.json()["needed_level"] == "general_manager"


def test_a_retried_step_answers_as_the_first_time_after_the_case_moved_on() -> None:
    """The same body, byte for byte: the case as that step left it, the steps allowed after it, and what the
    next step would offer, even though that step and another have been taken since."""
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    walk(served, number, SEED_STEPS)
    reason = {"reason": "a refund that size is beyond what one night's delay calls for"}
    first = served.post(f"/v1/cases/{number}/manager_denies", "manager", json=reason, key="deny-1")
    assert first.status_code == 200
    assert first.json()["case"]["allowed_steps"] == ["explain_denial"]
    assert len(first.json()["case"]["offers"]) == 3
    explained = walk(served, number, [("explain_denial", "manager")]).json()["case"]
    chosen = {"alternative_id": explained["alternatives_offered"][0]["id"]}
    walk(served, number, [("accept_alternative", "manager")], accept_alternative=chosen)
    again = served.post(f"/v1/cases/{number}/manager_denies", "manager", json=reason, key="deny-1")
    assert again.status_code == 200
    assert again.content == first.content


def _denied_and_both_alternatives_declined(served: Served) -> str:
    """A case a manager denied and offered the alternatives of, both declined: the final offer comes next."""
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    walk(served, number, SEED_003)
    reason = {"reason": "a refund that size is beyond what one night's delay calls for"}
    walk(served, number, [("manager_denies", "manager")], manager_denies=reason)
    walk(served, number, [("explain_denial", "manager"), ("decline_alternatives", "manager")])
    return str(number)


def test_the_customers_answers_to_the_final_offer_are_recorded() -> None:
    served = serve()
    number = _denied_and_both_alternatives_declined(served)
    walk(served, number, [("make_final_offer", "manager")])
    answers = {"satisfied": True, "satisfaction": 4}
    accepted = served.post(f"/v1/cases/{number}/accept_final_offer", "manager", json=answers)
    assert accepted.status_code == 200, accepted.json()
    assert (accepted.json()["case"]["satisfied"], accepted.json()["case"]["satisfaction"]) == (True, 4)


def test_the_notes_a_step_is_sent_are_recorded_in_the_journal() -> None:
    """Notes are kept in the journal, not in the answer: each step that takes them records what it was sent."""
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    parsed = ComplaintNumber.parse(number)
    walk(served, number, [("listen", "staff")], listen={"notes": "heard it all"})
    assert served.journal.events(parsed)[-1].data["notes"] == "heard it all"
    walk(served, number, SEED_003[1:])
    reason = {"reason": "a refund that size is beyond what one night's delay calls for"}
    walk(served, number, [("manager_denies", "manager")], manager_denies=reason)
    walk(served, number, [("explain_denial", "manager")], explain_denial={"notes": "said why, offered two"})
    assert served.journal.events(parsed)[-1].data["notes"] == "said why, offered two"


@pytest.mark.parametrize("media", ["Application/TOML", "application/toml; charset=UTF-8", "TEXT/TOML"])
def test_a_policys_media_type_is_read_whatever_its_case_and_parameters(shared: Served, media: str) -> None:
    """Media types are case-insensitive (RFC 9110, 8.3.1), and a charset parameter changes nothing."""
    text = presets.path("retail").read_text(encoding="utf-8")
    answer = shared.post("/v1/policy/check", content=text, headers={"Content-Type": media})
    assert answer.status_code == 200, answer.json()
    assert answer.json()["revision"] == presets.retail().revision


def test_a_browser_page_may_read_where_the_case_it_opened_is_and_why_a_token_is_refused() -> None:
    """CORS hides every answer header but a few from a page's script unless the answer exposes it: a page must
    read a new case's ``Location``, a 401's ``WWW-Authenticate``, a 503's ``Retry-After`` and a 405's ``Allow``."""
    served = serve(allow_origins=("https://desk.example.com",))
    origin = {"Origin": "https://desk.example.com"}
    opened = served.post("/v1/cases", json={"complaint": complaint()}, headers=origin)
    assert opened.status_code == 201, opened.json()
    exposed = {name.strip().lower() for name in opened.headers["access-control-expose-headers"].split(",")}
    assert {"location", "www-authenticate", "retry-after", "allow"} <= exposed


def test_a_case_names_the_employee_who_escalated_it() -> None:
    """The employee who escalated a case may not decide it: the case says who they are."""
    served = serve()
    number = served.post("/v1/cases", "staff-2", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    walk(served, number, [("listen", "staff-2"), ("apologize", "staff-2"), ("ask_preferred_solution", "staff-2")])
    escalated = walk(served, number, [("decide", "staff"), ("escalate", "staff")]).json()["case"]
    assert (escalated["employee"], escalated["escalating_employee"]) == ("e-staff-2", "e-staff")
    assert served.get(f"/v1/cases/{number}").json()["case"]["escalating_employee"] == "e-staff"


def test_a_managers_approval_is_counted_at_the_managers_level() -> None:
    """The decisions metric counts a decision at the level of the token that made it, not the level that will
    deliver it (the employee who opened the case delivers a manager's approval)."""
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    walk(served, number, SEED_STEPS)
    approved = served.post(f"/v1/cases/{number}/manager_approves", "manager")
    assert approved.status_code == 200, approved.json()
    text = served.client.get("/metrics").text
    assert 'recovery_rules_decisions_total{level="manager",outcome="approved"} 1.0' in text


def test_a_step_that_grants_names_its_grant_in_its_event() -> None:
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]
    walk(served, number, SEED_003[:3])
    decided = walk(served, number, [("decide", "staff")]).json()
    delivered = walk(served, number, [("deliver", "staff")]).json()
    grants = [answer["event"]["grant"] for answer in (decided, delivered)]
    assert {"amount": "250.00", "currency": "USD"} in grants


def test_beyond_the_employees_authority_the_customer_may_take_one_of_the_decisions_alternatives() -> None:
    """Seed 002: instead of the escalation, the customer takes one of the options the employee can authorize now:
    ``accept_alternative`` is allowed in ``beyond_authority``, a grant by the level that decided, the case resolved
    with no callback owed; an id that is not one of the decision's is a 422 naming them."""
    served = serve()
    try:
        number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
        decided = walk(served, number, SEED_STEPS[:4]).json()["case"]
        assert decided["state"] == "beyond_authority"
        assert decided["allowed_steps"] == ["escalate", "accept_alternative"]
        options = [option["id"] for option in decided["decision"]["alternatives"]]
        unknown = served.post(f"/v1/cases/{number}/accept_alternative", json={"alternative_id": "no-such-one"})
        assert unknown.status_code == 422, unknown.json()
        assert all(option in unknown.json()["detail"] for option in options)
        priced = next(o for o in decided["decision"]["alternatives"] if o["value"]["amount"] != "0.00")
        taken = served.post(f"/v1/cases/{number}/accept_alternative", json={"alternative_id": priced["id"]})
        assert taken.status_code == 200, taken.json()
        body = taken.json()
        assert (body["event"]["kind"], body["event"]["actor"]) == ("alternative_accepted", "staff")
        assert body["case"]["state"] == "resolved"
        assert body["case"]["outcome"] == "alternative_accepted"
        assert body["case"]["accepted"]["id"] == priced["id"]
        assert body["case"]["granted"] == body["event"]["grant"] == priced["value"]
        assert body["case"]["callback_by"] is None
        assert body["case"]["allowed_steps"] == ["thank"]
    finally:
        served.journal.close()


def test_an_alternative_taken_instead_of_a_managers_escalation_needs_a_token_of_the_managers_level() -> None:
    """The grant is the deciding level's: a manager decided $9,000 beyond their authority (a gold guest's: $7,500),
    so a staff token may not record the customer taking one of the manager's options (403, naming the level), and a
    manager's token may."""
    served = serve()
    try:
        number = served.post("/v1/cases", json={"complaint": complaint("9000.00")}).json()["complaint_number"]
        walk(served, number, [*SEED_STEPS[:3], ("decide", "manager")])
        decided = served.get(f"/v1/cases/{number}").json()["case"]
        assert decided["state"] == "beyond_authority"
        assert decided["decision"]["acting_level"] == "manager"
        chosen = {"alternative_id": decided["decision"]["alternatives"][0]["id"]}
        head = served.journal.head()
        refused = served.post(f"/v1/cases/{number}/accept_alternative", "staff", json=chosen)
        assert refused.status_code == 403, refused.json()
        assert refused.json()["needed_level"] == "manager"
        assert served.journal.head() == head
        taken = served.post(f"/v1/cases/{number}/accept_alternative", "manager", json=chosen)
        assert taken.status_code == 200, taken.json()
        assert taken.json()["event"]["actor"] == "manager"
    finally:
        served.journal.close()
