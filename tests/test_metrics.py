"""``recovery_rules.metrics``: the pilot metrics as typed figures, the very document ``report --json`` prints."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import runpy
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recovery_rules import (
    CaseView,
    ChainHead,
    CurrencyMismatchError,
    Event,
    InvalidInputError,
    Journal,
    JournalError,
    JournalIntegrityError,
    MemoryJournal,
    Money,
    Policy,
    RecoveryRulesError,
    SQLiteJournal,
    metrics,
)

from ._cli import EXAMPLES, POLICY, run
from ._helpers import FailingZone, examples
from ._journal_backends import BACKENDS
from ._journal_files import JOURNAL, REPORT_NOW, copy_journal, execute

MAKE_JOURNAL = runpy.run_path(str(EXAMPLES / "make_journal.py"))
ROW = MAKE_JOURNAL["Row"]
NOW = dt.datetime(2026, 10, 10, tzinfo=dt.UTC)

HANDMADE = [
    ROW("2026-10-01 10:00", "201", "standard", "noise", "voucher", "80.00", "deliver", 5),
    ROW("2026-10-02 10:00", "202", "standard", "room_not_ready", "refund", "300.00", "approve", 35),
    ROW("2026-10-03 10:00", "203", "standard", "billing_error", "refund", "450.00", "refused-alt", 90),
    ROW("2026-10-04 10:00", "201", "standard", "noise", "refund", "3300.00", "denied-report", 30),
    ROW("2026-10-05 10:00", "204", "standard", "wifi_down", "voucher", "40.00", "listened", 0),
    ROW("2026-10-06 10:00", "205", "standard", "noise", "refund", "200.00", "escalated", 0),
]
"""Six cases at the Harbour Hotel (New York time), one per day, whose figures are worked out by hand below:

1. 201 asks an $80.00 voucher for noise: the front desk approves it on the spot and delivers it 5 minutes later.
2. 202 asks a $300.00 refund, above the front desk's $100.00: escalated to the supervisor (callback within 1h),
   who approves it 35 minutes later (a callback kept); delivered 5 minutes after that.
3. 203 asks a $450.00 refund: escalated to the supervisor, who denies it 90 minutes later (the callback late);
   the manager explains with two alternatives and the customer takes the first (a free one: the Plan B
   ranking puts the free alternatives before the paid ones).
4. 201 again, a $3,300.00 refund: over the $3,000.00 cap, denied at once; both alternatives and the final
   offer declined, a report written.
5. 204 is listened to, nothing more yet (not decided).
6. 205 asks $200.00: escalated to the supervisor, who has not answered (the callback overdue at NOW).
"""


def handmade(journal: Journal, rows: list[Any] = HANDMADE, policy: Policy | None = None) -> Journal:
    policy = policy or Policy.from_file(POLICY)
    for index, row in enumerate(rows, start=1):
        MAKE_JOURNAL["_record"](journal, policy, index, row)
    return journal


@pytest.fixture(params=["memory", "sqlite"])
def blank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journal]:
    """An empty journal, in memory and in SQLite."""
    if request.param == "memory":
        yield MemoryJournal()
    else:
        with SQLiteJournal(tmp_path / "cases.sqlite3") as opened:
            yield opened


@pytest.fixture
def journal(blank: Journal) -> Journal:
    return handmade(blank)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    result = run(capsys, "report", *args, "--json")
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


# -- the figures, worked out by hand ---------------------------------------------------------------------------


def test_the_figures_of_a_handmade_journal_are_exactly_right(journal: Journal) -> None:
    report = metrics.report(journal, now=NOW)
    assert report.cases == metrics.CaseCounts(total=6, open=2, closed=4)
    assert report.first_decisions == metrics.FirstDecisions(decided=5, undecided=1, approved=1, escalated=3, denied=1)
    assert report.escalations == metrics.Escalations(total=3, approved=1, denied=1, waiting=1)
    rates = report.rates
    assert (rates.escalation.count, rates.escalation.of, rates.escalation.rate) == (3, 5, Decimal("0.6"))
    assert (rates.denial.count, rates.denial.of) == (2, 5)  # case 4 at once, case 3 by the supervisor
    assert (rates.alternative_accepted.count, rates.alternative_accepted.of) == (1, 2)
    assert (rates.final_offer_accepted.count, rates.final_offer_accepted.of, rates.final_offer_accepted.rate) == (
        0,
        1,
        Decimal(0),
    )
    assert (rates.callback_kept.count, rates.callback_kept.of, rates.callback_kept.rate) == (1, 3, Decimal("0.3333"))
    assert rates.callback_kept.percent() == "33.3%"
    assert report.plan_b.alternatives == metrics.AlternativeFigures(offered=2, accepted=1, declined=1)
    assert report.plan_b.final_offers == metrics.FinalOffers(made=1, accepted=0, declined=1)
    assert report.callbacks == metrics.CallbackFigures(kept=1, late=1, overdue=1, pending=0)
    (owed,) = report.overdue_callbacks
    assert owed.number == "20261006-205"
    assert owed.escalated_to == "supervisor"
    assert owed.callback_by == dt.datetime(2026, 10, 6, 15, 11, tzinfo=dt.UTC)  # an hour after the 14:11 decision
    assert owed.overdue_seconds == (NOW - owed.callback_by).total_seconds()

    # From opening (five minutes after the complaint came in) to the resolving step.
    minutes = {"delivered": [11, 47], "alternative": [107], "reported": [66]}
    times = report.time_to_resolution
    assert times["remedy_delivered"] == metrics.Spread(cases=2, median_seconds=11 * 60, p90_seconds=47 * 60)
    assert times["alternative_accepted"] == metrics.Spread(cases=1, median_seconds=107 * 60, p90_seconds=107 * 60)
    assert times["final_offer_accepted"] == metrics.Spread(cases=0, median_seconds=None, p90_seconds=None)
    assert times["reported"] == metrics.Spread(cases=1, median_seconds=66 * 60, p90_seconds=66 * 60)
    assert sorted(time for times_ in minutes.values() for time in times_) == [11, 47, 66, 107]
    assert times["all"] == metrics.Spread(cases=4, median_seconds=47 * 60, p90_seconds=107 * 60)
    assert times["all"].median == dt.timedelta(minutes=47)
    assert report.outcomes == {
        "remedy_delivered": 2,
        "alternative_accepted": 1,
        "final_offer_accepted": 0,
        "reported": 1,
        "counter_offer_accepted": 0,
        "unresolved": 2,
    }

    assert report.currency == "USD"
    assert report.granted == usd("380.00")  # 80 + 300 + the free alternative
    assert report.per_level == {
        "front_desk": metrics.GroupFigures(
            cases=6, open=2, decisions=5, approved=1, escalated=3, denied=1, grants=1, granted=usd("80.00")
        ),
        "supervisor": metrics.GroupFigures(
            cases=2, open=0, decisions=2, approved=1, escalated=0, denied=1, grants=1, granted=usd("300.00")
        ),
        "manager": metrics.GroupFigures(
            cases=2, open=0, decisions=0, approved=0, escalated=0, denied=0, grants=1, granted=usd("0.00")
        ),
    }
    assert list(report.per_category) == ["noise", "billing_error", "room_not_ready", "wifi_down"]  # most cases first
    assert report.per_category["noise"] == metrics.GroupFigures(
        cases=3, open=1, decisions=3, approved=1, escalated=1, denied=1, grants=1, granted=usd("80.00")
    )
    assert report.per_category["room_not_ready"] == metrics.GroupFigures(  # first decisions only: not the approval
        cases=1, open=0, decisions=1, approved=0, escalated=1, denied=0, grants=1, granted=usd("300.00")
    )
    assert report.per_category["wifi_down"].granted == usd("0.00")

    share = report.cap_share
    assert share.caps == {"Harbour Hotel": usd("3000.00")}
    # 201: $80.00 of $3,000.00 (the window is one incident), 202: $300.00, 203: $0.00, 204 and 205: nothing.
    assert (share.guests, share.without_cap, share.customer_noun) == (5, 0, "guest")
    assert (share.median, share.p90, share.max) == (Decimal("0"), Decimal("0.1"), Decimal("0.1"))
    assert share.bands == {"0%": 3, "up to 10%": 2, "10-25%": 0, "25-50%": 0, "50-75%": 0, "75-100%": 0}


def test_a_period_counts_the_cases_opened_within_it(journal: Journal) -> None:
    since = dt.datetime(2026, 10, 3, tzinfo=dt.UTC)
    until = dt.datetime(2026, 10, 5, 14, 5, tzinfo=dt.UTC)  # case 5 opened at this very moment: left out
    report = metrics.report(journal, since=since, until=until, now=NOW)
    assert report.period == metrics.Period(since=since, until=until, now=NOW)
    assert report.cases.total == 2  # cases 3 and 4
    assert report.journal.verified is False  # only the period's cases were read
    assert report.journal.head == journal.head()
    assert report.granted == usd("0.00")  # case 3 took a free alternative; case 4 was denied
    assert list(report.per_category) == ["billing_error", "noise"]
    later = metrics.report(journal, since=until, now=NOW)
    assert later.cases.total == 2  # cases 5 and 6
    assert metrics.report(journal, until=since, now=NOW).cases.total == 2  # cases 1 and 2


def test_a_date_is_its_midnight_in_the_policys_time_zone(journal: Journal) -> None:
    policy = Policy.from_file(POLICY)  # America/New_York
    report = metrics.report(journal, since=dt.date(2026, 10, 3), until=dt.date(2026, 10, 5), now=NOW, policy=policy)
    assert report.period.since == dt.datetime(2026, 10, 3, 4, tzinfo=dt.UTC)  # midnight in New York (EDT)
    assert report.cases.total == 2
    utc = metrics.report(journal, since=dt.date(2026, 10, 3), now=NOW)
    assert utc.period.since == dt.datetime(2026, 10, 3, tzinfo=dt.UTC)


def test_events_later_than_now_are_left_out(journal: Journal) -> None:
    now = dt.datetime(2026, 10, 3, 14, 30, tzinfo=dt.UTC)  # case 3 escalated at 14:12, nothing answered yet
    report = metrics.report(journal, now=now)
    assert report.cases.total == 3
    assert report.journal.later_than_now == journal.head().count - 24
    assert report.escalations.waiting == 1
    assert report.callbacks.pending == 1

    # What happened at the very moment of now counts: case 1 opened at 14:05, delivered at 14:16, thanked at 14:17.
    opened = dt.datetime(2026, 10, 1, 14, 5, tzinfo=dt.UTC)
    for since in (None, opened - dt.timedelta(days=1)):  # the whole journal, and a period
        at_opening = metrics.report(journal, since=since, now=opened)
        assert at_opening.cases == metrics.CaseCounts(total=1, open=1, closed=0), since
        assert at_opening.journal.later_than_now == journal.head().count - 1
    delivered = metrics.report(journal, now=opened + dt.timedelta(minutes=11))
    assert delivered.outcomes["remedy_delivered"] == 1
    assert delivered.cases == metrics.CaseCounts(total=1, open=1, closed=0)  # resolved, but open until closed


def test_a_callback_due_exactly_now_is_pending_not_yet_overdue(journal: Journal) -> None:
    """A callback is overdue once its promised time has passed: at that very instant it is still pending, as
    ``Journal.overdue_callbacks`` says."""
    due = dt.datetime(2026, 10, 6, 15, 11, tzinfo=dt.UTC)  # case 6's callback
    report = metrics.report(journal, now=due)
    assert report.callbacks == metrics.CallbackFigures(kept=1, late=1, overdue=0, pending=1)
    assert report.overdue_callbacks == ()
    later = metrics.report(journal, now=due + dt.timedelta(seconds=1))
    assert later.callbacks == metrics.CallbackFigures(kept=1, late=1, overdue=1, pending=0)


def test_a_callback_answered_at_the_very_instant_promised_is_kept(blank: Journal) -> None:
    """A callback is kept when the customer hears back (here: the remedy delivered) at or before the promised
    time; a minute after, it is late."""
    on_time = ROW("2026-10-02 10:00", "202", "standard", "room_not_ready", "refund", "300.00", "approve", 54)
    handmade(blank, [on_time, on_time._replace(received="2026-10-03 10:00", answer=55)])
    promised = [event.callback_due for event in blank.iter_events() if event.kind == "escalated"]
    answered = [event.at for event in blank.iter_events() if event.kind == "delivered"]
    assert promised == [answered[0], answered[1] - dt.timedelta(minutes=1)]
    report = metrics.report(blank, now=NOW)
    assert (report.callbacks.kept, report.callbacks.late) == (1, 1)


def test_the_cap_share_under_a_cap_of_zero_is_reported(blank: Journal) -> None:
    """A policy that grants only free remedies (a hard cap of $0.00) is reported: every guest used 0% of it."""
    data = Policy.from_file(POLICY).model_dump(mode="json")
    for level in data["levels"]:
        level["limit"], level["tier_limits"] = "0.00", {}
    data["hard_cap"] = "0.00"
    data["catalog"] = [item for item in data["catalog"] if Decimal(item["value"]["amount"]) == 0]
    free = Policy.model_validate(data)
    handmade(blank, [ROW("2026-10-01 10:00", "330", "standard", "noise", "voucher", "0.00", "deliver", 5)], free)
    for against in (free, None):
        report = metrics.report(blank, now=NOW, policy=against)
        assert report.outcomes["remedy_delivered"] == 1
        assert (report.cap_share.guests, report.cap_share.bands["0%"]) == (1, 1)


def test_the_policy_gives_the_currency_the_levels_and_the_cap() -> None:
    policy = Policy.from_file(POLICY)
    empty = metrics.report(MemoryJournal(), now=NOW)
    assert empty.granted is None
    assert empty.currency is None
    assert empty.per_level == {}
    assert empty.cap_share.customer_noun == "customer"
    against = metrics.report(MemoryJournal(), now=NOW, policy=policy)
    assert against.currency == "USD"
    assert against.granted == usd("0.00")
    assert list(against.per_level) == ["front_desk", "supervisor", "manager"]  # every level, in the policy's order
    assert against.per_level["manager"] == metrics.GroupFigures(
        cases=0, open=0, decisions=0, approved=0, escalated=0, denied=0, grants=0, granted=usd("0.00")
    )
    assert against.cap_share.caps == {"Harbour Hotel": usd("3000.00")}
    assert against.cap_share.customer_noun == "guest"

    journal = handmade(MemoryJournal(), HANDMADE[:1])  # a front-desk case only
    assert list(metrics.report(journal, now=NOW).per_level) == ["front_desk"]
    assert list(metrics.report(journal, now=NOW, policy=policy).per_level) == ["front_desk", "supervisor", "manager"]


def test_a_case_in_another_currency_is_refused() -> None:
    euros = Policy.from_text(Path(POLICY).read_text(encoding="utf-8").replace("USD", "EUR"), format="toml")
    with pytest.raises(CurrencyMismatchError, match="a report sums one currency") as caught:
        metrics.report(handmade(MemoryJournal(), HANDMADE[:1]), now=NOW, policy=euros)
    assert caught.value.currencies == ("EUR", "USD")
    assert isinstance(caught.value, RecoveryRulesError)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"now": dt.datetime(2026, 10, 10)}, "now: needs a time zone"),  # noqa: DTZ001 - the naive time refused
        ({"since": dt.datetime(2026, 10, 1)}, "since: needs a time zone"),  # noqa: DTZ001 - as above
        ({"since": NOW, "until": NOW}, "since: must be earlier than until"),
        ({"until": "2026-10-01"}, "until: must be an aware datetime or a date, not str"),
        ({"now": dt.date(2026, 10, 10)}, "now: must be an aware datetime, not date"),
        ({"now": dt.datetime(2026, 10, 10, tzinfo=FailingZone())}, "now: needs a time zone"),  # never its KeyError
        ({"since": dt.datetime(2026, 10, 1, tzinfo=FailingZone())}, "since: needs a time zone"),
    ],
)
def test_bad_arguments_are_refused(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        metrics.report(MemoryJournal(), **arguments)


def test_arguments_of_the_wrong_kind_are_refused_all_at_once() -> None:
    with pytest.raises(InvalidInputError) as caught:
        metrics.report("cases.sqlite3", policy="retail", expected_head="3:abc", source=3, progress=5)  # type: ignore[arg-type]  # the point
    assert [problem.location for problem in caught.value.problems] == [
        "journal",
        "policy",
        "expected_head",
        "source",
        "progress",
    ]
    assert "must be a Policy, such as Policy.from_file(...)" in str(caught.value)


# -- the model ---------------------------------------------------------------------------------------------


def test_the_report_is_a_frozen_model_that_reads_its_own_json_back(journal: Journal) -> None:
    report = metrics.report(journal, now=NOW, source="cases")
    document = report.model_dump(mode="json")
    assert metrics.Report.model_validate(document) == report
    assert metrics.Report.model_validate_json(report.model_dump_json()) == report
    assert pickle.loads(pickle.dumps(report)) == report  # noqa: S301 - our own bytes, just made
    assert document["granted"] == "380.00 USD"  # amounts are text, never floats
    assert document["rates"]["callback_kept"]["rate"] == 0.3333
    assert document["period"]["now"] == "2026-10-10T00:00:00+00:00"
    with pytest.raises(Exception, match="immutable"):
        report.cases.total = 7  # type: ignore[misc]  # the point: it is refused
    with pytest.raises(InvalidInputError, match="cases"):
        metrics.Report.model_validate({**document, "cases": {"total": -1, "open": 0, "closed": 0}})
    assert type(report).__module__ == "recovery_rules.metrics"


@pytest.mark.slow
def test_the_report_is_the_document_report_json_prints(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = Policy.from_file(POLICY)
    now = dt.datetime.fromisoformat(REPORT_NOW)
    head = "322:c60f77906b516a7a913c2d2c5d6e4cd07c348b651147e97824c5f7a32f7b5d83"
    variants: list[tuple[list[str], dict[str, Any]]] = [
        ([], {}),
        (["--since", "2026-11-01"], {"since": dt.datetime(2026, 11, 1, tzinfo=now.tzinfo)}),
        (["--until", "2026-10-14T14:45:00-04:00"], {"until": dt.datetime.fromisoformat("2026-10-14T14:45:00-04:00")}),
        (["--policy", POLICY], {"policy": policy}),
        (["--expected-head", head], {"expected_head": ChainHead.parse(head)}),
    ]
    for arguments, keywords in variants:
        printed = cli_json(capsys, JOURNAL, "--now", REPORT_NOW, *arguments)
        with SQLiteJournal(JOURNAL) as journal:
            report = metrics.report(journal, now=now, **keywords)
        assert report.model_dump(mode="json") == printed, arguments
        assert list(report.model_dump(mode="json")) == list(printed)  # the same keys, in the same order
    empty = tmp_path / "empty.sqlite3"
    SQLiteJournal(empty).close()
    with SQLiteJournal(empty) as journal:
        assert metrics.report(journal, now=now).model_dump(mode="json") == cli_json(
            capsys, str(empty), "--now", REPORT_NOW
        )


def test_a_changed_journal_is_refused_with_the_first_bad_event(tmp_path: Path) -> None:
    copy = copy_journal(tmp_path)
    execute(copy, "UPDATE events SET grant_amount = '95.00' WHERE seq = 273")
    with SQLiteJournal(copy) as journal, pytest.raises(JournalIntegrityError) as caught:
        metrics.report(journal, now=dt.datetime.fromisoformat(REPORT_NOW), source="cases.sqlite3")
    assert caught.value.seq == 273
    assert str(caught.value).startswith(
        "the journal cases.sqlite3 fails its integrity check: event 273 is bad: its content does not match its hash"
    )
    assert "the first 272 events are intact" in str(caught.value)
    with SQLiteJournal(copy) as journal, pytest.raises(JournalIntegrityError) as in_period:
        metrics.report(
            journal, since=dt.datetime(2026, 11, 14, tzinfo=dt.UTC), now=dt.datetime.fromisoformat(REPORT_NOW)
        )
    assert in_period.value.seq == 273


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_a_report_of_the_whole_journal_refuses_a_cut_off_tail(tmp_path: Path, backend: str) -> None:
    """Audit round 3, finding 2: the last events cut off (``DELETE FROM events WHERE seq > ...``), the table of cases
    untouched. The chain left is whole, but the table still names the last event cut off: verify() reports it, and
    a report of the whole journal, which walks the chain itself, checks what verify() checks beside it (no second
    walk) and refuses it; so does the public replay. Then the table and the heads rewritten to hide the cut: only a
    saved head shows it."""
    harness = BACKENDS[backend](tmp_path)
    try:
        journal = handmade(harness.journal())
        count = journal.head().count
        for seq in range(count, count - 3, -1):
            harness.delete(seq)
        kept = count - 3
        assert journal.verify().first_bad == kept + 1
        with pytest.raises(JournalIntegrityError) as caught:
            metrics.report(journal, now=NOW, source="cases")
        assert caught.value.seq == kept + 1
        assert str(caught.value).startswith(
            f"the journal cases fails its integrity check: event {kept + 1} is bad: the journal ends after {kept} "
            f"events, but its table of cases names event {count}: its tail was cut off. Figures from a journal that "
            "was changed cannot be trusted"
        )
        with pytest.raises(JournalIntegrityError, match=f"event {kept + 1} is bad: the journal ends after {kept}"):
            for _ in metrics.CaseReplay(journal):
                pass
        harness.hide_cut(kept)
        assert metrics.report(journal, now=NOW).journal.events == kept  # a shorter chain, and bookkeeping to match
    finally:
        harness.close()


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_a_report_of_the_whole_journal_refuses_a_ledger_head_the_ledger_would_refuse(
    tmp_path: Path, backend: str
) -> None:
    """What verify() checks beside the chain, the whole report checks: a guest's ledger head deleted."""
    harness = BACKENDS[backend](tmp_path)
    try:
        journal = handmade(harness.journal())
        assert metrics.report(journal, now=NOW).journal.verified
        granted = [event for event in journal.iter_events() if event.grant is not None]
        latest = granted[-1]
        harness.set_head("guest", latest.customer_id, None)
        with pytest.raises(JournalIntegrityError) as caught:
            metrics.report(journal, now=NOW)
        assert caught.value.seq == max(event.seq for event in granted if event.customer_id == latest.customer_id)
        assert "the ledger's head of that guest or incident does not name it" in str(caught.value)
    finally:
        harness.close()


def test_the_public_replay_reads_every_case_verified_and_refuses_a_changed_journal(tmp_path: Path) -> None:
    with SQLiteJournal(JOURNAL) as journal:
        replay = metrics.CaseReplay(journal, "cases.sqlite3")
        decided = sum(replayed.event.kind == "decided" for replayed in replay)
        head = journal.head()
        as_then = metrics.CaseReplay(journal, now=dt.datetime(2026, 11, 14, tzinfo=dt.UTC))
        before = sum(1 for _ in as_then)
        counted = sum(event.kind == "decided" for case in journal.cases() for event in journal.events(case.number))
    assert replay.head == head
    assert decided == counted > 0  # every event replayed, each once
    assert 0 < before < head.count
    assert as_then.later == head.count - before  # the events after now are counted, not replayed
    copy = copy_journal(tmp_path)
    execute(copy, "UPDATE events SET grant_amount = '95.00' WHERE seq = 273")
    with SQLiteJournal(copy) as journal, pytest.raises(JournalIntegrityError) as caught:
        for _ in metrics.CaseReplay(journal):
            pass
    assert caught.value.seq == 273
    assert str(caught.value).startswith("the journal fails its integrity check: event 273 is bad")


def test_an_expected_head_the_journal_no_longer_holds_is_refused(journal: Journal) -> None:
    wrong = ChainHead(count=3, hash="a" * 64)
    with pytest.raises(JournalIntegrityError):
        metrics.report(journal, now=NOW, expected_head=wrong)
    with pytest.raises(JournalIntegrityError):
        metrics.report(journal, now=NOW, expected_head=wrong, since=dt.datetime(2026, 10, 1, tzinfo=dt.UTC))
    assert issubclass(JournalIntegrityError, JournalError)


def test_progress_is_told_every_event_read(journal: Journal) -> None:
    seen: list[int] = []
    metrics.report(journal, now=NOW, progress=seen.append)
    assert sum(seen) == journal.head().count


def test_any_key_groups_the_cases_the_same_way(journal: Journal) -> None:
    """The grouping is one function of a key: grouping by tier (a key of a host app's own) adds up like the rest."""
    views = [CaseView.replay(journal.events(summary.number)) for summary in journal.cases()]

    def tier(view: CaseView, event: Event) -> str | None:
        return view.complaint.customer.tier

    by_tier = metrics.group_figures(views, tier, currency="USD")
    assert list(by_tier) == ["standard"]
    assert by_tier["standard"].cases == 6
    assert by_tier["standard"].granted == usd("380.00")
    assert by_tier["standard"].decisions == 5 + 2  # first decisions and the supervisor's answers
    levels = metrics.group_figures(views, metrics.by_level, currency="USD")
    assert levels == metrics.report(journal, now=NOW).per_level


# -- invariants over many journals ----------------------------------------------------------------------------

PATHS = (
    *("deliver", "approve", "approved", "escalated", "offered", "listened"),
    *("refused-alt", "refused-report", "denied-alt", "denied-final", "denied-report"),
)
REQUESTS = [
    ("refund", "80.00"),
    ("refund", "300.00"),
    ("refund", "900.00"),
    ("refund", "3400.00"),
    ("voucher", "40.00"),
]


@st.composite
def journals(draw: st.DrawFn) -> list[Any]:
    drawn = []
    for day in range(draw(st.integers(min_value=0, max_value=7))):
        kind, amount = draw(st.sampled_from(REQUESTS))
        drawn.append(
            ROW(
                f"2026-10-{day + 1:02d} {draw(st.integers(min_value=8, max_value=20)):02d}:00",
                draw(st.sampled_from(["301", "302", "303"])),
                draw(st.sampled_from(["standard", "gold"])),
                draw(st.sampled_from(["noise", "billing_error", "wifi_down"])),
                kind,
                amount,
                draw(st.sampled_from(PATHS)),
                draw(st.integers(min_value=1, max_value=300)),
                draw(st.sampled_from(["front_desk", "supervisor"])),
            )
        )
    return drawn


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journals(), st.integers(min_value=0, max_value=24 * 9), st.integers(min_value=1, max_value=8))
def test_the_counts_always_add_up(rows: list[Any], hours: int, split_day: int) -> None:
    policy = Policy.from_file(POLICY)
    journal = handmade(MemoryJournal(), rows)
    now = dt.datetime(2026, 10, 1, tzinfo=dt.UTC) + dt.timedelta(hours=hours)
    report = metrics.report(journal, now=now, policy=policy)
    cases, first, escalations = report.cases, report.first_decisions, report.escalations

    opened = sum(1 for event in journal.iter_events() if event.kind == "opened" and event.at <= now)
    assert cases.total == opened == cases.open + cases.closed
    assert cases.total == first.approved + first.escalated + first.denied + first.undecided
    assert first.decided == first.approved + first.escalated + first.denied
    assert first.escalated == escalations.total == escalations.approved + escalations.denied + escalations.waiting
    assert sum(report.outcomes.values()) == cases.total
    assert report.time_to_resolution["all"].cases == cases.total - report.outcomes["unresolved"]
    assert sum(report.policies.values()) == cases.total
    for rate in report.rates.model_dump().values():
        assert 0 <= rate["count"] <= rate["of"]
    assert sum(group.cases for group in report.per_category.values()) == cases.total
    assert sum(group.decisions for group in report.per_category.values()) == first.decided
    assert sum(group.decisions for group in report.per_level.values()) == (
        first.decided + escalations.approved + escalations.denied
    )
    for groups in (report.per_level, report.per_category):
        assert sum((group.granted for group in groups.values() if group.granted), usd("0.00")) == report.granted
        for group in groups.values():
            assert group.decisions == group.approved + group.escalated + group.denied
            assert group.open <= group.cases
    promised = sum(1 for event in journal.iter_events() if event.kind == "escalated" and event.at <= now)
    assert sum(report.callbacks.model_dump().values()) == promised
    assert len(report.overdue_callbacks) == report.callbacks.overdue
    assert (
        report.plan_b.alternatives.accepted + report.plan_b.alternatives.declined <= report.plan_b.alternatives.offered
    )
    assert sum(report.cap_share.bands.values()) == report.cap_share.guests
    assert metrics.Report.model_validate(report.model_dump(mode="json")) == report

    # A period and the rest of time are the whole.
    boundary = dt.datetime(2026, 10, split_day, 12, tzinfo=dt.UTC)
    before = metrics.report(journal, now=now, policy=policy, until=boundary)
    after = metrics.report(journal, now=now, policy=policy, since=boundary)
    assert before.cases.total + after.cases.total == cases.total
    assert before.granted is not None
    assert after.granted is not None
    assert before.granted + after.granted == report.granted
    assert Counter(before.outcomes) + Counter(after.outcomes) == +Counter(report.outcomes)


def test_a_period_reads_only_its_cases_through_the_index(journal: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
    """``since``/``until`` never walk the whole journal: the cases come from the index of opening times."""
    read: list[str] = []
    events = journal.events

    def counted(number: Any) -> Any:
        read.append(str(number))
        return events(number)

    def walked(*_: Any, **__: Any) -> Any:
        raise AssertionError("a period's report walked the whole journal")

    monkeypatch.setattr(journal, "iter_events", walked)
    monkeypatch.setattr(journal, "events", counted)
    since = dt.datetime(2026, 10, 5, tzinfo=dt.UTC)
    report = metrics.report(journal, since=since, now=NOW)
    assert report.cases.total == 2
    assert sorted(read) == ["20261005-204", "20261006-205"]


def test_a_period_with_an_end_reads_none_of_the_cases_opened_after_it(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``until`` bounds the read too: the cases opened on or after it are not read, only left out."""
    read: list[str] = []
    events = journal.events

    def counted(number: Any) -> Any:
        read.append(str(number))
        return events(number)

    monkeypatch.setattr(journal, "events", counted)
    seen: list[int] = []
    until = dt.datetime(2026, 10, 2, 23, 0, tzinfo=dt.UTC)
    report = metrics.report(journal, since=dt.date(2026, 9, 1), until=until, now=NOW, progress=seen.append)
    assert report.cases.total == 2
    assert sorted(read) == ["20261001-201", "20261002-202"]
    assert sum(seen) < journal.head().count  # the reading stopped at the period's last event


def test_report_policy_on_the_command_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = Path(POLICY).read_text(encoding="utf-8").replace('currency = "USD"', 'currency = "EUR"')
    euros = tmp_path / "euros.toml"
    euros.write_text(text, encoding="utf-8")
    refused = run(capsys, "report", JOURNAL, "--now", REPORT_NOW, "--policy", str(euros))
    assert refused.code == 2
    assert refused.err == (
        "Error: case 20260901-10106: the case is in USD, but the policy's currency is EUR; a report sums one "
        "currency (recovery-rules never converts currencies itself)\n"
    )  # named as a case, not as an 'invalid amount'
    assert "Traceback" not in refused.err
    missing = run(capsys, "report", JOURNAL, "--now", REPORT_NOW, "--policy", str(tmp_path / "none.toml"))
    assert missing.code == 2
    assert "--policy: there is no policy file" in missing.err
    shown = run(capsys, "report", JOURNAL, "--now", REPORT_NOW, "--policy", POLICY)
    assert shown.code == 0
    assert "share of the cap used per guest, within the policy's window (cap $3,000.00)" in shown.out
