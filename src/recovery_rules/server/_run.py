"""Running the service under uvicorn: one process, or several workers sharing one socket.

Each worker builds its app with :func:`~recovery_rules.server.app_from_environment` from the same settings.
With one worker, SIGHUP reloads the policy in the process. With several, uvicorn's supervisor answers SIGHUP
by starting a new worker for each old one and retiring the old one only once the new one is ready: a new
policy that does not load stops the new worker from starting, so the old workers keep serving the old policy.
With several workers, their metrics are written to a folder of their own (``PROMETHEUS_MULTIPROC_DIR``, made
here unless set already, and removed when the service stops), so that a scrape of any worker sees them all.
The console's sessions are signed with one key for all the workers: the ``--session-key-file``'s, or one made
for this run.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import re
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from recovery_rules import InvalidInputError, Policy

from ._auth import Tokens, mint_token, token_entry
from ._observe import MULTIPROCESS_FOLDER
from ._settings import SESSION_KEY, Settings

__all__ = ["WORKER_START_TIMEOUT", "add_token", "demo_tokens", "run"]

WORKER_START_TIMEOUT: Final = 30
"""Seconds a new worker has to start (load the policy, open the journal) before uvicorn gives up on it and, on
SIGHUP, keeps the old worker; uvicorn's own 5 seconds are too few on a busy machine. A worker whose policy
does not load exits at once, so a refusal takes no longer."""


def run(settings: Settings, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve ``settings`` on ``host``:``port`` with ``workers`` processes, until stopped.

    Raises :class:`~recovery_rules.InvalidInputError` when ``PROMETHEUS_MULTIPROC_DIR`` names no folder.
    """
    import uvicorn  # noqa: PLC0415 - only needed to serve

    os.environ.update(settings.to_environment())
    with _metrics_folder(workers), _session_key(settings):
        uvicorn.run(
            "recovery_rules.server:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            timeout_worker_healthcheck=WORKER_START_TIMEOUT,
            proxy_headers=True,
            forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
            log_level="info",
            log_config=_log_config(),
        )


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, its access log on standard error with its other lines: standard output is the decision
    log's (``--decision-log -``, the default), one JSON line per decision and nothing else."""
    from uvicorn.config import LOGGING_CONFIG  # noqa: PLC0415 - only needed to serve

    config = copy.deepcopy(LOGGING_CONFIG)
    config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    config.setdefault("filters", {})["case_numbers"] = {"()": CaseNumbersElided}
    config["handlers"]["access"]["filters"] = ["case_numbers"]
    return config


_CASE_NUMBER: Final = re.compile(r"[0-9]{8}-[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def _elided(path: str) -> str:
    """``path`` with each complaint number written ``{number}`` and each query value ``{value}``: a query holds what
    a client typed (the console's Find field: a customer number, a number mistyped), which no rule can tell apart."""
    path, mark, query = path.partition("?")
    values = "&".join(
        name + "={value}" if sep else "{value}" for name, sep, _ in (p.partition("=") for p in query.split("&"))
    )
    return _CASE_NUMBER.sub("{number}", path) + mark + (values if query else "")


class CaseNumbersElided(logging.Filter):
    """Writes each complaint number in an access log line's path as ``{number}``: it holds the customer number,
    which no log line carries (uvicorn's access record's arguments: client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (*args[:2], _elided(args[2]), *args[3:])
        return True


@contextlib.contextmanager
def _session_key(settings: Settings) -> Iterator[None]:
    """Without a session key file, a new key for this run, handed to the workers in the environment (like every
    other setting, and seen only by this user's processes): every worker signs and checks the console's
    sessions alike, a reload's new workers too, and the sessions end when the service stops."""
    if settings.session_key_file:
        yield
        return
    os.environ[SESSION_KEY] = secrets.token_hex(32)
    try:
        yield
    finally:
        os.environ.pop(SESSION_KEY, None)


@contextlib.contextmanager
def _metrics_folder(workers: int) -> Iterator[None]:
    """For several workers, a new private folder for their metrics, named in ``PROMETHEUS_MULTIPROC_DIR`` for
    the workers to inherit (each imports prometheus_client afresh), and removed afterwards. One already named
    there is used as it is: whoever set it empties it between runs, as prometheus_client asks."""
    chosen = os.environ.get(MULTIPROCESS_FOLDER)
    if chosen and not os.path.isdir(chosen):
        raise InvalidInputError.at(
            MULTIPROCESS_FOLDER, "", f"names {chosen!r}, which is not a folder: make it (empty), or unset it"
        )
    if workers <= 1 or chosen:
        yield
        return
    folder = tempfile.mkdtemp(prefix="recovery-rules-metrics-")  # readable by this user alone
    os.environ[MULTIPROCESS_FOLDER] = folder
    try:
        yield
    finally:
        os.environ.pop(MULTIPROCESS_FOLDER, None)
        shutil.rmtree(folder, ignore_errors=True)


def demo_tokens(path: Path, policy: Policy) -> list[tuple[str, str, str]]:
    """Write a new token file at ``path`` with one token for each level of ``policy``; return the tokens.

    For trying the service out: the file holds only the hashes, and is readable by its owner alone. Each
    entry's employee is ``demo-<level>``. Returns ``(employee, level, token)`` for each.
    """
    made = []
    entries = []
    for level in policy.levels:
        token, digest = mint_token()
        employee = f"demo-{level.name}-{secrets.token_hex(2)}"
        made.append((employee, level.name, token))
        entries.append(token_entry(digest, employee, level.name))
    text = "# Bearer tokens of the decision service: SHA-256 hashes only (recovery-rules serve).\n\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    try:
        _write_whole(descriptor, (text + "\n".join(entries)).encode("utf-8"))
    except BaseException:  # a full disk: no half a token file, which the next start would read as one
        path.unlink(missing_ok=True)
        raise
    return made


def _write_whole(descriptor: int, data: bytes) -> None:
    """Write ``data`` at ``descriptor``'s end and flush it to the disk; close the descriptor either way."""
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def add_token(path: Path, employee: str, level: str) -> str:
    """Make a token for ``employee`` at ``level``, add its hash to the TOML token file ``path``, return the token.

    The file is made (readable by its owner alone) when it does not exist; an existing one must read as a
    token file first. Raises :class:`~recovery_rules.InvalidInputError` for a bad employee or level, a
    JSON token file or one that does not read.
    """
    if path.suffix == ".json":
        raise InvalidInputError.at("token file", "", "tokens are added to a TOML token file; name a .toml file")
    token, digest = mint_token()
    Tokens.from_entries([{"sha256": digest, "employee": employee, "level": level}], what="token")
    prefix = ""
    if path.exists():
        Tokens.from_file(path)  # add only to a file that reads as a token file
        prefix = "\n" if path.read_text(encoding="utf-8").endswith("\n") else "\n\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, stat.S_IRUSR | stat.S_IWUSR)
    size = os.fstat(descriptor).st_size
    try:
        _write_whole(descriptor, (prefix + token_entry(digest, employee, level)).encode("utf-8"))
    except BaseException:  # a full disk: the file as it was, not with half an entry that stops the service
        with contextlib.suppress(OSError):
            os.truncate(path, size)
        raise
    return token
