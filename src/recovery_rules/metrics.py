"""The pilot metrics of a journal's cases, as typed figures: what ``recovery-rules report`` shows, for a host app.

"What metrics will you track to determine the success of this effort?" The
journal holds every step of every case; :func:`report` reads it and returns a
:class:`Report`: how often the first decision escalated or denied, whether the
Plan B worked (an alternative, the final offer accepted), whether callbacks were
kept, how long cases took to resolve, what was granted, per level, per
complaint category, per employee and per policy revision, whether the
manager's personal calls after written reports were made in time, how
much of the per-customer cap customers used, and how satisfied customers
said they were (per outcome, level, category and employee)::

    from recovery_rules import SQLiteJournal, metrics

    with SQLiteJournal("cases.sqlite3") as journal:
        figures = metrics.report(journal, since=start, until=end)
    figures.rates.escalation.rate      # Decimal('0.4857')
    figures.per_level["manager"].granted  # Money('4620.00', 'USD')

The report is a frozen pydantic model; ``figures.model_dump(mode="json")`` is
the very document ``recovery-rules report --json`` prints (the command line is
built on this module), and :meth:`Report.model_validate` reads it back.

The journal is verified as it is read, and a report from one that fails is
refused with :class:`~recovery_rules.JournalIntegrityError`: figures from a
journal that was changed cannot be trusted.

For figures of your own, :class:`CaseReplay` is the verified read the report is
built on: every event in journal order with its case as it stands after it
(:class:`Replayed`), the chain checked on the way, the first problem refused::

    for replayed in metrics.CaseReplay(journal, "cases.sqlite3"):
        if replayed.event.kind == "decided":
            print(replayed.event.number, replayed.case.decision.outcome.value)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from recovery_rules._journal import ChainHead, Journal
from recovery_rules._metrics._figures import (
    CAP_BANDS,
    NOT_RECORDED,
    AlternativeFigures,
    CallbackFigures,
    CapShare,
    CaseCounts,
    EmployeeFigures,
    Escalations,
    FinalOffers,
    FirstDecisions,
    GroupFigures,
    JournalRead,
    OverdueCallback,
    Period,
    PersonalCallFigures,
    PlanB,
    Rate,
    Rates,
    Report,
    RevisionFigures,
    Satisfaction,
    SatisfactionFigures,
    Spread,
    nearest_rank,
    percent,
)
from recovery_rules._metrics._replay import CaseReplay, Replayed
from recovery_rules._metrics._tally import (
    GroupKey,
    build,
    by_category,
    by_employee,
    by_level,
    by_revision,
    group_figures,
)
from recovery_rules._policy._policy import Policy
from recovery_rules._values._exported import public

__all__ = [
    "CAP_BANDS",
    "NOT_RECORDED",
    "AlternativeFigures",
    "CallbackFigures",
    "CapShare",
    "CaseCounts",
    "CaseReplay",
    "EmployeeFigures",
    "Escalations",
    "FinalOffers",
    "FirstDecisions",
    "GroupFigures",
    "GroupKey",
    "JournalRead",
    "OverdueCallback",
    "Period",
    "PersonalCallFigures",
    "PlanB",
    "Rate",
    "Rates",
    "Replayed",
    "Report",
    "RevisionFigures",
    "Satisfaction",
    "SatisfactionFigures",
    "Spread",
    "by_category",
    "by_employee",
    "by_level",
    "by_revision",
    "group_figures",
    "nearest_rank",
    "percent",
    "report",
]


def report(
    journal: Journal,
    *,
    since: dt.datetime | dt.date | None = None,
    until: dt.datetime | dt.date | None = None,
    policy: Policy | None = None,
    now: dt.datetime | None = None,
    expected_head: ChainHead | None = None,
    source: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """The pilot metrics of the cases in ``journal`` opened at or after ``since`` and before ``until``.

    - ``since``, ``until``: aware datetimes, or dates (their midnight in the
      policy's time zone, or in UTC without a policy); a naive datetime is
      refused, whose zone could only be guessed. Either may be left out. With either,
      only the period's cases are read, found through the journal's index of
      opening times (the work is the period's, however long the journal), each
      event's hash and each case's versions checked, but the chain as a whole not
      walked (``journal.verified`` is ``False``: a case whose opening time was
      edited out of the period is not found); without them the whole chain is
      walked and checked, and then what :meth:`Journal.verify` checks beside it
      (the table of cases, the ledger's heads), without a second walk.
    - ``now``: the report is as of this moment (default: the current time);
      events recorded later are left out, and so is the rest of their case.
    - ``policy``: the policy the figures are read against. It gives the report's
      currency (a case in another one is refused with
      :class:`~recovery_rules.CurrencyMismatchError`; without a policy the first
      case's currency is the report's, and another one is refused the same way),
      its levels, listed in ``per_level`` in the policy's order (each, even one
      that did nothing, under the policy's name for it), its per-customer cap
      (``hard_cap``, listed in ``cap_share.caps`` even before any decision under
      it; a share is of the cap each decision saw, as its trace recorded it) and
      what the policy calls a customer (``customer_noun``).
      The callback promises counted are those the journal recorded with each
      escalation, under the policy that decided it. Without a policy, all of these
      come from the journal: the levels in the order they first appear, the caps
      and noun from the decisions' traces.
    - ``expected_head``: a chain head saved earlier (a report's
      ``journal.head``); the journal must still hold those events unchanged.
    - ``source``: how the report names the journal (default: an SQLite journal's
      file, else the journal's class name).
    - ``progress``: called with how much further through the journal the read got since its last call, in
      events (for a period, the other cases' events it passed over count too).

    Raises :class:`~recovery_rules.JournalIntegrityError` when the journal fails
    its check (or the expected head), naming the first bad event;
    :class:`~recovery_rules.JournalError` when it cannot be read;
    :class:`~recovery_rules.InvalidInputError` for a naive time, ``since``
    not before ``until``, or an argument of the wrong kind (every one named);
    :class:`~recovery_rules.CurrencyMismatchError` for a case in another
    currency than the report's.
    """
    return build(
        journal,
        since=since,
        until=until,
        policy=policy,
        now=now,
        expected_head=expected_head,
        source=source,
        progress=progress,
    )


for _name in __all__:
    public(globals()[_name], __name__)
