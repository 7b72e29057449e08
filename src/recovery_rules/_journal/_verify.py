"""Checking a journal's hash chain, one stored record at a time.

The check walks the records in journal order and stops at the first bad one:

- a record that cannot be read, or whose content does not match its own hash,
  was edited (it is the bad one);
- a record whose ``seq`` is not the next position: the event that belongs there
  is missing, or the records were reordered (the position is the bad one);
- a record that is the authentic event of the position before it, chained to
  the event before that one: an event was inserted in front of it (the inserted
  one is the bad one, however well it was forged);
- a record not linked to the one before (its ``prev`` is not that one's hash):
  one of the two was edited and re-hashed. The record after settles which: if it
  is chained to the unlinked record, that record is authentic and the one before
  it was re-hashed; otherwise the unlinked record itself was changed. For the
  last record, a saved head naming it settles it the same way;
- a case whose versions do not run 1, 2, 3...

A saved :class:`ChainHead` adds what the chain alone cannot show: that no
event was cut off the end, and that the head's event is still the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from recovery_rules.exceptions import JournalIntegrityError

from ._canonical import GENESIS
from ._events import ChainHead, Event, Verification

__all__ = ["ChainCheck"]

_UNLINKED: Final = "it is not linked to the event before it: one of the two was changed"
_REHASHED: Final = "its hash is not the one the next event was chained to: it was edited and re-hashed"
_INSERTED: Final = "it was inserted: the event after it is the one that stood here, chained to the event before it"


class ChainCheck:
    """Feed it the stored records in order (:meth:`feed`), then read the :meth:`result`."""

    __slots__ = ("_at_head", "_count", "_expected_head", "_hashes", "_problem", "_unlinked", "_versions")

    def __init__(self, expected_head: ChainHead | None) -> None:
        self._expected_head = expected_head
        self._count = 0
        self._hashes = [GENESIS]  # the hashes of the last good events, GENESIS first
        self._versions: dict[str, int] = {}
        self._unlinked: Event | None = None  # not linked to the event before it; the next record decides
        self._problem: tuple[int, str] | None = None
        self._at_head: str | None = None

    def feed(self, position: int, record: Mapping[str, object]) -> bool:
        """Check the next record; ``False`` once a problem is found (feed no more)."""
        unlinked = self._unlinked
        expected = self._count + (1 if unlinked is None else 2)
        try:
            event = Event.from_record(record, position=position)
        except JournalIntegrityError as error:
            if unlinked is not None:
                return self._fail(unlinked.seq, _UNLINKED)
            if self._displaced(record, expected):  # stored one place further on, its seq rewritten to fit
                return self._fail(expected - 1, _INSERTED)
            return self._fail(expected, error.problem)
        if event.seq != expected:
            if unlinked is not None:
                return self._fail(unlinked.seq, _UNLINKED)
            if event.seq == expected - 1 and self._count and event.prev == self._hashes[-2]:
                return self._fail(expected - 1, _INSERTED)
            return self._fail(expected, f"event {expected} is missing or out of place: event {event.seq} stands there")
        if unlinked is not None:
            if event.prev == unlinked.hash:  # the unlinked event is confirmed: the one before it was re-hashed
                return self._fail(unlinked.seq - 1, _REHASHED)
            return self._fail(unlinked.seq, _UNLINKED)
        if event.prev != self._hashes[-1]:
            if self._count == 0:
                return self._fail(1, "it is not chained to the start of the journal")
            self._unlinked = event
            return True
        case = str(event.number)
        version = self._versions.get(case, 0) + 1
        if event.version != version:
            return self._fail(expected, f"it is version {event.version} of its case, not {version}")
        self._versions[case] = version
        self._count = expected
        self._hashes = [self._hashes[-1], event.hash]
        if self._expected_head is not None and expected == self._expected_head.count:
            self._at_head = event.hash
        return True

    def _displaced(self, record: Mapping[str, object], position: int) -> bool:
        """Whether ``record`` is the authentic event of ``position - 1``, chained to the event before that one."""
        if not self._count:
            return False
        try:
            event = Event.from_record({**record, "seq": position - 1}, position=position)
        except JournalIntegrityError:
            return False
        return event.prev == self._hashes[-2]

    def _fail(self, seq: int, problem: str) -> bool:
        self._problem = (seq, problem)
        if seq <= self._count:  # the last event counted good was the re-hashed one
            self._count = seq - 1
            self._hashes = self._hashes[:-1]
        return False

    def result(self) -> Verification:
        """What the check found, once every record was fed (or :meth:`feed` said to stop)."""
        unlinked, saved = self._unlinked, self._expected_head
        if self._problem is None and unlinked is not None:
            if saved is not None and (saved.count, saved.hash) == (unlinked.seq, unlinked.hash):
                self._fail(unlinked.seq - 1, _REHASHED)  # the saved head vouches for the last event: the one before
            else:
                self._fail(unlinked.seq, _UNLINKED)
        if self._problem is None:
            self._problem = self._head_problem()
        head = ChainHead(count=self._count, hash=self._hashes[-1])
        if self._problem is None:
            return Verification(ok=True, count=self._count, head=head)
        first_bad, problem = self._problem
        return Verification(ok=False, count=self._count, head=head, first_bad=first_bad, problem=problem)

    def _head_problem(self) -> tuple[int, str] | None:
        saved, count = self._expected_head, self._count
        if saved is None:
            return None
        if saved.count > count:
            return (
                count + 1,
                f"the journal ends after {count} events but the saved head says {saved.count}: its tail was cut off",
            )
        if saved.count == 0:
            return None if saved.hash == GENESIS else (1, "the saved head is not the head of an empty journal")
        if self._at_head != saved.hash:
            return (saved.count, "it is not the event the saved head names: the chain was rewritten")
        return None
