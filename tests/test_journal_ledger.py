"""The ledger: what a guest was granted within a policy's window, read from the journal's grant events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from recovery_rules import (
    ComplaintNumber,
    CurrencyMismatchError,
    Draft,
    InvalidInputError,
    Journal,
    MemoryJournal,
    Money,
    Window,
)

from ._journal_backends import BACKENDS, Harness

NEW_YORK = "America/New_York"
# 23 November 2026 in New York is UTC-5: local midnight is 05:00 UTC.
MIDNIGHT = dt.datetime(2026, 11, 24, 5, 0, tzinfo=dt.UTC)


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    harness = BACKENDS[request.param](tmp_path)
    yield harness
    harness.close()


def grant(journal: Journal, number: str, amount: str, at: dt.datetime, *, currency: str = "USD") -> None:
    case = ComplaintNumber.parse(number)
    version = journal.version(case)
    journal.append(
        case,
        Draft(kind="granted", state="granted", actor="staff", at=at, grant=Money(amount, currency)),
        expected_version=version,
        key=f"{number}-{version}",
        request={},
    )


def note(journal: Journal, number: str, at: dt.datetime) -> None:
    case = ComplaintNumber.parse(number)
    version = journal.version(case)
    journal.append(
        case,
        Draft(kind="noted", state="noted", actor="staff", at=at),
        expected_version=version,
        key=f"{number}-{version}",
        request={},
    )


def granted(journal: Journal, number: str, window: Window, now: dt.datetime, timezone: str = NEW_YORK) -> Money:
    return journal.granted(ComplaintNumber.parse(number), window=window, timezone=timezone, currency="USD", now=now)


@pytest.fixture
def ledger(backend: Harness) -> Journal:
    """Guest 10442: grants on two local days and three cases; guest 555 and events without grants around."""
    journal = backend.journal()
    second = dt.timedelta(seconds=1)
    grant(journal, "20261123-10442", "100.00", MIDNIGHT - dt.timedelta(hours=20))  # 09:00 local on the 23rd
    note(journal, "20261123-10442", MIDNIGHT - dt.timedelta(hours=19))
    grant(journal, "20261123-10442/2", "40.00", MIDNIGHT - second)  # 23:59:59 local on the 23rd
    grant(journal, "20261123-555", "999.00", MIDNIGHT - dt.timedelta(hours=2))  # another guest
    grant(journal, "20261124-10442", "7.50", MIDNIGHT)  # 00:00:00 local on the 24th
    grant(journal, "20261124-10442", "2.50", MIDNIGHT + dt.timedelta(hours=3))
    return journal


def test_incident_counts_only_this_complaint(ledger: Journal) -> None:
    now = MIDNIGHT + dt.timedelta(hours=5)
    assert granted(ledger, "20261123-10442", Window.incident(), now) == Money("100.00", "USD")
    assert granted(ledger, "20261123-10442/2", Window.incident(), now) == Money("40.00", "USD")
    assert granted(ledger, "20261124-10442", Window.incident(), now) == Money("10.00", "USD")
    assert granted(ledger, "20261125-10442", Window.incident(), now) == Money("0.00", "USD")


def test_day_is_the_calendar_day_in_the_policys_time_zone(ledger: Journal) -> None:
    on_the_23rd = MIDNIGHT - dt.timedelta(minutes=1)
    on_the_24th = MIDNIGHT + dt.timedelta(hours=12)
    assert granted(ledger, "20261123-10442", Window.day(), on_the_23rd) == Money("140.00", "USD")
    assert granted(ledger, "20261124-10442", Window.day(), on_the_24th) == Money("10.00", "USD")
    assert granted(ledger, "20261124-10442", Window.day(), MIDNIGHT) == Money("10.00", "USD")
    # In UTC the day boundary falls elsewhere: 09:00 New York is 14:00 UTC on the 23rd, 23:59 is 04:59 on the 24th.
    utc_23rd = dt.datetime(2026, 11, 23, 23, 0, tzinfo=dt.UTC)
    assert granted(ledger, "20261123-10442", Window.day(), utc_23rd, "UTC") == Money("100.00", "USD")
    assert granted(ledger, "20261124-10442", Window.day(), MIDNIGHT, "UTC") == Money("50.00", "USD")


def test_day_follows_daylight_saving_changes() -> None:
    journal = MemoryJournal()
    # New York falls back on 1 November 2026: that local day is 25 hours long (04:00 UTC to 05:00 UTC next day).
    grant(journal, "20261101-1", "1.00", dt.datetime(2026, 11, 1, 4, 0, tzinfo=dt.UTC))  # 00:00 local
    grant(journal, "20261101-1", "2.00", dt.datetime(2026, 11, 2, 4, 59, tzinfo=dt.UTC))  # 23:59 local
    grant(journal, "20261102-1", "4.00", dt.datetime(2026, 11, 2, 5, 0, tzinfo=dt.UTC))  # 00:00 on the 2nd
    now = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
    assert granted(journal, "20261101-1", Window.day(), now) == Money("3.00", "USD")


def test_a_rolling_window_counts_what_is_later_than_now_minus_its_length(ledger: Journal) -> None:
    first = MIDNIGHT - dt.timedelta(hours=20)
    day = Window.rolling(dt.timedelta(days=1))
    assert granted(ledger, "20261124-10442", day, first + dt.timedelta(days=1)) == Money("50.00", "USD")
    assert granted(ledger, "20261124-10442", day, first + dt.timedelta(days=1, microseconds=-1)) == Money(
        "150.00", "USD"
    )
    hour = Window.rolling(dt.timedelta(hours=1))
    assert granted(ledger, "20261124-10442", hour, MIDNIGHT + dt.timedelta(hours=3, minutes=30)) == Money("2.50", "USD")
    assert granted(ledger, "20261124-10442", hour, MIDNIGHT + dt.timedelta(hours=4)) == Money("0.00", "USD")
    # grants stamped after now (a clock running ahead elsewhere) count: the ledger errs on the side of the limit
    assert granted(ledger, "20261124-10442", hour, MIDNIGHT - dt.timedelta(hours=30)) == Money("150.00", "USD")


def test_only_grant_events_of_this_guest_count(ledger: Journal) -> None:
    everything = Window.rolling(dt.timedelta(days=3650))
    now = MIDNIGHT + dt.timedelta(days=1)
    assert granted(ledger, "20261201-10442", everything, now) == Money("150.00", "USD")
    assert granted(ledger, "20261201-555", everything, now) == Money("999.00", "USD")
    assert granted(ledger, "20261201-1", everything, now) == Money("0.00", "USD")
    assert granted(ledger, "20261201-1044", everything, now) == Money("0.00", "USD")  # not a prefix match


def test_grants_in_another_currency_are_refused(backend: Harness) -> None:
    journal = backend.journal()
    grant(journal, "20261123-1", "10.00", MIDNIGHT, currency="EUR")
    with pytest.raises(CurrencyMismatchError, match="policies that share a journal must use one currency") as caught:
        granted(journal, "20261123-1", Window.incident(), MIDNIGHT)
    assert caught.value.currencies == ("USD", "EUR")
    assert [problem.location for problem in caught.value.problems] == ["currency"]
    assert "20261123-1" not in str(caught.value)  # the customer number is personal data


def test_now_must_be_timezone_aware(ledger: Journal) -> None:
    with pytest.raises(InvalidInputError, match="timezone-aware"):
        granted(ledger, "20261123-1", Window.day(), dt.datetime(2026, 11, 23))  # noqa: DTZ001 - naive on purpose


def test_the_incident_of_another_customer_is_refused(ledger: Journal) -> None:
    with pytest.raises(InvalidInputError, match="same customer"):
        ledger.granted(
            ComplaintNumber.parse("20261124-10442"),
            window=Window.incident(),
            timezone=NEW_YORK,
            currency="USD",
            now=MIDNIGHT,
            incident=ComplaintNumber.parse("20261123-555"),  # another guest's incident, with its $999
        )


def test_a_grant_filed_under_another_customers_incident_is_refused_and_nothing_is_recorded(backend: Harness) -> None:
    journal = backend.journal()
    grant(journal, "20261123-555", "999.00", MIDNIGHT)
    case = ComplaintNumber.parse("20261124-10442")
    draft = Draft(
        kind="granted",
        state="granted",
        actor="staff",
        at=MIDNIGHT,
        grant=Money("10.00", "USD"),
        incident=ComplaintNumber.parse("20261123-555"),
    )
    with pytest.raises(InvalidInputError, match="same customer"):
        journal.append(case, draft, expected_version=0, key="other", request={})
    assert journal.head().count == 1
    other = ComplaintNumber.parse("20261123-555")
    assert journal.granted(other, window=Window.incident(), timezone=NEW_YORK, currency="USD", now=MIDNIGHT) == Money(
        "999.00", "USD"
    )


def test_a_grant_in_another_currency_than_the_guests_earlier_ones_is_not_recorded(backend: Harness) -> None:
    journal = backend.journal()
    grant(journal, "20261123-1", "10.00", MIDNIGHT, currency="EUR")
    with pytest.raises(CurrencyMismatchError, match="policies that share a journal must use one currency"):
        grant(journal, "20261123-1", "5.00", MIDNIGHT + dt.timedelta(minutes=1))
    assert journal.head().count == 1


def test_the_incident_window_of_a_follow_up_case_counts_its_incidents_grants(ledger: Journal) -> None:
    follow_up = ComplaintNumber.parse("20261125-10442")
    now = MIDNIGHT + dt.timedelta(days=1)
    for incident, expected in (("20261123-10442", "100.00"), ("20261124-10442", "10.00")):
        counted = ledger.granted(
            follow_up,
            window=Window.incident(),
            timezone=NEW_YORK,
            currency="USD",
            now=now,
            incident=ComplaintNumber.parse(incident),
        )
        assert counted == Money(expected, "USD")  # the incident's grants, not the follow-up's own (none)


def test_a_latest_grant_at_the_very_start_of_a_window_is_counted(backend: Harness) -> None:
    journal = backend.journal()
    grant(journal, "20261123-1", "30.00", MIDNIGHT - dt.timedelta(hours=1))
    grant(journal, "20261124-1", "7.00", MIDNIGHT)  # the guest's latest, at 00:00:00 local on the 24th
    hour = Window.rolling(dt.timedelta(hours=1))
    # an hour later less a microsecond, the window starts at the latest grant's very time: it counts
    assert granted(journal, "20261124-1", hour, MIDNIGHT + dt.timedelta(hours=1, microseconds=-1)) == Money(
        "7.00", "USD"
    )
    assert granted(journal, "20261124-1", hour, MIDNIGHT + dt.timedelta(hours=1)) == Money("0.00", "USD")
    assert granted(journal, "20261124-1", Window.day(), MIDNIGHT + dt.timedelta(hours=2)) == Money("7.00", "USD")


def test_a_grant_dated_before_the_guests_latest_is_counted_at_the_latest_ones_time(backend: Harness) -> None:
    journal = backend.journal()
    grant(journal, "20261124-10442", "10.00", MIDNIGHT + dt.timedelta(hours=1))
    grant(journal, "20261123-10442", "5.00", MIDNIGHT - dt.timedelta(minutes=1))  # a clock behind: on the 23rd
    latest = journal.events(ComplaintNumber.parse("20261123-10442"))[-1]
    assert latest.ledger is not None
    assert latest.ledger.at == MIDNIGHT + dt.timedelta(hours=1)  # counted no earlier than the guest's latest
    on_the_24th = MIDNIGHT + dt.timedelta(hours=2)
    assert granted(journal, "20261124-10442", Window.day(), on_the_24th) == Money("15.00", "USD")
    assert granted(journal, "20261123-10442", Window.day(), MIDNIGHT - dt.timedelta(seconds=1)) == Money("0.00", "USD")
