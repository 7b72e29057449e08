"""Input the command line reads itself, found wrong by the CLI fuzzing: each exits 2 with one paragraph.

Files that are not regular files are refused before they are opened (a named
pipe would hang the command, ``/dev/zero`` would feed it without end); a
5,000-digit number in a complaint, test cases or recorded complaints is an
input error; a recorded-complaints line is read with a bound; times far out
of the calendar, and names Python cannot open, are refused; and a policy
named with dollar signs is charted as written.
"""

from __future__ import annotations

import io
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from recovery_rules.cli._inputs import MAX_INPUT_BYTES
from recovery_rules.cli._records import MAX_LINE_BYTES

from ._cli import CANDIDATE, CASES, COMPLAINT, NOW, POLICY, RECORDS, run
from ._helpers import misjudge_limits
from ._journal_files import JOURNAL, REPORT_NOW

HUGE = "9" * 5000


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.json"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    "argv",
    [
        ["decide", "{file}", "-p", POLICY, "--by", "front_desk", "--now", NOW],
        ["decide", COMPLAINT, "-p", "{file}", "--by", "front_desk", "--now", NOW],
        ["check", "{file}"],
        ["prove", "{file}"],
        ["test", POLICY, "{file}"],
        ["simulate", "{file}", "-p", POLICY, "-c", CANDIDATE],
        ["report", "{file}", "--now", REPORT_NOW],
    ],
    ids=["complaint", "policy", "check", "prove", "cases", "records", "journal"],
)
@pytest.mark.parametrize("special", ["fifo", "zero", "folder"])
def test_what_is_not_a_regular_file_is_refused_unopened(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], special: str
) -> None:
    name = tmp_path / "input.json"
    if special == "fifo":
        os.mkfifo(name)
    elif special == "zero":
        name.symlink_to("/dev/zero")
    else:
        name.mkdir()
    result = run(capsys, *(str(name) if part == "{file}" else part for part in argv))
    assert result.code == 2
    assert result.err.startswith("Error:")
    assert any(word in result.err for word in ("named pipe", "device", "a directory", "is not a file")), result.err


@pytest.mark.parametrize(
    ("name", "text", "argv"),
    [
        (
            "complaint.json",
            json.loads(Path(COMPLAINT).read_text(encoding="utf-8")) | {"requested": {"kind": "refund", "amount": 1}},
            ["decide", "{file}", "-p", POLICY, "--by", "front_desk", "--now", NOW],
        ),
        ("cases.toml", None, ["test", POLICY, "{file}"]),
        ("records.jsonl", None, ["simulate", "{file}", "-p", POLICY, "-c", CANDIDATE]),
    ],
    ids=["complaint", "cases", "records"],
)
def test_a_number_of_5000_digits_is_an_input_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, text: object, argv: list[str]
) -> None:
    path = tmp_path / name
    if name == "complaint.json":
        path.write_text(json.dumps(text).replace('"amount": 1', f'"amount": {HUGE}'), encoding="utf-8")
    elif name == "cases.toml":
        path.write_text(Path(CASES).read_text(encoding="utf-8") + f"\n[[cases]]\nname = 'x'\ngranted = {HUGE}\n")
    else:
        path.write_text(Path(RECORDS).read_text(encoding="utf-8").replace('"by"', f'"huge": {HUGE}, "by"', 1))
    result = run(capsys, *(str(path) if part == "{file}" else part for part in argv))
    assert result.code == 2, result.err
    assert "a number of 5,000 digits" in result.err


def test_a_recorded_complaints_line_is_read_with_a_bound(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    with records.open("wb") as stream:
        stream.write(b"x" * 3_000_000)  # one line, no line break: read a piece at a time, never whole
        stream.write(b"\n" + Path(RECORDS).read_bytes())
    result = run(capsys, "simulate", str(records), "-p", POLICY, "-c", CANDIDATE, "--skip-invalid", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["skipped"] == ["line 1: is longer than 1,000,000 bytes, its line break included"]


def test_a_recorded_complaints_line_of_the_most_bytes_is_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A record of 1,000,000 bytes, its line break counted, is decided like any other; one byte more is skipped."""
    first = Path(RECORDS).read_bytes().splitlines()[0]
    at_most = first + b" " * (MAX_LINE_BYTES - len(first) - 1) + b"\n"
    records = tmp_path / "records.jsonl"
    records.write_bytes(at_most + b" " + at_most)
    result = run(capsys, "simulate", str(records), "-p", POLICY, "-c", CANDIDATE, "--skip-invalid", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["decisions"] == 1
    assert report["skipped"] == ["line 2: is longer than 1,000,000 bytes, its line break included"]


@pytest.mark.parametrize(
    "argv",
    [
        ["decide", COMPLAINT, "-p", POLICY, "--by", "front_desk", "--now", "0001-01-01T00:00:00+00:00"],
        ["decide", COMPLAINT, "-p", POLICY, "--by", "front_desk", "--now", "9999-12-31T23:59:59+00:00"],
        ["report", JOURNAL, "--now", "9999-12-31T23:59:59-12:00"],
        ["report", JOURNAL, "--since", "0001-01-01T00:00:00+14:00"],
        ["report", JOURNAL, "--until", "9999-12-31"],
        ["report", JOURNAL, "--until", "9000-01-01T00:00:00Z"],
        ["report", JOURNAL, "--since", "1899-12-31T23:59:59Z"],
    ],
    ids=[
        "decide-year-1",
        "decide-year-9999",
        "report-now",
        "report-since",
        "report-until",
        "report-until-the-first-moment-of-9000",
        "report-since-the-last-moment-of-1899",
    ],
)
def test_times_outside_the_calendar_are_refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    result = run(capsys, *argv)
    assert result.code == 2, result.err
    assert "is out of range; give a time between the years 1900 and 8999 (in UTC)" in result.err


def test_the_first_and_the_last_moment_of_the_range_are_read(capsys: pytest.CaptureFixture[str]) -> None:
    """The range is 1900 to 8999 whole: its first moment and its last are times like any other."""
    result = run(capsys, "report", JOURNAL, "--since", "1900-01-01T00:00:00Z", "--until", "8999-12-31T23:59:59Z")
    assert result.code == 0, result.err


@pytest.mark.parametrize(
    "argv",
    [
        ["report", JOURNAL, "--now", REPORT_NOW, "--chart", "bad\x00name.png"],
        ["report", JOURNAL, "--now", REPORT_NOW, "--chart", "x" * 5000 + "/chart.png"],
        ["check", "bad\x00name.toml"],
        ["check", "x" * 5000 + ".toml"],
        ["decide", "bad\x00name.json", "-p", POLICY, "--by", "front_desk"],
        ["report", "bad\x00name.sqlite3"],
    ],
    ids=[
        "chart-nul",
        "chart-long",
        "policy-nul",
        "policy-long",
        "complaint-nul",
        "journal-nul",
    ],
)
def test_names_no_file_can_have_are_input_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(capsys, *argv)
    assert result.code == 2, result.err
    assert result.err.startswith("Error:")
    assert "unexpectedly" not in result.err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["report", "{journal}", "--chart", ""], "--chart: the file name is empty; give the PNG file to draw"),
        (["report", "{journal}", "--chart", "  "], "--chart: the file name is empty; give the PNG file"),
        (["prove", POLICY, "--save", ""], "--save: the file name is empty; give the file to write the counterexample"),
        (["verify", "{journal}", "--ledger-key-file", ""], "--ledger-key-file: the file name is empty; give the file"),
        (["seal", "{journal}", "--ledger-key-file", ""], "--ledger-key-file: the file name is empty; give the file"),
        (
            ["seal", "{journal}", "--ledger-key-file", "{key}", "--new-key-file", ""],
            "--new-key-file: the file name is empty; give the file holding",
        ),
        (["backup", "{journal}", ""], "the backup's file name is empty; give the new file to copy the journal to"),
        (["check", ""], "the policy is empty: give a policy file (.toml, .json or .yaml) or the name of a preset"),
        (["prove", ""], "the policy is empty: give a policy file"),
        (["decide", COMPLAINT, "-p", "", "--by", "front_desk"], "the policy is empty: give a policy file"),
        (["test", POLICY, ""], "the test cases file name is empty; give the path of the test cases file, or -"),
        (["decide", "", "-p", POLICY, "--by", "front_desk"], "the complaint file name is empty; give the path"),
        (["decide", "  ", "-p", POLICY, "--by", "front_desk"], "the complaint file name is empty; give the path"),
        (["simulate", "-p", POLICY, "-c", CANDIDATE, ""], "the recorded-complaints file name is empty; give the path"),
    ],
)
def test_an_empty_file_name_is_refused_as_empty(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], said: str
) -> None:
    """As ``prove --save ''`` is: ``report --chart ''`` said ``--chart:  must be a .png file`` (the name missing), an
    empty policy was the current folder (``the policy file . is not a regular file``), ``decide ''`` said ``there
    is no complaint file `` and nothing more; ``--ledger-key-file ''`` checked without the key, and ``seal
    --new-key-file ''`` sealed with the old key instead of changing it. Nothing is done: the journal is unchanged."""
    monkeypatch.chdir(tmp_path)
    journal = tmp_path / "j.sqlite3"
    journal.write_bytes(Path(JOURNAL).read_bytes())
    key = tmp_path / "ledger.key"
    key.write_text("ab" * 32 + "\n", encoding="utf-8")
    before = journal.read_bytes()
    result = run(capsys, *(part.format(journal=journal, key=key) for part in argv))
    assert result.code == 2, result.err
    assert result.out == ""
    assert result.err.startswith(f"Error: {said}"), result.err
    assert "  " not in result.err.split(":", 2)[-1].strip(), "no name left out"
    assert journal.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["j.sqlite3", "ledger.key"]


@pytest.mark.parametrize("name", ["bad\x00name.json", "x" * 5000 + ".json"], ids=["nul", "long"])
def test_a_counterexample_saved_under_a_name_no_file_can_have_is_an_input_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    misjudge_limits(monkeypatch, lambda limit: limit + Decimal("0.01"))  # a broken engine: one cent more
    monkeypatch.chdir(tmp_path)
    result = run(capsys, "prove", POLICY, "--save", name)
    assert result.code == 2, result.err
    assert result.err.startswith("Error: --save: cannot write ")


@pytest.mark.slow
def test_a_dollar_sign_in_a_policy_name_is_charted_as_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pytest.importorskip("matplotlib", reason="the chart needs the chart extra, which dev installs")
    from recovery_rules import Case, Complaint, Policy, SQLiteJournal  # noqa: PLC0415 - only this test

    text = Path(POLICY).read_text(encoding="utf-8").replace('"Harbour Hotel"', '"Save $x^^2$ and $\\\\foo$"')
    policy = Policy.from_text(text)
    journal = tmp_path / "journal.sqlite3"
    complaint = Complaint.model_validate_json(Path(COMPLAINT).read_text(encoding="utf-8"))
    with SQLiteJournal(journal) as opened:
        Case.open(opened, policy, complaint, by="front_desk", now=complaint.received_at).listen(
            now=complaint.received_at
        )
    chart = tmp_path / "chart.png"
    result = run(capsys, "report", str(journal), "--now", REPORT_NOW, "--chart", str(chart))
    assert result.code == 0, result.err
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_standard_input_replaced_by_the_host_is_read_or_missing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["decide", "-", "-p", POLICY, "--by", "front_desk", "--now", NOW, "--json"]
    monkeypatch.setattr("sys.stdin", io.StringIO(Path(COMPLAINT).read_text(encoding="utf-8")))  # text, no .buffer
    assert run(capsys, *argv).code == 0
    monkeypatch.setattr("sys.stdin", None)
    missing = run(capsys, *argv)
    assert missing.code == 2
    assert missing.err.startswith("Error: there is no standard input to read the complaint from")


def test_standard_input_of_the_most_bytes_is_read_and_one_more_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A complaint on standard input may be as long as a complaint file (5,000,000 bytes): at the cap it is
    decided; one byte more is refused, saying the most."""
    argv = ["decide", "-", "-p", POLICY, "--by", "front_desk", "--now", NOW, "--json"]
    complaint = Path(COMPLAINT).read_bytes()
    at_most = complaint + b" " * (MAX_INPUT_BYTES - len(complaint))
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(at_most)))
    assert run(capsys, *argv).code == 0
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(at_most + b" ")))
    refused = run(capsys, *argv)
    assert refused.code == 2
    assert "the complaint on standard input is larger than 5,000,000 bytes" in refused.err


def test_report_checks_the_chart_file_before_it_reads_the_journal(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """As ``prove --save`` is checked before the proof: a chart that cannot be written is said before the work."""
    for chart, said in (("", "--chart: the file name is empty"), ("report.svg", "--chart: report.svg must be a .png")):
        result = run(capsys, "report", str(tmp_path / "nope.sqlite3"), "--chart", chart)
        assert result.code == 2
        assert result.err.startswith(f"Error: {said}"), result.err
