"""Random sequences of case steps against a model of the path (Hypothesis ``RuleBasedStateMachine``).

The machine opens cases for two guests and tries any step on any case, with
any level, as time passes. The model below (written out again here, not taken
from the library) says which steps each state allows. After every step:

- an illegal step was refused with ``WorkflowError`` naming exactly the steps
  the model allows, and nothing was written;
- a legal step was recorded, or refused with ``AuthorityError`` only when an
  independent check agrees the level could not do it;
- the journal verifies, and a case rebuilt from its events is the live case;
- no closed case lacks a decision and a resolution; every denial was
  explained with alternatives, every declined pair of alternatives was followed
  by the final offer (when the Plan B has one), every declined final offer by a
  report;
- replaying the grants in journal order, no guest's total within the window
  ever passes what the granting level may grant, nor the cap;
- a counter-offer (``manager_approves(amount=...)`` below what was asked) grants
  nothing when it is made, and exactly its amount when the customer accepts
  it; an amount above what was asked, or in another currency, is refused.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any, Final, NamedTuple

from hypothesis import HealthCheck, settings
from hypothesis import event as note_event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from recovery_rules import (
    AuthorityError,
    Case,
    Complaint,
    Customer,
    Event,
    InvalidInputError,
    MemoryJournal,
    Money,
    Outcome,
    Policy,
    Remedy,
    Resolution,
    WorkflowError,
    resolution_violations,
)

from ._helpers import examples, policy_data

POLICY: Final = Policy.model_validate(
    policy_data(
        window="day",
        timezone="America/New_York",
        refused_remedies=["cash_payment"],
        business_hours={"default": "08:00-20:00", "sunday": "closed"},
        personal_call_within="2h",
    )
)
ZONE: Final = zoneinfo.ZoneInfo("America/New_York")
START: Final = dt.datetime(2026, 11, 23, 13, 0, tzinfo=dt.UTC)
LEVELS: Final = [level.name for level in POLICY.levels]

# The path, written out independently of the library's table.
MODEL: Final[dict[str, set[str]]] = {
    "opened": {"listen"},
    "listened": {"apologize"},
    "apologized": {"ask_preferred_solution"},
    "solution_asked": {"decide"},
    "approved": {"deliver"},
    "counter_offered": {"deliver"},
    "offer_delivered": {"accept_offer", "decline_offer"},
    "offer_declined": {"explain_denial"},
    # instead of escalating, the customer may take one of the decision's alternatives (seed 002)
    "beyond_authority": {"escalate", "accept_alternative"},
    "escalated": {"manager_approves", "manager_denies"},
    "denied": {"explain_denial"},
    "alternatives_offered": {"accept_alternative", "decline_alternatives"},
    "alternatives_declined": {"make_final_offer"},  # or write_report when no back-up is left: see allowed()
    "final_offer_made": {"accept_final_offer", "decline_final_offer"},
    "final_offer_declined": {"write_report"},
    "resolved": {"thank"},
    "reported": {"thank"},
    "thanked": {"close"},
    "closed": set(),
}


def refused_amount(case: Case, amount: Money | None) -> bool:
    """Whether ``manager_approves`` refuses ``amount`` as input: above what was asked, another currency, zero."""
    asked = case.complaint.requested.amount
    if amount is None or amount == asked:
        return False
    return amount.currency != asked.currency or amount > asked or amount.is_zero


STEPS: Final = sorted({step for steps in MODEL.values() for step in steps} | {"write_report", "manager_calls"})
AMOUNTS: Final = [
    "0.00",
    "15.00",
    "79.99",
    "100.00",
    "100.01",
    "300.00",
    "500.01",
    "1999.99",
    "2000.01",
    "4999.99",
    "6000",
]


class Spec(NamedTuple):
    """What a complaint of the machine's is made of."""

    customer: str
    tier: str
    amount: str
    kind: str
    level: str


COMPLAINTS: Final = st.builds(
    Spec,
    customer=st.sampled_from(["10442", "77"]),  # two guests, so the ledger spans cases
    tier=st.sampled_from(["standard", "gold"]),
    amount=st.sampled_from(AMOUNTS),  # around every limit
    kind=st.sampled_from(["refund", "refund", "credit", "cash_payment"]),  # cash_payment is refused
    level=st.sampled_from(["staff", "staff", "supervisor"]),
)


def allowed(case: Case) -> set[str]:
    state = case.state.value
    if state == "alternatives_declined":
        return {"make_final_offer"} if case.backup is not None else {"write_report"}
    kinds = {event.kind for event in case.history}
    if "report_written" in kinds and "manager_called" not in kinds:  # the personal call, once, whatever the state
        return MODEL[state] | {"manager_calls"}
    return MODEL[state]


def limit(level: str, tier: str) -> Money | None:
    found = POLICY.level(level)
    return found.tier_limits.get(tier, found.limit)


def day_of(event: Event) -> dt.date:
    return event.at.astimezone(ZONE).date()


class CasePath(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.journal = MemoryJournal(clock=self.clock)  # the steps are dated by the machine's own clock
        self.now = START
        self.cases: list[Case] = []
        self.last: tuple[Case, str, dict[str, Any], str, object] | None = None
        self.counter = 0
        self.touched: Case | None = None  # the case the last step went to, to rebuild and compare

    def clock(self) -> dt.datetime:
        return self.now

    # -- rules ----------------------------------------------------------------------------
    @initialize(spec=COMPLAINTS)
    def first_case(self, spec: Spec) -> None:
        self.open_case(spec)

    @precondition(lambda self: sum(not case.closed for case in self.cases) < 3)
    @rule(spec=COMPLAINTS)
    def open_case(self, spec: Spec) -> None:
        complaint = Complaint(
            customer=Customer(id=spec.customer, tier=spec.tier),
            category="room_not_ready",
            requested=Remedy(kind=spec.kind, amount=Money(spec.amount, "USD")),
            received_at=self.now,
        )
        case = Case.open(self.journal, POLICY, complaint, by=spec.level, clock=self.clock)
        assert case.state.value == "opened"
        self.cases.append(case)
        self.touched = case

    @precondition(lambda self: sum(not case.closed for case in self.cases) < 3)
    @rule(spec=COMPLAINTS, amount=st.sampled_from(["300.00", "1999.99", "2000.01", "4999.99"]))
    def escalated_case(self, spec: Spec, amount: str) -> None:
        """A case taken straight to a manager's decision (escalated), where counter-offers are made."""
        self.open_case(spec._replace(amount=amount, kind="refund", level="staff"))
        case = self.cases[-1]
        for step in ("listen", "apologize", "ask_preferred_solution", "decide"):
            getattr(case, step)()
        if case.state.value == "beyond_authority":
            case.escalate()
        self.check_all()

    @precondition(lambda self: any(not case.closed for case in self.cases))
    @rule(data=st.data(), level=st.sampled_from(LEVELS))
    def advance(self, data: st.DataObject, level: str) -> None:
        """A few steps the model allows, on one open case: how a case gets along its path.

        The invariants are checked after each of them, as after every rule.
        """
        case = data.draw(st.sampled_from([case for case in self.cases if not case.closed]), label="case")
        for _ in range(data.draw(st.integers(1, 4), label="steps")):
            if case.closed:
                break
            step = data.draw(st.sampled_from(sorted(allowed(case))), label="step")
            if step in {"manager_approves", "manager_denies"} and case.escalated_to and data.draw(st.booleans()):
                level = data.draw(st.sampled_from(LEVELS[LEVELS.index(case.escalated_to) :]), label="higher level")
            self.attempt(data, case, step, level)
            self.check_all()

    @precondition(lambda self: self.cases)
    @rule(data=st.data(), step=st.sampled_from(STEPS), level=st.sampled_from(LEVELS))
    def try_any_step(self, data: st.DataObject, step: str, level: str) -> None:
        """Any step at all, on any case, allowed or not."""
        self.attempt(data, data.draw(st.sampled_from(self.cases), label="case"), step, level)

    def attempt(self, data: st.DataObject, case: Case, step: str, level: str) -> None:
        self.touched = case
        self.now += dt.timedelta(minutes=data.draw(st.sampled_from([0, 5, 90, 600, 1440]), label="minutes later"))
        arguments = self.arguments(data, case, step, level)
        before_head, before_state = self.journal.head(), case.state.value
        legal = step in allowed(case)
        self.counter += 1
        key = f"k{self.counter}"
        refusal: WorkflowError | InvalidInputError | None = None
        try:
            result = getattr(case, step)(**arguments, key=key)
        except (WorkflowError, InvalidInputError) as error:
            refusal = error
        if refusal is not None:
            assert self.journal.head() == before_head, "a refused step wrote to the journal"
            if isinstance(refusal, AuthorityError):
                note_event(f"{step}: refused for lack of authority")
                assert legal, f"{step} in {before_state} should be a plain WorkflowError"
                self.check_refusal(case, step, arguments, refusal)
            elif isinstance(refusal, WorkflowError):
                assert not legal, f"{step} is allowed in {before_state} but was refused: {refusal}"
                assert set(refusal.allowed) == allowed(case)
            elif step == "manager_approves":
                note_event("manager_approves: amount refused")
                assert legal, refusal
                assert refused_amount(case, arguments.get("amount")), refusal
            else:
                assert (step, arguments.get("alternative_id")) == ("accept_alternative", "no-such-alternative")
            return
        note_event(f"{step}: recorded")
        assert legal, f"{step} is not allowed in {before_state} but was recorded"
        assert self.journal.head().count == before_head.count + 1
        assert case.history[-1].kind in {event.kind for event in case.history}
        self.last = (case, step, arguments, key, result)

    @precondition(lambda self: self.last is not None)
    @rule()
    def repeat_the_last_step(self) -> None:
        """A retried request (same key, same content) returns the first result and writes nothing."""
        assert self.last is not None
        case, step, arguments, key, result = self.last
        head = self.journal.head()
        assert getattr(case, step)(**arguments, key=key) == result
        assert self.journal.head() == head

    def arguments(self, data: st.DataObject, case: Case, step: str, level: str) -> dict[str, Any]:
        if step == "decide":
            return {"by": level}
        if step == "manager_approves":
            asked = case.complaint.requested.amount
            half = Money.from_minor_units(asked.to_minor_units() // 2, "USD")
            less = Money.from_minor_units(max(asked.to_minor_units() - 1, 0), "USD")
            more = Money.from_minor_units(asked.to_minor_units() + 1, "USD")
            amounts = [None, None, asked, half, less, more, Money(asked.amount, "EUR")]
            amount = data.draw(st.sampled_from(amounts), label="amount")
            return {"by": level} if amount is None else {"by": level, "amount": amount}
        if step == "manager_denies":
            return {"by": level, "reason": "Not practical."}
        if step == "explain_denial":
            return {"by": data.draw(st.sampled_from([None, level]), label="by")}
        if step == "accept_alternative":
            choices = case.alternatives_offered
            if case.state.value == "beyond_authority":  # the decision's: what the employee can authorize now
                assert case.decision is not None
                choices = case.decision.alternatives
            ids = [alternative.id for alternative in choices] or ["no-such-alternative"]
            return {"alternative_id": data.draw(st.sampled_from([*ids, "no-such-alternative"]), label="id")}
        if step == "write_report":
            return {"summary": "The guest wants more."}
        if step == "manager_calls":
            return {"by": data.draw(st.sampled_from([None, level]), label="by"), "notes": "Called the guest."}
        return {}

    def check_refusal(self, case: Case, step: str, arguments: dict[str, Any], error: AuthorityError) -> None:
        """An AuthorityError must be right: check it independently of the library's ledger."""
        rank = LEVELS.index
        if step == "manager_approves":
            granted = self.granted_today(case.complaint.customer.id)
            preferred = case.preferred
            assert preferred is not None
            amount = arguments.get("amount")
            counter = amount is not None and amount != preferred.amount
            if counter:
                preferred = preferred.model_copy(update={"amount": amount})
                assert case.escalated_to is not None
                if rank(arguments["by"]) < rank(case.escalated_to):
                    return  # only the level escalated to, or a higher one, makes a counter-offer
            asked = case.complaint.model_copy(update={"requested": preferred})
            verdict = POLICY.decide(asked, by=arguments["by"], granted=granted, now=self.now)
            assert verdict.outcome is not Outcome.APPROVED
        elif step == "accept_offer":
            offer = case.counter_offer
            assert offer is not None
            by = next(event.actor for event in reversed(case.history) if event.kind == "manager_approved")
            asked = case.complaint.model_copy(update={"requested": offer})
            granted = self.granted_today(case.complaint.customer.id)
            assert POLICY.decide(asked, by=by, granted=granted, now=self.now).outcome is not Outcome.APPROVED
        elif step == "manager_denies":
            assert case.escalated_to is not None
            assert rank(arguments["by"]) < rank(case.escalated_to)
        elif step == "explain_denial":
            assert arguments["by"] is not None
            assert rank(arguments["by"]) < rank(POLICY.denials_delivered_by)
        elif step == "manager_calls":
            assert case.report is not None
            assert arguments["by"] is not None
            assert rank(arguments["by"]) < rank(str(case.report["to"]))
        elif step in {"accept_alternative", "accept_final_offer"}:
            # beyond the employee's authority, the decision's alternatives, granted by the level that decided;
            # else the ones the manager who explained the denial offered, granted by that manager
            beyond = case.state.value == "beyond_authority"
            assert case.decision is not None
            choices = case.decision.alternatives if beyond else case.alternatives_offered
            chosen = (
                case.final_offer
                if step == "accept_final_offer"
                else next(a for a in choices if a.id == arguments["alternative_id"])
            )
            assert chosen is not None
            granting = "decided" if beyond else "denial_explained"
            offerer = next(event.actor for event in reversed(case.history) if event.kind == granting)
            room = [m for m in (limit(offerer, case.complaint.customer.tier), POLICY.hard_cap) if m is not None]
            assert room
            assert self.granted_today(case.complaint.customer.id) + chosen.value > min(room)
        else:
            raise AssertionError(f"{step} raised AuthorityError: {error}")

    def granted_today(self, customer: str) -> Money:
        today = self.now.astimezone(ZONE).date()
        total = Money.zero("USD")
        for event in self.journal.iter_events():
            if event.grant is not None and event.customer_id == customer and day_of(event) == today:
                total += event.grant
        return total

    # -- invariants ---------------------------------------------------------------------------
    def check_all(self) -> None:
        self.the_journal_verifies()
        self.a_rebuilt_case_is_the_live_case()
        self.grants_never_pass_the_granting_levels_authority()
        self.closed_cases_kept_every_promise()

    @invariant()
    def the_journal_verifies(self) -> None:
        result = self.journal.verify()
        assert result.ok, result.problem

    @invariant()
    def a_rebuilt_case_is_the_live_case(self) -> None:
        case, self.touched = self.touched, None
        if case is not None:
            rebuilt = Case.load(self.journal, POLICY, case.number)
            assert (rebuilt.state, rebuilt.history, rebuilt.granted) == (case.state, case.history, case.granted)

    @invariant()
    def grants_never_pass_the_granting_levels_authority(self) -> None:
        totals: dict[tuple[str, dt.date], Money] = {}
        tiers = {str(case.number): case.complaint.customer.tier for case in self.cases}
        grants = sorted(
            (event for case in self.cases for event in case.history if event.grant is not None),
            key=lambda event: event.seq,
        )
        for event in grants:  # in journal order (the journal itself verifies against these events)
            granted = event.grant
            assert granted is not None
            day = (event.customer_id, day_of(event))
            totals[day] = totals.get(day, Money.zero("USD")) + granted
            bound = limit(event.actor, tiers[str(event.number)])
            # A grant of nothing (a Plan B alternative that costs nothing, accepted after a higher level granted
            # more than this one may) adds nothing: it passes no limit, whatever the day's total already is.
            assert bound is None or granted.is_zero or totals[day] <= bound, (event.actor, totals[day], bound)
            assert POLICY.hard_cap is None or totals[day] <= POLICY.hard_cap

    @invariant()
    def a_counter_offer_is_granted_only_when_accepted_and_only_its_amount(self) -> None:
        for case in self.cases:
            offer = None
            for event in case.history:
                if event.kind == "manager_approved" and "offer" in event.data:
                    offer = Remedy.model_validate(event.data["offer"])
                    assert case.preferred is not None
                    assert offer.amount < case.preferred.amount
                    assert event.grant is None, "a counter-offer granted before the customer accepted it"
                if event.kind in {"manager_approved", "offer_accepted"} and offer is not None:
                    # The counter-offer's decision, when made and when accepted, keeps every promise the
                    # independent oracle states, and grants no more than it approved.
                    # The employee of the case delivers it (seed 002), as its delivery entry says. The offer
                    # (its trace ends with the counter_offer entry) and the offer accepted (counter_offer_accepted)
                    # are checked as they are stored, against what was asked.
                    resolution = Resolution.model_validate(event.data["resolution"])
                    assert resolution.delivered_by == case.level
                    marker = "counter_offer" if event.kind == "manager_approved" else "counter_offer_accepted"
                    assert resolution.trace[-1].rule == marker
                    asked = case.complaint.model_copy(update={"requested": case.preferred})
                    problems = resolution_violations(
                        POLICY,
                        asked,
                        resolution.acting_level,
                        resolution.granted_before,
                        resolution,
                        now=resolution.decided_at,
                    )
                    assert problems == [], problems
                    note_event(f"{event.kind}: a counter-offer's decision checked by the oracle")
                    assert resolution.approved
                    assert resolution.remedy.amount == offer.amount
                if event.kind == "offer_accepted":
                    assert offer is not None
                    assert event.grant == offer.amount
                if event.kind in {"offer_declined", "delivered"} and offer is not None:
                    assert event.grant is None

    @invariant()
    def closed_cases_kept_every_promise(self) -> None:
        for case in self.cases:
            if not case.closed:
                continue
            kinds = [event.kind for event in case.history]
            assert "decided" in kinds, "closed without a decision"
            assert {"delivered", "alternative_accepted", "final_offer_accepted", "report_written"} & set(kinds)
            assert case.outcome is not None
            decision = case.decision
            assert decision is not None
            denied = decision.outcome is Outcome.DENIED or bool({"manager_denied", "offer_declined"} & set(kinds))
            if "alternative_accepted" in kinds and "denial_explained" not in kinds:  # instead of the escalation
                assert decision.outcome is Outcome.ESCALATED
                assert "escalated" not in kinds
                accepted = case.history[kinds.index("alternative_accepted")]
                assert accepted.data["alternative"] in [a.model_dump(mode="json") for a in decision.alternatives]
                assert accepted.actor == decision.acting_level
                assert accepted.callback_due is None
            if denied:
                explained = case.history[kinds.index("denial_explained")]
                assert len(explained.data["alternatives"]) == min(2, len(decision.alternatives))  # type: ignore[arg-type]
            if "alternatives_declined" in kinds:
                assert "final_offer_made" in kinds or case.backup is None
                assert "report_written" in kinds or "final_offer_accepted" in kinds
            if "final_offer_declined" in kinds:
                assert "report_written" in kinds
            assert [kind for kind in kinds if kind != "manager_called"][-2:] == ["thanked", "closed"]
            if "report_written" in kinds and "manager_called" not in kinds:  # the personal call is still owed
                assert case.callback_by is not None
            else:
                assert case.callback_by is None


CasePath.TestCase.settings = settings(
    # a sixth of the profile's examples, at least 40 (make test's "ci" profile: 66), each of up to 60 steps;
    # examples() keeps the quick profile's few (make check)
    max_examples=examples(max(40, (settings.default.max_examples if settings.default else 100) // 6)),
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TestCasePath = CasePath.TestCase
