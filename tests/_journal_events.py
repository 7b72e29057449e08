"""Events for the journal tests: three case numbers, one draft step, and a few cases' worth of steps."""

from __future__ import annotations

import datetime as dt

from recovery_rules import ComplaintNumber, Draft, Journal, Money

T0 = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
A = ComplaintNumber.parse("20261123-10442")
B = ComplaintNumber.parse("20261123-10442/2")
C = ComplaintNumber.parse("20261123-77")


def draft(kind: str = "noted", *, minutes: int = 0, grant: str | None = None, due: int | None = None) -> Draft:
    return Draft(
        kind=kind,
        state=kind,
        actor="staff",
        at=T0 + dt.timedelta(minutes=minutes),
        data={"notes": f"step at +{minutes} minutes", "amount": grant or "0"},
        grant=None if grant is None else Money(grant, "USD"),
        callback_due=None if due is None else T0 + dt.timedelta(hours=due),
    )


def add(journal: Journal, number: ComplaintNumber, kind: str = "noted", **options: object) -> None:
    version = journal.version(number)
    journal.append(
        number,
        draft(kind, **options),  # type: ignore[arg-type]
        expected_version=version,
        key=f"{number}-{version + 1}",
        request={"n": str(number), "v": version + 1},
    )


def fill(journal: Journal, count: int = 9) -> None:
    """``count`` events over three interleaved cases, some with grants."""
    numbers = (A, B, C)
    for i in range(count):
        add(journal, numbers[i % 3], minutes=i, grant="10.00" if i % 4 == 3 else None)
