"""The decision rules: a pure function of a compiled policy and its inputs.

A policy is compiled once, when it is built (:func:`compile_policy`): limits
become ``Decimal`` (unlimited is ``Infinity``), the ladder is indexed per
customer tier and remedy kind, the catalog per category and remedy kind, and
every piece of text that depends only on the policy (limits written for
people, level titles, callback times) is written once. :func:`decide` then
does a constant amount of work for any ladder or catalog size: dictionary
look-ups, binary searches and a short walk over the catalog.

The rules, with ``total = granted + asked``:

1. a refused remedy kind, or a total over the hard cap, is ``DENIED``;
2. a total within the acting level's limit (its tier override first), for a
   kind it may grant, is ``APPROVED`` by that level;
3. otherwise the case is ``ESCALATED`` to the lowest higher level that may
   grant it, with a callback promised ``callback_within`` after ``now`` in
   absolute time (UTC; never on a wall clock, which repeats or skips an hour),
   counted in business hours when the policy has them (the clock runs only
   while the business is open: see :mod:`~recovery_rules._values._hours`);
4. when no level may grant it, ``DENIED``.

Applying them yields a :class:`Verdict`; :meth:`_Decision.conclude` turns a
verdict into the :class:`~recovery_rules.Resolution`, with its trace and its
Plan B. Other engines (the durable-rules backend) reach the verdict their own
way and share that second half, so both explain a decision in the same words.

Every ``DENIED`` and ``ESCALATED`` resolution carries alternatives the acting
level can authorize now. Arithmetic runs in the library's own decimal context,
never the caller's, and every failure raises: nothing here approves by default.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Final, NamedTuple
from zoneinfo import ZoneInfo

from pydantic_core import TzInfo

from recovery_rules._policy._catalog import CatalogIndex
from recovery_rules._policy._parts import Alternative, AuthorityLevel
from recovery_rules._values._currencies import MINOR_UNITS, SYMBOLS
from recovery_rules._values._hours import Schedule
from recovery_rules._values._models import Complaint, ComplaintNumber, Customer, Remedy, check_complaint
from recovery_rules._values._money import DECIMAL_CONTEXT, MAX_AMOUNT, Money, money_problems, trusted_money
from recovery_rules._values._time import later, utc
from recovery_rules.exceptions import CurrencyMismatchError, InvalidInputError, UnknownLevelError, UnknownRemedyError

from ._explanation import ENGLISH, Explanation, explanation, span
from ._resolution import NO_FIGURES, Outcome, Resolution, TraceEntry, trusted_resolution
from ._resolution import trusted_trace_entry as _entry

if TYPE_CHECKING:
    from recovery_rules._policy._policy import Policy

__all__ = [
    "RULES",
    "CompiledLevel",
    "CompiledPolicy",
    "Finding",
    "Verdict",
    "compile_policy",
    "decide",
]

INFINITY: Final = Decimal("Infinity")
_ADD: Final = DECIMAL_CONTEXT.add
_SUBTRACT: Final = DECIMAL_CONTEXT.subtract
RULES: Final = {
    "category.listed": "a complaint's category is one the policy lists (a warning; an error with strict_categories)",
    "remedy.refused": "the remedy kind asked for is one the policy never grants",
    "cap.hard": "the customer's total within the window must stay within the policy's hard cap",
    "authority.kind": "the acting level may grant only the remedy kinds it is allowed to",
    "limit.authority": "the customer's total within the window must stay within the acting level's limit",
    "escalation.path": "beyond the acting level's authority, the lowest higher level that can grant it decides",
    "alternatives.offered": "every denial and escalation offers alternatives the acting level can authorize now",
    "suggestions.offered": "an approval comes with the policy's extra-mile suggestions for the complaint",
    "delivery": "the employee delivers approvals and callbacks; a manager delivers denials",
}
"""Every rule id that can appear in a trace, with what the rule says."""


class Finding(enum.Enum):
    """Which of the rules decided."""

    REFUSED = "the remedy kind is refused"
    OVER_CAP = "the total is over the hard cap"
    APPROVED = "the acting level may grant it"
    ESCALATED = "a higher level may grant it"
    NO_LEVEL = "no level may grant it"


class Verdict(NamedTuple):
    """What applying the rules found, before it is explained.

    ``lowest`` is the rank of the lowest level that may grant the total
    (``None`` when none may, and for a refused remedy or a total over the
    cap); ``target`` the rank of the level an escalation goes to.
    """

    finding: Finding
    lowest: int | None = None
    target: int | None = None


_THOUSAND: Final = Decimal(1000)


def _amount_writer(currency: str) -> Callable[[Decimal], str]:
    """``Money.display`` for amounts of one currency, without building a ``Money`` each time.

    Every amount the engine shows has the currency's decimal places (inputs are
    validated, and sums and differences keep them), so below a thousand, where
    there is no separator to add, ``str`` writes it as formatting would, faster.
    """
    spec = f",.{MINOR_UNITS[currency]}f"
    symbol = SYMBOLS.get(currency)
    prefix, suffix = (symbol, "") if symbol else ("", f" {currency}")

    def show(amount: Decimal) -> str:
        if amount.is_signed():
            return Money._trusted(amount, currency).display()
        if amount < _THOUSAND:
            return f"{prefix}{amount}{suffix}"
        return f"{prefix}{amount:{spec}}{suffix}"

    return show


@dataclass(frozen=True, slots=True)
class CompiledLevel:
    """An authority level, ready for arithmetic, with the text that describes it."""

    rank: int
    name: str
    display_name: str
    limit: Decimal
    tier_limits: Mapping[str, Decimal]
    may_grant: frozenset[str] | None
    callback_within: dt.timedelta | None
    authority: str
    """``"Staff member's authority of $2,000.00"`` (empty when unlimited); ``tier_authority`` per tier."""
    tier_authority: Mapping[str, str]
    limit_money: Money | None
    tier_limit_money: Mapping[str, Money]
    callback_span: str
    """``callback_within`` in words (``"2 hours"``; empty for the lowest level), for the escalation's finding."""
    good_news: TraceEntry
    bad_news: TraceEntry
    no_limit: str

    def limit_for(self, tier: str) -> Decimal:
        """This level's limit for a customer of ``tier`` (``Infinity`` when unlimited)."""
        return self.tier_limits.get(tier, self.limit)

    def may_grant_kind(self, kind: str) -> bool:
        return self.may_grant is None or kind in self.may_grant

    def limit_money_for(self, tier: str) -> Money | None:
        return self.tier_limit_money.get(tier, self.limit_money)


@dataclass(frozen=True, slots=True)
class _GrantingLevels:
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
    rungs: Mapping[str, Mapping[str | None, _GrantingLevels]]
    """Per remedy kind, per customer tier (``None``: any other tier), the levels that may grant it."""
    catalog: CatalogIndex
    extra_mile: CatalogIndex
    min_alternatives: int
    denials_rank: int
    zero: Decimal
    """Zero with the currency's decimal places (``0.00`` for USD)."""
    zero_money: Money
    cap_money: Money | None
    cap_text: str
    """The cap in the reasons: "the per-guest cap of $2,000.00" (empty without a cap)."""
    customer: str
    """What the policy calls a customer ("guest", "customer"), for the reasons."""
    show: Callable[[Decimal], str]
    """An amount in the policy's currency written for people (``Money.display``)."""
    grantable: Mapping[str, TraceEntry]
    """Per remedy kind the policy may grant: the trace entry saying so."""
    categories: frozenset[str]
    """The categories the policy lists (none: it names none, and any category is its own)."""
    strict_categories: bool
    words: Explanation
    """The English of every finding (the policy's own ``explain_*`` messages, or the built-in ones)."""
    hours: Schedule | None = None
    """The business hours callbacks are promised within (``None``: always open)."""

    def promise(self, now: dt.datetime, within: dt.timedelta, field: str = "now") -> dt.datetime:
        """The time ``within`` after ``now`` counted in business hours (in absolute time without them), in UTC."""
        soonest = later(now, within, field)  # checks now; open time never runs faster than real time
        hours = self.hours
        return soonest if hours is None else hours.later(utc(now, field=field), within, field)

    def rungs_for(self, tier: str, kind: str) -> _GrantingLevels:
        by_tier = self.rungs[kind]
        return by_tier.get(tier) or by_tier[None]

    def room(self, level: CompiledLevel, tier: str) -> Decimal:
        """The most ``level`` may grant a customer of ``tier`` within the window, in all.

        Its limit for the tier, bounded by the hard cap (``Infinity`` when neither
        bounds it). The one place this is worked out: the decision, Plan B, the
        extra mile and a case's step granting an alternative all ask here.
        """
        limit = level.limit_for(tier)
        return limit if limit <= self.cap else self.cap

    def room_left(self, level: CompiledLevel, tier: str, before: Decimal) -> Decimal:
        """What ``level`` may still grant a customer of ``tier`` already granted ``before``: never below zero."""
        room = self.room(level, tier)
        if room is INFINITY or before.is_zero():
            return room
        left = _SUBTRACT(room, before)
        return left if left > 0 else self.zero


def _limit(money: Money | None) -> Decimal:
    return INFINITY if money is None else money.amount


def compile_policy(policy: Policy) -> CompiledPolicy:
    """Index a valid policy for :func:`decide`."""
    show = _amount_writer(policy.currency)
    customer = policy.customer_noun.replace("_", " ")
    english = policy.wording.get("en")
    overrides = {} if english is None else {k: v for k, v in english.messages.items() if k.startswith("explain_")}
    words = explanation(overrides) if overrides else ENGLISH
    levels = tuple(_compile_level(rank, level, show, customer, words) for rank, level in enumerate(policy.levels))
    vocabulary = frozenset(policy.vocabulary)
    tiers: set[str | None] = {None}
    for level in levels:
        tiers.update(level.tier_limits)
    rungs: dict[str, dict[str | None, _GrantingLevels]] = {kind: {} for kind in vocabulary}
    for tier in tiers:
        for kind in vocabulary:
            granting = [level for level in levels if level.may_grant_kind(kind)]
            rungs[kind][tier] = _GrantingLevels(
                tuple(level.rank for level in granting),
                tuple(level.limit if tier is None else level.limit_for(tier) for level in granting),
            )
    by_name = {level.name: level for level in levels}
    refused = frozenset(policy.refused_remedies)
    return CompiledPolicy(
        name=policy.name,
        currency=policy.currency,
        levels=levels,
        by_name=by_name,
        cap=_limit(policy.hard_cap),
        refused=refused,
        vocabulary=vocabulary,
        rungs=rungs,
        catalog=CatalogIndex(policy.catalog, policy.categories),
        extra_mile=CatalogIndex(
            [alternative for alternative in policy.catalog if alternative.extra_mile], policy.categories
        ),
        min_alternatives=policy.min_alternatives,
        denials_rank=by_name[policy.denials_delivered_by].rank,
        zero=Money.zero(policy.currency).amount,
        zero_money=Money.zero(policy.currency),
        cap_money=policy.hard_cap,
        cap_text="" if policy.hard_cap is None else words.cap(customer=customer, amount=show(policy.hard_cap.amount)),
        customer=customer,
        show=show,
        grantable={
            kind: _entry("remedy.refused", True, words.grantable(remedy_kind=kind), NO_FIGURES)
            for kind in vocabulary - refused
        },
        categories=frozenset(policy.categories),
        strict_categories=policy.strict_categories,
        words=words,
        hours=None if policy.business_hours is None else policy.business_hours.schedule(policy.timezone),
    )


def _compile_level(
    rank: int, level: AuthorityLevel, show: Callable[[Decimal], str], customer: str, words: Explanation
) -> CompiledLevel:
    who = level.display_name
    limit = _limit(level.limit)
    authority = "" if limit is INFINITY else words.authority(level=who, amount=show(limit))
    return CompiledLevel(
        rank=rank,
        name=level.name,
        display_name=who,
        limit=limit,
        tier_limits={tier: money.amount for tier, money in level.tier_limits.items()},
        may_grant=None if level.may_grant is None else frozenset(level.may_grant),
        callback_within=level.callback_within,
        authority=authority,
        tier_authority={
            tier: words.tier_authority(
                level=who, amount=show(money.amount), tier=tier.replace("_", " "), customer=customer
            )
            for tier, money in level.tier_limits.items()
        },
        limit_money=level.limit,
        tier_limit_money=dict(level.tier_limits),
        callback_span="" if level.callback_within is None else span(words, level.callback_within),
        good_news=_entry("delivery", True, words.good_news(level=who), NO_FIGURES),
        bad_news=_entry("delivery", True, words.bad_news(level=who), NO_FIGURES),
        no_limit=words.no_limit(level=who, customer=customer),
    )


# -- the decision -------------------------------------------------------------


def decide(
    policy: CompiledPolicy,
    complaint: Complaint,
    by: str,
    granted: Money | None = None,
    now: dt.datetime | None = None,
    *,
    rules: Callable[[_Decision], Verdict] | None = None,
) -> Resolution:
    """Decide ``complaint`` for an employee of level ``by``; see the module docstring.

    ``rules`` is another engine's way to reach the verdict (the durable-rules
    backend); by default the rules are applied here.
    """
    # model_copy(update=...) and model_construct skip validation, so the complaint and ``granted`` may hold
    # anything. Each part a decision reads is read once here and checked with exact-type tests and compares
    # (a full re-validation would cost more than the decision); anything unusual (a missing field, a
    # subclass, another time zone class) goes to the careful check, which names what is wrong or lets it pass.
    try:
        fields = complaint.__dict__
        customer, requested, category = fields["customer"], fields["requested"], fields["category"]
        number, received_at = fields["number"], fields["received_at"]
        remedy = requested.__dict__
        tier, kind, asked = customer.tier, remedy["kind"], remedy["amount"]
        amount = asked.amount
        trusted = (
            type(complaint) is Complaint
            and type(customer) is Customer
            and type(requested) is Remedy
            and type(asked) is Money
            and asked._checked  # made by Money's constructor or its arithmetic: finite, exact, in a currency
            and not amount.is_signed()  # neither negative nor -0
            and amount < MAX_AMOUNT  # nor beyond Money's range (arithmetic can get there)
            and type(kind) is str
            and type(tier) is str
            and type(category) is str
            and type(number) is ComplaintNumber
            and type(received_at) is _DATETIME
            and type(received_at.tzinfo) in _ALWAYS_AWARE
        )
    except Exception:  # any failure to read or compare a part only sends the complaint to the careful check
        trusted = False
    if not trusted:
        if not isinstance(complaint, Complaint):
            raise InvalidInputError.at(
                "complaint",
                "complaint",
                "must be a Complaint; build one with Complaint(...) or Complaint.model_validate(data)",
            )
        check_complaint(complaint)  # raises, naming what is wrong; passes what is only unusual
        customer, requested, category, number = (
            complaint.customer,
            complaint.requested,
            complaint.category,
            complaint.number,
        )
        tier, kind, asked = customer.tier, requested.kind, requested.amount
        amount = asked.amount
    level = policy.by_name.get(by) if isinstance(by, str) else None
    if level is None:
        raise UnknownLevelError(str(by) if isinstance(by, str) else type(by).__name__, policy.by_name)
    currency = policy.currency
    if asked.currency != currency:
        raise _foreign(asked.currency, currency, "requested.amount")
    if kind not in policy.vocabulary:
        raise UnknownRemedyError(kind, sorted(policy.vocabulary))
    unlisted = None
    if policy.categories and category not in policy.categories:
        unlisted = _unlisted(category, policy)  # raises with strict_categories
    if granted is None:
        granted = policy.zero_money
    else:
        try:
            before = granted.amount
            trusted = (
                type(granted) is Money
                and granted._checked
                and granted.currency == currency
                and not before.is_signed()
                and before < MAX_AMOUNT
            )
        except Exception:  # not even an amount to read: the careful check says what it is
            trusted = False
        if not trusted:
            _check_granted(granted, currency)  # raises, naming what is wrong; passes a valid subclass of Money
    if now is None:
        now = dt.datetime.now(dt.UTC)
    elif type(now) is not _DATETIME or now.tzinfo is not _UTC:
        now = utc(now)  # one instant, one resolution, whatever the time zone it was given in
    decision = _Decision(policy, complaint, level, granted, now, requested, asked, amount, kind, tier, category, number)
    if unlisted is not None:
        decision.trace.append(unlisted)
    return decision.resolve() if rules is None else decision.conclude(rules(decision))


def _unlisted(category: str, policy: CompiledPolicy) -> TraceEntry:
    """The warning for a ``category`` the policy does not list; with ``strict_categories``, the refusal."""
    close = difflib.get_close_matches(category, sorted(policy.categories), n=1, cutoff=0.6) if category else []
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    if policy.strict_categories:
        raise InvalidInputError.at(
            "complaint",
            "category",
            f"is not one of the policy's categories{hint}; this policy decides only the categories it "
            f"lists: {', '.join(sorted(policy.categories))}",
        )
    words = policy.words.unlisted_closest(closest=repr(close[0])) if close else policy.words.unlisted()
    return _entry("category.listed", False, words)


_DATETIME: Final = dt.datetime
_UTC: Final = dt.UTC
_ALWAYS_AWARE: Final = frozenset({dt.timezone, ZoneInfo, TzInfo})
"""The ``tzinfo`` classes whose ``utcoffset`` is never ``None``: the standard library's and pydantic's."""


def _check_granted(granted: object, currency: str) -> None:
    """Refuse a ``granted`` that is not a valid, non-negative amount in the policy's ``currency``."""
    problems = money_problems(granted, "granted", non_negative=True)
    if problems:
        raise InvalidInputError("amount", problems)
    granted_in = granted.currency  # type: ignore[attr-defined]  # a valid Money: money_problems found none
    if granted_in != currency:
        raise _foreign(granted_in, currency, "granted")


def _foreign(code: object, currency: str, location: str) -> InvalidInputError:
    """The error for an amount at ``location`` in the currency ``code`` rather than the policy's ``currency``."""
    if not isinstance(code, str) or code not in MINOR_UNITS:  # never repeat what is not a currency code
        return InvalidInputError.at("amount", f"{location}.currency", "is not an ISO 4217 currency code such as 'USD'")
    return CurrencyMismatchError(currency, code, location=location, policy=True)


class _Decision:
    """One decision in progress; builds the trace as the rules are applied."""

    __slots__ = (
        "_budget",
        "_total_text",
        "_totals",
        "actor",
        "asked",
        "asked_money",
        "before",
        "before_money",
        "category",
        "complaint",
        "kind",
        "now",
        "number",
        "policy",
        "requested",
        "tier",
        "total",
        "total_money",
        "trace",
    )

    def __init__(  # noqa: PLR0917 - the parts decide read and checked, passed on as they are
        self,
        policy: CompiledPolicy,
        complaint: Complaint,
        actor: CompiledLevel,
        granted: Money,
        now: dt.datetime,
        requested: Remedy,
        asked_money: Money,
        asked: Decimal,
        kind: str,
        tier: str,
        category: str,
        number: ComplaintNumber,
    ) -> None:
        self.policy = policy
        self.complaint = complaint
        self.actor = actor
        self.now = now
        self.requested = requested
        self.category = category
        self.number = number
        self.before_money = granted
        self.asked_money = asked_money
        self.before = before = granted.amount
        self.asked = asked
        if before.is_zero():  # the total is what is asked, to the last digit
            self.total, self.total_money = asked, asked_money
        else:
            self.total = total = _ADD(before, asked)
            self.total_money = trusted_money(total, policy.currency)
        self.kind = kind
        self.tier = tier
        self.trace: list[TraceEntry] = []
        self._totals: str | None = None
        self._total_text: str | None = None
        self._budget: Decimal | None = None

    # -- helpers ----------------------------------------------------------
    def money(self, amount: Decimal) -> Money:
        return trusted_money(amount, self.policy.currency)

    def total_text(self) -> str:
        text = self._total_text
        if text is None:
            text = self._total_text = self.policy.show(self.total)
        return text

    def totals(self) -> str:
        """The total in words: ``$250.00 asked``, or with what was already granted."""
        text = self._totals
        if text is None:
            if self.before.is_zero():
                text = self.policy.words.asked(total=self.total_text())
            else:
                show = self.policy.show
                text = self.policy.words.asked_with_granted(
                    total=self.total_text(), granted=show(self.before), asked=show(self.asked)
                )
            self._totals = text
        return text

    def authority(self, limit: Decimal) -> tuple[str, Money]:
        """The acting level's ``limit`` in words and as money."""
        actor, tier = self.actor, self.tier
        money = actor.tier_limit_money.get(tier, actor.limit_money)
        if money is not None and money.amount is limit:
            return actor.tier_authority.get(tier, actor.authority), money
        # ``limit`` is not the policy's own figure (only a test replacing limit_for gets here)
        words = self.policy.words.authority(level=actor.display_name, amount=self.policy.show(limit))
        if tier in actor.tier_limits:
            words = self.policy.words.tier_authority(
                level=actor.display_name,
                amount=self.policy.show(limit),
                tier=tier.replace("_", " "),
                customer=self.policy.customer,
            )
        return words, self.money(limit)

    # -- the rules --------------------------------------------------------
    def resolve(self) -> Resolution:
        """Apply the rules (see the module docstring) and explain the verdict."""
        policy, actor, kind, total = self.policy, self.actor, self.kind, self.total
        if kind in policy.refused:
            return self.refuse()
        if total > policy.cap:
            return self.over_cap()
        by_tier = policy.rungs[kind]
        rungs = by_tier.get(self.tier) or by_tier[None]
        lowest = rungs.lowest_granting(total)
        if actor.may_grant is None or kind in actor.may_grant:
            limit = actor.limit_for(self.tier)
            if total <= limit:
                return self.approve(lowest, limit)
        return self.refer(lowest, rungs.lowest_granting(total, above=actor.rank))

    def conclude(self, verdict: Verdict) -> Resolution:
        """The resolution for ``verdict``, reached by whichever engine applied the rules."""
        finding = verdict.finding
        if finding is Finding.REFUSED:
            return self.refuse()
        if finding is Finding.OVER_CAP:
            return self.over_cap()
        if finding is Finding.APPROVED:
            return self.approve(verdict.lowest, self.actor.limit_for(self.tier))
        if (finding is Finding.ESCALATED) is (verdict.target is None):
            raise AssertionError(f"{finding.name} with escalation target {verdict.target}")
        return self.refer(verdict.lowest, verdict.target)

    def refuse(self) -> Resolution:
        kind = self.kind
        self.trace.append(_entry("remedy.refused", False, self.policy.words.refused(remedy_kind=kind)))
        return self.deny(self.policy.words.reason_refused(remedy_kind=kind), grantable_by=None)

    def over_cap(self) -> Resolution:
        self.trace.append(self.policy.grantable[self.kind])
        self.check_cap(False)
        return self.deny(self.policy.words.over_cap(totals=self.totals(), cap=self.policy.cap_text), grantable_by=None)

    def check_cap(self, within: bool) -> None:
        policy = self.policy
        if policy.cap_money is None:
            return
        self.trace.append(
            _entry(
                "cap.hard",
                within,
                (self.policy.words.within_cap if within else self.policy.words.over_cap)(
                    totals=self.totals(), cap=policy.cap_text
                ),
                {
                    "granted": self.before_money,
                    "asked": self.asked_money,
                    "total": self.total_money,
                    "cap": policy.cap_money,
                },
            )
        )

    def approve(self, lowest: int | None, limit: Decimal) -> Resolution:
        actor, policy, trace = self.actor, self.policy, self.trace
        trace.append(policy.grantable[self.kind])
        self.check_cap(True)
        if limit is INFINITY:
            message = actor.no_limit
            trace.append(_entry("limit.authority", True, message, {"total": self.total_money}))
        else:
            authority, limit_money = self.authority(limit)
            message = self.policy.words.within_authority(totals=self.totals(), authority=authority)
            trace.append(_entry("limit.authority", True, message, {"total": self.total_money, "limit": limit_money}))
        suggestions = self.extra_mile() if policy.extra_mile else ()
        trace.append(actor.good_news)
        return self.build(
            Outcome.APPROVED,
            reason=message,
            authorized_by=actor.name,
            delivered_by=actor.name,
            grantable_by=None if lowest is None else policy.levels[lowest].name,
            suggestions=suggestions,
        )

    def refer(self, lowest: int | None, target: int | None) -> Resolution:
        """Beyond the acting level: escalate to rank ``target``, or deny when no level may grant it."""
        policy, actor, kind = self.policy, self.actor, self.kind
        self.trace.append(policy.grantable[kind])
        self.check_cap(True)
        grantable_by = None if lowest is None else policy.levels[lowest].name
        beyond = None  # the actor's limit in words, when the total is over it
        if not actor.may_grant_kind(kind):
            self.trace.append(
                _entry(
                    "authority.kind",
                    False,
                    self.policy.words.not_mine(level=actor.display_name, remedy_kind=kind),
                )
            )
        else:
            limit = actor.limit_for(self.tier)
            if limit is INFINITY:  # only the cap bounds this level, and the total is within it
                raise AssertionError(f"{actor.name} has no limit of its own but did not approve")
            beyond, limit_money = self.authority(limit)
            self.trace.append(
                _entry(
                    "limit.authority",
                    False,
                    self.policy.words.over_authority(totals=self.totals(), authority=beyond),
                    {"total": self.total_money, "limit": limit_money},
                )
            )
        if target is None:
            return self.no_level(grantable_by)
        return self.escalate(policy.levels[target], grantable_by, beyond)

    def no_level(self, grantable_by: str | None) -> Resolution:
        policy, kind = self.policy, self.kind
        total = self.total_text()
        self.trace.append(
            _entry("escalation.path", False, self.policy.words.no_level(level=self.actor.display_name, total=total))
        )
        limits = policy.rungs_for(self.tier, kind).limits
        top = limits[-1] if limits else None
        if top is None or top is INFINITY:
            reason = self.policy.words.reason_no_level(total=total, remedy_kind=kind)
        else:
            reason = self.policy.words.reason_no_level_most(
                total=total, remedy_kind=kind, customer=policy.customer, most=policy.show(top)
            )
        return self.deny(reason, grantable_by=grantable_by)

    def escalate(self, target: CompiledLevel, grantable_by: str | None, beyond: str | None) -> Resolution:
        actor, tier = self.actor, self.tier
        callback_within = target.callback_within
        if callback_within is None:  # the policy guarantees it for every level but the lowest
            raise AssertionError(f"level {target.name!r} has no callback_within")
        target_limit = target.limit_money_for(tier)
        self.trace.append(
            _entry(
                "escalation.path",
                True,
                self.policy.words.escalation(
                    escalate_to=target.display_name,
                    total=self.total_text(),
                    customer=self.policy.customer,
                    within=target.callback_span,
                ),
                {"total": self.total_money}
                if target_limit is None
                else {"total": self.total_money, "limit": target_limit},
            )
        )
        who = actor.display_name
        self.trace.append(
            _entry("delivery", True, self.policy.words.escalates(level=who, escalate_to=target.display_name))
        )
        if beyond is not None:
            reason = self.policy.words.reason_over_authority(
                totals=self.totals(), authority=beyond, escalate_to=target.display_name
            )
        else:
            reason = self.policy.words.reason_not_mine(
                level=who, remedy_kind=self.kind, escalate_to=target.display_name
            )
        return self.build(
            Outcome.ESCALATED,
            reason=reason,
            escalate_to=target.name,
            callback_by=self.policy.promise(self.now, callback_within),
            delivered_by=actor.name,
            grantable_by=grantable_by,
            alternatives=self.plan_b(),
        )

    def deny(self, reason: str, *, grantable_by: str | None) -> Resolution:
        policy, actor = self.policy, self.actor
        deliverer = actor if actor.rank >= policy.denials_rank else policy.levels[policy.denials_rank]
        alternatives = self.plan_b()
        self.trace.append(deliverer.bad_news)
        return self.build(
            Outcome.DENIED,
            reason=reason,
            delivered_by=deliverer.name,
            grantable_by=grantable_by,
            alternatives=alternatives,
        )

    def budget(self) -> Decimal:
        """What the acting level can still grant this guest now (``Infinity`` for no limit)."""
        budget = self._budget
        if budget is None:
            budget = self._budget = self.policy.room_left(self.actor, self.tier, self.before)
        return budget

    def budget_money(self) -> Money | None:
        """:meth:`budget` as money (``None`` for no limit): often the acting level's limit or the cap themselves."""
        budget = self.budget()
        if budget is INFINITY:
            return None
        actor, policy = self.actor, self.policy
        money = actor.tier_limit_money.get(self.tier, actor.limit_money)
        if money is not None and money.amount is budget:
            return money
        money = policy.cap_money
        if money is not None and money.amount is budget:
            return money
        return trusted_money(budget, policy.currency)

    def plan_b(self) -> tuple[Alternative, ...]:
        policy = self.policy
        budget = self.budget()
        count = policy.min_alternatives
        shelf = policy.catalog.shelf(self.category, self.kind)
        chosen = shelf.select(self.asked, None if budget is INFINITY else budget, count)
        if len(chosen) < count:  # the policy's load-time check makes this unreachable
            raise AssertionError(f"only {len(chosen)} alternatives for a {self.category!r} complaint")
        budget_money = self.budget_money()
        who = self.actor.display_name
        if budget_money is None:
            offered = self.policy.words.alternatives_unlimited(count=len(chosen), level=who)
        else:
            offered = self.policy.words.alternatives(count=len(chosen), level=who, left=policy.show(budget))
        self.trace.append(
            _entry(
                "alternatives.offered",
                True,
                offered,
                NO_FIGURES if budget_money is None else {"budget": budget_money},
            )
        )
        return chosen

    def extra_mile(self) -> tuple[Alternative, ...]:
        """Extra-mile suggestions that fit what is left once the approved remedy is granted."""
        policy = self.policy
        shelf = policy.extra_mile.shelf(self.category, self.kind)
        if not shelf:
            return ()
        left = policy.room_left(self.actor, self.tier, self.total)
        budget = None if left is INFINITY else left
        chosen = shelf.select(policy.zero, budget, policy.min_alternatives)
        if chosen:
            self.trace.append(_entry("suggestions.offered", True, self.policy.words.suggestions(count=len(chosen))))
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
        # Every field, in the order Resolution declares them (its repr follows this order).
        return trusted_resolution(
            {
                "complaint_number": self.number,
                "policy": self.policy.name,
                "outcome": outcome,
                "remedy": self.requested,
                "acting_level": self.actor.name,
                "granted_before": self.before_money,
                "total": self.total_money,
                "authorized_by": authorized_by,
                "escalate_to": escalate_to,
                "callback_by": callback_by,
                "alternatives": tuple(alternatives),
                "suggestions": tuple(suggestions),
                "reason": reason,
                "delivered_by": delivered_by,
                "actor_can_grant": self.budget_money(),
                "grantable_by": grantable_by,
                "trace": tuple(self.trace),
                "decided_at": self.now,
            }
        )
