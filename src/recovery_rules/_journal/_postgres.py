"""``PostgresJournal``: the journal in a PostgreSQL database, shared by many servers.

- The journal lives in a schema of its own (``recovery_rules`` by default): a
  one-row table ``journal`` that marks the schema as a recovery-rules journal
  and carries its format, the table ``events``, the ledger's heads
  (``ledger_heads``) and where each case stands (``cases``); a journal that encrypts personal data adds
  ``data_keys`` and ``erasures``. They are created on first use; a schema holding anything
  else, or a journal of a newer format, is refused. A journal of format 1 (the
  first release) is upgraded in place when opened: the ledger's columns, indexes
  and heads are added, and its events stay exactly as they were. A journal of
  format 1 or 2 gets the columns of event format 3 (``employee``,
  ``policy_revision``) the same way, ``NULL`` in every event written before. A
  journal of format 1 to 3 gets the columns of sealed ledger heads
  (``grant_amount``, ``grant_currency``, ``ledger``, ``seal``) and the key check
  of a sealed ledger (``journal.ledger_key_check``), ``NULL`` until sealed.
- Every append is one transaction that first locks the ``journal`` row
  (``SELECT ... FOR UPDATE``). The hash chain is global (each event names the
  hash of the one before it), so appends must take turns on the chain's head
  whatever guest they are for; that one row lock is the turn. Every read inside
  the transaction (the idempotency key, the case's version, the ledger, the
  head) runs after the lock is granted, in READ COMMITTED, so it sees every
  append committed before: two servers can never both approve past a guest's
  limit. A per-guest lock would not let more through, because the chain orders
  every event anyway; SERIALIZABLE would make writers retry on every clash
  instead of queueing.
- ``synchronous_commit`` is raised to ``on`` if the server has it ``off``, so an
  append that returned is on the server's disk (and survives the server's
  crash); the server's own ``fsync`` must stay on.
- Connections: a journal opens them as threads need them and keeps a few idle
  ones; a connection is never shared by two threads at once; a forked child
  opens its own. A connection found dead (the server restarted) is replaced.
- Errors from the driver become :class:`~recovery_rules.JournalError` with
  the SQLSTATE and what it means; the server's own message text is not
  repeated, because it can quote stored values, and the connection string
  (which may hold a password) never appears in a message.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, Final

from recovery_rules.exceptions import JournalError, JournalIntegrityError, MissingDependencyError

from ._base import MAX_AHEAD, POSTGRES_CLOSED_REFUSAL, Clock, Journal, legacy_problem
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
    record_of,
    row_of,
    scan,
    scan_rows,
)
from ._ledger import GrantQuery
from ._privacy import check_encrypt_flag
from ._privacy_sql import KeyStatements, SQLKeys
from ._seal import checked_ledger_key
from ._store import CaseEnd, CaseHead, LedgerHead, Record, Scope, Store, checked_version

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresJournal"]

APPLICATION: Final = "recovery-rules journal"
SCHEMA_VERSION: Final = 5
_HEAD_COLUMNS: Final = "seq, hash, grant_amount, grant_currency, ledger, seal"
_IDLE: Final = 8  # idle connections kept for the next transaction
_SCHEMA_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")

# Every statement is built from these constants and the checked schema name; values are always bound.
_TABLES: Final = """
CREATE TABLE {s}.journal (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    application    text    NOT NULL,
    format         integer NOT NULL,
    legacy_until   bigint  NOT NULL DEFAULT 0,
    ledger_key_check text  COLLATE "C"
);
CREATE TABLE {s}.events (
    seq            bigint  PRIMARY KEY CHECK (seq >= 1),
    format         integer NOT NULL,
    number         text    COLLATE "C" NOT NULL,
    customer_id    text    COLLATE "C" NOT NULL,
    version        integer NOT NULL CHECK (version >= 1),
    kind           text    COLLATE "C" NOT NULL,
    state          text    COLLATE "C" NOT NULL,
    actor          text    COLLATE "C" NOT NULL,
    at             text    COLLATE "C" NOT NULL,
    key            text    COLLATE "C" NOT NULL UNIQUE,
    request        text    COLLATE "C" NOT NULL,
    data           text    COLLATE "C" NOT NULL,
    grant_amount   text    COLLATE "C",
    grant_currency text    COLLATE "C",
    callback_due   text    COLLATE "C",
    prev           text    COLLATE "C" NOT NULL,
    hash           text    COLLATE "C" NOT NULL,
    ledger         text    COLLATE "C",
    ledger_at      text    COLLATE "C",
    incident       text    COLLATE "C",
    employee       text    COLLATE "C",
    policy_revision text   COLLATE "C",
    UNIQUE (number, version)
)
"""
# What format 1 lacks (its events table gets the three ledger columns first, by ALTER TABLE).
_LEDGER: Final = """
CREATE INDEX events_guest_grants ON {s}.events (customer_id, seq) WHERE grant_amount IS NOT NULL;
CREATE INDEX events_incident_grants ON {s}.events (incident, seq) WHERE incident IS NOT NULL;
CREATE INDEX events_ledger_at ON {s}.events (customer_id, ledger_at, seq) WHERE ledger_at IS NOT NULL;
CREATE TABLE {s}.ledger_heads (
    scope          text    COLLATE "C" NOT NULL,
    key            text    COLLATE "C" NOT NULL,
    seq            bigint  NOT NULL,
    hash           text    COLLATE "C" NOT NULL,
    grant_amount   text    COLLATE "C",
    grant_currency text    COLLATE "C",
    ledger         text    COLLATE "C",
    seal           text    COLLATE "C",
    PRIMARY KEY (scope, key)
);
CREATE TABLE {s}.cases (
    number         text    COLLATE "C" PRIMARY KEY,
    customer_id    text    COLLATE "C" NOT NULL,
    version        integer NOT NULL,
    state          text    COLLATE "C" NOT NULL,
    first_seq      bigint  NOT NULL,
    opened_at      text    COLLATE "C" NOT NULL,
    last_seq       bigint  NOT NULL,
    last_hash      text    COLLATE "C" NOT NULL,
    callback_due   text    COLLATE "C"
);
CREATE INDEX cases_callbacks ON {s}.cases (callback_due) WHERE callback_due IS NOT NULL;
CREATE INDEX cases_opened ON {s}.cases (opened_at);
CREATE INDEX cases_last_seq ON {s}.cases (last_seq);
CREATE INDEX ledger_heads_seq ON {s}.ledger_heads (seq);
CREATE INDEX ledger_heads_sealed ON {s}.ledger_heads (seq) WHERE seal IS NOT NULL
"""
# What format 4 lacks: the indexes a check resumed from a saved head reads the table of cases and the heads by.
_UPGRADE_4: Final = """
CREATE INDEX IF NOT EXISTS cases_last_seq ON {s}.cases (last_seq);
CREATE INDEX IF NOT EXISTS ledger_heads_seq ON {s}.ledger_heads (seq);
CREATE INDEX IF NOT EXISTS ledger_heads_sealed ON {s}.ledger_heads (seq) WHERE seal IS NOT NULL
"""
_UPGRADE_1: Final = """
ALTER TABLE {s}.events ADD COLUMN ledger text COLLATE "C", ADD COLUMN ledger_at text COLLATE "C",
    ADD COLUMN incident text COLLATE "C";
ALTER TABLE {s}.journal ADD COLUMN legacy_until bigint NOT NULL DEFAULT 0;
UPDATE {s}.journal SET legacy_until = (SELECT COALESCE(MAX(seq), 0) FROM {s}.events)
"""
# What format 2 lacks: the columns of event format 3 (after _UPGRADE_1 for a journal of format 1).
_UPGRADE_2: Final = """
ALTER TABLE {s}.events ADD COLUMN employee text COLLATE "C", ADD COLUMN policy_revision text COLLATE "C"
"""
# What format 3 lacks: sealed heads' columns (a journal of format 1 gets its heads whole, from _LEDGER), and the
# key check of a sealed ledger.
_UPGRADE_3_HEADS: Final = """
ALTER TABLE {s}.ledger_heads ADD COLUMN grant_amount text COLLATE "C", ADD COLUMN grant_currency text COLLATE "C",
    ADD COLUMN ledger text COLLATE "C", ADD COLUMN seal text COLLATE "C"
"""
_UPGRADE_3: Final = """
ALTER TABLE {s}.journal ADD COLUMN ledger_key_check text COLLATE "C"
"""
_COLUMNS: Final = ", ".join(COLUMNS)
_MARKS: Final = ", ".join(["%s"] * len(COLUMNS))

# What a failure's SQLSTATE means, by the most specific code or class (its first two characters) known.
_MEANINGS: Final = {
    "55P03": "the journal stayed busy: another writer held it longer than the journal's timeout",
    "57014": "the statement was cancelled (a statement timeout, or an operator)",
    "53100": "the database server's disk is full",
    "53": "the database server ran out of resources (memory, disk or connections)",
    "57P01": "the database server is shutting down",
    "57P02": "the database server crashed",
    "57P03": "the database server is starting up or shutting down",
    "57": "the database server stopped the session",
    "08": "the connection to the database failed",
    "40": "the database rolled the transaction back (a deadlock or a serialization failure)",
    "42P01": "the journal's tables are missing: was the schema dropped?",
    "3F000": "the journal's schema is missing: was it dropped?",
    "42501": "the database user lacks a privilege the journal needs (CREATE on the database, or rights on the schema)",
    "25006": "the database is read-only (a standby server?)",
    "28": "the database refused the login: check the user and password",
    "3D000": "the database does not exist",
    "23": "the database refused the event: it breaks a constraint of the journal's tables",
    "22": "the database refused a value the journal stored",
}
_UNKNOWN_OUTCOME: Final = (
    "; whether the step was recorded is not known: repeat it with the same idempotency key, which records it "
    "at most once (a ledger's sealing, a key rotation or an erasure, which take no key: see whether it took "
    "effect, with ledger_sealed or verify, before repeating it)"
)


def _driver() -> Any:
    """The ``psycopg`` module, imported on first use (the ``postgres`` extra)."""
    try:
        import psycopg  # noqa: PLC0415 - an optional dependency, imported where it is needed
    except ImportError:
        raise MissingDependencyError("the PostgreSQL journal", "postgres", "psycopg") from None
    return psycopg


class PostgresJournal(Journal):
    """A journal in a PostgreSQL database, safe for many threads, processes and servers at once.

    ``conninfo`` is a libpq connection string (``postgresql://app@db.example/hotel``
    or ``host=db.example dbname=hotel user=app``); a password is better kept out
    of it, in a ``PGPASSWORD`` variable or a ``.pgpass`` file. The journal's
    tables live in ``schema``, created on first use (the database user then
    needs ``CREATE`` on the database; afterwards only rights on the schema).
    ``timeout`` is how many seconds a writer waits for the others before giving
    up with a :class:`~recovery_rules.JournalError`, and how long connecting may
    take. With ``create=False`` a journal that is not there yet is refused
    rather than created (for readers); a journal of the first release's format
    is upgraded in place all the same (the database user needs the rights to
    alter its tables once). ``clock`` and ``max_ahead``: see
    :class:`~recovery_rules.Journal`. ``ledger_key``: see
    :class:`~recovery_rules.SQLiteJournal`. Needs the ``postgres`` extra:
    ``pip install 'recovery-rules[postgres]'``.
    """

    _batches_writes = True

    def __init__(
        self,
        conninfo: str,
        *,
        schema: str = "recovery_rules",
        timeout: float = 30.0,
        create: bool = True,
        clock: Clock | None = None,
        max_ahead: dt.timedelta = MAX_AHEAD,
        encrypt_personal_data: bool = False,
        ledger_key: bytes | None = None,
    ) -> None:
        self._set_clock(clock, max_ahead)
        encrypt = check_encrypt_flag(encrypt_personal_data)
        checked_ledger_key(ledger_key)  # a bad key is refused before the database is touched
        self._psycopg = _driver()
        if not isinstance(schema, str) or not _SCHEMA_NAME.fullmatch(schema):
            raise JournalError(
                "the schema name must be 1 to 63 lower-case ASCII letters, digits and '_', starting with a "
                "letter or '_', such as 'recovery_rules'"
            )
        if schema.startswith("pg_"):
            raise JournalError(
                f"the schema name {schema!r} starts with 'pg_', which PostgreSQL reserves for its own schemas; "
                "choose another, such as 'recovery_rules'"
            )
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 86_400:
            raise JournalError("the timeout must be a number of seconds above 0 (and at most a day)")
        self.schema = schema
        self._conninfo = _checked_conninfo(self._psycopg, conninfo)
        self._timeout = float(timeout)
        if not isinstance(create, bool):
            raise JournalError("create must be True or False")
        self._create = create
        # The setting legacy_until and what is wrong with it, if anything (see legacy_problem), and the stored value
        # that was checked for: checked again only when it changes (read with the write lock of every append).
        self._legacy: tuple[int, tuple[int, str] | None] = (0, None)
        self._legacy_seen: int | None = None
        self._lock = threading.Lock()
        self._idle: list[psycopg.Connection[Any]] = []
        self._inherited: list[psycopg.Connection[Any]] = []  # a forked child's copies: never used, never closed
        self._pid = os.getpid()
        self._closed = False
        quoted = f'"{schema}"'  # safe: the name was checked to be a plain lower-case identifier
        self._sql = _Statements(quoted)
        try:
            with self._connection() as connection:  # create or check the schema now, so a bad address fails here
                self._prepare(connection)
            if encrypt:  # the keys table marks the journal as encrypting, for every handle from now on
                with self._write() as store:
                    assert isinstance(store, _PostgresStore)  # noqa: S101 - this backend's store, for mypy
                    for statement in self._sql.keys.create:
                        store._run_keys(statement, ())
            with self._read() as store:
                assert isinstance(store, _PostgresStore)  # noqa: S101 - as above
                self._encrypts = store._has_table("data_keys")
            if self._encrypts:
                check_encrypt_flag(True)  # a journal that encrypts needs the cryptography package to be written
            self._take_ledger_key(ledger_key)
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"<PostgresJournal schema={self.schema!r}>"  # never the connection string: it may hold a password

    # -- connections ------------------------------------------------------------
    def _open(self) -> psycopg.Connection[Any]:
        driver = self._psycopg
        try:
            connection: psycopg.Connection[Any] = driver.connect(
                self._conninfo,
                autocommit=True,
                connect_timeout=max(1, round(self._timeout)),
                row_factory=driver.rows.dict_row,
                client_encoding="UTF8",  # whatever the address or PGCLIENTENCODING says: customers' words are Unicode
            )
        except driver.Error as error:
            raise JournalError(f"cannot connect to the journal's database: {self._reason(error)}") from None
        try:
            timeout = f"{max(1, round(self._timeout * 1000))}ms"  # 0ms would be no timeout at all
            connection.execute("SELECT set_config('lock_timeout', %s, false)", (timeout,))
            # A writer that stalls inside a transaction would hold the chain's head from every other server.
            connection.execute("SELECT set_config('idle_in_transaction_session_timeout', %s, false)", ("60s",))
            row = connection.execute("SHOW synchronous_commit").fetchone()
            if row is not None and row["synchronous_commit"] == "off":
                connection.execute("SET synchronous_commit = on")  # an acknowledged append must be on disk
        except driver.Error as error:
            connection.close()
            raise _failure(error, "cannot set up a connection to the journal's database") from None
        return connection

    def _reason(self, error: Exception) -> str:
        """libpq's reason a connection failed (where it tried, and why), on one line, never the password."""
        reason = " ".join(line.strip() for line in str(error).splitlines() if line.strip()) or type(error).__name__
        password = _password(self._psycopg, self._conninfo)
        return reason.replace(password, "***") if password else reason

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection for this thread's use alone, returned to the idle ones afterwards if still good."""
        connection, _ = self._checkout()
        try:
            yield connection
        finally:
            self._checkin(connection)

    def _checkout(self) -> tuple[psycopg.Connection[Any], bool]:
        """A connection, and whether it was idle (it may have died since) rather than new."""
        with self._lock:
            if self._closed:
                raise JournalError(POSTGRES_CLOSED_REFUSAL)
            if os.getpid() != self._pid:  # a forked child: the parent's connections are not ours to use
                self._inherited.extend(self._idle)
                self._idle, self._pid = [], os.getpid()
            if self._idle:
                return self._idle.pop(), True
        return self._open(), False

    def _checkin(self, connection: psycopg.Connection[Any]) -> None:
        idle = self._psycopg.pq.TransactionStatus.IDLE
        usable = not connection.closed and connection.info.transaction_status == idle
        with self._lock:
            keep = usable and not self._closed and os.getpid() == self._pid and len(self._idle) < _IDLE
            if keep:
                self._idle.append(connection)
                return
        if os.getpid() == self._pid:
            connection.close()
        else:
            self._inherited.append(connection)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        if os.getpid() == self._pid:
            for connection in idle:
                connection.close()

    # -- the schema -------------------------------------------------------------
    def _prepare(self, connection: psycopg.Connection[Any]) -> None:
        driver = self._psycopg
        sql = self._sql
        try:
            with connection.transaction():
                # Two servers starting at once must not both create the tables: one waits for the other.
                connection.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{APPLICATION} {self.schema}",))
                encoding = connection.execute("SHOW server_encoding").fetchone()
                if encoding is None or encoding["server_encoding"] != "UTF8":
                    found = "unknown" if encoding is None else encoding["server_encoding"]
                    raise JournalError(
                        f"the journal's database uses the encoding {found}, which cannot hold every customer's "
                        "words: the journal needs a database in UTF8 (CREATE DATABASE ... ENCODING 'UTF8' "
                        "TEMPLATE template0)"
                    )
                if connection.execute(sql.has_marker, (self.schema,)).fetchone() is None:
                    if not self._create:
                        raise JournalError(f"the database has no recovery-rules journal in the schema {self.schema!r}")
                    if connection.execute(sql.has_schema, (self.schema,)).fetchone() is None:
                        connection.execute(sql.create_schema)
                    if connection.execute(sql.has_anything, (self.schema,)).fetchone() is not None:
                        raise JournalError(
                            f"the schema {self.schema!r} holds something else, not a recovery-rules journal; "
                            "choose another schema"
                        )
                    for statement in [*sql.tables, *sql.ledger]:
                        connection.execute(statement)
                    connection.execute(sql.mark, (APPLICATION, SCHEMA_VERSION))
                else:
                    marker = connection.execute(sql.marker_format).fetchone()
                    if marker is None or marker["application"] != APPLICATION:
                        raise JournalError(
                            f"the schema {self.schema!r} holds something else, not a recovery-rules journal; "
                            "choose another schema"
                        )
                    if marker["format"] == 1:  # the first release's layout: upgraded in place, events untouched
                        upgrade = [*sql.upgrade, *sql.ledger, sql.cases["fill"], *sql.upgrade_2, sql.upgrade_3]
                        for statement in upgrade:
                            connection.execute(statement)
                        connection.execute(sql.set_format, (SCHEMA_VERSION,))
                    elif marker["format"] in (2, 3):  # the columns added since, the events untouched
                        upgrade = [*sql.upgrade_2] if marker["format"] == 2 else []
                        for statement in [*upgrade, sql.upgrade_3_heads, sql.upgrade_3, *sql.upgrade_4]:
                            connection.execute(statement)
                        connection.execute(sql.set_format, (SCHEMA_VERSION,))
                    elif marker["format"] == 4:  # the indexes added since
                        for statement in sql.upgrade_4:
                            connection.execute(statement)
                        connection.execute(sql.set_format, (SCHEMA_VERSION,))
                    elif marker["format"] > SCHEMA_VERSION:
                        self._check_marker(marker, connection)  # newer than this release: refused, saying so
                    self._check_marker(connection.execute(sql.marker).fetchone(), connection)
        except driver.Error as error:
            raise _failure(error, f"cannot create or check the journal in the schema {self.schema!r}") from None

    def _check_marker(self, row: dict[str, Any] | None, connection: psycopg.Connection[Any]) -> None:
        if row is None or row["application"] != APPLICATION:
            raise JournalError(
                f"the schema {self.schema!r} holds something else, not a recovery-rules journal; choose another schema"
            )
        if row["format"] > SCHEMA_VERSION:
            raise JournalError(
                f"the journal has format {row['format']}, newer than this recovery-rules reads ({SCHEMA_VERSION}); "
                "upgrade recovery-rules"
            )
        if row["format"] != SCHEMA_VERSION:
            raise JournalError(f"the journal has format {row['format']}, which this recovery-rules does not read")
        legacy_until = row.get("legacy_until")
        if isinstance(legacy_until, bool) or not isinstance(legacy_until, int) or legacy_until < 0:
            raise JournalError("the journal is damaged: its setting 'legacy_until' is not a position")
        if legacy_until != self._legacy_seen:  # two look-ups by position, once for each value seen
            problem = legacy_problem(_PostgresStore(connection, self._sql, (legacy_until, None)))
            self._legacy, self._legacy_seen = (legacy_until, problem), legacy_until

    def _after_erasure(self) -> None:
        """Vacuum the keys table, so the deleted keys' tuples are pruned from its pages."""
        skipped: list[str] = []  # PostgreSQL skips a table the user does not own with a warning, not an error

        def warned(diagnostic: Any) -> None:
            if diagnostic.severity_nonlocalized == "WARNING":
                skipped.append(str(diagnostic.sqlstate or ""))

        try:
            with self._connection() as connection:  # autocommit: VACUUM runs outside a transaction
                found = connection.execute(
                    "SELECT to_regclass(%s) AS found", (f"{self._sql.schema}.data_keys",)
                ).fetchone()
                if found is None or found["found"] is None:  # a journal that never encrypted holds no keys
                    return
                connection.add_notice_handler(warned)
                try:
                    connection.execute(f"VACUUM {self._sql.schema}.data_keys")
                finally:
                    connection.remove_notice_handler(warned)
        except self._psycopg.Error as error:
            raise _failure(error, "the erasure is recorded, but the keys table could not be vacuumed") from None
        if skipped:
            raise JournalError(
                "the erasure is recorded, but the keys table could not be vacuumed: PostgreSQL skipped it (only "
                f"the table's owner may vacuum it): run VACUUM {self._sql.schema}.data_keys as its owner"
            )

    # -- transactions -----------------------------------------------------------
    def _begin(self, begin: str) -> tuple[psycopg.Connection[Any], dict[str, Any] | None]:
        """A connection inside a new transaction, and the first row ``begin`` returned.

        A connection that was idle may have died since (the server restarted): it
        is replaced once, which is safe because nothing was sent on it yet.
        """
        driver = self._psycopg
        while True:
            connection, was_idle = self._checkout()
            try:
                cursor = connection.execute(begin)
                row = cursor.fetchone() if cursor.nextset() else None  # the row of the statement after BEGIN
                return connection, row
            except driver.Error as error:
                self._abandon(connection)
                if was_idle and connection.closed:
                    continue
                raise _failure(error, "the journal cannot be used") from None

    def _abandon(self, connection: psycopg.Connection[Any]) -> None:
        """Roll back whatever ``connection`` was doing, and give it back (or drop it if that failed)."""
        idle = self._psycopg.pq.TransactionStatus.IDLE
        try:
            if not connection.closed and connection.info.transaction_status != idle:
                connection.execute("ROLLBACK")
        except self._psycopg.Error:
            connection.close()
        self._checkin(connection)

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Store]:
        driver = self._psycopg
        connection, marker = self._begin(self._sql.begin_write if write else self._sql.begin_read)
        try:
            if write:
                self._check_marker(marker, connection)
            yield _PostgresStore(connection, self._sql, self._legacy)
        except driver.Error as error:
            self._abandon(connection)
            raise _failure(error, "the journal cannot be written" if write else "the journal cannot be read") from None
        except BaseException:
            self._abandon(connection)
            raise
        try:
            connection.execute("COMMIT")
        except driver.Error as error:
            self._abandon(connection)
            # The server may have committed before the connection broke: the caller cannot know.
            unknown = _UNKNOWN_OUTCOME if write and connection.closed else ""
            raise _failure(error, "the journal could not commit", after=unknown) from None
        self._checkin(connection)

    def _write(self) -> AbstractContextManager[Store]:
        return self._transaction(write=True)

    def _read(self) -> AbstractContextManager[Store]:
        return self._transaction(write=False)

    def _query(self, statement: str, parameters: tuple[object, ...] = ()) -> list[dict[str, Any]]:
        """The rows of one read-only statement, run on its own (one statement is one consistent view).

        As for a transaction, an idle connection found dead is replaced once.
        """
        driver = self._psycopg
        while True:
            connection, was_idle = self._checkout()
            try:
                rows: list[dict[str, Any]] = connection.execute(statement, parameters).fetchall()
            except driver.Error as error:
                self._abandon(connection)
                if was_idle and connection.closed:
                    continue
                raise _failure(error, "the journal cannot be read") from None
            self._checkin(connection)
            return rows

    # -- reads ------------------------------------------------------------------
    def _scan(self, start: int) -> Iterator[tuple[int, Record]]:
        return scan(lambda seq, limit: self._query(self._sql.scan, (seq, limit)), start)

    def _scan_rows(self, start: int) -> Iterator[tuple[object, ...]]:
        tuples = self._psycopg.rows.tuple_row

        def rows_from(seq: int, limit: int) -> list[tuple[object, ...]]:
            driver = self._psycopg
            while True:
                connection, was_idle = self._checkout()
                try:
                    with connection.cursor(row_factory=tuples) as cursor:
                        rows: list[tuple[object, ...]] = cursor.execute(self._sql.scan, (seq, limit)).fetchall()
                except driver.Error as error:
                    self._abandon(connection)
                    if was_idle and connection.closed:
                        continue
                    raise _failure(error, "the journal cannot be read") from None
                self._checkin(connection)
                return rows

        return scan_rows(rows_from, start)

    def _case_records(self, number: str) -> tuple[list[Record], CaseEnd | None]:
        with self._read() as store:  # one snapshot (REPEATABLE READ): the events and the entry as of one moment
            assert isinstance(store, _PostgresStore)  # noqa: S101 - this backend's store, for mypy
            return store.case_records(number), store.case_entry(number)


class _Statements:
    """The journal's SQL for one schema, built once."""

    __slots__ = (
        "any_ledger_head",
        "any_sealed_head",
        "before",
        "begin_read",
        "begin_write",
        "case",
        "case_entries",
        "case_entry",
        "case_latest",
        "cases",
        "create_schema",
        "find",
        "has_anything",
        "has_marker",
        "has_schema",
        "head",
        "heads_check",
        "insert",
        "keys",
        "keys_taken",
        "later",
        "ledger",
        "ledger_head",
        "ledger_key_check",
        "legacy",
        "legacy_until",
        "mark",
        "marker",
        "marker_format",
        "next_grant",
        "openings",
        "record_at",
        "scan",
        "schema",
        "set_format",
        "set_head",
        "set_key_check",
        "tables",
        "upgrade",
        "upgrade_2",
        "upgrade_3",
        "upgrade_3_heads",
        "upgrade_4",
    )

    def __init__(self, s: str) -> None:
        select = f"SELECT {_COLUMNS} FROM {s}.events"  # noqa: S608 - constants and a checked identifier only
        self.has_schema = "SELECT 1 FROM pg_namespace WHERE nspname = %s"
        self.has_marker = (
            "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = 'journal'"
        )
        self.has_anything = (
            "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s LIMIT 1"
        )
        self.create_schema = f"CREATE SCHEMA {s}"
        self.tables = [statement.format(s=s) for statement in _TABLES.split(";")]
        self.ledger = [statement.format(s=s) for statement in _LEDGER.split(";")]
        self.upgrade = [statement.format(s=s) for statement in _UPGRADE_1.split(";")]
        self.upgrade_2 = [statement.format(s=s) for statement in _UPGRADE_2.split(";")]
        self.upgrade_3_heads = _UPGRADE_3_HEADS.format(s=s)
        self.upgrade_3 = _UPGRADE_3.format(s=s)
        self.upgrade_4 = [statement.format(s=s) for statement in _UPGRADE_4.split(";")]
        self.mark = f"INSERT INTO {s}.journal (application, format) VALUES (%s, %s)"  # noqa: S608 - as above
        self.marker_format = f"SELECT application, format FROM {s}.journal"  # noqa: S608 - as above
        self.marker = f"SELECT application, format, legacy_until FROM {s}.journal"  # noqa: S608 - as above
        self.set_format = f"UPDATE {s}.journal SET format = %s"  # noqa: S608 - as above
        # The write lock: the one row every append locks first, so appends from every server take turns.
        self.begin_write = f"BEGIN; SELECT application, format, legacy_until FROM {s}.journal FOR UPDATE"  # noqa: S608 - as above
        self.begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        self.find = f"{select} WHERE key = %s"
        self.keys_taken = f"SELECT key FROM {s}.events WHERE key = ANY(%s)"  # noqa: S608 - as above

        self.head = f"SELECT seq, hash FROM {s}.events ORDER BY seq DESC LIMIT 1"  # noqa: S608 - as above
        self.legacy = f"{select} WHERE customer_id = %s AND grant_amount IS NOT NULL AND seq <= %s AND format = 1"
        self.legacy_until = f"SELECT legacy_until FROM {s}.journal"  # noqa: S608 - as above
        self.record_at = f"{select} WHERE seq = %s"
        self.openings = f"{select} WHERE version = 1 AND number = ANY(%s)"
        self.ledger_head = f"SELECT {_HEAD_COLUMNS} FROM {s}.ledger_heads WHERE scope = %s AND key = %s"  # noqa: S608 - as above
        self.any_ledger_head = f"SELECT 1 FROM {s}.ledger_heads LIMIT 1"  # noqa: S608 - as above
        self.any_sealed_head = f"SELECT {_HEAD_COLUMNS} FROM {s}.ledger_heads WHERE seal IS NOT NULL LIMIT 1"  # noqa: S608
        self.ledger_key_check = f"SELECT ledger_key_check FROM {s}.journal"  # noqa: S608 - as above
        self.set_key_check = f"UPDATE {s}.journal SET ledger_key_check = %s"  # noqa: S608 - as above
        # A grant of format 1 at or before legacy_until is one release 0.1.0 wrote: summed apart (legacy), and no
        # later grant. Any other grant row is, whatever the setting says.
        self.later = {
            "guest": f"SELECT seq FROM {s}.events WHERE customer_id = %s AND grant_amount IS NOT NULL "  # noqa: S608
            "AND seq > %s AND (seq > %s OR format <> 1) ORDER BY seq DESC LIMIT 1",
            "incident": f"SELECT seq FROM {s}.events WHERE incident = %s AND seq > %s "  # noqa: S608 - as above
            "ORDER BY seq DESC LIMIT 1",
        }
        self.before = (
            f"{select} WHERE customer_id = %s AND ledger_at IS NOT NULL AND ledger_at < %s "
            "ORDER BY ledger_at DESC, seq DESC LIMIT 1"
        )
        self.next_grant = (
            f"{select} WHERE customer_id = %s AND grant_amount IS NOT NULL AND seq > %s AND (seq > %s OR format <> 1) "
            "ORDER BY seq LIMIT 1"
        )
        self.set_head = (
            f"INSERT INTO {s}.ledger_heads (scope, key, {_HEAD_COLUMNS}) "  # noqa: S608 - as above
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (scope, key) DO UPDATE SET seq = EXCLUDED.seq, "
            "hash = EXCLUDED.hash, grant_amount = EXCLUDED.grant_amount, grant_currency = EXCLUDED.grant_currency, "
            "ledger = EXCLUDED.ledger, seal = EXCLUDED.seal"
        )
        self.insert = f"INSERT INTO {s}.events ({_COLUMNS}) VALUES ({_MARKS})"  # noqa: S608 - as above
        self.scan = f"{select} WHERE seq >= %s ORDER BY seq LIMIT %s"
        self.case = f"{select} WHERE number = %s ORDER BY version"
        self.case_entry = f"SELECT version, last_seq, last_hash FROM {s}.cases WHERE number = %s"  # noqa: S608
        self.case_entries = f"SELECT number, version, last_seq, last_hash FROM {s}.cases WHERE number = ANY(%s)"  # noqa: S608
        self.case_latest = (
            f"SELECT DISTINCT ON (number) number, version, seq, hash FROM {s}.events "  # noqa: S608 - as above
            "WHERE number = ANY(%s) ORDER BY number, version DESC"
        )
        self.cases = case_statements(f"{s}.cases", f"{s}.events", "%s", differs="IS DISTINCT FROM")
        self.heads_check = ledger_head_statements(f"{s}.ledger_heads", f"{s}.events", "%s", differs="IS DISTINCT FROM")
        self.schema = s
        self.keys = KeyStatements(f"{s}.", "%s", blob="BYTEA")
        self.keys.customer = f"{select} WHERE customer_id = %s ORDER BY seq"


class _PostgresStore(SQLKeys, Store):
    __slots__ = ("_connection", "_inserted", "_legacy_damage", "_legacy_until", "_sql")

    def __init__(
        self, connection: psycopg.Connection[Any], sql: _Statements, legacy: tuple[int, tuple[int, str] | None]
    ) -> None:
        self._connection = connection
        self._sql = sql
        legacy_until, self._legacy_damage = legacy
        self._legacy_until = 0 if self._legacy_damage is not None else legacy_until  # damaged: every grant counted
        self._inserted: tuple[JSONValue, ...] | None = None  # the row last inserted, for stored_form

    def _one(self, statement: str, parameters: tuple[object, ...]) -> dict[str, Any] | None:
        row: dict[str, Any] | None = self._connection.execute(statement, parameters).fetchone()
        return row

    def find(self, key: str) -> Record | None:
        row = self._one(self._sql.find, (key,))
        return None if row is None else record_of(row)

    def version(self, number: str) -> int:
        rows = self._connection.execute(self._sql.cases["end"], (number, number)).fetchall()
        return checked_version(*case_ends(tuple(row.values()) for row in rows))

    def case_entry(self, number: str) -> CaseEnd | None:
        """The case's entry in the table of cases: its version, ``last_seq`` and ``last_hash`` (``None``: none)."""
        row = self._one(self._sql.case_entry, (number,))
        return None if row is None else (row["version"], row["last_seq"], row["last_hash"])

    def case_records(self, number: str) -> list[Record]:
        """The records of case ``number``, by version."""
        return [record_of(row) for row in self._connection.execute(self._sql.case, (number,)).fetchall()]

    def openings(self, numbers: Sequence[str]) -> list[Record]:
        rows = self._connection.execute(self._sql.openings, (list(numbers),)).fetchall()
        return [record_of(row) for row in rows]

    def head(self) -> tuple[int, str]:
        row = self._one(self._sql.head, ())
        return (0, GENESIS) if row is None else (int(row["seq"]), str(row["hash"]))

    def record_at(self, seq: int) -> Record | None:
        row = self._one(self._sql.record_at, (seq,))
        return None if row is None else record_of(row)

    def ledger_head(self, scope: Scope, key: str) -> LedgerHead | None:
        row = self._one(self._sql.ledger_head, (scope, key))
        return None if row is None else LedgerHead(*row.values())

    def later_grant(self, scope: Scope, key: str, after: int) -> int | None:
        values = (key, after, self._legacy_until) if scope == "guest" else (key, after)
        row = self._one(self._sql.later[scope], values)
        return None if row is None else int(row["seq"])

    def grant_before(self, customer_id: str, before: str) -> Record | None:
        row = self._one(self._sql.before, (customer_id, before))
        return None if row is None else record_of(row)

    def next_grant(self, customer_id: str, after: int) -> Record | None:
        row = self._one(self._sql.next_grant, (customer_id, after, self._legacy_until))
        return None if row is None else record_of(row)

    def legacy_grants(self, query: GrantQuery) -> list[Record]:
        if self._legacy_damage is not None:
            raise JournalIntegrityError(*self._legacy_damage)
        if not self._legacy_until:
            return []
        conditions, values = grant_conditions(query, "%s")
        statement = self._sql.legacy + conditions
        rows = self._connection.execute(statement, [query.customer_id, self._legacy_until, *values]).fetchall()
        return [record_of(row) for row in rows]

    def legacy_until(self) -> object:
        row = self._one(self._sql.legacy_until, ())
        return None if row is None else row[LEGACY_UNTIL]

    def insert(self, record: dict[str, JSONValue]) -> None:
        row = self._inserted = row_of(record)
        self._connection.execute(self._sql.insert, row)

    def stored_form(self, record: Mapping[str, object]) -> Record | None:
        row = self._inserted
        if row is None or row[0] != record["seq"]:
            row = row_of(record)  # type: ignore[arg-type]  # an Event.record, not inserted through insert()
        return record_of(dict(zip(COLUMNS, row, strict=True)))

    def set_ledger_head(self, scope: Scope, key: str, head: LedgerHead) -> None:
        self._connection.execute(self._sql.set_head, (scope, key, *head))

    def ledger_key_check(self) -> str | None:
        row = self._one(self._sql.ledger_key_check, ())
        return None if row is None or row["ledger_key_check"] is None else str(row["ledger_key_check"])

    def set_ledger_key_check(self, check: str) -> None:
        self._connection.execute(self._sql.set_key_check, (check,))

    def has_ledger_heads(self) -> bool:
        return self._one(self._sql.any_ledger_head, ()) is not None

    def any_sealed_head(self) -> LedgerHead | None:
        row = self._one(self._sql.any_sealed_head, ())
        return None if row is None else LedgerHead(*row.values())

    def ledger_heads_page(
        self, after: tuple[Scope, str] | None, limit: int
    ) -> list[tuple[Scope, str, LedgerHead, str | None]]:
        where, values = ("", (limit,)) if after is None else (" WHERE (h.scope, h.key) > (%s, %s)", (*after, limit))
        schema = self._sql.schema
        statement = (
            "SELECT h.scope, h.key, h.seq, h.hash, h.grant_amount, h.grant_currency, h.ledger, h.seal, "  # noqa: S608
            f"e.hash AS event_hash FROM {schema}.ledger_heads h LEFT JOIN {schema}.events e ON e.seq = h.seq{where} "
            "ORDER BY h.scope, h.key LIMIT %s"
        )
        rows = self._connection.execute(statement, values).fetchall()
        return [(row["scope"], row["key"], LedgerHead(*list(row.values())[2:8]), row["event_hash"]) for row in rows]

    def grants_page(self, after: int, limit: int) -> list[LedgerHead]:
        statement = (
            "SELECT seq, hash, grant_amount, grant_currency, ledger "  # noqa: S608 - the schema name, checked
            f"FROM {self._sql.schema}.events WHERE seq > %s AND grant_amount IS NOT NULL AND ledger IS NOT NULL "
            "ORDER BY seq LIMIT %s"
        )
        return [LedgerHead(*row.values()) for row in self._connection.execute(statement, (after, limit)).fetchall()]

    # -- many at once (append_many): executemany sends each list in one pipeline ---------------------------------------
    def keys_taken(self, keys: Sequence[str]) -> set[str]:
        rows = self._connection.execute(self._sql.keys_taken, (list(keys),)).fetchall()
        return {str(row["key"]) for row in rows}

    def versions(self, numbers: Sequence[str]) -> dict[str, int]:
        wanted = list(dict.fromkeys(numbers))
        rows = self._connection.execute(self._sql.case_latest, (wanted,)).fetchall()
        latest: dict[str, CaseEnd] = {str(row["number"]): (row["version"], row["seq"], row["hash"]) for row in rows}
        rows = self._connection.execute(self._sql.case_entries, (wanted,)).fetchall()
        entries: dict[str, CaseEnd] = {
            str(row["number"]): (row["version"], row["last_seq"], row["last_hash"]) for row in rows
        }
        return {number: checked_version(latest.get(number), entries.get(number)) for number in numbers}

    def insert_many(self, records: Sequence[dict[str, JSONValue]]) -> None:
        with self._connection.cursor() as cursor:
            cursor.executemany(self._sql.insert, [row_of(record) for record in records])
        self._inserted = None

    def set_case_heads(self, heads: Sequence[tuple[Mapping[str, object], str | None]]) -> None:
        with self._connection.cursor() as cursor:
            for statement, values in case_head_runs(self._sql.cases, heads):
                cursor.executemany(statement, values)

    def set_ledger_heads(self, heads: Sequence[tuple[Scope, str, LedgerHead]]) -> None:
        with self._connection.cursor() as cursor:
            cursor.executemany(self._sql.set_head, [(scope, key, *head) for scope, key, head in heads])

    def case_heads(
        self, *, callback_before: str | None = None, opened_since: str | None = None, opened_until: str | None = None
    ) -> list[CaseHead]:
        statement, values = case_filter(
            self._sql.cases, callback_before=callback_before, opened_since=opened_since, opened_until=opened_until
        )
        rows = self._connection.execute(statement, values).fetchall()
        return [
            CaseHead(
                row["number"], row["version"], row["first_seq"], row["last_seq"], row["last_hash"], row["opened_at"]
            )
            for row in rows
        ]

    def last_case_seq(self) -> object:
        row = self._connection.execute(self._sql.cases["last"]).fetchone()
        return 0 if row is None or row["max"] is None else row["max"]

    def unmatched_case(self, after: int, until: int) -> tuple[object, bool | None] | None:
        row = self._one(self._sql.cases["unmatched"], (after, until))
        if row is None:
            return None
        seq, same_case = row.values()
        return seq, same_case

    def unlisted_case(self, after: int, until: int) -> tuple[int, int | None] | None:
        if after:
            row = self._one(self._sql.cases["unlisted_since"], (until, after, until))
        else:
            row = self._one(self._sql.cases["unlisted"], (until, until))
        if row is None:
            return None
        latest, first = row.values()
        return int(latest), None if first is None else int(first)

    def misopened_case(self, after: int, until: int) -> object | None:
        row = self._one(self._sql.cases["misopened"], (after, until))
        return None if row is None else row["seq"]

    def unheaded_grant(self, after: int) -> object | None:
        if after:
            row = self._one(self._sql.heads_check["unheaded_since"], (after, after))
        else:
            row = self._one(self._sql.heads_check["unheaded"], ())
        return None if row is None else row["seq"]

    def unsealed_grant(self, after: int) -> int | None:
        row = self._one(self._sql.heads_check["unsealed"], (after,))
        return None if row is None else int(row["seq"])

    def stray_ledger_head(self, after: int) -> object | None:
        row = self._one(self._sql.heads_check["stray"], (after, after, after))
        return None if row is None else row["seq"]

    def set_case_head(self, record: Mapping[str, object], *, open_callback: str | None) -> None:
        statement = self._sql.cases["open"] if record["version"] == 1 else self._sql.cases["advance"]
        self._connection.execute(statement, case_head_values(record, open_callback))

    # -- personal data (see _privacy_sql.py) --------------------------------------
    def _keys_sql(self) -> KeyStatements:
        return self._sql.keys

    def _run_keys(self, statement: str, parameters: Sequence[object]) -> Any:
        return self._connection.execute(statement, tuple(parameters))

    def _has_table(self, name: str) -> bool:
        row = self._one("SELECT to_regclass(%s) AS found", (f"{self._sql.schema}.{name}",))
        return row is not None and row["found"] is not None

    def _record_of(self, row: dict[str, Any]) -> Record:
        return record_of(row)


def _checked_conninfo(driver: Any, conninfo: object) -> str:
    """``conninfo`` once libpq can read it; the message never repeats it (it may hold a password)."""
    if not isinstance(conninfo, str) or not conninfo.strip():
        raise JournalError("the connection string must be a non-empty string, such as 'postgresql://app@db/hotel'")
    try:
        driver.conninfo.conninfo_to_dict(conninfo)
    except driver.Error:
        raise JournalError(
            "the connection string cannot be read; write it as 'postgresql://user@host:port/dbname' or "
            "'host=... dbname=... user=...' (it is not repeated here, since it may hold a password)"
        ) from None
    return conninfo


def _password(driver: Any, conninfo: str) -> str:
    try:
        return str(driver.conninfo.conninfo_to_dict(conninfo).get("password") or "")
    except driver.Error:  # pragma: no cover - checked when the journal was made
        return ""


def _failure(error: Exception, doing: str, *, after: str = "") -> JournalError:
    """A :class:`JournalError` for a driver error: its SQLSTATE and what that means, never the server's text."""
    sqlstate = str(getattr(error, "sqlstate", None) or "")
    meaning = _MEANINGS.get(sqlstate) or _MEANINGS.get(sqlstate[:2])
    if meaning is None:
        broken = sqlstate == "" and type(error).__name__ in ("OperationalError", "InterfaceError")
        meaning = "the connection to the database was lost" if broken else "the database failed"
        meaning += "" if broken else f" ({type(error).__name__})"
    code = f" (SQLSTATE {sqlstate})" if sqlstate else ""
    return JournalError(f"{doing}: {meaning}{code}{after}")
