"""The decision rules: a pure function of a compiled policy and its inputs.

A policy is compiled once, when it is built (:func:`compile_policy`): limits
become ``Decimal`` (unlimited is ``Infinity``), the ladder is indexed per
customer tier and remedy kind, and the catalog per category and remedy kind.
:func:`decide` then does a constant amount of work for any ladder or catalog
size: dictionary look-ups, binary searches and a short walk over the catalog.

The rules, with ``total = granted + asked``:

1. a refused remedy kind, or a total over the hard cap, is ``DENIED``;
2. a total within the acting level's limit (its tier override first), for a
   kind it may grant, is ``APPROVED`` by that level;
3. otherwise the case is ``ESCALATED`` to the lowest higher level that may
   grant it, with a callback promised by ``now + callback_within``;
4. when no level may grant it, ``DENIED``.

Every ``DENIED`` and ``ESCALATED`` resolution carries alternatives the acting
level can authorize now. Arithmetic runs in the library's own decimal context,
never the caller's, and every failure raises: nothing here approves by default.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from ._catalog import CatalogIndex
from ._models import Complaint
from ._money import DECIMAL_CONTEXT, Money
from ._policy_parts import Alternative, AuthorityLevel
from ._resolution import Outcome, Resolution, TraceEntry
from .exceptions import CurrencyMismatchError, InvalidInputError, Problem, UnknownLevelError, UnknownRemedyError

if TYPE_CHECKING:
    from ._policy import Policy

__all__ = ["RULES", "CompiledLevel", "CompiledPolicy", "compile_policy", "decide"]

INFINITY: Final = Decimal("Infinity")
_ADD: Final = DECIMAL_CONTEXT.add
_SUBTRACT: Final = DECIMAL_CONTEXT.subtract

RULES: Final = {
    "remedy.refused": "the remedy kind asked for is one the policy never grants",
    "cap.hard": "the guest's total within the window must stay within the policy's hard cap",
    "authority.kind": "the acting level may grant only the remedy kinds it is allowed to",
    "limit.authority": "the guest's total within the window must stay within the acting level's limit",
    "escalation.path": "beyond the acting level's authority, the lowest higher level that can grant it decides",
    "alternatives.offered": "every denial and escalation offers alternatives the acting level can authorize now",
    "suggestions.offered": "an approval comes with the policy's extra-mile suggestions for the complaint",
    "delivery": "the employee delivers approvals and callbacks; a manager delivers denials",
}
"""Every rule id that can appear in a trace, with what the rule says."""


@dataclass(frozen=True, slots=True)
class CompiledLevel:
    """An authority level, ready for arithmetic."""

    rank: int
    name: str
    display_name: str
    limit: Decimal
    tier_limits: Mapping[str, Decimal]
    may_grant: frozenset[str] | None
    callback_within: dt.timedelta | None

    def limit_for(self, tier: str) -> Decimal:
        """This level's limit for a customer of ``tier`` (``Infinity`` when unlimited)."""
        return self.tier_limits.get(tier, self.limit)

    def may_grant_kind(self, kind: str) -> bool:
        return self.may_grant is None or kind in self.may_grant


@dataclass(frozen=True, slots=True)
class _Rungs:
    """The levels that may grant one remedy kind to one tier: ranks and limits, both ascending."""

    ranks: tuple[int, ...]
    limits: tuple[Decimal, ...]

    def lowest_granting(self, total: Decimal, above: int = -1) -> int | None:
        """The rank of the lowest level above rank ``above`` whose limit covers ``total``."""
        at = bisect_left(self.limits, total)
        if at < len(self.ranks) and self.ranks[at] <= above:
            # limits never fall as ranks rise, so any granting level above ``above`` covers total too
            at = bisect_left(self.ranks, above + 1)
        return self.ranks[at] if at < len(self.ranks) else None


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """What :func:`decide` needs from a :class:`~recovery_rules.Policy`, indexed."""

    name: str
    currency: str
    levels: tuple[CompiledLevel, ...]
    by_name: Mapping[str, CompiledLevel]
    cap: Decimal
    refused: frozenset[str]
    vocabulary: frozenset[str]
    rungs: Mapping[tuple[str | None, str], _Rungs]
    catalog: CatalogIndex
    extra_mile: CatalogIndex
    min_alternatives: int
    denials_rank: int
    zero: Decimal
    """Zero with the currency's decimal places (``0.00`` for USD)."""

    def rungs_for(self, tier: str, kind: str) -> _Rungs:
        return self.rungs.get((tier, kind)) or self.rungs[None, kind]


def _limit(money: Money | None) -> Decimal:
    return INFINITY if money is None else money.amount


def compile_policy(policy: Policy) -> CompiledPolicy:
    """Index a valid policy for :func:`decide`."""
    levels = tuple(_compile_level(rank, level) for rank, level in enumerate(policy.levels))
    vocabulary = frozenset(policy.vocabulary)
    tiers: set[str | None] = {None}
    for level in levels:
        tiers.update(level.tier_limits)
    rungs = {}
    for tier in tiers:
        for kind in vocabulary:
            granting = [level for level in levels if level.may_grant_kind(kind)]
            rungs[tier, kind] = _Rungs(
                tuple(level.rank for level in granting),
                tuple(level.limit if tier is None else level.limit_for(tier) for level in granting),
            )
    by_name = {level.name: level for level in levels}
    return CompiledPolicy(
        name=policy.name,
        currency=policy.currency,
        levels=levels,
        by_name=by_name,
        cap=_limit(policy.hard_cap),
        refused=frozenset(policy.refused_remedies),
        vocabulary=vocabulary,
        rungs=rungs,
        catalog=CatalogIndex(policy.catalog, policy.categories, policy.vocabulary),
        extra_mile=CatalogIndex(
            [alternative for alternative in policy.catalog if alternative.extra_mile],
            policy.categories,
            policy.vocabulary,
        ),
        min_alternatives=policy.min_alternatives,
        denials_rank=by_name[policy.denials_delivered_by].rank,
        zero=Money.zero(policy.currency).amount,
    )


def _compile_level(rank: int, level: AuthorityLevel) -> CompiledLevel:
    return CompiledLevel(
        rank=rank,
        name=level.name,
        display_name=level.display_name,
        limit=_limit(level.limit),
        tier_limits={tier: money.amount for tier, money in level.tier_limits.items()},
        may_grant=None if level.may_grant is None else frozenset(level.may_grant),
        callback_within=level.callback_within,
    )


# -- the decision -------------------------------------------------------------


def decide(
    policy: CompiledPolicy,
    complaint: Complaint,
    *,
    by: str,
    granted: Money | None = None,
    now: dt.datetime | None = None,
) -> Resolution:
    """Decide ``complaint`` for an employee of level ``by``; see the module docstring."""
    if not isinstance(complaint, Complaint):
        raise InvalidInputError(
            "complaint",
            [
                Problem(
                    "complaint", "must be a Complaint; build one with Complaint(...) or Complaint.model_validate(data)"
                )
            ],
        )
    level = policy.by_name.get(by) if isinstance(by, str) else None
    if level is None:
        raise UnknownLevelError(str(by) if isinstance(by, str) else type(by).__name__, policy.by_name)
    currency = policy.currency
    requested = complaint.requested
    if requested.amount.currency != currency:
        raise CurrencyMismatchError(currency, requested.amount.currency, location="requested.amount")
    kind = requested.kind
    if kind not in policy.vocabulary:
        raise UnknownRemedyError(kind, sorted(policy.vocabulary))
    if granted is None:
        before = policy.zero
    elif not isinstance(granted, Money):
        raise InvalidInputError("granted", [Problem("granted", "must be a Money in the policy's currency, or None")])
    elif granted.currency != currency:
        raise CurrencyMismatchError(currency, granted.currency, location="granted")
    elif granted.amount < 0:
        raise InvalidInputError("granted", [Problem("granted", "must not be negative")])
    else:
        before = granted.amount
    if now is None:
        now = dt.datetime.now(dt.UTC)
    elif not isinstance(now, dt.datetime) or now.utcoffset() is None:
        raise InvalidInputError("now", [Problem("now", "must be a timezone-aware datetime")])

    return _Decision(policy, complaint, level, before, now).resolve()


class _Decision:
    """One decision in progress; builds the trace as the rules are applied."""

    __slots__ = (
        "actor",
        "asked",
        "before",
        "complaint",
        "kind",
        "now",
        "policy",
        "tier",
        "total",
        "trace",
    )

    def __init__(
        self, policy: CompiledPolicy, complaint: Complaint, actor: CompiledLevel, before: Decimal, now: dt.datetime
    ) -> None:
        self.policy = policy
        self.complaint = complaint
        self.actor = actor
        self.before = before
        self.now = now
        self.asked = complaint.requested.amount.amount
        self.total = _ADD(before, self.asked)
        self.kind = complaint.requested.kind
        self.tier = complaint.customer.tier
        self.trace: list[TraceEntry] = []

    # -- helpers ----------------------------------------------------------
    def money(self, amount: Decimal) -> Money:
        return Money._trusted(amount, self.policy.currency)

    def show(self, amount: Decimal) -> str:
        return Money._trusted(amount, self.policy.currency).display()

    def note(self, rule: str, passed: bool, message: str, **figures: Decimal) -> None:
        self.trace.append(
            TraceEntry.model_construct(
                rule=rule,
                passed=passed,
                message=message,
                figures={name: self.money(value) for name, value in figures.items()},
            )
        )

    def totals(self) -> str:
        if self.before.is_zero():
            return f"{self.show(self.total)} asked"
        granted, asked = self.show(self.before), self.show(self.asked)
        return f"{self.show(self.total)} in total ({granted} already granted + {asked} asked)"

    def tier_phrase(self, level: CompiledLevel) -> str:
        return f" for a {self.tier.replace('_', ' ')} guest" if self.tier in level.tier_limits else ""

    # -- the rules --------------------------------------------------------
    def resolve(self) -> Resolution:
        policy, actor, kind, total = self.policy, self.actor, self.kind, self.total
        if kind in policy.refused:
            self.note("remedy.refused", False, f"'{kind}' is a remedy this policy never grants")
            return self.deny(f"'{kind}' is not a remedy we can grant", grantable_by=None)
        self.note("remedy.refused", True, f"'{kind}' is a remedy this policy can grant")

        cap = policy.cap
        if cap is not INFINITY:
            within_cap = total <= cap
            self.note(
                "cap.hard",
                within_cap,
                f"{self.totals()} is {'within' if within_cap else 'over'} the per-guest cap of {self.show(cap)}",
                granted=self.before,
                asked=self.asked,
                total=total,
                cap=cap,
            )
            if not within_cap:
                return self.deny(f"{self.totals()} is over the per-guest cap of {self.show(cap)}", grantable_by=None)

        rungs = policy.rungs_for(self.tier, kind)
        lowest = rungs.lowest_granting(total)
        grantable_by = None if lowest is None else policy.levels[lowest].name
        limit = actor.limit_for(self.tier)
        who = actor.display_name
        if not actor.may_grant_kind(kind):
            self.note("authority.kind", False, f"{who} may not grant '{kind}'")
        else:
            within = total <= limit
            if limit is INFINITY:
                message = f"{who} has no limit of their own; only the per-guest cap applies"
            else:
                message = (
                    f"{self.totals()} is {'within' if within else 'over'} {who}'s authority of "
                    f"{self.show(limit)}{self.tier_phrase(actor)}"
                )
            self.note(
                "limit.authority", within, message, total=total, **({} if limit is INFINITY else {"limit": limit})
            )
            if within:
                suggestions = self.extra_mile(limit)
                self.note("delivery", True, f"{who} grants it and delivers the good news")
                return self.build(
                    Outcome.APPROVED,
                    reason=message,
                    authorized_by=actor.name,
                    delivered_by=actor.name,
                    grantable_by=grantable_by,
                    suggestions=suggestions,
                )

        target_rank = rungs.lowest_granting(total, above=actor.rank)
        if target_rank is None:
            self.note("escalation.path", False, f"no level above {who} can grant {self.show(total)}")
            top = rungs.limits[-1] if rungs.limits else None
            most = (
                ""
                if top is None or top is INFINITY
                else f"; the most any level may grant this guest is {self.show(top)}"
            )
            return self.deny(f"no one here can grant {self.show(total)} for '{kind}'{most}", grantable_by=grantable_by)
        target = policy.levels[target_rank]
        callback_within = target.callback_within
        if callback_within is None:  # the policy guarantees it for every level but the lowest
            raise AssertionError(f"level {target.name!r} has no callback_within")
        callback_by = self.now + callback_within
        target_limit = target.limit_for(self.tier)
        self.note(
            "escalation.path",
            True,
            f"{target.display_name} can grant {self.show(total)}; the customer gets a callback "
            f"within {_hours(callback_within)}",
            total=total,
            **({} if target_limit is INFINITY else {"limit": target_limit}),
        )
        self.note("delivery", True, f"{who} explains, escalates to {target.display_name} and promises the callback")
        if actor.may_grant_kind(kind):
            reason = (
                f"{self.totals()} is above {who}'s authority of {self.show(limit)}{self.tier_phrase(actor)}; "
                f"{target.display_name} can approve it"
            )
        else:
            reason = f"{who} may not grant '{kind}'; {target.display_name} can approve it"
        return self.build(
            Outcome.ESCALATED,
            reason=reason,
            escalate_to=target.name,
            callback_by=callback_by,
            delivered_by=actor.name,
            grantable_by=grantable_by,
            alternatives=self.plan_b(),
        )

    def deny(self, reason: str, *, grantable_by: str | None) -> Resolution:
        policy, actor = self.policy, self.actor
        deliverer = actor if actor.rank >= policy.denials_rank else policy.levels[policy.denials_rank]
        alternatives = self.plan_b()
        self.note("delivery", True, f"{deliverer.display_name} delivers the news, with the reason and the alternatives")
        return self.build(
            Outcome.DENIED,
            reason=reason,
            delivered_by=deliverer.name,
            grantable_by=grantable_by,
            alternatives=alternatives,
        )

    def budget(self) -> Decimal:
        """What the acting level can still grant this guest now (``Infinity`` for no limit)."""
        room = min(self.actor.limit_for(self.tier), self.policy.cap)
        if room is INFINITY:
            return INFINITY
        left = _SUBTRACT(room, self.before)
        return left if left > 0 else self.policy.zero

    def plan_b(self) -> tuple[Alternative, ...]:
        budget = self.budget()
        count = self.policy.min_alternatives
        shelf = self.policy.catalog.shelf(self.complaint.category, self.kind)
        chosen = shelf.select(self.asked, None if budget is INFINITY else budget, count)
        if len(chosen) < count:  # the policy's load-time check makes this unreachable
            raise AssertionError(f"only {len(chosen)} alternatives for a {self.complaint.category!r} complaint")
        limit_words = "no limit" if budget is INFINITY else f"{self.show(budget)} left to grant"
        self.note(
            "alternatives.offered",
            True,
            f"{len(chosen)} alternatives {self.actor.display_name} can authorize now ({limit_words}), "
            "closest in value to what was asked first",
            **({} if budget is INFINITY else {"budget": budget}),
        )
        return chosen

    def extra_mile(self, limit: Decimal) -> tuple[Alternative, ...]:
        """Extra-mile suggestions that fit what is left once the approved remedy is granted."""
        shelf = self.policy.extra_mile.shelf(self.complaint.category, self.kind)
        if not shelf.values:
            return ()
        room = min(limit, self.policy.cap)
        left = None if room is INFINITY else _SUBTRACT(room, self.total)
        budget = None if left is None else max(left, self.policy.zero)
        chosen = shelf.select(self.policy.zero, budget, self.policy.min_alternatives)
        if chosen:
            self.note(
                "suggestions.offered",
                True,
                f"{len(chosen)} extra-mile suggestions for what to do instead",
            )
        return chosen

    def build(
        self,
        outcome: Outcome,
        *,
        reason: str,
        delivered_by: str,
        grantable_by: str | None,
        authorized_by: str | None = None,
        escalate_to: str | None = None,
        callback_by: dt.datetime | None = None,
        alternatives: Sequence[Alternative] = (),
        suggestions: Sequence[Alternative] = (),
    ) -> Resolution:
        budget = self.budget()
        complaint = self.complaint
        # The engine upholds every invariant Resolution checks (tests prove it), so it skips re-validation.
        return Resolution.model_construct(
            complaint_number=complaint.number,
            policy=self.policy.name,
            outcome=outcome,
            remedy=complaint.requested,
            acting_level=self.actor.name,
            granted_before=self.money(self.before),
            total=self.money(self.total),
            authorized_by=authorized_by,
            escalate_to=escalate_to,
            callback_by=callback_by,
            alternatives=tuple(alternatives),
            suggestions=tuple(suggestions),
            reason=reason,
            delivered_by=delivered_by,
            actor_can_grant=None if budget is INFINITY else self.money(budget),
            grantable_by=grantable_by,
            trace=tuple(self.trace),
            decided_at=self.now,
        )


def _hours(duration: dt.timedelta) -> str:
    minutes = int(duration.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"
