"""Decide every example complaint against its preset policy and print the resolutions.

Run it with ``make demo`` or ``python examples/demo.py``. Each file in
``examples/complaints/`` names a preset, the acting employee's level, what the
guest was already granted, and the complaint as a host app would send it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from recovery_rules import Complaint, Money, Resolution, presets

COMPLAINTS = Path(__file__).parent / "complaints"
ANSWERED_AFTER = dt.timedelta(minutes=10)
"""How long after a complaint was received it is decided: each is decided at its own time."""


def describe(resolution: Resolution, time_zone: str) -> str:
    """A resolution as a support agent would read it, times in the policy's time zone."""
    lines = [
        f"complaint {resolution.complaint_number}: {resolution.outcome.value.upper()}",
        f"  asked:        {resolution.remedy.kind} {resolution.remedy.amount.display()}"
        f" (total with earlier grants {resolution.total.display()})",
        f"  why:          {resolution.reason}",
        f"  delivered by: {resolution.delivered_by}",
    ]
    if resolution.escalate_to and resolution.callback_by:
        callback = resolution.callback_by.astimezone(ZoneInfo(time_zone))
        lines.append(f"  escalate to:  {resolution.escalate_to}, callback by {callback:%H:%M %Z}")
    for title, options in (("instead", resolution.alternatives), ("also", resolution.suggestions)):
        for option in options:
            lines.append(f"  {title}:{' ' * (12 - len(title))}{option.description} [{option.value.display()}]")
            lines.extend(
                f"                {label}: {value}"
                for label, value in (("contact", option.contact), ("where", option.directions), ("web", option.url))
                if value
            )
    lines.append("  trace:")
    lines.extend(f"    {'✓' if entry.passed else '✗'} {entry.rule}: {entry.message}" for entry in resolution.trace)
    return "\n".join(lines)


def main() -> None:
    for path in sorted(COMPLAINTS.glob("*.json")):
        example = json.loads(path.read_text(encoding="utf-8"))
        policy = presets.load(example["policy"])
        complaint = Complaint.model_validate(example["complaint"])
        resolution = policy.decide(
            complaint,
            by=example["by"],
            granted=Money(example["granted"]),
            now=complaint.received_at + ANSWERED_AFTER,
        )
        print(f"== {path.name} ({policy.name}, decided by {example['by']})")
        print(describe(resolution, policy.timezone))
        print()


if __name__ == "__main__":
    main()
