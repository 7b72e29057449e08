"""Build ``journal.sqlite3``: the Harbour Hotel's autumn of complaints, for ``recovery-rules report``.

    python examples/cli/make_journal.py          # build it in a temporary folder: is journal.sqlite3 up to date?
    python examples/cli/make_journal.py --write  # write examples/cli/journal.sqlite3 again

Thirty-six cases from September to 23 November 2026, every one driven through
:class:`~recovery_rules.Case` under ``policy.toml`` the way a front desk would:
approvals delivered on the spot, escalations answered in time or late,
denials with their alternatives, final offers, written reports, and a few
cases still open on the afternoon of 23 November (two of them with a callback
overdue). Times and idempotency keys are fixed, so the journal is the same,
to the last hash, every time it is built; the documentation shows what the
command line prints from it.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import zoneinfo
from pathlib import Path
from typing import Final, NamedTuple

from recovery_rules import Case, ChainHead, Complaint, Customer, Money, Policy, Remedy, SQLiteJournal

HERE: Final = Path(__file__).resolve().parent
HOTEL: Final = zoneinfo.ZoneInfo("America/New_York")
AUTUMN_ENDS: Final = dt.datetime(2026, 11, 24, tzinfo=HOTEL)
"""After the last step of the last case: the clock the journal is built by."""


class Row(NamedTuple):
    received: str  # local time
    customer: str
    tier: str
    category: str
    kind: str
    amount: str
    path: str
    answer: int  # minutes until the higher level answers, or the remedy is delivered
    by: str = "front_desk"  # the acting level


CASES: Final = [
    Row("2026-09-01 14:05", "10106", "standard", "noise", "voucher", "80.00", "deliver", 5),
    Row("2026-09-03 09:40", "10629", "gold", "billing_error", "refund", "180.00", "deliver", 10),
    Row("2026-09-05 19:15", "10366", "standard", "room_not_ready", "refund", "300.00", "approve", 35),
    Row("2026-09-08 22:30", "10442", "gold", "noise", "comp", "120.00", "deliver", 5),
    Row("2026-09-11 16:20", "10718", "standard", "billing_error", "refund", "450.00", "approve", 50),
    Row("2026-09-14 08:10", "10831", "standard", "room_not_ready", "upgrade", "150.00", "approve", 80),
    Row("2026-09-16 13:45", "10957", "gold", "room_not_ready", "refund", "3400.00", "denied-final", 15),
    Row("2026-09-19 18:05", "11024", "standard", "noise", "voucher", "60.00", "deliver", 5),
    Row("2026-09-22 11:30", "11160", "standard", "billing_error", "refund", "900.00", "approve", 150),
    Row("2026-09-25 20:50", "10106", "standard", "noise", "refund", "250.00", "refused-alt", 40),
    Row("2026-09-28 10:15", "11203", "gold", "billing_error", "credit", "240.00", "deliver", 15),
    Row("2026-10-01 15:35", "11377", "standard", "room_not_ready", "cash_payment", "200.00", "denied-report", 20),
    Row("2026-10-03 12:00", "11485", "standard", "wifi_down", "voucher", "90.00", "deliver", 5),
    Row("2026-10-06 17:25", "10629", "gold", "room_not_ready", "refund", "650.00", "approve", 45),
    Row("2026-10-09 21:10", "10366", "standard", "noise", "comp", "60.00", "deliver", 10),
    Row("2026-10-12 09:05", "10718", "standard", "billing_error", "refund", "1800.00", "approve", 200, "supervisor"),
    Row("2026-10-14 14:40", "10442", "gold", "noise", "refund", "1200.00", "refused-report", 90),
    Row("2026-10-17 19:55", "10831", "standard", "noise", "voucher", "100.00", "deliver", 5),
    Row("2026-10-20 08:30", "10957", "gold", "billing_error", "refund", "220.00", "deliver", 20),
    Row("2026-10-22 16:15", "11024", "standard", "room_not_ready", "refund", "400.00", "approve", 300),
    Row("2026-10-25 13:20", "11160", "standard", "room_not_ready", "upgrade", "150.00", "refused-alt", 30),
    Row("2026-10-27 22:05", "11203", "gold", "noise", "refund", "3200.00", "denied-alt", 25),
    Row("2026-10-30 10:50", "11377", "standard", "billing_error", "credit", "75.00", "deliver", 5),
    Row("2026-11-02 18:40", "11485", "standard", "noise", "refund", "500.00", "approve", 25),
    Row("2026-11-04 11:25", "10106", "standard", "wifi_down", "voucher", "50.00", "deliver", 5),
    Row("2026-11-07 15:00", "10629", "gold", "room_not_ready", "refund", "700.00", "approve", 55),
    Row("2026-11-09 20:35", "10366", "standard", "billing_error", "refund", "3500.00", "denied-report", 30),
    Row("2026-11-12 09:45", "10718", "standard", "noise", "comp", "90.00", "deliver", 5),
    Row("2026-11-14 17:10", "10442", "gold", "room_not_ready", "refund", "950.00", "approve", 100),
    Row("2026-11-17 12:30", "10831", "standard", "billing_error", "refund", "350.00", "refused-alt", 45),
    Row("2026-11-19 19:20", "10957", "gold", "noise", "voucher", "200.00", "deliver", 10),
    Row("2026-11-20 14:05", "11024", "standard", "room_not_ready", "refund", "600.00", "approved", 120),
    Row("2026-11-22 10:15", "11160", "standard", "billing_error", "refund", "1500.00", "escalated", 0),
    Row("2026-11-23 11:00", "11377", "standard", "noise", "refund", "3300.00", "offered", 0),
    Row("2026-11-23 14:50", "11203", "gold", "noise", "refund", "700.00", "escalated", 0),
    Row("2026-11-23 15:05", "11485", "standard", "wifi_down", "voucher", "40.00", "listened", 0),
]
"""The paths: ``deliver`` (approved on the spot); ``approve`` (escalated, the higher level approves, the
front desk delivers); ``refused-alt`` and ``refused-report`` (escalated, the higher level denies it, the
manager explains and offers two alternatives: one accepted, or everything declined and a report written);
``denied-alt``, ``denied-final`` and ``denied-report`` (denied at once, over the cap or a remedy never
granted: an alternative accepted, the final offer accepted, or a report); and cases still open:
``approved`` (approved, not yet delivered), ``escalated``, ``offered`` (alternatives offered, no answer
yet), ``listened``."""


def build(path: Path) -> ChainHead:
    """Write the journal to ``path`` (replacing it) and return its chain head."""
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    policy = Policy.from_file(HERE / "policy.toml")
    # The journal's clock is the autumn's end, not the machine's: it refuses a step dated ahead of its clock.
    with SQLiteJournal(path, clock=lambda: AUTUMN_ENDS) as journal:
        for index, row in enumerate(CASES, start=1):
            _record(journal, policy, index, row)
        return journal.head()


def _record(journal: SQLiteJournal, policy: Policy, index: int, row: Row) -> None:
    path, answer = row.path, row.answer
    start = dt.datetime.strptime(row.received, "%Y-%m-%d %H:%M").replace(tzinfo=HOTEL)
    clock = [start + dt.timedelta(minutes=5)]

    def after(minutes: int) -> dt.datetime:
        clock[0] += dt.timedelta(minutes=minutes)
        return clock[0]

    def key(step: str) -> str:
        return f"harbour-{index:02d}-{step}"

    complaint = Complaint(
        customer=Customer(id=row.customer, tier=row.tier),
        category=row.category,
        requested=Remedy(kind=row.kind, amount=Money(row.amount, "USD")),
        received_at=start,
    )
    case = Case.open(journal, policy, complaint, by=row.by, key=key("open"), now=clock[0])
    case.listen(key=key("listen"), now=after(1))
    if path == "listened":
        return
    case.apologize(key=key("apologize"), now=after(1))
    case.ask_preferred_solution(key=key("ask"), now=after(2))
    decision = case.decide(key=key("decide"), now=after(2))
    if decision.escalate_to is not None:
        case.escalate(key=key("escalate"), now=after(1))
        if path == "escalated":
            return
        if path in ("approve", "approved"):
            case.manager_approves(by=decision.escalate_to, key=key("approve"), now=after(answer))
            answer = 5
        else:
            reason = "It is more than we grant for this; here is what we can do instead."
            case.manager_denies(by=decision.escalate_to, reason=reason, key=key("deny"), now=after(answer))
            answer = 5
    if path == "approved":
        return
    if case.allowed_steps() == ("deliver",):
        case.deliver(key=key("deliver"), now=after(answer))
    else:
        case.explain_denial(key=key("explain"), now=after(answer))
        if path == "offered":
            return
        if path in ("denied-alt", "refused-alt"):
            case.accept_alternative(case.alternatives_offered[0].id, key=key("accept"), now=after(5))
        else:
            case.decline_alternatives(key=key("decline"), now=after(5))
            case.make_final_offer(key=key("final"), now=after(2))
            if path == "denied-final":
                case.accept_final_offer(key=key("final-accept"), now=after(3))
            else:
                case.decline_final_offer(key=key("final-decline"), now=after(3))
                case.write_report(summary="Nothing we offered was enough.", key=key("report"), now=after(20))
    case.thank(key=key("thank"), now=after(1))
    case.close(key=key("close"), now=after(1))


def main() -> None:
    committed = HERE / "journal.sqlite3"
    if "--write" in sys.argv[1:]:
        head = build(committed)
        print(f"wrote {committed.name}: {len(CASES)} cases, {head.count} events, chain head {head}")
        return
    with tempfile.TemporaryDirectory() as folder:
        head = build(Path(folder) / committed.name)
    if not committed.is_file():
        state = "missing: run with --write"
    else:
        with SQLiteJournal(committed) as journal:
            state = "up to date" if journal.head() == head else "out of date: run with --write"
    print(f"{len(CASES)} cases, {head.count} events, chain head {head.count}:{head.hash[:12]}...")
    print(f"{committed.name} is {state}")


if __name__ == "__main__":
    main()
