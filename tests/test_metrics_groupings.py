"""Per-employee and per-revision figures, and the manager's personal calls kept or late (issue 12 §1, §4; 13 §5).

A handmade journal under two revisions of the Harbour Hotel's policy (the second lets the front desk grant
up to $300), with named employees, whose figures are worked out by hand; the same figures from Memory and
SQLite journals, in the JSON ``report --json`` prints and in its table; a property: where every step names
an employee, the per-employee counts add up to the report's totals; ``simulate`` labels each side with its
revision and groups a journal's decisions by the revision that recorded them. Then a few scenarios of the
report's other figures that the handmade journals do not reach (cases ending out of the order they opened in,
two cases read out of journal order, an escalation waiting without a policy, an alternative on top of earlier
grants).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recovery_rules import (
    Case,
    Complaint,
    Customer,
    Journal,
    MemoryJournal,
    Money,
    Policy,
    Remedy,
    SQLiteJournal,
    metrics,
)

from ._cli import EXAMPLES, POLICY, run

BASE = Policy.from_file(POLICY)
CURRENT = Policy.model_validate({**BASE.model_dump(), "personal_call_within": "4h"})
"""The policy in force: a written report promises the manager's personal call within 4 hours (always open)."""
PILOT = Policy.model_validate(
    {
        **CURRENT.model_dump(),
        "levels": [
            {**level.model_dump(), "limit": "300.00"} if level.name == "front_desk" else level.model_dump()
            for level in CURRENT.levels
        ],
    }
)
"""The pilot: the front desk may grant up to $300."""
START = dt.datetime(2026, 10, 1, 14, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 10, 20, tzinfo=dt.UTC)
NOT_RECORDED = metrics.NOT_RECORDED
FORMAT_2 = Path(__file__).parent / "data" / "journal-format-2.sqlite3"


def usd(amount: str) -> Money:
    return Money(amount, "USD")


class Desk:
    """Drives one case, a minute apart by default; every step names ``who`` (an employee per step kind)."""

    def __init__(
        self,
        journal: Journal,
        policy: Policy,
        day: int,
        customer: str,
        amount: str,
        *,
        who: Callable[[str], str | None],
        category: str = "noise",
        kind: str = "refund",
        by: str = "front_desk",
    ) -> None:
        self.at = START + dt.timedelta(days=day)
        self.who = who
        complaint = Complaint(
            customer=Customer(id=customer),
            category=category,
            requested=Remedy(kind=kind, amount=usd(amount)),
            received_at=self.at,
        )
        self.case = Case.open(journal, policy, complaint, by=by, employee=who("open"), now=self.at)

    def step(self, name: str, minutes: int = 1, **more: Any) -> Any:
        self.at += dt.timedelta(minutes=minutes)
        return getattr(self.case, name)(now=self.at, employee=self.who(name), **more)

    def heard(self) -> Any:
        self.step("listen")
        self.step("apologize")
        self.step("ask_preferred_solution")
        return self.step("decide")

    def done(self) -> None:
        self.step("thank")
        self.step("close")


def anna_and_ben(step: str) -> str:
    """The front desk's Anna takes every step but the supervisor's answer, which is Ben's."""
    return "E-BEN" if step == "manager_approves" else "E-ANNA"


def cleo_and_dan(step: str) -> str:
    """Cleo at the front desk; Dan, the manager, explains denials, writes the reports and calls."""
    manager = {"explain_denial", "decline_alternatives", "make_final_offer", "decline_final_offer", "write_report"}
    return "E-DAN" if step in manager or step == "manager_calls" else "E-CLEO"


def handmade(journal: Journal) -> Journal:
    """Six cases (worked out in test_the_figures_per_employee_and_revision_are_exactly_right)."""
    # 1. current: Anna approves an $80 voucher and delivers it.
    one = Desk(journal, CURRENT, 0, "301", "80.00", who=anna_and_ben, kind="voucher")
    one.heard()
    one.step("deliver", 5)
    one.done()
    # 2. current: Anna escalates $250 to the supervisor (callback within 1h); Ben approves 30 minutes later,
    #    Anna delivers 5 minutes after that: the callback kept, at Anna's step.
    two = Desk(journal, CURRENT, 1, "302", "250.00", who=anna_and_ben)
    two.heard()
    two.step("escalate")
    two.step("manager_approves", 30, by="supervisor")
    two.step("deliver", 5)
    two.done()
    # 3. pilot: the same $250 now within Cleo's $300: approved, delivered.
    three = Desk(journal, PILOT, 2, "303", "250.00", who=cleo_and_dan)
    three.heard()
    three.step("deliver", 5)
    three.done()
    # 4. pilot: $3,300 is over the cap: denied; Dan explains, everything declined, a report written; the case
    #    closed, and Dan makes the personal call 2 hours after the report: kept.
    four = Desk(journal, PILOT, 3, "304", "3300.00", who=cleo_and_dan)
    four.heard()
    four.step("explain_denial")
    four.step("decline_alternatives")
    four.step("make_final_offer")
    four.step("decline_final_offer")
    four.step("write_report", summary="Nothing we offered was enough.")
    four.done()
    four.step("manager_calls", 120)
    # 5. pilot: the same, but Dan calls 5 hours after the report: late (promised within 4).
    five = Desk(journal, PILOT, 4, "305", "3300.00", who=cleo_and_dan)
    five.heard()
    five.step("explain_denial")
    five.step("decline_alternatives")
    five.step("make_final_offer")
    five.step("decline_final_offer")
    five.step("write_report", summary="Nothing we offered was enough.")
    five.step("manager_calls", 300)
    five.done()
    # 6. pilot: the same, the report written and the case closed; no call yet: overdue at NOW.
    six = Desk(journal, PILOT, 5, "306", "3300.00", who=cleo_and_dan)
    six.heard()
    six.step("explain_denial")
    six.step("decline_alternatives")
    six.step("make_final_offer")
    six.step("decline_final_offer")
    six.step("write_report", summary="Nothing we offered was enough.")
    six.done()
    # 7. current, no employee named at any step: listened to only.
    seven = Desk(journal, CURRENT, 6, "307", "40.00", who=lambda step: None, kind="voucher")
    seven.step("listen")
    return journal


@pytest.fixture(params=["memory", "sqlite"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journal]:
    if request.param == "memory":
        yield handmade(MemoryJournal())
    else:
        with SQLiteJournal(tmp_path / "cases.sqlite3") as opened:
            yield handmade(opened)


def test_the_figures_per_employee_and_revision_are_exactly_right(journal: Journal) -> None:
    report = metrics.report(journal, now=NOW)
    assert report.cases == metrics.CaseCounts(total=7, open=1, closed=6)
    people = report.per_employee
    assert list(people) == ["E-CLEO", "E-DAN", "E-ANNA", "E-BEN", NOT_RECORDED]  # most cases first, unnamed last

    anna = people["E-ANNA"]
    assert (anna.cases, anna.open, anna.first_decisions, anna.decisions) == (2, 0, 2, 2)
    assert (anna.approved, anna.escalated, anna.denied) == (1, 1, 0)
    assert (anna.escalation.count, anna.escalation.of, anna.escalation.rate) == (1, 2, Decimal("0.5"))
    assert (anna.callbacks_kept, anna.callbacks_late) == (1, 0)  # case 2: her delivery answered the callback
    assert (anna.grants, anna.granted) == (1, usd("80.00"))  # Ben's approval granted case 2's $250

    ben = people["E-BEN"]
    assert (ben.cases, ben.first_decisions, ben.decisions, ben.approved) == (1, 0, 1, 1)
    assert ben.escalation.rate is None
    assert (ben.grants, ben.granted) == (1, usd("250.00"))

    cleo = people["E-CLEO"]
    assert (cleo.cases, cleo.first_decisions, cleo.approved, cleo.denied) == (4, 4, 1, 3)
    assert (cleo.escalation.count, cleo.escalation.of) == (0, 4)
    assert (cleo.grants, cleo.granted) == (1, usd("250.00"))
    assert (cleo.calls_made, cleo.alternatives_offered) == (0, 0)

    dan = people["E-DAN"]
    assert (dan.cases, dan.open, dan.decisions) == (3, 0, 0)
    assert (dan.alternatives_offered, dan.alternatives_accepted) == (3, 0)
    assert (dan.calls_made, dan.calls_kept, dan.calls_late) == (2, 1, 1)
    assert (dan.callbacks_kept, dan.callbacks_late) == (0, 0)

    unnamed = people[NOT_RECORDED]
    assert (unnamed.cases, unnamed.open, unnamed.decisions, unnamed.first_decisions) == (1, 1, 0, 0)

    calls = report.personal_calls
    assert (calls.reports, calls.promised, calls.made) == (3, 3, 2)
    assert (calls.kept, calls.late, calls.overdue, calls.pending) == (1, 1, 1, 0)
    assert (calls.kept_rate.count, calls.kept_rate.of) == (1, 3)
    (owed,) = calls.overdue_calls
    assert owed.number.endswith("-306")
    assert owed.state == "closed"
    assert owed.escalated_to == "manager"  # the level the report went to, who owes the call
    assert owed.overdue_seconds == (NOW - owed.callback_by).total_seconds()
    # The escalation callbacks are counted apart: only case 2's.
    assert report.callbacks == metrics.CallbackFigures(kept=1, late=0, overdue=0, pending=0)
    assert report.overdue_callbacks == ()

    revisions = report.per_revision
    assert list(revisions) == [CURRENT.revision, PILOT.revision]  # earliest first
    current, pilot = revisions[CURRENT.revision], revisions[PILOT.revision]
    assert (current.cases, current.decisions, current.approved, current.escalated) == (3, 2, 1, 1)
    assert (current.escalation.count, current.escalation.of) == (1, 2)
    assert current.granted == usd("330.00")
    assert (pilot.cases, pilot.decisions, pilot.approved, pilot.denied, pilot.escalated) == (4, 4, 1, 3, 0)
    assert pilot.escalation.rate == Decimal(0)
    assert pilot.granted == usd("250.00")
    assert current.first_at == START + dt.timedelta(minutes=0)
    assert pilot.first_at == START + dt.timedelta(days=2)
    assert current.last_at is not None
    assert current.last_at >= START + dt.timedelta(days=6)


def test_a_call_made_after_the_case_closed_counts_and_does_not_break_the_report(journal: Journal) -> None:
    # Case 4 was closed before its call: the report used to refuse the journal ("its case was already closed").
    report = metrics.report(journal, now=NOW)
    assert report.personal_calls.kept == 1
    period = metrics.report(journal, since=START + dt.timedelta(days=3), until=START + dt.timedelta(days=4), now=NOW)
    assert (period.cases.total, period.personal_calls.made, period.personal_calls.kept) == (1, 1, 1)


def test_a_report_under_a_policy_without_a_personal_call_promises_none(journal: Journal) -> None:
    """Only a report written under a policy with ``personal_call_within`` promises the manager's call: one written
    under a policy without it counts as a report, not as a call promised."""
    assert BASE.personal_call_within is None
    eight = Desk(journal, BASE, 7, "308", "3300.00", who=cleo_and_dan)
    eight.heard()
    for step in ("explain_denial", "decline_alternatives", "make_final_offer", "decline_final_offer"):
        eight.step(step)
    eight.step("write_report", summary="Nothing we offered was enough.")
    calls = metrics.report(journal, now=NOW).personal_calls
    assert (calls.reports, calls.promised, calls.made) == (4, 3, 2)
    assert (calls.kept, calls.late, calls.overdue, calls.pending) == (1, 1, 1, 0)


def test_a_call_not_made_yet_is_pending_before_its_time() -> None:
    journal = handmade(MemoryJournal())
    before = START + dt.timedelta(days=5, minutes=11)  # case 6's report was written, its call not yet due
    report = metrics.report(journal, now=before)
    assert (report.personal_calls.overdue, report.personal_calls.pending) == (0, 1)


def test_a_journal_before_event_format_3_groups_under_not_recorded(tmp_path: Path) -> None:
    path = tmp_path / "format-2.sqlite3"
    shutil.copyfile(FORMAT_2, path)  # written by the release before: no employee, no revision in any event
    with SQLiteJournal(path) as opened:
        report = metrics.report(opened, now=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    assert report.cases.total > 0
    assert list(report.per_employee) == [NOT_RECORDED]
    assert report.per_employee[NOT_RECORDED].cases == report.cases.total
    assert report.per_employee[NOT_RECORDED].first_decisions == report.first_decisions.decided
    assert list(report.per_revision) == [NOT_RECORDED]
    assert report.per_revision[NOT_RECORDED].decisions == report.first_decisions.decided


def test_the_json_and_the_table_show_the_same_groupings(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite3"
    with SQLiteJournal(path) as opened:
        handmade(opened)
        expected = metrics.report(opened, now=NOW, source=str(path))
    result = run(capsys, "report", str(path), "--now", NOW.isoformat(), "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document == expected.model_dump(mode="json")
    assert document["per_employee"]["E-DAN"]["calls_made"] == 2
    assert document["personal_calls"]["overdue"] == 1
    assert list(document["per_revision"]) == [CURRENT.revision, PILOT.revision]

    table = run(capsys, "report", str(path), "--now", NOW.isoformat())
    assert table.code == 0, table.err
    text = table.out
    assert "manager's personal calls promised by 3 of 3 written reports: 1 kept, 1 late, 1 overdue" in text
    assert "per employee (who took each step)" in text
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.startswith(" E-")}
    assert rows["E-ANNA"][:3] == ["E-ANNA", "2", "2"]
    assert rows["E-DAN"][4:7] == ["0", "of", "3"]  # alternatives accepted of offered
    assert rows["E-DAN"][-2] == "2"  # calls made
    assert CURRENT.revision[:12] in text
    assert PILOT.revision[:12] in text
    assert CURRENT.revision[:13] not in text


def test_many_employees_show_the_busiest_and_sum_the_rest(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite3"
    with SQLiteJournal(path) as opened:
        for index in range(12):

            def who(step: str, employee: str = f"E-{index:02d}") -> str:
                return employee

            desk = Desk(opened, CURRENT, index, f"4{index:02d}", "80.00", who=who)
            if index < 2:  # two of them take a second case
                Desk(opened, CURRENT, index, f"5{index:02d}", "80.00", who=who)
            desk.step("listen")
    table = run(capsys, "report", str(path), "--now", NOW.isoformat())
    assert table.code == 0, table.err
    assert " E-00 " in table.out
    assert " E-01 " in table.out
    assert "2 others" in table.out
    assert "the 10 with the most cases shown (--json lists all)" in table.out


STEPS = st.lists(
    st.tuples(
        st.sampled_from(["80.00", "250.00", "700.00", "3300.00"]),
        st.sampled_from(["E-1", "E-2", "E-3"]),
        st.sampled_from(["E-1", "E-2", "E-3"]),
        st.booleans(),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases=STEPS)
def test_per_employee_counts_add_up_to_the_totals(cases: list[tuple[str, str, str, bool]]) -> None:
    """Where every step names an employee, each decision, grant and Plan B step counts for exactly one."""
    journal = MemoryJournal()
    for day, (amount, desk_employee, manager_employee, called) in enumerate(cases):

        def who(step: str, desk: str = desk_employee, manager: str = manager_employee) -> str:
            answers = {"manager_approves", "manager_denies", "explain_denial", "write_report", "manager_calls"}
            if step not in answers:
                return desk
            return manager if manager != desk else "E-9"  # no one answers their own escalation

        case = Desk(journal, CURRENT, day, f"6{day:02d}", amount, who=who)
        decision = case.heard()
        if decision.escalate_to is not None:
            case.step("escalate")
            case.step("manager_approves", 30, by=decision.escalate_to)
        if case.case.allowed_steps() == ("deliver",):
            case.step("deliver")
        else:
            case.step("explain_denial")
            case.step("decline_alternatives")
            case.step("make_final_offer")
            case.step("decline_final_offer")
            case.step("write_report", summary="Nothing we offered was enough.")
            if called:
                case.step("manager_calls", 60)
        case.done()
    report = metrics.report(journal, now=NOW)
    people = report.per_employee.values()
    assert NOT_RECORDED not in report.per_employee
    assert sum(person.first_decisions for person in people) == report.first_decisions.decided
    assert sum(person.escalation.count for person in people) == report.first_decisions.escalated
    assert sum(person.decisions for person in people) == (
        report.first_decisions.decided + report.escalations.approved + report.escalations.denied
    )
    assert sum(person.grants for person in people) == sum(level.grants for level in report.per_level.values())
    total = sum((person.granted for person in people if person.granted is not None), usd("0.00"))
    assert total == report.granted
    assert sum(person.alternatives_offered for person in people) == report.plan_b.alternatives.offered
    assert sum(person.alternatives_accepted for person in people) == report.plan_b.alternatives.accepted
    assert sum(person.callbacks_kept for person in people) == report.callbacks.kept
    assert sum(person.callbacks_late for person in people) == report.callbacks.late
    assert sum(person.calls_made for person in people) == report.personal_calls.made
    assert sum(person.calls_kept for person in people) == report.personal_calls.kept
    assert sum(person.calls_late for person in people) == report.personal_calls.late
    assert max(person.cases for person in people) <= report.cases.total <= sum(person.cases for person in people)
    revisions = report.per_revision.values()
    assert sum(revision.decisions for revision in revisions) == report.first_decisions.decided


def test_simulate_labels_each_side_and_groups_a_journal_by_revision(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "cases.sqlite3"
    with SQLiteJournal(path) as opened:
        handmade(opened)
    current, pilot = tmp_path / "current.json", tmp_path / "pilot.json"
    current.write_text(CURRENT.model_dump_json(), encoding="utf-8")
    pilot.write_text(PILOT.model_dump_json(), encoding="utf-8")
    args = ("simulate", "--policy", str(current), "--candidate", str(pilot), f"journal:{path}")
    result = run(capsys, *args, "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document["revisions"] == {"current": CURRENT.revision, "candidate": PILOT.revision}
    per_revision = document["per_revision"]
    assert list(per_revision) == [CURRENT.revision, PILOT.revision]  # as the journal recorded them
    # Cases 1 and 2 decided under the current revision: case 2's $250 is approved on the spot by the pilot.
    recorded_current = per_revision[CURRENT.revision]
    assert recorded_current["decisions"] == 2
    assert recorded_current["current"]["outcomes"] == {"approved": 1, "escalated": 1, "denied": 0}
    assert recorded_current["candidate"]["outcomes"] == {"approved": 2, "escalated": 0, "denied": 0}
    # Cases 3 to 6 decided under the pilot: replaying them under the current policy escalates case 3's $250.
    recorded_pilot = per_revision[PILOT.revision]
    assert recorded_pilot["decisions"] == 4
    assert recorded_pilot["current"]["outcomes"] == {"approved": 0, "escalated": 1, "denied": 3}
    assert recorded_pilot["candidate"]["outcomes"] == {"approved": 1, "escalated": 0, "denied": 3}

    table = run(capsys, *args)
    assert table.code == 0, table.err
    assert f"current:   {current} (revision {CURRENT.revision[:12]})" in table.out
    assert f"candidate: {pilot} (revision {PILOT.revision[:12]})" in table.out
    assert f"{CURRENT.revision[:12]} (= current)" in table.out
    assert f"{PILOT.revision[:12]} (= candidate)" in table.out


def test_simulate_of_records_without_revisions_shows_no_revision_table(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("simulate", "--policy", str(POLICY), "--candidate", str(EXAMPLES / "candidate.toml"))
    result = run(capsys, *args, str(EXAMPLES / "complaints.jsonl"), "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert list(document["per_revision"]) == [NOT_RECORDED]
    assert document["per_revision"][NOT_RECORDED]["decisions"] == document["decisions"]
    table = run(capsys, *args, str(EXAMPLES / "complaints.jsonl"))
    assert "per recorded revision" not in table.out


def test_a_report_without_a_policy_lists_the_level_an_escalation_waits_on() -> None:
    """Without a policy no level is known ahead; a case escalated to the manager, not answered yet, still brings
    the manager's level into ``per_level`` (with nothing counted there), beside the front desk's."""
    journal = MemoryJournal()
    waiting = Desk(journal, CURRENT, 0, "401", "1500.00", who=anna_and_ben)
    assert waiting.heard().escalate_to == "manager"
    waiting.step("escalate")
    report = metrics.report(journal, now=NOW)
    assert list(report.per_level) == ["front_desk", "manager"]
    manager = report.per_level["manager"]
    assert (manager.cases, manager.decisions, manager.grants, manager.granted) == (0, 0, 0, usd("0.00"))
    assert report.escalations.waiting == 1


def test_a_revision_is_in_force_from_its_earliest_step_to_its_latest_whatever_order_cases_end_in() -> None:
    """``first_at`` and ``last_at`` are the earliest and latest steps under a revision, across its cases: a case
    opened first and still open, counted once the journal is read, does not hide the later case's steps."""
    journal = MemoryJournal()
    early = Desk(journal, CURRENT, 0, "402", "80.00", who=anna_and_ben, kind="voucher")
    early.step("listen")  # left open: its steps span day 0, 14:00-14:01
    late = Desk(journal, CURRENT, 1, "403", "80.00", who=anna_and_ben, kind="voucher")
    late.heard()
    late.step("deliver", 5)
    late.done()  # closed on day 1, 14:11
    report = metrics.report(journal, now=NOW)
    (revision,) = report.per_revision.values()
    assert revision.cases == 2
    assert revision.first_at == START
    assert revision.last_at == START + dt.timedelta(days=1, minutes=11)


def test_overdue_callbacks_are_listed_oldest_promise_first_not_in_the_order_cases_were_opened() -> None:
    """The first case opened waits on the manager (callback within 4h), the second on the supervisor (within 1h):
    the second's promise is the older one, so it is listed first."""
    journal = MemoryJournal()
    to_manager = Desk(journal, CURRENT, 0, "404", "1500.00", who=anna_and_ben)
    to_supervisor = Desk(journal, CURRENT, 0, "405", "250.00", who=anna_and_ben)
    assert to_manager.heard().escalate_to == "manager"
    assert to_supervisor.heard().escalate_to == "supervisor"
    to_manager.step("escalate")
    to_supervisor.step("escalate")
    report = metrics.report(journal, now=NOW)
    assert report.callbacks.overdue == 2
    assert [owed.escalated_to for owed in report.overdue_callbacks] == ["supervisor", "manager"]
    assert [owed.callback_by for owed in report.overdue_callbacks] == sorted(
        owed.callback_by for owed in report.overdue_callbacks
    )


def test_a_period_report_tells_progress_only_of_events_further_on() -> None:
    """A period's cases are read one case at a time, so the events come out of journal order (two cases whose
    steps alternate): ``progress`` is told only how much further the reading got, never zero or a step back."""
    journal = MemoryJournal()
    first = Desk(journal, CURRENT, 0, "406", "80.00", who=anna_and_ben, kind="voucher")
    second = Desk(journal, CURRENT, 0, "407", "80.00", who=anna_and_ben, kind="voucher")
    for step in ("listen", "apologize", "ask_preferred_solution", "decide", "deliver", "thank", "close"):
        first.step(step)
        second.step(step)
    seen: list[int] = []
    report = metrics.report(journal, since=START, now=NOW, progress=seen.append)
    assert report.cases.total == 2
    assert all(count > 0 for count in seen), seen
    assert sum(seen) == journal.head().count


def test_an_accepted_alternative_counts_the_customers_earlier_grants_in_the_cap_share() -> None:
    """Under a 30-day window the guest was granted $2,000 on day 0; on day 1 a $1,500 refund is over the $3,000
    cap, denied, and the guest accepts a $150 alternative: their grants reached $2,150 of the cap (71.67%), not
    the $2,000 alone, nor the $150 alone."""
    # The free alternatives for any complaint, and two paid ones of the room's own (offered first, so one is paid).
    free = [entry.model_dump() for entry in CURRENT.catalog if entry.applies_to == ("*",) and entry.value.amount == 0]
    (upgrade,) = [entry.model_dump() for entry in CURRENT.catalog if entry.id == "harbour-view"]
    spa = {**upgrade, "id": "spa", "kind": "comp", "value": "60.00", "description": "A spa afternoon."}
    policy = Policy.model_validate({**CURRENT.model_dump(), "window": "30d", "catalog": [*free, upgrade, spa]})
    journal = MemoryJournal()

    def who(step: str) -> str:
        return "E-MIA" if step == "manager_approves" else "E-ANNA"

    earlier = Desk(journal, policy, 0, "408", "2000.00", who=who)
    earlier.heard()
    earlier.step("escalate")
    earlier.step("manager_approves", 10, by="manager")
    earlier.step("deliver")
    earlier.done()
    later = Desk(journal, policy, 1, "408", "1500.00", who=who)
    assert later.heard().granted_before == usd("2000.00")
    later.step("explain_denial")
    (harbour_view,) = [
        alternative for alternative in later.case.alternatives_offered if alternative.id == "harbour-view"
    ]
    later.step("accept_alternative", alternative_id=harbour_view.id)
    later.done()
    share = metrics.report(journal, policy=policy, now=NOW).cap_share
    assert (share.guests, share.max, share.median) == (1, Decimal("0.7167"), Decimal("0.7167"))
    assert share.bands["50-75%"] == 1


def test_the_alternative_accepted_counts_for_the_employee_who_recorded_it() -> None:
    """Dan explains the denial (offering the alternatives), Cleo records the one the guest accepted."""
    journal = MemoryJournal()
    case = Desk(journal, CURRENT, 0, "409", "3300.00", who=cleo_and_dan)
    case.heard()
    case.step("explain_denial")
    (first, *_) = case.case.alternatives_offered
    case.step("accept_alternative", alternative_id=first.id)
    case.done()
    people = metrics.report(journal, now=NOW).per_employee
    assert (people["E-DAN"].alternatives_offered, people["E-DAN"].alternatives_accepted) == (1, 0)
    assert (people["E-CLEO"].alternatives_offered, people["E-CLEO"].alternatives_accepted) == (0, 1)


def test_employees_with_as_many_cases_are_listed_by_name() -> None:
    journal = MemoryJournal()
    Desk(journal, CURRENT, 0, "410", "80.00", who=lambda step: "E-ZOE", kind="voucher").heard()
    Desk(journal, CURRENT, 1, "411", "80.00", who=lambda step: "E-AMY", kind="voucher").heard()
    Desk(journal, CURRENT, 2, "412", "80.00", who=lambda step: None, kind="voucher").heard()
    assert list(metrics.report(journal, now=NOW).per_employee) == ["E-AMY", "E-ZOE", NOT_RECORDED]


def test_the_cap_share_is_of_the_cap_each_decision_saw_not_the_one_the_report_is_given() -> None:
    """The cases were decided under a $3,000 cap; a report given the same policy with its cap lowered since to
    $2,500 still lists and divides by the cap the decisions saw."""
    journal = MemoryJournal()
    case = Desk(journal, CURRENT, 0, "413", "1500.00", who=anna_and_ben)
    case.heard()
    case.step("escalate")
    case.step("manager_approves", 10, by="manager")
    case.step("deliver")
    case.done()
    lowered = Policy.model_validate({**CURRENT.model_dump(), "hard_cap": "2500.00"})
    share = metrics.report(journal, policy=lowered, now=NOW).cap_share
    assert share.caps == {CURRENT.name: usd("3000.00")}
    assert share.max == Decimal("0.5")


def test_journals_of_policies_that_name_their_customers_differently_report_customers() -> None:
    """Without a policy the noun comes from the decisions' traces: one policy's guests are guests; when a second
    policy calls them clients, the report says customers."""
    spa = Policy.model_validate({**CURRENT.model_dump(), "name": "Harbour Spa", "customer_noun": "client"})
    journal = MemoryJournal()
    Desk(journal, CURRENT, 0, "414", "80.00", who=anna_and_ben, kind="voucher").heard()
    assert metrics.report(journal, now=NOW).cap_share.customer_noun == "guest"
    Desk(journal, spa, 1, "415", "80.00", who=anna_and_ben, kind="voucher").heard()
    share = metrics.report(journal, now=NOW).cap_share
    assert set(share.caps) == {CURRENT.name, spa.name}
    assert share.customer_noun == "customer"
