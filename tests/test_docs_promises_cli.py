"""Promises of the command line's pages (docs/cli/) checked at their edges: empty option values, amounts in a
currency with other decimal places."""

from __future__ import annotations

import hashlib
import json
import shlex
from pathlib import Path

import pytest

from ._cli import COMPLAINT, EXAMPLES, NOW, POLICY, run
from ._journal_files import JOURNAL, copy_journal

KEY_FILE = str(EXAMPLES / "example-ledger.key")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- a check asked for with an empty head is refused, never skipped ---------------------------------------------


@pytest.mark.parametrize("verb", ["report", "verify", "seal"])
def test_an_empty_expected_head_is_refused_not_taken_for_no_head(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, verb: str
) -> None:
    journal = copy_journal(tmp_path)
    before = _digest(journal)
    extra = ["--ledger-key-file", KEY_FILE] if verb == "seal" else ["--now", NOW] if verb == "report" else []
    result = run(capsys, verb, str(journal), *extra, "--expected-head", "", "--json")
    assert result.code == 2, result.out
    (problem,) = json.loads(result.out)["error"]["problems"]
    assert problem["location"] == "--expected-head"
    assert result.err.startswith("Error: --expected-head: ")
    assert _digest(journal) == before, "nothing is written after a refusal"


@pytest.mark.parametrize("verb", ["verify", "seal"])
def test_an_empty_resume_from_is_refused_not_taken_for_no_head(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, verb: str
) -> None:
    journal = copy_journal(tmp_path)
    before = _digest(journal)
    extra = ["--ledger-key-file", KEY_FILE] if verb == "seal" else []
    result = run(capsys, verb, str(journal), *extra, "--resume-from", "")
    assert result.code == 2, result.out
    assert result.err.startswith("Error: --resume-from: ")
    assert _digest(journal) == before, "nothing is written after a refusal"


def test_report_refuses_an_empty_now_as_decide_does(capsys: pytest.CaptureFixture[str]) -> None:
    decided = run(capsys, "decide", "--policy", POLICY, COMPLAINT, "--by", "front_desk", "--now", "")
    assert decided.code == 2
    assert decided.err.startswith("Error: --now: is not an ISO 8601 time")
    reported = run(capsys, "report", JOURNAL, "--now", "")
    assert reported.code == 2, reported.out[:200]
    assert reported.err.startswith("Error: --now: is not an ISO 8601 time")


# -- amounts: the example of a refused amount is in the policy's currency -----------------------------------------


def _yen_policy(folder: Path) -> str:
    text = Path(POLICY).read_text(encoding="utf-8").replace('currency = "USD"', 'currency = "JPY"')
    path = folder / "yen.toml"
    path.write_text(text.replace('.00"', '"'), encoding="utf-8")
    return str(path)


def test_a_refused_amount_in_a_yen_complaint_shows_a_yen_example(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    complaint = json.loads(Path(COMPLAINT).read_text(encoding="utf-8"))
    complaint["requested"]["amount"] = "30000"
    path = tmp_path / "complaint.json"
    path.write_text(json.dumps(complaint), encoding="utf-8")
    result = run(capsys, "decide", "--policy", _yen_policy(tmp_path), str(path), "--by", "front_desk", "--now", NOW)
    assert result.code == 2
    assert "requested.amount: write an amount and its currency, for example '1250 JPY'" in result.err


def test_a_refused_granted_amount_shows_an_example_in_the_policys_currency(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = run(
        capsys, "decide", "--policy", _yen_policy(tmp_path), COMPLAINT, "--by", "front_desk", "--granted", "1 2 3"
    )
    assert result.code == 2
    assert result.err.startswith("Error: --granted: ")
    assert "'1250 JPY'" in result.err
    assert "USD" not in result.err


# -- backup: the verify command it suggests can be pasted as it is -------------------------------------------------


def test_the_suggested_verify_command_checks_a_copy_whose_name_begins_with_a_dash(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = copy_journal(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = run(capsys, "backup", str(journal), "--", "-copy.sqlite3")
    assert result.code == 0, result.err
    assert (tmp_path / "-copy.sqlite3").is_file()
    line = result.out.splitlines()[-1]
    words = shlex.split(line.removeprefix("  (check it later: ").removesuffix(")"))
    assert words[:2] == ["recovery-rules", "verify"]
    pasted = run(capsys, *words[1:])
    assert pasted.code == 0, pasted.err
    assert "chain intact" in pasted.out


# -- syntax errors: the fix a message suggests is about the file that was read ---------------------------------------


@pytest.mark.parametrize(
    ("text", "verb"),
    [
        ("", "decide"),
        ('customer = "10442"\n', "decide"),
        ("", "test"),
        ('cases = "none"\n', "test"),
        ('complaint = "none"\n', "simulate"),
    ],
    ids=["empty complaint", "complaint as TOML", "empty cases", "cases as TOML in .json", "record as TOML"],
)
def test_a_syntax_error_in_a_file_that_is_no_policy_does_not_speak_of_a_policy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, verb: str
) -> None:
    path = tmp_path / ("records.jsonl" if verb == "simulate" else "input.json")
    path.write_text(text, encoding="utf-8")
    argv = {
        "decide": ["decide", "--policy", POLICY, str(path), "--by", "front_desk", "--now", NOW],
        "test": ["test", POLICY, str(path)],
        "simulate": ["simulate", "--policy", POLICY, "--candidate", POLICY, str(path)],
    }[verb]
    result = run(capsys, *argv)
    assert result.code == 2
    assert "not valid JSON" in result.err
    assert "policy" not in result.err.replace(f"--policy {POLICY}", "").replace(POLICY, ""), result.err


@pytest.mark.parametrize("granted", ["", " "])
def test_an_empty_granted_amount_is_refused_not_taken_for_nothing_granted(
    capsys: pytest.CaptureFixture[str], granted: str
) -> None:
    result = run(
        capsys, "decide", "--policy", POLICY, COMPLAINT, "--by", "front_desk", "--now", NOW, "--granted", granted
    )
    assert result.code == 2, result.out[:200]
    assert result.err.startswith("Error: --granted: ")
