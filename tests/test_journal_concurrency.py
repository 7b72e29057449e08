"""Many employees approving for one guest at once, against one SQLite file: the limits hold.

Threads and processes open cases for the same guest on the same day (the
policy's window is the calendar day) and decide them, staff and supervisors
alike. Whatever the interleaving, the total granted never passes the
supervisor's limit (the per-guest cap), no staff approval makes the day's total
pass the staff limit, and every attempt ends approved, escalated or denied,
recorded once. A deliberately non-atomic journal, which reads the ledger
before taking the write lock, shows that these checks catch a race.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recovery_rules import (
    Case,
    Complaint,
    ComplaintNumber,
    Customer,
    Draft,
    Event,
    Journal,
    Ledger,
    Money,
    Policy,
    Remedy,
    SQLiteJournal,
    Window,
)
from recovery_rules._journal import JSONValue

from ._helpers import policy_data

NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
STAFF_LIMIT = Money("100.00", "USD")
CAP = Money("250.00", "USD")
ASK = Money("7.00", "USD")
GUEST = "10442"


def _policy() -> Policy:
    return Policy.model_validate(
        policy_data(
            window="day",
            hard_cap=str(CAP.amount),
            levels=[
                {"name": "staff", "limit": str(STAFF_LIMIT.amount)},
                {"name": "supervisor", "limit": str(CAP.amount), "callback_within": "1h"},
            ],
            denials_delivered_by="supervisor",
        )
    )


POLICY = _policy()


class RacyJournal(SQLiteJournal):
    """BROKEN ON PURPOSE: reads the ledger outside the write transaction (check, then append).

    ``pause`` runs between a decision's check and its append: the test makes every thread of
    a round finish its check before any appends, the worst interleaving, every time.
    """

    pause: Callable[[], object] = staticmethod(lambda: None)

    def append(
        self,
        number: ComplaintNumber,
        build: Draft | Callable[[Ledger], Draft],
        *,
        expected_version: int,
        key: str,
        request: Any,
    ) -> Event:
        if callable(build):
            build = build(self)  # the journal itself answers granted(), each time in its own read transaction
            if build.kind == "decided":
                self.pause()
        return super().append(number, build, expected_version=expected_version, key=key, request=request)


@dataclass(frozen=True)
class Attempt:
    level: str
    outcome: str
    number: str


def prepare(journal: Journal, level: str, key: str) -> Case:
    """A case of the guest's, brought to the point of deciding: open, listen, apologize, ask."""
    complaint = Complaint(
        customer=Customer(id=GUEST),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=ASK),
        received_at=NOW,
    )
    case = Case.open(journal, POLICY, complaint, by=level, now=NOW, key=key)
    case.listen(now=NOW)
    case.apologize(now=NOW)
    case.ask_preferred_solution(now=NOW)
    return case


def work(  # noqa: PLR0917 - Pool.starmap passes arguments by position
    path: str, racy: bool, worker: str, attempts: int, threads: int, handles: int
) -> list[Attempt]:
    """One worker process (or the test itself): ``threads`` threads sharing ``handles`` journal handles.

    Each thread prepares its ``attempts`` cases, then all decide together, round by round:
    every round starts when every thread has finished the round before, so the decisions
    of a round race each other for the ledger.
    """
    journal_class = RacyJournal if racy else SQLiteJournal
    journals = [journal_class(path) for _ in range(handles)]
    results: list[Attempt] = []
    lock = threading.Lock()
    rounds = threading.Barrier(threads)
    checked = threading.Barrier(threads)
    for journal in journals:
        if isinstance(journal, RacyJournal):
            journal.pause = checked.wait

    def run(thread: int) -> None:
        journal = journals[thread % handles]
        levels = ["staff" if (thread + index) % 2 == 0 else "supervisor" for index in range(attempts)]
        cases = [prepare(journal, level, f"{worker}.{thread}.{index}") for index, level in enumerate(levels)]
        for case, level in zip(cases, levels, strict=True):
            rounds.wait()
            outcome = case.decide(now=NOW).outcome.value
            with lock:
                results.append(Attempt(level, outcome, str(case.number)))

    pool = [threading.Thread(target=run, args=(thread,)) for thread in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    for journal in journals:
        journal.close()
    return results


def audit(path: Path, results: list[Attempt], expected: int) -> dict[str, Any]:
    """Every figure the properties are about, read back from the journal itself."""
    with SQLiteJournal(path) as journal:
        events = list(journal.iter_events())
        verified = journal.verify().ok
        ledger = journal.granted(
            ComplaintNumber.parse(f"20261123-{GUEST}"), window=Window.day(), timezone="UTC", currency="USD", now=NOW
        )
    decided = [event for event in events if event.kind == "decided"]
    running = Money.zero("USD")
    staff_over, cap_over = 0, 0
    for event in events:  # replay the grants in the order they were committed
        if event.grant is None:
            continue
        running += event.grant
        if event.actor == "staff" and running > STAFF_LIMIT:
            staff_over += 1
        if running > CAP:
            cap_over += 1
    outcomes = Counter(result.outcome for result in results)
    recorded = Counter(str(_outcome(event)) for event in decided)
    return {
        "attempts": expected,
        "answered": len(results),
        "decided_events": len(decided),
        "distinct_cases": len({result.number for result in results}),
        "outcomes": dict(outcomes),
        "recorded": dict(recorded),
        "granted": running,
        "ledger": ledger,
        "staff_approvals_over_staff_limit": staff_over,
        "grants_over_cap": cap_over,
        "verified": verified,
    }


def _outcome(event: Event) -> JSONValue:
    resolution = event.data["resolution"]
    return resolution["outcome"] if isinstance(resolution, dict) else None


def check(figures: dict[str, Any]) -> list[str]:
    """The properties; an empty list when all hold."""
    problems = []
    attempts = figures["attempts"]
    if not (figures["answered"] == figures["decided_events"] == figures["distinct_cases"] == attempts):
        problems.append("an attempt was lost or recorded twice")
    if set(figures["outcomes"]) - {"approved", "escalated", "denied"} or figures["outcomes"] != figures["recorded"]:
        problems.append("an attempt ended otherwise than approved, escalated or denied as recorded")
    if figures["granted"] > CAP or figures["grants_over_cap"]:
        problems.append(f"granted {figures['granted']} in total, over the cap of {CAP}")
    if figures["staff_approvals_over_staff_limit"]:
        problems.append(f"{figures['staff_approvals_over_staff_limit']} staff approvals passed the staff limit")
    if figures["ledger"] != figures["granted"] or not figures["verified"]:
        problems.append("the journal does not add up or does not verify")
    return problems


def show(title: str, figures: dict[str, Any]) -> None:
    print(f"\n{title}")
    for name, value in figures.items():
        print(f"  {name:34} {value}")


def test_eight_threads_approving_for_one_guest(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    SQLiteJournal(path).close()
    results = work(str(path), False, "main", attempts=26, threads=8, handles=2)
    figures = audit(path, results, 8 * 26)
    show("8 threads (over 2 journal handles) x 26 attempts, one SQLite file", figures)
    assert check(figures) == []
    assert figures["granted"] == CAP - Money("5.00", "USD")  # 35 approvals of $7.00: the cap is all but reached
    assert set(figures["outcomes"]) == {"approved", "escalated", "denied"}


def test_four_processes_approving_for_one_guest(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    SQLiteJournal(path).close()
    context = multiprocessing.get_context("spawn")  # no inherited locks or connections
    with context.Pool(4) as pool:
        batches = pool.starmap(work, [(str(path), False, f"p{worker}", 26, 2, 1) for worker in range(4)])
    results = [result for batch in batches for result in batch]
    figures = audit(path, results, 4 * 2 * 26)
    show("4 processes x 2 threads x 26 attempts, one SQLite file", figures)
    assert check(figures) == []
    assert figures["granted"] == CAP - Money("5.00", "USD")


def test_the_checks_catch_a_journal_that_checks_then_appends(tmp_path: Path) -> None:
    """Teeth: the same run against a journal that reads the ledger outside its write lock."""
    path = tmp_path / "journal.sqlite3"
    SQLiteJournal(path).close()
    results = work(str(path), True, "racy", attempts=8, threads=8, handles=2)
    figures = audit(path, results, 8 * 8)
    show("the same with a check-then-append journal (broken on purpose)", figures)
    problems = check(figures)
    assert any("over the cap" in problem or "passed the staff limit" in problem for problem in problems), problems
