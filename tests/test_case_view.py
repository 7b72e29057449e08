"""CaseView: a case read back from its recorded events alone, as a live Case stands, with the same checks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle

import pytest

from recovery_rules import (
    Case,
    CaseOutcome,
    CaseState,
    CaseView,
    Complaint,
    Customer,
    Draft,
    Event,
    InvalidInputError,
    JournalIntegrityError,
    MemoryJournal,
    Policy,
    Remedy,
    metrics,
)

from ._helpers import usd

NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
SHARED = (
    "complaint",
    "employee",
    "state",
    "version",
    "history",
    "preferred",
    "decision",
    "resolution",
    "escalated_to",
    "callback_by",
    "denial_reason",
    "alternatives_offered",
    "backup",
    "final_offer",
    "accepted",
    "granted",
    "outcome",
    "report",
)
"""What a Case and a CaseView both show, by the same names."""


def _complaint(amount: str, customer: str = "10442") -> Complaint:
    return Complaint(
        customer=Customer(id=customer, name="Ada Lovelace"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=usd(amount)),
        received_at=NOW,
        description="The room was not ready at three in the afternoon.",
    )


def _clock() -> dt.datetime:
    return NOW


def _denied_and_reported(journal: MemoryJournal, policy: Policy, customer: str = "10442") -> Case:
    """A case along the longest path: escalated, denied, both alternatives and the final offer declined, reported."""
    case = Case.open(journal, policy, _complaint("3000.00", customer), by="staff", clock=_clock)
    case.listen(notes="The guest waited two hours.")
    case.apologize()
    case.ask_preferred_solution()
    case.decide()
    case.escalate()
    case.manager_denies(by="manager", reason="Over what we can do for one night.")
    case.explain_denial()
    case.decline_alternatives()
    case.make_final_offer()
    case.decline_final_offer()
    case.write_report(to="manager", summary="Declined everything; the manager calls tomorrow.")
    case.thank()
    case.close()
    return case


def test_a_view_replayed_from_the_journal_shows_what_the_case_shows(ritz: Policy) -> None:
    journal = MemoryJournal(clock=_clock)
    case = _denied_and_reported(journal, ritz)
    view = CaseView.replay(journal.events(case.number))
    for name in SHARED:
        assert getattr(view, name) == getattr(case, name), name
    assert view.policy == ritz.name
    assert view.denied_by == "manager"
    assert view.outcome is CaseOutcome.REPORTED
    assert view.state is CaseState.CLOSED


def test_each_event_makes_the_next_view_and_every_prefix_is_a_case_that_stood(ritz: Policy) -> None:
    journal = MemoryJournal(clock=_clock)
    case = _denied_and_reported(journal, ritz)
    events = journal.events(case.number)
    view = CaseView.replay(events[:1])
    assert view.state is CaseState.OPENED
    for count in range(2, len(events) + 1):
        following = view.after(events[count - 1])
        assert following == CaseView.replay(events[:count])
        assert following.version == count == view.version + 1
        assert following.history[:-1] == view.history  # the earlier view is unchanged: a new one each time
        view = following
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.state = CaseState.OPENED  # type: ignore[misc]  # what a careless caller tries


def test_views_follow_many_cases_through_a_journal_in_one_pass(ritz: Policy) -> None:
    journal = MemoryJournal(clock=_clock)
    first = _denied_and_reported(journal, ritz, customer="10442")
    second = Case.open(journal, ritz, _complaint("120.00", customer="77"), by="staff", clock=_clock)
    second.listen()
    third = _denied_and_reported(journal, ritz, customer="31")
    views: dict[str, CaseView] = {}
    for event in journal.iter_events():
        number = str(event.number)
        views[number] = CaseView.replay((event,)) if number not in views else views[number].after(event)
    for case in (first, second, third):
        assert views[str(case.number)] == CaseView.replay(journal.events(case.number))
        assert views[str(case.number)].state is case.state


def test_an_event_of_another_case_is_refused(ritz: Policy) -> None:
    journal = MemoryJournal(clock=_clock)
    mine = Case.open(journal, ritz, _complaint("120.00"), by="staff", clock=_clock)
    theirs = Case.open(journal, ritz, _complaint("80.00", customer="77"), by="staff", clock=_clock)
    mine.listen()
    theirs.listen()  # version 2 of its case: the version alone would fit mine after its first event
    opened = CaseView.replay(journal.events(mine.number)[:1])
    with pytest.raises(JournalIntegrityError, match="belongs to another case"):
        opened.after(journal.events(theirs.number)[1])
    with pytest.raises(JournalIntegrityError, match="belongs to another case"):
        CaseView.replay([journal.events(mine.number)[0], journal.events(theirs.number)[1]])


def test_events_that_are_not_a_path_are_refused(ritz: Policy) -> None:
    journal = MemoryJournal(clock=_clock)
    case = Case.open(journal, ritz, _complaint("120.00"), by="staff", clock=_clock)
    case.listen()
    case.apologize()
    events = journal.events(case.number)
    with pytest.raises(InvalidInputError, match="a case has at least its 'opened' event"):
        CaseView.replay([])
    with pytest.raises(JournalIntegrityError, match="must be an 'opened' event"):
        CaseView.replay(events[1:])
    with pytest.raises(JournalIntegrityError, match=r"version 3 of its case, not 2|cannot follow"):
        CaseView.replay([events[0], events[2]])
    with pytest.raises(JournalIntegrityError, match="cannot follow"):
        CaseView.replay([events[0], events[1], events[1]])


def test_a_view_checks_each_event_as_the_case_does(ritz: Policy) -> None:
    journal = MemoryJournal(clock=_clock)
    case = Case.open(journal, ritz, _complaint("120.00"), by="staff", clock=_clock)
    sneaky = journal.append(
        case.number,
        Draft(kind="closed", state="closed", actor="staff", at=NOW),
        expected_version=1,
        key="sneaky",
        request={},
    )
    assert isinstance(sneaky, Event)
    with pytest.raises(JournalIntegrityError, match="cannot follow state 'opened'") as refused:
        CaseView.replay(journal.events(case.number))
    assert refused.value.seq == sneaky.seq


def test_a_view_keeps_personal_data_out_of_its_repr_and_travels_whole(ritz: Policy) -> None:
    journal = MemoryJournal(clock=_clock)
    case = _denied_and_reported(journal, ritz)
    view = CaseView.replay(journal.events(case.number))
    shown = repr(view)
    assert shown == f"<CaseView closed, {case.version} events>"
    for personal in ("10442", "Ada", "three in the afternoon", str(case.number)):
        assert personal not in shown
        assert personal not in str(view)
    assert pickle.loads(pickle.dumps(view)) == view  # noqa: S301 - our own bytes, just made
    assert b"recovery_rules._" not in pickle.dumps(view)


def _escalated(journal: MemoryJournal, policy: Policy) -> Case:
    """A case of $3,000.00 (over the staff's $2,000.00), escalated to the manager."""
    case = Case.open(journal, policy, _complaint("3000.00"), by="staff", clock=_clock)
    case.listen()
    case.apologize()
    case.ask_preferred_solution()
    case.decide()
    case.escalate()
    return case


def _with_last(events: tuple[Event, ...], **changes: object) -> list[Event]:
    """``events`` with the last one changed as a forger (or a bug in a writer) would change it, hash unchecked."""
    return [*events[:-1], events[-1].model_copy(update=changes)]


def test_a_first_event_that_is_not_version_one_is_refused(ritz: Policy) -> None:
    journal = MemoryJournal(clock=_clock)
    case = Case.open(journal, ritz, _complaint("120.00"), by="staff", clock=_clock)
    events = journal.events(case.number)
    with pytest.raises(JournalIntegrityError, match="must be an 'opened' event"):
        CaseView.replay(_with_last(events, version=2))


@pytest.mark.parametrize(
    ("incident", "why"),
    [("own", "its own complaint number"), ("20261120-77", "another customer's complaint")],
)
def test_an_opening_whose_incident_is_not_an_earlier_case_of_the_customer_is_refused(
    ritz: Policy, incident: str, why: str
) -> None:
    journal = MemoryJournal(clock=_clock)
    case = Case.open(journal, ritz, _complaint("120.00"), by="staff", clock=_clock)
    events = journal.events(case.number)
    named = str(case.number) if incident == "own" else incident
    forged = _with_last(events, data={**events[0].data, "incident": named})
    with pytest.raises(JournalIntegrityError, match="its incident is not an earlier complaint of the same customer"):
        CaseView.replay(forged)


def test_an_event_that_skips_a_version_is_refused(ritz: Policy) -> None:
    journal = MemoryJournal(clock=_clock)
    case = Case.open(journal, ritz, _complaint("120.00"), by="staff", clock=_clock)
    case.listen()
    events = journal.events(case.number)
    with pytest.raises(JournalIntegrityError, match="it is version 3 of its case, not 2"):
        CaseView.replay(_with_last(events, version=3))


def test_a_step_that_grants_nothing_is_refused_when_it_records_a_grant(ritz: Policy) -> None:
    journal = MemoryJournal(clock=_clock)
    case = Case.open(journal, ritz, _complaint("120.00"), by="staff", clock=_clock)
    case.listen()
    events = journal.events(case.number)
    with pytest.raises(JournalIntegrityError, match="a 'listened' event cannot grant anything"):
        CaseView.replay(_with_last(events, grant=usd("50.00")))


def test_an_event_that_records_a_callback_the_case_does_not_owe_is_refused(ritz: Policy) -> None:
    journal = MemoryJournal(clock=_clock)
    case = Case.open(journal, ritz, _complaint("120.00"), by="staff", clock=_clock)
    case.listen()
    events = journal.events(case.number)
    with pytest.raises(JournalIntegrityError, match="the callback it records is not the one the case owes"):
        CaseView.replay(_with_last(events, callback_due=NOW + dt.timedelta(hours=2)))


def test_a_manager_call_that_records_another_state_is_refused(ritz: Policy) -> None:
    journal = MemoryJournal(clock=_clock)
    case = _denied_and_reported(journal, ritz)
    case.manager_calls()
    events = journal.events(case.number)
    assert CaseView.replay(events).state is CaseState.CLOSED  # the call leaves the state as it was
    with pytest.raises(JournalIntegrityError, match="it records state 'thanked' where the path leads to closed"):
        CaseView.replay(_with_last(events, state="thanked"))


def test_a_counter_offer_that_records_a_grant_is_refused(ritz: Policy) -> None:
    journal = MemoryJournal(clock=_clock)
    case = _escalated(journal, ritz)
    case.manager_approves(by="manager", amount=usd("2000.00"))
    events = journal.events(case.number)
    assert CaseView.replay(events).granted == usd("0.00")
    with pytest.raises(JournalIntegrityError, match="a counter-offer grants nothing until the customer accepts it"):
        CaseView.replay(_with_last(events, grant=usd("2000.00")))


def test_an_opening_without_its_complaint_names_what_it_lacks(ritz: Policy) -> None:
    """An audit: a raw 'opened' event without its complaint was "its data cannot be read ('complaint')", the bare
    text of a KeyError, in the report and in Case.load."""
    journal = MemoryJournal(clock=_clock)
    number = _complaint("120.00").number
    opened = Draft(kind="opened", state="opened", actor="staff", at=NOW, data={"policy": ritz.name})
    journal.append(number, opened, expected_version=0, key="raw", request={})
    with pytest.raises(JournalIntegrityError, match=r"event 1: its data has no complaint\. Only journals"):
        metrics.report(journal, now=NOW)
    with pytest.raises(JournalIntegrityError, match=r"^journal event 1 is bad: its data has no complaint$"):
        Case.load(journal, ritz, number)


def test_an_invalid_value_in_an_event_is_named_by_its_first_problem(ritz: Policy) -> None:
    """An audit: an invalid complaint was "its data cannot be read (invalid complaint (2 problems):)", the list of
    problems cut off after the colon; the first problem is kept, and how many more there are."""
    journal = MemoryJournal(clock=_clock)
    case = Case.open(journal, ritz, _complaint("120.00"), by="staff", clock=_clock)
    events = journal.events(case.number)
    complaint = dict(events[0].data["complaint"])  # type: ignore[arg-type]  # an object in the journal
    one = _with_last(events, data={**events[0].data, "complaint": {**complaint, "category": 7}})
    with pytest.raises(JournalIntegrityError, match=r"its data cannot be read \(invalid complaint: category: .+\)$"):
        CaseView.replay(one)
    two = _with_last(events, data={**events[0].data, "complaint": {**complaint, "category": 7, "description": 8}})
    with pytest.raises(JournalIntegrityError, match=r"\(invalid complaint: category: .+, and 1 more problem\)$"):
        CaseView.replay(two)
    case.listen()
    case.apologize()
    case.ask_preferred_solution()
    events = journal.events(case.number)
    with pytest.raises(JournalIntegrityError, match=r"^journal event 4 is bad: its data has no remedy$"):
        CaseView.replay(_with_last(events, data={}))


def test_replaying_text_instead_of_events_says_what_to_pass(ritz: Policy) -> None:
    with pytest.raises(InvalidInputError, match=r"must be the case's events, such as journal.events\(number\)"):
        CaseView.replay("opened")  # type: ignore[arg-type]  # what a careless caller passes


def test_a_higher_level_that_denies_an_escalation_is_the_one_that_denied_and_explains(ritz: Policy) -> None:
    journal = MemoryJournal(clock=_clock)
    case = _escalated(journal, ritz)
    assert case.escalated_to == "manager"
    case.manager_denies(by="general_manager", reason="More than we can do for one night.")
    assert CaseView.replay(journal.events(case.number)).denied_by == "general_manager"
    assert case.explain_denial().actor == "general_manager"  # by default, the level that denied it explains
