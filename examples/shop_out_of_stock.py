"""A shop whose answer to "it's out of stock" is never a bare no.

The associate may grant the discount asked, but the customer was already
granted $1,500 in the last 30 days, the most anyone may grant one customer, so
the answer, delivered by the store manager, is a Plan B: call the other branch,
take details and call back, or send the customer to a competitor who has it,
with the phone number, directions and web address to act on.
"""

from __future__ import annotations

import datetime as dt

from recovery_rules import Complaint, Customer, Money, Remedy, presets

NOW = dt.datetime(2026, 11, 23, 17, 5, tzinfo=dt.UTC)


def main() -> None:
    policy = presets.retail()
    complaint = Complaint(
        customer=Customer(id="C-5531"),
        category="out_of_stock",
        requested=Remedy(kind="discount", amount=Money("30.00", "USD")),
        received_at=NOW,
        description="The drill advertised this week is out of stock.",
    )
    resolution = policy.decide(complaint, by="associate", granted=Money("1500.00", "USD"), now=NOW)
    print(f"{resolution.outcome.value}, delivered by the {resolution.delivered_by}: {resolution.reason}")
    print("We can't do that, but we CAN do this:")
    for alternative in resolution.alternatives:
        print(f"- {alternative.description}")
        for label, detail in (("call", alternative.contact), ("go", alternative.directions), ("web", alternative.url)):
            if detail:
                print(f"    {label}: {detail}")


if __name__ == "__main__":
    main()
