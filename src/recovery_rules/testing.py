"""Property-test service-recovery policies the way recovery-rules tests its own.

Needs the ``testing`` extra (``pip install 'recovery-rules[testing]'``), which
brings `Hypothesis <https://hypothesis.readthedocs.io>`_.

Check your own policy against every promise the library makes, over hundreds of
generated complaints aimed at its limits and caps::

    from recovery_rules import Policy
    from recovery_rules.testing import check_policy

    def test_our_policy_keeps_its_promises() -> None:
        check_policy(Policy.from_file("policy.toml"))

Or write your own properties with the strategies::

    from hypothesis import given
    from recovery_rules.testing import decisions

    @given(decisions(policy))
    def test_no_refund_over_500(decision):
        resolution = decision.run(policy)
        ...

The strategies: :func:`policies` (valid policies of any shape), :func:`decisions`
(complaint, acting level, amount already granted and time, for one policy),
:func:`complaints` (the complaints alone) and :func:`money`. :func:`resolution_violations` states
the promises themselves.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import itertools
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from recovery_rules._engine._invariants import resolution_violations
from recovery_rules._engine._resolution import Outcome, Resolution
from recovery_rules._policy._policy import Policy, compiled_policy
from recovery_rules._values._currencies import MINOR_UNITS
from recovery_rules._values._models import Complaint, Customer, Remedy
from recovery_rules._values._money import DECIMAL_CONTEXT, MAX_AMOUNT, Money
from recovery_rules._values._shown import shown
from recovery_rules._values._time import Window, clock_changes, utc

from .exceptions import InvalidInputError, MissingDependencyError, PolicyCheckError

try:
    import hypothesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - exercised only without the extra
    raise MissingDependencyError("recovery_rules.testing", "testing", "hypothesis") from None

__all__ = [
    "DecisionInput",
    "check_policy",
    "complaints",
    "decision_violations",
    "decisions",
    "money",
    "policies",
    "resolution_violations",
]

UNKNOWN_CATEGORY: Final = "category_never_heard_of"
"""A category no generated policy lists: complaints of it must still get a Plan B (unless the policy has
``strict_categories``, which refuses them: :func:`decisions` then draws only the categories it lists)."""

UNKNOWN_TIER: Final = "tier_never_heard_of"
"""A customer tier no generated policy mentions: it gets the base limits."""

_RANK: Final = {Outcome.APPROVED: 0, Outcome.ESCALATED: 1, Outcome.DENIED: 2}
_NOW: Final = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
_ZONES: Final = ("America/Los_Angeles", "Europe/London", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata")
"""Time zones whose clocks change (by an hour, by half an hour, at midnight) and one whose clock never does."""


def _zone_and_changes() -> tuple[tuple[zoneinfo.ZoneInfo, tuple[dt.datetime, ...]], ...]:
    zones = []
    for name in _ZONES:
        try:
            zone = zoneinfo.ZoneInfo(name)
        except zoneinfo.ZoneInfoNotFoundError:  # pragma: no cover - a system without this zone
            continue
        zones.append((zone, (_NOW, *clock_changes(zone, dt.datetime(_NOW.year, 1, 1, tzinfo=dt.UTC)))))
    return tuple(zones)


_CLOCK_CHANGES: Final = _zone_and_changes()
"""Per time zone, the instants its clocks change in the year of ``_NOW`` (and ``_NOW``)."""


def _argument(what: str, name: str, value: object, wanted: str) -> InvalidInputError:
    """The error for an argument passed wrong, raised when a strategy is made, not when Hypothesis draws from it."""
    return InvalidInputError.at(what, name, f"must be {wanted}, not {shown(value)}")


def _policy(policy: object, what: str) -> Policy:
    if not isinstance(policy, Policy):
        raise _argument(what, "policy", policy, "a Policy, such as Policy.from_file(path)")
    compiled_policy(policy)  # a policy changed past validation is checked now: PolicyError, not AttributeError
    return policy


def _count(value: object, what: str, name: str, least: int, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise _argument(what, name, value, f"an integer of {least} or more, such as {example}")
    return value


@functools.lru_cache(maxsize=64)
def _own_changes(zone_name: str) -> tuple[tuple[zoneinfo.ZoneInfo, tuple[dt.datetime, ...]], ...]:
    """The policy's own zone, with the instants its clocks change and the midnights of the days around them."""
    zone = zoneinfo.ZoneInfo(zone_name)
    changes = (_NOW, *clock_changes(zone, dt.datetime(_NOW.year, 1, 1, tzinfo=dt.UTC)))
    days = {moment.astimezone(zone).date() + dt.timedelta(days=offset) for moment in changes for offset in (-1, 0, 1)}
    midnights = (dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC) for day in sorted(days))
    return (zone, changes), (zone, tuple(midnights))


@st.composite
def _moments(draw: st.DrawFn, zone_name: str = "UTC") -> dt.datetime:
    """Decision times near the moments clocks change, in UTC, a fixed offset or a zone's wall time, ``fold`` either way.

    The wall time with the other ``fold`` names the other instant of an hour the clock repeats, or a time that
    does not exist on that clock (it still names one instant): a decision must hold whichever it is given.
    """
    if not _CLOCK_CHANGES:  # pragma: no cover - a system without a time zone database
        return _NOW
    # half the time the policy's own zone: its clock changes, or its midnights around them
    zone, changes = draw(st.one_of(st.sampled_from(_CLOCK_CHANGES), st.sampled_from(_own_changes(zone_name))))
    moment = draw(st.sampled_from(changes)) + dt.timedelta(minutes=draw(st.integers(-180, 180)))
    wall = moment.astimezone(zone)
    form = draw(st.sampled_from(("wall", "other fold", "utc", "fixed offset")))
    if form == "wall":
        return wall
    if form == "other fold":
        return wall.replace(fold=1 - wall.fold)
    if form == "utc":
        return moment
    offset = wall.utcoffset()
    return moment.astimezone(dt.timezone(offset if offset is not None else dt.timedelta(0)))


def _amount(minor_units: int, currency: str) -> Money:
    places = MINOR_UNITS[currency]
    return Money(Decimal(minor_units).scaleb(-places, context=DECIMAL_CONTEXT), currency)


def _most(currency: str) -> int:
    """The most minor units a :class:`Money` in ``currency`` holds."""
    return int(MAX_AMOUNT.scaleb(MINOR_UNITS[currency], context=DECIMAL_CONTEXT)) - 1


def _minor(money: Money) -> int:
    return int(money.amount.scaleb(MINOR_UNITS[money.currency], context=DECIMAL_CONTEXT))


def money(currency: str = "USD", *, max_minor_units: int = 10**9) -> st.SearchStrategy[Money]:
    """Amounts in ``currency`` from zero to ``max_minor_units`` (cents, for USD).

    An unknown currency (``"usd"``, ``"ZZZ"``) or a bound that is not a whole number of minor units from 0 to
    what a :class:`Money` holds is refused here, with :class:`~recovery_rules.InvalidInputError`, not when drawn.
    """
    Money.zero(currency)  # InvalidInputError for a currency Money does not know, saying which to write
    _count(max_minor_units, "money strategy", "max_minor_units", 0, "10**9")
    most = int(Money.MAX_AMOUNT) * 10 ** MINOR_UNITS[currency]
    if max_minor_units >= most:  # more than a Money holds (checked before any Decimal is made of it)
        raise InvalidInputError.at(
            "money strategy",
            "max_minor_units",
            f"is too large: it must be less than {most:,}, the minor units of {Money.MAX_AMOUNT:,} {currency}",
        )
    return st.integers(0, max_minor_units).map(lambda minor: _amount(minor, currency))


@dataclass(frozen=True)
class DecisionInput:
    """One call of :meth:`Policy.decide`: the complaint, who acts, what was granted before, when."""

    complaint: Complaint
    by: str
    granted: Money
    """What was granted before: in every window of the policy, unless :attr:`windows` gives each its own."""
    now: dt.datetime
    windows: tuple[tuple[Window, Money], ...] | None = None
    """What was granted before in each window of the policy (its ``window`` first, then each cap's), when they
    differ; ``None``: :attr:`granted` in every window."""

    @property
    def granted_per_window(self) -> Money | dict[Window, Money]:
        """What was granted before, as :meth:`Policy.decide` takes it: :attr:`granted`, or an amount per window."""
        return self.granted if self.windows is None else dict(self.windows)

    def run(self, policy: Policy) -> Resolution:
        """Decide it with ``policy``."""
        return policy.decide(self.complaint, by=self.by, granted=self.granted_per_window, now=self.now)

    def with_asked(self, asked: Money) -> DecisionInput:
        """The same decision, asking for ``asked`` instead."""
        requested = self.complaint.requested.model_copy(update={"amount": asked})
        complaint = self.complaint.model_copy(update={"requested": requested})
        return dataclasses.replace(self, complaint=complaint)

    def __str__(self) -> str:
        if self.windows is None:
            granted = f"Money({str(self.granted)!r})"
        else:  # pairs, or a dict as Policy.decide takes it
            granted = (
                "{"
                + ", ".join(f"{str(window)!r}: Money({str(amount)!r})" for window, amount in dict(self.windows).items())
                + "}"
            )
        # exclude_unset: a number the complaint made for itself is left out, so the call numbers it as decide did
        # (by the business's date); written out, it would read back as a number the host set, and be kept
        return (
            f"policy.decide(Complaint.model_validate_json({self.complaint.model_dump_json(exclude_unset=True)!r}), "
            f"by={self.by!r}, granted={granted}, now={self.now!r})"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """How Hypothesis (and IPython) print it, in a falsifying example: the call that decides it."""
        printer.text(str(self))


def _boundaries(policy: Policy, tier: str) -> list[int]:
    """Amounts (in minor units) where a decision can change for a customer of ``tier``."""
    points = [0]
    for level in policy.levels:
        limit = level.tier_limits.get(tier, level.limit)
        if limit is not None:
            points.append(_minor(limit))
    if policy.hard_cap is not None:
        points.append(_minor(policy.hard_cap))
    points.extend(_minor(cap.limit) for cap in policy.caps)
    points.extend(_minor(alternative.value) for alternative in policy.catalog)
    return sorted({max(point + step, 0) for point in points for step in (-1, 0, 1)})


_LONGEST_DAY: Final = dt.timedelta(hours=25)
"""The longest a calendar day lasts on a wall clock (the day clocks go back by an hour)."""


def _contains(outer: Window, inner: Window) -> bool:
    """Whether every grant counted in ``inner`` is counted in ``outer`` too (the last 30 days hold today's)."""
    if outer.kind != "rolling" or outer.duration is None or inner.kind == "incident":
        return False
    # a calendar day lasts 25 hours when the clocks go back (24.5 on Lord Howe): the last 24 hours may not hold it
    reach = _LONGEST_DAY if inner.kind == "day" else inner.duration
    return reach is not None and outer.duration >= reach


def _possible(windows: tuple[Window, ...], amounts: list[int]) -> list[int]:
    """``amounts`` (one per window, the first the policy's own, kept) made possible: a window that holds another
    holds at least what it does (a guest granted $50 today was granted $50 or more in the last 30 days)."""
    amounts = list(amounts)
    for _ in range(len(windows) ** 2):  # each pass settles at least one pair; a few windows at most
        changed = False
        for (i, outer), (j, inner) in itertools.permutations(enumerate(windows), 2):
            if _contains(outer, inner) and amounts[j] > amounts[i]:
                if i == 0:  # the policy's own window keeps its amount: the one inside holds no more
                    amounts[j] = amounts[i]
                else:
                    amounts[i] = amounts[j]
                changed = True
        if not changed:
            break
    return amounts


def decisions(
    policy: Policy, *, now: dt.datetime | None = None, per_window: bool = False
) -> st.SearchStrategy[DecisionInput]:
    """Decision inputs for ``policy``, aimed at its limits, caps and catalog values.

    Categories and tiers include ones the policy never mentions; remedy kinds
    cover the whole vocabulary, refused kinds included. A policy with
    ``strict_categories`` refuses a complaint of a category it does not list
    (:class:`~recovery_rules.InvalidInputError`: no valid input), so for it only
    the categories it lists are drawn. Without ``now``, the
    decision times include the hours around daylight-saving changes in several
    time zones and the policy's own (and its midnights around them), given as wall
    times (with either ``fold``), fixed offsets or UTC.

    With ``per_window=True``, half the decisions of a policy with stacked caps
    (caps of other windows than its ``window``) give each window its own amount
    already granted (:attr:`DecisionInput.windows`), as a guest's history can:
    a window that holds another (the last 30 days hold today) holds at least
    as much. Pass :attr:`DecisionInput.granted_per_window` wherever you decide
    or check such a decision yourself; :meth:`DecisionInput.run` and
    :func:`check_policy` do.

    A ``policy`` that is not a :class:`~recovery_rules.Policy`, or a ``now`` that is not a timezone-aware
    ``datetime``, is refused here, with :class:`~recovery_rules.InvalidInputError`, not when drawn.
    """
    _policy(policy, "decisions strategy")
    if now is not None:
        utc(now, field="now")  # a naive time, or no time at all, is refused now, naming now
    if type(per_window) is not bool:
        raise _argument("decisions strategy", "per_window", per_window, "True or False")
    return _decisions(policy, now, per_window)


@st.composite
def _decisions(draw: st.DrawFn, policy: Policy, now: dt.datetime | None, per_window: bool) -> DecisionInput:
    tiers = sorted({tier for level in policy.levels for tier in level.tier_limits} | {"standard", UNKNOWN_TIER})
    tier = draw(st.sampled_from(tiers))
    currency = policy.currency
    most = _most(currency)  # no amount, nor a total of granted and asked, goes beyond what a Money holds
    boundaries = [point for point in _boundaries(policy, tier) if point <= most]
    top = min(boundaries[-1] * 2 + 100, most)
    total = draw(st.one_of(st.sampled_from(boundaries), st.integers(0, top)))
    granted = draw(st.one_of(st.just(0), st.integers(0, total)))
    moment = now or draw(st.one_of(st.just(_NOW), _moments(policy.timezone)))
    complaint = Complaint(
        customer=Customer(id=draw(st.sampled_from(["10442", "C-7", "guest.1"])), tier=tier),
        category=draw(st.sampled_from(_categories(policy))),
        requested=Remedy(kind=draw(st.sampled_from(policy.vocabulary)), amount=_amount(total - granted, currency)),
        received_at=moment,  # received when it is decided: the business's date changes with the time drawn
    )
    windows = policy.windows
    apart = None
    if per_window and len(windows) > 1 and draw(st.booleans()):  # each window its own amount: a cap binds alone
        asked = total - granted  # each window's amount plus the amount asked is a total too
        others = [
            min(draw(st.one_of(st.just(0), st.sampled_from(boundaries), st.integers(0, top))), most - asked)
            for _ in windows[1:]
        ]
        amounts = _possible(windows, [granted, *others])
        apart = tuple(zip(windows, (_amount(amount, currency) for amount in amounts), strict=True))
    return DecisionInput(
        complaint=complaint,
        by=draw(st.sampled_from([level.name for level in policy.levels])),
        granted=_amount(granted, currency),
        now=moment,
        windows=apart,
    )


def _categories(policy: Policy) -> list[str]:
    """The categories :func:`decisions` draws: the policy's, and one it never heard of unless it refuses those
    (``strict_categories``)."""
    if policy.strict_categories:  # never without categories: such a policy does not load
        return list(policy.categories)
    return [*policy.categories, UNKNOWN_CATEGORY]


def complaints(policy: Policy) -> st.SearchStrategy[Complaint]:
    """Complaints for ``policy``: the complaints of :func:`decisions` (aimed at its limits, caps and catalog
    values; categories and tiers it never mentions included, unlisted categories only when the policy does
    not refuse them with ``strict_categories``; every remedy kind of its vocabulary). A ``policy`` that is not
    a :class:`~recovery_rules.Policy` is refused here, with :class:`~recovery_rules.InvalidInputError`."""
    return decisions(policy).map(lambda decision: decision.complaint)


_ALTERNATIVE_KINDS: Final = ("callback", "other_branch", "referral", "voucher_offer", "upgrade_offer", "follow_up")
_REMEDIES: Final = ("refund", "credit", "upgrade", "voucher", "comp", "replacement")
_CATEGORIES: Final = ("room_not_ready", "out_of_stock", "rained_out", "noise", "billing_error")


def policies(
    *,
    max_levels: int = 5,
    max_catalog: int = 12,
    currencies: tuple[str, ...] = ("USD", "EUR", "JPY", "KWD"),
) -> st.SearchStrategy[Policy]:
    """Valid policies of every shape: ladders of 1 to ``max_levels`` levels, tier
    overrides, restricted remedy kinds, optional caps (a ``hard_cap``, and a cap of
    another window, below some levels' limits or not), catalogs of free and paid
    alternatives (at least enough free ones that the policy loads), and about half
    of them business hours in a time zone whose clock changes (or does not), half
    of those closed on dates around the clock changes :func:`decisions` draws
    times near (a date, or the same day every year), some with a personal call promised after a written report;
    some with delegates, ``strict_categories`` or a locale of their own.

    ``max_levels`` is 1 or more, ``max_catalog`` 0 or more, ``currencies`` ISO 4217 codes such as ``("USD",)``;
    anything else is refused here, with :class:`~recovery_rules.InvalidInputError`, not when drawn.
    ``max_catalog`` bounds the whole catalog, the 2 to 4 free alternatives its ``min_alternatives`` needs
    included (so at most ``max_catalog`` minus those are extra); under 2, the catalog still holds the 2 free
    alternatives every policy needs to load."""
    _count(max_levels, "policies strategy", "max_levels", 1, "5")
    _count(max_catalog, "policies strategy", "max_catalog", 0, "12")
    if isinstance(currencies, str) or not isinstance(currencies, tuple | list) or not currencies:
        raise _argument("policies strategy", "currencies", currencies, "a tuple of currency codes, such as ('USD',)")
    for currency in currencies:
        Money.zero(currency)  # InvalidInputError for a currency Money does not know, saying which to write
    return _policies(max_levels, max_catalog, tuple(currencies))


@st.composite
def _policies(draw: st.DrawFn, max_levels: int, max_catalog: int, currencies: tuple[str, ...]) -> Policy:
    currency = draw(st.sampled_from(currencies))
    count = draw(st.integers(1, max_levels))
    top = 10**7
    base = sorted(draw(st.lists(st.integers(0, top), min_size=count, max_size=count)))
    unlimited_from = draw(st.integers(1, count)) if draw(st.booleans()) else count
    finite = base[:unlimited_from]
    cap = draw(st.integers(max(finite, default=0), 2 * top)) if draw(st.booleans()) else None
    ceiling = cap if cap is not None else 2 * top
    remedy_kinds = draw(st.lists(st.sampled_from(_REMEDIES), min_size=1, max_size=len(_REMEDIES), unique=True))
    refused = draw(st.lists(st.sampled_from(("cash", "gift_card")), unique=True, max_size=2))
    vocabulary = [*remedy_kinds, *refused]
    categories = draw(st.lists(st.sampled_from(_CATEGORIES), unique=True, max_size=len(_CATEGORIES)))
    tiers = draw(st.lists(st.sampled_from(("silver", "gold", "platinum")), unique=True, max_size=2))
    tier_limits: dict[str, list[int]] = {
        tier: sorted(draw(st.lists(st.integers(0, ceiling), min_size=unlimited_from, max_size=unlimited_from)))
        for tier in tiers
    }
    window = draw(st.sampled_from(("incident", "day", "30d")))
    stacked: tuple[int, str] | None = None
    if draw(st.booleans()):
        others = [other for other in ("incident", "day", "7d", "30d") if other != window]
        stacked = (draw(st.integers(0, 2 * top)), draw(st.sampled_from(others)))
        ceiling = min(ceiling, stacked[0])  # no alternative is worth more than a cap: no one could offer it
    levels: list[dict[str, Any]] = []
    for rank in range(count):
        level: dict[str, Any] = {
            "name": f"level_{rank}",
            "limit": "unlimited" if rank >= unlimited_from else str(_amount(base[rank], currency).amount),
            "tier_limits": {
                tier: str(_amount(values[rank], currency).amount)
                for tier, values in tier_limits.items()
                if rank < unlimited_from
            },
        }
        if rank:
            level["callback_within"] = draw(st.sampled_from(("30m", "1h", "2h", "1d")))
        if draw(st.integers(0, 3)) == 0:
            level["may_grant"] = draw(st.lists(st.sampled_from(vocabulary), unique=True))
        if count > 1 and draw(st.integers(0, 3)) == 0:  # others may act for it in its absence
            others = [f"level_{other}" for other in range(count) if other != rank]
            level["delegates"] = draw(st.lists(st.sampled_from(others), min_size=1, unique=True))
        levels.append(level)
    min_alternatives = draw(st.integers(2, max(2, min(4, max_catalog))))  # within max_catalog, where it can be
    catalog: list[dict[str, Any]] = [
        {
            "id": f"free-{i}",
            "kind": f"plan_b_{i}",
            "description": f"Free option {i}",
            "value": "0",
            "applies_to": ["*"],
        }
        for i in range(min_alternatives)
    ]
    targets = ["*", *categories, *remedy_kinds]
    for i in range(draw(st.integers(0, max(max_catalog - min_alternatives, 0)))):
        catalog.append(
            {
                "id": f"alt-{i}",
                "kind": draw(st.sampled_from(_ALTERNATIVE_KINDS)),
                "description": f"Option {i}",
                "value": str(_amount(draw(st.integers(0, min(ceiling, top))), currency).amount),
                "applies_to": draw(st.lists(st.sampled_from(targets), min_size=1, max_size=3, unique=True)),
                "extra_mile": draw(st.booleans()),
            }
        )
    data = {
        "name": "generated policy",
        "currency": currency,
        "window": window,
        "levels": levels,
        "min_alternatives": min_alternatives,
        "denials_delivered_by": draw(st.sampled_from([level["name"] for level in levels])),
        "catalog": catalog,
        "refused_remedies": refused,
        "remedy_kinds": remedy_kinds,
        "categories": categories,
    }
    if cap is not None:
        data["hard_cap"] = str(_amount(cap, currency).amount)
    caps = None if stacked is None else [{"limit": str(_amount(stacked[0], currency).amount), "window": stacked[1]}]
    return Policy.model_validate(_with_settings(draw, data, caps))


def _with_settings(draw: st.DrawFn, data: dict[str, Any], caps: list[dict[str, str]] | None) -> dict[str, Any]:
    """``data`` with the optional settings a policy may have, each some of the time: strict categories, a locale
    of its own, business hours (with closed dates and the personal call's promise); and its ``caps``."""
    if data["categories"] and draw(st.integers(0, 3)) == 0:  # a complaint of another category is refused
        data["strict_categories"] = True
    if draw(st.integers(0, 3)) == 0:  # a locale of its own, beside the built-in English
        data["wording"] = {"en-GB": {"clock": "24h", "decimal_mark": ",", "group_separator": "."}}
    if caps is not None:
        data["caps"] = caps
    if draw(st.integers(0, 2)) == 0:  # about half keep business hours, in a zone whose clock changes, or not
        data["timezone"] = draw(st.sampled_from(_ZONES))
        data["business_hours"] = draw(_business_hours())
        closed = draw(_closed_dates(data["timezone"]))
        if closed:
            data["business_hours"]["closed"] = closed
        if draw(st.booleans()):  # the manager's call after a written report, counted in business hours
            data["personal_call_within"] = draw(st.sampled_from(("30m", "4h", "1d")))
    return data


_DAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_BOUNDARIES: Final = (0, 60, 90, 120, 150, 180, 7 * 60, 9 * 60, 12 * 60, 13 * 60, 17 * 60, 22 * 60, 23 * 60, 24 * 60)
"""Minutes after midnight where periods start and end: clock changes happen at 0:00, 1:00, 2:00 or 3:00."""


@st.composite
def _closed_dates(draw: st.DrawFn, zone_name: str) -> list[str]:
    """Closed dates where decisions are made: the days around the moments ``decisions`` draws (``_NOW`` and the
    zone's clock changes), a date or the same month-day every year; none for half the policies."""
    if draw(st.booleans()):
        return []
    changes = next((found for zone, found in _CLOCK_CHANGES if str(zone) == zone_name), (_NOW,))
    days = sorted(
        {
            moment.astimezone(zoneinfo.ZoneInfo(zone_name)).date() + dt.timedelta(days=offset)
            for moment in changes
            for offset in (-1, 0, 1)
        }
    )
    picked = draw(st.lists(st.sampled_from(days), min_size=1, max_size=4, unique=True))
    return [day.strftime("--%m-%d") if draw(st.integers(0, 3)) == 0 else day.isoformat() for day in picked]


@st.composite
def _business_hours(draw: st.DrawFn) -> dict[str, str]:
    """Business hours as a policy file writes them: every day closed or one or two periods, one day at least open."""
    hours = {}
    for day in _DAYS:
        if draw(st.integers(0, 4)) == 0:
            hours[day] = "closed"
            continue
        marks = sorted(draw(st.lists(st.sampled_from(_BOUNDARIES), min_size=2, max_size=4, unique=True)))
        pairs = [(marks[0], marks[1])] if len(marks) < 4 else [(marks[0], marks[1]), (marks[2], marks[3])]
        hours[day] = ", ".join(
            f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}" for start, end in pairs
        )
    if all(text == "closed" for text in hours.values()):
        hours["monday"] = "09:00-17:00"
    return hours


def decision_violations(policy: Policy, decision: DecisionInput, *, raise_by: Money | None = None) -> list[str]:
    """Every broken promise in deciding ``decision`` with ``policy``.

    Besides :func:`resolution_violations`: deciding twice gives the same
    resolution, so does the same instant given in UTC, the inputs are not
    changed, and asking ``raise_by`` more never gives a better outcome
    (approved < escalated < denied).
    """
    _policy(policy, "decision")
    if not isinstance(decision, DecisionInput):
        raise _argument("decision", "decision", decision, "a DecisionInput, such as one drawn from decisions(policy)")
    if not isinstance(decision.complaint, Complaint) or not isinstance(decision.by, str):
        raise _argument(
            "decision", "complaint", decision.complaint, "a DecisionInput of a Complaint and a level's name (by)"
        )
    if raise_by is not None and (
        not isinstance(raise_by, Money) or raise_by.currency != policy.currency or raise_by.amount < 0
    ):
        raise _argument(
            "decision", "raise_by", raise_by, f"an amount of 0 or more in {policy.currency}, such as 1.00, or None"
        )
    before = decision.complaint.model_dump()
    resolution = decision.run(policy)
    problems = resolution_violations(
        policy, decision.complaint, decision.by, decision.granted_per_window, resolution, now=decision.now
    )
    if decision.run(policy) != resolution:
        problems.append("deciding the same input twice gave different resolutions")
    in_utc = dataclasses.replace(decision, now=decision.now.astimezone(dt.UTC))
    if in_utc.run(policy) != resolution:
        problems.append("the same instant given in UTC gave a different resolution")
    if decision.complaint.model_dump() != before:
        problems.append("deciding changed the complaint")
    if raise_by is not None:  # the decision itself was checked by deciding it
        # asking raise_by more must stay within what a Money holds, with the most already granted in a window
        amounts = [decision.granted] if decision.windows is None else list(dict(decision.windows).values())
        most = max((amount.amount for amount in amounts if isinstance(amount, Money)), default=Decimal(0))
        if most + decision.complaint.requested.amount.amount + raise_by.amount >= Money.MAX_AMOUNT:
            raise _argument(
                "decision",
                "raise_by",
                raise_by,
                f"small enough that what was granted, the amount asked and it add up to less than "
                f"{Money.MAX_AMOUNT:,} {policy.currency}",
            )
        higher = decision.with_asked(decision.complaint.requested.amount + raise_by).run(policy)
        if _RANK[higher.outcome] < _RANK[resolution.outcome]:
            problems.append(f"asking {raise_by} more turned {resolution.outcome.value} into {higher.outcome.value}")
    return problems


def check_policy(policy: Policy, *, max_examples: int = 300, seed: int | None = None) -> None:
    """Run every promise of the library against ``policy`` over generated decisions.

    Raises :class:`~recovery_rules.PolicyCheckError` with the smallest
    counterexample Hypothesis finds. The promises: every denial and escalation
    offers at least ``min_alternatives`` alternatives of distinct kinds that the
    acting employee can authorize now, the ones the Plan B ranking picks, in its
    order (written for the complaint's category first, then free, then closest
    in value); no approval beyond authority or the cap; extra-mile suggestions
    only with approvals, relevant, of distinct kinds the employee may grant and
    within what they may still grant after it;
    every escalation goes to the lowest higher level that can grant it, with a
    callback promised exactly that level's ``callback_within`` after the
    decision in absolute time (so after it, across clock changes too), or
    counted in business hours when the policy has them (never on a closed
    date); denials
    are delivered by the policy's ``denials_delivered_by`` level (or by the
    acting employee, when theirs is that high or higher); decisions are
    deterministic, the same for one instant in any time zone, leave their
    inputs alone, and never improve when more is asked.

    Pass ``seed`` to explore the same examples on every run (reproducible CI). A ``policy`` that is not a
    :class:`~recovery_rules.Policy`, ``max_examples`` under 1 or a ``seed`` that is not an ``int`` raise
    :class:`~recovery_rules.InvalidInputError` before any example runs.
    """
    _policy(policy, "policy check")
    _count(max_examples, "policy check", "max_examples", 1, "300")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise _argument("policy check", "seed", seed, "an int, such as 1234, or None")

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(decision=decisions(policy, per_window=True), raise_by=st.integers(1, 10**6))
    def run(decision: DecisionInput, raise_by: int) -> None:
        # asking more stays within what a Money holds, in every window: the most already granted in one, plus asked
        amounts = [decision.granted] if decision.windows is None else [amount for _, amount in decision.windows]
        highest = max(_minor(amount) for amount in amounts) + _minor(decision.complaint.requested.amount)
        raise_by = min(raise_by, _most(policy.currency) - highest)
        problems = decision_violations(policy, decision, raise_by=_amount(raise_by, policy.currency))
        if problems:
            raise PolicyCheckError(problems, str(decision))

    if seed is not None:
        run = hypothesis.seed(seed)(run)
    run()
