"""``recovery-rules check``: validate a policy and report every problem with its place in the file."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import click

from recovery_rules import InvalidInputError, Policy
from recovery_rules.cli import _console
from recovery_rules.cli._errors import CliInputError, ExitCode, about_argument
from recovery_rules.cli._inputs import file_format, is_preset, policy_path, policy_problems, regular_file

from . import options

__all__ = ["command", "short_duration", "summary"]


@click.command("check", short_help="Validate a policy; list every problem with its line.")
@click.argument("policy", metavar="POLICY")
@options.json
def command(*, policy: str, as_json: bool) -> int:
    """Validate POLICY and report every problem with its line and column in the file.

    Problems are printed the way compilers print them (file:line:column:
    location: message), all of them at once. Exit code 0 when the policy is
    valid, 1 when it has problems, 2 when the file cannot be read at all.
    """
    with about_argument("policy"):  # missing, unreadable, of another kind: at POLICY for --json
        path = regular_file(str(policy_path(policy)), "policy")
        if file_format(path) is None:
            raise CliInputError(f"{policy}: a policy file is .toml, .json or .yaml")
        try:
            loaded, problems = policy_problems(path)
        except (InvalidInputError, ImportError) as error:  # YAML without its extra
            raise CliInputError(f"{policy}: {error}") from None
    source = policy if is_preset(policy) else str(path)
    if as_json:
        _console.echo_json(
            {
                "policy": policy,
                "file": str(path),
                "valid": loaded is not None,
                "problems": [problem.to_json() for problem in problems],
                "notes": [] if loaded is None else [line.removeprefix("note: ") for line in _barred_lines(loaded)],
            }
        )
    elif loaded is None:
        for problem in problems:
            _console.echo(problem.render(source))
        count = f"{len(problems)} problems" if len(problems) > 1 else "1 problem"
        _console.echo(f"{source}: {count}; the policy does not load")
    else:
        _console.echo(f"{source}: ok")
        for line in summary(loaded):
            _console.echo(f"  {line}")
    return ExitCode.OK if loaded is not None else ExitCode.FAILED


def summary(policy: Policy) -> list[str]:
    """What a valid policy says, in a few lines: the ladder, the cap, the Plan B catalog."""

    def amount(money: Any) -> str:
        return "unlimited" if money is None else str(money.display())

    lines = [f"{policy.name} ({policy.currency}, {policy.timezone}, window: {policy.window})"]
    for level in policy.levels:
        parts = [f"{level.name}: {amount(level.limit)}"]
        parts.extend(f"{tier} {amount(limit)}" for tier, limit in level.tier_limits.items())
        if level.callback_within is not None:
            parts.append(f"callback within {short_duration(level.callback_within)}")
        if level.may_grant is not None:
            parts.append(f"may grant only {', '.join(level.may_grant)}")
        lines.append("level " + ", ".join(parts))
    lines.append(f"hard cap: {amount(policy.hard_cap)}; denials delivered by {policy.denials_delivered_by}")
    lines.extend(_cap_line(policy, cap) for cap in policy.caps)
    if policy.business_hours is not None:
        lines.append(
            f"business hours ({policy.timezone}): {_hours(policy.business_hours)}; "
            "callbacks are promised within them, counted in open time"
        )
        if policy.business_hours.closed:
            lines.append(f"closed all day: {_closed(policy.business_hours.closed)}")
    if policy.personal_call_within is not None:
        counted = " of business hours" if policy.business_hours is not None else ""
        lines.append(
            f"personal call after a written report: within {short_duration(policy.personal_call_within)}{counted}"
        )
    if policy.require_employee:
        lines.append("every step of a case names the employee who takes it (require_employee)")
    lines.extend(_barred_lines(policy))
    alternatives, categories, kinds = len(policy.catalog), len(policy.categories), len(policy.vocabulary)
    lines.append(
        f"Plan B: {alternatives} alternative{'s' * (alternatives != 1)}, {policy.min_alternatives} offered with "
        f"every denial and escalation; {categories} categor{'ies' if categories != 1 else 'y'}, "
        f"{kinds} remedy kind{'s' * (kinds != 1)}"
    )
    return lines


def _barred_lines(policy: Policy) -> list[str]:
    """A note per level barred from remedy kinds that a level below it may grant and none above it may: asked of
    that level, such a kind is denied (escalation goes up only), which is seldom what the policy meant."""
    lines = []
    levels = policy.levels
    for rank, level in enumerate(levels):
        if level.may_grant is None:
            continue
        kinds = [
            kind
            for kind in policy.vocabulary
            if kind not in level.may_grant
            and kind not in policy.refused_remedies
            and any(lower.may_grant is None or kind in lower.may_grant for lower in levels[:rank])
            and not any(upper.may_grant is None or kind in upper.may_grant for upper in levels[rank + 1 :])
        ]
        if kinds:
            lines.append(
                f"note: {level.name} may not grant {', '.join(kinds)}, which a level below may and none above "
                f"may: asked of {level.name}, {'it is' if len(kinds) == 1 else 'each is'} denied, not escalated"
            )
    return lines


def _cap_line(policy: Policy, cap: Any) -> str:
    """One of ``caps``: its limit and window, and the levels whose limit it can bind before their own."""
    window = f"per {cap.window}" if cap.window.kind in ("incident", "day") else f"in any {cap.window}"
    line = f"cap: {cap.limit.display()} {window}"
    if cap.label:
        line += f" ({cap.label})"
    above = [
        level.name
        for level in policy.levels
        if level.limit is None
        or level.limit > cap.limit
        or any(limit > cap.limit for limit in level.tier_limits.values())
    ]
    if above:
        line += f"; below the limit of {', '.join(above)}: this cap binds first once the window's total nears it"
    return line


_WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _hours(hours: Any) -> str:
    """A week's opening hours in a few words: ``every day 07:00-22:00``, ``Mon-Sat 09:00-21:00, Sun closed``."""
    week = [hours.hours(day) for day in range(len(_WEEKDAYS))]
    if len(set(week)) == 1:
        return f"every day {week[0]}"
    runs: list[tuple[int, int]] = []  # first and last day of each run of days with the same hours
    for day, text in enumerate(week):
        if runs and week[runs[-1][1]] == text:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return ", ".join(
        f"{_WEEKDAYS[first]}{'' if first == last else '-' + _WEEKDAYS[last]} {week[first]}" for first, last in runs
    )


_MOST_SHOWN: Final = 6
"""How many closed dates the summary names before it counts the rest."""


def _closed(closed: tuple[str, ...]) -> str:
    """The closed dates in a few words: ``12-25 every year, 2026-12-26, 2027-01-01`` (and how many more)."""
    shown = [f"{day[2:]} every year" if day.startswith("--") else day for day in closed[:_MOST_SHOWN]]
    more = len(closed) - len(shown)
    return ", ".join(shown) + (f" and {more:,} more" if more else "")


def short_duration(value: dt.timedelta) -> str:
    """A duration as a policy file writes it short: ``2h``, ``1h30m``, ``3d`` (whole seconds; ``0s`` for none)."""
    seconds = int(value.total_seconds())
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            out += f"{count}{unit}"
    return out or "0s"
