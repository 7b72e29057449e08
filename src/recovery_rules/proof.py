"""Prove a policy: check its promises on every region of its input space, not on a sample.

``prove(policy)`` returns a :class:`Proof`: how many slices and regions were
decided, and the first :class:`Counterexample` if a promise breaks (``holds``
tells which). ``recovery-rules prove`` prints it; a host application (the
decision service's policy page, say) calls it directly. A typical policy takes
seconds: it decides one complaint per region.

A decision depends on the amounts only through comparisons with a finite set
of figures from the policy:

- the **total** (already granted + asked) against every level's limit for the
  customer's tier and every cap (approve, escalate to whom, deny), and
  against what is left for extra-mile suggestions (room minus each suggestion's
  value);
- the amount **already granted** against what the acting level may still grant
  (its room: its limit, at most the cap) minus each alternative's value: which
  alternatives fit the budget;
- the amount **asked** against each alternative's value and the midpoint of
  every two values: which alternatives are closest to what was asked, in order
  (the last rule of the Plan B ranking; the others, what an alternative is
  written for and whether it is free, do not depend on the amounts).

So for one acting level, customer tier, remedy kind and category (a *slice*),
these thresholds cut the plane of (granted, asked) into finitely many
*regions*: on each axis every threshold is a region of its own (the boundary)
and so is each stretch between two thresholds, and a region is a combination of
a granted stretch, an asked stretch and a total stretch that some point has.
Within a region every comparison the rules make comes out the same, so one
point per region stands for all of it. Slices cover every level, every tier a
limit mentions plus one no limit mentions, the whole remedy vocabulary (refused
kinds included), and every listed category plus one the policy never heard of.

Each region's point is decided with the public :meth:`Policy.decide` and
checked with :func:`recovery_rules.resolution_violations` (the library's
independent statement of its promises, which ``recovery_rules.testing`` runs
too), plus the promises about extra-mile suggestions. The regions come in a fixed order, so the first
counterexample is always the same one.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final
from zoneinfo import ZoneInfo

from recovery_rules._engine._invariants import resolution_violations
from recovery_rules._engine._resolution import Outcome, Resolution
from recovery_rules._policy._parts import Alternative, AuthorityLevel
from recovery_rules._policy._policy import Policy
from recovery_rules._values._models import Complaint, Customer, Remedy
from recovery_rules._values._money import Money

__all__ = [
    "Counterexample",
    "Proof",
    "Slice",
    "categories",
    "check",
    "default_now",
    "money",
    "prove",
    "slices",
    "suggestion_violations",
    "tiers",
]

_UNLISTED_CATEGORY: Final = "unlisted_category"
_UNMENTIONED_TIER: Final = "unmentioned_tier"
_CUSTOMER: Final = "counterexample"


def _minor(amount: Money) -> int:
    return amount.to_minor_units()


def money(minor: int, currency: str) -> Money:
    """``minor`` units (cents) of ``currency`` as :class:`Money`.

    Exact, whatever the calling thread's decimal context (its precision, rounding or traps).
    """
    return Money.from_minor_units(minor, currency)


Cell = tuple[int, int | None]
"""Amounts ``lo`` to ``hi`` in minor units (cents), both included; ``hi`` is ``None`` for no end."""


def _cells(thresholds: set[int]) -> tuple[Cell, ...]:
    """Each threshold as a cell of its own, and each stretch between two, from zero up."""
    points = sorted({point for point in thresholds if point >= 0} | {0})
    cells: list[Cell] = []
    for i, point in enumerate(points):
        cells.append((point, point))
        following = points[i + 1] if i + 1 < len(points) else None
        if following is None:
            cells.append((point + 1, None))
        elif following > point + 1:
            cells.append((point + 1, following - 1))
    return tuple(cells)


def _index(cells: tuple[Cell, ...], amount: int) -> int:
    return bisect.bisect_right([lo for lo, _ in cells], amount) - 1


@dataclass(frozen=True)
class Slice:
    """One acting level, tier, remedy kind and category, with the thresholds that cut its amounts."""

    by: str
    tier: str
    kind: str
    category: str
    granted: tuple[Cell, ...]
    asked: tuple[Cell, ...]
    total: tuple[Cell, ...]
    ceiling: int
    """No amount reaches this many minor units: :class:`Money` refuses it."""
    _total_starts: list[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_total_starts", [lo for lo, _ in self.total])

    def points(self) -> Iterator[tuple[int, int]]:
        """One (granted, asked) point in minor units for every region, in a fixed order."""
        for g_cell, a_cell in itertools.product(self.granted, self.asked):
            low = g_cell[0] + a_cell[0]
            high = None if g_cell[1] is None or a_cell[1] is None else g_cell[1] + a_cell[1]
            at = bisect.bisect_right(self._total_starts, low) - 1
            for t_cell in self.total[at:]:
                if high is not None and t_cell[0] > high:
                    break
                point = _point(g_cell, a_cell, t_cell)
                if point[0] < self.ceiling and point[1] < self.ceiling:
                    yield point

    def region(self, granted: int, asked: int) -> tuple[int, int]:
        """The point that stands for the region of (``granted``, ``asked``)."""
        g_cell = self.granted[_index(self.granted, granted)]
        a_cell = self.asked[_index(self.asked, asked)]
        t_cell = self.total[_index(self.total, granted + asked)]
        return _point(g_cell, a_cell, t_cell)


def _point(g_cell: Cell, a_cell: Cell, t_cell: Cell) -> tuple[int, int]:
    """The smallest total of the region, and the least granted that reaches it."""
    total = max(t_cell[0], g_cell[0] + a_cell[0])
    granted = g_cell[0] if a_cell[1] is None else max(g_cell[0], total - a_cell[1])
    return granted, total - granted


def _unused(name: str, taken: set[str]) -> str:
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name}_{number}"
    return candidate


def tiers(policy: Policy) -> list[str]:
    """Every tier a limit mentions, then one that none mentions (``standard`` when free)."""
    mentioned = sorted({tier for level in policy.levels for tier in level.tier_limits})
    other = "standard" if "standard" not in mentioned else _unused(_UNMENTIONED_TIER, set(mentioned))
    return [*mentioned, other]


def categories(policy: Policy) -> list[str]:
    """Every listed category, then one the policy has never heard of."""
    return [*policy.categories, _unused(_UNLISTED_CATEGORY, {*policy.categories, *policy.vocabulary})]


def slices(policy: Policy) -> list[Slice]:
    """Every slice of ``policy``'s input space, with its regions' thresholds, in a fixed order."""
    # ``decide`` is given one amount granted, which counts in every window: then the caps bound the total together,
    # the lowest first. Each is a threshold of the total still (the region where it binds is empty otherwise).
    caps = [_minor(money) for money in (policy.hard_cap, *(cap.limit for cap in policy.caps)) if money is not None]
    cap = min(caps, default=None)
    ceiling = int(Money.MAX_AMOUNT) * Money(1, policy.currency).to_minor_units()  # MAX_AMOUNT in minor units
    result = []
    for actor, tier in itertools.product(policy.levels, tiers(policy)):
        limits = [_limit(level, tier) for level in policy.levels]
        own = _limit(actor, tier)
        room = min((amount for amount in (own, cap) if amount is not None), default=None)
        for kind, category in itertools.product(policy.vocabulary, categories(policy)):
            relevant = [alternative for alternative in policy.catalog if alternative.relevant_to(category, kind)]
            values = sorted({_minor(alternative.value) for alternative in relevant})
            extra = {_minor(alternative.value) for alternative in relevant if alternative.extra_mile}
            granted = set() if room is None else {room, *(room - value for value in values)}
            total = {limit for limit in limits if limit is not None}
            total.update(caps)
            if room is not None:
                total.update(room - value for value in extra)
            asked = {*values, *((low + high) // 2 for low, high in itertools.combinations(values, 2))}
            cells = (_cells(granted), _cells(asked), _cells(total))
            result.append(Slice(actor.name, tier, kind, category, *cells, ceiling))
    return result


def _limit(level: AuthorityLevel, tier: str) -> int | None:
    limit = level.tier_limits.get(tier, level.limit)
    return None if limit is None else _minor(limit)


# -- checking -------------------------------------------------------------------


@dataclass(frozen=True)
class Counterexample:
    """A decision that breaks a promise: its inputs, ready to re-run, and what it broke."""

    complaint: Complaint
    by: str
    granted: Money
    now: dt.datetime
    violations: tuple[str, ...]
    outcome: Outcome | None

    def complaint_json(self) -> dict[str, Any]:
        """The complaint as ``recovery-rules decide`` reads it."""
        complaint = self.complaint
        return {
            "customer": {"id": complaint.customer.id, "tier": complaint.customer.tier},
            "category": complaint.category,
            "requested": {"kind": complaint.requested.kind, "amount": str(complaint.requested.amount)},
            "received_at": complaint.received_at.isoformat(),
        }


@dataclass(frozen=True)
class Proof:
    """What ``prove`` found: how much it checked, and the first counterexample if any."""

    slices: int
    regions: int
    counterexample: Counterexample | None

    @property
    def holds(self) -> bool:
        return self.counterexample is None


def default_now(policy: Policy) -> dt.datetime:
    """The fixed time every region is decided at: 23 November 2026, 09:30 in the policy's time zone."""
    return dt.datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo(policy.timezone))


def prove(
    policy: Policy,
    *,
    now: dt.datetime | None = None,
    planned: list[Slice] | None = None,
    advance: Callable[[int], None] | None = None,
) -> Proof:
    """Decide one point of every region of ``policy`` and check every promise; stop at the first broken one.

    ``advance`` is called with the number of regions each slice had, for a
    progress bar; ``planned`` reuses slices already computed with :func:`slices`.
    """
    now = now or default_now(policy)
    planned = slices(policy) if planned is None else planned
    currency = policy.currency
    regions = 0
    for done, part in enumerate(planned, start=1):
        base = Complaint(
            customer=Customer(id=_CUSTOMER, tier=part.tier),
            category=part.category,
            requested=Remedy(kind=part.kind, amount=Money.zero(currency)),
            received_at=now,
        )
        count = 0
        for granted_minor, asked_minor in part.points():
            count += 1
            granted = money(granted_minor, currency)
            complaint = base.model_copy(
                update={"requested": Remedy(kind=part.kind, amount=money(asked_minor, currency))}
            )
            violations, outcome = check(policy, complaint, part.by, granted, now)
            if violations:
                return Proof(
                    done, regions + count, Counterexample(complaint, part.by, granted, now, tuple(violations), outcome)
                )
        regions += count
        if advance is not None:
            advance(count)
    return Proof(len(planned), regions, None)


def check(
    policy: Policy, complaint: Complaint, by: str, granted: Money, now: dt.datetime
) -> tuple[list[str], Outcome | None]:
    """Every promise the decision of ``complaint`` breaks, and its outcome (``None`` if deciding raised)."""
    try:
        resolution = policy.decide(complaint, by=by, granted=granted, now=now)
    except Exception as error:  # any exception while deciding valid input is a finding
        return [f"deciding raised {type(error).__name__}: {error}"], None
    problems = resolution_violations(policy, complaint, by, granted, resolution, now=now)
    problems.extend(suggestion_violations(policy, complaint, by, granted, resolution))
    return problems, resolution.outcome


def suggestion_violations(
    policy: Policy, complaint: Complaint, by: str, granted: Money, resolution: Resolution
) -> list[str]:
    """The promises about extra-mile suggestions: only with approvals, from the catalog, relevant, affordable, and
    of kinds the acting level may grant."""
    suggestions = resolution.suggestions
    if not suggestions:
        return []
    if resolution.outcome is not Outcome.APPROVED:
        outcome = resolution.outcome.value
        return [f"{'an' if outcome[0] in 'aeiou' else 'a'} {outcome} resolution carries extra-mile suggestions"]
    problems = []
    catalog: dict[str, Alternative] = {alternative.id: alternative for alternative in policy.catalog}
    actor = policy.level(by)
    own = actor.tier_limits.get(complaint.customer.tier, actor.limit)
    bounds = [bound for bound in (own, policy.hard_cap, *(cap.limit for cap in policy.caps)) if bound is not None]
    total = granted + complaint.requested.amount
    left = None if not bounds else max(min(bounds) - total, Money.zero(policy.currency))
    if len({suggestion.kind for suggestion in suggestions}) != len(suggestions):
        problems.append("extra-mile suggestions are not of distinct kinds")
    for suggestion in suggestions:
        if catalog.get(suggestion.id) != suggestion or not suggestion.extra_mile:
            problems.append(f"suggestion {suggestion.id!r} is not one of the policy's extra-mile alternatives")
        if not suggestion.relevant_to(complaint.category, complaint.requested.kind):
            problems.append(f"suggestion {suggestion.id!r} does not apply to this complaint")
        if left is not None and suggestion.value > left:
            problems.append(f"suggestion {suggestion.id!r} is worth more than {by} may still grant after the approval")
        if (
            actor.may_grant is not None
            and suggestion.kind in policy.vocabulary
            and suggestion.kind not in actor.may_grant
        ):
            problems.append(f"suggestion {suggestion.id!r} is a {suggestion.kind!r}, which {by} may not grant")
    return problems
