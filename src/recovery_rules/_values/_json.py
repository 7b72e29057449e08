"""The JSON values the journal stores, as a type (here, not in the journal, so that the package exports it
without loading the journal)."""

from __future__ import annotations

from typing import TypeAlias

__all__ = ["JSONValue"]

JSONValue: TypeAlias = "str | int | bool | list[JSONValue] | dict[str, JSONValue] | None"
"""A JSON value the journal can store and hash: no floats."""
