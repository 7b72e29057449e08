"""``recovery-rules serve``: the decision service over HTTP (the ``server`` extra)."""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Final

import click

from recovery_rules import InvalidInputError, JournalError, MissingDependencyError, Policy, PolicyError
from recovery_rules.cli import _console
from recovery_rules.cli._errors import CliInputError, ExitCode
from recovery_rules.cli._inputs import file_name_given

from . import options

if TYPE_CHECKING:
    from recovery_rules.server import Tokens

__all__ = ["command"]

_UVICORN_STARTUP_FAILURE: Final = 3
"""What uvicorn exits with when the server cannot start: it could not bind, or the application did not start."""


@click.command("serve", short_help="Serve decisions and cases over HTTP (the decision service).")
@click.option("--policy", "-p", "policy", metavar="POLICY", help=options.POLICY_HELP)
@click.option(
    "--journal",
    metavar="JOURNAL",
    help="Where cases are recorded: sqlite:PATH (sqlite:cases.sqlite3) or postgresql://user@host/db. Needed to "
    "serve, as --policy is.",
)
@click.option(
    "--tokens",
    metavar="FILE",
    default="tokens.toml",
    show_default=True,
    help="The token file (TOML or JSON: SHA-256 hashes of bearer tokens, each with an employee and a level). "
    "When a .toml one does not exist, one is made with a token for each level, printed once.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="The port.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option("--watch-policy", is_flag=True, help="Reload the policy when its file changes (SIGHUP always does).")
@click.option(
    "--decision-log",
    metavar="FILE",
    default="-",
    show_default=True,
    help="Where the decision log's JSON lines go: a file, - for standard output, or '' for none.",
)
@click.option(
    "--allow-origin",
    "allow_origins",
    multiple=True,
    metavar="ORIGIN",
    help="A web origin (https://desk.example.com) whose pages may call the API from a browser (CORS); repeatable.",
)
@click.option(
    "--ledger-key-file",
    metavar="FILE",
    default=None,
    help="A file holding the journal's ledger key as hexadecimal text (python -c 'import secrets; "
    "print(secrets.token_hex(32))'): seals the ledger of a new journal, and is needed to record grants in a "
    "journal whose ledger is sealed.",
)
@click.option(
    "--session-key-file",
    metavar="FILE",
    default=None,
    help="A file holding the key that signs the console's sessions, as hexadecimal text (made like a ledger "
    "key): sessions then outlive a restart, and several services behind one address accept each other's. "
    "Without it, each run makes its own key, and a restart signs everyone out.",
)
@click.option(
    "--session-hours",
    default=12,
    show_default=True,
    type=click.IntRange(1, 720),
    help="How long a console session lasts before its employee signs in again.",
)
@click.option(
    "--max-body-bytes",
    default=5_000_000,
    show_default=True,
    type=click.IntRange(1, 1_000_000_000),
    help="The largest request body the API reads; a larger one is refused with a 413 before anything reads it "
    "(a policy to check is at most 5,000,000 bytes, a complaint a few hundred).",
)
@click.option(
    "--mint-token",
    nargs=2,
    metavar="EMPLOYEE LEVEL",
    default=None,
    help="Do not serve: make a token for EMPLOYEE at LEVEL, add its hash to the token file, print the token.",
)
def command(
    *,
    policy: str | None,
    journal: str | None,
    tokens: str,
    host: str,
    port: int,
    workers: int,
    watch_policy: bool,
    decision_log: str,
    allow_origins: tuple[str, ...],
    ledger_key_file: str | None,
    session_key_file: str | None,
    session_hours: int,
    max_body_bytes: int,
    mint_token: tuple[str, str] | None,
) -> int:
    """Serve the decision service: the versioned JSON API under /v1 (OpenAPI at /v1/openapi.json).

    Every request authenticates with a bearer token from the token file; the
    token's employee and level act. SIGHUP reloads the policy: a valid new
    policy replaces the old one between requests, an invalid one is refused
    (its problems logged) and the old one keeps serving. Several workers share
    the journal, whose ledger keeps every cap across them.

    \b
        recovery-rules serve --policy ritz-carlton --journal sqlite:cases.sqlite3

        recovery-rules serve --mint-token e-1042 staff --tokens tokens.toml
    """
    try:
        from recovery_rules import server  # noqa: PLC0415 - the server extra is imported only to serve
    except ImportError as error:
        extra = MissingDependencyError("recovery-rules serve", "server", error.name or "fastapi")
        raise CliInputError(str(extra)) from None
    _file_names_given(tokens=tokens, ledger_key_file=ledger_key_file, session_key_file=session_key_file)
    loaded = _policy(policy) if policy else None
    if mint_token is not None:
        return _mint(Path(tokens), mint_token[0], mint_token[1], loaded)
    missing = [name for name, value in (("--policy", policy), ("--journal", journal)) if not value]
    if missing:
        raise click.UsageError(f"serve needs {' and '.join(missing)}")
    if policy is None or journal is None or loaded is None:  # checked just above; this tells the type checker
        raise click.UsageError("serve needs --policy and --journal")
    if not host.strip():  # getaddrinfo reads no name as every interface: an unset $HOST must not expose the service
        raise CliInputError(
            "--host: is empty; give the address to listen on: 127.0.0.1 for this machine alone (the default), "
            "0.0.0.0 for every network interface"
        )
    _check_address(host, port)  # first: a port in use leaves no journal or token file behind
    _check_decision_log(decision_log)
    token_file = Path(tokens)
    tokens_read = _read_tokens(token_file) if token_file.exists() else None  # before the journal is made
    if tokens_read is None and token_file.suffix == ".json":  # made only as TOML: said before the journal is made
        raise CliInputError(
            f"--tokens: there is no token file {tokens}; a JSON token file is written by its owner: name a .toml "
            "file to have one made with a token for each level, or to add tokens with --mint-token EMPLOYEE LEVEL"
        )
    _check_journal_and_keys(journal, ledger_key_file, session_key_file)
    if tokens_read is None:
        made = server.demo_tokens(token_file, loaded)
        _console.echo(
            f"No token file {tokens}: made one with a token for each level. The tokens, shown once:", err=True
        )
        for employee, level, token in made:
            _console.echo(f"  {level:<12} {employee:<24} {token}", err=True)
        tokens_read = _read_tokens(token_file)
    unknown = sorted(tokens_read.levels - {level.name for level in loaded.levels})
    if unknown:  # a typo when the token was made, or a token file of another policy: said before anyone is refused
        _console.echo(
            f"Warning: {tokens}: tokens of level {', '.join(map(repr, unknown))}, which the policy does not have; "
            "every request made with them will be refused (403)",
            err=True,
        )
    settings = server.Settings(
        policy=policy,
        journal=journal,
        tokens=str(token_file.resolve()),
        watch_policy=watch_policy,
        decision_log=decision_log,
        allow_origins=tuple(allow_origins),
        ledger_key_file=str(Path(ledger_key_file).resolve()) if ledger_key_file else "",
        session_key_file=str(Path(session_key_file).resolve()) if session_key_file else "",
        session_hours=session_hours,
        max_body_bytes=max_body_bytes,
    )
    if not _loopback(host):
        _console.echo(
            f"Warning: --host {host} is not a loopback address: the service listens on the network over plain "
            "http, so bearer tokens and session cookies travel in clear unless a proxy that terminates TLS (https) "
            f"is in front of it; see {_BEHIND_A_PROXY}",
            err=True,
        )
    try:
        server.run(settings, host=host, port=port, workers=workers)
    except InvalidInputError as error:
        raise CliInputError(str(error)) from None
    except SystemExit as stopped:  # uvicorn's way to fail to start, after logging why
        if stopped.code == _UVICORN_STARTUP_FAILURE:
            _check_address(host, port)  # taken since it was checked: said as it would have been then
        raise
    return ExitCode.OK


_BEHIND_A_PROXY: Final = "https://recovery-rules.example.org/how-to/run-the-decision-service/#behind-a-proxy"
"""Where the documentation says how to serve behind a proxy that terminates TLS."""


def _file_names_given(**options: str | None) -> None:
    """Refuse an empty file name given to an option, as every verb does: never the current folder (``--tokens ''``),
    nor the option not given (an unset ``--ledger-key-file "$KEY_FILE"`` would make a journal left unsealed)."""
    for name, value in options.items():
        if value is not None:
            option = "--" + name.replace("_", "-")
            file_name_given(value, option, f"give the path of a file, or leave {option} out")


def _check_decision_log(decision_log: str) -> None:
    """Open the decision log for appending, as each worker will: a folder that does not exist, a folder given
    for a file, a file this user may not write is said here, at ``--decision-log``, before anything is made."""
    if decision_log in ("", "-"):
        return
    path = Path(decision_log)
    fix = "give a file in a folder that exists, - for standard output, or '' for none"
    if path.exists():
        try:
            with path.open("a", encoding="utf-8"):  # a file that exists: nothing is made
                pass
        except OSError as error:
            raise CliInputError(f"--decision-log: cannot write {decision_log} ({error.strerror}); {fix}") from None
    elif not path.parent.is_dir():
        raise CliInputError(f"--decision-log: there is no folder {path.parent} to write {decision_log} in; {fix}")
    elif not os.access(path.parent, os.W_OK):
        raise CliInputError(f"--decision-log: this user may not write in the folder {path.parent}; {fix}")


def _loopback(host: str) -> bool:
    """Whether every address ``host`` listens on is a loopback one (``127.0.0.1``, ``::1``, ``localhost``): only
    this machine can reach it, so a token never crosses a network in clear."""
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError):  # checked already by _check_address: an address this machine listens on
        return False
    addresses = [ipaddress.ip_address(str(address[0]).split("%")[0]) for *_, address in found]
    return bool(addresses) and all(address.is_loopback for address in addresses)


def _check_address(host: str, port: int) -> None:
    """Listen on ``host``:``port`` for a moment, as the server will, and let go: a name that does not resolve,
    an address of another machine, a port in use or one this user may not take is said here, as bad input, not
    by uvicorn as a failure to start (exit 3, which means a bug).

    Every address the name resolves to is bound, as a single worker's server binds them all (``localhost``:
    ``127.0.0.1`` and ``::1``), with ``SO_REUSEADDR`` as it sets it (a port whose last connections are closing is
    not in use); one that is not available where another is (IPv6 turned off) is left out, as asyncio leaves it.
    """
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as error:  # socket.gaierror is an OSError
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "not a host name"
        if host.startswith("[") and host.endswith("]"):  # as a URL writes an IPv6 address; --host takes it bare
            fix = f"write the address without its brackets (--host {host[1:-1]})"
        else:
            fix = f"check its spelling, or give an IP address of this machine: {_this_machine(host)}"
        raise CliInputError(f"--host: {host!r} is not an address to listen on ({reason}); {fix}") from None
    sockets: list[socket.socket] = []
    try:
        unavailable = OSError(errno.EADDRNOTAVAIL, "no address")
        bound = 0
        for family, kind, protocol, _, address in found:
            listener = socket.socket(family, kind, protocol)
            sockets.append(listener)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                listener.bind(address)
            except OSError as error:
                if error.errno != errno.EADDRNOTAVAIL:
                    raise
                unavailable = error
            else:
                bound += 1
        if not bound:
            raise unavailable
    except OSError as error:
        raise CliInputError(_address_problem(host, port, shown, error)) from None
    finally:
        for listener in sockets:
            listener.close()


def _address_problem(host: str, port: int, shown: str, error: OSError) -> str:
    """What was wrong with ``--host`` or ``--port`` when ``error`` came of listening there, and what to do."""
    reason = error.strerror or str(error)
    if error.errno == errno.EADDRINUSE:
        return (
            f"--port: {shown} is already in use ({reason}): another program listens there, perhaps another "
            "recovery-rules serve; stop it, or pick another --port (--port 0 takes any free one)"
        )
    if error.errno == errno.EADDRNOTAVAIL:
        return (
            f"--host: {host!r} is not an address of this machine ({reason}), so nothing can listen on it; give "
            f"one of its addresses: {_this_machine(host)}"
        )
    if error.errno == errno.EACCES:
        if port < _FIRST_UNPRIVILEGED_PORT:
            return (
                f"--port: this user may not listen on port {port} ({reason}); ports below 1024 need privileges: "
                "pick one from 1024 up (--port 8000)"
            )
        return (
            f"--port: this user may not listen on {shown} ({reason}): the system reserves that port or keeps this "
            "program from listening (a security policy, or net.ipv4.ip_unprivileged_port_start); pick another "
            "--port, or ask the machine's administrator which ports a service may take"
        )
    return f"--host, --port: cannot listen on {shown} ({reason}); check --host and --port"


_FIRST_UNPRIVILEGED_PORT: Final = 1024
"""The first port a user without privileges may listen on, on most systems."""


def _this_machine(host: str) -> str:
    """The addresses to suggest instead of ``host``: IPv6 ones for an IPv6 address (it has a colon), else IPv4."""
    if ":" in host:
        return "::1 for this machine alone, :: for every network interface"
    return "127.0.0.1 for this machine alone, 0.0.0.0 for every network interface"


def _read_tokens(path: Path) -> Tokens:
    """The token file at ``path``, read: a file that does not read is said at ``--tokens``, naming it."""
    from recovery_rules.server import Tokens  # noqa: PLC0415 - the server extra, imported only to serve

    try:
        return Tokens.from_file(path)
    except InvalidInputError as error:
        problem = error.problems[0]
        where = f" {problem.location}:" if problem.location else ""
        raise CliInputError(
            f"--tokens: {path}:{where} {problem.message}; fix it, or move it away to have a new one made "
            "with a token for each level"
        ) from None


def _check_journal_and_keys(journal: str, ledger_key_file: str | None, session_key_file: str | None) -> None:
    """Open the journal once, with its ledger key, and read the session key: a bad address, an unreadable file
    or another ledger key fails here, in the shell's words, not in a worker."""
    from recovery_rules import server  # noqa: PLC0415 - the server extra

    ledger_key = None
    if ledger_key_file:
        try:
            ledger_key = server.load_ledger_key(ledger_key_file)
        except InvalidInputError as error:
            raise CliInputError(f"--ledger-key-file: {error.problems[0].message}") from None
    try:
        server.open_journal(journal, ledger_key=ledger_key).close()
    except InvalidInputError as error:
        problem = error.problems[0]
        option = "--ledger-key-file" if problem.location == "ledger_key" else "--journal"
        raise CliInputError(f"{option}: {problem.message}") from None
    except JournalError as error:
        raise CliInputError(f"--journal: {error}") from None
    if session_key_file:
        try:
            server.load_session_key(session_key_file)
        except InvalidInputError as error:
            raise CliInputError(f"--session-key-file: {error.problems[0].message}") from None


def _policy(source: str) -> Policy:
    from recovery_rules import server  # noqa: PLC0415 - the server extra

    try:
        return server.load_policy(source)
    except PolicyError as error:
        raise CliInputError(str(error)) from None
    except InvalidInputError as error:
        raise CliInputError(f"--policy: {error.problems[0].message}") from None


def _mint(path: Path, employee: str, level: str, policy: Policy | None) -> int:
    from recovery_rules import server  # noqa: PLC0415 - the server extra

    if policy is not None and level not in {known.name for known in policy.levels}:
        names = ", ".join(known.name for known in policy.levels)
        raise CliInputError(f"--mint-token: the policy has no level {level!r}; use one of: {names}")
    try:
        token = server.add_token(path, employee, level)
    except InvalidInputError as error:
        raise CliInputError(str(error)) from None
    _console.echo(token)
    if policy is None:
        _console.echo(f"(level {level!r} not checked: give --policy to check it against the policy)", err=True)
    return ExitCode.OK
