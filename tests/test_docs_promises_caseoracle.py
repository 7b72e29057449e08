"""An independent oracle for the case path, written from the pages alone.

The model below follows ``docs/explanation/case-path.md``, ``docs/how-to/run-a-case.md`` and
``docs/explanation/guarantees.md`` (and the public docstrings), not the code of ``recovery_rules._case``:
the states and the steps allowed in each, who may take a step, what it records, idempotency keys, and
two handles on one case. A Hypothesis state machine drives a real ``Case`` with random steps (allowed
and not, by random employees of random levels, with repeated keys) and compares after each step.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from recovery_rules import (
    AuthorityError,
    Case,
    Complaint,
    Customer,
    IdempotencyConflictError,
    InvalidInputError,
    Journal,
    MemoryJournal,
    Money,
    Remedy,
    SQLiteJournal,
    WorkflowError,
    presets,
)

from ._helpers import examples

POLICY = presets.ritz_carlton()
NOW = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC)
LEVELS = ("staff", "manager", "general_manager")
RANK = {name: index for index, name in enumerate(LEVELS)}
# The Ritz preset's authority (policy: hard_cap $10,000; staff $2,000, duty manager $5,000; the general
# manager up to the cap), denials delivered by the manager, three alternatives (so a back-up exists).
LIMIT = {"staff": Decimal("2000.00"), "manager": Decimal("5000.00"), "general_manager": Decimal("10000.00")}
HARD_CAP = Decimal("10000.00")
DENIALS_BY = "manager"
EMPLOYEES = ("E-1", "E-2", "M-1", None)
AMOUNTS = ("250.00", "3000.00", "7000.00", "12000.00")
STEPS = (
    "listen",
    "apologize",
    "ask_preferred_solution",
    "decide",
    "escalate",
    "manager_approves",
    "manager_denies",
    "deliver",
    "explain_denial",
    "accept_alternative",
    "decline_alternatives",
    "make_final_offer",
    "accept_final_offer",
    "decline_final_offer",
    "accept_offer",
    "decline_offer",
    "write_report",
    "thank",
    "close",
    "manager_calls",
)
# A step not allowed now may be refused for a bad argument first (write_report(to="staff") in any state
# raises InvalidInputError): the pages do not say which check comes first; see the report.
LENIENT: set[type[BaseException]] = {InvalidInputError, AuthorityError}
REBUILT = (
    "history",
    "allowed_steps",
    "outcome",
    "decision",
    "resolution",
    "alternatives_offered",
    "backup",
    "final_offer",
    "accepted",
    "counter_offer",
    "denial_reason",
    "report",
    "escalated_to",
    "escalating_employee",
    "callback_by",
    "preferred",
    "level",
    "employee",
)
ANSWERING = {"deliver", "accept_offer", "accept_alternative", "accept_final_offer", "thank"}
RESOLVING = {"deliver", "accept_offer", "accept_alternative", "accept_final_offer"}


def usd(amount: str) -> Money:
    return Money(amount, "USD")


@dataclass
class Model:
    """The case as the pages describe it."""

    level: str
    asked: Decimal
    state: str = "opened"
    version: int = 1
    agreed: bool | None = None
    escalated_to: str | None = None
    escalating_employee: str | None = None
    denied_by: str | None = None  # the level that denied it (None: the rules)
    offered_by: str | None = None  # the manager who made a counter-offer
    reported_to: str | None = None
    call_owed: bool = False
    callback_owed: bool = False  # the escalation's callback, until the customer hears back
    outcome: str | None = None
    granted: Decimal | None = Decimal("0.00")  # None: an alternative with a value the model does not price
    answered: bool = False
    satisfied: bool | None = None
    satisfaction: int | None = None
    alternatives: tuple[str, ...] = ()
    backup: str | None = None
    decided_alternatives: bool = False  # model.alternatives are the decision's (before an escalation)
    keys: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def allowed(self) -> set[str]:
        state = self.state
        table: dict[str, set[str]] = {
            "opened": {"listen"},
            "listened": {"apologize"},
            "apologized": {"ask_preferred_solution"},
            "solution_asked": {"ask_preferred_solution"} if self.agreed is False else {"decide"},
            "approved": {"deliver"},
            # "accept_alternative ... instead of escalating": one of the decision's alternatives (case-path.md)
            "beyond_authority": {"escalate", "accept_alternative"},
            "escalated": {"manager_approves", "manager_denies"},
            "counter_offered": {"deliver"},
            "offer_delivered": {"accept_offer", "decline_offer"},
            "offer_declined": {"explain_denial"},
            "denied": {"explain_denial"},
            "alternatives_offered": {"accept_alternative", "decline_alternatives"},
            "alternatives_declined": {"make_final_offer"},
            "final_offer_made": {"accept_final_offer", "decline_final_offer"},
            "final_offer_declined": {"write_report"},
            "resolved": {"thank"},
            "reported": {"thank"},
            "thanked": {"close"},
            "closed": set(),
        }
        allowed = set(table[state])
        if self.call_owed and state in {"reported", "thanked", "closed"}:
            allowed.add("manager_calls")
        return allowed


def outcome_for(amount: Decimal, level: str) -> tuple[str, str | None]:
    """What deciding ``amount`` with ``level``'s authority gives: the state, and whom it escalates to."""
    if amount <= LIMIT[level]:
        return "approved", None
    if amount > HARD_CAP:
        return "denied", None
    target = next(name for name in LEVELS if LIMIT[name] >= amount)
    return "beyond_authority", target


@dataclass(frozen=True)
class Call:
    step: str
    handle: int
    employee: str | None
    by: str | None
    key: str | None
    amount: str | None
    satisfied: object
    satisfaction: object
    agreed: bool | None
    remedy: str | None
    pick: int


calls = st.builds(
    Call,
    step=st.sampled_from(STEPS),
    handle=st.integers(0, 1),
    employee=st.sampled_from(EMPLOYEES),
    by=st.sampled_from((None, *LEVELS)),
    key=st.sampled_from((None, None, "k1", "k2")),
    amount=st.sampled_from((None, "1500.00", "2000.00", "4000.00", "0.00", "asked", "more")),
    satisfied=st.sampled_from((None, None, True, False, "yes")),
    satisfaction=st.sampled_from((None, None, 1, 5, 0, 6, True)),
    agreed=st.sampled_from((None, True, False)),
    remedy=st.sampled_from((None, None, *AMOUNTS)),
    pick=st.integers(0, 3),
)


def bad_answers(call: Call) -> bool:
    """Whether the call gives an answer that is not one (a score outside 1..5 or a bool, a yes not a bool)."""
    return call.step in ANSWERING and (
        (call.satisfied is not None and not isinstance(call.satisfied, bool))
        or (
            call.satisfaction is not None
            and (isinstance(call.satisfaction, bool) or call.satisfaction not in range(1, 6))
        )
    )


def content(call: Call) -> tuple[object, ...]:
    """What a key identifies: the step and everything passed to it but the key."""
    step = call.step
    return (
        step,
        call.employee,
        call.by
        if step in {"manager_approves", "manager_denies", "explain_denial", "write_report", "manager_calls"}
        else None,
        call.amount if step == "manager_approves" else None,
        (call.satisfied, call.satisfaction) if step in ANSWERING else None,
        (call.agreed, call.remedy) if step == "ask_preferred_solution" else None,
        call.pick if step == "accept_alternative" else None,
    )


class CasePath(RuleBasedStateMachine):
    """Random steps on a real case, each compared with the model."""

    def make_journal(self) -> Journal:
        return MemoryJournal()

    def __init__(self) -> None:
        super().__init__()
        self.journal = self.make_journal()
        self.cases: list[Case] = []
        self.model: Model | None = None
        self.acted_last = 0
        self.preferred = self.pending_preferred = Decimal(0)
        self.offer: Decimal | None = None
        self.pending_offer: Decimal | None = None
        self.recorded = 1  # the journal's events: the case's opening

    def teardown(self) -> None:
        self.journal.close()

    @initialize(
        level=st.sampled_from(("staff", "manager")),
        amount=st.sampled_from(AMOUNTS),
        employee=st.sampled_from(EMPLOYEES),
    )
    def open_case(self, level: str, amount: str, employee: str | None) -> None:
        complaint = Complaint(
            customer=Customer(id="10442"),
            category="room_not_ready",
            requested=Remedy(kind="refund", amount=usd(amount)),
            received_at=NOW,
        )
        first = Case.open(self.journal, POLICY, complaint, by=level, employee=employee, clock=lambda: NOW)
        second = Case.load(self.journal, POLICY, first.number, clock=lambda: NOW)
        self.cases = [first, second]
        self.model = Model(level=level, asked=Decimal(amount))
        self.model.escalating_employee = None
        self.preferred = Decimal(amount)

    # -- the prediction ------------------------------------------------------------------

    def predict(self, call: Call) -> tuple[set[type[BaseException]], dict[str, Any]]:
        """The exceptions the call may raise (empty: it must succeed), and the changes it makes."""
        model = self.model
        assert model is not None
        refusals: set[type[BaseException]] = set()
        changes: dict[str, Any] = {}
        if call.step not in model.allowed():
            refusals.add(WorkflowError)
        bad_answer = bad_answers(call)
        answering = call.step in ANSWERING and (call.satisfied is not None or call.satisfaction is not None)
        if bad_answer:
            refusals.add(InvalidInputError)
        if answering and model.answered:
            refusals.add(InvalidInputError)  # a case records one answer
        if answering and call.step == "deliver" and model.state == "counter_offered":
            refusals.add(InvalidInputError)  # the customer has not answered the offer yet
        step, state = call.step, model.state
        if step == "ask_preferred_solution":
            changes["state"] = "solution_asked"
            changes["agreed"] = call.agreed
            # no remedy: the complaint's request, as the page's example says
            self.pending_preferred = model.asked if call.remedy is None else Decimal(call.remedy)
        elif step == "listen":
            changes["state"] = "listened"
        elif step == "apologize":
            changes["state"] = "apologized"
        elif step == "decide":
            new, target = outcome_for(self.preferred, model.level)
            changes["state"] = new
            changes["escalated_to"] = target
            if new == "approved":
                changes["granted"] = self.preferred  # "An approval records a grant"
        elif step == "escalate":
            changes["state"] = "escalated"
            changes["callback_owed"] = True
            changes["escalating_employee"] = call.employee
        elif step in {"manager_approves", "manager_denies"}:
            by = call.by or "staff"  # by= is required; the machine passes the case's level's lowest
            if state == "escalated":
                target = model.escalated_to
                assert target is not None
                if RANK[by] < RANK[target]:
                    refusals.add(AuthorityError)
                if call.employee is not None and call.employee == model.escalating_employee:
                    refusals.add(AuthorityError)
            if step == "manager_denies":
                changes["state"] = "denied"
                changes["denied_by"] = by
            else:
                offer = self.offer_amount(call)
                if offer is None or offer == self.preferred:
                    changes["state"] = "approved"
                    changes["granted"] = self.preferred
                    if state == "escalated" and LIMIT[by] < self.preferred:
                        refusals.add(AuthorityError)
                elif offer <= 0 or offer > self.preferred or call.amount == "jpy":
                    refusals.add(InvalidInputError)
                else:
                    changes["state"] = "counter_offered"
                    self.pending_offer = offer
                    changes["offered_by"] = by
                    if LIMIT[by] < offer:
                        refusals.add(AuthorityError)
        elif step == "deliver":
            changes["state"] = "offer_delivered" if state == "counter_offered" else "resolved"
            changes["callback_owed"] = False  # the customer heard back
            if state == "approved":
                changes["outcome"] = "remedy_delivered"
        elif step == "accept_offer":
            changes["state"] = "resolved"
            changes["outcome"] = "counter_offer_accepted"
            changes["granted"] = self.offer
        elif step == "decline_offer":
            changes["state"] = "offer_declined"
        elif step == "explain_denial":
            default = model.offered_by if state == "offer_declined" else (model.denied_by or DENIALS_BY)
            by = call.by or default or DENIALS_BY
            if state in {"denied", "offer_declined"} and RANK[by] < RANK[DENIALS_BY]:
                refusals.add(AuthorityError)
            changes["state"] = "alternatives_offered"
            changes["callback_owed"] = False  # the customer heard back
        elif step == "accept_alternative":
            changes["state"] = "resolved"
            changes["outcome"] = "alternative_accepted"
            changes["granted"] = None
            if state == "alternatives_offered" and call.pick >= 2:
                refusals.add(InvalidInputError)  # the back-up, or no alternative: not offered
            if state == "beyond_authority" and call.pick >= len(model.alternatives):
                refusals.add(InvalidInputError)  # not one of the decision's alternatives
        elif step == "decline_alternatives":
            changes["state"] = "alternatives_declined"
        elif step == "make_final_offer":
            changes["state"] = "final_offer_made"
        elif step == "accept_final_offer":
            changes["state"] = "resolved"
            changes["outcome"] = "final_offer_accepted"
            changes["granted"] = None
        elif step == "decline_final_offer":
            changes["state"] = "final_offer_declined"
        elif step == "write_report":
            to = call.by or DENIALS_BY
            if RANK[to] < RANK[DENIALS_BY]:
                refusals.add(InvalidInputError)  # "never lower": an InvalidInputError at to
            changes["state"] = "reported"
            changes["reported_to"] = to
            changes["call_owed"] = True
            changes["outcome"] = "reported"
        elif step == "thank":
            changes["state"] = "thanked"
        elif step == "close":
            changes["state"] = "closed"
        elif step == "manager_calls":
            caller = call.by or model.reported_to
            if (
                model.call_owed
                and model.reported_to is not None
                and caller is not None
                and RANK[caller] < RANK[model.reported_to]
            ):
                refusals.add(AuthorityError)
            changes["call_owed"] = False
        if answering and not refusals:
            changes["answered"] = True
            changes["satisfied"] = call.satisfied
            changes["satisfaction"] = call.satisfaction
        return refusals, changes

    def offer_amount(self, call: Call) -> Decimal | None:
        if call.amount is None:
            return None
        if call.amount == "asked":
            return self.preferred
        if call.amount == "more":
            return self.preferred + 500
        return Decimal(call.amount)

    def invoke(self, case: Case, call: Call) -> object:
        step = call.step
        kwargs: dict[str, Any] = {"employee": call.employee}
        if call.key is not None:
            kwargs["key"] = call.key
        if step in ANSWERING:
            if call.satisfied is not None:
                kwargs["satisfied"] = call.satisfied
            if call.satisfaction is not None:
                kwargs["satisfaction"] = call.satisfaction
        if step == "ask_preferred_solution":
            remedy = None if call.remedy is None else Remedy(kind="refund", amount=usd(call.remedy))
            return case.ask_preferred_solution(remedy, customer_agreed=call.agreed, **kwargs)
        if step in {"manager_approves", "manager_denies"}:
            kwargs["by"] = call.by or "staff"
            if step == "manager_denies":
                return case.manager_denies(reason="A full refund is beyond what we grant for a late room.", **kwargs)
            offer = self.offer_amount(call)
            if offer is not None:
                kwargs["amount"] = usd(str(offer))
            return case.manager_approves(**kwargs)
        if step in {"explain_denial", "manager_calls"}:
            kwargs["by"] = call.by
        if step == "write_report":
            kwargs["to"] = call.by
            kwargs["summary"] = "Guest insists on a full refund."
        if step == "accept_alternative":
            # the ids the explanation offered, as the model keeps them (a handle behind has not read them yet);
            # before an escalation, the decision's alternatives (what the employee can authorize now)
            model = self.model
            assert model is not None
            offered = model.alternatives
            choices = [*offered[:2], model.backup or "none", "none"]
            if model.decided_alternatives:
                return case.accept_alternative([*offered, "none", "none", "none", "none"][call.pick], **kwargs)
            return case.accept_alternative(choices[min(call.pick, 3)] if len(offered) >= 2 else "none", **kwargs)
        return getattr(case, step)(**kwargs)

    @rule(call=calls)
    def step(self, call: Call) -> None:
        model = self.model
        assert model is not None
        case = self.cases[call.handle]
        self.acted_last = 0  # the second handle is compared when its step read the journal (below)
        before = model.version  # what the journal holds (the invariant reads it back with Case.load)
        if call.key is not None and call.key in model.keys:
            first_content, first_result = model.keys[call.key]
            if first_content != content(call):
                # a bad argument may be refused before the key is looked up (the pages do not say)
                with pytest.raises((IdempotencyConflictError, *LENIENT)):
                    self.invoke(case, call)
            else:
                again = self.invoke(case, call)
                assert again == first_result, "a repeat returns the first result"
                assert case.last_step_recorded is False
            assert self.journal.head().count == self.recorded, "a repeat or a conflict records nothing"
            return
        self.pending_preferred = self.preferred
        self.pending_offer = self.offer
        refusals, changes = self.predict(call)
        if WorkflowError in refusals:
            refusals |= LENIENT
        error: Exception | None = None
        try:
            result = self.invoke(case, call)
        except Exception as caught:  # compared with the model below
            error = caught
        if error is not None:
            assert refusals, f"{call.step} was refused in state {model.state}: {error!r}"
            assert type(error) in refusals or any(isinstance(error, kind) for kind in refusals), (
                f"{call.step} in {model.state}: expected one of {refusals}, got {error!r}"
            )
            if isinstance(error, WorkflowError):
                assert set(error.allowed) == model.allowed()
                self.acted_last = call.handle
            assert self.journal.head().count == self.recorded, "a refused step records nothing"
            return
        assert not refusals, f"{call.step} in {model.state} was accepted; expected one of {refusals}"
        self.acted_last = call.handle
        for name, value in changes.items():
            setattr(model, name, value)
        self.preferred = self.pending_preferred
        self.offer = self.pending_offer
        model.version += 1
        if call.key is not None:
            model.keys[call.key] = (content(call), result)
        self.recorded += 1
        assert self.journal.head().count == self.recorded, "a step records one event"
        events = list(self.journal.events(case.number))
        assert len(events) == before + 1 == model.version
        last = events[-1]
        assert last.state == model.state
        assert last.employee == call.employee
        assert last.policy_revision == POLICY.revision
        if call.step in {"manager_approves", "manager_denies"}:
            assert last.actor == (call.by or "staff")
        if call.step == "explain_denial":
            assert last.actor in LEVELS
            assert RANK[last.actor] >= RANK[DENIALS_BY]
        owed = model.callback_owed or model.call_owed
        assert (last.callback_due is not None) == owed, "every event carries the callback owed, and only then"
        if call.step == "manager_calls":
            assert last.actor == (call.by or model.reported_to)
        if model.state == "beyond_authority" and call.step == "decide":
            model.decided_alternatives = True
            decision = case.decision
            assert decision is not None
            model.alternatives = tuple(alternative.id for alternative in decision.alternatives)
            assert model.alternatives, "beyond the employee's authority, a decision carries alternatives"
        if model.state == "alternatives_offered" and call.step == "explain_denial":
            model.decided_alternatives = False
            model.alternatives = tuple(alternative.id for alternative in case.alternatives_offered)
            assert len(model.alternatives) == 2
            backup = case.backup
            model.backup = None if backup is None else backup.id

    @rule(data=st.data())
    def allowed_step(self, data: st.DataObject) -> None:
        """Mostly allowed steps, so that runs reach the deep states (a report, a counter-offer declined...)."""
        model = self.model
        assert model is not None
        allowed = sorted(model.allowed())
        if not allowed:
            return
        call = data.draw(calls)
        self.step(Call(**{**call.__dict__, "step": data.draw(st.sampled_from(allowed))}))

    @invariant()
    def the_case_is_the_model(self) -> None:
        model = self.model
        if model is None:
            return
        # the first handle reads what the second recorded; the second stays behind until it acts
        # (a step that finds the journal ahead reads the new events first and checks again)
        first = self.cases[0]
        first.refresh()
        for case in (first, self.cases[1]) if self.acted_last == 1 else (first,):
            assert case.state.value == model.state
            assert case.version == model.version
            assert set(case.allowed_steps()) == model.allowed()
            assert case.satisfied == model.satisfied
            assert case.satisfaction == model.satisfaction
            assert case.customer_agreed == model.agreed
        case = self.cases[0]
        assert (case.callback_by is not None) == (model.callback_owed or model.call_owed)
        listed = [overdue.number for overdue in self.journal.overdue_callbacks(NOW + dt.timedelta(days=30))]
        assert listed == ([case.number] if model.callback_owed or model.call_owed else [])
        if model.granted is not None:
            assert case.granted == usd(str(model.granted))
        if model.state in {"resolved", "thanked", "closed", "reported"}:
            assert case.outcome is not None
            assert case.outcome.value == model.outcome
        if model.state == "escalated":
            assert case.escalated_to == model.escalated_to
        loaded = Case.load(self.journal, POLICY, self.cases[0].number)
        assert loaded.state.value == model.state
        assert loaded.version == model.version
        assert (loaded.satisfied, loaded.satisfaction, loaded.customer_agreed) == (
            model.satisfied,
            model.satisfaction,
            model.agreed,
        )
        assert loaded.granted == case.granted
        # "a rebuilt case equals the live one"
        for name in REBUILT:
            rebuilt, live = getattr(loaded, name), getattr(case, name)
            assert (rebuilt() if callable(rebuilt) else rebuilt) == (live() if callable(live) else live), name
        assert loaded.callback_by == case.callback_by


class SQLiteCasePath(CasePath):
    folder: Path = Path()
    counter_files = itertools.count()

    def make_journal(self) -> Journal:
        return SQLiteJournal(self.folder / f"journal-{next(self.counter_files)}.sqlite3")


def steps() -> int:
    """Long runs (deep into the path: reports, declined counter-offers) unless the quick profile is loaded."""
    loaded = settings.default
    return 10 if loaded is None or loaded.max_examples < 100 else 30


@pytest.mark.slow
def test_the_case_follows_the_path_the_pages_describe_in_memory() -> None:
    run_state_machine_as_test(CasePath, settings=settings(max_examples=examples(50), stateful_step_count=steps()))


@pytest.mark.slow
def test_the_case_follows_the_path_the_pages_describe_in_sqlite(tmp_path: Path) -> None:
    SQLiteCasePath.folder = tmp_path
    run_state_machine_as_test(SQLiteCasePath, settings=settings(max_examples=examples(4), stateful_step_count=steps()))
