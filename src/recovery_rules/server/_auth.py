"""Who may act: bearer tokens, kept in a token file as SHA-256 hashes, each mapped to an employee and a level.

A token file is TOML or JSON holding a list ``tokens`` of entries ``{sha256, employee, level}``::

    [[tokens]]
    sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    employee = "e-1042"
    level = "staff"

The server never stores a token, only its hash: a token is 32 random bytes (``rr_`` and 43 URL-safe
characters), so one round of SHA-256 is the standard protection (as for API keys: nothing to guess, so no
slow hash is needed). A presented token is hashed and compared with every entry in constant time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import re
import secrets
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

from recovery_rules import InvalidInputError, Problem
from recovery_rules.files import read_regular_file

__all__ = ["Employee", "Tokens", "hash_token", "mint_token", "token_entry"]

_HASH: Final = re.compile(r"[0-9a-f]{64}")
_NAME: Final = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
TOKEN_PREFIX: Final = "rr_"  # noqa: S105 - the prefix that marks a token, not a secret
_MAX_TOKEN: Final = 256
_MAX_FILE: Final = 5_000_000
_SPACE: Final = re.compile(r"[ \t\n\r]*")
_SHOWN_KEY: Final = 64
"""The most characters of a key a message shows."""


@dataclasses.dataclass(frozen=True, slots=True)
class Employee:
    """The employee a token belongs to: their id (recorded in the decision log) and their authority level."""

    id: str
    level: str


def hash_token(token: str) -> str:
    """The SHA-256 of ``token``, in lower-case hexadecimal: what the token file holds."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def mint_token() -> tuple[str, str]:
    """A new random token and its hash: give the token to the employee, put the hash in the token file."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token)


def token_entry(digest: str, employee: str, level: str) -> str:
    """The token file's TOML entry for a token's hash, an employee and a level."""
    return f'[[tokens]]\nsha256 = "{digest}"\nemployee = "{employee}"\nlevel = "{level}"\n'


class _RepeatedKeyError(Exception):
    """An object of a JSON token file names ``key`` twice (not a ``ValueError``: it is said apart from those)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _one_value_per_key(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A JSON object of a token file, refused when it names a key twice: Python's ``json`` would keep the last
    value silently (a second ``level`` would win over the first)."""
    found: dict[str, object] = {}
    for key, value in pairs:
        if key in found:
            raise _RepeatedKeyError(key)
        found[key] = value
    return found


def _repeated_key_said(text: str, key: str) -> str:
    """The problem of a JSON token file whose object names ``key`` twice, placed where it is written again (as
    the TOML parser places a key set twice) when it can be found."""
    shown = json.dumps(key if len(key) <= _SHOWN_KEY else key[:_SHOWN_KEY] + "...")
    said = f"is not valid JSON: the key {shown} appears twice in one object"
    offset = _repeated_key_offset(text)
    if offset is not None:
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        said += f" (at line {line}, column {column})"
    return said + "; keep one"


def _repeated_key_offset(text: str) -> int | None:
    """Where the first key an object of ``text`` (JSON) names twice is written again; ``None`` when none is, or
    the text does not read so far."""
    decoder = json.JSONDecoder()
    objects: list[set[str] | None] = []  # the keys of each open object, None for an array
    at = 0
    while at < len(text):
        char = text[at]
        if char == '"':
            try:
                value, end = decoder.raw_decode(text, at)
            except ValueError:
                return None
            after = _SPACE.match(text, end)
            is_key = after is not None and text.startswith(":", after.end())
            keys = objects[-1] if objects else None
            if is_key and keys is not None and isinstance(value, str):
                if value in keys:
                    return at
                keys.add(value)
            at = end
            continue
        if char in "{[":
            objects.append(set() if char == "{" else None)
        elif char in "}]" and objects:
            objects.pop()
        at += 1
    return None


class Tokens:
    """The token file's entries: which token hash belongs to which employee, at which level."""

    __slots__ = ("_entries",)

    def __init__(self, entries: Mapping[str, Employee]) -> None:
        self._entries: tuple[tuple[bytes, Employee], ...] = tuple(
            (digest.encode("ascii"), employee) for digest, employee in entries.items()
        )

    @classmethod
    def from_entries(cls, entries: Iterable[Mapping[str, object]], *, what: str = "token file") -> Tokens:
        """Entries as the file holds them (``sha256``, ``employee``, ``level``), every problem named at once."""
        found: dict[str, Employee] = {}
        seen: set[str] = set()
        problems: list[Problem] = []
        for index, entry in enumerate(entries):
            where = f"tokens[{index}]"
            before = len(problems)
            if not isinstance(entry, Mapping):
                problems.append(Problem(where, "must be a table with sha256, employee and level"))
                continue
            unknown = sorted(set(entry) - {"sha256", "employee", "level"})
            problems.extend(Problem(f"{where}.{name}", "is not a field here; check the spelling") for name in unknown)
            digest, employee, level = entry.get("sha256"), entry.get("employee"), entry.get("level")
            if not isinstance(digest, str) or not _HASH.fullmatch(digest):
                problems.append(
                    Problem(f"{where}.sha256", "must be the token's SHA-256 as 64 lower-case hexadecimal digits")
                )
            elif digest in seen:
                problems.append(Problem(f"{where}.sha256", "is listed twice: each token belongs to one employee"))
            else:
                seen.add(digest)
            for field, value in (("employee", employee), ("level", level)):
                if not isinstance(value, str) or not _NAME.fullmatch(value):
                    problems.append(
                        Problem(f"{where}.{field}", "must be 1 to 64 ASCII letters, digits, '_', '.', '@' or '-'")
                    )
            if len(problems) == before:
                found[str(digest)] = Employee(str(employee), str(level))
        if problems:
            raise InvalidInputError(what, problems)
        return cls(found)

    @classmethod
    def from_file(cls, path: str | Path) -> Tokens:
        """The tokens of a TOML or JSON token file (by its extension)."""
        raw = read_regular_file(path, limit=_MAX_FILE)
        kind = "JSON" if str(path).endswith(".json") else "TOML"
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidInputError.at(
                "token file", "", f"is not UTF-8 text (a bad byte at offset {error.start}): it is no token file"
            ) from None
        try:
            data = json.loads(text, object_pairs_hook=_one_value_per_key) if kind == "JSON" else tomllib.loads(text)
        except _RepeatedKeyError as error:
            raise InvalidInputError.at("token file", "", _repeated_key_said(text, error.key)) from None
        except (ValueError, tomllib.TOMLDecodeError) as error:
            raise InvalidInputError.at("token file", "", f"is not valid {kind}: {error}") from None
        entries = data.get("tokens") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise InvalidInputError.at("token file", "tokens", "must be a list of tables with sha256, employee, level")
        return cls.from_entries(entries, what=f"token file {Path(path).name}")

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def levels(self) -> frozenset[str]:
        """The levels the tokens are of (a level the policy lacks makes its tokens' every step a 403)."""
        return frozenset(employee.level for _, employee in self._entries)

    def employee(self, token: str) -> Employee | None:
        """The employee whose token this is, or ``None``: compared with every entry, in constant time."""
        if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN:
            return None
        try:
            digest = hash_token(token)
        except UnicodeEncodeError:  # a lone surrogate: no token's text
            return None
        return self.holder(digest)

    def holder(self, digest: str) -> Employee | None:
        """The employee whose token has SHA-256 ``digest`` (as the token file writes it), or ``None``: what a
        console session, which names the token by its hash, is checked against at every request."""
        if not isinstance(digest, str) or not _HASH.fullmatch(digest):
            return None
        presented = digest.encode("ascii")
        found = None
        for known, employee in self._entries:
            if hmac.compare_digest(known, presented):
                found = employee
        return found
