"""``recovery-rules report``: the service metrics of the cases recorded in a journal."""

from __future__ import annotations

import datetime as dt

import click
from rich import box
from rich.console import Console
from rich.table import Table

from recovery_rules import CaseOutcome, ChainHead, InvalidInputError, Outcome
from recovery_rules.cli import _console
from recovery_rules.cli._errors import CliInputError, ExitCode
from recovery_rules.cli._inputs import parse_time, show_time, within_range
from recovery_rules.cli._journal_reader import CaseReplay, PeriodReplay, open_journal
from recovery_rules.cli._verbs import options

from ._metrics import CAP_BANDS, Report, build_report, nearest_rank, percent

__all__ = ["command"]

_SHOWN_OVERDUE = 10


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
@options.json
def command(
    *,
    journal: str,
    now: str | None,
    since: str | None,
    until: str | None,
    expected_head: str | None,
    chart: str | None,
    as_json: bool,
) -> int:
    """Compute the service metrics of the cases recorded in JOURNAL, as they stood at --now.

    JOURNAL is the case journal's SQLite file (cases.sqlite3, or
    sqlite:cases.sqlite3) or its PostgreSQL address (postgresql://user@host/db,
    with the postgres extra); it is never created. Reports the escalation and denial rates, how often
    an alternative and the final offer were accepted, the callbacks kept and
    overdue, the time to resolution, what each level granted, the share of the
    per-customer cap used, and the cases per category, for the cases opened
    between --since and --until. Times are shown, and dates read, in the time
    zone of --now (UTC by default). The journal is verified as it is read: one
    that was changed is refused. Exit code 0, or 2 when the journal cannot be
    read or fails its check.
    """
    moment = parse_time(now, option="--now") if now else dt.datetime.now(dt.UTC)
    start = _boundary(since, "--since", moment)
    end = _boundary(until, "--until", moment)
    if start is not None and end is not None and start >= end:
        raise CliInputError("--since must be earlier than --until")
    head = _head(expected_head) if expected_head else None
    with open_journal(journal) as opened:
        if start is None and end is None:
            replay = CaseReplay(opened, journal, now=moment, expected_head=head)
        else:  # only the period's cases, found through the journal's index of opening times
            replay = PeriodReplay(opened, journal, now=moment, since=start, until=end, expected_head=head)
        with _console.progress("reading the journal", replay.total, unit="events") as advance:
            report = build_report(replay, since=start, until=end, advance=advance)
    if chart is not None:
        from recovery_rules.cli._verbs.report._chart import write_chart  # noqa: PLC0415 - matplotlib only when asked

        write_chart(report, chart)
    if as_json:
        _console.echo_json(report.to_json())
    else:
        _render(report)
    if chart is not None:
        _console.stderr().print(f"chart written to {chart}")
    return ExitCode.OK


def _boundary(text: str | None, option: str, now: dt.datetime) -> dt.datetime | None:
    """A time, or a date: midnight in the time zone of --now."""
    if text is None:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return within_range(dt.datetime(day.year, day.month, day.day, tzinfo=now.tzinfo), option=option)
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        raise CliInputError(
            f"{option}: is neither a date nor an ISO 8601 time; write it like 2026-09-01 or 2026-11-23T15:00:00Z"
        ) from None
    return parse_time(text, option=option)  # a time: it must carry its time zone


def _head(text: str) -> ChainHead:
    try:
        return ChainHead.parse(text)
    except InvalidInputError as error:
        problem = error.problems[0]
        where = f"{problem.location}: " if problem.location else ""
        raise CliInputError(f"--expected-head: {where}{problem.message}") from None


def _when(moment: dt.datetime, now: dt.datetime) -> str:
    """A time in the time zone of --now: ``2026-11-23 15:20 UTC-05:00``."""
    return show_time(moment, now.tzinfo)


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
    now = report.now
    policies = sorted(report.policies.items())
    under = policies[0][0] if len(policies) == 1 else ", ".join(f"{name} ({count})" for name, count in policies)
    console.print(f"{report.cases} cases from {report.source}" + (f", under {under}" if under else ""))
    period = (f"opened from {_when(report.since, now)}" if report.since else "opened any time") + (
        f" until {_when(report.until, now)}" if report.until else ""
    )
    console.print(f"  {period}; as of {_when(now, now)}")
    head = report.head or ChainHead(count=0, hash="0" * 64)
    if report.walked:
        console.print(f"  journal: {head.count} events, chain intact, head {head}")
    else:
        console.print(f"  journal: {head.count} events, head {head}; the period's cases read, each event checked")
    if report.expected_head is not None:
        expected = report.expected_head
        console.print(f"  it still holds the expected head {expected.count}:{expected.hash[:12]}...")
    if report.later:
        console.print(f"  {report.later} events recorded later than --now left out")

    _decisions(console, report)
    _callbacks(console, report)
    _outcomes(console, report)
    _levels(console, report)
    _categories(console, report)
    _cap_share(console, report)


def _decisions(console: Console, report: Report) -> None:
    first, escalations = report.first, report.escalations
    waiting = first[Outcome.ESCALATED] - escalations["approved"] - escalations["denied"]
    console.print()
    console.print(
        f"first decisions: {first[Outcome.APPROVED]} approved, {first[Outcome.ESCALATED]} escalated, "
        f"{first[Outcome.DENIED]} denied; {report.undecided} not decided yet"
    )
    console.print(
        f"escalations: {escalations['approved']} approved and {escalations['denied']} denied by the higher level, "
        f"{waiting} waiting"
    )

    rates = _table("rates")
    _columns(rates, "metric", "rate")
    rates.add_column("cases")
    wording = {
        "escalation": "decided",
        "denial": "decided",
        "alternative_accepted": "answered",
        "final_offer_accepted": "answered",
        "callback_kept": "due",
    }
    for key, name, rate in report.rates():
        rates.add_row(name, rate.percent(), f"{rate.count} of {rate.of} {wording[key]}")
    console.print()
    console.print(rates)


def _callbacks(console: Console, report: Report) -> None:
    now = report.now
    console.print()
    overdue = report.overdue_sorted()
    console.print(
        f"callbacks: {report.callbacks['kept']} kept, {report.callbacks['late']} late, "
        f"{report.callbacks['overdue']} overdue, {report.callbacks['pending']} not yet due"
    )
    if overdue:
        late = _table(f"overdue callbacks at {_when(now, now)}")
        for name, justify in (
            ("complaint number", "left"),
            ("callback by", "left"),
            ("overdue by", "right"),
            ("state", "left"),
            ("escalated to", "left"),
        ):
            late.add_column(name, justify=justify)  # type: ignore[arg-type]  # the literals are valid justify values
        for owed in overdue[:_SHOWN_OVERDUE]:
            late.add_row(owed.number, _when(owed.due, now), _duration(now - owed.due), owed.state, owed.escalated_to)
        console.print(late)
        if len(overdue) > _SHOWN_OVERDUE:
            console.print(f"  ... and {len(overdue) - _SHOWN_OVERDUE} more (--json lists all)")


def _outcomes(console: Console, report: Report) -> None:
    outcomes = _table("how cases were resolved")
    _columns(outcomes, "outcome", "cases", "median time", "90% within")
    for outcome in CaseOutcome:
        times = report.resolution_times(outcome)
        outcomes.add_row(outcome.value.replace("_", " "), str(len(times)), *_spread(times))
    everything = report.resolution_times()
    outcomes.add_row("all resolved", str(len(everything)), *_spread(everything))
    outcomes.add_row("not resolved yet", str(report.cases - len(everything)), "", "")
    console.print()
    console.print(outcomes)


def _levels(console: Console, report: Report) -> None:
    currency = report.currency
    levels = _table("per level")
    _columns(levels, "level", "decisions", "approved", "escalated", "denied", "grants", "granted")
    for name, figures in report.per_level.items():
        levels.add_row(
            name,
            str(figures.decisions),
            *(str(figures.outcomes[outcome]) for outcome in Outcome),
            str(figures.grants),
            figures.granted.text(currency),
        )
    levels.add_row("total", "", "", "", "", "", report.granted.text(currency))
    console.print()
    console.print(levels)


def _categories(console: Console, report: Report) -> None:
    currency = report.currency
    categories = _table("per category (first decisions)")
    _columns(categories, "category", "cases", "approved", "escalated", "denied", "open", "granted")
    for name, category in report.categories():
        categories.add_row(
            name,
            str(category.cases),
            *(str(category.first[outcome]) for outcome in Outcome),
            str(category.open),
            category.granted.text(currency),
        )
    console.print()
    console.print(categories)


def _cap_share(console: Console, report: Report) -> None:
    shares = report.cap_shares()
    caps = sorted(report.caps.items())
    if len(caps) == 1:
        cap = f"cap {caps[0][1].display()}"
    else:
        cap = (
            ("caps: " + "; ".join(f"{money.display()} under {policy}" for policy, money in caps))
            if caps
            else "no cap known"
        )
    console.print()
    noun = report.customer_noun
    console.print(f"share of the cap used per {noun}, within the policy's window ({cap})")
    if shares:
        bands = report.cap_bands(shares)
        console.print("  " + ", ".join(f"{name}: {bands[name]}" for name, _ in CAP_BANDS))
        console.print(
            f"  {len(shares)} {noun}s; median {percent(nearest_rank(shares, 50))}, "
            f"90% at most {percent(nearest_rank(shares, 90))}, highest {percent(shares[-1])}"
        )
    else:
        console.print(f"  no {noun} of a policy with a cap")


def _spread(times: list[dt.timedelta]) -> tuple[str, str]:
    if not times:
        return "-", "-"
    return _duration(nearest_rank(times, 50)), _duration(nearest_rank(times, 90))
