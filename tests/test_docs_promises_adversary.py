"""Promises of the case pages attacked from inside the rules: a host app or an employee using only the public API
(``Case``, the journal) to be granted more than the policy allows or to make the paper trail say what did not
happen. On a memory and an SQLite journal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from recovery_rules import (
    AuthorityError,
    Case,
    CaseState,
    Complaint,
    Customer,
    IdempotencyConflictError,
    Journal,
    MemoryJournal,
    Money,
    Outcome,
    Remedy,
    SQLiteJournal,
    presets,
)

NOON_IN_LOS_ANGELES = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC)
NEXT_NOON = NOON_IN_LOS_ANGELES + dt.timedelta(days=1)
HOTEL_AFTERNOON = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)


def _open(kind: str, tmp_path: Path, *, clock: dt.datetime, encrypt: bool = False) -> Journal:
    if kind == "memory":
        return MemoryJournal(clock=lambda: clock, encrypt_personal_data=encrypt)
    return SQLiteJournal(tmp_path / "journal.db", clock=lambda: clock, encrypt_personal_data=encrypt)


@pytest.fixture(params=["memory", "sqlite"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def journal(kind: str, tmp_path: Path) -> Iterator[Journal]:
    opened = _open(kind, tmp_path, clock=NEXT_NOON)
    yield opened
    opened.close()


def _asked(case: Case, at: dt.datetime) -> Case:
    case.listen(now=at)
    case.apologize(now=at)
    case.ask_preferred_solution(now=at)
    return case


def _park_complaint(kind: str, amount: str) -> Complaint:
    return Complaint(
        customer=Customer(id="10442"),
        category="long_wait",
        requested=Remedy(kind=kind, amount=Money(amount, "USD")),
        received_at=NOON_IN_LOS_ANGELES,
    )


def _escalated_past_the_ticket_agents_day(journal: Journal) -> Case:
    """A theme-park guest granted $100 by a ticket agent, then asking $100 more the same day: escalated to guest
    relations by employee E-1 (the ticket agent's $150 a day would be passed)."""
    park = presets.load("theme-park")
    first = _asked(
        Case.open(journal, park, _park_complaint("credit", "100.00"), by="ticket_agent", now=NOON_IN_LOS_ANGELES),
        NOON_IN_LOS_ANGELES,
    )
    assert first.decide(now=NOON_IN_LOS_ANGELES).approved
    second = _asked(
        Case.open(journal, park, _park_complaint("refund", "100.00"), by="ticket_agent", now=NOON_IN_LOS_ANGELES),
        NOON_IN_LOS_ANGELES,
    )
    decision = second.decide(now=NOON_IN_LOS_ANGELES)
    assert decision.outcome is Outcome.ESCALATED
    assert decision.escalate_to == "guest_relations"
    second.escalate(now=NOON_IN_LOS_ANGELES, employee="E-1")
    return second


def test_a_level_below_the_escalation_may_not_deny_it_even_when_its_window_has_room_again(journal: Journal) -> None:
    """The case path: denials are decided "by the level the case was escalated to or a higher one". The next day the
    ticket agent's day window is empty again, and still another ticket agent may not deny the escalated case (an
    approval by them is allowed, their own authority covering it: see test_case_employees.py)."""
    case = _escalated_past_the_ticket_agents_day(journal)
    before = journal.head()
    with pytest.raises(AuthorityError) as refused:
        case.manager_denies(by="ticket_agent", reason="It was a short wait.", now=NEXT_NOON, employee="E-2")
    assert refused.value.needed == "guest_relations"
    assert journal.head() == before
    assert case.state is CaseState.ESCALATED


def _hotel_complaint(amount: str) -> Complaint:
    return Complaint(
        customer=Customer(id="10442", name="Ms. Okafor"),
        category="noise",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=HOTEL_AFTERNOON,
        description="The party next door went on until four.",
    )


def test_the_same_complaint_opened_again_after_an_erasure_still_joins_its_first_incident(
    kind: str, tmp_path: Path
) -> None:
    """Case.open: "A complaint opened again while its first case exists ... joins the first case's incident by
    itself, so opening it twice never gives it two caps." Erasing the guest's personal data (the first case still
    exists, its grant still counted) must not turn the same complaint into a new incident with $2,000 more."""
    policy = presets.ritz_carlton()
    with _open(kind, tmp_path, clock=HOTEL_AFTERNOON, encrypt=True) as journal:
        first = _asked(
            Case.open(journal, policy, _hotel_complaint("1500.00"), by="staff", now=HOTEL_AFTERNOON), HOTEL_AFTERNOON
        )
        assert first.decide(now=HOTEL_AFTERNOON).approved
        journal.erase_customer("10442", employee="E-0042", now=HOTEL_AFTERNOON)
        again = Case.open(journal, policy, _hotel_complaint("1500.00"), by="staff", now=HOTEL_AFTERNOON)
        assert journal.events(again.number)[0].data.get("incident") == str(first.number)
        decision = _asked(again, HOTEL_AFTERNOON).decide(now=HOTEL_AFTERNOON)
        assert decision.outcome is Outcome.ESCALATED  # $3,000 for the incident: above staff's $2,000


def test_a_key_used_for_a_step_of_one_case_is_a_conflict_on_another_cases_same_step(journal: Journal) -> None:
    """The run-a-case page: "the same key with different content raises IdempotencyConflictError". The same step with
    the same arguments on another guest's case is another request: it is refused, never answered with the first
    guest's event, and nothing is written."""
    policy = presets.ritz_carlton()
    mine = Case.open(journal, policy, _hotel_complaint("100.00"), by="staff", now=HOTEL_AFTERNOON)
    theirs = Case.open(
        journal,
        policy,
        _hotel_complaint("100.00").model_copy(update={"customer": Customer(id="777")}),
        by="staff",
        now=HOTEL_AFTERNOON,
    )
    mine.listen(now=HOTEL_AFTERNOON, key="listen-1")
    before = journal.head()
    with pytest.raises(IdempotencyConflictError):
        theirs.listen(now=HOTEL_AFTERNOON, key="listen-1")
    assert journal.head() == before
    assert theirs.state is CaseState.OPENED
