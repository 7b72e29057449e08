"""A hotel run the Ritz-Carlton way: every staff member may spend up to $2,000 per guest.

A guest's room is not ready. The front-desk clerk decides on the spot up to
$2,000.00; one cent more and the duty manager decides, with a callback promised
within two hours and three things the clerk can do right now meanwhile.
"""

from __future__ import annotations

import datetime as dt

from recovery_rules import Complaint, Customer, Money, Outcome, Remedy, presets

NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)


def main() -> None:
    policy = presets.ritz_carlton()
    for amount in ("2000.00", "2000.01"):
        complaint = Complaint(
            customer=Customer(id="10442", tier="gold"),
            category="room_not_ready",
            requested=Remedy(kind="refund", amount=Money(amount, "USD")),
            received_at=NOW,
        )
        resolution = policy.decide(complaint, by="staff", now=NOW)
        print(f"{amount} USD asked: {resolution.outcome.value} ({resolution.reason})")
        if resolution.outcome is Outcome.ESCALATED:
            print(f"  {resolution.escalate_to} calls back by {resolution.callback_by:%H:%M %Z}; meanwhile:")
            for alternative in resolution.alternatives:
                print(f"  - {alternative.description} ({alternative.value.display()})")


if __name__ == "__main__":
    main()
