"""Closed dates (holidays) in a policy's business hours: no open time on them, nothing promised on them.

A restaurant group in Europe/Berlin closed on 25 December must not promise a callback on 25 December:
``[business_hours]`` takes ``closed = ["2026-12-25", "--12-25"]`` (a date, or that month-day every year),
and every promise counted in business hours (a level's ``callback_within``, the manager's personal call,
the customer's ``callback_at``) skips them, on both engines.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from recovery_rules import (
    Case,
    Complaint,
    Customer,
    InvalidInputError,
    MemoryJournal,
    Money,
    Outcome,
    Policy,
    PolicyError,
    Remedy,
    presets,
)
from recovery_rules._engine._invariants import open_intervals, open_time, wall_instant
from recovery_rules._policy._policy import compiled_policy
from recovery_rules.proof import moments
from recovery_rules.testing import resolution_violations

from ._cli import run
from ._helpers import examples, policy_data

ROOT = Path(__file__).resolve().parents[1]
BERLIN = ZoneInfo("Europe/Berlin")
CHRISTMAS = ["2026-12-24", "--12-25", "--12-26", "--01-01"]


def berlin(month: int, day: int, hour: int, minute: int = 0, *, year: int = 2026, fold: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BERLIN, fold=fold)


def restaurant(closed: list[Any] | None = None, **hours: str) -> Policy:
    """A Berlin restaurant: 11:00-23:00 (Monday closed unless ``hours`` say otherwise), a manager within 2h."""
    table: dict[str, Any] = {"default": "11:00-23:00", "monday": "closed", **hours}
    if closed is not None:
        table["closed"] = closed
    levels = policy_data()["levels"]
    return Policy.model_validate(
        policy_data(
            timezone="Europe/Berlin",
            business_hours=table,
            levels=[levels[0], {**levels[1], "callback_within": "2h"}],
            hard_cap=None,
            denials_delivered_by="supervisor",
        )
    )


def ask(at: dt.datetime, amount: str = "400.00") -> Complaint:
    return Complaint(
        customer=Customer(id="T-12"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=at,
    )


def callback(policy: Policy, now: dt.datetime) -> dt.datetime:
    complaint = ask(now)
    resolution = policy.decide(complaint, by="staff", now=now)
    assert resolution.outcome is Outcome.ESCALATED
    assert resolution_violations(policy, complaint, "staff", None, resolution, now=now) == []
    assert resolution.callback_by is not None
    return resolution.callback_by.astimezone(BERLIN)


# -- scenarios ---------------------------------------------------------------------------------------------


def test_a_callback_promised_the_evening_before_a_holiday_lands_on_the_next_open_day() -> None:
    # Wednesday 23 December, 22:00: one hour tonight; 24, 25, 26 closed; Sunday 27 opens at 11:00.
    assert callback(restaurant(CHRISTMAS), berlin(12, 23, 22)) == berlin(12, 27, 12)
    assert callback(restaurant(), berlin(12, 23, 22)) == berlin(12, 24, 12)  # without: on Christmas Eve


def test_a_decision_on_the_holiday_itself_counts_from_the_next_opening() -> None:
    assert callback(restaurant(CHRISTMAS), berlin(12, 25, 19)) == berlin(12, 27, 13)


def test_a_month_day_every_year_closes_it_in_every_year_and_a_date_only_in_its_own() -> None:
    policy = restaurant(CHRISTMAS)
    # 2027: 24 December (a Friday) is open again; 25 and 26 December are closed every year.
    assert callback(policy, berlin(12, 23, 22, year=2027)) == berlin(12, 24, 12, year=2027)
    # Friday 24 December 2027, 22:00: 25 and 26 closed, Monday 27 closed every week: Tuesday 28.
    assert callback(policy, berlin(12, 24, 22, year=2027)) == berlin(12, 28, 12, year=2027)
    # 31 December 2030 (Tuesday) 22:00: New Year's Day closed every year, so Thursday 2 January.
    assert callback(policy, berlin(12, 31, 22, year=2030)) == berlin(1, 2, 12, year=2031)


def test_a_holiday_across_the_night_the_clock_goes_back() -> None:
    # Berlin goes back from 03:00 to 02:00 on Sunday 25 October 2026: that date has 25 hours, all closed.
    policy = restaurant(["2026-10-25"], default="00:00-24:00", monday="00:00-24:00")
    assert callback(policy, berlin(10, 24, 23)) == berlin(10, 26, 1)  # 1h to midnight, then 25 h closed
    schedule = compiled_policy(policy).hours
    assert schedule is not None
    for moment in (berlin(10, 25, 0, 30), berlin(10, 25, 2, 30), berlin(10, 25, 2, 30, fold=1), berlin(10, 25, 23)):
        assert not schedule.is_open(moment), moment
    assert schedule.is_open(berlin(10, 25, 0))  # the midnight that closes Saturday's 00:00-24:00
    assert schedule.is_open(berlin(10, 26, 0))  # and Monday's first instant


def test_a_holiday_across_the_night_the_clock_skips_an_hour() -> None:
    # Berlin jumps from 02:00 to 03:00 on Sunday 29 March 2026: that date has 23 hours, all closed.
    policy = restaurant(["2026-03-29"], default="00:00-24:00", monday="00:00-24:00")
    assert callback(policy, berlin(3, 28, 23, 30)) == berlin(3, 30, 1, 30)
    assert callback(restaurant(None, default="00:00-24:00"), berlin(3, 28, 23, 30)) == berlin(3, 29, 1, 30)


def test_a_holiday_on_a_day_with_no_opening_anyway_changes_nothing() -> None:
    # Monday 28 December is closed every week: closing it again changes no promise, and not the revision.
    without, with_monday = restaurant(), restaurant(["2026-12-28"])
    for now in (berlin(12, 27, 22, 30), berlin(12, 28, 10), berlin(12, 29, 9)):
        assert callback(with_monday, now) == callback(without, now)
    assert with_monday.revision == without.revision
    assert with_monday.business_hours is not None
    assert with_monday.business_hours.closed == ("2026-12-28",)  # still listed as written


def test_the_managers_personal_call_skips_the_holiday() -> None:
    policy = Policy.model_validate({**restaurant(CHRISTMAS).model_dump(mode="json"), "personal_call_within": "3h"})
    evening = berlin(12, 23, 21)
    case = Case.open(
        MemoryJournal(clock=lambda: evening), policy, ask(evening, "5000.00"), by="staff", clock=lambda: evening
    )
    for step in (case.listen, case.apologize, case.ask_preferred_solution, case.decide, case.explain_denial):
        step()
    case.decline_alternatives()
    case.make_final_offer()
    case.decline_final_offer()
    case.write_report(summary="The guest wanted the whole dinner refunded.")
    assert case.callback_by is not None
    assert case.callback_by.astimezone(BERLIN) == berlin(12, 27, 12)  # 2h tonight, 1h on Sunday


def test_the_customers_callback_time_may_not_fall_on_a_closed_date() -> None:
    policy = restaurant(CHRISTMAS)
    evening = berlin(12, 23, 22)
    case = Case.open(MemoryJournal(clock=lambda: evening), policy, ask(evening), by="staff", clock=lambda: evening)
    for step in (case.listen, case.apologize, case.ask_preferred_solution, case.decide):
        step()
    with pytest.raises(InvalidInputError) as refused:
        case.escalate(callback_at=berlin(12, 24, 12))
    message = refused.value.problems[0].message
    assert message.startswith("must be from Wed 2026-12-23 22:00 to Sun 2026-12-27 12:00 (Europe/Berlin)")
    assert "closed all day on Thu 2026-12-24, Fri 2026-12-25, Sat 2026-12-26" in message
    case.escalate(callback_at=berlin(12, 27, 11, 15))
    assert case.callback_by == berlin(12, 27, 11, 15)


def refused_callback_at_noon_on_christmas_eve(policy: Policy) -> str:
    """The message refusing a callback at noon on Dec 24, for a case escalated at 22:00 on Dec 23 in Berlin."""
    evening = berlin(12, 23, 22)
    case = Case.open(MemoryJournal(clock=lambda: evening), policy, ask(evening), by="staff", clock=lambda: evening)
    for step in (case.listen, case.apologize, case.ask_preferred_solution, case.decide):
        step()
    with pytest.raises(InvalidInputError) as refused:
        case.escalate(callback_at=berlin(12, 24, 12))
    return refused.value.problems[0].message


def test_a_refused_callback_time_names_the_first_closed_dates_and_counts_the_rest() -> None:
    """Before: "closed all day on Thu 2026-12-24, ..., Tue 2026-12-29, 3 more", as if "3 more" were a date."""
    between = ["2026-12-24", "--12-25", "--12-26", "2026-12-27", "2026-12-29", "2026-12-30", "2026-12-31", "--01-01"]
    message = refused_callback_at_noon_on_christmas_eve(restaurant(between))
    assert message.startswith("must be from Wed 2026-12-23 22:00 to Sat 2027-01-02 12:00 (Europe/Berlin)"), message
    closed = "Thu 2026-12-24, Fri 2026-12-25, Sat 2026-12-26, Sun 2026-12-27, Tue 2026-12-29"
    assert f", while the business is open (closed all day on {closed} and 3 more dates): " in message, message


def test_one_closed_date_past_the_first_five_is_counted_as_one_more_date() -> None:
    """The count past the first five reads in the singular when it is one: "and 1 more date", never "1 more dates"."""
    policy = restaurant(["2026-12-24", "--12-25", "--12-26", "2026-12-27", "2026-12-29", "2026-12-30"])
    message = refused_callback_at_noon_on_christmas_eve(policy)
    closed = "Thu 2026-12-24, Fri 2026-12-25, Sat 2026-12-26, Sun 2026-12-27, Tue 2026-12-29"
    assert f"(closed all day on {closed} and 1 more date): " in message, message


def test_the_durable_rules_engine_gives_the_same_decisions() -> None:
    pytest.importorskip("durable", reason="durable-rules is not installed (extra 'durable', Python 3.11 and 3.12)")
    from recovery_rules import DurableEngine  # noqa: PLC0415 - after the skip: the durable extra may be missing

    policy = restaurant(CHRISTMAS)
    engine = DurableEngine(policy)
    for now in (berlin(12, 23, 22), berlin(12, 25, 19), berlin(12, 31, 22, year=2030), berlin(12, 24, 9)):
        complaint = ask(now)
        assert engine.decide(complaint, by="staff", now=now) == policy.decide(complaint, by="staff", now=now)


def test_prove_decides_again_around_the_closed_dates() -> None:
    policy = restaurant(CHRISTMAS)
    found = set(moments(policy, berlin(11, 1, 12)))
    assert berlin(12, 23, 23) in found  # the closing the evening before Christmas Eve
    assert berlin(12, 23, 21) in found  # that closing less the 2h callback
    assert berlin(12, 27, 11) in found  # the opening after
    assert berlin(1, 1, 12, year=2027) in found  # New Year's Day, every year: the next one
    assert berlin(12, 23, 23) not in set(moments(restaurant(), berlin(11, 1, 12)))


def test_prove_decides_again_the_day_before_a_closed_date_that_is_today() -> None:
    """A closed date on now's own day gets its neighbours too: the opening the day before, which the week's own
    moments (from now on) do not reach."""
    now = berlin(11, 25, 12)  # Wednesday 25 November, closed
    assert berlin(11, 24, 11) in set(moments(restaurant(["2026-11-25"]), now))
    assert berlin(11, 24, 11) not in set(moments(restaurant(), now))


# -- the property ----------------------------------------------------------------------------------------

_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ZONES = ("Europe/Berlin", "America/Santiago", "Australia/Lord_Howe", "Asia/Kolkata")
_MARKS = (0, 60, 120, 150, 180, 9 * 60, 12 * 60, 13 * 60, 17 * 60, 22 * 60, 23 * 60, 24 * 60)
_START = dt.date(2026, 3, 20)  # the days drawn run over clock changes in the northern and southern springs


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def holidays(draw: st.DrawFn) -> tuple[Policy, dt.datetime]:
    zone = draw(st.sampled_from(_ZONES))
    hours: dict[str, Any] = {}
    for day in _DAYS:
        marks = sorted(draw(st.lists(st.sampled_from(_MARKS), max_size=4, unique=True)))
        pairs = [(marks[i], marks[i + 1]) for i in range(0, len(marks) - 1, 2)]
        hours[day] = ", ".join(f"{_clock(a)}-{_clock(b)}" for a, b in pairs) or "closed"
    if all(text == "closed" for text in hours.values()):
        hours[draw(st.sampled_from(_DAYS))] = "09:00-17:00"
    offsets = draw(st.lists(st.integers(0, 40), min_size=1, max_size=12, unique=True))
    days = [_START + dt.timedelta(days=offset) for offset in offsets]
    hours["closed"] = [day.strftime("--%m-%d") if draw(st.integers(0, 4)) == 0 else day.isoformat() for day in days]
    within = draw(st.sampled_from(("15m", "1h", "2h", "3h30m", "1d", "3d")))
    levels = policy_data()["levels"]
    policy = Policy.model_validate(
        policy_data(
            timezone=zone,
            business_hours=hours,
            levels=[levels[0], {**levels[1], "callback_within": within}],
            hard_cap=None,
            denials_delivered_by="supervisor",
        )
    )
    start = dt.datetime.combine(_START, dt.time(), tzinfo=ZoneInfo(zone))
    return policy, start + dt.timedelta(minutes=draw(st.integers(0, 30 * 24 * 60)))


def _closed(policy: Policy, day: dt.date) -> bool:
    assert policy.business_hours is not None
    return day.isoformat() in policy.business_hours.closed or day.strftime("--%m-%d") in policy.business_hours.closed


@settings(max_examples=examples(200), deadline=None)
@given(holidays())
def test_a_promised_callback_never_falls_on_a_closed_date_nor_before_the_decision(
    drawn: tuple[Policy, dt.datetime],
) -> None:
    policy, now = drawn
    assert policy.business_hours is not None
    note(f"{policy.timezone} {policy.business_hours!r} now={now.isoformat()}")
    complaint = ask(now)
    resolution = policy.decide(complaint, by="staff", now=now)
    assert resolution_violations(policy, complaint, "staff", None, resolution, now=now) == []
    promised = resolution.callback_by
    assert promised is not None
    assert promised > now
    zone = ZoneInfo(policy.timezone)
    wall = promised.astimezone(zone)
    if _closed(policy, wall.date()):  # only at the closing at 24:00 of the open day before (midnight, or the
        day_before = wall.date() - dt.timedelta(days=1)  # jump when the clock skips midnight)
        assert not _closed(policy, day_before)
        assert policy.business_hours.periods(day_before.weekday())[-1][1] == 24 * 60
        assert promised == wall_instant(day_before, 24 * 60, zone, first=False)
    # Exactly callback_within of open time, none of it on a closed date (the oracle restates the hours).
    within = policy.levels[1].callback_within
    assert within is not None
    assert open_time(open_intervals(policy, now, promised), now, promised) == within


# -- the policy file ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("closed", "location", "message"),
    [
        (["2026-12-25", "2026-12-26", "25.12.2026"], "business_hours.closed[2]", "'25.12.2026' is not a date"),
        (["2026-02-30"], "business_hours.closed[0]", "is not a date of the calendar"),
        (["--13-01"], "business_hours.closed[0]", "is not a day of the year"),
        (["--02-29"], "business_hours.closed[0]", "list the closed leap days as dates"),
        ([20261225], "business_hours.closed[0]", "must be a string"),
        ([dt.datetime(2026, 12, 25, 9, tzinfo=dt.UTC)], "business_hours.closed[0]", "is a date and time"),
        (["2026-12-25", "2026-12-26", "2026-12-25"], "business_hours.closed[2]", "listed twice (also closed[0])"),
        (["--12-25", "2026-12-31", "2026-12-25"], "business_hours.closed[2]", "closed every year already by '--12-25'"),
        (["2026-01-01"] * 1001, "business_hours.closed", "the most is 1,000"),
        ("2026-12-25", "business_hours.closed", "list"),
    ],
)
def test_bad_closed_dates_are_refused_at_their_place(closed: Any, location: str, message: str) -> None:
    with pytest.raises(PolicyError) as refused:
        restaurant(closed)
    assert any(problem.location == location and message in problem.message for problem in refused.value.problems), (
        refused.value.problems
    )


def test_closed_dates_in_any_order_are_kept_sorted_and_a_date_object_is_read_as_its_date() -> None:
    policy = restaurant(["2027-01-01", dt.date(2026, 12, 24), " --12-25"])
    assert policy.business_hours is not None
    assert policy.business_hours.closed == ("--12-25", "2026-12-24", "2027-01-01")
    assert policy.revision == restaurant(["--12-25", "2027-01-01", "2026-12-24"]).revision


def _restaurant_file(table: str, before: str = "") -> str:
    return (
        before
        + """name = "Gasthaus Spree"
currency = "EUR"
timezone = "Europe/Berlin"
window = "incident"
denials_delivered_by = "manager"

[business_hours]
"""
        + table
        + """
[[levels]]
name = "staff"
limit = "50.00"

[[levels]]
name = "manager"
limit = "500.00"
callback_within = "2h"
"""
        + "".join(
            f'\n[[catalog]]\nid = "{kind}"\nkind = "{kind}"\ndescription = "An option."\nvalue = "0"\n'
            'applies_to = ["*"]\n'
            for kind in ("callback", "dessert", "note")
        )
    )


def test_a_bad_closed_date_in_a_file_has_its_line_and_column() -> None:
    text = _restaurant_file('default = "11:00-23:00"\nclosed = ["2026-12-25",\n  "2026-12-26", "25.12.2026"]\n')
    with pytest.raises(PolicyError) as refused:
        Policy.from_text(text)
    [problem] = refused.value.problems
    assert problem.location == "business_hours.closed[2]"
    assert (problem.line, problem.column) == (10, 17)  # the opening quote of "25.12.2026"


def test_toml_dates_written_bare_are_read() -> None:
    policy = Policy.from_text(_restaurant_file('default = "11:00-23:00"\nclosed = [2026-12-25, "--01-01"]\n'))
    assert policy.business_hours is not None
    assert policy.business_hours.closed == ("--01-01", "2026-12-25")


def test_closed_dates_outside_the_business_hours_table_are_refused_saying_where_they_go() -> None:
    with pytest.raises(PolicyError) as refused:
        Policy.from_text(_restaurant_file('default = "11:00-23:00"\n', before='closed = ["2026-12-25"]\n'))
    [problem] = refused.value.problems
    assert (problem.location, problem.line) == ("closed", 1)
    assert "closed dates (holidays) go in the [business_hours] table" in problem.message


def test_closed_dates_without_opening_hours_are_refused() -> None:
    with pytest.raises(PolicyError) as refused:
        Policy.from_text(_restaurant_file('closed = ["2026-12-25"]\n'))
    assert [problem.location for problem in refused.value.problems] == ["business_hours"]
    assert "gives closed dates but no opening hours" in refused.value.problems[0].message


def test_closed_dates_count_toward_the_ten_years_a_promise_may_reach() -> None:
    # Open one hour on Mondays: 520 closed Mondays push a 20-hour callback past ten years.
    mondays = [(dt.date(2027, 1, 4) + dt.timedelta(weeks=week)).isoformat() for week in range(520)]
    hours = {"default": "closed", "monday": "09:00-10:00"}
    levels = policy_data()["levels"]
    data = policy_data(business_hours=hours, levels=[levels[0], {**levels[1], "callback_within": "20h"}], hard_cap=None)
    data["denials_delivered_by"] = "supervisor"
    Policy.model_validate(data)  # 21 weeks without them
    with pytest.raises(PolicyError) as refused:
        Policy.model_validate({**data, "business_hours": {**hours, "closed": mondays}})
    assert [problem.location for problem in refused.value.problems] == ["levels[1].callback_within"]
    assert "(1h open a week, less up to 21d16h on the closed dates)" in refused.value.problems[0].message
    assert "close fewer dates" in refused.value.problems[0].message
    # Every hour of the year closed but for one Monday in 2027: still bounded, as the load check said.
    Policy.model_validate({**data, "business_hours": {**hours, "closed": mondays[:300]}})


def test_a_date_closed_every_year_counts_once_for_each_year_a_promise_may_span() -> None:
    """A month-day every year takes its hours away in each of the eleven years a promise may span: open one hour
    on Mondays, ``--01-04`` costs up to 11 hours, which push a 515-hour callback past ten years (one hour would
    not)."""
    hours = {"default": "closed", "monday": "09:00-10:00"}
    levels = policy_data()["levels"]
    data = policy_data(
        business_hours=hours, levels=[levels[0], {**levels[1], "callback_within": "515h"}], hard_cap=None
    )
    data["denials_delivered_by"] = "supervisor"
    Policy.model_validate(data)
    Policy.model_validate({**data, "business_hours": {**hours, "closed": ["2027-01-04"]}})  # once: 516 weeks
    with pytest.raises(PolicyError) as refused:
        Policy.model_validate({**data, "business_hours": {**hours, "closed": ["--01-04"]}})
    assert [problem.location for problem in refused.value.problems] == ["levels[1].callback_within"]
    assert "less up to 11h on the closed dates" in refused.value.problems[0].message


# -- revision, schema, check -------------------------------------------------------------------------------


def test_the_revision_changes_with_the_closed_dates_and_not_without_them() -> None:
    revisions = {
        restaurant().revision,
        restaurant(["2026-12-24"]).revision,
        restaurant(["2026-12-25"]).revision,
        restaurant(["--12-24"]).revision,
        restaurant(["2026-12-24", "2026-12-25"]).revision,
    }
    assert len(revisions) == 5
    assert restaurant([]).revision == restaurant().revision
    for policy in (presets.ritz_carlton(), presets.retail(), presets.theme_park()):
        assert policy.business_hours is not None
        assert "closed" not in policy.business_hours.canonical()


def test_the_schema_describes_closed_dates(capsys: pytest.CaptureFixture[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the dev extra; this runs in CI")
    schema = json.loads(run(capsys, "schema", "policy").out)
    assert schema == json.loads((ROOT / "docs" / "policy.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    policy = restaurant(CHRISTMAS).model_dump(mode="json", exclude_defaults=True)
    assert not [error.message for error in validator.iter_errors(policy)]
    policy["business_hours"]["closed"] = ["25.12.2026"]
    [error] = validator.iter_errors(policy)  # business_hours is a table or null: the table's own error is inside
    inner = [found.message for found in error.context]
    assert "'25.12.2026' does not match '^([0-9]{4}|-)-[0-9]{2}-[0-9]{2}$'" in inner


def test_check_lists_the_closed_dates(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "restaurant.toml"
    path.write_text(
        _restaurant_file('default = "11:00-23:00"\nclosed = ["2026-12-24", "--12-25", "--12-26"]\n'), encoding="utf-8"
    )
    result = run(capsys, "check", str(path))
    assert result.code == 0, result.out + result.err
    assert "  closed all day: 12-25 every year, 12-26 every year, 2026-12-24" in result.out.splitlines()
    many = [(dt.date(2027, 1, 1) + dt.timedelta(days=day)).isoformat() for day in range(10)]
    path.write_text(_restaurant_file(f'default = "11:00-23:00"\nclosed = {json.dumps(many)}\n'), encoding="utf-8")
    assert "2027-01-06 and 4 more" in run(capsys, "check", str(path)).out


_CLOCK_ZONES = ("America/New_York", "Europe/London", "America/Havana", "Australia/Lord_Howe", "Asia/Kolkata", "UTC")
_CHANGES = [  # a zone, the day its clock changes, and the minute of that day it changes at (wall clock)
    ("America/New_York", dt.date(2026, 3, 8), 120),  # skips 2:00 to 3:00
    ("America/New_York", dt.date(2026, 11, 1), 60),  # repeats 1:00 to 2:00
    ("Europe/London", dt.date(2026, 3, 29), 60),  # skips 1:00 to 2:00
    ("Europe/London", dt.date(2026, 10, 25), 60),  # repeats 1:00 to 2:00
    ("America/Havana", dt.date(2026, 3, 8), 0),  # skips midnight to 1:00
    ("America/Havana", dt.date(2026, 11, 1), 0),  # repeats midnight to 1:00
    ("Australia/Lord_Howe", dt.date(2026, 4, 5), 90),  # goes back half an hour at 2:00
    ("Australia/Lord_Howe", dt.date(2026, 10, 4), 120),  # goes forward half an hour
]


def _wall_instant_by_search(day: dt.date, minute: int, zone: ZoneInfo, *, first: bool) -> dt.datetime:
    """What ``wall_instant`` means, found by trying every minute of the day and a half around it."""
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)
    start = naive.replace(tzinfo=dt.UTC) - dt.timedelta(hours=15)
    tried = [start + dt.timedelta(minutes=step) for step in range(30 * 60)]
    shown = [moment for moment in tried if moment.astimezone(zone).replace(tzinfo=None) == naive]
    if shown:
        return min(shown) if first else max(shown)
    return min(moment for moment in tried if moment.astimezone(zone).replace(tzinfo=None) > naive)  # the jump


@st.composite
def _wall_times(draw: st.DrawFn) -> tuple[str, dt.date, int]:
    """A zone, a day and a minute of it: half of them within 90 minutes of a clock change."""
    if draw(st.booleans()):
        zone, day, change = draw(st.sampled_from(_CHANGES))
        return zone, day, min(max(change + draw(st.integers(-90, 90)), 0), 24 * 60)
    return (
        draw(st.sampled_from(_CLOCK_ZONES)),
        draw(st.dates(dt.date(2026, 1, 1), dt.date(2028, 12, 31))),
        draw(st.integers(0, 24 * 60)),
    )


@settings(max_examples=examples(60), deadline=None)
@given(wall_time=_wall_times(), first=st.booleans())
def test_wall_instant_is_the_first_or_last_instant_the_wall_clock_shows_it(
    wall_time: tuple[str, dt.date, int], first: bool
) -> None:
    """The instant an opening or a closing time names, on any day, a clock change's too: the first (or last) that
    the wall clock shows, or the jump when the clock skips it."""
    zone, day, minute = wall_time
    found = wall_instant(day, minute, ZoneInfo(zone), first=first)
    assert found.tzinfo is dt.UTC
    assert found == _wall_instant_by_search(day, minute, ZoneInfo(zone), first=first)
