"""Who acted, and which policy decided: employee ids, require_employee, no self-approval, delegation, revisions.

Issue 12 section 1 and issue 13 section 5, on every journal backend.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recovery_rules import (
    AuthorityError,
    Case,
    CaseState,
    Complaint,
    Customer,
    Event,
    IdempotencyConflictError,
    InvalidInputError,
    JournalIntegrityError,
    MemoryJournal,
    Money,
    Outcome,
    Policy,
    PolicyError,
    Remedy,
    presets,
    resolution_violations,
)

from ._helpers import examples
from ._journal_backends import BACKENDS, Harness

NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
RITZ = presets.ritz_carlton()  # staff $2,000, manager $5,000, general manager unlimited (cap $10,000)


def policy_with(**changes: Any) -> Policy:
    data = RITZ.model_dump(mode="json")
    data.update(changes)
    return Policy.model_validate(data)


def delegating(delegates: list[str], level: str = "general_manager") -> Policy:
    data = RITZ.model_dump(mode="json")
    for entry in data["levels"]:
        if entry["name"] == level:
            entry["delegates"] = delegates
    return Policy.model_validate(data)


STRICT = policy_with(require_employee=True)


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    harness = BACKENDS[request.param](tmp_path)
    yield harness
    harness.close()


def complaint(amount: str = "3000.00", customer: str = "10442") -> Complaint:
    return Complaint(
        customer=Customer(id=customer),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=NOW,
    )


def escalated(case: Case, employee: str | None = "E-0001") -> Case:
    case.listen(now=NOW, employee=employee)
    case.apologize(now=NOW, employee=employee)
    case.ask_preferred_solution(now=NOW, employee=employee)
    assert case.decide(now=NOW, employee=employee).outcome is Outcome.ESCALATED
    case.escalate(now=NOW, employee=employee)
    return case


# -- the employee on every event ---------------------------------------------------------------------------------


def test_every_event_records_its_employee_and_the_policy_revision(backend: Harness) -> None:
    journal = backend.journal()
    case = Case.open(journal, RITZ, complaint(), by="staff", now=NOW, employee="E-0001")
    assert (case.level, case.employee) == ("staff", "E-0001")
    escalated(case)
    approval = case.manager_approves(by="manager", now=NOW, employee="M-0002")
    assert (approval.employee, approval.policy_revision) == ("M-0002", RITZ.revision)
    case.deliver(now=NOW, employee="E-0003")
    case.thank(now=NOW, employee="E-0003")
    case.close(now=NOW)  # no employee given: None
    expected = ["E-0001"] * 6 + ["M-0002", "E-0003", "E-0003", None]
    assert [event.employee for event in case.history] == expected
    for events in (journal.events(case.number), list(backend.journal().iter_events())):
        assert [event.employee for event in events] == expected
        assert {event.policy_revision for event in events} == {RITZ.revision}
        assert {event.format for event in events} == {3}
    again = Case.load(backend.journal(), RITZ, case.number)
    assert (again.level, again.employee) == ("staff", "E-0001")
    decision = again.decision
    assert decision is not None
    assert (decision.employee, decision.policy_revision) == ("E-0001", RITZ.revision)
    assert backend.journal().verify().ok


def test_without_employees_the_events_say_none_and_still_carry_the_revision() -> None:
    journal = MemoryJournal()
    case = Case.open(journal, RITZ, complaint("40.00"), by="staff", now=NOW)
    case.listen(now=NOW)
    assert case.employee is None
    assert [event.employee for event in case.history] == [None, None]
    assert [event.policy_revision for event in case.history] == [RITZ.revision] * 2


def test_a_step_taken_under_a_revised_policy_records_the_revision_that_took_it(backend: Harness) -> None:
    """Each event records the revision of the policy its step was taken with: a case opened under one revision
    and carried on after the policy was revised (same name, a changed limit) records the new revision on the
    new steps and keeps the old one on the earlier steps, so a pilot compares what each revision decided."""
    journal = backend.journal()
    case = Case.open(journal, RITZ, complaint(), by="staff", now=NOW, employee="E-0001")
    case.listen(now=NOW, employee="E-0001")
    revised = policy_with(personal_call_within="2h")
    assert (revised.name, revised.revision != RITZ.revision) == (RITZ.name, True)
    later = Case.load(backend.journal(), revised, case.number)
    later.apologize(now=NOW, employee="E-0001")
    later.ask_preferred_solution(now=NOW, employee="E-0001")
    decision = later.decide(now=NOW, employee="E-0001")
    assert decision.policy_revision == revised.revision
    assert [event.policy_revision for event in backend.journal().events(case.number)] == [RITZ.revision] * 2 + [
        revised.revision
    ] * 3


def test_policy_decide_carries_the_employee_and_the_revision() -> None:
    resolution = RITZ.decide(complaint(), by="staff", now=NOW, employee="E-0042")
    assert (resolution.employee, resolution.policy_revision) == ("E-0042", RITZ.revision)
    anonymous = RITZ.decide(complaint(), by="staff", now=NOW)
    assert (anonymous.employee, anonymous.policy_revision) == (None, RITZ.revision)
    other = presets.retail().decide(complaint().model_copy(update={"category": "damaged"}), by="associate", now=NOW)
    assert other.policy_revision == presets.retail().revision != RITZ.revision


def test_a_resolution_claiming_another_revision_breaks_a_promise() -> None:
    resolution = RITZ.decide(complaint(), by="staff", now=NOW)
    assert resolution_violations(RITZ, complaint(), "staff", None, resolution, now=NOW) == []
    forged = resolution.model_copy(update={"policy_revision": "e" * 64})
    problems = resolution_violations(RITZ, complaint(), "staff", None, forged, now=NOW)
    expected = f"policy_revision is {'e' * 64!r}, not the revision of the policy that decided ({RITZ.revision})"
    assert problems == [expected]


@pytest.mark.parametrize("name", ["Jane Smith", "", "x" * 65, "Zoë", "E-0042\n", 42])
def test_an_employee_is_an_id_never_a_name(name: object) -> None:
    journal = MemoryJournal()
    with pytest.raises(InvalidInputError, match="E-0042") as caught:
        Case.open(journal, RITZ, complaint(), by="staff", now=NOW, employee=name)  # type: ignore[arg-type]  # on purpose
    assert caught.value.problems[0].location == "employee"
    with pytest.raises(InvalidInputError, match="employee id"):
        RITZ.decide(complaint(), by="staff", now=NOW, employee=name)  # type: ignore[arg-type]  # on purpose
    case = Case.open(journal, RITZ, complaint(), by="staff", now=NOW, employee="E-0042")
    with pytest.raises(InvalidInputError, match="never a name"):
        case.listen(now=NOW, employee=name)  # type: ignore[arg-type]  # on purpose
    assert journal.head().count == 1


def test_a_retry_by_another_employee_is_a_conflict(backend: Harness) -> None:
    case = Case.open(backend.journal(), RITZ, complaint(), by="staff", now=NOW, employee="E-0001", key="open-1")
    first = case.listen(now=NOW, employee="E-0001", key="listen-1")
    assert case.listen(now=NOW, employee="E-0001", key="listen-1") == first  # the same request: the same event
    with pytest.raises(IdempotencyConflictError):
        case.listen(now=NOW, employee="E-0002", key="listen-1")
    with pytest.raises(IdempotencyConflictError):
        case.listen(now=NOW, key="listen-1")
    with pytest.raises(IdempotencyConflictError):
        Case.open(backend.journal(), RITZ, complaint(), by="staff", now=NOW, employee="E-0002", key="open-1")
    assert Case.open(backend.journal(), RITZ, complaint(), by="staff", now=NOW, employee="E-0001", key="open-1")
    assert backend.journal().head().count == 2


# -- require_employee ------------------------------------------------------------------------------------------


def test_require_employee_is_off_by_default_and_keeps_the_revision_of_policies_without_it() -> None:
    assert RITZ.require_employee is False
    assert STRICT.require_employee is True
    assert policy_with(require_employee=False).revision == RITZ.revision != STRICT.revision


def test_require_employee_refuses_an_opening_without_one(backend: Harness) -> None:
    journal = backend.journal()
    with pytest.raises(InvalidInputError, match="requires the employee's id") as caught:
        Case.open(journal, STRICT, complaint(), by="staff", now=NOW)
    assert caught.value.problems[0].location == "employee"
    assert journal.head().count == 0


STEPS: list[tuple[str, Callable[..., object]]] = [
    ("listen", lambda case, **who: case.listen(now=NOW, **who)),
    ("apologize", lambda case, **who: case.apologize(now=NOW, **who)),
    ("ask_preferred_solution", lambda case, **who: case.ask_preferred_solution(now=NOW, **who)),
    ("decide", lambda case, **who: case.decide(now=NOW, **who)),
    ("escalate", lambda case, **who: case.escalate(now=NOW, **who)),
    (
        "manager_denies",
        lambda case, **who: case.manager_denies(by="manager", reason="It is over the limit.", now=NOW, **who),
    ),
    ("explain_denial", lambda case, **who: case.explain_denial(now=NOW, **who)),
    ("decline_alternatives", lambda case, **who: case.decline_alternatives(now=NOW, **who)),
    ("make_final_offer", lambda case, **who: case.make_final_offer(now=NOW, **who)),
    ("decline_final_offer", lambda case, **who: case.decline_final_offer(now=NOW, **who)),
    ("write_report", lambda case, **who: case.write_report(now=NOW, **who)),
    ("thank", lambda case, **who: case.thank(now=NOW, **who)),
    ("close", lambda case, **who: case.close(now=NOW, **who)),
]


def test_require_employee_refuses_every_step_without_one_and_records_nothing(backend: Harness) -> None:
    journal = backend.journal()
    case = Case.open(journal, STRICT, complaint("3000.00"), by="staff", now=NOW, employee="E-0001")
    for name, step in STEPS:
        head = journal.head()
        with pytest.raises(InvalidInputError, match="requires the employee's id") as caught:
            step(case)
        assert caught.value.problems[0].location == "employee", name
        assert journal.head() == head, f"{name} recorded something"
        who = "M-0002" if name in ("manager_denies", "explain_denial", "make_final_offer") else "E-0001"
        step(case, employee=who)
    assert case.closed
    assert None not in {event.employee for event in journal.events(case.number)}


def test_require_employee_refuses_the_other_steps_too() -> None:
    journal = MemoryJournal()
    case = escalated(Case.open(journal, STRICT, complaint(), by="staff", now=NOW, employee="E-0001"))
    with pytest.raises(InvalidInputError, match="requires"):
        case.manager_approves(by="manager", now=NOW)
    case.manager_approves(by="manager", now=NOW, employee="M-0002")
    with pytest.raises(InvalidInputError, match="requires"):
        case.deliver(now=NOW)
    assert case.version == 7
    cheap = Case.open(journal, STRICT, complaint("40.00", "555"), by="staff", now=NOW, employee="E-0001")
    cheap.listen(now=NOW, employee="E-0001")
    cheap.apologize(now=NOW, employee="E-0001")
    cheap.ask_preferred_solution(now=NOW, employee="E-0001")
    cheap.decide(now=NOW, by="manager", employee="E-0001")  # approved
    with pytest.raises(InvalidInputError, match="requires"):
        cheap.deliver(now=NOW)


def test_require_employee_refuses_accepting_an_alternative_without_one() -> None:
    journal = MemoryJournal()
    case = escalated(Case.open(journal, STRICT, complaint("6000.00"), by="staff", now=NOW, employee="E-0001"))
    case.manager_denies(by="general_manager", reason="It is over what we can refund.", now=NOW, employee="G-0001")
    case.explain_denial(now=NOW, employee="G-0001")
    offered = case.alternatives_offered[0].id
    with pytest.raises(InvalidInputError, match="requires"):
        case.accept_alternative(offered, now=NOW)
    case.decline_alternatives(now=NOW, employee="G-0001")
    case.make_final_offer(now=NOW, employee="G-0001")
    with pytest.raises(InvalidInputError, match="requires"):
        case.accept_final_offer(now=NOW)
    case.accept_final_offer(now=NOW, employee="G-0001")
    assert case.history[-1].employee == "G-0001"


# -- no approving one's own escalation --------------------------------------------------------------------------

MANAGER_STEPS: dict[str, Callable[..., object]] = {
    "manager_approves": lambda case, **who: case.manager_approves(by="manager", now=NOW, **who),
    "manager_denies": lambda case, **who: case.manager_denies(
        by="manager", reason="It is over the limit.", now=NOW, **who
    ),
}


class Unlike(str):
    """An employee id that says it differs from every other, itself included."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return False

    def __ne__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return str.__hash__(self)


@pytest.mark.parametrize("step", sorted(MANAGER_STEPS))
def test_an_employee_id_that_says_it_is_someone_else_cannot_decide_its_own_escalation(step: str) -> None:
    """No self-approval, whatever the id compares like: an id is exactly a str, so a subclass that says it
    differs from the escalating employee is refused, and nothing is recorded under the id it holds."""
    journal = MemoryJournal()
    case = escalated(Case.open(journal, RITZ, complaint(), by="staff", now=NOW, employee="E-0001"))
    head = journal.head()
    with pytest.raises(InvalidInputError, match="never a name") as caught:
        MANAGER_STEPS[step](case, employee=Unlike("E-0001"))
    assert caught.value.problems[0].location == "employee"
    assert journal.head() == head  # nothing recorded
    assert case.state is CaseState.ESCALATED


@pytest.mark.parametrize("step", sorted(MANAGER_STEPS))
def test_the_escalating_employee_may_not_decide_the_escalation(backend: Harness, step: str) -> None:
    journal = backend.journal()
    case = escalated(Case.open(journal, RITZ, complaint(), by="staff", now=NOW, employee="E-0001"))
    head = journal.head()
    with pytest.raises(AuthorityError, match="another employee of the level") as caught:
        MANAGER_STEPS[step](case, employee="E-0001")
    assert caught.value.step == step
    assert journal.head() == head  # nothing recorded
    assert Case.load(backend.journal(), RITZ, case.number).escalating_employee == "E-0001"
    MANAGER_STEPS[step](case, employee="M-0002")  # another employee of the level may
    assert case.history[-1].employee == "M-0002"


def test_a_delegate_may_not_decide_their_own_escalation_either() -> None:
    policy = delegating(["manager"])
    case = escalated(Case.open(MemoryJournal(), policy, complaint("6000.00"), by="staff", now=NOW, employee="E-0001"))
    with pytest.raises(AuthorityError, match="another employee"):
        case.manager_approves(by="manager", acting_for="general_manager", now=NOW, employee="E-0001")


def needed_level(step: Callable[[], object]) -> str | None:
    with pytest.raises(AuthorityError) as caught:
        step()
    return caught.value.needed


def test_the_refusal_of_ones_own_escalation_names_the_level_another_employee_needs() -> None:
    """Its advice works: the level it names (``needed``, and in the message) is one whose other employees may take
    the step, the one the authority check asks a colleague for; never the escalating employee's own level when
    that level could not take the step either."""
    case = escalated(Case.open(MemoryJournal(), RITZ, complaint(), by="staff", now=NOW, employee="E-0001"))
    with pytest.raises(AuthorityError) as own:  # staff escalated $3,000 to the manager, then tries as staff
        case.manager_approves(by="staff", now=NOW, employee="E-0001")
    assert own.value.needed == "manager"
    assert "another employee of the level manager or a higher one must act" in str(own.value)
    assert "may not decide their own escalation" in str(own.value)
    assert needed_level(lambda: case.manager_approves(by="staff", now=NOW, employee="E-0002")) == "manager"
    for by in ("manager", "general_manager"):  # a level that could: the lowest level another employee needs
        approve = functools.partial(case.manager_approves, by=by, now=NOW, employee="E-0001")
        deny = functools.partial(case.manager_denies, by=by, reason="Too much.", now=NOW, employee="E-0001")
        assert needed_level(approve) == needed_level(deny) == "manager"
    assert needed_level(lambda: case.manager_denies(by="staff", reason="Too much.", now=NOW, employee="E-0001")) == (
        "manager"
    )
    assert case.version == 6  # nothing recorded


def test_a_manager_who_escalated_to_the_general_manager_is_told_the_general_manager_must_act() -> None:
    case = escalated(Case.open(MemoryJournal(), RITZ, complaint("6000.00"), by="manager", now=NOW), "M-1")
    assert case.escalated_to == "general_manager"
    for step in MANAGER_STEPS.values():  # as a manager: neither they nor another manager may
        assert needed_level(functools.partial(step, case, employee="M-1")) == "general_manager"
        assert needed_level(functools.partial(step, case, employee="M-2")) == "general_manager"
    with pytest.raises(AuthorityError, match="another employee of the level general_manager") as own:
        case.manager_approves(by="general_manager", now=NOW, employee="M-1")
    assert own.value.needed == "general_manager"
    assert case.manager_approves(by="general_manager", now=NOW, employee="G-1").approved


def test_over_the_cap_the_escalating_employee_is_told_no_level_may_approve() -> None:
    """When no level could approve the step, ``needed`` is None and the refusal says why, as for anyone else."""
    journal = MemoryJournal()
    case = escalated(Case.open(journal, RITZ, complaint("6000.00"), by="staff", now=NOW, employee="E-0001"))
    other = escalated(Case.open(journal, RITZ, complaint("6000.00"), by="staff", now=NOW, employee="E-0002"))
    assert other.manager_approves(by="general_manager", now=NOW, employee="G-1").approved  # $6,000 of the $10,000
    with pytest.raises(AuthorityError) as own:
        case.manager_approves(by="general_manager", now=NOW, employee="E-0001")
    with pytest.raises(AuthorityError) as colleague:
        case.manager_approves(by="general_manager", now=NOW, employee="G-1")
    assert own.value.needed is colleague.value.needed is None
    assert str(own.value) == str(colleague.value)


def test_without_employee_ids_the_self_approval_check_cannot_apply() -> None:
    case = escalated(Case.open(MemoryJournal(), RITZ, complaint(), by="staff", now=NOW), employee=None)
    assert case.manager_approves(by="manager", now=NOW).approved  # documented: nothing to compare


# -- delegation -------------------------------------------------------------------------------------------------


def test_a_delegate_acts_with_the_absent_levels_authority_and_the_event_says_so(backend: Harness) -> None:
    policy = delegating(["manager"])
    journal = backend.journal()
    case = escalated(Case.open(journal, policy, complaint("6000.00"), by="staff", now=NOW, employee="E-0001"))
    assert case.escalated_to == "general_manager"
    with pytest.raises(AuthorityError):  # on its own authority a manager may not grant $6,000
        case.manager_approves(by="manager", now=NOW, employee="M-0002")
    approval = case.manager_approves(by="manager", acting_for="general_manager", now=NOW, employee="M-0002")
    assert approval.approved
    assert (approval.acting_level, approval.authorized_by) == ("general_manager", "general_manager")
    event = Case.load(backend.journal(), policy, case.number).history[-1]
    assert (event.actor, event.data["acting_for"], event.employee) == ("manager", "general_manager", "M-0002")


def test_a_delegates_counter_offer_is_granted_with_the_absent_levels_authority(backend: Harness) -> None:
    """A delegate's counter-offer made for an absent level is granted, when the customer accepts it, with that
    level's authority (more than the delegate's own), and the grant records whom the delegate acted for."""
    policy = delegating(["manager"])
    journal = backend.journal()
    case = escalated(Case.open(journal, policy, complaint("6000.00"), by="staff", now=NOW, employee="E-0001"))
    offer = Money("5500.00", "USD")  # more than a manager may grant on their own ($5,000)
    case.manager_approves(by="manager", acting_for="general_manager", amount=offer, now=NOW, employee="M-0002")
    case.deliver(now=NOW, employee="E-0001")
    event = case.accept_offer(now=NOW, employee="E-0001")
    assert (event.actor, event.grant, event.data["acting_for"]) == ("manager", offer, "general_manager")
    assert Case.load(backend.journal(), policy, case.number).granted == offer


def test_a_delegate_may_deny_and_explain_for_the_absent_level(backend: Harness) -> None:
    policy = delegating(["manager"])
    case = escalated(Case.open(backend.journal(), policy, complaint("6000.00"), by="staff", now=NOW, employee="E-0001"))
    with pytest.raises(AuthorityError, match="escalated to general_manager"):
        case.manager_denies(by="manager", reason="It is more than a refund can cover.", now=NOW, employee="M-0002")
    denial = case.manager_denies(
        by="manager",
        acting_for="general_manager",
        reason="It is more than a refund can cover.",
        now=NOW,
        employee="M-0002",
    )
    assert (denial.actor, denial.data["acting_for"]) == ("manager", "general_manager")
    explained = case.explain_denial(by="manager", acting_for="general_manager", now=NOW, employee="M-0002")
    assert explained.data["acting_for"] == "general_manager"


def test_only_a_named_delegate_may_act_for_a_level() -> None:
    policy = delegating(["manager"])
    case = escalated(Case.open(MemoryJournal(), policy, complaint("6000.00"), by="staff", now=NOW, employee="E-0001"))
    with pytest.raises(AuthorityError, match="may not act for general_manager"):
        case.manager_approves(by="staff", acting_for="general_manager", now=NOW, employee="S-0009")
    with pytest.raises(AuthorityError, match=r"its delegates \(none\)"):
        case.manager_approves(by="staff", acting_for="manager", now=NOW, employee="S-0009")
    plain = escalated(Case.open(MemoryJournal(), RITZ, complaint("6000.00"), by="staff", now=NOW, employee="E-1"))
    with pytest.raises(AuthorityError, match="may not act for"):  # the preset names no delegates
        plain.manager_approves(by="manager", acting_for="general_manager", now=NOW, employee="M-0002")
    assert case.version == plain.version == 6


def test_a_retry_acting_for_another_level_is_a_conflict() -> None:
    policy = delegating(["manager"])
    case = escalated(Case.open(MemoryJournal(), policy, complaint("3000.00"), by="staff", now=NOW, employee="E-0001"))
    case.manager_approves(by="manager", now=NOW, employee="M-0002", key="approve-1")
    with pytest.raises(IdempotencyConflictError):
        case.manager_approves(by="manager", acting_for="general_manager", now=NOW, employee="M-0002", key="approve-1")


@pytest.mark.parametrize(
    ("delegates", "message"),
    [(["general_manager"], "cannot delegate to itself"), (["supervisor"], "'supervisor' names no level")],
)
def test_delegates_are_checked_when_the_policy_loads(delegates: list[str], message: str) -> None:
    with pytest.raises(PolicyError, match=message) as caught:
        delegating(delegates)
    assert [problem.location for problem in caught.value.problems] == ["levels[2].delegates"]


def test_delegates_are_read_from_a_policy_file() -> None:
    text = presets.path("ritz_carlton").read_text(encoding="utf-8")
    text = text.replace('limit = "unlimited"', 'limit = "unlimited"\ndelegates = ["manager"]', 1)
    policy = Policy.from_text(text)
    assert policy.level("general_manager").delegates == ("manager",)
    assert policy.revision != RITZ.revision


# -- tampering with who and which ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"), [("employee", "E-9999"), ("employee", None), ("policy_revision", "f" * 64)]
)
def test_an_edited_employee_or_revision_is_found(backend: Harness, field: str, value: object) -> None:
    journal = backend.journal()
    case = Case.open(journal, RITZ, complaint(), by="staff", now=NOW, employee="E-0001")
    case.listen(now=NOW, employee="E-0001")
    case.apologize(now=NOW, employee="E-0001")
    backend.edit(2, field, value)
    result = backend.journal().verify()
    assert (result.ok, result.first_bad) == (False, 2)
    with pytest.raises(JournalIntegrityError):
        backend.journal().events(case.number)


# -- the properties ---------------------------------------------------------------------------------------------

EMPLOYEES = st.one_of(st.none(), st.sampled_from(["E-0001", "E-0002", "M-0003", "G-0004"]))


@settings(max_examples=examples(60), suppress_health_check=[HealthCheck.too_slow])
@given(
    amount=st.sampled_from(["40.00", "3000.00", "6000.00", "20000.00"]),
    who=st.lists(EMPLOYEES, min_size=20, max_size=20),
    deny=st.booleans(),
    accept=st.booleans(),
)
def test_each_event_records_the_employee_its_step_was_given(
    amount: str, who: list[str | None], deny: bool, accept: bool
) -> None:
    journal = MemoryJournal()
    given_to: list[str | None] = [who[0]]
    case = Case.open(journal, RITZ, complaint(amount), by="staff", now=NOW, employee=who[0])
    turn = iter(who[1:])

    def step(run: Callable[..., object]) -> None:
        employee = next(turn)
        run(employee=employee)
        given_to.append(employee)

    step(lambda **kw: case.listen(now=NOW, **kw))
    step(lambda **kw: case.apologize(now=NOW, **kw))
    step(lambda **kw: case.ask_preferred_solution(now=NOW, **kw))
    step(lambda **kw: case.decide(now=NOW, **kw))
    if case.state == "beyond_authority":
        step(lambda **kw: case.escalate(now=NOW, **kw))
        manager = case.escalated_to or ""
        escalator = case.escalating_employee
        decide = (
            (lambda **kw: case.manager_denies(by=manager, reason="It is more than we refund.", now=NOW, **kw))
            if deny
            else (lambda **kw: case.manager_approves(by=manager, now=NOW, **kw))
        )
        employee = next(turn)
        if employee is not None and employee == escalator:
            with pytest.raises(AuthorityError, match="another employee"):
                decide(employee=employee)
            employee = next(other for other in ("E-0001", "E-0002") if other != escalator)
        decide(employee=employee)
        given_to.append(employee)
    if case.state == "approved":
        step(lambda **kw: case.deliver(now=NOW, **kw))
    elif case.state == "denied":
        step(lambda **kw: case.explain_denial(now=NOW, **kw))
        if accept:
            offered = case.alternatives_offered[0].id
            step(lambda **kw: case.accept_alternative(offered, now=NOW, **kw))
        else:
            step(lambda **kw: case.decline_alternatives(now=NOW, **kw))
            step(lambda **kw: case.make_final_offer(now=NOW, **kw))
            step(lambda **kw: case.decline_final_offer(now=NOW, **kw))
            step(lambda **kw: case.write_report(now=NOW, **kw))
    step(lambda **kw: case.thank(now=NOW, **kw))
    step(lambda **kw: case.close(now=NOW, **kw))
    events = journal.events(case.number)
    assert [event.employee for event in events] == given_to
    assert {event.policy_revision for event in events} == {RITZ.revision}
    escalations = [event for event in events if event.kind == "escalated"]
    decisions = [event for event in events if event.kind in ("manager_approved", "manager_denied")]
    for escalation, decision in zip(escalations, decisions, strict=True):
        assert escalation.employee is None or decision.employee != escalation.employee
    assert journal.verify().ok


def test_a_manager_step_by_the_escalating_employee_never_succeeds_whoever_escalated() -> None:
    @settings(max_examples=examples(20))
    @given(escalator=st.sampled_from(["E-0001", "M-0003"]), deny=st.booleans())
    def check(escalator: str, deny: bool) -> None:
        journal = MemoryJournal()
        case = escalated(Case.open(journal, STRICT, complaint(), by="staff", now=NOW, employee="E-0009"), escalator)
        head = journal.head()
        with pytest.raises(AuthorityError):
            MANAGER_STEPS["manager_denies" if deny else "manager_approves"](case, employee=escalator)
        assert journal.head() == head

    check()


def test_an_event_of_format_3_refuses_a_name_for_an_employee() -> None:
    event = Case.open(MemoryJournal(), RITZ, complaint(), by="staff", now=NOW, employee="E-0001").history[0]
    with pytest.raises(InvalidInputError, match="E-0042"):
        Event.model_validate({**dict(event), "employee": "Jane Smith"})


def test_a_level_below_the_escalation_that_may_now_approve_is_the_level_named_for_a_colleague() -> None:
    """Read with a policy under which the escalating employee's own level could approve it: another employee of
    that level may (the lower of it and the level escalated to), and the refusal names it, not the manager."""
    journal = MemoryJournal()
    case = escalated(Case.open(journal, RITZ, complaint(), by="staff", now=NOW, employee="E-0001"))
    assert case.escalated_to == "manager"
    data = RITZ.model_dump(mode="json")
    for entry in data["levels"]:
        if entry["name"] == "staff":
            entry["limit"] = "4000.00"  # staff may grant the $3,000 now
    reread = Case.load(journal, Policy.model_validate(data), case.number)
    own = functools.partial(reread.manager_approves, by="staff", now=NOW, employee="E-0001")
    assert needed_level(own) == "staff"
    assert reread.version == 6  # nothing recorded
    assert reread.manager_approves(by="staff", now=NOW, employee="E-0002").approved  # the advice works
