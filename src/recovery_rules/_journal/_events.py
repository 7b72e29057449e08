"""What the journal records: ``Event``, and the values its queries return.

An event is one step of one case. It carries its position in the journal
(``seq``), its position in its case (``version``), the hash of the event before
it (``prev``) and its own hash: SHA-256 over the canonical JSON of every other
field (see ``_canonical.py``). Editing, removing or reordering stored events
therefore breaks the chain, which :meth:`Journal.verify` finds.

A grant event (format 2) also carries its :class:`LedgerEntry`: the guest's and
the incident's running totals after it, and links to their previous grants. The
ledger reads a window's total from two such hash-checked events instead of
summing rows it found through index columns nobody vouches for (see ``_ledger.py``).
Events of format 1 (written before running totals existed) read back and verify
as they were written.

An event of format 3 also records who acted (``employee``, an employee id, or
``None`` when the step was not given one) and the revision of the policy the
case follows (``policy_revision``), both in its hashed body. Events of formats 1
and 2 have neither in their body, read back with both ``None``, and verify
exactly as they were written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final, Self, cast

from pydantic import AfterValidator, AwareDatetime, Field, PlainValidator, PrivateAttr, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from recovery_rules._values._base import WORD, EmployeeId, RecoveryModel, Word
from recovery_rules._values._models import ComplaintNumber, NonNegativeMoney, canonical_number
from recovery_rules._values._money import Money, canonical_money, valid_money
from recovery_rules._values._time import exact_datetime
from recovery_rules._values._trusted import trusted_builder
from recovery_rules.exceptions import InvalidInputError, JournalIntegrityError

from ._canonical import (
    GENESIS,
    JSONValue,
    canonical_time,
    canonical_time_of,
    check_json,
    dumps,
    dumps_body,
    parse_canonical_time,
)

__all__ = [
    "FORMAT",
    "FORMATS",
    "WHO_AND_WHICH",
    "CaseSummary",
    "ChainHead",
    "Draft",
    "Event",
    "LedgerEntry",
    "RunningTotal",
    "Verification",
]

FORMAT: Final = 3
"""The version of the event format new events are written in, recorded in every event's hashed body as ``format``."""

FORMATS: Final = (1, 2, 3)
"""Every event format this release reads: 1 (no running totals), 2 (grants carry a :class:`LedgerEntry`) and 3
(every event records its ``employee`` and ``policy_revision``)."""

WHO_AND_WHICH: Final = 3
"""The first format whose events record ``employee`` and ``policy_revision``."""


_STORED: Final = "recovery_rules.stored"
"""Validation context key: the fields were read back from storage."""


def _utc(value: dt.datetime) -> dt.datetime:
    return exact_datetime(value).astimezone(dt.UTC)  # the time it holds: a subclass may write itself otherwise


def _hex64(value: str) -> str:
    if len(value) != 64 or value.strip("0123456789abcdef"):
        raise PydanticCustomError("hash", "must be 64 lower-case hexadecimal digits (a SHA-256)")
    return value


_PRINTABLE: Final = "".join(chr(code) for code in range(0x21, 0x7F))


def _key(value: str) -> str:
    if not 1 <= len(value) <= 200 or value.strip(_PRINTABLE):
        raise PydanticCustomError(
            "key", "must be 1 to 200 printable ASCII characters without spaces, such as a UUID or a request id"
        )
    return value


def _json_object(value: object, info: ValidationInfo) -> dict[str, JSONValue]:
    if not isinstance(value, Mapping):
        raise PydanticCustomError("json_object", "must be a JSON object (a mapping of names to values)")
    if isinstance(info.context, dict) and info.context.get(_STORED):
        # Read back from storage: the event's hash, checked next, vouches for content checked when written.
        return dict(value)
    try:
        checked = check_json(dict(value))
    except InvalidInputError as error:
        raise PydanticCustomError("json_object", error.problems[0].message) from None
    return checked  # type: ignore[return-value]  # a checked dict is a JSON object


UTCDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]
Hash = Annotated[str, AfterValidator(_hex64)]
IdempotencyKey = Annotated[str, AfterValidator(_key)]
if TYPE_CHECKING:
    from ._ledger import Ledger

    JSONObject = dict[str, JSONValue]
else:  # pydantic cannot build a schema for the recursive alias; the validator checks it instead
    JSONObject = Annotated[dict[str, Any], PlainValidator(_json_object)]

_TIMES: Final = ("at", "callback_due")


@dataclass(frozen=True, slots=True)
class Draft:
    """An event as a writer asks for it; the journal adds the position, the key and the hashes.

    - ``kind``: what happened (``listened``, ``decided``...); ``state``: the case's
      state after it; ``actor``: the authority level of who did it.
    - ``at``: when (timezone-aware; stored in UTC).
    - ``data``: the step's details, a JSON object (amounts as strings, no floats).
    - ``grant``: what this step granted the guest, if anything; the ledger sums these. A :class:`Money` of
      zero or more: anything else (a text, a number, a mapping, a Money changed behind its back) is
      refused by :meth:`Journal.append` with :class:`~recovery_rules.InvalidInputError` at ``grant``.
    - ``callback_due``: the callback the customer is owed after this step, if any.
    - ``incident``: the incident a grant counts against (the case's own number
      when omitted): a follow-up case of an earlier complaint names that one.
    - ``employee``: the id of the employee who took the step (``"E-0042"``), if given.
    - ``policy_revision``: the revision of the policy the step followed
      (:attr:`Policy.revision <recovery_rules.Policy.revision>`), if any.
    """

    kind: str
    state: str
    actor: str
    at: dt.datetime
    data: Mapping[str, JSONValue] = field(default_factory=dict)
    grant: Money | None = None
    callback_due: dt.datetime | None = None
    incident: ComplaintNumber | None = None
    employee: str | None = None
    policy_revision: str | None = None

    __hash__ = None  # type: ignore[assignment]  # its data is any mapping a writer gives: a draft does not hash


@dataclass(frozen=True, slots=True)
class BulkEntry:
    """One event for :meth:`Journal.append_many`: what :meth:`Journal.append` takes, as one value.

    ``build`` is a :class:`Draft` or a function of the ledger returning one;
    ``expected_version`` ``None`` makes it the next event of its case.
    """

    number: ComplaintNumber
    build: Draft | Callable[[Ledger], Draft]
    key: str
    request: Mapping[str, JSONValue] = field(default_factory=dict)
    expected_version: int | None = None

    __hash__ = None  # type: ignore[assignment]  # its request is any mapping, its draft does not hash


class RunningTotal(RecoveryModel):
    """What a guest (or an incident) was granted in all, up to and including one grant event.

    - ``count``: how many grants so far (this one included), from 1;
    - ``total``: their sum, in the grants' currency;
    - ``prev_seq`` and ``prev_hash``: the journal position and hash of the previous
      grant of the same guest (or incident); 0 and 64 zeros for the first.
    """

    _what: ClassVar[str] = "running total"

    count: Annotated[int, Field(ge=1)]
    total: NonNegativeMoney
    prev_seq: Annotated[int, Field(ge=0)]
    prev_hash: Hash

    def body(self) -> dict[str, JSONValue]:
        """This running total in canonical JSON values."""
        return {
            "count": self.count,
            "total": str(self.total.amount),
            "prev_seq": self.prev_seq,
            "prev_hash": self.prev_hash,
        }

    @classmethod
    def from_body(cls, body: object, currency: str) -> Self:
        """Read :meth:`body` back (the currency is the grant's)."""
        if not isinstance(body, Mapping):
            raise ValueError("a running total must be a JSON object")
        return cls(
            count=body.get("count"),  # type: ignore[arg-type]  # validated by the model
            total=Money(body.get("total"), currency),  # type: ignore[arg-type]  # validated by Money
            prev_seq=body.get("prev_seq"),  # type: ignore[arg-type]  # validated by the model
            prev_hash=body.get("prev_hash"),  # type: ignore[arg-type]  # validated by the model
        )


class LedgerEntry(RecoveryModel):
    """How the ledger counts one grant event: sealed into the event with it.

    - ``at``: when the ledger counts the grant: the event's time, or the guest's
      previous grant's if that is later (a clock running behind cannot move a
      grant out of a window the guest's earlier grants are in);
    - ``incident``: the incident the grant counts against;
    - ``guest``: the guest's running total after this grant;
    - ``incident_total``: the incident's running total after this grant.

    A window's total is then the difference of two running totals, and a grant
    deleted or edited below them cannot make the ledger count less.
    """

    _what: ClassVar[str] = "ledger entry"

    at: UTCDatetime
    incident: ComplaintNumber
    guest: RunningTotal
    incident_total: RunningTotal

    def body(self) -> dict[str, JSONValue]:
        """This entry in canonical JSON values."""
        return {
            "at": canonical_time(self.at),
            "incident": str(self.incident),
            "guest": self.guest.body(),
            "incident_total": self.incident_total.body(),
        }

    @classmethod
    def from_body(cls, body: object, currency: str) -> Self:
        """Read :meth:`body` back (the currency is the grant's)."""
        if not isinstance(body, Mapping):
            raise ValueError("a ledger entry must be a JSON object")
        at = body.get("at")
        incident = body.get("incident")
        if not isinstance(incident, str):
            raise ValueError("a ledger entry's incident must be a complaint number")
        return cls(
            at=parse_canonical_time(at),  # type: ignore[arg-type]  # checked inside
            incident=ComplaintNumber.parse(incident),
            guest=RunningTotal.from_body(body.get("guest"), currency),
            incident_total=RunningTotal.from_body(body.get("incident_total"), currency),
        )


class Event(RecoveryModel):
    """One recorded step of one case, sealed into the hash chain.

    - ``seq``: position in the journal, from 1 with no gaps; ``version``: position
      in its case, from 1 with no gaps; ``number``: the case's complaint number.
    - ``kind``, ``state``, ``actor``, ``at``, ``data``, ``grant``, ``callback_due``:
      as in :class:`Draft` (times in UTC).
    - ``key``: the idempotency key of the request that recorded it; ``request``:
      the SHA-256 of that request's canonical content.
    - ``ledger``: for a grant (format 2), the :class:`LedgerEntry` that counts it;
      ``None`` for every other event.
    - ``employee``: the id of the employee who took the step (``"E-0042"``), ``None``
      when none was given; ``policy_revision``: the revision of the policy the
      case followed (:attr:`Policy.revision <recovery_rules.Policy.revision>`).
      Both are in the hashed body of an event of format 3; an event written
      before (format 1 or 2) has ``None`` for both.
    - ``prev``: the hash of event ``seq - 1`` (64 zeros for the first);
      ``hash``: SHA-256 of the canonical JSON of :meth:`body`.
    - ``format``: the layout the event was written in (:data:`FORMATS`).
    """

    _what: ClassVar[str] = "journal event"

    seq: Annotated[int, Field(ge=1)]
    number: ComplaintNumber
    version: Annotated[int, Field(ge=1)]
    kind: Word
    state: Word
    actor: Word
    at: UTCDatetime
    key: IdempotencyKey
    request: Hash
    data: JSONObject
    grant: NonNegativeMoney | None = None
    callback_due: UTCDatetime | None = None
    ledger: LedgerEntry | None = None
    employee: EmployeeId | None = None
    policy_revision: Hash | None = None
    prev: Hash
    hash: Hash
    format: Annotated[int, Field(ge=1, le=FORMAT)] = FORMAT
    _stored_data: dict[str, JSONValue] | None = PrivateAttr(default=None)
    """``data`` as stored and hashed, when it differs from ``data``: personal fields sealed (see ``_privacy.py``)."""

    def __hash__(self) -> int:
        # Its data is a dict, which does not hash; its SHA-256 names it: equal events have the same one.
        return hash(self.hash)

    @model_validator(mode="after")
    def _ledger_matches_grant(self) -> Self:
        problem = _ledger_problem(self)
        if problem is not None:
            raise ValueError(problem)
        return self

    @property
    def customer_id(self) -> str:
        """The customer number, from the complaint number."""
        return self.number.customer_id

    def body(self) -> dict[str, JSONValue]:
        """Every field but ``hash``, in canonical JSON values: what the hash is computed over."""
        body: dict[str, JSONValue] = {
            "format": self.format,
            "seq": self.seq,
            "number": str(self.number),
            "version": self.version,
            "kind": self.kind,
            "state": self.state,
            "actor": self.actor,
            "at": canonical_time(self.at),
            "key": self.key,
            "request": self.request,
            "data": self.stored_data,
            "grant": None
            if self.grant is None
            else {"amount": str(self.grant.amount), "currency": self.grant.currency},
            "callback_due": None if self.callback_due is None else canonical_time(self.callback_due),
            "prev": self.prev,
        }
        if self.format >= 2:
            body["ledger"] = None if self.ledger is None else self.ledger.body()
        if self.format >= WHO_AND_WHICH:
            body["employee"] = self.employee
            body["policy_revision"] = self.policy_revision
        return body

    def _stored_record(self) -> dict[str, JSONValue]:
        """:meth:`body` with ``data`` and ``ledger`` as their canonical JSON text, each made once (``data``
        serialized once, the times written once): the record a backend stores, but for its ``hash``."""
        at = canonical_time(self.at)
        grant, ledger = self.grant, self.ledger
        record: dict[str, JSONValue] = {
            "format": self.format,
            "seq": self.seq,
            "number": str(self.number),
            "version": self.version,
            "kind": self.kind,
            "state": self.state,
            "actor": self.actor,
            "at": at,
            "key": self.key,
            "request": self.request,
            "data": dumps(self.stored_data).decode("utf-8"),
            "grant": None if grant is None else {"amount": str(grant.amount), "currency": grant.currency},
            "callback_due": None if self.callback_due is None else canonical_time(self.callback_due),
            "prev": self.prev,
        }
        if self.format >= 2:
            record["ledger"] = None if ledger is None else ledger_text(ledger, at if ledger.at == self.at else None)
        if self.format >= WHO_AND_WHICH:
            record["employee"] = self.employee
            record["policy_revision"] = self.policy_revision
        return record

    @property
    def stored_data(self) -> dict[str, JSONValue]:
        """``data`` as the journal stores and hashes it: in a journal that encrypts personal data, each
        personal field sealed (``{"sealed": "aes-256-gcm", ...}``); otherwise ``data`` itself."""
        private = self.__pydantic_private__  # read directly: through the attribute, pydantic looks it up slowly
        stored: dict[str, JSONValue] | None = None if private is None else private.get("_stored_data")
        return self.data if stored is None else stored

    def with_data(self, data: Mapping[str, JSONValue]) -> Self:
        """This event with ``data`` read as ``data`` (personal fields opened or erased), hashed as stored."""
        stored = self.stored_data
        event = self.model_copy(update={"data": dict(data)})
        event._stored_data = stored
        return event

    def computed_hash(self) -> str:
        """The hash this event's content has (equal to ``hash`` unless it was edited)."""
        return hashlib.sha256(dumps(self.body())).hexdigest()

    def record(self) -> dict[str, JSONValue]:
        """The form backends store: :meth:`body` plus ``hash``."""
        return {**self.body(), "hash": self.hash}

    @classmethod
    def seal(
        cls,
        draft: Draft,
        *,
        seq: int,
        number: ComplaintNumber,
        version: int,
        key: str,
        request: str,
        prev: str,
        ledger: LedgerEntry | None = None,
    ) -> Self:
        """Make the event of ``draft`` at journal position ``seq``, after the event whose hash is ``prev``.

        A grant needs its ``ledger`` entry (the journal works it out from the guest's earlier grants).
        """
        fields: dict[str, Any] = {
            "seq": seq,
            "number": number,
            "version": version,
            "kind": draft.kind,
            "state": draft.state,
            "actor": draft.actor,
            "at": draft.at,
            "key": key,
            "request": request,
            "data": dict(draft.data),
            "grant": draft.grant,
            "callback_due": draft.callback_due,
            "ledger": ledger,
            "employee": draft.employee,
            "policy_revision": draft.policy_revision,
            "prev": prev,
            "hash": GENESIS,  # replaced below, once the body is known
        }
        unsealed = cls(**fields)
        return unsealed.model_copy(update={"hash": unsealed.computed_hash()})

    @classmethod
    def sealed(
        cls,
        draft: Draft,
        *,
        seq: int,
        number: ComplaintNumber,
        version: int,
        key: str,
        request: str,
        prev: str,
        ledger: LedgerEntry | None = None,
        stored_data: Mapping[str, JSONValue] | None = None,
        checked_data: dict[str, JSONValue] | None = None,
    ) -> tuple[Self, dict[str, JSONValue]]:
        """:meth:`seal`, and the record a backend stores, each value serialized once.

        The record holds ``data`` and ``ledger`` as their canonical JSON text, and
        its hash is computed over the body put together from those texts: the
        very bytes :meth:`Journal.verify` puts together again from what is stored.
        ``stored_data``: ``data`` as stored (personal fields sealed), when it differs from the draft's.
        ``checked_data``: a copy of ``draft.data`` that :func:`check_json` accepted (the journal checks the draft's
        data first), which becomes the event's ``data`` without being walked again.
        """
        fields: dict[str, Any] = {
            "seq": seq,
            "number": number,
            "version": version,
            "kind": draft.kind,
            "state": draft.state,
            "actor": draft.actor,
            "at": draft.at,
            "key": key,
            "request": request,
            "data": dict(draft.data) if checked_data is None else checked_data,
            "grant": draft.grant,
            "callback_due": draft.callback_due,
            "ledger": ledger,
            "employee": draft.employee,
            "policy_revision": draft.policy_revision,
            "prev": prev,
            "hash": GENESIS,  # replaced below, once the body is known
        }
        # Each value is checked once, here, as validating the model would check it; the model is then built
        # from the checked values without validating them again. Anything the quick checks do not accept
        # (a problem to report, an unusual type) goes the validating way, which says exactly what is wrong.
        checked = _checked_event(dict(fields), data_checked=checked_data is not None) if cls is Event else None
        unsealed = cls(**fields) if checked is None else cast("Self", checked)
        if stored_data is not None:
            unsealed._stored_data = dict(stored_data)
        record = unsealed._stored_record()
        hash_ = hashlib.sha256(dumps_body(record)).hexdigest()
        record["hash"] = hash_
        unsealed.__dict__["hash"] = hash_  # made just above and not yet shared: sealed in place, not copied
        return unsealed, record

    @classmethod
    def from_record(cls, record: Mapping[str, object], *, position: int) -> Self:
        """Read a stored record back; :class:`JournalIntegrityError` if it was edited or cannot be read.

        ``position`` is where the record was found, reported when the record's own
        ``seq`` cannot be trusted. A record may carry index columns some backends
        keep (``customer_id``, ``ledger_at``, ``incident``): each must agree with
        the event itself.
        """
        seq = record.get("seq")
        where = seq if isinstance(seq, int) and not isinstance(seq, bool) else position
        try:
            format_ = record.get("format")
            if format_ not in FORMATS or isinstance(format_, bool):
                raise ValueError(f"its format is {format_!r}, not one of {', '.join(map(str, FORMATS))}")
            fields = {name: record.get(name) for name in cls.model_fields if name != "ledger"}
            if isinstance(fields["data"], str):
                fields["data"] = json.loads(fields["data"])
            for name in _TIMES:
                text = fields[name]
                if text is not None:
                    fields[name] = parse_canonical_time(text)  # type: ignore[arg-type]  # checked inside
            ledger = record.get("ledger")
            if isinstance(ledger, str):
                ledger = json.loads(ledger)
            if ledger is not None:
                grant = record.get("grant")
                currency = grant.get("currency") if isinstance(grant, Mapping) else None
                fields["ledger"] = LedgerEntry.from_body(ledger, currency)  # type: ignore[arg-type]  # checked
            event = cls.model_validate(fields, context={_STORED: True})
        except (InvalidInputError, ValueError, TypeError, RecursionError) as error:
            raise JournalIntegrityError(where, f"it cannot be read ({_first_line(error)})") from None
        body = event.body()
        if hashlib.sha256(dumps(body)).hexdigest() != event.hash:
            raise JournalIntegrityError(event.seq, "its content does not match its hash: it was edited")
        for name, canonical in body.items():
            stored = record.get(name)
            text = name in _JSON_TEXT and isinstance(stored, str)
            value = dumps(canonical).decode("utf-8") if text else canonical
            if stored != value or type(stored) is not type(value):
                raise JournalIntegrityError(event.seq, f"its {name} is not stored in its one canonical spelling")
        if event.format == 1 and record.get("ledger") is not None:
            raise JournalIntegrityError(event.seq, "its ledger is not stored in its one canonical spelling")
        for name, value in event.index_columns().items():
            if name in record and record[name] != value:
                raise JournalIntegrityError(event.seq, f"its {_INDEXES[name]} does not match the event")
        return event

    def index_columns(self) -> dict[str, str | None]:
        """The values of the index columns a backend may keep beside the event, from the event itself."""
        ledger = self.ledger
        return {
            "customer_id": self.customer_id,
            "ledger_at": None if ledger is None else canonical_time(ledger.at),
            "incident": None if ledger is None else str(ledger.incident),
        }


def _ledger_problem(event: Event) -> str | None:
    """What is wrong with ``event``'s grant, ledger entry and format taken together (``None``: nothing)."""
    if event.format < WHO_AND_WHICH and (event.employee is not None or event.policy_revision is not None):
        return f"an event of format {event.format} records neither an employee nor a policy revision"
    if event.format == 1:
        return None if event.ledger is None else "an event of format 1 has no ledger entry"
    if (event.grant is None) != (event.ledger is None):
        if event.ledger is None:  # a grant sealed by hand (release 0.1.0's docs did): its entry is the ledger's
            return (
                "a grant event, and only a grant event, has a ledger entry: append it through Journal.append, whose "
                "ledger writes the entry (running totals), or pass ledger= from that ledger to Event.seal"
            )
        return "a grant event, and only a grant event, has a ledger entry"
    if event.ledger is not None and event.grant is not None:
        ledger = event.ledger
        if ledger.incident.customer_id != event.number.customer_id:
            return "a grant counts against an incident of its own customer"
        for running in (ledger.guest, ledger.incident_total):
            if running.total.currency != event.grant.currency or running.total < event.grant:
                return "a running total includes its own grant, in the grant's currency"
            if running.prev_seq >= event.seq or (running.prev_seq == 0) != (running.count == 1):
                return "a running total links to an earlier grant, or none for the first"
    return None


_HASH_TEXT: Final = re.compile("[0-9a-f]{64}")
"""A SHA-256 as the journal writes it (one ``fullmatch`` costs half of stripping the text of hexadecimal digits)."""


def _is_word(value: object) -> bool:
    return type(value) is str and WORD.fullmatch(value) is not None


def is_hash(value: object) -> bool:
    """Whether ``value`` is a SHA-256 as the journal writes it: 64 lower-case hexadecimal digits."""
    return type(value) is str and _HASH_TEXT.fullmatch(value) is not None


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 1


def _is_aware(value: object) -> bool:
    return type(value) is dt.datetime and value.utcoffset() is not None


def _is_text_id(value: object, longest: int) -> bool:
    """Whether ``value`` is 1 to ``longest`` printable ASCII characters without spaces (what ``_key`` accepts:
    nothing left once stripped of ``_PRINTABLE``), asked of the text in three calls that do not search a set."""
    return (
        type(value) is str
        and 1 <= len(value) <= longest
        and value.isascii()
        and value.isprintable()
        and " " not in value
    )


def _checked_event(fields: dict[str, Any], *, data_checked: bool = False) -> Event | None:
    """The :class:`Event` of ``fields`` (those :meth:`Event.sealed` gives) if they pass every check validating
    an :class:`Event` makes; else ``None``.

    The same checks, on the same values, made directly: times are turned to UTC in ``fields`` as the model
    would turn them, ``data`` is checked to be JSON (:func:`check_json`), the grant must be exactly a
    :class:`Money` holding a valid amount, not negative, the ledger entry one the journal built (a :class:`LedgerEntry`,
    which pydantic does not validate again either), and grant, ledger and format must agree. ``None`` when
    any check fails, or a value is of a type (a subclass) the model would convert: the caller then validates.
    ``fields`` becomes the event's own: the caller must not use it again. ``data_checked``: ``fields["data"]``
    is a copy :func:`check_json` already accepted (not walked again).
    """
    grant, callback = fields["grant"], fields["callback_due"]
    ledger, employee, revision = fields["ledger"], fields["employee"], fields["policy_revision"]
    if not (
        _is_count(fields["seq"])
        and _is_count(fields["version"])
        and type(fields["number"]) is ComplaintNumber
        and _is_word(fields["kind"])
        and _is_word(fields["state"])
        and _is_word(fields["actor"])
        and _is_aware(fields["at"])
        and _is_text_id(fields["key"], 200)
        and is_hash(fields["request"])
        and is_hash(fields["prev"])
        and (callback is None or _is_aware(callback))
        and (grant is None or valid_money(grant, non_negative=True))
        and (ledger is None or type(ledger) is LedgerEntry)
        and (employee is None or _is_text_id(employee, 64))
        and (revision is None or is_hash(revision))
    ):
        return None
    try:
        if not data_checked:
            check_json(fields["data"])
        fields["at"] = fields["at"].astimezone(dt.UTC)
        if callback is not None:
            fields["callback_due"] = callback.astimezone(dt.UTC)
    except (InvalidInputError, OverflowError):
        return None
    fields["format"] = FORMAT
    event = _trusted_event(fields)
    return event if _ledger_problem(event) is None else None


def ledger_text(entry: LedgerEntry, at: str | None = None) -> str:
    """The canonical JSON text of ``entry.body()`` (``at``: its time's canonical text, when already written).

    Written out directly: every value in it is a number, a hash, a canonical time, a complaint number or an
    amount, none of which JSON escapes, and the keys are in their canonical order.
    """
    if type(entry) is not LedgerEntry:  # a subclass may write its body otherwise
        return dumps(entry.body()).decode("utf-8")
    at_text = canonical_time(entry.at) if at is None else at
    guest, same = entry.guest, entry.incident_total
    return (
        f'{{"at":"{at_text}","guest":{{"count":{guest.count},"prev_hash":"{guest.prev_hash}",'
        f'"prev_seq":{guest.prev_seq},"total":"{guest.total.amount!s}"}},"incident":"{entry.incident!s}",'
        f'"incident_total":{{"count":{same.count},"prev_hash":"{same.prev_hash}","prev_seq":{same.prev_seq},'
        f'"total":"{same.total.amount!s}"}}}}'
    )


_JSON_TEXT: Final = frozenset({"data", "ledger"})
"""The fields a backend may store as their canonical JSON text."""

_INDEXES: Final = {
    "customer_id": "customer index",
    "ledger_at": "ledger time index",
    "incident": "incident index",
}


_trusted_event: Final = trusted_builder(
    Event,
    frozenset(Event.model_fields) - {"format"},  # what Event(...) reports as set: every field but the default one
    {
        "seq": 1,
        "number": ComplaintNumber(dt.date(2026, 1, 1), "C1"),
        "version": 1,
        "kind": "opened",
        "state": "open",
        "actor": "staff",
        "at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        "key": "sample",
        "request": GENESIS,
        "data": {},
        "grant": None,
        "callback_due": None,
        "ledger": None,
        "employee": None,
        "policy_revision": None,
        "prev": GENESIS,
        "hash": GENESIS,
        "format": FORMAT,
    },
)
"""An :class:`Event` from the values of every field, in field order, already checked (see :func:`_checked_event`)."""


_trusted_running: Final = trusted_builder(
    RunningTotal,
    frozenset(RunningTotal.model_fields),
    {"count": 1, "total": Money("1.00", "USD"), "prev_seq": 0, "prev_hash": GENESIS},
)
_trusted_entry: Final = trusted_builder(
    LedgerEntry,
    frozenset(LedgerEntry.model_fields),
    {
        "at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        "incident": ComplaintNumber(dt.date(2026, 1, 1), "C1"),
        "guest": _trusted_running({"count": 1, "total": Money("1.00", "USD"), "prev_seq": 0, "prev_hash": GENESIS}),
        "incident_total": _trusted_running(
            {"count": 1, "total": Money("1.00", "USD"), "prev_seq": 0, "prev_hash": GENESIS}
        ),
    },
)


def _is_amount(value: object) -> bool:
    """Whether ``value`` is exactly a :class:`Money` holding a valid amount, not negative."""
    return valid_money(value, non_negative=True)


def running_total(count: int, total: Money, prev_seq: int, prev_hash: str) -> RunningTotal:
    """``RunningTotal(...)`` of these values: built without validating them again when they pass its checks."""
    valid = type(count) is int and count >= 1 and type(prev_seq) is int and prev_seq >= 0
    if valid and is_hash(prev_hash) and _is_amount(total):
        return _trusted_running({"count": count, "total": total, "prev_seq": prev_seq, "prev_hash": prev_hash})
    return RunningTotal(count=count, total=total, prev_seq=prev_seq, prev_hash=prev_hash)


def ledger_entry(
    at: dt.datetime, incident: ComplaintNumber, guest: RunningTotal, incident_total: RunningTotal
) -> LedgerEntry:
    """``LedgerEntry(...)`` of these values: built without validating them again when they pass its checks."""
    built = type(guest) is RunningTotal and type(incident_total) is RunningTotal
    if built and _is_aware(at) and type(incident) is ComplaintNumber:
        with contextlib.suppress(OverflowError):
            values = {"at": at.astimezone(dt.UTC), "incident": incident, "guest": guest}
            return _trusted_entry({**values, "incident_total": incident_total})
    return LedgerEntry(at=at, incident=incident, guest=guest, incident_total=incident_total)


@dataclass(frozen=True, slots=True)
class GrantRow:
    """What the ledger reads of a stored grant event, read from its row once the row's hash is checked.

    The ledger needs only these: where the grant is (``seq``), its ``hash``, whose it is (``customer_id``),
    the amount (``grant``) and its :class:`LedgerEntry` (``ledger``). :func:`grant_row` reads them without
    building the whole :class:`Event` (its ``data`` is never parsed: the hash covers it).
    """

    seq: int
    hash: str
    customer_id: str
    grant: Money
    ledger: LedgerEntry


_ROW_TEXTS: Final = ("kind", "state", "actor")


def grant_row(record: Mapping[str, object]) -> GrantRow | None:
    """The ledger's reading of the stored grant ``record``, if its row-level check passes; else ``None``.

    The check: the row's canonical body, put together from its stored columns as they are (as
    :meth:`Journal.verify` does), hashes to its stored hash; every column but ``data`` (which the hash
    covers, and the ledger never reads) holds a value an :class:`Event` accepts, in its one canonical
    spelling; the grant's amount, ledger entry and running totals are read and checked as
    :meth:`Event.from_record` checks them (a valid, non-negative amount; totals in the grant's currency
    that include it and link to earlier grants); and the index columns a backend keeps (``customer_id``,
    ``ledger_at``, ``incident``) agree with the event. ``None`` when anything differs or the record is not
    stored as text (a memory journal's): :meth:`Event.from_record` then checks it whole, and says exactly
    what is wrong.
    """
    try:
        return _grant_row(record)
    except (InvalidInputError, ValueError, TypeError, KeyError, AttributeError, OverflowError):
        return None


def _grant_row(record: Mapping[str, object]) -> GrantRow | None:
    format_, version, number = record["format"], record["version"], record["number"]
    grant, ledger_text_stored, hash_ = record["grant"], record["ledger"], record["hash"]
    seq = record["seq"]
    if type(seq) is not int or seq < 1 or type(format_) is not int or format_ not in (2, 3):
        return None
    if not _is_count(version):
        return None
    if type(ledger_text_stored) is not str or type(record["data"]) is not str or type(grant) is not dict:
        return None
    if not is_hash(hash_) or hashlib.sha256(dumps_body(record)).hexdigest() != hash_:
        return None
    if not all(_is_word(record[name]) for name in _ROW_TEXTS) or not _is_text_id(record["key"], 200):
        return None
    if not (is_hash(record["request"]) and is_hash(record["prev"])):
        return None
    employee, revision = record.get("employee"), record.get("policy_revision")
    if format_ < WHO_AND_WHICH and (employee is not None or revision is not None):
        return None
    if not (employee is None or _is_text_id(employee, 64)) or not (revision is None or is_hash(revision)):
        return None
    callback = record["callback_due"]
    if canonical_time_of(record["at"]) is None or (callback is not None and canonical_time_of(callback) is None):
        return None
    parsed = canonical_number(number)
    if parsed is None or ("customer_id" in record and record["customer_id"] != parsed.customer_id):
        return None
    currency = grant.get("currency")
    amount = canonical_money(grant.get("amount"), currency)
    if amount is None or len(grant) != 2:
        return None
    read = _entry_of(ledger_text_stored, seq, amount, currency, (number, parsed))
    if read is None:
        return None
    entry, at_text, incident_text = read
    if entry.incident.customer_id != parsed.customer_id:
        return None
    if "ledger_at" in record and record["ledger_at"] != at_text:
        return None
    if "incident" in record and record["incident"] != incident_text:
        return None
    return GrantRow(seq=seq, hash=hash_, customer_id=parsed.customer_id, grant=amount, ledger=entry)


def sealed_grant_row(seq: int, hash_: str, amount_text: str, currency: str, ledger: str) -> GrantRow | None:
    """The :class:`GrantRow` of a sealed ledger head's values (``None`` if any is not in its canonical spelling).

    The grant's amount in ``currency`` and its ledger entry's text are read as :func:`grant_row` reads them from
    an event's row; the customer is the incident's.
    """
    amount = canonical_money(amount_text, currency)
    if amount is None or type(seq) is not int or seq < 1 or not is_hash(hash_):
        return None
    read = _entry_of(ledger, seq, amount, currency, None)
    if read is None:
        return None
    entry = read[0]
    return GrantRow(seq=seq, hash=hash_, customer_id=entry.incident.customer_id, grant=amount, ledger=entry)


def _entry_of(
    text: str, seq: int, amount: Money, currency: object, known: tuple[object, ComplaintNumber] | None
) -> tuple[LedgerEntry, str, str] | None:
    """The ledger entry of stored ``text``, with its time's and incident's texts, if it is spelt canonically.

    Read where its one canonical spelling (what :func:`ledger_text` writes) puts each value: a text spelt any
    other way does not match. ``known``: a complaint number's text and its value, not read twice.
    """
    spelt = _LEDGER_TEXT.fullmatch(text)
    if spelt is None:
        return None
    at_text, incident_text = spelt["at"], spelt["incident"]
    at = canonical_time_of(at_text)
    if at is None:
        return None
    incident = known[1] if known is not None and incident_text == known[0] else canonical_number(incident_text)
    if incident is None:
        return None
    guest = _running_of(spelt.group("count", "prev_hash", "prev_seq", "total"), currency, seq, amount)
    incident_total = _running_of(spelt.group("i_count", "i_prev_hash", "i_prev_seq", "i_total"), currency, seq, amount)
    if guest is None or incident_total is None:
        return None
    entry = _trusted_entry({"at": at, "incident": incident, "guest": guest, "incident_total": incident_total})
    return entry, at_text, incident_text


def _running_of(texts: tuple[str, ...], currency: object, seq: int, grant: Money) -> RunningTotal | None:
    """A running total read from its stored ``texts`` (count, previous hash, previous seq, total, each in its
    canonical spelling), checked as :class:`RunningTotal` and the event check it: in the grant's currency,
    including the grant, linked to an earlier grant (or none for the first)."""
    count_text, prev_hash, prev_seq_text, total_text = texts
    total = canonical_money(total_text, currency)
    if total is None:
        return None
    count, prev_seq = int(count_text), int(prev_seq_text)
    if count < 1 or not 0 <= prev_seq < seq or (prev_seq == 0) != (count == 1) or total.amount < grant.amount:
        return None
    # Each value checked just above (the hash by the pattern, the total by canonical_money): built as it is.
    return _trusted_running({"count": count, "total": total, "prev_seq": prev_seq, "prev_hash": prev_hash})


_LEDGER_TEXT: Final = re.compile(
    # A count or seq as JSON writes an integer (no leading zero), of at most 18 digits (a journal position).
    (
        r'\{"at":"(?P<at>[^"]{27})",'
        r'"guest":\{"count":(?P<count>COUNT),"prev_hash":"(?P<prev_hash>[0-9a-f]{64})",'
        r'"prev_seq":(?P<prev_seq>COUNT),"total":"(?P<total>[0-9.]{1,40})"\},'
        r'"incident":"(?P<incident>[^"]{1,80})",'
        r'"incident_total":\{"count":(?P<i_count>COUNT),"prev_hash":"(?P<i_prev_hash>[0-9a-f]{64})",'
        r'"prev_seq":(?P<i_prev_seq>COUNT),"total":"(?P<i_total>[0-9.]{1,40})"\}\}'
    ).replace("COUNT", "0|[1-9][0-9]{0,17}")
)
"""A ledger entry's text as :func:`ledger_text` writes it; each value is then checked to be in its one spelling
(the time by :func:`canonical_time_of`, the number by :func:`canonical_number`, the totals by
:func:`canonical_money`; the counts and hashes by this pattern)."""


LAST_POSITION: Final = 2**63 - 1
"""The highest position (and version) a journal can hold: SQLite's and PostgreSQL's largest integer."""

POSITIONS: Final = f"from 0 to {LAST_POSITION} (2**63 - 1, the highest position a journal can hold)"
"""The range of a position, a version or a count given to a journal, as its messages say it."""


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0]


class ChainHead(RecoveryModel):
    """Where a journal's chain ends: how many events it holds and the hash of the last one.

    Save it somewhere the journal's writers cannot change (a log, a ticket, a
    signed e-mail); later, ``journal.verify(expected_head=head)`` proves that
    the journal still holds those events unchanged, so a cut-off tail is found
    even when the journal's table of cases was rewritten to hide it. Its text form is ``count:hash``.
    """

    _what: ClassVar[str] = "chain head"

    count: Annotated[int, Field(ge=0)]
    hash: Hash

    @classmethod
    def empty(cls) -> Self:
        """The head of an empty journal: no events, and the hash the first event links to (64 zeros).

        Where a walk along the chain starts: the first event's ``prev`` is this
        head's ``hash``, and ``journal.head()`` of a journal without events equals it.
        """
        return cls(count=0, hash=GENESIS)

    @classmethod
    def parse(cls, text: str) -> Self:
        """Read the ``count:hash`` form."""
        count, _, hash_ = text.partition(":") if isinstance(text, str) else ("", "", "")
        if not count.isdigit() or not count.isascii() or not hash_:
            raise InvalidInputError.at("chain head", "", "write it as count:hash, such as 12:9f86d0...")
        digits = count.lstrip("0") or "0"  # never more digits than a position has turned into an int
        if len(digits) > len(str(LAST_POSITION)) or int(digits) > LAST_POSITION:  # as Journal.verify says it
            raise InvalidInputError.at(
                "chain head",
                "count",
                f"is out of range: the count of events is an integer {POSITIONS}; give the head as it was saved",
            )
        return cls(count=int(digits), hash=hash_)

    def __str__(self) -> str:
        return f"{self.count}:{self.hash}"


def well_formed_head(head: ChainHead) -> bool:
    """Whether ``head`` holds what a :class:`ChainHead` holds when built: a count, exactly an ``int`` of 0 or
    more, and a hash of exactly 64 lower-case hexadecimal digits.

    One built past validation (``model_construct``, ``object.__setattr__``) may lack a field, or hold a ``str``
    subclass that says it equals any hash: a check against it would pass for a head the journal never had.
    """
    count, hash_ = getattr(head, "count", None), getattr(head, "hash", None)
    return type(count) is int and count >= 0 and is_hash(hash_)


class Verification(RecoveryModel):
    """What :meth:`Journal.verify` found.

    - ``ok``: every event is intact and in place (and the expected head, if one
      was given, is still there).
    - ``count``: how many events were checked and found good, from the first;
      ``head``: the chain head after them.
    - ``first_bad``: the journal position of the first bad event, and
      ``problem`` what is wrong with it (both ``None`` when ``ok``).
    """

    _what: ClassVar[str] = "verification"

    ok: bool
    count: int
    head: ChainHead
    first_bad: int | None = None
    problem: str | None = None

    def raise_for_problem(self) -> None:
        """Raise :class:`~recovery_rules.JournalIntegrityError` naming the first bad event, unless ``ok``."""
        if not self.ok:
            raise JournalIntegrityError(self.first_bad or self.count + 1, self.problem or "it is bad")


class CaseSummary(RecoveryModel):
    """One case as the journal's latest event of it says: for listings and schedulers.

    ``callback_by`` is the callback the customer is still owed, if any; the
    case's callback is overdue when it is earlier than now.
    """

    _what: ClassVar[str] = "case summary"

    number: ComplaintNumber
    state: str
    version: int
    opened_at: UTCDatetime
    last_at: UTCDatetime
    callback_by: UTCDatetime | None = None
