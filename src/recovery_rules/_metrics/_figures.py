"""The figures of a report, as typed, frozen models: ``model_dump(mode="json")`` is ``report --json``'s document.

Amounts are :class:`~recovery_rules.Money` (written ``"1565.00 USD"`` in JSON), times are aware
datetimes (ISO 8601 with their offset), durations whole seconds, rates and shares decimals rounded to four
places (JSON numbers). Every model reads its own JSON back: ``Report.model_validate(report.model_dump(mode="json"))``
is the same report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Annotated, Any, Final, TypeVar

from pydantic import AwareDatetime, BeforeValidator, Field, PlainSerializer

from recovery_rules._journal import ChainHead
from recovery_rules._values._base import ReadOnly, RecoveryModel
from recovery_rules._values._money import Money
from recovery_rules._values._shown import shown
from recovery_rules.exceptions import InvalidInputError

__all__ = [
    "CAP_BANDS",
    "NOT_RECORDED",
    "RATIOS",
    "SATISFACTION_GROUPS",
    "AlternativeFigures",
    "CallbackFigures",
    "CapShare",
    "CaseCounts",
    "EmployeeFigures",
    "Escalations",
    "FinalOffers",
    "FirstDecisions",
    "GroupFigures",
    "JournalRead",
    "OverdueCallback",
    "Period",
    "PersonalCallFigures",
    "PlanB",
    "Rate",
    "Rates",
    "Report",
    "RevisionFigures",
    "Satisfaction",
    "SatisfactionFigures",
    "Spread",
    "nearest_rank",
    "percent",
    "rounded",
]

RATIOS: Final = Context(
    prec=12,
    rounding=ROUND_HALF_EVEN,
    Emin=-999_999,
    Emax=999_999,
    capitals=1,
    clamp=0,
    flags=[],
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
"""Rates and shares are ratios, not money: rounded to 12 digits (money's own context refuses any rounding).

Every figure of it is written out, none copied from :data:`decimal.DefaultContext`, which a host app
may have changed; every computation on a ratio names it, so the thread's own context changes nothing."""
NOT_RECORDED: Final = "(not recorded)"
"""The group of steps that recorded no employee, or no policy revision (journals written before event format 3)."""
_PLACES: Final = Decimal("0.0001")
_TENTH: Final = Decimal("0.1")

CAP_BANDS: Final = (
    ("0%", Decimal(0)),
    ("up to 10%", Decimal("0.10")),
    ("10-25%", Decimal("0.25")),
    ("25-50%", Decimal("0.50")),
    ("50-75%", Decimal("0.75")),
    ("75-100%", Decimal(1)),
)
"""Bands of the share of the cap a customer used, each with its upper bound (inclusive).

A share above the cap (a cap lowered since) counts in the last band."""


def rounded(ratio: Decimal) -> Decimal:
    """A ratio rounded to four places (half to even), as reports give rates and shares."""
    return ratio.quantize(_PLACES, context=RATIOS)


def percent(ratio: Decimal) -> str:
    """A ratio as a percentage with one decimal, ``33.3%``, the same whatever the calling thread's decimal context.

    ``ratio`` is a finite ``Decimal`` (or an ``int``); anything else raises :class:`~recovery_rules.InvalidInputError`.
    """
    if isinstance(ratio, bool) or not isinstance(ratio, Decimal | int):
        raise InvalidInputError.at(
            "ratio", "ratio", f"must be a Decimal, such as Decimal('0.3333') for 33.3%, not {type(ratio).__name__}"
        )
    try:
        if not Decimal(ratio).is_finite():
            raise InvalidInputError.at(
                "ratio", "ratio", f"must be a finite Decimal, such as Decimal('0.3333'), not {shown(ratio)}"
            )
        return f"{RATIOS.multiply(ratio, 100).quantize(_TENTH, context=RATIOS):f}%"
    except ArithmeticError:  # more digits than a percentage is written with
        raise InvalidInputError.at(
            "ratio", "ratio", "is too large to write as a percentage; pass a share such as Decimal('0.3333')"
        ) from None


_T = TypeVar("_T")


def nearest_rank(values: list[_T] | tuple[_T, ...], percent: int) -> _T:
    """The nearest-rank ``percent`` percentile of sorted ``values``: at least that share of them is at or below it.

    ``values`` is a list or tuple of at least one value, ``percent`` an ``int`` from 0 to 100; else
    :class:`~recovery_rules.InvalidInputError`.
    """
    if not isinstance(values, list | tuple) or not values:
        given = "an empty " + type(values).__name__ if isinstance(values, list | tuple) else shown(values)
        raise InvalidInputError.at(
            "percentile", "values", f"must be a sorted list or tuple of at least one value, not {given}"
        )
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise InvalidInputError.at(
            "percentile", "percent", f"must be an int from 0 to 100, such as 50 for the median, not {shown(percent)}"
        )
    rank = -(-percent * len(values) // 100)  # ceil(percent / 100 * n), in integers
    return values[max(rank, 1) - 1]


def _ratio_in(value: Any) -> Any:
    """A ratio from JSON: a number is read through its text, so ``0.3167`` is exactly ``Decimal("0.3167")``."""
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def _ratio_out(value: Decimal) -> float:
    return float(value)


Ratio = Annotated[
    Decimal,
    BeforeValidator(_ratio_in),
    Field(ge=0, max_digits=20, decimal_places=4),
    PlainSerializer(_ratio_out, return_type=float, when_used="json"),
]
"""A rate or a share: a decimal of at most four places, a number in JSON."""

Amount = Annotated[Money, PlainSerializer(str, return_type=str, when_used="json")]
"""An amount: :class:`Money`, written ``"1565.00 USD"`` in JSON (the form ``Money`` reads back)."""

Moment = Annotated[AwareDatetime, PlainSerializer(dt.datetime.isoformat, return_type=str, when_used="json")]
"""An aware time, written with ``isoformat()`` (``2026-11-23T15:20:00-05:00``, ``+00:00`` for UTC)."""


def _head_in(value: Any) -> Any:
    return ChainHead.parse(value) if isinstance(value, str) else value


Head = Annotated[ChainHead, BeforeValidator(_head_in), PlainSerializer(str, return_type=str, when_used="json")]
"""A chain head, written ``count:hash``."""

Count = Annotated[int, Field(ge=0)]
Seconds = Annotated[int, Field(ge=0)]


class JournalRead(RecoveryModel):
    """What was read: the journal's events and chain head, and whether the whole chain was walked."""

    events: Count
    """The events the journal holds (its chain head's count)."""
    head: Head | None
    """The chain head (of the events read, when the whole chain was walked)."""
    verified: bool
    """Whether the whole chain was walked and checked; a period's report reads only its cases (``False``)."""
    expected_head: Head | None
    """The head given as ``expected_head``: the journal still holds its events unchanged."""
    later_than_now: Count
    """Events recorded later than ``now``, left out."""


class Period(RecoveryModel):
    """The cases counted: opened at or after ``since`` and before ``until``, as they stood at ``now``."""

    since: Moment | None
    until: Moment | None
    now: Moment


class CaseCounts(RecoveryModel):
    """The cases counted, open and closed."""

    total: Count
    open: Count
    closed: Count


class FirstDecisions(RecoveryModel):
    """How the cases' first decisions went."""

    decided: Count
    undecided: Count
    approved: Count
    escalated: Count
    denied: Count


class Escalations(RecoveryModel):
    """The escalated cases: approved or denied by the higher level, or still waiting. A case whose customer took
    one of the decision's alternatives instead of the escalation counts in ``total`` only."""

    total: Count
    approved: Count
    denied: Count
    waiting: Count


class Rate(RecoveryModel):
    """``count`` of ``of``: 17 escalations of 35 decided cases; ``rate`` is ``None`` when ``of`` is 0."""

    count: Count
    of: Count
    rate: Ratio | None
    """``count / of``, rounded to four places."""

    @classmethod
    def of_counts(cls, count: int, of: int) -> Rate:
        """The rate of ``count`` in ``of``."""
        return cls(count=count, of=of, rate=rounded(RATIOS.divide(Decimal(count), Decimal(of))) if of else None)

    @property
    def value(self) -> Decimal | None:
        """The exact ratio (to 12 digits), ``None`` when there is nothing to divide by."""
        return RATIOS.divide(Decimal(self.count), Decimal(self.of)) if self.of else None

    def percent(self) -> str:
        """The rate as a percentage with one decimal (``48.6%``), ``-`` when there is nothing to divide by."""
        value = self.value
        return "-" if value is None else percent(value)


class Rates(RecoveryModel):
    """The rates a pilot is judged by."""

    escalation: Rate
    """First decisions escalated, of the cases decided."""
    denial: Rate
    """Cases denied, by the first decision or by the higher level after an escalation, of the cases decided."""
    alternative_accepted: Rate
    """Customers who accepted one of the two alternatives, of those who answered them."""
    final_offer_accepted: Rate
    """Customers who accepted the final back-up offer, of those who answered it."""
    callback_kept: Rate
    """Callbacks kept in time, of those whose time has come (an overdue one counts as not kept)."""


class AlternativeFigures(RecoveryModel):
    """The two alternatives offered with a denial: offered, one accepted, both declined (not one of a decision's
    alternatives taken instead of an escalation, which is offered with no denial)."""

    offered: Count
    accepted: Count
    declined: Count


class FinalOffers(RecoveryModel):
    """The final back-up offers: made, accepted, declined."""

    made: Count
    accepted: Count
    declined: Count


class PlanB(RecoveryModel):
    """How often the Plan B was offered and taken."""

    alternatives: AlternativeFigures
    final_offers: FinalOffers


class CallbackFigures(RecoveryModel):
    """The callbacks promised with escalations."""

    kept: Count
    """The customer heard back by the promised time."""
    late: Count
    """The customer heard back after the promised time."""
    overdue: Count
    """Open cases whose promised time passed before ``now``."""
    pending: Count
    """Open cases whose promised time has not come yet."""


class OverdueCallback(RecoveryModel):
    """An open case whose customer is still owed a callback past its time."""

    number: str
    """The complaint number."""
    callback_by: Moment
    overdue_seconds: Seconds
    state: str
    """The case's state."""
    escalated_to: str | None


class Spread(RecoveryModel):
    """How long cases took from opening to resolution: nearest-rank median and 90th percentile, in whole seconds."""

    cases: Count
    median_seconds: Seconds | None
    p90_seconds: Seconds | None

    @property
    def median(self) -> dt.timedelta | None:
        """The median as a time span."""
        return None if self.median_seconds is None else dt.timedelta(seconds=self.median_seconds)

    @property
    def p90(self) -> dt.timedelta | None:
        """The 90th percentile as a time span."""
        return None if self.p90_seconds is None else dt.timedelta(seconds=self.p90_seconds)


class GroupFigures(RecoveryModel):
    """The figures of one group of a grouping (a level, a complaint category...): the same model for every grouping.

    Which events count in which group is the grouping's key: the level that took the step, the
    complaint's category. ``cases`` are the cases with a step in the group; ``decisions`` and
    their outcomes the decisions counted in it (a level's: every decision it made, first
    decisions and the higher level's answers; a category's: its cases' first decisions);
    ``grants`` and ``granted`` what the group's steps granted.
    """

    cases: Count
    open: Count
    decisions: Count
    approved: Count
    escalated: Count
    denied: Count
    grants: Count
    granted: Amount | None
    """``None`` only when no currency is known (no cases and no policy)."""


class EmployeeFigures(GroupFigures):
    """One employee's figures (``per_employee``): every step counts for the employee who took it.

    ``cases`` are the cases in which the employee took any step; ``decisions``, ``grants`` and
    ``granted`` those of their own steps (a first decision, or a manager's answer to an escalation).
    The rest, too, counts for whoever took the step: the first decisions they made and how many of
    those escalated, the alternatives they offered (explaining a denial) and the acceptances they
    recorded, the escalation callbacks their step answered (delivering the remedy, explaining the
    denial) in time or late, and the manager's personal calls they made after a written report.
    """

    first_decisions: Count
    """The cases' first decisions the employee made (``decide``)."""
    escalation: Rate
    """Of their first decisions, those that escalated."""
    alternatives_offered: Count
    """Denials they explained, offering the alternatives."""
    alternatives_accepted: Count
    """Alternatives accepted at their step."""
    callbacks_kept: Count
    """Escalation callbacks their step answered by the promised time."""
    callbacks_late: Count
    """Escalation callbacks their step answered after the promised time."""
    calls_made: Count
    """The manager's personal calls after a written report they made (promised by a time or not)."""
    calls_kept: Count
    """Of those promised by a time, made at or before it."""
    calls_late: Count
    """Of those promised by a time, made after it."""


class RevisionFigures(GroupFigures):
    """The figures of one policy revision (``per_revision``): each step counts under the revision it followed.

    As for a category, the decisions counted are the cases' first decisions. ``first_at`` and
    ``last_at`` are the earliest and latest steps under the revision: when it was in force.
    """

    first_at: Moment | None
    last_at: Moment | None
    escalation: Rate
    """Of the first decisions under the revision, those that escalated."""


class PersonalCallFigures(RecoveryModel):
    """The manager's personal calls promised by written reports (``personal_call_within``), apart from callbacks.

    A call is kept when ``manager_called`` is recorded at or before the time the report promised,
    late when after it; overdue when not made and the time has passed ``now``, pending when it has not.
    """

    reports: Count
    """Written reports: each owes the customer a personal call."""
    promised: Count
    """Reports that promised the call by a time."""
    made: Count
    """Calls made (``manager_called``), promised by a time or not."""
    kept: Count
    late: Count
    overdue: Count
    pending: Count
    kept_rate: Rate
    """Calls kept, of those whose time has come (an overdue one counts as not kept)."""
    overdue_calls: tuple[OverdueCallback, ...]
    """Oldest promise first; ``escalated_to`` names the level the report went to, who owes the call."""


class CapShare(RecoveryModel):
    """For each customer, the most of the per-customer cap their grants reached within the policy's window."""

    caps: Annotated[Mapping[str, Amount], ReadOnly]
    """The cap of each policy (by name)."""
    guests: Count
    """Customers of a policy with a cap."""
    without_cap: Count
    """Customers of a policy without a (known) cap."""
    median: Ratio | None
    p90: Ratio | None
    max: Ratio | None
    bands: Annotated[Mapping[str, Count], ReadOnly]
    """Customers per band of :data:`CAP_BANDS`."""
    customer_noun: str = "customer"
    """What the policy calls its customers ("guest"); ``customer`` when the policies differ or do not say."""


class SatisfactionFigures(RecoveryModel):
    """The customers' satisfaction answers in one group of cases (see :class:`Satisfaction`)."""

    cases: Count
    """The group's cases, answered or not."""
    answered: Count
    """Cases whose customer said whether they were satisfied."""
    satisfied: Count
    """Of those, the customers who said they were."""
    satisfied_share: Ratio | None
    """``satisfied / answered``, rounded to four places; ``None`` when nobody answered."""
    scored: Count
    """Cases whose customer gave a satisfaction score (1 to 5)."""
    mean_score: Ratio | None
    """The mean of those scores, rounded to four places; ``None`` when nobody gave one."""

    @classmethod
    def of_counts(
        cls, *, cases: int, answered: int, satisfied: int, scored: int, score_total: int
    ) -> SatisfactionFigures:
        """The figures of these counts (``score_total``: the sum of the scores given)."""
        return cls(
            cases=cases,
            answered=answered,
            satisfied=satisfied,
            satisfied_share=rounded(RATIOS.divide(Decimal(satisfied), Decimal(answered))) if answered else None,
            scored=scored,
            mean_score=rounded(RATIOS.divide(Decimal(score_total), Decimal(scored))) if scored else None,
        )


SATISFACTION_GROUPS: Final = ("per_outcome", "per_level", "per_category", "per_employee")
"""The groupings of :class:`Satisfaction`, in the order reports show them."""


class Satisfaction(RecoveryModel):
    """What customers answered to "Does that resolve this to your satisfaction?", in all and per group.

    The answers are those :class:`~recovery_rules.Case` records (``satisfied`` and
    ``satisfaction`` at ``deliver``, ``accept_offer``, ``accept_alternative``,
    ``accept_final_offer`` or ``thank``). Each case counts in one group of each grouping: its outcome
    (``unresolved`` while it has none), its level (of the employee who opened it),
    its complaint category and its employee (the id the opening named,
    ``(unnamed)`` when none). Groups are sorted by name.
    """

    overall: SatisfactionFigures
    """Every case counted."""
    per_outcome: Annotated[Mapping[str, SatisfactionFigures], ReadOnly]
    """Per :class:`~recovery_rules.CaseOutcome`, and ``unresolved``."""
    per_level: Annotated[Mapping[str, SatisfactionFigures], ReadOnly]
    """Per level of the employee who opened the case and delivers the good news."""
    per_category: Annotated[Mapping[str, SatisfactionFigures], ReadOnly]
    """Per complaint category."""
    per_employee: Annotated[Mapping[str, SatisfactionFigures], ReadOnly]
    """Per employee who opened the case (``(unnamed)``: the opening named none)."""


class Report(RecoveryModel):
    """The pilot metrics of the cases opened within a period, as they stood at a moment.

    ``model_dump(mode="json")`` is the document ``recovery-rules report --json`` prints.
    """

    source: str
    """The journal, as the report names it."""
    journal: JournalRead
    period: Period
    policies: Annotated[Mapping[str, Count], ReadOnly]
    """Cases per policy name."""
    cases: CaseCounts
    first_decisions: FirstDecisions
    escalations: Escalations
    rates: Rates
    plan_b: PlanB
    callbacks: CallbackFigures
    overdue_callbacks: tuple[OverdueCallback, ...]
    """Oldest promise first."""
    time_to_resolution: Annotated[Mapping[str, Spread], ReadOnly]
    """``all``, and each :class:`~recovery_rules.CaseOutcome`."""
    outcomes: Annotated[Mapping[str, Count], ReadOnly]
    """Cases per :class:`~recovery_rules.CaseOutcome`, and ``unresolved``."""
    currency: str | None
    """The report's currency: the policy's, or that of the cases (``None``: no cases and no policy)."""
    granted: Amount | None
    """Everything granted (``None`` only when no currency is known)."""
    per_level: Annotated[Mapping[str, GroupFigures], ReadOnly]
    """Per authority level, by who took the step; in the policy's order when there is one."""
    per_category: Annotated[Mapping[str, GroupFigures], ReadOnly]
    """Per complaint category, the first decisions; most cases first."""
    cap_share: CapShare
    satisfaction: Satisfaction
    """The customers' satisfaction answers, in all and per outcome, level, category and employee."""
    per_employee: Annotated[Mapping[str, EmployeeFigures], ReadOnly]
    """Per employee id, by who took each step; most cases first, steps that named no employee last, under
    :data:`NOT_RECORDED`."""
    per_revision: Annotated[Mapping[str, RevisionFigures], ReadOnly]
    """Per policy revision (its full hash), the first decisions; earliest first, steps of journals written before
    revisions were recorded (event format 3) last, under :data:`NOT_RECORDED`."""
    personal_calls: PersonalCallFigures
    """The manager's personal calls after written reports, apart from the escalation ``callbacks``."""
