"""Reading a case journal from the command line: opening it by its address, replaying its cases, verified.

An address names a journal: ``cases.sqlite3`` or ``sqlite:cases.sqlite3`` is an
SQLite file, ``postgresql://user@host/db`` (or ``postgres://``) the journal in
that PostgreSQL database (schema ``recovery_rules``; the ``postgres`` extra).
Another backend plugs in with one line, an opener registered in
:data:`JOURNALS` under its scheme, which is given the whole address.

:class:`CaseReplay` reads every event once, in journal order. As it goes it
checks what :meth:`Journal.verify` checks (each event's own hash, its place, its
link to the event before, its case's versions) and replays each case through the
case path, so the figures built on it come from an intact journal written the
way :class:`~recovery_rules.Case` writes one. The first problem stops the read:
the journal's own :meth:`~recovery_rules.Journal.verify` then names the first
bad event, and the command refuses to go on from it (``simulate journal:...``; ``report`` reads
the journal through :func:`recovery_rules.metrics.report`, which checks it the same way).
"""

from __future__ import annotations

import datetime as dt
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from recovery_rules import (
    CaseState,
    CaseView,
    ChainHead,
    Event,
    Journal,
    JournalError,
    JournalIntegrityError,
    PostgresJournal,
    SQLiteJournal,
)

from ._errors import CliInputError, why_unusable

__all__ = ["JOURNALS", "CaseReplay", "JournalOpener", "Replayed", "open_journal", "shown"]

JournalOpener = Callable[[str], Journal]
"""Opens the journal at an address (the whole address, scheme included); a :class:`JournalError` (or a
:class:`CliInputError`) if it cannot."""


def _open_sqlite(address: str) -> Journal:
    path = address.removeprefix("sqlite:")
    file = Path(path)
    try:
        mode = file.stat().st_mode
    except FileNotFoundError:
        raise CliInputError(f"there is no journal file {path}") from None
    except (OSError, ValueError) as error:  # ValueError: a NUL or an unencodable character in the name
        reason = why_unusable(error)
        raise CliInputError(f"cannot read the journal file {path}: {reason}") from None
    if not stat.S_ISREG(mode):  # a directory, a named pipe, a device: never opened
        raise CliInputError(f"{path} is not a file; give the journal's SQLite file")
    if file.stat().st_size == 0:  # SQLite would make an empty file a new journal: a reader never creates one
        raise CliInputError(f"{path} is an empty file, not a recovery-rules journal")
    # Look before opening: opening a file as a journal switches it to write-ahead logging.
    if not SQLiteJournal.is_journal(file):
        raise CliInputError(_not_a_journal(path, file))
    try:
        return SQLiteJournal(file)
    except JournalError as error:
        raise CliInputError(str(error)) from None


def _not_a_journal(path: str, file: Path) -> str:
    """Why the regular, non-empty ``file`` is not a journal: not an SQLite database at all, or one of something else."""
    try:
        with file.open("rb") as stream:
            header = stream.read(len(_SQLITE_HEADER))
    except OSError as error:
        return f"cannot read the journal file {path}: {why_unusable(error)}"
    if header != _SQLITE_HEADER:
        return f"{path} is not a recovery-rules journal: file is not a database"
    return f"{path} is an SQLite database of something else, not a recovery-rules journal"


def _open_postgres(address: str) -> Journal:
    return PostgresJournal(address, create=False)  # a reader never creates a journal


JOURNALS: Final[dict[str, JournalOpener]] = {
    "sqlite": _open_sqlite,
    "postgresql": _open_postgres,
    "postgres": _open_postgres,
}
"""Journal backends by address scheme; an address without a known scheme is an SQLite file."""

_SQLITE_HEADER: Final = b"SQLite format 3\x00"
"""How every SQLite database file begins (https://www.sqlite.org/fileformat.html)."""

_SCHEME: Final = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]+):")  # two letters at least: C:\ is a drive


_URI_PASSWORD: Final = re.compile(r"^(?P<user>(?:[A-Za-z][A-Za-z0-9+.-]*:)+//[^:/@?#]*):[^@/]*@")  # journal:postgres://
_QUERY_PASSWORD: Final = re.compile(r"(?P<key>[?&]password=)[^&#]*", re.IGNORECASE)
_KEYWORD_PASSWORD: Final = re.compile(r"(?P<key>\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def shown(address: str) -> str:
    """``address`` as reports and messages show it: a password in it (a database's address) becomes ``***``."""
    if "://" in address:
        return _QUERY_PASSWORD.sub(r"\g<key>***", _URI_PASSWORD.sub(r"\g<user>:***@", address))
    return _KEYWORD_PASSWORD.sub(r"\g<key>***", address)


def open_journal(address: str) -> Journal:
    """The journal ``address`` names: ``PATH`` or ``sqlite:PATH`` (an SQLite file), or ``SCHEME:...``.

    A leading ``journal:`` is allowed, as ``simulate`` names its sources.
    """
    address = address.removeprefix("journal:")  # as simulate's sources write it
    if not address:
        raise CliInputError("give the journal's address: an SQLite file such as cases.sqlite3")
    match = _SCHEME.match(address)
    if match is not None:
        scheme = match["scheme"].lower()
        if scheme in JOURNALS:
            try:
                return JOURNALS[scheme](address)
            except JournalError as error:
                raise CliInputError(str(error)) from None
        if address[match.end() :].startswith("//"):
            raise CliInputError(
                f"unknown kind of journal {scheme!r}; give an SQLite file (cases.sqlite3) or an address "
                "starting with one of: " + ", ".join(f"{name}:" for name in JOURNALS)
            )
    return _open_sqlite(address)


@dataclass(frozen=True, slots=True)
class Replayed:
    """One event, and its case as it stands after it."""

    event: Event
    case: CaseView


class CaseReplay:
    """Every event of a journal in order, each applied to its case, with the chain checked on the way.

    - ``now``: events later than this are left out (counted in :attr:`later`),
      and so is everything after them in their case: the cases as they stood
      at ``now``.
    - ``expected_head``: a chain head saved earlier; the journal must still
      hold its events unchanged (see :meth:`Journal.verify`).

    Iterate once. Afterwards :attr:`head` is the chain head of the events read
    and :meth:`unfinished` the cases that were not closed.
    """

    walked = True
    """Whether the whole chain was walked and checked (a period's replay reads only its cases)."""

    def __init__(
        self,
        journal: Journal,
        name: str,
        *,
        now: dt.datetime | None = None,
        expected_head: ChainHead | None = None,
    ) -> None:
        self.journal = journal
        self.name = shown(name)
        self.now = now
        self.expected_head = expected_head
        self.total = journal.head().count
        self.head = ChainHead.empty()
        self.later = 0
        self._open: dict[str, CaseView] = {}

    def __iter__(self) -> Iterator[Replayed]:
        hash_, count, at_head = ChainHead.empty().hash, 0, None
        closed: set[str] = set()
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
                if number in closed:
                    raise JournalIntegrityError(event.seq, "its case was already closed")
                view = self._open.get(number)
                view = CaseView.replay((event,)) if view is None else view.after(event)
                if view.state is CaseState.CLOSED:
                    self._open.pop(number, None)
                    closed.add(number)
                else:
                    self._open[number] = view
                yield Replayed(event, view)
        except JournalIntegrityError as error:
            raise self._refusal(error) from None
        except JournalError as error:
            raise CliInputError(f"cannot read the journal {self.name}: {error}") from None
        self.head = ChainHead(count=count, hash=hash_)
        saved = self.expected_head
        if saved is not None and (saved.count > count or (saved.count and at_head != saved.hash)):
            raise self._refusal(JournalIntegrityError(min(saved.count, count + 1), "the saved head does not match"))

    def unfinished(self) -> list[CaseView]:
        """The cases not closed (as they stood at ``now``), once the replay is done."""
        return list(self._open.values())

    def _refusal(self, found: JournalIntegrityError) -> CliInputError:
        """The error to stop with: what :meth:`Journal.verify` finds, or else what the replay found."""
        try:
            verification = self.journal.verify(expected_head=self.expected_head)
        except JournalError as error:
            return CliInputError(
                f"the journal {self.name} cannot be read past event {found.seq - 1} ({found.problem}), "
                f"nor verified: {error}"
            )
        if not verification.ok:
            return CliInputError(
                f"the journal {self.name} fails its integrity check: event {verification.first_bad} is bad: "
                f"{verification.problem}. Figures from a journal that was changed cannot be trusted, so none "
                f"are reported; the first {verification.count} events are intact (chain head {verification.head})"
            )
        return CliInputError(
            f"the journal {self.name} holds events that do not follow the case path: event {found.seq}: "
            f"{found.problem}. Only journals written by recovery-rules' Case can be reported on"
        )
