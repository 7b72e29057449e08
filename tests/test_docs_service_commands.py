"""The ```` ```console ```` blocks of the pages outside docs/cli/ run as shown.

(``tests/test_cli_docs.py`` runs those of docs/cli/.) The two pages of the decision service,
``how-to/run-the-decision-service.md`` and ``how-to/the-front-desk-console.md``, are walked
command by command in the page's order against one real service:

- ``recovery-rules serve --policy ritz-carlton --journal sqlite:cases.sqlite3`` is started as the
  page shows it (the console script beside this Python, else ``python -m recovery_rules.cli``), in
  an empty folder, with ``--port`` added: a port found free. The test waits for it with a bounded
  loop of short connection attempts (no sleeping) and reads the tokens it prints on standard error;
  its ``staff`` token is ``$TOKEN``. The service is always stopped at the end;
- each ``curl`` command runs as shown, only ``127.0.0.1:8000`` and ``$TOKEN`` replaced; without
  curl on the machine, the same request is sent with ``http.client``, read from the command line
  (with curl, the read-only requests are sent both ways and must print the same). Each must exit
  with 0 and get the status :data:`CURL_STATUSES` lists (read from the service's access log, so
  the command is not changed); an output the page shows (``curl -sI``, ``curl -si``) must be what
  it prints, but the values of ``date`` and ``content-length``; the JSON block titled ``A 422``
  is what the command before it prints;
- ``--mint-token`` runs as shown in the service's folder; ``cat > FILE <<'EOF'`` writes the file;
  ``python ...`` runs with this Python; ``kill -HUP "$(pgrep -f 'recovery-rules serve' ...)"``
  sends SIGHUP to this test's service (the pgrep would find other people's services on a shared
  machine: it is only asked whether it finds this one), after which the token minted is still accepted.

Every other console command of the documentation is in :data:`NOT_RUN_HERE`, with the reason
(a package installed from PyPI, a make target running the suite or a benchmark, a server at
``db.example``...), and a command that is neither walked nor listed fails
:func:`test_every_console_command_outside_docs_cli_is_run_or_listed`.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from ._docs import DOCS, blocks, pages

SERVICE_PAGE = DOCS / "how-to" / "run-the-decision-service.md"
CONSOLE_PAGE = DOCS / "how-to" / "the-front-desk-console.md"
SHOWN_AT = "http://127.0.0.1:8000"
"""Where the pages' service listens; the test's own listens on another port."""
CASE = "20261123-10442"
"""The case number of the page's complaint: the day it was received, in its own zone, and the customer."""
WAIT = 60.0
"""Seconds any one wait may take (the service's start, a line of its log) before the test fails."""

CURL_STATUSES = [
    ("POST", "/v1/decisions", 200),  # Ask it: a decision, nothing recorded
    ("POST", "/v1/cases", 201),  # the case opened
    ("POST", f"/v1/cases/{CASE}/listen", 200),
    ("GET", f"/v1/cases/{CASE}", 200),
    ("HEAD", f"/v1/cases/{CASE}", 200),  # HEAD and OPTIONS
    ("OPTIONS", f"/v1/cases/{CASE}", 204),
    ("POST", "/v1/decisions", 422),  # Errors: the 422 shown
]
"""The run-the-decision-service page's curl commands in its order: the request each sends and the status the
page says it gets."""

_PYPI = "installs from PyPI (the network), where recovery-rules is not published yet; the suite runs with the dev extra"
_WHOLE_SUITE = "runs the whole test suite, of which this test is a part"
NOT_RUN_HERE: dict[tuple[str, str], str] = {
    ("how-to/run-the-decision-service.md", "pip install 'recovery-rules[server]'"): _PYPI,
    (
        "how-to/run-the-decision-service.md",
        "recovery-rules serve --policy ritz-carlton --journal sqlite:cases.sqlite3 --ledger-key-file ledger.key",
    ): "a second service for this module: the key file the command before makes is read here, and serve "
    "--ledger-key-file is run by tests/test_server_cli.py",
    (
        "how-to/run-the-decision-service.md",
        "recovery-rules serve --policy policy.toml --journal postgresql://app@db.example/hotel --workers 4 "
        "--host 0.0.0.0",
    ): "needs the PostgreSQL server db.example and listens on every interface; several workers on one journal "
    "are run by tests/test_server_workers.py and tests/test_server_reload.py",
    ("how-to/the-front-desk-console.md", "pip install 'recovery-rules[server]'"): _PYPI,
    ("examples.md", "pip install 'recovery-rules[examples]'"): _PYPI,
    ("examples.md", "python examples/web_service/app.py"): "run as a program by tests/test_docs_and_examples.py "
    "(test_example_scripts_run)",
    ("examples.md", "python examples/web_service/app.py serve"): "serves on port 8000, which a test cannot count on "
    "being free; the same app is tested in-process by tests/test_docs_web_service.py",
    ("how-to/web-service.md", "pip install 'recovery-rules[examples]'"): _PYPI,
    ("how-to/web-service.md", "python examples/web_service/app.py serve"): "serves on port 8000, which a test cannot "
    "count on being free; the same app is tested in-process by tests/test_docs_web_service.py",
    ("tutorial/first-decision.md", "python3 -m venv .venv"): "makes a virtual environment for the install from PyPI",
    ("tutorial/first-decision.md", ". .venv/bin/activate"): "changes the reader's shell, for the install from PyPI",
    ("tutorial/first-decision.md", "pip install recovery-rules"): _PYPI,
    ("index.md", "pip install recovery-rules"): _PYPI,
    ("how-to/use-durable-rules.md", "pip install 'recovery-rules[durable]'"): _PYPI,
    ("how-to/run-with-postgresql.md", "pip install 'recovery-rules[postgres]'"): _PYPI,
    ("how-to/erase-customer-data.md", "pip install 'recovery-rules[privacy]'"): _PYPI,
    ("how-to/property-test-your-policy.md", "pip install 'recovery-rules[testing]'"): _PYPI,
    (
        "how-to/run-with-postgresql.md",
        "export RECOVERY_RULES_DSN=postgresql://hotel_app@db.example/hotel",
    ): "names the PostgreSQL server db.example, for the reader's shell",
    (
        "how-to/run-with-postgresql.md",
        "recovery-rules report postgresql://reports@db.example/hotel --since 2026-11-01",
    ): "needs the PostgreSQL server db.example; report is run on a journal by the docs/cli pages' tests",
    (
        "how-to/run-with-postgresql.md",
        "RECOVERY_RULES_TEST_DSN=postgresql://postgres@localhost/postgres make test",
    ): _WHOLE_SUITE,
    ("how-to/run-with-postgresql.md", "make reliability"): "the reliability suite at full size: about 15 minutes",
    ("explanation/guarantees-under-failure.md", "make test"): _WHOLE_SUITE,
    ("explanation/guarantees-under-failure.md", "make reliability"): "the reliability suite at full size: about "
    "15 minutes",
    ("explanation/performance.md", "make bench-scale"): "builds journals of up to 10M events: hours and 25 GB",
    (
        "explanation/performance.md",
        'make bench-scale SCALE_ARGS="--sizes 10k,100k --backends sqlite"',
    ): "a benchmark of minutes, whose figures depend on the machine",
    ("explanation/performance.md", ".venv/bin/python benchmarks/scale.py --tiny"): "a minute; "
    "tests/test_scale_benchmark.py runs benchmarks/scale.py --tiny on SQLite",
    ("explanation/performance.md", "make bench-load"): "a load benchmark of 30 seconds and more, on PostgreSQL",
    (
        "explanation/performance.md",
        'make bench-load LOAD_ARGS="--seconds 10 --clients 20"',
    ): "a load benchmark of 10 seconds and more, on PostgreSQL",
    ("explanation/performance.md", ".venv/bin/python benchmarks/load.py --smoke"): "tests/test_load_benchmark.py "
    "runs benchmarks/load.py --smoke on the tests' PostgreSQL server",
    ("explanation/performance.md", "make bench"): "a benchmark, whose figures depend on the machine",
    (
        "explanation/performance.md",
        "python benchmarks/run.py --quick --output /tmp/recovery-rules-bench.json",
    ): "a benchmark, whose figures depend on the machine",
}
"""The console commands outside docs/cli/ that this module does not run, by page and command, and why."""


# -- the commands of a page ---------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """One ``$ ...`` line of a console block: the command (without its comment), the text of a here-document
    it reads, and the lines the page shows after it (its output)."""

    page: str
    line: int
    text: str
    stdin: str
    output: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def key(self) -> tuple[str, str]:
        return (self.page, self.text)


_HERE_DOCUMENT = re.compile(r"<<-?\s*'?(?P<end>\w+)'?\s*$")
_COMMENT = re.compile(r"\s+#\s.*$")


def console_commands(page: Path) -> list[Command]:
    """The commands of the console blocks of ``page``, in its order."""
    name = page.relative_to(DOCS).as_posix() if page.is_relative_to(DOCS) else page.name
    found: list[Command] = []
    for block in blocks(page):
        if block.language != "console":
            continue
        lines = block.code.splitlines()
        assert lines, f"{block.id}: an empty console block"
        assert lines[0].startswith("$ "), f"{block.id}: a console block starts with a command"
        i = 0
        while i < len(lines):
            text = _COMMENT.sub("", lines[i].removeprefix("$ ")).strip()
            number, i = block.line + 1 + i, i + 1
            stdin: list[str] = []
            here = _HERE_DOCUMENT.search(text)
            if here:
                while i < len(lines) and lines[i] != here["end"]:
                    stdin.append(lines[i])
                    i += 1
                assert i < len(lines), f"{name}:{number}: the here-document never ends with {here['end']}"
                i += 1
            output: list[str] = []
            while i < len(lines) and not lines[i].startswith("$ "):
                output.append(lines[i])
                i += 1
            stdin_text = "\n".join(stdin) + "\n" if stdin else ""
            found.append(Command(name, number, text, stdin_text, tuple(output)))
    return found


def _outside_docs_cli() -> list[Command]:
    return [
        command
        for page in pages()
        if not page.relative_to(DOCS).as_posix().startswith("cli/")
        for command in console_commands(page)
    ]


# -- what a command prints, compared with what the page shows ---------------------------------------

_VALUES_IGNORED = re.compile(r"^(?P<name>date|content-length):\s.*$", re.IGNORECASE)


def normalised(output: str | tuple[str, ...]) -> list[str]:
    """Lines as a terminal shows them: no carriage returns, no blank lines at the end, and the values of
    ``date`` and ``content-length`` (which change from run to run) left out."""
    lines = [line.rstrip("\r") for line in (output.splitlines() if isinstance(output, str) else output)]
    while lines and not lines[-1].strip():
        lines.pop()
    return [_VALUES_IGNORED.sub(r"\g<name>: ...", line) for line in lines]


# -- curl, or the same request without it ---------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """What a curl command line sends, and what it prints."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    show_headers: bool

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.url).path


def read_curl(words: list[str], folder: Path) -> Request:
    """The request of ``curl`` ``words`` (the options the pages use: ``-s``, ``-S``, ``-i``, ``-I``, ``-X``,
    ``-H``, ``-d``, ``-d @file`` read in ``folder``)."""
    assert words[0] == "curl"
    method: str | None = None
    url: str | None = None
    headers: list[tuple[str, str]] = []
    body: bytes | None = None
    show_headers = head = False
    rest = iter(words[1:])
    for word in rest:
        if word in ("-X", "--request"):
            method = next(rest)
        elif word in ("-H", "--header"):
            name, _, value = next(rest).partition(":")
            headers.append((name.strip(), value.strip()))
        elif word in ("-d", "--data"):
            data = next(rest)
            if data.startswith("@"):  # a file, read as curl's -d reads one: without its line ends
                body = (folder / data[1:]).read_bytes().replace(b"\r", b"").replace(b"\n", b"")
            else:
                body = data.encode("utf-8")
        elif re.fullmatch(r"-[sSiI]+", word):
            show_headers = show_headers or "i" in word or "I" in word
            head = head or "I" in word
        elif word.startswith(("http://", "https://")) and url is None:
            url = word
        else:
            raise AssertionError(f"the test does not know curl's {word!r}: teach read_curl, or use another option")
    assert url is not None, f"no address in {words}"
    if body is not None and not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))  # what curl -d sends
    chosen = method or ("HEAD" if head else "POST" if body is not None else "GET")
    return Request(chosen, url, tuple(headers), body, show_headers)


def send_without_curl(request: Request) -> str:
    """What ``curl`` prints for ``request``, sent with :mod:`http.client`."""
    address = urllib.parse.urlsplit(request.url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=WAIT)
    try:
        target = address.path + (f"?{address.query}" if address.query else "")
        connection.request(request.method, target, request.body, dict(request.headers))
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    printed = ""
    if request.show_headers:
        version = {10: "1.0", 11: "1.1"}.get(response.version, "1.1")
        printed = f"HTTP/{version} {response.status} {response.reason}\r\n"
        printed += "".join(f"{name}: {value}\r\n" for name, value in response.getheaders()) + "\r\n"
    return printed + body.decode("utf-8")


# -- the service ----------------------------------------------------------------------------------


class ServerLog:
    """One of the service's outputs, read line by line as it comes (a thread), never by sleeping."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._stream = stream
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Once the service has stopped: the rest read (to the end of the pipe), and the pipe closed."""
        self._thread.join(timeout=WAIT)
        self._stream.close()

    def _read(self, stream: IO[str]) -> None:
        for line in iter(stream.readline, ""):
            self.lines.put(line)

    def next(self, timeout: float) -> str | None:
        """The next line, waiting ``timeout`` seconds at most for it."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            return None
        self.seen.append(line)
        return line

    def wait_for(self, pattern: str) -> re.Match[str]:
        """The first line from here on that ``pattern`` matches (the lines before it are passed)."""
        deadline = time.monotonic() + WAIT
        while (left := deadline - time.monotonic()) > 0:
            line = self.next(left)
            if line is not None and (found := re.search(pattern, line)):
                return found
        raise AssertionError(f"the service never logged {pattern!r}; its log:\n{self.text}")

    def status(self, request: Request) -> int:
        """The status the service answered ``request`` with, from its access log (which writes a complaint number
        in a path as ``{number}``: it holds the customer number)."""
        path = re.escape(re.sub(r"[0-9]{8}-[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", "{number}", request.path))
        logged = self.wait_for(rf'"{request.method} {path} HTTP/1\.1" (\d{{3}})')
        return int(logged[1])

    @property
    def text(self) -> str:
        return "".join(self.seen)


@dataclass
class Service:
    process: subprocess.Popen[str]
    folder: Path
    port: int
    started_as: str
    """The page's command it was started with (before ``--port``)."""
    log: ServerLog
    """Its standard error: what serve says, and uvicorn's own log."""
    out: ServerLog
    """Its standard output: uvicorn's access log and the decision log."""
    tokens: dict[str, tuple[str, str]]
    """The tokens it printed: each level's employee and token."""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def recovery_rules() -> list[str]:
    """The ``recovery-rules`` command: the console script beside this Python, else the module."""
    script = Path(sys.executable).with_name("recovery-rules")
    return [str(script)] if os.access(script, os.X_OK) else [sys.executable, "-m", "recovery_rules.cli"]


def environment() -> dict[str, str]:
    """This environment without the settings a reader's shell would not have set."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("RECOVERY_RULES_") and name != "PROMETHEUS_MULTIPROC_DIR"
    }
    return {**kept, "PYTHONUNBUFFERED": "1"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    """Whether something answers ``GET /healthz`` on ``port`` now (one short attempt)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _stop(process: subprocess.Popen[str], *logs: ServerLog) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=WAIT)
    for log in logs:
        log.close()


@contextlib.contextmanager
def start(command: Command, folder: Path) -> Iterator[Service]:
    """The service ``command`` starts, run in ``folder`` on a free port, until the block ends.

    It is ready once its log says it listens on that port (so the answer is not another program's that took
    the port first) and ``/healthz`` answers; a port taken before the service could listen on it is tried
    again with another, in a new folder (the first start prints the tokens).
    """
    pytest.importorskip("fastapi", reason="the decision service needs the server extra, which dev installs")
    words = shlex.split(command.text)
    assert words[:2] == ["recovery-rules", "serve"], command
    for attempt in range(3):
        here = folder / f"service-{attempt}"
        here.mkdir()
        port = free_port()
        process = subprocess.Popen(
            [*recovery_rules(), *words[1:], "--port", str(port)],
            cwd=here,
            env=environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        log = ServerLog(process.stderr)  # type: ignore[arg-type]  # a pipe, asked for above
        out = ServerLog(process.stdout)  # type: ignore[arg-type]
        try:
            listening = f"Uvicorn running on http://127.0.0.1:{port} "
            deadline = time.monotonic() + WAIT
            while not (listening in log.text and _answers(port)):
                if process.poll() is not None:
                    while log.next(0.5) is not None:  # the rest of what it said, to the end of the pipe
                        pass
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(f"the service did not answer within {WAIT} s; its log:\n{log.text}")
                log.next(0.1)  # the next line of its log, or a tenth of a second, before the next attempt
            if process.poll() is not None:
                if "address already in use" in log.text.lower():
                    continue
                raise AssertionError(f"{command.id}: the service stopped ({process.returncode}):\n{log.text}")
            log.status(Request("GET", "/healthz", (), None, show_headers=False))  # the readiness check's line
            printed = re.findall(r"^  (\S+) +(\S+) +(rr_\S+)$", log.text, flags=re.MULTILINE)
            tokens = {level: (employee, token) for level, employee, token in printed}
            service = Service(process, here, port, command.text, log, out, tokens)
            yield service
            return
        finally:
            _stop(process, log, out)
    raise AssertionError("three ports found free were taken before the service could listen on them")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    first = next(c for c in console_commands(SERVICE_PAGE) if c.text.startswith("recovery-rules serve "))
    with start(first, tmp_path_factory.mktemp("service")) as started:
        yield started


# -- running a page -------------------------------------------------------------------------------


class Walk:
    """The state of one page's walk: the service, the token minted, and the curl commands left to expect."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.statuses = list(CURL_STATUSES)
        self.minted: str | None = None
        self.printed: dict[int, str] = {}
        """What each curl command printed, by its line on the page."""

    def run(self, command: Command) -> None:
        if command.key in NOT_RUN_HERE:
            return
        words = shlex.split(command.text)
        if words[:2] == ["recovery-rules", "serve"] and "--mint-token" not in words:
            assert command.text == self.service.started_as, (
                f"{command.id}: the test runs one service, started as the page first shows it; "
                "start this one too, or list it in NOT_RUN_HERE with why"
            )
        elif words[:3] == ["recovery-rules", "serve", "--mint-token"]:
            self.mint(command, words)
        elif words[0] == "curl":
            self.curl(command, words)
        elif len(words) > 2 and words[:2] == ["cat", ">"] and command.stdin:
            (self.service.folder / words[2]).write_text(command.stdin, encoding="utf-8")
        elif words[0] == "python":
            self.python(command)
        elif words[0].startswith("TOKEN="):  # the reader keeps the staff token in $TOKEN: the test sends its own
            assert words[0] == "TOKEN=rr_...", f"{command.id}: $TOKEN is set to a placeholder of the printed token"
        elif command.text == """kill -HUP "$(pgrep -f 'recovery-rules serve' | head -n 1)\"""":
            self.reload(command)
        else:
            raise AssertionError(f"{command.id}: the test cannot run {command.text!r}: teach it, or list it")

    def mint(self, command: Command, words: list[str]) -> None:
        from recovery_rules.server import Tokens  # noqa: PLC0415 - the server extra

        run = subprocess.run(
            [*recovery_rules(), *words[1:]],
            cwd=self.service.folder,
            env=environment(),
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=False,
        )
        assert run.returncode == 0, f"{command.id}: {run.stderr}"
        token = run.stdout.strip()
        assert re.fullmatch(r"rr_[\w-]{43}", token), f"{command.id} prints the token alone: {run.stdout!r}"
        employee = Tokens.from_file(self.service.folder / "tokens.toml").employee(token)
        assert employee is not None
        assert (employee.id, employee.level) == (words[3], words[4])
        # The running service reads the token file again when it changes: the new token works at once.
        assert self.answer_with(token) == 200, "the page says a running service takes the new token at once"
        self.minted = token

    def answer_with(self, token: str) -> int:
        request = Request(
            "GET", f"{self.service.base}/v1/policy", (("Authorization", f"Bearer {token}"),), None, show_headers=False
        )
        send_without_curl(request)
        return self.service.log.status(request)

    def python(self, command: Command) -> None:
        from recovery_rules.server import load_ledger_key  # noqa: PLC0415 - the server extra

        assert "> ledger.key" in command.text, f"{command.id}: the test knows only the ledger key's command"
        line = shlex.quote(sys.executable) + command.text.removeprefix("python")  # the reader's venv's python
        run = subprocess.run(
            ["sh", "-c", line], cwd=self.service.folder, capture_output=True, text=True, timeout=WAIT, check=False
        )
        assert run.returncode == 0, f"{command.id}: {run.stderr}"
        key_file = self.service.folder / "ledger.key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert len(load_ledger_key(str(key_file))) == 32

    def reload(self, command: Command) -> None:
        pgrep = shutil.which("pgrep")
        if pgrep is not None and Path(recovery_rules()[0]).name == "recovery-rules":
            found = subprocess.run(
                [pgrep, "-f", "recovery-rules serve"], capture_output=True, text=True, timeout=WAIT, check=False
            )
            assert str(self.service.process.pid) in found.stdout.split(), f"{command.id}: pgrep does not find it"
        assert self.minted is not None, "the page mints a token before it reloads"
        self.service.process.send_signal(signal.SIGHUP)  # it reloads between two requests, and keeps serving
        assert self.answer_with(self.minted) == 200  # the token minted works, before the reload and after it
        assert self.service.process.poll() is None

    def curl(self, command: Command, words: list[str]) -> None:
        staff_token = self.service.tokens["staff"][1]
        sent = [word.replace(SHOWN_AT, self.service.base).replace("$TOKEN", staff_token) for word in words]
        request = read_curl(sent, self.service.folder)
        assert self.statuses, f"{command.id}: a curl command CURL_STATUSES does not list"
        method, path, expected = self.statuses.pop(0)
        assert (request.method, request.path) == (method, path), f"{command.id}: CURL_STATUSES lists another"
        curl = shutil.which("curl")
        if curl is None:
            printed = send_without_curl(request)
        else:
            run = subprocess.run(
                [curl, *sent[1:]], cwd=self.service.folder, capture_output=True, text=True, timeout=WAIT, check=False
            )
            assert run.returncode == 0, f"{command.id}: curl exits with {run.returncode}: {run.stderr}"
            printed = run.stdout
        status = self.service.log.status(request)
        assert status == expected, f"{command.id}: {status}, not {expected}: {printed}"
        if curl is not None and method in ("GET", "HEAD", "OPTIONS"):  # the fallback prints what curl prints
            assert normalised(send_without_curl(request)) == normalised(printed), command.id
            assert self.service.log.status(request) == expected
        if command.output:
            assert normalised(printed) == normalised(command.output), f"{command.id} prints something else"
        elif not request.show_headers:
            answer = json.loads(printed)
            if 200 <= status < 300 and "/cases" in path:  # every answer of a case holds it, as that step left it
                assert answer["complaint_number"] == CASE
                assert {"allowed_steps", "state"} <= set(answer["case"])
                assert "policy_revision" in answer
        self.printed[command.line] = printed


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="the pages' commands are a POSIX shell's (sh, SIGHUP)")
def test_the_decision_service_pages_run_as_shown(service: Service) -> None:
    assert set(service.tokens) == {"staff", "manager", "general_manager"}, service.log.text
    assert "No token file tokens.toml: made one with a token for each level" in service.log.text
    assert (service.folder / "tokens.toml").exists()
    assert (service.folder / "cases.sqlite3").exists()
    walk = Walk(service)
    commands = console_commands(SERVICE_PAGE)
    for command in commands:
        walk.run(command)
    assert not walk.statuses, f"CURL_STATUSES lists requests the page no longer shows: {walk.statuses}"
    assert walk.minted is not None, "the page mints a token"

    # The answer the page shows under Errors is what the curl command just before it prints.
    page_blocks = blocks(SERVICE_PAGE)
    [shown] = [block for block in page_blocks if block.title == "A 422"]
    before = page_blocks[page_blocks.index(shown) - 1]
    assert before.language == "console", "the 422 shown follows the command that gets it"
    [asked] = [command for command in commands if before.line < command.line <= before.line + 2]
    assert json.loads(walk.printed[asked.line]) == json.loads(shown.code)

    # The console's page starts the same service, and says where it answers and who may sign in.
    for command in console_commands(CONSOLE_PAGE):
        walk.run(command)
    assert "http://127.0.0.1:8000/console" in CONSOLE_PAGE.read_text(encoding="utf-8")
    signed_in = send_without_curl(
        Request(
            "POST",
            f"{service.base}/console/sign-in",
            (("Content-Type", "application/x-www-form-urlencoded"),),
            urllib.parse.urlencode({"token": service.tokens["staff"][1]}).encode(),
            show_headers=True,
        )
    )
    assert signed_in.startswith("HTTP/1.1 303 "), signed_in


def test_every_console_command_outside_docs_cli_is_run_or_listed() -> None:
    # Every command of the service's pages is run by the walk, which fails on one it cannot run.
    walked = {page.relative_to(DOCS).as_posix() for page in (SERVICE_PAGE, CONSOLE_PAGE)}
    shown = _outside_docs_cli()
    assert len(shown) > len(NOT_RUN_HERE)
    unknown = sorted(command.id for command in shown if command.page not in walked and command.key not in NOT_RUN_HERE)
    assert not unknown, f"run these console commands in a test, or list them in NOT_RUN_HERE with why: {unknown}"
    stale = sorted(set(NOT_RUN_HERE) - {command.key for command in shown})
    assert not stale, f"NOT_RUN_HERE lists commands no page shows any more: {stale}"


# -- the checks above have teeth ------------------------------------------------------------------


def _page(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    return page


def test_a_command_its_here_document_and_its_output_are_told_apart(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "# A page\n\n```console\n$ cat > a.json <<'EOF'\n{\"a\": 1}\nEOF\n$ curl -sI http://x/  # headers\n"
        "HTTP/1.1 200 OK\nserver: uvicorn\n```\n",
    )
    found = console_commands(page)
    assert [(command.line, command.text, command.stdin, command.output) for command in found] == [
        (4, "cat > a.json <<'EOF'", '{"a": 1}\n', ()),
        (7, "curl -sI http://x/", "", ("HTTP/1.1 200 OK", "server: uvicorn")),
    ]


def test_an_output_differs_by_a_header_name_or_a_status_not_by_a_date(tmp_path: Path) -> None:
    shown = ("HTTP/1.1 200 OK", "date: Sun, 06 Dec 2026 06:21:22 GMT", "content-length: 1228", "server: uvicorn")
    printed = "HTTP/1.1 200 OK\r\ndate: Mon, 07 Dec 2026 10:00:00 GMT\r\ncontent-length: 99\r\nserver: uvicorn\r\n\r\n"
    assert normalised(printed) == normalised(shown)
    assert normalised(printed.replace("200 OK", "404 Not Found")) != normalised(shown)
    assert normalised(printed.replace("server:", "x-server:")) != normalised(shown)


def test_a_curl_command_line_reads_as_the_request_curl_sends(tmp_path: Path) -> None:
    (tmp_path / "complaint.json").write_text('{"complaint":\n {}}\n', encoding="utf-8")
    words = shlex.split("curl -s http://h:1/v1/cases -H 'Idempotency-Key: 6f1c2a' -d @complaint.json")
    request = read_curl(words, tmp_path)
    assert (request.method, request.path, request.body) == ("POST", "/v1/cases", b'{"complaint": {}}')
    assert request.headers == (
        ("Idempotency-Key", "6f1c2a"),
        ("Content-Type", "application/x-www-form-urlencoded"),  # curl -d without a Content-Type sends it
    )
    assert read_curl(shlex.split("curl -sI http://h:1/a"), tmp_path).method == "HEAD"
    assert read_curl(shlex.split("curl -si -X OPTIONS http://h:1/a"), tmp_path).show_headers
    with pytest.raises(AssertionError, match="does not know curl's '--json'"):
        read_curl(shlex.split("curl --json {} http://h:1/a"), tmp_path)
