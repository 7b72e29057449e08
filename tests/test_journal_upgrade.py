"""A journal written by release 0.1.0 opens, verifies, counts its old grants and takes new cases (SQLite, PostgreSQL).

``data/journal-0.1.0.sqlite3`` was written by release 0.1.0 itself (``data/make_journal_0_1_0.py``): events of
format 1, schema 1. The PostgreSQL test loads the same rows into a schema laid out as release 0.1.0 laid it out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import (
    Case,
    ChainHead,
    Complaint,
    ComplaintNumber,
    Customer,
    Journal,
    JournalIntegrityError,
    Money,
    Outcome,
    PostgresJournal,
    Remedy,
    SQLiteJournal,
    presets,
)

from . import _postgres
from ._journal_layouts import CASE_COLUMNS, COLUMNS_0_1_0, COLUMNS_FORMAT_2, TABLES_0_1_0, TABLES_FORMAT_2

DATA = Path(__file__).parent / "data"
LEGACY = DATA / "journal-0.1.0.sqlite3"
LEGACY_HEAD = ChainHead.parse("28:5675f19e0b7758a1ed7c4d0711649810fd4727b58bb1dad58b030022a6bd7dd0")
POLICY = presets.theme_park()
DAY = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
LATER = DAY + dt.timedelta(hours=1)


def legacy_rows() -> list[tuple[Any, ...]]:
    assert LEGACY.is_file(), f"{LEGACY} is missing: it is committed with the tests"
    with contextlib.closing(sqlite3.connect(f"{LEGACY.as_uri()}?mode=ro&immutable=1", uri=True)) as connection:
        return connection.execute(f"SELECT {', '.join(COLUMNS_0_1_0)} FROM events ORDER BY seq").fetchall()


@pytest.fixture(params=["sqlite", "postgres"])
def opened(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Journal]]:
    """Opens the legacy journal (upgraded on first open) with the current release, as often as asked."""
    journals: list[Journal] = []
    if request.param == "sqlite":
        path = tmp_path / "journal.sqlite3"
        shutil.copy(LEGACY, path)

        def open_it() -> Journal:
            journals.append(SQLiteJournal(path))
            return journals[-1]

        yield open_it
    else:
        import psycopg  # noqa: PLC0415 - the postgres extra; dsn() skips (fails in CI) without a server

        dsn = _postgres.dsn()
        schema = _postgres.new_schema()
        with psycopg.connect(dsn, autocommit=True) as connection, connection.transaction():
            connection.execute(f'CREATE SCHEMA "{schema}"')
            for statement in TABLES_0_1_0.format(s=f'"{schema}"').split(";"):
                connection.execute(statement)
            connection.execute(
                f'INSERT INTO "{schema}".journal (application, format) VALUES (%s, 1)', ("recovery-rules journal",)
            )
            marks = ", ".join(["%s"] * len(COLUMNS_0_1_0))
            for row in legacy_rows():
                connection.execute(f'INSERT INTO "{schema}".events ({", ".join(COLUMNS_0_1_0)}) VALUES ({marks})', row)

        def open_it() -> Journal:
            journals.append(PostgresJournal(dsn, schema=schema))
            return journals[-1]

        yield open_it
        for journal in journals:
            journal.close()
        _postgres.drop_schema(dsn, schema)
        return
    for journal in journals:
        journal.close()


def day_ledger(journal: Journal, customer: str) -> Money:
    number = ComplaintNumber.parse(f"20261123-{customer}")
    return journal.granted(number, window=POLICY.window, timezone=POLICY.timezone, currency="USD", now=LATER)


def test_the_fixture_was_written_by_release_0_1_0() -> None:
    assert LEGACY.is_file(), f"{LEGACY} is missing: it is committed with the tests"
    with contextlib.closing(sqlite3.connect(f"{LEGACY.as_uri()}?mode=ro&immutable=1", uri=True)) as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (1,)
        assert connection.execute("SELECT DISTINCT format FROM events").fetchall() == [(1,)]
    assert len(legacy_rows()) == LEGACY_HEAD.count


def test_an_old_journal_verifies_and_reads_as_written(opened: Callable[[], Journal]) -> None:
    journal = opened()
    result = journal.verify(expected_head=LEGACY_HEAD)  # the head saved before the upgrade still holds
    assert result.ok, result.problem
    assert journal.head() == LEGACY_HEAD
    assert {event.format for event in journal.iter_events()} == {1}
    assert Case.load(journal, POLICY, "20261123-10442").granted == Money("150.00", "USD")
    assert Case.load(journal, POLICY, "20261123-777").escalated_to == "park_manager"
    assert [str(summary.number) for summary in journal.overdue_callbacks(DAY + dt.timedelta(days=1))] == [
        "20261123-777"
    ]


def test_the_old_grants_count_in_the_ledger(opened: Callable[[], Journal]) -> None:
    journal = opened()
    assert day_ledger(journal, "10442") == Money("190.00", "USD")
    assert day_ledger(journal, "555") == Money("100.00", "USD")
    incident = POLICY.window.incident()
    for number, amount in (("20261123-10442", "150.00"), ("20261123-10442/2", "40.00")):
        assert journal.granted(
            ComplaintNumber.parse(number), window=incident, timezone=POLICY.timezone, currency="USD", now=LATER
        ) == Money(amount, "USD")


def test_an_old_grant_that_is_the_journals_last_event_counts_in_the_ledger(tmp_path: Path) -> None:
    """The old journal cut after its last grant (event 19, guest 555's), as if the old release stopped there: the
    upgrade records 19 as the last event of format 1, and that grant is read the 0.1.0 way like the others."""
    path = tmp_path / "journal.sqlite3"
    shutil.copy(LEGACY, path)
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("DELETE FROM events WHERE seq > 19")
    journal = SQLiteJournal(path)
    try:
        assert journal.head().count == 19
        assert day_ledger(journal, "555") == Money("100.00", "USD")
        assert day_ledger(journal, "10442") == Money("190.00", "USD")
    finally:
        journal.close()


def test_new_cases_count_old_and_new_grants_together(opened: Callable[[], Journal]) -> None:
    journal = opened()
    complaint = Complaint(
        customer=Customer(id="10442"),
        category="food_quality",
        requested=Remedy(kind="refund", amount=Money("100.00", "USD")),
        received_at=LATER,
    )
    case = Case.open(journal, POLICY, complaint, by="ticket_agent", now=LATER)
    assert str(case.number) == "20261123-10442/3"
    case.listen(now=LATER)
    case.apologize(now=LATER)
    case.ask_preferred_solution(now=LATER)
    assert case.decide(now=LATER).outcome is Outcome.ESCALATED  # $190 already today: beyond the ticket agent's $150
    case.escalate(now=LATER)
    assert case.manager_approves(by="guest_relations", now=LATER).outcome is Outcome.APPROVED
    grant = case.history[-1]
    assert grant.format == 3
    assert grant.ledger is not None
    assert grant.ledger.guest.count == 1  # the running totals start with the first grant of the new format
    assert grant.ledger.guest.total == Money("100.00", "USD")
    reopened = opened()  # a second open finds the journal upgraded already
    assert day_ledger(reopened, "10442") == Money("290.00", "USD")
    result = reopened.verify(expected_head=LEGACY_HEAD)
    assert result.ok, result.problem
    assert result.count == LEGACY_HEAD.count + 7  # opened, listened, apologized, asked, decided, escalated, approved


# -- a journal of schema 2 (events of formats 1 and 2), upgraded to event format 3 --------------------------------

FORMAT_2 = DATA / "journal-format-2.sqlite3"  # written by data/make_journal_format_2.py, with the release before
FORMAT_2_HEAD = ChainHead.parse("35:650479b6e5414506fdb8de6a9f39e11c2bfb2ba0aae65873365daa75683589d7")


def format_2_rows(table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    assert FORMAT_2.is_file(), f"{FORMAT_2} is missing: it is committed with the tests"
    with contextlib.closing(sqlite3.connect(f"{FORMAT_2.as_uri()}?mode=ro&immutable=1", uri=True)) as connection:
        return connection.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()


@pytest.fixture(params=["sqlite", "postgres"])
def opened_format_2(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Journal]]:
    """Opens the journal of schema 2 (upgraded on first open) with the current release, as often as asked."""
    journals: list[Journal] = []
    if request.param == "sqlite":
        path = tmp_path / "journal.sqlite3"
        shutil.copy(FORMAT_2, path)

        def open_it() -> Journal:
            journals.append(SQLiteJournal(path))
            return journals[-1]

        yield open_it
    else:
        import psycopg  # noqa: PLC0415 - the postgres extra; dsn() skips (fails in CI) without a server

        dsn = _postgres.dsn()
        schema = _postgres.new_schema()
        legacy_until = format_2_rows("journal_settings", ["value"])[0][0]
        with psycopg.connect(dsn, autocommit=True) as connection, connection.transaction():
            connection.execute(f'CREATE SCHEMA "{schema}"')
            for statement in TABLES_FORMAT_2.format(s=f'"{schema}"').split(";"):
                connection.execute(statement)
            connection.execute(
                f'INSERT INTO "{schema}".journal (application, format, legacy_until) VALUES (%s, 2, %s)',
                ("recovery-rules journal", legacy_until),
            )
            for table, columns in (
                ("events", COLUMNS_FORMAT_2),
                ("ledger_heads", ["scope", "key", "seq", "hash"]),
                ("cases", CASE_COLUMNS),
            ):
                marks = ", ".join(["%s"] * len(columns))
                for row in format_2_rows(table, columns):
                    connection.execute(f'INSERT INTO "{schema}".{table} ({", ".join(columns)}) VALUES ({marks})', row)

        def open_it() -> Journal:
            journals.append(PostgresJournal(dsn, schema=schema))
            return journals[-1]

        yield open_it
        for journal in journals:
            journal.close()
        _postgres.drop_schema(dsn, schema)
        return
    for journal in journals:
        journal.close()


def test_the_format_2_fixture_holds_formats_1_and_2() -> None:
    with contextlib.closing(sqlite3.connect(f"{FORMAT_2.as_uri()}?mode=ro&immutable=1", uri=True)) as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (2,)
        formats = connection.execute("SELECT format, count(*) FROM events GROUP BY format ORDER BY 1").fetchall()
    assert formats == [(1, LEGACY_HEAD.count), (2, FORMAT_2_HEAD.count - LEGACY_HEAD.count)]


def test_a_journal_of_format_2_verifies_and_takes_events_of_format_3(opened_format_2: Callable[[], Journal]) -> None:
    journal = opened_format_2()
    result = journal.verify(expected_head=FORMAT_2_HEAD)  # the head saved before the upgrade still holds
    assert result.ok, result.problem
    old = list(journal.iter_events())
    assert {event.format for event in old} == {1, 2}
    assert {(event.employee, event.policy_revision) for event in old} == {(None, None)}  # neither was recorded
    assert Case.load(journal, POLICY, "20261123-10442/3").granted == Money("100.00", "USD")
    assert day_ledger(journal, "10442") == Money("290.00", "USD")  # $150 + $40 of format 1, $100 of format 2

    complaint = Complaint(
        customer=Customer(id="10442"),
        category="long_wait",
        requested=Remedy(kind="refund", amount=Money("50.00", "USD")),
        received_at=LATER,
    )
    case = Case.open(journal, POLICY, complaint, by="guest_relations", now=LATER, employee="E-0042")
    case.listen(now=LATER, employee="E-0042")
    case.apologize(now=LATER, employee="E-0042")
    case.ask_preferred_solution(now=LATER, employee="E-0042")
    assert case.decide(now=LATER, employee="E-0042").outcome is Outcome.APPROVED  # $340 of guest relations' $600
    new = case.history
    assert {event.format for event in new} == {3}
    assert {(event.employee, event.policy_revision) for event in new} == {("E-0042", POLICY.revision)}
    assert new[-1].ledger is not None
    assert new[-1].ledger.guest.count == 2  # the running total goes on from the grant of format 2
    assert new[-1].ledger.guest.total == Money("150.00", "USD")

    reopened = opened_format_2()  # a second open finds the journal upgraded already
    assert day_ledger(reopened, "10442") == Money("340.00", "USD")
    result = reopened.verify(expected_head=FORMAT_2_HEAD)
    assert result.ok, result.problem
    assert result.count == FORMAT_2_HEAD.count + 5
    assert {event.format for event in reopened.iter_events()} == {1, 2, 3}
    assert [event.employee for event in reopened.events(case.number)] == ["E-0042"] * 5


@pytest.mark.parametrize(("seq", "column"), [(5, "employee"), (30, "employee"), (30, "policy_revision")])
def test_an_employee_or_revision_added_to_an_older_event_is_found(tmp_path: Path, seq: int, column: str) -> None:
    path = tmp_path / "journal.sqlite3"
    shutil.copy(FORMAT_2, path)
    SQLiteJournal(path).close()  # upgraded: the two columns are there, NULL for every event of format 1 and 2
    value = "E-0042" if column == "employee" else "a" * 64
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute(f"UPDATE events SET {column} = ? WHERE seq = ?", (value, seq))  # an event of format 1 or 2
    with SQLiteJournal(path) as journal:
        result = journal.verify()
        assert (result.ok, result.first_bad) == (False, seq)
        assert result.count == seq - 1


# -- the setting legacy_until: only grants of format 1 are ever read the 0.1.0 way ------------------------------------

YESTERDAY = "2026-11-22T10:10:00.000000Z"
SETTING = {
    "sqlite": "UPDATE journal_settings SET value = ? WHERE name = 'legacy_until'",
    "postgres": "UPDATE {s}.journal SET legacy_until = %s",
}
NO_GUEST_HEAD = {
    "sqlite": "DELETE FROM ledger_heads WHERE scope = 'guest' AND key = '10442'",
    "postgres": "DELETE FROM {s}.ledger_heads WHERE scope = 'guest' AND key = '10442'",
}
REDATED = {  # the guest's grant of format 2 (event 35) moved to the day before, its ledger time too
    "sqlite": "UPDATE events SET at = ?, ledger_at = ? WHERE seq = 35",
    "postgres": "UPDATE {s}.events SET at = %s, ledger_at = %s WHERE seq = 35",
}


def behind_the_back(journal: Journal, statements: dict[str, str], *parameters: object) -> None:
    """Run one statement on the journal's database directly, as someone who can write it could."""
    if isinstance(journal, SQLiteJournal):
        with contextlib.closing(sqlite3.connect(journal.path, isolation_level=None)) as connection:
            connection.execute(statements["sqlite"], parameters)
        return
    import psycopg  # noqa: PLC0415 - the postgres extra; the fixture skipped the test without it

    assert isinstance(journal, PostgresJournal)
    with psycopg.connect(journal._conninfo, autocommit=True) as connection:
        connection.execute(statements["postgres"].format(s=f'"{journal.schema}"'), parameters)


@pytest.mark.parametrize(
    ("legacy_until", "tampered", "first_bad"),
    [
        (1000, (), FORMAT_2_HEAD.count + 1),  # up, past every event: the grant of format 2 below it
        (1000, ("heads", "redated"), 35),  # ... that grant hidden from 0.1.0's reads (verify: its hash, first)
        (35, (), 35),  # up, onto the grant of format 2 itself
        (10, (), 11),  # down: the grant of format 1 at event 13 left out of 0.1.0's reads
        (0, (), 1),  # down to none: every grant of format 1 left out
    ],
)
def test_a_moved_legacy_until_fails_closed_and_verify_names_it(
    opened_format_2: Callable[[], Journal], legacy_until: int, tampered: tuple[str, ...], first_bad: int
) -> None:
    """The setting is not hashed: moved, the ledger refuses every grant read, and verify() reports it, where
    release 0.1.1 read the grant of format 2 the 0.1.0 way (counted twice, or skipped once hidden from that
    way) or left grants of format 1 out."""
    journal = opened_format_2()
    assert day_ledger(journal, "10442") == Money("290.00", "USD")  # $150 + $40 of format 1, $100 of format 2
    behind_the_back(journal, SETTING, legacy_until)
    if "heads" in tampered:
        behind_the_back(journal, NO_GUEST_HEAD)
    if "redated" in tampered:
        behind_the_back(journal, REDATED, YESTERDAY, YESTERDAY)
    moved = opened_format_2()
    with pytest.raises(JournalIntegrityError, match=r"legacy_until|the ledger has no record of this guest's grants"):
        day_ledger(moved, "10442")
    result = moved.verify()
    assert (result.ok, result.first_bad) == (False, first_bad)
    assert "legacy_until" in (result.problem or "") or "redated" in tampered
    behind_the_back(journal, SETTING, LEGACY_HEAD.count)  # put back: the ledger counts again
    if not tampered:
        assert day_ledger(opened_format_2(), "10442") == Money("290.00", "USD")
        assert opened_format_2().verify(expected_head=FORMAT_2_HEAD).ok


def trusting(journal: Journal, legacy_until: int) -> Journal:
    """``journal``, whose setting ``legacy_until`` was set so, taking it as checked (as if it had passed the check
    of a journal opened, which a forged journal might)."""
    if isinstance(journal, SQLiteJournal):
        journal._legacy_until, journal._legacy_damage = legacy_until, None
    else:
        assert isinstance(journal, PostgresJournal)
        journal._legacy, journal._legacy_seen = (legacy_until, None), legacy_until
    return journal


def test_a_grant_of_format_2_is_never_read_the_0_1_0_way(opened_format_2: Callable[[], Journal]) -> None:
    """Whatever the setting says, a grant of a later format counts through its heads, hash-checked, and only
    so: below the setting, it is neither counted twice nor, with its head deleted and its index moved, skipped."""
    behind_the_back(opened_format_2(), SETTING, 1000)
    journal = trusting(opened_format_2(), 1000)
    assert day_ledger(journal, "10442") == Money("290.00", "USD")  # not $390: event 35 is counted once
    behind_the_back(journal, NO_GUEST_HEAD)
    behind_the_back(journal, REDATED, YESTERDAY, YESTERDAY)
    with pytest.raises(JournalIntegrityError, match=r"^journal event 35 is bad: the ledger has no record"):
        day_ledger(trusting(opened_format_2(), 1000), "10442")
