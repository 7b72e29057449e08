"""Every kind of bad input to the decision service is an RFC 9457 problem, located, written for an HTTP client."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery_rules import Complaint, InvalidInputError, JournalIntegrityError, Money, StaleCaseError, presets
from recovery_rules._case._path import check_agreed, check_answers
from recovery_rules.server._models import DecideRequest
from recovery_rules.server._problems import for_http, problem_response

from ._helpers import examples
from ._server import SEED_STEPS, Served, complaint, serve, walk

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "errors"}
PYTHON_ADVICE = ("Decimal(", "tzinfo", "datetime(", "timedelta(", "model_copy", "None", "True", "False")
PYTHON_TYPE = re.compile(r"\b(bool|NoneType|list|dict|tuple|str|int|float)\b")


@pytest.fixture(scope="module")
def served() -> Served:
    return serve()


def problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    """The problem a response holds, checked to be a complete RFC 9457 document for an HTTP client."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["type"].endswith("#" + kind)
    assert body["status"] == status
    text = response.text
    for advice in PYTHON_ADVICE:
        assert advice not in text, f"{advice!r} is Python advice: {text}"
    assert "Ada Guest" not in text  # the input is never repeated
    for item in body["errors"]:
        assert set(item) == {"pointer", "field", "detail"}
    return body


def pointers(body: dict[str, Any]) -> list[str]:
    return [item["pointer"] for item in body["errors"]]


def test_malformed_json_is_a_400(served: Served) -> None:
    response = served.post("/v1/decisions", content=b'{"complaint": ', headers={"Content-Type": "application/json"})
    problem(response, 400, "malformed-request")


def test_wrong_types_are_located_with_json_pointers(served: Served) -> None:
    body = {"complaint": complaint(customer={"id": 10442}, category=["noise"])}
    found = problem(served.post("/v1/decisions", json=body), 422, "invalid-input")
    assert set(pointers(found)) >= {"/complaint/customer/id", "/complaint/category"}
    assert {item["field"] for item in found["errors"]} >= {"complaint.customer.id", "complaint.category"}


def test_a_body_that_is_not_an_object_is_a_422(served: Served) -> None:
    problem(served.post("/v1/decisions", json=["complaint"]), 422, "invalid-input")


def test_unknown_fields_are_refused_by_name(served: Served) -> None:
    found = problem(
        served.post("/v1/decisions", json={"complaint": complaint(), "grantd": "1 USD"}), 422, "invalid-input"
    )
    assert pointers(found) == ["/grantd"]


def test_a_pointer_escapes_a_tilde_before_a_slash(served: Served) -> None:
    """A JSON pointer writes ``~`` as ``~0`` and then ``/`` as ``~1`` (RFC 6901, 3), never the other way round,
    which would turn the ``~1`` of a slash into ``~01``: a key ``x~1/y`` is at ``/x~01~1y``."""
    body = complaint()
    body["customer"]["a/b~c"] = 1
    found = problem(served.post("/v1/decisions", json={"complaint": body, "x~1/y": 2}), 422, "invalid-input")
    assert sorted(pointers(found)) == ["/complaint/customer/a~1b~0c", "/x~01~1y"]
    assert sorted(item["field"] for item in found["errors"]) == ["complaint.customer.a/b~c", "x~1/y"]


def test_a_level_in_the_body_is_refused_the_token_decides_it(served: Served) -> None:
    found = problem(
        served.post("/v1/decisions", json={"complaint": complaint("3000.00"), "by": "manager"}), 422, "invalid-input"
    )
    assert pointers(found) == ["/by"]
    assert "token" in found["errors"][0]["detail"]


def test_money_as_a_json_number_gets_an_example_json_value(served: Served) -> None:
    body = {"complaint": complaint(requested={"kind": "refund", "amount": 250.0})}
    found = problem(served.post("/v1/decisions", json=body), 422, "invalid-input")
    assert pointers(found) == ["/complaint/requested/amount"]
    assert '"250.00 USD"' in found["errors"][0]["detail"]


@pytest.mark.parametrize(
    "amount",
    [{"amount": 250.0, "currency": "USD"}, {"amount": "2.505", "currency": "USD"}, "250 US", "-5 USD", True],
)
def test_bad_money_is_located(served: Served, amount: object) -> None:
    body = {"complaint": complaint(requested={"kind": "refund", "amount": amount})}
    found = problem(served.post("/v1/decisions", json=body), 422, "invalid-input")
    assert all(pointer.startswith("/complaint/requested/amount") for pointer in pointers(found)), found


def test_a_naive_time_gets_an_example_with_an_offset(served: Served) -> None:
    body = {"complaint": complaint(received_at="2026-11-23T09:30:00")}
    found = problem(served.post("/v1/decisions", json=body), 422, "invalid-input")
    assert pointers(found) == ["/complaint/received_at"]
    assert "-05:00" in found["errors"][0]["detail"]


@pytest.mark.parametrize("route", ["/v1/decisions", "/v1/cases"])
def test_a_foreign_currency_and_an_unknown_remedy_are_422s_at_their_place_in_the_body(
    served: Served, route: str
) -> None:
    """The library finds these once the complaint is read, and places them in the complaint; the client is told
    their place in the body it sent."""
    euros = {"complaint": complaint(requested={"kind": "refund", "amount": "25.00 EUR"})}
    found = problem(served.post(route, json=euros), 422, "invalid-input")
    assert pointers(found) == ["/complaint/requested/amount"]
    assert [item["field"] for item in found["errors"]] == ["complaint.requested.amount"]
    unknown = {"complaint": complaint(requested={"kind": "pony", "amount": "25.00 USD"})}
    found = problem(served.post(route, json=unknown), 422, "invalid-input")
    assert pointers(found) == ["/complaint/requested/kind"]


@pytest.mark.parametrize("route", ["/v1/decisions", "/v1/cases"])
def test_a_complaint_number_of_another_customer_is_located_at_the_number(served: Served, route: str) -> None:
    body = {"complaint": complaint(number="20261123-777")}
    found = problem(served.post(route, json=body), 422, "invalid-input")
    assert pointers(found) == ["/complaint/number"]
    assert found["errors"][0]["detail"].startswith("the complaint number's customer part does not match")


def test_an_incident_that_is_not_a_complaint_number_is_located_at_incident(served: Served) -> None:
    found = problem(
        served.post("/v1/cases", json={"complaint": complaint(), "incident": "last week"}), 422, "invalid-input"
    )
    assert pointers(found) == ["/incident"]


@pytest.mark.parametrize(
    ("remedy", "place"),
    [
        ({"kind": "pony", "amount": "25.00 USD"}, "/remedy/kind"),
        ({"kind": "refund", "amount": "25.00 EUR"}, "/remedy/amount"),
        ({"kind": "refund", "amount": 25.5}, "/remedy/amount"),
    ],
)
def test_a_preferred_remedy_is_located_in_the_body_as_remedy(served: Served, remedy: object, place: str) -> None:
    """The library checks the preferred remedy as the complaint's request; in the body it is ``remedy``."""
    number = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]
    walk(served, number, SEED_STEPS[:2])
    found = problem(
        served.post(f"/v1/cases/{number}/ask_preferred_solution", json={"remedy": remedy}), 422, "invalid-input"
    )
    assert pointers(found) == [place]
    assert served.get(f"/v1/cases/{number}").json()["case"]["state"] == "apologized"  # nothing recorded


@pytest.mark.parametrize(
    ("answers", "place"),
    [
        ({"satisfaction": True}, "/satisfaction"),
        ({"satisfaction": "3"}, "/satisfaction"),
        ({"satisfaction": 3.5}, "/satisfaction"),
        ({"satisfaction": 3.0}, "/satisfaction"),
        ({"satisfaction": 0}, "/satisfaction"),
        ({"satisfaction": 6}, "/satisfaction"),
        ({"satisfied": "yes"}, "/satisfied"),
        ({"satisfied": 1}, "/satisfied"),
        ({"satisfied": "true"}, "/satisfied"),
    ],
)
def test_answers_are_json_booleans_and_scores_never_coerced(served: Served, answers: object, place: str) -> None:
    """``true`` is not the score 1, nor ``"yes"`` or ``1`` a ``true``: refused as the library refuses them, in
    words for a JSON client, and nothing is recorded."""
    number = served.post("/v1/cases", json={"complaint": complaint("40.00")}).json()["complaint_number"]
    walk(served, number, [*SEED_STEPS[:3], ("decide", "staff")])
    found = problem(served.post(f"/v1/cases/{number}/deliver", json=answers), 422, "invalid-input")
    assert pointers(found) == [place]
    detail = found["errors"][0]["detail"]
    assert detail in {
        "must be true or false",
        "must be a whole number from 1 (not at all satisfied) to 5 (fully satisfied)",
    }
    assert served.get(f"/v1/cases/{number}").json()["case"]["state"] == "approved"  # not delivered


@pytest.mark.parametrize("agreed", ["yes", 1, 0, "false"])
def test_the_customers_agreement_is_a_json_boolean(served: Served, agreed: object) -> None:
    number = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]
    walk(served, number, SEED_STEPS[:2])
    sent = served.post(f"/v1/cases/{number}/ask_preferred_solution", json={"customer_agreed": agreed})
    found = problem(sent, 422, "invalid-input")
    assert pointers(found) == ["/customer_agreed"]
    assert found["errors"][0]["detail"] == "must be true or false"


def test_an_unknown_level_is_located(served: Served) -> None:
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00", category="noise")}).json()
    number = number["complaint_number"]
    walk(
        served,
        number,
        [*SEED_STEPS, ("manager_denies", "manager"), ("explain_denial", "manager")],
        manager_denies={"reason": "beyond what one night's noise calls for"},
    )
    walk(
        served,
        number,
        [("decline_alternatives", "manager"), ("make_final_offer", "manager"), ("decline_final_offer", "manager")],
    )
    found = problem(
        served.post(f"/v1/cases/{number}/write_report", "manager", json={"to": "intern"}), 422, "invalid-input"
    )
    assert pointers(found) == ["/to"]
    assert "staff, manager, general_manager" in found["errors"][0]["detail"]


def test_an_unknown_complaint_number_is_a_404_and_a_bad_one_a_422(served: Served) -> None:
    problem(served.get("/v1/cases/20261123-55555"), 404, "not-found")
    problem(served.post("/v1/cases/20261123-55555/listen"), 404, "not-found")
    for path in ("/v1/cases/not-a-number", "/v1/cases/", "/v1/cases/%2F", "/v1/cases/20261123-10442/0"):
        found = problem(served.get(path), 422, "invalid-input")
        # The path is not in the body: the problem has no pointer into it, only the parameter's name.
        assert [(item["pointer"], item["field"]) for item in found["errors"]] == [("", "number")], path


def test_a_step_the_case_does_not_allow_now_is_a_409_naming_the_steps_allowed(served: Served) -> None:
    number = served.post("/v1/cases", json={"complaint": complaint(category="wifi")}).json()["complaint_number"]
    found = problem(served.post(f"/v1/cases/{number}/deliver"), 409, "step-not-allowed")
    assert found["allowed_steps"] == ["listen"]
    assert found["state"] == "opened"


def test_a_step_above_the_tokens_level_is_a_403(served: Served) -> None:
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00", category="spa")}).json()
    number = number["complaint_number"]
    walk(served, number, SEED_STEPS)
    found = problem(served.post(f"/v1/cases/{number}/manager_approves", "staff-2"), 403, "forbidden")
    assert found["needed_level"] == "manager"
    own = problem(served.post(f"/v1/cases/{number}/manager_approves", "staff"), 403, "forbidden")
    assert "may not decide their own escalation" in own["detail"]
    assert own["needed_level"] == "manager"  # the level whose other employees may approve it, not "staff"
    assert served.post(f"/v1/cases/{number}/manager_approves", "manager").status_code == 200


def test_a_policy_that_does_not_load_lists_every_problem(served: Served) -> None:
    response = served.post("/v1/policy/check", content='name = "x"\n', headers={"Content-Type": "application/toml"})
    found = problem(response, 422, "invalid-policy")
    assert {"/currency", "/levels"} <= set(pointers(found))
    syntax = served.post("/v1/policy/check", content="name = ", headers={"Content-Type": "application/toml"})
    problem(syntax, 422, "invalid-policy")


def test_a_policy_in_a_media_type_the_check_does_not_read_is_a_415(served: Served) -> None:
    response = served.post("/v1/policy/check", content="x", headers={"Content-Type": "text/plain"})
    problem(response, 415, "unsupported-media-type")


def test_unknown_routes_and_methods_are_problems_too(served: Served) -> None:
    problem(served.get("/v1/complaints"), 404, "not-found")
    problem(served.client.delete("/v1/decisions"), 405, "method-not-allowed")


def test_a_method_a_route_does_not_take_is_a_405_naming_those_it_does(served: Served) -> None:
    response = served.client.delete("/v1/decisions")
    found = problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "POST, OPTIONS"
    assert found["detail"] == "/v1/decisions does not take DELETE: it takes POST"


@pytest.mark.parametrize("step", ["frobnicate", "manager_approve"])
def test_a_misspelt_step_is_a_404_naming_the_steps(step: str) -> None:
    """``GET /v1/cases/{number}`` takes a number with a ``/``: a misspelt step is still no case number (a 404,
    not the 405 of a case read with POST)."""
    served = serve()
    first = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]
    second = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]
    assert second == f"{first}/2"
    for number in (first, second):
        for path in (f"/v1/cases/{number}/{step}", f"/v1/cases/{number}/{step}/"):  # no redirect to a case either
            response = served.client.post(path, headers=served.auth(), follow_redirects=False)
            found = problem(response, 404, "not-found")
            assert "allow" not in response.headers
            assert found["detail"].startswith(f"there is no step '{step}' of a case: the steps are listen, apologize, ")
            assert "manager_approves" in found["detail"]
        assert served.get(f"/v1/cases/{number}").status_code == 200  # the case itself is there


def test_a_step_read_with_get_is_a_405_and_a_case_posted_to_too() -> None:
    served = serve()
    first = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]
    second = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]
    for number in (first, second):
        response = served.get(f"/v1/cases/{number}/listen")
        found = problem(response, 405, "method-not-allowed")
        assert response.headers["allow"] == "POST, OPTIONS"
        assert found["detail"] == f"/v1/cases/{number}/listen does not take GET: it takes POST"
        posted = served.post(f"/v1/cases/{number}")
        assert problem(posted, 405, "method-not-allowed")["detail"].endswith("it takes GET")
        assert posted.headers["allow"] == "GET, HEAD, OPTIONS"
        assert served.post(f"/v1/cases/{number}/listen").json()["case"]["state"] == "listened"
        assert served.get(f"/v1/cases/{number}").json()["case"]["state"] == "listened"


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", None])
def test_a_json_body_sent_without_a_json_content_type_is_a_415_that_says_so(content_type: str | None) -> None:
    """``curl -d`` sends ``application/x-www-form-urlencoded``: the body is not read, so the answer is about the
    header, never about the body (which is a JSON object)."""
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]
    headers = {} if content_type is None else {"Content-Type": content_type}
    named = f"this request's Content-Type is {content_type}" if content_type else "this request has no Content-Type"
    for path, body in (
        ("/v1/decisions", {"complaint": complaint()}),
        ("/v1/cases", {"complaint": complaint()}),
        (f"/v1/cases/{number}/listen", {"notes": "heard it all"}),
    ):
        response = served.post(path, content=json.dumps(body).encode(), headers=headers)
        found = problem(response, 415, "unsupported-media-type")
        assert found["detail"] == f"send the body as JSON with the header Content-Type: application/json ({named})"
        assert [(item["field"], item["detail"]) for item in found["errors"]] == [
            ("Content-Type", "must be application/json")
        ]
    assert served.get(f"/v1/cases/{number}").json()["case"]["state"] == "opened"  # nothing was recorded
    # A step without a body is taken whatever the Content-Type (fetch sends application/json with every request).
    for step, sent in (("listen", "application/json"), ("apologize", content_type)):
        plain = {} if sent is None else {"Content-Type": sent}
        assert served.post(f"/v1/cases/{number}/{step}", headers=plain).status_code == 200


def test_json_nested_too_deep_to_read_is_a_400_that_says_so(served: Served) -> None:
    deep = b'{"complaint": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = served.post("/v1/decisions", content=deep, headers={"Content-Type": "application/json"})
    found = problem(response, 400, "malformed-request")
    assert "too deeply" in found["detail"]
    assert [(item["pointer"], item["detail"]) for item in found["errors"]] == [("", "is nested too deeply")]


@pytest.mark.parametrize(
    ("path", "body", "key", "once"),
    [
        ("/v1/cases", '{"complaint": COMPLAINT, "complaint": COMPLAINT}', "complaint", '{"complaint": COMPLAINT}'),
        ("/v1/decisions", '{"complaint": {"customer": {"id": "10442", "id": "77"}}}', "id", '{"complaint": {}}'),
        ("/v1/cases/NUMBER/listen", '{"notes": "a", "notes": "b"}', "notes", '{"notes": "b"}'),
        ("/v1/cases/NUMBER/listen", '{"notes": "a", "n\\u006ftes": "b"}', "notes", '{"n\\u006ftes": "b"}'),
    ],
)
def test_a_key_twice_in_one_object_is_a_400_not_the_last_value(
    served: Served, path: str, body: str, key: str, once: str
) -> None:
    """An audit: ``{"reason": "a", "reason": "b"}`` was taken, the last value winning; a proxy or a log that
    reads the first acts on another request than the service. It is refused as a body that is not valid JSON,
    before the token is checked (as that one is), and nothing is recorded."""
    number = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]
    count = served.journal.head().count

    def sent(text: str) -> str:
        return text.replace("COMPLAINT", json.dumps(complaint())).replace("NUMBER", number)

    for headers in (served.auth(), {}):  # with a token and without one: the body is read first
        response = served.client.post(
            sent(path), content=sent(body), headers={**headers, "Content-Type": "application/json"}
        )
        found = problem(response, 400, "malformed-request")
        said = f'names the key "{key}" twice in one object'
        assert said in found["detail"]
        assert found["detail"].startswith("the body is not valid JSON for this service: ")
        assert [(item["pointer"], item["field"], item["detail"]) for item in found["errors"]] == [("", "", said)]
    assert served.journal.head().count == count
    answer = served.post(sent(path), content=sent(once), headers={"Content-Type": "application/json"})
    assert answer.status_code in (200, 201, 422), answer.text  # each key once: read (and valid or not)


def test_a_key_twice_in_a_json_policy_is_placed_at_its_line(served: Served) -> None:
    """``/v1/policy/check`` reads a JSON policy with the policy loader, which refuses a key twice at its line."""
    text = json.dumps(presets.retail().model_dump(mode="json"), indent=2).replace(
        '\n  "name": ', '\n  "name": "twice",\n  "name": ', 1
    )
    response = served.post("/v1/policy/check", content=text, headers={"Content-Type": "application/json"})
    found = problem(response, 422, "invalid-policy")
    assert [(item["pointer"], item["field"]) for item in found["errors"]] == [("", "")]
    assert found["errors"][0]["detail"] == (
        "is not valid JSON for a policy: the key 'name' appears twice in one object; keep one (at line 3, column 3)"
    )


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"satisfaction": 3}, "/satisfaction"),
        ({"satisfied": True}, "/satisfied"),
        ({"satisfied": False, "satisfaction": 2}, "/satisfied"),
    ],
)
def test_a_second_answer_is_placed_at_the_field_sent(served: Served, body: dict[str, Any], pointer: str) -> None:
    """An audit: after a case recorded the customer's answer, ``thank`` with only ``{"satisfaction": 3}`` was a
    422 pointing at ``/satisfied``, a field the request did not send."""
    number = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]
    walk(served, number, [("listen", "staff"), ("apologize", "staff"), ("ask_preferred_solution", "staff")])
    walk(served, number, [("decide", "staff"), ("deliver", "staff")], deliver={"satisfaction": 4})
    found = problem(served.post(f"/v1/cases/{number}/thank", json=body), 422, "invalid-input")
    assert pointers(found) == [pointer]
    assert found["errors"][0]["field"] == pointer[1:]
    assert found["errors"][0]["detail"] == (
        'the case already records the customer\'s answer ("satisfied": null, "satisfaction": 4); '
        'send thank without "satisfied" and "satisfaction"'
    )


def test_a_number_too_long_to_read_is_a_422_at_its_place(served: Served) -> None:
    """Python reads whole numbers of at most 4,300 digits: a longer one is named where it is, not a parse error."""
    body = json.dumps({"complaint": {**complaint(), "requested": {"kind": "refund", "amount": "AMOUNT"}}})
    long = body.replace('"AMOUNT"', "9" * 5000).encode()
    response = served.post("/v1/decisions", content=long, headers={"Content-Type": "application/json"})
    found = problem(response, 422, "invalid-input")
    assert pointers(found) == ["/complaint/requested/amount"]
    assert found["errors"][0]["detail"] == (
        f"is a whole number of 5,000 digits; the service reads numbers of at most {sys.get_int_max_str_digits():,} "
        "digits"
    )
    assert found["detail"].startswith("the request is not valid: complaint.requested.amount: is a whole number")


def test_a_body_that_is_not_utf_8_is_a_400(served: Served) -> None:
    response = served.post(
        "/v1/decisions", content=b'{"complaint": "\xff"}', headers={"Content-Type": "application/json"}
    )
    found = problem(response, 400, "malformed-request")
    assert found["detail"] == "the body is not UTF-8 text; send JSON encoded as UTF-8"


def test_a_stale_case_is_a_409() -> None:
    served = serve()
    app: FastAPI = served.app

    @app.get("/test-stale")
    def stale() -> None:
        raise StaleCaseError(expected=3, found=4)

    problem(served.client.get("/test-stale"), 409, "stale-case")


def test_query_parameters_are_checked_too(served: Served) -> None:
    found = problem(served.get("/v1/report", params={"since": "yesterday"}), 422, "invalid-input")
    assert [item["field"] for item in found["errors"]] == ["since"]
    naive = problem(served.get("/v1/report", params={"since": "2026-11-01T00:00:00"}), 422, "invalid-input")
    assert [item["field"] for item in naive["errors"]] == ["since"]


NUMBER_REFUSED = "a number is refused: seconds and milliseconds cannot be told apart"


def query_problem(response: Any, field: str) -> str:
    """The one problem of a 422 about query parameter ``field``: at no place in the body (pointer ''); its detail."""
    found = problem(response, 422, "invalid-input")
    assert found["errors"] == [{"pointer": "", "field": field, "detail": found["errors"][0]["detail"]}], found
    assert found["detail"] == f"the request is not valid: {field}: {found['errors'][0]['detail']}"
    return str(found["errors"][0]["detail"])


@pytest.mark.parametrize("number", ["1", "-1", "1.5", "1700000000", "1700000000000", " 1 ", "+1", "1e9"])
@pytest.mark.parametrize("name", ["since", "until"])
def test_a_report_period_refuses_a_bare_number_as_received_at_does(served: Served, name: str, number: str) -> None:
    """``since=1`` would be read as 1970-01-01T00:00:01Z: a count of seconds (or milliseconds) is not a time."""
    detail = query_problem(served.get("/v1/report", "manager", params={name: number}), name)
    assert detail.startswith('must be a date and time with its UTC offset, such as "2026-11-23T09:30:00-05:00"')
    assert NUMBER_REFUSED in detail


def test_a_report_periods_problems_are_all_at_their_query_parameter(served: Served) -> None:
    later, earlier = "2026-11-24T00:00:00Z", "2026-11-23T00:00:00Z"
    assert query_problem(served.get("/v1/report", params={"since": later, "until": earlier}), "since") == (
        "must be earlier than until"
    )
    naive = query_problem(served.get("/v1/report", params={"until": "2026-11-01T00:00:00"}), "until")
    assert naive.startswith("must have a time zone: write it with its UTC offset, such as")
    beyond = query_problem(served.get("/v1/report", params={"since": "0001-01-01T00:00:00+05:00"}), "since")
    assert beyond.startswith("is out of range")
    assert served.get("/v1/report", params={"since": earlier, "until": later}).status_code == 200


def test_a_callback_time_refuses_a_bare_number(served: Served) -> None:
    """A JSON number for ``callback_at`` was read as seconds since 1970 (1795453200 was 17:00 UTC, accepted)."""
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    walk(served, number, SEED_STEPS[:-1])
    for sent in (1795453200, "1795453200"):
        found = problem(served.post(f"/v1/cases/{number}/escalate", json={"callback_at": sent}), 422, "invalid-input")
        assert pointers(found) == ["/callback_at"]
        assert NUMBER_REFUSED in found["errors"][0]["detail"]
    assert served.post(f"/v1/cases/{number}/escalate", json={"callback_at": "2026-11-23T17:00:00Z"}).status_code == 200


def test_an_idempotency_key_too_long_says_what_a_key_is_in_words_for_an_http_client(served: Served) -> None:
    response = served.post("/v1/cases", json={"complaint": complaint()}, key="k" * 201)
    found = problem(response, 422, "invalid-input")
    assert found["errors"] == [
        {
            "pointer": "",
            "field": "Idempotency-Key",
            "detail": "is 201 bytes long; the most is 200; send a key of yours naming this request, such as a "
            'UUID ("0b7e3c5e-8f1d-4c1a-9e0a-2f6d1c9b7a41")',
        }
    ]
    assert "String should" not in response.text
    assert served.post("/v1/cases", json={"complaint": complaint()}, key="k" * 200).status_code == 201


def test_a_policy_over_the_size_limit_is_refused_unread(served: Served) -> None:
    """Over the service's body limit (5,000,000 bytes, the most a policy is), a 413 before anything is read; with
    a larger limit, the route's own: a policy is never read past 5,000,000 bytes."""
    huge = b"#" * 5_000_001
    response = served.post("/v1/policy/check", content=huge, headers={"Content-Type": "application/toml"})
    problem(response, 413, "body-too-large")
    larger = serve(max_body_bytes=6_000_000)
    response = larger.post("/v1/policy/check", content=huge, headers={"Content-Type": "application/toml"})
    problem(response, 422, "invalid-input")


@settings(max_examples=examples(50))
@given(
    st.floats(allow_nan=False, allow_infinity=True) | st.booleans() | st.none() | st.lists(st.integers(), max_size=2)
)
def test_every_money_message_of_the_library_is_written_for_a_json_client(amount: object) -> None:
    """The library's own messages for amounts it refuses, as the service shows them: no Python advice."""
    messages = []
    for value in (amount, {"amount": amount, "currency": "USD"}):
        try:
            Money.validate(value)
        except InvalidInputError as error:
            messages += [problem.message for problem in error.problems]
    assert messages
    for message in messages:
        shown = for_http(message)
        for advice in ("Decimal", "tzinfo", "datetime("):
            assert advice not in shown, (message, shown)
        assert PYTHON_TYPE.search(shown) is None, (message, shown)


@pytest.mark.parametrize(
    ("amount", "named"),
    [(True, "not true or false"), (None, "not null"), ([], "not an array"), ({"amount": True, "currency": "USD"}, "")],
)
def test_an_amount_of_the_wrong_json_type_is_named_by_its_json_type(served: Served, amount: object, named: str) -> None:
    body = {"complaint": complaint(requested={"kind": "refund", "amount": amount})}
    found = problem(served.post("/v1/decisions", json=body), 422, "invalid-input")
    detail = found["errors"][0]["detail"]
    assert named in detail
    assert PYTHON_TYPE.search(detail) is None, detail


def test_the_librarys_answer_messages_are_written_for_a_json_client() -> None:
    """The service refuses wrong answers before the library sees them; should the library's words reach a client
    all the same, they name JSON's true, false and a left-out field, not Python's True, False and None."""
    refusals = []
    for answers in ({"satisfied": "yes"}, {"satisfaction": True}, {"satisfaction": 0}):
        with pytest.raises(InvalidInputError) as caught:
            check_answers(answers.get("satisfied"), answers.get("satisfaction"))
        refusals.append(caught.value)
    with pytest.raises(InvalidInputError) as agreed:
        check_agreed("yes")
    refusals.append(agreed.value)
    for refusal in refusals:
        shown = for_http(refusal.problems[0].message)
        assert re.search(r"\b(True|False|None)\b|'yes'", shown) is None, shown
        assert "true" in shown or "whole number from 1" in shown, shown


def test_a_problems_own_detail_is_written_for_a_json_client_too() -> None:
    """Not only each field's: a refusal's message shown whole (a 403's, a 409's ``str(error)``) is rewritten as
    well, should it ever carry Python advice. (Private: no library refusal shown whole carries any today.)"""
    response = problem_response("step-not-allowed", "the amount must be a Decimal, such as Decimal('2.50')", "/v1/x")
    detail = json.loads(bytes(response.body))["detail"]
    assert detail == 'the amount must be a string, such as "2.50"'


def test_a_naive_time_message_of_the_library_is_written_for_a_json_client() -> None:
    with pytest.raises(InvalidInputError) as caught:
        Complaint.model_validate({**complaint(), "received_at": dt.datetime(2026, 11, 23, 9, 30)})  # noqa: DTZ001 - naive on purpose
    shown = [for_http(problem.message) for problem in caught.value.problems]
    assert shown == [
        'must have a time zone: write it with its UTC offset, for example "2026-11-23T09:30:00-05:00" or '
        '"2026-11-23T14:30:00Z"'
    ]


def test_a_step_body_is_checked_in_the_librarys_words(served: Served) -> None:
    number = served.post("/v1/cases", json={"complaint": complaint(category="minibar")}).json()["complaint_number"]
    found = problem(served.post(f"/v1/cases/{number}/listen", json={"note": "x"}), 422, "invalid-input")
    assert pointers(found) == ["/note"]
    assert "did you mean 'notes'" in found["errors"][0]["detail"]


def test_a_callback_time_the_policy_does_not_allow_is_located(served: Served) -> None:
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00", category="laundry")}).json()
    number = number["complaint_number"]
    walk(served, number, SEED_STEPS[:4])
    naive = served.post(f"/v1/cases/{number}/escalate", json={"callback_at": "2026-11-23T12:30:00"})
    assert pointers(problem(naive, 422, "invalid-input")) == ["/callback_at"]
    too_late = served.post(f"/v1/cases/{number}/escalate", json={"callback_at": "2026-11-30T12:30:00-05:00"})
    assert pointers(problem(too_late, 422, "invalid-input")) == ["/callback_at"]


# -- amounts as JSON numbers ---------------------------------------------------------------------------------------
def _requested(amount: object) -> dict[str, Any]:
    return {"complaint": complaint(requested={"kind": "refund", "amount": amount})}


@pytest.mark.parametrize(
    ("body", "place", "example"),
    [
        (_requested({"amount": 150, "currency": "USD"}), "/complaint/requested/amount/amount", '"150.00"'),
        (_requested({"amount": 150.5, "currency": "USD"}), "/complaint/requested/amount/amount", '"150.50"'),
        (_requested({"amount": 0, "currency": "USD"}), "/complaint/requested/amount/amount", '"0.00"'),
        (_requested({"amount": 1500, "currency": "JPY"}), "/complaint/requested/amount/amount", '"1500"'),
        (_requested({"amount": 12.5, "currency": "KWD"}), "/complaint/requested/amount/amount", '"12.500"'),
        (_requested({"amount": 1500.0, "currency": "JPY"}), "/complaint/requested/amount/amount", '"1500"'),
        (_requested({"amount": 0.1 + 0.2, "currency": "USD"}), "/complaint/requested/amount/amount", '"0.30"'),
        ({"complaint": complaint(), "granted": {"amount": 150, "currency": "USD"}}, "/granted/amount", '"150.00"'),
        (
            {"complaint": complaint(), "granted": {"incident": "0.00 USD", "30d": {"amount": 900, "currency": "USD"}}},
            "/granted/30d/amount",
            '"900.00"',
        ),
    ],
)
def test_an_amount_written_as_a_json_number_is_refused_at_its_place(
    served: Served, body: dict[str, Any], place: str, example: str
) -> None:
    """The document says an amount is a string with a pattern: a JSON number, whole or not, is refused at the
    number's place, saying to write it as a string (in the amount's currency), on every route that takes one."""
    for route in ("/v1/decisions", "/v1/cases"):
        if route == "/v1/cases" and "granted" in body:
            continue  # a case reads what was granted from its journal
        found = problem(served.post(route, json=body), 422, "invalid-input")
        assert pointers(found) == [place], found
        detail = found["errors"][0]["detail"]
        assert "JSON number" in detail, detail
        assert f"as a string, such as {example}" in detail, detail


@settings(max_examples=examples(50))
@given(number=st.integers(-(10**17), 10**17) | st.floats(allow_nan=False, allow_infinity=False))
def test_any_json_number_as_an_amount_is_refused_at_the_number_with_it_written_as_text(
    served: Served, number: float
) -> None:
    """Whole or not, large or small, signed or not: a 422 at the number, showing it written as a string; the
    example is the number's own digits when it is an amount of the currency's places."""
    found = problem(
        served.post("/v1/decisions", json=_requested({"amount": number, "currency": "USD"})), 422, "invalid-input"
    )
    assert pointers(found) == ["/complaint/requested/amount/amount"], found
    example = re.search(r'as a string, such as "([^"]*)"', found["errors"][0]["detail"])
    assert example is not None, found
    if isinstance(number, int) and abs(number) < Money.MAX_AMOUNT:
        assert Money(example[1], "USD") == Money(number, "USD")


@pytest.mark.parametrize(
    ("step", "level", "body", "place"),
    [
        (
            "ask_preferred_solution",
            "staff",
            {"remedy": {"kind": "refund", "amount": {"amount": 250, "currency": "USD"}}},
            "/remedy/amount/amount",
        ),
        ("manager_approves", "manager", {"amount": {"amount": 1500, "currency": "USD"}}, "/amount/amount"),
    ],
)
def test_a_step_refuses_an_amount_written_as_a_json_number_and_records_nothing(
    step: str, level: str, body: dict[str, Any], place: str
) -> None:
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    before = SEED_STEPS[:2] if step == "ask_preferred_solution" else SEED_STEPS
    walk(served, number, before)
    version = served.get(f"/v1/cases/{number}").json()["case"]["version"]
    found = problem(served.post(f"/v1/cases/{number}/{step}", level, json=body), 422, "invalid-input")
    assert pointers(found) == [place]
    assert "as a string, such as" in found["errors"][0]["detail"]
    assert served.get(f"/v1/cases/{number}").json()["case"]["version"] == version  # nothing recorded
    text = {**body, "amount": {"amount": "1500.00", "currency": "USD"}} if step == "manager_approves" else body
    if step == "ask_preferred_solution":
        text = {"remedy": {"kind": "refund", "amount": {"amount": "250.00", "currency": "USD"}}}
    assert served.post(f"/v1/cases/{number}/{step}", level, json=text).status_code == 200  # as a string: taken


def test_an_amount_as_a_number_is_listed_with_the_bodys_other_problems(served: Served) -> None:
    body = _requested({"amount": 150, "currency": "usd"})
    body["complaint"]["received_at"] = "2026-11-23T09:30:00"
    body["grantd"] = "1.00 USD"
    found = problem(served.post("/v1/decisions", json=body), 422, "invalid-input")
    assert set(pointers(found)) == {
        "/complaint/requested/amount/amount",  # the number
        "/complaint/requested/amount/currency",  # its currency, in capitals
        "/complaint/received_at",
        "/grantd",
    }, found


def test_the_request_models_refuse_an_amount_as_a_number_in_python_too() -> None:
    """The check is the request models' own (not a route's): validating one from Python refuses it at its place."""
    with pytest.raises(InvalidInputError) as raised:
        DecideRequest.model_validate(_requested({"amount": 150, "currency": "USD"}))
    assert [problem.location for problem in raised.value.problems] == ["complaint.requested.amount.amount"]
    with pytest.raises(InvalidInputError, match=r"complaint\.requested\.amount\.amount: is the JSON number 150"):
        DecideRequest(**_requested({"amount": 150, "currency": "USD"}))
    assert DecideRequest.model_validate(_requested({"amount": "150", "currency": "USD"}))


def test_the_librarys_money_still_takes_a_whole_number() -> None:
    """Only the API's wire format refuses numbers: Python callers of the library keep writing ``Money(150, ...)``."""
    assert Money(150, "USD") == Money("150.00", "USD")
    assert Money.validate({"amount": 150, "currency": "USD"}) == Money("150.00", "USD")
    assert Complaint.model_validate(
        complaint(requested={"kind": "refund", "amount": {"amount": 150, "currency": "USD"}})
    )


# -- a policy's syntax errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "media", "where"),
    [
        ("{", "application/json", "line 1, column 2"),
        ('{"name": "x",\n "name": "y"', "application/json", "line 2"),
        ("name = \n", "application/toml", "line 1, column 8"),
        ("name: [", "application/yaml", "line 1, column 8"),
        ("name: a\nname: b\n", "application/yaml", "line 2, column 1"),
    ],
)
def test_a_policy_with_a_syntax_error_is_a_problem_of_the_body_as_a_whole(
    served: Served, text: str, media: str, where: str
) -> None:
    """A syntax error has no field to point at: its pointer is '' (the body as a whole), never the text
    ``/line 1, column 2``, and its line and column are in the detail, in every format alike."""
    found = problem(
        served.post("/v1/policy/check", content=text, headers={"Content-Type": media}), 422, "invalid-policy"
    )
    assert [(item["pointer"], item["field"]) for item in found["errors"]] == [("", "")], found
    assert where in found["errors"][0]["detail"]


def test_a_journal_that_cannot_be_used_now_and_one_that_does_not_verify_are_told_apart() -> None:
    """A journal that cannot be used now (closed, a database down) is a 503 with ``Retry-After``: the same request
    may succeed in a moment. One whose record does not verify is a 500 ``journal-integrity``: no retry mends it,
    and the client is not told to try again."""
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]

    def tampered(*_: Any, **__: Any) -> Any:
        raise JournalIntegrityError(1, "its hash does not match its content")

    served.journal.events = tampered  # type: ignore[method-assign]
    broken = served.get(f"/v1/cases/{number}")
    problem(broken, 500, "journal-integrity")
    assert "retry-after" not in broken.headers
    del served.journal.events
    served.journal.close()
    unavailable = served.get(f"/v1/cases/{number}")
    problem(unavailable, 503, "journal-unavailable")
    assert unavailable.headers["retry-after"] == "1"
