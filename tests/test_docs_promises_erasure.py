"""Promises of the erasure pages, checked with an adversary's eye (docs/how-to/erase-customer-data.md,
docs/explanation/journal.md "Personal data and erasure", docs/explanation/guarantees.md §17, docs/cli/backup.md).

Someone who holds what stays after ``erase_customer`` (the SQLite file, a backup, what the journal reads back)
tries to get the customer's words back or to move them where they open again; someone else tries to make the
erasure break the paper trail.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from recovery_rules import (
    ERASED,
    Case,
    Complaint,
    ComplaintNumber,
    Customer,
    Draft,
    InvalidInputError,
    Journal,
    JournalIntegrityError,
    MemoryJournal,
    Money,
    Remedy,
    SQLiteJournal,
    presets,
)
from recovery_rules._journal import canonical_json
from tests._journal_backends import SQLiteHarness

AT = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
CONFIDED = "She told us about her mother's operation tomorrow morning."


def _complaint(customer_id: str, name: str) -> Complaint:
    return Complaint(
        customer=Customer(id=customer_id, tier="gold", name=name),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money("250.00", "USD")),
        received_at=AT,
    )


def _opened(journal: Journal, customer_id: str, name: str, notes: str) -> ComplaintNumber:
    """A case of ``customer_id``: opened (event 1 of it), listened to with ``notes`` (2), apologized to (3), asked
    what they would like (4)."""
    case = Case.open(journal, presets.ritz_carlton(), _complaint(customer_id, name), by="staff", now=AT)
    case.listen(notes=notes, now=AT + dt.timedelta(minutes=1))
    case.apologize(notes="We are sorry about the wait.", now=AT + dt.timedelta(minutes=2))
    case.ask_preferred_solution(now=AT + dt.timedelta(minutes=3))
    return case.number


@pytest.mark.parametrize("into", ["another event of the case", "another customer's event"])
def test_a_sealed_value_moved_into_another_event_does_not_open_there(into: str, tmp_path: Path) -> None:
    """journal.md: the key id and the value's place in ``data`` are the associated data, "so that a sealed value
    moved to another field or another event does not open". Here the listening notes of customer 10442 (event 2)
    are copied over the notes of another event at the same place, ``notes``, and that event given the hash of its
    new content, as someone who can write the file would: reading that event must refuse the value (the cipher's
    tag), never show the confided words in an event they were not written in. (``verify()`` finds the re-hashed
    event by the next one's link; reading a case checks each event's own hash, which was made to match.)"""
    harness = SQLiteHarness(tmp_path)
    SQLiteJournal(harness.path, encrypt_personal_data=True).close()
    journal = harness.journal()
    try:
        first = _opened(journal, "10442", "Ms. Okafor", CONFIDED)  # events 1 to 4
        other = _opened(journal, "20001", "Mr. Lindqvist", "Nothing more to say.")  # events 5 to 8
        # neither the latest event of its case, which the table of cases would give away by its hash
        target, number = (3, first) if into == "another event of the case" else (6, other)
        moved = json.loads(harness.record(2)["data"])["notes"]
        data = json.loads(harness.record(target)["data"])
        data["notes"] = moved
        harness.edit(target, "data", canonical_json(data).decode(), rehashed=True)
        with pytest.raises(JournalIntegrityError) as raised:
            journal.events(number)
        assert raised.value.seq == target
    finally:
        harness.close()


def test_a_backup_taken_after_an_erasure_holds_neither_the_key_nor_the_words(tmp_path: Path) -> None:
    """erase-customer-data.md: the key's row is deleted with ``secure_delete`` on and the log emptied, "so no
    older copy of the key's page is left"; backup.md: a backup copies "one committed state of the whole
    journal". A backup taken after the erasure is a copy of the erased journal: the destroyed key is in none of
    its bytes (nor in the journal's), the customer's fields read back erased in it, and it verifies against a
    chain head saved before the erasure."""
    path = tmp_path / "journal.sqlite3"
    with SQLiteJournal(path, encrypt_personal_data=True) as journal:
        number = _opened(journal, "10442", "Ms. Okafor", CONFIDED)
        _opened(journal, "20001", "Mr. Lindqvist", "Nothing more to say.")
        head = journal.head()
        with sqlite3.connect(path) as connection:
            (key,) = connection.execute("SELECT key FROM data_keys WHERE customer_id = '10442'").fetchone()
        connection.close()
        assert isinstance(key, bytes)
        assert len(key) == 32
        journal.erase_customer("10442", employee="E-0042", now=AT + dt.timedelta(hours=1))
        backup = tmp_path / "after-erasure.sqlite3"
        assert journal.backup(backup) == journal.head()
    raw = b"".join(part.read_bytes() for part in tmp_path.iterdir())
    assert key not in raw
    assert key.hex().encode() not in raw
    with SQLiteJournal(backup, read_only=True) as copy:
        assert copy.verify(expected_head=head).ok
        opened, listened, *_ = copy.events(number)
        assert Case.load(copy, presets.ritz_carlton(), number).complaint.customer.name == ERASED
        assert json.dumps(opened.data).count(ERASED) == 1  # the name: the complaint has no other words
        assert listened.data["notes"] == ERASED
        assert copy.erasure("10442") is not None


SEALED_LOOKING = {"sealed": "aes-256-gcm", "key": "5f0c9e2d41a7b3c8e6d2f1a09b8c7d6e", "box": "q3JkX"}
"""The spelling journal.md gives of a sealed value, as a caller's data could hold it (a webhook's payload...)."""


@pytest.mark.parametrize("place", ["x", "notes"], ids=["where no personal data goes", "at a personal place"])
def test_data_spelled_as_a_sealed_value_is_refused_before_anything_is_written(place: str) -> None:
    """journal.md: a stored event's personal fields are sealed values (``{"box": ..., "key": ..., "sealed":
    "aes-256-gcm"}``), and "a sealed value moved ... where no personal data goes" is refused when read as an
    edit. A caller's own data spelled that way was never sealed: recorded, it makes an intact event read as
    tampered with (``verify()`` passes, ``journal.events`` raises "journal event 1 is bad") or as erased when no
    erasure took place. ``append`` must refuse it with :class:`InvalidInputError`, writing nothing."""
    journal = MemoryJournal(encrypt_personal_data=True)
    number = ComplaintNumber.parse("20261123-10442")
    draft = Draft(kind="noted", state="noted", actor="staff", at=AT, data={place: dict(SEALED_LOOKING)})
    try:
        with pytest.raises(InvalidInputError):
            journal.append(number, draft, expected_version=0, key="note-1", request={})
        assert journal.version(number) == 0
    finally:
        journal.close()


def test_words_recorded_in_a_case_still_open_after_an_erasure_are_erased_by_the_next_one(tmp_path: Path) -> None:
    """erase-customer-data.md: "Erasing again is harmless: it returns the same record, unless the customer has
    come back and opened new cases since, whose new key it then destroys." A case that was open at the erasure
    and goes on records the customer's words again, under a new key: those are erasable too. The next erasure
    destroys that key and is recorded as its own; the words are in no byte of the file after it, and the chain
    still holds the head saved before the first erasure."""
    path = tmp_path / "journal.sqlite3"
    later = "The guest came back to the desk and told us about her flight home."
    with SQLiteJournal(path, encrypt_personal_data=True) as journal:
        number = _opened(journal, "10442", "Ms. Okafor", CONFIDED)
        head = journal.head()
        first = journal.erase_customer("10442", employee="E-0042", now=AT + dt.timedelta(hours=1))
        case = Case.load(journal, presets.ritz_carlton(), number)
        case.decide(now=AT + dt.timedelta(hours=2))
        case.deliver(notes=later, now=AT + dt.timedelta(hours=2, minutes=5))
        assert journal.events(number)[-1].data["notes"] == later  # readable: not erased yet
        again = journal.erase_customer("10442", employee="E-0043", now=AT + dt.timedelta(hours=3))
        assert (again.keys_destroyed, again.employee) == (1, "E-0043")
        assert again != first
        assert journal.erasure("10442") == again
        assert journal.events(number)[-1].data["notes"] == ERASED
        assert journal.verify(expected_head=head).ok
    raw = b"".join(part.read_bytes() for part in tmp_path.iterdir())
    assert later.encode() not in raw
