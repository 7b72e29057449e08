"""``SQLiteJournal``: the journal in one SQLite file (standard library only).

- WAL mode, so readers never block the writer; ``synchronous=FULL``, so an
  append that returned survives a crash or a power cut.
- Every append is one ``BEGIN IMMEDIATE`` transaction: the idempotency check,
  the case's version check, the ledger read, the decision made from it and the
  insert happen under SQLite's write lock, so writers in many threads and many
  processes are serialized and two approvals for one guest can never together
  pass a limit.
- One connection per thread (SQLite connections must not be shared between
  threads mid-transaction); a forked child opens its own.
- The file is marked as a recovery-rules journal (``PRAGMA application_id``)
  and carries its schema version (``PRAGMA user_version``). A file of schema 1
  (the first release) is upgraded in place when opened: the ledger's columns,
  indexes and heads are added, and its events stay exactly as they were. A file
  of schema 1 or 2 gets the columns of event format 3 (``employee``,
  ``policy_revision``) the same way, ``NULL`` in every event written before. A
  file of schema 1 to 3 gets the columns of sealed ledger heads (``grant_amount``,
  ``grant_currency``, ``ledger``, ``seal``; ``NULL`` until the ledger is sealed)
  and the table ``ledger_seal``, which holds the key check of a sealed ledger.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import sqlite3
import stat
import threading
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Final

from recovery_rules.exceptions import JournalError, JournalIntegrityError

from ._base import CLOSED_REFUSAL, MAX_AHEAD, READ_ONLY_REFUSAL, Clock, Journal, legacy_problem
from ._canonical import GENESIS, JSONValue
from ._columns import (
    COLUMNS,
    LEGACY_UNTIL,
    case_ends,
    case_filter,
    case_head_runs,
    case_head_values,
    case_statements,
    grant_conditions,
    ledger_head_statements,
    record_of_values,
    row_of,
    scan_rows,
)
from ._events import ChainHead
from ._ledger import GrantQuery
from ._privacy import check_encrypt_flag
from ._privacy_sql import KeyStatements, SQLKeys
from ._seal import checked_ledger_key
from ._store import CaseEnd, CaseHead, LedgerHead, Record, Scope, Store, checked_version

__all__ = ["SQLiteJournal"]

APPLICATION_ID: Final = 0x52524A4C  # "RRJL": recovery-rules journal
SCHEMA_VERSION: Final = 5
_FIRST_PAUSE: Final = 0.0002  # seconds
_LONGEST_PAUSE: Final = 0.005
_BUSY: Final = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})

_EVENTS: Final = """
CREATE TABLE IF NOT EXISTS events (
    seq            INTEGER PRIMARY KEY,
    format         INTEGER NOT NULL,
    number         TEXT    NOT NULL,
    customer_id    TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    kind           TEXT    NOT NULL,
    state          TEXT    NOT NULL,
    actor          TEXT    NOT NULL,
    at             TEXT    NOT NULL,
    key            TEXT    NOT NULL UNIQUE,
    request        TEXT    NOT NULL,
    data           TEXT    NOT NULL,
    grant_amount   TEXT,
    grant_currency TEXT,
    callback_due   TEXT,
    prev           TEXT    NOT NULL,
    hash           TEXT    NOT NULL,
    ledger         TEXT,
    ledger_at      TEXT,
    incident       TEXT,
    employee       TEXT,
    policy_revision TEXT,
    UNIQUE (number, version)
)
"""
# What schema 1 lacks: the ledger's columns (added by ALTER TABLE in an upgrade), indexes and tables.
_LEDGER_COLUMNS: Final = ("ledger", "ledger_at", "incident")
# What schema 2 lacks: the columns of event format 3 (added by ALTER TABLE in an upgrade from schema 1 or 2).
_WHO_COLUMNS: Final = ("employee", "policy_revision")
# What the heads of schema 2 and 3 lack: a sealed head's columns (see _seal.py). (Schema 4 lacks only the last three
# indexes of _LEDGER: those a check resumed from a saved head reads the table of cases and the heads by.)
_SEAL_COLUMNS: Final = ("grant_amount", "grant_currency", "ledger", "seal")
_LEDGER: Final = """
CREATE INDEX IF NOT EXISTS events_guest_grants ON events (customer_id, seq) WHERE grant_amount IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_incident_grants ON events (incident, seq) WHERE incident IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_ledger_at ON events (customer_id, ledger_at, seq) WHERE ledger_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS ledger_heads (
    scope          TEXT NOT NULL,
    key            TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    hash           TEXT NOT NULL,
    grant_amount   TEXT,
    grant_currency TEXT,
    ledger         TEXT,
    seal           TEXT,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ledger_seal (
    one       INTEGER PRIMARY KEY CHECK (one = 1),
    key_check TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS journal_settings (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cases (
    number       TEXT    PRIMARY KEY,
    customer_id  TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    state        TEXT    NOT NULL,
    first_seq    INTEGER NOT NULL,
    opened_at    TEXT    NOT NULL,
    last_seq     INTEGER NOT NULL,
    last_hash    TEXT    NOT NULL,
    callback_due TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cases_callbacks ON cases (callback_due) WHERE callback_due IS NOT NULL;
CREATE INDEX IF NOT EXISTS cases_opened ON cases (opened_at);
CREATE INDEX IF NOT EXISTS cases_last_seq ON cases (last_seq);
CREATE INDEX IF NOT EXISTS ledger_heads_seq ON ledger_heads (seq);
CREATE INDEX IF NOT EXISTS ledger_heads_sealed ON ledger_heads (seq) WHERE seal IS NOT NULL;
INSERT OR IGNORE INTO journal_settings (name, value) SELECT 'legacy_until', COALESCE(MAX(seq), 0) FROM events
"""

# Release 0.1.0 checks an SQLite journal's schema only when it opens a connection: a process of it that had the
# journal open before the upgrade would go on appending events of format 1 after legacy_until, which the ledger
# must then refuse (the setting looks edited). The upgrade from schema 1 makes such an append fail instead.
_UPGRADED_FROM_0_1_0: Final = (
    "this journal was upgraded by a later recovery-rules release: release 0.1.0 may no longer write to it; "
    "restart every process that uses it with the new release"
)
_NO_LATE_FORMAT_1: Final = (
    "CREATE TRIGGER IF NOT EXISTS events_upgraded_from_0_1_0 BEFORE INSERT ON events WHEN NEW.format = 1 "
    f"BEGIN SELECT RAISE(ABORT, '{_UPGRADED_FROM_0_1_0}'); END"
)
_COLUMNS: Final = ", ".join(COLUMNS)
# Every statement is built from these constants; values are always bound as parameters.
_SELECT: Final = "SELECT " + _COLUMNS + " FROM events"  # noqa: S608 - constants only
_MARKS: Final = ", ".join("?" * len(COLUMNS))
_INSERT: Final = "INSERT INTO events (" + _COLUMNS + ") VALUES (" + _MARKS + ")"  # noqa: S608 - constants only
_SCAN: Final = _SELECT + " WHERE seq >= ? ORDER BY seq LIMIT ?"
_CASES: Final = case_statements("cases", "events", "?")
_HEADS_CHECK: Final = ledger_head_statements("ledger_heads", "events", "?")
# A grant of format 1 at or before the journal's setting legacy_until is one release 0.1.0 wrote: the ledger sums
# those apart (legacy_grants), and they are no later grant. Any other grant row is, whatever the setting says.
_LATER: Final[dict[Scope, str]] = {
    "guest": "SELECT seq FROM events WHERE customer_id = ? AND grant_amount IS NOT NULL AND seq > ? "
    "AND (seq > ? OR format <> 1) ORDER BY seq DESC LIMIT 1",
    "incident": "SELECT seq FROM events WHERE incident = ? AND seq > ? ORDER BY seq DESC LIMIT 1",
}
_BEFORE: Final = (
    _SELECT + " WHERE customer_id = ? AND ledger_at IS NOT NULL AND ledger_at < ? "
    "ORDER BY ledger_at DESC, seq DESC LIMIT 1"
)
_NEXT: Final = (
    _SELECT + " WHERE customer_id = ? AND grant_amount IS NOT NULL AND seq > ? AND (seq > ? OR format <> 1) "
    "ORDER BY seq LIMIT 1"
)
_HEAD_COLUMNS: Final = "seq, hash, grant_amount, grant_currency, ledger, seal"
_SET_HEAD: Final = f"INSERT OR REPLACE INTO ledger_heads (scope, key, {_HEAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608 - constants only
_HEADS_PAGE: Final = (
    "SELECT h.scope, h.key, h.seq, h.hash, h.grant_amount, h.grant_currency, h.ledger, h.seal, e.hash "
    "FROM ledger_heads h LEFT JOIN events e ON e.seq = h.seq{where} ORDER BY h.scope, h.key LIMIT ?"
)
_GET_HEAD: Final = f"SELECT {_HEAD_COLUMNS} FROM ledger_heads WHERE scope = ? AND key = ?"  # noqa: S608 - as above
_GRANTS_PAGE: Final = (
    "SELECT seq, hash, grant_amount, grant_currency, ledger FROM events "
    "WHERE seq > ? AND grant_amount IS NOT NULL AND ledger IS NOT NULL ORDER BY seq LIMIT ?"
)
_KEYS: Final = KeyStatements("", "?", blob="BLOB")
_KEYS.customer = _SELECT + " WHERE customer_id = ? ORDER BY seq"


class SQLiteJournal(Journal):
    """A journal in one SQLite file, safe for many threads and many processes at once.

    ``path`` is created if it does not exist (unless ``read_only``). ``timeout`` is how many seconds a
    writer waits for another one to finish before giving up with a
    :class:`~recovery_rules.JournalError`. ``clock`` and ``max_ahead``: see
    :class:`~recovery_rules.Journal` (a step dated more than ``max_ahead`` after
    the clock is refused). ``ledger_key``: a secret of at least 32 bytes, kept
    outside the journal, that seals the ledger's running totals, so that no one
    who can write the file but lacks the key can make the ledger count less (see
    :meth:`~recovery_rules.Journal.seal_ledger` and the journal guide).

    ``read_only=True`` opens a journal file to read and verify it where the caller
    may not, or must not, write (an auditor's access, a backup, a copy on
    read-only media): the file must exist and be a journal of this release's
    schema, nothing is created beside it and the journal and its log are never written (SQLite may update the
    log's index, ``-shm``, when the log is there), and every write raises
    :class:`~recovery_rules.JournalError`.
    A journal a process is writing (its write-ahead log and the log's index,
    ``-wal`` and ``-shm``, beside it) is read with its log, as any reader reads
    it, its latest events included. A file a crash left a log beside without its
    index, or a rollback journal, is refused (only a writer can recover it), and
    so is a journal of an earlier schema (open it once without ``read_only`` to
    bring it up to date). A link is followed: the log is looked for beside the
    file it points to. A file nothing had open is read as an immutable file;
    whether a writer has it open is looked at again before each read, so a
    reader kept open sees what a writer that came later writes (a read already
    under way when a writer starts may fail: read again).

    >>> import tempfile, pathlib
    >>> from recovery_rules import SQLiteJournal
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     with SQLiteJournal(pathlib.Path(folder) / "journal.sqlite3") as journal:
    ...         journal.head().count
    0
    """

    _batches_writes = True

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 30.0,
        clock: Clock | None = None,
        max_ahead: dt.timedelta = MAX_AHEAD,
        encrypt_personal_data: bool = False,
        ledger_key: bytes | None = None,
        read_only: bool = False,
    ) -> None:
        self._set_clock(clock, max_ahead)
        encrypt = check_encrypt_flag(encrypt_personal_data)
        checked_ledger_key(ledger_key)  # a bad key is refused before the file is touched
        self.path = _checked_path(path)
        if not isinstance(read_only, bool):
            raise JournalError("read_only must be True or False")
        if read_only and encrypt:
            raise JournalError(
                "a journal opened read_only=True writes no event to encrypt: leave out encrypt_personal_data"
            )
        # Read-only: the file itself, a link followed (SQLite reads the file it points to, with that file's log).
        self._real_path = os.path.realpath(self.path)
        # Every thread's connection opens the same file, whatever the working directory is when it opens it.
        self._open_path = os.path.abspath(self.path)
        self._read_only = read_only
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 86_400:
            raise JournalError("the timeout must be a number of seconds above 0 (and at most a day)")
        self._timeout = float(timeout)
        self._legacy_until = 0
        self._legacy_damage: tuple[int, str] | None = None  # what is wrong with the setting legacy_until, if anything
        self._local = threading.local()
        self._lock = threading.Lock()
        self._writer = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._pid = os.getpid()
        self._closed = False
        connection = self._connection()  # create or check the file now, so a bad path fails here
        try:
            if encrypt:  # the keys table marks the journal as encrypting, for every handle from now on
                with self._writing():
                    for statement in _KEYS.create:
                        connection.execute(statement)
            self._encrypts = _has_table(connection, "data_keys")
            if self._encrypts:
                check_encrypt_flag(True)  # a journal that encrypts needs the cryptography package to be written
            self._take_ledger_key(ledger_key)
        except BaseException:
            self.close()
            raise

    def backup(self, target: str | os.PathLike[str]) -> ChainHead:
        """Copy the journal into a new file at ``target``, consistently, while others write; return the copy's head.

        SQLite's online backup copies one committed state of the whole database, the events still in the
        write-ahead log included; copying the file itself while a writer has it open can miss them, or copy
        a page half-written. ``target`` must not exist (a backup never overwrites): the copy is written
        beside it under a temporary name and linked into place only when whole, so a failed backup leaves
        nothing. The copy is a journal like any other; open it with ``read_only=True`` to verify it, against
        the head this returns (save both). Raises :class:`~recovery_rules.JournalError` saying what failed.
        """
        destination = _checked_path(target)
        if os.path.lexists(destination):
            raise JournalError(f"{destination!r} exists already: a backup never overwrites a file; name a new one")
        for suffix in _COMPANIONS:  # SQLite would read a file left there as the copy's own log
            if os.path.lexists(destination + suffix):
                raise JournalError(
                    f"{destination + suffix!r} is beside the name the backup would take, and SQLite would read it "
                    "as part of the copy: remove it, or name another file"
                )
        folder = os.path.dirname(os.path.abspath(destination))
        partial = os.path.join(folder, f".{os.path.basename(destination)}.partial-{os.getpid()}-{time.time_ns()}")
        try:
            try:
                # Made by this process alone, readable by its owner alone until whole: personal data is in it.
                os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                with contextlib.closing(sqlite3.connect(partial, isolation_level=None)) as copy:
                    self._connection().backup(copy)
                # The copy may be read by whom the journal may be read, and by no one else.
                os.chmod(partial, stat.S_IMODE(os.stat(self._real_path).st_mode) & 0o666)
            except sqlite3.Error as error:
                raise JournalError(f"the journal could not be copied to {destination!r}: {error}") from None
            except OSError as error:
                raise JournalError(f"the journal could not be copied to {destination!r}: {error.strerror}") from None
            with SQLiteJournal(partial, read_only=True) as written:
                head = written.head()
            try:
                os.link(partial, destination)  # fails, rather than replacing it, if a file took the name meanwhile
            except FileExistsError:
                raise JournalError(f"{destination!r} appeared while the backup ran: it is left as it is") from None
            except OSError as error:
                raise JournalError(f"the backup could not be named {destination!r}: {error.strerror}") from None
        finally:
            for leftover in (partial, *(partial + suffix for suffix in _COMPANIONS)):
                with contextlib.suppress(OSError):
                    os.unlink(leftover)
        return head

    @staticmethod
    def is_journal(path: str | os.PathLike[str]) -> bool:
        """Whether ``path`` is a recovery-rules journal file, looked at without opening it for writing.

        ``True`` when it is a regular file (symbolic links followed) that SQLite
        reads and that is marked as a journal, whatever its format version (one
        newer than this release reads is still a journal: opening it raises
        :class:`~recovery_rules.JournalError`). ``False`` for a missing file, a
        directory, a named pipe or a device (never opened), an empty file, a file
        that is not an SQLite database, and an SQLite database of something else.

        Nothing is created or changed: SQLite reads the file's header read-only,
        as an immutable file (so not even the companion files of write-ahead
        logging appear), whereas ``SQLiteJournal(path)`` makes a missing or empty
        file a new journal and switches an existing one to write-ahead logging.
        A journal's mark is written when the file is made, before any write-ahead
        log exists, so it is seen while the journal is open and written too. A
        path that is not a ``str`` or ``os.PathLike`` of text raises
        :class:`~recovery_rules.JournalError`.

        >>> import tempfile, pathlib
        >>> from recovery_rules import SQLiteJournal
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = pathlib.Path(folder) / "journal.sqlite3"
        ...     before = SQLiteJournal.is_journal(path)
        ...     SQLiteJournal(path).close()
        ...     (before, SQLiteJournal.is_journal(path))
        (False, True)
        """
        if isinstance(path, bytes) or not isinstance(path, str | os.PathLike):
            raise JournalError("the journal's path must be a str or a path-like object of text")
        text = os.fspath(path)
        if isinstance(text, bytes):
            raise JournalError("the journal's path must be text, not bytes")
        try:
            if not text or not stat.S_ISREG(os.stat(text).st_mode):  # a FIFO or a device is never opened
                return False
            address = f"{Path(text).resolve().as_uri()}?mode=ro&immutable=1"
        except (OSError, ValueError, RuntimeError):  # missing, unreadable, a NUL in the name, a loop of links
            return False
        try:
            with contextlib.closing(sqlite3.connect(address, uri=True)) as connection:
                application_id = connection.execute("PRAGMA application_id").fetchone()[0]
        except sqlite3.Error:  # not a database, or one SQLite cannot read (as immutable: without its log)
            # A checkpoint cut off (a full disk, a crash) leaves the file short, its first page already telling
            # the new size: read without its write-ahead log it is malformed, yet the log holds it whole. The mark
            # is written when the file is made, before any log exists: read it from the file's header then.
            return os.path.lexists(f"{Path(text).resolve()}-wal") and _header_marked(Path(text).resolve())
        return bool(application_id == APPLICATION_ID)

    # -- connections ------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise JournalError(CLOSED_REFUSAL)
        if os.getpid() != self._pid:  # a forked child: the parent's connections are not ours to use
            with self._lock:
                self._pid, self._connections, self._local = os.getpid(), [], threading.local()
                self._writer = threading.Lock()
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None and self._read_only and self._stale(connection):
            connection = None
        if connection is None:
            connection = self._open()
            with self._lock:
                closed = self._closed  # closed by another thread while this one opened: not kept open
                if not closed:
                    self._connections.append(connection)
            if closed:
                connection.close()
                raise JournalError(CLOSED_REFUSAL)
            self._local.connection = connection
            # Closed when this thread ends (its locals are dropped then), not kept open until close(): a host that
            # serves each request in a thread, or a pool whose idle threads end, would run out of file descriptors.
            ending = _ThreadEnd()
            weakref.finalize(ending, _release, connection, self._connections, self._lock, os.getpid())
            self._local.ending = ending
        return connection

    def _open(self) -> sqlite3.Connection:
        if self._read_only:
            return self._open_read_only()
        try:
            connection = sqlite3.connect(
                self._open_path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise JournalError(f"cannot open the journal file: {error}") from None
        try:
            connection.row_factory = sqlite3.Row
            connection.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
            # Check (or create) the journal first: a database of something else is refused untouched.
            self._prepare(connection)
            self._use_write_ahead_log(connection)
            connection.execute("PRAGMA synchronous = FULL")
        except BaseException as error:
            raise self._unusable(connection, error) from None
        return connection

    def _use_write_ahead_log(self, connection: sqlite3.Connection) -> None:
        """Put the file in write-ahead-log mode (once, when it is new), waiting for other connections as long as
        the journal's timeout allows.

        SQLite answers a change of journal mode that other connections' locks hold up with "database is locked"
        at once, without its busy handler: several processes or threads opening a new file together (each the
        first to switch it) would fail. So the switch is tried again in short, growing, jittered pauses.
        """
        deadline = time.monotonic() + self._timeout
        pause = _FIRST_PAUSE
        while True:
            try:
                if connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                    return
                mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            except sqlite3.OperationalError as error:
                if getattr(error, "sqlite_errorcode", None) not in _BUSY or time.monotonic() >= deadline:
                    raise
            else:
                if mode != "wal":
                    raise JournalError(f"the journal file cannot use write-ahead logging (mode {mode!r})")
                return
            time.sleep(pause * (0.5 + random.random()))  # noqa: S311 - jitter, not secrecy
            pause = min(pause * 2, _LONGEST_PAUSE)

    def _read_state(self) -> tuple[str, tuple[int, int, int] | None]:
        """How to read the file now (:func:`_read_only_query`), and, read as immutable, which file it is: its
        inode, size and time of last change, which a writer that opened, wrote and closed it since changed."""
        query = _read_only_query(self._real_path)
        if "immutable" not in query:
            return query, None
        found = os.stat(self._real_path)
        return query, (found.st_ino, found.st_size, found.st_mtime_ns)

    def _stale(self, connection: sqlite3.Connection) -> bool:
        """Whether this thread's read-only ``connection`` reads the file otherwise than its state now asks
        (a writer opened or closed it since), and is closed so (outside a transaction only).

        A file no process had open is read as immutable: once a writer has it open, it must be read with its
        log, or this reader would miss what the writer wrote and could read a page as it is being copied in;
        and once a writer has changed it (opened, written and closed it between two reads), it is read again.
        A state that cannot be read (a log without its index, as when a writer is opening it) keeps the
        connection as it is.
        """
        if connection.in_transaction:
            return False
        try:
            state = self._read_state()
        except (JournalError, OSError):
            return False
        if state == getattr(self._local, "state", state):
            return False
        with self._lock:
            if connection in self._connections:
                self._connections.remove(connection)
        connection.close()
        self._local.connection = None
        return True

    def _open_read_only(self) -> sqlite3.Connection:
        """A connection that only reads (nothing created beside the file: see :func:`_read_only_query`), once the
        file is checked to be a journal of this release's schema."""
        state = self._read_state()
        self._local.state = state
        try:
            address = f"{Path(self._real_path).as_uri()}?{state[0]}"
            connection = sqlite3.connect(
                address, uri=True, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
        except (sqlite3.Error, OSError, ValueError, RuntimeError) as error:
            raise JournalError(f"cannot open the journal file to read it: {error}") from None
        try:
            connection.row_factory = sqlite3.Row
            application_id, version = _marks(connection)
            if application_id != APPLICATION_ID:
                raise JournalError(f"{self.path!r} is not a recovery-rules journal")
            if version > SCHEMA_VERSION:
                raise JournalError(
                    f"the journal has format {version}, newer than this recovery-rules reads ({SCHEMA_VERSION}); "
                    "upgrade recovery-rules"
                )
            if version != SCHEMA_VERSION:
                raise JournalError(
                    f"the journal was written by an earlier release (format {version}), and is read as it is in "
                    f"format {SCHEMA_VERSION} only: open it once to write (without read_only; from the shell, as "
                    "a user who may write it and its folder) to bring it up to date, its events as they are. To "
                    "keep a copy as it stands first: sqlite3 JOURNAL '.backup COPY'"
                )
            self._legacy_until, self._legacy_damage = self._legacy_setting(connection)
        except BaseException as error:
            raise self._unusable(connection, error) from None
        return connection

    def _unusable(self, connection: sqlite3.Connection, error: BaseException) -> BaseException:
        """What to raise when a connection being opened failed its checks (the connection closed first): a
        database error becomes a :class:`~recovery_rules.JournalError`; anything else goes on as it is."""
        connection.close()
        if isinstance(error, sqlite3.DatabaseError):
            return JournalError(f"{self.path!r} is not a usable recovery-rules journal: {error}")
        return error

    def _prepare(self, connection: sqlite3.Connection) -> None:
        application_id, version = _marks(connection)
        if application_id != APPLICATION_ID or version != SCHEMA_VERSION:
            connection.execute("BEGIN IMMEDIATE")
            try:
                self._create_or_upgrade(connection)
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
        self._legacy_until, self._legacy_damage = self._legacy_setting(connection)

    def _legacy_setting(self, connection: sqlite3.Connection) -> tuple[int, tuple[int, str] | None]:
        """The setting ``legacy_until``, and what is wrong with it (checked against the events: see
        :func:`legacy_problem`), if anything: then the ledger refuses every grant it reads."""
        row = connection.execute("SELECT value FROM journal_settings WHERE name = ?", (LEGACY_UNTIL,)).fetchone()
        if row is None or isinstance(row[0], bool) or not isinstance(row[0], int) or row[0] < 0:
            raise JournalError(f"{self.path!r} is a damaged journal: its setting {LEGACY_UNTIL!r} is missing")
        return row[0], legacy_problem(_SQLiteStore(connection, row[0], None))

    def _create_or_upgrade(self, connection: sqlite3.Connection) -> None:
        """Inside the write lock: create the tables of a new file, or upgrade a journal of schema 1."""
        application_id, version = _marks(connection)
        if application_id == 0 and version == 0:
            tables = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise JournalError(f"{self.path!r} is an SQLite database of something else, not a journal")
            _run(connection, _EVENTS)
        elif application_id != APPLICATION_ID:
            raise JournalError(f"{self.path!r} is an SQLite database of something else, not a journal")
        elif version > SCHEMA_VERSION:
            raise JournalError(
                f"the journal has format {version}, newer than this recovery-rules reads ({SCHEMA_VERSION}); "
                "upgrade recovery-rules"
            )
        elif version in (1, 2, 3, 4):  # an earlier layout: add what it lacks; the events stay as written
            for column in (*_LEDGER_COLUMNS, *_WHO_COLUMNS) if version == 1 else _WHO_COLUMNS if version == 2 else ():
                connection.execute(f"ALTER TABLE events ADD COLUMN {column} TEXT")
            for column in _SEAL_COLUMNS if 1 < version < 4 else ():  # schema 1 has no heads: made below, whole
                connection.execute(f"ALTER TABLE ledger_heads ADD COLUMN {column} TEXT")
        elif version != SCHEMA_VERSION:
            raise JournalError(f"the journal has format {version}, which this recovery-rules does not read")
        _run(connection, _LEDGER)
        if version == 1:
            connection.execute(_CASES["fill"])
            connection.execute(_NO_LATE_FORMAT_1)
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()

    # -- transactions -----------------------------------------------------------
    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Store]:
        if write and self._read_only:
            raise JournalError(READ_ONLY_REFUSAL)
        connection = self._connection()
        try:
            if write:
                self._begin_immediate(connection)
            else:
                connection.execute("BEGIN")
        except sqlite3.Error as error:  # closed by another thread since (close()), or the file failed
            raise self._failed(error, "the journal cannot be " + ("written" if write else "read")) from None
        try:
            yield _SQLiteStore(connection, self._legacy_until, self._legacy_damage)
        except BaseException as error:
            _roll_back(connection)
            if isinstance(error, sqlite3.Error):  # a full disk, an I/O error: a JournalError, nothing written
                raise self._failed(error, f"the journal cannot be {'written' if write else 'read'}") from None
            raise
        try:
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            _roll_back(connection)
            raise self._failed(error, "the journal could not commit") from None

    def _failed(self, error: sqlite3.Error, doing: str) -> JournalError:
        """The :class:`~recovery_rules.JournalError` for ``error``, raised while ``doing``: the closed journal's
        refusal when another thread closed it meanwhile (its connections with it)."""
        return JournalError(CLOSED_REFUSAL) if self._closed else JournalError(f"{doing}: {error}")

    def _begin_immediate(self, connection: sqlite3.Connection) -> None:
        """Take SQLite's write lock, waiting for other writers in short, growing, jittered pauses.

        SQLite's own busy handler sleeps up to 100 ms at a time, far longer than
        an append holds the lock; polling in short pauses keeps many writers moving.
        """
        deadline = time.monotonic() + self._timeout
        pause = _FIRST_PAUSE
        connection.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    connection.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as error:
                    if getattr(error, "sqlite_errorcode", None) not in _BUSY:
                        raise JournalError(f"the journal cannot be written: {error}") from None
                    if time.monotonic() >= deadline:
                        raise JournalError(
                            f"the journal stayed busy for {self._timeout:g} seconds: another writer holds it"
                        ) from None
                time.sleep(pause * (0.5 + random.random()))  # noqa: S311 - jitter, not secrecy
                pause = min(pause * 2, _LONGEST_PAUSE)
        finally:
            connection.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")

    @contextmanager
    def _writing(self) -> Iterator[Store]:
        writer = self._writer  # this handle's threads take turns, each waiting as long as the timeout, as for others
        if not writer.acquire(timeout=self._timeout):
            raise JournalError(f"the journal stayed busy for {self._timeout:g} seconds: another writer holds it")
        try:
            with self._transaction(write=True) as store:
                yield store
        finally:
            writer.release()

    def _write(self) -> AbstractContextManager[Store]:
        return self._writing()

    def _read(self) -> AbstractContextManager[Store]:
        return self._transaction(write=False)

    def _query(self, statement: str, parameters: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        """The rows of one read-only statement, run on its own (one statement is one consistent view)."""
        try:
            return self._connection().execute(statement, parameters).fetchall()
        except sqlite3.Error as error:  # a damaged file, an I/O error: a JournalError, as inside a transaction
            raise JournalError(f"the journal cannot be read: {error}") from None

    # -- reads ------------------------------------------------------------------
    def _scan(self, start: int) -> Iterator[tuple[int, Record]]:
        return ((int(row[0]), record_of_values(row)) for row in self._scan_rows(start))  # type: ignore[call-overload]  # seq, an integer column

    def _scan_rows(self, start: int) -> Iterator[tuple[object, ...]]:
        def rows_from(seq: int, limit: int) -> list[tuple[object, ...]]:
            cursor = self._connection().cursor()
            cursor.row_factory = None  # plain tuples, in COLUMNS order
            try:
                return cursor.execute(_SCAN, (seq, limit)).fetchall()
            except sqlite3.Error as error:
                raise JournalError(f"the journal cannot be read: {error}") from None

        return scan_rows(rows_from, start)

    def _case_records(self, number: str) -> tuple[list[Record], CaseEnd | None]:
        with self._read() as store:  # one read transaction: the events and the entry as of one moment
            assert isinstance(store, _SQLiteStore)  # noqa: S101 - this backend's store, for mypy
            return store.case_records(number), store.case_entry(number)

    def _after_erasure(self) -> None:
        """Copy the write-ahead log into the file and empty it: the destroyed keys' pages leave the log."""
        try:
            busy = self._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.Error as error:
            busy, reason = 1, f" ({error})"
        else:
            reason = ""
        if busy:  # a reader in the middle of a transaction kept the log's older pages in use
            raise JournalError(
                f"the erasure is recorded, but the write-ahead log could not be emptied{reason}: "
                "call erase_customer again when no other connection is in the middle of reading the journal"
            )


class _ThreadEnd:
    """Held in a thread's locals only: collected when the thread ends, which closes the thread's connection."""

    __slots__ = ("__weakref__",)


def _release(
    connection: sqlite3.Connection, connections: list[sqlite3.Connection], lock: threading.Lock, pid: int
) -> None:
    """Close the connection of a thread that ended (in the process that opened it only: a forked child never
    closes its parent's connections, whose close could checkpoint the file under the parent)."""
    if os.getpid() != pid:
        return
    with lock:
        if connection in connections:
            connections.remove(connection)
    with contextlib.suppress(sqlite3.Error):
        connection.close()


class _SQLiteStore(SQLKeys, Store):
    __slots__ = ("_connection", "_inserted", "_legacy_damage", "_legacy_until")

    def __init__(
        self, connection: sqlite3.Connection, legacy_until: int, legacy_damage: tuple[int, str] | None
    ) -> None:
        self._connection = connection
        self._legacy_until = 0 if legacy_damage is not None else legacy_until  # damaged: every grant row is counted
        self._legacy_damage = legacy_damage
        self._inserted: tuple[JSONValue, ...] | None = None  # the row last inserted, for stored_form

    def _one(self, statement: str, parameters: tuple[object, ...]) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._connection.execute(statement, parameters).fetchone()
        return row

    def find(self, key: str) -> Record | None:
        row = self._one(_SELECT + " WHERE key = ?", (key,))
        return None if row is None else _record(row)

    def version(self, number: str) -> int:
        return checked_version(*case_ends(self._connection.execute(_CASES["end"], (number, number)).fetchall()))

    def case_entry(self, number: str) -> CaseEnd | None:
        """The case's entry in the table of cases: its version, ``last_seq`` and ``last_hash`` (``None``: none)."""
        row = self._one("SELECT version, last_seq, last_hash FROM cases WHERE number = ?", (number,))
        return None if row is None else (row[0], row[1], row[2])

    def case_records(self, number: str) -> list[Record]:
        """The records of case ``number``, by version."""
        rows = self._connection.execute(_SELECT + " WHERE number = ? ORDER BY version", (number,)).fetchall()
        return [_record(row) for row in rows]

    def openings(self, numbers: Sequence[str]) -> list[Record]:
        marks = ", ".join("?" * len(numbers))
        statement = _SELECT + " WHERE version = 1 AND number IN (" + marks + ")"
        return [_record(row) for row in self._connection.execute(statement, tuple(numbers)).fetchall()]

    def head(self) -> tuple[int, str]:
        row = self._one("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", ())
        return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))

    def record_at(self, seq: int) -> Record | None:
        row = self._one(_SELECT + " WHERE seq = ?", (seq,))
        return None if row is None else _record(row)

    def ledger_head(self, scope: Scope, key: str) -> LedgerHead | None:
        row = self._one(_GET_HEAD, (scope, key))
        return None if row is None else LedgerHead(*row)

    def later_grant(self, scope: Scope, key: str, after: int) -> int | None:
        values = (key, after, self._legacy_until) if scope == "guest" else (key, after)
        row = self._one(_LATER[scope], values)
        return None if row is None else int(row[0])

    def grant_before(self, customer_id: str, before: str) -> Record | None:
        row = self._one(_BEFORE, (customer_id, before))
        return None if row is None else _record(row)

    def next_grant(self, customer_id: str, after: int) -> Record | None:
        row = self._one(_NEXT, (customer_id, after, self._legacy_until))
        return None if row is None else _record(row)

    def legacy_grants(self, query: GrantQuery) -> list[Record]:
        if self._legacy_damage is not None:
            raise JournalIntegrityError(*self._legacy_damage)
        if not self._legacy_until:
            return []
        conditions, values = grant_conditions(query, "?")
        sql = _SELECT + " WHERE customer_id = ? AND grant_amount IS NOT NULL AND seq <= ? AND format = 1" + conditions
        rows = self._connection.execute(sql, [query.customer_id, self._legacy_until, *values]).fetchall()
        return [_record(row) for row in rows]

    def legacy_until(self) -> object:
        row = self._one("SELECT value FROM journal_settings WHERE name = ?", (LEGACY_UNTIL,))
        return None if row is None else row[0]

    def insert(self, record: dict[str, JSONValue]) -> None:
        row = self._inserted = row_of(record)
        self._connection.execute(_INSERT, row)

    def stored_form(self, record: Mapping[str, object]) -> Record | None:
        row = self._inserted
        if row is None or row[0] != record["seq"]:
            row = row_of(record)  # type: ignore[arg-type]  # an Event.record, not inserted through insert()
        return record_of_values(row)

    def set_ledger_head(self, scope: Scope, key: str, head: LedgerHead) -> None:
        self._connection.execute(_SET_HEAD, (scope, key, *head))

    def ledger_key_check(self) -> str | None:
        row = self._one("SELECT key_check FROM ledger_seal", ())
        return None if row is None else str(row[0])

    def set_ledger_key_check(self, check: str) -> None:
        self._connection.execute("INSERT OR REPLACE INTO ledger_seal (one, key_check) VALUES (1, ?)", (check,))

    def has_ledger_heads(self) -> bool:
        return self._one("SELECT 1 FROM ledger_heads LIMIT 1", ()) is not None

    def any_sealed_head(self) -> LedgerHead | None:
        row = self._one(f"SELECT {_HEAD_COLUMNS} FROM ledger_heads WHERE seal IS NOT NULL LIMIT 1", ())  # noqa: S608
        return None if row is None else LedgerHead(*row)

    def ledger_heads_page(
        self, after: tuple[Scope, str] | None, limit: int
    ) -> list[tuple[Scope, str, LedgerHead, str | None]]:
        where, values = ("", (limit,)) if after is None else (" WHERE (h.scope, h.key) > (?, ?)", (*after, limit))
        rows = self._connection.execute(_HEADS_PAGE.format(where=where), values).fetchall()
        return [(row[0], row[1], LedgerHead(*tuple(row)[2:8]), row[8]) for row in rows]

    def grants_page(self, after: int, limit: int) -> list[LedgerHead]:
        return [LedgerHead(*row) for row in self._connection.execute(_GRANTS_PAGE, (after, limit)).fetchall()]

    # -- many at once (append_many) -----------------------------------------------
    def keys_taken(self, keys: Sequence[str]) -> set[str]:
        return {row[0] for part in _parts(keys) for row in self._in("SELECT key FROM events WHERE key IN ", part)}

    def versions(self, numbers: Sequence[str]) -> dict[str, int]:
        latest: dict[str, CaseEnd] = {}
        entries: dict[str, CaseEnd] = {}
        # SQLite takes a bare column beside MAX() from the row of the maximum: each case's latest event.
        statement = "SELECT number, MAX(version), seq, hash FROM events WHERE number IN "
        for part in _parts(list(dict.fromkeys(numbers))):
            latest.update((row[0], (row[1], row[2], row[3])) for row in self._in(statement, part, " GROUP BY number"))
            cases = self._in("SELECT number, version, last_seq, last_hash FROM cases WHERE number IN ", part)
            entries.update((row[0], (row[1], row[2], row[3])) for row in cases)
        return {number: checked_version(latest.get(number), entries.get(number)) for number in numbers}

    def _in(self, statement: str, values: Sequence[str], tail: str = "") -> list[sqlite3.Row]:
        marks = ", ".join("?" * len(values))
        return self._connection.execute(f"{statement}({marks}){tail}", tuple(values)).fetchall()

    def insert_many(self, records: Sequence[dict[str, JSONValue]]) -> None:
        self._connection.executemany(_INSERT, [row_of(record) for record in records])
        self._inserted = None

    def set_case_heads(self, heads: Sequence[tuple[Mapping[str, object], str | None]]) -> None:
        for statement, values in case_head_runs(_CASES, heads):
            self._connection.executemany(statement, values)

    def set_ledger_heads(self, heads: Sequence[tuple[Scope, str, LedgerHead]]) -> None:
        self._connection.executemany(_SET_HEAD, [(scope, key, *head) for scope, key, head in heads])

    def case_heads(
        self, *, callback_before: str | None = None, opened_since: str | None = None, opened_until: str | None = None
    ) -> list[CaseHead]:
        statement, values = case_filter(
            _CASES, callback_before=callback_before, opened_since=opened_since, opened_until=opened_until
        )
        return [CaseHead(*row) for row in self._connection.execute(statement, values).fetchall()]

    def last_case_seq(self) -> object:
        row = self._one(_CASES["last"], ())
        return 0 if row is None or row[0] is None else row[0]

    def unmatched_case(self, after: int, until: int) -> tuple[object, bool | None] | None:
        row = self._one(_CASES["unmatched"], (after, until))
        return None if row is None else (row[0], None if row[1] is None else bool(row[1]))

    def unlisted_case(self, after: int, until: int) -> tuple[int, int | None] | None:
        if after:
            row = self._one(_CASES["unlisted_since"], (until, after, until))
        else:
            row = self._one(_CASES["unlisted"], (until, until))
        return None if row is None else (int(row[0]), None if row[1] is None else int(row[1]))

    def misopened_case(self, after: int, until: int) -> object | None:
        row = self._one(_CASES["misopened"], (after, until))
        return None if row is None else row[0]

    def unheaded_grant(self, after: int) -> object | None:
        if after:
            row = self._one(_HEADS_CHECK["unheaded_since"], (after, after))
        else:
            row = self._one(_HEADS_CHECK["unheaded"], ())
        return None if row is None else row[0]

    def unsealed_grant(self, after: int) -> int | None:
        row = self._one(_HEADS_CHECK["unsealed"], (after,))
        return None if row is None else int(row[0])

    def stray_ledger_head(self, after: int) -> object | None:
        row = self._one(_HEADS_CHECK["stray"], (after, after, after))
        return None if row is None else row[0]

    def set_case_head(self, record: Mapping[str, object], *, open_callback: str | None) -> None:
        statement = _CASES["open"] if record["version"] == 1 else _CASES["advance"]
        self._connection.execute(statement, case_head_values(record, open_callback))

    # -- personal data (see _privacy_sql.py) --------------------------------------
    def _keys_sql(self) -> KeyStatements:
        return _KEYS

    def _run_keys(self, statement: str, parameters: Sequence[object]) -> sqlite3.Cursor:
        return self._connection.execute(statement, tuple(parameters))

    def _has_table(self, name: str) -> bool:
        return _has_table(self._connection, name)

    def _record_of(self, row: sqlite3.Row) -> Record:
        return _record(row)

    def _before_destroy(self) -> None:
        self._connection.execute("PRAGMA secure_delete = ON")  # freed cells and pages are overwritten with zeros


def _parts(values: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    """``values`` in slices of at most ``size``: the bound values of one statement stay well under SQLite's limit."""
    return [values[start : start + size] for start in range(0, len(values), size)]


def _roll_back(connection: sqlite3.Connection) -> None:
    """Roll back ``connection``'s transaction, if it is still in one: SQLite may have rolled it back by itself (a
    full disk), and a connection another thread closed (``close()``) is in none, and cannot even be asked."""
    with contextlib.suppress(sqlite3.Error):
        if connection.in_transaction:
            connection.execute("ROLLBACK")


def _run(connection: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            connection.execute(statement)


def _has_table(connection: sqlite3.Connection, name: str) -> bool:
    found = connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return found.fetchone() is not None


def _checked_path(path: object) -> str:
    if isinstance(path, bytes):
        raise JournalError("the journal's path must be text, not bytes")
    if not isinstance(path, str | os.PathLike):
        raise JournalError("the journal's path must be a str or a path-like object")
    text = os.fspath(path)
    if isinstance(text, bytes):
        raise JournalError("the journal's path must be text, not bytes")
    if not text or "\0" in text:
        raise JournalError("the journal's path must be a non-empty file name without NUL characters")
    try:
        text.encode("utf-8")  # what SQLite is given: a name read from bytes of another encoding has lone surrogates
    except UnicodeEncodeError:
        raise JournalError(
            "the journal's path must be valid Unicode text: it holds a lone surrogate (a file name in another "
            "encoding than UTF-8 reads so); rename the file or choose another name"
        ) from None
    return text


_COMPANIONS: Final = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside a database: its write-ahead log, the log's index, a rollback journal."""


def _read_only_query(path: str) -> str:
    """How to open ``path`` read-only, creating nothing beside it: the query of its SQLite URI.

    - nothing beside the file (no process has it open): read it as an immutable file;
    - its write-ahead log and that log's index (``-wal`` and ``-shm``: a writer has it open): read it with them,
      as any reader of a live journal does, so the latest events are seen; SQLite needs to create nothing;
    - anything else (a log without its index, or a rollback journal: a write cut off by a crash) is refused, since
      only a writer can recover it, and the file alone may not hold the whole journal.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise JournalError(f"there is no journal file {path!r} (read_only=True never creates one)") from None
    except OSError as error:
        raise JournalError(f"cannot read the journal file {path!r}: {error.strerror}") from None
    if not stat.S_ISREG(mode):
        raise JournalError(f"{path!r} is not a file; give the journal's SQLite file")
    wal, index, rollback = (os.path.lexists(path + suffix) for suffix in _COMPANIONS)
    if not (wal or index or rollback):
        return "mode=ro&immutable=1"
    if wal and index and not rollback:
        return "mode=ro"
    found = ", ".join(
        path + suffix for suffix, there in (("-wal", wal), ("-shm", index), ("-journal", rollback)) if there
    )
    raise JournalError(
        f"the journal has {found} beside it: a write was cut off (a process stopped without closing the journal), "
        "and only a writer can recover it. Open it once without read_only, with write access, or read a copy "
        "made with SQLite's backup (sqlite3 FILE '.backup COPY')"
    )


def _header_marked(path: Path) -> bool:
    """Whether the header of the SQLite file ``path`` carries the journal's mark (its application id, bytes 68 to
    71: https://www.sqlite.org/fileformat.html), read from the file's bytes."""
    try:
        with path.open("rb") as file:
            header = file.read(72)
    except OSError:
        return False
    return header[:16] == b"SQLite format 3\x00" and int.from_bytes(header[68:72], "big") == APPLICATION_ID


def _marks(connection: sqlite3.Connection) -> tuple[int, int]:
    application_id = connection.execute("PRAGMA application_id").fetchone()[0]
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    return int(application_id), int(version)


def _record(row: sqlite3.Row) -> Record:
    """The record of ``row``, a row of ``_SELECT`` (every column, in :data:`COLUMNS` order)."""
    return record_of_values(row)
