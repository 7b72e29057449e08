"""Promises of the docstrings of the public case API (``Case``, ``CaseView``), checked where a docs audit found
them untested or broken, on a memory and an SQLite journal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from recovery_rules import (
    AuthorityError,
    Case,
    CaseState,
    CaseView,
    Complaint,
    Customer,
    IdempotencyConflictError,
    InvalidInputError,
    Journal,
    JournalIntegrityError,
    MemoryJournal,
    Money,
    Policy,
    Remedy,
    SQLiteJournal,
)

from ._helpers import complaint, policy_data

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
POLICY = Policy.model_validate(policy_data())  # staff $100, supervisor $500, manager $2,000, owner unlimited
REASON = "Mr Okafor was refunded for room 1208 last week"


def _at(minutes: int) -> dt.datetime:
    return NOW + dt.timedelta(minutes=minutes)


def _open(kind: str, tmp_path: Path, *, encrypt: bool = False) -> Journal:
    if kind == "memory":
        return MemoryJournal(clock=lambda: NOW, encrypt_personal_data=encrypt)
    return SQLiteJournal(tmp_path / "journal.db", clock=lambda: NOW, encrypt_personal_data=encrypt)


@pytest.fixture(params=["memory", "sqlite"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def journal(kind: str, tmp_path: Path) -> Iterator[Journal]:
    opened = _open(kind, tmp_path)
    yield opened
    opened.close()


def _escalated(journal: Journal, policy: Policy, at: dt.datetime, *, employee: str | None = None) -> Case:
    """A $1,500 refund, beyond staff's authority, escalated to the manager by ``employee``, every step at ``at``."""
    case = Case.open(journal, policy, complaint("1500.00"), by="staff", now=at)
    case.listen(now=at)
    case.apologize(now=at)
    case.ask_preferred_solution(now=at)
    case.decide(now=at)
    case.escalate(now=at, employee=employee)
    assert case.escalated_to == "manager"
    return case


# -- Case._forget_erased: a step re-reads the case when its customer was erased since it opened -------------------
def test_a_case_opened_on_a_clock_ahead_of_the_journals_writes_no_erased_words_back(kind: str, tmp_path: Path) -> None:
    journal = _open(kind, tmp_path, encrypt=True)
    try:
        ahead = _at(4)  # the host's clock runs 4 minutes ahead of the journal's: within its max_ahead (5 minutes)
        case = _escalated(journal, POLICY, ahead)
        case.manager_denies(by="manager", reason=REASON, now=ahead)
        journal.erase_customer("10442", employee="E-0042")  # at the journal's clock, NOW
        case.explain_denial(now=ahead)  # the object loaded before the erasure
        stored = repr([event.data for event in journal.events(case.number)])
        assert REASON not in stored
    finally:
        journal.close()


def test_a_case_opened_on_the_journals_clock_writes_no_erased_words_back(kind: str, tmp_path: Path) -> None:
    journal = _open(kind, tmp_path, encrypt=True)
    try:
        case = _escalated(journal, POLICY, NOW)
        case.manager_denies(by="manager", reason=REASON, now=NOW)
        journal.erase_customer("10442", employee="E-0042")
        explained = case.explain_denial(now=_at(1))
        assert explained.data["reason"] == "[erased]"
        assert REASON not in repr([event.data for event in journal.events(case.number)])
    finally:
        journal.close()


# -- CaseView.after: "Raises JournalIntegrityError as replay does" -------------------------------------------------
@pytest.mark.parametrize("value", ["20261123-10442", None, {"kind": "listened"}])
def test_case_view_after_refuses_a_value_that_is_not_an_event_as_replay_does(journal: Journal, value: object) -> None:
    case = Case.open(journal, POLICY, complaint("50.00"), by="staff", now=NOW)
    view = CaseView.replay(journal.events(case.number))
    with pytest.raises(InvalidInputError, match="event"):
        view.after(value)  # type: ignore[arg-type]


def test_case_view_replay_refuses_an_event_of_another_case_naming_its_position(journal: Journal) -> None:
    ours = Case.open(journal, POLICY, complaint("50.00"), by="staff", now=NOW)
    theirs = Case.open(journal, POLICY, complaint("60.00", customer="77"), by="staff", now=NOW)
    theirs.listen(now=NOW)
    foreign = journal.events(theirs.number)[1]
    with pytest.raises(JournalIntegrityError, match="belongs to another case") as caught:
        CaseView.replay([journal.events(ours.number)[0], foreign])
    assert caught.value.seq == foreign.seq


# -- AuthorityError.level: "the level that tried" -----------------------------------------------------------------
@pytest.mark.parametrize("step", ["manager_approves", "manager_denies"])
def test_a_delegate_refused_their_own_escalation_is_named_as_the_level_that_tried(journal: Journal, step: str) -> None:
    data = policy_data()
    data["levels"][2]["delegates"] = ["supervisor"]
    policy = Policy.model_validate(data)
    case = _escalated(journal, policy, NOW, employee="E-0007")
    head = journal.head()
    steps: dict[str, Callable[[], object]] = {
        "manager_approves": lambda: case.manager_approves(
            by="supervisor", acting_for="manager", employee="E-0007", now=NOW
        ),
        "manager_denies": lambda: case.manager_denies(
            by="supervisor", acting_for="manager", reason="over the limit", employee="E-0007", now=NOW
        ),
    }
    with pytest.raises(AuthorityError) as caught:
        steps[step]()
    assert caught.value.level == "supervisor"
    assert f"{step} by supervisor is refused: E-0007 escalated this case" in str(caught.value)
    assert journal.head() == head


def test_a_delegate_who_did_not_escalate_denies_for_the_absent_level(journal: Journal) -> None:
    data = policy_data()
    data["levels"][2]["delegates"] = ["supervisor"]
    policy = Policy.model_validate(data)
    case = _escalated(journal, policy, NOW, employee="E-0007")
    denied = case.manager_denies(
        by="supervisor", acting_for="manager", reason="over the limit", employee="E-0008", now=NOW
    )
    assert (denied.actor, denied.data["acting_for"], case.state) == ("supervisor", "manager", CaseState.DENIED)


# -- messages that name an event kind -----------------------------------------------------------------------------
def test_a_key_reused_for_another_opening_is_refused_naming_an_opened_event(journal: Journal) -> None:
    Case.open(journal, POLICY, complaint("50.00"), by="staff", now=NOW, key="open-1")
    with pytest.raises(IdempotencyConflictError) as caught:
        Case.open(journal, POLICY, complaint("60.00"), by="staff", now=NOW, key="open-1")
    assert "(an 'opened' event, journal event 1)" in str(caught.value)


def test_an_event_out_of_order_is_refused_naming_an_apologized_event(journal: Journal) -> None:
    case = Case.open(journal, POLICY, complaint("50.00"), by="staff", now=NOW)
    case.listen(now=NOW)
    case.apologize(now=NOW)
    opened, _, apologized = journal.events(case.number)
    with pytest.raises(JournalIntegrityError, match="an 'apologized' event cannot follow state 'opened'"):
        CaseView.replay([opened, apologized])


# -- manager_approves(amount=...): a counter-offer in a currency of 0 or 3 decimal places -------------------------
@pytest.mark.parametrize(
    "example",
    [
        ("JPY", "150000", "99999", "99999.5", "¥99,999 offered of the ¥150,000 asked: granted when the guest accepts"),
        (
            "BHD",
            "1500.000",
            "999.999",
            "999.9995",
            "999.999 BHD offered of the 1,500.000 BHD asked: granted when the guest accepts",
        ),
    ],
)
def test_a_counter_offer_in_a_currency_of_zero_or_three_decimals_is_worded_and_granted_exactly(
    journal: Journal, example: tuple[str, str, str, str, str]
) -> None:
    currency, asked, offered, too_fine, reason = example
    data = policy_data(currency=currency, hard_cap="500000")
    for level in data["levels"]:
        level.pop("tier_limits", None)
    data["levels"][0]["limit"] = "100"
    data["levels"][1]["limit"] = "500"
    data["levels"][2]["limit"] = "200000"
    policy = Policy.model_validate(data)
    case = Case.open(
        journal,
        policy,
        Complaint(
            customer=Customer(id="10442"),
            category="room_not_ready",
            requested=Remedy(kind="refund", amount=Money(asked, currency)),
            received_at=NOW,
        ),
        by="staff",
        now=NOW,
    )
    case.listen(now=NOW)
    case.apologize(now=NOW)
    case.ask_preferred_solution(now=NOW)
    case.decide(now=NOW)
    case.escalate(now=NOW)
    head = journal.head()
    with pytest.raises(InvalidInputError, match="amount"):
        case.manager_approves(by="manager", amount=Money(too_fine, currency), now=NOW)
    assert journal.head() == head
    assert case.manager_approves(by="manager", amount=Money(offered, currency), now=NOW).reason == reason
    case.deliver(now=NOW)
    case.accept_offer(now=NOW)
    assert case.granted == Money(offered, currency)
    assert case.state is CaseState.RESOLVED


# -- Case.open / Case.load: "clock gives the time of each step whose now is omitted" ------------------------------
@pytest.mark.parametrize("returned", [dt.datetime(2026, 11, 23, 9, 40), "2026-11-23T09:40:00Z"])  # noqa: DTZ001
def test_a_clock_returning_no_aware_time_is_refused_at_clock_not_at_now(journal: Journal, returned: object) -> None:
    case = Case.open(journal, POLICY, complaint("50.00"), by="staff", now=NOW)
    loaded = Case.load(journal, POLICY, case.number, clock=lambda: returned)  # type: ignore[arg-type, return-value]
    head = journal.head()
    with pytest.raises(InvalidInputError) as caught:
        loaded.listen()
    assert [problem.location for problem in caught.value.problems] == ["clock"]
    assert journal.head() == head
