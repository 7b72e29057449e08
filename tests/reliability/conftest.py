"""``place``: a fresh journal storage for each test, on each backend the suite covers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import _postgres

from ._journals import BACKENDS, Place


@pytest.fixture(params=BACKENDS)
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Place]:
    if request.param == "sqlite":
        yield Place("sqlite", str(tmp_path / "journal.sqlite3"))
        return
    yield request.getfixturevalue("postgres_place")


@pytest.fixture
def postgres_place() -> Iterator[Place]:
    """A fresh schema on the PostgreSQL test server, for what only PostgreSQL has."""
    dsn = _postgres.dsn()  # skips (fails in CI) without a server
    schema = _postgres.new_schema()
    yield Place("postgres", dsn, schema)
    _postgres.drop_schema(dsn, schema)
