"""Reading what the command line is given: policies (files or presets), complaints, amounts, times.

Every failure becomes a :class:`CliInputError` whose message names the file,
the line and the field, and says how to fix it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from recovery_rules import (
    ChainHead,
    Complaint,
    InvalidInputError,
    Money,
    Policy,
    PolicyError,
    Problem,
    Window,
    presets,
)
from recovery_rules.files import (
    SourceMap,
    check_regular_file,
    decode_text,
    open_regular_file,
    parse_problem,
    read_ledger_key,
    read_regular_file,
    with_syntax_hint,
)

from ._errors import CliInputError, problem_json, why_unusable

__all__ = [
    "MAX_INPUT_BYTES",
    "LoadedPolicy",
    "LocatedProblem",
    "file_format",
    "file_name_given",
    "hint_for",
    "load_complaint",
    "load_policy",
    "locate_problems",
    "open_input",
    "parse_amount",
    "parse_chain_head",
    "parse_time",
    "read_complaint",
    "read_data_file",
    "read_key_file",
    "read_text",
    "regular_file",
    "render_problems",
    "show_time",
    "within_range",
]

MAX_INPUT_BYTES: Final = 5_000_000
"""Complaint and test-case files larger than this (5 MB) are refused."""

EARLIEST: Final = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST: Final = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)
"""Times given on the command line (``--now``, ``--since``, ``--until``) lie between these: far enough
from the ends of the calendar Python can count in that adding a callback's hours or a window's days, or
showing the time in any time zone, always has a result."""

_FORMATS: Final = {".toml": "toml", ".json": "json", ".yaml": "yaml", ".yml": "yaml"}
_LINE_COLUMN: Final = re.compile(r"line (\d+), column (\d+)")
_AT_LINE_COLUMN: Final = re.compile(r" \(at line \d+, column \d+\)")


def file_format(path: Path) -> str | None:
    """``toml``, ``json`` or ``yaml`` from a file name's extension; ``None`` for any other."""
    return _FORMATS.get(path.suffix.lower())


@dataclass(frozen=True, slots=True)
class Position:
    """A place in a file, both counted from 1."""

    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class LocatedProblem:
    """A problem of an input file, with its line and column when they are known."""

    location: str
    message: str
    position: Position | None

    def render(self, source: str) -> str:
        """``policy.toml:12:1: levels[1].limit: ...``, the way compilers and linters write it."""
        where = f"{source}:{self.position}" if self.position else source
        return f"{where}: {self.location}: {self.message}" if self.location else f"{where}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "line": self.position.line if self.position else None,
            "column": self.position.column if self.position else None,
            "message": self.message,
        }


def locate_problems(
    problems: Iterable[Problem],
    text: str | None,
    format: str | None,
    *,
    inherited: tuple[str, str] | None = None,
) -> list[LocatedProblem]:
    """Add the line and column of each problem in ``text``, the file it was found in.

    A problem the library already placed (a :class:`PolicyError` of
    ``Policy.from_file``) keeps its ``line`` and ``column``; the others are
    placed by :class:`recovery_rules.files.SourceMap`: syntax errors carry
    their line and column in the message or location (``line 3, column 9``),
    other problems have a path such as ``levels[1].limit``, looked up in a
    map of the file. ``inherited`` is a pattern and a replacement naming where
    a value not written at its own location came from (a test case's field
    from the file's ``defaults``).
    """
    problems = list(problems)
    found = None
    if text is not None and format is not None and any(problem.line is None for problem in problems):
        found = SourceMap(text, format)
    located: dict[LocatedProblem, None] = {}  # in order, each once
    for given in problems:
        problem = _place(found, given, inherited) if found is not None and given.line is None else given
        location, message = problem.location, problem.message
        if _LINE_COLUMN.fullmatch(location) or _LINE_COLUMN.search(message):  # a syntax error: the place is said
            if _LINE_COLUMN.fullmatch(location):
                location = ""
            message = _AT_LINE_COLUMN.sub("", message)
        position = Position(problem.line, problem.column or 1) if problem.line is not None else None
        located.setdefault(LocatedProblem(location, message, position))
    # In the order of the file, as a reader fixes them; problems with no place in it last. A value every case
    # inherits from the defaults, with one problem, is one problem (at the defaults), not one per case.
    return sorted(located, key=_in_file_order)


def _place(found: SourceMap, problem: Problem, inherited: tuple[str, str] | None) -> Problem:
    """``problem`` with its line and column: where its own value is written, else where the value it
    ``inherited`` is (a test case's field from the file's ``defaults``, then named by its place there),
    else its nearest enclosing value."""
    syntax = _LINE_COLUMN.fullmatch(problem.location) or _LINE_COLUMN.search(problem.message)
    if inherited is not None and not syntax and found.find(problem.location, exact=True) is None:
        written = re.sub(inherited[0], inherited[1], problem.location)
        origin = found.find(written, exact=True)
        if origin is not None:
            return dataclasses.replace(problem, location=written, line=origin[0], column=origin[1])
    return found.locate([problem])[0]


def _in_file_order(problem: LocatedProblem) -> tuple[bool, int, int]:
    position = problem.position
    return (True, 0, 0) if position is None else (False, position.line, position.column)


def render_problems(headline: str, problems: list[LocatedProblem], source: str) -> str:
    """One message: the headline, then each problem on its own line with its place in the file."""
    lines = "\n".join(f"  {problem.render(source)}" for problem in problems)
    return f"{headline}:\n{lines}"


def problems_error(headline: str, problems: list[LocatedProblem], source: str, *, after: str = "") -> CliInputError:
    """The input error of a file's problems: rendered for people, and each with its place for ``--json``."""
    return CliInputError(
        render_problems(headline, problems, source) + after, problems=[problem.to_json() for problem in problems]
    )


# -- files ----------------------------------------------------------------------


def file_name_given(name: str, option: str, purpose: str) -> None:
    """Refuse the empty name (or one of spaces alone) an ``option`` that writes a file is given, saying so.

    ``Path("")`` is the current folder: the error that would follow (``--chart:  must be a .png file``, a folder
    that is not a file) would not say what is wrong. ``purpose`` ends the message: ``give the file to ...``.
    """
    if not name.strip():
        raise CliInputError(f"{option}: the file name is empty; {purpose}")


def _named(path: str, what: str, *, stdin: bool = False) -> None:
    """Refuse an empty file name (or one of spaces alone that names no file) as empty: read as a path, it would
    be the current folder, or the file ``''`` that is not there (``there is no complaint file `` and nothing)."""
    if not path.strip() and not _lexists(path):
        alternative = ", or - to read it from standard input" if stdin else ""
        raise CliInputError(f"the {what} file name is empty; give the path of the {what} file{alternative}")


def _lexists(path: str) -> bool:
    try:
        return os.path.lexists(path)
    except (OSError, ValueError):
        return False


def _unreadable(path: str, what: str, error: OSError | ValueError) -> CliInputError:
    if isinstance(error, FileNotFoundError):
        return CliInputError(f"there is no {what} file {path}")
    reason = why_unusable(error)
    return CliInputError(f"cannot read the {what} file {path}: {reason}")


def _refused(path: str, what: str, error: InvalidInputError) -> CliInputError:
    if not os.path.lexists(path):
        return CliInputError(f"there is no {what} file {path}")
    return CliInputError(f"the {what} file {path} {error.problems[0].message}")


def regular_file(path: str, what: str) -> Path:
    """``path`` when it names a regular file (or a symbolic link to one); else an error saying what it is.

    Directories, named pipes, devices (``/dev/zero``) and sockets are refused
    before anything opens them: one could hang the command, another feed it
    without end. An empty name is refused as empty.
    """
    _named(path, what)
    try:
        check_regular_file(path)
    except InvalidInputError as error:
        raise _refused(path, what, error) from None
    return Path(path)


def open_input(path: str, what: str) -> IO[bytes]:
    """``path`` opened for reading in binary: a regular file, checked before and after it is opened.

    It is opened non-blocking, so a named pipe swapped in after the first
    check cannot hang the command, and checked again on the open file.
    """
    _named(path, what)
    try:
        return open_regular_file(path)
    except InvalidInputError as error:
        raise _refused(path, what, error) from None


def _read_stdin(what: str, size: int) -> bytes:
    """Up to ``size`` bytes of standard input; a host that runs :func:`~recovery_rules.cli.main` in-process
    may have replaced it with a text stream, or have none."""
    if sys.stdin is None:
        raise CliInputError(f"there is no standard input to read the {what} from; give the {what} file")
    binary = getattr(sys.stdin, "buffer", None)
    if binary is not None:
        return bytes(binary.read(size))
    return str(sys.stdin.read(size)).encode("utf-8", "surrogateescape")[:size]


def read_text(path: str, what: str, *, limit: int = MAX_INPUT_BYTES) -> str:
    """The UTF-8 text of ``path`` (``-`` for standard input), or a clear error naming ``what`` it is.

    Only a regular file is read (symbolic links followed), and at most ``limit``
    + 1 bytes of it, whatever the file claims to be: a FIFO, a device or a
    directory is refused without waiting on it.
    """
    _named(path, what, stdin=True)
    if path == "-":
        try:
            raw = _read_stdin(what, limit + 1)
        except OSError as error:
            raise _unreadable(path, what, error) from None
        if len(raw) > limit:
            raise CliInputError(f"the {what} on standard input is larger than {limit:,} bytes")
    else:
        try:
            raw = read_regular_file(path, limit=limit)
        except InvalidInputError as error:
            raise _refused(path, what, error) from None
    try:
        return decode_text(raw)  # without a byte-order mark, as some Windows editors save UTF-8
    except InvalidInputError as error:  # "path:3:7: the WHAT file is not UTF-8 text: the byte 0xe9 ..."
        raise _syntax_error(error.problems[0], path, what) from None


def read_data_file(path: str, what: str) -> tuple[Any, str, str]:
    """The parsed content of a TOML or JSON file, with its text and format.

    ``-`` reads standard input, which has no name to tell its format by: JSON when its first character (after
    white space) is ``{``, as every JSON file of data begins, else TOML, which never begins so; an error in
    it says which format it was read as, and why.
    """
    _named(path, what, stdin=True)
    if path == "-":
        text = read_text(path, what)
        format = "json" if text.lstrip().startswith("{") else "toml"
        return _parse(text, format, path, what, read_as=_STDIN_READ_AS[format]), text, format
    named = file_format(Path(path))
    if named not in ("toml", "json"):
        raise CliInputError(f"the {what} file {path} must be .toml or .json")
    text = read_text(path, what)
    return _parse(text, named, path, what), text, named


_STDIN_READ_AS: Final = {
    "json": "standard input that begins with '{' is read as JSON",
    "toml": "standard input is read as TOML unless it begins with '{', as JSON does",
}
"""Why standard input was read in the format it was: said in the error of one that does not parse."""


def _parse(text: str, format: str, path: str, what: str, *, read_as: str = "") -> Any:
    """The data of ``text``, a ``format`` file; else an error saying where it breaks, as a policy's does.

    The message reads ``cases.toml:2:9: the test cases file is not valid TOML: ...``, and with ``--json``
    the problem has that line and column. ``read_as``: why ``text`` was read as ``format``, said after it
    (standard input's, which has no name to tell it by).
    """
    try:
        return tomllib.loads(text) if format == "toml" else json.loads(text)
    except tomllib.TOMLDecodeError as error:  # it says where: "... (at line 2, column 9)"
        problem = Problem("", hint_for(with_syntax_hint(f"is not valid TOML: {error}", text, error), what))
    except json.JSONDecodeError as error:
        problem = Problem(
            f"line {error.lineno}, column {error.colno}",
            hint_for(with_syntax_hint(f"is not valid JSON: {error.msg}", text, error), what),
        )
    except RecursionError:
        problem = Problem("", "is nested too deeply")
    except (ValueError, TypeError, OverflowError) as error:  # beside syntax: an integer of 5,000 digits
        problem = parse_problem(error, text, format)
    raise _syntax_error(problem, path, what, read_as=read_as) from None


_POLICY_HINTS: Final = (
    ("the file is empty: a policy is a table { ... }", "the file is empty: write the {what} as a table {{ ... }}"),
    ("a TOML policy is read as TOML, from a file named .toml", "{toml}"),
    ("a JSON policy is read as JSON, from a file named .json", "{json}"),
    ("a YAML policy is read as YAML, from a file named .yaml", "{yaml}"),
    ("remove what follows the end of the policy (its last }), or put both in one table", "{extra}"),
)
"""The library's syntax hints that speak of a policy file, and what they say of another (``{what}``)."""


def hint_for(message: str, what: str) -> str:
    """``message``, a syntax error worded with the library's hints for a policy file, said of the ``what`` file
    read instead (a complaint, test cases, recorded complaints): a complaint and recorded complaints are JSON alone."""
    toml = {
        "complaint": "a complaint is read as JSON alone",
        "recorded complaints": "recorded complaints are JSON Lines alone: one JSON object a line",
    }.get(what, f"{what} in TOML are read from a .toml file")
    json_ = f"{what} in JSON are read from a .json file"
    yaml = f"{what} are never read as YAML"
    extra = (
        "one JSON object a line: put the second on a line of its own"
        if what == "recorded complaints"
        else "remove what follows the end of the complaint (its last }): a file holds one complaint"
        if what == "complaint"
        else f"remove what follows the end of the {what} (its last }}), or put both in one table"
    )
    for said, instead in _POLICY_HINTS:
        message = message.replace(said, instead.format(what=what, toml=toml, json=json_, yaml=yaml, extra=extra))
    return message


def _syntax_error(problem: Problem, path: str, what: str, *, read_as: str = "") -> CliInputError:
    """The error of a file that does not parse: ``path:line:column: the WHAT file MESSAGE``, the place
    taken from the problem's location or message (``line 2, column 9``), as the policy's syntax errors are;
    standard input's (``path`` ``-``) is ``-:line:column: standard input (the WHAT) MESSAGE (READ_AS)``."""
    said = _LINE_COLUMN.fullmatch(problem.location) or _LINE_COLUMN.search(problem.message)
    if said:
        problem = dataclasses.replace(problem, line=int(said[1]), column=int(said[2]))
    (located,) = locate_problems([problem], None, None)
    where = f"{path}:{located.position}" if located.position else path
    source = f"standard input (the {what})" if path == "-" else f"the {what} file"
    message = f"{located.message} ({read_as})" if read_as else located.message
    return CliInputError(f"{where}: {source} {message}", problems=[located.to_json()])


# -- policies -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadedPolicy:
    """A policy and where it came from: ``spec`` as given on the command line, ``path`` the file read."""

    policy: Policy
    spec: str
    path: Path


def is_preset(spec: str) -> bool:
    """Whether ``spec`` names a preset, as :func:`presets.path` reads names (``ritz-carlton``, ``ritz_carlton``)."""
    try:
        presets.path(spec)
    except InvalidInputError:
        return False
    return True


def policy_path(spec: str) -> Path:
    """The file of a policy given as a path or a preset name (``ritz-carlton``)."""
    if not spec.strip() and not _lexists(spec):  # Path("") is the current folder: "the policy file . is not a file"
        raise CliInputError(
            "the policy is empty: give a policy file (.toml, .json or .yaml) "
            f"or the name of a preset: {', '.join(presets.NAMES)}"
        )
    if is_preset(spec):
        return presets.path(spec)
    path = Path(spec)
    if file_format(path) is None and not _exists(path):
        raise CliInputError(
            f"there is no policy {spec!r}: give a policy file (.toml, .json or .yaml) "
            f"or the name of a preset: {', '.join(presets.NAMES)}"
        )
    return path


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long for the file system, say: there is no such file
        return False


def policy_problems(path: Path) -> tuple[Policy | None, list[LocatedProblem]]:
    """Load the policy at ``path``: the policy, or every problem with its line in the file.

    ``path`` must be a regular file (:func:`regular_file`): the command line
    never hands the library a pipe or a device to read.
    """
    regular_file(str(path), "policy")
    try:
        return Policy.from_file(path), []
    except PolicyError as error:  # each problem placed on its line by the library, where it can be
        return None, locate_problems(error.problems, None, None)


def load_policy(spec: str, *, option: str | None = "--policy") -> LoadedPolicy:
    """The policy ``spec`` names, or a :class:`CliInputError` listing every problem with its line.

    ``option`` is the option that gave it (``--policy``, ``--candidate``), which leads each message; a
    policy given as an argument (``prove POLICY``, ``test POLICY CASES``: ``option=None``) is named by
    what was typed, as ``check`` names it: ``there is no policy file missing.toml``,
    ``the policy broken.toml does not load``.
    """
    lead = f"{option}: " if option else ""
    try:
        path = policy_path(spec)
    except CliInputError as error:  # said as ever ("there is no policy 'nope'"), at the option for --json
        at_option = [problem_json(option, error.message)] if option else []
        raise CliInputError(error.message, problems=at_option) from None
    if not _exists(path):
        raise CliInputError(f"{lead}there is no policy file {spec}")
    try:
        regular_file(str(path), "policy")
    except CliInputError as error:
        raise CliInputError(f"{lead}{error.message}") from None
    try:
        policy, problems = policy_problems(path)
    except (InvalidInputError, ImportError) as error:  # a missing optional dependency (YAML) or a bad preset name
        raise CliInputError(f"{option or spec}: {error}") from None
    if policy is None:
        count = f"{len(problems)} problems" if len(problems) > 1 else "1 problem"
        raise problems_error(
            f"{lead}the policy {spec} does not load ({count})", problems, spec if is_preset(spec) else str(path)
        )
    return LoadedPolicy(policy, spec, path)


# -- complaints, amounts, times --------------------------------------------------


def load_complaint(path: str, *, currency: str | None = None) -> Complaint:
    """The complaint in the JSON file ``path`` (``-``: standard input)."""
    return read_complaint(path, currency=currency)[0]


def read_complaint(path: str, *, currency: str | None = None) -> tuple[Complaint, str]:
    """The complaint in the JSON file ``path`` (``-``: standard input), with the file's text: to place the
    problems a policy finds in it (a remedy kind it does not have) at their line and column. ``currency``: the
    policy's, the currency of the examples of an amount's problems (else dollars)."""
    text = read_text(path, "complaint")
    data = _parse(text, "json", path, "complaint")
    try:
        return Complaint.model_validate(data, context={"currency": currency}), text
    except InvalidInputError as error:
        problems = locate_problems(error.problems, text, "json")
        raise problems_error(
            f"{path} is not a valid complaint",
            problems,
            path,
            after="\n(`recovery-rules schema complaint` prints the JSON Schema of a complaint)",
        ) from None


def parse_amount(text: str, currency: str, *, option: str) -> Money:
    """An amount from the command line: ``150``, ``150.00`` (in ``currency``) or ``150.00 USD``."""
    try:
        money = (
            Money.validate(text, context={"currency": currency})
            if " " in text.strip()
            else Money(text.strip(), currency)
        )
    except InvalidInputError as error:
        raise CliInputError(f"{option}: {error.problems[0].message}") from None
    if money.currency != currency:
        raise CliInputError(
            f"{option}: {money} is in {money.currency} but the policy's currency is {currency}; "
            "recovery-rules never converts currencies"
        )
    if money.amount < 0:
        raise CliInputError(f"{option}: must not be negative")
    return money


_WINDOW_PARTS: Final = re.compile(r"[;\s]+(?=[A-Za-z0-9]+=)|;")
"""Where one ``--granted`` holding several ``WINDOW=AMOUNT`` splits: before each window, or at a ``;``."""


def parse_granted(texts: Iterable[str], policy: Policy, *, option: str) -> Money | dict[Window, Money] | None:
    """What was already granted, from ``--granted`` given once (``150.00``: one amount for every window) or once
    per window of ``policy`` (``incident=150.00``, ``30d=8000.00``); ``None`` when not given."""
    # Several windows may come in one option too, as the console's form takes them: "incident=0 30d=900".
    given = [part for text in texts for part in _WINDOW_PARTS.split(text.strip()) if part] if texts else []
    if not given:
        if texts:  # given, but empty ("$GRANTED" unset): not the same as leaving the option out
            raise CliInputError(
                f"{option}: is empty; give what was already granted (0 for nothing), or leave {option} out"
            )
        return None
    windows = policy.windows
    known = ", ".join(str(window) for window in windows)
    apart = [text for text in given if "=" in text]
    if not apart:
        if len(given) > 1:
            raise CliInputError(
                f"{option}: given {len(given)} times; give one amount for every window, or WINDOW=AMOUNT once for "
                f"each of the policy's windows ({known})"
            )
        return parse_amount(given[0], policy.currency, option=option)
    if len(apart) != len(given):
        raise CliInputError(
            f"{option}: mixes one amount with WINDOW=AMOUNT; give one amount for every window, or WINDOW=AMOUNT "
            f"once for each of the policy's windows ({known})"
        )
    found: dict[Window, Money] = {}
    for text in given:
        name, _, amount = text.partition("=")
        try:
            window = Window.parse(name.strip())
        except InvalidInputError:
            window = None
        if window is None or window not in windows:
            raise CliInputError(f"{option}: {name.strip()!r} is not a window of the policy; its windows are: {known}")
        if window in found:
            raise CliInputError(
                f"{option}: gives the window {window} twice; give each window once, with the total already "
                f"granted in it ({option} {window}=AMOUNT)"
            )
        found[window] = parse_amount(amount, policy.currency, option=f"{option} {window}")
    missing = [str(window) for window in windows if window not in found]
    if missing:
        raise CliInputError(
            f"{option}: no amount for the window {', '.join(missing)}; give WINDOW=AMOUNT once for each of the "
            f"policy's windows ({known}), or one amount for all of them"
        )
    return {window: found[window] for window in windows}


def parse_chain_head(text: str, *, option: str) -> ChainHead:
    """A chain head from the command line, in its ``COUNT:HASH`` form (a report or ``verify`` prints it)."""
    try:
        return ChainHead.parse(text)
    except InvalidInputError as error:
        problem = error.problems[0]
        where = f"{problem.location}: " if problem.location else ""
        raise CliInputError(f"{option}: {where}{problem.message}") from None


def check_head_order(expected: ChainHead | None, resumed: ChainHead | None) -> None:
    """Refuse ``--expected-head`` before ``--resume-from``: the check starts after the head it resumes from."""
    if expected is not None and resumed is not None and resumed.count and expected.count < resumed.count:
        raise CliInputError("--expected-head: must not be before --resume-from: the check starts after it")


def read_key_file(path: str, *, option: str) -> bytes:
    """A ledger key from the file an option names (hexadecimal text); the key never appears in a message."""
    file_name_given(path, option, f"give the file holding the ledger key as hexadecimal text ({option} ledger.key)")
    try:
        return read_ledger_key(path)
    except InvalidInputError as error:
        raise CliInputError(f"{option}: {path}: {error.problems[0].message}") from None


def parse_time(text: str, *, option: str) -> dt.datetime:
    """A timezone-aware ISO 8601 time from the command line (``2026-11-23T15:00:00Z``), within the years
    :data:`EARLIEST` and :data:`LATEST` span."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise CliInputError(
            f"{option}: {'needs a time zone' if moment else 'is not an ISO 8601 time'}; write it like "
            "2026-11-23T15:00:00Z or 2026-11-23T10:00:00-05:00"
        )
    return within_range(moment, option=option)


def within_range(moment: dt.datetime, *, option: str) -> dt.datetime:
    """``moment`` (timezone-aware) when it lies between :data:`EARLIEST` and :data:`LATEST`; else an error."""
    if not EARLIEST <= moment < LATEST:
        raise CliInputError(
            f"{option}: {moment.isoformat()} is out of range; give a time between the years "
            f"{EARLIEST.year} and {LATEST.year - 1} (in UTC)"
        )
    return moment


def show_time(moment: dt.datetime, zone: dt.tzinfo | None, format: str = "%Y-%m-%d %H:%M %Z") -> str:
    """``moment`` in the time zone ``zone``, as ``format`` writes it; as recorded (ISO 8601) when the
    calendar cannot hold it there (a time a journal holds near the year 1 or 9999)."""
    try:
        return moment.astimezone(zone).strftime(format)
    except (OverflowError, ValueError):
        return moment.isoformat()
