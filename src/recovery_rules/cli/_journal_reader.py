"""Opening a case journal from the command line by its address.

An address names a journal: ``cases.sqlite3`` or ``sqlite:cases.sqlite3`` is an
SQLite file, ``postgresql://user@host/db`` (or ``postgres://``) the journal in
that PostgreSQL database (schema ``recovery_rules``; the ``postgres`` extra).
Another backend plugs in with one line, an opener registered in
:data:`JOURNALS` under its scheme, which is given the whole address (and
``ledger_key=`` when the journal is opened with its ledger key, as ``verify
--ledger-key-file`` does).

An SQLite file the user may not write, or in a folder it may not write (an
auditor's access, a backup on read-only media), is opened ``read_only``: read as
it is, nothing written beside it.

Its cases are replayed, verified as they are read, by
:class:`recovery_rules.metrics.CaseReplay` (``simulate journal:...``) and
:func:`recovery_rules.metrics.report` (``report``), which check it the same way.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Final

from recovery_rules import Journal, JournalError, JournalIntegrityError, PostgresJournal, SQLiteJournal

from ._errors import CliInputError, about_argument, why_unusable

__all__ = ["JOURNALS", "JournalOpener", "open_journal", "open_sealed_journal", "shown"]


JournalOpener = Callable[..., Journal]
"""Opens the journal at an address (the whole address, scheme included); a :class:`JournalError` (or a
:class:`CliInputError`) if it cannot. It is called as ``opener(address)``, and as ``opener(address,
ledger_key=key)`` only when the journal is to be opened with its ledger key (``verify --ledger-key-file``):
an opener of a backend without sealed ledgers can take the address alone."""


def _open_sqlite(address: str, /, *, ledger_key: bytes | None = None, read_only: bool = False) -> Journal:
    file = Path(address.removeprefix("sqlite:"))
    path = shown(
        address.removeprefix("sqlite:")
    )  # as messages name it: a database's address mistaken for a file keeps no password
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
    # A file this user may not write (or whose folder it may not) is read as it is: SQLite would otherwise leave
    # files beside it that the journal's own writers may not be able to use.
    read_only = read_only or not (os.access(file, os.W_OK) and os.access(file.parent, os.W_OK))
    try:
        return SQLiteJournal(file, ledger_key=ledger_key, read_only=read_only)
    except JournalIntegrityError:  # a finding, not bad input: the verb says so
        raise
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
    try:  # read as is_journal reads it: an SQLite file that SQLite cannot read is damaged, not something else
        address = f"{file.resolve().as_uri()}?mode=ro&immutable=1"
        with contextlib.closing(sqlite3.connect(address, uri=True)) as connection:
            connection.execute("PRAGMA application_id").fetchone()
    except (sqlite3.Error, OSError, ValueError) as error:
        return f"{path} is a damaged SQLite file ({error}): if it is the journal, restore it from a backup"
    return f"{path} is an SQLite database of something else, not a recovery-rules journal"


def _open_postgres(address: str, /, *, ledger_key: bytes | None = None) -> Journal:
    return PostgresJournal(address, create=False, ledger_key=ledger_key)  # a reader never creates a journal


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


def open_journal(address: str, *, ledger_key: bytes | None = None, read_only: bool = False) -> Journal:
    """The journal ``address`` names: ``PATH`` or ``sqlite:PATH`` (an SQLite file), or ``SCHEME:...``.

    A leading ``journal:`` is allowed, as ``simulate`` names its sources. ``ledger_key``: open it with its
    ledger key (a sealed journal's; give it only for one, as a new journal opened with a key is sealed).
    ``read_only``: an SQLite file is read as it is, even by a user who may write it (its schema not brought
    up to date); otherwise only when the user may not write it or its folder.
    """
    address = address.removeprefix("journal:")  # as simulate's sources write it
    if not address:
        raise CliInputError("give the journal's address: an SQLite file such as cases.sqlite3")
    match = _SCHEME.match(address)
    if match is not None:
        scheme = match["scheme"].lower()
        if scheme in JOURNALS:
            opener = JOURNALS[scheme]
            options: dict[str, object] = {} if ledger_key is None else {"ledger_key": ledger_key}
            if read_only and scheme == "sqlite":  # PostgreSQL: what the role may do decides
                options["read_only"] = True
            try:
                return opener(address, **options)
            except JournalIntegrityError:  # a finding, not bad input: the verb says so
                raise
            except JournalError as error:
                raise CliInputError(str(error)) from None
        if address[match.end() :].startswith("//"):
            raise CliInputError(
                f"unknown kind of journal {scheme!r}; give an SQLite file (cases.sqlite3) or an address "
                "starting with one of: " + ", ".join(f"{name}:" for name in JOURNALS)
            )
    return _open_sqlite(address, ledger_key=ledger_key, read_only=read_only)


def open_sealed_journal(address: str, ledger_key: bytes, *, not_sealed: str, argument: str) -> Journal:
    """The journal ``address`` names, opened with ``ledger_key``, once it is seen to be sealed.

    It is looked at without the key first: opened with a key, a journal with no ledger heads yet would be
    sealed with it, which only ``seal`` may do. ``not_sealed``: the message when its ledger is not sealed
    (the journal's address is put before it). ``argument``: the command's argument that gave the address
    (``journal``), at which an error opening it is located for ``--json`` (not one of the key's: another key).
    """
    with about_argument(argument):
        looked = open_journal(address)
    with looked as journal:
        sealed = journal.ledger_sealed
    if not sealed:
        raise CliInputError(f"--ledger-key-file: the ledger of {shown(address)} is not sealed: {not_sealed}")
    return open_journal(address, ledger_key=ledger_key)
