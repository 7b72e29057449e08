"""What the journal's database backends promise, in their docstrings and docs (docs-promise audit 83).

The promises are those of ``SQLiteJournal`` and ``PostgresJournal`` (``src/recovery_rules/_journal/_sqlite.py``
and ``_postgres.py``), and of the storage parts of docs/explanation/journal.md and
docs/how-to/run-with-postgresql.md: where a journal's file is, how long a writer waits, what erasure does on
PostgreSQL, and what the grants the how-to lists let a user of fewer rights do.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import (
    ComplaintNumber,
    Draft,
    Journal,
    JournalError,
    Ledger,
    PostgresJournal,
    SQLiteJournal,
)

from . import _postgres
from ._journal_events import T0, A, draft

OTHER = ComplaintNumber.parse("20261123-10443")
"""Another guest's case than ``A``'s."""

TABLES = ("journal", "events", "ledger_heads", "cases")
"""The journal's tables on PostgreSQL, as docs/how-to/run-with-postgresql.md lists them."""

DESK_GRANTS = (
    "GRANT USAGE ON SCHEMA {s} TO {r}",
    "GRANT SELECT, INSERT ON {s}.events TO {r}",
    "GRANT SELECT, UPDATE ON {s}.journal TO {r}",
    "GRANT SELECT, INSERT, UPDATE ON {s}.ledger_heads TO {r}",
    "GRANT SELECT, INSERT, UPDATE ON {s}.cases TO {r}",
)
"""The how-to's grants for "a user with fewer rights", once the tables exist."""


def _admin(dsn: str) -> Any:
    import psycopg  # noqa: PLC0415 - the postgres extra; the fixtures skipped the test without a server

    return psycopg.connect(dsn, autocommit=True)


@pytest.fixture
def schema(postgres_dsn: str) -> Iterator[str]:
    name = _postgres.new_schema()
    yield name
    _postgres.drop_schema(postgres_dsn, name)


@pytest.fixture
def role(postgres_dsn: str, schema: str) -> Iterator[str]:
    """A role of its own, without a login: the test server's user takes it on (``-c role=``) to act as it."""
    import psycopg  # noqa: PLC0415 - as above

    name = f"r_{uuid.uuid4().hex[:16]}"
    with _admin(postgres_dsn) as connection:
        try:
            connection.execute(f'CREATE ROLE "{name}" NOLOGIN')
            connection.execute(f'GRANT "{name}" TO CURRENT_USER')
        except psycopg.errors.InsufficientPrivilege:
            pytest.skip("the test server's user may not create roles")
    yield name
    _postgres.drop_schema(postgres_dsn, schema)  # the role's objects and rights go first
    with _admin(postgres_dsn) as connection:
        connection.execute(f'DROP OWNED BY "{name}"')
        connection.execute(f'DROP ROLE "{name}"')


def _as_role(dsn: str, role: str) -> str:
    import psycopg  # noqa: PLC0415 - as above

    return str(psycopg.conninfo.make_conninfo(dsn, options=f"-c role={role}"))


def _grant(dsn: str, statements: tuple[str, ...], schema: str, role: str) -> None:
    with _admin(dsn) as connection:
        for statement in statements:
            connection.execute(statement.format(s=f'"{schema}"', r=f'"{role}"'))


# -- SQLite: one file


def test_a_journal_opened_by_a_relative_path_stays_one_file_for_a_thread_started_after_a_change_of_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLiteJournal: "A journal in one SQLite file, safe for many threads ... at once" (one connection per
    thread): every thread of one journal object reads and writes the one file it was opened on."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    monkeypatch.chdir(first)
    heads: list[int | str] = []
    with SQLiteJournal("journal.sqlite3") as journal:
        journal.append(A, draft(), expected_version=0, key="k1", request={})
        monkeypatch.chdir(second)

        def read() -> None:
            try:
                heads.append(journal.head().count)
            except JournalError as error:  # pragma: no cover - a refusal is a failure too, said plainly
                heads.append(str(error))

        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
    assert heads == [1]
    assert list(second.iterdir()) == []


# -- how long a writer waits


def _open(kind: str, tmp_path: Path, request: pytest.FixtureRequest, timeout: float) -> Journal:
    if kind == "sqlite":
        return SQLiteJournal(tmp_path / "journal.sqlite3", timeout=timeout)
    dsn = request.getfixturevalue("postgres_dsn")
    schema = request.getfixturevalue("schema")
    return PostgresJournal(dsn, schema=schema, timeout=timeout)


@pytest.mark.slow
@pytest.mark.parametrize(
    "kind",
    ["sqlite", "postgres"],
)
def test_a_writer_gives_up_after_its_timeout_while_another_thread_of_the_same_journal_writes(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """SQLiteJournal and PostgresJournal: "``timeout`` is how many seconds a writer waits for another one to
    finish before giving up with a JournalError", whichever thread, handle, process or server writes; the
    other's write is recorded as if nothing had happened."""
    outcome: list[str] = []
    with _open(kind, tmp_path, request, timeout=0.05) as journal:

        def second() -> None:
            try:
                journal.append(OTHER, draft(), expected_version=0, key="second", request={})
                outcome.append("recorded")
            except JournalError as error:
                outcome.append(str(error))

        thread = threading.Thread(target=second)

        def build(ledger: Ledger) -> Draft:
            thread.start()
            thread.join(2)  # far past the timeout: the other writer has given up by then
            return draft()

        journal.append(A, build, expected_version=0, key="first", request={})
        thread.join()
        assert len(outcome) == 1
        assert "busy" in outcome[0]
        assert [event.key for event in journal.events(A)] == ["first"]
        assert journal.events(OTHER) == ()
        assert journal.head().count == 1


def test_a_postgresql_writer_kept_waiting_says_what_the_how_to_quotes_and_records_nothing(
    postgres_dsn: str, schema: str
) -> None:
    """run-with-postgresql.md: errors reach you as a JournalError that says what happened, with its SQLSTATE:
    "the journal stayed busy: another writer held it longer than the journal's timeout (SQLSTATE 55P03)", and
    "Nothing is recorded by a step that raised"."""
    with PostgresJournal(postgres_dsn, schema=schema, timeout=0.05) as journal, _admin(postgres_dsn) as holder:
        with holder.transaction():
            holder.execute(f'SELECT * FROM "{schema}".journal FOR UPDATE')  # another writer's turn, held
            with pytest.raises(JournalError) as refused:
                journal.append(A, draft(), expected_version=0, key="k1", request={})
        assert "the journal stayed busy: another writer held it longer than the journal's timeout (SQLSTATE 55P03)" in (
            str(refused.value)
        )
        assert journal.head().count == 0
        journal.append(A, draft(), expected_version=0, key="k1", request={})  # the same step, once it is free
        assert journal.head().count == 1


# -- PostgreSQL: who may do what


def test_the_grants_the_how_to_lists_let_a_user_of_fewer_rights_record_cases_and_a_reader_verify(
    postgres_dsn: str, schema: str, role: str
) -> None:
    """run-with-postgresql.md: "Once the tables exist, a user with fewer rights will do" (its GRANT list), and
    "A read-only user (USAGE on the schema, SELECT on its tables: journal, events, ledger_heads and cases) is
    all they need" to read and verify."""
    with PostgresJournal(postgres_dsn, schema=schema) as journal:  # the owner makes the tables
        journal.append(A, draft(), expected_version=0, key="owner", request={})
    _grant(postgres_dsn, DESK_GRANTS, schema, role)
    with PostgresJournal(_as_role(postgres_dsn, role), schema=schema) as desk:
        desk.append(A, draft(minutes=1), expected_version=1, key="desk-1", request={})
        desk.append(OTHER, draft(grant="25.00"), expected_version=0, key="desk-2", request={})  # the ledger too
        assert desk.verify().ok
    with _admin(postgres_dsn) as connection:
        connection.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM "{role}"')
    tables = ", ".join(f'"{schema}".{table}' for table in TABLES)
    _grant(postgres_dsn, (f"GRANT SELECT ON {tables} TO {{r}}",), schema, role)
    with PostgresJournal(_as_role(postgres_dsn, role), schema=schema, create=False) as reader:
        checked = reader.verify()
        assert (checked.ok, checked.count) == (True, 3)
        with pytest.raises(JournalError):
            reader.append(A, draft(minutes=2), expected_version=2, key="reader", request={})
        assert reader.head().count == 3


def test_an_erasure_on_postgresql_that_could_not_vacuum_the_keys_table_says_so(
    postgres_dsn: str, schema: str, role: str
) -> None:
    """journal.md: erase_customer "deletes the customer's keys (... PostgreSQL: then VACUUM of the keys table)";
    erase-customer-data.md: "the key's row is deleted and the keys table vacuumed". A vacuum that did not happen
    is said, as a vacuum that failed is ("the erasure is recorded, but the keys table could not be vacuumed")."""
    pytest.importorskip("cryptography")
    with PostgresJournal(postgres_dsn, schema=schema, encrypt_personal_data=True) as journal:
        opening = Draft(kind="opened", state="opened", actor="staff", at=T0, data={"notes": "the guest's words"})
        journal.append(A, opening, expected_version=0, key="k1", request={})
    grants = (
        *DESK_GRANTS,
        "GRANT CREATE ON SCHEMA {s} TO {r}",
        "GRANT SELECT, INSERT, DELETE ON {s}.data_keys TO {r}",
        "GRANT SELECT, INSERT, DELETE ON {s}.erasures TO {r}",
    )
    _grant(postgres_dsn, grants, schema, role)
    with PostgresJournal(_as_role(postgres_dsn, role), schema=schema) as desk:
        with pytest.raises(JournalError, match="vacuum"):
            desk.erase_customer(A.customer_id, employee="e-17")
        assert desk.erasure(A.customer_id) is not None  # the erasure itself is recorded, as the message says
        assert desk.events(A)[0].data["notes"] == "[erased]"


def test_postgresql_create_must_be_true_or_false_and_nothing_is_created_otherwise(
    postgres_dsn: str, schema: str
) -> None:
    """PostgresJournal: "With ``create=False`` a journal that is not there yet is refused rather than created";
    a value that is neither True nor False is refused with a JournalError, as SQLiteJournal refuses one for
    read_only ("read_only must be True or False"), and creates nothing."""
    with contextlib.ExitStack() as opened, pytest.raises(JournalError, match="create"):
        opened.enter_context(PostgresJournal(postgres_dsn, schema=schema, create="no"))  # type: ignore[arg-type]
    with _admin(postgres_dsn) as connection:
        found = connection.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    assert found is None
