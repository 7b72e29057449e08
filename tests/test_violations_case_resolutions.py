"""resolution_violations over the resolutions a case's manager step returns (counter-offers, handed-over approvals).

A host application runs it over the resolutions it stores: those of ``Case.manager_approves`` keep every promise,
and forged ones (an offer that is not the remedy, an ``asked`` that is not the complaint's, an offer not less than
asked, an approval delivered by another level without its delivery entry saying so) are reported.
"""

from __future__ import annotations

import datetime as dt

from recovery_rules import (
    Case,
    Complaint,
    Customer,
    MemoryJournal,
    Money,
    Policy,
    Remedy,
    Resolution,
    TraceEntry,
    presets,
    resolution_violations,
)

NOW = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC)
RITZ = presets.ritz_carlton()  # staff $2,000, manager $5,000, general manager unlimited (cap $10,000)
NONE = Money("0", "USD")


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def complaint(amount: str = "3000.00") -> Complaint:
    return Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=usd(amount)),
        received_at=NOW,
    )


def escalated(policy: Policy = RITZ, amount: str = "3000.00") -> Case:
    case = Case.open(MemoryJournal(), policy, complaint(amount), by="staff", clock=lambda: NOW, employee="E-1")
    case.listen()
    case.apologize()
    case.ask_preferred_solution()
    case.decide()
    case.escalate(employee="E-1")
    return case


def counter_offer(policy: Policy = RITZ) -> Resolution:
    return escalated(policy).manager_approves(by="manager", amount=usd("2000.00"), employee="E-2")


def with_last_entry(resolution: Resolution, **figures: Money) -> Resolution:
    last = resolution.trace[-1]
    entry = TraceEntry(rule=last.rule, passed=last.passed, message=last.message, figures=figures)
    return resolution.model_copy(update={"trace": (*resolution.trace[:-1], entry)})


def test_a_counter_offer_keeps_every_promise() -> None:
    offer = counter_offer()
    assert offer.trace[-1].rule == "counter_offer"
    assert offer.remedy.amount == usd("2000.00")
    assert offer.total == usd("2000.00")
    assert resolution_violations(RITZ, complaint(), "manager", NONE, offer, now=NOW) == []


def test_a_counter_offer_on_what_was_already_granted_totals_the_offer() -> None:
    offer = escalated().manager_approves(by="manager", amount=usd("2000.00"), employee="E-2")
    assert resolution_violations(RITZ, complaint(), "manager", None, offer, now=NOW) == []
    problems = resolution_violations(RITZ, complaint(), "manager", usd("500.00"), offer, now=NOW)
    assert "total is 2000.00 USD but granted + asked is 2500.00" in problems


def test_a_full_approval_in_a_case_is_delivered_by_the_case_employee() -> None:
    approval = escalated().manager_approves(by="manager", employee="E-2")
    assert (approval.authorized_by, approval.delivered_by) == ("manager", "staff")
    assert resolution_violations(RITZ, complaint(), "manager", NONE, approval, now=NOW) == []


def test_an_approval_handed_to_another_level_without_the_delivery_entry_saying_so_is_a_violation() -> None:
    approval = escalated().manager_approves(by="manager", employee="E-2")
    direct = RITZ.decide(complaint(), by="manager", now=NOW)  # its delivery entry: the manager delivers it
    forged = approval.model_copy(update={"trace": direct.trace})
    problems = resolution_violations(RITZ, complaint(), "manager", NONE, forged, now=NOW)
    assert any(problem.startswith("an approval is delivered by the employee who grants it") for problem in problems)
    other = approval.model_copy(update={"delivered_by": "general_manager"})  # the entry says staff delivers it
    problems = resolution_violations(RITZ, complaint(), "manager", NONE, other, now=NOW)
    assert any(problem.startswith("an approval is delivered by the employee who grants it") for problem in problems)
    assert resolution_violations(RITZ, complaint(), "manager", NONE, direct, now=NOW) == []


def test_the_delivery_entry_is_read_in_the_policy_own_words() -> None:
    data = RITZ.model_dump(mode="json")
    wording = "{approver} approves it; {level} tells the guest"
    data["wording"] = {"en": {"messages": {"explain_good_news_handed": wording}}}
    policy = Policy.model_validate(data)
    approval = escalated(policy).manager_approves(by="manager", employee="E-2")
    assert any(entry.message == "Duty manager approves it; Staff member tells the guest" for entry in approval.trace)
    assert resolution_violations(policy, complaint(), "manager", NONE, approval, now=NOW) == []
    built_in = escalated().manager_approves(by="manager", employee="E-2")  # the built-in words: not this policy's
    problems = resolution_violations(policy, complaint(), "manager", NONE, built_in, now=NOW)
    assert any(problem.startswith("an approval is delivered by the employee who grants it") for problem in problems)


def test_an_offer_that_is_not_the_remedy_is_a_violation() -> None:
    forged = with_last_entry(counter_offer(), offer=usd("1500.00"), asked=usd("3000.00"))
    problems = resolution_violations(RITZ, complaint(), "manager", NONE, forged, now=NOW)
    assert "the counter-offer's offer is 1500.00 USD, not the remedy's amount (2000.00 USD)" in problems
    assert "total is 2000.00 USD but granted + asked is 3000.00" in problems  # checked as what was asked


def test_an_asked_that_is_not_the_complaint_is_a_violation() -> None:
    forged = with_last_entry(counter_offer(), offer=usd("2000.00"), asked=usd("2500.00"))
    problems = resolution_violations(RITZ, complaint(), "manager", NONE, forged, now=NOW)
    assert "the counter-offer's asked is 2500.00 USD, not the amount the complaint asked (3000.00 USD)" in problems


def test_an_offer_not_less_than_asked_is_a_violation() -> None:
    approval = escalated().manager_approves(by="manager", employee="E-2")  # the whole $3,000
    offered = TraceEntry(
        rule="counter_offer",
        passed=True,
        message="$3,000.00 offered of the $3,000.00 asked: granted when the guest accepts",
        figures={"offer": usd("3000.00"), "asked": usd("3000.00")},
    )
    forged = approval.model_copy(update={"trace": (*approval.trace, offered)})
    problems = resolution_violations(RITZ, complaint(), "manager", NONE, forged, now=NOW)
    assert problems == ["the counter-offer's offer (3000.00 USD) is not less than what was asked (3000.00 USD)"]


def test_a_counter_offer_entry_must_end_the_trace_and_have_its_figures() -> None:
    offer = counter_offer()
    moved = offer.model_copy(update={"trace": (offer.trace[-1], *offer.trace[:-1])})
    problems = resolution_violations(RITZ, complaint(), "manager", NONE, moved, now=NOW)
    assert "a counter_offer trace entry is not the last of the trace" in problems
    assert "total is 2000.00 USD but granted + asked is 3000.00" in problems
    bare = with_last_entry(offer)
    problems = resolution_violations(RITZ, complaint(), "manager", NONE, bare, now=NOW)
    assert "the counter_offer entry does not have the figures offer and asked" in problems


def test_a_counter_offer_is_still_within_the_approver_authority() -> None:
    problems = resolution_violations(RITZ, complaint(), "staff", usd("500.00"), counter_offer(), now=NOW)
    assert "approved 2500.00 for 'refund' beyond staff's authority" in problems


def accepted_offer(policy: Policy = RITZ) -> Resolution:
    """The resolution Case.accept_offer stores for a $2,000 counter-offer of the $3,000 asked."""
    case = escalated(policy)
    case.manager_approves(by="manager", amount=usd("2000.00"), employee="E-2")
    case.deliver(employee="E-1")
    case.accept_offer(employee="E-1")
    resolution = case.resolution
    assert resolution is not None
    return resolution


def test_an_accepted_offer_is_judged_on_its_own_against_what_was_asked() -> None:
    """The offer accepted ends its trace with a counter_offer_accepted entry (offer and asked): judged at the
    offer with the complaint as asked, no need to pass the offer as the amount asked."""
    accepted = accepted_offer()
    assert accepted.trace[-1].rule == "counter_offer_accepted"
    assert dict(accepted.trace[-1].figures) == {"asked": usd("3000.00"), "offer": usd("2000.00")}
    assert resolution_violations(RITZ, complaint(), "manager", NONE, accepted, now=NOW) == []


def test_a_forged_accepted_offer_is_a_violation() -> None:
    accepted = accepted_offer()
    forged = with_last_entry(accepted, offer=usd("1500.00"), asked=usd("3000.00"))
    problems = resolution_violations(RITZ, complaint(), "manager", NONE, forged, now=NOW)
    assert "the counter-offer's offer is 1500.00 USD, not the remedy's amount (2000.00 USD)" in problems
    forged = with_last_entry(accepted, offer=usd("2000.00"), asked=usd("2500.00"))
    problems = resolution_violations(RITZ, complaint(), "manager", NONE, forged, now=NOW)
    assert "the counter-offer's asked is 2500.00 USD, not the amount the complaint asked (3000.00 USD)" in problems
    bare = with_last_entry(accepted)
    problems = resolution_violations(RITZ, complaint(), "manager", NONE, bare, now=NOW)
    assert "the counter_offer_accepted entry does not have the figures offer and asked" in problems
    moved = accepted.model_copy(update={"trace": (accepted.trace[-1], *accepted.trace[:-1])})
    problems = resolution_violations(RITZ, complaint(), "manager", NONE, moved, now=NOW)
    assert "a counter_offer_accepted trace entry is not the last of the trace" in problems
    unmarked = accepted.model_copy(update={"trace": accepted.trace[:-1]})  # as an older release stored it
    problems = resolution_violations(RITZ, complaint(), "manager", NONE, unmarked, now=NOW)
    assert "total is 2000.00 USD but granted + asked is 3000.00" in problems  # judged at what was asked
    assert resolution_violations(RITZ, complaint("2000.00"), "manager", NONE, unmarked, now=NOW) == []


def test_a_counter_offer_entry_that_did_not_pass_is_a_violation() -> None:
    offer = counter_offer()
    last = offer.trace[-1]
    failed = TraceEntry(rule=last.rule, passed=False, message=last.message, figures=last.figures)
    forged = offer.model_copy(update={"trace": (*offer.trace[:-1], failed)})
    problems = resolution_violations(RITZ, complaint(), "manager", NONE, forged, now=NOW)
    assert "a counter_offer ends the trace of a resolution that does not approve the offer" in problems


def test_a_counter_offer_of_another_kind_than_asked_is_a_violation() -> None:
    offer = counter_offer()
    forged = offer.model_copy(update={"remedy": Remedy(kind="comp", amount=usd("2000.00"))})
    problems = resolution_violations(RITZ, complaint(), "manager", NONE, forged, now=NOW)
    assert "the counter-offer is a 'comp', not the 'refund' asked" in problems


def test_a_counter_offer_in_another_currency_than_asked_is_a_violation() -> None:
    offer = counter_offer()
    euros = Money("2000.00", "EUR")
    forged = with_last_entry(
        offer.model_copy(update={"remedy": Remedy(kind="refund", amount=euros)}), offer=euros, asked=usd("3000.00")
    )
    problems = resolution_violations(RITZ, complaint(), "manager", NONE, forged, now=NOW)
    assert "the counter-offer's offer (2000.00 EUR) is not less than what was asked (3000.00 USD)" in problems


def test_a_delivery_entry_that_did_not_pass_does_not_hand_the_approval_over() -> None:
    approval = escalated().manager_approves(by="manager", employee="E-2")
    assert approval.delivered_by == "staff"
    trace = tuple(
        TraceEntry(rule=entry.rule, passed=False, message=entry.message, figures=entry.figures)
        if entry.rule == "delivery"
        else entry
        for entry in approval.trace
    )
    forged = approval.model_copy(update={"trace": trace})
    problems = resolution_violations(RITZ, complaint(), "manager", NONE, forged, now=NOW)
    assert any(problem.startswith("an approval is delivered by the employee who grants it") for problem in problems)
