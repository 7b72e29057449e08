"""How long ``recovery-rules prove`` takes, against deciding the same points without checking them.

Run it with ``python benchmarks/cli_prove.py``. For each shipped preset it
prints the number of regions, the time to enumerate them, the time to only
decide one point per region (the baseline: what the engine costs), and the
time of the whole proof (deciding plus checking every promise, and deciding each kind of decision
again at the policy's other moments, a few thousand decisions more).
"""

from __future__ import annotations

import time

from recovery_rules import Complaint, Customer, Money, Remedy, presets
from recovery_rules.proof import default_now, money, prove, slices


def decide_only(name: str) -> float:
    policy = presets.load(name)
    now = default_now(policy)
    start = time.perf_counter()
    for part in slices(policy):
        base = Complaint(
            customer=Customer(id="benchmark", tier=part.tier),
            category=part.category,
            requested=Remedy(kind=part.kind, amount=Money.zero(policy.currency)),
            received_at=now,
        )
        for granted, asked in part.points():
            complaint = base.model_copy(
                update={"requested": Remedy(kind=part.kind, amount=money(asked, policy.currency))}
            )
            policy.decide(complaint, by=part.by, granted=part.granted_money(granted, policy.currency), now=now)
    return time.perf_counter() - start


def main() -> None:
    print(f"{'preset':<14}{'regions':>10}{'enumerate s':>13}{'decide only s':>15}{'prove s':>10}{'regions/s':>11}")
    for name in presets.NAMES:
        policy = presets.load(name)
        start = time.perf_counter()
        count = sum(sum(1 for _ in part.points()) for part in slices(policy))
        enumerate_s = time.perf_counter() - start
        baseline = decide_only(name)
        start = time.perf_counter()
        proof = prove(policy)
        prove_s = time.perf_counter() - start
        assert proof.holds
        assert proof.regions == count
        print(f"{name:<14}{count:>10,}{enumerate_s:>13.2f}{baseline:>15.2f}{prove_s:>10.2f}{count / prove_s:>11,.0f}")


if __name__ == "__main__":
    main()
