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

A saved :class:`ChainHead` adds what the chain alone cannot show: that no
event was cut off the end, and that the head's event is still the same; and a
check may start from one (``start``), checking only what came after it.

The check keeps two hashes, whatever the journal's size. Each record is first
hashed the fast way: its canonical body put together from the stored columns
as they are, whose hash equals the stored one only if every stored value is
exactly what was hashed when it was written. Only a record that fails that is
read the slow way (:meth:`Event.from_record`), to say precisely what is wrong.
Case versions are not checked again: :meth:`Journal.append` gives every event
the next version of its case inside the transaction that seals it into the
chain, so an intact chain has them in order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

from recovery_rules.exceptions import JournalIntegrityError

from ._canonical import GENESIS, dumps_body
from ._columns import COLUMNS, record_of
from ._events import FORMATS, WHO_AND_WHICH, ChainHead, Event, Verification

__all__ = ["EMPTY_HEAD_PROBLEM", "ChainCheck", "fast_hash", "row_hash"]

EMPTY_HEAD_PROBLEM: Final = "the saved head is not the head of an empty journal"
"""What a saved head of no events with another hash than the genesis one is reported as (event 1 is bad)."""

_UNLINKED: Final = "it is not linked to the event before it: one of the two was changed"
_REHASHED: Final = "its hash is not the one the next event was chained to: it was edited and re-hashed"
_INSERTED: Final = "it was inserted: the event after it is the one that stood here, chained to the event before it"


class ChainCheck:
    """Feed it the stored records in order (:meth:`feed`), then read the :meth:`result`."""

    __slots__ = ("_at_head", "_before_head", "_count", "_expected_head", "_hashes", "_problem", "_unlinked")

    def __init__(self, expected_head: ChainHead | None, *, start: tuple[int, str, str] | None = None) -> None:
        """``start``: the count, the hash of the event before the last one, and the last one's, already checked."""
        self._expected_head = expected_head
        self._count = 0
        self._hashes = [GENESIS]  # the hashes of the last good events, GENESIS first
        self._unlinked: Event | None = None  # not linked to the event before it; the next record decides
        self._problem: tuple[int, str] | None = None
        self._at_head: str | None = None  # the hash of the event at the saved head's count, once checked
        self._before_head = GENESIS  # the hash of the event before that one
        if start is not None:
            self._count, before, last = start
            self._hashes = [before, last]
            if expected_head is not None and expected_head.count == self._count:
                self._at_head, self._before_head = last, before

    def feed_row(self, position: int, row: tuple[object, ...]) -> bool:
        """Check the next stored row (its columns in :data:`COLUMNS` order); as :meth:`feed`."""
        if self._unlinked is None and row[0] == self._count + 1 and row[15] == self._hashes[-1]:
            hash_ = row[16]
            if row_hash(row) == hash_:
                self._count += 1
                self._hashes = [self._hashes[-1], str(hash_)]
                if self._expected_head is not None and self._count == self._expected_head.count:
                    self._at_head, self._before_head = str(hash_), self._hashes[0]
                return True
        return self.feed(position, record_of(dict(zip(COLUMNS, row, strict=True))))

    def feed(self, position: int, record: Mapping[str, object]) -> bool:
        """Check the next record; ``False`` once a problem is found (feed no more)."""
        unlinked = self._unlinked
        expected = self._count + (1 if unlinked is None else 2)
        if unlinked is None and _intact(record, expected, self._hashes[-1]):
            self._count = expected
            hash_ = str(record["hash"])
            self._hashes = [self._hashes[-1], hash_]
            if self._expected_head is not None and expected == self._expected_head.count:
                self._at_head, self._before_head = hash_, self._hashes[0]
            return True
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
        self._count = expected
        self._hashes = [self._hashes[-1], event.hash]
        if self._expected_head is not None and expected == self._expected_head.count:
            self._at_head, self._before_head = event.hash, self._hashes[0]
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
            if self._problem is not None and self._problem[0] <= self._count:  # the saved head's event differs:
                self._count = self._problem[0] - 1  # the events before it are the ones found good
                self._hashes = [self._before_head if self._count else GENESIS]
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
            return None if saved.hash == GENESIS else (1, EMPTY_HEAD_PROBLEM)
        if self._at_head != saved.hash:
            return (saved.count, "it is not the event the saved head names: the chain was rewritten")
        return None


def fast_hash(record: Mapping[str, object]) -> str | None:
    """The hash of ``record``'s canonical body, put together from its stored values as they are.

    It equals the stored hash only if every stored value is in the spelling that
    was hashed when the event was written. ``None`` when the record cannot be
    put together this way (the slow way then says why).
    """
    try:
        return hashlib.sha256(dumps_body(record)).hexdigest()
    except (KeyError, TypeError, ValueError):
        return None


def row_hash(row: tuple[object, ...]) -> str | None:
    """:func:`fast_hash` of a stored row, its columns in :data:`COLUMNS` order, checking its index columns too.

    ``None`` when the row is not simply an intact event (the slow way then says what it is).
    """
    (_, format_, number, customer_id, version, kind, state, actor, at, key, request, data) = row[:12]
    (amount, currency, callback, prev, _, ledger, ledger_at, incident, employee, revision) = row[12:]
    if type(format_) is not int or type(version) is not int or type(data) is not str:
        return None
    if not (data.startswith("{") and data.endswith("}")):
        return None
    if callback is not None and type(callback) is not str:
        return None
    if (amount is None) != (currency is None) or (amount is not None and (type(amount), type(currency)) != (str, str)):
        return None
    if format_ != WHO_AND_WHICH and (employee is not None or revision is not None):
        return None
    who = "" if employee is None else employee
    which = "" if revision is None else revision
    texts = (
        *(actor, at, key, kind, number, prev, request, state),
        *(callback or "", amount or "", currency or "", who, which),
    )
    for text in texts:
        if type(text) is not str:
            return None
    plain = "".join(texts)  # type: ignore[arg-type]  # every one a str, checked just above
    if not (plain.isascii() and plain.isprintable()) or '"' in plain or "\\" in plain:
        return None  # a text that JSON escapes: the general way
    assert isinstance(number, str)  # noqa: S101 - checked above; for the type checker
    if number[number.find("-") + 1 :].partition("/")[0] != customer_id:
        return None
    callback_text = "null" if callback is None else f'"{callback}"'
    grant_text = "null" if amount is None else f'{{"amount":"{amount}","currency":"{currency}"}}'
    if format_ == WHO_AND_WHICH:
        who = ',"employee":' + ("null" if employee is None else f'"{employee}"')
        which = ',"policy_revision":' + ("null" if revision is None else f'"{revision}"')
    head = (
        f'{{"actor":"{actor}","at":"{at}","callback_due":{callback_text},"data":{data}{who},"format":{format_},'
        f'"grant":{grant_text},"key":"{key}","kind":"{kind}"'
    )
    tail = (
        f',"number":"{number}"{which},"prev":"{prev}","request":"{request}","seq":{row[0]},'
        f'"state":"{state}","version":{version}}}'
    )
    if format_ == 1:
        if ledger is not None or ledger_at is not None or incident is not None:
            return None
        return hashlib.sha256((head + tail).encode("utf-8")).hexdigest()
    if format_ not in FORMATS:
        return None
    if ledger is None:
        if ledger_at is not None or incident is not None:
            return None
        ledger_text = "null"
    else:
        if type(ledger) is not str or not (ledger.startswith('{"at":"') and ledger.endswith("}")):
            return None
        start = ledger.find('"incident":"') + 12
        if ledger[7:34] != ledger_at or start < 12 or ledger[start : ledger.find('"', start)] != incident:
            return None
        ledger_text = ledger
    return hashlib.sha256(f'{head},"ledger":{ledger_text}{tail}'.encode()).hexdigest()


def _intact(record: Mapping[str, object], seq: int, prev: str) -> bool:
    """Whether ``record`` is, the fast way, the intact event ``seq`` chained to ``prev``, its index columns too."""
    if record.get("seq") != seq or record.get("prev") != prev or fast_hash(record) != record.get("hash"):
        return False
    customer_id = record.get("customer_id")
    if customer_id is not None:
        number = str(record["number"])
        if number[number.find("-") + 1 :].partition("/")[0] != customer_id:
            return False
    ledger = record.get("ledger")
    if "ledger_at" in record or "incident" in record:
        if ledger is None:
            return record.get("ledger_at") is None and record.get("incident") is None
        try:
            entry: Any = json.loads(ledger) if isinstance(ledger, str) else ledger
            return bool(entry["at"] == record.get("ledger_at") and entry["incident"] == record.get("incident"))
        except (ValueError, TypeError, KeyError):
            return False
    return True
