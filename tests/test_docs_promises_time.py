"""Audit 95: the promises about time, where the pages' own examples do not go.

guarantees.md §6: "Every duration the library adds is added in absolute time ... and the result shown in the
policy's time zone only when it is said to someone." business-hours.md: a callback is promised while the business
is open, counted in real time on the nights the clocks change. run-a-case.md and journal.md: the journal's and the
case's clock bounds. case-path.md: ``overdue_callbacks(now)`` lists a case "once it has passed".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from recovery_rules import (
    Case,
    Complaint,
    Customer,
    InvalidInputError,
    MemoryJournal,
    Money,
    Policy,
    Remedy,
    Wording,
    presets,
    say,
)

from ._journal_backends import BACKENDS, Harness

NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
TOKYO = ZoneInfo("Asia/Tokyo")
RITZ = presets.ritz_carlton()
MICROSECOND = dt.timedelta(microseconds=1)


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    harness = BACKENDS[request.param](tmp_path)
    yield harness
    harness.close()


def _complaint(customer: str, at: dt.datetime, amount: str = "3000.00") -> Complaint:
    return Complaint(
        customer=Customer(id=customer),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=at,
    )


def _always_open(callback_within: str) -> Policy:
    """The Ritz preset without business hours, its levels calling back within ``callback_within``."""
    settings = RITZ.model_dump(mode="json")
    settings["business_hours"] = None
    for level in settings["levels"]:
        if level.get("callback_within"):
            level["callback_within"] = callback_within
    return Policy.model_validate(settings)


def _lord_howe(hours: str, callback_within: str) -> Policy:
    """A small always-the-same policy on Lord Howe Island, whose clocks move by 30 minutes."""
    return Policy.from_text(
        f"""
name = "Lord Howe Lodge"
currency = "USD"
timezone = "Australia/Lord_Howe"
window = "incident"
denials_delivered_by = "manager"

[business_hours]
default = "{hours}"

[[levels]]
name = "staff"
limit = "200.00"

[[levels]]
name = "manager"
limit = "2000.00"
callback_within = "{callback_within}"

[[catalog]]
id = "callback"
kind = "callback"
description = "We call you back as soon as the manager has decided."
value = "0"
applies_to = ["*"]

[[catalog]]
id = "tips"
kind = "local_tips"
description = "Our host's ideas for this evening."
value = "0"
applies_to = ["*"]

[[catalog]]
id = "note"
kind = "apology_note"
description = "A handwritten apology from the front office."
value = "0"
applies_to = ["*"]
"""
    )


# -- Wording: a time after midnight -----------------------------------------------------------------------------


def test_a_callback_the_next_night_said_after_midnight_is_not_tonight() -> None:
    """customize-wording.md: "the night until 5:00 the next morning (so a callback at 0:30 is still 'tonight')".
    Said at 1:00 on Tuesday, Tuesday 3:00 is tonight; Wednesday 2:00 is the next night, not "2:00 tonight"."""
    wording = Wording(RITZ)
    one_am = dt.datetime(2026, 11, 24, 1, 0, tzinfo=NEW_YORK)  # Tuesday, still Monday's night
    assert wording.time(one_am + dt.timedelta(hours=2), now=one_am) == "3:00 tonight"
    next_night = dt.datetime(2026, 11, 25, 2, 0, tzinfo=NEW_YORK)  # 25 hours later
    assert wording.time(next_night, now=one_am) != wording.time(
        dt.datetime(2026, 11, 24, 2, 0, tzinfo=NEW_YORK), now=one_am
    )
    assert wording.time(next_night, now=one_am) == "2:00 tomorrow night"


def test_an_escalation_after_midnight_does_not_promise_a_callback_a_day_early() -> None:
    """guarantees.md §6: the promise is said on the policy's wall clock; here 25 hours of absolute time."""
    policy = _always_open("25h")
    one_am = dt.datetime(2026, 11, 24, 1, 0, tzinfo=NEW_YORK)
    resolution = policy.decide(_complaint("10442", one_am), by="staff", now=one_am)
    assert resolution.callback_by == dt.datetime(2026, 11, 25, 2, 0, tzinfo=NEW_YORK)
    words = say(resolution, policy)
    assert "call you back by 2:00 tonight" not in words
    assert "call you back by 2:00 tomorrow night" in words


# -- overdue exactly at the due instant -------------------------------------------------------------------------


def test_a_callback_is_overdue_a_microsecond_after_it_is_due_not_at_it_on_every_backend(backend: Harness) -> None:
    """case-path.md: ``overdue_callbacks(now)`` lists the case "once it has passed": not at the due instant itself,
    from the next microsecond on, whatever zone ``now`` is given in (the SQL backends compare stored texts)."""
    now = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC)
    journal = backend.journal()
    case = Case.open(journal, RITZ, _complaint("10442", now), by="staff", clock=lambda: now)
    case.listen()
    case.apologize()
    case.ask_preferred_solution()
    case.decide()
    case.escalate()
    due = case.callback_by
    assert due is not None
    assert journal.overdue_callbacks(due) == []
    assert journal.overdue_callbacks(due.astimezone(TOKYO)) == []
    late = due + MICROSECOND
    assert [summary.number for summary in journal.overdue_callbacks(late)] == [case.number]
    assert [summary.number for summary in journal.overdue_callbacks(late.astimezone(NEW_YORK))] == [case.number]


# -- the clock bounds are inclusive -----------------------------------------------------------------------------


def test_a_step_exactly_max_ahead_of_the_journals_clock_is_recorded_and_a_microsecond_more_is_not() -> None:
    """journal.md: "a step dated more than ``max_ahead`` after it is refused ... and nothing is written"."""
    clock = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC)
    journal = MemoryJournal(clock=lambda: clock)
    edge = clock + dt.timedelta(minutes=5)
    Case.open(journal, RITZ, _complaint("1", edge), by="staff", now=edge)
    with pytest.raises(InvalidInputError, match="more than 5 minutes ahead") as refused:
        Case.open(journal, RITZ, _complaint("2", edge), by="staff", now=edge + MICROSECOND)
    assert refused.value.problems[0].location == "now"
    assert journal.head().count == 1


def test_a_step_exactly_five_minutes_before_the_last_is_recorded_and_a_microsecond_more_is_not() -> None:
    """run-a-case.md: "a step dated more than five minutes before the case's latest step ... is refused with
    ``InvalidInputError`` at ``now``, and nothing is recorded"."""
    now = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC)
    journal = MemoryJournal(clock=lambda: now)
    behind = Case.open(journal, RITZ, _complaint("1", now), by="staff", now=now)
    behind.listen(now=now - dt.timedelta(minutes=5))
    too_far = Case.open(journal, RITZ, _complaint("2", now), by="staff", now=now)
    with pytest.raises(InvalidInputError) as refused:
        too_far.listen(now=now - dt.timedelta(minutes=5) - MICROSECOND)
    assert refused.value.problems[0].location == "now"
    assert [event.kind for event in journal.events(too_far.number)] == ["opened"]


def test_steps_each_dated_a_little_before_the_one_before_cannot_walk_a_case_back_in_time() -> None:
    """run-a-case.md: counted from the case's latest step, not its last: opened at 20:00, a step at 19:56 is
    recorded, and one at 19:54 (within five minutes of 19:56, but not of 20:00) is refused."""
    now = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC)
    journal = MemoryJournal(clock=lambda: now)
    case = Case.open(journal, RITZ, _complaint("3", now), by="staff", now=now)
    case.listen(now=now - dt.timedelta(minutes=4))
    with pytest.raises(InvalidInputError, match="before the case's latest step \\(opened at 2026-11-23 20:00:00"):
        case.apologize(now=now - dt.timedelta(minutes=6))
    assert [event.kind for event in journal.events(case.number)] == ["opened", "listened"]


def test_a_step_refused_as_too_early_names_the_last_of_the_steps_dated_latest() -> None:
    """Opened and listened to at the same 20:00: a step at 19:50 is before the case's latest step, which is the
    listening (the later of the two recorded at that time), as the refusal says."""
    now = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC)
    journal = MemoryJournal(clock=lambda: now)
    try:
        case = Case.open(journal, RITZ, _complaint("3", now), by="staff", now=now)
        case.listen(now=now)
        with pytest.raises(InvalidInputError, match="before the case's latest step \\(listened at 2026-11-23 20:00:00"):
            case.apologize(now=now - dt.timedelta(minutes=10))
    finally:
        journal.close()


# -- a chosen callback time on the nights Lord Howe's clocks move by 30 minutes ---------------------------------


@pytest.mark.parametrize(
    ("decided", "latest"),
    [
        # 4 October 2026: 2:00 becomes 2:30. From 1:00, two hours of open time end at 3:30 (+11:00).
        (dt.datetime(2026, 10, 4, 1, 0, tzinfo=LORD_HOWE), dt.datetime(2026, 10, 4, 3, 30, tzinfo=LORD_HOWE)),
        # 5 April 2026: 2:00 becomes 1:30 again. From 1:00, two hours of open time end at 2:30 (+10:30).
        (dt.datetime(2026, 4, 5, 1, 0, tzinfo=LORD_HOWE), dt.datetime(2026, 4, 5, 2, 30, tzinfo=LORD_HOWE)),
    ],
)
def test_a_chosen_callback_is_accepted_up_to_the_last_instant_of_real_open_time_on_lord_howe(
    decided: dt.datetime, latest: dt.datetime
) -> None:
    """business-hours.md: the chosen time "must lie between the earliest the level can call ... and the level's
    ``callback_within`` counted in business hours"; "Open time is measured in real time"."""
    policy = _lord_howe("01:00-04:00", "2h")
    assert latest.astimezone(dt.UTC) - decided.astimezone(dt.UTC) == dt.timedelta(hours=2)
    for customer, chosen, accepted in (("1", latest, True), ("2", latest + MICROSECOND, False)):
        journal = MemoryJournal(clock=lambda: decided)
        case = Case.open(journal, policy, _complaint(customer, decided, "500.00"), by="staff", clock=lambda: decided)
        case.listen()
        case.apologize()
        case.ask_preferred_solution()
        case.decide()
        if accepted:
            case.escalate(callback_at=chosen.astimezone(TOKYO))  # any zone: the same instant
            assert case.callback_by == chosen
        else:
            with pytest.raises(InvalidInputError, match=r"\(Australia/Lord_Howe\), while the business is open"):
                case.escalate(callback_at=chosen)
            assert [event.kind for event in journal.events(case.number)][-1] == "decided"


# -- the business date of a complaint on the night the clocks go back -------------------------------------------


def test_the_complaint_number_is_the_business_date_either_side_of_midnight_on_a_25_hour_day() -> None:
    """``ComplaintNumber.for_complaint``: the date is "the day received_at falls on in that zone, whatever zone
    it was given in". 1 November 2026 is 25 hours long in New York; given in Tokyo time here."""
    first = dt.datetime(2026, 11, 1, 0, 0, tzinfo=NEW_YORK)
    last = dt.datetime(2026, 11, 1, 23, 59, 59, 999999, tzinfo=NEW_YORK)
    assert last.astimezone(dt.UTC) - first.astimezone(dt.UTC) == dt.timedelta(hours=25) - MICROSECOND
    journal = MemoryJournal(clock=lambda: last + dt.timedelta(days=1))
    numbers = [
        str(
            Case.open(journal, RITZ, _complaint("77", moment.astimezone(TOKYO), "50.00"), by="staff", now=moment).number
        )
        for moment in (first - MICROSECOND, first, last, last + MICROSECOND)
    ]
    assert numbers == ["20261031-77", "20261101-77", "20261101-77/2", "20261102-77"]


@pytest.mark.slow
def test_the_service_lists_a_closed_case_whose_personal_call_is_late_from_the_microsecond_after_it_is_due() -> None:
    """case-path.md: the journal lists the case, "closed or not, among ``overdue_callbacks(now)`` once the time has
    passed"; ``GET /v1/callbacks/overdue`` answers what the journal lists at the service's clock (http-api.md says
    "open cases", which a closed case owed a personal call is not)."""
    from ._server import NOW, serve  # noqa: PLC0415 - the server extra: only this test skips without it

    clock = [NOW]
    served = serve(clock=lambda: clock[0])
    try:
        case = Case.open(served.journal, RITZ, _complaint("10442", NOW, "30000.00"), by="staff", clock=lambda: NOW)
        for step in (case.listen, case.apologize, case.ask_preferred_solution, case.decide, case.explain_denial):
            step()
        case.decline_alternatives()
        case.make_final_offer()
        case.decline_final_offer()
        case.write_report(summary="The guest wanted the whole stay refunded.")
        case.thank()
        case.close()
        due = case.callback_by
        assert due is not None
        clock[0] = due.astimezone(NEW_YORK)
        assert served.get("/v1/callbacks/overdue").json()["cases"] == []
        clock[0] = (due + MICROSECOND).astimezone(TOKYO)
        (listed,) = served.get("/v1/callbacks/overdue").json()["cases"]
        assert (listed["complaint_number"], listed["state"]) == (str(case.number), "closed")
        assert dt.datetime.fromisoformat(listed["callback_by"]) == due
    finally:
        served.journal.close()
