"""Promises of the stacked-caps pages (docs/reference/policy-file.md#caps, docs/how-to/cap-and-escalation.md,
docs/explanation/guarantees.md section 9, docs/cli/decide.md, docs/reference/http-api.md), tried at their edges:
a day that has no midnight, the report's share of the cap with several caps in the trace."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from recovery_rules import (
    Case,
    Complaint,
    Customer,
    Journal,
    MemoryJournal,
    Outcome,
    Policy,
    PolicyError,
    Remedy,
    metrics,
)

from ._helpers import policy_data, usd
from ._journal_backends import BACKENDS, Harness

NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    harness = BACKENDS[request.param](tmp_path)
    yield harness
    harness.close()


def _stacked(**changes: object) -> Policy:
    """The test hotel ($5,000 per incident) with $800 per guest in any 30 days and $600 a day (New York)."""
    data = policy_data(
        caps=[{"limit": "800.00", "window": "30d"}, {"limit": "600.00", "window": "day", "label": "daily guest cap"}],
        timezone="America/New_York",
    )
    data.update(changes)
    return Policy.model_validate(data)


def _decided(
    journal: Journal,
    policy: Policy,
    amount: str,
    at: dt.datetime,
    *,
    by: str = "manager",
    category: str = "out_of_stock",
    incident: str | None = None,
) -> Case:
    complaint = Complaint(
        customer=Customer(id="10442"),
        category=category,
        requested=Remedy(kind="refund", amount=usd(amount)),
        received_at=at,
    )
    case = Case.open(journal, policy, complaint, by=by, now=at, incident=incident)
    case.listen(now=at)
    case.apologize(now=at)
    case.ask_preferred_solution(now=at)
    case.decide(now=at)
    return case


# -- the ledger: a "day" window is the calendar day in the policy's time zone ---------------------------------


def test_a_day_cap_resets_at_the_first_instant_of_a_day_that_has_no_midnight(backend: Harness) -> None:
    """Santiago moves its clocks forward at midnight: 6 September 2026 begins at 01:00. A grant one second before
    that instant is the 5th's; one at it is the 6th's, and the 6th's $600 is used up until its end."""
    zone = zoneinfo.ZoneInfo("America/Santiago")
    policy = Policy.model_validate(
        policy_data(caps=[{"limit": "600.00", "window": "day"}], timezone="America/Santiago")
    )
    last_of_the_5th = dt.datetime(2026, 9, 6, 3, 59, 59, tzinfo=dt.UTC)
    first_of_the_6th = last_of_the_5th + dt.timedelta(seconds=1)
    assert first_of_the_6th.astimezone(zone).isoformat() == "2026-09-06T01:00:00-03:00"
    journal = backend.journal()
    assert _decided(journal, policy, "600.00", last_of_the_5th).granted == usd("600.00")
    assert _decided(journal, policy, "600.00", first_of_the_6th).granted == usd("600.00")
    late_on_the_6th = dt.datetime(2026, 9, 6, 23, 59, tzinfo=zone)
    denied = _decided(journal, policy, "1.00", late_on_the_6th)
    assert denied.decision is not None
    assert denied.decision.outcome is Outcome.DENIED
    assert denied.decision.reason == (
        "$601.00 in total ($600.00 already granted + $1.00 asked) is over the per-guest cap of $600.00 per day"
    )


# -- the report's share of the cap ----------------------------------------------------------------------------


def test_the_report_lists_the_hard_cap_of_a_policy_with_stacked_caps() -> None:
    """read-the-metrics.md: "its cap (hard_cap) is listed there"; report.md: "share of the cap used per guest,
    within the policy's window (cap $3,000.00)". With a $600 daily cap beside the $5,000 hard cap, the report said
    "(cap $600.00)" while it counted the share ($500 of $5,000: 10%) against the hard cap."""
    policy = _stacked()
    journal = MemoryJournal()
    assert _decided(journal, policy, "500.00", NOW).granted == usd("500.00")
    for against in (policy, None):
        share = metrics.report(journal, policy=against, now=NOW + dt.timedelta(hours=1)).cap_share
        assert share.max == Decimal("0.1000")
        assert share.caps == {"Test hotel": usd("5000.00")}


def test_an_alternative_accepted_after_a_hard_cap_denial_counts_its_share_of_the_hard_cap() -> None:
    """cli/report.md: the share is "the most their grants brought their total within the policy's window to, as
    a share of the per-guest cap ... (for an accepted alternative: what the guest had before the decision, plus
    its value)". $4,950 of the incident's $5,000 and a $15 drink: 99.3% of the cap, not 55.2% (of the $9,000 in
    any 30 days, the first cap.hard entry of a denial the hard cap bound)."""
    catalog = [
        {**entry, "applies_to": ["room_not_ready", "*"]} if entry["id"] in {"dinner", "drink"} else entry
        for entry in policy_data()["catalog"]
    ]
    policy = Policy.model_validate(
        policy_data(
            catalog=catalog,
            caps=[{"limit": "9000.00", "window": "30d"}, {"limit": "6000.00", "window": "day"}],
        )
    )
    journal = MemoryJournal()
    first = _decided(journal, policy, "4950.00", NOW, by="owner", category="room_not_ready")
    assert first.granted == usd("4950.00")
    later = NOW + dt.timedelta(hours=1)
    again = _decided(
        journal, policy, "100.00", later, by="owner", category="room_not_ready", incident=str(first.number)
    )
    assert again.decision is not None
    assert again.decision.reason.endswith("is over the per-guest cap of $5,000.00 per incident")
    again.explain_denial(by="owner", now=later)
    again.accept_alternative("drink", now=later)
    assert again.granted == usd("15.00")
    # Only the follow-up's case is in the period: its $15 took the incident to $4,965 of $5,000.
    share = metrics.report(
        journal, policy=policy, since=NOW + dt.timedelta(minutes=30), now=later + dt.timedelta(hours=1)
    ).cap_share
    assert share.caps == {"Test hotel": usd("5000.00")}
    assert share.max == Decimal("0.9930")


# -- the policy file: a cap's window --------------------------------------------------------------------------


def test_a_cap_window_longer_than_the_longest_duration_is_refused_saying_why() -> None:
    """policy-file.md, Durations: "Longer than zero, at most 3660 days." A cap counted in any 3,661 days is a
    duration too long, and the message should say so, as it does for ``callback_within``, instead of asking for
    "a duration such as '30d'"."""
    with pytest.raises(PolicyError) as caught:
        Policy.model_validate(policy_data(caps=[{"limit": "900.00", "window": "3661d"}]))
    problems = {problem.location: problem.message for problem in caught.value.problems}
    assert problems == {"caps[0].window": "must be at most about ten years (3660 days)"}
