"""``recovery-rules report``: the service metrics of the cases recorded in a journal."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Final

import click
from rich import box
from rich.console import Console
from rich.table import Table

from recovery_rules import CaseOutcome, ChainHead, CurrencyMismatchError, Outcome, RecoveryRulesError
from recovery_rules.cli import _console
from recovery_rules.cli._console import counted
from recovery_rules.cli._errors import CliInputError, ExitCode, about_argument
from recovery_rules.cli._inputs import load_policy, parse_chain_head, parse_time, show_time, within_range
from recovery_rules.cli._journal_reader import open_journal, shown
from recovery_rules.cli._verbs import options
from recovery_rules.metrics import (
    CAP_BANDS,
    NOT_RECORDED,
    EmployeeFigures,
    GroupFigures,
    Rate,
    Report,
    Spread,
    percent,
    report,
)

__all__ = ["command"]

_SHOWN_OVERDUE = 10
_SHOWN_EMPLOYEES = 10
_REVISION_DIGITS = 12


@click.command("report", short_help="The service metrics of the cases recorded in a journal.")
@click.argument("journal", metavar="JOURNAL")
@click.option(
    "--now",
    metavar="TIME",
    help="Report as of this moment, ISO 8601 with a time zone; later events are left out. Default: the current time.",
)
@click.option("--since", metavar="TIME", help="Only cases opened at or after this time; a date is its midnight.")
@click.option("--until", metavar="TIME", help="Only cases opened before this time; a date is its midnight.")
@click.option(
    "--expected-head",
    metavar="COUNT:HASH",
    help="A chain head saved earlier (an earlier report prints it): the journal must still hold its events unchanged.",
)
@click.option("--chart", metavar="FILE.png", help="Also draw the report as a PNG image (needs the chart extra).")
@click.option(
    "--policy",
    "-p",
    "policy",
    metavar="POLICY",
    help="Read the figures against this policy: its currency, every level in its order, its cap. "
    + options.POLICY_HELP,
)
@options.json
def command(
    *,
    journal: str,
    now: str | None,
    since: str | None,
    until: str | None,
    expected_head: str | None,
    chart: str | None,
    policy: str | None,
    as_json: bool,
) -> int:
    """Compute the service metrics of the cases recorded in JOURNAL, as they stood at --now.

    JOURNAL is the case journal's SQLite file (cases.sqlite3, or
    sqlite:cases.sqlite3) or its PostgreSQL address (postgresql://user@host/db,
    with the postgres extra); it is never created. Reports the escalation and denial rates, how often
    an alternative and the final offer were accepted, the callbacks kept and
    overdue, the time to resolution, what each level granted, the share of the
    per-customer cap used, the cases per category, per employee and per policy
    revision, and the manager's personal calls kept or late, for the cases opened
    between --since and --until. Times are shown in the time zone of --now
    (UTC by default); dates are read in the policy's time zone with --policy,
    otherwise in that of --now. The journal is verified as it is read: one
    that was changed is refused. With --policy, the figures are read against
    that policy: its currency, all its levels in its order, its cap. The
    figures are recovery_rules.metrics.report's: --json prints its document.
    Exit code 0, or 2 when the journal cannot be read or fails its check.
    """
    moment = parse_time(now, option="--now") if now is not None else dt.datetime.now(dt.UTC)
    against = load_policy(policy).policy if policy is not None else None
    # A date is its midnight in the policy's zone, as the API reads it; without --policy, in the zone of --now.
    zone = zoneinfo.ZoneInfo(against.timezone) if against is not None else moment.tzinfo
    start = _boundary(since, "--since", zone)
    end = _boundary(until, "--until", zone)
    if start is not None and end is not None and start >= end:
        raise CliInputError("--since must be earlier than --until")
    head = parse_chain_head(expected_head, option="--expected-head") if expected_head is not None else None
    if chart is not None:  # before the journal is read, as a usage error would be
        from recovery_rules.cli._verbs.report._chart import chart_file  # noqa: PLC0415 - with the chart it checks

        chart_file(chart)
    with about_argument("journal"):
        opened = open_journal(journal)
    with opened:
        try:
            total = opened.head().count
            with _console.progress("reading the journal", total, unit="events") as advance:
                figures = report(
                    opened,
                    since=start,
                    until=end,
                    policy=against,
                    now=moment,
                    expected_head=head,
                    source=shown(journal),
                    progress=advance,
                )
        except CurrencyMismatchError as error:  # a case in another currency: named as a case, not as an 'amount'
            problem = error.problems[0]
            raise CliInputError(f"case {problem.location}: {problem.message}") from None
        except RecoveryRulesError as error:
            raise CliInputError(str(error)) from None
    if chart is not None:
        from recovery_rules.cli._verbs.report._chart import write_chart  # noqa: PLC0415 - matplotlib only when asked

        write_chart(figures, chart)
    if as_json:
        _console.echo_json(figures.model_dump(mode="json"))
    else:
        _render(figures)
    if chart is not None:
        _console.stderr().print(f"chart written to {chart}")
    return ExitCode.OK


def _boundary(text: str | None, option: str, zone: dt.tzinfo | None) -> dt.datetime | None:
    """A time, or a date: its midnight in ``zone`` (the policy's, or that of --now)."""
    if text is None:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return within_range(dt.datetime(day.year, day.month, day.day, tzinfo=zone), option=option)
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        raise CliInputError(
            f"{option}: is neither a date nor an ISO 8601 time; write it like 2026-09-01 or 2026-11-23T15:00:00Z"
        ) from None
    return parse_time(text, option=option)  # a time: it must carry its time zone


def _when(moment: dt.datetime, now: dt.datetime) -> str:
    """A time in the time zone of --now: ``2026-11-23 15:20 UTC-05:00``."""
    return show_time(moment, now.tzinfo)


def _day(moment: dt.datetime, now: dt.datetime) -> str:
    """The date of a moment in the time zone of --now."""
    return moment.astimezone(now.tzinfo).date().isoformat()


def _duration(delta: dt.timedelta) -> str:
    """``2d 21h``, ``3h 05m``, ``45m``: rounded to the minute."""
    minutes = round(delta.total_seconds() / 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


def _table(title: str) -> Table:
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False)


def _columns(table: Table, first: str, *rest: str) -> None:
    table.add_column(first)
    for name in rest:
        table.add_column(name, justify="right")


def _render(report: Report) -> None:
    console = _console.stdout()
    now = report.period.now
    policies = sorted(report.policies.items())
    under = policies[0][0] if len(policies) == 1 else ", ".join(f"{name} ({count})" for name, count in policies)
    console.print(f"{counted(report.cases.total, 'case')} from {report.source}" + (f", under {under}" if under else ""))
    since, until = report.period.since, report.period.until
    period = (f"opened from {_when(since, now)}" if since else "opened any time") + (
        f" until {_when(until, now)}" if until else ""
    )
    console.print(f"  {period}; as of {_when(now, now)}")
    read = report.journal
    head = read.head or ChainHead(count=0, hash="0" * 64)
    if read.verified:
        console.print(f"  journal: {counted(head.count, 'event')}, chain intact, head {head}")
    else:
        console.print(
            f"  journal: {counted(head.count, 'event')}, head {head}; the period's cases read, each event checked"
        )
    if read.expected_head is not None:
        expected = read.expected_head
        console.print(f"  it still holds the expected head {expected.count}:{expected.hash[:12]}...")
    if read.later_than_now:
        console.print(f"  {counted(read.later_than_now, 'event')} recorded later than --now left out")

    _decisions(console, report)
    _callbacks(console, report)
    _personal_calls(console, report)
    _outcomes(console, report)
    _levels(console, report)
    _categories(console, report)
    _employees(console, report)
    _revisions(console, report)
    _cap_share(console, report)
    _satisfaction(console, report)


_RATE_NAMES: Final = {
    "escalation": ("escalation rate", "decided"),
    "denial": ("denial rate", "decided"),
    "alternative_accepted": ("alternative accepted", "answered"),
    "final_offer_accepted": ("final offer accepted", "answered"),
    "callback_kept": ("callbacks kept", "due"),
}
"""Each rate's name in words, and what its cases are."""


def _decisions(console: Console, report: Report) -> None:
    first, escalations = report.first_decisions, report.escalations
    console.print()
    console.print(
        f"first decisions: {first.approved} approved, {first.escalated} escalated, "
        f"{first.denied} denied; {first.undecided} not decided yet"
    )
    console.print(
        f"escalations: {escalations.approved} approved and {escalations.denied} denied by the higher level, "
        f"{escalations.waiting} waiting"
    )

    rates = _table("rates")
    _columns(rates, "metric", "rate")
    rates.add_column("cases")
    for key, (name, cases) in _RATE_NAMES.items():
        rate = getattr(report.rates, key)
        rates.add_row(name, rate.percent(), f"{rate.count} of {rate.of} {cases}")
    console.print()
    console.print(rates)


_NUMBER_IN_TABLE: Final = 48
"""The longest complaint number the table of overdue callbacks shows beside the other columns (a UUID customer id's:
45 characters); longer ones are listed one a line, whole."""


def _callbacks(console: Console, report: Report) -> None:
    now = report.period.now
    callbacks = report.callbacks
    console.print()
    overdue = report.overdue_callbacks
    console.print(
        f"callbacks: {callbacks.kept} kept, {callbacks.late} late, "
        f"{callbacks.overdue} overdue, {callbacks.pending} not yet due"
    )
    if overdue:
        shown = overdue[:_SHOWN_OVERDUE]
        longest = max(len(owed.number) for owed in shown)
        if longest > _NUMBER_IN_TABLE:  # a number the table cannot show whole beside the rest: one line each
            console.print(f"overdue callbacks at {_when(now, now)}")
            for owed in shown:
                console.print(
                    f"  {owed.number}: callback by {_when(owed.callback_by, now)}, overdue by "
                    f"{_duration(now - owed.callback_by)}, {owed.state}"
                    + (f", escalated to {owed.escalated_to}" if owed.escalated_to else "")
                )
        else:
            late = _table(f"overdue callbacks at {_when(now, now)}")
            # the number is how someone finds the case: shown whole, never cut to fit the width
            late.add_column("complaint number", no_wrap=True, min_width=longest)
            for name, justify in (
                ("callback by", "left"),
                ("overdue by", "right"),
                ("state", "left"),
                ("escalated to", "left"),
            ):
                late.add_column(name, justify=justify)  # type: ignore[arg-type]  # the literals are valid justify values
            for owed in shown:
                late.add_row(
                    owed.number,
                    _when(owed.callback_by, now),
                    _duration(now - owed.callback_by),
                    owed.state,
                    owed.escalated_to,
                )
            console.print(late)
        if len(overdue) > _SHOWN_OVERDUE:
            console.print(f"  ... and {len(overdue) - _SHOWN_OVERDUE} more (--json lists all)")


def _personal_calls(console: Console, report: Report) -> None:
    calls = report.personal_calls
    if not calls.reports and not calls.made:
        return
    now = report.period.now
    console.print()
    if calls.promised:
        console.print(
            f"manager's personal calls promised by {calls.promised} of {counted(calls.reports, 'written report')}: "
            f"{calls.kept} kept, {calls.late} late, {calls.overdue} overdue, {calls.pending} not yet due; "
            f"{calls.made} made in all"
        )
    else:
        console.print(
            f"manager's personal calls after {counted(calls.reports, 'written report')}: {calls.made} made "
            "(none promised by a time)"
        )
    for owed in calls.overdue_calls[:_SHOWN_OVERDUE]:
        console.print(
            f"  {owed.number}: call by {_when(owed.callback_by, now)}, overdue by {_duration(now - owed.callback_by)}"
            + (f", owed by {owed.escalated_to}" if owed.escalated_to else "")
        )
    if len(calls.overdue_calls) > _SHOWN_OVERDUE:
        console.print(f"  ... and {len(calls.overdue_calls) - _SHOWN_OVERDUE} more (--json lists all)")


def _rate(rate: Rate) -> str:
    """``48.6%``, or ``-`` when there is nothing to divide by."""
    return rate.percent()


def _outcomes(console: Console, report: Report) -> None:
    outcomes = _table("how cases were resolved")
    _columns(outcomes, "outcome", "cases", "median time", "90% within")
    times = report.time_to_resolution
    for outcome in CaseOutcome:
        spread = times[outcome.value]
        outcomes.add_row(outcome.value.replace("_", " "), str(spread.cases), *_spread(spread))
    everything = times["all"]
    outcomes.add_row("all resolved", str(everything.cases), *_spread(everything))
    outcomes.add_row("not resolved yet", str(report.outcomes["unresolved"]), "", "")
    console.print()
    console.print(outcomes)


def _granted(figures: GroupFigures | Report) -> str:
    return figures.granted.display() if figures.granted is not None else "0"


def _levels(console: Console, report: Report) -> None:
    levels = _table("per level")
    _columns(levels, "level", "decisions", "approved", "escalated", "denied", "grants", "granted")
    for name, figures in report.per_level.items():
        levels.add_row(
            name,
            str(figures.decisions),
            *(str(getattr(figures, outcome.value)) for outcome in Outcome),
            str(figures.grants),
            _granted(figures),
        )
    levels.add_row("total", "", "", "", "", "", _granted(report))
    console.print()
    console.print(levels)


def _categories(console: Console, report: Report) -> None:
    categories = _table("per category (first decisions)")
    _columns(categories, "category", "cases", "approved", "escalated", "denied", "open", "granted")
    for name, figures in report.per_category.items():
        categories.add_row(
            name,
            str(figures.cases),
            *(str(getattr(figures, outcome.value)) for outcome in Outcome),
            str(figures.open),
            _granted(figures),
        )
    console.print()
    console.print(categories)


def _employees(console: Console, report: Report) -> None:
    people = report.per_employee
    if not people:
        return
    named = [(name, figures) for name, figures in people.items() if name != NOT_RECORDED]
    shown = named[:_SHOWN_EMPLOYEES]
    employees = _table("per employee (who took each step)")
    _columns(employees, "employee", "cases", "decided", "escalation", "alternatives", "callbacks", "calls", "granted")
    for name, figures in shown:
        employees.add_row(name, *_employee_cells(figures))
    rest = named[_SHOWN_EMPLOYEES:]
    if rest:
        employees.add_row(
            counted(len(rest), "other"),
            str(sum(figures.cases for _, figures in rest)),
            str(sum(figures.first_decisions for _, figures in rest)),
            "",
            str(sum(figures.alternatives_accepted for _, figures in rest)),
            str(sum(figures.callbacks_kept for _, figures in rest)),
            str(sum(figures.calls_made for _, figures in rest)),
            "",
        )
    unnamed = people.get(NOT_RECORDED)
    if unnamed is not None:
        employees.add_row(NOT_RECORDED, *_employee_cells(unnamed))
    console.print()
    console.print(employees)
    if rest:
        console.print(f"  the {_SHOWN_EMPLOYEES} with the most cases shown (--json lists all)")


def _employee_cells(figures: EmployeeFigures) -> tuple[str, ...]:
    callbacks = figures.callbacks_kept + figures.callbacks_late
    return (
        str(figures.cases),
        str(figures.first_decisions),
        _rate(figures.escalation),
        f"{figures.alternatives_accepted} of {figures.alternatives_offered}",
        f"{figures.callbacks_kept} of {callbacks}",
        str(figures.calls_made),
        _granted(figures),
    )


def _revisions(console: Console, report: Report) -> None:
    if not report.per_revision:
        return
    now = report.period.now
    revisions = _table("per policy revision (first 12 digits), the first decisions")
    revisions.add_column("revision", min_width=_REVISION_DIGITS, no_wrap=True)
    for name in ("cases", "approved", "escalated", "rate", "granted"):
        revisions.add_column(name, justify="right")
    revisions.add_column("in force", no_wrap=True)
    for name, figures in report.per_revision.items():
        revisions.add_row(
            name if name == NOT_RECORDED else name[:_REVISION_DIGITS],
            str(figures.cases),
            str(figures.approved),
            str(figures.escalated),
            _rate(figures.escalation),
            _granted(figures),
            f"{_day(figures.first_at, now)} to {_day(figures.last_at, now)}"
            if figures.first_at is not None and figures.last_at is not None
            else "",
        )
    console.print()
    console.print(revisions)


def _cap_share(console: Console, report: Report) -> None:
    share = report.cap_share
    caps = sorted(share.caps.items())
    if len(caps) == 1:
        cap = f"cap {caps[0][1].display()}"
    else:
        cap = (
            ("caps: " + "; ".join(f"{money.display()} under {policy}" for policy, money in caps))
            if caps
            else "no cap known"
        )
    console.print()
    noun = share.customer_noun.replace("_", " ")  # a word of the policy: walk_in is "walk in"
    console.print(f"share of the cap used per {noun}, within the policy's window ({cap})")
    if share.guests and share.median is not None and share.p90 is not None and share.max is not None:
        console.print("  " + ", ".join(f"{name}: {share.bands[name]}" for name, _ in CAP_BANDS))
        console.print(
            f"  {counted(share.guests, noun)}; median {percent(share.median)}, "
            f"90% at most {percent(share.p90)}, highest {percent(share.max)}"
        )
    else:
        console.print(f"  no {noun} of a policy with a cap")


def _spread(spread: Spread) -> tuple[str, str]:
    if spread.median is None or spread.p90 is None:
        return "-", "-"
    return _duration(spread.median), _duration(spread.p90)


_SATISFACTION_GROUPS: Final = {
    "per_outcome": "outcome",
    "per_level": "level",
    "per_category": "category",
    "per_employee": "employee",
}
"""Each grouping of the satisfaction figures, as the table names its groups."""


def _satisfaction(console: Console, report: Report) -> None:
    satisfaction = report.satisfaction
    overall = satisfaction.overall
    title = f"{report.cap_share.customer_noun.replace('_', ' ')} satisfaction"  # the policy's word: guest, walk in...
    console.print()
    if not overall.answered and not overall.scored:
        console.print(f"{title}: no answers recorded")
        return
    table = _table(title)
    _columns(table, "group", "cases", "answered", "satisfied", "scored", "mean score")
    rows = [("all cases", overall)]
    for grouping, label in _SATISFACTION_GROUPS.items():
        groups = getattr(satisfaction, grouping)
        rows.extend(
            (f"{label}: {name.replace('_', ' ') if label == 'outcome' else name}", figures)
            for name, figures in groups.items()
        )
    for name, figures in rows:
        share = figures.satisfied_share
        mean = figures.mean_score
        table.add_row(
            name,
            str(figures.cases),
            str(figures.answered),
            "-" if share is None else f"{figures.satisfied} ({percent(share)})",
            str(figures.scored),
            "-" if mean is None else f"{mean:.2f} of 5",
        )
    console.print(table)
