"""decide is pure: many threads deciding at once get exactly the sequential results."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from recovery_rules import Policy, Resolution

from ._helpers import NOW, complaint, usd


def test_many_threads_get_the_sequential_results(ritz: Policy) -> None:
    cases = [
        (complaint(f"{amount}.{cents:02d}", tier=tier, category=category), by, usd(str(granted)))
        for amount in (0, 150, 1999, 2000, 4999, 9000, 12000)
        for cents in (0, 1)
        for tier in ("standard", "gold")
        for category in ("room_not_ready", "noise", "unheard_of")
        for by in ("staff", "manager", "general_manager")
        for granted in (0, 1500, 9999)
    ]

    def run(case: tuple[object, str, object]) -> Resolution:
        ask, by, granted = case
        return ritz.decide(ask, by=by, granted=granted, now=NOW)  # type: ignore[arg-type]

    expected = [run(case) for case in cases]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            assert list(pool.map(run, cases, chunksize=7)) == expected
