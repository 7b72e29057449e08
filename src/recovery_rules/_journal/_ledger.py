"""The per-guest ledger: what a guest was granted within a policy's window.

The ledger is computed from the journal's grant events, never taken from the
caller, and only from events whose hash it checked:

- ``incident``: the incident's running total, read from its latest grant;
- ``day``: the guest's running total at its latest grant, less the running
  total at the guest's last grant counted before local midnight (the day runs
  from local midnight, in the policy's time zone);
- a rolling duration ``d``: the same, less the running total at the guest's last
  grant counted at ``now - d`` or earlier.

Grants counted after ``now`` (another host's clock running ahead, or a decision
dated in the past) count too: the ledger errs on the side of the limit.

Every grant event of format 2 carries the guest's and the incident's running
totals after it (:class:`~recovery_rules.LedgerEntry`), so any window's total is
two indexed look-ups, whatever the size of the journal or of the guest's
history. The latest grant is found through the journal's ledger heads and
checked three ways: its hash, that it is the event the head names, and that no
grant of that guest or incident was stored after it. So deleting, editing or
re-dating a grant, or rewinding a head, makes the next decision for that guest
raise :class:`~recovery_rules.JournalIntegrityError` rather than count less.

Grants written before the upgrade to format 2 carry no running totals: they
are found and summed as the earlier release did (see :meth:`Store.legacy_grants`).
"""

from __future__ import annotations

import abc
import datetime as dt
import os
import threading
import zoneinfo
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, NamedTuple, Protocol, TypeAlias

from pydantic import TypeAdapter, ValidationError

from recovery_rules._values._base import problems_from
from recovery_rules._values._models import ComplaintNumber
from recovery_rules._values._money import Money
from recovery_rules._values._time import AWARE, EARLIEST_INPUT_TIME, TimeZoneName, Window, is_aware
from recovery_rules.exceptions import CurrencyMismatchError, InvalidInputError, JournalIntegrityError

from ._canonical import GENESIS, canonical_time
from ._events import Draft, Event, GrantRow, LedgerEntry, RunningTotal, grant_row, ledger_entry, running_total
from ._privacy import Erasure
from ._seal import grant_of_head

if TYPE_CHECKING:
    from ._store import LedgerHead, Scope, Store

__all__ = [
    "ErasureMark",
    "GrantQuery",
    "Ledger",
    "MarksErasures",
    "StoreLedger",
    "VerifiedGrants",
    "erasure_mark",
    "grant_query",
    "total",
]

Grant: TypeAlias = Event | GrantRow
"""A grant event as the ledger reads it: the whole :class:`Event` (one the journal sealed, or a row checked
whole), or the :class:`GrantRow` its row-level check read."""

_TIME_ZONE: Final = TypeAdapter(TimeZoneName)
_REMEMBERED: Final = 4096
"""How many verified grant events a journal object keeps (a few hundred kilobytes at most)."""


@dataclass(frozen=True, slots=True)
class GrantQuery:
    """Which grants count: one customer's, of one incident, or counted from ``since`` (and before ``until``)."""

    customer_id: str
    number: ComplaintNumber | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def grant_query(
    number: ComplaintNumber,
    *,
    window: Window,
    timezone: str,
    now: dt.datetime,
    incident: ComplaintNumber | None = None,
) -> GrantQuery:
    """The grants that count for a decision on ``number`` (of ``incident``, itself by default) at ``now``."""
    if not isinstance(number, ComplaintNumber):
        raise InvalidInputError.at(
            "number", "number", "must be a ComplaintNumber, such as ComplaintNumber.parse('20261123-10442')"
        )
    if incident is not None and (
        not isinstance(incident, ComplaintNumber) or incident.customer_id != number.customer_id
    ):
        raise InvalidInputError.at(
            "incident", "incident", "must be the ComplaintNumber of an earlier case of the same customer"
        )
    if not isinstance(window, Window):
        raise InvalidInputError.at("window", "window", "must be a Window, such as the policy's window")
    try:
        _TIME_ZONE.validate_python(timezone)
    except ValidationError as error:
        raise InvalidInputError("timezone", problems_from(error, "timezone")) from None
    if not isinstance(now, dt.datetime) or not is_aware(now):
        raise InvalidInputError.at("time", "now", AWARE)
    customer = number.customer_id
    if window.kind == "incident":
        return GrantQuery(customer, number=incident or number)
    try:
        if window.kind == "day":
            zone = zoneinfo.ZoneInfo(timezone)
            day = now.astimezone(zone).date()
            start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
            if day == dt.date.max:  # the last day there is: no grant is counted after it
                return GrantQuery(customer, since=_stored_range(start))
            end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
            return GrantQuery(customer, since=_stored_range(start), until=_stored_range(end))
        if window.duration is None:  # pragma: no cover - a rolling Window always has a duration
            raise AssertionError("a rolling window without a duration")
        # "later than now - d", in absolute time: the smallest stored time step is a microsecond
        since = now.astimezone(dt.UTC) - window.duration + dt.timedelta(microseconds=1)
    except OverflowError:  # a window reaching before year 1: every grant counts
        return GrantQuery(customer)
    return GrantQuery(customer, since=_stored_range(since))


def _stored_range(moment: dt.datetime) -> dt.datetime:
    """``moment`` in UTC, moved up to :data:`EARLIEST_INPUT_TIME` if earlier: no stored time is earlier, so the
    window holds the same grants, and its bound's text (compared with the stored texts) has a four-digit year."""
    return max(moment.astimezone(dt.UTC), EARLIEST_INPUT_TIME)


def total(grants: Iterable[Money], currency: str) -> Money:
    """The sum of ``grants``, zero in ``currency`` when there are none.

    A grant in another currency raises :class:`CurrencyMismatchError`: the ledger
    never converts, so policies that share a journal must use one currency.
    """
    result = Money.zero(currency)
    for grant in grants:
        if grant.currency != currency:
            raise _currency_mismatch(currency, grant.currency)
        result = result + grant
    return result


def _currency_mismatch(expected: str, found: str) -> CurrencyMismatchError:
    return CurrencyMismatchError(
        expected,
        found,
        location="currency",
        message=f"this customer was granted amounts in {found} within the window, and the "
        f"policy deciding now counts in {expected}: policies that share a journal must use one currency",
    )


class Ledger(Protocol):
    """What the guest was already granted, read inside the journal's write transaction.

    A journal hands one to the ``build`` function of :meth:`Journal.append`, so the
    check against a limit and the append of the approval are one atomic step.
    """

    def granted(
        self,
        number: ComplaintNumber,
        *,
        window: Window,
        timezone: str,
        currency: str,
        now: dt.datetime,
        incident: ComplaintNumber | None = None,
    ) -> Money:
        """What the customer of ``number`` was granted within ``window`` as of ``now``.

        For the ``incident`` window, the grants of ``incident`` (the case's own
        number by default) count. In an append's transaction, a ``day`` or rolling
        window is taken as of the guest's latest grant when that is later than
        ``now``: a grant is never counted before an earlier one, so one appended
        by a step dated earlier (a clock behind) is counted at that grant's time,
        and is checked against the window it is counted in.
        """
        ...

    def erasure(self, customer_id: str) -> Erasure | None:
        """The customer's erasure as the journal holds it in this transaction (``None``: not erased): a step
        that read the case before an erasure committed sees it here, and reads the case again."""
        ...


class ErasureMark(NamedTuple):
    """A customer's erasure as a step read it, to compare inside the step's write transaction: the erasure's record
    and the customer's data key then (in a journal that encrypts personal data).

    The record alone cannot tell a second erasure from the first: two erasures of one customer at the same time
    (a fixed clock), by the same employee, destroying as many keys, are equal values. Every erasure that records
    itself destroys the customer's key, so the key read with it tells one from the next.
    """

    erasure: Erasure | None
    key_id: str | None  # the customer's data key: ``None`` when they have none (no readable words to guard)

    def holds(self, now: ErasureMark) -> bool:
        """Whether ``now`` (read later) shows no erasure since this mark: the same record, and the key read with it
        still the customer's. Without a key there were no readable words to erase: any key since is new."""
        return now.erasure == self.erasure and (self.key_id is None or now.key_id == self.key_id)


def erasure_mark(store: Store, customer_id: str) -> ErasureMark:
    """The :class:`ErasureMark` of ``customer_id`` as ``store`` holds it (a journal that encrypts personal data)."""
    record = store.erasure(customer_id)
    key = store.data_key(customer_id, create=False)
    return ErasureMark(None if record is None else Erasure.model_validate(record), None if key is None else key[0])


class MarksErasures(abc.ABC):
    """A :class:`Ledger` of the library's own, which reads an :class:`ErasureMark` in its transaction."""

    __slots__ = ()

    @abc.abstractmethod
    def erasure_mark(self, customer_id: str) -> ErasureMark:
        """The customer's :class:`ErasureMark` as the journal holds it in this transaction."""


class VerifiedGrants:
    """One journal object's memo of the grant events it verified: a stored row is checked once, not at every read.

    The ledger reads a guest's latest grant (and, for a day or rolling window,
    the grant before the window) inside every decision's transaction, and
    :func:`checked_grant` checks each one: at the row level (its stored columns
    hashed, every column in its one spelling, the ledger's fields read and
    checked), or whole when that finds anything to say. Here each grant so checked
    is kept with a snapshot of the stored row it came from (every column, its
    type and its value), and a grant the journal sealed itself with the row it
    stored. The ledger still reads the row in its transaction, found as before
    through the heads and the indexes; only when the row is identical, column by
    column, to the snapshot is the kept event used instead of checking it again,
    and since the check is a function of the row alone, it would have found the
    same. A row changed in any way (an edited amount, a moved index column, a
    replaced event, its hash rewritten or not) differs from the snapshot and is
    checked again, and refused as before. Nothing is taken on trust from
    the memo: a wrong or stale entry can only cost a check.

    Per journal object, guarded by a lock (safe for many threads; a forked child
    starts with an empty memo), bounded to the most recently used grants.
    """

    __slots__ = ("_entries", "_heads", "_limit", "_lock", "_pid")

    def __init__(self, limit: int = _REMEMBERED) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._entries: OrderedDict[object, tuple[_Snapshot, Grant]] = OrderedDict()
        self._heads: OrderedDict[LedgerHead, Grant] = OrderedDict()  # by value: a grant's two heads are one

    def _own(self) -> None:
        if self._pid != os.getpid():  # a forked child: the parent's lock may be held by a thread not copied
            self._lock, self._pid, self._entries, self._heads = (
                threading.Lock(),
                os.getpid(),
                OrderedDict(),
                OrderedDict(),
            )

    def head(self, head: LedgerHead) -> Grant | None:
        """The grant read from (or sealed into) sealed ``head`` before, if it was this very head, value for value.

        A head is a tuple of an ``int`` and texts, kept by its value (a grant's guest and incident heads are the
        same); only a head whose ``seq`` is an ``int`` is looked up (``True`` or ``1.0`` would compare equal).
        """
        if type(head.seq) is not int:
            return None
        self._own()
        with self._lock:
            kept = self._heads.get(head)
            if kept is not None:
                self._heads.move_to_end(head)
            return kept

    def keep_head(self, head: LedgerHead, event: Grant) -> None:
        """Keep ``event``, the grant read from (or sealed into) sealed ``head``."""
        self._own()
        with self._lock:
            kept = self._heads
            kept[head] = event
            kept.move_to_end(head)
            while len(kept) > self._limit:
                kept.popitem(last=False)

    def event(self, record: Mapping[str, object], *, position: int = 0) -> Grant:
        """The grant of stored ``record``, checked (:func:`checked_grant`) unless this very row was checked before."""
        seq = record.get("seq")
        self._own()
        with self._lock:
            kept = self._entries.get(seq)
            if kept is not None and _same(kept[0], record):
                self._entries.move_to_end(seq)
                return kept[1]
        event = checked_grant(record, position=position)  # JournalIntegrityError for a changed row
        if event.ledger is not None:
            self._keep(seq, _snapshot(record), event)
        return event

    def sealed(self, stored: Mapping[str, object] | None, event: Event) -> None:
        """Keep ``event``, a grant the journal sealed and stored as ``stored`` (the row as the store reads it back)."""
        if stored is not None and event.ledger is not None:
            self._own()
            self._keep(event.seq, _snapshot(stored), event)

    def _keep(self, seq: object, snapshot: _Snapshot, event: Grant) -> None:
        with self._lock:
            self._entries[seq] = (snapshot, event)
            self._entries.move_to_end(seq)
            while len(self._entries) > self._limit:
                self._entries.popitem(last=False)


_PLAIN: Final = frozenset({str, int, bool, float, type(None)})
"""The types of a stored column's value that are compared as they are (and that no one can change in place)."""

_PLAIN_OR_DICT: Final = _PLAIN | {dict}
_TEXTS: Final = frozenset({str, type(None)})
"""The types a value can only be equal to a value of the same type of (a text equals no number)."""


_Snapshot: TypeAlias = tuple[dict[str, object], list[type], bool]
"""A copy of a stored row, to compare it with later reads of that row: its columns (nested mappings copied too),
the type of each column's value in the row's order, and whether it is flat: every nested mapping holds only
texts and nulls (a SQL row's grant), so that equal values are of equal types at every level below."""


def _snapshot(record: Mapping[str, object]) -> _Snapshot:
    """A :class:`_Snapshot` of stored row ``record``."""
    values = dict(record)
    types = list(map(type, values.values()))
    kinds = set(types)
    if kinds <= _PLAIN:
        return values, types, True
    grant = values.get("grant")
    if kinds <= _PLAIN_OR_DICT and types.count(dict) == 1 and type(grant) is dict:  # a SQL row: its grant
        values["grant"] = copied = dict(grant)
        if set(map(type, copied.values())) <= _TEXTS:
            return values, types, True
    values = _copy(record)
    return values, list(map(type, values.values())), False


def _copy(record: Mapping[str, object]) -> dict[str, object]:
    return {
        name: _copy(value) if type(value) not in _PLAIN and isinstance(value, Mapping) else value
        for name, value in record.items()
    }


def _same(kept: _Snapshot, record: Mapping[str, object]) -> bool:
    """Whether ``record`` has exactly the columns of ``kept``, each of the same type and value.

    A flat snapshot is compared in one go: equal mappings, and the same type for each column in the same
    order (``1``, ``1.0`` and ``True`` are equal values of different types); below the columns, the snapshot
    holds only texts and nulls, which nothing of another type equals. Any other is compared column by column.
    """
    values, types, flat = kept
    if flat:
        return values == record and types == list(map(type, record.values()))
    return _same_values(values, record)


def _same_values(kept: Mapping[str, object], record: Mapping[str, object]) -> bool:
    if len(kept) != len(record):
        return False
    for name, value in kept.items():
        if name not in record:
            return False
        other = record[name]
        if type(other) is not type(value):
            return False
        if type(value) is dict:  # a nested mapping: the snapshot made it a dict
            if not _same_values(value, other):  # type: ignore[arg-type]  # of the same type: a mapping too
                return False
        elif other != value:
            return False
    return True


class StoreLedger(MarksErasures):
    """The :class:`Ledger` of one transaction, and the running totals of the next grant."""

    __slots__ = ("_latest", "_read", "_secret", "_store", "_verified", "_writing")

    def __init__(
        self,
        store: Store,
        verified: VerifiedGrants | None = None,
        secret: bytes | None = None,
        *,
        writing: bool = False,
    ) -> None:
        self._store = store
        self._verified = verified
        self._secret = secret  # the ledger key: latest grants are read from their sealed heads (see _seal.py)
        self._writing = writing  # an append's ledger: a window is the one the grant appended would be counted in
        self._latest: dict[tuple[Scope, str], Grant | None] = {}  # read once per transaction, before any insert
        self._read: dict[int, Grant] = {}  # each grant read once: a guest's latest is often its incident's too

    def erasure(self, customer_id: str) -> Erasure | None:
        """The customer's erasure as the store holds it now, in this transaction."""
        record = self._store.erasure(customer_id)
        return None if record is None else Erasure.model_validate(record)

    def erasure_mark(self, customer_id: str) -> ErasureMark:
        return erasure_mark(self._store, customer_id)

    def granted(
        self,
        number: ComplaintNumber,
        *,
        window: Window,
        timezone: str,
        currency: str,
        now: dt.datetime,
        incident: ComplaintNumber | None = None,
    ) -> Money:
        query = grant_query(number, window=window, timezone=timezone, now=now, incident=incident)
        if self._writing and query.number is None:
            # A grant appended now is counted no earlier than the guest's latest (see entry): a step dated
            # before it (a clock behind, a back-dated step) is checked against the window it is counted in.
            latest = self.latest("guest", query.customer_id)
            if latest is not None and _ledger(latest).at > now:
                now = _ledger(latest).at
                query = grant_query(number, window=window, timezone=timezone, now=now, incident=incident)
        counted = Money.zero(currency)
        if query.number is not None:
            latest = self.latest("incident", str(query.number))
            if latest is not None:
                counted = _ledger(latest).incident_total.total
        else:
            last = self.latest("guest", query.customer_id)
            if last is not None and query.until is not None and _ledger(last).at >= query.until:
                last = self._last_before(last, query.until)  # the window ends before the guest's latest grant
            if last is not None:
                counted = _ledger(last).guest.total
                if query.since is not None:
                    before = self._before(last, query.since)
                    if before is not None:
                        counted = counted - _ledger(before).guest.total
        old = [_event(record).grant for record in self._store.legacy_grants(query)]
        return total([counted, *(grant for grant in old if grant is not None)], currency)

    def latest(self, scope: Scope, key: str) -> Grant | None:
        """The latest grant of guest or incident ``key``, checked against the heads and the grant index."""
        if (scope, key) in self._latest:
            return self._latest[(scope, key)]
        event = self._latest[(scope, key)] = self._checked_latest(scope, key)
        return event

    def _checked_latest(self, scope: Scope, key: str) -> Grant | None:
        store = self._store
        head = store.ledger_head(scope, key)
        if head is None:
            later = store.later_grant(scope, key, 0)
            if later is not None:
                raise JournalIntegrityError(
                    later, f"the ledger has no record of this {scope}'s grants: its bookkeeping was changed"
                )
            return None
        seq, hash_ = head.seq, head.hash
        if self._secret is not None:
            event = self._sealed(scope, key, head, self._secret)
        else:
            event = self._read.get(seq)  # type: ignore[assignment]  # a Grant, or None
            if event is None:
                record = store.record_at(seq)
                if record is None:
                    raise JournalIntegrityError(seq, f"the {scope}'s latest grant is missing: it was deleted")
                event = self._read[seq] = self._event(record, position=seq)
        entry = event.ledger
        owner = None if entry is None else (event.customer_id if scope == "guest" else str(entry.incident))
        if event.hash != hash_ or event.seq != seq or owner != key:
            raise JournalIntegrityError(
                seq, f"it is not the {scope}'s latest grant the ledger recorded: it was replaced or edited"
            )
        later = store.later_grant(scope, key, seq)
        if later is not None:
            raise JournalIntegrityError(
                later, f"it is a grant of the same {scope} after the one the ledger names: the ledger was rewound"
            )
        return event

    def _sealed(self, scope: Scope, key: str, head: LedgerHead, secret: bytes) -> Grant:
        """The grant sealed ``head`` names, read from the head (:func:`grant_of_head`) unless this very head was."""
        verified = self._verified
        if verified is None:
            return grant_of_head(secret, scope, key, head)
        kept = verified.head(head)
        if kept is None:
            kept = grant_of_head(secret, scope, key, head)
            verified.keep_head(head, kept)
        return kept

    def _before(self, latest: Grant, since: dt.datetime) -> Grant | None:
        """The guest's last grant counted before ``since``, if it is not the latest one itself."""
        latest_entry = _ledger(latest)
        if latest_entry.at < since:
            return latest  # nothing was counted since: the window's total is zero
        record = self._store.grant_before(latest.customer_id, canonical_time(since))
        if record is None:
            return None
        event = self._with_seal(self._event(record))
        entry = event.ledger
        if (
            entry is None
            or event.customer_id != latest.customer_id
            or entry.at >= since
            or entry.guest.count >= latest_entry.guest.count
        ):
            raise JournalIntegrityError(event.seq, "its ledger index does not match the event: it was edited")
        return event

    def _last_before(self, latest: Grant, until: dt.datetime) -> Grant | None:
        """The guest's last grant counted before ``until``, when ``latest`` is counted at or after it.

        Found through the ledger time index, then proved to be the last one: the
        guest's next grant must link to it and be counted at ``until`` or later
        (a grant hidden from the index breaks that link).
        """
        store = self._store
        record = store.grant_before(latest.customer_id, canonical_time(until))
        last = None if record is None else self._with_seal(self._event(record))
        if last is not None:
            entry = last.ledger
            if entry is None or last.customer_id != latest.customer_id or entry.at >= until:
                raise JournalIntegrityError(last.seq, "its ledger index does not match the event: it was edited")
        following = store.next_grant(latest.customer_id, 0 if last is None else last.seq)
        successor = None if following is None else self._with_seal(self._event(following))
        entry = None if successor is None else successor.ledger
        if (
            successor is None
            or entry is None
            or successor.customer_id != latest.customer_id
            or entry.guest.prev_seq != (0 if last is None else last.seq)
            or entry.guest.prev_hash != (GENESIS if last is None else last.hash)
            or entry.at < until
        ):
            where = (last or latest).seq if successor is None else successor.seq
            raise JournalIntegrityError(
                where, "the guest's grants are not linked one to the next: a grant was removed or edited"
            )
        return last

    def _with_seal(self, event: Grant) -> Grant:
        """``event``, a grant read through the ledger's indexes and checked at the row level, once its own seal
        matches it, when the ledger is sealed (its ``grant`` head, written with the key beside the grant).

        The row-level check finds an edit, but not a row rewritten with its hash computed again; the seal does:
        without the key, a window's first grant cannot be rewritten to make the window count less.
        """
        secret = self._secret
        if secret is None:
            return event
        key = str(event.seq)
        head = self._store.ledger_head("grant", key)
        if head is None:
            raise JournalIntegrityError(
                event.seq,
                "the ledger holds no seal of this grant: it was removed, or the grant was written without the key",
            )
        sealed = self._sealed("grant", key, head, secret)
        if sealed.seq != event.seq or sealed.hash != event.hash:
            raise JournalIntegrityError(
                event.seq, "it is not the grant the ledger sealed: it was rewritten, its hash computed again"
            )
        return sealed

    def _event(self, record: Mapping[str, object], *, position: int = 0) -> Grant:
        """The checked grant of a stored ``record`` (through the journal's memo of verified grants)."""
        if self._verified is None:
            return checked_grant(record, position=position)
        return self._verified.event(record, position=position)

    def entry(self, draft: Draft, number: ComplaintNumber) -> LedgerEntry | None:
        """The :class:`LedgerEntry` of ``draft``'s grant, appended next for case ``number`` (``None`` if no grant)."""
        grant = draft.grant
        if grant is None:
            return None
        incident = draft.incident or number
        if incident.customer_id != number.customer_id:
            raise InvalidInputError.at("incident", "incident", "must be an incident of the same customer as the case")
        guest = self.latest("guest", number.customer_id)
        same = self.latest("incident", str(incident))
        at = draft.at.astimezone(dt.UTC)
        if guest is not None:
            at = max(at, _ledger(guest).at)
        return ledger_entry(
            at,
            incident,
            _next_total(guest, grant, lambda entry: entry.guest),
            _next_total(same, grant, lambda entry: entry.incident_total),
        )


def _next_total(previous: Grant | None, grant: Money, running: _Pick) -> RunningTotal:
    if previous is None:
        return running_total(1, grant, 0, GENESIS)
    before = running(_ledger(previous))
    if before.total.currency != grant.currency:
        raise _currency_mismatch(grant.currency, before.total.currency)
    return running_total(before.count + 1, before.total + grant, previous.seq, previous.hash)


class _Pick(Protocol):
    def __call__(self, entry: LedgerEntry, /) -> RunningTotal: ...


def _event(record: object, *, position: int = 0) -> Event:
    return Event.from_record(record, position=position)  # type: ignore[arg-type]  # a Record


def checked_grant(record: Mapping[str, object], *, position: int = 0) -> Grant:
    """The grant of stored ``record``, checked: at the row level (:func:`grant_row`: its stored columns hashed
    as :meth:`Journal.verify` hashes them, the ledger's fields read and checked), or whole when that finds
    anything to say (:meth:`Event.from_record`, which raises :class:`JournalIntegrityError` saying what)."""
    row = grant_row(record)
    return row if row is not None else Event.from_record(record, position=position)


def _ledger(event: Grant) -> LedgerEntry:
    if event.ledger is None:  # pragma: no cover - latest() and _before() only return grants of format 2
        raise JournalIntegrityError(event.seq, "it is not a grant the ledger counts")
    return event.ledger
