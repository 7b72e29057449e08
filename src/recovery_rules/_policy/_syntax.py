"""How to fix the TOML and JSON syntax errors people make most.

The parsers say where a file breaks and what they expected there (``Invalid value``, ``Expecting ','
delimiter``); a reader also needs to know what to write instead. :func:`toml_hint` and :func:`json_hint` look at
the parser's message and at the text where it broke, and give the fix of the usual mistake, or ``None`` when the
mistake is not one of them (then the parser's words stand alone). The messages of Python 3.11 to 3.13 are
recognised (3.13 names a trailing comma in JSON itself).
"""

from __future__ import annotations

import json
import re
from typing import Final

__all__ = ["json_hint", "placed_at_end", "toml_hint"]

_AT: Final = re.compile(r"\(at line (\d+), column (\d+)\)")
_WORD: Final = re.compile(r"[^\W\d][\w.-]*")  # a letter of any script (or _), then letters, digits, _ . -
_CLOSE: Final = {"}": "table (})", "]": "list (])"}
_TOML_FIXES: Final = (
    ("Cannot overwrite a value", "this key is set twice: keep one"),
    (
        "Cannot declare",
        "this table is declared twice: write [name] once, or [[name]] before each item of a list of tables",
    ),
    (
        "Illegal character '\\n'",
        'close the text with its quote on the same line (a text of several lines goes between """ and """)',
    ),
    (
        "Unescaped '\\' in a string",
        "write a backslash as \\\\, or put the text in single quotes, which take it as it is: 'C:\\files'",
    ),
    (
        ("Unclosed array", "Unclosed inline table"),
        "close the list with ] (or the table with }) before the end of the file",
    ),
    ("Invalid date or datetime", "write a real date as 2026-12-25, or quote the text"),
)
"""The fix of a TOML error that its message alone tells, by the message's start."""
_JSON_FIXES: Final = (
    ("Expecting ':' delimiter", 'put a colon between a name and its value: "name": value'),
    ("Extra data", "remove what follows the end of the policy (its last }), or put both in one table"),
    ("Unterminated string", 'close the text with a double quote "'),
    ("Invalid control character", "a text holds no line break or tab as it is: write \\n or \\t"),
    ("Invalid \\escape", "write a backslash in a text as \\\\ (C:\\\\files)"),
)
"""The fix of a JSON error that its message alone tells, by the message's start."""


def _offset(text: str, line: int, column: int) -> int:
    """The offset in ``text`` of ``line`` and ``column`` (both from 1)."""
    lines = text.split("\n")
    return sum(len(earlier) + 1 for earlier in lines[: line - 1]) + column - 1


def _before(text: str, offset: int) -> str:
    """The last character before ``offset`` that is not a space or a line break ("" at the start)."""
    earlier = text[:offset].rstrip()
    return earlier[-1:] if earlier else ""


def _word(text: str, offset: int) -> str:
    found = _WORD.match(text, offset)
    return found[0] if found else ""


_END_OF_DOCUMENT: Final = "(at end of document)"


def placed_at_end(message: str, text: str) -> str:
    """``message`` with ``tomllib``'s "(at end of document)" (a text cut off in a value, a list or a string) replaced
    by the line and column of the end of ``text``, as every other TOML error is placed."""
    if _END_OF_DOCUMENT not in message:
        return message
    line = text.count("\n") + 1
    column = len(text) - (text.rfind("\n") + 1) + 1
    return message.replace(_END_OF_DOCUMENT, f"(at line {line}, column {column})")


def toml_hint(text: str, message: str) -> str | None:
    """How to fix the TOML syntax error ``message`` (``tomllib``'s, with its ``(at line L, column C)``) in
    ``text``; ``None`` when it is not one of the usual mistakes."""
    at = _AT.search(message)
    offset = _offset(text, int(at[1]), int(at[2])) if at else len(text)
    here, word = text[offset : offset + 1], _word(text, offset)
    if message.startswith("Invalid value"):
        if word in {"True", "False"}:
            return f"write {word.lower()}, in lower case"
        if word:
            return f'quote a text: "{word}"'
        return "write a value after the = sign: a text in quotes, a number, true or false, a list [ ] or a table { }"
    if message.startswith("Expected '=' after a key"):
        if here == ":":
            return "write key = value (key: value is YAML: a YAML policy is read as YAML, from a file named .yaml)"
        return 'write key = value, and quote a text that holds spaces: key = "two words"'
    if message.startswith("Invalid initial character for a key part") and _before(text, offset) == ",":
        if here in {"\n", "\r"}:
            return "write a table { } on one line, or as a [table] of its own"
        return "remove the comma before the closing }: a table { } takes none"
    if message.startswith("Expected newline or end of document after a statement"):
        if _before(text, offset).isdigit() and word.isalpha():
            return 'quote an amount written with its currency: "150.00 USD"'
        return 'put each key = value on a line of its own, and quote a text that holds spaces: key = "two words"'
    if message.startswith("Invalid statement") and here in {"{", "["}:
        return "this looks like JSON: a JSON policy is read as JSON, from a file named .json"
    return next((fix for start, fix in _TOML_FIXES if message.startswith(start)), None)


def json_hint(text: str, error: json.JSONDecodeError) -> str | None:
    """How to fix the JSON syntax error ``error`` in ``text``; ``None`` when it is not one of the usual
    mistakes."""
    message, offset = error.msg, error.pos
    here, word, before = text[offset : offset + 1], _word(text, offset), _before(text, offset)
    if message.startswith("Illegal trailing comma") or (here in _CLOSE and before == ","):
        closing = text[offset + 1 : offset + 2] if here == "," else here
        return f"remove the comma before the end of the {_CLOSE.get(closing, 'table or list')}"
    if not text.strip():
        return "the file is empty: a policy is a table { ... }"
    if here == "'":
        return "quote with double quotes: JSON takes no single quotes"
    if text.startswith(("//", "/*", "#"), offset):
        return "remove the comment: JSON has none (TOML and YAML have)"
    if word in {"True", "False"}:
        return f"write {word.lower()}, in lower case"
    if word == "None":
        return "write null"
    if message.startswith("Expecting property name") and word:
        return f'quote the name: "{word}"'
    if message.startswith("Expecting value") and word:
        if not before and text[offset + len(word) :].lstrip().startswith("="):
            return "this looks like TOML: a TOML policy is read as TOML, from a file named .toml"
        return f'quote a text: "{word}"'
    if message.startswith("Expecting ',' delimiter"):
        if offset >= len(text.rstrip()):
            return "the file ends before a table { or a list [ is closed: close it"
        if before.isdigit() and word.isalpha():  # 1500.00 USD: a number, then a word on the same value
            return 'quote an amount written with its currency: "150.00 USD"'
        return "put a comma after the value before this one"
    return next((fix for start, fix in _JSON_FIXES if message.startswith(start)), None)
