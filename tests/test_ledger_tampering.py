"""The ledger against tampering: no edit, deletion or re-dating of a stored row makes it count less.

The promise: what the ledger counts for a guest is never less than what the guest's verified grants add up to. A
journal is written (grants for one guest in three cases, one filed under another's incident, and another guest's
around them), the ledger is read, then someone with access to the database changes one row, one way: a grant's
amount or its columns set to NULL, its customer or incident index changed, the event or only its ledger time moved
a day, its running total lowered, the row deleted, a ledger head rewound or deleted. Read again, the ledger must
refuse (:class:`~recovery_rules.JournalIntegrityError`) or count at least as much as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery_rules import (
    Draft,
    JournalIntegrityError,
    MemoryJournal,
    Money,
    Outcome,
    SQLiteJournal,
)

from ._helpers import examples
from ._journal_backends import BACKENDS, Harness
from ._ledger_scenario import (
    CASES,
    GUEST,
    T0,
    TAMPERINGS,
    WINDOWS,
    Grant,
    append,
    check_no_tampering_counts_less,
    histories,
    ledger,
    naive,
    nows,
    park_case,
    shift_day,
    tamper,
)


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    harness = BACKENDS[request.param](tmp_path)
    yield harness
    harness.close()


@settings(max_examples=examples(60), deadline=None)
@given(history=histories, window=st.sampled_from(list(WINDOWS)), now=nows, case=st.sampled_from(["first", "second"]))
def test_the_ledger_counts_what_its_window_means(
    history: list[Grant], window: str, now: dt.datetime, case: str
) -> None:
    journal = MemoryJournal()
    for grant in history:
        append(journal, grant)
    assert ledger(journal, window, now, case) == naive(journal, window, now, case)
    times = [event.ledger.at for event in journal.iter_events() if event.ledger and event.customer_id == GUEST]
    assert times == sorted(times)  # a guest's grants are counted in the order they were recorded


SQL = ["sqlite", "postgres"]


@pytest.mark.slow
@pytest.mark.parametrize("name", SQL)
def test_no_tampering_with_one_row_makes_the_ledger_count_less(name: str) -> None:
    check_no_tampering_counts_less(BACKENDS[name], examples(60 if name == "sqlite" else 25))


@pytest.mark.parametrize("backend", SQL, indirect=True)
@pytest.mark.parametrize("how", TAMPERINGS)
def test_tampering_with_the_latest_grant_is_refused(backend: Harness, how: str) -> None:
    """Teeth: each way of tampering, done to the guest's latest grant of a two-grant day, is refused outright."""
    journal = backend.journal()
    append(journal, Grant("first", 0, "100.00"))
    append(journal, Grant("first", 30, "50.00"))
    now = T0 + dt.timedelta(hours=1)
    assert ledger(journal, "day", now) == Money("150.00", "USD")
    tamper(backend, journal, how, pick=1)
    reader = backend.journal()
    if how in ("ledger time moved a day earlier", "ledger time moved a day later"):
        # Only the index column moved: the latest grant is found through its head and checked whole.
        with pytest.raises(JournalIntegrityError):
            ledger(reader, "day", now)
        return
    window = "incident" if how.startswith("incident") else "day"
    with pytest.raises(JournalIntegrityError):
        ledger(reader, window, now)


# -- the red team's repro: the theme park, $150 a guest a day, a grant edited away in the database --------------


REDTEAM: dict[str, Callable[[Harness, int], None]] = {
    "grant set to NULL": lambda harness, seq: harness.edit(seq, "grant", None),
    "customer changed": lambda harness, seq: harness.edit(seq, "customer_id", "G8"),
    "moved to the day before": lambda harness, seq: harness.edit(
        seq, "at", shift_day(str(harness.record(seq)["at"]), -1)
    ),
    "row deleted": lambda harness, seq: harness.delete(seq),
}


@pytest.mark.parametrize("backend", SQL, indirect=True)
@pytest.mark.parametrize("how", list(REDTEAM))
def test_a_grant_edited_away_makes_the_next_decision_refuse(backend: Harness, how: str) -> None:
    now = dt.datetime(2026, 11, 20, 18, 0, tzinfo=dt.UTC)
    journal = backend.journal()
    first = park_case(journal, "G7", now)
    assert first.decide(now=now).outcome is Outcome.APPROVED
    granted = next(event.seq for event in first.history if event.grant is not None)
    REDTEAM[how](backend, granted)
    later = now + dt.timedelta(minutes=10)
    with pytest.raises(JournalIntegrityError):  # the guest's new case is refused, at the latest when it decides
        park_case(backend.journal(), "G7", later).decide(now=later)


def test_an_untouched_journal_escalates_the_second_150(tmp_path: Path) -> None:
    """The same scenario without tampering: the second $150 of the day is beyond the ticket agent."""
    now = dt.datetime(2026, 11, 20, 18, 0, tzinfo=dt.UTC)
    with SQLiteJournal(tmp_path / "journal.sqlite3") as journal:
        assert park_case(journal, "G7", now).decide(now=now).outcome is Outcome.APPROVED
        second = park_case(journal, "G7", now + dt.timedelta(minutes=10))
        assert second.decide(now=now + dt.timedelta(minutes=11)).outcome is Outcome.ESCALATED


@pytest.mark.parametrize("scope", ["guest", "incident"])
def test_a_head_rewound_past_a_grant_stored_right_after_it_is_refused(backend: Harness, scope: str) -> None:
    """Two grants back to back, no other event between them: a head rewound to the first one is still found out
    (the grant after it is looked for from the very next position on)."""
    journal = backend.journal()
    number = CASES["first"]
    for version, (minutes, amount) in enumerate([(0, "100.00"), (5, "50.00")]):
        at = T0 + dt.timedelta(minutes=minutes)
        draft = Draft(kind="granted", state="granted", actor="staff", at=at, grant=Money(amount, "USD"))
        journal.append(number, draft, expected_version=version, key=f"grant-{version}", request={})
    first = next(journal.iter_events())
    assert ledger(journal, "day", T0 + dt.timedelta(hours=1)) == Money("150.00", "USD")
    backend.set_head(scope, GUEST if scope == "guest" else str(number), (first.seq, first.hash))
    window = "day" if scope == "guest" else "incident"
    with pytest.raises(JournalIntegrityError, match="rewound"):
        ledger(backend.journal(), window, T0 + dt.timedelta(hours=1))
