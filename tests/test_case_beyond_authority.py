"""Beyond the employee's authority, the customer may take one of the options the employee can authorize now.

Seed 002 (*Four Forgotten Elements*): "If the customer's demands are beyond the authority of the customer contact
staff, train them to offer three other options that they can authorize [...] they most often choose one." The
decision carries those options (``resolution.alternatives``) and the escalate step's words list them; in state
``beyond_authority``, ``accept_alternative`` records the one the customer takes, instead of ``escalate``: a grant
by the level that decided, checked again against the ledger in the step's transaction, and the case resolved
with no callback owed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from recovery_rules import (
    AuthorityError,
    Case,
    CaseOutcome,
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
    SQLiteJournal,
    Wording,
    WorkflowError,
    metrics,
    presets,
)

NOW = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["memory", "sqlite"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journal]:
    opened: Journal = MemoryJournal() if request.param == "memory" else SQLiteJournal(tmp_path / "journal.sqlite3")
    yield opened
    opened.close()


@pytest.fixture
def policy() -> Policy:
    return presets.ritz_carlton()


def beyond(journal: Journal, policy: Policy, amount: str = "3000.00", *, incident: Case | None = None) -> Case:
    """A staff member's case decided beyond their authority ($2,000 at the Ritz preset)."""
    complaint = Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=NOW,
    )
    number = None if incident is None else incident.number
    case = Case.open(journal, policy, complaint, by="staff", employee="E-0042", now=NOW, incident=number)
    for step in ("listen", "apologize", "ask_preferred_solution"):
        getattr(case, step)(now=NOW, employee="E-0042")
    case.decide(now=NOW, employee="E-0042")
    return case


def priced(case: Case) -> str:
    """The id of a decision's alternative that has a value (the Ritz preset's suite upgrade, $400)."""
    assert case.decision is not None
    return next(option.id for option in case.decision.alternatives if not option.value.is_zero)


def test_beyond_authority_allows_escalating_or_taking_one_of_the_decisions_alternatives(
    journal: Journal, policy: Policy
) -> None:
    case = beyond(journal, policy)
    assert case.state is CaseState.BEYOND_AUTHORITY
    assert case.allowed_steps() == ("escalate", "accept_alternative")


def test_an_alternative_taken_instead_of_the_escalation_is_granted_and_resolves_the_case(
    journal: Journal, policy: Policy
) -> None:
    case = beyond(journal, policy)
    chosen = priced(case)
    event = case.accept_alternative(chosen, now=NOW, employee="E-0042", satisfied=True, satisfaction=5)
    assert (event.kind, event.state, event.actor) == ("alternative_accepted", "resolved", "staff")
    assert event.grant == Money("400.00", "USD")
    assert event.callback_due is None
    assert case.callback_by is None
    assert (case.state, case.outcome, case.granted) == (
        CaseState.RESOLVED,
        CaseOutcome.ALTERNATIVE_ACCEPTED,
        Money("400.00", "USD"),
    )
    assert case.accepted is not None
    assert case.accepted.id == chosen
    assert (case.satisfied, case.satisfaction) == (True, 5)
    assert case.allowed_steps() == ("thank",)
    assert journal.overdue_callbacks(NOW + dt.timedelta(days=3)) == []
    # the ledger counts it: the guest's next decision in this incident sees the $400
    assert journal.granted(case.number, window=policy.window, timezone=policy.timezone, currency="USD", now=NOW) == (
        Money("400.00", "USD")
    )
    case.thank(now=NOW)
    case.close(now=NOW)
    rebuilt = Case.load(journal, policy, case.number)
    assert (rebuilt.state, rebuilt.history, rebuilt.granted, rebuilt.accepted) == (
        case.state,
        case.history,
        case.granted,
        case.accepted,
    )
    assert CaseView.replay(journal.events(case.number)).outcome is CaseOutcome.ALTERNATIVE_ACCEPTED
    assert journal.verify().ok


def test_an_id_that_is_not_one_of_the_decisions_alternatives_is_refused_naming_them(
    journal: Journal, policy: Policy
) -> None:
    case = beyond(journal, policy)
    assert case.decision is not None
    head = journal.head()
    with pytest.raises(InvalidInputError) as refused:
        case.accept_alternative("no-such-alternative", now=NOW)
    assert all(option.id in str(refused.value) for option in case.decision.alternatives)
    assert journal.head() == head
    assert case.state is CaseState.BEYOND_AUTHORITY


def test_an_alternative_the_ledger_no_longer_leaves_room_for_is_refused_and_the_case_can_still_escalate(
    journal: Journal, policy: Policy
) -> None:
    first = beyond(journal, policy)
    chosen = priced(first)
    # a follow-up about the same incident grants $1,800 meanwhile: staff may grant $2,000 an incident
    follow_up = beyond(journal, policy, "1800.00", incident=first)
    follow_up.deliver(now=NOW)
    head = journal.head()
    with pytest.raises(AuthorityError) as refused:
        first.accept_alternative(chosen, now=NOW)
    assert "$400.00" in str(refused.value)
    assert "$200.00" in str(refused.value)
    assert refused.value.allowed == ("escalate", "accept_alternative")
    assert journal.head() == head
    assert first.allowed_steps() == ("escalate", "accept_alternative")  # still beyond authority
    assert first.decision is not None
    free = next(option.id for option in first.decision.alternatives if option.value.is_zero)
    first.accept_alternative(free, now=NOW)  # one that costs nothing still fits
    assert first.state.value == "resolved"


def test_after_the_escalation_the_decisions_alternatives_are_no_longer_the_customers_to_take(
    journal: Journal, policy: Policy
) -> None:
    case = beyond(journal, policy)
    case.escalate(now=NOW)
    with pytest.raises(WorkflowError) as refused:
        case.accept_alternative(priced(case), now=NOW)
    assert refused.value.allowed == ("manager_approves", "manager_denies")


def test_the_words_offer_the_options_with_the_escalation_and_confirm_the_one_taken(
    journal: Journal, policy: Policy
) -> None:
    case = beyond(journal, policy)
    wording = Wording(policy)
    assert case.decision is not None
    (escalate,) = wording.say_next(case)
    assert escalate.step == "escalate"
    assert all(option.description in escalate.text for option in case.decision.alternatives)
    chosen = next(option for option in case.decision.alternatives if option.id == priced(case))
    case.accept_alternative(chosen.id, now=NOW)
    accepted = wording.say_history(case)[-1]
    assert (accepted.step, accepted.speaker, accepted.version) == ("accept_alternative", "staff", case.version)
    assert chosen.description in accepted.text
    said = wording.say_next(case)
    assert [words.step for words in said] == ["accept_alternative", "thank"]
    assert chosen.description in said[0].text


def test_the_report_counts_an_alternative_taken_instead_of_the_escalation_as_neither_plan_b_nor_waiting(
    journal: Journal, policy: Policy
) -> None:
    """The report's Plan B figures are a denial's ("offered with a denial"): an option taken instead of the
    escalation is not among them (it would count accepted with none offered), and no escalation waits for it."""
    case = beyond(journal, policy)
    decision = case.decision
    assert decision is not None
    case.accept_alternative(decision.alternatives[0].id, now=NOW)
    report = metrics.report(journal, now=NOW + dt.timedelta(hours=1))
    alternatives = report.plan_b.alternatives
    assert (alternatives.offered, alternatives.accepted, alternatives.declined) == (0, 0, 0)
    escalations = report.escalations
    assert (escalations.total, escalations.approved, escalations.denied, escalations.waiting) == (1, 0, 0, 0)
