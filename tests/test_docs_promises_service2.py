"""A second pass on the decision service's functional promises (docs/reference/http-api.md,
docs/how-to/run-the-decision-service.md): idempotency over a restart, two clients racing one step, the OpenAPI
document's schemas against real answers, amounts in currencies of 0 and 3 decimal places, and text the journal
cannot store."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import ComplaintNumber, Policy, SQLiteJournal

from ._helpers import policy_data
from ._server import NOW, SEED_STEPS, Served, complaint, serve, walk

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the dev extra; this runs in CI")


def _kind(answer: Any) -> str:
    return str(answer.json().get("type", "")).rsplit("#", 1)[-1]


def _kinds(served: Served, number: str) -> list[str]:
    return [event.kind for event in served.journal.events(ComplaintNumber.parse(number))]


# -- idempotency over a restart ------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_retry_after_a_restart_on_the_same_sqlite_journal_gets_the_first_answer(tmp_path: Path) -> None:
    """run-the-decision-service.md: "A retry with the same key, on any worker, records nothing new and returns the
    first answer ... The same key with another body is a 409. The journal keeps the keys": a new app on the same
    file (a restarted service, new tokens for the same employees) knows the keys of the old one."""
    path = tmp_path / "cases.sqlite3"
    with SQLiteJournal(path, clock=lambda: NOW) as journal:
        before = serve(journal=journal)
        opened = before.post("/v1/cases", json={"complaint": complaint("3000.00")}, key="open-1")
        number = opened.json()["complaint_number"]
        listened = before.post(f"/v1/cases/{number}/listen", json={"notes": "Heard it all."}, key="listen-1")
        assert listened.status_code == 200, listened.json()
    with SQLiteJournal(path, clock=lambda: NOW) as journal:
        after = serve(journal=journal)
        reopened = after.post("/v1/cases", json={"complaint": complaint("3000.00")}, key="open-1")
        assert (reopened.status_code, reopened.json()) == (201, opened.json())
        assert reopened.headers["location"] == f"/v1/cases/{number}"
        relistened = after.post(f"/v1/cases/{number}/listen", json={"notes": "Heard it all."}, key="listen-1")
        assert (relistened.status_code, relistened.json()) == (200, listened.json())
        other = after.post(f"/v1/cases/{number}/listen", json={"notes": "Something else."}, key="listen-1")
        assert (other.status_code, _kind(other)) == (409, "idempotency-conflict")
        assert _kinds(after, number) == ["opened", "listened"]


# -- two clients racing one step -----------------------------------------------------------------------------
def _race(number: str, *services: Served) -> list[tuple[int, str]]:
    """Each of ``services`` escalates case ``number`` at the same moment (each with a key of its own): the answers."""
    start = threading.Barrier(len(services))
    answers: list[tuple[int, str]] = []

    def escalate(served: Served, key: str) -> None:
        start.wait()
        answer = served.post(f"/v1/cases/{number}/escalate", key=key)
        answers.append((answer.status_code, _kind(answer)))

    racing = [
        threading.Thread(target=escalate, args=(served, f"race-{index}")) for index, served in enumerate(services)
    ]
    for thread in racing:
        thread.start()
    for thread in racing:
        thread.join(30)
    return answers


@pytest.mark.slow
def test_two_services_on_one_sqlite_file_racing_one_step_record_it_once(tmp_path: Path) -> None:
    """run-the-decision-service.md: "Every worker, and every server on the same database, shares the journal";
    http-api.md: a step the case no longer allows is a 409 (``step-not-allowed``, or ``stale-case`` when another
    writer moved the case on while the step was checked). Two services, each with its own journal object on one
    file, take the same step at once: one is answered 200, the other a documented 409, and the step is recorded
    once."""
    path = tmp_path / "cases.sqlite3"
    with SQLiteJournal(path, clock=lambda: NOW) as first, SQLiteJournal(path, clock=lambda: NOW) as second:
        one, two = serve(journal=first), serve(journal=second)
        for index in range(5):
            body = {"complaint": complaint("3000.00", customer={"id": str(500 + index)})}
            number = one.post("/v1/cases", json=body).json()["complaint_number"]
            walk(one, number, SEED_STEPS[:4])
            answers = _race(number, one, two)
            codes = sorted(answers)
            assert codes[0] == (200, ""), answers
            assert codes[1] in {(409, "step-not-allowed"), (409, "stale-case")}, answers
            assert _kinds(one, number).count("escalated") == 1


@pytest.mark.slow
def test_two_managers_on_two_services_approving_at_once_never_grant_over_the_customers_cap(tmp_path: Path) -> None:
    """run-the-decision-service.md: "A grant's ledger check ... is read inside the transaction that records the
    step, so every limit and the per-customer cap hold across workers and servers". Two cases of one guest, each
    asking $6,000 (the cap is $10,000), approved at the same moment by managers on two services on one file: one
    is granted, the other is a 409 ``grant-refused``, and the ledger holds $6,000."""
    path = tmp_path / "cases.sqlite3"
    with SQLiteJournal(path, clock=lambda: NOW) as first, SQLiteJournal(path, clock=lambda: NOW) as second:
        one, two = serve(journal=first), serve(journal=second)
        numbers = [
            one.post("/v1/cases", json={"complaint": complaint("6000.00")}).json()["complaint_number"] for _ in "ab"
        ]
        for number in numbers:
            walk(one, number, SEED_STEPS)
        start = threading.Barrier(2)
        answers: list[tuple[int, str]] = []

        def approve(served: Served, number: str) -> None:
            start.wait()
            answer = served.post(f"/v1/cases/{number}/manager_approves", "manager")
            answers.append((answer.status_code, _kind(answer)))

        racing = [threading.Thread(target=approve, args=pair) for pair in zip((one, two), numbers, strict=True)]
        for thread in racing:
            thread.start()
        for thread in racing:
            thread.join(30)
        assert sorted(answers) == [(200, ""), (409, "grant-refused")], answers
        granted = [one.get(f"/v1/cases/{number}").json()["case"]["granted"]["amount"] for number in numbers]
        assert sorted(granted) == ["0.00", "6000.00"]


# -- the OpenAPI document against real answers ---------------------------------------------------------------
class _Document:
    """The service's OpenAPI document, checking a real answer against the schema of its operation and status."""

    def __init__(self, served: Served) -> None:
        self.document: dict[str, Any] = served.client.get("/v1/openapi.json").json()

    def check(self, method: str, template: str, answer: Any) -> None:
        responses = self.document["paths"][template][method]["responses"]
        status = str(answer.status_code)
        assert status in responses, (template, status, answer.text)
        media = answer.headers["content-type"]
        content = responses[status]["content"]
        assert media in content, (template, status, media)
        schema = {**content[media]["schema"], "components": self.document["components"]}
        errors = [error.message for error in jsonschema.Draft202012Validator(schema).iter_errors(answer.json())]
        assert errors == [], (template, status)


@pytest.mark.slow
def test_every_answer_along_the_longest_case_path_is_what_the_document_describes() -> None:
    """http-api.md: the OpenAPI document is what "a client generator ... reads": each answer, a refusal's too, is
    valid against the schema the document gives its operation and status. Walked along the longest path, in its
    unusual but allowed turns: the restatement refused then agreed, a counter-offer delivered and declined, both
    alternatives and the final offer declined, a report to the general manager, who calls; unicode in every
    text."""
    served = serve()
    document = _Document(served)
    opened = served.post("/v1/cases", json={"complaint": complaint("3000.00", description="Zimmer nicht fertig 🛏")})
    document.check("post", "/v1/cases", opened)
    number = opened.json()["complaint_number"]
    path: list[tuple[str, str, dict[str, Any] | None, int]] = [
        ("listen", "staff", {"notes": "Écouté jusqu'au bout"}, 200),
        ("apologize", "staff", {"notes": "申し訳ございません"}, 200),
        ("ask_preferred_solution", "staff", {"customer_agreed": False}, 200),
        ("ask_preferred_solution", "staff", {"remedy": {"kind": "credit", "amount": "2500.00 USD"}}, 200),
        ("decide", "staff", None, 200),
        ("escalate", "staff", {"notes": "Rückruf versprochen"}, 200),
        ("manager_approves", "staff-2", None, 403),
        ("manager_approves", "manager", {"amount": "1000.00 USD", "notes": "contre-offre"}, 200),
        ("deliver", "staff", {"notes": "offered"}, 200),
        ("decline_offer", "staff", {"notes": "لا شكرا"}, 200),
        ("explain_denial", "manager", None, 200),
        ("decline_alternatives", "manager", None, 200),
        ("make_final_offer", "manager", None, 200),
        ("decline_final_offer", "manager", None, 200),
        ("write_report", "manager", {"summary": "Отчёт 📝", "to": "general_manager"}, 200),
        ("manager_calls", "manager", None, 403),
        ("manager_calls", "general_manager", {"notes": "called"}, 200),
        ("thank", "staff", {"satisfied": False, "satisfaction": 2}, 200),
        ("thank", "staff", None, 409),
        ("close", "staff", None, 200),
    ]
    for step, level, body, status in path:
        answer = served.post(f"/v1/cases/{number}/{step}", level, json=body)
        assert answer.status_code == status, (step, answer.json())
        document.check("post", f"/v1/cases/{{number}}/{step}", answer)
    read = served.get(f"/v1/cases/{number}")
    assert read.json()["case"]["state"] == "closed"
    document.check("get", "/v1/cases/{number}", read)
    for template, answer in (
        ("/v1/report", served.get("/v1/report", params={"since": "2026-11-01T00:00:00Z"})),
        ("/v1/report", served.get("/v1/report", params={"since": "2026-11-01T00:00:00"})),
        ("/v1/callbacks/overdue", served.get("/v1/callbacks/overdue")),
        ("/v1/policy", served.get("/v1/policy")),
        ("/v1/cases/{number}", served.get("/v1/cases/20261123-99999")),
    ):
        document.check("get", template, answer)


# -- currencies of 0 and 3 decimal places --------------------------------------------------------------------
def _policy_in(currency: str, limits: tuple[str, str, str]) -> Policy:
    data = policy_data(currency=currency, hard_cap=limits[2])
    data["levels"] = [
        {"name": "staff", "limit": limits[0]},
        {"name": "manager", "limit": limits[1], "callback_within": "4h"},
        {"name": "general_manager", "limit": "unlimited", "callback_within": "1d"},
    ]
    return Policy.model_validate(data)


@pytest.mark.parametrize(
    ("currency", "limits", "amounts"),
    [
        ("JPY", ("10000", "200000", "500000"), ("150000 JPY", "90000 JPY", "90000.5 JPY", "90000")),
        ("BHD", ("100.000", "2000.000", "5000.000"), ("1500.000 BHD", "900.5 BHD", "900.0005 BHD", "900.500")),
    ],
)
def test_a_counter_offer_in_a_currency_of_0_or_3_places_is_exact_and_one_more_place_is_a_422_at_amount(
    currency: str, limits: tuple[str, str, str], amounts: tuple[str, str, str, str]
) -> None:
    """http-api.md: "Every amount is a string, in a request as in an answer"; run-the-decision-service.md: "bad
    money" is a 422 with each problem's ``pointer``. In yen and dinars too: the counter-offer is granted to the
    currency's places, and one more place is refused at ``/amount``, recording nothing."""
    asked, counter, too_precise, written = amounts
    served = serve(_policy_in(currency, limits))
    body = complaint()
    body["requested"] = {"kind": "refund", "amount": asked}
    number = served.post("/v1/cases", json={"complaint": body}).json()["complaint_number"]
    walk(served, number, SEED_STEPS)
    refused = served.post(f"/v1/cases/{number}/manager_approves", "manager", json={"amount": too_precise})
    assert (refused.status_code, _kind(refused)) == (422, "invalid-input")
    assert [error["pointer"] for error in refused.json()["errors"]] == ["/amount"]
    assert f"{currency} amounts have" in refused.json()["errors"][0]["detail"]
    assert _kinds(served, number)[-1] == "escalated"
    approved = served.post(f"/v1/cases/{number}/manager_approves", "manager", json={"amount": counter})
    assert approved.status_code == 200, approved.json()
    assert approved.json()["case"]["counter_offer"]["amount"] == {"amount": written, "currency": currency}


# -- text the journal cannot store ---------------------------------------------------------------------------
def _raw(served: Served, path: str, text: str, level: str = "staff") -> Any:
    headers = served.auth(level, **{"Content-Type": "application/json"})
    return served.client.post(path, content=text.encode("ascii"), headers=headers)


_LONE = "\\ud800"  # a JSON escape of half a surrogate pair: valid JSON syntax, not text


@pytest.mark.parametrize(
    ("step", "level", "taken", "body", "pointer"),
    [
        ("open", "staff", 0, None, "/complaint/customer/name"),
        ("listen", "staff", 0, f'{{"notes": "Heard {_LONE}"}}', "/notes"),
        (
            "ask_preferred_solution",
            "staff",
            2,
            f'{{"remedy": {{"kind": "refund", "amount": "20.00 USD", "description": "{_LONE}"}}}}',
            "/remedy/description",
        ),
        ("manager_denies", "manager", 5, f'{{"reason": "We cannot {_LONE}, but we CAN offer a dinner."}}', "/reason"),
    ],
    ids=["open", "listen", "ask_preferred_solution", "manager_denies"],
)
def test_text_that_is_not_unicode_is_refused_at_its_place_in_the_body(
    step: str, level: str, taken: int, body: str | None, pointer: str
) -> None:
    """run-the-decision-service.md: every error lists "each problem with its `pointer` into the body (a JSON
    pointer), its `field` (a dotted path)". ``"\\ud800"`` is JSON a client can send; the journal cannot store it,
    and the 422 must say where in what the client sent it is, not where the journal would have kept it."""
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    if step == "open":
        text = json.dumps({"complaint": complaint("3000.00", customer={"id": "777", "name": "NAME"})})
        answer = _raw(served, "/v1/cases", text.replace('"NAME"', f'"{_LONE}"'))
    else:
        walk(served, number, SEED_STEPS[:taken])
        assert body is not None
        answer = _raw(served, f"/v1/cases/{number}/{step}", body, level)
    assert (answer.status_code, _kind(answer)) == (422, "invalid-input")
    problems = answer.json()["errors"]
    assert [problem["pointer"] for problem in problems] == [pointer], problems
    assert [problem["field"] for problem in problems] == [pointer[1:].replace("/", ".")]
    assert len(served.journal.cases()) == 1  # nothing recorded: the case opened above only


def test_text_that_is_not_unicode_is_a_422_before_the_cases_state_is_checked() -> None:
    """http-api.md: "A request is checked in this order ... the headers and the body's fields (415, 422); the
    case's state (409 `step-not-allowed`)", as a note of 10,001 characters is: a 422 whatever the case's state."""
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    walk(served, number, SEED_STEPS[:2])  # listen is no longer allowed
    too_long = served.post(f"/v1/cases/{number}/listen", json={"notes": "x" * 10_001})
    assert (too_long.status_code, _kind(too_long)) == (422, "invalid-input")
    not_text = _raw(served, f"/v1/cases/{number}/listen", f'{{"notes": "{_LONE}"}}')
    assert (not_text.status_code, _kind(not_text)) == (422, "invalid-input"), not_text.json()


def test_a_lone_surrogate_refused_leaves_the_case_where_it_was() -> None:
    """http-api.md: a refused request records nothing (a half-written journal after a refusal is a bug): the
    refusal of text the journal cannot store comes before anything of the step is written."""
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    refused = _raw(served, f"/v1/cases/{number}/listen", f'{{"notes": "{_LONE}"}}')
    assert refused.status_code == 422
    assert _kinds(served, number) == ["opened"]
    assert served.post(f"/v1/cases/{number}/listen", json={"notes": "Heard it all."}).status_code == 200


# -- the most characters a text takes ------------------------------------------------------------------------
_TEXTS = [
    ("NotesRequest", "notes"),
    ("DenyRequest", "reason"),
    ("ReportRequest", "summary"),
    ("Complaint", "description"),
    ("Customer", "name"),
    ("Remedy", "description"),
]


@pytest.mark.parametrize(("schema", "field"), _TEXTS)
def test_the_document_says_the_most_characters_a_text_of_a_request_takes(schema: str, field: str) -> None:
    """http-api.md: the OpenAPI document is the file "a client generator ... reads", and it "lists every status an
    operation answers"; the service refuses a note, a reason, a summary, a description or a name of more than
    10,000 characters (a 422), so the document says so, as it says the bounds of a satisfaction score and the
    200 characters of an Idempotency-Key: a client that checks a request against the document never sends one
    the service refuses for its length."""
    document = serve().client.get("/v1/openapi.json").json()
    assert document["components"]["schemas"][schema]["properties"][field].get("maxLength") == 10_000


def test_a_note_of_10000_characters_is_taken_and_one_more_is_a_422_at_notes_recording_nothing() -> None:
    """The bound the document should give, checked in characters (not bytes: 10,000 emoji are 40,000 bytes of
    UTF-8): 10,000 are recorded; 10,001 are a 422 at ``/notes``, and the case stays where it was."""
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    refused = served.post(f"/v1/cases/{number}/listen", json={"notes": "🎉" * 10_001})
    assert (refused.status_code, _kind(refused)) == (422, "invalid-input")
    assert [error["pointer"] for error in refused.json()["errors"]] == ["/notes"]
    assert "10,001 characters" in refused.json()["errors"][0]["detail"]
    assert _kinds(served, number) == ["opened"]
    taken = served.post(f"/v1/cases/{number}/listen", json={"notes": "🎉" * 10_000})
    assert taken.status_code == 200, taken.json()
    assert _kinds(served, number) == ["opened", "listened"]
