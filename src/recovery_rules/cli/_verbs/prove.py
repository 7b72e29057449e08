"""``recovery-rules prove``: every region of a policy's input space keeps every promise, or a counterexample."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import click

from recovery_rules.cli import _console
from recovery_rules.cli._errors import CliInputError, ExitCode, why_unusable
from recovery_rules.cli._inputs import load_policy
from recovery_rules.proof import Counterexample, categories, grant_windows, prove, slices, tiers

from . import options

__all__ = ["command"]

_SINGULAR = {
    "levels": "level",
    "tiers": "tier",
    "remedy_kinds": "remedy kind",
    "categories": "category",
    "grant_windows": "grant window",
}


@click.command("prove", short_help="Check every region of a policy: all promises kept, or a counterexample.")
@click.argument("policy", metavar="POLICY")
@click.option(
    "--save",
    metavar="FILE",
    help="Write the counterexample complaint to FILE (JSON), ready for `recovery-rules decide`.",
)
@options.json
def command(*, policy: str, save: str | None, as_json: bool) -> int:
    """Check every region of POLICY's input space against every promise: exhaustive, not sampled.

    Decisions change only where an amount crosses a limit, the cap or an
    alternative's value, so the inputs split into finitely many regions per
    acting level, customer tier, remedy kind and complaint category. One point
    of each region is decided and checked: every denial and escalation offers
    the promised alternatives, which the employee can authorize now; nothing is
    approved beyond authority or the cap; every escalation goes to the lowest
    level that can grant it, with its callback; denials are delivered by the
    policy's denials_delivered_by level. A policy with caps of other windows
    is proved with the amount already granted counted in every window, then in
    each window alone. Every region is decided at 09:30 on 23 November
    2026; then each kind of decision again at the moments where time-dependent
    promises could break (openings, closings, midnight, clock changes). Prints "N regions, all invariants hold" (exit 0)
    or the first counterexample as a complaint ready to run with `decide`
    (exit 1).
    """
    if save is not None and _is_directory(save):  # before the work, as a usage error would be
        raise CliInputError(f"--save: {save} is a directory; give the file to write the counterexample to")
    loaded = load_policy(policy, option=None)
    rules = loaded.policy
    planned = slices(rules)
    total = sum(sum(1 for _ in part.points()) for part in planned)
    with _console.progress("proving", total, unit="regions") as advance:
        proof = prove(rules, planned=planned, advance=advance)
    shape = {
        "levels": [level.name for level in rules.levels],
        "tiers": tiers(rules),
        "remedy_kinds": list(rules.vocabulary),
        "categories": categories(rules),
        "grant_windows": ["all" if window is None else str(window) for window in grant_windows(rules)],
    }
    found = proof.counterexample
    if found is not None and save is not None:
        try:
            Path(save).write_text(json.dumps(found.complaint_json(), indent=2) + "\n", encoding="utf-8")
        except (OSError, ValueError) as error:  # ValueError: a NUL in the name
            reason = why_unusable(error)
            raise CliInputError(f"--save: cannot write {save}: {reason}") from None
    command_line = None if found is None else _decide_command(policy, save or "counterexample.json", found)
    if as_json:
        _console.echo_json(
            {
                "policy": policy,
                "holds": proof.holds,
                "regions": proof.regions,
                "slices": proof.slices,
                "moments": proof.moments,
                "shape": shape,
                "counterexample": None if found is None else _counterexample_json(found, command_line),
            }
        )
        return ExitCode.OK if proof.holds else ExitCode.FAILED
    dimensions = " × ".join(
        f"{len(values)} {_SINGULAR[name] if len(values) == 1 else name.replace('_', ' ')}"
        for name, values in shape.items()
        if name != "grant_windows" or len(values) > 1  # shown only when grants are counted more than one way
    )
    if found is None:
        _console.echo(
            f"{policy}: {proof.regions:,} regions, all invariants hold ({proof.slices:,} slices: {dimensions}; "
            f"each kind of decision again at {proof.moments:,} moments)"
        )
        return ExitCode.OK
    outcome = "deciding raised an error" if found.outcome is None else f"the outcome is {found.outcome.value}"
    if proof.moments:  # every region held at the first moment; one broke at another
        _console.echo(
            f"{policy}: all {proof.regions:,} regions hold at the first moment; counterexample at another of the "
            f"{proof.moments:,} moments ({dimensions}):"
        )
    else:
        _console.echo(f"{policy}: counterexample in region {proof.regions:,} of {total:,} ({dimensions}):")
    _console.echo(f"{found.by} decides, {found.granted_words()}, at {found.now.isoformat()}; {outcome}, which breaks:")
    for violation in found.violations:
        _console.echo(f"  - {violation}")
    _console.echo(f"the complaint (saved to {save}):" if save else "the complaint (save it as counterexample.json):")
    _console.echo(json.dumps(found.complaint_json(), indent=2))
    _console.echo("run it with:")
    _console.echo(f"  {command_line}")
    return ExitCode.FAILED


def _is_directory(path: str) -> bool:
    try:
        return Path(path).is_dir()
    except OSError:  # a name too long: not a directory; writing it will say why
        return False


def _decide_command(policy: str, file: str, found: Counterexample) -> str:
    words = [
        "recovery-rules",
        "decide",
        "--policy",
        policy,
        file,
        "--by",
        found.by,
    ]
    granted = found.granted_per_window
    if isinstance(granted, dict):
        for window, amount in granted.items():
            words += ["--granted", f"{window}={amount}"]
    else:
        words += ["--granted", str(granted)]
    words += ["--now", found.now.isoformat()]
    return shlex.join(words)


def _counterexample_json(found: Counterexample, command_line: str | None) -> dict[str, Any]:
    return {
        "complaint": found.complaint_json(),
        "by": found.by,
        "granted": str(found.granted),
        "window": None if found.window is None else str(found.window),
        "now": found.now.isoformat(),
        "outcome": None if found.outcome is None else found.outcome.value,
        "violations": list(found.violations),
        "command": command_line,
    }
