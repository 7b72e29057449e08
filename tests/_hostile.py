"""Values that lie about themselves, as a caller can pass past validation: the tests feed them to the library
and check that it reads what they hold (or refuses them), never what they answer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal


class SmallerThanAnything(Decimal):
    """An amount that says it is smaller than anything: every limit and cap would let it through."""

    def __lt__(self, other: object) -> bool:
        return True

    def __le__(self, other: object) -> bool:
        return True

    def __gt__(self, other: object) -> bool:
        return False

    def __ge__(self, other: object) -> bool:
        return False


class EqualToAnything(str):
    """A text (a currency code, a hash, a level's name) that says it equals any other, and hashes as its text."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return str.__hash__(self)


class LyingDate(dt.date):
    """A date that says it is before and equal to every other."""

    def __lt__(self, other: object) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return dt.date.__hash__(self)


class LyingSequence(int):
    """A sequence number that says it is within any bounds."""

    def __ge__(self, other: object) -> bool:
        return True

    def __le__(self, other: object) -> bool:
        return True
