"""``Case``: one complaint's path from complaint to thanks, every step recorded in a journal.

A host app opens a case for a complaint and drives it with the steps a support
agent knows: listen, apologize, ask the preferred solution, decide, escalate,
deliver, explain a denial, offer alternatives, make the final offer, write the
report, thank, close. Each step checks that it is allowed now (else
:class:`~recovery_rules.WorkflowError`, naming the steps allowed next) and appends
one event to the journal under the complaint number. The states and the table of
which step may follow which are in ``_case_path.py``.

Decisions use the ledger: what the guest was already granted within each of
the policy's windows (its ``window``, and each cap's own) is read from the
journal inside the same transaction that records the decision, so the limits
and every cap hold at once across employees, shifts, threads and processes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, TypeVar
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter, ValidationError

from recovery_rules._engine._resolution import Outcome, Resolution
from recovery_rules._engine._rules import decide
from recovery_rules._journal import Draft, Event, Journal, JSONValue, Ledger
from recovery_rules._journal._ledger import ErasureMark, MarksErasures
from recovery_rules._journal._privacy import ERASED, personal_texts
from recovery_rules._policy._parts import Alternative
from recovery_rules._policy._policy import Policy, compiled_policy
from recovery_rules._values._base import EMPLOYEE_EXAMPLE, Text, check_employee, problems_from
from recovery_rules._values._exported import show_loaded
from recovery_rules._values._hours import Schedule
from recovery_rules._values._models import Complaint, ComplaintNumber, Remedy, business_number
from recovery_rules._values._money import Money, checked_money
from recovery_rules._values._shown import shown
from recovery_rules._values._time import Window, format_duration, recorded_instant
from recovery_rules._wording._phrases import forbidden_phrases
from recovery_rules.exceptions import (
    AuthorityError,
    IdempotencyConflictError,
    InvalidInputError,
    JournalIntegrityError,
    Problem,
    StaleCaseError,
    UnknownLevelError,
    WorkflowError,
)

from ._path import (
    DECIDED_STATE,
    OFFERED_WITH_A_DENIAL,
    CaseOutcome,
    CaseState,
    CaseStep,
    CaseView,
    allowed_steps,
    apply,
    check_agreed,
    check_answers,
    escalation_callback,
    event_kind,
    offer_was_the_most,
    start,
)

if TYPE_CHECKING:
    from recovery_rules._engine._rules import CompiledLevel

__all__ = ["Case"]

Clock = Callable[[], dt.datetime]
_T = TypeVar("_T")

_TEXT: Final = TypeAdapter(Text)
CLOCK_SKEW: Final = dt.timedelta(minutes=5)
"""How far before a case's latest step a new step's time may be (servers' clocks differ a little); more is
refused."""
_RETRIES: Final = 1000  # writers that overtake this one; each retry means another step was recorded


def _system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _text(value: object, field: str) -> str:
    try:
        return _TEXT.validate_python(value)
    except ValidationError as error:
        raise InvalidInputError(field, problems_from(error, field)) from None


def _json(model: Resolution | Remedy | Alternative | Complaint) -> dict[str, JSONValue]:
    dumped: dict[str, JSONValue] = model.model_dump(mode="json")
    return dumped


class Case:
    """A complaint's case, driven step by step and recorded in a :class:`~recovery_rules.Journal`.

    Open one with :meth:`open` or read one back with :meth:`load`. Its state
    (:attr:`state`, :meth:`allowed_steps`) and full history (:attr:`history`, the
    recorded events) are readable at any time. Every step method:

    - raises :class:`~recovery_rules.WorkflowError` (naming the steps allowed
      next) when it is not allowed now, and records nothing;
    - takes ``key``, an idempotency key (a new one is made when omitted): a repeat
      with the same key returns the first result without writing again, and the
      same key with different content raises
      :class:`~recovery_rules.IdempotencyConflictError` (so does a repeat, after
      the customer's personal data was erased, of a step taken before: its
      ``erased`` is true, and a new key is needed);
    - takes ``now`` (timezone-aware, from the year 1900 to 8999 in UTC, the years
      a journal records; the case's clock when omitted);
    - takes ``employee``, the id of the employee who takes the step
      (``"E-0042"``: an id, never a name), recorded in its event
      (:attr:`Event.employee <recovery_rules.Event.employee>`); required when the
      policy sets ``require_employee``. It is part of the step's request: a
      repeat with the same key by another employee is a conflict.

    Every event also records the revision of the case's policy
    (:attr:`Event.policy_revision <recovery_rules.Event.policy_revision>`).

    :meth:`decide` and :meth:`manager_approves` return the
    :class:`~recovery_rules.Resolution`; the other steps return the recorded
    :class:`~recovery_rules.Event`. A ``Case`` object may be shared between
    threads; two ``Case`` objects for one complaint (two processes, say) stay
    consistent too: a step that finds the journal ahead of it reads the new
    events first and checks again.
    """

    __slots__ = ("_clock", "_journal", "_lock", "_policy", "_view", "_written")

    def __init__(self, journal: Journal, policy: Policy, view: CaseView, clock: Clock) -> None:
        """Use :meth:`open` or :meth:`load`."""
        self._journal = journal
        self._policy = policy
        self._view = view
        self._clock = clock
        self._lock = threading.RLock()
        self._written: int | None = None  # the seq of the event this object's last step wrote, if it wrote one

    # -- opening and loading ------------------------------------------------------
    @classmethod
    def open(
        cls,
        journal: Journal,
        policy: Policy,
        complaint: Complaint,
        *,
        by: str,
        key: str | None = None,
        now: dt.datetime | None = None,
        clock: Clock | None = None,
        incident: ComplaintNumber | str | None = None,
        employee: str | None = None,
    ) -> Case:
        """Open the case of ``complaint``, handled by an employee of level ``by`` (``employee``: their id).

        The case is filed under the complaint's number. When the complaint did
        not set ``number`` itself (it is ``None``), the number is the business's
        date (the day ``received_at`` falls on in the policy's time zone: a New
        York hotel files a complaint received at 02:30 UTC on 23 November under
        22 November, whatever zone ``received_at`` was given in) and the customer
        number, the number :meth:`Policy.decide` gives its resolution; when the
        customer already has a case that day, the next sequence is used:
        ``20261123-10442/2``. A complaint that sets a number already in use is
        refused. The complaint is validated again first (a copy changed with
        ``model_copy(update=...)`` may hold anything), and the case holds the
        validated copy. ``clock`` gives the time of each step
        whose ``now`` is omitted (the system clock by default).

        ``incident`` files a follow-up under an earlier case of the same
        customer: its grants count against that incident's authority (under the
        policy's ``incident`` window). A complaint opened again while its first
        case exists (the same complaint, filed each time with its number left
        out) joins the first case's incident by itself, so opening it twice never
        gives it two caps. (A first case whose number was set by hand is not
        found so, nor one filed under another date by a policy with another
        ``timezone`` before a reload: name it in ``incident``.)

        ``employee`` is the id of the employee who opens it (``"E-0042"``), which
        :attr:`employee` returns; a policy with ``require_employee`` refuses an
        opening without one.
        """
        _check_parts(journal, policy)
        employee = _employee(policy, employee)
        if not isinstance(complaint, Complaint):
            raise InvalidInputError.at(
                "complaint",
                "complaint",
                "must be a Complaint; build one with Complaint(...) or Complaint.model_validate(data)",
            )
        # model_copy(update=...) does not validate: check the complaint again, or the journal could
        # record a case that can never be read back; what follows uses the checked copy only.
        complaint = _validated(complaint)
        clock = _checked_clock(clock)
        at = _moment(now, clock)
        policy.decide(complaint, by=by, now=at)  # refuses an unknown level, a foreign currency or remedy kind now
        explicit = complaint.number_set
        details = complaint.model_dump(mode="json")
        if not explicit:
            details.pop("number")
        earlier = _incident_of(journal, complaint, incident)
        request = _open_request(details, policy, by, employee, None if incident is None else earlier)
        if key is not None:
            existing = journal.find(key)
            if existing is not None:
                if not journal.same_request(existing, request):
                    raise _conflict(journal, existing)
                return cls.load(journal, policy, existing.number, clock=clock)
        key = key or uuid.uuid4().hex
        number = complaint.number
        taken = None  # the number another case took while this one was being filed
        while True:
            same = None
            if number is None or not explicit:
                number, same = _first_free_number(journal, complaint, _business_day(complaint, policy))
                if number == taken:  # events under it, but no first event: never loop, refuse
                    raise _first_event_missing(journal, number)
            filed = complaint.model_copy(update={"number": number})
            joins = earlier if earlier is not None else same
            data: dict[str, JSONValue] = {"complaint": _json(filed), "policy": policy.name}
            if joins is not None and joins != number:
                data["incident"] = str(joins)
            draft = Draft(
                kind="opened",
                state=CaseState.OPENED,
                actor=by,
                at=at,
                data=data,
                employee=employee,
                policy_revision=policy.revision,
            )
            try:
                event = journal.append(number, draft, expected_version=0, key=key, request=request)
            except StaleCaseError:
                if explicit:
                    raise InvalidInputError.at(
                        "complaint",
                        "number",
                        "a case with this complaint number already exists; leave number out "
                        "to have the next sequence number chosen",
                    ) from None
                taken = number
                continue  # another case took the number meanwhile: choose again
            except IdempotencyConflictError:
                # A concurrent call with this key recorded the same request first, under the number it chose.
                existing = journal.find(key)
                if existing is None or not journal.same_request(existing, request):
                    raise
                return cls.load(journal, policy, existing.number, clock=clock)
            except InvalidInputError as error:  # after its subclass IdempotencyConflictError, caught above
                raise _at_now(error) from None
            if event.number != number:  # the same request, recorded by an earlier call
                return cls.load(journal, policy, event.number, clock=clock)
            return cls(journal, policy, start(event), clock)

    @classmethod
    def load(
        cls, journal: Journal, policy: Policy, number: ComplaintNumber | str, *, clock: Clock | None = None
    ) -> Case:
        """The case filed under ``number``, rebuilt from its recorded events alone.

        Raises :class:`~recovery_rules.InvalidInputError` when the journal has no
        such case or it was opened under another policy, and
        :class:`~recovery_rules.JournalIntegrityError` when its events do not
        form a valid path.
        """
        _check_parts(journal, policy)
        if isinstance(number, str):
            number = ComplaintNumber.parse(number)
        if not isinstance(number, ComplaintNumber):
            raise InvalidInputError.at(
                "case",
                "number",
                f"must be a ComplaintNumber, such as ComplaintNumber.parse('20261123-10442'), or its text, "
                f"not {shown(number)}",
            )
        events = journal.events(number)
        if not events:
            raise InvalidInputError.at("case", "number", "the journal has no case with this complaint number")
        view = start(events[0])
        for event in events[1:]:
            view = apply(view, event)
        if view.policy != policy.name:
            raise InvalidInputError.at(
                "case", "policy", f"the case was opened under the policy {view.policy!r}; load it with that policy"
            )
        return cls(journal, policy, view, _checked_clock(clock))

    # -- reading --------------------------------------------------------------------
    @property
    def number(self) -> ComplaintNumber:
        """The complaint number the case is filed under."""
        return self._view.number

    @property
    def complaint(self) -> Complaint:
        """The complaint, as opened (with the number it is filed under)."""
        return self._view.complaint

    @property
    def policy(self) -> Policy:
        """The policy the case's decisions follow."""
        return self._policy

    @property
    def journal(self) -> Journal:
        """The journal the case is recorded in."""
        return self._journal

    @property
    def level(self) -> str:
        """The level of the employee who opened the case and delivers good news."""
        return self._view.level

    @property
    def employee(self) -> str | None:
        """The id of the employee who opened the case (``"E-0042"``), ``None`` when the opening named none."""
        return self._view.employee

    @property
    def state(self) -> CaseState:
        """Where the case stands now."""
        return self._view.state

    @property
    def version(self) -> int:
        """How many events the case has."""
        return self._view.version

    @property
    def last_step_recorded(self) -> bool:
        """Whether this object's latest step call recorded its event itself: ``False`` when it returned the
        event recorded before under the same idempotency ``key`` (a retry, or the same request sent twice at
        once, whose copy found the other's event), or before any step. What a host counts or logs once per
        step (a decision) it counts when this is ``True``."""
        return self._written is not None

    @property
    def history(self) -> tuple[Event, ...]:
        """Every recorded event of the case, in order."""
        return self._view.history

    @property
    def preferred(self) -> Remedy | None:
        """The remedy the customer said they would prefer (once asked)."""
        return self._view.preferred

    @property
    def decision(self) -> Resolution | None:
        """The decision of the employee's :meth:`decide`, with its Plan B."""
        return self._view.decision

    @property
    def resolution(self) -> Resolution | None:
        """The latest decision: the employee's, or the manager's approval.

        A counter-offer's ends with its ``counter_offer`` trace entry, also when a journal written before that
        entry existed stored it without one (see :attr:`CaseView.resolution <recovery_rules.CaseView.resolution>`),
        so :func:`~recovery_rules.say` words it as an offer; the offer accepted ends with ``counter_offer_accepted``.
        """
        return self._view.resolution

    @property
    def escalated_to(self) -> str | None:
        """The level the case was escalated to, if it was."""
        return self._view.escalated_to

    @property
    def escalating_employee(self) -> str | None:
        """The id of the employee who escalated the case, if the escalation named one (they may not decide it)."""
        return self._view.escalating_employee

    @property
    def callback_by(self) -> dt.datetime | None:
        """When the customer must hear back at the latest, while a callback is owed."""
        return self._view.callback_by

    @property
    def denial_reason(self) -> str | None:
        """Why the remedy was denied, if it was."""
        return self._view.denial_reason

    @property
    def alternatives_offered(self) -> tuple[Alternative, ...]:
        """The alternatives offered with the denial."""
        return self._view.alternatives_offered

    @property
    def backup(self) -> Alternative | None:
        """The final back-up offer held in reserve, if the Plan B has one left."""
        return self._view.backup

    @property
    def final_offer(self) -> Alternative | None:
        """The final back-up offer, once made."""
        return self._view.final_offer

    @property
    def accepted(self) -> Alternative | None:
        """The alternative or final offer the customer accepted, if any."""
        return self._view.accepted

    @property
    def counter_offer(self) -> Remedy | None:
        """What a manager approved instead of what was asked (less: a counter-offer), if one did.

        It is granted only once the customer accepts it (:meth:`accept_offer`)."""
        return self._view.counter_offer

    @property
    def granted(self) -> Money:
        """What this case granted the guest."""
        return self._view.granted

    @property
    def outcome(self) -> CaseOutcome | None:
        """How the case was resolved, once it was."""
        return self._view.outcome

    @property
    def report(self) -> Mapping[str, JSONValue] | None:
        """The written report, if one went to a manager."""
        return self._view.report

    @property
    def customer_agreed(self) -> bool | None:
        """The customer's answer to the restatement of their preferred solution ("Is that correct?").

        ``None`` when :meth:`ask_preferred_solution` did not record one; ``False``
        until the solution is asked again and the customer agrees (or the answer is left out).
        """
        return self._view.customer_agreed

    @property
    def satisfied(self) -> bool | None:
        """Whether the customer said they were satisfied, if it was recorded (see :meth:`deliver`, :meth:`thank`)."""
        return self._view.satisfied

    @property
    def satisfaction(self) -> int | None:
        """The customer's satisfaction score, 1 (not at all) to 5 (fully), if they gave one."""
        return self._view.satisfaction

    @property
    def closed(self) -> bool:
        """Whether the case is closed."""
        return self._view.state is CaseState.CLOSED

    def allowed_steps(self) -> tuple[str, ...]:
        """The names of the steps allowed next."""
        return _names(allowed_steps(self._view))

    def refresh(self) -> None:
        """Read events other writers recorded for this case since it was read."""
        with self._lock:
            for event in self._journal.events(self.number)[self._view.version :]:
                self._view = apply(self._view, event)

    @contextlib.contextmanager
    def steady(self) -> Iterator[Case]:
        """Hold the case at one step while several of its properties are read together: ``with case.steady():``.

        A ``Case`` shared between threads records another thread's step when that thread takes it, so two reads
        (:attr:`history`, then :meth:`allowed_steps`) may fall either side of it. Inside the ``with``, a step sent
        through this object by another thread waits until the block ends, so what is read is the case at one
        step (:class:`~recovery_rules.Wording` reads a case so); the thread inside may take steps itself. Events
        another ``Case`` object records (another process) are read when this one reads the journal again
        (:meth:`refresh`, :meth:`offers`, a step). Keep the block short: other threads' steps wait for it.
        """
        with self._lock:
            yield self

    def __repr__(self) -> str:
        # The complaint number holds the customer number: keep it out of reprs, which end up in logs.
        return f"<Case {self._view.state.value}, {self._view.version} events>"

    # -- the steps ------------------------------------------------------------------
    def listen(
        self, *, notes: str = "", key: str | None = None, now: dt.datetime | None = None, employee: str | None = None
    ) -> Event:
        """Listen to the grievance in its entirety; ``notes`` records what the customer said."""
        return self._simple(CaseStep.LISTEN, CaseState.LISTENED, notes, key, now, employee=employee)

    def apologize(
        self, *, notes: str = "", key: str | None = None, now: dt.datetime | None = None, employee: str | None = None
    ) -> Event:
        """Apologize and validate the customer's feelings ("I understand how you must feel")."""
        return self._simple(CaseStep.APOLOGIZE, CaseState.APOLOGIZED, notes, key, now, employee=employee)

    def ask_preferred_solution(
        self,
        remedy: Remedy | None = None,
        *,
        notes: str = "",
        key: str | None = None,
        now: dt.datetime | None = None,
        employee: str | None = None,
        customer_agreed: bool | None = None,
    ) -> Event:
        """Ask what the customer would prefer, and restate it: ``remedy`` (the complaint's request when omitted).

        ``customer_agreed`` is the customer's answer to the restatement ("Is that
        correct?"), recorded in the event's data: ``True``, ``False``, or ``None``
        (not recorded, the default). After a ``False`` the restatement was wrong:
        nothing is decided on it, and the only step allowed is this one again,
        until the customer agrees (or the answer is left out).
        """
        employee = _employee(self._policy, employee)
        agreed = check_agreed(customer_agreed)
        self._forget_erased()
        preferred = self._view.complaint.requested if remedy is None else remedy
        if not isinstance(preferred, Remedy):
            raise InvalidInputError.at(
                "remedy", "remedy", "must be a Remedy, such as Remedy(kind='refund', amount=Money('25.00', 'USD'))"
            )
        notes = _text(notes, "notes")
        asked = self._view.complaint.model_copy(update={"requested": preferred})
        decided = self._policy.decide(asked, by=self._view.level, now=self._moment(now))  # refuses a foreign remedy
        if remedy is not None:  # what was checked, validated as a Remedy (a changed copy may hold anything)
            preferred = Remedy.model_validate(decided.remedy.model_dump())

        answer: dict[str, JSONValue] = {} if agreed is None else {"customer_agreed": agreed}

        def restated(view: CaseView) -> Remedy:
            # The complaint's request as the view the step is written on holds it (not as read before the write
            # transaction): an erasure seen inside it makes the step read the case again, and restate the erased.
            return view.complaint.requested if remedy is None else preferred

        def build(view: CaseView, ledger: Ledger, at: dt.datetime) -> Draft:
            draft = _draft(
                CaseStep.ASK_PREFERRED_SOLUTION,
                CaseState.SOLUTION_ASKED,
                view.level,
                at,
                remedy=_json(restated(view)),
                notes=notes,
            )
            return _with_data(draft, answer)

        return self._record(
            CaseStep.ASK_PREFERRED_SOLUTION,
            lambda view: {"remedy": _json(restated(view)), "notes": notes, **answer},
            build,
            key,
            now,
            employee=employee,
        )

    def decide(
        self,
        *,
        by: str | None = None,
        key: str | None = None,
        now: dt.datetime | None = None,
        employee: str | None = None,
    ) -> Resolution:
        """Decide the preferred remedy with the authority of level ``by`` (the case's level by default).

        What the guest was already granted comes from the journal (the policy's
        window and every cap's), read in the same transaction that records the decision.
        Approved: the employee delivers it next. Beyond their authority:
        :meth:`escalate`. Denied: a manager will :meth:`explain_denial`. The
        resolution's ``employee`` is ``employee``.
        """
        employee = _employee(self._policy, employee)
        level = self._level(by)

        def build(view: CaseView, ledger: Ledger, at: dt.datetime) -> Draft:
            resolution = self._decision(view, ledger, level, at, employee)
            grant = resolution.remedy.amount if resolution.approved else None
            return _draft(
                CaseStep.DECIDE,
                DECIDED_STATE[resolution.outcome],
                level,
                at,
                grant=grant,
                resolution=_json(resolution),
            )

        event = self._record(CaseStep.DECIDE, {"by": level}, build, key, now, employee=employee)
        return Resolution.model_validate(event.data["resolution"])

    def escalate(
        self,
        *,
        notes: str = "",
        callback_at: dt.datetime | None = None,
        key: str | None = None,
        now: dt.datetime | None = None,
        employee: str | None = None,
    ) -> Event:
        """Explain that more authority is needed, promise the callback, and pass the case up.

        The callback is promised by the decision's ``callback_by`` (counted again
        from now when that time has already passed: a promise is never made in
        the past), or at ``callback_at``, a time the customer chose ("at their
        convenience"): it
        must lie within the policy's bounds, from now (or the next opening, when
        the business is closed) to the level's ``callback_within`` after now
        counted in business hours, and while the business is open; otherwise
        :class:`~recovery_rules.InvalidInputError` says the allowed range, on
        the policy's wall clock. The promise is :attr:`callback_by` and the
        event's ``callback_due``; until the customer hears back, the journal
        lists the case among :meth:`~recovery_rules.Journal.overdue_callbacks`
        once that time passes. The ``employee`` who escalates may not approve
        or deny the case themselves (:meth:`manager_approves`, :meth:`manager_denies`).
        """
        employee = _employee(self._policy, employee)
        notes = _text(notes, "notes")
        chosen = None if callback_at is None else recorded_instant(callback_at, field="callback_at")
        args: dict[str, JSONValue] = {"notes": notes}
        if chosen is not None:
            args["callback_at"] = chosen.isoformat()

        def build(view: CaseView, ledger: Ledger, at: dt.datetime) -> Draft:
            decision = _required(view.decision)
            promised: dt.datetime | None
            if chosen is not None:
                promised = self._chosen_callback(_required(decision.escalate_to), at, chosen)
            else:  # the decision's, or counted from the escalation when it lapsed before it was made
                promised = escalation_callback(compiled_policy(self._policy), decision, at)
            return _draft(
                CaseStep.ESCALATE,
                CaseState.ESCALATED,
                view.level,
                at,
                callback_due=promised,
                to=decision.escalate_to,
                notes=notes,
            )

        return self._record(CaseStep.ESCALATE, args, build, key, now, employee=employee)

    def _chosen_callback(self, level: str, at: dt.datetime, chosen: dt.datetime) -> dt.datetime:
        """``chosen``, checked: from the earliest ``level`` can call after ``at`` to its ``callback_within``."""
        policy = self._policy
        compiled = compiled_policy(policy)
        within = _required(policy.level(level).callback_within)
        hours = compiled.hours
        earliest = at if hours is None else hours.next_open(at)
        latest = compiled.promise(at, within)
        if earliest <= chosen <= latest and (hours is None or hours.is_open(chosen)):
            return chosen
        zone = ZoneInfo(policy.timezone)
        while_open = "" if policy.business_hours is None else ", while the business is open"
        closed = None if hours is None else _closed_days(hours, earliest, latest, zone)
        if closed:
            while_open += f" (closed all day on {closed})"
        raise InvalidInputError.at(
            "callback",
            "callback_at",
            f"must be from {_wall(earliest, zone)} to {_wall(latest, zone)} ({policy.timezone}){while_open}: "
            f"a callback from {policy.level(level).display_name} is promised within {format_duration(within)}"
            f"{'' if hours is None else ' of business hours'}; ask the customer for a time in that range",
        )

    def manager_approves(
        self,
        *,
        by: str,
        notes: str = "",
        key: str | None = None,
        now: dt.datetime | None = None,
        employee: str | None = None,
        acting_for: str | None = None,
        amount: Money | None = None,
    ) -> Resolution:
        """A level that may grant it now approves the escalated remedy; the employee then delivers the good news.

        That is the level the case was escalated to or a higher one, or a lower level whose own authority
        covers it by now (its window has room again); a denial or a counter-offer needs the level escalated
        to or a higher one.

        ``amount`` approves less than the customer asked for: a counter-offer of
        the same kind of remedy. The employee delivers it (:meth:`deliver`) and the
        customer accepts it (:meth:`accept_offer`, which grants it) or declines it
        (:meth:`decline_offer`, which grants nothing and leads on to the
        alternatives, as a denial does). More than asked, or another currency, is
        refused (:class:`~recovery_rules.InvalidInputError` at ``amount``); the
        amount asked, or none, approves what was asked. The resolution returned
        for a counter-offer approves the offer (``remedy``) with ``by``'s
        authority; its ``reason``, and the ``counter_offer`` entry that ends its
        trace (figures ``offer`` and ``asked``), say what was offered of what
        was asked, granted when the customer accepts ("$2,000.00 offered of the
        $3,000.00 asked: granted when the guest accepts"); its other findings
        name the offer ("$2,000.00 offered is within ..."), and
        :func:`~recovery_rules.say` words it as an offer.

        The approval is a decision with level ``by``'s authority and the ledger
        as it stands now: a level that could not grant it cannot approve it
        (:class:`~recovery_rules.AuthorityError`, naming the level that could).

        ``employee`` may not be the employee who escalated the case
        (:class:`~recovery_rules.AuthorityError`: another employee of the level
        it names, ``needed``, must approve it). ``acting_for`` names an absent level that ``by`` is a
        delegate of (the policy's ``delegates``): the approval is then decided
        with that level's authority, and its event records ``acting_for``.
        """
        employee = _employee(self._policy, employee)
        level, delegate = self._authority(CaseStep.MANAGER_APPROVES, by, acting_for, check=False)
        notes = _text(notes, "notes")
        if amount is not None:  # exactly a Money of the values checked, however it was made
            amount = checked_money(amount, "amount")

        def build(view: CaseView, ledger: Ledger, at: dt.datetime) -> Draft:
            self._check_delegate(CaseStep.MANAGER_APPROVES, view, level, delegate)
            return self._unless_own_escalation(
                CaseStep.MANAGER_APPROVES,
                view,
                level,
                delegate=delegate,
                employee=employee,
                take=lambda: approve(view, ledger, at),
            )

        def approve(view: CaseView, ledger: Ledger, at: dt.datetime) -> Draft:
            offer = _counter_offer(_required(view.preferred), amount)
            if offer is not None:
                return self._counter_offer(
                    view, ledger, at, offer, level=level, delegate=delegate, employee=employee, notes=notes
                )
            resolution = self._decision(view, ledger, level, at, employee)
            if resolution.outcome is not Outcome.APPROVED:
                needed = resolution.escalate_to if resolution.outcome is Outcome.ESCALATED else None
                raise _refusal(
                    CaseStep.MANAGER_APPROVES,
                    view,
                    level=delegate or level,
                    needed=needed,
                    detail=resolution.reason,
                )
            resolution = self._delivered_by_employee(resolution, view)
            return _draft(
                CaseStep.MANAGER_APPROVES,
                CaseState.APPROVED,
                delegate or level,
                at,
                grant=resolution.remedy.amount,
                callback_due=view.callback_by,
                resolution=_json(resolution),
                notes=notes,
                acting_for=_acting_for(level, delegate),
            )

        args: dict[str, JSONValue] = {"by": delegate or level, "notes": notes, **_delegation(level, delegate)}
        if amount is not None:
            money: dict[str, JSONValue] = {**amount.to_json()}
            args["amount"] = money
        event = self._record(CaseStep.MANAGER_APPROVES, args, build, key, now, employee=employee)
        return Resolution.model_validate(event.data["resolution"])

    def _counter_offer(
        self,
        view: CaseView,
        ledger: Ledger,
        at: dt.datetime,
        offer: Remedy,
        *,
        level: str,
        delegate: str | None,
        employee: str | None,
        notes: str,
    ) -> Draft:
        """The draft of a counter-offer: decided with ``level``'s authority now, granted only once accepted.

        Only the level the case was escalated to, or a higher one, makes counter-offers: a lower level could
        grant part of what was asked, but the case was passed up for someone with the authority to decide it.
        """
        target = _required(view.escalated_to)
        if self._rank(level) < self._rank(target):
            raise _refusal(
                CaseStep.MANAGER_APPROVES,
                view,
                level=delegate or level,
                needed=target,
                detail=f"the case was escalated to {target}, so {level} cannot make a counter-offer",
            )
        resolution = self._decision(view, ledger, level, at, employee, remedy=offer)
        if resolution.outcome is not Outcome.APPROVED:
            needed = resolution.escalate_to if resolution.outcome is Outcome.ESCALATED else None
            raise _refusal(
                CaseStep.MANAGER_APPROVES, view, level=delegate or level, needed=needed, detail=resolution.reason
            )
        resolution = self._delivered_by_employee(resolution, view)
        # Approved as an offer: its reason and last trace entry say what was offered of what was asked, and that
        # it is granted when the customer accepts (say() words it as an offer, never as granted).
        offered = compiled_policy(self._policy).counter_offered(offer.amount, _required(view.preferred).amount)
        resolution = resolution.model_copy(update={"reason": offered.message, "trace": (*resolution.trace, offered)})
        return _draft(
            CaseStep.MANAGER_APPROVES,
            CaseState.COUNTER_OFFERED,
            delegate or level,
            at,
            callback_due=view.callback_by,
            resolution=_json(resolution),
            offer=_json(offer),
            notes=notes,
            acting_for=_acting_for(level, delegate),
        )

    def manager_denies(
        self,
        *,
        by: str,
        reason: str,
        key: str | None = None,
        now: dt.datetime | None = None,
        employee: str | None = None,
        acting_for: str | None = None,
    ) -> Event:
        """The level the case was escalated to (or a higher one) denies it, saying why.

        ``reason`` is what the customer will be told ("over a dollar limit", "not
        practical"), so it passes the phrase check (:func:`forbidden_phrases`):
        "that's our policy" or a bare "no" is refused with a positive form to
        use instead. The manager then delivers it: :meth:`explain_denial`.
        ``employee`` and ``acting_for`` as for :meth:`manager_approves`.
        """
        employee = _employee(self._policy, employee)
        level, delegate = self._authority(CaseStep.MANAGER_DENIES, by, acting_for, check=False)
        reason = _text(reason, "reason")
        if all(char.isspace() or unicodedata.category(char) == "Cf" for char in reason):
            # blank, or only invisible format characters (a zero-width space, a soft hyphen): nothing to be told
            raise InvalidInputError.at("reason", "reason", "must say why, so the customer can be told")
        if reason.strip() == ERASED:
            # what an erased reason reads back as: the words would leave it out, and say no reason at all
            raise InvalidInputError.at(
                "reason",
                "reason",
                f"must say why, so the customer can be told ({ERASED!r} is what an erased reason reads as)",
            )
        if said_wrong := forbidden_phrases(reason):
            raise InvalidInputError("reason", [Problem("reason", message) for message in said_wrong])

        def build(view: CaseView, ledger: Ledger, at: dt.datetime) -> Draft:
            self._check_delegate(CaseStep.MANAGER_DENIES, view, level, delegate)
            return self._unless_own_escalation(
                CaseStep.MANAGER_DENIES,
                view,
                level,
                delegate=delegate,
                employee=employee,
                take=lambda: deny(view, at),
            )

        def deny(view: CaseView, at: dt.datetime) -> Draft:
            target = _required(view.escalated_to)
            if self._rank(level) < self._rank(target):
                raise _refusal(
                    CaseStep.MANAGER_DENIES,
                    view,
                    level=delegate or level,
                    needed=target,
                    detail=f"the case was escalated to {target}, so {level} cannot decide it",
                )
            return _draft(
                CaseStep.MANAGER_DENIES,
                CaseState.DENIED,
                delegate or level,
                at,
                callback_due=view.callback_by,
                reason=reason,
                acting_for=_acting_for(level, delegate),
            )

        args: dict[str, JSONValue] = {"by": delegate or level, "reason": reason, **_delegation(level, delegate)}
        return self._record(CaseStep.MANAGER_DENIES, args, build, key, now, employee=employee)

    def deliver(
        self,
        *,
        notes: str = "",
        key: str | None = None,
        now: dt.datetime | None = None,
        employee: str | None = None,
        satisfied: bool | None = None,
        satisfaction: int | None = None,
    ) -> Event:
        """The employee delivers the approved remedy (the good news), whoever approved it.

        ``satisfied`` records the customer's answer to "Does that resolve this to
        your satisfaction?" and ``satisfaction`` their score from 1 to 5 (both
        optional; :attr:`satisfied`, :attr:`satisfaction`). A case records the
        customer's answers once: here, at the step that accepts an alternative,
        the final offer or a counter-offer, or at :meth:`thank`.

        A counter-offer (a manager approved less than asked) is delivered the same way; the customer then
        accepts it (:meth:`accept_offer`) or declines it (:meth:`decline_offer`), and answers there.
        """
        given: dict[str, JSONValue] = dict(check_answers(satisfied, satisfaction))
        employee = _employee(self._policy, employee)
        notes = _text(notes, "notes")

        def build(view: CaseView, ledger: Ledger, at: dt.datetime) -> Draft:
            offered = view.state is CaseState.COUNTER_OFFERED
            if offered and given:
                raise InvalidInputError.at(
                    "satisfaction",
                    "satisfied",
                    "the customer has not answered the counter-offer yet: record their satisfaction when they "
                    "accept it (accept_offer) or at thank",
                )
            _check_not_answered(CaseStep.DELIVER, view, given)
            state = CaseState.OFFER_DELIVERED if offered else CaseState.RESOLVED
            return _with_data(_draft(CaseStep.DELIVER, state, view.level, at, notes=notes), given)

        return self._record(CaseStep.DELIVER, {"notes": notes, **given}, build, key, now, employee=employee)

    def explain_denial(
        self,
        *,
        by: str | None = None,
        notes: str = "",
        key: str | None = None,
        now: dt.datetime | None = None,
        employee: str | None = None,
        acting_for: str | None = None,
    ) -> Event:
        """A manager tells the customer the reason, and offers two alternatives.

        ``by`` is the level delivering it: the manager who denied it by default,
        and at least the policy's ``denials_delivered_by``. The alternatives are
        the Plan B that level can authorize now: chosen as the decision's was (in the
        order of its ranking), but within what it may still grant this guest as the
        ledger stands in this step's transaction, and of kinds it may grant. The first
        two are offered; the next one is kept as the final back-up offer.
        ``acting_for`` as for :meth:`manager_approves` (the Plan B is then the absent level's).
        """
        employee = _employee(self._policy, employee)
        notes = _text(notes, "notes")
        level, delegate = self._explainer(by, acting_for, check=False)

        def build(view: CaseView, ledger: Ledger, at: dt.datetime) -> Draft:
            self._check_delegate(CaseStep.EXPLAIN_DENIAL, view, level, delegate)
            plan_b = self._denial_offers(view, ledger, at, level, delegate)
            reason = view.denial_reason or _offer_reason(view, self._policy) or _required(view.decision).reason
            return _draft(
                CaseStep.EXPLAIN_DENIAL,
                CaseState.ALTERNATIVES_OFFERED,
                delegate or level,
                at,
                reason=reason,
                alternatives=[_json(alternative) for alternative in plan_b[:OFFERED_WITH_A_DENIAL]],
                backup=_json(plan_b[OFFERED_WITH_A_DENIAL]) if len(plan_b) > OFFERED_WITH_A_DENIAL else None,
                notes=notes,
                acting_for=_acting_for(level, delegate),
            )

        args: dict[str, JSONValue] = {"by": delegate or level, "notes": notes, **_delegation(level, delegate)}
        return self._record(CaseStep.EXPLAIN_DENIAL, args, build, key, now, employee=employee)

    def accept_alternative(
        self,
        alternative_id: str,
        *,
        key: str | None = None,
        now: dt.datetime | None = None,
        employee: str | None = None,
        satisfied: bool | None = None,
        satisfaction: int | None = None,
    ) -> Event:
        """The customer accepts one of the alternatives offered (by its ``id``).

        After :meth:`explain_denial`: one of the two alternatives the manager offered, its value granted by that
        manager. Beyond the employee's authority (state ``beyond_authority``), instead of :meth:`escalate`: one
        of the decision's alternatives (what the employee can authorize now), its value granted by the level
        that decided; the case is resolved, and no callback is owed. Either way the grant is checked against
        what that level may still grant the guest (the ledger, in the same transaction), and an ``id`` that is
        not one of the alternatives raises :class:`~recovery_rules.InvalidInputError` naming those there are.
        ``satisfied`` and ``satisfaction`` as for :meth:`deliver`.
        """
        employee = _employee(self._policy, employee)
        answers = check_answers(satisfied, satisfaction)
        chosen = self._offered(alternative_id)

        def build(view: CaseView, ledger: Ledger, at: dt.datetime) -> Draft:
            alternative = chosen(view)
            return self._grant_alternative(CaseStep.ACCEPT_ALTERNATIVE, view, ledger, at, alternative, answers=answers)

        return self._record(
            CaseStep.ACCEPT_ALTERNATIVE,
            {"alternative": alternative_id, **answers},
            build,
            key,
            now,
            employee=employee,
        )

    def decline_alternatives(
        self, *, notes: str = "", key: str | None = None, now: dt.datetime | None = None, employee: str | None = None
    ) -> Event:
        """The customer declines both alternatives."""
        return self._simple(
            CaseStep.DECLINE_ALTERNATIVES,
            CaseState.ALTERNATIVES_DECLINED,
            notes,
            key,
            now,
            employee=employee,
            by_offerer=True,
        )

    def offers(
        self, *, by: str | None = None, acting_for: str | None = None, now: dt.datetime | None = None
    ) -> tuple[Alternative, ...]:
        """What the next step that offers alternatives would offer if it were taken ``now``, recording nothing.

        Before :meth:`explain_denial` (``by`` and ``acting_for`` as it takes them, and refused as it refuses
        them: :class:`~recovery_rules.AuthorityError` for a level below ``denials_delivered_by``): the two
        alternatives to offer, then the back-up to keep (none with ``min_alternatives = 2``). Before
        :meth:`make_final_offer`: the final offer it would make (none if none fits). At any other point: none.
        The case is read again first, so the step described is the one it is at. Read with the ledger as it
        stands (the journal's grants to this guest, other cases included), as the step reads it: what the words
        to say next name (:meth:`Wording.say_next <recovery_rules.Wording.say_next>`). The step chooses again in
        its own transaction, so a grant to the guest in between can change what it records.
        """
        at = self._moment(now)
        self.refresh()  # the journal may be ahead of this object: describe the step the case is at
        view = self._view
        allowed = allowed_steps(view)
        if CaseStep.EXPLAIN_DENIAL in allowed:
            try:
                level, delegate = self._explainer(by, acting_for)
                return self._denial_offers(view, self._journal._as_appending(), at, level, delegate)
            except AuthorityError as error:  # refused as the step refuses it, said as what offers() was asked
                raise _offers_refused(error, by=by, acting_for=acting_for) from None
        if CaseStep.MAKE_FINAL_OFFER in allowed:
            try:
                offer, _ = self._final_offer_now(view, self._journal._as_appending(), at)
            except AuthorityError:
                return ()
            return (offer,)
        return ()

    def _denial_offers(
        self, view: CaseView, ledger: Ledger, at: dt.datetime, level: str, delegate: str | None
    ) -> tuple[Alternative, ...]:
        """What explaining the denial with ``level``'s authority offers now: two alternatives, then the back-up
        (if the Plan B has a third); :class:`~recovery_rules.AuthorityError` below ``denials_delivered_by``."""
        required = self._policy.denials_delivered_by
        if self._rank(level) < self._rank(required):
            raise _refusal(
                CaseStep.EXPLAIN_DENIAL,
                view,
                level=delegate or level,
                needed=required,
                detail=f"denials are delivered by {required} or above, never by {level}",
            )
        return self._plan_b_now(view, ledger, at, level)[0][: OFFERED_WITH_A_DENIAL + 1]

    def _explainer(self, by: str | None, acting_for: str | None, *, check: bool = True) -> tuple[str, str | None]:
        """The level whose authority explains the denial, and the delegate's own when one acts for it."""
        if by is not None:
            return self._authority(CaseStep.EXPLAIN_DENIAL, by, acting_for, check=check)
        if acting_for is not None:
            raise InvalidInputError.at("case", "acting_for", "needs by=, the level of the delegate who acts")
        if CaseStep.EXPLAIN_DENIAL not in allowed_steps(self._view):
            self.refresh()  # the denial may be another object's news: the default is the manager who denied it
        required = self._policy.denials_delivered_by
        denier = self._view.denied_by or self._view.counter_offered_by
        return (denier if denier is not None and self._rank(denier) >= self._rank(required) else required), None

    def _final_offer_now(self, view: CaseView, ledger: Ledger, at: dt.datetime) -> tuple[Alternative, str | None]:
        """The final offer to make now, and the back-up it replaces (``None``: the back-up itself); raises
        :class:`~recovery_rules.AuthorityError` when nothing fits."""
        backup = _required(view.backup)
        authority = _offer_authority(view)
        offered = frozenset(alternative.kind for alternative in view.alternatives_offered)
        chosen, left = self._plan_b_now(view, ledger, at, authority, without=offered)
        barred = backup.kind in self._compiled_level(authority).barred
        if backup.value.amount <= left and not barred:
            return backup, None
        if chosen:
            return chosen[0], backup.id
        if barred:
            why = f"the back-up offer {backup.id!r} is a {backup.kind!r}, which {authority} may not grant"
        else:
            room = Money(left, self._policy.currency).display()
            why = f"the back-up offer {backup.id!r} is worth {backup.value.display()} and {authority} may grant "
            why += f"this guest only {room} more now"
        explained = next(event for event in reversed(view.history) if event.kind == "denial_explained")
        revision = "" if explained.policy_revision is None else f" (revision {explained.policy_revision[:12]})"
        raise _refusal(
            CaseStep.MAKE_FINAL_OFFER,
            view,
            level=_required(view.offered_by),
            needed=None,
            detail=(
                f"{why}, and no alternative of a kind not offered yet fits under the policy read now, which is not "
                f"the one the case was offered under{revision}: load the case with that policy to make the final "
                "offer"
            ),
        )

    def make_final_offer(
        self, *, notes: str = "", key: str | None = None, now: dt.datetime | None = None, employee: str | None = None
    ) -> Event:
        """Make the final back-up offer: the next alternative of the Plan B.

        The back-up kept when the alternatives were offered, if the offering level can still authorize it (other
        grants to the guest since may have used up what it may grant); else the best-ranked alternative it can
        authorize now, of a kind not offered yet (the event's ``instead_of`` holds the id of the back-up it
        replaces). :meth:`offers` says beforehand which it will be. Only a case read under another policy than
        it was offered under can find none that fits: then :class:`~recovery_rules.AuthorityError`, nothing
        is recorded, and the case is to be loaded with the policy it was offered under.
        """
        employee = _employee(self._policy, employee)
        notes = _text(notes, "notes")

        def build(view: CaseView, ledger: Ledger, at: dt.datetime) -> Draft:
            offer, instead_of = self._final_offer_now(view, ledger, at)
            offerer, authority = _required(view.offered_by), _offer_authority(view)
            draft = _draft(
                CaseStep.MAKE_FINAL_OFFER,
                CaseState.FINAL_OFFER_MADE,
                offerer,
                at,
                alternative=_json(offer),
                notes=notes,
                acting_for=None if authority == offerer else authority,  # made with the absent level's authority
            )
            return draft if instead_of is None else _with_data(draft, {"instead_of": instead_of})

        return self._record(CaseStep.MAKE_FINAL_OFFER, {"notes": notes}, build, key, now, employee=employee)

    def accept_final_offer(
        self,
        *,
        key: str | None = None,
        now: dt.datetime | None = None,
        employee: str | None = None,
        satisfied: bool | None = None,
        satisfaction: int | None = None,
    ) -> Event:
        """The customer accepts the final offer; its value is granted as for :meth:`accept_alternative`.

        ``satisfied`` and ``satisfaction`` as for :meth:`deliver`.
        """
        employee = _employee(self._policy, employee)
        answers = check_answers(satisfied, satisfaction)

        def build(view: CaseView, ledger: Ledger, at: dt.datetime) -> Draft:
            offer = _required(view.final_offer)
            return self._grant_alternative(CaseStep.ACCEPT_FINAL_OFFER, view, ledger, at, offer, answers=answers)

        return self._record(CaseStep.ACCEPT_FINAL_OFFER, {**answers}, build, key, now, employee=employee)

    def decline_final_offer(
        self, *, notes: str = "", key: str | None = None, now: dt.datetime | None = None, employee: str | None = None
    ) -> Event:
        """The customer declines the final offer too: say you understand, and that a report will go to a manager."""
        return self._simple(
            CaseStep.DECLINE_FINAL_OFFER,
            CaseState.FINAL_OFFER_DECLINED,
            notes,
            key,
            now,
            employee=employee,
            by_offerer=True,
        )

    def accept_offer(
        self,
        *,
        notes: str = "",
        key: str | None = None,
        now: dt.datetime | None = None,
        employee: str | None = None,
        satisfied: bool | None = None,
        satisfaction: int | None = None,
    ) -> Event:
        """The customer accepts the counter-offer the employee delivered: it is granted now.

        The grant is the manager's (the level that made the counter-offer, with
        the authority it acted with), decided again against the ledger and every
        cap in the same transaction that records it: if other grants since the
        offer leave no room for it, :class:`~recovery_rules.AuthorityError` and
        nothing is recorded (the customer may still :meth:`decline_offer`).
        ``satisfied`` and ``satisfaction`` as for :meth:`deliver`.

        The resolution it stores (:attr:`resolution`) is that decision on the offer: its findings name the
        offer ("$2,000.00 offered is within ..."), and its trace ends with a ``counter_offer_accepted`` entry
        (figures ``offer`` and ``asked``) whose message is its ``reason`` ("$2,000.00 offered of the $3,000.00
        asked, and accepted by the guest: granted now"), so
        :func:`~recovery_rules.resolution_violations` judges it against the complaint as asked.
        """
        given: dict[str, JSONValue] = dict(check_answers(satisfied, satisfaction))
        employee = _employee(self._policy, employee)
        notes = _text(notes, "notes")

        def build(view: CaseView, ledger: Ledger, at: dt.datetime) -> Draft:
            _check_not_answered(CaseStep.ACCEPT_OFFER, view, given)
            offer = _required(view.counter_offer)
            offerer = _required(view.counter_offered_by)
            approval = next(event for event in reversed(view.history) if event.kind == "manager_approved")
            acting_for = approval.data.get("acting_for")
            level = acting_for if isinstance(acting_for, str) else offerer
            resolution = self._decision(view, ledger, level, at, employee, remedy=offer)
            if resolution.outcome is not Outcome.APPROVED:
                raise _refusal(
                    CaseStep.ACCEPT_OFFER,
                    view,
                    level=offerer,
                    needed=resolution.escalate_to if resolution.outcome is Outcome.ESCALATED else None,
                    detail=resolution.reason,
                )
            resolution = self._delivered_by_employee(resolution, view)
            # Granted as the offer accepted: its reason and last trace entry say what was offered of what was
            # asked, so the resolution is judged at the offer on its own (resolution_violations).
            accepted = compiled_policy(self._policy).counter_offer_accepted(
                offer.amount, _required(view.preferred).amount
            )
            resolution = resolution.model_copy(
                update={"reason": accepted.message, "trace": (*resolution.trace, accepted)}
            )
            draft = _draft(
                CaseStep.ACCEPT_OFFER,
                CaseState.RESOLVED,
                offerer,
                at,
                grant=offer.amount,
                resolution=_json(resolution),
                notes=notes,
                acting_for=None if offerer == level else level,
            )
            return _with_data(draft, given)

        return self._record(CaseStep.ACCEPT_OFFER, {"notes": notes, **given}, build, key, now, employee=employee)

    def decline_offer(
        self, *, notes: str = "", key: str | None = None, now: dt.datetime | None = None, employee: str | None = None
    ) -> Event:
        """The customer declines the counter-offer: nothing is granted, and a manager gives the reason and
        offers the alternatives next (:meth:`explain_denial`), as after a denial."""
        return self._simple(CaseStep.DECLINE_OFFER, CaseState.OFFER_DECLINED, notes, key, now, employee=employee)

    def write_report(
        self,
        *,
        summary: str = "",
        to: str | None = None,
        key: str | None = None,
        now: dt.datetime | None = None,
        employee: str | None = None,
    ) -> Event:
        """Submit a written report on the situation to a manager, who will call the customer personally.

        ``to`` is that manager's level (the policy's ``denials_delivered_by`` by
        default, never lower). The report states the problem, what was decided
        and why, every offer declined, and ``summary``. With the policy's
        ``personal_call_within``, the call is promised by that long after now,
        counted in business hours: it is :attr:`callback_by`, and the case is
        listed among the journal's overdue callbacks once that time passes,
        until :meth:`manager_calls` records the call (thanking and closing the
        case do not wait for it).
        """
        employee = _employee(self._policy, employee)
        summary = _text(summary, "summary")
        required = self._policy.denials_delivered_by
        reader = required if to is None else self._level(to, location="to")
        if self._rank(reader) < self._rank(required):
            raise InvalidInputError.at("report", "to", f"a report goes to {required} or above")

        def build(view: CaseView, ledger: Ledger, at: dt.datetime) -> Draft:
            decision = _required(view.decision)
            report: dict[str, JSONValue] = {
                "to": reader,
                "category": view.complaint.category,
                "requested": _json(_required(view.preferred)),
                "decision": decision.reason,
                "escalated_to": view.escalated_to,
                "denied_by": view.denied_by,
                "denial_reason": view.denial_reason,
                "alternatives_declined": [alternative.id for alternative in view.alternatives_offered],
                "final_offer_declined": None if view.final_offer is None else view.final_offer.id,
                "summary": summary,
            }
            if view.counter_offer is not None:  # only then: reports written before counter-offers stay as they were
                report["counter_offer_declined"] = _json(view.counter_offer)
            writer = view.offered_by or view.level
            within = self._policy.personal_call_within
            call_by = None if within is None else compiled_policy(self._policy).promise(at, within)
            return _draft(CaseStep.WRITE_REPORT, CaseState.REPORTED, writer, at, callback_due=call_by, report=report)

        return self._record(
            CaseStep.WRITE_REPORT, {"to": reader, "summary": summary}, build, key, now, employee=employee
        )

    def thank(
        self,
        *,
        notes: str = "",
        key: str | None = None,
        now: dt.datetime | None = None,
        employee: str | None = None,
        satisfied: bool | None = None,
        satisfaction: int | None = None,
    ) -> Event:
        """Thank the customer for the chance to make it right (a manager's personal call still owed stays owed).

        The last step with the customer, whatever the outcome (a report too):
        ``satisfied`` and ``satisfaction`` record the customer's answers here when
        the resolving step did not (as for :meth:`deliver`); a case that already
        records them refuses a second answer (:class:`~recovery_rules.InvalidInputError`).
        """
        answers = check_answers(satisfied, satisfaction)
        return self._simple(CaseStep.THANK, CaseState.THANKED, notes, key, now, employee=employee, answers=answers)

    def close(self, *, key: str | None = None, now: dt.datetime | None = None, employee: str | None = None) -> Event:
        """Close the case; it records how it was resolved.

        Nothing can be recorded after it but the manager's personal call, when a
        report promised one and it was not made yet (:meth:`manager_calls`).
        """
        employee = _employee(self._policy, employee)

        def build(view: CaseView, ledger: Ledger, at: dt.datetime) -> Draft:
            outcome = _required(view.outcome)
            return _draft(
                CaseStep.CLOSE,
                CaseState.CLOSED,
                view.level,
                at,
                callback_due=view.callback_by,
                outcome=outcome.value,
            )

        return self._record(CaseStep.CLOSE, {}, build, key, now, employee=employee)

    def manager_calls(
        self,
        *,
        by: str | None = None,
        employee: str | None = None,
        notes: str = "",
        key: str | None = None,
        now: dt.datetime | None = None,
    ) -> Event:
        """The manager makes the personal call the written report promised; ``notes`` records how it went.

        Allowed once after :meth:`write_report`, before or after :meth:`thank`
        and :meth:`close` (the guest may have left), on this case or one loaded
        again. ``by`` is the manager's level: the level the report went to by
        default, never lower (:class:`~recovery_rules.AuthorityError`);
        ``employee`` the manager's id (recorded as the event's ``employee``). The state stays as it was; the call owed
        (:attr:`callback_by`) is cleared, and the case leaves the journal's
        overdue callbacks.
        """
        level = None if by is None else self._level(by)
        notes = _text(notes, "notes")
        employee = _employee(self._policy, employee)

        def build(view: CaseView, ledger: Ledger, at: dt.datetime) -> Draft:
            required = str(_required(view.report)["to"])
            caller = required if level is None else level
            if self._rank(caller) < self._rank(required):
                raise _refusal(
                    CaseStep.MANAGER_CALLS,
                    view,
                    level=caller,
                    needed=required,
                    detail=f"the report went to {required}, so the personal call is made by {required} or above",
                )
            return _draft(CaseStep.MANAGER_CALLS, view.state, caller, at, notes=notes)

        return self._record(CaseStep.MANAGER_CALLS, {"by": level, "notes": notes}, build, key, now, employee=employee)

    # -- machinery ------------------------------------------------------------------
    def _simple(
        self,
        step: CaseStep,
        state: CaseState,
        notes: str,
        key: str | None,
        now: dt.datetime | None,
        *,
        employee: str | None,
        by_offerer: bool = False,
        answers: Mapping[str, bool | int] | None = None,
    ) -> Event:
        """A step that only records itself: deliver ends a callback owed; the others keep it (only a manager's
        personal call can be owed at thank).

        ``answers``: the customer's satisfaction answers (:func:`check_answers`), recorded with it.
        """
        employee = _employee(self._policy, employee)
        notes = _text(notes, "notes")
        given: dict[str, JSONValue] = dict(answers or {})

        def build(view: CaseView, ledger: Ledger, at: dt.datetime) -> Draft:
            _check_not_answered(step, view, given)
            actor = _required(view.offered_by) if by_offerer else view.level
            owed = None if step is CaseStep.DELIVER else view.callback_by
            return _with_data(_draft(step, state, actor, at, callback_due=owed, notes=notes), given)

        return self._record(step, {"notes": notes, **given}, build, key, now, employee=employee)

    def _record(
        self,
        step: CaseStep,
        args: dict[str, JSONValue] | Callable[[CaseView], dict[str, JSONValue]],
        build: Callable[[CaseView, Ledger, dt.datetime], Draft],
        key: str | None,
        now: dt.datetime | None,
        *,
        employee: str | None,
    ) -> Event:
        """Record ``step``: ``employee`` was checked by the step (:func:`_employee`) before anything else.

        ``args``: the step's arguments, or how to read them from the view the step is written on (when they copy
        words of the case, which an erasure seen inside the write transaction changes: the step then reads the
        case again, and the request's digest is of the words as they read now).
        """

        def requested(view: CaseView) -> dict[str, JSONValue]:
            request: dict[str, JSONValue] = {
                "step": step.value,
                "number": str(self.number),
                "args": args(view) if callable(args) else args,
            }
            if employee is not None:
                request["employee"] = employee
            return request

        with self._lock:
            request = requested(self._view)
            self._written = None
            if key is not None:
                existing = self._journal.find(key)
                if existing is not None:
                    return self._repeat(existing, request)
            key = key or uuid.uuid4().hex
            at = self._moment(now)
            revision = self._policy.revision
            erasure = self._forget_erased()
            refreshed = False
            for _ in range(_RETRIES):
                view = self._view
                allowed = allowed_steps(view)
                if step not in allowed or _out_of_order(view, at):
                    if not refreshed:  # the journal may be ahead of this object: judge the step on the news
                        refreshed = True
                        self.refresh()
                        continue
                    if step not in allowed:
                        raise WorkflowError(step.value, view.state.value, _names(allowed))
                    _check_in_order(view, at)
                built: list[bool] = []  # the journal builds the draft only when it writes it (not for a key it holds)
                bound = _build_with_ledger(build, view, at, employee, revision, erasure, self.number.customer_id)

                def building(
                    ledger: Ledger, bound: Callable[[Ledger], Draft] = bound, built: list[bool] = built
                ) -> Draft:
                    built.append(True)
                    return bound(ledger)

                try:
                    event = self._journal.append(
                        self.number, building, expected_version=view.version, key=key, request=requested(view)
                    )
                except InvalidInputError as error:
                    raise _at_now(error) from None
                except StaleCaseError:
                    self.refresh()  # another writer (or an erasure) came first: read the case, then check again
                    erasure = self._forget_erased()
                    continue
                self._written = event.seq if built else None
                self._advance(event)
                return event
            # Other writers kept changing the case first: the step could not be checked again. A StaleCaseError
            # (a WorkflowError) says so; the caller reads the case again (the service answers 409 stale-case).
            raise StaleCaseError(expected=view.version, found=max(self._view.version, view.version + 1))

    def _forget_erased(self) -> ErasureMark | None:
        """Read the case again when its customer's data was erased since this object read it; return the erasure
        the view now reflects, with the customer's key (``None``: the journal does not encrypt), which the step's
        append compares inside its transaction (:class:`ErasureMark`: the key tells a second erasure from the
        first, which may be an equal record).

        Otherwise a step would copy the words it still holds (the remedy asked, a manager's reason copied into
        the report) into a new event, sealed with a new key: readable again after the erasure. (An erasure between
        this look and the step's append is seen inside the append's transaction, which then reads the case again
        and retries.) Whether the erasure reached the words held is read from the journal, never judged by
        comparing times: the case's steps and the erasure are timed by different clocks (a step's ``now`` may run
        ahead of the journal's).
        """
        if not self._journal.encrypts_personal_data:
            return None
        with self._lock:
            mark = self._journal._erasure_mark(self.number.customer_id)
            if mark.erasure is None:
                return mark
            held = next((event for event in self._view.history if personal_texts(event.data)), None)
            if held is not None:  # readable words held: read the case again if the erasure reached them
                again = self._journal.find(held.key)  # the event as the journal reads it now
                if again is None or personal_texts(again.data) != personal_texts(held.data):
                    self._view = CaseView.replay(self._journal.events(self.number))
            return mark

    def _repeat(self, existing: Event, request: dict[str, JSONValue]) -> Event:
        if existing.number != self.number:  # another case's key: a different request, whatever was erased
            raise IdempotencyConflictError(seq=existing.seq, recorded=existing.kind)
        if not self._journal.same_request(existing, request):
            raise _conflict(self._journal, existing)
        if existing.version > self._view.version:
            self.refresh()
        return existing

    def _advance(self, event: Event) -> None:
        if event.version == self._view.version + 1:
            self._view = apply(self._view, event)
        elif event.version > self._view.version:
            self.refresh()

    def _moment(self, now: dt.datetime | None) -> dt.datetime:
        return _moment(now, self._clock)

    def _level(self, by: str | None, *, location: str = "by") -> str:
        name = self._view.level if by is None else by
        try:
            return self._policy.level(name).name
        except UnknownLevelError as error:
            raise UnknownLevelError(error.name, error.known, location=location) from None

    def _authority(
        self, step: CaseStep, by: str, acting_for: str | None, *, check: bool = True
    ) -> tuple[str, str | None]:
        """The level whose authority a step by level ``by`` has, and ``by`` itself when it acts for another.

        Without ``acting_for``: ``by``'s own, and no delegate. With it: the absent
        level's, if the policy names ``by`` among its ``delegates``; else
        :class:`~recovery_rules.AuthorityError`.
        """
        level = self._level(by)
        if acting_for is None:
            return level, None
        absent = self._level(acting_for, location="acting_for")
        if check:
            self._check_delegate(step, self._view, absent, level)
        return absent, level

    def _check_delegate(self, step: CaseStep, view: CaseView, level: str, delegate: str | None) -> None:
        """:class:`~recovery_rules.AuthorityError` unless the policy names ``delegate`` among ``level``'s
        ``delegates`` (checked when the step is built, so that a retry of a recorded step replays it first)."""
        if delegate is None:
            return
        delegates = self._policy.level(level).delegates
        if delegate not in delegates:
            named = ", ".join(delegates) if delegates else "none"
            raise _refusal(
                step,
                view,
                level=delegate,
                needed=level,
                detail=f"{delegate} may not act for {level}: the policy names its delegates ({named})",
            )

    def _unless_own_escalation(
        self,
        step: CaseStep,
        view: CaseView,
        level: str,
        *,
        delegate: str | None,
        employee: str | None,
        take: Callable[[], Draft],
    ) -> Draft:
        """``take()``, the draft of ``step`` with ``level``'s authority, unless ``employee`` escalated the case.

        No approving (or denying) one's own escalation: the employee who escalated may not take ``step``. The
        refusal names the lowest level whose other employees may take it (``needed``), found as the step's own
        checks find it: the level the authority check asks for when ``level`` may not take the step (a staff
        member who escalated to the manager is told "manager", not "staff"), else the lower of ``level`` and
        the level the case was escalated to. When no level may take it (over the per-guest cap), that refusal
        is the one raised. Without the employee's id on both steps there is nothing to compare, and the check
        cannot apply (a policy with ``require_employee`` has both, always). The refusal names the level that
        tried: ``delegate``, when one acts for ``level``.
        """
        if employee is None or employee != view.escalating_employee:
            return take()
        try:
            take()
        except AuthorityError as refused:
            if refused.needed is None:
                raise
            needed = refused.needed
        else:
            target = _required(view.escalated_to)
            needed = level if self._rank(level) < self._rank(target) else target
        raise _refusal(
            step,
            view,
            level=delegate or level,
            needed=needed,
            detail=(
                f"{employee} escalated this case and may not decide their own escalation; "
                f"another employee of the level {needed} or a higher one must act"
            ),
        ) from None

    def _rank(self, level: str) -> int:
        names = [candidate.name for candidate in self._policy.levels]
        if level not in names:  # a level of the policy the case began under, gone from the one it is read with
            raise UnknownLevelError(level, names, location="case")
        return names.index(level)

    def _decision(
        self,
        view: CaseView,
        ledger: Ledger,
        level: str,
        at: dt.datetime,
        employee: str | None,
        *,
        remedy: Remedy | None = None,
    ) -> Resolution:
        """``level``'s decision on the preferred remedy, with the ledger now; or on ``remedy``, a counter-offer,
        whose findings then name its amount as offered ("$2,000.00 offered is within ..."), not asked."""
        policy = self._policy
        granted = _granted(policy, ledger, view, at)
        if remedy is None:
            asked = view.complaint.model_copy(update={"requested": _required(view.preferred)})
            return policy.decide(asked, by=level, granted=granted, now=at, employee=employee)
        offer = view.complaint.model_copy(update={"requested": remedy})
        return decide(compiled_policy(policy), offer, level, granted, at, employee=employee, offered=True)

    def _delivered_by_employee(self, resolution: Resolution, view: CaseView) -> Resolution:
        """A higher level's approval (or counter-offer), as the employee of the case delivers it (:meth:`deliver`):
        ``delivered_by`` and the trace's delivery entry name the case's level, not the one that approved it."""
        approver = resolution.authorized_by
        if approver is None or resolution.delivered_by == view.level:
            return resolution
        self._compiled_level(view.level)  # a level of this policy (UnknownLevelError otherwise)
        delivery = compiled_policy(self._policy).handed_over(approver, view.level)
        trace = tuple(delivery if entry.rule == delivery.rule else entry for entry in resolution.trace)
        return resolution.model_copy(update={"delivered_by": view.level, "trace": trace})

    def _compiled_level(self, name: str) -> CompiledLevel:
        """Level ``name`` of the policy, ready for arithmetic; :class:`~recovery_rules.UnknownLevelError` for a
        level of the policy the case began under, gone from the one it is read with."""
        compiled = compiled_policy(self._policy)
        level = compiled.by_name.get(name)
        if level is None:
            raise UnknownLevelError(name, list(compiled.by_name), location="case")
        return level

    def _plan_b_now(
        self, view: CaseView, ledger: Ledger, at: dt.datetime, level: str, *, without: frozenset[str] = frozenset()
    ) -> tuple[tuple[Alternative, ...], Decimal]:
        """The Plan B ``level`` can authorize now for the preferred remedy (the ledger as it stands in this step's
        transaction), of kinds not in ``without``, and what it may still grant this guest."""
        policy = self._policy
        compiled = compiled_policy(policy)
        actor = self._compiled_level(level)
        granted = _granted(policy, ledger, view, at)
        asked = view.preferred or view.complaint.requested
        return compiled.plan_b(
            actor,
            tier=view.complaint.customer.tier,
            category=view.complaint.category,
            remedy_kind=asked.kind,
            asked=asked.amount.amount,
            before=tuple(granted[window].amount for window in compiled.windows),
            without=without,
        )

    def _offered(self, alternative_id: str) -> Callable[[CaseView], Alternative]:
        def chosen(view: CaseView) -> Alternative:
            choices = _choices(view)
            for alternative in choices:
                if alternative.id == alternative_id:
                    return alternative
            offered = ", ".join(alternative.id for alternative in choices) or "none yet"
            raise InvalidInputError.at(
                "alternative", "alternative_id", f"is not one of the alternatives offered ({offered})"
            )

        return chosen

    def _grant_alternative(
        self,
        step: CaseStep,
        view: CaseView,
        ledger: Ledger,
        at: dt.datetime,
        alternative: Alternative,
        *,
        answers: Mapping[str, bool | int],
    ) -> Draft:
        policy = self._policy
        offerer, authority = _grantor(view)
        granted = _granted(policy, ledger, view, at)
        compiled = compiled_policy(policy)
        level = self._compiled_level(authority)
        if alternative.kind in level.barred:
            raise _refusal(
                step,
                view,
                level=offerer,
                needed=None,
                detail=f"it is a {alternative.kind!r} and {authority} may not grant that kind of remedy",
            )
        before = tuple(granted[window].amount for window in compiled.windows)
        left, bound = compiled.binding(level, view.complaint.customer.tier, before)
        if alternative.value.amount > left:
            under = "" if bound is None else f" under {bound.text}"
            raise _refusal(
                step,
                view,
                level=offerer,
                needed=None,
                detail=(
                    f"it is worth {alternative.value.display()} and {authority} may grant this guest only "
                    f"{Money(left, policy.currency).display()} more now{under}"
                ),
            )
        draft = _draft(
            step,
            CaseState.RESOLVED,
            offerer,
            at,
            grant=alternative.value,
            alternative=_json(alternative),
            acting_for=None if authority == offerer else authority,  # offered by a delegate: on whose authority
        )
        return _with_data(draft, answers)


def _draft(
    step: CaseStep,
    state: CaseState,
    actor: str,
    at: dt.datetime,
    *,
    grant: Money | None = None,
    callback_due: dt.datetime | None = None,
    acting_for: str | None = None,
    **data: JSONValue,
) -> Draft:
    if acting_for is not None:
        data["acting_for"] = acting_for
    return Draft(
        kind=event_kind(step), state=state, actor=actor, at=at, data=data, grant=grant, callback_due=callback_due
    )


def _with_data(draft: Draft, more: Mapping[str, JSONValue]) -> Draft:
    """``draft`` with ``more`` in its data (the customer's answers: only those given, so a step without
    them records exactly what it recorded before)."""
    return dataclasses.replace(draft, data={**draft.data, **more}) if more else draft


def _check_not_answered(step: CaseStep, view: CaseView, answers: Mapping[str, JSONValue]) -> None:
    """A case records the customer's satisfaction answers once: refuse a second answer, recording nothing. The
    problem is placed at the first answer given (``satisfaction`` when only a score is)."""
    if answers and (view.satisfied is not None or view.satisfaction is not None):
        raise InvalidInputError.at(
            "satisfaction",
            "satisfied" if "satisfied" in answers else "satisfaction",
            f"the case already records the customer's answer (satisfied={view.satisfied}, "
            f"satisfaction={view.satisfaction}); call {step.value} without satisfied= and satisfaction=",
        )


def _counter_offer(asked: Remedy, amount: Money | None) -> Remedy | None:
    """The counter-offer ``amount`` makes of what was ``asked``: ``None`` for a full approval; more is refused."""
    if amount is None or amount == asked.amount:
        return None
    if amount.currency != asked.amount.currency:
        raise InvalidInputError.at(
            "amount",
            "amount",
            f"is in {amount.currency}, but the customer asked in {asked.amount.currency}; "
            "a counter-offer is in the currency asked",
        )
    if amount > asked.amount:
        raise InvalidInputError.at(
            "amount",
            "amount",
            f"is more than the customer asked for; the most it may be is {asked.amount.display()} "
            "(approve less to make a counter-offer, or omit amount to approve what was asked)",
        )
    if amount.is_zero:
        raise InvalidInputError.at(
            "amount", "amount", "must be more than zero; to grant nothing, deny it (manager_denies)"
        )
    return Remedy.model_validate({**asked.model_dump(mode="json"), "amount": amount.to_json()})


def _offer_reason(view: CaseView, policy: Policy) -> str | None:
    """Why a declined counter-offer was all there was (what the customer is told with the alternatives): the
    most the level could approve, when the offer was that; else the offer the manager chose, declined. The level
    is said as the wording says it, by its title (``our duty manager``), never by its name (``general_manager``)."""
    offer = view.counter_offer
    if offer is None:
        return None
    level, amount = _level_in_a_sentence(policy, _required(view.counter_offered_by)), offer.amount.display()
    if offer_was_the_most(_required(view.resolution), offer):
        return f"the most our {level} could approve was {amount}"
    return f"our {level} offered {amount}, which you declined"


def _level_in_a_sentence(policy: Policy, name: str) -> str:
    """The level called ``name`` as an English sentence says it: its title, or its name with spaces, not
    capitalized mid-sentence (``Duty manager`` -> ``duty manager``); a level the policy no longer has by its name
    with spaces."""
    found = next((level for level in policy.levels if level.name == name), None)
    title = found.display_name if found is not None else name.replace("_", " ")
    if len(title) > 1 and title[0].isupper() and title[1].islower():
        return title[0].lower() + title[1:]
    return title


def _employee(policy: Policy, employee: object) -> str | None:
    """``employee``, checked to be an employee id, and present when the policy requires one."""
    checked = check_employee(employee)
    if checked is None and policy.require_employee:
        raise InvalidInputError.at(
            "employee",
            "employee",
            "the policy requires the employee's id on every case step (require_employee); "
            f"pass employee=, such as employee={EMPLOYEE_EXAMPLE!r}",
        )
    return checked


def _offer_authority(view: CaseView) -> str:
    """The level whose authority the alternatives were offered with: the absent level a delegate offered them
    for, else the level that offered them. Granting one is checked against it, as offering them was."""
    offerer = _required(view.offered_by)
    for event in reversed(view.history):
        if event.kind == "denial_explained":
            acting_for = event.data.get("acting_for")
            return acting_for if isinstance(acting_for, str) else offerer
    return offerer


def _choices(view: CaseView) -> tuple[Alternative, ...]:
    """The alternatives the customer may accept now: the decision's, beyond the employee's authority (instead of
    the escalation); else the two offered with the denial."""
    if view.state is CaseState.BEYOND_AUTHORITY:
        return _required(view.decision).alternatives
    return view.alternatives_offered


def _grantor(view: CaseView) -> tuple[str, str]:
    """Who grants an accepted alternative, and on whose authority: beyond the employee's authority, the level that
    decided (its alternatives are what it can authorize now); else the manager who offered them (for the absent
    level a delegate offered them for)."""
    if view.state is CaseState.BEYOND_AUTHORITY:
        level = _required(view.decision).acting_level
        return level, level
    return _required(view.offered_by), _offer_authority(view)


def _acting_for(level: str, delegate: str | None) -> str | None:
    """The absent level a delegate acted for (recorded in the event's data as ``acting_for``), if one did."""
    return None if delegate is None else level


def _delegation(level: str, delegate: str | None) -> dict[str, JSONValue]:
    """What a step's request holds of a delegation: the absent level the delegate acted for."""
    return {} if delegate is None else {"acting_for": level}


def _open_request(
    details: dict[str, JSONValue],
    policy: Policy,
    by: str,
    employee: str | None,
    incident: ComplaintNumber | None,
) -> dict[str, JSONValue]:
    """What identifies a request to open a case, for idempotency: an employee or incident only when given."""
    request: dict[str, JSONValue] = {"step": "open", "complaint": details, "policy": policy.name, "by": by}
    if employee is not None:
        request["employee"] = employee
    if incident is not None:
        request["incident"] = str(incident)
    return request


def _closed_days(hours: Schedule, start: dt.datetime, end: dt.datetime, zone: ZoneInfo) -> str:
    """The closed dates from ``start`` to ``end`` on the wall clock of ``zone``, the first few of them and how
    many more: ``Thu 2026-12-24, Fri 2026-12-25 and 3 more dates`` (empty when there are none)."""
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    found = []
    while day <= last:
        if hours.is_closed_day(day):
            found.append(f"{day:%a %Y-%m-%d}")
        day += dt.timedelta(days=1)
    more = len(found) - _CLOSED_SHOWN
    if more > 0:
        return f"{', '.join(found[:_CLOSED_SHOWN])} and {more:,} more {'date' if more == 1 else 'dates'}"
    return ", ".join(found)


_CLOSED_SHOWN: Final = 5
"""How many closed dates a refused ``callback_at`` names."""


def _wall(moment: dt.datetime, zone: ZoneInfo) -> str:
    """``moment`` on the wall clock of ``zone``, as an error message shows it: ``Mon 2026-11-23 07:00``; in the hour
    the clock repeats, with its UTC offset, so the two passes differ: ``Sun 2026-11-01 01:30 -04:00``."""
    local = moment.astimezone(zone)
    shown = f"{local:%a %Y-%m-%d %H:%M}"
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():  # the wall clock shows it twice
        shown += f" {local.isoformat(timespec='minutes')[16:]}"
    return shown


def _check_parts(journal: object, policy: object) -> None:
    if not isinstance(journal, Journal):
        raise InvalidInputError.at("case", "journal", "must be a Journal, such as SQLiteJournal(path)")
    if not isinstance(policy, Policy):
        raise InvalidInputError.at("case", "policy", "must be a Policy, such as Policy.from_file(path)")
    compiled_policy(policy)  # a policy changed past validation is checked now: PolicyError, not AttributeError


def _checked_clock(clock: object) -> Clock:
    """``clock``, or the system clock when it is ``None``; anything that cannot be called is refused at ``clock``."""
    if clock is None:
        return _system_clock
    if not callable(clock):
        raise InvalidInputError.at("case", "clock", "must be a function returning the time now, or None")
    return clock  # a callable: what it returns is checked at each step


def _names(steps: tuple[CaseStep, ...]) -> tuple[str, ...]:
    return tuple(step.value for step in steps)


def _offers_refused(error: AuthorityError, *, by: str | None, acting_for: str | None) -> AuthorityError:
    """``error``, the refusal of the step :meth:`Case.offers` describes, as the refusal of the call made:
    ``offers(by="staff"): the next step that offers alternatives, explain_denial, is the manager's: ...``."""
    given = ", ".join(f'{name}="{value}"' for name, value in (("by", by), ("acting_for", acting_for)) if value)
    whose = "refused" if error.needed is None else f"the {error.needed}'s"
    return AuthorityError(
        error.step,
        error.state,
        error.allowed,
        level=error.level,
        needed=error.needed,
        detail=error.detail,
        lead=f"offers({given}): the next step that offers alternatives, {error.step}, is {whose}",
    )


def _refusal(step: CaseStep, view: CaseView, *, level: str, needed: str | None, detail: str) -> AuthorityError:
    """``level`` may not take ``step`` in ``view``; the steps allowed there are still open."""
    return AuthorityError(step, view.state, _names(allowed_steps(view)), level=level, needed=needed, detail=detail)


def _granted(policy: Policy, ledger: Ledger, view: CaseView, at: dt.datetime) -> dict[Window, Money]:
    """What the case's guest was already granted within each of the policy's windows, as of ``at``.

    Read from ``ledger``, the journal's write transaction: the grant this step appends is checked against
    every window's total as it stands in that transaction (each an O(log n) read of two running totals).
    """
    number = view.number
    return {
        window: ledger.granted(
            number,
            window=window,
            timezone=policy.timezone,
            currency=policy.currency,
            now=at,
            incident=view.incident,
        )
        for window in compiled_policy(policy).windows
    }


def _build_with_ledger(  # noqa: PLR0917 - private, called in one place
    build: Callable[[CaseView, Ledger, dt.datetime], Draft],
    view: CaseView,
    at: dt.datetime,
    employee: str | None,
    revision: str,
    erasure: ErasureMark | None = None,
    customer_id: str = "",
) -> Callable[[Ledger], Draft]:
    def bound(ledger: Ledger) -> Draft:
        if erasure is not None and not erasure.holds(_erasure_now(ledger, customer_id, erasure)):
            # the customer's erasure committed since the view was read: it may hold erased words; read it again
            raise StaleCaseError(expected=view.version, found=view.version)
        draft = build(view, ledger, at)
        return dataclasses.replace(
            draft,
            incident=draft.incident if view.incident is None else view.incident,
            employee=employee,
            policy_revision=revision,
        )

    return bound


def _erasure_now(ledger: Ledger, customer_id: str, before: ErasureMark) -> ErasureMark:
    """The customer's :class:`ErasureMark` in the append's transaction; a ledger not the library's (a journal
    that wraps another) says the erasure's record alone, compared alone."""
    if isinstance(ledger, MarksErasures):
        return ledger.erasure_mark(customer_id)
    return ErasureMark(ledger.erasure(customer_id), before.key_id)


def _conflict(journal: Journal, existing: Event) -> IdempotencyConflictError:
    """The refusal of a key already used for ``existing``, saying when its customer's data was erased since."""
    # erased only in a journal that encrypts (another digests every request in the clear), and only for an event
    # whose words no longer read: one whose words read was sealed, and its request digested, under the live key
    erased = (
        journal.encrypts_personal_data
        and journal.erasure(existing.customer_id) is not None
        and not personal_texts(existing.data)
    )
    return IdempotencyConflictError(seq=existing.seq, recorded=existing.kind, erased=erased)


def _required(value: _T | None) -> _T:
    if value is None:  # the path guarantees it; reaching this is a bug, not a caller's mistake
        raise AssertionError("the case path lacks a value it guarantees at this step")
    return value


def _at_now(error: InvalidInputError) -> InvalidInputError:
    """``error``, raised by the journal, as the case step says it: the journal refuses a step's time (too far
    ahead of its clock) at its draft's ``at``, which is the step's ``now``."""
    if error.what == "time" and [problem.location for problem in error.problems] == ["at"]:
        return InvalidInputError.at("time", "now", error.problems[0].message)
    return error


def _moment(now: dt.datetime | None, clock: Clock) -> dt.datetime:
    """``now``, or the time ``clock`` returns when it is omitted: refused naming the one it came from."""
    if now is None:
        return recorded_instant(clock(), field="clock")
    return recorded_instant(now)


def _latest(view: CaseView) -> Event:
    """The case's step of the latest time: its last, unless that one was dated a little before another."""
    return max(reversed(view.history), key=lambda event: event.at)


def _out_of_order(view: CaseView, at: dt.datetime) -> bool:
    """Whether ``at`` is more than :data:`CLOCK_SKEW` before the case's latest step: counted from the latest, not
    the last, so steps each a few minutes before the one before cannot walk the case back in time."""
    return _latest(view).at - at > CLOCK_SKEW  # both UTC: an absolute difference, which cannot overflow


def _check_in_order(view: CaseView, at: dt.datetime) -> None:
    """Refuse a step dated well before the case's latest one: a wrong ``now`` would falsify the record."""
    last = _latest(view)
    if _out_of_order(view, at):
        raise InvalidInputError.at(
            "time",
            "now",
            f"is {at:%Y-%m-%d %H:%M:%S} UTC, before the case's latest step ({last.kind} at "
            f"{last.at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC); steps are recorded in the order they "
            "happen: pass the current time, with its time zone",
        )


def _incident_of(
    journal: Journal, complaint: Complaint, incident: ComplaintNumber | str | None
) -> ComplaintNumber | None:
    """The incident a follow-up names (the first case of it, if that one joined another), checked."""
    if incident is None:
        return None
    if isinstance(incident, str):
        try:
            number = ComplaintNumber.parse(incident)
        except InvalidInputError as error:  # the number's own problem, placed at the argument that held it
            raise InvalidInputError(
                "case", [Problem("incident", problem.message) for problem in error.problems]
            ) from None
    else:
        number = incident
    if not isinstance(number, ComplaintNumber):
        raise InvalidInputError.at("case", "incident", "must be the ComplaintNumber of an earlier case")
    if number.customer_id != complaint.customer.id:
        raise InvalidInputError.at("case", "incident", "must be an earlier case of the same customer")
    events = journal.events(number)
    if not events:
        raise InvalidInputError.at("case", "incident", "the journal has no case with this complaint number")
    return start(events[0]).incident or number


def _business_day(complaint: Complaint, policy: Policy) -> ComplaintNumber:
    """The first number of the customer's complaints on the business's date: received_at in the policy's zone.

    A New York hotel files a complaint received at 02:30 UTC on 23 November under 22 November, whatever
    time zone ``received_at`` was given in: the number :meth:`Policy.decide` gives its resolution.
    """
    return business_number(complaint.customer.id, complaint.received_at, ZoneInfo(policy.timezone))


def _validated(complaint: Complaint) -> Complaint:
    """``complaint`` validated again as a :class:`Complaint` (a changed copy may hold anything), or the error."""
    data = complaint.model_dump(exclude_unset=True)  # a number the complaint made itself stays unset
    if "number" not in complaint.model_fields_set:
        data.pop("number", None)
    return Complaint.model_validate(data)


def _first_event_missing(journal: Journal, number: ComplaintNumber) -> JournalIntegrityError:
    """The error of case ``number``, whose events the journal holds without its first: at the case's first bad
    event, and without its number, which holds the customer's id (personal data is never in a message)."""
    try:
        journal.events(number)  # reading the case finds the event that is not its first
    except JournalIntegrityError as error:
        return error
    return JournalIntegrityError(  # pragma: no cover - events() refuses a case without its first event
        journal.head().count, "a case of this customer has events but not its first one: it was deleted"
    )


def _first_free_number(
    journal: Journal, complaint: Complaint, first: ComplaintNumber
) -> tuple[ComplaintNumber, ComplaintNumber | None]:
    """The first number of the customer's day no case uses, and the incident of an earlier case of the same complaint.

    The customer's earlier cases of that day are read a few at a query (their first events only):
    sequences are handed out one after another, and a number chosen by hand can leave a gap, which
    the next case fills.
    """
    wanted = _identity(complaint)
    same = None
    for number, opened in journal._openings(first):
        if opened is None:
            return number, same
        if same is not None:
            continue
        try:
            view = start(opened)
        except JournalIntegrityError:  # events recorded without Case under that number: not a case of this complaint
            continue
        earlier = _identity(view.complaint)
        if _without_erased(earlier, earlier) == _without_erased(wanted, earlier):
            same = view.incident or number
    raise InvalidInputError.at("complaint", "number", "this customer has too many complaints on one day")


def _identity(complaint: Complaint) -> dict[str, Any]:
    """What identifies ``complaint`` as the same complaint opened again: its fields but its number, the instant it
    was received written in UTC (the same instant in any zone is one complaint, as it is one complaint number)."""
    data = complaint.model_dump(mode="json")
    data.pop("number")
    data["received_at"] = complaint.received_at.astimezone(dt.UTC).isoformat()
    return data


def _without_erased(complaint: dict[str, Any], earlier: dict[str, Any]) -> dict[str, Any]:
    """``complaint`` without the fields that read :data:`ERASED` in ``earlier`` (an erased customer's name and
    words, which an erased case can no longer compare); the rest still identifies it: the customer, the category,
    the remedy asked and the exact time received. Leaving out more only joins more complaints: never a new cap."""
    kept: dict[str, Any] = {}
    for name, value in complaint.items():
        was = earlier.get(name)
        if was == ERASED:
            continue
        kept[name] = _without_erased(value, was) if isinstance(value, dict) and isinstance(was, dict) else value
    return kept


show_loaded(__name__, globals())  # its exported names are recovery_rules.X from now on
