"""A theme park day lost to rain: the credit, plus ideas of what to do instead.

"When they gave me a credit to return to the park another day, the ticket
folks should have been prepared to suggest what our family could do instead."
The ticket agent approves the rain check and has three suggestions ready.
"""

from __future__ import annotations

import datetime as dt

from recovery_rules import Complaint, Customer, Money, Remedy, presets

NOW = dt.datetime(2026, 11, 23, 21, 20, tzinfo=dt.UTC)


def main() -> None:
    policy = presets.theme_park()
    complaint = Complaint(
        customer=Customer(id="P-2231", tier="season_pass"),
        category="weather_closure",
        requested=Remedy(kind="rain_check", amount=Money("129.00", "USD")),
        received_at=NOW,
    )
    resolution = policy.decide(complaint, by="ticket_agent", now=NOW)
    print(f"{resolution.outcome.value}: {resolution.reason}")
    print("And for the rest of today:")
    for suggestion in resolution.suggestions:
        where = f" ({suggestion.directions})" if suggestion.directions else ""
        print(f"- {suggestion.description}{where}")


if __name__ == "__main__":
    main()
