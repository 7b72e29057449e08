"""Promises of docs/cli/simulate.md and docs/cli/decide.md checked at their edges (audit 139): a journal's decisions
replayed under the policy that made them, where a recorded complaint's problems are placed, a journal's address
given without ``journal:``, and a callback across the autumn clock change."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from recovery_rules import Case, Complaint, Customer, Money, Policy, Remedy, Resolution, SQLiteJournal

from ._cli import CANDIDATE, COMPLAINT, EXAMPLES, POLICY, RECORDS, run

NEW_YORK = ZoneInfo("America/New_York")


def _day_policy(tmp_path: Path) -> str:
    """The example hotel's policy counting grants per day (in New York) instead of per incident."""
    text = Path(POLICY).read_text(encoding="utf-8")
    assert 'window = "incident"' in text
    path = tmp_path / "day.toml"
    path.write_text(text.replace('window = "incident"', 'window = "day"'), encoding="utf-8")
    return str(path)


def _decided_case(journal: SQLiteJournal, policy: Policy, *, category: str, amount: str, at: dt.datetime) -> Case:
    complaint = Complaint(
        customer=Customer(id="777"),
        category=category,
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=at - dt.timedelta(minutes=5),
    )
    case = Case.open(journal, policy, complaint, by="front_desk", now=at)
    case.listen(now=at)
    case.apologize(now=at)
    case.ask_preferred_solution(Remedy(kind="refund", amount=Money(amount, "USD")), now=at)
    case.decide(now=at)
    return case


@pytest.mark.slow
def test_a_decision_dated_before_the_guests_latest_grant_is_replayed_as_the_journal_decided_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """simulate.md: each case's first decision is replayed "with what the guest had been granted before as the
    ledger said then". A second case of the same guest, decided at 23:30 the evening before the first case's $80
    grant (a step recorded late, with the time it happened), was decided by the journal with the $80 counted (the
    ledger never counts a grant before an earlier one): escalated. Replayed under that very policy, it must be
    escalated again, not approved with nothing granted before."""
    day = _day_policy(tmp_path)
    policy = Policy.from_file(day)
    journal_path = tmp_path / "cases.sqlite3"
    with SQLiteJournal(journal_path) as journal:
        first = _decided_case(
            journal, policy, category="noise", amount="80.00", at=dt.datetime(2026, 11, 23, 10, 0, tzinfo=NEW_YORK)
        )
        second = _decided_case(
            journal,
            policy,
            category="billing_error",
            amount="50.00",
            at=dt.datetime(2026, 11, 22, 23, 30, tzinfo=NEW_YORK),
        )
        recorded = [first.decision, second.decision]
    assert [(d.outcome.value, str(d.granted_before)) for d in recorded if d is not None] == [
        ("approved", "0.00 USD"),
        ("escalated", "80.00 USD"),
    ]

    result = run(capsys, "simulate", "-p", day, "-c", day, f"journal:{journal_path}", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["current"]["outcomes"] == {"approved": 1, "escalated": 1, "denied": 0}


def test_the_example_journal_replayed_under_the_policy_in_force_gives_its_recorded_first_decisions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """simulate.md: each case's first decision is decided again by the level that decided it, at the time it did,
    with what the ledger said then: under the policy that recorded them, the outcomes are the recorded ones."""
    journal_path = tmp_path / "journal.sqlite3"
    shutil.copyfile(EXAMPLES / "journal.sqlite3", journal_path)  # opening it may bring its schema up to date
    with SQLiteJournal(journal_path) as journal:
        recorded = Counter(
            Resolution.model_validate(event.data["resolution"]).outcome.value
            for event in journal.iter_events()
            if event.kind == "decided"
        )
    result = run(capsys, "simulate", "-p", POLICY, "-c", POLICY, f"journal:{journal_path}", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["decisions"] == sum(recorded.values()) == 35
    assert report["current"]["outcomes"] == {
        outcome: recorded[outcome] for outcome in ("approved", "escalated", "denied")
    }
    assert report["changes"] == []


def test_a_remedy_kind_the_policy_lacks_is_located_at_its_field_in_the_record(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """index.md: with --json each problem has its location, a field path in the file. In a recorded complaint the
    remedy kind is at complaint.requested.kind, as a malformed amount is at complaint.requested.amount."""
    record = json.loads(Path(RECORDS).read_text(encoding="utf-8").splitlines()[0])
    record["complaint"]["requested"]["kind"] = "teleport"
    path = tmp_path / "records.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    result = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, str(path), "--json")
    assert result.code == 2
    [problem] = json.loads(result.out)["error"]["problems"]
    assert (problem["location"], problem["line"]) == ("complaint.requested.kind", 1)


@pytest.mark.parametrize("scheme", ["sqlite:", "jsonl:"])
def test_a_journal_given_without_journal_prefix_is_refused_with_the_address_to_write(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, scheme: str
) -> None:
    """simulate.md: "A journal given without journal: is refused with the address to write ..., exit code 2"; its
    address may be written sqlite:cases.sqlite3, and a JSON Lines file jsonl:PATH."""
    journal_path = tmp_path / "journal.sqlite3"
    shutil.copyfile(EXAMPLES / "journal.sqlite3", journal_path)
    result = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, f"{scheme}{journal_path}")
    assert result.code == 2
    assert "write journal:" in result.err
    assert "cannot be replayed" not in result.err


def test_an_empty_records_file_is_a_simulation_of_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """simulate.md: blank lines are skipped; index.md: exit 0 when the simulation ran. A file of blank lines is
    replayed as no recorded complaint, every figure zero, not refused."""
    path = tmp_path / "records.jsonl"
    path.write_text("\n  \n\r\n", encoding="utf-8")
    result = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, str(path), "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert (report["decisions"], report["skipped"], report["changes"]) == (0, [], [])
    assert report["current"]["amounts"] == {"approved": "0.00 USD", "escalated": "0.00 USD", "denied": "0.00 USD"}
    text = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, str(path))
    assert text.code == 0
    assert text.out.startswith(f"0 recorded complaints from {path}\n")


@pytest.mark.parametrize(
    ("now", "shown"),
    [
        ("2026-11-01T05:30:00Z", "2026-11-01 01:30 EST"),  # 01:30 EDT + 1 hour: the second 01:30 of the night
        ("2026-03-08T06:30:00Z", "2026-03-08 03:30 EDT"),  # 01:30 EST + 1 hour: 02:30 does not exist that night
    ],
)
def test_decide_shows_the_callback_in_the_policys_zone_across_a_clock_change(
    capsys: pytest.CaptureFixture[str], now: str, shown: str
) -> None:
    """decide.md: the callback time in the policy's own time zone; an hour after a decision made just before the
    clocks change is an hour of real time, shown with the offset's abbreviation it falls in."""
    result = run(capsys, "decide", "-p", POLICY, COMPLAINT, "--by", "front_desk", "--now", now)
    assert result.code == 0, result.err
    assert f"  callback by    {shown} (America/New_York)\n" in result.out
