"""Reading policy files: TOML, JSON and (with the ``yaml`` extra) YAML.

Syntax errors, duplicate keys, files too large or nested too deeply all become
a :class:`~recovery_rules.PolicyError` that names the file and, where the parser
knows it, the line and column.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Final, Literal

from recovery_rules._policy._locate import repeated_json_key
from recovery_rules._values._shown import shown
from recovery_rules.exceptions import InvalidInputError, MissingDependencyError, PolicyError, Problem
from recovery_rules.files import _position, decode_text, parse_problem, read_regular_file, with_syntax_hint

__all__ = ["MAX_POLICY_BYTES", "parse_policy_text", "read_policy_file", "read_policy_text"]

MAX_POLICY_BYTES: Final = 5_000_000
"""Policy files larger than this (5 MB) are refused."""
BYTE_ORDER_MARK: Final = "\ufeff"
"""The UTF-8 byte-order mark some editors (Windows Notepad) put at the start of a file: read as nothing."""

_FORMATS: Final[dict[str, Literal["toml", "json", "yaml"]]] = {
    ".toml": "toml",
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
}


def read_policy_file(path: str | os.PathLike[str]) -> tuple[Any, str]:
    """The parsed content of a policy file, and its name for messages."""
    text, format, source = read_policy_text(path)
    return parse_policy_text(text, format, source=source), source


def read_policy_text(path: str | os.PathLike[str]) -> tuple[str, Literal["toml", "json", "yaml"], str]:
    """The text of a policy file, its format and its name for messages; the file is not parsed.

    Only a regular file is read (symbolic links followed), and at most
    :data:`MAX_POLICY_BYTES` of it: a FIFO, a device, a directory or a file too
    large is a :class:`PolicyError`.
    """
    if isinstance(path, str) and not path:  # Path("") is ".", the current folder: no file was named
        raise PolicyError([Problem("", "the path is empty; give the path of a policy file (.toml, .json or .yaml)")])
    try:
        file = Path(path)
    except TypeError:  # not a path at all, or an os.PathLike of bytes
        raise PolicyError([Problem("", f"the path must be a str or os.PathLike, not {type(path).__name__}")]) from None
    source = str(file)
    format = _FORMATS.get(file.suffix.lower())
    if format is None:
        raise PolicyError(
            [Problem("", f"cannot tell the format from the extension {shown(file.suffix)}; use .toml, .json or .yaml")],
            source=source,
        )
    try:
        raw = read_regular_file(file, limit=MAX_POLICY_BYTES)
    except InvalidInputError as error:
        raise PolicyError(error.problems, source=source) from None
    try:
        text = decode_text(raw)  # without a byte-order mark, as some Windows editors save UTF-8
    except InvalidInputError as error:  # placed at the line and column of the byte
        raise PolicyError(error.problems, source=source) from None
    return text, format, source


def parse_policy_text(text: str, format: Literal["toml", "json", "yaml"], *, source: str) -> Any:
    """Parse the text of a policy file; raises :class:`PolicyError` on any syntax problem."""
    if len(text) > MAX_POLICY_BYTES:
        raise PolicyError([Problem("", f"is longer than {MAX_POLICY_BYTES:,} characters")], source=source)
    text = text.removeprefix(BYTE_ORDER_MARK)  # a file's text read as it was saved, the mark included
    try:
        if format == "toml":
            return _toml(text)
        if format == "json":
            return _json(text)
        if format == "yaml":
            return _yaml(text)
    except json.JSONDecodeError as error:
        raise PolicyError(
            [
                Problem(
                    f"line {error.lineno}, column {error.colno}",
                    with_syntax_hint(f"is not valid JSON: {error.msg}", text, error),
                )
            ],
            source=source,
        ) from None
    except RecursionError:
        raise PolicyError([Problem("", "is nested too deeply to be a policy")], source=source) from None
    except PolicyError as error:
        raise PolicyError(error.problems, source=source) from None
    except (ValueError, TypeError, OverflowError) as error:  # beside syntax: a huge integer, a list as a key...
        raise PolicyError([parse_problem(error, text, format)], source=source) from None
    raise PolicyError([Problem("", f"unknown format {shown(format)}; use toml, json or yaml")], source=source)


def _toml(text: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(
            [Problem("", with_syntax_hint(f"is not valid TOML: {_keys_as_written(str(error))}", text, error))]
        ) from None


_KEY_TUPLE: Final = re.compile(r"\(((?:'[^'\\]*'(?:, )?)+,?)\)")
"""tomllib's key as a Python tuple, ``('business_hours',)`` or ``('levels', 'name')``."""


def _keys_as_written(message: str) -> str:
    """tomllib's message with a key it names as a Python tuple written as in the file: ``[business_hours]``."""
    return _KEY_TUPLE.sub(lambda found: "[" + ".".join(re.findall(r"'([^']*)'", found[1])) + "]", message)


def _json(text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except PolicyError:
        repeated = repeated_json_key(text)
        if repeated is None:
            raise
        key, offset = repeated
        raise PolicyError(
            [
                Problem(
                    _position(text, offset),
                    f"is not valid JSON for a policy: the key {key!r} appears twice in one object; keep one",
                )
            ]
        ) from None


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise PolicyError(
                [Problem("", f"is not valid JSON for a policy: the key {key!r} appears twice in one object")]
            )
        result[key] = value
    return result


def _yaml(text: str) -> Any:
    try:
        import yaml  # noqa: PLC0415 - optional dependency, imported only when a YAML file is read
    except ImportError:
        raise MissingDependencyError("reading YAML policy files", "yaml", "PyYAML") from None

    class _UniqueKeyLoader(yaml.SafeLoader):
        def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
            # A value YAML resolves but Python cannot build (an integer of 5,000 digits, the date
            # 2026-02-30) raises a plain ValueError or TypeError: locate it at its node.
            try:
                return super().construct_object(node, deep=deep)
            except PolicyError:
                raise
            except (ValueError, TypeError, OverflowError) as error:
                mark = node.start_mark
                problem = parse_problem(error, str(node.value) if isinstance(node, yaml.ScalarNode) else "", "yaml")
                raise PolicyError(
                    [Problem(f"line {mark.line + 1}, column {mark.column + 1}", problem.message)]
                ) from None

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            mark = key_node.start_mark
            where = f"line {mark.line + 1}, column {mark.column + 1}"
            if not isinstance(key_node, yaml.ScalarNode):  # "? [a, b]": a list or a table as a key
                raise PolicyError([Problem(where, "a key must be a name, not a list or a table")])
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise PolicyError([Problem(where, f"the key {key!r} appears twice")])
            seen.add(key)
        return loader.construct_mapping(node, deep=deep)

    _UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise PolicyError([_yaml_problem(error, text)]) from None


_YAML_HINTS: Final = (
    ("'\\t'", "indent with spaces: YAML does not allow a tab there"),
    ("mapping values are not allowed", "check the indentation of the line, and quote a value that holds ': '"),
    ("<stream end>", "the file ends before a list [ ], a table { } or a quoted text is closed: close it"),
    ("end of stream", "the file ends before a list [ ], a table { } or a quoted text is closed: close it"),
    ("constructor for the tag", "remove the tag: a policy is plain YAML (tables, lists, texts and numbers)"),
    ("while scanning an alias", "quote the *: unquoted, * starts a YAML alias; write '*' (applies_to: ['*'])"),
    (
        "while parsing a flow",
        "a list [ or a table { opened there is not closed: close it with ] or } on its line, and quote a text that "
        "holds a comma",
    ),
    ("could not find expected ':'", "write key: value, with a space after the colon (window: day)"),
)
"""How to fix the syntax errors people make most, by a phrase of PyYAML's problem."""


def _yaml_problem(error: Exception, text: str) -> Problem:
    """A YAML syntax error as the TOML and JSON ones are: at ``line N, column M`` (from PyYAML's mark), saying
    what is wrong and, for the common mistakes, how to fix it; never PyYAML's own ``in "<unicode string>"``
    lines and caret excerpt, which repeat the place and quote the file."""
    problem, context = getattr(error, "problem", None), getattr(error, "context", None)
    context_mark = getattr(error, "context_mark", None)
    mark = getattr(error, "problem_mark", None) or context_mark
    character, position = getattr(error, "character", None), getattr(error, "position", None)
    location = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    if isinstance(character, int) and isinstance(position, int):  # a ReaderError: a character YAML refuses
        location = _position(text, position)
        said = f"the character {shown(chr(character))} is not allowed in YAML; remove it"
    elif problem or context:
        said = str(problem or context)
        both = f"{said} {context or ''}"  # the hint of what PyYAML found, else of what it was reading
        hint = next((fix for phrase, fix in _YAML_HINTS if phrase in said), None) or next(
            (fix for phrase, fix in _YAML_HINTS if phrase in both), None
        )
        if problem and context:  # "while parsing a flow mapping" and the line it began on: first, as PyYAML says it
            began = f" on line {context_mark.line + 1}" if context_mark is not None else ""
            said = f"{context}{began}: {said}"
        said = f"{said}; {hint}" if hint else said
    else:
        said = str(error).splitlines()[0] if str(error) else type(error).__name__
    return Problem(location, f"is not valid YAML: {said}")
