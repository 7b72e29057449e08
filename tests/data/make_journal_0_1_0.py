"""Write ``journal-0.1.0.sqlite3``: a journal as release 0.1.0 (event format 1, schema 1) wrote it.

Run it with release 0.1.0 on the path (``git worktree add /tmp/old 163eb5d`` and
``PYTHONPATH=/tmp/old/src python tests/data/make_journal_0_1_0.py``); the upgrade tests
(tests/test_journal_upgrade.py) open the file it wrote with the current release.
At the theme park (limits per guest per day, Los Angeles time), on 23 November 2026: guest 10442 is granted $150 by a
ticket agent and $40 in a second case by guest relations; guest 555 is granted $100; guest 777's $900 is escalated.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from recovery_rules import Case, Complaint, Customer, Money, Remedy, SQLiteJournal, presets

HERE = Path(__file__).parent
DAY = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def complaint(customer: str, amount: str, category: str = "ride_closed") -> Complaint:
    return Complaint(
        customer=Customer(id=customer),
        category=category,
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=DAY,
    )


def main() -> None:
    path = HERE / "journal-0.1.0.sqlite3"
    path.unlink(missing_ok=True)
    policy = presets.theme_park()
    minute = dt.timedelta(minutes=1)
    with SQLiteJournal(path) as journal:
        first = Case.open(journal, policy, complaint("10442", "150.00"), by="ticket_agent", now=DAY)
        first.listen(now=DAY + minute)
        first.apologize(now=DAY + 2 * minute)
        first.ask_preferred_solution(now=DAY + 3 * minute)
        first.decide(now=DAY + 4 * minute)
        first.deliver(now=DAY + 5 * minute)
        first.thank(now=DAY + 6 * minute)
        first.close(now=DAY + 7 * minute)

        again = Case.open(
            journal, policy, complaint("10442", "40.00", "long_wait"), by="guest_relations", now=DAY + 8 * minute
        )
        again.listen(now=DAY + 8 * minute)
        again.apologize(now=DAY + 8 * minute)
        again.ask_preferred_solution(now=DAY + 9 * minute)
        again.decide(now=DAY + 9 * minute)
        again.deliver(now=DAY + 9 * minute)

        other = Case.open(journal, policy, complaint("555", "100.00"), by="ticket_agent", now=DAY + 10 * minute)
        other.listen(now=DAY + 11 * minute)
        other.apologize(now=DAY + 12 * minute)
        other.ask_preferred_solution(now=DAY + 13 * minute)
        other.decide(now=DAY + 14 * minute)
        other.deliver(now=DAY + 15 * minute)
        other.thank(now=DAY + 16 * minute)
        other.close(now=DAY + 17 * minute)

        escalated = Case.open(journal, policy, complaint("777", "900.00"), by="ticket_agent", now=DAY + 20 * minute)
        escalated.listen(now=DAY + 21 * minute)
        escalated.apologize(now=DAY + 22 * minute)
        escalated.ask_preferred_solution(now=DAY + 23 * minute)
        escalated.decide(now=DAY + 24 * minute)
        escalated.escalate(now=DAY + 25 * minute)
        print(journal.head())


if __name__ == "__main__":
    main()
