"""The case path, scenario by scenario: what a support agent does, and what the journal keeps of it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from recovery_rules import (
    AuthorityError,
    Case,
    CaseOutcome,
    CaseState,
    Complaint,
    ComplaintNumber,
    CurrencyMismatchError,
    Customer,
    Draft,
    Event,
    IdempotencyConflictError,
    InvalidInputError,
    Journal,
    JournalIntegrityError,
    MemoryJournal,
    Money,
    Outcome,
    Policy,
    Remedy,
    Resolution,
    UnknownLevelError,
    WorkflowError,
    presets,
)
from recovery_rules._case._case import CLOCK_SKEW

from ._helpers import policy_data, usd
from ._journal_backends import BACKENDS, Harness

NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)  # 9:00 in New York


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    harness = BACKENDS[request.param](tmp_path)
    yield harness
    harness.close()


@pytest.fixture
def journal(backend: Harness) -> Journal:
    return backend.journal()


def complaint(amount: str, *, customer: str = "10442", tier: str = "standard", kind: str = "refund") -> Complaint:
    return Complaint(
        customer=Customer(id=customer, tier=tier, name="Ada Lovelace"),
        category="room_not_ready",
        requested=Remedy(kind=kind, amount=usd(amount)),
        received_at=NOW,
        description="The room was not ready at three in the afternoon.",
    )


def clock() -> dt.datetime:
    return NOW


def opened(journal: Journal, policy: Policy, amount: str, **options: str) -> Case:
    """A case brought to the point of deciding."""
    case = Case.open(journal, policy, complaint(amount, **options), by="staff", clock=clock)
    case.listen(notes="The guest waited two hours for the room.")
    case.apologize()
    case.ask_preferred_solution()
    return case


def kinds(case: Case) -> list[str]:
    return [event.kind for event in case.history]


# -- the three paths ---------------------------------------------------------------------


def test_within_authority_the_employee_approves_and_delivers(journal: Journal, ritz: Policy) -> None:
    case = opened(journal, ritz, "250.00")
    resolution = case.decide()
    assert resolution.outcome is Outcome.APPROVED
    assert case.state is CaseState.APPROVED
    assert case.allowed_steps() == ("deliver",)
    case.deliver(notes="Refunded to the card on file.")
    case.thank()
    case.close()
    assert case.closed
    assert case.outcome is CaseOutcome.REMEDY_DELIVERED
    assert case.granted == usd("250.00")
    assert kinds(case) == [
        "opened",
        "listened",
        "apologized",
        "solution_asked",
        "decided",
        "delivered",
        "thanked",
        "closed",
    ]
    assert {event.actor for event in case.history} == {"staff"}
    assert case.history[4].grant == usd("250.00")
    assert case.history[-1].data == {"outcome": "remedy_delivered"}
    assert journal.verify().ok
    assert case.allowed_steps() == ()


def test_beyond_authority_escalate_and_the_manager_approves(journal: Journal, ritz: Policy) -> None:
    case = opened(journal, ritz, "3000.00")
    resolution = case.decide()
    assert resolution.outcome is Outcome.ESCALATED
    assert case.state is CaseState.BEYOND_AUTHORITY
    case.escalate(notes="I'll propose this to my manager and call you back by 11:00.")
    assert case.escalated_to == "manager"
    assert case.callback_by == NOW + dt.timedelta(hours=2)
    assert [summary.number for summary in journal.overdue_callbacks(NOW + dt.timedelta(hours=3))] == [case.number]
    approval = case.manager_approves(by="manager")
    assert (approval.outcome, approval.authorized_by) == (Outcome.APPROVED, "manager")
    # Seed 002: the manager approves, the employee delivers it; the recorded resolution says so too.
    assert approval.delivered_by == "staff"
    delivery = [entry.message for entry in approval.trace if entry.rule == "delivery"]
    assert delivery == ["Duty manager grants it; Staff member delivers the good news"]
    assert Resolution.model_validate(case.history[-1].data["resolution"]) == approval
    assert case.callback_by == NOW + dt.timedelta(hours=2)  # still owed: the customer has not heard yet
    case.deliver()  # the employee delivers the good news
    assert case.history[-1].actor == "staff"
    assert case.callback_by is None
    assert journal.overdue_callbacks(NOW + dt.timedelta(hours=3)) == []
    case.thank()
    case.close()
    assert case.granted == usd("3000.00")
    assert case.history[6].actor == "manager"
    assert case.history[6].grant == usd("3000.00")


def test_a_level_that_cannot_grant_it_cannot_approve_it(journal: Journal, ritz: Policy) -> None:
    case = opened(journal, ritz, "6000.00")
    case.decide()
    case.escalate()
    assert case.escalated_to == "general_manager"
    version = case.version
    with pytest.raises(AuthorityError, match="General manager can approve it") as caught:
        case.manager_approves(by="manager")
    assert (caught.value.level, caught.value.needed) == ("manager", "general_manager")
    assert caught.value.allowed == ("manager_approves", "manager_denies")
    assert case.version == version == journal.version(case.number)
    with pytest.raises(AuthorityError, match="escalated to general_manager"):
        case.manager_denies(by="manager", reason="Too much.")
    assert case.manager_approves(by="general_manager").approved


@pytest.mark.parametrize(
    ("reason", "quoted"),
    [("Sorry, that's our policy.", "that's our policy"), ("No.", "no"), ("It's always been done this way.", "always")],
)
def test_a_managers_reason_that_the_seeds_forbid_is_refused_and_nothing_is_written(
    journal: Journal, ritz: Policy, reason: str, quoted: str
) -> None:
    case = opened(journal, ritz, "3000.00")
    case.decide()
    case.escalate()
    version = case.version
    with pytest.raises(InvalidInputError, match=r"we CAN do this|alternative") as caught:
        case.manager_denies(by="manager", reason=reason)
    assert [problem.location for problem in caught.value.problems] == ["reason"]
    assert quoted in str(caught.value).casefold()
    assert case.version == version == journal.version(case.number)
    assert case.manager_denies(by="manager", reason="A full refund is over what we can grant for a delay.").kind


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_a_managers_reason_that_says_nothing_is_refused_and_nothing_is_written(
    journal: Journal, ritz: Policy, reason: str
) -> None:
    case = opened(journal, ritz, "3000.00")
    case.decide()
    case.escalate()
    version = case.version
    with pytest.raises(InvalidInputError, match="must say why, so the customer can be told") as caught:
        case.manager_denies(by="manager", reason=reason)
    assert [problem.location for problem in caught.value.problems] == ["reason"]
    assert case.version == version == journal.version(case.number)


def test_the_manager_denies_then_alternatives_final_offer_and_report(journal: Journal, ritz: Policy) -> None:
    case = opened(journal, ritz, "3000.00")
    plan_b = case.decide().alternatives
    case.escalate()
    case.manager_denies(by="manager", reason="A full refund is over our limit for a delayed room.")
    assert case.state is CaseState.DENIED
    assert case.allowed_steps() == ("explain_denial",)
    case.explain_denial()
    assert case.history[-1].actor == "manager"  # the manager delivers the denial
    assert case.alternatives_offered == plan_b[:2]
    assert case.backup == plan_b[2]
    assert case.denial_reason == "A full refund is over our limit for a delayed room."
    assert case.callback_by is None  # the customer has heard back
    case.decline_alternatives()
    assert case.allowed_steps() == ("make_final_offer",)
    case.make_final_offer()
    assert case.final_offer == plan_b[2]
    assert case.allowed_steps() == ("accept_final_offer", "decline_final_offer")  # the final offer is made once
    with pytest.raises(WorkflowError):
        case.make_final_offer()
    case.decline_final_offer()
    assert case.allowed_steps() == ("write_report",)
    case.write_report(summary="The guest insists on a full refund of the stay.", to="general_manager")
    assert case.outcome is CaseOutcome.REPORTED
    report = case.report
    assert report is not None
    assert report["to"] == "general_manager"
    assert report["alternatives_declined"] == [alternative.id for alternative in plan_b[:2]]
    assert report["final_offer_declined"] == plan_b[2].id
    assert report["denial_reason"] == "A full refund is over our limit for a delayed room."
    case.thank()
    case.close()
    assert case.granted == usd("0.00")
    assert kinds(case)[4:] == [
        "decided",
        "escalated",
        "manager_denied",
        "denial_explained",
        "alternatives_declined",
        "final_offer_made",
        "final_offer_declined",
        "report_written",
        "thanked",
        "closed",
    ]
    # The customer's answers to the manager's offers, and the report, are recorded as the offering manager's.
    actors = {event.kind: event.actor for event in case.history}
    assert [actors[kind] for kind in ("alternatives_declined", "final_offer_declined", "report_written")] == [
        "manager",
        "manager",
        "manager",
    ]


def test_an_accepted_alternative_is_granted_by_the_manager_who_offered_it(journal: Journal, ritz: Policy) -> None:
    case = opened(journal, ritz, "3000.00")
    case.decide()
    case.escalate()
    case.manager_denies(by="manager", reason="Over our limit.")
    case.explain_denial()
    offered = case.alternatives_offered[0]
    with pytest.raises(InvalidInputError, match="is not one of the alternatives offered"):
        case.accept_alternative("no-such-alternative")
    backup = case.backup
    assert backup is not None
    with pytest.raises(InvalidInputError, match="is not one of the alternatives offered"):
        case.accept_alternative(backup.id)  # the back-up is kept for the final offer, not offered yet
    case.accept_alternative(offered.id)
    assert case.accepted == offered
    assert case.outcome is CaseOutcome.ALTERNATIVE_ACCEPTED
    assert case.history[-1].grant == offered.value
    assert case.history[-1].actor == "manager"
    assert case.granted == offered.value
    case.thank()
    case.close()


def test_an_accepted_final_offer(journal: Journal, ritz: Policy) -> None:
    case = opened(journal, ritz, "3000.00")
    case.decide()
    case.escalate()
    case.manager_denies(by="manager", reason="Over our limit.")
    case.explain_denial()
    case.decline_alternatives()
    case.make_final_offer()
    case.accept_final_offer()
    assert case.outcome is CaseOutcome.FINAL_OFFER_ACCEPTED
    assert case.accepted == case.final_offer
    case.thank()
    case.close()
    assert case.closed


def test_over_the_cap_is_denied_at_once_and_a_manager_explains(journal: Journal, ritz: Policy) -> None:
    case = opened(journal, ritz, "12000.00")
    resolution = case.decide()
    assert resolution.outcome is Outcome.DENIED
    assert case.state is CaseState.DENIED
    with pytest.raises(AuthorityError, match="denials are delivered by manager or above, never by staff"):
        case.explain_denial(by="staff")
    case.explain_denial()
    assert case.history[-1].actor == "manager"
    assert case.denial_reason == resolution.reason
    assert "per-guest cap" in (case.denial_reason or "")


def test_with_two_alternatives_there_is_no_final_offer_and_the_report_follows(journal: Journal) -> None:
    policy = Policy.model_validate(policy_data(min_alternatives=2))
    case = opened(journal, policy, "900.00")
    case.decide()
    case.escalate()
    case.manager_denies(by="manager", reason="Not practical.")
    case.explain_denial()
    assert len(case.alternatives_offered) == 2
    assert case.backup is None
    case.decline_alternatives()
    assert case.allowed_steps() == ("write_report",)
    with pytest.raises(WorkflowError, match="the steps allowed next are: write_report"):
        case.make_final_offer()
    case.write_report()
    case.thank()
    case.close()


# -- the order of steps -------------------------------------------------------------------


def test_a_step_out_of_order_is_refused_and_names_the_steps_allowed(journal: Journal, ritz: Policy) -> None:
    case = Case.open(journal, ritz, complaint("250.00"), by="staff", clock=clock)
    with pytest.raises(WorkflowError) as caught:
        case.decide()
    error = caught.value
    assert (error.step, error.state, error.allowed) == ("decide", "opened", ("listen",))
    assert str(error) == "decide is not allowed now: the case is in state 'opened'; the steps allowed next are: listen"
    assert not isinstance(error, AuthorityError)
    assert isinstance(error, RuntimeError)
    assert case.version == journal.version(case.number) == 1
    for step in (case.close, case.thank, case.deliver, case.escalate, case.decline_final_offer):
        with pytest.raises(WorkflowError):
            step()
    assert journal.head().count == 1


def test_nothing_can_follow_closing(journal: Journal, ritz: Policy) -> None:
    case = opened(journal, ritz, "10.00")
    case.decide()
    case.deliver()
    case.thank()
    case.close()
    with pytest.raises(WorkflowError, match="the case is in state 'closed'; the steps allowed next are: none"):
        case.listen()


def test_errors_never_repeat_personal_data(journal: Journal, ritz: Policy) -> None:
    case = opened(journal, ritz, "6000.00")
    messages = []
    for attempt in (case.deliver, lambda: case.manager_approves(by="manager")):
        with pytest.raises(WorkflowError) as caught:
            attempt()
        messages.append(str(caught.value))
    case.decide()
    case.escalate()
    with pytest.raises(AuthorityError) as caught:
        case.manager_approves(by="manager")
    messages.append(str(caught.value))
    messages.append(repr(case))
    for message in messages:
        assert "10442" not in message
        assert "Ada" not in message


# -- complaint numbers ---------------------------------------------------------------------


def test_a_second_complaint_on_the_same_day_gets_the_next_sequence(journal: Journal, ritz: Policy) -> None:
    numbers = [str(Case.open(journal, ritz, complaint("10.00"), by="staff", clock=clock).number) for _ in range(4)]
    assert numbers == ["20261123-10442", "20261123-10442/2", "20261123-10442/3", "20261123-10442/4"]
    other = Case.open(journal, ritz, complaint("10.00", customer="77"), by="staff", clock=clock)
    assert str(other.number) == "20261123-77"
    later = complaint("10.00").model_copy(update={"received_at": NOW + dt.timedelta(days=1)})
    later = Complaint.model_validate({**later.model_dump(), "number": None})
    assert str(Case.open(journal, ritz, later, by="staff", clock=clock).number) == "20261124-10442"


def test_a_complaint_number_already_in_use_is_refused(journal: Journal, ritz: Policy) -> None:
    chosen = Complaint.model_validate({**complaint("10.00").model_dump(), "number": "20261123-10442/7"})
    case = Case.open(journal, ritz, chosen, by="staff", clock=clock)
    assert str(case.number) == "20261123-10442/7"
    with pytest.raises(InvalidInputError, match="a case with this complaint number already exists"):
        Case.open(journal, ritz, chosen, by="staff", clock=clock)
    assert str(Case.open(journal, ritz, complaint("10.00"), by="staff", clock=clock).number) == "20261123-10442"


def test_opening_checks_the_complaint_against_the_policy(journal: Journal, ritz: Policy) -> None:
    with pytest.raises(UnknownLevelError):
        Case.open(journal, ritz, complaint("10.00"), by="night_porter", clock=clock)
    euros = complaint("10.00").model_copy(update={"requested": Remedy(kind="refund", amount=Money("10.00", "EUR"))})
    with pytest.raises(CurrencyMismatchError):
        Case.open(journal, ritz, euros, by="staff", clock=clock)
    with pytest.raises(InvalidInputError, match="timezone-aware"):
        Case.open(journal, ritz, complaint("10.00"), by="staff", now=dt.datetime(2026, 11, 23))  # noqa: DTZ001 - naive on purpose
    assert journal.head().count == 0


def test_policies_sharing_a_journal_and_a_customer_must_share_a_currency(journal: Journal) -> None:
    dollars = Policy.model_validate(policy_data(window="day"))
    euros = Policy.model_validate(policy_data(window="day", currency="EUR"))
    assert opened(journal, dollars, "80.00").decide().approved
    in_euros = complaint("30.00").model_copy(update={"requested": Remedy(kind="refund", amount=Money("30", "EUR"))})
    case = Case.open(journal, euros, in_euros, by="staff", clock=clock)
    case.listen()
    case.apologize()
    case.ask_preferred_solution()
    version = case.version
    with pytest.raises(CurrencyMismatchError, match="was granted amounts in USD within the window, and the policy"):
        case.decide()  # the ledger never converts: it refuses
    assert case.version == version == journal.version(case.number)


def test_deciding_by_a_level_the_policy_does_not_have_is_refused_at_by_whatever_the_state(
    journal: Journal, ritz: Policy
) -> None:
    """The level is an argument, checked before the step is judged against the path: refused at ``by`` even
    when the case is not yet at its decision."""
    case = Case.open(journal, ritz, complaint("250.00"), by="staff", clock=clock)
    for step in (lambda: None, case.listen, case.apologize, case.ask_preferred_solution):
        step()
        with pytest.raises(UnknownLevelError) as caught:
            case.decide(by="night_porter")
        assert [problem.location for problem in caught.value.problems] == ["by"]
    assert case.version == 4  # nothing recorded


def test_a_case_needs_a_journal_and_a_policy(ritz: Policy) -> None:
    journal = MemoryJournal()
    with pytest.raises(InvalidInputError, match="journal: must be a Journal"):
        Case.open("journal.sqlite3", ritz, complaint("10.00"), by="staff")  # type: ignore[arg-type]  # the misuse
    with pytest.raises(InvalidInputError, match="policy: must be a Policy"):
        Case.open(journal, ritz.model_dump(), complaint("10.00"), by="staff")  # type: ignore[arg-type]  # the misuse
    number = Case.open(journal, ritz, complaint("10.00"), by="staff", clock=clock).number
    with pytest.raises(InvalidInputError, match="journal: must be a Journal"):
        Case.load("journal.sqlite3", ritz, number)  # type: ignore[arg-type]  # the misuse under test
    with pytest.raises(InvalidInputError, match="policy: must be a Policy"):
        Case.load(journal, "Ritz-Carlton style hotel", number)  # type: ignore[arg-type]  # the misuse under test


# -- the preferred solution -------------------------------------------------------------------


def test_the_preferred_solution_is_what_gets_decided(journal: Journal, ritz: Policy) -> None:
    case = Case.open(journal, ritz, complaint("5000.00"), by="staff", clock=clock)
    case.listen()
    case.apologize()
    with pytest.raises(CurrencyMismatchError):
        case.ask_preferred_solution(Remedy(kind="refund", amount=Money("10.00", "EUR")))
    case.ask_preferred_solution(Remedy(kind="credit", amount=usd("400.00"), description="Dinner for two"))
    assert case.preferred == Remedy(kind="credit", amount=usd("400.00"), description="Dinner for two")
    resolution = case.decide()
    assert resolution.approved
    assert resolution.remedy.kind == "credit"
    assert case.granted == usd("400.00")


# -- the ledger across cases ---------------------------------------------------------------------


def test_the_ledger_spans_a_guests_cases_within_the_window(journal: Journal) -> None:
    policy = Policy.model_validate(policy_data(window="day", timezone="America/New_York"))
    first = opened(journal, policy, "80.00")
    assert first.decide().approved
    second = opened(journal, policy, "30.00")
    resolution = second.decide()
    assert resolution.outcome is Outcome.ESCALATED  # $80 granted earlier today + $30 is over staff's $100
    assert resolution.granted_before == usd("80.00")
    # the next day in New York (05:00 UTC), the staff member may grant it again
    later = NOW + dt.timedelta(hours=15)
    tomorrow = Case.open(journal, policy, complaint("30.00"), by="staff", clock=lambda: later)
    tomorrow.listen()
    tomorrow.apologize()
    tomorrow.ask_preferred_solution()
    assert tomorrow.decide().approved


def test_a_step_dated_before_the_cases_last_step_is_refused_beyond_clock_skew(journal: Journal, ritz: Policy) -> None:
    case = Case.open(journal, ritz, complaint("250.00"), by="staff", now=NOW)
    first = case.listen(now=NOW + dt.timedelta(hours=1), key="listen-1")
    version = case.version
    with pytest.raises(
        InvalidInputError, match=r"before the case's latest step \(listened at 2026-11-23 15:00:00"
    ) as caught:
        case.apologize(now=NOW)  # an hour earlier: a wrong clock or time zone, not skew
    assert [problem.location for problem in caught.value.problems] == ["now"]
    assert case.version == version == journal.version(case.number)
    skewed = NOW + dt.timedelta(hours=1) - CLOCK_SKEW  # another server's clock, a little behind
    assert case.apologize(now=skewed).at == skewed
    assert case.listen(now=NOW + dt.timedelta(hours=1), key="listen-1") == first  # a retry is still answered


def test_an_alternative_no_longer_affordable_is_refused(journal: Journal) -> None:
    data = policy_data(window="day")
    data["catalog"][4]["applies_to"] = ["room_not_ready"]  # the dinner credit, written for it: offered first
    policy = Policy.model_validate(data)
    case = opened(journal, policy, "900.00")
    case.decide()
    case.escalate()
    case.manager_denies(by="manager", reason="Not practical.")
    case.explain_denial()
    dinner = next((alternative for alternative in case.alternatives_offered if alternative.value.amount > 0), None)
    assert dinner is not None, [alternative.id for alternative in case.alternatives_offered]
    # Meanwhile the same guest was granted nearly everything the manager may grant today.
    other = opened(journal, policy, "1990.00")
    other.decide(by="manager")
    with pytest.raises(AuthorityError, match=r"may grant this guest only \$10\.00 more now"):
        case.accept_alternative(dinner.id)
    assert case.state is CaseState.ALTERNATIVES_OFFERED
    case.decline_alternatives()


# -- idempotency ------------------------------------------------------------------------------


def test_a_repeated_step_returns_the_first_result_without_writing(journal: Journal, ritz: Policy) -> None:
    case = Case.open(journal, ritz, complaint("250.00"), by="staff", clock=clock, key="open-1")
    assert Case.open(journal, ritz, complaint("250.00"), by="staff", clock=clock, key="open-1").number == case.number
    first = case.listen(notes="Heard it all.", key="listen-1")
    assert case.listen(notes="Heard it all.", key="listen-1") == first
    case.apologize(key="apologize-1")
    case.ask_preferred_solution(key="ask-1")
    decision = case.decide(key="decide-1")
    head = journal.head()
    assert case.decide(key="decide-1") == decision  # the case has moved on: still the first result
    assert case.listen(notes="Heard it all.", key="listen-1") == first
    assert journal.head() == head
    with pytest.raises(IdempotencyConflictError):
        case.listen(notes="Something else.", key="listen-1")
    with pytest.raises(IdempotencyConflictError):
        case.deliver(key="decide-1")
    with pytest.raises(IdempotencyConflictError):
        Case.open(journal, ritz, complaint("999.00"), by="staff", clock=clock, key="open-1")
    assert journal.head() == head
    case.deliver(key="deliver-1")
    assert case.version == 6


def test_a_retry_from_another_process_catches_up(backend: Harness, ritz: Policy) -> None:
    here = Case.open(backend.journal(), ritz, complaint("250.00"), by="staff", clock=clock)
    there = Case.load(backend.journal(), ritz, here.number, clock=clock)
    event = here.listen(key="listen-1")
    assert there.listen(key="listen-1") == event  # the same request, answered from the journal
    assert there.state is CaseState.LISTENED
    assert there.version == 2


class _LateFindJournal(MemoryJournal):
    """A journal whose first ``misses`` look-ups of a key miss: a retry read the journal just before another
    process recorded the same request (and then more), so the append itself meets the event recorded."""

    def __init__(self, *, misses: int, clock: Callable[[], dt.datetime]) -> None:
        super().__init__(clock=clock)
        self.misses = misses

    def find(self, key: str) -> Event | None:
        if self.misses:
            self.misses -= 1
            return None
        return super().find(key)


def test_a_retry_answered_by_the_append_reads_the_steps_recorded_after_it() -> None:
    journal = _LateFindJournal(misses=1_000, clock=clock)
    ritz = presets.ritz_carlton()
    here = Case.open(journal, ritz, complaint("250.00"), by="staff", clock=clock)
    here.listen()
    here.apologize()
    there = Case.load(journal, ritz, here.number, clock=clock)
    here.ask_preferred_solution(customer_agreed=False)  # "Is that correct?" - "No": asked again next
    event = here.ask_preferred_solution(key="ask-again", customer_agreed=True)
    here.decide()
    assert there.version == 3
    assert there.ask_preferred_solution(key="ask-again", customer_agreed=True) == event
    assert (there.version, there.state) == (here.version, here.state) == (6, CaseState.APPROVED)


def test_an_opening_retried_after_the_first_went_on_is_answered_with_the_case_as_it_stands() -> None:
    """A retry of an opening that read the journal before the first call recorded it (its key not found yet)
    chooses the next number; the append meets the key under the first call's number, and the retry is answered
    with the first call's case, read whole."""
    journal = _LateFindJournal(misses=0, clock=clock)
    ritz = presets.ritz_carlton()
    first = Case.open(journal, ritz, complaint("250.00"), by="staff", clock=clock, key="open-1")
    first.listen()
    journal.misses = 1  # the retry's own look-up misses; the append finds the first call's event
    again = Case.open(journal, ritz, complaint("250.00"), by="staff", clock=clock, key="open-1")
    assert again.number == first.number
    assert (again.version, again.state) == (2, CaseState.LISTENED)
    assert len(journal.events(first.number)) == 2  # nothing written


# -- many writers, rebuilding --------------------------------------------------------------------


def test_two_handles_on_one_case_stay_consistent(backend: Harness, ritz: Policy) -> None:
    desk = Case.open(backend.journal(), ritz, complaint("250.00"), by="staff", clock=clock)
    phone = Case.load(backend.journal(), ritz, desk.number, clock=clock)
    desk.listen()
    with pytest.raises(WorkflowError, match="the case is in state 'listened'"):
        phone.listen()  # the other desk already did
    phone.apologize()  # reads what the other desk recorded, then goes on
    assert phone.version == 3
    with pytest.raises(WorkflowError):
        desk.listen()
    desk.refresh()
    assert desk.history == phone.history


def test_a_case_rebuilt_from_its_events_is_the_same_case(backend: Harness, ritz: Policy) -> None:
    case = opened(backend.journal(), ritz, "3000.00")
    case.decide()
    case.escalate()
    case.manager_denies(by="manager", reason="Over our limit.")
    case.explain_denial()
    case.decline_alternatives()
    rebuilt = Case.load(backend.journal(), ritz, str(case.number))
    for name in (
        "number",
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
        "granted",
        "outcome",
    ):
        assert getattr(rebuilt, name) == getattr(case, name), name
    assert rebuilt.allowed_steps() == case.allowed_steps() == ("make_final_offer",)
    rebuilt.make_final_offer()


def test_loading_refuses_unknown_cases_and_other_policies(journal: Journal, ritz: Policy) -> None:
    case = Case.open(journal, ritz, complaint("250.00"), by="staff", clock=clock)
    with pytest.raises(InvalidInputError, match="no case with this complaint number"):
        Case.load(journal, ritz, "20261123-99")
    with pytest.raises(InvalidInputError, match="opened under the policy 'Ritz-Carlton style hotel'"):
        Case.load(journal, presets.retail(), case.number)


def test_loading_refuses_events_the_path_does_not_allow(ritz: Policy) -> None:
    journal = MemoryJournal()
    case = Case.open(journal, ritz, complaint("250.00"), by="staff", clock=clock)
    journal.append(
        case.number,
        Draft(kind="closed", state="closed", actor="staff", at=NOW),
        expected_version=1,
        key="sneaky",
        request={},
    )
    with pytest.raises(JournalIntegrityError, match="journal event 2 is bad: a 'closed' event cannot follow state"):
        Case.load(journal, ritz, case.number)
    journal.append(
        ComplaintNumber.parse("20261123-5"),
        Draft(kind="listened", state="listened", actor="staff", at=NOW),
        expected_version=0,
        key="headless",
        request={},
    )
    with pytest.raises(JournalIntegrityError, match="must be an 'opened' event"):
        Case.load(journal, ritz, "20261123-5")


def test_loading_refuses_a_grant_in_another_currency(ritz: Policy) -> None:
    case = opened(MemoryJournal(), ritz, "250.00")
    case.decide()
    copy = MemoryJournal()  # the same events, the grant of the decision in euros: a chain intact but not a case
    for event in case.history:
        grant = None if event.grant is None else Money(event.grant.amount, "EUR")
        draft = Draft(kind=event.kind, state=event.state, actor=event.actor, at=event.at, data=event.data, grant=grant)
        copy.append(event.number, draft, expected_version=event.version - 1, key=event.key, request={})
    with pytest.raises(JournalIntegrityError, match="event 5 is bad: its grant is not in the currency of the case"):
        Case.load(copy, ritz, case.number)


def test_loading_refuses_an_edited_event(backend: Harness, ritz: Policy) -> None:
    case = opened(backend.journal(), ritz, "250.00")
    case.decide()
    backend.edit(5, "actor", "general_manager")
    with pytest.raises(JournalIntegrityError, match="journal event 5 is bad"):
        Case.load(backend.journal(), ritz, case.number)
