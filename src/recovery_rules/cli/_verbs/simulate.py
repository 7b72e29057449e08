"""``recovery-rules simulate``: replay recorded complaints under the current policy and a candidate."""

from __future__ import annotations

import click
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from recovery_rules import Money, Outcome
from recovery_rules.cli import _console
from recovery_rules.cli._errors import CliInputError, ExitCode, about_argument, problem_json
from recovery_rules.cli._inputs import load_policy
from recovery_rules.cli._records import open_source
from recovery_rules.cli._simulation import NOT_RECORDED, OUTCOMES, Invalid, Side, Simulation, simulate

from . import options

__all__ = ["command"]

_SHOWN_CHANGES = 10
_SHOWN_INVALID = 10
_REVISION_DIGITS = 12


@click.command("simulate", short_help="Replay recorded complaints under a candidate policy and compare.")
@click.argument("records", metavar="COMPLAINTS.jsonl")
@options.policy
@click.option(
    "--candidate",
    "-c",
    required=True,
    metavar="POLICY",
    help="The policy to compare with --policy. " + options.POLICY_HELP,
)
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Leave out records that are not valid or that a policy cannot decide, and count them, instead of stopping.",
)
@options.json
def command(*, records: str, policy: str, candidate: str, skip_invalid: bool, as_json: bool) -> int:
    """Replay the recorded complaints in COMPLAINTS.jsonl under --policy and --candidate and compare.

    Each line is a JSON object: {"complaint": {...}, "by": LEVEL, "granted":
    AMOUNT, "now": TIME}; now defaults to when the complaint was received, and
    granted to 0; granted may give an amount per window ({"incident": AMOUNT,
    "30d": AMOUNT}) for policies with caps of other windows. journal:JOURNAL instead replays the first decision of every
    case recorded in a case journal (journal:cases.sqlite3, or
    journal:postgresql://user@host/db). Reports the outcomes moved (a from -> to
    matrix), the escalations avoided and added, what is granted on the spot, and
    all of it per acting level. Exit code 0, or 2 when a record is not valid (unless
    --skip-invalid).
    """
    current = load_policy(policy)
    proposed = load_policy(candidate, option="--candidate")
    if current.policy.currency != proposed.policy.currency:
        raise CliInputError(
            f"the policies are in different currencies ({current.policy.currency} and "
            f"{proposed.policy.currency}); recovery-rules never converts currencies"
        )
    with about_argument("records"):  # a file that cannot be read: at COMPLAINTS.jsonl, as --json says it
        source = open_source(records, currency=current.policy.currency)
    with _console.progress("replaying", source.total, unit=source.unit) as advance:
        result = simulate(current.policy, proposed.policy, source, advance=advance)
    if result.invalid and not skip_invalid:
        shown = "\n".join(f"  {source.name}: {invalid}" for invalid in result.invalid[:_SHOWN_INVALID])
        more = len(result.invalid) - _SHOWN_INVALID
        count = f"{_console.counted(len(result.invalid), 'recorded complaint')} cannot"
        raise CliInputError(
            f"{count} be replayed:\n{shown}"
            + (f"\n  ... and {more} more" if more > 0 else "")
            + "\n(--skip-invalid leaves them out and counts them)",
            problems=[problem for invalid in result.invalid for problem in _problems_json(invalid)],
        )
    if as_json:
        _console.echo_json(
            {
                "policies": {"current": policy, "candidate": candidate},
                "revisions": result.revisions,
                **result.to_json(),
            }
        )
        return ExitCode.OK
    _render(result, policy, candidate)
    return ExitCode.OK


def _problems_json(invalid: Invalid) -> list[dict[str, object]]:
    """Each problem of a record that cannot be replayed, as ``--json`` lists it: with the record's line in a
    JSON Lines file, and its column when the problem has one (a syntax error); a record found elsewhere
    (``event 57`` of a journal) is named in the message."""
    number = invalid.where.removeprefix("line ")
    line = int(number) if number.isdigit() else None
    return [
        problem_json(
            problem.location,
            problem.message if line is not None else f"{invalid.where}: {problem.message}",
            line=line,
            column=problem.column if line is not None else None,
        )
        for problem in invalid.problems
    ]


def _render(result: Simulation, policy: str, candidate: str) -> None:
    console = _console.stdout()
    skipped = f" ({len(result.invalid)} skipped as invalid)" if result.invalid else ""
    console.print(f"{_console.counted(result.decisions, 'recorded complaint')} from {result.source}{skipped}")
    revisions = result.revisions
    console.print(f"  current:   {policy} (revision {revisions['current'][:_REVISION_DIGITS]})")
    console.print(f"  candidate: {candidate} (revision {revisions['candidate'][:_REVISION_DIGITS]})")
    if revisions["current"] == revisions["candidate"]:
        console.print("  (the same revision: the two policies decide alike)")

    matrix = Table(
        title="outcomes: current (rows) -> candidate (columns)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
    )
    matrix.add_column("current")
    for outcome in OUTCOMES:
        matrix.add_column(outcome.value, justify="right")
    matrix.add_column("total", justify="right")
    for old in OUTCOMES:
        cells = []
        for new in OUTCOMES:
            count = result.matrix[old, new]
            cells.append(Text(str(count), style="bold" if count and old is not new else ""))
        matrix.add_row(old.value, *cells, str(result.current.outcomes[old]))
    matrix.add_row("total", *(str(result.candidate.outcomes[new]) for new in OUTCOMES), str(result.decisions))
    console.print()
    console.print(matrix)

    before, after = result.current, result.candidate
    console.print()
    console.print(
        f"escalations: {before.outcomes[Outcome.ESCALATED]} -> {after.outcomes[Outcome.ESCALATED]} "
        f"({result.escalations_avoided} avoided, {result.escalations_added} added, "
        f"{result.rerouted} sent to another level)"
    )
    targets = sorted(set(before.escalations_to) | set(after.escalations_to))
    if targets:
        console.print(
            "escalated to: "
            + "; ".join(f"{name} {before.escalations_to[name]} -> {after.escalations_to[name]}" for name in targets)
        )
    for outcome, words in (
        (Outcome.APPROVED, "granted on the spot"),
        (Outcome.ESCALATED, "asked in escalations"),
        (Outcome.DENIED, "asked in denials"),
    ):
        console.print(f"{words}: {_change(before.amount(outcome), after.amount(outcome))}")

    levels = Table(
        title="per acting level: current -> candidate", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False
    )
    for name, justify in (
        ("level", "left"),
        ("decisions", "right"),
        ("approved", "right"),
        ("escalated", "right"),
        ("denied", "right"),
        ("granted on the spot", "right"),
    ):
        levels.add_column(name, justify=justify)  # type: ignore[arg-type]  # the literals are valid justify values
    for name, figures in result.per_level.items():
        levels.add_row(
            name,
            str(figures.decisions),
            *(_counts(figures.current, figures.candidate, outcome) for outcome in OUTCOMES),
            _change(figures.current.amount(Outcome.APPROVED), figures.candidate.amount(Outcome.APPROVED)),
        )
    console.print()
    console.print(levels)

    _revisions(console, result)

    if result.changes:
        console.print()
        shown = result.changes[:_SHOWN_CHANGES]
        console.print(f"changed decisions ({len(shown)} of {len(result.changes)}; --json lists all):")
        for change in shown:
            was = change.current.value + (f" to {change.current_to}" if change.current_to else "")
            becomes = change.candidate.value + (f" to {change.candidate_to}" if change.candidate_to else "")
            console.print(f"  {change.where}: {change.by}: {was} -> {becomes}")


def _revisions(console: Console, result: Simulation) -> None:
    """The decisions per revision that recorded them: shown when the source recorded revisions (a journal)."""
    if set(result.per_revision) <= {NOT_RECORDED}:
        return
    labels = {result.revisions["current"]: "current", result.revisions["candidate"]: "candidate"}
    if result.revisions["current"] == result.revisions["candidate"]:
        labels[result.revisions["current"]] = "current and candidate"
    table = Table(
        title="per recorded revision (the policy that made each decision): current -> candidate",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
    )
    table.add_column("recorded under", no_wrap=True)
    for name in ("decisions", "approved", "escalated", "denied"):
        table.add_column(name, justify="right")
    for revision, figures in result.per_revision.items():
        label = revision if revision == NOT_RECORDED else revision[:_REVISION_DIGITS]
        same = labels.get(revision)
        table.add_row(
            label + (f" (= {same})" if same else ""),
            str(figures.decisions),
            *(_counts(figures.current, figures.candidate, outcome) for outcome in OUTCOMES),
        )
    console.print()
    console.print(table)


def _counts(before: Side, after: Side, outcome: Outcome) -> str:
    old, new = before.outcomes[outcome], after.outcomes[outcome]
    return str(old) if old == new else f"{old} -> {new}"


def _change(before: Money, after: Money) -> str:
    if before == after:
        return f"{before.display()} (no change)"
    difference = after - before
    sign = "+" if difference.amount > 0 else ""
    return f"{before.display()} -> {after.display()} ({sign}{difference.display()})"
