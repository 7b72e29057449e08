"""The service's own clock: a time it cannot use is the server's fault (a 500, logged), never the client's (a
422), and nothing is recorded with it."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import pytest

from recovery_rules import MemoryJournal

from ._server import NOW, complaint, serve


class PendulumLike(dt.datetime):
    """A datetime subclass, as pendulum's, whose own methods say another time: the service reads what it holds."""

    def utcoffset(self) -> dt.timedelta | None:
        return None

    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return "2000-01-01T00:00:00+00:00"


NAIVE = NOW.replace(tzinfo=None)


@pytest.mark.parametrize(
    "clock",
    [lambda: NAIVE, NOW.isoformat, lambda: None],
    ids=["naive", "text", "none"],
)
def test_a_clock_that_gives_no_aware_time_is_a_logged_500_and_records_nothing(
    clock: Callable[[], object], caplog: pytest.LogCaptureFixture
) -> None:
    journal = MemoryJournal(clock=lambda: NOW)
    served = serve(journal=journal, clock=clock)  # type: ignore[arg-type]  # the fault under test
    with caplog.at_level(logging.ERROR, logger="recovery_rules.server"):
        opened = served.post("/v1/cases", json={"complaint": complaint()})
        decided = served.post("/v1/decisions", json={"complaint": complaint()})
        overdue = served.get("/v1/callbacks/overdue")
    for answer in (opened, decided, overdue):
        assert answer.status_code == 500, answer.json()
        assert answer.json()["type"].endswith("#internal"), answer.json()
        assert answer.json()["detail"] == "the service failed to answer; it was logged"
    assert list(journal.cases()) == []
    assert sum("the service's clock gave" in record.getMessage() for record in caplog.records) == 3


def test_a_datetime_subclass_is_read_as_the_time_it_holds() -> None:
    held = PendulumLike(2026, 11, 23, 16, 0, tzinfo=dt.UTC)
    served = serve(journal=MemoryJournal(clock=lambda: NOW), clock=lambda: held)
    opened = served.post("/v1/cases", json={"complaint": complaint()})
    assert opened.status_code == 201, opened.json()
    assert opened.json()["case"]["events"][0]["at"] == "2026-11-23T16:00:00Z"


def test_a_clock_in_another_zone_is_used_as_the_instant_it_is() -> None:
    zone = dt.timezone(dt.timedelta(hours=-5))
    served = serve(journal=MemoryJournal(clock=lambda: NOW), clock=lambda: NOW.astimezone(zone))
    overdue = served.get("/v1/callbacks/overdue")
    assert overdue.status_code == 200, overdue.json()
    assert dt.datetime.fromisoformat(overdue.json()["now"]) == NOW
