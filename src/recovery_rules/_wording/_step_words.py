"""What is said at each step of a case: which messages, filled with which facts.

The words follow the service-recovery flow path (hear the customer out,
apologize, ask what would make it right, solve it or promise a callback, thank
them) in LAST's order (Listen, Apologize, Solve, Thank), with the phrases good
front-line staff use. A step's words have
up to two parts:

- its **lead**, what the employee says to take the step: the apology and "Can
  you help me understand what happened?" to listen; "I understand how you must
  feel..." to apologize; "What would you like us to do to resolve this for you
  right now?" to ask; the promise with its callback time to escalate; the good
  news to deliver; the reason and two alternatives to explain a denial; the
  final back-up offer; the report and the manager's personal call; the thanks;
- its **reply**, what the employee answers to what the step recorded: the
  preferred solution restated ("Is that correct?"), an accepted offer confirmed.

Steps that decide (``decide``, ``manager_approves``, ``manager_denies``), that
record the customer's answer ``decline_*`` or that close the case say nothing
to the customer. A recorded step's words are its lead and reply; what is said
*now* is the reply of the last recorded step and the lead of each step allowed
next.

This module plans the words; :class:`~recovery_rules.Wording` writes them in a
locale and a format. It reads a case only through its public API (``history``,
``complaint``, ``level``, ``policy``, ``allowed_steps()``) and the data its
events recorded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar, Final, Protocol, TypeVar, runtime_checkable

from recovery_rules._case._path import (
    OFFERED_WITH_A_DENIAL,
    OPENED_KIND,
    CaseStep,
    escalation_callback,
    event_kind,
    offer_was_the_most,
)
from recovery_rules._engine._resolution import Resolution
from recovery_rules._journal import ERASED, Event
from recovery_rules._policy._parts import Alternative
from recovery_rules._values._base import RecoveryModel
from recovery_rules._values._exported import show_loaded
from recovery_rules._values._models import Complaint, Remedy
from recovery_rules._values._money import Money
from recovery_rules.exceptions import UnknownLevelError

if TYPE_CHECKING:
    from recovery_rules._policy._policy import Policy

__all__ = [
    "OFFERED_WITH_A_DENIAL",
    "STEP_OF_KIND",
    "Amount",
    "Asked",
    "CaseRecord",
    "DecisionReason",
    "Fact",
    "Kind",
    "Level",
    "Line",
    "LiveCaseRecord",
    "Nested",
    "Offers",
    "Plan",
    "StepWords",
    "Time",
    "Verbatim",
    "as_of_one_step",
    "history_plans",
    "next_plans",
    "said_name",
    "spoken",
]

STEP_OF_KIND: Final[Mapping[str, str]] = {OPENED_KIND: "open", **{event_kind(step): step.value for step in CaseStep}}
"""The step that records each kind of event (``Case.open`` records ``opened``)."""

_T = TypeVar("_T")


class StepWords(RecoveryModel):
    """What the employee says at one step of a case.

    - ``step``: the step, a :class:`~recovery_rules.CaseStep` value (``"open"`` for
      the event that opened the case).
    - ``speaker``: the level of who says it: the employee who has the case, or
      the manager who delivers a denial and makes the offers that follow it.
    - ``text``: the words, in the format asked for; empty at a step that says
      nothing to the customer (deciding, a manager's decision, the customer's
      answer, closing).
    - ``version``: the event of the case the words belong to (its ``version``);
      ``None`` for a step not taken yet.
    """

    _what: ClassVar[str] = "step words"

    step: str
    speaker: str
    text: str
    version: int | None = None


# -- facts: what fills a slot, before a locale says it ------------------------------------------


def spoken(text: str) -> str:
    """``text`` as the words say it: nothing for a personal field erased with its customer's data.

    Once a customer is erased (:meth:`Journal.erase_customer <recovery_rules.Journal.erase_customer>`), each
    personal field of their events (a name, a manager's reason, what they asked for in their words) reads back as
    ``ERASED``, ``"[erased]"`` (defined once, with the journal's privacy): right for the record, never to be said
    to a customer. The words leave such a field out as they leave out one that was never given (an apology
    without a name, an empty slot). Every slot of every message is filled through this (``Wording._segments``),
    and the apology asks it whether there is a name to say.
    """
    return "" if text == ERASED else text


def said_name(name: str) -> str:
    """A customer's ``name`` as the apology says it: :func:`spoken`, without the white space around it, each run
    of white space inside it one space (``" Ana  Lima "`` -> ``"Ana Lima"``: never ``Hello,  Ana .``)."""
    return " ".join(spoken(name).split())


@dataclasses.dataclass(frozen=True, slots=True)
class Verbatim:
    """Text said exactly as written (a name, the customer's request, a manager's reason)."""

    value: str


@dataclasses.dataclass(frozen=True, slots=True)
class Level:
    """An authority level, said by its name in the locale (``names``) or its title."""

    name: str


@dataclasses.dataclass(frozen=True, slots=True)
class Kind:
    """A remedy kind, said by its name in the locale (``names``)."""

    name: str


@dataclasses.dataclass(frozen=True, slots=True)
class Amount:
    """An amount, written the locale's way."""

    money: Money


@dataclasses.dataclass(frozen=True, slots=True)
class Asked:
    """What was asked for, said whole: the ``remedy`` (or ``remedy_free``) message."""

    remedy: Remedy


@dataclasses.dataclass(frozen=True, slots=True)
class Time:
    """A callback time, said at ``now`` in the policy's time zone."""

    when: dt.datetime
    now: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class Offers:
    """Alternatives, each with what makes it easy to act on."""

    alternatives: tuple[Alternative, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class DecisionReason:
    """The reason the rules gave for a resolution: the ``reason_*`` message of the rule that decided."""

    resolution: Resolution


@dataclasses.dataclass(frozen=True, slots=True)
class Nested:
    """Another message, said inside this one."""

    message: str
    facts: Mapping[str, Fact]


Fact = Verbatim | Level | Kind | Amount | Asked | Time | Offers | DecisionReason | Nested


@dataclasses.dataclass(frozen=True, slots=True)
class Line:
    """One message of a step's words, with a fact for each of its slots."""

    message: str
    facts: Mapping[str, Fact]

    def messages(self) -> Iterator[str]:
        """This line's message and every message said inside it."""
        yield self.message
        for fact in self.facts.values():
            if isinstance(fact, Nested):
                yield from Line(fact.message, fact.facts).messages()


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    """The words of one step: who says them, for which event, and the lines."""

    step: str
    speaker: str
    version: int | None
    lines: tuple[Line, ...]

    def messages(self) -> Iterator[str]:
        for line in self.lines:
            yield from line.messages()


# -- the case, as far as the words need it --------------------------------------------------------


@runtime_checkable
class CaseRecord(Protocol):
    """What the words read from a :class:`~recovery_rules.Case`: its public API, nothing else."""

    @property
    def history(self) -> tuple[Event, ...]: ...

    @property
    def complaint(self) -> Complaint: ...

    @property
    def level(self) -> str: ...

    @property
    def policy(self) -> Policy: ...

    def allowed_steps(self) -> tuple[str, ...]: ...

    def offers(
        self, *, by: str | None = None, acting_for: str | None = None, now: dt.datetime | None = None
    ) -> tuple[Alternative, ...]: ...


@runtime_checkable
class LiveCaseRecord(CaseRecord, Protocol):
    """A :class:`CaseRecord` that other threads may step, as a :class:`~recovery_rules.Case` is: it is read
    again first (``refresh``), then inside ``steady`` (:meth:`Case.steady <recovery_rules.Case.steady>`), at one
    step. A record of another kind (a copy frozen at one version) is read as it is."""

    def refresh(self) -> None: ...

    def steady(self) -> contextlib.AbstractContextManager[object]: ...


def as_of_one_step(record: CaseRecord) -> contextlib.AbstractContextManager[object]:
    """Where ``record`` reads as of one step: inside its ``steady`` (a :class:`LiveCaseRecord`), or as it is."""
    return record.steady() if isinstance(record, LiveCaseRecord) else contextlib.nullcontext()


@dataclasses.dataclass(frozen=True, slots=True)
class _CaseSoFar:
    """What the events so far say, as far as the words need it."""

    policy: Policy
    complaint: Complaint
    level: str
    customer_name: str
    preferred: Remedy | None = None
    decision: Resolution | None = None
    approval: Resolution | None = None
    approved_by: str | None = None
    denied_by: str | None = None
    denial_reason: str | None = None
    offered_by: str | None = None
    backup: Alternative | None = None
    report_to: str | None = None
    offer: Remedy | None = None
    offer_by: str | None = None
    upcoming: tuple[Alternative, ...] | None = None
    """What the next step offering alternatives would offer now (``Case.offers``); ``None`` in the history."""
    explainer: str | None = None
    """The level that will explain the denial, when the host says (``say_next(by=...)``)."""

    def then(self, event: Event) -> _CaseSoFar:
        """The story once ``event`` happened."""
        data = event.data
        match event.kind:
            case "solution_asked":
                return dataclasses.replace(self, preferred=Remedy.model_validate(data["remedy"]))
            case "decided":
                return dataclasses.replace(self, decision=Resolution.model_validate(data["resolution"]))
            case "manager_approved":
                approval = Resolution.model_validate(data["resolution"])
                offer = data.get("offer")
                if offer is not None:  # a counter-offer: less than asked
                    return dataclasses.replace(
                        self,
                        approval=approval,
                        approved_by=event.actor,
                        offer=Remedy.model_validate(offer),
                        offer_by=event.actor,
                    )
                return dataclasses.replace(self, approval=approval, approved_by=event.actor)
            case "manager_denied":
                return dataclasses.replace(self, denied_by=event.actor, denial_reason=str(data["reason"]))
            case "denial_explained":
                backup = data.get("backup")
                return dataclasses.replace(
                    self, offered_by=event.actor, backup=None if backup is None else Alternative.model_validate(backup)
                )
            case "report_written":
                return dataclasses.replace(self, report_to=str(_report(event)["to"]))
        return self

    @property
    def number(self) -> dict[str, Fact]:
        return {"complaint_number": Verbatim(str(self.complaint.number))}

    def asked(self, remedy: Remedy) -> dict[str, Fact]:
        """The slots every message about what was asked has."""
        return {
            "remedy": Asked(remedy),
            "remedy_kind": Kind(remedy.kind),
            "amount": Amount(remedy.amount),
            "request": Verbatim(remedy.description),
            "employee": Level(self.level),
            **self.number,
        }


def _required(value: _T | None) -> _T:
    if value is None:  # the case path guarantees it at this step; reaching this is a bug
        raise AssertionError("the case lacks a value its path guarantees at this step")
    return value


def _alternative(event: Event, field: str = "alternative") -> Alternative:
    return Alternative.model_validate(event.data[field])


def _lead(step: str, story: _CaseSoFar, event: Event | None, now: dt.datetime) -> tuple[Line, ...]:
    """What the employee says to take ``step``: from ``event`` once recorded, else from the story so far."""
    number = story.number
    match step:
        case "listen":
            name = story.customer_name
            apology = (
                Line("apology_named", {"customer_name": Verbatim(name), **number})
                if name.strip()
                else Line("apology", number)
            )
            return (apology, Line("step_listen", number))
        case "apologize":
            return (Line("step_apologize", number),)
        case "ask_preferred_solution":
            return (Line("step_ask", number),)
        case "escalate":
            decision = _required(story.decision)
            facts = {
                **story.asked(decision.remedy),
                "escalate_to": Level(_required(decision.escalate_to)),
                "reason": DecisionReason(decision),
                # beyond their authority, the employee still offers what they can authorize now (seed 002)
                "alternatives": Offers(decision.alternatives),
                # once recorded, the callback promised (the time the customer chose, if they did)
                "callback_time": Time(
                    _required(_callback_promised(story.policy, decision, now) if event is None else event.callback_due),
                    now,
                ),
            }
            return (Line("step_escalate", facts),)
        case "deliver" if story.offer is not None:  # a counter-offer: asking whether the customer accepts it
            asked = story.asked(_required(story.preferred))
            facts = {**asked, "approved_by": Level(_required(story.offer_by)), "offer": Asked(story.offer)}
            return (Line("step_deliver_offer", facts),)
        case "deliver":
            resolution = story.approval or _required(story.decision)
            asked = story.asked(resolution.remedy)
            good_news = (
                Line("step_deliver", asked)
                if story.approved_by is None
                else Line("step_deliver_approval", {**asked, "approved_by": Level(story.approved_by)})
            )
            if not resolution.suggestions:
                return (good_news,)
            return (good_news, Line("suggestions", {"suggestions": Offers(resolution.suggestions)}))
        case "explain_denial":
            return (_denial(story, event),)
        case "make_final_offer":
            if event is not None:
                offer = _alternative(event)
            elif story.upcoming is None:
                offer = _required(story.backup)
            elif story.upcoming:
                offer = story.upcoming[0]
            else:  # nothing fits now: the step would be refused, so there is nothing to say
                return ()
            return (Line("step_final_offer", {"offer": Offers((offer,)), **number}),)
        case "write_report":
            to = str(_report(event)["to"]) if event is not None else story.policy.denials_delivered_by
            call_by = event.callback_due if event is not None else _personal_call_by(story.policy, now)
            if call_by is None:
                return (Line("step_report", {"report_to": Level(to), **number}),)
            return (
                Line("step_report_call_by", {"report_to": Level(to), "callback_time": Time(call_by, now), **number}),
            )
        case "manager_calls":
            caller = event.actor if event is not None else _required(story.report_to)
            return (Line("step_manager_calls", {"caller": Level(caller), **number}),)
        case "thank":
            return (Line("thanks", number),)
    return ()


def _callback_promised(policy: Policy, decision: Resolution, now: dt.datetime) -> dt.datetime | None:
    """What escalating ``now`` would promise (:func:`escalation_callback`): the words say the time it records."""
    from recovery_rules._policy._policy import compiled_policy  # noqa: PLC0415 - a layer below, imported when used

    return escalation_callback(compiled_policy(policy), decision, now)


def _personal_call_by(policy: Policy, now: dt.datetime) -> dt.datetime | None:
    """When a report written ``now`` promises the manager's call (``None``: the policy promises no time)."""
    within = policy.personal_call_within
    if within is None:
        return None
    from recovery_rules._policy._policy import compiled_policy  # noqa: PLC0415 - a layer below, imported when used

    return compiled_policy(policy).promise(now, within)


def _report(event: Event) -> Mapping[str, object]:
    report = event.data["report"]
    if not isinstance(report, dict):
        raise AssertionError("a report_written event records its report")  # the case path checked it
    return report


def _denial(story: _CaseSoFar, event: Event | None) -> Line:
    decision = _required(story.decision)
    if event is not None:
        raw = event.data["alternatives"]
        offered = tuple(Alternative.model_validate(item) for item in raw) if isinstance(raw, list) else ()
        speaker = event.actor
    else:
        upcoming = story.upcoming
        offered = (decision.alternatives if upcoming is None else upcoming)[:OFFERED_WITH_A_DENIAL]
        speaker = _denial_speaker(story)
    reason: Fact
    if story.denied_by is None and story.offer is not None:  # a declined counter-offer
        offer: dict[str, Fact] = {
            "offered_by": Level(_required(story.offer_by)),
            "offer_amount": Amount(story.offer.amount),
        }
        # the most the manager could approve, when it was that; else the offer they chose, which was declined
        most = offer_was_the_most(_required(story.approval), story.offer)
        reason = Nested("step_offer_reason" if most else "step_offer_declined", offer)
    elif story.denied_by is None:  # the rules denied it: their reason, in the locale's words
        reason = Nested("step_reason", {"reason": DecisionReason(decision)})
    else:  # a manager denied it: their reason, as they gave it
        reason = Verbatim(str(event.data["reason"]) if event is not None else _required(story.denial_reason))
    facts = {
        **story.asked(decision.remedy),
        "delivered_by": Level(speaker),
        "reason": reason,
        "alternatives": Offers(offered),
    }
    return Line("step_explain_denial", facts)


def _denial_speaker(story: _CaseSoFar) -> str:
    """Who explains a denial: the level the host named, or else the manager who denied it, at least the policy's
    ``denials_delivered_by`` (as ``Case.explain_denial`` chooses)."""
    if story.explainer is not None:
        return story.explainer
    ranks = [level.name for level in story.policy.levels]
    required = story.policy.denials_delivered_by
    denier = story.denied_by or story.offer_by
    if denier is None or denier not in ranks:  # a level a reload removed: the policy's own deliverer
        return required
    return denier if ranks.index(denier) >= ranks.index(required) else required


def _reply(step: str, story: _CaseSoFar, event: Event) -> tuple[Line, ...]:
    """What the employee answers to what ``event`` recorded; ``story`` includes it."""
    match step:
        case "ask_preferred_solution":
            return (Line("step_restate", story.asked(_required(story.preferred))),)
        case "accept_alternative" | "accept_final_offer":
            return (Line("step_accept", {"accepted": Offers((_alternative(event),)), **story.number}),)
        case "accept_offer":
            return (Line("step_accept_offer", {"offer": Asked(_required(story.offer)), **story.number}),)
        case "decline_offer":
            return (Line("step_decline_offer", {"delivered_by": Level(_denial_speaker(story)), **story.number}),)
    return ()


def _speaker(step: str, story: _CaseSoFar) -> str:
    """Who takes ``step`` next."""
    if step == "explain_denial":
        return _denial_speaker(story)
    if step in ("make_final_offer", "write_report"):
        return story.offered_by or story.level
    if step == "manager_calls":
        return _required(story.report_to)
    return story.level


def _story(case: CaseRecord, customer_name: str | None) -> _CaseSoFar:
    complaint = case.complaint
    return _CaseSoFar(
        policy=case.policy,
        complaint=complaint,
        level=case.level,
        customer_name=said_name(complaint.customer.name if customer_name is None else customer_name),
    )


def history_plans(case: CaseRecord, customer_name: str | None) -> list[Plan]:
    """The words of every recorded step of ``case``, one plan per event."""
    story = _story(case, customer_name)
    plans = []
    for event in case.history:
        step = STEP_OF_KIND.get(event.kind, event.kind)
        lead = _lead(step, story, event, event.at)
        story = story.then(event)
        plans.append(Plan(step, event.actor, event.version, lead + _reply(step, story, event)))
    return plans


def _upcoming(
    case: CaseRecord, by: str | None, now: dt.datetime | None, acting_for: str | None = None
) -> tuple[Alternative, ...] | None:
    """What the next offering step would offer (``None``: the case's levels are not the policy's any more, so
    the words fall back on what was recorded)."""
    try:
        return case.offers(by=by, acting_for=acting_for, now=now)
    except UnknownLevelError:
        return None


def next_plans(
    case: CaseRecord,
    customer_name: str | None,
    now: dt.datetime | None,
    by: str | None = None,
    acting_for: str | None = None,
) -> list[Plan]:
    """What is said now: the reply of the last recorded step, then the lead of each step allowed next."""
    history: Sequence[Event] = case.history
    story = _story(case, customer_name)
    for event in history:
        story = story.then(event)
    last = history[-1]
    allowed = case.allowed_steps()
    if "explain_denial" not in allowed:
        by = acting_for = None  # only who explains a denial (and for whom) is the host's to say
    if "explain_denial" in allowed or "make_final_offer" in allowed:  # named as the step would choose them now
        story = dataclasses.replace(story, upcoming=_upcoming(case, by, now, acting_for), explainer=by)
    plans = []
    step = STEP_OF_KIND.get(last.kind, last.kind)
    reply = _reply(step, story, last)
    if reply:
        plans.append(Plan(step, last.actor, last.version, reply))
    for next_step in allowed:
        lead = _lead(str(next_step), story, None, now or last.at)
        if lead:
            plans.append(Plan(str(next_step), _speaker(str(next_step), story), None, lead))
    return plans


show_loaded(__name__, globals())  # its exported names are recovery_rules.X from now on
