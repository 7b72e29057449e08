"""Recorded decisions: what ``simulate`` replays and what a policy test case decides.

A :class:`DecisionRecord` is one call of :meth:`Policy.decide`, written as
data: the complaint, the acting level, what the guest was already granted and
when it was decided. ``simulate`` reads them from a :class:`RecordSource`: a
JSON Lines file (:class:`JsonLinesSource`) or a case journal
(:class:`JournalSource`, ``journal:ADDRESS``). Another source only has to yield
:class:`Recorded` items the same way and be registered in :data:`SOURCES` under
its scheme.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Annotated, Any, Final, Protocol

from pydantic import (
    BeforeValidator,
    GetCoreSchemaHandler,
    GetPydanticSchema,
    TypeAdapter,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError, core_schema

from recovery_rules import (
    Complaint,
    ComplaintNumber,
    Draft,
    Event,
    InvalidInputError,
    JournalError,
    MemoryJournal,
    Money,
    Policy,
    Problem,
    RecoveryModel,
    Window,
    metrics,
)
from recovery_rules.files import decode_text, parse_problem, with_syntax_hint

from ._errors import CliInputError
from ._fields import InputTime, Word
from ._inputs import hint_for, open_input, regular_file
from ._journal_reader import open_journal, shown

__all__ = [
    "SOURCES",
    "Amount",
    "DecisionRecord",
    "JournalSource",
    "JsonLinesSource",
    "RecordSource",
    "Recorded",
    "amount_or_money",
    "open_source",
]

MAX_LINE_BYTES: Final = 1_000_000
"""A recorded complaint longer than this (1 MB) on one line is refused."""

_COLUMN: Final = re.compile(r"line 1, column (\d+)")
"""Where a parser placed a problem in the text of one line."""


def amount_or_money(value: object, info: ValidationInfo | None) -> object:
    """``"150.00 USD"`` and ``{"amount": ..., "currency": ...}`` are Money; a bare amount waits for the policy.

    The examples of its messages are in the currency of the validation context (``{"currency": "EUR"}``, as the
    library's models read it: the policy's, when the command has one), else in dollars.
    """
    if value is None or isinstance(value, Money):
        return value
    if isinstance(value, float):
        raise PydanticCustomError(
            "float",
            "a float cannot hold money exactly; write the amount as a string such as '{example}'",
            {"example": Money.example(value, _currency(info))},
        )
    if isinstance(value, dict) or (isinstance(value, str) and " " in value.strip()):
        try:
            return Money.validate(value, context=None if info is None else info.context)
        except InvalidInputError as error:
            raise PydanticCustomError("amount", error.problems[0].message) from None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    raise PydanticCustomError("amount", _AN_AMOUNT.format(*_examples(info)))


_AN_AMOUNT: Final = "must be an amount such as '{0}' or '{0} {1}'"


def _currency(info: ValidationInfo | None) -> str:
    """The currency amounts are in, for the examples of a message: the validation context's (the policy's, when
    the command has one), else dollars."""
    context = None if info is None else info.context
    currency = context.get("currency") if isinstance(context, dict) else None
    try:
        return Money.zero(currency).currency if isinstance(currency, str) else "USD"
    except InvalidInputError:  # no currency code: the examples are in dollars
        return "USD"


def _examples(info: ValidationInfo | None) -> tuple[str, str]:
    """An example amount (150 in the context's currency, in its decimal places) and its currency."""
    currency = _currency(info)
    return Money.example(150, currency), currency


Amount = Annotated[Money | str | None, BeforeValidator(amount_or_money)]
"""An amount with its currency, or a bare one (``"150.00"``) in the policy's currency."""

_MONEY_KEYS: Final = frozenset({"amount", "currency"})


def _window_amount(value: object, info: ValidationInfo) -> object:
    """One window's amount in a table of amounts per window: as :func:`amount_or_money` reads one, never empty."""
    if value is None:
        raise PydanticCustomError("amount", _AN_AMOUNT.format(*_examples(info)))
    return amount_or_money(value, info)


WindowAmount = Annotated[Money | str, BeforeValidator(_window_amount)]


def _one_or_per_window(value: object, per_window: Callable[[object], object], info: ValidationInfo) -> object:
    """One amount (counted in every window), or a table of one amount per window (``{"30d": "900.00", ...}``).

    A table whose keys are ``amount`` and ``currency`` is one amount; one that mixes them with windows is
    refused. A table of windows is read by ``per_window`` (each amount's problem placed at its window).
    """
    if not isinstance(value, dict) or (value and set(value) <= _MONEY_KEYS):
        return amount_or_money(value, info)  # an empty table is one with no window given: each window is required
    if set(value) & _MONEY_KEYS:
        amount, currency = _examples(info)
        zero = Money.zero(currency).amount
        raise PydanticCustomError(
            "amount",
            f"mixes 'amount' or 'currency' with windows; write one amount ('{amount} {currency}'), or one amount "
            f'for each of the policy\'s windows ({{"incident": "{zero}", "30d": "{Money.example(900, currency)}"}})',
        )
    return per_window(value)


def _granted_schema(source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
    return core_schema.with_info_wrap_validator_function(
        _one_or_per_window, handler.generate_schema(dict[str, WindowAmount])
    )


Granted = Annotated[
    Money | str | dict[str, Money | str] | None,
    GetPydanticSchema(_granted_schema),
    WithJsonSchema(
        {
            **TypeAdapter(Money | str | dict[str, Money | str] | None).json_schema(),
            "description": "What the guest was already granted: one amount, counted in every window of the policy "
            '("60.00" in its currency, or "60.00 USD"), or one amount for each of its windows, the windows\' names '
            'as keys ({"incident": "0.00", "30d": "900.00"}). Default: nothing.',
        }
    ),
]
"""What was granted before: one amount for every window, or one per window of the policy (window names as keys)."""


class DecisionRecord(RecoveryModel):
    """One decision to make: ``policy.decide(complaint, by=by, granted=granted, now=now)``.

    ``granted`` defaults to nothing granted before: one amount counted in every
    window of the policy, or a table of one amount per window (``{"incident":
    "0.00", "30d": "900.00"}``); ``now`` defaults to the moment the complaint
    was received.
    """

    complaint: Complaint
    by: Word
    granted: Granted = None
    now: InputTime | None = None

    def granted_in(self, currency: str) -> Money:
        """The one amount granted before, in the policy's ``currency``; :class:`InvalidInputError` if it cannot
        be (amounts per window too: :meth:`granted_under` reads those)."""
        value = self.granted
        if isinstance(value, dict):
            raise InvalidInputError.at("granted", "granted", "gives an amount per window; one amount is needed here")
        return _granted_money(value, currency, "granted")

    def granted_under(self, policy: Policy, *, also: Iterable[Window] = ()) -> Money | dict[Window, Money]:
        """What was granted before, as ``policy.decide`` takes it: one amount, or one per window of ``policy``.

        An amount per window must name each of the policy's windows once, and no other window, except those in
        ``also`` (the windows of another policy the same record is decided with, as ``simulate`` does), which
        are left out. :class:`InvalidInputError`, placed at ``granted.<window>``, when it cannot be.
        """
        value = self.granted
        if not isinstance(value, dict):
            return _granted_money(value, policy.currency, "granted")
        windows = policy.windows
        known = ", ".join(str(window) for window in windows)
        elsewhere = set(also)
        found: dict[Window, Money] = {}
        problems: list[Problem] = []
        for name, amount in value.items():
            try:
                window: Window | None = Window.parse(name)
            except InvalidInputError:
                window = None
            if window is not None and window in found:
                problems.append(Problem(f"granted.{name}", f"gives the window {window} a second time"))
            elif window is not None and window in windows:
                try:
                    found[window] = _granted_money(amount, policy.currency, f"granted.{name}")
                except InvalidInputError as error:
                    problems.extend(error.problems)
            elif window is None or window not in elsewhere:
                problems.append(Problem(f"granted.{name}", f"is not a window of the policy; its windows are: {known}"))
        if not problems:  # each where its amount belongs, as a missing field is
            problems.extend(
                Problem(
                    f"granted.{window}",
                    f"is required: give an amount for each of the policy's windows ({known}), or one amount for all "
                    "of them",
                )
                for window in windows
                if window not in found
            )
        if problems:
            raise InvalidInputError("granted", problems)
        return {window: found[window] for window in windows}

    @property
    def decided_at(self) -> dt.datetime:
        return self.now or self.complaint.received_at


def _granted_money(value: Money | str | None, currency: str, location: str) -> Money:
    """``value`` (an amount with its currency, a bare one, or none) in the policy's ``currency``, not negative."""
    if value is None:
        return Money.zero(currency)
    if isinstance(value, str):
        try:
            value = Money(value, currency)
        except InvalidInputError as error:
            raise InvalidInputError.at("granted", location, error.problems[0].message) from None
    if value.currency != currency:
        raise InvalidInputError.at(
            "granted", location, f"is in {value.currency} but the policy's currency is {currency}"
        )
    if value.amount < Decimal(0):
        raise InvalidInputError.at("granted", location, "must not be negative")
    return value


@dataclass(frozen=True, slots=True)
class Recorded:
    """A record as a source yields it: where it is (``line 17``), how far the source has got, and the record.

    ``record`` is ``None`` when the entry is not valid; ``problems`` then say why.
    """

    where: str
    progress: int
    record: DecisionRecord | None
    problems: tuple[Problem, ...] = ()
    revision: str | None = None
    """The revision of the policy that made the recorded decision, when the source recorded one (a journal of
    event format 3)."""
    granted_for: Callable[[Policy], dict[Window, Money]] | None = None
    """What the guest had been granted before the decision in each window of a policy, as the journal's ledger
    counted it then (a journal source); ``None``: the record's one ``granted`` amount counts in every window."""


class RecordSource(Protocol):
    """Somewhere ``simulate`` reads recorded decisions from."""

    @property
    def name(self) -> str:
        """What to call it in messages: a file name, a journal address."""
        ...

    @property
    def total(self) -> int | None:
        """How far :attr:`Recorded.progress` will go (bytes, entries), for a progress bar; ``None``: unknown."""
        ...

    @property
    def unit(self) -> str:
        """What :attr:`Recorded.progress` counts, for the progress bar: ``bytes``, ``events``."""
        ...

    def __iter__(self) -> Iterator[Recorded]: ...


class JsonLinesSource:
    """A JSON Lines file: one recorded decision per line; blank lines are skipped."""

    def __init__(self, path: str, *, currency: str | None = None) -> None:
        self.path = regular_file(path, "recorded-complaints")
        self.currency = currency
        """The currency of the policy the records are replayed against: the examples of their problems are in it."""

    @property
    def name(self) -> str:
        return str(self.path)

    @property
    def total(self) -> int | None:
        return self.path.stat().st_size

    @property
    def unit(self) -> str:
        return "bytes"

    def __iter__(self) -> Iterator[Recorded]:
        read = 0
        try:
            with open_input(str(self.path), "recorded-complaints") as stream:
                for number, (raw, length) in enumerate(_lines(stream), start=1):
                    read += length
                    if not raw.strip():
                        continue
                    yield self._parse(raw, number, read, length, self.currency)
        except OSError as error:
            raise CliInputError(f"cannot read {self.path}: {error.strerror or error}") from None

    @staticmethod
    def _parse(raw: bytes, number: int, read: int, length: int, currency: str | None = None) -> Recorded:
        """The record on line ``number``; a line that is not a JSON object says so, with its column when the
        parser gives one (``--json`` lists it)."""
        where = f"line {number}"
        if length > MAX_LINE_BYTES:
            return Recorded(
                where, read, None, (Problem("", f"is longer than {MAX_LINE_BYTES:,} bytes, its line break included"),)
            )
        try:  # without its line break, which is no part of the line: a value cut short there breaks at its column
            text = decode_text(raw.removesuffix(b"\n").removesuffix(b"\r"))
            data: Any = json.loads(text)
        except InvalidInputError as error:  # not UTF-8: the byte, and its column in the line
            bad = error.problems[0]
            return Recorded(
                where, read, None, (Problem("", f"{bad.message} (column {bad.column})", number, bad.column),)
            )
        except json.JSONDecodeError as error:
            said = f"is not valid JSON: {error.msg} (column {error.colno})"
            message = hint_for(with_syntax_hint(said, text, error), "recorded complaints")
            return Recorded(where, read, None, (Problem("", message, number, error.colno),))
        except RecursionError:
            return Recorded(where, read, None, (Problem("", "is nested too deeply"),))
        except (ValueError, TypeError, OverflowError) as error:  # beside syntax: an integer of 5,000 digits
            problem = parse_problem(error, text, "json")  # placed in the line's text: "line 1, column 7"
            column = _COLUMN.fullmatch(problem.location)
            message = f"{problem.message} (column {column[1]})" if column else problem.message
            return Recorded(where, read, None, (Problem("", message, number, int(column[1]) if column else None),))
        try:
            return Recorded(where, read, DecisionRecord.model_validate(data, context={"currency": currency}))
        except InvalidInputError as error:
            return Recorded(where, read, None, error.problems)


def _lines(stream: IO[bytes]) -> Iterator[tuple[bytes, int]]:
    """Each line of ``stream`` and its length in bytes; of a line longer than :data:`MAX_LINE_BYTES`, only the start.

    Memory stays bounded however long a line is (a file with no line break at all).
    """
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        length = len(line)
        if length > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while True:  # skip the rest of the line, a piece at a time
                rest = stream.readline(MAX_LINE_BYTES)
                length += len(rest)
                if not rest or rest.endswith(b"\n"):
                    break
        yield line, length


class JournalSource:
    """The decisions recorded in a case journal: each case's first decision, as its ``decided`` event has it.

    The complaint is the one the case was opened with, asking for the remedy
    the customer said they preferred; the acting level, what the guest was
    granted before (the ledger, under the policy in force then) and the time
    come from the decision. Records are named by their event's journal
    position (``event 57``), never by the complaint number, which holds the
    customer's. The journal is verified as it is read: one that was changed
    stops the run.
    """

    def __init__(self, address: str) -> None:
        self.address = address
        with open_journal(address) as journal:  # fails now, before any work, when it cannot be opened
            self._total = journal.head().count

    @property
    def name(self) -> str:
        return shown(self.address)

    @property
    def total(self) -> int | None:
        return self._total

    @property
    def unit(self) -> str:
        return "events"

    def __iter__(self) -> Iterator[Recorded]:
        grants = GrantsBefore()
        with open_journal(self.address) as journal:
            for replayed in _verified(metrics.CaseReplay(journal, self.name)):
                event, case = replayed.event, replayed.case
                if event.kind != "decided" or case.decision is None:
                    grants.add(event)
                    continue
                granted_for = grants.counter(case.number, case.incident, event.at)
                grants.add(event)  # a grant decided on the spot counts for the decisions after it, not its own
                decision = case.decision
                where = f"event {event.seq}"
                try:
                    record = DecisionRecord(
                        complaint=case.complaint.model_copy(update={"requested": decision.remedy}),
                        by=decision.acting_level,
                        granted=decision.granted_before,
                        now=event.at,
                    )
                except InvalidInputError as error:
                    yield Recorded(where, event.seq, None, error.problems)
                    continue
                revision = decision.policy_revision or event.policy_revision
                yield Recorded(where, event.seq, record, revision=revision, granted_for=granted_for)


_LONG_AFTER: Final = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
"""The clock of the ledger :class:`GrantsBefore` replays grants into: no recorded time is ahead of it."""


class GrantsBefore:
    """A journal's grants as its replay reaches them, per customer: the ledger as it stood at each decision.

    :meth:`counter` gives what a guest had been granted before a decision in each window of any policy (the
    current one and a candidate with windows of its own alike): the guest's grants recorded before it, replayed
    in their order into a :class:`~recovery_rules.MemoryJournal`, whose ledger counts them as the journal's did.
    """

    def __init__(self) -> None:
        self._grants: dict[str, list[_Grant]] = {}

    def add(self, event: Event) -> None:
        """Count ``event``'s grant, if it has one, for the decisions after it."""
        if event.grant is None:
            return
        incident = None if event.ledger is None or event.ledger.incident == event.number else event.ledger.incident
        # when the ledger counts it: never before the guest's earlier grants
        at = event.at if event.ledger is None else event.ledger.at
        self._grants.setdefault(event.number.customer_id, []).append((event.number, incident, at, event.grant))

    def counter(
        self, number: ComplaintNumber, incident: ComplaintNumber | None, at: dt.datetime
    ) -> Callable[[Policy], dict[Window, Money]]:
        """What the customer of ``number`` had been granted before now, per window of a policy, as of ``at``."""
        earlier = tuple(self._grants.get(number.customer_id, ()))
        # As the journal's ledger read it when the decision was appended: a day or rolling window as of the guest's
        # latest grant when that is later than the decision (a step dated earlier, a clock behind).
        at = max([at, *(grant[2] for grant in earlier)])

        def granted(policy: Policy) -> dict[Window, Money]:
            windows = policy.windows
            counting = _counting(earlier, windows, incident or number, at)
            if not counting:
                return dict.fromkeys(windows, Money.zero(policy.currency))
            with MemoryJournal(clock=lambda: _LONG_AFTER) as ledger:
                versions: dict[ComplaintNumber, int] = {}
                for position, (case, counted_in, when, amount) in enumerate(counting):
                    version = versions.get(case, 0)
                    draft = Draft("granted", "granted", "replay", when, grant=amount, incident=counted_in)
                    ledger.append(case, draft, expected_version=version, key=f"grant-{position}", request={})
                    versions[case] = version + 1
                return {
                    window: ledger.granted(
                        number,
                        window=window,
                        timezone=policy.timezone,
                        currency=policy.currency,
                        now=at,
                        incident=incident,
                    )
                    for window in windows
                }

        return granted


_Grant = tuple[ComplaintNumber, ComplaintNumber | None, dt.datetime, Money]
"""A grant as :class:`GrantsBefore` keeps it: its case, the incident it counts against (``None``: its case), when
it was granted, and how much."""


def _counting(
    grants: Sequence[_Grant], windows: Iterable[Window], incident: ComplaintNumber, at: dt.datetime
) -> list[_Grant]:
    """The ``grants`` that can count in one of ``windows`` for a decision on ``incident`` at ``at``, in order.

    Those of the incident itself (an incident window counts them whenever they were granted), and those recent
    enough for a day or rolling window: a guest's grants of long ago are left out, so replaying a journal costs
    the grants of the windows, not the guest's whole history, at each decision. A window sums the grants inside
    it, so leaving out grants before it changes nothing it counts.
    """
    reach: list[dt.datetime] = []
    try:
        for window in windows:
            if window.kind == "day":
                reach.append(at - dt.timedelta(days=2))  # the day's midnight, in any zone, is later than this
            elif window.kind == "rolling" and window.duration is not None:
                reach.append(at - window.duration - dt.timedelta(days=1))
    except OverflowError:  # a window reaching before year 1: every grant may count
        return list(grants)
    since = min(reach, default=None)
    return [grant for grant in grants if (grant[1] or grant[0]) == incident or (since is not None and grant[2] > since)]


def _verified(replay: metrics.CaseReplay) -> Iterator[metrics.Replayed]:
    """``replay``'s events; a journal that cannot be read, or fails its check, stops the command with the reason."""
    try:
        yield from replay
    except JournalError as error:  # JournalIntegrityError too: its message names the first bad event
        raise CliInputError(str(error)) from None


SOURCES: Final[dict[str, Callable[[str], RecordSource]]] = {"jsonl": JsonLinesSource, "journal": JournalSource}
"""Record sources by scheme: ``simulate ... jsonl:PATH`` or just ``PATH`` for a JSON Lines file;
``journal:ADDRESS`` for a case journal (``journal:cases.sqlite3``)."""

_DEFAULT_SCHEME: Final = "jsonl"


def open_source(spec: str, *, currency: str | None = None) -> RecordSource:
    """The record source ``spec`` names: ``PATH`` (JSON Lines) or ``SCHEME:ADDRESS``. ``currency``: the policy's,
    for the examples of the problems of a record written by hand (a JSON Lines file's)."""
    scheme, colon, address = spec.partition(":")
    if colon and scheme == _DEFAULT_SCHEME:
        source = JsonLinesSource(address, currency=currency)
        _not_a_database(source.path, address)
        return source
    if colon and scheme in SOURCES:
        return SOURCES[scheme](address)
    if colon and scheme in {"postgres", "postgresql"}:  # a journal's address without its scheme
        raise CliInputError(f"{shown(spec)} is a PostgreSQL journal; to replay its cases, write journal:{shown(spec)}")
    if colon and scheme == "sqlite":  # an SQLite journal's address, sqlite:PATH, without journal:
        raise CliInputError(f"{shown(spec)} is an SQLite journal; to replay its cases, write journal:{shown(spec)}")
    if colon and len(scheme) > 1 and scheme.isalpha() and not Path(spec).exists():
        raise CliInputError(
            f"unknown source {scheme!r} in {spec!r}; give a JSON Lines file or one of: "
            + ", ".join(f"{name}:..." for name in SOURCES)
        )
    source = JsonLinesSource(spec, currency=currency)
    _not_a_database(source.path, spec)
    return source


_SQLITE_HEADER: Final = b"SQLite format 3\x00"


def _not_a_database(path: Path, spec: str) -> None:
    """Refuse an SQLite file given as JSON Lines (a case journal without ``journal:``), saying how to give it,
    rather than a problem for every 'line' of its bytes."""
    try:
        with path.open("rb") as stream:
            header = stream.read(len(_SQLITE_HEADER))
    except OSError:
        return  # reading it fails again, with its own message, when it is replayed
    if header == _SQLITE_HEADER:
        raise CliInputError(
            f"{spec} is an SQLite database, not a JSON Lines file of recorded complaints; "
            f"to replay the cases of a case journal, write journal:{spec}"
        )
