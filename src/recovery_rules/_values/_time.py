"""Time in policies and inputs: durations (``"2h"``, ``"PT2H"``), the ledger ``Window``, time zones, input times,
and time arithmetic.

Every duration the library adds or subtracts is added in absolute time: the
moment is converted to UTC first (:func:`later`), and only
shown on the policy's wall clock (:func:`local`). Adding two hours to a local
wall-clock time would give one or three real hours across a daylight-saving
change, and a time before the decision in the hour a clock repeats.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from decimal import Decimal
from typing import Annotated, Any, Final, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    TypeAdapter,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from recovery_rules.exceptions import InvalidInputError

__all__ = [
    "AWARE",
    "EARLIEST",
    "EARLIEST_INPUT_TIME",
    "LATEST",
    "LATEST_INPUT_TIME",
    "Duration",
    "InputTime",
    "TimeZoneName",
    "Window",
    "clock_changes",
    "exact_datetime",
    "format_duration",
    "instant",
    "is_aware",
    "known_zone",
    "later",
    "local",
    "parse_duration",
    "utc",
]

_SHORT: Final = re.compile(
    r"(?:(?P<d>[0-9]{1,4})d)?(?:(?P<h>[0-9]{1,5})h)?(?:(?P<m>[0-9]{1,6})m)?(?:(?P<s>[0-9]{1,7})s)?"
)
_ISO: Final = TypeAdapter(dt.timedelta)
_MAX: Final = dt.timedelta(days=3660)
_HINT: Final = "write a duration such as '2h', '30m', '1d', '1h30m' or ISO 8601 'PT2H'"
_TOO_LONG: Final = "must be at most about ten years (3660 days)"
_NOT_POSITIVE: Final = "must be longer than zero"
AWARE: Final = "must be a timezone-aware datetime; pass tzinfo, for example datetime(..., tzinfo=timezone.utc)"
"""What a message says of a time that is not timezone-aware: how to give it a time zone."""
_NO_OFFSET: Final = (
    "must be a timezone-aware datetime, and its tzinfo failed to give its offset from UTC; pass a tzinfo that "
    "does, for example datetime(..., tzinfo=timezone.utc) or tzinfo=ZoneInfo('America/New_York')"
)

EARLIEST: Final = dt.datetime.min.replace(tzinfo=dt.UTC) + dt.timedelta(days=2)
"""The earliest instant a promised time may be: any time zone can show it, and the day before it still exists."""
LATEST: Final = dt.datetime.max.replace(tzinfo=dt.UTC) - dt.timedelta(days=2)
"""The latest instant a promised time may be: any time zone can show it, and the day after it still exists."""
_NEVER: Final = dt.datetime.max.replace(tzinfo=dt.UTC)  # stands for a time past the end of the calendar
_DATETIME: Final = dt.datetime
_UTC: Final = dt.UTC
_FIRST_DAY: Final = EARLIEST.date().isoformat()  # strftime writes the year 1 as "1" on some systems
_LAST_DAY: Final = LATEST.date().isoformat()


def exact_datetime(moment: dt.datetime) -> dt.datetime:
    """``moment`` as exactly a ``datetime``: its date, time, ``fold`` and ``tzinfo``, read by ``datetime``'s own code.

    A subclass's arithmetic, comparisons and text are its own and may say anything (a step dated 2000 that
    subtracts as 2026, a time that writes itself as another): the library computes only with what it holds.
    """
    if type(moment) is _DATETIME:
        return moment
    return _DATETIME.combine(_DATETIME.date(moment), _DATETIME.timetz(moment))


def utc(moment: object, *, field: str = "now") -> dt.datetime:
    """``moment`` as the same instant in UTC, the form every computation on time uses.

    Refuses, naming ``field``, anything but a timezone-aware ``datetime`` and an
    instant outside the years 1 to 9999 once in UTC. A subclass of ``datetime`` is read as the
    ``datetime`` it holds (:func:`exact_datetime`).
    """
    if not isinstance(moment, dt.datetime):
        raise InvalidInputError.at("time", field, AWARE)
    moment = exact_datetime(moment)
    if moment.tzinfo is dt.UTC:
        return moment
    try:
        if moment.utcoffset() is None:
            raise InvalidInputError.at("time", field, AWARE)
        return moment.astimezone(dt.UTC)
    except OverflowError:
        raise InvalidInputError.at("time", field, "is outside the years 1 to 9999 once in UTC") from None
    except InvalidInputError:
        raise
    except Exception:  # the host's tzinfo failed: whatever it raised, the instant is unknown
        raise InvalidInputError.at("time", field, _NO_OFFSET) from None


def is_aware(moment: dt.datetime) -> bool:
    """Whether ``moment`` is timezone-aware: it has a ``tzinfo`` that gives it an offset from UTC.

    A ``tzinfo`` whose ``utcoffset`` raises (whatever it raises) or answers something that is not a valid
    offset gives none: the instant such a time names is unknown.
    """
    try:
        return moment.utcoffset() is not None
    except Exception:  # a tzinfo whose utcoffset fails, or is not a valid offset
        return False


def later(
    moment: dt.datetime, duration: dt.timedelta, field: str = "now", purpose: str = "promise a callback"
) -> dt.datetime:
    """The instant ``duration`` after ``moment``, in UTC: the duration is added in absolute time.

    ``moment`` and the result must lie within :data:`EARLIEST` and :data:`LATEST`,
    so that both can be shown in any time zone; otherwise ``field`` is refused as
    too far in the future (or the past) to ``purpose``. (``field`` and ``purpose``
    are positional: deciding calls this, and keyword-only defaults make a call slower.)
    """
    start = moment if type(moment) is _DATETIME and moment.tzinfo is _UTC else utc(moment, field=field)
    try:
        end = start + duration
    except OverflowError:
        end = _NEVER
    if end <= LATEST and start >= EARLIEST:
        return end
    if start < EARLIEST:
        raise InvalidInputError.at(
            "time", field, f"is too far in the past to {purpose}: it is before {_FIRST_DAY} UTC; pass the current time"
        )
    raise InvalidInputError.at(
        "time",
        field,
        f"is too far in the future to {purpose} {format_duration(duration)} later: that would fall after "
        f"{_LAST_DAY} UTC, the last day recovery-rules can show; pass the current time",
    )


def instant(moment: object, *, field: str = "now") -> dt.datetime:
    """``moment`` in UTC (as :func:`utc`), refused unless within :data:`EARLIEST` to :data:`LATEST`.

    For a time the library records or shows: any time zone can show it, and its
    calendar day, the one before and the one after all exist.
    """
    moment = utc(moment, field=field)
    if not EARLIEST <= moment <= LATEST:
        raise InvalidInputError.at(
            "time",
            field,
            f"must be between {_FIRST_DAY} and {_LAST_DAY} UTC, the times recovery-rules can "
            "show in every time zone; pass the current time",
        )
    return moment


def local(moment: object, zone: dt.tzinfo, *, field: str) -> dt.datetime:
    """``moment`` on the wall clock of ``zone``, for showing it, never for arithmetic (see :func:`instant`)."""
    return instant(moment, field=field).astimezone(zone)


_WHOLE_MINUTES: Final = "must be a whole number of minutes, such as '90m' or '30d': its reasons say it in minutes"


def parse_duration(value: object) -> dt.timedelta:
    """Read a positive duration: a ``timedelta``, ``"2h"``, ``"1h30m"``, ``"3d"`` or ISO 8601 ``"PT2H"``."""
    if isinstance(value, dt.timedelta):
        result = value
    elif isinstance(value, str):
        short = _SHORT.fullmatch(value) if value else None
        if short is not None and any(short.groupdict().values()):
            parts = {key: int(number) for key, number in short.groupdict().items() if number}
            result = dt.timedelta(
                days=parts.get("d", 0), hours=parts.get("h", 0), minutes=parts.get("m", 0), seconds=parts.get("s", 0)
            )
        elif value.startswith("P") and len(value) <= 40:
            try:
                result = _ISO.validate_python(value)
            except ValueError:
                raise InvalidInputError.at("duration", "", _HINT) from None
        else:
            raise InvalidInputError.at("duration", "", _HINT)
    else:
        raise InvalidInputError.at("duration", "", _HINT)
    if result <= dt.timedelta(0):
        raise InvalidInputError.at("duration", "", _NOT_POSITIVE)
    if result % dt.timedelta(seconds=1):  # its text (format_duration, a window's JSON form) is in whole seconds
        raise InvalidInputError.at("duration", "", "must be a whole number of seconds, such as '90s' or 'PT1M30S'")
    if result > _MAX:
        raise InvalidInputError.at("duration", "", _TOO_LONG)
    return result


def format_duration(value: dt.timedelta) -> str:
    """The short form of a duration: ``2h``, ``1h30m``, ``3d``."""
    seconds = int(value.total_seconds())
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            out += f"{count}{unit}"
    return out or "0s"


def _duration_for_pydantic(value: object) -> dt.timedelta:
    try:
        return parse_duration(value)
    except InvalidInputError as error:
        raise PydanticCustomError("duration", error.problems[0].message) from None


Duration = Annotated[dt.timedelta, BeforeValidator(_duration_for_pydantic)]
"""A positive ``timedelta``; policy files may write ``"2h"``, ``"30m"``, ``"1d"`` or ``"PT2H"``."""


_NOT_A_HOST_FILE: Final = frozenset({"localtime"})
"""Names ``available_timezones`` may list that are not IANA zones: ``localtime`` (a link, on Debian and
Ubuntu, to the host's ``/etc/localtime``, whatever zone the machine is set to)."""


@functools.cache
def _iana_names() -> frozenset[str]:
    # available_timezones reads the time zone folders (and tzdata) from disk: once per process. It leaves out
    # "posixrules" and the "posix/" and "right/" copies; what it cannot tell from a zone is taken out here.
    return frozenset(zoneinfo.available_timezones()) - _NOT_A_HOST_FILE


def known_zone(name: object) -> str | None:
    """``name`` if it is an IANA time zone name this machine's time zone database holds, otherwise ``None``.

    Only the names of ``zoneinfo.available_timezones()`` are zones: a file of the database folder that is not
    an IANA zone (``localtime``, which follows the host's ``/etc/localtime``; ``posixrules``; ``right/...``,
    ``posix/...``) would give one policy different business dates on different machines.
    """
    if type(name) is not str or not 0 < len(name) <= 64 or name not in _iana_names():
        return None
    try:
        zoneinfo.ZoneInfo(name)  # remembered by zoneinfo: a second look-up is a dictionary's
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # listed, but not readable as a zone
        return None
    return name


def _time_zone(value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > 64:
        raise PydanticCustomError("time_zone", "must be an IANA time zone name such as 'America/New_York' or 'UTC'")
    text = value if type(value) is str else str.__str__(value)
    if known_zone(text) is None:
        meant = _meant_zone(text)
        if meant is None:
            raise PydanticCustomError(
                "time_zone", "is not a known IANA time zone; use a name such as 'America/New_York' or 'UTC'"
            )
        raise PydanticCustomError(
            "time_zone", "is not a known IANA time zone; did you mean {meant}?", {"meant": repr(meant)}
        )
    return text


@functools.cache
def _zones_by_folded_name() -> dict[str, str]:
    """Each IANA zone by its name case-folded, and by its last part (``paris``) when only one zone ends so."""
    zones = {name.casefold(): name for name in _iana_names()}
    last: dict[str, list[str]] = {}
    for name in _iana_names():
        last.setdefault(name.rsplit("/", 1)[-1].casefold(), []).append(name)
    return {**{part: names[0] for part, names in last.items() if len(names) == 1}, **zones}


def _meant_zone(text: str) -> str | None:
    """The zone ``text`` means when it is one written with spaces around it, in other capitals, or without its
    area (``"Europe/Paris "``, ``"europe/paris"``, ``"Paris"``): what an author's slip gets as "did you mean"."""
    meant = _zones_by_folded_name().get(text.strip().replace(" ", "_").casefold())
    return meant if meant != text else None


TimeZoneName = Annotated[str, BeforeValidator(_time_zone)]
"""An IANA time zone name: one of ``zoneinfo.available_timezones()`` but ``localtime`` (see :func:`known_zone`)."""


EARLIEST_INPUT_TIME: Final = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
"""The earliest time an input may give (a complaint's ``received_at``): 1 January 1900, UTC."""

LATEST_INPUT_TIME: Final = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)
"""Input times must be before this (the year 9000, UTC): far from where adding a duration overflows."""

OUT_OF_INPUT_RANGE: Final = (
    f"is out of range: a time must be from the year {EARLIEST_INPUT_TIME.year} "
    f"to {LATEST_INPUT_TIME.year - 1} (in UTC); check the date"
)
"""What a time outside :data:`EARLIEST_INPUT_TIME` to :data:`LATEST_INPUT_TIME` is told, wherever it is given."""


def recorded_instant(moment: object, *, field: str = "now") -> dt.datetime:
    """``moment`` in UTC (as :func:`utc`), refused, naming ``field``, unless a journal can record it.

    A case step's ``now`` and a chosen callback time are written into the journal, which records only
    times from :data:`EARLIEST_INPUT_TIME` to before :data:`LATEST_INPUT_TIME`: refused here, the caller
    is told about the argument it gave, before anything is decided or written.
    """
    moment = utc(moment, field=field)
    if not EARLIEST_INPUT_TIME <= moment < LATEST_INPUT_TIME:
        raise InvalidInputError.at("time", field, OUT_OF_INPUT_RANGE)
    return moment


_NUMBER_TEXT: Final = re.compile(r"\s*[-+]?[0-9]+(?:\.[0-9]*)?\s*")
_TIME_HINT: Final = "must be a date and time with a time zone, such as 2026-11-23T09:30:00+00:00"


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
    if utc is None or not EARLIEST_INPUT_TIME <= utc < LATEST_INPUT_TIME:
        raise PydanticCustomError("datetime_range", OUT_OF_INPUT_RANGE)
    return value


InputTime = Annotated[AwareDatetime, BeforeValidator(_not_a_number), AfterValidator(_in_range)]
"""A timezone-aware time given as input: a ``datetime`` or ISO 8601 text, never a number, within
:data:`EARLIEST_INPUT_TIME` and :data:`LATEST_INPUT_TIME` once converted to UTC."""


class Window:
    """How far back a guest's earlier grants count against a limit.

    - ``Window.incident()`` (``"incident"``): only what was granted for this complaint;
    - ``Window.day()`` (``"day"``): the calendar day, in the policy's time zone;
    - ``Window.rolling(timedelta(days=30))`` (``"30d"``, ``"P30D"``): a rolling period.
    """

    __slots__ = ("duration", "kind")

    kind: Literal["incident", "day", "rolling"]
    duration: dt.timedelta | None

    def __init__(self, kind: Literal["incident", "day", "rolling"], duration: dt.timedelta | None = None) -> None:
        if kind not in ("incident", "day", "rolling"):
            raise InvalidInputError.at("window", "window", "must be 'incident', 'day' or a duration such as '30d'")
        if (kind == "rolling") != (duration is not None):
            raise InvalidInputError.at("window", "window", "a rolling window, and only it, has a duration")
        checked = None if duration is None else parse_duration(duration)
        if checked is not None and checked % dt.timedelta(minutes=1):  # its reasons say it in whole minutes
            raise InvalidInputError.at("window", "window", _WHOLE_MINUTES)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "duration", checked)

    @classmethod
    def incident(cls) -> Self:
        """Only grants for the same complaint count."""
        return cls("incident")

    @classmethod
    def day(cls) -> Self:
        """Grants on the same calendar day (in the policy's time zone) count."""
        return cls("day")

    @classmethod
    def rolling(cls, duration: dt.timedelta) -> Self:
        """Grants within ``duration`` before now count."""
        return cls("rolling", duration)

    @classmethod
    def parse(cls, text: object) -> Self:
        """Read ``"incident"``, ``"day"`` or a duration such as ``"30d"``."""
        if text in ("incident", "day"):
            return cls(text)
        try:
            return cls("rolling", parse_duration(text))
        except InvalidInputError as error:
            message = error.problems[0].message
            if message == _NOT_POSITIVE:  # a duration, but of nothing: the window says what it must be
                message = "must be 'incident', 'day' or a duration longer than zero, such as '30d' or 'P30D'"
            elif message not in (_TOO_LONG, _WHOLE_MINUTES):  # these say so; anything else is told what a window is
                message = "must be 'incident', 'day' or a duration such as '30d' or 'P30D'"
            raise InvalidInputError.at("window", "window", message) from None

    def __str__(self) -> str:
        return self.kind if self.duration is None else format_duration(self.duration)

    def __repr__(self) -> str:
        return f"Window.parse({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Window):
            return NotImplemented
        return (self.kind, self.duration) == (other.kind, other.duration)

    def __hash__(self) -> int:
        return hash((self.kind, self.duration))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Window is immutable")

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (Window.parse, (str(self),))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: type[Any], handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _window_for_pydantic,
            serialization=core_schema.plain_serializer_function_ser_schema(str, when_used="json-unless-none"),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "title": "Window",
            "description": "'incident', 'day' (calendar day in the policy's time zone) or a rolling duration",
            "anyOf": [
                {"enum": ["incident", "day"]},
                {"type": "string", "pattern": r"^([0-9]+[dhms])+$|^P"},
            ],
            "examples": ["incident", "day", "30d"],
        }


def _window_for_pydantic(value: object) -> Window:
    if isinstance(value, Window):
        return value
    try:
        return Window.parse(value)
    except InvalidInputError as error:
        raise PydanticCustomError("window", error.problems[0].message) from None


def clock_changes(zone: dt.tzinfo, start: dt.datetime, days: int = 366) -> list[dt.datetime]:
    """The instants (UTC, to the minute) in the ``days`` from ``start`` when ``zone``'s clocks change: found day by
    day, then by halving to the minute. Two changes within one day are found as one (no zone has them)."""
    found = []
    day = start.astimezone(dt.UTC)
    for _ in range(days):
        after = day + dt.timedelta(days=1)
        if day.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset():
            low, high = day, after
            while high - low > dt.timedelta(minutes=1):
                middle = low + (high - low) / 2
                low, high = (
                    (middle, high)
                    if middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset()
                    else (low, middle)
                )
            found.append(high.replace(second=0, microsecond=0))
        day = after
    return found
