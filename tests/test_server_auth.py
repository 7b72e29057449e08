"""Who may act on the decision service (bearer tokens, kept as hashes), and idempotent retries."""

from __future__ import annotations

import errno
import io
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from recovery_rules import InvalidInputError, MemoryJournal, presets
from recovery_rules.server import (
    Tokens,
    add_token,
    create_app,
    demo_tokens,
    hash_token,
    mint_token,
    token_entry,
)

from ._server import NOW, SEED_STEPS, Served, complaint, serve, serving, walk


@pytest.fixture(scope="module")
def refusing() -> Iterator[Served]:
    """One app for the tests of requests refused for their token: nothing is recorded, and none of them reads the
    journal, the log or the metrics."""
    yield from serving()


def test_a_missing_token_is_a_401_with_a_bearer_challenge(refusing: Served) -> None:
    served = refusing
    response = served.client.post("/v1/decisions", json={"complaint": complaint()})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "header",
    ["Bearer rr_not-a-token", "Bearer ", "Basic dXNlcjpwYXNz", "rr_no-scheme", "Bearer " + "x" * 5000],
)
def test_a_wrong_token_is_a_401(refusing: Served, header: str) -> None:
    served = refusing
    response = served.client.get("/v1/policy", headers={"Authorization": header})
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.slow
def test_every_v1_route_needs_a_token() -> None:
    served = serve()
    spec = served.client.get("/v1/openapi.json").json()
    for path, operations in spec["paths"].items():
        if not path.startswith("/v1/"):
            continue
        concrete = path.replace("{number}", "20261123-10442")
        for method in operations:
            response = served.client.request(method.upper(), concrete, json={})
            assert response.status_code == 401, (method, path)


def test_a_clerk_cannot_act_as_a_manager() -> None:
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    walk(served, number, SEED_STEPS)
    # staff-2 did not escalate the case: only the level stands in the way
    as_body = served.post(f"/v1/cases/{number}/manager_approves", "staff-2", json={"by": "manager"})
    assert as_body.status_code == 422  # a level in the body is refused, never used
    approved = served.post(f"/v1/cases/{number}/manager_approves", "staff-2")
    assert approved.status_code == 403
    assert approved.json()["needed_level"] == "manager"
    denied = served.post(f"/v1/cases/{number}/manager_denies", "staff-2", json={"reason": "beyond one night's delay"})
    assert denied.status_code == 403
    assert served.get(f"/v1/cases/{number}").json()["case"]["state"] == "escalated"  # nothing was recorded


def test_a_step_recorded_as_a_managers_is_refused_to_a_clerk() -> None:
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00", category="noise")}).json()
    number = number["complaint_number"]
    walk(
        served,
        number,
        [*SEED_STEPS, ("manager_denies", "manager")],
        manager_denies={"reason": "beyond what one night's noise calls for"},
    )
    assert served.post(f"/v1/cases/{number}/explain_denial", "staff-2").status_code == 403
    walk(served, number, [("explain_denial", "manager")])
    refused = served.post(f"/v1/cases/{number}/decline_alternatives", "staff-2")
    assert refused.status_code == 403
    assert refused.json()["needed_level"] == "manager"


def test_a_token_whose_level_the_policy_lacks_is_a_403() -> None:
    token, digest = mint_token()
    tokens = Tokens.from_entries([{"sha256": digest, "employee": "e-9", "level": "associate"}])
    app = create_app(presets.ritz_carlton(), MemoryJournal(), tokens, clock=lambda: NOW)
    response = TestClient(app).get("/v1/policy", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


def test_the_token_file_holds_hashes_only_and_maps_each_to_an_employee_and_level(tmp_path: Path) -> None:
    token, digest = mint_token()
    assert token.startswith("rr_")
    assert len(token) >= 40
    assert digest == hash_token(token)
    assert len(digest) == 64
    path = tmp_path / "tokens.toml"
    path.write_text(token_entry(digest, "e-1042", "staff"), encoding="utf-8")
    assert token not in path.read_text(encoding="utf-8")
    tokens = Tokens.from_file(path)
    employee = tokens.employee(token)
    assert employee is not None
    assert (employee.id, employee.level) == ("e-1042", "staff")
    assert tokens.employee(token + "x") is None
    assert tokens.employee(digest) is None  # the hash is not a token
    as_json = tmp_path / "tokens.json"
    as_json.write_text(json.dumps({"tokens": [{"sha256": digest, "employee": "e-1042", "level": "staff"}]}))
    assert Tokens.from_file(as_json).employee(token) == employee


def test_a_bad_token_file_names_every_problem(tmp_path: Path) -> None:
    _, digest = mint_token()
    entries = [
        {"sha256": "ABC", "employee": "e 1", "level": "staff"},
        {"sha256": digest, "employee": "e-2", "level": "staff", "token": "rr_x"},
        {"sha256": digest, "employee": "e-3", "level": "staff"},
    ]
    with pytest.raises(InvalidInputError) as caught:
        Tokens.from_entries(entries)
    locations = [problem.location for problem in caught.value.problems]
    assert locations == ["tokens[0].sha256", "tokens[0].employee", "tokens[1].token", "tokens[2].sha256"]
    path = tmp_path / "tokens.toml"
    path.write_text("tokens = 3\n", encoding="utf-8")
    with pytest.raises(InvalidInputError):
        Tokens.from_file(path)


@pytest.mark.parametrize(
    ("second", "key", "column"),
    [('"level": "general_manager"', "level", 41), ('"lev\\u0065l": "general_manager"', "level", 41)],
)
def test_a_json_token_file_naming_a_key_twice_is_refused_at_its_line(
    tmp_path: Path, second: str, key: str, column: int
) -> None:
    """An audit: a JSON token file's entry naming ``level`` twice was read with the last value, silently (the
    employee got the general manager's authority); the TOML parser refuses a key set twice, at its line. Both do
    now, the JSON one in the same words as its other syntax problems."""
    _, digest = mint_token()
    path = tmp_path / "tokens.json"
    path.write_text(
        f'{{"tokens": [\n  {{"sha256": "{digest}", "employee": "e-1", "level": "staff"}},\n'
        f'  {{"sha256": "{digest[::-1]}",\n   "employee": "e-2", "level": "staff", {second}}}\n]}}\n',
        encoding="utf-8",
    )
    with pytest.raises(InvalidInputError) as caught:
        Tokens.from_file(path)
    assert [problem.location for problem in caught.value.problems] == [""]
    assert caught.value.problems[0].message == (
        f'is not valid JSON: the key "{key}" appears twice in one object (at line 4, column {column}); keep one'
    )
    path.write_text(path.read_text(encoding="utf-8").replace(f", {second}", ""), encoding="utf-8")
    assert len(Tokens.from_file(path)) == 2  # the same keys in two entries are each entry's own
    toml = tmp_path / "tokens.toml"
    toml.write_text(token_entry(digest, "e-1", "staff") + 'level = "general_manager"\n', encoding="utf-8")
    with pytest.raises(InvalidInputError) as caught:
        Tokens.from_file(toml)
    assert caught.value.problems[0].message.startswith("is not valid TOML: Cannot overwrite a value (at line 5")


# -- idempotency ----------------------------------------------------------------------------------------------
def test_a_retried_open_returns_the_first_answer_and_opens_one_case() -> None:
    served = serve()
    body = {"complaint": complaint()}
    first = served.post("/v1/cases", key="open-1", json=body)
    served.post(f"/v1/cases/{first.json()['complaint_number']}/listen")
    again = served.post("/v1/cases", key="open-1", json=body)
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert served.journal.head().count == 2  # the opening and the listen: no second case


def test_a_retried_step_returns_the_first_answer_even_after_the_case_moved_on() -> None:
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]
    walk(served, number, SEED_STEPS[:3])
    first = served.post(f"/v1/cases/{number}/decide", key="decide-1")
    walk(served, number, [("deliver", "staff")])
    again = served.post(f"/v1/cases/{number}/decide", key="decide-1")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.json()["case"]["state"] == "approved"
    assert len(served.log.getvalue().splitlines()) == 1  # one decision: its retry is not logged again


def test_the_same_key_with_another_body_is_a_409() -> None:
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]
    assert served.post(f"/v1/cases/{number}/listen", key="k", json={"notes": "a"}).status_code == 200
    conflict = served.post(f"/v1/cases/{number}/listen", key="k", json={"notes": "b"})
    assert conflict.status_code == 409
    assert conflict.json()["type"].endswith("#idempotency-conflict")
    other = served.post("/v1/cases", key="open", json={"complaint": complaint()})
    assert served.post("/v1/cases", key="open", json={"complaint": complaint("9.00")}).status_code == 409
    assert other.status_code == 201


def test_a_retry_after_the_customers_data_was_erased_is_a_409_that_says_so() -> None:
    served = serve(journal=MemoryJournal(clock=lambda: NOW, encrypt_personal_data=True))
    number = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]
    assert served.post(f"/v1/cases/{number}/listen", key="k", json={"notes": "a"}).status_code == 200
    served.journal.erase_customer("10442", now=NOW)
    retried = served.post(f"/v1/cases/{number}/listen", key="k", json={"notes": "a"})
    assert retried.status_code == 409
    assert retried.json()["type"].endswith("#idempotency-conflict")
    assert "personal data was erased" in retried.json()["detail"]
    assert "different request" not in retried.json()["detail"].split(":")[0]
    assert retried.json()["errors"][0]["detail"] == "was used before the customer's personal data was erased"


def test_the_employee_recorded_is_the_tokens() -> None:
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint()}).json()["complaint_number"]
    listened = served.post(f"/v1/cases/{number}/listen", "staff-2", json={"notes": "heard it"}).json()
    assert listened["event"]["employee"] == "e-staff-2"
    assert listened["case"]["employee"] == "e-staff"  # who opened the case
    assert listened["event"]["policy_revision"] == listened["policy_revision"]


def test_keys_are_scoped_to_the_route_and_the_employee() -> None:
    served = serve()
    first = served.post("/v1/cases", "staff", key="same", json={"complaint": complaint()})
    other_employee = served.post("/v1/cases", "manager", key="same", json={"complaint": complaint(category="noise")})
    assert (first.status_code, other_employee.status_code) == (201, 201)
    assert first.json()["complaint_number"] != other_employee.json()["complaint_number"]
    number = first.json()["complaint_number"]
    assert served.post(f"/v1/cases/{number}/listen", key="same").status_code == 200
    assert served.post(f"/v1/cases/{number}/apologize", key="same").status_code == 200


def test_a_decision_is_pure_and_a_key_changes_nothing() -> None:
    served = serve()
    body = {"complaint": complaint()}
    answers = [served.post("/v1/decisions", key="d", json=body).json() for _ in range(2)]
    changed = served.post("/v1/decisions", key="d", json={"complaint": complaint("3000.00")})
    assert answers[0] == answers[1]
    assert changed.status_code == 200
    assert served.journal.head().count == 0


# -- the token file, read again when it changes -------------------------------------------------------------------
def test_a_token_added_to_or_removed_from_the_token_file_counts_at_the_next_request(tmp_path: Path) -> None:
    """No reload needed: each request looks at the file, so a new employee's token works at once, and one
    removed from it (an employee who left) stops working at once, console sessions of it included."""
    path = tmp_path / "tokens.toml"
    first, first_digest = mint_token()
    path.write_text(token_entry(first_digest, "e-1", "staff") + "\n", encoding="utf-8")
    log = io.StringIO()
    logger = logging.getLogger("tests.tokens")
    logger.addHandler(logging.StreamHandler(log))
    app = create_app(
        presets.ritz_carlton(),
        MemoryJournal(),
        Tokens.from_file(path),
        tokens_source=str(path),
        clock=lambda: NOW,
        logger=logger,
    )
    client = TestClient(app)

    def status(token: str) -> int:
        return int(client.get("/v1/policy", headers={"Authorization": f"Bearer {token}"}).status_code)

    second, second_digest = mint_token()
    assert (status(first), status(second)) == (200, 401)
    with path.open("a", encoding="utf-8") as file:  # what `serve --mint-token` does
        file.write(token_entry(second_digest, "e-2", "staff") + "\n")
    assert (status(first), status(second)) == (200, 200)
    path.write_text(token_entry(second_digest, "e-2", "staff") + "\n", encoding="utf-8")  # e-1 left
    assert (status(first), status(second)) == (401, 200)
    # A file that does not read keeps the tokens read before, logged once, until it changes again.
    path.write_text("tokens = 3\n", encoding="utf-8")
    assert [status(second) for _ in range(3)] == [200, 200, 200]
    assert log.getvalue().count("token file reload refused") == 1
    path.unlink()
    assert status(second) == 200
    assert log.getvalue().count("token file reload refused") == 2
    path.write_text(token_entry(first_digest, "e-1", "staff") + "\n", encoding="utf-8")
    assert (status(first), status(second)) == (200, 401)


def test_a_report_after_a_managers_alternatives_is_refused_to_a_clerk() -> None:
    """The report after the final offer is declined is recorded as the offering manager's: a clerk's token may
    not write it (a 403 naming the manager's level), the manager's may."""
    served = serve()
    number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
    walk(served, number, SEED_STEPS)
    reason = {"reason": "a refund that size is beyond what one night's delay calls for"}
    walk(served, number, [("manager_denies", "manager")], manager_denies=reason)
    offering = ("explain_denial", "decline_alternatives", "make_final_offer", "decline_final_offer")
    walk(served, number, [(step, "manager") for step in offering])
    refused = served.post(f"/v1/cases/{number}/write_report", "staff", json={"summary": "Call the guest."})
    assert refused.status_code == 403, refused.json()
    assert refused.json()["needed_level"] == "manager"
    reported = walk(served, number, [("write_report", "manager")], write_report={"summary": "Call the guest."})
    assert reported.json()["event"]["actor"] == "manager"


def test_a_token_of_up_to_256_characters_is_read_and_a_longer_one_never() -> None:
    longest, longer = "rr_" + "x" * 253, "rr_" + "x" * 254
    entries = [
        {"sha256": hash_token(token), "employee": f"e-{len(token)}", "level": "staff"} for token in (longest, longer)
    ]
    tokens = Tokens.from_entries(entries)
    found = tokens.employee(longest)
    assert found is not None
    assert found.id == "e-256"
    assert tokens.employee(longer) is None  # not even hashed: no token is that long


def test_an_employee_or_level_name_is_at_most_64_characters() -> None:
    _, digest = mint_token()
    Tokens.from_entries([{"sha256": digest, "employee": "e" * 64, "level": "l" * 64}])
    with pytest.raises(InvalidInputError) as caught:
        Tokens.from_entries([{"sha256": digest, "employee": "e" * 65, "level": "l" * 65}])
    assert [problem.location for problem in caught.value.problems] == ["tokens[0].employee", "tokens[0].level"]


def test_an_unknown_token_is_challenged_as_invalid_and_a_missing_one_is_not(refusing: Served) -> None:
    """RFC 6750, 3.1: ``error="invalid_token"`` for a token the service does not know; no error code when the
    request sent none."""
    served = refusing
    unknown = served.client.get("/v1/policy", headers={"Authorization": "Bearer rr_not-a-token"})
    assert unknown.headers["www-authenticate"] == 'Bearer realm="recovery-rules", error="invalid_token"'
    missing = served.client.get("/v1/policy")
    assert missing.headers["www-authenticate"] == 'Bearer realm="recovery-rules"'


def _disk_full_after(monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    """Make ``os.write`` write ``count`` bytes, then fail as a full disk does."""
    real = os.write

    def write(descriptor: int, data: bytes | memoryview) -> int:
        real(descriptor, bytes(data[:count]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", write)


def test_a_token_file_cut_off_by_a_full_disk_is_not_left_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tokens.toml"
    _disk_full_after(monkeypatch, 40)
    with pytest.raises(OSError, match="No space"):
        demo_tokens(path, presets.load("ritz-carlton"))
    assert not path.exists()  # no half a file, which the next start would read as the token file
    monkeypatch.undo()
    made = demo_tokens(path, presets.load("ritz-carlton"))
    assert len(Tokens.from_file(path)) == len(made)


def test_a_token_added_to_a_full_disk_leaves_the_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tokens.toml"
    add_token(path, "ana", "frontline")
    before = path.read_bytes()
    _disk_full_after(monkeypatch, 20)
    with pytest.raises(OSError, match="No space"):
        add_token(path, "ben", "manager")
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert len(Tokens.from_file(path)) == 1
