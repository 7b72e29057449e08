"""Business hours: a callback is promised only while the business is open, ``callback_within`` counted in open time.

Issue 12 §3: an escalation at 23:30 in the Ritz preset promises a time the next morning, not "by 1:30
tonight"; a customer may choose the callback time within the policy's bounds; a policy without hours
decides exactly as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from recovery_rules import (
    Case,
    CaseState,
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
from recovery_rules._engine._invariants import open_intervals, open_time
from recovery_rules._policy._policy import compiled_policy
from recovery_rules._values._hours import parse_periods
from recovery_rules._values._time import later
from recovery_rules.testing import resolution_violations

from ._helpers import FailingZone, always_open, examples, policy_data
from ._journal_backends import BACKENDS, Harness

NEW_YORK = ZoneInfo("America/New_York")
RITZ = presets.ritz_carlton()


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    harness = BACKENDS[request.param](tmp_path)
    yield harness
    harness.close()


def ny(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=NEW_YORK)


def ask(amount: str, at: dt.datetime, *, customer: str = "10442") -> Complaint:
    return Complaint(
        customer=Customer(id=customer),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=at,
    )


def hours_policy(hours: dict[str, str], timezone: str = "America/New_York", **changes: object) -> Policy:
    return Policy.model_validate(policy_data(timezone=timezone, business_hours=hours, **changes))


# -- the engine's promise ------------------------------------------------------------------------------


def test_an_escalation_at_23_30_promises_the_next_morning() -> None:
    resolution = RITZ.decide(ask("3000.00", ny(23, 23, 30)), by="staff", now=ny(23, 23, 30))
    assert resolution.outcome is Outcome.ESCALATED
    assert resolution.callback_by == ny(24, 9, 0)  # two hours counted from the 7:00 opening, not 1:30 tonight
    assert resolution_violations(RITZ, ask("3000.00", ny(23, 23, 30)), "staff", None, resolution) == []


def test_open_time_left_tonight_counts_and_the_rest_runs_from_the_opening() -> None:
    resolution = RITZ.decide(ask("3000.00", ny(23, 21, 0)), by="staff", now=ny(23, 21, 0))
    assert resolution.callback_by == ny(24, 8, 0)  # an hour tonight, an hour tomorrow
    at_closing = RITZ.decide(ask("3000.00", ny(23, 20, 0)), by="staff", now=ny(23, 20, 0))
    assert at_closing.callback_by == ny(23, 22, 0)  # closing time itself is within the hours


def test_the_general_managers_business_day() -> None:
    resolution = RITZ.decide(ask("8000.00", ny(23, 12, 0)), by="staff", now=ny(23, 12, 0))
    assert resolution.escalate_to == "general_manager"
    assert resolution.callback_by == ny(24, 12, 0)  # 15h: ten hours today, five tomorrow from 7:00


def test_a_closed_sunday_is_skipped() -> None:
    policy = hours_policy({"default": "09:00-17:00", "sunday": "closed"})
    saturday = ny(28, 16, 30)
    resolution = policy.decide(ask("400.00", saturday), by="staff", now=saturday)
    assert resolution.escalate_to == "supervisor"
    assert resolution.callback_by == ny(30, 9, 30)  # half an hour on Saturday, half an hour on Monday
    on_sunday = policy.decide(ask("400.00", ny(29, 11, 0)), by="staff", now=ny(29, 11, 0))
    assert on_sunday.callback_by == ny(30, 10, 0)


def test_a_lunch_break_does_not_count() -> None:
    policy = hours_policy({"default": "09:00-12:00, 13:00-17:00"})
    resolution = policy.decide(ask("400.00", ny(23, 11, 30)), by="staff", now=ny(23, 11, 30))
    assert resolution.callback_by == ny(23, 13, 30)


def test_counting_across_the_spring_forward_night_counts_real_hours() -> None:
    policy = hours_policy({"default": "00:00-24:00", "sunday": "01:00-04:00"})
    # Sunday 8 March 2026: New York's clock jumps from 2:00 to 3:00; the Sunday period is two real hours long.
    saturday = dt.datetime(2026, 3, 7, 23, 30, tzinfo=NEW_YORK)
    resolution = policy.decide(ask("400.00", saturday), by="staff", now=saturday)
    assert resolution.callback_by == dt.datetime(2026, 3, 8, 1, 30, tzinfo=NEW_YORK)  # 30m Saturday, 30m Sunday
    levels = policy_data()["levels"]
    three_hours = hours_policy(
        {"default": "00:00-24:00", "sunday": "01:00-04:00"},
        levels=[levels[0], {**levels[1], "callback_within": "3h"}, *levels[2:]],
    )
    longer = three_hours.decide(ask("400.00", saturday), by="staff", now=saturday)
    # 30 minutes Saturday, the whole Sunday period (two real hours: 1:00 EST to 4:00 EDT), 30 minutes Monday
    assert longer.callback_by == dt.datetime(2026, 3, 9, 0, 30, tzinfo=NEW_YORK)


def test_a_period_that_starts_in_the_skipped_hour_opens_when_the_clock_jumps() -> None:
    policy = hours_policy({"default": "closed", "sunday": "02:30-05:00"})
    saturday = dt.datetime(2026, 3, 7, 12, 0, tzinfo=NEW_YORK)
    resolution = policy.decide(ask("400.00", saturday), by="staff", now=saturday)
    assert resolution.callback_by == dt.datetime(2026, 3, 8, 4, 0, tzinfo=NEW_YORK)  # opens at 3:00 EDT, +1h


def test_where_the_clock_skips_midnight_a_period_from_00_00_opens_when_the_clock_jumps() -> None:
    """Santiago's clock went from 00:00 to 01:00 on 6 September 2026: midnight was never shown. A period from 00:00
    opens at the jump (04:00 UTC), not an hour early at 23:00 the evening before, read with the new offset."""
    santiago = ZoneInfo("America/Santiago")
    policy = hours_policy({"default": "00:00-08:00"}, timezone="America/Santiago")
    noon = dt.datetime(2026, 9, 5, 12, 0, tzinfo=santiago)
    resolution = policy.decide(ask("400.00", noon), by="staff", now=noon)
    # the supervisor's hour, from the jump: 05:00 UTC, 02:00 on the new clock
    assert resolution.callback_by == dt.datetime(2026, 9, 6, 5, 0, tzinfo=dt.UTC)
    assert resolution.callback_by.astimezone(santiago).strftime("%Y-%m-%d %H:%M %z") == "2026-09-06 02:00 -0300"


def test_a_period_that_starts_in_a_jump_of_minutes_and_seconds_opens_at_the_second_the_clock_jumps() -> None:
    """Monrovia's clock jumped 44 minutes 30 seconds at midnight on 7 January 1972 (from GMT-0:44:30 to GMT): the
    00:30 opening that night is 00:44:30 UTC, to the second, for the engine and for the oracle alike."""
    policy = hours_policy({"default": "00:30-05:00"}, timezone="Africa/Monrovia")
    now = dt.datetime(1972, 1, 6, 23, 0, tzinfo=dt.UTC)  # 22:15:30 on the 6th, after closing
    complaint = ask("400.00", now)
    resolution = policy.decide(complaint, by="staff", now=now)
    assert resolution.callback_by == dt.datetime(1972, 1, 7, 1, 44, 30, tzinfo=dt.UTC)  # an hour after the jump
    assert resolution_violations(policy, complaint, "staff", None, resolution, now=now) == []


# Sunday 1 November 2026: New York's clock goes back from 2:00 EDT to 1:00 EST, so 1:00-2:00 shows twice.
FIRST_0100 = dt.datetime(2026, 11, 1, 5, 0, tzinfo=dt.UTC)  # 1:00 EDT, the first time round


def test_a_period_that_starts_in_the_repeated_hour_opens_at_its_first_pass() -> None:
    policy = hours_policy({"default": "01:30-23:00"})
    complaint = ask("400.00", FIRST_0100)
    resolution = policy.decide(complaint, by="staff", now=FIRST_0100)
    assert resolution.escalate_to == "supervisor"  # calls back within 1h
    # opens at 1:30 EDT (05:30 UTC), not at 1:30 EST an hour later; an hour on is 1:30 EST
    assert resolution.callback_by == dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)
    assert resolution_violations(policy, complaint, "staff", None, resolution, now=FIRST_0100) == []


# Havana's clock goes back at 1:00 on Sunday 1 November 2026, to 0:00: the hour after midnight shows twice, so
# a Saturday period to 24:00 runs until the second midnight, an hour into Sunday's first pass.
HAVANA = "America/Havana"
HAVANA_FIRST_0030 = dt.datetime(2026, 11, 1, 4, 30, tzinfo=dt.UTC)  # Sunday 0:30 CDT, the first time round


def test_a_saturday_open_to_midnight_is_open_in_the_hour_after_it_when_the_clock_goes_back_then() -> None:
    policy = hours_policy({"default": "09:00-17:00", "saturday": "18:00-24:00"}, timezone=HAVANA)
    complaint = ask("400.00", HAVANA_FIRST_0030)
    resolution = policy.decide(complaint, by="staff", now=HAVANA_FIRST_0030)
    assert resolution.escalate_to == "supervisor"
    # Saturday's period is still open: 30 minutes until the second midnight (05:00 UTC), 30 from Sunday's 9:00 CST
    assert resolution.callback_by == dt.datetime(2026, 11, 1, 14, 30, tzinfo=dt.UTC)
    assert resolution_violations(policy, complaint, "staff", None, resolution, now=HAVANA_FIRST_0030) == []
    case = escalated_case(MemoryJournal(), HAVANA_FIRST_0030, policy, "400.00")
    assert case.escalate(callback_at=HAVANA_FIRST_0030, now=HAVANA_FIRST_0030).callback_due == HAVANA_FIRST_0030


def test_open_time_in_the_hour_two_days_both_hold_is_counted_once() -> None:
    """Open around the clock in Havana: Saturday's 00:00-24:00 ends at the second midnight, Sunday's starts at
    the first, so the two days' periods overlap by an hour; a callback within 1h is one real hour later, and the
    oracle counts that hour of open time once."""
    policy = hours_policy({"default": "00:00-24:00"}, timezone=HAVANA)
    now = dt.datetime(2026, 11, 1, 3, 30, tzinfo=dt.UTC)  # Saturday 23:30 CDT
    complaint = ask("400.00", now)
    resolution = policy.decide(complaint, by="staff", now=now)
    assert resolution.callback_by == now + dt.timedelta(hours=1)
    assert resolution_violations(policy, complaint, "staff", None, resolution, now=now) == []


def test_a_policy_without_hours_decides_exactly_as_before() -> None:
    policy = Policy.model_validate(policy_data())
    assert policy.business_hours is None
    assert policy.personal_call_within is None
    now = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC)
    resolution = policy.decide(ask("400.00", now), by="staff", now=now)
    assert resolution.callback_by == now + dt.timedelta(hours=1)


@settings(max_examples=examples(60))
@given(
    now=st.datetimes(
        min_value=dt.datetime(1990, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds, timezones= adds UTC
        max_value=dt.datetime(2060, 1, 1),  # noqa: DTZ001 - as above
        timezones=st.just(dt.UTC),
    ),
    within=st.timedeltas(min_value=dt.timedelta(seconds=1), max_value=dt.timedelta(days=40)),
)
def test_without_hours_a_promise_is_the_duration_in_absolute_time(now: dt.datetime, within: dt.timedelta) -> None:
    assert compiled_policy(always_open(RITZ)).promise(now, within) == later(now, within)


# -- properties: every promise inside the hours, within counted in open time ------------------------------

_ZONES = ("America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata", "UTC")
_MARKS = (0, 30, 60, 90, 120, 150, 180, 240, 7 * 60, 9 * 60, 12 * 60, 17 * 60, 22 * 60, 23 * 60 + 30, 24 * 60)
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def weeks(draw: st.DrawFn) -> dict[str, str]:
    hours: dict[str, str] = {}
    for day in _DAYS:
        marks = sorted(draw(st.lists(st.sampled_from(_MARKS), max_size=4, unique=True)))
        pairs = [(marks[i], marks[i + 1]) for i in range(0, len(marks) - 1, 2)]
        hours[day] = ", ".join(f"{_clock(a)}-{_clock(b)}" for a, b in pairs) or "closed"
    if all(text == "closed" for text in hours.values()):
        hours[draw(st.sampled_from(_DAYS))] = "09:00-17:00"
    return hours


def _transitions(zone: ZoneInfo) -> list[dt.datetime]:
    found, day = [], dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for _ in range(366):
        after = day + dt.timedelta(days=1)
        if day.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset():
            found.append(day)
        day = after
    return found or [dt.datetime(2026, 6, 1, tzinfo=dt.UTC)]


@st.composite
def moments_near_clock_changes(draw: st.DrawFn, zone_name: str) -> dt.datetime:
    change = draw(st.sampled_from(_transitions(ZoneInfo(zone_name))))
    return change + dt.timedelta(minutes=draw(st.integers(-3 * 24 * 60, 3 * 24 * 60)))


@st.composite
def promises(draw: st.DrawFn) -> tuple[Policy, dt.datetime, dt.timedelta]:
    zone = draw(st.sampled_from(_ZONES))
    within = draw(st.sampled_from(("15m", "1h", "2h", "3h30m", "1d", "3d")))
    levels = policy_data()["levels"]
    policy = hours_policy(
        draw(weeks()),
        timezone=zone,
        levels=[levels[0], {**levels[1], "callback_within": within}],
        hard_cap=None,
        denials_delivered_by="supervisor",
    )
    now = draw(moments_near_clock_changes(zone))
    return policy, now, _required_within(policy)


def _required_within(policy: Policy) -> dt.timedelta:
    within = policy.levels[1].callback_within
    assert within is not None
    return within


@settings(max_examples=examples(150))
@given(promises())
def test_every_promised_callback_falls_in_business_hours_within_callback_within(
    case: tuple[Policy, dt.datetime, dt.timedelta],
) -> None:
    policy, now, within = case
    note(f"{policy.timezone} {policy.business_hours!r} now={now.isoformat()} within={within}")
    complaint = ask("400.00", now)
    resolution = policy.decide(complaint, by="staff", now=now)
    assert resolution.outcome is Outcome.ESCALATED
    assert resolution_violations(policy, complaint, "staff", None, resolution, now=now) == []
    callback = resolution.callback_by
    assert callback is not None
    intervals = open_intervals(policy, now, callback)
    assert any(opens <= callback <= closes for opens, closes in intervals)  # inside the hours
    assert open_time(intervals, now, callback) == within  # exactly callback_within of open time
    assert callback >= now + within  # open time never runs faster than real time


def test_the_oracle_sees_a_callback_outside_the_hours() -> None:
    complaint = ask("3000.00", ny(23, 23, 30))
    resolution = RITZ.decide(complaint, by="staff", now=ny(23, 23, 30))
    tonight = resolution.model_copy(update={"callback_by": ny(24, 1, 30).astimezone(dt.UTC)})
    problems = resolution_violations(RITZ, complaint, "staff", None, tonight)
    assert any("not in business hours" in problem for problem in problems), problems
    late = resolution.model_copy(update={"callback_by": ny(24, 10, 0).astimezone(dt.UTC)})
    assert any("not 2:00:00" in problem for problem in resolution_violations(RITZ, complaint, "staff", None, late))


def test_the_oracle_sees_a_callback_promised_before_callback_within_of_open_time() -> None:
    """8:00 the next morning is inside the hours, but only one of the manager's two hours of open time after a
    decision at 23:30: the promise was made too soon, and the oracle says so."""
    complaint = ask("3000.00", ny(23, 23, 30))
    resolution = RITZ.decide(complaint, by="staff", now=ny(23, 23, 30))
    early = resolution.model_copy(update={"callback_by": ny(24, 8, 0).astimezone(dt.UTC)})
    problems = resolution_violations(RITZ, complaint, "staff", None, early)
    assert any("is 1:00:00 of business hours after the decision" in problem for problem in problems), problems
    assert not any("not in business hours" in problem for problem in problems), problems


def test_the_durable_rules_engine_promises_the_same_callback() -> None:
    pytest.importorskip("durable", reason="durable-rules is not installed (extra 'durable', Python 3.11 and 3.12)")
    from recovery_rules import DurableEngine  # noqa: PLC0415 - after the skip: the durable extra may be missing

    complaint = ask("3000.00", ny(23, 23, 30))
    core = RITZ.decide(complaint, by="staff", now=ny(23, 23, 30))
    durable = DurableEngine(RITZ).decide(complaint, by="staff", now=ny(23, 23, 30))
    assert durable == core
    assert durable.callback_by == ny(24, 9, 0)


# -- the policy file -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "location", "message"),
    [
        ({"default": "22:00-07:00"}, "business_hours.default", "ends before it starts"),
        ({"default": "09:00-09:00"}, "business_hours.default", "ends before it starts (or when it starts)"),
        ({"default": "09:00-17:00", "monday": "9-5"}, "business_hours.monday", "'9-5' is not a period"),
        ({"default": "25:00-26:00"}, "business_hours.default", "is not a time of day"),
        ({"default": "24:00-24:00"}, "business_hours.default", "24:00 only as an end"),
        ({"default": "09:00-12:00, 11:00-17:00"}, "business_hours.default", "periods overlap"),
        ({"monday": "09:00-17:00"}, "business_hours", "gives no hours for tuesday, wednesday"),
        ({"default": "closed"}, "business_hours", "closed every day"),
        ({"default": "09:00-17:00", "funday": "closed"}, "business_hours.funday", "is not a field here"),
        ({"default": 9}, "business_hours.default", "must be a string"),
    ],
)
def test_bad_hours_are_refused_when_the_policy_loads(hours: dict[str, Any], location: str, message: str) -> None:
    with pytest.raises(PolicyError) as refused:
        Policy.model_validate(policy_data(business_hours=hours))
    assert any(problem.location == location and message in problem.message for problem in refused.value.problems), (
        refused.value.problems
    )


def test_a_promise_that_would_come_due_beyond_ten_years_is_refused() -> None:
    data = policy_data(business_hours={"default": "closed", "monday": "09:00-10:00"}, personal_call_within="3000d")
    with pytest.raises(PolicyError) as refused:
        Policy.model_validate(data)
    assert [problem.location for problem in refused.value.problems] == ["personal_call_within"]
    assert "beyond the ten years" in refused.value.problems[0].message


def test_the_ten_years_a_promise_may_reach_count_the_week_it_starts_in() -> None:
    """Open one hour a week, a callback within 521 hours may come due 522 weeks on (3,654 days, the week it starts
    in counted): it loads; within 522 hours it may come due 3,661 days on, beyond ten years, and is refused."""
    hours = {"default": "closed", "monday": "09:00-10:00"}
    levels = policy_data()["levels"]

    def within(duration: str) -> dict[str, Any]:
        supervisor = {**levels[1], "callback_within": duration}
        return policy_data(business_hours=hours, levels=[levels[0], supervisor], denials_delivered_by="supervisor")

    Policy.model_validate(within("521h"))
    with pytest.raises(PolicyError) as refused:
        Policy.model_validate(within("522h"))
    assert [problem.location for problem in refused.value.problems] == ["levels[1].callback_within"]
    assert "beyond the ten years" in refused.value.problems[0].message


def test_hours_from_a_policy_file_with_its_line() -> None:
    text = (Path(presets.path("ritz-carlton")).read_text(encoding="utf-8")).replace(
        'default = "07:00-22:00"', 'default = "22:00-07:00"'
    )
    with pytest.raises(PolicyError, match=r"business_hours\.default: .* ends before it starts"):
        Policy.from_text(text)


def test_hours_are_kept_in_their_normal_form() -> None:
    policy = hours_policy({"default": "9:00 - 17:00", "saturday": "13:00-17:00,09:00-12:00"})
    assert policy.business_hours is not None
    assert (policy.business_hours.default, policy.business_hours.saturday) == (
        "09:00-17:00",
        "09:00-12:00, 13:00-17:00",
    )
    assert parse_periods("00:00-24:00") == ((0, 1440),)


@pytest.mark.parametrize("split", ["01:30", "02:30", "12:00"])  # in the repeated hour, in the skipped hour, at noon
def test_two_periods_that_touch_are_the_open_time_of_one(split: str) -> None:
    # what lets the policy's revision count "00:30-{split}, {split}-23:00" as "00:30-23:00": both give every
    # promise alike, on the nights of both of the year's clock changes too
    one = hours_policy({"default": "00:30-23:00"}).business_hours
    two = hours_policy({"default": f"00:30-{split}, {split}-23:00"}).business_hours
    assert one is not None
    assert two is not None
    assert one.canonical() == two.canonical() == {"default": "00:30-23:00"}
    joined, touching = one.schedule("America/New_York"), two.schedule("America/New_York")
    for night in (dt.datetime(2026, 3, 7, 22, tzinfo=dt.UTC), dt.datetime(2026, 10, 31, 22, tzinfo=dt.UTC)):
        for step in range(0, 24 * 60, 10):
            moment = night + dt.timedelta(minutes=step)
            assert joined.is_open(moment) == touching.is_open(moment), moment
            assert joined.next_open(moment) == touching.next_open(moment), moment
            for within in (dt.timedelta(minutes=20), dt.timedelta(hours=2), dt.timedelta(hours=9)):
                assert joined.later(moment, within) == touching.later(moment, within), (moment, within)


def test_every_preset_has_hours_and_a_personal_call() -> None:
    for policy in (presets.ritz_carlton(), presets.retail(), presets.theme_park()):
        assert policy.business_hours is not None, policy.name
        assert policy.personal_call_within is not None, policy.name
    ritz_hours = RITZ.business_hours
    assert ritz_hours is not None
    assert ritz_hours.hours(0) == "07:00-22:00"


# -- the customer's chosen time (Case.escalate(callback_at=...)) ---------------------------------------


def escalated_case(journal: Any, now: dt.datetime, policy: Policy = RITZ, amount: str = "3000.00") -> Case:
    case = Case.open(journal, policy, ask(amount, now), by="staff", now=now)
    case.listen(now=now)
    case.apologize(now=now)
    case.ask_preferred_solution(now=now)
    assert case.decide(now=now).outcome is Outcome.ESCALATED
    return case


def test_a_callback_time_the_customer_chose_is_the_promise(backend: Harness) -> None:
    journal = backend.journal()
    case = escalated_case(journal, ny(23, 23, 30))
    event = case.escalate(callback_at=ny(24, 8, 15), now=ny(23, 23, 30))
    assert case.callback_by == event.callback_due == ny(24, 8, 15)
    assert Case.load(backend.journal(), RITZ, case.number).callback_by == ny(24, 8, 15)
    overdue = journal.overdue_callbacks(ny(24, 8, 16))
    assert [summary.number for summary in overdue] == [case.number]
    assert journal.overdue_callbacks(ny(24, 8, 15)) == []


@pytest.mark.parametrize(
    "chosen",
    [
        ny(24, 1, 30),  # tonight: the hotel does not call back at night
        ny(24, 6, 59),  # before the next opening, the earliest the duty manager can call
        ny(24, 9, 1),  # after two hours of business hours
        ny(23, 23, 0),  # before now
    ],
)
def test_a_callback_time_outside_the_bounds_is_refused_saying_the_range(backend: Harness, chosen: dt.datetime) -> None:
    case = escalated_case(backend.journal(), ny(23, 23, 30))
    with pytest.raises(InvalidInputError) as refused:
        case.escalate(callback_at=chosen, now=ny(23, 23, 30))
    message = str(refused.value)
    assert "callback_at: must be from Tue 2026-11-24 07:00 to Tue 2026-11-24 09:00 (America/New_York)" in message
    assert "while the business is open" in message
    assert case.state is CaseState.BEYOND_AUTHORITY
    assert case.version == 5  # nothing recorded
    assert case.escalate(callback_at=ny(24, 9, 0), now=ny(23, 23, 30)).callback_due == ny(24, 9, 0)


def test_a_callback_time_during_the_day_may_be_right_away(backend: Harness) -> None:
    case = escalated_case(backend.journal(), ny(23, 12, 0))
    assert case.escalate(callback_at=ny(23, 12, 0), now=ny(23, 12, 0)).callback_due == ny(23, 12, 0)


def test_a_callback_time_at_the_very_closing_is_not_right_away_but_from_the_next_opening() -> None:
    """An escalation at 22:00, the instant the Ritz closes, has no open time left tonight: the earliest the
    manager can call is 7:00 the next morning, so a callback "now, at closing" is refused."""
    case = escalated_case(MemoryJournal(), ny(23, 22, 0))
    with pytest.raises(InvalidInputError) as refused:
        case.escalate(callback_at=ny(23, 22, 0), now=ny(23, 22, 0))
    assert "callback_at: must be from Tue 2026-11-24 07:00 to Tue 2026-11-24 09:00" in str(refused.value)
    assert case.escalate(callback_at=ny(24, 7, 0), now=ny(23, 22, 0)).callback_due == ny(24, 7, 0)


def test_a_callback_time_must_be_timezone_aware() -> None:
    case = escalated_case(MemoryJournal(), ny(23, 12, 0))
    with pytest.raises(InvalidInputError, match="callback_at: must be a timezone-aware datetime"):
        case.escalate(callback_at=dt.datetime(2026, 11, 23, 13, 0), now=ny(23, 12, 0))  # noqa: DTZ001 - the mistake under test


def test_a_callback_time_whose_time_zone_fails_is_refused_and_nothing_is_promised() -> None:
    """issue 11, fail closed: a host's tzinfo whose utcoffset raises gives no instant to promise; the customer's
    chosen time is refused at callback_at with a typed error, never the host's own exception."""
    case = escalated_case(MemoryJournal(), ny(23, 12, 0))
    head = case.journal.head()
    broken = dt.datetime(2026, 11, 23, 13, 0, tzinfo=FailingZone(RuntimeError("no zone table")))
    with pytest.raises(InvalidInputError, match=r"callback_at: .*its tzinfo failed") as caught:
        case.escalate(callback_at=broken, now=ny(23, 12, 0))
    assert [problem.location for problem in caught.value.problems] == ["callback_at"]
    assert case.journal.head() == head  # nothing recorded: the case still waits for its escalation
    assert case.history[-1].kind == "decided"


def test_without_hours_the_range_is_now_to_callback_within() -> None:
    policy = always_open(RITZ)
    case = escalated_case(MemoryJournal(), ny(23, 23, 30), policy)
    with pytest.raises(InvalidInputError) as refused:
        case.escalate(callback_at=ny(24, 1, 31), now=ny(23, 23, 30))
    assert "from Mon 2026-11-23 23:30 to Tue 2026-11-24 01:30 (America/New_York): a callback" in str(refused.value)
    assert "while the business is open" not in str(refused.value)
    assert case.escalate(callback_at=ny(24, 1, 30), now=ny(23, 23, 30)).callback_due == ny(24, 1, 30)


@settings(max_examples=examples(40))
@given(
    now=st.datetimes(
        min_value=dt.datetime(2026, 11, 20),  # noqa: DTZ001 - hypothesis wants naive bounds, timezones= adds the zone
        max_value=dt.datetime(2026, 11, 27),  # noqa: DTZ001 - as above
        timezones=st.just(NEW_YORK),
    ),
    offset=st.integers(-60, 30 * 60),
)
def test_a_chosen_callback_is_accepted_iff_within_the_range(now: dt.datetime, offset: int) -> None:
    policy = hours_policy({"default": "09:00-17:00", "saturday": "10:00-14:00", "sunday": "closed"})
    case = escalated_case(MemoryJournal(), now, policy, "400.00")  # to the supervisor, who calls back within 1h
    chosen = now + dt.timedelta(minutes=offset)
    hours = compiled_policy(policy).hours
    assert hours is not None
    earliest = hours.next_open(now)
    latest = compiled_policy(policy).promise(now, dt.timedelta(hours=1))
    inside = any(opens <= chosen <= closes for opens, closes in open_intervals(policy, now, chosen))
    expected = earliest <= chosen <= latest and inside
    note(f"earliest={earliest} latest={latest} chosen={chosen} inside={inside}")
    if expected:
        assert case.escalate(callback_at=chosen, now=now).callback_due == chosen
    else:
        with pytest.raises(InvalidInputError, match="callback_at: must be from"):
            case.escalate(callback_at=chosen, now=now)
        assert case.state is CaseState.BEYOND_AUTHORITY
