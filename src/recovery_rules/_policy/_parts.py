"""The parts a policy is built from: ``AuthorityLevel``, ``Cap``, ``Alternative`` and ``BusinessHours``."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Final, Self

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from recovery_rules._values._base import (
    WORD,
    Identifier,
    ReadOnly,
    ReadOnlyDict,
    RecoveryModel,
    Text,
    Word,
    _MostCharacters,
    encodes,
    located_problems,
    non_empty,
)
from recovery_rules._values._hours import (
    DAYS,
    MOST_CLOSED_DAYS,
    Period,
    Schedule,
    closed_dates,
    joined,
    parse_closed_day,
    parse_periods,
    show_periods,
)
from recovery_rules._values._models import NonNegativeMoney
from recovery_rules._values._time import Duration, Window
from recovery_rules.exceptions import Problem

__all__ = ["ANY", "DEFAULT_REMEDY_KINDS", "Alternative", "AuthorityLevel", "BusinessHours", "Cap", "Url", "WordSet"]

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

_NOT_IN_URL: Final = "\\s\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
"""White space, C0 and C1 controls, and the bidi controls, which would reorder how the address reads."""
_URL: Final = re.compile(f"https?://[^{_NOT_IN_URL}/?#]+[^{_NOT_IN_URL}]*")


def _unlimited(value: object) -> object:
    if value == "unlimited":
        return None
    written = value.get("amount") if isinstance(value, dict) else value
    if (
        isinstance(written, str)
        and len(written) < 20
        and any(character.isalpha() for character in written)  # an amount has no letter: never compared
        and difflib.SequenceMatcher(None, written.strip().casefold(), "unlimited").ratio() >= 0.8
    ):
        raise PydanticCustomError(
            "unlimited",
            "{written} is not an amount; did you mean 'unlimited' (in lower case: no limit of its own, only the caps)?",
            {"written": repr(written)},
        )
    return value


def _not_unlimited(value: object, instead: str = "leave the tier out and it gets the level's limit") -> object:
    """A tier's limit or a cap: an amount; "unlimited" is said to be for a level's ``limit`` only."""
    written = value.get("amount") if isinstance(value, dict) else value
    if isinstance(written, str) and written.strip().casefold() == "unlimited":
        raise PydanticCustomError(
            "unlimited",
            "'unlimited' is for a level's limit only: this is an amount, such as '7500.00' ({instead})",
            {"instead": instead},
        )
    return value


def no_unlimited_cap(value: object) -> object:
    """``hard_cap``: an amount; no cap is written by leaving it out."""
    return _not_unlimited(value, "for no cap, leave hard_cap out")


def _url(value: str) -> str:
    if not (value.isascii() or encodes(value)):  # as for text: a policy's revision and its journal need UTF-8
        raise PydanticCustomError("surrogate", "contains a lone surrogate, which is not text")
    if len(value) > 2000:
        raise PydanticCustomError("too_long", f"is {len(value):,} characters long; the most is 2,000")
    if not _URL.fullmatch(value):
        raise PydanticCustomError("url", "must be an http:// or https:// address, such as 'https://example.com/stores'")
    return value


Url = Annotated[str, AfterValidator(_url), _MostCharacters(2000)]


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
    - ``tier_limits``: a different limit per customer tier (``{"gold": ...}``);
      read-only, as the whole level is.
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
    tier_limits: Annotated[Mapping[Word, Annotated[NonNegativeMoney, BeforeValidator(_not_unlimited)]], ReadOnly] = (
        Field(default_factory=ReadOnlyDict)
    )
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


def _periods_text(value: object) -> object:
    if not isinstance(value, str):
        raise PydanticCustomError("hours", "must be a string such as '07:00-22:00' or 'closed'")
    try:
        return show_periods(parse_periods(value))
    except ValueError as error:
        raise PydanticCustomError("hours", str(error)) from None


Hours = Annotated[str, BeforeValidator(_periods_text)]
"""A day's opening periods as a policy file writes them: ``"07:00-22:00"``, ``"09:00-12:00, 13:00-17:00"``,
``"closed"``; kept in the normal form (sorted, two-digit hours)."""


def _closed_day_text(value: object) -> object:
    try:
        return parse_closed_day(value)
    except ValueError as error:
        raise PydanticCustomError("closed_day", str(error)) from None


ClosedDay = Annotated[
    str,
    BeforeValidator(_closed_day_text),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^([0-9]{4}|-)-[0-9]{2}-[0-9]{2}$",
            "description": "A date the business is closed all day: '2026-12-25', or '--12-25' for that day every year.",
        }
    ),
]
"""A closed date as a policy file writes it: ``"2026-12-25"``, or ``"--12-25"`` for that day every year (a
``datetime.date`` is read as its date); kept in that normal form."""


class BusinessHours(RecoveryModel):
    """When the business is open to call its customers back, per day of the week, in the policy's time zone.

    Each day (``monday`` ... ``sunday``) is ``"HH:MM-HH:MM"`` (24-hour clock, ``24:00`` as an end for
    midnight), several periods separated by commas, or ``"closed"``; a day left out has ``default``'s
    hours. A day with no hours and no ``default`` is refused, as is a week with no opening at all.

    ``closed`` lists the dates the business is closed all day (holidays), on the wall clock of the policy's
    time zone, whatever the week says: ``"2026-12-25"``, or ``"--12-25"`` for 25 December every year. No open
    time is counted on them and nothing is promised on them. Kept sorted (the month-days every year first);
    a date listed twice, or a date that a month-day every year already closes, is refused.
    """

    _what: ClassVar[str] = "business hours"

    default: Hours | None = None
    monday: Hours | None = None
    tuesday: Hours | None = None
    wednesday: Hours | None = None
    thursday: Hours | None = None
    friday: Hours | None = None
    saturday: Hours | None = None
    sunday: Hours | None = None
    closed: Annotated[
        tuple[ClosedDay, ...],
        Field(
            max_length=MOST_CLOSED_DAYS,
            description="The dates the business is closed all day (holidays), on the wall clock of the policy's "
            "timezone: '2026-12-25', or '--12-25' for that day every year. No callback is promised on them and "
            "no open time is counted on them.",
        ),
    ] = ()

    @model_validator(mode="after")
    def _every_day(self) -> Self:
        missing = [day for day in DAYS if getattr(self, day) is None]
        if missing and self.default is None:
            if self.closed and len(missing) == len(DAYS):
                raise PydanticCustomError(
                    "hours",
                    "gives closed dates but no opening hours: the closed dates close days of a week of hours, so "
                    "give the days their hours beside them (a default, such as default = '09:00-17:00', or each "
                    "day's)",
                )
            raise PydanticCustomError(
                "hours",
                "gives no hours for {days}: give every day its hours (or 'closed'), or a default for the days left out",
                {"days": ", ".join(missing)},
            )
        if not any(self.periods(day) for day in range(len(DAYS))):
            raise PydanticCustomError(
                "hours", "is closed every day, so no callback could ever be promised; open on at least one day"
            )
        problems = list(_closed_day_problems(self.closed))
        if problems:
            raise located_problems(problems)
        object.__setattr__(self, "closed", tuple(sorted(self.closed)))  # still being built
        return self

    def hours(self, day: int) -> str:
        """The hours of weekday ``day`` (0 is Monday), as written: its own or ``default``'s."""
        own: str | None = getattr(self, DAYS[day])
        text = own if own is not None else self.default
        if text is None:  # the validator refuses a day with neither
            raise AssertionError(f"{DAYS[day]} has no hours")
        return text

    def periods(self, day: int) -> tuple[Period, ...]:
        """The opening periods of weekday ``day`` (0 is Monday): start and end in minutes after midnight."""
        return parse_periods(self.hours(day))

    def canonical(self) -> dict[str, str | list[str]]:
        """The week these hours mean, in one spelling: what the policy's revision is computed over.

        Each day's periods once ``default`` is applied, touching periods joined (``09:00-12:00, 12:00-17:00``
        is ``09:00-17:00``); the hours most days have as ``default`` (the first such in the week, Monday
        first, when two are as common), and only the days with other hours named. So ``default = "07:00-22:00"``
        and the seven days each written ``"07:00-22:00"`` are one week, with one revision. The closed dates
        follow, sorted, when there are any (so hours without them keep their revision), less the dates on a
        day of the week with no opening anyway (they close nothing).
        """
        week = [self.hours(day) for day in range(len(DAYS))]  # each in its normal form: sorted, two-digit hours
        week = [show_periods(joined(parse_periods(hours))) if "," in hours else hours for hours in week]
        common = max(week, key=week.count)  # max keeps the first of equal counts
        canonical: dict[str, str | list[str]] = {"default": common}
        canonical.update((name, hours) for name, hours in zip(DAYS, week, strict=True) if hours != common)
        closed = [day for day in self.closed if day.startswith("--") or self.periods(_weekday(day))]
        if closed:  # a date on a day of the week that has no opening anyway closes nothing
            canonical["closed"] = closed
        return canonical

    def is_closed_on(self, day: dt.date) -> bool:
        """Whether ``day`` is one of the closed dates (listed, or its month-day every year)."""
        dates, yearly = closed_dates(self.closed)
        return day in dates or (day.month, day.day) in yearly

    def periods_on(self, day: dt.date) -> tuple[Period, ...]:
        """The opening periods of the date ``day``: its weekday's, or none on a closed date."""
        return () if self.is_closed_on(day) else self.periods(day.weekday())

    def schedule(self, zone: str) -> Schedule:
        """The week on the wall clock of ``zone``, closed on the closed dates, for counting in business hours."""
        return Schedule.of(tuple(self.periods(day) for day in range(len(DAYS))), zone, self.closed)


def _weekday(day: str) -> int:
    return dt.date.fromisoformat(day).weekday()


def _closed_day_problems(closed: tuple[str, ...]) -> list[Problem]:
    """A date listed twice, or one its month-day every year already closes, at its place in the list."""
    first: dict[str, int] = {}
    for i, day in enumerate(closed):
        first.setdefault(day, i)
    problems = []
    for i, day in enumerate(closed):
        yearly = f"--{day[5:]}"
        if first[day] != i:
            problems.append(Problem(f"closed[{i}]", f"{day} is listed twice (also closed[{first[day]}]); list it once"))
        elif not day.startswith("--") and yearly in first:
            problems.append(
                Problem(
                    f"closed[{i}]",
                    f"{day} is closed every year already by {yearly!r} (closed[{first[yearly]}]); leave it out",
                )
            )
    return problems
