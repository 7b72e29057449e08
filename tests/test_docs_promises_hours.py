"""Audit 142: business-hours.md, third pass, at the edges its examples do not show.

"A callback may fall at closing time itself"; hours past midnight are "two days' periods"; the customer's
``callback_at`` "must lie between the earliest the level can call ... and the level's callback_within counted in
business hours, while the business is open; outside that range, InvalidInputError says the range on the policy's
wall clock, so the employee can offer a time in it"; "the wording says it on the policy's wall clock ('by 9:00
tomorrow morning')", with customize-wording.md's night "until 5:00 the next morning".
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from recovery_rules import (
    Case,
    CaseState,
    Complaint,
    Customer,
    InvalidInputError,
    MemoryJournal,
    Money,
    Policy,
    PolicyError,
    Remedy,
    Wording,
    say,
)

NEW_YORK = ZoneInfo("America/New_York")
MICROSECOND = dt.timedelta(microseconds=1)


def harbor(hours: str, callback_within: str = "2h") -> Policy:
    """business-hours.md's Harbor Hotel with the ``[business_hours]`` table ``hours`` (TOML lines)."""
    return Policy.from_text(
        f"""
name = "Harbor Hotel"
currency = "USD"
timezone = "America/New_York"
window = "incident"
denials_delivered_by = "manager"
personal_call_within = "4h"

[business_hours]
{hours}

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
description = "Our concierge's ideas for this evening."
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


HARBOR_WEEK = 'default = "07:00-22:00"\nsaturday = "09:00-12:00, 13:00-18:00"\nsunday = "closed"'


def ny(month: int, day: int, hour: int, minute: int = 0, *, fold: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, fold=fold, tzinfo=NEW_YORK)


def noise(at: dt.datetime, amount: str = "500.00") -> Complaint:
    return Complaint(
        customer=Customer(id="10442"),
        category="noise",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=at,
    )


def decided_case(journal: MemoryJournal, policy: Policy, at: dt.datetime, amount: str = "500.00") -> Case:
    case = Case.open(journal, policy, noise(at, amount), by="staff", clock=lambda: at)
    for step in (case.listen, case.apologize, case.ask_preferred_solution, case.decide):
        step()
    return case


# -- counted in open time, at the edges of a period ---------------------------------------------------------------


def test_a_callback_comes_due_at_the_closing_of_the_morning_not_after_the_lunch_break() -> None:
    """Saturday 09:00-12:00, 13:00-18:00: two hours from 10:00 is 12:00, the morning's closing itself."""
    policy = harbor(HARBOR_WEEK)
    resolution = policy.decide(noise(ny(11, 28, 10)), by="staff", now=ny(11, 28, 10))
    assert resolution.callback_by == ny(11, 28, 12)
    assert "call you back by 12:00 this afternoon" in say(resolution, policy)


def test_hours_past_midnight_written_as_two_days_periods_count_on_across_midnight() -> None:
    """ "hours past midnight are two days' periods": 18:00-24:00 and the next day's 00:00-02:00 are one stretch,
    so two hours from 23:30 is 1:30, said as tonight; "22:00-02:00" itself is refused saying how to write it."""
    policy = harbor('default = "00:00-02:00, 18:00-24:00"')
    resolution = policy.decide(noise(ny(11, 23, 23, 30)), by="staff", now=ny(11, 23, 23, 30))
    assert resolution.callback_by == ny(11, 24, 1, 30)
    assert "call you back by 1:30 tonight" in say(resolution, policy)
    with pytest.raises(PolicyError) as refused:
        harbor('default = "22:00-02:00"')
    (problem,) = refused.value.problems
    assert problem.location == "business_hours.default"
    assert "give the next day a period from 00:00" in problem.message


# -- the customer's time, at the edges of a day with a break ------------------------------------------------------


def test_a_chosen_callback_may_be_either_end_of_the_lunch_break_but_not_inside_it() -> None:
    """Saturday from 10:00 with 3h: the range is 10:00 to 14:00 "while the business is open": 12:00 (the morning's
    closing) and 13:00 (the afternoon's opening) are open, 12:30 is not, and nothing is recorded for it."""
    policy = harbor(HARBOR_WEEK, callback_within="3h")
    for chosen in (ny(11, 28, 12), ny(11, 28, 13), ny(11, 28, 14)):
        with MemoryJournal(clock=lambda: ny(11, 28, 10)) as journal:
            case = decided_case(journal, policy, ny(11, 28, 10))
            assert case.escalate(callback_at=chosen).callback_due == chosen
            assert case.callback_by == chosen
    with MemoryJournal(clock=lambda: ny(11, 28, 10)) as journal:
        case = decided_case(journal, policy, ny(11, 28, 10))
        with pytest.raises(InvalidInputError) as refused:
            case.escalate(callback_at=ny(11, 28, 12, 30))
        assert "must be from Sat 2026-11-28 10:00 to Sat 2026-11-28 14:00 (America/New_York)" in str(refused.value)
        assert case.state is CaseState.BEYOND_AUTHORITY
        assert len(journal.events(case.number)) == 5  # nothing recorded for the refused time


def test_a_refused_callback_time_says_which_pass_of_a_repeated_hour_its_range_ends_in() -> None:
    """On 1 November 2026 New York's wall clock shows 1:00-2:00 twice. Open around the clock, one hour from 0:30
    EDT ends at 1:30 EDT (the first pass). 1:20 EST (the second pass, 50 minutes later) is refused, rightly, but
    the message says the range is "from Sun 2026-11-01 00:30 to Sun 2026-11-01 01:30", which on the wall clock
    holds 1:20: the employee cannot tell from it which 1:20 the customer may have."""
    policy = harbor('default = "00:00-24:00"', callback_within="1h")
    with MemoryJournal(clock=lambda: ny(11, 1, 0, 30)) as journal:
        case = decided_case(journal, policy, ny(11, 1, 0, 30))
        with pytest.raises(InvalidInputError) as refused:
            case.escalate(callback_at=ny(11, 1, 1, 20, fold=1))
        message = refused.value.problems[0].message
        assert "-04:00" in message or "EDT" in message, message


def test_a_refused_callback_time_says_the_second_pass_of_a_repeated_hour_its_range_ends_in() -> None:
    """One hour from 1:10 EDT (the first pass of New York's repeated hour on 1 November 2026) ends at 1:10 EST,
    the second pass: the range a refused callback time is told names each end with its offset, the first -04:00
    and the second -05:00, or the two ends read alike."""
    policy = harbor('default = "00:00-24:00"', callback_within="1h")
    with MemoryJournal(clock=lambda: ny(11, 1, 1, 10)) as journal:
        case = decided_case(journal, policy, ny(11, 1, 1, 10))
        with pytest.raises(InvalidInputError) as refused:
            case.escalate(callback_at=ny(11, 1, 1, 30, fold=1))
        message = refused.value.problems[0].message
        assert "Sun 2026-11-01 01:10 -04:00 to Sun 2026-11-01 01:10 -05:00" in message, message


# -- the words said at the edges of the night ---------------------------------------------------------------------


def test_after_midnight_a_later_hour_of_the_coming_night_is_not_tonight() -> None:
    """customize-wording.md: the night runs "until 5:00 the next morning (so a callback at 0:30 is still
    'tonight')", and audit 95 made 2:00 the next night "tomorrow night" when said at 1:00. Said at 1:00 on Tuesday,
    "tonight" is Monday's night (3:00 Tuesday is "3:00 tonight"); 23:00 Tuesday and 2:00 Wednesday are one night,
    the next one, yet the first is said "11:00 tonight" and the second "2:00 tomorrow night"."""
    wording = Wording(harbor(HARBOR_WEEK))
    one_am = ny(11, 24, 1)
    assert wording.time(ny(11, 24, 3), now=one_am) == "3:00 tonight"
    assert wording.time(ny(11, 25, 2), now=one_am) == "2:00 tomorrow night"
    assert wording.time(ny(11, 24, 23), now=one_am) == "11:00 tomorrow night"


def test_an_escalation_after_midnight_promising_the_closing_does_not_say_tonight() -> None:
    """Escalated at 1:00 on Tuesday with 15h of 07:00-22:00: the manager calls by 22:00 Tuesday, the closing of the
    day after this night; "10:00 tonight" names this night, as "3:00 tonight" does."""
    policy = harbor(HARBOR_WEEK, callback_within="15h")
    resolution = policy.decide(noise(ny(11, 24, 1)), by="staff", now=ny(11, 24, 1))
    assert resolution.callback_by == ny(11, 24, 22)
    words = say(resolution, policy)
    assert "call you back by 10:00 tomorrow night" in words, words


# -- the personal call, from a report written at the closing ------------------------------------------------------


def test_a_report_written_at_the_closing_promises_the_call_from_the_next_opening_and_says_that_time() -> None:
    """personal_call_within = "4h" from a report at 22:00 (the closing itself) is 11:00 the next morning: the
    words say the recorded promise, and it is overdue only after it."""
    policy = harbor(HARBOR_WEEK)
    at = ny(11, 23, 22)
    with MemoryJournal(clock=lambda: at) as journal:
        case = decided_case(journal, policy, at, amount="5000.00")
        for step in (case.explain_denial, case.decline_alternatives, case.make_final_offer, case.decline_final_offer):
            step()
        case.write_report(summary="The guest wanted the whole stay refunded.")
        assert case.callback_by == ny(11, 24, 11)
        words = Wording(policy).say_history(case)[-1].text
        assert "who will personally call you by 11:00 tomorrow morning" in words
        assert journal.overdue_callbacks(ny(11, 24, 11)) == []
        assert [summary.number for summary in journal.overdue_callbacks(ny(11, 24, 11) + MICROSECOND)] == [case.number]
