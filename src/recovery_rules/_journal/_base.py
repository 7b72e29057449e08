"""``Journal``: the interface every journal backend has, and the logic they share.

A backend (memory, SQLite, and later PostgreSQL) implements a handful of storage
primitives: an exclusive write transaction and a read view (both a
:class:`Store`), a scan of every record in journal order, the records of one case
and the latest record of each case. Everything else, the hash chain, idempotency,
the optimistic check of the case's version, the ledger and ``verify``, is here,
once, so every backend behaves the same and passes the same tests.

Stored records are :meth:`Event.record` dictionaries; ``data`` may be kept as
its canonical JSON text. Backends may add index columns (``customer_id``),
which :meth:`Event.from_record` checks against the event itself.
"""

from __future__ import annotations

import abc
import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Final, Self, TypeAlias

from pydantic import TypeAdapter, ValidationError

from recovery_rules._values._base import Identifier, check_employee, problems_from
from recovery_rules._values._models import MAX_SEQUENCE, ComplaintNumber, canonical_number
from recovery_rules._values._money import Money, checked_money, valid_money
from recovery_rules._values._time import (
    AWARE,
    EARLIEST_INPUT_TIME,
    LATEST_INPUT_TIME,
    OUT_OF_INPUT_RANGE,
    Window,
    exact_datetime,
    is_aware,
    recorded_instant,
)
from recovery_rules.exceptions import (
    IdempotencyConflictError,
    InvalidInputError,
    JournalError,
    JournalIntegrityError,
    StaleCaseError,
)

from ._batch import BatchStore
from ._canonical import GENESIS, JSONValue, canonical_time, check_json, digest
from ._columns import LEGACY_UNTIL
from ._events import (
    LAST_POSITION,
    POSITIONS,
    BulkEntry,
    CaseSummary,
    ChainHead,
    Draft,
    Event,
    IdempotencyKey,
    Verification,
    _is_text_id,
    is_hash,
    ledger_text,
    well_formed_head,
)
from ._ledger import ErasureMark, Ledger, MarksErasures, StoreLedger, VerifiedGrants, erasure_mark
from ._privacy import ALGORITHM, ERASED, Erasure, KeyRing, key_ids, keyed_digest, open_data, personal_texts, seal_data
from ._seal import check_key, checked_ledger_key, grant_seal, key_check, same_seal, sealed_head
from ._store import NUMBERS_A_QUERY, CaseEnd, CaseHead, LedgerHead, Record, Scope, Store, checked_version
from ._verify import EMPTY_HEAD_PROBLEM, ChainCheck

__all__ = [
    "CLOSED",
    "CLOSED_REFUSAL",
    "ERASED",
    "MAX_AHEAD",
    "MEMORY_CLOSED_REFUSAL",
    "POSTGRES_CLOSED_REFUSAL",
    "READ_ONLY_REFUSAL",
    "Clock",
    "Journal",
    "Record",
    "Store",
]

Clock: TypeAlias = Callable[[], dt.datetime]
"""A function giving the time now, timezone-aware."""


def _checked_position(value: object, what: str, location: str, meaning: str) -> int:
    """``value``, an ``int`` (not a ``bool``) from 0 to :data:`LAST_POSITION`; else the
    :class:`InvalidInputError` of ``what`` at ``location``, saying the range and ``meaning`` (what the number is).

    A number past any position no journal can reach is the caller's mistake: refused, never read as "none"."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= LAST_POSITION:
        raise InvalidInputError.at(what, location, f"must be an integer {POSITIONS}: {meaning}")
    return value


MAX_AHEAD: Final = dt.timedelta(minutes=5)
"""How far ahead of the journal's clock a step may be dated by default (clocks of servers differ a little)."""

_LONGEST_AHEAD: Final = dt.timedelta(days=1)

CLOSED: Final = "closed"
"""The state of a closed case: a case is open until an event leaves it in this state."""

_KEY: Final = TypeAdapter(IdempotencyKey)
_CUSTOMER: Final = TypeAdapter(Identifier)


_PROGRESS_STEP: Final = 10_000
"""How many events :meth:`Journal.verify` reads between two calls of its ``progress``."""


class Journal(abc.ABC):
    """An append-only record of every event of every case, each event chained to the one before.

    Use :class:`MemoryJournal` (tests, one process), :class:`SQLiteJournal` (one
    file, many threads and processes) or :class:`PostgresJournal` (a database
    server, many hosts). Every method is safe to call from many
    threads at once. A journal is a context manager that closes itself.

    Writing: :meth:`append` (what :class:`~recovery_rules.Case` uses). Reading:
    :meth:`events`, :meth:`iter_events`, :meth:`find`, :meth:`version`,
    :meth:`head`, :meth:`granted`, :meth:`cases`, :meth:`overdue_callbacks`.
    Proving: :meth:`verify`. Sealing the ledger with a key: :meth:`seal_ledger`,
    :meth:`rotate_ledger_key`, :attr:`ledger_sealed` (and each backend's ``ledger_key=``).

    Every backend takes ``clock`` (a function giving the time now; the system
    clock by default) and ``max_ahead``: a step dated more than that ahead of
    the clock is refused with :class:`~recovery_rules.InvalidInputError`, so a
    host whose clock runs far ahead cannot lock a case or skew a guest's window
    (5 minutes by default, at most a day).
    """

    _clock: Clock | None = None  # the system clock
    _max_ahead: dt.timedelta = MAX_AHEAD
    _encrypts: bool = False  # whether new events' personal fields are sealed (see _privacy.py)
    _batches_writes: bool = False  # whether append_many sends a batch's writes together (see _batch.py)
    _ledger_secret: bytes | None = None  # the ledger key this object seals heads with (see _seal.py)
    _ledger_sealed: bool = False  # whether the journal's ledger is sealed (with or without the key at hand)
    _read_only: bool = False  # opened to read only (SQLiteJournal(read_only=True)): every write refused
    _key_check_gone: bool = False  # its heads are sealed but it holds no key check: the check was removed
    _known_key_check: tuple[bytes, str] | None = None  # the ledger key's key check, worked out once (_key_check_of)

    @property
    def ledger_sealed(self) -> bool:
        """Whether this journal's ledger is sealed with a ledger key (``ledger_key=``, or :meth:`seal_ledger`).

        A journal opened with its key counts every guest's grants from heads the key seals; a sealed journal
        opened without it reads (events, :meth:`verify`, :meth:`granted`) but refuses to record a grant.
        As this object last saw it: one opened before another sealed the ledger says ``False`` until it records
        a grant (which it then refuses without the key) or is opened again.
        """
        return self._ledger_sealed

    def _take_ledger_key(self, ledger_key: object) -> None:
        """Check ``ledger_key`` against the journal (a stored backend's), sealing a journal with no heads yet.

        A journal without a key check whose first ledger head is sealed had its key check removed: opened
        without a key, it counts as sealed (it records no grant); with one, it is refused as tampered.
        """
        secret = checked_ledger_key(ledger_key)
        with self._read() as store:
            stored = store.ledger_key_check()
            first = store.ledger_heads_page(None, 1) if stored is None else []
        if first and first[0][2].seal is not None:
            if secret is not None:
                raise JournalIntegrityError(first[0][2].seq, _KEY_CHECK_GONE)
            self._ledger_sealed = self._key_check_gone = True  # fail closed: no grant from heads nobody can check
            return
        if secret is None or stored is not None:  # nothing to write: a reader may open it
            self._open_ledger_seal(ledger_key, stored, has_heads=False)
            return
        if self._read_only:
            raise JournalError(
                "the journal's ledger is not sealed, and a journal opened read-only cannot be sealed: open it "
                "without ledger_key to read it"
            )
        with self._write() as store:  # sealed from now on, if it has no heads yet: decided under the write lock
            stored = store.ledger_key_check()
            has_heads = stored is None and store.has_ledger_heads()
            orphan = store.any_sealed_head() if has_heads else None
            if orphan is not None:
                raise JournalIntegrityError(orphan.seq, _KEY_CHECK_GONE)
            check = self._open_ledger_seal(ledger_key, stored, has_heads=has_heads)
            if check is not None:
                store.set_ledger_key_check(check)

    def _open_ledger_seal(self, ledger_key: object, stored_check: str | None, has_heads: bool) -> str | None:
        """Take ``ledger_key`` for a journal whose stored key check is ``stored_check``.

        Returns the key check to store now, for a journal sealed from this moment (it has no ledger heads yet);
        raises :class:`~recovery_rules.JournalError` for another key than the journal's, or for a journal with
        heads not sealed yet (:meth:`seal_ledger` seals them, after checking them).
        """
        secret = checked_ledger_key(ledger_key)
        check_key(secret, stored_check)
        store_check = None
        if secret is not None and stored_check is None:
            if has_heads:
                raise JournalError(
                    "the journal already records grants, and its ledger is not sealed yet: open it without "
                    "ledger_key and call journal.seal_ledger(ledger_key) once (it checks the journal first; from "
                    "the shell: recovery-rules seal JOURNAL --ledger-key-file FILE)"
                )
            store_check = key_check(secret)
        self._ledger_secret = secret
        self._ledger_sealed = secret is not None or stored_check is not None
        return store_check

    @property
    def encrypts_personal_data(self) -> bool:
        """Whether this journal stores the personal fields of new events encrypted, erasable by
        :meth:`erase_customer` (``encrypt_personal_data=True``, or a journal made so before)."""
        return self._encrypts

    def _set_clock(self, clock: Clock | None, max_ahead: dt.timedelta) -> None:
        """Check and keep the backend's ``clock`` and ``max_ahead`` arguments."""
        if clock is not None and not callable(clock):
            raise InvalidInputError.at("journal", "clock", "must be a function returning the time now")
        if isinstance(max_ahead, bool) or not isinstance(max_ahead, dt.timedelta):
            raise InvalidInputError.at("journal", "max_ahead", "must be a timedelta, such as timedelta(minutes=5)")
        if not dt.timedelta(0) <= max_ahead <= _LONGEST_AHEAD:
            raise InvalidInputError.at("journal", "max_ahead", "must be between 0 and one day")
        self._clock = clock
        self._max_ahead = max_ahead

    def _check_not_ahead(self, at: dt.datetime) -> None:
        """Refuse a step dated more than ``max_ahead`` after the journal's clock."""
        try:
            now = (self._clock or _system_clock)()
            if not isinstance(now, dt.datetime) or not is_aware(now):
                raise InvalidInputError.at("journal", "clock", "must return a timezone-aware datetime")
            latest = now.astimezone(dt.UTC) + self._max_ahead
        except OverflowError:  # a clock at the end of time: nothing is ahead of it
            return
        if at.astimezone(dt.UTC) > latest:
            raise InvalidInputError.at(
                "time",
                "at",  # the draft's; a case's step says its own "now" (Case re-locates it)
                f"is {at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC, more than "
                f"{_minutes(self._max_ahead)} ahead of the journal's clock "
                f"({now.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC): a step is recorded when it happens; "
                "check the clock of the machine that gave the time",
            )

    @property
    def _verified_grants(self) -> VerifiedGrants:
        """This journal object's memo of the grant events it checked (:class:`VerifiedGrants`), made on first use."""
        memo = self.__dict__.get("_verified")
        if memo is None:
            memo = self.__dict__.setdefault("_verified", VerifiedGrants())  # one memo, however many threads ask
        return memo  # type: ignore[no-any-return]  # only a VerifiedGrants is ever stored under that name

    # -- what a backend implements ---------------------------------------------
    @abc.abstractmethod
    def _write(self) -> AbstractContextManager[Store]:
        """An exclusive write transaction: commits (durably) on normal exit, rolls back on an exception."""

    @abc.abstractmethod
    def _read(self) -> AbstractContextManager[Store]:
        """A consistent view for reading."""

    @abc.abstractmethod
    def _scan(self, start: int) -> Iterator[tuple[int, Record]]:
        """Every stored record from position ``start`` on, in journal order, with its position."""

    def _scan_rows(self, start: int) -> Iterator[tuple[object, ...]] | None:
        """Every stored row from position ``start`` on, its columns in ``COLUMNS`` order; ``None`` if not kept so.

        A backend that stores rows offers this for :meth:`verify`'s fast path.
        """
        return None

    @abc.abstractmethod
    def _case_records(self, number: str) -> tuple[list[Record], CaseEnd | None]:
        """The records of case ``number``, by ``version``, and its entry in the table of cases (its version,
        ``last_seq`` and ``last_hash``; ``None`` when it has none), read as of one moment."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the journal's resources; it cannot be used afterwards (every method that reads or writes
        raises :class:`~recovery_rules.JournalError`)."""

    # -- writing ----------------------------------------------------------------
    def append(
        self,
        number: ComplaintNumber,
        build: Draft | Callable[[Ledger], Draft],
        *,
        expected_version: int,
        key: str,
        request: Mapping[str, JSONValue],
    ) -> Event:
        """Record the next event of case ``number``, atomically, and return it.

        In one exclusive transaction:

        1. if an event was already recorded under idempotency ``key``: return it
           when ``request`` is the same as then (nothing is written), else raise
           :class:`~recovery_rules.IdempotencyConflictError`;
        2. if the case does not have exactly ``expected_version`` events, raise
           :class:`~recovery_rules.StaleCaseError` (another writer was first);
           if its latest event is not the one its entry in the table of cases
           names (its last events cut off, the entry edited), raise
           :class:`~recovery_rules.JournalIntegrityError`;
        3. ``build`` (a :class:`Draft`, or a function of the :class:`Ledger`
           returning one) makes the event: a function reads the ledger inside the
           transaction, so what it decides from it cannot be overtaken. If it
           raises, nothing is written and the exception propagates;
        4. the event is sealed into the chain after the last event and stored.

        ``request`` is what identifies the request for idempotency: a mapping of
        the step and its arguments (not the time) to JSON values; only its SHA-256
        is stored. An argument of the wrong type (``number``, ``expected_version``,
        ``key``, ``request``, ``build``) raises :class:`~recovery_rules.InvalidInputError`
        naming it, before anything is read; the draft's own fields are checked
        inside the transaction, and refused the same way, nothing written.

        :class:`~recovery_rules.Case` appends through this method. The journal
        records any event, but events that do not follow the case path make
        :meth:`Case.load <recovery_rules.Case.load>` refuse that case and
        ``recovery-rules report`` the whole journal: record a case's steps
        through ``Case``.
        """
        _checked_number(number, "append")
        _checked_position(expected_version, "append", "expected_version", "the case's version (its events)")
        checked_key = _checked_key(key)
        request_hash = _request_digest(request, "append")
        _checked_build(build, "append")
        with self._write() as store:
            return self._append_in(store, number, build, expected_version, key=checked_key, request_hash=request_hash)

    def append_many(self, entries: Iterable[BulkEntry], *, per_transaction: int = 1000) -> ChainHead:
        """Record many events fast: one transaction for every ``per_transaction`` of them, not one each.

        For importing and for building large journals (benchmarks, migrations
        from another system). Each entry is checked, sealed and chained exactly
        as :meth:`append` does it (idempotency key, the case's version, the
        ledger's running totals, the clock); an entry whose ``expected_version``
        is ``None`` becomes the next event of its case, whatever that is. Each
        transaction is all or nothing: when an entry fails, the error is raised,
        the entries of its transaction are not recorded, and those of the
        transactions before it are. Returns the chain head once the last
        transaction is committed (a later head than its last entry's when
        another writer appended in between).

        On SQLite and PostgreSQL a transaction reads its entries' idempotency
        keys and case versions in one query each and sends its writes together;
        a read that must see them (the ledger's, for a grant) sends them first.
        """
        if isinstance(per_transaction, bool) or not isinstance(per_transaction, int) or per_transaction < 1:
            raise InvalidInputError.at("append_many", "per_transaction", "must be an integer of 1 or more")
        if not isinstance(entries, Iterable):
            raise InvalidInputError.at(
                "append_many", "entries", "must be an iterable of BulkEntry items, such as a list"
            )
        pending: list[tuple[ComplaintNumber, Draft | Callable[[Ledger], Draft], int | None, str, str]] = []
        for entry in entries:
            if not isinstance(entry, BulkEntry):
                raise InvalidInputError.at("append_many", "entries", "must be BulkEntry items")
            _checked_number(entry.number, "append_many")
            expected = entry.expected_version
            if expected is not None:
                _checked_position(
                    expected, "append_many", "expected_version", "the case's version (its events), or None"
                )
            request_hash = _request_digest(entry.request, "append_many")
            _checked_build(entry.build, "append_many")
            pending.append((entry.number, entry.build, expected, _checked_key(entry.key), request_hash))
            if len(pending) == per_transaction:
                self._append_batch(pending)
                pending = []
        if pending:
            self._append_batch(pending)
        return self.head()

    def _append_batch(
        self, pending: list[tuple[ComplaintNumber, Draft | Callable[[Ledger], Draft], int | None, str, str]]
    ) -> None:
        with self._write() as opened:
            store = opened
            if self._batches_writes:
                numbers = list(dict.fromkeys(str(entry[0]) for entry in pending))
                store = BatchStore(opened, keys=[entry[3] for entry in pending], numbers=numbers)
            for number, build, expected, key, request_hash in pending:
                self._append_in(store, number, build, expected, key=key, request_hash=request_hash)
            if isinstance(store, BatchStore):
                store.flush()  # inside the transaction: its commit holds every event of the batch

    def _append_in(
        self,
        store: Store,
        number: ComplaintNumber,
        build: Draft | Callable[[Ledger], Draft],
        expected_version: int | None,
        *,
        key: str,
        request_hash: str,
    ) -> Event:
        """:meth:`append`'s steps 1 to 4, inside the write transaction of ``store``."""
        plain_hash = request_hash
        data_key = None
        if self._encrypts:  # the request's digest is keyed too: it holds the customer's words
            data_key = store.data_key(number.customer_id, create=True)
            request_hash = keyed_digest(data_key[1], plain_hash) if data_key is not None else plain_hash
        existing = store.find(key)
        if existing is not None:
            event = Event.from_record(existing, position=0)
            if event.request not in (request_hash, plain_hash) or event.number != number:
                erased = (  # readable words: sealed under the live key, so told apart from another request
                    event.number == number
                    and self._encrypts
                    and store.erasure(event.customer_id) is not None
                    and not personal_texts(_revealed([event], store, {})[0].data)
                )
                raise IdempotencyConflictError(seq=event.seq, recorded=event.kind, erased=erased)
            return _revealed([event], store, {})[0] if self._encrypts else event
        found = store.version(str(number))
        if expected_version is not None and found != expected_version:
            raise StaleCaseError(expected=expected_version, found=found)
        verified = self._verified_grants
        ledger = StoreLedger(store, verified, self._ledger_secret, writing=True)
        draft = self._built(build, ledger, store)
        if not isinstance(draft, Draft):
            raise InvalidInputError.at("append", "build", "must be a Draft or return one")
        _check_draft_times(draft)
        data = _check_draft_parts(draft)
        grant = draft.grant
        if grant is not None and not valid_money(grant, non_negative=True):  # exactly a valid Money: no more to do
            draft = _with_checked_grant(draft, grant)
        self._check_not_ahead(draft.at)
        if draft.grant is not None:
            self._check_may_grant(store)
        entry = ledger.entry(draft, number)
        stored_data = None
        if data_key is not None:
            stored_data = seal_data(draft.data, *data_key, event=(str(number), found + 1))
        seq, prev = _chain_end(store)
        event, record = Event.sealed(
            draft,
            seq=seq + 1,
            number=number,
            version=found + 1,
            key=key,
            request=request_hash,
            prev=prev,
            ledger=entry,
            stored_data=stored_data,
            checked_data=data,
        )
        store.insert(record)
        secret = self._ledger_secret
        if entry is not None and secret is None:  # a sealed ledger reads the latest grant from its heads instead
            verified.sealed(store.stored_form(record), event)
        # The callback the case owes is its latest event's, closed or not: a manager's personal call promised
        # by a report stays owed when the case is closed (the guest may leave), until the call is recorded.
        open_callback = None if event.callback_due is None else record["callback_due"]
        store.set_case_head(record, open_callback=open_callback)  # type: ignore[arg-type]  # a str, when set
        if entry is not None:
            owners: tuple[tuple[Scope, str], ...] = (("guest", number.customer_id), ("incident", str(entry.incident)))
            if secret is not None:  # sealed: the grant's own seal too, which the ledger checks it against later
                owners = (*owners, ("grant", str(event.seq)))
            head = LedgerHead(event.seq, event.hash) if secret is None else _sealed_head(secret, record, event)
            heads = [(scope, key, head) for scope, key in owners]
            store.set_ledger_heads(heads)
            if secret is not None:
                verified.keep_head(head, event)
        return event

    def _check_may_grant(self, store: Store) -> None:
        """Refuse a grant without the key of a sealed ledger, sealed since this object opened too (by another), or
        with a key the ledger was sealed again without since (:meth:`rotate_ledger_key` by another object): its
        seal would make that guest's ledger read as edited from then on."""
        stored = store.ledger_key_check()
        if not self._ledger_sealed and stored is not None:
            self._ledger_sealed = True  # sealed since this object was opened (seal_ledger, by another one)
        secret = self._ledger_secret
        if self._ledger_sealed and secret is None:
            raise JournalError(
                "this journal's ledger is sealed: open it with its ledger_key to record a grant (without the key "
                "it can be read, not granted from)"
            )
        if secret is not None and stored is not None:
            self._check_key_not_changed(secret, stored)

    def _built(self, build: Draft | Callable[[Ledger], Draft], ledger: StoreLedger, store: Store) -> object:
        """``build`` called with the append's ``ledger`` (or the draft given)."""
        try:
            return build(ledger) if callable(build) else build
        except JournalIntegrityError:
            # a guest's head sealed with another key reads as edited: say so when the ledger was sealed again
            # since this object opened the journal (its key is stale), rather than that the journal was edited
            if self._ledger_secret is not None and (stored := store.ledger_key_check()) is not None:
                self._check_key_not_changed(self._ledger_secret, stored)
            raise

    def _check_key_not_changed(self, secret: bytes, stored: str) -> None:
        """Refuse to write with a ledger key the journal's ledger is no longer sealed with (``stored``: its check)."""
        if not same_seal(self._key_check_of(secret), stored):
            raise JournalError(
                "this journal's ledger was sealed again with another ledger_key since this journal object opened "
                "it (rotate_ledger_key, by another): open the journal again with the new ledger_key to record a "
                "grant; nothing was recorded"
            )

    def _key_check_of(self, secret: bytes) -> str:
        """:func:`key_check` of ``secret``, worked out once per key (an HMAC a grant would otherwise compute)."""
        known = self._known_key_check
        if known is None or known[0] is not secret:
            known = self._known_key_check = (secret, key_check(secret))
        return known[1]

    def seal_ledger(
        self, ledger_key: bytes, *, expected_head: ChainHead | None = None, resume_from: ChainHead | None = None
    ) -> int:
        """Seal this journal's ledger with ``ledger_key``, and use that key from now on; returns how many heads.

        For a journal that already records grants (a new one is sealed by opening it with ``ledger_key=``). It
        first checks the whole chain (:meth:`verify`, against ``expected_head`` if given: pass a head saved
        earlier, since sealing makes what the journal holds now the ledger's truth), then, in one transaction,
        reads each guest's and incident's latest grant as the ledger does (hash-checked, linked, none later),
        writes its head sealed with the key, and marks the journal sealed. Raises
        :class:`~recovery_rules.JournalIntegrityError` if any check fails (nothing is then written), and
        :class:`~recovery_rules.JournalError` if the journal is sealed with another key. A journal already
        sealed with this key is left as it is (returns 0). Run it while no other process writes to the journal;
        afterwards, open the journal with ``ledger_key=`` everywhere it records grants. ``resume_from``: a chain
        head saved after an earlier check (a :meth:`verify`'s ``head``, last night's, say): only the events after
        it are checked first, as :meth:`verify` resumes, and those before it are taken as that check found them
        (on 10 million events, the check saved is about 100 seconds of the time writers are stopped).
        """
        secret = checked_ledger_key(ledger_key)
        if secret is None:
            raise InvalidInputError.at("journal", "ledger_key", "must be the ledger key's bytes, not None")
        with self._read() as store:  # sealed already: nothing to check or write (another key is refused)
            stored = store.ledger_key_check()
        if stored is not None:
            check_key(secret, stored)
            self._ledger_secret, self._ledger_sealed = secret, True
            return 0
        if self._read_only:
            raise JournalError(READ_ONLY_REFUSAL)
        self.verify(expected_head=expected_head, resume_from=resume_from).raise_for_problem()
        with self._write() as store:
            stored = store.ledger_key_check()
            check_key(secret, stored)
            if stored is not None:
                self._ledger_secret, self._ledger_sealed = secret, True
                return 0

            def sealed(page: list[tuple[Scope, str, LedgerHead, str | None]]) -> list[tuple[Scope, str, LedgerHead]]:
                ledger = StoreLedger(store)  # each latest grant read as a ledger without a key reads it: row-checked
                heads = []
                for scope, key, head, _ in page:
                    if head.seal is not None:  # a head sealed by an earlier key check, which was removed
                        raise JournalIntegrityError(head.seq, _KEY_CHECK_GONE)
                    event = ledger.latest(scope, key)
                    if event is None or event.grant is None or event.ledger is None:  # pragma: no cover - a grant
                        raise JournalIntegrityError(0, f"the ledger's head of {scope} {key!r} names no grant")
                    grant, text = event.grant, ledger_text(event.ledger)
                    values = LedgerHead(event.seq, event.hash, str(grant.amount), grant.currency, text)
                    heads.append((scope, key, sealed_head(secret, values)))
                return heads

            count = _rewrite_heads(store, sealed)
            _seal_every_grant(store, secret)  # each grant's own seal: the ledger checks a window's first against it
            store.set_ledger_key_check(key_check(secret))
        self._ledger_secret, self._ledger_sealed = secret, True
        return count

    def rotate_ledger_key(
        self, new_key: bytes, *, expected_head: ChainHead | None = None, resume_from: ChainHead | None = None
    ) -> int:
        """Seal this journal's ledger with ``new_key`` instead of its key now; returns how many heads.

        The journal must be open with its current key. It is checked first (:meth:`verify`, its sealed heads
        too, against ``expected_head`` if given); then, in one transaction, every head's seal is checked with the
        current key and the head sealed again with ``new_key``, and the journal's key check replaced. Raises
        :class:`~recovery_rules.JournalIntegrityError` (nothing written) if any check fails. This journal object
        uses ``new_key`` afterwards; stop every other process that writes to the journal first, and start them
        again with the new key (one still holding the old key is refused when it opens, and a head it wrote
        meanwhile would be refused by the ledger). ``resume_from``: as for :meth:`seal_ledger`. Every head's seal
        is still checked before it is sealed again, so every head rotated is one the key holder wrote; the grant
        a head names before the saved head is not read again (a row rewritten there since is reported by
        :meth:`verify` from the start).
        """
        current = self._ledger_secret
        if current is None:
            raise JournalError("rotate_ledger_key needs the journal opened with its current ledger_key")
        try:
            secret = checked_ledger_key(new_key)
        except InvalidInputError as error:  # said of ledger_key: here it is new_key that is wrong
            raise InvalidInputError.at("journal", "new_key", error.problems[0].message) from None
        if secret is None:
            raise InvalidInputError.at("journal", "new_key", "must be the new ledger key's bytes, not None")
        if self._read_only:
            raise JournalError(READ_ONLY_REFUSAL)
        self.verify(expected_head=expected_head, resume_from=resume_from).raise_for_problem()
        with self._write() as store:
            check_key(current, store.ledger_key_check())

            def resealed(page: list[tuple[Scope, str, LedgerHead, str | None]]) -> list[tuple[Scope, str, LedgerHead]]:
                heads = []
                for scope, key, head, stored_hash in page:
                    problem = _sealed_head_problem(current, scope, key, head, stored_hash)
                    if problem is not None:
                        raise JournalIntegrityError(head.seq, problem)
                    heads.append((scope, key, sealed_head(secret, head)))
                return heads

            count = _rewrite_heads(store, resealed)
            store.set_ledger_key_check(key_check(secret))
        self._ledger_secret = secret
        return count

    # -- reading ----------------------------------------------------------------
    def find(self, key: str) -> Event | None:
        """The event recorded under idempotency ``key``, if any."""
        checked_key = _checked_key(key)
        with self._read() as store:
            record = store.find(checked_key)
            if record is None:
                return None
            event = Event.from_record(record, position=0)
            return _revealed([event], store, {})[0] if self._encrypts else event

    def version(self, number: ComplaintNumber) -> int:
        """How many events case ``number`` has (0 for a case never opened).

        Checked as an append checks it: :class:`~recovery_rules.JournalIntegrityError` when the case's latest
        event is not the one its entry in the table of cases names.
        """
        _checked_number(number, "number")
        with self._read() as store:
            return store.version(str(number))

    def _openings(self, first: ComplaintNumber) -> Iterator[tuple[ComplaintNumber, Event | None]]:
        """Complaint numbers from ``first`` on (its date and customer, sequences up), each with its case's first event.

        ``None`` for a number no case uses. Read a few numbers at a query, so that a customer's hundredth
        case of a day costs two reads, not a hundred; each event is checked as it is read.
        """
        number: ComplaintNumber | None = first
        while number is not None:
            batch = [number]
            while len(batch) < NUMBERS_A_QUERY and batch[-1].sequence < MAX_SEQUENCE:
                last = batch[-1]
                batch.append(ComplaintNumber(last.date, last.customer_id, last.sequence + 1))
            with self._read() as store:
                records = store.openings([str(candidate) for candidate in batch])
                opened = [Event.from_record(record, position=0) for record in records]
                if self._encrypts:
                    opened = _revealed(opened, store, {})
            found = {str(event.number): event for event in opened}
            for candidate in batch:
                yield candidate, found.get(str(candidate))
            last = batch[-1]
            number = (
                None
                if last.sequence >= MAX_SEQUENCE
                else ComplaintNumber(last.date, last.customer_id, last.sequence + 1)
            )

    def events(self, number: ComplaintNumber) -> tuple[Event, ...]:
        """Every event of case ``number``, in order.

        Each event's own hash is checked, the case's versions must run 1, 2,
        3..., and its latest event must be the one its entry in the journal's
        table of cases names (version, position and hash: a case whose last
        events were cut off is not read as if it ended earlier); otherwise
        :class:`~recovery_rules.JournalIntegrityError`. (Whether the chain as a
        whole is intact is what :meth:`verify` proves.)
        """
        _checked_number(number, "number")
        records, entry = self._case_records(str(number))
        events = tuple(self._reveal([Event.from_record(record, position=0) for record in records]))
        for expected, event in enumerate(events, start=1):
            if event.number != number:
                raise JournalIntegrityError(event.seq, "it is filed under another complaint number")
            if event.version != expected:
                raise JournalIntegrityError(event.seq, f"it is version {event.version} of its case, not {expected}")
        last = events[-1] if events else None
        checked_version(None if last is None else (last.version, last.seq, last.hash), entry)
        return events

    def same_request(self, event: Event, request: Mapping[str, JSONValue]) -> bool:
        """Whether ``event`` was recorded for ``request`` (for idempotency: the same step, the same arguments).

        In a journal that encrypts personal data the stored digest is keyed with the customer's data key
        (a plain SHA-256 of the customer's words would let a guess of them be confirmed), so only the
        journal can tell; after an erasure no request matches the customer's earlier events any more.
        """
        if not isinstance(event, Event):
            raise InvalidInputError.at("same_request", "event", "must be an Event the journal returned")
        plain = _request_digest(request, "same_request")
        if event.request == plain:
            return True
        if not self._encrypts:
            return False
        with self._read() as store:
            found = store.data_key(event.customer_id, create=False)
        return found is not None and event.request == keyed_digest(found[1], plain)

    def iter_events(self, start: int = 1) -> Iterator[Event]:
        """Every event of the journal from position ``start``, in order; each event's own hash is checked.

        ``start`` is a position from 0 to ``2**63 - 1``, the highest a journal can hold (1, or 0, for the
        first event; one past the last event for none); a number outside that range is a mistake, refused
        with :class:`~recovery_rules.InvalidInputError` at ``start``, not read as "no events".
        """
        _checked_position(start, "iter_events", "start", "the position to read from, 1 for the first event")
        return self._iter_events(max(start, 1))

    def _iter_events(self, start: int) -> Iterator[Event]:
        keys: dict[str, bytes | None] = {}
        for position, record in self._scan(start):
            yield self._reveal([Event.from_record(record, position=position)], keys)[0]

    def _reveal(self, events: list[Event], keys: dict[str, bytes | None] | None = None) -> list[Event]:
        """``events`` with their personal fields opened (or erased), reading the keys they need."""
        if not self._encrypts:  # sealed values exist only in a journal that encrypts: nothing to open
            return events
        keys = {} if keys is None else keys
        wanted = set().union(*(key_ids(event.data) for event in events))
        if not wanted:
            return events
        if wanted <= set(keys):  # every key already read in this walk
            return _revealed(events, None, keys)
        with self._read() as store:
            return _revealed(events, store, keys)

    def head(self) -> ChainHead:
        """The chain head now: the number of events and the last event's hash."""
        with self._read() as store:
            count, hash_ = _chain_end(store)
        return ChainHead(count=count, hash=hash_)

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
        """What the customer of ``number`` was granted within ``window`` (in ``timezone``) as of ``now``.

        For the ``incident`` window, the grants of ``incident`` (``number`` itself
        by default) count. A grant deleted, edited or re-dated so that the guest
        would be counted as having received less raises
        :class:`~recovery_rules.JournalIntegrityError`.
        """
        return self._granted(
            number, window=window, timezone=timezone, currency=currency, now=now, incident=incident, writing=False
        )

    def _granted(
        self,
        number: ComplaintNumber,
        *,
        window: Window,
        timezone: str,
        currency: str,
        now: dt.datetime,
        incident: ComplaintNumber | None,
        writing: bool,
    ) -> Money:
        """:meth:`granted` in a read view of its own; ``writing``: as an append's ledger reads it."""
        with self._read() as store:
            ledger = StoreLedger(store, self._verified_grants, self._ledger_secret, writing=writing)
            return ledger.granted(
                number, window=window, timezone=timezone, currency=currency, now=now, incident=incident
            )

    def _as_appending(self) -> Ledger:
        """The :class:`Ledger` an append reads (windows as of the guest's latest grant, when later than ``now``),
        read outside a write transaction: what a step would find, for saying beforehand what it would do."""
        return _AppendingView(self)

    def cases(
        self, *, open_only: bool = False, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[CaseSummary]:
        """A summary of every case, in the order of their complaint numbers: by date, then customer number
        (compared as text: ``-10442`` before ``-9``), then sequence (as a number: ``/10`` after ``/9``).

        ``open_only``: only the cases not closed; ``since`` and ``until``: only
        the cases opened at or after ``since`` and before ``until``, found through
        an index of opening times (so a range costs what it holds, not what the
        journal holds). Each summary is read from the case's first and latest
        events, their hashes checked, and each case's opening time in that index
        must be its first event's: a case whose opening time was edited into the
        range raises :class:`~recovery_rules.JournalIntegrityError`. One edited
        out of the range is not among what the index gives: only :meth:`verify`
        finds it.
        """
        opened_since = None if since is None else _time_of("cases", "since", since)
        opened_until = None if until is None else _time_of("cases", "until", until)
        summaries = self._summaries(opened_since=opened_since, opened_until=opened_until)
        if open_only:
            summaries = [summary for summary in summaries if summary.state != CLOSED]
        return sorted(
            summaries, key=lambda summary: (summary.number.date, summary.number.customer_id, summary.number.sequence)
        )

    def overdue_callbacks(self, now: dt.datetime) -> list[CaseSummary]:
        """Cases whose promised callback time has passed at ``now``, most overdue first.

        A callback is owed until a step records it made: the escalation's until the customer hears back,
        the manager's personal call after a report until ``manager_calls``, even once the case is closed.

        For a host's scheduler to act on: the library runs no background threads.
        The cases are found through an index of the callbacks still owed, so a
        poll costs what it finds, however large the journal.
        """
        summaries = self._summaries(callback_before=_time_of("overdue_callbacks", "now", now))
        now = exact_datetime(now)  # checked above: a datetime; a subclass's comparisons are its own
        overdue = [s for s in summaries if s.callback_by is not None and s.callback_by < now]
        return sorted(overdue, key=lambda summary: (summary.callback_by, str(summary.number)))

    def _summaries(self, **filters: str | None) -> list[CaseSummary]:
        """The summaries of the cases the table of cases lists (with ``filters``), each read from its events."""
        summaries = []
        with self._read() as store:
            for head in store.case_heads(**filters):
                first = _case_event(store, head, head.first_seq, 1, None)
                if head.opened_at is not None and head.opened_at != canonical_time(first.at):
                    raise JournalIntegrityError(first.seq, _MISOPENED)  # listed in a period it was not opened in
                last = _case_event(store, head, head.last_seq, head.version, head.last_hash)
                summaries.append(
                    CaseSummary(
                        number=last.number,
                        state=last.state,
                        version=last.version,
                        opened_at=first.at,
                        last_at=last.at,
                        callback_by=last.callback_due,
                    )
                )
        return summaries

    # -- erasing ----------------------------------------------------------------
    def erase_customer(
        self, customer_id: str, *, employee: str | None = None, now: dt.datetime | None = None
    ) -> Erasure:
        """Make the personal data of customer ``customer_id`` unrecoverable, keeping the chain whole.

        The customer's data keys are destroyed (and, on SQLite, the freed pages overwritten and the
        write-ahead log emptied; on PostgreSQL the keys table vacuumed): every personal field of their
        events (the name, the description, notes, a manager's reason, a report's summary) then reads back
        as ``"[erased]"``, while :meth:`verify`, the ledger, the cases and the report keep working, since
        the events' hashed bodies hold only the sealed values. The erasure is recorded, without personal
        data (:meth:`erasure`): when, and by whom (``employee``, an employee id).

        Erasing again is harmless: it returns the earlier record when there is nothing new to erase.
        A customer the journal has no case of raises :class:`~recovery_rules.InvalidInputError`. Events
        that hold personal data in the clear (written without ``encrypt_personal_data``) cannot be
        erased without rewriting the chain: :class:`~recovery_rules.JournalError`, and nothing is erased.
        """
        try:
            checked = _CUSTOMER.validate_python(customer_id)
        except ValidationError as error:
            raise InvalidInputError("customer", problems_from(error, "customer_id")) from None
        who = check_employee(employee)
        at = (self._clock or _system_clock)() if now is None else now
        try:  # an erasure records its time: a time a journal records, so that it reads back
            recorded_instant(at, field="now")
        except InvalidInputError as error:
            raise InvalidInputError.at("erase_customer", "now", error.problems[0].message) from None
        with self._write() as store:
            done = store.erasure(checked)
            records = store.customer_records(checked)
            if not records and done is None:
                raise InvalidInputError.at(
                    "erase_customer", "customer_id", "the journal has no case of this customer: check the number"
                )
            events = [Event.from_record(record, position=int(str(record["seq"]))) for record in records]
            clear = sum(1 for event in events if personal_texts(event.data))
            if clear:
                raise JournalError(
                    f"{clear} event(s) of this customer hold personal data in the clear (written by a journal "
                    "that did not encrypt personal data): they cannot be erased without rewriting the hash "
                    "chain, which would break it. Nothing was erased. New journals: encrypt_personal_data=True"
                )
            _check_keys_are_their_own(store, checked, events)
            destroyed = store.destroy_keys(checked)
            if done is not None and destroyed == 0:  # erased before, nothing new since: the same record
                erasure = Erasure.model_validate(done)
            else:
                erasure = Erasure(
                    customer_id=checked, erased_at=at.astimezone(dt.UTC), employee=who, keys_destroyed=destroyed
                )
                store.record_erasure(checked, canonical_time(erasure.erased_at), who, destroyed)
        self._after_erasure()  # again too: a checkpoint that could not finish the first time is retried
        return erasure

    def erasure(self, customer_id: str) -> Erasure | None:
        """The record of the customer's erasure, if their data was erased (see :meth:`erase_customer`)."""
        try:
            checked = _CUSTOMER.validate_python(customer_id)
        except ValidationError as error:
            raise InvalidInputError("customer", problems_from(error, "customer_id")) from None
        with self._read() as store:
            done = store.erasure(checked)
        return None if done is None else Erasure.model_validate(done)

    def _erasure_mark(self, customer_id: str) -> ErasureMark:
        """The customer's erasure and data key, read together (a journal that encrypts): what a case step compares
        inside its write transaction (:class:`ErasureMark`)."""
        with self._read() as store:
            return erasure_mark(store, customer_id)

    def _after_erasure(self) -> None:  # noqa: B027 - optional: a memory journal has no files to clean
        """After the erasure committed: make the destroyed keys' bytes unreadable in the storage's files."""

    # -- proving ----------------------------------------------------------------
    def verify(
        self,
        *,
        expected_head: ChainHead | None = None,
        resume_from: ChainHead | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> Verification:
        """Check the chain: every event intact, in place, linked to the one before.

        Returns a :class:`Verification`: ``ok``, or the position of the first bad
        event (``first_bad``) and what is wrong with it (``problem``). Finds any
        edited, removed, inserted or reordered event; an event edited and given a
        new hash is found too, because the next event was chained to its old hash.
        A cut-off tail is found through the journal's table of cases, which
        still names the last event cut off; every entry of that table must name
        the event at its position (its case, its version, its hash), so a tail
        cut off and written over by the next appends stays found, and so does the
        last event edited and given a new hash. And every case with events must
        have an entry there: a case whose entry was deleted is reported at its
        latest event. Each entry's opening (the position of its case's first
        event, its time, which :meth:`cases` selects a period by, and its
        customer) must copy that first event: an edit is reported there. And
        every ledger head, sealed or not, must name its guest's or incident's
        latest grant (position and hash), as the ledger requires before it
        decides for that guest: one deleted, rewound or moved is reported at
        that latest grant. A tail cut (or rewritten) with
        that table and those heads rewritten too leaves a shorter chain that is still whole: pass
        a saved ``expected_head`` to find that too (the journal must still hold
        that head's events unchanged). The journal's setting ``legacy_until`` is
        checked against the events' formats too.

        ``resume_from``: a chain head saved after an earlier check (the
        ``head`` of its :class:`Verification`, say). Only the events after it are
        checked, chained to it: the journal must still hold its last event with
        that hash (a head of no events must have the genesis hash, as for
        ``expected_head``). A nightly check then costs the day's events, not the
        whole journal: only the entries of the table of cases naming an event
        after the head are looked up, and only the cases with an event after it
        are looked for in that table. The check streams the events: its memory
        stays the same whatever the journal's size.

        Opened with its ledger key, a sealed journal's heads are checked too
        (a page at a time): each seal must match, and each head must name the
        event at its position with that event's hash. A tail rewritten with
        every hash computed again is then found at its first grant that is a
        guest's or an incident's latest, without a saved head.

        ``progress``: called with how many more events were read, every
        10,000 events and once at the end when any was (a progress bar's ``advance``); a
        resumed check counts only the events after ``resume_from``.

        A head whose ``count`` no journal can reach (below 0 or past ``2**63 - 1``) is a mistake, not a cut-off
        tail: :class:`~recovery_rules.InvalidInputError` at ``expected_head.count`` or ``resume_from.count``.
        """
        if progress is not None and not callable(progress):
            raise InvalidInputError.at("verify", "progress", "must be a function of one int, or None")
        for name, head in (("expected_head", expected_head), ("resume_from", resume_from)):
            if head is not None and not isinstance(head, ChainHead):
                raise InvalidInputError.at(
                    "chain head", name, "must be a ChainHead; read a saved count:hash with ChainHead.parse"
                )
            if head is not None:  # a count no journal can reach is no saved head (SQLite cannot even look it up)
                count = getattr(head, "count", None)  # built past validation, it may lack its fields
                _checked_position(count, "chain head", f"{name}.count", "the number of events it names")
                if not well_formed_head(head):  # a hash that says it equals any other would pass every check
                    raise InvalidInputError.at(
                        "chain head",
                        f"{name}.hash",
                        "must be 64 lower-case hexadecimal digits, as ChainHead.parse reads",
                    )
        start = None
        if resume_from is not None and not resume_from.count and resume_from.hash != GENESIS:
            return Verification(  # as expected_head= reports it (ChainCheck)
                ok=False, count=0, head=ChainHead.empty(), first_bad=1, problem=EMPTY_HEAD_PROBLEM
            )
        if resume_from is not None and resume_from.count:
            if expected_head is not None and expected_head.count < resume_from.count:
                raise InvalidInputError.at(
                    "chain head", "expected_head", "must not be before resume_from: the check starts after it"
                )
            start, failure = self._resumed(resume_from)
            if failure is not None:
                return failure
        check = ChainCheck(expected_head, start=start)
        first = 1 if start is None else start[0] + 1
        rows = self._scan_rows(first)
        reached = position = first - 1  # the last position reported to progress, and the last one read
        if rows is None:
            for position, record in self._scan(first):
                if not check.feed(position, record):
                    break
                if progress is not None and not position % _PROGRESS_STEP:
                    progress(position - reached)
                    reached = position
        else:
            for position, row in enumerate(rows, start=first):
                if not check.feed_row(position, row):
                    break
                if progress is not None and not position % _PROGRESS_STEP:
                    progress(position - reached)
                    reached = position
        if progress is not None and position > reached:
            progress(position - reached)
        result = check.result()
        if not result.ok:
            return result
        return self._bookkeeping_checked(result, after=first - 1)

    def _bookkeeping_checked(self, result: Verification, *, after: int) -> Verification:
        """``result`` (a whole chain, its events after ``after`` checked), or the first failure of what the journal
        keeps beside the chain: the table of cases (every entry naming a latest event after ``after`` checked
        against that event and its case's opening event, and every case with an event after ``after`` listed),
        the setting ``legacy_until``, and the ledger's heads (each guest's and incident's latest grant named by its
        head, every head naming a grant of its own). The first bad position wins.

        A few statements, each a pass over the table it checks or an index: never another pass over the chain.
        :meth:`verify` ends with it, and so does a report that walked the whole chain itself.
        """
        legacy = self._legacy_mismatch(result, after=after)
        failures = [
            self._cut_off(result),
            legacy,
            self._unmatched_case(result, after=after),
            self._misopened_case(result, after=after),
            self._unlisted_case(result, after=after),
        ]
        if self._ledger_secret is not None:  # before the heads' positions: of two at one event, its words are sharper
            failures.append(self._sealed_heads_checked(result, self._ledger_secret, after=after))
        if legacy is None:  # which grants have heads depends on that setting: one moved is reported as such
            failures.append(self._unheaded_grant(result, after=after))
        found = [failure for failure in failures if failure is not None]
        if found:
            return min(found, key=lambda failure: failure.first_bad or 0)
        if self._ledger_secret is None and self._lost_key_check():
            seq = self._first_sealed_head(after=after)
            return self._failure_at(result, seq, _KEY_CHECK_GONE if seq is not None else _HEADS_SEALED_NO_CHECK)
        return result

    def _cut_off(self, checked: Verification) -> Verification | None:
        """The failure to report if the table of cases names an event after the end of ``checked`` (a whole chain).

        Every event is its case's latest when it is appended, so removing the journal's last events leaves the
        table naming a position past the end: found without a saved head (unless the table was rewritten too).
        """
        with self._read() as store:
            last = store.last_case_seq()
            now_ends_at = store.head()[0]  # in the same read: the journal as the table of cases is read
        if type(last) is not int:
            return self._failure_at(checked, None, "the journal's table of cases is damaged: " + _CUT_OFF_OR_EDITED)
        if last > checked.count and last > now_ends_at:
            # Beyond the events checked and beyond the journal's end now: cut off. (An event past those checked
            # that the journal holds now was appended by another writer while the check read the chain.)
            problem = f"the journal ends after {checked.count} events, but its table of cases names event {last}: "
            return self._failure_at(checked, None, problem + _CUT_OFF)
        return None

    def _unmatched_case(self, checked: Verification, *, after: int) -> Verification | None:
        """The failure to report if an entry of the table of cases names an event after ``after`` that ``checked``
        (a whole chain) holds, but not the one it names: not of its case, or not of its version and hash, or not
        in the state, owing the callback, that the entry copies from it (the scheduler's poll,
        :meth:`overdue_callbacks`, finds the callbacks owed through the entries: one edited there would hide a
        case from it).

        Every append makes its event its case's latest, in the table too. Events cut off the end and others
        appended in their place leave the entry of a case whose latest event was cut off naming a position
        that now holds another event, which the chain alone, whole again, cannot show. One pass over the
        table (as :meth:`_cut_off`'s), each entry after ``after`` looked up by position: a check resumed from
        a saved head looks up only the entries of the cases written since.
        """
        with self._read() as store:  # a whole check takes every entry, one naming a position before the chain too
            found = store.unmatched_case(after or _BEFORE_EVERY_POSITION, checked.count)
        if found is None:
            return None
        seq, same_case = found
        if type(seq) is not int:  # pragma: no cover - a position of the range is an integer
            return self._failure_at(checked, None, "the journal's table of cases is damaged: " + _CUT_OFF_OR_EDITED)
        if same_case is None:  # pragma: no cover - every position of a whole chain holds an event
            problem = "the journal's table of cases names it as a case's latest event, but it is missing"
        elif same_case:
            problem = _NOT_AS_NAMED
        else:
            problem = _ANOTHER_CASES
        return self._failure_at(checked, seq, problem)

    def _misopened_case(self, checked: Verification, *, after: int) -> Verification | None:
        """The failure to report if an entry of the table of cases naming a latest event after ``after`` does not
        copy its case's opening event: its position (``first_seq``), its time (``opened_at``: :meth:`cases` finds
        a period's cases by it, so one edited there hides a case from its period, or lists it in another) or its
        customer. Reported at the case's opening event, found by its number (or at its latest event, if it has
        none). One pass over the table, as :meth:`_unmatched_case`'s."""
        with self._read() as store:
            found = store.misopened_case(after or _BEFORE_EVERY_POSITION, checked.count)
        if found is None:
            return None
        seq = found if type(found) is int else None
        return self._failure_at(checked, seq, _MISOPENED)

    def _unheaded_grant(self, checked: Verification, *, after: int) -> Verification | None:
        """The failure to report if a guest's or an incident's latest grant is not the one its ledger head names
        (the head deleted, rewound to an earlier grant, moved to another's, or naming another hash), or a head
        names an event that is not a grant of its own: the ledger would refuse every decision for that guest
        (:class:`JournalIntegrityError`), whether or not the ledger is sealed.

        Reported at that latest grant (or at the event a stray head names). A whole check reads every guest's and
        incident's latest grant from the grant indexes; a resumed one only those with a grant after ``after``
        (and the heads naming an event after it: a pass over the heads table)."""
        with self._read() as store:
            unheaded = store.unheaded_grant(after)
            stray = store.stray_ledger_head(after)
        failures = []
        if unheaded is not None:
            failures.append(self._failure_at(checked, unheaded if type(unheaded) is int else None, _UNHEADED))
        if stray is not None:
            failures.append(self._failure_at(checked, stray if type(stray) is int else None, _STRAY_HEAD))
        return min(failures, key=lambda failure: failure.first_bad or 0) if failures else None

    def _unlisted_case(self, checked: Verification, *, after: int) -> Verification | None:
        """The failure to report if a case with an event after ``after`` in ``checked`` (a whole chain) has no
        entry in the table of cases: reported at its latest event, as reading or appending to the case refuses it.

        Every append writes its case's entry with its event, so a case the table does not list had its entry
        deleted, and :meth:`_unmatched_case`, which looks at the entries there are, cannot see it. One
        anti-join of the events on the table's key (:meth:`Store.unlisted_case`); a check resumed from a saved
        head looks only at the cases with events since.
        """
        with self._read() as store:
            found = store.unlisted_case(after, checked.count)
        if found is None:
            return None
        latest, first = found
        opened = "" if first is None else f" (opened at event {first})"
        return self._failure_at(checked, latest, f"it is the latest event of a case{opened} " + _UNLISTED)

    def _legacy_mismatch(self, checked: Verification, *, after: int) -> Verification | None:
        """The failure to report if the journal's setting ``legacy_until`` does not name the end of the events
        release 0.1.0 wrote (:func:`legacy_problem`: two look-ups by position).

        The position reported is the event that is not where the setting says, or, for a setting that names a
        position the journal does not hold (or none), the end of the chain.
        """
        with self._read() as store:
            found = legacy_problem(store, check_hash=False)  # every event after ``after`` was hash-checked
        if found is None or 0 < found[0] <= after:  # an event before a saved head is taken as it was found
            return None
        seq, problem = found
        return self._failure_at(checked, seq if 0 < seq <= checked.count else None, problem)

    def _lost_key_check(self) -> bool:
        """Whether the journal holds sealed heads but no key check (any head: looked for through them all, which
        opening looks for in the first one only); once seen, this object records no grant (fail closed)."""
        if not self._key_check_gone:
            with self._read() as store:
                gone = store.ledger_key_check() is None and store.any_sealed_head() is not None
            if gone:
                self._ledger_sealed = self._key_check_gone = True
        return self._key_check_gone

    def _first_sealed_head(self, *, after: int) -> int | None:
        """The lowest position after ``after`` that a sealed ledger head names, if any (read a page at a time)."""
        lowest: int | None = None
        where: tuple[Scope, str] | None = None
        while True:
            with self._read() as store:
                page = store.ledger_heads_page(where, _HEADS_A_PAGE)
            for _, _, head, _ in page:
                seq = head.seq
                if head.seal is not None and type(seq) is int and seq > after and (lowest is None or seq < lowest):
                    lowest = seq
            if len(page) < _HEADS_A_PAGE:
                return lowest
            where = page[-1][:2]

    def _failure_at(self, checked: Verification, seq: int | None, problem: str) -> Verification:
        """``checked`` (a whole chain) failed at position ``seq``: the events before it are the good ones.

        A position beyond the chain's end (or none) is reported just after it, as a cut-off tail is; so is one
        before its start (a row stored at position 0 or below, outside the chain), which no event comes after.
        """
        if seq is None or seq < 1 or seq > checked.count:
            return checked.model_copy(update={"ok": False, "first_bad": checked.count + 1, "problem": problem})
        with self._read() as store:
            before = store.record_at(seq - 1) if seq > 1 else None
        last = GENESIS if before is None else str(before.get("hash"))
        return Verification(
            ok=False, count=seq - 1, head=ChainHead(count=seq - 1, hash=last), first_bad=seq, problem=problem
        )

    def _sealed_heads_checked(self, checked: Verification, secret: bytes, *, after: int) -> Verification | None:
        """The failure to report, if a sealed ledger head naming an event after position ``after`` is wrong.

        Each head's seal must match, the head must be its guest's or its incident's (as its sealed entry says),
        and the event at its position must be there with the hash it names. A journal whose tail was rewritten
        with every hash computed again is whole as a chain; its sealed heads still name the grants as they were,
        so the first head that no longer matches is the first bad event. The heads are read a page at a time.
        """
        first_bad: tuple[int, str] | None = None
        where: tuple[Scope, str] | None = None
        while True:
            with self._read() as store:
                page = store.ledger_heads_page(where, _HEADS_A_PAGE)
                for scope, key, head, stored_hash in page:
                    # A head whose position is not one (edited into a text) is reported after the chain's end.
                    seq = head.seq if type(head.seq) is int else checked.count + 1
                    if seq <= after:
                        continue
                    problem = _sealed_head_problem(secret, scope, key, head, stored_hash)
                    if problem is not None and (first_bad is None or seq < first_bad[0]):
                        first_bad = (seq, problem)
            if len(page) < _HEADS_A_PAGE:
                break
            where = page[-1][:2]
        with self._read() as store:  # every grant has its own seal, which the ledger checks a window's first against
            unsealed = store.unsealed_grant(after)
        if unsealed is not None and (first_bad is None or unsealed < first_bad[0]):
            first_bad = (unsealed, _GRANT_UNSEALED)
        if first_bad is None:
            return None
        return self._failure_at(checked, *first_bad)  # beyond the chain: the grant's tail was cut off

    def _resumed(self, head: ChainHead) -> tuple[tuple[int, str, str] | None, Verification | None]:
        """Where a check resumed from ``head`` starts: its count and last two hashes; or the failure to report."""
        with self._read() as store:
            record = store.record_at(head.count)
            before = store.record_at(head.count - 1) if head.count > 1 else None
            end = store.head() if record is None else None
        problem = None
        if end is not None and end[0] < head.count:  # reported where the journal ends, as a cut-off tail is
            count, last = end
            if not is_hash(last):  # no head can be made of it: the last event itself is the bad one
                return None, _unhashed_at(count)
            problem = f"the journal ends after {count} events but the saved head says {head.count}: " + _CUT_OFF
            return None, Verification(
                ok=False, count=count, head=ChainHead(count=count, hash=last), first_bad=count + 1, problem=problem
            )
        if record is None:
            problem = f"there is no event {head.count} where the saved head names one: it was removed"
        else:
            try:
                event = Event.from_record(record, position=head.count)
            except JournalIntegrityError as error:
                problem = error.problem
            else:
                if event.hash != head.hash or event.seq != head.count:
                    problem = "it is not the event the saved head names: the chain was rewritten"
        if problem is not None:
            count = head.count - 1
            last = GENESIS if before is None else str(before.get("hash"))
            if not is_hash(last):
                return None, _unhashed_at(count)
            return None, Verification(
                ok=False, count=count, head=ChainHead(count=count, hash=last), first_bad=head.count, problem=problem
            )
        previous = GENESIS if before is None else str(before.get("hash"))
        return (head.count, previous, head.hash), None

    # -- lifetime ---------------------------------------------------------------
    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


_UNHASHED: Final = "its stored hash is not a SHA-256 (64 lower-case hexadecimal digits): it was edited"


_SEALED_SPELLING: Final = (
    "sealed",
    ALGORITHM,
    f'must not hold a mapping with "sealed": "{ALGORITHM}": that is how the journal stores an encrypted personal '
    "value, and it would be read as one; send the text itself",
)
"""The journal's own spelling of an encrypted value: never a caller's to write."""


_BEFORE_EVERY_POSITION: Final = -(2**63)
"""The lower bound of a whole check's range of positions in the table of cases: an entry edited to name position 0
or below (where no event of the chain is) is in it too, and found."""


def _chain_end(store: Store) -> tuple[int, str]:
    """``store.head()``, refused as tampered with when the last event's stored hash is no SHA-256 at all."""
    count, hash_ = store.head()
    if not is_hash(hash_):
        raise JournalIntegrityError(count, _UNHASHED)
    return count, hash_


def _unhashed_at(seq: int) -> Verification:
    """A check's failure at event ``seq``, whose stored hash is no SHA-256 (nothing before it counted as checked)."""
    return Verification(ok=False, count=0, head=ChainHead.empty(), first_bad=seq, problem=_UNHASHED)


_GRANT_UNSEALED: Final = (
    "the ledger holds no seal of this grant: it was removed, or the grant was written without the key, so the "
    "ledger refuses a window that starts after it"
)


def _time_of(what: str, name: str, moment: object) -> str:
    """:func:`canonical_time` of argument ``name`` of ``what``, refused at ``name`` when it is no aware time."""
    if not isinstance(moment, dt.datetime) or not is_aware(moment):
        raise InvalidInputError.at(what, name, AWARE)
    try:
        text = canonical_time(moment)
    except InvalidInputError as error:  # beyond the years a journal records
        raise InvalidInputError.at(what, name, error.problems[0].message) from None
    # Stored times are compared as text, and every one is from EARLIEST_INPUT_TIME on: an earlier bound selects
    # what that one does, and a year before 1000 (written with fewer digits) would sort after them all.
    return canonical_time(EARLIEST_INPUT_TIME) if exact_datetime(moment) < EARLIEST_INPUT_TIME else text


def _checked_number(number: object, what: str) -> None:
    if not isinstance(number, ComplaintNumber):  # a number as text would read as another case's events
        raise InvalidInputError.at(
            what, "number", "must be a ComplaintNumber, such as ComplaintNumber.parse('20261123-10442')"
        )


def legacy_problem(store: Store, *, check_hash: bool = True) -> tuple[int, str] | None:
    """What is wrong with the journal's setting ``legacy_until`` (the last position release 0.1.0 wrote), if
    anything: the position to report (0: none; it may be past the journal's end) and the problem.

    Release 0.1.0 wrote events of format 1 only, and every event after the upgrade has a later format, so the
    event at that position must be of format 1 (unless it is 0) and the next one, if any, of a later format.
    The ledger sums the format-1 grants up to that position the way 0.1.0 did; a setting moved down would
    leave some of them out, so a backend checks it (two look-ups by position) when it reads it, and refuses
    every grant read while it is wrong (see ``Store.legacy_grants``); :meth:`Journal.verify` reports it.
    (Moved up, it changes nothing the ledger reads: a grant of a later format is never read the 0.1.0 way.)
    ``check_hash``: in a journal upgraded from 0.1.0, the first event after the upgrade must also be intact
    (its format is hashed), so that a setting moved down cannot hide behind an edited format; ``verify``,
    which checks every event's hash anyway, leaves it out.
    """
    until = store.legacy_until()
    if isinstance(until, bool) or not isinstance(until, int) or until < 0:
        return 0, f"the journal's setting {LEGACY_UNTIL!r} is not a position: it was edited"
    for seq, release_0_1_0 in ((until, True), (until + 1, False)):
        record = store.record_at(seq) if seq else None
        if record is None:
            if seq and release_0_1_0:
                return seq, (
                    f"the journal's setting {LEGACY_UNTIL!r} says release 0.1.0 wrote the events up to {until}, "
                    f"but there is no event {until}: the setting was edited"
                )
            continue
        format_ = record.get("format")
        if check_hash and until and not release_0_1_0:
            try:
                format_ = Event.from_record(record, position=seq).format
            except JournalIntegrityError as error:
                return seq, error.problem
        if (format_ == 1) != release_0_1_0:
            written = "written by release 0.1.0 (format 1)" if format_ == 1 else "of a later format than 1"
            return seq, (
                f"it is an event {written}, but the journal's setting {LEGACY_UNTIL!r} says release 0.1.0 wrote "
                f"the events up to {until}: the setting was edited"
            )
    return None


def _checked_build(build: object, what: str) -> None:
    """Refuse a ``build`` that is neither a :class:`Draft` nor a function (one returning a Draft), before anything
    is read: a retry or a stale version must not hide the mistake."""
    if not isinstance(build, Draft) and not callable(build):
        raise InvalidInputError.at(what, "build", "must be a Draft or return one")


def _request_digest(request: object, what: str) -> str:
    """The digest of ``request`` (what identifies a step for idempotency), once it is a mapping."""
    if not isinstance(request, Mapping):
        raise InvalidInputError.at(
            what, "request", "must be a mapping of JSON values identifying the step, such as {} or {'step': 'listen'}"
        )
    return digest(dict(request))


def _checked_key(key: object) -> str:
    if type(key) is str and _is_text_id(key, 200):  # what IdempotencyKey accepts
        return key
    try:
        return _KEY.validate_python(key)
    except ValidationError as error:
        raise InvalidInputError("idempotency key", problems_from(error, "key")) from None


def _case_event(store: Store, head: CaseHead, seq: int, version: int, hash_: str | None) -> Event:
    """The event at ``seq``, checked to be version ``version`` of the case ``head`` names (with ``hash_``)."""
    record = store.record_at(seq)
    if record is None:
        raise JournalIntegrityError(seq, "an event the journal's table of cases names is missing: it was deleted")
    event = Event.from_record(record, position=seq)
    if str(event.number) != head.number or event.version != version or (hash_ is not None and event.hash != hash_):
        raise JournalIntegrityError(seq, "it is not the event the journal's table of cases names: it was replaced")
    return event


def _revealed(events: list[Event], store: Store | None, keys: dict[str, bytes | None]) -> list[Event]:
    """``events`` with their personal fields opened, or ``ERASED`` where a key was destroyed.

    ``keys`` caches the keys already read (a destroyed one as ``None``), for a walk over many events.
    """
    wanted = {event.seq: key_ids(event.data) for event in events}
    missing = sorted(set().union(*wanted.values()) - set(keys))
    if missing and store is not None:
        found = store.data_keys(missing)
        keys.update({key_id: found.get(key_id) for key_id in missing})
    if not any(wanted.values()):
        return events
    ring = KeyRing({key_id: keys.get(key_id) for key_id in set().union(*wanted.values())})
    return [
        event.with_data(open_data(event.data, ring, seq=event.seq, event=(str(event.number), event.version)))
        if wanted[event.seq]
        else event
        for event in events
    ]


def _system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _check_draft_times(draft: Draft) -> None:
    """Refuse a draft whose ``at`` (or ``callback_due``, when given) is not a timezone-aware time within the
    years every time given to the library is (:data:`EARLIEST_INPUT_TIME` to :data:`LATEST_INPUT_TIME`): a
    journal writes no time that it could not read back."""
    for name in ("at", "callback_due"):
        moment = getattr(draft, name)
        if name == "callback_due" and moment is None:
            continue
        if not isinstance(moment, dt.datetime) or not is_aware(moment):
            raise InvalidInputError.at("append", name, AWARE)
        try:
            within = EARLIEST_INPUT_TIME <= moment.astimezone(dt.UTC) < LATEST_INPUT_TIME
        except OverflowError:  # the first hours of year 1 west of UTC, or the last of 9999 east of it
            within = False
        if not within:
            raise InvalidInputError.at("append", name, OUT_OF_INPUT_RANGE)


def _check_draft_parts(draft: Draft) -> dict[str, JSONValue]:
    """Refuse a draft whose ``incident`` is not a :class:`ComplaintNumber` (or ``None``), or whose ``data`` is not
    a mapping: a plain dataclass holds whatever it was given, and both are read before the event is checked.

    Returns a copy of the draft's ``data`` checked to be JSON (:func:`check_json`), which the event is sealed
    with (``Event.sealed(checked_data=...)``), so that it is not walked twice."""
    if draft.incident is not None and not isinstance(draft.incident, ComplaintNumber):
        raise InvalidInputError.at(
            "append", "incident", "must be a ComplaintNumber, such as ComplaintNumber.parse('20261123-10442'), or None"
        )
    if not isinstance(draft.data, Mapping):
        raise InvalidInputError.at("append", "data", "must be a mapping of JSON values, such as {} or {'notes': ''}")
    data = dict(draft.data)
    check_json(data, refused=_SEALED_SPELLING)  # its shape, depth included, in one walk
    return data  # a mapping checked to be JSON: a JSON object


def _with_checked_grant(draft: Draft, grant: object) -> Draft:
    """``draft`` with its grant, which is not exactly a :class:`Money`, checked as a non-negative Money.

    A :class:`Draft` is a plain dataclass: its grant is whatever was put there (or set past it with
    ``object.__setattr__``). Only a Money holding a valid amount is recorded, never a text, a number or a
    mapping turned into one; a subclass of Money is read once, from Money's own slots, into a Money of its own.
    Anything else raises :class:`~recovery_rules.InvalidInputError` located at ``grant``, before anything is
    written.
    """
    checked = checked_money(grant, "grant", non_negative=True, what="append")
    return dataclasses.replace(draft, grant=checked)


def _minutes(span: dt.timedelta) -> str:
    minutes = span.total_seconds() / 60
    return f"{minutes:g} minute{'' if minutes == 1 else 's'}"


def _check_keys_are_their_own(store: Store, customer_id: str, events: list[Event]) -> None:
    """Every key that seals this customer's personal data is theirs, or gone already: a key recorded as another
    customer's (the table of data keys edited; it is outside the chain) would have erasure destroy that other
    customer's key and leave this one's words readable. Nothing is erased then."""
    sealing = [(event, key_ids(event.data)) for event in events]
    if not any(keys for _, keys in sealing):
        return
    own = store.data_key(customer_id, create=False)
    for event, keys in sealing:
        others = sorted(keys - ({own[0]} if own is not None else set()))
        if others and store.data_keys(others):
            raise JournalIntegrityError(
                event.seq,
                "a data key that seals this customer's personal data is recorded as another customer's: the "
                "table of data keys was edited. Nothing was erased",
            )


def _sealed_head(secret: bytes, record: Mapping[str, object], event: Event) -> LedgerHead:
    """The head of grant ``event`` (stored as ``record``), sealed with ``secret``: its guest's and its incident's."""
    grant, ledger = record["grant"], record["ledger"]
    if not isinstance(grant, dict) or not isinstance(ledger, str):  # pragma: no cover - a grant's stored record
        raise JournalError("a grant's record lacks its amount or its ledger entry")
    return sealed_head(secret, LedgerHead(event.seq, event.hash, str(grant["amount"]), str(grant["currency"]), ledger))


_HEADS_A_PAGE: Final = 1000
"""How many ledger heads :meth:`Journal.verify` reads at a time from a sealed journal."""


def _sealed_head_problem(
    secret: bytes, scope: Scope, key: str, head: LedgerHead, stored_hash: str | None
) -> str | None:
    """What is wrong with sealed ``head`` of ``scope`` ``key``, the event at whose position has ``stored_hash``.

    Its seal must match (then the journal wrote its values: they are not parsed again), its sealed entry's
    incident must be this head's incident, or that incident's customer this head's guest, and the event at its
    position must have the hash it names.
    """
    seal = head.seal
    if seal is None or type(head.seq) is not int or not same_seal(grant_seal(secret, head), seal):
        what = "seal of this grant" if scope == "grant" else f"head of this {scope}"
        return f"the ledger's {what} does not match: it was edited or written without the key"
    if scope == "grant":  # the seal of one grant: kept under its own position
        if key != str(head.seq):
            return "the ledger's seal of this grant names another grant: it was moved"
    else:
        found = _INCIDENT.search(head.ledger or "")
        incident = "" if found is None else found[1]
        number = canonical_number(incident)
        if number is None or key != (number.customer_id if scope == "guest" else incident):
            return f"the ledger's head of this {scope} names another's grant: it was moved"
    if stored_hash is None:
        return (
            f"the journal ends before the grant its sealed ledger head names (event {head.seq}): its tail was cut off"
        )
    if stored_hash != head.hash:
        return "it is not the grant its sealed ledger head names: the event was rewritten, its hash computed again"
    return None


_INCIDENT: Final = re.compile(r'"incident":"([^"]*)"')
"""Where a ledger entry's text names its incident."""


_CUT_OFF: Final = "its tail was cut off"
_ANOTHER_CASES: Final = (
    "the journal's table of cases names it as the latest event of another case: that case's last events were cut "
    "off and others written in their place (or the table was edited)"
)
_NOT_AS_NAMED: Final = (
    "it is not the event the journal's table of cases names as its case's latest, as the table names it (its "
    "version, hash, state or callback owed differs): events were cut off and others written in their place, or "
    "the table was edited"
)
_UNLISTED: Final = (
    "that has no entry in the journal's table of cases: the entry was deleted (or the case's events were written "
    "without it)"
)
_MISOPENED: Final = (
    "it is the first event of a case whose entry in the journal's table of cases does not copy it (its position, "
    "time or customer differs): the table was edited, so listings of a period could leave the case out or list "
    "it in another"
)
_UNHEADED: Final = (
    "it is the latest grant of a guest or an incident, but the ledger's head of that guest or incident does not "
    "name it: the head was deleted, rewound to an earlier grant or moved, so the ledger refuses every decision for "
    "that guest (restore the journal from a backup)"
)
_STRAY_HEAD: Final = (
    "a ledger head names it, but it is not a grant of that head's guest or incident with the hash the head names: "
    "the ledger's heads were edited, so the ledger refuses every decision for that guest (restore the journal "
    "from a backup)"
)
_CUT_OFF_OR_EDITED: Final = "it names a case's latest event by something other than its position (it was edited)"

CLOSED_REFUSAL: Final = (
    "the journal is closed (close() was called, or its with-block ended): open it again, such as "
    "SQLiteJournal(path), or keep it open while it is used"
)
"""What every use of a closed journal raises (a :class:`~recovery_rules.JournalError`)."""

POSTGRES_CLOSED_REFUSAL: Final = (
    "the journal is closed (close() was called, or its with-block ended): open it again, such as "
    "PostgresJournal(conninfo), or keep it open while it is used"
)
"""What every use of a closed :class:`~recovery_rules.PostgresJournal` raises."""

MEMORY_CLOSED_REFUSAL: Final = (
    "the journal is closed (close() was called, or its with-block ended): a MemoryJournal cannot be opened again; "
    "keep it open while it is used, or record in an SQLiteJournal(path) to keep the events"
)
"""What every use of a closed :class:`~recovery_rules.MemoryJournal` raises: its events live and end with it."""

READ_ONLY_REFUSAL: Final = (
    "the journal was opened read-only (read_only=True): it records nothing; open it without read_only to write "
    "(from the shell: as a user who may write it and its folder)"
)
"""What every write to a journal opened read-only raises (a :class:`~recovery_rules.JournalError`)."""

_NO_KEY_CHECK: Final = (
    "the journal holds no key check: the check was removed, so no head can be trusted (restore the journal "
    "from a backup, and check it against a chain head saved earlier)"
)
_KEY_CHECK_GONE: Final = "the ledger's head naming it is sealed, but " + _NO_KEY_CHECK
_HEADS_SEALED_NO_CHECK: Final = "the journal's ledger heads are sealed, but " + _NO_KEY_CHECK


def _seal_every_grant(store: Store, secret: bytes) -> None:
    """Write the seal of every grant the ledger counts (its ``grant`` head), a page at a time: the chain was just
    verified, so each is sealed as stored."""
    after = 0
    while True:
        page = store.grants_page(after, _HEADS_A_PAGE)
        store.set_ledger_heads([("grant", str(head.seq), sealed_head(secret, head)) for head in page])
        if len(page) < _HEADS_A_PAGE:
            return
        after = page[-1].seq


def _rewrite_heads(
    store: Store,
    rewrite: Callable[[list[tuple[Scope, str, LedgerHead, str | None]]], list[tuple[Scope, str, LedgerHead]]],
) -> int:
    """Every ledger head of ``store``, a page at a time, replaced by what ``rewrite`` makes of its page; how many
    heads of guests and incidents there were (a grant's own seal is no head of anyone's)."""
    count = 0
    where: tuple[Scope, str] | None = None
    while True:
        page = store.ledger_heads_page(where, _HEADS_A_PAGE)
        store.set_ledger_heads(rewrite(page))
        count += sum(1 for scope, *_ in page if scope != "grant")
        if len(page) < _HEADS_A_PAGE:
            return count
        where = page[-1][:2]


class _AppendingView(MarksErasures):
    """:meth:`Journal._as_appending`: each read in a read view of its own, as an append's ledger reads it."""

    __slots__ = ("_journal",)

    def __init__(self, journal: Journal) -> None:
        self._journal = journal

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
        return self._journal._granted(
            number, window=window, timezone=timezone, currency=currency, now=now, incident=incident, writing=True
        )

    def erasure(self, customer_id: str) -> Erasure | None:
        return self._journal.erasure(customer_id)

    def erasure_mark(self, customer_id: str) -> ErasureMark:
        return self._journal._erasure_mark(customer_id)
