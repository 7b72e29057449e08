"""Personal data stays out of logs and error messages, along the whole flow.

A customer's name, customer number, description, e-mail address and card
number, and the database password, are fed through everything that can fail:
invalid complaints, policies that do not load, journal errors (a bad
connection string, an unreachable server, a stale or conflicting write, a
tampered event, a database constraint whose own message quotes the row), case
steps taken out of turn or beyond authority, and the command line's ``decide``
error path. (Fields that hold no personal data, such as an amount's text or the
name of an authority level, are quoted in their errors to help fix them; the
card number goes in as a complaint's amount, where it is not.) Every log
record (every logger, DEBUG and up) and every error's message, ``repr`` and
formatted traceback is collected and searched for each piece of that data;
none may appear.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import (
    Case,
    Complaint,
    ComplaintNumber,
    Customer,
    Draft,
    JournalError,
    Money,
    Policy,
    PostgresJournal,
    RecoveryRulesError,
    Remedy,
    presets,
)
from recovery_rules._journal import Store
from recovery_rules.cli import main
from tests._helpers import NOW, policy_data

from ._journals import Place, Wrapped

NAME = "Zoë Quinteros-Håkansson"
CUSTOMER = "QZ-77413"
EMAIL = "zoe.quinteros@example.org"
CARD = "4111 1111 1111 1111"
DESCRIPTION = f"My card {CARD} was charged twice; write to {EMAIL}."
PASSWORD = "Pw-s3cr3t-9914"  # noqa: S105 - a made-up password the scan looks for
SECRETS = (NAME, "Quinteros", "Håkansson", CUSTOMER, "77413", EMAIL, CARD, CARD.replace(" ", ""), PASSWORD, DESCRIPTION)
POLICY = presets.ritz_carlton()


class Collected:
    """Every error text seen: message, repr and formatted traceback."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.errors = 0

    def add(self, error: BaseException) -> None:
        self.errors += 1
        self.texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
        self.texts += [str(problem) for problem in getattr(error, "problems", ())]

    def expect(self, call: Callable[[], object], kind: type[BaseException] = RecoveryRulesError) -> None:
        """``call`` must raise ``kind``; its texts are kept."""
        try:
            call()
        except kind as error:
            self.add(error)
        else:
            raise AssertionError(f"{call} did not raise {kind.__name__}")


def leaks(texts: list[str]) -> list[str]:
    return sorted({secret for secret in SECRETS for text in texts if secret in text})


def complaint(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "customer": {"id": CUSTOMER, "tier": "gold", "name": NAME},
        "category": "room_not_ready",
        "requested": {"kind": "refund", "amount": {"amount": "250.00", "currency": "USD"}},
        "received_at": "2026-11-23T09:30:00+00:00",
        "description": DESCRIPTION,
    }
    data.update(changes)
    return data


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.DEBUG):  # the root logger: every library's records propagate to it
        for name in ("psycopg", "recovery_rules", "pydantic", "hypothesis"):
            logging.getLogger(name).setLevel(logging.DEBUG)
        yield caplog


def invalid_inputs(seen: Collected) -> None:
    seen.expect(lambda: Complaint.model_validate(complaint(customer={"id": EMAIL, "name": NAME})))
    seen.expect(lambda: Complaint.model_validate(complaint(customer={"id": CUSTOMER, "name": NAME * 500})))
    seen.expect(lambda: Complaint.model_validate(complaint(description=DESCRIPTION + "\x00")))
    seen.expect(lambda: Complaint.model_validate(complaint(category=EMAIL)))
    seen.expect(lambda: Complaint.model_validate(complaint(requested={"kind": CARD, "amount": CARD})))
    seen.expect(lambda: Complaint.model_validate(complaint(received_at=CARD)))
    seen.expect(lambda: Complaint.model_validate_json(json.dumps(complaint(number=f"{CUSTOMER} {EMAIL}"))))
    seen.expect(lambda: Complaint.model_validate(complaint(surprise=DESCRIPTION)))
    seen.expect(lambda: Customer(id=CUSTOMER, tier=NAME))
    seen.expect(lambda: ComplaintNumber.parse(f"20261123-{EMAIL}"))
    valid = Complaint.model_validate(complaint())
    # Not scanned, on purpose: fields that hold no personal data quote what they were given, to help fix it:
    # Money("12,50", "USD") names the amount text (its first 24 characters), decide(by=...) the unknown level.
    seen.expect(lambda: POLICY.decide(valid, by="staff", granted=Money("1", "EUR"), now=NOW))


def policy_errors(seen: Collected) -> None:
    data = policy_data()
    data["name"] = NAME * 40
    data["levels"][0]["name"] = EMAIL
    data["catalog"][0]["description"] = DESCRIPTION + "\x00"
    data["catalog"][1]["value"] = CARD
    seen.expect(lambda: Policy.model_validate(data))
    seen.expect(lambda: Policy.from_text(f'name = "{NAME}"\ncurrency = {CARD}\n'))  # a TOML syntax error
    seen.expect(lambda: Policy.from_text(f'{{"name": "{NAME}", "window": {EMAIL}}}', format="json"))


def case_steps(seen: Collected, place: Place) -> None:
    with place.open() as journal:
        valid = Complaint.model_validate(complaint())
        case = Case.open(journal, POLICY, valid, by="staff", now=NOW, key="open-1")
        seen.expect(lambda: case.decide(now=NOW))  # not yet: listen first
        case.listen(notes=DESCRIPTION, now=NOW)
        seen.expect(lambda: case.listen(notes=DESCRIPTION + "\x00", now=NOW))
        case.apologize(now=NOW)
        case.ask_preferred_solution(
            Remedy(kind="refund", amount=Money("5000.00", "USD"), description=DESCRIPTION), now=NOW
        )
        case.decide(now=NOW)  # over the staff limit: escalated
        case.escalate(notes=DESCRIPTION, now=NOW)
        seen.expect(lambda: case.manager_approves(by="staff", notes=DESCRIPTION, now=NOW))  # not enough authority
        seen.expect(lambda: case.manager_denies(by="manager", reason=DESCRIPTION + "\x00", now=NOW))
        seen.expect(lambda: Case.open(journal, POLICY, valid, by="manager", now=NOW, key="open-1"))  # the key again
        draft = Draft(kind="noted", state="noted", actor="staff", at=NOW, data={"notes": DESCRIPTION})
        seen.expect(lambda: journal.append(case.number, draft, expected_version=1, key="late", request={"n": NAME}))
        seen.expect(lambda: Case.load(journal, POLICY, f"20261123-{CUSTOMER}/7"))  # no such case
        seen.expect(lambda: case.accept_alternative(EMAIL, now=NOW))


def journal_errors(seen: Collected, place: Place, tmp_path: Path) -> None:
    # A connection string with a password: unreadable, and pointing nowhere.
    seen.expect(lambda: PostgresJournal(f"postgresql://{CUSTOMER}:{PASSWORD}@/db?host={tmp_path}&port=x"))
    seen.expect(lambda: PostgresJournal(f"host={tmp_path} port=1 user=app password={PASSWORD} dbname={CUSTOMER}"))
    seen.expect(lambda: PostgresJournal(f"postgresql://app:{PASSWORD}@/db?host={tmp_path}", schema=EMAIL))
    # A database constraint whose own message quotes the row: (number, version) of the customer's case.
    with place.open() as journal:
        number = ComplaintNumber.parse(f"20261123-{CUSTOMER}/2")
        draft = Draft(kind="noted", state="noted", actor="staff", at=NOW, data={"notes": DESCRIPTION})
        journal.append(number, draft, expected_version=0, key="first", request={})
        seen.expect(lambda: Forgetful(journal).append(number, draft, expected_version=0, key="again", request={}))
    # A tampered event that holds the customer's data.
    tamper(place)
    case_number = ComplaintNumber.parse(f"20261123-{CUSTOMER}")
    with place.open() as journal:
        seen.expect(lambda: journal.events(case_number))
        seen.expect(lambda: journal.verify().raise_for_problem())
        seen.expect(lambda: Case.load(journal, POLICY, case_number))


class Forgetful(Wrapped):
    """A journal whose store forgets the case's events, so the database's own constraint refuses the insert."""

    @contextlib.contextmanager
    def _forgetting(self) -> Iterator[Store]:
        with self.inner._write() as store:
            store.version = lambda number: 0  # type: ignore[method-assign]
            yield store

    def _write(self) -> Any:
        return self._forgetting()


def tamper(place: Place) -> None:
    edit = (json.dumps({"notes": f"{DESCRIPTION} (edited)"}), 2)  # the case's listen step, with the notes
    if place.backend == "sqlite":
        with contextlib.closing(sqlite3.connect(place.address, isolation_level=None)) as connection:
            connection.execute("UPDATE events SET data = ? WHERE seq = ?", edit)
        return
    import psycopg  # noqa: PLC0415 - the postgres extra

    with psycopg.connect(place.address, autocommit=True) as connection:
        connection.execute(f'UPDATE "{place.schema}".events SET data = %s WHERE seq = %s', edit)


def command_line(seen: Collected, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "complaint.json"
    for content in (
        complaint(customer={"id": EMAIL, "name": NAME}),
        complaint(requested={"kind": "refund", "amount": CARD}),
        complaint(description=DESCRIPTION * 200),  # over 10,000 characters
    ):
        bad.write_text(json.dumps(content), encoding="utf-8")
        capsys.readouterr()
        code = main(["decide", "--policy", "ritz-carlton", str(bad), "--by", "staff"])
        captured = capsys.readouterr()
        assert code == 2, captured.err
        seen.texts += [captured.err, captured.out]
        seen.errors += 1
    bad.write_text(f'{{"customer": {{"id": "{CUSTOMER}", "name": "{NAME}"', encoding="utf-8")  # cut short
    code = main(["decide", "--policy", "ritz-carlton", str(bad), "--by", "staff"])
    captured = capsys.readouterr()
    assert code == 2
    seen.texts += [captured.err, captured.out]
    seen.errors += 1


def test_no_personal_data_in_logs_or_errors(
    place: Place,
    tmp_path: Path,
    logs: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    figure: Callable[[str], None],
) -> None:
    seen = Collected()
    invalid_inputs(seen)
    policy_errors(seen)
    case_steps(seen, place)
    journal_errors(seen, place, tmp_path)
    command_line(seen, tmp_path, capsys)
    records = [record.getMessage() for record in logs.records]
    found = leaks([*seen.texts, logs.text, *records])
    figure(
        f"{place}: {seen.errors} errors ({len(seen.texts)} texts: messages, reprs, tracebacks, CLI output) and "
        f"{len(records)} log records scanned for {len(SECRETS)} pieces of personal data: found {len(found)}"
    )
    assert found == []


def test_the_scan_finds_what_the_database_itself_would_have_said(postgres_place: Place) -> None:
    """Teeth: the driver's own message for the constraint quotes the customer number; the scan sees it."""
    import psycopg  # noqa: PLC0415 - the postgres extra

    with postgres_place.open() as journal:
        number = ComplaintNumber.parse(f"20261123-{CUSTOMER}")
        draft = Draft(kind="noted", state="noted", actor="staff", at=NOW)
        journal.append(number, draft, expected_version=0, key="first", request={})
    table = f'"{postgres_place.schema}".events'
    copy = "seq + 1, format, number, customer_id, version, kind, state, actor, at, key || 'x', request, data, " + (
        "grant_amount, grant_currency, callback_due, prev, hash"
    )
    with (
        psycopg.connect(postgres_place.address, autocommit=True) as connection,
        pytest.raises(psycopg.errors.UniqueViolation) as caught,
    ):
        connection.execute(f"INSERT INTO {table} SELECT {copy} FROM {table}")
    raw = Collected()
    raw.add(caught.value)
    assert CUSTOMER in leaks(raw.texts)  # why the journal never repeats the driver's text
    with pytest.raises(JournalError) as translated, postgres_place.open() as journal:
        Forgetful(journal).append(number, draft, expected_version=0, key="again", request={})
    assert leaks([str(translated.value)]) == []
