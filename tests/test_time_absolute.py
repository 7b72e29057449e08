"""Time is absolute: durations are added in UTC, and one instant gives one resolution in whatever zone it is given.

A callback "within 30 minutes" of 1:10 in the hour a clock goes back is 30 real minutes later, not 1:40 on the
wall clock (which is half an hour *before* the decision), and "within 2 hours" across a clock change is two real
hours, not one or three. Times too close to the ends of the calendar are refused with a typed error, never an
``OverflowError``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from recovery_rules import (
    Case,
    Complaint,
    ComplaintNumber,
    Customer,
    Draft,
    InvalidInputError,
    MemoryJournal,
    Money,
    Outcome,
    Policy,
    Remedy,
    Resolution,
    Window,
    Wording,
    presets,
)
from recovery_rules.testing import policies, resolution_violations

from ._helpers import always_open, examples

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
NEW_YORK = ZoneInfo("America/New_York")
RECEIVED = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def theme_park() -> Policy:
    """The preset always open: these tests are about durations added in absolute time (business hours count
    open time instead: tests/test_business_hours.py)."""
    return always_open(presets.theme_park())


@pytest.fixture(scope="module")
def ritz() -> Policy:
    return always_open(presets.ritz_carlton())


def ask(amount: str, received_at: dt.datetime, *, category: str = "ride_closed") -> Complaint:
    return Complaint(
        customer=Customer(id="G7"),
        category=category,
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=received_at,
    )


def absolute(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


# -- the callback is a real promise --------------------------------------------------------------------------


def test_a_callback_in_the_hour_the_clock_repeats_is_after_the_decision(theme_park: Policy) -> None:
    # 1:10 the second time round (fold=1) is 09:10 UTC; the guest-relations callback is within 30 minutes.
    now = dt.datetime(2026, 11, 1, 1, 10, fold=1, tzinfo=LOS_ANGELES)
    resolution = theme_park.decide(ask("200.00", now), by="ticket_agent", now=now)
    assert resolution.outcome is Outcome.ESCALATED
    assert resolution.escalate_to == "guest_relations"
    assert resolution.decided_at == dt.datetime(2026, 11, 1, 9, 10, tzinfo=dt.UTC)
    assert resolution.callback_by == dt.datetime(2026, 11, 1, 9, 40, tzinfo=dt.UTC)
    assert absolute(resolution.callback_by) > absolute(resolution.decided_at)


def test_the_same_instant_in_utc_and_on_the_wall_clock_gives_the_same_resolution(theme_park: Policy) -> None:
    local = dt.datetime(2026, 11, 1, 1, 10, fold=1, tzinfo=LOS_ANGELES)
    complaint = ask("200.00", local)
    in_zone = theme_park.decide(complaint, by="ticket_agent", now=local)
    in_utc = theme_park.decide(complaint, by="ticket_agent", now=local.astimezone(dt.UTC))
    fixed = theme_park.decide(complaint, by="ticket_agent", now=local.astimezone(dt.timezone(dt.timedelta(hours=-8))))
    assert in_zone == in_utc == fixed
    assert in_zone.model_dump_json() == in_utc.model_dump_json() == fixed.model_dump_json()


@pytest.mark.parametrize(
    ("local", "callback"),
    [
        # 01:30 EST on the night clocks go forward: two real hours later is 04:30 EDT (the wall shows three)
        (dt.datetime(2026, 3, 8, 1, 30, tzinfo=NEW_YORK), dt.datetime(2026, 3, 8, 8, 30, tzinfo=dt.UTC)),
        # 00:30 EDT on the night clocks go back: two real hours later is 01:30 EST (the wall shows one)
        (dt.datetime(2026, 11, 1, 0, 30, tzinfo=NEW_YORK), dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)),
    ],
)
def test_within_two_hours_is_two_real_hours_across_a_clock_change(
    ritz: Policy, local: dt.datetime, callback: dt.datetime
) -> None:
    resolution = ritz.decide(ask("2500.00", local, category="room_not_ready"), by="staff", now=local)
    assert resolution.escalate_to == "manager"  # callback within 2h
    assert resolution.callback_by == callback
    assert absolute(resolution.callback_by) - absolute(local) == dt.timedelta(hours=2)


def test_the_promised_time_is_said_on_the_policys_wall_clock(theme_park: Policy) -> None:
    now = dt.datetime(2026, 11, 1, 1, 10, fold=1, tzinfo=LOS_ANGELES)
    resolution = theme_park.decide(ask("200.00", now), by="ticket_agent", now=now)
    wording = Wording(theme_park)
    assert wording.time(resolution.callback_by or now, now=resolution.decided_at) == "1:40 tonight"
    assert "1:40 tonight" in wording.say(resolution)


def test_resolution_violations_sees_a_callback_added_on_the_wall_clock(theme_park: Policy) -> None:
    now = dt.datetime(2026, 11, 1, 1, 10, fold=1, tzinfo=LOS_ANGELES)
    complaint = ask("200.00", now)
    resolution = theme_park.decide(complaint, by="ticket_agent", now=now)
    assert resolution_violations(theme_park, complaint, "ticket_agent", None, resolution, now=now) == []
    wall_clock = now + dt.timedelta(minutes=30)  # 1:40 with fold=0: 08:40 UTC, half an hour before the decision
    wrong = resolution.model_copy(update={"callback_by": wall_clock, "decided_at": now})
    problems = resolution_violations(theme_park, complaint, "ticket_agent", None, wrong, now=now)
    assert any("is not after the decision" in problem for problem in problems), problems
    three_hours = resolution.model_copy(update={"callback_by": resolution.decided_at + dt.timedelta(hours=3)})
    problems = resolution_violations(theme_park, complaint, "ticket_agent", None, three_hours, now=now)
    assert any("in absolute time" in problem for problem in problems), problems


def test_resolution_violations_judges_times_given_on_the_wall_clock_in_absolute_time(theme_park: Policy) -> None:
    """decided_at and callback_by given in the policy's own zone, across the night its clock goes back: 30 real
    minutes after 1:50 PDT is 1:20 PST (the wall clock shows half an hour *earlier*), and 2:20 PST, which the
    wall clock shows 30 minutes on, is 90 real minutes on."""
    now = dt.datetime(2026, 11, 1, 1, 50, tzinfo=LOS_ANGELES)  # 1:50 PDT, the first time round: 08:50 UTC
    complaint = ask("200.00", now)
    resolution = theme_park.decide(complaint, by="ticket_agent", now=now)
    assert resolution.escalate_to == "guest_relations"  # calls back within 30 minutes
    in_zone = resolution.model_copy(
        update={"decided_at": now, "callback_by": dt.datetime(2026, 11, 1, 1, 20, fold=1, tzinfo=LOS_ANGELES)}
    )
    assert absolute(in_zone.callback_by or now) == absolute(resolution.callback_by or now)
    assert resolution_violations(theme_park, complaint, "ticket_agent", None, in_zone, now=now) == []
    wall_clock = in_zone.model_copy(update={"callback_by": dt.datetime(2026, 11, 1, 2, 20, tzinfo=LOS_ANGELES)})
    problems = resolution_violations(theme_park, complaint, "ticket_agent", None, wall_clock, now=now)
    assert any("in absolute time" in problem for problem in problems), problems


# -- the ledger's rolling window ---------------------------------------------------------------------------


def test_a_rolling_window_reaches_back_its_duration_in_real_time() -> None:
    journal = MemoryJournal()
    number = ComplaintNumber.parse("20260307-10442")
    now = dt.datetime(2026, 3, 8, 12, 0, tzinfo=NEW_YORK)  # 16:00 UTC, after the clocks went forward at 07:00 UTC
    for version, hours in enumerate((24.5, 23.5)):  # real hours before now: one outside a 1-day window, one inside
        journal.append(
            number,
            Draft(
                kind="granted",
                state="granted",
                actor="staff",
                at=absolute(now) - dt.timedelta(hours=hours),
                grant=Money("10.00", "USD"),
            ),
            expected_version=version,
            key=f"grant-{version}",
            request={},
        )
    window = Window.rolling(dt.timedelta(days=1))
    for moment in (now, absolute(now), now.astimezone(LOS_ANGELES)):
        granted = journal.granted(number, window=window, timezone="America/New_York", currency="USD", now=moment)
        assert granted == Money("10.00", "USD")


# -- the ends of the calendar --------------------------------------------------------------------------------


def test_a_callback_past_the_end_of_the_calendar_is_a_typed_error(ritz: Policy) -> None:
    now = dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.UTC)  # a complaint received now would be refused as a date
    complaint = ask("2500.00", RECEIVED, category="room_not_ready")
    with pytest.raises(InvalidInputError, match="now: is too far in the future to promise a callback 2h later"):
        ritz.decide(complaint, by="staff", now=now)
    assert ritz.decide(ask("20.00", RECEIVED, category="room_not_ready"), by="staff", now=now).approved


def test_a_callback_from_the_first_hours_of_the_calendar_is_a_typed_error(ritz: Policy) -> None:
    now = dt.datetime(1, 1, 1, 3, 0, tzinfo=dt.UTC)  # New York cannot show it: it is still year 0 there
    with pytest.raises(InvalidInputError, match="now: is too far in the past to promise a callback"):
        ritz.decide(ask("2500.00", RECEIVED, category="room_not_ready"), by="staff", now=now)


def test_a_time_that_is_no_instant_in_utc_is_a_typed_error(ritz: Policy) -> None:
    now = dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))  # in the year 10000 in UTC
    with pytest.raises(InvalidInputError, match="now: is outside the years 1 to 9999 once in UTC"):
        ritz.decide(ask("20.00", RECEIVED, category="room_not_ready"), by="staff", now=now)


def test_a_case_step_at_the_end_of_the_calendar_is_a_typed_error(theme_park: Policy) -> None:
    now = dt.datetime(9999, 12, 31, 12, 0, tzinfo=dt.UTC)
    with pytest.raises(InvalidInputError, match="now: is out of range: a time must be from the year 1900 to 8999"):
        Case.open(MemoryJournal(), theme_park, ask("20.00", RECEIVED), by="ticket_agent", now=now)


LAST_RECORDED = dt.datetime(8999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)
"""The last instant a journal records (every time given to the library is before the year 9000 in UTC)."""


@pytest.mark.parametrize(
    "now",
    [
        LAST_RECORDED + dt.timedelta(microseconds=1),
        dt.datetime(9500, 6, 1, tzinfo=dt.UTC),
        dt.datetime(1899, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
    ],
    ids=["year 9000", "year 9500", "year 1899"],
)
def test_a_case_step_at_a_time_no_journal_records_is_refused_at_now(theme_park: Policy, now: dt.datetime) -> None:
    """Told about the step's ``now``, the argument the caller gave, not the journal's ``append`` it never called."""
    with MemoryJournal() as journal:
        case = Case.open(journal, theme_park, ask("20.00", RECEIVED), by="ticket_agent", now=RECEIVED)
        with pytest.raises(InvalidInputError, match=r"^invalid time: now: is out of range") as refused:
            case.listen(now=now)
        assert [problem.location for problem in refused.value.problems] == ["now"]
        assert journal.version(case.number) == 1  # nothing written
        assert case.listen(now=RECEIVED + dt.timedelta(minutes=1)).kind == "listened"


def test_a_case_step_may_be_dated_at_the_last_instant_a_journal_records(theme_park: Policy) -> None:
    with MemoryJournal(clock=lambda: LAST_RECORDED) as journal:  # a step may not be ahead of the journal's clock
        case = Case.open(journal, theme_park, ask("20.00", RECEIVED), by="ticket_agent", now=RECEIVED)
        assert case.listen(now=LAST_RECORDED).at == LAST_RECORDED


def test_a_chosen_callback_no_journal_records_is_refused_at_callback_at(ritz: Policy) -> None:
    with MemoryJournal() as journal:
        case = Case.open(journal, ritz, ask("2500.00", RECEIVED, category="room_not_ready"), by="staff", now=RECEIVED)
        case.listen(now=RECEIVED)
        case.apologize(now=RECEIVED)
        case.ask_preferred_solution(now=RECEIVED)
        assert not case.decide(now=RECEIVED).approved
        version = journal.version(case.number)
        with pytest.raises(InvalidInputError, match=r"^invalid time: callback_at: is out of range"):
            case.escalate(callback_at=LAST_RECORDED + dt.timedelta(microseconds=1), now=RECEIVED)
        assert journal.version(case.number) == version  # nothing written


LAST_INSTANT = dt.datetime(9999, 12, 29, 23, 59, 59, 999999, tzinfo=dt.UTC)
"""The last instant recovery-rules can show in every time zone (two days before the calendar ends)."""


def test_a_callback_may_fall_due_at_the_last_instant_the_calendar_shows(ritz: Policy) -> None:
    complaint = ask("2500.00", RECEIVED, category="room_not_ready")  # the manager calls back within 2h
    now = LAST_INSTANT - dt.timedelta(hours=2)
    assert ritz.decide(complaint, by="staff", now=now).callback_by == LAST_INSTANT
    with pytest.raises(InvalidInputError, match="now: is too far in the future to promise a callback 2h later"):
        ritz.decide(complaint, by="staff", now=now + dt.timedelta(microseconds=1))


def test_the_wording_shows_the_last_instant_the_calendar_shows(ritz: Policy) -> None:
    complaint = ask("2500.00", RECEIVED, category="room_not_ready")
    resolution = ritz.decide(complaint, by="staff", now=LAST_INSTANT - dt.timedelta(hours=2))
    assert "call you back by 6:59 this evening" in Wording(ritz).say(resolution)  # 18:59 in New York
    with pytest.raises(InvalidInputError, match="when: must be between"):
        Wording(ritz).time(LAST_INSTANT + dt.timedelta(microseconds=1), now=LAST_INSTANT)


@pytest.mark.parametrize(
    ("when", "field"),
    [
        (dt.datetime.max.replace(tzinfo=dt.UTC), "when"),
        (dt.datetime(1, 1, 1, 1, 0, tzinfo=dt.UTC), "when"),
    ],
)
def test_the_wording_refuses_a_time_it_cannot_show(theme_park: Policy, when: dt.datetime, field: str) -> None:
    with pytest.raises(InvalidInputError, match=f"{field}: must be between"):
        Wording(theme_park).time(when, now=dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC))


def test_saying_a_resolution_with_a_time_no_zone_can_show_is_a_typed_error(theme_park: Policy) -> None:
    now = dt.datetime(2026, 11, 1, 1, 10, tzinfo=LOS_ANGELES)
    resolution = theme_park.decide(ask("200.00", now), by="ticket_agent", now=now)
    far = resolution.model_copy(update={"callback_by": dt.datetime.max.replace(tzinfo=dt.UTC)})
    with pytest.raises(InvalidInputError, match="callback_by: must be between"):
        Wording(theme_park).say(far)


# -- the property: one instant, one resolution; every callback a real promise ---------------------------------

_DST_ZONES = ("America/Los_Angeles", "Europe/London", "Australia/Lord_Howe", "America/Santiago")
_ZONES: tuple[dt.tzinfo, ...] = (
    *(ZoneInfo(name) for name in _DST_ZONES),
    ZoneInfo("UTC"),
    dt.UTC,
    dt.timezone(dt.timedelta(hours=5, minutes=45)),
    dt.timezone(dt.timedelta(hours=-3, minutes=-30)),
)


def _clock_changes(name: str) -> list[dt.datetime]:
    """The instants (UTC) when the clocks of ``name`` change in 2025 to 2027, to the minute."""
    zone, changes = ZoneInfo(name), []
    moment = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    while moment.year < 2028:
        after = moment + dt.timedelta(days=1)
        if moment.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset():
            low, high = moment, after
            while high - low > dt.timedelta(minutes=1):
                middle = low + (high - low) / 2
                same = middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset()
                low, high = (middle, high) if same else (low, middle)
            changes.append(high)
        moment = after
    return changes


CLOCK_CHANGES = sorted({change for name in _DST_ZONES for change in _clock_changes(name)})


def test_the_property_explores_every_kind_of_clock_change() -> None:
    # two changes a year in each zone with daylight-saving time (Santiago's and Lord Howe's rules included)
    assert len(CLOCK_CHANGES) >= 2 * 3 * len(_DST_ZONES) - 2


@st.composite
def instants(draw: st.DrawFn) -> dt.datetime:
    """A decision time: near a clock change (or anywhere in 2025-2027), as the wall time of a zone, fold 0 or 1."""
    near = draw(st.sampled_from(CLOCK_CHANGES)) + dt.timedelta(minutes=draw(st.integers(-240, 240)))
    anywhere = dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=draw(st.integers(0, 3 * 365 * 24 * 60)))
    moment = draw(st.sampled_from((near, anywhere)))
    wall = moment.astimezone(draw(st.sampled_from(_ZONES)))
    return wall.replace(fold=draw(st.sampled_from((0, 1))))  # the other fold names another instant, or none at all


@st.composite
def escalations(draw: st.DrawFn) -> tuple[Policy, Complaint, str, dt.datetime]:
    """A policy (a preset or a generated one), a complaint above its lowest level's limit, and when it is decided."""
    policy = draw(st.one_of(st.sampled_from([presets.load(name) for name in presets.NAMES]), policies()))
    lowest = policy.levels[0]
    limit = Money.zero(policy.currency) if lowest.limit is None else lowest.limit
    over = Money(draw(st.sampled_from(("0", "1", "100", "5000"))), policy.currency)
    now = draw(instants())
    complaint = Complaint(
        customer=Customer(id="G7"),
        # an unlisted category too, but for a policy that refuses one (strict_categories)
        category=draw(
            st.sampled_from([*policy.categories, *(() if policy.strict_categories else ("never_heard_of",))])
        ),
        requested=Remedy(kind=draw(st.sampled_from(policy.vocabulary)), amount=limit + over),
        received_at=now,
    )
    return policy, complaint, lowest.name, now


@settings(max_examples=examples(150))
@given(escalations(), st.sampled_from(_ZONES))
def test_one_instant_gives_one_resolution_and_every_callback_is_a_real_promise(
    case: tuple[Policy, Complaint, str, dt.datetime], elsewhere: dt.tzinfo
) -> None:
    policy, complaint, by, now = case
    note(f"now={now!r} ({absolute(now).isoformat()})")
    resolution = policy.decide(complaint, by=by, now=now)
    # (a) the same instant, given in UTC or in any other zone, gives the same resolution
    for same in (absolute(now), now.astimezone(elsewhere)):
        other = policy.decide(complaint, by=by, now=same)
        assert other == resolution
        assert other.model_dump_json() == resolution.model_dump_json()
    assert absolute(resolution.decided_at) == absolute(now)
    # (b) a promised callback is strictly after the decision, exactly callback_within later in absolute time
    # (with business hours, callback_within of open time: resolution_violations checks it, see
    # tests/test_business_hours.py; it is never sooner than callback_within in absolute time)
    if resolution.outcome is Outcome.ESCALATED:
        assert resolution.escalate_to is not None
        assert resolution.callback_by is not None
        within = policy.level(resolution.escalate_to).callback_within
        assert within is not None
        assert absolute(resolution.callback_by) > absolute(resolution.decided_at)
        if policy.business_hours is None:
            assert absolute(resolution.callback_by) - absolute(now) == within
        else:
            assert absolute(resolution.callback_by) - absolute(now) >= within
    assert resolution_violations(policy, complaint, by, None, resolution, now=now) == []


@settings(max_examples=examples(60))
@given(escalations())
def test_a_case_promises_the_callback_of_its_decision_in_absolute_time(
    case: tuple[Policy, Complaint, str, dt.datetime],
) -> None:
    policy, complaint, by, now = case
    opened = Case.open(MemoryJournal(clock=lambda: now), policy, complaint, by=by, now=now)  # the test's clock
    for step in (opened.listen, opened.apologize, opened.ask_preferred_solution):
        step(now=now)
    resolution = opened.decide(now=now)
    if resolution.outcome is Outcome.ESCALATED:
        opened.escalate(now=now)
        assert opened.callback_by == resolution.callback_by
        assert resolution.callback_by is not None
        assert absolute(resolution.callback_by) > absolute(now)
    assert isinstance(resolution, Resolution)
