"""The field types of the command line's own input files: test cases and recorded complaints.

A test case or a recorded complaint names a level, gives free text and times, as a complaint or a
policy does; these types check them the way the library checks its own models' fields, in the same
words (``tests/test_cli_public_api.py`` holds them to it):

- :data:`Word`: a level's name, a word of a policy's vocabulary (``front_desk``);
- :data:`FreeText`: text people write, at most 10,000 characters, no NUL;
- :data:`InputTime`: a timezone-aware time, never a number, from the year 1900 to 8999 in UTC, the
  years every time the command line reads lies in (:data:`~recovery_rules.cli._inputs.EARLIEST`).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Final

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from ._inputs import EARLIEST, LATEST

__all__ = ["WORD", "FreeText", "InputTime", "Word"]

WORD: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")
"""What a :data:`Word` is, for checks outside a model: a lower-case word of at most 64 characters."""

_WORD_PATTERN: Final = re.compile(r"[a-z][a-z0-9_]*")
_WORD_LONGEST: Final = 64
_WORD_IS: Final = "a lower-case word of ASCII letters, digits and '_' that starts with a letter"
_WORD_EXAMPLE: Final = "room_not_ready"
_TEXT_LONGEST: Final = 10_000
_NUMBER_TEXT: Final = re.compile(r"\s*[-+]?[0-9]+(?:\.[0-9]*)?\s*")
_TIME_HINT: Final = "must be a date and time with a time zone, such as 2026-11-23T09:30:00+00:00"


def _word(value: str) -> str:
    if not value:
        raise PydanticCustomError("empty", f"must not be empty; write {_WORD_IS}, such as {_WORD_EXAMPLE!r}")
    if len(value) > _WORD_LONGEST:
        raise PydanticCustomError("too_long", f"is {len(value):,} characters long; the most is {_WORD_LONGEST}")
    if not _WORD_PATTERN.fullmatch(value):
        raise PydanticCustomError("pattern", f"must be {_WORD_IS}, such as {_WORD_EXAMPLE!r}")
    return value


def _text(value: str) -> str:
    if len(value) > _TEXT_LONGEST:
        raise PydanticCustomError("too_long", f"is {len(value):,} characters long; the most is {_TEXT_LONGEST:,}")
    if "\x00" in value:
        raise PydanticCustomError("nul", "must not contain NUL characters")
    return value


def _not_a_number(value: object) -> object:
    # pydantic reads a number (or a string of digits) as seconds since 1970, or as milliseconds when
    # it is large: a count that could mean either is not a time, and true is not one either.
    if isinstance(value, bool):
        raise PydanticCustomError("time_bool", _TIME_HINT + ", not true or false")
    if isinstance(value, int | float | Decimal) or (isinstance(value, str) and _NUMBER_TEXT.fullmatch(value)):
        raise PydanticCustomError(
            "time_number", _TIME_HINT + " (a number is refused: seconds and milliseconds cannot be told apart)"
        )
    return value


def _in_range(value: dt.datetime) -> dt.datetime:
    try:
        utc = value.astimezone(dt.UTC)
    except OverflowError:  # 0001-01-01T00:00:00+05:00 is before the first time Python can hold in UTC
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise PydanticCustomError(
            "datetime_range",
            f"is out of range: a time must be from the year {EARLIEST.year} to {LATEST.year - 1} (in UTC); "
            "check the date",
        )
    return value


Word = Annotated[str, AfterValidator(_word)]
"""A name from a policy's vocabulary: a level, tier, category or remedy kind."""


class _MostCharacters:
    """The JSON schema of text checked to at most ``most`` characters says so (``maxLength``), unless a tighter
    bound (``Field(max_length=500)``) already does: the library's ``Text`` schema, restated."""

    def __init__(self, most: int) -> None:
        self.most = most

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["maxLength"] = min(schema.get("maxLength", self.most), self.most)
        return schema


FreeText = Annotated[str, AfterValidator(_text), _MostCharacters(_TEXT_LONGEST)]
"""Free text written by people, at most 10,000 characters."""

InputTime = Annotated[AwareDatetime, BeforeValidator(_not_a_number), AfterValidator(_in_range)]
"""A timezone-aware time given as input: a ``datetime`` or ISO 8601 text, never a number, within
:data:`~recovery_rules.cli._inputs.EARLIEST` and :data:`~recovery_rules.cli._inputs.LATEST` once in UTC."""
