"""A second pass on the promises of the metrics pages (docs/how-to/read-the-metrics.md, docs/cli/report.md and
``recovery_rules.metrics``), looking for the cases that make a figure lie: a DST day in the policy's zone, a
counter-offer accepted, two revisions of one policy, currencies of 0 and 3 decimal places."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import (
    Case,
    CaseView,
    Complaint,
    Customer,
    InvalidInputError,
    Journal,
    MemoryJournal,
    Money,
    Policy,
    Remedy,
    SQLiteJournal,
    metrics,
    presets,
)

from ._cli import POLICY, run

HARBOUR = Policy.from_file(POLICY)
"""The Harbour Hotel (New York time): front desk $100.00, supervisor $500.00, manager $2,500.00, cap $3,000.00."""
START = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)


def _minutes(count: int) -> dt.datetime:
    return START + dt.timedelta(minutes=count)


def _open(
    journal: Journal, policy: Policy, customer: str, amount: str, at: dt.datetime, *, category: str = "noise"
) -> Case:
    complaint = Complaint(
        customer=Customer(id=customer),
        category=category,
        requested=Remedy(kind="refund", amount=Money(amount, policy.currency)),
        received_at=at,
    )
    case = Case.open(journal, policy, complaint, by=policy.levels[0].name, clock=lambda: at)
    case.listen()
    case.apologize()
    case.ask_preferred_solution()
    case.decide()
    return case


def _shop(currency: str, clerk: str, boss: str, cap: str, *, window: str = "incident") -> Policy:
    """A two-level shop in ``currency`` (amounts written in its own decimal places)."""
    free = "\n".join(
        f'[[catalog]]\nid = "{kind}"\nkind = "{kind}"\ndescription = "A {kind}."\nvalue = "0"\napplies_to = ["*"]\n'
        for kind in ("callback", "other_branch", "follow_up")
    )
    return Policy.from_text(
        f"""
name = "Shop {currency}"
currency = "{currency}"
timezone = "Asia/Tokyo"
window = "{window}"
hard_cap = "{cap}"
denials_delivered_by = "boss"
remedy_kinds = ["refund"]
categories = ["noise"]
customer_noun = "client"
[[levels]]
name = "clerk"
limit = "{clerk}"
[[levels]]
name = "boss"
limit = "{boss}"
callback_within = "1h"
{free}
""",
        format="toml",
    )


# -- a DST day in the policy's zone: the report must still read its own JSON back --------------------------------


@pytest.mark.parametrize(
    ("zone", "since", "now"),
    [
        # Beirut moves its clocks from 00:00 to 01:00 on 29 March 2026: that day's midnight is the policy's
        ("Asia/Beirut", dt.date(2026, 3, 29), dt.datetime(2026, 4, 1, tzinfo=dt.UTC)),
        # New York repeats 01:00-02:00 on 1 November 2026: a report as of 01:20, the second time round
        (
            "America/New_York",
            None,
            dt.datetime(2026, 11, 1, 1, 20, fold=1, tzinfo=zoneinfo.ZoneInfo("America/New_York")),
        ),
    ],
    ids=["a-date-whose-midnight-is-skipped", "now-in-the-repeated-hour"],
)
def test_a_report_over_a_dst_change_in_the_policys_zone_reads_its_own_json_back(
    zone: str, since: dt.date | None, now: dt.datetime
) -> None:
    """read-the-metrics.md: "``model_dump(mode="json")`` is the very document ``report --json`` prints" and its
    example asserts ``metrics.Report.model_validate(document) == figures``; the module says every model "reads its
    own JSON back". The period's times keep the ZoneInfo they were given (or the policy's, for a date), and an
    aware time in a DST gap or fold never compares equal to one in another tzinfo."""
    policy = Policy.model_validate({**HARBOUR.model_dump(), "timezone": zone})
    figures = metrics.report(MemoryJournal(), policy=policy, since=since, now=now)
    document = figures.model_dump(mode="json")
    assert metrics.Report.model_validate(document) == figures


def test_a_period_over_the_repeated_hour_counts_cases_by_the_instant_they_were_opened() -> None:
    """ "since and until take the cases opened at or after since and before until: aware datetimes": on the night
    New York repeats 01:00-02:00, 01:20 the second time round (EST) is after a case opened at 01:30 the first
    time (EDT), and 01:40 EDT is after it too."""
    new_york = zoneinfo.ZoneInfo("America/New_York")
    journal = MemoryJournal()
    case = _open(journal, HARBOUR, "10442", "80.00", dt.datetime(2026, 11, 1, 1, 30, tzinfo=new_york))
    case.deliver(now=dt.datetime(2026, 11, 1, 1, 10, fold=1, tzinfo=new_york))  # 40 minutes later, in EST
    now = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    since_est = dt.datetime(2026, 11, 1, 1, 20, fold=1, tzinfo=new_york)
    until_edt = dt.datetime(2026, 11, 1, 1, 40, tzinfo=new_york)
    assert metrics.report(journal, since=since_est, now=now).cases.total == 0
    assert metrics.report(journal, until=until_edt, now=now).cases.total == 1
    assert metrics.report(journal, now=now).time_to_resolution["all"].median == dt.timedelta(minutes=40)


# -- the share of the cap used ----------------------------------------------------------------------------------


def test_an_accepted_counter_offer_counts_at_the_total_its_decision_computed_in_the_cap_share() -> None:
    """report.md: "the most their grants brought their total within the policy's window to ... The total is the
    one each decision computed (for an accepted alternative: what the guest had before the decision, plus its
    value)". Accepting a counter-offer is decided again against the ledger (``Case.accept_offer``), and its
    resolution's ``total`` is what the guest then holds: here 80.00 granted meanwhile plus the 200.00 offered."""
    policy = _shop("USD", "100.00", "500.00", "1000.00", window="30d")
    journal = MemoryJournal()
    asked = _open(journal, policy, "801", "400.00", START)
    asked.escalate(now=_minutes(1))
    asked.manager_approves(by="boss", amount=Money("200.00", "USD"), now=_minutes(2))
    asked.deliver(now=_minutes(3))
    meanwhile = _open(journal, policy, "801", "80.00", _minutes(4))
    meanwhile.deliver(now=_minutes(5))
    asked.accept_offer(now=_minutes(6))
    assert asked.resolution is not None
    assert asked.resolution.total == Money("280.00", "USD")
    share = metrics.report(journal, policy=policy, now=_minutes(60)).cap_share
    assert share.max == Decimal("0.28")
    assert share.bands["25-50%"] == 1


def test_grants_under_an_earlier_revision_are_a_share_of_the_cap_that_revision_had() -> None:
    """read-the-metrics.md: "a share is always of the cap the decision saw, as its trace recorded it"; report.md:
    "the cap is the one the decisions' traces state". $2,000.00 granted under the $3,000.00 cap is 66.7% of it,
    whatever cap a later revision of the same policy sets ($2,500.00, which would make it 80%)."""
    lowered = Policy.model_validate({**HARBOUR.model_dump(), "hard_cap": "2500.00"})
    assert lowered.name == HARBOUR.name
    assert lowered.revision != HARBOUR.revision
    journal = MemoryJournal()
    early = _open(journal, HARBOUR, "1001", "2000.00", START)
    early.escalate(now=_minutes(1))
    early.manager_approves(by="manager", now=_minutes(5))
    early.deliver(now=_minutes(6))
    later = START + dt.timedelta(days=30)
    _open(journal, lowered, "1002", "80.00", later).deliver(now=later + dt.timedelta(minutes=1))
    before_the_change = metrics.report(journal, until=later, now=later + dt.timedelta(days=1)).cap_share
    assert before_the_change.max == Decimal("0.6667")
    share = metrics.report(journal, now=later + dt.timedelta(days=1)).cap_share
    assert share.max == Decimal("0.6667")
    assert share.bands["50-75%"] == 1
    assert share.bands["75-100%"] == 0


# -- currencies of 0 and 3 decimal places -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Money:
    currency: str
    clerk: str
    boss: str
    cap: str
    amounts: tuple[str, str, str]
    granted: str
    median: str
    max: str


@pytest.mark.parametrize(
    "money",
    [
        _Money("JPY", "1000", "5000", "9999", ("333", "334", "2000"), "2667", "0.0334", "0.2000"),
        _Money("BHD", "1.000", "5.000", "9.999", ("0.333", "0.334", "2.001"), "2.668", "0.0334", "0.2001"),
    ],
    ids=["JPY", "BHD"],
)
def test_sums_and_shares_in_a_currency_of_zero_or_three_decimals_are_exact(tmp_path: Path, money: _Money) -> None:
    """ "Amounts are Money (exact decimals with their currency ...), rates and shares decimals rounded to four
    places": three cases of three clients, the last one escalated and approved by the boss, in an SQLite journal."""
    currency, amounts, cap, granted = money.currency, money.amounts, money.cap, money.granted
    policy = _shop(currency, money.clerk, money.boss, cap)
    with SQLiteJournal(tmp_path / "cases.sqlite3") as journal:
        for index, amount in enumerate(amounts):
            at = _minutes(60 * index)
            case = _open(journal, policy, f"c{index}", amount, at)
            if index == len(amounts) - 1:
                case.escalate(now=at + dt.timedelta(minutes=1))
                case.manager_approves(by="boss", now=at + dt.timedelta(minutes=5))
            case.deliver(now=at + dt.timedelta(minutes=10))
        figures = metrics.report(journal, policy=policy, now=_minutes(24 * 60))
    assert figures.granted == Money(granted, currency)
    assert figures.per_level["clerk"].granted == Money(amounts[0], currency) + Money(amounts[1], currency)
    assert figures.per_level["boss"].granted == Money(amounts[2], currency)
    document = figures.model_dump(mode="json")
    assert document["granted"] == f"{granted} {currency}"
    assert document["per_category"]["noise"]["granted"] == f"{granted} {currency}"
    share = figures.cap_share
    assert share.caps == {policy.name: Money(cap, currency)}
    assert (share.median, share.max) == (Decimal(money.median), Decimal(money.max))
    assert figures.rates.escalation == metrics.Rate(count=1, of=3, rate=Decimal("0.3333"))
    assert figures.callbacks == metrics.CallbackFigures(kept=1, late=0, overdue=0, pending=0)
    assert metrics.Report.model_validate(document) == figures


# -- overdue callbacks and the journal's list -------------------------------------------------------------------


def test_the_journals_overdue_callbacks_are_the_reports_overdue_callbacks_and_overdue_personal_calls() -> None:
    """report.md's table: overdue callbacks are "what journal.overdue_callbacks(now) lists, for the cases in the
    period"; but the journal lists the manager's personal call after a report too (even on a closed case), which
    the report counts apart, under personal calls. Together they are the journal's list."""
    policy = presets.ritz_carlton()
    journal = MemoryJournal()
    reported = _open(journal, policy, "10442", "3000.00", START)
    reported.escalate(now=_minutes(1))
    reported.manager_denies(by="manager", reason="A full refund is more than we grant for noise.", now=_minutes(2))
    reported.explain_denial(now=_minutes(3))
    reported.decline_alternatives(now=_minutes(4))
    reported.make_final_offer(now=_minutes(5))
    reported.decline_final_offer(now=_minutes(6))
    reported.write_report(now=_minutes(7))
    reported.thank(now=_minutes(8))
    reported.close(now=_minutes(9))
    waiting = _open(journal, policy, "10518", "3000.00", _minutes(10))
    waiting.escalate(now=_minutes(11))
    now = START + dt.timedelta(days=3)
    figures = metrics.report(journal, now=now)
    listed = {str(summary.number) for summary in journal.overdue_callbacks(now)}
    assert {owed.number for owed in figures.overdue_callbacks} == {str(waiting.number)}
    assert {owed.number for owed in figures.personal_calls.overdue_calls} == {str(reported.number)}
    assert listed == {str(waiting.number), str(reported.number)}


# -- group_figures: what seeds give ----------------------------------------------------------------------------


def _views() -> list[CaseView]:
    journal = MemoryJournal()
    _open(journal, HARBOUR, "10442", "80.00", START)
    return [CaseView.replay(journal.events(summary.number)) for summary in journal.cases()]


@pytest.mark.parametrize(
    "seeds",
    [lambda view: None, lambda view: view.level, lambda view: [1]],
    ids=["none", "a-string", "not-a-name"],
)
def test_group_figures_refuses_seeds_that_give_no_group_names_with_a_library_error(
    seeds: Callable[[CaseView], Iterable[str]],
) -> None:
    """metrics.group_figures: "seeds(view) names groups a case brings in before its steps"; the key's answer is
    checked ("must name a group with a string, or None for none"), what seeds gives is not."""
    seeded: Any = seeds
    with pytest.raises(InvalidInputError, match="seeds"):
        metrics.group_figures(_views(), metrics.by_level, currency="USD", seeds=seeded)


def test_a_date_given_to_report_with_a_policy_is_its_midnight_in_the_policys_zone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """report.md: with ``--policy``, a date is its midnight in the policy's zone, as ``metrics.report`` reads it. A
    case opened at 00:30 New York time on 1 September is September's, even with ``--now`` in winter's offset."""
    path = tmp_path / "cases.sqlite3"
    opened = dt.datetime(2026, 9, 1, 0, 30, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
    with SQLiteJournal(path, clock=lambda: opened) as journal:
        _open(journal, HARBOUR, "10106", "50.00", opened)
        api = metrics.report(journal, policy=HARBOUR, since=dt.date(2026, 9, 1), now=START)
    assert api.cases.total == 1
    now = "2026-11-23T15:00:00-05:00"  # winter's offset: its midnight of 1 September is 01:00 New York time
    said = run(capsys, "report", str(path), "--policy", POLICY, "--since", "2026-09-01", "--now", now, "--json")
    assert said.code == 0, said.err
    assert json.loads(said.out)["cases"]["total"] == 1
    before = run(capsys, "report", str(path), "--policy", POLICY, "--until", "2026-09-01", "--now", now, "--json")
    assert json.loads(before.out)["cases"]["total"] == 0
