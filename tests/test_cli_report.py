"""``recovery-rules report``: the service metrics of the cases recorded in a journal."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import runpy
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from recovery_rules import (
    Case,
    CaseOutcome,
    Complaint,
    Customer,
    Money,
    Outcome,
    Policy,
    Remedy,
    SQLiteJournal,
    presets,
)
from recovery_rules.cli import _console
from recovery_rules.metrics import nearest_rank

from ._cli import EXAMPLES, POLICY, ROOT, run
from ._journal_files import JOURNAL, REPORT_NOW, copy_journal, execute, tamper

NOW = dt.datetime.fromisoformat(REPORT_NOW)
RESOLVING = {"delivered", "alternative_accepted", "final_offer_accepted", "report_written"}


def report_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    result = run(capsys, "report", *args, "--json")
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def cases(path: str = JOURNAL) -> list[Case]:
    """Every case of the journal, read back through the public API."""
    policy = Policy.from_file(POLICY)
    with SQLiteJournal(path) as journal:
        return [Case.load(journal, policy, summary.number) for summary in journal.cases()]


def smallest_within(values: list[Any], share: Decimal) -> Any:
    """The smallest value at least ``share`` of ``values`` are at or below (another way to the nearest rank)."""
    return min(value for value in values if Decimal(sum(other <= value for other in values)) >= share * len(values))


# -- the figures ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_sample_journal_is_what_the_script_builds(tmp_path: Path) -> None:
    built = runpy.run_path(str(EXAMPLES / "make_journal.py"))["build"](tmp_path / "rebuilt.sqlite3")
    with SQLiteJournal(JOURNAL) as journal:
        assert journal.verify().ok
        assert journal.head() == built, "run python examples/cli/make_journal.py and commit the journal"
    assert len(cases()) == 36


def test_the_figures_are_what_the_cases_say(capsys: pytest.CaptureFixture[str]) -> None:
    report = report_json(capsys, JOURNAL, "--now", REPORT_NOW)
    everything = cases()
    decided = [case for case in everything if case.decision is not None]
    first = Counter(case.decision.outcome for case in decided if case.decision is not None)
    kinds = [Counter(event.kind for event in case.history) for case in everything]

    assert report["cases"] == {"total": 36, "open": sum(not case.closed for case in everything), "closed": 31}
    assert report["first_decisions"] == {
        "decided": len(decided),
        "undecided": 36 - len(decided),
        **{outcome.value: first[outcome] for outcome in Outcome},
    }
    denied = first[Outcome.DENIED] + sum(kind["manager_denied"] for kind in kinds)
    assert report["rates"]["escalation"] == {
        "count": first[Outcome.ESCALATED],
        "of": len(decided),
        "rate": round(first[Outcome.ESCALATED] / len(decided), 4),
    }
    assert report["rates"]["denial"]["count"] == denied
    accepted = sum(kind["alternative_accepted"] for kind in kinds)
    declined = sum(kind["alternatives_declined"] for kind in kinds)
    assert report["rates"]["alternative_accepted"] == {
        "count": accepted,
        "of": accepted + declined,
        "rate": round(accepted / (accepted + declined), 4),
    }
    assert report["outcomes"] == {
        **{outcome.value: sum(case.outcome is outcome for case in everything) for outcome in CaseOutcome},
        "unresolved": sum(case.outcome is None for case in everything),
    }

    with SQLiteJournal(JOURNAL) as journal:
        overdue = [str(summary.number) for summary in journal.overdue_callbacks(NOW)]
        granted: dict[str, Money] = {}
        for event in journal.iter_events():
            if event.grant is not None:
                granted[event.actor] = granted.get(event.actor, Money.zero("USD")) + event.grant
    assert [owed["number"] for owed in report["overdue_callbacks"]] == overdue == ["20261120-11024", "20261122-11160"]
    assert {name: level["granted"] for name, level in report["per_level"].items()} == {
        name: str(money) for name, money in granted.items()
    }
    assert report["granted"] == str(sum(granted.values(), Money.zero("USD")))

    times = []
    for case in everything:
        resolved = [event.at for event in case.history if event.kind in RESOLVING]
        if resolved:
            times.append(resolved[0] - case.history[0].at)
    spread = report["time_to_resolution"]["all"]
    assert spread["cases"] == len(times) == 31
    assert spread["median_seconds"] == smallest_within(times, Decimal("0.5")).total_seconds()
    assert spread["p90_seconds"] == smallest_within(times, Decimal("0.9")).total_seconds()

    # The Harbour Hotel's window is one incident: a guest's total within it is what one case granted.
    peaks: dict[str, Money] = {}
    for case in everything:
        customer = case.complaint.customer.id
        peaks[customer] = max(peaks.get(customer, Money.zero("USD")), case.granted)
    shares = sorted(peak.amount / Decimal(3000) for peak in peaks.values())
    assert report["cap_share"]["guests"] == len(peaks) == 12
    assert report["cap_share"]["max"] == round(float(shares[-1]), 4)
    assert report["cap_share"]["median"] == round(float(smallest_within(shares, Decimal("0.5"))), 4)
    assert sum(report["cap_share"]["bands"].values()) == 12


def test_the_table_reads_well(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "report", JOURNAL, "--now", REPORT_NOW)
    assert result.code == 0, result.err
    assert result.err == ""
    lines = result.out.splitlines()
    assert lines[0] == f"36 cases from {JOURNAL}, under Harbour Hotel"
    assert lines[1] == "  opened any time; as of 2026-11-23 15:20 UTC-05:00"
    assert lines[2].startswith("  journal: 322 events, chain intact, head 322:c60f7790")
    assert "first decisions: 13 approved, 17 escalated, 5 denied; 1 not decided yet" in lines
    assert " escalation rate        48.6%   17 of 35 decided" in [line.rstrip() for line in lines]
    assert " 20261120-11024     2026-11-20 18:16 UTC-05:00       2d 21h   approved    manager" in [
        line.rstrip() for line in lines
    ]
    assert " front_desk          34         13          16        5       13   $1,565.00" in [
        line.rstrip() for line in lines
    ]
    assert "  12 guests; median 10.0%, 90% at most 31.7%, highest 60.0%" in lines


@pytest.mark.slow
def test_periods_split_the_cases(capsys: pytest.CaptureFixture[str]) -> None:
    whole = report_json(capsys, JOURNAL, "--now", REPORT_NOW)
    for boundary in ("2026-10-01", "2026-10-14T14:45:00-04:00", "2026-11-23"):
        before = report_json(capsys, JOURNAL, "--now", REPORT_NOW, "--until", boundary)
        after = report_json(capsys, JOURNAL, "--now", REPORT_NOW, "--since", boundary)
        assert before["cases"]["total"] + after["cases"]["total"] == 36
        for name, figures in whole["per_category"].items():
            parts = [part["per_category"].get(name, {"cases": 0})["cases"] for part in (before, after)]
            assert sum(parts) == figures["cases"]
        for key in ("approved", "escalated", "denied"):
            assert before["first_decisions"][key] + after["first_decisions"][key] == whole["first_decisions"][key]
        amounts = [Decimal(part["granted"].split()[0]) for part in (before, after, whole)]
        assert amounts[0] + amounts[1] == amounts[2]
    november = report_json(capsys, JOURNAL, "--now", REPORT_NOW, "--since", "2026-11-01", "--until", "2026-12-01")
    assert november["cases"]["total"] == 13
    assert november["period"]["since"] == "2026-11-01T00:00:00-05:00"  # a date is midnight in --now's zone


def test_a_report_as_of_an_earlier_moment_is_the_journal_as_it_was_then(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    moment = "2026-11-22T12:00:00-05:00"
    as_of = report_json(capsys, JOURNAL, "--now", moment)
    times = [dt.datetime.fromisoformat(at) for (at,) in execute(Path(JOURNAL), "SELECT at FROM events ORDER BY seq")]
    assert times == sorted(times), "the sample journal's events are in time order"
    kept = sum(time <= dt.datetime.fromisoformat(moment) for time in times)
    harness = tamper(tmp_path)  # the journal as it stood then: its later events, and its bookkeeping's, undone
    execute(harness.path, "DELETE FROM events WHERE seq > ?", kept)
    harness.hide_cut(kept)
    then = report_json(capsys, str(harness.path), "--now", moment)
    assert as_of["journal"]["later_than_now"] == len(times) - kept > 0
    assert then["journal"]["later_than_now"] == 0
    for key in ("journal", "source"):
        del as_of[key], then[key]
    assert as_of == then
    assert as_of["cases"]["total"] == 33


def test_an_empty_journal_has_no_figures(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    SQLiteJournal(path).close()
    report = report_json(capsys, str(path), "--now", REPORT_NOW)
    assert report["cases"] == {"total": 0, "open": 0, "closed": 0}
    assert report["journal"]["head"] == "0:" + "0" * 64
    assert all(rate == {"count": 0, "of": 0, "rate": None} for rate in report["rates"].values())
    assert report["granted"] is None  # no case and no policy: no currency to write a zero in
    assert report["currency"] is None
    assert report["time_to_resolution"]["all"] == {"cases": 0, "median_seconds": None, "p90_seconds": None}
    assert report["cap_share"]["median"] is None
    text = run(capsys, "report", str(path), "--now", REPORT_NOW)
    assert text.code == 0
    assert text.out.startswith(f"0 cases from {path}\n")
    assert " escalation rate           -   0 of 0 decided" in [line.rstrip() for line in text.out.splitlines()]
    assert "  no customer of a policy with a cap" in text.out


# -- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--now", "2026-11-23T15:20:00"], "--now: needs a time zone"),
        (["--now", "yesterday"], "--now: is not an ISO 8601 time"),
        (["--since", "2026-11-01", "--until", "2026-10-01"], "--since must be earlier than --until"),
        (["--since", "2026-11-01", "--until", "2026-11-01"], "--since must be earlier than --until"),  # an empty period
        (["--since", "last week"], "--since: is neither a date nor an ISO 8601 time; write it like 2026-09-01"),
        (["--until", "2026-13-01"], "--until: is neither a date nor an ISO 8601 time"),
        (["--since", "2026-11-01T00:00"], "--since: needs a time zone"),
        (["--expected-head", "322"], "--expected-head: write it as count:hash"),
        (["--expected-head", "322:abc"], "--expected-head: hash: must be 64 lower-case hexadecimal digits"),
        (["--chart", "report.svg"], "--chart: report.svg must be a .png file"),
        (["--chart", "no/such/folder/report.png"], "--chart: there is no folder no/such/folder"),
    ],
)
def test_bad_options(capsys: pytest.CaptureFixture[str], arguments: list[str], message: str) -> None:
    result = run(capsys, "report", JOURNAL, *arguments)
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("Error: ")
    assert message in result.err, result.err
    assert "Traceback" not in result.err


def test_progress_shows_on_a_terminal_only(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(
        _console, "stderr", lambda: Console(file=screen, force_terminal=True, width=80, color_system="standard")
    )
    result = run(capsys, "report", JOURNAL, "--now", REPORT_NOW)
    assert result.code == 0
    assert "reading the journal (events)" in screen.getvalue()
    assert "reading" not in result.out + result.err


# -- percentiles ----------------------------------------------------------------------------------------------


@given(
    st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=40), st.integers(min_value=1, max_value=100)
)
def test_the_nearest_rank_is_the_smallest_value_that_enough_values_reach(values: list[int], percent: int) -> None:
    ordered = sorted(values)
    found = nearest_rank(ordered, percent)
    assert found == smallest_within(ordered, Decimal(percent) / 100)


def test_nearest_rank_by_hand() -> None:
    assert nearest_rank([1, 2], 50) == 1  # at least half are at or below 1
    assert nearest_rank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == 9
    assert nearest_rank([7], 90) == 7
    assert nearest_rank([1, 2, 3, 4], 100) == 4  # every percent from 0 to 100 is taken
    assert nearest_rank([1, 2, 3, 4], 0) == 1
    with pytest.raises(ValueError, match="values: must be a sorted list or tuple of at least one value"):
        nearest_rank([], 50)


# -- the documentation ------------------------------------------------------------------------------------------


def test_the_page_shows_the_refusal_report_prints(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = (ROOT / "docs" / "cli" / "report.md").read_text(encoding="utf-8")
    shown = re.search(r"```text\n(Error: the journal cases\.sqlite3 .*?)\n```", page, re.DOTALL)
    assert shown is not None
    copy = copy_journal(tmp_path)
    execute(copy, "UPDATE events SET grant_amount = '95.00' WHERE seq = 273")  # the $950.00 of 20261114-10442
    monkeypatch.chdir(tmp_path)
    result = run(capsys, "report", "cases.sqlite3", "--now", REPORT_NOW)
    assert result.code == 2
    assert result.out == ""
    assert result.err.strip() == shown[1]


def test_the_report_calls_customers_what_the_policy_calls_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    now = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
    path = tmp_path / "shop.sqlite3"
    with SQLiteJournal(path) as journal:
        complaint = Complaint(
            customer=Customer(id="c-1"),
            category="defective_item",
            requested=Remedy(kind="refund", amount=Money("20.00", "USD")),
            received_at=now,
        )
        case = Case.open(journal, presets.retail(), complaint, by=presets.retail().levels[0].name, now=now)
        case.listen(now=now)
        case.apologize(now=now)
        case.ask_preferred_solution(now=now)
        case.decide(now=now)
    text = run(capsys, "report", str(path), "--now", "2026-11-23T16:00:00Z").out
    assert "share of the cap used per customer" in text
    assert "1 customer; median" in text
    assert "guest" not in text


def test_a_count_of_one_is_said_in_the_singular(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """One case, one customer, one event after --now, one employee beyond the ten shown: "1 case", never
    "1 cases" (before: "1 cases from ...", "1 customers", "1 events", "1 others"), in the chart's title too."""
    start = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
    policy = presets.retail()
    one = tmp_path / "one.sqlite3"
    with SQLiteJournal(one) as journal:
        asked = Remedy(kind="refund", amount=Money("20.00", "USD"))
        complaint = Complaint(
            customer=Customer(id="c-1"), category="defective_item", requested=asked, received_at=start
        )
        case = Case.open(journal, policy, complaint, by=policy.levels[0].name, now=start)
        case.listen(now=start)
        case.apologize(now=start)
        case.ask_preferred_solution(now=start)
        case.decide(now=start)
        case.escalate(now=start + dt.timedelta(hours=2))
    result = run(capsys, "report", str(one), "--now", "2026-11-23T16:00:00Z")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == f"1 case from {one}, under {policy.name}"
    assert "  1 event recorded later than --now left out" in lines
    assert any(line.startswith("  1 customer; median") for line in lines), lines
    assert not re.search(r"\b1 (case|customer|event|other|written report)s\b", result.out), result.out

    from recovery_rules.cli._verbs.report._chart import _title  # noqa: PLC0415 - the chart's title alone
    from recovery_rules.metrics import report  # noqa: PLC0415

    with SQLiteJournal(one, read_only=True) as journal:
        figures = report(journal, now=dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC))
    assert ": 1 case, as of " in _title(figures)

    many = tmp_path / "many.sqlite3"
    with SQLiteJournal(many) as journal:
        for number in range(11):  # eleven employees: the ten with the most cases shown, and one other
            complaint = Complaint(
                customer=Customer(id=f"c-{number}"), category="defective_item", requested=asked, received_at=start
            )
            Case.open(journal, policy, complaint, by=policy.levels[0].name, now=start, employee=f"e-{number}")
    rows = run(capsys, "report", str(many), "--now", "2026-11-23T16:00:00Z").out.splitlines()
    assert any(row.split()[:3] == ["1", "other", "1"] for row in rows), rows
