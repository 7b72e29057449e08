"""Promises about delegation (a level's ``delegates``, a step's ``acting_for=``), checked where a docs audit
found them untested or broken: docs/reference/policy-file.md (Delegation), docs/explanation/case-path.md,
docs/explanation/journal.md, docs/how-to/run-a-case.md and the ``Case`` and ``Wording.say_next`` docstrings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import TypeAdapter

from recovery_rules import (
    Alternative,
    AuthorityError,
    Case,
    Complaint,
    ComplaintNumber,
    Customer,
    MemoryJournal,
    Money,
    Outcome,
    Policy,
    PolicyError,
    Remedy,
    UnknownLevelError,
    Wording,
    metrics,
    presets,
)

NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
RITZ = presets.ritz_carlton()  # staff $2,000, manager $5,000, general manager unlimited
REASON = "It is more than a refund can cover."


def _policy(**changes: Any) -> Policy:
    """The Ritz-Carlton preset whose general manager names the manager among its ``delegates``."""
    data = RITZ.model_dump(mode="json")
    data.update(changes)
    for level in data["levels"]:
        if level["name"] == "general_manager":
            level["delegates"] = ["manager"]
    return Policy.model_validate(data)


DELEGATING = _policy()


def _tight() -> Policy:
    """Delegating, with grants counted over 30 days (no other cap) and late check-out worth $250, so that the
    manager's own Plan B and the general manager's differ once the guest was granted $4,800."""
    data = _policy(window="30d", caps=[]).model_dump(mode="json")
    for alternative in data["catalog"]:
        if alternative["id"] == "late-checkout":
            alternative["value"] = "250.00"
    return Policy.model_validate(data)


def _complaint(amount: str, sequence: int = 1) -> Complaint:
    return Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=NOW,
        number=ComplaintNumber(NOW.date(), "10442", sequence),
    )


def _escalated(journal: MemoryJournal, policy: Policy, amount: str, sequence: int = 1) -> Case:
    case = Case.open(journal, policy, _complaint(amount, sequence), by="staff", now=NOW, employee="E-0001")
    case.listen(now=NOW, employee="E-0001")
    case.apologize(now=NOW, employee="E-0001")
    case.ask_preferred_solution(now=NOW, employee="E-0001")
    assert case.decide(now=NOW, employee="E-0001").outcome is Outcome.ESCALATED
    case.escalate(now=NOW, employee="E-0001")
    return case


def _denied_by_a_delegate_with_less_room_of_its_own(journal: MemoryJournal) -> Case:
    """A $1,000 refund escalated to the general manager (the guest was granted $4,800 this month, so the manager
    may grant only $200 more), denied by a manager acting for the general manager."""
    policy = _tight()
    earlier = _escalated(journal, policy, "4800.00")
    earlier.manager_approves(by="manager", now=NOW, employee="M-0009")
    earlier.deliver(now=NOW)
    case = _escalated(journal, policy, "1000.00", sequence=2)
    assert case.escalated_to == "general_manager"
    case.manager_denies(by="manager", acting_for="general_manager", reason=REASON, now=NOW, employee="M-0002")
    return case


# -- who may act for whom --------------------------------------------------------------------------------------


def test_acting_for_a_level_the_policy_lacks_is_an_unknown_level_at_acting_for_and_records_nothing() -> None:
    journal = MemoryJournal()
    case = _escalated(journal, DELEGATING, "6000.00")
    for absent in ("owner", "", 3):
        with pytest.raises(UnknownLevelError) as caught:
            case.manager_approves(by="manager", acting_for=absent, now=NOW, employee="M-0002")  # type: ignore[arg-type]
        assert caught.value.problems[0].location == "acting_for"
    assert len(journal.events(case.number)) == 6


def test_a_level_acting_for_itself_or_for_a_level_that_names_no_delegates_is_refused() -> None:
    journal = MemoryJournal()
    case = _escalated(journal, DELEGATING, "6000.00")
    attempts = [("general_manager", "general_manager"), ("manager", "manager"), ("manager", "staff")]
    for by, absent in attempts:
        with pytest.raises(AuthorityError, match=f"{by} may not act for {absent}"):
            case.manager_approves(by=by, acting_for=absent, now=NOW, employee="M-0002")
    assert len(journal.events(case.number)) == 6


def test_delegates_must_be_a_list_of_level_names_in_a_policy_file() -> None:
    text = presets.path("ritz_carlton").read_text(encoding="utf-8")
    written = text.replace('limit = "unlimited"', 'limit = "unlimited"\ndelegates = "manager"', 1)
    with pytest.raises(PolicyError, match=r"levels\[2\]\.delegates: must be a list of levels"):
        Policy.from_text(written)


# -- what the words say ------------------------------------------------------------------------------------------


def test_say_next_names_the_alternatives_a_delegate_will_offer_for_the_absent_level() -> None:
    journal = MemoryJournal()
    case = _denied_by_a_delegate_with_less_room_of_its_own(journal)
    offers = case.offers(by="manager", acting_for="general_manager", now=NOW)
    assert [alternative.id for alternative in offers][:2] == ["sister-hotel", "suite-upgrade"]
    wording = Wording(case.policy)
    say_next: Any = wording.say_next
    words = say_next(case, now=NOW, by="manager", acting_for="general_manager")
    explained = case.explain_denial(by="manager", acting_for="general_manager", now=NOW, employee="M-0002")
    offered = TypeAdapter(list[Alternative]).validate_python(explained.data["alternatives"])
    assert [alternative.id for alternative in offered] == ["sister-hotel", "suite-upgrade"]
    assert words[0].text == wording.say_history(case)[-1].text


def test_say_history_words_a_delegated_explanation_with_the_alternatives_it_recorded() -> None:
    journal = MemoryJournal()
    case = _denied_by_a_delegate_with_less_room_of_its_own(journal)
    case.explain_denial(by="manager", acting_for="general_manager", now=NOW, employee="M-0002")
    said = Wording(case.policy).say_history(case)[-1]
    assert said.speaker == "manager"
    assert "An upgrade to a suite" in said.text  # $400: more than the manager's own $200 of room
    assert "Club lounge access" not in said.text  # what the manager's own authority would have offered


# -- what the journal records ------------------------------------------------------------------------------------


def test_a_final_offer_made_with_an_absent_levels_authority_records_acting_for() -> None:
    journal = MemoryJournal()
    case = _denied_by_a_delegate_with_less_room_of_its_own(journal)
    case.explain_denial(by="manager", acting_for="general_manager", now=NOW, employee="M-0002")
    case.decline_alternatives(now=NOW)
    made = case.make_final_offer(now=NOW, employee="M-0002")
    final = Alternative.model_validate(made.data["alternative"])
    assert final.value == Money("250.00", "USD")  # more than the manager's own $200 of room
    assert (made.actor, made.data.get("acting_for")) == ("manager", "general_manager")
    accepted = case.accept_final_offer(now=NOW)
    assert (accepted.actor, accepted.data["acting_for"]) == ("manager", "general_manager")


def test_a_delegates_counter_offer_is_decided_as_the_absent_levels() -> None:
    journal = MemoryJournal()
    case = _escalated(journal, DELEGATING, "6000.00")
    offer = Money("5500.00", "USD")
    resolution = case.manager_approves(
        by="manager", acting_for="general_manager", amount=offer, now=NOW, employee="M-0002"
    )
    assert (resolution.acting_level, resolution.authorized_by, resolution.remedy.amount) == (
        "general_manager",
        "general_manager",
        offer,
    )
    event = case.history[-1]
    assert (event.actor, event.employee, event.data["acting_for"]) == ("manager", "M-0002", "general_manager")


# -- retries -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["manager_approves", "manager_denies"])
def test_a_retried_delegated_step_returns_the_first_result_after_the_delegation_is_removed(step: str) -> None:
    journal = MemoryJournal()
    case = _escalated(journal, DELEGATING, "6000.00")
    args: dict[str, Any] = {"by": "manager", "acting_for": "general_manager", "now": NOW, "employee": "M-0002"}
    if step == "manager_denies":
        args["reason"] = REASON
    getattr(case, step)(key="step-1", **args)
    first = journal.events(case.number)[-1]
    reloaded = Case.load(journal, RITZ, case.number)  # the same policy, without the delegation
    again = getattr(reloaded, step)(key="step-1", **args)
    assert len(journal.events(case.number)) == 7
    assert (again if step == "manager_denies" else reloaded.history[-1]) == first


# -- the decision service ----------------------------------------------------------------------------------------


def test_the_services_case_view_shows_on_whose_behalf_a_delegate_acted() -> None:
    pytest.importorskip("fastapi", reason="the decision service needs the server extra, which dev installs")
    from ._server import serve  # noqa: PLC0415 - it skips the module's other tests without the server extra

    journal = MemoryJournal()
    case = _escalated(journal, DELEGATING, "6000.00")
    case.manager_denies(by="manager", acting_for="general_manager", reason=REASON, now=NOW, employee="M-0002")
    served = serve(DELEGATING, journal=journal)
    answer = served.get(f"/v1/cases/{case.number}", "manager")
    assert answer.status_code == 200
    denied = answer.json()["case"]["events"][-1]
    assert (denied["kind"], denied["actor"]) == ("manager_denied", "manager")
    assert denied.get("acting_for") == "general_manager"


# -- the metrics -------------------------------------------------------------------------------------------------


def test_a_delegated_approval_counts_in_the_metrics_for_the_level_that_took_the_step() -> None:
    """read-the-metrics.md: ``per_level`` is ``by_level``, "by who took the step": a manager approving for the
    absent general manager counts as the manager's decision and grant (more than the manager's own limit)."""
    journal = MemoryJournal()
    case = _escalated(journal, DELEGATING, "6000.00")
    case.manager_approves(by="manager", acting_for="general_manager", now=NOW, employee="M-0002")
    case.deliver(now=NOW)
    figures = metrics.report(journal, policy=DELEGATING, now=NOW)
    manager, general_manager = figures.per_level["manager"], figures.per_level["general_manager"]
    assert (manager.decisions, manager.granted) == (1, Money("6000.00", "USD"))
    assert general_manager.decisions == 0
    assert figures.escalations.approved == 1
