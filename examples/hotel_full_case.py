"""A complete case at a Ritz-Carlton style hotel, from the complaint to the thanks.

A gold guest's room is not ready and she asks for $6,000 back. That is beyond
the front desk's $2,000 authority, so the clerk explains, promises a callback
within two hours and escalates to the duty manager. The duty manager denies it
and delivers the news with the reason and two alternatives; the guest declines
both, then the final back-up offer; a written report goes to the general
manager, who will call her personally; the clerk thanks her and closes the case.
Every step is an event in an SQLite journal under complaint number
20261123-10442, and the journal proves nothing was changed afterwards.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import zoneinfo
from pathlib import Path

from recovery_rules import Case, Complaint, Customer, Money, Remedy, SQLiteJournal, presets

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
ARRIVAL = dt.datetime(2026, 11, 23, 15, 0, tzinfo=NEW_YORK)


def at(minutes: int) -> dt.datetime:
    return ARRIVAL + dt.timedelta(minutes=minutes)


def main() -> None:
    policy = presets.ritz_carlton()
    # The journal's clock is the story's, not the machine's: it refuses a step dated ahead of its clock.
    story_clock = lambda: at(24 * 60)  # noqa: E731 - a clock is a function
    with (
        tempfile.TemporaryDirectory() as folder,
        SQLiteJournal(Path(folder) / "journal.sqlite3", clock=story_clock) as journal,
    ):
        complaint = Complaint(
            customer=Customer(id="10442", tier="gold", name="Ms. Okafor"),
            category="room_not_ready",
            requested=Remedy(kind="refund", amount=Money("6000.00", "USD"), description="The whole stay"),
            received_at=ARRIVAL,
            description="Arrived at three; the room was still being cleaned at five.",
        )
        case = Case.open(journal, policy, complaint, by="staff", now=at(0))
        print(f"Case {case.number} opened by the front desk")

        case.listen(notes="Two hours in the lobby after a long flight, with a meeting at six.", now=at(1))
        case.apologize(notes="I understand how you must feel. I'll do everything in my power to fix this.", now=at(3))
        case.ask_preferred_solution(now=at(4))  # "What would you like us to do to resolve this for you right now?"
        decision = case.decide(now=at(5))
        print(f"decide: {decision.outcome.value}: {decision.reason}")

        case.escalate(notes="That is above my authority; I'll propose it and call you back.", now=at(6))
        promised = case.callback_by or at(0)
        print(f"escalate: to {case.escalated_to}, callback promised by {promised.astimezone(NEW_YORK):%H:%M}")
        late = journal.overdue_callbacks(at(60 * 25))
        print(f"  a scheduler looking a day later would see {len(late)} overdue callback(s)")

        case.manager_denies(by="manager", reason="A full refund is beyond what we grant for a late room.", now=at(90))
        case.explain_denial(now=at(95))  # the manager delivers the denial, not the clerk
        print(f"explain_denial by {case.history[-1].actor}: {case.denial_reason}")
        for alternative in case.alternatives_offered:
            print(f"  - offered: {alternative.description} ({alternative.value.display()})")

        case.decline_alternatives(notes="Neither is enough for her.", now=at(97))
        case.make_final_offer(now=at(99))
        for final in filter(None, [case.final_offer]):
            print(f"make_final_offer: {final.description} ({final.value.display()})")
        case.decline_final_offer(notes="I understand, and I am sorry we could not settle it today.", now=at(100))

        case.write_report(summary="Guest insists on a full refund of the stay.", to="general_manager", now=at(102))
        report = case.report or {}
        print(f"write_report: to {report.get('to')}, who will call the guest personally")
        case.thank(notes="Thank you for telling us; it helps us do better.", now=at(103))
        case.close(now=at(104))
        print(f"close: {case.state.value}, outcome {case.outcome}, granted {case.granted.display()}")

        print(f"\nThe paper trail of {case.number}:")
        for event in journal.events(case.number):
            print(f"  {event.version:2}. {event.at.astimezone(NEW_YORK):%H:%M} {event.kind:22} by {event.actor}")

        verification = journal.verify()
        head = journal.head()
        print(f"\nverify: ok={verification.ok}, {verification.count} events; save this chain head: {head}")
        rebuilt = Case.load(journal, policy, case.number)
        print(f"rebuilt from its events alone, the case is the same: {rebuilt.history == case.history}")


if __name__ == "__main__":
    main()
