"""What docs/how-to/run-with-postgresql.md and the PostgreSQL parts of docs/explanation/journal.md promise, checked
against a real server (docs-promise audit 115).

The shared journal tests, ``test_journal_postgres.py``, ``test_docs_promises_backends.py`` and the reliability
suite already cover the schema's marking, the documented grants, a writer kept waiting, a session terminated at
every write point and writers racing for one guest; these are the cases they leave out: a database whose encoding
is not UTF-8, a client encoding other than UTF-8 in the address, the server's time zone, a schema name PostgreSQL
reserves, and a password in an address the command line does not read as a database's.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import ComplaintNumber, Draft, JournalError, PostgresJournal

from . import _postgres
from ._cli import run
from ._journal_events import T0

psycopg = pytest.importorskip("psycopg", reason="the postgres extra is not installed (the dev extra includes it)")

NAMES = ("Zoë Müller", "山田 太郎", "Ελένη", "emoji 😀")
"""Customer words beyond ASCII: Latin-1, CJK, Greek, and a character outside the Basic Multilingual Plane."""


def _admin(dsn: str) -> Any:
    return psycopg.connect(dsn, autocommit=True)


@pytest.fixture
def schema(postgres_dsn: str) -> Iterator[str]:
    name = _postgres.new_schema()
    yield name
    _postgres.drop_schema(postgres_dsn, name)


def _database_encoded(dsn: str, encoding: str) -> str:
    """A new database on the test server in ``encoding`` (the cluster's locale is C, so any encoding is allowed)."""
    name = f"db_{uuid.uuid4().hex[:16]}"
    with _admin(dsn) as connection:
        connection.execute(
            f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING '{encoding}' LC_COLLATE 'C' LC_CTYPE 'C'"
        )
    return str(psycopg.conninfo.make_conninfo(dsn, dbname=name))


def _noted(journal: PostgresJournal, index: int, words: str) -> None:
    """Record case ``index``'s opening, with ``words`` as the customer's name and the step's notes."""
    number = ComplaintNumber.parse(f"20261123-{1000 + index}")
    opening = Draft(
        kind="opened", state="opened", actor="staff", at=T0, data={"notes": words, "customer": {"name": words}}
    )
    journal.append(number, opening, expected_version=0, key=f"open-{index}", request={"words": words})


def _round_trip(journal: PostgresJournal) -> None:
    """Every name of :data:`NAMES` is recorded, read back as it was given, and the chain verifies."""
    for index, words in enumerate(NAMES):
        _noted(journal, index, words)
    for index, words in enumerate(NAMES):
        (event,) = journal.events(ComplaintNumber.parse(f"20261123-{1000 + index}"))
        assert event.data["notes"] == words
    assert journal.verify().ok


@pytest.mark.parametrize("encoding", ["LATIN1", "SQL_ASCII"])
def test_a_database_not_in_utf8_either_keeps_every_unicode_name_or_is_refused_clearly_at_open(
    postgres_dsn: str, encoding: str
) -> None:
    database = _database_encoded(postgres_dsn, encoding)
    try:
        refusal: str | None = None
        try:
            journal = PostgresJournal(database)
        except JournalError as error:
            refusal = str(error)
        if refusal is not None:
            assert "UTF8" in refusal  # says what the database lacks
            with _admin(database) as connection:  # and creates nothing before refusing
                found = connection.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'recovery_rules'").fetchall()
            assert found == []
            return
        with journal:
            _round_trip(journal)
        with PostgresJournal(database, create=False) as again:  # and it is still a journal when opened again
            assert again.verify().count == len(NAMES)
    finally:
        _postgres.drop_database(database)


def test_a_client_encoding_other_than_utf8_in_the_address_still_keeps_every_unicode_name(
    postgres_dsn: str, schema: str
) -> None:
    latin = psycopg.conninfo.make_conninfo(postgres_dsn, client_encoding="LATIN1")
    with PostgresJournal(latin, schema=schema) as journal:
        _round_trip(journal)


def test_the_server_time_zone_of_the_role_changes_no_recorded_instant(postgres_dsn: str, schema: str) -> None:
    role = f"kolkata_{schema}"
    with _admin(postgres_dsn) as connection:
        connection.execute(f'CREATE ROLE "{role}" LOGIN SUPERUSER')
        connection.execute(f"ALTER ROLE \"{role}\" SET TIME ZONE 'Asia/Kolkata'")
        connection.execute(f"ALTER ROLE \"{role}\" SET datestyle = 'SQL, DMY'")
    try:
        as_role = psycopg.conninfo.make_conninfo(postgres_dsn, user=role)
        with PostgresJournal(as_role, schema=schema) as journal:
            just_before_midnight = dt.datetime(2026, 11, 23, 18, 29, 59, 999999, tzinfo=dt.UTC)  # 23:59 in Kolkata
            number = ComplaintNumber.parse("20261123-10442")
            opening = Draft(kind="opened", state="opened", actor="staff", at=just_before_midnight)
            journal.append(number, opening, expected_version=0, key="open-1", request={})
            (event,) = journal.events(number)
            assert event.at == just_before_midnight
            assert journal.cases(since=just_before_midnight, until=just_before_midnight + dt.timedelta(seconds=1))
        with _admin(postgres_dsn) as connection:
            stored = connection.execute(f'SELECT at FROM "{schema}".events').fetchall()
        assert stored == [("2026-11-23T18:29:59.999999Z",)]
    finally:
        with _admin(postgres_dsn) as connection:
            connection.execute(f'DROP OWNED BY "{role}"')
            connection.execute(f'DROP ROLE "{role}"')


def test_a_schema_name_postgresql_reserves_is_refused_as_a_bad_name_before_the_database_is_asked(
    postgres_dsn: str,
) -> None:
    with pytest.raises(JournalError, match="schema name") as caught:
        PostgresJournal(postgres_dsn, schema="pg_journal")
    assert "pg_" in str(caught.value)


@pytest.mark.parametrize("verb", ["verify", "report"])
def test_the_command_line_never_repeats_a_password_of_an_address_it_cannot_open(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, verb: str
) -> None:
    secret = "hunter2-correct-horse"  # noqa: S105 - a made-up password the messages must not show
    result = run(capsys, verb, f"host={tmp_path} port=5432 dbname=hotel user=audit password={secret}")
    assert result.code == 2
    assert secret not in result.out + result.err


def test_a_timeout_under_a_millisecond_still_gives_up_on_a_busy_journal(postgres_dsn: str, schema: str) -> None:
    PostgresJournal(postgres_dsn, schema=schema).close()
    # A statement timeout bounds the wait if the journal's own timeout is not in force (it then says "cancelled").
    bounded = psycopg.conninfo.make_conninfo(postgres_dsn, options="-c statement_timeout=300")
    with _admin(postgres_dsn) as holder, PostgresJournal(bounded, schema=schema, timeout=0.0004) as journal:
        with holder.transaction():
            holder.execute(f'SELECT 1 FROM "{schema}".journal FOR UPDATE')  # another writer holds the journal
            with pytest.raises(JournalError, match=r"stayed busy.*55P03"):
                _noted(journal, 0, "Zoë")
        assert journal.head().count == 0


@pytest.mark.xfail(
    strict=True,
    reason="a documented limit (erase-customer-data.md): a handle opened before encryption was turned on by another "
    "does not notice; turn it on with every other handle closed",
)
def test_a_handle_already_open_when_the_journal_is_made_to_encrypt_personal_data_encrypts_too(
    postgres_dsn: str, schema: str
) -> None:
    words = "Zoë Müller, room 1208"
    with (
        PostgresJournal(postgres_dsn, schema=schema) as desk,  # a server already running
        PostgresJournal(postgres_dsn, schema=schema, encrypt_personal_data=True),  # "from then on ... the journal"
    ):
        _noted(desk, 0, words)
        assert desk.encrypts_personal_data
    with _admin(postgres_dsn) as connection:
        stored = connection.execute(f'SELECT data FROM "{schema}".events').fetchall()
    assert words not in str(stored)
