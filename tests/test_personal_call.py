"""The manager's personal call after a written report (issue 12 §4, seed 003).

"Tell them you will submit a written report on the situation to a manager, who will personally call them."
``write_report`` promises the call by ``personal_call_within`` counted in business hours; the promise is
``case.callback_by`` and is listed by ``journal.overdue_callbacks`` until ``manager_calls`` records it,
through ``thank`` and ``close``, on the same case or one loaded again, on every backend.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from recovery_rules import (
    AuthorityError,
    Case,
    CaseState,
    CaseView,
    Complaint,
    Customer,
    InvalidInputError,
    Journal,
    MemoryJournal,
    Money,
    Policy,
    Remedy,
    WorkflowError,
    presets,
)

from ._journal_backends import BACKENDS, Harness

NEW_YORK = ZoneInfo("America/New_York")
RITZ = presets.ritz_carlton()
NO_TIME = Policy.model_validate({**RITZ.model_dump(), "personal_call_within": None})


def ny(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=NEW_YORK)


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    harness = BACKENDS[request.param](tmp_path)
    yield harness
    harness.close()


def reported(journal: Journal, at: dt.datetime, policy: Policy = RITZ, customer: str = "10442") -> Case:
    """A case whose guest declined everything: the written report is next."""
    complaint = Complaint(
        customer=Customer(id=customer),
        category="noise",
        requested=Remedy(kind="refund", amount=Money("3000.00", "USD")),
        received_at=at,
    )
    case = Case.open(journal, policy, complaint, by="staff", clock=lambda: at)
    case.listen()
    case.apologize()
    case.ask_preferred_solution()
    case.decide()
    case.escalate()
    case.manager_denies(by="manager", reason="A full refund is more than we grant for noise.")
    case.explain_denial()
    case.decline_alternatives()
    case.make_final_offer()
    case.decline_final_offer()
    return case


def test_the_report_promises_the_call_in_business_hours(backend: Harness) -> None:
    case = reported(backend.journal(), ny(23, 20, 0))
    event = case.write_report()
    # four hours of the hotel's 07:00-22:00: two tonight, two from 7:00 tomorrow
    assert event.callback_due == case.callback_by == ny(24, 9, 0)
    assert event.actor == "manager"  # written by the manager who offered the alternatives, not the employee
    assert case.allowed_steps() == ("thank", "manager_calls")


def test_the_call_stays_owed_through_thank_and_close_until_the_manager_calls(backend: Harness) -> None:
    journal = backend.journal()
    case = reported(journal, ny(23, 20, 0))
    case.write_report(to="general_manager")
    case.thank()
    case.close()
    assert case.state is CaseState.CLOSED
    assert case.callback_by == ny(24, 9, 0)
    assert case.allowed_steps() == ("manager_calls",)
    assert journal.overdue_callbacks(ny(24, 9, 0)) == []  # due at 9:00 is not overdue at 9:00
    overdue = journal.overdue_callbacks(ny(24, 9, 1))
    assert [(summary.number, summary.state, summary.callback_by) for summary in overdue] == [
        (case.number, "closed", ny(24, 9, 0))
    ]
    assert [summary.number for summary in journal.cases(open_only=True)] == []  # closed all the same

    loaded = Case.load(backend.journal(), RITZ, case.number)  # the next shift, another process
    assert loaded.callback_by == ny(24, 9, 0)
    event = loaded.manager_calls(
        by="general_manager", employee="E-0042", notes="Apologized; the guest will stay again.", now=ny(24, 10, 0)
    )
    assert (event.kind, event.state, event.actor, event.callback_due) == (
        "manager_called",
        "closed",
        "general_manager",
        None,
    )
    assert event.employee == "E-0042"
    assert event.data["notes"] == "Apologized; the guest will stay again."
    assert loaded.callback_by is None
    assert loaded.allowed_steps() == ()
    assert journal.overdue_callbacks(ny(30, 0, 0)) == []
    assert journal.verify().ok
    view = CaseView.replay(backend.journal().events(case.number))
    assert (view.state, view.called_by, view.callback_by) == (CaseState.CLOSED, "general_manager", None)
    with pytest.raises(WorkflowError):  # the first handle learns of the call from the journal: once only
        case.manager_calls(by="general_manager")


def test_the_manager_may_call_before_the_guest_is_thanked(backend: Harness) -> None:
    journal = backend.journal()
    case = reported(journal, ny(23, 12, 0))
    case.write_report()
    assert case.callback_by == ny(23, 16, 0)
    event = case.manager_calls()  # by the level the report went to, by default
    assert (event.actor, event.state, event.employee) == ("manager", "reported", None)
    assert case.allowed_steps() == ("thank",)
    case.thank()
    case.close()
    assert case.callback_by is None
    assert journal.overdue_callbacks(ny(30, 0, 0)) == []


def test_without_personal_call_within_the_call_is_owed_by_no_time(backend: Harness) -> None:
    journal = backend.journal()
    case = reported(journal, ny(23, 12, 0), NO_TIME)
    event = case.write_report()
    assert event.callback_due is None
    assert case.callback_by is None
    case.thank()
    case.close()
    assert journal.overdue_callbacks(ny(30, 0, 0)) == []
    assert case.allowed_steps() == ("manager_calls",)  # the report still says a manager will call
    case.manager_calls(by="general_manager", employee="E-7")
    assert case.allowed_steps() == ()


def test_the_call_is_a_managers() -> None:
    case = reported(MemoryJournal(), ny(23, 12, 0))
    case.write_report(to="general_manager")
    with pytest.raises(AuthorityError, match="the report went to general_manager"):
        case.manager_calls(by="manager")
    with pytest.raises(InvalidInputError, match="employee"):
        case.manager_calls(by="general_manager", employee="  ")
    assert case.callback_by is not None  # nothing recorded
    assert case.version == 12


def test_a_report_goes_to_the_level_that_delivers_denials_or_above() -> None:
    """The written report goes to a manager: ``to`` below the policy's ``denials_delivered_by`` is refused at
    ``to`` and nothing is recorded, so no employee below it is ever promised as the one who calls."""
    case = reported(MemoryJournal(), ny(23, 12, 0))
    with pytest.raises(InvalidInputError, match="a report goes to manager or above") as caught:
        case.write_report(to="staff")
    assert [problem.location for problem in caught.value.problems] == ["to"]
    assert (case.state, case.version) == (CaseState.FINAL_OFFER_DECLINED, 11)


def test_the_call_follows_a_report_only() -> None:
    case = reported(MemoryJournal(), ny(23, 12, 0))
    with pytest.raises(WorkflowError, match="manager_calls"):
        case.manager_calls(by="general_manager")


def test_a_repeated_call_with_its_key_records_once(backend: Harness) -> None:
    journal = backend.journal()
    case = reported(journal, ny(23, 12, 0))
    case.write_report()
    first = case.manager_calls(notes="Called.", key="call-1")
    again = Case.load(backend.journal(), RITZ, case.number).manager_calls(notes="Called.", key="call-1")
    assert again == first
    assert journal.version(case.number) == first.version


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        # 12h of the shop's 09:00-21:00: one hour on Tuesday night, eleven on Wednesday
        (presets.retail(), (25, 20)),
        # 4h of the park's 08:00-22:00: two hours on Tuesday night, two from 8:00 on Wednesday
        (presets.theme_park(), (25, 10)),
    ],
)
def test_every_preset_promises_the_call(policy: Policy, expected: tuple[int, int]) -> None:
    zone = ZoneInfo(policy.timezone)
    at = dt.datetime(2026, 11, 24, 20, 0, tzinfo=zone)
    complaint = Complaint(
        customer=Customer(id="77"),
        category=policy.categories[0],
        requested=Remedy(kind="refund", amount=Money("900.00", "USD")),
        received_at=at,
    )
    case = Case.open(MemoryJournal(), policy, complaint, by=policy.levels[0].name, clock=lambda: at)
    case.listen()
    case.apologize()
    case.ask_preferred_solution()
    case.decide()
    if "escalate" in case.allowed_steps():
        case.escalate()
        case.manager_denies(by=policy.levels[-1].name, reason="It is more than we refund for this.")
    case.explain_denial()
    case.decline_alternatives()
    if "make_final_offer" in case.allowed_steps():
        case.make_final_offer()
        case.decline_final_offer()
    case.write_report()
    day, hour = expected
    assert case.callback_by == dt.datetime(2026, 11, day, hour, 0, tzinfo=zone)


def test_a_level_above_the_one_the_report_went_to_may_call_and_is_recorded_as_the_caller() -> None:
    journal = MemoryJournal()
    case = reported(journal, ny(23, 12, 0))
    case.write_report()  # to the manager, by default
    event = case.manager_calls(by="general_manager", employee="G-1")
    assert (event.actor, event.employee) == ("general_manager", "G-1")
    assert CaseView.replay(journal.events(case.number)).called_by == "general_manager"
