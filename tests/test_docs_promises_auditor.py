"""An auditor's independent verifier, written from the docs alone (audit 149).

``docs/explanation/journal.md`` promises that "a verifier in any language can recompute the hashes" and that
anyone can prove later that nothing was edited, removed or reordered. ``_audit`` below is that verifier: it
uses only ``sqlite3``, ``hashlib`` and ``json``, and what the pages on the journal, ``verify``,
``seal``, ``backup``, the guarantees and erasure say (plus the table layout SQLite itself shows). Each test
builds a journal through the public API, compares the auditor's verdict with ``Journal.verify()`` and
``recovery-rules verify``, then tampers with the file and checks that all three refuse it, at the same event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import (
    ERASED,
    BulkEntry,
    Case,
    ChainHead,
    Complaint,
    ComplaintNumber,
    Customer,
    Draft,
    JournalError,
    Money,
    Policy,
    Remedy,
    SQLiteJournal,
    presets,
)
from tests._cli import run

ZERO = "0" * 64
AT = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
_HEAD_SCOPES = frozenset({"guest", "incident", "grant"})

# ---------------------------------------------------------------------------------------------------------
# The auditor's verifier: standard library only.


def _canonical_text(value: Any) -> str:
    """RFC 8785 for the values an event holds (no floats): keys sorted by UTF-16 code units, no whitespace."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(_canonical_text(item) for item in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: key.encode("utf-16-be"))
        return (
            "{"
            + ",".join(json.dumps(key, ensure_ascii=False) + ":" + _canonical_text(value[key]) for key in keys)
            + "}"
        )
    raise ValueError(f"no canonical form for {type(value).__name__}")


def _canonical(value: Any) -> bytes:
    return _canonical_text(value).encode("utf-8")


def _customer_of(number: str) -> str:
    """The customer number a complaint number holds: ``20261123-10442/2`` -> ``10442``."""
    return number.split("-", 1)[1].split("/", 1)[0]


def _stored_json(row: sqlite3.Row, column: str) -> Any:
    text = row[column]
    if text is None:
        return None
    value = json.loads(text)
    if _canonical_text(value) != text:
        raise ValueError(f"{column} not in its canonical spelling")
    return value


def _body(row: sqlite3.Row) -> dict[str, Any]:
    """The hashed body of a stored event: every field of the docs' table but ``hash``, by its format."""
    names = ("seq", "number", "version", "kind", "state", "actor", "at", "key", "request", "callback_due", "prev")
    body: dict[str, Any] = {name: row[name] for name in names}
    body["format"] = row["format"]
    body["data"] = _stored_json(row, "data")
    amount, currency = row["grant_amount"], row["grant_currency"]
    body["grant"] = None if amount is None and currency is None else {"amount": amount, "currency": currency}
    if row["format"] >= 2:
        body["ledger"] = _stored_json(row, "ledger")
    elif row["ledger"] is not None:
        raise ValueError("a ledger stored beside an event of format 1")
    if row["format"] >= 3:
        body["employee"] = row["employee"]
        body["policy_revision"] = row["policy_revision"]
    elif row["employee"] is not None or row["policy_revision"] is not None:
        raise ValueError("an employee or a revision stored beside an event of format 1 or 2")
    return body


def _event_hash(row: sqlite3.Row) -> str:
    return hashlib.sha256(_canonical(_body(row))).hexdigest()


def _sealed_key_ids(value: Any) -> set[str]:
    """The key ids of the sealed personal values in an event's data."""
    if isinstance(value, dict):
        if "sealed" in value and set(value) == {"box", "key", "sealed"}:
            return {value["key"]}
        return set().union(*(_sealed_key_ids(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(_sealed_key_ids(item) for item in value))
    return set()


def _tables(db: sqlite3.Connection) -> set[str]:
    return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _audit(path: Path, expected_head: tuple[int, str] | None = None) -> tuple[int, str] | None:
    """None when the SQLite journal at ``path`` is intact, else (the first bad position, what is wrong)."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        return _check(db, expected_head)
    finally:
        db.close()


def _check(db: sqlite3.Connection, expected_head: tuple[int, str] | None) -> tuple[int, str] | None:
    prev, count = ZERO, 0
    firsts: dict[str, sqlite3.Row] = {}
    lasts: dict[str, sqlite3.Row] = {}
    latest_grant: dict[tuple[str, str], sqlite3.Row] = {}
    rows: dict[int, sqlite3.Row] = {}
    key_users: dict[str, set[str]] = {}
    for row in db.execute("SELECT * FROM events ORDER BY seq"):
        seq = row["seq"]
        if seq != count + 1:
            return count + 1, "missing"
        try:
            body = _body(row)
        except (ValueError, KeyError) as error:
            return seq, f"unreadable: {error}"
        if hashlib.sha256(_canonical(body)).hexdigest() != row["hash"]:
            return seq, "its content does not match its hash"
        if row["prev"] != prev:
            return seq, "not chained to the event before"
        last = lasts.get(row["number"])
        if row["version"] != (last["version"] if last is not None else 0) + 1:
            return seq, "its version is not the next of its case"
        firsts.setdefault(row["number"], row)
        lasts[row["number"]] = row
        if row["customer_id"] != _customer_of(row["number"]):
            return seq, "its customer index does not match"
        ledger = body.get("ledger")
        indexed = (row["ledger_at"], row["incident"])
        if indexed != ((ledger["at"], ledger["incident"]) if ledger is not None else (None, None)):
            return seq, "its ledger index columns do not match"
        if ledger is not None:
            latest_grant["guest", _customer_of(ledger["incident"])] = row
            latest_grant["incident", ledger["incident"]] = row
        for key_id in _sealed_key_ids(body["data"]):
            key_users.setdefault(key_id, set()).add(row["customer_id"])
        rows[seq] = row
        prev, count = row["hash"], seq
    if expected_head is not None:
        head_count, head_hash = expected_head
        if head_count > count:
            return count + 1, "the tail was cut off"
        if head_count and rows[head_count]["hash"] != head_hash:
            return head_count, "it is not the saved head"
    (legacy_until,) = db.execute("SELECT value FROM journal_settings WHERE name = 'legacy_until'").fetchone()
    if legacy_until and (legacy_until > count or rows[legacy_until]["format"] != 1):
        return min(legacy_until, count + 1), "the setting legacy_until names an event of a later format"
    if legacy_until and legacy_until < count and rows[legacy_until + 1]["format"] == 1:
        return legacy_until + 1, "the setting legacy_until leaves out an event of format 1"
    entries = {entry["number"]: entry for entry in db.execute("SELECT * FROM cases")}
    for number, entry in entries.items():
        last = lasts.get(number)
        if last is None or entry["last_seq"] != last["seq"]:
            return min(entry["last_seq"], count + 1), "the table of cases names another event"
        first = firsts[number]
        if (entry["version"], entry["last_hash"], entry["state"], entry["callback_due"]) != (
            last["version"],
            last["hash"],
            last["state"],
            last["callback_due"],
        ):
            return last["seq"], "its entry in the table of cases does not copy it"
        if (entry["first_seq"], entry["opened_at"], entry["customer_id"]) != (
            first["seq"],
            first["at"],
            first["customer_id"],
        ):
            return first["seq"], "its entry in the table of cases does not copy its opening"
    for number, last in lasts.items():
        if number not in entries:
            return last["seq"], "its case has no entry in the table of cases"
    heads = {(head["scope"], head["key"]): head for head in db.execute("SELECT * FROM ledger_heads")}
    for place, grant in latest_grant.items():
        head = heads.get(place)
        if head is None or (head["seq"], head["hash"]) != (grant["seq"], grant["hash"]):
            return grant["seq"], f"the ledger's head of that {place[0]} does not name it"
    for (scope, key), head in heads.items():
        named = rows.get(head["seq"])
        if scope not in _HEAD_SCOPES or named is None or named["hash"] != head["hash"] or named["grant_amount"] is None:
            return min(head["seq"], count + 1), "a ledger head names it but it is not that grant"
        if scope != "grant" and (scope, key) not in latest_grant:
            return head["seq"], "a ledger head of a guest or incident without grants"
        if scope == "grant" and key != str(head["seq"]):
            return head["seq"], "a grant's own head names another grant"
    if "data_keys" in _tables(db):
        owners = dict(db.execute("SELECT key_id, customer_id FROM data_keys").fetchall())
        for key_id, users in key_users.items():
            if key_id in owners and users != {owners[key_id]}:
                return 1, "a data key is recorded as another customer's than the events it seals"
    return None


def _seals_look_like_hmacs(db: sqlite3.Connection) -> bool:
    """What the docs let an auditor holding the ledger key check of the seals: only that each is 64 hex digits.

    They say a seal is "an HMAC-SHA256, with the key, of all of these together with the grant's position and
    hash", and the key check "an HMAC of a fixed text", but not which bytes, in which order: an auditor with
    the key cannot recompute either (audit 149's report proposes the sentences).
    """
    return all(len(seal) == 64 for (seal,) in db.execute("SELECT seal FROM ledger_heads WHERE seal IS NOT NULL"))


# ---------------------------------------------------------------------------------------------------------
# Journals built through the public API.


def _complaint(customer: str, name: str, at: dt.datetime, amount: str = "250.00") -> Complaint:
    return Complaint(
        customer=Customer(id=customer, tier="gold", name=name),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, "USD"), description="Tonight's room"),
        received_at=at,
        description="Arrived at three; the room was still being cleaned at five.",
    )


def _revised(policy: Policy) -> Policy:
    data = policy.model_dump(mode="json")
    data["catalog"][0]["description"] += " Today."
    return Policy.model_validate(data)


def _build(path: Path, *, encrypt: bool = False, ledger_key: bytes | None = None) -> None:
    """Two customers (one with a follow-up), every step of a case, a second revision, a bulk import."""
    policy = presets.ritz_carlton()
    with SQLiteJournal(path, encrypt_personal_data=encrypt, ledger_key=ledger_key) as journal:
        for index, (customer, name) in enumerate(
            (("10442", "Ms. Okafor"), ("10443", "Mr. Ünal 漢字"), ("10442", "Ms. Okafor"))
        ):
            at = AT + dt.timedelta(hours=index)
            case = Case.open(journal, policy, _complaint(customer, name, at), by="staff", now=at, employee="E-0042")
            case.listen(notes="Two hours in the lobby. ☕", now=at + dt.timedelta(minutes=1), employee="E-0042")
            case = Case.load(journal, _revised(policy) if index == 1 else policy, case.number)
            case.apologize(now=at + dt.timedelta(minutes=2), employee="E-0042")
            case.ask_preferred_solution(now=at + dt.timedelta(minutes=3), employee="E-0042")
            case.decide(now=at + dt.timedelta(minutes=4), employee="E-0042")
        later = AT + dt.timedelta(hours=5)
        journal.append_many(
            BulkEntry(
                ComplaintNumber.parse(f"20261123-{guest}"),
                Draft(kind="granted", state="granted", actor="staff", at=later, grant=Money("25.00", "USD")),
                key=f"import-{guest}",
            )
            for guest in (20001, 20002, 10443)
        )


@pytest.fixture(scope="module")
def journals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("auditor")
    built = {
        "plain": folder / "plain.sqlite3",
        "encrypted": folder / "encrypted.sqlite3",
        "sealed": folder / "sealed.sqlite3",
    }
    _build(built["plain"])
    _build(built["encrypted"], encrypt=True)
    _build(built["sealed"], ledger_key=secrets.token_bytes(32))
    erased = folder / "erased.sqlite3"
    shutil.copy(built["encrypted"], erased)
    with SQLiteJournal(erased) as journal:
        journal.erase_customer("10442", employee="E-0042")
    built["erased"] = erased
    return built


def _copy(source: Path, folder: Path) -> Path:
    target = folder / source.name
    shutil.copy(source, target)
    return target


def _library(path: Path, expected_head: ChainHead | None = None) -> int | None:
    with SQLiteJournal(path, read_only=True) as journal:
        checked = journal.verify(expected_head=expected_head)
    return None if checked.ok else checked.first_bad


def _command(capsys: pytest.CaptureFixture[str], path: Path, *head: str) -> int | None:
    result = run(capsys, "verify", str(path), "--json", *head)
    assert result.code in {0, 1}, result.err
    answer = json.loads(result.out)
    assert (result.code == 0) == answer["ok"]
    first_bad: int | None = answer["first_bad"]
    return first_bad


def _sql(path: Path, *statements: str) -> None:
    db = sqlite3.connect(path)
    try:
        for statement in statements:
            db.execute(statement)
        db.commit()
    finally:
        db.close()


# ---------------------------------------------------------------------------------------------------------
# Intact journals: the auditor, verify() and the command line all accept them.


@pytest.mark.parametrize("kind", ["plain", "encrypted", "sealed", "erased"])
def test_the_auditors_verifier_accepts_every_intact_journal_the_library_accepts(
    journals: dict[str, Path], kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = journals[kind]
    assert _audit(path) is None
    assert _library(path) is None
    assert _command(capsys, path) is None


def test_the_auditors_verifier_accepts_the_journals_of_every_earlier_format(tmp_path: Path) -> None:
    data = Path(__file__).parent / "data"
    for name in ("journal-0.1.0.sqlite3", "journal-format-2.sqlite3", "journal-schema-3.sqlite3"):
        path = _copy(data / name, tmp_path)
        with SQLiteJournal(path) as journal:  # brought up to date, its events untouched
            assert journal.verify().ok
        assert _audit(path) is None, name


def test_an_erasure_changes_no_byte_the_auditor_hashes(journals: dict[str, Path]) -> None:
    def hashed(path: Path) -> list[tuple[Any, ...]]:
        db = sqlite3.connect(path)
        try:
            return db.execute("SELECT seq, data, hash FROM events ORDER BY seq").fetchall()
        finally:
            db.close()

    assert hashed(journals["erased"]) == hashed(journals["encrypted"])
    with SQLiteJournal(journals["erased"], read_only=True) as journal:
        assert journal.events(ComplaintNumber.parse("20261123-10442"))[1].data["notes"] == ERASED


def test_an_intact_sealed_ledgers_seals_are_hmac_sha256_sized(journals: dict[str, Path]) -> None:
    db = sqlite3.connect(journals["sealed"])
    try:
        assert _seals_look_like_hmacs(db)
        assert (
            db.execute("SELECT count(*) FROM ledger_heads WHERE scope = 'grant' AND seal IS NOT NULL").fetchone()[0] > 0
        )
    finally:
        db.close()


# ---------------------------------------------------------------------------------------------------------
# Tampering: the auditor, verify() and the command line all refuse it, at the same event.

_SWAP_ROWS = (
    "UPDATE events SET seq = -3 WHERE seq = 3",
    "UPDATE events SET seq = 3 WHERE seq = 4",
    "UPDATE events SET seq = 4 WHERE seq = -3",
)
_REPLAY = (
    "INSERT INTO events (seq, format, number, customer_id, version, kind, state, actor, at, key, request, data,"
    " grant_amount, grant_currency, callback_due, prev, hash, ledger, ledger_at, incident, employee, policy_revision)"
    " SELECT (SELECT max(seq) + 1 FROM events), format, number, customer_id,"
    " (SELECT version + 1 FROM cases WHERE cases.number = events.number), kind, state, actor, at, key || '-again',"
    " request, data, grant_amount, grant_currency, callback_due, (SELECT hash FROM events ORDER BY seq DESC LIMIT 1),"
    " hash, ledger, ledger_at, incident, employee, policy_revision FROM events WHERE seq = 5"
)
_SWAP_CUSTOMERS = (  # the two customers' listened events exchange their content, each keeping its place
    "CREATE TEMP TABLE two AS SELECT * FROM events WHERE seq IN (2, 7)",
    "DELETE FROM events WHERE seq IN (2, 7)",
    "INSERT INTO events SELECT CASE seq WHEN 2 THEN 7 ELSE 2 END, format, number, customer_id, version, kind, state,"
    " actor, at, key, request, data, grant_amount, grant_currency, callback_due, prev, hash, ledger, ledger_at,"
    " incident, employee, policy_revision FROM two",
)

TAMPERINGS: dict[str, tuple[str, ...]] = {
    "a byte of an event's data": ("UPDATE events SET data = replace(data, '\"notes\"', '\"notez\"') WHERE seq = 2",),
    "an event's hash": (  # its first digit changed, whatever it was (the hashes of an encrypting journal vary)
        "UPDATE events SET hash = (CASE WHEN substr(hash, 1, 1) = '1' THEN '2' ELSE '1' END) || substr(hash, 2) "
        "WHERE seq = 3",
    ),
    "two rows reordered": _SWAP_ROWS,
    "the last row deleted": ("DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)",),
    "a middle row deleted": ("DELETE FROM events WHERE seq = 4",),
    "a case's state in the table of cases": ("UPDATE cases SET state = 'closed' WHERE number = '20261123-10442'",),
    "a case's callback in the table of cases": (
        "UPDATE cases SET callback_due = '2026-11-24T15:00:00.000000Z' WHERE number = '20261123-10442'",
    ),
    "a case's customer in the table of cases": (
        "UPDATE cases SET customer_id = '10443' WHERE number = '20261123-10442'",
    ),
    "a case's entry deleted": ("DELETE FROM cases WHERE number = '20261123-10442'",),
    "two customers' events swapped": _SWAP_CUSTOMERS,
    "two customers' index columns swapped": (
        "UPDATE events SET customer_id = CASE customer_id WHEN '10442' THEN '10443' ELSE '10442' END"
        " WHERE customer_id IN ('10442', '10443')",
    ),
    "an old row replayed at the end": (_REPLAY,),
    "a guest's ledger head deleted": ("DELETE FROM ledger_heads WHERE scope = 'guest' AND key = '10442'",),
    "a grant's amount": ("UPDATE events SET grant_amount = '25.00' WHERE seq = 5",),
    "a step's employee": ("UPDATE events SET employee = 'E-0001' WHERE seq = 1",),
    "an event's policy revision": (
        "UPDATE events SET policy_revision = '0' || substr(policy_revision, 2) WHERE seq = 9",
    ),
    "the ledger respelt": ("UPDATE events SET ledger = replace(ledger, '{\"at\":', '{ \"at\": ') WHERE seq = 5",),
    "the setting legacy_until moved": ("UPDATE journal_settings SET value = 3 WHERE name = 'legacy_until'",),
}


@pytest.mark.parametrize("kind", ["plain", "encrypted", "erased"])
@pytest.mark.parametrize("tampering", list(TAMPERINGS))
def test_every_tampering_is_refused_by_the_auditor_verify_and_the_command_at_the_same_event(
    journals: dict[str, Path], kind: str, tampering: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _copy(journals[kind], tmp_path)
    _sql(path, *TAMPERINGS[tampering])
    found = _audit(path)
    assert found is not None
    assert _library(path) == found[0]
    assert _command(capsys, path) == found[0]


def _rehash_from(path: Path, seq: int, change: Callable[[dict[str, Any]], None]) -> None:
    """A forger without a secret: change an event, give it and every later one new hashes, and the tables to match."""
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        prev = db.execute("SELECT hash FROM events WHERE seq = ?", (seq - 1,)).fetchone()["hash"]
        for row in db.execute("SELECT * FROM events WHERE seq >= ? ORDER BY seq", (seq,)).fetchall():
            record = dict(row)
            if row["seq"] == seq:
                change(record)
            record["prev"] = prev
            fake = sqlite3.connect(":memory:")
            fake.row_factory = sqlite3.Row
            columns = ", ".join(f"? AS {name}" for name in record)
            new = _event_hash(fake.execute(f"SELECT {columns}", tuple(record.values())).fetchone())
            fake.close()
            db.execute(
                "UPDATE events SET data = ?, prev = ?, hash = ? WHERE seq = ?", (record["data"], prev, new, row["seq"])
            )
            db.execute("UPDATE cases SET last_hash = ? WHERE last_seq = ?", (new, row["seq"]))
            db.execute("UPDATE ledger_heads SET hash = ? WHERE seq = ?", (new, row["seq"]))
            prev = new
        db.commit()
    finally:
        db.close()


def test_a_tail_rewritten_with_new_hashes_passes_both_checks_and_fails_both_against_a_saved_head(
    journals: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _copy(journals["plain"], tmp_path)
    with SQLiteJournal(path, read_only=True) as journal:
        saved = journal.head()

    def reword(record: dict[str, Any]) -> None:
        record["data"] = record["data"].replace("Two hours", "Ten minutes")

    _rehash_from(path, 2, reword)
    assert _audit(path) is None  # the docs' own limit: a hash needs no secret
    assert _library(path) is None
    assert _audit(path, (saved.count, saved.hash)) == (saved.count, "it is not the saved head")
    assert _library(path, saved) == saved.count
    assert _command(capsys, path, "--expected-head", f"{saved.count}:{saved.hash}") == saved.count


# ---------------------------------------------------------------------------------------------------------
# Found by the auditor: the table of data keys is outside the chain, and nothing checks whose key is whose.


def _swap_key_owners(path: Path) -> None:
    _sql(
        path,
        "UPDATE data_keys SET customer_id = 'swap' WHERE customer_id = '10442'",
        "UPDATE data_keys SET customer_id = '10442' WHERE customer_id = '10443'",
        "UPDATE data_keys SET customer_id = '10443' WHERE customer_id = 'swap'",
    )


def test_the_auditor_finds_two_customers_data_keys_swapped(journals: dict[str, Path], tmp_path: Path) -> None:
    path = _copy(journals["encrypted"], tmp_path)
    _swap_key_owners(path)
    assert _audit(path) == (1, "a data key is recorded as another customer's than the events it seals")


def test_erasing_a_customer_whose_key_was_swapped_with_anothers_never_leaves_their_words_readable(
    journals: dict[str, Path], tmp_path: Path
) -> None:
    path = _copy(journals["encrypted"], tmp_path)
    _swap_key_owners(path)
    first = ComplaintNumber.parse("20261123-10442")
    other = ComplaintNumber.parse("20261123-10443")
    with SQLiteJournal(path) as journal:
        try:
            journal.erase_customer("10442", employee="E-0042")
        except JournalError:
            refused = True
        else:
            refused = False
        if not refused:  # erased: then what the docs promise, this customer's words and only theirs
            assert journal.events(first)[1].data["notes"] == ERASED
            assert journal.events(other)[1].data["notes"] != ERASED
        else:  # refused: nothing erased
            assert journal.erasure("10442") is None
