"""What a caller passed, as an error message may quote it: short, and without calling the value's own code.

An error message says what was given, so that its reader can see their mistake, but it is no place for a
megabyte of input, and quoting a caller's value must never raise in its turn: ``repr`` of a deeply nested
dict raises ``RecursionError``, a caller's class may have a ``__repr__`` or ``__str__`` that raises, and an
int of more than 4,300 digits has no ``repr`` at all. :func:`shown` quotes only the plain values it knows
(``None``, a bool, a number, a string, cut to ``longest`` characters) and names any other value by its type.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

LONGEST: Final = 64
"""The most characters a quoted value takes in a message, as for a level's name: a name, not a document."""


def shown(value: object, *, longest: int = LONGEST) -> str:
    """``value`` as a message may quote it: ``'text'``, ``7``, ``None``..., or its type's name (``dict``).

    A string is quoted as ``repr`` does and cut to ``longest`` characters with ``...``; so is a number.
    A subclass of ``str`` is quoted as the string it holds. Any other value is named by its type, never
    asked for its ``repr``, which may be huge, recurse without end, or raise.
    """
    kind = type(value)
    if value is None or kind is bool:
        return repr(value)
    if isinstance(value, str):
        text = str.__str__(value)  # a subclass's own __str__ is not called
        return repr(text) if len(text) <= longest else repr(text[: max(longest - 3, 1)]) + "..."
    if kind in (int, float, Decimal):
        try:
            text = repr(value)
        except ValueError:  # an int of more digits than Python converts (sys.set_int_max_str_digits)
            return "an int too large to show"
        return text if len(text) <= longest else text[: max(longest - 3, 1)] + "..."
    return kind.__name__


def an_event(kind: str) -> str:
    """An event of ``kind`` as a message names it, with its article: ``a 'listened' event``, ``an 'opened' event``."""
    return f"{'an' if kind[:1].lower() in set('aeiou') else 'a'} {kind!r} event"
