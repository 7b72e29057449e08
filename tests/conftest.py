"""Shared fixtures, Hypothesis profiles and markers.

``HYPOTHESIS_PROFILE=ci`` (set by ``make test``) runs more examples, derandomized so that
the same commit always gets the same verdict (CI must not be flaky); the default profile (``dev``)
keeps a local run quick and random, so each local run explores new examples; ``quick`` (set by
``make check``) runs a few examples a property, for the edit loop. None uses a deadline: the machine
is shared. A test whose property needs fewer examples than a profile runs says so with
``settings(max_examples=examples(n))`` (``tests/_helpers.py``), which the quick profile still lowers.

Two markers select tests: ``slow`` (written on the test) for what takes seconds whatever the
profile (subprocesses, many threads, documentation builds), and ``postgres``, put here on every
test that uses the PostgreSQL test server. ``make check`` leaves both out.

The PostgreSQL server the tests use is started on first need and stopped when the
session ends (``tests/_postgres.py``); the figures the reliability tests record are
listed at the end of the run, with or without ``-s`` and with ``pytest -n`` too.

A run that changes a file of the repository's ``src``, ``examples``, ``docs`` or
``tests/data`` fails, naming it: tests work on copies (a test once sealed the sample journal).

Temporary files (``tmp_path``, the PostgreSQL cluster, the subprocesses' files) go to memory,
``/dev/shm``, where the machine has one with room, unless ``TMPDIR`` names a folder: each SQLite or
PostgreSQL commit flushes to disk, about 0.6 ms on a virtual disk and nothing in memory, and no test
needs its files to survive a power cut (the SQLite-heavy test files, run alone, took half the time so).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from recovery_rules import Policy, presets

from . import _postgres

settings.register_profile(
    "ci",
    max_examples=400,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "quick",
    max_examples=10,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def ritz() -> Policy:
    return presets.ritz_carlton()


@pytest.fixture(scope="session")
def retail() -> Policy:
    return presets.retail()


@pytest.fixture(scope="session")
def theme_park() -> Policy:
    return presets.theme_park()


# -- the PostgreSQL server ------------------------------------------------------------------

_POSTGRES_FIXTURES = frozenset({"postgres_dsn", "postgres_database", "postgres_place"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``postgres`` the tests that use the test server: by a fixture, or ``postgres`` in their name or id."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & _POSTGRES_FIXTURES or "postgres" in item.nodeid.lower():
            item.add_marker(pytest.mark.postgres)


_SHARE = pytest.StashKey[Path]()
_TREE = pytest.StashKey[dict[str, str]]()
_ROOT = Path(__file__).resolve().parents[1]
_WATCHED = ("src", "examples", "docs", "tests/data")
_SCREENSHOTS = "docs/how-to/console/"
"""Where ``make screenshots`` (``RECOVERY_RULES_SCREENSHOTS`` set) has the console's browser test write its images."""
"""What no test may change: a test works on copies (``tmp_path``) of the repository's files, never on them."""


def _tree() -> dict[str, str]:
    """Every file of the watched folders (caches aside), by path, with the SHA-256 of its bytes."""
    found = {}
    for folder in _WATCHED:
        for path in sorted((_ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                found[str(path.relative_to(_ROOT))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


MEMORY = Path("/dev/shm")  # noqa: S108 - only as TMPDIR: tempfile and pytest make private (0700) folders in it
"""Where temporary files go when it is a writable folder with :data:`MEMORY_ROOM` free (a tmpfs on Linux)."""
MEMORY_ROOM = 2 * 1024**3


def _temporary_files_in_memory() -> None:
    if os.environ.get("TMPDIR"):
        return  # the caller chose
    try:
        stats = os.statvfs(MEMORY)
    except OSError:
        return  # no /dev/shm: not Linux
    if os.access(MEMORY, os.W_OK | os.X_OK) and stats.f_bavail * stats.f_frsize >= MEMORY_ROOM:
        os.environ["TMPDIR"] = str(MEMORY)  # the workers and every subprocess inherit it
        tempfile.tempdir = None  # read again from TMPDIR on next use


def pytest_configure(config: pytest.Config) -> None:
    _temporary_files_in_memory()  # before the session's shared folder and any tmp_path are made
    # The controller (or a run without -n) makes the session's shared folder before any worker starts.
    if not hasattr(config, "workerinput") and _postgres.SHARE_VARIABLE not in os.environ:
        config.stash[_SHARE] = _postgres.start_session()
    if not hasattr(config, "workerinput"):
        config.stash[_TREE] = _tree()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if a test changed, added or removed a file of the repository (the controller checks, once)."""
    before = session.config.stash.get(_TREE, None)
    if before is None:
        return
    after = _tree()
    changed = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
    if os.environ.get("RECOVERY_RULES_SCREENSHOTS"):  # `make screenshots`: the browser test writes them on purpose
        changed = [path for path in changed if not path.startswith(_SCREENSHOTS)]
    if changed:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(
                "the run changed files of the repository (a test must work on a copy): " + ", ".join(changed[:20]),
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    share = config.stash.get(_SHARE, None)
    if share is not None:
        _postgres.end_session(share)


@pytest.fixture
def postgres_dsn() -> str:
    """The address of the test server (skipped, or failed in CI, without one)."""
    return _postgres.dsn()


@pytest.fixture
def postgres_database(postgres_dsn: str) -> Iterator[str]:
    """The address of a new, empty database on the test server, dropped afterwards."""
    database = _postgres.new_database(postgres_dsn)
    yield database
    _postgres.drop_database(database)


# -- figures -----------------------------------------------------------------------------


@pytest.fixture
def figure(record_property: Callable[[str, object], None]) -> Callable[[str], None]:
    """Report a measured figure: printed, kept in the test report, and listed at the end of the run."""

    def report(text: str) -> None:
        print(text)
        record_property("figure", text)

    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The figures the tests reported, after the run (the reports carry them back from -n workers)."""
    lines = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) == "call":
                for name, value in getattr(report, "user_properties", ()):
                    if name == "figure":
                        lines.append((report.nodeid, str(value)))
    if lines:
        terminalreporter.section("figures")
        for nodeid, text in sorted(lines):
            terminalreporter.write_line(f"{nodeid}:")
            for line in text.strip("\n").splitlines():
                terminalreporter.write_line(f"    {line}")
