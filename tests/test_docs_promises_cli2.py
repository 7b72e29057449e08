"""Promises of docs/cli/simulate.md, report.md, test.md and decide.md checked at their edges: a complaint number
of another customer placed in its file, syntax hints of complaint, cases and recorded-complaint files, a cases
file saved with a byte-order mark and CRLF line ends, a journal with an erased customer."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
import zoneinfo
from pathlib import Path

import pytest

from recovery_rules import Case, Complaint, Customer, Money, Policy, Remedy, SQLiteJournal

from ._cli import CANDIDATE, CASES, COMPLAINT, NOW, POLICY, RECORDS, run

HOTEL = zoneinfo.ZoneInfo("America/New_York")


def _json_text(value: object) -> str:
    """``value`` (a TOML document) as JSON, its times in ISO 8601."""

    def instant(moment: object) -> str:
        if isinstance(moment, dt.datetime):
            return moment.isoformat()
        raise TypeError(moment)

    return json.dumps(value, default=instant, indent=2)


# -- decide.md: a problem in the complaint file is said at its line and column -----------------------------------


def test_a_complaint_number_of_another_customer_is_said_at_its_line_and_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    complaint = tmp_path / "complaint.json"
    complaint.write_text(
        "{\n"
        '  "customer": {"id": "10442"},\n'
        '  "number": "20261123-99999",\n'
        '  "category": "room_not_ready",\n'
        '  "requested": {"kind": "refund", "amount": "300.00 USD"},\n'
        '  "received_at": "2026-11-23T15:10:00-05:00"\n'
        "}\n",
        encoding="utf-8",
    )
    result = run(capsys, "decide", "--policy", POLICY, str(complaint), "--by", "front_desk", "--now", NOW, "--json")
    assert result.code == 2
    (problem,) = json.loads(result.out)["error"]["problems"]
    assert (problem["location"], problem["line"]) == ("number", 3)
    assert not problem["message"].startswith("number:")
    assert f"{complaint}:3:" in result.err


def test_a_complaint_number_of_the_customer_is_kept(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    given = json.loads(Path(COMPLAINT).read_text(encoding="utf-8"))
    complaint = tmp_path / "complaint.json"
    complaint.write_text(json.dumps({**given, "number": "20261120-10442/3"}), encoding="utf-8")
    result = run(capsys, "decide", "--policy", POLICY, str(complaint), "--by", "front_desk", "--now", NOW, "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["complaint_number"] == "20261120-10442/3"


# -- the syntax hints of files that are not a policy no longer speak of a policy ----------------------------------


def test_a_complaint_with_two_objects_is_not_told_of_a_policy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = Path(COMPLAINT).read_text(encoding="utf-8")
    complaint = tmp_path / "two.json"
    complaint.write_text(text + text, encoding="utf-8")
    result = run(capsys, "decide", "--policy", POLICY, str(complaint), "--by", "front_desk", "--now", NOW)
    assert result.code == 2
    assert "is not valid JSON: Extra data" in result.err
    assert "policy" not in result.err


def test_a_json_cases_file_with_two_objects_is_not_told_of_a_policy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cases = tmp_path / "cases.json"
    cases.write_text('{"cases": []} {}', encoding="utf-8")
    result = run(capsys, "test", POLICY, str(cases))
    assert result.code == 2
    assert "is not valid JSON: Extra data" in result.err
    assert "policy" not in result.err.replace(f"the policy {POLICY}", "")


def test_a_recorded_complaint_with_two_objects_is_not_told_of_a_policy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    records = tmp_path / "records.jsonl"
    records.write_text('{"a": 1} {"b": 2}\n', encoding="utf-8")
    result = run(capsys, "simulate", "--policy", POLICY, "--candidate", CANDIDATE, str(records), "--json")
    assert result.code == 2
    (problem,) = json.loads(result.out)["error"]["problems"]
    assert problem["message"].startswith("is not valid JSON: Extra data")
    assert "policy" not in problem["message"]


def test_a_cases_file_written_as_yaml_is_not_told_of_a_yaml_policy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cases = tmp_path / "cases.toml"
    cases.write_text("by: front_desk\n", encoding="utf-8")
    result = run(capsys, "test", POLICY, str(cases))
    assert result.code == 2
    assert "is not valid TOML" in result.err
    assert "policy" not in result.err


# -- test.md: a cases file saved with a byte-order mark and CRLF line ends --------------------------------------


def test_a_cases_file_with_a_byte_order_mark_and_crlf_line_ends_runs_as_the_plain_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = Path(CASES).read_text(encoding="utf-8")
    plain = run(capsys, "test", POLICY, CASES, "--json")
    assert plain.code == 0, plain.err
    as_json = _json_text(tomllib.loads(text))
    for name, written in (("cases.toml", text), ("cases.json", as_json)):
        saved = tmp_path / name
        saved.write_bytes(b"\xef\xbb\xbf" + written.replace("\n", "\r\n").encode())
        result = run(capsys, "test", POLICY, str(saved), "--json")
        assert result.code == 0, result.err
        assert json.loads(result.out)["results"] == json.loads(plain.out)["results"]


def test_a_problem_in_a_cases_file_with_a_byte_order_mark_and_crlf_is_at_its_line_and_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = Path(CASES).read_text(encoding="utf-8").replace('by = "front_desk"', 'by = "frontdesk"', 1)
    plain = tmp_path / "plain.toml"
    plain.write_text(text, encoding="utf-8")
    saved = tmp_path / "saved.toml"
    saved.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    expected = run(capsys, "test", POLICY, str(plain), "--json")
    result = run(capsys, "test", POLICY, str(saved), "--json")
    assert (expected.code, result.code) == (2, 2)
    assert json.loads(result.out)["error"]["problems"] == json.loads(expected.out)["error"]["problems"]


# -- simulate.md and report.md: a journal with an erased customer -----------------------------------------------


def _journal_with_an_erased_customer(path: Path) -> None:
    policy = Policy.from_file(POLICY)
    with SQLiteJournal(path, encrypt_personal_data=True) as journal:
        for index, (customer, amount, hour) in enumerate((("20001", "50.00", 9), ("20002", "150.00", 10))):
            start = dt.datetime(2026, 11, 2, hour, tzinfo=HOTEL)
            complaint = Complaint(
                customer=Customer(id=customer, name="Jane Roe"),
                category="noise",
                requested=Remedy(kind="refund", amount=Money(amount, "USD")),
                received_at=start,
                description="Room 412, next to the lift.",
            )
            case = Case.open(journal, policy, complaint, by="front_desk", key=f"o{index}", now=start)
            case.listen(key=f"l{index}", now=start + dt.timedelta(minutes=1))
            case.apologize(key=f"a{index}", now=start + dt.timedelta(minutes=2))
            case.ask_preferred_solution(key=f"p{index}", now=start + dt.timedelta(minutes=3))
            case.decide(key=f"d{index}", now=start + dt.timedelta(minutes=4))
        journal.erase_customer("20001", now=dt.datetime(2026, 11, 20, tzinfo=HOTEL))


def test_a_journal_with_an_erased_customer_is_replayed_and_reported(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "cases.sqlite3"
    _journal_with_an_erased_customer(path)
    replayed = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, f"journal:{path}", "--json")
    assert replayed.code == 0, replayed.err
    figures = json.loads(replayed.out)
    assert (figures["decisions"], figures["skipped"]) == (2, [])
    assert figures["current"]["outcomes"] == {"approved": 1, "escalated": 1, "denied": 0}
    assert figures["candidate"]["outcomes"] == {"approved": 2, "escalated": 0, "denied": 0}
    reported = run(capsys, "report", str(path), "--now", NOW, "--json")
    assert reported.code == 0, reported.err
    assert json.loads(reported.out)["first_decisions"]["decided"] == 2
    assert "Jane Roe" not in replayed.out + reported.out


# -- simulate.md: the JSON's keys, as the page lists them -----------------------------------------------------


def test_the_simulation_json_has_the_keys_the_page_lists(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, RECORDS, "--json")
    assert result.code == 0, result.err
    figures = json.loads(result.out)
    assert list(figures) == [
        "policies",
        "revisions",
        "source",
        "decisions",
        "skipped",
        "current",
        "candidate",
        "moved",
        "matrix",
        "escalations",
        "per_level",
        "per_revision",
        "changes",
    ]
    assert set(figures["escalations"]) == {"current", "candidate", "avoided", "added", "rerouted"}
    assert list(figures["per_revision"]) == ["(not recorded)"]  # a JSON Lines file names no revision
    assert set(figures["changes"][0]) == {"where", "by", "current", "candidate"}
    assert set(figures["changes"][0]["current"]) == {"outcome", "escalate_to"}
