"""``Store``: the storage primitives a journal backend offers inside a transaction or a read view.

Everything a backend must do is here; everything that must behave the same on
every backend (the chain, idempotency, versions, the ledger) is built on these
in ``_base.py`` and ``_ledger.py``. Records are :meth:`Event.record`
dictionaries, possibly with ``data`` and ``ledger`` as canonical JSON text and
with index columns beside them (``customer_id``, ``ledger_at``, ``incident``),
which :meth:`Event.from_record` checks against the event.

The ledger's bookkeeping is a table of *heads*: for each guest (scope
``guest``, keyed by customer number) and each incident (scope ``incident``,
keyed by complaint number), the position and hash of its latest grant. A head
is bookkeeping, not evidence: the ledger checks the event it names and that no
later grant of the same guest or incident exists. In a journal whose ledger is
sealed (``ledger_key=``, see ``_seal.py``), a head also carries that grant's
amount and ledger entry, and an HMAC over all of it: the ledger then reads the
head instead of the event, and refuses a head whose seal does not match.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple, TypeAlias

from recovery_rules.exceptions import JournalError, JournalIntegrityError

from ._canonical import JSONValue

if TYPE_CHECKING:
    from ._ledger import GrantQuery

__all__ = ["NUMBERS_A_QUERY", "CaseEnd", "CaseHead", "LedgerHead", "Record", "Scope", "Store", "checked_version"]

NUMBERS_A_QUERY = 64
"""How many complaint numbers :meth:`Store.openings` is asked about at once."""

Record: TypeAlias = Mapping[str, object]
"""A stored event: :meth:`Event.record`, possibly with ``data`` as JSON text and index columns."""

Scope: TypeAlias = Literal["guest", "incident", "grant"]
"""Whose running total a ledger head follows: a guest's (by customer number) or an incident's (by complaint number);
or, in a sealed journal, ``grant``: the seal of one grant (by its position, ``str(seq)``), which the ledger checks
the grant before a window against (see ``_seal.py``)."""


class LedgerHead(NamedTuple):
    """A row of the heads table: the latest grant of a guest or an incident.

    ``seq`` and ``hash`` name the grant event. In a journal whose ledger is sealed, the head also holds the
    grant's amount and currency, its ledger entry's canonical text and ``seal``, the HMAC of all of these
    (:func:`~._seal.grant_seal`); elsewhere these four are ``None``.
    """

    seq: int
    hash: str
    grant_amount: str | None = None
    grant_currency: str | None = None
    ledger: str | None = None
    seal: str | None = None


@dataclass(frozen=True, slots=True)
class CaseHead:
    """Where a case stands, as the journal's table of cases says: bookkeeping the journal checks on reading.

    ``first_seq`` and ``last_seq`` are the positions of the case's first and latest events, ``last_hash`` the
    latest one's hash, ``version`` how many events it has; ``opened_at``, the time of its first event as the
    table copies it (canonical text; ``None`` from a backend that does not say).
    """

    number: str
    version: int
    first_seq: int
    last_seq: int
    last_hash: str
    opened_at: object = None


CaseEnd: TypeAlias = tuple[object, object, object]
"""Where a case ends, as stored: a version, a position and a hash.

Of its latest event (``version``, ``seq``, ``hash``), or of its entry in the journal's table of cases
(``version``, ``last_seq``, ``last_hash``); :func:`checked_version` compares the two.
"""


def checked_version(latest: CaseEnd | None, entry: CaseEnd | None) -> int:
    """The version of a case, once its latest event and its entry in the table of cases agree.

    ``latest``: the case's event of the highest version (``None``: it has none); ``entry``: its entry in the
    journal's table of cases (``None``: it has none). Every append makes its event its case's latest in both,
    in one transaction, so they name the same event (version, position and hash) unless one of them was
    changed: the case's last events cut off (and others perhaps written in their place), an event added or
    its entry deleted. Then :class:`~recovery_rules.JournalIntegrityError`, at the event that is not where
    the table says, so that a case is never read, or appended to, as if it ended earlier. (The messages name
    positions, never the case's number, which holds the customer's.)
    """
    if entry is None:
        if latest is None:
            return 0
        raise JournalIntegrityError(
            _position(latest),
            "it is the latest event of a case the journal's table of cases does not list: the case's entry was deleted",
        )
    if latest is None:
        raise JournalIntegrityError(
            _position(entry),
            "the journal's table of cases names it as a case's latest event, but the case has no events left: "
            "they were removed",
        )
    version, seq, hash_ = latest
    if type(version) is int and type(seq) is int and type(entry[1]) is int and tuple(entry) == (version, seq, hash_):
        return version
    named = entry[1]
    if type(named) is int and type(seq) is int and named > seq:
        raise JournalIntegrityError(
            named,
            f"the journal's table of cases names it as the latest event of a case whose events end at event {seq}: "
            "the case's later events were removed (and others perhaps written in their place)",
        )
    if type(named) is int and type(seq) is int and named < seq:
        raise JournalIntegrityError(
            seq,
            f"it is a later event of its case than the one the journal's table of cases names (event {named}): "
            "the table was rewound, or the event written without it",
        )
    raise JournalIntegrityError(
        _position(latest),
        "it is not the event the journal's table of cases names as its case's latest (its version or hash "
        "differs): the event was replaced, or the table edited",
    )


def _grant_owner(scope: Scope, record: Record) -> str | None:
    """Whose grant stored ``record`` is under ``scope``: its guest's customer number (read from its complaint
    number), its incident, or, for a grant's own seal, its position; ``None`` when it is no grant with a ledger
    entry."""
    incident = _incident_of(record.get("ledger"))
    if incident is None:
        return None
    if scope == "guest":
        number = str(record.get("number"))  # date-customer, and /sequence after the first complaint of a day
        return number[number.find("-") + 1 :].partition("/")[0]
    return incident if scope == "incident" else str(record.get("seq"))


def _incident_of(ledger: object) -> str | None:
    """The incident a stored ledger entry (its canonical text, or an object) counts against, if it names one."""
    if isinstance(ledger, str):
        try:
            ledger = json.loads(ledger)
        except ValueError:
            return None
    incident = ledger.get("incident") if isinstance(ledger, dict) else None
    return incident if isinstance(incident, str) else None


def _position(end: CaseEnd) -> int:
    """The position ``end`` names, or 0 when what is stored there is not a position."""
    seq = end[1]
    return seq if type(seq) is int else 0


class Store(abc.ABC):
    """The storage primitives a backend offers inside a transaction or read view."""

    @abc.abstractmethod
    def find(self, key: str) -> Record | None:
        """The record stored under idempotency key ``key``, if any."""

    @abc.abstractmethod
    def version(self, number: str) -> int:
        """The highest ``version`` of case ``number`` (0 when it has no events), checked against the table of cases.

        The case's latest event and its entry in the table of cases must name the same event
        (:func:`checked_version`): an append never extends a case whose last events were cut off. Two indexed
        look-ups, by the case's number (the events' ``(number, version)`` key, and the table's primary key).
        """

    @abc.abstractmethod
    def openings(self, numbers: Sequence[str]) -> list[Record]:
        """The first events (``version`` 1) of the cases among ``numbers`` (at most :data:`NUMBERS_A_QUERY`)."""

    @abc.abstractmethod
    def head(self) -> tuple[int, str]:
        """``seq`` and ``hash`` of the last record (``(0, GENESIS)`` when empty)."""

    @abc.abstractmethod
    def record_at(self, seq: int) -> Record | None:
        """The record stored at position ``seq``, if any."""

    @abc.abstractmethod
    def ledger_head(self, scope: Scope, key: str) -> LedgerHead | None:
        """The head of guest or incident ``key``: its latest grant, as the heads table says."""

    @abc.abstractmethod
    def later_grant(self, scope: Scope, key: str, after: int) -> int | None:
        """The position of a grant of guest or incident ``key`` stored after position ``after``, if any.

        Found through the grant columns (``grant_amount`` and ``customer_id``, or
        ``incident``), whatever the heads table says.
        """

    @abc.abstractmethod
    def grant_before(self, customer_id: str, before: str) -> Record | None:
        """The guest's latest grant of format 2 whose ``ledger_at`` is earlier than ``before`` (canonical time)."""

    @abc.abstractmethod
    def next_grant(self, customer_id: str, after: int) -> Record | None:
        """The guest's first grant of format 2 stored after position ``after``, found through the grant columns."""

    @abc.abstractmethod
    def legacy_grants(self, query: GrantQuery) -> list[Record]:
        """The grants of format 1 (written before the upgrade) that match ``query``; empty in a journal without any.

        Only rows of format 1 at or before the journal's setting ``legacy_until`` (:meth:`legacy_until`) are read
        so; every other grant row counts through the heads, and :meth:`later_grant` and :meth:`next_grant` find
        it, whatever that setting says.
        """

    def legacy_until(self) -> object:
        """The journal's setting ``legacy_until``, as stored: the last position release 0.1.0 wrote (0: none).

        :meth:`Journal.verify` checks it against the events' formats.
        """
        return 0

    @abc.abstractmethod
    def insert(self, record: dict[str, JSONValue]) -> None:
        """Store ``record``; it is durable once the write transaction commits."""

    def stored_form(self, record: Mapping[str, object]) -> Record | None:
        """``record`` (an :meth:`Event.record` just inserted) as :meth:`record_at` reads it back (``None``: unknown).

        The ledger's memo of verified grants keeps it, to recognize that very row when it reads it again.
        A wrong answer costs only a check: a row that differs from it is checked whole.
        """
        return None

    @abc.abstractmethod
    def set_ledger_head(self, scope: Scope, key: str, head: LedgerHead) -> None:
        """Record that the latest grant of guest or incident ``key`` is now the one ``head`` names."""

    # -- the ledger's seal (see ``_seal.py``): a backend that stores its heads overrides these ------------------------
    def ledger_key_check(self) -> str | None:
        """The key check of the journal's ledger key, if its ledger is sealed."""
        return None

    def set_ledger_key_check(self, check: str) -> None:
        """Mark the journal's ledger sealed with the key whose key check is ``check``."""
        raise JournalError("this journal cannot seal its ledger")

    def ledger_heads_page(
        self, after: tuple[Scope, str] | None, limit: int
    ) -> list[tuple[Scope, str, LedgerHead, str | None]]:
        """Up to ``limit`` ledger heads, in order of scope and key, from the one after ``after`` (the first if
        ``None``), each with the hash of the event stored at its position (``None``: no event there).
        :meth:`Journal.verify` reads a sealed journal's heads so, a page at a time, in flat memory."""
        raise JournalError("this journal cannot list its ledger's heads")

    def grants_page(self, after: int, limit: int) -> list[LedgerHead]:
        """Up to ``limit`` grants the ledger counts (events of format 2 or later with a grant), in order of position
        from the one after ``after``, each as a head holds it: seq, hash, amount, currency and ledger text.
        :meth:`Journal.seal_ledger` seals each so, a page at a time."""
        raise JournalError("this journal cannot seal its ledger")

    def unsealed_grant(self, after: int) -> int | None:
        """The first position after ``after`` of a grant the ledger counts that has no seal of its own (a head of
        scope ``grant`` keyed by its position); ``None`` when each has one. Asked of a sealed journal only, by
        :meth:`Journal.verify` with the key. A SQL backend answers in one statement; this default reads the grants
        a page at a time."""
        while page := self.grants_page(after, 1000):
            for head in page:
                if self.ledger_head("grant", str(head.seq)) is None:
                    return int(head.seq)
            after = int(page[-1].seq)
        return None

    def has_ledger_heads(self) -> bool:
        """Whether the journal has any ledger head (any grant counted by the ledger)."""
        return bool(self.ledger_heads_page(None, 1))

    def any_sealed_head(self) -> LedgerHead | None:
        """A ledger head that carries a seal, if any (every head does in a sealed journal; none in another).

        Looked for when the journal holds no key check: a sealed head then says the check was removed.
        """
        after: tuple[Scope, str] | None = None
        while True:
            page = self.ledger_heads_page(after, 1000)
            for _, _, head, _ in page:
                if head.seal is not None:
                    return head
            if len(page) < 1000:
                return None
            after = page[-1][:2]

    # -- many at once (for ``append_many``, see ``_batch.py``): a backend overrides these with one statement each ------
    def keys_taken(self, keys: Sequence[str]) -> set[str]:
        """The idempotency keys among ``keys`` that a stored record already has."""
        return {key for key in keys if self.find(key) is not None}

    def versions(self, numbers: Sequence[str]) -> dict[str, int]:
        """:meth:`version` of each case among ``numbers`` (each checked as it checks one)."""
        return {number: self.version(number) for number in numbers}

    def insert_many(self, records: Sequence[dict[str, JSONValue]]) -> None:
        """:meth:`insert` each of ``records``, in order."""
        for record in records:
            self.insert(record)

    def set_case_heads(self, heads: Sequence[tuple[Mapping[str, object], str | None]]) -> None:
        """:meth:`set_case_head` for each ``(record, open_callback)`` of ``heads``, in order."""
        for record, open_callback in heads:
            self.set_case_head(record, open_callback=open_callback)

    def set_ledger_heads(self, heads: Sequence[tuple[Scope, str, LedgerHead]]) -> None:
        """:meth:`set_ledger_head` for each ``(scope, key, head)`` of ``heads``, in order."""
        for scope, key, head in heads:
            self.set_ledger_head(scope, key, head)

    @abc.abstractmethod
    def case_heads(
        self, *, callback_before: str | None = None, opened_since: str | None = None, opened_until: str | None = None
    ) -> list[CaseHead]:
        """The table of cases: every case, or those whose callback is due before a time, or opened in a range.

        Times are canonical text; ``callback_before`` lists only cases not closed whose callback is due
        before it; ``opened_since`` and ``opened_until`` bound the first event's time (at or after, before).
        """

    def last_case_seq(self) -> object:
        """The highest position the table of cases names as a case's latest event (0 when it holds none).

        As stored: an edited table may hold something other than an integer, which the caller refuses.
        """
        return max((head.last_seq for head in self.case_heads()), default=0)

    def unmatched_case(self, after: int, until: int) -> tuple[object, bool | None] | None:
        """The first entry of the table of cases, by position, that names an event it does not hold.

        Only the entries naming a position after ``after`` and up to ``until`` are looked at. The event at an
        entry's ``last_seq`` must be of the entry's case, of its ``version`` and with its ``last_hash`` (and, in a
        SQL backend, whose table a tamperer can edit, of its ``state`` and ``callback_due``). Returns
        that position (as stored) and whether the event there is of the entry's case at all (``None``: no
        event is there); ``None`` when every entry looked at matches. :meth:`Journal.verify` asks once, after
        the chain is checked: a SQL backend answers in one statement (a pass over the table, each entry in
        the range looked up by position).
        """
        found: tuple[int, bool | None] | None = None
        for head in self.case_heads():
            seq = head.last_seq
            if type(seq) is not int or not after < seq <= until or (found is not None and seq >= found[0]):
                continue
            record = self.record_at(seq)
            if record is None:
                found = (seq, None)
            elif (record.get("number"), record.get("version"), record.get("hash")) != (
                head.number,
                head.version,
                head.last_hash,
            ):
                found = (seq, record.get("number") == head.number)
        return found

    def unlisted_case(self, after: int, until: int) -> tuple[int, int | None] | None:
        """The first case, by the position of its latest event, that has events but no entry in the table of cases.

        Only the cases with an event after ``after`` and up to ``until`` are looked at, and only their events up to
        ``until``. Returns the position of that case's latest event and of its first (``None``: it has no first
        event, version 1, left); ``None`` when every case looked at is listed. :meth:`Journal.verify` asks once,
        after the chain is checked (the events' numbers are then known to be as written): a SQL backend answers
        in one statement, an anti-join of the events on the table's key (a whole check reads the cases' first
        events from the events' ``(number, version)`` index; a resumed one only the events after its head).
        This default reads the events in the range one by one, and keeps the numbers the table lists.
        """
        listed = {head.number for head in self.case_heads()}
        unlisted: dict[str, int] = {}  # an unlisted case's number: its latest position in the range
        for seq in range(after + 1, until + 1):
            record = self.record_at(seq)
            number = None if record is None else record.get("number")
            if isinstance(number, str) and number not in listed:
                unlisted[number] = seq
        if not unlisted:
            return None
        number, latest = min(unlisted.items(), key=lambda found: found[1])
        opening = self.openings([number])
        first = opening[0].get("seq") if opening else None
        return latest, first if type(first) is int else None

    def misopened_case(self, after: int, until: int) -> object | None:
        """The first case, by the position of its opening event, whose entry in the table of cases does not copy it.

        Only the entries naming a latest position after ``after`` and up to ``until`` are looked at (as
        :meth:`unmatched_case`'s). An entry's ``first_seq`` must be the position of its case's first event
        (version 1, found by the case's number), and its opening time (and, in a SQL backend, its customer
        number) that event's: :meth:`Journal.cases` selects a period by the opening time. Returns the position of
        that first event (the entry's latest position when the case has none left); ``None`` when every entry
        looked at matches. A SQL backend answers in one statement (a pass over the table, each entry's opening
        looked up by position).
        """
        found: int | None = None
        for head in self.case_heads():
            seq = head.last_seq
            if type(seq) is not int or not after < seq <= until:
                continue
            opening = self.openings([head.number])
            first = opening[0] if opening else None
            position = seq if first is None else first.get("seq")
            if first is not None and position == head.first_seq and head.opened_at in (None, first.get("at")):
                continue  # (a backend that does not say the opening time: its position alone is checked)
            if type(position) is int and (found is None or position < found):
                found = position
        return found

    def unheaded_grant(self, after: int) -> object | None:
        """The first position, of the latest grants of the guests and incidents that have a grant after ``after``,
        whose ledger head does not name it (by position and hash), or the head's position when it names a later
        one (a grant cut off, or another event); ``None`` when every head names its latest grant.

        Grants written by release 0.1.0 (format 1) have no ledger entry and no head: they are not counted here.
        The ledger refuses every decision for a guest whose head is missing, rewound or names another grant:
        :meth:`Journal.verify` asks once, after the chain is checked, to say so itself. A SQL backend answers in
        one statement (the latest grants read from the ledger's indexes); this default reads the events after
        ``after`` one by one.
        """
        latest: dict[tuple[Scope, str], Record] = {}
        seq = after + 1
        while (record := self.record_at(seq)) is not None:
            guest, incident = _grant_owner("guest", record), _grant_owner("incident", record)
            if guest is not None and incident is not None:
                latest[("guest", guest)] = latest[("incident", incident)] = record
            seq += 1
        found: int | None = None
        for (scope, key), record in latest.items():
            position, head = record.get("seq"), self.ledger_head(scope, key)
            if head is not None and (head.seq, head.hash) == (position, record.get("hash")):
                continue
            if head is not None and type(head.seq) is int and type(position) is int and head.seq > position:
                position = head.seq  # the head names a later event: a grant cut off, or another event
            if type(position) is int and (found is None or position < found):
                found = position
        return found

    def stray_ledger_head(self, after: int) -> object | None:
        """The lowest position after ``after`` that a ledger head names, whose guest or incident has no grant
        after ``after``, or whose grant (a sealed grant's own seal) is not at that position with that hash
        (``None``: none). The ledger refuses every decision for that guest; :meth:`unheaded_grant`, which looks at
        the guests and incidents with a grant after ``after``, cannot see a head of a guest with no grant, nor, in
        a check resumed after the guest's latest grant, a head moved on to a later event.

        This default reads the heads a page at a time (:meth:`ledger_heads_page`); a backend that cannot list
        them answers ``None``.
        """
        stray: list[object] = []
        where: tuple[Scope, str] | None = None
        while True:
            try:
                page = self.ledger_heads_page(where, 1000)
            except JournalError:
                return None
            for scope, key, head, _ in page:
                seq = head.seq
                if type(seq) is int and seq <= after:
                    continue
                if scope != "grant" and self.later_grant(scope, key, after) is not None:
                    continue  # a grant of this guest or incident after `after`: unheaded_grant checks its head
                record = self.record_at(seq) if scope == "grant" and type(seq) is int else None
                if record is not None and record.get("hash") == head.hash and _grant_owner(scope, record) == key:
                    continue  # one grant's seal: its grant is where it says
                stray.append(seq)
            if len(page) < 1000:
                break
            where = page[-1][:2]
        positions = [seq for seq in stray if type(seq) is int]
        return min(positions) if positions else next(iter(stray), None)  # one that is not a position: after the end

    @abc.abstractmethod
    def set_case_head(self, record: Mapping[str, object], *, open_callback: str | None) -> None:
        """Record that ``record`` (an :meth:`Event.record`) is now the latest event of its case.

        ``open_callback``: the callback still owed after it (``None`` when none is, or the case is closed).
        """

    # -- personal data (see ``_privacy.py``): a backend that encrypts personal data overrides these ------------
    def data_key(self, customer_id: str, *, create: bool) -> tuple[str, bytes] | None:
        """The customer's current data key (its id and bytes); a new one stored first when ``create``."""
        raise JournalError("this journal backend cannot encrypt personal data")

    def data_keys(self, key_ids: Sequence[str]) -> dict[str, bytes]:
        """The data keys among ``key_ids`` that still exist (a destroyed one is absent)."""
        return {}

    def customer_records(self, customer_id: str) -> list[Record]:
        """Every record of the customer's cases."""
        raise JournalError("this journal backend cannot erase a customer's data")

    def destroy_keys(self, customer_id: str) -> int:
        """Delete the customer's data keys beyond recovery; how many there were."""
        raise JournalError("this journal backend cannot erase a customer's data")

    def erasure(self, customer_id: str) -> Mapping[str, object] | None:
        """The record of the customer's latest erasure (``customer_id``, ``erased_at``, ``employee``,
        ``keys_destroyed``), if any."""
        return None

    def record_erasure(self, customer_id: str, erased_at: str, employee: str | None, keys_destroyed: int) -> None:
        """Record (or replace) the record of the customer's erasure."""
        raise JournalError("this journal backend cannot erase a customer's data")
