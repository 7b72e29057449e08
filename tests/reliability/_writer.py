"""A writer for the crash tests: appends events as fast as it can, acknowledging each one on stdout.

``python -m tests.reliability._writer BACKEND ADDRESS SCHEMA RUN`` prints ``seq hash``
once ``append`` has returned, and nothing before: what it printed, the journal
promised to keep. The tests kill it (or its database server) at random moments.
"""

from __future__ import annotations

import datetime as dt
import itertools
import sys

from recovery_rules import ComplaintNumber, Draft, Journal, Money

from ._journals import Place

AT = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)


def main(journal: Journal, run: str, *, acknowledge: bool = True) -> None:
    """Append to ``journal`` until killed, printing each event once it is appended (with ``acknowledge``)."""
    cases = [ComplaintNumber.parse(f"20261123-{customer}") for customer in range(5)]
    for i in itertools.count():  # until it is killed
        number = cases[i % len(cases)]
        draft = Draft(
            kind="noted",
            state="noted",
            actor="staff",
            at=AT + dt.timedelta(seconds=i),
            data={"i": i, "notes": "x" * (i % 300)},
            grant=Money("1.00", "USD") if i % 7 == 0 else None,
        )
        version = journal.version(number)
        event = journal.append(number, draft, expected_version=version, key=f"{run}-{i}", request={"i": i})
        if acknowledge:
            print(event.seq, event.hash, flush=True)


if __name__ == "__main__":
    backend, address, schema, run = sys.argv[1:5]
    main(Place(backend, address, schema).open(), run)
