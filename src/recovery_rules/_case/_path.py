"""The case path: its states, its steps, which step may follow which, and how events replay.

This module is the state machine itself, with no I/O: :class:`~recovery_rules.Case`
drives it and records each step in the journal, and a case is rebuilt by
replaying its events through :func:`apply`, the same function a live step goes
through, so a live case and a rebuilt one cannot differ.

The path (the usual flow path for addressing a customer problem)::

    opened ─listen─► listened ─apologize─► apologized ─ask_preferred_solution─► solution_asked
    solution_asked ─decide─► approved | beyond_authority | denied
    solution_asked ─ask_preferred_solution─► solution_asked   (only after the customer said the restatement was wrong)
    beyond_authority ─escalate─► escalated (callback promised)
    beyond_authority ─accept_alternative─► resolved   (one of the decision's alternatives, instead of escalating)
    escalated ─manager_approves─► approved      escalated ─manager_denies─► denied
    escalated ─manager_approves(amount less than asked)─► counter_offered
    approved ─deliver─► resolved                denied ─explain_denial─► alternatives_offered
    counter_offered ─deliver─► offer_delivered
    offer_delivered ─accept_offer─► resolved    offer_delivered ─decline_offer─► offer_declined
    offer_declined ─explain_denial─► alternatives_offered
    alternatives_offered ─accept_alternative─► resolved
    alternatives_offered ─decline_alternatives─► alternatives_declined
    alternatives_declined ─make_final_offer─► final_offer_made   (─write_report─► reported, if no back-up is left)
    final_offer_made ─accept_final_offer─► resolved
    final_offer_made ─decline_final_offer─► final_offer_declined ─write_report─► reported
    resolved | reported ─thank─► thanked ─close─► closed
    reported | thanked | closed ─manager_calls─► (the same state)   once, after a report: the personal call

A report promises the manager's personal call (by ``personal_call_within`` after it, counted in business
hours, when the policy sets one). Thanking and closing do not wait for it (the guest may leave): the call stays
owed, and listed among the journal's overdue callbacks once late, until ``manager_calls`` records it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from recovery_rules._engine._explanation import built_in_explanation
from recovery_rules._engine._resolution import Outcome, Resolution, TraceEntry
from recovery_rules._engine._rules import CompiledPolicy
from recovery_rules._journal import Event, JSONValue
from recovery_rules._journal._privacy import key_ids
from recovery_rules._policy._parts import Alternative
from recovery_rules._values._exported import show_loaded
from recovery_rules._values._models import Complaint, ComplaintNumber, Remedy
from recovery_rules._values._money import Money
from recovery_rules._values._shown import an_event, shown
from recovery_rules.exceptions import InvalidInputError, JournalIntegrityError

__all__ = [
    "ANSWERING",
    "DECIDED_STATE",
    "GRANTING",
    "OFFERED_WITH_A_DENIAL",
    "OPENED_KIND",
    "SATISFACTION_SCORES",
    "STEPS_FROM",
    "CaseOutcome",
    "CaseState",
    "CaseStep",
    "CaseView",
    "allowed_steps",
    "apply",
    "check_agreed",
    "check_answers",
    "escalation_callback",
    "event_kind",
    "offer_was_the_most",
    "start",
]


class CaseState(enum.StrEnum):
    """Where a case stands on the path."""

    OPENED = "opened"
    """The complaint is recorded under its complaint number."""
    LISTENED = "listened"
    """The employee heard the grievance in its entirety."""
    APOLOGIZED = "apologized"
    """The employee apologized and validated the customer's feelings."""
    SOLUTION_ASKED = "solution_asked"
    """The customer said what they would prefer, and the employee restated it."""
    APPROVED = "approved"
    """Someone with the authority approved the remedy; the employee delivers it."""
    COUNTER_OFFERED = "counter_offered"
    """A manager approved less than asked (a counter-offer); the employee delivers it."""
    OFFER_DELIVERED = "offer_delivered"
    """The employee delivered the counter-offer; the customer accepts or declines it."""
    OFFER_DECLINED = "offer_declined"
    """The customer declined the counter-offer; a manager gives the reason and offers the alternatives."""
    BEYOND_AUTHORITY = "beyond_authority"
    """The remedy is beyond the employee's authority; they explain and escalate, or the customer takes one of
    the alternatives the employee can authorize now (``accept_alternative``)."""
    ESCALATED = "escalated"
    """A higher level decides; the customer was promised a callback by ``callback_by``."""
    DENIED = "denied"
    """No one will grant the remedy; the manager explains why, with alternatives."""
    ALTERNATIVES_OFFERED = "alternatives_offered"
    """The manager gave the reason and offered two alternatives."""
    ALTERNATIVES_DECLINED = "alternatives_declined"
    """The customer declined both alternatives; the final back-up offer comes next."""
    FINAL_OFFER_MADE = "final_offer_made"
    """The final back-up offer was made."""
    FINAL_OFFER_DECLINED = "final_offer_declined"
    """The customer declined the final offer too; a written report goes to a manager."""
    RESOLVED = "resolved"
    """The customer has a remedy they accepted."""
    REPORTED = "reported"
    """A written report went to a manager, who calls the customer personally."""
    THANKED = "thanked"
    """The customer was thanked."""
    CLOSED = "closed"
    """The case is closed; nothing more can be recorded."""


class CaseStep(enum.StrEnum):
    """The steps of the path: each is a method of :class:`~recovery_rules.Case` of the same name."""

    LISTEN = "listen"
    APOLOGIZE = "apologize"
    ASK_PREFERRED_SOLUTION = "ask_preferred_solution"
    DECIDE = "decide"
    ESCALATE = "escalate"
    MANAGER_APPROVES = "manager_approves"
    MANAGER_DENIES = "manager_denies"
    DELIVER = "deliver"
    EXPLAIN_DENIAL = "explain_denial"
    ACCEPT_ALTERNATIVE = "accept_alternative"
    DECLINE_ALTERNATIVES = "decline_alternatives"
    MAKE_FINAL_OFFER = "make_final_offer"
    ACCEPT_FINAL_OFFER = "accept_final_offer"
    DECLINE_FINAL_OFFER = "decline_final_offer"
    ACCEPT_OFFER = "accept_offer"
    DECLINE_OFFER = "decline_offer"
    WRITE_REPORT = "write_report"
    THANK = "thank"
    CLOSE = "close"
    MANAGER_CALLS = "manager_calls"


class CaseOutcome(enum.StrEnum):
    """How a case was resolved."""

    REMEDY_DELIVERED = "remedy_delivered"
    """The remedy asked for was approved and delivered."""
    ALTERNATIVE_ACCEPTED = "alternative_accepted"
    """The customer accepted one of the alternatives: of the two offered with a denial, or of the decision's
    (what the employee could authorize now), instead of an escalation."""
    FINAL_OFFER_ACCEPTED = "final_offer_accepted"
    """The customer accepted the final back-up offer."""
    REPORTED = "reported"
    """Nothing was accepted; a written report went to a manager who calls the customer."""
    COUNTER_OFFER_ACCEPTED = "counter_offer_accepted"
    """The customer accepted a manager's counter-offer (less than asked)."""


STEPS_FROM: Final[Mapping[CaseState, tuple[CaseStep, ...]]] = {
    CaseState.OPENED: (CaseStep.LISTEN,),
    CaseState.LISTENED: (CaseStep.APOLOGIZE,),
    CaseState.APOLOGIZED: (CaseStep.ASK_PREFERRED_SOLUTION,),
    CaseState.SOLUTION_ASKED: (CaseStep.DECIDE, CaseStep.ASK_PREFERRED_SOLUTION),
    CaseState.APPROVED: (CaseStep.DELIVER,),
    CaseState.COUNTER_OFFERED: (CaseStep.DELIVER,),
    CaseState.OFFER_DELIVERED: (CaseStep.ACCEPT_OFFER, CaseStep.DECLINE_OFFER),
    CaseState.OFFER_DECLINED: (CaseStep.EXPLAIN_DENIAL,),
    CaseState.BEYOND_AUTHORITY: (CaseStep.ESCALATE, CaseStep.ACCEPT_ALTERNATIVE),
    CaseState.ESCALATED: (CaseStep.MANAGER_APPROVES, CaseStep.MANAGER_DENIES),
    CaseState.DENIED: (CaseStep.EXPLAIN_DENIAL,),
    CaseState.ALTERNATIVES_OFFERED: (CaseStep.ACCEPT_ALTERNATIVE, CaseStep.DECLINE_ALTERNATIVES),
    CaseState.ALTERNATIVES_DECLINED: (CaseStep.MAKE_FINAL_OFFER, CaseStep.WRITE_REPORT),
    CaseState.FINAL_OFFER_MADE: (CaseStep.ACCEPT_FINAL_OFFER, CaseStep.DECLINE_FINAL_OFFER),
    CaseState.FINAL_OFFER_DECLINED: (CaseStep.WRITE_REPORT,),
    CaseState.RESOLVED: (CaseStep.THANK,),
    CaseState.REPORTED: (CaseStep.THANK,),
    CaseState.THANKED: (CaseStep.CLOSE,),
    CaseState.CLOSED: (),
}
"""The steps each state allows (from ``alternatives_declined``: the final offer if a back-up
is left, else the report; from ``solution_asked``: the decision, unless the customer said the
restatement was not correct, then asking again; after a report, ``manager_calls`` too, once, whatever
the state: :func:`allowed_steps` applies all three). From ``beyond_authority``, ``accept_alternative``
takes one of the decision's alternatives (what the employee can authorize now) instead of escalating."""

_KINDS: Final[Mapping[CaseStep, str]] = {
    CaseStep.LISTEN: "listened",
    CaseStep.APOLOGIZE: "apologized",
    CaseStep.ASK_PREFERRED_SOLUTION: "solution_asked",
    CaseStep.DECIDE: "decided",
    CaseStep.ESCALATE: "escalated",
    CaseStep.MANAGER_APPROVES: "manager_approved",
    CaseStep.MANAGER_DENIES: "manager_denied",
    CaseStep.DELIVER: "delivered",
    CaseStep.EXPLAIN_DENIAL: "denial_explained",
    CaseStep.ACCEPT_ALTERNATIVE: "alternative_accepted",
    CaseStep.DECLINE_ALTERNATIVES: "alternatives_declined",
    CaseStep.MAKE_FINAL_OFFER: "final_offer_made",
    CaseStep.ACCEPT_FINAL_OFFER: "final_offer_accepted",
    CaseStep.DECLINE_FINAL_OFFER: "final_offer_declined",
    CaseStep.ACCEPT_OFFER: "offer_accepted",
    CaseStep.DECLINE_OFFER: "offer_declined",
    CaseStep.WRITE_REPORT: "report_written",
    CaseStep.THANK: "thanked",
    CaseStep.CLOSE: "closed",
    CaseStep.MANAGER_CALLS: "manager_called",
}
OPENED_KIND: Final = "opened"
GRANTING: Final = frozenset(
    {
        CaseStep.DECIDE,
        CaseStep.MANAGER_APPROVES,
        CaseStep.ACCEPT_ALTERNATIVE,
        CaseStep.ACCEPT_FINAL_OFFER,
        CaseStep.ACCEPT_OFFER,
    }
)
"""The steps that may grant the guest something (the ledger sums their grants); a counter-offer is granted when
the customer accepts it (``accept_offer``), never when the manager makes it."""
_STEP_OF_KIND: Final = {kind: step for step, kind in _KINDS.items()}
OFFERED_WITH_A_DENIAL: Final = 2
"""How many of the Plan B's alternatives the manager offers with a denial (the manager brings two
alternative solutions); the next one is the final back-up offer. ``Case.explain_denial`` records them."""


DECIDED_STATE: Final[Mapping[Outcome, CaseState]] = {
    Outcome.APPROVED: CaseState.APPROVED,
    Outcome.ESCALATED: CaseState.BEYOND_AUTHORITY,
    Outcome.DENIED: CaseState.DENIED,
}


def event_kind(step: CaseStep) -> str:
    """The kind of the event a step records (``listen`` records ``listened``)."""
    return _KINDS[step]


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class CaseView:
    """A case as its recorded events say it stands: read from a journal, with no policy and nothing to write.

    Immutable; each event makes a new one. :meth:`replay` rebuilds a case from
    its events, and :meth:`after` takes one more event, so a reader can follow
    many cases through a journal in one pass (a report, an audit, an export).
    Every event goes through the same checks a live :class:`~recovery_rules.Case`
    applies to its own steps, so a view and the case it was recorded by cannot
    differ: an event the case path does not allow raises
    :class:`~recovery_rules.JournalIntegrityError` naming its journal position.

    >>> import datetime as dt
    >>> from recovery_rules import Case, CaseView, Complaint, Customer, MemoryJournal, Money, Remedy, presets
    >>> journal = MemoryJournal()
    >>> complaint = Complaint(
    ...     customer=Customer(id="10442"),
    ...     category="noise",
    ...     requested=Remedy(kind="refund", amount=Money("40.00", "USD")),
    ...     received_at=dt.datetime.now(dt.UTC),
    ... )
    >>> case = Case.open(journal, presets.ritz_carlton(), complaint, by="staff", employee="E-0042")
    >>> _ = case.listen(employee="E-0042"), case.apologize(employee="E-0042")
    >>> view = CaseView.replay(journal.events(case.number))
    >>> view
    <CaseView apologized, 3 events>
    >>> view.policy, view.level, view.employee
    ('Ritz-Carlton style hotel', 'staff', 'E-0042')

    The fields hold what :class:`~recovery_rules.Case` shows by the same names,
    except ``policy``, which is the policy's name here (the events record its
    name, not the policy). Like a case, a view keeps the complaint number, which
    holds the customer's, out of its ``repr``, which ends up in logs.
    """

    state: CaseState
    """Where the case stands after its last event."""
    history: tuple[Event, ...]
    """Every event of the case, in order."""
    complaint: Complaint
    """The complaint, as opened (with the number it is filed under)."""
    policy: str
    """The name of the policy the case was opened under."""
    level: str
    """The level of the employee who opened the case and delivers good news."""
    granted: Money
    """What the case granted the customer so far."""
    preferred: Remedy | None = None
    """The remedy the customer said they would prefer (once asked)."""
    decision: Resolution | None = None
    """The decision of the employee's ``decide`` step, with its Plan B."""
    resolution: Resolution | None = None
    """The latest decision: the employee's, or the manager's approval. A pending counter-offer's ends with its
    ``counter_offer`` trace entry: one a journal stored without it (written before the entry existed) gets it
    here, from the event's offer and the remedy asked (its message in the built-in English), so that
    :func:`~recovery_rules.say` words it as an offer, not as granted."""
    escalated_to: str | None = None
    """The level the case was escalated to, if it was."""
    callback_by: dt.datetime | None = None
    """When the customer must hear back at the latest, while a callback is owed."""
    denied_by: str | None = None
    """The level that denied the remedy after an escalation, if one did."""
    denial_reason: str | None = None
    """Why the remedy was denied, if it was."""
    offered_by: str | None = None
    """The level that explained the denial and offered the alternatives."""
    alternatives_offered: tuple[Alternative, ...] = ()
    """The alternatives offered with the denial."""
    backup: Alternative | None = None
    """The final back-up offer held in reserve, if the Plan B has one left."""
    final_offer: Alternative | None = None
    """The final back-up offer, once made."""
    accepted: Alternative | None = None
    """The alternative or final offer the customer accepted, if any."""
    outcome: CaseOutcome | None = None
    """How the case was resolved, once it was."""
    report: Mapping[str, JSONValue] | None = None
    """The written report, if one went to a manager."""
    incident: ComplaintNumber | None = None
    """The incident the case's grants count against, when not its own complaint number."""
    employee: str | None = None
    """The id of the employee who opened the case (``"E-0042"``), if the opening step named one."""
    escalating_employee: str | None = None
    """The id of the employee who escalated the case, if the escalation named one: that employee may not
    approve or deny it (no approving one's own escalation)."""
    customer_agreed: bool | None = None
    """The customer's answer to the restatement ("Is that correct?") of the latest ``solution_asked``
    event: ``None`` when it was not recorded; ``False`` means the solution must be asked again."""
    satisfied: bool | None = None
    """Whether the customer said they were satisfied (at the resolving step or at ``thank``), if recorded."""
    satisfaction: int | None = None
    """The customer's satisfaction score, 1 (not at all) to 5 (fully), if they gave one."""
    called_by: str | None = None
    """The level of the manager who made the personal call after the report, once made."""
    counter_offer: Remedy | None = None
    """What a manager approved instead of what was asked (less: a counter-offer), if one did."""
    counter_offered_by: str | None = None
    """The level that made the counter-offer (the delegate, when one acted for an absent level)."""

    @property
    def version(self) -> int:
        """How many events the case has."""
        return len(self.history)

    @property
    def number(self) -> ComplaintNumber:
        """The complaint number the case is filed under (its events' number, which its complaint holds too)."""
        return self.history[0].number

    def __repr__(self) -> str:
        return f"<CaseView {self.state.value}, {self.version} events>"

    @classmethod
    def replay(cls, events: Iterable[Event]) -> CaseView:
        """The case that ``events`` make: one case's events, first to last, as ``journal.events(number)`` gives them.

        Raises :class:`~recovery_rules.JournalIntegrityError` when they do not
        form a path a case can take (the first is not its ``opened`` event, one
        belongs to another case, is out of order or does not follow from the
        state before it), and :class:`~recovery_rules.InvalidInputError` when
        there are none.
        """
        if isinstance(events, str | bytes) or not isinstance(events, Iterable):
            raise InvalidInputError.at(
                "case", "events", f"must be the case's events, such as journal.events(number), not {shown(events)}"
            )
        view: CaseView | None = None
        for event in events:
            if not isinstance(event, Event):
                raise InvalidInputError.at(
                    "case",
                    "events",
                    f"must hold Event values, such as journal.events(number) gives, not {shown(event)}",
                )
            view = start(event) if view is None else view.after(event)
        if view is None:
            raise InvalidInputError.at("case", "events", "there are none; a case has at least its 'opened' event")
        return view

    def after(self, event: Event) -> CaseView:
        """The case after one more of its events: the next version, which the path must allow from this state.

        Raises :class:`~recovery_rules.JournalIntegrityError` as :meth:`replay` does, and
        :class:`~recovery_rules.InvalidInputError` for a value that is not an :class:`~recovery_rules.Event`.
        """
        if not isinstance(event, Event):
            raise InvalidInputError.at(
                "case", "event", f"must be an Event, such as journal.events(number) gives, not {shown(event)}"
            )
        if event.number != self.complaint.number:
            raise JournalIntegrityError(event.seq, "it belongs to another case")
        return apply(self, event)


def allowed_steps(view: CaseView) -> tuple[CaseStep, ...]:
    """The steps allowed next in ``view``."""
    if view.state is CaseState.ALTERNATIVES_DECLINED:
        return (CaseStep.MAKE_FINAL_OFFER,) if view.backup is not None else (CaseStep.WRITE_REPORT,)
    if view.state is CaseState.SOLUTION_ASKED:
        # "Is that correct?" - "No": the restatement was wrong; ask again, decide nothing on it.
        return (CaseStep.ASK_PREFERRED_SOLUTION,) if view.customer_agreed is False else (CaseStep.DECIDE,)
    if view.report is not None and view.called_by is None:  # the manager's personal call is owed
        return (*STEPS_FROM[view.state], CaseStep.MANAGER_CALLS)
    return STEPS_FROM[view.state]


def start(event: Event) -> CaseView:
    """The view of a case whose first event is ``event`` (an ``opened`` event)."""
    if event.kind != OPENED_KIND or event.version != 1 or event.state != CaseState.OPENED:
        raise JournalIntegrityError(event.seq, "the first event of a case must be an 'opened' event")
    try:
        complaint = Complaint.model_validate(event.data["complaint"])
        policy = event.data["policy"]
        incident_text = event.data.get("incident")
        incident = None if incident_text is None else ComplaintNumber.parse(incident_text)  # type: ignore[arg-type]
    except (KeyError, InvalidInputError) as error:
        raise JournalIntegrityError(event.seq, _unreadable(event, error)) from None
    if complaint.number != event.number or not isinstance(policy, str):
        raise JournalIntegrityError(event.seq, "its complaint does not match its complaint number")
    if incident is not None and (incident.customer_id != event.customer_id or incident == event.number):
        raise JournalIntegrityError(event.seq, "its incident is not an earlier complaint of the same customer")
    return CaseView(
        incident=incident,
        state=CaseState.OPENED,
        history=(event,),
        complaint=complaint,
        policy=policy,
        level=event.actor,
        employee=event.employee,
        granted=Money.zero(complaint.requested.amount.currency),
    )


def apply(view: CaseView, event: Event) -> CaseView:
    """The view after ``event``; :class:`~recovery_rules.JournalIntegrityError` if the path does not allow it."""
    step = _STEP_OF_KIND.get(event.kind)
    if step is None:
        raise JournalIntegrityError(event.seq, f"{event.kind!r} is not a kind of case event")
    if step not in allowed_steps(view):
        raise JournalIntegrityError(event.seq, f"{an_event(event.kind)} cannot follow state {view.state.value!r}")
    if event.version != view.version + 1:
        raise JournalIntegrityError(event.seq, f"it is version {event.version} of its case, not {view.version + 1}")
    try:
        changes = _CHANGES[step](view, event)
    except (KeyError, TypeError, InvalidInputError) as error:
        raise JournalIntegrityError(event.seq, _unreadable(event, error)) from None
    if event.grant is not None:
        if step not in GRANTING:
            raise JournalIntegrityError(event.seq, f"{an_event(event.kind)} cannot grant anything")
        if event.grant.currency != view.granted.currency:
            raise JournalIntegrityError(event.seq, "its grant is not in the currency of the case")
        changes["granted"] = view.granted + event.grant
    new = dataclasses.replace(view, history=(*view.history, event), **changes)
    if event.state != new.state:
        raise JournalIntegrityError(event.seq, f"it records state {event.state!r} where the path leads to {new.state}")
    if event.callback_due != new.callback_by:
        raise JournalIntegrityError(event.seq, "the callback it records is not the one the case owes")
    return new


def _unreadable(event: Event, error: Exception) -> str:
    """What is wrong with ``event``'s data, which ``error`` was raised reading: a key it lacks by its name, an
    invalid value by its first problem, and, when the data holds sealed values, why they were not opened."""
    if isinstance(error, KeyError) and len(error.args) == 1 and isinstance(error.args[0], str):
        detail = f"its data has no {error.args[0]}"
    elif isinstance(error, InvalidInputError):
        more = len(error.problems) - 1
        others = "" if more == 0 else f", and {more} more problem{'s' if more > 1 else ''}"
        detail = f"its data cannot be read (invalid {error.what}: {_short(str(error.problems[0]))}{others})"
    else:
        detail = f"its data cannot be read ({_short(str(error)) or type(error).__name__})"
    if key_ids(event.data):
        detail += (
            "; it holds personal data sealed by a journal that encrypts it (encrypt_personal_data), which this "
            "handle does not open: it was opened before encryption was turned on; close it and open the journal again"
        )
    return detail


def _short(text: str) -> str:
    lines = text.splitlines()
    return lines[0][:200] if lines else ""


def _resolution(event: Event) -> Resolution:
    return Resolution.model_validate(event.data["resolution"])


def _alternative(event: Event) -> Alternative:
    return Alternative.model_validate(event.data["alternative"])


def _decided(view: CaseView, event: Event) -> dict[str, Any]:
    resolution = _resolution(event)
    return {"state": DECIDED_STATE[resolution.outcome], "decision": resolution, "resolution": resolution}


def _escalated(view: CaseView, event: Event) -> dict[str, Any]:
    return {
        "state": CaseState.ESCALATED,
        "escalated_to": str(event.data["to"]),
        "callback_by": event.callback_due,
        "escalating_employee": event.employee,
    }


def _manager_approved(view: CaseView, event: Event) -> dict[str, Any]:
    offer = event.data.get("offer")
    if offer is None:
        return {"state": CaseState.APPROVED, "resolution": _resolution(event)}
    counter = Remedy.model_validate(offer)
    asked = view.preferred
    if event.grant is not None:
        raise JournalIntegrityError(event.seq, "a counter-offer grants nothing until the customer accepts it")
    if asked is None or counter.amount.currency != asked.amount.currency or not counter.amount < asked.amount:
        raise JournalIntegrityError(event.seq, "its counter-offer is not less than what the customer asked for")
    return {
        "state": CaseState.COUNTER_OFFERED,
        "resolution": _marked_offer(_resolution(event), counter.amount, asked.amount),
        "counter_offer": counter,
        "counter_offered_by": event.actor,
    }


COUNTER_OFFER: Final = "counter_offer"
"""The rule of the trace entry that ends a counter-offer's resolution (figures ``offer`` and ``asked``)."""


def _marked_offer(resolution: Resolution, offer: Money, asked: Money) -> Resolution:
    """A counter-offer's resolution as a case shows it: marked as an offer by the ``counter_offer`` entry that
    ends its trace. A journal written before that entry existed stores the resolution without it (a resolution
    alone then reads as an approval of the offer); the case knows the offer and what was asked, so its view
    adds the entry, in the built-in English, as a case records it today. Its stored reason is left as it was."""
    if any(entry.rule == COUNTER_OFFER for entry in resolution.trace):
        return resolution
    message = built_in_explanation().counter_offer(offer=offer.display(), asked=asked.display(), customer="customer")
    entry = TraceEntry(rule=COUNTER_OFFER, passed=True, message=message, figures={"asked": asked, "offer": offer})
    return resolution.model_copy(update={"trace": (*resolution.trace, entry)})


def escalation_callback(policy: CompiledPolicy, decision: Resolution, at: dt.datetime) -> dt.datetime | None:
    """The callback an escalation made at ``at`` promises, when the customer chose no time: the decision's
    ``callback_by``, or, once that has passed, the escalated-to level's ``callback_within`` counted again from
    ``at`` (a promise is never made in the past). What :meth:`Case.escalate` records and the words before it say."""
    promised = decision.callback_by
    if promised is None or promised > at or decision.escalate_to is None:
        return promised
    level = policy.by_name.get(decision.escalate_to)
    within = None if level is None else level.callback_within
    return promised if within is None else policy.promise(at, within)


def offer_was_the_most(resolution: Resolution, offer: Remedy) -> bool:
    """Whether a counter-offer (``offer``, approved by ``resolution``) was the most the level that made it could
    approve this customer then: what it could still grant (``actor_can_grant``, ``None`` for no limit) was
    exactly the offer. Otherwise the manager chose to offer less than they could."""
    return resolution.actor_can_grant == offer.amount


def _delivered(view: CaseView, event: Event) -> dict[str, Any]:
    if view.state is CaseState.COUNTER_OFFERED:
        return {"state": CaseState.OFFER_DELIVERED, "callback_by": None}
    return {"state": CaseState.RESOLVED, "outcome": CaseOutcome.REMEDY_DELIVERED, "callback_by": None}


def _offer_accepted(view: CaseView, event: Event) -> dict[str, Any]:
    offer = view.counter_offer
    if offer is None or event.grant != offer.amount:
        raise JournalIntegrityError(event.seq, "it does not grant the counter-offer the customer accepted")
    return {
        "state": CaseState.RESOLVED,
        "resolution": _resolution(event),
        "outcome": CaseOutcome.COUNTER_OFFER_ACCEPTED,
    }


def _manager_denied(view: CaseView, event: Event) -> dict[str, Any]:
    return {"state": CaseState.DENIED, "denied_by": event.actor, "denial_reason": str(event.data["reason"])}


def _denial_explained(view: CaseView, event: Event) -> dict[str, Any]:
    raw = event.data["alternatives"]
    offered = tuple(Alternative.model_validate(item) for item in raw) if isinstance(raw, list) else ()
    backup = event.data.get("backup")
    return {
        "state": CaseState.ALTERNATIVES_OFFERED,
        "offered_by": event.actor,
        "denial_reason": str(event.data["reason"]),
        "alternatives_offered": offered,
        "backup": None if backup is None else Alternative.model_validate(backup),
        "callback_by": None,
    }


def _final_offer_made(view: CaseView, event: Event) -> dict[str, Any]:
    return {"state": CaseState.FINAL_OFFER_MADE, "final_offer": _alternative(event)}


def _report_written(view: CaseView, event: Event) -> dict[str, Any]:
    report = event.data["report"]
    if not isinstance(report, dict):
        raise TypeError("the report is not an object")
    return {
        "state": CaseState.REPORTED,
        "report": report,
        "outcome": CaseOutcome.REPORTED,
        "callback_by": event.callback_due,  # the manager's personal call, when the policy promises it by a time
    }


def _manager_called(view: CaseView, event: Event) -> dict[str, Any]:
    return {"state": view.state, "called_by": event.actor, "callback_by": None}


def _to(state: CaseState, **more: Any) -> Callable[[CaseView, Event], dict[str, Any]]:
    return lambda view, event: {"state": state, **more}


SATISFACTION_SCORES: Final = range(1, 6)
"""The satisfaction scores a customer may give: 1 (not at all satisfied) to 5 (fully satisfied)."""
ANSWERING: Final = frozenset(
    {CaseStep.DELIVER, CaseStep.ACCEPT_ALTERNATIVE, CaseStep.ACCEPT_FINAL_OFFER, CaseStep.ACCEPT_OFFER, CaseStep.THANK}
)
"""The steps that may record the customer's satisfaction: the one that resolves the case with the customer,
or the thanks (the last step with the customer, whatever the outcome); at most one of them per case."""


def check_answers(satisfied: object, satisfaction: object) -> dict[str, bool | int]:
    """The customer's satisfaction answers as an event's data holds them (only those given), checked.

    ``satisfied`` is ``True``, ``False`` or ``None`` (not asked); ``satisfaction`` an ``int`` from 1 to 5
    or ``None`` (a ``bool`` is not a score). Anything else raises :class:`~recovery_rules.InvalidInputError`.
    """
    answers: dict[str, bool | int] = {}
    if satisfied is not None:
        if not isinstance(satisfied, bool):
            raise InvalidInputError.at(
                "satisfaction", "satisfied", f"must be True, False or None (not asked), not {shown(satisfied)}"
            )
        answers["satisfied"] = satisfied
    if satisfaction is not None:
        if (
            isinstance(satisfaction, bool)
            or not isinstance(satisfaction, int)
            or satisfaction not in SATISFACTION_SCORES
        ):
            raise InvalidInputError.at(
                "satisfaction",
                "satisfaction",
                f"must be a whole number from 1 (not at all satisfied) to 5 (fully satisfied), "
                f"or None (not given), not {shown(satisfaction)}",
            )
        answers["satisfaction"] = satisfaction
    return answers


def check_agreed(customer_agreed: object) -> bool | None:
    """The customer's answer to the restatement: ``True``, ``False`` or ``None`` (not recorded), checked."""
    if customer_agreed is not None and not isinstance(customer_agreed, bool):
        raise InvalidInputError.at(
            "restatement",
            "customer_agreed",
            f"must be True (the customer said it is correct), False (it is not) or None, not {shown(customer_agreed)}",
        )
    return customer_agreed


def _answered(view: CaseView, event: Event) -> dict[str, Any]:
    """What ``event`` records of the customer's satisfaction: nothing, or answers the case did not have yet."""
    answers = check_answers(event.data.get("satisfied"), event.data.get("satisfaction"))
    if not answers:
        return {}
    if view.satisfied is not None or view.satisfaction is not None:
        raise InvalidInputError.at("satisfaction", "satisfied", "the case already records the customer's answer")
    return {"satisfied": answers.get("satisfied"), "satisfaction": answers.get("satisfaction")}


def _answering(
    change: Callable[[CaseView, Event], dict[str, Any]],
) -> Callable[[CaseView, Event], dict[str, Any]]:
    """``change``, and the customer's satisfaction answers its event records."""
    return lambda view, event: {**change(view, event), **_answered(view, event)}


def _solution_asked(view: CaseView, event: Event) -> dict[str, Any]:
    return {
        "state": CaseState.SOLUTION_ASKED,
        "preferred": Remedy.model_validate(event.data["remedy"]),
        "customer_agreed": check_agreed(event.data.get("customer_agreed")),
    }


_CHANGES: Final[Mapping[CaseStep, Callable[[CaseView, Event], dict[str, Any]]]] = {
    CaseStep.LISTEN: _to(CaseState.LISTENED),
    CaseStep.APOLOGIZE: _to(CaseState.APOLOGIZED),
    CaseStep.ASK_PREFERRED_SOLUTION: _solution_asked,
    CaseStep.DECIDE: _decided,
    CaseStep.ESCALATE: _escalated,
    CaseStep.MANAGER_APPROVES: _manager_approved,
    CaseStep.MANAGER_DENIES: _manager_denied,
    CaseStep.DELIVER: _answering(_delivered),
    CaseStep.EXPLAIN_DENIAL: _denial_explained,
    CaseStep.ACCEPT_ALTERNATIVE: _answering(
        lambda view, event: {
            "state": CaseState.RESOLVED,
            "accepted": _alternative(event),
            "outcome": CaseOutcome.ALTERNATIVE_ACCEPTED,
        }
    ),
    CaseStep.DECLINE_ALTERNATIVES: _to(CaseState.ALTERNATIVES_DECLINED),
    CaseStep.MAKE_FINAL_OFFER: _final_offer_made,
    CaseStep.ACCEPT_FINAL_OFFER: _answering(
        lambda view, event: {
            "state": CaseState.RESOLVED,
            "accepted": _alternative(event),
            "outcome": CaseOutcome.FINAL_OFFER_ACCEPTED,
        }
    ),
    CaseStep.DECLINE_FINAL_OFFER: _to(CaseState.FINAL_OFFER_DECLINED),
    CaseStep.ACCEPT_OFFER: _answering(_offer_accepted),
    CaseStep.DECLINE_OFFER: _to(CaseState.OFFER_DECLINED),
    CaseStep.WRITE_REPORT: _report_written,
    CaseStep.THANK: _answering(_to(CaseState.THANKED)),
    CaseStep.CLOSE: _to(CaseState.CLOSED),
    CaseStep.MANAGER_CALLS: _manager_called,
}

show_loaded(__name__, globals())  # its exported names are recovery_rules.X from now on
