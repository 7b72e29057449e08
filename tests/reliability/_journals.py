"""Where the reliability tests keep their journal, and journals that write differently on purpose.

A :class:`Place` names a journal's storage (an SQLite file, or a schema on the
PostgreSQL test server) and can be sent to other processes, which open their
own handles on it. :class:`Wrapped` is a journal that stores through another
one, so a test can change one thing about how appends happen: count the
refused ones (:class:`Counted`), or read the ledger before taking the write
lock (:class:`ReadThenWrite`, broken on purpose).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from recovery_rules import (
    ComplaintNumber,
    Draft,
    Event,
    Journal,
    Ledger,
    PostgresJournal,
    SQLiteJournal,
    StaleCaseError,
)
from recovery_rules._journal import Record, Store
from recovery_rules._journal._store import CaseEnd

FULL = os.environ.get("RECOVERY_RULES_RELIABILITY") == "full"
"""``make reliability``: the sizes the issue asks for; otherwise smaller ones that still race."""

BACKENDS = ("sqlite", "postgres")


def size(small: int, full: int) -> int:
    """``full`` under ``make reliability``, else ``small``."""
    return full if FULL else small


@dataclass(frozen=True)
class Place:
    """Where a journal is stored: an SQLite file, or a schema of the PostgreSQL test server."""

    backend: str
    address: str
    schema: str = ""
    ledger_key: bytes | None = None  # journals opened with it: their ledger sealed

    def open(self, *, timeout: float = 30.0) -> Journal:
        if self.backend == "sqlite":
            return SQLiteJournal(self.address, timeout=timeout, ledger_key=self.ledger_key)
        return PostgresJournal(self.address, schema=self.schema, timeout=timeout, ledger_key=self.ledger_key)

    def __str__(self) -> str:
        return "SQLite" if self.backend == "sqlite" else "PostgreSQL"


class Wrapped(Journal):
    """A journal that stores through ``inner``; subclasses change how it writes."""

    def __init__(self, inner: Journal) -> None:
        self.inner = inner
        self._ledger_secret, self._ledger_sealed = inner._ledger_secret, inner._ledger_sealed  # seals as it would

    def _write(self) -> AbstractContextManager[Store]:
        return self.inner._write()

    def _read(self) -> AbstractContextManager[Store]:
        return self.inner._read()

    def _scan(self, start: int) -> Iterator[tuple[int, Record]]:
        return self.inner._scan(start)

    def _case_records(self, number: str) -> tuple[list[Record], CaseEnd | None]:
        return self.inner._case_records(number)

    def close(self) -> None:
        self.inner.close()


class Counted(Wrapped):
    """Counts the appends refused because another writer was first (``Case`` retries each)."""

    def __init__(self, inner: Journal) -> None:
        super().__init__(inner)
        self.stale = 0

    def append(
        self,
        number: ComplaintNumber,
        build: Draft | Callable[[Ledger], Draft],
        *,
        expected_version: int,
        key: str,
        request: Any,
    ) -> Event:
        try:
            return super().append(number, build, expected_version=expected_version, key=key, request=request)
        except StaleCaseError:
            self.stale += 1
            raise


class ReadThenWrite(Counted):
    """BROKEN ON PURPOSE: reads the ledger in a transaction of its own, then appends in another.

    ``pause`` runs between a decision's check and its append; the hammer makes it
    wait until every thread of the process has checked, the worst interleaving.
    """

    def __init__(self, inner: Journal, pause: Callable[[], object]) -> None:
        super().__init__(inner)
        self.pause = pause

    def append(
        self,
        number: ComplaintNumber,
        build: Draft | Callable[[Ledger], Draft],
        *,
        expected_version: int,
        key: str,
        request: Any,
    ) -> Event:
        if callable(build):
            build = build(self)  # the journal answers granted() itself, in a read transaction of its own
            if build.kind == "decided":
                self.pause()
        return super().append(number, build, expected_version=expected_version, key=key, request=request)
