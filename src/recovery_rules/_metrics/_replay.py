"""Replaying a journal's cases for a report, verified as they are read.

:class:`CaseReplay` reads every event once, in journal order. As it goes it
checks what :meth:`Journal.verify` checks (each event's own hash, its place, its
link to the event before, its case's versions) and replays each case through the
case path, so the figures built on it come from an intact journal written the
way :class:`~recovery_rules.Case` writes one. Once the chain is read, what the
journal keeps beside it is checked as :meth:`Journal.verify` checks it (its table
of cases, its ledger heads: a tail cut off is found there), without reading the
chain again. The first problem stops the read:
the journal's own :meth:`~recovery_rules.Journal.verify` then names the first
bad event, and the report is refused (:class:`~recovery_rules.JournalIntegrityError`).

:class:`PeriodReplay` reads only the cases opened within a period, found through
the journal's index of opening times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from recovery_rules._case._path import CaseState, CaseView, allowed_steps
from recovery_rules._journal import ChainHead, Event, Journal, Verification
from recovery_rules._values._models import ComplaintNumber
from recovery_rules.exceptions import JournalError, JournalIntegrityError

__all__ = ["CaseReplay", "PeriodReplay", "Replayed", "is_finished", "refused"]


def refused(seq: int, problem: str, message: str) -> JournalIntegrityError:
    """A :class:`JournalIntegrityError` for event ``seq`` (``problem``), whose message is the whole ``message``."""
    error = JournalIntegrityError(seq, problem)
    error.args = (message,)
    return error


@dataclass(frozen=True, slots=True)
class Replayed:
    """One event, and its case as it stands after it."""

    event: Event
    case: CaseView


class CaseReplay:
    """Every event of a journal in order, each applied to its case, with the chain checked on the way.

    - ``name``: how messages name the journal (a file's name, an address
      without its password).
    - ``now``: events later than this are left out (counted in :attr:`later`),
      and so is everything after them in their case: the cases as they stood
      at ``now`` (all events when ``None``).
    - ``expected_head``: a chain head saved earlier; the journal must still
      hold its events unchanged (see :meth:`Journal.verify`).

    After an iteration :attr:`head` is the chain head of the events read
    and :meth:`unfinished` the cases that were not finished (iterating again
    reads the journal again). A case is finished when it is closed and no step
    may follow (:func:`finished`): a closed case whose manager's personal call
    is still owed may yet record it.
    """

    walked = True
    """Whether the whole chain was walked and checked (a period's replay reads only its cases)."""

    def __init__(
        self,
        journal: Journal,
        name: str = "",
        *,
        now: dt.datetime | None = None,
        expected_head: ChainHead | None = None,
    ) -> None:
        self.journal = journal
        self.name = name
        self._called = f"the journal {name}" if name else "the journal"  # how messages name it
        self.now = now
        self.expected_head = expected_head
        self.head = ChainHead.empty()
        self.later = 0
        self._open: dict[str, CaseView] = {}

    def __iter__(self) -> Iterator[Replayed]:
        self._open, self.later = {}, 0  # each iteration replays the journal afresh
        hash_, count, at_head = ChainHead.empty().hash, 0, None
        finished: set[str] = set()
        versions: dict[str, int] = {}
        frozen: set[str] = set()  # cases with an event later than now: left as they stood
        try:
            for event in self.journal.iter_events():
                number = str(event.number)
                if event.seq != count + 1:
                    raise JournalIntegrityError(count + 1, f"event {count + 1} is missing or out of place")
                if event.prev != hash_:
                    raise JournalIntegrityError(event.seq, "it is not linked to the event before it")
                if event.version != versions.get(number, 0) + 1:
                    raise JournalIntegrityError(event.seq, f"it is version {event.version} of its case")
                versions[number] = event.version
                hash_, count = event.hash, event.seq
                if self.expected_head is not None and count == self.expected_head.count:
                    at_head = hash_
                if number in frozen or (self.now is not None and event.at > self.now):
                    frozen.add(number)
                    self.later += 1
                    continue
                if number in finished:
                    raise JournalIntegrityError(event.seq, "its case was already closed")
                view = self._open.get(number)
                view = _after(view, event)
                if is_finished(view):
                    self._open.pop(number, None)
                    finished.add(number)
                else:
                    self._open[number] = view
                yield Replayed(event, view)
        except JournalIntegrityError as error:
            raise self._refusal(error) from None
        except JournalError as error:
            raise JournalError(f"cannot read {self._called}: {error}") from None
        self.head = ChainHead(count=count, hash=hash_)
        saved = self.expected_head
        if saved is not None and (saved.count > count or (saved.count and at_head != saved.hash)):
            raise self._refusal(JournalIntegrityError(min(saved.count, count + 1), "the saved head does not match"))
        # The chain read is whole: what the journal keeps beside it (its table of cases, its ledger's heads) must
        # agree with it, as verify() checks after its own walk. A tail cut off leaves a whole, shorter chain that
        # only the table of cases shows. A few look-ups, not a second walk.
        try:
            checked = self.journal._bookkeeping_checked(  # the check verify() ends with
                Verification(ok=True, count=count, head=self.head), after=0
            )
        except JournalError as error:
            raise JournalError(f"cannot read {self._called}: {error}") from None
        if not checked.ok:
            raise self._refused_by(checked, checked.first_bad or count + 1)

    def unfinished(self) -> list[CaseView]:
        """The cases not finished (as they stood at ``now``), once the replay is done: open ones, and closed ones
        whose manager's personal call is still owed."""
        return list(self._open.values())

    def _refusal(self, found: JournalIntegrityError) -> JournalError:
        """The error to stop with: what :meth:`Journal.verify` finds, or else what the replay found."""
        try:
            verification = self.journal.verify(expected_head=self.expected_head)
        except JournalError as error:
            return JournalError(
                f"{self._called} cannot be read past event {found.seq - 1} ({found.problem}), nor verified: {error}"
            )
        if not verification.ok:
            return self._refused_by(verification, found.seq)
        return refused(
            found.seq,
            found.problem,
            f"{self._called} holds events that do not follow the case path: event {found.seq}: "
            f"{found.problem}. Only journals written by recovery-rules' Case can be reported on",
        )

    def _refused_by(self, verification: Verification, seq: int) -> JournalIntegrityError:
        """The refusal to stop with, from a failed ``verification`` (its first bad event, else ``seq``)."""
        seq = verification.first_bad or seq
        problem = (
            f"{verification.problem}. Figures from a journal that was changed cannot be trusted, so none "
            f"are reported; the first {verification.count} events are intact (chain head {verification.head})"
        )
        return refused(seq, problem, f"{self._called} fails its integrity check: event {seq} is bad: {problem}")


class PeriodReplay(CaseReplay):
    """The cases opened within ``[since, until)`` only, each read whole, its events checked: not the whole journal.

    The cases are found through the journal's index of opening times, so the
    work is the period's, however large the journal. Each event read has its
    hash checked and each case's versions must run 1, 2, 3...; the chain as a
    whole is not walked (:attr:`walked` is ``False``), except from
    ``expected_head`` on when one is given: the journal must still hold that
    head's event, and every event after it is checked and chained
    (:meth:`Journal.verify` with ``resume_from``).
    """

    walked = False

    def __init__(
        self,
        journal: Journal,
        name: str,
        *,
        now: dt.datetime | None,
        since: dt.datetime | None,
        until: dt.datetime | None,
        expected_head: ChainHead | None = None,
    ) -> None:
        super().__init__(journal, name, now=now, expected_head=expected_head)
        self.since = since
        self.until = until

    def __iter__(self) -> Iterator[Replayed]:
        unchanged = "Figures from a journal that was changed cannot be trusted, so none are reported"
        self._open, self.later = {}, 0  # each iteration replays the period afresh
        try:
            if self.expected_head is not None:
                checked = self.journal.verify(resume_from=self.expected_head)
                if not checked.ok:
                    seq = checked.first_bad or self.expected_head.count
                    raise refused(
                        seq,
                        checked.problem or "the saved head does not match",
                        f"{self._called} fails its integrity check from the expected head on: event "
                        f"{checked.first_bad} is bad: {checked.problem}. {unchanged}",
                    )
                self.head = checked.head
            else:
                self.head = self.journal.head()
            for summary in self.journal.cases(since=self.since, until=self.until):
                yield from self._case(summary.number)
        except JournalIntegrityError as error:
            if error.args != (f"journal event {error.seq} is bad: {error.problem}",):
                raise  # already a refusal, in words
            raise refused(
                error.seq,
                error.problem,
                f"{self._called} fails its integrity check: event {error.seq} is bad: {error.problem}. {unchanged}",
            ) from None
        except JournalError as error:
            raise JournalError(f"cannot read {self._called}: {error}") from None

    def _case(self, number: ComplaintNumber) -> Iterator[Replayed]:
        view: CaseView | None = None
        later = False  # an event later than now: it and the rest of its case are left out
        for event in self.journal.events(number):
            if later or (self.now is not None and event.at > self.now):
                later = True
                self.later += 1
                continue
            try:
                if view is not None and is_finished(view):
                    raise JournalIntegrityError(event.seq, "its case was already closed")
                view = _after(view, event)
            except JournalIntegrityError as error:
                # Off the case path: a journal changed, or one written by something other than Case. Only the
                # whole chain tells them apart, as a report of the whole journal does (a refusal's cost only).
                raise self._refusal(error) from None
            yield Replayed(event, view)
        if view is not None and not is_finished(view):
            self._open[str(number)] = view


def is_finished(view: CaseView) -> bool:
    """Whether no event may follow in ``view``'s case: closed, and no personal call owed after a written report.

    A closed case may still record the manager's personal call (``manager_called``), so it is counted
    once that call is made, or as it stands when the replay ends."""
    return view.state is CaseState.CLOSED and not allowed_steps(view)


def _after(view: CaseView | None, event: Event) -> CaseView:
    """``view`` after ``event`` (a step off the case path raises :class:`JournalIntegrityError` at that event)."""
    return CaseView.replay((event,)) if view is None else view.after(event)
