"""Crashes: a writer killed with SIGKILL at random moments, and a PostgreSQL server stopped dead.

A writer process (``_writer.py``) appends as fast as it can and prints each
event's position and hash once ``append`` has returned: its acknowledgement.
The test kills it with SIGKILL after a random number of acknowledgements, so
the kill lands wherever the writer then is (building an event, inside the
transaction, committing, printing), 30 times over one journal (10 at CI size),
a new writer each time. After each kill: every acknowledged event is stored with the hash it
was acknowledged with (acknowledged events lost = 0), and the whole journal
verifies (chain breaks = 0).

PostgreSQL also gets its server stopped with ``pg_ctl stop -m immediate`` (no
checkpoint, no goodbye to clients: a crash, recovered from the WAL at the next
start) while a writer is appending, on a cluster of the test's own; a journal
handle kept open across the crashes reconnects by itself.

Teeth: a writer that acknowledges each event before its transaction commits
loses the one it was killed holding, and the check sees it.
"""

from __future__ import annotations

import functools
import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import _postgres

from ._journals import Place, size

ROOT = Path(__file__).resolve().parents[2]
KILLS = size(10, 30)
SERVER_CRASHES = size(3, 10)
MOST_ACKS = 40  # a kill comes after 1 to this many acknowledgements
SEED = int(os.environ.get("RECOVERY_RULES_SEED", "20261123"))

BROKEN = """
import sys
from contextlib import contextmanager

from tests.reliability._journals import Place, Wrapped
from tests.reliability import _writer


class AcksBeforeCommitting(Wrapped):
    # BROKEN ON PURPOSE: acknowledges each event inside its transaction, before the commit, and the
    # tenth time waits there (holding the uncommitted event) until it is killed.
    @contextmanager
    def _write(self):
        with self.inner._write() as store:
            yield store
            seq, hash_ = store.head()
            print(seq, hash_, flush=True)
            if seq == 10:
                sys.stdin.readline()


backend, address, schema, run = sys.argv[1:5]
journal = AcksBeforeCommitting(Place(backend, address, schema).open())
_writer.main(journal, run, acknowledge=False)  # the broken journal acknowledges instead
"""

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL exists only on POSIX systems")


def start_writer(place: Place, run: str, *, broken: bool = False) -> subprocess.Popen[str]:
    program = ["-c", BROKEN] if broken else ["-m", "tests.reliability._writer"]
    return subprocess.Popen(
        [sys.executable, *program, place.backend, place.address, place.schema, run],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def acknowledged_until(writer: subprocess.Popen[str], acks: int, stop: Callable[[], object]) -> dict[int, str]:
    """The writer's acknowledgements: after ``acks`` of them, ``stop`` (a kill); then what it printed before dying.

    Everything is read through ``writer.stdout`` itself, to the end: ``communicate()`` would read the
    pipe underneath it and miss what the line iterator had already buffered, starting mid-line.
    A last line without its newline was cut by the kill: it is not an acknowledgement.
    """
    assert writer.stdout is not None
    assert writer.stderr is not None
    acknowledged: dict[int, str] = {}
    watchdog = threading.Timer(120, writer.kill)  # a writer that outlives its stop by two minutes is killed
    try:
        for line in writer.stdout:  # acknowledgements printed before the stop landed count too
            if line.endswith("\n"):
                seq, hash_ = line.split()
                acknowledged[int(seq)] = hash_
            if len(acknowledged) >= acks and not watchdog.is_alive():
                stop()
                watchdog.start()
        errors = writer.stderr.read()
        writer.wait(timeout=120)
    finally:
        watchdog.cancel()
        if writer.poll() is None:
            writer.kill()
            writer.wait()
        for stream in (writer.stdin, writer.stdout, writer.stderr):
            if stream is not None:
                stream.close()
    assert len(acknowledged) >= acks, errors
    return acknowledged


def check(place: Place, acknowledged: dict[int, str]) -> tuple[list[int], bool, int]:
    """The acknowledged events not stored as acknowledged; whether the journal verifies; how many it holds."""
    with place.open() as journal:
        stored = {event.seq: event.hash for event in journal.iter_events()}
        verified = journal.verify().ok
    missing = sorted(seq for seq, hash_ in acknowledged.items() if stored.get(seq) != hash_)
    return missing, verified, len(stored)


def test_writers_killed_at_random_moments_lose_nothing_acknowledged(
    place: Place, figure: Callable[[str], None]
) -> None:
    chance = random.Random(SEED)  # noqa: S311 - a reproducible schedule of kills, not a secret
    acknowledged: dict[int, str] = {}
    lost: set[int] = set()
    breaks = 0
    stored = 0
    for run in range(KILLS):
        writer = start_writer(place, f"run{run}")
        acknowledged.update(
            acknowledged_until(
                writer, chance.randint(1, MOST_ACKS), functools.partial(os.kill, writer.pid, signal.SIGKILL)
            )
        )
        assert writer.returncode == -signal.SIGKILL
        missing, verified, stored = check(place, acknowledged)
        lost.update(missing)
        breaks += not verified
    figure(
        f"{place}: {KILLS} writers killed with SIGKILL at random moments (seed {SEED}): "
        f"{len(acknowledged)} events acknowledged, {stored} stored "
        f"({stored - len(acknowledged)} committed but killed before acknowledging), "
        f"acknowledged events lost = {len(lost)}, chain breaks = {breaks}"
    )
    assert not lost
    assert breaks == 0


def test_the_check_catches_a_writer_that_acknowledges_before_committing(place: Place) -> None:
    """Teeth: the same check against a writer that acknowledges each event before it commits."""
    writer = start_writer(place, "broken", broken=True)
    acknowledged = acknowledged_until(writer, 10, lambda: os.kill(writer.pid, signal.SIGKILL))
    missing, verified, stored = check(place, acknowledged)
    assert missing == [10]
    assert stored == 9
    assert verified  # what was committed is intact: only the acknowledgement lied


FLUSHES_LATER = """
import sys

from recovery_rules import PostgresJournal
from tests.reliability import _writer


class FlushesLater(PostgresJournal):
    # BROKEN ON PURPOSE: commits without waiting for the write-ahead log to reach the disk, which the
    # journal itself never does (it raises synchronous_commit to on).
    def _open(self):
        connection = super()._open()
        connection.execute("SET synchronous_commit = off")
        return connection


backend, address, schema, run = sys.argv[1:5]
_writer.main(FlushesLater(address, schema=schema), run)
"""


def crash_server(writer_program: list[str], crashes: int, *, slow_wal: bool = False) -> tuple[int, set[int], int]:
    """Stop a cluster of our own dead while a writer appends, ``crashes`` times; acknowledged, lost, chain breaks."""
    pytest.importorskip("psycopg", reason="the postgres extra is not installed (the dev extra includes it)")
    try:
        cluster = _postgres.Cluster.create(durable=True)  # fsync: as in production
    except _postgres.ClusterError as error:
        _postgres.unavailable(str(error))
    chance = random.Random(SEED)  # noqa: S311 - a reproducible schedule of kills, not a secret
    acknowledged: dict[int, str] = {}
    lost: set[int] = set()
    breaks = 0
    try:
        if slow_wal:  # the WAL writer flushes every 10 s, not every 0.2 s: an unflushed commit stays unflushed
            with (cluster.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
                conf.write("wal_writer_delay = 10000\n")
        cluster.start()
        place = Place("postgres", cluster.dsn, "journal")
        survivor = place.open()  # kept open across the crashes: it must find its connections dead and reconnect
        for crash in range(crashes):
            writer = subprocess.Popen(
                [sys.executable, *writer_program, place.backend, place.address, place.schema, f"crash{crash}"],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            acks = chance.randint(1, MOST_ACKS)
            acknowledged.update(acknowledged_until(writer, acks, lambda: cluster.stop("immediate")))
            assert writer.returncode != 0  # the writer found the server gone
            cluster.start()  # recovery replays the write-ahead log
            stored = {event.seq: event.hash for event in survivor.iter_events()}
            lost.update(seq for seq, hash_ in acknowledged.items() if stored.get(seq) != hash_)
            breaks += not survivor.verify().ok
        survivor.close()
    finally:
        cluster.remove()
    return len(acknowledged), lost, breaks


def test_a_postgres_server_stopped_dead_loses_nothing_acknowledged(figure: Callable[[str], None]) -> None:
    """``pg_ctl stop -m immediate`` while a writer appends, on a cluster of the test's own; then a restart."""
    acknowledged, lost, breaks = crash_server(["-m", "tests.reliability._writer"], SERVER_CRASHES)
    figure(
        f"PostgreSQL server stopped with pg_ctl stop -m immediate {SERVER_CRASHES} times while a writer appended: "
        f"{acknowledged} events acknowledged, acknowledged events lost = {len(lost)}, chain breaks = {breaks}; "
        "a journal handle kept across the crashes reconnected by itself"
    )
    assert not lost
    assert breaks == 0


def test_the_server_crash_check_catches_commits_acknowledged_before_they_are_on_disk(
    figure: Callable[[str], None],
) -> None:
    """Teeth: the same crashes, with a writer whose commits return before the server has flushed them."""
    acknowledged, lost, breaks = crash_server(["-c", FLUSHES_LATER], 3, slow_wal=True)
    figure(
        f"the same with synchronous_commit = off (broken on purpose): {acknowledged} events acknowledged, "
        f"acknowledged events lost = {len(lost)}, chain breaks = {breaks}"
    )
    assert lost
    assert (
        breaks == 0
    )  # what survived is a shorter chain, still whole: the loss shows only against the acknowledgements
