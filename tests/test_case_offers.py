"""Counter-offers: a manager approves less than asked, the employee delivers it, the customer accepts or declines.

Issue 13 section 1: the grant is recorded when the customer accepts it, a declined counter-offer grants
nothing and leads on to the alternatives and the final back-up offer, as a denial does, and the ledger
counts only what was granted. Every scenario runs on every journal backend.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from recovery_rules import (
    AuthorityError,
    Case,
    CaseOutcome,
    CaseState,
    CaseStep,
    CaseView,
    Complaint,
    Customer,
    Draft,
    IdempotencyConflictError,
    InvalidInputError,
    Journal,
    JournalIntegrityError,
    Money,
    Policy,
    Remedy,
    Resolution,
    SQLiteJournal,
    Wording,
    WorkflowError,
    metrics,
    say,
)

from ._cli import run
from ._helpers import policy_data, usd
from ._hostile import SmallerThanAnything
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


def complaint(amount: str, *, customer: str = "10442") -> Complaint:
    return Complaint(
        customer=Customer(id=customer, tier="standard", name="Ada Lovelace"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=usd(amount)),
        received_at=NOW,
    )


def clock() -> dt.datetime:
    return NOW


def escalated(journal: Journal, policy: Policy, amount: str = "3000.00", *, customer: str = "10442") -> Case:
    """A case escalated to the manager, who decides next."""
    case = Case.open(journal, policy, complaint(amount, customer=customer), by="staff", clock=clock)
    case.listen()
    case.apologize()
    case.ask_preferred_solution()
    assert not case.decide().approved
    case.escalate()
    assert state(case) is CaseState.ESCALATED
    return case


def state(case: Case) -> CaseState:
    """Where ``case`` stands now (a call, so that a type checker reads it anew after each step)."""
    return case.state


def kinds(case: Case) -> list[str]:
    return [event.kind for event in case.history]


def test_a_counter_offer_accepted_is_granted_when_the_customer_accepts(journal: Journal, ritz: Policy) -> None:
    case = escalated(journal, ritz)
    offer = case.manager_approves(by="manager", amount=usd("2000.00"))
    assert offer.approved  # the offer, approved with the manager's authority: granted when the customer accepts
    assert offer.remedy == Remedy(kind="refund", amount=usd("2000.00"))
    assert offer.reason == "$2,000.00 offered of the $3,000.00 asked: granted when the guest accepts"
    marked = offer.trace[-1]  # what marks it an offer, with the figures it compares
    assert (marked.rule, marked.passed, marked.message) == ("counter_offer", True, offer.reason)
    assert dict(marked.figures) == {"asked": usd("3000.00"), "offer": usd("2000.00")}
    assert [entry.rule for entry in offer.trace].count("counter_offer") == 1
    assert (offer.authorized_by, offer.delivered_by) == ("manager", "staff")  # the employee delivers it
    assert state(case) is CaseState.COUNTER_OFFERED
    assert case.counter_offer == Remedy(kind="refund", amount=usd("2000.00"))
    assert case.history[-1].grant is None  # nothing granted yet: the customer has not accepted
    assert case.granted == usd("0.00")
    assert case.callback_by is not None  # the customer has not heard back yet
    assert case.allowed_steps() == ("deliver",)
    case.deliver()
    assert case.history[-1].actor == "staff"  # the employee delivers it
    assert state(case) is CaseState.OFFER_DELIVERED
    assert case.callback_by is None
    assert case.allowed_steps() == ("accept_offer", "decline_offer")
    accepted = case.accept_offer(notes="The guest takes the partial refund.")
    assert accepted.kind == "offer_accepted"
    assert accepted.grant == usd("2000.00")
    assert accepted.actor == "manager"  # the grant is the manager's
    assert accepted.ledger is not None  # counted by the ledger like every grant
    assert state(case) is CaseState.RESOLVED
    assert case.outcome is CaseOutcome.COUNTER_OFFER_ACCEPTED
    assert case.granted == usd("2000.00")
    case.thank()
    case.close()
    assert case.history[-1].data == {"outcome": "counter_offer_accepted"}
    assert kinds(case)[4:] == [
        "decided",
        "escalated",
        "manager_approved",
        "delivered",
        "offer_accepted",
        "thanked",
        "closed",
    ]
    assert journal.verify().ok
    # The ledger counts what was granted, the $2,000, not the $3,000 asked: staff may grant $X only above it.
    totals = [event.grant for event in journal.iter_events() if event.grant is not None]
    assert totals == [usd("2000.00")]


def test_the_customers_answers_to_a_counter_offer_wait_until_they_answer_it(journal: Journal, ritz: Policy) -> None:
    """Delivering a counter-offer is not the customer's answer to it: satisfaction given at that delivery is
    refused and nothing is recorded; it is recorded when the customer accepts the offer."""
    case = escalated(journal, ritz)
    case.manager_approves(by="manager", amount=usd("2000.00"))
    head = journal.head()
    with pytest.raises(InvalidInputError, match="has not answered the counter-offer yet"):
        case.deliver(satisfied=True, satisfaction=4)
    assert journal.head() == head
    assert state(case) is CaseState.COUNTER_OFFERED
    case.deliver()
    case.accept_offer(satisfied=True, satisfaction=4)
    assert (case.satisfied, case.satisfaction) == (True, 4)


def test_a_declined_counter_offer_grants_nothing_and_leads_to_the_alternatives(journal: Journal, ritz: Policy) -> None:
    case = escalated(journal, ritz)
    plan_b = case.decision.alternatives if case.decision else ()
    case.manager_approves(by="manager", amount=usd("1500.00"))
    case.deliver()
    declined = case.decline_offer(notes="The guest wants the full refund.")
    assert declined.grant is None
    assert state(case) is CaseState.OFFER_DECLINED
    assert case.allowed_steps() == ("explain_denial",)
    case.explain_denial()
    assert case.history[-1].actor == "manager"  # the manager who made the offer delivers the rest
    assert case.alternatives_offered == plan_b[:2]
    assert case.denial_reason is not None
    assert "$1,500.00" in case.denial_reason
    case.decline_alternatives()
    case.make_final_offer()
    assert case.final_offer == plan_b[2]
    case.decline_final_offer()
    case.write_report(summary="The guest declined the partial refund and every alternative.")
    report = case.report
    assert report is not None
    assert report["counter_offer_declined"] == Remedy(kind="refund", amount=usd("1500.00")).model_dump(mode="json")
    case.thank()
    case.close()
    assert case.outcome is CaseOutcome.REPORTED
    assert case.granted == usd("0.00")
    assert all(event.grant is None for event in journal.iter_events())
    assert journal.verify().ok


def test_a_declined_counter_offer_then_an_accepted_alternative(journal: Journal, ritz: Policy) -> None:
    case = escalated(journal, ritz)
    case.manager_approves(by="manager", amount=usd("1500.00"))
    case.deliver()
    case.decline_offer()
    case.explain_denial()
    chosen = case.alternatives_offered[0]
    case.accept_alternative(chosen.id)
    assert case.outcome is CaseOutcome.ALTERNATIVE_ACCEPTED
    assert case.granted == chosen.value  # only the alternative, never the declined offer


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (usd("3000.01"), r"more than the customer asked for; the most it may be is \$3,000\.00"),
        (Money("2000.00", "EUR"), "is in EUR, but the customer asked in USD"),
        (usd("0.00"), "must be more than zero"),
    ],
)
def test_a_counter_offer_above_what_was_asked_or_in_another_currency_is_refused(
    journal: Journal, ritz: Policy, amount: Money, message: str
) -> None:
    case = escalated(journal, ritz)
    head = journal.head()
    with pytest.raises(InvalidInputError, match=message) as caught:
        case.manager_approves(by="manager", amount=amount)
    assert [problem.location for problem in caught.value.problems] == ["amount"]
    assert journal.head() == head
    assert state(case) is CaseState.ESCALATED


def test_an_amount_that_is_not_money_is_refused(journal: Journal, ritz: Policy) -> None:
    case = escalated(journal, ritz)
    with pytest.raises(InvalidInputError, match="must be a Money"):
        case.manager_approves(by="manager", amount="2000.00")  # type: ignore[arg-type]  # the wrong type on purpose


def _changed(amount: object) -> Money:
    """A Money whose amount was changed behind its back, with ``object.__setattr__``."""
    money = usd("1000.00")
    object.__setattr__(money, "amount", amount)
    return money


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("NaN"), "must be a finite number"),
        (Decimal("sNaN"), "must be a finite number"),
        ("1000.00", "must hold a Decimal amount, not str"),
        (None, "must hold a Decimal amount, not NoneType"),
        (Decimal("-1.00"), "must not be negative"),
        (Decimal("1000.001"), "USD amounts have exactly 2 decimal places"),
        (SmallerThanAnything("9000.00"), "must hold a Decimal amount, not a subclass of Decimal"),
    ],
    ids=repr,
)
def test_a_counter_offer_of_a_money_changed_behind_its_back_is_refused_saying_what_is_wrong(
    journal: Journal, ritz: Policy, amount: object, message: str
) -> None:
    case = escalated(journal, ritz)
    head = journal.head()
    with pytest.raises(InvalidInputError, match=message) as caught:
        case.manager_approves(by="manager", amount=_changed(amount))
    assert [problem.location for problem in caught.value.problems] == ["amount"]
    assert journal.head() == head  # nothing recorded
    assert state(case) is CaseState.ESCALATED


def test_the_amount_asked_is_a_full_approval_as_without_amount(journal: Journal, ritz: Policy) -> None:
    case = escalated(journal, ritz)
    approval = case.manager_approves(by="manager", amount=usd("3000.00"))
    assert approval.approved
    assert state(case) is CaseState.APPROVED
    assert case.counter_offer is None
    assert case.history[-1].grant == usd("3000.00")  # granted at approval, as today
    case.deliver()
    assert case.outcome is CaseOutcome.REMEDY_DELIVERED


def test_a_counter_offer_by_a_level_below_the_escalation_is_refused(journal: Journal, ritz: Policy) -> None:
    case = escalated(journal, ritz)
    assert case.escalated_to == "manager"
    with pytest.raises(AuthorityError, match="escalated to manager"):
        case.manager_approves(by="staff", amount=usd("50.00"))  # staff could grant $50, but it was passed up
    assert state(case) is CaseState.ESCALATED


def test_a_repeat_with_the_same_key_returns_the_first_result(journal: Journal, ritz: Policy) -> None:
    case = escalated(journal, ritz)
    first = case.manager_approves(by="manager", amount=usd("2000.00"), key="counter-1")
    head = journal.head()
    assert case.manager_approves(by="manager", amount=usd("2000.00"), key="counter-1") == first
    assert journal.head() == head
    with pytest.raises(IdempotencyConflictError):
        case.manager_approves(by="manager", amount=usd("2500.00"), key="counter-1")
    case.deliver(key="deliver-1")
    accepted = case.accept_offer(key="accept-1")
    assert case.accept_offer(key="accept-1") == accepted
    declined = Case.load(journal, ritz, case.number)
    assert declined.granted == usd("2000.00")
    assert journal.head().count == head.count + 2


def test_replay_from_events_equals_the_live_view(journal: Journal, ritz: Policy) -> None:
    accepted = escalated(journal, ritz)
    accepted.manager_approves(by="manager", amount=usd("2000.00"))
    declined = escalated(journal, ritz, customer="77")
    declined.manager_approves(by="manager", amount=usd("1000.00"))
    for case in (accepted, declined):
        case.deliver()
    accepted.accept_offer()
    declined.decline_offer()
    declined.explain_denial()
    for case in (accepted, declined):
        view = CaseView.replay(journal.events(case.number))
        assert view.state is case.state
        assert (view.history, view.granted, view.counter_offer, view.outcome) == (
            case.history,
            case.granted,
            case.counter_offer,
            case.outcome,
        )
        rebuilt = Case.load(journal, ritz, case.number)
        assert (rebuilt.state, rebuilt.history, rebuilt.granted) == (case.state, case.history, case.granted)


def test_the_new_steps_are_refused_where_the_path_does_not_allow_them(journal: Journal, ritz: Policy) -> None:
    case = escalated(journal, ritz)
    with pytest.raises(WorkflowError) as caught:
        case.accept_offer()
    assert caught.value.allowed == ("manager_approves", "manager_denies")
    case.manager_approves(by="manager", amount=usd("2000.00"))
    with pytest.raises(WorkflowError):
        case.decline_offer()  # not delivered yet
    assert CaseStep.ACCEPT_OFFER.value == "accept_offer"
    assert CaseStep.DECLINE_OFFER.value == "decline_offer"


def test_an_offer_accepted_after_the_ledger_filled_up_is_refused(journal: Journal) -> None:
    policy = Policy.model_validate(policy_data(window="day", timezone="America/New_York"))
    case = escalated(journal, policy, "1500.00")
    level = case.escalated_to
    assert level == "manager"  # $2,000 a day
    case.manager_approves(by=level, amount=usd("1000.00"))
    case.deliver()
    # Meanwhile the same guest was granted nearly everything that level may grant today.
    other = Case.open(journal, policy, complaint("1995.00"), by="staff", clock=clock)
    other.listen()
    other.apologize()
    other.ask_preferred_solution()
    assert other.decide(by=level).approved
    head = journal.head()
    with pytest.raises(AuthorityError):
        case.accept_offer()
    assert journal.head() == head
    case.decline_offer()  # the customer may still decline it


def test_a_counter_offer_beyond_what_the_manager_may_still_grant_is_refused(journal: Journal) -> None:
    """A counter-offer is decided with the manager's authority and the ledger as it stands when it is made: an
    offer the manager could not grant this guest now is refused (naming the level that could), and nothing is
    recorded, so the employee never delivers an offer that cannot be granted."""
    policy = Policy.model_validate(policy_data(window="day", timezone="America/New_York"))
    case = escalated(journal, policy, "1500.00")
    assert case.escalated_to == "manager"  # $2,000 a day
    # Meanwhile the same guest was granted nearly everything the manager may grant today.
    other = Case.open(journal, policy, complaint("1995.00"), by="staff", clock=clock)
    other.listen()
    other.apologize()
    other.ask_preferred_solution()
    assert other.decide(by="manager").approved
    head = journal.head()
    with pytest.raises(AuthorityError) as caught:
        case.manager_approves(by="manager", amount=usd("1000.00"))
    assert caught.value.needed == "owner"
    assert journal.head() == head
    assert state(case) is CaseState.ESCALATED
    assert case.counter_offer is None
    assert case.manager_approves(by="manager", amount=usd("5.00")).approved  # what is left may be offered


def test_a_forged_grant_on_a_counter_offer_is_refused_when_read(journal: Journal, ritz: Policy) -> None:
    case = escalated(journal, ritz)
    approval = case.manager_approves(by="manager", amount=usd("2000.00"))
    before = case.history[-1]
    forged = Draft(
        kind="delivered",
        state="offer_delivered",
        actor="staff",
        at=NOW,
        data={"notes": ""},
    )
    journal.append(case.number, forged, expected_version=case.version, key="forged-1", request={})
    accept = Draft(
        kind="offer_accepted",
        state="resolved",
        actor="manager",
        at=NOW,
        data={"notes": "", "resolution": approval.model_dump(mode="json")},
        grant=usd("2500.00"),  # more than the offer
    )
    journal.append(case.number, accept, expected_version=case.version + 1, key="forged-2", request={})
    with pytest.raises(JournalIntegrityError, match="does not grant the counter-offer"):
        CaseView.replay(journal.events(case.number))
    assert before.grant is None


def test_a_forged_counter_offer_of_all_that_was_asked_is_refused_when_read(journal: Journal, ritz: Policy) -> None:
    """A counter-offer is less than what was asked: a journal holding an "offer" of the full amount (an approval
    that grants nothing until accepted, so the ledger would not count it) is refused when the case is read."""
    case = escalated(journal, ritz)
    decision = case.decision
    assert decision is not None
    forged = Draft(
        kind="manager_approved",
        state="counter_offered",
        actor="manager",
        at=NOW,
        data={
            "resolution": decision.model_dump(mode="json"),
            "offer": Remedy(kind="refund", amount=usd("3000.00")).model_dump(mode="json"),  # all that was asked
            "notes": "",
        },
        callback_due=case.callback_by,
    )
    journal.append(case.number, forged, expected_version=case.version, key="forged-1", request={})
    with pytest.raises(JournalIntegrityError, match="not less than what the customer asked for"):
        CaseView.replay(journal.events(case.number))


def test_the_employee_says_the_offer_its_acceptance_and_the_decline(journal: Journal, ritz: Policy) -> None:
    wording = Wording(ritz)
    case = escalated(journal, ritz)
    case.manager_approves(by="manager", amount=usd("2000.00"))
    (delivering,) = wording.say_next(case)
    assert (delivering.step, delivering.speaker) == ("deliver", "staff")  # the employee delivers it
    assert "$2,000.00 refund" in delivering.text
    assert "$3,000.00 refund" in delivering.text
    assert "accept" in delivering.text
    case.deliver()
    case.accept_offer()
    confirmed, thanks = wording.say_next(case)  # the answer to the acceptance, then the thanks
    assert thanks.step == "thank"
    assert confirmed.step == "accept_offer"
    assert "$2,000.00 refund" in confirmed.text
    history = {words.step: words.text for words in wording.say_history(case)}
    assert history["deliver"] == delivering.text
    assert history["accept_offer"] == confirmed.text

    other = escalated(journal, ritz, customer="77")
    other.manager_approves(by="manager", amount=usd("1500.00"))
    other.deliver()
    other.decline_offer()
    told = wording.say_next(other)
    assert [words.step for words in told] == ["decline_offer", "explain_denial"]
    assert "I understand" in told[0].text
    assert "Our duty manager will explain why" in told[0].text  # the manager explains, as told[1] says
    assert told[1].speaker == "manager"
    # The manager chose to offer $1,500 (they could approve $5,000): said as the offer the customer declined.
    assert "Our duty manager offered $1,500.00 instead, which you declined." in told[1].text
    assert "the most our" not in told[1].text
    other.explain_denial()
    said = {words.step: words.text for words in wording.say_history(other)}
    assert said["explain_denial"] == told[1].text


def test_the_report_counts_a_counter_offer_once_resolved_and_only_what_was_granted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, ritz: Policy
) -> None:
    path = tmp_path / "journal.db"
    journal = SQLiteJournal(path)
    accepted = escalated(journal, ritz)
    accepted.manager_approves(by="manager", amount=usd("2000.00"))
    accepted.deliver()
    accepted.accept_offer()
    declined = escalated(journal, ritz, customer="77")
    declined.manager_approves(by="manager", amount=usd("1500.00"))
    declined.deliver()  # delivered, not resolved: the customer answers next
    pending = escalated(journal, ritz, customer="78")
    pending.manager_approves(by="manager", amount=usd("1000.00"))
    pending.deliver()
    declined.decline_offer()
    declined.explain_denial()
    free = next(alternative for alternative in declined.alternatives_offered if alternative.value.is_zero)
    declined.accept_alternative(free.id)
    journal.close()
    result = run(capsys, "report", str(path), "--json", "--now", "2026-11-24T00:00:00Z")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["outcomes"]["counter_offer_accepted"] == 1
    assert report["outcomes"]["alternative_accepted"] == 1
    assert report["outcomes"]["unresolved"] == 1  # the offer delivered to guest 78 is not answered yet
    assert report["time_to_resolution"]["all"]["cases"] == 2  # each resolved case once, when it was resolved
    assert report["granted"] == "2000.00 USD"  # the accepted counter-offer, never the declined one
    # a counter-offer answers the escalation (approved as an offer), whatever the customer says: none is waiting
    assert report["escalations"] == {"total": 3, "approved": 3, "denied": 0, "waiting": 0}
    assert run(capsys, "report", str(path), "--now", "2026-11-24T00:00:00Z").code == 0


def test_an_escalation_answered_with_a_counter_offer_is_not_waiting_even_before_delivery(
    journal: Journal, ritz: Policy
) -> None:
    """The manager's counter-offer answers the escalation (approved, as an offer) the moment it is recorded."""
    case = escalated(journal, ritz)
    case.manager_approves(by="manager", amount=usd("2000.00"))
    assert state(case) is CaseState.COUNTER_OFFERED
    report = metrics.report(journal, now=NOW)
    assert report.escalations == metrics.Escalations(total=1, approved=1, denied=0, waiting=0)


def declined(case: Case, amount: str, *, by: str = "manager") -> Case:
    """``case`` with a counter-offer of ``amount`` by ``by``, delivered and declined."""
    case.manager_approves(by=by, amount=usd(amount))
    case.deliver()
    case.decline_offer()
    return case


@pytest.mark.parametrize(
    ("by", "said_by"),
    [("manager", "duty manager"), ("general_manager", "general manager")],  # a limit of $5,000, and none at all
)
def test_a_declined_offer_below_what_the_manager_could_approve_is_said_as_the_offer_declined(
    journal: Journal, ritz: Policy, by: str, said_by: str
) -> None:
    """Issue 13 section 1: a counter-offer is the manager's choice, so after the customer declines it the reason
    is that offer, declined, never "the most our manager could approve" (untrue: they could approve more)."""
    wording = Wording(ritz)
    case = declined(escalated(journal, ritz), "2500.00", by=by)
    sentence = f"Our {said_by} offered $2,500.00 instead, which you declined."
    (_, explaining) = wording.say_next(case)
    assert explaining.step == "explain_denial"
    assert sentence in explaining.text
    assert "the most" not in explaining.text
    case.explain_denial()
    assert case.history[-1].actor == by  # the manager who made the offer explains and offers the rest
    # what the case records is said to the customer too: the level by its title, as the words say it (an audit:
    # it was "our general_manager offered ...", the level's name)
    assert case.denial_reason == f"our {said_by} offered $2,500.00, which you declined"
    assert wording.say_history(case)[-1].text == explaining.text  # the same words once recorded


def test_a_declined_offer_that_was_the_most_the_manager_could_approve_is_said_so(journal: Journal) -> None:
    """The old sentence stays where it is true: the offer was all the level could still grant this guest."""
    policy = Policy.model_validate(policy_data(window="day", timezone="America/New_York"))
    case = escalated(journal, policy, "1500.00")
    assert case.escalated_to == "manager"  # $2,000 a day
    other = Case.open(journal, policy, complaint("1200.00"), by="staff", clock=clock)
    other.listen()
    other.apologize()
    other.ask_preferred_solution()
    assert other.decide(by="manager").approved  # the guest was granted $1,200 today: $800 left to the manager
    with pytest.raises(AuthorityError):
        case.manager_approves(by="manager")
    declined(case, "800.00")
    (_, explaining) = Wording(policy).say_next(case)
    assert "That's because the most our manager could approve was $800.00." in explaining.text
    assert "which you declined" not in explaining.text
    case.explain_denial()
    assert case.denial_reason == "the most our manager could approve was $800.00"


def test_the_findings_of_a_counter_offer_name_the_offer_not_what_was_asked(journal: Journal, ritz: Policy) -> None:
    """Issue 13 section 1: the authority and cap entries of a counter-offer compare the offer, and say so; a
    full approval's entries are unchanged."""
    offer = escalated(journal, ritz).manager_approves(by="manager", amount=usd("2000.00"))
    compared = [entry.message for entry in offer.trace if entry.rule in {"cap.hard", "limit.authority"}]
    assert compared
    assert all(message.startswith("$2,000.00 offered is within ") for message in compared), compared
    assert "$2,000.00 offered is within Duty manager's authority of $5,000.00" in compared
    full = escalated(journal, ritz, customer="77").manager_approves(by="manager")
    assert "$3,000.00 asked is within Duty manager's authority of $5,000.00" in [e.message for e in full.trace]
    assert not any("offered is" in entry.message for entry in full.trace)


def test_the_findings_of_an_offer_on_what_was_granted_before_name_both(journal: Journal) -> None:
    policy = Policy.model_validate(policy_data(window="day", timezone="America/New_York"))
    case = escalated(journal, policy, "1500.00")
    other = Case.open(journal, policy, complaint("300.00"), by="staff", clock=clock)
    other.listen()
    other.apologize()
    other.ask_preferred_solution()
    assert other.decide(by="manager").approved
    offer = case.manager_approves(by="manager", amount=usd("1000.00"))
    authority = next(entry for entry in offer.trace if entry.rule == "limit.authority")
    expected = "$1,300.00 in total ($300.00 already granted + $1,000.00 offered) is within manager's authority of "
    expected += "$2,000.00"
    assert authority.message == expected


def test_the_accepted_offer_resolution_is_marked_and_names_the_offer(journal: Journal, ritz: Policy) -> None:
    """Issue 13 section 1: what accept_offer stores says it grants the offer accepted, of what was asked."""
    case = escalated(journal, ritz)
    case.manager_approves(by="manager", amount=usd("2000.00"))
    case.deliver()
    accepted = Resolution.model_validate(case.accept_offer().data["resolution"])
    assert case.resolution == accepted
    marked = accepted.trace[-1]
    assert (marked.rule, marked.passed) == ("counter_offer_accepted", True)
    assert dict(marked.figures) == {"asked": usd("3000.00"), "offer": usd("2000.00")}
    assert accepted.reason == marked.message
    assert accepted.reason == "$2,000.00 offered of the $3,000.00 asked, and accepted by the guest: granted now"
    assert "$2,000.00 offered is within Duty manager's authority of $5,000.00" in [e.message for e in accepted.trace]
    assert "Good news: I can give you the $2,000.00 refund right now" in say(accepted, ritz)  # granted, not offered


def test_a_counter_offer_pending_in_an_older_journal_is_worded_as_an_offer(journal: Journal, ritz: Policy) -> None:
    """Issue 13 section 1, issue 8: a journal written before the counter_offer entry existed stores the offer's
    resolution without it, as the manager's plain approval of the offer. The case knows the offer and what was
    asked: its resolution (Case, CaseView, the service's case) carries the marker, so say() words it as an offer,
    never as granted; the stored resolution alone cannot tell, and reads as an approval."""
    case = escalated(journal, ritz)
    offer = Remedy(kind="refund", amount=usd("2000.00"))
    # What the release before stored: the manager's decision on the offer, delivered by the case's employee.
    decision = ritz.decide(complaint("2000.00"), by="manager", now=NOW)
    handed = "Duty manager grants it; Staff member delivers the good news"
    trace = tuple(
        entry.model_copy(update={"message": handed}) if entry.rule == "delivery" else entry for entry in decision.trace
    )
    stored = decision.model_copy(update={"delivered_by": "staff", "trace": trace})
    assert stored.reason == "$2,000.00 asked is within Duty manager's authority of $5,000.00"
    assert all(entry.rule != "counter_offer" for entry in stored.trace)
    old = Draft(
        kind="manager_approved",
        state="counter_offered",
        actor="manager",
        at=NOW,
        data={"resolution": stored.model_dump(mode="json"), "offer": offer.model_dump(mode="json"), "notes": ""},
        callback_due=case.callback_by,
    )
    journal.append(case.number, old, expected_version=case.version, key="older-release-1", request={})
    loaded = Case.load(journal, ritz, case.number)
    assert loaded.state is CaseState.COUNTER_OFFERED
    assert loaded.counter_offer == offer
    view = CaseView.replay(journal.events(case.number))
    for resolution in (loaded.resolution, view.resolution):
        assert resolution is not None
        marked = resolution.trace[-1]
        assert marked.rule == "counter_offer"
        assert dict(marked.figures) == {"asked": usd("3000.00"), "offer": usd("2000.00")}
        words = say(resolution, ritz)
        assert "We can offer you the $2,000.00 refund right now" in words
        assert "Good news" not in words
    assert "Good news: I can give you the $2,000.00 refund right now" in say(stored, ritz)  # alone: cannot know
    (delivering,) = Wording(ritz).say_next(loaded)  # the case's words were right already
    assert "We can offer you the $2,000.00 refund right now" in delivering.text
    assert journal.verify().ok


def test_a_counter_offer_is_delivered_without_the_extra_mile_suggestions_a_plain_approval_says(
    journal: Journal, theme_park: Policy
) -> None:
    """An audit: customize-wording.md said a delivery says the extra-mile suggestions, and a delivered counter-offer
    did not, unsaid. It is meant (plan-b-catalog.md, the extra mile): a counter-offer's words end on whether the
    customer accepts it, so its resolution's suggestions are not said after that question; a full approval's
    delivery says them."""
    at = dt.datetime(2026, 7, 4, 20, 0, tzinfo=dt.UTC)  # 13:00 in Los Angeles
    wording = Wording(theme_park)

    def escalated_park(customer: str) -> Case:
        rained_out = Complaint(
            customer=Customer(id=customer),
            category="weather_closure",
            requested=Remedy(kind="credit", amount=usd("400.00")),
            received_at=at,
        )
        case = Case.open(journal, theme_park, rained_out, by="ticket_agent", clock=lambda: at)
        case.listen()
        case.apologize()
        case.ask_preferred_solution()
        case.decide()
        case.escalate()
        return case

    offered, approved = escalated_park("G-77"), escalated_park("G-78")
    offer = offered.manager_approves(by="guest_relations", amount=usd("200.00"))
    full = approved.manager_approves(by="guest_relations")
    assert offer.suggestions
    assert [s.id for s in offer.suggestions] == [s.id for s in full.suggestions]
    ideas = "here are a few ideas for what you could do instead"
    (delivering_offer,) = wording.say_next(offered)
    (delivering_full,) = wording.say_next(approved)
    assert delivering_offer.text.endswith("Would you like to accept that?")
    assert ideas not in delivering_offer.text
    assert ideas in delivering_full.text
    for suggestion in full.suggestions:
        assert suggestion.description in delivering_full.text
        assert suggestion.description not in delivering_offer.text
    assert ideas not in say(offer, theme_park)
    assert ideas in say(full, theme_park)
    offered.deliver()
    offered.accept_offer()  # what the pages tell a host to read after a "yes"
    assert offered.resolution is not None
    assert offered.resolution.suggestions == offer.suggestions
