"""``recovery-rules decide``: decide one complaint and print the resolution."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import click
from rich.text import Text

from recovery_rules import Alternative, InvalidInputError, Outcome, Policy, Resolution
from recovery_rules.cli import _console
from recovery_rules.cli._errors import CliInputError, ExitCode, about_argument
from recovery_rules.cli._inputs import (
    load_policy,
    locate_problems,
    parse_granted,
    parse_time,
    problems_error,
    read_complaint,
    show_time,
)

from . import options

__all__ = ["command", "describe"]

_STYLES = {Outcome.APPROVED: "bold green", Outcome.ESCALATED: "bold yellow", Outcome.DENIED: "bold red"}
_LABEL = 15


@click.command("decide", short_help="Decide one complaint and print the resolution.")
@click.argument("complaint_file", metavar="COMPLAINT.json")
@options.policy
@click.option("--by", required=True, metavar="LEVEL", help="The acting employee's authority level (staff...).")
@click.option(
    "--granted",
    metavar="AMOUNT",
    multiple=True,
    help="What this customer was already granted within the policy's window: 150.00 or '150.00 USD'; for a policy "
    "with caps of other windows, once per window as WINDOW=AMOUNT (--granted incident=150.00 --granted "
    "30d=900.00), or one amount counted in every window. Default 0.",
)
@click.option(
    "--now",
    metavar="TIME",
    help="When the decision is made, ISO 8601 with a time zone (2026-11-23T15:00:00Z). Default: now.",
)
@click.option(
    "--employee",
    metavar="ID",
    help="The acting employee's id (E-0042, never a name), carried into the resolution. Default: none.",
)
@options.json
def command(
    *,
    complaint_file: str,
    policy: str,
    by: str,
    granted: tuple[str, ...],
    now: str | None,
    employee: str | None,
    as_json: bool,
) -> int:
    """Decide the complaint in COMPLAINT.json (- for standard input) and print the resolution.

    Shows the outcome, who delivers it and why, the alternatives with their
    contact details, the callback time in the policy's time zone, and the trace
    of the rules that decided. --json prints the Resolution as JSON instead.
    The exit code is 0 whatever the outcome: a denial is a decision, not an error.
    """
    loaded = load_policy(policy)
    rules = loaded.policy
    try:
        rules.level(by)
    except InvalidInputError as error:
        raise CliInputError(f"--by: {error.problems[0].message}") from None
    before = parse_granted(granted, rules, option="--granted")
    moment = parse_time(now, option="--now") if now is not None else dt.datetime.now(dt.UTC)
    with about_argument("complaint_file"):  # a complaint that is not valid keeps each problem's place in the file
        complaint, text = read_complaint(complaint_file, currency=rules.currency)
    try:
        resolution = rules.decide(complaint, by=by, granted=before, now=moment, employee=employee)
    except InvalidInputError as error:
        if error.what == "employee":
            raise CliInputError(f"--employee: {error.problems[0].message}") from None
        # What the policy refuses in the complaint (a remedy kind it does not have, an amount in another currency,
        # with strict_categories a category it does not list) is placed in the file, as a malformed field is.
        problems = locate_problems(error.problems, text, "json")
        if problems and all(problem.position is not None for problem in problems):
            raise problems_error(
                f"{complaint_file} is a complaint the policy {policy} cannot decide", problems, complaint_file
            ) from None
        raise CliInputError(f"{complaint_file}: {error}") from None
    if as_json:
        _console.echo_json_text(resolution.model_dump_json(indent=2))
    else:
        _console.stdout().print(describe(resolution, rules))
    return ExitCode.OK


def _level(policy: Policy, name: str | None) -> str:
    if name is None:
        return "none"
    level = policy.level(name)
    return f"{level.display_name} ({name})" if level.display_name != name else name


def describe(resolution: Resolution, policy: Policy) -> Text:
    """A resolution as a support agent reads it, times in the policy's time zone.

    Every text from the policy or the complaint (its name, level titles, reasons, alternatives, trace) is shown
    with its control characters as visible escapes (``\\x07``): ``out`` is a ``_console.ShownText``, which
    neutralises each string appended.
    """
    out = _console.ShownText()

    def line(label: str, value: str) -> None:
        out.append(f"  {label:<{_LABEL}}", style="dim")
        out.append(f"{value}\n")

    outcome = resolution.outcome
    out.append(outcome.value.upper(), style=_STYLES[outcome])
    out.append(f"  complaint {resolution.complaint_number} under {resolution.policy}\n")
    remedy = resolution.remedy
    total = resolution.total.display()
    asked = f"{remedy.kind} {remedy.amount.display()}"
    line("asked", asked if resolution.granted_before.is_zero else f"{asked} ({total} with earlier grants)")
    line("why", resolution.reason)
    if resolution.authorized_by is not None:
        line("authorized by", _level(policy, resolution.authorized_by))
    if resolution.escalate_to is not None:
        line("escalate to", _level(policy, resolution.escalate_to))
    if resolution.callback_by is not None:
        local = show_time(resolution.callback_by, ZoneInfo(policy.timezone))
        line("callback by", f"{local} ({policy.timezone})")
    line("delivered by", _level(policy, resolution.delivered_by))
    if resolution.employee is not None:
        line("employee", resolution.employee)
    if outcome is not Outcome.APPROVED:
        grantable = resolution.grantable_by
        line("grantable by", "no level can grant it" if grantable is None else _level(policy, grantable))
    if outcome is not Outcome.APPROVED:
        can = resolution.actor_can_grant
        line("left to grant", "no limit" if can is None else f"{can.display()} by {resolution.acting_level} now")
    actor = policy.level(resolution.acting_level).display_name
    _alternatives(out, f"Plan B: what {actor} can authorize now", resolution.alternatives)
    _alternatives(out, "Extra mile: also suggest", resolution.suggestions)
    out.append("\n  trace\n", style="dim")
    width = max((len(entry.rule) for entry in resolution.trace), default=0)
    for entry in resolution.trace:
        out.append("    ")
        out.append("✓" if entry.passed else "✗", style="green" if entry.passed else "red")
        out.append(f" {entry.rule:<{width}}  {entry.message}\n")
    out.rstrip()
    return out


def _alternatives(out: Text, title: str, alternatives: tuple[Alternative, ...]) -> None:
    if not alternatives:
        return
    out.append(f"\n  {title}\n", style="dim")
    for number, alternative in enumerate(alternatives, start=1):
        value = "free" if alternative.value.is_zero else alternative.value.display()
        out.append(f"    {number}. {alternative.description} ")
        out.append(f"[{alternative.kind}, {value}]\n", style="dim")
        for label, detail in (
            ("contact", alternative.contact),
            ("where", alternative.directions),
            ("web", alternative.url),
        ):
            if detail:
                out.append(f"       {label}: {detail}\n")
        if alternative.refers_elsewhere:
            out.append("       (another business)\n", style="dim")
