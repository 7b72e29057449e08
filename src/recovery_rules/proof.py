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

A policy with several windows (``caps`` counted per day or in any 30 days
beside its own ``window``) is proved with the amount already granted counted
in every window, and then once more for each window alone, with nothing
granted in the others: a cap whose limit equals another's then still has
regions where only it binds, and an engine that ignores one window's grants,
or counts them against another window's cap, is found. In a sweep of one
window, the amount asked is also compared with the figures of the other
windows (their caps, and the levels' limits when the policy's own window is not
the one swept).

So for one acting level, customer tier, remedy kind, category and way of
counting grants (a *slice*), these thresholds cut the plane of (granted, asked)
into finitely many *regions*: on each axis every threshold is a region of its
own (the boundary) and so is each stretch between two thresholds, and a region
is a combination of a granted stretch, an asked stretch and a total stretch
that some point has.
Within a region every comparison the rules make comes out the same, so one
point per region stands for all of it. Slices cover every level, every tier a
limit mentions plus one no limit mentions, the whole remedy vocabulary (refused
kinds included), and every listed category plus one the policy never heard of
(not for a policy with ``strict_categories``, which refuses a complaint of a
category it does not list: that is no valid input to decide).

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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from zoneinfo import ZoneInfo

from recovery_rules._engine._invariants import resolution_violations, wall_instant
from recovery_rules._engine._invariants import suggestion_violations as _suggestion_violations
from recovery_rules._engine._resolution import Outcome, Resolution
from recovery_rules._policy._parts import AuthorityLevel
from recovery_rules._policy._policy import Policy, compiled_policy
from recovery_rules._values._models import Complaint, Customer, Remedy
from recovery_rules._values._money import Money
from recovery_rules._values._shown import shown
from recovery_rules._values._time import EARLIEST_INPUT_TIME, LATEST_INPUT_TIME, Window, clock_changes, utc
from recovery_rules.exceptions import InvalidInputError, PolicyError, Problem

__all__ = [
    "Counterexample",
    "Proof",
    "Slice",
    "categories",
    "check",
    "count_regions",
    "default_now",
    "each_slice",
    "grant_windows",
    "moments",
    "money",
    "prove",
    "slices",
    "suggestion_violations",
    "tiers",
]

_UNLISTED_CATEGORY: Final = "unlisted_category"
_UNMENTIONED_TIER: Final = "unmentioned_tier"
_CUSTOMER: Final = "counterexample"
_FIRST_NOW: Final = EARLIEST_INPUT_TIME + dt.timedelta(days=2)
_LAST_NOW: Final = LATEST_INPUT_TIME - dt.timedelta(days=400)  # the year of moments after it, and a complaint's range


def _policy(policy: object, *, whole: bool = True) -> Policy:
    """``policy``, checked to be a :class:`Policy`: every function here reads one.

    ``whole``: its fields are read as they are now (a proof reads its levels, tiers and catalog): a policy changed
    past validation (``object.__setattr__``) is checked again, and refused unless it is the policy it decides with
    (:class:`PolicyError`); otherwise a proof could hold for levels nobody checked. ``check``, called once per
    region, only makes sure the policy was checked (:func:`compiled_policy`), as deciding does.
    """
    if not isinstance(policy, Policy):
        raise InvalidInputError.at(
            "proof", "policy", f"must be a Policy, such as Policy.from_file(path), not {shown(policy)}"
        )
    compiled = compiled_policy(policy)  # one never checked (model_construct) is checked now: PolicyError
    if whole:
        now = compiled_policy(type(policy).model_validate(policy.model_dump()))  # PolicyError if it no longer loads
        if now.revision != compiled.revision:
            raise PolicyError(
                [Problem("", "was changed after it was checked; load it again (Policy.model_validate) to prove it")]
            )
    return policy


def _now(policy: Policy, now: object) -> dt.datetime:
    """``now``, or :func:`default_now`: a timezone-aware time that complaints may be received at, a year of
    :func:`moments` after it included (1900-01-03 to 8998-11-27, in UTC)."""
    if now is None:
        return _default_now(policy)
    moment = utc(now, field="now")  # a naive time is refused naming now, not the complaint it would be put in
    if not _FIRST_NOW <= moment <= _LAST_NOW:
        raise InvalidInputError.at(
            "time",
            "now",
            f"must be from {_FIRST_NOW:%Y-%m-%d} to {_LAST_NOW:%Y-%m-%d} (in UTC), so that complaints received "
            "at it and in the year after it can be decided; "
            "for example datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)",
        )
    return now  # type: ignore[return-value]  # a datetime: utc checked it


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
    """One acting level, tier, remedy kind, category and way of counting grants, with the thresholds that cut
    its amounts."""

    by: str
    tier: str
    kind: str
    category: str
    granted: tuple[Cell, ...]
    asked: tuple[Cell, ...]
    total: tuple[Cell, ...]
    ceiling: int
    """No amount reaches this many minor units: :class:`Money` refuses it. Nor does the total of the amount
    already granted and the amount asked: a decision of such a total is no resolution."""
    window: Window | None = None
    """The one window the amount already granted was granted in (nothing in the policy's other windows);
    ``None``: the amount counts in every window."""
    windows: tuple[Window, ...] = ()
    """Every window of the policy (its ``window``, then each cap's), when ``window`` is one of them."""
    _total_starts: list[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_total_starts", [lo for lo, _ in self.total])

    def granted_money(self, minor: int, currency: str) -> Money | dict[Window, Money]:
        """``minor`` units already granted, as :meth:`Policy.decide` takes it for this slice: one amount for
        every window, or that amount in :attr:`window` and zero in each other window."""
        return _granted_as(money(minor, currency), self.window, self.windows)

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
                if point[0] + point[1] < self.ceiling:  # the total is an amount too: Money refuses it beyond
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
    return _tiers(_policy(policy))


def _tiers(policy: Policy) -> list[str]:
    mentioned = sorted({tier for level in policy.levels for tier in level.tier_limits})
    other = "standard" if "standard" not in mentioned else _unused(_UNMENTIONED_TIER, set(mentioned))
    return [*mentioned, other]


def categories(policy: Policy) -> list[str]:
    """Every listed category, then one the policy has never heard of; for a policy with ``strict_categories``,
    which refuses a complaint of a category it does not list, only the listed ones."""
    return _categories(_policy(policy))


def _categories(policy: Policy) -> list[str]:
    if policy.strict_categories:  # never without categories: such a policy does not load
        return list(policy.categories)
    return [*policy.categories, _unused(_UNLISTED_CATEGORY, {*policy.categories, *policy.vocabulary})]


def grant_windows(policy: Policy) -> list[Window | None]:
    """The ways :func:`slices` counts the amount already granted: ``None`` (in every window), then, for a policy
    with more than one window, each window alone (nothing granted in the others), the policy's own first."""
    return _grant_windows(_policy(policy))


def _grant_windows(policy: Policy) -> list[Window | None]:
    counted = policy.windows
    return [None, *counted] if len(counted) > 1 else [None]


def slices(policy: Policy) -> list[Slice]:
    """Every slice of ``policy``'s input space, with its regions' thresholds, in a fixed order."""
    return _slices(_policy(policy))


def _slices(policy: Policy) -> list[Slice]:
    """:func:`slices` of a policy :func:`_policy` has checked."""
    return list(each_slice(policy))


def each_slice(policy: Policy) -> Iterator[Slice]:
    """The slices of :func:`slices`, made one at a time: a caller that stops early (a bound on the regions
    passed) does not make the rest."""
    ceiling = int(Money.MAX_AMOUNT) * Money(1, policy.currency).to_minor_units()  # MAX_AMOUNT in minor units
    # Every cap with the window it counts in: ``hard_cap`` in the policy's own, each of ``caps`` in its own.
    caps = [(_minor(policy.hard_cap), policy.window)] if policy.hard_cap is not None else []
    caps.extend((_minor(cap.limit), cap.window) for cap in policy.caps)
    counted = policy.windows
    every_tier, every_category = _tiers(policy), _categories(policy)
    for swept in _grant_windows(policy):
        for actor, tier in itertools.product(policy.levels, every_tier):
            bounds = _Bounds(policy, caps, swept, actor, tier)
            for kind, category in itertools.product(policy.vocabulary, every_category):
                relevant = [alternative for alternative in policy.catalog if alternative.relevant_to(category, kind)]
                values = sorted({_minor(alternative.value) for alternative in relevant})
                extra = {_minor(alternative.value) for alternative in relevant if alternative.extra_mile}
                granted, asked, total = bounds.thresholds(values, extra)
                cells = (_cells(granted), _cells(asked), _cells(total))
                yield Slice(
                    actor.name,
                    tier,
                    kind,
                    category,
                    *cells,
                    ceiling,
                    window=swept,
                    windows=() if swept is None else counted,
                )


def count_regions(planned: list[Slice], *, at_most: int | None = None) -> int:
    """How many regions the slices ``planned`` (from :func:`slices`) have: what :func:`prove` decides, one
    decision each, so what a proof's time grows with (a slice may have a handful of regions or millions).

    With ``at_most``, counting stops as soon as the count passes it, and ``at_most + 1`` is returned: a policy
    of millions of regions is found too large in about the time ``at_most`` regions take to count (a few tenths
    of a second for 400,000), not in the minutes its exact count would take. Raises
    :class:`~recovery_rules.InvalidInputError` for ``planned`` that is not a list of :class:`Slice`, or an
    ``at_most`` that is not a whole number from 0 up.
    """
    if not isinstance(planned, list) or not all(isinstance(part, Slice) for part in planned):
        raise InvalidInputError.at(
            "proof", "planned", f"must be a list of Slice, from slices(policy), not {shown(planned)}"
        )
    if at_most is not None and (not isinstance(at_most, int) or isinstance(at_most, bool) or at_most < 0):
        raise InvalidInputError.at(
            "proof", "at_most", f"must be a whole number from 0 up, or None, not {shown(at_most)}"
        )
    limit = None if at_most is None else at_most + 1
    counted = 0
    for part in planned:
        points = part.points() if limit is None else itertools.islice(part.points(), limit - counted)
        counted += sum(1 for _ in points)
        if limit is not None and counted >= limit:
            return limit
    return counted


class _Bounds:
    """The figures of one acting level and tier that amounts are compared with, split by window: those of the
    windows the amount granted counts in (``swept``; ``None``: every window), and those of the others, where
    nothing was granted, so only the amount asked meets them."""

    def __init__(
        self, policy: Policy, caps: list[tuple[int, Window]], swept: Window | None, actor: AuthorityLevel, tier: str
    ) -> None:
        def inside(window: Window) -> bool:
            return swept is None or window == swept

        limits = {limit for limit in (_limit(level, tier) for level in policy.levels) if limit is not None}
        own = _limit(actor, tier)
        # What the acting level may still grant is the least of its limit (in the policy's window) and every cap's
        # room (in the cap's window): with the amount granted in some windows only, the least of each side.
        rooms = [(own, policy.window)] if own is not None else []
        rooms.extend(caps)
        self.room_in = min((room for room, window in rooms if inside(window)), default=None)
        self.room_out = min((room for room, window in rooms if not inside(window)), default=None)
        # Which cap a denial names is the one with the least room: a cap of the windows swept (its limit less the
        # amount granted) against one of the others (its limit) changes places where the two are equal.
        self.crossings = {
            cap_in - cap_out
            for (cap_in, window_in), (cap_out, window_out) in itertools.product(caps, caps)
            if inside(window_in) and not inside(window_out)
        }
        # What is left to grant is the least of the two sides' rooms; which one, says the Plan B's sentence.
        if self.room_in is not None and self.room_out is not None:
            self.crossings.add(self.room_in - self.room_out)
        # A cap or limit counts the total (granted + asked) in the windows swept, the amount asked in the others.
        self.total = {cap for cap, window in caps if inside(window)}
        self.asked = {cap for cap, window in caps if not inside(window)}
        (self.total if inside(policy.window) else self.asked).update(limits)

    def thresholds(self, values: list[int], extra: set[int]) -> tuple[set[int], set[int], set[int]]:
        """The thresholds of the amount granted, asked and in total, for the alternatives' ``values`` and the
        extra-mile ones' (``extra``)."""
        granted = set(self.crossings)
        if self.room_in is not None:
            granted.update((self.room_in, *(self.room_in - value for value in values)))
        total = set(self.total)
        asked = {*values, *((low + high) // 2 for low, high in itertools.combinations(values, 2)), *self.asked}
        if self.room_in is not None:
            total.update(self.room_in - value for value in extra)
        if self.room_out is not None:
            asked.update(self.room_out - value for value in extra)
        return granted, asked, total


def _granted_as(granted: Money, window: Window | None, counted: tuple[Window, ...]) -> Money | dict[Window, Money]:
    if window is None:
        return granted
    zero = Money.zero(granted.currency)
    return {each: granted if each == window else zero for each in counted}


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
    window: Window | None = None
    """The one window ``granted`` was granted in, nothing in the policy's other windows; ``None``: ``granted``
    counts in every window."""
    windows: tuple[Window, ...] = ()
    """Every window of the policy, when ``window`` is one of them."""

    @property
    def granted_per_window(self) -> Money | dict[Window, Money]:
        """What was already granted, as it was given to :meth:`Policy.decide`: :attr:`granted`, or a mapping of
        every window to its amount (:attr:`granted` in :attr:`window`, zero in the others)."""
        return _granted_as(self.granted, self.window, self.windows)

    def granted_words(self) -> str:
        """What was already granted, in words: ``$9,000.00 already granted in the 30d window only``."""
        if self.window is None:
            return f"{self.granted.display()} already granted"
        others = ", ".join(str(window) for window in self.windows if window != self.window)
        return f"{self.granted.display()} already granted in the {self.window} window only (none in {others})"

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
    moments: int = 0
    """How many other moments each kind of decision was decided at again (:func:`moments`), once every region
    held at the first."""

    @property
    def holds(self) -> bool:
        return self.counterexample is None


def default_now(policy: Policy) -> dt.datetime:
    """The fixed time every region is decided at: 23 November 2026, 09:30 in the policy's time zone."""
    return _default_now(_policy(policy))


def _default_now(policy: Policy) -> dt.datetime:
    return dt.datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo(policy.timezone))


def prove(
    policy: Policy,
    *,
    now: dt.datetime | None = None,
    planned: list[Slice] | None = None,
    advance: Callable[[int], None] | None = None,
) -> Proof:
    """Decide one point of every region of ``policy`` and check every promise; stop at the first broken one.

    Every region is decided at ``now`` (:func:`default_now` when omitted). Then
    one decision of each kind (each acting level, tier, outcome and escalation
    target, the first region that decided so) is decided again at every one of
    the policy's :func:`moments` around ``now``, where a time-dependent promise
    could break: a callback counted in business hours, an absolute time across
    a clock change. ``advance`` is called with the number of regions each slice
    had, for a progress bar; ``planned`` reuses slices already computed with
    :func:`slices`.

    A ``policy`` that is not a :class:`~recovery_rules.Policy`, or a ``now`` that is naive or outside the years
    complaints may be received in (a year after it included), raises :class:`~recovery_rules.InvalidInputError`.
    """
    policy = _policy(policy)
    now = _now(policy, now)
    planned = _slices(policy) if planned is None else planned
    if not isinstance(planned, list) or not all(isinstance(part, Slice) for part in planned):
        raise InvalidInputError.at(
            "proof", "planned", f"must be a list of Slice, from slices(policy), not {shown(planned)}"
        )
    if planned:  # slices of another policy (or of this one before a change) would prove, or refute, nothing
        own = set(_slices(policy))
        if not all(part in own for part in planned):
            raise InvalidInputError.at(
                "proof", "planned", "holds a slice that is not one of this policy's: compute it with slices(policy)"
            )
    if advance is not None and not callable(advance):
        raise InvalidInputError.at("proof", "advance", f"must be a function of a count, or None, not {shown(advance)}")
    currency = policy.currency
    regions = 0
    kinds: dict[tuple[str, str, Outcome, str | None], tuple[Complaint, Slice, Money]] = {}
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
            given = _granted_as(granted, part.window, part.windows)
            violations, resolution = _checked(policy, complaint, part.by, given, now)
            if violations:
                outcome = None if resolution is None else resolution.outcome
                found = Counterexample(
                    complaint, part.by, granted, now, tuple(violations), outcome, part.window, part.windows
                )
                return Proof(done, regions + count, found)
            if resolution is not None:  # always, without a violation: one of each kind is decided again later
                kind = (part.by, part.tier, resolution.outcome, resolution.escalate_to)
                kinds.setdefault(kind, (complaint, part, granted))
        regions += count
        if advance is not None:
            advance(count)
    later = _moments(policy, now)
    for complaint, part, granted in kinds.values():
        given = _granted_as(granted, part.window, part.windows)
        for moment in later:
            at = complaint.model_copy(update={"received_at": moment})
            violations, outcome = check(policy, at, part.by, given, moment)
            if violations:
                found = Counterexample(
                    at, part.by, granted, moment, tuple(violations), outcome, part.window, part.windows
                )
                return Proof(len(planned), regions, found, len(later))
    return Proof(len(planned), regions, None, len(later))


def moments(policy: Policy, now: dt.datetime | None = None) -> list[dt.datetime]:
    """The moments ``prove`` decides each kind of decision at again, around ``now`` (:func:`default_now`): where
    a promise that depends on the time could break.

    For every day of the week that starts on ``now``'s day: midnight and the minute before the next, noon,
    and, with business hours, each opening and closing, the minute before each, and the middle of each open
    period; with callbacks promised (each level's ``callback_within``), each closing less each of them, and the
    minute before. Then the same around each clock change of the policy's time zone in the year from ``now``:
    the change, the minutes on either side, the change less each callback time, and the openings and closings
    of the day before it and of its own day (a callback promised the evening before runs across the change;
    one promised the day after does not); and around each closed date of the business hours in the year from
    ``now`` (a listed date, or the next of a month-day closed every year): the day before, the date itself and
    the day after. In the policy's time zone, in time order (by the instant, not the wall clock), each once;
    ``now`` itself is left out. ``now`` is checked as :func:`prove` checks it.
    """
    return _moments(_policy(policy), now)


def _moments(policy: Policy, now: dt.datetime | None) -> list[dt.datetime]:
    """:func:`moments` of a policy :func:`_policy` has checked."""
    zone = ZoneInfo(policy.timezone)
    start = _now(policy, now).astimezone(zone)
    minute = dt.timedelta(minutes=1)
    withins = sorted({level.callback_within for level in policy.levels if level.callback_within is not None})
    found: set[dt.datetime] = set()

    def day(date: dt.date) -> None:
        midnight = wall_instant(date, 0, zone, first=True)
        found.update((midnight, wall_instant(date + dt.timedelta(days=1), 0, zone, first=True) - minute))
        found.add(wall_instant(date, 12 * 60, zone, first=True))
        hours = policy.business_hours
        for opens, closes in () if hours is None else hours.periods_on(date):
            opening, closing = (
                wall_instant(date, opens, zone, first=True),
                wall_instant(date, closes, zone, first=False),
            )
            found.update((opening - minute, opening, opening + (closing - opening) / 2, closing - minute, closing))
            for within in withins:
                found.update((closing - within - minute, closing - within))

    for offset in range(7):
        day(start.date() + dt.timedelta(days=offset))
    for change in clock_changes(zone, start):
        found.update((change - minute, change, change + minute))
        found.update(change - within for within in withins)
        local = change.astimezone(zone).date()
        day(local - dt.timedelta(days=1))
        day(local)
    for closed in _closed_in_year(policy, start.date()):
        for offset in (-1, 0, 1):
            day(closed + dt.timedelta(days=offset))
    instants = sorted({moment.astimezone(dt.UTC) for moment in found} - {start.astimezone(dt.UTC)})
    return [instant.astimezone(zone) for instant in instants]  # in time order: wall times repeat when clocks go back


def _closed_in_year(policy: Policy, first: dt.date) -> list[dt.date]:
    """The closed dates of ``policy``'s business hours in the year from ``first``: those listed, and the next
    of each month-day closed every year."""
    hours = policy.business_hours
    if hours is None:
        return []
    span = dt.timedelta(days=366)
    last = first + span if first <= dt.date.max - 2 * span else dt.date.max - span  # room for the days around
    found = []
    for text in hours.closed:
        if not text.startswith("--"):
            date = dt.date.fromisoformat(text)
            if first <= date <= last:
                found.append(date)
            continue
        month, day = int(text[2:4]), int(text[5:7])
        for year in (first.year, first.year + 1):
            if year <= dt.MAXYEAR and first <= (date := dt.date(year, month, day)) <= last:
                found.append(date)
                break
    return found


def check(
    policy: Policy, complaint: Complaint, by: str, granted: Money | Mapping[Window, Money] | None, now: dt.datetime
) -> tuple[list[str], Outcome | None]:
    """Every promise the decision of ``complaint`` breaks, and its outcome (``None`` if deciding raised).

    ``granted``: what was already granted, as :meth:`Policy.decide` takes it (one amount, or one per window;
    ``None``: nothing).
    """
    problems, resolution = _checked(_policy(policy, whole=False), complaint, by, granted, now)
    return problems, None if resolution is None else resolution.outcome


def _checked(
    policy: Policy, complaint: Complaint, by: str, granted: Money | Mapping[Window, Money] | None, now: dt.datetime
) -> tuple[list[str], Resolution | None]:
    try:
        resolution = policy.decide(complaint, by=by, granted=granted, now=now)
    except Exception as error:  # any exception while deciding valid input is a finding
        return [f"deciding raised {type(error).__name__}: {error}"], None
    return resolution_violations(policy, complaint, by, granted, resolution, now=now), resolution


def suggestion_violations(
    policy: Policy,
    complaint: Complaint,
    by: str,
    granted: Money | Mapping[Window, Money] | None,
    resolution: Resolution,
) -> list[str]:
    """The promises about extra-mile suggestions: only with approvals, from the catalog, relevant, affordable, and
    of kinds the acting level may grant. :func:`~recovery_rules.resolution_violations` checks them too, with the
    rest; this is that part alone.

    ``granted``: what was already granted, as :meth:`Policy.decide` takes it (one amount, or one per window;
    ``None``: nothing). A counter-offer's suggestions are checked against what is left after the offer.
    """
    return _suggestion_violations(policy, complaint, by, granted, resolution)
