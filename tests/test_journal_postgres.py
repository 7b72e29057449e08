"""What only the PostgreSQL backend has: its schema, its connections, its errors, and refusing what is not a journal.

The shared journal and case tests run on PostgreSQL too (``_journal_backends.py``); the reliability suite
(``tests/reliability/``) races, crashes and faults it.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
import os
import runpy
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from recovery_rules import ComplaintNumber, Draft, JournalError, MissingDependencyError, Policy, PostgresJournal

from . import _postgres
from ._cli import EXAMPLES, NOW, POLICY, run
from ._helpers import failures_when_run_at_once
from ._journal_events import A, fill
from ._journal_files import JOURNAL

psycopg = pytest.importorskip("psycopg", reason="the postgres extra is not installed (the dev extra includes it)")


@pytest.fixture
def schema(postgres_dsn: str) -> Iterator[str]:
    name = _postgres.new_schema()
    yield name
    _postgres.drop_schema(postgres_dsn, name)


def admin(dsn: str) -> Any:
    return psycopg.connect(dsn, autocommit=True)


def test_the_schema_is_marked_and_survives_reopening(postgres_dsn: str, schema: str) -> None:
    with PostgresJournal(postgres_dsn, schema=schema) as journal:
        fill(journal, 6)
        head = journal.head()
    with admin(postgres_dsn) as connection:
        marker = connection.execute(f'SELECT application, format FROM "{schema}".journal').fetchall()
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1", (schema,)
        ).fetchall()
    assert marker == [("recovery-rules journal", 5)]
    assert tables == [("cases",), ("events",), ("journal",), ("ledger_heads",)]
    with PostgresJournal(postgres_dsn, schema=schema) as journal:
        assert journal.head() == head
        assert journal.verify(expected_head=head).ok
        assert len(journal.events(A)) == 2


def test_a_schema_holding_something_else_is_refused_and_left_alone(postgres_dsn: str, schema: str) -> None:
    with admin(postgres_dsn) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
        connection.execute(f'CREATE TABLE "{schema}".invoices (id integer)')
    with pytest.raises(JournalError, match="holds something else, not a recovery-rules journal"):
        PostgresJournal(postgres_dsn, schema=schema)
    with admin(postgres_dsn) as connection:
        count = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchone()
    assert count == (1,)


def test_a_table_named_journal_of_something_else_is_refused(postgres_dsn: str, schema: str) -> None:
    with admin(postgres_dsn) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
        connection.execute(f'CREATE TABLE "{schema}".journal (application text, format integer)')
        connection.execute(f"INSERT INTO \"{schema}\".journal VALUES ('ledger app', 3)")
    with pytest.raises(JournalError, match="holds something else"):
        PostgresJournal(postgres_dsn, schema=schema)


def test_an_empty_schema_made_by_an_administrator_is_used(postgres_dsn: str, schema: str) -> None:
    with admin(postgres_dsn) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    with PostgresJournal(postgres_dsn, schema=schema) as journal:
        fill(journal, 2)
        assert journal.verify().ok


def test_a_journal_of_a_newer_format_is_refused_even_by_an_open_handle(postgres_dsn: str, schema: str) -> None:
    journal = PostgresJournal(postgres_dsn, schema=schema)
    fill(journal, 1)
    with admin(postgres_dsn) as connection:
        connection.execute(f'UPDATE "{schema}".journal SET format = 6')
    with pytest.raises(JournalError, match="newer than this recovery-rules reads"):
        PostgresJournal(postgres_dsn, schema=schema)
    with pytest.raises(JournalError, match="newer than this recovery-rules reads"):  # checked under the lock
        fill(journal, 1)
    journal.close()


def test_two_servers_creating_the_schema_at_once_both_succeed(postgres_dsn: str, schema: str) -> None:
    assert failures_when_run_at_once(lambda: PostgresJournal(postgres_dsn, schema=schema).close(), threads=6) == []


@pytest.mark.parametrize("name", ["", "Recovery", "1journal", "a-b", "x" * 64, "journal; drop", 7])
def test_bad_schema_names_are_refused(postgres_dsn: str, name: object) -> None:
    with pytest.raises(JournalError, match="schema name must be"):
        PostgresJournal(postgres_dsn, schema=name)  # type: ignore[arg-type]


@pytest.mark.parametrize("timeout", [0, -1, True, "30", float("nan"), 100_000])
def test_bad_timeouts_are_refused(postgres_dsn: str, timeout: object) -> None:
    with pytest.raises(JournalError, match="timeout must be"):
        PostgresJournal(postgres_dsn, timeout=timeout)  # type: ignore[arg-type]


def test_a_connection_string_is_never_repeated(tmp_path: Any) -> None:
    secret = "hunter2-correct-horse"  # noqa: S105 - a made-up password the messages must not show
    for conninfo in (f"postgresql://app:{secret}@/db?host={tmp_path}&bad=", f"host={tmp_path} password={secret} x"):
        with pytest.raises(JournalError, match="connection string cannot be read") as caught:
            PostgresJournal(conninfo)
        assert secret not in str(caught.value)
    with pytest.raises(JournalError, match="cannot connect to the journal's database") as unreachable:
        PostgresJournal(f"host={tmp_path} port=1 password={secret}", timeout=2)
    assert secret not in str(unreachable.value)
    for empty in ("", "   ", None):
        with pytest.raises(JournalError, match="non-empty string"):
            PostgresJournal(empty)  # type: ignore[arg-type]


def test_the_repr_shows_the_schema_not_the_connection_string(postgres_dsn: str, schema: str) -> None:
    with PostgresJournal(postgres_dsn, schema=schema) as journal:
        assert repr(journal) == f"<PostgresJournal schema={schema!r}>"


def test_synchronous_commit_is_raised_to_on(postgres_dsn: str, schema: str) -> None:
    lax = psycopg.conninfo.make_conninfo(postgres_dsn, options="-c synchronous_commit=off")
    with PostgresJournal(lax, schema=schema) as journal:
        fill(journal, 1)
        connection = journal._idle[0]
        assert connection.execute("SHOW synchronous_commit").fetchall() == [{"synchronous_commit": "on"}]
        assert connection.execute("SHOW lock_timeout").fetchall() == [{"lock_timeout": "30s"}]


def test_a_user_with_only_the_documented_rights_can_write(postgres_dsn: str, schema: str) -> None:
    PostgresJournal(postgres_dsn, schema=schema).close()  # created by the owner
    desk = f"desk_{schema}"
    with admin(postgres_dsn) as connection:
        connection.execute(f'CREATE ROLE "{desk}" LOGIN')
        connection.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{desk}"')
        connection.execute(f'GRANT SELECT, INSERT ON "{schema}".events TO "{desk}"')
        connection.execute(f'GRANT SELECT, UPDATE ON "{schema}".journal TO "{desk}"')
        connection.execute(f'GRANT SELECT, INSERT, UPDATE ON "{schema}".ledger_heads TO "{desk}"')
        connection.execute(f'GRANT SELECT, INSERT, UPDATE ON "{schema}".cases TO "{desk}"')
    try:
        as_desk = psycopg.conninfo.make_conninfo(postgres_dsn, user=desk)
        with PostgresJournal(as_desk, schema=schema) as journal:
            fill(journal, 4)
            assert journal.verify().ok
            assert journal.cases()
    finally:
        with admin(postgres_dsn) as connection:
            connection.execute(f'DROP OWNED BY "{desk}"')
            connection.execute(f'DROP ROLE "{desk}"')


def test_a_read_only_user_can_read_and_verify(postgres_dsn: str, schema: str) -> None:
    with PostgresJournal(postgres_dsn, schema=schema) as journal:
        fill(journal, 3)
    reader = f"reader_{schema}"
    with admin(postgres_dsn) as connection:
        connection.execute(f'CREATE ROLE "{reader}" LOGIN')
        connection.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{reader}"')
        connection.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{reader}"')
    try:
        as_reader = psycopg.conninfo.make_conninfo(postgres_dsn, user=reader)
        with PostgresJournal(as_reader, schema=schema, create=False) as journal:
            assert journal.verify().ok
            assert len(journal.events(A)) == 1
            with pytest.raises(JournalError, match="lacks a privilege"):
                fill(journal, 1)
    finally:
        with admin(postgres_dsn) as connection:
            connection.execute(f'DROP OWNED BY "{reader}"')
            connection.execute(f'DROP ROLE "{reader}"')


def test_a_user_who_may_not_create_the_schema_is_told_what_is_missing(postgres_dsn: str, schema: str) -> None:
    guest = f"guest_{schema}"
    with admin(postgres_dsn) as connection:
        connection.execute(f'CREATE ROLE "{guest}" LOGIN')  # no CREATE on the database: only its owner has it
    try:
        with pytest.raises(JournalError, match="lacks a privilege"):
            PostgresJournal(psycopg.conninfo.make_conninfo(postgres_dsn, user=guest), schema=schema)
    finally:
        with admin(postgres_dsn) as connection:
            connection.execute(f'DROP ROLE "{guest}"')


def test_idle_connections_found_dead_are_replaced(postgres_dsn: str, schema: str) -> None:
    with PostgresJournal(postgres_dsn, schema=schema) as journal:
        fill(journal, 2)
        pids = [connection.info.backend_pid for connection in journal._idle]
        with admin(postgres_dsn) as connection:
            for pid in pids:
                connection.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,))
        assert journal.head().count == 2  # a read on a new connection
        fill(journal, 1)  # and a write
        assert journal.verify().ok


def test_a_forked_child_opens_its_own_connections(postgres_dsn: str, schema: str) -> None:
    """A server that opens the journal before forking its workers (gunicorn's preload) keeps working."""
    if not hasattr(os, "fork"):
        pytest.skip("fork exists only on POSIX systems")
    with PostgresJournal(postgres_dsn, schema=schema) as journal:
        fill(journal, 1)
        parent_pid = journal._idle[0].info.backend_pid
        read, write = os.pipe()
        with warnings.catch_warnings():  # Python 3.12+ warns about forking a process with threads (pytest -n has)
            warnings.simplefilter("ignore", DeprecationWarning)
            child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child
            try:
                draft = Draft(kind="noted", state="noted", actor="staff", at=dt.datetime.now(dt.UTC))
                journal.append(ComplaintNumber.parse("20261123-child"), draft, expected_version=0, key="c", request={})
                os.write(write, b"ok")
            finally:
                os._exit(0)
        os.waitpid(child, 0)
        assert os.read(read, 2) == b"ok"
        assert journal.head().count == 2  # the parent's connection was not disturbed by the child
        assert journal._idle[0].info.backend_pid == parent_pid


def test_without_psycopg_the_journal_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_psycopg(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "psycopg" or name.startswith("psycopg."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "psycopg", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_psycopg)
    with pytest.raises(MissingDependencyError, match=r"pip install 'recovery-rules\[postgres\]'"):
        PostgresJournal("host=/nowhere")


# -- the command line reads it ------------------------------------------------------------------------------


def test_the_command_line_reports_from_a_postgres_journal(
    postgres_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    journal_py = runpy.run_path(str(EXAMPLES / "make_journal.py"))
    policy = Policy.from_file(POLICY)
    with PostgresJournal(postgres_database) as journal:  # the sample journal's cases, recorded again in PostgreSQL
        for index, row in enumerate(journal_py["CASES"], start=1):
            journal_py["_record"](journal, policy, index, row)
    expected = json.loads(run(capsys, "report", JOURNAL, "--now", NOW, "--json").out)
    password = "pw-0f-the-reports-user"  # noqa: S105 - made up: the test server trusts every local user
    with_password = _postgres.url(postgres_database).replace("@", f":{password}@", 1)
    for address in (_postgres.url(postgres_database), "journal:" + with_password.replace("postgresql:", "postgres:")):
        result = run(capsys, "report", address, "--now", NOW, "--json")
        assert result.code == 0, result.err
        got = json.loads(result.out)
        assert got["journal"] == expected["journal"]  # the same chain head: the very same events
        assert {**got, "source": ""} == {**expected, "source": ""}  # the same report
        assert password not in result.out + result.err
    assert got["source"].startswith("journal:postgres://postgres:***@/")  # shown, with the password hidden


def test_the_command_line_never_creates_a_postgres_journal(
    postgres_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run(capsys, "report", _postgres.url(postgres_database), "--now", NOW)
    assert result.code == 2
    assert "has no recovery-rules journal in the schema 'recovery_rules'" in result.err
    with admin(postgres_database) as connection:
        assert connection.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'recovery_rules'").fetchone() is None
