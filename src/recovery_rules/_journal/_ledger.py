"""The per-guest ledger: what a guest was granted within a policy's window.

The ledger is computed from the journal's grant events (events whose ``grant``
is set), never taken from the caller:

- ``incident``: the grants of this complaint number;
- ``day``: the grants whose time falls on the same calendar day as ``now``, in
  the policy's time zone (the day runs from local midnight to local midnight);
- a rolling duration ``d``: the grants later than ``now - d``. Grants stamped
  after ``now`` (another host's clock running ahead) count too: the ledger errs
  on the side of the limit.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Protocol

from pydantic import TypeAdapter, ValidationError

from recovery_rules._base import problems_from
from recovery_rules._models import ComplaintNumber
from recovery_rules._money import Money
from recovery_rules._time import TimeZoneName, Window, earlier
from recovery_rules.exceptions import CurrencyMismatchError, InvalidInputError, Problem

__all__ = ["GrantQuery", "Ledger", "grant_query", "total"]

_TIME_ZONE: Final = TypeAdapter(TimeZoneName)


@dataclass(frozen=True, slots=True)
class GrantQuery:
    """Which grant events count: one customer's, of one case or within ``[since, until)``."""

    customer_id: str
    number: ComplaintNumber | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def grant_query(number: ComplaintNumber, *, window: Window, timezone: str, now: dt.datetime) -> GrantQuery:
    """The grants that count for a decision on ``number`` at ``now`` under ``window``."""
    if not isinstance(number, ComplaintNumber):
        raise InvalidInputError("number", [Problem("number", "must be a ComplaintNumber")])
    if not isinstance(window, Window):
        raise InvalidInputError("window", [Problem("window", "must be a Window, such as the policy's window")])
    try:
        _TIME_ZONE.validate_python(timezone)
    except ValidationError as error:
        raise InvalidInputError("timezone", problems_from(error, "timezone")) from None
    if not isinstance(now, dt.datetime) or now.utcoffset() is None:
        raise InvalidInputError("time", [Problem("now", "must be a timezone-aware datetime")])
    customer = number.customer_id
    if window.kind == "incident":
        return GrantQuery(customer, number=number)
    if window.kind == "day":
        zone = zoneinfo.ZoneInfo(timezone)
        day = now.astimezone(zone).date()
        start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        return GrantQuery(customer, since=start.astimezone(dt.UTC), until=end.astimezone(dt.UTC))
    if window.duration is None:  # pragma: no cover - a rolling Window always has a duration
        raise AssertionError("a rolling window without a duration")
    # "later than now - d": the smallest stored time step is a microsecond
    since = earlier(now, window.duration, purpose="count the grants of the last") + dt.timedelta(microseconds=1)
    return GrantQuery(customer, since=since)


def total(grants: Iterable[Money], currency: str) -> Money:
    """The sum of ``grants``, zero in ``currency`` when there are none.

    A grant in another currency raises :class:`CurrencyMismatchError`: the ledger
    never converts, so policies that share a journal must use one currency.
    """
    result = Money.zero(currency)
    for grant in grants:
        if grant.currency != currency:
            raise CurrencyMismatchError(
                currency,
                grant.currency,
                location="currency",
                message=f"this customer was granted amounts in {grant.currency} within the window, and the "
                f"policy deciding now counts in {currency}: policies that share a journal must use one currency",
            )
        result = result + grant
    return result


class Ledger(Protocol):
    """What the guest was already granted, read inside the journal's write transaction.

    A journal hands one to the ``build`` function of :meth:`Journal.append`, so the
    check against a limit and the append of the approval are one atomic step.
    """

    def granted(
        self, number: ComplaintNumber, *, window: Window, timezone: str, currency: str, now: dt.datetime
    ) -> Money:
        """What the customer of ``number`` was granted within ``window`` as of ``now``."""
        ...
