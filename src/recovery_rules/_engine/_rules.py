"""The decision rules: a pure function of a compiled policy and its inputs.

A policy is compiled once, when it is built (:func:`compile_policy`): limits
become ``Decimal`` (unlimited is ``Infinity``), the ladder is indexed per
customer tier and remedy kind, the catalog per category and remedy kind, and
every piece of text that depends only on the policy (limits written for
people, level titles, callback times) is written once. :func:`decide` then
does a constant amount of work for any ladder or catalog size: dictionary
look-ups, binary searches and a short walk over the catalog.

The rules, with ``total = granted + asked``:

1. a refused remedy kind, or a total over a hard cap, is ``DENIED``: every cap
   (``hard_cap``, counted in the policy's window, and each of ``caps``, counted
   in its own) compares the guest's total in its window with its limit;
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
level can authorize now, ranked as :mod:`recovery_rules._policy._catalog` says
(the complaint's category's own first, then the remedy kind's, then generic;
free before paid; value closeness last). Arithmetic runs in the library's own decimal context,
never the caller's, and every failure raises: nothing here approves by default.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import hashlib
import json
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, NamedTuple
from zoneinfo import ZoneInfo

from pydantic_core import TzInfo

from recovery_rules._policy._catalog import CatalogIndex
from recovery_rules._policy._parts import Alternative, AuthorityLevel
from recovery_rules._values._base import ReadOnlyDict, check_employee
from recovery_rules._values._currencies import MINOR_UNITS, SYMBOLS
from recovery_rules._values._hours import Schedule
from recovery_rules._values._models import (
    CheckedComplaint,
    Complaint,
    ComplaintNumber,
    Customer,
    Remedy,
    business_number,
    check_complaint,
)
from recovery_rules._values._money import (
    DECIMAL_CONTEXT,
    MAX_AMOUNT,
    Money,
    checked_money,
    in_currency,
    trusted_money,
)
from recovery_rules._values._time import EARLIEST_INPUT_TIME, LATEST_INPUT_TIME, Window, later, utc
from recovery_rules.exceptions import (
    CurrencyMismatchError,
    InvalidInputError,
    Problem,
    UnknownLevelError,
    UnknownRemedyError,
)

from ._explanation import Explanation, built_in_explanation, explanation, span, with_article
from ._resolution import NO_FIGURES, Outcome, Resolution, TraceEntry, trusted_resolution
from ._resolution import trusted_trace_entry as _entry

if TYPE_CHECKING:
    from recovery_rules._policy._policy import Policy

__all__ = [
    "RULES",
    "CheckedInputs",
    "CompiledCap",
    "CompiledLevel",
    "CompiledPolicy",
    "Finding",
    "Verdict",
    "check_inputs",
    "compile_policy",
    "decide",
]

INFINITY: Final = Decimal("Infinity")
_ADD: Final = DECIMAL_CONTEXT.add
_SUBTRACT: Final = DECIMAL_CONTEXT.subtract
RULES: Final = {
    "category.listed": "a complaint's category is one the policy lists (a warning; an error with strict_categories)",
    "remedy.refused": "the remedy kind asked for is one the policy never grants",
    "cap.hard": "the customer's total within each cap's window must stay within that cap",
    "authority.kind": "the acting level may grant only the remedy kinds it is allowed to",
    "limit.authority": "the customer's total within the window must stay within the acting level's limit",
    "escalation.path": "beyond the acting level's authority, the lowest higher level that can grant it decides",
    "alternatives.offered": "every denial and escalation offers alternatives the acting level can authorize now",
    "suggestions.offered": "an approval comes with the policy's extra-mile suggestions for the complaint",
    "delivery": "the employee delivers approvals and callbacks; a manager delivers denials",
    "counter_offer": "a manager's counter-offer, less than the customer asked, is granted only when they accept it",
    "counter_offer_accepted": "a manager's counter-offer the customer accepted is granted: the offer, not the ask",
}
"""Every rule id that can appear in a trace, with what the rule says."""


class Finding(enum.Enum):
    """Which of the rules decided."""

    REFUSED = "the remedy kind is refused"
    OVER_CAP = "the total is over a hard cap"
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
    barred: frozenset[str]
    """The policy's remedy kinds this level may not grant: never offered by it as an alternative either."""
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
class CompiledCap:
    """A hard cap, ready for arithmetic: its window (``slot``: its place in ``CompiledPolicy.windows``)."""

    window: Window
    slot: int
    limit: Decimal
    money: Money
    text: str
    """The cap in the reasons: "the per-guest cap of $10,000.00 in any 30 days"."""


Granted = Money | Mapping[str, Money] | Mapping[Window, Money]
"""What a guest was already granted: one amount for every window, or one per window of the policy."""


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
    windows: tuple[Window, ...]
    """Every window the decision counts grants in: the policy's ``window`` first, then each cap's own."""
    caps: tuple[CompiledCap, ...]
    """Every cap: ``hard_cap`` (in the policy's window) first, then each of ``caps``."""
    stacked: bool
    """Whether the policy sets ``caps``: then every cap's words name its window, and Plan B names the cap
    that bounds what is left."""
    revision: str
    """The policy's revision: SHA-256 of its canonical content (see :func:`policy_revision`)."""
    quantum: Decimal
    """One unit of the currency's last decimal place (``0.01`` for USD): every valid amount has its exponent."""
    zone: dt.tzinfo
    """The policy's time zone: a complaint's number is the business's date there."""
    hours: Schedule | None = None
    """The business hours callbacks are promised within (``None``: always open)."""
    close_to: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False, hash=False, repr=False)
    """The listed categories an unlisted one is compared with, by its first three letters (``<roo``) and by its last
    three (``>ady``), at most :data:`FEW_CATEGORIES` of each (see :func:`category_index`)."""
    unlisted: dict[str, TraceEntry] = field(default_factory=dict, compare=False, hash=False, repr=False)
    """The warning already built for a category the policy does not list, per category: finding the closest
    listed one is the slowest step of a decision. At most :data:`UNLISTED_KEPT` are kept; a dictionary's single
    reads and writes are atomic, and the entry for a category is always the same value, so threads may share it."""

    def promise(self, now: dt.datetime, within: dt.timedelta, field: str = "now") -> dt.datetime:
        """The time ``within`` after ``now`` counted in business hours (in absolute time without them), in UTC."""
        soonest = later(now, within, field)  # checks now; open time never runs faster than real time
        hours = self.hours
        return soonest if hours is None else hours.later(utc(now, field=field), within, field)

    def handed_over(self, approver: str, deliverer: str) -> TraceEntry:
        """The trace's delivery entry of an approval level ``approver`` made and level ``deliverer`` delivers (the
        employee of an escalated case: the manager approves, the employee tells the customer)."""
        by_name = self.by_name
        message = self.words.good_news_handed(
            approver=by_name[approver].display_name, level=by_name[deliverer].display_name
        )
        return _entry("delivery", True, message, NO_FIGURES)

    def counter_offered(self, offer: Money, asked: Money) -> TraceEntry:
        """The trace's entry of a counter-offer: ``offer`` of the ``asked`` amount, which approving the offer grants
        only once the customer accepts it (its message is also the resolution's reason)."""
        show = self.show
        message = self.words.counter_offer(offer=show(offer.amount), asked=show(asked.amount), customer=self.customer)
        return _entry("counter_offer", True, message, _Figures(asked=asked, offer=offer))

    def counter_offer_accepted(self, offer: Money, asked: Money) -> TraceEntry:
        """The trace's entry of a counter-offer the customer accepted: ``offer`` of the ``asked`` amount, granted
        now (its message is also the resolution's reason; figures as :meth:`counter_offered`'s)."""
        show = self.show
        message = self.words.counter_offer_accepted(
            offer=show(offer.amount), asked=show(asked.amount), customer=self.customer
        )
        return _entry("counter_offer_accepted", True, message, _Figures(asked=asked, offer=offer))

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

    def room_left(self, level: CompiledLevel, tier: str, before: Decimal | Sequence[Decimal]) -> Decimal:
        """What ``level`` may still grant a customer of ``tier`` already granted ``before``: never below zero.

        ``before`` is what was granted in every window, or a figure per window (in the order of ``windows``):
        the least of the level's room in the policy's window and every cap's room in its own.
        """
        return self.binding(level, tier, before)[0]

    def binding(
        self, level: CompiledLevel, tier: str, before: Decimal | Sequence[Decimal]
    ) -> tuple[Decimal, CompiledCap | None]:
        """:meth:`room_left`, and the cap that bounds it (``None``: the level's own authority, or nothing)."""
        if not self.stacked and type(before) is Decimal:
            room = self.room(level, tier)
            cap = self.caps[0] if self.caps and room is self.cap else None
            if room is INFINITY or before.is_zero():
                return room, cap
            left = _SUBTRACT(room, before)
            return (left if left > 0 else self.zero), cap
        befores: Sequence[Decimal] = (before,) * len(self.windows) if isinstance(before, Decimal) else before
        limit = level.limit_for(tier)
        left = limit if limit is INFINITY else _SUBTRACT(limit, befores[0])
        bound: CompiledCap | None = None
        for cap in self.caps:
            room = _SUBTRACT(cap.limit, befores[cap.slot])
            if room < left:
                left, bound = room, cap
        return (left if left > 0 else self.zero), bound

    def plan_b(
        self,
        level: CompiledLevel,
        *,
        tier: str,
        category: str,
        remedy_kind: str,
        asked: Decimal,
        before: Decimal | Sequence[Decimal],
        without: frozenset[str] = frozenset(),
    ) -> tuple[tuple[Alternative, ...], Decimal]:
        """The Plan B ``level`` can authorize now for a complaint, with what it may still grant (``before`` as
        for :meth:`room_left`): up to ``min_alternatives`` alternatives, best-ranked first, of kinds it may grant
        and not in ``without``, chosen as the decision's Plan B is; a case's later step offering alternatives
        asks again, with the ledger as it stands then."""
        left = self.room_left(level, tier, before)
        shelf = self.catalog.shelf(category, remedy_kind)
        chosen = shelf.select(asked, None if left is INFINITY else left, self.min_alternatives, level.barred | without)
        return chosen, left


def _limit(money: Money | None) -> Decimal:
    return INFINITY if money is None else money.amount


def compile_policy(policy: Policy) -> CompiledPolicy:
    """Index a valid policy for :func:`decide`."""
    show = _amount_writer(policy.currency)
    customer = policy.customer_noun.replace("_", " ")
    english = policy.wording.get("en")
    overrides = {} if english is None else {k: v for k, v in english.messages.items() if k.startswith("explain_")}
    words = explanation(overrides) if overrides else built_in_explanation()
    vocabulary = frozenset(policy.vocabulary)
    capped = policy.hard_cap is not None or bool(policy.caps)
    levels = tuple(
        _compile_level(rank, level, show, customer, words, vocabulary, capped=capped)
        for rank, level in enumerate(policy.levels)
    )
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
    windows = tuple(dict.fromkeys([policy.window, *(cap.window for cap in policy.caps)]))
    stacked = bool(policy.caps)
    caps = tuple(
        _compile_cap(
            cap.limit, cap.window, cap.label, windows, stacked=stacked, customer=customer, show=show, words=words
        )
        for cap in _all_caps(policy)
    )
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
        close_to=category_index(policy.categories) if len(policy.categories) > FEW_CATEGORIES else {},
        strict_categories=policy.strict_categories,
        words=words,
        windows=windows,
        caps=caps,
        stacked=stacked,
        revision=policy_revision(policy),
        quantum=Decimal(1).scaleb(-MINOR_UNITS[policy.currency], context=DECIMAL_CONTEXT),
        zone=ZoneInfo(policy.timezone),
        hours=None if policy.business_hours is None else policy.business_hours.schedule(policy.timezone),
    )


def policy_revision(policy: Policy) -> str:
    """A stable hash of ``policy``'s content: 64 lower-case hexadecimal digits (SHA-256).

    Computed over the policy's canonical JSON: its fields as validated (amounts
    with their currency's decimal places, durations in ISO 8601, sets sorted),
    keys sorted, settings left at their defaults omitted (a level's title that
    is its name with spaces too), business hours as the week they mean (see
    ``BusinessHours.canonical``). The same policy therefore has the same
    revision whether it was written in TOML, JSON or YAML, in any key order,
    with defaults spelled out or left out, and a release that adds a setting
    (with a default) does not change the revision of a policy that does not
    use it. Any change that can change a decision or
    its words changes the revision.
    """
    content = policy.model_dump(mode="json", exclude_defaults=True)
    every_kind = set(policy.vocabulary)
    for level, dumped in zip(policy.levels, content["levels"], strict=True):
        if dumped.get("title") == level.name.replace("_", " "):  # its default (the name, with spaces) written out
            del dumped["title"]
        if level.may_grant is not None and every_kind <= set(level.may_grant):  # every kind: as one left out
            del dumped["may_grant"]
    if policy.business_hours is not None:  # the week they mean, however the days were written
        content["business_hours"] = policy.business_hours.canonical()
    if "wording" in content:  # a locale's tag in any case is one locale (two that fold alike are refused)
        content["wording"] = {_canonical_tag(tag): words for tag, words in content["wording"].items()}
    for dumped in content.get("catalog", ()):  # an empty contact or directions is never said: as one left out
        for name in ("contact", "directions"):
            if dumped.get(name) == "":
                del dumped[name]
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _canonical_tag(tag: str) -> str:
    """``tag`` in BCP 47's conventional case: ``en-gb`` is ``en-GB``, ``zh-hant-tw`` is ``zh-Hant-TW``.

    The language is lower case (as every tag a policy holds already is), a script (four letters) title case, a
    region (two letters) upper case, the rest lower case: a tag written the usual way keeps its spelling, so a
    policy written with ``en-GB`` keeps the revision it had."""
    language, *rest = tag.split("-")
    parts = [language.lower()]
    for part in rest:
        if len(part) == 4 and part.isalpha():  # a script subtag
            parts.append(part.title())
        elif len(part) == 2 and part.isalpha():  # a region subtag
            parts.append(part.upper())
        else:
            parts.append(part.lower())
    return "-".join(parts)


class _CapFields(NamedTuple):
    limit: Money
    window: Window
    label: str | None


def _all_caps(policy: Policy) -> Iterable[_CapFields]:
    if policy.hard_cap is not None:
        yield _CapFields(policy.hard_cap, policy.window, None)
    for cap in policy.caps:
        yield _CapFields(cap.limit, cap.window, cap.label)


def _compile_cap(
    limit: Money,
    window: Window,
    label: str | None,
    windows: tuple[Window, ...],
    *,
    stacked: bool,
    customer: str,
    show: Callable[[Decimal], str],
    words: Explanation,
) -> CompiledCap:
    amount = show(limit.amount)
    if label is not None:
        text = words.cap_labelled(label=label, amount=amount)
    elif not stacked:  # the one cap of the policy: its words are those of every release before stacked caps
        text = words.cap(customer=customer, amount=amount)
    else:
        text = words.cap_window(customer=customer, amount=amount, window=window_words(words, window))
    return CompiledCap(window=window, slot=windows.index(window), limit=limit.amount, money=limit, text=text)


def window_words(words: Explanation, window: Window) -> str:
    """A cap's window in ``words``: ``per incident``, ``per day``, ``in any 30 days``."""
    if window.kind == "incident":
        return str(words.per_incident())
    if window.kind == "day" or window.duration is None:
        return str(words.per_day())
    return str(words.in_any(span=span(words, window.duration)))


def _compile_level(  # noqa: PLR0917 - the parts compile_policy has at hand, passed on as they are
    rank: int,
    level: AuthorityLevel,
    show: Callable[[Decimal], str],
    customer: str,
    words: Explanation,
    vocabulary: frozenset[str],
    *,
    capped: bool,
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
        barred=frozenset() if level.may_grant is None else vocabulary.difference(level.may_grant),
        callback_within=level.callback_within,
        authority=authority,
        tier_authority={
            tier: words.tier_authority(
                level=who,
                amount=show(money.amount),
                tier=tier.replace("_", " "),
                customer=customer,
                a_customer=with_article(customer),
            )
            for tier, money in level.tier_limits.items()
        },
        limit_money=level.limit,
        tier_limit_money=dict(level.tier_limits),
        callback_span="" if level.callback_within is None else span(words, level.callback_within),
        good_news=_entry("delivery", True, words.good_news(level=who), NO_FIGURES),
        bad_news=_entry("delivery", True, words.bad_news(level=who), NO_FIGURES),
        # with no cap at all, an unlimited level is bounded by nothing: the reason must not name a cap
        no_limit=words.no_limit(level=who, customer=customer) if capped else words.no_limit_uncapped(level=who),
    )


# -- the decision -------------------------------------------------------------


def decide(
    policy: CompiledPolicy,
    complaint: Complaint,
    by: str,
    granted: Granted | None = None,
    now: dt.datetime | None = None,
    *,
    employee: str | None = None,
    rules: Callable[[_Decision], Verdict] | None = None,
    offered: bool = False,
) -> Resolution:
    """Decide ``complaint`` for an employee of level ``by``; see the module docstring.

    ``granted`` is what the customer was already granted: one amount that counts in every window of the
    policy, or a mapping from each window (``"incident"``, ``"30d"``, a :class:`Window`) to the amount
    granted in it.

    ``employee`` is the id of who asks (``"E-0042"``), carried into the resolution.
    ``rules`` is another engine's way to reach the verdict (the durable-rules
    backend); by default the rules are applied here. ``offered``: the remedy is a manager's counter-offer (a
    case's), so the findings name its amount as offered ("$2,000.00 offered is within ..."), not asked.
    """
    if employee is not None:
        check_employee(employee)
    # model_copy(update=...) and model_construct skip validation, and object.__setattr__ reaches past a frozen
    # model, so the complaint and ``granted`` may hold anything. Each part a decision reads is read once here and
    # checked with exact-type tests and compares (a full re-validation would cost more than the decision): an
    # amount is exactly a Decimal (a subclass can answer anything to a compare), with the currency's decimal
    # places, neither negative nor -0, within Money's range. Anything unusual (a missing field, a subclass,
    # another time zone class) goes to the careful check, which names what is wrong or gives back exactly the
    # values it checked. The decision then uses those values, never reads the complaint again.
    try:
        fields = complaint.__dict__
        customer, requested, category = fields["customer"], fields["requested"], fields["category"]
        number, received_at = fields["number"], fields["received_at"]
        if "number" not in complaint.model_fields_set:  # made by the complaint itself: not the business's date
            number = None
        details, remedy = customer.__dict__, requested.__dict__
        customer_id, tier, kind, asked = details["id"], details["tier"], remedy["kind"], remedy["amount"]
        amount, asked_in = asked.amount, asked.currency
        trusted = (
            type(complaint) is Complaint
            and type(customer) is Customer
            and type(requested) is Remedy
            and type(asked) is Money
            and type(amount) is Decimal
            and type(asked_in) is str
            and amount.same_quantum(policy.quantum)  # the currency's decimal places (no NaN, no infinity)
            and not amount.is_signed()  # neither negative nor -0
            and amount < MAX_AMOUNT  # nor beyond Money's range (arithmetic can get there)
            and type(kind) is str
            and type(tier) is str
            and type(category) is str
            and type(customer_id) is str
            and type(received_at) is _DATETIME
            and type(received_at.tzinfo) in _ALWAYS_AWARE
            and _EARLIEST <= received_at < _LATEST
            and (number is None or (type(number) is ComplaintNumber and number.customer_id == customer_id))
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
        checked = check_complaint(complaint)  # raises, naming what is wrong; passes what is only unusual
        customer_id, tier, category, requested = checked.customer_id, checked.tier, checked.category, checked.requested
        kind, asked, number, received_at = checked.kind, checked.amount, checked.number, checked.received_at
        amount, asked_in = asked.amount, asked.currency
    level, unlisted = _checked_request(policy, by, asked_in, kind, category)
    currency = policy.currency
    if granted is None:  # a zero of its own (a resolution holds it); the total is the amount asked, checked above
        given: Money | _Apart = trusted_money(policy.zero, currency)
    else:
        if type(granted) is Money and _trusted(granted, currency, policy.quantum):
            given = granted  # the common case: one valid amount
        else:
            given = _given(policy, granted, currency)
        most = given.amount if isinstance(given, Money) else max(money.amount for money in given)
        if (total := _ADD(most, amount)) >= MAX_AMOUNT:  # the total is an amount too: no resolution can hold it
            raise InvalidInputError.at(
                "amount",
                "granted",
                f"plus the amount asked is {total:,}, beyond the largest amount (it must be smaller than "
                f"{MAX_AMOUNT:,}); check the amounts",
            )
    if now is None:
        now = dt.datetime.now(dt.UTC)
    elif type(now) is not _DATETIME or now.tzinfo is not _UTC:
        now = utc(now)  # one instant, one resolution, whatever the time zone it was given in
    if number is None:  # numbered by the business's date, as Case.open files it: one instant, one number
        number = business_number(customer_id, received_at, policy.zone)
    decision = _Decision(
        policy, complaint, level, given, now, requested, asked, amount, kind, tier, category, number, employee
    )
    decision.offered = offered
    if unlisted is not None:
        decision.trace.append(unlisted)
    return decision.resolve() if rules is None else decision.conclude(rules(decision))


def _checked_request(
    policy: CompiledPolicy, by: object, asked_in: str, kind: str, category: str, *, warn: bool = True
) -> tuple[CompiledLevel, TraceEntry | None]:
    """The level ``by`` names, and the warning for a category the policy does not list (``None``: listed, or
    not ``warn``).

    Refuses a level the policy does not have, an amount asked in another currency, a remedy kind outside the
    vocabulary, and (with ``strict_categories``) a category the policy does not list.
    """
    if type(by) is str:
        level = policy.by_name.get(by)
    else:  # a subclass is looked up by its text, never by its own hash and equality
        level = policy.by_name.get(str.__str__(by)) if isinstance(by, str) else None
    if level is None:
        raise UnknownLevelError(str(by) if isinstance(by, str) else by, policy.by_name)  # a plain str: no subclass repr
    if asked_in != policy.currency:
        raise _foreign(asked_in, policy.currency, "requested.amount")
    if kind not in policy.vocabulary:
        raise UnknownRemedyError(kind, sorted(policy.vocabulary))
    unlisted = None
    if policy.categories and category not in policy.categories and (warn or policy.strict_categories):
        unlisted = _unlisted(category, policy)  # raises with strict_categories
    return level, unlisted


class CheckedInputs(NamedTuple):
    """What :func:`check_inputs` read of a decision's inputs, each checked as :func:`decide` checks it."""

    complaint: CheckedComplaint
    by: str
    """The name of the level that asks."""
    granted: dict[Window, Money]
    """What was granted before in each of the policy's windows (zero when ``granted`` was ``None``)."""
    now: dt.datetime | None
    """``now`` in UTC, ``None`` when it was ``None``."""


def check_inputs(policy: CompiledPolicy, complaint: object, by: object, granted: object, now: object) -> CheckedInputs:
    """A decision's inputs checked the careful way, with :func:`decide`'s errors, without deciding.

    The complaint as :func:`check_complaint` checks it (however it was built), ``by`` a level of the policy
    (:class:`UnknownLevelError`), the amount asked and ``granted`` in the policy's currency
    (:class:`CurrencyMismatchError`) and valid (one amount, or one per window of the policy), the remedy kind
    in the vocabulary (:class:`UnknownRemedyError`), and ``now``, unless ``None``, a timezone-aware
    ``datetime`` whose ``tzinfo`` gives its offset; anything else :class:`InvalidInputError` naming it.
    """
    if not isinstance(complaint, Complaint):
        raise InvalidInputError.at(
            "complaint",
            "complaint",
            "must be a Complaint; build one with Complaint(...) or Complaint.model_validate(data)",
        )
    checked = check_complaint(complaint)
    level, _ = _checked_request(policy, by, checked.amount.currency, checked.kind, checked.category, warn=False)
    given = _given(policy, granted, policy.currency)  # type: ignore[arg-type]  # checked there, whatever it is
    amounts = tuple(given) if isinstance(given, _Apart) else (given,) * len(policy.windows)
    moment = None if now is None else utc(now)
    return CheckedInputs(checked, level.name, dict(zip(policy.windows, amounts, strict=True)), moment)


UNLISTED_KEPT: Final = 256
"""How many unlisted categories' warnings a compiled policy keeps (a service may be sent any number)."""


def _unlisted(category: str, policy: CompiledPolicy) -> TraceEntry:
    """The warning for a ``category`` the policy does not list; with ``strict_categories``, the refusal."""
    kept = policy.unlisted.get(category)
    if kept is not None:
        return kept
    entry = _unlisted_entry(category, policy)
    if len(policy.unlisted) < UNLISTED_KEPT:
        policy.unlisted[category] = entry
    return entry


FEW_CATEGORIES: Final = 64
"""Up to this many categories, an unlisted category is compared with each for the closest; beyond, only with those
sharing its first or its last three letters, at most this many of each: a decision's work does not grow with the
number of categories (a typo keeps one end of the word)."""


def category_index(categories: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The categories by their first three letters (``<roo``) and by their last three (``>ady``), at most
    :data:`FEW_CATEGORIES` under each."""
    index: dict[str, list[str]] = {}
    for name in sorted(categories):
        for key in ("<" + name[:3], ">" + name[-3:]):
            bucket = index.setdefault(key, [])
            if len(bucket) < FEW_CATEGORIES:
                bucket.append(name)
    return {key: tuple(names) for key, names in index.items()}


def _close_candidates(category: str, policy: CompiledPolicy) -> list[str]:
    if len(policy.categories) <= FEW_CATEGORIES:
        return sorted(policy.categories)
    near = policy.close_to
    return sorted({*near.get("<" + category[:3], ()), *near.get(">" + category[-3:], ())})


def _unlisted_entry(category: str, policy: CompiledPolicy) -> TraceEntry:
    close = (
        difflib.get_close_matches(category, _close_candidates(category, policy), n=1, cutoff=0.6) if category else []
    )
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
_Figures: Final = ReadOnlyDict
"""A trace entry's figures, read-only as the entry is frozen: built from keywords, the cheapest way."""
_EARLIEST: Final = EARLIEST_INPUT_TIME
_LATEST: Final = LATEST_INPUT_TIME
_ALWAYS_AWARE: Final = frozenset({dt.timezone, ZoneInfo, TzInfo})
"""The ``tzinfo`` classes whose ``utcoffset`` is never ``None``: the standard library's and pydantic's."""


def _given(policy: CompiledPolicy, granted: Granted | None, currency: str) -> Money | _Apart:
    """``granted``, checked: one amount for every window, or one per window (:class:`_Apart`).

    What comes back is exactly a :class:`Money` (or a tuple of them) holding the values checked.
    """
    if granted is None:  # a new zero each time: a resolution holds it, and its holder could change it
        return trusted_money(policy.zero, currency)
    if isinstance(granted, Mapping):
        by_window = _by_window(policy, granted)
        return by_window[0] if len(by_window) == 1 else _Apart(by_window)
    return _check_granted(granted, currency)  # raises, naming what is wrong


def _trusted(granted: Money, currency: str, quantum: Decimal) -> bool:
    """Whether ``granted`` (exactly a ``Money``) is valid as it is and in ``currency`` (whose quantum is ``quantum``).

    Exactly a Decimal with the currency's decimal places, neither negative nor -0, within Money's range; the
    currency exactly a ``str`` (a subclass's ``__eq__`` could answer "the same" to any code) equal to ``currency``.
    """
    try:
        amount, code = granted.amount, granted.currency
        return (
            type(amount) is Decimal
            and type(code) is str
            and code == currency
            and amount.same_quantum(quantum)
            and not amount.is_signed()
            and amount < MAX_AMOUNT
        )
    except Exception:  # not even an amount to read or compare: the careful check says what it is
        return False


class _Apart(tuple[Money, ...]):
    """What was granted in each of the policy's windows, given apart (the first: the policy's own window)."""

    __slots__ = ()


def _by_window(policy: CompiledPolicy, granted: Mapping[Any, object]) -> tuple[Money, ...]:
    """``granted`` per window, in the order of the policy's windows: each one given once, and nothing else."""
    known = ", ".join(map(str, policy.windows))
    found: dict[Window, Money] = {}
    for key, money in granted.items():
        try:
            window = key if isinstance(key, Window) else Window.parse(key)
        except InvalidInputError:
            window = None
        where = f"granted[{str(key)!r}]"
        if window is None or window not in policy.windows:
            raise InvalidInputError.at(
                "amount", where, f"is not a window the policy counts grants in; its windows are: {known}"
            )
        if window in found:
            raise InvalidInputError.at("amount", where, f"gives the window {window} a second time")
        found[window] = _check_granted(money, policy.currency, where)
    missing = [window for window in policy.windows if window not in found]
    if missing:  # each where its amount belongs, as a missing field is
        raise InvalidInputError(
            "amount",
            [
                Problem(
                    f"granted[{str(window)!r}]",
                    f"is required: give what was granted in each of the policy's windows ({known}), or one amount "
                    "for all of them",
                )
                for window in missing
            ],
        )
    return tuple(found[window] for window in policy.windows)


def _check_granted(granted: object, currency: str, location: str = "granted") -> Money:
    """``granted`` as exactly a :class:`Money` of the values checked: a valid, non-negative amount in the
    policy's ``currency``; else the error saying what is wrong."""
    try:
        money = checked_money(granted, location, non_negative=True)
    except InvalidInputError as error:  # its examples in the policy's currency
        shown = [Problem(problem.location, in_currency(problem.message, currency)) for problem in error.problems]
        raise InvalidInputError(error.what, shown) from None
    if money.currency != currency:
        raise _foreign(money.currency, currency, location)
    return money


def _foreign(code: object, currency: str, location: str) -> InvalidInputError:
    """The error for an amount at ``location`` in the currency ``code`` rather than the policy's ``currency``."""
    if not isinstance(code, str) or code not in MINOR_UNITS:  # never repeat what is not a currency code
        return InvalidInputError.at(
            "amount", f"{location}.currency", f"is not an ISO 4217 currency code; the policy's currency is {currency}"
        )
    return CurrencyMismatchError(currency, code, location=location, policy=True)


class _Decision:
    """One decision in progress; builds the trace as the rules are applied."""

    __slots__ = (
        "_bound",
        "_budget",
        "_total_text",
        "_totals",
        "actor",
        "asked",
        "asked_money",
        "before",
        "before_money",
        "by_window",
        "category",
        "complaint",
        "employee",
        "kind",
        "now",
        "number",
        "offered",
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
        granted: Money | _Apart,
        now: dt.datetime,
        requested: Remedy,
        asked_money: Money,
        asked: Decimal,
        kind: str,
        tier: str,
        category: str,
        number: ComplaintNumber,
        employee: str | None = None,
    ) -> None:
        self.policy = policy
        self.complaint = complaint
        self.employee = employee
        self.actor = actor
        self.now = now
        self.requested = requested
        self.category = category
        self.number = number
        if isinstance(granted, _Apart):
            self.by_window: tuple[Money, ...] | None = granted
            """What was granted in each of the policy's windows, when the caller gave them apart."""
            granted = granted[0]
        else:
            self.by_window = None
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
        self.offered = False
        """Whether the remedy is a counter-offer: the findings then say its amount was offered, not asked."""
        self._totals: str | None = None
        self._total_text: str | None = None
        self._budget: Decimal | None = None
        self._bound: CompiledCap | None = None

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
                text = self.total_words(self.total_text())
            else:
                show = self.policy.show
                text = self.total_words(self.total_text(), show(self.before), show(self.asked))
            self._totals = text
        return text

    def total_words(self, total: str, granted: str | None = None, asked: str | None = None) -> str:
        """A total in words, with what was ``granted`` before and ``asked`` when given: "asked", or "offered"
        for a counter-offer."""
        words = self.policy.words
        if granted is None or asked is None:
            return words.offered(total=total) if self.offered else words.asked(total=total)
        if self.offered:
            return words.offered_with_granted(total=total, granted=granted, offer=asked)
        return words.asked_with_granted(total=total, granted=granted, asked=asked)

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
                a_customer=with_article(self.policy.customer),
            )
        return words, self.money(limit)

    # -- the rules --------------------------------------------------------
    def resolve(self) -> Resolution:
        """Apply the rules (see the module docstring) and explain the verdict."""
        policy, actor, kind, total = self.policy, self.actor, self.kind, self.total
        if kind in policy.refused:
            return self.refuse()
        if policy.stacked:
            over = self.over_which()
            if over is not None:
                return self.over_cap(over)
        elif total > policy.cap:
            return self.over_cap(policy.caps[0])
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
            over = self.over_which()
            if over is None:
                raise AssertionError("OVER_CAP for a total within every cap")
            return self.over_cap(over)
        if finding is Finding.APPROVED:
            return self.approve(verdict.lowest, self.actor.limit_for(self.tier))
        if (finding is Finding.ESCALATED) is (verdict.target is None):
            raise AssertionError(f"{finding.name} with escalation target {verdict.target}")
        return self.refer(verdict.lowest, verdict.target)

    def refuse(self) -> Resolution:
        kind = self.kind
        self.trace.append(_entry("remedy.refused", False, self.policy.words.refused(remedy_kind=kind)))
        return self.deny(self.policy.words.reason_refused(remedy_kind=kind), grantable_by=None)

    def cap_before(self, cap: CompiledCap) -> Money:
        """What was granted in ``cap``'s window."""
        by_window = self.by_window
        return self.before_money if by_window is None else by_window[cap.slot]

    def over_which(self) -> CompiledCap | None:
        """The cap the total is over (the one with the least room, the first of equals), or ``None``."""
        bound, least = None, INFINITY
        for cap in self.policy.caps:
            room = _SUBTRACT(cap.limit, self.cap_before(cap).amount)
            if room < least:
                bound, least = cap, room
        return bound if bound is not None and self.asked > least else None

    def cap_totals(self, cap: CompiledCap) -> tuple[str, Money]:
        """The total in ``cap``'s window, in words and as money."""
        before = self.cap_before(cap)
        if before is self.before_money:
            return self.totals(), self.total_money
        total = trusted_money(_ADD(before.amount, self.asked), self.policy.currency)
        show = self.policy.show
        if before.amount.is_zero():
            return self.total_words(show(total.amount)), total
        return self.total_words(show(total.amount), show(before.amount), show(self.asked)), total

    def over_cap(self, bound: CompiledCap) -> Resolution:
        self.trace.append(self.policy.grantable[self.kind])
        self.check_cap(False, bound)
        totals, _ = self.cap_totals(bound)
        return self.deny(self.policy.words.over_cap(totals=totals, cap=bound.text), grantable_by=None)

    def check_cap(self, within: bool, bound: CompiledCap | None = None) -> None:
        """A trace entry per cap, in the policy's order; the cap the total is over (``bound``) last."""
        caps = self.policy.caps
        if len(caps) == 1 and not self.policy.stacked and self.by_window is None:  # hard_cap alone: the old way
            cap = caps[0]
            words = self.policy.words
            self.trace.append(
                _entry(
                    "cap.hard",
                    within,
                    (words.within_cap if within else words.over_cap)(totals=self.totals(), cap=cap.text),
                    _Figures(granted=self.before_money, asked=self.asked_money, total=self.total_money, cap=cap.money),
                )
            )
            return
        stacked = len(self.policy.windows) > 1  # each entry says which window its figures count in
        for cap in caps if bound is None else (*(cap for cap in caps if cap is not bound), bound):
            totals, total = self.cap_totals(cap)
            passed = cap is not bound and total.amount <= cap.limit
            self.trace.append(
                _entry(
                    "cap.hard",
                    passed,
                    (self.policy.words.within_cap if passed else self.policy.words.over_cap)(
                        totals=totals, cap=cap.text
                    ),
                    _Figures(granted=self.cap_before(cap), asked=self.asked_money, total=total, cap=cap.money),
                    cap.window if stacked else None,
                )
            )

    def approve(self, lowest: int | None, limit: Decimal) -> Resolution:
        actor, policy, trace = self.actor, self.policy, self.trace
        trace.append(policy.grantable[self.kind])
        self.check_cap(True)
        if limit is INFINITY:
            message = actor.no_limit
            trace.append(_entry("limit.authority", True, message, _Figures(total=self.total_money)))
        else:
            authority, limit_money = self.authority(limit)
            message = self.policy.words.within_authority(totals=self.totals(), authority=authority)
            trace.append(_entry("limit.authority", True, message, _Figures(total=self.total_money, limit=limit_money)))
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
                    _Figures(total=self.total_money, limit=limit_money),
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
        if grantable_by is not None:  # a level below may grant it; the acting one may not grant the kind, none above
            reason = self.policy.words.reason_no_level_above(
                level=self.actor.display_name,
                remedy_kind=kind,
                total=total,
                grantable_by=policy.by_name[grantable_by].display_name,
            )
        elif top is None or top is INFINITY:
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
                _Figures(total=self.total_money)
                if target_limit is None
                else _Figures(total=self.total_money, limit=target_limit),
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
            by_window = self.by_window
            before = self.before if by_window is None else tuple(money.amount for money in by_window)
            budget, self._bound = self.policy.binding(self.actor, self.tier, before)
            self._budget = budget
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
        bound = self._bound
        if bound is not None and bound.limit is budget:
            return bound.money
        return trusted_money(budget, policy.currency)

    def plan_b(self) -> tuple[Alternative, ...]:
        policy = self.policy
        budget = self.budget()
        count = policy.min_alternatives
        shelf = policy.catalog.shelf(self.category, self.kind)
        chosen = shelf.select(self.asked, None if budget is INFINITY else budget, count, self.actor.barred)
        if len(chosen) < count:  # the policy's load-time check makes this unreachable
            raise AssertionError(f"only {len(chosen)} alternatives for a {self.category!r} complaint")
        budget_money = self.budget_money()
        who = self.actor.display_name
        if budget_money is None:
            offered = self.policy.words.alternatives_unlimited(count=len(chosen), level=who)
        elif policy.stacked and self._bound is not None:
            offered = policy.words.alternatives_capped(
                count=len(chosen), level=who, left=policy.show(budget), cap=self._bound.text
            )
        else:
            offered = self.policy.words.alternatives(count=len(chosen), level=who, left=policy.show(budget))
        self.trace.append(
            _entry(
                "alternatives.offered",
                True,
                offered,
                NO_FIGURES if budget_money is None else _Figures(budget=budget_money),
            )
        )
        return chosen

    def extra_mile(self) -> tuple[Alternative, ...]:
        """Extra-mile suggestions that fit what is left once the approved remedy is granted."""
        policy = self.policy
        shelf = policy.extra_mile.shelf(self.category, self.kind)
        if not shelf:
            return ()
        by_window = self.by_window
        after = self.total if by_window is None else tuple(_ADD(money.amount, self.asked) for money in by_window)
        left = policy.room_left(self.actor, self.tier, after)
        budget = None if left is INFINITY else left
        chosen = shelf.select(policy.zero, budget, policy.min_alternatives, self.actor.barred)
        if chosen:
            words = self.policy.words
            offered = (words.suggestion if len(chosen) == 1 else words.suggestions)(count=len(chosen))
            self.trace.append(_entry("suggestions.offered", True, offered))
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
                "employee": self.employee,
                "policy_revision": self.policy.revision,
            }
        )
