"""A PostgreSQL server for the tests: the one ``RECOVERY_RULES_TEST_DSN`` names, or a throwaway cluster.

The throwaway cluster is made the way CI makes it: ``initdb`` into a temporary
folder, ``pg_ctl start`` with no TCP listener at all (only a unix socket in that
folder), trust authentication, so nothing outside this machine's processes can
reach it. Root may not run PostgreSQL, so as root the server runs as the
``postgres`` user (Debian's package creates it) or else ``nobody``.

One cluster serves the whole test session: the first test that needs it starts
it (with ``pytest -n``, the first worker; the others find it through a file in
the session's shared folder, see ``conftest.py``), and the session's end stops
it. Each test works in a schema of its own.

Without a server the tests that need one are skipped, saying how to get one;
with ``CI`` or ``RECOVERY_RULES_REQUIRE_POSTGRES=1`` set, they fail instead.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

DSN_VARIABLE = "RECOVERY_RULES_TEST_DSN"
SHARE_VARIABLE = "RECOVERY_RULES_TEST_SHARE"
"""The session's shared folder (set by ``conftest.py`` before workers start): where the cluster is recorded."""
PORT = 5432  # only names the socket file: the cluster listens on no TCP port
HOW = (
    "install PostgreSQL 15 or later (make postgres, or apt-get install postgresql: initdb and pg_ctl are then "
    "found under /usr/lib/postgresql/*/bin) so the tests start a throwaway server, or set "
    f"{DSN_VARIABLE}=postgresql://user@host/db to use a running one"
)


def required() -> bool:
    """Whether a missing server fails the tests (in CI, or when asked) rather than skipping them."""
    return bool(os.environ.get("CI")) or os.environ.get("RECOVERY_RULES_REQUIRE_POSTGRES") == "1"


def unavailable(reason: str) -> NoReturn:
    """Skip the test, saying how to get a server; in CI, fail it."""
    if required():
        pytest.fail(f"no PostgreSQL server for the tests: {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL server: {reason}; {HOW}")


class ClusterError(Exception):
    """A throwaway cluster could not be made or started."""


def binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: on the PATH, or the newest under /usr/lib/postgresql."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]), reverse=True
    )
    return versions[0].parent if versions else None


def _server_user() -> str | None:
    """Who runs the server: this user, or as root ``postgres`` (else ``nobody``); PostgreSQL refuses root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name).pw_name
    raise ClusterError("running as root, and there is neither a 'postgres' nor a 'nobody' user to run the server")


class Cluster:
    """A PostgreSQL cluster of its own in a temporary folder: data, unix socket and log."""

    def __init__(self, root: Path, bin_dir: Path, user: str | None) -> None:
        self.root = root
        self.bin_dir = bin_dir
        self.user = user

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def dsn(self) -> str:
        return f"host={self.root} port={PORT} user=postgres dbname=postgres"

    @classmethod
    def create(cls, *, durable: bool = False) -> Cluster:
        """initdb a new cluster (not started yet).

        ``durable``: every commit is flushed to disk before it is acknowledged (``fsync``), as in production;
        the crash tests, which stop the server dead, ask for it. The session's shared cluster does not: a
        commit written to the operating system survives its server process being killed, and only a power
        cut, which no test makes, would need the flush (without it, the PostgreSQL-heavy test files, run
        alone, took a third less time).
        """
        bin_dir = binaries()
        if bin_dir is None:
            raise ClusterError("initdb and pg_ctl are not installed")
        user = _server_user()
        root = Path(tempfile.mkdtemp(prefix="rr-pg-"))  # short: a unix socket path has at most 107 bytes
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        cluster = cls(root, bin_dir, user)
        try:
            cluster._run(
                "initdb",
                "--pgdata",
                str(cluster.data),
                "--username=postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",  # a throwaway cluster: its creation need not survive a power cut
                "--no-instructions",
            )
            settings = {
                "listen_addresses": "''",  # no TCP at all: only the unix socket in our own folder
                "unix_socket_directories": f"'{root}'",
                "port": str(PORT),
                "max_connections": "200",
                "fsync": "on" if durable else "off",
                "synchronous_commit": "on",  # a commit is acknowledged once in the WAL, never before
            }
            with (cluster.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
                conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        except BaseException:
            cluster.remove()
            raise
        return cluster

    def _run(self, program: str, *arguments: str) -> None:
        command = [str(self.bin_dir / program), *arguments]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise ClusterError(f"{program} failed: {(result.stderr or result.stdout).strip()[-2000:]}")

    def start(self) -> None:
        self._run("pg_ctl", "--pgdata", str(self.data), "--log", str(self.root / "log"), "--wait", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; ``immediate`` is a crash: no checkpoint, the next start replays the WAL."""
        self._run("pg_ctl", "--pgdata", str(self.data), "--mode", mode, "--wait", "stop")

    def remove(self) -> None:
        with contextlib.suppress(ClusterError):
            if (self.data / "postmaster.pid").exists():
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def record(self) -> dict[str, str]:
        return {"root": str(self.root), "bin_dir": str(self.bin_dir), "user": self.user or ""}

    @classmethod
    def from_record(cls, record: dict[str, str]) -> Cluster:
        return cls(Path(record["root"]), Path(record["bin_dir"]), record["user"] or None)


@contextlib.contextmanager
def _locked(share: Path) -> Iterator[None]:
    with (share / "postgres.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def dsn() -> str:
    """The address of the session's server: started on first use; skips (fails in CI) when there is none."""
    try:
        import psycopg  # noqa: F401, PLC0415 - only to say clearly when the extra is missing
    except ImportError:
        unavailable("psycopg is not installed (pip install -e '.[postgres]', which the dev extra includes)")
    given = os.environ.get(DSN_VARIABLE)
    if given:
        return given
    share_name = os.environ.get(SHARE_VARIABLE)
    if not share_name:
        unavailable(f"{SHARE_VARIABLE} is not set: run the tests with pytest from the repository")
    share = Path(share_name)
    state = share / "postgres.json"
    with _locked(share):
        if not state.exists():
            try:
                cluster = Cluster.create()
                try:
                    cluster.start()
                except BaseException:
                    cluster.remove()
                    raise
                record: dict[str, str] = {**cluster.record(), "dsn": cluster.dsn}
            except ClusterError as error:
                record = {"error": str(error)}
            state.write_text(json.dumps(record), encoding="utf-8")
        recorded = json.loads(state.read_text(encoding="utf-8"))
    if "error" in recorded:
        unavailable(recorded["error"])
    return str(recorded["dsn"])


def start_session() -> Path:
    """The session's shared folder, made before any worker starts (``pytest_configure``)."""
    share = Path(tempfile.mkdtemp(prefix="recovery-rules-tests-"))
    os.environ[SHARE_VARIABLE] = str(share)
    return share


def end_session(share: Path) -> None:
    """Stop and remove the session's cluster, if one was started (``pytest_unconfigure``)."""
    state = share / "postgres.json"
    if state.exists():
        recorded = json.loads(state.read_text(encoding="utf-8"))
        if "root" in recorded:
            Cluster.from_record(recorded).remove()
    shutil.rmtree(share, ignore_errors=True)
    os.environ.pop(SHARE_VARIABLE, None)


def new_schema() -> str:
    """A schema name no other test uses."""
    return f"t_{uuid.uuid4().hex[:16]}"


def drop_schema(dsn_: str, schema: str) -> None:
    import psycopg  # noqa: PLC0415 - the tests that need it import this module without it too

    with psycopg.connect(dsn_, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def new_database(dsn_: str) -> str:
    """A new, empty database on the server of ``dsn_``; its address (the user needs CREATEDB)."""
    import psycopg  # noqa: PLC0415 - as above

    name = f"db_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(dsn_, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return psycopg.conninfo.make_conninfo(dsn_, dbname=name)


def drop_database(dsn_: str) -> None:
    """Drop the database ``dsn_`` names, whoever is still connected to it."""
    import psycopg  # noqa: PLC0415 - as above

    name = psycopg.conninfo.conninfo_to_dict(dsn_)["dbname"]
    with psycopg.connect(psycopg.conninfo.make_conninfo(dsn_, dbname="postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def url(dsn_: str) -> str:
    """The libpq keyword form of a test server's address (``dsn_``) as a ``postgresql://`` URL, as a user types it
    (``serve --journal``, the command line's journal addresses)."""
    import psycopg  # noqa: PLC0415 - as above

    parts = psycopg.conninfo.conninfo_to_dict(dsn_)
    query = urllib.parse.urlencode({"host": parts["host"], "port": parts.get("port", "5432")})
    return f"postgresql://{parts.get('user', '')}@/{parts['dbname']}?{query}"
