"""What must hold of every resolution, checked from the policy's own data.

This is an independent statement of the rules, written from the policy's
public fields rather than the engine's indexes, so that testing one against
the other means something. :mod:`recovery_rules.testing` runs it over
generated complaints; host apps can run it over their own policies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from recovery_rules._policy._parts import ANY, Alternative, AuthorityLevel
from recovery_rules._policy._policy import Policy, compiled_policy
from recovery_rules._values._models import CheckedComplaint, Complaint, ComplaintNumber
from recovery_rules._values._money import DECIMAL_CONTEXT, Money
from recovery_rules._values._time import Window
from recovery_rules._wording._locale import built_in
from recovery_rules._wording._template import Slot, parse_template

from ._resolution import Outcome, Resolution, TraceEntry, checked_resolution
from ._rules import check_inputs

__all__ = ["RANKING", "open_intervals", "open_time", "resolution_violations", "suggestion_violations", "wall_instant"]

RANKING = (
    "of the Plan B ranking: written for the complaint's category first, then for the remedy kind asked, then "
    "generic; within each, free before paid; then closest in value to what was asked"
)
"""How the alternatives of a resolution are ordered, as a violation says it."""


def _limit(level: AuthorityLevel, tier: str) -> Decimal | None:
    money = level.tier_limits.get(tier, level.limit)
    return None if money is None else money.amount


def _can_grant(level: AuthorityLevel, tier: str, kind: str, total: Decimal) -> bool:
    limit = _limit(level, tier)
    return (level.may_grant is None or kind in level.may_grant) and (limit is None or total <= limit)


@dataclass(frozen=True)
class _Case:
    """The figures every check needs, computed once from the policy's public data."""

    policy: Policy
    complaint: CheckedComplaint
    """The complaint's parts, each read once and checked (:func:`check_complaint`)."""
    by: str
    actor: AuthorityLevel
    ranks: dict[str, int]
    before: Decimal
    total: Decimal
    caps: tuple[tuple[Decimal, Decimal], ...]
    """Every cap (``hard_cap`` and each of ``caps``) as (its limit, what was granted in its window)."""

    @property
    def tier(self) -> str:
        return self.complaint.tier

    @property
    def kind(self) -> str:
        return self.complaint.kind

    def grantable(self, level: AuthorityLevel) -> bool:
        return _can_grant(level, self.tier, self.kind, self.total)

    @property
    def over_a_cap(self) -> bool:
        asked = self.complaint.amount.amount
        return any(DECIMAL_CONTEXT.add(before, asked) > limit for limit, before in self.caps)

    @property
    def barred(self) -> bool:
        """Refused remedy or over a cap: nobody may grant it."""
        return self.kind in self.policy.refused_remedies or self.over_a_cap

    @property
    def budget(self) -> Decimal | None:
        """What the acting level may still grant this guest (``None``: no limit): the least of its own room in the
        policy's window and every cap's room in its own, never below zero."""
        own = _limit(self.actor, self.tier)
        room = [] if own is None else [DECIMAL_CONTEXT.subtract(own, self.before)]
        room.extend(DECIMAL_CONTEXT.subtract(limit, before) for limit, before in self.caps)
        return None if not room else max(min(room), Decimal(0))

    @property
    def lowest_granting(self) -> str | None:
        """The lowest level that may grant what was asked; ``None`` when it is refused, over a cap, or beyond all."""
        if self.barred:
            return None
        return next((level.name for level in self.policy.levels if self.grantable(level)), None)


def resolution_violations(
    policy: Policy,
    complaint: Complaint,
    by: str,
    granted: Money | Mapping[str, Money] | Mapping[Window, Money] | None,
    resolution: Resolution,
    *,
    now: dt.datetime | None = None,
) -> list[str]:
    """Every way ``resolution`` breaks the policy's promises; empty when it keeps them all (its extra-mile
    suggestions' too, as :func:`recovery_rules.proof.suggestion_violations` checks them alone).

    ``granted`` is what was already granted, as :meth:`Policy.decide <recovery_rules.Policy.decide>` takes it:
    one amount for every window, or one per window.

    The resolutions a case's steps return are judged too. A counter-offer
    (:meth:`Case.manager_approves <recovery_rules.Case.manager_approves>` with ``amount``), whose trace ends
    with a ``counter_offer`` entry, and the offer accepted (the resolution :meth:`Case.accept_offer
    <recovery_rules.Case.accept_offer>` stores, whose trace ends with a ``counter_offer_accepted`` entry) are
    checked at the offer, against the complaint as asked: when the entry is well formed (its ``asked`` is
    the complaint's amount asked, its ``offer`` the amount of ``remedy``, of the kind asked and less than
    asked), the total is ``granted`` plus the offer, within ``by``'s authority and the caps; otherwise each
    way it is not is a violation, and the resolution is checked at the amount asked. Any other resolution's
    ``remedy`` is the one the complaint asks, its kind and amount: another is a violation. An approval a higher level
    made in a case is delivered by the case's employee: ``delivered_by`` another level than ``by`` keeps the
    promise only when the trace's ``delivery`` entry says so, in the policy's words (its English
    ``explain_good_news_handed``, else the built-in one, with ``by``'s and ``delivered_by``'s display names:
    "Duty manager grants it; Staff member delivers the good news").

    The inputs are checked as :meth:`Policy.decide <recovery_rules.Policy.decide>` checks them, with the same
    errors, since a resolution can only be judged against a decision that could be made: ``policy`` must be a
    :class:`~recovery_rules.Policy`; ``complaint`` a :class:`~recovery_rules.Complaint` keeping the models'
    rules, however it was built; ``by`` a level of the policy (:class:`~recovery_rules.UnknownLevelError`);
    the amount asked and ``granted`` valid amounts in the policy's currency (one in another currency raises
    :class:`~recovery_rules.CurrencyMismatchError`, never counted as it is); ``now``, unless ``None``, a
    timezone-aware ``datetime`` (a naive one is refused: its instant depends on the host's time zone). And
    ``resolution`` must be a :class:`~recovery_rules.Resolution` whose every field holds what one holds when
    built (as :func:`~recovery_rules.say` checks it; what breaks the rules of its outcome, such as a refusal
    without alternatives, is a violation, not an error). Anything else raises
    :class:`~recovery_rules.InvalidInputError` naming what is wrong.
    """
    resolution = checked_resolution(resolution, "resolution", rules=False)  # a broken rule is a violation
    case, problems, now = _judged(policy, complaint, by, granted, resolution, now=now)
    checked, by = case.complaint, case.by
    outcome = resolution.outcome
    problems.extend(_field_violations(case, resolution))
    if resolution.policy_revision != policy.revision:
        problems.append(
            f"policy_revision is {resolution.policy_revision!r}, not the revision of the policy that decided "
            f"({policy.revision})"
        )
    problems.extend(_number_violations(policy, checked, resolution))
    if resolution.total.amount != case.total:
        problems.append(f"total is {resolution.total} but granted + asked is {case.total}")
    if case.barred and outcome is not Outcome.DENIED:
        problems.append(
            f"'{case.kind}' for {case.total} is refused or over the cap, but the outcome is {outcome.value}"
        )
    problems.extend(_suggestion_violations(case, resolution))
    if outcome is Outcome.APPROVED:
        problems.extend(_approval_violations(case, resolution))
    elif case.grantable(case.actor) and not case.barred:
        problems.append(f"{by} may grant {case.total} for '{case.kind}' but the outcome is {outcome.value}")
    if now is not None and _absolute(resolution.decided_at) != _absolute(now):
        problems.append(
            f"decided_at is {resolution.decided_at.isoformat()}, not the instant of now ({now.isoformat()})"
        )
    if outcome is Outcome.ESCALATED:
        problems.extend(_escalation_violations(case, resolution))
    if outcome is Outcome.DENIED:
        problems.extend(_denial_violations(case, resolution))
    if outcome is not Outcome.APPROVED:
        problems.extend(_alternative_violations(case, resolution))
    return problems


def _judged(
    policy: Policy,
    complaint: Complaint,
    by: str,
    granted: Money | Mapping[str, Money] | Mapping[Window, Money] | None,
    resolution: Resolution,
    *,
    now: dt.datetime | None,
) -> tuple[_Case, list[str], dt.datetime | None]:
    """The figures ``resolution`` is judged by (at a well-formed counter-offer's offer, else at the amount asked),
    the violations found on the way (a malformed offer, a remedy nobody asked), and ``now`` as checked."""
    inputs = check_inputs(compiled_policy(policy), complaint, by, granted, now)
    checked = inputs.complaint
    problems = _counter_offer_violations(checked, resolution)
    if not problems and _counter_offer(resolution) is not None:  # a well-formed offer: it is what is granted
        checked = checked._replace(requested=resolution.remedy, amount=resolution.remedy.amount)
    elif (resolution.remedy.kind, resolution.remedy.amount) != (checked.kind, checked.amount):
        problems.append(  # what is granted is the remedy: one nobody asked was never decided
            f"the remedy is {resolution.remedy.amount} of {resolution.remedy.kind}, not the {checked.amount} of "
            f"{checked.kind} the complaint asks"
        )
    before = inputs.granted[policy.window].amount
    caps = [(policy.hard_cap.amount, before)] if policy.hard_cap is not None else []
    caps.extend((cap.limit.amount, inputs.granted[cap.window].amount) for cap in policy.caps)
    case = _Case(
        policy=policy,
        complaint=checked,
        by=inputs.by,
        actor=policy.level(inputs.by),
        ranks={level.name: rank for rank, level in enumerate(policy.levels)},
        before=before,
        total=DECIMAL_CONTEXT.add(before, checked.amount.amount),
        caps=tuple(caps),
    )
    return case, problems, inputs.now


def suggestion_violations(
    policy: Policy,
    complaint: Complaint,
    by: str,
    granted: Money | Mapping[str, Money] | Mapping[Window, Money] | None,
    resolution: Resolution,
) -> list[str]:
    """The promises about ``resolution``'s extra-mile suggestions alone, as :func:`resolution_violations` checks
    them with the rest (a counter-offer's at the offer)."""
    resolution = checked_resolution(resolution, "resolution", rules=False)
    return _suggestion_violations(_judged(policy, complaint, by, granted, resolution, now=None)[0], resolution)


def _suggestion_violations(case: _Case, resolution: Resolution) -> list[str]:
    """Suggestions come only with approvals, from the policy's extra-mile alternatives, of distinct kinds, relevant
    to the complaint, of kinds the acting level may grant, and each worth at most what it may still grant this
    customer after the approval."""
    suggestions = resolution.suggestions
    if not suggestions:
        return []
    if resolution.outcome is not Outcome.APPROVED:
        outcome = resolution.outcome.value
        return [f"{'an' if outcome[0] in 'aeiou' else 'a'} {outcome} resolution carries extra-mile suggestions"]
    policy, actor, by = case.policy, case.actor, case.by
    problems = []
    budget = case.budget
    left = None if budget is None else max(DECIMAL_CONTEXT.subtract(budget, case.complaint.amount.amount), Decimal(0))
    if len({suggestion.kind for suggestion in suggestions}) != len(suggestions):
        problems.append("extra-mile suggestions are not of distinct kinds")
    catalog = {alternative.id: alternative for alternative in policy.catalog}
    for suggestion in suggestions:
        if catalog.get(suggestion.id) != suggestion or not suggestion.extra_mile:
            problems.append(f"suggestion {suggestion.id!r} is not one of the policy's extra-mile alternatives")
        if not suggestion.relevant_to(case.complaint.category, case.kind):
            problems.append(f"suggestion {suggestion.id!r} does not apply to this complaint")
        if left is not None and suggestion.value.amount > left:
            problems.append(f"suggestion {suggestion.id!r} is worth more than {by} may still grant after the approval")
        if (
            actor.may_grant is not None
            and suggestion.kind in policy.vocabulary
            and suggestion.kind not in actor.may_grant
        ):
            problems.append(f"suggestion {suggestion.id!r} is a {suggestion.kind!r}, which {by} may not grant")
    return problems


def _field_violations(case: _Case, resolution: Resolution) -> list[str]:
    """The fields that say who asked, what was granted before, what the acting level may still grant
    (``actor_can_grant``) and who could grant what was asked (``grantable_by``), and those only one outcome has:
    ``authorized_by`` (``APPROVED`` only), ``escalate_to`` and ``callback_by`` (``ESCALATED`` only)."""
    problems = []
    outcome = resolution.outcome
    if resolution.acting_level != case.by:
        problems.append(f"acting_level is {resolution.acting_level!r}, not {case.by!r}, the level that asked")
    if resolution.granted_before.amount != case.before:
        problems.append(
            f"granted_before is {resolution.granted_before}, not {case.before}, what was granted in the policy's window"
        )
    budget, can = case.budget, resolution.actor_can_grant
    if (None if can is None else can.amount) != budget:
        problems.append(
            f"actor_can_grant is {can}, not {'no limit' if budget is None else budget}, what {case.by} may still "
            "grant this guest"
        )
    if resolution.grantable_by != case.lowest_granting:
        problems.append(
            f"grantable_by is {resolution.grantable_by!r}, not {case.lowest_granting!r}, the lowest level that may "
            "grant what was asked"
        )
    article = "an" if outcome.value[0] in "aeiou" else "a"
    if outcome is not Outcome.APPROVED and resolution.authorized_by is not None:
        problems.append(f"{article} {outcome.value} resolution names authorized_by ({resolution.authorized_by!r})")
    if outcome is not Outcome.ESCALATED:
        for field in ("escalate_to", "callback_by"):
            if getattr(resolution, field) is not None:
                problems.append(f"{article} {outcome.value} resolution names {field}, which only an escalation has")
    return problems


def _approval_violations(case: _Case, resolution: Resolution) -> list[str]:
    problems = []
    if resolution.authorized_by != case.by:
        problems.append(f"approved by {resolution.authorized_by!r}, not by the acting level {case.by!r}")
    if not case.grantable(case.actor):
        problems.append(f"approved {case.total} for '{case.kind}' beyond {case.by}'s authority")
    if resolution.delivered_by != case.by and not _handed_over(case.policy, resolution, case.by):
        problems.append(
            "an approval is delivered by the employee who grants it, or by the case's employee when its delivery "
            "entry says so"
        )
    return problems


COUNTER_OFFER = "counter_offer"
"""The rule of the trace entry that ends a counter-offer's resolution (figures ``offer`` and ``asked``)."""
COUNTER_OFFER_ACCEPTED = "counter_offer_accepted"
"""The rule of the trace entry that ends the resolution of a counter-offer accepted (figures as a counter-offer's)."""
_OFFER_RULES = frozenset({COUNTER_OFFER, COUNTER_OFFER_ACCEPTED})


def _counter_offer(resolution: Resolution) -> TraceEntry | None:
    """The ``counter_offer`` (or ``counter_offer_accepted``) entry that ends the trace of a counter-offer's
    resolution (or of the offer accepted); ``None`` for any other."""
    trace = resolution.trace
    return trace[-1] if trace and trace[-1].rule in _OFFER_RULES else None


def _counter_offer_violations(complaint: CheckedComplaint, resolution: Resolution) -> list[str]:
    """A counter-offer approves ``offer``, less than the complaint ``asked``, of the kind asked: the entry that
    ends its trace says so, with the figures of the remedy and the complaint (the offer accepted likewise, by
    its ``counter_offer_accepted`` entry). Anything else is forged."""
    problems = []
    for rule in sorted({entry.rule for entry in resolution.trace[:-1]} & _OFFER_RULES):
        problems.append(f"a {rule} trace entry is not the last of the trace")
    entry = _counter_offer(resolution)
    if entry is None:
        return problems
    rule = entry.rule
    offer, asked = entry.figures.get("offer"), entry.figures.get("asked")
    if resolution.outcome is not Outcome.APPROVED or not entry.passed:
        problems.append(f"a {rule} ends the trace of a resolution that does not approve the offer")
    if offer is None or asked is None:
        return [*problems, f"the {rule} entry does not have the figures offer and asked"]
    if asked != complaint.amount:
        problems.append(
            f"the counter-offer's asked is {asked}, not the amount the complaint asked ({complaint.amount})"
        )
    if offer != resolution.remedy.amount:
        problems.append(f"the counter-offer's offer is {offer}, not the remedy's amount ({resolution.remedy.amount})")
    if resolution.remedy.kind != complaint.kind:
        problems.append(f"the counter-offer is a {resolution.remedy.kind!r}, not the {complaint.kind!r} asked")
    if offer.currency != asked.currency or not offer.amount < asked.amount:
        problems.append(f"the counter-offer's offer ({offer}) is not less than what was asked ({asked})")
    return problems


def _handed_over(policy: Policy, resolution: Resolution, approver: str) -> bool:
    """Whether the resolution's ``delivery`` entry says ``approver`` approved it and the level it names as
    ``delivered_by`` delivers it (an escalated case's employee tells the customer), in the policy's words:
    its own English ``explain_good_news_handed``, else the built-in one, with the levels' display names."""
    names = {level.name: level.display_name for level in policy.levels}
    deliverer = resolution.delivered_by
    if deliverer not in names or deliverer == approver:
        return False
    english = policy.wording.get("en")
    key = "explain_good_news_handed"
    template = english.messages.get(key) if english is not None else None
    slots = {"approver": names[approver], "level": names[deliverer]}
    (line,) = parse_template(template or built_in()["en"].messages[key]).lines
    expected = "".join(slots[part.name] if isinstance(part, Slot) else part for part in line)
    return any(entry.rule == "delivery" and entry.passed and entry.message == expected for entry in resolution.trace)


def _escalation_violations(case: _Case, resolution: Resolution) -> list[str]:
    problems = []
    name = resolution.escalate_to or ""
    if resolution.delivered_by != case.by:
        problems.append("an escalation is explained by the employee, who promises the callback")
    if name not in case.ranks:
        return [*problems, f"escalated to {name!r}, which is not a level of the policy"]
    target = case.policy.levels[case.ranks[name]]
    if case.ranks[name] <= case.ranks[case.by]:
        problems.append(f"escalated to {name}, which is not above {case.by}")
    if not case.grantable(target):
        problems.append(f"escalated to {name}, which cannot grant {case.total} for '{case.kind}'")
    skipped = [level.name for level in case.policy.levels[case.ranks[case.by] + 1 : case.ranks[name]]]
    lower = [level for level in skipped if case.grantable(case.policy.level(level))]
    if lower:
        problems.append(f"escalated to {name} although {lower[0]} is lower and can grant it")
    if case.policy.business_hours is None:
        problems.extend(_callback_violations(resolution, target.callback_within))
    else:
        problems.extend(_business_callback_violations(case.policy, resolution, target.callback_within))
    return problems


def _number_violations(policy: Policy, complaint: CheckedComplaint, resolution: Resolution) -> list[str]:
    """The paper trail files ``complaint`` under its own number, when the host set one; else under the business's
    date (the day it was received on the wall clock of the policy's time zone) and the customer's id, followed by
    the case's sequence number when a case decided it (``/2``: the customer's second case of that day)."""
    found = resolution.complaint_number
    if complaint.number is not None:  # the complaint set its own
        if found != complaint.number:
            return [f"complaint_number is {found}, not the complaint's own number {complaint.number}"]
        return []
    day = complaint.received_at.astimezone(ZoneInfo(policy.timezone)).date()
    expected = ComplaintNumber(day, complaint.customer_id)
    if (found.date, found.customer_id) != (expected.date, expected.customer_id):
        return [
            f"complaint_number is {found}, not {expected}: the date the complaint was received in the policy's "
            "time zone and the customer's id"
        ]
    return []


def _absolute(moment: dt.datetime) -> dt.datetime:
    """The instant ``moment`` names, in UTC: times are compared and durations added there, never on a wall
    clock (where 30 minutes after the second 1:10 of the night a clock goes back is 1:40 of the first pass,
    half an hour *before* it)."""
    return moment.astimezone(dt.UTC)


def _callback_violations(resolution: Resolution, within: dt.timedelta | None) -> list[str]:
    """The callback is promised ``within`` after the decision in absolute time, so strictly after it."""
    problems = []
    callback_by, decided_at = resolution.callback_by, resolution.decided_at
    if callback_by is None or within is None:
        return ["an escalation promises a callback from a level with a callback time"]
    if not _absolute(callback_by) > _absolute(decided_at):
        problems.append(f"callback_by ({callback_by.isoformat()}) is not after the decision ({decided_at.isoformat()})")
    elif _absolute(callback_by) - _absolute(decided_at) != within:
        problems.append(
            f"callback_by ({callback_by.isoformat()}) is not {within} after the decision "
            f"({decided_at.isoformat()}) in absolute time"
        )
    return problems


def _business_callback_violations(policy: Policy, resolution: Resolution, within: dt.timedelta | None) -> list[str]:
    """With business hours: the callback falls while the business is open, ``within`` of open time after the
    decision, and no later (open time runs right up to it)."""
    callback_by, decided_at = resolution.callback_by, resolution.decided_at
    if callback_by is None or within is None:
        return ["an escalation promises a callback from a level with a callback time"]
    start, end = _absolute(decided_at), _absolute(callback_by)
    if not end > start:
        return [f"callback_by ({callback_by.isoformat()}) is not after the decision ({decided_at.isoformat()})"]
    intervals = open_intervals(policy, start, end)
    problems = []
    if not any(opens < end <= closes for opens, closes in intervals):
        problems.append(
            f"callback_by ({callback_by.isoformat()}) is not in business hours, or not right after open time"
        )
    counted = open_time(intervals, start, end)
    if counted != within:
        problems.append(
            f"callback_by ({callback_by.isoformat()}) is {counted} of business hours after the decision "
            f"({decided_at.isoformat()}), not {within}"
        )
    return problems


def open_intervals(policy: Policy, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """The opening periods of the policy's business hours, as instants, of every day from ``start`` to ``end``.

    Restated from the policy's fields: a period runs from the first instant the wall clock shows its start
    to the last instant it shows its end; a wall time the clock skips is the instant of the jump. A closed
    date (``"2026-12-25"``, or ``"--12-25"`` for every year) has no period at all.
    """
    hours = policy.business_hours
    if hours is None:
        return [(start, end)]
    zone = ZoneInfo(policy.timezone)
    closed = set(hours.closed)
    day = start.astimezone(zone).date() - dt.timedelta(days=1)
    last = end.astimezone(zone).date() + dt.timedelta(days=1)
    intervals = []
    while day <= last:
        if day.isoformat() in closed or day.strftime("--%m-%d") in closed:
            day += dt.timedelta(days=1)
            continue
        for opens, closes in hours.periods(day.weekday()):
            intervals.append((wall_instant(day, opens, zone, first=True), wall_instant(day, closes, zone, first=False)))
        day += dt.timedelta(days=1)
    return intervals


def open_time(intervals: list[tuple[dt.datetime, dt.datetime]], start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """How long the business is open between ``start`` and ``end``: the union of ``intervals`` within them."""
    total = dt.timedelta(0)
    reached = start
    for opens, closes in sorted(intervals):
        low, high = max(opens, reached), min(closes, end)
        if high > low:
            total += high - low
            reached = high
    return total


def wall_instant(day: dt.date, minute: int, zone: ZoneInfo, *, first: bool) -> dt.datetime:
    """The first (or last) instant the wall clock of ``zone`` shows ``minute`` after midnight on ``day``."""
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)
    offset = zone.utcoffset(naive)
    if offset is not None and offset == zone.utcoffset(naive.replace(fold=1)):
        return (naive - offset).replace(tzinfo=dt.UTC)  # neither skipped nor repeated: the one instant showing it
    readings = [naive.replace(tzinfo=zone, fold=fold).astimezone(dt.UTC) for fold in (0, 1)]
    shown = [moment for moment in readings if moment.astimezone(zone).replace(tzinfo=None) == naive]
    if shown:
        return min(shown) if first else max(shown)
    moment = min(readings)  # skipped: step to the jump, by minutes, then by seconds
    while moment.astimezone(zone).replace(tzinfo=None) < naive:
        moment += dt.timedelta(minutes=1)
    moment -= dt.timedelta(minutes=1)
    while moment.astimezone(zone).replace(tzinfo=None) < naive:
        moment += dt.timedelta(seconds=1)
    return moment


def _denial_violations(case: _Case, resolution: Resolution) -> list[str]:
    problems = []
    manager = case.ranks[case.policy.denials_delivered_by]
    expected = case.by if case.ranks[case.by] >= manager else case.policy.denials_delivered_by
    if resolution.delivered_by != expected:
        problems.append(f"a denial is delivered by {expected}, not {resolution.delivered_by}")
    higher = case.policy.levels[case.ranks[case.by] + 1 :]
    if not case.barred and any(case.grantable(level) for level in higher):
        problems.append("denied although a higher level could grant it")
    return problems


def _relevance(policy: Policy, complaint: CheckedComplaint, alternative: Alternative) -> int | None:
    """How an alternative is written for a complaint: 0 for its (listed) category, 1 for the remedy kind asked,
    2 for every complaint (``"*"``); ``None`` when it does not apply to it."""
    category = complaint.category
    if category in policy.categories and category in alternative.applies_to:
        return 0
    if complaint.kind in alternative.applies_to:
        return 1
    return 2 if ANY in alternative.applies_to else None


def _barred(policy: Policy, actor: AuthorityLevel, kind: str) -> bool:
    """Whether ``kind`` is a remedy kind of the policy that ``actor`` may not grant (so may not offer either)."""
    return actor.may_grant is not None and kind in policy.vocabulary and kind not in actor.may_grant


def _plan_b(
    policy: Policy, complaint: CheckedComplaint, budget: Decimal | None, actor: AuthorityLevel
) -> list[Alternative]:
    """The Plan B the ranking defines, the slow way: of the relevant alternatives within the budget, of kinds the
    actor may grant, written for the category first, then for the remedy kind, then generic; free before paid;
    then closest in value to what was asked, then cheaper, then first listed; the first of each kind,
    ``min_alternatives`` of them."""
    asked = complaint.amount.amount
    best: dict[str, tuple[int, bool, Decimal, Decimal, int]] = {}
    chosen: dict[str, Alternative] = {}
    for position, alternative in enumerate(policy.catalog):
        value = alternative.value.amount
        relevance = _relevance(policy, complaint, alternative)
        if relevance is None or (budget is not None and value > budget) or _barred(policy, actor, alternative.kind):
            continue
        key = (relevance, value != 0, DECIMAL_CONTEXT.subtract(value, asked).copy_abs(), value, position)
        if alternative.kind not in best or key < best[alternative.kind]:
            best[alternative.kind] = key
            chosen[alternative.kind] = alternative
    ranked = sorted(best, key=best.__getitem__)
    return [chosen[kind] for kind in ranked[: policy.min_alternatives]]


def _alternative_violations(case: _Case, resolution: Resolution) -> list[str]:
    policy, complaint, actor = case.policy, case.complaint, case.actor
    problems = []
    alternatives = resolution.alternatives
    if len(alternatives) < policy.min_alternatives:
        outcome = resolution.outcome.value
        count = f"{len(alternatives)} alternative" + ("" if len(alternatives) == 1 else "s")
        problems.append(
            f"{'an' if outcome[0] in 'aeiou' else 'a'} {outcome} resolution offers {count}; "
            f"the policy promises {policy.min_alternatives}"
        )
    if len({alternative.kind for alternative in alternatives}) != len(alternatives):
        problems.append("alternatives are not of distinct kinds")
    budget = case.budget
    catalog = {alternative.id: alternative for alternative in policy.catalog}
    for alternative in alternatives:
        if catalog.get(alternative.id) != alternative:
            problems.append(f"alternative {alternative.id!r} is not the policy's catalog entry")
        if budget is not None and alternative.value.amount > budget:
            problems.append(f"alternative {alternative.id!r} is worth more than {actor.name} may still grant")
        if _relevance(policy, complaint, alternative) is None:
            problems.append(f"alternative {alternative.id!r} does not apply to this complaint")
        if _barred(policy, actor, alternative.kind):
            problems.append(
                f"alternative {alternative.id!r} is a {alternative.kind!r}, which {actor.name} may not grant"
            )
    if problems:
        return problems
    offered = [alternative.id for alternative in alternatives]
    expected = [alternative.id for alternative in _plan_b(policy, complaint, budget, actor)]
    if offered != expected:
        if sorted(offered) == sorted(expected):
            problems.append(f"alternatives are not in the order {RANKING}")
        else:
            problems.append(f"offers {', '.join(offered)} where the Plan B ranking picks {', '.join(expected)}")
    return problems
