"""Tampering: every way of changing stored events, at every position, is found at the right event.

A journal of twelve events (four cases, grants among them) is written, its
chain head exported (``count:hash``, what a host saves somewhere the journal's
writers cannot reach), and then someone with access to the database changes
it, one way at one position per fresh journal:

- edit: one field of the event changed (a different field at each position);
- edit and re-hash: the event changed and given the hash of its new content;
- delete: the event removed;
- swap: the event and the next exchanged;
- insert: a forged event put in front of it, correctly chained to the event
  before, the events from there on moved one place;
- truncate: the event and every later one cut off;
- truncate and hide: the same, and the journal's table of cases rewritten so that
  no case names an event cut off (what a tamperer covering the cut does);
- re-encode: the event stored in another spelling of the same content (JSON
  with spaces, escaped Unicode, a time with ``+00:00``, an amount as ``10.0``);
- delete the case's entry: the event's case deleted from the journal's table of
  cases (``DELETE FROM cases WHERE number = ...``); the right event is the case's
  latest;
- edit the case's callback owed: the event's case's entry in the table of cases
  made to owe a callback far in the future (one owed now would leave the
  scheduler's poll); the right event is the case's latest;
- edit the case's opening time, its first position or its customer: the
  event's case's entry in the table of cases said to be opened at another time
  (what a listing of a period selects by), at a position that holds no event,
  or for another customer; the right event is the case's first;
- delete the guest's ledger head: the head of the event's guest deleted from
  the ledger's heads (the ledger then refuses every decision for that guest);
  the right event is the guest's latest grant.

Every position of every way under ``make reliability``; at CI size, edits at every position
and each other way at the first two, the middle and the last two.

``verify(expected_head=...)`` must report each one at the right position: the
event changed, removed or inserted, the first of a swapped pair, the first
event cut off. The figures also say how many ``verify()`` finds without the
saved head: everything but a truncation hidden in the table of cases and the
ledger's heads (and a re-hashed last event).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import ChainHead, ComplaintNumber, Draft, Event, Journal, LedgerEntry, Money, RunningTotal
from recovery_rules._journal import GENESIS
from tests import _postgres
from tests._journal_backends import Harness, PostgresHarness, SQLiteHarness

from ._journals import FULL

T0 = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
EVENTS = 12
CASES = [
    ComplaintNumber.parse(number) for number in ("20261123-10442", "20261123-10442/2", "20261123-77", "20261123-9")
]
EDITS: tuple[tuple[str, object], ...] = (
    ("data", '{"notes":"nothing happened"}'),
    ("actor", "manager"),
    ("at", "2026-11-23T13:59:59.000000Z"),
    ("grant", {"amount": "1.00", "currency": "USD"}),
    ("prev", "f" * 64),
    ("hash", "e" * 64),
    ("number", "20261123-99999"),
    ("version", 7),
    ("key", "another-key"),
    ("kind", "approved"),
    ("request", "0" * 64),
    ("callback_due", "2026-11-24T14:00:00.000000Z"),
)


def fill(harness: Harness) -> ChainHead:
    journal = harness.journal()
    for i in range(EVENTS):
        number = CASES[i % len(CASES)]
        version = journal.version(number)
        draft = Draft(
            kind="noted",
            state="noted",
            actor="staff",
            at=T0 + dt.timedelta(minutes=i),
            data={"notes": f"step {i}: Zoë waited", "i": i},  # non-ASCII, so an escaped spelling differs
            grant=Money("10.00", "USD") if i % 3 == 1 else None,
        )
        journal.append(number, draft, expected_version=version, key=f"k{i}", request={"i": i})
    return journal.head()


def reencoded(record: dict[str, Any], seq: int) -> dict[str, Any]:
    """``record`` with the same content in another spelling."""
    data = json.loads(record["data"]) if isinstance(record["data"], str) else record["data"]
    spellings: list[tuple[str, object]] = [
        ("data", json.dumps(data, sort_keys=True)),  # spaces after ':' and ','
        ("data", json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)),  # \u00eb for ë
        ("at", record["at"].replace(".000000Z", "+00:00")),
    ]
    if record["grant"] is not None:
        spellings.append(("grant", {"amount": "10.0", "currency": "USD"}))
    field, value = spellings[seq % len(spellings)]
    return {**record, field: value}


def forged(harness: Harness, seq: int) -> dict[str, Any]:
    """A well-made forgery: a valid event chained to the one before ``seq``."""
    prev = GENESIS if seq == 1 else harness.record(seq - 1)["hash"]
    grant = Money("2000.00", "USD")
    draft = Draft(kind="approved", state="approved", actor="manager", at=T0, grant=grant)
    number = ComplaintNumber.parse("20261123-forged")
    first = RunningTotal(count=1, total=grant, prev_seq=0, prev_hash=GENESIS)
    ledger = LedgerEntry(at=T0, incident=number, guest=first, incident_total=first)
    return Event.seal(
        draft, seq=seq, number=number, version=1, key=f"forged-{seq}", request="0" * 64, prev=prev, ledger=ledger
    ).record()


@dataclasses.dataclass
class Tally:
    tampered: int = 0
    right: int = 0
    by_chain_alone: int = 0
    wrong: list[str] = dataclasses.field(default_factory=list)


def tamper(harness: Harness, kind: str, seq: int) -> int:
    """Change the stored journal; the position ``verify`` must report."""
    if kind == "edit":
        field, value = EDITS[(seq - 1) % len(EDITS)]
        harness.edit(seq, field, value)
    elif kind == "edit and re-hash":
        harness.edit(seq, "data", '{"notes":"rewritten"}', rehashed=True)
    elif kind == "delete":
        harness.delete(seq)
    elif kind == "swap":
        harness.swap(seq, seq + 1)
    elif kind == "insert":
        harness.insert(seq, forged(harness, seq))
    elif kind in ("truncate", "truncate and hide"):
        for cut in range(EVENTS, seq - 1, -1):
            harness.delete(cut)
        if kind == "truncate and hide":
            harness.hide_cut(seq - 1)
    elif kind == "re-encode":
        harness.put(seq, reencoded(harness.record(seq), seq))
    elif kind in ("delete the case's entry", "edit the case's callback owed"):
        number = harness.record(seq)["number"]
        if kind == "delete the case's entry":
            harness.edit_case(number, None)
        else:
            harness.edit_case(number, "callback_due", "2999-01-01T00:00:00.000000Z")
        return max(at for at in range(seq, EVENTS + 1) if harness.record(at)["number"] == number)
    elif kind in OPENING_EDITS:
        number = harness.record(seq)["number"]
        harness.edit_case(number, *OPENING_EDITS[kind])
        return min(at for at in range(1, seq + 1) if harness.record(at)["number"] == number)
    elif kind == "delete the guest's ledger head":
        guest = ComplaintNumber.parse(harness.record(seq)["number"]).customer_id
        harness.set_head("guest", guest, None)
        return max(
            at
            for at in range(1, EVENTS + 1)
            if harness.record(at)["grant"] is not None
            and ComplaintNumber.parse(harness.record(at)["number"]).customer_id == guest
        )
    return seq


OPENING_EDITS: dict[str, tuple[str, object]] = {
    "edit the case's opening time": ("opened_at", "2025-01-01T00:00:00.000000Z"),
    "edit the case's first position": ("first_seq", EVENTS + 5),
    "edit the case's customer": ("customer_id", "99999"),
}


def positions(last: int) -> Sequence[int]:
    """Every position from 1 to ``last`` in ``make reliability``; at CI size the ends, their neighbours, the middle."""
    return range(1, last + 1) if FULL else sorted({1, 2, (last + 1) // 2, last - 1, last})


KINDS: dict[str, Sequence[int]] = {
    "edit": range(1, EVENTS + 1),  # every position at every size: a different field at each
    "edit and re-hash": positions(EVENTS),
    "delete": positions(EVENTS),
    "swap": positions(EVENTS - 1),
    "insert": positions(EVENTS),
    "truncate": positions(EVENTS),
    "truncate and hide": positions(EVENTS),
    "re-encode": positions(EVENTS),
    "delete the case's entry": positions(EVENTS),
    "edit the case's callback owed": positions(EVENTS),
    **dict.fromkeys(OPENING_EDITS, positions(EVENTS)),
    "delete the guest's ledger head": positions(EVENTS),  # every guest has a grant
}


Verify = Callable[[Journal, ChainHead | None], tuple[bool, int | None]]
"""A way to check a journal (against a saved head, or none): whether it is good, and its first bad position."""


def library_verify(journal: Journal, head: ChainHead | None) -> tuple[bool, int | None]:
    result = journal.verify(expected_head=head)
    return result.ok, result.first_bad


def score(backend: str, folder: Path, verify: Verify, kinds: dict[str, Sequence[int]]) -> dict[str, Tally]:
    """Tamper one way at one position per fresh journal; how often ``verify`` names the right event."""
    tallies: dict[str, Tally] = {}
    for kind, positions in kinds.items():
        tally = tallies[kind] = Tally()
        for seq in positions:
            harness = make(backend, folder / f"{kind}-{seq}".replace(" ", "-"))
            try:
                head = fill(harness)
                assert ChainHead.parse(str(head)) == head  # exported as text, read back
                expected = tamper(harness, kind, seq)
                journal = harness.journal()
                ok, first_bad = verify(journal, head)
                alone_ok, alone_first_bad = verify(journal, None)
            finally:
                harness.close()
            tally.tampered += 1
            if not ok and first_bad == expected:
                tally.right += 1
            else:
                tally.wrong.append(f"{kind} at {seq}: reported {first_bad}")
            tally.by_chain_alone += not alone_ok and alone_first_bad == expected
    return tallies


def test_every_tampering_is_found_at_the_right_event(
    tmp_path: Path, figure: Callable[[str], None], backend: str
) -> None:
    tallies = score(backend, tmp_path, library_verify, KINDS)
    total = sum(tally.tampered for tally in tallies.values())
    right = sum(tally.right for tally in tallies.values())
    name = "SQLite" if backend == "sqlite" else "PostgreSQL"
    lines = [f"{name}: {right}/{total} tamperings found at the right event, with the exported chain head"]
    lines += [
        f"  {kind:30} {tally.right:2}/{tally.tampered} at the right event "
        f"({tally.by_chain_alone}/{tally.tampered} without the saved head)"
        for kind, tally in tallies.items()
    ]
    figure("\n".join(lines))
    assert [wrong for tally in tallies.values() for wrong in tally.wrong] == []
    truncated, hidden = tallies["truncate"], tallies["truncate and hide"]
    assert truncated.by_chain_alone == truncated.tampered  # the table of cases names the last event cut off
    assert hidden.by_chain_alone == 0  # a shorter chain is still a chain: then only the saved head tells
    unlisted = tallies["delete the case's entry"]
    assert unlisted.by_chain_alone == unlisted.tampered  # the case has events, and no entry
    callback = tallies["edit the case's callback owed"]
    assert callback.by_chain_alone == callback.tampered  # the entry no longer copies its latest event
    for kind in OPENING_EDITS:  # the entry no longer copies its first event
        assert tallies[kind].by_chain_alone == tallies[kind].tampered, kind
    heads = tallies["delete the guest's ledger head"]
    assert heads.by_chain_alone == heads.tampered  # the guest's latest grant is named by no head


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        _postgres.dsn()  # skips (fails in CI) without a server
    return str(request.param)


def make(backend: str, folder: Path) -> Harness:
    if backend == "sqlite":
        folder.mkdir()
        return SQLiteHarness(folder)
    return PostgresHarness(folder)


def links_only(journal: Journal, head: ChainHead | None) -> tuple[bool, int | None]:
    """BROKEN ON PURPOSE: checks positions and links, never recomputes a hash, ignores the saved head."""
    previous = GENESIS
    for position, record in journal._scan(1):
        if record["seq"] != position or record["prev"] != previous:
            return False, position
        previous = str(record["hash"])
    return True, None


def test_the_tamper_check_catches_a_verify_that_does_not_recompute_hashes(tmp_path: Path) -> None:
    """Teeth: a check that trusts stored hashes misses edits and truncations, and the tally says so."""
    tallies = score("sqlite", tmp_path, links_only, {"edit": range(1, 4), "truncate": range(10, 13)})
    assert tallies["edit"].right < tallies["edit"].tampered  # an edited actor or time keeps its old hash
    assert tallies["truncate"].right == 0
