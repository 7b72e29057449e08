"""Crash safety: a writer killed with SIGKILL mid-stream loses nothing it acknowledged, and the chain holds.

A child process appends events to an SQLite journal as fast as it can and
prints each event's position and hash once ``append`` has returned. The test
kills it with SIGKILL (no clean-up, no flush, mid-transaction or not), then
checks that every acknowledged event is in the file with the hash it was
acknowledged with, and that the whole journal verifies. A second writer then
carries on in the same file and is killed too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from recovery_rules import SQLiteJournal

WRITER = textwrap.dedent(
    """
    import datetime as dt
    import sys
    from contextlib import contextmanager

    from recovery_rules import ComplaintNumber, Draft, Money, SQLiteJournal


    class AcksBeforeCommitting(SQLiteJournal):
        # BROKEN ON PURPOSE: acknowledges each event before its transaction commits, and the
        # tenth time waits there (holding the uncommitted event) until it is killed.
        @contextmanager
        def _writing(self):
            with super()._writing() as store:
                yield store
                seq, hash_ = store.head()
                print(seq, hash_, flush=True)
                if seq == 10:
                    sys.stdin.readline()

    broken = sys.argv[2] == "broken"
    journal = (AcksBeforeCommitting if broken else SQLiteJournal)(sys.argv[1])
    cases = [ComplaintNumber.parse(f"20261123-{customer}") for customer in range(5)]
    at = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
    for i in range(100_000):  # bounded: the test kills the writer long before
        number = cases[i % len(cases)]
        version = journal.version(number)
        draft = Draft(
            kind="noted",
            state="noted",
            actor="staff",
            at=at + dt.timedelta(seconds=i),
            data={"i": i, "notes": "x" * (i % 300)},
            grant=Money("1.00", "USD") if i % 7 == 0 else None,
        )
        event = journal.append(number, draft, expected_version=version, key=f"{sys.argv[2]}-{i}", request={"i": i})
        if not broken:
            print(event.seq, event.hash, flush=True)
    """
)

ACKS_BEFORE_KILL = 120


def run_and_kill(path: Path, run: str, acks: int = ACKS_BEFORE_KILL) -> dict[int, str]:
    """Start a writer, kill it with SIGKILL after ``acks`` acknowledgements; every ack it printed."""
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), run],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    acknowledged: dict[int, str] = {}
    try:
        for line in writer.stdout:
            seq, hash_ = line.split()
            acknowledged[int(seq)] = hash_
            if len(acknowledged) >= acks:
                os.kill(writer.pid, signal.SIGKILL)
                break
        rest, errors = writer.communicate(timeout=60)  # acks printed before the kill landed count too
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    assert writer.returncode == -signal.SIGKILL, errors
    for line in rest.splitlines():
        seq, hash_ = line.split()
        acknowledged[int(seq)] = hash_
    return acknowledged


def lost(path: Path, acknowledged: dict[int, str]) -> tuple[list[int], bool, int]:
    """The acknowledged events not stored as acknowledged; whether the journal verifies; how many it holds."""
    with SQLiteJournal(path) as journal:
        stored = {event.seq: event.hash for event in journal.iter_events()}
        result = journal.verify()
    missing = sorted(seq for seq, hash_ in acknowledged.items() if stored.get(seq) != hash_)
    return missing, result.ok, len(stored)


pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL exists only on POSIX systems")


def test_a_writer_killed_mid_stream_loses_nothing_it_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    acknowledged: dict[int, str] = {}
    for run in ("first", "second"):
        acknowledged.update(run_and_kill(path, run))
        missing, verified, stored = lost(path, acknowledged)
        print(
            f"\n{run} writer killed: {len(acknowledged)} events acknowledged, {stored} stored, "
            f"{len(missing)} acknowledged but missing; verify: {verified}"
        )
        assert missing == []
        assert verified
        assert stored >= max(acknowledged)
    assert len(acknowledged) >= 2 * ACKS_BEFORE_KILL


def test_the_check_catches_a_writer_that_acknowledges_before_committing(tmp_path: Path) -> None:
    """Teeth: the same check against a writer that acknowledges an event before it is committed."""
    path = tmp_path / "journal.sqlite3"
    acknowledged = run_and_kill(path, "broken", acks=10)
    missing, verified, stored = lost(path, acknowledged)
    assert missing == [10]
    assert stored == 9
    assert verified  # what was committed is intact: only the acknowledgement lied
