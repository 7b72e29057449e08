"""Write ``values-0.1.0.pickle``: values of the public API as release 0.1.0 pickled them.

Release 0.1.0 showed its values under its private modules (``recovery_rules._money.Money``,
``recovery_rules._models.Complaint``, ``recovery_rules._resolution.Resolution``...), and a pickle names the module.
Run it with release 0.1.0 on the path (``git worktree add /tmp/old 163eb5d`` and
``PYTHONPATH=/tmp/old/src python tests/data/make_pickle_0_1_0.py``); tests/test_docs_promises_upgrade.py reads it.
"""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

from recovery_rules import Case, Complaint, Customer, MemoryJournal, Money, Remedy, presets

HERE = Path(__file__).parent
NOW = dt.datetime(2026, 11, 23, 14, 30, tzinfo=dt.UTC)


def main() -> None:
    policy = presets.ritz_carlton()
    complaint = Complaint(
        customer=Customer(id="10442", tier="gold"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money("2500.00", "USD")),
        received_at=NOW,
    )
    resolution = policy.decide(complaint, by="staff", now=NOW)  # escalated, with alternatives and a trace
    with MemoryJournal() as journal:
        case = Case.open(journal, policy, complaint, by="staff", now=NOW)
        state = case.state
    values = {"money": complaint.requested.amount, "complaint": complaint, "resolution": resolution}
    values |= {"window": policy.window, "state": state}
    (HERE / "values-0.1.0.pickle").write_bytes(pickle.dumps(values, protocol=4))


if __name__ == "__main__":
    main()
