"""Reading files a user names, safely: regular files only, never more than a cap; and the parse boundary.

Public, for host applications that read files their users name (a complaint as JSON, a test-cases
file): the library reads policy files with it (``Policy.from_file``) and the command line every file
it is given.

A path a user gives may name anything: a FIFO (opening one for reading waits
for a writer, forever), a device (``/dev/zero`` never ends), a directory, a
symbolic link to any of them, or a sparse file that claims terabytes. Only a
regular file is read (checked after symbolic links are followed, and checked
again on the opened file, so a swap between the two is caught too), it is
opened without blocking, and at most the cap plus one byte is read, whatever
its size says. Every refusal is an :class:`~recovery_rules.InvalidInputError`
with one :class:`~recovery_rules.Problem` that callers re-issue as their own
error (a :class:`~recovery_rules.PolicyError` naming the file, a command-line
error naming what the file is).

:func:`locate` and :class:`SourceMap` place a problem found in a file's text
(a location such as ``levels[1].limit``) on its line and column, for a host
that shows people where to fix their file: ``Policy.from_text`` and
``Policy.from_file`` use them on every problem when a policy does not load.

:func:`parse_problem` is the other half of reading a file: the parsers of
TOML, JSON and YAML raise plain ``ValueError``, ``TypeError`` or
``RecursionError`` for some inputs beside their syntax errors (an integer of
more digits than Python converts, a YAML key that is a list); it turns any of
them into a located problem, so no untyped exception leaves a parse.

:func:`syntax_hint` says how to fix the usual TOML and JSON syntax errors (a text not in quotes, a
trailing comma, single quotes, a comment in JSON), which the parsers place but do not explain;
:func:`with_syntax_hint` ends a syntax error's message with it, as the policy's and the command line's are.

:func:`read_ledger_key` reads a journal's ledger key from a file the same safe
way (hexadecimal text), as ``recovery-rules serve`` and ``verify`` take it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import stat
import sys
import tomllib
from collections.abc import Iterable
from typing import BinaryIO, Final

from recovery_rules._policy._locate import parse_location, source_map
from recovery_rules._policy._syntax import json_hint, placed_at_end, toml_hint
from recovery_rules._values._shown import shown
from recovery_rules.exceptions import InvalidInputError, Problem

__all__ = [
    "SourceMap",
    "check_regular_file",
    "decode_text",
    "locate",
    "open_regular_file",
    "parse_problem",
    "read_ledger_key",
    "read_regular_file",
    "syntax_hint",
    "with_syntax_hint",
]

_NONBLOCK: Final[int] = getattr(os, "O_NONBLOCK", 0)
_OPEN_FLAGS: Final = (
    os.O_RDONLY
    | _NONBLOCK  # a FIFO swapped in after the check opens at once instead of waiting
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_CHUNK: Final = 1 << 20
_DIGITS: Final = re.compile(r"[0-9][0-9_]*")
_QUOTED_LIMIT: Final = 200
_FORMATS: Final = ("toml", "json", "yaml")
_LINE_COLUMN: Final = re.compile(r"line (\d+), column (\d+)")


def _refused(message: str) -> InvalidInputError:
    return InvalidInputError.at("file", "", message)


def _argument(name: str, value: object, wanted: str) -> InvalidInputError:
    """The error for an argument a caller passed wrong: what to pass instead, and what was passed."""
    given = shown(value) if type(value) in (int, float) else type(value).__name__
    return InvalidInputError.at("argument", name, f"must be {wanted}; not {given}")


def _limit(limit: object) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise _argument("limit", limit, "a positive int, the most bytes to read (such as 1_000_000)")
    return int(limit)


def _text(text: object, name: str = "text") -> str:
    if not isinstance(text, str):
        raise _argument(name, text, "a str, the file's text (such as path.read_text(encoding='utf-8'))")
    return text


def _format(format: object) -> str:
    if not isinstance(format, str):
        raise _argument("format", format, "a str, one of: " + ", ".join(_FORMATS))
    if format not in _FORMATS:
        raise InvalidInputError.at("file format", "format", f"{shown(format)} is not one of: {', '.join(_FORMATS)}")
    return format


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "something else"


def _check_regular(mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise _refused(f"is not a regular file: it is {_kind(mode)}; give the path of a file")


def _unreadable(error: OSError) -> InvalidInputError:
    if isinstance(error, FileNotFoundError):
        return _refused("cannot be read: there is no such file")
    return _refused(f"cannot be read: {error.strerror or type(error).__name__}")


def check_regular_file(path: str | os.PathLike[str]) -> None:
    """Refuse ``path`` unless it is a regular file once symbolic links are followed (nothing is opened).

    Raises :class:`~recovery_rules.InvalidInputError` (one problem, located ``""``)
    when the path is missing, unreadable or not a regular file.
    """
    if not isinstance(path, str | os.PathLike):
        raise _refused(f"must be a path (a str or os.PathLike), not {type(path).__name__}")
    try:
        mode = os.stat(path).st_mode  # follows symbolic links: the file they lead to must be regular
    except OSError as error:
        raise _unreadable(error) from None
    except (ValueError, TypeError):  # a NUL in the name, a path object that is not text
        raise _refused("is not a valid file name (it contains a NUL character or is not text)") from None
    _check_regular(mode)


def open_regular_file(path: str | os.PathLike[str]) -> BinaryIO:
    """The regular file at ``path``, open for reading in binary (close it, or use it in ``with``).

    Checked before it is opened (a device is never opened at all), opened without
    blocking, and checked again on the open file: the file opened is the one
    checked, not one swapped in between. The caller bounds how much it reads.
    Errors as :func:`check_regular_file`.
    """
    check_regular_file(path)  # before opening: a device is never opened at all
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        raise _unreadable(error) from None
    try:
        _check_regular(os.fstat(descriptor).st_mode)  # the file opened is the one checked, not a swapped one
        if _NONBLOCK:
            os.set_blocking(descriptor, True)
    except BaseException:
        os.close(descriptor)
        raise
    return os.fdopen(descriptor, "rb")


def read_regular_file(path: str | os.PathLike[str], *, limit: int) -> bytes:
    """The bytes of the regular file at ``path``: at most ``limit``, whatever the file's size says.

    A file longer than ``limit`` bytes is refused having read ``limit + 1`` bytes
    at the most, so a sparse or growing file (or a size that lies) cannot
    exhaust memory. Errors as :func:`check_regular_file`, and an
    :class:`~recovery_rules.InvalidInputError` located at ``limit`` unless it is a
    positive ``int`` (checked before anything is opened).
    """
    limit = _limit(limit)
    with open_regular_file(path) as stream:
        try:
            size = os.fstat(stream.fileno()).st_size
            if size > limit:
                raise _refused(f"is {size:,} bytes; the most is {limit:,}")
            chunks = []
            left = limit + 1
            while left > 0:
                chunk = stream.read(min(left, _CHUNK))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
        except OSError as error:
            raise _unreadable(error) from None
    raw = b"".join(chunks)
    if len(raw) > limit:
        raise _refused(f"is larger than {limit:,} bytes (the most)")
    return raw


_KEY_FILE_LIMIT: Final = 1024
_KEY_BYTES: Final = 32
"""The least a ledger key has: the journal's own check asks the same (kept here, a layer below the journal, so
that reading a key file does not load the journal; a test holds the two equal)."""
_HEXADECIMAL: Final = re.compile(r"[0-9A-Fa-f]+")
"""The most :func:`read_ledger_key` reads of a key file: a key is 64 hexadecimal digits or a few more."""


def read_ledger_key(path: str | os.PathLike[str], *, what: str = "ledger key") -> bytes:
    """The ledger key in the file at ``path``: hexadecimal text, as ``secrets.token_hex(32)`` writes it.

    Spaces and line ends around the digits are ignored; nothing else may be in the
    file (not even spaces between the digits). Errors as :func:`read_regular_file`,
    one for a file that does not hold hexadecimal text alone, and one for a key
    shorter than the 32 bytes the journal asks of a ledger key (so that the file
    is named, not the journal); the key itself, or what might be part of it,
    never appears in a message. ``what`` names the key in that message (the service's ``"session key"`` is
    read the same way).
    """
    raw = read_regular_file(path, limit=_KEY_FILE_LIMIT)
    how = "(make one with python -c 'import secrets; print(secrets.token_hex(32))')"
    try:
        text = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        text = "not hexadecimal"
    if not text:
        raise _refused(f"is empty: it must hold the key as hexadecimal text {how}")
    if not _HEXADECIMAL.fullmatch(text) or len(text) % 2:
        raise _refused(f"must hold the key as hexadecimal text alone, two digits a byte {how}")
    key = bytes.fromhex(text)
    if len(key) < _KEY_BYTES:
        raise _refused(f"holds a key of {len(key)} bytes; a {what} has at least {_KEY_BYTES} {how}")
    return key


def _position(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


_BYTE_ORDER_MARK: Final = "\ufeff"
_UTF16_MARKS: Final = (b"\xff\xfe", b"\xfe\xff")
_UTF32_MARKS: Final = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")  # UTF-32 LE's begins with UTF-16 LE's


def decode_text(raw: bytes) -> str:
    """The text of a file's bytes, read as UTF-8, without the byte-order mark some editors (Windows Notepad) put
    first; else an :class:`~recovery_rules.InvalidInputError` placing the first byte that is not UTF-8.

    Its one problem is located at ``line N, column M`` (also its ``line`` and ``column``: the line counted in
    the bytes before it, the column in characters, as an editor counts them) and names the byte:
    ``is not UTF-8 text: the byte 0xe9 cannot be read as UTF-8; save the file as UTF-8``; a file in
    UTF-16 (which begins with its byte-order mark) is said to be. ``raw`` must be ``bytes`` (an
    :class:`~recovery_rules.InvalidInputError` otherwise).
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise _argument("raw", raw, "the file's bytes")
    raw = bytes(raw)
    try:
        return raw.decode("utf-8").removeprefix(_BYTE_ORDER_MARK)
    except UnicodeDecodeError as error:
        start = error.start
    line_start = raw.rfind(b"\n", 0, start) + 1
    line = raw.count(b"\n", 0, start) + 1
    before = raw[line_start:start].decode("utf-8")  # valid: the error is at the first byte that is not
    column = len(before.removeprefix(_BYTE_ORDER_MARK) if line_start == 0 else before) + 1
    if raw.startswith(_UTF32_MARKS):
        line, column = 1, 1
        marks = " ".join(f"0x{byte:02x}" for byte in raw[:4])
        said = f"it is UTF-32 text (it begins with UTF-32's byte-order mark, the bytes {marks})"
    elif raw.startswith(_UTF16_MARKS):
        said = f"it is UTF-16 text (it begins with UTF-16's byte-order mark, the bytes 0x{raw[0]:02x} 0x{raw[1]:02x})"
    else:
        said = f"the byte 0x{raw[start]:02x} cannot be read as UTF-8"
    where = f"line {line}, column {column}"
    problem = Problem(where, f"is not UTF-8 text: {said}; save the file as UTF-8", line, column)
    raise InvalidInputError("file", [problem])


def syntax_hint(text: str, error: Exception) -> str | None:
    """How to fix the syntax error ``error`` that :mod:`tomllib` or :mod:`json` raised on ``text``, or ``None``.

    The usual mistakes get a fix, said as the policy's other messages are: a text not in quotes (``quote a
    text: "hello"``), ``True`` for ``true``, a key set twice, ``key: value`` in TOML, an amount with its
    currency not in quotes, a trailing comma, single quotes or a comment in JSON, a backslash not doubled, a
    file of the other format. Any other error, or an exception of another kind, gives ``None``: the parser's
    own words stand alone. ``text`` must be a ``str`` (an :class:`~recovery_rules.InvalidInputError` otherwise).

    >>> import tomllib
    >>> try:
    ...     tomllib.loads("name = Harbour")
    ... except tomllib.TOMLDecodeError as error:
    ...     print(f"{error}; {syntax_hint('name = Harbour', error)}")
    Invalid value (at line 1, column 8); quote a text: "Harbour"
    """
    text = _text(text)
    if isinstance(error, json.JSONDecodeError):
        return json_hint(text, error)
    if isinstance(error, tomllib.TOMLDecodeError):
        return toml_hint(text, str(error))
    return None


def with_syntax_hint(said: str, text: str, error: Exception) -> str:
    """``said`` (``is not valid TOML: ...``), followed by ``; `` and :func:`syntax_hint`'s fix when there is one:
    how the library and the command line word every TOML and JSON syntax error. A TOML error ``tomllib`` says is
    "(at end of document)" is placed there, at the line and column of the end of ``text``, as every other is."""
    if isinstance(error, tomllib.TOMLDecodeError) and isinstance(text, str):
        said = placed_at_end(said, text)
    hint = syntax_hint(text, error)
    return f"{said}; {hint}" if hint else said


def parse_problem(error: BaseException, text: str, format: str) -> Problem:
    """The located problem for an exception a parser of ``format`` raised on ``text`` besides its syntax errors.

    An integer longer than Python converts (``sys.get_int_max_str_digits()``,
    4,300 digits unless the host changed it) is located at its first digit; too
    deep a nesting is said so; anything else is reported with the parser's own
    words, shortened. ``text`` must be a ``str`` (an
    :class:`~recovery_rules.InvalidInputError` otherwise).
    """
    text = _text(text)
    name = _format(format).upper()
    if not isinstance(error, BaseException):
        raise _argument("error", error, "the exception the parser raised, such as a ValueError")
    if isinstance(error, RecursionError):
        return Problem("", "is nested too deeply")
    try:
        said = str(error)
    except Exception:  # an exception of the caller's whose __str__ fails: named by its type
        said = ""
    most = sys.get_int_max_str_digits()
    if isinstance(error, ValueError) and "integer string conversion" in said and most:
        for match in _DIGITS.finditer(text):
            digits = len(match[0]) - match[0].count("_")
            if digits > most:
                return Problem(
                    _position(text, match.start()),
                    f"is a number of {digits:,} digits; the most that can be read is {most:,}, "
                    "and no amount or count is that long",
                )
        return Problem("", f"holds a number of more than {most:,} digits; no amount or count is that long")
    if isinstance(error, TypeError) and "unhashable" in said:
        return Problem("", f"is not valid {name} for this file: a key must be a name, not a list or a table")
    said = said if len(said) <= _QUOTED_LIMIT else said[: _QUOTED_LIMIT - 3] + "..."
    return Problem("", f"is not valid {name}: {said or type(error).__name__}")


# -- where a problem is in a file's text ------------------------------------------


class SourceMap:
    """The line and column of every key and array element of one file's text, to place many problems.

    ``SourceMap(text, format)`` reads ``text`` once (``format``: ``toml``,
    ``json`` or ``yaml``, the last with the ``yaml`` extra); :meth:`find` and
    :meth:`locate` then look locations up in it. Text that does not parse is
    mapped as far as it reads, never an error: a location past that point has
    no line. Building the map costs about as much as parsing the text, so a
    host builds it when something needs placing, not for every file it reads.
    A ``text`` that is not a ``str``, or another format, is an
    :class:`~recovery_rules.InvalidInputError`.
    """

    __slots__ = ("_map",)

    def __init__(self, text: str, format: str) -> None:
        format = _format(format)
        self._map = source_map(_text(text), format)

    def find(self, location: str, *, exact: bool = False) -> tuple[int, int] | None:
        """``(line, column)`` of ``location`` (``levels[1].limit``), both counted from 1; ``None`` if not placed.

        A location not written in the text (a missing field) is placed where
        the nearest value enclosing it starts (its table, ``[[levels]]``),
        unless ``exact``; ``None`` when not even its first part is in the text.
        """
        if not isinstance(location, str):
            raise _argument("location", location, "a str, a location such as 'levels[1].limit'")
        hit = self._map.find(location)
        if hit is None or (exact and hit[1] != parse_location(location)):
            return None
        position = hit[0]
        return position.line, position.column

    def locate(self, problems: Iterable[Problem]) -> tuple[Problem, ...]:
        """``problems`` in the same order, each with its ``line`` and ``column`` set where they can be found.

        A problem that has a line keeps it; a syntax error says its own
        (``line 3, column 9`` as its location or in its message); any other
        is placed by its location, as :meth:`find` does. The rest are
        returned as they are. Anything but an iterable of
        :class:`~recovery_rules.Problem` is an :class:`~recovery_rules.InvalidInputError`.
        """
        if isinstance(problems, str | bytes) or not isinstance(problems, Iterable):
            raise _argument("problems", problems, "an iterable of Problem, such as error.problems")
        placed = []
        for problem in problems:
            if not isinstance(problem, Problem):
                raise _argument("problems", problem, "an iterable of Problem, such as error.problems")
            placed.append(self._place(problem))
        return tuple(placed)

    def _place(self, problem: Problem) -> Problem:
        if problem.line is not None:
            return problem
        said = _LINE_COLUMN.fullmatch(problem.location) or _LINE_COLUMN.search(problem.message)
        if said:
            return dataclasses.replace(problem, line=int(said[1]), column=int(said[2]))
        found = self.find(problem.location) if problem.location else None
        if found is None:
            return problem
        return dataclasses.replace(problem, line=found[0], column=found[1])


def locate(text: str, format: str, location: str) -> tuple[int, int] | None:
    """``(line, column)`` of ``location`` (``levels[1].limit``) in ``text``, a file in ``format``; or ``None``.

    For one location; :class:`SourceMap` reads the text once for many. A
    missing field is placed where its table starts, as :meth:`SourceMap.find`
    does. Raises :class:`~recovery_rules.InvalidInputError` for a format other
    than ``toml``, ``json`` or ``yaml``, and for a ``text`` or ``location`` that is not a ``str``.
    """
    return SourceMap(text, format).find(location)
