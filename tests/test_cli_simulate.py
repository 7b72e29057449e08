"""``recovery-rules simulate``: replaying recorded complaints under a candidate policy."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import Complaint, ComplaintNumber, Money, Outcome, Policy, SQLiteJournal, presets
from recovery_rules.cli._records import JsonLinesSource, open_source
from recovery_rules.cli._simulation import simulate

from ._cli import CANDIDATE, POLICY, RECORDS, run


def records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(RECORDS).read_text(encoding="utf-8").splitlines()]


def write_records(path: Path, lines: list[str]) -> str:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_the_figures_are_what_deciding_each_record_twice_gives(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "simulate", "--policy", POLICY, "--candidate", CANDIDATE, RECORDS, "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)

    current, candidate = Policy.from_file(POLICY), Policy.from_file(CANDIDATE)
    moved: Counter[tuple[str, str]] = Counter()
    approved = {"current": Money("0", "USD"), "candidate": Money("0", "USD")}
    per_level: Counter[str] = Counter()
    for record in records():
        complaint = Complaint.model_validate(record["complaint"])
        granted = Money(record["granted"]) if "granted" in record else None
        now = dt.datetime.fromisoformat(record.get("now", record["complaint"]["received_at"]))
        before = current.decide(complaint, by=record["by"], granted=granted, now=now)
        after = candidate.decide(complaint, by=record["by"], granted=granted, now=now)
        moved[before.outcome.value, after.outcome.value] += 1
        per_level[record["by"]] += 1
        for name, resolution in (("current", before), ("candidate", after)):
            if resolution.outcome is Outcome.APPROVED:
                approved[name] += resolution.remedy.amount

    assert report["decisions"] == len(records()) == 48
    assert report["skipped"] == []
    assert {(old, new): count for old, row in report["matrix"].items() for new, count in row.items() if count} == moved
    assert {(row["from"], row["to"]): row["count"] for row in report["moved"]} == {
        pair: count for pair, count in moved.items() if pair[0] != pair[1]
    }
    assert report["current"]["amounts"]["approved"] == str(approved["current"])
    assert report["candidate"]["amounts"]["approved"] == str(approved["candidate"])
    escalations = report["escalations"]
    assert escalations["avoided"] == sum(n for (old, new), n in moved.items() if old == "escalated" != new)
    assert escalations["added"] == sum(n for (old, new), n in moved.items() if new == "escalated" != old)
    assert escalations["current"] - escalations["avoided"] + escalations["added"] == escalations["candidate"]
    assert {name: figures["decisions"] for name, figures in report["per_level"].items()} == per_level
    assert len(report["changes"]) == sum(n for (old, new), n in moved.items() if old != new) + escalations["rerouted"]
    assert report["changes"][0] == {
        "where": "line 1",
        "by": "front_desk",
        "current": {"outcome": "escalated", "escalate_to": "supervisor"},
        "candidate": {"outcome": "approved", "escalate_to": None},
    }


def test_an_escalation_sent_to_another_level_is_counted_as_rerouted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A decision escalated under both policies, but to another level, is a change: counted as rerouted. Here the
    candidate's supervisor may grant only $300, so a $400 refund goes past the supervisor to the manager."""
    data = Policy.from_file(POLICY).model_dump(mode="json")
    for level in data["levels"]:
        if level["name"] == "supervisor":
            level["limit"], level["tier_limits"] = "300.00", {"gold": "300.00"}
    candidate = tmp_path / "candidate.json"
    candidate.write_text(json.dumps(data), encoding="utf-8")
    complaint = {
        "customer": {"id": "401"},
        "category": "noise",
        "requested": {"kind": "refund", "amount": "400.00 USD"},
        "received_at": "2026-10-01T14:00:00Z",
    }
    path = write_records(tmp_path / "r.jsonl", [json.dumps({"complaint": complaint, "by": "front_desk"})])
    result = run(capsys, "simulate", "--policy", POLICY, "--candidate", str(candidate), path, "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["matrix"]["escalated"]["escalated"] == 1
    assert report["escalations"]["rerouted"] == 1
    (change,) = report["changes"]
    assert (change["current"], change["candidate"]) == (
        {"outcome": "escalated", "escalate_to": "supervisor"},
        {"outcome": "escalated", "escalate_to": "manager"},
    )


def test_one_recorded_complaint_is_said_in_the_singular(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An audit: "1 recorded complaints from one.jsonl"."""
    one = tmp_path / "one.jsonl"
    one.write_text(Path(RECORDS).read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    result = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, str(one))
    assert result.code == 0, result.err
    assert result.out.startswith(f"1 recorded complaint from {one}\n"), result.out


def test_the_table_reads_well(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, RECORDS)
    assert result.code == 0
    out = result.out
    assert out.startswith(f"48 recorded complaints from {RECORDS}\n")
    assert "escalations: 26 -> 10 (16 avoided, 0 added, 0 sent to another level)" in out
    assert "granted on the spot: $2,745.00 -> $6,180.00 (+$3,435.00)" in out
    assert " escalated         16          10        0      26" in out
    assert " front_desk          40   15 -> 31     24 -> 8        1   $1,500.00 -> $4,935.00 (+$3,435.00)" in out
    assert "changed decisions (10 of 16; --json lists all):" in out
    assert "  line 1: front_desk: escalated to supervisor -> approved" in out


def test_the_same_policy_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "simulate", "-p", POLICY, "-c", POLICY, RECORDS, "--json")
    report = json.loads(result.out)
    assert report["moved"] == []
    assert report["changes"] == []
    assert report["current"] == report["candidate"]


def test_invalid_records_stop_the_run_with_their_lines(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    good = Path(RECORDS).read_text(encoding="utf-8").splitlines()
    bad_level = json.loads(good[1])
    bad_level["by"] = "night_porter"
    bad_complaint = json.loads(good[2])
    bad_complaint["complaint"]["customer"]["name"] = "Jane Doe"
    bad_complaint["complaint"]["category"] = "Jane Doe"
    lines = [good[0], "{not json", json.dumps(bad_level), "", json.dumps(bad_complaint), '{"by": 5}', good[3]]
    path = write_records(tmp_path / "r.jsonl", lines)
    result = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, path)
    assert result.code == 2
    assert result.out == ""
    err = result.err
    assert "Error: 4 recorded complaints cannot be replayed:" in err
    assert f"{path}: line 2: is not valid JSON: Expecting property name enclosed in double quotes (column 2)" in err
    assert f"{path}: line 3: by: the policy has no level named 'night_porter'" in err
    assert "(in the current policy)" in err
    assert f"{path}: line 5: complaint.category: must be a lower-case word" in err
    assert f"{path}: line 6: " in err
    assert "Jane" not in err
    assert "--skip-invalid leaves them out" in err

    skipped = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, path, "--skip-invalid", "--json")
    assert skipped.code == 0
    report = json.loads(skipped.out)
    assert report["decisions"] == 2
    assert len(report["skipped"]) == 4
    text = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, path, "--skip-invalid")
    assert text.out.startswith(f"2 recorded complaints from {path} (4 skipped as invalid)")


def test_json_lists_each_bad_record_as_a_problem_on_its_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_records(tmp_path / "r.jsonl", ['{"complaint": 5}', "", '{"by": "front_desk"}'])
    result = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, path, "--json")
    assert result.code == 2
    problems = json.loads(result.out)["error"]["problems"]
    assert [(problem["line"], problem["location"], problem["message"]) for problem in problems] == [
        (1, "complaint", "must be a table (a mapping of field names to values)"),
        (1, "by", "is required"),
        (3, "complaint", "is required"),
    ]
    assert "Error: 2 recorded complaints cannot be replayed:" in result.err
    one = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, write_records(tmp_path / "1.jsonl", ["{}"]))
    assert "Error: 1 recorded complaint cannot be replayed:" in one.err


def test_a_level_the_candidate_removed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    renamed = Path(CANDIDATE).read_text(encoding="utf-8").replace('"front_desk"', '"reception"')
    candidate = tmp_path / "candidate.toml"
    candidate.write_text(renamed, encoding="utf-8")
    result = run(capsys, "simulate", "-p", POLICY, "-c", str(candidate), RECORDS)
    assert result.code == 2
    assert "line 1: by: the policy has no level named 'front_desk'" in result.err
    assert "(in the candidate policy)" in result.err


def test_records_in_another_currency(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    record = records()[0]
    record["granted"] = "10.00 EUR"
    path = write_records(tmp_path / "r.jsonl", [json.dumps(record)])
    result = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, path)
    assert result.code == 2
    assert "line 1: granted: is in EUR but the policy's currency is USD" in result.err


def test_bare_amounts_are_in_the_policy_currency(tmp_path: Path) -> None:
    record = records()[1]
    record["granted"] = "60.00"
    path = write_records(tmp_path / "r.jsonl", [json.dumps(record)])
    policy = Policy.from_file(POLICY)
    result = simulate(policy, policy, open_source(path))
    assert result.decisions == 1
    assert not result.invalid


def test_policies_in_different_currencies(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    euros = tmp_path / "euros.toml"
    euros.write_text(Path(CANDIDATE).read_text(encoding="utf-8").replace('"USD"', '"EUR"'), encoding="utf-8")
    result = run(capsys, "simulate", "-p", POLICY, "-c", str(euros), RECORDS)
    assert result.code == 2
    assert "the policies are in different currencies (USD and EUR)" in result.err


def test_sources(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    explicit = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, f"jsonl:{RECORDS}", "--json")
    assert json.loads(explicit.out)["decisions"] == 48
    missing = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, str(tmp_path / "none.jsonl"))
    assert missing.code == 2
    assert "there is no recorded-complaints file" in missing.err
    unknown = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, "ledger:cases.sqlite3")
    assert unknown.code == 2
    assert "unknown source 'ledger'" in unknown.err
    database = tmp_path / "cases.sqlite3"
    with SQLiteJournal(database):  # a case journal given without journal: is named, not read as 257 bad lines
        pass
    bare = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, str(database))
    assert bare.code == 2
    assert bare.err == (
        f"Error: {database} is an SQLite database, not a JSON Lines file of recorded complaints; "
        f"to replay the cases of a case journal, write journal:{database}\n"
    )
    address = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, "postgresql://ann:secret@db.example/cases")
    assert address.code == 2
    assert "is a PostgreSQL journal; to replay its cases, write journal:postgresql://ann:***@db" in address.err
    assert "secret" not in address.err
    no_journal = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, f"journal:{tmp_path / 'none.sqlite3'}")
    assert no_journal.code == 2
    assert "there is no journal file" in no_journal.err


def test_progress_follows_the_bytes_read() -> None:
    seen: list[int] = []
    policy = Policy.from_file(POLICY)
    source = JsonLinesSource(RECORDS)
    simulate(policy, policy, source, advance=seen.append)
    assert sum(seen) == source.total == Path(RECORDS).stat().st_size


def test_json_gives_the_column_of_a_record_that_does_not_parse(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The message says the column (``Expecting value (column 8)``); the problem has it too."""
    path = write_records(tmp_path / "r.jsonl", ['{"by": }', '{"by": ' + "9" * 5000 + "}"])
    result = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, path, "--json")
    assert result.code == 2
    problems = json.loads(result.out)["error"]["problems"]
    assert [(problem["line"], problem["column"]) for problem in problems] == [(1, 8), (2, 8)]
    assert f"{path}: line 1: is not valid JSON: Expecting value (column 8)" in result.err
    assert f"{path}: line 2: is a number of 5,000 digits" in result.err
    assert "(column 8)" in problems[1]["message"]


@pytest.mark.parametrize("ending", ["\n", "\r\n", ""], ids=["newline", "crlf", "none"])
def test_a_line_cut_short_breaks_at_its_end_not_on_the_next_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, ending: str
) -> None:
    """The line break is no part of the line: ``{"complaint": `` breaks at column 15, where the line ends, whether
    a line break follows or not (before, with one, the parser's "line 2, column 1" came out as column 1)."""
    path = tmp_path / "cut.jsonl"
    path.write_bytes(b'{"complaint": ' + ending.encode())
    result = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, str(path), "--json")
    assert result.code == 2
    problem = json.loads(result.out)["error"]["problems"][0]
    assert (problem["line"], problem["column"]) == (1, 15), problem
    assert problem["message"] == "is not valid JSON: Expecting value (column 15)"
    text = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, str(path))
    assert f"{path}: line 1: is not valid JSON: Expecting value (column 15)" in text.err


def _ritz_guest_journal(path: Path) -> Policy:
    """A Ritz guest granted $2,000 five times in ten minutes (its 30-day cap of $10,000 reached), then asking $100."""
    from recovery_rules import Case, Customer, Remedy  # noqa: PLC0415 - this scenario only

    policy = presets.ritz_carlton()
    start = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
    with SQLiteJournal(path, clock=lambda: start + dt.timedelta(hours=1)) as journal:
        for minute, amount in enumerate(["2000.00"] * 5 + ["100.00"]):
            at = start + dt.timedelta(minutes=2 * minute)
            asked = Remedy(kind="refund", amount=Money(amount, "USD"))
            complaint = Complaint(customer=Customer(id="555"), category="noise", requested=asked, received_at=at)
            case = Case.open(journal, policy, complaint, by="staff", now=at)
            case.listen(now=at)
            case.apologize(now=at)
            case.ask_preferred_solution(now=at)
            decision = case.decide(now=at)
            if decision.approved:
                case.deliver(now=at)
    return policy


def test_a_journal_is_replayed_with_what_its_ledger_counted_in_every_window(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The sixth decision was denied by the 30-day cap, which the incident window's figure alone does not show:
    replayed under the same policy it is denied again, and a candidate's own window is counted from the journal."""
    path = tmp_path / "guest.sqlite3"
    _ritz_guest_journal(path)
    same = run(capsys, "simulate", "-p", "ritz-carlton", "-c", "ritz-carlton", f"journal:{path}", "--json")
    figures = json.loads(same.out)
    assert figures["decisions"] == 6
    assert figures["matrix"]["approved"]["approved"] == 5
    assert figures["matrix"]["denied"]["denied"] == 1
    table = run(capsys, "simulate", "-p", "ritz-carlton", "-c", "ritz-carlton", f"journal:{path}").out
    assert "(= current and candidate)" in table
    daily = tmp_path / "daily.toml"  # the 30-day cap of $10,000 becomes one of $5,000 a day
    text = presets.path("ritz-carlton").read_text(encoding="utf-8")
    daily.write_text(text.replace('limit = "10000.00"\nwindow = "30d"', 'limit = "5000.00"\nwindow = "day"'), "utf-8")
    args = ("simulate", "-p", "ritz-carlton", "-c", str(daily), f"journal:{path}", "--json")
    matrix = json.loads(run(capsys, *args).out)["matrix"]
    # Counted from the grants the journal recorded: $4,000 by the third decision, so it and every later one is
    # over the day's $5,000 for the candidate.
    assert (matrix["approved"]["approved"], matrix["approved"]["denied"], matrix["denied"]["denied"]) == (2, 3, 1)


@pytest.mark.slow
def test_the_replayed_ledger_counts_what_the_journals_ledger_counts(tmp_path: Path) -> None:
    """A guest's grants over 41 days, in several incidents: for each decision, the grants recorded before it counted
    in a day, a 30-day and an incident window are what the journal's own ledger counted then."""
    from recovery_rules import Draft, MemoryJournal, Window  # noqa: PLC0415 - this test only
    from recovery_rules.cli._records import GrantsBefore  # noqa: PLC0415 - as above

    policy = presets.ritz_carlton().model_copy(update={"timezone": "America/Los_Angeles"})
    windows = [Window.incident(), Window.day(), Window.parse("30d")]
    start = dt.datetime(2026, 9, 1, 7, 30, tzinfo=dt.UTC)
    journal = MemoryJournal(clock=lambda: start + dt.timedelta(days=90))
    replay = GrantsBefore()
    incidents = [ComplaintNumber(start.date() + dt.timedelta(days=day), "555") for day in (0, 12, 30)]
    for step in range(90):  # every 11 hours or so: two or three grants a day, over 41 days
        at = start + dt.timedelta(hours=11 * step + step % 3)
        incident = incidents[0 if at < start + dt.timedelta(days=12) else 1 if step % 3 else 2]
        number = ComplaintNumber(at.date(), "555", 1 + step)
        counted = replay.counter(number, incident, at)
        expected = {
            window: journal.granted(
                number, window=window, timezone=policy.timezone, currency="USD", now=at, incident=incident
            )
            for window in windows
        }
        assert {window: counted(policy)[window] for window in (Window.incident(), Window.parse("30d"))} == {
            window: expected[window] for window in (Window.incident(), Window.parse("30d"))
        }, step
        daily = policy.model_copy(update={"window": Window.day(), "caps": ()})
        assert counted(daily) == {Window.day(): expected[Window.day()]}, step
        grant = Money(f"{10 + step}.00", "USD")
        event = journal.append(
            number,
            Draft("granted", "granted", "staff", at, grant=grant, incident=incident),
            expected_version=0,
            key=f"g{step}",
            request={},
        )
        replay.add(event)


def _ritz_record(granted: object) -> str:
    complaint = {
        "customer": {"id": "10442"},
        "category": "room_not_ready",
        "requested": {"kind": "refund", "amount": "1500.00 USD"},
        "received_at": "2026-11-23T09:30:00-05:00",
    }
    return json.dumps({"complaint": complaint, "by": "staff", "granted": granted})


def _ritz_variant(tmp_path: Path, name: str, caps: str) -> str:
    text = presets.path("ritz-carlton").read_text(encoding="utf-8")
    cap = '[[caps]]\nlimit = "10000.00"\nwindow = "30d"\n'
    assert cap in text
    path = tmp_path / name
    path.write_text(text.replace(cap, caps), encoding="utf-8")
    return str(path)


def test_a_record_gives_each_window_its_own_amount(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A fresh incident of a guest granted $9,000 in 30 days: denied by the Ritz preset's 30-day cap, approved by a
    candidate without it (which leaves the 30-day amount out: it counts no grants in that window)."""
    path = write_records(tmp_path / "r.jsonl", [_ritz_record({"incident": "0.00", "30d": "9000.00"})])
    candidate = _ritz_variant(tmp_path, "no-cap.toml", "")
    matrix = json.loads(run(capsys, "simulate", "-p", "ritz-carlton", "-c", candidate, path, "--json").out)["matrix"]
    assert matrix["denied"]["approved"] == 1
    same = json.loads(run(capsys, "simulate", "-p", "ritz-carlton", "-c", "ritz-carlton", path, "--json").out)
    assert same["matrix"]["denied"]["denied"] == 1


def test_a_record_missing_a_window_of_one_policy_is_invalid_for_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = [
        _ritz_record({"incident": "0.00", "30d": "9000.00"}),
        _ritz_record({"incident": "0.00", "30d": "9000.00", "week": "1.00"}),
    ]
    path = write_records(tmp_path / "r.jsonl", lines)
    candidate = _ritz_variant(
        tmp_path,
        "more.toml",
        '[[caps]]\nlimit = "10000.00"\nwindow = "30d"\n[[caps]]\nlimit = "20000.00"\nwindow = "90d"\n',
    )
    result = run(capsys, "simulate", "-p", "ritz-carlton", "-c", candidate, path)
    assert result.code == 2
    assert (
        "line 1: granted.90d: is required: give an amount for each of the policy's windows (incident, 30d, 90d), "
        "or one amount for all of them (in the candidate policy)"
    ) in result.err
    assert "line 2: granted.week: is not a window of the policy; its windows are: incident, 30d" in result.err
