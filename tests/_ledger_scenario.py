"""The ledger tamper tests' scenario: one guest's grants in three cases, and each way of tampering with one row.

Shared by ``test_ledger_tampering.py`` (a fresh journal object reads after the tampering) and
``test_ledger_memo.py`` (the journal object that wrote and read the grants reads again, its memo warm).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recovery_rules import (
    Case,
    Complaint,
    ComplaintNumber,
    Customer,
    Draft,
    Journal,
    JournalIntegrityError,
    Money,
    Remedy,
    Window,
    presets,
)
from recovery_rules._journal import canonical_json, canonical_time
from recovery_rules._journal._ledger import grant_query

from ._journal_backends import Harness

__all__ = [
    "CASES",
    "GUEST",
    "T0",
    "TAMPERINGS",
    "WINDOWS",
    "ZONE",
    "Grant",
    "append",
    "check_no_tampering_counts_less",
    "counts_no_less",
    "histories",
    "ledger",
    "naive",
    "nows",
    "park_case",
    "shift_day",
    "tamper",
]

ZONE = "America/New_York"
T0 = dt.datetime(2026, 11, 20, 17, 0, tzinfo=dt.UTC)  # noon in New York
GUEST = "10442"
CASES = {
    "first": ComplaintNumber.parse("20261120-10442"),
    "second": ComplaintNumber.parse("20261120-10442/2"),
    "follow-up": ComplaintNumber.parse("20261121-10442"),  # filed under the first case's incident
    "other guest": ComplaintNumber.parse("20261120-555"),
}
WINDOWS = {
    "day": Window.day(),
    "6 hours": Window.rolling(dt.timedelta(hours=6)),
    "incident": Window.incident(),
}
TAMPERINGS = (
    "grant set to NULL",
    "amount lowered",
    "customer index changed",
    "incident index changed",
    "moved a day earlier",
    "ledger time moved a day earlier",
    "ledger time moved a day later",
    "running total lowered",
    "format changed",
    "row deleted",
    "guest head rewound",
    "guest head deleted",
    "incident head rewound",
    "incident head deleted",
)


@dataclasses.dataclass(frozen=True)
class Grant:
    case: str
    minutes: int  # after T0
    amount: str


def append(journal: Journal, grant: Grant) -> None:
    number = CASES[grant.case]
    version = journal.version(number)
    incident = CASES["first"] if grant.case == "follow-up" else None
    at = T0 + dt.timedelta(minutes=grant.minutes)
    note = Draft(kind="noted", state="noted", actor="staff", at=at)
    journal.append(number, note, expected_version=version, key=f"{number}-{version}", request={})
    draft = Draft(kind="granted", state="granted", actor="staff", at=at, grant=Money(grant.amount, "USD"))
    journal.append(
        number,
        dataclasses.replace(draft, incident=incident),
        expected_version=version + 1,
        key=f"{number}-{version + 1}",
        request={},
    )


def ledger(journal: Journal, window: str, now: dt.datetime, case: str = "first") -> Money:
    return journal.granted(CASES[case], window=WINDOWS[window], timezone=ZONE, currency="USD", now=now)


def _tampered_grant(harness: Harness, journal: Journal, pick: int) -> int:
    seqs = [event.seq for event in journal.iter_events() if event.grant is not None and event.customer_id == GUEST]
    return seqs[pick % len(seqs)]


def shift_day(text: str, days: int) -> str:
    moment = dt.datetime.fromisoformat(text[:-1]).replace(tzinfo=dt.UTC) + dt.timedelta(days=days)
    return canonical_time(moment)


def tamper(harness: Harness, journal: Journal, how: str, pick: int) -> None:
    """Change one stored row (or one head) the way ``how`` says."""
    seq = _tampered_grant(harness, journal, pick)
    event = next(event for event in journal.iter_events(seq))
    assert event.ledger is not None
    if how.endswith(("head rewound", "head deleted")):
        scope = "guest" if how.startswith("guest") else "incident"
        key = GUEST if scope == "guest" else str(event.ledger.incident)
        latest = [
            e
            for e in journal.iter_events()
            if e.ledger and (e.customer_id if scope == "guest" else str(e.ledger.incident)) == key
        ][-1]
        assert latest.ledger is not None
        running = latest.ledger.guest if scope == "guest" else latest.ledger.incident_total
        rewound = None if running.prev_seq == 0 else (running.prev_seq, running.prev_hash)
        harness.set_head(scope, key, None if how.endswith("deleted") else rewound)
        return
    if how == "row deleted":
        harness.delete(seq)
        return
    record = harness.record(seq)
    ledger_body = json.loads(record["ledger"]) if isinstance(record["ledger"], str) else dict(record["ledger"])
    if how == "grant set to NULL":
        record["grant"] = None
    elif how == "amount lowered":
        record["grant"] = {"amount": "0.01", "currency": "USD"}
    elif how == "customer index changed":
        record["customer_id"] = "99999"
    elif how == "incident index changed":
        record["incident"] = "20261120-99999"
    elif how == "moved a day earlier":
        record["at"] = shift_day(record["at"], -1)
        record["ledger_at"] = shift_day(ledger_body["at"], -1)
        ledger_body["at"] = record["ledger_at"]
    elif how == "ledger time moved a day earlier":
        record["ledger_at"] = shift_day(ledger_body["at"], -1)
    elif how == "ledger time moved a day later":
        record["ledger_at"] = shift_day(ledger_body["at"], 1)
    elif how == "running total lowered":
        ledger_body["guest"]["total"] = "0.00"
        ledger_body["incident_total"]["total"] = "0.00"
    elif how == "format changed":
        record["format"] = 1
    else:  # pragma: no cover - every kind is listed above
        raise AssertionError(how)
    if how in ("moved a day earlier", "running total lowered"):
        record["ledger"] = canonical_json(ledger_body).decode()  # in its one spelling: only the content differs
    harness.put(seq, record)


# -- what the tamper tests (sealed ledger or not) share: histories drawn, the naive ledger, the park's repro ---------

grants = st.builds(
    Grant,
    case=st.sampled_from(list(CASES)),
    minutes=st.sampled_from([0, 5, 30, 240, 600, 1440, 1500, 2880]),
    amount=st.sampled_from(["10.00", "25.50", "100.00"]),
)
histories = st.lists(grants, min_size=1, max_size=8).map(lambda items: sorted(items, key=lambda g: g.minutes))
nows = st.sampled_from([-60, 0, 200, 700, 1439, 1441, 2000, 2900, 5000]).map(lambda m: T0 + dt.timedelta(minutes=m))


def naive(journal: Journal, window: str, now: dt.datetime, case: str = "first") -> Money:
    """What the ledger means, summed from every event of the verified chain."""
    assert journal.verify().ok
    query = grant_query(CASES[case], window=WINDOWS[window], timezone=ZONE, now=now, incident=None)
    counted = Money.zero("USD")
    for event in journal.iter_events():
        if event.ledger is None or event.grant is None or event.customer_id != query.customer_id:
            continue
        at = event.ledger.at
        if query.number is not None:
            wanted = event.ledger.incident == query.number
        else:
            wanted = (query.since is None or at >= query.since) and (query.until is None or at < query.until)
        if wanted:
            counted = counted + event.grant
    return counted


def counts_no_less(journal: Journal, window: str, now: dt.datetime, case: str, before: Money) -> str:
    """``refused`` or ``no less``; fails the test when the ledger counts less than ``before``."""
    try:
        after = ledger(journal, window, now, case)
    except JournalIntegrityError:
        return "refused"
    assert after >= before, f"counted {after} after tampering, {before} before"
    return "no less"


def park_case(journal: Journal, customer: str, now: dt.datetime) -> Case:
    complaint = Complaint(
        customer=Customer(id=customer),
        category="ride_closed",
        requested=Remedy(kind="refund", amount=Money("150.00", "USD")),
        received_at=now,
    )
    case = Case.open(journal, presets.theme_park(), complaint, by="ticket_agent", now=now)
    case.listen(now=now)
    case.apologize(now=now)
    case.ask_preferred_solution(now=now)
    return case


def check_no_tampering_counts_less(make: Callable[[Path], Harness], max_examples: int) -> None:
    """The tamper property, on journals ``make`` opens: journals of drawn grants, one row (or head) tampered with
    one way, read again by a new journal object: the ledger refuses or counts at least as much as before."""
    tried = 0

    @settings(max_examples=max_examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        history=histories,
        window=st.sampled_from(list(WINDOWS)),
        now=nows,
        case=st.sampled_from(["first", "second"]),
        how=st.sampled_from(TAMPERINGS),
        pick=st.integers(0, 7),
    )
    def check(  # noqa: PLR0917 - hypothesis passes what it draws by keyword; the names are the scenario
        history: list[Grant], window: str, now: dt.datetime, case: str, how: str, pick: int
    ) -> None:
        nonlocal tried
        if not any(grant.case != "other guest" for grant in history):
            history = [*history, Grant("first", 2900, "10.00")]
        with tempfile.TemporaryDirectory() as folder:
            harness = make(Path(folder))
            try:
                journal = harness.journal()
                for grant in history:
                    append(journal, grant)
                before = ledger(journal, window, now, case)
                tamper(harness, journal, how, pick)
                counts_no_less(harness.journal(), window, now, case, before)
                tried += 1
            finally:
                harness.close()

    check()
    assert tried
