"""Business hours: when a business calls its customers back, and durations counted in open time.

A week of opening periods in a time zone (:class:`Schedule`) is read from the
policy file's text (``"07:00-22:00"``, ``"09:00-12:00, 13:00-17:00"``,
``"closed"``), and turned, day by day, into intervals of absolute time (UTC):

- a period runs from the first instant its start shows on the local wall clock
  to the last instant its end shows (``24:00`` is the next midnight); on the
  night a clock goes back, a start in the repeated hour is its first pass and an
  end its second;
- a start or an end the clock skips (the spring-forward gap) is the instant the
  clock jumps;
- a callback may be promised for any instant of an interval, both ends included
  (a promise "by 22:00" when the business closes at 22:00).

A duration is **counted in business hours** (:meth:`Schedule.later`) as open
time: the clock runs only while the business is open, starting at ``now``, or at
the next opening when it is closed. Two hours from 21:00 with 07:00-22:00 is
08:00 the next morning (one hour tonight, one tomorrow); ``1d`` is 24 hours of
open time, whatever the length of a business day. With no schedule, a business
is always open and a duration is added in absolute time, as :func:`later` does.

**Closed dates** (holidays) close the business all day, whatever the week says: a date
(``"2026-12-25"``) or the same month-day every year (``"--12-25"``, ISO 8601's recurring
form), on the wall clock of the schedule's time zone. A closed day has no open interval,
so no open time is counted on it and nothing is promised on it (see :func:`parse_closed_day`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
import zoneinfo
from collections.abc import Iterator
from typing import Final

from recovery_rules.exceptions import InvalidInputError

from ._time import LATEST, format_duration, utc

__all__ = [
    "DAYS",
    "MINUTES_A_DAY",
    "MOST_CLOSED_DAYS",
    "Period",
    "Schedule",
    "closed_dates",
    "joined",
    "parse_closed_day",
    "parse_periods",
    "show_periods",
]

DAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
"""The days of the week, as a policy file names them, Monday first (``date.weekday()`` order)."""
MINUTES_A_DAY: Final = 24 * 60
CLOSED: Final = "closed"

Period = tuple[int, int]
"""An opening period of a day: its start and end in minutes after midnight (the end may be 1440, ``24:00``)."""

_PERIOD: Final = re.compile(r"\s*([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})\s*")
_HINT: Final = (
    "write the opening hours as 'HH:MM-HH:MM' (24-hour clock, such as '07:00-22:00'), several separated by "
    "commas ('09:00-12:00, 13:00-17:00'), or 'closed'"
)
_UTC: Final = dt.UTC
_ONE_DAY: Final = dt.timedelta(days=1)

MOST_CLOSED_DAYS: Final = 1000
"""The most closed dates a policy may list (years of holidays; more is a mistake, such as every day listed)."""
_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_YEARLY: Final = re.compile(r"--([0-9]{2})-([0-9]{2})")
_LEAP_YEAR: Final = 2000
_CLOSED_HINT: Final = (
    "write a closed date as 'YYYY-MM-DD' (such as '2026-12-25'), or '--MM-DD' for the same day every year "
    "(such as '--12-25')"
)


def _minutes(hours: str, minutes: str, *, end: bool) -> int:
    hour, minute = int(hours), int(minutes)
    if minute > 59 or hour > 24 or (hour == 24 and (minute or not end)):
        raise ValueError(f"{hours}:{minutes} is not a time of day; use 00:00 to 23:59 (24:00 only as an end)")
    return hour * 60 + minute


def parse_periods(text: str) -> tuple[Period, ...]:
    """The opening periods ``text`` gives, in order; ``ValueError`` saying what is wrong and how to write it.

    ``"closed"`` is no period at all. A period that ends before it starts (hours past midnight: write
    them as two days' periods, ``"18:00-24:00"`` and ``"00:00-02:00"``) and periods that overlap are refused.
    """
    if not isinstance(text, str) or len(text) > 500:
        raise ValueError(_HINT)
    if text.strip() == CLOSED:
        return ()
    periods: list[Period] = []
    for part in text.split(","):
        found = _PERIOD.fullmatch(part)
        if found is None:
            raise ValueError(f"{part.strip()!r} is not a period; {_HINT}")
        start = _minutes(found[1], found[2], end=False)
        end = _minutes(found[3], found[4], end=True)
        if end <= start:
            raise ValueError(
                f"{part.strip()} ends before it starts (or when it starts); a period ends later the same day: "
                "for hours past midnight, give the next day a period from 00:00"
            )
        periods.append((start, end))
    periods.sort()
    for (_, end), (start, _) in itertools.pairwise(periods):
        if start < end:
            raise ValueError(f"periods overlap ({show_periods(tuple(periods))}); list each time of day once")
    return tuple(periods)


def parse_closed_day(value: object) -> str:
    """A closed date in its normal form: ``"2026-12-25"`` for one date, ``"--12-25"`` for that day every year.

    Takes the text (``"2026-12-25"``, ``"--12-25"``) or a ``datetime.date`` (TOML and YAML read an unquoted
    date as one); ``ValueError`` saying what is wrong and how to write it. ``"--02-29"`` is refused: 29 February
    is not in every year, so list the leap years' dates (or the day a business closes instead) as dates.
    """
    if isinstance(value, dt.datetime):
        raise ValueError(f"is a date and time; a closed date is a whole day: {_CLOSED_HINT}")
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError(f"must be a string: {_CLOSED_HINT}")
    text = value.strip()
    if _DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(f"{text!r} is not a date of the calendar; {_CLOSED_HINT}") from None
    yearly = _YEARLY.fullmatch(text)
    if yearly:
        month, day = int(yearly[1]), int(yearly[2])
        if (month, day) == (2, 29):
            raise ValueError("'--02-29' is not a day of every year; list the closed leap days as dates ('2028-02-29')")
        try:
            dt.date(_LEAP_YEAR, month, day)
        except ValueError:
            raise ValueError(f"{text!r} is not a day of the year; {_CLOSED_HINT}") from None
        return text
    shown = text if len(text) <= 40 else text[:40] + "..."
    raise ValueError(f"{shown!r} is not a date; {_CLOSED_HINT}")


def closed_dates(closed: tuple[str, ...]) -> tuple[frozenset[dt.date], frozenset[tuple[int, int]]]:
    """The closed dates ``closed`` lists (each in :func:`parse_closed_day`'s normal form): the dates, and the
    month-days closed every year (month, day)."""
    dates = frozenset(dt.date.fromisoformat(text) for text in closed if not text.startswith("--"))
    yearly = frozenset((int(text[2:4]), int(text[5:7])) for text in closed if text.startswith("--"))
    return dates, yearly


def joined(periods: tuple[Period, ...]) -> tuple[Period, ...]:
    """``periods`` (sorted, none overlapping) with each two that touch made one: ``09:00-12:00, 12:00-17:00``
    is ``09:00-17:00``, the same open time (a callback may be promised at 12:00 in either)."""
    merged: list[Period] = []
    for start, end in periods:
        if merged and merged[-1][1] == start:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


def show_periods(periods: tuple[Period, ...]) -> str:
    """``periods`` as a policy file writes them: ``"07:00-22:00"``, ``"closed"`` for none."""
    if not periods:
        return CLOSED
    return ", ".join(f"{_clock(start)}-{_clock(end)}" for start, end in periods)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def wall_instant(day: dt.date, minute: int, zone: dt.tzinfo, *, last: bool) -> dt.datetime:
    """The instant (UTC) the wall clock of ``zone`` shows ``minute`` after midnight on ``day``.

    ``last``: the last such instant (the second pass of a repeated hour), else the first. A wall
    time the clock skips is the instant of the jump: the first instant the clock shows a later time.
    """
    if minute >= MINUTES_A_DAY:
        day, minute = day + _ONE_DAY, minute - MINUTES_A_DAY
    wall = dt.datetime(day.year, day.month, day.day, minute // 60, minute % 60)  # noqa: DTZ001 - a wall time, read in zone below
    moment = wall.replace(tzinfo=zone, fold=1 if last else 0).astimezone(_UTC)
    if moment.astimezone(zone).replace(tzinfo=None) == wall:
        return moment
    # In a gap: between the readings with the offsets before and after the jump lies the jump itself.
    low, high = sorted(wall.replace(tzinfo=zone, fold=fold).astimezone(_UTC) for fold in (0, 1))
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    high = high.replace(microsecond=0)
    return high if high.astimezone(zone).replace(tzinfo=None) >= wall else high + dt.timedelta(seconds=1)


_REMEMBERED_DAYS: Final = 1024
"""How many days' open intervals a schedule keeps worked out (a few years of decisions' days)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Schedule:
    """A week of opening periods (Monday first) on the wall clock of ``zone``, closed all day on the dates of
    ``closed`` and on the month-days of ``yearly`` ((month, day), every year).

    The open intervals of a day, once worked out, are kept (up to :data:`_REMEMBERED_DAYS` days, then
    forgotten all at once): a value of the day and the schedule alone, so keeping them changes no result.
    """

    week: tuple[tuple[Period, ...], ...]
    zone: dt.tzinfo
    closed: frozenset[dt.date] = frozenset()
    yearly: frozenset[tuple[int, int]] = frozenset()
    _days: dict[dt.date, tuple[tuple[dt.datetime, dt.datetime], ...]] = dataclasses.field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(cls, week: tuple[tuple[Period, ...], ...], zone_name: str, closed: tuple[str, ...] = ()) -> Schedule:
        """The schedule of ``week`` in the zone named ``zone_name``, closed on the dates ``closed`` lists."""
        dates, yearly = closed_dates(closed)
        return cls(week, zoneinfo.ZoneInfo(zone_name), dates, yearly)

    def is_closed_day(self, day: dt.date) -> bool:
        """Whether ``day`` (on the wall clock of ``zone``) is a closed date: no opening at all that day."""
        return day in self.closed or (day.month, day.day) in self.yearly

    @property
    def weekly_minutes(self) -> int:
        """How many minutes a week the business is open, by the wall clock."""
        return sum(end - start for day in self.week for start, end in day)

    def intervals(self, since: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """The open intervals (UTC) from ``since`` on, in order, none overlapping, none empty.

        The first is cut to start at ``since``; an interval that a clock change made overlap the one
        before is cut to start where that one ends. Ends after :data:`LATEST`: nothing past it can
        be promised.
        """
        zone = self.zone
        cursor = since
        day = since.astimezone(zone).date() - _ONE_DAY
        last_day = LATEST.date() - _ONE_DAY
        while day < last_day:
            for start, closes in self._day(day, zone):
                opens = max(start, cursor)
                if closes > opens:
                    yield opens, closes
                    cursor = closes
            day += _ONE_DAY

    def _day(self, day: dt.date, zone: dt.tzinfo) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
        """The open intervals of ``day``, as instants (UTC), each as the day's wall clock gives it."""
        known = self._days.get(day)
        if known is None:
            periods = () if self.is_closed_day(day) else self.week[day.weekday()]
            known = tuple(
                (wall_instant(day, start, zone, last=False), wall_instant(day, end, zone, last=True))
                for start, end in periods
            )
            if len(self._days) >= _REMEMBERED_DAYS:
                self._days.clear()
            self._days[day] = known
        return known

    def is_open(self, moment: dt.datetime) -> bool:
        """Whether the business is open at ``moment`` (an interval's ends included)."""
        zone = self.zone
        day = moment.astimezone(zone).date() - _ONE_DAY
        for offset in range(3):
            for opens, closes in self._day(day + offset * _ONE_DAY, zone):
                if opens <= moment <= closes:
                    return True
        return False

    def next_open(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` if the business is open then (not at its very closing), else the next opening."""
        for opens, _ in self.intervals(moment):
            return opens
        raise _too_far("now", dt.timedelta(0))

    def later(self, moment: dt.datetime, duration: dt.timedelta, field: str = "now") -> dt.datetime:
        """The instant ``duration`` of open time after ``moment`` (see the module docstring), in UTC."""
        remaining = duration
        for opens, closes in self.intervals(utc(moment, field=field)):
            length = closes - opens
            if remaining <= length:
                return opens + remaining
            remaining -= length
        raise _too_far(field, duration)


def _too_far(field: str, duration: dt.timedelta) -> InvalidInputError:
    return InvalidInputError.at(
        "time",
        field,
        f"is too far in the future to promise a callback {format_duration(duration)} of business hours later: "
        f"that would fall after {LATEST.date().isoformat()} UTC, the last day recovery-rules can show; "
        "pass the current time",
    )
