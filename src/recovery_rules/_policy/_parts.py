"""The parts a policy is built from: ``AuthorityLevel``, ``Cap`` and ``Alternative``."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Final

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool
from pydantic_core import PydanticCustomError

from recovery_rules._values._base import WORD, Identifier, RecoveryModel, Text, Word, non_empty
from recovery_rules._values._models import NonNegativeMoney
from recovery_rules._values._time import Duration, Window

__all__ = ["ANY", "DEFAULT_REMEDY_KINDS", "Alternative", "AuthorityLevel", "Cap", "Url", "WordSet"]

ANY: Final = "*"
"""In ``Alternative.applies_to``: relevant to every complaint."""

DEFAULT_REMEDY_KINDS: Final = (
    "refund",
    "credit",
    "replacement",
    "repair",
    "exchange",
    "upgrade",
    "comp",
    "discount",
    "voucher",
    "apology",
)
"""The remedy vocabulary a policy has unless it declares its own ``remedy_kinds``."""

_URL: Final = re.compile(r"https?://[^\s/?#]+[^\s]*")


def _unlimited(value: object) -> object:
    return None if value == "unlimited" else value


def _url(value: str) -> str:
    if len(value) > 2000 or not _URL.fullmatch(value):
        raise PydanticCustomError("url", "must be an http:// or https:// address, such as 'https://example.com/stores'")
    return value


Url = Annotated[str, AfterValidator(_url)]


def _applies_to(value: Any) -> Any:
    if isinstance(value, str):
        raise PydanticCustomError("applies_to", 'must be a list of names, for example ["out_of_stock"] or ["*"]')
    return value


def _sorted_unique(value: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(value)))


WordSet = Annotated[tuple[Word, ...], AfterValidator(_sorted_unique)]
"""A set of words, kept sorted so that its JSON form is always the same."""


def _applies_to_words(value: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        raise PydanticCustomError("empty", 'must name at least one category or remedy kind, or "*" for all')
    for name in value:
        if name != ANY and not WORD.fullmatch(name):
            raise PydanticCustomError(
                "applies_to", 'each entry is a category or remedy kind (a lower-case word) or "*"'
            )
    return tuple(sorted(set(value)))


class AuthorityLevel(RecoveryModel):
    """One rung of the authority ladder (frontline, supervisor, manager...).

    - ``limit``: the cumulative amount this level may grant one guest within the
      policy's window. ``None`` (``"unlimited"`` in a policy file) means bounded
      only by the policy's hard cap.
    - ``tier_limits``: a different limit per customer tier (``{"gold": ...}``).
    - ``callback_within``: the callback promised when a case escalates to this
      level (required for every level but the lowest).
    - ``may_grant``: the remedy kinds this level may grant (``None``: all).
    - ``delegates``: the levels that may act for this one in its absence (a
      ``manager`` for an absent ``general_manager``): a case step taken with
      ``acting_for=`` this level by an employee of a delegate level is decided
      with this level's authority, and its event records the delegation.
    """

    _what: ClassVar[str] = "authority level"

    name: Word
    title: Annotated[Text, Field(max_length=200)] = ""
    limit: Annotated[NonNegativeMoney | None, BeforeValidator(_unlimited)]
    tier_limits: dict[Word, NonNegativeMoney] = Field(default_factory=dict)
    callback_within: Duration | None = None
    may_grant: WordSet | None = None
    delegates: WordSet = ()

    @property
    def display_name(self) -> str:
        """``title`` when set, else the name with spaces: ``general manager``."""
        return self.title or self.name.replace("_", " ")


class Cap(RecoveryModel):
    """A hard cap with a window of its own: the most any customer may be granted within ``window``, by anyone.

    - ``limit``: the cap (a bare amount in a policy file is in the policy's currency).
    - ``window``: what it counts: ``"incident"`` (the grants of one incident, follow-ups filed under it
      included), ``"day"`` (the calendar day in the policy's time zone) or a rolling duration (``"30d"``).
    - ``label``: what the reasons call it ("the 30-day guest cap of $10,000.00"); by default
      "the per-guest cap of $10,000.00 in any 30 days", with the policy's ``customer_noun``.

    A policy may set several (``[[caps]]`` in a file), one per window, besides ``hard_cap``
    (which counts in the policy's ``window``). Every one of them holds for every level: what a level
    may still grant is the least of its own authority and every cap's room.
    """

    _what: ClassVar[str] = "cap"

    limit: NonNegativeMoney
    window: Window
    label: Annotated[Text, Field(max_length=100), AfterValidator(non_empty)] | None = None


class Alternative(RecoveryModel):
    """A Plan B option the acting employee can offer instead of a bare "no".

    - ``kind``: what sort of option it is (``other_branch``, ``callback``,
      ``voucher``...); a resolution offers alternatives of distinct kinds.
    - ``value``: its cost to the business; zero for free options such as
      checking another branch. An employee can offer it when it fits what they
      may still grant this guest.
    - ``applies_to``: the complaint categories and requested remedy kinds it
      is relevant to, or ``["*"]`` for every complaint.
    - ``contact``, ``url``, ``directions``: what makes it easy to act on.
    - ``refers_elsewhere``: it sends the customer to another business.
    - ``extra_mile``: also suggest it alongside an approval (the rained-out park
      day: the credit, plus ideas for what to do instead).
    """

    _what: ClassVar[str] = "alternative"

    id: Identifier
    kind: Word
    description: Annotated[Text, AfterValidator(non_empty)]
    value: NonNegativeMoney
    applies_to: Annotated[tuple[str, ...], BeforeValidator(_applies_to), AfterValidator(_applies_to_words)]
    contact: Annotated[Text, Field(max_length=500)] | None = None
    url: Url | None = None
    directions: Text | None = None
    refers_elsewhere: StrictBool = False
    extra_mile: StrictBool = False

    def relevant_to(self, category: str, remedy_kind: str) -> bool:
        """Whether this option fits a complaint of ``category`` asking for ``remedy_kind``."""
        return ANY in self.applies_to or category in self.applies_to or remedy_kind in self.applies_to
