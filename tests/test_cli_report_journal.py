"""Reading a case journal from the command line: addresses, integrity, and ``simulate journal:...``."""

from __future__ import annotations

import datetime as dt
import io
import json
import runpy
import sqlite3
from collections import Counter
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from recovery_rules import (
    ComplaintNumber,
    Draft,
    Journal,
    JournalError,
    MemoryJournal,
    Money,
    Outcome,
    Policy,
    SQLiteJournal,
)
from recovery_rules._case._path import CaseState, apply, start
from recovery_rules.cli import _console, _journal_reader
from recovery_rules.metrics import report as metrics_report

from ._cli import CANDIDATE, EXAMPLES, POLICY, run
from ._helpers import examples
from ._journal_files import JOURNAL, REPORT_NOW, execute, rewrite_from, tamper

MAKE_JOURNAL = runpy.run_path(str(EXAMPLES / "make_journal.py"))


def report(capsys: pytest.CaptureFixture[str], address: str, *args: str) -> tuple[int, str, str]:
    result = run(capsys, "report", address, "--now", REPORT_NOW, *args)
    return result.code, result.out, result.err


# -- addresses ----------------------------------------------------------------------------------------------


def test_addresses_name_an_sqlite_file(capsys: pytest.CaptureFixture[str]) -> None:
    plain = run(capsys, "report", JOURNAL, "--now", REPORT_NOW, "--json")
    assert plain.code == 0, plain.err
    for address in (f"sqlite:{JOURNAL}", f"journal:{JOURNAL}", f"journal:sqlite:{JOURNAL}"):
        schemed = run(capsys, "report", address, "--now", REPORT_NOW, "--json")
        assert schemed.code == 0, schemed.err
        assert json.loads(schemed.out)["journal"] == json.loads(plain.out)["journal"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda folder: folder / "missing.sqlite3", "there is no journal file"),
        (lambda folder: folder, "is not a file; give the journal's SQLite file"),
        (lambda folder: _write(folder / "empty.sqlite3", b""), "is an empty file, not a recovery-rules journal"),
        (
            lambda folder: _write(folder / "notes.txt", b"no database\n" * 100),
            "is not a recovery-rules journal: file is not",
        ),
        (lambda folder: _other_database(folder / "shop.sqlite3"), "an SQLite database of something else"),
        (lambda folder: _newer_journal(folder / "newer.sqlite3"), "newer than this recovery-rules reads"),
        (
            lambda folder: _write(folder / "cut.sqlite3", Path(JOURNAL).read_bytes()[:200_000]),
            "is a damaged SQLite file",
        ),
    ],
    ids=["missing", "directory", "empty-file", "text-file", "other-database", "newer-format", "truncated"],
)
def test_what_is_not_a_journal_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, make: Any, message: str
) -> None:
    path: Path = make(tmp_path)
    before = path.read_bytes() if path.is_file() else None
    code, out, err = report(capsys, str(path))
    assert code == 2
    assert out == ""
    assert err.startswith("Error: ")
    assert message in err, err
    assert "Traceback" not in err
    if before is None:
        assert not path.is_file() or path.is_dir(), "a reader never creates a journal"
    else:
        assert path.read_bytes() == before, "a reader never changes the file it refuses"
    simulated = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, f"journal:{path}")
    code, err = simulated.code, simulated.err
    assert code == 2
    assert message in err


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _other_database(path: Path) -> Path:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
        connection.commit()
    return path


def _newer_journal(path: Path) -> Path:
    SQLiteJournal(path).close()
    execute(path, "PRAGMA user_version = 99")
    return path


def test_a_backend_that_cannot_open_says_why(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(address: str) -> Journal:
        raise JournalError("cannot connect to the journal's database: connection refused")

    monkeypatch.setitem(_journal_reader.JOURNALS, "postgresql", unreachable)
    code, out, err = report(capsys, "postgresql://reports@db.example.org/cases")
    assert code == 2
    assert out == ""
    assert err == "Error: cannot connect to the journal's database: connection refused\n"


def test_an_unknown_kind_of_journal(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = report(capsys, "mysql://reports@db.example.org/cases")
    assert code == 2
    assert "unknown kind of journal 'mysql'" in err
    assert "sqlite:" in err


def test_another_backend_plugs_in_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    copied = MemoryJournal()  # the sample journal's cases, recorded again in another backend
    policy = Policy.from_file(POLICY)
    for index, row in enumerate(MAKE_JOURNAL["CASES"], start=1):
        MAKE_JOURNAL["_record"](copied, policy, index, row)
    monkeypatch.setitem(_journal_reader.JOURNALS, "memory", lambda address: copied)
    code, out, err = report(capsys, "memory://harbour", "--json")
    assert code == 0, err
    assert json.loads(out)["cases"]["total"] == 36
    assert json.loads(out)["journal"]["head"].startswith("322:c60f7790")


# -- integrity --------------------------------------------------------------------------------------------------


def test_an_edited_event_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    harness = tamper(tmp_path)
    harness.edit(273, "grant", {"amount": "95.00", "currency": "USD"})
    code, out, err = report(capsys, str(harness.path))
    assert code == 2
    assert out == ""
    assert "event 273 is bad: its content does not match its hash: it was edited" in err
    assert "the first 272 events are intact" in err


def test_an_edit_with_a_new_hash_is_refused_though_each_event_reads_well(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    harness = tamper(tmp_path)
    harness.edit(273, "grant", {"amount": "95.00", "currency": "USD"}, rehashed=True)
    # What a reader that checks each event on its own sees: nothing wrong, and $855.00 less granted.
    with SQLiteJournal(harness.path) as journal:
        views: dict[str, Any] = {}
        for event in journal.iter_events():
            number = str(event.number)
            views[number] = start(event) if number not in views else apply(views[number], event)
        forged = sum((view.granted for view in views.values()), Money.zero("USD"))
    assert forged == Money("9115.00", "USD") - Money("855.00", "USD")
    code, out, err = report(capsys, str(harness.path))
    assert code == 2
    assert out == ""
    assert "event 273 is bad: its hash is not the one the next event was chained to: it was edited and re-hashed" in err


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda harness: harness.delete(100), "event 100 is bad: event 100 is missing or out of place"),
        (lambda harness: harness.swap(100, 101), "event 100 is bad"),
        (lambda harness: harness.edit(5, "actor", "manager", rehashed=True), "event 5 is bad"),
    ],
    ids=["deleted", "swapped", "actor-changed-and-rehashed"],
)
def test_removed_and_reordered_events_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, damage: Any, message: str
) -> None:
    harness = tamper(tmp_path)
    damage(harness)
    code, out, err = report(capsys, str(harness.path))
    assert code == 2
    assert out == ""
    assert message in err, err
    simulated = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, f"journal:{harness.path}")
    assert simulated.code == 2
    assert message in simulated.err


@pytest.mark.slow
def test_a_saved_head_finds_a_journal_rewritten_from_an_event_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = report(capsys, JOURNAL, "--json")
    head = json.loads(out)["journal"]["head"]
    harness = tamper(tmp_path)
    rewrite_from(harness, 273, {"amount": "95.00", "currency": "USD"})
    code, out, err = report(capsys, str(harness.path), "--json")
    assert code == 0, "a chain rewritten whole from an event on is a valid chain: only a saved head shows it"
    assert json.loads(out)["granted"] == "8260.00 USD"
    code, out, err = report(capsys, str(harness.path), "--expected-head", head)
    assert code == 2
    assert out == ""
    assert "event 322 is bad: it is not the event the saved head names: the chain was rewritten" in err


def test_a_saved_head_finds_a_cut_off_tail(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _, out, _ = report(capsys, JOURNAL, "--json")
    head = json.loads(out)["journal"]["head"]
    code, _, err = report(capsys, JOURNAL, "--expected-head", head)
    assert code == 0, err
    harness = tamper(tmp_path)
    cut = harness.path
    execute(cut, "DELETE FROM events WHERE seq > 300")
    code, out, err = report(capsys, str(cut))  # the table of cases still names event 322: refused (exit 2)
    assert (code, out) == (2, "")
    assert "event 301 is bad: the journal ends after 300 events, but its table of cases names event 322" in err
    harness.hide_cut(300)  # the table of cases and the ledger heads rewritten to match the shorter chain
    code, _, _ = report(capsys, str(cut))
    assert code == 0, "a shorter chain, with its bookkeeping rewritten too, is still a chain"
    code, out, err = report(capsys, str(cut), "--expected-head", head)
    assert code == 2
    assert out == ""
    assert "the journal ends after 300 events but the saved head says 322: its tail was cut off" in err


def test_events_off_the_case_path_are_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "odd.sqlite3"
    number = ComplaintNumber.parse("20261123-10442")
    with SQLiteJournal(path) as journal:
        at = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
        journal.append(number, Draft("listened", "listened", "staff", at), expected_version=0, key="a", request={})
        assert journal.verify().ok
    code, out, err = report(capsys, str(path))
    assert code == 2
    assert out == ""
    assert "holds events that do not follow the case path: event 1: the first event of a case must be" in err


# -- simulate journal:... ----------------------------------------------------------------------------------------


def records_from_cases(path: Path) -> Path:
    """The journal's first decisions as a JSON Lines file, written through the public API."""
    from recovery_rules import Case  # noqa: PLC0415 - read here, where the test rebuilds what the source reads

    policy = Policy.from_file(POLICY)
    lines = []
    with SQLiteJournal(JOURNAL) as journal:
        decided = {str(event.number): event.seq for event in journal.iter_events() if event.kind == "decided"}
        for summary in journal.cases():
            case = Case.load(journal, policy, summary.number)
            decision = case.decision
            if decision is None:
                continue
            complaint = case.complaint.model_copy(update={"requested": decision.remedy})
            record = {
                "complaint": complaint.model_dump(mode="json"),
                "by": decision.acting_level,
                "granted": str(decision.granted_before),
                "now": decision.decided_at.isoformat(),
            }
            lines.append((decided[str(case.number)], json.dumps(record)))
    path.write_text("".join(line + "\n" for _, line in sorted(lines)), encoding="utf-8")
    return path


def test_simulating_the_journal_is_simulating_its_decisions(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from_journal = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, f"journal:{JOURNAL}", "--json")
    assert from_journal.code == 0, from_journal.err
    records = records_from_cases(tmp_path / "decisions.jsonl")
    from_lines = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, str(records), "--json")
    assert from_lines.code == 0, from_lines.err
    journal, lines = json.loads(from_journal.out), json.loads(from_lines.out)
    assert journal["decisions"] == lines["decisions"] == 35
    assert journal["source"] == JOURNAL
    for key in ("current", "candidate", "matrix", "moved", "escalations", "per_level"):
        assert journal[key] == lines[key], key
    assert [change["where"] for change in journal["changes"]] == ["event 21", "event 49", "event 88", "event 195"]
    with SQLiteJournal(JOURNAL) as opened:
        kinds = {event.seq: event.kind for event in opened.iter_events()}
    assert {kinds[int(change["where"].split()[1])] for change in journal["changes"]} == {"decided"}
    assert [change["by"] for change in journal["changes"]] == [change["by"] for change in lines["changes"]]


def test_the_journal_source_follows_the_events_read() -> None:
    from recovery_rules.cli._records import open_source  # noqa: PLC0415 - the module under test
    from recovery_rules.cli._simulation import simulate  # noqa: PLC0415 - the module under test

    source = open_source(f"journal:sqlite:{JOURNAL}")
    assert source.name == f"sqlite:{JOURNAL}"
    assert source.total == 322
    seen: list[int] = []
    policy = Policy.from_file(POLICY)
    result = simulate(policy, policy, source, advance=seen.append)
    assert result.decisions == 35
    assert sum(seen) <= 322
    assert not result.changes


# -- invariants over many journals ----------------------------------------------------------------------------

ROW = MAKE_JOURNAL["Row"]
PATHS = (
    *("deliver", "approve", "approved", "escalated", "offered", "listened"),
    *("refused-alt", "refused-report", "denied-alt", "denied-final", "denied-report"),
)
REQUESTS = [
    ("refund", "80.00"),
    ("refund", "300.00"),
    ("refund", "900.00"),
    ("upgrade", "150.00"),
    ("refund", "2600.00"),
    ("refund", "3400.00"),
    ("cash_payment", "50.00"),
    ("voucher", "40.00"),
]


@st.composite
def rows(draw: st.DrawFn) -> list[Any]:
    drawn = []
    for day in range(draw(st.integers(min_value=0, max_value=6))):
        kind, amount = draw(st.sampled_from(REQUESTS))
        drawn.append(
            ROW(
                f"2026-10-{day + 1:02d} {draw(st.integers(min_value=8, max_value=20)):02d}:00",
                draw(st.sampled_from(["10106", "10629", "10442"])),
                draw(st.sampled_from(["standard", "gold"])),
                draw(st.sampled_from(["noise", "billing_error", "wifi_down"])),
                kind,
                amount,
                draw(st.sampled_from(PATHS)),
                draw(st.integers(min_value=1, max_value=400)),
                draw(st.sampled_from(["front_desk", "front_desk", "supervisor"])),
            )
        )
    return drawn


@settings(max_examples=examples(40), suppress_health_check=[HealthCheck.too_slow])
@given(rows(), st.integers(min_value=0, max_value=24 * 8))
def test_the_figures_always_add_up(drawn: list[Any], hours: int) -> None:
    policy = Policy.from_file(POLICY)
    journal: Journal = MemoryJournal()
    for index, row in enumerate(drawn, start=1):
        MAKE_JOURNAL["_record"](journal, policy, index, row)
    now = dt.datetime(2026, 10, 1, tzinfo=dt.UTC) + dt.timedelta(hours=hours)
    figures = metrics_report(journal, now=now, source="memory", policy=policy)
    data = figures.model_dump(mode="json")
    cases = figures.cases.total
    counted = sum(1 for event in journal.iter_events() if event.kind == "opened" and event.at <= now)
    assert cases == counted
    assert data["first_decisions"]["decided"] + data["first_decisions"]["undecided"] == cases
    assert sum(data["outcomes"].values()) == cases
    assert data["escalations"]["waiting"] >= 0
    for rate in data["rates"].values():
        assert 0 <= rate["count"] <= rate["of"]
    promised = sum(1 for event in journal.iter_events() if event.kind == "escalated" and event.at <= now)
    assert sum(data["callbacks"].values()) == promised
    assert len(data["overdue_callbacks"]) == data["callbacks"]["overdue"]
    total = Decimal(data["granted"].split()[0])
    assert sum(Decimal(level["granted"].split()[0]) for level in data["per_level"].values()) == total
    assert sum(Decimal(category["granted"].split()[0]) for category in data["per_category"].values()) == total
    levels = Counter({name: level["decisions"] for name, level in data["per_level"].items()})
    assert sum(levels.values()) == data["first_decisions"]["decided"] + sum(
        data["escalations"][name] for name in ("approved", "denied")
    )
    share = figures.cap_share
    assert all(0 <= value <= 1 for value in (share.median, share.p90, share.max) if value is not None)
    assert sum(data["cap_share"]["bands"].values()) == share.guests <= len({row.customer for row in drawn})
    spreads = figures.time_to_resolution.values()
    assert all(
        spread.median_seconds is None or 0 <= spread.median_seconds <= (spread.p90_seconds or 0) for spread in spreads
    )
    open_cases = [view for view in _views(journal, now) if view.state is not CaseState.CLOSED]
    assert data["cases"]["open"] == len(open_cases)
    assert data["first_decisions"][Outcome.ESCALATED.value] >= data["escalations"]["approved"]


def _views(journal: Journal, now: dt.datetime) -> list[Any]:
    views: dict[str, Any] = {}
    stopped: set[str] = set()
    for event in journal.iter_events():
        number = str(event.number)
        if number in stopped or event.at > now:
            stopped.add(number)
            continue
        views[number] = start(event) if number not in views else apply(views[number], event)
    return list(views.values())


def test_simulate_shows_the_events_read_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(
        _console, "stderr", lambda: Console(file=screen, force_terminal=True, width=80, color_system="standard")
    )
    result = run(capsys, "simulate", "-p", POLICY, "-c", CANDIDATE, f"journal:{JOURNAL}")
    assert result.code == 0
    assert "replaying (events)" in screen.getvalue()
    assert "replaying" not in result.out + result.err


# -- a period: its cases only ---------------------------------------------------------------------------------


def test_a_periods_report_reads_only_its_cases(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    harness = tamper(tmp_path)
    harness.edit(2, "actor", "manager")  # an event of September's first case, outside the period
    code, out, err = report(capsys, str(harness.path), "--since", "2026-11-01", "--json")
    assert code == 0, err
    figures = json.loads(out)
    assert figures["cases"]["total"] == 13
    assert figures["journal"]["verified"] is False  # the chain was not walked: the edit outside is not seen
    code, _, err = report(capsys, str(harness.path))  # the whole journal's report walks the chain
    assert code == 2
    assert "event 2 is bad" in err


def test_a_periods_report_refuses_an_edited_event_of_its_cases(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    harness = tamper(tmp_path)
    harness.edit(229, "actor", "manager")  # the opening of a case of 4 November
    code, out, err = report(capsys, str(harness.path), "--since", "2026-11-01")
    assert (code, out) == (2, "")
    assert "event 229 is bad" in err


def test_a_periods_report_checks_the_chain_from_the_expected_head(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    harness = tamper(tmp_path)
    with SQLiteJournal(harness.path) as journal:
        saved = str(journal.verify().head)
    code, out, err = report(capsys, str(harness.path), "--since", "2026-11-20", "--expected-head", saved, "--json")
    assert code == 0, err
    assert json.loads(out)["journal"]["head"] == saved  # checked from the head on: the head the check ended at
    harness.edit(322, "actor", "manager")  # the last event, in the period and after nothing: its hash no longer fits
    code, _, err = report(capsys, str(harness.path), "--since", "2026-11-20", "--expected-head", saved)
    assert code == 2
    assert "event 322 is bad" in err
