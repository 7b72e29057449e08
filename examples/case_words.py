"""What the employee says at each step of a case, from the complaint to the thanks.

A guest at a Ritz-Carlton style hotel finds her room not ready and asks for
$3,000 back. The desk clerk listens, apologizes, asks what would put it right
and restates it; it is beyond the clerk's $2,000 authority, so the clerk
promises a callback and proposes it to the duty manager. The duty manager
denies it and tells her why, with two alternatives; she declines them, then
accepts the final back-up offer; the clerk thanks her. After every step the
program prints what to say now (Wording.say_next), as a desk screen would show
it; at the end, what was said at each recorded step (Wording.say_history), as
Markdown for the paper trail.

    python examples/case_words.py
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable

from recovery_rules import Case, Complaint, Customer, MemoryJournal, Money, Remedy, Wording, presets

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
ARRIVAL = dt.datetime(2026, 11, 23, 13, 0, tzinfo=NEW_YORK)


def at(minutes: int) -> dt.datetime:
    return ARRIVAL + dt.timedelta(minutes=minutes)


def say_now(wording: Wording, case: Case) -> None:
    """What the desk screen shows after each step: who says what now, or that someone else moves next."""
    words = wording.say_next(case)
    if not words and case.closed:
        print("  (closed: nothing more to say)")
    elif not words:
        print(f"  ({case.state.value}: nothing to say until {' or '.join(case.allowed_steps())})")
    for said in words:
        print(f"  {said.speaker} says, to {said.step}:")
        for line in said.text.splitlines():
            print(f"    {line}" if line else "")


def main() -> None:
    policy = presets.ritz_carlton()
    wording = Wording(policy)
    complaint = Complaint(
        customer=Customer(id="10442", tier="standard", name="Ms. Okafor"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money("3000.00", "USD"), description="My money back for the stay"),
        received_at=ARRIVAL,
    )
    journal = MemoryJournal(clock=lambda: at(24 * 60))  # the story's clock: its steps are dated 2026-11-23
    case = Case.open(journal, policy, complaint, by="staff", now=at(0))
    print(f"Case {case.number} opened")
    say_now(wording, case)

    steps: list[tuple[str, Callable[[], object]]] = [
        ("listen", lambda: case.listen(notes="Two hours in the lobby after a long flight.", now=at(2))),
        ("apologize", lambda: case.apologize(now=at(3))),
        ("ask_preferred_solution", lambda: case.ask_preferred_solution(now=at(4))),
        ("decide", lambda: case.decide(now=at(5))),
        ("escalate", lambda: case.escalate(now=at(6))),
        (
            "manager_denies",
            lambda: case.manager_denies(
                by="manager", reason="A full refund is more than we grant for a room that was late.", now=at(80)
            ),
        ),
        ("explain_denial", lambda: case.explain_denial(now=at(85))),
        ("decline_alternatives", lambda: case.decline_alternatives(now=at(87))),
        ("make_final_offer", lambda: case.make_final_offer(now=at(88))),
        ("accept_final_offer", lambda: case.accept_final_offer(now=at(90))),
        ("thank", lambda: case.thank(now=at(91))),
        ("close", lambda: case.close(now=at(92))),
    ]
    for name, take in steps:
        take()
        print(f"\n{name} recorded; now:")
        say_now(wording, case)

    print(f"\nWhat was said in case {case.number}, step by step (Markdown):\n")
    for said in wording.say_history(case, format="markdown"):
        print(f"**{said.version}. {said.step}** ({said.speaker})\n")
        print(f"{said.text or '*nothing said to the customer*'}\n")


if __name__ == "__main__":
    main()
