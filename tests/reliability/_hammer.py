"""The cap hammer's machinery: processes and threads deciding for a few guests at once, and the audit.

:func:`run_hammer` starts ``processes`` processes of ``threads`` threads (two
journal handles per process); in each round the threads of a process decide for
the same guest, so their decisions race for that guest's ledger, and the
processes race each other. :func:`audit` reads back from the journal, in the
order the grants were committed, every figure the properties are about. With
``naive``, every handle reads the ledger before taking the write lock (broken on
purpose). ``test_cap_hammer.py`` runs it at the reliability suite's sizes,
``tests/test_journal_concurrency.py`` with every attempt for one guest.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

from recovery_rules import Case, Complaint, ComplaintNumber, Customer, Money, Policy, Remedy, Window
from tests._helpers import policy_data

from ._journals import Counted, Place, ReadThenWrite

NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
STAFF_LIMIT = Money("100.00", "USD")
CAP = Money("250.00", "USD")
ASKS = tuple(Money(amount, "USD") for amount in ("7.00", "13.00", "25.00", "40.00"))
WAIT = 600.0  # seconds a thread waits for the others of its round before the run is declared stuck


@dataclass(frozen=True)
class Size:
    processes: int
    threads: int
    attempts: int
    guests: int

    def __str__(self) -> str:
        threads = f"{self.processes} processes x {self.threads} threads"
        return f"{threads} x {self.attempts} attempts over {self.guests} guests"


def _policy() -> Policy:
    """Stacked caps: the levels' authority (and ``hard_cap``) per incident, and the cap per guest per day.

    So a decision reads two windows from the ledger, and both must hold under the race: no staff approval takes
    an incident past the staff limit, and no guest's day passes the cap, across all the guest's incidents.
    """
    return Policy.model_validate(
        policy_data(
            window="incident",
            hard_cap=str(CAP.amount),
            caps=[{"limit": str(CAP.amount), "window": "day"}],
            levels=[
                {"name": "staff", "limit": str(STAFF_LIMIT.amount)},
                {"name": "supervisor", "limit": str(CAP.amount), "callback_within": "1h"},
            ],
            denials_delivered_by="supervisor",
        )
    )


POLICY = _policy()


@dataclass(frozen=True)
class Attempt:
    guest: str
    level: str
    outcome: str
    number: str


def guest(index: int) -> str:
    return f"guest{index:02d}"


def hammer(place: Place, naive: bool, process: int, run: Size) -> tuple[list[Attempt], int]:
    """One process: ``run.threads`` threads over two journal handles; its attempts, and the appends retried."""
    checked = threading.Barrier(run.threads, timeout=WAIT)
    rounds = threading.Barrier(run.threads, timeout=WAIT)
    handles: list[Counted] = [
        ReadThenWrite(place.open(), checked.wait) if naive else Counted(place.open()) for _ in range(2)
    ]
    results: list[Attempt] = []
    lock = threading.Lock()
    failures: list[BaseException] = []

    def work(thread: int) -> None:
        journal = handles[thread % len(handles)]
        plan = []
        for attempt in range(run.attempts):
            customer = guest((process + attempt) % run.guests)  # the threads of a round share a guest
            level = "staff" if (thread + attempt) % 2 == 0 else "supervisor"
            complaint = Complaint(
                customer=Customer(id=customer),
                category="room_not_ready",
                requested=Remedy(kind="refund", amount=ASKS[(process + thread + attempt) % len(ASKS)]),
                received_at=NOW,
            )
            case = Case.open(journal, POLICY, complaint, by=level, now=NOW, key=f"{process}.{thread}.{attempt}")
            case.listen(now=NOW)
            case.apologize(now=NOW)
            case.ask_preferred_solution(now=NOW)
            plan.append((customer, level, case))
        for customer, level, case in plan:
            rounds.wait()
            outcome = case.decide(now=NOW).outcome.value
            with lock:
                results.append(Attempt(customer, level, outcome, str(case.number)))

    def guarded(thread: int) -> None:
        try:
            work(thread)
        except BaseException as error:
            failures.append(error)
            checked.abort()
            rounds.abort()

    threads = [threading.Thread(target=guarded, args=(thread,)) for thread in range(run.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for journal in handles:
        journal.close()
    if failures:
        raise failures[0]
    return results, sum(journal.stale for journal in handles)


@dataclass
class Figures:
    attempts: int
    answered: int
    decided: int
    distinct: int
    grants: int
    granted: Money
    most: Money
    over_cap: int
    staff_over: int
    retries: int
    outcomes: Counter[str]
    recorded: Counter[str]
    ledgers_agree: bool
    verified: bool
    seconds: float

    @property
    def violations(self) -> int:
        return self.over_cap + self.staff_over

    def line(self, title: str) -> str:
        return (
            f"{title}: attempts {self.attempts}, grants {self.grants}, max total/limit "
            f"{self.most.amount}/{CAP.amount}, retries {self.retries}, violations {self.violations} "
            f"(over a cap {self.over_cap}, staff approvals past the staff limit {self.staff_over}); "
            f"outcomes {dict(sorted(self.outcomes.items()))}; verify {'ok' if self.verified else 'FAILED'}; "
            f"{self.seconds:.1f} s"
        )


def assert_the_limits_held(figures: Figures) -> None:
    """What a hammer run against a sound journal must show (a helper module: each message shows the figures)."""
    shown = figures.line("the run")
    assert figures.violations == 0, shown
    assert figures.answered == figures.decided == figures.distinct == figures.attempts, shown  # each recorded once
    assert figures.outcomes == figures.recorded, shown  # each answer is the one recorded
    assert figures.ledgers_agree, shown
    assert figures.verified, shown
    assert figures.most > CAP - ASKS[-1], shown  # the guests were driven to the cap: the limits were really tested


def run_hammer(place: Place, run: Size, *, naive: bool) -> Figures:
    place.open().close()  # create the storage before the processes race for it
    started = time.monotonic()
    context = multiprocessing.get_context("spawn")  # no inherited locks or connections
    with context.Pool(run.processes) as pool:
        batches = pool.starmap(hammer, [(place, naive, process, run) for process in range(run.processes)])
    seconds = time.monotonic() - started
    results = [attempt for batch, _ in batches for attempt in batch]
    retries = sum(stale for _, stale in batches)
    return audit(place, run, results, retries, seconds)


def audit(place: Place, run: Size, results: list[Attempt], retries: int, seconds: float) -> Figures:
    """Every figure the properties are about, read back from the journal itself."""
    with place.open() as journal:
        events = list(journal.iter_events())
        verified = journal.verify().ok
        ledgers = {
            guest(index): journal.granted(
                ComplaintNumber.parse(f"20261123-{guest(index)}"),
                window=Window.day(),
                timezone="UTC",
                currency="USD",
                now=NOW,
            )
            for index in range(run.guests)
        }
    totals: defaultdict[str, Money] = defaultdict(lambda: Money.zero("USD"))  # per guest: the day's cap
    incidents: defaultdict[str, Money] = defaultdict(lambda: Money.zero("USD"))  # per incident: the authority
    over_cap = staff_over = grants = 0
    for event in events:  # the grants in the order they were committed
        if event.grant is None:
            continue
        grants += 1
        customer = event.customer_id
        incident = str(event.number if event.ledger is None else event.ledger.incident)
        totals[customer] += event.grant
        incidents[incident] += event.grant
        if totals[customer] > CAP or incidents[incident] > CAP:
            over_cap += 1
        if event.actor == "staff" and incidents[incident] > STAFF_LIMIT:
            staff_over += 1
    decided = [event for event in events if event.kind == "decided"]
    recorded: Counter[str] = Counter()
    for event in decided:
        resolution = event.data["resolution"]
        recorded[str(resolution["outcome"]) if isinstance(resolution, dict) else "?"] += 1
    return Figures(
        attempts=run.processes * run.threads * run.attempts,
        answered=len(results),
        decided=len(decided),
        distinct=len({result.number for result in results}),
        grants=grants,
        granted=sum(totals.values(), Money.zero("USD")),
        most=max(totals.values(), default=Money.zero("USD")),
        over_cap=over_cap,
        staff_over=staff_over,
        retries=retries,
        outcomes=Counter(result.outcome for result in results),
        recorded=recorded,
        ledgers_agree=all(ledgers[customer] == total for customer, total in totals.items()),
        verified=verified,
        seconds=seconds,
    )
