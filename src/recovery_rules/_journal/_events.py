"""What the journal records: ``Event``, and the values its queries return.

An event is one step of one case. It carries its position in the journal
(``seq``), its position in its case (``version``), the hash of the event before
it (``prev``) and its own hash: SHA-256 over the canonical JSON of every other
field (see ``_canonical.py``). Editing, removing or reordering stored events
therefore breaks the chain, which :meth:`Journal.verify` finds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final, Self

from pydantic import AfterValidator, AwareDatetime, Field, PlainValidator, ValidationInfo
from pydantic_core import PydanticCustomError

from recovery_rules._base import RecoveryModel, Word
from recovery_rules._models import ComplaintNumber, NonNegativeMoney
from recovery_rules._money import Money
from recovery_rules.exceptions import InvalidInputError, JournalIntegrityError, Problem

from ._canonical import GENESIS, JSONValue, canonical_time, check_json, dumps, parse_canonical_time

__all__ = ["FORMAT", "CaseSummary", "ChainHead", "Draft", "Event", "Verification"]

FORMAT: Final = 1
"""The version of the event format, recorded in every event's hashed body as ``format``."""


_STORED: Final = "recovery_rules.stored"
"""Validation context key: the fields were read back from storage."""


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


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
    - ``grant``: what this step granted the guest, if anything; the ledger sums these.
    - ``callback_due``: the callback the customer is owed after this step, if any.
    """

    kind: str
    state: str
    actor: str
    at: dt.datetime
    data: Mapping[str, JSONValue] = field(default_factory=dict)
    grant: Money | None = None
    callback_due: dt.datetime | None = None


class Event(RecoveryModel):
    """One recorded step of one case, sealed into the hash chain.

    - ``seq``: position in the journal, from 1 with no gaps; ``version``: position
      in its case, from 1 with no gaps; ``number``: the case's complaint number.
    - ``kind``, ``state``, ``actor``, ``at``, ``data``, ``grant``, ``callback_due``:
      as in :class:`Draft` (times in UTC).
    - ``key``: the idempotency key of the request that recorded it; ``request``:
      the SHA-256 of that request's canonical content.
    - ``prev``: the hash of event ``seq - 1`` (64 zeros for the first);
      ``hash``: SHA-256 of the canonical JSON of :meth:`body`.
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
    prev: Hash
    hash: Hash

    @property
    def customer_id(self) -> str:
        """The customer number, from the complaint number."""
        return self.number.customer_id

    def body(self) -> dict[str, JSONValue]:
        """Every field but ``hash``, in canonical JSON values: what the hash is computed over."""
        return {
            "format": FORMAT,
            "seq": self.seq,
            "number": str(self.number),
            "version": self.version,
            "kind": self.kind,
            "state": self.state,
            "actor": self.actor,
            "at": canonical_time(self.at),
            "key": self.key,
            "request": self.request,
            "data": self.data,
            "grant": None
            if self.grant is None
            else {"amount": str(self.grant.amount), "currency": self.grant.currency},
            "callback_due": None if self.callback_due is None else canonical_time(self.callback_due),
            "prev": self.prev,
        }

    def computed_hash(self) -> str:
        """The hash this event's content has (equal to ``hash`` unless it was edited)."""
        return hashlib.sha256(dumps(self.body())).hexdigest()

    def record(self) -> dict[str, JSONValue]:
        """The form backends store: :meth:`body` plus ``hash``."""
        return {**self.body(), "hash": self.hash}

    @classmethod
    def seal(
        cls, draft: Draft, *, seq: int, number: ComplaintNumber, version: int, key: str, request: str, prev: str
    ) -> Self:
        """Make the event of ``draft`` at journal position ``seq``, after the event whose hash is ``prev``."""
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
            "prev": prev,
            "hash": GENESIS,  # replaced below, once the body is known
        }
        unsealed = cls(**fields)
        return unsealed.model_copy(update={"hash": unsealed.computed_hash()})

    @classmethod
    def from_record(cls, record: Mapping[str, object], *, position: int) -> Self:
        """Read a stored record back; :class:`JournalIntegrityError` if it was edited or cannot be read.

        ``position`` is where the record was found, reported when the record's own
        ``seq`` cannot be trusted. A record may carry ``customer_id`` (an index
        column some backends keep): it must agree with the complaint number.
        """
        seq = record.get("seq")
        where = seq if isinstance(seq, int) and not isinstance(seq, bool) else position
        try:
            if record.get("format") != FORMAT:
                raise ValueError(f"its format is {record.get('format')!r}, not {FORMAT}")
            fields = {name: record.get(name) for name in cls.model_fields}
            if isinstance(fields["data"], str):
                fields["data"] = json.loads(fields["data"])
            for name in _TIMES:
                text = fields[name]
                if text is not None:
                    fields[name] = parse_canonical_time(text)  # type: ignore[arg-type]  # checked inside
            event = cls.model_validate(fields, context={_STORED: True})
        except (InvalidInputError, ValueError, TypeError) as error:
            raise JournalIntegrityError(where, f"it cannot be read ({_first_line(error)})") from None
        body = event.body()
        if hashlib.sha256(dumps(body)).hexdigest() != event.hash:
            raise JournalIntegrityError(event.seq, "its content does not match its hash: it was edited")
        for name, canonical in body.items():
            stored = record.get(name)
            value = dumps(canonical).decode("utf-8") if name == "data" and isinstance(stored, str) else canonical
            if stored != value or type(stored) is not type(value):
                raise JournalIntegrityError(event.seq, f"its {name} is not stored in its one canonical spelling")
        customer_id = record.get("customer_id", event.customer_id)
        if customer_id != event.customer_id:
            raise JournalIntegrityError(event.seq, "its customer index does not match its complaint number")
        return event


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0]


class ChainHead(RecoveryModel):
    """Where a journal's chain ends: how many events it holds and the hash of the last one.

    Save it somewhere the journal's writers cannot change (a log, a ticket, a
    signed e-mail); later, ``journal.verify(expected_head=head)`` proves that
    the journal still holds those events unchanged, so a cut-off tail, which the
    chain alone cannot reveal, is found too. Its text form is ``count:hash``.
    """

    _what: ClassVar[str] = "chain head"

    count: Annotated[int, Field(ge=0)]
    hash: Hash

    @classmethod
    def parse(cls, text: str) -> Self:
        """Read the ``count:hash`` form."""
        count, _, hash_ = text.partition(":") if isinstance(text, str) else ("", "", "")
        if not count.isdigit() or not hash_:
            raise InvalidInputError("chain head", [Problem("", "write it as count:hash, such as 12:9f86d0...")])
        return cls(count=int(count), hash=hash_)

    def __str__(self) -> str:
        return f"{self.count}:{self.hash}"


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
