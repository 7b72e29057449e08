"""``recovery-rules prove``: every region of a policy's input space keeps every promise, or a counterexample."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import uuid
from pathlib import Path
from typing import Any

import click

from recovery_rules.cli import _console
from recovery_rules.cli._errors import CliInputError, ExitCode, about_argument, why_unusable
from recovery_rules.cli._inputs import file_name_given, load_policy
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
    if save is not None:  # before the work, as a usage error would be
        _check_save(save)
    with about_argument("policy"):  # a policy that does not load keeps each problem's place in the file
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
    unsaved = None  # why --save could not write the counterexample, found after all that work: it is shown still
    if found is not None and save is not None:
        try:
            _write_whole(Path(save), json.dumps(found.complaint_json(), indent=2) + "\n")
        except (OSError, ValueError) as error:  # ValueError: a NUL in the name
            unsaved = (
                f"--save: cannot write {save}: {why_unusable(error)}; the counterexample is shown with this error: "
                "save its complaint by hand, or give --save a file in a folder you can write to"
            )
    saved = save if save is not None and unsaved is None else None
    command_line = None if found is None else _decide_command(policy, saved or "counterexample.json", found)
    if as_json:
        counterexample = None if found is None else _counterexample_json(found, command_line)
        if unsaved is not None:  # one JSON object still: the error, holding the counterexample
            raise CliInputError(unsaved, details={"counterexample": counterexample})
        _console.echo_json(
            {
                "policy": policy,
                "holds": proof.holds,
                "regions": proof.regions,
                "slices": proof.slices,
                "moments": proof.moments,
                "shape": shape,
                "counterexample": counterexample,
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
    _console.echo(f"the complaint (saved to {saved}):" if saved else "the complaint (save it as counterexample.json):")
    _console.echo(json.dumps(found.complaint_json(), indent=2))
    _console.echo("run it with:")
    _console.echo(f"  {command_line}")
    if unsaved is not None:
        raise CliInputError(unsaved)
    return ExitCode.FAILED


def _write_whole(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` whole or not at all: beside it under a temporary name, then renamed, so a
    full disk or a Ctrl-C while writing leaves no file cut short and an earlier one as it was."""
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")  # a name of its own (a UUID): no other file is written over
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError, ValueError):
            temporary.unlink(missing_ok=True)
        raise


def _check_save(save: str) -> None:
    """Refuse a ``--save`` that cannot be written before the proof runs: a directory, a file in a folder that
    does not exist, or is not a folder, or this user may not write in. What only writing can tell (a full disk)
    is said after the proof, with the counterexample shown first."""
    # Path("") is the current folder: "--save:  is a directory" would not say what is wrong
    file_name_given(save, "--save", "give the file to write the counterexample to (--save counterexample.json)")
    path = Path(save)
    folder = path.parent
    try:
        if path.is_dir():
            raise CliInputError(f"--save: {save} is a directory; give the file to write the counterexample to")
        if not folder.exists():
            raise CliInputError(
                f"--save: there is no folder {folder} to save the counterexample in; make it first "
                f"(mkdir -p {shlex.quote(str(folder))}), or give a file in a folder that exists"
            )
        if not folder.is_dir():
            raise CliInputError(f"--save: {folder} is not a folder; give a file in a folder that exists")
    except OSError:  # a name too long: writing it will say why
        return
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CliInputError(
            f"--save: this user may not write in the folder {folder}; give a file in a folder you can write to"
        )


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
