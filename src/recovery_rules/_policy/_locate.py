"""Where a value sits in a policy file: line and column for a location such as ``levels[1].limit``.

:class:`~recovery_rules.PolicyError` locates each problem by its path in the
policy's data (``levels[1].tier_limits.gold``). People fix files by line, so
the library maps those paths back to the text they came from, only when a
policy fails to load (``Policy.from_text``, ``Policy.from_file``), and for a
host app through :mod:`recovery_rules.files` (``locate``, ``SourceMap``): a
small scanner for TOML (no TOML library keeps positions), a recursive walk for
JSON (the standard library's own string and number scanners do the tokens) and
the node marks of PyYAML for YAML.

The scanners assume the text is well formed (a syntax error already carries
its own line and column); if they meet anything they do not expect, in text
the parser refused too, they stop and return what they mapped so far: a
location without a line is shown without one, never a crash.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["Path", "Position", "SourceMap", "parse_location", "repeated_json_key", "source_map"]

Path = tuple[str | int, ...]
"""A location as a tuple: ``("levels", 1, "limit")``."""

_PART: Final = re.compile(r"\[(\d+)\]|([^.\[\]]+)")
_MAX_DEPTH: Final = 64


@dataclass(frozen=True, slots=True)
class Position:
    """A place in a file, both counted from 1."""

    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


def parse_location(location: str) -> Path:
    """``"levels[1].tier_limits.gold"`` as ``("levels", 1, "tier_limits", "gold")``."""
    return tuple(int(index) if index else name for index, name in _PART.findall(location))


class SourceMap:
    """The position of every key and array element of one file's data."""

    def __init__(self, text: str, offsets: dict[Path, int]) -> None:
        self._line_starts = [0] + [match.end() for match in re.finditer("\n", text)]
        self._offsets = offsets

    def position(self, offset: int) -> Position:
        line = bisect.bisect_right(self._line_starts, offset)
        return Position(line, offset - self._line_starts[line - 1] + 1)

    def find(self, location: str | Path) -> tuple[Position, Path] | None:
        """The position of ``location``, or of the nearest enclosing value found, and which path that is.

        A missing field is reported where its table starts; ``None`` when not
        even the first part of the path is in the file.
        """
        path = parse_location(location) if isinstance(location, str) else location
        for end in range(len(path), 0, -1):
            offset = self._offsets.get(path[:end])
            if offset is not None:
                return self.position(offset), path[:end]
        return None

    def __len__(self) -> int:
        return len(self._offsets)


def source_map(text: str, format: str) -> SourceMap:
    """Map the paths of ``text`` (a policy file in ``format``: toml, json or yaml) to positions.

    A byte-order mark first (a file saved by Windows Notepad) is read as nothing, as the parsers read it.
    """
    text = text.removeprefix("\ufeff")
    offsets: dict[Path, int] = {}
    try:
        if format == "toml":
            _TomlScanner(text, offsets).document()
        elif format == "json":
            _JsonScanner(text, offsets).document()
        elif format == "yaml":
            _yaml_offsets(text, offsets)
    except (IndexError, ValueError, KeyError, RecursionError, TypeError):
        pass  # keep what was mapped before the surprise (text the parser refused, too); see the module docstring
    return SourceMap(text, offsets)


# -- TOML -----------------------------------------------------------------------

_BARE_KEY: Final = re.compile(r"[A-Za-z0-9_-]+")
_SPACE: Final = re.compile(r"[ \t]*")
_SCALAR_END: Final = re.compile(r"[,\]}#\r\n]")


class _TomlScanner:
    """Just enough of TOML 1.0 to know where each key and array element starts."""

    def __init__(self, text: str, offsets: dict[Path, int]) -> None:
        self.text = text
        self.at = 0
        self.offsets = offsets
        self.table: Path = ()
        self.array_tables: dict[Path, int] = {}  # resolved path of an array of tables -> its last index

    def record(self, path: Path, offset: int) -> None:
        self.offsets.setdefault(path, offset)

    def peek(self, token: str) -> bool:
        return self.text.startswith(token, self.at)

    def not_at_end(self) -> None:
        """Stop the scan at the end of the text inside an array or inline table (unterminated: a syntax error)."""
        if self.at >= len(self.text):
            raise ValueError("the text ends inside an array or inline table")

    def spaces(self) -> None:
        self.at = _SPACE.match(self.text, self.at).end()  # type: ignore[union-attr]  # always matches

    def blank(self) -> None:
        """Skip whitespace, newlines and comments."""
        text = self.text
        while self.at < len(text):
            char = text[self.at]
            if char in " \t\r\n":
                self.at += 1
            elif char == "#":
                end = text.find("\n", self.at)
                self.at = len(text) if end < 0 else end
            else:
                return

    def document(self) -> None:
        while True:
            self.blank()
            if self.at >= len(self.text):
                return
            if self.peek("[["):
                self.array_table_header()
            elif self.peek("["):
                self.table_header()
            else:
                self.key_value(self.table)

    def resolve(self, keys: list[tuple[str, int]]) -> Path:
        """A header's keys as a path, each array of tables on the way replaced by its last element."""
        path: Path = ()
        for key, _ in keys:
            path = (*path, key)
            if path in self.array_tables:
                path = (*path, self.array_tables[path])
        return path

    def table_header(self) -> None:
        start = self.at
        self.at += 1
        keys = self.keys()
        path = self.resolve(keys)
        self.record(path, start)
        self.at = self.text.index("]", self.at) + 1
        self.table = path

    def array_table_header(self) -> None:
        start = self.at
        self.at += 2
        keys = self.keys()
        parent = self.resolve(keys[:-1])
        array = (*parent, keys[-1][0])
        index = self.array_tables.get(array, -1) + 1
        self.array_tables[array] = index
        self.record(array, start)
        self.record((*array, index), start)
        self.at = self.text.index("]]", self.at) + 2
        self.table = (*array, index)

    def keys(self) -> list[tuple[str, int]]:
        """A dotted key: each part with the offset where it starts."""
        keys = []
        while True:
            self.spaces()
            start = self.at
            if self.peek('"'):
                end = self.basic_string_end(self.at)
                keys.append((json.loads(self.text[start:end]), start))
                self.at = end
            elif self.peek("'"):
                end = self.text.index("'", self.at + 1) + 1
                keys.append((self.text[start + 1 : end - 1], start))
                self.at = end
            else:
                match = _BARE_KEY.match(self.text, self.at)
                if match is None:
                    raise ValueError("not a key")
                keys.append((match.group(), start))
                self.at = match.end()
            self.spaces()
            if not self.peek("."):
                return keys
            self.at += 1

    def key_value(self, table: Path) -> None:
        keys = self.keys()
        path = table
        for key, offset in keys:
            path = (*path, key)
            self.record(path, offset)
        if not self.peek("="):
            raise ValueError("expected '='")
        self.at += 1
        self.spaces()
        self.value(path, depth=0)

    def value(self, path: Path, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise ValueError("nested too deeply")
        text = self.text
        for quote in ('"""', "'''"):
            if self.peek(quote):
                end = self.multiline_string_end(quote)
                self.at = end
                return
        if self.peek('"'):
            self.at = self.basic_string_end(self.at)
        elif self.peek("'"):
            self.at = text.index("'", self.at + 1) + 1
        elif self.peek("["):
            self.array(path, depth)
        elif self.peek("{"):
            self.inline_table(path, depth)
        else:
            match = _SCALAR_END.search(text, self.at)
            self.at = len(text) if match is None else match.start()

    def array(self, path: Path, depth: int) -> None:
        self.at += 1
        index = 0
        while True:
            self.blank()
            self.not_at_end()
            if self.peek("]"):
                self.at += 1
                return
            self.record((*path, index), self.at)
            self.value((*path, index), depth + 1)
            index += 1
            self.blank()
            if self.peek(","):
                self.at += 1
            elif not self.peek("]"):  # each turn consumes a comma or ends the array: the scan always ends
                raise ValueError("expected ',' or ']'")

    def inline_table(self, path: Path, depth: int) -> None:
        self.at += 1
        while True:
            self.spaces()
            self.not_at_end()
            if self.peek("}"):
                self.at += 1
                return
            keys = self.keys()
            inner = path
            for key, offset in keys:
                inner = (*inner, key)
                self.record(inner, offset)
            self.at += 1  # the '='
            self.spaces()
            self.value(inner, depth + 1)
            self.spaces()
            if self.peek(","):
                self.at += 1
            elif not self.peek("}"):  # each turn consumes a comma or ends the table: the scan always ends
                raise ValueError("expected ',' or '}'")

    def basic_string_end(self, start: int) -> int:
        """The offset just past the basic string ``"..."`` that starts at ``start``."""
        at = start + 1
        text = self.text
        while text[at] != '"':
            at += 2 if text[at] == "\\" else 1
        return at + 1

    def multiline_string_end(self, quote: str) -> int:
        text = self.text
        at = self.at + 3
        while True:
            if at >= len(text):  # never closed (a literal string reads no character that would fail past the end)
                raise ValueError("unterminated multi-line string")
            if quote == '"""' and text[at] == "\\":
                at += 2
                continue
            if text.startswith(quote, at):
                run = 3
                while run < 5 and at + run < len(text) and text[at + run] == quote[0]:
                    run += 1
                return at + run
            at += 1


# -- JSON -----------------------------------------------------------------------

_DECODER: Final = json.JSONDecoder()
_JSON_SPACE: Final = re.compile(r"[ \t\r\n]*")
_JSON_SCALAR: Final = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|true|false|null")


class _JsonScanner:
    def __init__(self, text: str, offsets: dict[Path, int]) -> None:
        self.text = text
        self.offsets = offsets
        self.repeated: tuple[str, int] | None = None
        """The first key an object holds twice, in the order of the text, and where it is written again."""

    def space(self, at: int) -> int:
        return _JSON_SPACE.match(self.text, at).end()  # type: ignore[union-attr]  # always matches

    def document(self) -> None:
        self.value(self.space(0), (), 0)

    def value(self, at: int, path: Path, depth: int) -> int:
        if depth > _MAX_DEPTH:
            raise ValueError("nested too deeply")
        text = self.text
        self.offsets.setdefault(path, at)
        char = text[at]
        if char == '"':
            return _DECODER.raw_decode(text, at)[1]
        if char == "{":
            at = self.space(at + 1)
            if text[at] == "}":
                return at + 1
            seen: set[str] = set()
            while True:
                key, end = _DECODER.raw_decode(text, at)
                if not isinstance(key, str):  # text the parser refused: a key that is not a string
                    raise ValueError("not JSON")
                if key in seen and self.repeated is None:
                    self.repeated = (key, at)
                seen.add(key)
                self.offsets.setdefault((*path, key), at)
                at = self.space(end)
                at = self.space(at + 1)  # the ':'
                at = self.space(self.value(at, (*path, key), depth + 1))
                if text[at] == "}":
                    return at + 1
                at = self.space(at + 1)  # the ','
        if char == "[":
            at = self.space(at + 1)
            if text[at] == "]":
                return at + 1
            index = 0
            while True:
                at = self.space(self.value(at, (*path, index), depth + 1))
                index += 1
                if text[at] == "]":
                    return at + 1
                at = self.space(at + 1)
        match = _JSON_SCALAR.match(text, at)
        if match is None:
            raise ValueError("not JSON")
        return match.end()


def repeated_json_key(text: str) -> tuple[str, int] | None:
    """The first key an object of ``text`` (JSON) holds twice, and the offset where it is written again; ``None``
    when none is, or when the text cannot be read so far."""
    scanner = _JsonScanner(text, {})
    with contextlib.suppress(IndexError, ValueError, KeyError, RecursionError, TypeError):  # a repeat found first
        scanner.document()
    return scanner.repeated


# -- YAML -----------------------------------------------------------------------


def _yaml_offsets(text: str, offsets: dict[Path, int]) -> None:
    try:
        import yaml  # noqa: PLC0415 - optional dependency; without it YAML policies do not load at all
    except ImportError:
        return
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return

    walked: set[int] = set()

    def walk(node: Any, path: Path, depth: int) -> None:
        if depth > _MAX_DEPTH:
            return
        offsets.setdefault(path, node.start_mark.index)
        if id(node) in walked:  # an alias: its anchor was walked once; walking it again for every alias of
            return  # aliases of aliases would take exponential time (nine levels of nine: 387 million paths)
        walked.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = (*path, str(key_node.value))
                offsets.setdefault(key, key_node.start_mark.index)
                walk(value_node, key, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index), depth + 1)

    if root is not None:
        walk(root, (), 0)
