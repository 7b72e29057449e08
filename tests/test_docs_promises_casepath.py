"""The case path as docs/explanation/case-path.md draws it, checked step by step (a docs-promise audit).

A Hypothesis state machine takes any step, by any level, in whatever state the case is in, and checks it against
the page's table, written out again below from the page (not from the library): a step the page allows is
recorded as exactly one event of its kind, landing in a state the page's diagram draws (or is refused for lack of
authority, recording nothing); a step it does not allow raises ``WorkflowError`` naming the steps allowed next,
records nothing and leaves ``allowed_steps()`` as it was. After every step a case loaded again from the journal
shows the same state, history and allowed steps, and ``Wording.say_next`` says something without raising and
names only steps the case allows. The HTTP service's case endpoints list the same allowed steps as the library.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from recovery_rules import (
    AuthorityError,
    Case,
    CaseView,
    Complaint,
    Customer,
    InvalidInputError,
    MemoryJournal,
    Money,
    Policy,
    Remedy,
    Wording,
    WorkflowError,
    presets,
)

from ._helpers import examples, policy_data
from ._server import complaint, serve, walk

START: Final = dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC)  # 1:00 in the afternoon at the Ritz preset's hotel

# The page's table ("steps allowed next") and diagram (where each step leads), written out from the page.
PAGE: Final[dict[str, dict[str, set[str]]]] = {
    "opened": {"listen": {"listened"}},
    "listened": {"apologize": {"apologized"}},
    "apologized": {"ask_preferred_solution": {"solution_asked"}},
    "solution_asked": {
        "decide": {"approved", "beyond_authority", "denied"},
        "ask_preferred_solution": {"solution_asked"},  # instead of decide, after "not correct"
    },
    "approved": {"deliver": {"resolved"}},
    "beyond_authority": {"escalate": {"escalated"}, "accept_alternative": {"resolved"}},  # instead of escalating
    "escalated": {"manager_approves": {"approved", "counter_offered"}, "manager_denies": {"denied"}},
    "counter_offered": {"deliver": {"offer_delivered"}},
    "offer_delivered": {"accept_offer": {"resolved"}, "decline_offer": {"offer_declined"}},
    "offer_declined": {"explain_denial": {"alternatives_offered"}},
    "denied": {"explain_denial": {"alternatives_offered"}},
    "alternatives_offered": {"accept_alternative": {"resolved"}, "decline_alternatives": {"alternatives_declined"}},
    "alternatives_declined": {"make_final_offer": {"final_offer_made"}, "write_report": {"reported"}},
    "final_offer_made": {"accept_final_offer": {"resolved"}, "decline_final_offer": {"final_offer_declined"}},
    "final_offer_declined": {"write_report": {"reported"}},
    "resolved": {"thank": {"thanked"}},
    "reported": {"thank": {"thanked"}, "manager_calls": {"reported"}},
    "thanked": {"close": {"closed"}, "manager_calls": {"thanked"}},
    "closed": {"manager_calls": {"closed"}},
}
KIND: Final = {
    "listen": "listened",
    "apologize": "apologized",
    "ask_preferred_solution": "solution_asked",
    "decide": "decided",
    "escalate": "escalated",
    "manager_approves": "manager_approved",
    "manager_denies": "manager_denied",
    "deliver": "delivered",
    "explain_denial": "denial_explained",
    "accept_alternative": "alternative_accepted",
    "decline_alternatives": "alternatives_declined",
    "make_final_offer": "final_offer_made",
    "accept_final_offer": "final_offer_accepted",
    "decline_final_offer": "final_offer_declined",
    "accept_offer": "offer_accepted",
    "decline_offer": "offer_declined",
    "write_report": "report_written",
    "thank": "thanked",
    "close": "closed",
    "manager_calls": "manager_called",
}
STEPS: Final = sorted(KIND)


def page_allows(case: Case) -> set[str]:
    """The steps the page allows next, from the case's state and the conditions the table states."""
    state = case.state.value
    steps = set(PAGE[state])
    kinds = [event.kind for event in case.history]
    if state == "solution_asked":  # ask again only after "not correct", and then decide nothing
        steps = {"ask_preferred_solution"} if case.customer_agreed is False else {"decide"}
    if state == "alternatives_declined":  # write_report "if the Plan B has no third option"
        steps = {"make_final_offer"} if case.backup is not None else {"write_report"}
    if "manager_calls" in steps and ("report_written" not in kinds or "manager_called" in kinds):
        steps.discard("manager_calls")  # after a report, until made
    return steps


class PagePath(RuleBasedStateMachine):
    """One case at a time, driven by any step in any state, against the page's table."""

    policy: Policy = presets.ritz_carlton()
    amounts: tuple[tuple[str, str], ...] = (
        ("refund", "250.00"),  # within staff's authority
        ("refund", "3000.00"),  # escalated to the manager
        ("refund", "20000.00"),  # over the cap: denied at once
        ("cash_payment", "50.00"),  # a refused remedy: denied at once
    )

    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.journal = MemoryJournal(clock=self.clock)
        self.wording = Wording(self.policy)
        self.levels = [level.name for level in self.policy.levels]
        self.case: Case | None = None

    def clock(self) -> dt.datetime:
        return self.now

    def teardown(self) -> None:
        self.journal.close()

    @initialize(data=st.data())
    def open_case(self, data: st.DataObject) -> None:
        kind, amount = data.draw(st.sampled_from(self.amounts), label="complaint")
        complaint = Complaint(
            customer=Customer(id="10442"),
            category="room_not_ready",
            requested=Remedy(kind=kind, amount=Money(amount, self.policy.currency)),
            received_at=self.now,
        )
        self.case = Case.open(self.journal, self.policy, complaint, by="staff", clock=self.clock)

    def arguments(self, data: st.DataObject, case: Case, step: str) -> dict[str, Any]:
        level = data.draw(st.sampled_from(self.levels), label="level")
        if step == "ask_preferred_solution":
            return {"customer_agreed": data.draw(st.sampled_from([None, True, False]), label="agreed")}
        if step in {"decide", "explain_denial", "manager_calls"}:
            return {"by": data.draw(st.sampled_from([None, level]), label="by")}
        if step == "manager_approves":
            asked = case.complaint.requested.amount
            less = Money.from_minor_units(asked.to_minor_units() * 2 // 3, asked.currency)
            return {"by": level, "amount": data.draw(st.sampled_from([None, less]), label="amount")}
        if step == "manager_denies":
            return {"by": level, "reason": "A full refund is beyond what we grant for a late room."}
        if step == "accept_alternative":
            # before an escalation, the decision's alternatives; after a denial, the two offered with it
            offered = case.alternatives_offered
            if case.state.value == "beyond_authority" and case.decision is not None:
                offered = case.decision.alternatives
            ids = [alternative.id for alternative in offered] or ["no-such-alternative"]
            return {"alternative_id": data.draw(st.sampled_from(ids), label="alternative")}
        if step == "write_report":
            required = self.levels.index(self.policy.denials_delivered_by)
            return {"summary": "The guest insists.", "to": data.draw(st.sampled_from(self.levels[required:]))}
        return {}

    @precondition(lambda self: self.case is not None)
    @rule(data=st.data(), step=st.sampled_from(STEPS))
    def any_step(self, data: st.DataObject, step: str) -> None:
        """Any step at all, allowed or not."""
        self.attempt(data, step)

    @precondition(lambda self: self.case is not None and self.case.allowed_steps())
    @rule(data=st.data())
    def an_allowed_step(self, data: st.DataObject) -> None:
        """A step the case allows: how the machine gets along the path to its later states."""
        assert self.case is not None
        self.attempt(data, data.draw(st.sampled_from(self.case.allowed_steps()), label="step"))

    def attempt(self, data: st.DataObject, step: str) -> None:
        case = self.case
        assert case is not None
        event(f"{case.state.value}: {step}")
        self.now += dt.timedelta(minutes=data.draw(st.sampled_from([0, 7, 240]), label="minutes later"))
        arguments = self.arguments(data, case, step)
        before, state, head = case.allowed_steps(), case.state.value, self.journal.head()
        assert set(before) == page_allows(case), (state, before)
        refusal: WorkflowError | InvalidInputError | None = None
        try:
            getattr(case, step)(**arguments)
        except (WorkflowError, InvalidInputError) as error:
            refusal = error
        if refusal is None:
            assert step in before, f"{step} is not allowed in {state} but was recorded"
            assert self.journal.head().count == head.count + 1, "a step records one event"
            recorded = self.journal.events(case.number)[-1]
            assert (recorded.kind, recorded) == (KIND[step], case.history[-1])
            assert case.state.value in PAGE[state][step], (state, step, case.state.value)
            return
        if isinstance(refusal, WorkflowError) and not isinstance(refusal, AuthorityError):
            assert step not in before, f"{step} is allowed in {state} but was refused: {refusal}"
            assert all(name in str(refusal) for name in before), str(refusal)
        else:  # no authority now, an offer the ledger no longer covers, an alternative not offered: allowed steps
            assert step in before, f"{step} is not allowed in {state}: a WorkflowError, not {refusal}"
        if isinstance(refusal, WorkflowError):
            assert refusal.allowed == before
        assert self.journal.head() == head, "a refused step recorded something"
        assert case.allowed_steps() == before, "a refused step changed the steps allowed next"

    @invariant()
    def a_loaded_case_is_the_live_case(self) -> None:
        if self.case is None:
            return
        loaded = Case.load(self.journal, self.policy, self.case.number)
        assert (loaded.state, loaded.history, loaded.allowed_steps()) == (
            self.case.state,
            self.case.history,
            self.case.allowed_steps(),
        )
        assert CaseView.replay(self.journal.events(self.case.number)).state is self.case.state

    @invariant()
    def the_words_to_say_next_name_only_allowed_steps(self) -> None:
        if self.case is None:
            return
        allowed = self.case.allowed_steps()
        for words in self.wording.say_next(self.case):
            assert words.version is not None or words.step in allowed, (words.step, allowed)


class TwoAlternativesPath(PagePath):
    """A policy with ``min_alternatives = 2``: the report follows the declined alternatives directly."""

    policy = Policy.model_validate(
        policy_data(min_alternatives=2, personal_call_within="2h", refused_remedies=["cash_payment"])
    )
    amounts = (("refund", "50.00"), ("refund", "1500.00"), ("refund", "9000.00"), ("cash_payment", "50.00"))


_MACHINE_SETTINGS: Final = settings(
    max_examples=examples(30),
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PagePath.TestCase.settings = _MACHINE_SETTINGS
TwoAlternativesPath.TestCase.settings = _MACHINE_SETTINGS
TestThePagesTableOnTheRitzPreset = pytest.mark.slow(PagePath.TestCase)
TestThePagesTableWithTwoAlternatives = pytest.mark.slow(TwoAlternativesPath.TestCase)


# -- Wording.say_next on a Case whose journal is ahead of it (another desk took the step) --------------------------
def _denied(journal: MemoryJournal) -> Case:
    policy = presets.ritz_carlton()
    complaint = Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money("3000.00", "USD")),
        received_at=START,
    )
    case = Case.open(journal, policy, complaint, by="staff", now=START)
    for step in ("listen", "apologize", "ask_preferred_solution", "decide", "escalate"):
        getattr(case, step)(now=START)
    case.manager_denies(by="manager", reason="A full refund is beyond what we grant for a late room.", now=START)
    return case


def test_the_words_to_say_next_on_a_case_another_desk_moved_on_name_no_step_it_no_longer_allows() -> None:
    journal = MemoryJournal(clock=lambda: START)
    try:
        desk = _denied(journal)
        other = Case.load(journal, desk.policy, desk.number)  # a second desk's object, read before the news
        desk.explain_denial(now=START)  # the first desk offers the two alternatives
        said = Wording(desk.policy).say_next(other)
        allowed = other.allowed_steps()
        assert all(words.version is not None or words.step in allowed for words in said), (said, allowed)
    finally:
        journal.close()


def test_the_words_to_say_next_before_a_denial_is_explained_name_two_alternatives() -> None:
    journal = MemoryJournal(clock=lambda: START)
    try:
        case = _denied(journal)
        (denial,) = Wording(case.policy).say_next(case)
        coming = case.offers()
        assert (denial.step, denial.speaker) == ("explain_denial", "manager")
        assert len(coming) == 3  # two alternatives, then the back-up
        assert all(alternative.description in denial.text for alternative in coming[:2])
    finally:
        journal.close()


# -- the HTTP service's case endpoints and the library agree on the steps allowed next ------------------------------
COUNTER_OFFER_WALK: Final = [
    ("listen", "staff", None),
    ("apologize", "staff", None),
    ("ask_preferred_solution", "staff", {"customer_agreed": False}),
    ("ask_preferred_solution", "staff", {"customer_agreed": True}),
    ("decide", "staff", None),
    ("escalate", "staff", None),
    ("manager_approves", "manager", {"amount": "2000.00 USD"}),
    ("deliver", "staff", None),
    ("decline_offer", "staff", None),
    ("explain_denial", "manager", None),
    ("decline_alternatives", "manager", None),
    ("make_final_offer", "manager", None),
    ("decline_final_offer", "manager", None),
    ("write_report", "manager", None),
    ("thank", "staff", None),
    ("close", "staff", None),
    ("manager_calls", "manager", None),
]


BODIES: Final = {"manager_denies": {"reason": "Not practical tonight."}, "accept_alternative": {"alternative_id": "x"}}


@pytest.mark.slow
def test_the_service_lists_the_librarys_allowed_steps_and_refuses_every_other_step_with_them() -> None:
    served = serve()
    try:
        opened = served.post("/v1/cases", json={"complaint": complaint("3000.00")})
        assert opened.status_code == 201, opened.json()
        number = opened.json()["complaint_number"]
        for step, level, body in [*COUNTER_OFFER_WALK, (None, "staff", None)]:
            allowed = list(Case.load(served.journal, presets.ritz_carlton(), number).allowed_steps())
            assert served.get(f"/v1/cases/{number}").json()["case"]["allowed_steps"] == allowed
            head = served.journal.head()
            # a few steps not allowed, by the manager: the token's level is never the question
            for other in sorted(set(STEPS) - set(allowed))[::5]:
                refused = served.post(f"/v1/cases/{number}/{other}", "manager", json=BODIES.get(other))
                assert (refused.status_code, refused.json()["allowed_steps"]) == (409, allowed), (other, allowed)
                assert refused.json()["type"].endswith("#step-not-allowed")
            assert served.journal.head() == head
            if step is not None:
                taken = served.post(f"/v1/cases/{number}/{step}", level, json=body)
                assert taken.status_code == 200, (step, taken.json())
                after = Case.load(served.journal, presets.ritz_carlton(), number).allowed_steps()
                assert taken.json()["case"]["allowed_steps"] == list(after)
    finally:
        served.journal.close()


@pytest.mark.parametrize("step", ["make_final_offer", "write_report"])
def test_a_step_the_case_does_not_allow_is_a_409_before_the_tokens_level_is_considered(step: str) -> None:
    served = serve()
    try:
        number = served.post("/v1/cases", json={"complaint": complaint("3000.00")}).json()["complaint_number"]
        walk(
            served,
            number,
            [
                ("listen", "staff"),
                ("apologize", "staff"),
                ("ask_preferred_solution", "staff"),
                ("decide", "staff"),
                ("escalate", "staff"),
                ("manager_denies", "manager"),
                ("explain_denial", "manager"),
            ],
            manager_denies={"reason": "A full refund is beyond what we grant for a late room."},
        )
        head = served.journal.head()
        refused = served.post(f"/v1/cases/{number}/{step}", "staff")  # not allowed now, whoever sends it
        assert served.journal.head() == head
        assert refused.status_code == 409, refused.json()
        assert refused.json()["type"].endswith("#step-not-allowed")
        assert refused.json()["allowed_steps"] == ["accept_alternative", "decline_alternatives"]
    finally:
        served.journal.close()
